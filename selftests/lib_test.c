// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of libvmlab on native mappings; they need no vmlab module.
 *
 * PFN and kpageflags checks run only when pagemap shows PFNs and
 * /proc/kpageflags can be read (root); soft-dirty and guard-region checks
 * only when the kernel supports them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>

/*
 * -Wextra warns about the harness itself: its TEST() functions and signal
 * handler take parameters they do not use, and gcc cannot tell that a
 * local of its TEST_F() wrapper survives the setjmp() there.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#include "debugfs.h"
#include "device.h"
#include "listings.h"
#include "pagemap.h"
#include "procfs.h"
#include "walk.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#endif

#define NPAGES		4
/* More entries than one chunk of vl_pagemap_read(), and not a multiple. */
#define BATCH_PAGES	1500

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static long long page_kb(size_t npages)
{
	return (long long)(npages * page_size() / 1024);
}

/* mmap that never backs the range with transparent huge pages. */
static char *map_pages(size_t npages, int prot, int flags, int fd, off_t off)
{
	size_t len = npages * page_size();
	char *p;

	p = mmap(NULL, len, prot, flags, fd, off);
	if (p != MAP_FAILED)
		madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

static void log_pm(struct __test_metadata *_metadata, const char *what,
		   uint64_t raw)
{
	char buf[128];

	vl_pm_format(raw, buf, sizeof(buf));
	TH_LOG("%s: raw=0x%016llx %s", what, (unsigned long long)raw, buf);
}

static void log_kpf(struct __test_metadata *_metadata, uint64_t pfn,
		    uint64_t flags)
{
	char buf[512];

	vl_kpf_format(flags, buf, sizeof(buf));
	TH_LOG("pfn 0x%llx: kpageflags=0x%llx %s", (unsigned long long)pfn,
	       (unsigned long long)flags, buf);
}

static uint64_t read_pm(struct __test_metadata *_metadata, const void *addr)
{
	uint64_t raw = 0;
	int fd;

	fd = vl_pagemap_open(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_pagemap_read(fd, (unsigned long)addr, 1, &raw));
	close(fd);
	return raw;
}

/* Whether a VmFlags line of smaps holds a two-letter flag. */
static bool has_vmflag(const char *vmflags, const char *flag)
{
	size_t n = strlen(flag);
	const char *p = vmflags;

	while ((p = strstr(p, flag))) {
		if ((p == vmflags || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static int kernel_older_than(unsigned int major, unsigned int minor)
{
	unsigned int ma = 0, mi = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &ma, &mi) != 2)
		return -1;
	return ma < major || (ma == major && mi < minor);
}

/*
 * Native mappings, touched in different ways, against what pagemap and
 * kpageflags must then say about them.  Pages 0 and 1 are accessed; page
 * NPAGES - 1 never is.
 */
enum access { ACCESS_NONE, ACCESS_READ, ACCESS_WRITE };

FIXTURE(native) {
	char *map;
	int memfd;
	int pm_fd;
	int kpf_fd;
};

FIXTURE_VARIANT(native) {
	int flags;		/* MAP_PRIVATE or MAP_SHARED */
	bool memfd;		/* map a memfd whose pages 0-1 hold data */
	enum access access;
	bool present;
	bool file;
	bool exclusive;
	bool zero_page;		/* pages 0-1 map the shared zero page */
	bool kpf_anon;		/* kpageflags says anonymous */
};

FIXTURE_VARIANT_ADD(native, private_anon_untouched) {
	.flags = MAP_PRIVATE, .access = ACCESS_NONE,
};

FIXTURE_VARIANT_ADD(native, private_anon_read) {
	.flags = MAP_PRIVATE, .access = ACCESS_READ,
	.present = true, .zero_page = true,
};

FIXTURE_VARIANT_ADD(native, private_anon_write) {
	.flags = MAP_PRIVATE, .access = ACCESS_WRITE,
	.present = true, .exclusive = true, .kpf_anon = true,
};

FIXTURE_VARIANT_ADD(native, shared_anon_untouched) {
	.flags = MAP_SHARED, .access = ACCESS_NONE,
};

FIXTURE_VARIANT_ADD(native, shared_anon_read) {
	.flags = MAP_SHARED, .access = ACCESS_READ,
	.present = true, .file = true, .exclusive = true,
};

FIXTURE_VARIANT_ADD(native, shared_anon_write) {
	.flags = MAP_SHARED, .access = ACCESS_WRITE,
	.present = true, .file = true, .exclusive = true,
};

FIXTURE_VARIANT_ADD(native, private_memfd_read) {
	.flags = MAP_PRIVATE, .memfd = true, .access = ACCESS_READ,
	.present = true, .file = true, .exclusive = true,
};

FIXTURE_VARIANT_ADD(native, private_memfd_write) {
	.flags = MAP_PRIVATE, .memfd = true, .access = ACCESS_WRITE,
	.present = true, .exclusive = true, .kpf_anon = true,
};

FIXTURE_VARIANT_ADD(native, shared_memfd_write) {
	.flags = MAP_SHARED, .memfd = true, .access = ACCESS_WRITE,
	.present = true, .file = true, .exclusive = true,
};

FIXTURE_SETUP(native)
{
	size_t ps = page_size();
	char data[64];
	int flags = variant->flags;
	unsigned int i;

	self->memfd = -1;
	if (variant->memfd) {
		self->memfd = memfd_create("vltest", MFD_CLOEXEC);
		ASSERT_LE(0, self->memfd);
		ASSERT_EQ(0, ftruncate(self->memfd, NPAGES * ps));
		memset(data, 'm', sizeof(data));
		for (i = 0; i < 2; i++)
			ASSERT_EQ((ssize_t)sizeof(data),
				  pwrite(self->memfd, data, sizeof(data),
					 i * ps));
	} else {
		flags |= MAP_ANONYMOUS;
	}
	self->map = map_pages(NPAGES, PROT_READ | PROT_WRITE, flags,
			      self->memfd, 0);
	ASSERT_NE(MAP_FAILED, self->map);

	self->pm_fd = vl_pagemap_open(0);
	ASSERT_LE(0, self->pm_fd);
	self->kpf_fd = vl_kpageflags_open();
}

FIXTURE_TEARDOWN(native)
{
	munmap(self->map, NPAGES * page_size());
	if (self->memfd >= 0)
		close(self->memfd);
	close(self->pm_fd);
	if (self->kpf_fd >= 0)
		close(self->kpf_fd);
}

TEST_F(native, pagemap)
{
	size_t ps = page_size();
	uint64_t raw[NPAGES], kpf;
	struct vl_pm pm[NPAGES];
	char *p = self->map;
	unsigned int i;
	int sum = 0;

	for (i = 0; i < 2; i++) {
		if (variant->access == ACCESS_READ)
			sum += p[i * ps];
		else if (variant->access == ACCESS_WRITE)
			p[i * ps] = 'w';
	}
	/* Using what was read keeps the reads; memfd pages hold 'm'. */
	if (variant->access == ACCESS_READ)
		ASSERT_EQ(variant->memfd ? 2 * 'm' : 0, sum);

	ASSERT_EQ(0, vl_pagemap_read(self->pm_fd, (unsigned long)self->map,
				     NPAGES, raw));
	for (i = 0; i < NPAGES; i++) {
		char what[16];

		snprintf(what, sizeof(what), "page %u", i);
		log_pm(_metadata, what, raw[i]);
		pm[i] = vl_pm_decode(raw[i]);
		ASSERT_EQ(raw[i], pm[i].raw);
		ASSERT_FALSE(pm[i].swapped);
		ASSERT_FALSE(pm[i].uffd_wp);
		ASSERT_FALSE(pm[i].guard);
	}

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(variant->present, pm[i].present);
		ASSERT_EQ(variant->file, pm[i].file_shared);
		ASSERT_EQ(variant->exclusive, pm[i].exclusive);
	}
	ASSERT_FALSE(pm[NPAGES - 1].present);
	ASSERT_EQ(0ULL, pm[NPAGES - 1].pfn);

	if (!variant->present)
		return;
	if (!vl_have_pfns()) {
		TH_LOG("pagemap hides PFNs: PFN checks skipped");
		return;
	}
	ASSERT_NE(0ULL, pm[0].pfn);
	ASSERT_NE(0ULL, pm[1].pfn);
	/* Only the shared zero page is mapped at two addresses. */
	ASSERT_EQ(variant->zero_page, pm[0].pfn == pm[1].pfn);

	if (self->kpf_fd < 0) {
		TH_LOG("cannot open %s (%s): kpageflags checks skipped",
		       VL_KPAGEFLAGS_PATH, strerror(-self->kpf_fd));
		return;
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vl_kpageflags_read(self->kpf_fd, pm[i].pfn, 1,
						&kpf));
		log_kpf(_metadata, pm[i].pfn, kpf);
		ASSERT_EQ(variant->zero_page,
			  !!(kpf & (1ULL << VL_KPF_ZERO_PAGE)));
		ASSERT_EQ(variant->kpf_anon, !!(kpf & (1ULL << VL_KPF_ANON)));
		if (!variant->zero_page)
			ASSERT_TRUE(!!(kpf & (1ULL << VL_KPF_MMAP)));
		ASSERT_FALSE(!!(kpf & (1ULL << VL_KPF_BUDDY)));
	}
}

/* One read larger than a chunk, over a pattern of present pages. */
TEST(pagemap_batch)
{
	size_t ps = page_size();
	uint64_t *raw;
	char *map;
	size_t i;
	int fd;

	map = map_pages(BATCH_PAGES, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < BATCH_PAGES; i += 3)
		map[i * ps] = 1;

	raw = calloc(BATCH_PAGES, sizeof(*raw));
	ASSERT_NE(NULL, raw);
	fd = vl_pagemap_open(getpid());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_pagemap_read(fd, (unsigned long)map, BATCH_PAGES,
				     raw));
	for (i = 0; i < BATCH_PAGES; i++) {
		struct vl_pm pm = vl_pm_decode(raw[i]);

		if (pm.present != (i % 3 == 0))
			log_pm(_metadata, "mismatch", raw[i]);
		ASSERT_EQ(i % 3 == 0, pm.present);
	}

	/* An address inside a page reads that page's entry. */
	ASSERT_EQ(0, vl_pagemap_read(fd, (unsigned long)map + 3 * ps + 5, 1,
				     raw));
	ASSERT_TRUE(vl_pm_decode(raw[0]).present);
	ASSERT_EQ(0, vl_pagemap_read(fd, (unsigned long)map, 0, NULL));

	ASSERT_EQ(-EBADF, vl_pagemap_read(-1, (unsigned long)map, 1, raw));
	ASSERT_EQ(-EINVAL, vl_pagemap_open(-1));

	close(fd);
	free(raw);
	munmap(map, BATCH_PAGES * ps);
}

