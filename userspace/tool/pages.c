// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tool: what a range of a process's pages is, from pagemap and
 * kpageflags, and which page-table level maps it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagemap.h"
#include "pages.h"
#include "tool.h"
#include "touch.h"

#define KPF(bit)	(UINT64_C(1) << (bit))

/*
 * PAGEMAP_SCAN of <linux/fs.h> (6.7 and later), which the build host's
 * headers may not have; the ABI is fixed.
 */
struct vl_page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};

struct vl_pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

#define VL_PAGEMAP_SCAN		_IOWR('f', 16, struct vl_pm_scan_arg)
#define VL_PAGE_IS_PRESENT	0x08	/* bit 3 */
#define VL_PAGE_IS_HUGE		0x40	/* bit 6 */

static const char *const kind_names[PK_NR] = {
	[PK_NONE] = "none", [PK_SWAP] = "swap", [PK_UNKNOWN] = "unknown",
	[PK_ZERO] = "zero", [PK_ANON] = "anon", [PK_KSM] = "ksm",
	[PK_PAGECACHE] = "page-cache", [PK_SHMEM] = "shmem",
	[PK_HUGETLB] = "hugetlb", [PK_THP] = "thp", [PK_OTHER] = "other",
};

const char *page_kind_name(enum page_kind k)
{
	return k < PK_NR ? kind_names[k] : "?";
}

const char *map_level_name(enum map_level l)
{
	static const char *const names[] = { "none", "pte", "pmd", "pud", "unknown" };

	return l <= MAP_UNKNOWN ? names[l] : "?";
}

int pages_open(struct pages_reader *r, pid_t pid)
{
	r->pid = pid;
	r->pm_fd = vl_pagemap_open(pid);
	if (r->pm_fd < 0)
		return r->pm_fd;
	r->kpf_fd = vl_kpageflags_open();
	if (r->kpf_fd < 0)
		r->kpf_fd = -1;
	r->pfns = vl_have_pfns();
	return 0;
}

void pages_close(struct pages_reader *r)
{
	if (r->pm_fd >= 0)
		close(r->pm_fd);
	if (r->kpf_fd >= 0)
		close(r->kpf_fd);
	r->pm_fd = -1;
	r->kpf_fd = -1;
}

int pages_own_pfns(const void *addr, size_t n, uint64_t *pfns)
{
	int pm = vl_pagemap_open(0), ret;
	size_t i;

	if (pm < 0)
		return pm;
	ret = vl_pagemap_read(pm, (unsigned long)addr, n, pfns);
	close(pm);
	for (i = 0; i < n; i++) {
		struct vl_pm d = vl_pm_decode(ret ? 0 : pfns[i]);

		pfns[i] = d.present ? d.pfn : 0;
	}
	return ret;
}

bool pages_ksm_flag_unreliable(void)
{
	static int unreliable = -1;
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t pfn = 0, kpf = 0;
	int kfd;
	char *p;

	if (unreliable >= 0)
		return unreliable;
	unreliable = 0;
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	vl_write_byte(p, 1);
	kfd = vl_kpageflags_open();
	if (kfd >= 0 && !pages_own_pfns(p, 1, &pfn) && pfn &&
	    !vl_kpageflags_read(kfd, pfn, 1, &kpf))
		unreliable = (kpf & KPF(VL_KPF_ANON)) && (kpf & KPF(VL_KPF_KSM));
	if (kfd >= 0)
		close(kfd);
	munmap(p, ps);
	return unreliable;
}

void pages_kpf_json(struct vl_jw *w, const struct page_fact *f)
{
	unsigned int bit;

	if (!f->kpf_known) {
		vl_jw_null(w, "kpageflags");
		vl_jw_null(w, "kpageflags_raw");
		return;
	}
	vl_jw_array(w, "kpageflags");
	for (bit = 0; bit < VL_KPF_NBITS; bit++) {
		if (!(f->kpf & KPF(bit)))
			continue;
		if (vl_kpf_name(bit))
			vl_jw_string(w, NULL, vl_kpf_name(bit));
		else
			vl_jw_stringf(w, NULL, "bit%u", bit);
	}
	vl_jw_end(w);
	vl_jw_stringf(w, "kpageflags_raw", "0x%llx", (unsigned long long)f->kpf);
}

