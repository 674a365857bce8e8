// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: a fixed-seed batch of the differential fuzzer
 * (userspace/lib/fuzz.c, `vmlab fuzz`) per kind.  Each sequence of random
 * operations runs on a vmlab mapping and on its native twin; after every
 * step their results, signals, contents, pagemap and kpageflags facts,
 * mincore, maps and smaps must be equal but for the documented
 * differences (userspace/lib/fuzz_diffs.c).  A difference, a crash, a hang
 * or a leak fails the test, which prints the shrunk reproducer (replay it
 * with vmlab fuzz --replay FILE).
 *
 * VMLAB_FUZZ_SEQUENCES in the environment sets the batch size per kind
 * (default 200), VMLAB_FUZZ_SEED the first seed (default 1).  The
 * wrong_twin test runs private COW mappings against the shared twin: the
 * fuzzer must find that difference and shrink it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vmlab_ksft.h"
#include "fuzz.h"

#define DEFAULT_SEQUENCES	200
#define MAX_OPS			24

FIXTURE(fuzz) {
	struct vl_fz_env env;
	bool ready;
};

FIXTURE_VARIANT(fuzz) {
	int kind;
	int twin_kind;		/* -1: the kind's own twin */
};

FIXTURE_VARIANT_ADD(fuzz, private_anon) { .kind = VL_FZ_PRIVATE_ANON, .twin_kind = -1 };
FIXTURE_VARIANT_ADD(fuzz, shared_anon) { .kind = VL_FZ_SHARED_ANON, .twin_kind = -1 };
FIXTURE_VARIANT_ADD(fuzz, private_cow) { .kind = VL_FZ_PRIVATE_COW, .twin_kind = -1 };
FIXTURE_VARIANT_ADD(fuzz, shared) { .kind = VL_FZ_SHARED, .twin_kind = -1 };
FIXTURE_VARIANT_ADD(fuzz, huge) { .kind = VL_FZ_HUGE, .twin_kind = -1 };

FIXTURE_SETUP(fuzz)
{
	int ret = vl_fz_env_init(&self->env);

	ASSERT_EQ(0, ret) TH_LOG("fuzzer set-up: %s", strerror(-ret));
	self->env.twin_kind = variant->twin_kind;
	self->ready = true;
}

