// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding of the output of the kernel's tools/mm/page-types (6.12).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagemap.h"
#include "pagetypes.h"

#define BIT64(n)	(UINT64_C(1) << (n))

/*
 * The bits page-types names, in the order of its page_flag_names[] table,
 * which is also the order of the letters it prints; bit 39 has no name
 * there.
 */
static const struct {
	unsigned char bit;
	char code;
} pt_bits[VL_PT_SYMBOLS] = {
	{ 0, 'L' }, { 1, 'E' }, { 2, 'R' }, { 3, 'U' }, { 4, 'D' }, { 5, 'l' },
	{ 6, 'A' }, { 7, 'S' }, { 8, 'W' }, { 9, 'I' }, { 10, 'B' }, { 11, 'M' },
	{ 12, 'a' }, { 13, 's' }, { 14, 'b' }, { 15, 'H' }, { 16, 'T' }, { 17, 'G' },
	{ 18, 'u' }, { 19, 'X' }, { 20, 'n' }, { 21, 'x' }, { 22, 't' }, { 23, 'o' },
	{ 24, 'z' }, { 25, 'i' }, { 26, 'g' },
	{ 32, 'r' }, { 33, 'm' }, { 34, 'd' }, { 35, 'P' }, { 36, 'p' }, { 37, 'O' },
	{ 38, 'h' }, { 40, 'f' }, { 41, 'H' },
	{ VL_PT_ANON_EXCLUSIVE, 'd' }, { VL_PT_READAHEAD, 'I' },
	{ VL_PT_SLUB_FROZEN, 'A' }, { VL_PT_SLUB_DEBUG, 'E' },
	{ VL_PT_FILE, 'F' }, { VL_PT_SWAP, 'w' }, { VL_PT_MMAP_EXCLUSIVE, '1' },
};

int vl_pt_parse_symbols(const char *sym, uint64_t *flags)
{
	uint64_t f = 0;
	size_t i;

	if (!sym || !flags || strlen(sym) != VL_PT_SYMBOLS)
		return -EINVAL;
	for (i = 0; i < VL_PT_SYMBOLS; i++) {
		if (sym[i] == '_')
			continue;
		if (sym[i] != pt_bits[i].code)
			return -EINVAL;
		f |= BIT64(pt_bits[i].bit);
	}
	*flags = f;
	return 0;
}

int vl_pt_parse_line(const char *line, struct vl_pt_page *out)
{
	char sym[VL_PT_SYMBOLS + 2];
	unsigned long long pfn;
	unsigned long vpn;

	if (!line || !out)
		return -EINVAL;
	if (sscanf(line, "%lx\t%llx\t%44s", &vpn, &pfn, sym) != 3)
		return -EINVAL;
	if (vl_pt_parse_symbols(sym, &out->flags))
		return -EINVAL;
	out->vpn = vpn;
	out->pfn = pfn;
	return 0;
}

uint64_t vl_pt_well_known(uint64_t kpf)
{
	const uint64_t compound = BIT64(VL_KPF_COMPOUND_HEAD) | BIT64(VL_KPF_COMPOUND_TAIL);

	kpf &= ~(UINT64_C(0xffff) << 32);
	if ((kpf & compound) && !(kpf & BIT64(VL_KPF_HUGE)))
		kpf &= ~compound;
	return kpf;
}
