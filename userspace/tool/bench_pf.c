// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab bench pf: page-fault throughput of vmlab's fault paths against
 * their native twins, in the style of will-it-scale's page_fault tests.
 *
 * Each case maps a region, touches one byte per 4 KiB page and unmaps it,
 * over and over, for a fixed time; the result is pages touched per second
 * (the pages of a cycle cut short by the end of the time count too).  It
 * runs in three modes: one thread; two threads each with mappings of its
 * own (store cases at disjoint store offsets, one memfd per thread for the
 * twin); two threads on one mapping (the first thread maps, both touch
 * their half, the first unmaps).  Per case and mode, vmlab and the twin
 * alternate for a number of rounds, each a timed part (after a warm-up of
 * each side in the first round); the medians are printed, with what the
 * timed part cost per page in faults (getrusage), page allocations
 * (/proc/vmstat pgalloc_*), TLB shootdowns (/proc/interrupts TLB) and, in
 * a pass of their own that is not timed, so that tracing does not weigh on
 * the times, mmap_lock acquisitions (tracefs mmap_lock_acquire_returned,
 * when it was enabled at boot: see pf_trace_find()).
 *
 * Transparent huge pages are off for the run (enabled and shmem_enabled
 * "never", restored after), so that the 4 KiB paths are compared; the huge
 * case sets enabled to "madvise", which lets the core give the huge kind's
 * VM_HUGEPAGE mappings PMDs (6.12 asks before calling ->huge_fault) and
 * changes nothing for MAP_HUGETLB.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vmlab_uapi.h"
#include "debugfs.h"
#include "device.h"
#include "json.h"
#include "procfs.h"
#include "touch.h"
#include "bench.h"
#include "bench_pf.h"
#include "diskfs.h"
#include "tool.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif

#define PF_PAGE		4096UL
#define PF_HPAGE	(2UL << 20)
#define PF_MAX_ROUNDS	99
/* Pages per MADV_POPULATE_WRITE in the one-mapping mode of populate. */
#define PF_POPULATE_STEP	64UL

enum pf_access { PF_WRITE, PF_READ, PF_READ_WRITE, PF_WRITE_MSYNC, PF_POPULATE };

/**
 * struct pf_case - one row of the table
 * @name: its name, for --case and the output
 * @what: what it does, for people
 * @kind: the vmlab kind
 * @share: MAP_PRIVATE or MAP_SHARED, on both sides
 * @access: what each cycle does to the pages
 * @file_twin: the twin maps a memfd (a file on the disk filesystem for the
 *	shared cases when the store has a backing file), else it is anonymous
 *	(MAP_HUGETLB for the huge kind)
 */
struct pf_case {
	const char *name;
	const char *what;
	unsigned int kind;
	int share;
	enum pf_access access;
	bool file_twin;
};

static const struct pf_case pf_cases[] = {
	{ "pf1", "private anon write", VMLAB_KIND_ANON, MAP_PRIVATE, PF_WRITE, false },
	{ "pf2", "private store write", VMLAB_KIND_STORE, MAP_PRIVATE, PF_WRITE, true },
	{ "pf3", "shared store write", VMLAB_KIND_STORE, MAP_SHARED, PF_WRITE, true },
	{ "pf4", "private store read", VMLAB_KIND_STORE, MAP_PRIVATE, PF_READ, true },
	{ "shared_anon", "shared anon write", VMLAB_KIND_ANON, MAP_SHARED, PF_WRITE, false },
	{ "huge", "huge kind write", VMLAB_KIND_HUGE, MAP_SHARED, PF_WRITE, false },
	{ "shared_rw", "shared store read all, then write all", VMLAB_KIND_STORE, MAP_SHARED,
	  PF_READ_WRITE, true },
	{ "shared_msync", "shared store write, msync(MS_SYNC) per cycle", VMLAB_KIND_STORE,
	  MAP_SHARED, PF_WRITE_MSYNC, true },
	{ "populate", "MAP_POPULATE private anon", VMLAB_KIND_ANON, MAP_PRIVATE, PF_POPULATE,
	  false },
};

enum pf_mode { PF_ONE, PF_OWN, PF_SHARED_MAP, PF_NR_MODES };
static const char *const pf_mode_names[PF_NR_MODES] = { "1t", "2t-own", "2t-one" };

/* What the command line chose. */
struct pf_opts {
	size_t size;
	double warmup, duration;
	int rounds;
	bool json;
	const char *only;
};

/* What one timed part counted. */
struct pf_sample {
	double secs;
	unsigned long pages;
	long long faults, allocs, tlb;
	long long locks;	/* -1: not counted */
};

struct pf_run;

struct pf_worker {
	struct pf_run *run;
	int id;
	pid_t tid;
	unsigned long pages;
	pthread_t thread;
};

/**
 * struct pf_run - one side of one case in one mode
 * @c: the case
 * @mode: the mode
 * @vmlab: vmlab's side, else the twin's
 * @nthreads: 1 or 2
 * @len: bytes each thread touches per cycle
 * @fd: per thread: an open file of the device, the twin's file, or -1
 * @off: per thread: the offset it maps
 * @start: the workers and the coordinator, before the timed part
 * @end: the same, after it
 * @cycle: the workers, around each cycle of the one-mapping mode
 * @stop: set by the coordinator when the time is up
 * @error: the first errno a worker met, or 0
 * @cur: one-mapping mode: the mapping of this cycle, NULL to end
 * @cur_fd: its file when opened for the cycle, else -1
 * @w: the workers
 */
struct pf_run {
	const struct pf_case *c;
	enum pf_mode mode;
	bool vmlab;
	int nthreads;
	size_t len;
	int fd[2];
	off_t off[2];
	pthread_barrier_t start, end, cycle;
	int stop;
	int error;
	char *cur;
	int cur_fd;
	struct pf_worker w[2];
};

