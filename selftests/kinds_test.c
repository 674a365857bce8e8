// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: each mapping type against its native twin.
 *
 * Every scenario runs twice in the same process, once on a vmlab mapping
 * and once on the kernel's own mapping that it stands for:
 *
 *   private_cow   store, MAP_PRIVATE     memfd (tmpfs) file, MAP_PRIVATE
 *   shared        store, MAP_SHARED      the same memfd file, MAP_SHARED
 *   private_anon  anon,  MAP_PRIVATE     MAP_PRIVATE | MAP_ANONYMOUS
 *   shared_anon   anon,  MAP_SHARED      MAP_SHARED | MAP_ANONYMOUS
 *
 * After each step both runs record, per page, what pagemap and kpageflags
 * say (present, exclusively mapped, file/shared-anon, soft-dirty, anonymous,
 * and which page the PFN is: none, the zero page, the backing file's page,
 * the page seen at a reference point, or another), plus events (signals,
 * VmLck, VMA counts) and contents.  The test passes when the two records
 * are equal and vmlab's own fault handlers served the vmlab run.
 * VMLAB_TEST_VERBOSE=1 in the environment logs every fact compared.
 *
 * Both regions sit at the same offset from a 2 MiB boundary, between
 * PROT_NONE guards, so that fault-around windows are the same and no VMA
 * merges with a neighbour.  Needs root (PFNs) and vmlab loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

#define NPAGES		8
#define MAX_FACTS	256
#define RESERVE		(4UL * 1024 * 1024)
#define REGION_OFFSET	(64UL * 1024)	/* from the 2 MiB boundary */
#define FILE_OFFSET	(1024UL * 1024)	/* in the store and in the memfd */

enum twin_type { PRIVATE_COW, SHARED, PRIVATE_ANON, SHARED_ANON };
static const char *const type_names[] = { "private_cow", "shared", "private_anon", "shared_anon" };

enum impl { VMLAB, NATIVE };
static const char *const impl_names[] = { "vmlab", "native" };

enum pfn_class { PFN_NONE, PFN_ZERO, PFN_BACKING, PFN_REF, PFN_OTHER };
static const char *const class_names[] = { "none", "zero", "backing", "ref", "other" };

/* One fact: a page's state after a step (page >= 0), or an event (page < 0). */
struct fact {
	char label[40];
	int page;
	bool present, exclusive, file, soft_dirty, anon, swapbacked;
	int pfn_class;
	long long value;	/* events: the value; pages: first byte when read, else -1 */
};

struct run {
	enum twin_type type;
	enum impl impl;
	size_t ps;
	int fd;			/* vmlab file, or the memfd; -1 for native anonymous */
	char *reserve[2];	/* PROT_NONE areas the regions live in */
	char *addr;
	uint64_t zero_pfn;
	uint64_t ref_pfn[NPAGES];
	struct fact facts[MAX_FACTS];
	int nfacts;
};

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static bool is_file_type(enum twin_type t)
{
	return t == PRIVATE_COW || t == SHARED;
}

static bool is_shared_type(enum twin_type t)
{
	return t == SHARED || t == SHARED_ANON;
}

/* A 2 MiB-aligned PROT_NONE area; the region goes REGION_OFFSET into it. */
static char *reserve_area(void)
{
	char *p = mmap(NULL, 2 * RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + RESERVE - 1) & ~(RESERVE - 1);
	return (char *)a;
}

/* Map the region of @r at @at (MAP_FIXED) with extra mmap @flags. */
static char *map_region(struct run *r, char *at, int flags)
{
	size_t len = NPAGES * r->ps;
	int share = is_shared_type(r->type) ? MAP_SHARED : MAP_PRIVATE;
	int prot = PROT_READ | PROT_WRITE;

	flags |= share | MAP_FIXED;
	if (r->impl == NATIVE && !is_file_type(r->type))
		return mmap(at, len, prot, flags | MAP_ANONYMOUS, -1, 0);
	return mmap(at, len, prot, flags, r->fd, is_file_type(r->type) ? FILE_OFFSET : 0);
}

/* Page @i of the backing file holds 'A' + i in every byte. */
static int fill_backing(struct run *r)
{
	char *buf = malloc(r->ps);
	int i;

	if (!buf)
		return -1;
	for (i = 0; i < NPAGES; i++) {
		memset(buf, 'A' + i, r->ps);
		if (pwrite(r->fd, buf, r->ps, FILE_OFFSET + i * r->ps) != (ssize_t)r->ps) {
			free(buf);
			return -1;
		}
	}
	free(buf);
	return 0;
}

