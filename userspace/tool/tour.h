/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab tour: the engine the sections share.
 *
 * A section maps a small region through /dev/vmlab and through its native
 * twin (a "twin" of two "sides"), and goes through steps.  A step acts on
 * both sides, observes every page of each (pagemap, kpageflags, the first
 * bytes), takes the vmlab counters that changed, checks what should have
 * happened, says it in a sentence, compares the twins, and prints itself
 * as text or JSON.
 */
#ifndef _VMLAB_TOOL_TOUR_H
#define _VMLAB_TOOL_TOUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "debugfs.h"
#include "json.h"
#include "pages.h"
#include "vmlab_uapi.h"
#include "walk.h"

#define TOUR_MAX_PAGES		1024	/* two 2 MiB pages of 4 KiB pages */
#define TOUR_BYTES		4	/* bytes of content shown per page */
#define TOUR_MAX_VIEWS		4
#define TOUR_MAX_EVENTS		16
#define TOUR_MAX_UNEXPECTED	8
#define TOUR_MAX_NOTES		6	/* lines of other facts a step prints */
#define TOUR_MAX_ENTRIES	(TOUR_MAX_PAGES + 32)	/* a side's PTEs and the tables above */
#define TOUR_MAX_CHANGES	12	/* lines of changed entries a view prints */

/* What a section's run() returns when it cannot run here (not a failure). */
#define TOUR_UNAVAILABLE	1

/* The two sides of a twin. */
enum { VMLAB, NATIVE };

/**
 * struct walk_set - the page-table entries of one side, as the walker read them
 * @valid: they were read
 * @err: -errno of the walker, 0 when it worked
 * @levels: paging levels
 * @truncated: more entries than room, the rest left out
 * @n: entries
 * @e: the entries, in the walker's order
 */
struct walk_set {
	bool valid;
	int err;
	unsigned int levels;
	bool truncated;
	size_t n;
	struct vmlab_walk_entry e[TOUR_MAX_ENTRIES];
};

/**
 * struct side - one mapping of a twin
 * @what: how it is mapped, for people
 * @fd: the /dev/vmlab file or the memfd it maps, or -1
 * @file: what @fd is when it is neither (e.g. "file on ext4"), or ""
 * @backed: it maps @fd's pages at @off, whose PFNs are in @backing_pfn
 * @off: offset into @fd
 * @area: the PROT_NONE reservation it lives in, so no neighbour merges
 * @area_len: its length
 * @addr: the mapping, inside @area
 * @prot: its protection now
 * @mapped: @addr is mapped
 * @backing_pfn: PFN of each page of @fd at @off, 0 when not known
 */
struct side {
	char what[128];
	int fd;
	char file[64];
	bool backed;
	off_t off;
	char *area;
	size_t area_len;
	char *addr;
	int prot;
	bool mapped;
	uint64_t backing_pfn[TOUR_MAX_PAGES];
};

/**
 * struct twin - a vmlab mapping and its native twin, of the same size
 * @npages: pages in each
 * @len: bytes in each
 * @s: the sides, [VMLAB] and [NATIVE]
 * @prev: the entries of each side at the last step that observed it, which
 *	the next step's are compared with
 */
struct twin {
	size_t npages;
	size_t len;
	struct side s[2];
	struct walk_set prev[2];
};

/**
 * struct fact - one page as one process sees it after a step
 * @pg: pagemap and kpageflags facts
 * @backing_pfn: PFN of the file page at the same offset, 0 when none
 * @bytes_known: @bytes were read (the page is present and readable)
 * @bytes: its first bytes
 */
struct fact {
	struct page_fact pg;
	uint64_t backing_pfn;
	bool bytes_known;
	unsigned char bytes[TOUR_BYTES];
};

/**
 * struct view - every page of one side, as one process sees them
 * @side: VMLAB or NATIVE
 * @child: seen by the fork child, not the tour's process
 * @what: the side's description
 * @addr: the side's first address
 * @n: pages
 * @f: the pages
 * @walk: the page-table entries of the side's range, from the walker (read
 *	after pagemap, before the bytes: reading them sets accessed bits)
 * @diffed: @walk was compared with the twin's previous entries
 * @first: there were none: @changes list the entries as they are
 * @changed: entries that changed since the twin's previous step
 * @changes: what changed, a line each (runs folded)
 * @nchanges: lines
 * @more: lines left out
 */
struct view {
	int side;
	bool child;
	char what[128];
	uintptr_t addr;
	size_t n;
	struct fact f[TOUR_MAX_PAGES];
	struct walk_set walk;
	bool diffed;
	bool first;
	size_t changed;
	char changes[TOUR_MAX_CHANGES][200];
	int nchanges;
	int more;
};

/**
 * struct step - one step of a section
 * @number: from 1 in each section
 * @name: short name, for JSON and tests
 * @action: what was done
 * @views: what was seen
 * @nviews: how many
 * @before: vmlab's counters before the action
 * @after: and after it
 * @counted: @after was taken
 * @events: other numbers the step measured, by name
 * @nevents: how many
 * @notes: facts read elsewhere than pagemap and kpageflags (mincore,
 *	getrusage, /proc/vmstat, ...), one line each
 * @nnotes: how many
 * @no_read: observe without reading the pages' first bytes (reads set
 *	accessed bits, which the step wants to show clear)
 * @skipped: the step could not be carried out here (it says why), and was
 *	not: it has no views and no comparison
 * @sentence: what happened, in words
 * @twin: how the native twin compares
 * @unexpected: what did not happen as it should have
 * @nunexpected: how many
 * @unchecked: checks skipped because PFNs or kpageflags are hidden
 */
