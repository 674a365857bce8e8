// SPDX-License-Identifier: GPL-2.0
/*
 * The store: the device's byte array, its optional backing file, read(2)
 * and write(2) on it, and the write-back of its dirty pages.
 *
 * Write-back, like a filesystem's ->writepage, takes each dirty page's
 * lock, write-protects every shared mapping of it (so that the next write
 * through a mapping calls ->page_mkwrite again), clears its dirty bit, marks
 * it under write-back and unlocks it; only then does it write the page to
 * the backing file.  Without a backing file only the writing is skipped.
 *
 * No I/O of the backing file happens under the lock of a store page: a
 * write(2) to the backing file holds the backing inode's lock while it
 * faults in its source buffer, which may be a mapping of the store, and
 * that fault takes the store page's lock.  For the same reason a new page
 * is read from the backing file before it enters the store's page cache,
 * and through the backing file's own page cache (->read_folio takes no
 * inode lock) when it has one; tmpfs has none, and its ->read_iter takes
 * no inode lock either.
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/magic.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/rmap.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "vmlab.h"

unsigned long vmlab_store_size = 64UL << 20;
static char *backing;
unsigned int vmlab_writeback_centisecs = 500;

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
MODULE_PARM_DESC(store_size,
		 "Size of the store in bytes, a multiple of the page size; K, M and G suffixes (default 64M)");
module_param(backing, charp, 0444);
MODULE_PARM_DESC(backing,
		 "Regular file holding the store's contents (created when missing); default: none, the store lives in memory");
module_param_named(writeback_centisecs, vmlab_writeback_centisecs, uint, 0444);
MODULE_PARM_DESC(writeback_centisecs,
		 "Interval of the periodic write-back of dirty store pages, in 1/100 s; 0 turns it off (default 500)");

struct vmlab_object *vmlab_store;
static DEFINE_MUTEX(vmlab_writeback_lock);	/* one write-back pass at a time */
static void vmlab_writeback_workfn(struct work_struct *work);
static DECLARE_DELAYED_WORK(vmlab_writeback_work, vmlab_writeback_workfn);

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

/**
 * vmlab_store_read_page() - fill a new page of the store from the backing file
 * @obj: the store
 * @folio: a new, unlocked single-page folio, not yet in the store's page cache
 * @index: the page's index
 *
 * Bytes beyond the end of the backing file read as zeroes.  The caller
 * holds no lock of a store page.
 *
 * Return: 0, or -EIO.
 */
int vmlab_store_read_page(struct vmlab_object *obj, struct folio *folio, pgoff_t index)
{
	loff_t pos = (loff_t)index << PAGE_SHIFT;
	void *kaddr = kmap_local_folio(folio, 0);
	ssize_t n;

	n = vmlab_inject(VMLAB_INJECT_BACKING_READ) ? -EIO :
		vmlab_backing_read(obj->backing, kaddr, pos);
	if (n < 0) {
		kunmap_local(kaddr);
		vmlab_count(VMLAB_CNT_BACKING_ERRORS);
		return -EIO;
	}
	memset(kaddr + n, 0, PAGE_SIZE - n);
	kunmap_local(kaddr);
	vmlab_count(VMLAB_CNT_BACKING_READS);
	return 0;
}

/* Write one folio of the store under write-back, unlocked, to the backing file. */
static int vmlab_store_write_page(struct folio *folio)
{
	loff_t pos = folio_pos(folio);
	void *kaddr;
	ssize_t n;

	if (!vmlab_store->backing)
		return 0;
	kaddr = kmap_local_folio(folio, 0);
	n = vmlab_inject(VMLAB_INJECT_BACKING_WRITE) ? -EIO :
		kernel_write(vmlab_store->backing, kaddr, PAGE_SIZE, &pos);
	kunmap_local(kaddr);
	if (n == PAGE_SIZE)
		return 0;
	vmlab_count(VMLAB_CNT_BACKING_ERRORS);
	return n < 0 ? n : -EIO;
}

/*
 * Clean one dirty folio of the store; called with the folio locked, returns
 * with it unlocked.  A write to the page during the I/O dirties it again.
 */
static int vmlab_store_clean_folio(struct folio *folio)
{
	int rearmed, err;

	/* Write-protect the shared mappings first: a write now faults and waits for our lock. */
	rearmed = folio_mkclean(folio);
	vmlab_count_add(VMLAB_CNT_WP_REARMS, rearmed);
	if (!folio_clear_dirty_for_io(folio)) {
		folio_unlock(folio);
		return 0;
	}
	/* Start and end write-back: that clears the page cache's dirty tag. */
	folio_start_writeback(folio);
	folio_unlock(folio);
	err = vmlab_store_write_page(folio);
	/*
	 * Redirtied without the lock: under write-back the folio can be
	 * neither truncated nor migrated, and migration takes the lock before
	 * it waits for write-back to end.
	 */
	if (err)
		folio_mark_dirty(folio);
	else
		vmlab_count(VMLAB_CNT_PAGES_WRITTEN_BACK);
	folio_end_writeback(folio);
	return err;
}

