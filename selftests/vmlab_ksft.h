/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a vmlab test program needs before its first test: root and
 * /dev/vmlab.  Without either the program skips as a whole, before the
 * harness runs a test, with kselftest's exit status 4 (KSFT_SKIP), as
 * tools/testing/selftests expects of a test whose module is not loaded.
 * Every test program includes this header after kselftest_harness.h, but
 * lib_test, whose tests need no module.  Not in the vm-run guests: see below.
 */
#ifndef _VMLAB_KSFT_H
#define _VMLAB_KSFT_H

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "kmodule.h"
#include "vmlab_uapi.h"

static void __attribute__((constructor)) vmlab_ksft_require(void)
{
	const char *ko = getenv("VMLAB_KO");

	/*
	 * The vm-run guests (scripts/guest-job) load vmlab before the tests
	 * and say so in VMLAB_KO: there a missing device is the tests' failure
	 * (an earlier program that unloaded vmlab and could not load it back),
	 * not a skip.
	 */
	if (ko && *ko)
		return;
	if (geteuid())
		ksft_exit_skip("vmlab tests need root (debugfs, kpageflags, module loads)\n");
	if (access(VMLAB_DEVICE_PATH, F_OK))
		ksft_exit_skip("%s: %s: vmlab is not loaded (modprobe vmlab)\n",
			       VMLAB_DEVICE_PATH, strerror(errno));
}

/*
 * Run the shell command made of @fmt and its arguments (at most 1023
 * bytes).  Return: its exit status, or -1 when it could not run or did
 * not exit.
 */
static inline int vmlab_ksft_run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/*
 * Keep the calling thread on the CPU it runs on now (CPU 0 when that is
 * unknown): per-CPU batches and free lists (the LRU's, the slab's) then
 * see all of a test's work.  Return: 0 or -errno.
 */
static inline int vmlab_ksft_one_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/*
 * Unload vmlab and load it again with @args (a string of module
 * parameters); the test fails at once when either cannot be done.  For
 * test programs, which include kselftest_harness.h first.
 */
#define vmlab_ksft_reload(args) do {						\
	const char *__args = (args);						\
	int __ret = vl_module_unload(5000);					\
										\
	ASSERT_EQ(0, __ret) {							\
		TH_LOG("rmmod vmlab: %s", strerror(-__ret));			\
	}									\
	__ret = vl_module_load(__args);						\
	ASSERT_EQ(0, __ret) {							\
		TH_LOG("insmod vmlab %s: %s", __args, strerror(-__ret));	\
	}									\
} while (0)

/*
 * After a test that loaded vmlab with parameters (backing=, ...), once its
 * process is gone: load vmlab again with none and remove @backing.  For
 * test programs, which include kselftest_harness.h first.
 */
#define vmlab_ksft_reload_default(backing) do {					\
	int __ret;								\
										\
	if (vl_module_loaded()) {						\
		/* The test's references go with its process; wait a little. */	\
		__ret = vl_module_unload(5000);					\
		EXPECT_EQ(0, __ret) {						\
			TH_LOG("rmmod vmlab: %s", strerror(-__ret));		\
		}								\
	}									\
	__ret = vl_module_load("");						\
	EXPECT_EQ(0, __ret) {							\
		TH_LOG("insmod %s: %s", getenv("VMLAB_KO"), strerror(-__ret));	\
	}									\
	unlink(backing);							\
} while (0)

#endif /* _VMLAB_KSFT_H */
