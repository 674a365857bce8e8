// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab stat: vmlab's state from its debugfs files, its module parameters
 * and the hugetlb pool, as tables or JSON, once or every few seconds.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "debugfs.h"
#include "json.h"
#include "listings.h"
#include "procfs.h"
#include "table.h"
#include "tool.h"

#define PARAMS_DIR	"/sys/module/vmlab/parameters"
#define POOL_DIR	"/sys/kernel/mm/hugepages/hugepages-2048kB"
#define HUGE_PATH	VMLAB_DEBUGFS_PATH "/huge"

/* Most mapping types the per-type table shows. */
#define MAX_TYPES	8

/* One snapshot of everything stat shows. */
struct snap {
	struct vl_counters c;
	struct vl_object_row *objects;
	size_t nobjects;
	struct vl_vma_row *vmas;
	size_t nvmas;
	char *huge;		/* text of the huge file, or NULL */
	char types[MAX_TYPES][VL_TYPE_NAME_MAX + 1];
	size_t ntypes;
};

static const char *const param_names[] = {
	"store_size", "backing", "hugetlbfs_path",
};

static const char *const pool_names[] = {
	"nr_hugepages", "free_hugepages", "resv_hugepages", "surplus_hugepages",
};

/* smaps' VmFlags mnemonics of vm_flags bits 0-31. */
static const char *const vm_flag_names[32] = {
	"rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", NULL, "pf", NULL, NULL, "lo", "io",
	"sr", "rr", "dc", "de", "lf", "ac", "nr", "ht", "sf", "ar", "wf", "dd", "sd", "mm", "hg",
	"nh", "mg",
};

/* The first line of a small file, without its newline; "" when unreadable. */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "re");

	buf[0] = '\0';
	if (!fp)
		return;
	if (fgets(buf, (int)len, fp))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(fp);
}

static void vm_flags_str(unsigned long flags, char *buf, size_t len)
{
	size_t pos = 0;
	int bit;

	buf[0] = '\0';
	for (bit = 0; bit < 32; bit++) {
		if (!(flags & (1UL << bit)) || !vm_flag_names[bit])
			continue;
		pos += snprintf(buf + pos, len - pos, "%s%s", pos ? " " : "", vm_flag_names[bit]);
		if (pos >= len)
			break;
	}
}

/* Mapping types: the TYPE of every vmas_live_TYPE counter. */
static void find_types(struct snap *s)
{
	size_t i;

	s->ntypes = 0;
	for (i = 0; i < s->c.n && s->ntypes < MAX_TYPES; i++)
		if (!strncmp(s->c.c[i].name, "vmas_live_", 10))
			snprintf(s->types[s->ntypes++], sizeof(s->types[0]), "%s",
				 s->c.c[i].name + 10);
}

/* Whether counter @name is BASE_TYPE for a BASE that has every type; *base gets BASE. */
static bool per_type(const struct snap *s, const char *name, char *base, size_t len)
{
	size_t i, n = strlen(name), tl;
	char full[96];
	uint64_t v;

	for (i = 0; i < s->ntypes; i++) {
		tl = strlen(s->types[i]);
		if (n <= tl + 1 || strcmp(name + n - tl, s->types[i]) || name[n - tl - 1] != '_')
			continue;
		snprintf(base, len, "%.*s", (int)(n - tl - 1), name);
		break;
	}
	if (i == s->ntypes)
		return false;
	for (i = 0; i < s->ntypes; i++) {
		snprintf(full, sizeof(full), "%s_%s", base, s->types[i]);
		if (vl_counter_get(&s->c, full, &v))
			return false;
	}
	return true;
}

static void snap_free(struct snap *s)
{
	free(s->objects);
	free(s->vmas);
	free(s->huge);
	memset(s, 0, sizeof(*s));
}

