#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR MIT
# insn.sh INSN_LOOP: instructions per kipc_send() + kipc_recv() at 8 B,
# 64 B and 4 KiB, counted by callgrind (README.md, "Instructions per
# message"): the difference of two runs over the difference of their counts.
set -eu
loop=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
total() {	# total SIZE N
	valgrind --tool=callgrind --callgrind-out-file="$tmp/out" \
		"$loop" "$1" "$2" > /dev/null 2> "$tmp/err" ||
		{ cat "$tmp/err" >&2; exit 1; }
	awk '/^summary:/ { print $2; exit }' "$tmp/out"
}
for size in 8 64 4096; do
	a=$(total "$size" 2000)
	b=$(total "$size" 12000)
	echo "size=$size insn/msg=$(( (b - a) / 10000 ))"
done
