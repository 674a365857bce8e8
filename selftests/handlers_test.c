// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: which of vmlab's handlers served what, from its debugfs
 * counters, for each mapping type; and that the live-VMA counters fall back and
 * every object is gone when the mappings are.  Needs root and vmlab loaded.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmlab_ksft.h"
#include "vmlab_uapi.h"
#include "debugfs.h"
#include "device.h"
#include "pagemap.h"
#include "procfs.h"
#include "touch.h"

#define NPAGES	4

FIXTURE(handlers)
{
	int fd;
	size_t ps;
	char *addr;
	struct vmlab_info info;
	struct vl_counters before, after;
};

FIXTURE_VARIANT(handlers)
{
	const char *type;	/* debugfs name of the mapping type */
	unsigned int kind;
	int share;		/* MAP_PRIVATE or MAP_SHARED */
	off_t offset;		/* in the store: a range no other test program uses */
};

FIXTURE_VARIANT_ADD(handlers, private_cow)
{
	.type = "private_cow", .kind = VMLAB_KIND_STORE, .share = MAP_PRIVATE,
	.offset = 40 << 20,
};

FIXTURE_VARIANT_ADD(handlers, shared)
{
	.type = "shared", .kind = VMLAB_KIND_STORE, .share = MAP_SHARED,
	.offset = 41 << 20,
};

FIXTURE_VARIANT_ADD(handlers, private_anon)
{
	.type = "private_anon", .kind = VMLAB_KIND_ANON, .share = MAP_PRIVATE,
};

FIXTURE_VARIANT_ADD(handlers, shared_anon)
{
	.type = "shared_anon", .kind = VMLAB_KIND_ANON, .share = MAP_SHARED,
};

FIXTURE_SETUP(handlers)
{
	self->ps = (size_t)sysconf(_SC_PAGESIZE);
	self->fd = -1;
	if (vl_counters_read(&self->before))
		SKIP(return, "cannot read %s: run as root, with vmlab loaded", VL_COUNTERS_PATH);
	self->fd = vl_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vl_select(self->fd, variant->kind, -1));
	ASSERT_EQ(0, vl_info(self->fd, &self->info));
	self->addr = mmap(NULL, NPAGES * self->ps, PROT_READ | PROT_WRITE, variant->share,
			  self->fd, variant->offset);
	ASSERT_NE(MAP_FAILED, self->addr);
}

FIXTURE_TEARDOWN(handlers)
{
	struct vl_counters end;
	char name[64];

	if (self->fd < 0)
		return;
	munmap(self->addr, NPAGES * self->ps);
	close(self->fd);
	/* Every record of this test is gone with its mappings and files. */
	ASSERT_EQ(0, vl_counters_read(&end));
	snprintf(name, sizeof(name), "vmas_live_%s", variant->type);
	EXPECT_EQ(0, vl_counter_delta(&self->before, &end, name));
	EXPECT_EQ(0, vl_counter_delta(&self->before, &end, "objects_live"));
	EXPECT_EQ(0, vl_counter_delta(&self->before, &end, "files_live"));
}

/* The change of counter BASE_TYPE (BASE when @type is NULL) from @before to @after. */
static int64_t counter_delta(const struct vl_counters *before, const struct vl_counters *after,
			     const char *base, const char *type)
{
	char name[64];

	snprintf(name, sizeof(name), "%s%s%s", base, type ? "_" : "", type ? type : "");
	return vl_counter_delta(before, after, name);
}

/*
 * Is the mapping one of the store with a backing file?  Without one the
 * store is a tmpfs file, served as a shared anonymous object is (store_test
 * reloads vmlab with a backing file for what that alone does).
 */
static bool store_backed(const struct vmlab_info *info, unsigned int kind)
{
	return kind == VMLAB_KIND_STORE && info->has_backing;
}

/* In a test: the change of counter BASE_TYPE across it so far. */
#define delta(base, type) counter_delta(&self->before, &self->after, base, type)

static uint64_t pagemap_entry(void *addr)
{
	uint64_t raw = 0;
	int fd = vl_pagemap_open(0);

	if (fd >= 0) {
		vl_pagemap_read(fd, (unsigned long)addr, 1, &raw);
		close(fd);
	}
	return raw;
}

