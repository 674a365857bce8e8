// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour, page reclaim: clean file pages can be dropped from the page
 * cache and read back by a major fault; shared anonymous pages go to swap
 * and come back; mlock keeps pages where they are.
 *
 * The store's twin is a file on a disk filesystem (ext4 on a loop device
 * in vmlab's guests, see diskfs.c), whose pages are evicted and read back
 * as the store's are; without one it is a memfd, and the section says so.
 * Besides pagemap and kpageflags, each step reads mincore(2) (what the page
 * cache or swap cache holds), getrusage(2) (minor and major faults of the
 * touches alone), /proc/vmstat (pswpout, pswpin) and smaps (Swap).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "diskfs.h"
#include "pagemap.h"
#include "procfs.h"
#include "touch.h"
#include "tour.h"

#define NPAGES		8
/* The native file: 4 MiB, the twin's pages at 2 MiB, so that read-around is not clamped. */
#define FILE_SIZE	(4L << 20)
#define FILE_OFF	(2L << 20)

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

static const char *const side_name[] = { "vmlab", "native" };

/* Faults of one side's touches. */
struct flt {
	long maj, min;
};

/* Pages of @side that mincore(2) calls resident, or -errno. */
static int resident(struct twin *tw, int side)
{
	unsigned char vec[TOUR_MAX_PAGES];
	int n = 0;
	size_t i;

	if (mincore(tw->s[side].addr, tw->len, vec))
		return -errno;
	for (i = 0; i < tw->npages; i++)
		n += vec[i] & 1;
	return n;
}

/* Read the first byte of every page of @side; the faults that took, from getrusage(2). */
static struct flt touch_all(struct twin *tw, int side)
{
	struct rusage a, b;
	struct flt d;
	size_t i;

	getrusage(RUSAGE_SELF, &a);
	for (i = 0; i < tw->npages; i++)
		vl_read_byte(twin_page(tw, side, i));
	getrusage(RUSAGE_SELF, &b);
	d.maj = b.ru_majflt - a.ru_majflt;
	d.min = b.ru_minflt - a.ru_minflt;
	return d;
}

static void note_faults(struct step *s, const struct flt f[2])
{
	step_event(s, "vmlab_majflt", f[VMLAB].maj);
	step_event(s, "vmlab_minflt", f[VMLAB].min);
	step_event(s, "native_majflt", f[NATIVE].maj);
	step_event(s, "native_minflt", f[NATIVE].min);
	step_note(s, "getrusage: vmlab majflt +%ld minflt +%ld; native majflt +%ld minflt +%ld",
		  f[VMLAB].maj, f[VMLAB].min, f[NATIVE].maj, f[NATIVE].min);
}

/* "8 of 8", or the error. */
static const char *part(int n, size_t total)
{
	static char buf[4][32];
	static int next;
	char *b = buf[next++ % 4];

	if (n < 0)
		snprintf(b, sizeof(buf[0]), "(%s)", strerror(-n));
	else
		snprintf(b, sizeof(buf[0]), "%d of %zu", n, total);
	return b;
}

/*
 * The events and notes of a step that asked both sides for MADV_PAGEOUT:
 * its errno (@po) and how many pages mincore then found resident (@res).
 */
static void pageout_report(struct step *s, const int po[2], const int res[2])
{
	step_event(s, "vmlab_pageout_errno", po[VMLAB]);
	step_event(s, "native_pageout_errno", po[NATIVE]);
	step_event(s, "vmlab_resident", res[VMLAB]);
	step_event(s, "native_resident", res[NATIVE]);
	step_note(s, "MADV_PAGEOUT: vmlab %s, native %s",
		  po[VMLAB] ? strerror(po[VMLAB]) : "0", po[NATIVE] ? strerror(po[NATIVE]) : "0");
	step_note(s, "mincore: vmlab %s resident; native %s", part(res[VMLAB], NPAGES),
		  part(res[NATIVE], NPAGES));
}

/* "1 major fault", "3 minor faults". */
static const char *faults(long n, const char *kind)
{
	static char buf[4][40];
	static int next;
	char *b = buf[next++ % 4];

	snprintf(b, sizeof(buf[0]), "%ld %s fault%s", n, kind, n == 1 ? "" : "s");
	return b;
}

