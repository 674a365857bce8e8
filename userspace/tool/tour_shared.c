// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour, shared file mappings: writes go straight into the file's
 * pages, which become dirty; write-back cleans them and write-protects
 * them again, so that the next write is noticed.  That is the store with a
 * backing file; without one the store is a tmpfs file, as the twin is:
 * nothing to write back, no write-notify, and the steps show that.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pagemap.h"
#include "procfs.h"
#include "touch.h"
#include "tour.h"

#define NPAGES	4
#define TMPFS_DIRTY	"; tmpfs has nowhere to write to, and the twin's page stays dirty"
#define NO_WRITENOTIFY	"writable at once: the store is a tmpfs file, which has no write-notify"

static bool dirty(const struct fact *f)
{
	return has_kpf(f, VL_KPF_DIRTY);
}

/* The present PTE of the store's page @page, with @set and without @clear. */
static void expect_pte(struct tour *t, struct step *s, size_t page, uint64_t set, uint64_t clear)
{
	step_expect_entry(t, s, VMLAB, false, page, VMLAB_LEVEL_PTE, VMLAB_WHAT_FILE,
			  VMLAB_E_PRESENT | VMLAB_E_USER | set, clear);
}

static void write_both(struct twin *tw, size_t page, char c)
{
	vl_write_byte(twin_page(tw, VMLAB, page), c);
	vl_write_byte(twin_page(tw, NATIVE, page), c);
}

