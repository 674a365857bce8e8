// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour, private anonymous memory: the zero page on read, a page of
 * one's own on write, the accessed and soft-dirty bits that clear_refs
 * clears and the next access sets, copy-on-write after fork.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "pagemap.h"
#include "procfs.h"
#include "touch.h"
#include "tour.h"

#define NPAGES	4
#define CLEAR_REFS	"/proc/self/clear_refs"
/* A present entry of a page of one's own, writable, written. */
#define WRITTEN		(VMLAB_E_PRESENT | VMLAB_E_USER | VMLAB_E_RW | VMLAB_E_DIRTY | \
			 VMLAB_E_ACCESSED)
#define NOT_CALLED	\
	"; vmlab was not called (no fault counter moved): the core itself breaks a read-only zero-page entry on write"

/* The PTE of page @page on both sides maps @what, with @set and without @clear. */
static void expect_ptes(struct tour *t, struct step *s, bool child, size_t page, int what,
			uint64_t set, uint64_t clear)
{
	int k;

	for (k = VMLAB; k <= NATIVE; k++)
		step_expect_entry(t, s, k, child, page, VMLAB_LEVEL_PTE, what, set, clear);
}

/*
 * clear_refs, then a read, then a write: the CPU sets the accessed bit of
 * an entry it uses, and the write fault sets soft-dirty again.
 */
static void refs_steps(struct tour *t, struct twin *tw)
{
	const struct fact *f;
	struct step *s;
	int k, err;
	size_t i;

	s = step_begin(t, "clear-refs",
		       "write 1 (clear the accessed bits) and 4 (clear soft-dirty) to " CLEAR_REFS);
	/* 4 last: it flushes the TLB, so that the CPU's next use walks the entries. */
	err = vl_write_file(CLEAR_REFS, "1");
	if (!err)
		err = vl_write_file(CLEAR_REFS, "4");
	if (err) {
		step_skip(t, s, "writing to " CLEAR_REFS " failed: %s", strerror(-err));
		step_end(t, s);
		return;
	}
	/* The observation reads no bytes: reading them would set the accessed bits. */
	s->no_read = true;
	step_observe(t, s, tw);
	for (i = 0; i < 2; i++)
		expect_ptes(t, s, false, i, VMLAB_WHAT_ANON, VMLAB_E_PRESENT,
			    VMLAB_E_ACCESSED | VMLAB_E_SOFT_DIRTY | VMLAB_E_RW);
	for (k = VMLAB; k <= NATIVE; k++)
		for (i = 0; i < NPAGES; i++)
			step_expect(t, s, !step_fact(s, k, false, i)->pg.soft_dirty,
				    "%s page %zu is still soft-dirty in pagemap",
				    k == VMLAB ? "vmlab" : "native", i);
	step_say(s,
		 "clear_refs 1 cleared the accessed bit of both pages' entries (it leaves special entries such as the zero page's alone), and 4 cleared their soft-dirty bits and write-protected them (-rw), so that the next write faults and marks them again; pagemap shows no S on any page now, since 4 also cleared the VMA's own soft-dirty flag%s",
		 t->counters ? "; vmlab was not called" : "");
	step_end(t, s);

	s = step_begin(t, "read-young", "read page 0");
	vl_read_byte(twin_page(tw, VMLAB, 0));
	vl_read_byte(twin_page(tw, NATIVE, 0));
	s->no_read = true;
	step_observe(t, s, tw);
	expect_ptes(t, s, false, 0, VMLAB_WHAT_ANON, VMLAB_E_PRESENT | VMLAB_E_ACCESSED,
		    VMLAB_E_RW | VMLAB_E_SOFT_DIRTY);
	expect_ptes(t, s, false, 1, VMLAB_WHAT_ANON, VMLAB_E_PRESENT, VMLAB_E_ACCESSED);
	step_expect(t, s, !t->counters || (!step_delta(s, "faults_read_private_anon") &&
					   !step_delta(s, "faults_write_private_anon")),
		    "the read of a present page faulted");
	step_say(s,
		 "the read took no fault: the CPU found page 0's entry, still present, and set its accessed bit as it used it; page 1's stays clear, and neither is soft-dirty (a read does not dirty)");
	step_end(t, s);

	s = step_begin(t, "write-dirty", "write 'd' to page 1");
	vl_write_byte(twin_page(tw, VMLAB, 1), 'd');
	vl_write_byte(twin_page(tw, NATIVE, 1), 'd');
	step_observe(t, s, tw);
	expect_ptes(t, s, false, 1, VMLAB_WHAT_ANON, WRITTEN | VMLAB_E_SOFT_DIRTY, 0);
	expect_ptes(t, s, false, 0, VMLAB_WHAT_ANON, VMLAB_E_PRESENT, VMLAB_E_SOFT_DIRTY);
	f = step_fact(s, VMLAB, false, 1);
	step_expect(t, s, f->pg.soft_dirty && !step_fact(s, VMLAB, false, 0)->pg.soft_dirty,
		    "pagemap does not show page 1 soft-dirty and page 0 clean");
	step_expect(t, s, f->bytes_known && f->bytes[0] == 'd', "page 1 does not read 'd'");
	step_say(s,
		 "the write faulted on the write-protected entry, and the kernel made it writable again in place (the page is still exclusive: no copy), dirty and soft-dirty: pagemap shows S for page 1 alone, what CRIU and other dirty trackers read%s",
		 t->counters ? "; vmlab was not called" : "");
	step_end(t, s);
}

