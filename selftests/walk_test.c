// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: the page-table walker, VMLAB_IOC_WALK.
 *
 * kinds: each mapping type beside its native twin (the twins of
 * kinds_test, huge_test and thp_test: a memfd, MAP_ANONYMOUS, an
 * MFD_HUGETLB memfd, a file of a tmpfs mounted huge=always, and for the
 * store with backing= a file of ext4 over a loop device), driven through
 * the same steps (read, write, clear_refs, write-back).  After each step
 * the walker's entry of the page the step acted on must carry the bits the
 * step produces, agree with pagemap (PFN; soft-dirty once clear_refs has
 * cleared the VMAs' own soft-dirty flag) and with /proc/self/maps (the
 * file), and equal the twin's entry, bit for bit, but where the README
 * documents a difference: then the twin's entry is checked against what
 * the native mapping does, and the README line is named.  Every walk is
 * also checked for its structure: levels, address order, each entry under
 * the table entry above it, table PFNs.
 *
 * shape, shared_table: the upper levels, 4- or 5-level paging, the tables
 * VMAs share.  resume, full_array_is_not_the_end, max_entries,
 * sparse_1tib, other_process: how a walk goes on at next, how much one call
 * returns, a sparse range, another process.  bad: each bad input and its
 * errno (the uapi header's list).  race: walks of a range while other
 * threads map, unmap, zap, protect and collapse it, and of a process that
 * exits meanwhile: each walk returns 0 (or ESRCH once the process is
 * gone) and well-formed entries, and the kernel reports nothing
 * (scripts/vm-run fails the run on a report; in the debug guest, KASAN
 * and lockdep watch).
 *
 * Needs root and vmlab loaded; the variants that load vmlab with module
 * parameters run only in the vm-run guests (VMLAB_KO set); the huge kind
 * needs two free 2 MiB pages in the pool; the store with backing= needs
 * ext4 and the loop driver for its twin.  Uses store pages from
 * STORE_OFF on, which no other test program uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include "kselftest_harness.h"
#include "vmlab_ksft.h"
#include "vmlab_uapi.h"
#include "debugfs.h"
#include "device.h"
#include "kmodule.h"
#include "pagemap.h"
#include "procfs.h"
#include "touch.h"

#define PS		4096UL
#define MB		(1024UL * 1024)
#define HPAGE		(2 * MB)
#define RESERVE		(8 * MB)	/* the PROT_NONE area a region sits in */
#define SMALL_OFF	(64 * 1024UL)	/* a small region's offset from 2 MiB */
#define NPAGES		8		/* pages of a small region */
#define STORE_OFF	(48 * MB)	/* the default store's pages of this program */
#define SMALL_STORE	(4 * MB)	/* store_size of the reloads */
#define BACKED_OFF	MB		/* the region's offset in the small store */

#define BACKING_PATH	"/tmp/vmlab-walk-backing"
#define EXT4_DIR	"/tmp/vmlab-walk-ext4"
#define EXT4_IMAGE	"/tmp/vmlab-walk-ext4.img"
#define THP_DIR		"/tmp/vmlab-walk-thp"
#define THP_SYSFS	"/sys/kernel/mm/transparent_hugepage"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/* The bits, in short. */
#define B(x)		VMLAB_E_##x
#define LEAF_P		(B(PRESENT) | B(USER) | B(LEAF))
#define WRITABLE	(B(RW) | B(WRITE))
#define DIRTY		(B(DIRTY) | B(KDIRTY))

static const char *const level_names[] = { "PGD", "P4D", "PUD", "PMD", "PTE" };
static const char *const what_names[] = {
	"table", "zero", "anon", "file", "hugetlb", "ksm", "page", "pfn", "swap",
};

static const struct {
	uint64_t bit;
	const char *name;
} bit_names[] = {
	{ B(PRESENT), "present" }, { B(RW), "rw" }, { B(USER), "user" }, { B(PWT), "pwt" },
	{ B(PCD), "pcd" }, { B(ACCESSED), "accessed" }, { B(DIRTY), "dirty" },
	{ B(PSE), "pse" }, { B(GLOBAL), "global" }, { B(PAT), "pat" }, { B(NX), "nx" },
	{ B(PROTNONE), "protnone" }, { B(LEAF), "leaf" }, { B(FOLDED), "folded" },
	{ B(WRITE), "write" }, { B(KDIRTY), "kdirty" }, { B(SPECIAL), "special" },
	{ B(SOFT_DIRTY), "soft-dirty" }, { B(DEVMAP), "devmap" }, { B(UFFD_WP), "uffd-wp" },
	{ B(SWAP), "swap" }, { B(MIGRATION), "migration" },
	{ B(MIGRATION_WRITE), "migration-write" }, { B(HWPOISON), "hwpoison" },
	{ B(DEVICE_PRIVATE), "device-private" }, { B(MARKER), "marker" },
	{ B(EXCLUSIVE), "exclusive" },
};

static int bits_format(uint64_t bits, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i < ARRAY_SIZE(bit_names) && n < len; i++)
		if (bits & bit_names[i].bit)
			n += snprintf(buf + n, len - n, "%s%s", n ? " " : "", bit_names[i].name);
	return (int)n;
}

static const char *level_name(unsigned int level)
{
	return level < ARRAY_SIZE(level_names) ? level_names[level] : "?";
}

static const char *what_name(unsigned int what)
{
	return what < ARRAY_SIZE(what_names) ? what_names[what] : "?";
}

/* One entry on one line: level, address, raw value, PFN, what, order, bits. */
static const char *entry_str(const struct vmlab_walk_entry *e, char *buf, size_t len)
{
	char bits[256];

	if (!e) {
		snprintf(buf, len, "(no entry)");
		return buf;
	}
	bits_format(e->bits, bits, sizeof(bits));
	/* Cut short where @buf ends (and said so to the compiler). */
	if (snprintf(buf, len, "%s %#llx raw %#018llx pfn %#llx %s order %u ino %llu dev %#x [%s]",
		     level_name(e->level), (unsigned long long)e->addr,
		     (unsigned long long)e->raw, (unsigned long long)e->pfn, what_name(e->what),
		     e->order, (unsigned long long)e->ino, e->dev, bits) >= (int)len)
		buf[len - 1] = 0;
	return buf;
}

/* ------------------------------------------------------------------ */
/* Walking */

/* One VMLAB_IOC_WALK on @fd: 0 or -errno. */
static int walk_once(int fd, struct vmlab_walk *req)
{
	return ioctl(fd, VMLAB_IOC_WALK, req) ? -errno : 0;
}

/* What a whole walk found: each entry once, in the order reported. */
struct walk {
	struct vmlab_walk_entry *e;
	unsigned int n, room;
	unsigned int levels;
	unsigned int calls;
};

static void walk_free(struct walk *w)
{
	free(w->e);
	memset(w, 0, sizeof(*w));
}

/* Walking made no progress: a call returned @next equal to where it started. */
#define WALK_STUCK	10000

/*
 * Walk [@start, @end) of process @pid whole, @per_call entries a call,
 * resuming at each call's @next; an upper entry reported again on resume
 * is kept once.  At most @max_calls calls.  Return: 0, -errno of a call,
 * -WALK_STUCK, or -E2BIG when @max_calls did not finish it.
 */
static int walk_range(int fd, pid_t pid, uint64_t start, uint64_t end, unsigned int per_call,
		      unsigned int max_calls, struct walk *w)
{
	struct vmlab_walk_entry *buf = calloc(per_call ? per_call : 1, sizeof(*buf));
	int last[VMLAB_LEVEL_PTE + 1];
	uint64_t at = start;
	unsigned int i;
	int ret = 0;

	memset(w, 0, sizeof(*w));
	if (!buf)
		return -ENOMEM;
	for (i = 0; i <= VMLAB_LEVEL_PTE; i++)
		last[i] = -1;
	while (!ret) {
		struct vmlab_walk req = {
			.pid = pid, .start = at, .end = end,
			.entries = (uintptr_t)buf, .nr_entries = per_call,
		};

		if (w->calls == max_calls) {
			ret = -E2BIG;
			break;
		}
		ret = walk_once(fd, &req);
		w->calls++;
		if (ret)
			break;
		w->levels = req.levels;
		for (i = 0; i < req.nr_entries; i++) {
			const struct vmlab_walk_entry *e = &buf[i];

			if (e->level <= VMLAB_LEVEL_PTE && last[e->level] >= 0 &&
			    w->e[last[e->level]].addr == e->addr)
				continue;	/* reported again on resume */
			if (w->n == w->room) {
				void *p = realloc(w->e, (w->room * 2 + 64) * sizeof(*buf));

				if (!p) {
					ret = -ENOMEM;
					break;
				}
				w->e = p;
				w->room = w->room * 2 + 64;
			}
			w->e[w->n] = *e;
			if (e->level <= VMLAB_LEVEL_PTE)
				last[e->level] = (int)w->n;
			w->n++;
		}
		if (ret || req.next == end)
			break;
		if (req.next <= at || req.next > end) {
			ret = -WALK_STUCK;
			break;
		}
		at = req.next;
	}
	free(buf);
	return ret;
}

static const char *walk_err(int ret)
{
	return ret == -WALK_STUCK ? "the walk made no progress (next == start)" :
	       ret == -E2BIG ? "the walk did not finish in the calls allowed" : strerror(-ret);
}

/* log2 of the span of an entry at @level, with @levels paging levels. */
static unsigned int level_shift(unsigned int levels, unsigned int level)
{
	static const unsigned int shift[] = { 48, 39, 30, 21, 12 };

	if (level == VMLAB_LEVEL_PGD && levels == 4)
		return 39;
	return shift[level];
}

static uint64_t level_span(unsigned int levels, unsigned int level)
{
	return 1ULL << level_shift(levels, level);
}

static bool is_leaf(const struct vmlab_walk_entry *e)
{
	return e->what != VMLAB_WHAT_TABLE;
}

/* The leaf (or non-present) entry that translates @addr, or NULL. */
static const struct vmlab_walk_entry *leaf_of(const struct walk *w, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < w->n; i++) {
		const struct vmlab_walk_entry *e = &w->e[i];

		if (is_leaf(e) && e->level <= VMLAB_LEVEL_PTE && e->addr <= addr &&
		    addr - e->addr < level_span(w->levels, e->level))
			return e;
	}
	return NULL;
}

/*
 * The structure of a walk of [@start, @end): the entries are well formed,
 * in address order, each (but the PGD's) under the table entry of the
 * level above it, from whose table it was read; the P4D level is folded
 * (the PGD entry again) exactly with 4-level paging; a leaf has no entry
 * under it; leaves lie in the range.  Return: the violations, each logged.
 */