struct step {
	int number;
	char name[24];
	char action[160];
	struct view *views[TOUR_MAX_VIEWS];
	int nviews;
	struct vl_counters before;
	struct vl_counters after;
	bool counted;
	struct {
		char key[40];
		long long value;
	} events[TOUR_MAX_EVENTS];
	int nevents;
	char notes[TOUR_MAX_NOTES][200];
	int nnotes;
	bool no_read;
	bool skipped;
	char sentence[720];
	char twin[400];
	char unexpected[TOUR_MAX_UNEXPECTED][240];
	int nunexpected;
	int unchecked;
};

/**
 * struct tour - the state of a tour
 * @json: JSON output
 * @jw: the JSON writer
 * @pfns: PFNs and kpageflags are visible
 * @counters: vmlab's debugfs counters are readable
 * @ps: page size
 * @info: what VMLAB_IOC_GET_INFO says about the device
 * @wb_centisecs: /proc/sys/vm/dirty_writeback_centisecs, -1 when unreadable
 * @expire_centisecs: /proc/sys/vm/dirty_expire_centisecs, -1 when unreadable
 * @zero_pfn: the zero page's PFN, 0 when hidden
 * @walk_fd: a file of the device for the walker, -1 when there is none
 * @walk_err: 0 when the walker can read our page tables, else its -errno
 * @store_next: offset of the next unused range of the store
 * @nsteps: steps so far in the running section
 * @section_ok: no step of the running section found anything unexpected
 * @why: why the running section could not run or failed
 */
struct tour {
	bool json;
	struct vl_jw jw;
	bool pfns;
	bool counters;
	size_t ps;
	struct vmlab_info info;
	long wb_centisecs;
	long expire_centisecs;
	uint64_t zero_pfn;
	int walk_fd;
	int walk_err;
	off_t store_next;
	int nsteps;
	bool section_ok;
	char why[256];
};

/**
 * struct section - one section of the tour
 * @name: what selects it on the command line
 * @title: its heading
 * @intro: what it shows, in two or three lines
 * @run: maps, steps, unmaps; returns 0, TOUR_UNAVAILABLE (with @why set),
 *	or -errno (with @why set) when it could not be carried out
 */
struct section {
	const char *name;
	const char *title;
	const char *intro;
	int (*run)(struct tour *t);
};

extern const struct section section_anon, section_cow, section_shared, section_shared_anon,
	section_huge, section_thp, section_flags, section_reclaim;

/* tour.c */
int tour_fail(struct tour *t, int err, const char *fmt, ...);

/* twin.c: mappings and their backing files */
void twin_init(struct tour *t, struct twin *tw, size_t npages);
int twin_reserve(struct tour *t, struct twin *tw);
int twin_open_vmlab(struct tour *t, struct twin *tw, unsigned int kind);
int twin_open_memfd(struct tour *t, struct twin *tw, unsigned int flags);
int twin_use_store(struct tour *t, struct twin *tw);
int twin_fill(struct tour *t, struct twin *tw, char first);
int twin_probe(struct tour *t, struct twin *tw);
int twin_setup_store(struct tour *t, struct twin *tw, size_t npages);
int twin_map(struct tour *t, struct twin *tw, int side, int flags, int prot);
void twin_unmap(struct twin *tw);
void twin_close(struct twin *tw);
char *twin_page(struct twin *tw, int side, size_t page);
int twin_store_byte(struct tour *t, struct twin *tw, size_t page);
int child_status(void (*fn)(void *arg), void *arg);
long long vmlck_kb(void);
long long meminfo(const char *field);
long long vmstat_field(const char *field);
long proc_long(const char *path);

/* step.c: the life of a step */
struct step *step_begin(struct tour *t, const char *name, const char *fmt, ...);
void step_counted(struct tour *t, struct step *s);
void step_observe(struct tour *t, struct step *s, struct twin *tw);
void step_fork(struct tour *t, struct step *s, struct twin *tw,
	       void (*child)(struct twin *tw, void *arg), void *arg);
void step_event(struct step *s, const char *key, long long value);
long long step_delta(const struct step *s, const char *name);
bool step_expect(struct tour *t, struct step *s, bool cond, const char *fmt, ...);
bool step_expect_pfn(struct tour *t, struct step *s, bool cond, const char *fmt, ...);
void step_say(struct step *s, const char *fmt, ...);
void step_note(struct step *s, const char *fmt, ...);
void step_skip(struct tour *t, struct step *s, const char *fmt, ...);
void step_end(struct tour *t, struct step *s);
const struct fact *step_fact(const struct step *s, int side, bool child, size_t page);
const char *pfn_note(const struct tour *t, const struct fact *f);
const char *cnt(const struct tour *t, const struct step *s, const char *lead, ...)
	__attribute__((sentinel));
int step_abort(struct tour *t, struct step *s, int err);
bool has_kpf(const struct fact *f, unsigned int bit);

/* The level step_entry() takes for the leaf, whatever its level. */
#define LEAF	VL_WALK_NR_LEVELS
/* The kind step_expect_entry() takes for any kind. */
#define ANY	(-1)
const struct vmlab_walk_entry *step_entry(const struct step *s, int side, bool child,
					  size_t page, unsigned int level);
bool step_walked(const struct tour *t, const struct step *s, int side, bool child);
bool step_expect_entry(struct tour *t, struct step *s, int side, bool child, size_t page,
		       unsigned int level, int what, uint64_t set, uint64_t clear);
bool step_expect_no_ptes(struct tour *t, struct step *s, int side, size_t first, size_t n);

/* step_print.c: a step as text or JSON */
void step_print_text(struct tour *t, const struct step *s);
void step_print_json(struct tour *t, const struct step *s);

#endif /* _VMLAB_TOOL_TOUR_H */
