// SPDX-License-Identifier: GPL-2.0
/*
 * The store: the device's byte array, kept in the page cache of one inode
 * of a filesystem of vmlab's own, over a backing file.
 *
 * The store works as a filesystem's page cache does.  Its superblock has a
 * backing_dev_info of its own (super_setup_bdi()), so its dirty pages are
 * accounted (Dirty, Writeback, nr_dirty), its writers are throttled by the
 * dirty limits, and the kernel's flusher threads, sync(1) and fsync(2) write
 * it back through ->writepages.  Its pages sit on the LRU like any file's:
 * clean ones are reclaimed under pressure, by drop_caches, fadvise(2) and
 * MADV_PAGEOUT, and the next access reads them again through ->read_folio
 * (a major fault, with the core's read-around).
 *
 * That is the store with a backing file, the user's (module parameter
 * backing=).  Without one the store IS an unlinked tmpfs file (of the
 * kernel's internal mount, or of vmlab's mount of the policy thp, thp.c),
 * as a shared anonymous object is (object.c): the
 * open files of /dev/vmlab point f_mapping at its page cache, store
 * mappings map it (see vmlab_store_tmpfs_file()), read(2) is tmpfs's, and
 * it has what tmpfs has: swap-backed pages, no dirty accounting, no
 * write-back, so no write-notify for its shared mappings.  Nothing below
 * but vmlab_store_tmpfs_file(), the read and write paths, fsync and the
 * set-up and tear-down serves that case: its vfsmount, inode, bdi,
 * workqueues and ->writepages are those of the store with a backing file.
 *
 * No I/O of the backing file happens under the lock of a store page.
 * ->read_folio hands the read to a workqueue, as a disk filesystem hands it
 * to its device, and the worker unlocks the page when the bytes are in;
 * ->writepages unlocks each page (under write-back) before it writes it.
 * A write(2) to the backing file holds the backing inode's lock while it
 * faults in its source buffer, which may be a mapping of the store: that
 * fault may wait for a store page's lock, which neither reading (through
 * the backing file's page cache, which takes no inode lock, or tmpfs's
 * ->read_iter, which takes none either) nor writing ever holds.
 *
 * Writing back does wait for that inode lock with a page under write-back,
 * as the loop driver's writes to its file do.  So a writer of the backing
 * file whose source buffer maps the store, while someone else waits for
 * that page's write-back to end (fsync(2) of a page dirtied again, or
 * balance_dirty_pages() over the store's limit), can stall write-back
 * until the writer is killed: the README says so among the limits.
 *
 * Write-back always runs in a kernel thread (a flusher, or vmlab_write_wq
 * for fsync(2), fadvise(2) and O_SYNC writes): the backing file's writes
 * see no rlimit, signal or credentials of whoever asked for them; nor its
 * scheduling priority, CPU cgroup or I/O accounting, which are the
 * kworker's, as for the flusher's write-back.
 *
 * With a THP policy (thp.c) the store's page cache holds large folios:
 * vmlab_store_thp_fault() adds the 2 MiB ones the policy gives, read-ahead
 * may add smaller ones, and reading, writing back and dirtying go by folio.
 *
 * Locking: the store's page cache, its i_mmap and its write-back state are
 * the core's, under the core's locks; the store object itself never
 * changes after load.
 */
#include <linux/backing-dev.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/highmem.h>
#include <linux/magic.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/rmap.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <linux/writeback.h>

#include "compat.h"
#include "vmlab.h"
#include "vmlab_trace.h"

#define VMLAB_STORE_MAGIC	0x766d6c73	/* "vmls" */

unsigned long vmlab_store_size = 64UL << 20;
static char *backing;

static int store_size_set(const char *val, const struct kernel_param *kp)
{
	char *end;
	unsigned long long size = memparse(val, &end);

	if (end == val || (*end && *end != '\n'))
		return -EINVAL;
	if (!size || size & ~PAGE_MASK || size > (1ULL << 40))
		return -EINVAL;
	vmlab_store_size = size;
	return 0;
}

static const struct kernel_param_ops store_size_ops = {
	.set = store_size_set,
	.get = param_get_ulong,
};

module_param_cb(store_size, &store_size_ops, &vmlab_store_size, 0444);
/* module_param_cb() names no type: modinfo shows this one. */
__MODULE_PARM_TYPE(store_size, "ulong");
MODULE_PARM_DESC(store_size,
		 "Size of the store in bytes, a multiple of the page size; K, M and G suffixes (default 64M)");
module_param(backing, charp, 0444);
MODULE_PARM_DESC(backing,
		 "Regular file holding the store's contents (created when missing); default: an unlinked file of the kernel's internal tmpfs");

struct vmlab_object *vmlab_store;
/* The store's mount, from load to unload; its superblock's s_fs_info is the backing file. */
static struct vfsmount *vmlab_store_mnt;
/* Reads of the backing file, one work item per page read. */
static struct workqueue_struct *vmlab_read_wq;
/* Work items of vmlab_read_wq, so that a read never fails for want of memory. */
static mempool_t *vmlab_read_pool;
#define VMLAB_READ_POOL_MIN	16
/* Write-back asked for by a user task, run on its behalf (see the top of this file). */
static struct workqueue_struct *vmlab_write_wq;

