// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour: the life of a step.  Counters are taken before the action
 * and right after it (before anything is observed: observing maps probe
 * pages of its own); pages are observed on both sides, by this process and
 * by a fork child when there is one; checks record what did not happen as
 * it should; the end compares the twins and prints the step.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pagemap.h"
#include "smaps.h"
#include "touch.h"
#include "tour.h"
#include "walk_print.h"

struct step *step_begin(struct tour *t, const char *name, const char *fmt, ...)
{
	struct step *s = calloc(1, sizeof(*s));
	va_list ap;

	if (!s) {
		perror("vmlab: step");
		exit(1);
	}
	s->number = ++t->nsteps;
	snprintf(s->name, sizeof(s->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(s->action, sizeof(s->action), fmt, ap);
	va_end(ap);
	if (t->counters && vl_counters_read(&s->before))
		t->counters = false;
	return s;
}

void step_counted(struct tour *t, struct step *s)
{
	if (s->counted)
		return;
	s->counted = true;
	if (t->counters && vl_counters_read(&s->after))
		t->counters = false;
}

static int walk_collect(const struct vmlab_walk_entry *e, void *arg)
{
	struct walk_set *w = arg;

	if (w->n == TOUR_MAX_ENTRIES) {
		w->truncated = true;
		return 0;
	}
	w->e[w->n++] = *e;
	return 0;
}

/* Read the page-table entries of [@addr, +@len) of this process into @w. */
static void walk_side(struct tour *t, uintptr_t addr, size_t len, struct walk_set *w)
{
	w->n = 0;
	w->truncated = false;
	w->valid = false;
	w->err = t->walk_err;
	if (w->err)
		return;
	w->err = vl_walk_each(t->walk_fd, 0, addr, addr + len, &w->levels, walk_collect, w);
	w->valid = !w->err;
}

/*
 * Fill @v with every page of @side of @tw, as this process sees it; read
 * their first bytes unless @no_read.
 */
static void observe_side(struct tour *t, struct twin *tw, int side, bool child, bool no_read,
			 struct view *v)
{
	struct side *sd = &tw->s[side];
	struct page_fact pf[TOUR_MAX_PAGES];
	struct pages_reader r;
	size_t i;

	memset(v, 0, sizeof(*v));
	v->side = side;
	v->child = child;
	snprintf(v->what, sizeof(v->what), "%s", sd->what);
	v->addr = (uintptr_t)sd->addr;
	v->n = tw->npages;
	if (!sd->mapped || pages_open(&r, 0))
		return;
	if (!pages_read(&r, (unsigned long)sd->addr, tw->npages, pf)) {
		struct vl_smaps *maps = NULL;
		size_t nmaps = 0, j;

		if (vl_smaps_read(0, &maps, &nmaps))
			nmaps = 0;
		/* VMA by VMA: a partial munmap splits the side in several. */
		for (i = 0; i < tw->npages; i = j) {
			const struct vl_smaps *vma = vl_smaps_find(maps, nmaps, pf[i].addr);

			for (j = i + 1; j < tw->npages; j++)
				if (vl_smaps_find(maps, nmaps, pf[j].addr) != vma)
					break;
			pages_levels(&r, pf + i, j - i, vma);
		}
		free(maps);
		for (i = 0; i < tw->npages; i++)
			v->f[i].pg = pf[i];
	}
	pages_close(&r);
	/* Before the bytes are read: the reads set accessed bits. */
	walk_side(t, v->addr, tw->len, &v->walk);
	for (i = 0; i < tw->npages; i++) {
		struct fact *f = &v->f[i];
		size_t b;

		f->backing_pfn = sd->backed ? sd->backing_pfn[i] : 0;
		/* Only present, readable pages: reading must not fault anything in. */
		if (no_read || !f->pg.present || !(sd->prot & PROT_READ))
			continue;
		for (b = 0; b < TOUR_BYTES; b++)
			f->bytes[b] = vl_read_byte(twin_page(tw, side, i) + b);
		f->bytes_known = true;
	}
	(void)t;
}

static struct view *add_view(struct step *s)
{
	struct view *v;

	if (s->nviews >= TOUR_MAX_VIEWS)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v)
		s->views[s->nviews++] = v;
	return v;
}

static void add_change(void *arg, const char *line)
{
	struct view *v = arg;

	if (v->nchanges < TOUR_MAX_CHANGES)
		snprintf(v->changes[v->nchanges++], sizeof(v->changes[0]), "%s", line);
	else
		v->more++;
}

/*
 * The leaf that maps @addr in @w, and the page frame it maps @addr to;
 * NULL when none maps it.
 */
static const struct vmlab_walk_entry *leaf_of(const struct walk_set *w, uint64_t addr,
					      uint64_t *pfn)
{
	const struct vmlab_walk_entry *best = NULL;
	size_t i;

	for (i = 0; i < w->n; i++) {
		const struct vmlab_walk_entry *e = &w->e[i];
		unsigned int shift = vl_walk_level_shift(e->level, w->levels);

		if (e->what == VMLAB_WHAT_TABLE || !shift || addr < e->addr ||
		    addr - e->addr >= UINT64_C(1) << shift)
			continue;
		if (!best || e->level > best->level)
			best = e;
	}
	if (best && pfn)
		*pfn = best->pfn + ((addr - best->addr) >> 12);
	return best;
}

/* What the walker and pagemap say of one page must agree: its PFN. */
static void cross_check(struct tour *t, struct step *s, const struct view *v)
{
	const struct vmlab_walk_entry *e;
	uint64_t pfn;
	size_t i;

	if (!v->walk.valid || !t->pfns || v->walk.truncated)
		return;
	for (i = 0; i < v->n; i++) {
		const struct fact *f = &v->f[i];

		if (!f->pg.present || !f->pg.pfn_known)
			continue;
		e = leaf_of(&v->walk, v->addr + (i << 12), &pfn);
		if (!step_expect(t, s, e && e->what != VMLAB_WHAT_SWAP && pfn == f->pg.pfn,
				 "%s%s page %zu: pagemap says PFN %#llx, the walker %s %#llx",
				 v->side == VMLAB ? "vmlab" : "native",
				 v->child ? " (child)" : "", i,
				 (unsigned long long)f->pg.pfn, e ? "PFN" : "finds no entry",
				 e ? (unsigned long long)pfn : 0ULL))
			return;
	}
}

/*
 * Compare the entries of the views not compared yet with the twin's
 * previous ones (a fork child's too: it starts from the parent's), then
 * keep this process's as the twin's latest.
 */
static void walk_changes(struct tour *t, struct step *s, struct twin *tw)
{
	const struct walk_set *prev;
	struct view *v;
	int i;

	for (i = 0; i < s->nviews; i++) {
		v = s->views[i];
		if (v->diffed)
			continue;
		v->diffed = true;
		if (!v->walk.valid)
			continue;
		cross_check(t, s, v);
		prev = &tw->prev[v->side];
		if (!prev->valid) {
			v->first = true;
			walk_list(v->walk.e, v->walk.n, v->walk.levels, add_change, v);
			v->changed = v->walk.n;
		} else {
			v->changed = walk_diff(prev->e, prev->n, v->walk.e, v->walk.n,
					       v->walk.levels, v->child, add_change, v);
		}
	}
	for (i = 0; i < s->nviews; i++) {
		v = s->views[i];
		if (!v->child && v->walk.valid && (uintptr_t)tw->s[v->side].addr == v->addr)
			tw->prev[v->side] = v->walk;
	}
}

void step_observe(struct tour *t, struct step *s, struct twin *tw)
{
	struct view *v;
	int side;

	step_counted(t, s);
	for (side = VMLAB; side <= NATIVE; side++) {
		v = add_view(s);
		if (v)
			observe_side(t, tw, side, false, s->no_read, v);
	}
	walk_changes(t, s, tw);
}

static int full_io(int fd, void *buf, size_t len, bool out)
{
	char *p = buf;

	while (len) {
		ssize_t n = out ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

void step_fork(struct tour *t, struct step *s, struct twin *tw,
	       void (*child)(struct twin *tw, void *arg), void *arg)
{
	int data[2], go[2], status, side, n = 0;
	struct view *v;
	char c;
	pid_t pid;

	if (pipe(data) || pipe(go)) {
		step_expect(t, s, false, "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		struct view *cv = malloc(sizeof(*cv));

		close(data[0]);
		close(go[1]);
		child(tw, arg);
		for (side = VMLAB; cv && side <= NATIVE; side++) {
			observe_side(t, tw, side, true, s->no_read, cv);
			if (full_io(data[1], cv, sizeof(*cv), true))
				_exit(3);
		}
		close(data[1]);
		/* Stay alive, mapping what we map, until the parent has looked. */
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(data[1]);
	close(go[0]);
	if (pid < 0) {
		step_expect(t, s, false, "fork: %s", strerror(errno));
		close(data[0]);
		close(go[1]);
		return;
	}
	for (side = VMLAB; side <= NATIVE; side++) {
		v = add_view(s);
		if (!v || full_io(data[0], v, sizeof(*v), false)) {
			if (v)
				s->nviews--, free(v);
			break;
		}
		n++;
	}
	close(data[0]);
	/* The child still maps everything: count and look now. */
	step_counted(t, s);
	step_observe(t, s, tw);
	close(go[1]);
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	if (WIFSIGNALED(status))
		step_event(s, "child_signal", WTERMSIG(status));
	else
		step_event(s, "child_exit", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	step_expect(t, s, n == 2, "the child reported %d of 2 views", n);
}

void step_event(struct step *s, const char *key, long long value)
{
	if (s->nevents >= TOUR_MAX_EVENTS)
		return;
	snprintf(s->events[s->nevents].key, sizeof(s->events[0].key), "%s", key);
	s->events[s->nevents++].value = value;
}

long long step_delta(const struct step *s, const char *name)
{
	int64_t d;

	if (!s->counted)
		return 0;
	d = vl_counter_delta(&s->before, &s->after, name);
	return d == VL_COUNTER_MISSING ? 0 : d;
}

static bool expect_v(struct step *s, bool cond, const char *fmt, va_list ap)
{
	if (cond)
		return true;
	if (s->nunexpected < TOUR_MAX_UNEXPECTED)
		vsnprintf(s->unexpected[s->nunexpected++], sizeof(s->unexpected[0]), fmt, ap);
	return false;
}

bool step_expect(struct tour *t, struct step *s, bool cond, const char *fmt, ...)
{
	va_list ap;
	bool ret;

	(void)t;
	va_start(ap, fmt);
	ret = expect_v(s, cond, fmt, ap);
	va_end(ap);
	return ret;
}

bool step_expect_pfn(struct tour *t, struct step *s, bool cond, const char *fmt, ...)
{
	va_list ap;
	bool ret;

	if (!t->pfns) {
		s->unchecked++;
		return true;
	}
	va_start(ap, fmt);
	ret = expect_v(s, cond, fmt, ap);
	va_end(ap);
	return ret;
}

void step_say(struct step *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->sentence, sizeof(s->sentence), fmt, ap);
	va_end(ap);
}

void step_note(struct step *s, const char *fmt, ...)
{
	va_list ap;

	if (s->nnotes >= TOUR_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(s->notes[s->nnotes++], sizeof(s->notes[0]), fmt, ap);
	va_end(ap);
}

/* The step cannot be carried out here: say why; it ends with no views and no comparison. */
void step_skip(struct tour *t, struct step *s, const char *fmt, ...)
{
	va_list ap;

	s->skipped = true;
	step_counted(t, s);
	va_start(ap, fmt);
	vsnprintf(s->sentence, sizeof(s->sentence), fmt, ap);
	va_end(ap);
}

const struct fact *step_fact(const struct step *s, int side, bool child, size_t page)
{
	static const struct fact none;
	int i;

	for (i = 0; i < s->nviews; i++)
		if (s->views[i]->side == side && s->views[i]->child == child &&
		    page < s->views[i]->n)
			return &s->views[i]->f[page];
	return &none;
}

const char *pfn_note(const struct tour *t, const struct fact *f)
{
	static char buf[4][40];
	static int next;
	char *b = buf[next++ % 4];

	if (!t->pfns || !f->pg.pfn_known)
		return "";
	snprintf(b, sizeof(buf[0]), " (PFN %#llx)", (unsigned long long)f->pg.pfn);
	return b;
}

bool has_kpf(const struct fact *f, unsigned int bit)
{
	return f->pg.kpf_known && (f->pg.kpf & (UINT64_C(1) << bit));
}

/* The kind of a page, as far as comparing twins goes: files are files. */
static const char *category(const struct fact *f)
{
	if (f->pg.kind == PK_PAGECACHE || f->pg.kind == PK_SHMEM)
		return "file page";
	return page_kind_name(f->pg.kind);
}

static bool is_backing(const struct fact *f)
{
	return f->pg.pfn_known && f->backing_pfn && f->pg.pfn == f->backing_pfn;
}

/* Describe page @f for a difference, e.g. "present, exclusive, anon". */
static void describe(const struct fact *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s", f->pg.present ? "present" : "not present",
		 f->pg.exclusive ? ", exclusive" : "", f->pg.file ? ", file" : "",
		 f->pg.kpf_known ? ", " : "", f->pg.kpf_known ? category(f) : "",
		 is_backing(f) ? " (the file's page)" : "");
}

/* "vmlab's words (native: its words)" for page @i, or "" when the twins agree on it. */
static void difference(const struct fact *x, const struct fact *y, char *buf, size_t len)
{
	char a[96], b[96];

	buf[0] = '\0';
	if (x->pg.present == y->pg.present && x->pg.exclusive == y->pg.exclusive &&
	    x->pg.file == y->pg.file && x->pg.soft_dirty == y->pg.soft_dirty &&
	    !strcmp(category(x), category(y)) && is_backing(x) == is_backing(y) &&
	    (!x->bytes_known || !y->bytes_known || !memcmp(x->bytes, y->bytes, TOUR_BYTES)))
		return;
	describe(x, a, sizeof(a));
	describe(y, b, sizeof(b));
	if (x->pg.soft_dirty != y->pg.soft_dirty) {
		strcat(a, x->pg.soft_dirty ? ", soft-dirty" : "");
		strcat(b, y->pg.soft_dirty ? ", soft-dirty" : "");
	}
	if (x->bytes_known && y->bytes_known && memcmp(x->bytes, y->bytes, TOUR_BYTES)) {
		snprintf(a + strlen(a), sizeof(a) - strlen(a), ", reads '%c'",
			 x->bytes[0] >= 32 && x->bytes[0] < 127 ? x->bytes[0] : '.');
		snprintf(b + strlen(b), sizeof(b) - strlen(b), ", reads '%c'",
			 y->bytes[0] >= 32 && y->bytes[0] < 127 ? y->bytes[0] : '.');
	}
	snprintf(buf, len, "%s (vmlab: %s)", b, a);
}

/*
 * Compare the vmlab and native views seen by one process; append the
 * differences, consecutive pages that differ alike as one range, to @out.
 * Return: pages that differ, plus @found.
 */
static int compare(const struct step *s, bool child, char *out, size_t len, int found)
{
	const struct view *v = NULL, *n = NULL;
	char cur[224], next[224];
	size_t i, j, pos;
	int k, groups = 0;

	for (k = 0; k < s->nviews; k++) {
		if (s->views[k]->child != child)
			continue;
		if (s->views[k]->side == VMLAB)
			v = s->views[k];
		else
			n = s->views[k];
	}
	if (!v || !n)
		return found;
	for (i = 0; i < v->n && i < n->n; i = j) {
		difference(&v->f[i], &n->f[i], cur, sizeof(cur));
		for (j = i + 1; j < v->n && j < n->n; j++) {
			difference(&v->f[j], &n->f[j], next, sizeof(next));
			if (strcmp(cur, next))
				break;
		}
		if (!cur[0])
			continue;
		found += j - i;
		if (groups++ >= 3)
			continue;
		pos = strlen(out);
		if (j - i > 1)
			snprintf(out + pos, len - pos, "%s%s pages %zu-%zu: %s", pos ? ";" : "",
				 child ? " child's" : "", i, j - 1, cur);
		else
			snprintf(out + pos, len - pos, "%s%s page %zu: %s", pos ? ";" : "",
				 child ? " child's" : "", i, cur);
	}
	return found;
}

void step_end(struct tour *t, struct step *s)
{
	char diffs[300] = "";
	int found, i;

	step_counted(t, s);
	found = compare(s, false, diffs, sizeof(diffs), 0);
	found = compare(s, true, diffs, sizeof(diffs), found);
	if (s->skipped)
		s->twin[0] = '\0';
	else if (!found)
		snprintf(s->twin, sizeof(s->twin),
			 "the native twin shows the same page-table facts");
	else
		snprintf(s->twin, sizeof(s->twin), "the native twin differs on %d page%s:%s",
			 found, found > 1 ? "s" : "", diffs);
	if (s->nunexpected)
		t->section_ok = false;
	if (t->json)
		step_print_json(t, s);
	else
		step_print_text(t, s);
	for (i = 0; i < s->nviews; i++)
		free(s->views[i]);
	free(s);
}

const char *cnt(const struct tour *t, const struct step *s, const char *lead, ...)
{
	static char buf[4][256];
	static int next;
	char *b = buf[next++ % 4];
	const char *name;
	bool any = false;
	size_t pos;
	va_list ap;

	b[0] = '\0';
	if (!t->counters)
		return b;
	pos = snprintf(b, sizeof(buf[0]), "%s (", lead);
	va_start(ap, lead);
	while ((name = va_arg(ap, const char *))) {
		long long d = step_delta(s, name);

		if (!d || pos >= sizeof(buf[0]))
			continue;
		pos += snprintf(b + pos, sizeof(buf[0]) - pos, "%s%s %+lld", any ? ", " : "", name,
				d);
		any = true;
	}
	va_end(ap);
	if (!any || pos >= sizeof(buf[0]) - 1)
		b[0] = '\0';
	else
		strcat(b, ")");
	return b;
}

int step_abort(struct tour *t, struct step *s, int err)
{
	step_expect(t, s, false, "%s", t->why);
	step_say(s, "the step could not be carried out: %s", t->why);
	step_end(t, s);
	return err;
}

static const struct view *find_view(const struct step *s, int side, bool child)
{
	int i;

	for (i = 0; i < s->nviews; i++)
		if (s->views[i]->side == side && s->views[i]->child == child)
			return s->views[i];
	return NULL;
}

const struct vmlab_walk_entry *step_entry(const struct step *s, int side, bool child,
					  size_t page, unsigned int level)
{
	const struct view *v = find_view(s, side, child);
	uint64_t addr;
	unsigned int shift;
	size_t i;

	if (!v || !v->walk.valid)
		return NULL;
	addr = v->addr + ((uint64_t)page << 12);
	if (level == LEAF)
		return leaf_of(&v->walk, addr, NULL);
	shift = vl_walk_level_shift(level, v->walk.levels);
	if (!shift)
		return NULL;
	addr &= ~((UINT64_C(1) << shift) - 1);
	for (i = 0; i < v->walk.n; i++)
		if (v->walk.e[i].level == level && v->walk.e[i].addr == addr)
			return &v->walk.e[i];
	return NULL;
}

bool step_walked(const struct tour *t, const struct step *s, int side, bool child)
{
	const struct view *v = find_view(s, side, child);

	return !t->walk_err && v && v->walk.valid && !v->walk.truncated;
}

/* "PTE present user accessed special nx, zero page pfn 0x3a05", or "no entry". */
static void entry_words(const struct vmlab_walk_entry *e, char *buf, size_t len)
{
	char bits[160], what[96];

	if (!e) {
		snprintf(buf, len, "no entry");
		return;
	}
	vl_walk_bits_format(walk_shown_bits(e), ~UINT64_C(0), " ", bits, sizeof(bits));
	vl_walk_describe(e, what, sizeof(what));
	snprintf(buf, len, "%s %s, %s pfn %#llx", vl_walk_level_name(e->level), bits, what,
		 (unsigned long long)e->pfn);
}

bool step_expect_entry(struct tour *t, struct step *s, int side, bool child, size_t page,
		       unsigned int level, int what, uint64_t set, uint64_t clear)
{
	const struct vmlab_walk_entry *e;
	char want[160], unwanted[160], found[280];
	bool ok;

	if (!step_walked(t, s, side, child)) {
		s->unchecked++;
		return true;
	}
	e = step_entry(s, side, child, page, level);
	ok = e && (level != LEAF || e->what != VMLAB_WHAT_TABLE) &&
	     (what == ANY || e->what == (unsigned int)what) &&
	     (e->bits & set) == set && !(e->bits & clear);
	if (ok)
		return true;
	vl_walk_bits_format(set, ~UINT64_C(0), " ", want, sizeof(want));
	vl_walk_bits_format(clear, ~UINT64_C(0), " ", unwanted, sizeof(unwanted));
	entry_words(e, found, sizeof(found));
	return step_expect(t, s, false,
			   "walker: %s%s page %zu: wanted a %s entry%s%s%s%s%s%s, found %s",
			   side == VMLAB ? "vmlab" : "native", child ? " (child)" : "", page,
			   level == LEAF ? "leaf" : vl_walk_level_name(level),
			   what == ANY ? "" : " mapping ",
			   what == ANY ? "" : vl_walk_what_name(what),
			   want[0] ? " with " : "", want, unwanted[0] ? " without " : "", unwanted,
			   found);
}

bool step_expect_no_ptes(struct tour *t, struct step *s, int side, size_t first, size_t n)
{
	const struct vmlab_walk_entry *e;
	size_t i;

	if (!step_walked(t, s, side, false)) {
		s->unchecked++;
		return true;
	}
	for (i = first; i < first + n; i++) {
		e = step_entry(s, side, false, i, VMLAB_LEVEL_PTE);
		if (e)
			return step_expect(t, s, false,
					   "walker: %s page %zu has a PTE (raw %#llx) below its PMD",
					   side == VMLAB ? "vmlab" : "native", i,
					   (unsigned long long)e->raw);
	}
	return true;
}
