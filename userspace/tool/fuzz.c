// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab fuzz: random operation sequences on vmlab and on the native twin,
 * compared after every step (the engine is userspace/lib/fuzz.c); every
 * finding shrunk to a reproducer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "tool.h"

struct tally {
	long runs, same, documented, diverged, crashed, leaked, skipped, errors, reported, unstable;
	long by_diff[64];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A reason: its lines joined with spaces (it holds no '"' or '\\'). */
static void print_text(const char *s)
{
	for (; *s; s++)
		putchar(*s == '\n' ? ' ' : *s);
}

/* A markdown table cell: '|' escaped, lines joined; @code: as code. */
static void md_cell(const char *s, bool code)
{
	printf(code ? "| `" : "| ");
	for (; *s; s++) {
		if (*s == '|')
			putchar('\\');
		putchar(*s == '\n' ? ' ' : *s);
	}
	printf(code ? "` " : " ");
}

static void print_differences(bool json, bool markdown)
{
	size_t i;
	int k;

	if (json)
		printf("[\n");
	if (markdown)
		printf("| id | kinds | kernels | operation | fields | then | why |\n"
		       "|---|---|---|---|---|---|---|\n");
	for (i = 0; i < vl_fz_ndiffs; i++) {
		const struct vl_fz_diff *d = &vl_fz_diffs[i];
		char kinds[128] = "";

		for (k = 0; k < VL_FZ_NKINDS; k++) {
			if (!(d->kinds & (1U << k)))
				continue;
			if (kinds[0])
				strcat(kinds, json ? "\", \"" : markdown ? ", " : ",");
			strcat(kinds, vl_fz_kind_name(k));
		}
		if (markdown) {
			md_cell(d->id, false);
			md_cell(kinds, false);
			md_cell(d->release ? d->release : "all", false);
			md_cell(d->op, true);
			md_cell(d->field, true);
			md_cell(d->stop ? "stops" : "ignored", false);
			md_cell(d->reason, false);
			printf("|\n");
			continue;
		}
		if (json) {
			printf("  {\"id\": \"%s\", \"kinds\": [\"%s\"], \"op\": \"%s\", ", d->id,
			       kinds, d->op);
			printf("\"field\": \"%s\", \"stop\": %s, \"release\": \"%s\", ", d->field,
			       d->stop ? "true" : "false", d->release ? d->release : "");
			printf("\"reason\": \"");
			print_text(d->reason);
			printf("\"}%s\n", i + 1 < vl_fz_ndiffs ? "," : "");
		} else {
			printf("%s\t%s\t%s\t%s\t%s\t%s\t", d->id, kinds,
			       d->release ? d->release : "all", d->op, d->field,
			       d->stop ? "stop" : "ignore");
			print_text(d->reason);
			printf("\n");
		}
	}
	if (json)
		printf("]\n");
}

static void report(FILE *f, const struct vl_fz_seq *seq, const struct vl_fz_result *r)
{
	char d[128] = "final read-back";

	if (r->step >= 0 && r->step < seq->n)
		vl_fz_describe(d, sizeof(d), seq->kind, &seq->op[r->step]);
	fprintf(f, "# %s at step %d (%s): %s: vmlab %s, native %s\n",
		vl_fz_verdict_name(r->verdict), r->step, d, r->field, r->vmlab, r->native);
	fprintf(f, "# op %s field %s\n", r->step >= 0 && r->step < seq->n ?
		vl_fz_op_name(&seq->op[r->step]) : "final", r->field);
	if (r->diff_id)
		fprintf(f, "# documented difference: %s\n", r->diff_id);
}

/* Keep the reproducer: DIR/fuzz-KIND-SEED.txt and .c; print the text form. */
static void save(const char *dir, const struct vl_fz_seq *seq, const struct vl_fz_result *r)
{
	char path[512];
	FILE *f;

	report(stdout, seq, r);
	vl_fz_print(stdout, seq);
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/fuzz-%s-%llu.txt", dir, vl_fz_kind_name(seq->kind),
		 (unsigned long long)seq->seed);
	f = fopen(path, "w");
	if (f) {
		report(f, seq, r);
		vl_fz_print(f, seq);
		fclose(f);
		printf("# saved %s\n", path);
	}
	snprintf(path, sizeof(path), "%s/fuzz-%s-%llu.c", dir, vl_fz_kind_name(seq->kind),
		 (unsigned long long)seq->seed);
	f = fopen(path, "w");
	if (f) {
		vl_fz_print_c(f, seq, r);
		fclose(f);
		printf("# saved %s\n", path);
	}
}

