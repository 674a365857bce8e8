/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A one-pass reader of /proc/PID/smaps: every mapping with the fields that
 * tell how its pages are mapped.
 */
#ifndef _VMLAB_SMAPS_H
#define _VMLAB_SMAPS_H

#include <sys/types.h>

#include "procfs.h"

/**
 * struct vl_smaps - one mapping of /proc/PID/smaps
 * @vma: its maps line
 * @rss_kb: Rss
 * @kernel_page_kb: KernelPageSize: 4 for base pages, 2048 for a VMA of
 *	2 MiB hugetlb pages (each mapped by one PMD entry)
 * @mmu_page_kb: MMUPageSize
 * @anon_huge_kb: AnonHugePages: anonymous THPs mapped by PMD entries
 * @shmem_pmd_kb: ShmemPmdMapped
 * @file_pmd_kb: FilePmdMapped
 * @shared_hugetlb_kb: Shared_Hugetlb
 * @private_hugetlb_kb: Private_Hugetlb
 * @locked_kb: Locked
 * @vmflags: the VmFlags line, e.g. "rd wr mr mw me ac sd"
 *
 * A field the kernel does not print is -1.
 */
struct vl_smaps {
	struct vl_vma vma;
	long long rss_kb;
	long long kernel_page_kb;
	long long mmu_page_kb;
	long long anon_huge_kb;
	long long shmem_pmd_kb;
	long long file_pmd_kb;
	long long shared_hugetlb_kb;
	long long private_hugetlb_kb;
	long long locked_kb;
	char vmflags[160];
};

/**
 * vl_smaps_read() - read every mapping of a process from smaps, in one pass
 * @pid: process id, or 0 for the calling process
 * @out: receives a malloc'd array (NULL when there is none), to be freed
 * @n: receives the number of mappings
 *
 * Return: 0, or -errno (-ENOENT or -ESRCH when the process is gone).
 */
int vl_smaps_read(pid_t pid, struct vl_smaps **out, size_t *n);

/**
 * vl_smaps_find() - the entry of an array that holds an address
 * @s: the array from vl_smaps_read()
 * @n: its length
 * @addr: the address
 *
 * Return: the entry, or NULL.
 */
const struct vl_smaps *vl_smaps_find(const struct vl_smaps *s, size_t n, unsigned long addr);

#endif /* _VMLAB_SMAPS_H */
