// SPDX-License-Identifier: GPL-2.0
/*
 * Transparent huge pages of the store (without backing=) and of the shared
 * anonymous objects: the policy, and the tmpfs mounts that carry it.
 *
 * Those objects are tmpfs files (object.c, store.c), so their huge pages
 * are tmpfs's: 2 MiB folios of the buddy allocator in the file's page
 * cache, allocated by shmem when its policy says so, falling back to base
 * pages (and counting thp_file_fallback) when none can be had, split by
 * truncation and hole punching, swapped out whole or split as tmpfs's are.
 * vmlab's ->fault hands the core such a folio's page (object.c:
 * vmlab_tmpfs_fault()), and the core maps it with one PMD entry when the
 * VMA covers the aligned 2 MiB and nothing is mapped there yet
 * (finish_fault() and filemap_map_pages() call do_set_pmd()), with 4 KiB
 * entries of the same folio otherwise.
 *
 * The policy is tmpfs's huge= mount option, so each value has a tmpfs
 * mount of vmlab's own carrying it, made at load as i915 makes its gemfs
 * (SB_KERNMOUNT: no size or inode limit, no user can reach it), and each
 * object is a file of the mount of its policy.  "inherit" uses the kernel's
 * internal mount, memfd_create(2)'s, whose huge= is shmem_enabled's.  On
 * a kernel without THP, or a CPU that cannot map a PMD, nothing is mounted
 * and every policy is the internal mount's.
 * Which policy applies: the module parameter thp for the store (one page
 * cache for every open file), and for the shared anonymous objects that of
 * the open file that made them (VMLAB_IOC_SET_KIND), the parameter's by
 * default.  All of this is read-only after load.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/shmem_fs.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "vmlab.h"

static const char *const vmlab_thp_names[] = {
	[VMLAB_THP_NEVER] = "never",
	[VMLAB_THP_ALWAYS] = "always",
	[VMLAB_THP_WITHIN_SIZE] = "within_size",
	[VMLAB_THP_ADVISE] = "advise",
	[VMLAB_THP_INHERIT] = "inherit",
};

/* The module parameter: the store's policy, and the default of the others. */
unsigned int vmlab_thp __ro_after_init = VMLAB_THP_INHERIT;

/* The mounts of each policy but inherit; none on a kernel without THP. */
static struct vfsmount *vmlab_thp_mnt[VMLAB_NR_THP];

static int thp_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned int i;

	for (i = VMLAB_THP_NEVER; i < VMLAB_NR_THP; i++) {
		if (sysfs_streq(val, vmlab_thp_names[i])) {
			vmlab_thp = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int thp_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vmlab_thp_names[vmlab_thp]);
}

static const struct kernel_param_ops thp_param_ops = {
	.set = thp_param_set,
	.get = thp_param_get,
};

module_param_cb(thp, &thp_param_ops, &vmlab_thp, 0444);
__MODULE_PARM_TYPE(thp, "string");
MODULE_PARM_DESC(thp,
		 "Transparent huge pages of the store and (by default) of shared anonymous objects, as tmpfs's huge=: never, always, within_size, advise, or inherit (default: the kernel's internal tmpfs mount, governed by shmem_enabled)");

/**
 * vmlab_thp_resolve() - the policy a VMLAB_IOC_SET_KIND value stands for
 * @thp: an enum vmlab_thp
 *
 * Return: @thp, or the module parameter's policy for VMLAB_THP_DEFAULT.
 */
unsigned int vmlab_thp_resolve(unsigned int thp)
{
	return thp == VMLAB_THP_DEFAULT ? vmlab_thp : thp;
}

/**
 * vmlab_thp_mount() - the tmpfs mount whose files follow a policy
 * @thp: the policy, not VMLAB_THP_DEFAULT
 *
 * Return: the mount, for shmem_file_setup_with_mnt(); NULL for the
 * kernel's internal mount (inherit, or a kernel without THP).
 */
struct vfsmount *vmlab_thp_mount(unsigned int thp)
{
	return thp < VMLAB_NR_THP ? vmlab_thp_mnt[thp] : NULL;
}

/**
 * vmlab_thp_aligns() - do mappings of an object of this policy get a
 * 2 MiB-aligned address?
 * @thp: the policy, not VMLAB_THP_DEFAULT
 * @len: the length of the mapping
 *
 * As tmpfs places its mappings: aligned when a 2 MiB folio can be mapped
 * whole, and the mount's policy may give one.  The policy inherit is
 * shmem_enabled's: tmpfs places those (vmlab_tmpfs_unmapped_area()).
 *
 * Return: true to place the mapping as thp_get_unmapped_area() does.
 */
bool vmlab_thp_aligns(unsigned int thp, unsigned long len)
{
	return len >= HPAGE_PMD_SIZE && thp < VMLAB_NR_THP && vmlab_thp_mnt[thp] &&
	       thp != VMLAB_THP_NEVER;
}

/**
 * vmlab_thp_init() - mount tmpfs once per policy, at load
 *
 * On a kernel without THP, or a CPU that cannot map a PMD, nothing is
 * mounted: every policy is the kernel's internal mount's, which gives base
 * pages only.
 *
 * Return: 0 or -errno.
 */
int vmlab_thp_init(void)
{
	struct file_system_type *type;
	char opt[32];
	unsigned int i;

	/* tmpfs refuses huge= where the CPU cannot map a PMD (no PSE). */
	if (!VMLAB_HAVE_PMD_MAPS || !has_transparent_hugepage())
		return 0;
	type = get_fs_type("tmpfs");
	if (!type)
		return -ENODEV;
	for (i = VMLAB_THP_NEVER; i < VMLAB_THP_INHERIT; i++) {
		struct vfsmount *mnt;

		/* The option parser writes into its string. */
		snprintf(opt, sizeof(opt), "huge=%s", vmlab_thp_names[i]);
		mnt = vmlab_inject(VMLAB_INJECT_THP_MOUNT) ? ERR_PTR(-ENOMEM) :
			vfs_kern_mount(type, SB_KERNMOUNT, type->name, opt);
		if (IS_ERR(mnt)) {
			pr_err("cannot mount tmpfs with %s: %ld\n", opt, PTR_ERR(mnt));
			vmlab_thp_exit();
			return PTR_ERR(mnt);
		}
		vmlab_thp_mnt[i] = mnt;
	}
	return 0;
}

/**
 * vmlab_thp_exit() - drop the mounts, at unload (or a failed load); the
 * files of each, gone by then, held it too
 */
void vmlab_thp_exit(void)
{
	unsigned int i;

	for (i = 0; i < VMLAB_NR_THP; i++) {
		if (vmlab_thp_mnt[i])
			kern_unmount(vmlab_thp_mnt[i]);
		vmlab_thp_mnt[i] = NULL;
	}
}
