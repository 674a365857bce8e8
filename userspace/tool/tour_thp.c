// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour, transparent huge pages: 4 MiB of a shared anonymous object
 * of policy always, whose 2 MiB folios come from the page allocator
 * through tmpfs (thp_file_alloc), against the same 4 MiB of the huge kind,
 * whose pages come from the hugetlb pool (HugePages_Free); 4 KiB pages by
 * request (MADV_NOHUGEPAGE); a real fallback to a 4 KiB page, forced by a
 * memory cgroup with no room for a 2 MiB charge (thp_file_fallback,
 * thp_file_fallback_charge); and a partial munmap, after which the rest of
 * the folio is mapped by 4 KiB entries.  The native twin is a file
 * on a tmpfs mounted with huge=always, unlinked once mapped.  A kernel
 * without THP (PREEMPT_RT) maps base pages everywhere, and says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "device.h"
#include "memcg.h"
#include "pagemap.h"
#include "smaps.h"
#include "touch.h"
#include "tour.h"

#define HPAGE		512	/* 4 KiB pages in 2 MiB */
#define NPAGES		(2 * HPAGE)
#define CUT		(HPAGE - 1)	/* the page the split step unmaps */

/* The tmpfs of the native twin, mounted in a directory of its own. */
struct thp_fs {
	char dir[64];
	bool mounted;
	bool huge;	/* mounted with huge=always (not on a kernel without THP) */
	int nfiles;
};

/* What one side's action did to the counters that tell where pages come from. */
struct origin {
	long long hp_free, thp_alloc, thp_fallback, thp_charge;
};

static bool have_thp(void)
{
	return !access("/sys/kernel/mm/transparent_hugepage", F_OK);
}

static void origin_read(struct origin *o)
{
	o->hp_free = meminfo("HugePages_Free");
	o->thp_alloc = vmstat_field("thp_file_alloc");
	o->thp_fallback = vmstat_field("thp_file_fallback");
	o->thp_charge = vmstat_field("thp_file_fallback_charge");
}

/* @b - @a, 0 when a counter is missing (-1: no THP, no hugetlb). */
static void origin_delta(struct origin *d, const struct origin *a, const struct origin *b)
{
	d->hp_free = a->hp_free < 0 || b->hp_free < 0 ? 0 : b->hp_free - a->hp_free;
	d->thp_alloc = a->thp_alloc < 0 || b->thp_alloc < 0 ? 0 : b->thp_alloc - a->thp_alloc;
	d->thp_fallback = a->thp_fallback < 0 || b->thp_fallback < 0 ? 0 :
			  b->thp_fallback - a->thp_fallback;
	d->thp_charge = a->thp_charge < 0 || b->thp_charge < 0 ? 0 :
			b->thp_charge - a->thp_charge;
}

static void origin_events(struct step *s, const struct origin d[2])
{
	step_event(s, "vmlab_hugepages_free", d[VMLAB].hp_free);
	step_event(s, "vmlab_thp_file_alloc", d[VMLAB].thp_alloc);
	step_event(s, "vmlab_thp_file_fallback", d[VMLAB].thp_fallback);
	step_event(s, "native_hugepages_free", d[NATIVE].hp_free);
	step_event(s, "native_thp_file_alloc", d[NATIVE].thp_alloc);
	step_event(s, "native_thp_file_fallback", d[NATIVE].thp_fallback);
	step_event(s, "vmlab_thp_file_fallback_charge", d[VMLAB].thp_charge);
	step_event(s, "native_thp_file_fallback_charge", d[NATIVE].thp_charge);
	step_note(s, "meminfo HugePages_Free (the hugetlb pool): vmlab %+lld, native %+lld",
		  d[VMLAB].hp_free, d[NATIVE].hp_free);
	if (vmstat_field("thp_file_alloc") < 0)
		step_note(s, "vmstat has no thp_file_alloc: this kernel has no THP");
	else
		step_note(s,
			  "vmstat thp_file_alloc: vmlab %+lld, native %+lld; thp_file_fallback: vmlab %+lld, native %+lld; thp_file_fallback_charge: vmlab %+lld, native %+lld",
			  d[VMLAB].thp_alloc, d[NATIVE].thp_alloc,
			  d[VMLAB].thp_fallback, d[NATIVE].thp_fallback,
			  d[VMLAB].thp_charge, d[NATIVE].thp_charge);
}

static int fs_mount(struct tour *t, struct thp_fs *fs)
{
	snprintf(fs->dir, sizeof(fs->dir), "/tmp/vmlab-tour-thp.XXXXXX");
	if (!mkdtemp(fs->dir))
		return tour_fail(t, -errno, "mkdtemp in /tmp: %s", strerror(errno));
	if (!mount("tmpfs", fs->dir, "tmpfs", 0, "huge=always")) {
		fs->huge = true;
	} else if (errno != EINVAL || have_thp() ||
		   mount("tmpfs", fs->dir, "tmpfs", 0, NULL)) {
		/* Without THP tmpfs refuses huge=: the twin is then a plain tmpfs. */
		int err = errno;

		rmdir(fs->dir);
		fs->dir[0] = '\0';
		return tour_fail(t, -err, "mounting a tmpfs for the native twin: %s%s",
				 strerror(err), err == EPERM ? " (run as root)" : "");
	}
	fs->mounted = true;
	return 0;
}

