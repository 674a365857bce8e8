/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for opening, configuring and mapping /dev/vmlab.
 */
#ifndef _VMLAB_DEVICE_H
#define _VMLAB_DEVICE_H

#include <stddef.h>
#include <sys/types.h>

#include "vmlab_uapi.h"

/* Kinds are 0 to VL_NR_KINDS - 1: VL_NR_KINDS is the first value that is none. */
#define VL_NR_KINDS	(VMLAB_KIND_HUGE + 1)

/**
 * vl_open() - open the vmlab device
 * @flags: open(2) flags, e.g. O_RDWR
 *
 * Return: a file descriptor, or -errno.
 */
int vl_open(int flags);

/**
 * vl_select() - choose the kind of an open file (VMLAB_IOC_SET_KIND)
 * @fd: an open file of the device
 * @kind: one of enum vmlab_kind
 * @huge_fd: for VMLAB_KIND_HUGE, a hugetlbfs file or MFD_HUGETLB memfd, or
 *	-1 for the module's own hugetlbfs mount; -1 for other kinds
 *
 * Return: 0, or -errno (-EBUSY once the file has been mapped).
 */
int vl_select(int fd, unsigned int kind, int huge_fd);

/* THP policies are 0 to VL_NR_THP - 1. */
#define VL_NR_THP	(VMLAB_THP_INHERIT + 1)

/**
 * vl_select_thp() - choose the anon kind for an open file, with the THP
 *	policy of the shared anonymous objects its MAP_SHARED mappings make
 * @fd: an open file of the device
 * @thp: one of enum vmlab_thp
 *
 * Return: 0, or -errno (-EBUSY once the file has mappings of another
 * kind or policy).
 */
int vl_select_thp(int fd, unsigned int thp);

/**
 * vl_thp_name() - the module parameter's name of a THP policy
 * @thp: one of enum vmlab_thp
 *
 * Return: "never", "always", "within_size", "advise", "inherit", "default",
 * or "?" for a value that is none.
 */
const char *vl_thp_name(unsigned int thp);

/**
 * vl_info() - describe an open file and the device (VMLAB_IOC_GET_INFO)
 * @fd: an open file of the device
 * @info: receives the description
 *
 * Return: 0, or -errno.
 */
int vl_info(int fd, struct vmlab_info *info);

/**
 * vl_map() - choose the kind of an open file and map it
 * @fd: an open file of the device
 * @kind: one of enum vmlab_kind; VMLAB_KIND_HUGE uses the module's own
 *	hugetlbfs mount
 * @len: length of the mapping
 * @prot: mmap(2) protection
 * @flags: mmap(2) flags, e.g. MAP_SHARED
 * @off: offset into the device
 *
 * A file that is already mapped keeps its kind; that is no error when the
 * kind is @kind.
 *
 * Return: the address of the mapping, or MAP_FAILED with errno set.
 */
void *vl_map(int fd, unsigned int kind, size_t len, int prot, int flags,
	     off_t off);

/*
 * The group tests grant the device to, as module/60-vmlab.rules grants it
 * to group vmlab: a number, since a guest's /etc/group may have no vmlab.
 */
#define VMLAB_TEST_GROUP	4242

/**
 * vl_device_grant() - do what module/60-vmlab.rules makes udev do: give
 *	the device node to group @gid, mode 0660 (for guests without udev)
 * @gid: the group
 *
 * Return: 0, or -errno.
 */
int vl_device_grant(gid_t gid);

/**
 * vl_device_ungrant() - give the device node back to root alone, mode 0600,
 *	as the module makes it
 *
 * Return: 0, or -errno.
 */
int vl_device_ungrant(void);

/**
 * vl_kind_name() - name of a kind
 * @kind: one of enum vmlab_kind
 *
 * Return: "store", "anon" or "huge", or "unknown" for any other value.
 */
const char *vl_kind_name(unsigned int kind);

#endif /* _VMLAB_DEVICE_H */
