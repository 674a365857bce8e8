// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: the store as a file and as the page cache behind its
 * mappings.  read(2)/write(2)/lseek(2) at and around the end of the store;
 * what shared and private mappings see; dirty tracking and its write-back
 * (msync, fsync, VMLAB_IOC_WRITEBACK and the kernel's flusher) re-arming write
 * faults; soft-dirty; racing first faults; SIGBUS past the end; and the
 * backing file across a reload of the module.
 *
 * Needs root, debugfs and vmlab loaded.  The tests of this program share
 * one module instance (and, under make check, share it with the other
 * programs): each test uses store pages of its own (enum region) and
 * measures counters as differences around what it does.  The reload tests
 * run only in the vm-run guests, which set VMLAB_KO; they reload vmlab and
 * always load it again with no parameters when they end.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
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

/*
 * Store pages of this program: REGION_PAGES pages per region from page
 * REGION_BASE on (16 MiB into the 64 MiB store with 4 KiB pages).
 */
#define REGION_BASE	4096
#define REGION_PAGES	64
#define RACE_REGIONS	4

enum region {
	REGION_RW,
	REGION_SHARED,
	REGION_PRIVATE,
	REGION_DIRTY,
	REGION_WRITE_DIRTY,
	REGION_SOFT_DIRTY,
	REGION_PERIODIC,
	REGION_LIMITS,
	REGION_NOTIFY,
	REGION_RACE,		/* RACE_REGIONS regions */
	NR_REGIONS = REGION_RACE + RACE_REGIONS
};

/* Tasks racing for the first fault of one store page. */
#define RACERS		8

/* Attempts at a measurement that the kernel's flusher may disturb. */
#define ATTEMPTS	5

/* The reload tests. */
#define BACKING_PATH	"/tmp/vmlab-backing"
#define BACKING_DIR	"/tmp/vmlab-backing-dir"
#define BACKING_SIZE	(4UL << 20)
#define BACKING_ARGS	"backing=" BACKING_PATH " store_size=4M"
/* The tests of the store with a backing file: the default size, for enum region. */
#define BACKED_ARGS	"backing=" BACKING_PATH

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Byte offset in the store of page @page of region @r. */
static off_t region_off(unsigned int r, size_t page)
{
	return (off_t)((REGION_BASE + (size_t)r * REGION_PAGES + page) * page_size());
}

/* Accesses the compiler may neither drop nor merge. */
static char peek(const char *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void poke(char *p, char v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Fill @len bytes with a pseudo-random pattern that depends on @seed. */
static void fill_pattern(void *buf, size_t len, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 1, x = 0;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			x = xorshift64(&s);
		p[i] = x >> (8 * (i & 7));
	}
}

/* FNV-1a, 64 bits. */
static uint64_t checksum(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Offset of the first byte where @a and @b differ, or @len. */
static size_t first_diff(const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < len && x[i] == y[i]; i++)
		;
	return i;
}

/* pread(2) until @len bytes or the end: bytes read, or -errno. */
static ssize_t pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + done);

		if (n < 0)
			return -errno;
		if (!n)
			break;
		done += n;
	}
	return done;
}

/* Open the device read-write and describe it. */
static int open_dev(struct __test_metadata *_metadata, struct vmlab_info *info)
{
	int fd = vl_open(O_RDWR);

	ASSERT_LE(0, fd) {
		TH_LOG("open %s: %s (is vmlab loaded?)", VMLAB_DEVICE_PATH, strerror(-fd));
	}
	ASSERT_EQ(0, vl_info(fd, info));
	ASSERT_EQ(page_size(), info->page_size);
	return fd;
}

/* Open the device for a test that uses store pages of enum region. */
static int open_store(struct __test_metadata *_metadata, struct vmlab_info *info)
{
	int fd = open_dev(_metadata, info);

	ASSERT_LE((uint64_t)region_off(NR_REGIONS, 0), info->store_size) {
		TH_LOG("the store (%llu bytes) is too small for this program",
		       (unsigned long long)info->store_size);
	}
	return fd;
}

static char *map_store(struct __test_metadata *_metadata, int fd, size_t npages, int prot,
		       int flags, off_t off)
{
	char *p = mmap(NULL, npages * page_size(), prot, flags, fd, off);

	ASSERT_NE(MAP_FAILED, p) {
		TH_LOG("mmap of %zu pages at 0x%llx: %s", npages, (unsigned long long)off,
		       strerror(errno));
	}
	return p;
}

static void snap(struct __test_metadata *_metadata, struct vl_counters *c)
{
	int ret = vl_counters_read(c);

	ASSERT_EQ(0, ret) {
		TH_LOG("reading %s: %s", VL_COUNTERS_PATH, strerror(-ret));
	}
}

static int64_t value(struct __test_metadata *_metadata, const struct vl_counters *c,
		     const char *name)
{
	uint64_t v = 0;

	ASSERT_EQ(0, vl_counter_get(c, name, &v)) {
		TH_LOG("no counter %s", name);
	}
	return (int64_t)v;
}

static int64_t delta(struct __test_metadata *_metadata, const struct vl_counters *before,
		     const struct vl_counters *after, const char *name)
{
	int64_t d = vl_counter_delta(before, after, name);

	ASSERT_NE(VL_COUNTER_MISSING, d) {
		TH_LOG("no counter %s", name);
	}
	return d;
}

/* The pagemap entry of @addr in process @pid (0: this one): 0 or -errno. */
static int pm_read(pid_t pid, const void *addr, uint64_t *raw)
{
	int fd = vl_pagemap_open(pid);
	int ret;

	if (fd < 0)
		return fd;
	ret = vl_pagemap_read(fd, (unsigned long)addr, 1, raw);
	close(fd);
	return ret;
}

static uint64_t pm_raw(struct __test_metadata *_metadata, const void *addr)
{
	uint64_t raw = 0;
	int ret = pm_read(0, addr, &raw);

	ASSERT_EQ(0, ret) {
		TH_LOG("pagemap of %p: %s", addr, strerror(-ret));
	}
	return raw;
}

static void log_pm(struct __test_metadata *_metadata, const char *what, uint64_t raw)
{
	char buf[128];

	vl_pm_format(raw, buf, sizeof(buf));
	TH_LOG("%s: pagemap 0x%016llx %s", what, (unsigned long long)raw, buf);
}

/*
 * Reloads of the module.  A fixture that reloads it has a
 * FIXTURE_TEARDOWN_PARENT: the teardown runs in the parent, once the
 * test's process (and with it every file and mapping of the device) is
 * gone, even when it died; it always loads vmlab again with no parameters.
 */
/* Whether the reload tests can run here; they SKIP when not. */
static bool setup_reload(struct __test_metadata *_metadata)
{
	const char *ko = getenv("VMLAB_KO");

	if (!ko || !*ko)
		SKIP(return false, "VMLAB_KO unset: vmlab is reloaded only in the vm-run guests");
	if (geteuid())
		SKIP(return false, "reloading vmlab needs root");
	ASSERT_EQ(0, access(ko, R_OK)) {
		TH_LOG("%s: %s", ko, strerror(errno));
	}
	ASSERT_TRUE(vl_module_loaded());
	unlink(BACKING_PATH);
	return true;
}

static void restore_default_load(struct __test_metadata *_metadata)
{
	vmlab_ksft_reload_default(BACKING_PATH);
}

/*
 * The store with a backing file, for the tests of what it alone has: dirty
 * tracking (->page_mkwrite, write-protection by write-back), write-back to
 * the file, the flusher.  Without backing= the store is a tmpfs file and
 * has none of them.  Unload vmlab, load it with a backing file and the
 * default store size, and open the store (see open_store()).  The
 * fixture's setup called setup_reload(); its FIXTURE_TEARDOWN_PARENT calls
 * restore_default_load().
 */
static int open_backed(struct __test_metadata *_metadata, struct vmlab_info *info)
{
	int fd;

	vmlab_ksft_reload(BACKED_ARGS);
	fd = open_store(_metadata, info);
	ASSERT_EQ(1U, info->has_backing);
	return fd;
}

/*
 * read(2), write(2), pread(2), pwrite(2) and lseek(2) of the store.
 */

TEST(read_write_roundtrip)
{
	size_t ps = page_size(), len = 3 * ps + 123;
	char *want = malloc(len), *got = malloc(len);
	struct vmlab_info info;
	char patch[10];
	off_t off;
	int fd;

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, got);
	fd = open_store(_metadata, &info);
	off = region_off(REGION_RW, 0) + 100;
	fill_pattern(want, len, 1);

	/* write(2) at the file position moves it on. */
	ASSERT_EQ(off, lseek(fd, off, SEEK_SET));
	ASSERT_EQ((ssize_t)len, write(fd, want, len));
	ASSERT_EQ(off + (off_t)len, lseek(fd, 0, SEEK_CUR));
	ASSERT_EQ((ssize_t)len, pread_full(fd, got, len, off));
	ASSERT_EQ(len, first_diff(want, got, len));

	/* read(2) from the file position, likewise. */
	memset(got, 0, len);
	ASSERT_EQ(off, lseek(fd, off, SEEK_SET));
	ASSERT_EQ((ssize_t)len, read(fd, got, len));
	ASSERT_EQ(off + (off_t)len, lseek(fd, 0, SEEK_CUR));
	ASSERT_EQ(len, first_diff(want, got, len));

	/* pwrite(2) across a page boundary changes those bytes only. */
	fill_pattern(patch, sizeof(patch), 2);
	memcpy(want + ps - 105, patch, sizeof(patch));
	ASSERT_EQ((ssize_t)sizeof(patch), pwrite(fd, patch, sizeof(patch), off + ps - 105));
	ASSERT_EQ(off + (off_t)len, lseek(fd, 0, SEEK_CUR));
	ASSERT_EQ((ssize_t)len, pread_full(fd, got, len, off));
	ASSERT_EQ(len, first_diff(want, got, len));

	close(fd);
	free(want);
	free(got);
}