/* The kernel shows PFNs only to readers with CAP_SYS_ADMIN. */
TEST(have_pfns)
{
	unsigned long long cap_eff = 0;
	bool have = vl_have_pfns();
	char *text, *line;

	ASSERT_EQ(0, vl_read_text("/proc/self/status", &text));
	line = strstr(text, "\nCapEff:");
	ASSERT_NE(NULL, line);
	cap_eff = strtoull(line + 8, NULL, 16);
	free(text);

	TH_LOG("vl_have_pfns() = %d, CapEff %llx", have, cap_eff);
	ASSERT_EQ(have, vl_have_pfns());
	if (!(cap_eff & (1ULL << 21)))	/* CAP_SYS_ADMIN */
		ASSERT_FALSE(have);
}

TEST(soft_dirty)
{
	size_t ps = page_size();
	char vmflags[256];
	uint64_t raw;
	char *map;

	map = map_pages(2, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[0] = 1;
	map[ps] = 1;

	/* A new mapping is soft-dirty ("sd") when the kernel tracks it. */
	ASSERT_EQ(0, vl_smaps_vmflags(0, (unsigned long)map, vmflags,
				      sizeof(vmflags)));
	TH_LOG("VmFlags: %s", vmflags);
	if (!has_vmflag(vmflags, "sd"))
		SKIP(return, "kernel without CONFIG_MEM_SOFT_DIRTY");

	ASSERT_TRUE(vl_pm_decode(read_pm(_metadata, map)).soft_dirty);
	ASSERT_EQ(0, vl_write_file("/proc/self/clear_refs", "4"));
	/* Clearing also takes the flag off the mapping. */
	ASSERT_EQ(0, vl_smaps_vmflags(0, (unsigned long)map, vmflags,
				      sizeof(vmflags)));
	TH_LOG("VmFlags after clear_refs: %s", vmflags);
	ASSERT_FALSE(has_vmflag(vmflags, "sd"));
	map[0] = 2;

	raw = read_pm(_metadata, map);
	log_pm(_metadata, "written", raw);
	ASSERT_TRUE(vl_pm_decode(raw).present);
	ASSERT_TRUE(vl_pm_decode(raw).soft_dirty);

	raw = read_pm(_metadata, map + ps);
	log_pm(_metadata, "untouched", raw);
	ASSERT_TRUE(vl_pm_decode(raw).present);
	ASSERT_FALSE(vl_pm_decode(raw).soft_dirty);

	munmap(map, 2 * ps);
}

TEST(guard_region)
{
	size_t ps = page_size();
	uint64_t raw;
	char *map;

	map = map_pages(3, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[ps] = 1;
	if (madvise(map + ps, ps, MADV_GUARD_INSTALL))
		SKIP(return, "MADV_GUARD_INSTALL: %s", strerror(errno));

	raw = read_pm(_metadata, map + ps);
	log_pm(_metadata, "guard", raw);
	if (!vl_pm_decode(raw).guard && kernel_older_than(6, 15))
		SKIP(return, "pagemap reports guard regions since 6.15");
	ASSERT_TRUE(vl_pm_decode(raw).guard);
	ASSERT_FALSE(vl_pm_decode(raw).present);
	ASSERT_FALSE(vl_pm_decode(read_pm(_metadata, map)).guard);

	munmap(map, 3 * ps);
}

/* Hand-made pagemap entries against their decoded and printed forms. */
FIXTURE(decode) {
};

FIXTURE_VARIANT(decode) {
	uint64_t raw;
	bool present, swapped, file, exclusive, soft_dirty, uffd_wp, guard;
	uint64_t pfn;
	unsigned int swap_type;
	uint64_t swap_offset;
	const char *text;
};

FIXTURE_VARIANT_ADD(decode, none) {
	.raw = 0,
	.text = "not-present",
};

FIXTURE_VARIANT_ADD(decode, present_all) {
	.raw = VL_PM_PRESENT | VL_PM_EXCLUSIVE | VL_PM_FILE |
	       VL_PM_SOFT_DIRTY | 0x1234,
	.present = true, .exclusive = true, .file = true, .soft_dirty = true,
	.pfn = 0x1234,
	.text = "present exclusive file soft-dirty pfn=0x1234",
};

FIXTURE_VARIANT_ADD(decode, present_hidden_pfn) {
	.raw = VL_PM_PRESENT,
	.present = true,
	.text = "present pfn=0x0",
};

FIXTURE_VARIANT_ADD(decode, present_max_pfn_uffd_wp) {
	.raw = VL_PM_PRESENT | VL_PM_UFFD_WP | VL_PM_PFN_MASK,
	.present = true, .uffd_wp = true,
	.pfn = 0x7fffffffffffffULL,
	.text = "present uffd-wp pfn=0x7fffffffffffff",
};

FIXTURE_VARIANT_ADD(decode, swapped) {
	.raw = VL_PM_SWAP | VL_PM_SOFT_DIRTY | (0xabcULL << 5) | 3,
	.swapped = true, .soft_dirty = true,
	.swap_type = 3, .swap_offset = 0xabc,
	.text = "swapped soft-dirty type=3 offset=0xabc",
};

FIXTURE_VARIANT_ADD(decode, swapped_max) {
	.raw = VL_PM_SWAP | VL_PM_FILE | VL_PM_PFN_MASK,
	.swapped = true, .file = true,
	.swap_type = 31, .swap_offset = 0x3ffffffffffffULL,
	.text = "swapped file type=31 offset=0x3ffffffffffff",
};

FIXTURE_VARIANT_ADD(decode, guard) {
	.raw = VL_PM_GUARD,
	.guard = true,
	.text = "guard",
};

/* What 6.18 reports for a guard region: a marker in a swap entry. */
FIXTURE_VARIANT_ADD(decode, guard_marker) {
	.raw = VL_PM_SWAP | VL_PM_GUARD | (4ULL << 5) | 31,
	.swapped = true, .guard = true,
	.swap_type = 31, .swap_offset = 4,
	.text = "guard",
};

FIXTURE_VARIANT_ADD(decode, guard_marker_soft_dirty) {
	.raw = VL_PM_SWAP | VL_PM_GUARD | VL_PM_SOFT_DIRTY | (4ULL << 5) | 31,
	.swapped = true, .guard = true, .soft_dirty = true,
	.swap_type = 31, .swap_offset = 4,
	.text = "soft-dirty guard",
};

FIXTURE_SETUP(decode)
{
}

FIXTURE_TEARDOWN(decode)
{
}

TEST_F(decode, entry)
{
	struct vl_pm pm = vl_pm_decode(variant->raw);
	size_t tlen = strlen(variant->text);
	char buf[128];

	log_pm(_metadata, "entry", variant->raw);
	ASSERT_EQ(variant->raw, pm.raw);
	ASSERT_EQ(variant->present, pm.present);
	ASSERT_EQ(variant->swapped, pm.swapped);
	ASSERT_EQ(variant->file, pm.file_shared);
	ASSERT_EQ(variant->exclusive, pm.exclusive);
	ASSERT_EQ(variant->soft_dirty, pm.soft_dirty);
	ASSERT_EQ(variant->uffd_wp, pm.uffd_wp);
	ASSERT_EQ(variant->guard, pm.guard);
	ASSERT_EQ(variant->pfn, pm.pfn);
	ASSERT_EQ(variant->swap_type, pm.swap_type);
	ASSERT_EQ(variant->swap_offset, pm.swap_offset);

	ASSERT_EQ((int)tlen, vl_pm_format(variant->raw, buf, sizeof(buf)));
	ASSERT_STREQ(variant->text, buf);

	/* Exactly enough room, then one byte too little. */
	ASSERT_EQ((int)tlen, vl_pm_format(variant->raw, buf, tlen + 1));
	ASSERT_STREQ(variant->text, buf);
	ASSERT_EQ(-ENOSPC, vl_pm_format(variant->raw, buf, tlen));
	ASSERT_EQ(tlen - 1, strlen(buf));
	ASSERT_EQ(0, strncmp(variant->text, buf, tlen - 1));
	ASSERT_EQ(-ENOSPC, vl_pm_format(variant->raw, NULL, 0));
}

/* The page-types.c table: every bit with a name, and its letter. */
static const struct {
	unsigned int bit;
	const char *name;
	char code;
} kpf_table[] = {
	{ VL_KPF_LOCKED,	"locked",		'L' },
	{ VL_KPF_ERROR,		"error",		'E' },
	{ VL_KPF_REFERENCED,	"referenced",		'R' },
	{ VL_KPF_UPTODATE,	"uptodate",		'U' },
	{ VL_KPF_DIRTY,		"dirty",		'D' },
	{ VL_KPF_LRU,		"lru",			'l' },
	{ VL_KPF_ACTIVE,	"active",		'A' },
	{ VL_KPF_SLAB,		"slab",			'S' },
	{ VL_KPF_WRITEBACK,	"writeback",		'W' },
	{ VL_KPF_RECLAIM,	"reclaim",		'I' },
	{ VL_KPF_BUDDY,		"buddy",		'B' },
	{ VL_KPF_MMAP,		"mmap",			'M' },
	{ VL_KPF_ANON,		"anonymous",		'a' },
	{ VL_KPF_SWAPCACHE,	"swapcache",		's' },
	{ VL_KPF_SWAPBACKED,	"swapbacked",		'b' },
	{ VL_KPF_COMPOUND_HEAD,	"compound_head",	'H' },
	{ VL_KPF_COMPOUND_TAIL,	"compound_tail",	'T' },
	{ VL_KPF_HUGE,		"huge",			'G' },
	{ VL_KPF_UNEVICTABLE,	"unevictable",		'u' },
	{ VL_KPF_HWPOISON,	"hwpoison",		'X' },
	{ VL_KPF_NOPAGE,	"nopage",		'n' },
	{ VL_KPF_KSM,		"ksm",			'x' },
	{ VL_KPF_THP,		"thp",			't' },
	{ VL_KPF_OFFLINE,	"offline",		'o' },
	{ VL_KPF_ZERO_PAGE,	"zero_page",		'z' },
	{ VL_KPF_IDLE,		"idle_page",		'i' },
	{ VL_KPF_PGTABLE,	"pgtable",		'g' },
	{ VL_KPF_RESERVED,	"reserved",		'r' },
	{ VL_KPF_MLOCKED,	"mlocked",		'm' },
	{ VL_KPF_OWNER_2,	"owner_2",		'd' },
	{ VL_KPF_PRIVATE,	"private",		'P' },
	{ VL_KPF_PRIVATE_2,	"private_2",		'p' },
	{ VL_KPF_OWNER_PRIVATE,	"owner_private",	'O' },
	{ VL_KPF_ARCH,		"arch",			'h' },
	{ VL_KPF_UNCACHED,	"uncached",		'c' },
	{ VL_KPF_SOFTDIRTY,	"softdirty",		'f' },
	{ VL_KPF_ARCH_2,	"arch_2",		'H' },
};

/* Hand-made walker entries against their letters, names and descriptions. */
FIXTURE(walk_decode) {
};

FIXTURE_VARIANT(walk_decode) {
	struct vmlab_walk_entry e;
	const char *letters;
	const char *names;
	const char *text;
};

FIXTURE_VARIANT_ADD(walk_decode, table) {
	.e = { .level = VMLAB_LEVEL_PMD, .what = VMLAB_WHAT_TABLE, .pfn = 0x1234,
	       .bits = VMLAB_E_PRESENT | VMLAB_E_RW | VMLAB_E_USER | VMLAB_E_ACCESSED |
		       VMLAB_E_DIRTY },
	.letters = "PWU--AD----", .names = "present rw user accessed dirty", .text = "table",
};

FIXTURE_VARIANT_ADD(walk_decode, zero_page) {
	.e = { .level = VMLAB_LEVEL_PTE, .what = VMLAB_WHAT_ZERO,
	       .bits = VMLAB_E_PRESENT | VMLAB_E_USER | VMLAB_E_ACCESSED | VMLAB_E_NX |
		       VMLAB_E_LEAF | VMLAB_E_SPECIAL },
	.letters = "P-U--A----N", .names = "present user accessed nx leaf special",
	.text = "zero page",
};

FIXTURE_VARIANT_ADD(walk_decode, huge_zero) {
	.e = { .level = VMLAB_LEVEL_PMD, .what = VMLAB_WHAT_ZERO, .order = 9,
	       .bits = VMLAB_E_PRESENT | VMLAB_E_PSE | VMLAB_E_LEAF },
	.letters = "P------H---", .names = "present pse leaf", .text = "huge zero page",
};

FIXTURE_VARIANT_ADD(walk_decode, thp_file) {
	.e = { .level = VMLAB_LEVEL_PMD, .what = VMLAB_WHAT_FILE, .order = 9, .ino = 12,
	       .dev = (8 << 20) | 1,
	       .bits = VMLAB_E_PRESENT | VMLAB_E_RW | VMLAB_E_PSE | VMLAB_E_PAT |
		       VMLAB_E_GLOBAL | VMLAB_E_PWT | VMLAB_E_PCD | VMLAB_E_LEAF |
		       VMLAB_E_SOFT_DIRTY },
	.letters = "PW-tc--HGT-",
	.names = "present rw pwt pcd pse global pat leaf soft_dirty",
	.text = "file 8:1 ino 12 thp order 9",
};

FIXTURE_VARIANT_ADD(walk_decode, hugetlb) {
	.e = { .level = VMLAB_LEVEL_PMD, .what = VMLAB_WHAT_HUGETLB, .order = 9,
	       .bits = VMLAB_E_PRESENT | VMLAB_E_PSE | VMLAB_E_LEAF | VMLAB_E_SPECIAL },
	.letters = "P------H---", .names = "present pse leaf special",
	.text = "hugetlb order 9",
};

FIXTURE_VARIANT_ADD(walk_decode, protnone) {
	.e = { .level = VMLAB_LEVEL_PTE, .what = VMLAB_WHAT_ANON,
	       .bits = VMLAB_E_PROTNONE | VMLAB_E_USER | VMLAB_E_LEAF },
	.letters = "n-U--------", .names = "user protnone leaf", .text = "anon",
};

FIXTURE_VARIANT_ADD(walk_decode, swap) {
	.e = { .level = VMLAB_LEVEL_PTE, .what = VMLAB_WHAT_SWAP, .swap_type = 1,
	       .swap_offset = 0x2a, .bits = VMLAB_E_SWAP | VMLAB_E_EXCLUSIVE },
	.letters = "-----------", .names = "swap exclusive", .text = "swap type 1 offset 0x2a",
};

FIXTURE_VARIANT_ADD(walk_decode, migration_write) {
	.e = { .level = VMLAB_LEVEL_PMD, .what = VMLAB_WHAT_SWAP, .swap_offset = 0x1200,
	       .bits = VMLAB_E_MIGRATION | VMLAB_E_MIGRATION_WRITE },
	.letters = "-----------", .names = "migration migration_write",
	.text = "migration pfn 0x1200 (write)",
};

FIXTURE_VARIANT_ADD(walk_decode, hwpoison) {
	.e = { .level = VMLAB_LEVEL_PTE, .what = VMLAB_WHAT_SWAP, .swap_offset = 0x77,
	       .bits = VMLAB_E_HWPOISON },
	.letters = "-----------", .names = "hwpoison", .text = "hwpoison pfn 0x77",
};

FIXTURE_SETUP(walk_decode)
{
}

FIXTURE_TEARDOWN(walk_decode)
{
}

TEST_F(walk_decode, entry)
{
	char letters[VL_WALK_LETTERS], buf[160];
	uint64_t parsed = 0;
	char *name, *save;

	EXPECT_STREQ(variant->letters, vl_walk_letters(variant->e.bits, letters));
	ASSERT_LT(0, vl_walk_bits_format(variant->e.bits, ~0ULL, " ", buf, sizeof(buf)));
	EXPECT_STREQ(variant->names, buf);
	/* The names parse back into the bits. */
	for (name = strtok_r(buf, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
		EXPECT_NE(0, vl_walk_bit_parse(name)) TH_LOG("no bit named %s", name);
		parsed |= vl_walk_bit_parse(name);
	}
	EXPECT_EQ(variant->e.bits, parsed);
	ASSERT_LT(0, vl_walk_describe(&variant->e, buf, sizeof(buf)));
	EXPECT_STREQ(variant->text, buf);
	/* A buffer too small: truncated, terminated, -ENOSPC. */
	EXPECT_EQ(-ENOSPC, vl_walk_describe(&variant->e, buf, 4));
	EXPECT_EQ(3, strlen(buf));
}

TEST(walk_names)
{
	char buf[64];

	EXPECT_STREQ("PGD", vl_walk_level_name(VMLAB_LEVEL_PGD));
	EXPECT_STREQ("P4D", vl_walk_level_name(VMLAB_LEVEL_P4D));
	EXPECT_STREQ("PTE", vl_walk_level_name(VMLAB_LEVEL_PTE));
	EXPECT_STREQ("?", vl_walk_level_name(VL_WALK_NR_LEVELS));
	EXPECT_STREQ("table", vl_walk_what_name(VMLAB_WHAT_TABLE));
	EXPECT_STREQ("swap", vl_walk_what_name(VMLAB_WHAT_SWAP));
	EXPECT_STREQ("?", vl_walk_what_name(VL_WALK_NR_WHAT));
	EXPECT_EQ(VMLAB_E_SOFT_DIRTY, vl_walk_bit_parse("soft_dirty"));
	EXPECT_EQ(0, vl_walk_bit_parse("bogus"));
	EXPECT_EQ(NULL, vl_walk_bit_name(12));
	EXPECT_EQ(12, vl_walk_level_shift(VMLAB_LEVEL_PTE, 4));
	EXPECT_EQ(39, vl_walk_level_shift(VMLAB_LEVEL_PGD, 4));
	EXPECT_EQ(48, vl_walk_level_shift(VMLAB_LEVEL_PGD, 5));
	EXPECT_EQ(0, vl_walk_level_shift(VL_WALK_NR_LEVELS, 4));
	/* A diff names what was set and cleared, in bit order. */
	EXPECT_LT(0, vl_walk_bits_diff(VMLAB_E_PRESENT | VMLAB_E_SPECIAL,
				       VMLAB_E_PRESENT | VMLAB_E_RW | VMLAB_E_DIRTY, ~0ULL,
				       buf, sizeof(buf)));
	EXPECT_STREQ("+rw +dirty -special", buf);
	EXPECT_EQ(0, vl_walk_bits_diff(VMLAB_E_RW, VMLAB_E_RW | VMLAB_E_ACCESSED,
				       ~VMLAB_E_ACCESSED, buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	/* A bit without a name is shown by number. */
	EXPECT_LT(0, vl_walk_bits_format(1ULL << 40, ~0ULL, ",", buf, sizeof(buf)));
	EXPECT_STREQ("bit40", buf);
}

/* Finding an address's entries in a walk. */
TEST(walk_find)
{
	struct vmlab_walk_entry e[] = {
		{ .level = VMLAB_LEVEL_PGD, .addr = 0x7f0000000000, .what = VMLAB_WHAT_TABLE },
		{ .level = VMLAB_LEVEL_PUD, .addr = 0x7f0000000000, .what = VMLAB_WHAT_TABLE },
		{ .level = VMLAB_LEVEL_PMD, .addr = 0x7f0000000000, .what = VMLAB_WHAT_TABLE },
		{ .level = VMLAB_LEVEL_PTE, .addr = 0x7f0000001000, .what = VMLAB_WHAT_ANON },
		{ .level = VMLAB_LEVEL_PMD, .addr = 0x7f0000200000, .what = VMLAB_WHAT_HUGETLB },
	};
	struct vmlab_walk_entry pgd5 = { .level = VMLAB_LEVEL_PGD, .what = VMLAB_WHAT_TABLE };
	struct vl_walk w = { .e = e, .n = 5, .levels = 4 };
	struct vl_walk w5 = { .e = &pgd5, .n = 1, .levels = 5 };

	/* A PGD entry covers 512 GiB with 4 levels, 256 TiB with 5. */
	EXPECT_EQ(&e[0], vl_walk_find(&w, VMLAB_LEVEL_PGD, 0x7f0000001234));
	EXPECT_EQ(&pgd5, vl_walk_find(&w5, VMLAB_LEVEL_PGD, 0x7f0000001234));
	EXPECT_EQ(&e[2], vl_walk_find(&w, VMLAB_LEVEL_PMD, 0x7f0000001234));
	EXPECT_EQ(&e[3], vl_walk_find(&w, VMLAB_LEVEL_PTE, 0x7f0000001234));
	EXPECT_EQ(NULL, vl_walk_find(&w, VMLAB_LEVEL_PTE, 0x7f0000002000));
	EXPECT_EQ(&e[3], vl_walk_leaf(&w, 0x7f0000001fff));
	/* A PTE table without this PTE: no leaf. */
	EXPECT_EQ(NULL, vl_walk_leaf(&w, 0x7f0000000000));
	EXPECT_EQ(&e[4], vl_walk_leaf(&w, 0x7f00003fffff));
	EXPECT_EQ(NULL, vl_walk_leaf(&w, 0x7f0000400000));
}

/* The walker's errors that need no module: a bad range, another device. */
TEST(walk_errors)
{
	struct vl_walk w;
	int fd;

	EXPECT_EQ(-EINVAL, vl_walk(-1, 0, 0x2000, 0x1000, &w));
	vl_walk_free(&w);
	EXPECT_EQ(-EINVAL, vl_walk(-1, 0, 0x1000, 0x1000, &w));
	vl_walk_free(&w);
	fd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, vl_walk(fd, 0, 0x1000, 0x2000, &w));
	EXPECT_EQ(0, w.n);
	vl_walk_free(&w);
	close(fd);
}

TEST(kpf_names)
{
	uint64_t named = 0;
	unsigned int bit;
	char buf[1024];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kpf_table); i++) {
		bit = kpf_table[i].bit;
		ASSERT_NE(NULL, vl_kpf_name(bit));
		ASSERT_STREQ(kpf_table[i].name, vl_kpf_name(bit));
		ASSERT_EQ(kpf_table[i].code, vl_kpf_code(bit));
		named |= 1ULL << bit;
	}
	ASSERT_EQ(0x3ff07ffffffULL, named);

	/* Every bit round-trips through its name or its "bitN" form. */
	for (bit = 0; bit < VL_KPF_NBITS; bit++) {
		const char *name = vl_kpf_name(bit);
		char want[16];
		int len;

		len = vl_kpf_format(1ULL << bit, buf, sizeof(buf));
		if (!(named & (1ULL << bit))) {
			ASSERT_EQ(NULL, name);
			ASSERT_EQ(0, vl_kpf_code(bit));
			snprintf(want, sizeof(want), "bit%u", bit);
			ASSERT_STREQ(want, buf);
			continue;
		}
		ASSERT_EQ((int)strlen(name), len);
		ASSERT_STREQ(name, buf);
		ASSERT_EQ((int)bit, vl_kpf_parse_name(buf));
	}
	ASSERT_EQ(NULL, vl_kpf_name(VL_KPF_NBITS));
	ASSERT_EQ(0, vl_kpf_code(1000));

	ASSERT_EQ(VL_KPF_MAPPEDTODISK, vl_kpf_parse_name("mappedtodisk"));
	ASSERT_EQ(VL_KPF_IDLE, vl_kpf_parse_name("idle"));
	ASSERT_EQ(-1, vl_kpf_parse_name("nonsense"));
	ASSERT_EQ(-1, vl_kpf_parse_name(""));
	ASSERT_EQ(-1, vl_kpf_parse_name("Locked"));
	ASSERT_EQ(-1, vl_kpf_parse_name(NULL));

	ASSERT_EQ(0, vl_kpf_format(0, buf, sizeof(buf)));
	ASSERT_STREQ("", buf);
	ASSERT_LT(0, vl_kpf_format((1ULL << VL_KPF_LOCKED) |
				   (1ULL << VL_KPF_UPTODATE) |
				   (1ULL << VL_KPF_LRU) |
				   (1ULL << 30) |
				   (1ULL << VL_KPF_MLOCKED), buf,
				   sizeof(buf)));
	ASSERT_STREQ("locked,uptodate,lru,bit30,mlocked", buf);

	ASSERT_EQ(-ENOSPC, vl_kpf_format(named, buf, 20));
	ASSERT_EQ(19U, strlen(buf));
	ASSERT_STREQ("locked,error,refere", buf);
	ASSERT_EQ(-ENOSPC, vl_kpf_format(0, NULL, 0));
}

TEST(maps)
{
	size_t ps = page_size();
	struct vl_vma *vmas, vma;
	unsigned long prev = 0;
	bool stack = false;
	char *map, *shm, *mfd;
	size_t i, n;
	int fd;

	/* PROT_NONE pages around keep the middle mappings from merging. */
	map = map_pages(5, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + ps, 3 * ps, PROT_READ));
	ASSERT_EQ(0, mprotect(map + 2 * ps, ps, PROT_READ | PROT_WRITE));

	ASSERT_EQ(0, vl_maps_find(0, (unsigned long)map + 2 * ps + 100, &vma));
	ASSERT_EQ((unsigned long)map + 2 * ps, vma.start);
	ASSERT_EQ((unsigned long)map + 3 * ps, vma.end);
	ASSERT_STREQ("rw-p", vma.perms);
	ASSERT_EQ(0UL, vma.inode);
	ASSERT_STREQ("", vma.path);

	ASSERT_EQ(0, vl_maps_find(getpid(), (unsigned long)map + ps, &vma));
	ASSERT_EQ((unsigned long)map + ps, vma.start);
	ASSERT_EQ((unsigned long)map + 2 * ps, vma.end);
	ASSERT_STREQ("r--p", vma.perms);

	ASSERT_EQ(0, vl_maps_find(0, (unsigned long)map + 4 * ps, &vma));
	ASSERT_EQ((unsigned long)map + 4 * ps, vma.start);
	ASSERT_STREQ("---p", vma.perms);

	shm = map_pages(2, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shm);
	ASSERT_EQ(0, vl_maps_find(0, (unsigned long)shm, &vma));
	ASSERT_EQ((unsigned long)shm, vma.start);
	ASSERT_EQ((unsigned long)shm + 2 * ps, vma.end);
	ASSERT_STREQ("r--s", vma.perms);
	TH_LOG("shared anon: inode %lu path '%s'", vma.inode, vma.path);
	ASSERT_EQ(0, strncmp(vma.path, "/dev/zero", 9));

	fd = memfd_create("vltest", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 4 * ps));
	mfd = map_pages(2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 2 * ps);
	ASSERT_NE(MAP_FAILED, mfd);
	ASSERT_EQ(0, vl_maps_find(0, (unsigned long)mfd + ps, &vma));
	TH_LOG("memfd: %lx-%lx %s %llx %x:%x %lu '%s'", vma.start, vma.end,
	       vma.perms, vma.pgoff, vma.dev_major, vma.dev_minor, vma.inode,
	       vma.path);
	ASSERT_EQ((unsigned long)mfd, vma.start);
	ASSERT_STREQ("rw-s", vma.perms);
	ASSERT_EQ(2 * ps, vma.pgoff);
	ASSERT_NE(0UL, vma.inode);
	ASSERT_EQ(0, strncmp(vma.path, "/memfd:vltest", 13));

	ASSERT_EQ(0, vl_maps_read(0, &vmas, &n));
	ASSERT_LT(3U, n);
	for (i = 0; i < n; i++) {
		ASSERT_LT(vmas[i].start, vmas[i].end);
		ASSERT_LE(prev, vmas[i].start);
		prev = vmas[i].end;
		if (!strcmp(vmas[i].path, "[stack]"))
			stack = true;
	}
	ASSERT_TRUE(stack);
	free(vmas);

	munmap(mfd, 2 * ps);
	close(fd);
	munmap(shm, 2 * ps);
	munmap(map, 5 * ps);
	ASSERT_EQ(-ENOENT, vl_maps_find(0, (unsigned long)map + 2 * ps, &vma));
	ASSERT_EQ(-EINVAL, vl_maps_find(-1, (unsigned long)map, &vma));
}

