// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: the huge kind.  Each 2 MiB of a mapping is a page of the
 * kernel's hugetlb pool, mapped with one PMD entry by vmlab's ->huge_fault;
 * misaligned and split pieces get 4 KiB entries of the same pages.  The
 * facts come from pagemap, kpageflags, smaps, /proc/meminfo
 * (HugePages_Free) and vmlab's debugfs counters.
 *
 * Needs root, vmlab loaded, hugetlbfs mounted at /dev/hugepages (vmlab's
 * hugetlbfs_path) and 2 MiB pages in the pool: the guest rig boots with 64.
 * A test skips when the pool is too small for it.  The race tests shrink
 * the pool (vm.nr_hugepages) to a few pages and restore it.
 *
 * A kernel without THP (Debian's PREEMPT_RT 6.12) maps no file page with a
 * PMD: there the same pages get 4 KiB entries only, and the tests check
 * that instead (have_pmd()).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmlab_ksft.h"
#include "vmlab_uapi.h"
#include "debugfs.h"
#include "device.h"
#include "pagemap.h"
#include "procfs.h"

#define PS		4096UL			/* base page */
#define MB		(1024UL * 1024)
#define HPAGE		(2 * MB)		/* huge page */
#define PER_HPAGE	(HPAGE / PS)		/* base pages per huge page */

#ifndef MFD_HUGE_1GB
#define MFD_HUGE_1GB	(30U << 26)	/* log2 of the page size << MFD_HUGE_SHIFT */
#endif

#define NR_HUGEPAGES_PATH	"/proc/sys/vm/nr_hugepages"
#define HUGETLBFS_DIR		"/dev/hugepages"

/* The value written into file page @f of a mapping by the tests. */
#define STAMP(f)	(0x51000000u + (uint32_t)(f))
#define STAMP2(f)	(0x52000000u + (uint32_t)(f))

static long long meminfo(const char *field)
{
	long long v = -1;

	if (vl_meminfo_field(field, &v))
		return -1;
	return v;
}

static long long hp_free(void)
{
	return meminfo("HugePages_Free");
}

/*
 * HugePages_Free once it reads @want, or after 2 s: the pages of the last
 * file to go come back at its (deferred) final fput.
 */
static long long hp_free_settled(long long want)
{
	long long v = hp_free();
	int i;

	for (i = 0; i < 200 && v != want; i++) {
		usleep(10000);
		v = hp_free();
	}
	return v;
}

static int64_t delta(const struct vl_counters *a, const struct vl_counters *b, const char *name)
{
	return vl_counter_delta(a, b, name);
}

/* 4 KiB faults of the huge kind between two snapshots. */
static int64_t pte_faults(const struct vl_counters *a, const struct vl_counters *b)
{
	return delta(a, b, "faults_read_huge") + delta(a, b, "faults_write_huge");
}

static uint64_t counter(const char *name)
{
	struct vl_counters c;
	uint64_t v = UINT64_MAX;

	if (!vl_counters_read(&c))
		vl_counter_get(&c, name, &v);
	return v;
}

/* An open file of the device, of the huge kind with pages from @huge_fd. */
static int huge_open(int flags, int huge_fd)
{
	int fd = vl_open(flags), ret;

	if (fd < 0)
		return fd;
	ret = vl_select(fd, VMLAB_KIND_HUGE, huge_fd);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * Can a test that needs @n free 2 MiB pages run here?  When not, @why says
 * what is missing.
 */
static bool pool_ok(long long n, char *why, size_t len)
{
	long long free = hp_free();

	if (sysconf(_SC_PAGESIZE) != (long)PS)
		snprintf(why, len, "base pages are not 4 KiB");
	else if (!vl_have_pfns())
		snprintf(why, len, "pagemap shows no PFNs (not root?)");
	else if (free < n)
		snprintf(why, len, "needs %lld free 2 MiB pages, HugePages_Free is %lld", n, free);
	else
		return true;
	return false;
}

static char *align_up(char *p, unsigned long a)
{
	return (char *)(((uintptr_t)p + a - 1) & ~(uintptr_t)(a - 1));
}

/* Some address space to place MAP_FIXED mappings in. */
static char *reserve(size_t len)
{
	char *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Write STAMP(@pgoff0 + i) into the first word of page i of [p, p + len). */
static void stamp(char *p, size_t len, uint64_t pgoff0, bool second)
{
	size_t i;

	for (i = 0; i < len / PS; i++)
		__atomic_store_n((uint32_t *)(p + i * PS),
				 second ? STAMP2(pgoff0 + i) : STAMP(pgoff0 + i), __ATOMIC_RELAXED);
}

/* The first page of [p, p + len) not holding its stamp, or -1. */
static long unstamped(const char *p, size_t len, uint64_t pgoff0, bool second)
{
	size_t i;

	for (i = 0; i < len / PS; i++) {
		uint32_t v = __atomic_load_n((const uint32_t *)(p + i * PS), __ATOMIC_RELAXED);

		if (v != (second ? STAMP2(pgoff0 + i) : STAMP(pgoff0 + i)))
			return i;
	}
	return -1;
}

/*
 * Does this kernel map file pages with PMD entries (->huge_fault)?  Not
 * without THP, whose sysfs directory is then missing.
 */
static bool have_pmd(void)
{
	return !access("/sys/kernel/mm/transparent_hugepage", F_OK);
}

static void touch_read(const char *p, size_t len, size_t step)
{
	size_t i;

	for (i = 0; i < len; i += step)
		(void)__atomic_load_n(p + i, __ATOMIC_RELAXED);
}

/* Is @flag one of the words of an smaps VmFlags line? */
static bool has_vmflag(const char *flags, const char *flag)
{
	size_t n = strlen(flag);
	const char *s = flags;

	while ((s = strstr(s, flag))) {
		if ((s == flags || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0'))
			return true;
		s += n;
	}
	return false;
}

/*
 * check_huge_span() - assert that the @npages pages from @addr, which map
 * file pages @pgoff0 onwards, are present without the exclusive bit, and
 * that file page f sits at PFN head(f / 512) + f % 512 of a hugetlb page:
 * a 512-aligned head whose kpageflags show HUGE and COMPOUND_HEAD, and 511
 * tails with HUGE and COMPOUND_TAIL.  @heads (one per 2 MiB of the file
 * the span touches) receives the head PFNs, or with @compare holds the
 * PFNs they must be.
 */
static void check_huge_span(struct __test_metadata *_metadata, const char *addr, size_t npages,
			    uint64_t pgoff0, uint64_t *heads, bool compare)
{
	size_t nheads = (pgoff0 % PER_HPAGE + npages + PER_HPAGE - 1) / PER_HPAGE;
	uint64_t *pm = calloc(npages, sizeof(*pm));
	uint64_t *kpf = calloc(PER_HPAGE, sizeof(*kpf));
	uint64_t *seen = calloc(nheads, sizeof(*seen));
	int pfd = vl_pagemap_open(0), kfd = vl_kpageflags_open();
	char ebuf[128], kbuf[256];
	size_t i, h;

	ASSERT_TRUE(pm && kpf && seen);
	ASSERT_LE(0, pfd);
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, vl_pagemap_read(pfd, (unsigned long)addr, npages, pm));
	for (i = 0; i < npages; i++) {
		struct vl_pm e = vl_pm_decode(pm[i]);
		uint64_t f = pgoff0 + i, head;

		h = f / PER_HPAGE - pgoff0 / PER_HPAGE;
		vl_pm_format(pm[i], ebuf, sizeof(ebuf));
		ASSERT_TRUE(e.present) {
			TH_LOG("page %zu (file page %llu) at %p: %s", i,
			       (unsigned long long)f, addr + i * PS, ebuf);
		}
		ASSERT_FALSE(e.exclusive) {
			TH_LOG("page %zu at %p: %s", i, addr + i * PS, ebuf);
		}
		head = e.pfn - f % PER_HPAGE;
		if (!seen[h]) {
			seen[h] = head;
			TH_LOG("2 MiB #%zu of the span: head pfn 0x%llx; entry %zu: %s", h,
			       (unsigned long long)head, i, ebuf);
			ASSERT_EQ(0, head % PER_HPAGE) {
				TH_LOG("page %zu (file page %llu): %s", i,
				       (unsigned long long)f, ebuf);
			}
			if (compare) {
				ASSERT_EQ(heads[h], head) {
					TH_LOG("page %zu (file page %llu) moved: %s", i,
					       (unsigned long long)f, ebuf);
				}
			} else if (heads) {
				heads[h] = head;
			}
		}
		ASSERT_EQ(seen[h], head) {
			TH_LOG("page %zu (file page %llu) breaks the run of PFNs: %s", i,
			       (unsigned long long)f, ebuf);
		}
	}
	for (h = 0; h < nheads; h++) {
		ASSERT_EQ(0, vl_kpageflags_read(kfd, seen[h], PER_HPAGE, kpf));
		for (i = 0; i < PER_HPAGE; i++) {
			uint64_t want = (1ULL << VL_KPF_HUGE) |
				(1ULL << (i ? VL_KPF_COMPOUND_TAIL : VL_KPF_COMPOUND_HEAD));

			vl_kpf_format(kpf[i], kbuf, sizeof(kbuf));
			if (!i)
				TH_LOG("2 MiB #%zu: kpageflags of head pfn 0x%llx: %s", h,
				       (unsigned long long)seen[h], kbuf);
			ASSERT_EQ(want, kpf[i] & want) {
				TH_LOG("pfn 0x%llx (page %zu of huge page #%zu): %s",
				       (unsigned long long)(seen[h] + i), i, h, kbuf);
			}
		}
	}
	close(kfd);
	close(pfd);
	free(seen);
	free(kpf);
	free(pm);
}

/* How many of the @npages entries from @addr have the file bit (@file) or are present, or -1. */
static long count_entries(const char *addr, size_t npages, bool file)
{
	uint64_t *pm = calloc(npages, sizeof(*pm));
	int fd = vl_pagemap_open(0);
	long n = -1;
	size_t i;

	if (pm && fd >= 0 && !vl_pagemap_read(fd, (unsigned long)addr, npages, pm)) {
		for (n = 0, i = 0; i < npages; i++) {
			struct vl_pm e = vl_pm_decode(pm[i]);

			n += file ? e.file_shared : e.present;
		}
	}
	if (fd >= 0)
		close(fd);
	free(pm);
	return n;
}

static long file_entries(const char *addr, size_t npages)
{
	return count_entries(addr, npages, true);
}

/* Head PFNs of @n 2 MiB at @addr, as seen from inside a child: no asserts. */
static int heads_of(const char *addr, size_t n, uint64_t *heads)
{
	int fd = vl_pagemap_open(0);
	size_t i;
	int ret = 0;

	if (fd < 0)
		return fd;
	for (i = 0; i < n && !ret; i++) {
		uint64_t raw;

		ret = vl_pagemap_read(fd, (unsigned long)(addr + i * HPAGE), 1, &raw);
		heads[i] = vl_pm_decode(raw).pfn;
	}
	close(fd);
	return ret;
}

/* How many of the @npages pages from @addr are present, or -1. */
static long count_present(const char *addr, size_t npages)
{
	return count_entries(addr, npages, false);
}

/* Are all @npages pages from @addr present?  For children: no asserts. */
static bool all_present(const char *addr, size_t npages)
{
	uint64_t *pm = calloc(npages, sizeof(*pm));
	int fd = vl_pagemap_open(0);
	bool ok = pm && fd >= 0 && !vl_pagemap_read(fd, (unsigned long)addr, npages, pm);
	size_t i;

	for (i = 0; ok && i < npages; i++)
		ok = vl_pm_decode(pm[i]).present;
	if (fd >= 0)
		close(fd);
	free(pm);
	return ok;
}

/* ---- mappings: one PMD per 2 MiB, pool pages at mmap, smaps ---- */

enum touch { TOUCH_READ, TOUCH_WRITE, TOUCH_NONE };

FIXTURE(map)
{
	int fd;
	char *addr;
};

FIXTURE_VARIANT(map)
{
	size_t chunks;		/* length in 2 MiB */
	size_t off_chunks;	/* file offset in 2 MiB */
	int open_flags;
	int prot;
	int flags;
	enum touch touch;	/* TOUCH_NONE: MAP_POPULATE did it */
};

FIXTURE_VARIANT_ADD(map, shared_2m_write)
{
	.chunks = 1, .open_flags = O_RDWR, .prot = PROT_READ | PROT_WRITE,
	.flags = MAP_SHARED, .touch = TOUCH_WRITE,
};

FIXTURE_VARIANT_ADD(map, shared_8m_read)
{
	.chunks = 4, .open_flags = O_RDWR, .prot = PROT_READ | PROT_WRITE,
	.flags = MAP_SHARED, .touch = TOUCH_READ,
};

FIXTURE_VARIANT_ADD(map, shared_4m_at_offset_2m_write)
{
	.chunks = 2, .off_chunks = 1, .open_flags = O_RDWR, .prot = PROT_READ | PROT_WRITE,
	.flags = MAP_SHARED, .touch = TOUCH_WRITE,
};

FIXTURE_VARIANT_ADD(map, shared_readonly_fd_4m)
{
	.chunks = 2, .open_flags = O_RDONLY, .prot = PROT_READ,
	.flags = MAP_SHARED, .touch = TOUCH_READ,
};

FIXTURE_VARIANT_ADD(map, private_readonly_4m)
{
	.chunks = 2, .open_flags = O_RDWR, .prot = PROT_READ,
	.flags = MAP_PRIVATE, .touch = TOUCH_READ,
};

FIXTURE_VARIANT_ADD(map, shared_populate_4m)
{
	.chunks = 2, .open_flags = O_RDWR, .prot = PROT_READ | PROT_WRITE,
	.flags = MAP_SHARED | MAP_POPULATE, .touch = TOUCH_NONE,
};

FIXTURE_SETUP(map)
{
	char why[128];

	self->fd = -1;
	self->addr = MAP_FAILED;
	if (!pool_ok(variant->chunks, why, sizeof(why)))
		SKIP(return, "%s", why);
	self->fd = huge_open(variant->open_flags, -1);
	ASSERT_LE(0, self->fd) {
		TH_LOG("open and select the huge kind: %s", strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(map)
{
	if (self->addr != MAP_FAILED)
		munmap(self->addr, variant->chunks * HPAGE);
	if (self->fd >= 0)
		close(self->fd);
}

/* One byte in the middle of each 2 MiB: the PMD maps all of it. */
static void touch_chunks(char *addr, size_t chunks, enum touch how)
{
	size_t i;

	for (i = 0; i < chunks; i++) {
		char *p = addr + i * HPAGE + HPAGE / 2 + 123;

		if (how == TOUCH_WRITE)
			__atomic_store_n(p, 1, __ATOMIC_RELAXED);
		else if (how == TOUCH_READ)
			(void)__atomic_load_n(p, __ATOMIC_RELAXED);
	}
}

TEST_F(map, one_pmd_fault_per_2m)
{
	struct vl_counters c0, c1;
	uint64_t heads[8];

	ASSERT_EQ(0, vl_counters_read(&c0));
	self->addr = mmap(NULL, variant->chunks * HPAGE, variant->prot, variant->flags,
			  self->fd, variant->off_chunks * HPAGE);
	ASSERT_NE(MAP_FAILED, self->addr) {
		TH_LOG("mmap: %s", strerror(errno));
	}
	touch_chunks(self->addr, variant->chunks, variant->touch);
	ASSERT_EQ(0, vl_counters_read(&c1));
	if (!have_pmd()) {
		/* No THP: each fault maps 4 KiB of the pool page, nothing more. */
		int64_t want = variant->touch == TOUCH_NONE ?
			(int64_t)(variant->chunks * PER_HPAGE) : (int64_t)variant->chunks;

		TH_LOG("no THP: mapping at %p; %lld PMD faults, %lld 4 KiB faults, want %lld",
		       self->addr, (long long)delta(&c0, &c1, "huge_pmd_faults"),
		       (long long)pte_faults(&c0, &c1), (long long)want);
		ASSERT_EQ(0, delta(&c0, &c1, "huge_pmd_faults"));
		ASSERT_EQ(want, pte_faults(&c0, &c1));
		ASSERT_EQ(want, count_present(self->addr, variant->chunks * PER_HPAGE));
		ASSERT_EQ((int64_t)variant->chunks, delta(&c0, &c1, "huge_pages_held"));
		touch_read(self->addr, variant->chunks * HPAGE, PS);
		check_huge_span(_metadata, self->addr, variant->chunks * PER_HPAGE,
				variant->off_chunks * PER_HPAGE, heads, false);
		/* 4 KiB entries are special: pagemap finds no page behind them. */
		ASSERT_EQ(0, file_entries(self->addr, variant->chunks * PER_HPAGE));
		return;
	}
	/* mmap(NULL) of the huge kind lands 2 MiB-aligned, like a THP-capable file. */
	ASSERT_EQ(0, (uintptr_t)self->addr % HPAGE) {
		TH_LOG("mmap placed the mapping at %p", self->addr);
	}
	ASSERT_EQ((int64_t)variant->chunks, delta(&c0, &c1, "huge_pmd_faults"));
	ASSERT_EQ(0, pte_faults(&c0, &c1));
	ASSERT_EQ(0, delta(&c0, &c1, "huge_pmd_fallbacks"));
	ASSERT_EQ((int64_t)variant->chunks, delta(&c0, &c1, "huge_pages_held"));
	check_huge_span(_metadata, self->addr, variant->chunks * PER_HPAGE,
			variant->off_chunks * PER_HPAGE, heads, false);
	/* A PMD maps the head of a page-cache folio: pagemap calls it a file page. */
	ASSERT_EQ((long)(variant->chunks * PER_HPAGE),
		  file_entries(self->addr, variant->chunks * PER_HPAGE));
}

TEST_F(map, pool_pages_taken_at_mmap_back_at_close)
{
	long long free0 = hp_free(), rsvd0 = meminfo("HugePages_Rsvd"), free1;

	self->addr = mmap(NULL, variant->chunks * HPAGE, variant->prot, variant->flags,
			  self->fd, variant->off_chunks * HPAGE);
	ASSERT_NE(MAP_FAILED, self->addr) {
		TH_LOG("mmap: %s", strerror(errno));
	}
	free1 = hp_free();
	ASSERT_EQ(free0 - (long long)variant->chunks, free1);
	/* Taken, not merely reserved as a MAP_HUGETLB mapping's would be. */
	ASSERT_EQ(rsvd0, meminfo("HugePages_Rsvd"));
	touch_chunks(self->addr, variant->chunks, variant->touch);
	/* Faults take nothing more from the pool. */
	ASSERT_EQ(free1, hp_free());
	ASSERT_EQ(0, munmap(self->addr, variant->chunks * HPAGE));
	self->addr = MAP_FAILED;
	/* The open file still holds them. */
	ASSERT_EQ(free1, hp_free());
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(free0, hp_free_settled(free0));
}

TEST_F(map, smaps_shows_mapping)
{
	bool shared = variant->flags & MAP_SHARED;
	bool writable_file = variant->open_flags == O_RDWR;
	long long size = -1, rss = -1, pmd_mapped = -1, kps = -1;
	char flags[256];
	struct vl_vma vma;

	self->addr = mmap(NULL, variant->chunks * HPAGE, variant->prot, variant->flags,
			  self->fd, variant->off_chunks * HPAGE);
	ASSERT_NE(MAP_FAILED, self->addr) {
		TH_LOG("mmap: %s", strerror(errno));
	}
	touch_chunks(self->addr, variant->chunks, variant->touch);
	ASSERT_EQ(0, vl_smaps_vmflags(0, (unsigned long)self->addr, flags, sizeof(flags)));
	ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)self->addr, "Size", &size));
	vl_smaps_field(0, (unsigned long)self->addr, "Rss", &rss);
	vl_smaps_field(0, (unsigned long)self->addr, "FilePmdMapped", &pmd_mapped);
	ASSERT_EQ(0, vl_maps_find(0, (unsigned long)self->addr, &vma));
	/* Rss and FilePmdMapped count the PMDs on 6.1; 6.12 marks them special. */
	TH_LOG("%lx-%lx %s %s: VmFlags %s; Rss %lld kB, FilePmdMapped %lld kB", vma.start,
	       vma.end, vma.perms, vma.path, flags, rss, pmd_mapped);

	ASSERT_EQ((long long)(variant->chunks * HPAGE / 1024), size);
	ASSERT_EQ(0, vl_smaps_field(0, (unsigned long)self->addr, "KernelPageSize", &kps));
	ASSERT_EQ(4, kps);
	ASSERT_EQ(rss, pmd_mapped);
	ASSERT_TRUE(rss == 0 || rss == size);
	ASSERT_NE(NULL, strstr(vma.path, "vmlab-huge"));
	ASSERT_TRUE(has_vmflag(flags, "mm"));	/* VM_MIXEDMAP */
	ASSERT_TRUE(has_vmflag(flags, "de"));	/* VM_DONTEXPAND */
	ASSERT_TRUE(has_vmflag(flags, "hg"));	/* VM_HUGEPAGE */
	ASSERT_EQ(shared, has_vmflag(flags, "ms"));
	ASSERT_EQ(shared && writable_file, has_vmflag(flags, "sh"));
	ASSERT_EQ(shared && writable_file, has_vmflag(flags, "mw"));
	ASSERT_FALSE(has_vmflag(flags, "lo"));
}

/* ---- the 4 KiB path: misaligned and split pieces ---- */

enum split_how {
	SPLIT_FIXED_MISALIGNED,	/* MAP_FIXED 4 KiB past a 2 MiB boundary */
	SPLIT_MUNMAP_HEAD,	/* munmap of the first 4 KiB */
	SPLIT_MPROTECT_HEAD,	/* mprotect of the first 1 MiB after PMDs were in */
	SPLIT_NOHUGEPAGE,	/* MADV_NOHUGEPAGE */
	SPLIT_MREMAP_SHRINK,	/* mremap to 3 MiB */
	SPLIT_MREMAP_MISALIGNED,	/* mremap moving the PMDs 4 KiB off a boundary */
};

#define SPLIT_LEN	(2 * HPAGE)

FIXTURE(split)
{
	int fd;
	char *ref;	/* an aligned mapping of the same pages */
	char *area;	/* room for the mapping under test */
	uint64_t heads[2];
};

FIXTURE_VARIANT(split)
{
	enum split_how how;
	bool write;		/* touch by writing, else by reading */
	int64_t pmd_faults;	/* when touching every page afterwards */
	int64_t pte_faults;
	bool fallbacks;		/* ->huge_fault sent some back */
	long file_entries;	/* entries with pagemap's file bit: those of PMDs */
};

FIXTURE_VARIANT_ADD(split, fixed_misaligned)
{
	.how = SPLIT_FIXED_MISALIGNED, .write = true,
	.pmd_faults = 0, .pte_faults = 1024, .fallbacks = true,
	.file_entries = 0,
};

FIXTURE_VARIANT_ADD(split, munmap_head)
{
	.how = SPLIT_MUNMAP_HEAD, .write = true,
	.pmd_faults = 1, .pte_faults = 511, .fallbacks = true,
	.file_entries = 512,
};

FIXTURE_VARIANT_ADD(split, mprotect_head)
{
	.how = SPLIT_MPROTECT_HEAD,
	.pmd_faults = 0, .pte_faults = 512, .fallbacks = true,
	.file_entries = 512,
};

FIXTURE_VARIANT_ADD(split, madv_nohugepage)
{
	.how = SPLIT_NOHUGEPAGE,
	.pmd_faults = 0, .pte_faults = 1024, .fallbacks = false,
	.file_entries = 0,
};

FIXTURE_VARIANT_ADD(split, mremap_shrink)
{
	.how = SPLIT_MREMAP_SHRINK, .write = true,
	.pmd_faults = 1, .pte_faults = 256, .fallbacks = true,
	.file_entries = 512,
};

FIXTURE_VARIANT_ADD(split, mremap_misaligned)
{
	.how = SPLIT_MREMAP_MISALIGNED,
	.pmd_faults = 0, .pte_faults = 1024, .fallbacks = true,
	.file_entries = 0,
};

FIXTURE_SETUP(split)
{
	char why[128];

	self->fd = -1;
	self->ref = MAP_FAILED;
	self->area = NULL;
	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	self->fd = huge_open(O_RDWR, -1);
	ASSERT_LE(0, self->fd);
	self->ref = mmap(NULL, SPLIT_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->ref);
	stamp(self->ref, SPLIT_LEN, 0, false);
	check_huge_span(_metadata, self->ref, SPLIT_LEN / PS, 0, self->heads, false);
	self->area = reserve(6 * HPAGE);
	ASSERT_NE(NULL, self->area);
}

FIXTURE_TEARDOWN(split)
{
	if (self->area)
		munmap(self->area, 6 * HPAGE);
	if (self->ref != MAP_FAILED)
		munmap(self->ref, SPLIT_LEN);
	if (self->fd >= 0)
		close(self->fd);
}

static char *map_fixed(int fd, char *at)
{
	return mmap(at, SPLIT_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
}

TEST_F(split, same_pages_with_4k_entries)
{
	char *base = align_up(self->area, HPAGE), *t = NULL, *moved;
	struct vl_counters c0, c1;
	uint64_t pgoff0 = 0;
	size_t len = SPLIT_LEN;
	uint64_t pm[PER_HPAGE];
	bool pmd = have_pmd();
	long present;
	int pfd;
	size_t i;

	if (!pmd && variant->how == SPLIT_MPROTECT_HEAD)
		SKIP(return, "no THP: no PMD for mprotect to split");
	switch (variant->how) {
	case SPLIT_FIXED_MISALIGNED:
		t = map_fixed(self->fd, base + PS);
		ASSERT_NE(MAP_FAILED, t);
		break;
	case SPLIT_MUNMAP_HEAD:
		t = map_fixed(self->fd, base);
		ASSERT_NE(MAP_FAILED, t);
		ASSERT_EQ(0, munmap(t, PS));
		t += PS;
		len -= PS;
		pgoff0 = 1;
		break;
	case SPLIT_MPROTECT_HEAD:
		t = map_fixed(self->fd, base);
		ASSERT_NE(MAP_FAILED, t);
		touch_read(t, len, HPAGE);
		ASSERT_TRUE(all_present(t, len / PS));
		ASSERT_EQ(0, mprotect(t, MB, PROT_READ));
		/* The split dropped the first PMD: nothing of it is mapped now. */
		pfd = vl_pagemap_open(0);
		ASSERT_LE(0, pfd);
		ASSERT_EQ(0, vl_pagemap_read(pfd, (unsigned long)t, PER_HPAGE, pm));
		close(pfd);
		for (i = 0; i < PER_HPAGE; i++) {
			char buf[128];

			vl_pm_format(pm[i], buf, sizeof(buf));
			ASSERT_FALSE(vl_pm_decode(pm[i]).present) {
				TH_LOG("page %zu after the split: %s", i, buf);
			}
		}
		break;
	case SPLIT_NOHUGEPAGE:
		t = map_fixed(self->fd, base);
		ASSERT_NE(MAP_FAILED, t);
		if (pmd) {
			ASSERT_EQ(0, madvise(t, len, MADV_NOHUGEPAGE));
		} else {
			/* Without THP the advice does not exist, as for native memory. */
			ASSERT_EQ(-1, madvise(t, len, MADV_NOHUGEPAGE));
			ASSERT_EQ(EINVAL, errno);
		}
		break;
	case SPLIT_MREMAP_SHRINK:
		t = map_fixed(self->fd, base);
		ASSERT_NE(MAP_FAILED, t);
		ASSERT_EQ(t, mremap(t, len, len - MB, 0));
		len -= MB;
		break;
	case SPLIT_MREMAP_MISALIGNED:
		t = map_fixed(self->fd, base);
		ASSERT_NE(MAP_FAILED, t);
		touch_read(t, len, HPAGE);
		moved = mremap(t, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, base + 3 * HPAGE + PS);
		ASSERT_EQ(base + 3 * HPAGE + PS, moved) {
			TH_LOG("mremap: %s", strerror(errno));
		}
		t = moved;
		break;
	default:
		ASSERT_TRUE(false);
		return;
	}

	present = count_present(t, len / PS);
	ASSERT_LE(0, present);
	ASSERT_EQ(0, vl_counters_read(&c0));
	if (variant->write) {
		stamp(t, len, pgoff0, true);
		ASSERT_EQ(-1, unstamped(self->ref + pgoff0 * PS, len, pgoff0, true));
	} else {
		ASSERT_EQ(-1, unstamped(t, len, pgoff0, false));
	}
	ASSERT_EQ(0, vl_counters_read(&c1));
	TH_LOG("%s at %p: %lld PMD faults, %lld 4 KiB faults, %lld PMD fallbacks",
	       variant->write ? "wrote" : "read", t,
	       (long long)delta(&c0, &c1, "huge_pmd_faults"), (long long)pte_faults(&c0, &c1),
	       (long long)delta(&c0, &c1, "huge_pmd_fallbacks"));
	if (!pmd) {
		/* No THP: every page not yet mapped took one 4 KiB fault. */
		TH_LOG("no THP: %ld of %zu pages were mapped before", present, len / PS);
		ASSERT_EQ(0, delta(&c0, &c1, "huge_pmd_faults"));
		ASSERT_EQ((int64_t)(len / PS) - present, pte_faults(&c0, &c1));
		ASSERT_EQ(0, delta(&c0, &c1, "huge_pmd_fallbacks"));
		check_huge_span(_metadata, t, len / PS, pgoff0, self->heads, true);
		ASSERT_EQ(0, file_entries(t, len / PS));
		return;
	}
	ASSERT_EQ(variant->pmd_faults, delta(&c0, &c1, "huge_pmd_faults"));
	ASSERT_EQ(variant->pte_faults, pte_faults(&c0, &c1));
	ASSERT_EQ(variant->fallbacks, delta(&c0, &c1, "huge_pmd_fallbacks") > 0);
	check_huge_span(_metadata, t, len / PS, pgoff0, self->heads, true);
	/* 4 KiB entries are special: pagemap finds no page behind them. */
	ASSERT_EQ(variant->file_entries, file_entries(t, len / PS));
}

/* ---- bad input: a documented errno, nothing left reserved ---- */

enum bad_op { BAD_SELECT, BAD_MMAP, BAD_MPROTECT, BAD_MREMAP };

enum bad_fd {
	FD_NONE,		/* -1: hugetlbfs_path */
	FD_NEGATIVE,		/* -5 */
	FD_CLOSED,		/* a number no file is open at */
	FD_MEMFD_SHMEM,		/* memfd without MFD_HUGETLB */
	FD_DEV_NULL,
	FD_VMLAB,		/* another open file of the device */
	FD_HUGETLBFS_DIR,	/* the hugetlbfs mount's root */
	FD_HUGETLB_RDONLY,	/* an MFD_HUGETLB memfd reopened read-only */
	FD_HUGETLB_1G,		/* an MFD_HUGETLB memfd of 1 GiB pages */
	FD_OTHER_SOURCE,	/* a memfd, on a file that chose hugetlbfs_path */
};

FIXTURE(bad)
{
	int fd;
	int other;
	char *addr;
	size_t len;
};

FIXTURE_VARIANT(bad)
{
	enum bad_op op;
	enum bad_fd source;
	int open_flags;
	size_t len;		/* 0: one 2 MiB more than the pool has free */
	off_t off;
	int prot;
	int flags;
	int prot2;		/* BAD_MPROTECT */
	size_t new_len;		/* BAD_MREMAP */
	int mremap_flags;
	int want_errno;
};

FIXTURE_VARIANT_ADD(bad, select_fd_negative)
{
	.op = BAD_SELECT, .source = FD_NEGATIVE, .want_errno = EBADF,
};

FIXTURE_VARIANT_ADD(bad, select_fd_closed)
{
	.op = BAD_SELECT, .source = FD_CLOSED, .want_errno = EBADF,
};

FIXTURE_VARIANT_ADD(bad, select_fd_shmem_memfd)
{
	.op = BAD_SELECT, .source = FD_MEMFD_SHMEM, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, select_fd_dev_null)
{
	.op = BAD_SELECT, .source = FD_DEV_NULL, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, select_fd_vmlab)
{
	.op = BAD_SELECT, .source = FD_VMLAB, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, select_fd_hugetlbfs_dir)
{
	.op = BAD_SELECT, .source = FD_HUGETLBFS_DIR, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, select_fd_hugetlb_readonly)
{
	.op = BAD_SELECT, .source = FD_HUGETLB_RDONLY, .want_errno = EBADF,
};

FIXTURE_VARIANT_ADD(bad, select_fd_hugetlb_1g)
{
	.op = BAD_SELECT, .source = FD_HUGETLB_1G, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, select_other_source_again)
{
	.op = BAD_SELECT, .source = FD_OTHER_SOURCE, .want_errno = EBUSY,
};

#define RW	(PROT_READ | PROT_WRITE)

FIXTURE_VARIANT_ADD(bad, mmap_len_2m_plus_4k)
{
	.op = BAD_MMAP, .open_flags = O_RDWR, .len = HPAGE + PS, .off = 0,
	.prot = RW, .flags = MAP_SHARED, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, mmap_len_4k)
{
	.op = BAD_MMAP, .open_flags = O_RDWR, .len = PS, .off = 0,
	.prot = RW, .flags = MAP_SHARED, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, mmap_len_1m)
{
	.op = BAD_MMAP, .open_flags = O_RDWR, .len = MB, .off = 0,
	.prot = RW, .flags = MAP_SHARED, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, mmap_offset_4k)
{
	.op = BAD_MMAP, .open_flags = O_RDWR, .len = HPAGE, .off = PS,
	.prot = RW, .flags = MAP_SHARED, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, mmap_offset_1m)
{
	.op = BAD_MMAP, .open_flags = O_RDWR, .len = HPAGE, .off = MB,
	.prot = RW, .flags = MAP_SHARED, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, mmap_private_writable)
{
	.op = BAD_MMAP, .open_flags = O_RDWR, .len = HPAGE, .off = 0,
	.prot = RW, .flags = MAP_PRIVATE, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, mmap_private_writable_readonly_fd)
{
	.op = BAD_MMAP, .open_flags = O_RDONLY, .len = HPAGE, .off = 0,
	.prot = RW, .flags = MAP_PRIVATE, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, mmap_shared_writable_readonly_fd)
{
	.op = BAD_MMAP, .open_flags = O_RDONLY, .len = HPAGE, .off = 0,
	.prot = RW, .flags = MAP_SHARED, .want_errno = EACCES,
};

FIXTURE_VARIANT_ADD(bad, mmap_offset_past_hugetlbfs_limit)
{
	.op = BAD_MMAP, .open_flags = O_RDWR, .len = HPAGE, .off = 0x7fffffffffe00000LL,
	.prot = RW, .flags = MAP_SHARED, .want_errno = EOVERFLOW,
};

FIXTURE_VARIANT_ADD(bad, mmap_pool_too_small)
{
	.op = BAD_MMAP, .open_flags = O_RDWR, .len = 0, .off = 0,
	.prot = RW, .flags = MAP_SHARED, .want_errno = ENOMEM,
};

FIXTURE_VARIANT_ADD(bad, mprotect_write_on_private_readonly)
{
	.op = BAD_MPROTECT, .open_flags = O_RDWR, .len = 2 * HPAGE, .prot = PROT_READ,
	.flags = MAP_PRIVATE, .prot2 = RW, .want_errno = EACCES,
};

FIXTURE_VARIANT_ADD(bad, mprotect_write_on_shared_readonly_fd)
{
	.op = BAD_MPROTECT, .open_flags = O_RDONLY, .len = 2 * HPAGE, .prot = PROT_READ,
	.flags = MAP_SHARED, .prot2 = RW, .want_errno = EACCES,
};

FIXTURE_VARIANT_ADD(bad, mremap_grow)
{
	.op = BAD_MREMAP, .open_flags = O_RDWR, .len = HPAGE, .prot = RW,
	.flags = MAP_SHARED, .new_len = 2 * HPAGE, .want_errno = EFAULT,
};

FIXTURE_VARIANT_ADD(bad, mremap_grow_maymove)
{
	.op = BAD_MREMAP, .open_flags = O_RDWR, .len = HPAGE, .prot = RW,
	.flags = MAP_SHARED, .new_len = 2 * HPAGE, .mremap_flags = MREMAP_MAYMOVE,
	.want_errno = EFAULT,
};

FIXTURE_VARIANT_ADD(bad, mremap_grow_by_4k)
{
	.op = BAD_MREMAP, .open_flags = O_RDWR, .len = HPAGE, .prot = RW,
	.flags = MAP_SHARED, .new_len = HPAGE + PS, .mremap_flags = MREMAP_MAYMOVE,
	.want_errno = EFAULT,
};

/* A file descriptor of the kind @src names; -2 when this system has none. */
static int bad_fd(enum bad_fd src)
{
	char path[64];
	int fd, m;

	switch (src) {
	case FD_NEGATIVE:
		return -5;
	case FD_CLOSED:
		fd = open("/dev/null", O_RDONLY);
		close(fd);
		return fd;
	case FD_MEMFD_SHMEM:
		return memfd_create("vmlab-huge-test-shmem", 0);
	case FD_DEV_NULL:
		return open("/dev/null", O_RDWR);
	case FD_VMLAB:
		return vl_open(O_RDWR);
	case FD_HUGETLBFS_DIR:
		return open(HUGETLBFS_DIR, O_RDONLY | O_DIRECTORY);
	case FD_HUGETLB_RDONLY:
		m = memfd_create("vmlab-huge-test", MFD_HUGETLB);
		if (m < 0)
			return -2;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", m);
		fd = open(path, O_RDONLY);
		close(m);
		return fd;
	case FD_HUGETLB_1G:
		fd = memfd_create("vmlab-huge-test-1g", MFD_HUGETLB | MFD_HUGE_1GB);
		return fd < 0 ? -2 : fd;
	case FD_OTHER_SOURCE:
		fd = memfd_create("vmlab-huge-test", MFD_HUGETLB);
		return fd < 0 ? -2 : fd;
	default:
		return -1;
	}
}

FIXTURE_SETUP(bad)
{
	char why[128];

	self->fd = -1;
	self->other = -1;
	self->addr = MAP_FAILED;
	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(bad)
{
	if (self->addr != MAP_FAILED)
		munmap(self->addr, self->len);
	if (self->fd >= 0)
		close(self->fd);
	if (self->other >= 0)
		close(self->other);
}

TEST_F(bad, refused_with_nothing_left_reserved)
{
	long long free0 = hp_free();
	struct vl_counters c0, c1;
	char *p;
	int ret;

	ASSERT_EQ(0, vl_counters_read(&c0));
	switch (variant->op) {
	case BAD_SELECT:
		self->fd = vl_open(O_RDWR);
		ASSERT_LE(0, self->fd);
		self->other = bad_fd(variant->source);
		if (self->other == -2)
			SKIP(return, "no such file on this system");
		if (variant->source == FD_OTHER_SOURCE)
			ASSERT_EQ(0, vl_select(self->fd, VMLAB_KIND_HUGE, -1));
		ret = vl_select(self->fd, VMLAB_KIND_HUGE, self->other);
		ASSERT_EQ(-variant->want_errno, ret) {
			TH_LOG("select with huge_fd %d: %s", self->other, strerror(-ret));
		}
		break;
	case BAD_MMAP:
		self->fd = huge_open(variant->open_flags, -1);
		ASSERT_LE(0, self->fd);
		self->len = variant->len ? variant->len : (size_t)(free0 + 1) * HPAGE;
		errno = 0;
		p = mmap(NULL, self->len, variant->prot, variant->flags, self->fd, variant->off);
		ASSERT_EQ(MAP_FAILED, p) {
			self->addr = p;
		}
		ASSERT_EQ(variant->want_errno, errno) {
			TH_LOG("mmap of %zu bytes at offset 0x%llx: %s", self->len,
			       (unsigned long long)variant->off, strerror(errno));
		}
		/* A failed reservation gives back what it took at once. */
		ASSERT_EQ(free0, hp_free());
		break;
	case BAD_MPROTECT:
	case BAD_MREMAP:
		self->fd = huge_open(variant->open_flags, -1);
		ASSERT_LE(0, self->fd);
		self->len = variant->len;
		self->addr = mmap(NULL, self->len, variant->prot, variant->flags, self->fd, 0);
		ASSERT_NE(MAP_FAILED, self->addr);
		touch_read(self->addr, self->len, PS);
		errno = 0;
		if (variant->op == BAD_MPROTECT) {
			ASSERT_EQ(-1, mprotect(self->addr, self->len, variant->prot2));
		} else {
			p = mremap(self->addr, self->len, variant->new_len, variant->mremap_flags);
			ASSERT_EQ(MAP_FAILED, p) {
				munmap(p, variant->new_len);
				self->addr = MAP_FAILED;
			}
		}
		ASSERT_EQ(variant->want_errno, errno) {
			TH_LOG("%s: %s", variant->op == BAD_MPROTECT ? "mprotect" : "mremap",
			       strerror(errno));
		}
		/* The mapping is as it was. */
		touch_read(self->addr, self->len, PS);
		ASSERT_TRUE(all_present(self->addr, self->len / PS));
		ASSERT_EQ(free0 - (long long)(self->len / HPAGE), hp_free());
		ASSERT_EQ(0, munmap(self->addr, self->len));
		self->addr = MAP_FAILED;
		break;
	}
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	if (self->other >= 0)
		close(self->other);
	self->other = -1;
	ASSERT_EQ(free0, hp_free_settled(free0));
	ASSERT_EQ(0, vl_counters_read(&c1));
	ASSERT_EQ(0, delta(&c0, &c1, "huge_pages_held"));
	ASSERT_EQ(0, delta(&c0, &c1, "huge_files_live"));
	ASSERT_EQ(0, delta(&c0, &c1, "vmas_live_huge"));
	if (variant->op == BAD_MMAP && variant->want_errno == ENOMEM)
		ASSERT_EQ(1, delta(&c0, &c1, "huge_reserve_failures"));
}

/* ---- lifetime: the pages go back after the file and the last mapping ---- */

enum last { CLOSE_THEN_MUNMAP, MUNMAP_THEN_CLOSE, CHILD_OUTLIVES, MREMAP_THEN_CLOSE, EXIT_HOLDING };

FIXTURE(lifetime)
{
	int fd;
	char *addr;
};

FIXTURE_VARIANT(lifetime)
{
	enum last order;
};

FIXTURE_VARIANT_ADD(lifetime, close_then_munmap) { .order = CLOSE_THEN_MUNMAP };
FIXTURE_VARIANT_ADD(lifetime, munmap_then_close) { .order = MUNMAP_THEN_CLOSE };
FIXTURE_VARIANT_ADD(lifetime, child_outlives_parent_mapping) { .order = CHILD_OUTLIVES };
FIXTURE_VARIANT_ADD(lifetime, mremap_moved_then_close) { .order = MREMAP_THEN_CLOSE };
FIXTURE_VARIANT_ADD(lifetime, exit_holding_both) { .order = EXIT_HOLDING };

FIXTURE_SETUP(lifetime)
{
	char why[128];

	self->fd = -1;
	self->addr = MAP_FAILED;
	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(lifetime)
{
	if (self->addr != MAP_FAILED)
		munmap(self->addr, 2 * HPAGE);
	if (self->fd >= 0)
		close(self->fd);
}

/* In a child: map, stamp, say so on @w, wait for EOF on @r, check, exit. */
static void child_holds(int fd, int r, int w, bool unmap)
{
	char *p = fd < 0 ? MAP_FAILED :
		  mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char c;

	if (p == MAP_FAILED)
		_exit(2);
	stamp(p, 2 * HPAGE, 0, false);
	if (write(w, "m", 1) != 1)
		_exit(3);
	if (r >= 0)
		while (read(r, &c, 1) > 0)
			;
	if (unstamped(p, 2 * HPAGE, 0, false) != -1)
		_exit(4);
	if (unmap)
		munmap(p, 2 * HPAGE);
	_exit(0);
}

TEST_F(lifetime, pages_back_after_file_and_last_mapping)
{
	long long free0 = hp_free(), held = free0 - 2;
	struct vl_counters c0, c1;
	int go[2], ready[2], status;
	char *dest, c;
	pid_t pid;

	ASSERT_EQ(0, vl_counters_read(&c0));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	self->fd = huge_open(O_RDWR, -1);
	ASSERT_LE(0, self->fd);

	switch (variant->order) {
	case CLOSE_THEN_MUNMAP:
	case MUNMAP_THEN_CLOSE:
	case MREMAP_THEN_CLOSE:
		self->addr = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
		ASSERT_NE(MAP_FAILED, self->addr);
		stamp(self->addr, 2 * HPAGE, 0, false);
		ASSERT_EQ(held, hp_free());
		break;
	case CHILD_OUTLIVES:
		self->addr = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
		ASSERT_NE(MAP_FAILED, self->addr);
		stamp(self->addr, 2 * HPAGE, 0, false);
		break;
	case EXIT_HOLDING:
		break;
	}

	switch (variant->order) {
	case CLOSE_THEN_MUNMAP:
		ASSERT_EQ(0, close(self->fd));
		self->fd = -1;
		usleep(50000);
		ASSERT_EQ(held, hp_free());
		ASSERT_EQ(-1, unstamped(self->addr, 2 * HPAGE, 0, false));
		ASSERT_EQ(0, munmap(self->addr, 2 * HPAGE));
		self->addr = MAP_FAILED;
		break;
	case MUNMAP_THEN_CLOSE:
		ASSERT_EQ(0, munmap(self->addr, 2 * HPAGE));
		self->addr = MAP_FAILED;
		ASSERT_EQ(held, hp_free());
		ASSERT_EQ(0, close(self->fd));
		self->fd = -1;
		break;
	case MREMAP_THEN_CLOSE:
		dest = reserve(4 * HPAGE);
		ASSERT_NE(NULL, dest);
		dest = align_up(dest, HPAGE);
		self->addr = mremap(self->addr, 2 * HPAGE, 2 * HPAGE,
				    MREMAP_MAYMOVE | MREMAP_FIXED, dest);
		ASSERT_EQ(dest, self->addr);
		ASSERT_EQ(0, close(self->fd));
		self->fd = -1;
		ASSERT_EQ(-1, unstamped(self->addr, 2 * HPAGE, 0, false));
		check_huge_span(_metadata, self->addr, 2 * PER_HPAGE, 0, NULL, false);
		ASSERT_EQ(held, hp_free());
		ASSERT_EQ(0, munmap(self->addr, 2 * HPAGE));
		self->addr = MAP_FAILED;
		break;
	case CHILD_OUTLIVES:
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(go[1]);
			close(ready[0]);
			/* The parent's mapping, inherited: no mmap of its own. */
			if (write(ready[1], "m", 1) != 1)
				_exit(3);
			while (read(go[0], &c, 1) > 0)
				;
			_exit(unstamped(self->addr, 2 * HPAGE, 0, false) == -1 ? 0 : 4);
		}
		close(go[0]);
		close(ready[1]);
		ASSERT_EQ(1, read(ready[0], &c, 1));
		ASSERT_EQ(0, munmap(self->addr, 2 * HPAGE));
		self->addr = MAP_FAILED;
		ASSERT_EQ(0, close(self->fd));
		self->fd = -1;
		usleep(50000);
		/* The child's copy of the mapping keeps them. */
		ASSERT_EQ(held, hp_free());
		close(go[1]);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
		break;
	case EXIT_HOLDING:
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(go[1]);
			close(ready[0]);
			child_holds(self->fd, go[0], ready[1], false);
		}
		close(go[0]);
		close(ready[1]);
		ASSERT_EQ(1, read(ready[0], &c, 1));
		/* The child has the file too, and a mapping: close ours. */
		ASSERT_EQ(0, close(self->fd));
		self->fd = -1;
		ASSERT_EQ(held, hp_free());
		close(go[1]);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
		break;
	}
	ASSERT_EQ(free0, hp_free_settled(free0));
	ASSERT_EQ(0, vl_counters_read(&c1));
	ASSERT_EQ(0, delta(&c0, &c1, "huge_pages_held"));
	ASSERT_EQ(0, delta(&c0, &c1, "huge_files_live"));
	ASSERT_EQ(0, delta(&c0, &c1, "vmas_live_huge"));
}

/* ---- sharing: fork, remapping, user-supplied hugetlbfs files ---- */

TEST(fork_shares_pages)
{
	char why[128];
	uint64_t heads[2], child_heads[2];
	struct vl_counters c0, c1;
	int fd, pipefd[2], status;
	char *p;
	pid_t pid;

	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	fd = huge_open(O_RDWR, -1);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	stamp(p, 2 * HPAGE, 0, false);
	check_huge_span(_metadata, p, 2 * PER_HPAGE, 0, heads, false);
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, vl_counters_read(&c0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The parent's data, then ours into its second 2 MiB. */
		if (unstamped(p, 2 * HPAGE, 0, false) != -1)
			_exit(4);
		stamp(p + HPAGE, HPAGE, PER_HPAGE, true);
		if (heads_of(p, 2, child_heads))
			_exit(5);
		if (write(pipefd[1], child_heads, sizeof(child_heads)) != sizeof(child_heads))
			_exit(6);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(sizeof(child_heads), read(pipefd[0], child_heads, sizeof(child_heads)));
	ASSERT_EQ(0, vl_counters_read(&c1));
	TH_LOG("child: head PFNs 0x%llx 0x%llx; parent: 0x%llx 0x%llx; %lld PMD faults",
	       (unsigned long long)child_heads[0], (unsigned long long)child_heads[1],
	       (unsigned long long)heads[0], (unsigned long long)heads[1],
	       (long long)delta(&c0, &c1, "huge_pmd_faults"));
	ASSERT_EQ(heads[0], child_heads[0]);
	ASSERT_EQ(heads[1], child_heads[1]);
	/*
	 * 6.1 copies no PMD of a file mapping at fork, so the child faults
	 * both in again; 6.12 copies special PMDs.  Either way no 4 KiB entry.
	 */
	ASSERT_TRUE(delta(&c0, &c1, "huge_pmd_faults") == 0 ||
		    delta(&c0, &c1, "huge_pmd_faults") == 2);
	ASSERT_EQ(0, pte_faults(&c0, &c1));
	ASSERT_EQ(-1, unstamped(p + HPAGE, HPAGE, PER_HPAGE, true));
	ASSERT_EQ(-1, unstamped(p, HPAGE, 0, false));
	munmap(p, 2 * HPAGE);
	close(fd);
}

TEST(pages_stay_while_file_is_open)
{
	char why[128];
	uint64_t heads[2];
	long long free1;
	char *p, *q;
	int fd;

	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	fd = huge_open(O_RDWR, -1);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	free1 = hp_free();
	stamp(p, 2 * HPAGE, 0, false);
	check_huge_span(_metadata, p, 2 * PER_HPAGE, 0, heads, false);
	/* A second mapping of the same range takes nothing more from the pool. */
	q = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(free1, hp_free());
	ASSERT_EQ(-1, unstamped(q, 2 * HPAGE, 0, false));
	stamp(q + HPAGE, HPAGE, PER_HPAGE, true);
	ASSERT_EQ(-1, unstamped(p + HPAGE, HPAGE, PER_HPAGE, true));
	check_huge_span(_metadata, q, 2 * PER_HPAGE, 0, heads, true);
	/* Unmapped and mapped again: the same pages, the same data. */
	ASSERT_EQ(0, munmap(p, 2 * HPAGE));
	ASSERT_EQ(0, munmap(q, 2 * HPAGE));
	ASSERT_EQ(free1, hp_free());
	p = mmap(NULL, 2 * HPAGE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(-1, unstamped(p, HPAGE, 0, false));
	ASSERT_EQ(-1, unstamped(p + HPAGE, HPAGE, PER_HPAGE, true));
	check_huge_span(_metadata, p, 2 * PER_HPAGE, 0, heads, true);
	munmap(p, 2 * HPAGE);
	close(fd);
}

TEST(select_again_keeps_the_source)
{
	char why[128];
	int fd, m;

	if (!pool_ok(1, why, sizeof(why)))
		SKIP(return, "%s", why);
	fd = huge_open(O_RDWR, -1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_select(fd, VMLAB_KIND_HUGE, -1));
	close(fd);
	m = memfd_create("vmlab-huge-test", MFD_HUGETLB);
	if (m < 0)
		SKIP(return, "memfd_create(MFD_HUGETLB): %s", strerror(errno));
	fd = huge_open(O_RDWR, m);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_select(fd, VMLAB_KIND_HUGE, m));
	ASSERT_EQ(-EBUSY, vl_select(fd, VMLAB_KIND_HUGE, -1));
	close(fd);
	close(m);
}

TEST(user_memfd_shares_pages)
{
	char why[128];
	long long free0 = hp_free();
	char *p, *q, *listing = NULL;
	uint64_t heads[2], raw;
	int m, fd, pfd, i;
	char buf[128];

	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	m = memfd_create("vmlab-huge-test", MFD_HUGETLB);
	if (m < 0)
		SKIP(return, "memfd_create(MFD_HUGETLB): %s", strerror(errno));
	fd = huge_open(O_RDWR, m);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(free0 - 2, hp_free());
	ASSERT_EQ(0, vl_read_text(VMLAB_DEBUGFS_PATH "/huge", &listing));
	TH_LOG("debugfs huge:\n%s", listing);
	ASSERT_NE(NULL, strstr(listing, " user 2\n"));
	free(listing);
	stamp(p, 2 * HPAGE, 0, false);
	check_huge_span(_metadata, p, 2 * PER_HPAGE, 0, heads, false);

	/*
	 * The memfd's own hugetlb mapping sees the same pages, and its
	 * entries, which carry a map count, show the exclusive bit that
	 * vmlab's do not.
	 */
	q = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(-1, unstamped(q, 2 * HPAGE, 0, false));
	stamp(q, HPAGE, 0, true);
	ASSERT_EQ(-1, unstamped(p, HPAGE, 0, true));
	ASSERT_TRUE(all_present(q, 2 * PER_HPAGE));
	pfd = vl_pagemap_open(0);
	ASSERT_LE(0, pfd);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vl_pagemap_read(pfd, (unsigned long)(q + i * HPAGE), 1, &raw));
		vl_pm_format(raw, buf, sizeof(buf));
		TH_LOG("memfd's own mapping, 2 MiB #%d: %s", i, buf);
		ASSERT_EQ(heads[i], vl_pm_decode(raw).pfn);
		ASSERT_TRUE(vl_pm_decode(raw).exclusive);
	}
	close(pfd);
	ASSERT_EQ(free0 - 2, hp_free());
	munmap(q, 2 * HPAGE);
	munmap(p, 2 * HPAGE);
	close(fd);
	/* The pages are the memfd's: they go with it. */
	usleep(50000);
	ASSERT_EQ(free0 - 2, hp_free());
	close(m);
	ASSERT_EQ(free0, hp_free_settled(free0));
}

TEST(user_memfd_truncated_under_mapping)
{
	char why[128];
	long long free0 = hp_free();
	char *p;
	int m, fd;

	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	m = memfd_create("vmlab-huge-test", MFD_HUGETLB);
	if (m < 0)
		SKIP(return, "memfd_create(MFD_HUGETLB): %s", strerror(errno));
	fd = huge_open(O_RDWR, m);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	stamp(p, 2 * HPAGE, 0, false);
	/* The memfd lets go of its pages; vmlab's mapping keeps them. */
	ASSERT_EQ(0, ftruncate(m, 0));
	ASSERT_EQ(-1, unstamped(p, 2 * HPAGE, 0, false));
	check_huge_span(_metadata, p, 2 * PER_HPAGE, 0, NULL, false);
	ASSERT_EQ(free0 - 2, hp_free());
	munmap(p, 2 * HPAGE);
	close(fd);
	ASSERT_EQ(free0, hp_free_settled(free0));
	close(m);
}

TEST(user_memfd_sealed_against_growth)
{
	long long free0 = hp_free();
	char why[128];
	int m, fd;
	char *p;

	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	m = memfd_create("vmlab-huge-test", MFD_HUGETLB | MFD_ALLOW_SEALING);
	if (m < 0)
		SKIP(return, "memfd_create(MFD_HUGETLB): %s", strerror(errno));
	/* Empty and sealed: vmlab cannot grow it. */
	ASSERT_EQ(0, fcntl(m, F_ADD_SEALS, F_SEAL_GROW));
	fd = huge_open(O_RDWR, m);
	ASSERT_LE(0, fd);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, HPAGE, PROT_READ, MAP_SHARED, fd, 0));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(free0, hp_free());
	close(fd);
	close(m);
	/* Sized before the seal: vmlab fills it without growing it. */
	m = memfd_create("vmlab-huge-test", MFD_HUGETLB | MFD_ALLOW_SEALING);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, ftruncate(m, 2 * HPAGE));
	ASSERT_EQ(0, fcntl(m, F_ADD_SEALS, F_SEAL_GROW));
	fd = huge_open(O_RDWR, m);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(free0 - 2, hp_free());
	stamp(p, 2 * HPAGE, 0, false);
	check_huge_span(_metadata, p, 2 * PER_HPAGE, 0, NULL, false);
	munmap(p, 2 * HPAGE);
	close(fd);
	close(m);
	ASSERT_EQ(free0, hp_free_settled(free0));
}

/* ---- a user's file: the checks a native mmap of it applies ---- */

/* How a mapping of the user's file is made: natively, or through vmlab. */
enum via { VIA_NATIVE, VIA_VMLAB };

static const char *const via_names[] = { "native", "vmlab" };

/* errno of a failed call, 0 for success. */
static int err_of(int ret)
{
	return ret ? errno : 0;
}

/* A fresh MFD_HUGETLB memfd of @pages 2 MiB pages that can be sealed, or -1. */
static int sealable_memfd(size_t pages)
{
	int m = memfd_create("vmlab-huge-test", MFD_HUGETLB | MFD_ALLOW_SEALING);

	if (m >= 0 && ftruncate(m, pages * HPAGE)) {
		close(m);
		return -1;
	}
	return m;
}

FIXTURE(file_checks)
{
	int m;		/* the memfd, O_RDWR */
	int file;	/* the same file, reopened as the variant says */
};

FIXTURE_VARIANT(file_checks)
{
	int open_flags;		/* how the file both map is opened */
	unsigned int seals;	/* added before either maps */
	int prot;		/* of the MAP_SHARED mmap */
	int prot2;		/* then mprotect to this, when not 0 */
};

FIXTURE_VARIANT_ADD(file_checks, unsealed_rdwr_read_write)
{
	.open_flags = O_RDWR, .prot = PROT_READ | PROT_WRITE,
};

FIXTURE_VARIANT_ADD(file_checks, wronly_read)
{
	.open_flags = O_WRONLY, .prot = PROT_READ,
};

FIXTURE_VARIANT_ADD(file_checks, wronly_read_write)
{
	.open_flags = O_WRONLY, .prot = PROT_READ | PROT_WRITE,
};

FIXTURE_VARIANT_ADD(file_checks, seal_write_read_write)
{
	.open_flags = O_RDWR, .seals = F_SEAL_WRITE, .prot = PROT_READ | PROT_WRITE,
};

FIXTURE_VARIANT_ADD(file_checks, seal_write_read_then_mprotect_write)
{
	.open_flags = O_RDWR, .seals = F_SEAL_WRITE, .prot = PROT_READ,
	.prot2 = PROT_READ | PROT_WRITE,
};

FIXTURE_VARIANT_ADD(file_checks, seal_future_write_read_write)
{
	.open_flags = O_RDWR, .seals = F_SEAL_FUTURE_WRITE, .prot = PROT_READ | PROT_WRITE,
};

FIXTURE_VARIANT_ADD(file_checks, seal_future_write_read_then_mprotect_write)
{
	.open_flags = O_RDWR, .seals = F_SEAL_FUTURE_WRITE, .prot = PROT_READ,
	.prot2 = PROT_READ | PROT_WRITE,
};

FIXTURE_SETUP(file_checks)
{
	char why[128], path[64];

	self->m = -1;
	self->file = -1;
	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	self->m = sealable_memfd(1);
	if (self->m < 0)
		SKIP(return, "memfd_create(MFD_HUGETLB): %s", strerror(errno));
	if (variant->seals)
		ASSERT_EQ(0, fcntl(self->m, F_ADD_SEALS, variant->seals));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->m);
	self->file = open(path, variant->open_flags);
	ASSERT_LE(0, self->file);
}

