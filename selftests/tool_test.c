// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: the vmlab tool, run as a program and read back through
 * its --json output with libvmlab's JSON parser.
 *
 *   tour        vmlab tour --json SECTION, one variant per section: the
 *               facts that make each section's point (reclaim: swap steps
 *               only when /proc/swaps lists a device, skipped otherwise)
 *   inspect     vmlab inspect --json on a child process that holds one
 *               mapping of each kind: each VMA, with the right kind of pages
 *   page_types  vmlab inspect against the kernel's tools/mm/page-types on
 *               the same range of each mapping: the same PFNs and flag names
 *   walk        vmlab walk and walk --json on a private anonymous mapping of
 *               this process, vmlab's and native: the table (runs folded,
 *               bits as letters) and every JSON field, against pagemap
 *   stat        vmlab stat --json and --watch
 *   bench_pf    vmlab bench pf --json, short: every case, mode and field,
 *               and counts (native pf1: one fault per page), never times
 *   errors      exit statuses and messages: usage, a process that is gone,
 *               no /dev/vmlab and no debugfs (in a private mount namespace),
 *               not root, walk's bad ranges
 *   json        the parser rejects what is not JSON, so "valid" means it
 *
 * The tool is ../userspace/vmlab next to this program, or $VMLAB_TOOL.
 * page-types is ../build/page-types (the link scripts/build-page-types
 * makes at set-up), or $VMLAB_PAGE_TYPES.  Needs root and vmlab loaded;
 * python3, when present, checks the tour's and stat's JSON too.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
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

#include "vmlab_uapi.h"
#include "vmlab_version.h"
#include "debugfs.h"
#include "device.h"
#include "json_reader.h"
#include "kmodule.h"
#include "pagemap.h"
#include "pagetypes.h"
#include "procfs.h"
#include "touch.h"

#define PS		4096UL
#define HPAGE		(2UL << 20)
#define NOBODY		65534
#define PYTHON		"/usr/bin/python3"

/* What a program printed and how it ended. */
struct result {
	int status;	/* exit status; 128 + N when killed by signal N; -1 when it did not run */
	char *out;
	char *err;
};

/* Where the tool runs: as it is, or without /dev/vmlab or debugfs, or as nobody. */
enum setting { AS_IS, NO_DEVICE, NO_DEBUGFS, AS_NOBODY };

/* A file next to this program: ../REL from its directory. */
static const char *beside_me(const char *env, const char *rel, char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (getenv(env))
		return getenv(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return rel;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	if ((size_t)snprintf(buf, len, "%.*s/../%s", (int)(len / 2), self, rel) >= len)
		return rel;
	return buf;
}

static const char *tool(void)
{
	static char buf[PATH_MAX];

	return beside_me("VMLAB_TOOL", "userspace/vmlab", buf, sizeof(buf));
}

/*
 * Without the tool (a drop-in copy in a kernel tree builds the tests and the
 * library only) the whole program skips, with exit status 4.  Not in the
 * vm-run guests (VMLAB_KO set, as in vmlab_ksft.h): there the tool is built
 * before the tests, and a missing one is a failure.
 */
static void __attribute__((constructor)) tool_require(void)
{
	const char *ko = getenv("VMLAB_KO"), *path = tool();
	int err;

	if (!access(path, X_OK))
		return;
	err = errno;
	if (ko && *ko)
		ksft_exit_fail_msg("%s: %s: no vmlab tool in a vm-run guest\n",
				   path, strerror(err));
	ksft_exit_skip("%s: %s: no vmlab tool (make userspace, or set VMLAB_TOOL)\n",
		       path, strerror(err));
}

static const char *page_types(void)
{
	static char buf[PATH_MAX];

	return beside_me("VMLAB_PAGE_TYPES", "build/page-types", buf, sizeof(buf));
}

static void result_free(struct result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* Append what is readable on @fd to *@buf; false at end of file. */
static bool drain(int fd, char **buf, size_t *len)
{
	char chunk[65536], *tmp;
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n <= 0)
		return n < 0 && errno == EINTR;
	tmp = realloc(*buf, *len + n + 1);
	if (!tmp)
		return false;
	memcpy(tmp + *len, chunk, n);
	*len += n;
	tmp[*len] = '\0';
	*buf = tmp;
	return true;
}

static void child_setting(enum setting s)
{
	const char *over = s == NO_DEVICE ? "/dev" : "/sys/kernel/debug";

	if (s == NO_DEVICE || s == NO_DEBUGFS) {
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("none", over, "tmpfs", 0, NULL))
			_exit(125);
	}
	if (s == AS_NOBODY) {
		gid_t group = VMLAB_TEST_GROUP;

		/* A member of the group the udev rule grants the device to. */
		if (setgroups(1, &group) || setgid(NOBODY) || setuid(NOBODY))
			_exit(125);
	}
}

/*
 * A copy of @prog that anyone may run, in @path (a mkstemp() template):
 * nobody may not reach the tree, e.g. a clone under a 0700 home directory.
 */
static int public_copy(const char *prog, char *path)
{
	int in = open(prog, O_RDONLY), out = mkstemp(path);
	char buf[65536];
	ssize_t n = 0;

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	if (in >= 0)
		close(in);
	if (out >= 0 && (n < 0 || fchmod(out, 0755))) {
		close(out);
		unlink(path);
		return -1;
	}
	if (out >= 0)
		close(out);
	return in >= 0 && out >= 0 ? 0 : -1;
}

