// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: debugfs vmas lists exactly the VMAs /proc/PID/maps shows.
 *
 * vmlab keeps no list of its VMAs: the vmas listing walks the reverse maps
 * (i_mmap) of its objects and of the huge kind's files.  For each mapping
 * type, a process maps four units of one open file, splits the mapping
 * (mprotect of the second unit), forks, moves the last unit away
 * (mremap), unmaps the first, lets the child exit and unmaps the rest;
 * after each step, for the process and its child, the lines of the
 * listing with their PID must be the vmlab VMAs of their maps, one for
 * one: the same start, end and offset, the permissions the flags column
 * gives (VM_READ, VM_WRITE, VM_EXEC, VM_MAYSHARE), the variant's type; and
 * as many VMAs as the step makes.  The open file's mapping count
 * (VMLAB_IOC_GET_INFO), which counts the VMAs of both processes, must
 * follow.
 *
 * A unit is a page, 2 MiB for the huge kind (which needs 4 free 2 MiB
 * pages).  The _backed variants reload vmlab with a backing file for the
 * store (its VMAs then map the device), in the vm-run guests only
 * (VMLAB_KO).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

#define PS		4096UL
#define HPAGE		(2UL << 20)
#define UNITS		4
/* The window: the mapping's units, a gap, and where the last unit moves. */
#define WINDOW_UNITS	(2 * UNITS + 1)
#define MOVED_AT	(UNITS + 1)

#define BACKING_PATH	"/tmp/vmlab-vmas-backing"
#define BACKED_ARGS	"backing=" BACKING_PATH

/* vm_flags bits that /proc/PID/maps shows as permissions. */
#define VM_READ		0x1UL
#define VM_WRITE	0x2UL
#define VM_EXEC		0x4UL
#define VM_MAYSHARE	0x80UL

/* Enough for any step: 4 VMAs in the process, 3 in its child. */
#define MAX_ROWS	16

/* One VMA, as maps or the listing says it. */
struct row {
	unsigned long start, end, pgoff;
	char perms[5];
	char type[VL_TYPE_NAME_MAX + 1];
};

FIXTURE(vmas) {
	char *window;
	size_t window_len;
	char *base;
	int fd;
};

FIXTURE_VARIANT(vmas) {
	unsigned int kind;
	int flags;
	const char *type;	/* the type the listing must name */
	size_t unit;
	bool backing;		/* reload vmlab with a backing file for the store */
};

FIXTURE_VARIANT_ADD(vmas, private_cow) {
	.kind = VMLAB_KIND_STORE, .flags = MAP_PRIVATE, .type = "private_cow", .unit = PS,
};

FIXTURE_VARIANT_ADD(vmas, shared) {
	.kind = VMLAB_KIND_STORE, .flags = MAP_SHARED, .type = "shared", .unit = PS,
};

FIXTURE_VARIANT_ADD(vmas, private_cow_backed) {
	.kind = VMLAB_KIND_STORE, .flags = MAP_PRIVATE, .type = "private_cow", .unit = PS,
	.backing = true,
};

FIXTURE_VARIANT_ADD(vmas, shared_backed) {
	.kind = VMLAB_KIND_STORE, .flags = MAP_SHARED, .type = "shared", .unit = PS,
	.backing = true,
};

FIXTURE_VARIANT_ADD(vmas, private_anon) {
	.kind = VMLAB_KIND_ANON, .flags = MAP_PRIVATE, .type = "private_anon", .unit = PS,
};

FIXTURE_VARIANT_ADD(vmas, shared_anon) {
	.kind = VMLAB_KIND_ANON, .flags = MAP_SHARED, .type = "shared_anon", .unit = PS,
};

FIXTURE_VARIANT_ADD(vmas, huge) {
	.kind = VMLAB_KIND_HUGE, .flags = MAP_SHARED, .type = "huge", .unit = HPAGE,
};

