#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VM part of `make check`: one boot with kipc.ko that runs every
# tools/check.d/vm-*.args entry (the library's conformance suite on the dev
# transport, the kipc command), then the driver selftests in
# selftests/manifest order through selftests/run_vm_tests.sh, which ends
# with kipc_lifecycle_test (rmmod refused while in use, counters back to
# zero after all the others). The rig prints "N passed, M failed" last.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
# The dev suite moves 10^7 messages under emulation: minutes, not seconds.
export VM_TIMEOUT=${VM_TIMEOUT:-1500}

args=()
for f in tools/check.d/vm-*.args; do
	[ -e "$f" ] || continue
	while read -r line; do
		case $line in ''|\#*) continue ;; esac
		eval "args+=($line)"
	done < "$f"
done

exec selftests/run_vm_tests.sh "${args[@]}"
