/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differential fuzzing of vmlab against the native twins: a sequence of
 * random operations runs on a vmlab mapping and on the kernel's own mapping
 * it stands for, each in a process of its own, and everything observable
 * after every step is compared.  Used by `vmlab fuzz` and
 * selftests/fuzz_test.c.
 */
#ifndef _VMLAB_FUZZ_H
#define _VMLAB_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The kinds a sequence runs on, each with its native twin. */
enum vl_fz_kind {
	VL_FZ_PRIVATE_ANON,	/* MAP_PRIVATE|MAP_ANONYMOUS */
	VL_FZ_SHARED_ANON,	/* MAP_SHARED|MAP_ANONYMOUS */
	VL_FZ_PRIVATE_COW,	/* a memfd with the store's contents, MAP_PRIVATE */
	VL_FZ_SHARED,		/* the same memfd, MAP_SHARED */
	VL_FZ_HUGE,		/* MAP_SHARED|MAP_ANONYMOUS|MAP_HUGETLB */
	VL_FZ_NKINDS
};

enum vl_fz_optype {
	VL_FZ_MMAP,		/* a start, b units, c offset, d prot, e VL_FZ_MF_* */
	VL_FZ_MUNMAP,		/* a start, b units */
	VL_FZ_MPROTECT,		/* a start, b units, d prot */
	VL_FZ_MREMAP,		/* a start, b old units, c new units, d mode, e destination */
	VL_FZ_MADVISE,		/* a start, b units, d advice */
	VL_FZ_MLOCK,		/* a start, b units, d 0 mlock, 1 munlock, 2 MLOCK_ONFAULT */
	VL_FZ_MSYNC,		/* a start, b units, d 0 MS_ASYNC, 1 MS_SYNC, 2 MS_INVALIDATE */
	VL_FZ_READ,		/* a unit: the value is a checksum of the unit */
	VL_FZ_WRITE,		/* a unit, c byte, d where in the unit */
	VL_FZ_PREAD,		/* c offset unit of the object (store kinds) */
	VL_FZ_PWRITE,		/* c offset unit, d byte */
	VL_FZ_CLEAR_REFS,	/* soft-dirty bits cleared through /proc/self/clear_refs */
	VL_FZ_FORK,		/* the ops up to VL_FZ_EXIT run in a child */
	VL_FZ_EXIT,		/* the child exits; the parent waits for it */
	VL_FZ_RACE,		/* two threads write units a and b at once */
	VL_FZ_NOPS
};

/* VL_FZ_MMAP's e: how the address is given, and extra flags. */
#define VL_FZ_MF_FIXED		0x01
#define VL_FZ_MF_NOREPLACE	0x02	/* MAP_FIXED_NOREPLACE (when not FIXED) */
#define VL_FZ_MF_POPULATE	0x04
#define VL_FZ_MF_LOCKED		0x08
#define VL_FZ_MF_NORESERVE	0x10

/* VL_FZ_MREMAP's d. */
enum { VL_FZ_MR_INPLACE, VL_FZ_MR_MAYMOVE, VL_FZ_MR_FIXED, VL_FZ_MR_DONTUNMAP, VL_FZ_MR_NMODES };

/* Most operations in a sequence. */
#define VL_FZ_MAX_OPS		64

/**
 * struct vl_fz_op - one operation of a sequence
 * @type: enum vl_fz_optype
 * @a: first unit of the window it acts on
 * @b: length in units
 * @c: offset, new length or value, by @type
 * @d: protection, mode or advice index, by @type
 * @e: flags or destination unit, by @type
 */
struct vl_fz_op {
	uint8_t type, a, b, c, d, e;
};

/**
 * struct vl_fz_seq - a sequence: what a reproducer holds
 * @kind: enum vl_fz_kind
 * @seed: the seed it was generated from (0 when written by hand)
 * @n: number of operations
 * @op: the operations
 */
struct vl_fz_seq {
	int kind;
	uint64_t seed;
	int n;
	struct vl_fz_op op[VL_FZ_MAX_OPS];
};

/* What one run of a sequence found. */
enum vl_fz_verdict {
	VL_FZ_SAME,		/* no difference, or only ones the list ignores */
	VL_FZ_DOCUMENTED,	/* stopped at a documented difference */
	VL_FZ_DIVERGED,		/* an undocumented difference */
	VL_FZ_CRASHED,		/* a world's process died or hung */
	VL_FZ_LEAKED,		/* vmlab's live counters or the pool did not come back */
	VL_FZ_SKIPPED,		/* the twin cannot run here (e.g. no hugetlb pool) */
	VL_FZ_ERROR,		/* the harness itself failed */
	VL_FZ_REPORTED,		/* the kernel logged a warning, BUG, Oops, ... meanwhile */
};

/**
 * struct vl_fz_result - the outcome of vl_fz_run()
 * @verdict: enum vl_fz_verdict
 * @step: the step (index into the sequence; n for the final read-back)
 *	where the comparison stopped, or -1
 * @field: the field that differed, e.g. "unit[3].present" or "smaps[0].Rss"
 * @vmlab: its value on the vmlab side, as text
 * @native: its value on the native side, as text
 * @diff_id: the documented difference's id (VL_FZ_DOCUMENTED), else NULL
 * @ignored: how many field differences the list said to ignore
 */
struct vl_fz_result {
	int verdict;
	int step;
	char field[64];
	char vmlab[96];
	char native[96];
	const char *diff_id;
	int ignored;
};