FIXTURE_TEARDOWN(file_checks)
{
	if (self->file >= 0)
		close(self->file);
	if (self->m >= 0)
		close(self->m);
}

/* What mmap, and mprotect after it, did. */
struct map_result {
	int mmap_err;
	int mprotect_err;	/* -1: not tried */
};

static struct map_result map_file(int fd, int prot, int prot2)
{
	struct map_result r = { .mprotect_err = -1 };
	char *p;

	p = mmap(NULL, HPAGE, prot, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		r.mmap_err = errno;
		return r;
	}
	(void)__atomic_load_n(p, __ATOMIC_RELAXED);
	if (prot & PROT_WRITE)
		__atomic_store_n(p, 1, __ATOMIC_RELAXED);
	if (prot2)
		r.mprotect_err = err_of(mprotect(p, HPAGE, prot2));
	munmap(p, HPAGE);
	return r;
}

TEST_F(file_checks, vmlab_maps_as_native_does)
{
	struct map_result r[2];
	int fd, v;

	r[VIA_NATIVE] = map_file(self->file, variant->prot, variant->prot2);
	fd = huge_open(O_RDWR, self->file);
	ASSERT_LE(0, fd) {
		TH_LOG("select with the file: %s", strerror(-fd));
	}
	r[VIA_VMLAB] = map_file(fd, variant->prot, variant->prot2);
	close(fd);
	for (v = VIA_NATIVE; v <= VIA_VMLAB; v++)
		TH_LOG("%s: mmap %s, mprotect %s", via_names[v],
		       r[v].mmap_err ? strerror(r[v].mmap_err) : "ok",
		       r[v].mprotect_err < 0 ? "not tried" :
		       r[v].mprotect_err ? strerror(r[v].mprotect_err) : "ok");
	ASSERT_EQ(r[VIA_NATIVE].mmap_err, r[VIA_VMLAB].mmap_err);
	ASSERT_EQ(r[VIA_NATIVE].mprotect_err, r[VIA_VMLAB].mprotect_err);
}

