// SPDX-License-Identifier: GPL-2.0
/*
 * The huge kind: 2 MiB pages of the kernel's hugetlb pool, each mapped with
 * one PMD entry by vmlab's own ->huge_fault.
 *
 * Pages.  A file of the huge kind takes its pages from a hugetlbfs file:
 * an unlinked one (O_TMPFILE) made at select time on the hugetlbfs mount at
 * hugetlbfs_path, or the hugetlbfs file or MFD_HUGETLB memfd the user
 * passed to VMLAB_IOC_SET_KIND.  mmap(2) grows that file over the mapped
 * range with vfs_fallocate(), which takes the pages out of the pool then
 * (HugePages_Free drops at mmap), and vmlab takes a reference on each
 * folio.  Faults only look the folios up: they never fail for lack of pool
 * pages.  vmlab's references are what keeps the pages where they are while
 * PFN entries point at them: hugetlb migration, truncation of the user's
 * file and, on 6.12, a split by MADV_COLD or MADV_PAGEOUT all give up on a
 * folio with a reference they cannot account for.
 *
 * Mappings.  The VMAs are VM_MIXEDMAP: the pages are RAM with struct pages,
 * the page walkers (pagemap, smaps) visit mixed maps but skip PFN maps, and
 * the entries take neither a reference nor a map count, so the core never
 * frees or reverse-maps a hugetlb page through them.  mmap swaps the VMA's
 * file for a file of an inode of vmlab's filesystem, one per open file of
 * the huge kind.  On 6.1 that inode is S_DAX: before 6.7 the core offers
 * ->huge_fault to a VM_SPECIAL VMA only when vma_is_dax(), and the flag
 * must stay off the device inode the other kinds map; 6.12 calls
 * ->huge_fault without it (vmlab_huge_needs_dax()).  That file also owns
 * the state below: it is released, and the
 * pages go back to the pool, when the open file of /dev/vmlab and every VMA
 * mapping it are gone, in any order.
 *
 * Faults.  ->huge_fault maps an aligned 2 MiB of the VMA with one
 * vmf_insert_pfn_pmd(); where the VMA does not cover the 2 MiB around the
 * fault, or its file offset is not 2 MiB-aligned with the address, it falls
 * back, and ->fault maps 4 KiB of the same page with vmf_insert_mixed().
 * PUD faults fall back, and so do writes while soft-dirty tracking
 * write-protects the mapping: the core splits a read-only PMD written to.
 * A kernel without THP (PREEMPT_RT) maps no file page with a PMD: there the
 * VMAs have no ->huge_fault, and ->fault maps every 4 KiB.
 * On 6.12 the handlers may run under the per-VMA lock alone.
 *
 * MAP_PRIVATE is accepted only read-only, with VM_MAYWRITE cleared: a PFN
 * entry in a copy-on-write mapping is a kernel BUG.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/falloc.h>	/* after fs.h: it needs the types fs.h brings */
#include <linux/fcntl.h>
#include <linux/hugetlb.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pfn_t.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "compat.h"
#include "vmlab.h"
#include "vmlab_trace.h"

static char *hugetlbfs_path = "/dev/hugepages";
module_param(hugetlbfs_path, charp, 0444);
MODULE_PARM_DESC(hugetlbfs_path,
		 "hugetlbfs mount (2 MiB pages) where the huge kind makes its unlinked files");

/* Marks of struct vmlab_huge's folios during a reservation. */
#define VMLAB_HUGE_NEW		XA_MARK_0	/* taken by the reservation under way */
#define VMLAB_HUGE_ALLOCATED	XA_MARK_1	/* and brought into the file by it */

