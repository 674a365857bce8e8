// SPDX-License-Identifier: GPL-2.0
/*
 * Memory touches that always reach memory: relaxed atomic accesses, in a
 * file of their own so that no caller's optimiser sees through them.
 */
#include "touch.h"

unsigned char vl_read_byte(const void *p)
{
	return __atomic_load_n((const unsigned char *)p, __ATOMIC_RELAXED);
}

void vl_write_byte(void *p, unsigned char v)
{
	__atomic_store_n((unsigned char *)p, v, __ATOMIC_RELAXED);
}
