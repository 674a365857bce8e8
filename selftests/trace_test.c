// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: the tracepoints (system "vmlab", module/vmlab_trace.h).
 * Each test makes a tracefs instance of its own (instances/NAME: nothing
 * else that traces is disturbed), enables the vmlab events there for its
 * own process alone (a common_pid filter), maps one kind, and takes a
 * scripted sequence of steps: reads and writes of given pages, fsync(2),
 * a second mapping of the same pages.  After each step it reads the
 * instance's buffer and checks that the step produced exactly the expected
 * events, every field compared (type, address, pgoff, write, result, the
 * pages of a ->map_pages range and how many it mapped, write-back's pages
 * and write-protected entries, the huge kind's reservation and its 2 MiB
 * faults and fallbacks); a failure prints both lists.
 *
 * What a kernel does differently is part of the expectation, not a skip:
 * kernels with per-VMA locks (6.4 on; every Debian x86-64 one, where the
 * option follows the architecture) call the ->map_pages of private
 * anonymous and huge mappings, which maps nothing; without THP (PREEMPT_RT)
 * the huge kind has no ->huge_fault and maps 4 KiB entries.
 *
 * Where a step's ->fault and ->map_pages events depend on timing they are
 * not compared, and the step says so: the first fault in a 2 MiB of the
 * store with backing= and THP, whose folio is read by a worker, may be
 * retried (VM_FAULT_RETRY) or not, and the retry may find it mapped by
 * fault-around.  The other steps meet only pages that are in memory, or
 * none that must be read.
 *
 * toggles enables and disables the events TOGGLES times, each toggle
 * patching the module's tracepoint sites, and checks the events of each
 * enabled window.  The toggles are made while no vmlab handler runs: in a
 * TCG guest a toggle while another CPU ran one crashed the kernel ("Oops:
 * int3" at the site being patched, in vmlab_map_nothing), as toggling a
 * hot core tracepoint does (sched_switch, which an instance that records
 * command names hooks at each enable: the instances here do not); text
 * patching (text_poke_bp()) is an emulation hazard there, not one of
 * vmlab.  No test here faults in vmlab while it toggles, and no other
 * process uses vmlab under the suite.
 *
 * Needs root, debugfs, tracefs and vmlab loaded; the variants that load
 * vmlab with parameters (backing=, thp=, or a fresh store) run only in the
 * vm-run guests (VMLAB_KO set) and load it again with none when they end.
 * The huge variants need free 2 MiB pages in the hugetlb pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "vmlab_ksft.h"

#include "debugfs.h"
#include "device.h"
#include "kmodule.h"
#include "procfs.h"

#define PS		4096UL
#define HPAGE		(2UL << 20)
#define TRACEFS		"/sys/kernel/tracing"
#define TRACEFS_OLD	"/sys/kernel/debug/tracing"
#define FAULT_AROUND	"/sys/kernel/debug/fault_around_bytes"
#define HUGE_STATES	VMLAB_DEBUGFS_PATH "/huge"
#define BACKING_PATH	"/tmp/vmlab-trace-backing"

/* Store pages of the store variants: 32 MiB into a fresh store. */
#define STORE_OFF	(32UL << 20)

#define MAX_EVENTS	8
#define MAX_STEPS	8
#define EVENT_LEN	256

/* Enable/disable cycles of the toggles test. */
#define TOGGLES		200

/* Attempts of a sequence that the kernel's flusher may disturb. */
#define ATTEMPTS	3

enum op {
	OP_END,
	OP_READ,	/* read the first byte of a page */
	OP_WRITE,	/* write it */
	OP_SYNC,	/* fsync(2) of the device */
	OP_READ2,	/* read a page of a second mapping of the same range */
};

/*
 * A step and the events it must produce, as they print in the trace,
 * after the event name and ": ".  Placeholders: %A the address of the
 * step's page, %P its file page (pgoff), %S and %E the ->map_pages range
 * a read fault of it gets (fault-around), %T the mapping type, %I the
 * huge state's id, %N the 2 MiB pages the mapping asks for.  A prefix
 * keeps an event to some kernels: "vl|" with per-VMA locks, "thp|" with
 * THP (PMD maps of files), "nothp|" without.
 */
struct step {
	enum op op;
	unsigned int page;
	bool faults_vary;	/* vmlab_fault and vmlab_map_pages events not compared */
	const char *expect[MAX_EVENTS];
};

FIXTURE(trace)
{
	int fd;
	char inst[128];		/* the tracefs instance, or "" */
	char *area;		/* address space the mappings are placed in */
	size_t area_len;
	char *map;
	char *map2;
	size_t len;
	long long huge_id;
	unsigned long huge_pages;
};

FIXTURE_VARIANT(trace)
{
	unsigned int kind;
	bool shared;
	bool reload;		/* load vmlab again with @args (a fresh store) */
	const char *args;
	size_t npages;		/* pages mapped; 0: one more 2 MiB than the pool has free */
	unsigned long skew;	/* bytes past a 2 MiB boundary the mapping starts at */
	off_t off;		/* file offset of the mapping */
	unsigned int cached[2];	/* pages [first, last + 1) written before, when last > first */
	bool hugepage;		/* MADV_HUGEPAGE */
	bool need_thp;
	bool mmap_fails;	/* with ENOMEM */
	const char *mmap_expect[MAX_EVENTS];
	struct step steps[MAX_STEPS];
};

/* ---- the kinds, and a read and a write of each ---- */

/* A read maps the zero page; writing it is the core's copy; writing a new page, ->fault. */
FIXTURE_VARIANT_ADD(trace, private_anon)
{
	.kind = VMLAB_KIND_ANON, .shared = false, .npages = 4,
	.steps = {
		{ OP_READ, 0, false, {
			"vl|vmlab_map_pages: type=%T address=%A start_pgoff=%S end_pgoff=%E mapped=0 result=0",
			"vmlab_fault: type=%T address=%A pgoff=%P write=0 result=NOPAGE",
		} },
		{ OP_WRITE, 0, false, { NULL } },
		{ OP_WRITE, 1, false, {
			"vmlab_fault: type=%T address=%A pgoff=%P write=1 result=LOCKED",
		} },
	},
};

/* tmpfs pages: a read maps a writable page, so its write is no fault. */
FIXTURE_VARIANT_ADD(trace, shared_anon)
{
	.kind = VMLAB_KIND_ANON, .shared = true, .npages = 4,
	.steps = {
		{ OP_READ, 0, false, {
			"vmlab_map_pages: type=%T address=%A start_pgoff=%S end_pgoff=%E mapped=0 result=0",
			"vmlab_fault: type=%T address=%A pgoff=%P write=0 result=LOCKED",
		} },
		{ OP_WRITE, 0, false, { NULL } },
		{ OP_WRITE, 1, false, {
			"vmlab_fault: type=%T address=%A pgoff=%P write=1 result=LOCKED",
		} },
		{ OP_READ, 2, false, {
			"vmlab_map_pages: type=%T address=%A start_pgoff=%S end_pgoff=%E mapped=0 result=0",
			"vmlab_fault: type=%T address=%A pgoff=%P write=0 result=LOCKED",
		} },
	},
};

/*
 * The store without backing= (a fresh one), pages 2 and 3 in memory:
 * fault-around maps them, the read of page 0 takes ->fault; a write to a
 * mapped page is the core's copy, to a new one ->fault (a copy too).
 */
FIXTURE_VARIANT_ADD(trace, store_private)
{
	.kind = VMLAB_KIND_STORE, .shared = false, .reload = true, .args = "",
	.npages = 4, .off = STORE_OFF, .cached = { 2, 4 },
	.steps = {
		{ OP_READ, 0, false, {
			"vmlab_map_pages: type=%T address=%A start_pgoff=%S end_pgoff=%E mapped=2 result=0",
			"vmlab_fault: type=%T address=%A pgoff=%P write=0 result=LOCKED",
		} },
		{ OP_WRITE, 0, false, { NULL } },
		{ OP_WRITE, 1, false, {
			"vmlab_fault: type=%T address=%A pgoff=%P write=1 result=LOCKED",
		} },
		{ OP_READ, 2, false, { NULL } },
	},
};

/* The same, shared: no write-notify and nothing to write back (tmpfs). */
FIXTURE_VARIANT_ADD(trace, store_shared_tmpfs)
{
	.kind = VMLAB_KIND_STORE, .shared = true, .reload = true, .args = "",
	.npages = 4, .off = STORE_OFF, .cached = { 2, 4 },
	.steps = {
		{ OP_READ, 0, false, {
			"vmlab_map_pages: type=%T address=%A start_pgoff=%S end_pgoff=%E mapped=2 result=0",
			"vmlab_fault: type=%T address=%A pgoff=%P write=0 result=LOCKED",
		} },
		{ OP_WRITE, 0, false, { NULL } },
		{ OP_WRITE, 1, false, {
			"vmlab_fault: type=%T address=%A pgoff=%P write=1 result=LOCKED",
		} },
		{ OP_SYNC, 0, false, { NULL } },
	},
};

/*
 * The store with backing=, its 4 pages in memory and clean: fault-around
 * maps them all, read-only; each first write dirties a page through
 * ->page_mkwrite; write-back writes the dirty pages and write-protects
 * their entries, so the next write is ->page_mkwrite again.
 */
FIXTURE_VARIANT_ADD(trace, store_shared)
{
	.kind = VMLAB_KIND_STORE, .shared = true, .reload = true,
	.args = "backing=" BACKING_PATH,
	.npages = 4, .off = STORE_OFF, .cached = { 0, 4 },
	.steps = {
		{ OP_READ, 0, false, {
			"vmlab_map_pages: type=%T address=%A start_pgoff=%S end_pgoff=%E mapped=4 result=NOPAGE",
		} },
		{ OP_WRITE, 0, false, {
			"vmlab_page_mkwrite: type=%T address=%A pgoff=%P dirtied=1 result=LOCKED",
		} },
		{ OP_SYNC, 0, false, {
			"vmlab_writeback: start_pgoff=0x0 end_pgoff=0x7ffffffffffff cyclic=0 sync=all written=1 wrprotected=1 errors=0 ret=0",
		} },
		{ OP_WRITE, 0, false, {
			"vmlab_page_mkwrite: type=%T address=%A pgoff=%P dirtied=1 result=LOCKED",
		} },
		{ OP_WRITE, 1, false, {
			"vmlab_page_mkwrite: type=%T address=%A pgoff=%P dirtied=1 result=LOCKED",
		} },
		{ OP_SYNC, 0, false, {
			"vmlab_writeback: start_pgoff=0x0 end_pgoff=0x7ffffffffffff cyclic=0 sync=all written=2 wrprotected=2 errors=0 ret=0",
		} },
	},
};

/*
 * The store with backing= and thp=always: the first fault in an aligned
 * 2 MiB makes its folio (the read of it is a worker's, so the fault's
 * own events vary); a second mapping's fault-around maps it with a PMD.
 */
FIXTURE_VARIANT_ADD(trace, store_thp)
{
	.kind = VMLAB_KIND_STORE, .shared = true, .reload = true,
	.args = "backing=" BACKING_PATH " thp=always",
	.npages = 512, .off = STORE_OFF, .hugepage = true, .need_thp = true,
	.steps = {
		{ OP_READ, 0, true, {
			"vmlab_huge_fault: type=%T address=%A pgoff=%P write=0 order=9 result=MAJOR how=folio",
		} },
		{ OP_READ2, 0, false, {
			"vmlab_map_pages: type=%T address=%A start_pgoff=%S end_pgoff=%E mapped=512 result=NOPAGE",
		} },
	},
};

/*
 * The huge kind: mmap takes a pool page; a read maps the 2 MiB with one
 * PMD (without THP: a 4 KiB entry per fault), writable.
 */
FIXTURE_VARIANT_ADD(trace, huge)
{
	.kind = VMLAB_KIND_HUGE, .shared = true, .npages = 512,
	.mmap_expect = {
		"vmlab_huge_reserve: state=%I first=0 requested=1 held=0 ret=0",
	},
	.steps = {
		{ OP_READ, 0, false, {
			"thp|vmlab_huge_fault: type=%T address=%A pgoff=%P write=0 order=9 result=NOPAGE how=pmd",
			"nothp|vl|vmlab_map_pages: type=%T address=%A start_pgoff=%S end_pgoff=%E mapped=0 result=0",
			"nothp|vmlab_fault: type=%T address=%A pgoff=%P write=0 result=NOPAGE" } },
		{ OP_WRITE, 0, false, { NULL } },
		{ OP_READ, 300, false, {
			"nothp|vl|vmlab_map_pages: type=%T address=%A start_pgoff=%S end_pgoff=%E mapped=0 result=0",
			"nothp|vmlab_fault: type=%T address=%A pgoff=%P write=0 result=NOPAGE" } },
	},
};

/* 4 KiB past a 2 MiB boundary no PMD fits: ->huge_fault falls back, once per table. */
FIXTURE_VARIANT_ADD(trace, huge_misaligned)
{
	.kind = VMLAB_KIND_HUGE, .shared = true, .npages = 512, .skew = PS,
	.mmap_expect = {
		"vmlab_huge_reserve: state=%I first=0 requested=1 held=0 ret=0",
	},
	.steps = {
		{ OP_READ, 0, false, {
			"thp|vmlab_huge_fault: type=%T address=%A pgoff=%P write=0 order=9 result=FALLBACK how=misaligned",
			"vl|vmlab_map_pages: type=%T address=%A start_pgoff=%S end_pgoff=%E mapped=0 result=0",
			"vmlab_fault: type=%T address=%A pgoff=%P write=0 result=NOPAGE",
		} },
		{ OP_READ, 1, false, {
			"vl|vmlab_map_pages: type=%T address=%A start_pgoff=%S end_pgoff=%E mapped=0 result=0",
			"vmlab_fault: type=%T address=%A pgoff=%P write=0 result=NOPAGE",
		} },
	},
};

/* More 2 MiB pages than the pool has: the reservation fails whole. */
FIXTURE_VARIANT_ADD(trace, huge_reserve_fails)
{
	.kind = VMLAB_KIND_HUGE, .shared = true, .npages = 0, .mmap_fails = true,
	.mmap_expect = {
		"vmlab_huge_reserve: state=%I first=0 requested=%N held=0 ret=-12",
	},
};

/* ---- tracefs ---- */

/* The tracefs mount: where it usually is, mounted there when it is not. */
static const char *tracefs(void)
{
	if (!access(TRACEFS "/instances", F_OK))
		return TRACEFS;
	if (!mount("nodev", TRACEFS, "tracefs", 0, NULL) && !access(TRACEFS "/instances", F_OK))
		return TRACEFS;
	if (!access(TRACEFS_OLD "/instances", F_OK))
		return TRACEFS_OLD;
	return NULL;
}

/* Write @text to @file of instance @inst: 0 or -errno. */
static int inst_write(const char *inst, const char *file, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", inst, file);
	return vl_write_file(path, text);
}

/* Empty the instance's buffer: 0 or -errno. */
static int inst_clear(const char *inst)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/trace", inst);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/*
 * Make instance vmlab_trace_PID with the vmlab events enabled for process
 * @pid alone; its path goes to @inst.  The instance records no command
 * names: with record-cmd on, enabling an event hooks the scheduler's
 * sched_switch and sched_wakeup tracepoints too, and their toggling, text
 * patching of the hottest sites of the kernel, is what crashes TCG guests
 * (see the top of this file).  An instance takes that option from the top
 * level when it is made, and has no file for it: it is off at the top
 * level for the mkdir alone (which changes nothing that traces there:
 * the option acts when an event is enabled).  0 or -errno.
 */
static int inst_make(char *inst, size_t len, pid_t pid)
{
	const char *t = tracefs();
	char filter[64], opt[128], *was = NULL;
	int ret;

	if (!t)
		return -ENOENT;
	snprintf(opt, sizeof(opt), "%s/options/record-cmd", t);
	ret = vl_read_text(opt, &was);
	if (ret)
		return ret;
	ret = vl_write_file(opt, "0");
	snprintf(inst, len, "%s/instances/vmlab_trace_%d", t, (int)pid);
	if (!ret && mkdir(inst, 0700) && errno != EEXIST)
		ret = -errno;
	if (was[0] == '1')
		vl_write_file(opt, "1");
	free(was);
	if (ret)
		return ret;
	snprintf(filter, sizeof(filter), "common_pid == %d", (int)pid);
	ret = inst_write(inst, "events/vmlab/filter", filter);
	if (!ret)
		ret = inst_write(inst, "events/vmlab/enable", "1");
	return ret;
}

static void inst_remove(char *inst)
{
	if (!*inst)
		return;
	inst_write(inst, "events/vmlab/enable", "0");
	rmdir(inst);
	*inst = '\0';
}

/*
 * The vmlab events in the instance's buffer, each as it prints after the
 * task, CPU and time ("vmlab_fault: type=..."), into @ev; their number,
 * or -errno (-EOVERFLOW for more than @max, or a line that is no vmlab
 * event, such as a report of lost events).
 */
static int inst_events(const char *inst, char ev[][EVENT_LEN], int max)
{
	char path[256], *text = NULL, *line, *save = NULL;
	size_t cap = 0, used = 0;
	int fd, n = 0;
	ssize_t r;

	snprintf(path, sizeof(path), "%s/trace", inst);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		if (cap - used < 4096) {
			char *p = realloc(text, cap + 65536);

			if (!p) {
				n = -ENOMEM;
				goto out;
			}
			text = p;
			cap += 65536;
		}
		r = read(fd, text + used, cap - used - 1);
		if (r < 0) {
			n = -errno;
			goto out;
		}
		used += r;
	} while (r > 0);
	text[used] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *e;

		if (line[0] == '#')
			continue;
		e = strstr(line, ": vmlab_");
		if (!e || n == max) {
			n = -EOVERFLOW;
			goto out;
		}
		snprintf(ev[n++], EVENT_LEN, "%s", e + 2);
	}
