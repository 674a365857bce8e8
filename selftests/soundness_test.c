// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: what a hostile or merely unprivileged user must not be
 * able to do through /dev/vmlab, each compared with the native mapping
 * where there is one.
 *
 *   offset       offsets past what a file may hold: the errno of a memfd
 *   private_anon a private anonymous mapping shares nothing with the store
 *                (mincore(2) equals MAP_PRIVATE|MAP_ANONYMOUS, the store's
 *                reverse map does not list it)
 *   limits       the node is root's until granted; an unprivileged mapper
 *                is bounded by its memory cgroup; shared anonymous objects
 *                are not charged to RLIMIT_MEMLOCK, as native ones are not
 *   unload       unloading races the last munmap of a shared anonymous
 *                object (run it under KASAN: make check-debug)
 *   drop_caches  drop_caches and POSIX_FADV_DONTNEED lose no byte of the
 *                store
 *   backing      a backing file the store cannot read lock-free is refused
 *   listings     debugfs listings longer than one read buffer
 *   inode_cache  unloading vmlab leaves no trace in the kernel's inode cache:
 *                pipes opened after it free their inodes (regression: the
 *                store's fake-hashed inode made its slab successors undroppable)
 *
 * Needs root and vmlab loaded with its default store_size.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmlab_ksft.h"
#include "vmlab_uapi.h"
#include "debugfs.h"
#include "device.h"
#include "kmodule.h"
#include "listings.h"
#include "procfs.h"
#include "touch.h"

#define PS		4096UL
#define NOBODY		65534
#define LFS_MAX		0x7fffffffffffffffULL	/* MAX_LFS_FILESIZE on 64-bit */

/* ---- offset: the same errno as a tmpfs file ---- */

FIXTURE(offset)
{
	int fd;
	int twin;
};

FIXTURE_VARIANT(offset)
{
	unsigned int kind;
	int flags;
	unsigned long long off;
	unsigned long pages;
};

FIXTURE_VARIANT_ADD(offset, anon_shared_2_63)
{
	.kind = VMLAB_KIND_ANON, .flags = MAP_SHARED, .off = 1ULL << 63, .pages = 1,
};

FIXTURE_VARIANT_ADD(offset, anon_shared_2_62)
{
	.kind = VMLAB_KIND_ANON, .flags = MAP_SHARED, .off = 1ULL << 62, .pages = 1,
};

FIXTURE_VARIANT_ADD(offset, anon_shared_last_page)
{
	.kind = VMLAB_KIND_ANON, .flags = MAP_SHARED, .off = (LFS_MAX & ~4095ULL), .pages = 1,
};

FIXTURE_VARIANT_ADD(offset, anon_shared_last_fit)
{
	.kind = VMLAB_KIND_ANON, .flags = MAP_SHARED, .off = (LFS_MAX & ~4095ULL) - PS, .pages = 1,
};

FIXTURE_VARIANT_ADD(offset, anon_shared_straddle)
{
	.kind = VMLAB_KIND_ANON, .flags = MAP_SHARED, .off = (LFS_MAX & ~4095ULL) - PS, .pages = 4,
};

FIXTURE_VARIANT_ADD(offset, anon_private_2_63)
{
	.kind = VMLAB_KIND_ANON, .flags = MAP_PRIVATE, .off = 1ULL << 63, .pages = 1,
};

FIXTURE_VARIANT_ADD(offset, store_shared_2_63)
{
	.kind = VMLAB_KIND_STORE, .flags = MAP_SHARED, .off = 1ULL << 63, .pages = 1,
};

FIXTURE_VARIANT_ADD(offset, store_private_2_62)
{
	.kind = VMLAB_KIND_STORE, .flags = MAP_PRIVATE, .off = 1ULL << 62, .pages = 2,
};

FIXTURE_VARIANT_ADD(offset, store_private_last_page)
{
	.kind = VMLAB_KIND_STORE, .flags = MAP_PRIVATE, .off = (LFS_MAX & ~4095ULL), .pages = 1,
};

FIXTURE_SETUP(offset)
{
	self->fd = open(VMLAB_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open: %s (vmlab loaded?)", strerror(errno));
	ASSERT_EQ(0, vl_select(self->fd, variant->kind, -1));
	self->twin = memfd_create("vmlab-twin", 0);
	ASSERT_LE(0, self->twin);
}

FIXTURE_TEARDOWN(offset)
{
	close(self->fd);
	close(self->twin);
}

/* mmap(2) straight through the syscall: libc's off_t cannot say 2^63. */
static void *map_at(int fd, size_t len, int flags, unsigned long long off)
{
	return (void *)syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE, flags, fd,
			       (unsigned long)off);
}

TEST_F(offset, errno_of_a_tmpfs_file)
{
	size_t len = variant->pages * PS;
	void *v, *t;
	int ve, te;

	errno = 0;
	v = map_at(self->fd, len, variant->flags, variant->off);
	ve = v == MAP_FAILED ? errno : 0;
	errno = 0;
	t = map_at(self->twin, len, variant->flags, variant->off);
	te = t == MAP_FAILED ? errno : 0;
	TH_LOG("offset %#llx, %lu pages: vmlab %s, memfd %s", variant->off, variant->pages,
	       ve ? strerror(ve) : "mapped", te ? strerror(te) : "mapped");
	EXPECT_EQ(te, ve);
	if (v != MAP_FAILED)
		munmap(v, len);
	if (t != MAP_FAILED)
		munmap(t, len);
}

/* ---- private_anon: nothing of the store shows through ---- */

FIXTURE(private_anon)
{
	int fd;
	char *vmlab;
	char *twin;
};

FIXTURE_VARIANT(private_anon)
{
	unsigned long pages;
	bool read_first;	/* read page 0 before comparing */
};

FIXTURE_VARIANT_ADD(private_anon, untouched)
{
	.pages = 16,
};

FIXTURE_VARIANT_ADD(private_anon, one_page_read)
{
	.pages = 16, .read_first = true,
};

FIXTURE_SETUP(private_anon)
{
	size_t len = variant->pages * PS;
	char buf[PS];
	unsigned long i;

	self->fd = open(VMLAB_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open: %s (vmlab loaded?)", strerror(errno));
	/* The store is resident at every offset the mapping covers. */
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < variant->pages; i++)
		ASSERT_EQ((ssize_t)PS, pwrite(self->fd, buf, PS, i * PS));
	ASSERT_EQ(0, vl_select(self->fd, VMLAB_KIND_ANON, -1));
	self->vmlab = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->vmlab);
	self->twin = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->twin);
}

