// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab's objects: page-cache objects on pseudo filesystems of vmlab's own.
 *
 * The store and every shared anonymous object is an inode whose pages live
 * in its page cache, so the core's rmap finds every mapping of a page
 * (write-back re-arms write faults through it) and ->map_pages can be
 * filemap_map_pages(), as for any file.  The pages are unevictable, as on
 * ramfs: without a backing file nothing could bring a reclaimed page back.
 *
 * Lifetime.  The store lives from load to unload on a mount of its own
 * (vmlab_store_fs_type, no owner), made at load and gone at unload: only
 * the open files of /dev/vmlab reach it, and they pin the module.
 * Everything else (shared anonymous objects, the empty inodes private
 * anonymous mappings map, the huge kind's files) is an inode of
 * vmlab_fs_type, whose owner is this module, reached only through files:
 * each file holds its mount, the mount its superblock, the superblock the
 * module.  The last fput() of such a file evicts the inode before it drops
 * the mount, so the module stays until its own code there has run.  Every
 * open file of /dev/vmlab pins the mount (simple_pin_fs()), so mmap(2) never
 * mounts; all mounts share one superblock (get_tree_single()); with no file
 * left the superblock goes and the module can be unloaded.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/writeback.h>

#include "compat.h"
#include "vmlab.h"

#define VMLAB_FS_MAGIC	0x766d6c62	/* "vmlb" */

LIST_HEAD(vmlab_objects);
DEFINE_MUTEX(vmlab_objects_lock);	/* protects vmlab_objects */

/* The store's mount, from load to unload. */
static struct vfsmount *vmlab_store_mnt;
/* The objects' mount while pinned, and how many pin it; under simple_pin_fs()'s lock. */
static struct vfsmount *vmlab_pin_mnt;
static int vmlab_pin_count;
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

/*
 * Charge @nr_pages of @obj to the caller's user against RLIMIT_MEMLOCK, as
 * the kernel charges memory it cannot reclaim (SHM_LOCK, io_uring buffers);
 * a task with CAP_IPC_LOCK may go beyond.  Returns 0 or -EAGAIN, mmap(2)'s
 * errno for "too much memory locked".
 */
static int vmlab_object_charge(struct vmlab_object *obj, unsigned long nr_pages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	struct user_struct *user = current_user();
	long cur = atomic_long_read(&user->locked_vm);

	do {
		if (cur + nr_pages > limit && !capable(CAP_IPC_LOCK))
			return -EAGAIN;
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, cur + nr_pages));
	obj->user = get_uid(user);
	obj->nr_locked = nr_pages;
	return 0;
}

/* Give back what vmlab_object_charge() took, if anything. */
static void vmlab_object_uncharge(struct vmlab_object *obj)
{
	if (!obj->user)
		return;
	atomic_long_sub(obj->nr_locked, &obj->user->locked_vm);
	free_uid(obj->user);
	obj->user = NULL;
}

static void vmlab_evict_inode(struct inode *inode)
{
	struct vmlab_object *obj = inode->i_private;

	/* Unlisted first: debugfs never shows an object half gone. */
	if (obj && obj->type != VMLAB_PRIVATE_ANON) {
		mutex_lock(&vmlab_objects_lock);
		list_del(&obj->node);
		mutex_unlock(&vmlab_objects_lock);
	}
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (!obj)
		return;
	if (obj->type == VMLAB_SHARED_ANON)
		vmlab_uncount(VMLAB_CNT_OBJECTS_LIVE);
	vmlab_object_uncharge(obj);
	kfree(obj);
}

static const struct super_operations vmlab_super_ops = {
	.statfs = simple_statfs,
	.evict_inode = vmlab_evict_inode,
};

/* The objects' superblock: a root and nothing else; its inodes are made unlinked. */
static int vmlab_fs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	static const struct tree_descr no_files[] = { { "" } };
	int err;

	err = simple_fill_super(sb, VMLAB_FS_MAGIC, no_files);
	if (!err)
		sb->s_op = &vmlab_super_ops;
	return err;
}