static int walk_check(struct __test_metadata *_metadata, const struct walk *w, uint64_t start,
		      uint64_t end)
{
	const struct vmlab_walk_entry *parent[VMLAB_LEVEL_PTE + 1] = { NULL };
	char a[320], b[320];
	unsigned int i, l;
	int bad = 0;

#define WALK_BAD(fmt, ...) do {							\
		bad++;								\
		TH_LOG("walk entry %u: " fmt, i, ##__VA_ARGS__);		\
	} while (0)

	if (w->levels != 4 && w->levels != 5) {
		TH_LOG("levels %u: neither 4 nor 5", w->levels);
		return 1;
	}
	for (i = 0; i < w->n; i++) {
		const struct vmlab_walk_entry *e = &w->e[i], *up;
		uint64_t span;

		entry_str(e, a, sizeof(a));
		if (e->level > VMLAB_LEVEL_PTE || e->what > VMLAB_WHAT_SWAP || e->reserved) {
			WALK_BAD("malformed: %s, reserved %u", a, e->reserved);
			continue;
		}
		span = level_span(w->levels, e->level);
		if (e->addr & (span - 1))
			WALK_BAD("address not aligned to its level: %s", a);
		if (!!(e->bits & B(FOLDED)) != (e->level == VMLAB_LEVEL_P4D && w->levels == 4))
			WALK_BAD("folded %d with %u levels: %s", !!(e->bits & B(FOLDED)),
				 w->levels, a);
		if (!is_leaf(e) && (!(e->bits & B(PRESENT)) || (e->bits & B(LEAF)) || !e->pfn))
			WALK_BAD("a table entry not present, or a leaf: %s", a);
		if (is_leaf(e) && e->what != VMLAB_WHAT_SWAP && !(e->bits & B(LEAF)))
			WALK_BAD("maps a page but is no leaf: %s", a);
		if (is_leaf(e) && e->level < VMLAB_LEVEL_PUD)
			WALK_BAD("a leaf above the PUD level: %s", a);
		if (is_leaf(e) && (e->addr + span <= start || e->addr >= end))
			WALK_BAD("a leaf outside [%#llx, %#llx): %s", (unsigned long long)start,
				 (unsigned long long)end, a);
		/* Present leaves: the CPU's RW bit is the kernel's pte_write(). */
		if ((e->bits & B(LEAF)) && !!(e->bits & B(RW)) != !!(e->bits & B(WRITE)))
			WALK_BAD("rw and write disagree: %s", a);
		if ((e->bits & B(LEAF)) && (e->bits & B(DIRTY)) && !(e->bits & B(KDIRTY)))
			WALK_BAD("dirty to the CPU but not to the kernel: %s", a);
		up = e->level ? parent[e->level - 1] : NULL;
		if (e->level && !up) {
			WALK_BAD("no %s entry above: %s", level_name(e->level - 1), a);
		} else if (up) {
			entry_str(up, b, sizeof(b));
			if (is_leaf(up))
				WALK_BAD("under a leaf: %s; above it %s", a, b);
			else if (e->addr < up->addr ||
				 e->addr - up->addr >= level_span(w->levels, up->level))
				WALK_BAD("outside the entry above it: %s; above it %s", a, b);
			else if ((e->bits & B(FOLDED)) ?
				 e->raw != up->raw || e->table_pfn != up->table_pfn :
				 e->table_pfn != up->pfn)
				WALK_BAD("not in the table of the entry above: %s; above it %s",
					 a, b);
		}
		if (parent[e->level] && e->addr < parent[e->level]->addr +
		    level_span(w->levels, e->level))
			WALK_BAD("out of address order: %s after %s", a,
				 entry_str(parent[e->level], b, sizeof(b)));
		parent[e->level] = e;
		for (l = e->level + 1; l <= VMLAB_LEVEL_PTE; l++)
			parent[l] = NULL;
	}
#undef WALK_BAD
	return bad;
}

/* ------------------------------------------------------------------ */
/* Facts of the system */

static bool have_thp(void)
{
	return !access(THP_SYSFS, F_OK);
}

/* The running kernel's version as major * 1000 + minor. */
static int kernel_version(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major * 1000 + minor;
}

/*
 * Whether the kernel marks a PFN mapping's PMD special, as it marks every
 * such PTE: from 6.12 on (README, "Differences from MAP_HUGETLB", smaps:
 * "on 6.12, whose PFN PMDs are special").
 */
static bool pfn_pmd_special(void)
{
	return kernel_version() >= 6012;
}

/* Whether /proc/cpuinfo lists la57 (5-level paging) among the flags. */
static bool cpu_has_la57(void)
{
	char *text = NULL, *line, *eol;
	bool la57;

	if (vl_read_text("/proc/cpuinfo", &text))
		return false;
	line = strstr(text, "\nflags");
	eol = line ? strchr(line + 1, '\n') : NULL;
	if (eol) {
		eol[0] = ' ';	/* the last flag too is followed by a space */
		eol[1] = 0;
	}
	la57 = line && strstr(line, " la57 ");
	free(text);
	return la57;
}

static long long meminfo(const char *field)
{
	long long v = -1;

	return vl_meminfo_field(field, &v) ? -1 : v;
}

/* The pagemap entry of @addr: 0 or -errno. */
static int pm_read(const void *addr, struct vl_pm *pm)
{
	int fd = vl_pagemap_open(0), ret;
	uint64_t raw = 0;

	if (fd < 0)
		return fd;
	ret = vl_pagemap_read(fd, (uintptr_t)addr, 1, &raw);
	close(fd);
	*pm = vl_pm_decode(raw);
	return ret;
}

/* Whether the kernel tracks soft-dirty (CONFIG_MEM_SOFT_DIRTY): a new VMA is soft-dirty. */
static bool have_soft_dirty(void)
{
	char *p = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vl_pm pm = { 0 };

	if (p == MAP_FAILED)
		return false;
	vl_write_byte(p, 1);
	if (pm_read(p, &pm))
		pm.soft_dirty = false;
	munmap(p, PS);
	return pm.soft_dirty;
}

/* A 2 MiB-aligned address inside a fresh PROT_NONE area of RESERVE bytes. */
static char *reserve_area(void)
{
	char *p = mmap(NULL, 2 * RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	return (char *)(((uintptr_t)p + RESERVE - 1) & ~(RESERVE - 1)) + HPAGE;
}

/* ------------------------------------------------------------------ */
/* 1. kinds: each mapping type and its twin, step by step */

enum kind_type {
	K_PRIVATE_COW, K_SHARED, K_PRIVATE_ANON, K_SHARED_ANON, K_HUGE, K_THP_ANON,
	K_THP_STORE, K_SHARED_BACKED,
};

enum act { A_END, A_READ, A_WRITE, A_CLEAR_SD, A_CLEAR_YOUNG, A_WRITEBACK, A_MSYNC };

static const char *const act_names[] = {
	"end", "read", "write", "clear_refs 4", "clear_refs 1 (and 4, to flush the TLB)",
	"write-back (VMLAB_IOC_WRITEBACK; the twin: fsync)", "msync(MS_SYNC)",
};

/* Levels and orders that depend on the kernel. */
#define L_THP		5	/* a PMD where the kernel has THP, else a PTE */
#define O_THP		10	/* order 9 where the kernel has THP, else 0 */

/* Whether the entry is special (a PFN entry: no struct page the core refcounts). */
enum special { SP_NO, SP_YES, SP_PFN /* as PFN mappings are: PTEs, and PMDs from 6.12 */ };

/* What the PFN must be, beside the page pagemap shows. */
enum pfn_rule { PFN_PAGE, PFN_ZERO, PFN_NEW, PFN_SAME };

struct expect {
	int level;		/* enum vmlab_level, or L_THP */
	int what;		/* enum vmlab_what */
	int order;		/* or O_THP */
	enum special special;
	enum pfn_rule pfn;
	uint64_t set, clear;	/* VMLAB_E_* bits set, clear */
};

struct step {
	enum act act;
	unsigned int page;	/* the page acted on, whose entry is checked */
	struct expect v;	/* vmlab's entry */
	/* By design the twin's entry differs (the variant's doc says where): its own. */
	bool differs;
	struct expect t;
};

#define EXP(lvl, wh, ord, sp, pf, s, c) \
	{ .level = (lvl), .what = (wh), .order = (ord), .special = (sp), .pfn = (pf), \
	  .set = (s), .clear = (c) }

/* A step whose twin shows what vmlab shows; one whose twin differs by design. */
#define STEP(a, pg, v_) { .act = (a), .page = (pg), .v = v_ }
#define STEP_DIFF(a, pg, v_, t_) { .act = (a), .page = (pg), .v = v_, .differs = true, .t = t_ }
#define END { .act = A_END }

#define PTE	VMLAB_LEVEL_PTE
#define PMD	VMLAB_LEVEL_PMD
#define W_ZERO	VMLAB_WHAT_ZERO
#define W_ANON	VMLAB_WHAT_ANON
#define W_FILE	VMLAB_WHAT_FILE
#define W_HUGE	VMLAB_WHAT_HUGETLB

/*
 * Private anonymous: a read maps the shared zero page, read-only and
 * special; a write gives an exclusive anonymous page, writable and dirty
 * (after a read: a new page); clear_refs 4 write-protects it and clears
 * soft-dirty; the next write reuses it, writable and soft-dirty again;
 * clear_refs 1 clears the accessed bit, which the CPU sets on the next read.
 */
static const struct step private_anon_steps[] = {
	STEP(A_READ, 0,
	     EXP(PTE, W_ZERO, 0, SP_YES, PFN_ZERO,
		 LEAF_P | B(ACCESSED),
		 WRITABLE | DIRTY | B(SOFT_DIRTY))),
	STEP(A_WRITE, 0,
	     EXP(PTE, W_ANON, 0, SP_NO, PFN_NEW,
		 LEAF_P | B(ACCESSED) | WRITABLE | DIRTY | B(SOFT_DIRTY),
		 0)),
	STEP(A_WRITE, 1,
	     EXP(PTE, W_ANON, 0, SP_NO, PFN_PAGE,
		 LEAF_P | B(ACCESSED) | WRITABLE | DIRTY | B(SOFT_DIRTY),
		 0)),
	STEP(A_CLEAR_SD, 0,
	     EXP(PTE, W_ANON, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(KDIRTY),
		 WRITABLE | B(SOFT_DIRTY))),
	STEP(A_WRITE, 0,
	     EXP(PTE, W_ANON, 0, SP_NO, PFN_SAME,
		 LEAF_P | WRITABLE | DIRTY | B(SOFT_DIRTY),
		 0)),
	STEP(A_CLEAR_YOUNG, 1,
	     EXP(PTE, W_ANON, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(KDIRTY),
		 B(ACCESSED) | WRITABLE)),
	STEP(A_READ, 1,
	     EXP(PTE, W_ANON, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(ACCESSED) | B(KDIRTY),
		 WRITABLE)),
	END,
};

/*
 * Private COW over the store (the twin: a memfd, MAP_PRIVATE): a read maps
 * the file's page read-only; a write copies it into an anonymous page,
 * writable and dirty.
 */
static const struct step private_cow_steps[] = {
	STEP(A_READ, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_PAGE,
		 LEAF_P | B(ACCESSED),
		 WRITABLE | DIRTY | B(SPECIAL))),
	STEP(A_WRITE, 0,
	     EXP(PTE, W_ANON, 0, SP_NO, PFN_NEW,
		 LEAF_P | B(ACCESSED) | WRITABLE | DIRTY | B(SOFT_DIRTY),
		 0)),
	STEP(A_READ, 1,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_PAGE,
		 LEAF_P | B(ACCESSED),
		 WRITABLE | DIRTY)),
	STEP(A_CLEAR_SD, 0,
	     EXP(PTE, W_ANON, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(KDIRTY),
		 WRITABLE | B(SOFT_DIRTY))),
	STEP(A_WRITE, 0,
	     EXP(PTE, W_ANON, 0, SP_NO, PFN_SAME,
		 LEAF_P | WRITABLE | DIRTY | B(SOFT_DIRTY),
		 0)),
	STEP(A_CLEAR_YOUNG, 1,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P,
		 B(ACCESSED) | WRITABLE | DIRTY)),
	STEP(A_READ, 1,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(ACCESSED),
		 WRITABLE | DIRTY)),
	END,
};

/*
 * Shared, tmpfs-held (the store without backing=, a shared anonymous
 * object; the twins: a memfd, MAP_SHARED|MAP_ANONYMOUS): no write-notify,
 * so a read maps the page writable and clean, and the write after it
 * takes no fault: the CPU sets the dirty bit, no software bit is set.
 * Write-back has nothing to do (README, "The store": "fsync,
 * msync(MS_SYNC) and VMLAB_IOC_WRITEBACK return 0 at once").
 */