out:
	close(fd);
	free(text);
	return n;
}

/* ---- what the kernel does ---- */

/* Per-VMA locks: 6.4 and later (the option is not optional on x86-64 SMP). */
static bool have_vma_locks(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 4);
}

static bool have_thp(void)
{
	return !access("/sys/kernel/mm/transparent_hugepage", F_OK);
}

static long long meminfo(const char *field)
{
	long long v = -1;

	if (vl_meminfo_field(field, &v))
		return -1;
	return v;
}

/* fault_around_bytes in pages, or -1. */
static long fault_around_pages(void)
{
	char *text = NULL;
	long v = -1;

	if (!vl_read_text(FAULT_AROUND, &text))
		v = strtol(text, NULL, 0) / (long)PS;
	free(text);
	return v;
}

/*
 * The ->map_pages range of a read fault at @addr in a VMA of @vpages pages
 * from @vstart, file page @vpgoff: fault_around_bytes' aligned window
 * around the fault, within the VMA and its page table (mm/memory.c's
 * do_fault_around(); 6.1 computes the same range another way).
 */
static void fault_around(unsigned long addr, unsigned long vstart, unsigned long vpgoff,
			 unsigned long vpages, long nr, unsigned long *start, unsigned long *end)
{
	unsigned long pte_off = (addr >> 12) & 511, vma_off = (addr - vstart) >> 12;
	unsigned long pgoff = vpgoff + vma_off;
	unsigned long from, to;

	from = pte_off - (pte_off < vma_off ? pte_off : vma_off);
	if (from < (pte_off & ~(nr - 1)))
		from = pte_off & ~(nr - 1);
	to = from + nr;
	if (to > 512)
		to = 512;
	if (to > pte_off + vpages - vma_off)
		to = pte_off + vpages - vma_off;
	*start = pgoff + from - pte_off;
	*end = pgoff + to - 1 - pte_off;
}

