/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab's tracepoints: system "vmlab" in tracefs, one event per handler.
 * trace.c makes them (CREATE_TRACE_POINTS); the handlers include this
 * header and call trace_vmlab_*().  Every event prints "name=value"
 * fields; README.md ("Tracepoints") describes each.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vmlab

#if !defined(_VMLAB_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VMLAB_TRACE_H

#include <linux/mm.h>
#include <linux/tracepoint.h>
#include <linux/writeback.h>

#include "vmlab.h"

/*
 * Enum values in the printed formats: each is defined for tracefs, so that
 * the format files show numbers, which trace-cmd and perf can decode.
 */
TRACE_DEFINE_ENUM(VMLAB_PRIVATE_COW);
TRACE_DEFINE_ENUM(VMLAB_SHARED);
TRACE_DEFINE_ENUM(VMLAB_PRIVATE_ANON);
TRACE_DEFINE_ENUM(VMLAB_SHARED_ANON);
TRACE_DEFINE_ENUM(VMLAB_HUGE);

/* The mapping type of an event's record, by name. */
#define VMLAB_TRACE_TYPE						\
	(__print_symbolic(__entry->type,				\
			  { VMLAB_PRIVATE_COW,	"private_cow" },	\
			  { VMLAB_SHARED,	"shared" },		\
			  { VMLAB_PRIVATE_ANON,	"private_anon" },	\
			  { VMLAB_SHARED_ANON,	"shared_anon" },	\
			  { VMLAB_HUGE,		"huge" }))

TRACE_DEFINE_ENUM(VMLAB_HUGE_PMD);
TRACE_DEFINE_ENUM(VMLAB_HUGE_FOLIO);
TRACE_DEFINE_ENUM(VMLAB_HUGE_PUD);
TRACE_DEFINE_ENUM(VMLAB_HUGE_UNCOVERED);
TRACE_DEFINE_ENUM(VMLAB_HUGE_MISALIGNED);
TRACE_DEFINE_ENUM(VMLAB_HUGE_WRITE_PROTECT);
TRACE_DEFINE_ENUM(VMLAB_HUGE_PTE_TABLE);
TRACE_DEFINE_ENUM(VMLAB_HUGE_INJECTED);
TRACE_DEFINE_ENUM(VMLAB_HUGE_NO_PAGE);
TRACE_DEFINE_ENUM(VMLAB_HUGE_DISABLED);
TRACE_DEFINE_ENUM(VMLAB_HUGE_BEYOND);
TRACE_DEFINE_ENUM(VMLAB_HUGE_NOMEM);
TRACE_DEFINE_ENUM(VMLAB_HUGE_CHARGE);
TRACE_DEFINE_ENUM(VMLAB_HUGE_RACED);

/* What became of a 2 MiB fault (enum vmlab_huge_how), by name. */
#define VMLAB_TRACE_HOW							\
	(__print_symbolic(__entry->how,					\
			  { VMLAB_HUGE_PMD,		"pmd" },	\
			  { VMLAB_HUGE_FOLIO,		"folio" },	\
			  { VMLAB_HUGE_PUD,		"pud" },	\
			  { VMLAB_HUGE_UNCOVERED,	"uncovered" },	\
			  { VMLAB_HUGE_MISALIGNED,	"misaligned" },	\
			  { VMLAB_HUGE_WRITE_PROTECT,	"write_protect" }, \
			  { VMLAB_HUGE_PTE_TABLE,	"pte_table" },	\
			  { VMLAB_HUGE_INJECTED,	"injected" },	\
			  { VMLAB_HUGE_NO_PAGE,		"no_page" },	\
			  { VMLAB_HUGE_DISABLED,	"disabled" },	\
			  { VMLAB_HUGE_BEYOND,		"beyond_store" }, \
			  { VMLAB_HUGE_NOMEM,		"nomem" },	\
			  { VMLAB_HUGE_CHARGE,		"charge" },	\
			  { VMLAB_HUGE_RACED,		"raced" }))

/*
 * The vm_fault_t bits a handler of vmlab can return, by the names of enum
 * vm_fault_reason; a result of 0 prints as 0.  Their values are written
 * out, so that the format files show numbers (a vm_fault_t enumerator
 * cannot go through TRACE_DEFINE_ENUM: sparse restricts its type);
 * trace.c checks each against the kernel's.
 */
#define VMLAB_VMF_OOM		0x000001
#define VMLAB_VMF_SIGBUS	0x000002
#define VMLAB_VMF_MAJOR		0x000004
#define VMLAB_VMF_HWPOISON	0x000010
#define VMLAB_VMF_SIGSEGV	0x000040
#define VMLAB_VMF_NOPAGE	0x000100
#define VMLAB_VMF_LOCKED	0x000200
#define VMLAB_VMF_RETRY		0x000400
#define VMLAB_VMF_FALLBACK	0x000800
#define VMLAB_VMF_DONE_COW	0x001000
#define VMLAB_VMF_COMPLETED	0x004000

