// SPDX-License-Identifier: GPL-2.0
/*
 * mmap(2) of /dev/vmlab: the vm_operations of each mapping type, and the
 * link of every VMA to the open file it was mapped through: vm_private_data
 * points to the file's state and holds a reference to it, taken at mmap,
 * and by ->open for a copy (fork, mremap) or a piece (split), dropped by
 * ->close.  vmlab keeps no record of its own of the VMAs: what a VMA maps
 * is read from its vm_operations and flags (vmlab_vma_type()), and debugfs
 * finds them in the reverse maps (i_mmap) of the objects they map.
 *
 * The store and anonymous types set none of VM_IO, VM_PFNMAP, VM_MIXEDMAP
 * and VM_DONTEXPAND: any of them would make the VMA "special", and mlock(2),
 * MAP_LOCKED, GUP and mremap(2) would stop treating it like the native
 * mapping it stands for.  The huge kind sets VM_MIXEDMAP | VM_DONTEXPAND
 * (huge.c): its PFN entries need the first, and the second keeps mremap(2)
 * from growing a VMA past the pool pages it holds.
 *
 * Merging: every VMA has ->close.  6.1 merges no VMA that has one; 6.12
 * refuses only merges that would remove a VMA, so a new mapping of the
 * same open file that continues one in address and offset, with the same
 * flags, expands it instead of becoming a VMA, before (and without) a call
 * of vmlab_mmap(): the reference of the old VMA then covers both.  That
 * holds for the store's VMAs with a backing file only: anonymous ones map
 * another file than the device (a shared one an object of its own, a
 * private one its open file's empty object), so do the store's without a
 * backing file (a tmpfs file of their open file), and huge ones are
 * special, so a new mapping never merges into these.  On 6.12 an
 * mprotect(2) or madvise(2) that changes the head of one such VMA can
 * still merge that piece into an adjacent one of the same file.
 */
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/mutex.h>

#include "compat.h"
#include "vmlab.h"

static void vmlab_file_release_kref(struct kref *kref)
{
	kfree(container_of(kref, struct vmlab_file, kref));
}

/**
 * vmlab_file_put() - drop a reference to an open file's state
 * @vf: the state; freed with its last reference
 */
void vmlab_file_put(struct vmlab_file *vf)
{
	kref_put(&vf->kref, vmlab_file_release_kref);
}

/**
 * vmlab_vma_attach() - link a new VMA to the open file it was mapped through
 * @vma: the VMA, its vm_ops set; its vm_private_data will point to @vf
 * @vf: the open file's state, which gains a reference
 *
 * Nothing is allocated: ->open calls this for a copy or a piece of a VMA,
 * and ->open cannot fail.
 */
void vmlab_vma_attach(struct vm_area_struct *vma, struct vmlab_file *vf)
{
	kref_get(&vf->kref);
	vmlab_count(VMLAB_CNT_VMAS_LIVE + vmlab_vma_type(vma));
	vma->vm_private_data = vf;
}

/**
 * vmlab_vm_open() - ->open of every vmlab VMA: a copy or a new piece
 * @vma: the copy (fork, mremap) or new piece (split) of a vmlab VMA, whose
 *	vm_private_data it has from the original
 */
void vmlab_vm_open(struct vm_area_struct *vma)
{
	vmlab_vma_attach(vma, vma->vm_private_data);
}

/**
 * vmlab_vm_close() - ->close of every vmlab VMA: drop its file reference
 * @vma: the VMA, or piece of one, that goes away
 */
void vmlab_vm_close(struct vm_area_struct *vma)
{
	vmlab_uncount(VMLAB_CNT_VMAS_LIVE + vmlab_vma_type(vma));
	vmlab_file_put(vma->vm_private_data);
}

/* Store, MAP_SHARED or MAP_PRIVATE: page cache, fault-around, dirty tracking. */
static const struct vm_operations_struct vmlab_store_vm_ops = {
	.open = vmlab_vm_open,
	.close = vmlab_vm_close,
	.fault = vmlab_store_fault,
	.map_pages = vmlab_object_map_pages,
	.page_mkwrite = vmlab_page_mkwrite,
};

/* Shared anonymous: like shmem, no ->page_mkwrite, so no write-notify. */
static const struct vm_operations_struct vmlab_shared_anon_vm_ops = {
	.open = vmlab_vm_open,
	.close = vmlab_vm_close,
	.fault = vmlab_shared_anon_fault,
	.map_pages = vmlab_object_map_pages,
};

/*
 * Store without a backing file, MAP_SHARED or MAP_PRIVATE: a tmpfs file,
 * like shmem, no ->page_mkwrite, so no write-notify: shared mappings get
 * writable entries on read faults, fault-around and populate.
 */
static const struct vm_operations_struct vmlab_store_tmpfs_vm_ops = {
	.open = vmlab_vm_open,
	.close = vmlab_vm_close,
	.fault = vmlab_store_fault,
	.map_pages = vmlab_object_map_pages,
};

/*
 * Private anonymous: its object has no pages to map around a fault; the
 * ->map_pages that maps nothing lets faults complete under the per-VMA lock.
 */
static const struct vm_operations_struct vmlab_private_anon_vm_ops = {
	.open = vmlab_vm_open,
	.close = vmlab_vm_close,
	.fault = vmlab_private_anon_fault,
	.map_pages = VMLAB_MAP_NOTHING,
};

