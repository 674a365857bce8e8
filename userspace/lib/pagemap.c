// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding of /proc/PID/pagemap entries and /proc/kpageflags words.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagemap.h"

/* Entries read by one pread(2). */
#define VL_PM_CHUNK	512

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Names and one-letter codes of the kpageflags bits, "c:name", as in the
 * page_flag_names[] table of tools/mm/page-types.c (6.12).  That table has
 * no entry for bit 39; its name and code come from older versions.
 */
static const char * const kpf_names[VL_KPF_NBITS] = {
	[VL_KPF_LOCKED]		= "L:locked",
	[VL_KPF_ERROR]		= "E:error",
	[VL_KPF_REFERENCED]	= "R:referenced",
	[VL_KPF_UPTODATE]	= "U:uptodate",
	[VL_KPF_DIRTY]		= "D:dirty",
	[VL_KPF_LRU]		= "l:lru",
	[VL_KPF_ACTIVE]		= "A:active",
	[VL_KPF_SLAB]		= "S:slab",
	[VL_KPF_WRITEBACK]	= "W:writeback",
	[VL_KPF_RECLAIM]	= "I:reclaim",
	[VL_KPF_BUDDY]		= "B:buddy",

	[VL_KPF_MMAP]		= "M:mmap",
	[VL_KPF_ANON]		= "a:anonymous",
	[VL_KPF_SWAPCACHE]	= "s:swapcache",
	[VL_KPF_SWAPBACKED]	= "b:swapbacked",
	[VL_KPF_COMPOUND_HEAD]	= "H:compound_head",
	[VL_KPF_COMPOUND_TAIL]	= "T:compound_tail",
	[VL_KPF_HUGE]		= "G:huge",
	[VL_KPF_UNEVICTABLE]	= "u:unevictable",
	[VL_KPF_HWPOISON]	= "X:hwpoison",
	[VL_KPF_NOPAGE]		= "n:nopage",
	[VL_KPF_KSM]		= "x:ksm",
	[VL_KPF_THP]		= "t:thp",
	[VL_KPF_OFFLINE]	= "o:offline",
	[VL_KPF_PGTABLE]	= "g:pgtable",
	[VL_KPF_ZERO_PAGE]	= "z:zero_page",
	[VL_KPF_IDLE]		= "i:idle_page",

	[VL_KPF_RESERVED]	= "r:reserved",
	[VL_KPF_MLOCKED]	= "m:mlocked",
	[VL_KPF_OWNER_2]	= "d:owner_2",
	[VL_KPF_PRIVATE]	= "P:private",
	[VL_KPF_PRIVATE_2]	= "p:private_2",
	[VL_KPF_OWNER_PRIVATE]	= "O:owner_private",
	[VL_KPF_ARCH]		= "h:arch",
	[VL_KPF_UNCACHED]	= "c:uncached",
	[VL_KPF_SOFTDIRTY]	= "f:softdirty",
	[VL_KPF_ARCH_2]		= "H:arch_2",
};

/* Older names still accepted by vl_kpf_parse_name(). */
static const struct {
	const char *name;
	int bit;
} kpf_aliases[] = {
	{ "mappedtodisk",	VL_KPF_MAPPEDTODISK },
	{ "idle",		VL_KPF_IDLE },
};