/*
 * lseek(2): positions as "sizes" times the store size plus "bytes".  The
 * end of the store is a valid position, nothing beyond it is; a failed
 * lseek leaves the position where it was.
 */
FIXTURE(seek)
{
	int fd;
	struct vmlab_info info;
};

FIXTURE_VARIANT(seek)
{
	int whence;
	int start_sizes;
	long long start_bytes;
	int off_sizes;
	long long off_bytes;
	int want_sizes;
	long long want_bytes;
	int want_errno;
};

FIXTURE_VARIANT_ADD(seek, end)
{
	.whence = SEEK_END, .want_sizes = 1,
};

FIXTURE_VARIANT_ADD(seek, end_minus_4k)
{
	.whence = SEEK_END, .off_bytes = -4096, .want_sizes = 1, .want_bytes = -4096,
};

FIXTURE_VARIANT_ADD(seek, end_minus_size)
{
	.whence = SEEK_END, .start_sizes = 1, .off_sizes = -1,
};

FIXTURE_VARIANT_ADD(seek, end_plus_1)
{
	.whence = SEEK_END, .start_bytes = 8, .off_bytes = 1, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(seek, end_minus_size_minus_1)
{
	.whence = SEEK_END, .start_bytes = 8, .off_sizes = -1, .off_bytes = -1,
	.want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(seek, set_end)
{
	.whence = SEEK_SET, .off_sizes = 1, .want_sizes = 1,
};

FIXTURE_VARIANT_ADD(seek, set_end_plus_1)
{
	.whence = SEEK_SET, .start_bytes = 8, .off_sizes = 1, .off_bytes = 1,
	.want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(seek, set_minus_1)
{
	.whence = SEEK_SET, .start_bytes = 8, .off_bytes = -1, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(seek, cur_to_end)
{
	.whence = SEEK_CUR, .start_sizes = 1, .start_bytes = -1, .off_bytes = 1,
	.want_sizes = 1,
};

FIXTURE_VARIANT_ADD(seek, cur_past_end)
{
	.whence = SEEK_CUR, .start_sizes = 1, .off_bytes = 1, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(seek, cur_back)
{
	.whence = SEEK_CUR, .start_sizes = 1, .off_bytes = -10, .want_sizes = 1,
	.want_bytes = -10,
};

/* fixed_size_llseek() knows SEEK_SET, SEEK_CUR and SEEK_END only. */
FIXTURE_VARIANT_ADD(seek, data_unsupported)
{
	.whence = SEEK_DATA, .start_bytes = 8, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(seek, hole_unsupported)
{
	.whence = SEEK_HOLE, .start_bytes = 8, .want_errno = EINVAL,
};

FIXTURE_SETUP(seek)
{
	self->fd = open_dev(_metadata, &self->info);
}

FIXTURE_TEARDOWN(seek)
{
	close(self->fd);
}

TEST_F(seek, lseek)
{
	long long size = self->info.store_size;
	off_t start = variant->start_sizes * size + variant->start_bytes;
	off_t off = variant->off_sizes * size + variant->off_bytes;
	off_t want = variant->want_sizes * size + variant->want_bytes;
	off_t ret;

	ASSERT_EQ(start, lseek(self->fd, start, SEEK_SET));
	errno = 0;
	ret = lseek(self->fd, off, variant->whence);
	if (variant->want_errno) {
		ASSERT_EQ(-1, ret);
		ASSERT_EQ(variant->want_errno, errno) {
			TH_LOG("lseek(%lld, %d): %s", (long long)off, variant->whence,
			       strerror(errno));
		}
		ASSERT_EQ(start, lseek(self->fd, 0, SEEK_CUR));
	} else {
		ASSERT_EQ(want, ret) {
			TH_LOG("lseek(%lld, %d): %s", (long long)off, variant->whence,
			       strerror(errno));
		}
		ASSERT_EQ(want, lseek(self->fd, 0, SEEK_CUR));
	}
}

/*
 * Reads and writes at and around the end of the store.  @pos is relative
 * to the end; "positional" uses pread/pwrite, else lseek and read/write.
 */
FIXTURE(at_end)
{
	int fd;
	struct vmlab_info info;
};

FIXTURE_VARIANT(at_end)
{
	bool write;
	bool positional;
	long long pos;
	size_t len;
	ssize_t want;
	int want_errno;
};

FIXTURE_VARIANT_ADD(at_end, read_at_end)
{
	.len = 100, .want = 0,
};

FIXTURE_VARIANT_ADD(at_end, pread_at_end)
{
	.positional = true, .len = 100, .want = 0,
};

FIXTURE_VARIANT_ADD(at_end, pread_past_end)
{
	.positional = true, .pos = 4096, .len = 100, .want = 0,
};

FIXTURE_VARIANT_ADD(at_end, read_crossing_end)
{
	.pos = -100, .len = 300, .want = 100,
};

FIXTURE_VARIANT_ADD(at_end, pread_crossing_end)
{
	.positional = true, .pos = -100, .len = 300, .want = 100,
};

FIXTURE_VARIANT_ADD(at_end, write_at_end)
{
	.write = true, .len = 100, .want = -1, .want_errno = ENOSPC,
};

FIXTURE_VARIANT_ADD(at_end, pwrite_at_end)
{
	.write = true, .positional = true, .len = 100, .want = -1, .want_errno = ENOSPC,
};

FIXTURE_VARIANT_ADD(at_end, pwrite_past_end)
{
	.write = true, .positional = true, .pos = 1, .len = 100, .want = -1,
	.want_errno = ENOSPC,
};

FIXTURE_VARIANT_ADD(at_end, write_crossing_end)
{
	.write = true, .pos = -100, .len = 300, .want = 100,
};

FIXTURE_VARIANT_ADD(at_end, pwrite_crossing_end)
{
	.write = true, .positional = true, .pos = -100, .len = 300, .want = 100,
};

FIXTURE_VARIANT_ADD(at_end, write_nothing_at_end)
{
	.write = true, .len = 0, .want = 0,
};

FIXTURE_SETUP(at_end)
{
	self->fd = open_dev(_metadata, &self->info);
}

FIXTURE_TEARDOWN(at_end)
{
	close(self->fd);
}

TEST_F(at_end, short_or_enospc)
{
	off_t size = self->info.store_size, pos = size + variant->pos;
	char buf[300], tail[100], got[100];
	const char *want = tail, *seen = got;
	size_t n = sizeof(got);
	ssize_t ret;

	ASSERT_GE(sizeof(buf), variant->len);
	/* Known bytes at the end of the store, and a buffer unlike them. */
	fill_pattern(tail, sizeof(tail), 3);
	ASSERT_EQ((ssize_t)sizeof(tail), pwrite(self->fd, tail, sizeof(tail), size - 100));
	fill_pattern(buf, sizeof(buf), 4);

	if (!variant->positional)
		ASSERT_EQ(pos, lseek(self->fd, pos, SEEK_SET));
	errno = 0;
	if (variant->write && variant->positional)
		ret = pwrite(self->fd, buf, variant->len, pos);
	else if (variant->write)
		ret = write(self->fd, buf, variant->len);
	else if (variant->positional)
		ret = pread(self->fd, buf, variant->len, pos);
	else
		ret = read(self->fd, buf, variant->len);
	ASSERT_EQ(variant->want, ret) {
		TH_LOG("%zu bytes at end%+lld: %s", variant->len, variant->pos, strerror(errno));
	}
	if (variant->want_errno)
		ASSERT_EQ(variant->want_errno, errno);
	if (!variant->positional)
		ASSERT_EQ(pos + (ret > 0 ? ret : 0), lseek(self->fd, 0, SEEK_CUR));

	/* What a short read got, and what a short write left, are the store's last bytes. */
	ASSERT_EQ((ssize_t)sizeof(got), pread(self->fd, got, sizeof(got), size - 100));
	if (ret > 0 && variant->write) {
		want = buf;
		n = ret;
	} else if (ret > 0) {
		seen = buf;
		n = ret;
	}
	ASSERT_EQ(n, first_diff(want, seen, n));
}

/*
 * Appending writes: the store has a fixed size, like a block device, so an
 * O_APPEND write(2) or a pwritev2(RWF_APPEND) starts at its end and fails
 * with ENOSPC, leaving the file position and the store as they were; an
 * empty one writes nothing and returns 0.
 */
FIXTURE(append)
{
	int fd;		/* the appending file */
	int plain;	/* another, to set up and to check */
	struct vmlab_info info;
};

FIXTURE_VARIANT(append)
{
	bool o_append;		/* open with O_APPEND, else pwritev2(RWF_APPEND) */
	bool positional;	/* O_APPEND: pwrite(2) at the region's offset, else write(2) */
	size_t len;
	ssize_t want;
	int want_errno;
};

FIXTURE_VARIANT_ADD(append, o_append_write)
{
	.o_append = true, .len = 100, .want = -1, .want_errno = ENOSPC,
};

FIXTURE_VARIANT_ADD(append, o_append_pwrite)
{
	.o_append = true, .positional = true, .len = 100, .want = -1, .want_errno = ENOSPC,
};

FIXTURE_VARIANT_ADD(append, o_append_write_nothing)
{
	.o_append = true, .len = 0, .want = 0,
};

FIXTURE_VARIANT_ADD(append, rwf_append_pwritev2)
{
	.len = 100, .want = -1, .want_errno = ENOSPC,
};

FIXTURE_VARIANT_ADD(append, rwf_append_pwritev2_nothing)
{
	.len = 0, .want = 0,
};

FIXTURE_SETUP(append)
{
	self->fd = vl_open(O_RDWR | (variant->o_append ? O_APPEND : 0));
	ASSERT_LE(0, self->fd) {
		TH_LOG("open %s: %s", VMLAB_DEVICE_PATH, strerror(-self->fd));
	}
	ASSERT_EQ(0, vl_info(self->fd, &self->info));
	self->plain = open_dev(_metadata, &self->info);
}

FIXTURE_TEARDOWN(append)
{
	close(self->fd);
	close(self->plain);
}

TEST_F(append, at_the_end)
{
	off_t off = region_off(REGION_RW, 0), size = self->info.store_size;
	char buf[100], head0[100], head[100], tail0[100], tail[100], got[100];
	struct iovec iov;
	ssize_t ret;
	off_t pos;

	fill_pattern(buf, sizeof(buf), 5);
	ASSERT_EQ((ssize_t)sizeof(head0), pread(self->plain, head0, sizeof(head0), 0));
	ASSERT_EQ((ssize_t)sizeof(tail0), pread(self->plain, tail0, sizeof(tail0), size - 100));
	/* Known bytes where the file position points, unlike the ones written. */
	fill_pattern(got, sizeof(got), 6);
	ASSERT_EQ((ssize_t)sizeof(got), pwrite(self->plain, got, sizeof(got), off));
	ASSERT_EQ(off, lseek(self->fd, off, SEEK_SET));

	errno = 0;
	if (variant->o_append && variant->positional) {
		ret = pwrite(self->fd, buf, variant->len, off);
	} else if (variant->o_append) {
		ret = write(self->fd, buf, variant->len);
	} else {
		iov = (struct iovec){ .iov_base = buf, .iov_len = variant->len };
		ret = pwritev2(self->fd, &iov, 1, off, RWF_APPEND);
	}
	pos = lseek(self->fd, 0, SEEK_CUR);
	ASSERT_EQ(variant->want, ret) {
		TH_LOG("append of %zu bytes: %s; position now %lld (was %lld, store size %lld)",
		       variant->len, strerror(errno), (long long)pos, (long long)off,
		       (long long)size);
	}
	if (variant->want_errno)
		ASSERT_EQ(variant->want_errno, errno);
	ASSERT_EQ(off, pos);

	/* Nothing changed: at the position, at the start, at the end of the store. */
	memset(got, 0, sizeof(got));
	ASSERT_EQ((ssize_t)sizeof(got), pread(self->plain, got, sizeof(got), off));
	fill_pattern(buf, sizeof(buf), 6);
	ASSERT_EQ(sizeof(got), first_diff(buf, got, sizeof(got)));
	ASSERT_EQ((ssize_t)sizeof(head), pread(self->plain, head, sizeof(head), 0));
	ASSERT_EQ(sizeof(head), first_diff(head0, head, sizeof(head)));
	ASSERT_EQ((ssize_t)sizeof(tail), pread(self->plain, tail, sizeof(tail), size - 100));
	ASSERT_EQ(sizeof(tail), first_diff(tail0, tail, sizeof(tail)));
}

/*
 * The size of the device as tools learn it.  fio on Linux sizes only block
 * devices (ioctl BLKGETSIZE64) and regular files (stat); a character
 * device gets no size query at all, hence fio's "you need to specify
 * size=".  lseek(SEEK_END) answers the store's size; BLKGETSIZE64 is a
 * block-device ioctl, refused with ENOTTY.
 */
TEST(size_as_tools_see_it)
{
	uint64_t bytes = 0;
	struct vmlab_info info;
	struct stat st;
	int fd;

	fd = open_dev(_metadata, &info);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ((off_t)info.store_size, lseek(fd, 0, SEEK_END));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(-1, ioctl(fd, BLKGETSIZE64, &bytes));
	ASSERT_EQ(ENOTTY, errno);
	close(fd);
}

/*
 * Contents through mappings.
 */

/* What a child saw through its own shared mapping of the store. */
struct seen {
	uint64_t raw;		/* pagemap entry of its page 0 */
	int same;		/* its page 0 held what the parent wrote */
};

TEST(shared_mapping_seen_at_once)
{
	size_t ps = page_size();
	char *map, *a = malloc(2 * ps), *b = malloc(ps), *got = malloc(2 * ps);
	off_t off = region_off(REGION_SHARED, 0);
	struct vmlab_info info;
	struct vl_pm mine, theirs;
	struct seen seen;
	int fd, pipefd[2], status;
	uint64_t raw;
	pid_t pid;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_NE(NULL, got);
	fd = open_store(_metadata, &info);
	map = map_store(_metadata, fd, 2, PROT_READ | PROT_WRITE, MAP_SHARED, off);

	/* A store through the mapping is what pread sees, with no sync. */
	fill_pattern(a, 2 * ps, 5);
	memcpy(map, a, 2 * ps);
	ASSERT_EQ((ssize_t)(2 * ps), pread_full(fd, got, 2 * ps, off));
	ASSERT_EQ(2 * ps, first_diff(a, got, 2 * ps));

	/* And pwrite is what the mapping sees. */
	fill_pattern(a, 16, 6);
	ASSERT_EQ(16, pwrite(fd, a, 16, off));
	ASSERT_EQ(16U, first_diff(a, map, 16));

	/* Another process's own mapping: the same page, both ways. */
	fill_pattern(b, ps, 7);
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int cfd = open(VMLAB_DEVICE_PATH, O_RDWR);
		char *m;

		close(pipefd[0]);
		if (cfd < 0)
			_exit(10);
		m = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, off);
		if (m == MAP_FAILED)
			_exit(11);
		seen.same = first_diff(m, a, 2 * ps) == 2 * ps;
		if (pm_read(0, m, &seen.raw))
			_exit(12);
		memcpy(m + ps, b, ps);
		if (write(pipefd[1], &seen, sizeof(seen)) != sizeof(seen))
			_exit(13);
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ((ssize_t)sizeof(seen), read(pipefd[0], &seen, sizeof(seen)));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) {
		TH_LOG("child status 0x%x", status);
	}
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_TRUE(seen.same);

	raw = pm_raw(_metadata, map);
	mine = vl_pm_decode(raw);
	theirs = vl_pm_decode(seen.raw);
	ASSERT_TRUE(mine.present && mine.file_shared) {
		log_pm(_metadata, "parent", raw);
	}
	ASSERT_TRUE(theirs.present && theirs.file_shared) {
		log_pm(_metadata, "child", seen.raw);
	}
	if (vl_have_pfns()) {
		ASSERT_EQ(mine.pfn, theirs.pfn) {
			log_pm(_metadata, "parent", raw);
			log_pm(_metadata, "child", seen.raw);
		}
	}

	/* What the child wrote through its mapping is in ours and in the store. */
	ASSERT_EQ(ps, first_diff(b, map + ps, ps));
	ASSERT_EQ((ssize_t)ps, pread_full(fd, got, ps, off + ps));
	ASSERT_EQ(ps, first_diff(b, got, ps));

	munmap(map, 2 * ps);
	close(fd);
	free(a);
	free(b);
	free(got);
}

/*
 * A write through a MAP_PRIVATE mapping copies the page and never reaches
 * the store.  Written at once, the write fault goes through ->fault, which
 * counts the store page as the source of the copy; read first, the page is
 * mapped read-only and the copy is made by the core's write-protect fault.
 */
FIXTURE(private_write)
{
	int fd;
	struct vmlab_info info;
};

FIXTURE_VARIANT(private_write)
{
	bool read_first;
	int64_t cow_sources;
	unsigned int page;
};

FIXTURE_VARIANT_ADD(private_write, write_at_once)
{
	.read_first = false, .cow_sources = 1, .page = 0,
};

FIXTURE_VARIANT_ADD(private_write, read_then_write)
{
	.read_first = true, .cow_sources = 0, .page = 1,
};

FIXTURE_SETUP(private_write)
{
	self->fd = open_store(_metadata, &self->info);
}

FIXTURE_TEARDOWN(private_write)
{
	close(self->fd);
}

TEST_F(private_write, store_unchanged)
{
	size_t ps = page_size();
	off_t off = region_off(REGION_PRIVATE, variant->page);
	char *a = malloc(ps), *b = malloc(ps), *c = malloc(ps), *got = malloc(ps);
	struct vl_counters c0, c1;
	struct vl_pm priv, shared;
	uint64_t raw_priv, raw_shared;
	char *pmap, *smap;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_NE(NULL, c);
	ASSERT_NE(NULL, got);
	fill_pattern(a, ps, 8);
	fill_pattern(b, ps, 9);
	fill_pattern(c, ps, 10);
	ASSERT_EQ((ssize_t)ps, pwrite(self->fd, a, ps, off));

	pmap = map_store(_metadata, self->fd, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE, off);
	if (variant->read_first)
		ASSERT_EQ(a[0], peek(pmap));
	snap(_metadata, &c0);
	memcpy(pmap, b, ps);
	snap(_metadata, &c1);
	EXPECT_EQ(variant->cow_sources, delta(_metadata, &c0, &c1, "cow_sources"));

	ASSERT_EQ(ps, first_diff(b, pmap, ps));
	ASSERT_EQ((ssize_t)ps, pread_full(self->fd, got, ps, off));
	ASSERT_EQ(ps, first_diff(a, got, ps));

	/* The private page is an anonymous copy, not the store's page. */
	smap = map_store(_metadata, self->fd, 1, PROT_READ, MAP_SHARED, off);
	ASSERT_EQ(a[0], peek(smap));
	raw_priv = pm_raw(_metadata, pmap);
	raw_shared = pm_raw(_metadata, smap);
	priv = vl_pm_decode(raw_priv);
	shared = vl_pm_decode(raw_shared);
	ASSERT_TRUE(priv.present && !priv.file_shared) {
		log_pm(_metadata, "private", raw_priv);
	}
	ASSERT_TRUE(shared.present && shared.file_shared) {
		log_pm(_metadata, "shared", raw_shared);
	}
	if (vl_have_pfns()) {
		ASSERT_NE(priv.pfn, shared.pfn) {
			log_pm(_metadata, "private", raw_priv);
			log_pm(_metadata, "shared", raw_shared);
		}
	}

	/* A later write to the store reaches the shared mapping, not the copy. */
	ASSERT_EQ((ssize_t)ps, pwrite(self->fd, c, ps, off));
	ASSERT_EQ(ps, first_diff(c, smap, ps));
	ASSERT_EQ(ps, first_diff(b, pmap, ps));

	munmap(pmap, ps);
	munmap(smap, ps);
	free(a);
	free(b);
	free(c);
	free(got);
}

/*
 * Dirty tracking, of the store with a backing file (open_backed()).  A
 * write through a shared mapping to a clean,
 * write-protected page calls ->page_mkwrite, which dirties the page;
 * write-back cleans it and write-protects the mapping again, so the next
 * write calls ->page_mkwrite again.  msync(MS_ASYNC) starts no write-back:
 * the page stays dirty and writable.
 *
 * The kernel's flusher may run in the middle of a measurement: a
 * measurement is repeated when writeback_runs moved where only the sync
 * under test may move it.
 */
enum sync_how {
	SYNC_MSYNC,
	SYNC_FSYNC,
	SYNC_IOCTL,
	SYNC_MSYNC_ASYNC,
};

FIXTURE(dirty)
{
	int fd;
	struct vmlab_info info;
};

FIXTURE_VARIANT(dirty)
{
	enum sync_how how;
	bool cleans;
	unsigned int page;
};

FIXTURE_VARIANT_ADD(dirty, msync)
{
	.how = SYNC_MSYNC, .cleans = true, .page = 0,
};

FIXTURE_VARIANT_ADD(dirty, fsync)
{
	.how = SYNC_FSYNC, .cleans = true, .page = 1,
};

FIXTURE_VARIANT_ADD(dirty, ioctl_writeback)
{
	.how = SYNC_IOCTL, .cleans = true, .page = 2,
};

FIXTURE_VARIANT_ADD(dirty, msync_async)
{
	.how = SYNC_MSYNC_ASYNC, .cleans = false, .page = 3,
};

FIXTURE_SETUP(dirty)
{
	setup_reload(_metadata);
}

FIXTURE_TEARDOWN_PARENT(dirty)
{
	restore_default_load(_metadata);
}

static int do_sync(int fd, char *map, enum sync_how how)
{
	switch (how) {
	case SYNC_MSYNC:
		return msync(map, page_size(), MS_SYNC);
	case SYNC_FSYNC:
		return fsync(fd);
	case SYNC_IOCTL:
		return ioctl(fd, VMLAB_IOC_WRITEBACK);
	case SYNC_MSYNC_ASYNC:
		return msync(map, page_size(), MS_ASYNC);
	}
	return -1;
}

TEST_F(dirty, sync_cleans_and_rearms)
{
	struct vl_counters c0, c1, c2, c3;
	int64_t runs01 = 0, runs12 = 0, runs23 = 0;
	int attempt;
	char *map;

	self->fd = open_backed(_metadata, &self->info);
	map = map_store(_metadata, self->fd, 1, PROT_READ | PROT_WRITE, MAP_SHARED,
			region_off(REGION_DIRTY, variant->page));
	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		/* Start from a clean page, write-protected in the mapping. */
		poke(map, 1);
		ASSERT_EQ(0, ioctl(self->fd, VMLAB_IOC_WRITEBACK));

		snap(_metadata, &c0);
		poke(map, 2);
		snap(_metadata, &c1);
		ASSERT_EQ(0, do_sync(self->fd, map, variant->how)) {
			TH_LOG("sync: %s", strerror(errno));
		}
		snap(_metadata, &c2);
		poke(map, 3);
		snap(_metadata, &c3);

		runs01 = delta(_metadata, &c0, &c1, "writeback_runs");
		runs12 = delta(_metadata, &c1, &c2, "writeback_runs");
		runs23 = delta(_metadata, &c2, &c3, "writeback_runs");
		if (!runs01 && runs12 == variant->cleans && !runs23)
			break;
		TH_LOG("the flusher ran during attempt %d; again", attempt);
	}
	ASSERT_LT(attempt, ATTEMPTS) {
		TH_LOG("writeback_runs moved by %lld, %lld, %lld", (long long)runs01,
		       (long long)runs12, (long long)runs23);
	}

	/* The first write dirtied the clean page through ->page_mkwrite. */
	EXPECT_EQ(1, delta(_metadata, &c0, &c1, "page_mkwrite"));
	EXPECT_EQ(1, delta(_metadata, &c0, &c1, "pages_dirtied"));
	EXPECT_LE(1, value(_metadata, &c1, "dirty_store"));

	if (variant->cleans) {
		EXPECT_EQ(0, value(_metadata, &c2, "dirty_store"));
		EXPECT_LE(1, delta(_metadata, &c1, &c2, "pages_written_back"));
		/* Re-armed: the next write is a write fault again. */
		EXPECT_EQ(1, delta(_metadata, &c2, &c3, "page_mkwrite"));
		EXPECT_EQ(1, delta(_metadata, &c2, &c3, "pages_dirtied"));
	} else {
		EXPECT_LE(1, value(_metadata, &c2, "dirty_store"));
		EXPECT_EQ(0, delta(_metadata, &c1, &c2, "pages_written_back"));
		/* Still writable: the next write is no fault at all. */
		EXPECT_EQ(0, delta(_metadata, &c2, &c3, "page_mkwrite"));
		EXPECT_EQ(0, delta(_metadata, &c2, &c3, "pages_dirtied"));
	}
	EXPECT_LE(1, value(_metadata, &c3, "dirty_store"));
	EXPECT_EQ(3, peek(map));

	ASSERT_EQ(0, ioctl(self->fd, VMLAB_IOC_WRITEBACK));
	munmap(map, page_size());
	close(self->fd);
}

/*
 * Write-back (of the store with a backing file, open_backed()) is not the
 * caller's write: a task whose RLIMIT_FSIZE is below
 * the offset of the pages it dirtied syncs them (msync, fsync, fadvise,
 * VMLAB_IOC_WRITEBACK) without SIGXFSZ or an error, and no other opener's
 * fsync learns of an error, as for a page of a tmpfs file (memfd) at the
 * same offset.  Before write-back ran in a kernel thread, the backing
 * file's write saw the caller's limit: SIGXFSZ killed it.
 */
enum limit_sync {
	LIMIT_MSYNC,
	LIMIT_FSYNC,
	LIMIT_FADVISE,
	LIMIT_IOCTL,
};

#define LIMIT_PAGES	4
#define LIMIT_FSIZE	(64UL << 10)

FIXTURE(caller_limits)
{
	int fd;
	struct vmlab_info info;
};

FIXTURE_VARIANT(caller_limits)
{
	enum limit_sync how;
	unsigned int first;	/* first page of REGION_LIMITS used */
};

FIXTURE_VARIANT_ADD(caller_limits, msync)
{
	.how = LIMIT_MSYNC, .first = 0,
};

FIXTURE_VARIANT_ADD(caller_limits, fsync)
{
	.how = LIMIT_FSYNC, .first = LIMIT_PAGES,
};

FIXTURE_VARIANT_ADD(caller_limits, fadvise_dontneed)
{
	.how = LIMIT_FADVISE, .first = 2 * LIMIT_PAGES,
};

FIXTURE_VARIANT_ADD(caller_limits, ioctl_writeback)
{
	.how = LIMIT_IOCTL, .first = 3 * LIMIT_PAGES,
};

FIXTURE_SETUP(caller_limits)
{
	setup_reload(_metadata);
}

FIXTURE_TEARDOWN_PARENT(caller_limits)
{
	restore_default_load(_metadata);
}

/*
 * In a child under RLIMIT_FSIZE LIMIT_FSIZE: map @fd at @off, dirty
 * LIMIT_PAGES pages, sync them as @how says.  Return the child's wait
 * status: exit 0 when the sync succeeded, else 10 + errno of the sync, or
 * death by a signal.
 */
static int dirty_and_sync_limited(int fd, off_t off, enum limit_sync how, bool vmlab)
{
	size_t len = LIMIT_PAGES * page_size();
	struct rlimit rl = { LIMIT_FSIZE, LIMIT_FSIZE };
	int status = -1;
	pid_t pid;
	char *map;
	int ret;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (setrlimit(RLIMIT_FSIZE, &rl))
			_exit(2);
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
		if (map == MAP_FAILED)
			_exit(3);
		memset(map, 0x5a, len);
		switch (how) {
		case LIMIT_MSYNC:
			ret = msync(map, len, MS_SYNC);
			break;
		case LIMIT_FSYNC:
			ret = fsync(fd);
			break;
		case LIMIT_FADVISE:
			ret = posix_fadvise(fd, off, len, POSIX_FADV_DONTNEED);
			errno = ret;
			ret = ret ? -1 : 0;
			break;
		case LIMIT_IOCTL:
			ret = vmlab ? ioctl(fd, VMLAB_IOC_WRITEBACK) : fsync(fd);
			break;
		default:
			ret = -1;
		}
		_exit(ret ? 10 + errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void log_status(struct __test_metadata *_metadata, const char *who, int status)
{
	if (WIFSIGNALED(status))
		TH_LOG("%s: killed by signal %d (%s)", who, WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) >= 10)
		TH_LOG("%s: the sync failed: %s", who, strerror(WEXITSTATUS(status) - 10));
	else
		TH_LOG("%s: wait status 0x%x", who, status);
}

TEST_F(caller_limits, write_back_ignores_rlimit_fsize)
{
	off_t off = region_off(REGION_LIMITS, variant->first);
	struct vl_counters c0, c1;
	int sv, st, twin;
	char *map;

	self->fd = open_backed(_metadata, &self->info);
	ASSERT_LT((unsigned long)LIMIT_FSIZE, (unsigned long)off);
	twin = memfd_create("vmlab-store-test-twin", 0);
	ASSERT_LE(0, twin);
	ASSERT_EQ(0, ftruncate(twin, off + LIMIT_PAGES * page_size()));

	snap(_metadata, &c0);
	sv = dirty_and_sync_limited(self->fd, off, variant->how, true);
	st = dirty_and_sync_limited(twin, off, variant->how, false);
	snap(_metadata, &c1);
	TH_LOG("RLIMIT_FSIZE %lu bytes, pages at 0x%llx: vmlab wait status 0x%x, twin 0x%x",
	       LIMIT_FSIZE, (unsigned long long)off, sv, st);
	EXPECT_EQ(0, st) {
		log_status(_metadata, "twin", st);
	}
	EXPECT_EQ(0, sv) {
		log_status(_metadata, "vmlab", sv);
	}
	EXPECT_EQ(0, delta(_metadata, &c0, &c1, "backing_errors"));
	/* The write-back reached the backing file, and no other opener hears of an error. */
	EXPECT_LE(LIMIT_PAGES, delta(_metadata, &c0, &c1, "pages_written_back"));
	EXPECT_EQ(0, fsync(self->fd)) {
		TH_LOG("fsync of another open file: %s", strerror(errno));
	}
	map = map_store(_metadata, self->fd, LIMIT_PAGES, PROT_READ, MAP_SHARED, off);
	EXPECT_EQ(0x5a, peek(map + LIMIT_PAGES * page_size() - 1));
	munmap(map, LIMIT_PAGES * page_size());
	close(twin);
	close(self->fd);
}

/* Tests of the store with a backing file alone (open_backed()). */
FIXTURE(backed)
{
	int unused;
};

FIXTURE_SETUP(backed)
{
	setup_reload(_metadata);
}

FIXTURE_TEARDOWN_PARENT(backed)
{
	restore_default_load(_metadata);
}

/* write(2) dirties a clean page too, with no ->page_mkwrite; fsync cleans it. */
TEST_F(backed, write_syscall_dirties)
{
	off_t off = region_off(REGION_WRITE_DIRTY, 0);
	struct vl_counters c0, c1, c2;
	struct vmlab_info info;
	int attempt, fd;

	fd = open_backed(_metadata, &info);
	ASSERT_EQ(1, pwrite(fd, "a", 1, off));
	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		ASSERT_EQ(0, ioctl(fd, VMLAB_IOC_WRITEBACK));
		snap(_metadata, &c0);
		ASSERT_EQ(1, pwrite(fd, "b", 1, off));
		snap(_metadata, &c1);
		if (!delta(_metadata, &c0, &c1, "writeback_runs"))
			break;
		TH_LOG("the flusher ran during attempt %d; again", attempt);
	}
	ASSERT_LT(attempt, ATTEMPTS);
	EXPECT_EQ(1, delta(_metadata, &c0, &c1, "pages_dirtied"));
	EXPECT_EQ(0, delta(_metadata, &c0, &c1, "page_mkwrite"));
	EXPECT_LE(1, value(_metadata, &c1, "dirty_store"));

	ASSERT_EQ(0, fsync(fd));
	snap(_metadata, &c2);
	EXPECT_EQ(0, value(_metadata, &c2, "dirty_store"));
	EXPECT_LE(1, delta(_metadata, &c1, &c2, "pages_written_back"));
	close(fd);
}

/*
 * clear_refs "4" clears the soft-dirty bits and write-protects the page:
 * the next write faults and makes the page soft-dirty, through
 * ->page_mkwrite with a backing file; without one the store is a tmpfs
 * file, whose shared mappings have no ->page_mkwrite, and the core makes
 * the entry writable itself (wp_page_reuse()).
 */
FIXTURE(soft_dirty)
{
	int unused;
};

FIXTURE_VARIANT(soft_dirty)
{
	bool backing;
};

FIXTURE_VARIANT_ADD(soft_dirty, tmpfs)
{
	.backing = false,
};

FIXTURE_VARIANT_ADD(soft_dirty, backing)
{
	.backing = true,
};

FIXTURE_SETUP(soft_dirty)
{
	if (variant->backing)
		setup_reload(_metadata);
}

FIXTURE_TEARDOWN_PARENT(soft_dirty)
{
	if (variant->backing)
		restore_default_load(_metadata);
}

TEST_F(soft_dirty, after_clear_refs)
{
	off_t off = region_off(REGION_SOFT_DIRTY, variant->backing);
	struct vl_counters c0, c1;
	struct vmlab_info info;
	char *map, got;
	uint64_t raw;
	int fd;

	fd = variant->backing ? open_backed(_metadata, &info) : open_store(_metadata, &info);
	ASSERT_EQ(variant->backing, (bool)info.has_backing);
	map = map_store(_metadata, fd, 1, PROT_READ | PROT_WRITE, MAP_SHARED, off);
	poke(map, 1);

	/* A new mapping is soft-dirty as a whole when the kernel tracks it. */
	raw = pm_raw(_metadata, map);
	ASSERT_TRUE(vl_pm_decode(raw).present) {
		log_pm(_metadata, "written", raw);
	}
	if (!vl_pm_decode(raw).soft_dirty)
		SKIP(return, "kernel without CONFIG_MEM_SOFT_DIRTY");

	ASSERT_EQ(0, vl_write_file("/proc/self/clear_refs", "4"));
	raw = pm_raw(_metadata, map);
	ASSERT_TRUE(vl_pm_decode(raw).present && !vl_pm_decode(raw).soft_dirty) {
		log_pm(_metadata, "after clear_refs", raw);
	}

	snap(_metadata, &c0);
	poke(map, 2);
	snap(_metadata, &c1);
	raw = pm_raw(_metadata, map);
	ASSERT_TRUE(vl_pm_decode(raw).present && vl_pm_decode(raw).soft_dirty &&
		    vl_pm_decode(raw).file_shared) {
		log_pm(_metadata, "written again", raw);
	}
	EXPECT_EQ(variant->backing, delta(_metadata, &c0, &c1, "page_mkwrite"));
	ASSERT_EQ(1, pread(fd, &got, 1, off));
	EXPECT_EQ(2, got);

	munmap(map, page_size());
	close(fd);
}

/*
 * Write-notify.  Without a backing file the store is a tmpfs file, and its
 * shared mappings have none, as a memfd's: a read fault maps the page
 * writable, so the write after it takes no fault, calls no ->page_mkwrite,
 * and nothing is ever written back; the page is tmpfs's, swap-backed, with
 * the memfd twin's pagemap and kpageflags facts.  With backing= the store
 * tracks dirtying: the write after the read faults once, into
 * ->page_mkwrite.
 */
FIXTURE(writenotify)
{
	int unused;
};

FIXTURE_VARIANT(writenotify)
{
	bool backing;
};

FIXTURE_VARIANT_ADD(writenotify, tmpfs)
{
	.backing = false,
};

FIXTURE_VARIANT_ADD(writenotify, backing)
{
	.backing = true,
};

FIXTURE_SETUP(writenotify)
{
	if (variant->backing)
		setup_reload(_metadata);
}

FIXTURE_TEARDOWN_PARENT(writenotify)
{
	if (variant->backing)
		restore_default_load(_metadata);
}

/* Read the first byte of @map, then write it: the minor faults of the write. */
static long read_then_write(struct __test_metadata *_metadata, char *map)
{
	struct rusage r0, r1;

	(void)peek(map);
	ASSERT_EQ(0, getrusage(RUSAGE_SELF, &r0));
	poke(map, 1);
	ASSERT_EQ(0, getrusage(RUSAGE_SELF, &r1));
	return r1.ru_minflt - r0.ru_minflt;
}

/* The kpageflags bits of a page that say what it is, not how recently it was used. */
static const unsigned int what_kpf[] = {
	VL_KPF_ANON, VL_KPF_SWAPBACKED, VL_KPF_MMAP, VL_KPF_UPTODATE, VL_KPF_DIRTY,
	VL_KPF_SWAPCACHE, VL_KPF_UNEVICTABLE, VL_KPF_COMPOUND_HEAD, VL_KPF_WRITEBACK,
};

static uint64_t what_kpf_mask(void)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(what_kpf); i++)
		m |= UINT64_C(1) << what_kpf[i];
	return m;
}

/* The pagemap bits of an entry: all but the PFN. */
#define WHAT_PM		(~VL_PM_PFN_MASK)

TEST_F(writenotify, read_then_write)
{
	off_t off = region_off(REGION_NOTIFY, variant->backing);
	uint64_t raw, twin_raw, kpf = 0, twin_kpf = 0;
	size_t ps = page_size();
	struct vl_counters c0, c1;
	struct vmlab_info info;
	long flt, twin_flt;
	char *map, *tmap;
	char a[256], b[256];
	int fd, twin, kfd;

	fd = variant->backing ? open_backed(_metadata, &info) : open_store(_metadata, &info);
	ASSERT_EQ(variant->backing, (bool)info.has_backing);
	twin = memfd_create("vmlab-store-test-twin", 0);
	ASSERT_LE(0, twin);
	ASSERT_EQ(0, ftruncate(twin, off + ps));
	map = map_store(_metadata, fd, 1, PROT_READ | PROT_WRITE, MAP_SHARED, off);
	tmap = map_store(_metadata, twin, 1, PROT_READ | PROT_WRITE, MAP_SHARED, off);

	snap(_metadata, &c0);
	flt = read_then_write(_metadata, map);
	snap(_metadata, &c1);
	twin_flt = read_then_write(_metadata, tmap);
	TH_LOG("minor faults of the write after the read: vmlab %ld, memfd %ld; %s +%lld, %s +%lld",
	       flt, twin_flt, "page_mkwrite", (long long)delta(_metadata, &c0, &c1, "page_mkwrite"),
	       "writeback_runs", (long long)delta(_metadata, &c0, &c1, "writeback_runs"));
	/* With backing= the one extra fault is ->page_mkwrite's. */
	EXPECT_EQ(twin_flt + variant->backing, flt);
	EXPECT_EQ(variant->backing, delta(_metadata, &c0, &c1, "page_mkwrite"));
	EXPECT_EQ(1, delta(_metadata, &c0, &c1, "faults_read_shared"));
	EXPECT_EQ(0, delta(_metadata, &c0, &c1, "faults_write_shared"));
	/* Read in from the backing file by ->read_folio, or made by shmem. */
	EXPECT_EQ(variant->backing, delta(_metadata, &c0, &c1, "pages_allocated") > 0);
	if (variant->backing)
		goto out;
	EXPECT_EQ(0, delta(_metadata, &c0, &c1, "pages_dirtied"));
	EXPECT_EQ(0, delta(_metadata, &c0, &c1, "writeback_runs"));
	EXPECT_EQ(0, value(_metadata, &c1, "dirty_store"));
	/* Nothing to write back: the page is never cleaned, and never write-protected. */
	ASSERT_EQ(0, msync(map, ps, MS_SYNC));
	ASSERT_EQ(0, ioctl(fd, VMLAB_IOC_WRITEBACK));
	snap(_metadata, &c0);
	poke(map, 2);
	snap(_metadata, &c1);
	EXPECT_EQ(0, delta(_metadata, &c0, &c1, "page_mkwrite"));
	EXPECT_EQ(0, delta(_metadata, &c0, &c1, "writeback_runs"));

	/* The same page-table and page facts as the memfd's page. */
	raw = pm_raw(_metadata, map);
	twin_raw = pm_raw(_metadata, tmap);
	EXPECT_EQ(twin_raw & WHAT_PM, raw & WHAT_PM) {
		vl_pm_format(raw, a, sizeof(a));
		vl_pm_format(twin_raw, b, sizeof(b));
		TH_LOG("pagemap: vmlab %s, memfd %s", a, b);
	}
	if (!vl_have_pfns())
		goto out;
	kfd = vl_kpageflags_open();
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, vl_kpageflags_read(kfd, vl_pm_decode(raw).pfn, 1, &kpf));
	ASSERT_EQ(0, vl_kpageflags_read(kfd, vl_pm_decode(twin_raw).pfn, 1, &twin_kpf));
	close(kfd);
	vl_kpf_format(kpf, a, sizeof(a));
	vl_kpf_format(twin_kpf, b, sizeof(b));
	TH_LOG("kpageflags: vmlab %s; memfd %s", a, b);
	EXPECT_TRUE(kpf & 1ULL << VL_KPF_SWAPBACKED);
	EXPECT_EQ(twin_kpf & what_kpf_mask(), kpf & what_kpf_mask());
out:
	munmap(tmap, ps);
	munmap(map, ps);
	close(twin);
	close(fd);
}