/**
 * struct vmlab_huge - the huge kind's state of one open file of /dev/vmlab
 * @hfile: the hugetlbfs file the pages come from; a reference
 * @own: @hfile is vmlab's unlinked file, not one the user passed in
 * @dax_file: the file the VMAs map (S_DAX before 6.7); its release frees this state
 * @folios: folios of @hfile vmlab holds a reference on, by 2 MiB index
 * @nr_folios: entries in @folios
 * @id: number shown in debugfs
 * @node: entry in vmlab_huge_states
 *
 * @folios gains entries only in mmap(2), under the open file's vf->lock,
 * and loses them there (a reservation undone) or in the release of
 * @dax_file, when no VMA is left; an entry an existing VMA maps stays until
 * then.  Faults read it without a lock (xa_load() under RCU).
 * @nr_folios changes under vf->lock; debugfs reads it with READ_ONCE().
 * @node is under vmlab_huge_lock.  The rest is set at select time.
 */
struct vmlab_huge {
	struct file *hfile;
	bool own;
	struct file *dax_file;
	struct xarray folios;
	unsigned long nr_folios;
	u64 id;
	struct list_head node;
};

static LIST_HEAD(vmlab_huge_states);
/* Protects vmlab_huge_states; debugfs takes i_mmap_rwsem under it. */
static DEFINE_MUTEX(vmlab_huge_lock);

/*
 * Serialises the reservations of all huge-kind files, so that mmaps racing
 * for the last pages of the pool do not each take some and all fail: one
 * gets its whole range first.  Taken under mmap_lock and vf->lock, around
 * fallocate(2) of hugetlbfs files (their i_rwsem), as hugetlbfs' own mmap
 * takes i_rwsem under mmap_lock.
 */
static DEFINE_MUTEX(vmlab_huge_reserve_mutex);
static atomic64_t vmlab_huge_next_id = ATOMIC64_INIT(0);

/* The state a huge-kind VMA maps: the private data of its own file. */
static struct vmlab_huge *vmlab_huge_of(struct vm_area_struct *vma)
{
	return vma->vm_file->private_data;
}

/* The folio behind file page @pgoff, held until the state is released. */
static struct folio *vmlab_huge_folio(struct vm_area_struct *vma, pgoff_t pgoff)
{
	return xa_load(&vmlab_huge_of(vma)->folios, pgoff >> HPAGE_PMD_ORDER);
}

/*
 * ->huge_fault: one PMD entry for the aligned 2 MiB around the fault, when
 * the VMA covers it and maps it at a 2 MiB-aligned file offset.
 */
