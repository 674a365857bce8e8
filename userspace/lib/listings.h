/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Readers of vmlab's debugfs listings: the objects and vmas files, each a
 * header line naming the columns and one line per live object or VMA.
 */
#ifndef _VMLAB_LISTINGS_H
#define _VMLAB_LISTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "debugfs.h"
#include "vmlab_uapi.h"

#define VL_OBJECTS_PATH		VMLAB_DEBUGFS_PATH "/objects"
#define VL_VMAS_PATH		VMLAB_DEBUGFS_PATH "/vmas"

/* Longest mapping type name, without the NUL. */
#define VL_TYPE_NAME_MAX	31

/**
 * struct vl_object_row - one line of the objects file
 * @id: object number; 0 is the store
 * @type: mapping type name, e.g. "shared" (the store) or "shared_anon"
 * @size_pages: size in pages
 * @resident_pages: pages in memory
 * @dirty_pages: pages tagged dirty
 * @backing: 1 when the object lives in a backing file
 * @mappers: VMAs that map it, or -1 when the listing does not say
 */
struct vl_object_row {
	uint64_t id;
	char type[VL_TYPE_NAME_MAX + 1];
	uint64_t size_pages;
	uint64_t resident_pages;
	uint64_t dirty_pages;
	int backing;
	long long mappers;
};

/**
 * struct vl_vma_row - one line of the vmas file
 * @pid: process whose address space holds the VMA (0 when unknown)
 * @start: first address
 * @end: first address after it
 * @type: mapping type name, e.g. "private_cow"
 * @flags: vm_flags, as the kernel has them
 * @pgoff: offset in pages into what it maps
 */
struct vl_vma_row {
	pid_t pid;
	unsigned long start;
	unsigned long end;
	char type[VL_TYPE_NAME_MAX + 1];
	unsigned long flags;
	unsigned long pgoff;
};

/**
 * vl_objects_parse() - parse the text of an objects file
 * @text: the text; its header line names the columns, in any order, and
 *	must name id, type, size_pages, resident_pages and dirty_pages
 *	(backing and mappers are optional, other columns are ignored)
 * @rows: receives a malloc'd array (NULL when there is no row)
 * @n: receives the number of rows
 *
 * Return: 0, -EPROTO when the header lacks a column or a line does not
 * parse, or -ENOMEM.
 */
int vl_objects_parse(const char *text, struct vl_object_row **rows, size_t *n);

/**
 * vl_vmas_parse() - parse the text of a vmas file
 * @text: the text; its header must name pid, start, end, type, flags
 *	and pgoff, in any order (other columns, such as the faults column
 *	of modules before issue 13, are ignored)
 * @rows: receives a malloc'd array (NULL when there is no row)
 * @n: receives the number of rows
 *
 * Numbers are decimal except start, end, flags and pgoff, which are hex.
 *
 * Return: 0, -EPROTO when the header lacks a column or a line does not
 * parse, or -ENOMEM.
 */
int vl_vmas_parse(const char *text, struct vl_vma_row **rows, size_t *n);

/**
 * vl_objects_read() - read and parse VL_OBJECTS_PATH
 * @rows: receives a malloc'd array (NULL when there is no row)
 * @n: receives the number of rows
 *
 * Return: 0, or -errno as from vl_read_text() and vl_objects_parse().
 */
int vl_objects_read(struct vl_object_row **rows, size_t *n);

/**
 * vl_vmas_read() - read and parse VL_VMAS_PATH
 * @rows: receives a malloc'd array (NULL when there is no row)
 * @n: receives the number of rows
 *
 * Return: 0, or -errno as from vl_read_text() and vl_vmas_parse().
 */
int vl_vmas_read(struct vl_vma_row **rows, size_t *n);

#endif /* _VMLAB_LISTINGS_H */
