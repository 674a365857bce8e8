/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API differences between the kernels vmlab builds for (6.1 and
 * 6.12, and 6.12 without THP), each with the release that changed it.  No other file of vmlab
 * tests LINUX_VERSION_CODE.
 */
#ifndef _VMLAB_COMPAT_H
#define _VMLAB_COMPAT_H

#include <linux/err.h>
#include <linux/huge_mm.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/version.h>

/*
 * vmlab is verified on 6.1 to 6.12: VMLAB_FIRST_VERIFIED is the oldest
 * release it builds for, VMLAB_FIRST_UNVERIFIED the first it refuses.
 * module/dkms.conf reads these two lines, so that DKMS refuses the same
 * kernels before building.
 */
#define VMLAB_FIRST_VERIFIED	KERNEL_VERSION(6, 1, 0)
#define VMLAB_FIRST_UNVERIFIED	KERNEL_VERSION(6, 13, 0)

/*
 * 6.12 is the last release vmlab is verified on.  The huge kind maps
 * hugetlb folios with PFN entries in VM_MIXEDMAP VMAs and relies on how the
 * core counts references of what such entries (and, before 6.7, DAX VMAs)
 * map; 6.15's rework of DAX page references changes those counts, and a
 * mapping that works on 6.12 could underflow a folio's count at munmap.
 * A newer kernel must be checked against every hazard of the fault
 * handlers before it is added here; until then the build stops.
 */
#if LINUX_VERSION_CODE >= VMLAB_FIRST_UNVERIFIED || LINUX_VERSION_CODE < VMLAB_FIRST_VERIFIED
#error "vmlab is verified on Linux 6.1 to 6.12 only: see the reason above this line"
#endif

/*
 * vmlab_folio_or_null() - what a page-cache lookup found: the folio, or NULL.
 * 6.4 made __filemap_get_folio() return ERR_PTR(-ENOENT) instead of NULL.
 */
static inline struct folio *vmlab_folio_or_null(struct folio *folio)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	if (IS_ERR(folio))
		return NULL;
#endif
	return folio;
}

/* vmlab_lock_folio() - the locked folio at @index of @mapping, with a reference, or NULL. */
static inline struct folio *vmlab_lock_folio(struct address_space *mapping, pgoff_t index)
{
	return vmlab_folio_or_null(filemap_lock_folio(mapping, index));
}

/* vmlab_get_folio() - the folio at @index of @mapping, with a reference, or NULL. */
static inline struct folio *vmlab_get_folio(struct address_space *mapping, pgoff_t index)
{
	return vmlab_folio_or_null(filemap_get_folio(mapping, index));
}

/*
 * VMLAB_WRITEPAGE_ARG - the type write_cache_pages() hands its callback,
 * and vmlab_writepage_folio() - the folio of it.
 * 6.3 made writepage_t take a folio instead of a page.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define VMLAB_WRITEPAGE_ARG struct folio

static inline struct folio *vmlab_writepage_folio(struct folio *folio)
{
	return folio;
}
#else
#define VMLAB_WRITEPAGE_ARG struct page

static inline struct folio *vmlab_writepage_folio(struct page *page)
{
	return page_folio(page);
}
#endif

/*
 * vmlab_default_unmapped_area() - the mm's own placement of a new mapping.
 * 6.10 replaced mm->get_unmapped_area by mm_get_unmapped_area().
 */
static inline unsigned long vmlab_default_unmapped_area(struct file *file, unsigned long addr,
							unsigned long len, unsigned long pgoff,
							unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	return mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags);
#else
	return current->mm->get_unmapped_area(file, addr, len, pgoff, flags);
#endif
}

/*
 * vmlab_hugetlb_index() - the page-cache index of huge page @n of a
 * hugetlbfs file of 2 MiB pages.
 * 6.7 indexes hugetlb page caches in base pages, like every other page
 * cache; before, in huge pages.
 */
static inline pgoff_t vmlab_hugetlb_index(pgoff_t n)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	return n << HPAGE_PMD_ORDER;
#else
	return n;
#endif
}

/*
 * vmlab_vm_flags_set() and vmlab_vm_flags_clear() - change the flags of a
 * VMA that ->mmap is setting up (mmap_lock held for writing).
 * 6.3 made vm_flags read-only and added vm_flags_set()/vm_flags_clear().
 */
static inline void vmlab_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void vmlab_vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * vmlab_pe_size_t and vmlab_huge_fault_order() - the type of the second
 * argument of ->huge_fault, and the order of the entry it asks for:
 * HPAGE_PMD_ORDER for a PMD, PUD_SHIFT - PAGE_SHIFT for a PUD.
 * 6.6 made ->huge_fault take that order instead of an enum page_entry_size.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define vmlab_pe_size_t unsigned int

static inline unsigned int vmlab_huge_fault_order(unsigned int order)
{
	return order;
}
#else
#define vmlab_pe_size_t enum page_entry_size

static inline unsigned int vmlab_huge_fault_order(enum page_entry_size pe_size)
{
	if (pe_size == PE_SIZE_PMD)
		return HPAGE_PMD_ORDER;
	return pe_size == PE_SIZE_PUD ? PUD_SHIFT - PAGE_SHIFT : 0;
}
#endif

