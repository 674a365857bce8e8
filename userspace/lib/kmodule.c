// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading vmlab.ko from a test.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kmodule.h"

/* Retry interval of vl_module_unload(). */
#define UNLOAD_RETRY_MS	100

bool vl_module_loaded(void)
{
	return access("/sys/module/vmlab", F_OK) == 0;
}

int vl_module_load(const char *args)
{
	const char *ko = getenv("VMLAB_KO");
	int fd, ret;

	if (!ko || !*ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* finit_module(2) has no libc wrapper. */
	ret = syscall(__NR_finit_module, fd, args, 0) ? -errno : 0;
	close(fd);
	return ret;
}

int vl_module_unload(unsigned int wait_ms)
{
	unsigned int waited = 0;
	int ret;

	for (;;) {
		/* delete_module(2) has no libc wrapper. */
		ret = syscall(__NR_delete_module, "vmlab", O_NONBLOCK) ? -errno : 0;
		if ((ret != -EWOULDBLOCK && ret != -EAGAIN) || waited >= wait_ms)
			return ret;
		usleep(UNLOAD_RETRY_MS * 1000);
		waited += UNLOAD_RETRY_MS;
	}
}