TEST(smaps)
{
	size_t ps = page_size();
	char flags[256];
	long long kb;
	char *map;

	map = map_pages(NPAGES, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[0] = 1;
	map[2 * ps] = 1;

	ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)map, "Size", &kb));
	ASSERT_EQ(page_kb(NPAGES), kb);
	ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)map, "Rss", &kb));
	ASSERT_EQ(page_kb(2), kb);
	ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)map, "Pss", &kb));
	ASSERT_EQ(page_kb(2), kb);
	ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)map, "Private_Dirty",
				    &kb));
	ASSERT_EQ(page_kb(2), kb);
	ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)map, "Shared_Clean",
				    &kb));
	ASSERT_EQ(0, kb);
	ASSERT_EQ(0, vl_smaps_field(getpid(), (unsigned long)map, "Anonymous",
				    &kb));
	ASSERT_EQ(page_kb(2), kb);
	ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)map, "AnonHugePages",
				    &kb));
	ASSERT_EQ(0, kb);
	ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)map, "Locked", &kb));
	ASSERT_EQ(0, kb);

	ASSERT_EQ(0, vl_smaps_vmflags(0, (unsigned long)map, flags,
				      sizeof(flags)));
	TH_LOG("VmFlags: '%s'", flags);
	ASSERT_EQ(0, strncmp(flags, "rd wr ", 6));
	/* map_pages()' MADV_NOHUGEPAGE; without THP it fails (EINVAL), sets nothing. */
	ASSERT_EQ(!access("/sys/kernel/mm/transparent_hugepage", F_OK), has_vmflag(flags, "nh"));
	ASSERT_FALSE(has_vmflag(flags, "sh"));
	ASSERT_FALSE(has_vmflag(flags, "lo"));
	ASSERT_NE(' ', flags[strlen(flags) - 1]);
	ASSERT_EQ(-ENOSPC, vl_smaps_vmflags(0, (unsigned long)map, flags, 3));

	ASSERT_EQ(-ENOENT, vl_smaps_field(0, (unsigned long)map, "NoSuchField",
					  &kb));
	/* A field name must match whole, up to its colon. */
	ASSERT_EQ(-ENOENT, vl_smaps_field(0, (unsigned long)map, "Rs", &kb));
	ASSERT_EQ(-ENOENT, vl_smaps_field(0, (unsigned long)map + ps, "Rss",
					  &kb));
	munmap(map, NPAGES * ps);
	ASSERT_EQ(-ENOENT, vl_smaps_field(0, (unsigned long)map, "Rss", &kb));
}