static const struct step shared_steps[] = {
	STEP(A_READ, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_PAGE,
		 LEAF_P | B(ACCESSED) | WRITABLE,
		 DIRTY | B(SOFT_DIRTY) | B(SPECIAL))),
	STEP(A_WRITE, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(ACCESSED) | WRITABLE | DIRTY,
		 B(SOFT_DIRTY))),
	STEP(A_WRITEBACK, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | WRITABLE | DIRTY,
		 0)),
	STEP(A_CLEAR_SD, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(KDIRTY),
		 WRITABLE | B(SOFT_DIRTY))),
	STEP(A_WRITE, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | WRITABLE | DIRTY | B(SOFT_DIRTY),
		 0)),
	STEP(A_CLEAR_YOUNG, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(KDIRTY),
		 B(ACCESSED) | WRITABLE)),
	STEP(A_READ, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(ACCESSED),
		 WRITABLE)),
	END,
};

/*
 * The store with backing= (the twin: a file of ext4): dirty tracking.  A
 * read maps the page read-only and clean; a write faults (->page_mkwrite)
 * and makes it writable, dirty and soft-dirty; write-back write-protects
 * and cleans it (README, "The store": "Write-back write-protects a page's
 * shared mappings before it cleans it") and leaves soft-dirty; the next
 * write makes it writable and dirty again; msync(MS_SYNC) as write-back.
 */
static const struct step backed_steps[] = {
	STEP(A_READ, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_PAGE,
		 LEAF_P | B(ACCESSED),
		 WRITABLE | DIRTY | B(SPECIAL))),
	STEP(A_WRITE, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(ACCESSED) | WRITABLE | DIRTY | B(SOFT_DIRTY),
		 0)),
	STEP(A_WRITEBACK, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(SOFT_DIRTY),
		 WRITABLE | DIRTY)),
	STEP(A_WRITE, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | WRITABLE | DIRTY,
		 0)),
	STEP(A_MSYNC, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P,
		 WRITABLE | DIRTY)),
	STEP(A_CLEAR_SD, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P,
		 WRITABLE | DIRTY | B(SOFT_DIRTY))),
	STEP(A_WRITE, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | WRITABLE | DIRTY | B(SOFT_DIRTY),
		 0)),
	STEP(A_CLEAR_YOUNG, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(KDIRTY),
		 B(ACCESSED) | WRITABLE)),
	STEP(A_READ, 0,
	     EXP(PTE, W_FILE, 0, SP_NO, PFN_SAME,
		 LEAF_P | B(ACCESSED),
		 WRITABLE)),
	END,
};

/*
 * Transparent huge pages (a shared anonymous object of policy always, the
 * store of thp=always; the twin: a file of tmpfs huge=always): one PMD
 * leaf (PSE) maps the 2 MiB folio, no PTE table below; base pages on a
 * kernel without THP.  As the tmpfs-held kinds: writable and clean from
 * the read; clear_refs 4 write-protects the PMD, the next write makes it
 * writable and soft-dirty without splitting it.
 */
static const struct step thp_steps[] = {
	STEP(A_READ, 0,
	     EXP(L_THP, W_FILE, O_THP, SP_NO, PFN_PAGE,
		 LEAF_P | B(ACCESSED) | WRITABLE,
		 DIRTY | B(SOFT_DIRTY))),
	STEP(A_WRITE, 1,
	     EXP(L_THP, W_FILE, O_THP, SP_NO, PFN_PAGE,
		 LEAF_P | B(ACCESSED) | WRITABLE | DIRTY,
		 0)),
	STEP(A_CLEAR_SD, 1,
	     EXP(L_THP, W_FILE, O_THP, SP_NO, PFN_SAME,
		 LEAF_P | B(KDIRTY),
		 WRITABLE | B(SOFT_DIRTY))),
	STEP(A_WRITE, 1,
	     EXP(L_THP, W_FILE, O_THP, SP_NO, PFN_SAME,
		 LEAF_P | WRITABLE | DIRTY | B(SOFT_DIRTY),
		 0)),
	STEP(A_CLEAR_YOUNG, 1,
	     EXP(L_THP, W_FILE, O_THP, SP_NO, PFN_SAME,
		 LEAF_P | B(KDIRTY),
		 B(ACCESSED) | WRITABLE)),
	STEP(A_READ, 1,
	     EXP(L_THP, W_FILE, O_THP, SP_NO, PFN_SAME,
		 LEAF_P | B(ACCESSED),
		 WRITABLE)),
	END,
};

/*
 * The huge kind (the twin: an MFD_HUGETLB memfd).  vmlab maps the pool
 * page with one PMD leaf of its ->huge_fault (PTEs of ->fault on a kernel
 * without THP), a PFN entry: special as PFN entries are; writable and
 * clean from a read, as the shared tmpfs kinds.  hugetlb maps it with a
 * PMD leaf dirty and soft-dirty from the first fault, even a read.
 * clear_refs 4 write-protects vmlab's PMD, not hugetlb's; the write after
 * it splits vmlab's PMD and maps the page written with a soft-dirty PTE.
 */
static const struct step huge_steps[] = {
	STEP_DIFF(A_READ, 0,
		  EXP(L_THP, W_HUGE, 9, SP_PFN, PFN_PAGE,
		      LEAF_P | B(ACCESSED) | WRITABLE,
		      DIRTY | B(SOFT_DIRTY)),
		  EXP(PMD, W_HUGE, 9, SP_NO, PFN_PAGE,
		      LEAF_P | B(PSE) | B(ACCESSED) | WRITABLE | DIRTY | B(SOFT_DIRTY),
		      0)),
	STEP_DIFF(A_WRITE, 1,
		  EXP(L_THP, W_HUGE, 9, SP_PFN, PFN_PAGE,
		      LEAF_P | B(ACCESSED) | WRITABLE | DIRTY,
		      B(SOFT_DIRTY)),
		  EXP(PMD, W_HUGE, 9, SP_NO, PFN_PAGE,
		      LEAF_P | B(PSE) | B(ACCESSED) | WRITABLE | DIRTY | B(SOFT_DIRTY),
		      0)),
	STEP_DIFF(A_CLEAR_SD, 1,
		  EXP(L_THP, W_HUGE, 9, SP_PFN, PFN_PAGE,
		      LEAF_P | B(KDIRTY),
		      WRITABLE | B(SOFT_DIRTY)),
		  EXP(PMD, W_HUGE, 9, SP_NO, PFN_PAGE,
		      LEAF_P | B(PSE) | WRITABLE | DIRTY,
		      0)),
	STEP_DIFF(A_WRITE, 1,
		  EXP(PTE, W_HUGE, 9, SP_YES, PFN_PAGE,
		      LEAF_P | B(ACCESSED) | WRITABLE | DIRTY | B(SOFT_DIRTY),
		      0),
		  EXP(PMD, W_HUGE, 9, SP_NO, PFN_PAGE,
		      LEAF_P | B(PSE) | WRITABLE | DIRTY,
		      0)),
	END,
};

FIXTURE(kinds) {
	char *twin_dir;		/* a tmpfs (huge=always) or ext4 mount of the twin's */
	bool reloaded;
};

FIXTURE_VARIANT(kinds) {
	enum kind_type type;
	const struct step *steps;
	size_t len;		/* of the region */
	const char *module_args;	/* load vmlab with these first, or NULL */
	/* The README lines of the documented differences, for a failure's log. */
	const char *doc;
};

FIXTURE_VARIANT_ADD(kinds, private_anon) {
	.type = K_PRIVATE_ANON, .steps = private_anon_steps, .len = NPAGES * PS,
};

FIXTURE_VARIANT_ADD(kinds, private_cow) {
	.type = K_PRIVATE_COW, .steps = private_cow_steps, .len = NPAGES * PS,
};

FIXTURE_VARIANT_ADD(kinds, shared) {
	.type = K_SHARED, .steps = shared_steps, .len = NPAGES * PS,
};

FIXTURE_VARIANT_ADD(kinds, shared_anon) {
	.type = K_SHARED_ANON, .steps = shared_steps, .len = NPAGES * PS,
};

FIXTURE_VARIANT_ADD(kinds, huge) {
	.type = K_HUGE, .steps = huge_steps, .len = HPAGE,
	.doc = "README: Differences from MAP_HUGETLB (Page-table entries, Soft-dirty); Huge kind",
};

FIXTURE_VARIANT_ADD(kinds, thp_anon) {
	.type = K_THP_ANON, .steps = thp_steps, .len = HPAGE,
};

/* The variants that load vmlab with parameters come last. */
FIXTURE_VARIANT_ADD(kinds, thp_store) {
	.type = K_THP_STORE, .steps = thp_steps, .len = HPAGE,
	.module_args = "thp=always store_size=4M",
};

FIXTURE_VARIANT_ADD(kinds, shared_backed) {
	.type = K_SHARED_BACKED, .steps = backed_steps, .len = NPAGES * PS,
	.module_args = "backing=" BACKING_PATH " store_size=4M",
};

/*
 * Make EXT4_DIR a fresh ext4 over a loop device.  Return: 0; 1 when this
 * system has no way to, with the reason in @why; or -errno.
 */
static int ext4_mount(char *why, size_t len)
{
	static const char mount_ext4[] =
		"truncate -s 64M %s && mkfs.ext4 -q -F %s && mount -t ext4 -o loop %s %s";
	const char *kmoddir = getenv("VMLAB_KMODDIR");

	if (vmlab_ksft_run("command -v mkfs.ext4 >/dev/null")) {
		snprintf(why, len, "no mkfs.ext4 for the twin of the store with backing=");
		return 1;
	}
	if (vmlab_ksft_run("grep -qw ext4 /proc/filesystems && test -e /dev/loop-control") &&
	    (!kmoddir || vmlab_ksft_run("modprobe -q -d '%s' -a loop ext4", kmoddir))) {
		snprintf(why, len, "no ext4 or loop for the twin of the store with backing=");
		return 1;
	}
	if (mkdir(EXT4_DIR, 0700) && errno != EEXIST)
		return -errno;
	if (vmlab_ksft_run(mount_ext4, EXT4_IMAGE, EXT4_IMAGE, EXT4_IMAGE, EXT4_DIR))
		return -EIO;
	return 0;
}

FIXTURE_SETUP(kinds)
{
	const char *ko = getenv("VMLAB_KO");
	char why[128];
	int ret;

	self->twin_dir = NULL;
	self->reloaded = false;
	ASSERT_EQ((long)PS, sysconf(_SC_PAGESIZE));
	ASSERT_TRUE(vl_have_pfns());
	if (!have_soft_dirty())
		SKIP(return, "a kernel without CONFIG_MEM_SOFT_DIRTY: the steps check soft-dirty");
	if (variant->type == K_HUGE && meminfo("HugePages_Free") < 2)
		SKIP(return, "needs 2 free 2 MiB pages in the pool, HugePages_Free is %lld",
		     meminfo("HugePages_Free"));
	if (variant->module_args && (!ko || !*ko))
		SKIP(return, "VMLAB_KO unset: vmlab is reloaded only in the vm-run guests");
	if (variant->type == K_SHARED_BACKED) {
		ret = ext4_mount(why, sizeof(why));
		if (ret > 0)
			SKIP(return, "%s", why);
		ASSERT_EQ(0, ret) TH_LOG("ext4 over loop at %s: %s", EXT4_DIR, strerror(-ret));
		self->twin_dir = EXT4_DIR;
	}
	if (variant->type == K_THP_ANON || variant->type == K_THP_STORE) {
		ASSERT_TRUE(mkdir(THP_DIR, 0700) == 0 || errno == EEXIST);
		ASSERT_EQ(0, mount("tmpfs", THP_DIR, "tmpfs", 0,
				   have_thp() ? "huge=always" : NULL)) {
			TH_LOG("mount tmpfs huge=always at %s: %s", THP_DIR, strerror(errno));
		}
		self->twin_dir = THP_DIR;
	}
	/* Last: a failed setup has no teardown to load vmlab back as it was. */
	if (variant->module_args) {
		unlink(BACKING_PATH);
		self->reloaded = true;
		vmlab_ksft_reload(variant->module_args);
	}
	ASSERT_EQ(0, vmlab_ksft_one_cpu());
}