static int run_setup(struct run *r, enum twin_type type, enum impl impl, int flags)
{
	unsigned int kind = is_file_type(type) ? VMLAB_KIND_STORE : VMLAB_KIND_ANON;

	memset(r, 0, sizeof(*r));
	r->type = type;
	r->impl = impl;
	r->ps = page_size();
	r->fd = -1;
	if (impl == VMLAB) {
		r->fd = vl_open(O_RDWR);
		if (r->fd < 0 || vl_select(r->fd, kind, -1))
			return -1;
	} else if (is_file_type(type)) {
		r->fd = memfd_create("vmlab-twin", 0);
		if (r->fd < 0 || ftruncate(r->fd, FILE_OFFSET + 2 * NPAGES * r->ps))
			return -1;
	}
	if (is_file_type(type) && fill_backing(r))
		return -1;
	/*
	 * Clean, so that periodic write-back does not lock these pages while
	 * fault-around looks at them (it skips locked pages; tmpfs has no
	 * write-back to race with).
	 */
	if (impl == VMLAB && is_file_type(type) && ioctl(r->fd, VMLAB_IOC_WRITEBACK))
		return -1;
	r->reserve[0] = reserve_area();
	r->reserve[1] = reserve_area();
	if (!r->reserve[0] || !r->reserve[1])
		return -1;
	r->addr = map_region(r, r->reserve[0] + REGION_OFFSET, flags);
	return r->addr == MAP_FAILED ? -1 : 0;
}

static void run_teardown(struct run *r)
{
	if (r->reserve[0])
		munmap(r->reserve[0], RESERVE);
	if (r->reserve[1])
		munmap(r->reserve[1], RESERVE);
	if (r->fd >= 0)
		close(r->fd);
}

static uint64_t pfn_of(uint64_t raw)
{
	struct vl_pm pm = vl_pm_decode(raw);

	return pm.present ? pm.pfn : 0;
}

/* The PFN of the backing file's page @i (file types), read through a probe mapping. */
static uint64_t backing_pfn(struct run *r, int i)
{
	uint64_t raw = 0;
	char *p;
	int fd;

	if (!is_file_type(r->type))
		return 0;
	p = mmap(NULL, r->ps, PROT_READ, MAP_SHARED, r->fd, FILE_OFFSET + i * r->ps);
	if (p == MAP_FAILED)
		return 0;
	vl_read_byte(p);
	fd = vl_pagemap_open(0);
	if (fd >= 0) {
		vl_pagemap_read(fd, (unsigned long)p, 1, &raw);
		close(fd);
	}
	munmap(p, r->ps);
	return pfn_of(raw);
}

static void add_fact(struct run *r, const struct fact *f)
{
	if (r->nfacts < MAX_FACTS)
		r->facts[r->nfacts++] = *f;
}

static void event(struct run *r, const char *label, long long value)
{
	struct fact f = { .page = -1, .value = value };

	snprintf(f.label, sizeof(f.label), "%s", label);
	add_fact(r, &f);
}

/*
 * Whether pages' kpageflags swapbacked is a fact to compare: it is, but for
 * the store with a backing file, whose pages are its own page cache's where
 * the memfd twin's are tmpfs's (without one the store is a tmpfs file).
 */
static bool compare_swapbacked = true;