static void fs_unmount(struct thp_fs *fs)
{
	if (fs->mounted)
		umount2(fs->dir, MNT_DETACH);
	if (fs->dir[0])
		rmdir(fs->dir);
	fs->mounted = false;
	fs->dir[0] = '\0';
}

/*
 * A twin of @npages pages, both MAP_SHARED and read-write: a shared
 * anonymous object of policy always, and a file on @fs, unlinked once mapped
 * (on 6.12 a file unlinked before its mmap follows the anonymous shmem
 * knobs, not its mount's huge=); @advice, when not 0, is given to both
 * mappings before any access.
 */
static int thp_twin(struct tour *t, struct twin *tw, struct thp_fs *fs, size_t npages,
		    int advice)
{
	struct side *v = &tw->s[VMLAB], *n = &tw->s[NATIVE];
	char path[128];
	int ret, k;

	twin_init(t, tw, npages);
	ret = twin_reserve(t, tw);
	if (ret)
		return ret;
	v->fd = vl_open(O_RDWR | O_CLOEXEC);
	if (v->fd < 0)
		return tour_fail(t, v->fd, "%s: %s", VMLAB_DEVICE_PATH, strerror(-v->fd));
	ret = vl_select_thp(v->fd, VMLAB_THP_ALWAYS);
	if (ret)
		return tour_fail(t, ret, "VMLAB_IOC_SET_KIND anon, thp always: %s",
				 strerror(-ret));
	snprintf(path, sizeof(path), "%s/twin%d", fs->dir, fs->nfiles++);
	n->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (n->fd < 0)
		return tour_fail(t, -errno, "creating %s: %s", path, strerror(errno));
	snprintf(n->file, sizeof(n->file), "file on tmpfs%s, unlinked",
		 fs->huge ? " huge=always" : "");
	if (ftruncate(n->fd, (off_t)tw->len)) {
		ret = tour_fail(t, -errno, "ftruncate of %s: %s", path, strerror(errno));
		unlink(path);
		return ret;
	}
	ret = twin_map(t, tw, VMLAB, MAP_SHARED, PROT_READ | PROT_WRITE);
	if (!ret)
		ret = twin_map(t, tw, NATIVE, MAP_SHARED, PROT_READ | PROT_WRITE);
	unlink(path);
	if (ret)
		return ret;
	for (k = VMLAB; advice && k <= NATIVE; k++)
		if (madvise(tw->s[k].addr, tw->len, advice))
			return tour_fail(t, -errno, "madvise: %s", strerror(errno));
	snprintf(v->what + strlen(v->what), sizeof(v->what) - strlen(v->what),
		 ", thp always%s", advice == MADV_NOHUGEPAGE ? ", MADV_NOHUGEPAGE" : "");
	if (advice == MADV_NOHUGEPAGE)
		snprintf(n->what + strlen(n->what), sizeof(n->what) - strlen(n->what),
			 ", MADV_NOHUGEPAGE");
	return 0;
}

/* smaps ShmemPmdMapped (kB) summed over the VMAs of @side, -1 when unreadable. */
static long long pmd_mapped_kb(struct twin *tw, int side)
{
	unsigned long lo = (unsigned long)tw->s[side].area;
	unsigned long hi = lo + tw->s[side].area_len;
	struct vl_smaps *maps = NULL;
	long long kb = 0;
	size_t n = 0, i;

	if (vl_smaps_read(0, &maps, &n))
		return -1;
	for (i = 0; i < n; i++)
		if (maps[i].vma.start >= lo && maps[i].vma.end <= hi && maps[i].shmem_pmd_kb > 0)
			kb += maps[i].shmem_pmd_kb;
	free(maps);
	return kb;
}

/* Whether @side's smaps VmFlags hold @flag ("nh", "hg"). */
static bool vmflag(struct twin *tw, int side, const char *flag)
{
	const struct vl_smaps *m;
	struct vl_smaps *maps = NULL;
	size_t n = 0;
	bool ret = false;
	char *p;

	if (vl_smaps_read(0, &maps, &n))
		return false;
	m = vl_smaps_find(maps, n, (unsigned long)tw->s[side].addr);
	for (p = m ? strstr(m->vmflags, flag) : NULL; p; p = strstr(p + 1, flag))
		if ((p == m->vmflags || p[-1] == ' ') && (!p[2] || p[2] == ' '))
			ret = true;
	free(maps);
	return ret;
}

/* The level of page @f is @want; MAP_UNKNOWN counts as unchecked. */
static bool level_is(struct tour *t, struct step *s, const struct fact *f, size_t i,
		     enum map_level want)
{
	if (f->pg.level == MAP_UNKNOWN) {
		s->unchecked++;
		return true;
	}
	return step_expect_pfn(t, s, f->pg.level == want,
			       "page %zu is mapped by a %s entry, not %s", i,
			       map_level_name(f->pg.level), map_level_name(want));
}