/*
 * In the parent, once the test's process and its files are gone (the
 * harness runs a fixture's one teardown there when it is a _PARENT one).
 */
FIXTURE_TEARDOWN_PARENT(kinds)
{
	if (self->twin_dir && !strcmp(self->twin_dir, THP_DIR)) {
		umount2(THP_DIR, MNT_DETACH);
		rmdir(THP_DIR);
	}
	if (!self->reloaded)
		return;
	if (variant->type == K_SHARED_BACKED) {
		umount2(EXT4_DIR, MNT_DETACH);
		unlink(EXT4_IMAGE);
		rmdir(EXT4_DIR);
	}
	vmlab_ksft_reload_default(BACKING_PATH);
}

/* One side of the comparison: vmlab's mapping or its twin's. */
struct side {
	const char *name;
	bool vmlab;
	int fd;			/* the file mapped, or -1 */
	char *p;
	size_t len;
	bool maps_file;		/* maps' dev:ino names the file whose page cache it maps */
	struct walk w;
	uint64_t pfn[NPAGES];	/* the PFN each checked page's leaf showed last */
};

/* Write @n pages of @fd from @off, page i holding 'A' + i. */
static int fill(int fd, off_t off, unsigned int n)
{
	char buf[PS];
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(buf, 'A' + i, sizeof(buf));
		if (pwrite(fd, buf, PS, off + (off_t)(i * PS)) != (ssize_t)PS)
			return -errno ?: -EIO;
	}
	return 0;
}

/* vmlab's side of @variant: open, fill, map into a fresh area. */
static int vmlab_side(const FIXTURE_VARIANT(kinds) * variant, struct side *s)
{
	bool small = variant->len < HPAGE;
	char *at = reserve_area();
	int flags = MAP_SHARED, ret = 0;
	off_t off = 0;

	s->name = "vmlab";
	s->vmlab = true;
	s->len = variant->len;
	s->maps_file = variant->type != K_SHARED_BACKED;
	s->fd = vl_open(O_RDWR);
	if (s->fd < 0 || !at)
		return s->fd < 0 ? s->fd : -ENOMEM;
	switch (variant->type) {
	case K_PRIVATE_COW:
	case K_SHARED:
	case K_SHARED_BACKED:
		off = variant->type == K_SHARED_BACKED ? BACKED_OFF : STORE_OFF;
		flags = variant->type == K_PRIVATE_COW ? MAP_PRIVATE : MAP_SHARED;
		ret = fill(s->fd, off, NPAGES);
		if (!ret && ioctl(s->fd, VMLAB_IOC_WRITEBACK))
			ret = -errno;
		break;
	case K_PRIVATE_ANON:
		flags = MAP_PRIVATE;
		ret = vl_select(s->fd, VMLAB_KIND_ANON, -1);
		break;
	case K_SHARED_ANON:
		ret = vl_select(s->fd, VMLAB_KIND_ANON, -1);
		break;
	case K_HUGE:
		ret = vl_select(s->fd, VMLAB_KIND_HUGE, -1);
		break;
	case K_THP_ANON:
		ret = vl_select_thp(s->fd, VMLAB_THP_ALWAYS);
		break;
	case K_THP_STORE:
		break;
	}
	if (ret)
		return ret;
	s->p = mmap(at + (small ? SMALL_OFF : 0), s->len, PROT_READ | PROT_WRITE,
		    flags | MAP_FIXED, s->fd, off);
	return s->p == MAP_FAILED ? -errno : 0;
}

/* The twin's side of @variant. */
static int twin_side(const FIXTURE_VARIANT(kinds) * variant, const char *dir, struct side *s)
{
	bool small = variant->len < HPAGE;
	int flags = MAP_SHARED, ret = 0;
	char *at = reserve_area();
	char path[128] = "";
	off_t off = 0;

	s->name = "twin";
	s->fd = -1;
	s->len = variant->len;
	s->maps_file = true;
	if (!at)
		return -ENOMEM;
	switch (variant->type) {
	case K_PRIVATE_COW:
	case K_SHARED:
		off = STORE_OFF;
		flags = variant->type == K_PRIVATE_COW ? MAP_PRIVATE : MAP_SHARED;
		s->fd = memfd_create("vmlab-walk-twin", 0);
		break;
	case K_SHARED_BACKED:
		off = BACKED_OFF;
		snprintf(path, sizeof(path), "%s/twin", dir);
		s->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		break;
	case K_PRIVATE_ANON:
		flags = MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	case K_SHARED_ANON:
		flags = MAP_SHARED | MAP_ANONYMOUS;
		break;
	case K_HUGE:
		s->fd = memfd_create("vmlab-walk-twin", MFD_HUGETLB);
		break;
	case K_THP_ANON:
	case K_THP_STORE:
		snprintf(path, sizeof(path), "%s/twin", dir);
		s->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		break;
	}
	if (!(flags & MAP_ANONYMOUS)) {
		if (s->fd < 0 || ftruncate(s->fd, off + (off_t)s->len))
			return -errno;
	}
	if (off) {
		ret = fill(s->fd, off, NPAGES);
		if (!ret && fsync(s->fd))
			ret = -errno;
		if (ret)
			return ret;
	}
	s->p = mmap(at + (small ? SMALL_OFF : 0), s->len, PROT_READ | PROT_WRITE,
		    flags | MAP_FIXED, s->fd, off);
	if (s->p == MAP_FAILED)
		return -errno;
	/* A tmpfs file unlinked before mmap would be anonymous shmem on 6.12 (thp_test). */
	if (variant->type == K_THP_ANON || variant->type == K_THP_STORE)
		unlink(path);
	return 0;
}

/* Act on one side (the clear_refs steps act on the whole process: once). */
static int side_act(struct side *s, enum act a, unsigned int page)
{
	char *p = s->p + page * PS;

	switch (a) {
	case A_READ:
		(void)vl_read_byte(p);
		return 0;
	case A_WRITE:
		vl_write_byte(p, (unsigned char)(0x5a + page));
		return 0;
	case A_WRITEBACK:
		if (s->vmlab)
			return ioctl(s->fd, VMLAB_IOC_WRITEBACK) ? -errno : 0;
		return s->fd >= 0 && fsync(s->fd) ? -errno : 0;
	case A_MSYNC:
		return msync(s->p, s->len, MS_SYNC) ? -errno : 0;
	default:
		return 0;
	}
}

/* The level, order and special an expectation names on this kernel for @e's level. */
static int exp_level(const struct expect *x)
{
	if (x->level == L_THP)
		return have_thp() ? VMLAB_LEVEL_PMD : VMLAB_LEVEL_PTE;
	return x->level;
}

static int exp_order(const struct expect *x)
{
	if (x->order == O_THP)
		return have_thp() ? 9 : 0;
	return x->order;
}

static bool exp_special(const struct expect *x, int level)
{
	if (x->special == SP_PFN)
		return level == VMLAB_LEVEL_PTE || pfn_pmd_special();
	return x->special == SP_YES;
}

static void exp_format(const struct expect *x, char *buf, size_t len)
{
	int level = exp_level(x);
	uint64_t set = x->set, clear = x->clear;
	char s[256], c[256];

	if (exp_special(x, level))
		set |= B(SPECIAL);
	else
		clear |= B(SPECIAL);
	if (level == VMLAB_LEVEL_PMD)
		set |= B(PSE);
	bits_format(set, s, sizeof(s));
	bits_format(clear, c, sizeof(c));
	if (snprintf(buf, len, "%s %s order %d, set [%s], clear [%s]%s", level_name(level),
		     what_name(x->what), exp_order(x), s, c,
		     x->pfn == PFN_ZERO ? ", the zero page" : x->pfn == PFN_NEW ? ", a new page" :
		     x->pfn == PFN_SAME ? ", the same page as before" : "") >= (int)len)
		buf[len - 1] = 0;
}

/*
 * The entry of page @page of @s after step @k (@sd_exact: clear_refs 4 has
 * cleared the VMAs' soft-dirty flag, so pagemap's soft-dirty is the
 * entry's) against @x, pagemap and maps.  Return: the entry, or NULL.
 */
static const struct vmlab_walk_entry *
side_check(struct __test_metadata *_metadata, struct side *s, unsigned int k,
	   const struct step *st, const struct expect *x, bool sd_exact)
{
	char *addr = s->p + st->page * PS;
	const struct vmlab_walk_entry *e = leaf_of(&s->w, (uintptr_t)addr);
	int level = exp_level(x);
	uint64_t set = x->set, clear = x->clear, want_pfn;
	char got[320], want[320];
	struct vl_vma vma;
	struct vl_pm pm;
	bool ok;

	exp_format(x, want, sizeof(want));
	entry_str(e, got, sizeof(got));
	if (exp_special(x, level))
		set |= B(SPECIAL);
	else
		clear |= B(SPECIAL);
	if (level == VMLAB_LEVEL_PMD)
		set |= B(PSE);
	ok = e && e->level == level && e->what == x->what && e->order == exp_order(x) &&
	     (e->bits & set) == set && !(e->bits & clear);
	EXPECT_TRUE(ok) {
		TH_LOG("step %u (%s page %u), %s: expected %s", k, act_names[st->act], st->page,
		       s->name, want);
		TH_LOG("step %u (%s page %u), %s: seen     %s", k, act_names[st->act], st->page,
		       s->name, got);
	}
	if (!e)
		return NULL;

	/* The PFN and soft-dirty, from pagemap. */
	ASSERT_EQ(0, pm_read(addr, &pm));
	want_pfn = e->pfn + (((uintptr_t)addr - e->addr) >> 12);
	EXPECT_TRUE(pm.present && pm.pfn == want_pfn) {
		TH_LOG("step %u, %s: pagemap present %d pfn %#llx, the entry gives %#llx: %s",
		       k, s->name, pm.present, (unsigned long long)pm.pfn,
		       (unsigned long long)want_pfn, got);
	}
	/*
	 * pagemap's soft-dirty is the entry's or the VMA's (a new VMA is
	 * soft-dirty as a whole until clear_refs 4); for hugetlb, the VMA's
	 * alone (pagemap_hugetlb_range() reads no entry bit).
	 */
	if (e->what != VMLAB_WHAT_HUGETLB || s->vmlab) {
		bool sd = e->bits & B(SOFT_DIRTY);

		EXPECT_TRUE(sd_exact ? pm.soft_dirty == sd : pm.soft_dirty || !sd) {
			TH_LOG("step %u, %s: pagemap soft-dirty %d, the entry's %d: %s", k,
			       s->name, pm.soft_dirty, sd, got);
		}
	}
	/* The zero page is the zero page to kpageflags too. */
	if (x->pfn == PFN_ZERO) {
		uint64_t kpf = 0;
		int kf = vl_kpageflags_open();

		ASSERT_LE(0, kf);
		ASSERT_EQ(0, vl_kpageflags_read(kf, e->pfn, 1, &kpf));
		close(kf);
		EXPECT_TRUE(kpf & (1ULL << VL_KPF_ZERO_PAGE)) {
			TH_LOG("step %u, %s: kpageflags %#llx: %s", k, s->name,
			       (unsigned long long)kpf, got);
		}
	}
	/* A PMD leaf, and no PTE table under it: no PTE in the region. */
	if (level == VMLAB_LEVEL_PMD) {
		unsigned int i, ptes = 0;

		for (i = 0; i < s->w.n; i++)
			ptes += s->w.e[i].level == VMLAB_LEVEL_PTE;
		EXPECT_EQ(0U, ptes) TH_LOG("step %u, %s: PTEs beside the PMD leaf %s", k,
					   s->name, got);
	}
	if (x->pfn == PFN_NEW)
		EXPECT_NE(s->pfn[st->page], want_pfn) TH_LOG("step %u, %s: not a new page: %s",
							     k, s->name, got);
	if (x->pfn == PFN_SAME)
		EXPECT_EQ(s->pfn[st->page], want_pfn) TH_LOG("step %u, %s: was PFN %#llx: %s",
							     k, s->name,
							     (unsigned long long)s->pfn[st->page],
							     got);
	s->pfn[st->page] = want_pfn;

	/* A file's page: the file maps names (but the store with backing=, see above). */
	if (e->what == VMLAB_WHAT_FILE && s->maps_file) {
		ASSERT_EQ(0, vl_maps_find(0, (uintptr_t)addr, &vma));
		EXPECT_TRUE(e->ino == vma.inode &&
			    e->dev == (vma.dev_major << 20 | vma.dev_minor)) {
			TH_LOG("step %u, %s: maps says %02x:%02x %lu (%s): %s", k, s->name,
			       vma.dev_major, vma.dev_minor, vma.inode, vma.path, got);
		}
	}
	if (e->what == VMLAB_WHAT_FILE)
		EXPECT_TRUE(e->ino && e->dev) TH_LOG("step %u, %s: %s", k, s->name, got);
	return e;
}

