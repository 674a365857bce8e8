/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding of the output of the kernel's tools/mm/page-types (6.12), so
 * that what vmlab reports can be compared with it.
 */
#ifndef _VMLAB_PAGETYPES_H
#define _VMLAB_PAGETYPES_H

#include <stdint.h>

/*
 * Bits page-types names beyond the kpageflags ones: overloaded flags it
 * expands in raw mode (-r) and pagemap bits it folds in.
 */
#define VL_PT_ANON_EXCLUSIVE	47
#define VL_PT_READAHEAD		48
#define VL_PT_SLUB_FROZEN	50
#define VL_PT_SLUB_DEBUG	51
#define VL_PT_FILE		61
#define VL_PT_SWAP		62
#define VL_PT_MMAP_EXCLUSIVE	63

/* Length of page-types' symbolic flags: one letter or '_' per named bit. */
#define VL_PT_SYMBOLS		43

/**
 * struct vl_pt_page - one line of "page-types -p PID -L" output
 * @vpn: virtual page number (address / page size)
 * @pfn: page frame number
 * @flags: the flags, as bits of kpageflags and the VL_PT_* bits
 */
struct vl_pt_page {
	unsigned long vpn;
	uint64_t pfn;
	uint64_t flags;
};

/**
 * vl_pt_parse_symbols() - decode page-types' symbolic flags
 * @sym: VL_PT_SYMBOLS characters, e.g. "__RU_lA____Ma_b______..."; each is
 *	'_' or the letter of the bit at that place
 * @flags: receives the bits
 *
 * Return: 0, or -EINVAL when @sym has the wrong length or a letter that is
 * not the one of its place.
 */
int vl_pt_parse_symbols(const char *sym, uint64_t *flags);

/**
 * vl_pt_parse_line() - decode one "voffset\toffset\tflags" line of
 *	"page-types -p PID -L" output (hex numbers, as page-types prints them)
 * @line: the line, with or without its newline
 * @out: receives the page
 *
 * Return: 0, or -EINVAL (e.g. for the header line "voffset\toffset\tflags").
 */
int vl_pt_parse_line(const char *line, struct vl_pt_page *out);

/**
 * vl_pt_well_known() - the flags page-types shows without -r for a
 *	kpageflags word
 * @kpf: the word as read from /proc/kpageflags
 *
 * Like page-types' well_known_flags(): the kernel-hacker bits (32-47) go,
 * and so do compound_head/compound_tail unless the page is hugetlb.
 *
 * Return: the flags.
 */
uint64_t vl_pt_well_known(uint64_t kpf);

#endif /* _VMLAB_PAGETYPES_H */
