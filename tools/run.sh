#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo behind `make run`: build everything, then show kipc working and
# measured against the classic IPC mechanisms.
#
#  - Where this kernel can load modules (root, /proc/modules, a kipc.ko
#    built for the running kernel): insmod kmod/kipc.ko, then natively
#    `kipc info`, a `kipc send`/`kipc recv` transfer checked with cmp,
#    `kipc ls` during a live connection and the full `kipc bench`; rmmod.
#  - Otherwise: boot the test VM (tools/vm/run.sh) with the driver loaded and
#    run the same there, with a short `kipc bench --quick` (figures from an
#    emulated CPU when qemu has no KVM: labelled so), then the full
#    `kipc bench` on this host, where kipc runs on its fallback transports.
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

# Why this host cannot load kipc.ko, or nothing when it can.
native_blocker()
{
	local vermagic
	[ "$(id -u)" -eq 0 ] || { echo "not root"; return; }
	[ -e /proc/modules ] || { echo "no /proc/modules (kernel without CONFIG_MODULES)"; return; }
	[ "$(cat /proc/sys/kernel/modules_disabled 2> /dev/null || echo 0)" = 0 ] ||
		{ echo "kernel.modules_disabled=1"; return; }
	[ -f kmod/kipc.ko ] || { echo "kmod/kipc.ko not built"; return; }
	vermagic=$(modinfo -F vermagic kmod/kipc.ko 2> /dev/null | cut -d' ' -f1)
	[ "$vermagic" = "$(uname -r)" ] ||
		{ echo "kmod/kipc.ko is built for $vermagic, this kernel is $(uname -r)"; return; }
}

# A kipc.ko for the running kernel, if its build tree is here.
build_native_module()
{
	local kdir
	kdir=/lib/modules/$(uname -r)/build
	[ -d "$kdir" ] || return 1
	say "building kipc.ko for the running kernel ($(uname -r))"
	make -s module KDIR="$kdir" > "$logdir/module.log" 2>&1
}

# A transfer checked with cmp.
demo_transfer()
{
	local in=$1 out=$2 rpid rc=0
	timeout 60 "$KIPC" recv run-demo -v > "$out" &
	rpid=$!
	timeout 60 "$KIPC" send run-demo -v "$in" || rc=1
	wait "$rpid" || rc=1
	if [ $rc -eq 0 ] && cmp "$in" "$out"; then
		echo "transfer: $(stat -c %s "$in") bytes, cmp ok"
	else
		problem "transfer failed"
	fi
}

# `kipc ls` while a connection is live.
demo_ls()
{
	local fifo=$logdir/fifo rpid spid _
	rm -f "$fifo"
	mkfifo "$fifo"
	exec 8<> "$fifo"
	timeout 60 "$KIPC" recv run-live > /dev/null 8>&- &
	rpid=$!
	timeout 60 "$KIPC" send run-live < "$fifo" 8>&- &
	spid=$!
	echo hello >&8
	for _ in $(seq 50); do
		[ "$(grep -c '@kipc\.run-live$' /proc/net/unix)" -ge 2 ] && break
		grep -q "^conn [0-9]* run-live " /proc/driver/kipc 2> /dev/null && break
		sleep 0.1
	done
	"$KIPC" ls
	exec 8>&-
	wait "$spid" || problem "the sender of the kipc ls demo failed"
	wait "$rpid" || problem "the receiver of the kipc ls demo failed"
	rm -f "$fifo"
}

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

loaded_here=0 native_tmp=""
native_cleanup()
{
	[ -z "$native_tmp" ] || rm -rf "$native_tmp"
	native_tmp=""
	if [ "$loaded_here" -eq 1 ]; then
		rmmod kipc || problem "rmmod kipc failed"
		loaded_here=0
	fi
}

run_native()
{
	say "kernel $(uname -r) loads modules: kipc.ko natively"
	if ! grep -q '^kipc ' /proc/modules; then
		insmod kmod/kipc.ko || return 1
		loaded_here=1
	fi
	trap native_cleanup EXIT
	native_tmp=$(mktemp -d)
	say "kipc info"
	"$KIPC" info
	say "kipc send | kipc recv, 64 MiB, checked with cmp"
	head -c $((64 << 20)) /dev/urandom > "$native_tmp/in"
	demo_transfer "$native_tmp/in" "$native_tmp/out"
	say "kipc ls during a live connection"
	demo_ls
	host_bench "kipc on /dev/kipc and the fallbacks"
	native_cleanup
	trap - EXIT
	return 0
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

run_vm()
{
	local rc
	say "the kipc VM: driver loaded, kipc info, transfer, ls, a short bench"
	VM_TIMEOUT=${VM_TIMEOUT:-240} tools/vm/run.sh --out "$top/build/vm-run" \
		--module kmod/kipc.ko --file build/tools/kipc-static:/bin/kipc \
		--timeout 30 --name info --cmd 'kipc info' \
		--timeout 60 --name transfer --cmd "${vm_transfer//$'\n'/ }" \
		--timeout 30 --name ls --cmd "${vm_ls//$'\n'/ }" \
		--timeout 120 --name bench-quick --cmd "${vm_bench//$'\n'/ }" \
		2>&1 | tee "$logdir/vm.log" |
		grep -vE '^\[ *[0-9]+\.[0-9]+\]|^KIPC-VM-(COUNTER|CHECK: (device|taint))'
	rc=${PIPESTATUS[0]}
	if grep -q "booting .*(tcg)" "$logdir/vm.log"; then
		echo "note: the VM ran under TCG (no KVM): its bench figures are emulated"
	fi
	[ "$rc" -eq 0 ] || problem "the VM run failed (exit $rc; log $logdir/vm.log)"
}

why=$(native_blocker)
rebuilt=0
if [ "$force_vm" -eq 0 ] && [[ $why == *"built for"* ]] && build_native_module; then
	rebuilt=1
	why=$(native_blocker)
fi
native_ok=0
if [ "$force_vm" -eq 1 ]; then
	why="--vm given"
elif [ -z "$why" ]; then
	if run_native; then
		native_ok=1
	else
		problem "insmod kmod/kipc.ko failed: the VM instead"
	fi
fi
if [ "$rebuilt" -eq 1 ]; then
	# back to the VM's kernel, for the VM below and for make check
	make -s module > "$logdir/module.log" 2>&1 || problem "rebuilding kipc.ko for the VM failed"
fi
if [ "$native_ok" -eq 0 ]; then
	[ -z "$why" ] || echo "this host cannot load kipc.ko ($why): using the VM"
	run_vm
	say "kipc info on this host"
	"$KIPC" info
	host_bench "kipc on its fallback transports (shm, uds)"
fi

say "done in $((SECONDS - t0)) s"
if [ ${#problems[@]} -gt 0 ]; then
	printf 'problem: %s\n' "${problems[@]}"
	exit 1
fi