TEST(status_vmlck)
{
	size_t ps = page_size();
	long long before, after, rss;
	char flags[256];
	char *map;

	map = map_pages(NPAGES, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);

	ASSERT_EQ(0, vl_status_field(0, "VmLck", &before));
	if (mlock(map, NPAGES * ps))
		SKIP(return, "mlock: %s", strerror(errno));
	ASSERT_EQ(0, vl_status_field(getpid(), "VmLck", &after));
	TH_LOG("VmLck %lld kB -> %lld kB", before, after);
	ASSERT_EQ(before + page_kb(NPAGES), after);
	ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)map, "Locked", &after));
	ASSERT_EQ(page_kb(NPAGES), after);
	ASSERT_EQ(0, vl_smaps_vmflags(0, (unsigned long)map, flags,
				      sizeof(flags)));
	ASSERT_TRUE(has_vmflag(flags, "lo"));

	ASSERT_EQ(0, munlock(map, NPAGES * ps));
	ASSERT_EQ(0, vl_status_field(0, "VmLck", &after));
	ASSERT_EQ(before, after);

	ASSERT_EQ(0, vl_status_field(0, "VmRSS", &rss));
	ASSERT_LT(0, rss);
	ASSERT_EQ(-ENOENT, vl_status_field(0, "NoSuchField", &rss));
	ASSERT_EQ(-ENOENT, vl_status_field(0, "VmLc", &rss));
	ASSERT_EQ(-EINVAL, vl_status_field(0, "Name", &rss));
	ASSERT_EQ(-EINVAL, vl_status_field(-1, "VmRSS", &rss));
	munmap(map, NPAGES * ps);
}