/* Whether swap is on: a device or file listed in /proc/swaps; its name into @name. */
static bool swap_on(char *name, size_t len)
{
	char line[512];
	FILE *fp = fopen("/proc/swaps", "re");
	int n = 0;

	name[0] = '\0';
	if (!fp)
		return false;
	while (fgets(line, sizeof(line), fp))
		if (n++ == 1)
			snprintf(name, len, "%.*s", (int)strcspn(line, " \t\n"), line);
	fclose(fp);
	return n > 1;
}

/* The store and its twin, a file of @disk or a memfd, with page i holding 'A' + i, clean. */
static int setup_file_twin(struct tour *t, struct twin *tw, const struct diskfs *disk)
{
	struct side *n = &tw->s[NATIVE];
	int ret;

	twin_init(t, tw, NPAGES);
	ret = twin_reserve(t, tw);
	if (!ret)
		ret = twin_open_vmlab(t, tw, VMLAB_KIND_STORE);
	if (!ret)
		ret = twin_use_store(t, tw);
	if (ret)
		return ret;
	if (disk) {
		n->fd = diskfs_file(disk, FILE_SIZE);
		if (n->fd < 0)
			return tour_fail(t, n->fd, "a file in %s: %s", disk->dir, strerror(-n->fd));
		snprintf(n->file, sizeof(n->file), "file on %s", disk->fstype);
	} else {
		ret = twin_open_memfd(t, tw, 0);
		if (ret)
			return ret;
		if (ftruncate(n->fd, FILE_SIZE))
			return tour_fail(t, -errno, "ftruncate of the memfd: %s", strerror(errno));
	}
	n->backed = true;
	n->off = FILE_OFF;
	ret = twin_fill(t, tw, 'A');
	if (ret)
		return ret;
	if (ioctl(tw->s[VMLAB].fd, VMLAB_IOC_WRITEBACK))
		return tour_fail(t, -errno, "VMLAB_IOC_WRITEBACK: %s", strerror(errno));
	if (fsync(n->fd))
		return tour_fail(t, -errno, "fsync of the native file: %s", strerror(errno));
	return twin_probe(t, tw);
}

static bool bytes_intact(const struct step *s, int side, char first)
{
	size_t i;

	for (i = 0; i < NPAGES; i++) {
		const struct fact *f = step_fact(s, side, false, i);

		if (!f->bytes_known || f->bytes[0] != (unsigned char)(first + i))
			return false;
	}
	return true;
}

static int count_present(const struct step *s, int side)
{
	int n = 0;
	size_t i;

	for (i = 0; i < NPAGES; i++)
		n += step_fact(s, side, false, i)->pg.present;
	return n;
}

