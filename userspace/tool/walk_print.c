// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tool: page-table entries from the walker as a table, as JSON, and
 * as the changes between two walks of the same range.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "table.h"
#include "walk_print.h"

/* The address bits of a present entry (bits 12-51). */
#define PFN_FIELD	UINT64_C(0x000ffffffffff000)

uint64_t walk_shown_bits(const struct vmlab_walk_entry *e)
{
	uint64_t b = e->bits & ~(VMLAB_E_LEAF | VMLAB_E_WRITE | VMLAB_E_KDIRTY);

	if ((e->bits & VMLAB_E_KDIRTY) && !(e->bits & VMLAB_E_DIRTY))
		b |= VMLAB_E_KDIRTY;
	return b;
}

static uint64_t entry_pages(const struct vmlab_walk_entry *e, unsigned int levels)
{
	return UINT64_C(1) << (vl_walk_level_shift(e->level, levels) - 12);
}

/* The number a run steps by: the PFN of a present leaf, the offset of a swap entry. */
static uint64_t run_key(const struct vmlab_walk_entry *e)
{
	return e->what == VMLAB_WHAT_SWAP ? e->swap_offset : e->pfn;
}

/* Whether @b may follow @a in one run, @a's key stepping to @b's by @step. */
static bool same_kind(const struct vmlab_walk_entry *a, const struct vmlab_walk_entry *b,
		      unsigned int levels)
{
	uint64_t size = UINT64_C(1) << vl_walk_level_shift(a->level, levels);

	if (a->what == VMLAB_WHAT_TABLE || b->level != a->level || b->what != a->what ||
	    b->addr != a->addr + size || b->bits != a->bits || b->order != a->order ||
	    b->pkey != a->pkey || b->ino != a->ino || b->dev != a->dev ||
	    b->swap_type != a->swap_type || b->table_pfn != a->table_pfn)
		return false;
	/* The bits the decoding leaves out (e.g. saved-dirty) must agree too. */
	return a->what == VMLAB_WHAT_SWAP || (a->raw & ~PFN_FIELD) == (b->raw & ~PFN_FIELD);
}

size_t walk_run(const struct vmlab_walk_entry *e, size_t n, size_t i, unsigned int levels)
{
	uint64_t step, pages = entry_pages(&e[i], levels);
	size_t j;

	if (i + 1 >= n || !same_kind(&e[i], &e[i + 1], levels))
		return 1;
	step = run_key(&e[i + 1]) - run_key(&e[i]);
	if (step && step != (e[i].what == VMLAB_WHAT_SWAP ? 1 : pages))
		return 1;
	for (j = i + 2; j < n; j++)
		if (!same_kind(&e[j - 1], &e[j], levels) ||
		    run_key(&e[j]) - run_key(&e[j - 1]) != step)
			break;
	return j - i;
}

/* The short form of an entry in its level's column: tbl, fold, 4K, 2M, 1G, swp, ... */
static const char *short_form(const struct vmlab_walk_entry *e)
{
	static const char *const sizes[VL_WALK_NR_LEVELS] = { "512G", "512G", "1G", "2M", "4K" };

	if (e->what == VMLAB_WHAT_TABLE)
		return (e->bits & VMLAB_E_FOLDED) ? "fold" : "tbl";
	if (e->what == VMLAB_WHAT_SWAP) {
		if (e->bits & VMLAB_E_MIGRATION)
			return "mig";
		if (e->bits & VMLAB_E_HWPOISON)
			return "hwp";
		if (e->bits & VMLAB_E_DEVICE_PRIVATE)
			return "dev";
		if (e->bits & VMLAB_E_MARKER)
			return "mrk";
		return "swp";
	}
	return e->level < VL_WALK_NR_LEVELS ? sizes[e->level] : "?";
}

