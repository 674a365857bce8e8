// SPDX-License-Identifier: GPL-2.0
/*
 * The huge kind: 2 MiB pages of the hugetlb pool, mapped with PMD entries.
 * Not implemented yet: selecting it fails with EOPNOTSUPP.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>

#include "compat.h"
#include "vmlab.h"

/**
 * vmlab_huge_select() - make @vf a file of the huge kind
 * @vf: the open file, with vf->lock held
 * @huge_fd: a hugetlbfs file to take pages from, or -1
 *
 * Return: -EOPNOTSUPP.
 */
int vmlab_huge_select(struct vmlab_file *vf, int huge_fd)
{
	return -EOPNOTSUPP;
}

/**
 * vmlab_huge_mmap() - mmap(2) of a file of the huge kind
 * @vf: the open file, with vf->lock held
 * @vma: the new VMA
 *
 * Return: -EOPNOTSUPP.
 */
int vmlab_huge_mmap(struct vmlab_file *vf, struct vm_area_struct *vma)
{
	return -EOPNOTSUPP;
}

/**
 * vmlab_huge_release() - the last close of a file, for its huge state
 * @vf: the open file
 */
void vmlab_huge_release(struct vmlab_file *vf)
{
}

/**
 * vmlab_get_unmapped_area() - where mmap(2) of /dev/vmlab places a mapping
 * @file: the open file
 * @addr: the hint
 * @len: the length
 * @pgoff: the offset in pages
 * @flags: the mmap flags
 *
 * Return: the address, or -errno; the default placement for every kind.
 */
unsigned long vmlab_get_unmapped_area(struct file *file, unsigned long addr, unsigned long len,
				      unsigned long pgoff, unsigned long flags)
{
	return vmlab_default_unmapped_area(file, addr, len, pgoff, flags);
}
