// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: the store as a real page cache, and shared anonymous
 * objects as swap-backed memory (issue 12), each compared with its native
 * twin in the same guest:
 *
 *   faults      page-cache miss then hit: minor and major fault counts
 *               (getrusage) and page-cache misses (/proc/vmstat pgmajfault)
 *               for the same access pattern
 *   evict       eviction by drop_caches, POSIX_FADV_DONTNEED, MADV_PAGEOUT
 *               and a memory cgroup's memory.max; refault with intact data
 *   dirty       /proc/meminfo Dirty and kpageflags dirty when pages are
 *               dirtied; sync(2) cleans; the flusher cleans by itself
 *   range_sync  msync(MS_SYNC) of a range cleans that
 *               range only; fdatasync() cleans all
 *   throttle    a writer under a tiny dirty_bytes keeps Dirty bounded
 *   swap        shared anonymous pages go to swap under MADV_PAGEOUT and
 *               come back, with a major fault each
 *   locked      mlock / MAP_LOCKED pages stay under MADV_PAGEOUT,
 *               drop_caches and POSIX_FADV_DONTNEED
 *   memcg       a writer in a memory cgroup smaller than its mapping
 *               finishes without OOM
 *   checksum    64 MiB survive eviction, refault and rmmod/insmod
 *
 * The twin of the store is a file of the same size on ext4 on a loop device
 * (over a file of the guest's tmpfs /tmp); vmlab is reloaded for each test
 * with store_size=64M, with backing= a file on that same ext4, or with no
 * backing.  Without one the store is a tmpfs file, with no page cache of
 * its own to evict, read ahead, dirty or write back: faults, evict, dirty,
 * range_sync and throttle test the store with a backing file only, and
 * swap compares the store without one with a memfd, as it does a shared
 * anonymous object with MAP_SHARED|MAP_ANONYMOUS or a memfd.  Mappings of
 * both are 2 MiB aligned, at the same file offset, so that fault-around
 * windows line up.
 *
 * Needs root and the vm-run guest (VMLAB_KO, VMLAB_KMODDIR for the loop
 * and ext4 modules); the swap tests need a swap device (/proc/swaps) and
 * SKIP without one.  Every sysctl changed is restored, vmlab is loaded
 * again with no parameters, and the loop device is detached, in the
 * parent, after each test.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * -Wextra warns about the harness itself: its TEST() functions and signal
 * handler take parameters they do not use, and gcc cannot tell that a
 * local of its TEST_F() wrapper survives the setjmp() there.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmlab_ksft.h"

/*
 * One CPU for the whole program: a page the kernel just added to the page
 * cache waits in a per-CPU batch before it reaches the LRU, and
 * MADV_PAGEOUT drains only its own CPU's batch before it isolates pages;
 * faulting and paging out on one CPU treats vmlab and its twin alike.
 */
__attribute__((constructor)) static void one_cpu(void)
{
	vmlab_ksft_one_cpu();
}

#include "device.h"
#include "kmodule.h"
#include "pagemap.h"
#include "procfs.h"

#define LAB_DIR		"/tmp/vmlab-reclaim"
#define LAB_IMAGE	"/tmp/vmlab-reclaim.img"
#define LAB_IMAGE_SIZE	"192M"
#define LAB_CG		"/tmp/vmlab-reclaim-cg"
#define LAB_BACKING	LAB_DIR "/backing"
#define LAB_TWIN	LAB_DIR "/twin"
#define STORE_SIZE	(64UL << 20)
#define STORE_ARGS	"store_size=64M"
/* The block device default (VM_READAHEAD_PAGES), which the store's bdi has too. */
#define READ_AHEAD_KB	"128"

/* Alignment of every mapping compared: fault-around windows line up. */
#define MAP_ALIGN	(2UL << 20)

/*
 * Pages of other users of Dirty: ext4's own metadata on the twin's file
 * system (the inode's block when a write fault updates mtime, the blocks
 * jbd2's commit timer checkpoints) may be dirtied around our writes; they
 * are a few blocks.  Nothing else in the guest dirties accounted pages
 * (its /tmp is tmpfs, its root is read-only 9p).
 */
#define DIRTY_SLACK_KB	64

/* Liveness bounds: generous, not timing assertions. */
#define FLUSH_LIMIT_MS	30000
#define SETTLE_LIMIT_MS	10000

/* Per-CPU swap slot caches take and give back swap slots this many at a time. */
#define SWAP_SLOTS_BATCH	64

enum lab_kind {
	LAB_BACKED,	/* the store, backing= a file on the lab's ext4 */
	LAB_UNBACKED,	/* the store, no backing file */
	LAB_ANON,	/* shared anonymous objects; the default load of vmlab */
};

static const char *const kind_names[] = {
	[LAB_BACKED] = "store with backing file",
	[LAB_UNBACKED] = "store without backing file",
	[LAB_ANON] = "shared anonymous",
};

enum evict_means {
	BY_DROP_CACHES,
	BY_FADVISE,
	BY_PAGEOUT,
	BY_MEMCG,
};

static const char *const means_names[] = {
	[BY_DROP_CACHES] = "drop_caches",
	[BY_FADVISE] = "POSIX_FADV_DONTNEED",
	[BY_PAGEOUT] = "MADV_PAGEOUT",
	[BY_MEMCG] = "memory.max",
};

/*
 * What a test set up, in memory shared with the harness's parent (the
 * fixtures use FIXTURE_TEARDOWN_PARENT), so that lab_down() can undo it
 * even when the test died half-way.
 */
struct lab {
	enum lab_kind kind;
	bool reloaded;		/* vmlab was unloaded: load it with no parameters at the end */
	bool mounted;		/* the loop device and LAB_DIR are ours */
	bool cg;		/* LAB_CG is a cgroup2 mount of ours */
	char loopdev[32];
	int dev;		/* /dev/vmlab, the store */
	int twin;		/* LAB_TWIN */
	long long start_ms;
	pid_t test_pid;		/* the process the test runs in */
	unsigned int nsaved;
	struct {
		char name[48];
		char value[32];
	} saved[8];
};

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * The value of the line "KEY VALUE" or "KEY: VALUE ..." of a /proc file,
 * read into @buf (no allocation: callers measure page faults around it);
 * -1 when missing.
 */
static long long proc_value(char *buf, size_t size, const char *path, const char *key)
{
	size_t klen = strlen(key), got = 0;
	char *line;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	for (line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (!strncmp(line, key, klen) && (line[klen] == ':' || line[klen] == ' '))
			return strtoll(line + klen + 1, NULL, 10);
	return -1;
}

static char proc_buf[32768];

static long long vmstat_value(const char *key)
{
	return proc_value(proc_buf, sizeof(proc_buf), "/proc/vmstat", key);
}

static long long meminfo_kb(const char *key)
{
	return proc_value(proc_buf, sizeof(proc_buf), "/proc/meminfo", key);
}

/*
 * A node counter (Dirty, nr_dirtied, ...) made exact first: per-CPU
 * differences are folded into the global counters by vm.stat_refresh.
 */
static long long exact(struct __test_metadata *_metadata, bool meminfo, const char *key)
{
	long long v;
	int ret = vl_write_file("/proc/sys/vm/stat_refresh", "1");

	ASSERT_EQ(0, ret) {
		TH_LOG("vm.stat_refresh: %s", strerror(-ret));
	}
	v = meminfo ? meminfo_kb(key) : vmstat_value(key);
	ASSERT_LE(0, v) {
		TH_LOG("no %s in %s", key, meminfo ? "/proc/meminfo" : "/proc/vmstat");
	}
	return v;
}

/*
 * The data: each 64-bit word a function of a seed, the page's index in the
 * file and the word's index in the page.
 */
static uint64_t mix(uint64_t seed, uint64_t page, uint64_t word)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + (page << 12) + word + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill_page(void *p, uint64_t seed, uint64_t page)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < page_size() / 8; i++)
		w[i] = mix(seed, page, i);
}

/* Pages of @map (page @first of the file on) that do not hold their data. */
static size_t bad_pages(const char *map, size_t npages, uint64_t seed, uint64_t first)
{
	size_t ps = page_size(), i, j, bad = 0;

	for (i = 0; i < npages; i++) {
		const uint64_t *w = (const uint64_t *)(map + i * ps);

		/* Loads the compiler keeps: each is a touch of the mapping. */
		for (j = 0; j < ps / 8; j++)
			if (__atomic_load_n(&w[j], __ATOMIC_RELAXED) != mix(seed, first + i, j))
				break;
		bad += j < ps / 8;
	}
	return bad;
}

static void fill_pages(char *map, size_t npages, uint64_t seed, uint64_t first)
{
	size_t i;

	for (i = 0; i < npages; i++)
		fill_page(map + i * page_size(), seed, first + i);
}

/* A 64-bit FNV-style sum of the words of @len bytes. */
static uint64_t sum_words(const void *p, size_t len)
{
	const uint64_t *w = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len / 8; i++)
		h = (h ^ __atomic_load_n(&w[i], __ATOMIC_RELAXED)) * 0x100000001b3ULL;
	return h;
}

/* The sum that @npages pages of data of @seed from page @first on have. */
static uint64_t sum_pattern(size_t npages, uint64_t seed, uint64_t first)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i, j;

	for (i = 0; i < npages; i++)
		for (j = 0; j < page_size() / 8; j++)
			h = (h ^ mix(seed, first + i, j)) * 0x100000001b3ULL;
	return h;
}

/* Write @npages pages of data to @fd at @off with pwrite(2). */
static void write_pages(struct __test_metadata *_metadata, int fd, off_t off, size_t npages,
			uint64_t seed)
{
	size_t ps = page_size(), chunk = 64, i, n;
	char *buf = malloc(chunk * ps);

	ASSERT_NE(NULL, buf);
	for (i = 0; i < npages; i += n) {
		n = npages - i < chunk ? npages - i : chunk;
		fill_pages(buf, n, seed, off / ps + i);
		ASSERT_EQ((ssize_t)(n * ps), pwrite(fd, buf, n * ps, off + i * ps)) {
			TH_LOG("pwrite at 0x%llx: %s", (unsigned long long)(off + i * ps),
			       strerror(errno));
		}
	}
	free(buf);
}

/* Pages of the file @fd at @off that pread(2) shows not holding their data. */
static size_t bad_file_pages(struct __test_metadata *_metadata, int fd, off_t off,
			     size_t npages, uint64_t seed)
{
	size_t ps = page_size(), i, bad = 0;
	char *buf = malloc(ps);

	ASSERT_NE(NULL, buf);
	for (i = 0; i < npages; i++) {
		ASSERT_EQ((ssize_t)ps, pread(fd, buf, ps, off + i * ps));
		bad += bad_pages(buf, 1, seed, off / ps + i);
	}
	free(buf);
	return bad;
}

/* mmap(2) at a MAP_ALIGN boundary. */
static char *map_aligned(struct __test_metadata *_metadata, int fd, size_t len, int prot,
			 int flags, off_t off)
{
	size_t span = len + MAP_ALIGN;
	char *res, *at, *p;

	res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	at = (char *)(((uintptr_t)res + MAP_ALIGN - 1) & ~(MAP_ALIGN - 1));
	p = mmap(at, len, prot, flags | MAP_FIXED, fd, off);
	ASSERT_EQ(at, p) {
		TH_LOG("mmap of %zu bytes at offset 0x%llx: %s", len, (unsigned long long)off,
		       strerror(errno));
	}
	if (at > res)
		munmap(res, at - res);
	if (res + span > at + len)
		munmap(at + len, res + span - (at + len));
	return p;
}

