// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour, private file mappings: the file's own pages on read, a
 * private anonymous copy on the first write, and the file never changes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagemap.h"
#include "touch.h"
#include "tour.h"

#define NPAGES	4
#define CORE_COPIED	\
	"; the core copied the read-only page fault-around had mapped, without calling vmlab"

/* The store's page @page in the mapping: present, file-backed, the store's PFN. */
static void expect_store_page(struct tour *t, struct step *s, size_t page, char c)
{
	const struct fact *f = step_fact(s, VMLAB, false, page);

	step_expect(t, s, f->pg.present && f->pg.file,
		    "page %zu is not present and file-backed in pagemap", page);
	/* A page cache page with a backing file; without one the store is a tmpfs file. */
	step_expect_pfn(t, s, f->pg.pfn == f->backing_pfn &&
			f->pg.kind == (t->info.has_backing ? PK_PAGECACHE : PK_SHMEM),
			"page %zu (PFN %#llx, %s) is not the store's page %#llx", page,
			(unsigned long long)f->pg.pfn, page_kind_name(f->pg.kind),
			(unsigned long long)f->backing_pfn);
	step_expect(t, s, f->bytes_known && f->bytes[0] == c, "page %zu does not read '%c'", page,
		    c);
	/* Read-only: a private mapping's write must fault, to copy. */
	step_expect_entry(t, s, VMLAB, false, page, VMLAB_LEVEL_PTE, VMLAB_WHAT_FILE,
			  VMLAB_E_PRESENT | VMLAB_E_USER, VMLAB_E_RW | VMLAB_E_DIRTY);
}

/* Page @page is a private copy: anonymous, exclusive, not the store's page. */
static void expect_copy(struct tour *t, struct step *s, size_t page, char c)
{
	const struct fact *f = step_fact(s, VMLAB, false, page);

	step_expect(t, s, f->pg.present && f->pg.exclusive && !f->pg.file,
		    "page %zu is not present, exclusive and anonymous in pagemap", page);
	step_expect_pfn(t, s, f->pg.pfn != f->backing_pfn && f->pg.kind == PK_ANON,
			"page %zu (PFN %#llx, %s) is not a new anonymous page", page,
			(unsigned long long)f->pg.pfn, page_kind_name(f->pg.kind));
	step_expect(t, s, f->bytes_known && f->bytes[0] == c, "page %zu does not read '%c'", page,
		    c);
	step_expect_entry(t, s, VMLAB, false, page, VMLAB_LEVEL_PTE, VMLAB_WHAT_ANON,
			  VMLAB_E_PRESENT | VMLAB_E_RW | VMLAB_E_DIRTY | VMLAB_E_ACCESSED, 0);
}

