// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab bench: the cost of each vmlab mapping type against its native
 * twin, in the same boot, as ratios.
 *
 * For each type, a region is mapped, touched page by page (first-touch
 * read faults, then write faults or copies), and unmapped; each phase is
 * timed on vmlab and on the native twin, alternately, several rounds, and
 * the medians are compared.  Memory is the growth of the process's
 * resident set (VmRSS) while the region is mapped and written.
 *
 * Refault: a region of the store and of a file on a disk filesystem (ext4
 * on a loop device in vmlab's guests, see diskfs.c), written and written
 * back, is evicted with POSIX_FADV_DONTNEED, mapped MAP_SHARED and read
 * page by page: read faults that have to read the backing store, major
 * faults with the kernel's read-around.  Its rows are throughput (MiB/s,
 * higher is faster) and the faults getrusage(2) counts per region.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vmlab_uapi.h"
#include "device.h"
#include "procfs.h"
#include "touch.h"
#include "bench.h"
#include "diskfs.h"
#include "tool.h"

#define ROUNDS	5
/* Refault rounds are short: more of them, for a steadier median. */
#define REFAULT_ROUNDS	11

enum phase { READ_FAULT, WRITE_FAULT, UNMAP, NR_PHASES };
static const char *const phase_names[NR_PHASES] = { "read fault", "write", "munmap" };

struct twin {
	const char *name;
	unsigned int kind;	/* vmlab kind */
	int share;		/* MAP_PRIVATE or MAP_SHARED */
	bool file;		/* native twin is a memfd file */
};

static const struct twin twins[] = {
	{ "private_cow", VMLAB_KIND_STORE, MAP_PRIVATE, true },
	{ "shared", VMLAB_KIND_STORE, MAP_SHARED, true },
	{ "private_anon", VMLAB_KIND_ANON, MAP_PRIVATE, false },
	{ "shared_anon", VMLAB_KIND_ANON, MAP_SHARED, false },
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static long long rss_kb(void)
{
	long long kb = 0;

	vl_status_field(0, "VmRSS", &kb);
	return kb;
}

/*
 * Round @round on one side: map @pages pages, read-fault each, write each,
 * unmap; ns per page of each phase into @ns, memory used into @kb.
 */
static int one_round(const struct twin *t, bool vmlab, size_t pages, size_t round,
		     double ns[NR_PHASES], long long *kb)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), len = pages * ps, i;
	int fd = -1, flags = t->share;
	long long before;
	double start;
	char *p;

	if (vmlab) {
		fd = vl_open(O_RDWR);
		if (fd < 0 || vl_select(fd, t->kind, -1))
			goto err_close;
	} else if (t->file) {
		fd = memfd_create("vmlab-bench", 0);
		if (fd < 0 || ftruncate(fd, len))
			goto err_close;
	} else {
		flags |= MAP_ANONYMOUS;
	}
	before = rss_kb();
	/* A fresh range of the store each round: its pages outlive the mapping. */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, vmlab && t->file ? round * len : 0);
	if (p == MAP_FAILED)
		goto err_close;
	/* Base pages on both sides: THP would compare another thing. */
	madvise(p, len, MADV_NOHUGEPAGE);

	start = now_ns();
	for (i = 0; i < len; i += ps)
		vl_read_byte(p + i);
	ns[READ_FAULT] = (now_ns() - start) / pages;
	start = now_ns();
	for (i = 0; i < len; i += ps)
		vl_write_byte(p + i, 1);
	ns[WRITE_FAULT] = (now_ns() - start) / pages;
	*kb = rss_kb() - before;
	start = now_ns();
	munmap(p, len);
	ns[UNMAP] = (now_ns() - start) / pages;
	if (fd >= 0)
		close(fd);
	return 0;

err_close:
	if (fd >= 0)
		close(fd);
	return -1;
}

/**
 * bench_fill() - fill [@off, +@len) of @fd with a pattern, leaving no hole
 * @fd: a file
 * @off: where to start
 * @len: how much
 *
 * Return: 0, or -1 with errno set.
 */
int bench_fill(int fd, off_t off, size_t len)
{
	static char buf[1 << 16];
	size_t done, n;

	memset(buf, 0x5a, sizeof(buf));
	for (done = 0; done < len; done += n) {
		n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		if (pwrite(fd, buf, n, off + (off_t)done) != (ssize_t)n)
			return -1;
	}
	return 0;
}

/*
 * Fill [@off, +@len) of @fd (no holes: reading a hole reads no disk) and
 * write it back.
 */
static int refault_fill(int fd, bool vmlab, off_t off, size_t len)
{
	if (bench_fill(fd, off, len))
		return -1;
	return vmlab ? ioctl(fd, VMLAB_IOC_WRITEBACK) : fsync(fd);
}

