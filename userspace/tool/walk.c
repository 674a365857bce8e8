// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab walk PID ADDR[-END]: the page-table entries of a range of a
 * process, every level, read by the walker (VMLAB_IOC_WALK).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "procfs.h"
#include "tool.h"
#include "walk.h"
#include "walk_print.h"

/* A hex address, with or without 0x. */
static int parse_hex(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno || end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* ADDR (its page) or ADDR-END (END exclusive). */
static int parse_range(const char *arg, uint64_t *start, uint64_t *end)
{
	char buf[80], *dash;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", arg);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_hex(buf, start))
		return -EINVAL;
	if (!dash) {
		*start &= ~UINT64_C(4095);
		*end = *start + 4096;
		return *end > *start ? 0 : -EINVAL;
	}
	if (parse_hex(dash + 1, end) || *end <= *start)
		return -EINVAL;
	return 0;
}

static int walk_status(int err)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		return VX_PERM;
	case -ESRCH:
		return VX_NO_PROCESS;
	case -EINVAL:
		return VX_USAGE;
	case -ENOENT:
	case -ENODEV:
	case -ENXIO:
		return VX_NO_MODULE;
	default:
		return VX_FAIL;
	}
}

static void print_json(pid_t pid, const char *comm, const struct vl_walk *w)
{
	struct vl_jw jw;
	size_t i;

	vl_jw_init(&jw, stdout);
	vl_jw_object(&jw, NULL);
	vl_jw_string(&jw, "command", "walk");
	vl_jw_int(&jw, "pid", pid);
	vl_jw_string(&jw, "comm", comm);
	vl_jw_stringf(&jw, "start", "0x%llx", (unsigned long long)w->start);
	vl_jw_stringf(&jw, "end", "0x%llx", (unsigned long long)w->end);
	vl_jw_uint(&jw, "levels", w->levels);
	vl_jw_array(&jw, "entries");
	for (i = 0; i < w->n; i++)
		walk_entry_json(&jw, &w->e[i]);
	vl_jw_end(&jw);
	vl_jw_end(&jw);
	vl_jw_finish(&jw);
}

int cmd_walk(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t start, end;
	struct vl_walk w;
	bool json = false;
	char comm[64] = "";
	int c, ret;
	char *tail;
	long pid;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			return usage_of("walk", true, VX_OK);
		default:
			return usage_of("walk", false, VX_USAGE);
		}
	}
	if (argc - optind != 2)
		return usage_of("walk", false, VX_USAGE);
	errno = 0;
	pid = strtol(argv[optind], &tail, 10);
	if (errno || *tail || tail == argv[optind] || pid <= 0 || pid > 0x3fffffff)
		return vx_error(VX_USAGE, "walk: '%s' is not a process id", argv[optind]);
	if (parse_range(argv[optind + 1], &start, &end))
		return vx_error(VX_USAGE,
				"walk: '%s' is not ADDR or ADDR-END (hex, END above ADDR and exclusive)",
				argv[optind + 1]);
	ret = vx_need_device();
	if (ret)
		return ret;

	ret = vl_walk(-1, (pid_t)pid, start, end, &w);
	if (ret) {
		vl_walk_free(&w);
		if (ret == -ESRCH)
			return vx_error(VX_NO_PROCESS, "walk: process %ld: %s", pid,
					walk_error_text(ret));
		if (ret == -EINVAL)
			return vx_error(VX_USAGE, "walk: %llx-%llx: %s",
					(unsigned long long)start, (unsigned long long)end,
					walk_error_text(ret));
		return vx_error(walk_status(ret), "walk: %s", walk_error_text(ret));
	}
	vl_comm_read((pid_t)pid, comm, sizeof(comm));
	if (json) {
		print_json((pid_t)pid, comm, &w);
		vl_walk_free(&w);
		return VX_OK;
	}
	printf("process %ld (%s): %llx-%llx, %u-level paging, %zu entries\n", pid, comm,
	       (unsigned long long)w.start, (unsigned long long)w.end, w.levels, w.n);
	if (w.n) {
		fputs(WALK_LEGEND, stdout);
		walk_table_print(w.e, w.n, w.levels, stdout, "");
	} else {
		printf("no page-table entry: nothing mapped there, or not yet touched\n");
	}
	vl_walk_free(&w);
	return VX_OK;
}
