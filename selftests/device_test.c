// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab selftests: the character device itself (node, open/close, ioctl
 * dispatch, module reference counting).  Needs root and vmlab loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmlab_ksft.h"
#include "vmlab_uapi.h"
#include "debugfs.h"
#include "kmodule.h"

/* Root's alone until a udev rule (module/60-vmlab.rules) grants a group. */
TEST(node_is_char_device_0600)
{
	struct stat st;

	ASSERT_EQ(0, stat(VMLAB_DEVICE_PATH, &st)) {
		TH_LOG("stat %s: %s (is vmlab loaded?)", VMLAB_DEVICE_PATH, strerror(errno));
	}
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777) TH_LOG("mode %o", st.st_mode & 07777);
	EXPECT_EQ(0U, st.st_uid);
	EXPECT_EQ(0U, st.st_gid);
}

TEST(debugfs_counters_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(VMLAB_DEBUGFS_PATH "/counters", &st));
	EXPECT_EQ(0400U, st.st_mode & 07777);
	EXPECT_EQ(0U, st.st_uid);
}

TEST(open_close_counted)
{
	struct vl_counters before, opened, after;
	uint64_t live0, live1, live2, opens0, opens1;
	int fd;

	ASSERT_EQ(0, vl_counters_read(&before));
	fd = open(VMLAB_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vl_counters_read(&opened));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, vl_counters_read(&after));

	ASSERT_EQ(0, vl_counter_get(&before, "files_live", &live0));
	ASSERT_EQ(0, vl_counter_get(&opened, "files_live", &live1));
	ASSERT_EQ(0, vl_counter_get(&after, "files_live", &live2));
	ASSERT_EQ(0, vl_counter_get(&before, "opens", &opens0));
	ASSERT_EQ(0, vl_counter_get(&after, "opens", &opens1));
	EXPECT_EQ(live0 + 1, live1);
	EXPECT_EQ(live0, live2);
	EXPECT_EQ(opens0 + 1, opens1);
}

FIXTURE(bad_ioctl)
{
	int fd;
};

FIXTURE_VARIANT(bad_ioctl)
{
	unsigned long cmd;
	int want_errno;
};

FIXTURE_VARIANT_ADD(bad_ioctl, unknown_nr)
{
	.cmd = _IO(VMLAB_IOC_MAGIC, 0x7f),
	.want_errno = ENOTTY,
};

FIXTURE_VARIANT_ADD(bad_ioctl, nr_zero)
{
	.cmd = _IO(VMLAB_IOC_MAGIC, 0),
	.want_errno = ENOTTY,
};

FIXTURE_VARIANT_ADD(bad_ioctl, foreign_magic_tcgets)
{
	.cmd = TCGETS,
	.want_errno = ENOTTY,
};

FIXTURE_VARIANT_ADD(bad_ioctl, set_kind_wrong_size)
{
	.cmd = _IOW(VMLAB_IOC_MAGIC, 0x01, __u64),
	.want_errno = ENOTTY,
};

FIXTURE_SETUP(bad_ioctl)
{
	self->fd = open(VMLAB_DEVICE_PATH, O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(bad_ioctl)
{
	close(self->fd);
}

TEST_F(bad_ioctl, fails_with_errno)
{
	char buf[256] = { 0 };
	int ret;

	errno = 0;
	ret = ioctl(self->fd, variant->cmd, buf);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(variant->want_errno, errno) {
		TH_LOG("ioctl 0x%lx: errno %d (%s)", variant->cmd, errno, strerror(errno));
	}
}

TEST(rmmod_refused_while_open)
{
	int fd, ret;

	fd = open(VMLAB_DEVICE_PATH, O_RDONLY);
	ASSERT_LE(0, fd);
	ret = vl_module_unload(0);
	EXPECT_EQ(-EWOULDBLOCK, ret) {
		TH_LOG("delete_module: %s", strerror(-ret));
	}
	close(fd);
	/* Still loaded and usable. */
	fd = open(VMLAB_DEVICE_PATH, O_RDONLY);
	ASSERT_LE(0, fd);
	close(fd);
}

TEST_HARNESS_MAIN
