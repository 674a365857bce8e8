// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab's objects: page-cache objects on a pseudo filesystem of vmlab's own.
 *
 * The store and every shared anonymous object is an inode of this
 * filesystem.  Its pages live in the inode's page cache, so the core's rmap
 * finds every mapping of a page (write-back re-arms write faults through it)
 * and ->map_pages can be filemap_map_pages(), as for any file.  The pages
 * are unevictable, as on ramfs: without a backing file nothing could bring
 * a reclaimed page back.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/writeback.h>

#include "compat.h"
#include "vmlab.h"

#define VMLAB_FS_MAGIC	0x766d6c62	/* "vmlb" */

LIST_HEAD(vmlab_objects);
DEFINE_SPINLOCK(vmlab_objects_lock);	/* protects vmlab_objects */

static struct vfsmount *vmlab_mnt;
static atomic64_t vmlab_next_object_id = ATOMIC64_INIT(0);

/* The pages of an object: dirty tracking in the page cache's tags. */
static const struct address_space_operations vmlab_object_aops = {
	.dirty_folio = filemap_dirty_folio,
	.migrate_folio = filemap_migrate_folio,
};

/* The file of a shared anonymous object, which its VMAs hold. */
static const struct file_operations vmlab_object_fops = {
	.owner = THIS_MODULE,
	.fsync = noop_fsync,
	.llseek = noop_llseek,
};

static void vmlab_evict_inode(struct inode *inode)
{
	struct vmlab_object *obj = inode->i_private;

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (!obj)
		return;
	spin_lock(&vmlab_objects_lock);
	list_del(&obj->node);
	spin_unlock(&vmlab_objects_lock);
	if (obj->type == VMLAB_SHARED_ANON)
		vmlab_uncount(VMLAB_CNT_OBJECTS_LIVE);
	kfree(obj);
}

static const struct super_operations vmlab_super_ops = {
	.statfs = simple_statfs,
	.evict_inode = vmlab_evict_inode,
};

static int vmlab_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, VMLAB_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->ops = &vmlab_super_ops;
	fc->s_iflags |= SB_I_NOEXEC;
	return 0;
}

/*
 * No .owner: the superblock would pin the module, which could then never
 * be unloaded.  The mount lives exactly as long as the module.
 */
static struct file_system_type vmlab_fs_type = {
	.name = "vmlab",
	.init_fs_context = vmlab_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * vmlab_object_create() - make a new, empty object
 * @type: VMLAB_SHARED for the store, VMLAB_SHARED_ANON for an anonymous object
 * @nr_pages: its size in pages
 * @backing: the store's backing file, or NULL; the object does not take a reference
 *
 * Return: the object, holding one reference to its inode, or an ERR_PTR.
 */
struct vmlab_object *vmlab_object_create(enum vmlab_type type, pgoff_t nr_pages,
					 struct file *backing)
{
	struct vmlab_object *obj;
	struct inode *inode;

	obj = vmlab_inject(VMLAB_INJECT_OBJECT_ALLOC) ? NULL : kzalloc(sizeof(*obj), GFP_KERNEL);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	inode = vmlab_inject(VMLAB_INJECT_OBJECT_INODE) ? ERR_PTR(-ENOMEM) :
		alloc_anon_inode(vmlab_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		kfree(obj);
		return ERR_CAST(inode);
	}
	inode->i_mapping->a_ops = &vmlab_object_aops;
	mapping_set_unevictable(inode->i_mapping);
	i_size_write(inode, (loff_t)nr_pages << PAGE_SHIFT);
	inode->i_private = obj;

	obj->inode = inode;
	obj->type = type;
	obj->nr_pages = nr_pages;
	obj->backing = backing;
	obj->id = atomic64_inc_return(&vmlab_next_object_id) - 1;
	spin_lock(&vmlab_objects_lock);
	list_add_tail(&obj->node, &vmlab_objects);
	spin_unlock(&vmlab_objects_lock);
	if (type == VMLAB_SHARED_ANON)
		vmlab_count(VMLAB_CNT_OBJECTS_LIVE);
	return obj;
}

/**
 * vmlab_object_put() - drop the reference vmlab_object_create() returned
 * @obj: the object; freed with its pages when nothing else holds its inode
 */
void vmlab_object_put(struct vmlab_object *obj)
{
	iput(obj->inode);
}

/**
 * vmlab_object_file() - a file of @obj, for a VMA to map it through
 * @obj: the object; its reference passes to the file on success
 *
 * Return: the file, or an ERR_PTR; on failure the caller keeps its reference.
 */
struct file *vmlab_object_file(struct vmlab_object *obj)
{
	struct file *file;

	/* A file's last fput() drops a reference to its f_op->owner. */
	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENODEV);
	file = vmlab_inject(VMLAB_INJECT_OBJECT_FILE) ? ERR_PTR(-ENOMEM) :
		alloc_file_pseudo(obj->inode, vmlab_mnt, "vmlab-anon", O_RDWR, &vmlab_object_fops);
	if (IS_ERR(file))
		module_put(THIS_MODULE);
	return file;
}

