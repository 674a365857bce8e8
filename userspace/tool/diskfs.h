/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab tool: a directory on a disk filesystem, for the native twins of the
 * store that must be evicted and read back from a block device (tour
 * reclaim, bench refault).
 */
#ifndef _VMLAB_TOOL_DISKFS_H
#define _VMLAB_TOOL_DISKFS_H

#include <stdbool.h>
#include <sys/types.h>

/**
 * struct diskfs - a directory on a block-device filesystem
 * @dir: the directory, where the twin's files are made
 * @what: the filesystem, for people: "ext4 on /dev/loop0 over a file of
 *	tmpfs, mounted by vmlab" or "ext4 on /dev/sda1 at /var/tmp"
 * @fstype: its type, "ext4"
 * @image: the image file behind the loop device when vmlab made it, or ""
 * @mounted: vmlab mounted @dir, and diskfs_put() unmounts it
 */
struct diskfs {
	char dir[256];
	char what[640];
	char fstype[32];
	char image[256];
	bool mounted;
};

/**
 * diskfs_get() - find or make a disk filesystem to put a twin's file on
 * @d: receives it
 * @min_bytes: what it must hold
 * @why: receives why there is none, on failure
 * @len: size of @why
 *
 * $VMLAB_DISK_DIR when set; else a writable ext2/3/4, XFS, btrfs or f2fs
 * mount on a /dev block device holding /var/tmp, $TMPDIR or /tmp; else, as
 * root, a fresh ext4 on a loop device over a file in /tmp (modprobe loads
 * loop and ext4 when they are modules: from $VMLAB_KMODDIR in vmlab's
 * guests), which diskfs_put() takes down again.
 *
 * Return: 0, or -1 with @why set.
 */
int diskfs_get(struct diskfs *d, off_t min_bytes, char *why, size_t len);

/* diskfs_file() - a new, unlinked file of @size bytes in @d: its fd, or -errno. */
int diskfs_file(const struct diskfs *d, off_t size);

/* diskfs_put() - unmount and remove what diskfs_get() made; keep the rest. */
void diskfs_put(struct diskfs *d);

#endif /* _VMLAB_TOOL_DISKFS_H */