/* The leaves of a walk of region @s, relative to its start, for a comparison. */
static int leaves_format(const struct side *s, char *buf, size_t len)
{
	unsigned int i;
	size_t n = 0;

	buf[0] = 0;
	for (i = 0; i < s->w.n && n < len; i++) {
		const struct vmlab_walk_entry *e = &s->w.e[i];
		char bits[256];

		if (!is_leaf(e))
			continue;
		bits_format(e->bits, bits, sizeof(bits));
		n += snprintf(buf + n, len - n, "%s+%#llx %s o%u [%s]; ", level_name(e->level),
			      (unsigned long long)(e->addr - (uintptr_t)s->p), what_name(e->what),
			      e->order, bits);
	}
	return (int)n;
}

static int side_walk(struct __test_metadata *_metadata, int fd, struct side *s)
{
	uint64_t start = (uintptr_t)s->p, end = start + s->len;
	int ret;

	walk_free(&s->w);
	ret = walk_range(fd, 0, start, end, VMLAB_WALK_MAX_ENTRIES, 16, &s->w);
	if (ret)
		return ret;
	EXPECT_EQ(0, walk_check(_metadata, &s->w, start, end)) TH_LOG("%s's region", s->name);
	return 0;
}

TEST_F_TIMEOUT(kinds, steps, 180)
{
	static char vl[8192], tl[8192];
	struct side v = { 0 }, t = { 0 };
	bool sd_exact = false;
	char a[320], b[320];
	const struct step *st;
	unsigned int k;
	int fd, ret;

	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	ret = vmlab_side(variant, &v);
	ASSERT_EQ(0, ret) TH_LOG("vmlab's mapping: %s", strerror(-ret));
	ret = twin_side(variant, self->twin_dir, &t);
	ASSERT_EQ(0, ret) TH_LOG("the twin's mapping: %s", strerror(-ret));

	/* Nothing mapped yet: no leaf in either region. */
	ASSERT_EQ(0, side_walk(_metadata, fd, &v));
	ASSERT_EQ(0, side_walk(_metadata, fd, &t));
	leaves_format(&v, vl, sizeof(vl));
	EXPECT_EQ(0, (int)strlen(vl)) TH_LOG("before the first step: vmlab %s", vl);

	for (k = 0, st = variant->steps; st->act != A_END; k++, st++) {
		const struct vmlab_walk_entry *ve, *te;

		if (st->act == A_CLEAR_SD || st->act == A_CLEAR_YOUNG) {
			/*
			 * clear_refs 1 clears the accessed bits without flushing
			 * the TLB (x86); the 4 after it flushes, so that the next
			 * access walks the tables and the CPU sets the bit.
			 */
			if (st->act == A_CLEAR_YOUNG)
				ASSERT_EQ(0, vl_write_file("/proc/self/clear_refs", "1"));
			ASSERT_EQ(0, vl_write_file("/proc/self/clear_refs", "4"));
			sd_exact = true;
		}
		ret = side_act(&v, st->act, st->page);
		ASSERT_EQ(0, ret) TH_LOG("step %u, vmlab: %s", k, strerror(-ret));
		ret = side_act(&t, st->act, st->page);
		ASSERT_EQ(0, ret) TH_LOG("step %u, twin: %s", k, strerror(-ret));

		ret = side_walk(_metadata, fd, &v);
		ASSERT_EQ(0, ret) TH_LOG("step %u, vmlab's walk: %s", k, walk_err(ret));
		ret = side_walk(_metadata, fd, &t);
		ASSERT_EQ(0, ret) TH_LOG("step %u, twin's walk: %s", k, walk_err(ret));

		ve = side_check(_metadata, &v, k, st, &st->v, sd_exact);
		te = side_check(_metadata, &t, k, st, st->differs ? &st->t : &st->v, sd_exact);
		ksft_print_msg("step %u, %s page %u: vmlab %s\n", k, act_names[st->act], st->page,
			       entry_str(ve, a, sizeof(a)));
		ksft_print_msg("step %u, %s page %u: twin  %s\n", k, act_names[st->act], st->page,
			       entry_str(te, b, sizeof(b)));
		if (st->differs || !ve || !te)
			continue;
		/* No documented difference: the same entry, but for the page it maps. */
		EXPECT_TRUE(ve->level == te->level && ve->what == te->what &&
			    ve->order == te->order && ve->bits == te->bits &&
			    (ve->what != VMLAB_WHAT_ZERO || ve->pfn == te->pfn)) {
			TH_LOG("step %u (%s page %u): vmlab and its twin differ", k,
			       act_names[st->act], st->page);
			TH_LOG("vmlab: %s", a);
			TH_LOG("twin:  %s", b);
		}
		/* And the same entries over the whole region (fault-around). */
		leaves_format(&v, vl, sizeof(vl));
		leaves_format(&t, tl, sizeof(tl));
		EXPECT_STREQ(tl, vl) TH_LOG("step %u (%s page %u): the regions' leaves differ", k,
					    act_names[st->act], st->page);
	}
	if (variant->doc && _metadata->exit_code)
		TH_LOG("documented differences: %s", variant->doc);
	walk_free(&v.w);
	walk_free(&t.w);
	munmap(v.p, v.len);
	munmap(t.p, t.len);
	close(v.fd);
	if (t.fd >= 0)
		close(t.fd);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* 2. What a walk reports and how it resumes */

/*
 * The upper levels: 5-level paging exactly where the CPU has LA57 (Debian's
 * kernels use it where it is), P4D folded into the PGD otherwise; each
 * table entry present, user, writable, accessed; and the PTE table a PMD
 * entry points at is a page-table page to kpageflags.
 */
TEST(shape)
{
	char *p = mmap(NULL, 4 * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t start = (uintptr_t)p, end = start + 4 * PS, kpf = 0;
	unsigned int i, found[VMLAB_LEVEL_PTE + 1] = { 0 };
	struct walk w;
	char a[320];
	int fd, kf, ret;

	ASSERT_NE(MAP_FAILED, p);
	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	vl_write_byte(p, 1);
	vl_write_byte(p + 2 * PS, 1);
	ret = walk_range(fd, 0, start, end, VMLAB_WALK_MAX_ENTRIES, 1, &w);
	ASSERT_EQ(0, ret) TH_LOG("%s", walk_err(ret));
	EXPECT_EQ(0, walk_check(_metadata, &w, start, end));
	EXPECT_EQ(cpu_has_la57() ? 5U : 4U, w.levels);
	kf = vl_kpageflags_open();
	ASSERT_LE(0, kf);
	for (i = 0; i < w.n; i++) {
		const struct vmlab_walk_entry *e = &w.e[i];

		entry_str(e, a, sizeof(a));
		ksft_print_msg("shape: %s\n", a);
		found[e->level]++;
		if (is_leaf(e))
			continue;
		EXPECT_EQ(B(PRESENT) | B(RW) | B(USER) | B(ACCESSED),
			  e->bits & (B(PRESENT) | B(RW) | B(USER) | B(ACCESSED) | B(PSE))) {
			TH_LOG("a table entry: %s", a);
		}
		if (e->level != VMLAB_LEVEL_PMD)
			continue;
		ASSERT_EQ(0, vl_kpageflags_read(kf, e->pfn, 1, &kpf));
		EXPECT_TRUE(kpf & (1ULL << VL_KPF_PGTABLE)) {
			TH_LOG("the PTE table at %#llx: kpageflags %#llx",
			       (unsigned long long)e->pfn, (unsigned long long)kpf);
		}
	}
	/* One entry per upper level, and the two PTEs written. */
	for (i = 0; i < VMLAB_LEVEL_PTE; i++)
		EXPECT_EQ(1U, found[i]) TH_LOG("%s entries", level_name(i));
	EXPECT_EQ(2U, found[VMLAB_LEVEL_PTE]);
	close(kf);
	close(fd);
	walk_free(&w);
	munmap(p, 4 * PS);
}

/*
 * VMAs side by side in one 2 MiB share its PTE table: one walk over them
 * reports the upper entries once and each VMA's page for what it is.
 */
TEST(shared_table)
{
	static const int what[] = { W_ZERO, W_ANON, W_FILE, W_FILE };
	const struct vmlab_walk_entry *e;
	char *at = reserve_area(), *p[4], a[320];
	int fd, anon, m, i, upper = 0;
	struct walk w;

	ASSERT_NE(NULL, at);
	fd = vl_open(O_RDWR);
	anon = vl_open(O_RDWR);
	m = memfd_create("vmlab-walk-twin", 0);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, anon);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, vl_select(anon, VMLAB_KIND_ANON, -1));
	ASSERT_EQ(0, ftruncate(m, PS));
	p[0] = mmap(at, PS, PROT_READ, MAP_PRIVATE | MAP_FIXED, anon, 0);
	p[1] = mmap(at + PS, PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		    -1, 0);
	p[2] = mmap(at + 2 * PS, PS, PROT_READ, MAP_SHARED | MAP_FIXED, fd, STORE_OFF);
	p[3] = mmap(at + 3 * PS, PS, PROT_READ, MAP_SHARED | MAP_FIXED, m, 0);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(at + i * PS, p[i]) TH_LOG("mapping %d: %s", i, strerror(errno));
		if (i == 1)
			vl_write_byte(p[i], 1);
		else
			(void)vl_read_byte(p[i]);
	}
	ASSERT_EQ(0, walk_range(fd, 0, (uintptr_t)at, (uintptr_t)at + 4 * PS,
				VMLAB_WALK_MAX_ENTRIES, 1, &w));
	EXPECT_EQ(0, walk_check(_metadata, &w, (uintptr_t)at, (uintptr_t)at + 4 * PS));
	for (i = 0; i < (int)w.n; i++)
		upper += !is_leaf(&w.e[i]);
	EXPECT_EQ(4, upper);
	EXPECT_EQ(8U, w.n);
	for (i = 0; i < 4; i++) {
		e = leaf_of(&w, (uintptr_t)p[i]);
		EXPECT_TRUE(e && e->level == VMLAB_LEVEL_PTE && e->what == what[i]) {
			TH_LOG("mapping %d: %s wanted, seen %s", i, what_name(what[i]),
			       entry_str(e, a, sizeof(a)));
		}
	}
	walk_free(&w);
	munmap(at, 4 * PS);
	close(m);
	close(anon);
	close(fd);
}