/*
 * MADV_REMOVE of a shared store mapping: without a backing file the store
 * is a tmpfs file, and the range is freed (reads zeroes after) as a
 * memfd's is; with one the device is no regular file (ENODEV, the README's
 * errors table).
 */
TEST(madv_remove_as_a_memfd)
{
	off_t off = region_off(REGION_NOTIFY, 2);
	size_t ps = page_size();
	struct vmlab_info info;
	int fd, twin, rv, rt, ev, et;
	char *map, *tmap;

	fd = open_store(_metadata, &info);
	if (info.has_backing)
		SKIP(return, "the store has a backing file: MADV_REMOVE fails with ENODEV");
	twin = memfd_create("vmlab-store-test-twin", 0);
	ASSERT_LE(0, twin);
	ASSERT_EQ(0, ftruncate(twin, off + ps));
	ASSERT_EQ(1, pwrite(fd, "r", 1, off));
	ASSERT_EQ(1, pwrite(twin, "r", 1, off));
	map = map_store(_metadata, fd, 1, PROT_READ | PROT_WRITE, MAP_SHARED, off);
	tmap = map_store(_metadata, twin, 1, PROT_READ | PROT_WRITE, MAP_SHARED, off);
	errno = 0;
	rv = madvise(map, ps, MADV_REMOVE);
	ev = errno;
	errno = 0;
	rt = madvise(tmap, ps, MADV_REMOVE);
	et = errno;
	EXPECT_EQ(rt, rv) {
		TH_LOG("MADV_REMOVE: vmlab %s, memfd %s", strerror(ev), strerror(et));
	}
	EXPECT_EQ(et, ev);
	EXPECT_EQ(peek(tmap), peek(map));
	EXPECT_EQ(0, peek(map));
	munmap(tmap, ps);
	munmap(map, ps);
	close(twin);
	close(fd);
}