static int replay(const struct vl_fz_env *env, const char *path, const char *c_out)
{
	struct vl_fz_result r;
	struct vl_fz_seq seq;
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	int ret;

	if (!f)
		return vx_error(VX_FAIL, "cannot open %s: %s", path, strerror(errno));
	ret = vl_fz_parse(f, &seq);
	if (f != stdin)
		fclose(f);
	if (ret)
		return vx_error(VX_USAGE, "%s: not a sequence (kind, seed, one operation per line)",
				path);
	vl_fz_print(stdout, &seq);
	vl_fz_run(env, &seq, &r);
	report(stdout, &seq, &r);
	if (c_out) {
		f = fopen(c_out, "w");
		if (!f)
			return vx_error(VX_FAIL, "cannot write %s: %s", c_out, strerror(errno));
		vl_fz_print_c(f, &seq, &r);
		fclose(f);
	}
	return r.verdict == VL_FZ_SAME || r.verdict == VL_FZ_DOCUMENTED ? VX_OK : VX_FAIL;
}

static const char usage_text[] =
	"usage: vmlab fuzz [--kind KIND]... [--seed N] [--sequences N] [--duration S]\n"
	"                  [--ops N] [--out DIR] [--no-shrink] [--verbose]\n"
	"       vmlab fuzz --replay FILE [--c FILE.c] [--verbose]\n"
	"       vmlab fuzz --differences [--json | --markdown]\n";