TEST_F(handlers, mapping_is_recorded)
{
	ASSERT_EQ(0, vl_counters_read(&self->after));
	EXPECT_EQ(1, delta("vmas_live", variant->type));
	EXPECT_EQ(variant->kind == VMLAB_KIND_ANON && variant->share == MAP_SHARED,
		  delta("objects_live", NULL));
}

TEST_F(handlers, read_fault)
{
	int64_t faults, around, allocated;
	unsigned char cached = 0;

	/* A store page may be in memory already: read around by an earlier test. */
	ASSERT_EQ(0, mincore(self->addr + self->ps, self->ps, &cached));
	vl_read_byte(self->addr + self->ps);
	ASSERT_EQ(0, vl_counters_read(&self->after));
	faults = delta("faults_read", variant->type);
	around = delta("map_pages", variant->type);
	allocated = delta("pages_allocated", NULL);
	TH_LOG("%s read: cached %d, faults_read %lld map_pages %lld allocated %lld zero_maps %lld",
	       variant->type, cached & 1, (long long)faults, (long long)around,
	       (long long)allocated, (long long)delta("zero_page_maps", NULL));
	EXPECT_TRUE(vl_pm_decode(pagemap_entry(self->addr + self->ps)).present);
	if (!strcmp(variant->type, "private_anon")) {
		/* No fault-around: ->fault maps the zero page. */
		EXPECT_EQ(1, faults);
		EXPECT_EQ(0, around);
		EXPECT_EQ(1, delta("zero_page_maps", NULL));
		EXPECT_EQ(0, allocated);
	} else if (!strcmp(variant->type, "shared_anon")) {
		/* Fault-around first; ->fault makes the page through shmem. */
		EXPECT_EQ(1, around);
		EXPECT_EQ(1, faults);
		EXPECT_EQ(1, delta("pages_shared_anon", NULL));
		EXPECT_EQ(0, allocated);
	} else if (cached & 1) {
		/* In memory: fault-around maps it, ->fault is not called. */
		EXPECT_EQ(0, faults);
		EXPECT_EQ(1, around);
		EXPECT_EQ(0, allocated);
	} else if (!store_backed(&self->info, variant->kind)) {
		/* The store is a tmpfs file: as for shared_anon, through shmem. */
		EXPECT_EQ(1, around);
		EXPECT_EQ(1, faults);
		EXPECT_EQ(1, delta("pages_store", NULL));
		EXPECT_EQ(0, allocated);
	} else {
		/*
		 * Fault-around first; ->fault reads the page in with the core's
		 * read-around, dropping mmap_lock for the read, and the retried
		 * fault's fault-around maps it: ->fault once, ->map_pages once or
		 * twice; every page read in is a page of the store's cache.
		 */
		EXPECT_EQ(1, faults);
		EXPECT_LE(1, around);
		EXPECT_GE(2, around);
		EXPECT_LE(1, allocated);
		EXPECT_EQ(allocated, delta("pages_store", NULL));
	}
	EXPECT_EQ(0, delta("faults_write", variant->type));
}

TEST_F(handlers, write_fault)
{
	(void)memset(self->addr + 2 * self->ps, 'w', 1);
	ASSERT_EQ(0, vl_counters_read(&self->after));
	TH_LOG("%s write: faults_write %lld cow_sources %lld page_mkwrite %lld",
	       variant->type, (long long)delta("faults_write", variant->type),
	       (long long)delta("cow_sources", NULL),
	       (long long)delta("page_mkwrite", NULL));
	TH_LOG("%s write: zero_page_maps %lld zero_sources %lld", variant->type,
	       (long long)delta("zero_page_maps", NULL),
	       (long long)delta("zero_sources", NULL));
	EXPECT_EQ(1, delta("faults_write", variant->type));
	EXPECT_EQ(!strcmp(variant->type, "private_cow"), delta("cow_sources", NULL));
	/* do_shared_fault() asks ->page_mkwrite, which the store has with a backing file only. */
	EXPECT_EQ(!strcmp(variant->type, "shared") && store_backed(&self->info, variant->kind),
		  delta("page_mkwrite", NULL));
	/* A first write maps no zero page: the core copies a zeroed page into its own. */
	EXPECT_EQ(0, delta("zero_page_maps", NULL));
	EXPECT_EQ(!strcmp(variant->type, "private_anon"), delta("zero_sources", NULL));
	/* The private anonymous copy is the core's page, not vmlab's. */
	if (!strcmp(variant->type, "private_anon"))
		EXPECT_EQ(0, delta("pages_allocated", NULL));
	if (!strcmp(variant->type, "shared_anon"))
		EXPECT_EQ(1, delta("pages_shared_anon", NULL));
}