static vm_fault_t vmlab_huge_fault(struct vm_fault *vmf, vmlab_pe_size_t size)
{
	unsigned int order = vmlab_huge_fault_order(size);
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr = vmf->address & PMD_MASK;
	pgoff_t pgoff = vmf->pgoff - ((vmf->address - haddr) >> PAGE_SHIFT);
	struct folio *folio;
	vm_fault_t ret;
	pmd_t pmd;

	if (order != HPAGE_PMD_ORDER) {
		vmlab_count(VMLAB_CNT_HUGE_PUD_FALLBACKS);
		trace_vmlab_huge_fault(vmf, order, VM_FAULT_FALLBACK, VMLAB_HUGE_PUD);
		return VM_FAULT_FALLBACK;
	}
	if (haddr < vma->vm_start || haddr + PMD_SIZE > vma->vm_end ||
	    !IS_ALIGNED(pgoff, HPAGE_PMD_NR)) {
		vmlab_count(VMLAB_CNT_HUGE_PMD_FALLBACKS);
		trace_vmlab_huge_fault(vmf, order, VM_FAULT_FALLBACK, vmlab_trace_misfit(vma));
		return VM_FAULT_FALLBACK;
	}
	/*
	 * PMDs are inserted with write false and take vm_page_prot, which is
	 * writable in a writable shared mapping unless soft-dirty tracking
	 * write-protects it.  A write then falls back to 4 KiB entries: the
	 * core calls with our PMD present for a write to it, and falling back
	 * makes it split the PMD, as for a file THP.  Making the PMD writable
	 * instead would take vmf_insert_pfn_pmd(write = true), which warns
	 * when the PMD was zapped and a table of 4 KiB entries put in its
	 * place meanwhile (MADV_DONTNEED and a fault with THP off can do that
	 * under the same mmap_lock); with write false it leaves such a table
	 * alone.  A table already there sends the fault to the 4 KiB path.
	 */
	pmd = READ_ONCE(*vmf->pmd);
	if ((vmf->flags & FAULT_FLAG_WRITE) &&
	    (pmd_trans_huge(pmd) || !pte_write(pfn_pte(0, vma->vm_page_prot)))) {
		vmlab_count(VMLAB_CNT_HUGE_PMD_WP_FALLBACKS);
		trace_vmlab_huge_fault(vmf, order, VM_FAULT_FALLBACK, VMLAB_HUGE_WRITE_PROTECT);
		return VM_FAULT_FALLBACK;
	}
	if (!pmd_none(pmd)) {
		vmlab_count(VMLAB_CNT_HUGE_PMD_FALLBACKS);
		trace_vmlab_huge_fault(vmf, order, VM_FAULT_FALLBACK, VMLAB_HUGE_PTE_TABLE);
		return VM_FAULT_FALLBACK;
	}

	folio = vmlab_huge_folio(vma, vmf->pgoff);
	if (!folio) {
		vmlab_count(VMLAB_CNT_SIGBUS);
		trace_vmlab_huge_fault(vmf, order, VM_FAULT_SIGBUS, VMLAB_HUGE_NO_PAGE);
		return VM_FAULT_SIGBUS;
	}
	vmlab_count(VMLAB_CNT_HUGE_PMD_FAULTS);
	if (vmlab_vma_locked(vmf))
		vmlab_count(VMLAB_CNT_FAULTS_VMA_LOCKED);
	/* As when the PMD cannot be made: the 4 KiB path serves the fault. */
	if (vmlab_inject(VMLAB_INJECT_HUGE_PMD_MAP)) {
		vmlab_count(VMLAB_CNT_HUGE_PMD_FALLBACKS);
		trace_vmlab_huge_fault(vmf, order, VM_FAULT_FALLBACK, VMLAB_HUGE_INJECTED);
		return VM_FAULT_FALLBACK;
	}
	ret = vmlab_insert_pfn_pmd(vmf, pfn_to_pfn_t(folio_pfn(folio)), false);
	trace_vmlab_huge_fault(vmf, order, ret, VMLAB_HUGE_PMD);
	return ret;
}

/* ->fault: one 4 KiB entry, for what the PMD path sent back. */
static vm_fault_t vmlab_huge_pte_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio;
	unsigned long pfn;
	vm_fault_t ret;

	folio = vmlab_huge_folio(vma, vmf->pgoff);
	if (!folio) {
		vmlab_count(VMLAB_CNT_SIGBUS);
		trace_vmlab_fault(vmf, VM_FAULT_SIGBUS);
		return VM_FAULT_SIGBUS;
	}
	vmlab_count_fault(vmf, VMLAB_HUGE);
	pfn = folio_pfn(folio) + (vmf->pgoff & (HPAGE_PMD_NR - 1));
	/* Not VM_FAULT_OOM: retried for ever, it would never end the fault. */
	if (vmlab_inject(VMLAB_INJECT_HUGE_PTE_MAP))
		ret = VM_FAULT_SIGBUS;
	else
		ret = vmf_insert_mixed(vma, vmf->address, pfn_to_pfn_t(pfn));
	trace_vmlab_fault(vmf, ret);
	return ret;
}

/*
 * Does @vma count as a writable mapping of its hugetlbfs file, as a native
 * one would (mapping_map_writable())?  Its flags say so for its whole life:
 * mprotect(2) changes neither VM_SHARED nor VM_MAYWRITE.
 */
static bool vmlab_huge_maps_writable(struct vm_area_struct *vma)
{
	return is_shared_maywrite(vma->vm_flags);
}

/* ->open: a copy or a piece of a writable mapping counts as one more. */
static void vmlab_huge_vm_open(struct vm_area_struct *vma)
{
	if (vmlab_huge_maps_writable(vma))
		mapping_allow_writable(vmlab_huge_of(vma)->hfile->f_mapping);
	vmlab_vm_open(vma);
}

/* ->close: one writable mapping fewer. */
static void vmlab_huge_vm_close(struct vm_area_struct *vma)
{
	if (vmlab_huge_maps_writable(vma))
		mapping_unmap_writable(vmlab_huge_of(vma)->hfile->f_mapping);
	vmlab_vm_close(vma);
}

