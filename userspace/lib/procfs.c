// SPDX-License-Identifier: GPL-2.0
/*
 * Readers of /proc files: maps, smaps, status and meminfo.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

static void proc_path(char *buf, size_t len, pid_t pid, const char *name)
{
	if (pid == 0)
		snprintf(buf, len, "/proc/self/%s", name);
	else
		snprintf(buf, len, "/proc/%d/%s", (int)pid, name);
}

static int proc_open(pid_t pid, const char *name, FILE **fp)
{
	char path[64];

	if (pid < 0)
		return -EINVAL;
	proc_path(path, sizeof(path), pid, name);
	*fp = fopen(path, "re");
	return *fp ? 0 : -errno;
}

/* Read one line; 1 on success, 0 at end of file, or -errno. */
static int read_line(FILE *fp, char **line, size_t *cap)
{
	errno = 0;
	if (getline(line, cap, fp) >= 0)
		return 1;
	if (ferror(fp))
		return errno ? -errno : -EIO;
	return 0;
}

static void strip_trailing_space(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* Parse one maps (or smaps header) line; 0 on success or -EINVAL. */
static int parse_maps_line(const char *line, struct vl_vma *vma)
{
	const char *path;
	size_t plen;
	int pos = 0;

	memset(vma, 0, sizeof(*vma));
	if (sscanf(line, "%lx-%lx %4s %llx %x:%x %lu%n", &vma->start,
		   &vma->end, vma->perms, &vma->pgoff, &vma->dev_major,
		   &vma->dev_minor, &vma->inode, &pos) != 7 || !pos)
		return -EINVAL;
	if (strlen(vma->perms) != 4)
		return -EINVAL;

	path = line + pos;
	while (*path == ' ' || *path == '\t')
		path++;
	plen = strcspn(path, "\n");
	if (plen >= sizeof(vma->path))
		plen = sizeof(vma->path) - 1;
	memcpy(vma->path, path, plen);
	vma->path[plen] = '\0';
	return 0;
}

int vl_maps_parse_line(const char *line, struct vl_vma *out)
{
	if (!line || !out)
		return -EINVAL;
	return parse_maps_line(line, out);
}

int vl_maps_read(pid_t pid, struct vl_vma **out, size_t *n)
{
	struct vl_vma *vmas = NULL, *tmp;
	size_t count = 0, cap = 0, lcap = 0;
	char *line = NULL;
	FILE *fp;
	int ret;

	if (!out || !n)
		return -EINVAL;
	ret = proc_open(pid, "maps", &fp);
	if (ret)
		return ret;

	while ((ret = read_line(fp, &line, &lcap)) > 0) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(vmas, cap * sizeof(*vmas));
			if (!tmp) {
				ret = -ENOMEM;
				break;
			}
			vmas = tmp;
		}
		ret = parse_maps_line(line, &vmas[count]);
		if (ret)
			break;
		count++;
	}
	free(line);
	fclose(fp);

	if (ret) {
		free(vmas);
		return ret;
	}
	if (!count) {
		free(vmas);
		vmas = NULL;
	}
	*out = vmas;
	*n = count;
	return 0;
}

int vl_maps_find(pid_t pid, unsigned long addr, struct vl_vma *out)
{
	struct vl_vma *vmas;
	size_t i, n;
	int ret;

	if (!out)
		return -EINVAL;
	ret = vl_maps_read(pid, &vmas, &n);
	if (ret)
		return ret;

	ret = -ENOENT;
	for (i = 0; i < n; i++) {
		if (addr >= vmas[i].start && addr < vmas[i].end) {
			*out = vmas[i];
			ret = 0;
			break;
		}
	}
	free(vmas);
	return ret;
}

/*
 * If line is "field: rest", return a pointer to rest with leading blanks
 * skipped, else NULL.
 */
static const char *match_field(const char *line, const char *field)
{
	size_t flen = strlen(field);

	if (strncmp(line, field, flen) || line[flen] != ':')
		return NULL;
	line += flen + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

static int parse_number(const char *s, long long *value)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s)
		return -EINVAL;
	if (errno)
		return -errno;
	*value = v;
	return 0;
}

/*
 * Find the line "field: ..." of the smaps entry of the mapping starting at
 * vma_start, and copy what follows the colon (blanks and newline stripped)
 * into buf.
 */