void walk_table_print(const struct vmlab_walk_entry *e, size_t n, unsigned int levels,
		      FILE *out, const char *indent)
{
	char letters[VL_WALK_LETTERS], what[96], sw[160];
	struct table t;
	size_t i, run, l;

	table_init(&t, 0, 12, "address", "PGD", "P4D", "PUD", "PMD", "PTE", "raw", "bits", "pfn",
		   "maps", "table", "sw");
	for (i = 0; i < n; i += run) {
		const struct vmlab_walk_entry *a = &e[i], *z;

		run = walk_run(e, n, i, levels);
		z = &e[i + run - 1];
		table_cell(&t, "%llx", (unsigned long long)a->addr);
		for (l = 0; l < VL_WALK_NR_LEVELS; l++) {
			if (l != a->level)
				table_cell(&t, "%s", "");
			else if (run > 1)
				table_cell(&t, "%sx%zu", short_form(a), run);
			else
				table_cell(&t, "%s", short_form(a));
		}
		table_cell(&t, "%016llx", (unsigned long long)a->raw);
		table_cell(&t, "%s", vl_walk_letters(a->bits, letters));
		if (a->what == VMLAB_WHAT_SWAP && !(a->bits & (VMLAB_E_MIGRATION |
							       VMLAB_E_HWPOISON |
							       VMLAB_E_DEVICE_PRIVATE)))
			table_cell(&t, "-");
		else if (run > 1 && z->pfn != a->pfn)
			table_cell(&t, "%#llx-%#llx", (unsigned long long)a->pfn,
				   (unsigned long long)(z->pfn + entry_pages(z, levels) - 1));
		else
			table_cell(&t, "%#llx", (unsigned long long)a->pfn);
		if (a->what == VMLAB_WHAT_SWAP && run > 1 && z->swap_offset != a->swap_offset)
			snprintf(what, sizeof(what), "swap type %u offsets 0x%llx-0x%llx",
				 a->swap_type, (unsigned long long)a->swap_offset,
				 (unsigned long long)z->swap_offset);
		else
			vl_walk_describe(a, what, sizeof(what));
		table_cell(&t, "%s", what);
		table_cell(&t, "%#llx", (unsigned long long)a->table_pfn);
		vl_walk_bits_format(walk_shown_bits(a), WALK_SW_BITS, " ", sw, sizeof(sw));
		if (a->pkey)
			snprintf(sw + strlen(sw), sizeof(sw) - strlen(sw), "%spkey=%u",
				 sw[0] ? " " : "", a->pkey);
		table_cell(&t, "%s", sw);
	}
	table_print(&t, out, indent);
	table_free(&t);
}

void walk_entry_json(struct vl_jw *w, const struct vmlab_walk_entry *e)
{
	char text[96];
	unsigned int bit;

	vl_jw_object(w, NULL);
	vl_jw_string(w, "level", vl_walk_level_name(e->level));
	vl_jw_stringf(w, "addr", "0x%llx", (unsigned long long)e->addr);
	vl_jw_stringf(w, "raw", "0x%016llx", (unsigned long long)e->raw);
	vl_jw_uint(w, "pfn", e->pfn);
	vl_jw_uint(w, "table_pfn", e->table_pfn);
	vl_jw_stringf(w, "bits_value", "0x%llx", (unsigned long long)e->bits);
	vl_jw_array(w, "bits");
	for (bit = 0; bit < 64; bit++) {
		if (!(e->bits & (UINT64_C(1) << bit)))
			continue;
		if (vl_walk_bit_name(bit))
			vl_jw_string(w, NULL, vl_walk_bit_name(bit));
		else
			vl_jw_stringf(w, NULL, "bit%u", bit);
	}
	vl_jw_end(w);
	vl_jw_string(w, "what", vl_walk_what_name(e->what));
	vl_walk_describe(e, text, sizeof(text));
	vl_jw_string(w, "maps", text);
	vl_jw_uint(w, "order", e->order);
	vl_jw_uint(w, "pkey", e->pkey);
	vl_jw_uint(w, "ino", e->ino);
	vl_jw_stringf(w, "dev", "%u:%u", VL_WALK_DEV_MAJOR(e->dev), VL_WALK_DEV_MINOR(e->dev));
	vl_jw_uint(w, "swap_type", e->swap_type);
	vl_jw_uint(w, "swap_offset", e->swap_offset);
	vl_jw_end(w);
}

enum { CH_NEW, CH_GONE, CH_CHANGED };

/* One changed entry, or a run of entries that changed alike. */
struct change {
	unsigned int level;
	uint64_t addr;
	size_t count;
	int kind;
	char bits[200];
	char from[96];
	char to[96];
	bool pfns;			/* the entries have PFNs worth showing */
	uint64_t opfn[2], npfn[2];	/* first and last */
	uint64_t ostep, nstep;		/* how they step: 0 or the pages of an entry */
};

