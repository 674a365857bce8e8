// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab's tracepoints (vmlab_trace.h) are made here, with what their
 * records compute; nothing here runs unless an event is enabled.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>

#include "vmlab.h"

#define CREATE_TRACE_POINTS
#include "vmlab_trace.h"

/* The values vmlab_trace.h prints vm_fault_t bits by are the kernel's. */
#define VMLAB_VMF_CHECK(name) \
	static_assert((__force unsigned int)VM_FAULT_##name == VMLAB_VMF_##name)
VMLAB_VMF_CHECK(OOM);
VMLAB_VMF_CHECK(SIGBUS);
VMLAB_VMF_CHECK(MAJOR);
VMLAB_VMF_CHECK(HWPOISON);
VMLAB_VMF_CHECK(SIGSEGV);
VMLAB_VMF_CHECK(NOPAGE);
VMLAB_VMF_CHECK(LOCKED);
VMLAB_VMF_CHECK(RETRY);
VMLAB_VMF_CHECK(FALLBACK);
VMLAB_VMF_CHECK(DONE_COW);
VMLAB_VMF_CHECK(COMPLETED);

/**
 * vmlab_trace_misfit() - why a VMA cannot map the 2 MiB around a fault
 * with one PMD entry
 * @vma: the VMA
 *
 * Return: VMLAB_HUGE_MISALIGNED when its file offset is not 2 MiB-aligned
 * with its address (no 2 MiB of it can be), else VMLAB_HUGE_UNCOVERED.
 */
enum vmlab_huge_how vmlab_trace_misfit(const struct vm_area_struct *vma)
{
	if (!IS_ALIGNED((vma->vm_start >> PAGE_SHIFT) - vma->vm_pgoff, HPAGE_PMD_NR))
		return VMLAB_HUGE_MISALIGNED;
	return VMLAB_HUGE_UNCOVERED;
}

/**
 * vmlab_trace_present() - count the pages mapped in a ->map_pages range
 * @vmf: the fault, whose PMD covers the whole range (the core keeps the
 *	range of ->map_pages inside one page table)
 * @start_pgoff: first page of the range
 * @end_pgoff: last page of the range
 *
 * Reads the PMD once, then the entries of the table it points to, without
 * the page-table lock, as the kernel's lockless walkers do: under RCU,
 * which 6.12 takes around ->map_pages already and under which it frees
 * the tables that khugepaged retracts; on 6.1 the caller's mmap_lock keeps
 * the table.  A PMD that maps 2 MiB counts whole.  Exact when no other
 * thread maps or unmaps the range meanwhile.
 *
 * Return: the present entries of the range (HPAGE_PMD_NR for a PMD leaf).
 */
int vmlab_trace_present(const struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = vma->vm_start + ((start_pgoff - vma->vm_pgoff) << PAGE_SHIFT);
	unsigned long nr = end_pgoff - start_pgoff + 1;
	unsigned long i;
	pte_t *table;
	int n = 0;
	pmd_t pmd;

	if (WARN_ON_ONCE(pte_index(addr) + nr > PTRS_PER_PTE))
		nr = PTRS_PER_PTE - pte_index(addr);
	rcu_read_lock();
	pmd = READ_ONCE(*vmf->pmd);
	if (pmd_none(pmd) || !pmd_present(pmd))
		goto out;
	if (pmd_leaf(pmd)) {
		n = HPAGE_PMD_NR;
		goto out;
	}
	if (pmd_bad(pmd))
		goto out;
	/* x86-64 has no HIGHPTE: the table is in the direct map. */
	table = pte_offset_kernel(&pmd, addr);
	for (i = 0; i < nr; i++)
		if (pte_present(ptep_get(table + i)))
			n++;
out:
	rcu_read_unlock();
	return n;
}