/* The tracefs files of mmap_lock_acquire_returned, or why there are none. */
static char pf_trace_dir[128];
static char pf_trace_path[192];

/* The path of file @name of the tracefs directory found; valid until the next call. */
static const char *pf_path(const char *name)
{
	snprintf(pf_trace_path, sizeof(pf_trace_path), "%s/%s", pf_trace_dir, name);
	return pf_trace_path;
}

static const char *pf_trace_why;

static double pf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pf_sleep(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (time_t)secs) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int pf_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pf_median(const double *v, int n)
{
	double s[PF_MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), pf_cmp);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Whether the coordinator said the time is up. */
static bool pf_stopped(struct pf_run *run)
{
	return __atomic_load_n(&run->stop, __ATOMIC_RELAXED);
}

static void pf_set_stop(struct pf_run *run, int v)
{
	__atomic_store_n(&run->stop, v, __ATOMIC_RELAXED);
}

static void pf_fail(struct pf_run *run, int err)
{
	__atomic_compare_exchange_n(&run->error, &(int){ 0 }, err ? err : EIO, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	pf_set_stop(run, 1);
}

/* Counters of the whole system or process, read around a timed part. */

/* pgalloc_dma + dma32 + normal + movable of /proc/vmstat. */
static long long pf_allocs(void)
{
	char name[64];
	long long v, sum = 0;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return 0;
	while (fscanf(f, "%63s %lld", name, &v) == 2)
		if (!strcmp(name, "pgalloc_dma") || !strcmp(name, "pgalloc_dma32") ||
		    !strcmp(name, "pgalloc_normal") || !strcmp(name, "pgalloc_movable"))
			sum += v;
	fclose(f);
	return sum;
}

/* The TLB shootdowns of /proc/interrupts' "TLB:" line, summed over the CPUs. */
static long long pf_tlb(void)
{
	char line[1024], *p, *end;
	long long sum = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, "TLB:", 4))
			continue;
		for (p += 4;; p = end) {
			long long v = strtoll(p, &end, 10);

			if (end == p)
				break;
			sum += v;
		}
	}
	fclose(f);
	return sum;
}

static long long pf_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

/*
 * mmap_lock acquisitions, from the tracefs event mmap_lock_acquire_returned
 * when it was enabled at boot (trace_event=mmap_lock:mmap_lock_acquire_returned,
 * which `make bench` passes): the pass turns the ring buffer on and off and
 * counts the events of its threads.  The event is never turned on or off
 * here: that patches kernel text, which has crashed TCG guests at an int3
 * (in the patched tracepoint) several times out of a few hundred tries.
 */

static int pf_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -errno;
	close(fd);
	return ret;
}

#define PF_EVENT	"events/mmap_lock/mmap_lock_acquire_returned"
/* Ring buffer per CPU while the pass runs: room for the events of a pass. */
#define PF_TRACE_KB	"16384"

/* Find the event enabled at boot, mounting tracefs when needed; else say why not. */
static void pf_trace_find(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256], *on = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (access(path, F_OK) && i == 0)
			mount("tracefs", dirs[0], "tracefs", 0, NULL);
		snprintf(path, sizeof(path), "%s/" PF_EVENT "/enable", dirs[i]);
		if (!access(path, R_OK)) {
			snprintf(pf_trace_dir, sizeof(pf_trace_dir), "%s", dirs[i]);
			break;
		}
	}
	if (!pf_trace_dir[0]) {
		pf_trace_why = geteuid() ?
			"no tracefs event mmap_lock_acquire_returned (needs root)" :
			"no tracefs event mmap_lock_acquire_returned";
		return;
	}
	if (vl_read_text(path, &on) || on[0] != '1' ||
	    pf_write(pf_path("tracing_on"), "0")) {
		/* Not turned on here: see above. */
		pf_trace_why = "event not enabled at boot (needs trace_event=mmap_lock:*)";
		pf_trace_dir[0] = '\0';
	}
	free(on);
	if (pf_trace_dir[0])
		pf_write(pf_path("buffer_size_kb"), PF_TRACE_KB);
}

/* Empty the ring buffer and start recording. */
static int pf_trace_on(void)
{
	int fd = open(pf_path("trace"), O_WRONLY | O_TRUNC);

	if (fd < 0)
		return -errno;
	close(fd);
	return pf_write(pf_path("tracing_on"), "1");
}

/* The thread id of a trace line ("  comm-TID  [CPU] ..."), or -1. */
static long long pf_trace_tid(const char *line)
{
	const char *cpu = strstr(line, " [");
	const char *p;

	if (!cpu)
		return -1;
	p = cpu;
	while (p > line && p[-1] == ' ')
		p--;
	while (p > line && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == line || p[-1] != '-')
		return -1;
	return atoll(p);
}

/* The acquisitions of the threads @tid (@n of them) since pf_trace_on(); recording stopped. */
static long long pf_trace_off(const pid_t *tid, int n)
{
	char line[512];
	long long sum = 0, t;
	FILE *f;
	int i;

	pf_write(pf_path("tracing_on"), "0");
	f = fopen(pf_path("trace"), "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strstr(line, "mmap_lock_acquire_returned:") ||
		    !strstr(line, "success=true"))
			continue;
		t = pf_trace_tid(line);
		for (i = 0; i < n; i++)
			if (t == tid[i])
				sum++;
	}
	fclose(f);
	return sum;
}

/* Transparent huge pages: off for the run, restored after. */

struct pf_knob {
	const char *path;
	char saved[32];
	bool changed;
};

