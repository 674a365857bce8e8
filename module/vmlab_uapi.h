/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmlab user API: the ioctls of /dev/vmlab.  (Its debugfs files are no ABI:
 * their path and layout are the userspace library's business, in
 * userspace/lib/debugfs.h.)
 *
 * The device is a byte array, "the store", of store_size bytes (module
 * parameter).  read(2), write(2), lseek(2) and fsync(2) act on the store.
 * A write(2) starting at or past its end fails with ENOSPC; an appending
 * one (O_APPEND, RWF_APPEND) starts at its end, as on a block device, so
 * fails with ENOSPC too.  lseek(2) past the end fails with EINVAL;
 * SEEK_END gives the store's size.  Unknown ioctls, BLKGETSIZE64 among
 * them, fail with ENOTTY.
 *
 * The node is root's (0600) unless a udev rule grants a group (60-vmlab.rules).
 *
 * Each open file has a kind, chosen with VMLAB_IOC_SET_KIND before its first
 * mmap(2); the kind and the mmap flags together pick the mapping type:
 *
 *   VMLAB_KIND_STORE + MAP_PRIVATE  private copy-on-write over the store
 *   VMLAB_KIND_STORE + MAP_SHARED   shared, dirty-tracked, written back
 *   VMLAB_KIND_ANON  + MAP_PRIVATE  private anonymous, zero-filled
 *   VMLAB_KIND_ANON  + MAP_SHARED   shared anonymous (this mmap and its forks)
 *   VMLAB_KIND_HUGE  + MAP_SHARED   2 MiB pages from the hugetlb pool
 *
 * mmap(2) fails with EOVERFLOW when offset plus length lies beyond
 * MAX_LFS_FILESIZE (as for a tmpfs file).  A shared anonymous mapping's
 * pages are tmpfs pages, charged to the memory cgroup and swappable; it
 * does not count against RLIMIT_MEMLOCK, and commits memory page by page
 * as if mapped MAP_NORESERVE: under overcommit_memory=2 a fault past the
 * commit limit gets SIGBUS, where the native mapping's mmap(2) fails with
 * ENOMEM.
 */
#ifndef _UAPI_VMLAB_H
#define _UAPI_VMLAB_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define VMLAB_DEVICE_PATH	"/dev/vmlab"

/**
 * enum vmlab_kind - what the mappings of an open file are made of
 * @VMLAB_KIND_STORE: the device's store (the default of every open file)
 * @VMLAB_KIND_ANON: a fresh zero-filled object for each mmap(2)
 * @VMLAB_KIND_HUGE: 2 MiB pages reserved from the hugetlb pool at mmap(2)
 */
enum vmlab_kind {
	VMLAB_KIND_STORE = 0,
	VMLAB_KIND_ANON = 1,
	VMLAB_KIND_HUGE = 2,
};

/**
 * struct vmlab_select - argument of VMLAB_IOC_SET_KIND
 * @kind: (in) one of enum vmlab_kind
 * @flags: (in) reserved, must be 0
 * @huge_fd: (in) for VMLAB_KIND_HUGE: a hugetlbfs file (or an MFD_HUGETLB
 *	memfd) to take the pages from, or -1 for the module's own hugetlbfs
 *	mount (module parameter hugetlbfs_path); must be -1 for other kinds.
 *	It must be open for writing (EBADF otherwise).  Each mmap(2) of the
 *	device then applies the checks a native mmap(2) of huge_fd applies:
 *	EACCES when huge_fd is not open for reading; EPERM for MAP_SHARED
 *	with PROT_WRITE when it is sealed with F_SEAL_WRITE or
 *	F_SEAL_FUTURE_WRITE (a read-only MAP_SHARED mapping of it can never
 *	be made writable: mprotect(2) fails with EACCES); and a MAP_SHARED
 *	mapping that may become writable counts as a writable mapping of the
 *	file until its last piece is unmapped, so F_SEAL_WRITE fails with
 *	EBUSY meanwhile.
 * @thp: (in) for VMLAB_KIND_ANON: the transparent huge page policy of the
 *	shared anonymous objects this file's MAP_SHARED mappings make, one of
 *	enum vmlab_thp; must be VMLAB_THP_DEFAULT for other kinds (the
 *	store's policy is the module parameter thp, fixed at load: the store
 *	is one page cache).  A MAP_PRIVATE mapping of the anon kind maps base
 *	pages whatever the policy (see the README: a module cannot make
 *	anonymous THPs).
 */