/**
 * vmlab_store_writeback() - write every dirty page of the store back, now
 *
 * Return: 0, or the first error of the backing file; pages that failed stay dirty.
 */
int vmlab_store_writeback(void)
{
	struct address_space *mapping = vmlab_store->inode->i_mapping;
	struct folio_batch fbatch;
	pgoff_t index = 0;
	int err = 0, ret;
	unsigned int i;

	mutex_lock(&vmlab_writeback_lock);
	vmlab_count(VMLAB_CNT_WRITEBACK_RUNS);
	folio_batch_init(&fbatch);
	while (filemap_get_folios_tag(mapping, &index, (pgoff_t)-1, PAGECACHE_TAG_DIRTY,
				      &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			folio_lock(folio);
			if (folio->mapping != mapping || !folio_test_dirty(folio)) {
				folio_unlock(folio);
				continue;
			}
			ret = vmlab_store_clean_folio(folio);
			if (ret && !err)
				err = ret;
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	if (vmlab_store->backing) {
		ret = vfs_fsync(vmlab_store->backing, 0);
		if (ret && !err)
			err = ret;
	}
	mutex_unlock(&vmlab_writeback_lock);
	return err;
}

static void vmlab_writeback_workfn(struct work_struct *work)
{
	vmlab_store_writeback();
	schedule_delayed_work(&vmlab_writeback_work,
			      msecs_to_jiffies(vmlab_writeback_centisecs * 10));
}

/*
 * Copy between the store and @iter from iocb->ki_pos on, page by page, up
 * to the end of the store; a write marks each page it changed dirty.
 */
static ssize_t vmlab_store_copy(struct kiocb *iocb, struct iov_iter *iter, bool write)
{
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
		folio = vmlab_object_get_folio(vmlab_store, index);
		if (IS_ERR(folio))
			return done ? done : PTR_ERR(folio);
		/* Copy unlocked: the user's buffer may be a mapping of this very page. */
		folio_unlock(folio);
		if (write) {
			copied = copy_page_from_iter(folio_page(folio, 0), offset, bytes, iter);
			folio_lock(folio);
			if (copied && folio_mark_dirty(folio))
				vmlab_count(VMLAB_CNT_PAGES_DIRTIED);
			folio_unlock(folio);
		} else {
			copied = copy_page_to_iter(folio_page(folio, 0), offset, bytes, iter);
		}
		folio_put(folio);
		done += copied;
		iocb->ki_pos += copied;
		if (copied < bytes)
			return done ? done : -EFAULT;
		cond_resched();
	}
	return done;
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
	return vmlab_store_copy(iocb, to, false);
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

	if (iocb->ki_flags & IOCB_APPEND)
		iocb->ki_pos = size;
	if (iov_iter_count(from) && iocb->ki_pos >= size)
		return -ENOSPC;
	return vmlab_store_copy(iocb, from, true);
}

/**
 * vmlab_store_init() - create the store and open its backing file
 *
 * Return: 0 or -errno (-EINVAL when the backing path is not a regular file).
 */
int vmlab_store_init(void)
{
	struct file *file = NULL;
	int err;

	if (backing && *backing) {
		file = vmlab_inject(VMLAB_INJECT_BACKING_OPEN) ? ERR_PTR(-ENOMEM) :
			filp_open(backing, O_RDWR | O_CREAT | O_LARGEFILE, 0600);
		if (PTR_ERR_OR_ZERO(file) == -EISDIR) {
			pr_err("backing file %s is not a regular file\n", backing);
			return -EINVAL;
		}
		if (IS_ERR(file)) {
			pr_err("cannot open backing file %s: %ld\n", backing, PTR_ERR(file));
			return PTR_ERR(file);
		}
		if (!S_ISREG(file_inode(file)->i_mode)) {
			pr_err("backing file %s is not a regular file\n", backing);
			err = -EINVAL;
			goto err_close;
		}
		if (!vmlab_backing_ok(file)) {
			pr_err("backing file %s: DAX, or no page-cache read outside tmpfs\n",
			       backing);
			err = -EINVAL;
			goto err_close;
		}
	}
	vmlab_store = vmlab_store_create(vmlab_store_size >> PAGE_SHIFT, file);
	if (IS_ERR(vmlab_store)) {
		err = PTR_ERR(vmlab_store);
		goto err_close;
	}
	if (vmlab_writeback_centisecs)
		schedule_delayed_work(&vmlab_writeback_work,
				      msecs_to_jiffies(vmlab_writeback_centisecs * 10));
	return 0;

err_close:
	if (file)
		filp_close(file, NULL);
	return err;
}

/**
 * vmlab_store_exit() - write the store back, close its backing file, free it
 *
 * Nothing maps or opens the store any more.
 */
void vmlab_store_exit(void)
{
	struct file *file = vmlab_store->backing;
	int err;

	cancel_delayed_work_sync(&vmlab_writeback_work);
	err = vmlab_store_writeback();
	if (err)
		pr_err("final write-back of the store failed: %d\n", err);
	vmlab_object_put(vmlab_store);
	vmlab_store = NULL;
	if (file)
		filp_close(file, NULL);
}