FIXTURE_TEARDOWN(private_anon)
{
	munmap(self->vmlab, variant->pages * PS);
	munmap(self->twin, variant->pages * PS);
	close(self->fd);
}

/* The mappers of the store (object 0) in debugfs objects, or -1. */
static long long store_mappers(void)
{
	struct vl_object_row *rows;
	long long mappers = -1;
	size_t n, i;

	if (vl_objects_read(&rows, &n))
		return -1;
	for (i = 0; i < n; i++)
		if (rows[i].id == 0)
			mappers = rows[i].mappers;
	free(rows);
	return mappers;
}

TEST_F(private_anon, mincore_equals_twin_and_store_unlisted)
{
	unsigned char mv[64], mt[64];
	unsigned long i;
	long long mappers;
	int diff = 0;

	if (variant->read_first) {
		EXPECT_EQ(0, vl_read_byte(self->vmlab));
		EXPECT_EQ(0, vl_read_byte(self->twin));
	}
	ASSERT_EQ(0, mincore(self->vmlab, variant->pages * PS, mv));
	ASSERT_EQ(0, mincore(self->twin, variant->pages * PS, mt));
	for (i = 0; i < variant->pages; i++) {
		if ((mv[i] & 1) != (mt[i] & 1)) {
			TH_LOG("page %lu: mincore vmlab %d, native %d", i, mv[i] & 1, mt[i] & 1);
			diff++;
		}
	}
	EXPECT_EQ(0, diff);
	/* The store's reverse map does not hold the private anonymous VMA. */
	mappers = store_mappers();
	EXPECT_EQ(0, mappers) {
		TH_LOG("store mappers %lld with only a private anonymous mapping", mappers);
	}
}

