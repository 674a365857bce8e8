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
 *           flags and offset; found in the reverse maps of the objects
 *           (the store, the anonymous objects, the huge kind's files)
 * huge      one line per live huge-kind state: id, where its pages come
 *           from (tmpfile on hugetlbfs_path, or the user's file) and the
 *           2 MiB pool pages it holds
 * inject/   fault injection controls; see inject.c
 */
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/rbtree.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>

#include "vmlab.h"

DEFINE_PER_CPU(struct vmlab_counters, vmlab_counters);

/**
 * vmlab_counter_sum() - the value of counter @c, summed over the CPUs
 * @c: the counter
 *
 * Return: the sum; exact when no CPU changes the counter meanwhile.
 */
long vmlab_counter_sum(enum vmlab_counter c)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(vmlab_counters, cpu).cnt[c]);
	return sum;
}

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
	[VMLAB_CNT_ZERO_SOURCES] = "zero_sources",
	[VMLAB_CNT_FAULTS_VMA_LOCKED] = "faults_vma_locked",
	[VMLAB_CNT_SIGBUS] = "sigbus",
	[VMLAB_CNT_PAGE_MKWRITE] = "page_mkwrite",
	[VMLAB_CNT_PAGES_ALLOCATED] = "pages_allocated",
	[VMLAB_CNT_PAGES_DIRTIED] = "pages_dirtied",
	[VMLAB_CNT_WRITEBACK_RUNS] = "writeback_runs",
	[VMLAB_CNT_PAGES_WRITTEN_BACK] = "pages_written_back",
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
		long long v = vmlab_counter_sum(i);

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

	if (mutex_lock_killable(&vmlab_objects_lock))
		return -EINTR;
	list_for_each_entry(obj, &vmlab_objects, node)
		if (obj->type == VMLAB_SHARED_ANON)
			shared_anon_pages += READ_ONCE(obj->inode->i_mapping->nrpages);
	mutex_unlock(&vmlab_objects_lock);
	seq_printf(m, "pages_store %lu\n", READ_ONCE(vmlab_store->inode->i_mapping->nrpages));
	seq_printf(m, "dirty_store %lu\n", vmlab_object_dirty_pages(vmlab_store));
	seq_printf(m, "pages_shared_anon %lu\n", shared_anon_pages);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

/*
 * objects is a seq_file that holds its list's mutex only while it fills one
 * buffer, so a reader never holds up mmap(2) for long.
 */
static void *objects_start(struct seq_file *m, loff_t *pos)
{
	if (mutex_lock_killable(&vmlab_objects_lock))
		return ERR_PTR(-EINTR);
	return seq_list_start_head(&vmlab_objects, *pos);
}

static void *objects_next(struct seq_file *m, void *v, loff_t *pos)
{
	return seq_list_next(v, &vmlab_objects, pos);
}

static void objects_stop(struct seq_file *m, void *v)
{
	if (!IS_ERR(v))
		mutex_unlock(&vmlab_objects_lock);
}

/* How many VMAs map @obj: its reverse map, as the core keeps it. */
static unsigned long vmlab_object_mappers(struct vmlab_object *obj)
{
	struct address_space *mapping = obj->inode->i_mapping;
	unsigned long n = 0;
	struct rb_node *node;

	/* Every node of the interval tree is a VMA (the iterators are not exported on 6.1). */
	i_mmap_lock_read(mapping);
	for (node = rb_first_cached(&mapping->i_mmap); node; node = rb_next(node))
		n++;
	i_mmap_unlock_read(mapping);
	return n;
}

static int objects_show(struct seq_file *m, void *v)
{
	struct vmlab_object *obj;

	if (v == &vmlab_objects) {
		seq_puts(m, "id type size_pages resident_pages dirty_pages backing mappers\n");
		return 0;
	}
	obj = list_entry(v, struct vmlab_object, node);
	seq_printf(m, "%llu %s %lu %lu %lu %d %lu\n", obj->id, vmlab_type_names[obj->type],
		   obj->nr_pages, READ_ONCE(obj->inode->i_mapping->nrpages),
		   vmlab_object_dirty_pages(obj),
		   obj == vmlab_store && vmlab_store_has_backing(), vmlab_object_mappers(obj));
	return 0;
}

