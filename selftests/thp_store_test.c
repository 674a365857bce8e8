// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: transparent huge pages of the store with a backing file
 * (module parameters backing= and thp=).  That store's page cache is
 * vmlab's own: its 2 MiB folios are made by vmlab's ->fault as the policy
 * says, read in whole from the backing file, mapped with one PMD where the
 * VMA covers them, dirtied and written back whole.  Each test reloads vmlab
 * with the policy of its variant and a backing file holding a known
 * pattern, and checks, against what the policy must give:
 *   - where the pages come from: smaps FilePmdMapped, kpageflags thp and
 *     compound head/tail over the mapping, and /proc/vmstat thp_file_alloc
 *     and thp_file_fallback;
 *   - that every 4 KiB of a 2 MiB folio was read from the backing file;
 *   - write-back: every 4 KiB written through the mapping reaches the
 *     backing file, the store is clean after it (debugfs dirty_store), and
 *     the mapping is write-protected again: the next write to each folio
 *     calls ->page_mkwrite once, and dirties the whole folio;
 *   - a write to a MAP_PRIVATE mapping copies 4 KiB, not the folio.
 * The tmpfs-held objects' THPs (the store without backing=, shared
 * anonymous objects) are tmpfs's own, compared with their tmpfs twin in
 * thp_test.c.  Runs only in the vm-run guests (VMLAB_KO set), which can
 * reload vmlab.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmlab_ksft.h"

#include "debugfs.h"
#include "device.h"
#include "kmodule.h"
#include "pagemap.h"
#include "procfs.h"

#define BACKING_PATH	"/tmp/vmlab-thp-backing"
#define STORE_SIZE	(8UL << 20)
#define HPAGE		(2UL << 20)
/* The mapping: 4 MiB from the store's offset 2 MiB (two aligned folios). */
#define MAP_LEN		(4UL << 20)
#define MAP_OFF		HPAGE
#define INJECT_DIR	VMLAB_DEBUGFS_PATH "/inject"

/* The byte the backing file holds at @pos before the test, and after its writes. */
static unsigned char pattern(size_t pos)
{
	return (unsigned char)(pos / 4096 * 7 + 1);
}

static unsigned char written(size_t pos)
{
	return (unsigned char)(pos / 4096 * 13 + 5);
}

static bool have_thp(void)
{
	return !access("/sys/kernel/mm/transparent_hugepage", F_OK);
}

/* A value of /proc/vmstat, or -1 when the kernel has no such line. */
static long long vmstat_value(const char *name)
{
	long long v;

	return vl_vmstat_field(name, &v) ? -1 : v;
}

static int64_t counter_value(struct __test_metadata *_metadata, const char *name)
{
	struct vl_counters c;
	uint64_t v = 0;

	ASSERT_EQ(0, vl_counters_read(&c));
	ASSERT_EQ(0, vl_counter_get(&c, name, &v)) {
		TH_LOG("no counter %s", name);
	}
	return (int64_t)v;
}

/* FileHugePages and FilePmdMapped of /proc/meminfo, in kB (0 without THP). */
struct meminfo_file {
	long long file_huge, file_pmd;
};

static void meminfo_file_thp(struct meminfo_file *m)
{
	if (vl_meminfo_field("FileHugePages", &m->file_huge))
		m->file_huge = 0;
	if (vl_meminfo_field("FilePmdMapped", &m->file_pmd))
		m->file_pmd = 0;
}

/*
 * The offset of the first 4 KiB of @got (the backing file's bytes from
 * @pos) whose first byte is not @want's, or @len.
 */
static size_t first_mismatch(const unsigned char *got, size_t len, size_t pos,
			     unsigned char (*want)(size_t))
{
	size_t i;

	for (i = 0; i < len; i += 4096)
		if (got[i] != want(pos + i))
			return i;
	return len;
}

FIXTURE(backed) {
	int fd;
	unsigned char *map;
	char *region;
};