static struct pf_knob pf_thp = { .path = "/sys/kernel/mm/transparent_hugepage/enabled" };
static struct pf_knob pf_shmem_thp = {
	.path = "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
};

/* The bracketed value of @k now, into @buf; "" when there is no such file. */
static void pf_knob_read(const struct pf_knob *k, char *buf, size_t len)
{
	char line[256], *a, *b;
	FILE *f = fopen(k->path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		a = strchr(line, '[');
		b = a ? strchr(a, ']') : NULL;
		if (a && b && (size_t)(b - a) <= len)
			snprintf(buf, len, "%.*s", (int)(b - a - 1), a + 1);
	}
	fclose(f);
}

/* Set @k to @val, keeping the first value seen; a sentence on the result into @msg. */
static void pf_knob_set(struct pf_knob *k, const char *val, char *msg, size_t len)
{
	char now[32];
	int err;

	pf_knob_read(k, now, sizeof(now));
	if (!now[0]) {
		snprintf(msg, len, "%s: none", k->path);
		return;
	}
	if (!k->changed)
		snprintf(k->saved, sizeof(k->saved), "%s", now);
	err = strcmp(now, val) ? pf_write(k->path, val) : 0;
	if (err) {
		snprintf(msg, len, "%s is %s, not writable (%s): left as it is", k->path, now,
			 strerror(-err));
		return;
	}
	k->changed = true;
	snprintf(msg, len, "%s: %s for the run (was %s)", k->path, val, k->saved);
}

static void pf_knob_restore(struct pf_knob *k)
{
	if (k->changed)
		pf_write(k->path, k->saved);
	k->changed = false;
}

/* Mapping and touching. */

/*
 * Map @len bytes for thread @id of @run; *@tmpfd receives a file opened
 * for this mapping alone (the huge kind: a fresh file each time, as each
 * MAP_HUGETLB mapping is a fresh object), else -1.
 */
static char *pf_map(struct pf_run *run, int id, size_t len, int *tmpfd)
{
	const struct pf_case *c = run->c;
	int flags = c->share, fd = run->fd[id], err;
	char *p;

	*tmpfd = -1;
	if (c->access == PF_POPULATE && run->mode != PF_SHARED_MAP)
		flags |= MAP_POPULATE;
	if (run->vmlab && c->kind == VMLAB_KIND_HUGE) {
		fd = vl_open(O_RDWR);
		if (fd < 0) {
			errno = -fd;
			return MAP_FAILED;
		}
		err = vl_select(fd, VMLAB_KIND_HUGE, -1);
		if (err) {
			close(fd);
			errno = -err;
			return MAP_FAILED;
		}
		*tmpfd = fd;
	} else if (!run->vmlab && fd < 0) {
		flags |= MAP_ANONYMOUS;
		if (c->kind == VMLAB_KIND_HUGE)
			flags |= MAP_HUGETLB;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, fd < 0 ? 0 : run->off[id]);
	if (p == MAP_FAILED && *tmpfd >= 0) {
		err = errno;
		close(*tmpfd);
		errno = err;
	}
	return p;
}

/* Touch the pages of [@p, +@len) as the case says; the pages touched. */
static unsigned long pf_touch(struct pf_run *run, char *p, size_t len)
{
	unsigned long n = len / PF_PAGE, i, done = 0;

	switch (run->c->access) {
	case PF_POPULATE:
		if (run->mode != PF_SHARED_MAP)
			return n;	/* mmap did it */
		/* Each its half, in steps of PF_POPULATE_STEP pages, so as to stop in time. */
		for (i = 0; i < n && !pf_stopped(run); i += PF_POPULATE_STEP) {
			unsigned long step = n - i < PF_POPULATE_STEP ? n - i : PF_POPULATE_STEP;

			if (madvise(p + i * PF_PAGE, step * PF_PAGE, MADV_POPULATE_WRITE)) {
				pf_fail(run, errno);
				break;
			}
			done += step;
		}
		return done;
	case PF_READ:
		for (i = 0; i < n && !pf_stopped(run); i++, done++)
			vl_read_byte(p + i * PF_PAGE);
		return done;
	case PF_READ_WRITE:
		for (i = 0; i < n; i++)
			vl_read_byte(p + i * PF_PAGE);
		/* The pages count once, when written. */
		fallthrough;
	case PF_WRITE:
	case PF_WRITE_MSYNC:
		for (i = 0; i < n && !pf_stopped(run); i++, done++)
			vl_write_byte(p + i * PF_PAGE, 1);
		return done;
	}
	return 0;
}

static void pf_unmap(struct pf_run *run, char *p, size_t len, int tmpfd)
{
	if (run->c->access == PF_WRITE_MSYNC && msync(p, len, MS_SYNC))
		pf_fail(run, errno);
	munmap(p, len);
	if (tmpfd >= 0)
		close(tmpfd);
}

/* One thread, mappings of its own: map, touch, unmap until the time is up. */
static void pf_loop_own(struct pf_worker *w)
{
	struct pf_run *run = w->run;
	int tmpfd;
	char *p;

	while (!pf_stopped(run)) {
		p = pf_map(run, w->id, run->len, &tmpfd);
		if (p == MAP_FAILED) {
			pf_fail(run, errno);
			return;
		}
		w->pages += pf_touch(run, p, run->len);
		pf_unmap(run, p, run->len, tmpfd);
	}
}

/* Two threads, one mapping: worker 0 maps and unmaps, each touches its half. */
static void pf_loop_shared(struct pf_worker *w)
{
	struct pf_run *run = w->run;
	size_t all = run->len * run->nthreads;

	for (;;) {
		if (w->id == 0) {
			run->cur = NULL;
			if (!pf_stopped(run)) {
				run->cur = pf_map(run, 0, all, &run->cur_fd);
				if (run->cur == MAP_FAILED) {
					pf_fail(run, errno);
					run->cur = NULL;
				}
			}
		}
		pthread_barrier_wait(&run->cycle);
		if (!run->cur)
			return;
		w->pages += pf_touch(run, run->cur + w->id * run->len, run->len);
		pthread_barrier_wait(&run->cycle);
		if (w->id == 0)
			pf_unmap(run, run->cur, all, run->cur_fd);
	}
}