/* ---- limits: who may open, and what an unprivileged mapper may hold ---- */

/* Drop to nobody with the group the device was granted to (or none). */
static int become_nobody(bool granted)
{
	gid_t group = VMLAB_TEST_GROUP;

	if (setgroups(granted ? 1 : 0, &group) || setgid(NOBODY) || setuid(NOBODY))
		return -errno;
	return 0;
}

/*
 * Exit status of a child that joins the cgroup @memcg (when not NULL) and
 * runs @fn as nobody; 128 + N when killed by signal N.
 */
static int as_nobody(const char *memcg, bool granted, int (*fn)(void *), void *arg)
{
	char path[192];
	pid_t pid;
	int status, fd;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (memcg) {
			snprintf(path, sizeof(path), "%s/cgroup.procs", memcg);
			fd = open(path, O_WRONLY);
			if (fd < 0 || write(fd, "0", 1) != 1)
				_exit(119);
			close(fd);
		}
		_exit(become_nobody(granted) ? 120 : fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int open_errno(void *flags)
{
	int fd = open(VMLAB_DEVICE_PATH, *(int *)flags);

	if (fd >= 0)
		return 0;
	return errno;
}

FIXTURE(limits)
{
};

FIXTURE_SETUP(limits)
{
	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, vl_device_ungrant());
}

FIXTURE_TEARDOWN(limits)
{
	vl_device_ungrant();
}

TEST_F(limits, node_needs_the_group)
{
	int e, rdwr = O_RDWR;

	e = as_nobody(NULL, false, open_errno, &rdwr);
	EXPECT_EQ(EACCES, e) TH_LOG("open as nobody, no group: %d", e);
	ASSERT_EQ(0, vl_device_grant(VMLAB_TEST_GROUP));
	e = as_nobody(NULL, true, open_errno, &rdwr);
	EXPECT_EQ(0, e) TH_LOG("open as nobody in the device's group: %d", e);
	e = as_nobody(NULL, false, open_errno, &rdwr);
	EXPECT_EQ(EACCES, e) TH_LOG("open as nobody, other groups: %d", e);
}

/*
 * Shared anonymous mappings of each size, through vmlab and natively, under
 * a small RLIMIT_MEMLOCK: their pages are tmpfs's, swappable, so neither
 * counts against the limit.
 */
struct memlock_try {
	rlim_t limit;
	size_t sizes[4];
};

static int memlock_child(void *arg)
{
	struct memlock_try *t = arg;
	struct rlimit rl = { t->limit, t->limit };
	int i, fd = open(VMLAB_DEVICE_PATH, O_RDWR);

	if (fd < 0 || setrlimit(RLIMIT_MEMLOCK, &rl) || vl_select(fd, VMLAB_KIND_ANON, -1))
		return 121;
	for (i = 0; i < 4 && t->sizes[i]; i++) {
		void *v = mmap(NULL, t->sizes[i], PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		int ev = v == MAP_FAILED ? errno : 0;
		void *n = mmap(NULL, t->sizes[i], PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		int en = n == MAP_FAILED ? errno : 0;

		if (ev != en || ev) {
			printf("# map %d, %zu bytes, RLIMIT_MEMLOCK %llu: vmlab %s, native %s\n",
			       i, t->sizes[i], (unsigned long long)t->limit,
			       ev ? strerror(ev) : "mapped", en ? strerror(en) : "mapped");
			return 1 + i;
		}
		/* Touched: resident pages count no more than mapped ones. */
		memset(v, 1, t->sizes[i]);
		memset(n, 1, t->sizes[i]);
	}
	return 0;
}

TEST_F(limits, shared_anon_not_charged_to_rlimit_memlock)
{
	struct memlock_try t = {
		.limit = 256 * PS,
		.sizes = { 128 * PS, 128 * PS, PS, 512 * PS },
	};
	int st;

	ASSERT_EQ(0, vl_device_grant(VMLAB_TEST_GROUP));
	st = as_nobody(NULL, true, memlock_child, &t);
	EXPECT_EQ(0, st);
}

/* cgroup2 mounted at self->cg, and a child cgroup with memory.max = @max. */
static int make_memcg(char *cg, size_t cglen, char *dir, size_t dirlen, unsigned long max)
{
	char path[192], val[32];
	int fd;

	snprintf(cg, cglen, "/tmp/vmlab-cg-XXXXXX");
	if (!mkdtemp(cg))
		return -errno;
	if (mount("none", cg, "cgroup2", 0, NULL)) {
		int e = -errno;

		rmdir(cg);
		cg[0] = 0;
		return e;
	}
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "+memory", 7) != 7) {
		if (fd >= 0)
			close(fd);
		return -ENODEV;
	}
	close(fd);
	snprintf(dir, dirlen, "%s/vmlab-limit", cg);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/memory.max", dir);
	snprintf(val, sizeof(val), "%lu", max);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val)) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	close(fd);
	snprintf(path, sizeof(path), "%s/memory.swap.max", dir);
	fd = open(path, O_WRONLY);
	/* Absent without swap accounting: nothing to turn off then. */
	if (fd >= 0 && write(fd, "0", 1) != 1) {
		close(fd);
		return -EIO;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Write @val to @file of cgroup @dir: 0, or -1. */
static int write_cg(const char *dir, const char *file, unsigned long val)
{
	char path[192], buf[32];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(buf, sizeof(buf), "%lu", val);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, buf, strlen(buf)) == (ssize_t)strlen(buf);
	close(fd);
	return ok ? 0 : -1;
}