static const struct seq_operations objects_sops = {
	.start = objects_start,
	.next = objects_next,
	.stop = objects_stop,
	.show = objects_show,
};
DEFINE_SEQ_ATTRIBUTE(objects);

/* The owner of @mm where the kernel keeps one (CONFIG_MEMCG), under RCU. */
static struct task_struct *vmlab_mm_owner(struct mm_struct *mm)
{
#ifdef CONFIG_MEMCG
	return rcu_dereference(mm->owner);
#else
	return NULL;
#endif
}

/*
 * The thread group of a task using @mm, or 0 when none is (the mm of a
 * process that is exiting): its owner where the kernel keeps one
 * (CONFIG_MEMCG), else the first process found using it, under RCU.
 */
static pid_t vmlab_mm_pid(struct mm_struct *mm)
{
	struct task_struct *p, *t;
	pid_t pid = 0;

	rcu_read_lock();
	if (IS_ENABLED(CONFIG_MEMCG)) {
		p = vmlab_mm_owner(mm);
		if (p)
			pid = task_tgid_nr(p);
		goto out;
	}
	/* O(tasks) for each line, under the object list's mutex. */
	for_each_process_thread(p, t) {
		if (READ_ONCE(t->mm) == mm) {
			pid = task_tgid_nr(t);
			goto out;
		}
	}
out:
	rcu_read_unlock();
	return pid;
}

/**
 * vmlab_vmas_show_mapping() - list the vmlab VMAs that map an object
 * @m: the vmas file being read
 * @mapping: the object's page cache, whose reverse map (i_mmap) holds
 *	every VMA mapping it: vmlab's, and any mapping of its file made
 *	otherwise (those are skipped)
 *
 * Under i_mmap_rwsem, as the kernel's own reverse-map walks: a VMA cannot
 * leave the tree, nor its bounds and offset change (the core changes them
 * under the lock held for writing), while it is read; its flags may
 * change under mmap_lock alone (mprotect(2)), which is not taken here,
 * nor may it be: the core takes i_mmap_rwsem inside mmap_lock.  The caller
 * keeps @mapping's inode alive.
 */
void vmlab_vmas_show_mapping(struct seq_file *m, struct address_space *mapping)
{
	struct vm_area_struct *vma;
	enum vmlab_type type;
	struct rb_node *node;

	i_mmap_lock_read(mapping);
	/* Every node of the interval tree is a VMA (the iterators are not exported on 6.1). */
	for (node = rb_first_cached(&mapping->i_mmap); node; node = rb_next(node)) {
		vma = rb_entry(node, struct vm_area_struct, shared.rb);
		type = vmlab_vma_type(vma);
		if (type == VMLAB_NR_TYPES)
			continue;
		seq_printf(m, "%d %lx %lx %s %lx %lx\n", vmlab_mm_pid(vma->vm_mm),
			   vma->vm_start, vma->vm_end, vmlab_type_names[type],
			   READ_ONCE(vma->vm_flags), vma->vm_pgoff);
		if (seq_has_overflowed(m))
			break;
	}
	i_mmap_unlock_read(mapping);
}

/*
 * One buffer's worth: seq_file calls this again with a larger buffer when
 * the listing overflowed, so each walk stops at the first overflow.
 */
static int vmas_show(struct seq_file *m, void *unused)
{
	struct vmlab_object *obj;

	seq_puts(m, "pid start end type flags pgoff\n");
	if (mutex_lock_killable(&vmlab_objects_lock))
		return -EINTR;
	list_for_each_entry(obj, &vmlab_objects, node) {
		vmlab_vmas_show_mapping(m, obj->inode->i_mapping);
		if (seq_has_overflowed(m))
			break;
	}
	mutex_unlock(&vmlab_objects_lock);
	if (!seq_has_overflowed(m))
		vmlab_huge_vmas_show(m);
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