static void *pf_worker(void *arg)
{
	struct pf_worker *w = arg;

	w->tid = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&w->run->start);
	if (w->run->mode == PF_SHARED_MAP)
		pf_loop_shared(w);
	else
		pf_loop_own(w);
	pthread_barrier_wait(&w->run->end);
	return NULL;
}

/*
 * Run the workers of @run for @secs; what the timed part counted into @s
 * (mmap_lock acquisitions only with @locks).  Return: 0, or an errno.
 */
static int pf_measure(struct pf_run *run, double secs, bool locks, struct pf_sample *s)
{
	long long f0, a0, t0;
	pid_t tids[2];
	double start;
	int i, err;

	pf_set_stop(run, 0);
	run->error = 0;
	memset(s, 0, sizeof(*s));
	s->locks = -1;
	pthread_barrier_init(&run->start, NULL, run->nthreads + 1);
	pthread_barrier_init(&run->end, NULL, run->nthreads + 1);
	pthread_barrier_init(&run->cycle, NULL, run->nthreads);
	for (i = 0; i < run->nthreads; i++) {
		run->w[i] = (struct pf_worker){ .run = run, .id = i };
		err = pthread_create(&run->w[i].thread, NULL, pf_worker, &run->w[i]);
		if (err) {
			fprintf(stderr, "vmlab bench pf: pthread_create: %s\n", strerror(err));
			exit(VX_FAIL);
		}
	}
	if (locks)
		locks = !pf_trace_on();
	f0 = pf_faults();
	a0 = pf_allocs();
	t0 = pf_tlb();
	pthread_barrier_wait(&run->start);
	start = pf_now();
	pf_sleep(secs);
	pf_set_stop(run, 1);
	pthread_barrier_wait(&run->end);
	s->secs = pf_now() - start;
	s->faults = pf_faults() - f0;
	s->allocs = pf_allocs() - a0;
	s->tlb = pf_tlb() - t0;
	for (i = 0; i < run->nthreads; i++) {
		pthread_join(run->w[i].thread, NULL);
		s->pages += run->w[i].pages;
		tids[i] = run->w[i].tid;
	}
	if (locks)
		s->locks = pf_trace_off(tids, run->nthreads);
	pthread_barrier_destroy(&run->start);
	pthread_barrier_destroy(&run->end);
	pthread_barrier_destroy(&run->cycle);
	return run->error;
}

/* Files of both sides, made once per case and mode. */

/*
 * The twin's file of @len bytes for case @c: a memfd, or a file on @disk
 * for the shared store cases when @disk is set; pre-filled.  -1 on error.
 */
static int pf_twin_file(const struct pf_case *c, const struct diskfs *disk, size_t len)
{
	int fd, err;

	if (disk && c->share == MAP_SHARED) {
		fd = diskfs_file(disk, (off_t)len);
		if (fd < 0) {
			errno = -fd;
			return -1;
		}
	} else {
		fd = memfd_create("vmlab-bench-pf", 0);
		if (fd < 0 || ftruncate(fd, (off_t)len))
			goto fail;
	}
	if (bench_fill(fd, 0, len) || (disk && c->share == MAP_SHARED && fsync(fd)))
		goto fail;
	return fd;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	errno = err;
	return -1;
}

/* Set up both sides of @c in @mode: @runs[0] vmlab, @runs[1] the twin. */
static int pf_setup(struct pf_run runs[2], const struct pf_case *c, enum pf_mode mode, size_t len,
		    const struct diskfs *disk)
{
	int side, i, files, err;

	for (side = 0; side < 2; side++) {
		struct pf_run *run = &runs[side];

		memset(run, 0, sizeof(*run));
		run->c = c;
		run->mode = mode;
		run->vmlab = side == 0;
		run->nthreads = mode == PF_ONE ? 1 : 2;
		run->len = len;
		run->fd[0] = -1;
		run->fd[1] = -1;
		run->cur_fd = -1;
		files = mode == PF_SHARED_MAP ? 1 : run->nthreads;
		for (i = 0; i < files; i++) {
			size_t flen = mode == PF_SHARED_MAP ? 2 * len : len;

			if (run->vmlab && c->kind != VMLAB_KIND_HUGE) {
				run->fd[i] = vl_open(O_RDWR);
				if (run->fd[i] < 0) {
					errno = -run->fd[i];
					run->fd[i] = -1;
					return -1;
				}
				err = vl_select(run->fd[i], c->kind, -1);
				if (err) {
					errno = -err;
					return -1;
				}
				if (c->kind != VMLAB_KIND_STORE)
					continue;
				/* Disjoint ranges of the store, pre-filled as the twin's. */
				run->off[i] = (off_t)(i * len);
				if (bench_fill(run->fd[i], run->off[i], flen))
					return -1;
			} else if (!run->vmlab && c->file_twin) {
				run->fd[i] = pf_twin_file(c, disk, flen);
				if (run->fd[i] < 0)
					return -1;
			}
		}
	}
	return 0;
}

static void pf_teardown(struct pf_run runs[2])
{
	int side, i;

	for (side = 0; side < 2; side++)
		for (i = 0; i < 2; i++)
			if (runs[side].fd[i] >= 0)
				close(runs[side].fd[i]);
}