TEST_F(handlers, read_then_write)
{
	char *p = self->addr + 3 * self->ps;
	struct vl_counters read;

	vl_read_byte(p);
	ASSERT_EQ(0, vl_counters_read(&read));
	vl_write_byte(p, 'w');
	ASSERT_EQ(0, vl_counters_read(&self->after));
	/*
	 * The entry is there: read-only in a private mapping, whose pages the
	 * core copies itself; read-only in a shared mapping of the store with
	 * a backing file, where the core asks ->page_mkwrite before making it
	 * writable; writable already in the other shared mappings, like
	 * shmem's (the store without a backing file is a tmpfs file).
	 */
	EXPECT_EQ(0, vl_counter_delta(&read, &self->after, "faults_write_private_cow") +
		  vl_counter_delta(&read, &self->after, "faults_write_shared") +
		  vl_counter_delta(&read, &self->after, "faults_write_shared_anon"));
	EXPECT_EQ(!strcmp(variant->type, "shared") && store_backed(&self->info, variant->kind),
		  vl_counter_delta(&read, &self->after, "page_mkwrite"));
	EXPECT_EQ(0, vl_counter_delta(&read, &self->after, "cow_sources"));
}

TEST_F(handlers, fork_copies_the_record)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vl_counters in_child;
		char name[64];

		snprintf(name, sizeof(name), "vmas_live_%s", variant->type);
		if (vl_counters_read(&in_child))
			_exit(2);
		_exit(vl_counter_delta(&self->before, &in_child, name) == 2 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status) {
		TH_LOG("the child did not see 2 live %s VMAs", variant->type);
	}
	ASSERT_EQ(0, vl_counters_read(&self->after));
	EXPECT_EQ(1, delta("vmas_live", variant->type));
}

TEST_F(handlers, split_and_mremap_keep_records)
{
	char *moved, *target;

	target = mmap(NULL, 2 * self->ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, target);
	ASSERT_EQ(0, munmap(self->addr + self->ps, self->ps));
	ASSERT_EQ(0, vl_counters_read(&self->after));
	EXPECT_EQ(2, delta("vmas_live", variant->type));
	moved = mremap(self->addr + 2 * self->ps, 2 * self->ps, 2 * self->ps, MREMAP_MAYMOVE |
		       MREMAP_FIXED, target);
	ASSERT_EQ(target, moved);
	ASSERT_EQ(0, vl_counters_read(&self->after));
	EXPECT_EQ(2, delta("vmas_live", variant->type));
	munmap(moved, 2 * self->ps);
	munmap(self->addr, self->ps);
	ASSERT_EQ(0, vl_counters_read(&self->after));
	EXPECT_EQ(0, delta("vmas_live", variant->type));
}

#define NTHREADS	4

struct toucher {
	pthread_barrier_t *barrier;
	char *page;
	bool write;
};

static void *touch_page(void *arg)
{
	struct toucher *t = arg;

	pthread_barrier_wait(t->barrier);
	if (t->write)
		vl_write_byte(t->page, 'T');
	else
		vl_read_byte(t->page);
	return NULL;
}

/* Touch @page from NTHREADS threads at once, half of them writing. */
static int touch_concurrently(char *page)
{
	struct toucher t[NTHREADS];
	pthread_t tid[NTHREADS];
	pthread_barrier_t barrier;
	int i, err = 0;

	pthread_barrier_init(&barrier, NULL, NTHREADS);
	for (i = 0; i < NTHREADS; i++) {
		t[i] = (struct toucher){ .barrier = &barrier, .page = page, .write = i & 1 };
		err = err ?: pthread_create(&tid[i], NULL, touch_page, &t[i]);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&barrier);
	return err;
}