static int smaps_find(pid_t pid, unsigned long vma_start, const char *field,
		      char *buf, size_t len)
{
	bool in_vma = false;
	char *line = NULL;
	size_t lcap = 0;
	struct vl_vma vma;
	FILE *fp;
	int ret;

	if (!field || !buf || !len)
		return -EINVAL;
	ret = proc_open(pid, "smaps", &fp);
	if (ret)
		return ret;

	while ((ret = read_line(fp, &line, &lcap)) > 0) {
		const char *rest;
		size_t rlen;

		if (!parse_maps_line(line, &vma)) {
			if (in_vma)
				break;
			in_vma = vma.start == vma_start;
			continue;
		}
		if (!in_vma)
			continue;
		rest = match_field(line, field);
		if (!rest)
			continue;
		strip_trailing_space(line);
		rlen = strlen(rest);
		if (rlen >= len) {
			ret = -ENOSPC;
		} else {
			memcpy(buf, rest, rlen + 1);
			ret = 0;
		}
		goto out;
	}
	/* End of file, or the next mapping's header: no such field. */
	if (ret >= 0)
		ret = -ENOENT;
out:
	free(line);
	fclose(fp);
	return ret;
}

int vl_smaps_field(pid_t pid, unsigned long vma_start, const char *field,
		   long long *kb)
{
	char buf[128];
	int ret;

	if (!kb)
		return -EINVAL;
	ret = smaps_find(pid, vma_start, field, buf, sizeof(buf));
	if (ret)
		return ret;
	return parse_number(buf, kb);
}

int vl_smaps_vmflags(pid_t pid, unsigned long vma_start, char *buf,
		     size_t len)
{
	return smaps_find(pid, vma_start, "VmFlags", buf, len);
}

/* Read the first number of the line "field: N ..." of a /proc file. */
static int kv_file_field(const char *path, const char *field,
			 long long *value)
{
	char *line = NULL;
	size_t lcap = 0;
	FILE *fp;
	int ret;

	if (!field || !value)
		return -EINVAL;
	fp = fopen(path, "re");
	if (!fp)
		return -errno;

	while ((ret = read_line(fp, &line, &lcap)) > 0) {
		const char *rest = match_field(line, field);

		if (rest) {
			ret = parse_number(rest, value);
			goto out;
		}
	}
	if (ret == 0)
		ret = -ENOENT;
out:
	free(line);
	fclose(fp);
	return ret;
}

int vl_status_field(pid_t pid, const char *field, long long *value)
{
	char path[64];

	if (pid < 0)
		return -EINVAL;
	proc_path(path, sizeof(path), pid, "status");
	return kv_file_field(path, field, value);
}

int vl_meminfo_field(const char *field, long long *value)
{
	return kv_file_field("/proc/meminfo", field, value);
}

int vl_vmstat_field(const char *field, long long *value)
{
	char name[64];
	long long v;
	FILE *fp;
	int ret = -ENOENT;

	if (!field || !value)
		return -EINVAL;
	fp = fopen("/proc/vmstat", "re");
	if (!fp)
		return -errno;
	/* "name value" lines, no colon. */
	while (fscanf(fp, "%63s %lld", name, &v) == 2) {
		if (!strcmp(name, field)) {
			*value = v;
			ret = 0;
			break;
		}
	}
	fclose(fp);
	return ret;
}

int vl_comm_read(pid_t pid, char *buf, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *fp;
	int ret;

	if (!buf || !len)
		return -EINVAL;
	buf[0] = '\0';
	ret = proc_open(pid, "comm", &fp);
	if (ret)
		return ret;
	ret = read_line(fp, &line, &cap);
	if (ret > 0) {
		snprintf(buf, len, "%.*s", (int)strcspn(line, "\n"), line);
		ret = 0;
	} else if (!ret) {
		ret = -EIO;
	}
	free(line);
	fclose(fp);
	return ret;
}

int vl_write_file(const char *path, const char *text)
{
	size_t len, done = 0;
	int fd, ret = 0;

	if (!path || !text)
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	len = strlen(text);
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0) {
			ret = -EIO;
			break;
		}
		done += (size_t)n;
	}
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}