/* Huge case @c: memset of an already faulted region, MiB/s, best of three. */
static double pf_memset_mibs(const struct pf_case *c, bool vmlab, size_t len)
{
	struct pf_run run = { .c = c, .vmlab = vmlab, .nthreads = 1, .fd = { -1, -1 } };
	double best = 0, t;
	int tmpfd, i;
	char *p;

	p = pf_map(&run, 0, len, &tmpfd);
	if (p == MAP_FAILED)
		return 0;
	memset(p, 1, len);
	for (i = 0; i < 3; i++) {
		t = pf_now();
		memset(p, i, len);
		__asm__ __volatile__("" : : "r"(p) : "memory");
		t = pf_now() - t;
		if (t > 0 && len / 1048576.0 / t > best)
			best = len / 1048576.0 / t;
	}
	munmap(p, len);
	if (tmpfd >= 0)
		close(tmpfd);
	return best;
}

/* The medians of one case in one mode, per side (0 vmlab, 1 native). */
struct pf_result {
	const struct pf_case *c;
	enum pf_mode mode;
	double pps[2], ratio, ratio_min, ratio_max;
	double faults[2], allocs[2], tlb[2], locks[2];	/* per page; locks < 0: none */
	double ms_per_cycle[2];		/* populate: ms per MAP_POPULATE of one thread */
	double mibs[2], memset_mibs[2];	/* huge */
	int rounds;
};

static double pf_per_page(long long v, unsigned long pages)
{
	return pages ? (double)v / pages : 0;
}

/* Measure @c in @mode; 0, or -1 after saying why. */
static int pf_case_mode(const struct pf_case *c, enum pf_mode mode, const struct pf_opts *o,
			size_t len, const struct diskfs *disk, struct pf_result *res)
{
	double pps[2][PF_MAX_ROUNDS], flt[2][PF_MAX_ROUNDS], alc[2][PF_MAX_ROUNDS];
	double tlb[2][PF_MAX_ROUNDS], ratio[PF_MAX_ROUNDS];
	struct pf_run runs[2];
	struct pf_sample s;
	int r, side, err;

	memset(res, 0, sizeof(*res));
	res->c = c;
	res->mode = mode;
	res->rounds = o->rounds;
	if (pf_setup(runs, c, mode, len, disk)) {
		fprintf(stderr, "vmlab bench pf: %s %s: setting up: %s\n", c->name,
			pf_mode_names[mode], strerror(errno));
		pf_teardown(runs);
		return -1;
	}
	for (r = 0; r < o->rounds; r++)
		for (side = 0; side < 2; side++) {
			/* A warm-up per side in the first round: the rounds then alternate. */
			err = r ? 0 : pf_measure(&runs[side], o->warmup, false, &s);
			if (!err)
				err = pf_measure(&runs[side], o->duration, false, &s);
			if (err) {
				fprintf(stderr, "vmlab bench pf: %s %s, %s: %s\n", c->name,
					pf_mode_names[mode], side ? "native" : "vmlab",
					strerror(err));
				pf_teardown(runs);
				return -1;
			}
			pps[side][r] = s.secs > 0 ? s.pages / s.secs : 0;
			flt[side][r] = pf_per_page(s.faults, s.pages);
			alc[side][r] = pf_per_page(s.allocs, s.pages);
			tlb[side][r] = pf_per_page(s.tlb, s.pages);
		}
	for (r = 0; r < o->rounds; r++) {
		ratio[r] = pps[1][r] > 0 ? pps[0][r] / pps[1][r] : 0;
		if (!r || ratio[r] < res->ratio_min)
			res->ratio_min = ratio[r];
		if (!r || ratio[r] > res->ratio_max)
			res->ratio_max = ratio[r];
	}
	for (side = 0; side < 2; side++) {
		res->pps[side] = pf_median(pps[side], o->rounds);
		res->faults[side] = pf_median(flt[side], o->rounds);
		res->allocs[side] = pf_median(alc[side], o->rounds);
		res->tlb[side] = pf_median(tlb[side], o->rounds);
		res->locks[side] = -1;
		/* One thread's cycle: it touches len, at its share of the pages per second. */
		if (res->pps[side] > 0)
			res->ms_per_cycle[side] = len / PF_PAGE /
						  (res->pps[side] / runs[side].nthreads) * 1e3;
		res->mibs[side] = res->pps[side] * PF_PAGE / 1048576.0;
	}
	res->ratio = res->pps[1] > 0 ? res->pps[0] / res->pps[1] : 0;
	/* mmap_lock: a pass of its own, half as long as the warm-up, not timed. */
	for (side = 0; pf_trace_dir[0] && side < 2; side++)
		if (!pf_measure(&runs[side], o->warmup / 2, true, &s) && s.locks >= 0)
			res->locks[side] = pf_per_page(s.locks, s.pages);
	pf_teardown(runs);
	return 0;
}

/* Memory: metadata bytes per resident page. */

struct pf_mem {
	const struct pf_case *c;
	double bytes[2];	/* per page; < 0: not measured */
	unsigned long pages, fresh[2];
};

static long long pf_meminfo_kb(void)
{
	static const char *const fields[] = { "Slab", "Percpu", "PageTables", "Cached" };
	long long v, sum = 0;
	size_t i;

	/* Fold the per-CPU differences in, or the sums lag by up to ~100 pages per CPU. */
	pf_write("/proc/sys/vm/stat_refresh", "1");
	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (!vl_meminfo_field(fields[i], &v))
			sum += v;
	return sum;
}

/*
 * Map @len bytes of case @c (MAP_SHARED: the store at @store_off, or a new
 * shared anonymous object) on one side and write each page; the growth of
 * Slab + Percpu + PageTables + Cached beyond the pages the writes made
 * resident (those mincore(2) did not find resident before), per page.
 * Cached holds the page cache and shmem/tmpfs pages, so a second copy of
 * a page (the store's cache over its own file) or larger page-cache nodes
 * show in it; Slab holds the xarray nodes and vmlab's own records;
 * PageTables the page tables.
 */