/**
 * vmlab_vma_type() - what a VMA maps, read from its vm_operations and flags
 * @vma: a VMA, of vmlab or not
 *
 * Return: the mapping type, or VMLAB_NR_TYPES for a VMA vmlab does not
 * serve (a mapping of an object's file made otherwise, e.g. through
 * /proc/PID/map_files).
 */
enum vmlab_type vmlab_vma_type(const struct vm_area_struct *vma)
{
	const struct vm_operations_struct *ops = vma->vm_ops;
	/* MAP_SHARED, even of a read-only file; mprotect(2) never changes it. */
	bool shared = vma->vm_flags & VM_MAYSHARE;

	if (ops == &vmlab_store_vm_ops || ops == &vmlab_store_tmpfs_vm_ops)
		return shared ? VMLAB_SHARED : VMLAB_PRIVATE_COW;
	if (ops == &vmlab_shared_anon_vm_ops)
		return VMLAB_SHARED_ANON;
	if (ops == &vmlab_private_anon_vm_ops)
		return VMLAB_PRIVATE_ANON;
	if (vmlab_huge_vma(vma))
		return VMLAB_HUGE;
	return VMLAB_NR_TYPES;
}

/*
 * A shared anonymous mapping gets an object of its own, as mmap of
 * /dev/zero gets a shmem file: the VMA maps the object's file from now on,
 * and so do its copies in fork children.  Its pages are tmpfs's:
 * swap-backed, charged to the memory cgroup of the task that faults them.
 */
static int vmlab_mmap_shared_anon(struct vmlab_file *vf, struct vm_area_struct *vma)
{
	struct file *file;

	file = vmlab_object_file(VMLAB_SHARED_ANON, vma->vm_pgoff + vma_pages(vma), vf->thp);
	if (IS_ERR(file))
		return PTR_ERR(file);
	vma_set_file(vma, file);
	fput(file);
	return vmlab_tmpfs_mmap(vma);
}

/*
 * Without a backing file the store is a tmpfs file, and its mappings map
 * one, the open file's vf->store (see vmlab_store_tmpfs_file() for why
 * not the device file, whose f_mapping is the same page cache).  Called
 * under vf->lock.
 */
static int vmlab_mmap_store_tmpfs(struct vmlab_file *vf, struct file *file,
				  struct vm_area_struct *vma)
{
	if (!vf->store) {
		struct file *tmpfs = vmlab_store_tmpfs_file(file);

		if (IS_ERR(tmpfs))
			return PTR_ERR(tmpfs);
		vf->store = tmpfs;
	}
	vma_set_file(vma, vf->store);
	return vmlab_tmpfs_mmap(vma);
}

/*
 * A private anonymous mapping maps the empty object of its open file, so
 * that nothing of the store (its page cache, its reverse map) is reachable
 * through it: mincore(2) sees what it sees on a native one.  Called under
 * vf->lock.
 */
static int vmlab_mmap_private_anon(struct vmlab_file *vf, struct vm_area_struct *vma)
{
	if (!vf->anon) {
		struct file *file = vmlab_object_file(VMLAB_PRIVATE_ANON, 0, 0);

		if (IS_ERR(file))
			return PTR_ERR(file);
		vf->anon = file;
	}
	vma_set_file(vma, vf->anon);
	return 0;
}

/*
 * Does the range of @vma fit in what a regular file may hold?  The core
 * checks that for regular files (file_mmap_ok()) but not for a device.
 */
static bool vmlab_mmap_range_ok(struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;

	return len <= MAX_LFS_FILESIZE &&
	       vma->vm_pgoff <= (MAX_LFS_FILESIZE - len) >> PAGE_SHIFT;
}

/**
 * vmlab_mmap() - mmap(2) of /dev/vmlab
 * @file: the open file, whose kind decides the mapping type with MAP_SHARED
 * @vma: the new VMA
 *
 * Return: 0; -EOVERFLOW when offset plus length lies beyond what a regular
 * file may hold (MAX_LFS_FILESIZE), as for a tmpfs file; -ENOMEM; or what
 * the huge kind refuses.
 */
int vmlab_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vmlab_file *vf = file->private_data;
	/* MAP_SHARED, even of a read-only file (which has no VM_SHARED). */
	bool shared = vma->vm_flags & VM_MAYSHARE;
	const struct vm_operations_struct *ops = NULL;
	int err = 0;

	if (!vmlab_mmap_range_ok(vma))
		return -EOVERFLOW;

	mutex_lock(&vf->lock);
	switch (vf->kind) {
	case VMLAB_KIND_STORE:
		if (vmlab_store_has_backing()) {
			ops = &vmlab_store_vm_ops;
			break;
		}
		ops = &vmlab_store_tmpfs_vm_ops;
		err = vmlab_mmap_store_tmpfs(vf, file, vma);
		break;
	case VMLAB_KIND_ANON:
		ops = shared ? &vmlab_shared_anon_vm_ops : &vmlab_private_anon_vm_ops;
		err = shared ? vmlab_mmap_shared_anon(vf, vma) : vmlab_mmap_private_anon(vf, vma);
		break;
	case VMLAB_KIND_HUGE:
		err = vmlab_huge_mmap(vf, vma);
		mutex_unlock(&vf->lock);
		return err;
	default:
		err = -ENODEV;
		break;
	}
	/* On failure the core drops the VMA's file, and with it a new object. */
	if (!err) {
		vma->vm_ops = ops;
		vmlab_vma_attach(vma, vf);
	}
	mutex_unlock(&vf->lock);
	return err;
}
