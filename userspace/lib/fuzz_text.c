// SPDX-License-Identifier: GPL-2.0
/*
 * The differential fuzzer's sequences as text (a reproducer that
 * `vmlab fuzz --replay` reads back) and as a C program.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

void vl_fz_print(FILE *f, const struct vl_fz_seq *seq)
{
	char d[128];
	int i, depth = 0;

	fprintf(f, "# vmlab fuzz sequence: replay with  vmlab fuzz --replay FILE\n");
	fprintf(f, "kind %s\n", vl_fz_kind_name(seq->kind));
	fprintf(f, "seed %llu\n", (unsigned long long)seq->seed);
	for (i = 0; i < seq->n; i++) {
		const struct vl_fz_op *op = &seq->op[i];

		if (op->type == VL_FZ_EXIT && depth)
			depth = 0;
		vl_fz_describe(d, sizeof(d), seq->kind, op);
		fprintf(f, "%s%-10s %3d %3d %3d %3d %3d   # %2d: %s\n", depth ? "  " : "",
			op->type < VL_FZ_NOPS ? vl_fz_op_names[op->type] : "?", op->a, op->b, op->c,
			op->d, op->e, i, d);
		if (op->type == VL_FZ_FORK)
			depth = 1;
	}
}

int vl_fz_parse(FILE *f, struct vl_fz_seq *seq)
{
	char line[256], name[32];
	unsigned int a, b, c, d, e;
	unsigned long long seed;
	int t;

	memset(seq, 0, sizeof(*seq));
	seq->kind = -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");

		if (*p == '#' || *p == '\n' || !*p)
			continue;
		if (sscanf(p, "kind %31s", name) == 1) {
			seq->kind = vl_fz_kind_parse(name);
			if (seq->kind < 0)
				return -EINVAL;
			continue;
		}
		if (sscanf(p, "seed %llu", &seed) == 1) {
			seq->seed = seed;
			continue;
		}
		if (sscanf(p, "%31s %u %u %u %u %u", name, &a, &b, &c, &d, &e) != 6)
			return -EINVAL;
		for (t = 0; t < VL_FZ_NOPS && strcmp(name, vl_fz_op_names[t]); t++)
			;
		if (t == VL_FZ_NOPS || seq->n == VL_FZ_MAX_OPS || a > 255 || b > 255 || c > 255 ||
		    d > 255 || e > 255)
			return -EINVAL;
		seq->op[seq->n++] = (struct vl_fz_op){ (uint8_t)t, (uint8_t)a, (uint8_t)b,
						       (uint8_t)c, (uint8_t)d, (uint8_t)e };
	}
	return seq->kind < 0 || !seq->n ? -EINVAL : 0;
}

/*
 * The C reproducer's runtime: the same window and the same operations as
 * the fuzzer's worlds, printing after each step what the fuzzer compares
 * most often (result, pagemap per unit, the mappings' smaps counters).
 */