/* The id of the newest huge state (debugfs huge), or -1. */
static long long newest_huge_state(void)
{
	char *text = NULL, *line, *save = NULL;
	long long id = -1, v;

	if (vl_read_text(HUGE_STATES, &text))
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%lld ", &v) == 1 && v > id)
			id = v;
	free(text);
	return id;
}

static const char *type_name(const FIXTURE_VARIANT(trace) * v)
{
	switch (v->kind) {
	case VMLAB_KIND_STORE:
		return v->shared ? "shared" : "private_cow";
	case VMLAB_KIND_ANON:
		return v->shared ? "shared_anon" : "private_anon";
	default:
		return "huge";
	}
}

/* Where the page of @page of a mapping at @map (the variant's VMA) is. */
struct where {
	const char *type;
	unsigned long addr, pgoff, fa_start, fa_end;
	long long huge_id;
	unsigned long huge_pages;
};

/*
 * The expected event of template @t, into @out; false when the template
 * is not for this kernel.
 */
static bool expand(const char *t, const struct where *w, char *out, size_t len)
{
	bool vl = have_vma_locks(), thp = have_thp();
	size_t o = 0;

	for (;;) {
		if (!strncmp(t, "vl|", 3)) {
			if (!vl)
				return false;
			t += 3;
		} else if (!strncmp(t, "thp|", 4)) {
			if (!thp)
				return false;
			t += 4;
		} else if (!strncmp(t, "nothp|", 6)) {
			if (thp)
				return false;
			t += 6;
		} else {
			break;
		}
	}
	for (; *t && o + 32 < len; t++) {
		if (*t != '%') {
			out[o++] = *t;
			continue;
		}
		switch (*++t) {
		case 'A':
			o += snprintf(out + o, len - o, "0x%lx", w->addr);
			break;
		case 'P':
			o += snprintf(out + o, len - o, "0x%lx", w->pgoff);
			break;
		case 'S':
			o += snprintf(out + o, len - o, "0x%lx", w->fa_start);
			break;
		case 'E':
			o += snprintf(out + o, len - o, "0x%lx", w->fa_end);
			break;
		case 'T':
			o += snprintf(out + o, len - o, "%s", w->type);
			break;
		case 'I':
			o += snprintf(out + o, len - o, "%lld", w->huge_id);
			break;
		case 'N':
			o += snprintf(out + o, len - o, "%lu", w->huge_pages);
			break;
		default:
			out[o++] = '?';
			break;
		}
	}
	out[o] = '\0';
	return true;
}

