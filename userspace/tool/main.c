// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab: the command-line tool of the vmlab kernel module.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmlab_uapi.h"
#include "debugfs.h"

static int print_usage(FILE *out, int status)
{
	fprintf(out,
		"usage: vmlab COMMAND\n"
		"  tour    walk through every mapping type with live numbers\n"
		"  stat    show vmlab's debugfs counters\n"
		"exit status: 0 success, 1 failure, 2 usage error\n");
	return status;
}

static int cmd_stat(void)
{
	struct vl_counters c;
	size_t i;
	int ret;

	ret = vl_counters_read(&c);
	if (ret) {
		fprintf(stderr, "vmlab: cannot read %s/counters: %s\n",
			VMLAB_DEBUGFS_PATH, strerror(-ret));
		return 1;
	}
	for (i = 0; i < c.n; i++)
		printf("%-32s %llu\n", c.c[i].name, (unsigned long long)c.c[i].value);
	return 0;
}

static int cmd_tour(void)
{
	int fd;

	fd = open(VMLAB_DEVICE_PATH, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "vmlab: %s: %s\n", VMLAB_DEVICE_PATH, strerror(errno));
		fprintf(stderr, "vmlab: module not loaded: run sudo insmod module/vmlab.ko\n");
		return 1;
	}
	printf("opened %s as fd %d\n", VMLAB_DEVICE_PATH, fd);
	printf("debugfs %s:\n", VMLAB_DEBUGFS_PATH);
	cmd_stat();
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return print_usage(stderr, 2);
	if (!strcmp(argv[1], "tour"))
		return cmd_tour();
	if (!strcmp(argv[1], "stat"))
		return cmd_stat();
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return print_usage(stdout, 0);
	return print_usage(stderr, 2);
}