static const char prelude[] =
"#define _GNU_SOURCE\n"
"#include <fcntl.h>\n#include <errno.h>\n#include <setjmp.h>\n#include <signal.h>\n"
"#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
"#include <sys/ioctl.h>\n#include <sys/mman.h>\n#include <sys/wait.h>\n#include <unistd.h>\n"
"#include \"vmlab_uapi.h\"\n\n"
"#define PS 4096UL\n"
"static int vmlab, shared, file, huge, nunits, objfd = -1;\n"
"static unsigned long unit;\n"
"static char *base;\n"
"static sigjmp_buf jb;\n\n"
"static void on_signal(int sig) { siglongjmp(jb, sig); }\n\n"
"static void show(int step, const char *what, long ret)\n"
"{\n"
"\tint pm = open(\"/proc/self/pagemap\", O_RDONLY), i;\n"
"\tchar line[256];\n"
"\tFILE *f;\n\n"
"\tprintf(\"step %d %s: ret %ld errno %d\\n  units \", step, what, ret, ret < 0 ? errno : 0);\n"
"\tfor (i = 0; i < nunits; i++) {\n"
"\t\tuint64_t e = 0;\n\n"
"\t\tpread(pm, &e, 8, ((unsigned long)(base + i * unit) / PS) * 8);\n"
"\t\tprintf(\"%c%c%c%c \", e >> 63 & 1 ? 'p' : e >> 62 & 1 ? 's' : '.',\n"
"\t\t       e >> 61 & 1 ? 'f' : '-', e >> 56 & 1 ? 'x' : '-', e >> 55 & 1 ? 'd' : '-');\n"
"\t}\n"
"\tclose(pm);\n"
"\tprintf(\"\\n\");\n"
"\tf = fopen(\"/proc/self/smaps\", \"r\");\n"
"\tint in = 0;\n"
"\twhile (f && fgets(line, sizeof(line), f)) {\n"
"\t\tunsigned long s, e, off;\n\t\tchar perms[5];\n\n"
"\t\tif (sscanf(line, \"%lx-%lx %4s %lx\", &s, &e, perms, &off) == 4) {\n"
"\t\t\tin = e > (unsigned long)base && s < (unsigned long)base + nunits * unit;\n"
"\t\t\tif (in)\n"
"\t\t\t\tprintf(\"  pages %ld-%ld %s offset %lx\\n\", (long)(s - (unsigned long)base) / 4096,\n"
"\t\t\t\t       (long)(e - (unsigned long)base) / 4096, perms, off);\n"
"\t\t} else if (in && (!strncmp(line, \"Rss\", 3) || !strncmp(line, \"Anonymous\", 9) ||\n"
"\t\t\t   !strncmp(line, \"Referenced\", 10) || !strncmp(line, \"Pss\", 3) ||\n"
"\t\t\t   !strncmp(line, \"Swap:\", 5) || !strncmp(line, \"Locked\", 6) ||\n"
"\t\t\t   !strncmp(line, \"Shared\", 6) || !strncmp(line, \"Private\", 7) ||\n"
"\t\t\t   !strncmp(line, \"VmFlags\", 7))) {\n"
"\t\t\tprintf(\"    %s\", line);\n"
"\t\t}\n"
"\t}\n"
"\tif (f)\n\t\tfclose(f);\n"
"}\n\n"
"/* An address as a page of the window, as the fuzzer records it; -1: failed. */\n"
"static long rel(void *p)\n"
"{\n"
"\treturn p == MAP_FAILED ? -1 : ((char *)p - base) / (long)PS;\n"
"}\n\n"
"static long map(int a, int b, int c, int prot, int flags)\n"
"{\n"
"\tint fd = -1;\n"
"\tvoid *p;\n\n"
"\tflags |= shared ? MAP_SHARED : MAP_PRIVATE;\n"
"\tif (!vmlab && !file)\n"
"\t\tp = mmap(base + a * unit, b * unit, prot, flags | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0), -1, 0);\n"
"\telse if (!vmlab || file)\n"
"\t\tp = mmap(base + a * unit, b * unit, prot, flags, objfd, (off_t)c * unit);\n"
"\telse {\n"
"\t\tstruct vmlab_select sel = { .kind = huge ? VMLAB_KIND_HUGE : VMLAB_KIND_ANON, .huge_fd = -1 };\n\n"
"\t\tfd = open(VMLAB_DEVICE_PATH, O_RDWR);\n"
"\t\tioctl(fd, VMLAB_IOC_SET_KIND, &sel);\n"
"\t\tp = mmap(base + a * unit, b * unit, prot, flags, fd, 0);\n"
"\t\tclose(fd);\n"
"\t}\n"
"\treturn rel(p);\n"
"}\n\n"
"static long touch(int u, int write, int byte, int val)\n"
"{\n"
"\tint sig = sigsetjmp(jb, 1);\n\n"
"\tif (sig)\n\t\treturn -sig;\n"
"\tif (write)\n\t\tbase[u * unit + byte * (unit / 256)] = (char)val;\n"
"\telse\n\t\treturn (unsigned char)base[u * unit];\n"
"\treturn 0;\n"
"}\n\n"
"static long obj_read(int u)\n"
"{\n"
"\tchar b[PS];\n\n"
"\treturn pread(objfd, b, PS, (off_t)u * unit) > 0 ? (unsigned char)b[0] : -1;\n"
"}\n\n"
"static long obj_write(int u, int v)\n"
"{\n"
"\tchar b[64];\n\n"
"\tmemset(b, v, sizeof(b));\n"
"\treturn pwrite(objfd, b, sizeof(b), (off_t)u * unit + (v % 60) * 64);\n"
"}\n\n"
"static long clear_refs(void)\n"
"{\n"
"\tint fd = open(\"/proc/self/clear_refs\", O_WRONLY);\n"
"\tlong r = write(fd, \"4\", 1);\n\n"
"\tclose(fd);\n"
"\treturn r;\n"
"}\n\n"
"static void setup(void)\n"
"{\n"
"\tstatic char page[PS];\n"
"\tunsigned long wlen = nunits * unit, i;\n"
"\tchar *r;\n\n"
"\tsignal(SIGSEGV, on_signal);\n\tsignal(SIGBUS, on_signal);\n"
"\tif (file) {\n"
"\t\tobjfd = vmlab ? open(VMLAB_DEVICE_PATH, O_RDWR) : memfd_create(\"twin\", 0);\n"
"\t\tif (!vmlab)\n\t\t\tftruncate(objfd, (16 + 2 * nunits) * unit);\n"
"\t\tfor (i = 0; i < (16 + nunits) * unit / PS; i++) {\n"
"\t\t\tmemset(page, 'A' + i % 26, PS);\n\t\t\tpage[0] = (char)i;\n"
"\t\t\tpwrite(objfd, page, PS, i * PS);\n"
"\t\t}\n"
"\t}\n"
"\tr = mmap(NULL, wlen + (8UL << 20), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);\n"
"\tbase = (char *)(((unsigned long)r + (4UL << 20) - 1) & ~((2UL << 20) - 1));\n"
"\tmmap(base - PS, PS, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);\n"
"\tmmap(base + wlen, PS, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);\n"
"\tmunmap(base, wlen);\n"
"}\n\n";

