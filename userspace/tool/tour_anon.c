// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour, private anonymous memory: the zero page on read, a page of
 * one's own on write, copy-on-write after fork.
 */
#include <stdio.h>
#include <sys/mman.h>

#include "pagemap.h"
#include "touch.h"
#include "tour.h"

#define NPAGES	4
#define NOT_CALLED	\
	"; vmlab was not called (no fault counter moved): the core itself breaks a read-only zero-page entry on write"

static void child_writes_page1(struct twin *tw, void *arg)
{
	(void)arg;
	vl_write_byte(twin_page(tw, VMLAB, 1), 'c');
	vl_write_byte(twin_page(tw, NATIVE, 1), 'c');
}

static int run_anon(struct tour *t)
{
	const struct fact *f, *p0, *c0, *p1, *c1;
	struct step *s;
	struct twin tw;
	int ret, k;
	size_t i;

	twin_init(t, &tw, NPAGES);
	ret = twin_reserve(t, &tw);
	if (!ret)
		ret = twin_open_vmlab(t, &tw, VMLAB_KIND_ANON);
	if (ret)
		goto out;

	s = step_begin(t, "mmap", "mmap %d pages, MAP_PRIVATE, and touch nothing", NPAGES);
	for (k = VMLAB; k <= NATIVE && !ret; k++)
		ret = twin_map(t, &tw, k, MAP_PRIVATE, PROT_READ | PROT_WRITE);
	if (ret) {
		step_abort(t, s, ret);
		goto out;
	}
	step_observe(t, s, &tw);
	for (i = 0; i < NPAGES; i++)
		step_expect(t, s, !step_fact(s, VMLAB, false, i)->pg.present,
			    "page %zu is present before any access", i);
	step_say(s, "mmap only set up the mapping%s: none of its %d pages is present yet",
		 cnt(t, s, "", "vmas_live_private_anon", NULL), NPAGES);
	step_end(t, s);

	s = step_begin(t, "read", "read page 0");
	vl_read_byte(twin_page(&tw, VMLAB, 0));
	vl_read_byte(twin_page(&tw, NATIVE, 0));
	step_observe(t, s, &tw);
	f = step_fact(s, VMLAB, false, 0);
	step_expect(t, s, f->pg.present, "page 0 is not present after a read");
	step_expect_pfn(t, s, f->pg.pfn == t->zero_pfn && f->pg.kind == PK_ZERO,
			"page 0 is not the zero page (PFN %#llx, the zero page is %#llx)",
			(unsigned long long)f->pg.pfn, (unsigned long long)t->zero_pfn);
	step_expect(t, s, f->bytes_known && !f->bytes[0], "page 0 does not read zeroes");
	step_say(s,
		 "the read of page 0 mapped the shared zero page%s: no memory was allocated, and it reads zeroes%s",
		 pfn_note(t, f), cnt(t, s, "; vmlab's ->fault installed that entry",
				     "faults_read_private_anon", "zero_page_maps", NULL));
	step_end(t, s);

	s = step_begin(t, "write", "write 'a' to page 1");
	vl_write_byte(twin_page(&tw, VMLAB, 1), 'a');
	vl_write_byte(twin_page(&tw, NATIVE, 1), 'a');
	step_observe(t, s, &tw);
	f = step_fact(s, VMLAB, false, 1);
	step_expect(t, s, f->pg.present && f->pg.exclusive && !f->pg.file,
		    "page 1 is not present, exclusive and anonymous in pagemap");
	step_expect_pfn(t, s, f->pg.kind == PK_ANON && f->pg.pfn != t->zero_pfn,
			"page 1 is %s, not a new anonymous page", page_kind_name(f->pg.kind));
	step_expect(t, s, f->bytes_known && f->bytes[0] == 'a', "page 1 does not read 'a'");
	step_say(s,
		 "the write to page 1 gave it a zero-filled page of its own%s: anonymous, and exclusive (mapped once)%s",
		 pfn_note(t, f), cnt(t, s,
				     "; vmlab's ->fault handed the core a zeroed page, which the core copied into the new page it installed, in one fault",
				     "faults_write_private_anon", "zero_sources", NULL));
	step_end(t, s);

	s = step_begin(t, "write-zero", "write 'b' to page 0, which maps the zero page");
	vl_write_byte(twin_page(&tw, VMLAB, 0), 'b');
	vl_write_byte(twin_page(&tw, NATIVE, 0), 'b');
	step_observe(t, s, &tw);
	f = step_fact(s, VMLAB, false, 0);
	step_expect(t, s, f->pg.present && f->pg.exclusive && !f->pg.file,
		    "page 0 is not present, exclusive and anonymous in pagemap");
	step_expect_pfn(t, s, f->pg.kind == PK_ANON && f->pg.pfn != t->zero_pfn,
			"page 0 is %s, not a new anonymous page", page_kind_name(f->pg.kind));
	step_expect(t, s, !t->counters || (!step_delta(s, "faults_read_private_anon") &&
					   !step_delta(s, "faults_write_private_anon")),
		    "vmlab's ->fault was called for a write to a present page");
	step_say(s, "the write to page 0 replaced the zero page by a new anonymous page%s%s",
		 pfn_note(t, f), t->counters ? NOT_CALLED : "");
	step_end(t, s);

	s = step_begin(t, "fork", "fork; the child writes 'c' to page 1");
	step_fork(t, s, &tw, child_writes_page1, NULL);
	p0 = step_fact(s, VMLAB, false, 0);
	c0 = step_fact(s, VMLAB, true, 0);
	p1 = step_fact(s, VMLAB, false, 1);
	c1 = step_fact(s, VMLAB, true, 1);
	step_expect_pfn(t, s, p0->pg.pfn == c0->pg.pfn, "parent and child map different pages 0");
	step_expect(t, s, !p0->pg.exclusive && !c0->pg.exclusive,
		    "page 0 is still exclusive though both processes map it");
	step_expect_pfn(t, s, c1->pg.pfn != p1->pg.pfn, "the child's write to page 1 made no copy");
	step_expect(t, s, c1->bytes_known && c1->bytes[0] == 'c' && p1->bytes_known &&
		    p1->bytes[0] == 'a',
		    "page 1 does not read 'c' in the child and 'a' in the parent");
	step_expect(t, s, p1->pg.exclusive && c1->pg.exclusive,
		    "page 1 is not exclusive in both processes after the copy");
	step_say(s,
		 "after fork both processes map the same page 0%s, so it is exclusive in neither; the child's write to page 1 copied it for the child%s, and the parent keeps its page%s with its 'a'",
		 pfn_note(t, p0), pfn_note(t, c1), pfn_note(t, p1));
	step_end(t, s);
out:
	twin_close(&tw);
	return ret;
}

const struct section section_anon = {
	.name = "anon",
	.title = "private anonymous memory",
	.intro = "MAP_PRIVATE|MAP_ANONYMOUS memory is zero-filled on demand: a read maps the one\n"
		 "shared zero page, a write gets a page of its own, and after fork the two\n"
		 "processes share pages until one of them writes.",
	.run = run_anon,
};
