/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab internal interfaces, shared by the module's files.
 */
#ifndef _VMLAB_H
#define _VMLAB_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/jump_label.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/types.h>
#include <asm/current.h>

#include "vmlab_uapi.h"

/* Kinds are 0 to VMLAB_NR_KINDS - 1 (the uapi header has no sentinel). */
#define VMLAB_NR_KINDS		(VMLAB_KIND_HUGE + 1)
/* THP policies are 0 to VMLAB_NR_THP - 1. */
#define VMLAB_NR_THP		(VMLAB_THP_INHERIT + 1)

/**
 * enum vmlab_type - the mapping types vmlab serves: a kind and a sharing mode
 * @VMLAB_PRIVATE_COW: store kind, MAP_PRIVATE
 * @VMLAB_SHARED: store kind, MAP_SHARED
 * @VMLAB_PRIVATE_ANON: anon kind, MAP_PRIVATE
 * @VMLAB_SHARED_ANON: anon kind, MAP_SHARED
 * @VMLAB_HUGE: huge kind, MAP_SHARED
 * @VMLAB_NR_TYPES: number of types; not a type
 */
enum vmlab_type {
	VMLAB_PRIVATE_COW,
	VMLAB_SHARED,
	VMLAB_PRIVATE_ANON,
	VMLAB_SHARED_ANON,
	VMLAB_HUGE,
	VMLAB_NR_TYPES
};

extern const char *const vmlab_type_names[VMLAB_NR_TYPES];

/**
 * enum vmlab_huge_how - what became of a fault that could map 2 MiB at
 * once, as the vmlab_huge_fault event reports it
 * @VMLAB_HUGE_PMD: the huge kind's ->huge_fault mapped it with one PMD
 *	entry (unless the event's result says the insertion failed)
 * @VMLAB_HUGE_FOLIO: the store with backing= made a 2 MiB folio for the
 *	aligned range and started its read; the core maps it
 *
 * The rest are fallbacks: 4 KiB entries, or the store's base pages.
 *
 * @VMLAB_HUGE_PUD: the core asked for a PUD, which vmlab never maps
 * @VMLAB_HUGE_UNCOVERED: the VMA does not cover the aligned 2 MiB around
 *	the fault
 * @VMLAB_HUGE_MISALIGNED: the VMA's file offset is not 2 MiB-aligned with
 *	its address, so no 2 MiB of it can be mapped with one entry
 * @VMLAB_HUGE_WRITE_PROTECT: a write where the PMD would be read-only
 *	(soft-dirty tracking write-protects the mapping) or is: the core
 *	splits it
 * @VMLAB_HUGE_PTE_TABLE: a table of 4 KiB entries is in the PMD already
 * @VMLAB_HUGE_INJECTED: an injected failure (huge_pmd_map, thp_alloc)
 * @VMLAB_HUGE_NO_PAGE: no 2 MiB page behind the offset: SIGBUS
 * @VMLAB_HUGE_DISABLED: no THP for this VMA: MADV_NOHUGEPAGE,
 *	prctl(PR_SET_THP_DISABLE), or a CPU that cannot map a PMD
 * @VMLAB_HUGE_BEYOND: the aligned 2 MiB reaches past the end of the store
 * @VMLAB_HUGE_NOMEM: no 2 MiB folio could be allocated
 * @VMLAB_HUGE_CHARGE: the page cache could not take the folio: its memory
 *	cgroup charge failed
 * @VMLAB_HUGE_RACED: a page of the range was cached meanwhile
 * @VMLAB_HUGE_POLICY: the store's THP policy gives this VMA no 2 MiB
 *	folio; never reported
 */
enum vmlab_huge_how {
	VMLAB_HUGE_PMD,
	VMLAB_HUGE_FOLIO,
	VMLAB_HUGE_PUD,
	VMLAB_HUGE_UNCOVERED,
	VMLAB_HUGE_MISALIGNED,
	VMLAB_HUGE_WRITE_PROTECT,
	VMLAB_HUGE_PTE_TABLE,
	VMLAB_HUGE_INJECTED,
	VMLAB_HUGE_NO_PAGE,
	VMLAB_HUGE_DISABLED,
	VMLAB_HUGE_BEYOND,
	VMLAB_HUGE_NOMEM,
	VMLAB_HUGE_CHARGE,
	VMLAB_HUGE_RACED,
	VMLAB_HUGE_POLICY,
};