/* Steps 1-3: page-cache hits, eviction, major faults. */
static int cache_steps(struct tour *t, struct twin *tw, const struct diskfs *disk,
		       const char *nodisk, const char *backing)
{
	int before[2], after[2], dropped[2] = { -1, -1 }, adv[2], k, ret = 0;
	char twin_is[64] = "the memfd";
	bool dropped_caches = false;
	const struct fact *f;
	struct flt fl[2];
	struct step *s;

	if (disk)
		snprintf(twin_is, sizeof(twin_is), "the file on %s", disk->fstype);
	s = step_begin(t, "cached",
		       "mmap %d pages (page i holds 'A'+i, clean and in the page cache), MAP_SHARED; read every page",
		       NPAGES);
	for (k = VMLAB; k <= NATIVE && !ret; k++)
		ret = twin_map(t, tw, k, MAP_SHARED, PROT_READ | PROT_WRITE);
	if (ret)
		return step_abort(t, s, ret);
	for (k = VMLAB; k <= NATIVE; k++)
		fl[k] = touch_all(tw, k);
	if (disk)
		step_note(s, "native twin: a file on %s", disk->what);
	else
		step_note(s, "native twin: a memfd (tmpfs), as there is no disk filesystem: %s",
			  nodisk);
	note_faults(s, fl);
	for (k = VMLAB; k <= NATIVE; k++)
		after[k] = resident(tw, k);
	step_event(s, "vmlab_resident", after[VMLAB]);
	step_event(s, "native_resident", after[NATIVE]);
	step_event(s, "native_on_disk", !!disk);
	step_note(s, "mincore: vmlab %s resident; native %s", part(after[VMLAB], NPAGES),
		  part(after[NATIVE], NPAGES));
	step_observe(t, s, tw);
	f = step_fact(s, VMLAB, false, 0);
	step_expect(t, s, fl[VMLAB].maj == 0, "reading cached pages took %ld major faults",
		    fl[VMLAB].maj);
	step_expect(t, s, after[VMLAB] == NPAGES, "mincore: %s pages resident, not %d",
		    part(after[VMLAB], NPAGES), NPAGES);
	step_expect_pfn(t, s, f->pg.pfn == f->backing_pfn, "page 0 is not the store's page");
	/* Not lru, which a page still in a per-CPU batch of the LRU lacks for a while. */
	step_expect_pfn(t, s, !has_kpf(f, VL_KPF_UNEVICTABLE),
			"page 0 is unevictable (kpageflags unevictable)");
	step_say(s,
		 "every page was in the page cache already: %s and %s mapped all %d (fault-around maps the cached neighbours of a faulting page); the store's pages%s are %s%s",
		 faults(fl[VMLAB].maj, "major"), faults(fl[VMLAB].min, "minor"), NPAGES,
		 pfn_note(t, f),
		 !t->pfns ? "in memory" :
		 has_kpf(f, VL_KPF_UNEVICTABLE) ?
		 "on the unevictable list (kpageflags unevictable): reclaim will not take them" :
		 "evictable (kpageflags unevictable clear), as a file's are: reclaim may take them",
		 cnt(t, s, "", "faults_read_shared", "map_pages_shared", NULL));
	step_end(t, s);

	s = step_begin(t, "evict",
		       "MADV_DONTNEED the mappings, then posix_fadvise(POSIX_FADV_DONTNEED) on each file");
	if (!t->info.has_backing) {
		/* A tmpfs file: nothing to drop, as for a memfd; the pageout step swaps it. */
		step_skip(t, s,
			  "the store has no backing file: it is a tmpfs file, which POSIX_FADV_DONTNEED and drop_caches leave alone and only swap can take (MADV_PAGEOUT below); not done (load vmlab with backing= for a page cache over a file)");
		step_end(t, s);
		s = step_begin(t, "refault", "read every page again");
		step_skip(t, s, "nothing was evicted: the store is a tmpfs file");
		step_end(t, s);
		return 0;
	}
	for (k = VMLAB; k <= NATIVE; k++) {
		struct side *sd = &tw->s[k];

		madvise(sd->addr, tw->len, MADV_DONTNEED);
		before[k] = resident(tw, k);
		adv[k] = posix_fadvise(sd->fd, sd->off, (off_t)tw->len, POSIX_FADV_DONTNEED);
		after[k] = resident(tw, k);
	}
	/* What fadvise left (a memfd's pages, say): drop_caches, when allowed. */
	if ((after[VMLAB] > 0 || after[NATIVE] > 0) && !geteuid()) {
		sync();
		if (!vl_write_file("/proc/sys/vm/drop_caches", "1")) {
			dropped_caches = true;
			for (k = VMLAB; k <= NATIVE; k++)
				dropped[k] = resident(tw, k);
		}
	}
	for (k = VMLAB; k <= NATIVE; k++) {
		char key[40];

		snprintf(key, sizeof(key), "%s_resident_before", side_name[k]);
		step_event(s, key, before[k]);
		snprintf(key, sizeof(key), "%s_resident_after", side_name[k]);
		step_event(s, key, after[k]);
		snprintf(key, sizeof(key), "%s_resident_dropped", side_name[k]);
		step_event(s, key, dropped[k]);
	}
	step_note(s, "posix_fadvise: vmlab %s, native %s", adv[VMLAB] ? strerror(adv[VMLAB]) : "0",
		  adv[NATIVE] ? strerror(adv[NATIVE]) : "0");
	step_note(s, "mincore: vmlab %s resident -> %s; native %s -> %s",
		  part(before[VMLAB], NPAGES), part(after[VMLAB], NPAGES),
		  part(before[NATIVE], NPAGES), part(after[NATIVE], NPAGES));
	if (dropped_caches)
		step_note(s, "echo 1 > /proc/sys/vm/drop_caches: vmlab %s resident; native %s",
			  part(dropped[VMLAB], NPAGES), part(dropped[NATIVE], NPAGES));
	step_observe(t, s, tw);
	step_expect(t, s, !adv[VMLAB], "posix_fadvise of /dev/vmlab: %s", strerror(adv[VMLAB]));
	step_expect(t, s, before[VMLAB] == NPAGES,
		    "mincore: %s pages resident after MADV_DONTNEED, not all (the page cache keeps them)",
		    part(before[VMLAB], NPAGES));
	step_expect(t, s, after[VMLAB] == 0,
		    "POSIX_FADV_DONTNEED left %s pages of the store resident",
		    part(after[VMLAB], NPAGES));
	step_expect(t, s, count_present(s, VMLAB) == 0, "pages are still mapped");
	step_say(s,
		 "MADV_DONTNEED only unmapped the pages: mincore still finds %s in the page cache; POSIX_FADV_DONTNEED %s (mincore %s)%s%s",
		 part(before[VMLAB], NPAGES),
		 after[VMLAB] == 0 ? "then dropped the clean pages from it" :
		 after[VMLAB] == before[VMLAB] ? "dropped none of them" : "dropped some of them",
		 part(after[VMLAB], NPAGES),
		 disk ? "" : "; the memfd's tmpfs pages, which only swap can take, stay",
		 cnt(t, s, "", "pages_store", NULL));
	step_end(t, s);

	s = step_begin(t, "refault", "read every page again");
	for (k = VMLAB; k <= NATIVE; k++)
		fl[k] = touch_all(tw, k);
	note_faults(s, fl);
	for (k = VMLAB; k <= NATIVE; k++)
		after[k] = resident(tw, k);
	step_note(s, "mincore: vmlab %s resident; native %s", part(after[VMLAB], NPAGES),
		  part(after[NATIVE], NPAGES));
	/* New pages: the backing PFNs are those of the pages read back. */
	twin_probe(t, tw);
	step_observe(t, s, tw);
	f = step_fact(s, VMLAB, false, 0);
	step_expect(t, s, fl[VMLAB].maj >= 1, "no major fault: the pages were not read back");
	step_expect(t, s, bytes_intact(s, VMLAB, 'A'), "the pages do not read 'A'+i");
	if (disk)
		step_expect(t, s, fl[VMLAB].maj == fl[NATIVE].maj,
			    "%ld major faults, the file on %s took %ld", fl[VMLAB].maj,
			    disk->fstype, fl[NATIVE].maj);
	step_expect_pfn(t, s, f->pg.pfn == f->backing_pfn, "page 0 is not the store's page");
	if (fl[VMLAB].maj)
		step_say(s,
			 "page 0 was no longer in the page cache, so its fault allocated a page and read it from %s: a major fault; read-around read the pages after it in the same request, so %s and %s brought all %d back%s%s; %s took %s and %s",
			 backing, faults(fl[VMLAB].maj, "major"), faults(fl[VMLAB].min, "minor"),
			 NPAGES, bytes_intact(s, VMLAB, 'A') ? ", intact" : "",
			 cnt(t, s, "", "faults_read_shared", "map_pages_shared", "backing_reads",
			     NULL),
			 twin_is, faults(fl[NATIVE].maj, "major"), faults(fl[NATIVE].min, "minor"));
	else
		step_say(s,
			 "the pages were still in the page cache: %s and no major fault, nothing was read%s; %s took %s and %s",
			 faults(fl[VMLAB].min, "minor"),
			 cnt(t, s, "", "faults_read_shared", "map_pages_shared", NULL), twin_is,
			 faults(fl[NATIVE].maj, "major"), faults(fl[NATIVE].min, "minor"));
	step_end(t, s);
	return 0;
}

