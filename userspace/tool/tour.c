// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour [SECTION...]: every kind of mapping, through /dev/vmlab and
 * through its native twin, step by step, with live page-table facts.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "device.h"
#include "pagemap.h"
#include "touch.h"
#include "tool.h"
#include "tour.h"
#include "walk_print.h"

static const struct section *const sections[] = {
	&section_anon, &section_cow, &section_shared, &section_shared_anon, &section_huge,
	&section_thp, &section_flags, &section_reclaim,
};

int tour_fail(struct tour *t, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -EIO;
}

static const struct section *find_section(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sections); i++)
		if (!strcmp(sections[i]->name, name))
			return sections[i];
	return NULL;
}

/* The zero page's PFN, read from a fresh private anonymous page; 0 when hidden. */
static uint64_t find_zero_pfn(struct tour *t)
{
	char *p = mmap(NULL, t->ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t pfn = 0;

	if (p == MAP_FAILED)
		return 0;
	vl_read_byte(p);
	pages_own_pfns(p, 1, &pfn);
	munmap(p, t->ps);
	return pfn;
}

/*
 * A file of the device for the walker, and whether it can read our page
 * tables (root only): @t->walk_err is 0, or why not.
 */
static void open_walker(struct tour *t)
{
	struct vl_walk w;
	char probe = 0;

	t->walk_fd = vl_open(O_RDONLY | O_CLOEXEC);
	if (t->walk_fd < 0) {
		t->walk_err = t->walk_fd;
		return;
	}
	t->walk_err = vl_walk(t->walk_fd, 0, (uintptr_t)&probe, (uintptr_t)&probe + 1, &w);
	vl_walk_free(&w);
	if (t->walk_err)
		vx_note("the page-table entries are not shown: the walker: %s",
			walk_error_text(t->walk_err));
}

static void print_header(struct tour *t)
{
	struct utsname u;
	long wb = t->wb_centisecs, ex = t->expire_centisecs;

	uname(&u);
	if (t->json) {
		vl_jw_object(&t->jw, NULL);
		vl_jw_string(&t->jw, "command", "tour");
		vl_jw_string(&t->jw, "kernel", u.release);
		vl_jw_int(&t->jw, "page_size", t->ps);
		vl_jw_uint(&t->jw, "store_size", t->info.store_size);
		vl_jw_bool(&t->jw, "store_backed", t->info.has_backing);
		vl_jw_int(&t->jw, "dirty_writeback_centisecs", wb);
		vl_jw_int(&t->jw, "dirty_expire_centisecs", ex);
		vl_jw_bool(&t->jw, "pfns_visible", t->pfns);
		vl_jw_bool(&t->jw, "counters_visible", t->counters);
		vl_jw_bool(&t->jw, "entries_visible", !t->walk_err);
		vl_jw_bool(&t->jw, "ksm_flag_unreliable", t->pfns && pages_ksm_flag_unreliable());
		if (t->pfns)
			vl_jw_uint(&t->jw, "zero_pfn", t->zero_pfn);
		else
			vl_jw_null(&t->jw, "zero_pfn");
		vl_jw_array(&t->jw, "sections");
		return;
	}
	printf("vmlab tour on Linux %s\n", u.release);
	printf("page size %zu, store %llu MiB (%s)\n",
	       t->ps, (unsigned long long)t->info.store_size >> 20,
	       t->info.has_backing ? "in its backing file, written back by the kernel's flusher" :
	       "no backing file: the store is a tmpfs file, with nothing to write back");
	if (t->info.has_backing && wb >= 0 && ex >= 0)
		printf("(vm.dirty_writeback_centisecs %ld: it wakes every %ld.%02ld s;\n"
		       "vm.dirty_expire_centisecs %ld: it writes pages dirty for %ld.%02ld s)\n",
		       wb, wb / 100, wb % 100, ex, ex / 100, ex % 100);
	printf("Each step shows every page of the vmlab mapping and of its native twin:\n"
	       "  PEFS   pagemap: P present, E exclusive (mapped once), F file or shared\n"
	       "         anonymous, S soft-dirty; '-' when clear\n");
	if (t->pfns)
		printf("  is     store/file: the very page of the file behind the mapping; else\n"
		       "         what kpageflags makes of it: zero (page), anon, page-cache, shmem,\n"
		       "         hugetlb, thp; /pmd when a PMD entry maps it\n");
	printf("  bytes  the first %d bytes, for present pages ('.' for unprintable ones)\n",
	       TOUR_BYTES);
	if (!t->walk_err)
		printf("  entries the page-table entries that changed, as vmlab's walker reads\n"
		       "         them (all of them at a mapping's first step), an entry or a run\n"
		       "         of entries alike a line: LEVEL ADDRESS [xCOUNT]: +bit set, -bit\n"
		       "         cleared; what it maps, pfn. Tables' accessed and dirty bits (the\n"
		       "         CPU sets them as it walks) are left out; kdirty: dirty to the\n"
		       "         kernel, its D bit moved to a software bit by a write-protect\n");
	if (t->pfns && pages_ksm_flag_unreliable())
		printf("  (this kernel's kpageflags marks every anonymous page ksm: its\n"
		       "  stable_page_flags() tests mapping & PAGE_MAPPING_KSM, which the anon bit\n"
		       "  alone satisfies; the is column calls them anon)\n");
	if (t->counters)
		printf("and the vmlab debugfs counters that changed, what happened, and how the\n"
		       "native twin compares.\n");
	else
		printf("and what happened, and how the native twin compares.\n");
}

/* Run one section; true when it worked or could not run here. */
static bool run_section(struct tour *t, const struct section *sec)
{
	int ret;

	t->nsteps = 0;
	t->section_ok = true;
	t->why[0] = '\0';
	if (t->json) {
		vl_jw_object(&t->jw, NULL);
		vl_jw_string(&t->jw, "name", sec->name);
		vl_jw_string(&t->jw, "title", sec->title);
		vl_jw_string(&t->jw, "intro", sec->intro);
		vl_jw_array(&t->jw, "steps");
	} else {
		printf("\n== %s (%s) ==\n%s\n", sec->title, sec->name, sec->intro);
	}
	fflush(stdout);
	ret = sec->run(t);
	if (ret < 0)
		t->section_ok = false;
	if (t->json) {
		vl_jw_end(&t->jw);
		vl_jw_bool(&t->jw, "available", ret != TOUR_UNAVAILABLE);
		vl_jw_string(&t->jw, "error", ret ? t->why : NULL);
		vl_jw_bool(&t->jw, "ok", t->section_ok);
		vl_jw_end(&t->jw);
	} else if (ret == TOUR_UNAVAILABLE) {
		printf("%s: not available: %s\n", sec->name, t->why);
	} else if (ret < 0) {
		printf("%s: failed: %s\n", sec->name, t->why);
	} else if (!t->section_ok) {
		printf("%s: something unexpected happened, see the !! lines above\n", sec->name);
	}
	fflush(stdout);
	return t->section_ok;
}

static int list_sections(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sections); i++)
		printf("%-12s %s\n", sections[i]->name, sections[i]->title);
	return VX_OK;
}