static const char *const c_advice[] = {
	"MADV_DONTNEED", "MADV_FREE", "MADV_WILLNEED", "MADV_DONTFORK", "MADV_DOFORK",
	"MADV_WIPEONFORK", "MADV_KEEPONFORK", "MADV_COLD", "MADV_PAGEOUT",
	"MADV_POPULATE_READ", "MADV_POPULATE_WRITE", "MADV_HUGEPAGE", "MADV_NOHUGEPAGE",
	"MADV_NORMAL", "MADV_RANDOM", "MADV_SEQUENTIAL", "MADV_REMOVE",
};

static const char *const c_prot[] = { "PROT_NONE", "PROT_READ", "PROT_READ | PROT_WRITE" };

void vl_fz_print_c(FILE *f, const struct vl_fz_seq *seq, const struct vl_fz_result *res)
{
	int i, in_child = 0, last = seq->n - 1;
	const char *ind;
	char d[128];

	if (res && res->step >= 0 && res->step < seq->n)
		last = res->step;
	/* (the tag in two pieces, so that checkpatch does not take it for this file's) */
	fprintf(f, "/* SPDX-%s: GPL-2.0 */\n", "License-Identifier");
	fprintf(f, "/*\n * vmlab fuzz reproducer, kind %s, seed %llu.\n",
		vl_fz_kind_name(seq->kind), (unsigned long long)seq->seed);
	if (res && res->field[0])
		fprintf(f, " * At step %d the fuzzer found %s: vmlab %s, native %s.\n", res->step,
			res->field, res->vmlab, res->native);
	fprintf(f, " * Build: cc -I module -o repro fuzz-repro.c   (module/ holds vmlab_uapi.h)\n"
		   " * Run as root with vmlab loaded, and compare:\n"
		   " *   ./repro vmlab >v.txt; ./repro native >n.txt; diff v.txt n.txt\n */\n");
	fputs(prelude, f);
	fprintf(f, "int main(int argc, char **argv)\n{\n\tpid_t pid = 0;\n\n"
		   "\tvmlab = argc > 1 && !strcmp(argv[1], \"vmlab\");\n"
		   "\tshared = %d;\n\tfile = %d;\n\thuge = %d;\n\tnunits = %d;\n"
		   "\tunit = %s;\n\tsetup();\n",
		seq->kind != VL_FZ_PRIVATE_ANON && seq->kind != VL_FZ_PRIVATE_COW,
		seq->kind == VL_FZ_PRIVATE_COW || seq->kind == VL_FZ_SHARED,
		seq->kind == VL_FZ_HUGE, seq->kind == VL_FZ_HUGE ? 6 : 24,
		seq->kind == VL_FZ_HUGE ? "2UL << 20" : "PS");
	for (i = 0; i <= last; i++) {
		const struct vl_fz_op *op = &seq->op[i];
		char addr[64], len[32];

		ind = in_child ? "\t\t" : "\t";
		vl_fz_describe(d, sizeof(d), seq->kind, op);
		snprintf(addr, sizeof(addr), "base + %d * unit", op->a);
		snprintf(len, sizeof(len), "%d * unit", op->b);
		fprintf(f, "%s/* %d: %s */\n", ind, i, d);
		switch (op->type) {
		case VL_FZ_MMAP:
			fprintf(f, "%sshow(%d, \"mmap\", map(%d, %d, %d, %s, %s%s%s%s%s));\n",
				ind, i, op->a, op->b, op->c, c_prot[op->d % 3],
				op->e & VL_FZ_MF_FIXED ? "MAP_FIXED" :
				op->e & VL_FZ_MF_NOREPLACE ? "MAP_FIXED_NOREPLACE" : "0",
				op->e & VL_FZ_MF_POPULATE ? " | MAP_POPULATE" : "",
				op->e & VL_FZ_MF_LOCKED ? " | MAP_LOCKED" : "",
				op->e & VL_FZ_MF_NORESERVE ? " | MAP_NORESERVE" : "", "");
			break;
		case VL_FZ_MUNMAP:
			fprintf(f, "%sshow(%d, \"munmap\", munmap(%s, %s));\n", ind, i, addr, len);
			break;
		case VL_FZ_MPROTECT:
			fprintf(f, "%sshow(%d, \"mprotect\", mprotect(%s, %s, %s));\n", ind, i,
				addr, len, c_prot[op->d % 3]);
			break;
		case VL_FZ_MREMAP: {
			char dest[32];
			static const char *const fl[] = {
				"0", "MREMAP_MAYMOVE", "MREMAP_MAYMOVE | MREMAP_FIXED",
				"MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP",
			};

			snprintf(dest, sizeof(dest), "base + %d * unit", op->e);
			fprintf(f, "%sshow(%d, \"mremap\", rel(mremap(%s, %s, %d * unit,\n",
				ind, i, addr, len, op->c);
			fprintf(f, "%s\t\t\t\t\t\t %s, %s)));\n", ind,
				fl[op->d % VL_FZ_MR_NMODES], dest);
			break;
		}
		case VL_FZ_MADVISE:
			fprintf(f, "%sshow(%d, \"madvise\", madvise(%s, %s, %s));\n", ind, i, addr,
				len, c_advice[op->d % 17]);
			break;
		case VL_FZ_MLOCK:
			fprintf(f, "%sshow(%d, \"mlock\", %s(%s, %s%s));\n", ind, i,
				op->d % 3 == 0 ? "mlock" : op->d % 3 == 1 ? "munlock" : "mlock2",
				addr, len, op->d % 3 == 2 ? ", MLOCK_ONFAULT" : "");
			break;
		case VL_FZ_MSYNC:
			fprintf(f, "%sshow(%d, \"msync\", msync(%s, %s, %s));\n", ind, i, addr, len,
				op->d % 3 == 0 ? "MS_ASYNC" : op->d % 3 == 1 ? "MS_SYNC" :
				"MS_INVALIDATE");
			break;
		case VL_FZ_READ:
			fprintf(f, "%sshow(%d, \"read\", touch(%d, 0, 0, 0));\n", ind, i, op->a);
			break;
		case VL_FZ_WRITE:
			fprintf(f, "%sshow(%d, \"write\", touch(%d, 1, %d, %d));\n", ind, i, op->a,
				op->d, op->c);
			break;
		case VL_FZ_PREAD:
			fprintf(f, "%sshow(%d, \"pread\", obj_read(%d));\n", ind, i, op->c);
			break;
		case VL_FZ_PWRITE:
			fprintf(f, "%sshow(%d, \"pwrite\", obj_write(%d, %d));\n", ind, i, op->c,
				op->d);
			break;
		case VL_FZ_CLEAR_REFS:
			fprintf(f, "%sshow(%d, \"clear_refs\", clear_refs());\n", ind, i);
			break;
		case VL_FZ_FORK:
			if (in_child)
				break;
			fprintf(f, "\tfflush(stdout);\n\tpid = fork();\n\tif (!pid) {\n"
				   "\t\tshow(%d, \"fork (child)\", 0);\n", i);
			in_child = 1;
			break;
		case VL_FZ_EXIT:
			if (in_child) {
				fprintf(f, "\t\tfflush(stdout);\n\t\t_exit(0);\n\t}\n"
					   "\twaitpid(pid, NULL, 0);\n");
				in_child = 0;
			}
			fprintf(f, "\tshow(%d, \"exit\", 0);\n", i);
			break;
		case VL_FZ_RACE:
			fprintf(f, "%s/* (two threads in the fuzzer; one after the other here) */\n"
				   "%stouch(%d, 1, 0, 1);\n%sshow(%d, \"race\", touch(%d, 1, 1, 2));\n",
				ind, ind, op->a, ind, i, op->b);
			break;
		default:
			break;
		}
	}
	if (in_child)
		fprintf(f, "\t\tfflush(stdout);\n\t\t_exit(0);\n\t}\n\twaitpid(pid, NULL, 0);\n");
	fprintf(f, "\treturn 0;\n}\n");
}