TEST(meminfo)
{
	long long total, free_kb, hp;

	ASSERT_EQ(0, vl_meminfo_field("MemTotal", &total));
	ASSERT_EQ(0, vl_meminfo_field("MemFree", &free_kb));
	TH_LOG("MemTotal %lld kB, MemFree %lld kB", total, free_kb);
	ASSERT_LT(0, total);
	ASSERT_LE(free_kb, total);
	ASSERT_EQ(0, vl_meminfo_field("HugePages_Free", &hp));
	ASSERT_LE(0, hp);
	ASSERT_EQ(-ENOENT, vl_meminfo_field("NoSuchField", &hp));
}

TEST(files)
{
	char *text;

	ASSERT_EQ(0, vl_read_text("/proc/self/status", &text));
	ASSERT_NE(NULL, strstr(text, "\nVmRSS:"));
	free(text);
	/* Bigger than the first buffer of vl_read_text(). */
	ASSERT_EQ(0, vl_read_text("/proc/self/smaps", &text));
	ASSERT_LT(4096U, strlen(text));
	free(text);
	ASSERT_EQ(-ENOENT, vl_read_text("/nonexistent/file", &text));

	ASSERT_EQ(0, vl_write_file("/proc/self/clear_refs", "1"));
	ASSERT_EQ(-EINVAL, vl_write_file("/proc/self/clear_refs", "99"));
	ASSERT_EQ(-ENOENT, vl_write_file("/nonexistent/file", "1"));
}

