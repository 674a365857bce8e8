/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding of /proc/PID/pagemap entries and /proc/kpageflags words.
 *
 * See Documentation/admin-guide/mm/pagemap.rst for the kernel ABI.
 */
#ifndef _VMLAB_PAGEMAP_H
#define _VMLAB_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/kernel-page-flags.h>

/* Size of one pagemap or kpageflags entry in bytes. */
#define VL_PM_ENTRY_BYTES	8

/* Bits 0-54: page frame number when present (zero without CAP_SYS_ADMIN). */
#define VL_PM_PFN_BITS		55
#define VL_PM_PFN_MASK		((UINT64_C(1) << VL_PM_PFN_BITS) - 1)
/* Bits 0-4: swap type when swapped. */
#define VL_PM_SWAP_TYPE_BITS	5
#define VL_PM_SWAP_TYPE_MASK	((UINT64_C(1) << VL_PM_SWAP_TYPE_BITS) - 1)
/* Bits 5-54: swap offset when swapped. */
#define VL_PM_SWAP_OFFSET_SHIFT	VL_PM_SWAP_TYPE_BITS
#define VL_PM_SWAP_OFFSET_MASK	(VL_PM_PFN_MASK >> VL_PM_SWAP_OFFSET_SHIFT)

/* Bit numbers of the flags. */
#define VL_PM_SOFT_DIRTY_BIT	55	/* pte is soft-dirty */
#define VL_PM_EXCLUSIVE_BIT	56	/* page exclusively mapped (4.2+) */
#define VL_PM_UFFD_WP_BIT	57	/* pte is uffd-wp write-protected (5.13+) */
#define VL_PM_GUARD_BIT		58	/* pte is a guard region (6.15+) */
#define VL_PM_FILE_BIT		61	/* file page or shared anon (3.5+) */
#define VL_PM_SWAP_BIT		62	/* page swapped */
#define VL_PM_PRESENT_BIT	63	/* page present */

/* The flags as masks. */
#define VL_PM_SOFT_DIRTY	(UINT64_C(1) << VL_PM_SOFT_DIRTY_BIT)
#define VL_PM_EXCLUSIVE		(UINT64_C(1) << VL_PM_EXCLUSIVE_BIT)
#define VL_PM_UFFD_WP		(UINT64_C(1) << VL_PM_UFFD_WP_BIT)
#define VL_PM_GUARD		(UINT64_C(1) << VL_PM_GUARD_BIT)
#define VL_PM_FILE		(UINT64_C(1) << VL_PM_FILE_BIT)
#define VL_PM_SWAP		(UINT64_C(1) << VL_PM_SWAP_BIT)
#define VL_PM_PRESENT		(UINT64_C(1) << VL_PM_PRESENT_BIT)

/**
 * struct vl_pm - a decoded pagemap entry
 * @raw: the entry as read from pagemap
 * @pfn: page frame number; 0 unless @present (or when PFNs are hidden)
 * @swap_type: swap type; 0 unless @swapped
 * @swap_offset: swap offset; 0 unless @swapped
 * @present: the page is present in RAM (bit 63)
 * @swapped: the page is in swap (bit 62)
 * @file_shared: file page or shared anonymous page (bit 61)
 * @exclusive: the page is mapped exactly once (bit 56)
 * @soft_dirty: the pte is soft-dirty (bit 55)
 * @uffd_wp: the pte is userfaultfd write-protected (bit 57)
 * @guard: the pte is a guard region (bit 58)
 */
struct vl_pm {
	uint64_t raw;
	uint64_t pfn;
	unsigned int swap_type;
	uint64_t swap_offset;
	bool present;
	bool swapped;
	bool file_shared;
	bool exclusive;
	bool soft_dirty;
	bool uffd_wp;
	bool guard;
};

/* /proc/kpageflags bits: the uapi header's (linux-libc-dev), under vmlab's names. */
#define VL_KPF_LOCKED		KPF_LOCKED
#define VL_KPF_ERROR		KPF_ERROR
#define VL_KPF_REFERENCED	KPF_REFERENCED
#define VL_KPF_UPTODATE		KPF_UPTODATE
#define VL_KPF_DIRTY		KPF_DIRTY
#define VL_KPF_LRU		KPF_LRU
#define VL_KPF_ACTIVE		KPF_ACTIVE
#define VL_KPF_SLAB		KPF_SLAB
#define VL_KPF_WRITEBACK	KPF_WRITEBACK
#define VL_KPF_RECLAIM		KPF_RECLAIM
#define VL_KPF_BUDDY		KPF_BUDDY
#define VL_KPF_MMAP		KPF_MMAP
#define VL_KPF_ANON		KPF_ANON
#define VL_KPF_SWAPCACHE	KPF_SWAPCACHE
#define VL_KPF_SWAPBACKED	KPF_SWAPBACKED
#define VL_KPF_COMPOUND_HEAD	KPF_COMPOUND_HEAD
#define VL_KPF_COMPOUND_TAIL	KPF_COMPOUND_TAIL
#define VL_KPF_HUGE		KPF_HUGE
#define VL_KPF_UNEVICTABLE	KPF_UNEVICTABLE
#define VL_KPF_HWPOISON		KPF_HWPOISON
#define VL_KPF_NOPAGE		KPF_NOPAGE
#define VL_KPF_KSM		KPF_KSM
#define VL_KPF_THP		KPF_THP
#define VL_KPF_OFFLINE		KPF_OFFLINE
#define VL_KPF_ZERO_PAGE	KPF_ZERO_PAGE
#define VL_KPF_IDLE		KPF_IDLE
#define VL_KPF_PGTABLE		KPF_PGTABLE

