// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab's debugfs directory: the counters that prove which handler ran.
 *
 * /sys/kernel/debug/vmlab/counters  one "name value" line per counter
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "vmlab.h"

atomic64_t vmlab_counters[VMLAB_NR_COUNTERS];

static const char *const vmlab_counter_names[VMLAB_NR_COUNTERS] = {
	[VMLAB_CNT_OPENS] = "opens",
	[VMLAB_CNT_FILES_LIVE] = "files_live",
};

static struct dentry *vmlab_debugfs_dir;

static int counters_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < VMLAB_NR_COUNTERS; i++)
		seq_printf(m, "%s %lld\n", vmlab_counter_names[i],
			   (long long)atomic64_read(&vmlab_counters[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

/**
 * vmlab_debugfs_init() - create /sys/kernel/debug/vmlab and its files
 *
 * Return: 0; debugfs failures are not fatal to the device.
 */
int vmlab_debugfs_init(void)
{
	vmlab_debugfs_dir = debugfs_create_dir("vmlab", NULL);
	debugfs_create_file("counters", 0400, vmlab_debugfs_dir, NULL,
			    &counters_fops);
	return 0;
}

/**
 * vmlab_debugfs_exit() - remove /sys/kernel/debug/vmlab
 */
void vmlab_debugfs_exit(void)
{
	debugfs_remove_recursive(vmlab_debugfs_dir);
}