TEST_F(handlers, concurrent_first_touch)
{
	char *page = self->addr + 3 * self->ps;
	bool shared = variant->share == MAP_SHARED;
	uint64_t parent_pfn, child_pfn = 0;
	int pipefd[2], status;
	struct vl_pm pm;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (touch_concurrently(page))
			_exit(2);
		pm = vl_pm_decode(pagemap_entry(page));
		if (write(pipefd[1], &pm.pfn, sizeof(pm.pfn)) != sizeof(pm.pfn))
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(0, touch_concurrently(page));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_EQ(sizeof(child_pfn), read(pipefd[0], &child_pfn, sizeof(child_pfn)));
	ASSERT_EQ(0, vl_counters_read(&self->after));

	pm = vl_pm_decode(pagemap_entry(page));
	parent_pfn = pm.pfn;
	TH_LOG("%s: parent pfn 0x%llx, child pfn 0x%llx, pages_allocated +%lld, pages_store +%lld",
	       variant->type, (unsigned long long)parent_pfn, (unsigned long long)child_pfn,
	       (long long)delta("pages_allocated", NULL), (long long)delta("pages_store", NULL));
	EXPECT_TRUE(pm.present);
	EXPECT_EQ('T', vl_read_byte(page));
	/* Shared: one page, whoever faulted first; private: each wrote its own copy. */
	EXPECT_EQ(shared, parent_pfn == child_pfn);
	/* Each page read in once: as many reads as new pages of the store. */
	EXPECT_EQ(delta("pages_store", NULL), delta("pages_allocated", NULL));
}

/*
 * What a first touch of each page costs, vmlab against its native twin in
 * the same process: faults (getrusage) and pages allocated (/proc/vmstat
 * pgalloc_*); and whether vmlab's handlers ran under the per-VMA lock
 * alone, as the twin's do on a kernel that handles faults of file
 * mappings that way (6.7 on, CONFIG_PER_VMA_LOCK).  Counts, never times.
 * (Not the kernel's mmap_lock trace events: turning events on and off
 * patches kernel text, which has crashed a TCG guest at an int3.)
 */
#define COST_PAGES	256

FIXTURE(cost)
{
	int fd;
	bool vma_locks;		/* the kernel handles file faults under the per-VMA lock */
};

FIXTURE_VARIANT(cost)
{
	const char *type;	/* debugfs name of the mapping type */
	unsigned int kind;
	int share;		/* MAP_PRIVATE or MAP_SHARED */
	bool write;
	off_t offset;		/* in the store: a range no other test program uses */
};

FIXTURE_VARIANT_ADD(cost, private_anon_write)
{
	.type = "private_anon", .kind = VMLAB_KIND_ANON, .share = MAP_PRIVATE, .write = true,
};

FIXTURE_VARIANT_ADD(cost, private_anon_read)
{
	.type = "private_anon", .kind = VMLAB_KIND_ANON, .share = MAP_PRIVATE, .write = false,
};

FIXTURE_VARIANT_ADD(cost, shared_anon_write)
{
	.type = "shared_anon", .kind = VMLAB_KIND_ANON, .share = MAP_SHARED, .write = true,
};

FIXTURE_VARIANT_ADD(cost, private_cow_write)
{
	.type = "private_cow", .kind = VMLAB_KIND_STORE, .share = MAP_PRIVATE, .write = true,
	.offset = 44 << 20,
};

FIXTURE_VARIANT_ADD(cost, shared_write)
{
	.type = "shared", .kind = VMLAB_KIND_STORE, .share = MAP_SHARED, .write = true,
	.offset = 45 << 20,
};

/* Whether the kernel (6.7 on, with per-VMA locks) handles file faults under the VMA lock. */
static bool kernel_vma_locks(void)
{
	struct utsname u;
	int major = 0, minor = 0;
	char *syms = NULL;
	bool has;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	if (major < 6 || (major == 6 && minor < 7))
		return false;
	if (vl_read_text("/proc/kallsyms", &syms))
		return false;
	has = strstr(syms, " lock_vma_under_rcu\n");
	free(syms);
	return has;
}

FIXTURE_SETUP(cost)
{
	self->fd = vl_open(O_RDWR);
	if (self->fd < 0)
		SKIP(return, "cannot open /dev/vmlab: run as root, with vmlab loaded");
	ASSERT_EQ(0, vl_select(self->fd, variant->kind, -1));
	self->vma_locks = kernel_vma_locks();
}

FIXTURE_TEARDOWN(cost)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Sum of the pgalloc_* lines of /proc/vmstat. */
static long long pgalloc_total(void)
{
	long long sum = 0, v;
	char *text = NULL, *line, *save;
	char name[64];

	if (vl_read_text("/proc/vmstat", &text))
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%63s %lld", name, &v) == 2 && !strncmp(name, "pgalloc_", 8))
			sum += v;
	free(text);
	return sum;
}