static int run_cow(struct tour *t)
{
	const struct fact *f;
	struct step *s;
	struct twin tw;
	int ret, k, around = 0, store;
	size_t i;
	char c = 'X';

	ret = twin_setup_store(t, &tw, NPAGES);
	if (ret)
		goto out;

	s = step_begin(t, "read",
		       "mmap %d pages of the store (page i holds 'A'+i, written back), MAP_PRIVATE; read page 0",
		       NPAGES);
	for (k = VMLAB; k <= NATIVE && !ret; k++)
		ret = twin_map(t, &tw, k, MAP_PRIVATE, PROT_READ | PROT_WRITE);
	if (ret) {
		step_abort(t, s, ret);
		goto out;
	}
	vl_read_byte(twin_page(&tw, VMLAB, 0));
	vl_read_byte(twin_page(&tw, NATIVE, 0));
	step_observe(t, s, &tw);
	expect_store_page(t, s, 0, 'A');
	for (i = 1; i < NPAGES; i++)
		around += step_fact(s, VMLAB, false, i)->pg.present;
	f = step_fact(s, VMLAB, false, 0);
	step_say(s,
		 "the read of page 0 mapped the store's own page%s, the very page read(2) reads: file-backed, not anonymous, its PTE read-only so that a write faults; fault-around mapped %d more of the store's pages already in memory%s",
		 pfn_note(t, f), around, cnt(t, s, "", "faults_read_private_cow",
					     "map_pages_private_cow", NULL));
	step_end(t, s);

	s = step_begin(t, "write", "write 'w' to page 3");
	vl_write_byte(twin_page(&tw, VMLAB, 3), 'w');
	vl_write_byte(twin_page(&tw, NATIVE, 3), 'w');
	step_observe(t, s, &tw);
	store = twin_store_byte(t, &tw, 3);
	step_event(s, "store_byte_3", store);
	expect_copy(t, s, 3, 'w');
	step_expect(t, s, store == 'D', "the store's page 3 changed: it reads %d", store);
	f = step_fact(s, VMLAB, false, 3);
	step_say(s,
		 "the write to page 3 copied it into a new page%s, anonymous and exclusive, and pointed the PTE at the copy, writable and dirty; the store is unchanged, read(2) still returns 'D'%s",
		 pfn_note(t, f), step_delta(s, "cow_sources") ?
		 cnt(t, s,
		     "; vmlab's ->fault handed over the store's page as the source of the copy",
		     "faults_write_private_cow", "cow_sources", NULL) :
		 t->counters ? CORE_COPIED : "");
	step_end(t, s);

	s = step_begin(t, "store-write",
		       "write(2) 'X' into page 2 of the store (and of the memfd)");
	if (pwrite(tw.s[VMLAB].fd, &c, 1, tw.s[VMLAB].off + 2 * (off_t)t->ps) != 1 ||
	    pwrite(tw.s[NATIVE].fd, &c, 1, 2 * (off_t)t->ps) != 1)
		step_expect(t, s, false, "write(2) failed");
	step_observe(t, s, &tw);
	expect_store_page(t, s, 2, 'X');
	f = step_fact(s, VMLAB, false, 3);
	step_expect(t, s, f->bytes_known && f->bytes[0] == 'w', "page 3 lost its 'w'");
	step_say(s,
		 "the mapping sees the new 'X' at once, since its page 2 is still the store's page%s; page 3 is a private copy and keeps its 'w'",
		 pfn_note(t, step_fact(s, VMLAB, false, 2)));
	step_end(t, s);

	s = step_begin(t, "dontneed",
		       "madvise(MADV_DONTNEED) pages 2-3; write 'y' to page 2; read page 3");
	for (k = VMLAB; k <= NATIVE; k++) {
		madvise(twin_page(&tw, k, 2), 2 * t->ps, MADV_DONTNEED);
		vl_write_byte(twin_page(&tw, k, 2), 'y');
		vl_read_byte(twin_page(&tw, k, 3));
	}
	step_observe(t, s, &tw);
	expect_copy(t, s, 2, 'y');
	expect_store_page(t, s, 3, 'D');
	step_expect(t, s, !t->counters || step_delta(s, "cow_sources") > 0,
		    "the write to the dropped page 2 did not come to vmlab's ->fault");
	step_say(s,
		 "MADV_DONTNEED dropped both entries; the write to page 2 then faulted%s and got a new private copy%s, while page 3 maps the store's page again%s and reads 'D': its private copy and the 'w' are gone",
		 cnt(t, s, ", and vmlab's ->fault handed over the store's page as the source",
		     "faults_write_private_cow", "cow_sources", NULL),
		 pfn_note(t, step_fact(s, VMLAB, false, 2)),
		 pfn_note(t, step_fact(s, VMLAB, false, 3)));
	step_end(t, s);
out:
	twin_close(&tw);
	return ret;
}

const struct section section_cow = {
	.name = "cow",
	.title = "private file mapping, copy-on-write",
	.intro = "MAP_PRIVATE of a file maps the file's own pages for reading; the first write\n"
		 "to a page copies it into a private anonymous page, and the file never changes.\n"
		 "vmlab's file is the store; the native twin is a memfd (tmpfs) file.",
	.run = run_cow,
};