static bool has_pfn(const struct vmlab_walk_entry *e)
{
	return e->what != VMLAB_WHAT_SWAP;
}

/*
 * The bits a change compares: a table's A and D are the CPU's bookkeeping,
 * and left out of both sides where either is a table.
 */
static uint64_t compared_bits(const struct vmlab_walk_entry *e,
			      const struct vmlab_walk_entry *other)
{
	uint64_t b = walk_shown_bits(e);

	if (e->what == VMLAB_WHAT_TABLE || (other && other->what == VMLAB_WHAT_TABLE))
		b &= ~(VMLAB_E_ACCESSED | VMLAB_E_DIRTY);
	return b;
}

static void change_fill(struct change *c, const struct vmlab_walk_entry *o,
			const struct vmlab_walk_entry *n, bool list)
{
	const struct vmlab_walk_entry *any = n ? n : o;

	memset(c, 0, sizeof(*c));
	c->level = any->level;
	c->addr = any->addr;
	c->count = 1;
	c->kind = !o ? CH_NEW : !n ? CH_GONE : CH_CHANGED;
	if (list)
		vl_walk_bits_format(walk_shown_bits(n), ~UINT64_C(0), " ", c->bits,
				    sizeof(c->bits));
	else
		vl_walk_bits_diff(o ? compared_bits(o, n) : 0, n ? compared_bits(n, o) : 0,
				  ~UINT64_C(0), c->bits, sizeof(c->bits));
	if (o)
		vl_walk_describe(o, c->from, sizeof(c->from));
	if (n)
		vl_walk_describe(n, c->to, sizeof(c->to));
	c->pfns = has_pfn(any);
	c->opfn[0] = o ? o->pfn : 0;
	c->opfn[1] = c->opfn[0];
	c->npfn[0] = n ? n->pfn : 0;
	c->npfn[1] = c->npfn[0];
}

/* Whether @o -> @n changed at all; with @copies, a table's PFN may. */
static bool changed(const struct vmlab_walk_entry *o, const struct vmlab_walk_entry *n,
		    bool copies)
{
	bool table = o->what == VMLAB_WHAT_TABLE && n->what == VMLAB_WHAT_TABLE;

	return compared_bits(o, n) != compared_bits(n, o) || o->what != n->what ||
	       (o->pfn != n->pfn && !(copies && table)) || o->order != n->order ||
	       o->ino != n->ino || o->swap_offset != n->swap_offset ||
	       o->swap_type != n->swap_type;
}

/* Step of @next after @last in a run: 0, @pages, or ~0 for anything else. */
static uint64_t pfn_step(uint64_t last, uint64_t next, uint64_t pages)
{
	return next == last ? 0 : next == last + pages ? pages : ~UINT64_C(0);
}

/* Fold @d, the change of the next entry, into the run @c; false when it does not fit. */
static bool change_fold(struct change *c, const struct change *d, unsigned int levels)
{
	uint64_t size = UINT64_C(1) << vl_walk_level_shift(c->level, levels);
	uint64_t pages = size >> 12, ostep, nstep;

	if (d->level != c->level || d->kind != c->kind || d->addr != c->addr + c->count * size ||
	    strcmp(d->bits, c->bits) || strcmp(d->from, c->from) || strcmp(d->to, c->to) ||
	    c->level != VMLAB_LEVEL_PTE)
		return false;
	ostep = pfn_step(c->opfn[1], d->opfn[0], pages);
	nstep = pfn_step(c->npfn[1], d->npfn[0], pages);
	/* One PFN, or consecutive ones: a run says which in two numbers. */
	if (ostep == ~UINT64_C(0) || nstep == ~UINT64_C(0) ||
	    (c->count > 1 && (ostep != c->ostep || nstep != c->nstep)))
		return false;
	c->ostep = ostep;
	c->nstep = nstep;
	c->opfn[1] = d->opfn[0];
	c->npfn[1] = d->npfn[0];
	c->count++;
	return true;
}