static long long cg_value(const char *dir, const char *file, const char *key)
{
	char path[192], buf[4096], *p;
	long long v = -1;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (!key)
		return atoll(buf);
	p = strstr(buf, key);
	if (p && sscanf(p + strlen(key), " %lld", &v) == 1)
		return v;
	return -1;
}

struct cg_job {
	const char *dir;
	bool by_read;		/* read(2) the store, else write through a shared mapping */
	bool memfd;		/* a memfd of the same size, not the store */
	size_t len;
};

static int cg_child(void *arg)
{
	struct cg_job *j = arg;
	char *buf;
	size_t i;
	int fd;

	if (j->memfd) {
		fd = memfd_create("vmlab-soundness-twin", 0);
		if (fd < 0 || ftruncate(fd, j->len))
			return 125;
	} else {
		fd = open(VMLAB_DEVICE_PATH, O_RDWR);
	}
	if (fd < 0)
		return 121;
	if (j->by_read) {
		buf = malloc(1 << 20);
		if (!buf)
			return 122;
		for (i = 0; i < j->len; i += 1 << 20)
			if (pread(fd, buf, 1 << 20, i) < 0)
				return errno == ENOMEM ? 0 : 123;
		return 0;
	}
	buf = mmap(NULL, j->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buf == MAP_FAILED)
		return 124;
	for (i = 0; i < j->len; i += PS)
		buf[i] = 1;
	return 0;
}

FIXTURE(memcg)
{
	char cg[64];
	char dir[128];
};

FIXTURE_VARIANT(memcg)
{
	bool by_read;
	bool backing;	/* the store with a backing file (MEMCG_BACKING) */
};