static int pf_mem_side(const struct pf_case *c, bool vmlab, size_t len, off_t store_off,
		       const struct diskfs *disk, double *bytes, unsigned long *fresh)
{
	unsigned long n = len / PF_PAGE, i;
	int fd = -1, flags = MAP_SHARED, err;
	unsigned char *vec;
	long long before;
	char *p;

	*fresh = n;
	if (vmlab) {
		fd = vl_open(O_RDWR);
		if (fd < 0)
			return errno = -fd, -1;
		err = vl_select(fd, c->kind, -1);
		if (err) {
			close(fd);
			return errno = -err, -1;
		}
	} else if (c->file_twin) {
		fd = disk ? diskfs_file(disk, (off_t)len) : memfd_create("vmlab-bench-pf", 0);
		if (fd < 0 || (!disk && ftruncate(fd, (off_t)len))) {
			err = fd < 0 && disk ? -fd : errno;
			if (fd >= 0)
				close(fd);
			return errno = err, -1;
		}
	} else {
		flags |= MAP_ANONYMOUS;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd,
		 vmlab && c->kind == VMLAB_KIND_STORE ? store_off : 0);
	if (p == MAP_FAILED) {
		err = errno;
		if (fd >= 0)
			close(fd);
		return errno = err, -1;
	}
	vec = malloc(n);
	if (vec && !mincore(p, len, vec))
		for (*fresh = 0, i = 0; i < n; i++)
			*fresh += !(vec[i] & 1);
	free(vec);
	before = pf_meminfo_kb();
	for (i = 0; i < n; i++)
		vl_write_byte(p + i * PF_PAGE, 1);
	*bytes = ((pf_meminfo_kb() - before) * 1024.0 - *fresh * (double)PF_PAGE) / n;
	munmap(p, len);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Output. */

static void pf_print_header(const struct pf_opts *o, const char *thp, const char *shmem,
			    const char *twin, size_t hlen)
{
	printf("vmlab bench pf: %zu KiB per thread per cycle, warm-up %.2f s (first round),\n"
	       "%.2f s timed, %d rounds alternating vmlab and native, medians; one byte per\n"
	       "4 KiB page\n",
	       o->size >> 10, o->warmup, o->duration, o->rounds);
	printf("thp: %s\nthp: %s\n", thp, shmem);
	printf("shared store twin: %s; huge: %zu KiB per thread (2 MiB multiple)\n", twin,
	       hlen >> 10);
	printf("modes: 1t one thread; 2t-own two threads, each its own mappings; 2t-one two\n"
	       "threads on one mapping (one maps and unmaps, each touches its half)\n");
	printf("pages/s: pages touched per second, all threads; ratio = vmlab / native (higher is\n"
	       "faster: 1.00 or more the target; for populate, native time / vmlab time per\n"
	       "MAP_POPULATE, so > 1 still means vmlab is faster); per page of the timed part:\n"
	       "flt = minflt+majflt (getrusage), alloc = pgalloc_* (/proc/vmstat), tlb = TLB\n"
	       "shootdowns (/proc/interrupts), lock = mmap_lock acquisitions (tracefs event\n"
	       "enabled at boot, in an untimed pass of its own)\n");
	printf("populate: MAP_POPULATE of %zu KiB per thread; 2t-one: each thread\n"
	       "MADV_POPULATE_WRITE of its half, %lu pages at a time\n", 2 * o->size >> 10,
	       PF_POPULATE_STEP);
	if (pf_trace_why)
		printf("lock: -: %s\n", pf_trace_why);
	printf("%-12s %-6s %9s %9s %6s %11s %11s %13s %11s\n", "case", "mode", "vmlab/s",
	       "native/s", "ratio", "flt v/n", "alloc v/n", "tlb v/n", "lock v/n");
}

static void pf_print_row(const struct pf_result *r)
{
	char lock[32] = "-";

	if (r->locks[0] >= 0 && r->locks[1] >= 0)
		snprintf(lock, sizeof(lock), "%.3f/%.3f", r->locks[0], r->locks[1]);
	printf("%-12s %-6s %9.0f %9.0f %6.2f %5.2f/%-5.2f %5.2f/%-5.2f %6.3f/%-6.3f %11s\n",
	       r->c->name, pf_mode_names[r->mode], r->pps[0], r->pps[1], r->ratio, r->faults[0],
	       r->faults[1], r->allocs[0], r->allocs[1], r->tlb[0], r->tlb[1], lock);
	if (r->c->access == PF_POPULATE)
		printf("%-12s %-6s   ms per populate: vmlab %.1f, native %.1f\n", "", "",
		       r->ms_per_cycle[0], r->ms_per_cycle[1]);
	if (r->c->kind == VMLAB_KIND_HUGE)
		printf("%-12s %-6s   fault-in MiB/s, %% of memset: vmlab %.0f = %.0f%% of %.0f,\n"
		       "%-12s %-6s   MAP_HUGETLB %.0f = %.0f%% of %.0f\n",
		       "", "", r->mibs[0],
		       r->memset_mibs[0] > 0 ? 100 * r->mibs[0] / r->memset_mibs[0] : 0,
		       r->memset_mibs[0], "", "", r->mibs[1],
		       r->memset_mibs[1] > 0 ? 100 * r->mibs[1] / r->memset_mibs[1] : 0,
		       r->memset_mibs[1]);
}

static void pf_json_pair(struct vl_jw *w, const char *key, const double v[2], bool null_neg)
{
	char name[64];
	int side;

	for (side = 0; side < 2; side++) {
		snprintf(name, sizeof(name), "%s_%s", key, side ? "native" : "vmlab");
		if (null_neg && v[side] < 0)
			vl_jw_null(w, name);
		else
			vl_jw_double(w, name, v[side]);
	}
}

static void pf_json_result(struct vl_jw *w, const struct pf_result *r)
{
	vl_jw_object(w, NULL);
	vl_jw_string(w, "case", r->c->name);
	vl_jw_string(w, "what", r->c->what);
	vl_jw_string(w, "mode", pf_mode_names[r->mode]);
	vl_jw_int(w, "threads", r->mode == PF_ONE ? 1 : 2);
	pf_json_pair(w, "pages_per_s", r->pps, false);
	vl_jw_double(w, "ratio", r->ratio);
	vl_jw_double(w, "ratio_min", r->ratio_min);
	vl_jw_double(w, "ratio_max", r->ratio_max);
	pf_json_pair(w, "faults_per_page", r->faults, false);
	pf_json_pair(w, "allocs_per_page", r->allocs, false);
	pf_json_pair(w, "tlb_per_page", r->tlb, false);
	pf_json_pair(w, "mmap_lock_per_page", r->locks, true);
	if (r->c->access == PF_POPULATE)
		pf_json_pair(w, "ms_per_populate", r->ms_per_cycle, false);
	if (r->c->kind == VMLAB_KIND_HUGE) {
		pf_json_pair(w, "fault_mib_per_s", r->mibs, false);
		pf_json_pair(w, "memset_mib_per_s", r->memset_mibs, false);
	}
	vl_jw_end(w);
}

static int pf_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (end == s)
		return -1;
	switch (*end) {
	case 'G': case 'g':
		v <<= 10;
		fallthrough;
	case 'M': case 'm':
		v <<= 10;
		fallthrough;
	case 'K': case 'k':
		v <<= 10;
		end++;
	}
	if (*end || !v || v % PF_PAGE || v > (1ULL << 34))
		return -1;
	*out = v;
	return 0;
}