/*
 * Pages [@first, +@n) of @side are part @first - @head.. of one compound page
 * of kind @kind whose head @head maps, each mapped at @level (MAP_NONE: any).
 */
static bool one_folio(struct tour *t, struct step *s, int side, size_t head, size_t first,
		      size_t n, enum page_kind kind, enum map_level level, uint64_t head_pfn)
{
	size_t i;

	for (i = first; i < first + n; i++) {
		const struct fact *f = step_fact(s, side, false, i);
		unsigned int part = i == head ? VL_KPF_COMPOUND_HEAD : VL_KPF_COMPOUND_TAIL;

		if (!step_expect(t, s, f->pg.present, "%s page %zu is not present",
				 side == VMLAB ? "vmlab" : "native", i))
			return false;
		if (!step_expect_pfn(t, s, f->pg.kind == kind && has_kpf(f, part) &&
				     f->pg.pfn == head_pfn + (i - head),
				     "%s page %zu (PFN %#llx, %s) is not part %zu of the %s page at %#llx",
				     side == VMLAB ? "vmlab" : "native", i,
				     (unsigned long long)f->pg.pfn, page_kind_name(f->pg.kind),
				     i - head, page_kind_name(kind), (unsigned long long)head_pfn))
			return false;
		if (level != MAP_NONE && !level_is(t, s, f, i, level))
			return false;
	}
	step_expect_pfn(t, s, head_pfn % HPAGE == 0, "the %s page's PFN %#llx is not aligned",
			page_kind_name(kind), (unsigned long long)head_pfn);
	return true;
}

/*
 * The walker's view of 2 MiB at page @first of @side: one PMD leaf with
 * PSE mapping a 2 MiB folio of @what, and no PTE table below it.
 */
static void expect_pmd(struct tour *t, struct step *s, int side, size_t first, int what)
{
	const struct vmlab_walk_entry *e;

	if (!step_expect_entry(t, s, side, false, first, VMLAB_LEVEL_PMD, what,
			       VMLAB_E_PRESENT | VMLAB_E_PSE | VMLAB_E_LEAF, 0))
		return;
	e = step_entry(s, side, false, first, VMLAB_LEVEL_PMD);
	step_expect(t, s, !e || e->order == 9,
		    "walker: the PMD at page %zu maps a folio of order %u", first,
		    e ? e->order : 0);
	step_expect_no_ptes(t, s, side, first, HPAGE);
}

/* Page @i of @side is a base page of tmpfs, mapped by a 4 KiB entry, reading @c. */
static bool base_page(struct tour *t, struct step *s, int side, size_t i, char c)
{
	const struct fact *f = step_fact(s, side, false, i);
	const char *who = side == VMLAB ? "vmlab" : "native";

	if (!step_expect(t, s, f->pg.present, "%s page %zu is not present", who, i))
		return false;
	step_expect(t, s, f->bytes_known && f->bytes[0] == c, "%s page %zu does not read '%c'",
		    who, i, c);
	step_expect_pfn(t, s, f->pg.kind == PK_SHMEM && !has_kpf(f, VL_KPF_COMPOUND_HEAD) &&
			!has_kpf(f, VL_KPF_COMPOUND_TAIL),
			"%s page %zu (%s) is not a base page of tmpfs", who, i,
			page_kind_name(f->pg.kind));
	step_expect_entry(t, s, side, false, i, VMLAB_LEVEL_PTE, VMLAB_WHAT_FILE, VMLAB_E_PRESENT,
			  0);
	return level_is(t, s, f, i, MAP_PTE);
}

static void write_halves(struct twin *tw, int side, char c)
{
	vl_write_byte(twin_page(tw, side, 0), c);
	vl_write_byte(twin_page(tw, side, HPAGE), c);
}