/* Counters file contents against what parsing them must give. */
#define NAME47	"abcdefghijklmnopqrstuvwxyz_0123456789_abcdefghi"

FIXTURE(counters) {
	struct vl_counters c;
};

FIXTURE_VARIANT(counters) {
	const char *text;
	int ret;
	size_t n;
	const char *name;	/* the last counter */
	uint64_t value;
};

FIXTURE_VARIANT_ADD(counters, empty) {
	.text = "", .ret = 0, .n = 0,
};

FIXTURE_VARIANT_ADD(counters, two) {
	.text = "faults 12\nmkwrite_2 0\n", .ret = 0, .n = 2,
	.name = "mkwrite_2", .value = 0,
};

FIXTURE_VARIANT_ADD(counters, no_final_newline) {
	.text = "a 1\nb 2", .ret = 0, .n = 2, .name = "b", .value = 2,
};

FIXTURE_VARIANT_ADD(counters, max_value) {
	.text = "big 18446744073709551615\n", .ret = 0, .n = 1,
	.name = "big", .value = UINT64_MAX,
};

FIXTURE_VARIANT_ADD(counters, longest_name) {
	.text = NAME47 " 7\n", .ret = 0, .n = 1, .name = NAME47, .value = 7,
};

FIXTURE_VARIANT_ADD(counters, overflow) {
	.text = "big 18446744073709551616\n", .ret = -ERANGE,
};