/* Run @prog with @argv (NULL-terminated, argv[0] included), set up as @how says. */
static void run_argv(struct result *r, enum setting how, const char *prog, char **argv)
{
	char copy[] = "/tmp/vmlab-tool-test-prog-XXXXXX";
	int out[2], err[2], status;
	size_t olen = 0, elen = 0;
	bool o = true, e = true;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	if (how == AS_NOBODY) {
		if (public_copy(prog, copy) || vl_device_grant(VMLAB_TEST_GROUP))
			return;
		prog = copy;
	}
	if (!r->out || !r->err || pipe(out) || pipe(err)) {
		if (how == AS_NOBODY)
			unlink(copy);
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		child_setting(how);
		execv(prog, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	while (pid > 0 && (o || e)) {
		struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (o && p[0].revents)
			o = drain(out[0], &r->out, &olen);
		if (e && p[1].revents)
			e = drain(err[0], &r->err, &elen);
	}
	close(out[0]);
	close(err[0]);
	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (how == AS_NOBODY) {
		unlink(copy);
		vl_device_ungrant();
	}
}

/* Collect NULL-terminated arguments after @first into @argv (at most 15). */
static void collect(char **argv, const char *first, va_list ap)
{
	int n = 0;

	argv[n++] = (char *)first;
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	argv[n] = NULL;
}

/* Run @prog with argv[0] @arg0 and the NULL-terminated arguments after it. */
static void run(struct result *r, enum setting how, const char *prog, const char *arg0, ...)
{
	char *argv[16];
	va_list ap;

	va_start(ap, arg0);
	collect(argv, arg0, ap);
	va_end(ap);
	run_argv(r, how, prog, argv);
}

/* Run the tool with the NULL-terminated arguments after @how. */
static void run_tool(struct result *r, enum setting how, ...)
{
	char *argv[16];
	va_list ap;

	va_start(ap, how);
	collect(argv, "vmlab", ap);
	va_end(ap);
	run_argv(r, how, tool(), argv);
}

/* Whether python3's json.tool accepts @text too (true when there is no python3). */
static bool python_accepts(const char *text)
{
	char path[] = "/tmp/vmlab-tool-test-XXXXXX";
	struct result r;
	bool ok;
	int fd;

	if (access(PYTHON, X_OK))
		return true;
	fd = mkstemp(path);
	if (fd < 0)
		return false;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	run(&r, AS_IS, PYTHON, "python3", "-m", "json.tool", path, NULL);
	ok = ok && r.status == 0;
	result_free(&r);
	unlink(path);
	return ok;
}

/*
 * Parse @text; NULL (and a log line) when it is not valid JSON.  With
 * @python, python3 must accept it too (slow in a guest: once per test).
 */
static struct vl_json *parse(struct __test_metadata *_metadata, const char *text, bool python)
{
	struct vl_json *v = NULL;
	size_t at = 0;
	int ret = vl_json_parse(text, &v, &at);

	if (ret)
		TH_LOG("not JSON (%s) at offset %zu: %.60s", strerror(-ret), at, text + at);
	else if (python && !python_accepts(text))
		TH_LOG("python3 -m json.tool rejects what libvmlab's parser accepted");
	else
		return v;
	vl_json_free(v);
	return NULL;
}

/* JSON accessors. */

/* Does this kernel map file pages with PMDs?  Not without THP (PREEMPT_RT). */
static bool have_thp(void)
{
	return !access("/sys/kernel/mm/transparent_hugepage", F_OK);
}

static long long num(const struct vl_json *obj, const char *key)
{
	return vl_json_int(vl_json_get(obj, key), LLONG_MIN);
}

static bool yes(const struct vl_json *obj, const char *key)
{
	return vl_json_is_true(vl_json_get(obj, key));
}

static const char *str(const struct vl_json *obj, const char *key)
{
	const char *s = vl_json_str(vl_json_get(obj, key));

	return s ? s : "(none)";
}

static unsigned long hex(const struct vl_json *obj, const char *key)
{
	return strtoul(str(obj, key), NULL, 16);
}

static bool has_flag(const struct vl_json *page, const char *name)
{
	const struct vl_json *flags = vl_json_get(page, "kpageflags");
	size_t i;

	for (i = 0; flags && i < flags->n; i++)
		if (!strcmp(vl_json_str(&flags->items[i]), name))
			return true;
	return false;
}

static const struct vl_json *find_named(const struct vl_json *arr, const char *name)
{
	size_t i;

	for (i = 0; arr && i < arr->n; i++)
		if (!strcmp(str(&arr->items[i], "name"), name))
			return &arr->items[i];
	return NULL;
}

/* Page @i of @side ("vmlab"/"native") seen by @proc ("parent"/"child") in a step. */
static const struct vl_json *page_of(const struct vl_json *step, const char *side,
				     const char *proc, size_t i)
{
	const struct vl_json *views = vl_json_get(step, "views");
	size_t k;

	for (k = 0; views && k < views->n; k++)
		if (!strcmp(str(&views->items[k], "side"), side) &&
		    !strcmp(str(&views->items[k], "process"), proc))
			return vl_json_item(vl_json_get(&views->items[k], "pages"), i);
	return NULL;
}

static long long counter(const struct vl_json *step, const char *name)
{
	long long v = num(vl_json_get(step, "counters"), name);

	return v == LLONG_MIN ? 0 : v;
}

static long long event(const struct vl_json *step, const char *name)
{
	return num(vl_json_get(step, "events"), name);
}

/* The tour: one variant per section, each with the facts that make its point. */

struct tour_ctx {
	const struct vl_json *top;	/* the whole document */
	const struct vl_json *sec;	/* the section */
	long long zero_pfn;
	bool backed;			/* the store has a backing file; else it is a tmpfs file */
};

/* Step @name of the section, or the end of the test. */
static const struct vl_json *need_step(struct __test_metadata *_metadata,
				       const struct tour_ctx *c, const char *name)
{
	const struct vl_json *st = find_named(vl_json_get(c->sec, "steps"), name);

	ASSERT_NE(NULL, st) TH_LOG("no step '%s'", name);
	return st;
}

/* Page @i of @side seen by @proc in step @st, or the end of the test. */
static const struct vl_json *need_page(struct __test_metadata *_metadata,
				       const struct vl_json *st, const char *side,
				       const char *proc, size_t i)
{
	const struct vl_json *pg = page_of(st, side, proc, i);

	ASSERT_NE(NULL, pg) TH_LOG("no page %zu of %s/%s in step %s", i, side, proc,
				   str(st, "name"));
	return pg;
}

static void check_anon(struct __test_metadata *_metadata, const struct tour_ctx *c)
{
	const struct vl_json *read = need_step(_metadata, c, "read");
	const struct vl_json *write = need_step(_metadata, c, "write");
	const struct vl_json *wzero = need_step(_metadata, c, "write-zero");
	const struct vl_json *fork = need_step(_metadata, c, "fork");
	const struct vl_json *r0 = need_page(_metadata, read, "vmlab", "parent", 0);
	const struct vl_json *n0 = need_page(_metadata, read, "native", "parent", 0);
	const struct vl_json *w1 = need_page(_metadata, write, "vmlab", "parent", 1);
	const struct vl_json *z0 = need_page(_metadata, wzero, "vmlab", "parent", 0);
	const struct vl_json *p0 = need_page(_metadata, fork, "vmlab", "parent", 0);
	const struct vl_json *c0 = need_page(_metadata, fork, "vmlab", "child", 0);
	const struct vl_json *p1 = need_page(_metadata, fork, "vmlab", "parent", 1);
	const struct vl_json *c1 = need_page(_metadata, fork, "vmlab", "child", 1);

	/* A read maps the zero page, the same one the native twin maps. */
	EXPECT_TRUE(yes(r0, "present"));
	EXPECT_EQ(c->zero_pfn, num(r0, "pfn"));
	EXPECT_EQ(num(n0, "pfn"), num(r0, "pfn"));
	EXPECT_STREQ("zero", str(r0, "kind"));
	EXPECT_EQ(1, counter(read, "zero_page_maps"));
	/* A write gets a page of its own, copied by the core from a zeroed page, in one fault. */
	EXPECT_EQ(1, counter(write, "zero_sources"));
	EXPECT_EQ(0, counter(write, "zero_page_maps"));
	EXPECT_STREQ("anon", str(w1, "kind"));
	EXPECT_TRUE(yes(w1, "exclusive"));
	EXPECT_FALSE(yes(w1, "file"));
	EXPECT_NE(c->zero_pfn, num(w1, "pfn"));
	EXPECT_STREQ("a...", str(w1, "text"));
	/* Writing over the zero page needs no vmlab fault. */
	EXPECT_STREQ("anon", str(z0, "kind"));
	EXPECT_NE(c->zero_pfn, num(z0, "pfn"));
	EXPECT_EQ(0, counter(wzero, "faults_write_private_anon"));
	EXPECT_EQ(0, counter(wzero, "faults_read_private_anon"));
	/* fork shares page 0; the child's write to page 1 copies it. */
	EXPECT_EQ(num(p0, "pfn"), num(c0, "pfn"));
	EXPECT_FALSE(yes(p0, "exclusive"));
	EXPECT_FALSE(yes(c0, "exclusive"));
	EXPECT_NE(num(p1, "pfn"), num(c1, "pfn"));
	/* The tour wrote 'd' there after clear_refs, before the fork. */
	EXPECT_STREQ("d...", str(p1, "text"));
	EXPECT_STREQ("c...", str(c1, "text"));
	EXPECT_EQ(0, event(fork, "child_exit"));
}

static void check_cow(struct __test_metadata *_metadata, const struct tour_ctx *c)
{
	const struct vl_json *read = need_step(_metadata, c, "read");
	const struct vl_json *write = need_step(_metadata, c, "write");
	const struct vl_json *swrite = need_step(_metadata, c, "store-write");
	const struct vl_json *dontneed = need_step(_metadata, c, "dontneed");
	const struct vl_json *r0 = need_page(_metadata, read, "vmlab", "parent", 0);
	const struct vl_json *w3 = need_page(_metadata, write, "vmlab", "parent", 3);
	const struct vl_json *s2 = need_page(_metadata, swrite, "vmlab", "parent", 2);
	const struct vl_json *s3 = need_page(_metadata, swrite, "vmlab", "parent", 3);
	const struct vl_json *d2 = need_page(_metadata, dontneed, "vmlab", "parent", 2);
	const struct vl_json *d3 = need_page(_metadata, dontneed, "vmlab", "parent", 3);
	int i;

	/* A read maps the store's own page; fault-around maps the others. */
	EXPECT_NE(LLONG_MIN, num(r0, "backing_pfn"));
	EXPECT_EQ(num(r0, "backing_pfn"), num(r0, "pfn"));
	EXPECT_TRUE(yes(r0, "file"));
	/* The store's own page cache with a backing file, else tmpfs's (the memfd twin's kind). */
	EXPECT_STREQ(c->backed ? "page-cache" : "shmem", str(r0, "kind"));
	for (i = 1; i < 4; i++) {
		const struct vl_json *ri = need_page(_metadata, read, "vmlab", "parent", i);

		EXPECT_EQ(num(ri, "backing_pfn"), num(ri, "pfn")) TH_LOG("page %d", i);
	}
	EXPECT_LE(1, counter(read, "map_pages_private_cow"));
	/* The written page's PFN differs from the store's and its file bit is clear. */
	EXPECT_NE(num(w3, "backing_pfn"), num(w3, "pfn"));
	EXPECT_FALSE(yes(w3, "file"));
	EXPECT_TRUE(yes(w3, "exclusive"));
	EXPECT_STREQ("anon", str(w3, "kind"));
	EXPECT_STREQ("wDDD", str(w3, "text"));
	EXPECT_EQ('D', event(write, "store_byte_3"));
	/* write(2) to the store shows through page 2, not through the copy. */
	EXPECT_STREQ("XCCC", str(s2, "text"));
	EXPECT_EQ(num(s2, "backing_pfn"), num(s2, "pfn"));
	EXPECT_STREQ("wDDD", str(s3, "text"));
	/* After MADV_DONTNEED a write faults through ->fault for a new copy. */
	EXPECT_LE(1, counter(dontneed, "cow_sources"));
	EXPECT_STREQ("anon", str(d2, "kind"));
	EXPECT_EQ(num(d3, "backing_pfn"), num(d3, "pfn"));
	EXPECT_STREQ("DDDD", str(d3, "text"));
}

static void check_shared(struct __test_metadata *_metadata, const struct tour_ctx *c)
{
	const struct vl_json *read = need_step(_metadata, c, "read");
	const struct vl_json *write = need_step(_metadata, c, "write");
	const struct vl_json *msync = need_step(_metadata, c, "msync");
	const struct vl_json *rewrite = need_step(_metadata, c, "rewrite");
	const struct vl_json *r0 = need_page(_metadata, read, "vmlab", "parent", 0);
	const struct vl_json *w1 = need_page(_metadata, write, "vmlab", "parent", 1);
	const struct vl_json *m1, *x1, *wb, *b2;

	EXPECT_EQ(num(r0, "backing_pfn"), num(r0, "pfn"));
	/* A write goes into the store's own page. */
	EXPECT_EQ(num(w1, "backing_pfn"), num(w1, "pfn"));
	EXPECT_EQ('w', event(write, "store_byte_1"));
	if (!c->backed) {
		/* A tmpfs file: no write-notify, nothing to write back. */
		EXPECT_EQ(0, counter(write, "page_mkwrite"));
		EXPECT_EQ(0, counter(msync, "writeback_runs"));
		EXPECT_EQ(0, counter(rewrite, "page_mkwrite"));
		EXPECT_EQ(0, counter(rewrite, "faults_write_shared"));
		return;
	}
	m1 = need_page(_metadata, msync, "vmlab", "parent", 1);
	x1 = need_page(_metadata, rewrite, "vmlab", "parent", 1);
	wb = need_step(_metadata, c, "writeback");
	b2 = need_page(_metadata, wb, "vmlab", "parent", 2);
	EXPECT_FALSE(has_flag(r0, "dirty"));
	/* ... and dirties it. */
	EXPECT_TRUE(has_flag(w1, "dirty"));
	EXPECT_EQ(1, counter(write, "page_mkwrite"));
	/* msync cleans it. */
	EXPECT_FALSE(has_flag(m1, "dirty"));
	EXPECT_LE(1, counter(msync, "writeback_runs"));
	/* The next write is noticed again. */
	EXPECT_EQ(1, counter(rewrite, "page_mkwrite"));
	EXPECT_TRUE(has_flag(x1, "dirty"));
	/* Periodic write-back cleans without msync. */
	EXPECT_LE(0, event(wb, "waited_ms"));
	EXPECT_FALSE(has_flag(b2, "dirty"));
	EXPECT_STREQ("yCCC", str(b2, "text"));
}

static void check_shared_anon(struct __test_metadata *_metadata, const struct tour_ctx *c)
{
	const struct vl_json *write = need_step(_metadata, c, "write");
	const struct vl_json *fork = need_step(_metadata, c, "fork");
	const struct vl_json *pread = need_step(_metadata, c, "parent-read");
	const struct vl_json *w0 = need_page(_metadata, write, "vmlab", "parent", 0);
	const struct vl_json *p0 = need_page(_metadata, fork, "vmlab", "parent", 0);
	const struct vl_json *c0 = need_page(_metadata, fork, "vmlab", "child", 0);
	const struct vl_json *c1 = need_page(_metadata, fork, "vmlab", "child", 1);
	const struct vl_json *r1 = need_page(_metadata, pread, "vmlab", "parent", 1);

	EXPECT_TRUE(yes(w0, "file"));
	EXPECT_STREQ("shmem", str(w0, "kind"));
	EXPECT_TRUE(has_flag(w0, "swapbacked"));
	EXPECT_FALSE(has_flag(w0, "anonymous"));
	EXPECT_EQ(1, counter(write, "objects_live"));
	/* Parent and child map the same pages of one object. */
	EXPECT_EQ(num(p0, "pfn"), num(c0, "pfn"));
	EXPECT_STREQ("p...", str(c0, "text"));
	EXPECT_STREQ("c...", str(c1, "text"));
	EXPECT_EQ(num(c1, "pfn"), num(r1, "pfn"));
	EXPECT_STREQ("c...", str(r1, "text"));
	EXPECT_EQ(1, counter(fork, "vmas_live_shared_anon"));
}

static void check_huge(struct __test_metadata *_metadata, const struct tour_ctx *c)
{
	int fd, ret;

	if (!yes(c->sec, "available")) {
		/* Only acceptable when the kind really cannot be selected here. */
		fd = vl_open(O_RDWR);
		ASSERT_LE(0, fd);
		ret = vl_select(fd, VMLAB_KIND_HUGE, -1);
		close(fd);
		ASSERT_NE(0, ret) TH_LOG("the tour says huge is not available, but it selects");
		EXPECT_STREQ(strerror(-ret), str(c->sec, "error"));
		return;
	}
	{
		const struct vl_json *mmap = need_step(_metadata, c, "mmap");
		const struct vl_json *write = need_step(_metadata, c, "write");
		const struct vl_json *fork = need_step(_metadata, c, "fork");
		const struct vl_json *m0 = need_page(_metadata, mmap, "vmlab", "parent", 0);
		const struct vl_json *h0 = need_page(_metadata, write, "vmlab", "parent", 0);
		const struct vl_json *p256 = need_page(_metadata, fork, "vmlab", "parent", 256);
		const struct vl_json *c256 = need_page(_metadata, fork, "vmlab", "child", 256);
		int i;

		EXPECT_FALSE(yes(m0, "present"));
		/* One write maps one whole, aligned 2 MiB hugetlb page with a PMD entry. */
		EXPECT_EQ(0, num(h0, "pfn") % 512);
		EXPECT_TRUE(has_flag(h0, "compound_head"));
		for (i = 0; i < 512; i++) {
			const struct vl_json *hi;

			hi = need_page(_metadata, write, "vmlab", "parent", i);

			EXPECT_TRUE(yes(hi, "present")) TH_LOG("page %d", i);
			EXPECT_EQ(num(h0, "pfn") + i, num(hi, "pfn")) TH_LOG("page %d", i);
			EXPECT_STREQ("hugetlb", str(hi, "kind")) TH_LOG("page %d", i);
			/* Without THP (PREEMPT_RT) the tour maps each 4 KiB. */
			EXPECT_STREQ(have_thp() ? "pmd" : "pte", str(hi, "level"))
				TH_LOG("page %d", i);
			if (i)
				EXPECT_TRUE(has_flag(hi, "compound_tail")) TH_LOG("page %d", i);
			if (!__test_passed(_metadata))
				break;
		}
		EXPECT_STREQ("h...", str(h0, "text"));
		/* The child maps the same page, and its write shows in the parent. */
		EXPECT_EQ(num(p256, "pfn"), num(c256, "pfn"));
		EXPECT_STREQ("c...", str(p256, "text"));
	}
}

static void check_flags(struct __test_metadata *_metadata, const struct tour_ctx *c)
{
	const struct vl_json *pop = need_step(_metadata, c, "populate");
	const struct vl_json *locked = need_step(_metadata, c, "locked");
	const struct vl_json *ro = need_step(_metadata, c, "read-only");
	const struct vl_json *rw = need_step(_metadata, c, "writable");
	const struct vl_json *ro0 = need_page(_metadata, ro, "vmlab", "parent", 0);
	const struct vl_json *rw0 = need_page(_metadata, rw, "vmlab", "parent", 0);
	int i;

	for (i = 0; i < 4; i++) {
		const struct vl_json *pi = need_page(_metadata, pop, "vmlab", "parent", i);
		const struct vl_json *li = need_page(_metadata, locked, "vmlab", "parent", i);

		EXPECT_TRUE(yes(pi, "present")) TH_LOG("page %d", i);
		EXPECT_STREQ("anon", str(pi, "kind")) TH_LOG("page %d", i);
		EXPECT_TRUE(yes(pi, "exclusive")) TH_LOG("page %d", i);
		EXPECT_TRUE(has_flag(li, "mlocked")) TH_LOG("page %d", i);
		EXPECT_EQ(num(li, "backing_pfn"), num(li, "pfn")) TH_LOG("page %d", i);
	}
	EXPECT_EQ(4, counter(pop, "faults_write_private_anon"));
	EXPECT_EQ(16, event(locked, "vmlab_vmlck_kb"));
	EXPECT_EQ(event(locked, "native_vmlck_kb"), event(locked, "vmlab_vmlck_kb"));
	EXPECT_EQ(SIGSEGV, event(ro, "vmlab_child_signal"));
	EXPECT_EQ(SIGSEGV, event(ro, "native_child_signal"));
	EXPECT_STREQ("AAAA", str(ro0, "text"));
	/* Dirty tracking: the store's with a backing file; else it is a tmpfs file. */
	EXPECT_EQ(c->backed, counter(rw, "page_mkwrite"));
	if (c->backed)
		EXPECT_TRUE(has_flag(rw0, "dirty"));
	EXPECT_STREQ("wAAA", str(rw0, "text"));
}

static bool swap_listed(void)
{
	char line[256];
	FILE *fp = fopen("/proc/swaps", "re");
	int n = 0;

	if (!fp)
		return false;
	while (fgets(line, sizeof(line), fp))
		n++;
	fclose(fp);
	return n > 1;
}

/*
 * thp: two THPs from the page allocator (thp_file_alloc), not the pool, each
 * one PMD; hugetlb pages from the pool; 4 KiB pages under MADV_NOHUGEPAGE;
 * after a 4 KiB munmap the same folio mapped by PTEs. Base pages without THP.
 */
static void check_thp(struct __test_metadata *_metadata, const struct tour_ctx *c)
{
	const struct vl_json *mmap = need_step(_metadata, c, "mmap");
	const struct vl_json *thp = need_step(_metadata, c, "thp");
	const struct vl_json *huge = need_step(_metadata, c, "hugetlb");
	const struct vl_json *nohuge = need_step(_metadata, c, "nohuge");
	const struct vl_json *fallback = need_step(_metadata, c, "fallback");
	const struct vl_json *split = need_step(_metadata, c, "split");
	const struct vl_json *t0 = need_page(_metadata, thp, "vmlab", "parent", 0);
	const struct vl_json *t1 = need_page(_metadata, thp, "vmlab", "parent", 1);
	const struct vl_json *t512 = need_page(_metadata, thp, "vmlab", "parent", 512);
	const struct vl_json *n0 = need_page(_metadata, nohuge, "vmlab", "parent", 0);
	const struct vl_json *s0 = need_page(_metadata, split, "vmlab", "parent", 0);
	const struct vl_json *s511 = need_page(_metadata, split, "vmlab", "parent", 511);

	EXPECT_FALSE(yes(need_page(_metadata, mmap, "vmlab", "parent", 0), "present"));
	EXPECT_STREQ("t...", str(t0, "text"));
	EXPECT_EQ(0, event(thp, "vmlab_hugepages_free"));
	EXPECT_STREQ("n...", str(n0, "text"));
	EXPECT_STREQ("shmem", str(n0, "kind"));
	EXPECT_STREQ("pte", str(n0, "level"));
	EXPECT_FALSE(yes(s511, "present"));
	if (!have_thp()) {
		EXPECT_STREQ("shmem", str(t0, "kind"));
		EXPECT_STREQ("pte", str(t0, "level"));
		EXPECT_STREQ("pte", str(s0, "level"));
	} else if (event(thp, "vmlab_thp_file_fallback") <= 0) {
		const struct vl_json *s1 = need_page(_metadata, split, "vmlab", "parent", 1);
		const struct vl_json *s512 = need_page(_metadata, split, "vmlab", "parent", 512);

		EXPECT_STREQ("thp", str(t0, "kind"));
		EXPECT_STREQ("pmd", str(t0, "level"));
		EXPECT_TRUE(has_flag(t0, "compound_head"));
		EXPECT_TRUE(has_flag(t1, "compound_tail"));
		EXPECT_EQ(num(t0, "pfn") + 1, num(t1, "pfn"));
		EXPECT_TRUE(has_flag(t512, "compound_head"));
		EXPECT_STREQ("pmd", str(t512, "level"));
		EXPECT_LE(2, event(thp, "vmlab_thp_file_alloc"));
		EXPECT_EQ(4096, event(thp, "vmlab_shmem_pmd_mapped_kb"));
		EXPECT_EQ(4096, event(thp, "native_shmem_pmd_mapped_kb"));
		/* The split: the same folio, now 4 KiB entries; the other 2 MiB keeps its PMD. */
		EXPECT_EQ(num(t0, "pfn"), num(s0, "pfn"));
		EXPECT_EQ(num(t1, "pfn"), num(s1, "pfn"));
		EXPECT_STREQ("thp", str(s1, "kind"));
		EXPECT_STREQ("pte", str(s0, "level"));
		EXPECT_STREQ("pte", str(s1, "level"));
		EXPECT_STREQ("pmd", str(s512, "level"));
		EXPECT_EQ(2048, event(split, "vmlab_shmem_pmd_mapped_kb"));
	}
	/* A child in a 1M memory cgroup wrote 'f': 4 KiB pages, a fallback each with THP. */
	if (!yes(fallback, "skipped")) {
		const struct vl_json *f0 = need_page(_metadata, fallback, "vmlab", "parent", 0);
		const struct vl_json *nf0 = need_page(_metadata, fallback, "native", "parent", 0);

		EXPECT_STREQ("f...", str(f0, "text"));
		EXPECT_STREQ("f...", str(nf0, "text"));
		EXPECT_STREQ("shmem", str(f0, "kind"));
		EXPECT_STREQ("shmem", str(nf0, "kind"));
		EXPECT_STREQ("pte", str(f0, "level"));
		EXPECT_FALSE(has_flag(f0, "compound_head"));
		EXPECT_EQ(0, event(fallback, "child_exit"));
		EXPECT_EQ(0, event(fallback, "vmlab_shmem_pmd_mapped_kb"));
		EXPECT_EQ(0, event(fallback, "native_shmem_pmd_mapped_kb"));
		if (have_thp()) {
			EXPECT_EQ(1, event(fallback, "vmlab_thp_file_fallback"));
			EXPECT_EQ(1, event(fallback, "vmlab_thp_file_fallback_charge"));
			EXPECT_EQ(1, event(fallback, "native_thp_file_fallback"));
			EXPECT_EQ(1, event(fallback, "native_thp_file_fallback_charge"));
			EXPECT_EQ(0, event(fallback, "vmlab_thp_file_alloc"));
		}
	}
	if (!yes(huge, "skipped")) {
		const struct vl_json *h0 = need_page(_metadata, huge, "vmlab", "parent", 0);

		EXPECT_STREQ("hugetlb", str(h0, "kind"));
		EXPECT_TRUE(has_flag(h0, "compound_head"));
		EXPECT_EQ(-2, event(huge, "vmlab_hugepages_free"));
		EXPECT_EQ(0, event(huge, "vmlab_thp_file_alloc"));
	}
}

static void check_reclaim(struct __test_metadata *_metadata, const struct tour_ctx *c)
{
	const struct vl_json *cached = need_step(_metadata, c, "cached");
	const struct vl_json *evict = need_step(_metadata, c, "evict");
	const struct vl_json *refault = need_step(_metadata, c, "refault");
	const struct vl_json *mlock = need_step(_metadata, c, "mlock");
	const struct vl_json *pageout = need_step(_metadata, c, "pageout");
	const struct vl_json *out = need_step(_metadata, c, "swap-out");
	const struct vl_json *in = need_step(_metadata, c, "swap-in");
	const struct vl_json *c0 = need_page(_metadata, cached, "vmlab", "parent", 0);
	char text[8];
	int i;

	/* Cached pages: minor faults only; the store's pages are evictable. */
	EXPECT_EQ(0, event(cached, "vmlab_majflt"));
	EXPECT_EQ(8, event(cached, "vmlab_resident"));
	EXPECT_FALSE(has_flag(c0, "unevictable"));
	for (i = 0; i < 8; i++) {
		const struct vl_json *lk = need_page(_metadata, mlock, "vmlab", "parent", i);

		EXPECT_TRUE(has_flag(lk, "mlocked")) TH_LOG("page %d", i);
		EXPECT_TRUE(yes(lk, "present")) TH_LOG("page %d", i);
	}
	/* Without a backing file the store is a tmpfs file: nothing to evict but to swap. */
	EXPECT_EQ(!c->backed, yes(evict, "skipped"));
	EXPECT_EQ(!c->backed, yes(refault, "skipped"));
	if (!c->backed)
		goto locked;
	/* POSIX_FADV_DONTNEED drops what MADV_DONTNEED left in the page cache. */
	EXPECT_EQ(8, event(evict, "vmlab_resident_before"));
	EXPECT_EQ(0, event(evict, "vmlab_resident_after"));
	/* Reading it back is a major fault, as many as the twin's on a disk filesystem. */
	EXPECT_LE(1, event(refault, "vmlab_majflt"));
	if (event(cached, "native_on_disk"))
		EXPECT_EQ(event(refault, "native_majflt"), event(refault, "vmlab_majflt"));
	for (i = 0; i < 8; i++) {
		const struct vl_json *pg = need_page(_metadata, refault, "vmlab", "parent", i);

		memset(text, 'A' + i, 4);
		text[4] = '\0';
		EXPECT_STREQ(text, str(pg, "text")) TH_LOG("page %d", i);
		EXPECT_EQ(num(pg, "backing_pfn"), num(pg, "pfn")) TH_LOG("page %d", i);
	}
locked:
	/* mlock keeps them; unlocked, MADV_PAGEOUT takes them. */
	EXPECT_EQ(8, event(mlock, "vmlab_resident"));
	EXPECT_EQ(event(mlock, "native_pageout_errno"), event(mlock, "vmlab_pageout_errno"));
	EXPECT_EQ(0, event(pageout, "vmlab_pageout_errno"));
	EXPECT_EQ(0, event(pageout, "vmlab_resident"));
	EXPECT_EQ(event(pageout, "native_resident"), event(pageout, "vmlab_resident"));
	/* Shared anonymous pages to swap and back, when there is swap. */
	if (!swap_listed()) {
		EXPECT_TRUE(yes(out, "skipped"));
		EXPECT_TRUE(yes(in, "skipped"));
		return;
	}
	EXPECT_FALSE(yes(out, "skipped"));
	EXPECT_LE(8, event(out, "vmlab_pswpout"));
	EXPECT_EQ(0, event(out, "vmlab_resident"));
	/* smaps reads the object's swap usage as it does a tmpfs file's. */
	EXPECT_EQ(event(out, "native_smaps_swap_kb"), event(out, "vmlab_smaps_swap_kb"));
	EXPECT_LE(1, event(in, "vmlab_majflt"));
	EXPECT_LE(1, event(in, "vmlab_pswpin"));
	for (i = 0; i < 8; i++) {
		const struct vl_json *pg = need_page(_metadata, in, "vmlab", "parent", i);

		EXPECT_EQ('a' + i, str(pg, "text")[0]) TH_LOG("page %d", i);
	}
}

FIXTURE(tour)
{
	struct result r;
	struct vl_json *doc;
};

FIXTURE_VARIANT(tour)
{
	const char *section;
	void (*check)(struct __test_metadata *_metadata, const struct tour_ctx *c);
	bool backing;	/* reload vmlab with a backing file for the store first */
};

FIXTURE_VARIANT_ADD(tour, anon) { .section = "anon", .check = check_anon };
FIXTURE_VARIANT_ADD(tour, cow) { .section = "cow", .check = check_cow };
FIXTURE_VARIANT_ADD(tour, shared) { .section = "shared", .check = check_shared };
FIXTURE_VARIANT_ADD(tour, shared_anon) { .section = "shared-anon", .check = check_shared_anon };
FIXTURE_VARIANT_ADD(tour, huge) { .section = "huge", .check = check_huge };
FIXTURE_VARIANT_ADD(tour, thp) { .section = "thp", .check = check_thp };
FIXTURE_VARIANT_ADD(tour, flags) { .section = "flags", .check = check_flags };
FIXTURE_VARIANT_ADD(tour, reclaim) { .section = "reclaim", .check = check_reclaim };
/* The store with a backing file: dirty tracking, write-back, a page cache over a file. */
#define TOUR_BACKING	"/tmp/vmlab-tool-test-backing"

FIXTURE_VARIANT_ADD(tour, cow_backed)
{
	.section = "cow", .check = check_cow, .backing = true,
};

FIXTURE_VARIANT_ADD(tour, shared_backed)
{
	.section = "shared", .check = check_shared, .backing = true,
};

FIXTURE_VARIANT_ADD(tour, flags_backed)
{
	.section = "flags", .check = check_flags, .backing = true,
};

FIXTURE_VARIANT_ADD(tour, reclaim_backed)
{
	.section = "reclaim", .check = check_reclaim, .backing = true,
};

FIXTURE_SETUP(tour)
{
	self->doc = NULL;
	memset(&self->r, 0, sizeof(self->r));
	if (geteuid())
		SKIP(return, "needs root: PFNs, kpageflags and vmlab's debugfs");
	if (access(VMLAB_DEVICE_PATH, R_OK | W_OK))
		SKIP(return, "%s: %s (vmlab not loaded)", VMLAB_DEVICE_PATH, strerror(errno));
	if (variant->backing && !(getenv("VMLAB_KO") && *getenv("VMLAB_KO")))
		SKIP(return, "VMLAB_KO unset: vmlab is reloaded only in the vm-run guests");
	ASSERT_EQ(0, access(tool(), X_OK)) TH_LOG("no tool at %s: make userspace", tool());
}

/*
 * In the parent, once the test's process is gone (it frees what it
 * parsed): load vmlab again with no parameters after a _backed variant.
 */
FIXTURE_TEARDOWN_PARENT(tour)
{
	int ret;

	if (!variant->backing)
		return;
	if (vl_module_loaded()) {
		ret = vl_module_unload(5000);
		EXPECT_EQ(0, ret) TH_LOG("rmmod vmlab: %s", strerror(-ret));
	}
	ret = vl_module_load("");
	EXPECT_EQ(0, ret) TH_LOG("insmod %s: %s", getenv("VMLAB_KO"), strerror(-ret));
	unlink(TOUR_BACKING);
}

TEST_F_TIMEOUT(tour, json, 120)
{
	const struct vl_json *steps;
	struct tour_ctx c;
	size_t i;
	int ret;

	if (variant->backing) {
		ret = vl_module_unload(5000);
		ASSERT_EQ(0, ret) TH_LOG("rmmod vmlab: %s", strerror(-ret));
		ret = vl_module_load("backing=" TOUR_BACKING);
		ASSERT_EQ(0, ret) TH_LOG("insmod vmlab backing=%s: %s", TOUR_BACKING,
					 strerror(-ret));
	}
	run_tool(&self->r, AS_IS, "tour", "--json", variant->section, NULL);
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	self->doc = parse(_metadata, self->r.out, true);
	ASSERT_NE(NULL, self->doc);
	c.top = self->doc;
	c.sec = vl_json_path(self->doc, "sections.0");
	c.zero_pfn = num(self->doc, "zero_pfn");
	c.backed = yes(self->doc, "store_backed");
	ASSERT_NE(NULL, c.sec);
	ASSERT_STREQ(variant->section, str(c.sec, "name"));
	ASSERT_TRUE(yes(self->doc, "pfns_visible"));
	ASSERT_TRUE(yes(self->doc, "counters_visible"));
	EXPECT_TRUE(yes(self->doc, "ok"));
	EXPECT_TRUE(yes(c.sec, "ok")) TH_LOG("error: %s", str(c.sec, "error"));
	steps = vl_json_get(c.sec, "steps");
	for (i = 0; steps && i < steps->n; i++) {
		const struct vl_json *st = &steps->items[i];

		EXPECT_TRUE(yes(st, "ok")) {
			TH_LOG("step %s: unexpected: %s", str(st, "name"),
			       vl_json_str(vl_json_path(st, "unexpected.0")) ?: "?");
		}
		EXPECT_EQ(0, num(st, "unchecked")) TH_LOG("step %s", str(st, "name"));
		EXPECT_NE(0, strlen(str(st, "sentence")));
	}
	variant->check(_metadata, &c);
	vl_json_free(self->doc);
	result_free(&self->r);
}

/* inspect and page-types: a child holding one mapping of each kind. */

enum held_map {
	H_PRIVATE_COW, H_SHARED, H_PRIVATE_ANON, H_SHARED_ANON, H_HUGE, H_NATIVE_HUGETLB,
	H_NATIVE_ANON, H_NR
};

struct held {
	unsigned long addr[H_NR];
	int err[H_NR];		/* 0, or the errno that made the mapping fail */
};

/* In the holder: map and touch; the address, or 0 with *err set. */
static unsigned long hold_one(enum held_map m, int *err)
{
	int share = (m == H_PRIVATE_COW || m == H_PRIVATE_ANON) ? MAP_PRIVATE : MAP_SHARED;
	unsigned int kind = (m == H_PRIVATE_COW || m == H_SHARED) ? VMLAB_KIND_STORE :
			    m == H_HUGE ? VMLAB_KIND_HUGE : VMLAB_KIND_ANON;
	off_t off = m == H_PRIVATE_COW ? 48 << 20 : m == H_SHARED ? 49 << 20 : 0;
	size_t len = (m == H_HUGE || m == H_NATIVE_HUGETLB) ? HPAGE : 4 * PS;
	int prot = PROT_READ | PROT_WRITE, fd = -1, i;
	char *p, buf[PS];

	if (m == H_NATIVE_HUGETLB) {
		p = mmap(NULL, len, prot, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	} else if (m == H_NATIVE_ANON) {
		p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			madvise(p, len, MADV_NOHUGEPAGE);
	} else {
		fd = vl_open(O_RDWR);
		if (fd < 0) {
			*err = -fd;
			return 0;
		}
		for (i = 0; kind == VMLAB_KIND_STORE && i < 4; i++) {
			memset(buf, 'A' + i, sizeof(buf));
			if (pwrite(fd, buf, PS, off + i * PS) != PS) {
				*err = errno;
				return 0;
			}
		}
		/* Clean, so that periodic write-back leaves them alone from now on. */
		if (kind == VMLAB_KIND_STORE && ioctl(fd, VMLAB_IOC_WRITEBACK)) {
			*err = errno;
			return 0;
		}
		p = vl_map(fd, kind, len, prot, share, off);
	}
	if (p == MAP_FAILED) {
		*err = errno;
		return 0;
	}
	switch (m) {
	case H_PRIVATE_COW:	/* pages 0-2 the store's, page 3 a copy */
		for (i = 0; i < 4; i++)
			vl_read_byte(p + i * PS);
		vl_write_byte(p + 3 * PS, 'w');
		break;
	case H_SHARED:		/* all the store's, page 0 dirty */
		for (i = 0; i < 4; i++)
			vl_read_byte(p + i * PS);
		vl_write_byte(p, 'w');
		break;
	case H_PRIVATE_ANON:	/* page 0 the zero page, page 1 anonymous */
		vl_read_byte(p);
		vl_write_byte(p + PS, 'w');
		break;
	default:		/* page 0 (and all of a huge page) */
		vl_write_byte(p, 'w');
		/* Without THP each 4 KiB of the huge kind is mapped on its own. */
		for (i = 1; m == H_HUGE && !have_thp() && i < (int)(len / PS); i++)
			vl_read_byte(p + i * PS);
		break;
	}
	return (unsigned long)p;
}

/* Fork a holder; returns its pid, with its mappings in *h and the pipe that keeps it in *go. */
static pid_t holder_start(struct held *h, int *go)
{
	int data[2], wait_fd[2], m;
	char c;
	pid_t pid;

	if (pipe(data) || pipe(wait_fd))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		struct held mine;

		close(data[0]);
		close(wait_fd[1]);
		memset(&mine, 0, sizeof(mine));
		for (m = 0; m < H_NR; m++)
			mine.addr[m] = hold_one(m, &mine.err[m]);
		if (write(data[1], &mine, sizeof(mine)) != sizeof(mine))
			_exit(1);
		while (read(wait_fd[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(data[1]);
	close(wait_fd[0]);
	if (pid < 0 || read(data[0], h, sizeof(*h)) != sizeof(*h)) {
		close(data[0]);
		close(wait_fd[1]);
		return -1;
	}
	close(data[0]);
	*go = wait_fd[1];
	return pid;
}

static void holder_stop(pid_t pid, int go)
{
	if (pid <= 0)
		return;
	close(go);
	waitpid(pid, NULL, 0);
}

/* A page as inspect reports it, expanded from its runs. */
struct ipage {
	bool present, file, exclusive;
	long long pfn;
	unsigned long long kpf;
	char kind[16];
	char level[8];
};

/* Expand the runs of @vma over [@start, @start + @n pages) into @out. */
static int expand_runs(const struct vl_json *vma, unsigned long start, size_t n,
		       struct ipage *out)
{
	const struct vl_json *runs = vl_json_get(vma, "runs");
	size_t r, i, filled = 0;

	for (r = 0; runs && r < runs->n; r++) {
		const struct vl_json *run = &runs->items[r];
		unsigned long rs = hex(run, "start");
		long long count = num(run, "pages");

		for (i = 0; i < (size_t)count; i++) {
			unsigned long a = rs + i * PS;
			struct ipage *p;

			if (a < start || a >= start + n * PS)
				continue;
			p = &out[(a - start) / PS];
			p->present = yes(run, "present");
			p->file = yes(run, "file");
			p->exclusive = yes(run, "exclusive");
			p->pfn = num(run, "pfn") == LLONG_MIN ? -1 : num(run, "pfn") + (long long)i;
			p->kpf = strtoull(str(run, "kpageflags_raw"), NULL, 16);
			snprintf(p->kind, sizeof(p->kind), "%s", str(run, "kind"));
			snprintf(p->level, sizeof(p->level), "%s", str(run, "level"));
			filled++;
		}
	}
	return filled == n ? 0 : -1;
}

/* Run inspect --json on [@start, @start + @n pages) of @pid; pages into @out. */
static int inspect_range(struct __test_metadata *_metadata, pid_t pid, unsigned long start,
			 size_t n, struct ipage *out, char *type, size_t tlen)
{
	char spid[16], range[64];
	const struct vl_json *vma;
	struct vl_json *doc;
	struct result r;
	int ret = -1;

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	snprintf(range, sizeof(range), "%lx-%lx", start, start + n * PS);
	run_tool(&r, AS_IS, "inspect", "--json", spid, range, NULL);
	if (r.status) {
		TH_LOG("vmlab inspect %s %s: status %d: %s", spid, range, r.status, r.err);
		result_free(&r);
		return -1;
	}
	doc = parse(_metadata, r.out, false);
	vma = vl_json_path(doc, "vmas.0");
	if (vma && !vl_json_path(doc, "vmas.1") &&
	    hex(vma, "start") <= start && hex(vma, "end") >= start + n * PS) {
		memset(out, 0, n * sizeof(*out));
		ret = expand_runs(vma, start, n, out);
		snprintf(type, tlen, "%s", vl_json_str(vl_json_get(vma, "vmlab_type")) ?: "-");
	}
	if (ret)
		TH_LOG("inspect did not report one VMA covering %s", range);
	vl_json_free(doc);
	result_free(&r);
	return ret;
}

/*
 * The kind inspect gives a page of the store: its own page cache with a
 * backing file; without one the store is a tmpfs file, its pages shmem's.
 */
static const char *store_page_kind(void)
{
	struct vmlab_info info;
	int fd = vl_open(O_RDWR), err;

	if (fd < 0)
		return "page-cache";
	err = vl_info(fd, &info);
	close(fd);
	return !err && !info.has_backing ? "shmem" : "page-cache";
}

FIXTURE(held)
{
	pid_t pid;
	int go;
	struct held h;
};

FIXTURE_VARIANT(held)
{
	enum held_map map;
	const char *type;	/* vmlab's type of it, "-" for a native mapping */
	size_t npages;
	const char *kind[4];	/* of pages 0-3; a huge mapping's pages are all kind[0] */
	int file[4];		/* pagemap file bit of pages 0-3, -1 when not present */
	const char *level;	/* of its present pages */
};

FIXTURE_VARIANT_ADD(held, private_cow)
{
	.map = H_PRIVATE_COW, .type = "private_cow", .npages = 4,
	.kind = { "page-cache", "page-cache", "page-cache", "anon" },
	.file = { 1, 1, 1, 0 }, .level = "pte",
};

FIXTURE_VARIANT_ADD(held, shared)
{
	.map = H_SHARED, .type = "shared", .npages = 4,
	.kind = { "page-cache", "page-cache", "page-cache", "page-cache" },
	.file = { 1, 1, 1, 1 }, .level = "pte",
};

FIXTURE_VARIANT_ADD(held, private_anon)
{
	.map = H_PRIVATE_ANON, .type = "private_anon", .npages = 4,
	.kind = { "zero", "anon", "none", "none" }, .file = { 0, 0, -1, -1 }, .level = "pte",
};

FIXTURE_VARIANT_ADD(held, shared_anon)
{
	.map = H_SHARED_ANON, .type = "shared_anon", .npages = 4,
	.kind = { "shmem", "none", "none", "none" }, .file = { 1, -1, -1, -1 },
	.level = "pte",
};

FIXTURE_VARIANT_ADD(held, huge)
{
	.map = H_HUGE, .type = "huge", .npages = 512, .kind = { "hugetlb" },
	.file = { 1 }, .level = "pmd",
};

FIXTURE_VARIANT_ADD(held, native_hugetlb)
{
	.map = H_NATIVE_HUGETLB, .type = "-", .npages = 512, .kind = { "hugetlb" },
	.file = { 1 }, .level = "pmd",
};

FIXTURE_VARIANT_ADD(held, native_anon)
{
	.map = H_NATIVE_ANON, .type = "-", .npages = 4,
	.kind = { "anon", "none", "none", "none" }, .file = { 0, -1, -1, -1 }, .level = "pte",
};

FIXTURE_SETUP(held)
{
	int err;

	self->pid = -1;
	if (geteuid())
		SKIP(return, "needs root: PFNs and kpageflags");
	if (access(VMLAB_DEVICE_PATH, R_OK | W_OK))
		SKIP(return, "%s: %s (vmlab not loaded)", VMLAB_DEVICE_PATH, strerror(errno));
	self->pid = holder_start(&self->h, &self->go);
	ASSERT_LT(0, self->pid);
	err = self->h.err[variant->map];
	if (err && variant->map == H_HUGE && err == EOPNOTSUPP)
		SKIP(return, "vmlab's huge kind is not implemented in this vmlab.ko");
	if (err && (variant->map == H_HUGE || variant->map == H_NATIVE_HUGETLB) &&
	    err == ENOMEM)
		SKIP(return, "no free huge pages in the pool (boot with hugepages=N)");
	ASSERT_EQ(0, err) TH_LOG("the holder could not map it: %s", strerror(err));
}

FIXTURE_TEARDOWN(held)
{
	holder_stop(self->pid, self->go);
}

TEST_F(held, inspect)
{
	struct ipage *pg = calloc(variant->npages, sizeof(*pg));
	unsigned long start = self->h.addr[variant->map];
	char type[32];
	size_t i;

	ASSERT_NE(NULL, pg);
	ASSERT_EQ(0, inspect_range(_metadata, self->pid, start, variant->npages, pg, type,
				   sizeof(type)));
	EXPECT_STREQ(variant->type, type);
	for (i = 0; i < variant->npages; i++) {
		const char *kind = variant->kind[variant->npages > 4 ? 0 : i];
		int file = variant->file[variant->npages > 4 ? 0 : i];

		if (!strcmp(kind, "page-cache"))
			kind = store_page_kind();
		const char *level = variant->level;

		/* Without THP vmlab's huge kind has 4 KiB entries, special ones. */
		if (variant->map == H_HUGE && !have_thp()) {
			file = 0;
			level = "pte";
		}

		EXPECT_STREQ(kind, pg[i].kind) TH_LOG("page %zu", i);
		if (file >= 0)
			EXPECT_EQ(file, pg[i].file) TH_LOG("page %zu", i);
		EXPECT_EQ(file >= 0, pg[i].present) TH_LOG("page %zu", i);
		if (pg[i].present)
			EXPECT_STREQ(level, pg[i].level) TH_LOG("page %zu", i);
		if (variant->npages > 4 && i)
			EXPECT_EQ(pg[0].pfn + (long long)i, pg[i].pfn) TH_LOG("page %zu", i);
		if (!__test_passed(_metadata))
			break;
	}
	free(pg);
}

/*
 * page-types -p PID -L -N -a FIRST,END lists each present page of the range
 * as "voffset offset flags"; its flags (without -r) are kpageflags without
 * the kernel-hacker bits.  Both must show the same PFNs and flags.  Page
 * flags such as lru can change between two reads: inspect runs before and
 * after page-types, and only a stable pair is compared.
 */
static int compare_page_types(struct __test_metadata *_metadata, pid_t pid, unsigned long start,
			      size_t n, const struct ipage *pg, const char *out, bool log)
{
	const char *line = out;
	size_t listed = 0, present = 0, i;
	int bad = 0;

	for (i = 0; i < n; i++)
		present += pg[i].present;
	while (line && *line) {
		struct vl_pt_page pt;
		char names[512], want[512];

		if (!vl_pt_parse_line(line, &pt)) {
			size_t k = pt.vpn - start / PS;

			listed++;
			if (k >= n || !pg[k].present || pg[k].pfn != (long long)pt.pfn ||
			    vl_pt_well_known(pg[k].kpf) != pt.flags) {
				bad++;
				if (log && k < n) {
					vl_kpf_format(pt.flags, names, sizeof(names));
					vl_kpf_format(vl_pt_well_known(pg[k].kpf), want,
						      sizeof(want));
					TH_LOG("page %zu: page-types %#llx %s; inspect %#llx %s",
					       k, (unsigned long long)pt.pfn, names,
					       (unsigned long long)pg[k].pfn, want);
				}
			}
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (listed != present) {
		bad++;
		if (log)
			TH_LOG("page-types lists %zu pages, inspect has %zu present", listed,
			       present);
	}
	return bad;
}

TEST_F_TIMEOUT(held, page_types, 180)
{
	struct ipage *a = calloc(variant->npages, sizeof(*a));
	struct ipage *b = calloc(variant->npages, sizeof(*b));
	unsigned long start = self->h.addr[variant->map];
	char spid[16], range[64], type[32];
	struct result r = { 0 };
	int tries, bad = -1;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	if (access(page_types(), X_OK))
		SKIP(goto out, "no page-types at %s: run scripts/build-page-types (make setup)",
		     page_types());
	snprintf(spid, sizeof(spid), "%d", (int)self->pid);
	snprintf(range, sizeof(range), "0x%lx,0x%lx", start / PS, start / PS + variant->npages);
	for (tries = 0; tries < 5; tries++) {
		ASSERT_EQ(0, inspect_range(_metadata, self->pid, start, variant->npages, a, type,
					   sizeof(type)));
		result_free(&r);
		run(&r, AS_IS, page_types(), "page-types", "-p", spid, "-L", "-N", "-a", range,
		    NULL);
		ASSERT_EQ(0, r.status) TH_LOG("page-types: %s", r.err);
		ASSERT_EQ(0, inspect_range(_metadata, self->pid, start, variant->npages, b, type,
					   sizeof(type)));
		if (memcmp(a, b, variant->npages * sizeof(*a)))
			continue;	/* flags moved meanwhile: again */
		bad = compare_page_types(_metadata, self->pid, start, variant->npages, a, r.out,
					 false);
		if (!bad)
			break;
	}
	if (bad)
		compare_page_types(_metadata, self->pid, start, variant->npages, a, r.out, true);
	EXPECT_EQ(0, bad) TH_LOG("after %d tries; page-types said:\n%s", tries, r.out);
out:
	result_free(&r);
	free(a);
	free(b);
}

/* inspect --vmlab lists exactly the holder's vmlab mappings, with their types. */
TEST_F_TIMEOUT(held, inspect_vmlab_only, 60)
{
	static const char *const types[] = {
		[H_PRIVATE_COW] = "private_cow", [H_SHARED] = "shared",
		[H_PRIVATE_ANON] = "private_anon", [H_SHARED_ANON] = "shared_anon",
		[H_HUGE] = "huge",
	};
	const struct vl_json *vmas;
	struct vl_json *doc;
	char spid[16];
	struct result r;
	size_t i, want = 0;
	int m;

	snprintf(spid, sizeof(spid), "%d", (int)self->pid);
	run_tool(&r, AS_IS, "inspect", "--json", "--vmlab", spid, NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	doc = parse(_metadata, r.out, false);
	ASSERT_NE(NULL, doc);
	vmas = vl_json_get(doc, "vmas");
	ASSERT_NE(NULL, vmas);
	for (m = 0; m <= H_HUGE; m++) {
		bool found = false;

		if (self->h.err[m])
			continue;
		want++;
		for (i = 0; i < vmas->n; i++)
			if (hex(&vmas->items[i], "start") == self->h.addr[m])
				found = !strcmp(str(&vmas->items[i], "vmlab_type"), types[m]);
		EXPECT_TRUE(found) TH_LOG("no %s VMA at %lx", types[m], self->h.addr[m]);
	}
	EXPECT_EQ(want, vmas->n);
	vl_json_free(doc);
	result_free(&r);
}

/* stat */

FIXTURE(stat)
{
	int fd;
	char *addr;
};

FIXTURE_SETUP(stat)
{
	self->fd = -1;
	if (geteuid())
		SKIP(return, "needs root: vmlab's debugfs");
	if (access(VMLAB_DEVICE_PATH, R_OK | W_OK))
		SKIP(return, "%s: %s (vmlab not loaded)", VMLAB_DEVICE_PATH, strerror(errno));
	self->fd = vl_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	self->addr = vl_map(self->fd, VMLAB_KIND_ANON, 4 * PS, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE, 0);
	ASSERT_NE(MAP_FAILED, self->addr);
}

FIXTURE_TEARDOWN(stat)
{
	if (self->fd < 0)
		return;
	munmap(self->addr, 4 * PS);
	close(self->fd);
}

TEST_F_TIMEOUT(stat, json, 60)
{
	const struct vl_json *counters, *vmas;
	struct vl_counters c;
	struct vl_json *doc;
	struct result r;
	size_t i;
	bool mine = false;

	ASSERT_EQ(0, vl_counters_read(&c));
	run_tool(&r, AS_IS, "stat", "--json", NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	doc = parse(_metadata, r.out, true);
	ASSERT_NE(NULL, doc);
	counters = vl_json_get(doc, "counters");
	ASSERT_NE(NULL, counters);
	/* Every counter of debugfs is there. */
	for (i = 0; i < c.n; i++)
		EXPECT_NE(LLONG_MIN, num(counters, c.c[i].name)) TH_LOG("%s", c.c[i].name);
	EXPECT_EQ(c.n, counters->n);
	/* And so is this process's mapping. */
	vmas = vl_json_get(doc, "vmas");
	for (i = 0; vmas && i < vmas->n; i++)
		if (num(&vmas->items[i], "pid") == getpid() &&
		    hex(&vmas->items[i], "start") == (unsigned long)self->addr)
			mine = !strcmp(str(&vmas->items[i], "type"), "private_anon");
	EXPECT_TRUE(mine) TH_LOG("no private_anon VMA of pid %d at %p", getpid(), self->addr);
	EXPECT_NE(LLONG_MIN, num(vl_json_get(doc, "pool"), "free_hugepages"));
	vl_json_free(doc);
	result_free(&r);
}

TEST_F(stat, watch)
{
	struct result r;
	const char *p;
	int refreshes = 0;

	run_tool(&r, AS_IS, "stat", "--watch", "0.2", "--count", "3", NULL);
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	for (p = r.out; (p = strstr(p, "vmlab stat --watch")); p++)
		refreshes++;
	EXPECT_EQ(3, refreshes);
	EXPECT_NE(NULL, strstr(r.out, "private_anon"));
	result_free(&r);
}

/*
 * bench pf: one short run of every case, counted, never timed: every case
 * and mode with every field, pages touched, and the native pf1's faults
 * per page (one fault per page touched, on any kernel).
 */

static const char *const pf_cases[] = {
	"pf1", "pf2", "pf3", "pf4", "shared_anon", "huge", "shared_rw", "shared_msync",
	"populate",
};

static const char *const pf_modes[] = { "1t", "2t-own", "2t-one" };

/* Fields of every result, each with _vmlab and _native but ratio*. */
static const char *const pf_fields[] = {
	"pages_per_s", "faults_per_page", "allocs_per_page", "tlb_per_page",
	"mmap_lock_per_page",
};

static const char *const pf_case_fields[][2] = {
	{ "huge", "fault_mib_per_s" },
	{ "huge", "memset_mib_per_s" },
	{ "populate", "ms_per_populate" },
};

/* The number at @key of @obj; NAN when it is missing or no number. */
static double dbl(const struct vl_json *obj, const char *key)
{
	const struct vl_json *v = vl_json_get(obj, key);

	return v && v->type == VL_JSON_NUMBER ? v->number : NAN;
}

static const struct vl_json *pf_result(const struct vl_json *results, const char *c,
				       const char *mode)
{
	size_t i;

	for (i = 0; results && i < results->n; i++)
		if (!strcmp(str(&results->items[i], "case"), c) &&
		    !strcmp(str(&results->items[i], "mode"), mode))
			return &results->items[i];
	return NULL;
}

FIXTURE(bench_pf)
{
	int unused;
};

FIXTURE_SETUP(bench_pf)
{
	if (geteuid())
		SKIP(return, "needs root: tracefs, /proc/sys/vm, THP settings");
	if (access(VMLAB_DEVICE_PATH, R_OK | W_OK))
		SKIP(return, "%s: %s (vmlab not loaded)", VMLAB_DEVICE_PATH, strerror(errno));
}

FIXTURE_TEARDOWN(bench_pf)
{
}

/* About a minute in a TCG guest: 27 case/mode pairs, each side twice. */
TEST_F_TIMEOUT(bench_pf, json, 300)
{
	const struct vl_json *results, *memory, *res;
	char key[64];
	long long huge_free = 0;
	struct vl_json *doc;
	struct result r;
	size_t c, m, f, k;
	int side;

	vl_meminfo_field("HugePages_Free", &huge_free);
	run_tool(&r, AS_IS, "bench", "pf", "--size", "1M", "--duration", "0.05", "--warmup",
		 "0.01", "--rounds", "1", "--json", NULL);
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	doc = parse(_metadata, r.out, true);
	ASSERT_NE(NULL, doc);
	results = vl_json_get(doc, "results");
	ASSERT_NE(NULL, results);
	for (c = 0; c < ARRAY_SIZE(pf_cases); c++) {
		/* The huge case needs 2 free huge pages (two threads' 2 MiB). */
		if (!strcmp(pf_cases[c], "huge") && huge_free < 2) {
			TH_LOG("huge: not checked: %lld free huge pages", huge_free);
			continue;
		}
		for (m = 0; m < ARRAY_SIZE(pf_modes); m++) {
			res = pf_result(results, pf_cases[c], pf_modes[m]);
			EXPECT_NE(NULL, res)
				TH_LOG("no result for %s %s", pf_cases[c], pf_modes[m]);
			if (!res)
				continue;
			EXPECT_FALSE(isnan(dbl(res, "ratio")))
				TH_LOG("%s %s: ratio", pf_cases[c], pf_modes[m]);
			/* mmap_lock_per_page_*: null without the tracefs event. */
			for (f = 0; f < 2 * ARRAY_SIZE(pf_fields); f++) {
				snprintf(key, sizeof(key), "%s_%s", pf_fields[f / 2],
					 f % 2 ? "native" : "vmlab");
				EXPECT_NE(NULL, vl_json_get(res, key))
					TH_LOG("%s %s: no %s", pf_cases[c], pf_modes[m], key);
			}
			for (k = 0; k < 2 * ARRAY_SIZE(pf_case_fields); k++) {
				if (strcmp(pf_case_fields[k / 2][0], pf_cases[c]))
					continue;
				snprintf(key, sizeof(key), "%s_%s", pf_case_fields[k / 2][1],
					 k % 2 ? "native" : "vmlab");
				EXPECT_FALSE(isnan(dbl(res, key)))
					TH_LOG("%s %s: no %s", pf_cases[c], pf_modes[m], key);
			}
			EXPECT_LT(0, dbl(res, "pages_per_s_vmlab"))
				TH_LOG("%s %s: vmlab %f pages/s", pf_cases[c], pf_modes[m],
				       dbl(res, "pages_per_s_vmlab"));
			EXPECT_LT(0, dbl(res, "pages_per_s_native"))
				TH_LOG("%s %s: native %f pages/s", pf_cases[c], pf_modes[m],
				       dbl(res, "pages_per_s_native"));
			if (strcmp(pf_cases[c], "pf1"))
				continue;
			/* A count: one fault per page touched, natively. */
			EXPECT_LE(0.9, dbl(res, "faults_per_page_native"))
				TH_LOG("pf1 %s: native %f faults per page", pf_modes[m],
				       dbl(res, "faults_per_page_native"));
			EXPECT_GE(1.1, dbl(res, "faults_per_page_native"))
				TH_LOG("pf1 %s: native %f faults per page", pf_modes[m],
				       dbl(res, "faults_per_page_native"));
		}
	}
	memory = vl_json_get(doc, "memory");
	ASSERT_NE(NULL, memory);
	EXPECT_EQ(2, memory->n);
	/*
	 * Bytes per page are null when the growth came out negative: other
	 * memory shrank meanwhile (a debug kernel's quarantines, say).  The
	 * fields are there, and the writes made the pages resident.
	 */
	for (k = 0; k < memory->n; k++)
		for (side = 0; side < 2; side++) {
			const char *bytes = side ? "bytes_per_page_native" : "bytes_per_page_vmlab";
			const char *fresh = side ? "fresh_pages_native" : "fresh_pages_vmlab";

			EXPECT_NE(NULL, vl_json_get(&memory->items[k], bytes))
				TH_LOG("memory %s: no %s", str(&memory->items[k], "case"), bytes);
			EXPECT_LT(0, dbl(&memory->items[k], fresh))
				TH_LOG("memory %s: %s %f", str(&memory->items[k], "case"), fresh,
				       dbl(&memory->items[k], fresh));
		}
	vl_json_free(doc);
	result_free(&r);
}

/*
 * walk: a private anonymous mapping of this process, WALK_PAGES pages:
 * pages 0 to WALK_READ - 1 read (the zero page), page WALK_READ written
 * (a page of its own), the last one untouched.  Running the tool forks
 * this process, which write-protects the written page's PTE for
 * copy-on-write: the walk finds it read-only, and dirty to the kernel
 * (kdirty: on 6.12 with shadow stacks the D bit moves to a software bit).
 */
#define WALK_PAGES	8
#define WALK_READ	6

FIXTURE(walk)
{
	int fd;
	char *p;
	struct result r;
	struct vl_json *doc;
};

FIXTURE_VARIANT(walk)
{
	bool vmlab;	/* vmlab's anon kind; else MAP_ANONYMOUS */
	bool json;
};

FIXTURE_VARIANT_ADD(walk, native_text) { .vmlab = false, .json = false };
FIXTURE_VARIANT_ADD(walk, native_json) { .vmlab = false, .json = true };
FIXTURE_VARIANT_ADD(walk, vmlab_text) { .vmlab = true, .json = false };
FIXTURE_VARIANT_ADD(walk, vmlab_json) { .vmlab = true, .json = true };

FIXTURE_SETUP(walk)
{
	size_t i;

	self->fd = -1;
	self->p = MAP_FAILED;
	self->doc = NULL;
	memset(&self->r, 0, sizeof(self->r));
	if (geteuid())
		SKIP(return, "needs root: the walker and PFNs");
	if (access(VMLAB_DEVICE_PATH, R_OK | W_OK))
		SKIP(return, "%s: %s (vmlab not loaded)", VMLAB_DEVICE_PATH, strerror(errno));
	if (variant->vmlab) {
		self->fd = vl_open(O_RDWR);
		ASSERT_LE(0, self->fd) TH_LOG("open: %s", strerror(-self->fd));
		self->p = vl_map(self->fd, VMLAB_KIND_ANON, WALK_PAGES * PS,
				 PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	} else {
		self->p = mmap(NULL, WALK_PAGES * PS, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	ASSERT_NE(MAP_FAILED, self->p) TH_LOG("mmap: %s", strerror(errno));
	for (i = 0; i < WALK_READ; i++)
		vl_read_byte(self->p + i * PS);
	vl_write_byte(self->p + WALK_READ * PS, 'w');
}

FIXTURE_TEARDOWN(walk)
{
	if (self->p != MAP_FAILED)
		munmap(self->p, WALK_PAGES * PS);
	if (self->fd >= 0)
		close(self->fd);
	vl_json_free(self->doc);
	result_free(&self->r);
}

/* The line of @text that holds @needle, copied into @buf ("" when none). */
static const char *line_with(const char *text, const char *needle, char *buf, size_t len)
{
	const char *at = strstr(text, needle), *start, *end;

	buf[0] = '\0';
	if (!at)
		return buf;
	/* A needle from the start of a line: the line after its newline. */
	if (*needle == '\n')
		at++;
	for (start = at; start > text && start[-1] != '\n'; start--)
		;
	end = strchrnul(at, '\n');
	snprintf(buf, len, "%.*s", (int)(end - start), start);
	return buf;
}

static bool has_bit(const struct vl_json *entry, const char *name)
{
	const struct vl_json *bits = vl_json_get(entry, "bits");
	size_t i;

	for (i = 0; bits && i < bits->n; i++)
		if (!strcmp(vl_json_str(&bits->items[i]), name))
			return true;
	return false;
}

/* The table: a header, the six zero-page PTEs folded into one line, the written one. */
static void walk_text_check(struct __test_metadata *_metadata, const char *out, uint64_t zero_pfn,
			    uint64_t anon_pfn)
{
	char line[512], want[64];

	EXPECT_NE(NULL, strstr(out, "process ")) TH_LOG("stdout: %s", out);
	EXPECT_NE(NULL, strstr(out, "PGD  P4D  PUD  PMD  PTE")) TH_LOG("stdout: %s", out);
	/* One line for the six reads: same bits, same PFN, folded. */
	line_with(out, "4Kx6", line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, "zero page")) TH_LOG("line: '%s'", line);
	EXPECT_NE(NULL, strstr(line, "P-U--A")) TH_LOG("line: '%s'", line);
	EXPECT_NE(NULL, strstr(line, "special")) TH_LOG("line: '%s'", line);
	snprintf(want, sizeof(want), " %#llx ", (unsigned long long)zero_pfn);
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("line: '%s', no PFN%s", line, want);
	/* The written page: its own PFN, anon, write-protected by the fork. */
	snprintf(want, sizeof(want), " %#llx ", (unsigned long long)anon_pfn);
	line_with(out, want, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, " 4K ")) TH_LOG("line: '%s' (PFN%s)", line, want);
	EXPECT_NE(NULL, strstr(line, "P-U--A")) TH_LOG("line: '%s'", line);
	EXPECT_NE(NULL, strstr(line, "anon")) TH_LOG("line: '%s'", line);
	/* The untouched page has no entry: seven PTEs in two lines. */
	EXPECT_EQ(NULL, strstr(out, " 4Kx7")) TH_LOG("stdout: %s", out);
}

/* The PFN in a present entry's raw value: bits 12-51 (a leaf above PTEs: 13-51, 12 is PAT). */
static unsigned long long raw_pfn(const struct vl_json *e)
{
	unsigned long long pfn = (strtoull(str(e, "raw"), NULL, 16) >> 12) & ((1ULL << 40) - 1);

	if (strcmp(str(e, "level"), "PTE") && strcmp(str(e, "what"), "table"))
		pfn &= ~1ULL;
	return pfn;
}

/* Every field of every entry, and the PTEs against pagemap. */
static void walk_json_check(struct __test_metadata *_metadata, const struct vl_json *doc,
			    unsigned long start, const uint64_t *pm)
{
	static const char *const fields[] = {
		"level", "addr", "raw", "pfn", "table_pfn", "bits_value", "bits", "what", "maps",
		"order", "pkey", "ino", "dev", "swap_type", "swap_offset",
	};
	const struct vl_json *entries = vl_json_get(doc, "entries");
	size_t i, f, ptes = 0, pmds = 0;

	EXPECT_STREQ("walk", str(doc, "command"));
	EXPECT_EQ(getpid(), num(doc, "pid"));
	EXPECT_EQ(start, hex(doc, "start"));
	EXPECT_EQ(start + WALK_PAGES * PS, hex(doc, "end"));
	EXPECT_TRUE(num(doc, "levels") == 4 || num(doc, "levels") == 5)
		TH_LOG("levels %lld", num(doc, "levels"));
	ASSERT_NE(NULL, entries);
	for (i = 0; i < entries->n; i++) {
		const struct vl_json *e = &entries->items[i];
		unsigned long addr = hex(e, "addr");
		struct vl_pm p;
		size_t page;

		for (f = 0; f < ARRAY_SIZE(fields); f++) {
			const char *name = fields[f];

			EXPECT_NE(NULL, vl_json_get(e, name))
				TH_LOG("entry %zu (%s %lx): no %s", i, str(e, "level"), addr, name);
		}
		EXPECT_EQ(raw_pfn(e), (unsigned long long)num(e, "pfn"))
			TH_LOG("entry %zu: raw %s, pfn %lld", i, str(e, "raw"), num(e, "pfn"));
		if (!strcmp(str(e, "level"), "PMD"))
			pmds++;
		if (strcmp(str(e, "level"), "PTE"))
			continue;
		ptes++;
		ASSERT_LE(start, addr);
		page = (addr - start) / PS;
		ASSERT_GT(WALK_PAGES, page);
		p = vl_pm_decode(pm[page]);
		EXPECT_TRUE(p.present) TH_LOG("page %zu: a PTE, not present in pagemap", page);
		EXPECT_EQ(p.pfn, (uint64_t)num(e, "pfn"))
			TH_LOG("page %zu: pagemap PFN %#llx, walk %#llx", page,
			       (unsigned long long)p.pfn, (unsigned long long)num(e, "pfn"));
		if (has_bit(e, "soft_dirty")) {
			EXPECT_TRUE(p.soft_dirty)
				TH_LOG("page %zu: soft-dirty, not in pagemap", page);
		}
		EXPECT_TRUE(has_bit(e, "present") && has_bit(e, "user") && has_bit(e, "leaf"))
			TH_LOG("page %zu: bits_value %s", page, str(e, "bits_value"));
		if (page < WALK_READ) {
			EXPECT_STREQ("zero", str(e, "what")) TH_LOG("page %zu", page);
			EXPECT_STREQ("zero page", str(e, "maps")) TH_LOG("page %zu", page);
			EXPECT_TRUE(has_bit(e, "special")) TH_LOG("page %zu", page);
			EXPECT_FALSE(has_bit(e, "rw")) TH_LOG("page %zu", page);
		} else {
			EXPECT_EQ(WALK_READ, page);
			EXPECT_STREQ("anon", str(e, "what"));
			/* Written, then write-protected by the fork that ran the tool. */
			EXPECT_TRUE(has_bit(e, "kdirty") && !has_bit(e, "rw") &&
				    !has_bit(e, "write"))
				TH_LOG("bits_value %s", str(e, "bits_value"));
			EXPECT_FALSE(has_bit(e, "special"));
			EXPECT_EQ(0, num(e, "order"));
		}
	}
	EXPECT_EQ(WALK_READ + 1, ptes);
	/* The mapping is inside one 2 MiB or straddles two: one PMD table each. */
	EXPECT_TRUE(pmds == 1 || pmds == 2) TH_LOG("%zu PMD entries", pmds);
}

TEST_F(walk, output)
{
	unsigned long start = (unsigned long)self->p;
	uint64_t pm[WALK_PAGES];
	char pid[16], range[64];
	struct vl_pm zero, anon;
	int fd;

	fd = vl_pagemap_open(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_pagemap_read(fd, start, WALK_PAGES, pm));
	close(fd);
	zero = vl_pm_decode(pm[0]);
	anon = vl_pm_decode(pm[WALK_READ]);
	ASSERT_TRUE(zero.present && anon.present);
	ASSERT_FALSE(vl_pm_decode(pm[WALK_PAGES - 1]).present);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	/* Hex without 0x, END exclusive. */
	snprintf(range, sizeof(range), "%lx-%lx", start, start + WALK_PAGES * PS);
	if (variant->json)
		run_tool(&self->r, AS_IS, "walk", "--json", pid, range, NULL);
	else
		run_tool(&self->r, AS_IS, "walk", pid, range, NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ("", self->r.err);
	if (!variant->json) {
		walk_text_check(_metadata, self->r.out, zero.pfn, anon.pfn);
		return;
	}
	self->doc = parse(_metadata, self->r.out, true);
	ASSERT_NE(NULL, self->doc);
	walk_json_check(_metadata, self->doc, start, pm);
}

/* One address with 0x: that page alone, the written one. */
TEST_F(walk, one_page)
{
	unsigned long addr = (unsigned long)self->p + WALK_READ * PS + 123;
	unsigned long page = addr & ~(PS - 1);
	const struct vl_json *entries, *last;
	char pid[16], at[32], want[80], line[512];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(at, sizeof(at), "0x%lx", addr);
	run_tool(&self->r, AS_IS, "walk", variant->json ? "--json" : pid,
		 variant->json ? pid : at, variant->json ? at : NULL, NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	if (!variant->json) {
		snprintf(want, sizeof(want), ": %lx-%lx, ", page, page + PS);
		EXPECT_NE(NULL, strstr(self->r.out, want)) TH_LOG("stdout: %s", self->r.out);
		snprintf(want, sizeof(want), "\n%lx ", page);
		line_with(self->r.out, want, line, sizeof(line));
		EXPECT_NE(NULL, strstr(line, " 4K ")) TH_LOG("stdout: %s", self->r.out);
		EXPECT_NE(NULL, strstr(line, "anon")) TH_LOG("line: '%s'", line);
		EXPECT_EQ(NULL, strstr(self->r.out, "4Kx")) TH_LOG("stdout: %s", self->r.out);
		return;
	}
	self->doc = parse(_metadata, self->r.out, false);
	ASSERT_NE(NULL, self->doc);
	EXPECT_EQ(page, hex(self->doc, "start"));
	EXPECT_EQ(page + PS, hex(self->doc, "end"));
	entries = vl_json_get(self->doc, "entries");
	ASSERT_NE(NULL, entries);
	ASSERT_LT(0, entries->n);
	last = &entries->items[entries->n - 1];
	EXPECT_STREQ("PTE", str(last, "level"));
	EXPECT_EQ(page, hex(last, "addr"));
	EXPECT_STREQ("anon", str(last, "what"));
	/* The upper levels, root first, then the PTE: one entry per level at most. */
	EXPECT_GE(5, entries->n);
	EXPECT_STREQ("PGD", str(&entries->items[0], "level"));
}

/* Errors: exit statuses and messages. */

FIXTURE(errors)
{
	struct result r;
};

FIXTURE_VARIANT(errors)
{
	enum setting how;
	const char *args[4];
	int status;
	const char *err;	/* in stderr */
	const char *out;	/* in stdout, or NULL */
};

FIXTURE_VARIANT_ADD(errors, no_command)
{
	.args = { "bogus" }, .status = 2, .err = "no command 'bogus'",
};

FIXTURE_VARIANT_ADD(errors, no_section)
{
	.args = { "tour", "nosuch" }, .status = 2, .err = "no section 'nosuch'",
};

FIXTURE_VARIANT_ADD(errors, bad_option)
{
	.args = { "stat", "--nosuch" }, .status = 2, .err = "usage: vmlab stat",
};

FIXTURE_VARIANT_ADD(errors, help)
{
	.args = { "--help" }, .status = 0, .err = "", .out = "EXIT STATUS",
};

FIXTURE_VARIANT_ADD(errors, version)
{
	.args = { "--version" }, .status = 0, .err = "", .out = "vmlab " VMLAB_VERSION "\n",
};

FIXTURE_VARIANT_ADD(errors, not_a_pid)
{
	.args = { "inspect", "abc" }, .status = 2, .err = "'abc' is not a process id",
};

FIXTURE_VARIANT_ADD(errors, pid_gone)
{
	.args = { "inspect", "GONE" }, .status = 6, .err = "no such process",
};

FIXTURE_VARIANT_ADD(errors, module_not_loaded)
{
	.how = NO_DEVICE, .args = { "tour", "anon" }, .status = 3,
	.err = "module not loaded: run sudo modprobe vmlab",
};

FIXTURE_VARIANT_ADD(errors, debugfs_not_mounted)
{
	.how = NO_DEBUGFS, .args = { "stat" }, .status = 4, .err = "debugfs not mounted",
};

FIXTURE_VARIANT_ADD(errors, stat_not_root)
{
	.how = AS_NOBODY, .args = { "stat" }, .status = 5, .err = "root only",
};

FIXTURE_VARIANT_ADD(errors, tour_not_root)
{
	.how = AS_NOBODY, .args = { "tour", "--json", "anon" }, .status = 0,
	.err = "PFNs and kpageflags are hidden", .out = "\"pfns_visible\": false",
};

FIXTURE_VARIANT_ADD(errors, walk_pid_gone)
{
	.args = { "walk", "GONE", "1000" }, .status = 6, .err = "No such process",
};

FIXTURE_VARIANT_ADD(errors, walk_not_a_range)
{
	.args = { "walk", "SELF", "zz" }, .status = 2, .err = "'zz' is not ADDR or ADDR-END",
};

FIXTURE_VARIANT_ADD(errors, walk_empty_range)
{
	.args = { "walk", "SELF", "2000-1000" }, .status = 2,
	.err = "'2000-1000' is not ADDR or ADDR-END",
};

FIXTURE_VARIANT_ADD(errors, walk_kernel_range)
{
	.args = { "walk", "SELF", "ffff888000000000" }, .status = 2,
	.err = "Invalid argument: an empty range, or one beyond the user address space",
};

FIXTURE_VARIANT_ADD(errors, walk_beyond_user)
{
	.args = { "walk", "SELF", "0-1000000000000000" }, .status = 2, .err = "Invalid argument",
};

FIXTURE_VARIANT_ADD(errors, walk_not_root)
{
	.how = AS_NOBODY, .args = { "walk", "SELF", "1000" }, .status = 5,
	.err = "needs root (CAP_SYS_ADMIN)",
};

FIXTURE_SETUP(errors)
{
	memset(&self->r, 0, sizeof(self->r));
	if (geteuid())
		SKIP(return, "needs root: mount namespaces and setuid");
	if (access(VMLAB_DEVICE_PATH, R_OK | W_OK))
		SKIP(return, "%s: %s (vmlab not loaded)", VMLAB_DEVICE_PATH, strerror(errno));
}

FIXTURE_TEARDOWN(errors)
{
	result_free(&self->r);
}

TEST_F(errors, status_and_message)
{
	const char *a[4];
	char gone[16];
	pid_t pid;
	int i;

	for (i = 0; i < 4; i++)
		a[i] = variant->args[i];
	if (a[1] && !strcmp(a[1], "GONE")) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		ASSERT_LT(0, pid);
		waitpid(pid, NULL, 0);
		snprintf(gone, sizeof(gone), "%d", (int)pid);
		a[1] = gone;
	}
	if (a[1] && !strcmp(a[1], "SELF")) {
		snprintf(gone, sizeof(gone), "%d", (int)getpid());
		a[1] = gone;
	}
	run_tool(&self->r, variant->how, a[0], a[1], a[2], a[3], NULL);
	EXPECT_EQ(variant->status, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, variant->err)) TH_LOG("stderr: %s", self->r.err);
	if (variant->out)
		EXPECT_NE(NULL, strstr(self->r.out, variant->out));
	if (variant->how == AS_NOBODY && variant->status == 0) {
		struct vl_json *doc = parse(_metadata, self->r.out, false);
		const struct vl_json *pg;

		const char *first = strstr(self->r.err, variant->err);

		ASSERT_NE(NULL, doc);
		/* Said once, and no zeros given as PFNs or flags. */
		EXPECT_EQ(NULL, first ? strstr(first + 1, variant->err) : NULL);
		pg = page_of(vl_json_path(doc, "sections.0.steps.1"), "vmlab", "parent", 0);
		ASSERT_NE(NULL, pg);
		EXPECT_TRUE(yes(pg, "present"));
		ASSERT_NE(NULL, vl_json_get(pg, "pfn"));
		ASSERT_NE(NULL, vl_json_get(pg, "kpageflags"));
		EXPECT_EQ(VL_JSON_NULL, vl_json_get(pg, "pfn")->type);
		EXPECT_EQ(VL_JSON_NULL, vl_json_get(pg, "kpageflags")->type);
		vl_json_free(doc);
	}
}

/* The parser behind every "valid JSON" above rejects what is not JSON. */

FIXTURE(json)
{
};

FIXTURE_VARIANT(json)
{
	const char *text;
	bool valid;
};

FIXTURE_VARIANT_ADD(json, object)
{
	.text = "{\"a\": [1, -2.5e3, true, null], \"b\": {}}", .valid = true,
};

FIXTURE_VARIANT_ADD(json, escapes) { .text = "\"\\u00e9\\ud83d\\ude00\\n\"", .valid = true };
FIXTURE_VARIANT_ADD(json, trailing_comma) { .text = "[1, 2,]" };
FIXTURE_VARIANT_ADD(json, leading_zero) { .text = "[01]" };
FIXTURE_VARIANT_ADD(json, bare_key) { .text = "{a: 1}" };
FIXTURE_VARIANT_ADD(json, control_char) { .text = "\"a\tb\"" };
FIXTURE_VARIANT_ADD(json, lone_surrogate) { .text = "\"\\ud800\"" };
FIXTURE_VARIANT_ADD(json, bad_utf8) { .text = "\"\xff\"" };
FIXTURE_VARIANT_ADD(json, two_values) { .text = "{} {}" };
FIXTURE_VARIANT_ADD(json, truncated) { .text = "{\"a\": [1" };

FIXTURE_SETUP(json)
{
}

FIXTURE_TEARDOWN(json)
{
}

TEST_F(json, parse)
{
	struct vl_json *v = NULL;
	int ret = vl_json_parse(variant->text, &v, NULL);

	EXPECT_EQ(variant->valid ? 0 : -EINVAL, ret) TH_LOG("text: %s", variant->text);
	vl_json_free(v);
}

TEST_HARNESS_MAIN