struct vmlab_select {
	__u32 kind;
	__u32 flags;
	__s32 huge_fd;
	__u32 thp;
};

/**
 * enum vmlab_thp - when the store and shared anonymous objects hold
 * transparent huge pages: 2 MiB folios of the buddy allocator in their
 * page cache, mapped with one PMD entry where a VMA covers the whole
 * aligned 2 MiB.  The values are tmpfs's huge= mount option's, and each
 * is tmpfs's: the objects are files of a tmpfs mount of vmlab's own with
 * that huge= option, so the kernel's own checks apply, among them
 * MADV_NOHUGEPAGE, prctl(PR_SET_THP_DISABLE) and the "deny" and "force"
 * of /sys/kernel/mm/transparent_hugepage/shmem_enabled.  The store with
 * backing= is no tmpfs file: vmlab decides for it as tmpfs decides, but
 * for shmem_enabled, which it does not read (see the README).
 * @VMLAB_THP_DEFAULT: the module parameter thp's policy
 * @VMLAB_THP_NEVER: base pages only (huge=never)
 * @VMLAB_THP_ALWAYS: a huge page for every aligned 2 MiB (huge=always)
 * @VMLAB_THP_WITHIN_SIZE: a huge page where the whole 2 MiB lies within
 *	the object's size, or where the VMA has MADV_HUGEPAGE (huge=within_size)
 * @VMLAB_THP_ADVISE: a huge page where the VMA has MADV_HUGEPAGE (huge=advise)
 * @VMLAB_THP_INHERIT: what memfd_create(2) and native MAP_SHARED|MAP_ANONYMOUS
 *	files get: a file of the kernel's internal tmpfs mount, whose huge=
 *	policy is shmem_enabled's (the module parameter's default)
 *
 * A kernel without transparent huge pages (Debian's PREEMPT_RT one) takes
 * every value and maps base pages, as its tmpfs does.
 */
enum vmlab_thp {
	VMLAB_THP_DEFAULT = 0,
	VMLAB_THP_NEVER = 1,
	VMLAB_THP_ALWAYS = 2,
	VMLAB_THP_WITHIN_SIZE = 3,
	VMLAB_THP_ADVISE = 4,
	VMLAB_THP_INHERIT = 5,
};

/**
 * struct vmlab_info - argument of VMLAB_IOC_GET_INFO
 * @store_size: (out) size of the store in bytes
 * @kind: (out) the kind of this open file
 * @mappings: (out) live mappings (VMAs) created through this open file
 * @page_size: (out) base page size
 * @huge_page_size: (out) size of one page of the huge kind
 * @writeback_centisecs: (out) 0: the kernel's flusher writes the store back, at
 *	the interval of /proc/sys/vm/dirty_writeback_centisecs (vmlab's own
 *	periodic write-back is gone)
 * @has_backing: (out) 1 when the store lives in a backing file given at load,
 *	0 when in an unlinked tmpfs file of its own
 * @thp: (out) the enum vmlab_thp policy asked for this file's shared
 *	anonymous objects (never VMLAB_THP_DEFAULT: the module parameter's
 *	value then); a kernel or CPU without THP maps base pages whatever it is
 * @store_thp: (out) the enum vmlab_thp policy of the store (module parameter
 *	thp); with backing= the store's own page cache follows it as the
 *	README says, VMLAB_THP_INHERIT meaning never there
 * @reserved: (out) zero
 */
struct vmlab_info {
	__u64 store_size;
	__u32 kind;
	__u32 mappings;
	__u64 page_size;
	__u64 huge_page_size;
	__u32 writeback_centisecs;
	__u32 has_backing;
	__u32 thp;
	__u32 store_thp;
	__u64 reserved[3];
};