/*
 * F_SEAL_WRITE while the file is mapped writable, then once it is not.
 * vmlab's pages stay with its open file (they count as pins of the memfd
 * until it is closed), so its turn closes the device file too.
 */
FIXTURE(seal_while_mapped)
{
	int unused;
};

FIXTURE_VARIANT(seal_while_mapped)
{
	int prot;
	bool truncate;	/* the file lets go of its pages before the seal */
	bool split;	/* only a piece is left mapped: the head is unmapped */
	bool fork;	/* only a fork child's copy is left mapped */
	bool move;	/* the mapping was moved by mremap(2) */
};

FIXTURE_VARIANT_ADD(seal_while_mapped, read_write)
{
	.prot = PROT_READ | PROT_WRITE,
};

FIXTURE_VARIANT_ADD(seal_while_mapped, read_only_of_rdwr_file)
{
	.prot = PROT_READ,
};

FIXTURE_VARIANT_ADD(seal_while_mapped, read_write_truncated)
{
	.prot = PROT_READ | PROT_WRITE, .truncate = true,
};

FIXTURE_VARIANT_ADD(seal_while_mapped, read_only_of_rdwr_file_truncated)
{
	.prot = PROT_READ, .truncate = true,
};

FIXTURE_VARIANT_ADD(seal_while_mapped, read_write_truncated_piece_left)
{
	.prot = PROT_READ | PROT_WRITE, .truncate = true, .split = true,
};

