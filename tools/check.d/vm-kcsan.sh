#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The KCSAN part of `make check-kcsan` (tools/check.sh --kcsan-kernel, which
# exports KERNEL/KDIR of the KCSAN kernel and VM_REQUIRE_KCONFIG): the race
# suite and the stress test, with their manifest limits, in the VM, then
# every "BUG: KCSAN:" report of the run sorted into kipc's (fails the run)
# and the rest (listed) by tools/check.d/kcsan-classify.sh, which says how.
#
# The reports' stacks come from a last command in the guest that prints
# them from dmesg, prefixed "kcsan-dump: " (reports printed after it, at
# rmmod, are in the rig's own KIPC-VM-DMESG-LOG block), and KCSAN's own
# counters ("kcsan-stats: "); it fails unless KCSAN is enabled.
# Ends with the rig's "N passed, M failed, K skipped" line, or its own.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top" || exit 2

tests="kipc_race_test kipc_stress_test"
ko=$(tools/vm/kernel.sh ko) || exit 2
kver=$(tools/vm/kernel.sh kver) || exit 2
[ -f "$ko" ] || { echo "vm-kcsan.sh: no $ko; make module first"; echo "0 passed, 1 failed"; exit 1; }
make -s -C selftests OUTPUT="$top/build/selftests" ||
	{ echo "vm-kcsan.sh: the selftests did not build"; echo "0 passed, 1 failed"; exit 1; }
export VM_OUT=${VM_OUT:-$top/build/vm-kcsan-$kver}

args=(--module "$ko")
for t in $tests; do
	secs=$(awk -v t="$t" '$1 == t { print $2 }' selftests/manifest)
	[ -n "$secs" ] || { echo "vm-kcsan.sh: $t is not in selftests/manifest"; echo "0 passed, 1 failed"; exit 1; }
	args+=(--timeout "$secs" --test "build/selftests/$t")
done
# shellcheck disable=SC2016 # expanded in the guest
args+=(--timeout 60 --name kcsan-reports --cmd \
	'dmesg | awk '\''/BUG: KCSAN:/ { p = 1 } p { print "kcsan-dump: " $0 } /=====/ && !/BUG: KCSAN:/ { p = 0 }'\''; echo "kcsan-dump: $(dmesg | grep -c "BUG: KCSAN:") reports"; sed "s/^/kcsan-stats: /" /sys/kernel/debug/kcsan; grep -q "^enabled: 1" /sys/kernel/debug/kcsan')
for c in listeners connections mappings pinned_bytes pinned_pages; do
	args+=(--zero "$c")
done

out=$(mktemp)
trap 'rm -f "$out"' EXIT
tools/vm/run.sh "${args[@]}" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
log=$VM_OUT/console.log
[ -f "$log" ] || { echo "vm-kcsan.sh: no $log"; exit "$((rc ? rc : 1))"; }
tools/check.d/kcsan-classify.sh "$log" "$out" "$rc"
