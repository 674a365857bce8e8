// SPDX-License-Identifier: GPL-2.0
/*
 * A memory cgroup (v2) of one's own; see memcg.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memcg.h"
#include "procfs.h"

/* Whether the file at @root/@name lists the word "memory": 1, 0, or -errno. */
static int lists_memory(const char *root, const char *name)
{
	char path[320], word[64];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!ret && fscanf(f, "%63s", word) == 1)
		ret = !strcmp(word, "memory");
	fclose(f);
	return ret;
}

int vl_memcg_root(struct vl_memcg *cg)
{
	char line[512], dev[128], path[256], type[64], cgc[320];
	FILE *f = fopen("/proc/self/mounts", "re");
	bool found = false;
	int ret;

	memset(cg, 0, sizeof(*cg));
	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %255s %63s", dev, path, type) == 3 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(cg->root, sizeof(cg->root), "%s", path);
			found = true;
		}
	if (f)
		fclose(f);
	if (!found) {
		snprintf(cg->root, sizeof(cg->root), "/tmp/vmlab-cgroup2.XXXXXX");
		if (!mkdtemp(cg->root)) {
			ret = -errno;
			cg->root[0] = '\0';
			return ret;
		}
		if (mount("cgroup2", cg->root, "cgroup2", 0, NULL)) {
			ret = -errno;
			rmdir(cg->root);
			cg->root[0] = '\0';
			return ret;
		}
		cg->mounted = true;
	}
	if (lists_memory(cg->root, "cgroup.controllers") != 1)
		return -ENODEV;
	ret = lists_memory(cg->root, "cgroup.subtree_control");
	if (ret == 1)
		return 0;
	snprintf(cgc, sizeof(cgc), "%s/cgroup.subtree_control", cg->root);
	ret = vl_write_file(cgc, "+memory");
	cg->enabled = !ret;
	return ret;
}

int vl_memcg_make(struct vl_memcg *cg, const char *name, long long max)
{
	char path[400], text[32];
	int ret;

	snprintf(cg->path, sizeof(cg->path), "%s/%s", cg->root, name);
	if (mkdir(cg->path, 0755)) {
		ret = -errno;
		cg->path[0] = '\0';
		return ret;
	}
	snprintf(path, sizeof(path), "%s/memory.max", cg->path);
	snprintf(text, sizeof(text), "%lld", max);
	return vl_write_file(path, text);
}

int vl_memcg_join(const struct vl_memcg *cg)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg->path);
	return vl_write_file(path, "0");
}

int vl_memcg_destroy(struct vl_memcg *cg)
{
	char path[400], to[300], pid[32];
	int ret = 0;
	FILE *f;

	if (cg->path[0]) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg->path);
		snprintf(to, sizeof(to), "%s/cgroup.procs", cg->root);
		f = fopen(path, "re");
		while (f && fscanf(f, "%31s", pid) == 1)
			vl_write_file(to, pid);
		if (f)
			fclose(f);
		ret = rmdir(cg->path) ? -errno : 0;
		cg->path[0] = '\0';
	}
	if (cg->enabled) {
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg->root);
		vl_write_file(path, "-memory");
		cg->enabled = false;
	}
	if (cg->mounted) {
		umount(cg->root);
		rmdir(cg->root);
		cg->mounted = false;
	}
	return ret;
}
