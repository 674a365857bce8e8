// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour: a step as text (a compact table per view, the counters that
 * changed, the sentence, the twin's comparison) or as a JSON object with
 * the same facts.
 */
#include <stdio.h>
#include <string.h>

#include "pagemap.h"
#include "table.h"
#include "tour.h"
#include "walk_print.h"

static const char *const side_names[] = { "vmlab", "native" };

/* What a page is, in one word: the file's own page, or its kind. */
static const char *page_is(const struct view *v, const struct fact *f, char *buf, size_t len)
{
	if (!f->pg.present)
		return f->pg.swapped ? "swap" : "-";
	if (f->pg.pfn_known && f->backing_pfn && f->pg.pfn == f->backing_pfn)
		snprintf(buf, len, "%s", v->side == VMLAB ? "store" : "file");
	else
		snprintf(buf, len, "%s", page_kind_name(f->pg.kind));
	if (f->pg.level == MAP_PMD || f->pg.level == MAP_PUD)
		snprintf(buf + strlen(buf), len - strlen(buf), "/%s", map_level_name(f->pg.level));
	return buf;
}

static void bytes_text(const struct fact *f, char *buf)
{
	int i;

	if (!f->bytes_known) {
		buf[0] = '-';
		buf[1] = '\0';
		return;
	}
	for (i = 0; i < TOUR_BYTES; i++)
		buf[i] = f->bytes[i] >= 32 && f->bytes[i] < 127 ? f->bytes[i] : '.';
	buf[TOUR_BYTES] = '\0';
}

/* Whether page @b, after @a, says the same but for the next PFN. */
static bool same_row(const struct fact *a, const struct fact *b)
{
	return pages_continue_run(&a->pg, &b->pg) && a->bytes_known == b->bytes_known &&
	       (!a->bytes_known || !memcmp(a->bytes, b->bytes, TOUR_BYTES)) &&
	       (a->backing_pfn && a->pg.pfn == a->backing_pfn) ==
	       (b->backing_pfn && b->pg.pfn == b->backing_pfn);
}

/* The entries that changed (all of them, the first time), after the pages. */
static void entries_text(const struct view *v)
{
	int i;

	if (!v->walk.valid)
		return;
	if (!v->changed) {
		printf("       entries: no change\n");
		return;
	}
	printf("       entries%s:\n", v->first ? "" : v->child ?
	       " changed from the parent's before the fork (the child's tables are its own)" :
	       " changed");
	for (i = 0; i < v->nchanges; i++)
		printf("         %s\n", v->changes[i]);
	if (v->more)
		printf("         ... %d more line%s\n", v->more, v->more > 1 ? "s" : "");
	if (v->walk.truncated)
		printf("         ... (more entries than the tour keeps, %d)\n", TOUR_MAX_ENTRIES);
}

static void view_text(struct tour *t, const struct view *v, const char *last_what)
{
	char is[32], flags[5], bytes[TOUR_BYTES + 1], kpf[512];
	struct table tb;
	size_t i, j;

	if (strcmp(v->what, last_what))
		printf("     %s%s: %s\n", side_names[v->side], v->child ? ", in the child" : "",
		       v->what);
	else
		printf("     %s%s:\n", side_names[v->side], v->child ? ", in the child" : "");
	if (t->pfns)
		table_init(&tb, 0, 7, "page", "address", "pfn", "is", "PEFS", "bytes",
			   "kpageflags");
	else
		table_init(&tb, 0, 4, "page", "address", "PEFS", "bytes");
	for (i = 0; i < v->n; i = j) {
		const struct fact *f = &v->f[i];

		for (j = i + 1; j < v->n && same_row(&v->f[j - 1], &v->f[j]); j++)
			;
		if (j - i > 1)
			table_cell(&tb, "%zu-%zu", i, j - 1);
		else
			table_cell(&tb, "%zu", i);
		table_cell(&tb, "%lx", f->pg.addr);
		if (t->pfns) {
			if (f->pg.pfn_known && j - i > 1)
				table_cell(&tb, "%#llx-%#llx", (unsigned long long)f->pg.pfn,
					   (unsigned long long)v->f[j - 1].pg.pfn);
			else if (f->pg.pfn_known)
				table_cell(&tb, "%#llx", (unsigned long long)f->pg.pfn);
			else
				table_cell(&tb, "-");
			table_cell(&tb, "%s", page_is(v, f, is, sizeof(is)));
		}
		page_flags_str(&f->pg, flags);
		table_cell(&tb, "%s", flags);
		bytes_text(f, bytes);
		table_cell(&tb, "%s", bytes);
		if (t->pfns) {
			kpf[0] = '\0';
			if (f->pg.kpf_known)
				vl_kpf_format(f->pg.kpf, kpf, sizeof(kpf));
			table_cell(&tb, "%s", kpf);
		}
	}
	table_print(&tb, stdout, "       ");
	table_free(&tb);
	entries_text(v);
}

