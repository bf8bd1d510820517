#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VM part of `make check`: boots the kernel with kipc.ko and runs the driver
# selftests (selftests/manifest), then every tools/check.d/vm-*.args entry
# (the library's conformance suite on the dev transport, the kipc command),
# then kipc_lifecycle_test, which checks that rmmod is refused while in use
# and the counters are back to zero after all the others. The rig prints
# "N passed, M failed" last.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
# The dev suite moves 10^7 messages under emulation: minutes, not seconds.
export VM_TIMEOUT=${VM_TIMEOUT:-1500}

args=(--module kmod/kipc.ko --counters /proc/driver/kipc
      --zero listeners --zero connections --zero mappings
      --zero pinned_bytes --zero pinned_pages)
last=()

# Manifest lines: NAME [TIMEOUT-SECONDS].
while read -r t to; do
	case $t in ''|\#*) continue ;; esac
	entry=(--timeout "${to:-120}" --name "$t" --test "build/selftests/$t")
	if [ "$t" = kipc_lifecycle_test ]; then
		last+=("${entry[@]}")
	else
		args+=("${entry[@]}")
	fi
done < selftests/manifest

for f in tools/check.d/vm-*.args; do
	[ -e "$f" ] || continue
	while read -r line; do
		case $line in ''|\#*) continue ;; esac
		eval "args+=($line)"
	done < "$f"
done

exec tools/vm/run.sh "${args[@]}" "${last[@]}"