/*
 * One refault round on one side: evict [@off, +@len) of @fd, map it, read
 * each page; MiB/s into @mibs, faults into @maj and @min, pages mincore(2)
 * still found cached after the eviction into @cached.
 */
static int refault_round(int fd, off_t off, size_t len, double *mibs, long *maj, long *min,
			 long *cached)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), i;
	unsigned char *vec;
	struct rusage a, b;
	double start, ns;
	char *p;
	int err;

	err = posix_fadvise(fd, off, (off_t)len, POSIX_FADV_DONTNEED);
	if (err) {
		errno = err;
		return -1;
	}
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		return -1;
	vec = malloc(len / ps);
	*cached = -1;
	if (vec && !mincore(p, len, vec))
		for (*cached = 0, i = 0; i < len / ps; i++)
			*cached += vec[i] & 1;
	free(vec);
	getrusage(RUSAGE_SELF, &a);
	start = now_ns();
	for (i = 0; i < len; i += ps)
		vl_read_byte(p + i);
	ns = now_ns() - start;
	getrusage(RUSAGE_SELF, &b);
	munmap(p, len);
	*mibs = ns > 0 ? len / (1024.0 * 1024.0) / (ns / 1e9) : 0;
	*maj = b.ru_majflt - a.ru_majflt;
	*min = b.ru_minflt - a.ru_minflt;
	return 0;
}

/*
 * The refault rows: the store at offset 0 against a file on a disk
 * filesystem, each a region of @pages pages followed by 1 MiB more, so that
 * read-around past the region's end reads as far on both sides.
 */
static int bench_refault(size_t pages, bool backed, unsigned long long store_size)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), len = pages * ps, extra = 1 << 20;
	double mibs[2][REFAULT_ROUNDS], maj[2][REFAULT_ROUNDS], min[2][REFAULT_ROUNDS], a, b;
	long mj, mn, cached, most_cached[2] = { 0, 0 };
	int fd[2] = { -1, -1 }, r, k, ret = 1;
	struct diskfs disk;
	char why[256];

	if (store_size < len + extra) {
		printf("%-13s skipped: the store is smaller than %zu pages and 1 MiB\n", "refault",
		       pages);
		return 0;
	}
	/* A tmpfs file: POSIX_FADV_DONTNEED leaves its pages alone, as a memfd's. */
	if (!backed) {
		printf("%-13s skipped: the store has no backing file, it is a tmpfs file\n"
		       "%-13s with nothing to evict (load vmlab with backing=)\n", "refault", "");
		return 0;
	}
	if (diskfs_get(&disk, (off_t)(len + extra), why, sizeof(why))) {
		printf("%-13s skipped: no disk filesystem for the native twin: %s\n", "refault",
		       why);
		return 0;
	}
	fd[0] = vl_open(O_RDWR);
	if (fd[0] < 0 || vl_select(fd[0], VMLAB_KIND_STORE, -1)) {
		fprintf(stderr, "vmlab bench: refault: /dev/vmlab: %s\n", strerror(errno));
		goto out;
	}
	fd[1] = diskfs_file(&disk, (off_t)(len + extra));
	if (fd[1] < 0) {
		fprintf(stderr, "vmlab bench: refault: a file in %s: %s\n", disk.dir,
			strerror(-fd[1]));
		goto out;
	}
	for (k = 0; k < 2; k++)
		if (refault_fill(fd[k], !k, 0, len + extra)) {
			fprintf(stderr, "vmlab bench: refault: filling the %s side: %s\n",
				k ? "native" : "vmlab", strerror(errno));
			goto out;
		}
	for (r = 0; r < REFAULT_ROUNDS; r++)
		for (k = 0; k < 2; k++) {
			if (refault_round(fd[k], 0, len, &mibs[k][r], &mj, &mn, &cached)) {
				fprintf(stderr, "vmlab bench: refault: %s: %s\n",
					k ? "native" : "vmlab", strerror(errno));
				goto out;
			}
			maj[k][r] = mj;
			min[k][r] = mn;
			if (cached > most_cached[k] || cached < 0)
				most_cached[k] = cached;
		}
	a = median(mibs[0], REFAULT_ROUNDS);
	b = median(mibs[1], REFAULT_ROUNDS);
	printf("%-13s %-10s %10.1f %10.1f %7.2f\n", "refault", "MiB/s", a, b, b > 0 ? a / b : 0);
	a = median(maj[0], REFAULT_ROUNDS);
	b = median(maj[1], REFAULT_ROUNDS);
	printf("%-13s %-10s %10.0f %10.0f %7.2f\n", "refault", "majflt", a, b, b > 0 ? a / b : 0);
	a = median(min[0], REFAULT_ROUNDS);
	b = median(min[1], REFAULT_ROUNDS);
	printf("%-13s %-10s %10.0f %10.0f %7.2f\n", "refault", "minflt", a, b, b > 0 ? a / b : 0);
	printf("refault: the store (%s) against a file on %s, MAP_SHARED, %zu pages,\n"
	       "median of %d rounds\n",
	       backed ? "in its backing file" : "no backing file: the kernel's tmpfs", disk.what,
	       pages, REFAULT_ROUNDS);
	for (k = 0; k < 2; k++)
		if (most_cached[k])
			printf("refault: POSIX_FADV_DONTNEED left %s%ld of %zu %s pages cached\n",
			       most_cached[k] < 0 ? "(mincore failed) " : "",
			       most_cached[k] < 0 ? 0 : most_cached[k], pages,
			       k ? "native" : "store");
	ret = 0;