/*
 * A ->map_pages that maps nothing (the own file's page cache is empty; it
 * lets 4 KiB faults complete under the per-VMA lock), no ->page_mkwrite
 * (nothing to write back), no ->may_split: a piece that no longer covers
 * an aligned 2 MiB maps it with 4 KiB entries.  No ->huge_fault on a
 * kernel without PMD maps of file pages (no THP): there every entry is a
 * 4 KiB one.
 */
static const struct vm_operations_struct vmlab_huge_vm_ops = {
	.open = vmlab_huge_vm_open,
	.close = vmlab_huge_vm_close,
	.fault = vmlab_huge_pte_fault,
	.map_pages = VMLAB_MAP_NOTHING,
	.huge_fault = VMLAB_HAVE_PMD_MAPS ? vmlab_huge_fault : NULL,
};

/* Release of the state's own file: no VMA and no open file is left. */
static int vmlab_huge_file_release(struct inode *inode, struct file *file)
{
	struct vmlab_huge *h = file->private_data;
	struct folio *folio;
	unsigned long n;

	mutex_lock(&vmlab_huge_lock);
	list_del(&h->node);
	mutex_unlock(&vmlab_huge_lock);
	xa_for_each(&h->folios, n, folio)
		folio_put(folio);
	xa_destroy(&h->folios);
	vmlab_count_add(VMLAB_CNT_HUGE_PAGES_HELD, -(long)h->nr_folios);
	/* vmlab's own file gives its pages back to the pool when it goes. */
	fput(h->hfile);
	kfree(h);
	vmlab_uncount(VMLAB_CNT_HUGE_FILES_LIVE);
	return 0;
}

/* The own file of a huge-kind state; msync(MS_SYNC) has nothing to do. */
static const struct file_operations vmlab_huge_fops = {
	.owner = THIS_MODULE,
	.release = vmlab_huge_file_release,
	.fsync = noop_fsync,
	.llseek = noop_llseek,
};

/*
 * Is @file a hugetlbfs file of 2 MiB pages that vmlab can grow?
 * -ENODEV or -EINVAL (@wrong_fs) when it is no such file, -EBADF when it is
 * not open for writing.
 */
static int vmlab_huge_check_file(struct file *file, int wrong_fs)
{
	struct inode *inode = file_inode(file);

	if (inode->i_sb->s_magic != HUGETLBFS_MAGIC || !S_ISREG(inode->i_mode) ||
	    inode->i_sb->s_blocksize != HPAGE_PMD_SIZE)
		return wrong_fs;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	return 0;
}

/* An unlinked file on the hugetlbfs mount at hugetlbfs_path, as the caller. */
static struct file *vmlab_huge_open_tmpfile(void)
{
	struct file *file;
	int err;

	file = vmlab_inject(VMLAB_INJECT_HUGE_FILE_OPEN) ? ERR_PTR(-ENOMEM) :
		filp_open(hugetlbfs_path, O_TMPFILE | O_RDWR | O_LARGEFILE, 0600);
	if (IS_ERR(file))
		return file;
	err = vmlab_huge_check_file(file, -ENODEV);
	if (err) {
		fput(file);
		return ERR_PTR(err);
	}
	return file;
}

/* The hugetlbfs file the user passed as @fd, with a reference. */
static struct file *vmlab_huge_user_file(int fd)
{
	struct file *file = fget(fd);
	int err;

	if (!file)
		return ERR_PTR(-EBADF);
	err = vmlab_huge_check_file(file, -EINVAL);
	if (err) {
		fput(file);
		return ERR_PTR(err);
	}
	return file;
}

/* Selecting the huge kind again: fine when it names the same pool source. */
static int vmlab_huge_reselect(struct vmlab_huge *h, int huge_fd)
{
	struct file *file;
	int err = 0;

	if (huge_fd == -1)
		return h->own ? 0 : -EBUSY;
	file = fget(huge_fd);
	if (!file)
		return -EBADF;
	if (h->own || file_inode(file) != file_inode(h->hfile))
		err = -EBUSY;
	fput(file);
	return err;
}

