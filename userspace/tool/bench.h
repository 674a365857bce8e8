/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab bench: timings and memory of each mapping type against its native twin.
 */
#ifndef _VMLAB_TOOL_BENCH_H
#define _VMLAB_TOOL_BENCH_H

int cmd_bench(int argc, char **argv);

#endif /* _VMLAB_TOOL_BENCH_H */