/* Step 1: where a THP comes from, and how it is mapped. Return: THPs were mapped. */
static bool step_thp(struct tour *t, struct twin *tw, bool thp, uint64_t *head_pfn)
{
	struct origin o[3], d[2];
	const struct fact *f0, *f1;
	long long kb[2];
	struct step *s;
	bool ok = false;
	int k;

	s = step_begin(t, "thp", "write 't' at 0 and at 2 MiB of each 4 MiB mapping");
	origin_read(&o[0]);
	write_halves(tw, VMLAB, 't');
	origin_read(&o[1]);
	write_halves(tw, NATIVE, 't');
	origin_read(&o[2]);
	origin_delta(&d[VMLAB], &o[0], &o[1]);
	origin_delta(&d[NATIVE], &o[1], &o[2]);
	step_observe(t, s, tw);
	origin_events(s, d);
	for (k = VMLAB; k <= NATIVE; k++)
		kb[k] = pmd_mapped_kb(tw, k);
	step_event(s, "vmlab_shmem_pmd_mapped_kb", kb[VMLAB]);
	step_event(s, "native_shmem_pmd_mapped_kb", kb[NATIVE]);
	step_note(s, "smaps ShmemPmdMapped: vmlab %lld kB, native %lld kB", kb[VMLAB],
		  kb[NATIVE]);
	f0 = step_fact(s, VMLAB, false, 0);
	f1 = step_fact(s, VMLAB, false, HPAGE);
	head_pfn[0] = f0->pg.pfn;
	head_pfn[1] = f1->pg.pfn;
	step_expect(t, s, f0->bytes_known && f0->bytes[0] == 't' && f1->bytes_known &&
		    f1->bytes[0] == 't', "the bytes written do not read 't'");
	if (!thp) {
		base_page(t, s, VMLAB, 0, 't');
		base_page(t, s, VMLAB, HPAGE, 't');
		step_say(s,
			 "this kernel has no transparent huge pages (PREEMPT_RT: THP depends on !PREEMPT_RT): vmlab accepts policy always and each write faulted one 4 KiB page of tmpfs into a 4 KiB entry%s; the native twin is a plain tmpfs (huge=always does not mount here)",
			 cnt(t, s, "", "faults_write_shared_anon", NULL));
	} else if (d[VMLAB].thp_fallback > 0) {
		/* The page allocator had no free 2 MiB: tmpfs fell back, as it may. */
		step_say(s,
			 "tmpfs could not allocate a 2 MiB folio for vmlab's object (thp_file_fallback %+lld) and fell back to 4 KiB pages, as it does under memory pressure or fragmentation: the mapping works, with 4 KiB entries",
			 d[VMLAB].thp_fallback);
	} else {
		ok = one_folio(t, s, VMLAB, 0, 0, HPAGE, PK_THP, MAP_PMD, head_pfn[0]) &&
		     one_folio(t, s, VMLAB, HPAGE, HPAGE, HPAGE, PK_THP, MAP_PMD, head_pfn[1]);
		expect_pmd(t, s, VMLAB, 0, VMLAB_WHAT_FILE);
		expect_pmd(t, s, VMLAB, HPAGE, VMLAB_WHAT_FILE);
		step_expect(t, s, d[VMLAB].thp_alloc >= 2,
			    "thp_file_alloc moved by %+lld for vmlab's two writes, not 2 or more",
			    d[VMLAB].thp_alloc);
		step_expect(t, s, kb[VMLAB] == 4096, "smaps ShmemPmdMapped is %lld kB, not 4096",
			    kb[VMLAB]);
		step_say(s,
			 "each write allocated one 2 MiB folio for the tmpfs file behind vmlab's object, from the page allocator (thp_file_alloc %+lld), not from the hugetlb pool (HugePages_Free %+lld), and mapped all 512 of its base pages with one PMD entry, PSE set, no PTE table below: PFNs %#llx-%#llx and %#llx-%#llx are two compound pages, a head and 511 tails each, kpageflags thp (not huge); ShmemPmdMapped %lld kB%s",
			 d[VMLAB].thp_alloc, d[VMLAB].hp_free,
			 (unsigned long long)head_pfn[0],
			 (unsigned long long)head_pfn[0] + HPAGE - 1,
			 (unsigned long long)head_pfn[1],
			 (unsigned long long)head_pfn[1] + HPAGE - 1, kb[VMLAB],
			 cnt(t, s, "", "faults_write_shared_anon", "huge_pmd_faults", NULL));
	}
	step_end(t, s);
	return ok;
}