/* The pages touched for resume: in three PMDs, one of them full. */
#define RESUME_LEN	(6 * MB)

static char *resume_region(void)
{
	char *at = reserve_area(), *p;
	size_t i;

	if (!at)
		return NULL;
	p = mmap(at, RESUME_LEN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, RESUME_LEN, MADV_NOHUGEPAGE);	/* EINVAL without THP: base pages anyway */
	vl_write_byte(p, 1);
	vl_write_byte(p + 5 * PS, 1);
	for (i = 0; i < 40; i++)
		vl_write_byte(p + HPAGE + i * PS, 1);
	vl_write_byte(p + 5 * MB, 1);
	return p;
}

static bool same_entries(const struct walk *a, const struct walk *b)
{
	unsigned int i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->e[i].level != b->e[i].level || a->e[i].addr != b->e[i].addr ||
		    a->e[i].raw != b->e[i].raw)
			return false;
	return true;
}

/*
 * A walk in pieces of nr_entries each, resumed at next, finds the entries
 * one call finds (the upper entries reported again on resume kept once),
 * for every nr_entries from VMLAB_WALK_MIN_ENTRIES, the room for one entry
 * per level, to all of them and one more; fewer are refused (EINVAL).
 * Each call gets further (next beyond where it started), and next == end
 * only when nothing is left: a piece that ends exactly where a table's
 * entries end must not claim the walk complete.
 */
TEST(resume)
{
	char *p = resume_region();
	struct walk all, part;
	uint64_t start, end;
	unsigned int cap;
	int fd, ret;

	ASSERT_NE(NULL, p);
	start = (uintptr_t)p;
	end = start + RESUME_LEN;
	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	ret = walk_range(fd, 0, start, end, VMLAB_WALK_MAX_ENTRIES, 1, &all);
	ASSERT_EQ(0, ret) TH_LOG("%s", walk_err(ret));
	ASSERT_EQ(0, walk_check(_metadata, &all, start, end));
	/* 43 PTEs in 3 PTE tables: 43 + 3 PMD entries + 3 above them at least. */
	ASSERT_LE(49U, all.n);

	for (cap = 1; cap <= all.n + 1; cap++) {
		ret = walk_range(fd, 0, start, end, cap, 4 * all.n, &part);
		if (cap < VMLAB_WALK_MIN_ENTRIES) {
			EXPECT_EQ(-EINVAL, ret) TH_LOG("nr_entries %u: %s", cap, walk_err(ret));
			walk_free(&part);
			continue;
		}
		EXPECT_EQ(0, ret) TH_LOG("nr_entries %u: %s after %u calls, %u entries", cap,
					 walk_err(ret), part.calls, part.n);
		if (!ret) {
			EXPECT_EQ(0, walk_check(_metadata, &part, start, end));
			EXPECT_TRUE(same_entries(&all, &part)) {
				TH_LOG("nr_entries %u: %u entries in %u calls, one call found %u",
				       cap, part.n, part.calls, all.n);
			}
		}
		walk_free(&part);
	}
	walk_free(&all);
	close(fd);
	munmap(p, RESUME_LEN);
}

/*
 * next == end means complete: a call whose last entry fills the array
 * exactly, with entries left after it, must say where to go on.  Here the
 * array holds exactly the entries of the first 2 MiB (PGD, P4D, PUD, PMD
 * and the PTEs of pages 0 and 5), and pages of two more PMDs follow.
 */
TEST(full_array_is_not_the_end)
{
	char *p = resume_region();
	struct vmlab_walk_entry e[64];
	struct vmlab_walk req;
	unsigned int first;
	char a[320];
	int fd;

	ASSERT_NE(NULL, p);
	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	memset(&req, 0, sizeof(req));
	req.start = (uintptr_t)p;
	req.end = (uintptr_t)p + HPAGE;
	req.entries = (uintptr_t)e;
	req.nr_entries = 64;
	ASSERT_EQ(0, walk_once(fd, &req));
	ASSERT_EQ(req.end, req.next);
	first = req.nr_entries;
	ASSERT_EQ(VMLAB_LEVEL_PTE, e[first - 1].level);

	req.end = (uintptr_t)p + RESUME_LEN;
	req.nr_entries = first;
	ASSERT_EQ(0, walk_once(fd, &req));
	EXPECT_EQ(first, req.nr_entries);
	EXPECT_NE(req.end, req.next) {
		TH_LOG("nr_entries %u, the first 2 MiB's, with more after: next == end", first);
		TH_LOG("the last entry: %s", entry_str(&e[req.nr_entries - 1], a, sizeof(a)));
	}
	EXPECT_TRUE(req.next > (uintptr_t)p + 5 * PS && req.next <= (uintptr_t)p + HPAGE + PS) {
		TH_LOG("next %#llx: the walk should go on after page 5 (%p), by the next page",
		       (unsigned long long)req.next, p + 5 * PS);
	}
	close(fd);
	munmap(p, RESUME_LEN);
}

#define MAX_PAGES	(VMLAB_WALK_MAX_ENTRIES + 200)

/*
 * nr_entries beyond VMLAB_WALK_MAX_ENTRIES: a call fills that many at most
 * (the array given ends at a PROT_NONE page right after them: one more
 * would fail with EFAULT) and the walk goes on from next.
 */
TEST(max_entries)
{
	size_t arr_len = VMLAB_WALK_MAX_ENTRIES * sizeof(struct vmlab_walk_entry);
	size_t len = MAX_PAGES * PS, i;
	unsigned int ptes = 0, calls = 0;
	struct vmlab_walk_entry *arr;
	uint64_t start, end, at;
	char *p, *g;
	int fd;

	ASSERT_EQ(0U, arr_len % PS);
	g = mmap(NULL, arr_len + PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, g);
	ASSERT_EQ(0, mprotect(g + arr_len, PS, PROT_NONE));
	arr = (struct vmlab_walk_entry *)g;
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	madvise(p, len, MADV_NOHUGEPAGE);
	for (i = 0; i < len; i += PS)
		(void)vl_read_byte(p + i);	/* the zero page: no memory */
	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	start = (uintptr_t)p;
	end = start + len;
	for (at = start; at != end; ) {
		struct vmlab_walk req = {
			.start = at, .end = end, .entries = (uintptr_t)arr,
			.nr_entries = UINT32_MAX,
		};
		int ret = walk_once(fd, &req);

		ASSERT_EQ(0, ret) TH_LOG("call %u from %#llx: %s", calls,
					 (unsigned long long)at, strerror(-ret));
		ASSERT_GE(VMLAB_WALK_MAX_ENTRIES, req.nr_entries);
		if (!calls)
			EXPECT_EQ(VMLAB_WALK_MAX_ENTRIES, req.nr_entries);
		ASSERT_TRUE(req.next > at && req.next <= end);
		for (i = 0; i < req.nr_entries; i++)
			ptes += arr[i].level == VMLAB_LEVEL_PTE;
		at = req.next;
		calls++;
		ASSERT_GT(10U, calls);
	}
	EXPECT_EQ(2U, calls);
	EXPECT_EQ(MAX_PAGES, ptes);
	close(fd);
	munmap(p, len);
	munmap(g, arr_len + PS);
}

/* The upper entries (PGD to PMD) above the pages at @base + @offs[]. */
static unsigned int sparse_upper(uint64_t base, const size_t *offs, unsigned int n,
				 unsigned int levels)
{
	unsigned int level, i, j, count = 0;

	for (level = VMLAB_LEVEL_PGD; level < VMLAB_LEVEL_PTE; level++) {
		uint64_t mask = ~(level_span(levels, level) - 1);

		for (i = 0; i < n; i++) {
			for (j = 0; j < i; j++)
				if (((base + offs[j]) & mask) == ((base + offs[i]) & mask))
					break;
			count += j == i;
		}
	}
	return count;
}

/*
 * A 1 TiB MAP_NORESERVE mapping with four pages touched: one call walks it
 * whole (next == end) and finds those four PTEs alone, under the upper
 * entries above them: the walk skips what is empty.
 */
TEST(sparse_1tib)
{
	const size_t len = 1ULL << 40;
	const size_t offs[] = { 0, (1ULL << 30) + PS, 300ULL << 30, len - PS };
	struct vmlab_walk_entry *e = calloc(VMLAB_WALK_MAX_ENTRIES, sizeof(*e));
	unsigned int i, ptes = 0, upper = 0;
	struct vmlab_walk req;
	struct walk w;
	char *p, a[320];
	int fd;

	ASSERT_NE(NULL, e);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap 1 TiB MAP_NORESERVE: %s", strerror(errno));
	madvise(p, len, MADV_NOHUGEPAGE);
	for (i = 0; i < ARRAY_SIZE(offs); i++)
		vl_write_byte(p + offs[i], 1);
	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	memset(&req, 0, sizeof(req));
	req.start = (uintptr_t)p;
	req.end = (uintptr_t)p + len;
	req.entries = (uintptr_t)e;
	req.nr_entries = VMLAB_WALK_MAX_ENTRIES;
	ASSERT_EQ(0, walk_once(fd, &req));
	EXPECT_EQ(req.end, req.next);
	for (i = 0; i < req.nr_entries; i++) {
		if (e[i].level == VMLAB_LEVEL_PTE) {
			EXPECT_EQ((uintptr_t)p + offs[ptes < 4 ? ptes : 3], e[i].addr);
			ptes++;
		} else {
			upper++;
		}
	}
	EXPECT_EQ(4U, ptes);
	/* The upper entries above those pages, and no other. */
	EXPECT_EQ(sparse_upper((uintptr_t)p, offs, ARRAY_SIZE(offs), req.levels), upper) {
		for (i = 0; i < req.nr_entries; i++)
			TH_LOG("%s", entry_str(&e[i], a, sizeof(a)));
	}
	w.e = e;
	w.n = req.nr_entries;
	w.levels = req.levels;
	EXPECT_EQ(0, walk_check(_metadata, &w, req.start, req.end));
	ksft_print_msg("1 TiB, 4 pages: %u entries in one call\n", req.nr_entries);
	close(fd);
	munmap(p, len);
	free(e);
}

/*
 * Another process's tables (pid given): a child's written page, with the
 * PFN the child's pagemap shows.
 */
