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

/*
 * The ioctl type: 0xB9, a code no entry of the kernel's table of them,
 * Documentation/userspace-api/ioctl/ioctl-number.rst, uses as of Linux
 * 6.12 (its neighbours there are 0xB8, uapi/misc/mrvl_cn10k_dpi.h, and
 * 0xC0, linux/usb/iowarrior.h).  It is not registered: vmlab is out of
 * tree.  Merged, it would add the line "0xB9  01-03  uapi/linux/vmlab.h".
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

#endif /* _UAPI_VMLAB_H */
