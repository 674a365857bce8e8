// SPDX-License-Identifier: GPL-2.0
/*
 * The documented differences between vmlab's mappings and their native
 * twins: the one list the fuzzer ignores differences by, printed by
 * `vmlab fuzz --differences` and checked against README.md by
 * scripts/check-differences.  Each entry says why, in lines ending in '\n'
 * that the printers join with spaces.
 */
#include "fuzz.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define K(k)	(1U << (k))
#define ANON_P	K(VL_FZ_PRIVATE_ANON)
#define ANON_S	K(VL_FZ_SHARED_ANON)
#define COW	K(VL_FZ_PRIVATE_COW)
#define SHARED	K(VL_FZ_SHARED)
#define HUGE	K(VL_FZ_HUGE)
#define ALL	(ANON_P | ANON_S | COW | SHARED | HUGE)

const struct vl_fz_diff vl_fz_diffs[] = {
	{
		.id = "merge",
		.kinds = ALL,
		.op = "*",
		.field = "maps.vmas",
		.reason = "vmlab's VMAs do not merge where the kernel merges the twin's:\n"
			  "each anonymous mmap maps an object of its own, a store mapping\n"
			  "is redirected to the store's file after the kernel tried to\n"
			  "merge it with the device, and on 6.1 ->close forbids merging;\n"
			  "the mappings are compared as if merged",
	},
	{
		.id = "anon-pgoff",
		.kinds = ANON_P,
		.op = "*",
		.field = "vma*.pgoff",
		.reason = "maps shows offset 0 for every anonymous VMA; vmlab's private\n"
			  "anonymous VMA is a file VMA and shows its offset in its object,\n"
			  "not 0 after a split or a move",
	},
	{
		.id = "anon-account",
		.kinds = ANON_P,
		.op = "*",
		.field = "vma*.VmFlags",
		.reason = "mprotect() drops VM_ACCOUNT ('ac') from an anonymous VMA made\n"
			  "read-only before it had an anon_vma; vmlab's private anonymous\n"
			  "VMA is a file VMA and keeps it",
	},
	{
		.id = "anon-free",
		.kinds = ANON_P,
		.op = "madvise:free",
		.field = "*",
		.stop = true,
		.reason = "MADV_FREE is for anonymous VMAs only: EINVAL on vmlab's, which\n"
			  "is a file VMA holding anonymous pages",
	},
	{
		.id = "anon-wipeonfork",
		.kinds = ANON_P,
		.op = "madvise:wipeonfork",
		.field = "*",
		.stop = true,
		.reason = "MADV_WIPEONFORK is for private anonymous VMAs only: EINVAL on\n"
			  "vmlab's, a file VMA",
	},
	{
		.id = "anon-remove",
		.kinds = ANON_P,
		.op = "madvise:remove",
		.field = "errno",
		.reason = "MADV_REMOVE of a private mapping: EINVAL when it has no file\n"
			  "(native), EACCES when it has one (vmlab's); neither removes\n"
			  "anything",
	},
	{
		.id = "huge-vmflags",
		.kinds = HUGE,
		.op = "*",
		.field = "vma*.VmFlags",
		.reason = "the huge kind's VMAs are VM_MIXEDMAP ('mm') with VM_HUGEPAGE\n"
			  "('hg'), not VM_HUGETLB ('ht')",
	},
	{
		.id = "huge-smaps",
		.kinds = HUGE,
		.op = "*",
		.field = "vma*.*_Hugetlb",
		.reason = "Shared_Hugetlb and Private_Hugetlb count hugetlb pages; the huge\n"
			  "kind's pages are not mapped as hugetlb pages, so they stay 0\n"
			  "(README, Differences from MAP_HUGETLB)",
	},
	{
		.id = "huge-mremap",
		.kinds = HUGE,
		.op = "mremap",
		.field = "errno",
		.reason = "growing a mapping fails on both: EINVAL for hugetlb, EFAULT for\n"
			  "the huge kind's VM_DONTEXPAND VMA",
	},
	{
		.id = "huge-mremap-dest",
		.kinds = HUGE,
		.op = "mremap",
		.field = "maps.*|vma*|unit*",
		.stop = true,
		.reason = "the huge kind's VM_DONTEXPAND VMA fails to grow late, after\n"
			  "MREMAP_FIXED has unmapped the destination; hugetlb fails before\n"
			  "touching anything",
	},
	{
		.id = "huge-placement-6.1",
		.kinds = HUGE,
		.op = "mmap",
		.field = "ret",
		.stop = true,
		.release = "6.1.*",
		.reason = "with its hint occupied, the huge kind is placed by\n"
			  "thp_get_unmapped_area(), which before 6.8 takes the lowest\n"
			  "2 MiB-aligned start of the gap it finds top-down, where hugetlbfs\n"
			  "takes the highest",
	},
	{
		.id = "huge-rt-4k",
		.kinds = HUGE,
		.op = "*",
		.field = "*.present|*.incore|*.page|*.file|*.huge|*.soft_dirty|*.mlocked|*.readab*",
		.release = "*-rt*",
		.reason = "a kernel without THP (Debian's PREEMPT_RT) maps no PMD, so the\n"
			  "huge kind maps its 2 MiB pages with 4 KiB entries, each at its\n"
			  "first touch, where hugetlb maps the whole page at once: which 4\n"
			  "KiB of a huge page are mapped differs",
	},
	{
		.id = "huge-file",
		.kinds = HUGE,
		.op = "*",
		.field = "unit*.file",
		.reason = "the huge kind's 4 KiB entries (where a PMD does not fit, or\n"
			  "after MADV_NOHUGEPAGE) are special PFN entries without the file\n"
			  "bit; its PMD entries and hugetlb's have it",
	},
	{
		.id = "huge-incore-hole",
		.kinds = HUGE,
		.op = "*",
		.field = "unit*.incore",
		.reason = "mincore(2) of a hugetlb page the process has not mapped, where\n"
			  "no PMD table of the process covers it, reports the hugetlbfs\n"
			  "file's page cache (a page a fork child wrote counts); the huge\n"
			  "kind's file has no page cache, so its page counts only where\n"
			  "mapped.  Which applies depends on where the mapping lies",
	},
	{
		.id = "huge-fork",
		.kinds = HUGE,
		.op = "fork",
		.field = "*",
		.stop = true,
		.reason = "fork copies the huge kind's page tables (VM_MIXEDMAP), where a\n"
			  "shared hugetlb mapping's are left for the child to fault in\n"
			  "again",
	},
	{
		.id = "huge-softdirty",
		.kinds = HUGE,
		.op = "write|race|madvise:populate_write",
		.field = "unit*.present|unit*.soft_dirty",
		.stop = true,
		.reason = "after clear_refs a write to the huge kind splits the PMD and\n"
			  "maps the written 4 KiB alone, so that later writes are tracked;\n"
			  "hugetlb is not write-protected for soft-dirty and maps the whole\n"
			  "2 MiB page",
	},
	{
		.id = "huge-lru-advice",
		.kinds = HUGE,
		.op = "madvise:cold|madvise:pageout",
		.field = "ret|errno",
		.reason = "MADV_COLD and MADV_PAGEOUT fail with EINVAL on hugetlb VMAs; on\n"
			  "the huge kind's they succeed and do nothing (its pages are on no\n"
			  "LRU)",
	},
	{
		.id = "huge-remove",
		.kinds = HUGE,
		.op = "madvise:remove",
		.field = "*",
		.stop = true,
		.reason = "MADV_REMOVE punches a hole in a hugetlbfs file; the huge kind\n"
			  "refuses it (ENODEV)",
	},
	{
		.id = "huge-rss",
		.kinds = HUGE,
		.op = "*",
		.field = "*.Rss|*.Pss|*.Shared_*|*.Private_*|*.Referenced|*.FilePmdMapped",
		.reason = "smaps counts hugetlb pages in *_Hugetlb only; the huge kind's\n"
			  "PMD-mapped pages count in Rss and FilePmdMapped on 6.1 and\n"
			  "nowhere on 6.12, whose PFN PMDs are special (README, Differences\n"
			  "from MAP_HUGETLB)",
	},
	{
		.id = "huge-exclusive",
		.kinds = HUGE,
		.op = "*",
		.field = "unit*.exclusive",
		.reason = "the huge kind maps PFN entries, which take no map count, so\n"
			  "pagemap never sets the exclusively-mapped bit (README,\n"
			  "Differences from MAP_HUGETLB)",
	},
	{
		.id = "merge-consequence",
		.kinds = ALL,
		.op = "*",
		.field = "*",
		.stop = true,
		.merged = true,
		.reason = "once the VMA counts have differed (entry merge), VMA boundaries\n"
			  "decide what fork copies (a VMA without anon_vma is refaulted in\n"
			  "the child, and a VMA split from one the twin merged keeps its\n"
			  "anon_vma), the fault-around window, what one mremap may span and\n"
			  "which VMA a new mapping's soft-dirty flag covers: any difference\n"
			  "after that is taken as a consequence, and the worlds part there",
	},
};

const size_t vl_fz_ndiffs = ARRAY_SIZE(vl_fz_diffs);