static enum page_kind kind_of(const struct page_fact *f)
{
	if (!f->present)
		return f->swapped ? PK_SWAP : PK_NONE;
	if (!f->pfn_known || !f->kpf_known)
		return PK_UNKNOWN;
	if (f->kpf & KPF(VL_KPF_ZERO_PAGE))
		return PK_ZERO;
	if (f->kpf & KPF(VL_KPF_HUGE))
		return PK_HUGETLB;
	if (f->kpf & KPF(VL_KPF_THP))
		return PK_THP;
	if ((f->kpf & KPF(VL_KPF_KSM)) && !pages_ksm_flag_unreliable())
		return PK_KSM;
	if (f->kpf & KPF(VL_KPF_ANON))
		return PK_ANON;
	if (f->kpf & (KPF(VL_KPF_NOPAGE) | KPF(VL_KPF_SLAB) | KPF(VL_KPF_RESERVED)))
		return PK_OTHER;
	if (f->kpf & KPF(VL_KPF_SWAPBACKED))
		return PK_SHMEM;
	if (f->kpf & (KPF(VL_KPF_MMAP) | KPF(VL_KPF_LRU) | KPF(VL_KPF_UPTODATE)))
		return PK_PAGECACHE;
	return PK_OTHER;
}

int pages_read(struct pages_reader *r, unsigned long addr, size_t n, struct page_fact *out)
{
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t *raw;
	size_t i;
	int ret;

	raw = calloc(n ? n : 1, sizeof(*raw));
	if (!raw)
		return -ENOMEM;
	ret = vl_pagemap_read(r->pm_fd, addr, n, raw);
	for (i = 0; !ret && i < n; i++) {
		struct vl_pm pm = vl_pm_decode(raw[i]);
		struct page_fact *f = &out[i];

		memset(f, 0, sizeof(*f));
		f->addr = addr + i * ps;
		f->raw = raw[i];
		f->present = pm.present;
		f->swapped = pm.swapped && !pm.guard;
		f->exclusive = pm.exclusive;
		f->file = pm.file_shared;
		f->soft_dirty = pm.soft_dirty;
		f->pfn_known = pm.present && r->pfns && pm.pfn;
		f->pfn = f->pfn_known ? pm.pfn : 0;
		if (f->pfn_known && r->kpf_fd >= 0)
			f->kpf_known = !vl_kpageflags_read(r->kpf_fd, f->pfn, 1, &f->kpf);
		f->kind = kind_of(f);
		if (!f->present)
			f->level = MAP_NONE;
		else if (f->kind == PK_HUGETLB || f->kind == PK_THP || f->kind == PK_UNKNOWN)
			f->level = MAP_UNKNOWN;
		else
			f->level = MAP_PTE;
	}
	free(raw);
	return ret;
}

/*
 * Set the level of present pages from PAGEMAP_SCAN: @big for those it
 * reports huge, MAP_PTE for the others.
 * Return: 0 when the kernel answered, -errno when it has no PAGEMAP_SCAN.
 */
static int levels_from_scan(struct pages_reader *r, struct page_fact *f, size_t n, long ps,
			    enum map_level big)
{
	struct vl_page_region vec[64];
	struct vl_pm_scan_arg arg;
	uint64_t start = f[0].addr, end = f[n - 1].addr + ps;
	enum map_level *level;
	size_t i, j;
	int got;