static int snap_take(struct snap *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = vl_counters_read(&s->c);
	if (!ret)
		ret = vl_objects_read(&s->objects, &s->nobjects);
	if (!ret)
		ret = vl_vmas_read(&s->vmas, &s->nvmas);
	if (ret) {
		snap_free(s);
		return ret;
	}
	if (vl_read_text(HUGE_PATH, &s->huge))
		s->huge = NULL;
	find_types(s);
	return 0;
}

static void print_counters(const struct snap *s, const struct snap *prev)
{
	char base[VL_COUNTER_NAME_MAX + 1], seen[16][VL_COUNTER_NAME_MAX + 1], name[96];
	size_t i, j, nseen = 0;
	struct table t;
	uint64_t v;

	/* Per-type counters: a row per base, a column per type. */
	table_init(&t, ~1u, s->ntypes + 1, "per type", s->types[0], s->types[1], s->types[2],
		   s->types[3], s->types[4], s->types[5], s->types[6], s->types[7]);
	for (i = 0; i < s->c.n; i++) {
		if (!per_type(s, s->c.c[i].name, base, sizeof(base)))
			continue;
		for (j = 0; j < nseen && strcmp(seen[j], base); j++)
			;
		if (j < nseen || nseen == 16)
			continue;
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", base);
		table_cell(&t, "%s", base);
		for (j = 0; j < s->ntypes; j++) {
			int64_t d;

			snprintf(name, sizeof(name), "%s_%s", base, s->types[j]);
			vl_counter_get(&s->c, name, &v);
			d = prev ? vl_counter_delta(&prev->c, &s->c, name) : 0;
			if (d && d != VL_COUNTER_MISSING)
				table_cell(&t, "%llu (%+lld)", (unsigned long long)v, (long long)d);
			else
				table_cell(&t, "%llu", (unsigned long long)v);
		}
	}
	printf("counters\n");
	table_print(&t, stdout, "  ");
	table_free(&t);

	table_init(&t, 2u, 2, "counter", "value");
	for (i = 0; i < s->c.n; i++) {
		int64_t d = prev ? vl_counter_delta(&prev->c, &s->c, s->c.c[i].name) : 0;

		if (per_type(s, s->c.c[i].name, base, sizeof(base)))
			continue;
		table_cell(&t, "%s", s->c.c[i].name);
		if (d && d != VL_COUNTER_MISSING)
			table_cell(&t, "%llu (%+lld)", (unsigned long long)s->c.c[i].value,
				   (long long)d);
		else
			table_cell(&t, "%llu", (unsigned long long)s->c.c[i].value);
	}
	table_print(&t, stdout, "  ");
	table_free(&t);
}

static void print_listings(const struct snap *s)
{
	char flags[128], comm[32];
	struct table t;
	size_t i;

	printf("objects (%zu live)\n", s->nobjects);
	table_init(&t, 0x3du, 7, "id", "type", "size", "resident", "dirty", "mappers",
		   "backing");
	for (i = 0; i < s->nobjects; i++) {
		const struct vl_object_row *o = &s->objects[i];

		table_cell(&t, "%llu", (unsigned long long)o->id);
		table_cell(&t, "%s", o->type);
		table_cell(&t, "%llu", (unsigned long long)o->size_pages);
		table_cell(&t, "%llu", (unsigned long long)o->resident_pages);
		table_cell(&t, "%llu", (unsigned long long)o->dirty_pages);
		if (o->mappers < 0)
			table_cell(&t, "?");
		else
			table_cell(&t, "%lld", o->mappers);
		table_cell(&t, "%s", o->backing ? "file" : "none");
	}
	table_print(&t, stdout, "  ");
	table_free(&t);
	printf("  (sizes in pages)\n");

	printf("vmas (%zu live)\n", s->nvmas);
	if (!s->nvmas)
		return;
	table_init(&t, 0x01u, 6, "pid", "comm", "range", "type", "pgoff", "flags");
	for (i = 0; i < s->nvmas; i++) {
		const struct vl_vma_row *v = &s->vmas[i];

		if (vl_comm_read(v->pid, comm, sizeof(comm)))
			snprintf(comm, sizeof(comm), "?");
		vm_flags_str(v->flags, flags, sizeof(flags));
		table_cell(&t, "%d", (int)v->pid);
		table_cell(&t, "%s", comm);
		table_cell(&t, "%lx-%lx", v->start, v->end);
		table_cell(&t, "%s", v->type);
		table_cell(&t, "0x%lx", v->pgoff);
		table_cell(&t, "%s", flags);
	}
	table_print(&t, stdout, "  ");
	table_free(&t);
}

