// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tool: the checks every command makes before it starts, and the
 * messages that say plainly what is missing and how to get it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "debugfs.h"
#include "pagemap.h"
#include "vmlab_uapi.h"
#include "tool.h"

#define DEBUGFS_MOUNT	"/sys/kernel/debug"
#define DEBUGFS_MAGIC	0x64626720

int vx_error(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vmlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

void vx_note(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vmlab: note: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int vx_need_device(void)
{
	int fd = open(VMLAB_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return VX_OK;
	}
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
		return vx_error(VX_NO_MODULE,
				"%s: %s: module not loaded: " VX_LOAD_HINT,
				VMLAB_DEVICE_PATH, strerror(errno));
	if (errno == EACCES || errno == EPERM)
		return vx_error(VX_PERM,
				"%s: %s: run as root, or join the group the device's udev rule grants (vmlab)",
				VMLAB_DEVICE_PATH, strerror(errno));
	return vx_error(VX_FAIL, "%s: %s", VMLAB_DEVICE_PATH, strerror(errno));
}

/* Why the counters cannot be read, and the exit status that goes with it. */
static const char *debugfs_check(int *status)
{
	struct statfs sfs;

	if (statfs(DEBUGFS_MOUNT, &sfs) || sfs.f_type != DEBUGFS_MAGIC) {
		*status = VX_NO_DEBUGFS;
		return "debugfs not mounted at " DEBUGFS_MOUNT
		       ": run sudo mount -t debugfs none " DEBUGFS_MOUNT;
	}
	if (!access(VL_COUNTERS_PATH, R_OK)) {
		*status = VX_OK;
		return NULL;
	}
	if (errno == EACCES || errno == EPERM) {
		*status = VX_PERM;
		return VMLAB_DEBUGFS_PATH " is readable by root only: run with sudo";
	}
	*status = VX_NO_MODULE;
	return VMLAB_DEBUGFS_PATH " is missing: module not loaded: " VX_LOAD_HINT;
}

int vx_need_debugfs(void)
{
	int status;
	const char *why = debugfs_check(&status);

	return why ? vx_error(status, "%s", why) : VX_OK;
}

const char *vx_debugfs_problem(void)
{
	int status;

	return debugfs_check(&status);
}

int vx_process_error(int pid, int err)
{
	if (err == -ENOENT || err == -ESRCH)
		return vx_error(VX_NO_PROCESS, "process %d: no such process (gone?)", pid);
	if (err == -EACCES || err == -EPERM)
		return vx_error(VX_PERM,
				"process %d: %s: run as root to inspect another user's process",
				pid, strerror(-err));
	return vx_error(VX_FAIL, "process %d: %s", pid, strerror(-err));
}

bool vx_pfns_visible(void)
{
	static int visible = -1;
	int fd;

	if (visible >= 0)
		return visible;
	visible = 0;
	fd = vl_kpageflags_open();
	if (vl_have_pfns() && fd >= 0)
		visible = 1;
	if (fd >= 0)
		close(fd);
	if (!visible)
		vx_note("%s",
			"not running as root: PFNs and kpageflags are hidden, so they are not shown (pagemap reports PFN 0 to unprivileged readers); run with sudo to see them");
	return visible;
}