/*
 * Read the page of @backing at @pos (page-aligned) into @kaddr, without
 * taking the backing inode's I/O lock (see the top of this file): from its
 * page cache when it has ->read_folio, else with kernel_read().  Return:
 * the bytes read (0 at or beyond the end of the file), or -errno.
 */
static ssize_t vmlab_backing_read(struct file *backing, void *kaddr, loff_t pos)
{
	struct address_space *mapping = backing->f_mapping;
	struct folio *src;
	loff_t isize;
	size_t n;
	void *from;

	/* tmpfs has no ->read_folio, and its read_iter takes no lock. */
	if (!mapping->a_ops->read_folio)
		return kernel_read(backing, kaddr, PAGE_SIZE, &pos);
	/* As filemap_fault(): no hole punch or truncation under the read. */
	filemap_invalidate_lock_shared(mapping);
	isize = i_size_read(mapping->host);
	if (pos >= isize) {
		filemap_invalidate_unlock_shared(mapping);
		return 0;
	}
	n = min_t(loff_t, PAGE_SIZE, isize - pos);
	src = read_mapping_folio(mapping, pos >> PAGE_SHIFT, backing);
	filemap_invalidate_unlock_shared(mapping);
	if (IS_ERR(src))
		return PTR_ERR(src);
	from = kmap_local_folio(src, offset_in_folio(src, pos));
	memcpy(kaddr, from, n);
	kunmap_local(from);
	folio_put(src);
	return n;
}

/*
 * Can the store read @file without its inode's I/O lock?  Through its page
 * cache (->read_folio), or on tmpfs, whose read_iter takes no lock; not a
 * DAX file, whose reads take the lock its writes hold while they fault.
 */
static bool vmlab_backing_ok(struct file *file)
{
	struct inode *inode = file_inode(file);

	if (IS_DAX(inode))
		return false;
	return file->f_mapping->a_ops->read_folio || inode->i_sb->s_magic == TMPFS_MAGIC;
}

/* A read of one store page, handed from ->read_folio to vmlab_read_wq. */
struct vmlab_read {
	struct work_struct work;
	struct folio *folio;
	struct file *backing;
};

static void vmlab_read_workfn(struct work_struct *work)
{
	struct vmlab_read *rd = container_of(work, struct vmlab_read, work);
	struct folio *folio = rd->folio;
	size_t off;
	ssize_t n = 0;

	/* Page by page: the backing file's page cache holds base pages. */
	for (off = 0; off < folio_size(folio); off += PAGE_SIZE) {
		void *kaddr = kmap_local_folio(folio, off);

		n = vmlab_backing_read(rd->backing, kaddr, folio_pos(folio) + off);
		if (n >= 0)
			memset(kaddr + n, 0, PAGE_SIZE - n);
		kunmap_local(kaddr);
		if (n < 0)
			break;
	}
	flush_dcache_folio(folio);
	if (n >= 0) {
		folio_mark_uptodate(folio);
		vmlab_count_add(VMLAB_CNT_BACKING_READS, folio_nr_pages(folio));
	} else {
		vmlab_count(VMLAB_CNT_BACKING_ERRORS);
	}
	/* The I/O is done: whoever waits for the folio (a fault, read(2)) goes on. */
	folio_unlock(folio);
	folio_put(folio);
	mempool_free(rd, vmlab_read_pool);
}

/*
 * ->read_folio: start reading a locked, new folio of the store (a base
 * page, or a 2 MiB one of vmlab_store_thp_fault()); the worker unlocks it,
 * uptodate or not.
 */
static int vmlab_store_read_folio(struct file *file, struct folio *folio)
{
	struct vmlab_read *rd;

	vmlab_count_add(VMLAB_CNT_PAGES_ALLOCATED, folio_nr_pages(folio));
	if (vmlab_inject(VMLAB_INJECT_BACKING_READ)) {
		vmlab_count(VMLAB_CNT_BACKING_ERRORS);
		folio_unlock(folio);
		return -EIO;
	}
	/* Sleeps for an item in flight rather than fail: never NULL. */
	rd = mempool_alloc(vmlab_read_pool, mapping_gfp_constraint(folio->mapping, GFP_KERNEL));
	INIT_WORK(&rd->work, vmlab_read_workfn);
	rd->folio = folio;
	/* The store, and so its backing file, outlives every locked page of it. */
	rd->backing = vmlab_store->backing;
	folio_get(folio);
	queue_work(vmlab_read_wq, &rd->work);
	return 0;
}

/*
 * Write @folio of the store to the backing file at @pos: in one piece
 * where the kernel maps it all (no highmem), else page by page.  Return:
 * the bytes written (folio_size() when all went), or -errno.
 */
static ssize_t vmlab_store_write_folio(struct folio *folio, loff_t pos)
{
	size_t chunk = IS_ENABLED(CONFIG_HIGHMEM) ? PAGE_SIZE : folio_size(folio);
	size_t off;
	ssize_t n;

	for (off = 0; off < folio_size(folio); off += chunk) {
		void *kaddr = kmap_local_folio(folio, off);

		n = kernel_write(vmlab_store->backing, kaddr, chunk, &pos);
		kunmap_local(kaddr);
		/* Short: the backing file is full; the caller fails the folio. */
		if (n != chunk)
			return n < 0 && !off ? n : off + max_t(ssize_t, n, 0);
	}
	return off;
}

