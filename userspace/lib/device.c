// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for opening, configuring and mapping /dev/vmlab.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"

int vl_open(int flags)
{
	int fd = open(VMLAB_DEVICE_PATH, flags);

	return fd < 0 ? -errno : fd;
}

int vl_select(int fd, unsigned int kind, int huge_fd)
{
	struct vmlab_select sel;

	memset(&sel, 0, sizeof(sel));
	sel.kind = kind;
	sel.huge_fd = huge_fd;
	if (ioctl(fd, VMLAB_IOC_SET_KIND, &sel) < 0)
		return -errno;
	return 0;
}

int vl_select_thp(int fd, unsigned int thp)
{
	struct vmlab_select sel;

	memset(&sel, 0, sizeof(sel));
	sel.kind = VMLAB_KIND_ANON;
	sel.huge_fd = -1;
	sel.thp = thp;
	if (ioctl(fd, VMLAB_IOC_SET_KIND, &sel) < 0)
		return -errno;
	return 0;
}

const char *vl_thp_name(unsigned int thp)
{
	static const char *const names[VL_NR_THP] = {
		[VMLAB_THP_DEFAULT] = "default",
		[VMLAB_THP_NEVER] = "never",
		[VMLAB_THP_ALWAYS] = "always",
		[VMLAB_THP_WITHIN_SIZE] = "within_size",
		[VMLAB_THP_ADVISE] = "advise",
		[VMLAB_THP_INHERIT] = "inherit",
	};

	return thp < VL_NR_THP ? names[thp] : "?";
}

int vl_info(int fd, struct vmlab_info *info)
{
	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	if (ioctl(fd, VMLAB_IOC_GET_INFO, info) < 0)
		return -errno;
	return 0;
}

void *vl_map(int fd, unsigned int kind, size_t len, int prot, int flags,
	     off_t off)
{
	struct vmlab_info info;
	int ret;

	ret = vl_select(fd, kind, -1);
	if (ret == -EBUSY) {
		/* Already mapped: fine if it already has the kind we want. */
		ret = vl_info(fd, &info);
		if (!ret && info.kind != kind)
			ret = -EBUSY;
	}
	if (ret) {
		errno = -ret;
		return MAP_FAILED;
	}
	return mmap(NULL, len, prot, flags, fd, off);
}

const char *vl_kind_name(unsigned int kind)
{
	switch (kind) {
	case VMLAB_KIND_STORE:
		return "store";
	case VMLAB_KIND_ANON:
		return "anon";
	case VMLAB_KIND_HUGE:
		return "huge";
	default:
		return "unknown";
	}
}

int vl_device_grant(gid_t gid)
{
	if (chown(VMLAB_DEVICE_PATH, 0, gid) || chmod(VMLAB_DEVICE_PATH, 0660))
		return -errno;
	return 0;
}

int vl_device_ungrant(void)
{
	if (chown(VMLAB_DEVICE_PATH, 0, 0) || chmod(VMLAB_DEVICE_PATH, 0600))
		return -errno;
	return 0;
}