/* mincore(2) of @npages pages into @vec (0 or 1 each): how many are resident. */
static size_t resident(struct __test_metadata *_metadata, const void *map, size_t npages,
		       unsigned char *vec)
{
	size_t i, n = 0;

	ASSERT_EQ(0, mincore((void *)map, npages * page_size(), vec)) {
		TH_LOG("mincore: %s", strerror(errno));
	}
	for (i = 0; i < npages; i++) {
		vec[i] &= 1;
		n += vec[i];
	}
	return n;
}

/* @v as runs, e.g. "1x16 0x48": what a failure prints. */
static const char *runs(char *buf, size_t len, const unsigned char *v, size_t n)
{
	size_t i = 0, j, used = 0;

	buf[0] = '\0';
	while (i < n && used + 24 < len) {
		for (j = i; j < n && v[j] == v[i]; j++)
			;
		used += snprintf(buf + used, len - used, "%s%ux%zu", i ? " " : "", v[i], j - i);
		i = j;
	}
	if (i < n)
		snprintf(buf + used, len - used, " ...");
	return buf;
}

/* Compare two 0/1 vectors of @n pages; log both as runs when they differ. */
static bool same_vec(struct __test_metadata *_metadata, const char *what,
		     const unsigned char *vm, const unsigned char *tw, size_t n)
{
	char a[512], b[512];

	if (!memcmp(vm, tw, n))
		return true;
	TH_LOG("%s differ: vmlab %s", what, runs(a, sizeof(a), vm, n));
	TH_LOG("%s differ: twin  %s", what, runs(b, sizeof(b), tw, n));
	return false;
}

/*
 * The pagemap entry and kpageflags word of each page of a mapping (0 for
 * a page that is not present), and 0/1 vectors of one kpageflags bit.
 */
static void page_states(struct __test_metadata *_metadata, const void *map, size_t npages,
			uint64_t *pm, uint64_t *kpf)
{
	struct vl_pm d;
	int fd, kfd, ret;
	size_t i;

	fd = vl_pagemap_open(0);
	ASSERT_LE(0, fd);
	ret = vl_pagemap_read(fd, (unsigned long)map, npages, pm);
	close(fd);
	ASSERT_EQ(0, ret) {
		TH_LOG("pagemap: %s", strerror(-ret));
	}
	kfd = vl_kpageflags_open();
	ASSERT_LE(0, kfd);
	for (i = 0; i < npages; i++) {
		kpf[i] = 0;
		d = vl_pm_decode(pm[i]);
		if (!d.present || !d.pfn)
			continue;
		ret = vl_kpageflags_read(kfd, d.pfn, 1, &kpf[i]);
		ASSERT_EQ(0, ret) {
			TH_LOG("kpageflags of pfn 0x%llx: %s", (unsigned long long)d.pfn,
			       strerror(-ret));
		}
	}
	close(kfd);
}

/* 0/1 vector of kpageflags bit @bit; returns how many are set. */
static size_t kpf_bits(const uint64_t *kpf, size_t n, unsigned int bit, unsigned char *vec)
{
	size_t i, set = 0;

	for (i = 0; i < n; i++) {
		vec[i] = (kpf[i] >> bit) & 1;
		set += vec[i];
	}
	return set;
}

/* The dirty bit (kpageflags) of each page of a mapping; how many are dirty. */
static size_t dirty_vec(struct __test_metadata *_metadata, const void *map, size_t npages,
			unsigned char *vec)
{
	uint64_t *pm = calloc(npages, 8), *kpf = calloc(npages, 8);
	size_t n;

	ASSERT_TRUE(pm && kpf);
	page_states(_metadata, map, npages, pm, kpf);
	n = kpf_bits(kpf, npages, VL_KPF_DIRTY, vec);
	free(pm);
	free(kpf);
	return n;
}

/* What touching a mapping cost: getrusage deltas, and page-cache misses. */
struct pass {
	long maj;		/* ru_majflt */
	long min;		/* ru_minflt */
	long long misses;	/* /proc/vmstat pgmajfault: faults that found no page */
	size_t bad;		/* pages whose first word was not the data's */
};

/*
 * Read the first word of every @stride-th page of @npages pages of @map.
 * Nothing else faults between the two getrusage() calls: the data is
 * computed, not loaded, and /proc/vmstat is read outside them.
 */
static struct pass touch_pass(const char *map, size_t npages, size_t stride, uint64_t seed,
			      uint64_t first)
{
	struct rusage r0, r1;
	struct pass p = { 0 };
	size_t ps = page_size(), i;
	long long m0, m1;

	m0 = vmstat_value("pgmajfault");
	getrusage(RUSAGE_SELF, &r0);
	for (i = 0; i < npages; i += stride)
		p.bad += __atomic_load_n((const uint64_t *)(map + i * ps), __ATOMIC_RELAXED) !=
			 mix(seed, first + i, 0);
	getrusage(RUSAGE_SELF, &r1);
	m1 = vmstat_value("pgmajfault");
	p.maj = r1.ru_majflt - r0.ru_majflt;
	p.min = r1.ru_minflt - r0.ru_minflt;
	p.misses = m0 < 0 || m1 < 0 ? -1 : m1 - m0;
	return p;
}

static void log_pass(struct __test_metadata *_metadata, const char *what, const struct pass *v,
		     const struct pass *t)
{
	TH_LOG("%s: vmlab majflt %ld minflt %ld misses %lld bad %zu",
	       what, v->maj, v->min, v->misses, v->bad);
	TH_LOG("twin majflt %ld minflt %ld misses %lld bad %zu", t->maj, t->min, t->misses, t->bad);
}

/* ---- the lab: ext4 on a loop device, vmlab reloaded, sysctls, cgroups ---- */

static void lab_init(struct lab *lab, enum lab_kind kind)
{
	memset(lab, 0, sizeof(*lab));
	lab->kind = kind;
	lab->dev = -1;
	lab->twin = -1;
	lab->start_ms = now_ms();
	lab->test_pid = getpid();
}

/* FIXTURE_SETUP: what every test needs; false when skipped. */
static bool lab_check(struct __test_metadata *_metadata, struct lab *lab, enum lab_kind kind)
{
	const char *ko = getenv("VMLAB_KO");

	lab_init(lab, kind);
	if (geteuid())
		SKIP(return false, "needs root");
	if (!vl_module_loaded())
		SKIP(return false, "vmlab is not loaded");
	if (kind != LAB_ANON && (!ko || !*ko))
		SKIP(return false, "VMLAB_KO unset: vmlab is reloaded only in the vm-run guests");
	if (!vl_have_pfns())
		SKIP(return false, "pagemap shows no PFNs");
	return true;
}

/* Save sysctl vm.@name for lab_down(), once. */
static void lab_sysctl_save(struct __test_metadata *_metadata, struct lab *lab, const char *name)
{
	char path[96], buf[sizeof(lab->saved[0].value)];
	unsigned int i;
	ssize_t n;
	int fd;

	for (i = 0; i < lab->nsaved; i++)
		if (!strcmp(lab->saved[i].name, name))
			return;
	ASSERT_GT(ARRAY_SIZE(lab->saved), lab->nsaved);
	snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd) {
		TH_LOG("%s: %s", path, strerror(errno));
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(lab->saved[lab->nsaved].name, sizeof(lab->saved[0].name), "%s", name);
	snprintf(lab->saved[lab->nsaved].value, sizeof(lab->saved[0].value), "%s", buf);
	lab->nsaved++;
}

/* Set sysctl vm.@name to @value until lab_down(). */
static void lab_sysctl(struct __test_metadata *_metadata, struct lab *lab, const char *name,
		       const char *value)
{
	char path[96];
	int ret;

	lab_sysctl_save(_metadata, lab, name);
	snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
	ret = vl_write_file(path, value);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s = %s: %s", path, value, strerror(-ret));
	}
}

static void lab_mount(struct __test_metadata *_metadata, struct lab *lab)
{
	ASSERT_EQ(0, mount(lab->loopdev, LAB_DIR, "ext4", 0, NULL)) {
		TH_LOG("mount %s on %s: %s", lab->loopdev, LAB_DIR, strerror(errno));
	}
}

static void lab_load(struct __test_metadata *_metadata, struct lab *lab)
{
	const char *args = lab->kind == LAB_BACKED ? "backing=" LAB_BACKING " " STORE_ARGS :
						     STORE_ARGS;
	struct vmlab_info info;
	int ret;

	ret = vl_module_load(args);
	ASSERT_EQ(0, ret) {
		TH_LOG("insmod vmlab %s: %s", args, strerror(-ret));
	}
	lab->dev = vl_open(O_RDWR);
	ASSERT_LE(0, lab->dev);
	ASSERT_EQ(0, vl_info(lab->dev, &info));
	ASSERT_EQ(STORE_SIZE, info.store_size);
	ASSERT_EQ(lab->kind == LAB_BACKED, (bool)info.has_backing);
}

static void lab_unload(struct __test_metadata *_metadata, struct lab *lab)
{
	int ret;

	if (lab->dev >= 0)
		close(lab->dev);
	lab->dev = -1;
	ret = vl_module_unload(5000);
	ASSERT_EQ(0, ret) {
		TH_LOG("rmmod vmlab: %s", strerror(-ret));
	}
}

/*
 * In the test: ext4 on a loop device at LAB_DIR with the twin file on it,
 * and, for the store kinds, vmlab reloaded with a 64 MiB store (backed by
 * LAB_BACKING or not).  False when the test is skipped.
 */
static bool lab_up(struct __test_metadata *_metadata, struct lab *lab)
{
	const char *kmoddir = getenv("VMLAB_KMODDIR");
	char path[128], *nl;
	static const char tools[] =
		"for c in mkfs.ext4 losetup fallocate; do command -v $c||exit 1; done >/dev/null";
	FILE *f;
	int ret;

	if (vmlab_ksft_run("%s", tools))
		SKIP(return false, "no mkfs.ext4, losetup or fallocate here");
	if (vmlab_ksft_run("grep -qw ext4 /proc/filesystems && test -e /dev/loop-control")) {
		if (!kmoddir || access(kmoddir, F_OK))
			SKIP(return false, "no ext4 or loop, and no modules to load");
		if (vmlab_ksft_run("modprobe -q -d '%s' -a loop ext4", kmoddir))
			SKIP(return false, "no ext4 or loop, built in or as a module");
	}
	/* What a run that died left behind. */
	umount2(LAB_DIR, MNT_DETACH);
	vmlab_ksft_run("losetup -j %s | cut -d: -f1 | xargs -r -n 1 losetup -d", LAB_IMAGE);
	ASSERT_TRUE(mkdir(LAB_DIR, 0700) == 0 || errno == EEXIST);
	lab->mounted = true;
	ASSERT_EQ(0, vmlab_ksft_run("truncate -s %s %s && mkfs.ext4 -q -F -E nodiscard %s",
				    LAB_IMAGE_SIZE, LAB_IMAGE, LAB_IMAGE));
	f = popen("losetup --find --show " LAB_IMAGE, "r");
	ASSERT_NE(NULL, f);
	if (!fgets(lab->loopdev, sizeof(lab->loopdev), f))
		lab->loopdev[0] = '\0';
	ASSERT_EQ(0, pclose(f));
	nl = strchr(lab->loopdev, '\n');
	if (nl)
		*nl = '\0';
	ASSERT_EQ(0, strncmp(lab->loopdev, "/dev/loop", 9)) {
		TH_LOG("losetup said '%s'", lab->loopdev);
	}
	/* The twin reads ahead as much as the store does. */
	snprintf(path, sizeof(path), "/sys/block/%s/queue/read_ahead_kb", lab->loopdev + 5);
	ret = vl_write_file(path, READ_AHEAD_KB);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s: %s", path, strerror(-ret));
	}
	lab_mount(_metadata, lab);
	TH_LOG("vmlab: %s; twin: %s on ext4 on %s", kind_names[lab->kind], LAB_TWIN,
	       lab->loopdev);
	lab->twin = open(LAB_TWIN, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, lab->twin);
	ASSERT_EQ(0, ftruncate(lab->twin, STORE_SIZE));
	if (lab->kind == LAB_ANON)
		return true;
	lab->reloaded = true;
	lab_unload(_metadata, lab);
	lab_load(_metadata, lab);
	return true;
}

