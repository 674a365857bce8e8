// SPDX-License-Identifier: GPL-2.0
/*
 * Readers of vmlab's debugfs listings: the objects and vmas files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "debugfs.h"
#include "listings.h"

/* Most columns a header line may name. */
#define MAX_COLUMNS	32

/* A column the parser wants: its name, where it is, and how to read it. */
struct column {
	const char *name;
	bool required;
	int base;	/* 10 or 16; 0 for text */
	int index;	/* in the header, -1 when absent */
};

/* The next blank-separated word of *s, NUL-terminated in place; NULL at the end of the line. */
static char *next_word(char **s)
{
	char *p = *s, *w;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return NULL;
	w = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = '\0';
	*s = p;
	return w;
}

/* Find each wanted column in the header line @line. */
static int parse_header(char *line, struct column *cols, size_t ncols)
{
	char *w;
	size_t i;
	int idx = 0;

	for (i = 0; i < ncols; i++)
		cols[i].index = -1;
	while ((w = next_word(&line)) && idx < MAX_COLUMNS) {
		for (i = 0; i < ncols; i++)
			if (!strcmp(w, cols[i].name))
				cols[i].index = idx;
		idx++;
	}
	for (i = 0; i < ncols; i++)
		if (cols[i].required && cols[i].index < 0)
			return -EPROTO;
	return 0;
}

/* Split a data line into at most MAX_COLUMNS words. */
static int split_line(char *line, char **words)
{
	int n = 0;
	char *w;

	while (n < MAX_COLUMNS && (w = next_word(&line)))
		words[n++] = w;
	return n;
}

/* Read column @c of a split line as a number; -EPROTO when malformed. */
static int word_number(char **words, int nwords, const struct column *c, long long *v)
{
	char *end;

	if (c->index < 0) {
		*v = 0;
		return 0;
	}
	if (c->index >= nwords)
		return -EPROTO;
	errno = 0;
	if (c->base == 16)
		*v = (long long)strtoull(words[c->index], &end, 16);
	else
		*v = strtoll(words[c->index], &end, 10);
	if (errno || end == words[c->index] || *end)
		return -EPROTO;
	return 0;
}

static int word_text(char **words, int nwords, const struct column *c, char *buf, size_t len)
{
	if (c->index < 0 || c->index >= nwords || strlen(words[c->index]) >= len)
		return -EPROTO;
	memcpy(buf, words[c->index], strlen(words[c->index]) + 1);
	return 0;
}

/*
 * Parse a listing: a header line, then rows.  @row_fn fills row @i of the
 * array *rows (rows of @size bytes) from the words of one line.
 */
static int parse_listing(const char *text, struct column *cols, size_t ncols, size_t size,
			 int (*row_fn)(void *row, char **words, int nwords, struct column *cols),
			 void **rows, size_t *n)
{
	char *copy, *line, *save = NULL, *words[MAX_COLUMNS];
	size_t count = 0, cap = 0;
	void *arr = NULL, *tmp;
	int ret;

	if (!text || !rows || !n)
		return -EINVAL;
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	line = strtok_r(copy, "\n", &save);
	ret = line ? parse_header(line, cols, ncols) : -EPROTO;
	while (!ret && (line = strtok_r(NULL, "\n", &save))) {
		int nwords = split_line(line, words);

		if (!nwords)
			continue;
		if (count == cap) {
			cap = cap ? 2 * cap : 16;
			tmp = realloc(arr, cap * size);
			if (!tmp) {
				ret = -ENOMEM;
				break;
			}
			arr = tmp;
		}
		memset((char *)arr + count * size, 0, size);
		ret = row_fn((char *)arr + count * size, words, nwords, cols);
		count++;
	}
	free(copy);
	if (ret) {
		free(arr);
		return ret;
	}
	if (!count) {
		free(arr);
		arr = NULL;
	}
	*rows = arr;
	*n = count;
	return 0;
}

enum { O_ID, O_TYPE, O_SIZE, O_RESIDENT, O_DIRTY, O_BACKING, O_MAPPERS, O_NR };

static int object_row(void *row, char **words, int nwords, struct column *cols)
{
	struct vl_object_row *r = row;
	long long v[O_NR];
	int i, ret = 0;

	for (i = 0; i < O_NR && !ret; i++)
		if (i != O_TYPE)
			ret = word_number(words, nwords, &cols[i], &v[i]);
	if (!ret)
		ret = word_text(words, nwords, &cols[O_TYPE], r->type, sizeof(r->type));
	if (ret)
		return ret;
	r->id = v[O_ID];
	r->size_pages = v[O_SIZE];
	r->resident_pages = v[O_RESIDENT];
	r->dirty_pages = v[O_DIRTY];
	r->backing = (int)v[O_BACKING];
	r->mappers = cols[O_MAPPERS].index < 0 ? -1 : v[O_MAPPERS];
	return 0;
}

int vl_objects_parse(const char *text, struct vl_object_row **rows, size_t *n)
{
	struct column cols[O_NR] = {
		[O_ID] = { "id", true, 10 },
		[O_TYPE] = { "type", true, 0 },
		[O_SIZE] = { "size_pages", true, 10 },
		[O_RESIDENT] = { "resident_pages", true, 10 },
		[O_DIRTY] = { "dirty_pages", true, 10 },
		[O_BACKING] = { "backing", false, 10 },
		[O_MAPPERS] = { "mappers", false, 10 },
	};

	return parse_listing(text, cols, O_NR, sizeof(**rows), object_row, (void **)rows, n);
}

enum { V_PID, V_START, V_END, V_TYPE, V_FLAGS, V_PGOFF, V_NR };

static int vma_row(void *row, char **words, int nwords, struct column *cols)
{
	struct vl_vma_row *r = row;
	long long v[V_NR];
	int i, ret = 0;

	for (i = 0; i < V_NR && !ret; i++)
		if (i != V_TYPE)
			ret = word_number(words, nwords, &cols[i], &v[i]);
	if (!ret)
		ret = word_text(words, nwords, &cols[V_TYPE], r->type, sizeof(r->type));
	if (ret)
		return ret;
	r->pid = (pid_t)v[V_PID];
	r->start = (unsigned long)v[V_START];
	r->end = (unsigned long)v[V_END];
	r->flags = (unsigned long)v[V_FLAGS];
	r->pgoff = (unsigned long)v[V_PGOFF];
	return 0;
}

int vl_vmas_parse(const char *text, struct vl_vma_row **rows, size_t *n)
{
	struct column cols[V_NR] = {
		[V_PID] = { "pid", true, 10 },
		[V_START] = { "start", true, 16 },
		[V_END] = { "end", true, 16 },
		[V_TYPE] = { "type", true, 0 },
		[V_FLAGS] = { "flags", true, 16 },
		[V_PGOFF] = { "pgoff", true, 16 },
	};

	return parse_listing(text, cols, V_NR, sizeof(**rows), vma_row, (void **)rows, n);
}

int vl_objects_read(struct vl_object_row **rows, size_t *n)
{
	char *text;
	int ret = vl_read_text(VL_OBJECTS_PATH, &text);

	if (ret)
		return ret;
	ret = vl_objects_parse(text, rows, n);
	free(text);
	return ret;
}

int vl_vmas_read(struct vl_vma_row **rows, size_t *n)
{
	char *text;
	int ret = vl_read_text(VL_VMAS_PATH, &text);

	if (ret)
		return ret;
	ret = vl_vmas_parse(text, rows, n);
	free(text);
	return ret;
}