/**
 * enum vmlab_counter - the event and population counters shown in debugfs
 * @VMLAB_CNT_OPENS: open(2) calls on /dev/vmlab
 * @VMLAB_CNT_FILES_LIVE: open files of /dev/vmlab
 *
 * Counters with a _LAST twin are kept per mapping type, in the order of
 * enum vmlab_type, from the first to the _LAST.
 *
 * @VMLAB_CNT_FAULTS_READ: read faults served by ->fault, per type
 * @VMLAB_CNT_FAULTS_READ_LAST: last of them
 * @VMLAB_CNT_FAULTS_WRITE: write faults served by ->fault, per type
 * @VMLAB_CNT_FAULTS_WRITE_LAST: last of them
 * @VMLAB_CNT_MAP_PAGES: ->map_pages (fault-around) calls, per type
 * @VMLAB_CNT_MAP_PAGES_LAST: last of them
 * @VMLAB_CNT_VMAS_LIVE: live VMAs, per type
 * @VMLAB_CNT_VMAS_LIVE_LAST: last of them
 * @VMLAB_CNT_COW_SOURCES: store pages handed to the core as the source of a copy-on-write
 * @VMLAB_CNT_ZERO_PAGE_MAPS: zero-page entries installed in private anonymous mappings
 * @VMLAB_CNT_ZERO_SOURCES: zeroed pages handed to the core as the source of a
 *	private anonymous page's first write
 * @VMLAB_CNT_FAULTS_VMA_LOCKED: ->fault and ->huge_fault calls made under the
 *	per-VMA lock alone, without mmap_lock (0 on a kernel without per-VMA locks)
 * @VMLAB_CNT_SIGBUS: faults beyond the end of an object
 * @VMLAB_CNT_PAGE_MKWRITE: ->page_mkwrite calls
 * @VMLAB_CNT_PAGES_ALLOCATED: pages the store's ->read_folio was asked to read in
 * @VMLAB_CNT_PAGES_DIRTIED: clean pages of the store made dirty
 * @VMLAB_CNT_WRITEBACK_RUNS: calls of the store's ->writepages
 * @VMLAB_CNT_PAGES_WRITTEN_BACK: dirty pages written to the backing file
 * @VMLAB_CNT_BACKING_READS: pages read from the backing file
 * @VMLAB_CNT_BACKING_ERRORS: failed reads or writes of the backing file
 * @VMLAB_CNT_OBJECTS_LIVE: live shared anonymous objects
 *
 * The huge kind counts its 4 KiB entries in the per-type fault counters
 * above (faults_read_huge, faults_write_huge), and the rest here:
 *
 * @VMLAB_CNT_HUGE_PMD_FAULTS: ->huge_fault calls that mapped 2 MiB with one PMD entry
 * @VMLAB_CNT_HUGE_PMD_FALLBACKS: ->huge_fault calls for a PMD sent to the 4 KiB
 *	path: the VMA does not cover the 2 MiB, or its offset is not 2 MiB-aligned
 *	with its address
 * @VMLAB_CNT_HUGE_PUD_FALLBACKS: ->huge_fault calls for a PUD, all sent back
 * @VMLAB_CNT_HUGE_PMD_WP_FALLBACKS: ->huge_fault calls for a write sent to the
 *	4 KiB path because soft-dirty tracking write-protects the mapping; the
 *	core splits a read-only PMD written to
 * @VMLAB_CNT_HUGE_RESERVE_FAILURES: huge-kind mmap(2) calls refused because the
 *	hugetlb pool (or the hugetlbfs file) could not supply the pages
 * @VMLAB_CNT_HUGE_PAGES_HELD: 2 MiB pool pages vmlab holds for huge-kind files
 * @VMLAB_CNT_HUGE_FILES_LIVE: live huge-kind states: open files of the huge
 *	kind, and closed ones whose mappings remain
 * @VMLAB_NR_COUNTERS: number of counters; not a counter
 */
