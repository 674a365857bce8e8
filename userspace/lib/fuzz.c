// SPDX-License-Identifier: GPL-2.0
/*
 * The differential fuzzer's engine: generation, the two worlds, the
 * observations after each step and their comparison.
 *
 * A world is one process (forked from the caller) that runs the whole
 * sequence on one side, vmlab or native, inside a window of the address
 * space between two guard mappings, and writes one record per step into
 * memory shared with the caller.  Operations between VL_FZ_FORK and
 * VL_FZ_EXIT run in a child of the world, which records its own steps; the
 * world waits for it and records the exit step.  The caller compares the
 * two worlds' records step by step.
 *
 * A record holds: the operation's result (return value relative to the
 * window, errno, the signal it raised, the value it read); for each unit
 * of the window the pagemap and kpageflags facts, how its PFN relates to
 * the others' (the zero page, the same page as an earlier unit, the page
 * the parent had there at fork), mincore and a checksum of its contents
 * when it is present and readable; for each mapping in the window its
 * maps line (relative to the window) and its smaps counters.  Adjacent
 * mappings that the kernel could have merged are compared merged, so that
 * a difference in merging shows only in the raw count of mappings.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "debugfs.h"
#include "fuzz.h"
#include "pagemap.h"
#include "procfs.h"
#include "touch.h"
#include "vmlab_uapi.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT		0x01
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PS		4096UL
#define HUGE_UNIT	(2UL << 20)
#define MAXU		24	/* units in the window */
#define MAXV		24	/* mappings recorded in the window */
#define OBJ_UNITS	16	/* offsets a mapping of the object may start at */
#define NRECS		(VL_FZ_MAX_OPS + 1)	/* the steps and the final read-back */
#define SMAPS_BUF	(512 * 1024)
#define PAGE_CLUSTER	"/proc/sys/vm/page-cluster"

static const char *const kind_names[VL_FZ_NKINDS] = {
	"private_anon", "shared_anon", "private_cow", "shared", "huge",
};

static const char *const verdict_names[] = {
	"same", "documented", "diverged", "crashed", "leaked", "skipped", "error", "kernel report",
};

const char *const vl_fz_op_names[VL_FZ_NOPS] = {
	"mmap", "munmap", "mprotect", "mremap", "madvise", "mlock", "msync", "read", "write",
	"pread", "pwrite", "clear_refs", "fork", "exit", "race",
};

static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE };
static const char *const prot_names[] = { "none", "r", "rw" };
#define NPROTS	3

static const struct {
	int advice;
	const char *name;
} advices[] = {
	{ MADV_DONTNEED, "dontneed" },		{ MADV_FREE, "free" },
	{ MADV_WILLNEED, "willneed" },		{ MADV_DONTFORK, "dontfork" },
	{ MADV_DOFORK, "dofork" },		{ MADV_WIPEONFORK, "wipeonfork" },
	{ MADV_KEEPONFORK, "keeponfork" },	{ MADV_COLD, "cold" },
	{ MADV_PAGEOUT, "pageout" },		{ MADV_POPULATE_READ, "populate_read" },
	{ MADV_POPULATE_WRITE, "populate_write" }, { MADV_HUGEPAGE, "hugepage" },
	{ MADV_NOHUGEPAGE, "nohugepage" },	{ MADV_NORMAL, "normal" },
	{ MADV_RANDOM, "random" },		{ MADV_SEQUENTIAL, "sequential" },
	{ MADV_REMOVE, "remove" },
};

#define NADVICES	((int)ARRAY_SIZE(advices))

static const char *const mlock_names[] = { "mlock", "munlock", "mlock_onfault" };
static const char *const msync_names[] = { "async", "sync", "invalidate" };
static const char *const mremap_names[] = { "inplace", "maymove", "fixed", "dontunmap" };

/* smaps counters compared per mapping. */
static const char *const sm_names[] = {
	"Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty",
	"Referenced", "Anonymous", "LazyFree", "AnonHugePages", "ShmemPmdMapped",
	"FilePmdMapped", "Shared_Hugetlb", "Private_Hugetlb", "Swap", "SwapPss", "Locked",
};

#define NSM	((int)ARRAY_SIZE(sm_names))

/* struct fz_unit.pm bits */
#define U_PRESENT	0x01
#define U_SWAPPED	0x02
#define U_EXCLUSIVE	0x04
#define U_FILE		0x08
#define U_SOFTDIRTY	0x10
#define U_INCORE	0x20
#define U_HASHED	0x40
/* struct fz_unit.kpf bits */
#define K_ZERO		0x01
#define K_ANON		0x02
#define K_SWAPBACKED	0x04
#define K_THP		0x08
#define K_HUGE		0x10
#define K_MLOCKED	0x20
#define K_UNEVICTABLE	0x40

/* struct fz_unit.rel */
#define REL_NONE	0
#define REL_ZERO	1
#define REL_FORK	2	/* the page the parent had there when it forked */
#define REL_UNIT	3	/* + j: the same page as unit j < this one */
#define REL_OTHER	255

struct fz_unit {
	uint8_t pm, kpf, rel;
	uint32_t sum;
};

struct fz_vma {
	int32_t start, end;	/* 4 KiB pages from the window's start */
	char perms[5];
	int nraw;		/* raw mappings merged into this one */
	int64_t pgoff;		/* bytes */
	uint64_t ino;
	int64_t sm[NSM];
	char vmflags[96];
};

struct fz_rec {
	int done;
	int32_t ret, err, sig;
	int64_t value;
	int nraw, nv;
	struct fz_unit u[MAXU];
	struct fz_vma v[MAXV];
};

/* What a world knows while it runs. */
struct world {
	const struct vl_fz_seq *seq;
	int kind, vmlab;
	unsigned long unit;
	int nunits;
	char *base;
	int objfd;		/* the store or the memfd; -1 for the anonymous kinds */
	int pmfd, kpffd;
	char *scratch;		/* a private page of our own, for MADV_COLD */
	uint64_t zero_pfn;
	uint64_t fork_pfn[MAXU];
	bool in_child;
	struct fz_rec *recs;
};

static struct fz_rec *shared_recs[2];
static char *smaps_buf;
/* The window's pagemap entries: 6 units of 512 entries at most. */
static uint64_t pm_buf[MAXU * (HUGE_UNIT / PS) / 4];
static unsigned char mc_buf[MAXU * (HUGE_UNIT / PS) / 4];

const char *vl_fz_kind_name(int kind)
{
	return kind >= 0 && kind < VL_FZ_NKINDS ? kind_names[kind] : "?";
}