FIXTURE_VARIANT_ADD(seal_while_mapped, read_write_truncated_child_copy_left)
{
	.prot = PROT_READ | PROT_WRITE, .truncate = true, .fork = true,
};

FIXTURE_VARIANT_ADD(seal_while_mapped, read_write_truncated_moved)
{
	.prot = PROT_READ | PROT_WRITE, .truncate = true, .move = true,
};

FIXTURE_SETUP(seal_while_mapped)
{
	char why[128];

	if (!pool_ok(4, why, sizeof(why)))
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(seal_while_mapped)
{
}

/*
 * The errno of F_SEAL_WRITE while mapped (@r[0]), of a new writable native
 * mapping once unmapped (@r[1]), of F_SEAL_WRITE then (@r[2]); or -1.
 */
static int seal_around_mapping(const FIXTURE_VARIANT(seal_while_mapped) * variant,
			       enum via via, int r[3])
{
	size_t len = 2 * HPAGE;
	int m = sealable_memfd(2), fd, go[2], status;
	pid_t pid = -1;
	char *p, *q, c;

	if (m < 0)
		return -1;
	fd = via == VIA_VMLAB ? huge_open(O_RDWR, m) : m;
	if (fd < 0)
		return -1;
	p = mmap(NULL, len, variant->prot, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	touch_read(p, len, HPAGE);
	if (variant->move) {
		q = reserve(len + HPAGE);
		if (!q)
			return -1;
		q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, align_up(q, HPAGE));
		if (q == MAP_FAILED)
			return -1;
		p = q;
	}
	if (variant->split) {
		munmap(p, HPAGE);
		p += HPAGE;
		len -= HPAGE;
	}
	if (variant->fork) {
		if (pipe(go))
			return -1;
		pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0) {
			close(go[1]);
			while (read(go[0], &c, 1) > 0)
				;
			_exit(0);
		}
		close(go[0]);
		munmap(p, len);
	}
	if (variant->truncate && ftruncate(m, 0))
		return -1;
	r[0] = err_of(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
	if (variant->fork) {
		close(go[1]);
		waitpid(pid, &status, 0);
	} else {
		munmap(p, len);
	}
	if (via == VIA_VMLAB)
		close(fd);
	q = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	r[1] = q == MAP_FAILED ? errno : 0;
	if (q != MAP_FAILED)
		munmap(q, HPAGE);
	r[2] = err_of(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
	close(m);
	return 0;
}

TEST_F(seal_while_mapped, vmlab_blocks_the_seal_as_native_does)
{
	long long free0 = hp_free();
	int r[2][3], v;

	for (v = VIA_NATIVE; v <= VIA_VMLAB; v++) {
		ASSERT_EQ(0, seal_around_mapping(variant, v, r[v])) {
			TH_LOG("%s: set-up failed: %s", via_names[v], strerror(errno));
		}
		TH_LOG("%s: F_SEAL_WRITE while mapped: %s; unmapped: mmap %s, F_SEAL_WRITE %s",
		       via_names[v], r[v][0] ? strerror(r[v][0]) : "ok",
		       r[v][1] ? strerror(r[v][1]) : "ok", r[v][2] ? strerror(r[v][2]) : "ok");
	}
	ASSERT_EQ(r[VIA_NATIVE][0], r[VIA_VMLAB][0]);
	ASSERT_EQ(r[VIA_NATIVE][1], r[VIA_VMLAB][1]);
	ASSERT_EQ(r[VIA_NATIVE][2], r[VIA_VMLAB][2]);
	ASSERT_EQ(free0, hp_free_settled(free0));
}

/* ---- a user's file: vmlab touches only what is its own ---- */

/* What the other mapper of test failed_reservation_keeps_others_data shares. */
struct rollback_board {
	int mmap_done;		/* vmlab's mmap returned */
	int wrote;		/* the other mapper wrote page 0 */
	int wrote_early;	/* ... before vmlab's mmap returned */
};

/*
 * vmlab's mmap of 17 pages over a memfd sealed against growth at 16 takes
 * pages 0 to 15 (its fallocate adds them) and fails at 16 (EPERM).  Another
 * process maps page 0 of the memfd and writes to it as soon as the file has
 * a page: what it wrote must survive the failed mmap.  The write lands in
 * the page vmlab added whenever it happens before the mmap gives up, which
 * the zeroing of the 15 pages after it leaves time for.
 */
TEST(failed_reservation_keeps_others_data)
{
	const size_t have = 16, want = 17;
	long long free0 = hp_free();
	struct rollback_board *b;
	int attempt, early = 0, status, m, fd;
	char why[128];
	uint32_t *q;
	struct stat st;
	pid_t pid;
	char *p;

	if (!pool_ok(want + 1, why, sizeof(why)))
		SKIP(return, "%s", why);
	b = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, b);
	for (attempt = 0; attempt < 5; attempt++) {
		memset(b, 0, sizeof(*b));
		m = sealable_memfd(have);
		if (m < 0)
			SKIP(return, "memfd_create(MFD_HUGETLB): %s", strerror(errno));
		ASSERT_EQ(0, fcntl(m, F_ADD_SEALS, F_SEAL_GROW));
		q = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
		ASSERT_NE(MAP_FAILED, q);
		fd = huge_open(O_RDWR, m);
		ASSERT_LE(0, fd);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			while (!__atomic_load_n(&b->mmap_done, __ATOMIC_SEQ_CST)) {
				if (fstat(m, &st))
					_exit(1);
				if (st.st_blocks) {
					__atomic_store_n(q, STAMP(attempt), __ATOMIC_SEQ_CST);
					b->wrote_early = !__atomic_load_n(&b->mmap_done,
									  __ATOMIC_SEQ_CST);
					b->wrote = 1;
					break;
				}
			}
			_exit(0);
		}
		errno = 0;
		p = mmap(NULL, want * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		__atomic_store_n(&b->mmap_done, 1, __ATOMIC_SEQ_CST);
		ASSERT_EQ(MAP_FAILED, p);
		ASSERT_EQ(EPERM, errno);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, status);
		TH_LOG("attempt %d: the other mapper %s page 0%s; page 0 holds %#x", attempt,
		       b->wrote ? "wrote" : "did not write",
		       b->wrote_early ? " while vmlab's mmap ran" : "", *q);
		if (b->wrote)
			ASSERT_EQ(STAMP(attempt), *q);
		early += b->wrote_early;
		munmap(q, HPAGE);
		close(fd);
		close(m);
	}
	TH_LOG("%d of 5 writes happened while vmlab's mmap ran", early);
	munmap(b, PS);
	ASSERT_EQ(free0, hp_free_settled(free0));
}