/* Is @ev an event that a step with faults_vary leaves out of the comparison? */
static bool varies(const char *ev)
{
	return !strncmp(ev, "vmlab_fault: ", 13) || !strncmp(ev, "vmlab_map_pages: ", 17);
}

/*
 * Compare the instance's events with the templates @t for page @page of
 * the mapping at @map, then empty the buffer.  Logs both lists when they
 * differ.  Return: true when they are equal (the caller asserts it).
 */
static bool check_events(struct __test_metadata *_metadata, FIXTURE_DATA(trace) * self,
			 const FIXTURE_VARIANT(trace) * variant, const char *what,
			 const char *const *t, char *map, unsigned int page, bool vary)
{
	static char seen[64][EVENT_LEN], want[MAX_EVENTS][EVENT_LEN];
	unsigned long fa_start = 0, fa_end = 0;
	int nseen, nwant = 0, i, j, kept = 0;
	long nr = fault_around_pages();
	struct where w = {
		.type = type_name(variant),
		.addr = (unsigned long)map + page * PS,
		.pgoff = variant->off / PS + page,
		.huge_id = self->huge_id,
		.huge_pages = self->huge_pages,
	};
	bool same;

	if (nr > 1)
		fault_around(w.addr, (unsigned long)map, variant->off / PS, self->len / PS, nr,
			     &fa_start, &fa_end);
	w.fa_start = fa_start;
	w.fa_end = fa_end;
	for (i = 0; i < MAX_EVENTS && t[i]; i++) {
		/* Fault-around of one page is none: no ->map_pages call. */
		if (nr <= 1 && strstr(t[i], "vmlab_map_pages: "))
			continue;
		if (expand(t[i], &w, want[nwant], EVENT_LEN))
			nwant++;
	}
	nseen = inst_events(self->inst, seen, 64);
	if (nseen < 0) {
		TH_LOG("%s: reading %s/trace: %s", what, self->inst, strerror(-nseen));
		return false;
	}
	for (i = 0; i < nseen; i++)
		if (!vary || !varies(seen[i]))
			memmove(seen[kept++], seen[i], EVENT_LEN);
	same = kept == nwant;
	for (j = 0; same && j < nwant; j++)
		same = !strcmp(seen[j], want[j]);
	if (!same) {
		TH_LOG("%s: expected %d event%s%s:", what, nwant, nwant == 1 ? "" : "s",
		       vary ? " (->fault and ->map_pages events left out)" : "");
		for (j = 0; j < nwant; j++)
			TH_LOG("  %s", want[j]);
		TH_LOG("%s: saw %d:", what, kept);
		for (j = 0; j < kept; j++)
			TH_LOG("  %s", seen[j]);
	}
	if (inst_clear(self->inst)) {
		TH_LOG("%s: emptying %s/trace: %s", what, self->inst, strerror(errno));
		return false;
	}
	return same;
}

