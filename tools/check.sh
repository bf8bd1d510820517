#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every kipc test, host and VM, and ends with one line
# "N passed, N failed" (N skipped follows when something skipped).
# Called by `make check` after the deps target; see README.
#
# Each step's output goes to the terminal and to build/check/STEP.log. A
# step that prints its own "N passed, M failed" line contributes those
# totals; otherwise its TAP/KTAP "ok"/"not ok" lines are counted; otherwise
# it counts as one test by its exit status. A step that exits non-zero
# without a counted failure adds one.
#
# Options: --debug-kernel  boot the cached KASAN/lockdep/kmemleak kernel
#          --host-only / --vm-only
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 2
logdir=build/check
mkdir -p "$logdir"
export MAKEFLAGS="${MAKEFLAGS:-} -j$(nproc)"

host=1 vm=1
for arg; do
	case $arg in
	--debug-kernel)
		eval "$(tools/vm/build-debug-kernel.sh --print)" || exit 2
		export KERNEL KDIR
		export VM_TIMEOUT=${VM_TIMEOUT:-1800} VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-900}
		;;
	--host-only) vm=0 ;;
	--vm-only) host=0 ;;
	*) echo "check.sh: unknown option $arg" >&2; exit 2 ;;
	esac
done

passed=0 failed=0 skipped=0
declare -a report

# step NAME CMD...: run CMD, log it, add its results to the totals.
step()
{
	local name=$1 log="$logdir/$1.log" rc p f s line
	shift
	echo "=== $name: $*"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
		f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
		s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' ||
			sed -nE 's/^kipc-vm: ([0-9]+) skipped$/\1/p' "$log" | tail -n 1)
		s=${s:-0}
	elif grep -qE '^(ok|not ok) [0-9]+' "$log"; then
		s=$(grep -cE '^ok [0-9]+.*# *SKIP' "$log")
		p=$(( $(grep -cE '^ok [0-9]+' "$log") - s ))
		f=$(grep -cE '^not ok [0-9]+' "$log")
	elif [ "$rc" -eq 0 ]; then
		p=1 f=0 s=0
	else
		p=0 f=0 s=0
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	report+=("$(printf '%-28s %s passed, %s failed, %s skipped (exit %s)' "$name" "$p" "$f" "$s" "$rc")")
}

# A build failure stops everything: nothing below would mean anything.
if ! step build make all; then :; fi
if [ "$failed" -ne 0 ]; then
	echo "build failed; see $logdir/build.log"
	echo "$passed passed, $failed failed"
	exit 1
fi

# Static checks on the driver: checkpatch and sparse must print nothing.
quiet_ok()
{
	local out
	out=$("$@" 2>&1)
	echo "$out"
	! grep -qE '(ERROR|WARNING|CHECK):|warning:|error:' <<<"$out"
}
step checkpatch quiet_ok make -s checkpatch
step sparse quiet_ok make -s sparse

if [ "$host" -eq 1 ]; then
	for t in tools/check.d/host-*.sh; do
		[ -e "$t" ] || continue
		n=$(basename "$t" .sh)
		step "$n" "$t"
	done
fi

if [ "$vm" -eq 1 ]; then
	step vm tools/check.d/vm.sh
fi

echo
echo "=== summary"
printf '%s\n' "${report[@]}"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