enum vmlab_counter {
	VMLAB_CNT_OPENS,
	VMLAB_CNT_FILES_LIVE,
	VMLAB_CNT_FAULTS_READ,
	VMLAB_CNT_FAULTS_READ_LAST = VMLAB_CNT_FAULTS_READ + VMLAB_NR_TYPES - 1,
	VMLAB_CNT_FAULTS_WRITE,
	VMLAB_CNT_FAULTS_WRITE_LAST = VMLAB_CNT_FAULTS_WRITE + VMLAB_NR_TYPES - 1,
	VMLAB_CNT_MAP_PAGES,
	VMLAB_CNT_MAP_PAGES_LAST = VMLAB_CNT_MAP_PAGES + VMLAB_NR_TYPES - 1,
	VMLAB_CNT_VMAS_LIVE,
	VMLAB_CNT_VMAS_LIVE_LAST = VMLAB_CNT_VMAS_LIVE + VMLAB_NR_TYPES - 1,
	VMLAB_CNT_COW_SOURCES,
	VMLAB_CNT_ZERO_PAGE_MAPS,
	VMLAB_CNT_ZERO_SOURCES,
	VMLAB_CNT_FAULTS_VMA_LOCKED,
	VMLAB_CNT_SIGBUS,
	VMLAB_CNT_PAGE_MKWRITE,
	VMLAB_CNT_PAGES_ALLOCATED,
	VMLAB_CNT_PAGES_DIRTIED,
	VMLAB_CNT_WRITEBACK_RUNS,
	VMLAB_CNT_PAGES_WRITTEN_BACK,
	VMLAB_CNT_BACKING_READS,
	VMLAB_CNT_BACKING_ERRORS,
	VMLAB_CNT_OBJECTS_LIVE,
	VMLAB_CNT_HUGE_PMD_FAULTS,
	VMLAB_CNT_HUGE_PMD_FALLBACKS,
	VMLAB_CNT_HUGE_PUD_FALLBACKS,
	VMLAB_CNT_HUGE_PMD_WP_FALLBACKS,
	VMLAB_CNT_HUGE_RESERVE_FAILURES,
	VMLAB_CNT_HUGE_PAGES_HELD,
	VMLAB_CNT_HUGE_FILES_LIVE,
	VMLAB_NR_COUNTERS
};

/*
 * The counters, one set per CPU: a fault bumps its own CPU's, with no
 * shared cache line and no lock; debugfs shows the sums.  A population
 * counter's per-CPU parts may be negative, their sum is exact.
 */
struct vmlab_counters {
	long cnt[VMLAB_NR_COUNTERS];
};
DECLARE_PER_CPU(struct vmlab_counters, vmlab_counters);

/* vmlab_count() - add one to counter @c. */
static inline void vmlab_count(enum vmlab_counter c)
{
	this_cpu_inc(vmlab_counters.cnt[c]);
}

/* vmlab_count_add() - add @n to counter @c. */
static inline void vmlab_count_add(enum vmlab_counter c, long n)
{
	this_cpu_add(vmlab_counters.cnt[c], n);
}

/* vmlab_uncount() - take one from population counter @c. */
static inline void vmlab_uncount(enum vmlab_counter c)
{
	this_cpu_dec(vmlab_counters.cnt[c]);
}

long vmlab_counter_sum(enum vmlab_counter c);

