#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh PROG...: run each vmlab selftest program, show its TAP output,
# and end with one line "# vmlab-selftests totals: passed=P failed=F skipped=S".
# A program that crashes or exits non-zero without a failed test counts as
# one failure; one that skips as a whole (kselftest's exit status 4, no
# test run: not root, or vmlab not loaded) as one skipped test.  Exit
# status: 0 when nothing failed.
set -u
cd "$(dirname "$0")"
passed=0 failed=0 skipped=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for prog in "$@"; do
	echo "# vmlab-selftests: running $prog"
	./"$prog" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	totals=$(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\) xfail:\([0-9]*\) xpass:\([0-9]*\) skip:\([0-9]*\) error:\([0-9]*\)$/\1 \2 \3 \4 \5 \6/p' "$out" | tail -n 1)
	if [ -z "$totals" ] && [ "$rc" -eq 4 ]; then
		echo "# vmlab-selftests: $prog skipped as a whole: counted as one skipped test"
		skipped=$((skipped + 1))
		continue
	fi
	if [ -z "$totals" ]; then
		echo "# vmlab-selftests: $prog exited $rc without a Totals line: counted as one failure"
		failed=$((failed + 1))
		continue
	fi
	read -r p f xf xp s e <<<"$totals"
	passed=$((passed + p + xf))
	failed=$((failed + f + xp + e))
	skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ $((f + xp + e)) -eq 0 ]; then
		echo "# vmlab-selftests: $prog exited $rc with no failed test: counted as one failure"
		failed=$((failed + 1))
	fi
done
echo "# vmlab-selftests totals: passed=$passed failed=$failed skipped=$skipped"
[ "$failed" -eq 0 ]
