// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab inspect PID [ADDR[-END]]: each mapping of a process, and its pages
 * grouped into runs of the same pagemap and kpageflags facts and
 * consecutive PFNs, like "page-types -p PID -L" but per mapping, with the
 * page-table level of huge pages and vmlab's own type of its mappings.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "listings.h"
#include "pagemap.h"
#include "procfs.h"
#include "smaps.h"
#include "pages.h"
#include "table.h"
#include "tool.h"

/* Pages read at once: a multiple of 512, so a 2 MiB page is never cut. */
#define CHUNK_PAGES	(64UL * 1024)

struct inspect {
	pid_t pid;
	bool json;
	bool only_vmlab;
	bool have_range;
	unsigned long from, to;	/* [from, to), or one address when to == 0 */
	struct pages_reader r;
	struct vl_vma_row *rows;	/* vmlab's VMAs, when debugfs is readable */
	size_t nrows;
	struct vl_jw jw;
	long ps;
};

/* One run of pages with the same facts. */
struct run {
	struct page_fact first;
	uint64_t last_pfn;
	size_t count;
};

/* vmlab's type of a mapping: from debugfs, else guessed from its path, else NULL. */
static const char *vmlab_type(const struct inspect *in, const struct vl_vma *v, bool *is_vmlab)
{
	size_t i;

	for (i = 0; i < in->nrows; i++) {
		const struct vl_vma_row *row = &in->rows[i];

		if (row->start == v->start && row->end == v->end &&
		    (row->pid == in->pid || !row->pid)) {
			*is_vmlab = true;
			return row->type;
		}
	}
	*is_vmlab = !strcmp(v->path, "/dev/vmlab") || !strncmp(v->path, "/vmlab-", 7);
	return NULL;
}