/**
 * enum vmlab_inject_point - the fallible steps of the module, each a point
 * where inject.c can make it fail (debugfs inject/points lists their names)
 * @VMLAB_INJECT_FILE_ALLOC: the state of an open file, at open(2)
 * @VMLAB_INJECT_OBJECT_ALLOC: an object (the store, or a shared anonymous one)
 * @VMLAB_INJECT_OBJECT_INODE: the inode of an object
 * @VMLAB_INJECT_OBJECT_FILE: the file a shared anonymous VMA maps its object
 *	through, or the file of the store's tmpfs inode that store VMAs map
 *	without backing=
 * @VMLAB_INJECT_OBJECT_DATA: the tmpfs file holding a shared anonymous object's pages
 * @VMLAB_INJECT_DAX_INODE: the inode of the huge kind's own file (S_DAX before 6.7)
 * @VMLAB_INJECT_DAX_FILE: the huge kind's own file
 * @VMLAB_INJECT_BACKING_READ: reading a page of the store from the backing file
 * @VMLAB_INJECT_BACKING_WRITE: writing a page of the store back to the backing file
 * @VMLAB_INJECT_ZERO_PAGE_MAP: a fault of a private anonymous mapping (mapping
 *	the zero page, or handing the core a zeroed page to copy)
 * @VMLAB_INJECT_HUGE_STATE_ALLOC: the huge kind's state of an open file
 * @VMLAB_INJECT_HUGE_FILE_OPEN: the unlinked hugetlbfs file that holds the pool pages
 * @VMLAB_INJECT_HUGE_FALLOCATE: taking a 2 MiB page from the pool
 * @VMLAB_INJECT_HUGE_XA_STORE: recording a 2 MiB page in the huge kind's state
 * @VMLAB_INJECT_HUGE_PMD_MAP: mapping 2 MiB with one PMD entry
 * @VMLAB_INJECT_HUGE_PTE_MAP: mapping 4 KiB of a 2 MiB page with a PTE
 * @VMLAB_INJECT_FS_MOUNT: mounting the store's filesystem at load (with
 *	backing=), and pinning the objects' filesystem at open(2)
 * @VMLAB_INJECT_BACKING_OPEN: opening the store's backing file (or making
 *	its tmpfs file, the store without one), at load
 * @VMLAB_INJECT_MISC_REGISTER: registering /dev/vmlab, at load
 * @VMLAB_INJECT_ZERO_SOURCES: allocating the zeroed pages private anonymous
 *	writes are copied from, at load
 * @VMLAB_INJECT_THP_MOUNT: mounting tmpfs for a THP policy, at load
 * @VMLAB_INJECT_THP_ALLOC: a 2 MiB folio of the store with backing= (the
 *	fault falls back to base pages)
 * @VMLAB_NR_INJECT: number of points; not a point
 */
enum vmlab_inject_point {
	VMLAB_INJECT_FILE_ALLOC,
	VMLAB_INJECT_OBJECT_ALLOC,
	VMLAB_INJECT_OBJECT_INODE,
	VMLAB_INJECT_OBJECT_FILE,
	VMLAB_INJECT_OBJECT_DATA,
	VMLAB_INJECT_DAX_INODE,
	VMLAB_INJECT_DAX_FILE,
	VMLAB_INJECT_BACKING_READ,
	VMLAB_INJECT_BACKING_WRITE,
	VMLAB_INJECT_ZERO_PAGE_MAP,
	VMLAB_INJECT_HUGE_STATE_ALLOC,
	VMLAB_INJECT_HUGE_FILE_OPEN,
	VMLAB_INJECT_HUGE_FALLOCATE,
	VMLAB_INJECT_HUGE_XA_STORE,
	VMLAB_INJECT_HUGE_PMD_MAP,
	VMLAB_INJECT_HUGE_PTE_MAP,
	VMLAB_INJECT_FS_MOUNT,
	VMLAB_INJECT_BACKING_OPEN,
	VMLAB_INJECT_MISC_REGISTER,
	VMLAB_INJECT_ZERO_SOURCES,
	VMLAB_INJECT_THP_MOUNT,
	VMLAB_INJECT_THP_ALLOC,
	VMLAB_NR_INJECT
};

/**
 * struct vmlab_object - an object whose pages vmlab maps: the store, or a
 * shared anonymous object
 * @inode: the object's inode, whose i_mapping holds the pages: the store's,
 *	a shared anonymous object's tmpfs file's, an empty object's
 * @type: VMLAB_SHARED for the store, VMLAB_SHARED_ANON for an anonymous
 *	object, VMLAB_PRIVATE_ANON for the empty object of private anonymous
 *	mappings
 * @id: number shown in debugfs; 0 is the store
 * @nr_pages: size in pages; faults at or beyond it raise SIGBUS
 * @backing: the file holding the contents: the store's backing file (the
 *	user's), or the store's own tmpfs file without one (the store is
 *	then that file's page cache), a shared anonymous object's tmpfs
 *	file (which its VMAs map, and which owns the object); NULL for an
 *	empty object
 * @node: entry in the list of live objects, under vmlab_objects_lock
 *
 * The store lives until module unload; an anonymous object until the last
 * VMA mapping it (and so its file) is gone.
 * All fields are set before the object is listed and never change.
 */