/*
 * Racing first faults: RACERS threads of one process, or processes, each
 * with a mapping of its own, fault the same never-touched store page at
 * once.  The store gets one page: all see one PFN (private writes each get
 * a copy of it), and every page it reads in (with read-around) is read once.
 */
FIXTURE(race)
{
	int fd;
	struct vmlab_info info;
};

FIXTURE_VARIANT(race)
{
	bool processes;
	int flags;
	bool write;
	bool backing;	/* reload vmlab with a backing file (open_backed()) */
};

FIXTURE_VARIANT_ADD(race, threads_shared_read)
{
	.processes = false, .flags = MAP_SHARED, .write = false,
};

FIXTURE_VARIANT_ADD(race, threads_shared_write)
{
	.processes = false, .flags = MAP_SHARED, .write = true,
};

FIXTURE_VARIANT_ADD(race, threads_private_read)
{
	.processes = false, .flags = MAP_PRIVATE, .write = false,
};

FIXTURE_VARIANT_ADD(race, threads_private_write)
{
	.processes = false, .flags = MAP_PRIVATE, .write = true,
};

FIXTURE_VARIANT_ADD(race, processes_shared_read)
{
	.processes = true, .flags = MAP_SHARED, .write = false,
};

FIXTURE_VARIANT_ADD(race, processes_shared_write)
{
	.processes = true, .flags = MAP_SHARED, .write = true,
};