static void touch(char *p, bool write)
{
	if (write)
		__atomic_store_n(p, 1, __ATOMIC_RELAXED);
	else
		(void)__atomic_load_n(p, __ATOMIC_RELAXED);
}

/* ---- the scripted sequences ---- */

FIXTURE_SETUP(trace)
{
	const char *ko = getenv("VMLAB_KO");
	char why[128];
	long long free;
	int ret;

	self->fd = -1;
	self->inst[0] = '\0';
	self->area = MAP_FAILED;
	self->map = MAP_FAILED;
	self->map2 = MAP_FAILED;
	self->huge_id = -1;
	self->huge_pages = 0;
	if (variant->need_thp && !have_thp())
		SKIP(return, "no THP in this kernel: the store makes no 2 MiB folio");
	if (variant->reload) {
		if (!ko || !*ko)
			SKIP(return, "VMLAB_KO unset: vmlab is reloaded only in the vm-run guests");
		unlink(BACKING_PATH);
		vmlab_ksft_reload(variant->args);
	}
	self->len = variant->npages * PS;
	if (variant->kind == VMLAB_KIND_HUGE) {
		free = meminfo("HugePages_Free");
		ASSERT_LE(0, free);
		if (!variant->npages) {
			self->len = (free + 1) * HPAGE;
		} else if (free < (long long)(self->len / HPAGE)) {
			snprintf(why, sizeof(why), "needs %zu free 2 MiB pages, %lld free",
				 self->len / HPAGE, free);
			SKIP(return, "%s", why);
		}
		self->huge_pages = self->len / HPAGE;
	}
	self->fd = vl_open(O_RDWR);
	ASSERT_LE(0, self->fd) {
		TH_LOG("open %s: %s", VMLAB_DEVICE_PATH, strerror(-self->fd));
	}
	if (variant->kind != VMLAB_KIND_STORE) {
		ret = vl_select(self->fd, variant->kind, -1);
		ASSERT_EQ(0, ret) {
			TH_LOG("select kind %u: %s", variant->kind, strerror(-ret));
		}
	}
	if (variant->kind == VMLAB_KIND_HUGE) {
		self->huge_id = newest_huge_state();
		ASSERT_LE(0, self->huge_id);
	}
	ret = inst_make(self->inst, sizeof(self->inst), getpid());
	ASSERT_EQ(0, ret) {
		TH_LOG("tracefs instance %s: %s", self->inst, strerror(-ret));
	}
	/* Room for two mappings, 2 MiB-aligned, with 2 MiB around each. */
	self->area_len = 2 * self->len + 10 * HPAGE;
	self->area = mmap(NULL, self->area_len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->area);
}

