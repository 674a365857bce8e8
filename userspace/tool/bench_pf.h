/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab bench pf: will-it-scale page_fault style throughput of vmlab's
 * fault paths against their native twins.
 */
#ifndef _VMLAB_TOOL_BENCH_PF_H
#define _VMLAB_TOOL_BENCH_PF_H

int cmd_bench_pf(int argc, char **argv);

#endif /* _VMLAB_TOOL_BENCH_PF_H */
