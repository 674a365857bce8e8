/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab tool: what a range of a process's pages is, from pagemap and
 * kpageflags, and how they group into runs.
 */
#ifndef _VMLAB_TOOL_PAGES_H
#define _VMLAB_TOOL_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"
#include "smaps.h"

/**
 * enum page_kind - what backs a page, in one word
 * @PK_NONE: not present, not swapped
 * @PK_SWAP: swapped out
 * @PK_UNKNOWN: present, but PFNs or kpageflags are hidden
 * @PK_ZERO: the shared zero page (or huge zero page)
 * @PK_ANON: an anonymous page
 * @PK_KSM: a KSM-merged page
 * @PK_PAGECACHE: a page-cache page of a file that is not tmpfs/shmem
 *	(vmlab's store pages are these)
 * @PK_SHMEM: a tmpfs/shmem page (swap-backed, not anonymous; vmlab's shared
 *	anonymous objects are these)
 * @PK_HUGETLB: a page of a hugetlb huge page
 * @PK_THP: a page of a transparent huge page
 * @PK_OTHER: anything else (no struct page, reserved, ...)
 * @PK_NR: number of kinds; not a kind
 */
enum page_kind {
	PK_NONE,
	PK_SWAP,
	PK_UNKNOWN,
	PK_ZERO,
	PK_ANON,
	PK_KSM,
	PK_PAGECACHE,
	PK_SHMEM,
	PK_HUGETLB,
	PK_THP,
	PK_OTHER,
	PK_NR
};

/**
 * enum map_level - which page-table level maps a page
 * @MAP_NONE: not mapped
 * @MAP_PTE: a 4 KiB entry
 * @MAP_PMD: a 2 MiB entry
 * @MAP_PUD: a 1 GiB entry
 * @MAP_UNKNOWN: a huge page whose entry level could not be told
 */
enum map_level {
	MAP_NONE,
	MAP_PTE,
	MAP_PMD,
	MAP_PUD,
	MAP_UNKNOWN,
};

/**
 * struct page_fact - one page of a process
 * @addr: its virtual address
 * @raw: the pagemap entry
 * @present: present in RAM
 * @swapped: in swap
 * @exclusive: mapped exactly once
 * @file: a file page or shared anonymous page (pagemap bit 61)
 * @soft_dirty: soft-dirty
 * @pfn_known: @pfn is real (present, and PFNs are visible)
 * @pfn: the page frame number, when @pfn_known
 * @kpf_known: @kpf was read
 * @kpf: its /proc/kpageflags word
 * @kind: what backs it
 * @level: which page-table level maps it
 */
struct page_fact {
	unsigned long addr;
	uint64_t raw;
	bool present, swapped, exclusive, file, soft_dirty;
	bool pfn_known;
	uint64_t pfn;
	bool kpf_known;
	uint64_t kpf;
	enum page_kind kind;
	enum map_level level;
};

/**
 * struct pages_reader - open pagemap and kpageflags files
 * @pid: the process, 0 for this one
 * @pm_fd: its pagemap
 * @kpf_fd: /proc/kpageflags, or -1 when it cannot be read
 * @pfns: pagemap shows PFNs
 */
struct pages_reader {
	pid_t pid;
	int pm_fd;
	int kpf_fd;
	bool pfns;
};

/* pages_open() - open the files for process @pid (0: this one); 0 or -errno. */
int pages_open(struct pages_reader *r, pid_t pid);

/* pages_close() - close them. */
void pages_close(struct pages_reader *r);

/**
 * pages_read() - read @n pages from @addr
 * @r: the reader
 * @addr: first address (page-aligned)
 * @n: pages
 * @out: receives @n facts; @level is MAP_PTE for present pages that are
 *	not part of a huge page, MAP_UNKNOWN for those that are (see
 *	pages_levels())
 *
 * Return: 0, or -errno.
 */
int pages_read(struct pages_reader *r, unsigned long addr, size_t n, struct page_fact *out);

/**
 * pages_levels() - tell which huge pages are mapped by a PMD (or PUD)
 * @r: the reader
 * @f: facts from pages_read() of [@f[0].addr, + @n pages)
 * @n: their number
 * @vma: the smaps entry of the VMA that holds them, or NULL
 *
 * Where the kernel has PAGEMAP_SCAN (6.7 and later), the huge ranges it
 * reports decide; else a hugetlb VMA's pages are PMD-mapped (PUD for
 * 1 GiB pages: smaps' KernelPageSize says which), and a whole, aligned
 * compound huge page in a VMA with PMD-mapped memory (smaps'
 * AnonHugePages, ShmemPmdMapped, FilePmdMapped) is; what is left stays
 * MAP_UNKNOWN.
 */
void pages_levels(struct pages_reader *r, struct page_fact *f, size_t n,
		  const struct vl_smaps *vma);

/**
 * pages_own_pfns() - the PFNs of pages this process maps
 * @addr: first address
 * @n: pages
 * @pfns: receives each page's PFN, 0 when not present or hidden
 *
 * Return: 0, or -errno.
 */
int pages_own_pfns(const void *addr, size_t n, uint64_t *pfns);

/*
 * pages_kpf_json() - the members "kpageflags" (names) and "kpageflags_raw"
 * of @f, or null for both when its kpageflags are not known.
 */
void pages_kpf_json(struct vl_jw *w, const struct page_fact *f);

/*
 * pages_ksm_flag_unreliable() - whether kpageflags sets ksm on every
 * anonymous page, as 6.12's stable_page_flags() does (it tests
 * mapping & PAGE_MAPPING_KSM, which the anon bit alone satisfies); the
 * kind of such pages is then anon, not ksm.  Found out once, from a page
 * of this process's own.
 */
bool pages_ksm_flag_unreliable(void);

/* page_kind_name() - "none", "swap", "unknown", "zero", "anon", ..., "thp", "other". */
const char *page_kind_name(enum page_kind k);

/* map_level_name() - "none", "pte", "pmd", "pud", "unknown". */
const char *map_level_name(enum map_level l);

/* page_flags_str() - "PEFS", '-' for each of present/exclusive/file/soft-dirty that is clear. */
void page_flags_str(const struct page_fact *f, char buf[5]);

/*
 * pages_continue_run() - whether @b, the page after @a, belongs to @a's run:
 * the same pagemap flags, kind, level and kpageflags, and the next PFN.
 */
bool pages_continue_run(const struct page_fact *a, const struct page_fact *b);

#endif /* _VMLAB_TOOL_PAGES_H */
