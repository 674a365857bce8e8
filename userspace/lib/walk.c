// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table walker (VMLAB_IOC_WALK): a whole range's entries, and
 * their decoding into names for tables and JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "device.h"
#include "walk.h"

#define BIT64(n)	(UINT64_C(1) << (n))

int vl_walk_each(int fd, pid_t pid, uint64_t start, uint64_t end,
		 unsigned int *levels, vl_walk_fn fn, void *arg)
{
	uint64_t seen[VMLAB_LEVEL_PTE];
	struct vmlab_walk_entry *buf;
	struct vmlab_walk req;
	uint64_t pos = start;
	int own = -1;
	int ret = 0;
	uint32_t i;

	if (levels)
		*levels = 0;
	if (!fn || start >= end)
		return -EINVAL;
	if (fd < 0) {
		own = vl_open(O_RDWR | O_CLOEXEC);
		if (own < 0)
			return own;
		fd = own;
	}
	buf = calloc(VMLAB_WALK_MAX_ENTRIES, sizeof(*buf));
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	memset(seen, 0xff, sizeof(seen));
	while (pos < end) {
		memset(&req, 0, sizeof(req));
		req.pid = pid;
		req.start = pos;
		req.end = end;
		req.entries = (uintptr_t)buf;
		req.nr_entries = VMLAB_WALK_MAX_ENTRIES;
		if (ioctl(fd, VMLAB_IOC_WALK, &req) < 0) {
			ret = -errno;
			goto out;
		}
		if (levels)
			*levels = req.levels;
		for (i = 0; i < req.nr_entries && i < VMLAB_WALK_MAX_ENTRIES; i++) {
			const struct vmlab_walk_entry *e = &buf[i];

			if (e->level < VMLAB_LEVEL_PTE) {
				/* Reported already, before the walk resumed. */
				if (seen[e->level] == e->addr)
					continue;
				seen[e->level] = e->addr;
			}
			ret = fn(e, arg);
			if (ret)
				goto out;
		}
		/* A walk that ends early resumes past where it began. */
		if (req.next < end && req.next <= pos) {
			ret = -EIO;
			goto out;
		}
		pos = req.next;
	}
out:
	free(buf);
	if (own >= 0)
		close(own);
	return ret;
}

