// SPDX-License-Identifier: GPL-2.0
/*
 * The documented differences between vmlab's mappings and their native
 * twins: the one list the fuzzer ignores differences by, printed by
 * `vmlab fuzz --differences` and checked against README.md by
 * scripts/check-differences.  Each entry says why.
 */
#include "fuzz.h"

#define K(k)	(1U << (k))
#define ANON_P	K(VL_FZ_PRIVATE_ANON)
#define ANON_S	K(VL_FZ_SHARED_ANON)
#define COW	K(VL_FZ_PRIVATE_COW)
#define SHARED	K(VL_FZ_SHARED)
#define HUGE	K(VL_FZ_HUGE)
#define ALL	(ANON_P | ANON_S | COW | SHARED | HUGE)

const struct vl_fz_diff vl_fz_diffs[] = {
	{ "merge", ALL, "*", "maps.vmas", false, false,
	  "vmlab's VMAs do not merge where the kernel merges the twin's: each anonymous mmap "
	  "maps an object of its own, a store mapping is redirected to the store's file after "
	  "the kernel tried to merge it with the device, and on 6.1 ->close forbids merging; "
	  "the mappings are compared as if merged" },
	{ "anon-pgoff", ANON_P, "*", "vma*.pgoff", false, false,
	  "a native private anonymous VMA's offset is its address in pages; vmlab's maps its "
	  "object from offset 0" },
	{ "anon-account", ANON_P, "*", "vma*.VmFlags", false, false,
	  "mprotect() drops VM_ACCOUNT ('ac') from an anonymous VMA made read-only before it "
	  "had an anon_vma; vmlab's private anonymous VMA is a file VMA and keeps it" },
	{ "anon-free", ANON_P, "madvise:free", "*", true, false,
	  "MADV_FREE is for anonymous VMAs only: EINVAL on vmlab's, which is a file VMA "
	  "holding anonymous pages" },
	{ "anon-wipeonfork", ANON_P, "madvise:wipeonfork", "*", true, false,
	  "MADV_WIPEONFORK is for private anonymous VMAs only: EINVAL on vmlab's, a file VMA" },
	{ "anon-remove", ANON_P, "madvise:remove", "errno", false, false,
	  "MADV_REMOVE of a private mapping: EINVAL when it has no file (native), EACCES "
	  "when it has one (vmlab's); neither removes anything" },
	{ "huge-vmflags", HUGE, "*", "vma*.VmFlags", false, false,
	  "the huge kind's VMAs are VM_MIXEDMAP ('mm') with VM_HUGEPAGE ('hg'), not "
	  "VM_HUGETLB ('ht')" },
	{ "huge-smaps", HUGE, "*", "vma*.*_Hugetlb", false, false,
	  "Shared_Hugetlb and Private_Hugetlb count hugetlb pages; the huge kind's pages are "
	  "not mapped as hugetlb pages, so they stay 0 (README, Differences from MAP_HUGETLB)" },
	{ "huge-mremap", HUGE, "mremap", "errno", false, false,
	  "growing a mapping fails on both: EINVAL for hugetlb, EFAULT for the huge kind's "
	  "VM_DONTEXPAND VMA" },
	{ "huge-mremap-dest", HUGE, "mremap", "maps.*|vma*|unit*", true, false,
	  "the huge kind's VM_DONTEXPAND VMA fails to grow late, after MREMAP_FIXED has "
	  "unmapped the destination; hugetlb fails before touching anything" },
	{ "huge-file", HUGE, "*", "unit*.file", false, false,
	  "the huge kind's 4 KiB entries (where a PMD does not fit, or after MADV_NOHUGEPAGE) "
	  "are special PFN entries without the file bit; its PMD entries and hugetlb's have it" },
	{ "huge-fork", HUGE, "fork", "*", true, false,
	  "fork copies the huge kind's page tables (VM_MIXEDMAP), where a shared hugetlb "
	  "mapping's are left for the child to fault in again" },
	{ "huge-softdirty", HUGE, "write|race|madvise:populate_write", "unit*.present|unit*.soft_dirty", true, false,
	  "after clear_refs a write to the huge kind splits the PMD and maps the written 4 KiB "
	  "alone, so that later writes are tracked; hugetlb is not write-protected for "
	  "soft-dirty and maps the whole 2 MiB page" },
	{ "huge-lru-advice", HUGE, "madvise:cold|madvise:pageout", "ret|errno", false, false,
	  "MADV_COLD and MADV_PAGEOUT fail with EINVAL on hugetlb VMAs; on the huge kind's "
	  "they succeed and do nothing (its pages are on no LRU)" },
	{ "huge-remove", HUGE, "madvise:remove", "*", true, false,
	  "MADV_REMOVE punches a hole in a hugetlbfs file; the huge kind refuses it (ENODEV)" },
	{ "huge-rss", HUGE, "*",
	  "vma*.Rss|vma*.Pss|vma*.Shared_*|vma*.Private_Clean|vma*.Private_Dirty|vma*.Referenced|"
	  "vma*.FilePmdMapped", false, false,
	  "smaps counts hugetlb pages in *_Hugetlb only; the huge kind's PMD-mapped pages count "
	  "in Rss and FilePmdMapped on 6.1 and nowhere on 6.12, whose PFN PMDs are special "
	  "(README, Differences from MAP_HUGETLB)" },
	{ "huge-exclusive", HUGE, "*", "unit*.exclusive", false, false,
	  "the huge kind maps PFN entries, which take no map count, so pagemap never sets "
	  "the exclusively-mapped bit (README, Differences from MAP_HUGETLB)" },
	{ "merge-consequence", ALL, "*", "*", true, true,
	  "while the VMA counts differ (entry merge), VMA boundaries decide what fork copies "
	  "(a VMA without anon_vma is refaulted in the child), the fault-around window, what "
	  "one mremap may span and which VMA a new mapping's soft-dirty flag covers: any "
	  "difference then is taken as a consequence of the merge, and the worlds part there" },
};

const size_t vl_fz_ndiffs = sizeof(vl_fz_diffs) / sizeof(vl_fz_diffs[0]);
