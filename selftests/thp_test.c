// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: transparent huge pages of the store (without backing=)
 * and of shared anonymous objects, each compared with its tmpfs twin: a
 * file of a tmpfs mounted with the same huge= option, created, truncated,
 * mapped and only then unlinked (a file unlinked at mmap(2) is "anonymous
 * shmem" on 6.12 and follows the per-size shmem_enabled knobs instead of
 * the mount's huge=), or a memfd for the policy inherit.
 *
 * What is compared: smaps (Rss, ShmemPmdMapped, FilePmdMapped,
 * AnonHugePages); the pages whose kpageflags say thp, compound head,
 * compound tail, anonymous; the 2 MiB runs of PFNs (each aligned 2 MiB of
 * the file, as far as the mapping holds it, whose pages are THP pages at
 * consecutive PFNs congruent to their file index: one 2 MiB folio); the
 * /proc/vmstat deltas of thp_file_alloc, thp_file_mapped,
 * thp_file_fallback and thp_file_fallback_charge; and where mmap(NULL)
 * places the mapping.
 *
 * The store's policy is the module parameter thp: the matrix reloads vmlab
 * with thp=POLICY store_size=3M when a variant's policy is not the loaded
 * one (its variants are grouped by policy: one reload per policy), and
 * frees the store (MADV_REMOVE) before each test; the last test loads
 * vmlab with its defaults again.  A 3 MiB object holds one whole aligned
 * 2 MiB and a partial one, so within_size differs from always.
 *
 * A kernel without THP (Debian's PREEMPT_RT 6.12, no
 * /sys/kernel/mm/transparent_hugepage) takes every policy and maps base
 * pages: there the tests assert that, on both sides, and its twin is a
 * plain tmpfs mount (tmpfs refuses huge= there).
 *
 * Needs root and vmlab loaded; the fallback test needs the memory cgroup
 * controller (it mounts cgroup2 when it is not mounted) and skips without.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmlab_ksft.h"
#include "vmlab_uapi.h"
#include "debugfs.h"
#include "device.h"
#include "memcg.h"
#include "pagemap.h"
#include "procfs.h"
#include "smaps.h"

#define PS		4096UL
#define MB		(1024UL * 1024)
#define HPAGE		(2 * MB)
#define PER_HPAGE	(HPAGE / PS)
#define OBJ_SIZE	(3 * MB)	/* one whole 2 MiB, one partial */

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#define THP_SYSFS	"/sys/kernel/mm/transparent_hugepage"
#define KHUGEPAGED	THP_SYSFS "/khugepaged"

static bool have_thp(void)
{
	return !access(THP_SYSFS, F_OK);
}

static bool aligned2m(const void *p)
{
	return !((uintptr_t)p & (HPAGE - 1));
}

/* A value of /proc/vmstat, or -1 when the kernel has no such line. */
static long long vmstat_value(const char *key)
{
	long long v;

	return vl_vmstat_field(key, &v) ? -1 : v;
}

/* The THP events of /proc/vmstat (-1 each on a kernel without THP). */
struct events {
	long long alloc, mapped, fallback, fallback_charge;
};

static void events_read(struct events *e)
{
	e->alloc = vmstat_value("thp_file_alloc");
	e->mapped = vmstat_value("thp_file_mapped");
	e->fallback = vmstat_value("thp_file_fallback");
	e->fallback_charge = vmstat_value("thp_file_fallback_charge");
}

/* b - a, or -1 when the counter does not exist. */
static long long ev_delta(long long a, long long b)
{
	return a < 0 || b < 0 ? -1 : b - a;
}

/* What one side's mapping holds, from smaps, pagemap and kpageflags. */
struct stats {
	long long rss, shmem_pmd, file_pmd, anon_huge;
	unsigned int present, thp, head, tail, anon;
	/* 2 MiB runs: file-aligned 2 MiB whose pages are one THP folio's. */
	unsigned int runs, run_pages;
	/* vmstat deltas around the touch */
	long long d_alloc, d_mapped, d_fallback, d_fallback_charge;
};

static void stats_format(const struct stats *s, char *buf, size_t len)
{
	snprintf(buf, len,
		 "rss %lld shmem_pmd %lld file_pmd %lld anon_huge %lld | present %u thp %u head %u tail %u anon %u | runs %u run_pages %u | thp_file_alloc %+lld thp_file_mapped %+lld fallback %+lld fallback_charge %+lld",
		 s->rss, s->shmem_pmd, s->file_pmd, s->anon_huge, s->present, s->thp, s->head,
		 s->tail, s->anon, s->runs, s->run_pages, s->d_alloc, s->d_mapped, s->d_fallback,
		 s->d_fallback_charge);
}

static bool stats_equal(const struct stats *a, const struct stats *b)
{
	return a->rss == b->rss && a->shmem_pmd == b->shmem_pmd && a->file_pmd == b->file_pmd &&
	       a->anon_huge == b->anon_huge && a->present == b->present && a->thp == b->thp &&
	       a->head == b->head && a->tail == b->tail && a->anon == b->anon &&
	       a->runs == b->runs && a->run_pages == b->run_pages && a->d_alloc == b->d_alloc &&
	       a->d_mapped == b->d_mapped && a->d_fallback == b->d_fallback &&
	       a->d_fallback_charge == b->d_fallback_charge;
}

/* Sum the smaps fields of the mappings of [p, p + len). */
static int smaps_sum(const char *p, size_t len, struct stats *st)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + len;
	struct vl_smaps *s;
	size_t n, i;
	int ret;

	ret = vl_smaps_read(0, &s, &n);
	if (ret)
		return ret;
	st->rss = 0;
	st->shmem_pmd = 0;
	st->file_pmd = 0;
	st->anon_huge = 0;
	for (i = 0; i < n; i++) {
		if (s[i].vma.end <= lo || s[i].vma.start >= hi)
			continue;
		st->rss += s[i].rss_kb;
		st->shmem_pmd += s[i].shmem_pmd_kb > 0 ? s[i].shmem_pmd_kb : 0;
		st->file_pmd += s[i].file_pmd_kb > 0 ? s[i].file_pmd_kb : 0;
		st->anon_huge += s[i].anon_huge_kb > 0 ? s[i].anon_huge_kb : 0;
	}
	free(s);
	return 0;
}

/*
 * Read the pages of [p, p + n pages), whose first is file page @pgoff:
 * @pfn and @kpf receive each page's PFN (0: not present) and kpageflags.
 */
static int pages_read(const char *p, size_t n, uint64_t *pfn, uint64_t *kpf)
{
	int pm = vl_pagemap_open(0), kf = vl_kpageflags_open(), ret;
	size_t i;

	if (pm < 0 || kf < 0) {
		ret = pm < 0 ? pm : kf;
		goto out;
	}
	ret = vl_pagemap_read(pm, (uintptr_t)p, n, pfn);
	for (i = 0; !ret && i < n; i++) {
		struct vl_pm e = vl_pm_decode(pfn[i]);

		pfn[i] = e.present ? e.pfn : 0;
		kpf[i] = 0;
		if (pfn[i])
			ret = vl_kpageflags_read(kf, pfn[i], 1, &kpf[i]);
	}
out:
	if (pm >= 0)
		close(pm);
	if (kf >= 0)
		close(kf);
	return ret;
}

#define KPF(f, bit)	(((f) >> (bit)) & 1)

/* The page counts and 2 MiB runs of @n pages read by pages_read(). */
static void pages_count(const uint64_t *pfn, const uint64_t *kpf, size_t n, unsigned long pgoff,
			struct stats *st)
{
	size_t i, j;

