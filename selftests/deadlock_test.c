// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: write-back of the store against a writer of its backing
 * file whose source buffer is a shared mapping of the store.
 *
 * Thread A loops write(2) of store page 0 and VMLAB_IOC_WRITEBACK; thread B
 * loops MADV_DONTNEED of a shared mapping of store page 0 and a write(2) of
 * that mapping to the backing file.  B's write holds the backing inode's
 * lock while it faults the mapping in, and the fault takes the store page's
 * lock; write-back must therefore never do backing-file I/O under that
 * lock.  A worker process runs the two threads for a bounded number of
 * rounds (and seconds); a watchdog in the test reports a worker that does
 * not finish as a deadlock, with the state and wait channel of its threads,
 * instead of hanging the suite (the stuck tasks stay behind: vmlab then
 * cannot be unloaded, and the guest's hung-task detector reports them too).
 *
 * A second test writes the backing file from store pages never used
 * before: each fault then reads the backing file while the write holds its
 * inode's lock, which XFS's read(2) would take too.
 *
 * The backing file lives on a fresh tmpfs, and on ext4 and XFS over a loop
 * device (modules from $VMLAB_KMODDIR, which vm-run sets; a variant whose
 * mkfs is missing is skipped).  Needs root and the
 * vm-run guest (VMLAB_KO): the test reloads vmlab with backing= and loads
 * it again with no parameters when it ends.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
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

#include "device.h"
#include "kmodule.h"

#define DL_DIR		"/tmp/vmlab-deadlock"
#define DL_IMAGE	"/tmp/vmlab-deadlock.img"
#define DL_BACKING	DL_DIR "/backing"
#define DL_ARGS		"backing=" DL_BACKING " store_size=4M"

/* Rounds of each thread, and the most seconds the worker spends on them. */
#define DL_ROUNDS	2000
#define DL_SECONDS	10
/* A worker still running this long after its start is deadlocked. */
#define DL_WATCHDOG_S	60

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

FIXTURE(deadlock)
{
	int unused;
};

FIXTURE_VARIANT(deadlock)
{
	const char *fs;		/* filesystem of the backing file */
	const char *mkfs;	/* its mkfs, for a block device */
	const char *image_size;	/* the size of its loop device's file */
};

FIXTURE_VARIANT_ADD(deadlock, tmpfs)
{
	.fs = "tmpfs",
};

FIXTURE_VARIANT_ADD(deadlock, ext4)
{
	.fs = "ext4", .mkfs = "mkfs.ext4 -q -F", .image_size = "64M",
};

/* XFS: its buffered read takes the inode's I/O lock shared, its write exclusive. */
FIXTURE_VARIANT_ADD(deadlock, xfs)
{
	.fs = "xfs", .mkfs = "mkfs.xfs -q -f", .image_size = "512M",
};

/* Make DL_DIR a fresh mount of @fs: true, or false when the test is skipped. */
static bool mount_fs(struct __test_metadata *_metadata, const char *fs, const char *mkfs,
		     const char *image_size)
{
	const char *kmoddir = getenv("VMLAB_KMODDIR");

	ASSERT_TRUE(mkdir(DL_DIR, 0700) == 0 || errno == EEXIST);
	if (!mkfs) {
		ASSERT_EQ(0, mount(fs, DL_DIR, fs, 0, "size=64m")) {
			TH_LOG("mount %s: %s", fs, strerror(errno));
		}
		return true;
	}
	/* A block device filesystem on a loop device over a file of the guest's tmpfs /tmp. */
	if (vmlab_ksft_run("set -- %s; command -v $1 >/dev/null", mkfs))
		SKIP(return false, "no %s here", mkfs);
	if (vmlab_ksft_run("grep -qw %s /proc/filesystems && test -e /dev/loop-control", fs)) {
		if (!kmoddir || access(kmoddir, F_OK))
			SKIP(return false, "no %s or loop, and no modules of this kernel to load",
			     fs);
		/* A kernel of our own (the debug kernel) has no modules of them. */
		if (vmlab_ksft_run("modprobe -q -d '%s' -a loop %s", kmoddir, fs))
			SKIP(return false, "no %s or loop in this kernel, built in or as a module",
			     fs);
	}
	ASSERT_EQ(0, vmlab_ksft_run("truncate -s %s %s && %s %s", image_size, DL_IMAGE, mkfs,
				    DL_IMAGE)) {
		TH_LOG("%s %s failed", mkfs, DL_IMAGE);
	}
	ASSERT_EQ(0, vmlab_ksft_run("mount -t %s -o loop %s %s", fs, DL_IMAGE, DL_DIR)) {
		TH_LOG("mount -o loop %s failed", DL_IMAGE);
	}
	return true;
}

FIXTURE_SETUP(deadlock)
{
	const char *ko = getenv("VMLAB_KO");
	int ret;

	if (!ko || !*ko)
		SKIP(return, "VMLAB_KO unset: vmlab is reloaded only in the vm-run guests");
	if (geteuid())
		SKIP(return, "reloading vmlab needs root");
	ASSERT_TRUE(vl_module_loaded());
	if (!mount_fs(_metadata, variant->fs, variant->mkfs, variant->image_size))
		return;
	ret = vl_module_unload(0);
	ASSERT_EQ(0, ret) {
		TH_LOG("rmmod vmlab: %s", strerror(-ret));
	}
	ret = vl_module_load(DL_ARGS);
	ASSERT_EQ(0, ret) {
		TH_LOG("insmod vmlab %s: %s", DL_ARGS, strerror(-ret));
	}
}

/* In the parent, once the test's process is gone: vmlab as it was, DL_DIR unmounted. */
FIXTURE_TEARDOWN_PARENT(deadlock)
{
	int ret;

	if (!getenv("VMLAB_KO") || !*getenv("VMLAB_KO") || geteuid())
		return;
	if (vl_module_loaded()) {
		ret = vl_module_unload(5000);
		EXPECT_EQ(0, ret) {
			TH_LOG("rmmod vmlab: %s", strerror(-ret));
		}
	}
	if (umount2(DL_DIR, 0) && errno != EINVAL && errno != ENOENT)
		TH_LOG("umount %s: %s", DL_DIR, strerror(errno));
	unlink(DL_IMAGE);
	rmdir(DL_DIR);
	if (!vl_module_loaded()) {
		ret = vl_module_load("");
		EXPECT_EQ(0, ret) {
			TH_LOG("insmod %s: %s", getenv("VMLAB_KO"), strerror(-ret));
		}
	}
}

/* What the two threads of the worker share. */
struct scenario {
	int dev;		/* /dev/vmlab */
	int backing;		/* the backing file */
	char *map;		/* store page 0, MAP_SHARED */
	char *buf;		/* a page of data */
	time_t deadline;
	unsigned int rounds[2];
	int err[2];		/* errno of the first failure of each thread */
};

/* Thread A: write store page 0, then write the store back. */
static void *writer_of_store(void *arg)
{
	struct scenario *s = arg;
	size_t ps = page_size();
	unsigned int i;

	for (i = 0; i < DL_ROUNDS && time(NULL) < s->deadline; i++) {
		s->buf[0] = (char)i;
		if (pwrite(s->dev, s->buf, ps, 0) != (ssize_t)ps ||
		    ioctl(s->dev, VMLAB_IOC_WRITEBACK) != 0) {
			s->err[0] = errno;
			break;
		}
		s->rounds[0]++;
	}
	return NULL;
}

/* Thread B: drop the mapping's entry, then write the mapping to the backing file. */
static void *writer_of_backing(void *arg)
{
	struct scenario *s = arg;
	size_t ps = page_size();
	unsigned int i;

	for (i = 0; i < DL_ROUNDS && time(NULL) < s->deadline; i++) {
		if (madvise(s->map, ps, MADV_DONTNEED) ||
		    pwrite(s->backing, s->map, ps, (off_t)ps) != (ssize_t)ps) {
			s->err[1] = errno;
			break;
		}
		s->rounds[1]++;
	}
	return NULL;
}

/* The worker process: exit 0 after both threads' rounds, else a code. */
static void racing_worker(void)
{
	size_t ps = page_size();
	struct scenario s = { 0 };
	pthread_t a, b;

	s.dev = vl_open(O_RDWR);
	s.backing = open(DL_BACKING, O_RDWR);
	if (s.dev < 0 || s.backing < 0)
		_exit(10);
	s.map = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, s.dev, 0);
	s.buf = malloc(ps);
	if (s.map == MAP_FAILED || !s.buf)
		_exit(11);
	memset(s.buf, 0x5a, ps);
	s.deadline = time(NULL) + DL_SECONDS;
	if (pthread_create(&a, NULL, writer_of_store, &s) ||
	    pthread_create(&b, NULL, writer_of_backing, &s))
		_exit(12);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	dprintf(STDOUT_FILENO,
		"# worker: %u rounds of write+writeback, %u of madvise+write to the backing file\n",
		s.rounds[0], s.rounds[1]);
	if (s.err[0] || s.err[1]) {
		dprintf(STDOUT_FILENO, "# worker: errors: store writer %s, backing writer %s\n",
			strerror(s.err[0]), strerror(s.err[1]));
		_exit(13);
	}
	_exit(0);
}