struct cost {
	long faults, allocs;
};

/* First touch of COST_PAGES pages of @fd (-1: anonymous) at @offset; what it cost. */
static int first_touch(int fd, off_t offset, bool write, int share, struct cost *c)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), len = COST_PAGES * ps, i;
	int flags = share | (fd < 0 ? MAP_ANONYMOUS : 0);
	struct rusage r0, r1;
	long long allocs;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, offset);
	if (p == MAP_FAILED)
		return -errno;
	/* 4 KiB pages on both sides: THP would fault the native one 512 at a time. */
	madvise(p, len, MADV_NOHUGEPAGE);
	allocs = pgalloc_total();
	if (allocs < 0 || getrusage(RUSAGE_THREAD, &r0))
		return -EIO;
	for (i = 0; i < len; i += ps) {
		if (write)
			vl_write_byte(p + i, 1);
		else
			(void)vl_read_byte(p + i);
	}
	if (getrusage(RUSAGE_THREAD, &r1))
		return -errno;
	c->allocs = pgalloc_total() - allocs;
	c->faults = (r1.ru_minflt - r0.ru_minflt) + (r1.ru_majflt - r0.ru_majflt);
	munmap(p, len);
	return 0;
}

/* Whether tmpfs gives huge pages without being asked (shmem_enabled always, within_size, force). */
static bool shmem_huge(void)
{
	char *text = NULL;
	bool huge;

	if (vl_read_text("/sys/kernel/mm/transparent_hugepage/shmem_enabled", &text))
		return false;
	huge = strstr(text, "[always]") || strstr(text, "[within_size]") ||
	       strstr(text, "[force]");
	free(text);
	return huge;
}

TEST_F(cost, first_touch_as_native)
{
	size_t len = COST_PAGES * (size_t)sysconf(_SC_PAGESIZE);
	struct vl_counters before, after;
	long long handled, locked;
	struct cost v, n;
	int nfd = -1;

	if (variant->kind == VMLAB_KIND_ANON && variant->share == MAP_SHARED && shmem_huge())
		SKIP(return, "shmem_enabled gives huge pages unasked, and objects take no madvise");
	if (variant->kind == VMLAB_KIND_STORE) {
		/*
		 * The twin is a memfd; both in memory and clean, so that no
		 * read or write-back runs meanwhile: the cost of the fault.
		 */
		char *buf = calloc(1, len);

		ASSERT_NE(NULL, buf);
		nfd = memfd_create("cost_twin", 0);
		ASSERT_LE(0, nfd);
		ASSERT_EQ((ssize_t)len, pwrite(self->fd, buf, len, variant->offset));
		ASSERT_EQ((ssize_t)len, pwrite(nfd, buf, len, 0));
		free(buf);
		ASSERT_EQ(0, fsync(self->fd));
	}
	ASSERT_EQ(0, vl_counters_read(&before));
	ASSERT_EQ(0, first_touch(self->fd, variant->offset, variant->write, variant->share, &v));
	ASSERT_EQ(0, vl_counters_read(&after));
	ASSERT_EQ(0, first_touch(nfd, 0, variant->write, variant->share, &n));
	if (nfd >= 0)
		close(nfd);
	handled = counter_delta(&before, &after, variant->write ? "faults_write" : "faults_read",
				variant->type);
	locked = vl_counter_delta(&before, &after, "faults_vma_locked");
	TH_LOG("%d pages %s: faults vmlab %ld native %ld; pages allocated vmlab %ld native %ld",
	       COST_PAGES, variant->write ? "written" : "read", v.faults, n.faults, v.allocs,
	       n.allocs);
	TH_LOG("vmlab ->fault calls %lld, %lld under the per-VMA lock alone (kernel can: %s)",
	       handled, locked, self->vma_locks ? "yes" : "no");
	EXPECT_EQ(n.faults, v.faults);
	/* Other CPUs allocate too: allow some noise, far below one page more per page. */
	EXPECT_GE(n.allocs + COST_PAGES / 8 + 16, v.allocs);
	EXPECT_EQ(COST_PAGES, handled);
	/* Every fault ran where the twin's run: under the VMA lock where the kernel can. */
	EXPECT_EQ(self->vma_locks ? handled : 0, locked);
}

TEST_HARNESS_MAIN