FIXTURE_VARIANT_ADD(counters, name_too_long) {
	.text = NAME47 "x 7\n", .ret = -ENAMETOOLONG,
};

FIXTURE_VARIANT_ADD(counters, upper_case) {
	.text = "Faults 1\n", .ret = -EINVAL,
};

FIXTURE_VARIANT_ADD(counters, negative) {
	.text = "faults -1\n", .ret = -EINVAL,
};

FIXTURE_VARIANT_ADD(counters, no_value) {
	.text = "faults ", .ret = -EINVAL,
};

FIXTURE_VARIANT_ADD(counters, two_spaces) {
	.text = "faults  1\n", .ret = -EINVAL,
};

FIXTURE_VARIANT_ADD(counters, trailing_junk) {
	.text = "faults 1x\n", .ret = -EINVAL,
};

FIXTURE_VARIANT_ADD(counters, empty_line) {
	.text = "a 1\n\nb 2\n", .ret = -EINVAL,
};

FIXTURE_VARIANT_ADD(counters, duplicate) {
	.text = "a 1\na 2\n", .ret = -EINVAL,
};

FIXTURE_SETUP(counters)
{
}

FIXTURE_TEARDOWN(counters)
{
}

TEST_F(counters, parse)
{
	uint64_t value;

	ASSERT_EQ(variant->ret, vl_counters_parse(variant->text, &self->c));
	ASSERT_EQ(variant->n, self->c.n);
	if (!variant->n)
		return;
	ASSERT_STREQ(variant->name, self->c.c[self->c.n - 1].name);
	ASSERT_EQ(0, vl_counter_get(&self->c, variant->name, &value));
	ASSERT_EQ(variant->value, value);
	ASSERT_EQ(-ENOENT, vl_counter_get(&self->c, "absent", &value));
}