/*
 * @thp: the module parameter; @advice: 0 or MADV_HUGEPAGE or MADV_NOHUGEPAGE
 * before the first access; @inject: make every 2 MiB allocation fail;
 * @private: MAP_PRIVATE instead of MAP_SHARED; @huge: whether the policy
 * gives 2 MiB folios (on a kernel with THP).
 */
FIXTURE_VARIANT(backed) {
	const char *thp;
	int advice;
	bool inject;
	bool private;
	bool huge;
	unsigned long skew;
};

FIXTURE_VARIANT_ADD(backed, always)
{
	.thp = "always", .huge = true,
};

FIXTURE_VARIANT_ADD(backed, within_size)
{
	.thp = "within_size", .huge = true,
};

FIXTURE_VARIANT_ADD(backed, advise)
{
	.thp = "advise", .huge = false,
};

FIXTURE_VARIANT_ADD(backed, advise_hugepage)
{
	.thp = "advise", .advice = MADV_HUGEPAGE, .huge = true,
};

FIXTURE_VARIANT_ADD(backed, always_nohugepage)
{
	.thp = "always", .advice = MADV_NOHUGEPAGE, .huge = false,
};

FIXTURE_VARIANT_ADD(backed, never_hugepage)
{
	.thp = "never", .advice = MADV_HUGEPAGE, .huge = false,
};

FIXTURE_VARIANT_ADD(backed, inherit)
{
	.thp = "inherit", .huge = false,
};

FIXTURE_VARIANT_ADD(backed, always_fallback)
{
	.thp = "always", .inject = true, .huge = false,
};

/* A VMA that cannot map the 2 MiB with a PMD gets no 2 MiB folio (as 6.12's tmpfs). */
FIXTURE_VARIANT_ADD(backed, always_misaligned)
{
	.thp = "always", .skew = 4096, .huge = false,
};

FIXTURE_VARIANT_ADD(backed, always_private)
{
	.thp = "always", .private = true, .huge = true,
};

