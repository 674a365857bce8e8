// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: every bad input gets its errno and leaves everything as
 * it was.  After each one the file it was made on keeps its kind and has no
 * mapping left, the device still maps, writes and reads, and the live
 * counters of debugfs (vmas_live_*, objects_live, files_live,
 * pages_shared_anon) are back where they were before the test.  And a
 * mapping alone, its file closed, keeps vmlab from being unloaded.
 *
 * Needs root, debugfs and vmlab loaded.  Uses store pages from ERRNO_BASE
 * on, which no other test program uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * -Wextra warns about the harness itself: its TEST() functions and signal
 * handler take parameters they do not use, and gcc cannot tell that a
 * local of its TEST_F() wrapper survives the setjmp() there.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmlab_ksft.h"

#include "debugfs.h"
#include "device.h"
#include "kmodule.h"
#include "pagemap.h"
#include "procfs.h"

/* First store page of this program: 40 MiB into the store with 4 KiB pages. */
#define ERRNO_BASE	10240

/* An address no user pointer may hold: the top page of the address space. */
#define KERNEL_PTR	((void *)(~0UL - 4095))

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static off_t store_off(size_t page)
{
	return (off_t)((ERRNO_BASE + page) * page_size());
}

static char peek(const char *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void poke(char *p, char v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static void snap(struct __test_metadata *_metadata, struct vl_counters *c)
{
	int ret = vl_counters_read(c);

	ASSERT_EQ(0, ret) {
		TH_LOG("reading %s: %s", VL_COUNTERS_PATH, strerror(-ret));
	}
}

/* The counters that say what lives: VMAs, objects, files. */
static bool is_live_counter(const char *name)
{
	return !strncmp(name, "vmas_live_", strlen("vmas_live_")) ||
	       !strcmp(name, "objects_live") || !strcmp(name, "files_live") ||
	       !strcmp(name, "pages_shared_anon");
}

/* Every live counter of now is what it was in @base. */
static void check_live(struct __test_metadata *_metadata, const struct vl_counters *base)
{
	struct vl_counters now;
	unsigned int found = 0;
	size_t i;

	snap(_metadata, &now);
	for (i = 0; i < base->n; i++) {
		const char *name = base->c[i].name;
		uint64_t v = 0;

		if (!is_live_counter(name))
			continue;
		found++;
		ASSERT_EQ(0, vl_counter_get(&now, name, &v));
		EXPECT_EQ(base->c[i].value, v) {
			TH_LOG("live counter %s", name);
		}
	}
	/* vmas_live_ of four types at least, objects_live, files_live, pages_shared_anon. */
	ASSERT_LE(7U, found);
}

/* The device maps, writes and reads: through @fd, or a file of its own when @fd < 0. */
static void check_device_works(struct __test_metadata *_metadata, int fd, char tag)
{
	size_t ps = page_size();
	int own = fd < 0;
	char *map, got[64], want[64];

	if (own) {
		fd = vl_open(O_RDWR);
		ASSERT_LE(0, fd);
	}
	map = vl_map(fd, VMLAB_KIND_STORE, ps, PROT_READ | PROT_WRITE, MAP_SHARED, store_off(0));
	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap after the bad input: %s", strerror(errno));
	}
	memset(want, tag, sizeof(want));
	memcpy(map, want, sizeof(want));
	ASSERT_EQ((ssize_t)sizeof(got), pread(fd, got, sizeof(got), store_off(0)));
	ASSERT_EQ(0, memcmp(want, got, sizeof(got)));
	ASSERT_EQ(0, munmap(map, ps));
	if (own)
		close(fd);
}

static long read_refcnt(struct __test_metadata *_metadata)
{
	char *text = NULL;
	long n;
	int ret;

	ret = vl_read_text("/sys/module/vmlab/refcnt", &text);
	ASSERT_EQ(0, ret) {
		TH_LOG("/sys/module/vmlab/refcnt: %s", strerror(-ret));
	}
	n = strtol(text, NULL, 10);
	free(text);
	return n;
}

/*
 * The table of bad inputs.  Each is made on a fresh file (self->fd, O_RDWR,
 * of kind .kind), or on a file of its own for the O_RDONLY ones.
 */
enum bad_op {
	OP_IOCTL,		/* ioctl(.cmd) */
	OP_SET_KIND,		/* VMLAB_IOC_SET_KIND with .sel */
	OP_SET_KIND_PTR,	/* VMLAB_IOC_SET_KIND with pointer .ptr */
	OP_GET_INFO_PTR,	/* VMLAB_IOC_GET_INFO with pointer .ptr */
	OP_SET_KIND_BUSY,	/* mapped (.map_flags), then .sel.kind */
	OP_SET_KIND_BUSY_SPLIT,	/* the same with the mapping split in two */
	OP_SET_KIND_BUSY_FORK,	/* the same with the mapping left in a child only */
	OP_MMAP_OFFSET,		/* mmap of .len_pages at offset .off */
	OP_MMAP_RDONLY,		/* O_RDONLY file: MAP_SHARED, PROT_READ | PROT_WRITE */
	OP_MPROTECT_RDONLY,	/* O_RDONLY file: MAP_SHARED, PROT_READ, then PROT_WRITE */
	OP_PWRITE,		/* pwrite at the end plus .pos */
	OP_WRITE,		/* lseek to the end plus .pos, write */
	OP_WRITE_RDONLY,	/* write to an O_RDONLY file */
	OP_LSEEK,		/* lseek(.pos relative to the end, .whence) from position 0 */
};

enum bad_ptr {
	PTR_NULL,
	PTR_UNMAPPED,		/* a page that was mapped and is no more */
	PTR_STRADDLE,		/* the struct runs from a page into an unmapped one */
	PTR_READONLY,		/* a PROT_READ page */
	PTR_KERNEL,		/* beyond the user address space */
};

/**
 * struct bad_input - one row of the table
 * @op: what is done
 * @kind: the kind of the file it is done on (and of its mappings)
 * @cmd: OP_IOCTL: the command
 * @sel: OP_SET_KIND*: the argument
 * @ptr: OP_*_PTR: the pointer passed
 * @map_flags: MAP_SHARED or MAP_PRIVATE, for the ops that map
 * @off: OP_MMAP_OFFSET: the offset
 * @len_pages: OP_MMAP_OFFSET: the length in pages
 * @pos: OP_PWRITE, OP_WRITE, OP_LSEEK: the position, from the end of the store
 * @whence: OP_LSEEK: the whence
 * @want_errno: the errno it must fail with
 */
struct bad_input {
	enum bad_op op;
	unsigned int kind;
	unsigned long cmd;
	struct vmlab_select sel;
	enum bad_ptr ptr;
	int map_flags;
	unsigned long off;
	size_t len_pages;
	long long pos;
	int whence;
	int want_errno;
};

FIXTURE(bad)
{
	struct vl_counters base;
	struct vmlab_info info;
	int fd;
};

FIXTURE_VARIANT(bad)
{
	struct bad_input in;
};

FIXTURE_VARIANT_ADD(bad, ioctl_unknown_nr)
{
	.in = {
		.op = OP_IOCTL, .cmd = _IO(VMLAB_IOC_MAGIC, 0x42), .want_errno = ENOTTY,
	},
};

FIXTURE_VARIANT_ADD(bad, ioctl_get_info_wrong_dir)
{
	.in = {
		.op = OP_IOCTL, .cmd = _IOWR(VMLAB_IOC_MAGIC, 0x02, struct vmlab_info),
		.want_errno = ENOTTY,
	},
};

FIXTURE_VARIANT_ADD(bad, ioctl_writeback_with_arg)
{
	.in = {
		.op = OP_IOCTL, .cmd = _IOW(VMLAB_IOC_MAGIC, 0x03, int), .want_errno = ENOTTY,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_count)
{
	.in = {
		.op = OP_SET_KIND, .sel = { .kind = VL_NR_KINDS, .huge_fd = -1 },
		.want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_u32_max)
{
	.in = {
		.op = OP_SET_KIND, .kind = VMLAB_KIND_ANON, .sel = { .kind = ~0U, .huge_fd = -1 },
		.want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_flags)
{
	.in = {
		.op = OP_SET_KIND, .kind = VMLAB_KIND_ANON,
		.sel = { .kind = VMLAB_KIND_STORE, .flags = 1, .huge_fd = -1 },
		.want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_flags_high)
{
	.in = {
		.op = OP_SET_KIND,
		.sel = { .kind = VMLAB_KIND_ANON, .flags = 0x80000000, .huge_fd = -1 },
		.want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_thp_unknown)
{
	.in = {
		.op = OP_SET_KIND, .sel = { .kind = VMLAB_KIND_ANON, .thp = 6, .huge_fd = -1 },
		.want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_thp_huge)
{
	.in = {
		.op = OP_SET_KIND,
		.sel = { .kind = VMLAB_KIND_ANON, .thp = 0x80000000, .huge_fd = -1 },
		.want_errno = EINVAL,
	},
};

/* The store is one page cache: its policy is the module parameter's. */
FIXTURE_VARIANT_ADD(bad, set_kind_thp_store)
{
	.in = {
		.op = OP_SET_KIND,
		.sel = { .kind = VMLAB_KIND_STORE, .thp = VMLAB_THP_ALWAYS, .huge_fd = -1 },
		.want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_thp_huge_kind)
{
	.in = {
		.op = OP_SET_KIND,
		.sel = { .kind = VMLAB_KIND_HUGE, .thp = VMLAB_THP_NEVER, .huge_fd = -1 },
		.want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_store_huge_fd_0)
{
	.in = {
		.op = OP_SET_KIND, .kind = VMLAB_KIND_ANON,
		.sel = { .kind = VMLAB_KIND_STORE, .huge_fd = 0 }, .want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_anon_huge_fd_5)
{
	.in = {
		.op = OP_SET_KIND, .sel = { .kind = VMLAB_KIND_ANON, .huge_fd = 5 },
		.want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_anon_huge_fd_minus_2)
{
	.in = {
		.op = OP_SET_KIND, .sel = { .kind = VMLAB_KIND_ANON, .huge_fd = -2 },
		.want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_null)
{
	.in = {
		.op = OP_SET_KIND_PTR, .ptr = PTR_NULL, .want_errno = EFAULT,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_unmapped)
{
	.in = {
		.op = OP_SET_KIND_PTR, .kind = VMLAB_KIND_ANON, .ptr = PTR_UNMAPPED,
		.want_errno = EFAULT,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_straddle)
{
	.in = {
		.op = OP_SET_KIND_PTR, .ptr = PTR_STRADDLE, .want_errno = EFAULT,
	},
};

FIXTURE_VARIANT_ADD(bad, set_kind_kernel)
{
	.in = {
		.op = OP_SET_KIND_PTR, .ptr = PTR_KERNEL, .want_errno = EFAULT,
	},
};

FIXTURE_VARIANT_ADD(bad, get_info_null)
{
	.in = {
		.op = OP_GET_INFO_PTR, .ptr = PTR_NULL, .want_errno = EFAULT,
	},
};

FIXTURE_VARIANT_ADD(bad, get_info_unmapped)
{
	.in = {
		.op = OP_GET_INFO_PTR, .ptr = PTR_UNMAPPED, .want_errno = EFAULT,
	},
};

FIXTURE_VARIANT_ADD(bad, get_info_straddle)
{
	.in = {
		.op = OP_GET_INFO_PTR, .ptr = PTR_STRADDLE, .want_errno = EFAULT,
	},
};

FIXTURE_VARIANT_ADD(bad, get_info_readonly)
{
	.in = {
		.op = OP_GET_INFO_PTR, .kind = VMLAB_KIND_ANON, .ptr = PTR_READONLY,
		.want_errno = EFAULT,
	},
};

FIXTURE_VARIANT_ADD(bad, get_info_kernel)
{
	.in = {
		.op = OP_GET_INFO_PTR, .ptr = PTR_KERNEL, .want_errno = EFAULT,
	},
};

FIXTURE_VARIANT_ADD(bad, busy_store_shared_to_anon)
{
	.in = {
		.op = OP_SET_KIND_BUSY, .kind = VMLAB_KIND_STORE, .map_flags = MAP_SHARED,
		.sel = { .kind = VMLAB_KIND_ANON, .huge_fd = -1 }, .want_errno = EBUSY,
	},
};

FIXTURE_VARIANT_ADD(bad, busy_store_private_to_anon)
{
	.in = {
		.op = OP_SET_KIND_BUSY, .kind = VMLAB_KIND_STORE, .map_flags = MAP_PRIVATE,
		.sel = { .kind = VMLAB_KIND_ANON, .huge_fd = -1 }, .want_errno = EBUSY,
	},
};

FIXTURE_VARIANT_ADD(bad, busy_anon_private_to_store)
{
	.in = {
		.op = OP_SET_KIND_BUSY, .kind = VMLAB_KIND_ANON, .map_flags = MAP_PRIVATE,
		.sel = { .kind = VMLAB_KIND_STORE, .huge_fd = -1 }, .want_errno = EBUSY,
	},
};

FIXTURE_VARIANT_ADD(bad, busy_anon_shared_to_store)
{
	.in = {
		.op = OP_SET_KIND_BUSY, .kind = VMLAB_KIND_ANON, .map_flags = MAP_SHARED,
		.sel = { .kind = VMLAB_KIND_STORE, .huge_fd = -1 }, .want_errno = EBUSY,
	},
};

/* The policy of a file's objects changes only while it has no mappings. */
FIXTURE_VARIANT_ADD(bad, busy_anon_shared_thp)
{
	.in = {
		.op = OP_SET_KIND_BUSY, .kind = VMLAB_KIND_ANON, .map_flags = MAP_SHARED,
		.sel = { .kind = VMLAB_KIND_ANON, .thp = VMLAB_THP_ALWAYS, .huge_fd = -1 },
		.want_errno = EBUSY,
	},
};

FIXTURE_VARIANT_ADD(bad, busy_split_store_shared)
{
	.in = {
		.op = OP_SET_KIND_BUSY_SPLIT, .kind = VMLAB_KIND_STORE, .map_flags = MAP_SHARED,
		.sel = { .kind = VMLAB_KIND_ANON, .huge_fd = -1 }, .want_errno = EBUSY,
	},
};

FIXTURE_VARIANT_ADD(bad, busy_split_anon_shared)
{
	.in = {
		.op = OP_SET_KIND_BUSY_SPLIT, .kind = VMLAB_KIND_ANON, .map_flags = MAP_SHARED,
		.sel = { .kind = VMLAB_KIND_STORE, .huge_fd = -1 }, .want_errno = EBUSY,
	},
};

FIXTURE_VARIANT_ADD(bad, busy_fork_store_private)
{
	.in = {
		.op = OP_SET_KIND_BUSY_FORK, .kind = VMLAB_KIND_STORE, .map_flags = MAP_PRIVATE,
		.sel = { .kind = VMLAB_KIND_ANON, .huge_fd = -1 }, .want_errno = EBUSY,
	},
};

FIXTURE_VARIANT_ADD(bad, busy_fork_anon_shared)
{
	.in = {
		.op = OP_SET_KIND_BUSY_FORK, .kind = VMLAB_KIND_ANON, .map_flags = MAP_SHARED,
		.sel = { .kind = VMLAB_KIND_STORE, .huge_fd = -1 }, .want_errno = EBUSY,
	},
};

/*
 * pgoff = offset >> PAGE_SHIFT cannot wrap with a 64-bit offset, so the
 * check of vmlab_mmap() cannot fire; do_mmap() refuses first, because for
 * a character device file_mmap_ok() caps offset + length at ULONG_MAX:
 * EOVERFLOW, for every kind and both sharing modes.
 */
FIXTURE_VARIANT_ADD(bad, mmap_store_shared_last_page)
{
	.in = {
		.op = OP_MMAP_OFFSET, .kind = VMLAB_KIND_STORE, .map_flags = MAP_SHARED,
		.off = ~0UL - 4095, .len_pages = 1, .want_errno = EOVERFLOW,
	},
};

FIXTURE_VARIANT_ADD(bad, mmap_store_private_wraps)
{
	.in = {
		.op = OP_MMAP_OFFSET, .kind = VMLAB_KIND_STORE, .map_flags = MAP_PRIVATE,
		.off = ~0UL - 2 * 4096 + 1, .len_pages = 4, .want_errno = EOVERFLOW,
	},
};

FIXTURE_VARIANT_ADD(bad, mmap_anon_shared_last_page)
{
	.in = {
		.op = OP_MMAP_OFFSET, .kind = VMLAB_KIND_ANON, .map_flags = MAP_SHARED,
		.off = ~0UL - 4095, .len_pages = 1, .want_errno = EOVERFLOW,
	},
};

FIXTURE_VARIANT_ADD(bad, mmap_anon_private_wraps)
{
	.in = {
		.op = OP_MMAP_OFFSET, .kind = VMLAB_KIND_ANON, .map_flags = MAP_PRIVATE,
		.off = ~0UL - 2 * 4096 + 1, .len_pages = 4, .want_errno = EOVERFLOW,
	},
};

FIXTURE_VARIANT_ADD(bad, mmap_unaligned_offset)
{
	.in = {
		.op = OP_MMAP_OFFSET, .kind = VMLAB_KIND_STORE, .map_flags = MAP_SHARED,
		.off = 1, .len_pages = 1, .want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, mmap_rdonly_store_shared_write)
{
	.in = {
		.op = OP_MMAP_RDONLY, .kind = VMLAB_KIND_STORE, .want_errno = EACCES,
	},
};

FIXTURE_VARIANT_ADD(bad, mmap_rdonly_anon_shared_write)
{
	.in = {
		.op = OP_MMAP_RDONLY, .kind = VMLAB_KIND_ANON, .want_errno = EACCES,
	},
};

FIXTURE_VARIANT_ADD(bad, mprotect_rdonly_store_shared_write)
{
	.in = {
		.op = OP_MPROTECT_RDONLY, .kind = VMLAB_KIND_STORE, .want_errno = EACCES,
	},
};

FIXTURE_VARIANT_ADD(bad, mprotect_rdonly_anon_shared_write)
{
	.in = {
		.op = OP_MPROTECT_RDONLY, .kind = VMLAB_KIND_ANON, .want_errno = EACCES,
	},
};

FIXTURE_VARIANT_ADD(bad, pwrite_at_end)
{
	.in = {
		.op = OP_PWRITE, .pos = 0, .want_errno = ENOSPC,
	},
};

FIXTURE_VARIANT_ADD(bad, pwrite_past_end)
{
	.in = {
		.op = OP_PWRITE, .pos = 4096, .want_errno = ENOSPC,
	},
};

FIXTURE_VARIANT_ADD(bad, write_at_end)
{
	.in = {
		.op = OP_WRITE, .kind = VMLAB_KIND_ANON, .pos = 0, .want_errno = ENOSPC,
	},
};

FIXTURE_VARIANT_ADD(bad, write_rdonly)
{
	.in = {
		.op = OP_WRITE_RDONLY, .want_errno = EBADF,
	},
};

FIXTURE_VARIANT_ADD(bad, lseek_set_past_end)
{
	.in = {
		.op = OP_LSEEK, .whence = SEEK_SET, .pos = 1, .want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, lseek_end_plus_1)
{
	.in = {
		.op = OP_LSEEK, .whence = SEEK_END, .pos = 1, .want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, lseek_cur_past_end)
{
	.in = {
		.op = OP_LSEEK, .whence = SEEK_CUR, .pos = 4096, .want_errno = EINVAL,
	},
};

FIXTURE_VARIANT_ADD(bad, lseek_bad_whence)
{
	.in = {
		.op = OP_LSEEK, .whence = 42, .pos = -1, .want_errno = EINVAL,
	},
};

FIXTURE_SETUP(bad)
{
	snap(_metadata, &self->base);
	self->fd = vl_open(O_RDWR);
	ASSERT_LE(0, self->fd) {
		TH_LOG("open %s: %s (is vmlab loaded?)", VMLAB_DEVICE_PATH, strerror(-self->fd));
	}
	ASSERT_EQ(0, vl_info(self->fd, &self->info));
	ASSERT_LE((uint64_t)store_off(16), self->info.store_size);
	ASSERT_EQ(0, vl_select(self->fd, variant->in.kind, -1));
}

FIXTURE_TEARDOWN(bad)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* A pointer of kind @ptr to @size bytes; *@unmap and *@unmap_len say what to munmap. */
static void *bad_pointer(struct __test_metadata *_metadata, enum bad_ptr ptr, size_t size,
			 char **unmap, size_t *unmap_len)
{
	size_t ps = page_size();
	char *p;

	*unmap = NULL;
	*unmap_len = 0;
	switch (ptr) {
	case PTR_NULL:
		return NULL;
	case PTR_KERNEL:
		return KERNEL_PTR;
	case PTR_UNMAPPED:
		p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, munmap(p, ps));
		return p;
	case PTR_STRADDLE:
		p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, munmap(p + ps, ps));
		*unmap = p;
		*unmap_len = ps;
		return p + ps - size / 2;
	case PTR_READONLY:
		p = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, p);
		*unmap = p;
		*unmap_len = ps;
		return p;
	}
	return NULL;
}

/* Map through @fd (already of the kind wanted), failing the test when that fails. */
static char *map_fd(struct __test_metadata *_metadata, int fd, size_t npages, int prot,
		    int flags, off_t off)
{
	char *p = mmap(NULL, npages * page_size(), prot, flags, fd, off);

	ASSERT_NE(MAP_FAILED, p) {
		TH_LOG("mmap: %s", strerror(errno));
	}
	return p;
}

static int get_kind(struct __test_metadata *_metadata, int fd, unsigned int *mappings)
{
	struct vmlab_info info;

	ASSERT_EQ(0, vl_info(fd, &info));
	if (mappings)
		*mappings = info.mappings;
	return info.kind;
}

/*
 * Changing the kind of a mapped file: EBUSY while any VMA made through it
 * lives (here: whole, split in two, or only in a fork child); asking for
 * the kind it has is no change and succeeds; once the last VMA is gone
 * the change is allowed.  Returns the first SET_KIND's result.
 */
static int op_busy(struct __test_metadata *_metadata, int fd,
		   const struct vmlab_select *sel, enum bad_op op, unsigned int kind,
		   int map_flags, int *err)
{
	size_t ps = page_size();
	int ret, pipefd[2], status;
	unsigned int mappings;
	struct vmlab_select same;
	char *map, c;
	pid_t pid = 0;

	map = map_fd(_metadata, fd, 3, PROT_READ | PROT_WRITE, map_flags, store_off(1));
	poke(map, 1);
	if (op == OP_SET_KIND_BUSY_SPLIT) {
		ASSERT_EQ(0, munmap(map + ps, ps));
		get_kind(_metadata, fd, &mappings);
		ASSERT_EQ(2U, mappings);
	}
	if (op == OP_SET_KIND_BUSY_FORK) {
		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(pipefd[1]);
			/* Keep the copy of the mapping until the parent closes the pipe. */
			_exit(read(pipefd[0], &c, 1) == 0 && peek(map) == 1 ? 0 : 1);
		}
		close(pipefd[0]);
		ASSERT_EQ(0, munmap(map, 3 * ps));
		get_kind(_metadata, fd, &mappings);
		ASSERT_EQ(1U, mappings);
	}

	errno = 0;
	ret = ioctl(fd, VMLAB_IOC_SET_KIND, sel);
	*err = errno;

	/* Asking for the kind (and policy) the file has is fine even now. */
	same = *sel;
	same.kind = kind;
	same.thp = VMLAB_THP_DEFAULT;
	EXPECT_EQ(0, ioctl(fd, VMLAB_IOC_SET_KIND, &same)) {
		TH_LOG("SET_KIND to the same kind while mapped: %s", strerror(errno));
	}
	EXPECT_EQ(kind, get_kind(_metadata, fd, NULL));

	if (op == OP_SET_KIND_BUSY_SPLIT) {
		/* One piece gone, the other still counts. */
		ASSERT_EQ(0, munmap(map, ps));
		EXPECT_EQ(-1, ioctl(fd, VMLAB_IOC_SET_KIND, sel));
		EXPECT_EQ(EBUSY, errno);
		ASSERT_EQ(0, munmap(map + 2 * ps, ps));
	} else if (op == OP_SET_KIND_BUSY_FORK) {
		close(pipefd[1]);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
			TH_LOG("child status 0x%x", status);
		}
	} else {
		ASSERT_EQ(0, munmap(map, 3 * ps));
	}

	/* No mapping left: the change is allowed, and back. */
	get_kind(_metadata, fd, &mappings);
	ASSERT_EQ(0U, mappings);
	EXPECT_EQ(0, ioctl(fd, VMLAB_IOC_SET_KIND, sel)) {
		TH_LOG("SET_KIND after munmap: %s", strerror(errno));
	}
	EXPECT_EQ(sel->kind, get_kind(_metadata, fd, NULL));
	ASSERT_EQ(0, ioctl(fd, VMLAB_IOC_SET_KIND, &same));
	return ret;
}

/* A file of its own, O_RDONLY, of @kind. */
static int open_rdonly(struct __test_metadata *_metadata, unsigned int kind)
{
	int fd = vl_open(O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_select(fd, kind, -1));
	return fd;
}

/*
 * Make the bad input @v on @self_fd (the store being @size bytes): its
 * return value, with its errno in *@err.
 */
static long do_bad(struct __test_metadata *_metadata, int self_fd, long long size,
		   const struct bad_input *v, int *err)
{
	size_t ps = page_size(), unmap_len;
	char *unmap, *map, buf[16] = { 0 };
	long ret = 0;
	void *ptr;
	int fd;

	errno = 0;
	switch (v->op) {
	case OP_IOCTL:
		ret = ioctl(self_fd, v->cmd, buf);
		break;
	case OP_SET_KIND:
		ret = ioctl(self_fd, VMLAB_IOC_SET_KIND, &v->sel);
		break;
	case OP_SET_KIND_PTR:
	case OP_GET_INFO_PTR:
		ptr = bad_pointer(_metadata, v->ptr, v->op == OP_SET_KIND_PTR ?
				  sizeof(struct vmlab_select) : sizeof(struct vmlab_info),
				  &unmap, &unmap_len);
		errno = 0;
		ret = ioctl(self_fd, v->op == OP_SET_KIND_PTR ? VMLAB_IOC_SET_KIND :
			    VMLAB_IOC_GET_INFO, ptr);
		*err = errno;
		if (unmap)
			munmap(unmap, unmap_len);
		return ret;
	case OP_SET_KIND_BUSY:
	case OP_SET_KIND_BUSY_SPLIT:
	case OP_SET_KIND_BUSY_FORK:
		return op_busy(_metadata, self_fd, &v->sel, v->op, v->kind, v->map_flags, err);
	case OP_MMAP_OFFSET:
		map = mmap(NULL, v->len_pages * ps, PROT_READ | PROT_WRITE, v->map_flags,
			   self_fd, (off_t)v->off);
		*err = errno;
		if (map != MAP_FAILED) {
			TH_LOG("mmap at offset 0x%lx succeeded at %p", v->off, map);
			munmap(map, v->len_pages * ps);
			return 0;
		}
		return -1;
	case OP_MMAP_RDONLY:
		fd = open_rdonly(_metadata, v->kind);
		errno = 0;
		map = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, store_off(2));
		*err = errno;
		if (map != MAP_FAILED)
			munmap(map, ps);
		close(fd);
		return map == MAP_FAILED ? -1 : 0;
	case OP_MPROTECT_RDONLY:
		fd = open_rdonly(_metadata, v->kind);
		map = map_fd(_metadata, fd, 1, PROT_READ, MAP_SHARED, store_off(2));
		peek(map);
		errno = 0;
		ret = mprotect(map, ps, PROT_READ | PROT_WRITE);
		*err = errno;
		/* Still mapped and readable. */
		peek(map);
		munmap(map, ps);
		close(fd);
		return ret;
	case OP_PWRITE:
		ret = pwrite(self_fd, buf, sizeof(buf), size + v->pos);
		break;
	case OP_WRITE:
		ASSERT_EQ(size + v->pos, lseek(self_fd, size + v->pos, SEEK_SET));
		errno = 0;
		ret = write(self_fd, buf, sizeof(buf));
		*err = errno;
		EXPECT_EQ(size + v->pos, lseek(self_fd, 0, SEEK_CUR));
		return ret;
	case OP_WRITE_RDONLY:
		fd = open_rdonly(_metadata, v->kind);
		errno = 0;
		ret = write(fd, buf, sizeof(buf));
		*err = errno;
		close(fd);
		return ret;
	case OP_LSEEK:
		/* From the end of the store; the position stays there. */
		ASSERT_EQ(size, lseek(self_fd, size, SEEK_SET));
		errno = 0;
		ret = lseek(self_fd, v->whence == SEEK_SET ? size + v->pos : v->pos, v->whence);
		*err = errno;
		EXPECT_EQ(size, lseek(self_fd, 0, SEEK_CUR));
		return ret;
	}
	*err = errno;
	return ret;
}

TEST_F(bad, errno_and_intact)
{
	const struct bad_input *in = &variant->in;
	unsigned int mappings;
	int err = 0;
	long ret;

	ret = do_bad(_metadata, self->fd, self->info.store_size, in, &err);
	TH_LOG("observed: %ld, errno %d (%s)", ret, err, strerror(err));
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(in->want_errno, err) {
		TH_LOG("wanted errno %d (%s)", in->want_errno, strerror(in->want_errno));
	}

	/* The file keeps its kind and has nothing mapped. */
	EXPECT_EQ(in->kind, get_kind(_metadata, self->fd, &mappings));
	EXPECT_EQ(0U, mappings);

	/* It still maps, writes and reads; so does a new file. */
	check_device_works(_metadata, self->fd, 'a' + in->op);
	check_device_works(_metadata, -1, 'A' + in->op);

	close(self->fd);
	self->fd = -1;
	check_live(_metadata, &self->base);
}

/*
 * A mapping alone, its file closed, pins the module: delete_module() is
 * refused with EWOULDBLOCK while any piece of it lives, and the module's
 * reference count is back to its baseline once it is gone.  The module is
 * never unloaded: delete_module() is called only while /sys/module/vmlab/
 * refcnt shows our reference.
 */
FIXTURE(pinned)
{
	struct vl_counters base;
	long refcnt;
};

FIXTURE_VARIANT(pinned)
{
	unsigned int kind;
	int flags;
};

FIXTURE_VARIANT_ADD(pinned, store_private)
{
	.kind = VMLAB_KIND_STORE, .flags = MAP_PRIVATE,
};

FIXTURE_VARIANT_ADD(pinned, store_shared)
{
	.kind = VMLAB_KIND_STORE, .flags = MAP_SHARED,
};

FIXTURE_VARIANT_ADD(pinned, anon_private)
{
	.kind = VMLAB_KIND_ANON, .flags = MAP_PRIVATE,
};

FIXTURE_VARIANT_ADD(pinned, anon_shared)
{
	.kind = VMLAB_KIND_ANON, .flags = MAP_SHARED,
};

FIXTURE_SETUP(pinned)
{
	if (geteuid())
		SKIP(return, "delete_module() needs root");
	snap(_metadata, &self->base);
	self->refcnt = read_refcnt(_metadata);
}

FIXTURE_TEARDOWN(pinned)
{
}

static void check_rmmod_refused(struct __test_metadata *_metadata, long baseline)
{
	long refcnt = read_refcnt(_metadata);
	int ret;

	ASSERT_LT(baseline, refcnt) {
		/* delete_module() would unload vmlab under the mapping. */
		TH_LOG("the mapping holds no reference to vmlab: not calling delete_module()");
	}
	ret = vl_module_unload(0);
	ASSERT_NE(0, ret) {
		TH_LOG("vmlab was unloaded under a live mapping");
	}
	ASSERT_EQ(-EWOULDBLOCK, ret) {
		TH_LOG("delete_module: %s", strerror(-ret));
	}
	ASSERT_EQ(refcnt, read_refcnt(_metadata));
}

TEST_F(pinned, rmmod_refused_while_mapped)
{
	size_t ps = page_size();
	char *map;
	int fd;

	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	map = vl_map(fd, variant->kind, 2 * ps, PROT_READ | PROT_WRITE, variant->flags,
		     store_off(8));
	ASSERT_NE(MAP_FAILED, map) {
		TH_LOG("mmap: %s", strerror(errno));
	}
	poke(map, 5);
	peek(map + ps);
	ASSERT_EQ(0, close(fd));

	check_rmmod_refused(_metadata, self->refcnt);
	/* The mapping still works. */
	poke(map, 6);
	ASSERT_EQ(6, peek(map));

	/* Half of it is still a mapping. */
	ASSERT_EQ(0, munmap(map + ps, ps));
	check_rmmod_refused(_metadata, self->refcnt);
	ASSERT_EQ(6, peek(map));

	ASSERT_EQ(0, munmap(map, ps));
	ASSERT_EQ(self->refcnt, read_refcnt(_metadata));
	check_live(_metadata, &self->base);
}

TEST_HARNESS_MAIN