/*
 * vmlab_huge_needs_dax() - whether a huge-kind VMA must map an S_DAX inode
 * for the core to call its ->huge_fault.
 * Before 6.7 the fault path's THP check (hugepage_vma_check() on 6.1)
 * offered a PMD fault to a VM_MIXEDMAP VMA of a file only when
 * vma_is_dax().  6.7 (7a81751fcdeb, "mm/thp: fix "mm: thp: kill
 * __transhuge_page_enabled()"") trusts every VMA with a ->huge_fault in the
 * fault path: 6.12's __thp_vma_allowable_orders() grants it the PMD order
 * (vma_can_map_huge_file()), and create_huge_pmd() calls ->huge_fault.
 * S_DAX is not free: the core then takes the mapped folios for DAX ones,
 * which hugetlb folios are not (on 6.1 vmlab's reference keeps them out of
 * the THP code), so it is set only where it is needed.
 */
static inline bool vmlab_huge_needs_dax(void)
{
	return LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0);
}

/*
 * vmlab_shmem_kernel_file() - an unlinked tmpfs file for the kernel's own
 * use (S_PRIVATE: no LSM check of those who reach it through vmlab, whose
 * own device permissions decide), as /dev/zero's shared mappings get.
 * shmem_kernel_file_setup() is exported by 6.12, not by 6.1 (Debian's
 * Module.symvers of both): there the file is a user one, which LSMs that
 * label tmpfs inodes (SELinux, Smack) check.
 */
static inline struct file *vmlab_shmem_kernel_file(const char *name, loff_t size,
						   unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	return shmem_kernel_file_setup(name, size, flags);
#else
	return shmem_file_setup(name, size, flags);
#endif
}

/*
 * vmlab_vma_locked() - whether a handler runs under the per-VMA lock alone,
 * without mmap_lock.  6.4 added the per-VMA lock and FAULT_FLAG_VMA_LOCK.
 */
static inline bool vmlab_vma_locked(const struct vm_fault *vmf)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	return vmf->flags & FAULT_FLAG_VMA_LOCK;
#else
	return false;
#endif
}

/*
 * VMLAB_MAP_NOTHING - ->map_pages of mappings that have nothing to map
 * around a fault.  Since 6.7 the core handles faults of file VMAs under
 * the per-VMA lock (CONFIG_PER_VMA_LOCK, 6.4) without mmap_lock, but calls
 * ->fault (and ->page_mkwrite, ->pfn_mkwrite) that way only for VMAs that
 * have a ->map_pages (vmf_can_call_fault()); without one those faults are
 * retried under mmap_lock.  Without the per-VMA lock (6.1) ->map_pages
 * would only cost a call per read fault, so there is none.
 */
#ifdef CONFIG_PER_VMA_LOCK
#define VMLAB_MAP_NOTHING vmlab_map_nothing
#else
#define VMLAB_MAP_NOTHING NULL
#endif

/*
 * VMLAB_HAVE_PMD_MAPS - whether the kernel maps file pages with PMD entries.
 * Not a release but a configuration: without CONFIG_TRANSPARENT_HUGEPAGE
 * (Debian's PREEMPT_RT 6.12, where THP depends on !PREEMPT_RT) the core
 * never calls ->huge_fault, vmf_insert_pfn_pmd() is declared but not built,
 * and thp_get_unmapped_area is NULL.  The huge kind then maps its pool
 * pages with 4 KiB entries only.
 */
#define VMLAB_HAVE_PMD_MAPS IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE)

/* vmlab_insert_pfn_pmd() - vmf_insert_pfn_pmd(), where the kernel has it. */
static inline vm_fault_t vmlab_insert_pfn_pmd(struct vm_fault *vmf, pfn_t pfn, bool write)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	return vmf_insert_pfn_pmd(vmf, pfn, write);
#else
	return VM_FAULT_FALLBACK;
#endif
}

/*
 * vmlab_thp_unmapped_area() - thp_get_unmapped_area(), where the kernel has
 * it; without THP no placement can give a PMD, and the default one does.
 */
static inline unsigned long vmlab_thp_unmapped_area(struct file *file, unsigned long addr,
						    unsigned long len, unsigned long pgoff,
						    unsigned long flags)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	return thp_get_unmapped_area(file, addr, len, pgoff, flags);
#else
	return vmlab_default_unmapped_area(file, addr, len, pgoff, flags);
#endif
}

/*
 * vmlab_vma_pmd_suitable() - could @vma map the aligned 2 MiB around @addr
 * with one PMD (it covers it, and file offset and address agree modulo
 * 2 MiB)?  6.8 renamed transhuge_vma_suitable() thp_vma_suitable_order().
 */
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
static inline bool vmlab_vma_pmd_suitable(struct vm_area_struct *vma, unsigned long addr)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	return thp_vma_suitable_order(vma, addr, HPAGE_PMD_ORDER);
#else
	return transhuge_vma_suitable(vma, addr);
#endif
}
#endif

#endif /* _VMLAB_COMPAT_H */