/**
 * vmlab_dax_file() - a file of a new, empty inode of vmlab's filesystem,
 * S_DAX where the kernel needs it (see vmlab_huge_needs_dax())
 * @name: the name /proc/PID/maps shows for mappings of the file
 * @fops: the file's operations; their owner must be this module
 *
 * The huge kind's VMAs map such a file instead of the device: on kernels
 * before 6.7, S_DAX makes the core offer ->huge_fault to their VM_MIXEDMAP
 * VMAs, and it stays off the device inode that the other kinds map.  The
 * inode never has pages of its own.
 *
 * Return: the file, or an ERR_PTR.
 */
struct file *vmlab_dax_file(const char *name, const struct file_operations *fops)
{
	struct inode *inode;
	struct file *file;

	inode = vmlab_inject(VMLAB_INJECT_DAX_INODE) ? ERR_PTR(-ENOMEM) :
		alloc_anon_inode(vmlab_mnt->mnt_sb);
	if (IS_ERR(inode))
		return ERR_CAST(inode);
	if (vmlab_huge_needs_dax())
		inode->i_flags |= S_DAX;
	/* A file's last fput() drops a reference to its f_op->owner. */
	if (!try_module_get(THIS_MODULE)) {
		file = ERR_PTR(-ENODEV);
		goto err_iput;
	}
	file = vmlab_inject(VMLAB_INJECT_DAX_FILE) ? ERR_PTR(-ENOMEM) :
		alloc_file_pseudo(inode, vmlab_mnt, name, O_RDWR, fops);
	if (IS_ERR(file))
		goto err_module_put;
	return file;

err_module_put:
	module_put(THIS_MODULE);
err_iput:
	iput(inode);
	return file;
}

/* Fill a new folio: from the backing file for the store, else with zeroes. */
static int vmlab_object_fill(struct vmlab_object *obj, struct folio *folio, pgoff_t index)
{
	if (obj->backing)
		return vmlab_store_read_page(obj, folio, index);
	folio_zero_range(folio, 0, folio_size(folio));
	return 0;
}

/**
 * vmlab_object_get_folio() - the page of @obj at @index, made on first use
 * @obj: the object
 * @index: page index, below obj->nr_pages
 *
 * A missing page is allocated and filled (zeroes, or the backing file's
 * bytes) and added to the object's page cache; concurrent callers for the
 * same index all get the one page that made it into the cache.
 *
 * Return: the folio, locked, with a reference for the caller; or ERR_PTR
 * (-ENOMEM, or -EIO when the backing file cannot be read).
 */
struct folio *vmlab_object_get_folio(struct vmlab_object *obj, pgoff_t index)
{
	struct address_space *mapping = obj->inode->i_mapping;
	gfp_t gfp = mapping_gfp_mask(mapping);
	struct folio *folio;
	int err;

	for (;;) {
		folio = vmlab_lock_folio(mapping, index);
		if (folio)
			return folio;

		folio = vmlab_inject(VMLAB_INJECT_PAGE_ALLOC) ? NULL : filemap_alloc_folio(gfp, 0);
		if (!folio)
			return ERR_PTR(-ENOMEM);
		err = vmlab_object_fill(obj, folio, index);
		if (err)
			goto err_put;
		__folio_mark_uptodate(folio);
		err = vmlab_inject(VMLAB_INJECT_PAGE_CACHE_ADD) ? -ENOMEM :
			filemap_add_folio(mapping, folio, index, gfp);
		if (!err)
			break;
		folio_put(folio);
		if (err != -EEXIST)
			return ERR_PTR(err);
		/* Another task added this page first: take theirs. */
	}
	vmlab_count(VMLAB_CNT_PAGES_ALLOCATED);
	return folio;

err_put:
	folio_put(folio);
	return ERR_PTR(err);
}

/**
 * vmlab_object_dirty_pages() - how many pages of @obj are dirty now
 * @obj: the object
 *
 * Return: the number of pages tagged dirty in its page cache.
 */
unsigned long vmlab_object_dirty_pages(struct vmlab_object *obj)
{
	XA_STATE(xas, &obj->inode->i_mapping->i_pages, 0);
	unsigned long n = 0;
	void *entry;

	rcu_read_lock();
	xas_for_each_marked(&xas, entry, ULONG_MAX, PAGECACHE_TAG_DIRTY) {
		if (xas_retry(&xas, entry))
			continue;
		n++;
	}
	rcu_read_unlock();
	return n;
}

/**
 * vmlab_objects_init() - mount vmlab's pseudo filesystem
 *
 * Return: 0 or -errno.
 */
int vmlab_objects_init(void)
{
	vmlab_mnt = vmlab_inject(VMLAB_INJECT_FS_MOUNT) ? ERR_PTR(-ENOMEM) :
		kern_mount(&vmlab_fs_type);
	return PTR_ERR_OR_ZERO(vmlab_mnt);
}

/**
 * vmlab_objects_exit() - unmount vmlab's pseudo filesystem
 *
 * Every object must be gone by now.
 */
void vmlab_objects_exit(void)
{
	kern_unmount(vmlab_mnt);
}