FIXTURE_VARIANT_ADD(race, processes_private_write)
{
	.processes = true, .flags = MAP_PRIVATE, .write = true,
};

FIXTURE_VARIANT_ADD(race, backed_threads_shared_write)
{
	.processes = false, .flags = MAP_SHARED, .write = true, .backing = true,
};

FIXTURE_VARIANT_ADD(race, backed_processes_private_write)
{
	.processes = true, .flags = MAP_PRIVATE, .write = true, .backing = true,
};

FIXTURE_SETUP(race)
{
	self->fd = -1;
	if (variant->backing)
		setup_reload(_metadata);
	else
		self->fd = open_store(_metadata, &self->info);
}

FIXTURE_TEARDOWN_PARENT(race)
{
	if (variant->backing)
		restore_default_load(_metadata);
}

/* One racer's access: racer @i writes byte @i of the page, or reads it. */
static void race_touch(char *map, unsigned int i, bool write)
{
	if (write)
		poke(map + i, i + 1);
	else
		peek(map + i);
}

struct racer {
	pthread_barrier_t *barrier;
	char *map;
	unsigned int i;
	bool write;
	uint64_t raw;
	int err;
};

static void *race_thread(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->barrier);
	race_touch(r->map, r->i, r->write);
	r->err = pm_read(0, r->map, &r->raw);
	return NULL;
}

