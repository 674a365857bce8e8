/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlab tool: exit statuses, the commands, and the checks and messages
 * they share.
 */
#ifndef _VMLAB_TOOL_H
#define _VMLAB_TOOL_H

#include <stdbool.h>

/* Exit statuses, as vmlab --help documents them. */
enum vx_status {
	VX_OK = 0,		/* done, and everything was as expected */
	VX_FAIL = 1,		/* a step found something unexpected, or an operation failed */
	VX_USAGE = 2,		/* bad command line */
	VX_NO_MODULE = 3,	/* vmlab is not loaded: no /dev/vmlab */
	VX_NO_DEBUGFS = 4,	/* debugfs is not mounted at /sys/kernel/debug */
	VX_PERM = 5,		/* not allowed: needs root */
	VX_NO_PROCESS = 6,	/* no such process */
};

/*
 * What to do when vmlab is not loaded: modprobe once it is installed (DKMS
 * or make modules_install), insmod in a source tree.
 */
#define VX_LOAD_HINT	"run sudo modprobe vmlab (in a source tree: sudo insmod module/vmlab.ko)"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

int cmd_tour(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_walk(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_fuzz(int argc, char **argv);

/* main.c: the help texts. */
int usage_of(const char *command, bool to_stdout, int status);

/* errors.c */

/* vx_error() - print "vmlab: MESSAGE" on stderr and return @status. */
int vx_error(int status, const char *fmt, ...);

/* vx_note() - print "vmlab: note: MESSAGE" on stderr. */
void vx_note(const char *fmt, ...);

/*
 * vx_need_device() - check that /dev/vmlab can be opened read-write
 *
 * Return: VX_OK, or the status after printing why not (VX_NO_MODULE, VX_PERM).
 */
int vx_need_device(void);

/*
 * vx_need_debugfs() - check that vmlab's debugfs files can be read
 *
 * Return: VX_OK, or the status after printing why not (VX_NO_DEBUGFS when
 * debugfs is not mounted, VX_PERM when not root, VX_NO_MODULE when vmlab's
 * directory is missing).
 */
int vx_need_debugfs(void);

/*
 * vx_debugfs_problem() - why vmlab's debugfs files cannot be read, in words
 *
 * Return: NULL when they can, else a sentence for a note.
 */
const char *vx_debugfs_problem(void);

/*
 * vx_process_error() - report that process @pid could not be read
 * @pid: the process
 * @err: the negative errno of opening one of its /proc files
 *
 * Return: VX_NO_PROCESS or VX_PERM or VX_FAIL.
 */
int vx_process_error(int pid, int err);

/*
 * vx_pfns_visible() - whether pagemap shows PFNs and kpageflags can be read;
 * the first call that finds they cannot prints a note saying so, once.
 */
bool vx_pfns_visible(void);

#endif /* _VMLAB_TOOL_H */