/*
 * One run of ->writepages: whom it runs for, and what it did, for the
 * vmlab_writeback event.
 * @requester: the user task this write-back runs for, or NULL: the flusher's own
 * @written: base pages written to the backing file
 * @errors: folios that could not be written
 */
struct vmlab_wb_run {
	struct task_struct *requester;
	unsigned long written;
	unsigned long errors;
};

/*
 * Write one folio of the store to the backing file: called by
 * write_cache_pages() with the folio locked and its dirty bit cleared (its
 * shared mappings write-protected again); writes it unlocked, under
 * write-back.  A failed page is dirtied again and the error recorded for
 * fsync(2): the bytes stay in the store until a write succeeds.
 */
static int vmlab_store_writepage(VMLAB_WRITEPAGE_ARG *arg, struct writeback_control *wbc,
				 void *data)
{
	struct vmlab_wb_run *run = data;
	struct task_struct *requester = run->requester;
	struct folio *folio = vmlab_writepage_folio(arg);
	struct address_space *mapping = folio->mapping;
	loff_t pos = folio_pos(folio);
	unsigned int noreclaim_flag;
	unsigned int throttle;
	ssize_t n;
	int err = 0;

	folio_start_writeback(folio);
	folio_unlock(folio);

	/*
	 * This cleans the store's pages into another filesystem's: throttle
	 * against the backing device's dirty pages only, as the loop driver
	 * does; and no reclaim from inside the write may wait for a store
	 * page under write-back, this one among them.
	 */
	throttle = current->flags & PF_LOCAL_THROTTLE;
	current->flags |= PF_LOCAL_THROTTLE;
	noreclaim_flag = memalloc_nofs_save();
	n = vmlab_inject_for(VMLAB_INJECT_BACKING_WRITE, requester ?: current) ? -EIO :
		vmlab_store_write_folio(folio, pos);
	memalloc_nofs_restore(noreclaim_flag);
	current->flags = (current->flags & ~PF_LOCAL_THROTTLE) | throttle;

	if (n == folio_size(folio)) {
		vmlab_count_add(VMLAB_CNT_PAGES_WRITTEN_BACK, folio_nr_pages(folio));
		run->written += folio_nr_pages(folio);
	} else {
		err = n < 0 ? n : -EIO;
		vmlab_count(VMLAB_CNT_BACKING_ERRORS);
		run->errors++;
		mapping_set_error(mapping, err);
		/*
		 * Dirtied again without the lock: under write-back the page can
		 * be neither truncated nor migrated, and migration takes the
		 * lock before it waits for write-back to end.  Not counted as
		 * newly dirtied; nothing to do when a write fault dirtied it
		 * already.  A write fault between the test and the call costs
		 * the dirty statistics one page: taking the lock here would
		 * deadlock with a data-integrity write-back that holds it while
		 * it waits for this write-back to end.
		 */
		if (!folio_test_dirty(folio))
			folio_redirty_for_writepage(wbc, folio);
	}
	folio_end_writeback(folio);
	return err;
}

/* A user task's write-back, run by vmlab_write_wq while the task waits. */
struct vmlab_write {
	struct work_struct work;
	struct completion done;
	struct address_space *mapping;
	struct writeback_control *wbc;
	struct vmlab_wb_run *run;
	int ret;
};

static void vmlab_write_workfn(struct work_struct *work)
{
	struct vmlab_write *wr = container_of(work, struct vmlab_write, work);

	wr->ret = write_cache_pages(wr->mapping, wr->wbc, vmlab_store_writepage, wr->run);
	/* The last touch of @wr, which lives on the waiter's stack. */
	complete(&wr->done);
}

/* How long a waiter for write-back sleeps at a time: never a hung task. */
#define VMLAB_WRITE_WAIT	(10 * HZ)

/*
 * For the vmlab_writeback event: write-protect the mappings of the dirty
 * folios the run of @wbc is to write, and count the entries.
 * write_cache_pages() does that to each folio it takes
 * (folio_clear_dirty_for_io()) but does not say how many; done here first,
 * its own pass finds them clean.  The folios of a range (fsync(2),
 * msync(2), sync(2)), every one; for the flusher's cyclic runs, those from
 * where the last run stopped, up to its page budget: maybe not all it
 * writes, or more.  A write fault in between makes an entry writable
 * again, and write_cache_pages() write-protects it uncounted.
 */
static unsigned long vmlab_store_mkclean(struct address_space *mapping,
					 struct writeback_control *wbc)
{
	pgoff_t index = wbc->range_cyclic ? mapping->writeback_index :
		wbc->range_start >> PAGE_SHIFT;
	pgoff_t end = wbc->range_cyclic ? ULONG_MAX : wbc->range_end >> PAGE_SHIFT;
	long budget = wbc->nr_to_write;
	struct folio_batch fbatch;
	unsigned long n = 0;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (budget > 0 &&
	       filemap_get_folios_tag(mapping, &index, end, PAGECACHE_TAG_DIRTY, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch) && budget > 0; i++) {
			struct folio *folio = fbatch.folios[i];

			folio_lock(folio);
			/* Dirty, and (write_cache_pages() rules) to be written by this run. */
			if (folio->mapping == mapping && folio_test_dirty(folio) &&
			    (wbc->sync_mode != WB_SYNC_NONE || !folio_test_writeback(folio))) {
				n += folio_mkclean(folio);
				budget -= folio_nr_pages(folio);
			}
			folio_unlock(folio);
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return n;
}

/*
 * ->writepages: what the flusher, sync(2), fsync(2) and fadvise(2) call.
 * A user task hands the work to vmlab_write_wq and waits for it: its
 * RLIMIT_FSIZE, a pending signal or its credentials would otherwise fail
 * (or kill) the backing file's writes, and their error would reach every
 * opener of the store.
 */
static int vmlab_store_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct vmlab_wb_run run = { .requester = current };
	struct vmlab_write wr = { .mapping = mapping, .wbc = wbc, .run = &run };
	bool traced = trace_vmlab_writeback_enabled();
	unsigned long wrprotected = 0;