void step_print_text(struct tour *t, const struct step *s)
{
	static char last_what[2][128];
	bool any = false;
	int i, side;
	size_t c;

	if (s->number == 1)
		memset(last_what, 0, sizeof(last_what));
	printf("  %d. %s\n", s->number, s->action);
	/* Views by side, this process before the child. */
	for (side = VMLAB; side <= NATIVE; side++) {
		for (i = 0; i < s->nviews; i++)
			if (s->views[i]->side == side && !s->views[i]->child)
				view_text(t, s->views[i], last_what[side]);
		for (i = 0; i < s->nviews; i++)
			if (s->views[i]->side == side && s->views[i]->child)
				view_text(t, s->views[i], last_what[side]);
		for (i = 0; i < s->nviews; i++)
			if (s->views[i]->side == side)
				snprintf(last_what[side], sizeof(last_what[side]), "%s",
					 s->views[i]->what);
	}
	for (i = 0; i < s->nnotes; i++)
		printf("     %s\n", s->notes[i]);
	if (t->counters && !s->skipped) {
		printf("     counters:");
		for (c = 0; c < s->after.n; c++) {
			long long d = step_delta(s, s->after.c[c].name);

			if (!d)
				continue;
			printf("%s %s %+lld", any ? "," : "", s->after.c[c].name, d);
			any = true;
		}
		printf("%s\n", any ? "" : " no change");
	}
	printf("     %s %s\n", s->skipped ? "-- skipped:" : "=>", s->sentence);
	if (s->twin[0])
		printf("        %s.\n", s->twin);
	for (i = 0; i < s->nunexpected; i++)
		printf("     !! unexpected: %s\n", s->unexpected[i]);
	fflush(stdout);
}

static void fact_json(struct vl_jw *w, const struct fact *f, size_t page, bool pfns)
{
	char text[TOUR_BYTES + 1];

	vl_jw_object(w, NULL);
	vl_jw_uint(w, "page", page);
	vl_jw_stringf(w, "addr", "0x%lx", f->pg.addr);
	vl_jw_bool(w, "present", f->pg.present);
	vl_jw_bool(w, "swapped", f->pg.swapped);
	vl_jw_bool(w, "exclusive", f->pg.exclusive);
	vl_jw_bool(w, "file", f->pg.file);
	vl_jw_bool(w, "soft_dirty", f->pg.soft_dirty);
	if (f->pg.pfn_known)
		vl_jw_uint(w, "pfn", f->pg.pfn);
	else
		vl_jw_null(w, "pfn");
	if (pfns && f->backing_pfn)
		vl_jw_uint(w, "backing_pfn", f->backing_pfn);
	else
		vl_jw_null(w, "backing_pfn");
	vl_jw_string(w, "kind", page_kind_name(f->pg.kind));
	vl_jw_string(w, "level", map_level_name(f->pg.level));
	pages_kpf_json(w, &f->pg);
	if (f->bytes_known) {
		vl_jw_stringf(w, "bytes", "%02x%02x%02x%02x", f->bytes[0], f->bytes[1],
			      f->bytes[2], f->bytes[3]);
		bytes_text(f, text);
		vl_jw_string(w, "text", text);
	} else {
		vl_jw_null(w, "bytes");
		vl_jw_null(w, "text");
	}
	vl_jw_end(w);
}

