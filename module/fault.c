// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab's fault handlers for the store and anonymous kinds.
 *
 * Store and shared anonymous pages live in a page cache: ->fault hands the
 * core a locked page of it and the core installs the entry, as for any
 * file.  With a backing file the store's page cache is vmlab's own
 * (store.c), read and written back as a filesystem's is, so its ->fault is
 * the core's filemap_fault() behind vmlab's checks: read-around, a major
 * fault when a page had to be read, mmap_lock dropped while it is.  A
 * shared anonymous object's pages, and the store's without a backing file,
 * are tmpfs's, found or made (or read back from swap) by tmpfs's own
 * ->fault, huge or not as its policy gives them for this VMA (thp.c).  For
 * MAP_PRIVATE the core copies the page on the first write, so private
 * mappings of the store get their copies exactly as private mappings of a
 * file do.  A private anonymous mapping has no object: a read maps the
 * shared zero page read-only, and a first write hands the core a zeroed
 * page to copy into the anonymous page it made for the fault: one fault
 * and one new page, as do_anonymous_page() takes.
 *
 * On 6.12 the handlers may run under the per-VMA lock alone, without
 * mmap_lock: nothing here relies on mmap_lock.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/shmem_fs.h>
#include <linux/vmstat.h>

#include "compat.h"
#include "vmlab.h"
#include "vmlab_trace.h"

/*
 * Zeroed pages, one per possible CPU, never mapped and never written: the
 * source the core copies a private anonymous page's first write from.  Set
 * at load, read-only until unload.  Each is unmovable: it keeps its memory
 * block from being offlined while vmlab is loaded.  (Not
 * DEFINE_PER_CPU_READ_MOSTLY: a module's loader makes per-CPU copies of
 * its .data..percpu section only, and a read-mostly variable lies in a
 * section of its own.)
 */
static DEFINE_PER_CPU(struct page *, vmlab_zero_src);

/**
 * vmlab_fault_init() - allocate the zeroed source pages, at load
 *
 * Return: 0, or -ENOMEM.
 */
int __init vmlab_fault_init(void)
{
	struct page *page;
	int cpu;

	if (vmlab_inject(VMLAB_INJECT_ZERO_SOURCES))
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_mem(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!page)
			goto err_free;
		per_cpu(vmlab_zero_src, cpu) = page;
	}
	return 0;

err_free:
	vmlab_fault_exit();
	return -ENOMEM;
}

/**
 * vmlab_fault_exit() - free the zeroed source pages, at unload
 */
void vmlab_fault_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmlab_zero_src, cpu))
			__free_page(per_cpu(vmlab_zero_src, cpu));
		per_cpu(vmlab_zero_src, cpu) = NULL;
	}
}

/**
 * vmlab_count_fault() - count a ->fault call: per type, read or write,
 * under the per-VMA lock or not
 * @vmf: the fault
 * @type: what the VMA maps
 */
void vmlab_count_fault(struct vm_fault *vmf, enum vmlab_type type)
{
	bool write = vmf->flags & FAULT_FLAG_WRITE;

	vmlab_count((write ? VMLAB_CNT_FAULTS_WRITE : VMLAB_CNT_FAULTS_READ) + type);
	if (vmlab_vma_locked(vmf))
		vmlab_count(VMLAB_CNT_FAULTS_VMA_LOCKED);
}

/**
 * vmlab_shared_anon_fault() - ->fault of shared anonymous mappings
 * @vmf: the fault
 *
 * Return: VM_FAULT_LOCKED with vmf->page set to the object's page at
 * vmf->pgoff, and VM_FAULT_MAJOR when it came back from swap; or
 * VM_FAULT_SIGBUS beyond the end of the object; VM_FAULT_OOM or
 * VM_FAULT_SIGBUS when shmem cannot make or read the page.
 */
vm_fault_t vmlab_shared_anon_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vmlab_object *obj = vma->vm_file->private_data;
	vm_fault_t ret;

	vmlab_count_fault(vmf, VMLAB_SHARED_ANON);
	if (vmf->pgoff >= obj->nr_pages) {
		vmlab_count(VMLAB_CNT_SIGBUS);
		ret = VM_FAULT_SIGBUS;
	} else {
		ret = vmlab_tmpfs_fault(vmf);
	}
	trace_vmlab_fault(vmf, ret);
	return ret;
}

