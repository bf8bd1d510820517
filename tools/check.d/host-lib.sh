#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host part of libkipc's tests: the conformance suite on the shm and uds
# transports, the .so build, and again under ASan/UBSan (lib/Makefile's
# check target does the same in one go; this runs each suite separately so
# that every result is counted). Ends with the combined "N passed, M failed".
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
b=build/lib
make -s -C lib test check-exports || { echo "0 passed, 1 failed"; exit 1; }

san_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
runs=(
	"shm|KIPC_TRANSPORT=shm $b/test/kipc_test"
	"uds|KIPC_TRANSPORT=uds $b/test/kipc_test"
	"shm-so|KIPC_TRANSPORT=shm KIPC_TEST_MSGS=1000000 $b/test/kipc_test-dynamic"
	"shm-asan|KIPC_TRANSPORT=shm KIPC_TEST_MSGS=1000000 KIPC_TEST_KILLS=10 ${san_env[*]} $b/asan/kipc_test"
	"uds-asan|KIPC_TRANSPORT=uds KIPC_TEST_MSGS=1000000 KIPC_TEST_KILLS=10 ${san_env[*]} $b/asan/kipc_test"
)
passed=1 failed=0	# the export check above
for r in "${runs[@]}"; do
	name=${r%%|*}
	cmd=${r#*|}
	echo "# --- libkipc $name: $cmd"
	start=$(date +%s)
	out=$(env $cmd 2>&1)
	rc=$?
	echo "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
	p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"${line:-0 passed}")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"${line:-x 0 failed}")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	echo "# --- libkipc $name: $p passed, $f failed, $(( $(date +%s) - start ))s"
	passed=$((passed + p)) failed=$((failed + f))
done
leftover=$(ls /dev/shm | grep -i kipc || true)
if [ -n "$leftover" ]; then
	echo "# left behind in /dev/shm: $leftover"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