/**
 * struct vl_fz_diff - a documented difference between vmlab and its twin
 * @id: short name, unique
 * @kinds: bit mask of (1 << enum vl_fz_kind) it applies to
 * @op: the operation of the step it appears at ("mmap", "madvise:free",
 *	...), or "*"
 * @field: glob (fnmatch(3)) of the field names it covers
 * @stop: true when the worlds' states part there (the comparison of the
 *	sequence stops, counted as documented); false when only that field
 *	differs and the comparison goes on
 * @merged: applies only while the worlds' raw VMA counts differ (a merge
 *	the kernel made for the twin and not for vmlab, entry "merge")
 * @release: applies only on kernels whose release (uname -r) matches this
 *	pattern ('*' for any run of characters, '|' between alternatives),
 *	e.g. "6.1.*"; NULL: on every kernel
 * @reason: why, in one sentence
 */
struct vl_fz_diff {
	const char *id;
	unsigned int kinds;
	const char *op;
	const char *field;
	bool stop;
	bool merged;
	const char *release;
	const char *reason;
};

extern const struct vl_fz_diff vl_fz_diffs[];
extern const size_t vl_fz_ndiffs;

/**
 * struct vl_fz_env - what the fuzzer needs to know about the machine
 * @store_size: size of vmlab's store (bytes); 0 when vmlab is not loaded
 * @huge_pool: hugetlb pages free at the start (HugePages_Free)
 * @verbose: print each step's comparison on stderr
 * @timeout: seconds a world may take before it counts as hung
 * @page_cluster: /proc/sys/vm/page-cluster before vl_fz_env_init() set it
 *	to 0, or -1
 * @twin_kind: -1; or a kind whose twin the native side runs instead of the
 *	sequence's own (a wrong twin, to prove that differences are found)
 * @kmsg: /dev/kmsg, read from its end after each sequence for kernel
 *	reports; -1 when it cannot be read
 */
struct vl_fz_env {
	uint64_t store_size;
	long long huge_pool;
	int verbose;
	int timeout;
	int page_cluster;
	int twin_kind;
	int kmsg;
};

const char *vl_fz_kind_name(int kind);
int vl_fz_kind_parse(const char *name);
const char *vl_fz_verdict_name(int verdict);

/**
 * vl_fz_env_init() - probe the machine: vmlab loaded, the store's size,
 *	the hugetlb pool, root
 * @env: receives the facts
 *
 * Sets /proc/sys/vm/page-cluster to 0 (no swap read-around, whose choice
 * of pages is not repeatable) until vl_fz_env_fini().
 *
 * Return: 0, or -errno (-ENODEV: vmlab is not loaded; -EPERM: not root).
 */
int vl_fz_env_init(struct vl_fz_env *env);

/* vl_fz_env_fini() - put page-cluster back. */
void vl_fz_env_fini(struct vl_fz_env *env);

/**
 * vl_fz_generate() - a random sequence
 * @seq: receives it
 * @kind: enum vl_fz_kind
 * @seed: the seed; the same seed gives the same sequence
 * @max_ops: most operations (at most VL_FZ_MAX_OPS)
 */
void vl_fz_generate(struct vl_fz_seq *seq, int kind, uint64_t seed, int max_ops);

/**
 * vl_fz_run() - run a sequence on vmlab and on the twin and compare
 * @env: from vl_fz_env_init()
 * @seq: the sequence
 * @res: receives the outcome
 *
 * Return: @res->verdict.
 */
int vl_fz_run(const struct vl_fz_env *env, const struct vl_fz_seq *seq, struct vl_fz_result *res);

/**
 * vl_fz_confirm() - run a diverged or leaked sequence again
 * @env: from vl_fz_env_init()
 * @seq: the sequence
 * @res: what its first run found
 *
 * The kernel's own mappings are not always repeatable to the page (fault-
 * around skips a page it cannot lock at once; reclaim may run meanwhile).
 * Crashes, hangs and kernel reports are always findings.
 *
 * Return: true when the second run finds the same, or for other verdicts;
 * false when the difference did not come back (an unstable finding).
 */
bool vl_fz_confirm(const struct vl_fz_env *env, const struct vl_fz_seq *seq,
		   const struct vl_fz_result *res);

/**
 * vl_fz_shrink() - make a diverging sequence as short as it can be while
 *	it still ends the same way at the same field
 * @env: from vl_fz_env_init()
 * @seq: the sequence, shrunk in place
 * @res: its result, updated to the shrunk sequence's
 *
 * Return: the number of runs it took.
 */
int vl_fz_shrink(const struct vl_fz_env *env, struct vl_fz_seq *seq, struct vl_fz_result *res);

/* The text form of a sequence, one operation per line; vl_fz_parse() reads it back. */
void vl_fz_print(FILE *f, const struct vl_fz_seq *seq);
int vl_fz_parse(FILE *f, struct vl_fz_seq *seq);
/* A C program that runs the sequence on one side, chosen when compiled. */
void vl_fz_print_c(FILE *f, const struct vl_fz_seq *seq, const struct vl_fz_result *res);
/* One operation, for people: "mmap units 3-6 offset 2 rw fixed populate". */
void vl_fz_describe(char *buf, size_t len, int kind, const struct vl_fz_op *op);
const char *vl_fz_op_name(const struct vl_fz_op *op);
/* Each operation type's name, as the text form writes it. */
extern const char *const vl_fz_op_names[VL_FZ_NOPS];

#endif /* _VMLAB_FUZZ_H */