/**
 * enum vmlab_level - the levels of the x86-64 page tables, root first
 * @VMLAB_LEVEL_PGD: page global directory, 512 GiB per entry (256 TiB
 *	with 5-level paging)
 * @VMLAB_LEVEL_P4D: 512 GiB per entry; folded into the PGD (the same
 *	entry, VMLAB_E_FOLDED) unless the CPU and kernel use 5-level paging
 * @VMLAB_LEVEL_PUD: 1 GiB per entry
 * @VMLAB_LEVEL_PMD: 2 MiB per entry
 * @VMLAB_LEVEL_PTE: 4 KiB per entry
 */
enum vmlab_level {
	VMLAB_LEVEL_PGD = 0,
	VMLAB_LEVEL_P4D = 1,
	VMLAB_LEVEL_PUD = 2,
	VMLAB_LEVEL_PMD = 3,
	VMLAB_LEVEL_PTE = 4,
};

/**
 * enum vmlab_what - what an entry points at
 * @VMLAB_WHAT_TABLE: the page table of the next level (at @pfn)
 * @VMLAB_WHAT_ZERO: the shared zero page, or the huge zero page
 * @VMLAB_WHAT_ANON: an anonymous page (THP when @order is not 0)
 * @VMLAB_WHAT_FILE: a page of the page cache of the file @dev:@ino (a
 *	tmpfs, shmem or vmlab file among them; THP when @order is not 0)
 * @VMLAB_WHAT_HUGETLB: a page of the hugetlb pool
 * @VMLAB_WHAT_KSM: a page merged by KSM
 * @VMLAB_WHAT_PAGE: another page with a struct page (a driver's, the
 *	kernel's)
 * @VMLAB_WHAT_PFN: a page frame whose struct page vmlab may not look at,
 *	or without one (device memory, ZONE_DEVICE memory, a hole, memory
 *	offline)
 * @VMLAB_WHAT_SWAP: nothing present: a swap entry (VMLAB_E_SWAP), a
 *	migration entry (VMLAB_E_MIGRATION), a memory-error entry
 *	(VMLAB_E_HWPOISON), a device-private entry or a marker
 *	(VMLAB_E_MARKER); @swap_type and @swap_offset decode it
 */
enum vmlab_what {
	VMLAB_WHAT_TABLE = 0,
	VMLAB_WHAT_ZERO = 1,
	VMLAB_WHAT_ANON = 2,
	VMLAB_WHAT_FILE = 3,
	VMLAB_WHAT_HUGETLB = 4,
	VMLAB_WHAT_KSM = 5,
	VMLAB_WHAT_PAGE = 6,
	VMLAB_WHAT_PFN = 7,
	VMLAB_WHAT_SWAP = 8,
};

/*
 * The decoded bits of an entry (struct vmlab_walk_entry.bits).  The first
 * twelve are x86-64's hardware bits read from the entry (_PAGE_* of
 * arch/x86/include/asm/pgtable_types.h), meaningful in a present entry;
 * the rest are the kernel's own view through its accessors (pte_write(),
 * pte_dirty(), pte_special(), ...) and the software bits it keeps in the
 * entry, or vmlab's description of the walk.
 */