/* Step 2: the same 4 MiB from the hugetlb pool, through the huge kind. */
static void step_hugetlb(struct tour *t, bool thp)
{
	struct origin o[3], d[2];
	const struct fact *f0, *f1;
	struct step *s;
	struct twin tw;
	long long free0;
	size_t i;
	int ret;

	s = step_begin(t, "hugetlb", "the same 4 MiB as the huge kind (native: MAP_HUGETLB); "
		       "write 'h' at 0 and at 2 MiB");
	twin_init(t, &tw, NPAGES);
	ret = twin_open_vmlab(t, &tw, VMLAB_KIND_HUGE);
	free0 = meminfo("HugePages_Free");
	if (ret) {
		step_skip(t, s, "the huge kind cannot be selected here: %s", t->why);
		t->why[0] = '\0';
		goto out;
	}
	if (free0 < 4) {
		step_skip(t, s,
			  "the hugetlb pool has %lld free pages, 4 are needed (boot with hugepages=N, or write N to /proc/sys/vm/nr_hugepages)",
			  free0);
		goto out;
	}
	ret = twin_reserve(t, &tw);
	origin_read(&o[0]);
	if (!ret)
		ret = twin_map(t, &tw, VMLAB, MAP_SHARED, PROT_READ | PROT_WRITE);
	if (!ret)
		write_halves(&tw, VMLAB, 'h');
	/* Without THP no PMD maps vmlab's page: read the rest to map it all. */
	for (i = 0; !ret && !thp && i < NPAGES; i++)
		vl_read_byte(twin_page(&tw, VMLAB, i));
	origin_read(&o[1]);
	if (!ret)
		ret = twin_map(t, &tw, NATIVE, MAP_SHARED | MAP_HUGETLB, PROT_READ | PROT_WRITE);
	if (!ret)
		write_halves(&tw, NATIVE, 'h');
	origin_read(&o[2]);
	if (ret) {
		step_abort(t, s, ret);
		t->why[0] = '\0';
		twin_close(&tw);
		return;
	}
	origin_delta(&d[VMLAB], &o[0], &o[1]);
	origin_delta(&d[NATIVE], &o[1], &o[2]);
	step_observe(t, s, &tw);
	origin_events(s, d);
	f0 = step_fact(s, VMLAB, false, 0);
	f1 = step_fact(s, VMLAB, false, HPAGE);
	one_folio(t, s, VMLAB, 0, 0, HPAGE, PK_HUGETLB, thp ? MAP_PMD : MAP_PTE, f0->pg.pfn);
	one_folio(t, s, VMLAB, HPAGE, HPAGE, HPAGE, PK_HUGETLB, thp ? MAP_PMD : MAP_PTE,
		  f1->pg.pfn);
	if (thp) {
		expect_pmd(t, s, VMLAB, 0, VMLAB_WHAT_HUGETLB);
		expect_pmd(t, s, VMLAB, HPAGE, VMLAB_WHAT_HUGETLB);
	}
	step_expect(t, s, f0->bytes_known && f0->bytes[0] == 'h', "byte 0 does not read 'h'");
	step_say(s,
		 "the huge kind's pages came from the hugetlb pool (HugePages_Free %+lld), not from the page allocator through tmpfs (thp_file_alloc %+lld%s): PFNs %#llx-%#llx and %#llx-%#llx are two 2 MiB pages, a head and 511 tails each, kpageflags huge (not thp), mapped by %s%s",
		 d[VMLAB].hp_free, d[VMLAB].thp_alloc, thp ? "" : ", no such counter here",
		 (unsigned long long)f0->pg.pfn,
		 (unsigned long long)f0->pg.pfn + HPAGE - 1, (unsigned long long)f1->pg.pfn,
		 (unsigned long long)f1->pg.pfn + HPAGE - 1,
		 thp ? "one PMD entry each" : "4 KiB entries (no PMD maps a file page without THP)",
		 cnt(t, s, "", "huge_pmd_faults", "faults_write_huge", "faults_read_huge", NULL));
out:
	step_end(t, s);
	twin_close(&tw);
}

/* Step 3: MADV_NOHUGEPAGE over policy always: 4 KiB pages, and it works. */
static void step_nohuge(struct tour *t, struct thp_fs *fs, bool thp)
{
	struct origin o[3], d[2];
	struct step *s;
	struct twin tw;
	bool nh;
	int ret;

	s = step_begin(t, "nohuge", thp ? "another 2 MiB of each, MADV_NOHUGEPAGE; write 'n' at 0" :
		       "another 2 MiB of each (MADV_NOHUGEPAGE is EINVAL without THP); write 'n' at 0");
	ret = thp_twin(t, &tw, fs, HPAGE, thp ? MADV_NOHUGEPAGE : 0);
	if (ret) {
		step_abort(t, s, ret);
		t->why[0] = '\0';
		twin_close(&tw);
		return;
	}
	origin_read(&o[0]);
	vl_write_byte(twin_page(&tw, VMLAB, 0), 'n');
	origin_read(&o[1]);
	vl_write_byte(twin_page(&tw, NATIVE, 0), 'n');
	origin_read(&o[2]);
	origin_delta(&d[VMLAB], &o[0], &o[1]);
	origin_delta(&d[NATIVE], &o[1], &o[2]);
	step_observe(t, s, &tw);
	origin_events(s, d);
	nh = vmflag(&tw, VMLAB, "nh");
	step_note(s,
		  "smaps ShmemPmdMapped: vmlab %lld kB, native %lld kB; VmFlags nh: vmlab %s, native %s",
		  pmd_mapped_kb(&tw, VMLAB), pmd_mapped_kb(&tw, NATIVE), nh ? "yes" : "no",
		  vmflag(&tw, NATIVE, "nh") ? "yes" : "no");
	base_page(t, s, VMLAB, 0, 'n');
	step_expect(t, s, nh || !thp, "vmlab's VMA has no nh in smaps' VmFlags");
	if (thp)
		step_say(s,
			 "MADV_NOHUGEPAGE set VM_NOHUGEPAGE (smaps VmFlags nh), which tmpfs honours over huge=always: tmpfs's ->fault, behind vmlab's, allocated a 4 KiB page (thp_file_alloc %+lld), mapped by a 4 KiB entry, and the mapping works as before, one fault per 4 KiB%s",
			 d[VMLAB].thp_alloc, cnt(t, s, "", "faults_write_shared_anon", NULL));
	else
		step_say(s,
			 "without THP there is no MADV_NOHUGEPAGE (madvise says EINVAL) and nothing to fall back from: tmpfs's ->fault, behind vmlab's, allocated a 4 KiB page, mapped by a 4 KiB entry, one fault per 4 KiB%s",
			 cnt(t, s, "", "faults_write_shared_anon", NULL));
	step_end(t, s);
	twin_close(&tw);
}

