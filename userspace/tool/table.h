/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab tool: aligned text tables.
 */
#ifndef _VMLAB_TOOL_TABLE_H
#define _VMLAB_TOOL_TABLE_H

#include <stddef.h>
#include <stdio.h>

/* Most columns of a table. */
#define TABLE_MAX_COLS	12

/**
 * struct table - rows of text cells, printed with aligned columns
 * @ncols: columns
 * @head: column titles
 * @right: bit N set: column N is right-aligned (numbers)
 * @cells: the cells, row after row, each malloc'd
 * @ncells: cells added so far
 * @cap: room in @cells
 */
struct table {
	size_t ncols;
	const char *head[TABLE_MAX_COLS];
	unsigned int right;
	char **cells;
	size_t ncells;
	size_t cap;
};

/* table_init() - a table of @ncols columns titled by the NULL-terminated varargs. */
void table_init(struct table *t, unsigned int right, size_t ncols, ...);

/* table_cell() - add the next cell, row by row, made by printf. */
void table_cell(struct table *t, const char *fmt, ...);

/* table_print() - print the table, each line after @indent; the last column is not padded. */
void table_print(const struct table *t, FILE *out, const char *indent);

/* table_free() - free the cells. */
void table_free(struct table *t);

#endif /* _VMLAB_TOOL_TABLE_H */
