#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the kipc selftests in manifest order on this machine (kipc.ko loaded,
# as root for the permission and rmmod tests). Each binary prints KTAP.
# Usage: run_tests.sh [DIR]   DIR holds the binaries (default: this script's
# directory). Exits 0 if every test passed or skipped, 4 if all skipped,
# 1 otherwise.

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here}
manifest=$here/manifest
[ -r "$manifest" ] || manifest=$dir/manifest

pass=0 fail=0 skip=0
while read -r name secs; do
	case "$name" in ''|'#'*) continue ;; esac
	echo "# kipc: $name"
	timeout -s KILL "$secs" "$dir/$name"
	rc=$?
	case $rc in
	0) pass=$((pass + 1)) ;;
	4) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)); echo "# kipc: $name failed (exit $rc)" ;;
	esac
done < "$manifest"
echo "# kipc: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] || exit 1
[ $pass -eq 0 ] && [ $skip -gt 0 ] && exit 4
exit 0