struct vmlab_object {
	struct inode *inode;
	enum vmlab_type type;
	u64 id;
	pgoff_t nr_pages;
	struct file *backing;
	struct list_head node;
};

/**
 * struct vmlab_file - the state of one open file of /dev/vmlab
 * @kref: one reference for the open file, dropped at its release, and one
 *	per VMA mapped through it (their copies and pieces included), held
 *	in the VMA's vm_private_data; see vmlab_file_mappings()
 * @lock: serialises the choice of @kind against mmap(2)
 * @kind: enum vmlab_kind of this file; changes only under @lock while the
 *	file has no mapping
 * @thp: enum vmlab_thp of the shared anonymous objects this file makes,
 *	resolved (never VMLAB_THP_DEFAULT); changes with @kind
 * @huge: the huge kind's state of this file, or NULL; see huge.c
 * @anon: the file of the empty object the private anonymous mappings made
 *	through this file map, or NULL; made at the first of them under @lock,
 *	dropped at release (each VMA holds its own reference)
 * @store: without backing=, the file of the store's tmpfs inode that the
 *	store mappings made through this file map, or NULL; made at the
 *	first of them under @lock, dropped at release (each VMA holds its
 *	own reference)
 */
struct vmlab_file {
	struct kref kref;
	struct mutex lock;	/* serialises @kind against mmap(2) */
	unsigned int kind;
	unsigned int thp;
	struct vmlab_huge *huge;
	struct file *anon;
	struct file *store;
};

/**
 * vmlab_file_mappings() - the VMAs mapped through an open file
 * @vf: the state of a file that is open: the caller holds it through the
 *	file (an ioctl(2) of it), so @vf->kref counts the file once and each
 *	VMA once
 *
 * Exact when no mmap(2), fork, split or munmap changes it meanwhile.
 * Under @vf->lock no mmap(2) adds one, and a fork, split or mremap(2)
 * adds one only where one exists already: 0 stays 0.
 *
 * Return: the number of VMAs.
 */
static inline unsigned int vmlab_file_mappings(struct vmlab_file *vf)
{
	return kref_read(&vf->kref) - 1;
}

/* The store: the device's byte array, object 0. */
extern struct vmlab_object *vmlab_store;

/* The list of live objects, for debugfs, under its mutex. */
extern struct list_head vmlab_objects;
extern struct mutex vmlab_objects_lock;

/* object.c: the anonymous objects, and vmlab's pseudo filesystem */
int vmlab_objects_init(void);
int vmlab_fs_pin(void);
void vmlab_fs_unpin(void);
void vmlab_object_list(struct vmlab_object *obj);
void vmlab_object_unlist(struct vmlab_object *obj);
struct file *vmlab_object_file(enum vmlab_type type, pgoff_t nr_pages, unsigned int thp);
unsigned long vmlab_object_dirty_pages(struct vmlab_object *obj);
struct file *vmlab_dax_file(const char *name, const struct file_operations *fops);
struct file *vmlab_tmpfs_reopen(struct file *tmpfs, struct file *like);
struct vm_fault;
int vmlab_tmpfs_mmap(struct vm_area_struct *vma);
vm_fault_t vmlab_tmpfs_fault(struct vm_fault *vmf);
unsigned long vmlab_tmpfs_unmapped_area(unsigned long addr, unsigned long len,
					unsigned long pgoff, unsigned long flags);

/* thp.c: the THP policies of the tmpfs-held objects */
struct vfsmount;
extern unsigned int vmlab_thp;
int vmlab_thp_init(void);
void vmlab_thp_exit(void);
unsigned int vmlab_thp_resolve(unsigned int thp);
struct vfsmount *vmlab_thp_mount(unsigned int thp);
bool vmlab_thp_aligns(unsigned int thp, unsigned long len);