/*
 * In the parent, once the test's process (its mappings and files) is
 * gone, even when it died: the instance goes, and a variant that loaded
 * vmlab with parameters loads it again with none.
 */
FIXTURE_TEARDOWN_PARENT(trace)
{
	inst_remove(self->inst);
	if (variant->reload && getenv("VMLAB_KO") && *getenv("VMLAB_KO"))
		vmlab_ksft_reload_default(BACKING_PATH);
}

static char *align_up(char *p, unsigned long a)
{
	return (char *)(((uintptr_t)p + a - 1) & ~(uintptr_t)(a - 1));
}

/*
 * Map the variant's kind at @at (MAP_FIXED).  A page of the area just
 * below the 2 MiB it starts in, in the same 1 GiB, is touched first: the
 * PUD entry above the mapping is then present, and no kernel offers the
 * fault a PUD (6.1 would, to the huge kind, where it finds none), while
 * the PMD entries of the mapping stay empty.
 */
static char *map_at(FIXTURE_DATA(trace) * self, const FIXTURE_VARIANT(trace) * variant, char *at)
{
	char *below = (char *)((uintptr_t)at & ~(uintptr_t)(HPAGE - 1)) - PS;

	if (((uintptr_t)below >> 30) != ((uintptr_t)at >> 30))
		below = align_up(at + self->len, HPAGE);
	touch(below, true);
	return mmap(at, self->len, PROT_READ | PROT_WRITE,
		    (variant->shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED, self->fd,
		    variant->off);
}

/* Fill the pages the variant wants in memory; with backing=, clean them. */
static void prepare(struct __test_metadata *_metadata, FIXTURE_DATA(trace) * self,
		    const FIXTURE_VARIANT(trace) * variant, bool backing)
{
	size_t n = variant->cached[1] - variant->cached[0], i;
	char page[PS];

	memset(page, 0x5a, sizeof(page));
	for (i = 0; i < n; i++)
		ASSERT_EQ((ssize_t)PS, pwrite(self->fd, page, PS,
					      variant->off + (variant->cached[0] + i) * PS));
	if (backing)
		ASSERT_EQ(0, fsync(self->fd));
}

/*
 * One run of the variant's sequence: map, then each step.  Return: true
 * when every step saw its events.
 */
static bool run_sequence(struct __test_metadata *_metadata, FIXTURE_DATA(trace) * self,
			 const FIXTURE_VARIANT(trace) * variant)
{
	char *at = align_up(self->area, HPAGE) + 2 * HPAGE, *map, what[64];
	bool ok = true;
	int s;

	ASSERT_EQ(0, inst_clear(self->inst));
	self->map = map_at(self, variant, at + variant->skew);
	if (variant->mmap_fails) {
		ASSERT_EQ(MAP_FAILED, self->map);
		ASSERT_EQ(ENOMEM, errno);
	} else {
		ASSERT_NE(MAP_FAILED, self->map) {
			TH_LOG("mmap of %zu bytes: %s", self->len, strerror(errno));
		}
		if (variant->hugepage)
			ASSERT_EQ(0, madvise(self->map, self->len, MADV_HUGEPAGE));
	}
	ok &= check_events(_metadata, self, variant, "mmap", variant->mmap_expect, self->map, 0,
			   false);
	for (s = 0; s < MAX_STEPS && variant->steps[s].op != OP_END; s++) {
		const struct step *st = &variant->steps[s];

		map = self->map;
		switch (st->op) {
		case OP_READ:
			snprintf(what, sizeof(what), "step %d: read page %u", s, st->page);
			touch(map + st->page * PS, false);
			break;
		case OP_WRITE:
			snprintf(what, sizeof(what), "step %d: write page %u", s, st->page);
			touch(map + st->page * PS, true);
			break;
		case OP_SYNC:
			snprintf(what, sizeof(what), "step %d: fsync", s);
			ASSERT_EQ(0, fsync(self->fd));
			break;
		case OP_READ2:
			snprintf(what, sizeof(what), "step %d: read page %u of a second mapping",
				 s, st->page);
			if (self->map2 == MAP_FAILED) {
				self->map2 = map_at(self, variant, at + self->len + 2 * HPAGE);
				ASSERT_NE(MAP_FAILED, self->map2);
			}
			map = self->map2;
			touch(map + st->page * PS, false);
			break;
		default:
			break;
		}
		ok &= check_events(_metadata, self, variant, what, st->expect, map, st->page,
				   st->faults_vary);
	}
	return ok;
}

TEST_F(trace, exact_events)
{
	bool backing = variant->args && strstr(variant->args, "backing=");
	struct vl_counters c0, c1;
	int64_t runs = 0, syncs = 0;
	int attempt, s;
	bool ok;

	for (s = 0; s < MAX_STEPS; s++)
		syncs += variant->steps[s].op == OP_SYNC;
	TH_LOG("%s kernel, %s THP, fault_around_bytes %ld pages",
	       have_vma_locks() ? "per-VMA lock" : "mmap_lock", have_thp() ? "with" : "without",
	       fault_around_pages());
	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		prepare(_metadata, self, variant, backing);
		ASSERT_EQ(0, vl_counters_read(&c0));
		ok = run_sequence(_metadata, self, variant);
		ASSERT_EQ(0, vl_counters_read(&c1));
		runs = vl_counter_delta(&c0, &c1, "writeback_runs");
		/*
		 * Only the store with backing= writes back: a run that is not
		 * one of the sequence's fsyncs is the flusher's, which may
		 * have cleaned a page before an fsync of the sequence did.
		 * The sequence then runs again from clean pages.
		 */
		if (ok || !backing || !syncs || runs == syncs)
			break;
		TH_LOG("attempt %d: %lld write-back runs for %lld fsyncs: the flusher ran; again",
		       attempt, (long long)runs, (long long)syncs);
		if (self->map2 != MAP_FAILED)
			munmap(self->map2, self->len);
		munmap(self->map, self->len);
		self->map = MAP_FAILED;
		self->map2 = MAP_FAILED;
	}
	ASSERT_TRUE(ok) {
		TH_LOG("%s: the events above differ from the expected ones (%d attempts)",
		       variant->args ? variant->args : "vmlab as loaded", attempt + 1);
	}
}