static void print_text(const struct snap *s, const struct snap *prev)
{
	char val[256], path[256];
	size_t i;

	printf("module parameters:");
	for (i = 0; i < ARRAY_SIZE(param_names); i++) {
		snprintf(path, sizeof(path), "%s/%s", PARAMS_DIR, param_names[i]);
		read_line(path, val, sizeof(val));
		if (!strcmp(val, "(null)"))
			val[0] = '\0';
		if (val[0] || !access(path, F_OK))
			printf(" %s=%s", param_names[i], val[0] ? val : "(none)");
	}
	putchar('\n');
	print_counters(s, prev);
	print_listings(s);
	if (s->huge) {
		const char *nl = strchr(s->huge, '\n');
		size_t rows = 0;

		for (i = 0; s->huge[i]; i++)
			rows += s->huge[i] == '\n';
		printf("huge-kind files (%zu live)\n", rows ? rows - 1 : 0);
		if (nl)
			printf("  %.*s\n", (int)(nl - s->huge), s->huge);
		for (const char *l = nl ? nl + 1 : ""; *l; l = strchr(l, '\n') + 1) {
			printf("  %.*s\n", (int)strcspn(l, "\n"), l);
			if (!strchr(l, '\n'))
				break;
		}
	}
	printf("hugetlb pool (2 MiB pages):");
	for (i = 0; i < ARRAY_SIZE(pool_names); i++) {
		snprintf(path, sizeof(path), "%s/%s", POOL_DIR, pool_names[i]);
		read_line(path, val, sizeof(val));
		printf(" %s=%s", pool_names[i], val[0] ? val : "?");
	}
	putchar('\n');
}

static void print_json(const struct snap *s)
{
	char val[256], path[256], base[VL_COUNTER_NAME_MAX + 1];
	struct vl_jw w;
	size_t i;

	vl_jw_init(&w, stdout);
	vl_jw_object(&w, NULL);
	vl_jw_string(&w, "command", "stat");
	vl_jw_object(&w, "parameters");
	for (i = 0; i < ARRAY_SIZE(param_names); i++) {
		snprintf(path, sizeof(path), "%s/%s", PARAMS_DIR, param_names[i]);
		read_line(path, val, sizeof(val));
		if (val[0] || !access(path, F_OK))
			vl_jw_string(&w, param_names[i], val);
	}
	vl_jw_end(&w);
	vl_jw_object(&w, "counters");
	for (i = 0; i < s->c.n; i++)
		vl_jw_uint(&w, s->c.c[i].name, s->c.c[i].value);
	vl_jw_end(&w);
	vl_jw_array(&w, "per_type_bases");
	for (i = 0; i < s->c.n; i++)
		if (per_type(s, s->c.c[i].name, base, sizeof(base)) &&
		    !strcmp(s->c.c[i].name + strlen(base) + 1, s->types[0]))
			vl_jw_string(&w, NULL, base);
	vl_jw_end(&w);
	vl_jw_array(&w, "types");
	for (i = 0; i < s->ntypes; i++)
		vl_jw_string(&w, NULL, s->types[i]);
	vl_jw_end(&w);
	vl_jw_array(&w, "objects");
	for (i = 0; i < s->nobjects; i++) {
		vl_jw_object(&w, NULL);
		vl_jw_uint(&w, "id", s->objects[i].id);
		vl_jw_string(&w, "type", s->objects[i].type);
		vl_jw_uint(&w, "size_pages", s->objects[i].size_pages);
		vl_jw_uint(&w, "resident_pages", s->objects[i].resident_pages);
		vl_jw_uint(&w, "dirty_pages", s->objects[i].dirty_pages);
		vl_jw_bool(&w, "backing", s->objects[i].backing);
		if (s->objects[i].mappers < 0)
			vl_jw_null(&w, "mappers");
		else
			vl_jw_int(&w, "mappers", s->objects[i].mappers);
		vl_jw_end(&w);
	}
	vl_jw_end(&w);
	vl_jw_array(&w, "vmas");
	for (i = 0; i < s->nvmas; i++) {
		const struct vl_vma_row *v = &s->vmas[i];

		vl_jw_object(&w, NULL);
		vl_jw_int(&w, "pid", v->pid);
		vl_jw_stringf(&w, "start", "0x%lx", v->start);
		vl_jw_stringf(&w, "end", "0x%lx", v->end);
		vl_jw_string(&w, "type", v->type);
		vl_jw_stringf(&w, "flags", "0x%lx", v->flags);
		vm_flags_str(v->flags, val, sizeof(val));
		vl_jw_string(&w, "flag_names", val);
		vl_jw_stringf(&w, "pgoff", "0x%lx", v->pgoff);
		vl_jw_end(&w);
	}
	vl_jw_end(&w);
	vl_jw_string(&w, "huge", s->huge);
	vl_jw_object(&w, "pool");
	vl_jw_int(&w, "page_kb", 2048);
	for (i = 0; i < ARRAY_SIZE(pool_names); i++) {
		snprintf(path, sizeof(path), "%s/%s", POOL_DIR, pool_names[i]);
		read_line(path, val, sizeof(val));
		if (val[0])
			vl_jw_int(&w, pool_names[i], strtoll(val, NULL, 10));
		else
			vl_jw_null(&w, pool_names[i]);
	}
	vl_jw_end(&w);
	vl_jw_end(&w);
	vl_jw_finish(&w);
}