static int pf_parse_secs(const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return *end || end == s || !(*out > 0) || *out > 3600 ? -1 : 0;
}

static int pf_parse(int argc, char **argv, struct pf_opts *o)
{
	size_t i;
	int a;

	*o = (struct pf_opts){ 32UL << 20, 0.25, 0.75, 3, false, NULL };
	for (a = 1; a < argc; a++) {
		const char *opt = argv[a], *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(opt, "--json")) {
			o->json = true;
			continue;
		}
		if (!val)
			return vx_error(VX_USAGE, "bench pf: %s: unknown, or no value", opt);
		a++;
		if (!strcmp(opt, "--size")) {
			if (pf_parse_size(val, &o->size))
				return vx_error(VX_USAGE, "bench pf: --size %s: not 4 KiB pages",
						val);
		} else if (!strcmp(opt, "--warmup")) {
			if (pf_parse_secs(val, &o->warmup))
				return vx_error(VX_USAGE, "bench pf: --warmup %s: no seconds",
						val);
		} else if (!strcmp(opt, "--duration")) {
			if (pf_parse_secs(val, &o->duration))
				return vx_error(VX_USAGE, "bench pf: --duration %s: no seconds",
						val);
		} else if (!strcmp(opt, "--rounds")) {
			o->rounds = atoi(val);
			if (o->rounds < 1 || o->rounds > PF_MAX_ROUNDS)
				return vx_error(VX_USAGE, "bench pf: --rounds %s: 1 to %d", val,
						PF_MAX_ROUNDS);
		} else if (!strcmp(opt, "--case")) {
			o->only = val;
			for (i = 0; i < ARRAY_SIZE(pf_cases); i++)
				if (!strcmp(val, pf_cases[i].name))
					break;
			if (i == ARRAY_SIZE(pf_cases))
				return vx_error(VX_USAGE, "bench pf: no case '%s'", val);
		} else {
			return vx_error(VX_USAGE, "bench pf: %s: unknown option", opt);
		}
	}
	return 0;
}

/**
 * cmd_bench_pf() - run "vmlab bench pf [OPTIONS]"
 * @argc: argument count, from "pf" on
 * @argv: the arguments
 *
 * Return: the exit status: 0, 1 when a case failed, 2 on a usage error.
 */
