// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab's debugfs directory, root only: the module's own view.
 *
 * counters  one "name value" line per counter; per-type counters are named
 *           BASE_TYPE (faults_read_private_cow, vmas_live_shared, ...), and
 *           pages_store, dirty_store and pages_shared_anon are read live
 * objects   one line per live object: id, type, size, resident and dirty
 *           pages, backing file or not, and how many VMAs map it
 * vmas      one line per live VMA: pid (of a process using the mm), range, type,
 *           flags and faults
 * huge      one line per live huge-kind state: id, where its pages come
 *           from (tmpfile on hugetlbfs_path, or the user's file) and the
 *           2 MiB pool pages it holds
 * inject/   fault injection controls; see inject.c
 */
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>

#include "vmlab.h"

atomic64_t vmlab_counters[VMLAB_NR_COUNTERS];

const char *const vmlab_type_names[VMLAB_NR_TYPES] = {
	[VMLAB_PRIVATE_COW] = "private_cow",
	[VMLAB_SHARED] = "shared",
	[VMLAB_PRIVATE_ANON] = "private_anon",
	[VMLAB_SHARED_ANON] = "shared_anon",
	[VMLAB_HUGE] = "huge",
};

/* Names of the counters; a per-type counter has its base name at its first type. */
static const char *const vmlab_counter_names[VMLAB_NR_COUNTERS] = {
	[VMLAB_CNT_OPENS] = "opens",
	[VMLAB_CNT_FILES_LIVE] = "files_live",
	[VMLAB_CNT_FAULTS_READ] = "faults_read",
	[VMLAB_CNT_FAULTS_WRITE] = "faults_write",
	[VMLAB_CNT_MAP_PAGES] = "map_pages",
	[VMLAB_CNT_VMAS_LIVE] = "vmas_live",
	[VMLAB_CNT_COW_SOURCES] = "cow_sources",
	[VMLAB_CNT_ZERO_PAGE_MAPS] = "zero_page_maps",
	[VMLAB_CNT_SIGBUS] = "sigbus",
	[VMLAB_CNT_PAGE_MKWRITE] = "page_mkwrite",
	[VMLAB_CNT_PAGES_ALLOCATED] = "pages_allocated",
	[VMLAB_CNT_PAGES_DIRTIED] = "pages_dirtied",
	[VMLAB_CNT_WRITEBACK_RUNS] = "writeback_runs",
	[VMLAB_CNT_PAGES_WRITTEN_BACK] = "pages_written_back",
	[VMLAB_CNT_WP_REARMS] = "wp_rearms",
	[VMLAB_CNT_BACKING_READS] = "backing_reads",
	[VMLAB_CNT_BACKING_ERRORS] = "backing_errors",
	[VMLAB_CNT_OBJECTS_LIVE] = "objects_live",
	[VMLAB_CNT_HUGE_PMD_FAULTS] = "huge_pmd_faults",
	[VMLAB_CNT_HUGE_PMD_FALLBACKS] = "huge_pmd_fallbacks",
	[VMLAB_CNT_HUGE_PUD_FALLBACKS] = "huge_pud_fallbacks",
	[VMLAB_CNT_HUGE_PMD_WP_FALLBACKS] = "huge_pmd_wp_fallbacks",
	[VMLAB_CNT_HUGE_RESERVE_FAILURES] = "huge_reserve_failures",
	[VMLAB_CNT_HUGE_PAGES_HELD] = "huge_pages_held",
	[VMLAB_CNT_HUGE_FILES_LIVE] = "huge_files_live",
};

static struct dentry *vmlab_debugfs_dir;

static int counters_show(struct seq_file *m, void *unused)
{
	unsigned long shared_anon_pages = 0;
	struct vmlab_object *obj;
	int i, base = 0;

	for (i = 0; i < VMLAB_NR_COUNTERS; i++) {
		long long v = atomic64_read(&vmlab_counters[i]);

		if (vmlab_counter_names[i]) {
			base = i;
			if (i + 1 == VMLAB_NR_COUNTERS || vmlab_counter_names[i + 1]) {
				seq_printf(m, "%s %lld\n", vmlab_counter_names[i], v);
				continue;
			}
		}
		seq_printf(m, "%s_%s %lld\n", vmlab_counter_names[base],
			   vmlab_type_names[i - base], v);
	}

	spin_lock(&vmlab_objects_lock);
	list_for_each_entry(obj, &vmlab_objects, node)
		if (obj->type == VMLAB_SHARED_ANON)
			shared_anon_pages += obj->inode->i_mapping->nrpages;
	spin_unlock(&vmlab_objects_lock);
	seq_printf(m, "pages_store %lu\n", vmlab_store->inode->i_mapping->nrpages);
	seq_printf(m, "dirty_store %lu\n", vmlab_object_dirty_pages(vmlab_store));
	seq_printf(m, "pages_shared_anon %lu\n", shared_anon_pages);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

/* How many live VMAs map @obj; called under vmlab_objects_lock. */
static unsigned long vmlab_object_mappers(struct vmlab_object *obj)
{
	struct address_space *mapping = obj->inode->i_mapping;
	unsigned long n = 0;
	struct vmlab_vma *vv;

	/* Lock order: vmlab_objects_lock, then vmlab_vmas_lock; only here. */
	spin_lock(&vmlab_vmas_lock);
	list_for_each_entry(vv, &vmlab_vmas, node)
		if (vv->type != VMLAB_PRIVATE_ANON && vv->type != VMLAB_HUGE &&
		    vv->vma->vm_file->f_mapping == mapping)
			n++;
	spin_unlock(&vmlab_vmas_lock);
	return n;
}

static int objects_show(struct seq_file *m, void *unused)
{
	struct vmlab_object *obj;

	seq_puts(m, "id type size_pages resident_pages dirty_pages backing mappers\n");
	spin_lock(&vmlab_objects_lock);
	list_for_each_entry(obj, &vmlab_objects, node)
		seq_printf(m, "%llu %s %lu %lu %lu %d %lu\n", obj->id, vmlab_type_names[obj->type],
			   obj->nr_pages, obj->inode->i_mapping->nrpages,
			   vmlab_object_dirty_pages(obj), !!obj->backing,
			   vmlab_object_mappers(obj));
	spin_unlock(&vmlab_objects_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(objects);

/**
 * struct vmlab_mm_pid_cache - the last answer of vmlab_mm_pid()
 * @mm: the mm asked about, never dereferenced
 * @pid: the answer
 */
struct vmlab_mm_pid_cache {
	const struct mm_struct *mm;
	pid_t pid;
};

/*
 * The thread group of a task using @mm, or 0 when none is (the mm of a
 * process that is exiting).  mm->owner exists only with CONFIG_MEMCG, so
 * the tasks are searched, under RCU; @last caches the previous answer,
 * since consecutive VMAs often share their mm.
 */
static pid_t vmlab_mm_pid(struct mm_struct *mm, struct vmlab_mm_pid_cache *last)
{
	struct task_struct *p, *t;
	pid_t pid = 0;

	if (last->mm == mm)
		return last->pid;
	rcu_read_lock();
	for_each_process_thread(p, t) {
		if (READ_ONCE(t->mm) == mm) {
			pid = task_tgid_nr(t);
			goto out;
		}
	}
out:
	rcu_read_unlock();
	last->mm = mm;
	last->pid = pid;
	return pid;
}

static int vmas_show(struct seq_file *m, void *unused)
{
	struct vmlab_mm_pid_cache last = { };
	struct vmlab_vma *vv;

	seq_puts(m, "pid start end type flags pgoff faults\n");
	spin_lock(&vmlab_vmas_lock);
	list_for_each_entry(vv, &vmlab_vmas, node) {
		/* The VMA lives while its record is listed; its bounds may be changing. */
		struct vm_area_struct *vma = vv->vma;

		seq_printf(m, "%d %lx %lx %s %lx %lx %lld\n", vmlab_mm_pid(vma->vm_mm, &last),
			   READ_ONCE(vma->vm_start), READ_ONCE(vma->vm_end),
			   vmlab_type_names[vv->type], READ_ONCE(vma->vm_flags),
			   READ_ONCE(vma->vm_pgoff), (long long)atomic64_read(&vv->faults));
	}
	spin_unlock(&vmlab_vmas_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmas);

static int huge_show(struct seq_file *m, void *unused)
{
	vmlab_huge_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(huge);

/**
 * vmlab_debugfs_init() - create /sys/kernel/debug/vmlab and its files
 *
 * Failures leave the device working without its debugfs view.
 */
void vmlab_debugfs_init(void)
{
	vmlab_debugfs_dir = debugfs_create_dir("vmlab", NULL);
	debugfs_create_file("counters", 0400, vmlab_debugfs_dir, NULL, &counters_fops);
	debugfs_create_file("objects", 0400, vmlab_debugfs_dir, NULL, &objects_fops);
	debugfs_create_file("vmas", 0400, vmlab_debugfs_dir, NULL, &vmas_fops);
	debugfs_create_file("huge", 0400, vmlab_debugfs_dir, NULL, &huge_fops);
	vmlab_inject_debugfs(vmlab_debugfs_dir);
}

/**
 * vmlab_debugfs_exit() - remove /sys/kernel/debug/vmlab
 */
void vmlab_debugfs_exit(void)
{
	debugfs_remove_recursive(vmlab_debugfs_dir);
}