/* The vm_fault_t result of an event's record, by names. */
#define VMLAB_TRACE_RESULT						\
	(__entry->result ?						\
	 __print_flags(__entry->result, "|",				\
		       { VMLAB_VMF_OOM,		"OOM" },		\
		       { VMLAB_VMF_SIGBUS,	"SIGBUS" },		\
		       { VMLAB_VMF_MAJOR,	"MAJOR" },		\
		       { VMLAB_VMF_HWPOISON,	"HWPOISON" },		\
		       { VMLAB_VMF_SIGSEGV,	"SIGSEGV" },		\
		       { VMLAB_VMF_NOPAGE,	"NOPAGE" },		\
		       { VMLAB_VMF_LOCKED,	"LOCKED" },		\
		       { VMLAB_VMF_RETRY,	"RETRY" },		\
		       { VMLAB_VMF_FALLBACK,	"FALLBACK" },		\
		       { VMLAB_VMF_DONE_COW,	"DONE_COW" },		\
		       { VMLAB_VMF_COMPLETED,	"COMPLETED" }) : "0")

TRACE_DEFINE_ENUM(WB_SYNC_NONE);
TRACE_DEFINE_ENUM(WB_SYNC_ALL);

/*
 * vmlab_fault - a ->fault call: a store, anonymous or huge mapping's 4 KiB
 * entry (the huge kind's when ->huge_fault fell back, or on a kernel
 * without THP)
 */
TRACE_EVENT(vmlab_fault,
	    TP_PROTO(const struct vm_fault *vmf, vm_fault_t result),
	    TP_ARGS(vmf, result),
	    TP_STRUCT__entry(__field(unsigned long, address)
			     __field(unsigned long, pgoff)
			     __field(unsigned int, result)
			     __field(u8, type)
			     __field(u8, write)),
	    TP_fast_assign(__entry->address = vmf->address;
			   __entry->pgoff = vmf->pgoff;
			   __entry->result = (__force unsigned int)result;
			   __entry->type = vmlab_vma_type(vmf->vma);
			   __entry->write = !!(vmf->flags & FAULT_FLAG_WRITE);),
	    TP_printk("type=%s address=0x%lx pgoff=0x%lx write=%u result=%s",
		      VMLAB_TRACE_TYPE, __entry->address, __entry->pgoff, __entry->write,
		      VMLAB_TRACE_RESULT)
);

/*
 * vmlab_map_pages - a ->map_pages call (fault-around): the fault's address,
 * the range of file pages offered, how many entries of it became present
 * while it ran (512 for a PMD), and its result
 */
TRACE_EVENT(vmlab_map_pages,
	    TP_PROTO(const struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff,
		     int mapped, vm_fault_t result),
	    TP_ARGS(vmf, start_pgoff, end_pgoff, mapped, result),
	    TP_STRUCT__entry(__field(unsigned long, address)
			     __field(unsigned long, start_pgoff)
			     __field(unsigned long, end_pgoff)
			     __field(int, mapped)
			     __field(unsigned int, result)
			     __field(u8, type)),
	    TP_fast_assign(__entry->address = vmf->address;
			   __entry->start_pgoff = start_pgoff;
			   __entry->end_pgoff = end_pgoff;
			   __entry->mapped = mapped;
			   __entry->result = (__force unsigned int)result;
			   __entry->type = vmlab_vma_type(vmf->vma);),
	    TP_printk("type=%s address=0x%lx start_pgoff=0x%lx end_pgoff=0x%lx mapped=%d result=%s",
		      VMLAB_TRACE_TYPE, __entry->address, __entry->start_pgoff,
		      __entry->end_pgoff, __entry->mapped, VMLAB_TRACE_RESULT)
);

/*
 * vmlab_page_mkwrite - a ->page_mkwrite call: the first write to a clean,
 * write-protected page of a shared store mapping (backing=); whether it
 * made the page dirty (a clean page), and its result
 */
TRACE_EVENT(vmlab_page_mkwrite,
	    TP_PROTO(const struct vm_fault *vmf, vm_fault_t result, bool dirtied),
	    TP_ARGS(vmf, result, dirtied),
	    TP_STRUCT__entry(__field(unsigned long, address)
			     __field(unsigned long, pgoff)
			     __field(unsigned int, result)
			     __field(u8, type)
			     __field(u8, dirtied)),
	    TP_fast_assign(__entry->address = vmf->address;
			   __entry->pgoff = vmf->pgoff;
			   __entry->result = (__force unsigned int)result;
			   __entry->type = vmlab_vma_type(vmf->vma);
			   __entry->dirtied = dirtied;),
	    TP_printk("type=%s address=0x%lx pgoff=0x%lx dirtied=%u result=%s",
		      VMLAB_TRACE_TYPE, __entry->address, __entry->pgoff, __entry->dirtied,
		      VMLAB_TRACE_RESULT)
);

