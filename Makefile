# SPDX-License-Identifier: GPL-2.0
#
# vmlab: build, install, guest runs and checks.
#
#   make              vmlab.ko for the running kernel, the tool, the examples
#                     and the tests
#   make demo         set up, build, boot the 6.12 guest and run the tour
#   make check        set up, build, run the host checks (DKMS builds, make
#                     install, the kselftest drop-in) and every selftest in a
#                     6.1, a 6.12 and a PREEMPT_RT 6.12 guest
#   make check-debug  the same suite on a debug kernel built from linux-source-6.12
#                     (KASAN, lockdep, DEBUG_VM, PAGE_TABLE_CHECK, kmemleak, UBSAN,
#                     fault injection); the kernel build is cached
#   make bench        vmlab's mapping types against their native twins, as ratios, and
#                     vmlab bench pf, page-fault throughput (each guest kernel)
#   make fuzz         vmlab fuzz, differential fuzzing against the native twins, for
#                     FUZZ_MINUTES (default 10) in each guest kernel
#   make fuzz-debug   the same in one guest of the debug kernel
#   make lint         checkpatch --strict, W=1 and sparse builds for the three kernels
#   make install      the tool, its man page, the udev rule and the uapi header
#                     (PREFIX, DESTDIR; the module: DKMS, see README.md)
#   make setup        install the packages all of the above need
#
# Only make setup, make check and make demo install packages (with sudo when
# not root); every other target stops, naming what is missing and make setup.

KDIR ?= /lib/modules/$(shell uname -r)/build
GUEST_KERNELS := 6.1 6.12 6.12-rt
SOURCE = $(shell bash -c '. scripts/lib.sh && source_dir')
VERSION := $(shell sed -n 's/^\#define VMLAB_VERSION[[:space:]]*"\(.*\)"$$/\1/p' module/vmlab_version.h)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
INCLUDEDIR ?= $(PREFIX)/include
# udev reads rules from /etc and /usr/lib only, whatever PREFIX is.
UDEVRULESDIR ?= /etc/udev/rules.d
INSTALL ?= install

all: module userspace selftests

module:
	$(MAKE) -C module KDIR=$(KDIR)

# Installs packages: only this, check, demo and .ci/run do.
setup:
	@scripts/setup

# What a build needs, without installing: packages checked (a missing one
# stops the build, naming it and make setup), kernel images unpacked and
# linux-source-6.12's members extracted into the cache.
ready:
	@scripts/setup --no-install

# Only what building the selftests needs: the kselftest harness and lib.mk.
harness:
	@scripts/setup --no-install --harness

# vmlab.ko for each guest kernel, in build/ABI/ (sources linked, not copied).
modules:
	@set -e; for k in $(GUEST_KERNELS); do \
		abi=$$(scripts/kernel-abi $$k); \
		scripts/build-module $$abi $(KBUILD_ARGS); \
	done

userspace:
	$(MAKE) -C userspace

selftests: harness page-types
	$(MAKE) -C selftests KSFT_DIR=$(SOURCE)/tools/testing/selftests

# The kernel's tools/mm/page-types, which tool_test compares vmlab inspect
# with: built from linux-source-6.12 into the cache, linked as build/page-types.
page-types: harness
	@scripts/build-page-types

# The host checks (no guest): DKMS builds for the Debian kernels, make
# install into a staging directory, modinfo, the kselftest drop-in.
check-install: userspace
	@scripts/check-install
check-dropin:
	@scripts/check-dropin

# vmlab built inside linux-source-6.12 as Kconfig.snippet says (lib/vmlab/,
# CONFIG_VMLAB=m from Kconfig), with the Debian 6.12 kernel's configuration
# and symbols: a vmlab.ko for that kernel (vermagic and symbol versions
# checked against the out-of-tree build); extracts the whole source once:
# heavy.  scripts/check-intree --guest also loads it in a 6.12 guest.
check-intree: ready
	@scripts/check-intree