/* Kernel-hacker bits, as in tools/mm/page-types.c. */
#define VL_KPF_RESERVED		32
#define VL_KPF_MLOCKED		33
#define VL_KPF_MAPPEDTODISK	34
#define VL_KPF_OWNER_2		34	/* the name of bit 34 since 6.12 */
#define VL_KPF_PRIVATE		35
#define VL_KPF_PRIVATE_2	36
#define VL_KPF_OWNER_PRIVATE	37
#define VL_KPF_ARCH		38
#define VL_KPF_UNCACHED		39
#define VL_KPF_SOFTDIRTY	40
#define VL_KPF_ARCH_2		41

/* Number of bits in a kpageflags word. */
#define VL_KPF_NBITS		64

/* Path of the kpageflags file. */
#define VL_KPAGEFLAGS_PATH	"/proc/kpageflags"

/**
 * vl_pagemap_open() - open the pagemap file of a process for reading
 * @pid: process id, or 0 for the calling process
 *
 * Return: a file descriptor, or -errno.
 */
int vl_pagemap_open(pid_t pid);

/**
 * vl_pagemap_read() - read the pagemap entries of a range of pages
 * @fd: a file descriptor from vl_pagemap_open()
 * @addr: virtual address of the first page (rounded down to a page)
 * @npages: number of pages
 * @out: receives @npages raw entries
 *
 * Return: 0, or -errno (-EIO when the file ends early).
 */
int vl_pagemap_read(int fd, unsigned long addr, size_t npages, uint64_t *out);

/**
 * vl_pm_decode() - split a raw pagemap entry into its fields
 * @raw: the entry
 *
 * Return: the decoded entry.
 */
struct vl_pm vl_pm_decode(uint64_t raw);

/**
 * vl_pm_format() - describe a raw pagemap entry in a short line
 * @raw: the entry
 * @buf: receives the NUL-terminated text, e.g.
 *	"present exclusive file soft-dirty pfn=0x1234",
 *	"swapped type=1 offset=0x2a", "guard" or "not-present"
 * @len: size of @buf
 *
 * Return: length of the text, or -ENOSPC when it was truncated to fit.
 */
int vl_pm_format(uint64_t raw, char *buf, size_t len);

/**
 * vl_have_pfns() - tell whether pagemap shows real page frame numbers
 *
 * The answer is worked out on the first call and then remembered.
 *
 * Return: true when a present page of ours shows a non-zero PFN.
 */
bool vl_have_pfns(void);

/**
 * vl_kpageflags_open() - open /proc/kpageflags for reading
 *
 * Return: a file descriptor, or -errno.
 */
int vl_kpageflags_open(void);

/**
 * vl_kpageflags_read() - read the kpageflags words of a range of PFNs
 * @fd: a file descriptor of /proc/kpageflags
 * @pfn: first page frame number
 * @n: number of page frames
 * @out: receives @n flag words
 *
 * Return: 0, or -errno (-EIO when the file ends early).
 */
int vl_kpageflags_read(int fd, uint64_t pfn, size_t n, uint64_t *out);

/**
 * vl_kpf_name() - name of a kpageflags bit, as page-types prints it
 * @bit: bit number
 *
 * Return: the name, e.g. "anonymous", or NULL for a bit with no name.
 */
const char *vl_kpf_name(unsigned int bit);

/**
 * vl_kpf_code() - one-letter code of a kpageflags bit, as page-types prints it
 * @bit: bit number
 *
 * Return: the letter, e.g. 'a' for anonymous, or 0 for a bit with no name.
 */
char vl_kpf_code(unsigned int bit);

/**
 * vl_kpf_format() - list the names of the bits set in a kpageflags word
 * @flags: the word
 * @buf: receives the NUL-terminated, comma-separated names in bit order
 *	(a set bit with no name shows as "bitN"); empty when no bit is set
 * @len: size of @buf
 *
 * Return: length of the text, or -ENOSPC when it was truncated to fit.
 */
int vl_kpf_format(uint64_t flags, char *buf, size_t len);

/**
 * vl_kpf_parse_name() - find the kpageflags bit with a given name
 * @name: a name as returned by vl_kpf_name(), or one of the older names
 *	"mappedtodisk" (bit 34) and "idle" (bit 25)
 *
 * Return: the bit number, or -1 when no bit has that name.
 */
int vl_kpf_parse_name(const char *name);

#endif /* _VMLAB_PAGEMAP_H */
