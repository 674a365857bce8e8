// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: does a mapping merge with its neighbour?  For each
 * mapping type, two mmaps of the same file, the second at the end of the
 * first and at the file offset that continues it, and the same two mmaps of
 * the native twin; /proc/self/maps tells whether the kernel made one VMA of
 * them or kept two.
 *
 * What vmlab's VMAs do depends on the kernel: 6.1 merges no VMA that has a
 * ->close, and every vmlab VMA has one; 6.12 lets a new mapping expand the
 * VMA before it when the flags, the file and the offset continue it, even
 * with a ->close (only a merge that would remove a VMA is refused), before
 * the file's ->mmap is called.  That holds for the store with a backing
 * file, whose VMAs map the device (the _backed variants reload vmlab with
 * one).  The huge kind's VMAs are VM_SPECIAL (VM_MIXEDMAP | VM_DONTEXPAND)
 * and never merge; a shared anonymous mapping gets an object of its own, as
 * /dev/zero's gets a shmem file, and never merges either; nor does a
 * mapping of the store without a backing file, which ->mmap points at a
 * tmpfs file, not the device the core compared it with.
 *
 * Needs vmlab loaded; the huge case needs 4 free 2 MiB pages; the _backed
 * variants reload vmlab, in the vm-run guests only (VMLAB_KO).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmlab_ksft.h"
#include "vmlab_uapi.h"
#include "debugfs.h"
#include "device.h"
#include "kmodule.h"
#include "procfs.h"

#define PS		4096UL
#define HPAGE		(2UL << 20)

/* The backing file of the _backed variants' store. */
#define BACKING_PATH	"/tmp/vmlab-merge-backing"
#define BACKED_ARGS	"backing=" BACKING_PATH

#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif

enum twin {
	TWIN_MEMFD,		/* a memfd (tmpfs) file */
	TWIN_ANON,		/* MAP_ANONYMOUS */
	TWIN_HUGE_MEMFD,	/* a memfd of 2 MiB hugetlb pages */
};

/* Whether two adjacent mappings became one VMA, by kernel. */
enum merge {
	KEPT_TWO = 2,
	MERGED = 1,
};

FIXTURE(merge) {
	char *area;
	size_t area_len;
};

FIXTURE_VARIANT(merge) {
	unsigned int kind;
	int flags;
	enum twin twin;
	size_t len;
	const char *live;	/* vmlab's counter of live VMAs of this type */
	bool backing;		/* reload vmlab with a backing file for the store */
	enum merge vmlab_6_1, vmlab_6_12;
	enum merge twin_6_1, twin_6_12;
};

FIXTURE_VARIANT_ADD(merge, private_cow_backed) {
	.kind = VMLAB_KIND_STORE, .flags = MAP_PRIVATE, .twin = TWIN_MEMFD,
	.len = 4 * PS, .live = "vmas_live_private_cow", .backing = true,
	.vmlab_6_1 = KEPT_TWO, .vmlab_6_12 = MERGED,
	.twin_6_1 = MERGED, .twin_6_12 = MERGED,
};

FIXTURE_VARIANT_ADD(merge, shared_backed) {
	.kind = VMLAB_KIND_STORE, .flags = MAP_SHARED, .twin = TWIN_MEMFD,
	.len = 4 * PS, .live = "vmas_live_shared", .backing = true,
	.vmlab_6_1 = KEPT_TWO, .vmlab_6_12 = MERGED,
	.twin_6_1 = MERGED, .twin_6_12 = MERGED,
};

/*
 * Without a backing file each store VMA maps a tmpfs file (its open file's,
 * which ->mmap sets), not the device the core compares the new mapping
 * with before ->mmap: no merge, where two mappings of a memfd merge.
 */
FIXTURE_VARIANT_ADD(merge, private_cow) {
	.kind = VMLAB_KIND_STORE, .flags = MAP_PRIVATE, .twin = TWIN_MEMFD,
	.len = 4 * PS, .live = "vmas_live_private_cow",
	.vmlab_6_1 = KEPT_TWO, .vmlab_6_12 = KEPT_TWO,
	.twin_6_1 = MERGED, .twin_6_12 = MERGED,
};

FIXTURE_VARIANT_ADD(merge, shared) {
	.kind = VMLAB_KIND_STORE, .flags = MAP_SHARED, .twin = TWIN_MEMFD,
	.len = 4 * PS, .live = "vmas_live_shared",
	.vmlab_6_1 = KEPT_TWO, .vmlab_6_12 = KEPT_TWO,
	.twin_6_1 = MERGED, .twin_6_12 = MERGED,
};

/*
 * Each private anonymous VMA maps its open file's empty object, not the
 * device the core compares the new mapping with before ->mmap: no merge.
 */
FIXTURE_VARIANT_ADD(merge, private_anon) {
	.kind = VMLAB_KIND_ANON, .flags = MAP_PRIVATE, .twin = TWIN_ANON,
	.len = 4 * PS, .live = "vmas_live_private_anon",
	.vmlab_6_1 = KEPT_TWO, .vmlab_6_12 = KEPT_TWO,
	.twin_6_1 = MERGED, .twin_6_12 = MERGED,
};

FIXTURE_VARIANT_ADD(merge, shared_anon) {
	.kind = VMLAB_KIND_ANON, .flags = MAP_SHARED, .twin = TWIN_ANON,
	.len = 4 * PS, .live = "vmas_live_shared_anon",
	.vmlab_6_1 = KEPT_TWO, .vmlab_6_12 = KEPT_TWO,
	.twin_6_1 = KEPT_TWO, .twin_6_12 = KEPT_TWO,
};