FIXTURE_SETUP(vmas)
{
	long long free_pages = -1;
	int ret;

	self->window = MAP_FAILED;
	self->fd = -1;
	if (variant->backing) {
		const char *ko = getenv("VMLAB_KO");

		if (!ko || !*ko)
			SKIP(return, "VMLAB_KO unset: vmlab is reloaded only in the vm-run guests");
		ASSERT_TRUE(vl_module_loaded());
		vmlab_ksft_reload(BACKED_ARGS);
	}
	if (variant->kind == VMLAB_KIND_HUGE &&
	    (vl_meminfo_field("HugePages_Free", &free_pages) || free_pages < UNITS))
		SKIP(return, "needs %d free 2 MiB pages, has %lld", UNITS, free_pages);
	/* Reserved, 2 MiB-aligned: nothing else is mapped in the window meanwhile. */
	self->window_len = WINDOW_UNITS * variant->unit + HPAGE;
	self->window = mmap(NULL, self->window_len, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->window);
	self->base = (char *)(((uintptr_t)self->window + HPAGE - 1) & ~(HPAGE - 1));
	self->fd = vl_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	if (variant->kind != VMLAB_KIND_STORE) {
		ret = vl_select(self->fd, variant->kind, -1);
		ASSERT_EQ(0, ret) {
			TH_LOG("select kind %u: %s", variant->kind, strerror(-ret));
		}
	}
}

/*
 * In the parent, once the test's process is gone (its child exits when
 * the pipe's write end goes with it): vmlab back without backing=.
 */
