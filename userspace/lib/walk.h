/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page-table walker (VMLAB_IOC_WALK): a whole range's entries, and
 * their decoding into names for tables and JSON.
 */
#ifndef _VMLAB_WALK_H
#define _VMLAB_WALK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmlab_uapi.h"

/* Levels are 0 to VL_WALK_NR_LEVELS - 1 (enum vmlab_level). */
#define VL_WALK_NR_LEVELS	(VMLAB_LEVEL_PTE + 1)

/* Kinds of entry are 0 to VL_WALK_NR_WHAT - 1 (enum vmlab_what). */
#define VL_WALK_NR_WHAT		(VMLAB_WHAT_SWAP + 1)

/**
 * typedef vl_walk_fn - called by vl_walk_each() for each entry
 * @e: the entry
 * @arg: the caller's argument
 *
 * Return: 0 to go on; anything else stops the walk and is returned.
 */
typedef int (*vl_walk_fn)(const struct vmlab_walk_entry *e, void *arg);

/**
 * vl_walk_each() - read the page-table entries of a range of a process
 * @fd: an open file of the device, or -1 to open one for the call
 * @pid: the process, 0 for the caller
 * @start: first address (rounded down to a page)
 * @end: end of the range, exclusive (rounded up to a page)
 * @levels: when not NULL, receives the paging levels (4 or 5); 0 when
 *	@fn stopped the walk before the first answer
 * @fn: called for each entry, in the kernel's order (address order, the
 *	upper levels of an address before its PTEs)
 * @arg: passed to @fn
 *
 * Runs VMLAB_IOC_WALK as many times as the range needs, each from the
 * last one's next address, and drops the upper-level entries a resumed
 * walk reports again: each (level, address) reaches @fn once.
 *
 * Return: 0, what @fn returned when not 0, or -errno: -EPERM without
 * CAP_SYS_ADMIN, -ESRCH for no such process, -EINVAL for a bad range,
 * -ENOENT without the device, -EIO when the kernel's answer makes no
 * progress.
 */
int vl_walk_each(int fd, pid_t pid, uint64_t start, uint64_t end,
		 unsigned int *levels, vl_walk_fn fn, void *arg);

/**
 * struct vl_walk - the entries of a range
 * @e: the entries, in the kernel's order (malloc'd; NULL when none)
 * @n: their number
 * @levels: paging levels, 4 or 5
 * @start: the range walked, rounded to pages
 * @end: its end
 */
struct vl_walk {
	struct vmlab_walk_entry *e;
	size_t n;
	unsigned int levels;
	uint64_t start;
	uint64_t end;
};

/**
 * vl_walk() - read the page-table entries of a range into an array
 * @fd: an open file of the device, or -1 to open one for the call
 * @pid: the process, 0 for the caller
 * @start: first address
 * @end: end of the range, exclusive
 * @out: receives the entries, to be freed with vl_walk_free() (also
 *	after an error)
 *
 * Return: 0, or -errno as vl_walk_each() (or -ENOMEM).
 */
int vl_walk(int fd, pid_t pid, uint64_t start, uint64_t end, struct vl_walk *out);

/**
 * vl_walk_free() - free the entries of a walk
 * @w: the walk; its fields are zeroed
 */
void vl_walk_free(struct vl_walk *w);

/**
 * vl_walk_find() - the entry of a level that translates an address
 * @w: the walk
 * @level: one of enum vmlab_level
 * @addr: the address
 *
 * Return: the entry, or NULL when the walk reported none (an empty entry,
 * a level below a leaf, or outside the range).
 */
const struct vmlab_walk_entry *vl_walk_find(const struct vl_walk *w, unsigned int level,
					    uint64_t addr);

/**
 * vl_walk_leaf() - the entry that maps an address: the lowest one reported
 *	for it that is not a table (a leaf or a non-present entry)
 * @w: the walk
 * @addr: the address
 *
 * Return: the entry, or NULL.
 */
const struct vmlab_walk_entry *vl_walk_leaf(const struct vl_walk *w, uint64_t addr);

/**
 * vl_walk_level_shift() - log2 of the bytes one entry of a level translates
 * @level: one of enum vmlab_level
 * @levels: paging levels, 4 or 5
 *
 * Return: 12 for a PTE, 21, 30, 39, and 39 or 48 for a PGD; 0 for a level
 * that is none.
 */
unsigned int vl_walk_level_shift(unsigned int level, unsigned int levels);