/* "anon, pfn 0x12", "anon, pfns 0x12-0x15" */
static void side_text(char *buf, size_t len, const char *desc, bool pfns, const uint64_t *pfn,
		      uint64_t step, size_t count)
{
	if (!pfns)
		snprintf(buf, len, "%s", desc);
	else if (count == 1 || !step)
		snprintf(buf, len, "%s, pfn %#llx", desc, (unsigned long long)pfn[0]);
	else
		snprintf(buf, len, "%s, pfns %#llx-%#llx", desc, (unsigned long long)pfn[0],
			 (unsigned long long)pfn[1]);
}

static void change_emit(const struct change *c, walk_line_fn line, void *arg)
{
	char head[48], from[160], to[160], text[600];

	if (c->count > 1)
		snprintf(head, sizeof(head), "%s %llx x%zu", vl_walk_level_name(c->level),
			 (unsigned long long)c->addr, c->count);
	else
		snprintf(head, sizeof(head), "%s %llx", vl_walk_level_name(c->level),
			 (unsigned long long)c->addr);
	side_text(from, sizeof(from), c->from, c->pfns, c->opfn, c->ostep, c->count);
	side_text(to, sizeof(to), c->to, c->pfns, c->npfn, c->nstep, c->count);
	if (c->kind == CH_NEW)
		snprintf(text, sizeof(text), "%s: %s; %s", head, c->bits, to);
	else if (c->kind == CH_GONE)
		snprintf(text, sizeof(text), "%s: gone; was %s", head, from);
	else if (strcmp(from, to))
		snprintf(text, sizeof(text), "%s: %s%s%s -> %s", head, c->bits,
			 c->bits[0] ? "; " : "", from, to);
	else
		snprintf(text, sizeof(text), "%s: %s; %s", head, c->bits, to);
	line(arg, text);
}

/* Order of entries: by address, then level (the walker's own order). */
static int entry_cmp(const struct vmlab_walk_entry *a, const struct vmlab_walk_entry *b)
{
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return (int)a->level - (int)b->level;
}

static size_t diff_lines(const struct vmlab_walk_entry *old, size_t nold,
			 const struct vmlab_walk_entry *cur, size_t ncur, unsigned int levels,
			 bool list, bool copies, walk_line_fn line, void *arg)
{
	struct change run, next;
	bool have = false;
	size_t i = 0, j = 0, found = 0;

	while (i < nold || j < ncur) {
		const struct vmlab_walk_entry *o = NULL, *n = NULL;
		int cmp;

		if (i >= nold)
			cmp = 1;
		else if (j >= ncur)
			cmp = -1;
		else
			cmp = entry_cmp(&old[i], &cur[j]);
		if (cmp <= 0)
			o = &old[i++];
		if (cmp >= 0)
			n = &cur[j++];
		if (o && n && !changed(o, n, copies))
			continue;
		found++;
		change_fill(&next, o, n, list);
		if (have && change_fold(&run, &next, levels))
			continue;
		if (have)
			change_emit(&run, line, arg);
		run = next;
		have = true;
	}
	if (have)
		change_emit(&run, line, arg);
	return found;
}

size_t walk_diff(const struct vmlab_walk_entry *old, size_t nold,
		 const struct vmlab_walk_entry *cur, size_t ncur, unsigned int levels,
		 bool copies, walk_line_fn line, void *arg)
{
	return diff_lines(old, nold, cur, ncur, levels, false, copies, line, arg);
}

void walk_list(const struct vmlab_walk_entry *e, size_t n, unsigned int levels,
	       walk_line_fn line, void *arg)
{
	diff_lines(NULL, 0, e, n, levels, true, false, line, arg);
}

const char *walk_error_text(int err)
{
	static char buf[160];

	switch (err) {
	case -EPERM:
	case -EACCES:
		return "Operation not permitted: reading page tables needs root (CAP_SYS_ADMIN)";
	case -ESRCH:
		return "No such process (or a kernel thread or a zombie: no address space)";
	case -EINVAL:
		return "Invalid argument: an empty range, or one beyond the user address space";
	case -ENOTTY:
		return "the loaded vmlab.ko has no walker (VMLAB_IOC_WALK): load a newer build";
	case -EOPNOTSUPP:
		return "Operation not supported: the walker reads x86-64 page tables only";
	case -ENOENT:
	case -ENODEV:
	case -ENXIO:
		return "no /dev/vmlab: vmlab is not loaded";
	default:
		snprintf(buf, sizeof(buf), "%s", strerror(-err));
		return buf;
	}
}