/* Steps 4-5: mlock keeps pages under MADV_PAGEOUT; without it they go. */
static int lock_steps(struct tour *t, struct twin *tw)
{
	int res[2], lk[2], po[2], k;
	long long vmlck0, vmlck1;
	const struct fact *f;
	struct step *s;
	size_t i;

	s = step_begin(t, "mlock",
		       "mlock the mappings, then MADV_PAGEOUT and POSIX_FADV_DONTNEED them");
	vmlck0 = vmlck_kb();
	for (k = VMLAB; k <= NATIVE; k++) {
		struct side *sd = &tw->s[k];

		lk[k] = mlock(sd->addr, tw->len) ? errno : 0;
		po[k] = madvise(sd->addr, tw->len, MADV_PAGEOUT) ? errno : 0;
		posix_fadvise(sd->fd, sd->off, (off_t)tw->len, POSIX_FADV_DONTNEED);
		res[k] = resident(tw, k);
	}
	vmlck1 = vmlck_kb();
	step_event(s, "vmlck_kb", vmlck1 - vmlck0);
	step_note(s, "mlock: vmlab %s, native %s; VmLck %+lld kB",
		  lk[VMLAB] ? strerror(lk[VMLAB]) : "0", lk[NATIVE] ? strerror(lk[NATIVE]) : "0",
		  vmlck1 - vmlck0);
	pageout_report(s, po, res);
	step_observe(t, s, tw);
	step_expect(t, s, !lk[VMLAB], "mlock: %s", strerror(lk[VMLAB]));
	step_expect(t, s, res[VMLAB] == NPAGES, "mincore: %s pages resident, not all",
		    part(res[VMLAB], NPAGES));
	for (i = 0; i < NPAGES; i++) {
		f = step_fact(s, VMLAB, false, i);
		step_expect(t, s, f->pg.present, "page %zu is not present", i);
		step_expect_pfn(t, s, has_kpf(f, VL_KPF_MLOCKED) && has_kpf(f, VL_KPF_UNEVICTABLE),
				"page %zu is not mlocked and unevictable", i);
	}
	step_say(s,
		 "mlock faulted in and locked all %d pages (kpageflags mlocked, on the unevictable list, VmLck %+lld kB); the kernel refuses MADV_PAGEOUT on a locked range (%s) and POSIX_FADV_DONTNEED leaves mapped pages alone: %d pages stay mapped, mincore finds %s",
		 NPAGES, vmlck1 - vmlck0, po[VMLAB] ? strerror(po[VMLAB]) : "here it returned 0",
		 count_present(s, VMLAB), part(res[VMLAB], NPAGES));
	step_end(t, s);

	s = step_begin(t, "pageout", "munlock the mappings, then MADV_PAGEOUT them");
	for (k = VMLAB; k <= NATIVE; k++) {
		struct side *sd = &tw->s[k];

		munlock(sd->addr, tw->len);
		po[k] = madvise(sd->addr, tw->len, MADV_PAGEOUT) ? errno : 0;
		res[k] = resident(tw, k);
	}
	pageout_report(s, po, res);
	step_observe(t, s, tw);
	step_expect(t, s, !po[VMLAB], "MADV_PAGEOUT: %s", strerror(po[VMLAB]));
	step_expect(t, s, res[VMLAB] == 0, "mincore: %s pages still resident",
		    part(res[VMLAB], NPAGES));
	step_expect(t, s, count_present(s, VMLAB) == 0, "pages are still mapped");
	if (!res[VMLAB])
		step_say(s,
			 "unlocked, the clean pages went at once: MADV_PAGEOUT unmapped them and reclaim freed them, with nothing to write (mincore %s resident); the next access is a major fault again",
			 part(res[VMLAB], NPAGES));
	else
		step_say(s,
			 "MADV_PAGEOUT left %d pages mapped, and mincore finds %s resident",
			 count_present(s, VMLAB), part(res[VMLAB], NPAGES));
	step_end(t, s);
	return 0;
}