/* vmas listings against what parsing them must give: the current format and the old one. */
FIXTURE(vmas_listing) {
	struct vl_vma_row *rows;
	size_t n;
};

FIXTURE_VARIANT(vmas_listing) {
	const char *text;
	int ret;
	size_t n;
	struct vl_vma_row last;
};

FIXTURE_VARIANT_ADD(vmas_listing, header_only) {
	.text = "pid start end type flags pgoff\n", .ret = 0, .n = 0,
};

FIXTURE_VARIANT_ADD(vmas_listing, two) {
	.text = "pid start end type flags pgoff\n"
		"12 7f0000000000 7f0000001000 shared fb 0\n"
		"13 7f0000200000 7f0000400000 huge 100400fb 200\n",
	.ret = 0, .n = 2,
	.last = { .pid = 13, .start = 0x7f0000200000UL, .end = 0x7f0000400000UL,
		  .type = "huge", .flags = 0x100400fbUL, .pgoff = 0x200 },
};

/* Before issue 13 the module printed a faults column: ignored. */
FIXTURE_VARIANT_ADD(vmas_listing, old_faults_column) {
	.text = "pid start end type flags pgoff faults\n"
		"12 7f0000000000 7f0000001000 private_anon 73 3 42\n",
	.ret = 0, .n = 1,
	.last = { .pid = 12, .start = 0x7f0000000000UL, .end = 0x7f0000001000UL,
		  .type = "private_anon", .flags = 0x73, .pgoff = 3 },
};

FIXTURE_VARIANT_ADD(vmas_listing, no_pgoff_column) {
	.text = "pid start end type flags\n12 1000 2000 shared fb\n", .ret = -EPROTO,
};

FIXTURE_VARIANT_ADD(vmas_listing, short_line) {
	.text = "pid start end type flags pgoff\n12 1000 2000 shared fb\n", .ret = -EPROTO,
};

FIXTURE_SETUP(vmas_listing)
{
	self->rows = NULL;
}

FIXTURE_TEARDOWN(vmas_listing)
{
	free(self->rows);
}

TEST_F(vmas_listing, parse)
{
	const struct vl_vma_row *r;

	ASSERT_EQ(variant->ret, vl_vmas_parse(variant->text, &self->rows, &self->n));
	if (variant->ret)
		return;
	ASSERT_EQ(variant->n, self->n);
	if (!variant->n)
		return;
	r = &self->rows[self->n - 1];
	EXPECT_EQ(variant->last.pid, r->pid);
	EXPECT_EQ(variant->last.start, r->start);
	EXPECT_EQ(variant->last.end, r->end);
	EXPECT_STREQ(variant->last.type, r->type);
	EXPECT_EQ(variant->last.flags, r->flags);
	EXPECT_EQ(variant->last.pgoff, r->pgoff);
}

TEST(counters_many)
{
	struct vl_counters *c = malloc(sizeof(*c));
	size_t len = 0, i;
	char *text;

	ASSERT_NE(NULL, c);
	text = malloc(32 * (VL_COUNTERS_MAX + 1));
	ASSERT_NE(NULL, text);
	for (i = 0; i < VL_COUNTERS_MAX; i++)
		len += sprintf(text + len, "c%zu %zu\n", i, i * 3);
	ASSERT_EQ(0, vl_counters_parse(text, c));
	ASSERT_EQ((size_t)VL_COUNTERS_MAX, c->n);
	ASSERT_STREQ("c255", c->c[255].name);
	ASSERT_EQ(765U, c->c[255].value);
	sprintf(text + len, "one_more 1\n");
	ASSERT_EQ(-E2BIG, vl_counters_parse(text, c));
	free(text);
	free(c);
}

TEST(counter_delta)
{
	struct vl_counters before, after;

	ASSERT_EQ(0, vl_counters_parse("faults 10\nwrites 7\nold 1\n", &before));
	ASSERT_EQ(0, vl_counters_parse("faults 15\nwrites 4\nnew 1\n", &after));
	ASSERT_EQ(5, vl_counter_delta(&before, &after, "faults"));
	ASSERT_EQ(-3, vl_counter_delta(&before, &after, "writes"));
	ASSERT_EQ(VL_COUNTER_MISSING, vl_counter_delta(&before, &after, "old"));
	ASSERT_EQ(VL_COUNTER_MISSING, vl_counter_delta(&before, &after, "new"));
	ASSERT_EQ(0, vl_counter_delta(&before, &before, "old"));
}

/*
 * Make vmlab's device and debugfs files vanish for this test process (a
 * child of the harness): empty tmpfs over /dev and /sys/kernel/debug in a
 * mount namespace of its own.  Needs CAP_SYS_ADMIN.
 */
static int hide_vmlab(void)
{
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mount("none", "/dev", "tmpfs", 0, NULL))
		return -errno;
	if (access(VMLAB_DEBUGFS_PATH, F_OK) == 0 &&
	    mount("none", "/sys/kernel/debug", "tmpfs", 0, NULL))
		return -errno;
	return 0;
}

TEST(device_no_module)
{
	struct vmlab_info info;
	int fd;

	ASSERT_STREQ("store", vl_kind_name(VMLAB_KIND_STORE));
	ASSERT_STREQ("anon", vl_kind_name(VMLAB_KIND_ANON));
	ASSERT_STREQ("huge", vl_kind_name(VMLAB_KIND_HUGE));
	ASSERT_STREQ("unknown", vl_kind_name(VL_NR_KINDS));

	ASSERT_EQ(-EBADF, vl_select(-1, VMLAB_KIND_ANON, -1));
	ASSERT_EQ(-EBADF, vl_info(-1, &info));
	errno = 0;
	ASSERT_EQ(MAP_FAILED, vl_map(-1, VMLAB_KIND_ANON, page_size(),
				     PROT_READ, MAP_PRIVATE, 0));
	ASSERT_EQ(EBADF, errno);

	/* Another device rejects the ioctls. */
	fd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-ENOTTY, vl_info(fd, &info));
	close(fd);

	if (access(VMLAB_DEVICE_PATH, F_OK) == 0 && hide_vmlab())
		SKIP(return, "%s exists and cannot be hidden: run as root", VMLAB_DEVICE_PATH);
	ASSERT_EQ(-ENOENT, vl_open(O_RDWR));
}

TEST(counters_no_module)
{
	struct vl_counters *c = malloc(sizeof(*c));

	ASSERT_NE(NULL, c);
	if (access(VL_COUNTERS_PATH, F_OK) == 0 && hide_vmlab())
		SKIP(return, "%s exists and cannot be hidden: run as root", VL_COUNTERS_PATH);
	ASSERT_EQ(-ENOENT, vl_counters_read(c));
	free(c);
}

TEST_HARNESS_MAIN