/**
 * vmlab_store_fault() - ->fault of the store's mappings, shared and private
 * @vmf: the fault
 *
 * With a backing file the store's page cache is vmlab's own, and this is
 * filemap_fault() behind vmlab's checks; without one the store is a tmpfs
 * file, whose page shmem finds or makes, as for a shared anonymous object.
 * A write to a private mapping gets a copy of the page from the core.
 *
 * Return: VM_FAULT_LOCKED with vmf->page set to the store's page at
 * vmf->pgoff, and VM_FAULT_MAJOR when it had to be read (or came back
 * from swap); VM_FAULT_RETRY when filemap_fault() dropped mmap_lock for
 * the read; VM_FAULT_SIGBUS beyond the end of the store or when its page
 * cannot be read; VM_FAULT_OOM when shmem cannot make it.
 */
vm_fault_t vmlab_store_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	bool cow = (vmf->flags & FAULT_FLAG_WRITE) && !(vma->vm_flags & VM_SHARED);
	vm_fault_t ret;

	vmlab_count_fault(vmf, vma->vm_flags & VM_MAYSHARE ? VMLAB_SHARED : VMLAB_PRIVATE_COW);
	if (vmf->pgoff >= vmlab_store->nr_pages) {
		vmlab_count(VMLAB_CNT_SIGBUS);
		trace_vmlab_fault(vmf, VM_FAULT_SIGBUS);
		return VM_FAULT_SIGBUS;
	}
	if (vmlab_store_has_backing()) {
		ret = vmlab_store_thp_fault(vmf);
		ret |= filemap_fault(vmf);
	} else {
		ret = vmlab_tmpfs_fault(vmf);
	}
	/* do_cow_fault() copies this page into the private mapping's own. */
	if (cow && (ret & VM_FAULT_LOCKED))
		vmlab_count(VMLAB_CNT_COW_SOURCES);
	trace_vmlab_fault(vmf, ret);
	return ret;
}

/**
 * vmlab_object_map_pages() - ->map_pages of store and shared anonymous mappings
 * @vmf: the fault
 * @start_pgoff: first page to map around the fault
 * @end_pgoff: last page to map around the fault
 *
 * Maps the pages of the object that are already in memory, read-only, like
 * every page-cache filesystem.  Runs under RCU on 6.12: counts and calls
 * filemap_map_pages(), nothing that sleeps.  With the vmlab_map_pages
 * event enabled, counts the range's present entries before and after.
 *
 * Return: what filemap_map_pages() returns.
 */
vm_fault_t vmlab_object_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff)
{
	bool traced = trace_vmlab_map_pages_enabled();
	int before = 0;
	vm_fault_t ret;

	vmlab_count(VMLAB_CNT_MAP_PAGES + vmlab_vma_type(vmf->vma));
	if (traced)
		before = vmlab_trace_present(vmf, start_pgoff, end_pgoff);
	ret = filemap_map_pages(vmf, start_pgoff, end_pgoff);
	if (traced)
		trace_vmlab_map_pages(vmf, start_pgoff, end_pgoff,
				      vmlab_trace_present(vmf, start_pgoff, end_pgoff) - before,
				      ret);
	return ret;
}

/**
 * vmlab_page_mkwrite() - ->page_mkwrite of shared mappings of the store
 * with a backing file
 * @vmf: the write fault on a present, write-protected page
 *
 * Marks the page dirty: write-back will write it and write-protect it
 * again.  The core then holds the writer to the dirty limits.
 *
 * Return: VM_FAULT_LOCKED with the page locked and dirty, or VM_FAULT_NOPAGE
 * when the page left the store meanwhile (the fault is then retried).
 */