/* The view's entries, and what changed since the twin's previous step. */
static void walk_json(struct vl_jw *w, const struct view *v)
{
	size_t e;
	int i;

	if (!v->walk.valid && !v->walk.err) {
		vl_jw_null(w, "walk");
		return;
	}
	vl_jw_object(w, "walk");
	vl_jw_string(w, "error", v->walk.err ? walk_error_text(v->walk.err) : NULL);
	vl_jw_uint(w, "levels", v->walk.levels);
	vl_jw_bool(w, "truncated", v->walk.truncated);
	vl_jw_array(w, "entries");
	for (e = 0; e < v->walk.n; e++)
		walk_entry_json(w, &v->walk.e[e]);
	vl_jw_end(w);
	vl_jw_bool(w, "first", v->first);
	vl_jw_uint(w, "changed", v->changed);
	vl_jw_array(w, "changes");
	for (i = 0; i < v->nchanges; i++)
		vl_jw_string(w, NULL, v->changes[i]);
	vl_jw_end(w);
	vl_jw_uint(w, "changes_left_out", v->more);
	vl_jw_end(w);
}

void step_print_json(struct tour *t, const struct step *s)
{
	struct vl_jw *w = &t->jw;
	size_t c, p;
	int i;

	vl_jw_object(w, NULL);
	vl_jw_int(w, "number", s->number);
	vl_jw_string(w, "name", s->name);
	vl_jw_string(w, "action", s->action);
	vl_jw_array(w, "views");
	for (i = 0; i < s->nviews; i++) {
		const struct view *v = s->views[i];

		vl_jw_object(w, NULL);
		vl_jw_string(w, "side", side_names[v->side]);
		vl_jw_string(w, "process", v->child ? "child" : "parent");
		vl_jw_string(w, "mapping", v->what);
		vl_jw_array(w, "pages");
		for (p = 0; p < v->n; p++)
			fact_json(w, &v->f[p], p, t->pfns);
		vl_jw_end(w);
		walk_json(w, v);
		vl_jw_end(w);
	}
	vl_jw_end(w);
	if (t->counters) {
		vl_jw_object(w, "counters");
		for (c = 0; c < s->after.n; c++)
			if (step_delta(s, s->after.c[c].name))
				vl_jw_int(w, s->after.c[c].name, step_delta(s, s->after.c[c].name));
		vl_jw_end(w);
	} else {
		vl_jw_null(w, "counters");
	}
	vl_jw_object(w, "events");
	for (i = 0; i < s->nevents; i++)
		vl_jw_int(w, s->events[i].key, s->events[i].value);
	vl_jw_end(w);
	vl_jw_array(w, "notes");
	for (i = 0; i < s->nnotes; i++)
		vl_jw_string(w, NULL, s->notes[i]);
	vl_jw_end(w);
	vl_jw_bool(w, "skipped", s->skipped);
	vl_jw_string(w, "sentence", s->sentence);
	if (s->twin[0])
		vl_jw_string(w, "twin", s->twin);
	else
		vl_jw_null(w, "twin");
	vl_jw_bool(w, "ok", !s->nunexpected);
	vl_jw_array(w, "unexpected");
	for (i = 0; i < s->nunexpected; i++)
		vl_jw_string(w, NULL, s->unexpected[i]);
	vl_jw_end(w);
	vl_jw_int(w, "unchecked", s->unchecked);
	vl_jw_end(w);
}
