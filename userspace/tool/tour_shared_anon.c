// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour, shared anonymous memory across fork: one object (a tmpfs file
 * of its own, as for MAP_SHARED|MAP_ANONYMOUS), the same physical pages in
 * parent and child, each one's writes seen by the other.
 */
#include <stdio.h>
#include <sys/mman.h>

#include "pagemap.h"
#include "touch.h"
#include "tour.h"

#define NPAGES	4

static void child_reads_0_writes_1(struct twin *tw, void *arg)
{
	int k;

	(void)arg;
	for (k = VMLAB; k <= NATIVE; k++) {
		vl_read_byte(twin_page(tw, k, 0));
		vl_write_byte(twin_page(tw, k, 1), 'c');
	}
}

static int run_shared_anon(struct tour *t)
{
	const struct fact *f, *p0, *c0, *p1, *c1;
	uint64_t child_pfn = 0;
	struct step *s;
	struct twin tw;
	int ret, k;

	twin_init(t, &tw, NPAGES);
	ret = twin_reserve(t, &tw);
	if (!ret)
		ret = twin_open_vmlab(t, &tw, VMLAB_KIND_ANON);
	if (ret)
		goto out;

	s = step_begin(t, "write", "mmap %d pages, MAP_SHARED; write 'p' to page 0", NPAGES);
	for (k = VMLAB; k <= NATIVE && !ret; k++)
		ret = twin_map(t, &tw, k, MAP_SHARED, PROT_READ | PROT_WRITE);
	if (ret) {
		step_abort(t, s, ret);
		goto out;
	}
	vl_write_byte(twin_page(&tw, VMLAB, 0), 'p');
	vl_write_byte(twin_page(&tw, NATIVE, 0), 'p');
	step_observe(t, s, &tw);
	f = step_fact(s, VMLAB, false, 0);
	step_expect(t, s, f->pg.present && f->pg.file && f->pg.exclusive,
		    "page 0 is not present, exclusive and \"file\" in pagemap");
	step_expect_pfn(t, s, f->pg.kind == PK_SHMEM && !has_kpf(f, VL_KPF_ANON),
			"page 0 is %s, not a shmem page of the shared object",
			page_kind_name(f->pg.kind));
	step_expect(t, s, f->bytes_known && f->bytes[0] == 'p', "page 0 does not read 'p'");
	step_say(s,
		 "mmap made a new zero-filled object%s, and the write gave it its page 0%s: a page of the object's own tmpfs file (kpageflags swapbacked, not anonymous), so swap can take it, and pagemap calls it a file page, as it does every shared anonymous page",
		 cnt(t, s, "", "objects_live", NULL), pfn_note(t, f));
	step_end(t, s);

	s = step_begin(t, "fork", "fork; the child reads page 0 and writes 'c' to page 1");
	step_fork(t, s, &tw, child_reads_0_writes_1, NULL);
	p0 = step_fact(s, VMLAB, false, 0);
	c0 = step_fact(s, VMLAB, true, 0);
	p1 = step_fact(s, VMLAB, false, 1);
	c1 = step_fact(s, VMLAB, true, 1);
	child_pfn = c1->pg.pfn;
	step_expect_pfn(t, s, c0->pg.pfn == p0->pg.pfn, "the child's page 0 is another page");
	step_expect(t, s, c0->bytes_known && c0->bytes[0] == 'p', "the child does not read 'p'");
	step_expect(t, s, !c0->pg.exclusive && !p0->pg.exclusive,
		    "page 0 is exclusive though both processes map it");
	step_expect(t, s, c1->pg.present && c1->pg.file && c1->bytes_known && c1->bytes[0] == 'c',
		    "the child's page 1 is not a shared page reading 'c'");
	step_expect(t, s, !p1->pg.present, "the parent's page 1 is present before it touched it");
	step_say(s,
		 "the child reads the parent's 'p' from the same page 0%s, now mapped by both and so exclusive in neither; the child's write to page 1 went into the shared object%s, not into a copy%s",
		 pfn_note(t, c0), pfn_note(t, c1),
		 cnt(t, s, "", "vmas_live_shared_anon", "faults_read_shared_anon",
		     "faults_write_shared_anon", "pages_allocated", NULL));
	step_end(t, s);

	s = step_begin(t, "parent-read", "after the child has exited, the parent reads page 1");
	vl_read_byte(twin_page(&tw, VMLAB, 1));
	vl_read_byte(twin_page(&tw, NATIVE, 1));
	step_observe(t, s, &tw);
	p0 = step_fact(s, VMLAB, false, 0);
	p1 = step_fact(s, VMLAB, false, 1);
	step_expect(t, s, p1->bytes_known && p1->bytes[0] == 'c', "the parent does not read 'c'");
	step_expect_pfn(t, s, p1->pg.pfn == child_pfn,
			"the parent's page 1 (PFN %#llx) is not the child's (%#llx)",
			(unsigned long long)p1->pg.pfn, (unsigned long long)child_pfn);
	step_expect(t, s, p0->pg.exclusive, "page 0 is not exclusive again");
	step_say(s,
		 "the parent reads the child's 'c' from the very page the child wrote%s; with the child gone, page 0 is exclusive again",
		 pfn_note(t, p1));
	step_end(t, s);
out:
	twin_close(&tw);
	return ret;
}

const struct section section_shared_anon = {
	.name = "shared-anon",
	.title = "shared anonymous memory across fork",
	.intro = "MAP_SHARED|MAP_ANONYMOUS memory is one zero-filled object that the mapping\n"
		 "shares with its fork children: a write in either process is seen by the other,\n"
		 "in the same physical page.",
	.run = run_shared_anon,
};
