#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR MIT
#
# fuzz/run.sh replay|fuzz BINDIR SECONDS TARGET... (lib/Makefile's fuzz and
# fuzz-replay): replay runs each target once over its corpus in
# fuzz/corpus/TARGET (seeds and crash reproducers); fuzz runs libFuzzer on
# each for SECONDS, one at a time, new inputs in BINDIR/work/TARGET, crashes
# in BINDIR/crash-TARGET-*, and prints its executions and coverage.
# TAP on stdout, "N passed, M failed" last.
set -u

mode=$1 bindir=$2 secs=$3
shift 3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
n=0 passed=0 failed=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

result()
{
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		passed=$((passed + 1)); echo "ok $n - $2"
	else
		failed=$((failed + 1)); echo "not ok $n - $2"
		sed 's/^/#   /' "$log" | tail -40
	fi
}

echo "TAP version 13"
log=$(mktemp /tmp/kipc-fuzz.XXXXXX)
trap 'rm -f "$log"' EXIT
for t; do
	bin=$bindir/fuzz_$t corpus=$here/corpus/$t
	inputs=$(find "$corpus" -type f | wc -l)
	if [ "$mode" = replay ]; then
		start=$(date +%s.%N)
		timeout 120 "$bin" "$corpus"/* > "$log" 2>&1
		rc=$?
		secs_run=$(echo "$(date +%s.%N) - $start" | bc)
		printf '# %s: %d inputs, %.2fs\n' "$t" "$inputs" "$secs_run"
		result $rc "fuzz-replay $t: $inputs inputs, no sanitizer report"
		continue
	fi
	if ! "$bin" -help=1 2>&1 | grep -q max_total_time; then
		echo "ok $((n + 1)) - fuzz $t # SKIP no libFuzzer (replay only)"
		n=$((n + 1)) passed=$((passed + 1))
		continue
	fi
	mkdir -p "$bindir/work/$t"
	timeout $((secs + 60)) "$bin" -max_total_time="$secs" \
		-print_final_stats=1 -artifact_prefix="$bindir/crash-$t-" \
		"$bindir/work/$t" "$corpus" > "$log" 2>&1
	rc=$?
	grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | sed "s/^/# $t: /"
	grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$log" |
		sed "s/^/# $t: /"
	result $rc "fuzz $t for ${secs}s: no crash"
done
echo "1..$n"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