	vmlab_count(VMLAB_CNT_WRITEBACK_RUNS);
	if (traced)
		wrprotected = vmlab_store_mkclean(mapping, wbc);
	if (current->flags & PF_KTHREAD) {
		run.requester = NULL;
		wr.ret = write_cache_pages(mapping, wbc, vmlab_store_writepage, &run);
		goto out;
	}
	INIT_WORK_ONSTACK(&wr.work, vmlab_write_workfn);
	init_completion(&wr.done);
	queue_work(vmlab_write_wq, &wr.work);
	/* I/O wait, as the caller's own write-back was; a long one is no hung task. */
	while (!wait_for_completion_io_timeout(&wr.done, VMLAB_WRITE_WAIT))
		;
	destroy_work_on_stack(&wr.work);
out:
	if (traced)
		trace_vmlab_writeback(wbc, run.written, wrprotected, run.errors, wr.ret);
	return wr.ret;
}

/* No ->writepage: reclaim leaves dirty store pages to the flusher, as for most filesystems. */
static const struct address_space_operations vmlab_store_aops = {
	.read_folio = vmlab_store_read_folio,
	.writepages = vmlab_store_writepages,
	.dirty_folio = filemap_dirty_folio,
	.migrate_folio = filemap_migrate_folio,
};

/*
 * Write back the store's pages in [@start, @end] and wait, then make the
 * backing file's range durable; a failure of the latter is recorded in the
 * store's error state like a failed write-back.
 */
static void vmlab_store_sync_range(loff_t start, loff_t end, int datasync)
{
	struct address_space *mapping = vmlab_store->inode->i_mapping;
	int err;

	filemap_fdatawrite_range(mapping, start, end);
	filemap_fdatawait_range_keep_errors(mapping, start, end);
	err = vfs_fsync_range(vmlab_store->backing, start, end, datasync);
	if (err)
		mapping_set_error(mapping, err);
}

/**
 * vmlab_store_fsync() - fsync(2) of /dev/vmlab, msync(MS_SYNC) of its
 * mappings with backing= (without, they map a tmpfs file, whose fsync is
 * tmpfs's)
 * @file: an open file of /dev/vmlab
 * @start: first byte of the range
 * @end: last byte of the range (LLONG_MAX: to the end)
 * @datasync: as for vfs_fsync_range()
 *
 * Return: 0, or the first write-back error this open file has not been
 * told of yet (-EIO), as for a file of any filesystem; always 0 without
 * backing=, as for a tmpfs file.
 */
int vmlab_store_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	/* A tmpfs file has nothing to write back: noop_fsync(). */
	if (!vmlab_store_has_backing())
		return 0;
	vmlab_store_sync_range(start, end, datasync);
	return file_check_and_advance_wb_err(file);
}

/*
 * ->sync_fs: sync(1) and syncfs(2) wrote the store's pages into the
 * backing file's page cache; make them durable there.
 */
static int vmlab_store_sync_fs(struct super_block *sb, int wait)
{
	struct vmlab_object *store;
	struct file *file = sb->s_fs_info;
	int err;

	if (!wait || !file)
		return 0;
	err = vfs_fsync(file, 0);
	/*
	 * The store's open files learn of it at their next fsync(2).  The
	 * caller holds s_umount, which vmlab_store_exit() takes to free the
	 * store.
	 */
	store = READ_ONCE(vmlab_store);
	if (err && store)
		mapping_set_error(store->inode->i_mapping, err);
	return err;
}

/* The store's inode (the root directory's has no object) goes at unload. */
static void vmlab_store_evict_inode(struct inode *inode)
{
	struct vmlab_object *obj = inode->i_private;

	if (obj)
		vmlab_object_unlist(obj);
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	kfree(obj);
}

static const struct super_operations vmlab_store_super_ops = {
	.statfs = simple_statfs,
	.drop_inode = generic_delete_inode,
	.evict_inode = vmlab_store_evict_inode,
	.sync_fs = vmlab_store_sync_fs,
};

/* A root and nothing else, with a backing_dev_info of its own for the flusher. */
static int vmlab_store_fill_super(struct super_block *sb, struct fs_context *fc)
{
	static const struct tree_descr no_files[] = { { "" } };
	int err;

	err = simple_fill_super(sb, VMLAB_STORE_MAGIC, no_files);
	if (err)
		return err;
	sb->s_op = &vmlab_store_super_ops;
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_iflags |= SB_I_NOEXEC | SB_I_NODEV;
	return super_setup_bdi(sb);
}

static int vmlab_store_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, vmlab_store_fill_super);
}

static const struct fs_context_operations vmlab_store_context_ops = {
	.get_tree = vmlab_store_get_tree,
};