FIXTURE_SETUP(backed)
{
	const char *ko = getenv("VMLAB_KO");
	unsigned char *buf;
	char args[160];
	size_t pos;
	int bfd;

	self->fd = -1;
	self->map = MAP_FAILED;
	self->region = MAP_FAILED;
	if (!ko || !*ko)
		SKIP(return, "VMLAB_KO unset: vmlab is reloaded only in the vm-run guests");
	/* The backing file's contents, before vmlab opens it. */
	buf = malloc(STORE_SIZE);
	ASSERT_NE(NULL, buf);
	for (pos = 0; pos < STORE_SIZE; pos++)
		buf[pos] = pattern(pos);
	bfd = open(BACKING_PATH, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, bfd);
	ASSERT_EQ((ssize_t)STORE_SIZE, pwrite(bfd, buf, STORE_SIZE, 0));
	close(bfd);
	free(buf);
	snprintf(args, sizeof(args), "backing=%s store_size=%lu thp=%s", BACKING_PATH,
		 STORE_SIZE, variant->thp);
	vmlab_ksft_reload(args);
	self->fd = vl_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	/* A 2 MiB-aligned place, whatever the placement of the policy. */
	self->region = mmap(NULL, MAP_LEN + 2 * HPAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	ASSERT_NE(MAP_FAILED, self->region);
	self->map = mmap((void *)((((uintptr_t)self->region + HPAGE - 1) & ~(HPAGE - 1)) +
				  variant->skew), MAP_LEN,
			 PROT_READ | PROT_WRITE,
			 (variant->private ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED,
			 self->fd, MAP_OFF);
	ASSERT_NE(MAP_FAILED, self->map);
	if (variant->inject) {
		ASSERT_EQ(0, vl_write_file(INJECT_DIR "/point", "thp_alloc"));
		ASSERT_EQ(0, vl_write_file(INJECT_DIR "/probability", "100"));
	}
}

FIXTURE_TEARDOWN_PARENT(backed)
{
	if (variant->inject) {
		vl_write_file(INJECT_DIR "/probability", "0");
		vl_write_file(INJECT_DIR "/point", "all");
	}
	if (getenv("VMLAB_KO") && *getenv("VMLAB_KO"))
		vmlab_ksft_reload_default(BACKING_PATH);
}

/*
 * The folios behind the mapping, from pagemap and kpageflags: @fsize[i]
 * receives the number of pages of the folio page i belongs to (1 for a
 * base page), @pmd the number of 2 MiB folios (a head and 511 tails at
 * consecutive PFNs), @thp the pages kpageflags marks thp.
 */
static void scan_folios(struct __test_metadata *_metadata, void *addr, size_t npages,
			size_t *fsize, size_t *pmd, size_t *thp)
{
	uint64_t *pm = calloc(npages, sizeof(*pm)), *kpf = calloc(npages, sizeof(*kpf));
	int pfd = vl_pagemap_open(0), kfd = vl_kpageflags_open();
	size_t i, start = 0;

	ASSERT_NE(NULL, pm);
	ASSERT_NE(NULL, kpf);
	ASSERT_LE(0, pfd);
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, vl_pagemap_read(pfd, (unsigned long)addr, npages, pm));
	*pmd = 0;
	*thp = 0;
	for (i = 0; i < npages; i++) {
		struct vl_pm e = vl_pm_decode(pm[i]);

		ASSERT_TRUE(e.present) {
			TH_LOG("page %zu not present (pagemap %#llx)", i,
			       (unsigned long long)pm[i]);
		}
		ASSERT_EQ(0, vl_kpageflags_read(kfd, e.pfn, 1, &kpf[i]));
		*thp += !!(kpf[i] & (1ULL << VL_KPF_THP));
		/* A tail continues the folio of the page before it. */
		if (!i || !(kpf[i] & (1ULL << VL_KPF_COMPOUND_TAIL)) ||
		    vl_pm_decode(pm[i - 1]).pfn + 1 != e.pfn)
			start = i;
		fsize[i] = 0;
		fsize[start] = i - start + 1;
	}
	/* Spread each folio's size over its pages. */
	for (i = 0; i < npages; i += fsize[i]) {
		size_t j;

		*pmd += fsize[i] == HPAGE / 4096;
		for (j = 1; j < fsize[i]; j++)
			fsize[i + j] = fsize[i];
	}
	close(kfd);
	close(pfd);
	free(kpf);
	free(pm);
}

/*
 * Without 2 MiB folios (a policy that gives none, MADV_NOHUGEPAGE, a
 * failed allocation) the store's page cache is still one of large folios,
 * as XFS's: its read-ahead may make folios of orders 1 to 8.  So the
 * expectations below are "no 2 MiB folio, no PMD", and the dirty counts
 * are computed from the folios kpageflags shows.
 */
TEST_F(backed, faults_writeback_rewrite)
{
	bool huge = variant->huge && have_thp();
	size_t npages = MAP_LEN / 4096, nfolios = MAP_LEN / HPAGE;
	long long alloc0, alloc1, fb0, fb1, pmd_kb = -1;
	struct meminfo_file mi0, mi1;
	int64_t mkwrite0, mkwrite1, dirty, want_dirty = 0;
	size_t *fsize = calloc(npages, sizeof(*fsize));
	size_t i, thp, pmd;
	unsigned char *got;
	int bfd;

	ASSERT_NE(NULL, fsize);
	alloc0 = vmstat_value("thp_file_alloc");
	fb0 = vmstat_value("thp_file_fallback");
	meminfo_file_thp(&mi0);
	/* Without THP (PREEMPT_RT) the advice is refused, as for any mapping. */
	if (variant->advice)
		ASSERT_EQ(have_thp() ? 0 : -1, madvise(self->map, MAP_LEN, variant->advice));
	/* Every 4 KiB of each folio was read from the backing file. */
	for (i = 0; i < MAP_LEN; i += 4096)
		ASSERT_EQ(pattern(MAP_OFF + i), self->map[i]) {
			TH_LOG("byte %zu of the mapping: %u, the backing file holds %u", i,
			       self->map[i], pattern(MAP_OFF + i));
		}
	alloc1 = vmstat_value("thp_file_alloc");
	fb1 = vmstat_value("thp_file_fallback");
	meminfo_file_thp(&mi1);
	ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)self->map, "FilePmdMapped", &pmd_kb));
	scan_folios(_metadata, self->map, npages, fsize, &pmd, &thp);
	TH_LOG("thp=%s advice %d: FilePmdMapped %lld kB, 2 MiB folios %zu, kpageflags thp %zu",
	       variant->thp, variant->advice, pmd_kb, pmd, thp);
	TH_LOG("thp_file_alloc +%lld, thp_file_fallback +%lld", alloc1 - alloc0, fb1 - fb0);
	TH_LOG("meminfo FileHugePages %+lld kB, FilePmdMapped %+lld kB",
	       mi1.file_huge - mi0.file_huge, mi1.file_pmd - mi0.file_pmd);
	/* Only PMD-sized folios count there, not read-ahead's smaller ones. */
	EXPECT_EQ(huge ? (long long)(MAP_LEN >> 10) : 0, mi1.file_huge - mi0.file_huge);
	EXPECT_EQ(huge ? (long long)(MAP_LEN >> 10) : 0, mi1.file_pmd - mi0.file_pmd);
	EXPECT_EQ(huge ? (long long)(MAP_LEN >> 10) : 0, pmd_kb);
	EXPECT_EQ(huge ? nfolios : 0, pmd);
	if (huge)
		EXPECT_EQ(npages, thp);
	if (have_thp()) {
		/* vmstat is the whole machine's: at least ours. */
		EXPECT_LE(huge ? (long long)nfolios : 0, alloc1 - alloc0);
		if (variant->inject)
			EXPECT_LE(1, fb1 - fb0);
	} else {
		EXPECT_EQ(0, thp);
	}

	/* Write every 4 KiB, write back: each reaches the backing file. */
	for (i = 0; i < MAP_LEN; i += 4096)
		self->map[i] = written(MAP_OFF + i);
	bfd = open(BACKING_PATH, O_RDONLY);
	ASSERT_LE(0, bfd);
	got = malloc(MAP_LEN);
	ASSERT_NE(NULL, got);
	if (variant->private) {
		/* Copies of 4 KiB: anonymous base pages, no folio of the store. */
		scan_folios(_metadata, self->map, npages, fsize, &pmd, &thp);
		EXPECT_EQ(0, thp);
		EXPECT_EQ(0, pmd);
		ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)self->map, "FilePmdMapped",
					    &pmd_kb));
		EXPECT_EQ(0, pmd_kb);
		ASSERT_EQ(0, ioctl(self->fd, VMLAB_IOC_WRITEBACK));
		ASSERT_EQ((ssize_t)MAP_LEN, pread(bfd, got, MAP_LEN, MAP_OFF));
		/* The private copies reach nothing. */
		EXPECT_EQ(MAP_LEN, first_mismatch(got, MAP_LEN, MAP_OFF, pattern));
		goto out;
	}
	EXPECT_EQ((int64_t)npages, counter_value(_metadata, "dirty_store"));
	ASSERT_EQ(0, ioctl(self->fd, VMLAB_IOC_WRITEBACK));
	EXPECT_EQ(0, counter_value(_metadata, "dirty_store"));
	ASSERT_EQ((ssize_t)MAP_LEN, pread(bfd, got, MAP_LEN, MAP_OFF));
	i = first_mismatch(got, MAP_LEN, MAP_OFF, written);
	EXPECT_EQ(MAP_LEN, i) {
		TH_LOG("backing file at %zu: %u, written through the mapping %u",
		       MAP_OFF + i, got[i], written(MAP_OFF + i));
	}

	/* Write-protected again: one ->page_mkwrite per folio written to. */
	mkwrite0 = counter_value(_metadata, "page_mkwrite");
	for (i = 0; i < MAP_LEN; i += HPAGE) {
		self->map[i + 4096] = 0x5a;
		want_dirty += fsize[(i + 4096) / 4096];
	}
	mkwrite1 = counter_value(_metadata, "page_mkwrite");
	dirty = counter_value(_metadata, "dirty_store");
	TH_LOG("after write-back, a write in each 2 MiB: page_mkwrite +%lld, dirty_store %lld",
	       (long long)(mkwrite1 - mkwrite0), (long long)dirty);
	TH_LOG("the folios written to hold %lld pages", (long long)want_dirty);
	EXPECT_EQ((int64_t)nfolios, mkwrite1 - mkwrite0);
	/* A folio is dirty as a whole: 512 pages for each 2 MiB one. */
	EXPECT_EQ(want_dirty, dirty);
	if (huge)
		EXPECT_EQ((int64_t)npages, dirty);
	ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)self->map, "FilePmdMapped", &pmd_kb));
	EXPECT_EQ(huge ? (long long)(MAP_LEN >> 10) : 0, pmd_kb);
	ASSERT_EQ(0, ioctl(self->fd, VMLAB_IOC_WRITEBACK));