/**
 * vmlab_huge_select() - make @vf a file of the huge kind
 * @vf: the open file, with vf->lock held
 * @huge_fd: a hugetlbfs file (or MFD_HUGETLB memfd) of 2 MiB pages to take
 *	the pages from, or -1 for an unlinked file on hugetlbfs_path
 *
 * Reserves nothing: mmap(2) does.  A file that already has a huge state
 * keeps it (and the pages it holds).
 *
 * Return: 0; -EBADF when @huge_fd is not an open file, or not open for
 * writing; -EINVAL when it is not a hugetlbfs file of 2 MiB pages; with -1,
 * what opening hugetlbfs_path fails with (-ENOENT, -EACCES, ...), or
 * -ENODEV when it is no hugetlbfs mount of 2 MiB pages; -EBUSY when the
 * file already takes its pages from another source; -ENOMEM.
 */
int vmlab_huge_select(struct vmlab_file *vf, int huge_fd)
{
	struct vmlab_huge *h;
	struct file *hfile;
	int err;

	if (vf->huge)
		return vmlab_huge_reselect(vf->huge, huge_fd);

	hfile = huge_fd == -1 ? vmlab_huge_open_tmpfile() : vmlab_huge_user_file(huge_fd);
	if (IS_ERR(hfile))
		return PTR_ERR(hfile);
	h = vmlab_inject(VMLAB_INJECT_HUGE_STATE_ALLOC) ? NULL : kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h) {
		err = -ENOMEM;
		goto err_fput;
	}
	h->dax_file = vmlab_dax_file("vmlab-huge", &vmlab_huge_fops);
	if (IS_ERR(h->dax_file)) {
		err = PTR_ERR(h->dax_file);
		goto err_free;
	}
	h->hfile = hfile;
	h->own = huge_fd == -1;
	xa_init(&h->folios);
	h->id = atomic64_inc_return(&vmlab_huge_next_id) - 1;
	h->dax_file->private_data = h;
	mutex_lock(&vmlab_huge_lock);
	list_add_tail(&h->node, &vmlab_huge_states);
	mutex_unlock(&vmlab_huge_lock);
	vmlab_count(VMLAB_CNT_HUGE_FILES_LIVE);
	vf->huge = h;
	return 0;

err_free:
	kfree(h);
err_fput:
	fput(hfile);
	return err;
}

/*
 * Give 2 MiB page @n, which a reservation under way added to @h->hfile,
 * back to the pool: punch it out of the file, when the file is vmlab's own.
 *
 * A user's file is never punched.  Others may map it, or reach it through
 * read(2) and other openers, and may have written the page meanwhile (a
 * native fault finds it in the page cache and maps it at once): nothing
 * tells vmlab that a page it added is still unseen, and no lock it can
 * take keeps a native fault out until the punch is done.  So the page
 * stays in the user's file, as the pages a failed fallocate(2) added stay:
 * the file's, counted by its mount's size= limit, and back in the pool
 * when the file lets go of them (ftruncate, a punched hole, the last close).
 */
static void vmlab_huge_punch(struct vmlab_huge *h, pgoff_t n)
{
	if (!h->own)
		return;
	vfs_fallocate(h->hfile, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (loff_t)n << HPAGE_PMD_SHIFT, HPAGE_PMD_SIZE);
}

/*
 * Undo the reservation under way: drop what it took, and give back what it
 * allocated in vmlab's own file (see vmlab_huge_punch()).
 */
static void vmlab_huge_unreserve(struct vmlab_huge *h)
{
	struct folio *folio;
	unsigned long n;

	xa_for_each_marked(&h->folios, n, folio, VMLAB_HUGE_NEW) {
		bool allocated = xa_get_mark(&h->folios, n, VMLAB_HUGE_ALLOCATED);

		xa_erase(&h->folios, n);
		h->nr_folios--;
		vmlab_uncount(VMLAB_CNT_HUGE_PAGES_HELD);
		if (allocated)
			vmlab_huge_punch(h, n);
		folio_put(folio);
	}
}

