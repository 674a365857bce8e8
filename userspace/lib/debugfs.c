// SPDX-License-Identifier: GPL-2.0
/*
 * Readers of vmlab's debugfs files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debugfs.h"

/* Largest file vl_read_text() reads. */
#define VL_READ_TEXT_MAX	(16u << 20)

int vl_read_text(const char *path, char **buf)
{
	size_t len = 0, cap = 4096;
	char *data, *tmp;
	int fd, ret = 0;

	if (!path || !buf)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	data = malloc(cap);
	if (!data) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			if (cap >= VL_READ_TEXT_MAX) {
				ret = -EFBIG;
				break;
			}
			cap *= 2;
			tmp = realloc(data, cap);
			if (!tmp) {
				ret = -ENOMEM;
				break;
			}
			data = tmp;
		}
		n = read(fd, data + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);

	if (ret) {
		free(data);
		return ret;
	}
	data[len] = '\0';
	*buf = data;
	return 0;
}

static bool is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_';
}

static int find_counter(const struct vl_counters *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (!strcmp(c->c[i].name, name))
			return (int)i;
	}
	return -1;
}

/* Parse one line (without its newline) of length len into out->c[out->n]. */
static int parse_counter(const char *line, size_t len, struct vl_counters *out)
{
	size_t nlen = 0, i;
	uint64_t value = 0;

	while (nlen < len && is_name_char(line[nlen]))
		nlen++;
	if (!nlen || nlen == len || line[nlen] != ' ')
		return -EINVAL;
	if (nlen > VL_COUNTER_NAME_MAX)
		return -ENAMETOOLONG;

	i = nlen + 1;
	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		unsigned int digit;

		if (line[i] < '0' || line[i] > '9')
			return -EINVAL;
		digit = (unsigned int)(line[i] - '0');
		if (value > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		value = value * 10 + digit;
	}

	if (out->n >= VL_COUNTERS_MAX)
		return -E2BIG;
	memcpy(out->c[out->n].name, line, nlen);
	out->c[out->n].name[nlen] = '\0';
	if (find_counter(out, out->c[out->n].name) >= 0)
		return -EINVAL;
	out->c[out->n].value = value;
	out->n++;
	return 0;
}

int vl_counters_parse(const char *text, struct vl_counters *out)
{
	const char *line = text;
	int ret;

	if (!text || !out)
		return -EINVAL;
	out->n = 0;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		ret = parse_counter(line, len, out);
		if (ret) {
			out->n = 0;
			return ret;
		}
		line += len;
		if (nl)
			line++;
	}
	return 0;
}

int vl_counters_read(struct vl_counters *out)
{
	char *text;
	int ret;

	if (!out)
		return -EINVAL;
	ret = vl_read_text(VL_COUNTERS_PATH, &text);
	if (ret)
		return ret;
	ret = vl_counters_parse(text, out);
	free(text);
	return ret;
}

int vl_counter_get(const struct vl_counters *c, const char *name,
		   uint64_t *value)
{
	int i;

	if (!c || !name || !value)
		return -EINVAL;
	i = find_counter(c, name);
	if (i < 0)
		return -ENOENT;
	*value = c->c[i].value;
	return 0;
}

int64_t vl_counter_delta(const struct vl_counters *before,
			 const struct vl_counters *after, const char *name)
{
	uint64_t a, b;

	if (vl_counter_get(before, name, &b) || vl_counter_get(after, name, &a))
		return VL_COUNTER_MISSING;
	return (int64_t)(a - b);
}
