#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host part of libkipc's tests: lib/Makefile's check target (the export
# check, then the conformance suite on shm, uds, the .so, and under
# ASan/UBSan on shm and uds, then the hostile-peer suite on shm and uds,
# plain and under ASan/UBSan, then both suites on shm and uds as on a
# kernel without SO_PASSRIGHTS; counts
# are set there). -k runs every suite
# even after one fails. Ends with their combined "N passed, M failed"; a
# suite that dies before its summary line still counts as a failure.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"

out=$(make -k -C lib check 2>&1 | tee /dev/stderr)
rc=$?
passed=0 failed=0 skipped=0 suites=0
while read -r p f s; do
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
	suites=$((suites + 1))
done < <(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$/\1 \2 \4/p' <<<"$out")
# lib/Makefile's check runs thirteen suites (fifteen with /dev/kipc);
# fewer summary lines means one died or was dropped.
want=13
[ -c /dev/kipc ] && want=15
if [ "$suites" -ne "$want" ]; then
	echo "# $suites suite summaries, expected $want"
	failed=$((failed + 1))
fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi
leftover=$(ls /dev/shm | grep -i kipc || true)
if [ -n "$leftover" ]; then
	echo "# left behind in /dev/shm: $leftover"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