/* Every mount of vmlab_fs_type shares the one live superblock. */
static int vmlab_fs_get_tree(struct fs_context *fc)
{
	return get_tree_single(fc, vmlab_fs_fill_super);
}

static const struct fs_context_operations vmlab_fs_context_ops = {
	.get_tree = vmlab_fs_get_tree,
};

static int vmlab_fs_init_fs_context(struct fs_context *fc)
{
	fc->ops = &vmlab_fs_context_ops;
	fc->global = true;
	fc->s_iflags |= SB_I_NOEXEC;
	return 0;
}

static int vmlab_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, VMLAB_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->ops = &vmlab_super_ops;
	fc->s_iflags |= SB_I_NOEXEC;
	return 0;
}

/* The store's filesystem: no .owner, or its mount would pin the module for good. */
static struct file_system_type vmlab_store_fs_type = {
	.name = "vmlab-store",
	.init_fs_context = vmlab_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* Everything reached through files: the superblock pins the module. */
static struct file_system_type vmlab_fs_type = {
	.owner = THIS_MODULE,
	.name = "vmlab",
	.init_fs_context = vmlab_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * vmlab_fs_pin() - pin the objects' mount, for an open file of /dev/vmlab
 *
 * Return: 0 or -errno.
 */
int vmlab_fs_pin(void)
{
	if (vmlab_inject(VMLAB_INJECT_FS_MOUNT))
		return -ENOMEM;
	return simple_pin_fs(&vmlab_fs_type, &vmlab_pin_mnt, &vmlab_pin_count);
}

/**
 * vmlab_fs_unpin() - drop the pin of vmlab_fs_pin(), at the release of the file
 */
void vmlab_fs_unpin(void)
{
	simple_release_fs(&vmlab_pin_mnt, &vmlab_pin_count);
}

/* A new inode of vmlab_fs_type; the caller's open file holds a pin. */
static struct inode *vmlab_fs_inode(enum vmlab_inject_point point)
{
	if (vmlab_inject(point))
		return ERR_PTR(-ENOMEM);
	return alloc_anon_inode(vmlab_pin_mnt->mnt_sb);
}

/*
 * A file of @inode (an inode of vmlab_fs_type) with
 * @fops, whose owner must be this module; on failure the caller keeps its
 * inode reference.
 */
static struct file *vmlab_fs_file(struct inode *inode, const char *name,
				  const struct file_operations *fops,
				  enum vmlab_inject_point point)
{
	struct file *file;

	/* __fput() drops a reference to f_op->owner; alloc_file_pseudo() takes none. */
	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENODEV);
	file = vmlab_inject(point) ? ERR_PTR(-ENOMEM) :
		alloc_file_pseudo(inode, vmlab_pin_mnt, name, O_RDWR, fops);
	if (IS_ERR(file))
		module_put(THIS_MODULE);
	return file;
}

/* Initialise @inode as the home of @obj and list @obj. */
static void vmlab_object_init(struct vmlab_object *obj, struct inode *inode,
			      enum vmlab_type type, pgoff_t nr_pages, struct file *backing)
{
	inode->i_mapping->a_ops = &vmlab_object_aops;
	mapping_set_unevictable(inode->i_mapping);
	i_size_write(inode, (loff_t)nr_pages << PAGE_SHIFT);
	inode->i_private = obj;

	obj->inode = inode;
	obj->type = type;
	obj->nr_pages = nr_pages;
	obj->backing = backing;
	if (type == VMLAB_PRIVATE_ANON)
		return;
	obj->id = atomic64_inc_return(&vmlab_next_object_id) - 1;
	mutex_lock(&vmlab_objects_lock);
	list_add_tail(&obj->node, &vmlab_objects);
	mutex_unlock(&vmlab_objects_lock);
	if (type == VMLAB_SHARED_ANON)
		vmlab_count(VMLAB_CNT_OBJECTS_LIVE);
}

/**
 * vmlab_store_create() - make the store: an empty object of the store's mount
 * @nr_pages: its size in pages
 * @backing: the backing file, or NULL; the object does not take a reference
 *
 * Return: the object, holding one reference to its inode, or an ERR_PTR.
 */
struct vmlab_object *vmlab_store_create(pgoff_t nr_pages, struct file *backing)
{
	struct vmlab_object *obj;
	struct inode *inode;