# The guest half: the DKMS-built module loaded with modprobe in a 6.1 and a
# 6.12 guest, udev applying 60-vmlab.rules, the README's example run.
check-dkms-guest: ready userspace
	@scripts/check-dkms-guest

check: setup
	@$(MAKE) --no-print-directory modules userspace selftests
	@scripts/check --host $(GUEST_KERNELS)

# Builds the debug kernel once (cached under ~/.cache/vmlab/debug-kernel),
# vmlab.ko against it, and runs the whole suite in it.
check-debug: ready userspace selftests
	@scripts/check-debug

# The tour of every mapping type (userspace/vmlab tour) in a 6.12 guest with
# a pool of 64 huge pages and 256 MiB of zram swap (for the reclaim section's
# swap steps); README.md shows what it prints.
demo: setup
	@$(MAKE) --no-print-directory modules userspace
	scripts/vm-run --kernel 6.12 --hugepages 64 --swap 256M -- userspace/vmlab tour

# Differential fuzzing (scripts/fuzz): FUZZ_MINUTES per guest kernel, every
# kind; findings' reproducers in build/fuzz/.
FUZZ_MINUTES ?= 10
fuzz: ready modules userspace
	@scripts/fuzz --minutes $(FUZZ_MINUTES) $(GUEST_KERNELS)

fuzz-debug: ready userspace
	@scripts/fuzz --debug --minutes $(FUZZ_MINUTES)

# Each kernel in its own boot; vmlab and native measured in the same boot:
# vmlab bench (its thp rows map 64 MiB at a time, 32 huge pages for the
# hugetlb row), then vmlab bench pf (its huge case maps 2 x 32 MiB of huge
# pages at once; its store cases 64 MiB of the store, its memory rows 64 MiB
# more, past them).  The mmap_lock event is enabled at boot: turning it on
# in the running guest patches kernel text, which crashes TCG guests.
bench: ready modules userspace
	@set -e; for k in $(GUEST_KERNELS); do \
		echo "=== guest $$k ==="; \
		scripts/vm-run --kernel $$k --hugepages 64 --module-args store_size=512M \
			--append trace_event=mmap_lock:mmap_lock_acquire_returned \
			-- sh -c 'userspace/vmlab bench && userspace/vmlab bench pf'; \
		echo "=== guest $$k, store with backing= (refault rows) ==="; \
		scripts/vm-run --kernel $$k --module-args "store_size=64M backing=/tmp/vmlab-backing" \
			-- userspace/vmlab bench; \
	done

lint: ready
	@scripts/lint $(GUEST_KERNELS)

install: userspace
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(UDEVRULESDIR)
	$(INSTALL) -m 0755 userspace/vmlab $(DESTDIR)$(BINDIR)/vmlab
	sed 's/@VERSION@/$(VERSION)/' userspace/man/vmlab.1.in >$(DESTDIR)$(MANDIR)/man1/vmlab.1
	chmod 0644 $(DESTDIR)$(MANDIR)/man1/vmlab.1
	$(INSTALL) -m 0644 module/vmlab_uapi.h $(DESTDIR)$(INCLUDEDIR)/vmlab_uapi.h
	$(INSTALL) -m 0644 module/60-vmlab.rules $(DESTDIR)$(UDEVRULESDIR)/60-vmlab.rules

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vmlab $(DESTDIR)$(MANDIR)/man1/vmlab.1 \
		$(DESTDIR)$(INCLUDEDIR)/vmlab_uapi.h $(DESTDIR)$(UDEVRULESDIR)/60-vmlab.rules

# vmlab.ko for KDIR into /lib/modules/RELEASE/updates/ (DKMS is the better
# way: it rebuilds for each new kernel).
modules_install: module
	$(MAKE) -C module KDIR=$(KDIR) modules_install

clean:
	rm -rf build
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean KSFT_DIR=$(SOURCE)/tools/testing/selftests

.PHONY: all module setup ready harness modules userspace selftests page-types \
	check-install check-dropin check-intree check-dkms-guest check check-debug demo bench fuzz fuzz-debug lint install uninstall \
	modules_install clean