out:
	free(got);
	close(bfd);
	free(fsize);
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/*
 * MADV_COLLAPSE of what is no tmpfs file: the store with backing= (Debian's
 * kernels have no CONFIG_READ_ONLY_THP_FOR_FS) and a private anonymous
 * mapping of vmlab (a VMA with a file and vm_operations).  The kernel
 * refuses both with EINVAL, as for a file of any other filesystem; a native
 * private anonymous mapping collapses (0) where THP is configured.
 */
FIXTURE(collapse) {
	int fd;
};

FIXTURE_SETUP(collapse)
{
	const char *ko = getenv("VMLAB_KO");
	char args[160];

	self->fd = -1;
	if (!ko || !*ko)
		SKIP(return, "VMLAB_KO unset: vmlab is reloaded only in the vm-run guests");
	unlink(BACKING_PATH);
	snprintf(args, sizeof(args), "backing=%s store_size=%lu thp=always", BACKING_PATH,
		 STORE_SIZE);
	vmlab_ksft_reload(args);
}

FIXTURE_TEARDOWN_PARENT(collapse)
{
	if (getenv("VMLAB_KO") && *getenv("VMLAB_KO"))
		vmlab_ksft_reload_default(BACKING_PATH);
}

/*
 * Map MAP_LEN at a 2 MiB-aligned address, write every 4 KiB, MADV_COLLAPSE:
 * 0 or madvise's errno; -errno (never an expected value) when the mapping
 * could not be made.
 */