#define MEMCG_BACKING	"/tmp/vmlab-soundness-backing"

FIXTURE_VARIANT_ADD(memcg, through_mapping)
{
	.by_read = false,
};

FIXTURE_VARIANT_ADD(memcg, through_read)
{
	.by_read = true,
};

FIXTURE_VARIANT_ADD(memcg, backed_through_mapping)
{
	.by_read = false, .backing = true,
};

FIXTURE_SETUP(memcg)
{
	self->cg[0] = 0;
	self->dir[0] = 0;
	if (geteuid() || !getenv("VMLAB_KO"))
		SKIP(return, "needs root and $VMLAB_KO to load vmlab afresh");
	/* A fresh store: pages already resident would be charged to nobody. */
	ASSERT_EQ(0, vl_module_unload(5000));
	unlink(MEMCG_BACKING);
	ASSERT_EQ(0, vl_module_load(variant->backing ? "backing=" MEMCG_BACKING : ""));
}

FIXTURE_TEARDOWN(memcg)
{
	if (variant->backing) {
		EXPECT_EQ(0, vl_module_unload(5000));
		EXPECT_EQ(0, vl_module_load(""));
		unlink(MEMCG_BACKING);
	}
	vl_device_ungrant();
	if (self->dir[0])
		rmdir(self->dir);
	if (self->cg[0]) {
		umount2(self->cg, MNT_DETACH);
		rmdir(self->cg);
	}
}

TEST_F(memcg, store_charged_to_memcg)
{
	unsigned long max = 8UL << 20;
	struct cg_job job = { .by_read = variant->by_read };
	struct vmlab_info info;
	long long peak, oom_kills;
	int fd, st, err;

	fd = open(VMLAB_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_info(fd, &info));
	close(fd);
	ASSERT_EQ(variant->backing, (bool)info.has_backing);
	job.len = info.store_size;
	err = make_memcg(self->cg, sizeof(self->cg), self->dir, sizeof(self->dir), max);
	if (err == -ENODEV || err == -ENOENT)
		SKIP(return, "no memory controller in this kernel");
	ASSERT_EQ(0, err) TH_LOG("cgroup: %s", strerror(-err));
	job.dir = self->dir;
	ASSERT_EQ(0, vl_device_grant(VMLAB_TEST_GROUP));
	ASSERT_LT(max * 2, job.len) TH_LOG("store of %llu bytes", (unsigned long long)job.len);

	st = as_nobody(self->dir, true, cg_child, &job);
	peak = cg_value(self->dir, "memory.peak", NULL);
	if (peak < 0)
		peak = cg_value(self->dir, "memory.current", NULL);
	oom_kills = cg_value(self->dir, "memory.events", "oom_kill");
	TH_LOG("%s %llu bytes of the store as nobody in memory.max %lu: %s %d, %s %lld, %s %lld",
	       variant->by_read ? "read" : "wrote", (unsigned long long)job.len, max, "status", st,
	       "peak", peak, "oom_kill", oom_kills);
	/* The limit held, never above memory.max. */
	EXPECT_GE((long long)max, peak);
	if (!variant->backing && !variant->by_read) {
		struct cg_job twin = job;
		long long twin_peak, twin_ooms;
		int twin_st;

		/*
		 * Without a backing file the store is a tmpfs file: its pages
		 * are charged to the writer's cgroup and, with no swap there
		 * (memory.swap.max 0), cannot be reclaimed; the writer fares
		 * as a memfd's does, in a fresh cgroup of the same limits.
		 */
		ASSERT_EQ(0, rmdir(self->dir));
		ASSERT_EQ(0, mkdir(self->dir, 0755));
		ASSERT_EQ(0, write_cg(self->dir, "memory.max", max));
		write_cg(self->dir, "memory.swap.max", 0);
		twin.memfd = true;
		twin_st = as_nobody(self->dir, true, cg_child, &twin);
		twin_peak = cg_value(self->dir, "memory.peak", NULL);
		if (twin_peak < 0)
			twin_peak = cg_value(self->dir, "memory.current", NULL);
		twin_ooms = cg_value(self->dir, "memory.events", "oom_kill");
		TH_LOG("memfd twin: status %d, peak %lld, oom_kill %lld", twin_st, twin_peak,
		       twin_ooms);
		EXPECT_LT((long long)max / 2, peak);
		EXPECT_EQ(twin_st, st);
		EXPECT_EQ(twin_ooms > 0, oom_kills > 0);
		return;
	}
	/*
	 * And the task finished: the store's pages are reclaimable file pages
	 * (with a backing file), so the cgroup reclaims them (writing the
	 * dirty ones back) instead of killing the task, as for a file on a
	 * disk filesystem; reading the store allocates nothing.
	 */
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, oom_kills);
}