/* A store page the store has never held, found with mincore(2). */
static off_t untouched_page(struct __test_metadata *_metadata, int fd)
{
	size_t ps = page_size(), n = RACE_REGIONS * REGION_PAGES, i;
	unsigned char vec[RACE_REGIONS * REGION_PAGES];
	char *map;

	map = map_store(_metadata, fd, n, PROT_READ, MAP_SHARED, region_off(REGION_RACE, 0));
	ASSERT_EQ(0, mincore(map, n * ps, vec));
	munmap(map, n * ps);
	for (i = 0; i < n && (vec[i] & 1); i++)
		;
	ASSERT_GT(n, i) {
		TH_LOG("every page of the race regions is in the store already");
	}
	return region_off(REGION_RACE, i);
}

static void race_threads(struct __test_metadata *_metadata, int fd, off_t off, int flags,
			 bool writes, uint64_t *raws, char **maps)
{
	pthread_barrier_t barrier;
	struct racer r[RACERS];
	pthread_t t[RACERS];
	unsigned int i;

	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, RACERS));
	for (i = 0; i < RACERS; i++) {
		maps[i] = map_store(_metadata, fd, 1, PROT_READ | PROT_WRITE, flags, off);
		r[i] = (struct racer){ .barrier = &barrier, .map = maps[i], .i = i,
				       .write = writes };
	}
	for (i = 0; i < RACERS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, race_thread, &r[i]));
	for (i = 0; i < RACERS; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		ASSERT_EQ(0, r[i].err) {
			TH_LOG("racer %u: pagemap: %s", i, strerror(-r[i].err));
		}
		raws[i] = r[i].raw;
	}
	pthread_barrier_destroy(&barrier);
}