int cmd_tour(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct section *chosen[ARRAY_SIZE(sections) * 2];
	size_t nchosen = 0, i, failed = 0, unavailable = 0;
	const char *problem;
	struct tour t;
	int c, ret, fd;

	memset(&t, 0, sizeof(t));
	optind = 1;
	while ((c = getopt_long(argc, argv, "jlh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			t.json = true;
			break;
		case 'l':
			return list_sections();
		case 'h':
			return usage_of("tour", true, VX_OK);
		default:
			return usage_of("tour", false, VX_USAGE);
		}
	}
	for (; optind < argc; optind++) {
		const struct section *sec = find_section(argv[optind]);

		if (!sec) {
			vx_error(VX_USAGE,
				 "tour: no section '%s'; the sections are:",
				 argv[optind]);
			for (i = 0; i < ARRAY_SIZE(sections); i++)
				fprintf(stderr, "  %s\n", sections[i]->name);
			return VX_USAGE;
		}
		if (nchosen < ARRAY_SIZE(chosen))
			chosen[nchosen++] = sec;
	}
	if (!nchosen)
		for (i = 0; i < ARRAY_SIZE(sections); i++)
			chosen[nchosen++] = sections[i];

	ret = vx_need_device();
	if (ret)
		return ret;
	t.ps = (size_t)sysconf(_SC_PAGESIZE);
	fd = vl_open(O_RDONLY | O_CLOEXEC);
	if (fd < 0 || vl_info(fd, &t.info))
		return vx_error(VX_FAIL, "VMLAB_IOC_GET_INFO: %s", strerror(errno));
	close(fd);
	t.store_next = (off_t)(t.info.store_size / 2) & ~(off_t)((2 << 20) - 1);
	t.wb_centisecs = proc_long("/proc/sys/vm/dirty_writeback_centisecs");
	t.expire_centisecs = proc_long("/proc/sys/vm/dirty_expire_centisecs");
	t.pfns = vx_pfns_visible();
	problem = vx_debugfs_problem();
	t.counters = !problem;
	if (problem)
		vx_note("vmlab's counters are not shown: %s", problem);
	t.zero_pfn = t.pfns ? find_zero_pfn(&t) : 0;
	open_walker(&t);
	if (t.json)
		vl_jw_init(&t.jw, stdout);
	print_header(&t);

	for (i = 0; i < nchosen; i++) {
		if (!run_section(&t, chosen[i]))
			failed++;
		else if (t.why[0])
			unavailable++;
	}

	if (t.walk_fd >= 0)
		close(t.walk_fd);
	if (t.json) {
		vl_jw_end(&t.jw);
		vl_jw_bool(&t.jw, "ok", !failed);
		vl_jw_end(&t.jw);
		if (vl_jw_finish(&t.jw))
			return vx_error(VX_FAIL, "tour: the JSON output is malformed (a bug)");
	} else if (failed) {
		printf("\ntour: %zu of %zu sections found something unexpected or failed\n", failed,
		       nchosen);
	} else {
		printf("\ntour: %zu section%s, every step as expected%s\n", nchosen,
		       nchosen > 1 ? "s" : "", unavailable ? " (where available)" : "");
	}
	return failed ? VX_FAIL : VX_OK;
}
