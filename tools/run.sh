#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo behind `make run`: build everything, then show kipc working and
# measured against the classic IPC mechanisms.
#
#  - Boot the test VM (tools/vm/run.sh) with the driver loaded: `kipc info`,
#    a `kipc send`/`kipc recv` transfer checked with cmp, `kipc ls` during a
#    live connection and a short `kipc bench --quick` (figures from an
#    emulated CPU when qemu has no KVM: labelled so).  Where this kernel
#    loads modules (root, /proc/modules, its headers), the same entries run
#    natively instead (run.sh --native: insmod here, same tree and judge).
#  - Then the full `kipc bench` on this host, where kipc runs on its
#    fallback transports.
#
# The host bench writes build/bench/bench.{csv,json,png}. Logs: build/run/.
# Options: --no-build (use what `make all` built), --vm (the VM path even
# where modules load), --quick (host bench --quick too).
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 2
KIPC=$top/build/tools/kipc
logdir=$top/build/run
benchdir=$top/build/bench
build=1 force_vm=0 host_quick=()
for arg; do
	case $arg in
	--no-build) build=0 ;;
	--vm) force_vm=1 ;;
	--quick) host_quick=(--quick) ;;
	*) echo "run.sh: unknown option $arg" >&2; exit 2 ;;
	esac
done

t0=$SECONDS
declare -a problems=()
say() { printf '\n=== %s\n' "$*"; }
problem() { problems+=("$*"); echo "run.sh: $*" >&2; }

if [ "$build" -eq 1 ]; then
	say "build (make all)"
	make -s -j"$(nproc)" all > /dev/null || { echo "run.sh: make all failed" >&2; exit 1; }
fi
[ -x "$KIPC" ] && [ -x "$top/build/tools/kipc-static" ] ||
	{ echo "run.sh: build/tools/kipc missing: make all" >&2; exit 1; }
mkdir -p "$logdir" "$benchdir"

host_bench()
{
	local what=$1
	say "kipc bench on this host ($what)${host_quick:+, --quick}"
	if timeout 300 "$KIPC" bench "${host_quick[@]}" --csv "$benchdir/bench.csv" \
		--json "$benchdir/bench.json" --png "$benchdir/bench.png" 2>&1 |
		tee "$logdir/bench-host.log"; then
		echo "results: $benchdir/bench.csv bench.json bench.png"
	else
		problem "kipc bench on the host failed (log: $logdir/bench-host.log)"
	fi
}

# Guest commands (busybox sh): each one a --cmd of tools/vm/run.sh, which
# takes one line: the newlines become spaces.
vm_transfer='head -c 16777216 /dev/urandom > /tmp/in;
kipc recv demo -v > /tmp/out & r=$!;
kipc send demo -v /tmp/in && wait $r && cmp /tmp/in /tmp/out &&
echo "transfer: $(stat -c %s /tmp/in) bytes over dev, cmp ok"'
vm_ls='mkfifo /tmp/f; exec 8<> /tmp/f;
kipc recv live > /dev/null 8>&- & r=$!;
kipc send live < /tmp/f 8>&- & s=$!;
echo hello >&8;
i=0; while [ $i -lt 50 ] && ! grep -q "^conn [0-9]* live " /proc/driver/kipc; do sleep 0.1; i=$((i+1)); done;
kipc ls; exec 8>&-; wait $s && wait $r'
vm_bench='if grep -q TCG /proc/cpuinfo; then
echo "== EMULATED (TCG) FIGURES: qemu without KVM; they say nothing about this machine ==";
fi;
{ kipc bench --quick --only kipc,pipe,unix-stream,shm-eventfd --sizes 64,4k 2>&1;
echo $? > /tmp/rc; } | cat; exit $(cat /tmp/rc)'

# run_rig [--native]: the demo entries in the VM, or natively where this
# host loads modules: the same tree, the same commands, the same judge.
run_rig()
{
	local rc where=VM
	[ $# -gt 0 ] && where="this host (native)"
	say "the kipc rig on $where: driver loaded, kipc info, transfer, ls, a short bench"
	tools/vm/run.sh "$@" --out "$top/build/vm-run" \
		--module "$ko" --file build/tools/kipc-static:/bin/kipc \
		--timeout 30 --name info --cmd 'kipc info' \
		--timeout 60 --name transfer --cmd "${vm_transfer//$'\n'/ }" \
		--timeout 30 --name ls --cmd "${vm_ls//$'\n'/ }" \
		--timeout 120 --name bench-quick --cmd "${vm_bench//$'\n'/ }" \
		2>&1 | tee "$logdir/vm.log" |
		grep -vE '^$|^\[ *[0-9]+\.[0-9]+\]|^KIPC-VM-(COUNTER|CHECK: (device|taint))'
	rc=${PIPESTATUS[0]}
	if grep -q "booting .*(tcg)" "$logdir/vm.log" ||
		grep -q "rerunning under TCG" "$logdir/vm.log"; then
		echo "note: the VM ran under TCG (no KVM): its bench figures are emulated"
	fi
	[ "$rc" -eq 0 ] || problem "the rig run failed (exit $rc; log $logdir/vm.log)"
}

native=()
if [ "$force_vm" -eq 0 ] && why=$(tools/check.d/vm.sh --can-native); then
	say "kernel $(uname -r) loads modules: building kipc.ko for it"
	export KERNEL=/boot/vmlinuz-$(uname -r) KDIR=/lib/modules/$(uname -r)/build
	make -s module > "$logdir/module.log" 2>&1 || problem "building kipc.ko for $(uname -r) failed"
	native=(--native)
else
	[ "$force_vm" -eq 1 ] && why="--vm given"
	echo "this host cannot load kipc.ko ($why): using the VM"
fi
ko=$(tools/vm/kernel.sh ko)
run_rig "${native[@]+"${native[@]}"}"
say "kipc info on this host"
"$KIPC" info
host_bench "kipc on its fallback transports (shm, uds)"

say "done in $((SECONDS - t0)) s"
if [ ${#problems[@]} -gt 0 ]; then
	printf 'problem: %s\n' "${problems[@]}"
	exit 1
fi