/* What the fallback step's child did, in memory it shares with the tour. */
struct fallback_run {
	struct twin *tw;
	const struct vl_memcg *cg;	/* NULL: the child stays where it is */
	int err;			/* -errno of joining @cg */
	bool written;
	struct origin d[2];		/* the counters' moves around each side's write */
};

/* In the child: join the tight cgroup, write 'f' at 0 of each side, and go. */
static void fallback_write(void *arg)
{
	struct fallback_run *r = arg;
	struct origin o[3];

	origin_read(&o[0]);	/* stdio's buffers are the tour's, not the cgroup's */
	if (r->cg) {
		r->err = vl_memcg_join(r->cg);
		if (r->err)
			return;
	}
	origin_read(&o[0]);
	vl_write_byte(twin_page(r->tw, VMLAB, 0), 'f');
	origin_read(&o[1]);
	vl_write_byte(twin_page(r->tw, NATIVE, 0), 'f');
	origin_read(&o[2]);
	origin_delta(&r->d[VMLAB], &o[0], &o[1]);
	origin_delta(&r->d[NATIVE], &o[1], &o[2]);
	r->written = true;
}

/*
 * Step 4: a fault that cannot have 2 MiB.  A child in a memory cgroup whose
 * memory.max (1 MiB) leaves no room for a 2 MiB charge writes a fresh 2 MiB
 * of each side and exits; the tour reads what it wrote.
 */
static void step_fallback(struct tour *t, struct thp_fs *fs, bool thp)
{
	struct fallback_run *r = MAP_FAILED;
	struct vl_memcg cg;
	long long kb[2][2];
	struct origin o[2], d;
	bool have_cg = false;
	char name[64] = "";
	struct step *s;
	struct twin tw;
	int ret, k, status;

	s = step_begin(t, "fallback",
		       "another 2 MiB of each; a child in a memory cgroup with memory.max 1M writes 'f' at 0 and exits; read it");
	twin_init(t, &tw, HPAGE);
	ret = vl_memcg_root(&cg);
	if (!ret) {
		snprintf(name, sizeof(name), "vmlab-tour.%d", (int)getpid());
		ret = vl_memcg_make(&cg, name, 1 << 20);
	}
	have_cg = !ret;
	if (ret && thp) {
		const char *why = ret == -ENODEV ?
			"cgroup2 has no memory controller: no memcg, or it is bound to cgroup v1" :
			strerror(-ret);

		step_skip(t, s,
			  "no memory cgroup to fail a 2 MiB charge in (%s): nothing here makes tmpfs fall back on demand, so the step shows nothing",
			  why);
		goto out;
	}
	ret = thp_twin(t, &tw, fs, HPAGE, 0);
	if (!ret) {
		r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			 -1, 0);
		if (r == MAP_FAILED)
			ret = tour_fail(t, -errno, "mmap: %s", strerror(errno));
	}
	if (ret) {
		step_abort(t, s, ret);
		s = NULL;
		t->why[0] = '\0';
		goto out;
	}
	memset(r, 0, sizeof(*r));
	r->tw = &tw;
	r->cg = have_cg ? &cg : NULL;
	for (k = VMLAB; k <= NATIVE; k++)
		kb[0][k] = pmd_mapped_kb(&tw, k);
	status = child_status(fallback_write, r);
	step_event(s, "child_exit", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* The tour's own faults map the page the child's left in each file. */
	origin_read(&o[0]);
	for (k = VMLAB; k <= NATIVE; k++)
		vl_read_byte(twin_page(&tw, k, 0));
	origin_read(&o[1]);
	origin_delta(&d, &o[0], &o[1]);
	step_observe(t, s, &tw);
	origin_events(s, r->d);
	for (k = VMLAB; k <= NATIVE; k++)
		kb[1][k] = pmd_mapped_kb(&tw, k);
	step_event(s, "vmlab_shmem_pmd_mapped_kb", kb[1][VMLAB]);
	step_event(s, "native_shmem_pmd_mapped_kb", kb[1][NATIVE]);
	step_note(s, "smaps ShmemPmdMapped: vmlab %lld -> %lld kB, native %lld -> %lld kB",
		  kb[0][VMLAB], kb[1][VMLAB], kb[0][NATIVE], kb[1][NATIVE]);
	if (thp)
		step_note(s,
			  "the tour's reads after the child: thp_file_alloc %+lld, thp_file_fallback %+lld",
			  d.thp_alloc, d.thp_fallback);
	step_expect(t, s, WIFEXITED(status) && !WEXITSTATUS(status) && r->written,
		    "the child did not write both sides (status %#x, %s)", status,
		    r->err ? strerror(-r->err) : "killed before the end");
	for (k = VMLAB; k <= NATIVE; k++) {
		const char *who = k == VMLAB ? "vmlab" : "native";

		base_page(t, s, k, 0, 'f');
		step_expect(t, s, kb[1][k] == kb[0][k],
			    "%s: smaps ShmemPmdMapped moved from %lld kB to %lld kB", who, kb[0][k],
			    kb[1][k]);
		if (!thp)
			continue;
		step_expect(t, s, r->d[k].thp_fallback == 1 && r->d[k].thp_charge == 1,
			    "%s: thp_file_fallback %+lld and thp_file_fallback_charge %+lld, not +1 each",
			    who, r->d[k].thp_fallback, r->d[k].thp_charge);
		step_expect(t, s, r->d[k].thp_alloc == 0, "%s: thp_file_alloc %+lld, not +0", who,
			    r->d[k].thp_alloc);
	}
	step_expect(t, s, !d.thp_alloc && !d.thp_fallback,
		    "the tour's reads moved thp_file_alloc by %+lld and thp_file_fallback by %+lld",
		    d.thp_alloc, d.thp_fallback);
	if (thp)
		step_say(s,
			 "the child's write asked tmpfs, behind vmlab's ->fault, for a 2 MiB folio that the memory cgroup could not be charged for (memory.max 1M): tmpfs counted a fallback (thp_file_fallback %+lld, thp_file_fallback_charge %+lld, thp_file_alloc %+lld), took a 4 KiB page and the fault succeeded; the child exited, and the tour's read mapped that page, 'f' and all, with a 4 KiB entry%s",
			 r->d[VMLAB].thp_fallback, r->d[VMLAB].thp_charge, r->d[VMLAB].thp_alloc,
			 cnt(t, s, "", "faults_write_shared_anon", "faults_read_shared_anon",
			     "map_pages_shared_anon", NULL));
	else
		step_say(s,
			 "without THP there is no 2 MiB folio to fall back from (vmstat has no thp_file_fallback)%s: the child's write took a 4 KiB page of tmpfs, as every fault here does, and the tour's read mapped it, 'f' and all, with a 4 KiB entry%s",
			 have_cg ? ", so the 1M memory cgroup had nothing to refuse" :
			 "; nor is there a memory cgroup here (the child stayed in the tour's)",
			 cnt(t, s, "", "faults_write_shared_anon", "faults_read_shared_anon",
			     "map_pages_shared_anon", NULL));
out:
	if (r != MAP_FAILED)
		munmap(r, sizeof(*r));
	twin_close(&tw);
	/* The files are gone with their pages: the cgroup holds nothing now. */
	ret = vl_memcg_destroy(&cg);
	if (s) {
		step_expect(t, s, !have_cg || !ret, "removing the cgroup %s: %s", name,
			    strerror(-ret));
		step_end(t, s);
	}
}