FIXTURE_VARIANT_ADD(merge, huge) {
	.kind = VMLAB_KIND_HUGE, .flags = MAP_SHARED, .twin = TWIN_HUGE_MEMFD,
	.len = HPAGE, .live = "vmas_live_huge",
	.vmlab_6_1 = KEPT_TWO, .vmlab_6_12 = KEPT_TWO,
	.twin_6_1 = KEPT_TWO, .twin_6_12 = KEPT_TWO,
};

/* Is the running kernel 6.12 or later (else 6.1)? */
static bool kernel_6_12(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 12);
}

/* How many VMAs of /proc/self/maps meet [@start, @end), or -1. */
static int vmas_in(const char *start, const char *end)
{
	struct vl_vma *v = NULL;
	size_t n = 0, i;
	int count = 0;

	if (vl_maps_read(0, &v, &n))
		return -1;
	for (i = 0; i < n; i++)
		count += v[i].start < (unsigned long)end && v[i].end > (unsigned long)start;
	free(v);
	return count;
}

FIXTURE_SETUP(merge)
{
	long long free_pages = -1;

	self->area = MAP_FAILED;
	if (variant->backing) {
		const char *ko = getenv("VMLAB_KO");

		if (!ko || !*ko)
			SKIP(return, "VMLAB_KO unset: vmlab is reloaded only in the vm-run guests");
		if (geteuid())
			SKIP(return, "reloading vmlab needs root");
		ASSERT_TRUE(vl_module_loaded());
	}
	if (variant->kind == VMLAB_KIND_HUGE &&
	    (vl_meminfo_field("HugePages_Free", &free_pages) || free_pages < 4))
		SKIP(return, "needs 4 free 2 MiB pages, has %lld", free_pages);
	/* Room for both mappings, 2 MiB-aligned. */
	self->area_len = 2 * variant->len + HPAGE;
	self->area = mmap(NULL, self->area_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			  MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->area);
}

/*
 * In the parent, once the test's process and its mappings are gone: load
 * vmlab again with no parameters after a _backed variant.
 */
FIXTURE_TEARDOWN_PARENT(merge)
{
	if (variant->backing)
		vmlab_ksft_reload_default(BACKING_PATH);
}

/*
 * Map @len of @fd at @base (offset 0) and @len more right after it (offset
 * @len), write a byte into each, and count the VMAs they make; -1 on error.
 */
static int map_two(struct __test_metadata *_metadata, int fd, int flags, size_t len, char *base)
{
	int anon = fd < 0 ? MAP_ANONYMOUS : 0;
	char *a, *b;

	a = mmap(base, len, PROT_READ | PROT_WRITE, flags | anon | MAP_FIXED, fd, 0);
	b = mmap(base + len, len, PROT_READ | PROT_WRITE, flags | anon | MAP_FIXED, fd,
		 anon ? 0 : len);
	EXPECT_EQ(base, a) {
		TH_LOG("first mmap: %s", strerror(errno));
	}
	EXPECT_EQ(base + len, b) {
		TH_LOG("second mmap: %s", strerror(errno));
	}
	if (a != base || b != base + len)
		return -1;
	*a = 'a';
	*b = 'b';
	return vmas_in(base, base + 2 * len);
}

TEST_F(merge, adjacent_mappings)
{
	bool new = kernel_6_12();
	enum merge want = new ? variant->vmlab_6_12 : variant->vmlab_6_1;
	enum merge want_twin = new ? variant->twin_6_12 : variant->twin_6_1;
	char *base = (char *)(((uintptr_t)self->area + HPAGE - 1) & ~(HPAGE - 1));
	struct vl_counters c0, c1;
	struct vmlab_info info;
	int fd, twin_fd, got, got_twin, ret;

	if (variant->backing)
		vmlab_ksft_reload(BACKED_ARGS);
	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_info(fd, &info));
	ASSERT_EQ(variant->backing, (bool)info.has_backing);
	if (variant->kind != VMLAB_KIND_STORE) {
		ret = vl_select(fd, variant->kind, -1);
		ASSERT_EQ(0, ret) {
			TH_LOG("select kind %u: %s", variant->kind, strerror(-ret));
		}
	}
	ASSERT_EQ(0, vl_counters_read(&c0));
	got = map_two(_metadata, fd, variant->flags, variant->len, base);
	ASSERT_EQ(0, vl_counters_read(&c1));
	TH_LOG("vmlab: %d VMA(s) (%s +%lld); want %d on %s", got, variant->live,
	       (long long)vl_counter_delta(&c0, &c1, variant->live), want, new ? "6.12" : "6.1");
	/* One live VMA counted per VMA the kernel kept. */
	EXPECT_EQ(got, vl_counter_delta(&c0, &c1, variant->live));
	munmap(base, 2 * variant->len);
	close(fd);

	switch (variant->twin) {
	case TWIN_MEMFD:
		twin_fd = memfd_create("vmlab-merge-twin", 0);
		break;
	case TWIN_HUGE_MEMFD:
		twin_fd = memfd_create("vmlab-merge-twin", MFD_HUGETLB);
		break;
	default:
		twin_fd = -1;
		break;
	}
	if (variant->twin != TWIN_ANON) {
		ASSERT_LE(0, twin_fd);
		ASSERT_EQ(0, ftruncate(twin_fd, 2 * variant->len));
	}
	got_twin = map_two(_metadata, twin_fd, variant->flags, variant->len, base);
	munmap(base, 2 * variant->len);
	if (twin_fd >= 0)
		close(twin_fd);
	TH_LOG("native twin: %d VMA(s); want %d", got_twin, want_twin);

	EXPECT_EQ(want, got);
	EXPECT_EQ(want_twin, got_twin);
}

TEST_HARNESS_MAIN