/* The cgroup2 hierarchy at LAB_CG; a child @name with memory.max @max, no swap. */
static bool lab_memcg(struct __test_metadata *_metadata, struct lab *lab, const char *name,
		      size_t max, char *dir, size_t dirlen)
{
	char path[160], val[32];
	int ret;

	if (!lab->cg) {
		/*
		 * The loop device's image wholly allocated in tmpfs, by us: the
		 * loop device's writes charge the memory cgroup of their I/O (a
		 * test's small one) for the tmpfs pages they allocate, which
		 * nothing could reclaim.
		 */
		if (lab->mounted)
			ASSERT_EQ(0, vmlab_ksft_run("fallocate -l %s %s", LAB_IMAGE_SIZE,
						    LAB_IMAGE));
		ASSERT_TRUE(mkdir(LAB_CG, 0755) == 0 || errno == EEXIST);
		if (mount("none", LAB_CG, "cgroup2", 0, NULL)) {
			rmdir(LAB_CG);
			SKIP(return false, "no cgroup2: %s", strerror(errno));
		}
		lab->cg = true;
		if (vl_write_file(LAB_CG "/cgroup.subtree_control", "+memory"))
			SKIP(return false, "no memory controller in this kernel");
		/*
		 * Writeback of a cgroup's dirty pages by the cgroup (its own
		 * dirty limits) needs the io controller as well, as systemd
		 * enables them; without it a cgroup fills up with dirty pages
		 * that only the global limits hold back.
		 */
		if (vl_write_file(LAB_CG "/cgroup.subtree_control", "+io"))
			TH_LOG("no io controller: no cgroup writeback");
	}
	snprintf(dir, dirlen, "%s/%s", LAB_CG, name);
	ASSERT_TRUE(mkdir(dir, 0755) == 0 || errno == EEXIST);
	snprintf(path, sizeof(path), "%s/memory.max", dir);
	snprintf(val, sizeof(val), "%zu", max);
	ret = vl_write_file(path, val);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s: %s", path, strerror(-ret));
	}
	/* Absent without swap accounting: nothing to turn off then. */
	snprintf(path, sizeof(path), "%s/memory.swap.max", dir);
	if (!access(path, F_OK))
		ASSERT_EQ(0, vl_write_file(path, "0"));
	return true;
}

