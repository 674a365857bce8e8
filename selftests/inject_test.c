// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: the error paths, walked with vmlab's fault injection
 * (debugfs vmlab/inject/, see module/inject.c).
 *
 * For each kind, a scenario (open, select the kind, mmap, reads and writes,
 * fork, msync, munmap, close) runs in a child process again and again, the
 * Nth fallible step of the module failing in run N, from N = 1 until a run
 * takes fewer than N steps.  Every run must end in one of the ways the
 * kernel's own mappings end under the same failure: the scenario completes,
 * or a system call fails with its documented errno (ENOMEM, EIO), or the
 * child dies of SIGBUS.  After every run the module's live counters are
 * back to zero and the hugetlb pool is whole again.  A last walk fails each
 * step of module initialisation in turn (inject_nth_at_load), and a summary
 * requires every injection point of the module to have failed at least once.
 *
 * Needs root, debugfs, a hugetlb pool of 8 pages or more, and VMLAB_KO (set
 * by the vm-run guests): it reloads vmlab, and always loads it again with no
 * parameters when it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmlab_ksft.h"

#include "debugfs.h"
#include "device.h"
#include "kmodule.h"
#include "procfs.h"
#include "touch.h"

#define INJECT_DIR	VMLAB_DEBUGFS_PATH "/inject"
#define BACKING_PATH	"/tmp/vmlab-inject-backing"
#define STORE_ARGS	"backing=" BACKING_PATH " store_size=1M"
/* The store with 2 MiB folios: room for two of them. */
#define STORE_THP_ARGS	"backing=" BACKING_PATH " store_size=4M thp=always"
/* Points failed so far, one name per line, shared by the tests of this program. */
#define FAILED_LOG	"/tmp/vmlab-inject-failed"

/* Room for the names of every point, space-separated. */
#define NAMES_MAX	1024

/* A walk that has not ended after this many runs is a failure. */
#define MAX_RUNS	400
#define MAX_KERNEL_RUNS	4000

#define PAGES		8
#define HUGE_LEN	(4UL << 20)
#define HUGE_PAGE	(2UL << 20)

/* How a scenario run ended. */
enum outcome {
	RUN_DONE,		/* every step succeeded */
	RUN_ERRNO,		/* a step failed with its documented errno */
	RUN_SIGBUS,		/* the child died of SIGBUS */
	RUN_KILLED,		/* the child died of SIGSEGV or SIGKILL (kernel sites only) */
	NR_RUN_OUTCOMES
};

/* Exit codes of a scenario child. */
#define EXIT_DONE	0
#define EXIT_ERRNO	3
#define EXIT_WRONG	4

/*
 * In a scenario: @call failed; end the child with EXIT_ERRNO when errno is
 * one of the documented ones, else with EXIT_WRONG and a message.
 */
#define STEP_FAILED(call, ...) step_failed(call, errno, (const int[]){ __VA_ARGS__, 0 })

/*
 * In the walks of the kernel's sites (fail-nth), the scenario's process:
 * its /proc/thread-self/fail-nth, open before the count starts, and where
 * it tells the parent whether the count ran out (a page shared with it).
 */
static int fail_nth_fd = -1;
static int *fail_nth_fired;

/*
 * End a scenario with @code.  Under fail-nth, first note whether the count
 * ran out, and disarm it, through the open file: no new kernel site.
 */
static void __noreturn scenario_exit(int code)
{
	char text[16] = "";

	if (fail_nth_fd >= 0) {
		if (pread(fail_nth_fd, text, sizeof(text) - 1, 0) > 0)
			*fail_nth_fired = atoi(text) == 0;
		pwrite(fail_nth_fd, "0", 1, 0);
	}
	_exit(code);
}

/*
 * Errnos that the kernel's own sites may add, failing inside the core's
 * work for a system call (a VMA, a maple-tree node, a dentry, an inode of
 * hugetlbfs: ENOSPC), under fail-nth only.
 */
static const int kernel_errnos[] = { ENOMEM, EAGAIN, ENOSPC, EIO, 0 };

static void __noreturn step_failed(const char *call, int err, const int *allowed)
{
	const int *k;

	for (; *allowed; allowed++)
		if (err == *allowed)
			scenario_exit(EXIT_ERRNO);
	for (k = kernel_errnos; fail_nth_fd >= 0 && *k; k++)
		if (err == *k)
			scenario_exit(EXIT_ERRNO);
	fprintf(stderr, "# scenario: %s failed with %s, not a documented errno\n",
		call, strerror(err));
	scenario_exit(EXIT_WRONG);
}

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Read and write every page of [@p, @p + @len) and check what was written. */
static void touch(char *p, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len; i += page_size())
		vl_read_byte(p + i);
	for (i = 0; i < len; i += page_size())
		vl_write_byte(p + i, c);
	for (i = 0; i < len; i += page_size())
		if (vl_read_byte(p + i) != c) {
			fprintf(stderr, "# scenario: byte %zu reads %d, wrote %d\n", i,
				vl_read_byte(p + i), c);
			scenario_exit(EXIT_WRONG);
		}
}

