// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab bench, THP rows: the fault-in throughput of a 64 MiB MAP_SHARED
 * region as 2 MiB transparent huge pages (a shared anonymous object of
 * policy always), as 4 KiB pages (policy never), as the native twin (a file
 * on a tmpfs mounted with huge=always) and as hugetlb pages (the huge kind),
 * each as a ratio to a memset of the same region once every page is mapped,
 * in the same process, with the minor faults getrusage(2) counts.
 *
 * Fault-in is a memset of the freshly mapped region: it faults, allocates
 * and zeroes as it goes; the second memset of the region only writes.
 * Nothing here is asserted: the rows are numbers to read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vmlab_uapi.h"
#include "device.h"
#include "procfs.h"
#include "smaps.h"
#include "bench.h"
#include "tool.h"

#define THP_LEN		(64UL << 20)
#define THP_ROUNDS	5

enum thp_variant { V_THP, V_4K, V_TMPFS, V_HUGETLB, NR_VARIANTS };

static const char *const variant_names[NR_VARIANTS] = {
	"thp_vmlab", "4k_vmlab", "thp_tmpfs", "hugetlb",
};

static const char *const variant_what[NR_VARIANTS] = {
	"vmlab anon kind, MAP_SHARED, thp always",
	"vmlab anon kind, MAP_SHARED, thp never",
	"file on tmpfs huge=always, unlinked once mapped",
	"vmlab huge kind, MAP_SHARED (hugetlb pool)",
};

struct thp_sample {
	double fault_mibs;	/* fault-in: the first memset */
	double memset_mibs;	/* the second memset, every page mapped */
	long minflt;		/* of the first memset */
	long long huge_kb;	/* smaps ShmemPmdMapped or Shared_Hugetlb after it */
};

static double thp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int thp_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double thp_median(double *v, int n)
{
	qsort(v, n, sizeof(*v), thp_cmp);
	return v[n / 2];
}

/* What of @p's VMA is mapped by PMDs (THP), in kB; -1 unknown. */
static long long huge_kb(const char *p)
{
	const struct vl_smaps *m;
	struct vl_smaps *maps = NULL;
	long long kb = -1;
	size_t n = 0;

	if (vl_smaps_read(0, &maps, &n))
		return -1;
	m = vl_smaps_find(maps, n, (unsigned long)p);
	if (m)
		kb = m->shmem_pmd_kb > 0 ? m->shmem_pmd_kb : 0;
	free(maps);
	return kb;
}

/* Open the file of variant @v; -1 with errno set. */
static int thp_open(enum thp_variant v, const char *dir, char *path, size_t plen)
{
	int fd, ret = 0;

	if (v == V_TMPFS) {
		snprintf(path, plen, "%s/bench", dir);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0 && ftruncate(fd, THP_LEN)) {
			ret = -errno;
			close(fd);
			unlink(path);
			errno = -ret;
			return -1;
		}
		return fd;
	}
	path[0] = '\0';
	fd = vl_open(O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	if (v == V_HUGETLB)
		ret = vl_select(fd, VMLAB_KIND_HUGE, -1);
	else
		ret = vl_select_thp(fd, v == V_THP ? VMLAB_THP_ALWAYS : VMLAB_THP_NEVER);
	if (ret) {
		close(fd);
		errno = -ret;
		return -1;
	}
	return fd;
}