/* Log the state, wait channel and kernel stack of every thread of @pid. */
static void log_tasks(struct __test_metadata *_metadata, pid_t pid)
{
	char path[PATH_MAX], line[512], *p;
	struct dirent *d;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, d->d_name);
		f = fopen(path, "r");
		if (f && fgets(line, sizeof(line), f)) {
			p = strrchr(line, ')');
			TH_LOG("task %s: state %c", d->d_name, p && p[1] ? p[2] : '?');
		}
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, d->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			TH_LOG("task %s:   %s", d->d_name, line);
		}
		if (f)
			fclose(f);
	}
	closedir(dir);
}

/*
 * The other writer of the backing file alone: write(2) to it, page by page,
 * from a shared mapping of store pages never used before, so that each
 * fault reads its page from the backing file while the write holds the
 * backing inode's lock.  Page i of the backing file holds bytes i + 1, the
 * last page only its first half (the rest reads as zeroes): the store
 * must read them so.
 */
static void first_fault_worker(void)
{
	size_t ps = page_size(), i, n = 64, len;
	int dev = vl_open(O_RDWR), backing = open(DL_BACKING, O_RDWR);
	char *map, *buf = malloc(ps);

	if (dev < 0 || backing < 0 || !buf)
		_exit(10);
	for (i = 0; i < n; i++) {
		len = i == n - 1 ? ps / 2 : ps;
		memset(buf, (int)(i + 1), len);
		if (pwrite(backing, buf, len, (off_t)(i * ps)) != (ssize_t)len)
			_exit(11);
	}
	map = mmap(NULL, n * ps, PROT_READ, MAP_SHARED, dev, 0);
	if (map == MAP_FAILED)
		_exit(12);
	for (i = 0; i < n; i++) {
		len = i == n - 1 ? ps / 2 : ps;
		if (pwrite(backing, map + i * ps, len, (off_t)(i * ps)) != (ssize_t)len) {
			dprintf(STDOUT_FILENO, "# worker: page %zu: %s\n", i, strerror(errno));
			_exit(13);
		}
		if (map[i * ps] != (char)(i + 1) || map[i * ps + len - 1] != (char)(i + 1) ||
		    (len < ps && map[i * ps + len] != 0)) {
			dprintf(STDOUT_FILENO, "# worker: store page %zu reads %d %d, not %zu\n",
				i, map[i * ps], map[i * ps + len - 1], i + 1);
			_exit(14);
		}
	}
	_exit(0);
}

/* Wait for worker @pid: fail, with what its threads wait for, when it does not finish. */
static void watch(struct __test_metadata *_metadata, pid_t pid, const char *fs)
{
	time_t start = time(NULL);
	int status = 0;
	pid_t w;

	/* The watchdog: the worker's rounds end within DL_SECONDS unless it is stuck. */
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 && time(NULL) - start < DL_WATCHDOG_S)
		usleep(100000);
	ASSERT_NE(0, w) {
		TH_LOG("deadlock: the worker (pid %d) is still running after %d s; its threads:",
		       pid, DL_WATCHDOG_S);
		log_tasks(_metadata, pid);
		kill(pid, SIGKILL);
	}
	ASSERT_EQ(pid, w);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("worker: status 0x%x", status);
	}
	TH_LOG("backing file on %s: the worker finished in %ld s", fs,
	       (long)(time(NULL) - start));
}

TEST_F_TIMEOUT(deadlock, writeback_against_backing_writer, 150)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid)
		racing_worker();
	watch(_metadata, pid, variant->fs);
}

TEST_F_TIMEOUT(deadlock, backing_write_from_unread_store_pages, 150)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid)
		first_fault_worker();
	watch(_metadata, pid, variant->fs);
}

TEST_HARNESS_MAIN
