#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the selftests and run them in the test VM (tools/vm/run.sh) in
# manifest order, with each binary's time limit, kipc.ko loaded, and the
# global counters of /proc/driver/kipc required to read 0 at the end.
# Usage: selftests/run_vm_tests.sh [RUN.SH OPTION]...
# Environment: KIPC_KO (default: tools/vm/kernel.sh ko, the build for the
# kernel that KERNEL_SERIES, KERNEL or KDIR pick; it must be built already),
# plus what tools/vm/run.sh reads (VM_OUT, VM_ACCEL, VM_TIMEOUT_SCALE, ...).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$top/build/selftests
ko=${KIPC_KO:-$("$top/tools/vm/kernel.sh" ko)} || exit 2

[ -f "$ko" ] || { echo "run_vm_tests.sh: no $ko; build the module first (make module)" >&2; exit 2; }
make -s -C "$here" OUTPUT="$out"

set --  --module "$ko" "$@"
while read -r name secs; do
	case "$name" in ''|'#'*) continue ;; esac
	set -- "$@" --timeout "$secs" --test "$out/$name"
done < "$here/manifest"
for c in listeners connections mappings pinned_bytes pinned_pages; do
	set -- "$@" --zero "$c"
done
exec "$top/tools/vm/run.sh" "$@"
