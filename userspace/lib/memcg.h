/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memcg.h - a memory cgroup (v2) of one's own, whose memory.max can force
 * a charge to fail: the cgroup2 hierarchy (mounted when it is not), the
 * memory controller enabled for the root's children, one child cgroup.
 * Needs root.
 */
#ifndef _VMLAB_MEMCG_H
#define _VMLAB_MEMCG_H

#include <stdbool.h>

/**
 * struct vl_memcg - a child cgroup of the cgroup2 root, and what was done to have it
 * @root: where the cgroup2 hierarchy is mounted
 * @path: the child cgroup, "" until vl_memcg_make()
 * @mounted: vl_memcg_root() mounted the hierarchy at @root (in a directory it made)
 * @enabled: vl_memcg_root() wrote +memory to @root's cgroup.subtree_control
 */
struct vl_memcg {
	char root[256];
	char path[320];
	bool mounted;
	bool enabled;
};

/**
 * vl_memcg_root() - find or mount the cgroup2 hierarchy, with memory for its children
 * @cg: filled in; vl_memcg_destroy() undoes what it did, also on failure
 *
 * Return: 0; -ENODEV when cgroup2 has no memory controller (no memcg, or it
 * is bound to a cgroup v1 hierarchy); or the -errno of mkdtemp, mount or
 * the write of +memory.
 */
int vl_memcg_root(struct vl_memcg *cg);

/**
 * vl_memcg_make() - make a child cgroup of the root and set its memory.max
 * @cg: found by vl_memcg_root()
 * @name: the child's name, e.g. "thp_test.PID"
 * @max: memory.max, in bytes
 *
 * Return: 0, or the -errno of mkdir or of the write to memory.max.
 */
int vl_memcg_make(struct vl_memcg *cg, const char *name, long long max);

/**
 * vl_memcg_join() - move the calling process into @cg's child cgroup
 * @cg: made by vl_memcg_make()
 *
 * Return: 0, or -errno.
 */
int vl_memcg_join(const struct vl_memcg *cg);

/**
 * vl_memcg_destroy() - undo vl_memcg_root() and vl_memcg_make()
 * @cg: as they left it
 *
 * Moves the processes still in the child cgroup to the root, removes the
 * child, writes -memory if +memory was written, unmounts what was mounted.
 *
 * Return: 0, or the -errno of the child's rmdir.
 */
int vl_memcg_destroy(struct vl_memcg *cg);

#endif /* _VMLAB_MEMCG_H */