/* ---- unload: racing the last munmap of a shared anonymous object ---- */

TEST(unload_races_last_munmap)
{
	int i, unloaded_after = 0, rounds = 40;

	if (geteuid() || !getenv("VMLAB_KO"))
		SKIP(return, "needs root and $VMLAB_KO to load vmlab again");
	for (i = 0; i < rounds; i++) {
		int go[2], fd, status;
		pid_t pid;
		char c;

		ASSERT_EQ(0, pipe(go));
		if (!vl_module_loaded())
			ASSERT_EQ(0, vl_module_load(""));
		fd = open(VMLAB_DEVICE_PATH, O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, vl_select(fd, VMLAB_KIND_ANON, -1));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			char *p = mmap(NULL, 16 * PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

			close(fd);
			if (p == MAP_FAILED)
				_exit(1);
			memset(p, 7, 16 * PS);
			if (read(go[0], &c, 1) != 1)
				_exit(2);
			/* Only the mapping holds the object, its file and the module now. */
			munmap(p, 16 * PS);
			_exit(0);
		}
		close(fd);
		/* Let the child map first; the parent's file is gone. */
		usleep(2000);
		ASSERT_EQ(1, write(go[1], "x", 1));
		/* Spins through the munmap; gives up after about 10 s. */
		for (int tries = 0; vl_module_unload(0) != 0 && tries < 100000; tries++)
			if (tries > 1000)
				usleep(100);
		unloaded_after += !vl_module_loaded();
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		close(go[0]);
		close(go[1]);
	}
	EXPECT_EQ(rounds, unloaded_after);
	ASSERT_EQ(0, vl_module_load(""));
}

/*
 * ---- fadvise, drop_caches: the store's contents survive eviction ----
 * The store's pages are evictable file pages; write-back put the bytes in
 * the backing file (without backing=, the store's own tmpfs file) before it
 * cleaned them, so a dropped page reads back the same.
 */

/* What the pages of the store read after @how, compared with what was written. */
static int written_back_then(struct __test_metadata *_metadata, const char *how)
{
	struct vmlab_info info;
	char buf[PS], back[PS];
	off_t at = 8 * PS;
	int fd, err = 0, i, bad = 0;

	fd = open(VMLAB_DEVICE_PATH, O_RDWR);
	if (fd < 0 || vl_info(fd, &info))
		return -1;
	for (i = 0; i < (int)PS; i++)
		buf[i] = (char)(i * 7 + 3);
	if (pwrite(fd, buf, PS, at) != (ssize_t)PS || ioctl(fd, VMLAB_IOC_WRITEBACK))
		return -1;
	/* Write-back cleaned the page: a clean page is what may be dropped. */
	if (!strcmp(how, "fadvise")) {
		err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	} else {
		int dc = open("/proc/sys/vm/drop_caches", O_WRONLY);

		if (dc < 0 || write(dc, "1", 1) != 1)
			err = errno;
		if (dc >= 0)
			close(dc);
	}
	if (err)
		TH_LOG("%s: %s", how, strerror(err));
	if (pread(fd, back, PS, at) != (ssize_t)PS)
		return -1;
	for (i = 0; i < (int)PS; i++)
		bad += back[i] != buf[i];
	if (bad)
		TH_LOG("%d of %lu bytes changed after %s (byte 0: %d, was %d); backing %u",
		       bad, PS, how, back[0], buf[0], info.has_backing);
	close(fd);
	return err ? -1 : bad;
}