/* Record every page of the region at @addr after step @label. */
static void observe_at(struct run *r, const char *label, char *addr)
{
	uint64_t raw[NPAGES] = { 0 }, kpf;
	struct fact facts[NPAGES];
	int fd, kfd, i;

	fd = vl_pagemap_open(0);
	kfd = vl_kpageflags_open();
	if (fd >= 0)
		vl_pagemap_read(fd, (unsigned long)addr, NPAGES, raw);
	for (i = 0; i < NPAGES; i++) {
		struct vl_pm pm = vl_pm_decode(raw[i]);
		struct fact *f = &facts[i];

		memset(f, 0, sizeof(*f));
		snprintf(f->label, sizeof(f->label), "%s", label);
		f->page = i;
		f->value = -1;
		f->present = pm.present;
		f->exclusive = pm.exclusive;
		f->file = pm.file_shared;
		f->soft_dirty = pm.soft_dirty;
		if (!pm.present)
			f->pfn_class = PFN_NONE;
		else if (pm.pfn == r->zero_pfn)
			f->pfn_class = PFN_ZERO;
		else if (pm.pfn == r->ref_pfn[i])
			f->pfn_class = PFN_REF;
		else
			f->pfn_class = PFN_OTHER;
		if (pm.present && kfd >= 0 && !vl_kpageflags_read(kfd, pm.pfn, 1, &kpf)) {
			f->anon = kpf & (1ULL << VL_KPF_ANON);
			f->swapbacked = compare_swapbacked && (kpf & (1ULL << VL_KPF_SWAPBACKED));
		}
	}
	if (kfd >= 0)
		close(kfd);
	if (fd >= 0)
		close(fd);
	/* Probe the backing pages only now: a probe mapping changes mapcounts. */
	for (i = 0; i < NPAGES; i++)
		if (facts[i].pfn_class == PFN_OTHER && is_file_type(r->type) &&
		    pfn_of(raw[i]) == backing_pfn(r, i))
			facts[i].pfn_class = PFN_BACKING;
	for (i = 0; i < NPAGES; i++)
		add_fact(r, &facts[i]);
}

static void observe(struct run *r, const char *label)
{
	observe_at(r, label, r->addr);
}

/* Record the first byte of every page (this faults them all in: do it last). */
static void observe_contents_at(struct run *r, const char *label, char *addr)
{
	int i;

	for (i = 0; i < NPAGES; i++) {
		struct fact f = { .page = i, .pfn_class = -1 };

		snprintf(f.label, sizeof(f.label), "%s", label);
		f.value = vl_read_byte(addr + i * r->ps);
		add_fact(r, &f);
	}
}

static void observe_contents(struct run *r, const char *label)
{
	observe_contents_at(r, label, r->addr);
}

/* Snapshot the region's PFNs: later observations classify them as "ref". */
static void snapshot(struct run *r)
{
	uint64_t raw[NPAGES] = { 0 };
	int fd = vl_pagemap_open(0), i;

	if (fd >= 0) {
		vl_pagemap_read(fd, (unsigned long)r->addr, NPAGES, raw);
		close(fd);
	}
	for (i = 0; i < NPAGES; i++)
		r->ref_pfn[i] = pfn_of(raw[i]);
}

static void rd(struct run *r, int page)
{
	vl_read_byte(r->addr + page * r->ps);
}

static void wr(struct run *r, int page, char v)
{
	vl_write_byte(r->addr + page * r->ps, v);
}

/* Write 'a' + i to page i, for every page. */
static void wr_all(struct run *r)
{
	int i;

	for (i = 0; i < NPAGES; i++)
		wr(r, i, 'a' + i);
}

/* The kernel's zero page PFN, from a native private anonymous read. */
static uint64_t find_zero_pfn(void)
{
	size_t ps = page_size();
	char *p = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t raw = 0;
	int fd;

	if (p == MAP_FAILED)
		return 0;
	vl_read_byte(p);
	fd = vl_pagemap_open(0);
	if (fd >= 0) {
		vl_pagemap_read(fd, (unsigned long)p, 1, &raw);
		close(fd);
	}
	munmap(p, ps);
	return pfn_of(raw);
}

/*
 * Children: run @fn in a fork child whose facts come back to the parent
 * through a pipe.  @go, when not NULL, is called in the parent between
 * fork and the child's start.
 */
static void in_child(struct run *r, void (*fn)(struct run *), void (*go)(struct run *))
{
	int data[2], start[2], base = r->nfacts, n, status;
	char c = 0;
	pid_t pid;

	if (pipe(data) || pipe(start)) {
		event(r, "pipe failed", errno);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(data[0]);
		close(start[1]);
		if (read(start[0], &c, 1) != 1)
			_exit(2);
		fn(r);
		n = r->nfacts - base;
		if (write(data[1], &n, sizeof(n)) != sizeof(n) ||
		    write(data[1], &r->facts[base], n * sizeof(struct fact)) !=
		    (ssize_t)(n * sizeof(struct fact)))
			_exit(3);
		_exit(0);
	}
	close(data[1]);
	close(start[0]);
	if (pid < 0) {
		event(r, "fork failed", errno);
		return;
	}
	if (go)
		go(r);
	if (write(start[1], &c, 1) != 1)
		event(r, "start failed", errno);
	close(start[1]);
	/* The child's facts follow those @go recorded meanwhile. */
	base = r->nfacts;
	if (read(data[0], &n, sizeof(n)) == sizeof(n) && n > 0 && base + n <= MAX_FACTS &&
	    read(data[0], &r->facts[base], n * sizeof(struct fact)) ==
	    (ssize_t)(n * sizeof(struct fact)))
		r->nfacts = base + n;
	close(data[0]);
	waitpid(pid, &status, 0);
	event(r, "child exit status", status);
}