/* store.c: the store, its page cache over the backing file */
int vmlab_store_init(void);
void vmlab_store_exit(void);
bool vmlab_store_has_backing(void);
struct file *vmlab_store_tmpfs_file(struct file *file);
void vmlab_store_open(struct file *file);
int vmlab_store_fsync(struct file *file, loff_t start, loff_t end, int datasync);
ssize_t vmlab_store_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t vmlab_store_write_iter(struct kiocb *iocb, struct iov_iter *from);
vm_fault_t vmlab_store_thp_fault(struct vm_fault *vmf);
extern unsigned long vmlab_store_size;

/* fault.c: the fault handlers */
struct vm_fault;
void vmlab_count_fault(struct vm_fault *vmf, enum vmlab_type type);
vm_fault_t vmlab_store_fault(struct vm_fault *vmf);
vm_fault_t vmlab_shared_anon_fault(struct vm_fault *vmf);
vm_fault_t vmlab_object_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff);
vm_fault_t vmlab_page_mkwrite(struct vm_fault *vmf);
vm_fault_t vmlab_private_anon_fault(struct vm_fault *vmf);
vm_fault_t vmlab_map_nothing(struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff);
int __init vmlab_fault_init(void);
void vmlab_fault_exit(void);

/* mmap.c: mmap(2) of each kind, and what links a VMA to its open file */
int vmlab_mmap(struct file *file, struct vm_area_struct *vma);
enum vmlab_type vmlab_vma_type(const struct vm_area_struct *vma);
void vmlab_vma_attach(struct vm_area_struct *vma, struct vmlab_file *vf);
void vmlab_vm_open(struct vm_area_struct *vma);
void vmlab_vm_close(struct vm_area_struct *vma);
void vmlab_file_put(struct vmlab_file *vf);

/* huge.c: the huge kind */
struct vmlab_huge;
struct seq_file;
int vmlab_huge_select(struct vmlab_file *vf, int huge_fd);
int vmlab_huge_mmap(struct vmlab_file *vf, struct vm_area_struct *vma);
void vmlab_huge_release(struct vmlab_file *vf);
unsigned long vmlab_get_unmapped_area(struct file *file, unsigned long addr, unsigned long len,
				      unsigned long pgoff, unsigned long flags);
void vmlab_huge_show(struct seq_file *m);
bool vmlab_huge_vma(const struct vm_area_struct *vma);
void vmlab_huge_vmas_show(struct seq_file *m);

/* inject.c: fault injection at every fallible step */
struct dentry;
DECLARE_STATIC_KEY_FALSE(vmlab_inject_armed);
bool vmlab_inject_slow(enum vmlab_inject_point point, struct task_struct *who);

/**
 * vmlab_inject_for() - whether the fallible step at @point, taken by a
 * kernel thread on behalf of @who, must fail now
 * @point: the step about to be taken
 * @who: the task the step is taken for (the pid control matches it); the
 *	kernel's fail-nth and make-it-fail are the current task's
 *
 * A branch patched out while no control arms injection (inject.c).
 *
 * Return: true when the caller must fail the step as if it had failed by
 * itself, with the errno the step would return.
 */
static __always_inline bool vmlab_inject_for(enum vmlab_inject_point point,
					     struct task_struct *who)
{
	if (!static_branch_unlikely(&vmlab_inject_armed))
		return false;
	return vmlab_inject_slow(point, who);
}

/**
 * vmlab_inject() - whether the fallible step at @point must fail now
 * @point: the step about to be taken
 *
 * Return: true when the caller must fail the step as if it had failed by
 * itself, with the errno the step would return.
 */
static __always_inline bool vmlab_inject(enum vmlab_inject_point point)
{
	return vmlab_inject_for(point, current);
}

void vmlab_inject_load_begin(void);
void vmlab_inject_load_end(void);
void vmlab_inject_debugfs(struct dentry *parent);

/* walk.c: the page-table walker */
long vmlab_walk_ioctl(void __user *argp);

/* trace.c: what the events of vmlab_trace.h record */
enum vmlab_huge_how vmlab_trace_misfit(const struct vm_area_struct *vma);
int vmlab_trace_present(const struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff);

/* debugfs.c */
void vmlab_vmas_show_mapping(struct seq_file *m, struct address_space *mapping);
void vmlab_debugfs_init(void);
void vmlab_debugfs_exit(void);

#endif /* _VMLAB_H */
