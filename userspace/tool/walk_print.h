/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab tool: page-table entries from the walker as a table, as JSON, and
 * as the changes between two walks of the same range (vmlab walk, the tour).
 */
#ifndef _VMLAB_TOOL_WALK_PRINT_H
#define _VMLAB_TOOL_WALK_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "walk.h"

/* What the letters of the bits column mean, for the legend of a table. */
#define WALK_LEGEND \
	"bits: P present (n: PROT_NONE), W writable, U user, t write-through,\n" \
	"      c cache-disabled, A accessed, D dirty, H huge (PSE: a leaf above the\n" \
	"      PTEs), G global, T PAT, N no-execute; '-' when clear\n" \
	"sw:   the kernel's software bits (special, soft_dirty, devmap, uffd_wp),\n" \
	"      kdirty (dirty to the kernel, its D bit saved in a write-protected\n" \
	"      entry), exclusive (a swap entry of an exclusive page), folded\n"

/**
 * walk_shown_bits() - the bits of an entry worth showing and comparing
 * @e: the entry
 *
 * The hardware and software bits; VMLAB_E_LEAF (the level tells) and
 * VMLAB_E_WRITE (the same as RW on x86-64) go, and VMLAB_E_KDIRTY stays
 * only where it says more than VMLAB_E_DIRTY (a dirty entry that was
 * write-protected: the kernel keeps its dirtiness in a software bit).
 *
 * Return: VMLAB_E_* bits.
 */
uint64_t walk_shown_bits(const struct vmlab_walk_entry *e);

/* The software bits walk_shown_bits() keeps, shown by name in tables. */
#define WALK_SW_BITS	(VMLAB_E_SPECIAL | VMLAB_E_SOFT_DIRTY | VMLAB_E_DEVMAP | \
			 VMLAB_E_UFFD_WP | VMLAB_E_KDIRTY | VMLAB_E_EXCLUSIVE | \
			 VMLAB_E_FOLDED)

/**
 * walk_run() - how many entries from @i fold into one line of a table
 * @e: the entries
 * @n: their number
 * @i: the first
 * @levels: paging levels
 *
 * Entries fold when they are leaves (or non-present entries) of one
 * level, translate consecutive addresses, have the same bits and the same
 * kind of page, and their PFNs (swap offsets) are either all one or
 * consecutive.
 *
 * Return: 1 or more.
 */
size_t walk_run(const struct vmlab_walk_entry *e, size_t n, size_t i, unsigned int levels);

/**
 * walk_table_print() - entries as a table, one line per entry or run
 * @e: the entries, in the walker's order
 * @n: their number
 * @levels: paging levels
 * @out: the stream
 * @indent: put before each line
 */
void walk_table_print(const struct vmlab_walk_entry *e, size_t n, unsigned int levels,
		      FILE *out, const char *indent);

/**
 * walk_entry_json() - one entry as a JSON object with every field
 * @w: the writer, inside an array
 * @e: the entry
 */
void walk_entry_json(struct vl_jw *w, const struct vmlab_walk_entry *e);

/**
 * typedef walk_line_fn - receives one line of text
 * @arg: the caller's argument
 * @line: the line, without a newline
 */
typedef void (*walk_line_fn)(void *arg, const char *line);

/**
 * walk_diff() - what changed between two walks of one range
 * @old: the entries before (NULL with @nold 0: nothing was mapped)
 * @nold: their number
 * @cur: the entries after
 * @ncur: their number
 * @levels: paging levels
 * @copies: @cur are another process's copies of @old's tables (a fork
 *	child's): tables at other PFNs are no change
 * @line: called for each change, in address order, e.g.
 *	"PTE 7f1c00000000: +present +user +accessed +special; zero page, pfn 0x3a05",
 *	"PTE 7f1c00001000 x3: +rw +dirty; anon, pfns 0x1200-0x1202",
 *	"PTE 7f1c00004000: +rw -special; zero page, pfn 0x3a05 -> anon, pfn 0x1203",
 *	"PTE 7f1c00002000: gone; was anon, pfn 0x1201"
 *	(consecutive entries that changed alike fold into one line)
 * @arg: passed to @line
 *
 * Tables' accessed and dirty bits, which the CPU sets as it walks, are not
 * compared.
 *
 * Return: the entries that changed.
 */
size_t walk_diff(const struct vmlab_walk_entry *old, size_t nold,
		 const struct vmlab_walk_entry *cur, size_t ncur, unsigned int levels,
		 bool copies, walk_line_fn line, void *arg);

/**
 * walk_list() - entries as lines in walk_diff()'s format, without its signs
 * @e: the entries
 * @n: their number
 * @levels: paging levels
 * @line: called for each entry or run, e.g.
 *	"PTE 7f1c00000000 x4: present user accessed special; zero page, pfn 0x3a05"
 * @arg: passed to @line
 */
void walk_list(const struct vmlab_walk_entry *e, size_t n, unsigned int levels,
	       walk_line_fn line, void *arg);

/**
 * walk_error_text() - what an error of the walker means, for a message
 * @err: a negative errno from vl_walk()
 *
 * Return: e.g. "Operation not permitted: reading page tables needs root
 * (CAP_SYS_ADMIN)".
 */
const char *walk_error_text(int err);

#endif /* _VMLAB_TOOL_WALK_PRINT_H */
