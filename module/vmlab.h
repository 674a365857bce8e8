/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab internal interfaces, shared by the module's files.
 */
#ifndef _VMLAB_H
#define _VMLAB_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/types.h>

#include "vmlab_uapi.h"

/**
 * enum vmlab_counter - the event and population counters shown in debugfs
 * @VMLAB_CNT_OPENS: open(2) calls on /dev/vmlab
 * @VMLAB_CNT_FILES_LIVE: open files of /dev/vmlab
 * @VMLAB_NR_COUNTERS: number of counters; not a counter
 */
enum vmlab_counter {
	VMLAB_CNT_OPENS,
	VMLAB_CNT_FILES_LIVE,
	VMLAB_NR_COUNTERS
};

extern atomic64_t vmlab_counters[VMLAB_NR_COUNTERS];

/* vmlab_count() - add one to counter @c. */
static inline void vmlab_count(enum vmlab_counter c)
{
	atomic64_inc(&vmlab_counters[c]);
}

/* vmlab_uncount() - take one from population counter @c. */
static inline void vmlab_uncount(enum vmlab_counter c)
{
	atomic64_dec(&vmlab_counters[c]);
}

int vmlab_debugfs_init(void);
void vmlab_debugfs_exit(void);

#endif /* _VMLAB_H */