/**
 * vl_walk_level_name() - name of a level
 * @level: one of enum vmlab_level
 *
 * Return: "PGD", "P4D", "PUD", "PMD" or "PTE"; "?" for any other value.
 */
const char *vl_walk_level_name(unsigned int level);

/**
 * vl_walk_what_name() - name of what an entry points at
 * @what: one of enum vmlab_what
 *
 * Return: "table", "zero", "anon", "file", "hugetlb", "ksm", "page", "pfn"
 * or "swap"; "?" for any other value.
 */
const char *vl_walk_what_name(unsigned int what);

/**
 * vl_walk_bit_name() - name of a VMLAB_E_* bit, as JSON shows it
 * @bit: the bit number (VMLAB_E_RW is bit 1)
 *
 * Return: e.g. "present", "rw", "soft_dirty", "migration_write"; NULL for
 * a bit with no name.
 */
const char *vl_walk_bit_name(unsigned int bit);

/**
 * vl_walk_bit_parse() - the VMLAB_E_* mask of a bit's name
 * @name: a name vl_walk_bit_name() returns
 *
 * Return: the mask, or 0 for no bit of that name.
 */
uint64_t vl_walk_bit_parse(const char *name);

/* Letters vl_walk_letters() writes, one per place, and its '\0'. */
#define VL_WALK_LETTERS		12

/**
 * vl_walk_letters() - x86-64's hardware bits of an entry as fixed letters
 * @bits: VMLAB_E_* bits
 * @buf: receives VL_WALK_LETTERS bytes: "PWUtcADHGTN" with '-' for each
 *	bit that is clear, and its '\0'.  The places: P present ('n' for
 *	PROT_NONE, not present to the CPU), W RW, U user, t PWT, c PCD,
 *	A accessed, D dirty, H PSE (a leaf above PTE level), G global, T PAT,
 *	N NX (not executable)
 *
 * Return: @buf.
 */
char *vl_walk_letters(uint64_t bits, char *buf);

/**
 * vl_walk_bits_format() - the names of the bits set
 * @bits: VMLAB_E_* bits
 * @mask: the bits to name (~0 for all)
 * @sep: what goes between two names, e.g. " " or ","
 * @buf: receives the names in bit order, NUL-terminated; empty when none
 * @len: size of @buf
 *
 * Return: length of the text, or -ENOSPC when it was truncated to fit.
 */
int vl_walk_bits_format(uint64_t bits, uint64_t mask, const char *sep, char *buf, size_t len);

/**
 * vl_walk_bits_diff() - how the bits of an entry changed
 * @old: the bits before
 * @new: the bits after
 * @mask: the bits to compare
 * @buf: receives "+name" for each bit set, "-name" for each bit cleared,
 *	in bit order, space-separated; empty when none changed
 * @len: size of @buf
 *
 * Return: length of the text, or -ENOSPC when it was truncated to fit.
 */
int vl_walk_bits_diff(uint64_t old, uint64_t new, uint64_t mask, char *buf, size_t len);

/**
 * vl_walk_describe() - what an entry maps, in a few words
 * @e: the entry
 * @buf: receives e.g. "table", "zero page", "anon", "anon thp order 9",
 *	"file 0:22 ino 12", "hugetlb order 9", "swap type 0 offset 0x2a",
 *	"migration pfn 0x1234 (write)", "hwpoison pfn 0x1234", "marker"
 * @len: size of @buf
 *
 * Return: length of the text, or -ENOSPC when it was truncated to fit.
 */
int vl_walk_describe(const struct vmlab_walk_entry *e, char *buf, size_t len);

/**
 * vl_walk_swap_format() - decode the non-present entry @e
 * @e: an entry of VMLAB_WHAT_SWAP
 * @buf: receives e.g. "swap type 0 offset 0x2a", "migration pfn 0x1234
 *	(write)", "hwpoison pfn 0x1234", "device-private pfn 0x1234",
 *	"marker"; "" for an entry of another kind
 * @len: size of @buf
 *
 * Return: length of the text, or -ENOSPC when it was truncated to fit.
 */
int vl_walk_swap_format(const struct vmlab_walk_entry *e, char *buf, size_t len);

/* The device number of struct vmlab_walk_entry.dev: the kernel's 12:20 encoding. */
#define VL_WALK_DEV_MAJOR(dev)	((unsigned int)((dev) >> 20))
#define VL_WALK_DEV_MINOR(dev)	((unsigned int)((dev) & 0xfffff))

#endif /* _VMLAB_WALK_H */
