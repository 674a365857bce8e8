# SPDX-License-Identifier: GPL-2.0
# Shared helpers for vmlab's scripts: the cache layout and the guest kernels.
# Sourced, not run.

VMLAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VMLAB_CACHE=${VMLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmlab}
# The guest kernels, by short name, and the Debian meta-packages behind them.
VMLAB_KERNELS="6.1 6.12 6.12-rt"

die() {
	echo "vmlab: $*" >&2
	exit 1
}

# as_root CMD...: run CMD as root, through sudo when needed.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	else
		sudo "$@"
	fi
}

# headers_meta NAME: the Debian meta-package of the headers of kernel NAME.
headers_meta() {
	case "$1" in
	6.1) echo linux-headers-amd64 ;;
	6.12) echo linux-headers-6.12-amd64 ;;
	6.12-rt) echo linux-headers-6.12-rt-amd64 ;;
	*) die "unknown kernel '$1' (known: $VMLAB_KERNELS)" ;;
	esac
}

# kernel_abi NAME: the ABI string (uname -r) of kernel NAME, from the
# installed headers meta-package, e.g. 6.1.0-56-amd64 or
# 6.12.117+deb12-rt-amd64.
kernel_abi() {
	local meta dep
	meta=$(headers_meta "$1") || exit 1
	dep=$(dpkg-query -W -f='${Depends}' "$meta" 2>/dev/null) ||
		die "$meta is not installed: run scripts/setup"
	dep=${dep%% *}
	echo "${dep#linux-headers-}"
}

# kernel_dir ABI: where the unpacked image of kernel ABI lives.
kernel_dir() {
	echo "$VMLAB_CACHE/kernels/$1"
}

# source_dir: where the needed files of linux-source-6.12 are extracted.
source_dir() {
	local v
	v=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		die "linux-source-6.12 is not installed: run scripts/setup"
	echo "$VMLAB_CACHE/linux-source-$v"
}

# Counting for the host-side checks (scripts/check-install, check-dropin):
# one "ok", "not ok" or "skip" line per check, then hc_totals prints the
# line scripts/check sums, "# vmlab-host totals: passed=P failed=F
# skipped=S", and returns non-zero when a check failed.
hc_passed=0 hc_failed=0 hc_skipped=0
hc_ok() {
	hc_passed=$((hc_passed + 1))
	echo "ok - $*"
}
hc_not_ok() {
	hc_failed=$((hc_failed + 1))
	echo "not ok - $*"
}
hc_skip() {
	hc_skipped=$((hc_skipped + 1))
	echo "skip - $*"
}
# hc_check DESCRIPTION CMD...: ok when CMD succeeds; else not ok, with
# CMD's output.
hc_check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		hc_ok "$what"
	else
		hc_not_ok "$what"
		echo "$out" | tail -n 40 | sed 's/^/#   /'
	fi
}
hc_totals() {
	echo "# vmlab-host totals: passed=$hc_passed failed=$hc_failed skipped=$hc_skipped"
	[ "$hc_failed" -eq 0 ]
}
