#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR MIT
#
# Check the doorbell model (doorbell.pml, README.md here): the protocol as
# lib/ implements it must verify with no error, and each variant with one
# fence removed (-DNO_FENCE=k) must be rejected with a trail. Each model is
# generated (spin -a), compiled and run by pan in a temporary directory,
# every run bounded by MODEL_TIMEOUT seconds (default 60).
# TAP on stdout, the state counts as diagnostics, "N passed, M failed" last.
#
# Environment: SPIN (default spin), CC (default gcc), MODEL_TIMEOUT,
# MODEL_KEEP=1 keeps the work directory (trails included) and names it.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
model=$here/doorbell.pml
SPIN=${SPIN:-spin}
CC=${CC:-gcc}
limit=${MODEL_TIMEOUT:-60}
n=0 passed=0 failed=0

ok() { n=$((n + 1)) passed=$((passed + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)) failed=$((failed + 1)); echo "not ok $n - $1"; }
diag() { sed 's/^/# /'; }

echo "TAP version 13"
if ! command -v "$SPIN" > /dev/null; then
	echo "1..0 # SKIP $SPIN not installed (Debian: apt-get install spin)"
	echo "0 passed, 0 failed"
	exit 0
fi

work=$(mktemp -d /tmp/kipc-model.XXXXXX)
if [ "${MODEL_KEEP:-0}" = 1 ]; then
	echo "# work directory: $work"
else
	trap 'rm -rf "$work"' EXIT
fi

# verify NAME EXPECT(pass|fail) SPIN_DEFINES...
# Prints the run's figures; returns 0 if pan's verdict is as expected.
verify()
{
	local name=$1 expect=$2 dir=$work/$1 errors t0 t1 secs
	shift 2
	mkdir -p "$dir"
	cp "$model" "$dir/"
	t0=$(date +%s.%N)
	if ! (cd "$dir" && "$SPIN" "$@" -a doorbell.pml > spin.log 2>&1); then
		diag < "$dir/spin.log"
		return 1
	fi
	# Safety mode: an invalid end state is a process blocked for good.
	if ! (cd "$dir" && "$CC" -O2 -w -DSAFETY -DCOLLAPSE -o pan pan.c \
			> cc.log 2>&1); then
		diag < "$dir/cc.log"
		return 1
	fi
	(cd "$dir" && timeout "$limit" ./pan -m200000 -w22 > pan.log 2>&1)
	case $? in
	124|137)
		echo "ran past ${limit}s" | diag
		return 1 ;;
	esac
	t1=$(date +%s.%N)
	secs=$(echo "$t1 - $t0" | bc)
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.log")
	grep -E 'states, stored|states, matched|transitions|depth reached' \
		"$dir/pan.log" | sed 's/^ *//' | diag
	printf '%s: %.2fs\n' "$name" "$secs" | diag
	[ -n "$errors" ] || { diag < "$dir/pan.log"; return 1; }
	if [ "$expect" = pass ]; then
		[ "$errors" = 0 ] && return 0
		grep -E '^pan:' "$dir/pan.log" | diag
		return 1
	fi
	[ "$errors" -gt 0 ] || return 1
	grep -E '^pan:[0-9]' "$dir/pan.log" | diag
	# The trail's last word: who sleeps, with what in memory.
	(cd "$dir" && "$SPIN" "$@" -t -p doorbell.pml 2>&1) > "$dir/trail.txt"
	grep -E 'trail ends|^\s+(head|tail|need|waiting|bell_data|bell_room|gone_p|gone_c) =' \
		"$dir/trail.txt" | sed 's/^\s*//' | tr '\n' ' ' | sed 's/ $/\n/' | diag
	return 0
}

run()
{
	local desc=$1
	shift
	if verify "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

run "model verifies: 3 messages, ring of 2, TSO, either side may die" \
	correct pass
run "model verifies: 3 messages, ring of 1 (a wait for room per message)" \
	correct-ring1 pass -DRING=1
run "rejected without the fence in kipc_ring_cons_prepare_wait" \
	nofence1 fail -DNO_FENCE=1
run "rejected without the fence in kipc_ring_prod_should_kick" \
	nofence2 fail -DNO_FENCE=2
run "rejected without the fence in kipc_ring_prod_prepare_wait" \
	nofence3 fail -DNO_FENCE=3
run "rejected without the fence in kipc_ring_cons_should_kick" \
	nofence4 fail -DNO_FENCE=4

echo "1..$n"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