int cmd_fuzz(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "sequences", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ops", required_argument, NULL, 'o' },
		{ "out", required_argument, NULL, 'O' },
		{ "no-shrink", no_argument, NULL, 'S' },
		{ "replay", required_argument, NULL, 'r' },
		{ "c", required_argument, NULL, 'c' },
		{ "differences", no_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "markdown", no_argument, NULL, 'M' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *replay_path = NULL, *c_out = NULL;
	unsigned long long seed = 1;
	long sequences = 0, s;
	double duration = 0, t0;
	int kinds[VL_FZ_NKINDS], nkinds = 0, max_ops = 40, opt, k, ret;
	bool shrink = true, diffs = false, json = false, markdown = false;
	struct tally tally[VL_FZ_NKINDS];
	struct vl_fz_env env = { 0 };
	long findings = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			k = vl_fz_kind_parse(optarg);
			if (k < 0 || nkinds == VL_FZ_NKINDS)
				return vx_error(VX_USAGE, "no kind '%s' (%s)", optarg,
						"private_anon, shared_anon, private_cow, shared, huge");
			kinds[nkinds++] = k;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			sequences = strtol(optarg, NULL, 0);
			break;
		case 'd':
			duration = strtod(optarg, NULL);
			break;
		case 'o':
			max_ops = atoi(optarg);
			if (max_ops < 2 || max_ops > VL_FZ_MAX_OPS)
				return vx_error(VX_USAGE, "--ops: 2 to %d", VL_FZ_MAX_OPS);
			break;
		case 'O':
			out = optarg;
			break;
		case 'S':
			shrink = false;
			break;
		case 'r':
			replay_path = optarg;
			break;
		case 'c':
			c_out = optarg;
			break;
		case 'D':
			diffs = true;
			break;
		case 'j':
			json = true;
			break;
		case 'M':
			markdown = true;
			break;
		case 'v':
			env.verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return VX_OK;
		default:
			fputs(usage_text, stderr);
			return VX_USAGE;
		}
	}
	if (optind < argc) {
		fputs(usage_text, stderr);
		return VX_USAGE;
	}
	if (diffs) {
		print_differences(json, markdown);
		return VX_OK;
	}
	{
		int verbose = env.verbose;

		ret = vl_fz_env_init(&env);
		env.verbose = verbose;
	}
	if (ret == -EPERM)
		return vx_error(VX_PERM, "fuzz reads PFNs and /proc/kpageflags: run as root");
	if (ret == -ENODEV)
		return vx_error(VX_NO_MODULE, "vmlab is not loaded: " VX_LOAD_HINT);
	if (ret)
		return vx_error(VX_FAIL, "cannot set up: %s", strerror(-ret));
	if (replay_path) {
		ret = replay(&env, replay_path, c_out);
		vl_fz_env_fini(&env);
		return ret;
	}
	if (!nkinds)
		for (k = 0; k < VL_FZ_NKINDS; k++)
			kinds[nkinds++] = k;
	if (!sequences && !duration)
		sequences = 100;

	memset(tally, 0, sizeof(tally));
	t0 = now();
	for (s = 0; (!sequences || s < sequences) && (!duration || now() - t0 < duration); s++) {
		for (k = 0; k < nkinds; k++) {
			struct tally *t = &tally[kinds[k]];
			struct vl_fz_result r;
			struct vl_fz_seq seq;

			vl_fz_generate(&seq, kinds[k], seed + (unsigned long long)s, max_ops);
			vl_fz_run(&env, &seq, &r);
			t->runs++;
			switch (r.verdict) {
			case VL_FZ_SAME:
				t->same++;
				break;
			case VL_FZ_DOCUMENTED: {
				size_t i;

				t->documented++;
				for (i = 0; i < vl_fz_ndiffs && i < 64; i++)
					if (vl_fz_diffs[i].id == r.diff_id)
						t->by_diff[i]++;
				break;
			}
			case VL_FZ_SKIPPED:
				t->skipped++;
				break;
			case VL_FZ_ERROR:
				t->errors++;
				findings++;
				break;
			default:
				if (!vl_fz_confirm(&env, &seq, &r)) {
					t->unstable++;
					printf("# unstable (gone when run again): %s %llu\n",
					       vl_fz_kind_name(seq.kind),
					       (unsigned long long)seq.seed);
					report(stdout, &seq, &r);
					vl_fz_print(stdout, &seq);
					break;
				}
				if (r.verdict == VL_FZ_DIVERGED)
					t->diverged++;
				else if (r.verdict == VL_FZ_CRASHED)
					t->crashed++;
				else if (r.verdict == VL_FZ_REPORTED)
					t->reported++;
				else
					t->leaked++;
				findings++;
				printf("# finding: kind %s seed %llu\n", vl_fz_kind_name(seq.kind),
				       (unsigned long long)seq.seed);
				if (shrink) {
					int runs = vl_fz_shrink(&env, &seq, &r);

					printf("# shrunk in %d runs to %d operations\n", runs,
					       seq.n);
				}
				save(out, &seq, &r);
				fflush(stdout);
				break;
			}
		}
	}
	printf("%-13s %9s %9s %11s %9s %8s %7s %8s %8s %8s\n", "kind", "sequences", "same",
	       "documented", "diverged", "crashed", "leaked", "reports", "unstable", "skipped");
	for (k = 0; k < nkinds; k++) {
		struct tally *t = &tally[kinds[k]];

		printf("%-13s %9ld %9ld %11ld %9ld %8ld %7ld %8ld %8ld %8ld\n",
		       vl_fz_kind_name(kinds[k]), t->runs, t->same, t->documented, t->diverged,
		       t->crashed, t->leaked, t->reported, t->unstable, t->skipped);
	}
	for (k = 0; k < nkinds; k++) {
		struct tally *t = &tally[kinds[k]];
		size_t i;

		for (i = 0; i < vl_fz_ndiffs && i < 64; i++)
			if (t->by_diff[i])
				printf("  %s: %ld stopped at documented difference '%s'\n",
				       vl_fz_kind_name(kinds[k]), t->by_diff[i], vl_fz_diffs[i].id);
	}
	vl_fz_env_fini(&env);
	printf("fuzz: %ld findings in %.0f s (seed %llu)\n", findings, now() - t0, seed);
	return findings ? VX_FAIL : VX_OK;
}