static int vmlab_store_init_fs_context(struct fs_context *fc)
{
	fc->ops = &vmlab_store_context_ops;
	return 0;
}

/*
 * The store's filesystem: no .owner, or its mount would pin the module for
 * good; it lives from load to unload, reached only through open files of
 * /dev/vmlab, which pin the module.
 */
static struct file_system_type vmlab_store_fs_type = {
	.name = "vmlab-store",
	.init_fs_context = vmlab_store_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* The store's inode: a regular file of @nr_pages pages, known to the flusher. */
static struct inode *vmlab_store_inode(struct vmlab_object *obj, pgoff_t nr_pages)
{
	struct inode *inode;

	if (vmlab_inject(VMLAB_INJECT_OBJECT_INODE))
		return NULL;
	inode = new_inode(vmlab_store_mnt->mnt_sb);
	if (!inode)
		return NULL;
	inode->i_ino = get_next_ino();
	inode->i_mode = S_IFREG | 0600;
	inode->i_mapping->a_ops = &vmlab_store_aops;
	/*
	 * A policy that may give 2 MiB folios makes the store's page cache one
	 * of large folios, as XFS's: its read-ahead may then make large
	 * folios of other orders too.
	 */
	if (VMLAB_HAVE_PMD_MAPS && vmlab_thp != VMLAB_THP_NEVER && vmlab_thp != VMLAB_THP_INHERIT)
		mapping_set_large_folios(inode->i_mapping);
	i_size_write(inode, (loff_t)nr_pages << PAGE_SHIFT);
	inode->i_private = obj;
	/*
	 * __mark_inode_dirty() queues hashed inodes only.  A real hash, which
	 * evict() takes away: a fake one (inode_fake_hash()) would stay in
	 * the shared inode cache's object and make whatever inode is next
	 * allocated there (a pipe's, say) look hashed, so never dropped.
	 */
	insert_inode_hash(inode);
	return inode;
}

/*
 * The store's contents: the user's backing file, opened read-write, or an
 * unlinked tmpfs file of the store's size.
 */
static struct file *vmlab_store_open_backing(void)
{
	struct file *file;

	if (vmlab_inject(VMLAB_INJECT_BACKING_OPEN))
		return ERR_PTR(-ENOMEM);
	if (!backing || !*backing) {
		struct vfsmount *mnt = vmlab_thp_mount(vmlab_thp);

		if (mnt)
			return shmem_file_setup_with_mnt(mnt, "vmlab-store", vmlab_store_size,
							 VM_NORESERVE);
		return vmlab_shmem_kernel_file("vmlab-store", vmlab_store_size, VM_NORESERVE);
	}