static long long cg_value(const char *dir, const char *file, const char *key)
{
	char path[160], buf[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (!key) {
		int fd = open(path, O_RDONLY);
		ssize_t n;

		if (fd < 0)
			return -1;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -1;
		buf[n] = '\0';
		return strtoll(buf, NULL, 10);
	}
	return proc_value(buf, sizeof(buf), path, key);
}

/* Exit status of a child that joins cgroup @dir and runs @fn; 128 + N when killed by signal N. */
static int in_memcg(const char *dir, int (*fn)(void *), void *arg)
{
	char path[160];
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
		if (vl_write_file(path, "0"))
			_exit(119);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Unmap every mapping and close every file of this process that names
 * vmlab or the lab (the store, shared anonymous objects, the twin).
 */
static void lab_release_self(void)
{
	unsigned long start[64], end[64];
	char line[512], target[256];
	unsigned int n = 0, i;
	struct dirent *d;
	ssize_t len;
	FILE *f;
	DIR *dir;

	f = fopen("/proc/self/maps", "r");
	while (f && n < 64 && fgets(line, sizeof(line), f))
		if (strstr(line, "vmlab") && sscanf(line, "%lx-%lx", &start[n], &end[n]) == 2)
			n++;
	if (f)
		fclose(f);
	for (i = 0; i < n; i++)
		munmap((void *)start[i], end[i] - start[i]);
	dir = opendir("/proc/self/fd");
	while (dir && (d = readdir(dir))) {
		len = readlinkat(dirfd(dir), d->d_name, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strstr(target, "vmlab"))
			close(atoi(d->d_name));
	}
	if (dir)
		closedir(dir);
}

/* FIXTURE_TEARDOWN_PARENT: undo what lab_up(), lab_sysctl() and lab_memcg() did. */
static void lab_down(struct __test_metadata *_metadata, struct lab *lab)
{
	char path[128];
	int ret, i;

	/*
	 * When an ASSERT ends the test, the harness's longjmp() back into its
	 * wrapper restores the wrapper's "child" variable as it was before the
	 * fork, and the test's own process runs this "parent" teardown, still
	 * holding the device and its mappings: let them go first.
	 */
	if (getpid() == lab->test_pid)
		lab_release_self();

	for (i = (int)lab->nsaved - 1; i >= 0; i--) {
		const char *name = lab->saved[i].name, *value = lab->saved[i].value;

		/* dirty_bytes 0 is no value to write: restoring dirty_ratio clears it. */
		if (!strcmp(value, "0") && strstr(name, "_bytes"))
			continue;
		snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
		ret = vl_write_file(path, value);
		if (ret)
			TH_LOG("restoring %s = %s: %s", path, value, strerror(-ret));
		EXPECT_EQ(0, ret);
	}
	if (lab->reloaded && vl_module_loaded()) {
		ret = vl_module_unload(30000);
		if (ret)
			TH_LOG("rmmod vmlab: %s", strerror(-ret));
		EXPECT_EQ(0, ret);
	}
	if (lab->mounted) {
		if (umount2(LAB_DIR, 0) && errno != EINVAL && errno != ENOENT) {
			TH_LOG("umount %s: %s", LAB_DIR, strerror(errno));
			umount2(LAB_DIR, MNT_DETACH);
		}
		if (lab->loopdev[0])
			vmlab_ksft_run("losetup -d %s", lab->loopdev);
		unlink(LAB_IMAGE);
		rmdir(LAB_DIR);
	}
	if (lab->cg) {
		rmdir(LAB_CG "/vmlab");
		rmdir(LAB_CG "/twin");
		umount2(LAB_CG, MNT_DETACH);
		rmdir(LAB_CG);
	}
	if (lab->reloaded && !vl_module_loaded()) {
		ret = vl_module_load("");
		if (ret)
			TH_LOG("insmod %s: %s", getenv("VMLAB_KO"), strerror(-ret));
		EXPECT_EQ(0, ret);
	}
	TH_LOG("%.1f s", (now_ms() - lab->start_ms) / 1000.0);
}

/* Both files written with @npages pages of data at @off, and clean. */
static void fill_both(struct __test_metadata *_metadata, struct lab *lab, off_t off,
		      size_t npages, uint64_t seed)
{
	write_pages(_metadata, lab->dev, off, npages, seed);
	write_pages(_metadata, lab->twin, off, npages, seed);
	ASSERT_EQ(0, fsync(lab->dev)) {
		TH_LOG("fsync of the store: %s", strerror(errno));
	}
	ASSERT_EQ(0, fsync(lab->twin));
}

/*
 * Everything of the lab clean, without sync(2): sync(2) wakes every
 * flusher to write everything back before its own synchronous pass, and a
 * flusher that gets to run only after sync(2) returned (seen on 6.12-rt)
 * writes back pages dirtied since.  fsync of the store, syncfs of the
 * twin's file system (the twin, the backing file, ext4's metadata) wait
 * for their own work only.
 */
static void quiesce(struct __test_metadata *_metadata, struct lab *lab)
{
	if (lab->dev >= 0)
		ASSERT_EQ(0, fsync(lab->dev));
	ASSERT_EQ(0, syncfs(lab->twin));
}

/*
 * No write-back but what the test asks for: the periodic flusher off.  Not
 * by dirty_writeback_centisecs 0, with which the first page dirtied in an
 * inode wakes its flusher at once (wb_wakeup_delayed() by 0 jiffies), but
 * by an interval and an expiry of an hour.
 */
static void flusher_off(struct __test_metadata *_metadata, struct lab *lab)
{
	lab_sysctl(_metadata, lab, "dirty_expire_centisecs", "360000");
	lab_sysctl(_metadata, lab, "dirty_writeback_centisecs", "360000");
}

/*
 * Wait until the mincore vectors of both mappings are equal (read-ahead
 * still in flight has landed), or SETTLE_LIMIT_MS: a liveness bound.
 */
static bool settle_same(struct __test_metadata *_metadata, const char *vm, const char *tw,
			size_t npages, unsigned char *vv, unsigned char *tv)
{
	long long start = now_ms();

	for (;;) {
		resident(_metadata, vm, npages, vv);
		resident(_metadata, tw, npages, tv);
		if (!memcmp(vv, tv, npages) || now_ms() - start > SETTLE_LIMIT_MS)
			break;
		usleep(50 * 1000);
	}
	return same_vec(_metadata, "resident pages (mincore)", vv, tv, npages);
}

/*
 * ---- faults: page-cache miss, then hit ----
 *
 * The same range of the store and of the twin, written and made clean,
 * evicted with POSIX_FADV_DONTNEED (nothing of it resident, by mincore),
 * is read through a fresh mapping (the miss pass), then through another
 * fresh mapping (the hit pass), in the same pattern.
 *
 * Exactly equal, in every variant: page-cache misses (/proc/vmstat
 * pgmajfault counts a fault that found no page, and readahead inserts its
 * pages when it submits their reads, so which touches miss depends on the
 * read-around and readahead windows only, not on I/O timing), and every
 * count of the hit pass (all pages of the pattern are up to date then).
 *
 * Exactly equal also for ru_majflt and ru_minflt of the miss pass where
 * these are timing-free: "sparse" touches one page in 64, farther apart
 * than the 32-page read-around window, so each touch is one miss (one
 * major fault) and nothing else; "random" (MADV_RANDOM) reads no page
 * ahead, so each touch is a miss and a synchronous read.  In "sequential",
 * a fault that finds a page still being read waits for it and is retried,
 * and counts as major, and fault-around skips pages not yet up to date:
 * ru_majflt and ru_minflt depend on when the reads complete (the loop
 * device's worker, vmlab's read of its backing file), so only what is
 * exactly true is asserted: misses equal, and ru_majflt >= misses on both.
 */
#define FAULTS_PAGES	1024
#define FAULTS_OFF	(8UL << 20)

FIXTURE(faults)
{
	struct lab lab;
};

FIXTURE_VARIANT(faults)
{
	enum lab_kind kind;
	size_t stride;
	int advice;
	bool exact;	/* ru_majflt and ru_minflt of the miss pass are timing-free */
};

FIXTURE_VARIANT_ADD(faults, backed_sequential)
{
	.kind = LAB_BACKED, .stride = 1, .advice = MADV_NORMAL,
};

FIXTURE_VARIANT_ADD(faults, backed_sparse)
{
	.kind = LAB_BACKED, .stride = 64, .advice = MADV_NORMAL, .exact = true,
};

FIXTURE_VARIANT_ADD(faults, backed_random)
{
	.kind = LAB_BACKED, .stride = 1, .advice = MADV_RANDOM, .exact = true,
};

FIXTURE_SETUP(faults)
{
	lab_check(_metadata, &self->lab, variant->kind);
}

FIXTURE_TEARDOWN_PARENT(faults)
{
	lab_down(_metadata, &self->lab);
}

TEST_F_TIMEOUT(faults, miss_then_hit, 300)
{
	size_t ps = page_size(), n = FAULTS_PAGES, len = n * ps, rv, rt;
	uint64_t seed = 0xfa0175, first = FAULTS_OFF / ps;
	unsigned char *vv = malloc(n), *tv = malloc(n);
	struct lab *lab = &self->lab;
	struct pass v, t;
	char *vm, *tw;

	ASSERT_TRUE(vv && tv);
	if (!lab_up(_metadata, lab))
		return;
	fill_both(_metadata, lab, FAULTS_OFF, n, seed);
	ASSERT_EQ(0, posix_fadvise(lab->dev, FAULTS_OFF, len, POSIX_FADV_DONTNEED));
	ASSERT_EQ(0, posix_fadvise(lab->twin, FAULTS_OFF, len, POSIX_FADV_DONTNEED));
	vm = map_aligned(_metadata, lab->dev, len, PROT_READ, MAP_SHARED, FAULTS_OFF);
	tw = map_aligned(_metadata, lab->twin, len, PROT_READ, MAP_SHARED, FAULTS_OFF);
	ASSERT_EQ(0, madvise(vm, len, variant->advice));
	ASSERT_EQ(0, madvise(tw, len, variant->advice));
	rv = resident(_metadata, vm, n, vv);
	rt = resident(_metadata, tw, n, tv);
	ASSERT_EQ((size_t)0, rt);
	ASSERT_EQ((size_t)0, rv) {
		TH_LOG("POSIX_FADV_DONTNEED left %zu of %zu clean store pages resident", rv, n);
	}

	v = touch_pass(vm, n, variant->stride, seed, first);
	t = touch_pass(tw, n, variant->stride, seed, first);
	log_pass(_metadata, "miss pass", &v, &t);
	EXPECT_EQ((size_t)0, v.bad);
	EXPECT_EQ((size_t)0, t.bad);
	ASSERT_LE(0, v.misses);
	ASSERT_LE(0, t.misses);
	EXPECT_EQ(t.misses, v.misses);
	EXPECT_LT(0L, v.maj);
	if (variant->exact) {
		EXPECT_EQ(t.maj, v.maj);
		EXPECT_EQ(t.min, v.min);
	} else {
		EXPECT_LE(v.misses, (long long)v.maj);
		EXPECT_LE(t.misses, (long long)t.maj);
	}

	/* The same pages cached (once read-ahead in flight has landed). */
	settle_same(_metadata, vm, tw, n, vv, tv);
	TH_LOG("resident after the miss pass: vmlab %zu, twin %zu of %zu",
	       resident(_metadata, vm, n, vv), resident(_metadata, tw, n, tv), n);

	munmap(vm, len);
	munmap(tw, len);
	vm = map_aligned(_metadata, lab->dev, len, PROT_READ, MAP_SHARED, FAULTS_OFF);
	tw = map_aligned(_metadata, lab->twin, len, PROT_READ, MAP_SHARED, FAULTS_OFF);
	ASSERT_EQ(0, madvise(vm, len, variant->advice));
	ASSERT_EQ(0, madvise(tw, len, variant->advice));
	v = touch_pass(vm, n, variant->stride, seed, first);
	t = touch_pass(tw, n, variant->stride, seed, first);
	log_pass(_metadata, "hit pass", &v, &t);
	EXPECT_EQ((size_t)0, v.bad);
	EXPECT_EQ(0LL, v.misses);
	EXPECT_EQ(t.maj, v.maj);
	EXPECT_EQ(t.min, v.min);

	EXPECT_EQ((size_t)0, bad_pages(vm, n, seed, first));
	EXPECT_EQ((size_t)0, bad_pages(tw, n, seed, first));
	munmap(vm, len);
	munmap(tw, len);
	free(vv);
	free(tv);
}

/*
 * ---- evict: four means of eviction, then refault ----
 *
 * Clean pages, read through a mapping, are evicted: by drop_caches and
 * POSIX_FADV_DONTNEED once unmapped (both leave mapped pages alone), by
 * MADV_PAGEOUT while mapped, and by the memory cgroup of a child that
 * reads 32 MiB under a memory.max of 8 MiB.  What stays resident is the
 * same on both (exactly, for the first three; under memory.max reclaim's
 * choice of pages is its own, so what is asserted is what is true of
 * both: fewer pages resident than read, at most memory.max of them, no
 * OOM kill).  The refault is a major fault, with the data intact, and
 * misses as many pages as the twin's (not for memory.max, whose residue
 * differs).
 */
#define EVICT_PAGES	1024
#define EVICT_CG_PAGES	8192
#define EVICT_CG_MAX	(8UL << 20)
#define EVICT_OFF	(16UL << 20)

FIXTURE(evict)
{
	struct lab lab;
};

FIXTURE_VARIANT(evict)
{
	enum lab_kind kind;
	enum evict_means means;
};

FIXTURE_VARIANT_ADD(evict, backed_drop_caches)
{
	.kind = LAB_BACKED, .means = BY_DROP_CACHES,
};

FIXTURE_VARIANT_ADD(evict, backed_fadvise)
{
	.kind = LAB_BACKED, .means = BY_FADVISE,
};

FIXTURE_VARIANT_ADD(evict, backed_pageout)
{
	.kind = LAB_BACKED, .means = BY_PAGEOUT,
};

FIXTURE_VARIANT_ADD(evict, backed_memcg)
{
	.kind = LAB_BACKED, .means = BY_MEMCG,
};

FIXTURE_SETUP(evict)
{
	lab_check(_metadata, &self->lab, variant->kind);
}

FIXTURE_TEARDOWN_PARENT(evict)
{
	lab_down(_metadata, &self->lab);
}

/* What a child reading a mapping under memory.max reads. */
struct reader_job {
	const char *map;
	size_t npages;
	uint64_t seed, first;
};

static int reader_child(void *arg)
{
	struct reader_job *j = arg;
	size_t bad = bad_pages(j->map, j->npages, j->seed, j->first);

	return bad > 100 ? 100 : (int)bad;
}

struct cg_result {
	int status;
	long long peak, oom_kills;
};

static struct cg_result run_in_memcg(const char *dir, int (*fn)(void *), void *arg)
{
	struct cg_result r;

	r.status = in_memcg(dir, fn, arg);
	r.peak = cg_value(dir, "memory.peak", NULL);
	if (r.peak < 0)
		r.peak = cg_value(dir, "memory.current", NULL);
	r.oom_kills = cg_value(dir, "memory.events", "oom_kill");
	return r;
}

TEST_F_TIMEOUT(evict, refault_intact, 300)
{
	size_t ps = page_size(), n, len, rv, rt, max = EVICT_CG_MAX;
	uint64_t seed = 0xe71c7, first = EVICT_OFF / ps;
	const char *how = means_names[variant->means];
	struct lab *lab = &self->lab;
	char dv[160], dt[160];
	unsigned char *vv, *tv;
	struct reader_job jv, jt;
	struct cg_result cv, ct;
	int retv, rett, errv, errt;
	struct pass v, t;
	char *vm, *tw;

	n = variant->means == BY_MEMCG ? EVICT_CG_PAGES : EVICT_PAGES;
	len = n * ps;
	vv = malloc(n);
	tv = malloc(n);
	ASSERT_TRUE(vv && tv);
	if (!lab_up(_metadata, lab))
		return;
	fill_both(_metadata, lab, EVICT_OFF, n, seed);
	vm = map_aligned(_metadata, lab->dev, len, PROT_READ, MAP_SHARED, EVICT_OFF);
	tw = map_aligned(_metadata, lab->twin, len, PROT_READ, MAP_SHARED, EVICT_OFF);

	switch (variant->means) {
	case BY_DROP_CACHES:
	case BY_FADVISE:
		ASSERT_EQ((size_t)0, bad_pages(vm, n, seed, first));
		ASSERT_EQ((size_t)0, bad_pages(tw, n, seed, first));
		munmap(vm, len);
		munmap(tw, len);
		if (variant->means == BY_DROP_CACHES) {
			ASSERT_EQ(0, vl_write_file("/proc/sys/vm/drop_caches", "1"));
		} else {
			ASSERT_EQ(0, posix_fadvise(lab->dev, EVICT_OFF, len, POSIX_FADV_DONTNEED));
			ASSERT_EQ(0, posix_fadvise(lab->twin, EVICT_OFF, len, POSIX_FADV_DONTNEED));
		}
		vm = map_aligned(_metadata, lab->dev, len, PROT_READ, MAP_SHARED, EVICT_OFF);
		tw = map_aligned(_metadata, lab->twin, len, PROT_READ, MAP_SHARED, EVICT_OFF);
		break;
	case BY_PAGEOUT:
		ASSERT_EQ((size_t)0, bad_pages(vm, n, seed, first));
		ASSERT_EQ((size_t)0, bad_pages(tw, n, seed, first));
		errno = 0;
		retv = madvise(vm, len, MADV_PAGEOUT);
		errv = errno;
		errno = 0;
		rett = madvise(tw, len, MADV_PAGEOUT);
		errt = errno;
		EXPECT_EQ(rett, retv);
		EXPECT_EQ(errt, errv) {
			TH_LOG("MADV_PAGEOUT: vmlab %s, twin %s", strerror(errv), strerror(errt));
		}
		break;
	case BY_MEMCG:
		/* Evicted first, so that the child's faults bring the pages in and are charged. */
		ASSERT_EQ(0, posix_fadvise(lab->dev, EVICT_OFF, len, POSIX_FADV_DONTNEED));
		ASSERT_EQ(0, posix_fadvise(lab->twin, EVICT_OFF, len, POSIX_FADV_DONTNEED));
		rv = resident(_metadata, vm, n, vv);
		rt = resident(_metadata, tw, n, tv);
		ASSERT_EQ((size_t)0, rt);
		ASSERT_EQ((size_t)0, rv) {
			TH_LOG("POSIX_FADV_DONTNEED left %zu of %zu clean pages resident",
			       rv, n);
		}
		if (!lab_memcg(_metadata, lab, "vmlab", max, dv, sizeof(dv)) ||
		    !lab_memcg(_metadata, lab, "twin", max, dt, sizeof(dt)))
			return;
		jv = (struct reader_job){ .map = vm, .npages = n, .seed = seed, .first = first };
		jt = (struct reader_job){ .map = tw, .npages = n, .seed = seed, .first = first };
		cv = run_in_memcg(dv, reader_child, &jv);
		ct = run_in_memcg(dt, reader_child, &jt);
		TH_LOG("reading %zu MiB under memory.max %zu MiB", len >> 20, max >> 20);
		TH_LOG("vmlab: status %d peak %lld oom_kill %lld",
		       cv.status, cv.peak, cv.oom_kills);
		TH_LOG("twin:  status %d peak %lld oom_kill %lld",
		       ct.status, ct.peak, ct.oom_kills);
		EXPECT_EQ(0, ct.status);
		EXPECT_EQ(0, cv.status);
		EXPECT_EQ(0LL, ct.oom_kills);
		EXPECT_EQ(0LL, cv.oom_kills);
		EXPECT_GE((long long)max, ct.peak);
		EXPECT_GE((long long)max, cv.peak);
		break;
	}

	rv = resident(_metadata, vm, n, vv);
	rt = resident(_metadata, tw, n, tv);
	TH_LOG("after %s: resident vmlab %zu, twin %zu of %zu pages", how, rv, rt, n);
	if (variant->means == BY_MEMCG) {
		EXPECT_GT(n, rt);
		EXPECT_GT(n, rv);
		EXPECT_GE(max / ps, rt);
		EXPECT_GE(max / ps, rv);
	} else {
		EXPECT_TRUE(same_vec(_metadata, "resident pages (mincore)", vv, tv, n));
		EXPECT_GT(n, rt);
	}

	v = touch_pass(vm, n, 1, seed, first);
	t = touch_pass(tw, n, 1, seed, first);
	log_pass(_metadata, "refault", &v, &t);
	EXPECT_EQ((size_t)0, v.bad);
	EXPECT_EQ((size_t)0, t.bad);
	EXPECT_LT(0L, t.maj);
	EXPECT_LT(0L, v.maj);
	if (variant->means != BY_MEMCG)
		EXPECT_EQ(t.misses, v.misses);
	EXPECT_EQ((size_t)0, bad_pages(vm, n, seed, first));
	EXPECT_EQ((size_t)0, bad_pages(tw, n, seed, first));
	munmap(vm, len);
	munmap(tw, len);
	free(vv);
	free(tv);
}

/*
 * ---- dirty: accounting, sync, the flusher ----
 *
 * accounted_and_sync_cleans: with the periodic flusher off (an hour's
 * interval and expiry: nothing cleans behind our back), dirtying
 * DIRTY_PAGES pages through a shared mapping raises /proc/meminfo Dirty
 * by that many pages (DIRTY_SLACK_KB above it at most) and /proc/vmstat
 * nr_dirtied by at least that many, and sets their kpageflags dirty bit,
 * as for the twin; sync(2) then clears every dirty bit, brings Dirty back
 * to where it was (a store with a backing file included: the data must
 * have reached the backing file's disk, not only its page cache) and
 * nr_written up by both sides' pages.
 *
 * flusher_writes_back: with dirty_expire_centisecs 100 and
 * dirty_writeback_centisecs 50, dirty pages are written back by the
 * kernel's flusher within 1.5 s; the test waits up to FLUSH_LIMIT_MS (a
 * liveness bound, not a timing assertion) for every page of both to be
 * clean and Dirty back where it was.
 */
#define DIRTY_PAGES	256
#define DIRTY_OFF	(24UL << 20)

FIXTURE(dirty)
{
	struct lab lab;
};

FIXTURE_VARIANT(dirty)
{
	enum lab_kind kind;
};

FIXTURE_VARIANT_ADD(dirty, backed)
{
	.kind = LAB_BACKED,
};

FIXTURE_SETUP(dirty)
{
	lab_check(_metadata, &self->lab, variant->kind);
}

FIXTURE_TEARDOWN_PARENT(dirty)
{
	lab_down(_metadata, &self->lab);
}

TEST_F_TIMEOUT(dirty, accounted_and_sync_cleans, 180)
{
	size_t ps = page_size(), n = DIRTY_PAGES, len = n * ps, dvm, dtw;
	long long d0, d1, d2, d3, wb3, nd0, nd1, nd2, nw0, nw1, want_kb = n * ps / 1024;
	uint64_t seed = 0xd1e7, seed2 = 0xd1e72, first = DIRTY_OFF / ps;
	unsigned char *vv = malloc(n), *tv = malloc(n);
	struct lab *lab = &self->lab;
	char *vm, *tw;

	ASSERT_TRUE(vv && tv);
	if (!lab_up(_metadata, lab))
		return;
	fill_both(_metadata, lab, DIRTY_OFF, n, seed);
	flusher_off(_metadata, lab);
	vm = map_aligned(_metadata, lab->dev, len, PROT_READ | PROT_WRITE, MAP_SHARED, DIRTY_OFF);
	tw = map_aligned(_metadata, lab->twin, len, PROT_READ | PROT_WRITE, MAP_SHARED, DIRTY_OFF);
	ASSERT_EQ((size_t)0, bad_pages(vm, n, seed, first));
	ASSERT_EQ((size_t)0, bad_pages(tw, n, seed, first));
	quiesce(_metadata, lab);
	ASSERT_EQ((size_t)0, dirty_vec(_metadata, vm, n, vv));
	ASSERT_EQ((size_t)0, dirty_vec(_metadata, tw, n, tv));

	d0 = exact(_metadata, true, "Dirty");
	nd0 = exact(_metadata, false, "nr_dirtied");
	fill_pages(vm, n, seed2, first);
	d1 = exact(_metadata, true, "Dirty");
	nd1 = exact(_metadata, false, "nr_dirtied");
	fill_pages(tw, n, seed2, first);
	d2 = exact(_metadata, true, "Dirty");
	nd2 = exact(_metadata, false, "nr_dirtied");
	TH_LOG("dirtying %zu pages (%lld kB): Dirty +%lld kB for vmlab, +%lld kB for the twin",
	       n, want_kb, d1 - d0, d2 - d1);
	TH_LOG("nr_dirtied +%lld, +%lld", nd1 - nd0, nd2 - nd1);
	EXPECT_LE(want_kb, d2 - d1);
	EXPECT_GE(want_kb + DIRTY_SLACK_KB, d2 - d1);
	EXPECT_LE(want_kb, d1 - d0);
	EXPECT_GE(want_kb + DIRTY_SLACK_KB, d1 - d0);
	EXPECT_LE((long long)n, nd2 - nd1);
	EXPECT_LE((long long)n, nd1 - nd0);
	dvm = dirty_vec(_metadata, vm, n, vv);
	dtw = dirty_vec(_metadata, tw, n, tv);
	EXPECT_EQ(n, dtw);
	EXPECT_TRUE(same_vec(_metadata, "kpageflags dirty", vv, tv, n));

	nw0 = exact(_metadata, false, "nr_written");
	sync();
	d3 = exact(_metadata, true, "Dirty");
	wb3 = exact(_metadata, true, "Writeback");
	nw1 = exact(_metadata, false, "nr_written");
	dvm = dirty_vec(_metadata, vm, n, vv);
	dtw = dirty_vec(_metadata, tw, n, tv);
	TH_LOG("after sync: Dirty %lld kB (was %lld before dirtying), Writeback %lld kB",
	       d3, d0, wb3);
	TH_LOG("nr_written +%lld; dirty pages: vmlab %zu, twin %zu", nw1 - nw0, dvm, dtw);
	EXPECT_EQ((size_t)0, dtw);
	EXPECT_EQ((size_t)0, dvm);
	EXPECT_GE(d0 + DIRTY_SLACK_KB, d3);
	EXPECT_GE(DIRTY_SLACK_KB, wb3);
	EXPECT_LE(2 * (long long)n, nw1 - nw0);
	EXPECT_EQ((size_t)0, bad_pages(vm, n, seed2, first));
	EXPECT_EQ((size_t)0, bad_pages(tw, n, seed2, first));
	munmap(vm, len);
	munmap(tw, len);
	free(vv);
	free(tv);
}

TEST_F_TIMEOUT(dirty, flusher_writes_back, 180)
{
	size_t ps = page_size(), n = DIRTY_PAGES, len = n * ps, dvm = n, dtw = n;
	uint64_t seed = 0xf105, seed2 = 0xf1052, first = DIRTY_OFF / ps;
	long long d0, d = 0, start, vm_ms = -1, tw_ms = -1, d_ms = -1, now;
	unsigned char *vv = malloc(n), *tv = malloc(n);
	struct lab *lab = &self->lab;
	char *vm, *tw;

	ASSERT_TRUE(vv && tv);
	if (!lab_up(_metadata, lab))
		return;
	fill_both(_metadata, lab, DIRTY_OFF, n, seed);
	vm = map_aligned(_metadata, lab->dev, len, PROT_READ | PROT_WRITE, MAP_SHARED, DIRTY_OFF);
	tw = map_aligned(_metadata, lab->twin, len, PROT_READ | PROT_WRITE, MAP_SHARED, DIRTY_OFF);
	ASSERT_EQ((size_t)0, bad_pages(vm, n, seed, first));
	ASSERT_EQ((size_t)0, bad_pages(tw, n, seed, first));
	lab_sysctl(_metadata, lab, "dirty_expire_centisecs", "100");
	lab_sysctl(_metadata, lab, "dirty_writeback_centisecs", "50");
	quiesce(_metadata, lab);
	d0 = exact(_metadata, true, "Dirty");

	start = now_ms();
	fill_pages(vm, n, seed2, first);
	fill_pages(tw, n, seed2, first);
	/* Dirty now: a flusher that never ran would leave them so. */
	ASSERT_EQ(n, dirty_vec(_metadata, tw, n, tv));
	ASSERT_EQ(n, dirty_vec(_metadata, vm, n, vv)) {
		TH_LOG("the store's pages are not dirty after being written");
	}
	while ((now = now_ms()) - start <= FLUSH_LIMIT_MS && (vm_ms < 0 || tw_ms < 0 || d_ms < 0)) {
		if (vm_ms < 0) {
			dvm = dirty_vec(_metadata, vm, n, vv);
			if (!dvm)
				vm_ms = now - start;
		}
		if (tw_ms < 0) {
			dtw = dirty_vec(_metadata, tw, n, tv);
			if (!dtw)
				tw_ms = now - start;
		}
		if (d_ms < 0) {
			d = exact(_metadata, true, "Dirty");
			if (d <= d0 + DIRTY_SLACK_KB)
				d_ms = now - start;
		}
		usleep(100 * 1000);
	}
	TH_LOG("clean by the flusher (expire 1000 ms, interval 500 ms):");
	TH_LOG("vmlab after %lld ms (%zu dirty left), twin after %lld ms (%zu left)",
	       vm_ms, dvm, tw_ms, dtw);
	TH_LOG("Dirty back to %lld kB (from %lld) after %lld ms", d, d0, d_ms);
	EXPECT_LE(0LL, tw_ms);
	EXPECT_LE(0LL, vm_ms);
	EXPECT_LE(0LL, d_ms);
	EXPECT_EQ((size_t)0, bad_pages(vm, n, seed2, first));
	munmap(vm, len);
	munmap(tw, len);
	free(vv);
	free(tv);
}

/*
 * ---- range_sync: msync of a range cleans that range only ----
 *
 * RANGE_PAGES pages dirtied through a shared mapping (periodic flusher
 * off for an hour); msync(MS_SYNC) of pages RANGE_FIRST..+RANGE_LEN cleans those and
 * leaves the others dirty; msync(MS_ASYNC) cleans nothing (as on ext4
 * since 2.6.19); fsync() cleans all.  The kpageflags dirty vectors of
 * vmlab and the twin are equal, and equal what was asked.  With a backing
 * file, the backing file holds the new data where pages were cleaned and
 * the old elsewhere.  (sync_file_range(2) is no variant: the VFS refuses
 * it on a character device with ESPIPE before the driver is asked.)
 */
#define RANGE_PAGES	16
#define RANGE_FIRST	4
#define RANGE_LEN	4
#define RANGE_OFF	(28UL << 20)

enum sync_op {
	BY_MSYNC,
	BY_MSYNC_ASYNC,
	BY_FSYNC,
};

FIXTURE(range_sync)
{
	struct lab lab;
};

FIXTURE_VARIANT(range_sync)
{
	enum lab_kind kind;
	enum sync_op op;
};

FIXTURE_VARIANT_ADD(range_sync, backed_msync)
{
	.kind = LAB_BACKED, .op = BY_MSYNC,
};

FIXTURE_VARIANT_ADD(range_sync, backed_msync_async)
{
	.kind = LAB_BACKED, .op = BY_MSYNC_ASYNC,
};

FIXTURE_VARIANT_ADD(range_sync, backed_fsync)
{
	.kind = LAB_BACKED, .op = BY_FSYNC,
};

FIXTURE_SETUP(range_sync)
{
	lab_check(_metadata, &self->lab, variant->kind);
}

FIXTURE_TEARDOWN_PARENT(range_sync)
{
	lab_down(_metadata, &self->lab);
}

static int sync_op(enum sync_op op, int fd, char *map)
{
	size_t ps = page_size();

	switch (op) {
	case BY_MSYNC:
		return msync(map + RANGE_FIRST * ps, RANGE_LEN * ps, MS_SYNC);
	case BY_MSYNC_ASYNC:
		return msync(map + RANGE_FIRST * ps, RANGE_LEN * ps, MS_ASYNC);
	case BY_FSYNC:
		return fsync(fd);
	}
	return -1;
}

TEST_F_TIMEOUT(range_sync, cleans_that_range_only, 120)
{
	size_t ps = page_size(), n = RANGE_PAGES, len = n * ps, i, bad_in = 0, bad_out = 0;
	uint64_t seed = 0x5a7c, seed2 = 0x5a7c2, first = RANGE_OFF / ps;
	unsigned char vv[RANGE_PAGES], tv[RANGE_PAGES], want[RANGE_PAGES];
	struct lab *lab = &self->lab;
	int retv, rett, errv, errt, bfd;
	char *vm, *tw, *buf;

	if (!lab_up(_metadata, lab))
		return;
	fill_both(_metadata, lab, RANGE_OFF, n, seed);
	flusher_off(_metadata, lab);
	quiesce(_metadata, lab);
	vm = map_aligned(_metadata, lab->dev, len, PROT_READ | PROT_WRITE, MAP_SHARED, RANGE_OFF);
	tw = map_aligned(_metadata, lab->twin, len, PROT_READ | PROT_WRITE, MAP_SHARED, RANGE_OFF);
	fill_pages(vm, n, seed2, first);
	fill_pages(tw, n, seed2, first);
	ASSERT_EQ(n, dirty_vec(_metadata, tw, n, tv));
	ASSERT_EQ(n, dirty_vec(_metadata, vm, n, vv));

	errno = 0;
	retv = sync_op(variant->op, lab->dev, vm);
	errv = errno;
	errno = 0;
	rett = sync_op(variant->op, lab->twin, tw);
	errt = errno;
	ASSERT_EQ(0, rett) {
		TH_LOG("twin: %s", strerror(errt));
	}
	ASSERT_EQ(0, retv) {
		TH_LOG("vmlab: %s", strerror(errv));
	}
	for (i = 0; i < n; i++)
		want[i] = variant->op == BY_MSYNC_ASYNC ||
			  (variant->op == BY_MSYNC &&
			   (i < RANGE_FIRST || i >= RANGE_FIRST + RANGE_LEN));
	dirty_vec(_metadata, vm, n, vv);
	dirty_vec(_metadata, tw, n, tv);
	EXPECT_TRUE(same_vec(_metadata, "kpageflags dirty (twin vs what was asked)", want, tv, n));
	EXPECT_TRUE(same_vec(_metadata, "kpageflags dirty", vv, tv, n));

	if (lab->kind == LAB_BACKED) {
		/* What the backing file holds: the written-back range only. */
		bfd = open(LAB_BACKING, O_RDONLY);
		ASSERT_LE(0, bfd);
		buf = malloc(ps);
		ASSERT_NE(NULL, buf);
		for (i = 0; i < n; i++) {
			ASSERT_EQ((ssize_t)ps, pread(bfd, buf, ps, RANGE_OFF + i * ps));
			if (want[i])
				bad_out += bad_pages(buf, 1, seed, first + i);
			else
				bad_in += bad_pages(buf, 1, seed2, first + i);
		}
		free(buf);
		close(bfd);
		EXPECT_EQ((size_t)0, bad_in) {
			TH_LOG("%zu written-back pages lack the new data in the backing file",
			       bad_in);
		}
		EXPECT_EQ((size_t)0, bad_out) {
			TH_LOG("%zu pages outside the range were written to the backing file",
			       bad_out);
		}
	}
	munmap(vm, len);
	munmap(tw, len);
}

/*
 * ---- throttle: a writer under dirty_bytes 1 MiB ----
 *
 * A writer dirties THROTTLE_BYTES (32 MiB) of the store, by write(2) or
 * through a shared mapping, while a thread samples /proc/meminfo Dirty +
 * Writeback (what balance_dirty_pages() holds under the limit) every 5 ms;
 * then the same for the twin.  Unthrottled, the writer would leave all
 * 32 MiB dirty (the periodic flusher expires pages after 30 s).  The
 * bound, THROTTLE_BOUND_KB above the baseline: the 1 MiB limit, plus what
 * a task may dirty between two of its balance_dirty_pages() calls (its
 * nr_dirtied_pause, 8 pages once the limit is exceeded, and the per-CPU
 * ratelimit of at least 16 pages), plus the pages a store's write-back
 * has moved into its backing file's page cache (dirty there until ext4's
 * own write-back), plus the imprecision of unrefreshed per-CPU counters
 * (2 CPUs x 24 pages on a 2 GiB guest): four times the limit covers these
 * with room, and is an eighth of the unthrottled 32 MiB.  nr_dirtied
 * shows that every page was dirtied through the kernel's accounting.
 */
#define THROTTLE_BYTES		(32UL << 20)
#define THROTTLE_OFF		(8UL << 20)
#define THROTTLE_LIMIT		"1048576"
#define THROTTLE_BOUND_KB	4096

FIXTURE(throttle)
{
	struct lab lab;
};

FIXTURE_VARIANT(throttle)
{
	enum lab_kind kind;
	bool mapping;
};

FIXTURE_VARIANT_ADD(throttle, backed_write)
{
	.kind = LAB_BACKED, .mapping = false,
};

FIXTURE_VARIANT_ADD(throttle, backed_mapping)
{
	.kind = LAB_BACKED, .mapping = true,
};

FIXTURE_SETUP(throttle)
{
	lab_check(_metadata, &self->lab, variant->kind);
}

FIXTURE_TEARDOWN_PARENT(throttle)
{
	lab_down(_metadata, &self->lab);
}

struct sampler {
	bool stop;	/* __atomic: set by the test, read by the sampler thread */
	long long peak;
	unsigned long samples;
	char buf[16384];
};

static void *sample_dirty(void *arg)
{
	struct sampler *s = arg;
	long long d, w;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		d = proc_value(s->buf, sizeof(s->buf), "/proc/meminfo", "Dirty");
		w = proc_value(s->buf, sizeof(s->buf), "/proc/meminfo", "Writeback");
		if (d >= 0 && w >= 0 && d + w > s->peak)
			s->peak = d + w;
		s->samples++;
		usleep(5000);
	}
	return NULL;
}

/* Write THROTTLE_BYTES to @fd while sampling Dirty + Writeback: the peak. */
static long long throttled_write(struct __test_metadata *_metadata, int fd, bool mapping,
				 uint64_t seed, long long *dirtied)
{
	size_t ps = page_size(), n = THROTTLE_BYTES / ps;
	struct sampler *s = calloc(1, sizeof(*s));
	long long nd0;
	pthread_t t;
	char *map;

	ASSERT_NE(NULL, s);
	nd0 = exact(_metadata, false, "nr_dirtied");
	ASSERT_EQ(0, pthread_create(&t, NULL, sample_dirty, s));
	if (mapping) {
		map = map_aligned(_metadata, fd, THROTTLE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
				  THROTTLE_OFF);
		fill_pages(map, n, seed, THROTTLE_OFF / ps);
		munmap(map, THROTTLE_BYTES);
	} else {
		write_pages(_metadata, fd, THROTTLE_OFF, n, seed);
	}
	__atomic_store_n(&s->stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	*dirtied = exact(_metadata, false, "nr_dirtied") - nd0;
	TH_LOG("%lu samples", s->samples);
	nd0 = s->peak;
	free(s);
	return nd0;
}

TEST_F_TIMEOUT(throttle, dirty_peak_bounded, 300)
{
	size_t ps = page_size(), n = THROTTLE_BYTES / ps;
	struct lab *lab = &self->lab;
	long long base, pv, pt, nv, nt;
	uint64_t seed = 0x7407;

	if (!lab_up(_metadata, lab))
		return;
	sync();
	base = exact(_metadata, true, "Dirty") + exact(_metadata, true, "Writeback");
	lab_sysctl_save(_metadata, lab, "dirty_ratio");
	lab_sysctl(_metadata, lab, "dirty_bytes", THROTTLE_LIMIT);

	pv = throttled_write(_metadata, lab->dev, variant->mapping, seed, &nv);
	sync();
	pt = throttled_write(_metadata, lab->twin, variant->mapping, seed, &nt);
	sync();
	TH_LOG("writing %lu MiB under dirty_bytes %s (baseline %lld kB, bound +%d kB)",
	       THROTTLE_BYTES >> 20, THROTTLE_LIMIT, base, THROTTLE_BOUND_KB);
	TH_LOG("peak Dirty+Writeback: vmlab %lld kB, twin %lld kB; nr_dirtied +%lld, +%lld",
	       pv, pt, nv, nt);
	EXPECT_GE(base + THROTTLE_BOUND_KB, pt);
	EXPECT_GE(base + THROTTLE_BOUND_KB, pv);
	EXPECT_LE((long long)n, nt);
	EXPECT_LE((long long)n, nv);
	EXPECT_EQ((size_t)0, bad_file_pages(_metadata, lab->dev, THROTTLE_OFF, n, seed));
	EXPECT_EQ((size_t)0, bad_file_pages(_metadata, lab->twin, THROTTLE_OFF, n, seed));
}

/*
 * ---- swap: shared anonymous pages out to swap and back ----
 *
 * A vmlab shared anonymous object and its twin (MAP_SHARED|MAP_ANONYMOUS,
 * or a memfd), or the store without a backing file, a tmpfs file, and its
 * twin a memfd, written, are both swap-backed and evictable (kpageflags),
 * then MADV_PAGEOUT'ed.  Compared: madvise's result, mincore, pagemap's
 * present and swap bits, smaps Swap (exact: the shmem object's swapped
 * pages), and SwapFree's drop (within the per-CPU swap slot batches).
 * The next access reads back the same bytes; with vm.page-cluster 0 (no
 * swap read-ahead) each page is one major fault, on both, in getrusage
 * and in /proc/vmstat pgmajfault.
 */
#define SWAP_PAGES	512

FIXTURE(swap)
{
	struct lab lab;
	int fd;
};

FIXTURE_VARIANT(swap)
{
	bool memfd;
	bool store;	/* vmlab's side is the store, as loaded by default: no backing file */
};

FIXTURE_VARIANT_ADD(swap, shared_anonymous)
{
	.memfd = false,
};

FIXTURE_VARIANT_ADD(swap, memfd)
{
	.memfd = true,
};

FIXTURE_VARIANT_ADD(swap, unbacked_store)
{
	.memfd = true, .store = true,
};

static bool have_swap(void)
{
	char buf[4096];
	int fd = open("/proc/swaps", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* A header line, then one line per swap device. */
	return strchr(buf, '\n') && strchr(buf, '\n')[1];
}

FIXTURE_SETUP(swap)
{
	self->fd = -1;
	if (!lab_check(_metadata, &self->lab, LAB_ANON))
		return;
	if (!have_swap())
		SKIP(return, "no swap device (/proc/swaps lists none): run with vm-run --swap");
}

FIXTURE_TEARDOWN_PARENT(swap)
{
	lab_down(_metadata, &self->lab);
}

TEST_F_TIMEOUT(swap, pageout_and_back, 120)
{
	size_t ps = page_size(), n = SWAP_PAGES, len = n * ps, i, cpus;
	long long s0, s1, s2, kv = -1, kt = -1, tol;
	unsigned char *vv = malloc(n), *tv = malloc(n);
	uint64_t *pmv = calloc(n, 8), *pmt = calloc(n, 8);
	uint64_t *kfv = calloc(n, 8), *kft = calloc(n, 8);
	int retv, rett, errv, errt, mfd = -1;
	struct lab *lab = &self->lab;
	uint64_t seed = 0x5a9;
	struct pass v, t;
	char *vm, *tw;

	ASSERT_TRUE(vv && tv && pmv && pmt && kfv && kft);
	lab_sysctl(_metadata, lab, "page-cluster", "0");
	self->fd = vl_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	if (variant->store) {
		struct vmlab_info info;

		ASSERT_EQ(0, vl_info(self->fd, &info));
		ASSERT_EQ(0U, info.has_backing);
	} else {
		ASSERT_EQ(0, vl_select(self->fd, VMLAB_KIND_ANON, -1));
	}
	vm = map_aligned(_metadata, self->fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	if (variant->memfd) {
		mfd = memfd_create("vmlab-twin", 0);
		ASSERT_LE(0, mfd);
		ASSERT_EQ(0, ftruncate(mfd, len));
		tw = map_aligned(_metadata, mfd, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	} else {
		tw = map_aligned(_metadata, -1, len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, 0);
	}
	fill_pages(vm, n, seed, 0);
	fill_pages(tw, n, seed, 0);
	ASSERT_EQ(n, resident(_metadata, tw, n, tv));
	ASSERT_EQ(n, resident(_metadata, vm, n, vv));

	/* Swap-backed and evictable, as tmpfs's pages are. */
	page_states(_metadata, vm, n, pmv, kfv);
	page_states(_metadata, tw, n, pmt, kft);
	kpf_bits(kfv, n, VL_KPF_SWAPBACKED, vv);
	EXPECT_EQ(n, kpf_bits(kft, n, VL_KPF_SWAPBACKED, tv));
	EXPECT_TRUE(same_vec(_metadata, "kpageflags swapbacked", vv, tv, n));
	kpf_bits(kfv, n, VL_KPF_UNEVICTABLE, vv);
	EXPECT_EQ((size_t)0, kpf_bits(kft, n, VL_KPF_UNEVICTABLE, tv));
	EXPECT_TRUE(same_vec(_metadata, "kpageflags unevictable", vv, tv, n));

	s0 = meminfo_kb("SwapFree");
	errno = 0;
	retv = madvise(vm, len, MADV_PAGEOUT);
	errv = errno;
	s1 = meminfo_kb("SwapFree");
	errno = 0;
	rett = madvise(tw, len, MADV_PAGEOUT);
	errt = errno;
	s2 = meminfo_kb("SwapFree");
	EXPECT_EQ(rett, retv);
	EXPECT_EQ(errt, errv) {
		TH_LOG("MADV_PAGEOUT: vmlab %s, twin %s", strerror(errv), strerror(errt));
	}

	EXPECT_EQ((size_t)0, resident(_metadata, tw, n, tv));
	resident(_metadata, vm, n, vv);
	EXPECT_TRUE(same_vec(_metadata, "resident pages (mincore)", vv, tv, n));
	page_states(_metadata, vm, n, pmv, kfv);
	page_states(_metadata, tw, n, pmt, kft);
	for (i = 0; i < n; i++) {
		vv[i] = (!!(pmv[i] & VL_PM_PRESENT)) | (!!(pmv[i] & VL_PM_SWAP)) << 1;
		tv[i] = (!!(pmt[i] & VL_PM_PRESENT)) | (!!(pmt[i] & VL_PM_SWAP)) << 1;
	}
	EXPECT_TRUE(same_vec(_metadata, "pagemap present | swap << 1", vv, tv, n));
	EXPECT_EQ(0, vl_smaps_field(0, (unsigned long)vm, "Swap", &kv));
	EXPECT_EQ(0, vl_smaps_field(0, (unsigned long)tw, "Swap", &kt));
	cpus = (size_t)sysconf(_SC_NPROCESSORS_ONLN);
	tol = (long long)(SWAP_SLOTS_BATCH * cpus * ps / 1024);
	TH_LOG("MADV_PAGEOUT of %zu kB: smaps Swap vmlab %lld kB, twin %lld kB",
	       len / 1024, kv, kt);
	TH_LOG("SwapFree -%lld kB, -%lld kB (within %lld kB of slot batches)",
	       s0 - s1, s1 - s2, tol);
	EXPECT_EQ(kt, kv);
	EXPECT_LE((long long)(len / 1024) - tol, s1 - s2);
	EXPECT_LE((long long)(len / 1024) - tol, s0 - s1);

	v = touch_pass(vm, n, 1, seed, 0);
	t = touch_pass(tw, n, 1, seed, 0);
	log_pass(_metadata, "swap-in", &v, &t);
	EXPECT_EQ((size_t)0, v.bad);
	EXPECT_EQ((size_t)0, t.bad);
	EXPECT_EQ(t.maj, v.maj);
	EXPECT_EQ(t.min, v.min);
	/* /proc/vmstat pgmajfault (and memory.stat's) count each swap-in too. */
	EXPECT_EQ(t.misses, v.misses);
	EXPECT_LT(0L, v.maj);
	EXPECT_EQ((size_t)0, bad_pages(vm, n, seed, 0));
	EXPECT_EQ((size_t)0, bad_pages(tw, n, seed, 0));
	munmap(vm, len);
	munmap(tw, len);
	if (mfd >= 0)
		close(mfd);
	close(self->fd);
	free(vv);
	free(tv);
	free(pmv);
	free(pmt);
	free(kfv);
	free(kft);
}

/*
 * ---- locked: mlock and MAP_LOCKED pages stay resident ----
 *
 * LOCKED_PAGES pages of the store (and their twin on ext4) or of a shared
 * anonymous object (twin MAP_SHARED|MAP_ANONYMOUS), locked by mlock(2) or
 * MAP_LOCKED, then: MADV_PAGEOUT (which refuses a VM_LOCKED range:
 * compared result and errno), drop_caches, and for the store
 * POSIX_FADV_DONTNEED.  Every page is still resident (mincore, pagemap
 * present), kpageflags mlocked and unevictable as the twin's, data intact.
 */
#define LOCKED_PAGES	64
#define LOCKED_OFF	(32UL << 20)

FIXTURE(locked)
{
	struct lab lab;
	int fd;
};

FIXTURE_VARIANT(locked)
{
	enum lab_kind kind;
	bool map_locked;
};

FIXTURE_VARIANT_ADD(locked, backed_mlock)
{
	.kind = LAB_BACKED, .map_locked = false,
};

FIXTURE_VARIANT_ADD(locked, backed_map_locked)
{
	.kind = LAB_BACKED, .map_locked = true,
};

FIXTURE_VARIANT_ADD(locked, unbacked_mlock)
{
	.kind = LAB_UNBACKED, .map_locked = false,
};

FIXTURE_VARIANT_ADD(locked, unbacked_map_locked)
{
	.kind = LAB_UNBACKED, .map_locked = true,
};

FIXTURE_VARIANT_ADD(locked, anon_mlock)
{
	.kind = LAB_ANON, .map_locked = false,
};

FIXTURE_VARIANT_ADD(locked, anon_map_locked)
{
	.kind = LAB_ANON, .map_locked = true,
};

FIXTURE_SETUP(locked)
{
	self->fd = -1;
	lab_check(_metadata, &self->lab, variant->kind);
}

FIXTURE_TEARDOWN_PARENT(locked)
{
	lab_down(_metadata, &self->lab);
}

TEST_F_TIMEOUT(locked, stay_resident, 180)
{
	size_t ps = page_size(), n = LOCKED_PAGES, len = n * ps;
	int flags = MAP_SHARED | (variant->map_locked ? MAP_LOCKED : 0);
	unsigned char *vv = malloc(n), *tv = malloc(n);
	uint64_t *pmv = calloc(n, 8), *pmt = calloc(n, 8);
	uint64_t *kfv = calloc(n, 8), *kft = calloc(n, 8);
	bool anon = variant->kind == LAB_ANON;
	uint64_t seed = 0x10c4, first;
	struct lab *lab = &self->lab;
	int retv, rett, errv, errt;
	char *vm, *tw;

	ASSERT_TRUE(vv && tv && pmv && pmt && kfv && kft);
	if (anon) {
		first = 0;
		self->fd = vl_open(O_RDWR);
		ASSERT_LE(0, self->fd);
		ASSERT_EQ(0, vl_select(self->fd, VMLAB_KIND_ANON, -1));
		vm = map_aligned(_metadata, self->fd, len, PROT_READ | PROT_WRITE, flags, 0);
		tw = map_aligned(_metadata, -1, len, PROT_READ | PROT_WRITE,
				 flags | MAP_ANONYMOUS, 0);
	} else {
		first = LOCKED_OFF / ps;
		if (!lab_up(_metadata, lab))
			return;
		fill_both(_metadata, lab, LOCKED_OFF, n, seed);
		vm = map_aligned(_metadata, lab->dev, len, PROT_READ | PROT_WRITE, flags,
				 LOCKED_OFF);
		tw = map_aligned(_metadata, lab->twin, len, PROT_READ | PROT_WRITE, flags,
				 LOCKED_OFF);
	}
	if (!variant->map_locked) {
		ASSERT_EQ(0, mlock(vm, len)) {
			TH_LOG("mlock: %s", strerror(errno));
		}
		ASSERT_EQ(0, mlock(tw, len));
	}
	if (anon) {
		fill_pages(vm, n, seed, first);
		fill_pages(tw, n, seed, first);
	} else {
		/* Clean, as pages that could be dropped would be. */
		ASSERT_EQ(0, fsync(lab->dev));
		ASSERT_EQ(0, fsync(lab->twin));
	}

	errno = 0;
	retv = madvise(vm, len, MADV_PAGEOUT);
	errv = errno;
	errno = 0;
	rett = madvise(tw, len, MADV_PAGEOUT);
	errt = errno;
	EXPECT_EQ(rett, retv);
	EXPECT_EQ(errt, errv) {
		TH_LOG("MADV_PAGEOUT: vmlab %s, twin %s", strerror(errv), strerror(errt));
	}
	ASSERT_EQ(0, vl_write_file("/proc/sys/vm/drop_caches", "1"));
	if (!anon) {
		ASSERT_EQ(0, posix_fadvise(lab->dev, LOCKED_OFF, len, POSIX_FADV_DONTNEED));
		ASSERT_EQ(0, posix_fadvise(lab->twin, LOCKED_OFF, len, POSIX_FADV_DONTNEED));
	}

	EXPECT_EQ(n, resident(_metadata, tw, n, tv));
	EXPECT_EQ(n, resident(_metadata, vm, n, vv)) {
		same_vec(_metadata, "resident pages (mincore)", vv, tv, n);
	}
	page_states(_metadata, vm, n, pmv, kfv);
	page_states(_metadata, tw, n, pmt, kft);
	kpf_bits(kfv, n, VL_KPF_MLOCKED, vv);
	EXPECT_EQ(n, kpf_bits(kft, n, VL_KPF_MLOCKED, tv));
	EXPECT_TRUE(same_vec(_metadata, "kpageflags mlocked", vv, tv, n));
	kpf_bits(kfv, n, VL_KPF_UNEVICTABLE, vv);
	kpf_bits(kft, n, VL_KPF_UNEVICTABLE, tv);
	EXPECT_TRUE(same_vec(_metadata, "kpageflags unevictable", vv, tv, n));
	EXPECT_EQ((size_t)0, bad_pages(vm, n, seed, first));
	EXPECT_EQ((size_t)0, bad_pages(tw, n, seed, first));
	munmap(vm, len);
	munmap(tw, len);
	if (self->fd >= 0)
		close(self->fd);
	free(vv);
	free(tv);
	free(pmv);
	free(pmt);
	free(kfv);
	free(kft);
}

/*
 * ---- memcg: a writer in a cgroup smaller than its mapping ----
 *
 * A child in a memory cgroup with memory.max MEMCG_MAX (24 MiB, no swap)
 * writes MEMCG_BYTES (48 MiB) of the store (with a backing file) through
 * a shared mapping or with write(2), then reads it all back; the same for
 * the twin in a cgroup of its own.  Both finish (exit 0, every page
 * right), with no OOM kill and memory.peak within memory.max: dirty
 * pages of a cgroup are throttled and written back so that reclaim can
 * free them.
 */
#define MEMCG_BYTES	(48UL << 20)
#define MEMCG_MAX	(24UL << 20)
#define MEMCG_OFF	(16UL << 20)

FIXTURE(memcg)
{
	struct lab lab;
};

FIXTURE_VARIANT(memcg)
{
	bool mapping;
};

FIXTURE_VARIANT_ADD(memcg, mapping)
{
	.mapping = true,
};

FIXTURE_VARIANT_ADD(memcg, write)
{
	.mapping = false,
};

FIXTURE_SETUP(memcg)
{
	lab_check(_metadata, &self->lab, LAB_BACKED);
}

FIXTURE_TEARDOWN_PARENT(memcg)
{
	lab_down(_metadata, &self->lab);
}

struct writer_job {
	int fd;
	bool mapping;
	uint64_t seed;
};

static int writer_child(void *arg)
{
	struct writer_job *j = arg;
	size_t ps = page_size(), n = MEMCG_BYTES / ps, i, bad = 0;
	char *map, *buf;

	if (j->mapping) {
		map = mmap(NULL, MEMCG_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, j->fd, MEMCG_OFF);
		if (map == MAP_FAILED)
			return 110;
		fill_pages(map, n, j->seed, MEMCG_OFF / ps);
		bad = bad_pages(map, n, j->seed, MEMCG_OFF / ps);
	} else {
		buf = malloc(ps);
		if (!buf)
			return 111;
		for (i = 0; i < n; i++) {
			fill_page(buf, j->seed, MEMCG_OFF / ps + i);
			if (pwrite(j->fd, buf, ps, MEMCG_OFF + i * ps) != (ssize_t)ps)
				return 112;
		}
		for (i = 0; i < n; i++) {
			if (pread(j->fd, buf, ps, MEMCG_OFF + i * ps) != (ssize_t)ps)
				return 113;
			bad += bad_pages(buf, 1, j->seed, MEMCG_OFF / ps + i);
		}
	}
	return bad > 100 ? 100 : (int)bad;
}

TEST_F_TIMEOUT(memcg, finishes_without_oom, 600)
{
	size_t ps = page_size(), n = MEMCG_BYTES / ps;
	struct lab *lab = &self->lab;
	struct writer_job jv, jt;
	struct cg_result cv, ct;
	char dv[160], dt[160];
	uint64_t seed = 0xc9;

	if (!lab_up(_metadata, lab))
		return;
	if (!lab_memcg(_metadata, lab, "vmlab", MEMCG_MAX, dv, sizeof(dv)) ||
	    !lab_memcg(_metadata, lab, "twin", MEMCG_MAX, dt, sizeof(dt)))
		return;
	jv = (struct writer_job){ .fd = lab->dev, .mapping = variant->mapping, .seed = seed };
	jt = (struct writer_job){ .fd = lab->twin, .mapping = variant->mapping, .seed = seed };
	cv = run_in_memcg(dv, writer_child, &jv);
	ct = run_in_memcg(dt, writer_child, &jt);
	TH_LOG("writing %lu MiB %s under memory.max %lu MiB",
	       MEMCG_BYTES >> 20, variant->mapping ? "through a mapping" : "with write(2)",
	       MEMCG_MAX >> 20);
	TH_LOG("vmlab: status %d peak %lld oom_kill %lld", cv.status, cv.peak, cv.oom_kills);
	TH_LOG("twin:  status %d peak %lld oom_kill %lld", ct.status, ct.peak, ct.oom_kills);
	EXPECT_EQ(0, ct.status);
	EXPECT_EQ(0LL, ct.oom_kills);
	EXPECT_GE((long long)MEMCG_MAX, ct.peak);
	EXPECT_EQ(0, cv.status);
	EXPECT_EQ(0LL, cv.oom_kills);
	EXPECT_GE((long long)MEMCG_MAX, cv.peak);
	EXPECT_EQ((size_t)0, bad_file_pages(_metadata, lab->dev, MEMCG_OFF, n, seed));
	EXPECT_EQ((size_t)0, bad_file_pages(_metadata, lab->twin, MEMCG_OFF, n, seed));
}

/*
 * ---- checksum: 64 MiB across eviction, refault, rmmod and insmod ----
 *
 * The whole store (with a backing file) and its twin written through
 * shared mappings and made clean, evicted (drop_caches once unmapped, or
 * MADV_PAGEOUT; evict covers POSIX_FADV_DONTNEED), summed again
 * through the refault (major faults on both); then the second half
 * rewritten and left dirty, vmlab unloaded, the ext4 file system
 * unmounted and mounted again (the twin's analogue of the reload, and
 * proof that the data is on the disk), vmlab loaded again on the same
 * backing file: both sum to what was written.
 */
FIXTURE(checksum)
{
	struct lab lab;
};

FIXTURE_VARIANT(checksum)
{
	enum evict_means means;
};

FIXTURE_VARIANT_ADD(checksum, drop_caches)
{
	.means = BY_DROP_CACHES,
};

FIXTURE_VARIANT_ADD(checksum, pageout)
{
	.means = BY_PAGEOUT,
};

FIXTURE_SETUP(checksum)
{
	lab_check(_metadata, &self->lab, LAB_BACKED);
}

FIXTURE_TEARDOWN_PARENT(checksum)
{
	lab_down(_metadata, &self->lab);
}

/* Sum of a mapping, with the faults it took. */
static uint64_t sum_counted(const char *map, size_t len, long *majflt)
{
	struct rusage r0, r1;
	uint64_t h;

	getrusage(RUSAGE_SELF, &r0);
	h = sum_words(map, len);
	getrusage(RUSAGE_SELF, &r1);
	*majflt = r1.ru_majflt - r0.ru_majflt;
	return h;
}

TEST_F_TIMEOUT(checksum, survives_eviction_and_reload, 600)
{
	size_t ps = page_size(), n = STORE_SIZE / ps, len = STORE_SIZE, rv, rt;
	unsigned char *vv = malloc(n), *tv = malloc(n);
	uint64_t seed = 0xc5e1, seed2 = 0xc5e2, want, want2, sv, st;
	const char *how = means_names[variant->means];
	struct lab *lab = &self->lab;
	long majv, majt;
	char *vm, *tw;

	ASSERT_TRUE(vv && tv);
	if (!lab_up(_metadata, lab))
		return;
	want = sum_pattern(n, seed, 0);
	/* The second half rewritten: the sum of the two halves' words in order. */
	want2 = sum_pattern(n / 2, seed, 0);
	{
		size_t i, j;

		for (i = n / 2; i < n; i++)
			for (j = 0; j < ps / 8; j++)
				want2 = (want2 ^ mix(seed2, i, j)) * 0x100000001b3ULL;
	}

	vm = map_aligned(_metadata, lab->dev, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	tw = map_aligned(_metadata, lab->twin, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fill_pages(vm, n, seed, 0);
	fill_pages(tw, n, seed, 0);
	ASSERT_EQ(0, fsync(lab->dev));
	ASSERT_EQ(0, fsync(lab->twin));

	if (variant->means == BY_PAGEOUT) {
		ASSERT_EQ(0, madvise(vm, len, MADV_PAGEOUT)) {
			TH_LOG("MADV_PAGEOUT: %s", strerror(errno));
		}
		ASSERT_EQ(0, madvise(tw, len, MADV_PAGEOUT));
	} else {
		munmap(vm, len);
		munmap(tw, len);
		if (variant->means == BY_DROP_CACHES) {
			ASSERT_EQ(0, vl_write_file("/proc/sys/vm/drop_caches", "1"));
		} else {
			ASSERT_EQ(0, posix_fadvise(lab->dev, 0, 0, POSIX_FADV_DONTNEED));
			ASSERT_EQ(0, posix_fadvise(lab->twin, 0, 0, POSIX_FADV_DONTNEED));
		}
		vm = map_aligned(_metadata, lab->dev, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
		tw = map_aligned(_metadata, lab->twin, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	}
	rv = resident(_metadata, vm, n, vv);
	rt = resident(_metadata, tw, n, tv);
	TH_LOG("after %s: resident vmlab %zu, twin %zu of %zu pages", how, rv, rt, n);
	EXPECT_EQ((size_t)0, rt);
	EXPECT_EQ((size_t)0, rv);

	sv = sum_counted(vm, len, &majv);
	st = sum_counted(tw, len, &majt);
	TH_LOG("refault of %zu MiB: sums vmlab %016llx, twin %016llx, want %016llx",
	       len >> 20, (unsigned long long)sv, (unsigned long long)st, (unsigned long long)want);
	TH_LOG("majflt %ld, %ld", majv, majt);
	EXPECT_EQ(want, st);
	EXPECT_EQ(want, sv);
	EXPECT_LT(0L, majt);
	EXPECT_LT(0L, majv);

	/* The second half rewritten and left dirty; then rmmod, remount, insmod. */
	fill_pages(vm + len / 2, n / 2, seed2, n / 2);
	fill_pages(tw + len / 2, n / 2, seed2, n / 2);
	munmap(vm, len);
	munmap(tw, len);
	close(lab->twin);
	lab->twin = -1;
	lab_unload(_metadata, lab);
	ASSERT_EQ(0, umount2(LAB_DIR, 0)) {
		TH_LOG("umount %s: %s", LAB_DIR, strerror(errno));
	}
	lab_mount(_metadata, lab);
	lab_load(_metadata, lab);
	lab->twin = open(LAB_TWIN, O_RDWR);
	ASSERT_LE(0, lab->twin);

	vm = map_aligned(_metadata, lab->dev, len, PROT_READ, MAP_SHARED, 0);
	tw = map_aligned(_metadata, lab->twin, len, PROT_READ, MAP_SHARED, 0);
	sv = sum_counted(vm, len, &majv);
	st = sum_counted(tw, len, &majt);
	TH_LOG("after rmmod, remount, insmod: sums vmlab %016llx, twin %016llx, want %016llx",
	       (unsigned long long)sv, (unsigned long long)st, (unsigned long long)want2);
	EXPECT_EQ(want2, st);
	EXPECT_EQ(want2, sv);
	EXPECT_EQ((size_t)0, bad_pages(vm, n / 2, seed, 0));
	EXPECT_EQ((size_t)0, bad_pages(vm + len / 2, n / 2, seed2, n / 2));
	munmap(vm, len);
	munmap(tw, len);
	free(vv);
	free(tv);
}

TEST_HARNESS_MAIN
