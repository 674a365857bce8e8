/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Readers of vmlab's debugfs files.
 */
#ifndef _VMLAB_DEBUGFS_H
#define _VMLAB_DEBUGFS_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab_uapi.h"

/* vmlab's debugfs directory (debugfs mounted where it usually is). */
#define VMLAB_DEBUGFS_PATH	"/sys/kernel/debug/vmlab"

/* The counters file: one "name value\n" line per counter. */
#define VL_COUNTERS_PATH	VMLAB_DEBUGFS_PATH "/counters"

/* Most counters a struct vl_counters holds. */
#define VL_COUNTERS_MAX		256

/* Longest counter name, without the NUL. */
#define VL_COUNTER_NAME_MAX	47

/* What vl_counter_delta() returns for a counter missing from a snapshot. */
#define VL_COUNTER_MISSING	INT64_MIN

/**
 * struct vl_counters - a snapshot of the counters file
 * @n: number of counters in @c
 * @c: the counters in file order
 * @c.name: counter name, [a-z0-9_]+
 * @c.value: counter value
 */
struct vl_counters {
	size_t n;
	struct {
		char name[VL_COUNTER_NAME_MAX + 1];
		uint64_t value;
	} c[VL_COUNTERS_MAX];
};

/**
 * vl_read_text() - read a whole small file into memory
 * @path: the file
 * @buf: receives a malloc'd, NUL-terminated copy of the contents, to be
 *	freed by the caller
 *
 * Return: 0, -EFBIG when the file is larger than 16 MiB, or another -errno.
 */
int vl_read_text(const char *path, char **buf);

/**
 * vl_counters_parse() - parse the text of a counters file
 * @text: NUL-terminated text, one "name value\n" line per counter
 * @out: receives the counters
 *
 * Return: 0, -EINVAL for a malformed line (bad name or value, duplicate
 * name), -ENAMETOOLONG for a name longer than VL_COUNTER_NAME_MAX,
 * -ERANGE for a value beyond 64 bits, or -E2BIG for more than
 * VL_COUNTERS_MAX counters.
 */
int vl_counters_parse(const char *text, struct vl_counters *out);

/**
 * vl_counters_read() - take a snapshot of vmlab's debugfs counters
 * @out: receives the counters
 *
 * Return: 0, or -errno as from vl_read_text() and vl_counters_parse().
 */
int vl_counters_read(struct vl_counters *out);

/**
 * vl_counter_get() - look up one counter in a snapshot
 * @c: the snapshot
 * @name: counter name
 * @value: receives the value
 *
 * Return: 0, or -ENOENT when the snapshot has no such counter.
 */
int vl_counter_get(const struct vl_counters *c, const char *name,
		   uint64_t *value);

/**
 * vl_counter_delta() - how much a counter changed between two snapshots
 * @before: the earlier snapshot
 * @after: the later snapshot
 * @name: counter name
 *
 * Return: the value in @after minus the value in @before, or
 * VL_COUNTER_MISSING when either snapshot lacks the counter.
 */
int64_t vl_counter_delta(const struct vl_counters *before,
			 const struct vl_counters *after, const char *name);

#endif /* _VMLAB_DEBUGFS_H */