	st->present = 0;
	st->thp = 0;
	st->head = 0;
	st->tail = 0;
	st->anon = 0;
	st->runs = 0;
	st->run_pages = 0;
	for (i = 0; i < n; i++) {
		st->present += !!pfn[i];
		st->thp += KPF(kpf[i], VL_KPF_THP);
		st->head += KPF(kpf[i], VL_KPF_COMPOUND_HEAD);
		st->tail += KPF(kpf[i], VL_KPF_COMPOUND_TAIL);
		st->anon += KPF(kpf[i], VL_KPF_ANON);
	}
	/* Each aligned 2 MiB of the file, as much of it as the mapping holds. */
	for (i = 0; i < n; i = j) {
		bool run = true;

		for (j = i; j < n && (pgoff + j) / PER_HPAGE == (pgoff + i) / PER_HPAGE; j++)
			run = run && pfn[j] && KPF(kpf[j], VL_KPF_THP) &&
			      pfn[j] % PER_HPAGE == (pgoff + j) % PER_HPAGE &&
			      pfn[j] == pfn[i] + (j - i);
		if (run) {
			st->runs++;
			st->run_pages += j - i;
		}
	}
}

/* smaps, kpageflags and runs of a mapping of @len bytes at file page @pgoff. */
static int measure(const char *p, size_t len, unsigned long pgoff, struct stats *st,
		   uint64_t *pfn_out)
{
	size_t n = len / PS;
	uint64_t *pfn = calloc(n, sizeof(*pfn)), *kpf = calloc(n, sizeof(*kpf));
	int ret = pfn && kpf ? 0 : -ENOMEM;

	if (!ret)
		ret = smaps_sum(p, len, st);
	if (!ret)
		ret = pages_read(p, n, pfn, kpf);
	if (!ret)
		pages_count(pfn, kpf, n, pgoff, st);
	if (!ret && pfn_out)
		memcpy(pfn_out, pfn, n * sizeof(*pfn));
	free(pfn);
	free(kpf);
	return ret;
}

static void touch(char *p, size_t len, bool write)
{
	size_t i;

	for (i = 0; i < len; i += PS) {
		if (write)
			p[i] = (char)(i / PS + 1);
		else
			(void)__atomic_load_n(p + i, __ATOMIC_RELAXED);
	}
}

/* The twin's mount: tmpfs with huge=@thp (plain tmpfs without THP); NULL for inherit. */
static char *twin_mount(unsigned int thp)
{
	char *dir, opt[32];

	if (thp == VMLAB_THP_INHERIT)
		return NULL;
	dir = strdup("/tmp/thp_twin.XXXXXX");
	if (!dir || !mkdtemp(dir))
		return NULL;
	snprintf(opt, sizeof(opt), "huge=%s", vl_thp_name(thp));
	if (mount("tmpfs", dir, "tmpfs", 0, have_thp() ? opt : NULL)) {
		rmdir(dir);
		free(dir);
		return NULL;
	}
	return dir;
}

static void twin_umount(char *dir)
{
	if (!dir)
		return;
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	free(dir);
}