/* The scenarios. */

static void scen_untouched(struct run *r)
{
	observe(r, "untouched");
}

static void scen_read(struct run *r)
{
	rd(r, 2);
	observe(r, "read page 2");
	observe_contents(r, "contents");
}

static void scen_write(struct run *r)
{
	wr(r, 2, 'w');
	observe(r, "write page 2");
	observe_contents(r, "contents");
}

static void scen_read_then_write(struct run *r)
{
	rd(r, 3);
	snapshot(r);
	observe(r, "read page 3");
	wr(r, 3, 'w');
	observe(r, "then write page 3");
	observe_contents(r, "contents");
}

static void scen_write_all(struct run *r)
{
	wr_all(r);
	observe(r, "write all");
	observe_contents(r, "contents");
}

static void child_write_page1(struct run *r)
{
	wr(r, 1, 'c');
	observe(r, "child wrote page 1");
	observe_contents(r, "child contents");
}

static void scen_fork_child_write(struct run *r)
{
	int i;

	wr(r, 0, 'p');
	for (i = 1; i < NPAGES; i++)
		rd(r, i);
	snapshot(r);
	in_child(r, child_write_page1, NULL);
	observe(r, "parent after child write");
	observe_contents(r, "parent contents");
}

static void child_observe(struct run *r)
{
	observe(r, "child after parent write");
	observe_contents(r, "child contents");
}

static void parent_write_page1(struct run *r)
{
	wr(r, 1, 'p');
	observe(r, "parent wrote page 1");
}

static void scen_fork_parent_write(struct run *r)
{
	int i;

	for (i = 0; i < NPAGES; i++)
		rd(r, i);
	snapshot(r);
	in_child(r, child_observe, parent_write_page1);
	observe(r, "parent after child");
	observe_contents(r, "parent contents");
}

static void scen_dontneed_read(struct run *r)
{
	wr_all(r);
	event(r, "madvise DONTNEED", madvise(r->addr, NPAGES * r->ps, MADV_DONTNEED));
	observe(r, "after DONTNEED");
	rd(r, 1);
	observe(r, "read page 1");
	observe_contents(r, "contents");
}

static void child_write_ro(struct run *r)
{
	wr(r, 1, 'x');
	event(r, "write to read-only survived", 1);
}

static void scen_mprotect_ro_write(struct run *r)
{
	wr(r, 0, 'w');
	event(r, "mprotect", mprotect(r->addr, NPAGES * r->ps, PROT_READ));
	in_child(r, child_write_ro, NULL);
	observe(r, "after child's write");
	observe_contents(r, "contents");
}