/* Keep the reservation under way. */
static void vmlab_huge_commit(struct vmlab_huge *h)
{
	struct folio *folio;
	unsigned long n;

	xa_for_each_marked(&h->folios, n, folio, VMLAB_HUGE_NEW) {
		xa_clear_mark(&h->folios, n, VMLAB_HUGE_NEW);
		xa_clear_mark(&h->folios, n, VMLAB_HUGE_ALLOCATED);
	}
}

/*
 * Take a reference on 2 MiB page @n of @h->hfile for @h, allocating it from
 * the pool first when the file does not have it.  The entry is marked new,
 * and allocated when vmlab's fallocate made it.
 */
static int vmlab_huge_take(struct vmlab_huge *h, pgoff_t n)
{
	struct address_space *mapping = h->hfile->f_mapping;
	bool allocated = false;
	struct folio *folio;
	int err;

	folio = vmlab_get_folio(mapping, vmlab_hugetlb_index(n));
	if (!folio) {
		err = vmlab_inject(VMLAB_INJECT_HUGE_FALLOCATE) ? -ENOSPC :
			vfs_fallocate(h->hfile, 0, (loff_t)n << HPAGE_PMD_SHIFT, HPAGE_PMD_SIZE);
		/* ENOSPC: the pool, or the mount's size limit, has no page left. */
		if (err)
			return err == -ENOSPC ? -ENOMEM : err;
		allocated = true;
		folio = vmlab_get_folio(mapping, vmlab_hugetlb_index(n));
		if (!folio) {
			/* The user's file was cut short meanwhile: give up. */
			err = -ENOMEM;
			goto err_punch;
		}
	}
	err = vmlab_inject(VMLAB_INJECT_HUGE_XA_STORE) ? -ENOMEM :
		xa_err(xa_store(&h->folios, n, folio, GFP_KERNEL));
	if (err)
		goto err_put;
	xa_set_mark(&h->folios, n, VMLAB_HUGE_NEW);
	if (allocated)
		xa_set_mark(&h->folios, n, VMLAB_HUGE_ALLOCATED);
	h->nr_folios++;
	vmlab_count(VMLAB_CNT_HUGE_PAGES_HELD);
	return 0;

err_put:
	folio_put(folio);
err_punch:
	if (allocated)
		vmlab_huge_punch(h, n);
	return err;
}

/* Hold 2 MiB pages [@first, @end) of the file, all or none (marked new). */
static int vmlab_huge_reserve(struct vmlab_huge *h, pgoff_t first, pgoff_t end)
{
	unsigned long held = 0;
	pgoff_t n;
	int err = 0;

	mutex_lock(&vmlab_huge_reserve_mutex);
	for (n = first; n < end; n++) {
		if (xa_load(&h->folios, n)) {
			held++;
			continue;
		}
		err = vmlab_huge_take(h, n);
		if (err) {
			vmlab_huge_unreserve(h);
			vmlab_count(VMLAB_CNT_HUGE_RESERVE_FAILURES);
			break;
		}
	}
	mutex_unlock(&vmlab_huge_reserve_mutex);
	trace_vmlab_huge_reserve(h->id, first, end - first, held, err);
	return err;
}

/*
 * The checks a native mmap(2) of @h->hfile applies, for @vma: the file must
 * be open for reading; a write seal (F_SEAL_WRITE, F_SEAL_FUTURE_WRITE)
 * refuses a writable shared mapping and keeps a read-only one from ever
 * becoming writable; and a shared mapping that may become writable counts
 * as a writable mapping of the file (F_SEAL_WRITE fails with EBUSY while
 * one lives), from here until the ->close of its last piece.  The seals
 * are read without a lock, as mmap(2) reads them: mapping_map_writable()
 * is what orders a new mapping against a racing F_SEAL_WRITE.
 *
 * Return: 0; -EACCES when the file is not open for reading; -EPERM for a
 * writable shared mapping of a write-sealed file, or when F_SEAL_WRITE was
 * added meanwhile.
 */
