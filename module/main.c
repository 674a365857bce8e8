// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab: a laboratory for the Linux memory-mapping machinery.
 *
 * Module entry points and the /dev/vmlab character device: open files,
 * their kind (ioctl), read(2)/write(2)/lseek(2)/fsync(2) of the store.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vmlab.h"
#include "vmlab_version.h"

static int vmlab_open(struct inode *inode, struct file *file)
{
	struct vmlab_file *vf;

	int err;

	vf = vmlab_inject(VMLAB_INJECT_FILE_ALLOC) ? NULL : kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return -ENOMEM;
	/* The anonymous objects and huge files this file makes live on that mount. */
	err = vmlab_fs_pin();
	if (err) {
		kfree(vf);
		return err;
	}
	kref_init(&vf->kref);
	mutex_init(&vf->lock);
	vf->kind = VMLAB_KIND_STORE;
	vf->thp = vmlab_thp;
	file->private_data = vf;
	vmlab_store_open(file);
	vmlab_count(VMLAB_CNT_OPENS);
	vmlab_count(VMLAB_CNT_FILES_LIVE);
	return 0;
}

static int vmlab_release(struct inode *inode, struct file *file)
{
	struct vmlab_file *vf = file->private_data;

	vmlab_huge_release(vf);
	if (vf->anon)
		fput(vf->anon);
	if (vf->store)
		fput(vf->store);
	vmlab_file_put(vf);
	vmlab_fs_unpin();
	vmlab_uncount(VMLAB_CNT_FILES_LIVE);
	return 0;
}

static int vmlab_ioctl_set_kind(struct vmlab_file *vf, void __user *argp)
{
	struct vmlab_select sel;
	unsigned int thp;
	int err = 0;

	if (copy_from_user(&sel, argp, sizeof(sel)))
		return -EFAULT;
	if (sel.flags || sel.kind >= VMLAB_NR_KINDS || sel.thp >= VMLAB_NR_THP)
		return -EINVAL;
	if (sel.kind != VMLAB_KIND_HUGE && sel.huge_fd != -1)
		return -EINVAL;
	if (sel.kind != VMLAB_KIND_ANON && sel.thp != VMLAB_THP_DEFAULT)
		return -EINVAL;
	thp = vmlab_thp_resolve(sel.thp);

	mutex_lock(&vf->lock);
	if ((sel.kind != vf->kind || thp != vf->thp) && vmlab_file_mappings(vf))
		err = -EBUSY;
	else if (sel.kind == VMLAB_KIND_HUGE)
		err = vmlab_huge_select(vf, sel.huge_fd);
	if (!err) {
		vf->kind = sel.kind;
		WRITE_ONCE(vf->thp, thp);
	}
	mutex_unlock(&vf->lock);
	return err;
}

static int vmlab_ioctl_get_info(struct vmlab_file *vf, void __user *argp)
{
	struct vmlab_info info = {
		.store_size = (u64)vmlab_store->nr_pages << PAGE_SHIFT,
		.kind = READ_ONCE(vf->kind),
		.mappings = vmlab_file_mappings(vf),
		.page_size = PAGE_SIZE,
		.huge_page_size = HPAGE_PMD_SIZE,
		.has_backing = vmlab_store_has_backing(),
		.thp = READ_ONCE(vf->thp),
		.store_thp = vmlab_thp,
	};

	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static long vmlab_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vmlab_file *vf = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case VMLAB_IOC_SET_KIND:
		return vmlab_ioctl_set_kind(vf, argp);
	case VMLAB_IOC_GET_INFO:
		return vmlab_ioctl_get_info(vf, argp);
	case VMLAB_IOC_WRITEBACK:
		return vmlab_store_fsync(file, 0, LLONG_MAX, 0);
	case VMLAB_IOC_WALK:
		return vmlab_walk_ioctl(argp);
	default:
		return -ENOTTY;
	}
}

static loff_t vmlab_llseek(struct file *file, loff_t offset, int whence)
{
	return fixed_size_llseek(file, offset, whence,
				 (loff_t)vmlab_store->nr_pages << PAGE_SHIFT);
}

static const struct file_operations vmlab_fops = {
	.owner = THIS_MODULE,
	.open = vmlab_open,
	.release = vmlab_release,
	.unlocked_ioctl = vmlab_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.read_iter = vmlab_store_read_iter,
	.write_iter = vmlab_store_write_iter,
	.llseek = vmlab_llseek,
	.fsync = vmlab_store_fsync,
	.mmap = vmlab_mmap,
	.get_unmapped_area = vmlab_get_unmapped_area,
};

static struct miscdevice vmlab_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmlab",
	.fops = &vmlab_fops,
	/*
	 * Root only, as /dev/kvm without its udev rule: an opener reaches
	 * kernel machinery (the store's write-back, fault injection) no
	 * unprivileged user has.  module/60-vmlab.rules grants the vmlab group.
	 */
	.mode = 0600,
};

static int __init vmlab_init(void)
{
	int ret;

	vmlab_inject_load_begin();
	ret = vmlab_fault_init();
	if (ret)
		goto err_out;
	ret = vmlab_objects_init();
	if (ret)
		goto err_fault;
	ret = vmlab_thp_init();
	if (ret)
		goto err_fault;
	ret = vmlab_store_init();
	if (ret)
		goto err_thp;
	vmlab_debugfs_init();
	ret = vmlab_inject(VMLAB_INJECT_MISC_REGISTER) ? -ENOMEM : misc_register(&vmlab_misc);
	if (ret)
		goto err_debugfs;
	vmlab_inject_load_end();
	return 0;

err_debugfs:
	vmlab_debugfs_exit();
	vmlab_store_exit();
err_thp:
	vmlab_thp_exit();
err_fault:
	vmlab_fault_exit();
err_out:
	vmlab_inject_load_end();
	return ret;
}

static void __exit vmlab_exit(void)
{
	misc_deregister(&vmlab_misc);
	vmlab_debugfs_exit();
	vmlab_store_exit();
	vmlab_thp_exit();
	vmlab_fault_exit();
}

module_init(vmlab_init);
module_exit(vmlab_exit);

MODULE_AUTHOR("The vmlab maintainers");
MODULE_DESCRIPTION("vmlab: every kind of Linux memory mapping, served by its own fault handlers");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMLAB_VERSION);
