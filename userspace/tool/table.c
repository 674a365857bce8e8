// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tool: aligned text tables.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

void table_init(struct table *t, unsigned int right, size_t ncols, ...)
{
	va_list ap;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->ncols = ncols < TABLE_MAX_COLS ? ncols : TABLE_MAX_COLS;
	t->right = right;
	va_start(ap, ncols);
	for (i = 0; i < t->ncols; i++)
		t->head[i] = va_arg(ap, const char *);
	va_end(ap);
}

void table_cell(struct table *t, const char *fmt, ...)
{
	char *s = NULL, **cells;
	va_list ap;

	if (t->ncells == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;

		cells = realloc(t->cells, cap * sizeof(*cells));
		if (!cells)
			return;
		t->cells = cells;
		t->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	t->cells[t->ncells++] = s ? s : strdup("");
}

static const char *cell(const struct table *t, size_t i)
{
	return i < t->ncells && t->cells[i] ? t->cells[i] : "";
}

void table_print(const struct table *t, FILE *out, const char *indent)
{
	size_t width[TABLE_MAX_COLS] = { 0 }, rows, r, c;

	if (!t->ncols)
		return;
	rows = (t->ncells + t->ncols - 1) / t->ncols;
	for (c = 0; c < t->ncols; c++) {
		width[c] = strlen(t->head[c]);
		for (r = 0; r < rows; r++)
			if (strlen(cell(t, r * t->ncols + c)) > width[c])
				width[c] = strlen(cell(t, r * t->ncols + c));
	}
	for (r = 0; r <= rows; r++) {
		size_t len = 0;
		char *line = NULL;
		FILE *ls = open_memstream(&line, &len);

		if (!ls)
			return;
		fputs(indent, ls);
		for (c = 0; c < t->ncols; c++) {
			const char *s = r ? cell(t, (r - 1) * t->ncols + c) : t->head[c];
			bool last = c + 1 == t->ncols;
			int w = (int)width[c];

			if (t->right & (1u << c))
				fprintf(ls, "%*s", w, s);
			else if (last)
				fputs(s, ls);
			else
				fprintf(ls, "%-*s", w, s);
			if (!last)
				fputs("  ", ls);
		}
		fclose(ls);
		/* No trailing blanks where the last cells are empty. */
		while (len && line[len - 1] == ' ')
			line[--len] = '\0';
		fprintf(out, "%s\n", line);
		free(line);
	}
}

void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