int cmd_bench_pf(int argc, char **argv)
{
	static struct pf_result res[ARRAY_SIZE(pf_cases) * PF_NR_MODES];
	char thp_msg[256], shmem_msg[256], why[256], twin[700];
	size_t hlen, nres = 0, i, k;
	struct pf_mem mem[2];
	struct diskfs disk, *dp = NULL;
	struct vmlab_info info;
	struct pf_opts o;
	long long hfree = 0;
	double memset_mibs[2] = { 0, 0 };
	bool huge_ok;
	int ret, fd, m, nmem = 0;
	struct vl_jw w;

	ret = pf_parse(argc, argv, &o);
	if (ret)
		return ret;
	hlen = (o.size + PF_HPAGE - 1) / PF_HPAGE * PF_HPAGE;
	fd = vl_open(O_RDONLY);
	if (fd < 0 || vl_info(fd, &info))
		return vx_error(VX_FAIL, "bench pf: /dev/vmlab: %s",
				strerror(fd < 0 ? -fd : errno));
	close(fd);
	if (info.store_size < 2 * o.size)
		return vx_error(VX_USAGE, "bench pf: the store (%llu bytes) must hold 2 x --size",
				(unsigned long long)info.store_size);
	if (info.has_backing) {
		if (diskfs_get(&disk, (off_t)(4 * o.size), why, sizeof(why)))
			return vx_error(VX_FAIL,
					"bench pf: backing= set, and no disk filesystem for the twin: %s",
					why);
		dp = &disk;
		snprintf(twin, sizeof(twin), "a file on %s (the store has a backing file)",
			 disk.what);
	} else {
		snprintf(twin, sizeof(twin), "a memfd (the store has no backing file)");
	}
	vl_meminfo_field("HugePages_Free", &hfree);
	/* Two threads' mappings at once, and vmlab's files may go a little later. */
	huge_ok = (size_t)hfree * PF_HPAGE >= 2 * hlen;
	pf_trace_find();
	pf_knob_set(&pf_thp, "never", thp_msg, sizeof(thp_msg));
	pf_knob_set(&pf_shmem_thp, "never", shmem_msg, sizeof(shmem_msg));
	if (!o.json)
		pf_print_header(&o, thp_msg, shmem_msg, twin, hlen);
	fflush(stdout);
	ret = VX_OK;
	for (i = 0; i < ARRAY_SIZE(pf_cases); i++) {
		const struct pf_case *c = &pf_cases[i];
		size_t len = o.size;

		if (o.only && strcmp(o.only, c->name))
			continue;
		if (c->kind == VMLAB_KIND_HUGE) {
			if (!huge_ok) {
				vx_note("bench pf: huge: skipped: %lld free huge pages, %zu needed",
					hfree, 2 * hlen / PF_HPAGE);
				continue;
			}
			len = hlen;
			pf_knob_set(&pf_thp, "madvise", thp_msg, sizeof(thp_msg));
			memset_mibs[0] = pf_memset_mibs(c, true, len);
			memset_mibs[1] = pf_memset_mibs(c, false, len);
		}
		if (c->access == PF_POPULATE)
			len = 2 * o.size;
		for (m = 0; m < PF_NR_MODES; m++) {
			struct pf_result *r = &res[nres];

			if (pf_case_mode(c, m, &o, len, dp, r)) {
				ret = VX_FAIL;
				continue;
			}
			memcpy(r->memset_mibs, memset_mibs, sizeof(memset_mibs));
			nres++;
			if (!o.json) {
				pf_print_row(r);
				fflush(stdout);
			}
		}
		if (c->kind == VMLAB_KIND_HUGE)
			pf_knob_set(&pf_thp, "never", thp_msg, sizeof(thp_msg));
	}
	/* Memory, with the store's range past what the cases used when it is big enough. */
	for (i = 0; i < ARRAY_SIZE(pf_cases); i++) {
		const struct pf_case *c = &pf_cases[i];
		size_t len = 2 * o.size;
		off_t off = info.store_size >= 4 * o.size ? (off_t)(info.store_size - len) : 0;

		if (c->share != MAP_SHARED || c->access != PF_WRITE ||
		    (o.only && strcmp(o.only, c->name)) || c->kind == VMLAB_KIND_HUGE)
			continue;
		mem[nmem].c = c;
		mem[nmem].pages = len / PF_PAGE;
		for (k = 0; k < 2; k++) {
			struct pf_mem *pm = &mem[nmem];

			if (!pf_mem_side(c, !k, len, off, dp, &pm->bytes[k], &pm->fresh[k]))
				continue;
			vx_error(VX_FAIL, "bench pf: memory: %s: %s", c->name, strerror(errno));
			pm->bytes[k] = -1;
			ret = VX_FAIL;
		}
		nmem++;
	}
	pf_knob_restore(&pf_thp);
	pf_knob_restore(&pf_shmem_thp);
	if (!o.json && nmem) {
		printf("memory: bytes of metadata per resident 4 KiB page, %zu KiB mapped\n"
		       "MAP_SHARED and written: growth of Slab + Percpu + PageTables + Cached,\n"
		       "less the pages the writes made resident (not resident before, by mincore)\n",
		       2 * o.size >> 10);
		for (k = 0; k < (size_t)nmem; k++)
			printf("%-12s memory %8.1f %8.1f  (new: vmlab %lu, native %lu of %lu)\n",
			       mem[k].c->name, mem[k].bytes[0], mem[k].bytes[1], mem[k].fresh[0],
			       mem[k].fresh[1], mem[k].pages);
	} else if (o.json) {
		vl_jw_init(&w, stdout);
		vl_jw_object(&w, NULL);
		vl_jw_uint(&w, "size", o.size);
		vl_jw_double(&w, "warmup", o.warmup);
		vl_jw_double(&w, "duration", o.duration);
		vl_jw_int(&w, "rounds", o.rounds);
		vl_jw_bool(&w, "has_backing", info.has_backing);
		vl_jw_string(&w, "shared_store_twin", twin);
		vl_jw_string(&w, "thp", thp_msg);
		vl_jw_string(&w, "shmem_thp", shmem_msg);
		vl_jw_string(&w, "mmap_lock_missing", pf_trace_why);
		vl_jw_array(&w, "results");
		for (k = 0; k < nres; k++)
			pf_json_result(&w, &res[k]);
		vl_jw_end(&w);
		vl_jw_array(&w, "memory");
		for (k = 0; k < (size_t)nmem; k++) {
			vl_jw_object(&w, NULL);
			vl_jw_string(&w, "case", mem[k].c->name);
			vl_jw_uint(&w, "pages", mem[k].pages);
			pf_json_pair(&w, "bytes_per_page", mem[k].bytes, true);
			vl_jw_uint(&w, "fresh_pages_vmlab", mem[k].fresh[0]);
			vl_jw_uint(&w, "fresh_pages_native", mem[k].fresh[1]);
			vl_jw_end(&w);
		}
		vl_jw_end(&w);
		vl_jw_end(&w);
		if (vl_jw_finish(&w))
			ret = VX_FAIL;
	}
	if (dp)
		diskfs_put(dp);
	return ret;
}