	obj = vmlab_inject(VMLAB_INJECT_OBJECT_ALLOC) ? NULL : kzalloc(sizeof(*obj), GFP_KERNEL);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	inode = vmlab_inject(VMLAB_INJECT_OBJECT_INODE) ? ERR_PTR(-ENOMEM) :
		alloc_anon_inode(vmlab_store_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		kfree(obj);
		return ERR_CAST(inode);
	}
	vmlab_object_init(obj, inode, VMLAB_SHARED, nr_pages, backing);
	return obj;
}

/**
 * vmlab_object_put() - drop the reference vmlab_store_create() returned
 * @obj: the object; freed with its pages when nothing else holds its inode
 */
void vmlab_object_put(struct vmlab_object *obj)
{
	iput(obj->inode);
}

/**
 * vmlab_object_file() - a new anonymous object and the file VMAs map it by
 * @type: VMLAB_SHARED_ANON for a shared anonymous object, VMLAB_PRIVATE_ANON
 *	for the empty object a private anonymous mapping maps: its page cache
 *	stays empty, so mincore(2) and rmap see nothing of the store there
 * @nr_pages: the object's size in pages
 * @charge: pages to charge to the caller's RLIMIT_MEMLOCK while the object lives
 *
 * The object lives as long as the file and the VMAs that map it.  The
 * caller's open file of /dev/vmlab holds a pin (vmlab_fs_pin()).
 *
 * Return: the file, or an ERR_PTR (-ENOMEM, -EAGAIN over RLIMIT_MEMLOCK).
 */
struct file *vmlab_object_file(enum vmlab_type type, pgoff_t nr_pages, unsigned long charge)
{
	struct vmlab_object *obj;
	struct inode *inode;
	struct file *file;
	int err;

	obj = vmlab_inject(VMLAB_INJECT_OBJECT_ALLOC) ? NULL :
		kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	err = charge ? vmlab_object_charge(obj, charge) : 0;
	if (err)
		goto err_free;
	inode = vmlab_fs_inode(VMLAB_INJECT_OBJECT_INODE);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto err_uncharge;
	}
	/* From here on the inode owns @obj: evicting it frees and uncharges. */
	vmlab_object_init(obj, inode, type, nr_pages, NULL);
	file = vmlab_fs_file(inode, "vmlab-anon", &vmlab_object_fops, VMLAB_INJECT_OBJECT_FILE);
	if (IS_ERR(file))
		iput(inode);
	return file;

err_uncharge:
	vmlab_object_uncharge(obj);
err_free:
	kfree(obj);
	return ERR_PTR(err);
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

	inode = vmlab_fs_inode(VMLAB_INJECT_DAX_INODE);
	if (IS_ERR(inode))
		return ERR_CAST(inode);
	if (vmlab_huge_needs_dax())
		inode->i_flags |= S_DAX;
	file = vmlab_fs_file(inode, name, fops, VMLAB_INJECT_DAX_FILE);
	if (IS_ERR(file))
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
 * May sleep.
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
		/* A large store: no long RCU section, as filemap's own walks. */
		if (need_resched()) {
			xas_pause(&xas);
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
	return n;
}

/**
 * vmlab_objects_init() - mount the store's filesystem
 *
 * Return: 0 or -errno.
 */
int vmlab_objects_init(void)
{
	vmlab_store_mnt = vmlab_inject(VMLAB_INJECT_FS_MOUNT) ? ERR_PTR(-ENOMEM) :
		kern_mount(&vmlab_store_fs_type);
	return PTR_ERR_OR_ZERO(vmlab_store_mnt);
}

/**
 * vmlab_objects_exit() - unmount the store's filesystem
 *
 * The store must be gone by now; the objects' filesystem went with its
 * last file.
 */
void vmlab_objects_exit(void)
{
	kern_unmount(vmlab_store_mnt);
}