/* Step 5: munmap 4 KiB inside the first 2 MiB, and read the rest of it again. */
static void step_split(struct tour *t, struct twin *tw, bool thp, bool huge,
		       const uint64_t *head_pfn)
{
	long long split0, split1, kb[2];
	size_t i;
	struct step *s;
	int k;

	if (thp)
		s = step_begin(t, "split",
			       "munmap 4 KiB at %u KiB, then read the other %u pages of the first 2 MiB",
			       CUT * 4, HPAGE - 1);
	else
		s = step_begin(t, "split", "munmap 4 KiB at %u KiB", CUT * 4);
	split0 = vmstat_field("thp_split_pmd");
	for (k = VMLAB; k <= NATIVE; k++) {
		if (munmap(twin_page(tw, k, CUT), t->ps)) {
			tour_fail(t, -errno, "munmap: %s", strerror(errno));
			step_abort(t, s, -EIO);
			t->why[0] = '\0';
			return;
		}
		/* Without THP they are 4 KiB pages already: nothing to show. */
		for (i = 0; thp && i < HPAGE; i++)
			if (i != CUT)
				vl_read_byte(twin_page(tw, k, i));
	}
	split1 = vmstat_field("thp_split_pmd");
	step_observe(t, s, tw);
	for (k = VMLAB; k <= NATIVE; k++)
		kb[k] = pmd_mapped_kb(tw, k);
	step_event(s, "thp_split_pmd", split0 < 0 || split1 < 0 ? 0 : split1 - split0);
	step_event(s, "vmlab_shmem_pmd_mapped_kb", kb[VMLAB]);
	step_event(s, "native_shmem_pmd_mapped_kb", kb[NATIVE]);
	step_note(s,
		  "vmstat thp_split_pmd %+lld (both sides); smaps ShmemPmdMapped, summed over the VMAs: vmlab %lld kB, native %lld kB",
		  split0 < 0 || split1 < 0 ? 0 : split1 - split0, kb[VMLAB], kb[NATIVE]);
	step_expect(t, s, !step_fact(s, VMLAB, false, CUT)->pg.present,
		    "page %u is still present after its munmap", CUT);
	if (!huge) {
		for (i = 0; i < (thp ? HPAGE : 1); i++) {
			const struct fact *f = step_fact(s, VMLAB, false, i);

			if (i != CUT &&
			    !step_expect(t, s, f->pg.present, "page %zu is not present", i))
				break;
		}
		if (thp)
			step_say(s,
				 "these were 4 KiB pages already: munmap took one 4 KiB entry away, and the reads mapped the others%s",
				 cnt(t, s, "", "faults_read_shared_anon", NULL));
		else
			step_say(s,
				 "without THP there was no PMD to split: munmap took away a page that was not even mapped, and page 0 keeps its 4 KiB entry");
		step_end(t, s);
		return;
	}
	one_folio(t, s, VMLAB, 0, 0, CUT, PK_THP, MAP_PTE, head_pfn[0]);
	one_folio(t, s, VMLAB, HPAGE, HPAGE, HPAGE, PK_THP, MAP_PMD, head_pfn[1]);
	step_expect_entry(t, s, VMLAB, false, 0, VMLAB_LEVEL_PTE, VMLAB_WHAT_FILE, VMLAB_E_PRESENT,
			  0);
	step_expect_entry(t, s, VMLAB, false, 0, VMLAB_LEVEL_PMD, VMLAB_WHAT_TABLE,
			  VMLAB_E_PRESENT, VMLAB_E_PSE);
	expect_pmd(t, s, VMLAB, HPAGE, VMLAB_WHAT_FILE);
	step_expect(t, s, kb[VMLAB] == 2048, "smaps ShmemPmdMapped is %lld kB, not 2048",
		    kb[VMLAB]);
	step_say(s,
		 "munmap of 4 KiB cannot keep a PMD entry over the first 2 MiB: the kernel split the PMD (for a file page it just drops it) and the reads faulted the rest back with 4 KiB entries, %u PTEs in a new PTE table the PMD entry now points at; the folio was not split: PFNs %#llx-%#llx are still its head and tails, kpageflags thp; the second 2 MiB keeps its PMD (ShmemPmdMapped %lld kB)%s",
		 HPAGE - 1, (unsigned long long)head_pfn[0],
		 (unsigned long long)head_pfn[0] + CUT - 1, kb[VMLAB],
		 cnt(t, s, "", "faults_read_shared_anon", "map_pages_shared_anon", NULL));
	step_end(t, s);
}

