/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab bench: timings and memory of each mapping type against its native twin.
 */
#ifndef _VMLAB_TOOL_BENCH_H
#define _VMLAB_TOOL_BENCH_H

#include <stddef.h>
#include <sys/types.h>

int cmd_bench(int argc, char **argv);
int bench_fill(int fd, off_t off, size_t len);
int bench_thp(void);

#endif /* _VMLAB_TOOL_BENCH_H */