static int walk_append(const struct vmlab_walk_entry *e, void *arg)
{
	struct vl_walk *w = arg;
	struct vmlab_walk_entry *grown;
	size_t cap = w->n;

	/* Grow by doubling: the capacity is the next power of two from n. */
	if (!(cap & (cap - 1))) {
		grown = realloc(w->e, (cap ? cap * 2 : 64) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		w->e = grown;
	}
	w->e[w->n++] = *e;
	return 0;
}

int vl_walk(int fd, pid_t pid, uint64_t start, uint64_t end, struct vl_walk *out)
{
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->start = start & ~UINT64_C(4095);
	out->end = (end + 4095) & ~UINT64_C(4095);
	return vl_walk_each(fd, pid, start, end, &out->levels, walk_append, out);
}

void vl_walk_free(struct vl_walk *w)
{
	if (!w)
		return;
	free(w->e);
	memset(w, 0, sizeof(*w));
}

unsigned int vl_walk_level_shift(unsigned int level, unsigned int levels)
{
	switch (level) {
	case VMLAB_LEVEL_PGD:
		return levels == 5 ? 48 : 39;
	case VMLAB_LEVEL_P4D:
		return 39;
	case VMLAB_LEVEL_PUD:
		return 30;
	case VMLAB_LEVEL_PMD:
		return 21;
	case VMLAB_LEVEL_PTE:
		return 12;
	default:
		return 0;
	}
}

const struct vmlab_walk_entry *vl_walk_find(const struct vl_walk *w, unsigned int level,
					    uint64_t addr)
{
	unsigned int shift = vl_walk_level_shift(level, w ? w->levels : 4);
	size_t i;

	if (!w || !shift)
		return NULL;
	addr &= ~(BIT64(shift) - 1);
	for (i = 0; i < w->n; i++)
		if (w->e[i].level == level && w->e[i].addr == addr)
			return &w->e[i];
	return NULL;
}

const struct vmlab_walk_entry *vl_walk_leaf(const struct vl_walk *w, uint64_t addr)
{
	const struct vmlab_walk_entry *e;
	int level;

	for (level = VMLAB_LEVEL_PTE; level >= VMLAB_LEVEL_PGD; level--) {
		e = vl_walk_find(w, level, addr);
		if (e)
			return e->what == VMLAB_WHAT_TABLE ? NULL : e;
	}
	return NULL;
}

const char *vl_walk_level_name(unsigned int level)
{
	static const char *const names[VL_WALK_NR_LEVELS] = {
		[VMLAB_LEVEL_PGD] = "PGD",
		[VMLAB_LEVEL_P4D] = "P4D",
		[VMLAB_LEVEL_PUD] = "PUD",
		[VMLAB_LEVEL_PMD] = "PMD",
		[VMLAB_LEVEL_PTE] = "PTE",
	};

	return level < VL_WALK_NR_LEVELS ? names[level] : "?";
}

const char *vl_walk_what_name(unsigned int what)
{
	static const char *const names[VL_WALK_NR_WHAT] = {
		[VMLAB_WHAT_TABLE] = "table",
		[VMLAB_WHAT_ZERO] = "zero",
		[VMLAB_WHAT_ANON] = "anon",
		[VMLAB_WHAT_FILE] = "file",
		[VMLAB_WHAT_HUGETLB] = "hugetlb",
		[VMLAB_WHAT_KSM] = "ksm",
		[VMLAB_WHAT_PAGE] = "page",
		[VMLAB_WHAT_PFN] = "pfn",
		[VMLAB_WHAT_SWAP] = "swap",
	};

	return what < VL_WALK_NR_WHAT ? names[what] : "?";
}

/* The names of the VMLAB_E_* bits, by bit number. */
static const char *const bit_names[64] = {
	[0] = "present",
	[1] = "rw",
	[2] = "user",
	[3] = "pwt",
	[4] = "pcd",
	[5] = "accessed",
	[6] = "dirty",
	[7] = "pse",
	[8] = "global",
	[9] = "pat",
	[10] = "nx",
	[11] = "protnone",
	[16] = "leaf",
	[17] = "folded",
	[18] = "write",
	[19] = "kdirty",
	[20] = "special",
	[21] = "soft_dirty",
	[22] = "devmap",
	[23] = "uffd_wp",
	[24] = "swap",
	[25] = "migration",
	[26] = "migration_write",
	[27] = "hwpoison",
	[28] = "device_private",
	[29] = "marker",
	[30] = "exclusive",
};

const char *vl_walk_bit_name(unsigned int bit)
{
	return bit < 64 ? bit_names[bit] : NULL;
}

uint64_t vl_walk_bit_parse(const char *name)
{
	unsigned int bit;

	if (!name)
		return 0;
	for (bit = 0; bit < 64; bit++)
		if (bit_names[bit] && !strcmp(bit_names[bit], name))
			return BIT64(bit);
	return 0;
}

char *vl_walk_letters(uint64_t bits, char *buf)
{
	static const struct {
		uint64_t bit;
		char letter;
	} places[VL_WALK_LETTERS - 1] = {
		{ VMLAB_E_PRESENT, 'P' }, { VMLAB_E_RW, 'W' }, { VMLAB_E_USER, 'U' },
		{ VMLAB_E_PWT, 't' }, { VMLAB_E_PCD, 'c' }, { VMLAB_E_ACCESSED, 'A' },
		{ VMLAB_E_DIRTY, 'D' }, { VMLAB_E_PSE, 'H' }, { VMLAB_E_GLOBAL, 'G' },
		{ VMLAB_E_PAT, 'T' }, { VMLAB_E_NX, 'N' },
	};
	size_t i;

	for (i = 0; i < VL_WALK_LETTERS - 1; i++)
		buf[i] = (bits & places[i].bit) ? places[i].letter : '-';
	if (!(bits & VMLAB_E_PRESENT) && (bits & VMLAB_E_PROTNONE))
		buf[0] = 'n';
	buf[VL_WALK_LETTERS - 1] = '\0';
	return buf;
}

/* Append printf text at *pos of @buf; note truncation in *trunc. */
static void walk_append_text(char *buf, size_t len, size_t *pos, bool *trunc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos >= len) {
		*trunc = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *pos) {
		*trunc = true;
		*pos = len;
		return;
	}
	*pos += n;
}

static int walk_text_end(char *buf, size_t len, size_t pos, bool trunc)
{
	if (!len)
		return -ENOSPC;
	if (trunc) {
		buf[len - 1] = '\0';
		return -ENOSPC;
	}
	buf[pos] = '\0';
	return (int)pos;
}

