// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab tool: a directory on a disk filesystem, found among the mounts or,
 * as root, made for the run: ext4 on a loop device over a file in /tmp.
 * vmlab's guests have no disk (their root is the host's, over 9p, and /tmp
 * is tmpfs), so there the tool makes one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diskfs.h"

#define MIN_IMAGE	(64LL << 20)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const disk_types[] = { "ext4", "ext3", "ext2", "xfs", "btrfs", "f2fs" };

/* Undo mountinfo's octal escapes (\040 for a blank) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
			*o = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o = *s;
		}
	}
	*o = '\0';
}

/* The mount holding @path: its type, source and whether it is read-write; 0 or -1. */
static int mount_of(const char *path, char *type, size_t tlen, char *src, size_t slen, bool *rw)
{
	char line[4096], real[PATH_MAX], best[PATH_MAX] = "";
	FILE *fp;
	int found = -1;

	if (!realpath(path, real))
		return -1;
	fp = fopen("/proc/self/mountinfo", "re");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		char *f[6], *sep, *save = NULL, *p = line, *fstype, *source;
		size_t n, i;

		line[strcspn(line, "\n")] = '\0';
		for (i = 0; i < 6; i++, p = NULL) {
			f[i] = strtok_r(p, " ", &save);
			if (!f[i])
				break;
		}
		if (i < 6)
			continue;
		sep = strstr(save ? save : "", "- ");
		if (!sep)
			continue;
		fstype = strtok_r(sep + 2, " ", &save);
		source = strtok_r(NULL, " ", &save);
		if (!fstype || !source)
			continue;
		unescape(f[4]);
		n = strlen(f[4]);
		if (strncmp(real, f[4], n) || (real[n] != '/' && real[n] && n > 1))
			continue;
		/* The longest mount point wins; a later one over the same point too. */
		if (n < strlen(best))
			continue;
		snprintf(best, sizeof(best), "%s", f[4]);
		snprintf(type, tlen, "%s", fstype);
		snprintf(src, slen, "%s", source);
		*rw = !strncmp(f[5], "rw", 2) && (f[5][2] == ',' || !f[5][2]);
		found = 0;
	}
	fclose(fp);
	return found;
}

static bool is_disk_type(const char *type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(disk_types); i++)
		if (!strcmp(type, disk_types[i]))
			return true;
	return false;
}

/* Whether @dir is a writable directory of a disk filesystem; fills @d. */
static bool try_dir(struct diskfs *d, const char *dir)
{
	char src[256];
	bool rw = false;
	int fd;

	if (!dir || !*dir || access(dir, W_OK | X_OK))
		return false;
	if (mount_of(dir, d->fstype, sizeof(d->fstype), src, sizeof(src), &rw) || !rw ||
	    !is_disk_type(d->fstype) || strncmp(src, "/dev/", 5))
		return false;
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	fd = diskfs_file(d, 0);
	if (fd < 0)
		return false;
	close(fd);
	snprintf(d->what, sizeof(d->what), "%s on %s at %s", d->fstype, src, dir);
	return true;
}

static bool registered(const char *fs)
{
	char line[128], *name;
	FILE *fp = fopen("/proc/filesystems", "re");
	bool yes = false;

	if (!fp)
		return false;
	while (!yes && fgets(line, sizeof(line), fp)) {
		/* "nodev\tsysfs" or "\text4": the name is the last word. */
		line[strcspn(line, "\n")] = '\0';
		name = strrchr(line, '\t');
		yes = !strcmp(name ? name + 1 : line, fs);
	}
	fclose(fp);
	return yes;
}

