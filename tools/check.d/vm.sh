#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VM part of `make check`, on the kernel KERNEL_SERIES (or KERNEL/KDIR)
# picks, in a work folder of its own (build/vm-KVER), so that runs on two
# kernels never share one.
#
# Usage: vm.sh --full        every entry of tools/check.d/vm-lib.args and
#                            vm-kipc.args (the library's conformance suite on
#                            the dev transport, the kipc command), then the
#                            driver selftests
#        vm.sh --selftests   the driver selftests alone
#        vm.sh --full --native   the same on this host, which must load
#                            modules (a kipc.ko is built for it first)
#        vm.sh --can-native  exit 0 if this host can run --native, else
#                            print why not
# The selftests run in selftests/manifest order through
# selftests/run_vm_tests.sh, ending with kipc_lifecycle_test (rmmod refused
# while in use, counters back to zero after all the others). The rig prints
# "N passed, M failed" last.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"

what="" native=()
for arg; do
	case $arg in
	--full|--selftests) what=$arg ;;
	--native) native=(--native) ;;
	--can-native)
		# What the host allows (run.sh owns that), and a build tree for
		# the running kernel to build kipc.ko against.
		tools/vm/run.sh --can-native || exit 1
		[ -f "/lib/modules/$(uname -r)/build/Makefile" ] ||
			{ echo "no /lib/modules/$(uname -r)/build: install linux-headers-$(uname -r)"; exit 1; }
		exit 0
		;;
	*) echo "vm.sh: unknown option $arg" >&2; exit 2 ;;
	esac
done
[ -n "$what" ] || { echo "vm.sh: --full or --selftests" >&2; exit 2; }

if [ ${#native[@]} -gt 0 ]; then
	export KERNEL=/boot/vmlinuz-$(uname -r) KDIR=/lib/modules/$(uname -r)/build
	make -s module
fi
kver=$(tools/vm/kernel.sh kver)
export VM_OUT=${VM_OUT:-$top/build/vm-$kver}

args=()
if [ "$what" = --full ]; then
	for f in tools/check.d/vm-lib.args tools/check.d/vm-kipc.args; do
		[ -f "$f" ] || { echo "vm.sh: $f is missing"; echo "0 passed, 1 failed"; exit 1; }
		while read -r line; do
			case $line in ''|\#*) continue ;; esac
			eval "args+=($line)"
		done < "$f"
	done
fi

exec selftests/run_vm_tests.sh "${native[@]+"${native[@]}"}" "${args[@]+"${args[@]}"}"
