// SPDX-License-Identifier: GPL-2.0
/* Map one private anonymous page through /dev/vmlab, touch it, read its pagemap entry. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vmlab_uapi.h"

int main(void)
{
	struct vmlab_select sel = { .kind = VMLAB_KIND_ANON, .huge_fd = -1 };
	int fd = open("/dev/vmlab", O_RDWR), pm = open("/proc/self/pagemap", O_RDONLY);
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t entry = 0;
	char *p;

	if (fd < 0 || pm < 0 || ioctl(fd, VMLAB_IOC_SET_KIND, &sel))
		return perror("vmlab"), 1;
	p = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return perror("mmap"), 1;
	p[0] = 1;	/* the write fault: an anonymous page of our own */
	if (pread(pm, &entry, sizeof(entry), (uintptr_t)p / psz * sizeof(entry)) != sizeof(entry))
		return perror("pagemap"), 1;
	printf("present %d, exclusive %d, pfn %#llx (0 unless root)\n", (int)(entry >> 63 & 1),
	       (int)(entry >> 56 & 1), (unsigned long long)(entry & ((1ULL << 55) - 1)));
	return 0;
}