/* fork a child that runs @fn(@p, @len) and wait for it; its failure is ours. */
static void in_fork(void (*fn)(char *, size_t), char *p, size_t len)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		STEP_FAILED("fork", ENOMEM, EAGAIN);
	if (pid == 0) {
		/* fail-nth is the parent's, and a fork starts with none. */
		fail_nth_fd = -1;
		fn(p, len);
		scenario_exit(EXIT_DONE);
	}
	if (waitpid(pid, &status, 0) != pid) {
		fprintf(stderr, "# scenario: waitpid: %s\n", strerror(errno));
		scenario_exit(EXIT_WRONG);
	}
	if (WIFSIGNALED(status))
		raise(WTERMSIG(status));
	if (WEXITSTATUS(status) != EXIT_DONE)
		scenario_exit(WEXITSTATUS(status));
}

static void write_b(char *p, size_t len)
{
	touch(p, len, 'b');
}

static int open_kind(unsigned int kind)
{
	int fd = vl_open(O_RDWR);

	if (fd < 0) {
		errno = -fd;
		STEP_FAILED("open", ENOMEM);
	}
	if (kind != VMLAB_KIND_STORE) {
		int ret = vl_select(fd, kind, -1);

		if (ret) {
			errno = -ret;
			STEP_FAILED("VMLAB_IOC_SET_KIND", ENOMEM);
		}
	}
	return fd;
}

static char *map(int fd, size_t len, int flags)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);

	if (p == MAP_FAILED)
		STEP_FAILED("mmap", ENOMEM);
	return p;
}

static void unmap_close(int fd, char *p, size_t len)
{
	if (munmap(p, len))
		STEP_FAILED("munmap", 0);
	if (close(fd)) {
		fprintf(stderr, "# scenario: close: %s\n", strerror(errno));
		scenario_exit(EXIT_WRONG);
	}
}

/*
 * What every base-page scenario starts with: open @kind, map PAGES pages
 * with @flags, read and write them, let a fork write them too; then a
 * private mapping still reads its own bytes, a shared one the fork's.
 */
static char *scenario_start(unsigned int kind, int flags, int *fd)
{
	size_t len = PAGES * page_size();
	char *p;

	*fd = open_kind(kind);
	p = map(*fd, len, flags);
	touch(p, len, 'a');
	in_fork(write_b, p, len);
	if (vl_read_byte(p) != (flags & MAP_SHARED ? 'b' : 'a'))
		scenario_exit(EXIT_WRONG);
	return p;
}

/* Private anonymous: zero pages, then copies; a fork shares them copy-on-write. */
static void scenario_private_anon(void)
{
	int fd;
	char *p = scenario_start(VMLAB_KIND_ANON, MAP_PRIVATE, &fd);

	unmap_close(fd, p, PAGES * page_size());
}

/* Shared anonymous: one object for the parent and its fork. */
static void scenario_shared_anon(void)
{
	int fd;
	char *p = scenario_start(VMLAB_KIND_ANON, MAP_SHARED, &fd);

	if (msync(p, PAGES * page_size(), MS_SYNC))
		STEP_FAILED("msync", EIO, ENOMEM);
	unmap_close(fd, p, PAGES * page_size());
}

/*
 * The store with backing= and thp=always: a 2 MiB folio made at the first
 * fault (thp_alloc; base pages when it fails), read, dirtied, written back.
 */
static void scenario_store_thp(void)
{
	int fd = open_kind(VMLAB_KIND_STORE);
	char *p = map(fd, HUGE_PAGE, MAP_SHARED), *last = p + HUGE_PAGE - page_size();

	/*
	 * Two pages, the first and the last: one 2 MiB folio with THP; without
	 * THP base pages, read and written one by one, so few of them keep the
	 * walk short.
	 */
	vl_write_byte(p, 'h');
	vl_write_byte(last, 'h');
	if (vl_read_byte(p) != 'h' || vl_read_byte(last) != 'h')
		scenario_exit(EXIT_WRONG);
	if (msync(p, HUGE_PAGE, MS_SYNC))
		STEP_FAILED("msync", EIO, ENOMEM);
	unmap_close(fd, p, HUGE_PAGE);
}

/* The store shared: pages read from the backing file, dirtied, written back. */
static void scenario_store_shared(void)
{
	size_t len = PAGES * page_size();
	int fd;
	char *p = scenario_start(VMLAB_KIND_STORE, MAP_SHARED, &fd);
	char buf[16];

	if (msync(p, len, MS_SYNC))
		STEP_FAILED("msync", EIO, ENOMEM);
	if (pwrite(fd, "c", 1, len) != 1)
		STEP_FAILED("pwrite", ENOMEM, EIO);
	if (pread(fd, buf, sizeof(buf), len + page_size()) < 0)
		STEP_FAILED("pread", ENOMEM, EIO);
	if (fsync(fd))
		STEP_FAILED("fsync", EIO, ENOMEM);
	unmap_close(fd, p, len);
}

/* The store private: its pages read, then copied on write, in a fork too. */
static void scenario_store_private(void)
{
	int fd;
	char *p = scenario_start(VMLAB_KIND_STORE, MAP_PRIVATE, &fd);

	unmap_close(fd, p, PAGES * page_size());
}