	file = filp_open(backing, O_RDWR | O_CREAT | O_LARGEFILE, 0600);
	if (PTR_ERR_OR_ZERO(file) == -EISDIR) {
		pr_err("backing file %s is not a regular file\n", backing);
		return ERR_PTR(-EINVAL);
	}
	if (IS_ERR(file)) {
		pr_err("cannot open backing file %s: %ld\n", backing, PTR_ERR(file));
		return file;
	}
	if (!S_ISREG(file_inode(file)->i_mode)) {
		pr_err("backing file %s is not a regular file\n", backing);
		goto err_close;
	}
	if (!vmlab_backing_ok(file)) {
		pr_err("backing file %s: DAX, or no page-cache read outside tmpfs\n", backing);
		goto err_close;
	}
	return file;

err_close:
	filp_close(file, NULL);
	return ERR_PTR(-EINVAL);
}

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
/*
 * Does the store's THP policy give the aligned 2 MiB at @index a huge
 * folio, for a fault at @addr in @vma?  As 6.12's tmpfs decides for its
 * files: never under MADV_NOHUGEPAGE or prctl(PR_SET_THP_DISABLE), nor
 * where the CPU cannot map a PMD or @vma could not map this 2 MiB with
 * one; always and within_size for a 2 MiB that lies within the store (the
 * only one it may hold); advise under MADV_HUGEPAGE.  inherit, and
 * shmem_enabled's deny and force, are tmpfs settings: not read here.
 *
 * Return: VMLAB_HUGE_FOLIO when it does; VMLAB_HUGE_POLICY when the
 * policy gives @vma none; else why not, for the vmlab_huge_fault event.
 */
static enum vmlab_huge_how vmlab_store_thp_allowed(struct vm_area_struct *vma,
						   unsigned long addr, pgoff_t index)
{
	switch (vmlab_thp) {
	case VMLAB_THP_ALWAYS:
	case VMLAB_THP_WITHIN_SIZE:
		break;
	case VMLAB_THP_ADVISE:
		if (vma->vm_flags & VM_HUGEPAGE)
			break;
		return VMLAB_HUGE_POLICY;
	default:
		return VMLAB_HUGE_POLICY;
	}
	if (!has_transparent_hugepage() || (vma->vm_flags & VM_NOHUGEPAGE) ||
	    test_bit(MMF_DISABLE_THP, &vma->vm_mm->flags))
		return VMLAB_HUGE_DISABLED;
	if (index + HPAGE_PMD_NR > vmlab_store->nr_pages)
		return VMLAB_HUGE_BEYOND;
	if (!vmlab_vma_pmd_suitable(vma, addr))
		return vmlab_trace_misfit(vma);
	return VMLAB_HUGE_FOLIO;
}

/**
 * vmlab_store_thp_fault() - make the store's 2 MiB folio for a fault, with
 * backing= and a THP policy that gives one
 * @vmf: a fault in a store mapping, within the store
 *
 * At the first fault in an aligned 2 MiB the policy gives a huge folio,
 * with nothing of it cached yet, a 2 MiB folio of the buddy allocator
 * joins the store's page cache there and its read from the backing file
 * starts, as read-ahead would start it; filemap_fault() then finds it.
 * When none can be had the range keeps base pages, and the kernel's
 * thp_file_fallback (and thp_file_fallback_charge, for the memory cgroup)
 * count it, as for tmpfs.  Injection point thp_alloc forces that.
 *
 * The vmlab_huge_fault event reports the first fault of each such 2 MiB
 * (none of it cached yet): the folio made, or why there is none.
 *
 * Return: VM_FAULT_MAJOR when a read started (counted in pgmajfault), else 0.
 */
vm_fault_t vmlab_store_thp_fault(struct vm_fault *vmf)
{
	struct address_space *mapping = vmlab_store->inode->i_mapping;
	pgoff_t index = round_down(vmf->pgoff, HPAGE_PMD_NR);
	loff_t start = (loff_t)index << PAGE_SHIFT;
	enum vmlab_huge_how how;
	struct folio *folio;
	gfp_t gfp;
	int err;

	how = vmlab_store_thp_allowed(vmf->vma, vmf->address, index);
	if (how == VMLAB_HUGE_POLICY)
		return 0;
	if (how != VMLAB_HUGE_FOLIO) {
		if (trace_vmlab_huge_fault_enabled() &&
		    !filemap_range_has_page(mapping, start, start + HPAGE_PMD_SIZE - 1))
			trace_vmlab_huge_fault(vmf, HPAGE_PMD_ORDER, 0, how);
		return 0;
	}
	/* A folio in the range already (a shadow of a reclaimed one is none). */
	if (filemap_range_has_page(mapping, start, start + HPAGE_PMD_SIZE - 1))
		return 0;
	/*
	 * As the THP defrag default ("madvise") allocates: direct reclaim and
	 * compaction for MADV_HUGEPAGE, none otherwise.
	 */
	gfp = vmf->vma->vm_flags & VM_HUGEPAGE ? GFP_TRANSHUGE : GFP_TRANSHUGE_LIGHT;
	how = VMLAB_HUGE_INJECTED;
	folio = NULL;
	if (!vmlab_inject(VMLAB_INJECT_THP_ALLOC)) {
		how = VMLAB_HUGE_NOMEM;
		folio = folio_alloc(gfp, HPAGE_PMD_ORDER);
	}
	if (!folio) {
		count_vm_event(THP_FILE_FALLBACK);
		trace_vmlab_huge_fault(vmf, HPAGE_PMD_ORDER, 0, how);
		return 0;
	}
	/*
	 * Charged with the same mask: no memory cgroup reclaim without
	 * MADV_HUGEPAGE, a fallback instead, as 6.12's tmpfs.  -EEXIST: a page
	 * of the range was cached meanwhile; base pages then.
	 */
	err = filemap_add_folio(mapping, folio, index, gfp);
	if (err) {
		folio_put(folio);
		if (err == -ENOMEM) {
			count_vm_event(THP_FILE_FALLBACK);
			count_vm_event(THP_FILE_FALLBACK_CHARGE);
		}
		trace_vmlab_huge_fault(vmf, HPAGE_PMD_ORDER, 0,
				       err == -ENOMEM ? VMLAB_HUGE_CHARGE : VMLAB_HUGE_RACED);
		return 0;
	}
	count_vm_event(THP_FILE_ALLOC);
	/* Locked and new: the reader unlocks it, uptodate or in error. */
	vmlab_store_read_folio(vmf->vma->vm_file, folio);
	folio_put(folio);
	count_vm_event(PGMAJFAULT);
	trace_vmlab_huge_fault(vmf, HPAGE_PMD_ORDER, VM_FAULT_MAJOR, VMLAB_HUGE_FOLIO);
	return VM_FAULT_MAJOR;
}
#else
vm_fault_t vmlab_store_thp_fault(struct vm_fault *vmf)
{
	return 0;
}
#endif

/**
 * vmlab_store_has_backing() - was the store given a backing file?
 *
 * Return: true for backing=PATH, false for the store's own tmpfs file.
 */
bool vmlab_store_has_backing(void)
{
	return backing && *backing;
}

/**
 * vmlab_store_tmpfs_file() - a file that store mappings made through
 * @file map, without backing=
 * @file: an open file of /dev/vmlab
 *
 * A new open file of the store's tmpfs inode, with the access mode and
 * credentials of @file, and tmpfs's operations but for their owner, this
 * module (vmlab_tmpfs_reopen()).  The VMAs of the store map it (vm_file),
 * not the device, because what goes by vm_file takes a VMA whose
 * vm_file->f_mapping is shmem's for one whose vm_file is a tmpfs file
 * (smaps: shmem_swap_usage() reads the shmem inode of vm_file; also
 * MADV_WILLNEED, core dumps, THP eligibility), and rmap, mincore(2) and
 * the swap-in of shmem see the same page cache as through the device
 * file, whose f_mapping it is too.  userfaultfd goes by vm_ops and still
 * refuses these VMAs.  It is
 * a file of its own rather than the store's one tmpfs file because a VMA
 * must pin the module by its file, as a device file's VMA does: the file's
 * owner reference is dropped by its last fput(), after the last VMA that
 * maps it, while the store's own file lives until unload.
 *
 * Return: the file, or an ERR_PTR (-ENOMEM).
 */
struct file *vmlab_store_tmpfs_file(struct file *file)
{
	return vmlab_tmpfs_reopen(vmlab_store->backing, file);
}

/**
 * vmlab_store_open() - point an open file of /dev/vmlab at the store
 * @file: the file, being opened
 *
 * Every open file maps and reads the store's page cache, whatever device
 * inode it was opened through; its read-ahead and write-back error state
 * follow the store's, as for a file of the store's own filesystem.
 */
void vmlab_store_open(struct file *file)
{
	file->f_mapping = vmlab_store->inode->i_mapping;
	file_ra_state_init(&file->f_ra, file->f_mapping);
	file->f_wb_err = filemap_sample_wb_err(file->f_mapping);
}

/**
 * vmlab_store_read_iter() - read(2) of the store
 * @iocb: the position
 * @to: the destination
 *
 * Return: bytes read, 0 at or beyond the end of the store, or -errno.
 */
ssize_t vmlab_store_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *tmpfs = vmlab_store->backing;
	struct kiocb kiocb;
	ssize_t ret;