static void scen_mremap_move(struct run *r)
{
	char *to = r->reserve[1] + REGION_OFFSET;
	char *p;
	int i;

	for (i = 0; i < NPAGES; i += 2)
		wr(r, i, 'a' + i);
	p = mremap(r->addr, NPAGES * r->ps, NPAGES * r->ps, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	event(r, "mremap moved", p == to);
	if (p != to)
		return;
	observe_at(r, "old place", r->reserve[0] + REGION_OFFSET);
	r->addr = p;
	observe(r, "new place");
	observe_contents(r, "contents");
}

static int vmas_in(char *start, char *end)
{
	struct vl_vma *v;
	size_t n, i;
	int count = 0;

	if (vl_maps_read(0, &v, &n))
		return -1;
	for (i = 0; i < n; i++)
		if (v[i].start < (unsigned long)end && v[i].end > (unsigned long)start &&
		    strcmp(v[i].perms, "---p"))
			count++;
	free(v);
	return count;
}

static void scen_partial_munmap(struct run *r)
{
	wr_all(r);
	event(r, "munmap pages 2-3", munmap(r->addr + 2 * r->ps, 2 * r->ps));
	event(r, "VMAs left", vmas_in(r->addr, r->addr + NPAGES * r->ps));
	observe(r, "after munmap");
}

static void scen_populate(struct run *r)
{
	event(r, "remap with MAP_POPULATE",
	      map_region(r, r->addr, MAP_POPULATE) == r->addr);
	observe(r, "populated");
	observe_contents(r, "contents");
}

static long long vmlck(void)
{
	long long kb = -1;

	vl_status_field(0, "VmLck", &kb);
	return kb;
}

static void scen_mlock(struct run *r)
{
	long long before = vmlck();

	event(r, "mlock", mlock(r->addr, NPAGES * r->ps));
	event(r, "VmLck grew by kB", vmlck() - before);
	observe(r, "locked");
	event(r, "munlock", munlock(r->addr, NPAGES * r->ps));
	event(r, "VmLck back", vmlck() - before);
}

static void scen_map_locked(struct run *r)
{
	long long before = vmlck();

	event(r, "remap with MAP_LOCKED", map_region(r, r->addr, MAP_LOCKED) == r->addr);
	event(r, "VmLck grew by kB", vmlck() - before);
	observe(r, "locked");
	observe_contents(r, "contents");
}

static void scen_map_fixed_over(struct run *r)
{
	wr_all(r);
	event(r, "map again over it", map_region(r, r->addr, 0) == r->addr);
	observe(r, "fresh mapping");
	observe_contents(r, "contents");
}

static void scen_soft_dirty(struct run *r)
{
	wr_all(r);
	observe(r, "written");
	event(r, "clear_refs 4", vl_write_file("/proc/self/clear_refs", "4"));
	observe(r, "after clear_refs");
	wr(r, 1, 'x');
	rd(r, 2);
	observe(r, "wrote 1, read 2");
}

FIXTURE(twin)
{
	struct run run[2];
};

FIXTURE_VARIANT(twin)
{
	enum twin_type type;
};

FIXTURE_VARIANT_ADD(twin, private_cow) { .type = PRIVATE_COW };
FIXTURE_VARIANT_ADD(twin, shared) { .type = SHARED };
FIXTURE_VARIANT_ADD(twin, private_anon) { .type = PRIVATE_ANON };
FIXTURE_VARIANT_ADD(twin, shared_anon) { .type = SHARED_ANON };

FIXTURE_SETUP(twin)
{
	if (!vl_have_pfns())
		SKIP(return, "PFNs are not readable: run as root");
	if (access(VMLAB_DEVICE_PATH, R_OK | W_OK))
		SKIP(return, "%s: %s (vmlab not loaded)", VMLAB_DEVICE_PATH, strerror(errno));
}

FIXTURE_TEARDOWN(twin)
{
}

static void log_fact(struct __test_metadata *_metadata, const char *impl, const struct fact *f)
{
	if (f->page < 0)
		TH_LOG("  %-6s %-30s event value %lld", impl, f->label, f->value);
	else if (f->pfn_class < 0)
		TH_LOG("  %-6s %-30s page %d byte %lld", impl, f->label, f->page, f->value);
	else
		TH_LOG("  %-6s %-30s page %d present %d excl %d file %d sd %d anon %d sb %d pfn %s",
		       impl, f->label, f->page, f->present, f->exclusive, f->file,
		       f->soft_dirty, f->anon, f->swapbacked, class_names[f->pfn_class]);
}

static bool same_fact(const struct fact *a, const struct fact *b)
{
	return !strcmp(a->label, b->label) && a->page == b->page && a->present == b->present &&
	       a->exclusive == b->exclusive && a->file == b->file &&
	       a->soft_dirty == b->soft_dirty && a->anon == b->anon &&
	       a->swapbacked == b->swapbacked && a->pfn_class == b->pfn_class &&
	       a->value == b->value;
}

static long long vmlab_served(const struct vl_counters *b, const struct vl_counters *a,
			      enum twin_type t)
{
	static const char *const bases[] = { "faults_read_", "faults_write_", "map_pages_" };
	long long sum = 0;
	char name[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bases); i++) {
		snprintf(name, sizeof(name), "%s%s", bases[i], type_names[t]);
		sum += vl_counter_delta(b, a, name);
	}
	return sum;
}

/*
 * Run @scen on vmlab and on the native twin, with extra mmap @flags, and
 * require equal records; @touches says whether the scenario touches memory,
 * so that vmlab's handlers must have served it.
 */
static void twin_run(struct __test_metadata *_metadata, struct run run[2],
		     enum twin_type type, void (*scen)(struct run *), bool touches)
{
	struct vl_counters start, before, after, end;
	uint64_t zero = find_zero_pfn();
	int impl, i, mismatches = 0, fd;
	struct vmlab_info info;
	long long served;
	char live[64];