/*
 * Huge: 4 MiB from the pool; the first 2 MiB mapped with a PMD, the second
 * with PTEs once a hole at its end keeps the VMA from covering it.  Without
 * THP every page is mapped with a PTE, each a step: then only a few pages
 * of the first 2 MiB are touched too.
 */
static void scenario_huge(void)
{
	bool thp = !access("/sys/kernel/mm/transparent_hugepage", F_OK);
	size_t first = thp ? HUGE_PAGE : PAGES * page_size();
	int fd = open_kind(VMLAB_KIND_HUGE);
	char *p = map(fd, HUGE_LEN, MAP_SHARED);

	touch(p, first, 'a');
	if (munmap(p + HUGE_LEN - page_size(), page_size()))
		STEP_FAILED("munmap of a hole", 0);
	/* A few of its 4 KiB pages: each is a step, and the walk runs once per step. */
	touch(p + HUGE_PAGE, PAGES * page_size(), 'a');
	if (thp) {
		in_fork(write_b, p, HUGE_PAGE + PAGES * page_size());
	} else {
		in_fork(write_b, p, first);
		in_fork(write_b, p + HUGE_PAGE, PAGES * page_size());
	}
	if (msync(p, HUGE_LEN - page_size(), MS_SYNC))
		STEP_FAILED("msync", EIO, ENOMEM);
	unmap_close(fd, p, HUGE_LEN - page_size());
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -errno;
}

static long read_number(const char *path)
{
	char *text = NULL;
	long v;

	if (vl_read_text(path, &text))
		return -1;
	v = strtol(text, NULL, 10);
	free(text);
	return v;
}

/* Add point @name to the space-separated @names and, when open, to @log. */
static void note_failed(FILE *log, char *names, size_t size, const char *name)
{
	size_t used = strlen(names);

	snprintf(names + used, size - used, "%s%s", used ? " " : "", name);
	if (log)
		fprintf(log, "%s\n", name);
}

/*
 * The points that failed since the numbers were zeroed, appended to
 * FAILED_LOG, space-separated into @names; returns how many.
 */
static int points_failed(char *names, size_t size)
{
	char *text = NULL, *line, *save;
	int n = 0;
	FILE *log;

	names[0] = '\0';
	if (vl_read_text(INJECT_DIR "/points", &text))
		return -1;
	log = fopen(FAILED_LOG, "a");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		long long calls, injected;

		if (sscanf(line, "%63s %lld %lld", name, &calls, &injected) != 3 || !injected)
			continue;
		note_failed(log, names, size, name);
		n++;
	}
	if (log)
		fclose(log);
	free(text);
	return n;
}

/* Live counters that must be 0 when nothing of vmlab is open or mapped. */
static const char *const live_counters[] = {
	"files_live", "objects_live", "huge_files_live", "huge_pages_held",
	"vmas_live_private_cow", "vmas_live_shared", "vmas_live_private_anon",
	"vmas_live_shared_anon", "vmas_live_huge",
};

/* The first live counter that is not 0 (into @name, @value), or NULL. */
static const char *live_left(uint64_t *value)
{
	struct vl_counters c;
	size_t i;

	if (vl_counters_read(&c))
		return "(counters unreadable)";
	for (i = 0; i < ARRAY_SIZE(live_counters); i++)
		if (vl_counter_get(&c, live_counters[i], value) || *value)
			return live_counters[i];
	return NULL;
}

static int reload_vmlab(const char *args)
{
	int ret = 0;

	/* Waits for the references of a scenario that is still exiting. */
	if (vl_module_loaded())
		ret = vl_module_unload(5000);
	return ret ? ret : vl_module_load(args);
}

/* A backing file of 1 MiB, page i filled with 'A' + i % 26. */
static int make_backing(void)
{
	char page[4096];
	int fd, i;

	fd = open(BACKING_PATH, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	for (i = 0; i < 256; i++) {
		memset(page, 'A' + i % 26, sizeof(page));
		if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page)) {
			close(fd);
			return -EIO;
		}
	}
	close(fd);
	return 0;
}

static bool can_reload(struct __test_metadata *_metadata)
{
	const char *ko = getenv("VMLAB_KO");

	if (!ko || !*ko)
		SKIP(return false, "VMLAB_KO unset: vmlab is reloaded only in the vm-run guests");
	if (geteuid())
		SKIP(return false, "reloading vmlab needs root");
	return true;
}

/* HugePages_Free of /proc/meminfo, or -1. */
static long long huge_free(void)
{
	long long v;

	return vl_meminfo_field("HugePages_Free", &v) ? -1 : v;
}

/* Start every run of this program with an empty FAILED_LOG. */
static void __attribute__((constructor)) clear_failed_log(void)
{
	unlink(FAILED_LOG);
}

/*
 * The knobs of the kernel's failslab and fail_page_alloc that keep fail-nth
 * away from the allocations a scenario makes (GFP_KERNEL, GFP_HIGHUSER,
 * order 0), and their values for the walks of the kernel's sites; the
 * fixture restores what it found.
 */
