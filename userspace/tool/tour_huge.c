// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour, huge pages: one 2 MiB page of the hugetlb pool, mapped by one
 * PMD entry; one fault maps 512 base pages.  A kernel without THP
 * (PREEMPT_RT) maps no file page with a PMD: there each 4 KiB of the same
 * page gets an entry of its own, and the tour reads all 512 to show it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagemap.h"
#include "touch.h"
#include "tour.h"

#define NPAGES	512	/* 2 MiB of 4 KiB pages */

static void child_writes_middle(struct twin *tw, void *arg)
{
	(void)arg;
	vl_write_byte(twin_page(tw, VMLAB, NPAGES / 2), 'c');
	vl_write_byte(twin_page(tw, NATIVE, NPAGES / 2), 'c');
}

/* Does this kernel map file pages with PMDs?  Not without THP. */
static bool have_thp(void)
{
	return !access("/sys/kernel/mm/transparent_hugepage", F_OK);
}

/* "took 1 page from the pool (HugePages_Free -1)", or what else happened. */
static void pool_words(char *buf, size_t len, long long dfree, long long drsvd)
{
	if (dfree < 0)
		snprintf(buf, len, "took %lld from the pool at once (HugePages_Free %+lld)", -dfree,
			 dfree);
	else if (drsvd > 0)
		snprintf(buf, len, "only reserved %lld (HugePages_Rsvd %+lld)", drsvd, drsvd);
	else
		snprintf(buf, len, "left the pool as it was");
}

/* The vmlab side's 512 pages are one hugetlb page, whole and in order. */
static bool one_huge_page(struct tour *t, struct step *s, bool child)
{
	const struct fact *h = step_fact(s, VMLAB, child, 0);
	size_t i;

	for (i = 0; i < NPAGES; i++) {
		const struct fact *f = step_fact(s, VMLAB, child, i);
		unsigned int part = i ? VL_KPF_COMPOUND_TAIL : VL_KPF_COMPOUND_HEAD;

		if (!step_expect(t, s, f->pg.present, "page %zu is not present", i))
			return false;
		if (!step_expect_pfn(t, s, f->pg.pfn == h->pg.pfn + i &&
				     f->pg.kind == PK_HUGETLB && has_kpf(f, part),
				     "page %zu (PFN %#llx, %s) is not part %zu of the huge page at %#llx",
				     i, (unsigned long long)f->pg.pfn,
				     page_kind_name(f->pg.kind), i,
				     (unsigned long long)h->pg.pfn))
			return false;
	}
	step_expect_pfn(t, s, h->pg.pfn % NPAGES == 0, "the huge page's PFN %#llx is not aligned",
			(unsigned long long)h->pg.pfn);
	return true;
}

