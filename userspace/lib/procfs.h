/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Readers of /proc files: maps, smaps, status and meminfo.
 */
#ifndef _VMLAB_PROCFS_H
#define _VMLAB_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/**
 * struct vl_vma - one line of /proc/PID/maps
 * @start: first address of the mapping
 * @end: first address after the mapping
 * @perms: permissions, e.g. "rw-p" (p: private, s: shared)
 * @pgoff: offset into the mapped file, in bytes
 * @dev_major: major number of the mapped file's device
 * @dev_minor: minor number of the mapped file's device
 * @inode: inode number of the mapped file, 0 for none
 * @path: path or pseudo-name ("[heap]", "/memfd:x (deleted)"), empty for
 *	none; truncated when longer than the array
 */
struct vl_vma {
	unsigned long start, end;
	char perms[5];
	unsigned long long pgoff;
	unsigned int dev_major, dev_minor;
	unsigned long inode;
	char path[256];
};

/**
 * vl_maps_read() - read all the mappings of a process
 * @pid: process id, or 0 for the calling process
 * @out: receives a malloc'd array of mappings, to be freed by the caller
 *	(NULL when there are none)
 * @n: receives the number of mappings
 *
 * Return: 0, or -errno.
 */
int vl_maps_read(pid_t pid, struct vl_vma **out, size_t *n);

/**
 * vl_maps_parse_line() - parse one line of /proc/PID/maps (or a header line
 *	of /proc/PID/smaps)
 * @line: the line, with or without its newline
 * @out: receives the mapping
 *
 * Return: 0, or -EINVAL when @line is not a maps line.
 */
int vl_maps_parse_line(const char *line, struct vl_vma *out);

/**
 * vl_maps_find() - find the mapping of a process that holds an address
 * @pid: process id, or 0 for the calling process
 * @addr: the address
 * @out: receives the mapping
 *
 * Return: 0, -ENOENT when no mapping holds @addr, or another -errno.
 */
int vl_maps_find(pid_t pid, unsigned long addr, struct vl_vma *out);

/**
 * vl_smaps_field() - read a numeric field of one mapping in /proc/PID/smaps
 * @pid: process id, or 0 for the calling process
 * @vma_start: start address of the mapping
 * @field: field name without the colon, e.g. "Rss" or "Private_Dirty"
 * @kb: receives the value (in kB for the fields given in kB)
 *
 * Return: 0, -ENOENT when the mapping or the field is missing, or another
 * -errno.
 */
int vl_smaps_field(pid_t pid, unsigned long vma_start, const char *field,
		   long long *kb);

/**
 * vl_smaps_vmflags() - read the VmFlags line of one mapping in smaps
 * @pid: process id, or 0 for the calling process
 * @vma_start: start address of the mapping
 * @buf: receives the NUL-terminated flags, e.g. "rd wr mr mw me ac sd"
 * @len: size of @buf
 *
 * Return: 0, -ENOENT when the mapping or the line is missing, -ENOSPC when
 * @buf is too small, or another -errno.
 */
int vl_smaps_vmflags(pid_t pid, unsigned long vma_start, char *buf,
		     size_t len);

/**
 * vl_status_field() - read a numeric field of /proc/PID/status
 * @pid: process id, or 0 for the calling process
 * @field: field name without the colon, e.g. "VmLck" or "VmRSS"
 * @value: receives the first number of the field (in kB for Vm* fields)
 *
 * Return: 0, -ENOENT when the field is missing, -EINVAL when it is not a
 * number, or another -errno.
 */
int vl_status_field(pid_t pid, const char *field, long long *value);

/**
 * vl_meminfo_field() - read a field of /proc/meminfo
 * @field: field name without the colon, e.g. "Mapped" or "HugePages_Free"
 * @value: receives the value (in kB, or a count for HugePages_*)
 *
 * Return: 0, -ENOENT when the field is missing, -EINVAL when it is not a
 * number, or another -errno.
 */
int vl_meminfo_field(const char *field, long long *value);

/**
 * vl_vmstat_field() - read one counter of /proc/vmstat
 * @field: its name, e.g. "thp_file_alloc"
 * @value: receives the value
 *
 * Return: 0, -ENOENT when the kernel has no such counter (thp_* without
 * THP), or another -errno.
 */
int vl_vmstat_field(const char *field, long long *value);

/**
 * vl_comm_read() - read the name of a process (/proc/PID/comm)
 * @pid: process id, or 0 for the calling process
 * @buf: receives the NUL-terminated name, without its newline
 * @len: size of @buf; a longer name is cut
 *
 * Return: 0, or -errno (-ENOENT when the process is gone).
 */
int vl_comm_read(pid_t pid, char *buf, size_t len);

/**
 * vl_write_file() - write a string to a file, e.g. "4" to clear_refs
 * @path: the file, which must exist
 * @text: the NUL-terminated string, written without the NUL
 *
 * Return: 0, or -errno.
 */
int vl_write_file(const char *path, const char *text);

#endif /* _VMLAB_PROCFS_H */
