// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tour: a vmlab mapping and its native twin, and the files behind
 * them.  Each side lives in a PROT_NONE reservation of its own, at the same
 * offset from a 2 MiB boundary, so that no neighbour merges with it and
 * fault-around sees the same window on both sides.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "device.h"
#include "pagemap.h"
#include "procfs.h"
#include "touch.h"
#include "tour.h"

#define SZ_2M		(2UL << 20)
#define SMALL_OFFSET	(64UL << 10)	/* of a small region from its 2 MiB boundary */

void twin_init(struct tour *t, struct twin *tw, size_t npages)
{
	memset(tw, 0, sizeof(*tw));
	tw->npages = npages < TOUR_MAX_PAGES ? npages : TOUR_MAX_PAGES;
	tw->len = tw->npages * t->ps;
	tw->s[VMLAB].fd = -1;
	tw->s[NATIVE].fd = -1;
}

int twin_reserve(struct tour *t, struct twin *tw)
{
	int i;

	for (i = VMLAB; i <= NATIVE; i++) {
		struct side *s = &tw->s[i];
		uintptr_t base;

		s->area_len = tw->len + 2 * SZ_2M;
		s->area = mmap(NULL, s->area_len, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (s->area == MAP_FAILED) {
			s->area = NULL;
			return tour_fail(t, -errno, "reserving address space: %s", strerror(errno));
		}
		base = ((uintptr_t)s->area + SZ_2M - 1) & ~(SZ_2M - 1);
		s->addr = (char *)base + (tw->len < SZ_2M ? SMALL_OFFSET : 0);
	}
	return 0;
}

int twin_open_vmlab(struct tour *t, struct twin *tw, unsigned int kind)
{
	struct side *s = &tw->s[VMLAB];
	int ret;

	s->fd = vl_open(O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		return tour_fail(t, s->fd, "%s: %s", VMLAB_DEVICE_PATH, strerror(-s->fd));
	ret = vl_select(s->fd, kind, -1);
	if (ret)
		return tour_fail(t, ret, "VMLAB_IOC_SET_KIND %s: %s", vl_kind_name(kind),
				 strerror(-ret));
	return 0;
}

int twin_open_memfd(struct tour *t, struct twin *tw, unsigned int flags)
{
	struct side *s = &tw->s[NATIVE];

	s->fd = memfd_create("vmlab-tour", MFD_CLOEXEC | flags);
	if (s->fd < 0)
		return tour_fail(t, -errno, "memfd_create: %s", strerror(errno));
	if (ftruncate(s->fd, (off_t)tw->len))
		return tour_fail(t, -errno, "ftruncate of the memfd: %s", strerror(errno));
	s->backed = true;
	s->off = 0;
	return 0;
}

int twin_use_store(struct tour *t, struct twin *tw)
{
	struct side *s = &tw->s[VMLAB];
	off_t step = (off_t)((tw->len + SZ_2M - 1) & ~(SZ_2M - 1));

	if (t->store_next + step > (off_t)t->info.store_size)
		t->store_next = 0;
	if (step > (off_t)t->info.store_size)
		return tour_fail(t, -ENOSPC, "the store (%llu bytes) is smaller than %zu bytes",
				 (unsigned long long)t->info.store_size, tw->len);
	s->backed = true;
	s->off = t->store_next;
	t->store_next += step;
	return 0;
}

int twin_fill(struct tour *t, struct twin *tw, char first)
{
	char *buf = malloc(t->ps);
	size_t i;
	int k;

	if (!buf)
		return tour_fail(t, -ENOMEM, "out of memory");
	for (k = VMLAB; k <= NATIVE; k++) {
		struct side *s = &tw->s[k];

		if (!s->backed)
			continue;
		for (i = 0; i < tw->npages; i++) {
			memset(buf, first + (int)i, t->ps);
			if (pwrite(s->fd, buf, t->ps, s->off + (off_t)(i * t->ps)) !=
			    (ssize_t)t->ps) {
				free(buf);
				return tour_fail(t, -errno, "writing the %s file: %s",
						 k == VMLAB ? "vmlab" : "native", strerror(errno));
			}
		}
	}
	free(buf);
	return 0;
}

/**
 * twin_setup_store() - a store twin, ready to map: vmlab's store and a memfd
 * @t: the tour
 * @tw: the twin, made for @npages pages
 * @npages: pages per side
 *
 * Both files hold 'A' + i in page i; the store's pages are written back, so
 * that periodic write-back does not lock them while fault-around looks at
 * them (it skips locked pages); and their PFNs are probed.
 *
 * Return: 0, or what tour_fail() returned.
 */
int twin_setup_store(struct tour *t, struct twin *tw, size_t npages)
{
	int ret;

	twin_init(t, tw, npages);
	ret = twin_reserve(t, tw);
	if (!ret)
		ret = twin_open_vmlab(t, tw, VMLAB_KIND_STORE);
	if (!ret)
		ret = twin_use_store(t, tw);
	if (!ret)
		ret = twin_open_memfd(t, tw, 0);
	if (!ret)
		ret = twin_fill(t, tw, 'A');
	if (!ret && ioctl(tw->s[VMLAB].fd, VMLAB_IOC_WRITEBACK))
		ret = tour_fail(t, -errno, "VMLAB_IOC_WRITEBACK: %s", strerror(errno));
	if (!ret)
		ret = twin_probe(t, tw);
	return ret;
}

int twin_probe(struct tour *t, struct twin *tw)
{
	size_t i;
	int k;

	if (!t->pfns)
		return 0;
	for (k = VMLAB; k <= NATIVE; k++) {
		struct side *s = &tw->s[k];
		char *p;

		if (!s->backed)
			continue;
		p = mmap(NULL, tw->len, PROT_READ, MAP_SHARED, s->fd, s->off);
		if (p == MAP_FAILED)
			return tour_fail(t, -errno, "probing the %s file: %s",
					 k == VMLAB ? "vmlab" : "native", strerror(errno));
		for (i = 0; i < tw->npages; i++)
			vl_read_byte(p + i * t->ps);
		pages_own_pfns(p, tw->npages, s->backing_pfn);
		munmap(p, tw->len);
	}
	return 0;
}

static void flags_str(int flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", flags & MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE",
		 flags & MAP_POPULATE ? "|MAP_POPULATE" : "",
		 flags & MAP_LOCKED ? "|MAP_LOCKED" : "",
		 flags & MAP_HUGETLB ? "|MAP_HUGETLB" : "");
}

int twin_map(struct tour *t, struct twin *tw, int side, int flags, int prot)
{
	struct side *s = &tw->s[side];
	struct vmlab_info info = { .kind = VMLAB_KIND_STORE };
	char fl[64], where[48] = "";
	void *p;

	if (s->fd < 0)
		flags |= MAP_ANONYMOUS;
	p = mmap(s->addr, tw->len, prot, flags | MAP_FIXED, s->fd, s->fd < 0 ? 0 : s->off);
	flags_str(flags, fl, sizeof(fl));
	if (side == VMLAB && !vl_info(s->fd, &info) && info.kind == VMLAB_KIND_STORE)
		snprintf(where, sizeof(where), ", store offset %lld KiB", (long long)s->off >> 10);
	if (side == VMLAB)
		snprintf(s->what, sizeof(s->what), "/dev/vmlab kind %s, %s, %zu pages at %p%s",
			 vl_kind_name(info.kind), fl, tw->npages, s->addr, where);
	else
		snprintf(s->what, sizeof(s->what), "%s, %s, %zu pages at %p",
			 s->fd < 0 ? "anonymous" : s->file[0] ? s->file : "memfd (tmpfs)", fl,
			 tw->npages, s->addr);
	if (p == MAP_FAILED)
		return tour_fail(t, -errno, "mmap of %s: %s", s->what, strerror(errno));
	s->prot = prot;
	s->mapped = true;
	return 0;
}

void twin_unmap(struct twin *tw)
{
	int k;

	for (k = VMLAB; k <= NATIVE; k++) {
		if (tw->s[k].area)
			munmap(tw->s[k].area, tw->s[k].area_len);
		tw->s[k].area = NULL;
		tw->s[k].mapped = false;
	}
}

void twin_close(struct twin *tw)
{
	int k;

	twin_unmap(tw);
	for (k = VMLAB; k <= NATIVE; k++) {
		if (tw->s[k].fd >= 0)
			close(tw->s[k].fd);
		tw->s[k].fd = -1;
	}
}

char *twin_page(struct twin *tw, int side, size_t page)
{
	return tw->s[side].addr + page * (tw->len / tw->npages);
}

int twin_store_byte(struct tour *t, struct twin *tw, size_t page)
{
	struct side *s = &tw->s[VMLAB];
	unsigned char c;

	if (pread(s->fd, &c, 1, s->off + (off_t)(page * t->ps)) != 1)
		return -errno;
	return c;
}

int child_status(void (*fn)(void *arg), void *arg)
{
	int status = -1;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

long long vmlck_kb(void)
{
	long long v = -1;

	vl_status_field(0, "VmLck", &v);
	return v;
}

long long meminfo(const char *field)
{
	long long v = -1;

	vl_meminfo_field(field, &v);
	return v;
}

/* A /proc/vmstat counter, -1 when it cannot be read. */
long long vmstat_field(const char *field)
{
	long long v;

	return vl_vmstat_field(field, &v) ? -1 : v;
}

/* The number in a one-number file such as /proc/sys/vm/..., -1 when unreadable. */
long proc_long(const char *path)
{
	FILE *fp = fopen(path, "re");
	long v = -1;

	if (!fp)
		return -1;
	if (fscanf(fp, "%ld", &v) != 1)
		v = -1;
	fclose(fp);
	return v;
}