static int run_huge(struct tour *t)
{
	long long free0, rsvd0, free1, rsvd1, free2, rsvd2;
	bool thp = have_thp();
	size_t i;
	char vwords[96], nwords[96];
	const struct fact *f, *c;
	struct step *s;
	struct twin tw;
	int ret;

	twin_init(t, &tw, NPAGES);
	ret = twin_open_vmlab(t, &tw, VMLAB_KIND_HUGE);
	if (ret) {
		snprintf(t->why, sizeof(t->why), "%s", strerror(-ret));
		ret = TOUR_UNAVAILABLE;
		goto out;
	}
	free0 = meminfo("HugePages_Free");
	if (free0 < 2) {
		snprintf(t->why, sizeof(t->why),
			 "the hugetlb pool has %lld free pages (boot with hugepages=N, or write N to /proc/sys/vm/nr_hugepages)",
			 free0);
		ret = TOUR_UNAVAILABLE;
		goto out;
	}
	ret = twin_reserve(t, &tw);
	if (ret)
		goto out;

	s = step_begin(t, "mmap", "mmap 2 MiB, MAP_SHARED, and touch nothing");
	rsvd0 = meminfo("HugePages_Rsvd");
	ret = twin_map(t, &tw, VMLAB, MAP_SHARED, PROT_READ | PROT_WRITE);
	free1 = meminfo("HugePages_Free");
	rsvd1 = meminfo("HugePages_Rsvd");
	if (!ret)
		ret = twin_map(t, &tw, NATIVE, MAP_SHARED | MAP_HUGETLB, PROT_READ | PROT_WRITE);
	free2 = meminfo("HugePages_Free");
	rsvd2 = meminfo("HugePages_Rsvd");
	if (ret) {
		step_abort(t, s, ret);
		goto out;
	}
	step_event(s, "vmlab_hugepages_free", free1 - free0);
	step_event(s, "vmlab_hugepages_rsvd", rsvd1 - rsvd0);
	step_event(s, "native_hugepages_free", free2 - free1);
	step_event(s, "native_hugepages_rsvd", rsvd2 - rsvd1);
	step_observe(t, s, &tw);
	step_expect(t, s, !step_fact(s, VMLAB, false, 0)->pg.present,
		    "the huge page is mapped before any access");
	pool_words(vwords, sizeof(vwords), free1 - free0, rsvd1 - rsvd0);
	pool_words(nwords, sizeof(nwords), free2 - free1, rsvd2 - rsvd1);
	step_say(s,
		 "mmap mapped nothing yet; for its huge page vmlab %s, and the native mapping %s",
		 vwords, nwords);
	step_end(t, s);

	s = step_begin(t, "write", thp ? "write 'h' to byte 0" :
		       "write 'h' to byte 0, then read the other 511 pages (no THP here)");
	free0 = meminfo("HugePages_Free");
	vl_write_byte(twin_page(&tw, VMLAB, 0), 'h');
	for (i = 1; !thp && i < NPAGES; i++)
		vl_read_byte(twin_page(&tw, VMLAB, i));
	free1 = meminfo("HugePages_Free");
	vl_write_byte(twin_page(&tw, NATIVE, 0), 'h');
	free2 = meminfo("HugePages_Free");
	step_event(s, "vmlab_hugepages_free", free1 - free0);
	step_event(s, "native_hugepages_free", free2 - free1);
	step_observe(t, s, &tw);
	f = step_fact(s, VMLAB, false, 0);
	c = step_fact(s, VMLAB, false, NPAGES - 1);
	one_huge_page(t, s, false);
	if (f->pg.level == MAP_UNKNOWN)
		s->unchecked++;
	else
		step_expect_pfn(t, s, f->pg.level == (thp ? MAP_PMD : MAP_PTE),
				"the huge page is mapped by %s entries",
				map_level_name(f->pg.level));
	step_expect(t, s, f->bytes_known && f->bytes[0] == 'h', "byte 0 does not read 'h'");
	if (thp) {
		/* One leaf at PMD level, PSE set; no PTE table below it. */
		step_expect_entry(t, s, VMLAB, false, 0, VMLAB_LEVEL_PMD, VMLAB_WHAT_HUGETLB,
				  VMLAB_E_PRESENT | VMLAB_E_PSE | VMLAB_E_LEAF | VMLAB_E_RW |
				  VMLAB_E_DIRTY, 0);
		step_expect_no_ptes(t, s, VMLAB, 0, NPAGES);
	} else {
		step_expect_entry(t, s, VMLAB, false, 0, VMLAB_LEVEL_PTE, VMLAB_WHAT_HUGETLB,
				  VMLAB_E_PRESENT | VMLAB_E_RW | VMLAB_E_DIRTY, 0);
	}
	if (!thp)
		step_say(s,
			 "without THP no PMD maps a file page: the write mapped one 4 KiB entry, and each read one more; PFNs %#llx-%#llx are one 2 MiB hugetlb page (a compound head and 511 tails, kpageflags huge), mapped by 512 %s entries%s",
			 (unsigned long long)f->pg.pfn, (unsigned long long)c->pg.pfn,
			 map_level_name(f->pg.level),
			 cnt(t, s, "", "huge_pmd_faults", "faults_write_huge", "faults_read_huge",
			     NULL));
	else if (t->pfns)
		step_say(s,
			 "one write mapped all 512 base pages at once: PFNs %#llx-%#llx are one 2 MiB hugetlb page (a compound head and 511 tails, kpageflags huge), mapped by %s, with PSE set and no PTE table below it%s",
			 (unsigned long long)f->pg.pfn, (unsigned long long)c->pg.pfn,
			 f->pg.level == MAP_PMD ? "a single PMD entry" :
			 "entries of a level this kernel does not tell",
			 cnt(t, s, "", "huge_pmd_faults", "faults_write_huge", NULL));
	else
		step_say(s, "one write made all 512 base pages present at once%s",
			 cnt(t, s, "", "huge_pmd_faults", "faults_write_huge", NULL));
	step_end(t, s);

	s = step_begin(t, "fork", "fork; the child writes 'c' at 1 MiB");
	step_fork(t, s, &tw, child_writes_middle, NULL);
	f = step_fact(s, VMLAB, false, NPAGES / 2);
	c = step_fact(s, VMLAB, true, NPAGES / 2);
	step_expect_pfn(t, s, f->pg.pfn == c->pg.pfn, "the child maps another page at 1 MiB");
	step_expect(t, s, f->bytes_known && f->bytes[0] == 'c',
		    "the parent does not see the child's 'c'");
	one_huge_page(t, s, true);
	step_say(s, "the child maps the same 2 MiB page%s and the parent sees its 'c' at once%s",
		 pfn_note(t, c), cnt(t, s, "", "huge_pmd_faults", "faults_write_huge",
				     "faults_read_huge", "vmas_live_huge", NULL));
	step_end(t, s);
out:
	twin_close(&tw);
	return ret;
}

const struct section section_huge = {
	.name = "huge",
	.title = "huge pages",
	.intro = "A MAP_SHARED mapping of hugetlb memory is made of 2 MiB pages of the huge-page\n"
		 "pool, each mapped by one PMD entry: one fault maps 512 base pages. The native\n"
		 "twin is MAP_SHARED|MAP_ANONYMOUS|MAP_HUGETLB.",
	.run = run_huge,
};