static const struct {
	const char *path;
	const char *value;
} fail_knobs[] = {
	{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/failslab/verbose", "0" },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
	{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
	{ INJECT_DIR "/fail_attr/verbose", "0" },
};

#define NR_FAIL_KNOBS	ARRAY_SIZE(fail_knobs)

#define NO_FAIL_NTH \
	"no fail-nth: CONFIG_FAULT_INJECTION is off (make check-debug walks the kernel's sites)"

FIXTURE(walk) {
	long long huge_free;
	char *saved[NR_FAIL_KNOBS];
};

FIXTURE_VARIANT(walk) {
	const char *name;
	void (*scenario)(void);
	/* Module parameters to reload vmlab with before each run; NULL: no reload. */
	const char *load_args;
	/* Points the walk must fail at least once. */
	const char *must_fail[8];
	/*
	 * Walk the kernel's fault-injection sites (fail-nth of the scenario's
	 * task: failslab, fail_page_alloc and vmlab's points together), not
	 * vmlab's own count.  Kernels without CONFIG_FAULT_INJECTION skip it.
	 */
	bool kernel_sites;
};

FIXTURE_VARIANT_ADD(walk, private_anon) {
	.name = "private_anon",
	.scenario = scenario_private_anon,
	.must_fail = { "file_alloc", "object_alloc", "object_inode", "object_file",
		       "zero_page_map" },
};

FIXTURE_VARIANT_ADD(walk, shared_anon) {
	.name = "shared_anon",
	.scenario = scenario_shared_anon,
	.must_fail = { "file_alloc", "object_alloc", "object_data",
		       "object_file" },
};

FIXTURE_VARIANT_ADD(walk, store_shared) {
	.name = "store_shared",
	.scenario = scenario_store_shared,
	.load_args = STORE_ARGS,
	.must_fail = { "file_alloc", "backing_read", "backing_write" },
};

FIXTURE_VARIANT_ADD(walk, store_private) {
	.name = "store_private",
	.scenario = scenario_store_private,
	.load_args = STORE_ARGS,
	.must_fail = { "file_alloc", "backing_read" },
};

FIXTURE_VARIANT_ADD(walk, store_thp) {
	.name = "store_thp",
	.scenario = scenario_store_thp,
	.load_args = STORE_THP_ARGS,
	.must_fail = { "file_alloc", "backing_read", "backing_write" },
};

FIXTURE_VARIANT_ADD(walk, huge) {
	.name = "huge",
	.scenario = scenario_huge,
	.must_fail = { "file_alloc", "huge_file_open", "huge_state_alloc", "dax_inode",
		       "dax_file", "huge_fallocate", "huge_xa_store" },
};

FIXTURE_VARIANT_ADD(walk, kernel_private_anon) {
	.name = "kernel_private_anon",
	.scenario = scenario_private_anon,
	.kernel_sites = true,
};

FIXTURE_VARIANT_ADD(walk, kernel_shared_anon) {
	.name = "kernel_shared_anon",
	.scenario = scenario_shared_anon,
	.kernel_sites = true,
};

FIXTURE_VARIANT_ADD(walk, kernel_store_shared) {
	.name = "kernel_store_shared",
	.scenario = scenario_store_shared,
	.load_args = STORE_ARGS,
	.kernel_sites = true,
};

FIXTURE_VARIANT_ADD(walk, kernel_huge) {
	.name = "kernel_huge",
	.scenario = scenario_huge,
	.kernel_sites = true,
};

FIXTURE_SETUP(walk)
{
	size_t i;

	if (!can_reload(_metadata))
		return;
	if (variant->kernel_sites) {
		if (access("/proc/self/fail-nth", W_OK))
			SKIP(return, "%s", NO_FAIL_NTH);
		for (i = 0; i < NR_FAIL_KNOBS; i++) {
			ASSERT_EQ(0, vl_read_text(fail_knobs[i].path, &self->saved[i])) {
				TH_LOG("%s: %s", fail_knobs[i].path, strerror(errno));
			}
			ASSERT_EQ(0, write_file(fail_knobs[i].path, fail_knobs[i].value));
		}
	}
	ASSERT_EQ(0, access(INJECT_DIR "/nth", W_OK)) {
		TH_LOG("%s: %s", INJECT_DIR "/nth", strerror(errno));
	}
	ASSERT_EQ(0, make_backing());
	self->huge_free = huge_free();
	if (variant->scenario == scenario_huge && self->huge_free < 8)
		SKIP(return, "needs 8 free huge pages, has %lld", self->huge_free);
}

FIXTURE_TEARDOWN(walk)
{
	size_t i;

	for (i = 0; i < NR_FAIL_KNOBS; i++)
		if (self->saved[i]) {
			write_file(fail_knobs[i].path, self->saved[i]);
			free(self->saved[i]);
		}
	write_file(INJECT_DIR "/nth", "0");
	write_file(INJECT_DIR "/pid", "0");
	if (variant->load_args)
		EXPECT_EQ(0, reload_vmlab(""));
	unlink(BACKING_PATH);
}

/* One run: the scenario with the @nth fallible step failing; an enum outcome or -1. */
static int run_once(struct __test_metadata *_metadata, const FIXTURE_VARIANT(walk) * variant,
		    long nth, bool *injected, char *names, size_t size)
{
	int go[2], status, ret, n;
	char text[32];
	pid_t pid;
	uint64_t value;
	const char *left;
	int *fired;

	if (variant->load_args) {
		ret = reload_vmlab(variant->load_args);
		EXPECT_EQ(0, ret) {
			TH_LOG("reload with %s: %s", variant->load_args, strerror(-ret));
			return -1;
		}
	}
	EXPECT_EQ(0, write_file(INJECT_DIR "/points", "0"));
	fired = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	EXPECT_NE(MAP_FAILED, fired);
	EXPECT_EQ(0, pipe(go));
	snprintf(text, sizeof(text), "%ld", nth);
	pid = fork();
	EXPECT_LE(0, pid);
	if (pid < 0 || fired == MAP_FAILED)
		return -1;
	if (pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(EXIT_WRONG);
		if (variant->kernel_sites) {
			fail_nth_fired = fired;
			fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
			if (fail_nth_fd < 0 || pwrite(fail_nth_fd, text, strlen(text), 0) < 0)
				_exit(EXIT_WRONG);
		}
		variant->scenario();
		scenario_exit(EXIT_DONE);
	}
	close(go[0]);
	if (!variant->kernel_sites) {
		char pid_text[16];

		snprintf(pid_text, sizeof(pid_text), "%d", pid);
		EXPECT_EQ(0, write_file(INJECT_DIR "/pid", pid_text));
		EXPECT_EQ(0, write_file(INJECT_DIR "/nth", text));
	}
	EXPECT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	if (variant->kernel_sites) {
		/* Only a failure makes a scenario die of a signal. */
		*injected = *fired || WIFSIGNALED(status);
		n = points_failed(names, size);
		EXPECT_GE(1, n);
	} else {
		/* A count left means the run took fewer than @nth steps. */
		*injected = read_number(INJECT_DIR "/nth") == 0;
		write_file(INJECT_DIR "/nth", "0");
		n = points_failed(names, size);
		EXPECT_EQ(*injected ? 1 : 0, n) {
			TH_LOG("run %ld: points failed: '%s'", nth, names);
		}
	}
	munmap(fired, page_size());
	if (variant->kernel_sites && !n && *injected)
		snprintf(names, size, "a kernel site");

	left = live_left(&value);
	EXPECT_EQ(NULL, left) {
		TH_LOG("run %ld (%s failed): live counter %s is %llu after the run",
		       nth, names, left, (unsigned long long)value);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_DONE)
		return RUN_DONE;
	if (*injected && WIFEXITED(status) && WEXITSTATUS(status) == EXIT_ERRNO)
		return RUN_ERRNO;
	if (*injected && WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		return RUN_SIGBUS;
	/* The kernel's sites fail stack growth (SIGSEGV) and may OOM-kill. */
	if (variant->kernel_sites && WIFSIGNALED(status) &&
	    (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGKILL))
		return RUN_KILLED;
	TH_LOG("run %ld (%s failed): the scenario ended with %s %d", nth,
	       *injected ? names : "nothing", WIFSIGNALED(status) ? "signal" : "exit status",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return -1;
}

/*
 * A walk of vmlab's steps takes up to a hundred runs, one of the kernel's
 * sites a few hundred; a run takes up to a second under TCG and a debug kernel.
 */
TEST_F_TIMEOUT(walk, every_step_fails_once, 1800)
{
	int outcomes[NR_RUN_OUTCOMES] = { 0 };
	char seen[1024] = "", names[256];
	long max_runs = variant->kernel_sites ? MAX_KERNEL_RUNS : MAX_RUNS;
	bool injected = true;
	long nth;
	int o, i;

	for (nth = 1; injected && nth <= max_runs; nth++) {
		o = run_once(_metadata, variant, nth, &injected, names, sizeof(names));
		ASSERT_LE(0, o);
		outcomes[o]++;
		if (injected && strcmp(names, "a kernel site") && !strstr(seen, names)) {
			strncat(seen, " ", sizeof(seen) - strlen(seen) - 1);
			strncat(seen, names, sizeof(seen) - strlen(seen) - 1);
		}
		ASSERT_EQ(self->huge_free, huge_free()) {
			TH_LOG("run %ld (%s failed): HugePages_Free %lld, was %lld", nth, names,
			       huge_free(), self->huge_free);
		}
	}
	ASSERT_FALSE(injected) {
		TH_LOG("still injecting after %ld runs", max_runs);
	}
	TH_LOG("%s: %ld runs, %ld %s failed in turn", variant->name, nth - 1, nth - 2,
	       variant->kernel_sites ? "kernel and vmlab sites" : "vmlab steps");
	TH_LOG("%s: runs that completed %d, ended with an errno %d, SIGBUS %d, SIGSEGV/SIGKILL %d",
	       variant->name, outcomes[RUN_DONE], outcomes[RUN_ERRNO], outcomes[RUN_SIGBUS],
	       outcomes[RUN_KILLED]);
	TH_LOG("%s: vmlab points failed:%s", variant->name, seen);
	for (i = 0; i < 8 && variant->must_fail[i]; i++) {
		char word[80];

		snprintf(word, sizeof(word), " %s", variant->must_fail[i]);
		EXPECT_NE(NULL, strstr(seen, word)) {
			TH_LOG("%s never failed in the %s walk", variant->must_fail[i],
			       variant->name);
		}
	}
}

/*
 * A failure at every try: with probability 100 at one point of the fault
 * path, a fault must still end, as the kernel's own handlers end when they
 * cannot map: the 4 KiB maps with SIGBUS, the PMD map by falling back to
 * 4 KiB entries (the fault is then served).  VM_FAULT_OOM instead would
 * have the kernel retry the fault for ever.  The toucher is a child the
 * test waits for SPIN_WAIT_S seconds at most, then kills: a fault that
 * spins is a failed test, not a hung suite.
 */
#define SPIN_WAIT_S	30

/* Exit codes of the toucher besides EXIT_DONE. */
#define EXIT_SETUP	2
#define EXIT_DATA	5

FIXTURE(spin) {
	long long huge_free;
};

FIXTURE_VARIANT(spin) {
	const char *point;
	unsigned int kind;
	int flags;
	size_t len;
	/* Bytes unmapped at the end of the mapping before the touch. */
	size_t hole;
	/* Offset of the byte touched. */
	size_t at;
	/* The signal the toucher must die of; 0: the fault is served. */
	int sig;
	/* Needs PMD maps of file pages (->huge_fault): a kernel with THP. */
	bool pmd;
};

FIXTURE_VARIANT_ADD(spin, zero_page_map) {
	.point = "zero_page_map",
	.kind = VMLAB_KIND_ANON,
	.flags = MAP_PRIVATE,
	.len = 4 * 4096,
	.sig = SIGBUS,
};

/* The second 2 MiB has a hole at its end: it is mapped 4 KiB at a time. */
FIXTURE_VARIANT_ADD(spin, huge_pte_map) {
	.point = "huge_pte_map",
	.kind = VMLAB_KIND_HUGE,
	.flags = MAP_SHARED,
	.len = HUGE_LEN,
	.hole = 4096,
	.at = HUGE_PAGE,
	.sig = SIGBUS,
};

FIXTURE_VARIANT_ADD(spin, huge_pmd_map) {
	.point = "huge_pmd_map",
	.kind = VMLAB_KIND_HUGE,
	.flags = MAP_SHARED,
	.len = HUGE_LEN,
	.sig = 0,
	.pmd = true,
};

FIXTURE_SETUP(spin)
{
	if (geteuid())
		SKIP(return, "debugfs needs root");
	if (access(INJECT_DIR "/probability", W_OK))
		SKIP(return, "%s: %s", INJECT_DIR "/probability", strerror(errno));
	if (variant->pmd && access("/sys/kernel/mm/transparent_hugepage", F_OK))
		SKIP(return, "no THP in this kernel (PREEMPT_RT): no PMD maps, %s is never reached",
		     variant->point);
	self->huge_free = huge_free();
	if (variant->kind == VMLAB_KIND_HUGE && self->huge_free < 2)
		SKIP(return, "needs 2 free huge pages, has %lld", self->huge_free);
}

FIXTURE_TEARDOWN(spin)
{
	write_file(INJECT_DIR "/probability", "0");
	write_file(INJECT_DIR "/point", "all");
	write_file(INJECT_DIR "/pid", "0");
}

/* The toucher: map, write a byte, read it back; the fault is the test. */
static void __noreturn spin_toucher(const FIXTURE_VARIANT(spin) * variant, int go)
{
	char c, *p;
	int fd;

	if (read(go, &c, 1) != 1)
		_exit(EXIT_SETUP);
	fd = vl_open(O_RDWR);
	if (fd < 0 || (variant->kind != VMLAB_KIND_STORE && vl_select(fd, variant->kind, -1)))
		_exit(EXIT_SETUP);
	p = mmap(NULL, variant->len, PROT_READ | PROT_WRITE, variant->flags, fd, 0);
	if (p == MAP_FAILED)
		_exit(EXIT_SETUP);
	if (variant->hole && munmap(p + variant->len - variant->hole, variant->hole))
		_exit(EXIT_SETUP);
	vl_write_byte(p + variant->at, 's');
	_exit(vl_read_byte(p + variant->at) == 's' ? EXIT_DONE : EXIT_DATA);
}

/* Wait up to @seconds for @pid; then kill it. 0, or -ETIMEDOUT when killed. */
static int wait_bounded(pid_t pid, int *status, int seconds)
{
	int i;

	for (i = 0; i < seconds * 10; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 0;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -ETIMEDOUT;
}

/* The points file's numbers of @point: calls into *@calls, and failures injected; or -1. */
static long long point_numbers(const char *point, long long *calls)
{
	char *text = NULL, *line, *save;
	long long injected = -1;
	char name[64];

	*calls = -1;
	if (vl_read_text(INJECT_DIR "/points", &text))
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%63s %lld %lld", name, calls, &injected) == 3 &&
		    !strcmp(name, point))
			break;
	free(text);
	return injected;
}

/* The points file's count of failures injected at @point, or -1. */
static long long injected_at(const char *point)
{
	long long calls;

	return point_numbers(point, &calls);
}

TEST_F_TIMEOUT(spin, fault_ends, 2 * SPIN_WAIT_S + 30)
{
	char pid_text[16];
	int go[2], status = 0, ret;
	long long injected;
	pid_t pid;

	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		spin_toucher(variant, go[0]);
	}
	close(go[0]);
	snprintf(pid_text, sizeof(pid_text), "%d", pid);
	ASSERT_EQ(0, write_file(INJECT_DIR "/points", "0"));
	ASSERT_EQ(0, write_file(INJECT_DIR "/point", variant->point));
	ASSERT_EQ(0, write_file(INJECT_DIR "/pid", pid_text));
	ASSERT_EQ(0, write_file(INJECT_DIR "/probability", "100"));
	ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	ret = wait_bounded(pid, &status, SPIN_WAIT_S);
	injected = injected_at(variant->point);
	write_file(INJECT_DIR "/probability", "0");
	TH_LOG("%s failing always: %lld failures injected; the toucher %s %d", variant->point,
	       injected, WIFSIGNALED(status) ? "died of signal" : "exited with",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	ASSERT_EQ(0, ret) {
		TH_LOG("the fault at %s did not end within %d s (%lld failures injected): it spins",
		       variant->point, SPIN_WAIT_S, injected);
	}
	EXPECT_LT(0, injected) {
		TH_LOG("%s was never reached", variant->point);
	}
	if (variant->sig) {
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == variant->sig) {
			TH_LOG("expected signal %d", variant->sig);
		}
	} else {
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_DONE) {
			TH_LOG("expected the fallback to serve the fault (exit %d)", EXIT_DONE);
		}
	}
	if (variant->kind == VMLAB_KIND_HUGE)
		EXPECT_EQ(self->huge_free, huge_free());
}

/*
 * The hook is behind a static key (inject.c): a control that asks for
 * failures arms it, and the points are counted; back to nothing asked,
 * it is disarmed, and they are not.  ROUNDS times each way, with a read
 * fault of a private anonymous page (one call of zero_page_map) after
 * each change: each arming and disarming patches the module's code, and
 * no fault runs meanwhile.  The point control names a step of module
 * initialisation, so nothing fails.  With CONFIG_FAULT_INJECTION the key
 * stays armed (vmlab cannot see fail-nth): every call counts.
 */
FIXTURE(arm) {
	int fd;
	char *p;
};

FIXTURE_VARIANT(arm) {
	const char *control;	/* in INJECT_DIR */
	const char *armed;	/* a value that arms it */
};

FIXTURE_VARIANT_ADD(arm, nth) {
	.control = "nth", .armed = "1000000",
};

FIXTURE_VARIANT_ADD(arm, probability) {
	.control = "probability", .armed = "100",
};

#define ARM_ROUNDS	300

FIXTURE_SETUP(arm)
{
	int ret;

	self->p = MAP_FAILED;
	self->fd = vl_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ret = vl_select(self->fd, VMLAB_KIND_ANON, -1);
	ASSERT_EQ(0, ret) {
		TH_LOG("select the anon kind: %s", strerror(-ret));
	}
	self->p = mmap(NULL, 2 * ARM_ROUNDS * page_size(), PROT_READ, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->p);
	ASSERT_EQ(0, write_file(INJECT_DIR "/point", "misc_register"));
	ASSERT_EQ(0, write_file(INJECT_DIR "/pid", "0"));
	ASSERT_EQ(0, write_file(INJECT_DIR "/points", "0"));
}

FIXTURE_TEARDOWN(arm)
{
	write_file(INJECT_DIR "/nth", "0");
	write_file(INJECT_DIR "/probability", "0");
	write_file(INJECT_DIR "/point", "all");
	if (self->p != MAP_FAILED)
		munmap(self->p, 2 * ARM_ROUNDS * page_size());
	if (self->fd >= 0)
		close(self->fd);
}

/* Read-fault page @i of @p; the calls of zero_page_map it added, or -1. */
static long long fault_calls(char *p, int i)
{
	long long before, after;

	point_numbers("zero_page_map", &before);
	vl_read_byte(p + (size_t)i * page_size());
	point_numbers("zero_page_map", &after);
	return before < 0 || after < 0 ? -1 : after - before;
}

TEST_F(arm, key_follows_the_controls)
{
	bool always = !access("/proc/self/fail-nth", F_OK);
	char path[128];
	long long armed, disarmed;
	int i, wrong = 0;

	snprintf(path, sizeof(path), INJECT_DIR "/%s", variant->control);
	for (i = 0; i < ARM_ROUNDS; i++) {
		ASSERT_EQ(0, write_file(path, variant->armed));
		armed = fault_calls(self->p, 2 * i);
		ASSERT_EQ(0, write_file(path, "0"));
		disarmed = fault_calls(self->p, 2 * i + 1);
		if (armed != 1 || disarmed != (always ? 1 : 0)) {
			if (!wrong++)
				TH_LOG("round %d: %s armed: %lld calls, disarmed: %lld; want 1, %d",
				       i, variant->control, armed, disarmed, always ? 1 : 0);
		}
	}
	TH_LOG("%s armed and disarmed %d times%s: %d rounds counted wrong", variant->control,
	       ARM_ROUNDS, always ? " (CONFIG_FAULT_INJECTION: always armed)" : "", wrong);
	EXPECT_EQ(0, wrong);
	EXPECT_EQ(0, injected_at("misc_register"));
}

/*
 * The points of the failures injected since @fd (/dev/kmsg) was opened,
 * from the module's log lines; appended to FAILED_LOG and @names.
 */
static int kmsg_injected(int fd, char *names, size_t size)
{
	static const char mark[] = "vmlab: injected a failure at ";
	char rec[1024], name[64];
	const char *at;
	FILE *log = fopen(FAILED_LOG, "a");
	ssize_t n;
	int found = 0;

	names[0] = '\0';
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n < 0)
			continue;
		rec[n] = '\0';
		at = strstr(rec, mark);
		if (!at || sscanf(at + strlen(mark), "%63s", name) != 1)
			continue;
		note_failed(log, names, size, name);
		found++;
	}
	if (log)
		fclose(log);
	return found;
}

