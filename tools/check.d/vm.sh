#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VM part of `make check`: boots the kernel with kipc.ko and runs the driver
# selftests (selftests/manifest order) and the library's conformance suite on
# the dev transport. The rig prints "N passed, M failed" last.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"

args=(--module kmod/kipc.ko --counters /proc/driver/kipc
      --zero listeners --zero connections --zero mappings
      --zero pinned_bytes --zero pinned_pages)

# The lifecycle test (rmmod refused while in use, counters to zero) goes last.
while read -r t; do
	case $t in ''|\#*) continue ;; esac
	args+=(--test "build/selftests/$t")
done < selftests/manifest

for f in tools/check.d/vm-*.args; do
	[ -e "$f" ] || continue
	while read -r line; do
		case $line in ''|\#*) continue ;; esac
		eval "args+=($line)"
	done < "$f"
done

exec tools/vm/run.sh "${args[@]}"