/*
 * ---- inode_cache: an unload leaves nothing behind in the kernel's inode cache ----
 * Each round unloads vmlab (freeing the store's inodes into the slab cache
 * that pipes, anonymous inodes and vmlab's own objects share), opens
 * pipes, whose inodes come from that cache, loads vmlab again and closes
 * the pipes.  Every closed pipe must free its inode: the count of inodes
 * in use (/proc/sys/fs/inode-nr, after drop_caches) ends where it began,
 * as for the twin, the same pipes with no unload in between.
 */
#define INODE_ROUNDS		32
#define PIPES_PER_ROUND		64
#define INODE_SLACK		8
#define INODE_RCU_WAIT_US	100000

FIXTURE(inode_cache)
{
};

FIXTURE_VARIANT(inode_cache) {
	bool reload;
};

FIXTURE_VARIANT_ADD(inode_cache, vmlab_reloaded) {
	.reload = true,
};

FIXTURE_VARIANT_ADD(inode_cache, twin_no_reload) {
	.reload = false,
};

FIXTURE_SETUP(inode_cache)
{
	if (geteuid() || !getenv("VMLAB_KO"))
		SKIP(return, "needs root and $VMLAB_KO to load vmlab again");
}

FIXTURE_TEARDOWN(inode_cache)
{
	if (!vl_module_loaded())
		vl_module_load("");
}

/*
 * Inodes allocated and not yet destroyed, once every cache that can be
 * dropped is (an inode with page cache stays off the LRU until then); -1
 * on error, with the step that failed logged.
 */
static long inodes_in_use(struct __test_metadata *_metadata)
{
	long nr, unused;
	char *text;
	int err, n;

	sync();
	err = vl_write_file("/proc/sys/vm/drop_caches", "3");
	if (err) {
		TH_LOG("drop_caches: %s", strerror(-err));
		return -1;
	}
	err = vl_read_text("/proc/sys/fs/inode-nr", &text);
	if (err) {
		TH_LOG("/proc/sys/fs/inode-nr: %s", strerror(-err));
		return -1;
	}
	n = sscanf(text, "%ld %ld", &nr, &unused);
	free(text);
	if (n != 2) {
		TH_LOG("/proc/sys/fs/inode-nr: not two numbers");
		return -1;
	}
	return nr - unused;
}

/*
 * On one CPU: the unload frees the store's inodes (RCU callbacks queued on
 * the unloading CPU) into that CPU's slab free list, where the next
 * inodes, the pipes', are taken from.  Up to two minutes for a debug kernel.
 */
TEST_F_TIMEOUT(inode_cache, closed_pipes_free_their_inodes, 120)
{
	int fds[PIPES_PER_ROUND][2];
	long before, after;
	int round, i;

	ASSERT_EQ(0, vmlab_ksft_one_cpu());
	before = inodes_in_use(_metadata);
	ASSERT_LE(0, before);
	for (round = 0; round < INODE_ROUNDS; round++) {
		/* The unload's RCU callbacks free the store's inodes meanwhile. */
		if (variant->reload)
			ASSERT_EQ(0, vl_module_unload(5000));
		usleep(INODE_RCU_WAIT_US);
		/* Pipes first, so that the load's own inodes do not take those objects back. */
		for (i = 0; i < PIPES_PER_ROUND; i++)
			ASSERT_EQ(0, pipe(fds[i]));
		if (variant->reload)
			ASSERT_EQ(0, vl_module_load(""));
		for (i = 0; i < PIPES_PER_ROUND; i++) {
			close(fds[i][0]);
			close(fds[i][1]);
		}
	}
	after = inodes_in_use(_metadata);
	ASSERT_LE(0, after);
	TH_LOG("%s: inodes in use %ld before %d rounds of %d pipes, %ld after",
	       variant->reload ? "vmlab reloaded each round" : "twin, no reload",
	       before, INODE_ROUNDS, PIPES_PER_ROUND, after);
	EXPECT_GE(INODE_SLACK, after - before);
}

