// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab: a laboratory for the Linux memory-mapping machinery.
 *
 * Module entry points and the /dev/vmlab character device.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "vmlab.h"

static int vmlab_open(struct inode *inode, struct file *file)
{
	vmlab_count(VMLAB_CNT_OPENS);
	vmlab_count(VMLAB_CNT_FILES_LIVE);
	return 0;
}

static int vmlab_release(struct inode *inode, struct file *file)
{
	vmlab_uncount(VMLAB_CNT_FILES_LIVE);
	return 0;
}

static long vmlab_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return -ENOTTY;
}

static const struct file_operations vmlab_fops = {
	.owner = THIS_MODULE,
	.open = vmlab_open,
	.release = vmlab_release,
	.unlocked_ioctl = vmlab_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice vmlab_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmlab",
	.fops = &vmlab_fops,
	.mode = 0666,
};

static int __init vmlab_init(void)
{
	int ret;

	ret = vmlab_debugfs_init();
	if (ret)
		return ret;
	ret = misc_register(&vmlab_misc);
	if (ret)
		goto err_debugfs;
	return 0;

err_debugfs:
	vmlab_debugfs_exit();
	return ret;
}

static void __exit vmlab_exit(void)
{
	misc_deregister(&vmlab_misc);
	vmlab_debugfs_exit();
}

module_init(vmlab_init);
module_exit(vmlab_exit);

MODULE_DESCRIPTION("vmlab: every kind of Linux memory mapping, served by its own fault handlers");
MODULE_LICENSE("GPL");