static int collapse(struct __test_metadata *_metadata, int fd, int flags)
{
	char *region, *p;
	size_t i;
	int ret;

	region = mmap(NULL, MAP_LEN + HPAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		return -errno;
	p = mmap((void *)(((uintptr_t)region + HPAGE - 1) & ~(HPAGE - 1)), MAP_LEN,
		 PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, fd < 0 ? 0 : MAP_OFF);
	if (p == MAP_FAILED)
		return -errno;
	for (i = 0; i < MAP_LEN; i += 4096)
		p[i] = 1;
	ret = madvise(p, MAP_LEN, MADV_COLLAPSE) ? errno : 0;
	munmap(region, MAP_LEN + HPAGE);
	return ret;
}

TEST_F(collapse, refused_where_no_tmpfs_file)
{
	int store, anon, native;

	self->fd = vl_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	store = collapse(_metadata, self->fd, MAP_SHARED);
	close(self->fd);
	self->fd = vl_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vl_select(self->fd, VMLAB_KIND_ANON, -1));
	anon = collapse(_metadata, self->fd, MAP_PRIVATE);
	close(self->fd);
	native = collapse(_metadata, -1, MAP_PRIVATE | MAP_ANONYMOUS);
	TH_LOG("MADV_COLLAPSE: store with backing= %s, vmlab private anonymous %s",
	       strerror(store), strerror(anon));
	TH_LOG("MADV_COLLAPSE: native private anonymous %s", strerror(native));
	EXPECT_EQ(EINVAL, store);
	EXPECT_EQ(EINVAL, anon);
	EXPECT_EQ(have_thp() ? 0 : EINVAL, native);
}

TEST_HARNESS_MAIN
