/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API differences between the kernels vmlab builds for (6.1 and
 * 6.12), each with the release that changed it.  No other file of vmlab
 * tests LINUX_VERSION_CODE.
 */
#ifndef _VMLAB_COMPAT_H
#define _VMLAB_COMPAT_H

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/version.h>

/*
 * vmlab_lock_folio() - the locked folio at @index of @mapping, or NULL.
 * 6.4 made __filemap_get_folio() return ERR_PTR(-ENOENT) instead of NULL.
 */
static inline struct folio *vmlab_lock_folio(struct address_space *mapping, pgoff_t index)
{
	struct folio *folio = filemap_lock_folio(mapping, index);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	if (IS_ERR(folio))
		return NULL;
#endif
	return folio;
}

/*
 * vmlab_default_unmapped_area() - the mm's own placement of a new mapping.
 * 6.10 replaced mm->get_unmapped_area by mm_get_unmapped_area().
 */
static inline unsigned long vmlab_default_unmapped_area(struct file *file, unsigned long addr,
							unsigned long len, unsigned long pgoff,
							unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	return mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags);
#else
	return current->mm->get_unmapped_area(file, addr, len, pgoff, flags);
#endif
}

#endif /* _VMLAB_COMPAT_H */
