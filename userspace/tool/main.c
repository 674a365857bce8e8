// SPDX-License-Identifier: GPL-2.0
/*
 * vmlab: the command-line tool of the vmlab kernel module.  main() picks the
 * command; each lives in a file of its own (tour.c, inspect.c, walk.c,
 * stat.c, bench.c), and this file holds the help texts.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "bench_pf.h"
#include "tool.h"
#include "vmlab_version.h"

static const char synopsis[] =
	"usage: vmlab tour [--json] [SECTION...]\n"
	"       vmlab tour --list\n"
	"       vmlab inspect [--json] [--vmlab] PID [ADDR[-END]]\n"
	"       vmlab walk [--json] PID ADDR[-END]\n"
	"       vmlab stat [--json] [--watch [SECONDS]] [--count N]\n"
	"       vmlab bench [PAGES]\n"
	"       vmlab bench pf [--json] [--case NAME] [--size BYTES] [--warmup S]\n"
	"                      [--duration S] [--rounds N]\n"
	"       vmlab fuzz [--kind KIND]... [--seed N] [--sequences N] [--duration S]\n"
	"                  [--ops N] [--out DIR] [--no-shrink] [--verbose]\n"
	"       vmlab fuzz --replay FILE [--c FILE.c] [--verbose]\n"
	"       vmlab fuzz --differences [--json | --markdown]\n"
	"       vmlab help [COMMAND]\n"
	"       vmlab --version\n";

static const char manual[] =
	"NAME\n"
	"    vmlab - see what the kernel does when you map memory\n"
	"\n"
	"SYNOPSIS\n"
	"    vmlab tour [--json] [SECTION...]\n"
	"    vmlab tour --list\n"
	"    vmlab inspect [--json] [--vmlab] PID [ADDR[-END]]\n"
	"    vmlab walk [--json] PID ADDR[-END]\n"
	"    vmlab stat [--json] [--watch [SECONDS]] [--count N]\n"
	"    vmlab bench [PAGES]\n"
	"    vmlab bench pf [--json] [--case NAME] [--size BYTES] [--warmup S]\n"
	"                   [--duration S] [--rounds N]\n"
	"    vmlab fuzz [--kind KIND]... [--seed N] [--sequences N] [--duration S]\n"
	"               [--ops N] [--out DIR] [--no-shrink] [--verbose]\n"
	"    vmlab fuzz --replay FILE [--c FILE.c] [--verbose]\n"
	"    vmlab fuzz --differences [--json | --markdown]\n"
	"    vmlab help [COMMAND]\n"
	"    vmlab --version\n"
	"\n"
	"DESCRIPTION\n"
	"    vmlab drives the vmlab kernel module, whose device /dev/vmlab installs\n"
	"    the pages of every kind of mapping with its own mmap and fault handlers,\n"
	"    and reads /proc/PID/pagemap, /proc/kpageflags and vmlab's debugfs files\n"
	"    to show what the page tables really hold.\n"
	"\n"
	"COMMANDS\n"
	"%s\n"
	"OPTIONS\n"
	"    --json      the same facts as one JSON document on stdout (stat --watch:\n"
	"                one document per refresh)\n"
	"    -h, --help  this text, or with a command, that command's\n"
	"    --version   the tool's version, and the loaded module's when it is loaded\n"
	"\n"
	"PRIVILEGES\n"
	"    PFNs (pagemap shows 0 to unprivileged readers) and /proc/kpageflags need\n"
	"    root; without them vmlab says so once and leaves them out instead of\n"
	"    printing zeros. vmlab's debugfs directory is readable by root only: tour\n"
	"    then shows no counters, and stat fails.\n"
	"\n"
	"EXIT STATUS\n"
	"    0  success: every tour step happened as expected (a section that cannot\n"
	"       run here, e.g. huge without a hugetlb pool, does not count against it)\n"
	"    1  a tour step found something unexpected, or an operation failed\n"
	"    2  usage error\n"
	"    3  vmlab is not loaded (no /dev/vmlab): " VX_LOAD_HINT "\n"
	"    4  debugfs is not mounted at /sys/kernel/debug\n"
	"    5  not permitted: run as root\n"
	"    6  no such process (inspect, walk)\n"
	"\n"
	"FILES\n"
	"    /dev/vmlab                          the device\n"
	"    /sys/kernel/debug/vmlab/            counters, objects, vmas, huge\n"
	"    /sys/module/vmlab/parameters/       store_size, backing, ...\n"
	"    /proc/PID/pagemap, /proc/PID/smaps, /proc/kpageflags\n"
	"\n"
	"EXAMPLES\n"
	"    sudo vmlab tour cow                 one section of the tour\n"
	"    sudo vmlab tour --json | python3 -m json.tool\n"
	"    sudo vmlab inspect --vmlab 1234     vmlab's mappings in process 1234\n"
	"    sudo vmlab inspect 1234 7f0000000000-7f0000200000\n"
	"    sudo vmlab walk 1234 7f0000000000-7f0000200000\n"
	"    sudo vmlab stat --watch 2\n";

static const struct {
	const char *name;
	const char *text;
} commands[] = {
	{ "tour",
	  "    tour [--json] [SECTION...]\n"
	  "        A guided tour, one section per kind of mapping: anon (private\n"
	  "        anonymous), cow (private file, copy-on-write), shared (shared file,\n"
	  "        dirty tracking and write-back), shared-anon (shared anonymous across\n"
	  "        fork), huge (2 MiB hugetlb pages), thp (transparent huge pages of a\n"
	  "        shared anonymous object against hugetlb, a fallback, a split by a\n"
	  "        partial munmap), flags (MAP_POPULATE, MAP_LOCKED,\n"
	  "        mprotect), reclaim (eviction and major faults against a file on a disk\n"
	  "        filesystem, mlock, swap of shared anonymous pages); all of them by\n"
	  "        default, --list names them. Each section maps a small region through\n"
	  "        /dev/vmlab and through its native twin; after each step it prints a\n"
	  "        table per mapping (page, address, PFN, what the page is, pagemap\n"
	  "        flags, first bytes, kpageflags), other facts it read (mincore,\n"
	  "        getrusage, /proc/vmstat), the vmlab counters that changed, one\n"
	  "        sentence saying what happened, and how the native twin compares. What\n"
	  "        did not happen as it should is printed on '!!' lines and makes the\n"
	  "        exit status 1; a section that cannot run here prints 'SECTION: not\n"
	  "        available: REASON', a step that cannot '-- skipped: REASON' (reclaim\n"
	  "        without swap), and neither does. The disk filesystem is\n"
	  "        $VMLAB_DISK_DIR, else one holding /var/tmp, $TMPDIR or /tmp, else (as\n"
	  "        root) ext4 on a loop device over a file in /tmp, made for the run.\n" },
	{ "inspect",
	  "    inspect [--json] [--vmlab] PID [ADDR[-END]]\n"
	  "        Each mapping of process PID, with its pages grouped into runs of the\n"
	  "        same pagemap and kpageflags facts and consecutive PFNs (like\n"
	  "        page-types -p PID -L, per mapping), what backs them (anon, zero,\n"
	  "        page-cache, shmem, hugetlb, thp, ...), the page-table level that maps\n"
	  "        them (pte, pmd), and vmlab's own type of its mappings. ADDR (hex)\n"
	  "        shows the mapping that holds ADDR; ADDR-END the pages in [ADDR, END)\n"
	  "        of every mapping. --vmlab shows vmlab's mappings only.\n" },
	{ "walk",
	  "    walk [--json] PID ADDR[-END]\n"
	  "        The page-table entries of process PID for [ADDR, END) (hex, 0x or\n"
	  "        not; END exclusive; ADDR alone: its page), read by vmlab's walker\n"
	  "        (VMLAB_IOC_WALK, root only): a line per entry that is not empty,\n"
	  "        the levels as columns (PGD P4D PUD PMD PTE: tbl a table, fold a P4D\n"
	  "        folded into its PGD, 4K 2M 1G a leaf, swp mig hwp a swap, migration\n"
	  "        or memory-error entry), the raw value, the x86-64 bits as letters,\n"
	  "        the PFN, what it maps (zero page, anon, file MAJOR:MINOR ino N,\n"
	  "        hugetlb, thp order, a decoded swap entry), the PFN of the table\n"
	  "        holding it, the kernel's software bits. Consecutive entries alike,\n"
	  "        of one PFN or consecutive ones, fold into a line (4Kx512). --json:\n"
	  "        every field of every entry.\n" },
	{ "stat",
	  "    stat [--json] [--watch [SECONDS]] [--count N]\n"
	  "        vmlab's state: its counters (the per-type ones as a table), live\n"
	  "        objects and VMAs, huge-kind files, module parameters and the hugetlb\n"
	  "        pool. --watch refreshes every SECONDS (default 1), changes since the\n"
	  "        last refresh in parentheses, until Ctrl-C or N refreshes.\n" },
	{ "bench",
	  "    bench [PAGES]\n"
	  "        Fault, write and munmap times and memory of each mapping type against\n"
	  "        its native twin, PAGES pages per region (default 1024); then refault:\n"
	  "        the store and a file on a disk filesystem (as root without one: ext4 on\n"
	  "        a loop device, made for the run), evicted and read back page by page;\n"
	  "        then thp: fault-in MiB/s of 64 MiB as THP (policy always), 4 KiB pages\n"
	  "        (never), a huge=always tmpfs file and hugetlb (the huge kind, 32 pool\n"
	  "        pages), as a ratio to a memset of the mapped region, with minor faults.\n"
	  "    bench pf [--json] [--case NAME] [--size BYTES] [--warmup S] [--duration S]\n"
	  "             [--rounds N]\n"
	  "        Page-fault throughput, will-it-scale style: map, touch one byte per\n"
	  "        4 KiB page, unmap, for a fixed time; pages/s of vmlab against its native\n"
	  "        twin (ratio > 1: vmlab is faster), with faults, page allocations, TLB\n"
	  "        shootdowns and mmap_lock acquisitions per page. Cases: pf1 (private\n"
	  "        anon write), pf2 (private store write), pf3 (shared store write), pf4\n"
	  "        (private store read), shared_anon, huge, shared_rw, shared_msync,\n"
	  "        populate; modes 1t, 2t-own, 2t-one. THP is off for the run. Defaults:\n"
	  "        --size 32M per thread, --warmup 0.25, --duration 0.75, --rounds 3.\n" },
	{ "fuzz",
	  "    fuzz [--kind KIND]... [--seed N] [--sequences N] [--duration S] [--ops N]\n"
	  "         [--out DIR] [--no-shrink] [--verbose]\n"
	  "        Differential fuzzing: random sequences of up to --ops (default 40)\n"
	  "        operations (mmap, munmap, mprotect, mremap, madvise, mlock, msync,\n"
	  "        reads, writes, pread/pwrite of the object, clear_refs, fork, two\n"
	  "        racing threads) run on a vmlab mapping of each KIND (private_anon,\n"
	  "        shared_anon, private_cow, shared, huge; all by default) and on its\n"
	  "        native twin, each in a process of its own; after every step the\n"
	  "        results, signals, contents, pagemap and kpageflags facts per page,\n"
	  "        mincore, maps and smaps are compared. Sequence I of a kind comes from\n"
	  "        seed N + I (default 1); --sequences per kind (default 100) or for\n"
	  "        --duration seconds. A difference not in the documented list, a\n"
	  "        crash, a hang, a kernel report in /dev/kmsg or a leak (vmlab's live\n"
	  "        counters or the hugetlb pool not back after a sequence) is a\n"
	  "        finding: shrunk to the fewest operations that still show it,\n"
	  "        printed as a reproducer (and, with --out, saved there as\n"
	  "        fuzz-KIND-SEED.txt and a C program .c); the exit status is then 1.\n"
	  "        It sets /proc/sys/vm/page-cluster to 0 while it runs (swap\n"
	  "        read-around is not repeatable). Needs root.\n"
	  "    fuzz --replay FILE [--c FILE.c] [--verbose]\n"
	  "        Run a reproducer again and say how it ends; --verbose prints each\n"
	  "        step; --c writes the C program.\n"
	  "    fuzz --differences [--json | --markdown]\n"
	  "        The documented differences: id, kinds, operation, fields, whether\n"
	  "        the comparison stops there, and why (README.md holds the markdown).\n" },
};

int usage_of(const char *command, bool to_stdout, int status)
{
	FILE *out = to_stdout ? stdout : stderr;
	size_t i;

	for (i = 0; command && i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, command))
			continue;
		if (to_stdout)
			fprintf(out, "%s", commands[i].text);
		else
			fprintf(out, "usage: vmlab %s(run vmlab help %s)\n",
				commands[i].text + 4, command);
		return status;
	}
	if (!to_stdout) {
		fprintf(out, "%s(run vmlab --help for the manual)\n", synopsis);
		return status;
	}
	{
		char all[8192] = "";

		for (i = 0; i < ARRAY_SIZE(commands); i++)
			strncat(all, commands[i].text, sizeof(all) - strlen(all) - 1);
		fprintf(out, manual, all);
	}
	return status;
}

/*
 * The tool's version; then the loaded module's, which differs when the
 * vmlab.ko in use was built from other sources than this tool.
 */
