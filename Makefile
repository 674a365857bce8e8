# SPDX-License-Identifier: GPL-2.0
#
# vmlab: build, guest runs and checks.
#
#   make              vmlab.ko for the running kernel, the tool and the tests
#   make demo         set up, build, boot the 6.12 guest and run the tour
#   make check        set up, build, run every selftest in a 6.1, a 6.12 and a
#                     PREEMPT_RT 6.12 guest
#   make check-debug  the same suite on a debug kernel built from linux-source-6.12
#                     (KASAN, lockdep, DEBUG_VM, PAGE_TABLE_CHECK, kmemleak, UBSAN,
#                     fault injection); the kernel build is cached
#   make bench        vmlab's mapping types against their native twins, as ratios (each guest kernel)
#   make lint         checkpatch --strict, W=1 and sparse builds for the three kernels
#   make setup        install what the above need (they call it themselves)
#   make harness      install and extract only the kselftest harness

KDIR ?= /lib/modules/$(shell uname -r)/build
GUEST_KERNELS := 6.1 6.12 6.12-rt
SOURCE = $(shell bash -c '. scripts/lib.sh && source_dir')

all: module userspace selftests

module:
	$(MAKE) -C module KDIR=$(KDIR)

setup:
	@scripts/setup

# Only what building the selftests needs: the kselftest harness.
harness:
	@scripts/setup --harness

# vmlab.ko for each guest kernel, in build/ABI/ (sources linked, not copied).
modules: setup
	@set -e; for k in $(GUEST_KERNELS); do \
		abi=$$(scripts/kernel-abi $$k); \
		scripts/build-module $$abi $(KBUILD_ARGS); \
	done

userspace:
	$(MAKE) -C userspace

selftests: harness userspace page-types
	$(MAKE) -C selftests KSFT_DIR=$(SOURCE)/tools/testing/selftests

# The kernel's tools/mm/page-types, which tool_test compares vmlab inspect
# with: built from linux-source-6.12 into the cache, linked as build/page-types.
page-types: harness
	@scripts/build-page-types

check: modules userspace selftests
	@scripts/check $(GUEST_KERNELS)

# Builds the debug kernel once (cached under ~/.cache/vmlab/debug-kernel),
# vmlab.ko against it, and runs the whole suite in it.
check-debug: setup userspace selftests
	@scripts/check-debug

# The tour of every mapping type (userspace/vmlab tour) in a 6.12 guest with
# a pool of 64 huge pages and 256 MiB of zram swap (for the reclaim section's
# swap steps); README.md shows what it prints.
demo: modules userspace
	scripts/vm-run --kernel 6.12 --hugepages 64 --swap 256M -- userspace/vmlab tour

# Each kernel in its own boot; vmlab and native measured in the same boot.
bench: modules userspace
	@set -e; for k in $(GUEST_KERNELS); do \
		echo "=== guest $$k ==="; \
		scripts/vm-run --kernel $$k -- userspace/vmlab bench; \
	done

lint: setup
	@scripts/lint $(GUEST_KERNELS)

clean:
	rm -rf build
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean

.PHONY: all module setup harness modules userspace selftests page-types check check-debug demo bench lint clean