int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", optional_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct snap cur, prev;
	bool json = false, watch = false, have_prev = false;
	double interval = 1.0;
	long count = -1, round;
	char *end;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jw::n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'w':
			watch = true;
			if (!optarg && optind < argc && argv[optind][0] >= '0' &&
			    argv[optind][0] <= '9')
				optarg = argv[optind++];
			if (optarg) {
				interval = strtod(optarg, &end);
				if (*end || interval < 0.1 || interval > 3600)
					return vx_error(VX_USAGE,
							"stat: --watch takes 0.1 to 3600 seconds, not '%s'",
							optarg);
			}
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end || count < 1)
				return vx_error(VX_USAGE,
						"stat: --count takes a positive number, not '%s'",
						optarg);
			break;
		case 'h':
			return usage_of("stat", true, VX_OK);
		default:
			return usage_of("stat", false, VX_USAGE);
		}
	}
	if (optind < argc)
		return usage_of("stat", false, VX_USAGE);
	if (!watch && count < 0)
		count = 1;
	ret = vx_need_debugfs();
	if (ret)
		return ret;
	for (round = 0; count < 0 || round < count; round++) {
		struct timespec ts = {
			.tv_sec = (time_t)interval,
			.tv_nsec = (long)((interval - (time_t)interval) * 1e9),
		};

		if (round)
			nanosleep(&ts, NULL);
		ret = snap_take(&cur);
		if (ret) {
			if (have_prev)
				snap_free(&prev);
			return vx_error(VX_FAIL,
					"reading %s: %s",
					VMLAB_DEBUGFS_PATH, strerror(-ret));
		}
		if (json) {
			print_json(&cur);
		} else {
			if (watch)
				printf("%s%g s; changes since the last refresh in parentheses\n",
				       "\033[H\033[2Jvmlab stat --watch: Ctrl-C stops; every ",
				       interval);
			print_text(&cur, have_prev ? &prev : NULL);
		}
		fflush(stdout);
		if (have_prev)
			snap_free(&prev);
		prev = cur;
		have_prev = true;
	}
	if (have_prev)
		snap_free(&prev);
	return VX_OK;
}
