// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab's objects: the shared anonymous objects, the empty objects private
 * anonymous mappings map, and the files of the huge kind.  (The store is
 * in store.c.)
 *
 * A shared anonymous object keeps its pages where the kernel keeps those of
 * MAP_SHARED|MAP_ANONYMOUS: an unlinked file of the kernel's internal tmpfs
 * mount (or of vmlab's tmpfs mount of its THP policy, thp.c), which its
 * VMAs map (vm_file), so they sit in that file's reverse
 * map and its pages are tmpfs's own: swap-backed, reclaimed to swap,
 * charged as tmpfs charges them; smaps and mincore(2) see a tmpfs file.
 * Only the file's operations differ: a copy of tmpfs's own whose owner is
 * this module and whose ->release frees vmlab's object, so every VMA, by
 * its file, pins the module as a device file does; tmpfs's ->mmap sets
 * each VMA up, and vmlab's ->fault calls tmpfs's for each page (see
 * vmlab_tmpfs_mmap()).  The store without a backing file
 * is a tmpfs file too (store.c), mapped the same way through files of
 * vmlab_tmpfs_reopen(), one per open file of the device.
 *
 * The empty objects and the huge kind's files are inodes of a pseudo
 * filesystem of vmlab's own, vmlab_fs_type, whose owner is this module,
 * reached only through files: each file holds its mount, the mount its
 * superblock, the superblock the module.  The last fput() of such a file
 * evicts the inode before it drops the mount, so the module stays until
 * its own code there has run.  Every open file of /dev/vmlab pins the
 * mount (simple_pin_fs()), so mmap(2) never mounts; all mounts share one
 * superblock (get_tree_single()); with no file left the superblock goes
 * and the module can be unloaded.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "compat.h"
#include "vmlab.h"

#define VMLAB_FS_MAGIC	0x766d6c62	/* "vmlb" */

LIST_HEAD(vmlab_objects);
DEFINE_MUTEX(vmlab_objects_lock);	/* protects vmlab_objects */

/* The objects' mount while pinned, and how many pin it; under simple_pin_fs()'s lock. */
static struct vfsmount *vmlab_pin_mnt;
static int vmlab_pin_count;
static atomic64_t vmlab_next_object_id = ATOMIC64_INIT(0);

/* The files the empty objects are mapped through. */
static const struct file_operations vmlab_object_fops = {
	.owner = THIS_MODULE,
	.fsync = noop_fsync,
	.llseek = noop_llseek,
};

/*
 * The operations of a shared anonymous object's tmpfs file: tmpfs's own,
 * copied at load (vmlab_objects_init()), with this module as owner and
 * vmlab_shared_anon_release() as ->release.  Read-only after load.
 */
static struct file_operations vmlab_shared_anon_fops __ro_after_init;

/*
 * The operations of the files of vmlab_tmpfs_reopen(): tmpfs's own, copied
 * at load, with this module as owner.  Read-only after load.
 */
static struct file_operations vmlab_tmpfs_fops __ro_after_init;

/*
 * tmpfs's ->mmap, saved from its file operations at load; and its ->fault,
 * from the vm_operations that ->mmap gives a VMA (see vmlab_tmpfs_mmap()).
 * The same function for every VMA, of every kernel build: written at each
 * mmap(2) with the value it already has, read by faults of VMAs it was
 * written for.
 */
static int (*vmlab_shmem_mmap)(struct file *file, struct vm_area_struct *vma) __ro_after_init;
static vm_fault_t (*vmlab_shmem_fault)(struct vm_fault *vmf);

/* tmpfs's ->get_unmapped_area, saved from its file operations at load. */
static unsigned long (*vmlab_shmem_unmapped_area)(struct file *file, unsigned long addr,
						  unsigned long len, unsigned long pgoff,
						  unsigned long flags) __ro_after_init;

/* The last reference to a shared anonymous object's file is gone: free the object. */
static int vmlab_shared_anon_release(struct inode *inode, struct file *file)
{
	struct vmlab_object *obj = file->private_data;

	vmlab_object_unlist(obj);
	vmlab_uncount(VMLAB_CNT_OBJECTS_LIVE);
	kfree(obj);
	return 0;
}

/**
 * vmlab_object_list() - number @obj and list it for debugfs
 * @obj: an object whose fields are all set
 */
void vmlab_object_list(struct vmlab_object *obj)
{
	obj->id = atomic64_inc_return(&vmlab_next_object_id) - 1;
	mutex_lock(&vmlab_objects_lock);
	list_add_tail(&obj->node, &vmlab_objects);
	mutex_unlock(&vmlab_objects_lock);
}

/**
 * vmlab_object_unlist() - take @obj off the list of vmlab_object_list()
 * @obj: the object, before it is torn down: debugfs never shows it half gone
 */
void vmlab_object_unlist(struct vmlab_object *obj)
{
	mutex_lock(&vmlab_objects_lock);
	list_del(&obj->node);
	mutex_unlock(&vmlab_objects_lock);
}

/* An empty object's inode (or a huge-kind file's, with no object) goes. */
static void vmlab_evict_inode(struct inode *inode)
{
	struct vmlab_object *obj = inode->i_private;

	if (obj)
		vmlab_object_unlist(obj);
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
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

/*
 * A new shared anonymous object of @nr_pages pages: its tmpfs file, with
 * vmlab's operations, holding the object in ->private_data.
 */
static struct file *vmlab_shared_anon_file(pgoff_t nr_pages, unsigned int thp)
{
	struct vfsmount *mnt = vmlab_thp_mount(thp);
	loff_t size = (loff_t)nr_pages << PAGE_SHIFT;
	struct vmlab_object *obj;
	struct file *file;
	int err;

	obj = vmlab_inject(VMLAB_INJECT_OBJECT_ALLOC) ? NULL :
		kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	/*
	 * VM_NORESERVE: the object spans the mapping's offset too, which a
	 * native MAP_SHARED|MAP_ANONYMOUS mapping ignores; committing its size
	 * would refuse mappings at large offsets that a tmpfs file maps.
	 */
	if (vmlab_inject(VMLAB_INJECT_OBJECT_DATA))
		file = ERR_PTR(-ENOMEM);
	else if (mnt)
		file = shmem_file_setup_with_mnt(mnt, "vmlab-anon", size, VM_NORESERVE);
	else
		file = shmem_file_setup("vmlab-anon", size, VM_NORESERVE);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_free;
	}
	/* The reference __fput() drops with the operations' owner. */
	if (vmlab_inject(VMLAB_INJECT_OBJECT_FILE) || !try_module_get(THIS_MODULE)) {
		err = -ENOMEM;
		goto err_put;
	}
	/* From here on the file owns @obj and that reference. */
	replace_fops(file, &vmlab_shared_anon_fops);
	file->private_data = obj;
	obj->inode = file_inode(file);
	obj->type = VMLAB_SHARED_ANON;
	obj->nr_pages = nr_pages;
	obj->backing = file;
	vmlab_object_list(obj);
	vmlab_count(VMLAB_CNT_OBJECTS_LIVE);
	return file;

err_put:
	fput(file);
err_free:
	kfree(obj);
	return ERR_PTR(err);
}

/**
 * vmlab_object_file() - a new anonymous object and the file VMAs map it by
 * @type: VMLAB_SHARED_ANON for a shared anonymous object, VMLAB_PRIVATE_ANON
 *	for the empty object a private anonymous mapping maps: its page cache
 *	stays empty, so mincore(2) and rmap see nothing of the store there
 * @nr_pages: the object's size in pages
 * @thp: the THP policy of a shared anonymous object (enum vmlab_thp,
 *	resolved); ignored for an empty object
 *
 * The object lives as long as the file and the VMAs that map it.  The
 * caller's open file of /dev/vmlab holds a pin (vmlab_fs_pin()).  A shared
 * anonymous object commits memory page by page as tmpfs allocates it (its
 * tmpfs file is VM_NORESERVE), not its whole size at mmap(2).
 *
 * Return: the file, or an ERR_PTR: -ENOMEM, or -EINVAL for a size too large.
 */
struct file *vmlab_object_file(enum vmlab_type type, pgoff_t nr_pages, unsigned int thp)
{
	struct vmlab_object *obj;
	struct inode *inode;
	struct file *file;

	if (type == VMLAB_SHARED_ANON)
		return vmlab_shared_anon_file(nr_pages, thp);

	obj = vmlab_inject(VMLAB_INJECT_OBJECT_ALLOC) ? NULL :
		kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	inode = vmlab_fs_inode(VMLAB_INJECT_OBJECT_INODE);
	if (IS_ERR(inode)) {
		kfree(obj);
		return ERR_CAST(inode);
	}
	/* From here on the inode owns @obj: evicting it unlists and frees it. */
	obj->inode = inode;
	obj->type = type;
	obj->nr_pages = nr_pages;
	inode->i_private = obj;
	vmlab_object_list(obj);
	file = vmlab_fs_file(inode, "vmlab-anon", &vmlab_object_fops, VMLAB_INJECT_OBJECT_FILE);
	if (IS_ERR(file))
		iput(inode);
	return file;
}

/**
 * vmlab_tmpfs_reopen() - a new open file of the inode of a tmpfs file, for
 * VMAs to map
 * @tmpfs: the tmpfs file
 * @like: the file whose access mode and credentials the new one takes
 *
 * The new file has tmpfs's operations with this module as owner, so that
 * the VMAs mapping it pin the module through it, as a shared anonymous
 * object's do; it cannot be mapped again (see vmlab_objects_init()).
 *
 * The file is made as shmem_file_setup() makes its own, with no open of
 * the inode (no LSM, fsnotify or lease hook, which could block under the
 * caller's mmap_lock): the caller has passed /dev/vmlab's checks.
 *
 * Return: the file, or an ERR_PTR (-ENOMEM).
 */
struct file *vmlab_tmpfs_reopen(struct file *tmpfs, struct file *like)
{
	struct inode *inode = file_inode(tmpfs);
	struct file *file;

	if (vmlab_inject(VMLAB_INJECT_OBJECT_FILE))
		return ERR_PTR(-ENOMEM);
	/* The reference __fput() drops with the operations' owner. */
	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENODEV);
	/* The new file's dentry holds an inode reference of its own. */
	ihold(inode);
	file = alloc_file_pseudo(inode, tmpfs->f_path.mnt, tmpfs->f_path.dentry->d_name.name,
				 (like->f_flags & O_ACCMODE) | O_LARGEFILE, &vmlab_tmpfs_fops);
	if (IS_ERR(file)) {
		iput(inode);
		module_put(THIS_MODULE);
	}
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
		/* A 2 MiB folio is one entry, and dirty as a whole. */
		n += xa_is_value(entry) ? 1 : folio_nr_pages(entry);
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
 * vmlab_tmpfs_mmap() - let tmpfs set up a VMA of one of its files that
 * vmlab maps
 * @vma: the new VMA; its vm_file is the tmpfs file
 *
 * tmpfs's own ->mmap checks the VMA and sets it up as for a mapping of its
 * own, then the caller gives it vmlab's vm_operations, whose ->fault calls
 * tmpfs's (vmlab_tmpfs_fault()): the pages a fault gets, 2 MiB folios or
 * base pages, are those tmpfs gives a VMA of its own with the same flags.
 * That is the only way for a module to ask tmpfs for a page on behalf of
 * a VMA: shmem_read_mapping_page_gfp() and 6.12's shmem_get_folio() take
 * none, so they cannot honour MADV_HUGEPAGE (huge=advise),
 * MADV_NOHUGEPAGE or prctl(PR_SET_THP_DISABLE).
 *
 * Return: 0, or tmpfs's -errno.
 */
int vmlab_tmpfs_mmap(struct vm_area_struct *vma)
{
	int err;

	err = vmlab_shmem_mmap(vma->vm_file, vma);
	if (err)
		return err;
	WRITE_ONCE(vmlab_shmem_fault, vma->vm_ops->fault);
	return 0;
}

/**
 * vmlab_tmpfs_fault() - tmpfs's ->fault, for a VMA of vmlab_tmpfs_mmap()
 * @vmf: the fault
 *
 * Return: what tmpfs returns: VM_FAULT_LOCKED with vmf->page set to the
 * file's page at vmf->pgoff (a page of a 2 MiB folio when its policy
 * gives one), with VM_FAULT_MAJOR when it came back from swap; or
 * VM_FAULT_OOM, VM_FAULT_SIGBUS, VM_FAULT_RETRY.
 */
vm_fault_t vmlab_tmpfs_fault(struct vm_fault *vmf)
{
	return READ_ONCE(vmlab_shmem_fault)(vmf);
}

/**
 * vmlab_tmpfs_unmapped_area() - where the kernel places a new shared
 * anonymous mapping of the kernel's internal tmpfs mount
 * @addr: the hint
 * @len: the length
 * @pgoff: the offset in pages
 * @flags: the mmap flags
 *
 * As for MAP_SHARED|MAP_ANONYMOUS and /dev/zero: tmpfs's placement with no
 * file, which aligns to a huge page size when shmem_enabled (and on 6.12
 * the per-size shmem_enabled of anonymous shmem) may give one.
 *
 * Return: the address, or -errno.
 */
unsigned long vmlab_tmpfs_unmapped_area(unsigned long addr, unsigned long len,
					unsigned long pgoff, unsigned long flags)
{
	return vmlab_shmem_unmapped_area(NULL, addr, len, pgoff, flags);
}

/**
 * vmlab_objects_init() - copy tmpfs's file operations for shared anonymous
 * objects and vmlab_tmpfs_reopen()
 *
 * Return: 0 or -errno.
 */
int vmlab_objects_init(void)
{
	struct file *file = shmem_file_setup("vmlab-anon", 0, VM_NORESERVE);

	if (IS_ERR(file))
		return PTR_ERR(file);
	vmlab_shmem_mmap = file->f_op->mmap;
	vmlab_shmem_unmapped_area = file->f_op->get_unmapped_area;
	vmlab_shared_anon_fops = *file->f_op;
	vmlab_shared_anon_fops.owner = THIS_MODULE;
	vmlab_shared_anon_fops.release = vmlab_shared_anon_release;
	/*
	 * No new mappings of the file: shmem's ->get_unmapped_area checks
	 * that its operations are shmem's own (mremap(2) asks it), and
	 * remap_file_pages(2) would map it with shmem's vm_operations.
	 */
	vmlab_shared_anon_fops.get_unmapped_area = NULL;
	vmlab_shared_anon_fops.mmap = NULL;
	vmlab_tmpfs_fops = *file->f_op;
	vmlab_tmpfs_fops.owner = THIS_MODULE;
	vmlab_tmpfs_fops.get_unmapped_area = NULL;
	vmlab_tmpfs_fops.mmap = NULL;
	fput(file);
	return 0;
}