static int run_thp(struct tour *t)
{
	struct thp_fs fs = { .mounted = false };
	uint64_t head_pfn[2] = { 0, 0 };
	struct vmlab_info info;
	bool thp = have_thp(), huge;
	struct step *s;
	struct twin tw;
	int ret;

	twin_init(t, &tw, NPAGES);
	ret = fs_mount(t, &fs);
	if (ret) {
		ret = TOUR_UNAVAILABLE;
		goto out;
	}
	s = step_begin(t, "mmap", "mmap 4 MiB, MAP_SHARED, and touch nothing");
	ret = thp_twin(t, &tw, &fs, NPAGES, 0);
	if (ret) {
		step_abort(t, s, ret);
		goto out;
	}
	step_observe(t, s, &tw);
	if (vl_info(tw.s[VMLAB].fd, &info))
		info.thp = 0;
	step_expect(t, s, info.thp == VMLAB_THP_ALWAYS, "info.thp is %s, not always",
		    vl_thp_name(info.thp));
	step_expect(t, s, !((uintptr_t)twin_page(&tw, VMLAB, 0) & ((2UL << 20) - 1)),
		    "the mapping is not 2 MiB-aligned");
	step_expect(t, s, !step_fact(s, VMLAB, false, 0)->pg.present,
		    "a page is mapped before any access");
	if (thp)
		step_say(s,
			 "mmap mapped nothing yet; vmlab's object has policy always (info.thp %s), a tmpfs file of vmlab's own mount with huge=always; both mappings start on a 2 MiB boundary, so each 2 MiB can get one PMD entry",
			 vl_thp_name(info.thp));
	else
		step_say(s,
			 "mmap mapped nothing yet; this kernel has no THP, so policy always is accepted but will map 4 KiB pages");
	step_end(t, s);

	huge = step_thp(t, &tw, thp, head_pfn);
	step_hugetlb(t, thp);
	step_nohuge(t, &fs, thp);
	step_fallback(t, &fs, thp);
	step_split(t, &tw, thp, huge, head_pfn);
	ret = 0;
out:
	twin_close(&tw);
	fs_unmount(&fs);
	return ret;
}

const struct section section_thp = {
	.name = "thp",
	.title = "transparent huge pages",
	.intro = "A shared anonymous object of policy always is a tmpfs file whose 2 MiB folios\n"
		 "come from the page allocator (vmstat thp_file_alloc), where the huge kind's\n"
		 "come from the hugetlb pool (meminfo HugePages_Free); each 2 MiB is mapped by\n"
		 "one PMD entry, unless MADV_NOHUGEPAGE asks for 4 KiB pages, or no 2 MiB can\n"
		 "be had (here: a memory cgroup with no room for a 2 MiB charge) and the fault\n"
		 "falls back to a 4 KiB page (thp_file_fallback), or a partial munmap splits\n"
		 "the PMD. The native twin is a file on a tmpfs mounted with huge=always,\n"
		 "unlinked once mapped. A kernel without THP (PREEMPT_RT) maps 4 KiB pages\n"
		 "throughout.",
	.run = run_thp,
};