FIXTURE_TEARDOWN_PARENT(vmas)
{
	if (variant->backing)
		vmlab_ksft_reload_default(BACKING_PATH);
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * The VMAs of @pid in [@lo, @hi) that map a file, from /proc/PID/maps,
 * sorted: in the window only vmlab's do (the reservation is anonymous).
 * Return: how many, or -errno.
 */
static int maps_rows(pid_t pid, unsigned long lo, unsigned long hi, struct row *out)
{
	struct vl_vma *v = NULL;
	size_t n = 0, i;
	int ret, count = 0;

	ret = vl_maps_read(pid, &v, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (v[i].end <= lo || v[i].start >= hi || !v[i].inode)
			continue;
		if (count == MAX_ROWS) {
			count = -E2BIG;
			break;
		}
		out[count].start = v[i].start;
		out[count].end = v[i].end;
		out[count].pgoff = v[i].pgoff / PS;
		snprintf(out[count].perms, sizeof(out[count].perms), "%s", v[i].perms);
		out[count].type[0] = '\0';
		count++;
	}
	free(v);
	if (count > 0)
		qsort(out, count, sizeof(*out), row_cmp);
	return count;
}

/*
 * The lines of the vmas listing with PID @pid, sorted, their flags turned
 * into permissions as maps shows them.  Return: how many, or -errno.
 */
static int listing_rows(pid_t pid, struct row *out)
{
	struct vl_vma_row *v = NULL;
	size_t n = 0, i;
	int ret, count = 0;

	ret = vl_vmas_read(&v, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (v[i].pid != pid)
			continue;
		if (count == MAX_ROWS) {
			count = -E2BIG;
			break;
		}
		out[count].start = v[i].start;
		out[count].end = v[i].end;
		out[count].pgoff = v[i].pgoff;
		snprintf(out[count].perms, sizeof(out[count].perms), "%c%c%c%c",
			 v[i].flags & VM_READ ? 'r' : '-', v[i].flags & VM_WRITE ? 'w' : '-',
			 v[i].flags & VM_EXEC ? 'x' : '-', v[i].flags & VM_MAYSHARE ? 's' : 'p');
		snprintf(out[count].type, sizeof(out[count].type), "%s", v[i].type);
		count++;
	}
	free(v);
	if (count > 0)
		qsort(out, count, sizeof(*out), row_cmp);
	return count;
}

static void log_rows(struct __test_metadata *_metadata, const char *what, const struct row *r,
		     int n)
{
	int i;

	for (i = 0; i < n; i++)
		TH_LOG("  %s: %lx-%lx %s pgoff %lx %s", what, r[i].start, r[i].end, r[i].perms,
		       r[i].pgoff, r[i].type);
}

/*
 * After @step: the listing's lines of @pid are its vmlab VMAs in maps, one
 * for one, @want of them, of the variant's type.
 */
static void expect_same(struct __test_metadata *_metadata, const char *step, pid_t pid,
			const char *type, unsigned long lo, unsigned long hi, int want)
{
	struct row m[MAX_ROWS], l[MAX_ROWS];
	int nm, nl, i, same;

	nm = maps_rows(pid, lo, hi, m);
	nl = listing_rows(pid, l);
	ASSERT_LE(0, nm) {
		TH_LOG("%s: /proc/%d/maps: %s", step, pid, strerror(-nm));
	}
	ASSERT_LE(0, nl) {
		TH_LOG("%s: %s: %s", step, VL_VMAS_PATH, strerror(-nl));
	}
	same = nm == nl;
	for (i = 0; same && i < nm; i++)
		same = m[i].start == l[i].start && m[i].end == l[i].end &&
		       m[i].pgoff == l[i].pgoff && !strcmp(m[i].perms, l[i].perms) &&
		       !strcmp(l[i].type, type);
	EXPECT_TRUE(same && nm == want) {
		TH_LOG("%s, pid %d: maps has %d vmlab VMAs, the listing %d lines; want %d, %s",
		       step, pid, nm, nl, want, type);
		log_rows(_metadata, "maps", m, nm);
		log_rows(_metadata, "vmas", l, nl);
	}
}

/* The open file's count of mappings, from VMLAB_IOC_GET_INFO; -1 on error. */
static long long mappings(int fd)
{
	struct vmlab_info info;

	return vl_info(fd, &info) ? -1 : (long long)info.mappings;
}

/* Write a byte at the start of each unit in [@first, @end) of @p. */
static void touch_units(char *p, size_t unit, int first, int end)
{
	int i;

	for (i = first; i < end; i++)
		p[i * unit] = (char)i;
}

TEST_F(vmas, listing_follows_maps)
{
	size_t u = variant->unit;
	unsigned long lo = (unsigned long)self->base, hi = lo + WINDOW_UNITS * u;
	char *p, *moved = self->base + MOVED_AT * u;
	pid_t me = getpid(), child;
	int status, go[2];
	char c;

	/* mmap: one VMA. */
	p = mmap(self->base, UNITS * u, PROT_READ | PROT_WRITE, variant->flags | MAP_FIXED,
		 self->fd, 0);
	ASSERT_EQ(self->base, p) {
		TH_LOG("mmap: %s", strerror(errno));
	}
	touch_units(p, u, 0, UNITS);
	expect_same(_metadata, "mmap", me, variant->type, lo, hi, 1);
	EXPECT_EQ(1, mappings(self->fd));

	/* mprotect of the second unit: three pieces. */
	ASSERT_EQ(0, mprotect(p + u, u, PROT_READ));
	expect_same(_metadata, "mprotect", me, variant->type, lo, hi, 3);
	EXPECT_EQ(3, mappings(self->fd));

	/*
	 * fork: the child has copies of the three, until told to exit (or
	 * until this process exits).  Not in the fixture, which the harness
	 * shares with the child.
	 */
	ASSERT_EQ(0, pipe(go));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		close(go[1]);
		_exit(read(go[0], &c, 1) == 0 ? 0 : 1);
	}
	close(go[0]);
	expect_same(_metadata, "fork", me, variant->type, lo, hi, 3);
	expect_same(_metadata, "fork (child)", child, variant->type, lo, hi, 3);
	EXPECT_EQ(6, mappings(self->fd));

	/* mremap of the last unit away: the third piece splits, one part moves. */
	ASSERT_EQ(moved, mremap(p + 3 * u, u, u, MREMAP_MAYMOVE | MREMAP_FIXED, moved)) {
		TH_LOG("mremap: %s", strerror(errno));
	}
	touch_units(moved, u, 0, 1);
	expect_same(_metadata, "mremap", me, variant->type, lo, hi, 4);
	expect_same(_metadata, "mremap (child)", child, variant->type, lo, hi, 3);
	EXPECT_EQ(7, mappings(self->fd));

	/* munmap of the first unit. */
	ASSERT_EQ(0, munmap(p, u));
	expect_same(_metadata, "munmap", me, variant->type, lo, hi, 3);
	expect_same(_metadata, "munmap (child)", child, variant->type, lo, hi, 3);
	EXPECT_EQ(6, mappings(self->fd));

	/* The child exits: its VMAs go with its address space. */
	close(go[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	{
		struct row l[MAX_ROWS];
		int nl = listing_rows(child, l);

		EXPECT_EQ(0, nl) {
			TH_LOG("child exit: %d lines of pid %d in the listing", nl, child);
			log_rows(_metadata, "vmas", l, nl);
		}
	}
	expect_same(_metadata, "child exit", me, variant->type, lo, hi, 3);
	EXPECT_EQ(3, mappings(self->fd));

	/* munmap of the rest. */
	ASSERT_EQ(0, munmap(p + u, 2 * u));
	ASSERT_EQ(0, munmap(moved, u));
	expect_same(_metadata, "munmap all", me, variant->type, lo, hi, 0);
	EXPECT_EQ(0, mappings(self->fd));
}

TEST_HARNESS_MAIN