/* What a racing child sends its parent. */
struct race_report {
	unsigned int i;
	uint64_t raw;
};

static void race_processes(struct __test_metadata *_metadata, int fd, off_t off, int flags,
			   bool writes, uint64_t *raws, char **maps)
{
	int ready[2], go[2], results[2], done[2], status;
	struct race_report rep;
	pid_t pids[RACERS];
	unsigned int i, n;
	char c, *m;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(results));
	ASSERT_EQ(0, pipe(done));
	for (i = 1; i < RACERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i])
			continue;
		/*
		 * Child i: map, say ready, wait for go, fault, report the entry,
		 * and keep its page until every racer has reported: a page
		 * freed earlier could be a later racer's copy, with the same PFN.
		 */
		close(ready[0]);
		close(go[1]);
		close(results[0]);
		close(done[1]);
		m = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, flags, fd, off);
		if (m == MAP_FAILED)
			_exit(10);
		if (write(ready[1], "r", 1) != 1)
			_exit(11);
		if (read(go[0], &c, 1) != 0)
			_exit(12);
		race_touch(m, i, writes);
		rep.i = i;
		if (pm_read(0, m, &rep.raw))
			_exit(13);
		if (write(results[1], &rep, sizeof(rep)) != sizeof(rep))
			_exit(14);
		if (read(done[0], &c, 1) != 0)
			_exit(15);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	close(results[1]);
	close(done[0]);
	maps[0] = map_store(_metadata, fd, 1, PROT_READ | PROT_WRITE, flags, off);
	for (i = 1; i < RACERS; i++)
		ASSERT_EQ(1, read(ready[0], &c, 1));
	/* Closing the last writer of "go" releases every child at once. */
	close(go[1]);
	race_touch(maps[0], 0, writes);
	raws[0] = pm_raw(_metadata, maps[0]);

	for (n = 1; n < RACERS; n++) {
		ASSERT_EQ((ssize_t)sizeof(rep), read(results[0], &rep, sizeof(rep)));
		ASSERT_GT(RACERS, rep.i);
		raws[rep.i] = rep.raw;
	}
	/* Every racer has reported: closing "done" lets them go. */
	close(done[1]);
	for (i = 1; i < RACERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
			TH_LOG("racer %u: status 0x%x", i, status);
		}
	}
	close(ready[0]);
	close(results[0]);
}

TEST_F(race, first_fault_one_page)
{
	bool same_pfn = variant->flags == MAP_SHARED || !variant->write;
	uint64_t raws[RACERS] = { 0 }, raw_store;
	char *maps[RACERS] = { NULL }, *smap, got[RACERS];
	size_t ps = page_size();
	struct vl_counters c0, c1;
	struct vl_pm pm, store;
	unsigned int i, j;
	off_t off;

	if (!vl_have_pfns())
		SKIP(return, "pagemap shows no PFNs (needs CAP_SYS_ADMIN)");
	if (variant->backing)
		self->fd = open_backed(_metadata, &self->info);
	off = untouched_page(_metadata, self->fd);
	TH_LOG("racing for store page 0x%llx", (unsigned long long)(off / ps));

	snap(_metadata, &c0);
	if (variant->processes)
		race_processes(_metadata, self->fd, off, variant->flags, variant->write, raws,
			       maps);
	else
		race_threads(_metadata, self->fd, off, variant->flags, variant->write, raws, maps);
	snap(_metadata, &c1);

	/*
	 * With a backing file the first fault reads the page in, with the
	 * core's read-around (MADV_RANDOM is not set): each page read once,
	 * none twice.  Without one shmem makes the one page, once.
	 */
	if (self->info.has_backing) {
		EXPECT_LE(1, delta(_metadata, &c0, &c1, "pages_allocated"));
		EXPECT_EQ(delta(_metadata, &c0, &c1, "pages_allocated"),
			  delta(_metadata, &c0, &c1, "pages_store"));
	} else {
		EXPECT_EQ(0, delta(_metadata, &c0, &c1, "pages_allocated"));
		EXPECT_EQ(1, delta(_metadata, &c0, &c1, "pages_store"));
	}

	smap = map_store(_metadata, self->fd, 1, PROT_READ, MAP_SHARED, off);
	peek(smap);
	raw_store = pm_raw(_metadata, smap);
	store = vl_pm_decode(raw_store);
	ASSERT_TRUE(store.present && store.file_shared) {
		log_pm(_metadata, "store page", raw_store);
	}
	for (i = 0; i < RACERS; i++) {
		pm = vl_pm_decode(raws[i]);
		ASSERT_TRUE(pm.present && pm.file_shared == same_pfn) {
			log_pm(_metadata, "racer", raws[i]);
		}
		if (same_pfn) {
			ASSERT_EQ(store.pfn, pm.pfn) {
				TH_LOG("racer %u", i);
				log_pm(_metadata, "racer", raws[i]);
				log_pm(_metadata, "store page", raw_store);
			}
			continue;
		}
		/* Private writes: copies, each its own, none the store's page. */
		ASSERT_NE(store.pfn, pm.pfn) {
			log_pm(_metadata, "racer", raws[i]);
		}
		for (j = 0; j < i; j++) {
			ASSERT_NE(vl_pm_decode(raws[j]).pfn, pm.pfn) {
				TH_LOG("racers %u and %u", j, i);
				log_pm(_metadata, "racer", raws[i]);
			}
		}
	}

	/* Every shared write landed in the store; no private one did. */
	ASSERT_EQ(RACERS, pread(self->fd, got, RACERS, off));
	for (i = 0; i < RACERS; i++) {
		char want = variant->write && variant->flags == MAP_SHARED ? i + 1 : 0;

		ASSERT_EQ(want, got[i]) {
			TH_LOG("byte %u of the store page", i);
		}
	}

	munmap(smap, ps);
	for (i = 0; i < RACERS; i++)
		if (maps[i])
			munmap(maps[i], ps);
	close(self->fd);
}

/*
 * SIGBUS: a mapping that runs past the end of the store maps it, and
 * faults beyond it raise SIGBUS (in a child, which the parent watches),
 * each counted once in "sigbus".
 */
FIXTURE(sigbus)
{
	int fd;
	struct vmlab_info info;
};

FIXTURE_VARIANT(sigbus)
{
	int flags;
	bool write;
	unsigned int pages_before_end;
};

FIXTURE_VARIANT_ADD(sigbus, shared_read_crossing)
{
	.flags = MAP_SHARED, .write = false, .pages_before_end = 1,
};

FIXTURE_VARIANT_ADD(sigbus, shared_write_crossing)
{
	.flags = MAP_SHARED, .write = true, .pages_before_end = 1,
};

FIXTURE_VARIANT_ADD(sigbus, private_read_crossing)
{
	.flags = MAP_PRIVATE, .write = false, .pages_before_end = 1,
};

FIXTURE_VARIANT_ADD(sigbus, private_write_crossing)
{
	.flags = MAP_PRIVATE, .write = true, .pages_before_end = 1,
};

FIXTURE_VARIANT_ADD(sigbus, shared_write_at_end)
{
	.flags = MAP_SHARED, .write = true, .pages_before_end = 0,
};

FIXTURE_SETUP(sigbus)
{
	self->fd = open_dev(_metadata, &self->info);
}

FIXTURE_TEARDOWN(sigbus)
{
	close(self->fd);
}

TEST_F(sigbus, past_end)
{
	size_t ps = page_size(), npages = variant->pages_before_end + 1;
	off_t off = self->info.store_size - variant->pages_before_end * ps;
	struct vl_counters c0, c1;
	int pipefd[2], status;
	char *map, *beyond, c;
	uint64_t raw;
	pid_t pid;

	map = map_store(_metadata, self->fd, npages, PROT_READ | PROT_WRITE, variant->flags,
			off);
	beyond = map + variant->pages_before_end * ps;
	ASSERT_EQ(0, pipe(pipefd));
	snap(_metadata, &c0);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(pipefd[0]);
		/* The last page of the store is there; say so. */
		if (variant->pages_before_end)
			peek(map);
		if (write(pipefd[1], "k", 1) != 1)
			_exit(10);
		if (variant->write)
			poke(beyond, 1);
		else
			peek(beyond);
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1)) {
		TH_LOG("the child died before the end of the store");
	}
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	snap(_metadata, &c1);
	ASSERT_TRUE(WIFSIGNALED(status)) {
		TH_LOG("the child was not killed: status 0x%x", status);
	}
	ASSERT_EQ(SIGBUS, WTERMSIG(status));
	EXPECT_EQ(1, delta(_metadata, &c0, &c1, "sigbus"));

	raw = pm_raw(_metadata, beyond);
	EXPECT_FALSE(vl_pm_decode(raw).present) {
		log_pm(_metadata, "beyond the end", raw);
	}
	munmap(map, npages * ps);
}