vm_fault_t vmlab_page_mkwrite(struct vm_fault *vmf)
{
	struct folio *folio = page_folio(vmf->page);
	bool dirtied;

	vmlab_count(VMLAB_CNT_PAGE_MKWRITE);
	folio_lock(folio);
	if (folio->mapping != vmf->vma->vm_file->f_mapping) {
		folio_unlock(folio);
		trace_vmlab_page_mkwrite(vmf, VM_FAULT_NOPAGE, false);
		return VM_FAULT_NOPAGE;
	}
	dirtied = folio_mark_dirty(folio);
	if (dirtied)
		vmlab_count_add(VMLAB_CNT_PAGES_DIRTIED, folio_nr_pages(folio));
	folio_wait_stable(folio);
	trace_vmlab_page_mkwrite(vmf, VM_FAULT_LOCKED, dirtied);
	return VM_FAULT_LOCKED;
}

/**
 * vmlab_map_nothing() - ->map_pages of mappings with nothing to map around
 * @vmf: the fault
 * @start_pgoff: first page to map around the fault
 * @end_pgoff: last page to map around the fault
 *
 * Private anonymous and huge mappings have no page cache to map around a
 * fault, as native anonymous and hugetlb mappings have none; but on
 * kernels with the per-VMA lock the core calls ->fault under that lock
 * only for VMAs with a ->map_pages (see VMLAB_MAP_NOTHING in compat.h).
 *
 * Return: 0, nothing mapped.
 */
vm_fault_t vmlab_map_nothing(struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff)
{
	trace_vmlab_map_pages(vmf, start_pgoff, end_pgoff, 0, 0);
	return 0;
}

/**
 * vmlab_private_anon_fault() - ->fault of private anonymous mappings
 * @vmf: the fault on a page with no entry
 *
 * A read installs the shared zero page read-only, the entry
 * do_anonymous_page() makes for a read.  A write (the core has made the
 * page the mapping will have, vmf->cow_page) gets a zeroed page to copy
 * from: the core copies it and installs its new page, anonymous,
 * exclusive, writable and dirty, as do_anonymous_page() does.
 *
 * Return: VM_FAULT_LOCKED with vmf->page set to the locked source for a
 * write; else VM_FAULT_NOPAGE with the zero page mapped, or VM_FAULT_OOM
 * when no page table could be made; VM_FAULT_SIGBUS for an injected
 * failure.
 */
vm_fault_t vmlab_private_anon_fault(struct vm_fault *vmf)
{
	struct page *src;
	vm_fault_t ret;

	vmlab_count_fault(vmf, VMLAB_PRIVATE_ANON);
	/*
	 * Not VM_FAULT_OOM, which the kernel retries for ever when no OOM is
	 * under way: a failure at every try would never end the fault.
	 */
	if (vmlab_inject(VMLAB_INJECT_ZERO_PAGE_MAP)) {
		trace_vmlab_fault(vmf, VM_FAULT_SIGBUS);
		return VM_FAULT_SIGBUS;
	}
	if ((vmf->flags & FAULT_FLAG_WRITE) && vmf->cow_page) {
		/*
		 * The core holds the source's lock until the new page is
		 * installed.  Should another fault hold it (this task moved
		 * CPU, or one was preempted), or a memory error have hit the
		 * page (the core would fail every copy from it with SIGBUS),
		 * the write takes the zero page's way below: the CPU retries
		 * it, and the core copies the zero page (wp_page_copy()).
		 */
		src = this_cpu_read(vmlab_zero_src);
		if (likely(!PageHWPoison(src) && trylock_page(src))) {
			get_page(src);
			vmf->page = src;
			vmlab_count(VMLAB_CNT_ZERO_SOURCES);
			trace_vmlab_fault(vmf, VM_FAULT_LOCKED);
			return VM_FAULT_LOCKED;
		}
	}
	ret = vmf_insert_mixed(vmf->vma, vmf->address & PAGE_MASK,
			       pfn_to_pfn_t(my_zero_pfn(vmf->address)));
	if (ret == VM_FAULT_NOPAGE)
		vmlab_count(VMLAB_CNT_ZERO_PAGE_MAPS);
	trace_vmlab_fault(vmf, ret);
	return ret;
}
