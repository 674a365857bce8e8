/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Touching memory for its side effects: loads and stores the compiler
 * cannot drop or merge, to make page faults happen where a test wants them.
 */
#ifndef _VMLAB_TOUCH_H
#define _VMLAB_TOUCH_H

/**
 * vl_read_byte() - load the byte at @p, faulting its page in for reading
 * @p: the address
 *
 * Return: the byte.
 */
unsigned char vl_read_byte(const void *p);

/**
 * vl_write_byte() - store @v at @p, faulting its page in for writing
 * @p: the address
 * @v: the byte
 */
void vl_write_byte(void *p, unsigned char v);

#endif /* _VMLAB_TOUCH_H */