	if (vmlab_store_has_backing())
		return filemap_read(iocb, to, 0);
	/*
	 * tmpfs's read (shmem has no ->read_folio for filemap_read()'s
	 * read-ahead), called directly: the reader passed /dev/vmlab's
	 * checks, and the kernel's own file needs none of vfs_iter_read()'s.
	 */
	init_sync_kiocb(&kiocb, tmpfs);
	kiocb.ki_pos = iocb->ki_pos;
	ret = tmpfs->f_op->read_iter(&kiocb, to);
	iocb->ki_pos = kiocb.ki_pos;
	return ret;
}

/*
 * The store's page at @index, uptodate, with a reference: read in from the
 * backing file, or tmpfs's (allocated and zeroed, or read back from swap).
 */
static struct folio *vmlab_store_get_folio(struct address_space *mapping, pgoff_t index,
					   struct file *file)
{
	struct page *page;

	if (vmlab_store_has_backing())
		return read_mapping_folio(mapping, index, file);
	page = shmem_read_mapping_page_gfp(mapping, index, mapping_gfp_mask(mapping));
	return IS_ERR(page) ? ERR_CAST(page) : page_folio(page);
}

/* Copy @iter into the store at iocb->ki_pos, page by page, up to the end of the store. */
static ssize_t vmlab_store_copy_in(struct kiocb *iocb, struct iov_iter *iter)
{
	struct address_space *mapping = vmlab_store->inode->i_mapping;
	loff_t size = (loff_t)vmlab_store->nr_pages << PAGE_SHIFT;
	ssize_t done = 0;

	while (iov_iter_count(iter) && iocb->ki_pos < size) {
		pgoff_t index = iocb->ki_pos >> PAGE_SHIFT;
		size_t offset = offset_in_page(iocb->ki_pos);
		size_t bytes = min_t(size_t, PAGE_SIZE - offset, iov_iter_count(iter));
		struct folio *folio;
		size_t copied;

		/* A copy of the whole store stops for a fatal signal, as filemap_read() does. */
		if (fatal_signal_pending(current))
			return done ? done : -EINTR;
		folio = vmlab_store_get_folio(mapping, index, iocb->ki_filp);
		if (IS_ERR(folio))
			return done ? done : PTR_ERR(folio);
		/* As tmpfs's write (a file system's own write does not mark its pages). */
		if (!vmlab_store_has_backing())
			folio_mark_accessed(folio);
		/* Copy unlocked: the user's buffer may be a mapping of this very page. */
		copied = copy_page_from_iter(folio_file_page(folio, index), offset, bytes, iter);
		flush_dcache_folio(folio);
		if (copied) {
			folio_lock(folio);
			/* A tmpfs page is marked dirty too, but nothing counts it. */
			if (folio->mapping == mapping && folio_mark_dirty(folio) &&
			    vmlab_store_has_backing())
				vmlab_count_add(VMLAB_CNT_PAGES_DIRTIED, folio_nr_pages(folio));
			folio_unlock(folio);
		}
		folio_put(folio);
		done += copied;
		iocb->ki_pos += copied;
		if (copied < bytes)
			return done ? done : -EFAULT;
		/* As generic_perform_write(): the dirty limits hold back the writer. */
		balance_dirty_pages_ratelimited(mapping);
		cond_resched();
	}
	return done;
}

/**
 * vmlab_store_write_iter() - write(2) of the store
 * @iocb: the position
 * @from: the source
 *
 * An appending write (O_APPEND, RWF_APPEND) starts at the end of the
 * store, as on a block device.
 *
 * Return: bytes written, or -ENOSPC when nothing fits before the end of
 * the store (always, for an appending write of one byte or more), or
 * another -errno.
 */
ssize_t vmlab_store_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	loff_t size = (loff_t)vmlab_store->nr_pages << PAGE_SHIFT;
	ssize_t ret;

	if (iocb->ki_flags & IOCB_APPEND)
		iocb->ki_pos = size;
	if (iov_iter_count(from) && iocb->ki_pos >= size)
		return -ENOSPC;
	ret = vmlab_store_copy_in(iocb, from);
	/* O_SYNC, O_DSYNC, RWF_SYNC: durable before the call returns. */
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