#define VMLAB_E_PRESENT		_BITULL(0)	/* bit 0: the CPU may use the entry */
#define VMLAB_E_RW		_BITULL(1)	/* bit 1: writable */
#define VMLAB_E_USER		_BITULL(2)	/* bit 2: user mode may access */
#define VMLAB_E_PWT		_BITULL(3)	/* bit 3: write-through */
#define VMLAB_E_PCD		_BITULL(4)	/* bit 4: cache disabled */
#define VMLAB_E_ACCESSED	_BITULL(5)	/* bit 5: the CPU used it */
#define VMLAB_E_DIRTY		_BITULL(6)	/* bit 6: the CPU wrote through it */
#define VMLAB_E_PSE		_BITULL(7)	/* bit 7 at PUD/PMD: a leaf (1 GiB, 2 MiB) */
#define VMLAB_E_GLOBAL		_BITULL(8)	/* bit 8: kept across CR3 switches */
#define VMLAB_E_PAT		_BITULL(9)	/* bit 7 of a PTE, 12 of a PUD/PMD leaf */
#define VMLAB_E_NX		_BITULL(10)	/* bit 63: not executable */
#define VMLAB_E_PROTNONE	_BITULL(11)	/* bit 8 without 0: PROT_NONE or NUMA hinting */
#define VMLAB_E_LEAF		_BITULL(16)	/* maps memory: no table below */
#define VMLAB_E_FOLDED		_BITULL(17)	/* P4D folded into the PGD (4-level paging) */
#define VMLAB_E_WRITE		_BITULL(18)	/* the kernel's pte_write()/pmd_write() */
#define VMLAB_E_KDIRTY		_BITULL(19)	/* the kernel's pte_dirty()/pmd_dirty() */
#define VMLAB_E_SPECIAL		_BITULL(20)	/* software: no struct page to refcount */
#define VMLAB_E_SOFT_DIRTY	_BITULL(21)	/* software: written since clear_refs 4 */
#define VMLAB_E_DEVMAP		_BITULL(22)	/* software: ZONE_DEVICE mapping */
#define VMLAB_E_UFFD_WP		_BITULL(23)	/* software: userfaultfd write-protected */
#define VMLAB_E_SWAP		_BITULL(24)	/* not present: a swap entry */
#define VMLAB_E_MIGRATION	_BITULL(25)	/* not present: under migration */
#define VMLAB_E_MIGRATION_WRITE	_BITULL(26)	/* ... and writable once migrated */
#define VMLAB_E_HWPOISON	_BITULL(27)	/* not present: a memory error */
#define VMLAB_E_DEVICE_PRIVATE	_BITULL(28)	/* not present: device-private memory */
#define VMLAB_E_MARKER		_BITULL(29)	/* not present: a PTE marker */
#define VMLAB_E_EXCLUSIVE	_BITULL(30)	/* swap entry of an exclusive anon page */

/**
 * struct vmlab_walk_entry - one page-table entry, as VMLAB_IOC_WALK reports it
 * @addr: the first virtual address the entry translates (aligned to the
 *	level's size)
 * @raw: the entry's value, in the kernel's copy of the tables (with
 *	page-table isolation a PGD entry of a user address has NX set there:
 *	the CPU runs user code on a copy of the PGD without it)
 * @pfn: the page frame it points at: the next level's table, or the first
 *	page the leaf maps; 0 when not present
 * @table_pfn: the page frame of the page table holding the entry
 * @bits: VMLAB_E_* bits
 * @swap_offset: for VMLAB_WHAT_SWAP: the offset of the entry (the page
 *	frame, for a migration, memory-error or device-private entry)
 * @ino: for VMLAB_WHAT_FILE: inode number of the file whose page cache
 *	holds the page
 * @dev: for VMLAB_WHAT_FILE: its device (major << 20 | minor, as the
 *	kernel encodes it; /proc/PID/maps shows major:minor)
 * @swap_type: for VMLAB_WHAT_SWAP: the type of the entry (the swap area, or
 *	the kernel's type of a migration or other entry)
 * @level: enum vmlab_level
 * @what: enum vmlab_what
 * @order: for a leaf with a struct page: the order of its folio (0: a base
 *	page, 9: 2 MiB)
 * @pkey: the protection key (bits 59 to 62) of a present leaf
 * @reserved: zero
 */
struct vmlab_walk_entry {
	__u64 addr;
	__u64 raw;
	__u64 pfn;
	__u64 table_pfn;
	__u64 bits;
	__u64 swap_offset;
	__u64 ino;
	__u32 dev;
	__u32 swap_type;
	__u8 level;
	__u8 what;
	__u8 order;
	__u8 pkey;
	__u32 reserved;
};

/*
 * The fewest entries a VMLAB_IOC_WALK takes: room for one entry at each
 * level, so that a walk resumed at @next always gets further.
 */