/*
 * Neither drop_caches nor POSIX_FADV_DONTNEED loses a byte of the store,
 * with or without a backing file: what they drop was written back.
 */
TEST(drop_caches_keeps_the_store)
{
	if (geteuid())
		SKIP(return, "needs root");
	EXPECT_EQ(0, written_back_then(_metadata, "drop_caches"));
}

TEST(fadvise_dontneed_keeps_the_store)
{
	EXPECT_EQ(0, written_back_then(_metadata, "fadvise"));
}

/*
 * ---- backing: only files the store can read without their I/O lock ----
 * hugetlbfs has no ->read_folio and is not tmpfs: refused at load.
 */
TEST(backing_without_page_cache_reads_refused)
{
	const char *path = "/dev/hugepages/vmlab-backing";
	char args[128];
	struct stat st;
	int err;

	if (geteuid() || !getenv("VMLAB_KO"))
		SKIP(return, "needs root and $VMLAB_KO to load vmlab again");
	if (stat("/dev/hugepages", &st) || !S_ISDIR(st.st_mode))
		SKIP(return, "no hugetlbfs at /dev/hugepages");
	ASSERT_EQ(0, vl_module_unload(5000));
	snprintf(args, sizeof(args), "backing=%s", path);
	err = vl_module_load(args);
	if (!err)
		vl_module_unload(5000);
	unlink(path);
	ASSERT_EQ(0, vl_module_load(""));
	EXPECT_EQ(-EINVAL, err) TH_LOG("load with %s: %s", args, strerror(-err));
}

/* ---- listings: longer than one read buffer, every entry once ---- */

static int count_lines_with(const char *file, const char *word)
{
	char path[128], buf[8192];
	int fd, n = 0, len = strlen(word);
	ssize_t r, i;
	size_t col = 0;
	bool match = true;

	snprintf(path, sizeof(path), VMLAB_DEBUGFS_PATH "/%s", file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	/* Small reads: the seq_file restarts its walk many times. */
	while ((r = read(fd, buf, 100)) > 0) {
		for (i = 0; i < r; i++) {
			if (buf[i] == '\n') {
				n += match && col >= (size_t)len;
				col = 0;
				match = true;
				continue;
			}
			if (col < (size_t)len && buf[i] != word[col])
				match = false;
			col++;
		}
	}
	close(fd);
	return r < 0 ? -errno : n;
}

TEST(listings_longer_than_a_buffer)
{
	enum { N = 600 };
	char pidword[16], *p[N];
	int i, fd, vmas, objects;

	fd = open(VMLAB_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_select(fd, VMLAB_KIND_ANON, -1));
	for (i = 0; i < N; i++) {
		/* A gap between mappings: no two are one VMA. */
		p[i] = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p[i]);
	}
	snprintf(pidword, sizeof(pidword), "%d ", getpid());
	vmas = count_lines_with("vmas", pidword);
	objects = count_lines_with("objects", "");
	TH_LOG("%d mappings: %d vmas lines of this process, %d objects lines", N, vmas, objects);
	EXPECT_EQ(N, vmas);
	/* A header, the store and one object per mapping, at least. */
	EXPECT_LE(N + 2, objects);
	for (i = 0; i < N; i++)
		munmap(p[i], PS);
	close(fd);
}

TEST_HARNESS_MAIN