static int thp_round(enum thp_variant v, const char *dir, struct thp_sample *s)
{
	struct rusage a, b;
	double t0, t1, t2;
	long long free0 = 0, free1 = 0;
	char path[128];
	int fd, err;
	char *p;

	/* From before the mmap: the huge kind may take its pages at mmap time. */
	vl_meminfo_field("HugePages_Free", &free0);
	fd = thp_open(v, dir, path, sizeof(path));
	if (fd < 0)
		return -1;
	p = mmap(NULL, THP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	if (path[0])
		unlink(path);
	close(fd);
	if (p == MAP_FAILED) {
		errno = err;
		return -1;
	}
	getrusage(RUSAGE_SELF, &a);
	t0 = thp_now();
	memset(p, 0x5a, THP_LEN);
	t1 = thp_now();
	getrusage(RUSAGE_SELF, &b);
	memset(p, 0xa5, THP_LEN);
	t2 = thp_now();
	vl_meminfo_field("HugePages_Free", &free1);
	/* vmlab's huge kind is no hugetlb VMA: smaps counts none; the pool does. */
	s->huge_kb = v == V_HUGETLB ? (free0 - free1) * 2048 : huge_kb(p);
	munmap(p, THP_LEN);
	s->fault_mibs = t1 > t0 ? (THP_LEN >> 20) / (t1 - t0) : 0;
	s->memset_mibs = t2 > t1 ? (THP_LEN >> 20) / (t2 - t1) : 0;
	s->minflt = b.ru_minflt - a.ru_minflt;
	return 0;
}

/* Why variant @v cannot run here, or NULL. */
static const char *thp_skip(enum thp_variant v, bool mounted, char *why, size_t len)
{
	long long free = -1;

	if (v == V_TMPFS && !mounted)
		return "no tmpfs could be mounted (needs root)";
	if (v == V_HUGETLB) {
		vl_meminfo_field("HugePages_Free", &free);
		if (free < (long long)(THP_LEN >> 21)) {
			snprintf(why, len, "the hugetlb pool has %lld free pages, %lu needed", free,
				 THP_LEN >> 21);
			return why;
		}
	}
	return NULL;
}

/**
 * bench_thp() - print the THP rows
 *
 * Return: 0, or 1 when a mapping that should work failed.
 */
int bench_thp(void)
{
	double f[NR_VARIANTS][THP_ROUNDS], m[NR_VARIANTS][THP_ROUNDS], fl[NR_VARIANTS][THP_ROUNDS];
	double h[NR_VARIANTS][THP_ROUNDS], flt[NR_VARIANTS];
	bool run[NR_VARIANTS], mounted = false, huge_mount = false, thp;
	char dir[64] = "/tmp/vmlab-bench-thp.XXXXXX", why[96];
	struct thp_sample s;
	int v, r, ret = 0;

	thp = !access("/sys/kernel/mm/transparent_hugepage", F_OK);
	if (mkdtemp(dir)) {
		huge_mount = !mount("tmpfs", dir, "tmpfs", 0, "huge=always");
		if (huge_mount)
			mounted = true;
		else if (!thp && !mount("tmpfs", dir, "tmpfs", 0, NULL))
			mounted = true;	/* no THP: tmpfs refuses huge= */
	}
	printf("\nthp: fault-in of a %lu MiB MAP_SHARED region (a memset of it, freshly mapped)\n"
	       "against a memset of the same region once mapped, median of %d rounds\n",
	       THP_LEN >> 20, THP_ROUNDS);
	if (!thp)
		printf("thp: this kernel has no THP: every variant but hugetlb maps 4 KiB pages\n");
	printf("%-13s %11s %12s %7s %8s %9s\n", "variant", "fault MiB/s", "memset MiB/s",
	       "ratio", "minflt", "huge MiB");
	for (v = 0; v < NR_VARIANTS; v++) {
		const char *skip = thp_skip(v, mounted, why, sizeof(why));

		run[v] = !skip;
		if (skip)
			printf("%-13s skipped: %s\n", variant_names[v], skip);
	}
	/* Variant after variant within a round, so that drift spreads over all. */
	for (r = 0; r < THP_ROUNDS; r++)
		for (v = 0; v < NR_VARIANTS; v++) {
			if (!run[v])
				continue;
			if (thp_round(v, dir, &s)) {
				fprintf(stderr, "vmlab bench: thp: %s: %s\n", variant_names[v],
					strerror(errno));
				run[v] = false;
				ret = 1;
				continue;
			}
			f[v][r] = s.fault_mibs;
			m[v][r] = s.memset_mibs;
			fl[v][r] = s.minflt;
			h[v][r] = s.huge_kb / 1024.0;
		}
	for (v = 0; v < NR_VARIANTS; v++) {
		double fm, mm;

		flt[v] = -1;
		if (!run[v])
			continue;
		fm = thp_median(f[v], THP_ROUNDS);
		mm = thp_median(m[v], THP_ROUNDS);
		flt[v] = thp_median(fl[v], THP_ROUNDS);
		printf("%-13s %11.1f %12.1f %7.3f %8.0f %9.0f\n", variant_names[v], fm, mm,
		       mm > 0 ? fm / mm : 0, flt[v], thp_median(h[v], THP_ROUNDS));
	}
	for (v = 0; v < NR_VARIANTS; v++)
		printf("thp: %-13s %s%s\n", variant_names[v], variant_what[v],
		       v == V_TMPFS && mounted && !huge_mount ? " (plain tmpfs: no THP here)" : "");
	if (flt[V_THP] > 0 && flt[V_4K] > 0)
		printf("thp: 4 KiB pages took %.0f times the faults of THP (%.0f / %.0f)\n",
		       flt[V_4K] / flt[V_THP], flt[V_4K], flt[V_THP]);
	printf("thp: ratio = fault-in MiB/s / memset MiB/s (1.00: faults cost nothing); huge MiB:\n"
	       "smaps ShmemPmdMapped of the region after fault-in (hugetlb: HugePages_Free taken)\n");
	if (mounted)
		umount2(dir, MNT_DETACH);
	rmdir(dir);
	return ret;
}