/* A twin file of @size: on @dir's tmpfs (unlinked by twin_unlink()), or a memfd. */
static int twin_open(const char *dir, size_t size)
{
	char path[128];
	int fd;

	if (dir) {
		snprintf(path, sizeof(path), "%s/twin", dir);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	} else {
		fd = memfd_create("thp-twin", 0);
	}
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void twin_unlink(const char *dir)
{
	char path[128];

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/twin", dir);
	unlink(path);
}

/* An open file of vmlab for shared anonymous objects of policy @thp. */
static int anon_open(unsigned int thp)
{
	int fd = vl_open(O_RDWR), ret;

	if (fd < 0)
		return fd;
	ret = vl_select_thp(fd, thp);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * The pair a test compares: an open file of vmlab for shared anonymous
 * objects of policy @thp (*@fd), and its twin, a file of @size on a tmpfs
 * mounted with huge=@thp (*@tfd, on *@dir); the test fails at once when
 * either cannot be had.
 */
static void pair_open(struct __test_metadata *_metadata, unsigned int thp, size_t size,
		      char **dir, int *fd, int *tfd)
{
	*dir = twin_mount(thp);
	ASSERT_NE(NULL, *dir);
	*fd = anon_open(thp);
	ASSERT_LE(0, *fd);
	*tfd = twin_open(*dir, size);
	ASSERT_LE(0, *tfd);
}

/*
 * Map @len of @fd at a 2 MiB-aligned address (plus @skew bytes) of a
 * reservation of our own; *@res and *@res_len receive the reservation,
 * which munmap() takes away with the mapping.
 */
static char *map_at(size_t len, unsigned long skew, int prot, int flags, int fd,
		    char **res, size_t *res_len)
{
	char *r, *a, *p;

	*res_len = len + 2 * HPAGE;
	r = mmap(NULL, *res_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return MAP_FAILED;
	a = (char *)(((uintptr_t)r + HPAGE - 1) & ~(HPAGE - 1)) + skew;
	p = mmap(a, len, prot, flags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		munmap(r, *res_len);
		return MAP_FAILED;
	}
	*res = r;
	return p;
}

/* Free the store's pages (of size OBJ_SIZE): MADV_REMOVE of a shared mapping. */
static int store_free(int fd)
{
	unsigned char vec[OBJ_SIZE / PS];
	char *p = mmap(NULL, OBJ_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	size_t i;
	int ret = 0;

	if (p == MAP_FAILED)
		return -errno;
	if (madvise(p, OBJ_SIZE, MADV_REMOVE) || mincore(p, OBJ_SIZE, vec))
		ret = -errno;
	for (i = 0; !ret && i < sizeof(vec); i++)
		if (vec[i] & 1)
			ret = -EEXIST;
	munmap(p, OBJ_SIZE);
	return ret;
}

/*
 * Make the loaded vmlab's store OBJ_SIZE bytes with policy @thp (reload it
 * when it is not).  Return: 0, or -errno.
 */
static int store_policy(unsigned int thp)
{
	struct vmlab_info info;
	char args[64];
	int fd = vl_open(O_RDWR), ret;

	if (fd < 0)
		return fd;
	ret = vl_info(fd, &info);
	close(fd);
	if (ret)
		return ret;
	if (info.store_size == OBJ_SIZE && info.store_thp == thp && !info.has_backing)
		return 0;
	ret = vl_module_unload(5000);
	if (ret)
		return ret;
	snprintf(args, sizeof(args), "thp=%s store_size=%lu", vl_thp_name(thp), OBJ_SIZE);
	return vl_module_load(args);
}

/* ------------------------------------------------------------------ */
/* 1. The matrix: policy x madvise x alignment, four tests (kinds) each. */

enum kind { STORE_PRIVATE_READ, STORE_PRIVATE_WRITE, STORE_SHARED, SHARED_ANON };

static const char *const kind_names[] = {
	"store MAP_PRIVATE read", "store MAP_PRIVATE write", "store MAP_SHARED",
	"shared anon",
};

enum madv { MADV_NONE_, MADV_HUGE_, MADV_NOHUGE_ };

FIXTURE(matrix) {
	char *dir;
};

FIXTURE_VARIANT(matrix) {
	unsigned int thp;
	enum madv madv;
	bool misaligned;
};

/*
 * The variants: policy, madvise, alignment; grouped by policy (one reload
 * each), always last: the COW fixture below needs the store of thp=always.
 */

FIXTURE_VARIANT_ADD(matrix, never_none_aligned) {
	.thp = VMLAB_THP_NEVER,
	.madv = MADV_NONE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, never_none_misaligned) {
	.thp = VMLAB_THP_NEVER,
	.madv = MADV_NONE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, never_hugepage_aligned) {
	.thp = VMLAB_THP_NEVER,
	.madv = MADV_HUGE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, never_hugepage_misaligned) {
	.thp = VMLAB_THP_NEVER,
	.madv = MADV_HUGE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, never_nohugepage_aligned) {
	.thp = VMLAB_THP_NEVER,
	.madv = MADV_NOHUGE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, never_nohugepage_misaligned) {
	.thp = VMLAB_THP_NEVER,
	.madv = MADV_NOHUGE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, within_size_none_aligned) {
	.thp = VMLAB_THP_WITHIN_SIZE,
	.madv = MADV_NONE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, within_size_none_misaligned) {
	.thp = VMLAB_THP_WITHIN_SIZE,
	.madv = MADV_NONE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, within_size_hugepage_aligned) {
	.thp = VMLAB_THP_WITHIN_SIZE,
	.madv = MADV_HUGE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, within_size_hugepage_misaligned) {
	.thp = VMLAB_THP_WITHIN_SIZE,
	.madv = MADV_HUGE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, within_size_nohugepage_aligned) {
	.thp = VMLAB_THP_WITHIN_SIZE,
	.madv = MADV_NOHUGE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, within_size_nohugepage_misaligned) {
	.thp = VMLAB_THP_WITHIN_SIZE,
	.madv = MADV_NOHUGE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, advise_none_aligned) {
	.thp = VMLAB_THP_ADVISE,
	.madv = MADV_NONE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, advise_none_misaligned) {
	.thp = VMLAB_THP_ADVISE,
	.madv = MADV_NONE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, advise_hugepage_aligned) {
	.thp = VMLAB_THP_ADVISE,
	.madv = MADV_HUGE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, advise_hugepage_misaligned) {
	.thp = VMLAB_THP_ADVISE,
	.madv = MADV_HUGE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, advise_nohugepage_aligned) {
	.thp = VMLAB_THP_ADVISE,
	.madv = MADV_NOHUGE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, advise_nohugepage_misaligned) {
	.thp = VMLAB_THP_ADVISE,
	.madv = MADV_NOHUGE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, inherit_none_aligned) {
	.thp = VMLAB_THP_INHERIT,
	.madv = MADV_NONE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, inherit_none_misaligned) {
	.thp = VMLAB_THP_INHERIT,
	.madv = MADV_NONE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, inherit_hugepage_aligned) {
	.thp = VMLAB_THP_INHERIT,
	.madv = MADV_HUGE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, inherit_hugepage_misaligned) {
	.thp = VMLAB_THP_INHERIT,
	.madv = MADV_HUGE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, inherit_nohugepage_aligned) {
	.thp = VMLAB_THP_INHERIT,
	.madv = MADV_NOHUGE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, inherit_nohugepage_misaligned) {
	.thp = VMLAB_THP_INHERIT,
	.madv = MADV_NOHUGE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, always_none_aligned) {
	.thp = VMLAB_THP_ALWAYS,
	.madv = MADV_NONE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, always_none_misaligned) {
	.thp = VMLAB_THP_ALWAYS,
	.madv = MADV_NONE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, always_hugepage_aligned) {
	.thp = VMLAB_THP_ALWAYS,
	.madv = MADV_HUGE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, always_hugepage_misaligned) {
	.thp = VMLAB_THP_ALWAYS,
	.madv = MADV_HUGE_,
	.misaligned = true,
};

FIXTURE_VARIANT_ADD(matrix, always_nohugepage_aligned) {
	.thp = VMLAB_THP_ALWAYS,
	.madv = MADV_NOHUGE_,
	.misaligned = false,
};

FIXTURE_VARIANT_ADD(matrix, always_nohugepage_misaligned) {
	.thp = VMLAB_THP_ALWAYS,
	.madv = MADV_NOHUGE_,
	.misaligned = true,
};

FIXTURE_SETUP(matrix)
{
	int ret = store_policy(variant->thp);

	ASSERT_EQ(0, ret) {
		TH_LOG("load vmlab with thp=%s store_size=3M: %s", vl_thp_name(variant->thp),
		       strerror(-ret));
	}
	self->dir = NULL;
	if (variant->thp != VMLAB_THP_INHERIT) {
		self->dir = twin_mount(variant->thp);
		ASSERT_NE(NULL, self->dir) {
			TH_LOG("mount tmpfs huge=%s: %s", vl_thp_name(variant->thp),
			       strerror(errno));
		}
	}
	ASSERT_EQ(0, vmlab_ksft_one_cpu());
}

FIXTURE_TEARDOWN(matrix)
{
	twin_umount(self->dir);
}

/* One side of a comparison: its mapping and what it holds. */
struct side {
	char *p, *res;
	size_t res_len;
	bool null_aligned;	/* mmap(NULL) gave a 2 MiB-aligned address */
	int madv_ret;		/* madvise(2): 0 or errno */
	struct stats st;
};

/*
 * Map OBJ_SIZE of @fd with @flags as the variant says, madvise it, touch
 * every page, measure.  Return: 0, or -errno.
 */
static int cell_side(const FIXTURE_VARIANT(matrix) * variant, int fd, int flags, bool write,
		     const char *unlink_dir, struct side *s)
{
	int prot = PROT_READ | PROT_WRITE, advice;
	struct events e0, e1;
	char *p;

	memset(s, 0, sizeof(*s));
	if (!variant->misaligned) {
		p = mmap(NULL, OBJ_SIZE, prot, flags, fd, 0);
		if (p == MAP_FAILED)
			return -errno;
		s->null_aligned = aligned2m(p);
		munmap(p, OBJ_SIZE);
	}
	p = map_at(OBJ_SIZE, variant->misaligned ? PS : 0, prot, flags, fd, &s->res, &s->res_len);
	if (p == MAP_FAILED)
		return -errno;
	s->p = p;
	twin_unlink(unlink_dir);
	advice = variant->madv == MADV_HUGE_ ? MADV_HUGEPAGE :
		 variant->madv == MADV_NOHUGE_ ? MADV_NOHUGEPAGE : -1;
	if (advice >= 0)
		s->madv_ret = madvise(p, OBJ_SIZE, advice) ? errno : 0;
	events_read(&e0);
	touch(p, OBJ_SIZE, write);
	events_read(&e1);
	s->st.d_alloc = ev_delta(e0.alloc, e1.alloc);
	s->st.d_mapped = ev_delta(e0.mapped, e1.mapped);
	s->st.d_fallback = ev_delta(e0.fallback, e1.fallback);
	s->st.d_fallback_charge = ev_delta(e0.fallback_charge, e1.fallback_charge);
	return measure(p, OBJ_SIZE, 0, &s->st, NULL);
}

static void cell(struct __test_metadata *_metadata, FIXTURE_DATA(matrix) * self,
		 const FIXTURE_VARIANT(matrix) * variant, enum kind kind)
{
	bool write = kind != STORE_PRIVATE_READ;
	int flags = kind == STORE_PRIVATE_READ || kind == STORE_PRIVATE_WRITE ?
		    MAP_PRIVATE : MAP_SHARED;
	char vbuf[512], tbuf[512];
	struct side v, t;
	int fd, tfd, ret;
	bool pmd_expected;

	if (kind == SHARED_ANON) {
		fd = anon_open(variant->thp);
	} else {
		fd = vl_open(O_RDWR);
		ASSERT_LE(0, fd);
		ret = store_free(fd);
		ASSERT_EQ(0, ret) {
			TH_LOG("free the store (MADV_REMOVE, mincore): %s", strerror(-ret));
		}
	}
	ASSERT_LE(0, fd);
	tfd = twin_open(self->dir, OBJ_SIZE);
	ASSERT_LE(0, tfd);

	ret = cell_side(variant, fd, flags, write, NULL, &v);
	ASSERT_EQ(0, ret) TH_LOG("vmlab: %s", strerror(-ret));
	ret = cell_side(variant, tfd, flags, write, self->dir, &t);
	ASSERT_EQ(0, ret) TH_LOG("twin: %s", strerror(-ret));
	stats_format(&v.st, vbuf, sizeof(vbuf));
	stats_format(&t.st, tbuf, sizeof(tbuf));

	ksft_print_msg("%s thp=%s madv=%d %s: vmlab %s\n", kind_names[kind],
		       vl_thp_name(variant->thp), variant->madv,
		       variant->misaligned ? "misaligned" : "aligned", vbuf);
	EXPECT_TRUE(stats_equal(&v.st, &t.st)) {
		TH_LOG("%s, thp=%s: vmlab and its twin differ", kind_names[kind],
		       vl_thp_name(variant->thp));
		TH_LOG("vmlab: %s", vbuf);
		TH_LOG("twin:  %s", tbuf);
	}
	EXPECT_EQ(t.madv_ret, v.madv_ret) {
		TH_LOG("madvise: vmlab %s, twin %s", strerror(v.madv_ret), strerror(t.madv_ret));
	}
	EXPECT_EQ(t.null_aligned, v.null_aligned) {
		TH_LOG("mmap(NULL, 3M): vmlab %s 2 MiB-aligned, twin %s",
		       v.null_aligned ? "is" : "is not", t.null_aligned ? "is" : "is not");
	}
	/* Every THP page lies in a 2 MiB run: one folio, PFNs aligned and consecutive. */
	EXPECT_EQ(v.st.thp, v.st.run_pages) TH_LOG("vmlab: %s", vbuf);
	EXPECT_EQ(t.st.thp, t.st.run_pages) TH_LOG("twin: %s", tbuf);
	EXPECT_EQ(OBJ_SIZE / PS, v.st.present) TH_LOG("vmlab: %s", vbuf);

	if (!have_thp()) {
		/* No THP: base pages, no PMD, no THP events, and MADV_*HUGEPAGE is EINVAL. */
		EXPECT_EQ(0, v.st.thp + v.st.head + v.st.tail) TH_LOG("vmlab: %s", vbuf);
		EXPECT_EQ(0, t.st.thp + t.st.head + t.st.tail) TH_LOG("twin: %s", tbuf);
		EXPECT_EQ(0, v.st.shmem_pmd + v.st.file_pmd) TH_LOG("vmlab: %s", vbuf);
		EXPECT_EQ(-1, v.st.d_alloc);
		if (variant->madv != MADV_NONE_)
			EXPECT_EQ(EINVAL, v.madv_ret);
		EXPECT_FALSE(v.null_aligned && variant->misaligned);
		goto out;
	}
	/* Sanity of the comparison: the cells tmpfs maps with PMDs, and those it cannot. */
	pmd_expected = !variant->misaligned && kind != STORE_PRIVATE_WRITE &&
		       variant->madv != MADV_NOHUGE_ &&
		       (variant->thp == VMLAB_THP_ALWAYS || variant->thp == VMLAB_THP_WITHIN_SIZE ||
			(variant->thp == VMLAB_THP_ADVISE && variant->madv == MADV_HUGE_));
	if (pmd_expected)
		EXPECT_LE(2048, t.st.shmem_pmd) TH_LOG("twin: %s", tbuf);
	if (variant->thp == VMLAB_THP_NEVER || variant->madv == MADV_NOHUGE_ ||
	    variant->misaligned || kind == STORE_PRIVATE_WRITE)
		EXPECT_EQ(0, t.st.shmem_pmd) TH_LOG("twin: %s", tbuf);
	if (variant->thp == VMLAB_THP_NEVER || variant->madv == MADV_NOHUGE_)
		EXPECT_EQ(0, t.st.thp) TH_LOG("twin: %s", tbuf);
	if (kind == STORE_PRIVATE_WRITE)
		EXPECT_EQ(OBJ_SIZE / PS, v.st.anon) TH_LOG("vmlab: %s", vbuf);
out:
	munmap(v.res, v.res_len);
	munmap(t.res, t.res_len);
	close(fd);
	close(tfd);
}

TEST_F(matrix, store_private_read)
{
	cell(_metadata, self, variant, STORE_PRIVATE_READ);
}

TEST_F(matrix, store_private_write)
{
	cell(_metadata, self, variant, STORE_PRIVATE_WRITE);
}

TEST_F(matrix, store_shared)
{
	cell(_metadata, self, variant, STORE_SHARED);
}

TEST_F(matrix, shared_anon)
{
	cell(_metadata, self, variant, SHARED_ANON);
}

/* ------------------------------------------------------------------ */
/*
 * The tests below are TEST()s: the harness runs them first, before the
 * fixtures, with vmlab as loaded (the store's parameters play no part).
 */

/* The bracketed word of shmem_enabled, or "" without THP. */
static void shmem_policy(char *buf, size_t len)
{
	char text[256] = "", *a, *b;
	int fd = open(THP_SYSFS "/shmem_enabled", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);

	if (fd >= 0)
		close(fd);
	buf[0] = 0;
	if (n <= 0)
		return;
	text[n] = 0;
	a = strchr(text, '[');
	b = a ? strchr(a, ']') : NULL;
	if (a && b && (size_t)(b - a) < len) {
		memcpy(buf, a + 1, b - a - 1);
		buf[b - a - 1] = 0;
	}
}

/* 2. mmap(NULL, 4 MiB) of a shared anonymous object: placed as its twin is. */
TEST(placement_shared_anon)
{
	const size_t len = 4 * MB;
	char shmem[32];
	unsigned int thp;

	shmem_policy(shmem, sizeof(shmem));
	for (thp = VMLAB_THP_NEVER; thp <= VMLAB_THP_INHERIT; thp++) {
		char *dir = twin_mount(thp), *va, *ta;
		int fd = anon_open(thp), tfd;
		bool want;

		ASSERT_LE(0, fd);
		ASSERT_TRUE(dir || thp == VMLAB_THP_INHERIT);
		tfd = twin_open(dir, len);
		ASSERT_LE(0, tfd);
		ta = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
		ASSERT_NE(MAP_FAILED, ta);
		munmap(ta, len);
		va = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, va);
		munmap(va, len);
		/*
		 * tmpfs aligns where its policy may give a 2 MiB folio; for
		 * inherit (a memfd) that is shmem_enabled's policy, which a
		 * module cannot read: vmlab places inherit by default, the same
		 * while shmem_enabled is never (Debian's default) or deny.
		 */
		want = have_thp() && thp != VMLAB_THP_NEVER && thp != VMLAB_THP_INHERIT;
		EXPECT_EQ(want, aligned2m(va)) {
			TH_LOG("thp=%s: vmlab %p, twin %p", vl_thp_name(thp), va, ta);
		}
		if (thp != VMLAB_THP_INHERIT || !have_thp() || !strcmp(shmem, "never") ||
		    !strcmp(shmem, "deny")) {
			EXPECT_EQ(aligned2m(ta), aligned2m(va)) {
				TH_LOG("thp=%s (shmem_enabled %s): vmlab %p, twin %p",
				       vl_thp_name(thp), shmem, va, ta);
			}
		} else {
			ksft_print_msg("inherit with shmem_enabled=%s: vmlab %p, memfd %p\n",
				       shmem, va, ta);
		}
		close(fd);
		close(tfd);
		twin_umount(dir);
	}
}

/* What a faulting child in the tight cgroup saw (in shared memory). */
struct fallback_result {
	int err;		/* 0, or the -errno of a step */
	bool data_ok;		/* the touched pages read back what was written */
	struct stats st;
};

#define FALLBACK_PAGES	16

/*
 * In a child: map 2 MiB of @fd (policy always), join @cg, write
 * FALLBACK_PAGES pages, and report.
 */
static void fallback_child(int fd, const char *unlink_dir, const struct vl_memcg *cg,
			   struct fallback_result *r)
{
	char *p, *res;
	struct events e0, e1;
	size_t res_len, i;

	p = map_at(HPAGE, 0, PROT_READ | PROT_WRITE, MAP_SHARED, fd, &res, &res_len);
	if (p == MAP_FAILED) {
		r->err = -errno;
		return;
	}
	twin_unlink(unlink_dir);
	events_read(&e0);	/* fault in vmstat_value()'s buffer before joining */
	r->err = vl_memcg_join(cg);
	if (r->err)
		return;
	events_read(&e0);
	for (i = 0; i < FALLBACK_PAGES; i++)
		p[i * PS] = (char)(i + 1);
	events_read(&e1);
	r->st.d_alloc = ev_delta(e0.alloc, e1.alloc);
	r->st.d_mapped = ev_delta(e0.mapped, e1.mapped);
	r->st.d_fallback = ev_delta(e0.fallback, e1.fallback);
	r->st.d_fallback_charge = ev_delta(e0.fallback_charge, e1.fallback_charge);
	r->data_ok = true;
	for (i = 0; i < FALLBACK_PAGES; i++)
		r->data_ok = r->data_ok && p[i * PS] == (char)(i + 1);
	r->err = measure(p, HPAGE, 0, &r->st, NULL);
}

/*
 * 3. Fallback forced: a child in a memory cgroup whose memory.max (1 MiB)
 * cannot take a 2 MiB charge faults a region of policy always.  The
 * fault succeeds with base pages, and thp_file_fallback and
 * thp_file_fallback_charge count it, for vmlab as for the twin.
 */
TEST(fallback_memcg)
{
	struct vl_memcg memcg;
	struct fallback_result *r;
	char name[64];
	int ret, side;

	ret = vl_memcg_root(&memcg);
	if (ret) {
		vl_memcg_destroy(&memcg);
		SKIP(return, "no memory cgroup v2 with memory for its children: %s",
		     ret == -ENODEV ? "no memory controller (no memcg, or bound to cgroup v1)" :
		     strerror(-ret));
	}
	snprintf(name, sizeof(name), "thp_test.%d", getpid());
	ret = vl_memcg_make(&memcg, name, 1048576);
	EXPECT_EQ(0, ret) TH_LOG("%s (memory.max 1M): %s", memcg.path, strerror(-ret));

	r = mmap(NULL, 2 * sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	memset(r, 0, 2 * sizeof(*r));
	for (side = 0; !ret && side < 2; side++) {
		char *dir = side ? twin_mount(VMLAB_THP_ALWAYS) : NULL;
		int fd = side ? twin_open(dir, HPAGE) : anon_open(VMLAB_THP_ALWAYS), status;
		pid_t pid;

		ASSERT_LE(0, fd);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			fallback_child(fd, dir, &memcg, &r[side]);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
			TH_LOG("%s child: status %#x (a fault that failed kills it)",
			       side ? "twin" : "vmlab", status);
		}
		close(fd);
		twin_umount(dir);
	}
	for (side = 0; side < 2; side++) {
		const char *who = side ? "twin" : "vmlab";
		char buf[512];

		stats_format(&r[side].st, buf, sizeof(buf));
		EXPECT_EQ(0, r[side].err) TH_LOG("%s: %s", who, strerror(-r[side].err));
		EXPECT_TRUE(r[side].data_ok);
		EXPECT_EQ(FALLBACK_PAGES, r[side].st.present) TH_LOG("%s: %s", who, buf);
		EXPECT_EQ(0, r[side].st.thp + r[side].st.head + r[side].st.tail)
			TH_LOG("%s: %s", who, buf);
		EXPECT_EQ(0, r[side].st.shmem_pmd) TH_LOG("%s: %s", who, buf);
		if (have_thp()) {
			EXPECT_LE(1, r[side].st.d_fallback) TH_LOG("%s: %s", who, buf);
			EXPECT_LE(1, r[side].st.d_fallback_charge)
				TH_LOG("%s: %s", who, buf);
			EXPECT_EQ(0, r[side].st.d_alloc) TH_LOG("%s: %s", who, buf);
		} else {
			EXPECT_EQ(-1, r[side].st.d_fallback);
		}
	}
	{
		char vb[512];

		stats_format(&r[0].st, vb, sizeof(vb));
		ksft_print_msg("fallback: vmlab %s\n", vb);
	}
	EXPECT_TRUE(stats_equal(&r[0].st, &r[1].st)) {
		char vb[512], tb[512];

		stats_format(&r[0].st, vb, sizeof(vb));
		stats_format(&r[1].st, tb, sizeof(tb));
		TH_LOG("vmlab: %s", vb);
		TH_LOG("twin:  %s", tb);
	}
	munmap(r, 2 * sizeof(*r));
	ret = vl_memcg_destroy(&memcg);
	EXPECT_EQ(0, ret) TH_LOG("rmdir of the child cgroup: %s", strerror(-ret));
}

#define SPLIT_LEN	(4 * MB)
#define SPLIT_HOLE	64			/* munmap'ed page of the first 2 MiB */
#define SPLIT_RO	(PER_HPAGE + 64)	/* mprotect'ed page of the second */

struct split_result {
	struct stats before, after;
	unsigned int present_after_cut;	/* present before the pieces are touched again */
	unsigned int same_pfn;		/* pages (but the hole) at their PFN of before */
	unsigned int thp, head, tail;	/* kpageflags of those pages after */
};

static int split_side(int fd, const char *dir, struct split_result *r)
{
	size_t n = SPLIT_LEN / PS, res_len, i;
	uint64_t *pfn0 = calloc(n, 8), *pfn1 = calloc(n, 8), *kpf = calloc(n, 8);
	char *p, *res;
	int ret = -ENOMEM;

	memset(r, 0, sizeof(*r));
	if (!pfn0 || !pfn1 || !kpf)
		goto out;
	p = map_at(SPLIT_LEN, 0, PROT_READ | PROT_WRITE, MAP_SHARED, fd, &res, &res_len);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	twin_unlink(dir);
	touch(p, SPLIT_LEN, true);
	ret = measure(p, SPLIT_LEN, 0, &r->before, pfn0);
	if (!ret && (munmap(p + SPLIT_HOLE * PS, PS) ||
		     mprotect(p + SPLIT_RO * PS, PS, PROT_READ)))
		ret = -errno;
	if (!ret)
		ret = pages_read(p, n, pfn1, kpf);
	for (i = 0; !ret && i < n; i++)
		r->present_after_cut += !!pfn1[i];
	for (i = 0; !ret && i < n; i++)
		if (i != SPLIT_HOLE)
			(void)__atomic_load_n(p + i * PS, __ATOMIC_RELAXED);
	if (!ret)
		ret = measure(p, SPLIT_LEN, 0, &r->after, NULL);
	if (!ret)
		ret = pages_read(p, n, pfn1, kpf);
	for (i = 0; !ret && i < n; i++) {
		if (i == SPLIT_HOLE)
			continue;
		r->same_pfn += pfn1[i] && pfn1[i] == pfn0[i];
		r->thp += KPF(kpf[i], VL_KPF_THP);
		r->head += KPF(kpf[i], VL_KPF_COMPOUND_HEAD);
		r->tail += KPF(kpf[i], VL_KPF_COMPOUND_TAIL);
	}
	munmap(res, res_len);
out:
	free(pfn0);
	free(pfn1);
	free(kpf);
	return ret;
}

/* The THP lines of /proc/meminfo, in kB (-1 each when the kernel has none). */
struct meminfo_thp {
	long long shmem_huge, shmem_pmd, huge_free;
};

static void meminfo_thp_read(struct meminfo_thp *m)
{
	if (vl_meminfo_field("ShmemHugePages", &m->shmem_huge))
		m->shmem_huge = -1;
	if (vl_meminfo_field("ShmemPmdMapped", &m->shmem_pmd))
		m->shmem_pmd = -1;
	if (vl_meminfo_field("HugePages_Free", &m->huge_free))
		m->huge_free = -1;
}

/*
 * /proc/meminfo moves for vmlab's THPs as for the twin's: ShmemHugePages and
 * ShmemPmdMapped by 4096 kB for a written 4 MiB of policy always (0 without
 * THP), HugePages_Free (the hugetlb pool) not at all.
 */
TEST(meminfo_moves)
{
	char *dir = twin_mount(VMLAB_THP_ALWAYS), *res[2], *p[2];
	struct meminfo_thp m[3];
	long long want = have_thp() ? 4096 : 0;
	size_t res_len[2];
	int fd[2], side;

	ASSERT_NE(NULL, dir);
	fd[0] = anon_open(VMLAB_THP_ALWAYS);
	fd[1] = twin_open(dir, 2 * HPAGE);
	ASSERT_LE(0, fd[0]);
	ASSERT_LE(0, fd[1]);
	for (side = 0; side < 2; side++) {
		p[side] = map_at(2 * HPAGE, 0, PROT_READ | PROT_WRITE, MAP_SHARED, fd[side],
				 &res[side], &res_len[side]);
		ASSERT_NE(MAP_FAILED, p[side]);
	}
	twin_unlink(dir);
	meminfo_thp_read(&m[0]);
	touch(p[0], 2 * HPAGE, true);
	meminfo_thp_read(&m[1]);
	touch(p[1], 2 * HPAGE, true);
	meminfo_thp_read(&m[2]);
	TH_LOG("ShmemHugePages: vmlab %+lld kB, twin %+lld kB",
	       m[1].shmem_huge - m[0].shmem_huge, m[2].shmem_huge - m[1].shmem_huge);
	TH_LOG("ShmemPmdMapped: vmlab %+lld kB, twin %+lld kB",
	       m[1].shmem_pmd - m[0].shmem_pmd, m[2].shmem_pmd - m[1].shmem_pmd);
	TH_LOG("HugePages_Free: vmlab %+lld, twin %+lld", m[1].huge_free - m[0].huge_free,
	       m[2].huge_free - m[1].huge_free);
	EXPECT_EQ(want, m[1].shmem_huge - m[0].shmem_huge);
	EXPECT_EQ(want, m[2].shmem_huge - m[1].shmem_huge);
	EXPECT_EQ(want, m[1].shmem_pmd - m[0].shmem_pmd);
	EXPECT_EQ(want, m[2].shmem_pmd - m[1].shmem_pmd);
	EXPECT_EQ(0, m[1].huge_free - m[0].huge_free);
	EXPECT_EQ(0, m[2].huge_free - m[1].huge_free);
	for (side = 0; side < 2; side++) {
		munmap(res[side], res_len[side]);
		close(fd[side]);
	}
	twin_umount(dir);
}

/*
 * 4. munmap(2) of 4 KiB in one PMD-mapped 2 MiB and mprotect(2) of 4 KiB
 * in another: the rest of each is served again, once touched, by 4 KiB
 * entries of the same folio (same PFNs, compound head and tails).
 */
TEST(split_munmap_mprotect)
{
	char *dir, vb[512], tb[512];
	struct split_result v, t;
	int fd, tfd, ret;

	pair_open(_metadata, VMLAB_THP_ALWAYS, SPLIT_LEN, &dir, &fd, &tfd);
	ret = split_side(fd, NULL, &v);
	ASSERT_EQ(0, ret) TH_LOG("vmlab: %s", strerror(-ret));
	ret = split_side(tfd, dir, &t);
	ASSERT_EQ(0, ret) TH_LOG("twin: %s", strerror(-ret));

	stats_format(&v.before, vb, sizeof(vb));
	stats_format(&t.before, tb, sizeof(tb));
	EXPECT_TRUE(stats_equal(&v.before, &t.before)) {
		TH_LOG("before: vmlab %s", vb);
		TH_LOG("before: twin  %s", tb);
	}
	stats_format(&v.after, vb, sizeof(vb));
	stats_format(&t.after, tb, sizeof(tb));
	EXPECT_TRUE(stats_equal(&v.after, &t.after)) {
		TH_LOG("after: vmlab %s", vb);
		TH_LOG("after: twin  %s", tb);
	}
	EXPECT_EQ(t.present_after_cut, v.present_after_cut);
	EXPECT_EQ(SPLIT_LEN / PS - 1, v.same_pfn);
	EXPECT_EQ(SPLIT_LEN / PS - 1, t.same_pfn);
	EXPECT_EQ(t.thp, v.thp);
	EXPECT_EQ(t.head, v.head);
	EXPECT_EQ(t.tail, v.tail);
	if (have_thp()) {
		EXPECT_EQ(4096, v.before.shmem_pmd);
		EXPECT_EQ(0, v.after.shmem_pmd) TH_LOG("vmlab after: %s", vb);
		EXPECT_EQ(SPLIT_LEN / PS - 1, v.thp);
		EXPECT_EQ(2, v.head);
		EXPECT_EQ(SPLIT_LEN / PS - 3, v.tail);
	} else {
		EXPECT_EQ(0, v.thp + v.head + v.tail);
	}
	ksft_print_msg("split: present after the cut, before touching again: vmlab %u, twin %u\n",
		       v.present_after_cut, t.present_after_cut);
	close(fd);
	close(tfd);
	twin_umount(dir);
}

#define FORK_LEN	(4 * MB)

struct fork_result {
	int err;
	struct stats parent, child_before, child_after;
	unsigned int same_pfn;		/* child's pages at the parent's PFNs */
};

static void fork_side(int fd, const char *dir, struct fork_result *r)
{
	size_t n = FORK_LEN / PS, res_len, i;
	uint64_t *pfn0 = calloc(n, 8), *pfn1 = calloc(n, 8);
	char *p, *res;
	int status;
	pid_t pid;

	r->err = -ENOMEM;
	if (!pfn0 || !pfn1)
		return;
	p = map_at(FORK_LEN, 0, PROT_READ | PROT_WRITE, MAP_SHARED, fd, &res, &res_len);
	r->err = p == MAP_FAILED ? -errno : 0;
	if (r->err)
		return;
	twin_unlink(dir);
	touch(p, FORK_LEN, true);
	r->err = measure(p, FORK_LEN, 0, &r->parent, pfn0);
	pid = r->err ? -1 : fork();
	if (!pid) {
		r->err = measure(p, FORK_LEN, 0, &r->child_before, NULL);
		touch(p, FORK_LEN, false);
		if (!r->err)
			r->err = measure(p, FORK_LEN, 0, &r->child_after, pfn1);
		for (i = 0; i < n; i++)
			r->same_pfn += pfn1[i] && pfn1[i] == pfn0[i];
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		r->err = r->err ?: -ECHILD;
	munmap(res, res_len);
	free(pfn0);
	free(pfn1);
}

/*
 * 5. A fork child of a PMD-mapped shared object sees the same pages, as
 * the twin's child does (a shared file mapping's page table is not copied
 * at fork: the child faults it in, with PMDs again).
 */
TEST(fork_shared)
{
	static const char *const what[] = {
		"parent", "child before touching", "child after touching",
	};
	struct fork_result *r;
	int fd, tfd, i;
	char *dir;

	pair_open(_metadata, VMLAB_THP_ALWAYS, FORK_LEN, &dir, &fd, &tfd);
	r = mmap(NULL, 2 * sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	memset(r, 0, 2 * sizeof(*r));
	fork_side(fd, NULL, &r[0]);
	fork_side(tfd, dir, &r[1]);
	ASSERT_EQ(0, r[0].err) TH_LOG("vmlab: %s", strerror(-r[0].err));
	ASSERT_EQ(0, r[1].err) TH_LOG("twin: %s", strerror(-r[1].err));
	for (i = 0; i < 3; i++) {
		const struct stats *v = i == 0 ? &r[0].parent : i == 1 ? &r[0].child_before :
					&r[0].child_after;
		const struct stats *t = i == 0 ? &r[1].parent : i == 1 ? &r[1].child_before :
					&r[1].child_after;
		char vb[512], tb[512];

		stats_format(v, vb, sizeof(vb));
		stats_format(t, tb, sizeof(tb));
		EXPECT_TRUE(stats_equal(v, t)) {
			TH_LOG("%s: vmlab %s", what[i], vb);
			TH_LOG("%s: twin  %s", what[i], tb);
		}
	}
	EXPECT_EQ(FORK_LEN / PS, r[0].same_pfn);
	EXPECT_EQ(FORK_LEN / PS, r[1].same_pfn);
	if (have_thp()) {
		EXPECT_EQ(4096, r[0].parent.shmem_pmd);
		EXPECT_EQ(4096, r[0].child_after.shmem_pmd);
	}
	munmap(r, 2 * sizeof(*r));
	close(fd);
	close(tfd);
	twin_umount(dir);
}

#define COLLAPSE_LEN	(4 * MB)

struct collapse_side {
	char *p, *res;
	size_t res_len;
	int ret;		/* madvise(2): 0 or errno */
	bool data_ok;
	struct stats before, after;
};

/* Map COLLAPSE_LEN of @fd 2 MiB-aligned and write every page: base pages. */
static int collapse_map(int fd, const char *dir, struct collapse_side *s)
{
	memset(s, 0, sizeof(*s));
	s->p = map_at(COLLAPSE_LEN, 0, PROT_READ | PROT_WRITE, MAP_SHARED, fd, &s->res,
		      &s->res_len);
	if (s->p == MAP_FAILED)
		return -errno;
	twin_unlink(dir);
	touch(s->p, COLLAPSE_LEN, true);
	return measure(s->p, COLLAPSE_LEN, 0, &s->before, NULL);
}

/*
 * The pair of pair_open() for policy @thp, each side's COLLAPSE_LEN mapped
 * and written with base pages by collapse_map() (@v vmlab's, @t the twin's).
 */
static void collapse_pair(struct __test_metadata *_metadata, unsigned int thp, char **dir,
			  int *fd, int *tfd, struct collapse_side *v, struct collapse_side *t)
{
	int ret;

	pair_open(_metadata, thp, COLLAPSE_LEN, dir, fd, tfd);
	ret = collapse_map(*fd, NULL, v);
	ASSERT_EQ(0, ret) TH_LOG("vmlab: %s", strerror(-ret));
	ret = collapse_map(*tfd, *dir, t);
	ASSERT_EQ(0, ret) TH_LOG("twin: %s", strerror(-ret));
}

static int collapse_check(struct collapse_side *s)
{
	size_t i;

	touch(s->p, COLLAPSE_LEN, false);
	s->data_ok = true;
	for (i = 0; i < COLLAPSE_LEN; i += PS)
		s->data_ok = s->data_ok && s->p[i] == (char)(i / PS + 1);
	return measure(s->p, COLLAPSE_LEN, 0, &s->after, NULL);
}

static void collapse_report(const char *what, unsigned int thp, const struct collapse_side *s)
{
	ksft_print_msg("%s thp=%s: madvise %s; before: thp %u shmem_pmd %lld; "
		       "after: thp %u runs %u shmem_pmd %lld; data %s\n",
		       what, vl_thp_name(thp), s->ret ? strerror(s->ret) : "0",
		       s->before.thp, s->before.shmem_pmd, s->after.thp, s->after.runs,
		       s->after.shmem_pmd, s->data_ok ? "intact" : "CHANGED");
}

/*
 * What was measured on Debian's 6.1 and 6.12 (and is asserted here): vmlab's
 * range collapses as the twin's does, policy never and advise alike
 * (MADV_COLLAPSE ignores the policy, as for tmpfs: shmem_is_huge() or
 * shmem_allowable_huge_orders() with shmem_huge_force): madvise returns 0,
 * each 2 MiB becomes one 2 MiB folio in the object's page cache, and the
 * next touch maps it with one PMD.  On the RT kernel (no THP)
 * MADV_COLLAPSE fails with EINVAL on both and nothing changes.
 */
static void collapse_expect(struct __test_metadata *_metadata, const struct collapse_side *v,
			    const struct collapse_side *t)
{
	EXPECT_EQ(t->ret, v->ret);
	EXPECT_EQ(t->after.thp, v->after.thp);
	EXPECT_EQ(t->after.runs, v->after.runs);
	EXPECT_EQ(t->after.shmem_pmd, v->after.shmem_pmd);
	if (have_thp()) {
		EXPECT_EQ(0, v->ret) TH_LOG("vmlab: %s", strerror(v->ret));
		EXPECT_EQ(COLLAPSE_LEN / PS, v->after.thp);
		EXPECT_EQ(COLLAPSE_LEN / HPAGE, v->after.runs);
		EXPECT_EQ(COLLAPSE_LEN / 1024, v->after.shmem_pmd);
	} else {
		EXPECT_EQ(EINVAL, v->ret);
		EXPECT_EQ(0, v->after.thp + v->after.shmem_pmd);
	}
}

/*
 * After a collapse by @what of vmlab's range @v and its twin's @t: read
 * both again, print them, and check the data, that every THP page lies in
 * a 2 MiB run, and that the two sides agree (collapse_expect()).
 */
static void collapse_verify(struct __test_metadata *_metadata, const char *what,
			    unsigned int thp, struct collapse_side *v, struct collapse_side *t)
{
	char label[64];

	ASSERT_EQ(0, collapse_check(v));
	ASSERT_EQ(0, collapse_check(t));
	snprintf(label, sizeof(label), "%s vmlab", what);
	collapse_report(label, thp, v);
	snprintf(label, sizeof(label), "%s twin ", what);
	collapse_report(label, thp, t);
	EXPECT_TRUE(v->data_ok);
	EXPECT_TRUE(t->data_ok);
	EXPECT_EQ(v->after.thp, v->after.run_pages);
	EXPECT_EQ(t->after.thp, t->after.run_pages);
	collapse_expect(_metadata, v, t);
}

/*
 * 7a. MADV_COLLAPSE (6.1+) of a range populated with base pages, policy
 * never and advise: what the kernel does with vmlab's range and with the
 * twin's.
 */
TEST(madv_collapse)
{
	static const unsigned int policies[] = { VMLAB_THP_NEVER, VMLAB_THP_ADVISE };
	unsigned int k;

	for (k = 0; k < 2; k++) {
		unsigned int thp = policies[k];
		struct collapse_side v, t;
		int fd, tfd;
		char *dir;

		collapse_pair(_metadata, thp, &dir, &fd, &tfd, &v, &t);
		EXPECT_EQ(0, v.before.thp);
		EXPECT_EQ(0, t.before.thp);
		v.ret = madvise(v.p, COLLAPSE_LEN, MADV_COLLAPSE) ? errno : 0;
		t.ret = madvise(t.p, COLLAPSE_LEN, MADV_COLLAPSE) ? errno : 0;
		collapse_verify(_metadata, "MADV_COLLAPSE", thp, &v, &t);
		munmap(v.res, v.res_len);
		munmap(t.res, t.res_len);
		close(fd);
		close(tfd);
		twin_umount(dir);
	}
}

static long long sysfs_num(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 ? strtoll(buf, NULL, 10) : -1;
}

static void sysfs_set(const char *path, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	vl_write_file(path, buf);
}

/*
 * 7b. khugepaged: policy advise, populated with base pages, then
 * MADV_HUGEPAGE; khugepaged is made to scan fast and the test waits for
 * two full scans (a guard of 90 s fails the test when it does not scan).
 * MADV_HUGEPAGE is given twice: 6.1 decides whether to hand the mm to
 * khugepaged (khugepaged_enter_vma() -> shmem_is_huge()) from the VMA's
 * flags of before the call, so for huge=advise only a second call does;
 * the same for vmlab's range as for the twin's.  A fixture for the
 * timeout: full scans are slow in a TCG guest.
 */
FIXTURE(khugepaged) {
	int unused;
};

FIXTURE_SETUP(khugepaged)
{
}

FIXTURE_TEARDOWN(khugepaged)
{
}

TEST_F_TIMEOUT(khugepaged, advise_base_pages, 120)
{
	static const char *const knobs[] = {
		KHUGEPAGED "/scan_sleep_millisecs", KHUGEPAGED "/alloc_sleep_millisecs",
		KHUGEPAGED "/pages_to_scan",
	};
	static const long long fast[] = { 10, 10, 8192 };
	long long saved[3], scans0, scans = 0;
	struct collapse_side v, t;
	struct timespec t0, now;
	int fd, tfd, i;
	char *dir;

	collapse_pair(_metadata, VMLAB_THP_ADVISE, &dir, &fd, &tfd, &v, &t);
	for (i = 0; i < 2; i++) {
		v.ret = madvise(v.p, COLLAPSE_LEN, MADV_HUGEPAGE) ? errno : 0;
		t.ret = madvise(t.p, COLLAPSE_LEN, MADV_HUGEPAGE) ? errno : 0;
	}
	EXPECT_EQ(t.ret, v.ret);
	if (!have_thp()) {
		EXPECT_EQ(EINVAL, v.ret);
		ASSERT_EQ(0, collapse_check(&v));
		EXPECT_EQ(0, v.after.thp);
		goto out;
	}
	for (i = 0; i < 3; i++) {
		saved[i] = sysfs_num(knobs[i]);
		sysfs_set(knobs[i], fast[i]);
	}
	scans0 = sysfs_num(KHUGEPAGED "/full_scans");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		usleep(20000);
		scans = sysfs_num(KHUGEPAGED "/full_scans");
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (scans < scans0 + 2 && now.tv_sec - t0.tv_sec < 90);
	for (i = 0; i < 3; i++)
		sysfs_set(knobs[i], saved[i]);
	ASSERT_LE(scans0 + 2, scans) TH_LOG("khugepaged made no two full scans in 90 s");
	ksft_print_msg("khugepaged: 2 full scans in %ld s\n", (long)(now.tv_sec - t0.tv_sec));
	collapse_verify(_metadata, "khugepaged", VMLAB_THP_ADVISE, &v, &t);
out:
	munmap(v.res, v.res_len);
	munmap(t.res, t.res_len);
	close(fd);
	close(tfd);
	twin_umount(dir);
}

/* ------------------------------------------------------------------ */
/* 6. Private COW over the store's huge folio (thp=always). */

FIXTURE(cow) {
	char *dir;
};

FIXTURE_SETUP(cow)
{
	int ret = store_policy(VMLAB_THP_ALWAYS);

	ASSERT_EQ(0, ret) TH_LOG("load vmlab with thp=always store_size=3M: %s", strerror(-ret));
	self->dir = twin_mount(VMLAB_THP_ALWAYS);
	ASSERT_NE(NULL, self->dir) TH_LOG("mount tmpfs huge=always: %s", strerror(errno));
	ASSERT_EQ(0, vmlab_ksft_one_cpu());
}

FIXTURE_TEARDOWN(cow)
{
	twin_umount(self->dir);
}

#define COW_PAGE	100
#define COW_LEN		HPAGE

/* What a 4 KiB write did to a read, PMD-mapped private mapping of a huge folio. */
struct cow_result {
	struct stats before, after;
	unsigned int same_pfn;		/* other pages: PFN as before the write */
	unsigned int other_thp;		/* other pages: THP in kpageflags */
	bool written_anon, written_thp, written_moved;
	bool data_ok;			/* the mapping reads the write, the file does not */
};

static int cow_side(int fd, const char *unlink_dir, struct cow_result *r)
{
	uint64_t *pfn0 = calloc(COW_LEN / PS, 8), *pfn1 = calloc(COW_LEN / PS, 8);
	uint64_t *kpf = calloc(COW_LEN / PS, 8);
	char *p, *res, c = 1;
	size_t res_len, i;
	int ret = -ENOMEM;

	memset(r, 0, sizeof(*r));
	if (!pfn0 || !pfn1 || !kpf)
		goto out;
	p = map_at(COW_LEN, 0, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, &res, &res_len);
	ret = -errno;
	if (p == MAP_FAILED)
		goto out;
	twin_unlink(unlink_dir);
	touch(p, COW_LEN, false);
	ret = measure(p, COW_LEN, 0, &r->before, pfn0);
	if (ret)
		goto unmap;
	p[COW_PAGE * PS] = 0x5a;
	touch(p, COW_LEN, false);
	ret = measure(p, COW_LEN, 0, &r->after, pfn1);
	if (!ret)
		ret = pages_read(p, COW_LEN / PS, pfn1, kpf);
	if (ret)
		goto unmap;
	for (i = 0; i < COW_LEN / PS; i++) {
		if (i == COW_PAGE) {
			r->written_anon = KPF(kpf[i], VL_KPF_ANON);
			r->written_thp = KPF(kpf[i], VL_KPF_THP);
			r->written_moved = pfn1[i] && pfn1[i] != pfn0[i];
			continue;
		}
		r->same_pfn += pfn1[i] && pfn1[i] == pfn0[i];
		r->other_thp += KPF(kpf[i], VL_KPF_THP);
	}
	r->data_ok = p[COW_PAGE * PS] == 0x5a &&
		     pread(fd, &c, 1, COW_PAGE * PS) == 1 && c == 0;
unmap:
	munmap(res, res_len);
out:
	free(pfn0);
	free(pfn1);
	free(kpf);
	return ret;
}

TEST_F(cow, private_write_copies_4k)
{
	char vb[512], tb[512], vb2[512], tb2[512];
	struct cow_result v, t;
	int fd, tfd, ret;

	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	ret = store_free(fd);
	ASSERT_EQ(0, ret) TH_LOG("free the store: %s", strerror(-ret));
	tfd = twin_open(self->dir, OBJ_SIZE);
	ASSERT_LE(0, tfd);
	ret = cow_side(fd, NULL, &v);
	ASSERT_EQ(0, ret) TH_LOG("vmlab: %s", strerror(-ret));
	ret = cow_side(tfd, self->dir, &t);
	ASSERT_EQ(0, ret) TH_LOG("twin: %s", strerror(-ret));
	stats_format(&v.before, vb, sizeof(vb));
	stats_format(&t.before, tb, sizeof(tb));
	stats_format(&v.after, vb2, sizeof(vb2));
	stats_format(&t.after, tb2, sizeof(tb2));

	EXPECT_TRUE(stats_equal(&v.before, &t.before)) {
		TH_LOG("before the write: vmlab %s", vb);
		TH_LOG("before the write: twin  %s", tb);
	}
	EXPECT_TRUE(stats_equal(&v.after, &t.after)) {
		TH_LOG("after the write: vmlab %s", vb2);
		TH_LOG("after the write: twin  %s", tb2);
	}
	/* The written page: a 4 KiB anonymous copy, no THP; the others: the store's folio. */
	EXPECT_TRUE(v.written_anon && !v.written_thp && v.written_moved) {
		TH_LOG("vmlab's written page: anon %d thp %d moved %d", v.written_anon,
		       v.written_thp, v.written_moved);
	}
	EXPECT_TRUE(t.written_anon && !t.written_thp && t.written_moved) {
		TH_LOG("twin's written page: anon %d thp %d moved %d", t.written_anon,
		       t.written_thp, t.written_moved);
	}
	EXPECT_EQ(COW_LEN / PS - 1, v.same_pfn);
	EXPECT_EQ(t.same_pfn, v.same_pfn);
	EXPECT_EQ(t.other_thp, v.other_thp);
	EXPECT_TRUE(v.data_ok);
	EXPECT_TRUE(t.data_ok);
	EXPECT_EQ(1, v.after.anon) TH_LOG("vmlab after: %s", vb2);
	if (have_thp()) {
		EXPECT_EQ(2048, v.before.shmem_pmd) TH_LOG("vmlab before: %s", vb);
		EXPECT_EQ(COW_LEN / PS - 1, v.other_thp);
		EXPECT_EQ(0, v.after.shmem_pmd + v.after.anon_huge) TH_LOG("vmlab after: %s", vb2);
	} else {
		EXPECT_EQ(0, v.other_thp);
		EXPECT_EQ(0, v.before.shmem_pmd) TH_LOG("vmlab before: %s", vb);
	}
	close(fd);
	close(tfd);
}

/* ------------------------------------------------------------------ */
/* Last: vmlab with its default parameters again. */

FIXTURE(restore) {
	int unused;
};

FIXTURE_SETUP(restore)
{
}

FIXTURE_TEARDOWN(restore)
{
}

TEST_F(restore, default_parameters)
{
	struct vmlab_info info;
	int fd;

	vmlab_ksft_reload_default("");
	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_info(fd, &info));
	EXPECT_EQ(VMLAB_THP_INHERIT, info.store_thp);
	EXPECT_EQ(64 * MB, info.store_size);
	close(fd);
}

TEST_HARNESS_MAIN