#define VMLAB_WALK_MIN_ENTRIES	5
/* The most entries one VMLAB_IOC_WALK returns. */
#define VMLAB_WALK_MAX_ENTRIES	4096

/**
 * struct vmlab_walk - argument of VMLAB_IOC_WALK
 * @pid: (in) the process whose page tables to read, in the caller's PID
 *	namespace; 0 for the caller
 * @flags: (in) reserved, must be 0
 * @start: (in) first virtual address (rounded down to a page)
 * @end: (in) end of the range, exclusive (rounded up to a page); at most
 *	the end of the user address space, TASK_SIZE_MAX: (1 << 47) - 4096,
 *	or (1 << 56) - 4096 with 5-level paging
 * @entries: (in) address of an array of struct vmlab_walk_entry
 * @nr_entries: (in) its length, at least VMLAB_WALK_MIN_ENTRIES (beyond
 *	VMLAB_WALK_MAX_ENTRIES only that many are filled); (out) entries
 *	filled
 * @levels: (out) paging levels of the CPU and kernel: 4 or 5
 * @next: (out) where the walk stopped: @end (rounded up to a page) when it
 *	is complete, else the address to walk from next (the entries of the
 *	upper levels of that address are then reported again)
 * @reserved: (in) zero
 */
struct vmlab_walk {
	__s32 pid;
	__u32 flags;
	__u64 start;
	__u64 end;
	__u64 entries;
	__u32 nr_entries;
	__u32 levels;
	__u64 next;
	__u64 reserved[4];
};

/*
 * The ioctl type: 0xB9, a code no entry of the kernel's table of them,
 * Documentation/userspace-api/ioctl/ioctl-number.rst, uses as of Linux
 * 6.12 (its neighbours there are 0xB8, uapi/misc/mrvl_cn10k_dpi.h, and
 * 0xC0, linux/usb/iowarrior.h).  It is not registered: vmlab is out of
 * tree.  Merged, it would add the line "0xB9  01-04  uapi/linux/vmlab.h".
 */
#define VMLAB_IOC_MAGIC		0xB9

/*
 * Choose the kind (and THP policy) of this open file: 0, or -1 with errno
 * EINVAL/EFAULT/EBUSY/ENOMEM.  EBUSY: the file has mappings of another kind
 * or policy.
 */
#define VMLAB_IOC_SET_KIND	_IOW(VMLAB_IOC_MAGIC, 0x01, struct vmlab_select)
/* Describe this open file and the device. */
#define VMLAB_IOC_GET_INFO	_IOR(VMLAB_IOC_MAGIC, 0x02, struct vmlab_info)
/* Write every dirty store page back now and wait for it: fsync(2) of the whole store. */
#define VMLAB_IOC_WRITEBACK	_IO(VMLAB_IOC_MAGIC, 0x03)
/*
 * Read the page tables of a process: root only (CAP_SYS_ADMIN), on x86-64.
 * The walk covers the mapped parts of [start, end) (the VMAs, as the
 * kernel's own walkers do) and reports, in address order, every entry
 * that is not empty: at each address the PGD, P4D, PUD, PMD entries above
 * it and then its PTEs, each entry once (VMAs that share a table share
 * its upper entries).  The entries are read under the locks the kernel
 * takes to change them (the page-table locks, mmap_lock for reading, the
 * file's i_mmap lock for hugetlb mappings), so each is one the tables
 * held, though the walk is no snapshot of the whole range.
 * Errors: EPERM without CAP_SYS_ADMIN; EINVAL for flags or reserved not
 * zero, nr_entries below VMLAB_WALK_MIN_ENTRIES, start not below end, end
 * beyond TASK_SIZE_MAX, or a negative pid; ESRCH for no such process, or
 * one without an address space (a kernel thread, a zombie); EFAULT
 * for a bad argument or entries array; EINTR when a fatal signal
 * interrupts the walk; ENOMEM; EOPNOTSUPP on an architecture other than
 * x86-64.
 */
#define VMLAB_IOC_WALK		_IOWR(VMLAB_IOC_MAGIC, 0x04, struct vmlab_walk)

#endif /* _UAPI_VMLAB_H */