/* Read n 64-bit words at word index idx of fd, in chunks. */
static int read_words(int fd, uint64_t idx, size_t n, uint64_t *out)
{
	const uint64_t max_idx = (uint64_t)INT64_MAX / VL_PM_ENTRY_BYTES;
	size_t done = 0;

	if (n && !out)
		return -EINVAL;
	if (idx > max_idx || n > max_idx - idx)
		return -EOVERFLOW;

	while (done < n) {
		size_t want = n - done;
		off_t off = (off_t)((idx + done) * VL_PM_ENTRY_BYTES);
		char *dst = (char *)(out + done);
		size_t bytes, got = 0;

		if (want > VL_PM_CHUNK)
			want = VL_PM_CHUNK;
		bytes = want * VL_PM_ENTRY_BYTES;

		while (got < bytes) {
			ssize_t ret = pread(fd, dst + got, bytes - got,
					    off + (off_t)got);

			if (ret < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			if (ret == 0)
				return -EIO;
			got += (size_t)ret;
		}
		done += want;
	}
	return 0;
}

int vl_pagemap_open(pid_t pid)
{
	char path[64];
	int fd;

	if (pid < 0)
		return -EINVAL;
	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	else
		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int vl_pagemap_read(int fd, unsigned long addr, size_t npages, uint64_t *out)
{
	long psize = sysconf(_SC_PAGESIZE);

	if (psize <= 0)
		return -EINVAL;
	return read_words(fd, addr / (unsigned long)psize, npages, out);
}

struct vl_pm vl_pm_decode(uint64_t raw)
{
	struct vl_pm pm = { .raw = raw };

	pm.present = raw & VL_PM_PRESENT;
	pm.swapped = raw & VL_PM_SWAP;
	pm.file_shared = raw & VL_PM_FILE;
	pm.exclusive = raw & VL_PM_EXCLUSIVE;
	pm.soft_dirty = raw & VL_PM_SOFT_DIRTY;
	pm.uffd_wp = raw & VL_PM_UFFD_WP;
	pm.guard = raw & VL_PM_GUARD;

	if (pm.present) {
		pm.pfn = raw & VL_PM_PFN_MASK;
	} else if (pm.swapped) {
		pm.swap_type = (unsigned int)(raw & VL_PM_SWAP_TYPE_MASK);
		pm.swap_offset = (raw & VL_PM_PFN_MASK) >>
				 VL_PM_SWAP_OFFSET_SHIFT;
	}
	return pm;
}

/*
 * Words joined by a separator in a fixed-size buffer, which always holds a
 * NUL-terminated string; truncation is remembered.
 */
struct vl_strbuf {
	char *buf;
	size_t len;
	size_t pos;
	const char *sep;
	bool truncated;
};

static void sb_init(struct vl_strbuf *sb, char *buf, size_t len,
		    const char *sep)
{
	sb->buf = buf;
	sb->len = len;
	sb->pos = 0;
	sb->sep = sep;
	sb->truncated = !len;
	if (len)
		buf[0] = '\0';
}

static void sb_append(struct vl_strbuf *sb, const char *s)
{
	size_t n = strlen(s);

	if (sb->truncated)
		return;
	if (n >= sb->len - sb->pos) {
		n = sb->len - sb->pos - 1;
		sb->truncated = true;
	}
	memcpy(sb->buf + sb->pos, s, n);
	sb->pos += n;
	sb->buf[sb->pos] = '\0';
}

static void sb_word(struct vl_strbuf *sb, const char *word)
{
	if (sb->pos)
		sb_append(sb, sb->sep);
	sb_append(sb, word);
}

static int sb_result(const struct vl_strbuf *sb)
{
	return sb->truncated ? -ENOSPC : (int)sb->pos;
}

int vl_pm_format(uint64_t raw, char *buf, size_t len)
{
	struct vl_pm pm = vl_pm_decode(raw);
	struct vl_strbuf sb;
	char num[64];

	if (!buf && len)
		return -EINVAL;
	sb_init(&sb, buf, len, " ");

	/* A guard region is a marker in a swap entry, not a swapped page. */
	if (pm.present)
		sb_word(&sb, "present");
	else if (pm.swapped && !pm.guard)
		sb_word(&sb, "swapped");
	if (pm.exclusive)
		sb_word(&sb, "exclusive");
	if (pm.file_shared)
		sb_word(&sb, "file");
	if (pm.soft_dirty)
		sb_word(&sb, "soft-dirty");
	if (pm.uffd_wp)
		sb_word(&sb, "uffd-wp");
	if (pm.guard)
		sb_word(&sb, "guard");

	if (pm.present) {
		snprintf(num, sizeof(num), "pfn=0x%llx",
			 (unsigned long long)pm.pfn);
		sb_word(&sb, num);
	} else if (pm.swapped && !pm.guard) {
		snprintf(num, sizeof(num), "type=%u offset=0x%llx",
			 pm.swap_type, (unsigned long long)pm.swap_offset);
		sb_word(&sb, num);
	} else if (!pm.guard) {
		sb_word(&sb, "not-present");
	}
	return sb_result(&sb);
}

static int probe_pfns(void)
{
	long psize = sysconf(_SC_PAGESIZE);
	char *page;
	uint64_t raw = 0;
	int fd, ret;

	if (psize <= 0)
		return 0;
	page = mmap(NULL, (size_t)psize, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 0;
	page[0] = 1;

	fd = vl_pagemap_open(0);
	if (fd >= 0) {
		ret = vl_pagemap_read(fd, (unsigned long)page, 1, &raw);
		if (ret)
			raw = 0;
		close(fd);
	}
	munmap(page, (size_t)psize);

	return (raw & VL_PM_PRESENT) && (raw & VL_PM_PFN_MASK);
}

bool vl_have_pfns(void)
{
	static int cached = -1;
	int val = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (val < 0) {
		val = probe_pfns();
		__atomic_store_n(&cached, val, __ATOMIC_RELAXED);
	}
	return val;
}

int vl_kpageflags_open(void)
{
	int fd = open(VL_KPAGEFLAGS_PATH, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int vl_kpageflags_read(int fd, uint64_t pfn, size_t n, uint64_t *out)
{
	return read_words(fd, pfn, n, out);
}

const char *vl_kpf_name(unsigned int bit)
{
	if (bit >= VL_KPF_NBITS || !kpf_names[bit])
		return NULL;
	return kpf_names[bit] + 2;
}

char vl_kpf_code(unsigned int bit)
{
	if (bit >= VL_KPF_NBITS || !kpf_names[bit])
		return 0;
	return kpf_names[bit][0];
}

int vl_kpf_format(uint64_t flags, char *buf, size_t len)
{
	struct vl_strbuf sb;
	unsigned int bit;
	char num[16];

	if (!buf && len)
		return -EINVAL;
	sb_init(&sb, buf, len, ",");

	for (bit = 0; bit < VL_KPF_NBITS; bit++) {
		const char *name;

		if (!(flags & (UINT64_C(1) << bit)))
			continue;
		name = vl_kpf_name(bit);
		if (!name) {
			snprintf(num, sizeof(num), "bit%u", bit);
			name = num;
		}
		sb_word(&sb, name);
	}
	return sb_result(&sb);
}

int vl_kpf_parse_name(const char *name)
{
	unsigned int bit;
	size_t i;

	if (!name)
		return -1;
	for (bit = 0; bit < VL_KPF_NBITS; bit++) {
		const char *n = vl_kpf_name(bit);

		if (n && !strcmp(n, name))
			return (int)bit;
	}
	for (i = 0; i < ARRAY_SIZE(kpf_aliases); i++) {
		if (!strcmp(kpf_aliases[i].name, name))
			return kpf_aliases[i].bit;
	}
	return -1;
}