static void child_writes_page1(struct twin *tw, void *arg)
{
	(void)arg;
	vl_write_byte(twin_page(tw, VMLAB, 1), 'c');
	vl_write_byte(twin_page(tw, NATIVE, 1), 'c');
}

static int run_anon(struct tour *t)
{
	const struct fact *f, *p0, *c0, *p1, *c1;
	const struct vmlab_walk_entry *e;
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
	expect_ptes(t, s, false, 0, VMLAB_WHAT_ZERO,
		    VMLAB_E_PRESENT | VMLAB_E_USER | VMLAB_E_ACCESSED | VMLAB_E_SPECIAL,
		    VMLAB_E_RW | VMLAB_E_DIRTY);
	e = step_entry(s, VMLAB, false, 0, VMLAB_LEVEL_PTE);
	step_expect_pfn(t, s, !e || e->pfn == t->zero_pfn,
			"walker: page 0's PTE points at PFN %#llx, not the zero page's %#llx",
			e ? (unsigned long long)e->pfn : 0ULL, (unsigned long long)t->zero_pfn);
	step_say(s,
		 "the read of page 0 mapped the shared zero page%s: no memory was allocated, and it reads zeroes; its PTE is read-only, so that a write faults, and special: no struct page behind it to count%s",
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
	expect_ptes(t, s, false, 1, VMLAB_WHAT_ANON, WRITTEN, VMLAB_E_SPECIAL);
	step_say(s,
		 "the write to page 1 gave it a zero-filled page of its own%s: anonymous, and exclusive (mapped once), its PTE writable and dirty%s",
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
	expect_ptes(t, s, false, 0, VMLAB_WHAT_ANON, WRITTEN, VMLAB_E_SPECIAL);
	step_say(s,
		 "the write to page 0 replaced the zero page by a new anonymous page%s, its PTE now writable, dirty and no longer special%s",
		 pfn_note(t, f), t->counters ? NOT_CALLED : "");
	step_end(t, s);

	refs_steps(t, &tw);

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
		    p1->bytes[0] == 'd',
		    "page 1 does not read 'c' in the child and 'd' in the parent");
	step_expect(t, s, p1->pg.exclusive && c1->pg.exclusive,
		    "page 1 is not exclusive in both processes after the copy");
	/* fork write-protected both; only the child's write made a writable copy. */
	expect_ptes(t, s, false, 0, VMLAB_WHAT_ANON, VMLAB_E_PRESENT, VMLAB_E_RW);
	expect_ptes(t, s, false, 1, VMLAB_WHAT_ANON, VMLAB_E_PRESENT, VMLAB_E_RW);
	expect_ptes(t, s, true, 0, VMLAB_WHAT_ANON, VMLAB_E_PRESENT, VMLAB_E_RW);
	expect_ptes(t, s, true, 1, VMLAB_WHAT_ANON, WRITTEN, 0);
	step_say(s,
		 "after fork both processes map the same page 0%s, so it is exclusive in neither; fork write-protected the parent's entries and gave the child read-only copies; the child's write to page 1 copied it for the child%s, writable, and the parent keeps its page%s with its 'd', write-protected until it writes",
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
		 "shared zero page, a write gets a page of its own; clear_refs clears the\n"
		 "accessed and soft-dirty bits, which the next read and write set again; after\n"
		 "fork the two processes share pages until one of them writes.",
	.run = run_anon,
};