int vl_walk_bits_format(uint64_t bits, uint64_t mask, const char *sep, char *buf, size_t len)
{
	bool trunc = false;
	size_t pos = 0;
	unsigned int bit;

	if (!buf)
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	bits &= mask;
	for (bit = 0; bit < 64; bit++) {
		if (!(bits & BIT64(bit)))
			continue;
		if (bit_names[bit])
			walk_append_text(buf, len, &pos, &trunc, "%s%s", pos ? sep : "",
					 bit_names[bit]);
		else
			walk_append_text(buf, len, &pos, &trunc, "%sbit%u", pos ? sep : "", bit);
	}
	return walk_text_end(buf, len, pos, trunc);
}

int vl_walk_bits_diff(uint64_t old, uint64_t new, uint64_t mask, char *buf, size_t len)
{
	uint64_t changed = (old ^ new) & mask;
	bool trunc = false;
	size_t pos = 0;
	unsigned int bit;
	char name[16];

	if (!buf)
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	for (bit = 0; bit < 64; bit++) {
		if (!(changed & BIT64(bit)))
			continue;
		if (bit_names[bit])
			snprintf(name, sizeof(name), "%s", bit_names[bit]);
		else
			snprintf(name, sizeof(name), "bit%u", bit);
		walk_append_text(buf, len, &pos, &trunc, "%s%c%s", pos ? " " : "",
				 (new & BIT64(bit)) ? '+' : '-', name);
	}
	return walk_text_end(buf, len, pos, trunc);
}

int vl_walk_swap_format(const struct vmlab_walk_entry *e, char *buf, size_t len)
{
	const char *kind = NULL;
	bool trunc = false;
	size_t pos = 0;

	if (!e || !buf)
		return -EINVAL;
	if (e->what != VMLAB_WHAT_SWAP)
		return walk_text_end(buf, len, 0, false);
	if (e->bits & VMLAB_E_SWAP)
		walk_append_text(buf, len, &pos, &trunc, "swap type %u offset 0x%llx",
				 e->swap_type, (unsigned long long)e->swap_offset);
	else if (e->bits & VMLAB_E_MIGRATION)
		kind = "migration";
	else if (e->bits & VMLAB_E_HWPOISON)
		kind = "hwpoison";
	else if (e->bits & VMLAB_E_DEVICE_PRIVATE)
		kind = "device-private";
	else if (e->bits & VMLAB_E_MARKER)
		walk_append_text(buf, len, &pos, &trunc, "marker 0x%llx",
				 (unsigned long long)e->swap_offset);
	else
		walk_append_text(buf, len, &pos, &trunc, "type %u offset 0x%llx",
				 e->swap_type, (unsigned long long)e->swap_offset);
	if (kind)
		walk_append_text(buf, len, &pos, &trunc, "%s pfn 0x%llx%s", kind,
				 (unsigned long long)e->swap_offset,
				 (e->bits & VMLAB_E_MIGRATION_WRITE) ? " (write)" : "");
	return walk_text_end(buf, len, pos, trunc);
}

int vl_walk_describe(const struct vmlab_walk_entry *e, char *buf, size_t len)
{
	bool trunc = false;
	size_t pos = 0;

	if (!e || !buf)
		return -EINVAL;
	switch (e->what) {
	case VMLAB_WHAT_SWAP:
		return vl_walk_swap_format(e, buf, len);
	case VMLAB_WHAT_ZERO:
		walk_append_text(buf, len, &pos, &trunc, "%s",
				 e->level == VMLAB_LEVEL_PTE ? "zero page" : "huge zero page");
		break;
	case VMLAB_WHAT_FILE:
		walk_append_text(buf, len, &pos, &trunc, "file %u:%u ino %llu",
				 VL_WALK_DEV_MAJOR(e->dev), VL_WALK_DEV_MINOR(e->dev),
				 (unsigned long long)e->ino);
		break;
	default:
		walk_append_text(buf, len, &pos, &trunc, "%s", vl_walk_what_name(e->what));
		break;
	}
	if (e->order && (e->what == VMLAB_WHAT_ANON || e->what == VMLAB_WHAT_FILE))
		walk_append_text(buf, len, &pos, &trunc, " thp order %u", e->order);
	else if (e->order && e->what != VMLAB_WHAT_TABLE && e->what != VMLAB_WHAT_ZERO)
		walk_append_text(buf, len, &pos, &trunc, " order %u", e->order);
	return walk_text_end(buf, len, pos, trunc);
}
