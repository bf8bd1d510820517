#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the selftests and run them in the test VM (tools/vm/run.sh) in
# manifest order, with each binary's time limit, kipc.ko loaded, and the
# global counters of /proc/driver/kipc required to read 0 at the end.
# Usage: selftests/run_vm_tests.sh [RUN.SH OPTION]...
# Environment: KIPC_KO (default kmod/kipc.ko, must be built already), plus
# what tools/vm/run.sh reads (KERNEL, KDIR, VM_TIMEOUT, VM_OUT, ...).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$top/build/selftests
ko=${KIPC_KO:-$top/kmod/kipc.ko}

[ -f "$ko" ] || { echo "run_vm_tests.sh: no $ko; build the module first" >&2; exit 2; }
make -s -C "$here" OUTPUT="$out"

set --  --module "$ko" "$@"
total=60
while read -r name secs; do
	case "$name" in ''|'#'*) continue ;; esac
	set -- "$@" --timeout "$secs" --test "$out/$name"
	total=$((total + secs))
done < "$here/manifest"
for c in listeners connections mappings pinned_bytes pinned_pages; do
	set -- "$@" --zero "$c"
done
export VM_TIMEOUT="${VM_TIMEOUT:-$total}"
exec "$top/tools/vm/run.sh" "$@"