static void kpf_names(const struct page_fact *f, char *buf, size_t len)
{
	if (vl_kpf_format(f->kpf, buf, len) < 0 && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

static void run_text(struct table *t, const struct run *r)
{
	char flags[5], kpf[512] = "";

	page_flags_str(&r->first, flags);
	table_cell(t, "%lx", r->first.addr);
	table_cell(t, "%zu", r->count);
	if (!r->first.pfn_known)
		table_cell(t, "%s", r->first.present ? "hidden" : "-");
	else if (r->count == 1)
		table_cell(t, "0x%llx", (unsigned long long)r->first.pfn);
	else
		table_cell(t, "0x%llx-0x%llx", (unsigned long long)r->first.pfn,
			   (unsigned long long)r->last_pfn);
	table_cell(t, "%s", flags);
	table_cell(t, "%s", page_kind_name(r->first.kind));
	table_cell(t, "%s", map_level_name(r->first.level));
	if (r->first.kpf_known)
		kpf_names(&r->first, kpf, sizeof(kpf));
	table_cell(t, "%s", kpf);
}

static void run_json(struct inspect *in, const struct run *r)
{
	const struct page_fact *f = &r->first;
	struct vl_jw *w = &in->jw;

	vl_jw_object(w, NULL);
	vl_jw_stringf(w, "start", "0x%lx", f->addr);
	vl_jw_uint(w, "pages", r->count);
	vl_jw_bool(w, "present", f->present);
	vl_jw_bool(w, "swapped", f->swapped);
	vl_jw_bool(w, "exclusive", f->exclusive);
	vl_jw_bool(w, "file", f->file);
	vl_jw_bool(w, "soft_dirty", f->soft_dirty);
	if (f->pfn_known) {
		vl_jw_uint(w, "pfn", f->pfn);
		vl_jw_uint(w, "pfn_last", r->last_pfn);
	} else {
		vl_jw_null(w, "pfn");
		vl_jw_null(w, "pfn_last");
	}
	vl_jw_string(w, "kind", page_kind_name(f->kind));
	vl_jw_string(w, "level", map_level_name(f->level));
	pages_kpf_json(w, f);
	vl_jw_end(w);
}

static void run_emit(struct inspect *in, struct table *t, const struct run *r)
{
	if (!r->count)
		return;
	if (in->json)
		run_json(in, r);
	else
		run_text(t, r);
}

/* Walk the pages [start, end) of mapping @s, emitting runs; counts present pages. */
static int walk_pages(struct inspect *in, const struct vl_smaps *s, unsigned long start,
		      unsigned long end, struct table *t, size_t *present, bool *uncovered)
{
	struct run run = { .count = 0 };
	struct page_fact *f, prev;
	size_t i, n;
	int ret = 0;

	f = calloc(CHUNK_PAGES, sizeof(*f));
	if (!f)
		return -ENOMEM;
	while (start < end) {
		unsigned long stop = (start / (CHUNK_PAGES * in->ps) + 1) * CHUNK_PAGES * in->ps;

		if (stop > end || stop < start)
			stop = end;
		n = (stop - start) / in->ps;
		ret = pages_read(&in->r, start, n, f);
		if (ret == -EIO) {
			/* Beyond the task size, e.g. [vsyscall]: pagemap ends there. */
			*uncovered = true;
			ret = 0;
			break;
		}
		if (ret)
			break;
		pages_levels(&in->r, f, n, s);
		for (i = 0; i < n; i++) {
			*present += f[i].present;
			if (run.count && pages_continue_run(&prev, &f[i])) {
				run.count++;
				run.last_pfn = f[i].pfn;
				prev = f[i];
				continue;
			}
			run_emit(in, t, &run);
			run.first = f[i];
			run.last_pfn = f[i].pfn;
			run.count = 1;
			prev = f[i];
		}
		start = stop;
	}
	if (!ret)
		run_emit(in, t, &run);
	free(f);
	return ret;
}

static int inspect_vma(struct inspect *in, const struct vl_smaps *s)
{
	const struct vl_vma *v = &s->vma;
	unsigned long start = v->start, end = v->end;
	size_t present = 0, npages;
	const char *type;
	bool is_vmlab, uncovered = false;
	struct table t;
	int ret;

	if (in->have_range && in->to) {
		start = start > in->from ? start : in->from;
		end = end < in->to ? end : in->to;
		if (start >= end)
			return 0;
	} else if (in->have_range && (in->from < start || in->from >= end)) {
		return 0;
	}
	type = vmlab_type(in, v, &is_vmlab);
	if (in->only_vmlab && !is_vmlab)
		return 0;
	npages = (end - start) / in->ps;

	if (in->json) {
		vl_jw_object(&in->jw, NULL);
		vl_jw_stringf(&in->jw, "start", "0x%lx", v->start);
		vl_jw_stringf(&in->jw, "end", "0x%lx", v->end);
		vl_jw_string(&in->jw, "perms", v->perms);
		vl_jw_stringf(&in->jw, "offset", "0x%llx", v->pgoff);
		vl_jw_string(&in->jw, "path", v->path);
		vl_jw_bool(&in->jw, "vmlab", is_vmlab);
		vl_jw_string(&in->jw, "vmlab_type", type);
		vl_jw_int(&in->jw, "kernel_page_kb", s->kernel_page_kb);
		vl_jw_int(&in->jw, "rss_kb", s->rss_kb);
		vl_jw_string(&in->jw, "vmflags", s->vmflags);
		vl_jw_stringf(&in->jw, "walked_start", "0x%lx", start);
		vl_jw_stringf(&in->jw, "walked_end", "0x%lx", end);
		vl_jw_array(&in->jw, "runs");
	} else {
		table_init(&t, 1u << 1, 7, "start", "pages", "pfn", "PEFS", "kind", "level",
			   "kpageflags");
	}
	ret = walk_pages(in, s, start, end, &t, &present, &uncovered);
	if (in->json) {
		vl_jw_end(&in->jw);
		vl_jw_bool(&in->jw, "in_pagemap", !uncovered);
		vl_jw_uint(&in->jw, "pages", npages);
		vl_jw_uint(&in->jw, "present", present);
		vl_jw_end(&in->jw);
		return ret;
	}
	printf("%lx-%lx %s %08llx %s", v->start, v->end, v->perms, v->pgoff,
	       v->path[0] ? v->path : "[anonymous]");
	if (is_vmlab)
		printf("  [vmlab%s%s]", type ? " " : "", type ? type : "");
	printf("  %zu pages, %zu present", npages, present);
	if (s->kernel_page_kb > 4)
		printf(", KernelPageSize %lld kB", s->kernel_page_kb);
	if (uncovered)
		printf(" (beyond what pagemap covers)");
	putchar('\n');
	if (!ret && t.ncells)
		table_print(&t, stdout, "    ");
	table_free(&t);
	return ret;
}

static int parse_addr(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 16);
	return errno || end == s || *end ? -EINVAL : 0;
}

static int parse_range(struct inspect *in, const char *arg)
{
	char buf[64], *dash;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, arg, strlen(arg) + 1);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_addr(buf, &in->from) || (dash && parse_addr(dash + 1, &in->to)))
		return -EINVAL;
	if (dash && in->to <= in->from)
		return -EINVAL;
	in->from &= ~(unsigned long)(in->ps - 1);
	if (in->to)
		in->to = (in->to + in->ps - 1) & ~(unsigned long)(in->ps - 1);
	in->have_range = true;
	return 0;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "vmlab", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct inspect in = { .ps = sysconf(_SC_PAGESIZE) };
	struct vl_smaps *maps = NULL;
	size_t nmaps = 0, i, shown = 0;
	char comm[64], *end;
	int c, ret;
	long pid;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			in.json = true;
			break;
		case 'v':
			in.only_vmlab = true;
			break;
		case 'h':
			return usage_of("inspect", true, VX_OK);
		default:
			return usage_of("inspect", false, VX_USAGE);
		}
	}
	if (optind >= argc || argc - optind > 2)
		return usage_of("inspect", false, VX_USAGE);
	errno = 0;
	pid = strtol(argv[optind], &end, 10);
	if (errno || *end || pid <= 0 || pid > 0x3fffffff)
		return vx_error(VX_USAGE, "inspect: '%s' is not a process id", argv[optind]);
	in.pid = (pid_t)pid;
	if (argc - optind == 2 && parse_range(&in, argv[optind + 1]))
		return vx_error(VX_USAGE, "inspect: '%s' is not ADDR or ADDR-END (hex)",
				argv[optind + 1]);

	ret = vl_smaps_read(in.pid, &maps, &nmaps);
	if (!ret)
		ret = pages_open(&in.r, in.pid);
	if (ret) {
		free(maps);
		return vx_process_error(in.pid, ret);
	}
	vx_pfns_visible();
	if (vl_vmas_read(&in.rows, &in.nrows))
		in.nrows = 0;
	vl_comm_read(in.pid, comm, sizeof(comm));

	if (in.json) {
		vl_jw_init(&in.jw, stdout);
		vl_jw_object(&in.jw, NULL);
		vl_jw_string(&in.jw, "command", "inspect");
		vl_jw_int(&in.jw, "pid", in.pid);
		vl_jw_string(&in.jw, "comm", comm);
		vl_jw_bool(&in.jw, "pfns_visible", in.r.pfns && in.r.kpf_fd >= 0);
		vl_jw_int(&in.jw, "page_size", in.ps);
		vl_jw_bool(&in.jw, "ksm_flag_unreliable", in.r.pfns && pages_ksm_flag_unreliable());
		vl_jw_array(&in.jw, "vmas");
	} else {
		printf("process %d (%s): %zu mappings\n", (int)in.pid, comm, nmaps);
		printf("PEFS: P present (s swapped), E exclusive (mapped once), F file or shared\n"
		       "      anonymous, S soft-dirty\n");
		if (in.r.pfns && pages_ksm_flag_unreliable())
			printf("(this kernel's kpageflags marks every anonymous page ksm;\n"
			       " kind says anon for them)\n");
	}
	for (i = 0; i < nmaps && !ret; i++) {
		if (in.have_range && !in.to &&
		    (in.from < maps[i].vma.start || in.from >= maps[i].vma.end))
			continue;
		shown++;
		ret = inspect_vma(&in, &maps[i]);
	}
	if (in.json) {
		vl_jw_end(&in.jw);
		vl_jw_end(&in.jw);
		if (vl_jw_finish(&in.jw) && !ret)
			ret = -EINVAL;
	}
	pages_close(&in.r);
	free(in.rows);
	free(maps);
	if (ret)
		return vx_process_error(in.pid, ret);
	if (in.have_range && !shown)
		return vx_error(VX_FAIL, "process %d has no mapping at %lx", (int)in.pid, in.from);
	return VX_OK;
}