/* Whether page @page of the vmlab side is dirty now, from kpageflags. */
static int page_dirty_now(struct twin *tw, size_t page)
{
	struct pages_reader r;
	struct page_fact f;
	int ret = -1;

	if (pages_open(&r, 0))
		return -1;
	if (!pages_read(&r, (unsigned long)twin_page(tw, VMLAB, page), 1, &f) && f.kpf_known)
		ret = !!(f.kpf & (UINT64_C(1) << VL_KPF_DIRTY));
	pages_close(&r);
	return ret;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait until the kernel's flusher has cleaned page @page: it wakes every
 * dirty_writeback_centisecs and writes back what has been dirty for
 * dirty_expire_centisecs.  The seconds waited, or -1.
 */
static double wait_flusher(struct tour *t, struct twin *tw, size_t page)
{
	double start = now(), limit = (t->expire_centisecs + 2.0 * t->wb_centisecs) / 100 + 5;
	struct timespec tick = { 0, 100 * 1000 * 1000 };

	while (now() - start < limit) {
		int d = page_dirty_now(tw, page);

		if (d == 0)
			return now() - start;
		if (d < 0) {
			/* kpageflags is hidden: wait for one expiry and a wake-up, then look. */
			tick.tv_sec = (t->expire_centisecs + t->wb_centisecs) / 100 + 1;
			tick.tv_nsec = 0;
			nanosleep(&tick, NULL);
			return now() - start;
		}
		nanosleep(&tick, NULL);
	}
	return -1;
}

/*
 * The store without a backing file, after the write: msync writes nothing
 * back and the next write takes no fault, as for the memfd twin.  Closes
 * @tw.
 */
static int tmpfs_steps(struct tour *t, struct twin *tw)
{
	struct step *s;
	int k;

	s = step_begin(t, "msync", "msync(MS_SYNC) the mapping");
	for (k = VMLAB; k <= NATIVE; k++)
		msync(tw->s[k].addr, tw->len, MS_SYNC);
	step_observe(t, s, tw);
	step_expect(t, s, !t->counters || step_delta(s, "writeback_runs") == 0,
		    "msync ran vmlab's write-back for a tmpfs store");
	expect_pte(t, s, 1, VMLAB_E_RW | VMLAB_E_DIRTY, 0);
	step_say(s,
		 "msync(MS_SYNC) had nothing to write back: without backing= the store is a tmpfs file, as the twin is, and keeps its pages until swap takes them; page 1's PTE stays writable and dirty");
	step_end(t, s);

	s = step_begin(t, "rewrite", "write 'x' to page 1 again");
	write_both(tw, 1, 'x');
	step_observe(t, s, tw);
	step_expect(t, s, !t->counters || step_delta(s, "page_mkwrite") == 0,
		    "the write called ->page_mkwrite");
	step_expect(t, s, !t->counters || step_delta(s, "faults_write_shared") == 0,
		    "the write to the writable entry faulted");
	expect_pte(t, s, 1, VMLAB_E_RW | VMLAB_E_DIRTY, 0);
	step_say(s,
		 "the write took no fault: nothing write-protected the entry%s",
		 cnt(t, s, "", "page_mkwrite", "faults_write_shared", NULL));
	step_end(t, s);
	twin_close(tw);
	return 0;
}

static int run_shared(struct tour *t)
{
	const struct fact *f, *n;
	struct step *s;
	struct twin tw;
	int ret, k, store, around = 0;
	long wb = t->wb_centisecs, ex = t->expire_centisecs;
	long long dirty0, dirty1, written0, written1;
	/* With a backing file the store tracks dirtying; else it is a tmpfs file. */
	bool wn = t->info.has_backing;
	double waited;
	size_t i;

	ret = twin_setup_store(t, &tw, NPAGES);
	if (ret)
		goto out;

	s = step_begin(t, "read",
		       "mmap %d pages of the store (page i holds 'A'+i, written back), MAP_SHARED; read page 0",
		       NPAGES);
	for (k = VMLAB; k <= NATIVE && !ret; k++)
		ret = twin_map(t, &tw, k, MAP_SHARED, PROT_READ | PROT_WRITE);
	if (ret) {
		step_abort(t, s, ret);
		goto out;
	}
	vl_read_byte(twin_page(&tw, VMLAB, 0));
	vl_read_byte(twin_page(&tw, NATIVE, 0));
	step_observe(t, s, &tw);
	f = step_fact(s, VMLAB, false, 0);
	step_expect(t, s, f->pg.present && f->pg.file, "page 0 is not present and file-backed");
	/* A tmpfs page has no clean state to show: it is never written back. */
	step_expect_pfn(t, s, f->pg.pfn == f->backing_pfn && (!wn || !dirty(f)),
			"page 0 is not the store's clean page");
	/* With write-notify a read maps the page read-only: the first write must fault. */
	expect_pte(t, s, 0, wn ? 0 : VMLAB_E_RW, (wn ? VMLAB_E_RW : 0) | VMLAB_E_DIRTY);
	for (i = 1; i < NPAGES; i++)
		around += step_fact(s, VMLAB, false, i)->pg.present;
	step_say(s,
		 "the read of page 0 mapped the store's own page%s, %s; fault-around mapped %d more of the store's pages%s",
		 pfn_note(t, f),
		 wn ? "clean, its PTE read-only so that the first write faults" : NO_WRITENOTIFY,
		 around, cnt(t, s, "", "faults_read_shared", "map_pages_shared", NULL));
	step_end(t, s);

	s = step_begin(t, "write", "write 'w' to page 1");
	write_both(&tw, 1, 'w');
	step_observe(t, s, &tw);
	store = twin_store_byte(t, &tw, 1);
	step_event(s, "store_byte_1", store);
	f = step_fact(s, VMLAB, false, 1);
	step_expect_pfn(t, s, f->pg.pfn == f->backing_pfn && f->pg.file,
			"page 1 is not the store's own page after the write");
	step_expect(t, s, store == 'w', "read(2) of the store's page 1 returns %d, not 'w'", store);
	expect_pte(t, s, 1, VMLAB_E_RW | VMLAB_E_DIRTY, 0);
	if (!wn) {
		step_expect(t, s, !t->counters || step_delta(s, "page_mkwrite") == 0,
			    "->page_mkwrite was called for a tmpfs store");
		step_say(s,
			 "the write to page 1 went into the store's own page%s, no copy, with no ->page_mkwrite: a tmpfs file tracks no dirtying; read(2) of the store returns 'w' already%s",
			 pfn_note(t, f), cnt(t, s, "", "faults_write_shared", NULL));
		step_end(t, s);
		return tmpfs_steps(t, &tw);
	}
	step_expect_pfn(t, s, dirty(f), "page 1 is not dirty after the write");
	step_expect(t, s, !t->counters || step_delta(s, "page_mkwrite") > 0,
		    "->page_mkwrite was not called");
	step_say(s,
		 "the write to page 1 went into the store's own page%s, no copy; ->page_mkwrite marked it dirty%s and the kernel made its PTE writable and dirty; read(2) of the store returns 'w' already",
		 pfn_note(t, f), cnt(t, s,
				     "",
				     "page_mkwrite", "pages_dirtied", "dirty_store", NULL));
	step_end(t, s);

	s = step_begin(t, "msync", "msync(MS_SYNC) the mapping");
	for (k = VMLAB; k <= NATIVE; k++)
		msync(tw.s[k].addr, tw.len, MS_SYNC);
	step_observe(t, s, &tw);
	f = step_fact(s, VMLAB, false, 1);
	n = step_fact(s, NATIVE, false, 1);
	step_expect_pfn(t, s, !dirty(f), "page 1 is still dirty after msync");
	step_expect(t, s, !t->counters || step_delta(s, "writeback_runs") > 0,
		    "msync did not run vmlab's write-back");
	/* The write-protect re-arm: clean, and read-only until ->page_mkwrite. */
	expect_pte(t, s, 1, 0, VMLAB_E_RW | VMLAB_E_DIRTY | VMLAB_E_KDIRTY);
	if (!t->counters || step_delta(s, "pages_written_back"))
		step_say(s,
			 "msync(MS_SYNC) wrote page 1 back: it is clean again, and write-back write-protected its entry (-rw -dirty in the PTE) so that the next write is noticed%s%s",
			 cnt(t, s, "", "writeback_runs", "pages_written_back", "wp_rearms",
			     "dirty_store", NULL),
			 dirty(n) ? TMPFS_DIRTY : "");
	else
		step_say(s,
			 "msync(MS_SYNC) found page 1 clean already: the kernel's flusher had written it back first%s",
			 cnt(t, s, "", "writeback_runs", "pages_written_back", NULL));
	step_end(t, s);

	s = step_begin(t, "rewrite", "write 'x' to page 1 again");
	write_both(&tw, 1, 'x');
	step_observe(t, s, &tw);
	f = step_fact(s, VMLAB, false, 1);
	step_expect_pfn(t, s, dirty(f), "page 1 is not dirty after the write");
	step_expect(t, s, !t->counters || step_delta(s, "page_mkwrite") > 0,
		    "the write to the written-back page did not fault");
	expect_pte(t, s, 1, VMLAB_E_RW | VMLAB_E_DIRTY, 0);
	step_say(s,
		 "the write faulted again, because write-back had write-protected the entry: ->page_mkwrite ran once more%s, then the kernel made the PTE writable and dirty again, and page 1 is dirty again",
		 cnt(t, s, "", "page_mkwrite", "pages_dirtied", NULL));
	step_end(t, s);

	s = step_begin(t, "writeback",
		       "write 'y' to page 2, then wait for the kernel's flusher (no msync)");
	write_both(&tw, 2, 'y');
	/* Fold the per-CPU counters first (root only), or Dirty lags behind by seconds. */
	vl_write_file("/proc/sys/vm/stat_refresh", "1");
	dirty0 = meminfo("Dirty");
	written0 = vmstat_field("nr_written");
	waited = wb > 0 && ex >= 0 ? wait_flusher(t, &tw, 2) : 0;
	vl_write_file("/proc/sys/vm/stat_refresh", "1");
	dirty1 = meminfo("Dirty");
	written1 = vmstat_field("nr_written");
	step_event(s, "waited_ms", (long long)(waited * 1000));
	step_event(s, "dirty_writeback_centisecs", wb);
	step_event(s, "dirty_expire_centisecs", ex);
	step_event(s, "meminfo_dirty_kb_before", dirty0);
	step_event(s, "meminfo_dirty_kb_after", dirty1);
	step_event(s, "nr_written", written1 - written0);
	step_note(s, "vm.dirty_writeback_centisecs %ld, vm.dirty_expire_centisecs %ld", wb, ex);
	step_note(s,
		  "/proc/meminfo Dirty (every dirty file page here): %lld kB after the write, %lld kB after the wait",
		  dirty0, dirty1);
	step_note(s, "/proc/vmstat nr_written (pages written back here) %+lld",
		  written1 - written0);
	step_observe(t, s, &tw);
	f = step_fact(s, VMLAB, false, 2);
	if (wb <= 0 || ex < 0) {
		step_say(s,
			 "the flusher's periodic write-back is off (vm.dirty_writeback_centisecs %ld): page 2 stays dirty until msync, fsync, sync or dirty_ratio",
			 wb);
	} else {
		step_expect(t, s, waited >= 0, "page 2 was still dirty after %.1f s",
			    (ex + 2.0 * wb) / 100 + 5);
		step_expect_pfn(t, s, !dirty(f), "page 2 is still dirty");
		if (waited >= 0)
			expect_pte(t, s, 2, 0, VMLAB_E_RW | VMLAB_E_DIRTY | VMLAB_E_KDIRTY);
		step_say(s,
			 "with no msync at all, the kernel's flusher wrote page 2 back within %.1f s: it wakes every %ld.%02ld s and writes back the files dirty for %ld.%02ld s (counted from when the store's inode became dirty, which can be well before this write); page 2 is clean and its entry write-protected again (-rw -dirty), Dirty went from %lld to %lld kB%s",
			 waited, wb / 100, wb % 100, ex / 100, ex % 100, dirty0, dirty1,
			 cnt(t, s, "", "writeback_runs", "pages_written_back", "wp_rearms", NULL));
	}
	step_end(t, s);
out:
	twin_close(&tw);
	return ret;
}

const struct section section_shared = {
	.name = "shared",
	.title = "shared file mapping, dirty tracking and write-back",
	.intro = "MAP_SHARED of a file maps the file's pages for every process: writes go\n"
		 "straight into them and make them dirty; write-back (msync, or the kernel's\n"
		 "flusher threads) cleans them and write-protects them again, so that the next\n"
		 "write is noticed. vmlab's file is the store; the native twin is a memfd\n"
		 "(tmpfs), which has no write-back, and nor has the store without backing=:\n"
		 "it is a tmpfs file then.",
	.run = run_shared,
};
