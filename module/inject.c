// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab's fault injection: every fallible step of the module asks
 * vmlab_inject() first, and fails as if the step had failed when told to.
 *
 * Controls, in /sys/kernel/debug/vmlab/inject/ (root only):
 *
 * nth          write N > 0: the Nth matching call from now fails, once;
 *              reads the calls left before it (0: nothing armed)
 * probability  write P in 0..100: each matching call fails with P percent
 *              chance (0, the default, turns this off)
 * pid          write a process ID: only calls made by that process's
 *              threads, or by a kernel thread writing back the store for
 *              them (fsync, msync), match (as seen from the initial PID
 *              namespace); 0, the default, matches every task
 * point        write a point's name: only calls at that point match;
 *              "all", the default, matches every point
 * points       one line per point: name, calls (while armed, see below),
 *              failures injected; any write zeroes the numbers
 * fail_attr/   on kernels with CONFIG_FAULT_INJECTION_DEBUG_FS, the kernel's
 *              own fault_attr knobs (probability, times, task-filter, ...)
 *              for every point at once
 *
 * A disarmed hook costs a branch patched out (a static key): each point
 * asks vmlab_inject_slow() only while the key is armed, and is otherwise
 * neither counted nor filtered.  The key is armed while nth has calls left
 * or probability is not 0, from the write that sets either; it is not
 * disarmed by the call that uses nth up (that call may be a fault, and
 * patching code while other CPUs run it is what a write of a control
 * avoids), but by the next write of nth or probability that leaves nothing
 * armed, such as writing 0 to nth.  points counts calls only while armed.
 * On a kernel with CONFIG_FAULT_INJECTION the key is armed from load to
 * unload: vmlab cannot see a write of fail-nth or of the fail_attr knobs,
 * and the kernel's verdict must be asked at every call (Debian's kernels
 * have no CONFIG_FAULT_INJECTION; the debug kernel of make check-debug has).
 *
 * On kernels with CONFIG_FAULT_INJECTION every point is also a should_fail()
 * site, so /proc/PID/task/TID/fail-nth and /proc/PID/make-it-fail count
 * and filter vmlab's points together with the kernel's failslab and
 * fail_page_alloc, which vmlab's allocations meet anyway.
 *
 * The module parameter inject_nth_at_load=N fails the Nth step of module
 * initialisation, before debugfs exists; it arms the key during
 * initialisation.
 *
 * Each failure injected by nth is logged by name ("vmlab: injected a
 * failure at NAME in COMM[PID]"); the others are logged rate-limited.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/jump_label.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "vmlab.h"

static const char *const vmlab_inject_names[VMLAB_NR_INJECT] = {
	[VMLAB_INJECT_FILE_ALLOC] = "file_alloc",
	[VMLAB_INJECT_OBJECT_ALLOC] = "object_alloc",
	[VMLAB_INJECT_OBJECT_INODE] = "object_inode",
	[VMLAB_INJECT_OBJECT_FILE] = "object_file",
	[VMLAB_INJECT_OBJECT_DATA] = "object_data",
	[VMLAB_INJECT_DAX_INODE] = "dax_inode",
	[VMLAB_INJECT_DAX_FILE] = "dax_file",
	[VMLAB_INJECT_BACKING_READ] = "backing_read",
	[VMLAB_INJECT_BACKING_WRITE] = "backing_write",
	[VMLAB_INJECT_ZERO_PAGE_MAP] = "zero_page_map",
	[VMLAB_INJECT_HUGE_STATE_ALLOC] = "huge_state_alloc",
	[VMLAB_INJECT_HUGE_FILE_OPEN] = "huge_file_open",
	[VMLAB_INJECT_HUGE_FALLOCATE] = "huge_fallocate",
	[VMLAB_INJECT_HUGE_XA_STORE] = "huge_xa_store",
	[VMLAB_INJECT_HUGE_PMD_MAP] = "huge_pmd_map",
	[VMLAB_INJECT_HUGE_PTE_MAP] = "huge_pte_map",
	[VMLAB_INJECT_FS_MOUNT] = "fs_mount",
	[VMLAB_INJECT_BACKING_OPEN] = "backing_open",
	[VMLAB_INJECT_MISC_REGISTER] = "misc_register",
	[VMLAB_INJECT_ZERO_SOURCES] = "zero_sources",
	[VMLAB_INJECT_THP_MOUNT] = "thp_mount",
	[VMLAB_INJECT_THP_ALLOC] = "thp_alloc",
};

static unsigned int inject_nth_at_load;
module_param(inject_nth_at_load, uint, 0444);
MODULE_PARM_DESC(inject_nth_at_load,
		 "fail the Nth fallible step of module initialisation (0: none)");

/**
 * struct vmlab_inject_site - the failures injected at one point
 * @injected: failures injected at the point
 */
struct vmlab_inject_site {
	atomic64_t injected;
};

static struct vmlab_inject_site vmlab_inject_sites[VMLAB_NR_INJECT];

/* Calls of vmlab_inject() per point while armed, per CPU: some points are on the fault path. */
struct vmlab_inject_calls {
	long calls[VMLAB_NR_INJECT];
};

static DEFINE_PER_CPU(struct vmlab_inject_calls, vmlab_inject_calls);

/*
 * The controls.  Each is read once per call without a lock: a call that
 * races with a change of the controls sees the old value or the new one.
 * @vmlab_inject_nth counts down to the failing call, to 0 which disarms it.
 */
static atomic_long_t vmlab_inject_nth;
static u32 vmlab_inject_probability;
static u32 vmlab_inject_pid;
static int vmlab_inject_point = -1;	/* -1: every point */

/* Armed: the points ask vmlab_inject_slow(); see the top of this file. */
DEFINE_STATIC_KEY_FALSE(vmlab_inject_armed);

/*
 * Serialises the arming of the key: each change of nth or probability,
 * then vmlab_inject_rearm(), so the key follows the last change.
 */
static DEFINE_MUTEX(vmlab_inject_arm_lock);

/* Arm the key while a control asks for failures, disarm it otherwise. */
static void vmlab_inject_rearm(void)
{
	bool arm;

	mutex_lock(&vmlab_inject_arm_lock);
	arm = IS_ENABLED(CONFIG_FAULT_INJECTION) || atomic_long_read(&vmlab_inject_nth) > 0 ||
	      READ_ONCE(vmlab_inject_probability);
	/* Either is a no-op, and patches nothing, when the key is so already. */
	if (arm)
		static_branch_enable(&vmlab_inject_armed);
	else
		static_branch_disable(&vmlab_inject_armed);
	mutex_unlock(&vmlab_inject_arm_lock);
}

#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(vmlab_fail_attr);

/* The kernel's own verdict, from its fault_attr and the task's fail-nth. */
static bool vmlab_kernel_should_fail(void)
{
	return should_fail(&vmlab_fail_attr, 1);
}

static void vmlab_fail_attr_debugfs(struct dentry *dir)
{
	fault_create_debugfs_attr("fail_attr", dir, &vmlab_fail_attr);
}
#else
static bool vmlab_kernel_should_fail(void)
{
	return false;
}

static void vmlab_fail_attr_debugfs(struct dentry *dir)
{
}
#endif

/* How vmlab_inject_decide() chose a failure. */
enum vmlab_inject_why {
	VMLAB_INJECT_NO,
	VMLAB_INJECT_NTH,
	VMLAB_INJECT_RANDOM,
};

/* Whether this call at @point, made for @who, fails by vmlab's own controls, and why. */
static enum vmlab_inject_why vmlab_inject_decide(enum vmlab_inject_point point,
						 struct task_struct *who)
{
	int only = READ_ONCE(vmlab_inject_point);
	u32 pid = READ_ONCE(vmlab_inject_pid);
	u32 probability;

	if (only >= 0 && only != point)
		return VMLAB_INJECT_NO;
	if (pid && task_tgid_nr(who) != pid)
		return VMLAB_INJECT_NO;
	/* Counts down only while armed; the call that reaches 0 fails. */
	if (atomic_long_dec_if_positive(&vmlab_inject_nth) == 0)
		return VMLAB_INJECT_NTH;
	probability = READ_ONCE(vmlab_inject_probability);
	if (probability && get_random_u32() % 100 < probability)
		return VMLAB_INJECT_RANDOM;
	return VMLAB_INJECT_NO;
}

/**
 * vmlab_inject_slow() - vmlab_inject_for() while the key is armed
 * @point: the step about to be taken
 * @who: the task the step is taken for
 *
 * Return: true when the caller must fail the step.
 */
bool vmlab_inject_slow(enum vmlab_inject_point point, struct task_struct *who)
{
	struct vmlab_inject_site *site = &vmlab_inject_sites[point];
	enum vmlab_inject_why why;

	this_cpu_inc(vmlab_inject_calls.calls[point]);
	why = vmlab_inject_decide(point, who);
	if (why == VMLAB_INJECT_NO && !vmlab_kernel_should_fail())
		return false;
	atomic64_inc(&site->injected);
	if (why == VMLAB_INJECT_NTH)
		pr_info("injected a failure at %s in %s[%d]\n", vmlab_inject_names[point],
			who->comm, task_pid_nr(who));
	else
		pr_info_ratelimited("injected a failure at %s in %s[%d]\n",
				    vmlab_inject_names[point], who->comm, task_pid_nr(who));
	return true;
}

/**
 * vmlab_inject_load_begin() - arm the failure inject_nth_at_load asks for
 */
void vmlab_inject_load_begin(void)
{
	atomic_long_set(&vmlab_inject_nth, inject_nth_at_load);
	vmlab_inject_rearm();
}

/**
 * vmlab_inject_load_end() - disarm what module initialisation did not use
 */
void vmlab_inject_load_end(void)
{
	atomic_long_set(&vmlab_inject_nth, 0);
	vmlab_inject_rearm();
}

static int nth_get(void *data, u64 *val)
{
	*val = atomic_long_read(&vmlab_inject_nth);
	return 0;
}

static int nth_set(void *data, u64 val)
{
	if (val > LONG_MAX)
		return -EINVAL;
	atomic_long_set(&vmlab_inject_nth, val);
	vmlab_inject_rearm();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(nth_fops, nth_get, nth_set, "%llu\n");

static int probability_get(void *data, u64 *val)
{
	*val = READ_ONCE(vmlab_inject_probability);
	return 0;
}

static int probability_set(void *data, u64 val)
{
	if (val > 100)
		return -EINVAL;
	WRITE_ONCE(vmlab_inject_probability, val);
	vmlab_inject_rearm();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(probability_fops, probability_get, probability_set, "%llu\n");

static int pid_get(void *data, u64 *val)
{
	*val = READ_ONCE(vmlab_inject_pid);
	return 0;
}

static int pid_set(void *data, u64 val)
{
	if (val > PID_MAX_LIMIT)
		return -EINVAL;
	WRITE_ONCE(vmlab_inject_pid, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(pid_fops, pid_get, pid_set, "%llu\n");

static int point_show(struct seq_file *m, void *unused)
{
	int only = READ_ONCE(vmlab_inject_point);

	seq_printf(m, "%s\n", only < 0 ? "all" : vmlab_inject_names[only]);
	return 0;
}

static int point_open(struct inode *inode, struct file *file)
{
	return single_open(file, point_show, NULL);
}

static ssize_t point_write(struct file *file, const char __user *ubuf, size_t len, loff_t *ppos)
{
	char buf[32];
	int i;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);
	if (!strcmp(buf, "all")) {
		WRITE_ONCE(vmlab_inject_point, -1);
		return len;
	}
	i = match_string(vmlab_inject_names, VMLAB_NR_INJECT, buf);
	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(vmlab_inject_point, i);
	return len;
}

static const struct file_operations point_fops = {
	.owner = THIS_MODULE,
	.open = point_open,
	.read = seq_read,
	.write = point_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int points_show(struct seq_file *m, void *unused)
{
	int i, cpu;

	for (i = 0; i < VMLAB_NR_INJECT; i++) {
		long long calls = 0;

		for_each_possible_cpu(cpu)
			calls += READ_ONCE(per_cpu(vmlab_inject_calls, cpu).calls[i]);
		seq_printf(m, "%s %lld %lld\n", vmlab_inject_names[i], calls,
			   (long long)atomic64_read(&vmlab_inject_sites[i].injected));
	}
	return 0;
}

static int points_open(struct inode *inode, struct file *file)
{
	return single_open(file, points_show, NULL);
}

static ssize_t points_write(struct file *file, const char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	int i, cpu;

	for (i = 0; i < VMLAB_NR_INJECT; i++) {
		for_each_possible_cpu(cpu)
			WRITE_ONCE(per_cpu(vmlab_inject_calls, cpu).calls[i], 0);
		atomic64_set(&vmlab_inject_sites[i].injected, 0);
	}
	return len;
}

static const struct file_operations points_fops = {
	.owner = THIS_MODULE,
	.open = points_open,
	.read = seq_read,
	.write = points_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/**
 * vmlab_inject_debugfs() - create the injection controls in @parent/inject
 * @parent: vmlab's debugfs directory
 */
void vmlab_inject_debugfs(struct dentry *parent)
{
	struct dentry *dir = debugfs_create_dir("inject", parent);

	debugfs_create_file_unsafe("nth", 0600, dir, NULL, &nth_fops);
	debugfs_create_file_unsafe("probability", 0600, dir, NULL, &probability_fops);
	debugfs_create_file_unsafe("pid", 0600, dir, NULL, &pid_fops);
	debugfs_create_file("point", 0600, dir, NULL, &point_fops);
	debugfs_create_file("points", 0600, dir, NULL, &points_fops);
	vmlab_fail_attr_debugfs(dir);
}