/*
 * The fixtures below have no state; they are fixtures, not TEST()s, so that
 * they run after the walks, in the order they are defined.
 */
FIXTURE(load) {
};

FIXTURE_SETUP(load)
{
}

FIXTURE_TEARDOWN(load)
{
}

/* Module initialisation: each of its steps failing makes insmod fail, cleanly. */
TEST_F(load, steps_fail_once)
{
	char args[160], names[256], seen[512] = "";
	int ret = 0, kfd;
	long nth;

	if (!can_reload(_metadata))
		return;
	ASSERT_EQ(0, make_backing());
	ASSERT_EQ(0, vl_module_unload(5000));
	for (nth = 1; nth <= 50; nth++) {
		kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
		ASSERT_LE(0, kfd);
		lseek(kfd, 0, SEEK_END);
		snprintf(args, sizeof(args), "%s inject_nth_at_load=%ld", STORE_ARGS, nth);
		ret = vl_module_load(args);
		if (!ret) {
			close(kfd);
			break;
		}
		EXPECT_EQ(-ENOMEM, ret) {
			TH_LOG("insmod with step %ld failing: %s", nth, strerror(-ret));
		}
		EXPECT_FALSE(vl_module_loaded());
		EXPECT_EQ(1, kmsg_injected(kfd, names, sizeof(names))) {
			TH_LOG("insmod with step %ld failing: points failed '%s'", nth, names);
		}
		close(kfd);
		strncat(seen, " ", sizeof(seen) - strlen(seen) - 1);
		strncat(seen, names, sizeof(seen) - strlen(seen) - 1);
	}
	EXPECT_EQ(0, ret) {
		TH_LOG("insmod still failing with step 50 failing");
	}
	TH_LOG("module initialisation: %ld steps failed in turn, each with ENOMEM; points:%s",
	       nth - 1, seen);
	EXPECT_EQ(0, vl_module_unload(5000));
	EXPECT_EQ(0, vl_module_load(""));
	unlink(BACKING_PATH);
}