FIXTURE_TEARDOWN(fuzz)
{
	if (self->ready)
		vl_fz_env_fini(&self->env);
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

static void print_finding(struct vl_fz_seq *seq, struct vl_fz_result *r)
{
	printf("# %s at step %d: %s: vmlab %s, native %s\n", vl_fz_verdict_name(r->verdict),
	       r->step, r->field, r->vmlab, r->native);
	vl_fz_print(stdout, seq);
	fflush(stdout);
}

/*
 * The batch: no undocumented difference, crash, hang, kernel report or
 * leak that comes back when the sequence runs again (one that does not is
 * printed as unstable: the native side is not repeatable to the page); and
 * at least a third of the sequences compared to their end (the rest stop
 * at a documented difference), or the batch proves little.  The batch
 * stops early at BUDGET_S seconds (a debug kernel is many times slower) and
 * is judged on what ran, at least MIN_SEQUENCES.
 */
#define BUDGET_S	480
#define MIN_SEQUENCES	20

TEST_F_TIMEOUT(fuzz, batch, 900)
{
	long n = env_long("VMLAB_FUZZ_SEQUENCES", DEFAULT_SEQUENCES), s, same = 0, documented = 0;
	unsigned long long seed = (unsigned long long)env_long("VMLAB_FUZZ_SEED", 1);
	time_t start = time(NULL);
	long unstable = 0;
	struct vl_fz_result r;
	struct vl_fz_seq seq;

	for (s = 0; s < n; s++) {
		if (s >= MIN_SEQUENCES && time(NULL) - start > BUDGET_S) {
			printf("# %s: stopped after %ld of %ld sequences: %d s budget\n",
			       vl_fz_kind_name(variant->kind), s, n, BUDGET_S);
			n = s;
			break;
		}
		vl_fz_generate(&seq, variant->kind, seed + (unsigned long long)s, MAX_OPS);
		vl_fz_run(&self->env, &seq, &r);
		if (r.verdict == VL_FZ_SKIPPED)
			SKIP(return, "the twin cannot run here (huge: too few free hugetlb pages)");
		if (r.verdict == VL_FZ_SAME) {
			same++;
			continue;
		}
		if (r.verdict == VL_FZ_DOCUMENTED) {
			documented++;
			continue;
		}
		if (!vl_fz_confirm(&self->env, &seq, &r)) {
			printf("# unstable: seed %llu: %s at step %d, %s: vmlab %s, native %s\n",
			       (unsigned long long)seq.seed, vl_fz_verdict_name(r.verdict), r.step,
			       r.field, r.vmlab, r.native);
			unstable++;
			continue;
		}
		printf("# kind %s seed %llu: %s; shrinking\n", vl_fz_kind_name(seq.kind),
		       (unsigned long long)seq.seed, vl_fz_verdict_name(r.verdict));
		print_finding(&seq, &r);
		vl_fz_shrink(&self->env, &seq, &r);
		print_finding(&seq, &r);
		ASSERT_EQ(VL_FZ_SAME, r.verdict)
			TH_LOG("seed %llu: %s at step %d, %s: vmlab %s, native %s",
			       (unsigned long long)seq.seed, vl_fz_verdict_name(r.verdict), r.step,
			       r.field, r.vmlab, r.native);
	}
	printf("# %s: %ld sequences: %ld compared to the end, %ld stopped at %s, %ld unstable\n",
	       vl_fz_kind_name(variant->kind), n, same, documented, "a documented difference",
	       unstable);
	ASSERT_GE(same * 3, n) TH_LOG("%ld of %ld compared to the end", same, n);
}

/*
 * The fuzzer finds a difference: private COW mappings compared with the
 * shared twin must diverge within a few sequences, and the shrinker must
 * bring it down to a few operations.
 */
FIXTURE(wrong_twin) {
	struct vl_fz_env env;
	bool ready;
};

FIXTURE_SETUP(wrong_twin)
{
	ASSERT_EQ(0, vl_fz_env_init(&self->env));
	self->env.twin_kind = VL_FZ_SHARED;
	self->ready = true;
}

FIXTURE_TEARDOWN(wrong_twin)
{
	if (self->ready)
		vl_fz_env_fini(&self->env);
}

TEST_F(wrong_twin, found_and_shrunk)
{
	struct vl_fz_result r = { 0 };
	struct vl_fz_seq seq;
	long s;

	for (s = 0; s < 20; s++) {
		vl_fz_generate(&seq, VL_FZ_PRIVATE_COW, 1 + (unsigned long long)s, MAX_OPS);
		if (vl_fz_run(&self->env, &seq, &r) == VL_FZ_DIVERGED)
			break;
	}
	ASSERT_EQ(VL_FZ_DIVERGED, r.verdict) TH_LOG("no difference found in %ld sequences", s);
	vl_fz_shrink(&self->env, &seq, &r);
	print_finding(&seq, &r);
	ASSERT_EQ(VL_FZ_DIVERGED, r.verdict);
	ASSERT_LE(seq.n, 4) TH_LOG("shrunk to %d operations", seq.n);
}

/* The list of documented differences is well formed. */
TEST(differences_list)
{
	size_t i, j;

	ASSERT_GT(vl_fz_ndiffs, 0);
	for (i = 0; i < vl_fz_ndiffs; i++) {
		const struct vl_fz_diff *d = &vl_fz_diffs[i];

		EXPECT_TRUE(d->id && *d->id);
		EXPECT_NE(0, d->kinds) TH_LOG("%s: no kind", d->id);
		EXPECT_EQ(0, d->kinds >> VL_FZ_NKINDS) TH_LOG("%s: unknown kind", d->id);
		EXPECT_TRUE(d->op && *d->op && d->field && *d->field) TH_LOG("%s", d->id);
		EXPECT_GT(strlen(d->reason), 40) TH_LOG("%s: reason too short", d->id);
		for (j = 0; j < i; j++)
			EXPECT_NE(0, strcmp(d->id, vl_fz_diffs[j].id)) TH_LOG("%s twice", d->id);
	}
}

TEST_HARNESS_MAIN
