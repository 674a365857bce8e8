// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour, mapping flags: MAP_POPULATE faults everything in at mmap,
 * MAP_LOCKED also locks it, and mprotect changes what may be done to it.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "pagemap.h"
#include "touch.h"
#include "tour.h"

#define NPAGES	4

static void write_page0(void *arg)
{
	vl_write_byte(arg, 'x');
}

static int populate(struct tour *t)
{
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
	s = step_begin(t, "populate",
		       "mmap %d pages, MAP_PRIVATE|MAP_POPULATE, anonymous; touch nothing",
		       NPAGES);
	for (k = VMLAB; k <= NATIVE && !ret; k++)
		ret = twin_map(t, &tw, k, MAP_PRIVATE | MAP_POPULATE, PROT_READ | PROT_WRITE);
	if (ret) {
		step_abort(t, s, ret);
		goto out;
	}
	step_observe(t, s, &tw);
	for (i = 0; i < NPAGES; i++) {
		const struct fact *f = step_fact(s, VMLAB, false, i);

		step_expect(t, s, f->pg.present && f->pg.exclusive && !f->pg.file,
			    "page %zu is not present, exclusive and anonymous", i);
		step_expect_pfn(t, s, f->pg.kind == PK_ANON, "page %zu is %s, not anonymous", i,
				page_kind_name(f->pg.kind));
	}
	step_say(s,
		 "MAP_POPULATE faulted all %d pages in during mmap, before any access; a writable private mapping is populated by write faults, so each is already a zero-filled anonymous page of its own%s",
		 NPAGES, cnt(t, s, "", "faults_write_private_anon", "zero_sources", NULL));
	step_end(t, s);
out:
	twin_close(&tw);
	return ret;
}

static int with_map_locked(struct tour *t)
{
	long long v0, v1, v2;
	int ret, k, st[2], store;
	const struct fact *f;
	struct step *s;
	struct twin tw;
	size_t i;

	ret = twin_setup_store(t, &tw, NPAGES);
	if (ret)
		goto out;

	s = step_begin(t, "locked",
		       "mmap %d pages of the store, MAP_SHARED|MAP_LOCKED; touch nothing",
		       NPAGES);
	v0 = vmlck_kb();
	ret = twin_map(t, &tw, VMLAB, MAP_SHARED | MAP_LOCKED, PROT_READ | PROT_WRITE);
	v1 = vmlck_kb();
	if (!ret)
		ret = twin_map(t, &tw, NATIVE, MAP_SHARED | MAP_LOCKED, PROT_READ | PROT_WRITE);
	v2 = vmlck_kb();
	if (ret) {
		step_abort(t, s, ret);
		goto out;
	}
	step_event(s, "vmlab_vmlck_kb", v1 - v0);
	step_event(s, "native_vmlck_kb", v2 - v1);
	step_observe(t, s, &tw);
	for (i = 0; i < NPAGES; i++) {
		f = step_fact(s, VMLAB, false, i);
		step_expect(t, s, f->pg.present, "page %zu is not present", i);
		step_expect_pfn(t, s, f->pg.pfn == f->backing_pfn &&
				has_kpf(f, VL_KPF_MLOCKED) && has_kpf(f, VL_KPF_UNEVICTABLE),
				"page %zu is not the store's page, mlocked and unevictable", i);
	}
	step_expect(t, s, v1 - v0 == (long long)(NPAGES * t->ps / 1024),
		    "VmLck grew by %lld kB, not %zu", v1 - v0, NPAGES * t->ps / 1024);
	step_say(s,
		 "MAP_LOCKED populated all %d pages (the store's own) and locked them in memory: kpageflags mlocked and unevictable, and VmLck grew by %lld kB%s",
		 NPAGES, v1 - v0, cnt(t, s, "", "faults_read_shared", "map_pages_shared", NULL));
	step_end(t, s);

	s = step_begin(t, "read-only", "mprotect(PROT_READ); a child writes 'x' to page 0");
	for (k = VMLAB; k <= NATIVE; k++) {
		mprotect(tw.s[k].addr, tw.len, PROT_READ);
		tw.s[k].prot = PROT_READ;
		st[k] = child_status(write_page0, twin_page(&tw, k, 0));
	}
	step_event(s, "vmlab_child_signal", WIFSIGNALED(st[VMLAB]) ? WTERMSIG(st[VMLAB]) : 0);
	step_event(s, "native_child_signal", WIFSIGNALED(st[NATIVE]) ? WTERMSIG(st[NATIVE]) : 0);
	step_observe(t, s, &tw);
	store = twin_store_byte(t, &tw, 0);
	f = step_fact(s, VMLAB, false, 0);
	step_expect(t, s, WIFSIGNALED(st[VMLAB]) && WTERMSIG(st[VMLAB]) == SIGSEGV,
		    "the write to the read-only page did not end in SIGSEGV (wait status %#x)",
		    st[VMLAB]);
	step_expect(t, s, f->bytes_known && f->bytes[0] == 'A' && store == 'A',
		    "page 0 or the store changed");
	step_say(s,
		 "after mprotect(PROT_READ) the write killed the child with SIGSEGV; page 0 still reads 'A', and so does the store");
	step_end(t, s);

	s = step_begin(t, "writable", "mprotect(PROT_READ|PROT_WRITE); write 'w' to page 0");
	for (k = VMLAB; k <= NATIVE; k++) {
		mprotect(tw.s[k].addr, tw.len, PROT_READ | PROT_WRITE);
		tw.s[k].prot = PROT_READ | PROT_WRITE;
		vl_write_byte(twin_page(&tw, k, 0), 'w');
	}
	step_observe(t, s, &tw);
	f = step_fact(s, VMLAB, false, 0);
	/* Dirty tracking is the store's with a backing file; without one it is a tmpfs file. */
	step_expect_pfn(t, s, f->pg.pfn == f->backing_pfn &&
			(has_kpf(f, VL_KPF_DIRTY) || !t->info.has_backing),
			"page 0 is not the store's page, dirty");
	step_expect(t, s, f->bytes_known && f->bytes[0] == 'w', "page 0 does not read 'w'");
	step_expect(t, s, !t->counters ||
		    (step_delta(s, "page_mkwrite") > 0) == !!t->info.has_backing,
		    t->info.has_backing ? "the write did not go through ->page_mkwrite" :
		    "the write went through ->page_mkwrite");
	if (t->info.has_backing)
		step_say(s,
			 "after mprotect(PROT_READ|PROT_WRITE) the write succeeds%s, and page 0, still the store's page%s, is dirty",
			 cnt(t, s,
			     "; the entry was still write-protected for dirty tracking, so ->page_mkwrite ran",
			     "page_mkwrite", "pages_dirtied", NULL), pfn_note(t, f));
	else
		step_say(s,
			 "after mprotect(PROT_READ|PROT_WRITE) the write succeeds into page 0, still the store's page%s, with no ->page_mkwrite: the store is a tmpfs file",
			 pfn_note(t, f));
	step_end(t, s);
out:
	twin_close(&tw);
	return ret;
}

static int run_flags(struct tour *t)
{
	int ret = populate(t);

	return ret ? ret : with_map_locked(t);
}

const struct section section_flags = {
	.name = "flags",
	.title = "MAP_POPULATE, MAP_LOCKED and mprotect",
	.intro = "MAP_POPULATE faults a mapping in at mmap time; MAP_LOCKED does that and locks\n"
		 "the pages in memory; mprotect changes what may be done to them, and the next\n"
		 "write after write access comes back still goes through dirty tracking.",
	.run = run_flags,
};