/*
 * The kernel's flusher cleans a dirty page of the store with a backing
 * file (open_backed()) with no sync from us, once it is
 * older than dirty_expire_centisecs, at the next dirty_writeback_centisecs
 * wake-up.  The test sets both to 1 s and 0.5 s and restores them after.
 * A bounded wait, not a timing assertion: up to 30 s.
 */
static const char *const flusher_knobs[] = {
	"/proc/sys/vm/dirty_expire_centisecs",
	"/proc/sys/vm/dirty_writeback_centisecs",
};

FIXTURE(periodic)
{
	int fd;
	struct vmlab_info info;
	long saved[2];
};

static long read_knob(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_knob(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%ld\n", v) < 0;
	return fclose(f) || ret ? -1 : 0;
}

FIXTURE_SETUP(periodic)
{
	static const long want[2] = { 100, 50 };
	unsigned int i;

	if (!setup_reload(_metadata))
		return;
	for (i = 0; i < 2; i++) {
		self->saved[i] = read_knob(flusher_knobs[i]);
		ASSERT_LE(0, self->saved[i]);
		ASSERT_EQ(0, write_knob(flusher_knobs[i], want[i])) {
			TH_LOG("cannot set %s: %s", flusher_knobs[i], strerror(errno));
		}
	}
}

FIXTURE_TEARDOWN_PARENT(periodic)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (self->saved[i] >= 0)
			write_knob(flusher_knobs[i], self->saved[i]);
	restore_default_load(_metadata);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

TEST_F_TIMEOUT(periodic, flusher_cleans_dirty_pages, 120)
{
	long long limit_ms = 30000, start;
	struct vl_counters c0, c, c2, c3;
	char *map;

	self->fd = open_backed(_metadata, &self->info);
	map = map_store(_metadata, self->fd, 1, PROT_READ | PROT_WRITE, MAP_SHARED,
			region_off(REGION_PERIODIC, 0));
	snap(_metadata, &c0);
	poke(map, 1);
	start = now_ms();
	for (;;) {
		snap(_metadata, &c);
		/*
		 * The dirty bit goes when the write-back starts, the count
		 * of pages written back moves when it ends: wait for both.
		 */
		if (!value(_metadata, &c, "dirty_store") &&
		    delta(_metadata, &c0, &c, "pages_written_back") > 0)
			break;
		if (now_ms() - start > limit_ms)
			break;
		usleep(100 * 1000);
	}
	TH_LOG("waited %lld ms (expire 1 s, flusher every 0.5 s)", now_ms() - start);
	ASSERT_EQ(0, value(_metadata, &c, "dirty_store"));
	EXPECT_LE(1, delta(_metadata, &c0, &c, "writeback_runs"));
	EXPECT_LE(1, delta(_metadata, &c0, &c, "pages_written_back"));

	/* Cleaned by the flusher, write-protected again by it. */
	snap(_metadata, &c2);
	poke(map, 2);
	snap(_metadata, &c3);
	EXPECT_EQ(1, delta(_metadata, &c2, &c3, "page_mkwrite"));
	munmap(map, page_size());
}

/* The backing file, across reloads of the module. */
/* Read all of @path into @buf (up to @len bytes): bytes read, or -errno. */
static ssize_t read_whole(const char *path, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread_full(fd, buf, len, 0);
	close(fd);
	return n;
}

FIXTURE(reload)
{
	int unused;
};

FIXTURE_SETUP(reload)
{
	setup_reload(_metadata);
}

FIXTURE_TEARDOWN_PARENT(reload)
{
	restore_default_load(_metadata);
}

TEST_F_TIMEOUT(reload, backing_file_holds_the_store, 120)
{
	size_t ps = page_size(), size = BACKING_SIZE, half = size / 2;
	unsigned char *pattern = malloc(size), *got = malloc(size);
	uint64_t want_sum, got_sum;
	struct vl_counters c0, c1;
	struct vmlab_info info;
	struct stat st;
	char *map;
	int fd, ret;

	ASSERT_NE(NULL, pattern);
	ASSERT_NE(NULL, got);
	fill_pattern(pattern, size, 0x766d6c6162ULL);
	want_sum = checksum(pattern, size);

	ret = vl_module_unload(0);
	ASSERT_EQ(0, ret) {
		TH_LOG("rmmod vmlab: %s", strerror(-ret));
	}
	ret = vl_module_load(BACKING_ARGS);
	ASSERT_EQ(0, ret) {
		TH_LOG("insmod vmlab %s: %s", BACKING_ARGS, strerror(-ret));
	}
	fd = open_dev(_metadata, &info);
	ASSERT_EQ(size, info.store_size);
	ASSERT_EQ(1U, info.has_backing);
	ASSERT_EQ(0U, info.writeback_centisecs);

	/* The first half written and synced; the second written and left dirty. */
	map = map_store(_metadata, fd, size / ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	memcpy(map, pattern, half);
	ASSERT_EQ(0, msync(map, half, MS_SYNC));
	memcpy(map + half, pattern + half, half);
	snap(_metadata, &c0);
	ASSERT_EQ((int64_t)(half / ps), value(_metadata, &c0, "dirty_store"));
	ASSERT_EQ(0, value(_metadata, &c0, "backing_errors"));
	ASSERT_EQ(0, stat(BACKING_PATH, &st));
	ASSERT_EQ((off_t)half, st.st_size);
	ASSERT_EQ((ssize_t)half, read_whole(BACKING_PATH, got, size));
	ASSERT_EQ(checksum(pattern, half), checksum(got, half)) {
		TH_LOG("first difference at byte %zu", first_diff(pattern, got, half));
	}
	munmap(map, size);
	close(fd);

	/* Unloading writes the rest back. */
	ret = vl_module_unload(0);
	ASSERT_EQ(0, ret) {
		TH_LOG("rmmod vmlab: %s", strerror(-ret));
	}
	ASSERT_EQ(0, stat(BACKING_PATH, &st));
	ASSERT_EQ((off_t)size, st.st_size);
	memset(got, 0, size);
	ASSERT_EQ((ssize_t)size, read_whole(BACKING_PATH, got, size));
	got_sum = checksum(got, size);
	ASSERT_EQ(want_sum, got_sum) {
		TH_LOG("backing file: first difference at byte %zu",
		       first_diff(pattern, got, size));
	}

	/* Loaded again on the same file, the store reads it back. */
	ret = vl_module_load(BACKING_ARGS);
	ASSERT_EQ(0, ret) {
		TH_LOG("insmod vmlab %s: %s", BACKING_ARGS, strerror(-ret));
	}
	fd = open_dev(_metadata, &info);
	ASSERT_EQ(size, info.store_size);
	snap(_metadata, &c0);
	memset(got, 0, size);
	ASSERT_EQ((ssize_t)size, pread_full(fd, got, size, 0));
	snap(_metadata, &c1);
	got_sum = checksum(got, size);
	ASSERT_EQ(want_sum, got_sum) {
		TH_LOG("store: first difference at byte %zu", first_diff(pattern, got, size));
	}
	EXPECT_EQ((int64_t)(size / ps), delta(_metadata, &c0, &c1, "backing_reads"));
	EXPECT_EQ((int64_t)(size / ps), delta(_metadata, &c0, &c1, "pages_allocated"));
	EXPECT_EQ(0, delta(_metadata, &c0, &c1, "backing_errors"));
	EXPECT_EQ(0, value(_metadata, &c1, "dirty_store"));
	close(fd);
	free(pattern);
	free(got);
}

/* A backing path that is no regular file, or cannot be opened, fails the load. */
FIXTURE(bad_backing)
{
	int unused;
};

FIXTURE_VARIANT(bad_backing)
{
	const char *path;
	int want_errno;
};

FIXTURE_VARIANT_ADD(bad_backing, directory)
{
	.path = BACKING_DIR, .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_backing, dev_null)
{
	.path = "/dev/null", .want_errno = EINVAL,
};

FIXTURE_VARIANT_ADD(bad_backing, missing_directory)
{
	.path = BACKING_DIR "/no-such-dir/backing", .want_errno = ENOENT,
};

FIXTURE_SETUP(bad_backing)
{
	if (!setup_reload(_metadata))
		return;
	ASSERT_TRUE(!mkdir(BACKING_DIR, 0700) || errno == EEXIST);
}

FIXTURE_TEARDOWN_PARENT(bad_backing)
{
	restore_default_load(_metadata);
	rmdir(BACKING_DIR);
}

TEST_F(bad_backing, load_fails)
{
	char args[256];
	struct stat st;
	int ret;

	snprintf(args, sizeof(args), "backing=%s", variant->path);
	ret = vl_module_unload(0);
	ASSERT_EQ(0, ret) {
		TH_LOG("rmmod vmlab: %s", strerror(-ret));
	}
	ret = vl_module_load(args);
	EXPECT_EQ(-variant->want_errno, ret) {
		TH_LOG("insmod vmlab %s: %s (want %s)", args, ret ? strerror(-ret) : "success",
		       strerror(variant->want_errno));
	}
	EXPECT_FALSE(vl_module_loaded());
	/* And the path is left as it was. */
	ASSERT_EQ(0, stat(BACKING_DIR, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(0, stat("/dev/null", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_NE(0, access(BACKING_DIR "/no-such-dir", F_OK));
}

TEST_HARNESS_MAIN