static int print_version(void)
{
	char mod[64];
	FILE *f;

	printf("vmlab %s\n", VMLAB_VERSION);
	f = fopen("/sys/module/vmlab/version", "r");
	if (!f)
		return VX_OK;
	if (fgets(mod, sizeof(mod), f)) {
		mod[strcspn(mod, "\n")] = '\0';
		printf("vmlab.ko %s (loaded)\n", mod);
	}
	fclose(f);
	return VX_OK;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int ret;

	if (!cmd)
		return usage_of(NULL, false, VX_USAGE);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return usage_of(NULL, true, VX_OK);
	if (!strcmp(cmd, "--version"))
		return print_version();
	if (!strcmp(cmd, "help")) {
		if (argc > 2 && strcmp(argv[2], "tour") && strcmp(argv[2], "inspect") &&
		    strcmp(argv[2], "stat") && strcmp(argv[2], "bench") &&
		    strcmp(argv[2], "fuzz") && strcmp(argv[2], "walk"))
			return usage_of(NULL, false, VX_USAGE);
		return usage_of(argc > 2 ? argv[2] : NULL, true, VX_OK);
	}
	if (!strcmp(cmd, "tour"))
		return cmd_tour(argc - 1, argv + 1);
	if (!strcmp(cmd, "inspect"))
		return cmd_inspect(argc - 1, argv + 1);
	if (!strcmp(cmd, "walk"))
		return cmd_walk(argc - 1, argv + 1);
	if (!strcmp(cmd, "stat"))
		return cmd_stat(argc - 1, argv + 1);
	if (!strcmp(cmd, "fuzz"))
		return cmd_fuzz(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench")) {
		const char *opt = argc > 2 && !strcmp(argv[2], "pf") ? argv[3] : argv[2];

		if (argc > 2 && opt && (!strcmp(opt, "-h") || !strcmp(opt, "--help")))
			return usage_of("bench", true, VX_OK);
		ret = vx_need_device();
		if (!ret && argc > 2 && !strcmp(argv[2], "pf"))
			return cmd_bench_pf(argc - 2, argv + 2);
		return ret ? ret : cmd_bench(argc - 1, argv + 1);
	}
	vx_error(VX_USAGE, "no command '%s'", cmd);
	return usage_of(NULL, false, VX_USAGE);
}