/*
 * vmlab_writeback - one run of the store's ->writepages: the range of
 * file pages asked for (cyclic: the flusher's, from where it stopped),
 * the sync mode, base pages written to the backing file, page-table
 * entries write-protected, folios that failed, and the run's result
 */
TRACE_EVENT(vmlab_writeback,
	    TP_PROTO(const struct writeback_control *wbc, unsigned long written,
		     unsigned long wrprotected, unsigned long errors, int ret),
	    TP_ARGS(wbc, written, wrprotected, errors, ret),
	    TP_STRUCT__entry(__field(unsigned long, start_pgoff)
			     __field(unsigned long, end_pgoff)
			     __field(unsigned long, written)
			     __field(unsigned long, wrprotected)
			     __field(unsigned long, errors)
			     __field(int, ret)
			     __field(u8, sync_mode)
			     __field(u8, cyclic)),
	    TP_fast_assign(__entry->start_pgoff =
				   wbc->range_cyclic ? 0 : wbc->range_start >> PAGE_SHIFT;
			   __entry->end_pgoff =
				   wbc->range_cyclic ? ULONG_MAX : wbc->range_end >> PAGE_SHIFT;
			   __entry->written = written;
			   __entry->wrprotected = wrprotected;
			   __entry->errors = errors;
			   __entry->ret = ret;
			   __entry->sync_mode = wbc->sync_mode;
			   __entry->cyclic = wbc->range_cyclic;),
	    TP_printk("start_pgoff=0x%lx end_pgoff=0x%lx cyclic=%u sync=%s written=%lu wrprotected=%lu errors=%lu ret=%d",
		      __entry->start_pgoff, __entry->end_pgoff, __entry->cyclic,
		      __print_symbolic(__entry->sync_mode,
				       { WB_SYNC_NONE, "none" }, { WB_SYNC_ALL, "all" }),
		      __entry->written, __entry->wrprotected, __entry->errors, __entry->ret)
);

/*
 * vmlab_huge_fault - a fault that could map 2 MiB at once: the huge kind's
 * ->huge_fault (the order the core asks for), or the first fault in a
 * 2 MiB of the store with backing= under a THP policy that gives one (the
 * order of the folio tried); its result, and how it went (enum
 * vmlab_huge_how): mapped, made, or which fallback
 */
TRACE_EVENT(vmlab_huge_fault,
	    TP_PROTO(const struct vm_fault *vmf, unsigned int order, vm_fault_t result,
		     enum vmlab_huge_how how),
	    TP_ARGS(vmf, order, result, how),
	    TP_STRUCT__entry(__field(unsigned long, address)
			     __field(unsigned long, pgoff)
			     __field(unsigned int, order)
			     __field(unsigned int, result)
			     __field(u8, type)
			     __field(u8, write)
			     __field(u8, how)),
	    TP_fast_assign(__entry->address = vmf->address;
			   __entry->pgoff = vmf->pgoff;
			   __entry->order = order;
			   __entry->result = (__force unsigned int)result;
			   __entry->type = vmlab_vma_type(vmf->vma);
			   __entry->write = !!(vmf->flags & FAULT_FLAG_WRITE);
			   __entry->how = how;),
	    TP_printk("type=%s address=0x%lx pgoff=0x%lx write=%u order=%u result=%s how=%s",
		      VMLAB_TRACE_TYPE, __entry->address, __entry->pgoff, __entry->write,
		      __entry->order, VMLAB_TRACE_RESULT, VMLAB_TRACE_HOW)
);

/*
 * vmlab_huge_reserve - mmap(2) of the huge kind taking the pool pages of
 * its range: the state (debugfs huge's id), the first 2 MiB page of the
 * file, how many were asked for, how many of them (up to a failure) the
 * state held already, and the result (0 or -errno; on failure the pages
 * taken for it are given back)
 */
TRACE_EVENT(vmlab_huge_reserve,
	    TP_PROTO(u64 state, pgoff_t first, unsigned long requested, unsigned long held,
		     int ret),
	    TP_ARGS(state, first, requested, held, ret),
	    TP_STRUCT__entry(__field(u64, state)
			     __field(unsigned long, first)
			     __field(unsigned long, requested)
			     __field(unsigned long, held)
			     __field(int, ret)),
	    TP_fast_assign(__entry->state = state;
			   __entry->first = first;
			   __entry->requested = requested;
			   __entry->held = held;
			   __entry->ret = ret;),
	    TP_printk("state=%llu first=%lu requested=%lu held=%lu ret=%d",
		      __entry->state, __entry->first, __entry->requested, __entry->held,
		      __entry->ret)
);

#endif /* _VMLAB_TRACE_H */

/* An out-of-tree module's events: this directory (Kbuild adds it to the include path). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE vmlab_trace
#include <trace/define_trace.h>