/* Steps 6-7: shared anonymous pages to swap and back. */
static int swap_steps(struct tour *t)
{
	long long out0, out1, out2, in0, in1, in2, swp[2] = { -1, -1 };
	char dev[256], *p;
	int res[2], po[2], k, ret;
	struct step *s;
	struct flt fl[2];
	struct twin tw;
	size_t i;

	if (!swap_on(dev, sizeof(dev))) {
		s = step_begin(t, "swap-out",
			       "write every page of a shared anonymous mapping, then MADV_PAGEOUT it");
		step_note(s, "/proc/swaps: no swap device or file");
		step_skip(t, s,
			  "swap is absent here (/proc/swaps lists no device), so there is nowhere to write shared anonymous pages to; not done (scripts/vm-run --swap SIZE gives a guest zram swap)");
		step_end(t, s);
		s = step_begin(t, "swap-in", "read every page back");
		step_skip(t, s, "nothing was swapped out: no swap here");
		step_end(t, s);
		return 0;
	}

	twin_init(t, &tw, NPAGES);
	ret = twin_reserve(t, &tw);
	if (!ret)
		ret = twin_open_vmlab(t, &tw, VMLAB_KIND_ANON);
	s = step_begin(t, "swap-out",
		       "write 'a'+i to page i of a shared anonymous mapping, then MADV_PAGEOUT it");
	for (k = VMLAB; k <= NATIVE && !ret; k++)
		ret = twin_map(t, &tw, k, MAP_SHARED, PROT_READ | PROT_WRITE);
	if (ret) {
		step_abort(t, s, ret);
		goto out;
	}
	for (k = VMLAB; k <= NATIVE; k++)
		for (i = 0; i < NPAGES; i++)
			vl_write_byte(twin_page(&tw, k, i), 'a' + i);
	out0 = vmstat_field("pswpout");
	po[VMLAB] = madvise(tw.s[VMLAB].addr, tw.len, MADV_PAGEOUT) ? errno : 0;
	out1 = vmstat_field("pswpout");
	po[NATIVE] = madvise(tw.s[NATIVE].addr, tw.len, MADV_PAGEOUT) ? errno : 0;
	out2 = vmstat_field("pswpout");
	for (k = VMLAB; k <= NATIVE; k++) {
		res[k] = resident(&tw, k);
		vl_smaps_field(0, (unsigned long)tw.s[k].addr, "Swap", &swp[k]);
	}
	step_event(s, "vmlab_pswpout", out1 - out0);
	step_event(s, "native_pswpout", out2 - out1);
	step_event(s, "vmlab_resident", res[VMLAB]);
	step_event(s, "native_resident", res[NATIVE]);
	step_event(s, "vmlab_smaps_swap_kb", swp[VMLAB]);
	step_event(s, "native_smaps_swap_kb", swp[NATIVE]);
	step_note(s, "swap: %s", dev);
	step_note(s,
		  "MADV_PAGEOUT: vmlab %s, native %s; /proc/vmstat pswpout: vmlab %+lld, native %+lld",
		  po[VMLAB] ? strerror(po[VMLAB]) : "0", po[NATIVE] ? strerror(po[NATIVE]) : "0",
		  out1 - out0, out2 - out1);
	step_note(s,
		  "mincore: vmlab %s resident; native %s; smaps Swap: vmlab %lld kB, native %lld kB",
		  part(res[VMLAB], NPAGES), part(res[NATIVE], NPAGES), swp[VMLAB], swp[NATIVE]);
	step_observe(t, s, &tw);
	step_expect(t, s, !po[VMLAB], "MADV_PAGEOUT: %s", strerror(po[VMLAB]));
	step_expect(t, s, out1 - out0 >= NPAGES, "pswpout grew by %lld, not %d", out1 - out0,
		    NPAGES);
	step_expect(t, s, count_present(s, VMLAB) == 0, "pages are still mapped");
	step_expect(t, s, res[VMLAB] == 0, "mincore: %s pages still resident",
		    part(res[VMLAB], NPAGES));
	step_expect(t, s, swp[VMLAB] == swp[NATIVE], "smaps Swap reads %lld kB, the twin's %lld kB",
		    swp[VMLAB], swp[NATIVE]);
	if (out1 - out0 > 0)
		step_say(s,
			 "MADV_PAGEOUT wrote the dirty shared anonymous pages to swap (pswpout %+lld, smaps Swap %lld kB) and freed them: %d of %d are still mapped (a shmem page's swap entry lives in its file, not in the PTE, so pagemap shows no swap bit), and mincore finds %s in memory",
			 out1 - out0, swp[VMLAB], count_present(s, VMLAB), NPAGES,
			 part(res[VMLAB], NPAGES));
	else
		step_say(s,
			 "MADV_PAGEOUT wrote nothing to swap (pswpout +0): %d of %d pages are still mapped, and mincore finds %s in memory",
			 count_present(s, VMLAB), NPAGES, part(res[VMLAB], NPAGES));
	step_end(t, s);

	s = step_begin(t, "swap-in", "read every page back");
	in0 = vmstat_field("pswpin");
	fl[VMLAB] = touch_all(&tw, VMLAB);
	in1 = vmstat_field("pswpin");
	fl[NATIVE] = touch_all(&tw, NATIVE);
	in2 = vmstat_field("pswpin");
	note_faults(s, fl);
	step_event(s, "vmlab_pswpin", in1 - in0);
	step_event(s, "native_pswpin", in2 - in1);
	step_note(s, "/proc/vmstat pswpin: vmlab %+lld, native %+lld", in1 - in0, in2 - in1);
	step_observe(t, s, &tw);
	step_expect(t, s, bytes_intact(s, VMLAB, 'a'), "the pages do not read 'a'+i");
	step_expect(t, s, fl[VMLAB].maj >= 1, "no major fault: nothing was read from swap");
	step_expect(t, s, in1 - in0 >= 1, "pswpin did not grow");
	p = strrchr(dev, '/');
	step_say(s,
		 "the pages read back %s, %s%s: %s and %s, pswpin %+lld%s; the native twin took %s and %s, pswpin %+lld",
		 bytes_intact(s, VMLAB, 'a') ? "intact" : "wrong",
		 in1 - in0 > 0 ? "from swap on " : "without reading swap",
		 in1 - in0 > 0 ? (p ? p + 1 : dev) : "", faults(fl[VMLAB].maj, "major"),
		 faults(fl[VMLAB].min, "minor"), in1 - in0,
		 cnt(t, s, "", "faults_read_shared_anon", "map_pages_shared_anon", NULL),
		 faults(fl[NATIVE].maj, "major"), faults(fl[NATIVE].min, "minor"), in2 - in1);
	step_end(t, s);
out:
	twin_close(&tw);
	return ret;
}