/* ---- toggling the events ---- */

TEST(toggles)
{
	static char seen[64][EVENT_LEN];
	char inst[128] = "", *area, *p, want[2][EVENT_LEN];
	long nr = fault_around_pages();
	int fd, i, n, nwant = 0, bad = 0;

	fd = vl_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_select(fd, VMLAB_KIND_ANON, -1));
	ASSERT_EQ(0, inst_make(inst, sizeof(inst), getpid()));
	ASSERT_EQ(0, inst_write(inst, "events/vmlab/enable", "0"));
	area = mmap(NULL, 4 * HPAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	p = mmap(align_up(area, HPAGE), 4 * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
		 fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	if (have_vma_locks() && nr > 1)
		snprintf(want[nwant++], EVENT_LEN,
			 "vmlab_map_pages: type=private_anon address=0x%lx start_pgoff=0x0 end_pgoff=0x3 mapped=0 result=0",
			 (unsigned long)p);
	snprintf(want[nwant++], EVENT_LEN,
		 "vmlab_fault: type=private_anon address=0x%lx pgoff=0x0 write=0 result=NOPAGE",
		 (unsigned long)p);
	for (i = 0; i < TOGGLES; i++) {
		/* A read fault while enabled, one while disabled: one set of events. */
		ASSERT_EQ(0, inst_write(inst, "events/vmlab/enable", "1"));
		touch(p, false);
		ASSERT_EQ(0, inst_write(inst, "events/vmlab/enable", "0"));
		ASSERT_EQ(0, madvise(p, 4 * PS, MADV_DONTNEED));
		touch(p, false);
		ASSERT_EQ(0, madvise(p, 4 * PS, MADV_DONTNEED));
		n = inst_events(inst, seen, 64);
		if (n != nwant || strcmp(seen[0], want[0]) ||
		    (nwant > 1 && strcmp(seen[1], want[1]))) {
			if (bad++ < 3)
				TH_LOG("toggle %d: %d events, not %d; first %s, not %s", i, n,
				       nwant, n > 0 ? seen[0] : "none", want[0]);
		}
		ASSERT_EQ(0, inst_clear(inst));
	}
	TH_LOG("%d enable/disable cycles, each checked: %d differed", TOGGLES, bad);
	EXPECT_EQ(0, bad);
	munmap(p, 4 * PS);
	munmap(area, 4 * HPAGE);
	close(fd);
	inst_remove(inst);
}

TEST_HARNESS_MAIN