	level = calloc(n, sizeof(*level));
	if (!level)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		level[i] = f[i].present ? MAP_PTE : MAP_NONE;
	while (start < end) {
		memset(&arg, 0, sizeof(arg));
		arg.size = sizeof(arg);
		arg.start = start;
		arg.end = end;
		arg.vec = (uintptr_t)vec;
		arg.vec_len = ARRAY_SIZE(vec);
		arg.category_mask = VL_PAGE_IS_PRESENT | VL_PAGE_IS_HUGE;
		arg.return_mask = VL_PAGE_IS_PRESENT | VL_PAGE_IS_HUGE;
		got = ioctl(r->pm_fd, VL_PAGEMAP_SCAN, &arg);
		if (got < 0) {
			free(level);
			return -errno;
		}
		for (j = 0; j < (size_t)got; j++) {
			i = (vec[j].start - f[0].addr) / ps;
			for (; i < n && f[i].addr < vec[j].end; i++)
				if (f[i].present)
					level[i] = big;
		}
		if (arg.walk_end >= end || arg.walk_end <= start)
			break;
		start = arg.walk_end;
	}
	for (i = 0; i < n; i++)
		f[i].level = level[i];
	free(level);
	return 0;
}

/* Whether the 2 MiB compound page starting at @f[0] is whole, aligned and present. */
static bool whole_compound(const struct page_fact *f, size_t left, size_t nr, long ps)
{
	size_t j;

	if (left < nr || !f[0].pfn_known || !(f[0].kpf & KPF(VL_KPF_COMPOUND_HEAD)) ||
	    f[0].addr % (nr * ps) || f[0].pfn % nr)
		return false;
	for (j = 1; j < nr; j++)
		if (!f[j].pfn_known || f[j].pfn != f[0].pfn + j ||
		    !(f[j].kpf & KPF(VL_KPF_COMPOUND_TAIL)))
			return false;
	return true;
}

/* A smaps field in kB, 0 when the kernel does not print it. */
static long long kb(long long v)
{
	return v > 0 ? v : 0;
}

void pages_levels(struct pages_reader *r, struct page_fact *f, size_t n,
		  const struct vl_smaps *vma)
{
	long long kernel_page_kb = vma ? vma->kernel_page_kb : -1, pmd_mapped_kb = -1;
	enum map_level big = kernel_page_kb >= 1024 * 1024 ? MAP_PUD : MAP_PMD;
	long ps = sysconf(_SC_PAGESIZE);
	size_t i, j, nr = (2UL << 20) / ps;

	if (vma && (vma->anon_huge_kb >= 0 || vma->shmem_pmd_kb >= 0 || vma->file_pmd_kb >= 0))
		pmd_mapped_kb = kb(vma->anon_huge_kb) + kb(vma->shmem_pmd_kb) +
				kb(vma->file_pmd_kb);

	if (!n || !levels_from_scan(r, f, n, ps, big))
		return;
	for (i = 0; i < n; i++) {
		if (f[i].level != MAP_UNKNOWN)
			continue;
		if (kernel_page_kb >= 2048)
			f[i].level = big;	/* a hugetlb VMA maps nothing smaller */
		else if (pmd_mapped_kb == 0 && f[i].kind != PK_UNKNOWN)
			f[i].level = MAP_PTE;	/* smaps counts every PMD-mapped page */
	}
	if (kernel_page_kb >= 2048 || pmd_mapped_kb <= 0)
		return;
	for (i = 0; i < n; i++) {
		if (f[i].level != MAP_UNKNOWN || !whole_compound(&f[i], n - i, nr, ps))
			continue;
		for (j = 0; j < nr; j++)
			f[i + j].level = MAP_PMD;
		i += nr - 1;
	}
}

void page_flags_str(const struct page_fact *f, char buf[5])
{
	buf[0] = f->present ? 'P' : f->swapped ? 's' : '-';
	buf[1] = f->exclusive ? 'E' : '-';
	buf[2] = f->file ? 'F' : '-';
	buf[3] = f->soft_dirty ? 'S' : '-';
	buf[4] = '\0';
}

bool pages_continue_run(const struct page_fact *a, const struct page_fact *b)
{
	if (a->present != b->present || a->swapped != b->swapped ||
	    a->exclusive != b->exclusive || a->file != b->file ||
	    a->soft_dirty != b->soft_dirty || a->kind != b->kind || a->level != b->level ||
	    a->pfn_known != b->pfn_known || a->kpf_known != b->kpf_known || a->kpf != b->kpf)
		return false;
	return !a->pfn_known || b->pfn == a->pfn + 1;
}