static int shell(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* A fresh ext4 on a loop device over a file of /tmp, mounted on a directory of /tmp. */
static int make_ext4(struct diskfs *d, off_t min_bytes, char *why, size_t len)
{
	const char *kmod = getenv("VMLAB_KMODDIR");
	long long size = 2LL * min_bytes + (16LL << 20);
	char src[256] = "?", type[32], isrc[256], itype[32] = "?";
	bool rw;
	int fd;

	if (geteuid()) {
		snprintf(why, len,
			 "none is mounted, and making one (ext4 on a loop device) needs root");
		return -1;
	}
	if (shell("command -v mkfs.ext4 >/dev/null 2>&1")) {
		snprintf(why, len, "none is mounted, and there is no mkfs.ext4 to make one");
		return -1;
	}
	if (!registered("ext4") || access("/dev/loop-control", F_OK)) {
		if (kmod && *kmod)
			shell("modprobe -q -d '%s' -a loop ext4 2>/dev/null", kmod);
		else
			shell("modprobe -q -a loop ext4 2>/dev/null");
		if (!registered("ext4") || access("/dev/loop-control", F_OK)) {
			snprintf(why, len, "none is mounted, and this kernel has no %s",
				 registered("ext4") ? "loop device" : "ext4");
			return -1;
		}
	}
	snprintf(d->image, sizeof(d->image), "/tmp/vmlab-ext4-XXXXXX");
	fd = mkstemp(d->image);
	if (fd < 0 || ftruncate(fd, size < MIN_IMAGE ? MIN_IMAGE : size)) {
		snprintf(why, len, "an image file in /tmp: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		goto err_image;
	}
	close(fd);
	/* Inode tables and journal now, so that no lazy-init thread writes later. */
	if (shell("mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 '%s' >/dev/null 2>&1",
		  d->image)) {
		snprintf(why, len, "mkfs.ext4 %s failed", d->image);
		goto err_image;
	}
	snprintf(d->dir, sizeof(d->dir), "/tmp/vmlab-ext4-mnt-XXXXXX");
	if (!mkdtemp(d->dir)) {
		snprintf(why, len, "a mount point in /tmp: %s", strerror(errno));
		goto err_image;
	}
	if (shell("mount -t ext4 -o loop '%s' '%s' >/dev/null 2>&1", d->image, d->dir)) {
		snprintf(why, len, "mount -t ext4 -o loop %s failed", d->image);
		rmdir(d->dir);
		goto err_image;
	}
	d->mounted = true;
	snprintf(d->fstype, sizeof(d->fstype), "ext4");
	mount_of(d->dir, type, sizeof(type), src, sizeof(src), &rw);
	mount_of(d->image, itype, sizeof(itype), isrc, sizeof(isrc), &rw);
	snprintf(d->what, sizeof(d->what), "ext4 on %s over a file of %s, made for this run", src,
		 itype);
	return 0;

err_image:
	unlink(d->image);
	d->image[0] = '\0';
	return -1;
}

int diskfs_get(struct diskfs *d, off_t min_bytes, char *why, size_t len)
{
	const char *env = getenv("VMLAB_DISK_DIR");

	memset(d, 0, sizeof(*d));
	if (env && *env) {
		char src[256] = "?";
		bool rw = false;

		if (access(env, W_OK | X_OK)) {
			snprintf(why, len, "VMLAB_DISK_DIR=%s: %s", env, strerror(errno));
			return -1;
		}
		snprintf(d->dir, sizeof(d->dir), "%s", env);
		mount_of(env, d->fstype, sizeof(d->fstype), src, sizeof(src), &rw);
		snprintf(d->what, sizeof(d->what), "%s on %s at %s (VMLAB_DISK_DIR)",
			 d->fstype[0] ? d->fstype : "?", src, env);
		return 0;
	}
	if (try_dir(d, "/var/tmp") || try_dir(d, getenv("TMPDIR")) || try_dir(d, "/tmp"))
		return 0;
	memset(d, 0, sizeof(*d));
	return make_ext4(d, min_bytes, why, len);
}

int diskfs_file(const struct diskfs *d, off_t size)
{
	char path[300];
	int fd;

	fd = open(d->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(path, sizeof(path), "%s/vmlab-twin-XXXXXX", d->dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			return -errno;
		unlink(path);
	}
	if (size && ftruncate(fd, size)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void diskfs_put(struct diskfs *d)
{
	if (d->mounted) {
		sync();
		if (umount2(d->dir, 0))
			fprintf(stderr, "vmlab: umount %s: %s\n", d->dir, strerror(errno));
		else
			rmdir(d->dir);
	}
	if (d->image[0])
		unlink(d->image);
	memset(d, 0, sizeof(*d));
}