/*
 * A hugetlbfs mount with size=4M: whatever a native mapping or vmlab held
 * of its file, once the file lets go of its pages the mount's files get
 * pages only up to its size, so no more than 2 pool pages ever go to it.
 */
FIXTURE(size_limit)
{
	int unused;
};

FIXTURE_VARIANT(size_limit)
{
	bool punch;	/* a hole punched over the pages, not ftruncate */
};

FIXTURE_VARIANT_ADD(size_limit, truncated) { .punch = false };
FIXTURE_VARIANT_ADD(size_limit, hole_punched) { .punch = true };

FIXTURE_SETUP(size_limit)
{
}

FIXTURE_TEARDOWN(size_limit)
{
}

TEST_F(size_limit, mount_holds_to_its_size)
{
	const long long size_pages = 2;
	char dir[] = "/tmp/vmlab-hugetlbfs-XXXXXX", path[64], why[128];
	long long used[2], free0;
	int v, f, fd, k, err;
	char *p;

	if (!pool_ok(2 * size_pages + 1, why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_NE(NULL, mkdtemp(dir));
	if (mount("none", dir, "hugetlbfs", 0, "size=4M")) {
		err = errno;
		rmdir(dir);
		SKIP(return, "mount -t hugetlbfs -o size=4M: %s", strerror(err));
	}
	for (v = VIA_NATIVE; v <= VIA_VMLAB; v++) {
		free0 = hp_free_settled(hp_free());
		snprintf(path, sizeof(path), "%s/%s", dir, via_names[v]);
		f = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		ASSERT_LE(0, f);
		fd = v == VIA_VMLAB ? huge_open(O_RDWR, f) : f;
		err = 0;
		p = MAP_FAILED;
		if (fd < 0) {
			err = -fd;
		} else {
			p = mmap(NULL, size_pages * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
			if (p == MAP_FAILED)
				err = errno;
			else
				stamp(p, size_pages * HPAGE, 0, false);
		}
		if (variant->punch) {
			ASSERT_EQ(0, fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
					       size_pages * HPAGE));
		} else {
			ASSERT_EQ(0, ftruncate(f, 0));
		}
		/* What the mount still lets the file take, past the old pages. */
		for (k = 0; k < 2 * size_pages + 1; k++)
			if (fallocate(f, 0, (off_t)(size_pages + k) * HPAGE, HPAGE))
				break;
		used[v] = free0 - hp_free();
		TH_LOG("%s: %s%s; after it let go of them the file took %d more pages; "
		       "%lld pool pages gone to the mount (size= is %lld pages)", via_names[v],
		       v == VIA_VMLAB && fd < 0 ? "select refused: " : "mmap ",
		       err ? strerror(err) : "ok", k, used[v], size_pages);
		if (p != MAP_FAILED)
			munmap(p, size_pages * HPAGE);
		if (fd >= 0 && fd != f)
			close(fd);
		close(f);
		unlink(path);
		hp_free_settled(free0);
	}
	umount(dir);
	rmdir(dir);
	ASSERT_LE(used[VIA_VMLAB], size_pages);
	ASSERT_EQ(used[VIA_NATIVE], used[VIA_VMLAB]);
}

/* ---- the rest of the machinery meets a huge mapping ---- */

TEST(other_kinds_unchanged_beside_huge_mapping)
{
	char why[128];
	const size_t len = 16 * PS;
	struct vmlab_info info;
	long long lck0 = -1, lck = -1;
	char flags[256];
	struct vl_vma vma;
	char *h, *s, *a;
	int hfd, sfd, afd;

	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	hfd = huge_open(O_RDWR, -1);
	ASSERT_LE(0, hfd);
	h = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, hfd, 0);
	ASSERT_NE(MAP_FAILED, h);
	stamp(h, 2 * HPAGE, 0, false);
	sfd = vl_open(O_RDWR);
	ASSERT_LE(0, sfd);
	s = vl_map(sfd, VMLAB_KIND_STORE, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(MAP_FAILED, s);
	afd = vl_open(O_RDWR);
	ASSERT_LE(0, afd);
	a = vl_map(afd, VMLAB_KIND_ANON, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	ASSERT_NE(MAP_FAILED, a);

	/* mlock counts the store and anonymous mappings, not the huge one. */
	ASSERT_EQ(0, vl_status_field(0, "VmLck", &lck0));
	ASSERT_EQ(0, mlock(s, len));
	ASSERT_EQ(0, mlock(a, len));
	ASSERT_EQ(0, mlock(h, 2 * HPAGE));
	ASSERT_EQ(0, vl_status_field(0, "VmLck", &lck));
	ASSERT_EQ(lck0 + (long long)(2 * len / 1024), lck);
	ASSERT_EQ(0, vl_smaps_vmflags(0, (unsigned long)s, flags, sizeof(flags)));
	TH_LOG("store mapping: VmFlags %s", flags);
	ASSERT_TRUE(has_vmflag(flags, "lo"));
	ASSERT_FALSE(has_vmflag(flags, "mm"));
	ASSERT_EQ(0, vl_maps_find(0, (unsigned long)s, &vma));
	/* Without a backing file the store is a tmpfs file, which its VMAs map. */
	ASSERT_EQ(0, vl_info(sfd, &info));
	ASSERT_STREQ(info.has_backing ? VMLAB_DEVICE_PATH : "/vmlab-store (deleted)", vma.path);
	ASSERT_EQ(0, vl_smaps_vmflags(0, (unsigned long)a, flags, sizeof(flags)));
	ASSERT_TRUE(has_vmflag(flags, "lo"));
	ASSERT_EQ(0, vl_smaps_vmflags(0, (unsigned long)h, flags, sizeof(flags)));
	TH_LOG("huge mapping: VmFlags %s", flags);
	ASSERT_FALSE(has_vmflag(flags, "lo"));
	ASSERT_EQ(0, munlock(s, len));
	ASSERT_EQ(0, munlock(a, len));
	ASSERT_EQ(0, vl_status_field(0, "VmLck", &lck));
	ASSERT_EQ(lck0, lck);
	ASSERT_EQ(-1, unstamped(h, 2 * HPAGE, 0, false));
	munmap(a, len);
	munmap(s, len);
	munmap(h, 2 * HPAGE);
	close(afd);
	close(sfd);
	close(hfd);
}

/* Advice on part or all of a PMD leaves the same pages and the same data. */
FIXTURE(madv)
{
	int fd;
	char *addr;
};

FIXTURE_VARIANT(madv)
{
	int advice;
	size_t off;
	size_t len;
};

FIXTURE_VARIANT_ADD(madv, cold_partial) { .advice = MADV_COLD, .off = PS, .len = 16 * PS };
FIXTURE_VARIANT_ADD(madv, cold_whole) { .advice = MADV_COLD, .len = 2 * HPAGE };
FIXTURE_VARIANT_ADD(madv, pageout_partial) { .advice = MADV_PAGEOUT, .off = PS, .len = 16 * PS };
FIXTURE_VARIANT_ADD(madv, pageout_whole) { .advice = MADV_PAGEOUT, .len = 2 * HPAGE };
FIXTURE_VARIANT_ADD(madv, dontneed_partial) { .advice = MADV_DONTNEED, .off = PS, .len = 16 * PS };
FIXTURE_VARIANT_ADD(madv, dontneed_whole) { .advice = MADV_DONTNEED, .len = 2 * HPAGE };
FIXTURE_VARIANT_ADD(madv, willneed_whole) { .advice = MADV_WILLNEED, .len = 2 * HPAGE };

FIXTURE_SETUP(madv)
{
	char why[128];

	self->fd = -1;
	self->addr = MAP_FAILED;
	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	self->fd = huge_open(O_RDWR, -1);
	ASSERT_LE(0, self->fd);
	self->addr = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->addr);
}

FIXTURE_TEARDOWN(madv)
{
	if (self->addr != MAP_FAILED)
		munmap(self->addr, 2 * HPAGE);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(madv, same_pages_after_advice)
{
	long long free1 = hp_free();
	uint64_t heads[2];

	stamp(self->addr, 2 * HPAGE, 0, false);
	check_huge_span(_metadata, self->addr, 2 * PER_HPAGE, 0, heads, false);
	ASSERT_EQ(0, madvise(self->addr + variant->off, variant->len, variant->advice)) {
		TH_LOG("madvise: %s", strerror(errno));
	}
	ASSERT_EQ(-1, unstamped(self->addr, 2 * HPAGE, 0, false));
	check_huge_span(_metadata, self->addr, 2 * PER_HPAGE, 0, heads, true);
	ASSERT_EQ(free1, hp_free());
}

/*
 * Soft-dirty tracking write-protects the mapping: a write to a PMD then
 * takes the 4 KiB path (the core splits the PMD), and only the page
 * written is soft-dirty again.
 */
/*
 * A hint is taken as x86's hugetlbfs takes it: rounded down to 2 MiB and
 * used when that much is free there, even with no room around it (the placement of
 * THP-capable files asks for 2 MiB more).  Both sides map 2 MiB into a hole
 * of a reserved area; the address must be the one the twin got.
 */
FIXTURE(hint) {
	char *area;
};

FIXTURE_VARIANT(hint) {
	unsigned long hole_start, hole_len;	/* in the 2 MiB-aligned area */
	unsigned long hint;			/* from the area's start */
	unsigned long want;			/* where the mapping must land */
};

FIXTURE_VARIANT_ADD(hint, aligned_in_a_2m_hole)
{
	.hole_start = 2 * HPAGE, .hole_len = HPAGE, .hint = 2 * HPAGE, .want = 2 * HPAGE,
};

FIXTURE_VARIANT_ADD(hint, unaligned_rounded_down)
{
	.hole_start = 2 * HPAGE, .hole_len = 2 * HPAGE, .hint = 3 * HPAGE - PS, .want = 2 * HPAGE,
};

FIXTURE_SETUP(hint)
{
	char why[128];
	char *r;

	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	r = reserve(8 * HPAGE);
	ASSERT_NE(NULL, r);
	self->area = align_up(r, HPAGE);
	ASSERT_EQ(0, munmap(self->area + variant->hole_start, variant->hole_len));
}

FIXTURE_TEARDOWN(hint)
{
}

TEST_F(hint, taken_as_hugetlbfs_takes_it)
{
	char *want = self->area + variant->want, *hint = self->area + variant->hint;
	int fd = huge_open(O_RDWR, -1);
	char *v, *n;

	ASSERT_LE(0, fd);
	n = mmap(hint, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, n);
	ASSERT_EQ(0, munmap(n, HPAGE));
	v = mmap(hint, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, v);
	close(fd);
	EXPECT_EQ(n, v) TH_LOG("hint %p: vmlab at %p, MAP_HUGETLB at %p", hint, v, n);
	EXPECT_EQ(want, v) TH_LOG("hint %p: vmlab at %p, wanted %p", hint, v, want);
	munmap(v, HPAGE);
}

TEST(soft_dirty_write_after_clear_refs)
{
	char why[128];
	struct vl_counters c0, c1;
	uint64_t pm[2 * PER_HPAGE];
	const size_t w = PER_HPAGE / 2;	/* the page written */
	uint64_t heads[2];
	char buf[128];
	int fd, pfd;
	size_t i;
	char *p;

	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	fd = huge_open(O_RDWR, -1);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	stamp(p, 2 * HPAGE, 0, false);
	check_huge_span(_metadata, p, 2 * PER_HPAGE, 0, heads, false);
	ASSERT_EQ(0, vl_write_file("/proc/self/clear_refs", "4"));
	pfd = vl_pagemap_open(0);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, vl_pagemap_read(pfd, (unsigned long)p, 2 * PER_HPAGE, pm));
	for (i = 0; i < 2 * PER_HPAGE; i++) {
		vl_pm_format(pm[i], buf, sizeof(buf));
		ASSERT_TRUE(vl_pm_decode(pm[i]).present && !vl_pm_decode(pm[i]).soft_dirty) {
			TH_LOG("page %zu after clear_refs: %s", i, buf);
		}
	}
	ASSERT_EQ(0, vl_counters_read(&c0));
	__atomic_store_n((uint32_t *)(p + w * PS), STAMP(w), __ATOMIC_RELAXED);
	ASSERT_EQ(0, vl_counters_read(&c1));
	TH_LOG("write: %lld write-protect fallbacks, %lld PMD faults, %lld 4 KiB faults",
	       (long long)delta(&c0, &c1, "huge_pmd_wp_fallbacks"),
	       (long long)delta(&c0, &c1, "huge_pmd_faults"), (long long)pte_faults(&c0, &c1));
	if (have_pmd()) {
		ASSERT_LE(1, delta(&c0, &c1, "huge_pmd_wp_fallbacks"));
		ASSERT_LE(1, delta(&c0, &c1, "faults_write_huge"));
	} else {
		/* No THP: the core makes the 4 KiB entry writable itself. */
		ASSERT_EQ(0, delta(&c0, &c1, "huge_pmd_wp_fallbacks"));
		ASSERT_EQ(0, pte_faults(&c0, &c1));
	}
	ASSERT_EQ(0, delta(&c0, &c1, "huge_pmd_faults"));
	ASSERT_EQ(0, vl_pagemap_read(pfd, (unsigned long)p, 2 * PER_HPAGE, pm));
	for (i = 0; i < 2 * PER_HPAGE; i++) {
		struct vl_pm e = vl_pm_decode(pm[i]);

		vl_pm_format(pm[i], buf, sizeof(buf));
		if (i == w)
			TH_LOG("page written: %s", buf);
		/* The first 2 MiB is split: only the page written is mapped. */
		ASSERT_EQ(i == w || i >= PER_HPAGE || !have_pmd(), e.present) {
			TH_LOG("page %zu after the write: %s", i, buf);
		}
		ASSERT_EQ(i == w, e.soft_dirty) {
			TH_LOG("page %zu after the write: %s", i, buf);
		}
	}
	close(pfd);
	ASSERT_EQ(-1, unstamped(p, 2 * HPAGE, 0, false));
	check_huge_span(_metadata, p, 2 * PER_HPAGE, 0, heads, true);
	munmap(p, 2 * HPAGE);
	close(fd);
}

#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

/* Is the running kernel older than 6.7 (its huge-kind inode S_DAX)? */
static bool kernel_before_6_7(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major < 6 || (major == 6 && minor < 7);
}

/*
 * THP "never": on 6.1 the huge kind's file is DAX, whose faults ignore the
 * setting, and a PMD still maps 2 MiB; from 6.7 the file is not DAX, and
 * the core applies the setting to its ->huge_fault as to any file's: one
 * 4 KiB entry per fault.
 */
TEST(thp_never_setting)
{
	bool dax = kernel_before_6_7();
	struct vl_counters c0, c1;
	char *saved = NULL, *mode, *end, *p, why[128];
	int fd;

	if (!pool_ok(1, why, sizeof(why)))
		SKIP(return, "%s", why);
	if (access(THP_ENABLED, W_OK))
		SKIP(return, "%s: %s (no THP in this kernel)", THP_ENABLED, strerror(errno));
	ASSERT_EQ(0, vl_read_text(THP_ENABLED, &saved));
	/* "always [madvise] never": the mode in brackets. */
	mode = strchr(saved, '[');
	ASSERT_NE(NULL, mode);
	end = strchr(++mode, ']');
	ASSERT_NE(NULL, end);
	*end = '\0';
	fd = huge_open(O_RDWR, -1);
	ASSERT_LE(0, fd);
	p = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* No ASSERT until the setting is back. */
	EXPECT_EQ(0, vl_write_file(THP_ENABLED, "never"));
	EXPECT_EQ(0, vl_counters_read(&c0));
	__atomic_store_n((uint32_t *)p, STAMP(0), __ATOMIC_RELAXED);
	EXPECT_EQ(0, vl_counters_read(&c1));
	EXPECT_EQ(0, vl_write_file(THP_ENABLED, mode));
	TH_LOG("THP never (was %s), %s: %lld PMD faults, %lld 4 KiB faults",
	       mode, dax ? "DAX inode" : "no DAX inode",
	       (long long)delta(&c0, &c1, "huge_pmd_faults"), (long long)pte_faults(&c0, &c1));
	EXPECT_EQ(dax ? 1 : 0, delta(&c0, &c1, "huge_pmd_faults"));
	EXPECT_EQ(dax ? 0 : 1, pte_faults(&c0, &c1));
	free(saved);
	munmap(p, HPAGE);
	close(fd);
}

TEST(mprotect_readonly_and_back)
{
	char why[128];
	uint64_t heads[2];
	char *p;
	int fd;

	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	fd = huge_open(O_RDWR, -1);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	stamp(p, 2 * HPAGE, 0, false);
	check_huge_span(_metadata, p, 2 * PER_HPAGE, 0, heads, false);
	ASSERT_EQ(0, mprotect(p, 2 * HPAGE, PROT_READ));
	ASSERT_EQ(-1, unstamped(p, 2 * HPAGE, 0, false));
	ASSERT_EQ(0, mprotect(p, 2 * HPAGE, PROT_READ | PROT_WRITE));
	stamp(p, 2 * HPAGE, 0, true);
	ASSERT_EQ(-1, unstamped(p, 2 * HPAGE, 0, true));
	check_huge_span(_metadata, p, 2 * PER_HPAGE, 0, heads, true);
	munmap(p, 2 * HPAGE);
	close(fd);
}

/*
 * Threads fault the same 2 MiB pages while another zaps them, turns huge
 * pages off and on for the mapping and for the process, and resets the
 * soft-dirty bits: the data and the pages stay, and the kernel says nothing.
 */
struct storm {
	char *p;
	int fd;
	int stop;
	int bad;		/* pages found without their stamp */
	unsigned long ops;
};

static void *storm_faulter(void *arg)
{
	struct storm *st = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;

	while (!__atomic_load_n(&st->stop, __ATOMIC_RELAXED)) {
		size_t f = rand_r(&seed) % (2 * PER_HPAGE);
		uint32_t *w = (uint32_t *)(st->p + f * PS);

		if (__atomic_load_n(w, __ATOMIC_RELAXED) != STAMP(f))
			__atomic_add_fetch(&st->bad, 1, __ATOMIC_RELAXED);
		if (rand_r(&seed) & 1)
			__atomic_store_n(w, STAMP(f), __ATOMIC_RELAXED);
		__atomic_add_fetch(&st->ops, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *storm_adviser(void *arg)
{
	struct storm *st = arg;
	unsigned int seed = 7;

	while (!__atomic_load_n(&st->stop, __ATOMIC_RELAXED)) {
		size_t off = (rand_r(&seed) % (2 * PER_HPAGE)) * PS;

		switch (rand_r(&seed) % 6) {
		case 0:
			madvise(st->p + (off & ~(HPAGE - 1)), HPAGE, MADV_DONTNEED);
			break;
		case 1:
			madvise(st->p + (off & ~(16 * PS - 1)), 16 * PS, MADV_DONTNEED);
			break;
		case 2:
			madvise(st->p, 2 * HPAGE, MADV_NOHUGEPAGE);
			usleep(100);
			madvise(st->p, 2 * HPAGE, MADV_HUGEPAGE);
			break;
		case 3:
			prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
			usleep(100);
			prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
			break;
		case 4:
			vl_write_file("/proc/self/clear_refs", "4");
			break;
		default:
			madvise(st->p + (off & ~(16 * PS - 1)), 16 * PS, MADV_COLD);
			break;
		}
	}
	return NULL;
}

TEST(threads_fault_while_pages_are_zapped_and_advised)
{
	struct storm st = { 0 };
	pthread_t t[4];
	uint64_t heads[2];
	char why[128];
	int i;

	if (!pool_ok(2, why, sizeof(why)))
		SKIP(return, "%s", why);
	st.fd = huge_open(O_RDWR, -1);
	ASSERT_LE(0, st.fd);
	st.p = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, st.fd, 0);
	ASSERT_NE(MAP_FAILED, st.p);
	stamp(st.p, 2 * HPAGE, 0, false);
	check_huge_span(_metadata, st.p, 2 * PER_HPAGE, 0, heads, false);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, i ? storm_faulter : storm_adviser, &st));
	usleep(1500000);
	__atomic_store_n(&st.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	TH_LOG("%lu accesses", st.ops);
	ASSERT_EQ(0, st.bad);
	ASSERT_EQ(-1, unstamped(st.p, 2 * HPAGE, 0, false));
	check_huge_span(_metadata, st.p, 2 * PER_HPAGE, 0, heads, true);
	munmap(st.p, 2 * HPAGE);
	close(st.fd);
}

/* ---- a tiny pool and processes racing for it ---- */

FIXTURE(race)
{
	long long nr0;		/* vm.nr_hugepages before */
	bool shrunk;
};

FIXTURE_VARIANT(race)
{
	long long pool;		/* pool size during the race */
	int procs;
	size_t pages_each;	/* 2 MiB pages each process maps */
};

FIXTURE_VARIANT_ADD(race, pool_2_six_want_2) { .pool = 2, .procs = 6, .pages_each = 2 };
FIXTURE_VARIANT_ADD(race, pool_2_six_want_1) { .pool = 2, .procs = 6, .pages_each = 1 };
FIXTURE_VARIANT_ADD(race, pool_3_eight_want_2) { .pool = 3, .procs = 8, .pages_each = 2 };

static long long read_nr_hugepages(void)
{
	char *text = NULL;
	long long v = -1;

	if (!vl_read_text(NR_HUGEPAGES_PATH, &text))
		v = atoll(text);
	free(text);
	return v;
}

static int write_nr_hugepages(long long n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld\n", n);
	return vl_write_file(NR_HUGEPAGES_PATH, buf);
}

FIXTURE_SETUP(race)
{
	long long total = meminfo("HugePages_Total");
	/* The pages of earlier tests may still be on their way back. */
	long long free0 = hp_free_settled(total);

	self->shrunk = false;
	self->nr0 = read_nr_hugepages();
	if (self->nr0 < variant->pool)
		SKIP(return, "needs a pool of %lld pages, nr_hugepages is %lld",
		     variant->pool, self->nr0);
	if (total != free0 || meminfo("HugePages_Rsvd") || meminfo("HugePages_Surp"))
		SKIP(return, "huge pages in use: the pool cannot be shrunk");
	ASSERT_EQ(0, write_nr_hugepages(variant->pool));
	self->shrunk = true;
	ASSERT_EQ(variant->pool, meminfo("HugePages_Total"));
	ASSERT_EQ(variant->pool, hp_free());
}

FIXTURE_TEARDOWN_PARENT(race)
{
	if (!self->shrunk)
		return;
	/* Give back the pool the other tests expect. */
	hp_free_settled(variant->pool);
	write_nr_hugepages(self->nr0);
	if (meminfo("HugePages_Total") != self->nr0)
		write_nr_hugepages(self->nr0);
	EXPECT_EQ(self->nr0, meminfo("HugePages_Total"));
}

/* What the racers share. */
struct race_board {
	int held;	/* 2 MiB pages the winners hold now */
	int max_held;
};

/* A racer: open, select, wait for the start, map, prove it, let go. */
static void racer(int go, size_t pages, struct race_board *b)
{
	size_t len = pages * HPAGE;
	int fd = huge_open(O_RDWR, -1), held, max;
	char c, *p;

	if (fd < 0)
		_exit(10);
	while (read(go, &c, 1) > 0)
		;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(errno == ENOMEM ? 1 : 11);
	held = __atomic_add_fetch(&b->held, (int)pages, __ATOMIC_SEQ_CST);
	max = __atomic_load_n(&b->max_held, __ATOMIC_SEQ_CST);
	while (held > max &&
	       !__atomic_compare_exchange_n(&b->max_held, &max, held, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	stamp(p, len, 0, false);
	if (unstamped(p, len, 0, false) != -1 || !all_present(p, len / PS))
		_exit(12);
	usleep(20000);
	/* Before the pages can go back, so that no later winner overlaps us. */
	__atomic_sub_fetch(&b->held, (int)pages, __ATOMIC_SEQ_CST);
	munmap(p, len);
	close(fd);
	_exit(0);
}

TEST_F(race, all_or_enomem_and_nothing_leaks)
{
	struct race_board *b;
	long long v, lo, hi;
	int go[2], i, won = 0, refused = 0, status;
	uint64_t held0 = counter("huge_pages_held");
	uint64_t files0 = counter("huge_files_live");
	pid_t pids[16];

	ASSERT_LE(variant->procs, 16);
	b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, b);
	ASSERT_EQ(0, pipe(go));
	for (i = 0; i < variant->procs; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			close(go[1]);
			racer(go[0], variant->pages_each, b);
		}
	}
	close(go[0]);
	usleep(100000);
	close(go[1]);	/* go */
	lo = hp_free();
	hi = lo;
	for (i = 0; i < 300; i++) {
		v = hp_free();
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		usleep(1000);
	}
	for (i = 0; i < variant->procs; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_TRUE(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1) {
			TH_LOG("racer %d exited %d", i, WEXITSTATUS(status));
		}
		if (WEXITSTATUS(status))
			refused++;
		else
			won++;
	}
	TH_LOG("%d racers for %zu pages each, pool %lld: %d mapped, %d got ENOMEM",
	       variant->procs, variant->pages_each, variant->pool, won, refused);
	TH_LOG("at most %d pages held at once; HugePages_Free between %lld and %lld",
	       b->max_held, lo, hi);
	/* vmlab reserves for one mmap at a time: the first racer gets its pages. */
	ASSERT_LE(1, won);
	ASSERT_LE(b->max_held, variant->pool);
	ASSERT_LE(0, lo);
	ASSERT_LE(hi, variant->pool);
	ASSERT_EQ(variant->pool, hp_free_settled(variant->pool));
	ASSERT_EQ(variant->pool, meminfo("HugePages_Total"));
	ASSERT_EQ(held0, counter("huge_pages_held"));
	ASSERT_EQ(files0, counter("huge_files_live"));
	munmap(b, sizeof(*b));
}

TEST_HARNESS_MAIN