static int vmlab_huge_check_mmap(struct vmlab_huge *h, struct vm_area_struct *vma)
{
	struct file *hfile = h->hfile;
	unsigned int seals = READ_ONCE(HUGETLBFS_I(file_inode(hfile))->seals);

	if (!(hfile->f_mode & FMODE_READ))
		return -EACCES;
	if ((seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) && (vma->vm_flags & VM_SHARED)) {
		if (vma->vm_flags & VM_WRITE)
			return -EPERM;
		vmlab_vm_flags_clear(vma, VM_MAYWRITE);
	}
	if (vmlab_huge_maps_writable(vma))
		return mapping_map_writable(hfile->f_mapping);
	return 0;
}

/**
 * vmlab_huge_mmap() - mmap(2) of a file of the huge kind
 * @vf: the open file, with vf->lock held
 * @vma: the new VMA
 *
 * Takes the pool pages for the whole range now (the ones the file holds
 * already are kept, not taken twice); faults only map them.
 *
 * Return: 0; -EINVAL when the length or the offset is not a multiple of
 * 2 MiB, or for a writable MAP_PRIVATE mapping; -EOVERFLOW when the range
 * lies beyond what a hugetlbfs file can hold; -EACCES or -EPERM when a
 * native mmap(2) of the hugetlbfs file would be refused (see
 * vmlab_huge_check_mmap()); -ENOMEM when the pool (or the
 * hugetlbfs mount's size limit) cannot cover the range, with nothing left
 * reserved, or when memory runs out; what fallocate(2) of the hugetlbfs
 * file fails with otherwise (-EPERM for a sealed memfd, -EINTR, ...).
 */
int vmlab_huge_mmap(struct vmlab_file *vf, struct vm_area_struct *vma)
{
	struct vmlab_huge *h = vf->huge;
	pgoff_t first, end;
	int err;

	if (!h)
		return -ENODEV;
	if (!IS_ALIGNED(vma->vm_pgoff, HPAGE_PMD_NR) ||
	    !IS_ALIGNED(vma_pages(vma), HPAGE_PMD_NR))
		return -EINVAL;
	/* Copy-on-write would need a PFN entry in a COW mapping: a BUG. */
	if (!(vma->vm_flags & VM_MAYSHARE) && (vma->vm_flags & VM_WRITE))
		return -EINVAL;
	first = vma->vm_pgoff >> HPAGE_PMD_ORDER;
	end = first + (vma_pages(vma) >> HPAGE_PMD_ORDER);
	if (end > (pgoff_t)(file_inode(h->hfile)->i_sb->s_maxbytes >> HPAGE_PMD_SHIFT))
		return -EOVERFLOW;
	err = vmlab_huge_check_mmap(h, vma);
	if (err)
		return err;

	err = vmlab_huge_reserve(h, first, end);
	if (err)
		goto err_unmap_writable;
	vmlab_huge_commit(h);

	/* Keep mremap(2) from growing the VMA past the pages it holds. */
	vmlab_vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_HUGEPAGE);
	if (!(vma->vm_flags & VM_MAYSHARE))
		vmlab_vm_flags_clear(vma, VM_MAYWRITE);
	vma_set_file(vma, h->dax_file);
	vma->vm_ops = &vmlab_huge_vm_ops;
	vmlab_vma_attach(vma, vf);
	return 0;

err_unmap_writable:
	if (vmlab_huge_maps_writable(vma))
		mapping_unmap_writable(h->hfile->f_mapping);
	return err;
}

/**
 * vmlab_huge_release() - the last close of a file, for its huge state
 * @vf: the open file
 *
 * The pages go back to the pool now, or when the last VMA mapping them goes.
 */
void vmlab_huge_release(struct vmlab_file *vf)
{
	struct vmlab_huge *h = vf->huge;

	if (!h)
		return;
	vf->huge = NULL;
	fput(h->dax_file);
}