static int run_reclaim(struct tour *t)
{
	char why[256] = "", backing[300] = "the kernel's internal tmpfs file behind the store";
	struct diskfs disk;
	bool have_disk;
	struct twin tw;
	int ret;

	have_disk = !diskfs_get(&disk, FILE_SIZE, why, sizeof(why));
	if (t->info.has_backing) {
		char val[256] = "";
		FILE *fp = fopen("/sys/module/vmlab/parameters/backing", "re");

		if (fp && fgets(val, sizeof(val), fp))
			val[strcspn(val, "\n")] = '\0';
		if (fp)
			fclose(fp);
		snprintf(backing, sizeof(backing), "the store's backing file %s", val);
	}
	ret = setup_file_twin(t, &tw, have_disk ? &disk : NULL);
	if (!ret)
		ret = cache_steps(t, &tw, have_disk ? &disk : NULL, why, backing);
	if (!ret)
		ret = lock_steps(t, &tw);
	twin_close(&tw);
	if (have_disk)
		diskfs_put(&disk);
	if (!ret)
		ret = swap_steps(t);
	return ret;
}

const struct section section_reclaim = {
	.name = "reclaim",
	.title = "page reclaim: eviction, major faults, swap and mlock",
	.intro = "Clean file pages can be dropped from the page cache at any time; the next\n"
		 "access allocates a page and reads the file: a major fault. Shared anonymous\n"
		 "pages (tmpfs) can only go to swap, and come back on the next access. mlock\n"
		 "keeps pages in memory. vmlab's file is the store; its twin a file on a disk\n"
		 "filesystem; the shared anonymous twin is MAP_SHARED|MAP_ANONYMOUS.",
	.run = run_reclaim,
};