TEST(other_process)
{
	int to_parent[2], to_child[2], fd, pmfd, status;
	uint64_t addr = 0, raw = 0;
	struct walk w;
	char a[320], c = 0;
	pid_t pid;
	const struct vmlab_walk_entry *e;

	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *p = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED)
			_exit(1);
		vl_write_byte(p, 7);
		addr = (uintptr_t)p;
		if (write(to_parent[1], &addr, sizeof(addr)) != sizeof(addr))
			_exit(1);
		if (read(to_child[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ((ssize_t)sizeof(addr), read(to_parent[0], &addr, sizeof(addr)));
	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, walk_range(fd, pid, addr, addr + PS, VMLAB_WALK_MAX_ENTRIES, 1, &w));
	EXPECT_EQ(0, walk_check(_metadata, &w, addr, addr + PS));
	pmfd = vl_pagemap_open(pid);
	ASSERT_LE(0, pmfd);
	ASSERT_EQ(0, vl_pagemap_read(pmfd, addr, 1, &raw));
	close(pmfd);
	e = leaf_of(&w, addr);
	EXPECT_TRUE(e && e->level == VMLAB_LEVEL_PTE && e->what == VMLAB_WHAT_ANON &&
		    (e->bits & (WRITABLE | DIRTY)) == (WRITABLE | DIRTY) &&
		    e->pfn == vl_pm_decode(raw).pfn) {
		TH_LOG("the child's page: pagemap pfn %#llx, walker %s",
		       (unsigned long long)vl_pm_decode(raw).pfn, entry_str(e, a, sizeof(a)));
	}
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	walk_free(&w);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* 3. Bad input: each a documented errno (vmlab_uapi.h, VMLAB_IOC_WALK) */

enum bad_pid { PID_SELF, PID_OWN, PID_NEGATIVE, PID_REAPED, PID_INT_MAX, PID_KTHREADD,
	       PID_ZOMBIE };
enum bad_range { R_REGION, R_EMPTY, R_REVERSED, R_TO_LIMIT, R_PAST_LIMIT, R_PAST_LIMIT_PAGE,
		 R_KERNEL, R_ALL, R_UNALIGNED };
enum bad_ptr { P_OK, P_NULL, P_READONLY, P_KERNEL };
enum bad_priv { PRIV_ROOT, PRIV_NO_SYS_ADMIN, PRIV_NOBODY };
#define NR_ZERO		(-1L)

FIXTURE(bad) {
	char *region;		/* a page written: the walk has entries to copy out */
	char *ro;		/* a read-only page */
	pid_t child;		/* for PID_REAPED and PID_ZOMBIE */
	int fd;
};

FIXTURE_VARIANT(bad) {
	enum bad_pid pid;
	enum bad_range range;
	enum bad_ptr entries;	/* the entries array */
	enum bad_ptr arg;	/* the struct vmlab_walk */
	enum bad_priv priv;
	uint32_t flags;
	int reserved;		/* 1 + the index of reserved[] made non-zero, or 0 */
	long nr_entries;	/* 0: 64, the array's length; NR_ZERO: 0 */
	int err;		/* the errno expected, 0 for success */
};

FIXTURE_VARIANT_ADD(bad, good) { .err = 0 };
FIXTURE_VARIANT_ADD(bad, good_own_pid) { .pid = PID_OWN, .err = 0 };
FIXTURE_VARIANT_ADD(bad, good_to_limit) { .range = R_TO_LIMIT, .err = 0 };
FIXTURE_VARIANT_ADD(bad, good_unaligned) { .range = R_UNALIGNED, .err = 0 };
FIXTURE_VARIANT_ADD(bad, not_root) { .priv = PRIV_NOBODY, .err = EPERM };
FIXTURE_VARIANT_ADD(bad, no_cap_sys_admin) { .priv = PRIV_NO_SYS_ADMIN, .err = EPERM };
FIXTURE_VARIANT_ADD(bad, not_root_bad_arg) { .priv = PRIV_NOBODY, .arg = P_NULL, .err = EPERM };
FIXTURE_VARIANT_ADD(bad, pid_negative) { .pid = PID_NEGATIVE, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, pid_reaped) { .pid = PID_REAPED, .err = ESRCH };
FIXTURE_VARIANT_ADD(bad, pid_int_max) { .pid = PID_INT_MAX, .err = ESRCH };
FIXTURE_VARIANT_ADD(bad, pid_kthreadd) { .pid = PID_KTHREADD, .err = ESRCH };
FIXTURE_VARIANT_ADD(bad, pid_zombie) { .pid = PID_ZOMBIE, .err = ESRCH };
FIXTURE_VARIANT_ADD(bad, start_is_end) { .range = R_EMPTY, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, start_after_end) { .range = R_REVERSED, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, end_past_limit) { .range = R_PAST_LIMIT, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, end_page_past_limit) { .range = R_PAST_LIMIT_PAGE, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, kernel_range) { .range = R_KERNEL, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, whole_space) { .range = R_ALL, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, flags) { .flags = 1, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, flags_high) { .flags = 0x80000000u, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, reserved_0) { .reserved = 1, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, reserved_3) { .reserved = 4, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, nr_entries_0) { .nr_entries = NR_ZERO, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, below_min) { .nr_entries = VMLAB_WALK_MIN_ENTRIES - 1, .err = EINVAL };
FIXTURE_VARIANT_ADD(bad, good_min) { .nr_entries = VMLAB_WALK_MIN_ENTRIES, .err = 0 };
FIXTURE_VARIANT_ADD(bad, entries_null) { .entries = P_NULL, .err = EFAULT };
FIXTURE_VARIANT_ADD(bad, entries_readonly) { .entries = P_READONLY, .err = EFAULT };
FIXTURE_VARIANT_ADD(bad, entries_kernel) { .entries = P_KERNEL, .err = EFAULT };
FIXTURE_VARIANT_ADD(bad, arg_null) { .arg = P_NULL, .err = EFAULT };
FIXTURE_VARIANT_ADD(bad, arg_readonly) { .arg = P_READONLY, .err = EFAULT };
FIXTURE_VARIANT_ADD(bad, arg_kernel) { .arg = P_KERNEL, .err = EFAULT };

/* An address no user pointer may hold. */
#define KERNEL_PTR	0xffff888000000000ULL

FIXTURE_SETUP(bad)
{
	self->child = -1;
	self->fd = vl_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	self->region = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->region);
	vl_write_byte(self->region, 1);
	self->ro = mmap(NULL, PS, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ro);
	if (variant->pid == PID_REAPED || variant->pid == PID_ZOMBIE) {
		siginfo_t si;

		self->child = fork();
		ASSERT_LE(0, self->child);
		if (!self->child)
			_exit(0);
		/* Exited, not reaped yet: a zombie. */
		ASSERT_EQ(0, waitid(P_PID, self->child, &si, WEXITED | WNOWAIT));
		if (variant->pid == PID_REAPED)
			ASSERT_EQ(self->child, waitpid(self->child, NULL, 0));
	}
	if (variant->pid == PID_KTHREADD) {
		char comm[32] = "";

		if (vl_comm_read(2, comm, sizeof(comm)) || strcmp(comm, "kthreadd"))
			SKIP(return, "pid 2 is not kthreadd here (%s)", comm);
	}
}

FIXTURE_TEARDOWN(bad)
{
	if (self->child > 0 && variant->pid == PID_ZOMBIE)
		waitpid(self->child, NULL, 0);
	close(self->fd);
}

/* Drop CAP_SYS_ADMIN from the effective set, staying uid 0. */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

TEST_F(bad, walk)
{
	struct vmlab_walk_entry *e = calloc(64, sizeof(*e)), *before = calloc(64, sizeof(*e));
	uint64_t start = (uintptr_t)self->region, end = start + PS, limit;
	struct vmlab_walk req, saved, *argp = &req;
	struct vmlab_walk probe = {
		.start = start, .end = end, .nr_entries = 64,
	};
	int ret;

	ASSERT_NE(NULL, e);
	ASSERT_NE(NULL, before);
	/* The limit of the user address space, as the header gives it. */
	probe.entries = (uintptr_t)e;
	ASSERT_EQ(0, walk_once(self->fd, &probe));
	limit = probe.levels == 5 ? (1ULL << 56) - PS : (1ULL << 47) - PS;

	memset(&req, 0, sizeof(req));
	req.start = start;
	req.end = end;
	req.nr_entries = variant->nr_entries == NR_ZERO ? 0 :
			 variant->nr_entries ? (uint32_t)variant->nr_entries : 64;
	req.flags = variant->flags;
	if (variant->reserved)
		req.reserved[variant->reserved - 1] = 1;
	switch (variant->range) {
	case R_REGION:
		break;
	case R_EMPTY:
		req.end = req.start;
		break;
	case R_REVERSED:
		req.start = end;
		req.end = start;
		break;
	case R_TO_LIMIT:
		req.end = limit;
		break;
	case R_PAST_LIMIT:
		req.end = limit + 1;
		break;
	case R_PAST_LIMIT_PAGE:
		req.end = limit + PS;
		break;
	case R_KERNEL:
		req.start = KERNEL_PTR;
		req.end = KERNEL_PTR + PS;
		break;
	case R_ALL:
		req.start = 0;
		req.end = ~0ULL;
		break;
	case R_UNALIGNED:
		req.start = start + 100;
		req.end = start + 200;
		break;
	}
	switch (variant->pid) {
	case PID_SELF:
		break;
	case PID_OWN:
		req.pid = getpid();
		break;
	case PID_NEGATIVE:
		req.pid = -1;
		break;
	case PID_REAPED:
	case PID_ZOMBIE:
		req.pid = self->child;
		break;
	case PID_INT_MAX:
		req.pid = INT_MAX;
		break;
	case PID_KTHREADD:
		req.pid = 2;
		break;
	}
	req.entries = variant->entries == P_NULL ? 0 :
		      variant->entries == P_READONLY ? (uintptr_t)self->ro :
		      variant->entries == P_KERNEL ? KERNEL_PTR : (uintptr_t)e;
	if (variant->arg == P_NULL) {
		argp = NULL;
	} else if (variant->arg == P_KERNEL) {
		argp = (struct vmlab_walk *)(uintptr_t)KERNEL_PTR;
	} else if (variant->arg == P_READONLY) {
		/* The argument is read, the walk done, and the copy back fails. */
		ASSERT_EQ(0, mprotect(self->ro, PS, PROT_READ | PROT_WRITE));
		memcpy(self->ro, &req, sizeof(req));
		ASSERT_EQ(0, mprotect(self->ro, PS, PROT_READ));
		argp = (struct vmlab_walk *)self->ro;
		req.entries = (uintptr_t)e;
		memcpy(&req, self->ro, sizeof(req));
	}
	if (variant->priv == PRIV_NO_SYS_ADMIN)
		ASSERT_EQ(0, drop_sys_admin());
	if (variant->priv == PRIV_NOBODY)
		ASSERT_EQ(0, setresuid(65534, 65534, 65534));

	memset(e, 0xa5, 64 * sizeof(*e));
	memcpy(before, e, 64 * sizeof(*e));
	saved = req;
	ret = ioctl(self->fd, VMLAB_IOC_WALK, argp) ? errno : 0;
	EXPECT_EQ(variant->err, ret) {
		TH_LOG("expected %s, got %s", variant->err ? strerror(variant->err) : "success",
		       ret ? strerror(ret) : "success");
	}
	if (variant->err && variant->arg == P_OK) {
		/* A refusal writes nothing back: neither the entries nor the argument. */
		EXPECT_EQ(0, memcmp(before, e, 64 * sizeof(*e)));
		EXPECT_EQ(0, memcmp(&saved, &req, sizeof(req)));
	}
	if (!variant->err) {
		unsigned int i, leaves = 0;

		EXPECT_EQ((req.end + PS - 1) & ~(PS - 1), req.next);
		EXPECT_EQ(probe.levels, req.levels);
		/*
		 * The page written, at least.  Not necessarily last: a VMA
		 * above it (the stack's, vvar's) may show a PMD table entry
		 * with no PTE present in the range.
		 */
		for (i = 0; i < req.nr_entries; i++)
			leaves += !!(e[i].bits & VMLAB_E_LEAF);
		EXPECT_LE(1U, leaves) {
			TH_LOG("%u entries, no leaf among them; the last at level %u",
			       req.nr_entries, req.nr_entries ? e[req.nr_entries - 1].level : 0);
		}
	}
	free(e);
	free(before);
}

/* ------------------------------------------------------------------ */
/* 4. Races: walks against changes of the tables, and against an exit */

#define ARENA		(32 * MB)
#define SLOTS		(ARENA / (4 * MB))
#define RACE_WALKERS	2
#define RACE_MUTATORS	2
#define RACE_ROUNDS	400		/* per mutator */
#define RACE_SECONDS	8		/* at most this long, however far the rounds got */

struct race {
	char *arena;
	int dev;		/* /dev/vmlab, for the walks */
	int store, anon, huge;	/* vmlab files of each kind */
	bool have_huge;
	bool stop;		/* read and written with __atomic_*() */
	struct timespec t0;
	/* What happened (atomics). */
	unsigned long walks, entries, mutations, bad_ret, bad_entry;
	int last_bad;
};

static bool race_over(struct race *r)
{
	struct timespec now;

	if (__atomic_load_n(&r->stop, __ATOMIC_RELAXED))
		return true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - r->t0.tv_sec >= RACE_SECONDS;
}

/* Entries well formed, in the range walked, in address order. */
static bool race_entries_ok(const struct vmlab_walk_entry *e, unsigned int n, uint64_t start,
			    uint64_t end, unsigned int levels)
{
	uint64_t last = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (e[i].level > VMLAB_LEVEL_PTE || e[i].what > VMLAB_WHAT_SWAP || e[i].reserved)
			return false;
		if (e[i].level == VMLAB_LEVEL_PTE) {
			if (e[i].addr < start || e[i].addr >= end || e[i].addr < last)
				return false;
			last = e[i].addr + PS;
		} else if (e[i].addr + level_span(levels, e[i].level) <= start ||
			   e[i].addr >= end) {
			return false;
		}
	}
	return true;
}