int vl_fz_kind_parse(const char *name)
{
	int k;

	for (k = 0; k < VL_FZ_NKINDS; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return -1;
}

const char *vl_fz_verdict_name(int verdict)
{
	return verdict >= 0 && verdict <= VL_FZ_REPORTED ? verdict_names[verdict] : "?";
}

static bool is_file_kind(int kind)
{
	return kind == VL_FZ_PRIVATE_COW || kind == VL_FZ_SHARED;
}

static bool is_shared_kind(int kind)
{
	return kind != VL_FZ_PRIVATE_ANON && kind != VL_FZ_PRIVATE_COW;
}

static unsigned long unit_of(int kind)
{
	return kind == VL_FZ_HUGE ? HUGE_UNIT : PS;
}

static int units_of(int kind)
{
	return kind == VL_FZ_HUGE ? 6 : MAXU;
}

const char *vl_fz_op_name(const struct vl_fz_op *op)
{
	static __thread char buf[32];

	if (op->type >= VL_FZ_NOPS)
		return "?";
	if (op->type == VL_FZ_MADVISE && op->d < NADVICES) {
		snprintf(buf, sizeof(buf), "madvise:%s", advices[op->d].name);
		return buf;
	}
	return vl_fz_op_names[op->type];
}

void vl_fz_describe(char *buf, size_t len, int kind, const struct vl_fz_op *op)
{
	const char *p = prot_names[op->d % NPROTS];
	int n = 0;

	switch (op->type) {
	case VL_FZ_MMAP:
		n = snprintf(buf, len, "mmap units %d-%d", op->a, op->a + op->b - 1);
		if (is_file_kind(kind))
			n += snprintf(buf + n, len - n, " offset %d", op->c);
		snprintf(buf + n, len - n, " %s%s%s%s%s", p,
			 op->e & VL_FZ_MF_FIXED ? " fixed" :
			 op->e & VL_FZ_MF_NOREPLACE ? " fixed_noreplace" : " hint",
			 op->e & VL_FZ_MF_POPULATE ? " populate" : "",
			 op->e & VL_FZ_MF_LOCKED ? " locked" : "",
			 op->e & VL_FZ_MF_NORESERVE ? " noreserve" : "");
		break;
	case VL_FZ_MUNMAP:
		snprintf(buf, len, "munmap units %d-%d", op->a, op->a + op->b - 1);
		break;
	case VL_FZ_MPROTECT:
		snprintf(buf, len, "mprotect units %d-%d %s", op->a, op->a + op->b - 1, p);
		break;
	case VL_FZ_MREMAP:
		snprintf(buf, len, "mremap units %d-%d to %d units %s dest %d", op->a,
			 op->a + op->b - 1, op->c, mremap_names[op->d % VL_FZ_MR_NMODES], op->e);
		break;
	case VL_FZ_MADVISE:
		snprintf(buf, len, "madvise units %d-%d %s", op->a, op->a + op->b - 1,
			 advices[op->d % NADVICES].name);
		break;
	case VL_FZ_MLOCK:
		snprintf(buf, len, "%s units %d-%d", mlock_names[op->d % 3], op->a,
			 op->a + op->b - 1);
		break;
	case VL_FZ_MSYNC:
		snprintf(buf, len, "msync units %d-%d %s", op->a, op->a + op->b - 1,
			 msync_names[op->d % 3]);
		break;
	case VL_FZ_READ:
		snprintf(buf, len, "read unit %d", op->a);
		break;
	case VL_FZ_WRITE:
		snprintf(buf, len, "write unit %d byte %d = 0x%02x", op->a, op->d, op->c);
		break;
	case VL_FZ_PREAD:
		snprintf(buf, len, "pread object unit %d", op->c);
		break;
	case VL_FZ_PWRITE:
		snprintf(buf, len, "pwrite object unit %d = 0x%02x", op->c, op->d);
		break;
	case VL_FZ_RACE:
		snprintf(buf, len, "two threads write units %d and %d", op->a, op->b);
		break;
	default:
		snprintf(buf, len, "%s", op->type < VL_FZ_NOPS ? vl_fz_op_names[op->type] : "?");
		break;
	}
}

/* ---- generation ---- */

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int rnd(uint64_t *s, int n)
{
	return n > 0 ? (int)(rng_next(s) % (uint64_t)n) : 0;
}

/* A range [a, a + b) of the window, mostly small. */
static void rnd_range(uint64_t *s, int nunits, struct vl_fz_op *op)
{
	int maxlen;

	op->a = rnd(s, nunits);
	maxlen = nunits - op->a;
	op->b = 1 + (rnd(s, 4) ? rnd(s, maxlen < 6 ? maxlen : 6) : rnd(s, maxlen));
}

static void gen_op(uint64_t *s, int kind, int nunits, bool in_child, struct vl_fz_op *op)
{
	static const struct {
		int type, weight;
	} w[] = {
		{ VL_FZ_MMAP, 9 },	{ VL_FZ_MUNMAP, 5 },	{ VL_FZ_MPROTECT, 7 },
		{ VL_FZ_MREMAP, 6 },	{ VL_FZ_MADVISE, 14 },	{ VL_FZ_MLOCK, 4 },
		{ VL_FZ_MSYNC, 3 },	{ VL_FZ_READ, 14 },	{ VL_FZ_WRITE, 18 },
		{ VL_FZ_PREAD, 3 },	{ VL_FZ_PWRITE, 3 },	{ VL_FZ_CLEAR_REFS, 3 },
		{ VL_FZ_FORK, 4 },	{ VL_FZ_RACE, 3 },
	};
	int total = 0, i, r;

	for (i = 0; i < (int)ARRAY_SIZE(w); i++)
		total += w[i].weight;
again:
	r = rnd(s, total);
	for (i = 0; r >= w[i].weight; i++)
		r -= w[i].weight;
	memset(op, 0, sizeof(*op));
	op->type = w[i].type;
	if ((op->type == VL_FZ_PREAD || op->type == VL_FZ_PWRITE) && !is_file_kind(kind))
		goto again;
	if (op->type == VL_FZ_FORK && in_child)
		goto again;

	switch (op->type) {
	case VL_FZ_MMAP:
		rnd_range(s, nunits, op);
		op->c = is_file_kind(kind) ? rnd(s, OBJ_UNITS) : 0;
		op->d = rnd(s, 10) < 6 ? 2 : rnd(s, 10) < 8 ? 1 : 0;
		op->e = rnd(s, 10) < 7 ? VL_FZ_MF_FIXED : rnd(s, 2) ? VL_FZ_MF_NOREPLACE : 0;
		if (!rnd(s, 5))
			op->e |= VL_FZ_MF_POPULATE;
		if (!rnd(s, 10))
			op->e |= VL_FZ_MF_LOCKED;
		if (!rnd(s, 10))
			op->e |= VL_FZ_MF_NORESERVE;
		break;
	case VL_FZ_MUNMAP:
	case VL_FZ_MSYNC:
	case VL_FZ_MLOCK:
		rnd_range(s, nunits, op);
		op->d = rnd(s, 3);
		break;
	case VL_FZ_MPROTECT:
		rnd_range(s, nunits, op);
		op->d = rnd(s, 10) < 5 ? 1 : rnd(s, 10) < 7 ? 2 : 0;
		break;
	case VL_FZ_MADVISE:
		rnd_range(s, nunits, op);
		op->d = rnd(s, NADVICES);
		break;
	case VL_FZ_MREMAP:
		rnd_range(s, nunits, op);
		op->d = rnd(s, VL_FZ_MR_NMODES);
		op->c = op->d == VL_FZ_MR_DONTUNMAP && rnd(s, 4) ? op->b : 1 + rnd(s, nunits / 2);
		op->e = rnd(s, nunits - op->c + 1);
		break;
	case VL_FZ_READ:
		op->a = rnd(s, nunits);
		break;
	case VL_FZ_WRITE:
		op->a = rnd(s, nunits);
		op->c = 1 + rnd(s, 255);
		op->d = rnd(s, 256);
		break;
	case VL_FZ_PREAD:
		op->c = rnd(s, OBJ_UNITS + nunits);
		break;
	case VL_FZ_PWRITE:
		op->c = rnd(s, OBJ_UNITS + nunits);
		op->d = 1 + rnd(s, 255);
		break;
	case VL_FZ_RACE:
		op->a = rnd(s, nunits);
		op->b = rnd(s, nunits);
		break;
	default:
		break;
	}
}

void vl_fz_generate(struct vl_fz_seq *seq, int kind, uint64_t seed, int max_ops)
{
	int nunits = units_of(kind), child_left = 0;
	uint64_t s = seed * 0x2545f4914f6cdd1dULL + (uint64_t)kind;
	int i, n;

	if (max_ops > VL_FZ_MAX_OPS)
		max_ops = VL_FZ_MAX_OPS;
	if (max_ops < 2)
		max_ops = 2;
	memset(seq, 0, sizeof(*seq));
	seq->kind = kind;
	seq->seed = seed;
	n = 2 + rnd(&s, max_ops - 1);
	for (i = 0; i < n; i++) {
		struct vl_fz_op *op = &seq->op[i];

		if (child_left && --child_left == 0) {
			memset(op, 0, sizeof(*op));
			op->type = VL_FZ_EXIT;
			continue;
		}
		/* Mostly a mapping first, so that most steps act on something. */
		if (i == 0 || (i < 3 && rnd(&s, 2))) {
			memset(op, 0, sizeof(*op));
			op->type = VL_FZ_MMAP;
			op->a = rnd(&s, nunits / 2);
			op->b = 1 + rnd(&s, nunits - op->a);
			op->c = is_file_kind(kind) ? rnd(&s, OBJ_UNITS) : 0;
			op->d = 2;
			op->e = VL_FZ_MF_FIXED | (rnd(&s, 6) ? 0 : VL_FZ_MF_POPULATE);
			continue;
		}
		gen_op(&s, kind, nunits, child_left > 0, op);
		if (op->type == VL_FZ_FORK) {
			if (i + 2 >= n) {
				op->type = VL_FZ_CLEAR_REFS;
				continue;
			}
			child_left = 2 + rnd(&s, 6);
		}
	}
	/* A child still running at the end exits there. */
	seq->n = n;
}

/* ---- a world ---- */

/* The jump out of a caught SIGSEGV or SIGBUS, per thread; NULL: none armed. */
struct fz_jump {
	sigjmp_buf jb;
};

static __thread struct fz_jump *fz_jmp;

static void fz_signal(int sig)
{
	if (fz_jmp)
		siglongjmp(fz_jmp->jb, sig);
	_exit(128 + sig);
}

static uint32_t hash_unit(const char *p, unsigned long unit)
{
	uint64_t h = 1469598103934665603ULL;
	unsigned long off, step = unit > PS ? PS / 8 : 8;

	for (off = 0; off < unit; off += step) {
		uint64_t v;

		memcpy(&v, p + off, sizeof(v));
		h ^= v;
		h *= 1099511628211ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

/* Read (or write) a unit with SIGSEGV and SIGBUS caught: the signal, or 0. */
static int guarded(struct world *w, int u, bool write, int byte, int val, uint32_t *sum)
{
	struct fz_jump j;
	char *p = w->base + (unsigned long)u * w->unit;
	int sig;

	/* No mask to save: SA_NODEFER leaves the signal unblocked in the handler. */
	sig = sigsetjmp(j.jb, 0);
	if (sig) {
		fz_jmp = NULL;
		return sig;
	}
	fz_jmp = &j;
	if (write)
		vl_write_byte(p + (unsigned long)byte * (w->unit / 256), (unsigned char)val);
	else
		*sum = hash_unit(p, w->unit);
	fz_jmp = NULL;
	return 0;
}

struct race_arg {
	struct world *w;
	int unit, val, sig;
	pthread_barrier_t *bar;
};

static void *race_thread(void *arg)
{
	struct race_arg *r = arg;
	uint32_t dummy;

	pthread_barrier_wait(r->bar);
	r->sig = guarded(r->w, r->unit, true, r->val, r->val, &dummy);
	return NULL;
}

static char *race_stacks[2];
#define RACE_STACK	(128 * 1024)

static int do_race(struct world *w, const struct vl_fz_op *op, int step)
{
	struct race_arg r[2] = {
		{ .w = w, .unit = op->a, .val = 1 + (step * 2) % 250 },
		{ .w = w, .unit = op->b, .val = 2 + (step * 2) % 250 },
	};
	pthread_barrier_t bar;
	pthread_t t[2];
	pthread_attr_t attr;
	int i;

	pthread_barrier_init(&bar, NULL, 2);
	for (i = 0; i < 2; i++) {
		r[i].bar = &bar;
		pthread_attr_init(&attr);
		pthread_attr_setstack(&attr, race_stacks[i], RACE_STACK);
		if (pthread_create(&t[i], &attr, race_thread, &r[i]))
			_exit(120);
		pthread_attr_destroy(&attr);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&bar);
	return r[0].sig * 100 + r[1].sig;
}

/* The address the kernel returned, as a unit of the window; -2: elsewhere. */
static int32_t where(struct world *w, void *p, unsigned long len)
{
	char *c = p;

	if (c >= w->base && c + len <= w->base + (unsigned long)w->nunits * w->unit &&
	    !((c - w->base) % PS))
		return (int32_t)((c - w->base) / PS);
	munmap(p, len);
	return -2;
}

static void *fz_mmap(struct world *w, const struct vl_fz_op *op)
{
	unsigned long len = (unsigned long)op->b * w->unit;
	char *addr = w->base + (unsigned long)op->a * w->unit;
	int prot = prots[op->d % NPROTS];
	int flags = is_shared_kind(w->kind) ? MAP_SHARED : MAP_PRIVATE;
	off_t off = is_file_kind(w->kind) ? (off_t)op->c * (off_t)w->unit : 0;
	int fd = -1, err;
	void *p;

	if (op->e & VL_FZ_MF_FIXED)
		flags |= MAP_FIXED;
	else if (op->e & VL_FZ_MF_NOREPLACE)
		flags |= MAP_FIXED_NOREPLACE;
	if (op->e & VL_FZ_MF_POPULATE)
		flags |= MAP_POPULATE;
	if (op->e & VL_FZ_MF_LOCKED)
		flags |= MAP_LOCKED;
	if (op->e & VL_FZ_MF_NORESERVE)
		flags |= MAP_NORESERVE;

	if (!w->vmlab) {
		if (is_file_kind(w->kind))
			return mmap(addr, len, prot, flags, w->objfd, off);
		flags |= MAP_ANONYMOUS;
		if (w->kind == VL_FZ_HUGE)
			flags |= MAP_HUGETLB;
		return mmap(addr, len, prot, flags, -1, 0);
	}
	fd = open(VMLAB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		_exit(121);
	if (w->kind != VL_FZ_PRIVATE_COW && w->kind != VL_FZ_SHARED) {
		struct vmlab_select sel = {
			.kind = w->kind == VL_FZ_HUGE ? VMLAB_KIND_HUGE : VMLAB_KIND_ANON,
			.huge_fd = -1,
		};

		if (ioctl(fd, VMLAB_IOC_SET_KIND, &sel))
			_exit(122);
	}
	p = mmap(addr, len, prot, flags, fd, off);
	err = errno;
	close(fd);
	errno = err;
	return p;
}

static void do_op(struct world *w, const struct vl_fz_op *op, int step, struct fz_rec *rec)
{
	unsigned long ulen = (unsigned long)op->b * w->unit;
	char *addr = w->base + (unsigned long)op->a * w->unit;
	long r = 0;
	void *p;
	char buf[64];
	uint32_t sum = 0;

	errno = 0;
	switch (op->type) {
	case VL_FZ_MMAP:
		p = fz_mmap(w, op);
		r = p == MAP_FAILED ? -1 : where(w, p, ulen);
		break;
	case VL_FZ_MUNMAP:
		r = munmap(addr, ulen);
		break;
	case VL_FZ_MPROTECT:
		r = mprotect(addr, ulen, prots[op->d % NPROTS]);
		break;
	case VL_FZ_MREMAP: {
		unsigned long nlen = (unsigned long)op->c * w->unit;
		char *dest = w->base + (unsigned long)op->e * w->unit;

		switch (op->d % VL_FZ_MR_NMODES) {
		case VL_FZ_MR_INPLACE:
			p = mremap(addr, ulen, nlen, 0);
			break;
		case VL_FZ_MR_MAYMOVE:
			p = mremap(addr, ulen, nlen, MREMAP_MAYMOVE);
			break;
		case VL_FZ_MR_FIXED:
			p = mremap(addr, ulen, nlen, MREMAP_MAYMOVE | MREMAP_FIXED, dest);
			break;
		default:
			p = mremap(addr, ulen, nlen, MREMAP_MAYMOVE | MREMAP_FIXED |
				   MREMAP_DONTUNMAP, dest);
			break;
		}
		r = p == MAP_FAILED ? -1 : where(w, p, nlen);
		break;
	}
	case VL_FZ_MADVISE:
		r = madvise(addr, ulen, advices[op->d % NADVICES].advice);
		break;
	case VL_FZ_MLOCK:
		r = op->d % 3 == 0 ? mlock(addr, ulen) : op->d % 3 == 1 ? munlock(addr, ulen) :
		    mlock2(addr, ulen, MLOCK_ONFAULT);
		break;
	case VL_FZ_MSYNC:
		r = msync(addr, ulen, op->d % 3 == 0 ? MS_ASYNC : op->d % 3 == 1 ? MS_SYNC :
			  MS_INVALIDATE);
		break;
	case VL_FZ_READ:
		rec->sig = guarded(w, op->a, false, 0, 0, &sum);
		rec->value = rec->sig ? 0 : sum;
		break;
	case VL_FZ_WRITE:
		rec->sig = guarded(w, op->a, true, op->d, op->c, &sum);
		break;
	case VL_FZ_PREAD: {
		static char ubuf[HUGE_UNIT];

		r = pread(w->objfd, ubuf, PS, (off_t)op->c * (off_t)w->unit);
		rec->value = r > 0 ? hash_unit(ubuf, PS) : 0;
		break;
	}
	case VL_FZ_PWRITE:
		memset(buf, op->d, sizeof(buf));
		r = pwrite(w->objfd, buf, sizeof(buf),
			   (off_t)op->c * (off_t)w->unit + (op->d % 60) * 64);
		break;
	case VL_FZ_CLEAR_REFS:
		r = vl_write_file("/proc/self/clear_refs", "4") ? -1 : 0;
		break;
	case VL_FZ_RACE:
		rec->value = do_race(w, op, step);
		break;
	default:
		break;
	}
	rec->ret = (int32_t)r;
	rec->err = r < 0 ? errno : 0;
}

static int64_t sm_value(const char *line, int *idx)
{
	int i;
	size_t l;

	for (i = 0; i < NSM; i++) {
		l = strlen(sm_names[i]);
		if (!strncmp(line, sm_names[i], l) && line[l] == ':') {
			*idx = i;
			return strtoll(line + l + 1, NULL, 10);
		}
	}
	*idx = -1;
	return 0;
}

/*
 * VmFlags as the merged view compares them (@out): without "sd", which
 * the kernel ignores when it merges; for private anonymous mappings
 * without "ac" (mprotect() drops VM_ACCOUNT from some native VMAs only,
 * entry anon-account); for the huge kind without "hg" and "nh" (its VMAs
 * start with VM_HUGEPAGE, hugetlb's without, entry huge-vmflags).
 */
static void merge_flags(int kind, const char *in, char *out, size_t len)
{
	char buf[96], *tok, *save = NULL;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", in);
	out[0] = 0;
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (!strcmp(tok, "sd") || (kind == VL_FZ_PRIVATE_ANON && !strcmp(tok, "ac")) ||
		    (kind == VL_FZ_HUGE && (!strcmp(tok, "hg") || !strcmp(tok, "nh"))))
			continue;
		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s ", tok);
	}
}

/* Whether b continues a as the kernel's vma_merge() would need it to. */
static bool mergeable(int kind, const struct fz_vma *a, const struct fz_vma *b)
{
	char fa[96], fb[96];

	if (a->end != b->start || strcmp(a->perms, b->perms))
		return false;
	merge_flags(kind, a->vmflags, fa, sizeof(fa));
	merge_flags(kind, b->vmflags, fb, sizeof(fb));
	if (strcmp(fa, fb))
		return false;
	if (kind == VL_FZ_PRIVATE_ANON)
		return true;
	return a->ino == b->ino &&
	       b->pgoff == a->pgoff + (int64_t)(a->end - a->start) * (int64_t)PS;
}

/* The mappings in the window, from /proc/self/smaps. */
static void observe_vmas(struct world *w, struct fz_rec *rec)
{
	unsigned long wstart = (unsigned long)w->base;
	unsigned long wend = wstart + (unsigned long)w->nunits * w->unit;
	struct fz_vma *cur = NULL;
	ssize_t len = 0, r;
	char *line, *nl;
	int fd, i;

	rec->nraw = 0;
	rec->nv = 0;
	fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		_exit(123);
	while ((r = read(fd, smaps_buf + len, SMAPS_BUF - 1 - len)) > 0)
		len += r;
	close(fd);
	smaps_buf[len] = 0;
	for (line = smaps_buf; line && *line; line = nl) {
		unsigned long s, e, off, ino;
		unsigned int maj, min;
		char perms[5];
		int idx;

		nl = strchr(line, '\n');
		if (nl)
			*nl++ = 0;
		/* Field lines start with a capital letter, mapping lines with a hex digit. */
		if (((*line >= '0' && *line <= '9') || (*line >= 'a' && *line <= 'f')) &&
		    sscanf(line, "%lx-%lx %4s %lx %x:%x %lu", &s, &e, perms, &off, &maj, &min,
			   &ino) == 7) {
			cur = NULL;
			if (e <= wstart || s >= wend)
				continue;
			rec->nraw++;
			if (rec->nv == MAXV)
				continue;
			cur = &rec->v[rec->nv++];
			memset(cur, 0, sizeof(*cur));
			if (s < wstart) {
				off += wstart - s;
				s = wstart;
			}
			if (e > wend)
				e = wend;
			cur->start = (int32_t)((s - wstart) / PS);
			cur->end = (int32_t)((e - wstart) / PS);
			memcpy(cur->perms, perms, sizeof(perms));
			cur->pgoff = (int64_t)off;
			cur->ino = ino;
			cur->nraw = 1;
			continue;
		}
		if (!cur)
			continue;
		if (!strncmp(line, "VmFlags:", 8)) {
			snprintf(cur->vmflags, sizeof(cur->vmflags), "%s", line + 9);
			continue;
		}
		{
			int64_t v = sm_value(line, &idx);

			if (idx >= 0)
				cur->sm[idx] = v;
		}
	}
	/* Merge what the kernel may or may not have merged. */
	for (i = 1; i < rec->nv; ) {
		struct fz_vma *a = &rec->v[i - 1], *b = &rec->v[i];
		int k;

		if (!mergeable(w->kind, a, b)) {
			i++;
			continue;
		}
		a->end = b->end;
		a->nraw += b->nraw;
		for (k = 0; k < NSM; k++)
			a->sm[k] += b->sm[k];
		memmove(b, b + 1, (size_t)(rec->nv - i - 1) * sizeof(*b));
		rec->nv--;
	}
}

static const struct fz_vma *vma_at(const struct fz_rec *rec, int32_t page)
{
	int i;

	for (i = 0; i < rec->nv; i++)
		if (page >= rec->v[i].start && page < rec->v[i].end)
			return &rec->v[i];
	return NULL;
}

/* The window's pagemap entries into pm_buf: unit i's first at i * (unit / PS). */
static void read_pagemap(struct world *w)
{
	size_t len = (size_t)w->nunits * (w->unit / PS) * 8;

	if (pread(w->pmfd, pm_buf, len, (off_t)((unsigned long)w->base / PS) * 8) != (ssize_t)len)
		_exit(124);
}

static void observe(struct world *w, struct fz_rec *rec)
{
	uint64_t pfn[MAXU];
	int i, j;

	/*
	 * MADV_COLD runs lru_add_drain() on this CPU, which drains its LRU
	 * and mlock batches too: a munlocked page's PG_mlocked (and an
	 * mlocked one's LRU) then no longer depends on when the kernel drains.
	 */
	madvise(w->scratch, PS, MADV_COLD);
	observe_vmas(w, rec);
	memset(mc_buf, 0, sizeof(mc_buf));
	for (i = 0; i < rec->nv; i++)
		mincore(w->base + rec->v[i].start * PS,
			(size_t)(rec->v[i].end - rec->v[i].start) * PS, mc_buf + rec->v[i].start);
	read_pagemap(w);
	for (i = 0; i < w->nunits; i++) {
		struct fz_unit *u = &rec->u[i];
		int32_t page = (int32_t)((unsigned long)i * w->unit / PS);
		const struct fz_vma *v = vma_at(rec, page);
		uint64_t raw = 0, kpf = 0;
		struct vl_pm pm;

		memset(u, 0, sizeof(*u));
		pfn[i] = 0;
		raw = pm_buf[(unsigned long)i * (w->unit / PS)];
		pm = vl_pm_decode(raw);
		u->pm = (pm.present ? U_PRESENT : 0) | (pm.swapped ? U_SWAPPED : 0) |
			(pm.exclusive ? U_EXCLUSIVE : 0) | (pm.file_shared ? U_FILE : 0) |
			(pm.soft_dirty ? U_SOFTDIRTY : 0);
		if (mc_buf[(unsigned long)i * (w->unit / PS)] & 1)
			u->pm |= U_INCORE;
		if (!pm.present)
			continue;
		pfn[i] = pm.pfn;
		if (pread(w->kpffd, &kpf, 8, (off_t)pm.pfn * 8) == 8) {
			u->kpf = (kpf & (1ULL << VL_KPF_ZERO_PAGE) ? K_ZERO : 0) |
				 (kpf & (1ULL << VL_KPF_ANON) ? K_ANON : 0) |
				 (kpf & (1ULL << VL_KPF_SWAPBACKED) ? K_SWAPBACKED : 0) |
				 (kpf & (1ULL << VL_KPF_THP) ? K_THP : 0) |
				 (kpf & (1ULL << VL_KPF_HUGE) ? K_HUGE : 0) |
				 (kpf & (1ULL << VL_KPF_MLOCKED) ? K_MLOCKED : 0) |
				 (kpf & (1ULL << VL_KPF_UNEVICTABLE) ? K_UNEVICTABLE : 0);
		}
		if (u->kpf & K_ZERO || pm.pfn == w->zero_pfn) {
			u->rel = REL_ZERO;
		} else {
			u->rel = REL_OTHER;
			for (j = 0; j < i; j++) {
				if (pfn[j] == pm.pfn) {
					u->rel = (uint8_t)(REL_UNIT + j);
					break;
				}
			}
			if (u->rel == REL_OTHER && w->in_child && w->fork_pfn[i] == pm.pfn)
				u->rel = REL_FORK;
		}
		if (v && v->perms[0] == 'r' && !guarded(w, i, false, 0, 0, &u->sum))
			u->pm |= U_HASHED;
	}
}

static void record(struct world *w, int step, struct fz_rec *rec)
{
	observe(w, rec);
	w->recs[step] = *rec;
	w->recs[step].done = 1;
}

/*
 * The object's units a sequence can reach: an offset below OBJ_UNITS, a
 * mapping of at most the window, grown by mremap() by at most the window
 * again.  Filled, freed and hashed in full; the memfd twin is that long.
 */
static int obj_units(const struct world *w)
{
	return OBJ_UNITS + 2 * w->nunits;
}

static int64_t object_hash(struct world *w)
{
	static char ubuf[PS];
	uint64_t h = 0;
	off_t off;

	if (w->objfd < 0)
		return 0;
	for (off = 0; off < (off_t)obj_units(w) * (off_t)w->unit; off += PS) {
		if (pread(w->objfd, ubuf, PS, off) != (ssize_t)PS)
			return -1;
		h = h * 31 + hash_unit(ubuf, PS);
	}
	return (int64_t)(h & INT64_MAX);
}

static void fill_object(struct world *w)
{
	static char ubuf[PS];
	off_t off;
	int i = 0;

	for (off = 0; off < (off_t)obj_units(w) * (off_t)w->unit; off += PS, i++) {
		memset(ubuf, 'A' + i % 26, PS);
		ubuf[0] = (char)i;
		if (pwrite(w->objfd, ubuf, PS, off) != (ssize_t)PS)
			_exit(125);
	}
}

/*
 * The store outlives the sequence; the memfd twin is new.  Free the
 * store's pages in the range (MADV_REMOVE of a shared mapping; a store with
 * backing= refuses it) so that the fill makes new ones, with no flags
 * (referenced, active, swap slots) from the sequences before.
 */
static void fresh_store(struct world *w)
{
	size_t len = (size_t)obj_units(w) * w->unit;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, w->objfd, 0);

	if (p == MAP_FAILED)
		return;
	madvise(p, len, MADV_REMOVE);
	munmap(p, len);
}

/* The zero page's PFN, or 0 where a read fault maps no zero page. */
static uint64_t zero_pfn_probe(int pmfd, int kpffd)
{
	char *p = mmap(NULL, PS, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t raw = 0, kpf = 0, pfn;

	if (p == MAP_FAILED)
		return 0;
	vl_read_byte(p);
	if (pread(pmfd, &raw, 8, (off_t)((unsigned long)p / PS) * 8) != 8)
		raw = 0;
	munmap(p, PS);
	pfn = vl_pm_decode(raw).pfn;
	if (!pfn || pread(kpffd, &kpf, 8, (off_t)pfn * 8) != 8 ||
	    !(kpf & (1ULL << VL_KPF_ZERO_PAGE)))
		return 0;
	return pfn;
}

/*
 * Run on one CPU: pages faulted in wait in that CPU's LRU batches, which
 * MADV_COLD and MADV_PAGEOUT drain on the CPU they run on only; a page
 * left in another CPU's batch would be skipped at random.
 */
static void pin_cpu(void)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* The world's process: never returns. */
static void world_main(const struct vl_fz_seq *seq, int vmlab, int timeout, struct fz_rec *recs)
{
	struct world w = { .seq = seq, .kind = seq->kind, .vmlab = vmlab, .objfd = -1,
			   .recs = recs };
	unsigned long wlen, span;
	struct sigaction sa;
	struct fz_rec rec;
	char *res;
	pid_t child = 0;
	int i, st;

	alarm((unsigned int)timeout);
	pin_cpu();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fz_signal;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	w.unit = unit_of(w.kind);
	w.nunits = units_of(w.kind);
	w.pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	w.kpffd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (w.pmfd < 0 || w.kpffd < 0)
		_exit(126);
	w.zero_pfn = zero_pfn_probe(w.pmfd, w.kpffd);
	w.scratch = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w.scratch == MAP_FAILED)
		_exit(126);
	w.scratch[0] = 1;
	if (is_file_kind(w.kind)) {
		if (vmlab) {
			w.objfd = open(VMLAB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		} else {
			w.objfd = memfd_create("vmlab-fuzz-twin", MFD_CLOEXEC);
			if (w.objfd >= 0 &&
			    ftruncate(w.objfd, (off_t)obj_units(&w) * (off_t)w.unit))
				_exit(127);
		}
		if (w.objfd < 0)
			_exit(127);
		if (vmlab)
			fresh_store(&w);
		fill_object(&w);
	}

	/*
	 * The window: 2 MiB-aligned, between two guard mappings that merge
	 * with nothing (shared anonymous, PROT_NONE); a hole to start with.
	 */
	wlen = (unsigned long)w.nunits * w.unit;
	span = wlen + 4 * HUGE_UNIT;
	res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		_exit(119);
	w.base = (char *)(((unsigned long)res + 2 * HUGE_UNIT - 1) & ~(HUGE_UNIT - 1));
	if (mmap(w.base - PS, PS, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	    MAP_FAILED ||
	    mmap(w.base + wlen, PS, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	    MAP_FAILED || munmap(w.base, wlen))
		_exit(119);

	for (i = 0; i < seq->n; i++) {
		const struct vl_fz_op *op = &seq->op[i];

		memset(&rec, 0, sizeof(rec));
		if (op->type == VL_FZ_FORK) {
			struct vl_pm pm;
			int j;

			if (w.in_child)
				continue;
			read_pagemap(&w);
			for (j = 0; j < w.nunits; j++) {
				pm = vl_pm_decode(pm_buf[(unsigned long)j * (w.unit / PS)]);
				w.fork_pfn[j] = pm.present ? pm.pfn : 0;
			}
			child = fork();
			if (child < 0)
				_exit(118);
			if (!child) {
				/* A child outlives no world: it dies with it. */
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (getppid() == 1)
					_exit(116);
				/* The inherited pagemap file is the parent's. */
				close(w.pmfd);
				w.pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
				if (w.pmfd < 0)
					_exit(126);
				w.in_child = true;
				record(&w, i, &rec);
				continue;
			}
			/* The parent: wait for the child at its exit step. */
			for (j = i + 1; j < seq->n && seq->op[j].type != VL_FZ_EXIT; j++)
				;
			if (waitpid(child, &st, 0) != child)
				_exit(117);
			child = 0;
			if (j == seq->n) {
				i = j;
				break;
			}
			rec.value = WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
			i = j;
			record(&w, i, &rec);
			continue;
		}
		if (op->type == VL_FZ_EXIT) {
			if (w.in_child)
				_exit(0);
			record(&w, i, &rec);
			continue;
		}
		do_op(&w, op, i, &rec);
		record(&w, i, &rec);
	}
	if (w.in_child)
		_exit(0);

	/* The final step: every unit read, then observed; the object's contents. */
	memset(&rec, 0, sizeof(rec));
	for (i = 0; i < w.nunits; i++) {
		uint32_t sum = 0;
		int sig = guarded(&w, i, false, 0, 0, &sum);

		rec.value = rec.value * 31 + (sig ? sig : 0);
	}
	rec.ret = (int32_t)(object_hash(&w) & 0x7fffffff);
	record(&w, seq->n, &rec);
	_exit(0);
}

/* ---- the caller's side ---- */

int vl_fz_env_init(struct vl_fz_env *env)
{
	struct vmlab_info info;
	char *text;
	long long v;
	int fd, k;

	memset(env, 0, sizeof(*env));
	env->timeout = 30;
	env->twin_kind = -1;
	/* Kernel reports: what the kernel logs from now on. */
	env->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (env->kmsg >= 0 && lseek(env->kmsg, 0, SEEK_END) < 0) {
		close(env->kmsg);
		env->kmsg = -1;
	}
	if (geteuid())
		return -EPERM;
	for (k = 0; k < 2; k++) {
		if (shared_recs[k])
			continue;
		shared_recs[k] = mmap(NULL, NRECS * sizeof(struct fz_rec), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (shared_recs[k] == MAP_FAILED) {
			shared_recs[k] = NULL;
			return -ENOMEM;
		}
	}
	if (!smaps_buf) {
		smaps_buf = malloc(SMAPS_BUF);
		if (!smaps_buf)
			return -ENOMEM;
	}
	/* Thread stacks of our own, made here: no mmap(2) in a world could land in its window. */
	for (k = 0; k < 2; k++) {
		if (race_stacks[k])
			continue;
		race_stacks[k] = aligned_alloc(PS, RACE_STACK);
		if (!race_stacks[k])
			return -ENOMEM;
	}
	if (!vl_meminfo_field("HugePages_Free", &v))
		env->huge_pool = v;
	/*
	 * No swap read-around: which neighbours a swap-in reads depends on
	 * where the swap slots fell and on the read-around's hit history, both
	 * global; mincore(2) would see them in the swap cache or not at random.
	 */
	env->page_cluster = -1;
	if (!vl_read_text(PAGE_CLUSTER, &text)) {
		env->page_cluster = atoi(text);
		free(text);
		if (vl_write_file(PAGE_CLUSTER, "0"))
			env->page_cluster = -1;
	}
	fd = open(VMLAB_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -ENODEV;
	if (ioctl(fd, VMLAB_IOC_GET_INFO, &info)) {
		close(fd);
		return -ENODEV;
	}
	close(fd);
	env->store_size = info.store_size;
	return 0;
}

void vl_fz_env_fini(struct vl_fz_env *env)
{
	char v[16];

	if (env->kmsg >= 0)
		close(env->kmsg);
	env->kmsg = -1;
	if (env->page_cluster < 0)
		return;
	snprintf(v, sizeof(v), "%d", env->page_cluster);
	vl_write_file(PAGE_CLUSTER, v);
	env->page_cluster = -1;
}

/*
 * A kernel report logged since the last call: its first line in @line, and
 * true.  The patterns are scripts/kernel-report's.
 */
static bool kernel_report(int kmsg, char *line, size_t len)
{
	static const char *const pats[] = {
		"WARNING:", "BUG:", "Oops", "general protection", "KASAN", "UBSAN",
		"possible recursive locking", "possible circular locking", "deadlock",
		"Bad page state", "blocked for more than", "Kernel panic", "refcount_t:",
		"list_add corruption", "list_del corruption", "page_table_check",
	};
	char rec[2048];
	bool found = false;
	ssize_t n;
	size_t i;

	if (kmsg < 0)
		return false;
	for (;;) {
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten: go on with the next */
		if (n <= 0)
			break;
		rec[n] = 0;
		for (i = 0; !found && i < ARRAY_SIZE(pats); i++) {
			char *msg = strchr(rec, ';');

			if (msg && strstr(msg, pats[i])) {
				msg[strcspn(msg, "\n")] = 0;
				snprintf(line, len, "%s", msg + 1);
				found = true;
			}
		}
	}
	return found;
}

/* The live counters that must come back when a sequence is over. */
static const char *const live_names[] = {
	"vmas_live_private_cow", "vmas_live_shared", "vmas_live_private_anon",
	"vmas_live_shared_anon", "vmas_live_huge", "files_live", "huge_pages_held",
	"huge_files_live", "pages_shared_anon",
};

#define NLIVE	((int)ARRAY_SIZE(live_names))

static int read_live(uint64_t *v)
{
	struct vl_counters *c = malloc(sizeof(*c));
	int i, ret;

	if (!c)
		return -ENOMEM;
	ret = vl_counters_read(c);
	for (i = 0; !ret && i < NLIVE; i++)
		if (vl_counter_get(c, live_names[i], &v[i]))
			v[i] = 0;
	free(c);
	return ret;
}

/* Run one world; 0, or the wait status of a world that did not end well. */
static int run_world(const struct vl_fz_env *env, const struct vl_fz_seq *seq, int vmlab)
{
	struct fz_rec *recs = shared_recs[vmlab];
	pid_t pid;
	int st;

	memset(recs, 0, NRECS * sizeof(*recs));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct vl_fz_seq twin = *seq;

		if (!vmlab && env->twin_kind >= 0)
			twin.kind = env->twin_kind;
		world_main(&twin, vmlab, env->timeout, recs);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : st ? st : -1;
}

/* Whether @s matches @pat, where '*' matches any run of characters. */
static bool glob1(const char *pat, const char *s)
{
	if (!*pat)
		return !*s;
	if (*pat == '*')
		return glob1(pat + 1, s) || (*s && glob1(pat, s + 1));
	return *s == *pat && glob1(pat + 1, s + 1);
}

/* The same, for a list of patterns separated by '|'. */
static bool glob(const char *pats, const char *s)
{
	char one[64];
	const char *bar;
	size_t l;

	for (;;) {
		bar = strchr(pats, '|');
		l = bar ? (size_t)(bar - pats) : strlen(pats);
		if (l >= sizeof(one))
			l = sizeof(one) - 1;
		memcpy(one, pats, l);
		one[l] = 0;
		if (glob1(one, s))
			return true;
		if (!bar)
			return false;
		pats = bar + 1;
	}
}

/* The running kernel's release, e.g. "6.1.0-57-amd64". */
static const char *release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		return "";
	return u.release;
}

/* Finds the documented difference for a field at a step, or NULL. */
static const struct vl_fz_diff *documented(int kind, const char *opname, const char *field,
					   bool merged)
{
	size_t i;

	for (i = 0; i < vl_fz_ndiffs; i++) {
		const struct vl_fz_diff *d = &vl_fz_diffs[i];

		if (!(d->kinds & (1U << kind)) || (d->merged && !merged))
			continue;
		if (d->release && !glob(d->release, release()))
			continue;
		if (glob(d->op, opname) && glob(d->field, field))
			return d;
	}
	return NULL;
}

struct cmp {
	int kind;
	const char *opname;
	struct vl_fz_result *res;
	bool merged;	/* the raw VMA counts differ */
	bool stop;
};

/* One field: true when the comparison of the sequence must stop here. */
static bool cmp_field(struct cmp *c, const char *field, long long a, long long b,
		      const char *sa, const char *sb)
{
	const struct vl_fz_diff *d;

	if (sa ? !strcmp(sa, sb) : a == b)
		return false;
	d = documented(c->kind, c->opname, field, c->merged);
	if (d && !d->stop) {
		c->res->ignored++;
		return false;
	}
	snprintf(c->res->field, sizeof(c->res->field), "%s", field);
	if (sa) {
		snprintf(c->res->vmlab, sizeof(c->res->vmlab), "%s", sa);
		snprintf(c->res->native, sizeof(c->res->native), "%s", sb);
	} else {
		snprintf(c->res->vmlab, sizeof(c->res->vmlab), "%lld", a);
		snprintf(c->res->native, sizeof(c->res->native), "%lld", b);
	}
	c->res->verdict = d ? VL_FZ_DOCUMENTED : VL_FZ_DIVERGED;
	c->res->diff_id = d ? d->id : NULL;
	c->stop = true;
	return true;
}

/* Numbers and strings: true when the comparison stops here. */
static bool cmp_num(struct cmp *c, const char *name, long long a, long long b)
{
	return cmp_field(c, name, a, b, NULL, NULL);
}

static bool cmp_str(struct cmp *c, const char *name, const char *a, const char *b)
{
	return cmp_field(c, name, 0, 0, a, b);
}

static void cmp_rec(struct cmp *c, const struct fz_rec *a, const struct fz_rec *b, int nunits)
{
	char f[64];
	int i, k;
	static const struct {
		const char *name;
		int bit;
		bool kpf;
	} bits[] = {
		{ "present", U_PRESENT, false },   { "swapped", U_SWAPPED, false },
		{ "exclusive", U_EXCLUSIVE, false }, { "file", U_FILE, false },
		{ "soft_dirty", U_SOFTDIRTY, false }, { "incore", U_INCORE, false },
		{ "zero", K_ZERO, true },	   { "anon", K_ANON, true },
		{ "swapbacked", K_SWAPBACKED, true }, { "thp", K_THP, true },
		{ "huge", K_HUGE, true },	   { "mlocked", K_MLOCKED, true },
		{ "readable", U_HASHED, false },
		/*
		 * Not unevictable: an mlocked folio moves to the unevictable
		 * LRU through a per-CPU batch, drained at times of the
		 * kernel's choosing.
		 */
	};

	c->merged = c->merged || a->nraw != b->nraw;
	if (cmp_num(c, "ret", a->ret, b->ret))
		return;
	if (cmp_num(c, "errno", a->err, b->err))
		return;
	if (cmp_num(c, "signal", a->sig, b->sig))
		return;
	if (cmp_num(c, "value", a->value, b->value))
		return;
	if (cmp_num(c, "maps.vmas", a->nraw, b->nraw))
		return;
	if (cmp_num(c, "maps.merged", a->nv, b->nv))
		return;
	for (i = 0; i < a->nv; i++) {
		const struct fz_vma *x = &a->v[i], *y = &b->v[i];

		snprintf(f, sizeof(f), "vma[%d].start", i);
		if (cmp_num(c, f, x->start, y->start))
			return;
		snprintf(f, sizeof(f), "vma[%d].end", i);
		if (cmp_num(c, f, x->end, y->end))
			return;
		snprintf(f, sizeof(f), "vma[%d].perms", i);
		if (cmp_str(c, f, x->perms, y->perms))
			return;
		snprintf(f, sizeof(f), "vma[%d].pgoff", i);
		if (cmp_num(c, f, x->pgoff, y->pgoff))
			return;
		snprintf(f, sizeof(f), "vma[%d].VmFlags", i);
		if (cmp_str(c, f, x->vmflags, y->vmflags))
			return;
		for (k = 0; k < NSM; k++) {
			snprintf(f, sizeof(f), "vma[%d].%s", i, sm_names[k]);
			if (cmp_num(c, f, x->sm[k], y->sm[k]))
				return;
		}
	}
	for (i = 0; i < nunits; i++) {
		const struct fz_unit *x = &a->u[i], *y = &b->u[i];

		for (k = 0; k < (int)ARRAY_SIZE(bits); k++) {
			int have = bits[k].kpf ? x->kpf : x->pm;
			int want = bits[k].kpf ? y->kpf : y->pm;

			snprintf(f, sizeof(f), "unit[%d].%s", i, bits[k].name);
			if (cmp_num(c, f, !!(have & bits[k].bit), !!(want & bits[k].bit)))
				return;
		}
		snprintf(f, sizeof(f), "unit[%d].page", i);
		if (cmp_num(c, f, x->rel, y->rel))
			return;
		if (x->pm & y->pm & U_HASHED) {
			snprintf(f, sizeof(f), "unit[%d].contents", i);
			if (cmp_num(c, f, x->sum, y->sum))
				return;
		}
	}
}

static void print_unit_row(const char *who, const struct fz_rec *r, int nunits)
{
	int i;

	fprintf(stderr, "    %-6s ", who);
	for (i = 0; i < nunits; i++) {
		const struct fz_unit *u = &r->u[i];

		fputc(!(u->pm & U_PRESENT) ? (u->pm & U_SWAPPED ? 's' : '.') :
		      u->rel == REL_ZERO ? '0' : u->kpf & K_ANON ? 'a' : 'f', stderr);
	}
	fprintf(stderr, "  vmas %d (%d merged)\n", r->nraw, r->nv);
}

int vl_fz_run(const struct vl_fz_env *env, const struct vl_fz_seq *seq, struct vl_fz_result *res)
{
	uint64_t live0[NLIVE], live1[NLIVE];
	bool merged = false;
	int st[2], step, i, k;
	long long pool = 0;

	memset(res, 0, sizeof(*res));
	res->step = -1;
	if (!shared_recs[0] || !env->store_size) {
		res->verdict = VL_FZ_ERROR;
		return res->verdict;
	}
	if (seq->kind == VL_FZ_HUGE && env->huge_pool < 4 * units_of(VL_FZ_HUGE)) {
		res->verdict = VL_FZ_SKIPPED;
		return res->verdict;
	}
	if (read_live(live0)) {
		res->verdict = VL_FZ_ERROR;
		return res->verdict;
	}
	vl_meminfo_field("HugePages_Free", &pool);
	for (k = 1; k >= 0; k--) {
		st[k] = run_world(env, seq, k);
		if (st[k]) {
			res->verdict = VL_FZ_CRASHED;
			snprintf(res->field, sizeof(res->field), "world");
			snprintf(k ? res->vmlab : res->native, sizeof(res->vmlab),
				 WIFSIGNALED(st[k]) ? "killed by signal %d%s" : "exit status %d%s",
				 WIFSIGNALED(st[k]) ? WTERMSIG(st[k]) : WEXITSTATUS(st[k]),
				 WIFSIGNALED(st[k]) && WTERMSIG(st[k]) == SIGALRM ? " (hung)" : "");
			for (step = 0; step <= seq->n && shared_recs[k][step].done; step++)
				;
			res->step = step;
			return res->verdict;
		}
	}

	if (kernel_report(env->kmsg, res->vmlab, sizeof(res->vmlab))) {
		res->verdict = VL_FZ_REPORTED;
		res->step = seq->n;
		snprintf(res->field, sizeof(res->field), "kernel log");
		snprintf(res->native, sizeof(res->native), "-");
		return res->verdict;
	}

	/* Leaks: vmlab's live counters and the pool back where they were. */
	for (k = 0; k < 20; k++) {
		long long pool1 = pool;

		if (read_live(live1))
			break;
		vl_meminfo_field("HugePages_Free", &pool1);
		for (i = 0; i < NLIVE && live0[i] == live1[i]; i++)
			;
		if (i == NLIVE && pool1 == pool)
			break;
		if (k == 19) {
			res->verdict = VL_FZ_LEAKED;
			res->step = seq->n;
			if (i < NLIVE) {
				snprintf(res->field, sizeof(res->field), "%s", live_names[i]);
				snprintf(res->vmlab, sizeof(res->vmlab), "%llu",
					 (unsigned long long)live1[i]);
				snprintf(res->native, sizeof(res->native), "%llu (before)",
					 (unsigned long long)live0[i]);
			} else {
				snprintf(res->field, sizeof(res->field), "HugePages_Free");
				snprintf(res->vmlab, sizeof(res->vmlab), "%lld", pool1);
				snprintf(res->native, sizeof(res->native), "%lld (before)", pool);
			}
			return res->verdict;
		}
		usleep(50000);
	}

	for (step = 0; step <= seq->n; step++) {
		const struct fz_rec *a = &shared_recs[1][step], *b = &shared_recs[0][step];
		struct cmp c = { .kind = seq->kind, .res = res, .merged = merged };

		if (!a->done && !b->done)
			continue;	/* a step of a child that was not forked */
		c.opname = step < seq->n ? vl_fz_op_name(&seq->op[step]) : "final";
		if (a->done != b->done) {
			res->verdict = VL_FZ_DIVERGED;
			res->step = step;
			snprintf(res->field, sizeof(res->field), "step ran");
			snprintf(res->vmlab, sizeof(res->vmlab), "%d", a->done);
			snprintf(res->native, sizeof(res->native), "%d", b->done);
			return res->verdict;
		}
		cmp_rec(&c, a, b, units_of(seq->kind));
		/*
		 * Once the VMA counts have differed, they may be equal again
		 * while the VMAs are not alike: a VMA split from one the twin
		 * merged keeps its anon_vma, and fork copies its page tables.
		 */
		merged = merged || a->nraw != b->nraw;
		if (env->verbose) {
			char d[96];

			if (step < seq->n)
				vl_fz_describe(d, sizeof(d), seq->kind, &seq->op[step]);
			else
				snprintf(d, sizeof(d), "final read-back");
			fprintf(stderr, "  step %2d  %-48s ret %d/%d errno %d/%d%s\n", step, d,
				a->ret, b->ret, a->err, b->err, c.stop ? "  <-- differs" : "");
			print_unit_row("vmlab", a, units_of(seq->kind));
			print_unit_row("native", b, units_of(seq->kind));
		}
		if (c.stop) {
			res->step = step;
			return res->verdict;
		}
	}
	res->verdict = VL_FZ_SAME;
	return res->verdict;
}

/*
 * Same outcome for the shrinker: the same verdict at the same field (of any
 * unit or mapping) at the same operation; a crash on the same side.
 */
static bool same_finding(const struct vl_fz_seq *sa, const struct vl_fz_result *a,
			 const struct vl_fz_seq *sb, const struct vl_fz_result *b)
{
	const char *fa = strchr(a->field, '.'), *fb = strchr(b->field, '.');
	char opa[32], opb[32];

	if (a->verdict != b->verdict)
		return false;
	snprintf(opa, sizeof(opa), "%s", a->step >= 0 && a->step < sa->n ?
		 vl_fz_op_name(&sa->op[a->step]) : "final");
	snprintf(opb, sizeof(opb), "%s", b->step >= 0 && b->step < sb->n ?
		 vl_fz_op_name(&sb->op[b->step]) : "final");
	if (strcmp(opa, opb))
		return false;
	if (a->verdict == VL_FZ_CRASHED)
		return !a->vmlab[0] == !b->vmlab[0];
	/* unit[3].present and unit[5].present are the same finding */
	if (fa && fb)
		return !strcmp(fa, fb);
	return !strcmp(a->field, b->field);
}

bool vl_fz_confirm(const struct vl_fz_env *env, const struct vl_fz_seq *seq,
		   const struct vl_fz_result *res)
{
	struct vl_fz_result r;

	if (res->verdict != VL_FZ_DIVERGED && res->verdict != VL_FZ_LEAKED)
		return true;
	vl_fz_run(env, seq, &r);
	return same_finding(seq, &r, seq, res);
}

/* Drop @n ops from @i on (a fork left without its exit ends with the sequence). */
static bool drop_ops(struct vl_fz_seq *s, int i, int n)
{
	if (i + n > s->n || n <= 0)
		return false;
	memmove(&s->op[i], &s->op[i + n], (size_t)(s->n - i - n) * sizeof(s->op[0]));
	s->n -= n;
	return true;
}

int vl_fz_shrink(const struct vl_fz_env *env, struct vl_fz_seq *seq, struct vl_fz_result *res)
{
	struct vl_fz_result r;
	struct vl_fz_seq t;
	int runs = 0, chunk, i;
	bool progress;

	for (chunk = seq->n / 2; chunk >= 1; chunk /= 2) {
		do {
			progress = false;
			for (i = 0; i + chunk <= seq->n; ) {
				t = *seq;
				if (!drop_ops(&t, i, chunk) || !t.n) {
					i += chunk;
					continue;
				}
				runs++;
				vl_fz_run(env, &t, &r);
				if (same_finding(&t, &r, seq, res)) {
					*seq = t;
					*res = r;
					progress = true;
				} else {
					i += chunk;
				}
			}
		} while (progress && chunk == 1);
	}
	/* Simplify what is left: smaller ranges, plainer flags. */
	for (i = 0; i < seq->n; i++) {
		struct vl_fz_op *op = &seq->op[i];
		int k;

		for (k = 0; k < 3; k++) {
			t = *seq;
			if (k == 0 && op->type == VL_FZ_MMAP && op->e != VL_FZ_MF_FIXED)
				t.op[i].e = VL_FZ_MF_FIXED;
			else if (k == 1 && op->b > 1 && op->type != VL_FZ_RACE &&
				 op->type != VL_FZ_MREMAP)
				t.op[i].b = (uint8_t)(op->b - 1);
			else if (k == 2 && op->type == VL_FZ_MMAP && op->c)
				t.op[i].c = 0;
			else
				continue;
			runs++;
			vl_fz_run(env, &t, &r);
			if (same_finding(&t, &r, seq, res)) {
				*seq = t;
				*res = r;
				op = &seq->op[i];
				if (k == 1)
					k--;	/* shorter still */
			}
		}
	}
	return runs;
}