out:
	for (k = 0; k < 2; k++)
		if (fd[k] >= 0)
			close(fd[k]);
	diskfs_put(&disk);
	return ret;
}

/**
 * cmd_bench() - run "vmlab bench [PAGES]"
 * @argc: argument count, from the command's name on
 * @argv: arguments: an optional region size in pages (default 1024; the
 *	store must hold 2 * ROUNDS regions: each round of the store types maps
 *	a fresh range, since store pages outlive their mappings)
 *
 * Return: the exit status: 0, 1 when a mapping failed, 2 on a usage error.
 */
int cmd_bench(int argc, char **argv)
{
	size_t pages = 1024, t;
	struct vmlab_info info;
	char *end;
	int r, ph;

	if (argc > 2)
		return 2;
	if (argc == 2) {
		pages = strtoul(argv[1], &end, 0);
		if (*end || !pages || pages > (1UL << 20))
			return 2;
	}
	if (access(VMLAB_DEVICE_PATH, R_OK | W_OK)) {
		fprintf(stderr, "vmlab: %s: %s\n", VMLAB_DEVICE_PATH, strerror(errno));
		fprintf(stderr, "vmlab: module not loaded: " VX_LOAD_HINT "\n");
		return 1;
	}
	r = vl_open(O_RDONLY);
	if (r < 0 || vl_info(r, &info) || info.store_size < 2 * ROUNDS * pages * info.page_size) {
		fprintf(stderr, "vmlab bench: the store must hold %d regions of %zu pages\n",
			2 * ROUNDS, pages);
		return 2;
	}
	close(r);
	printf("vmlab bench: %zu pages per region, median of %d rounds, ns per page\n", pages,
	       ROUNDS);
	printf("%-13s %-10s %10s %10s %7s\n", "type", "phase", "vmlab", "native", "ratio");
	for (t = 0; t < ARRAY_SIZE(twins); t++) {
		double v[NR_PHASES][ROUNDS], n[NR_PHASES][ROUNDS], vns[NR_PHASES], nns[NR_PHASES];
		long long vkb[ROUNDS], nkb[ROUNDS];
		double vmem, nmem, vm[ROUNDS], nm[ROUNDS];

		for (r = 0; r < ROUNDS; r++) {
			if (one_round(&twins[t], true, pages, t * ROUNDS + r, vns, &vkb[r]) ||
			    one_round(&twins[t], false, pages, t * ROUNDS + r, nns, &nkb[r])) {
				fprintf(stderr, "vmlab bench: %s: %s\n", twins[t].name,
					strerror(errno));
				return 1;
			}
			for (ph = 0; ph < NR_PHASES; ph++) {
				v[ph][r] = vns[ph];
				n[ph][r] = nns[ph];
			}
			vm[r] = vkb[r];
			nm[r] = nkb[r];
		}
		for (ph = 0; ph < NR_PHASES; ph++) {
			double a = median(v[ph], ROUNDS), b = median(n[ph], ROUNDS);

			printf("%-13s %-10s %10.0f %10.0f %7.2f\n", twins[t].name,
			       phase_names[ph], a, b, b > 0 ? a / b : 0);
		}
		vmem = median(vm, ROUNDS);
		nmem = median(nm, ROUNDS);
		printf("%-13s %-10s %9.0fk %9.0fk %7.2f\n", twins[t].name, "memory", vmem, nmem,
		       nmem > 0 ? vmem / nmem : 0);
	}
	if (bench_refault(pages, info.has_backing, info.store_size))
		return 1;
	printf("ratio = vmlab / native (lower is faster or smaller; for refault MiB/s higher is\n"
	       "faster, 1.00 or more the target); memory: VmRSS growth\n");
	return bench_thp();
}