FIXTURE(summary) {
};

FIXTURE_SETUP(summary)
{
}

FIXTURE_TEARDOWN(summary)
{
}

/* Whether @log (FAILED_LOG: one name per line) holds the line @name. */
static bool logged(const char *log, const char *name)
{
	size_t len = strlen(name);
	const char *at;

	for (at = strstr(log, name); at; at = strstr(at + 1, name))
		if ((at == log || at[-1] == '\n') && at[len] == '\n')
			return true;
	return false;
}

/* Every point of the module failed in one of the walks above. */
TEST_F(summary, every_point_failed)
{
	char *points = NULL, *failed = NULL, *line, *save;
	char missing[NAMES_MAX] = "", hits[NAMES_MAX] = "", unreachable[NAMES_MAX] = "";
	/*
	 * Without THP no PMD is ever mapped, no 2 MiB folio made and no tmpfs
	 * mounted with huge=: the PMD map, the store's 2 MiB allocation and
	 * the THP mounts are no steps at all.
	 */
	bool thp = !access("/sys/kernel/mm/transparent_hugepage", F_OK);
	int total = 0, hit = 0;

	if (!can_reload(_metadata))
		return;
	ASSERT_EQ(0, vl_read_text(INJECT_DIR "/points", &points));
	ASSERT_EQ(0, vl_read_text(FAILED_LOG, &failed)) {
		TH_LOG("%s: no walk recorded a failure", FAILED_LOG);
	}
	for (line = strtok_r(points, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		char *list;

		if (sscanf(line, "%63s", name) != 1)
			continue;
		if (!thp && (!strcmp(name, "huge_pmd_map") || !strcmp(name, "thp_alloc") ||
			     !strcmp(name, "thp_mount"))) {
			snprintf(unreachable + strlen(unreachable),
				 NAMES_MAX - strlen(unreachable), " %s", name);
			continue;
		}
		total++;
		hit += logged(failed, name);
		list = logged(failed, name) ? hits : missing;
		snprintf(list + strlen(list), NAMES_MAX - strlen(list), " %s", name);
	}
	TH_LOG("%d of %d injection points failed at least once:%s%s%s%s%s", hit, total, hits,
	       *missing ? "; never:" : "", missing,
	       *unreachable ? "; not reachable without THP:" : "", unreachable);
	EXPECT_EQ(total, hit);
	EXPECT_LT(0, total);
	free(points);
	free(failed);
}

TEST_HARNESS_MAIN