	ASSERT_NE(0, zero);
	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_info(fd, &info));
	close(fd);
	compare_swapbacked = !(is_file_type(type) && info.has_backing);
	ASSERT_EQ(0, vl_counters_read(&start));
	for (impl = VMLAB; impl <= NATIVE; impl++) {
		struct run *r = &run[impl];

		ASSERT_EQ(0, run_setup(r, type, impl, 0)) {
			TH_LOG("%s %s setup: %s", impl_names[impl], type_names[type],
			       strerror(errno));
		}
		r->zero_pfn = zero;
		if (impl == VMLAB)
			ASSERT_EQ(0, vl_counters_read(&before));
		scen(r);
		if (impl == VMLAB)
			ASSERT_EQ(0, vl_counters_read(&after));
		run_teardown(r);
	}

	EXPECT_EQ(run[NATIVE].nfacts, run[VMLAB].nfacts);
	for (i = 0; i < run[VMLAB].nfacts && i < run[NATIVE].nfacts; i++) {
		const struct fact *v = &run[VMLAB].facts[i];
		const struct fact *n = &run[NATIVE].facts[i];

		if (getenv("VMLAB_TEST_VERBOSE"))
			log_fact(_metadata, "both", v);
		if (same_fact(v, n))
			continue;
		mismatches++;
		log_fact(_metadata, "vmlab", v);
		log_fact(_metadata, "native", n);
	}
	EXPECT_EQ(0, mismatches) {
		TH_LOG("%d facts differ between vmlab and native %s", mismatches,
		       type_names[type]);
	}
	/* Nothing of vmlab's outlives the mappings and files. */
	ASSERT_EQ(0, vl_counters_read(&end));
	snprintf(live, sizeof(live), "vmas_live_%s", type_names[type]);
	EXPECT_EQ(0, vl_counter_delta(&start, &end, live));
	EXPECT_EQ(0, vl_counter_delta(&start, &end, "objects_live"));
	EXPECT_EQ(0, vl_counter_delta(&start, &end, "files_live"));
	EXPECT_EQ(0, vl_counter_delta(&start, &end, "pages_shared_anon"));
	served = vmlab_served(&before, &after, type);
	if (touches)
		EXPECT_LT(0, served) {
			TH_LOG("vmlab's handlers for %s served %lld faults", type_names[type],
			       served);
		}
}

TEST_F(twin, untouched)
{
	twin_run(_metadata, self->run, variant->type, scen_untouched, false);
}

TEST_F(twin, read)
{
	twin_run(_metadata, self->run, variant->type, scen_read, true);
}

TEST_F(twin, write)
{
	twin_run(_metadata, self->run, variant->type, scen_write, true);
}

TEST_F(twin, read_then_write)
{
	twin_run(_metadata, self->run, variant->type, scen_read_then_write, true);
}

TEST_F(twin, write_all)
{
	twin_run(_metadata, self->run, variant->type, scen_write_all, true);
}

TEST_F(twin, fork_child_write)
{
	twin_run(_metadata, self->run, variant->type, scen_fork_child_write, true);
}

TEST_F(twin, fork_parent_write)
{
	twin_run(_metadata, self->run, variant->type, scen_fork_parent_write, true);
}

TEST_F(twin, dontneed_read)
{
	twin_run(_metadata, self->run, variant->type, scen_dontneed_read, true);
}

TEST_F(twin, mprotect_ro_write)
{
	twin_run(_metadata, self->run, variant->type, scen_mprotect_ro_write, true);
}

TEST_F(twin, mremap_move)
{
	twin_run(_metadata, self->run, variant->type, scen_mremap_move, true);
}

TEST_F(twin, partial_munmap)
{
	twin_run(_metadata, self->run, variant->type, scen_partial_munmap, true);
}

TEST_F(twin, populate)
{
	twin_run(_metadata, self->run, variant->type, scen_populate, true);
}

TEST_F(twin, mlock)
{
	twin_run(_metadata, self->run, variant->type, scen_mlock, true);
}

TEST_F(twin, map_locked)
{
	twin_run(_metadata, self->run, variant->type, scen_map_locked, true);
}

TEST_F(twin, map_fixed_over)
{
	twin_run(_metadata, self->run, variant->type, scen_map_fixed_over, true);
}

TEST_F(twin, soft_dirty)
{
	twin_run(_metadata, self->run, variant->type, scen_soft_dirty, true);
}

TEST_HARNESS_MAIN
