// SPDX-License-Identifier: GPL-2.0
/*
 * A one-pass reader of /proc/PID/smaps.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smaps.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The numeric fields, by name, and where each goes. */
static const struct {
	const char *name;
	size_t offset;
} smaps_fields[] = {
	{ "Rss", offsetof(struct vl_smaps, rss_kb) },
	{ "KernelPageSize", offsetof(struct vl_smaps, kernel_page_kb) },
	{ "MMUPageSize", offsetof(struct vl_smaps, mmu_page_kb) },
	{ "AnonHugePages", offsetof(struct vl_smaps, anon_huge_kb) },
	{ "ShmemPmdMapped", offsetof(struct vl_smaps, shmem_pmd_kb) },
	{ "FilePmdMapped", offsetof(struct vl_smaps, file_pmd_kb) },
	{ "Shared_Hugetlb", offsetof(struct vl_smaps, shared_hugetlb_kb) },
	{ "Private_Hugetlb", offsetof(struct vl_smaps, private_hugetlb_kb) },
	{ "Locked", offsetof(struct vl_smaps, locked_kb) },
};

static void smaps_init(struct vl_smaps *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(smaps_fields); i++)
		*(long long *)((char *)s + smaps_fields[i].offset) = -1;
	s->vmflags[0] = '\0';
}

/* Take a "Name: value" line into @s; lines of other names are ignored. */
static void smaps_field(struct vl_smaps *s, const char *line)
{
	size_t i, n = strcspn(line, ":");

	if (!line[n])
		return;
	if (n == 7 && !strncmp(line, "VmFlags", 7)) {
		const char *v = line + 8;

		while (*v == ' ')
			v++;
		snprintf(s->vmflags, sizeof(s->vmflags), "%.*s", (int)strcspn(v, "\n"), v);
		while (strlen(s->vmflags) && s->vmflags[strlen(s->vmflags) - 1] == ' ')
			s->vmflags[strlen(s->vmflags) - 1] = '\0';
		return;
	}
	for (i = 0; i < ARRAY_SIZE(smaps_fields); i++) {
		if (strlen(smaps_fields[i].name) == n &&
		    !strncmp(line, smaps_fields[i].name, n)) {
			*(long long *)((char *)s + smaps_fields[i].offset) =
				strtoll(line + n + 1, NULL, 10);
			return;
		}
	}
}

int vl_smaps_read(pid_t pid, struct vl_smaps **out, size_t *n)
{
	struct vl_smaps *arr = NULL, *tmp;
	size_t count = 0, cap = 0, lcap = 0;
	char path[64], *line = NULL;
	struct vl_vma vma;
	int ret = 0;
	FILE *fp;

	if (pid < 0 || !out || !n)
		return -EINVAL;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps");
	fp = fopen(path, "re");
	if (!fp)
		return -errno;
	errno = 0;
	while (getline(&line, &lcap, fp) >= 0) {
		if (vl_maps_parse_line(line, &vma)) {
			if (count)
				smaps_field(&arr[count - 1], line);
			continue;
		}
		if (count == cap) {
			cap = cap ? 2 * cap : 64;
			tmp = realloc(arr, cap * sizeof(*arr));
			if (!tmp) {
				ret = -ENOMEM;
				break;
			}
			arr = tmp;
		}
		smaps_init(&arr[count]);
		arr[count++].vma = vma;
	}
	if (!ret && ferror(fp))
		ret = errno ? -errno : -EIO;
	free(line);
	fclose(fp);
	if (ret) {
		free(arr);
		return ret;
	}
	if (!count) {
		free(arr);
		arr = NULL;
	}
	*out = arr;
	*n = count;
	return 0;
}

const struct vl_smaps *vl_smaps_find(const struct vl_smaps *s, size_t n, unsigned long addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr >= s[i].vma.start && addr < s[i].vma.end)
			return &s[i];
	return NULL;
}