/* Walk @pid's [@start, @end) until told to stop; @ok_errno: besides 0, or 0. */
static void race_walk(struct race *r, pid_t pid, uint64_t start, uint64_t end,
		      unsigned int per_call, int ok_errno)
{
	struct vmlab_walk_entry *e = calloc(per_call, sizeof(*e));
	uint64_t at = start;

	if (!e) {
		__atomic_fetch_add(&r->bad_ret, 1, __ATOMIC_RELAXED);
		return;
	}
	while (!race_over(r)) {
		struct vmlab_walk req = {
			.pid = pid, .start = at, .end = end, .entries = (uintptr_t)e,
			.nr_entries = per_call,
		};
		int ret = walk_once(r->dev, &req);

		__atomic_fetch_add(&r->walks, 1, __ATOMIC_RELAXED);
		if (ret && ret != -ok_errno) {
			__atomic_fetch_add(&r->bad_ret, 1, __ATOMIC_RELAXED);
			r->last_bad = ret;
			continue;
		}
		if (ret) {
			if (pid)
				break;	/* the process is gone */
			continue;
		}
		__atomic_fetch_add(&r->entries, req.nr_entries, __ATOMIC_RELAXED);
		if (!race_entries_ok(e, req.nr_entries, at, end, req.levels))
			__atomic_fetch_add(&r->bad_entry, 1, __ATOMIC_RELAXED);
		at = req.next == end ? start : req.next;
	}
	free(e);
}

static void *race_walker(void *arg)
{
	struct race *r = arg;
	static int n;
	int me = __atomic_fetch_add(&n, 1, __ATOMIC_RELAXED);

	/* One walks in big pieces, the other in small ones (resuming often). */
	race_walk(r, 0, (uintptr_t)r->arena, (uintptr_t)r->arena + ARENA,
		  me & 1 ? 7 : VMLAB_WALK_MAX_ENTRIES, 0);
	return NULL;
}

static void race_touch(char *p, size_t len, size_t step)
{
	size_t i;

	for (i = 0; i < len; i += step)
		vl_write_byte(p + i, (unsigned char)i);
}

/*
 * One round on slot @slot (4 MiB at a 2 MiB boundary): map something
 * there, fill it, then change it: zap, protect, split, collapse, unmap.
 */
static void race_mutate(struct race *r, unsigned int round, unsigned int slot)
{
	char *p = r->arena + slot * 4 * MB, *q;
	const int rw = PROT_READ | PROT_WRITE;
	int fd = -1;

	switch (round % 6) {
	case 0:		/* native private anonymous, zapped and protected in pieces */
		q = mmap(p, 4 * MB, rw, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (q == MAP_FAILED)
			return;
		race_touch(q, 4 * MB, 3 * PS);
		madvise(q + MB, MB, MADV_DONTNEED);
		mprotect(q + 2 * MB + PS, 5 * PS, PROT_READ);
		break;
	case 1:		/* vmlab's private anonymous: zero pages, then copies */
		q = mmap(p, 4 * MB, rw, MAP_PRIVATE | MAP_FIXED, r->anon, 0);
		if (q == MAP_FAILED)
			return;
		race_touch(q, 2 * MB, 5 * PS);
		madvise(q, 4 * MB, MADV_DONTNEED);
		race_touch(q + MB, MB, 2 * PS);
		break;
	case 2:		/* vmlab's shared store, written, synced, protected */
		q = mmap(p, 4 * MB, rw, MAP_SHARED | MAP_FIXED, r->store, STORE_OFF);
		if (q == MAP_FAILED)
			return;
		race_touch(q, 4 * MB, 7 * PS);
		msync(q, 4 * MB, MS_SYNC);
		mprotect(q, 2 * MB, PROT_READ);
		madvise(q + 2 * MB, 2 * MB, MADV_DONTNEED);
		break;
	case 3:		/* a memfd of base pages, collapsed: PTE tables retracted */
		fd = memfd_create("vmlab-walk-race", 0);
		if (fd < 0 || ftruncate(fd, 4 * MB))
			break;
		q = mmap(p, 4 * MB, rw, MAP_SHARED | MAP_FIXED, fd, 0);
		if (q == MAP_FAILED)
			break;
		race_touch(q, 4 * MB, PS);
		madvise(q, 4 * MB, MADV_COLLAPSE);
		race_touch(q, 4 * MB, HPAGE);
		break;
	case 4:		/* the huge kind: PMDs, split by mprotect, unmapped in part */
		if (!r->have_huge)
			return;
		q = mmap(p, 4 * MB, rw, MAP_SHARED | MAP_FIXED, r->huge, 0);
		if (q == MAP_FAILED)
			return;
		race_touch(q, 4 * MB, HPAGE / 2);
		mprotect(q + PS, PS, PROT_READ);
		munmap(q + 3 * MB, PS);
		break;
	case 5:		/* vmlab's shared anonymous THPs (policy always), zapped */
		fd = vl_open(O_RDWR);
		if (fd < 0 || vl_select_thp(fd, VMLAB_THP_ALWAYS))
			break;
		q = mmap(p, 4 * MB, rw, MAP_SHARED | MAP_FIXED, fd, 0);
		if (q == MAP_FAILED)
			break;
		race_touch(q, 4 * MB, PS * 64);
		madvise(q + MB, 2 * MB, MADV_DONTNEED);
		mprotect(q + 3 * MB, MB, PROT_READ);
		break;
	}
	if (fd >= 0)
		close(fd);
	__atomic_fetch_add(&r->mutations, 1, __ATOMIC_RELAXED);
	/* Gone again: PROT_NONE over the slot keeps the arena reserved. */
	mmap(p, 4 * MB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

static void *race_mutator(void *arg)
{
	struct race *r = arg;
	static int n;
	int me = __atomic_fetch_add(&n, 1, __ATOMIC_RELAXED);
	unsigned int round;

	/* Each mutator its own slots: a slot's round ends with its unmap. */
	for (round = 0; round < RACE_ROUNDS && !race_over(r); round++)
		race_mutate(r, round + me, (round % (SLOTS / RACE_MUTATORS)) * RACE_MUTATORS + me);
	return NULL;
}

FIXTURE(race) {
	struct race *r;
};

FIXTURE_SETUP(race)
{
	struct race *r = calloc(1, sizeof(*r));
	char *a;

	ASSERT_NE(NULL, r);
	self->r = r;
	a = mmap(NULL, 2 * ARENA, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	r->arena = (char *)(((uintptr_t)a + 4 * MB - 1) & ~(4 * MB - 1));
	r->dev = vl_open(O_RDWR);
	r->store = vl_open(O_RDWR);
	r->anon = vl_open(O_RDWR);
	ASSERT_LE(0, r->dev);
	ASSERT_LE(0, r->store);
	ASSERT_LE(0, r->anon);
	ASSERT_EQ(0, vl_select(r->anon, VMLAB_KIND_ANON, -1));
	r->huge = -1;
	if (meminfo("HugePages_Free") >= 2) {
		r->huge = vl_open(O_RDWR);
		ASSERT_LE(0, r->huge);
		ASSERT_EQ(0, vl_select(r->huge, VMLAB_KIND_HUGE, -1));
		r->have_huge = true;
	}
}

FIXTURE_TEARDOWN(race)
{
	struct race *r = self->r;

	if (!r)
		return;
	close(r->dev);
	close(r->store);
	close(r->anon);
	if (r->huge >= 0)
		close(r->huge);
	free(r);
}

static void race_report(struct __test_metadata *_metadata, struct race *r, const char *what)
{
	ksft_print_msg("%s: %lu walks, %lu entries, %lu mutations\n", what, r->walks, r->entries,
		       r->mutations);
	EXPECT_EQ(0UL, r->bad_ret) TH_LOG("%s: %lu walks failed, the last with %s", what,
					  r->bad_ret, strerror(-r->last_bad));
	EXPECT_EQ(0UL, r->bad_entry) TH_LOG("%s: %lu walks returned malformed entries", what,
					    r->bad_entry);
	EXPECT_LT(0UL, r->walks);
	EXPECT_LT(0UL, r->mutations);
}

/*
 * Walkers of the arena (one in pieces of 4096 entries, one of 7) while
 * mutators map, fill, zap, protect, split, collapse and unmap it: every
 * walk returns 0 and well-formed entries, and the kernel reports nothing.
 */
TEST_F_TIMEOUT(race, walk_while_changing, 300)
{
	pthread_t w[RACE_WALKERS], m[RACE_MUTATORS];
	struct race *r = self->r;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	for (i = 0; i < RACE_WALKERS; i++)
		ASSERT_EQ(0, pthread_create(&w[i], NULL, race_walker, r));
	for (i = 0; i < RACE_MUTATORS; i++)
		ASSERT_EQ(0, pthread_create(&m[i], NULL, race_mutator, r));
	for (i = 0; i < RACE_MUTATORS; i++)
		pthread_join(m[i], NULL);
	__atomic_store_n(&r->stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < RACE_WALKERS; i++)
		pthread_join(w[i], NULL);
	race_report(_metadata, r, "walk_while_changing");
}

/*
 * Walks of a child process that changes its tables and exits meanwhile:
 * each walk returns 0, or ESRCH once the child has no address space.
 */
TEST_F_TIMEOUT(race, walk_other_process_exiting, 300)
{
	struct race *r = self->r;
	unsigned int i;
	int status;
	pid_t pid;

	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	for (i = 0; i < 4 && !race_over(r); i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			unsigned int round;

			__atomic_store_n(&r->stop, false, __ATOMIC_RELAXED);
			for (round = 0; round < RACE_ROUNDS / 8; round++)
				race_mutate(r, round, round % SLOTS);
			_exit(0);
		}
		race_walk(r, pid, (uintptr_t)r->arena, (uintptr_t)r->arena + ARENA,
			  i & 1 ? 7 : VMLAB_WALK_MAX_ENTRIES, ESRCH);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
		/* The mutations were the child's: count rounds here. */
		r->mutations += RACE_ROUNDS / 8;
	}
	race_report(_metadata, r, "walk_other_process_exiting");
}

TEST_HARNESS_MAIN