/**
 * vmlab_get_unmapped_area() - where mmap(2) of /dev/vmlab places a mapping
 * @file: the open file
 * @addr: the hint
 * @len: the length
 * @pgoff: the offset in pages
 * @flags: the mmap flags
 *
 * Huge-kind mappings take a free hint rounded down to an address congruent
 * to the file offset modulo 2 MiB, as x86's hugetlbfs takes one; without a usable
 * hint they are placed as THP-capable files are: at such an address when
 * the length allows (with THP; a kernel without it maps no PMD, and places
 * them by default).  The store and shared anonymous objects are placed
 * that way too when their THP policy is always, within_size or advise, as
 * tmpfs places its mappings; under inherit (a file of the kernel's
 * internal tmpfs mount) tmpfs itself places them (the store with backing=
 * by default); every other mapping gets the default placement.
 *
 * Return: the address, or -errno.
 */
unsigned long vmlab_get_unmapped_area(struct file *file, unsigned long addr, unsigned long len,
				      unsigned long pgoff, unsigned long flags)
{
	struct vmlab_file *vf = file->private_data;

	unsigned long off = (pgoff << PAGE_SHIFT) & (PMD_SIZE - 1);
	unsigned long hint;

	unsigned int kind = READ_ONCE(vf->kind);
	unsigned int thp = VMLAB_THP_NEVER;

	if (kind == VMLAB_KIND_STORE)
		thp = vmlab_thp;
	else if (kind == VMLAB_KIND_ANON && (flags & MAP_TYPE) != MAP_PRIVATE)
		thp = READ_ONCE(vf->thp);
	if (kind != VMLAB_KIND_HUGE) {
		/* A file of the kernel's internal tmpfs mount: tmpfs places it. */
		if (thp == VMLAB_THP_INHERIT &&
		    !(kind == VMLAB_KIND_STORE && vmlab_store_has_backing()))
			return vmlab_tmpfs_unmapped_area(addr, len, pgoff, flags);
		if (vmlab_thp_aligns(thp, len))
			return vmlab_thp_unmapped_area(file, addr, len, pgoff, flags);
		return vmlab_default_unmapped_area(file, addr, len, pgoff, flags);
	}
	/* A hint rounded down to a PMD-congruent address, taken if free (x86 hugetlbfs). */
	if (addr >= off && !(flags & MAP_FIXED)) {
		hint = ALIGN_DOWN(addr - off, PMD_SIZE) + off;
		if (hint && vmlab_default_unmapped_area(file, hint, len, pgoff, flags) == hint)
			return hint;
	}
	return vmlab_thp_unmapped_area(file, addr, len, pgoff, flags);
}

/**
 * vmlab_huge_show() - list the live huge-kind states, for debugfs
 * @m: the file being read
 */
void vmlab_huge_show(struct seq_file *m)
{
	struct vmlab_huge *h;

	seq_puts(m, "id source huge_pages\n");
	mutex_lock(&vmlab_huge_lock);
	list_for_each_entry(h, &vmlab_huge_states, node)
		seq_printf(m, "%llu %s %lu\n", h->id, h->own ? "tmpfile" : "user",
			   READ_ONCE(h->nr_folios));
	mutex_unlock(&vmlab_huge_lock);
}

/**
 * vmlab_huge_vma() - whether @vma is a VMA of the huge kind
 * @vma: a VMA
 *
 * Return: true when its vm_operations are the huge kind's.
 */
bool vmlab_huge_vma(const struct vm_area_struct *vma)
{
	return vma->vm_ops == &vmlab_huge_vm_ops;
}

/**
 * vmlab_huge_vmas_show() - list the VMAs of the huge kind, for debugfs
 * @m: the file being read
 *
 * Each live state's VMAs are in the reverse map of its own file; the list
 * lock keeps that file, and so its inode, from going meanwhile.
 */
void vmlab_huge_vmas_show(struct seq_file *m)
{
	struct vmlab_huge *h;

	mutex_lock(&vmlab_huge_lock);
	list_for_each_entry(h, &vmlab_huge_states, node) {
		vmlab_vmas_show_mapping(m, h->dax_file->f_mapping);
		if (seq_has_overflowed(m))
			break;
	}
	mutex_unlock(&vmlab_huge_lock);
}