/*
 * The store without backing=: an unlinked tmpfs file of the store's size
 * (VM_NORESERVE: only what is written takes memory).
 */
static int vmlab_store_tmpfs_init(void)
{
	struct vmlab_object *obj;
	struct file *file;

	file = vmlab_store_open_backing();
	if (IS_ERR(file))
		return PTR_ERR(file);
	obj = vmlab_inject(VMLAB_INJECT_OBJECT_ALLOC) ? NULL : kzalloc(sizeof(*obj), GFP_KERNEL);
	if (!obj) {
		fput(file);
		return -ENOMEM;
	}
	obj->inode = file_inode(file);
	obj->type = VMLAB_SHARED;
	obj->nr_pages = vmlab_store_size >> PAGE_SHIFT;
	obj->backing = file;
	WRITE_ONCE(vmlab_store, obj);
	vmlab_object_list(obj);
	return 0;
}

/**
 * vmlab_store_init() - mount the store's filesystem, open the backing
 * file, make the store; without backing=, make its tmpfs file only
 *
 * Return: 0 or -errno (-EINVAL when the backing path is not a regular file
 * the store can read without the backing inode's lock).
 */
int vmlab_store_init(void)
{
	struct vmlab_object *obj;
	struct inode *inode;
	struct file *file;
	int err;

	if (!vmlab_store_has_backing())
		return vmlab_store_tmpfs_init();
	vmlab_read_pool = mempool_create_kmalloc_pool(VMLAB_READ_POOL_MIN,
						      sizeof(struct vmlab_read));
	if (!vmlab_read_pool)
		return -ENOMEM;
	err = -ENOMEM;
	vmlab_read_wq = alloc_workqueue("vmlab_read", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!vmlab_read_wq)
		goto err_pool;
	vmlab_write_wq = alloc_workqueue("vmlab_write", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!vmlab_write_wq)
		goto err_read_wq;
	vmlab_store_mnt = vmlab_inject(VMLAB_INJECT_FS_MOUNT) ? ERR_PTR(-ENOMEM) :
		kern_mount(&vmlab_store_fs_type);
	err = PTR_ERR_OR_ZERO(vmlab_store_mnt);
	if (err)
		goto err_write_wq;
	file = vmlab_store_open_backing();
	err = PTR_ERR_OR_ZERO(file);
	if (err)
		goto err_unmount;
	obj = vmlab_inject(VMLAB_INJECT_OBJECT_ALLOC) ? NULL : kzalloc(sizeof(*obj), GFP_KERNEL);
	err = -ENOMEM;
	if (!obj)
		goto err_close;
	inode = vmlab_store_inode(obj, vmlab_store_size >> PAGE_SHIFT);
	if (!inode)
		goto err_free;
	obj->inode = inode;
	obj->type = VMLAB_SHARED;
	obj->nr_pages = vmlab_store_size >> PAGE_SHIFT;
	obj->backing = file;
	/* Published under s_umount, as vmlab_store_exit() takes it away. */
	down_write(&vmlab_store_mnt->mnt_sb->s_umount);
	vmlab_store_mnt->mnt_sb->s_fs_info = file;
	WRITE_ONCE(vmlab_store, obj);
	up_write(&vmlab_store_mnt->mnt_sb->s_umount);
	vmlab_object_list(obj);
	return 0;

err_free:
	kfree(obj);
err_close:
	fput(file);
err_unmount:
	kern_unmount(vmlab_store_mnt);
err_write_wq:
	destroy_workqueue(vmlab_write_wq);
err_read_wq:
	destroy_workqueue(vmlab_read_wq);
err_pool:
	mempool_destroy(vmlab_read_pool);
	return err;
}

/**
 * vmlab_store_exit() - write the store back, free it, close its backing file
 *
 * Nothing maps or opens the store through vmlab any more.  Without
 * backing=, closing its tmpfs file frees its pages, unless a file opened
 * through /proc/PID/map_files (root's) still holds the inode.
 */
void vmlab_store_exit(void)
{
	struct address_space *mapping = vmlab_store->inode->i_mapping;
	struct file *file = vmlab_store->backing;
	struct super_block *sb;
	int err;

	if (!vmlab_store_has_backing()) {
		struct vmlab_object *obj = vmlab_store;

		vmlab_object_unlist(obj);
		WRITE_ONCE(vmlab_store, NULL);
		kfree(obj);
		fput(file);
		return;
	}
	sb = vmlab_store_mnt->mnt_sb;

	err = filemap_write_and_wait(mapping);
	if (!err)
		err = vfs_fsync(file, 0);
	if (err)
		pr_err("final write-back of the store failed: %d\n", err);
	/*
	 * The last reference: the inode, its pages and the object go, under
	 * s_umount, which sync(2) holds while ->sync_fs reads vmlab_store.
	 */
	down_write(&sb->s_umount);
	iput(vmlab_store->inode);
	WRITE_ONCE(vmlab_store, NULL);
	up_write(&sb->s_umount);
	/* After the reads still queued, and sync_fs, which uses the backing file. */
	destroy_workqueue(vmlab_read_wq);
	destroy_workqueue(vmlab_write_wq);
	mempool_destroy(vmlab_read_pool);
	kern_unmount(vmlab_store_mnt);
	fput(file);
}
