#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the kipc test VM: build the initramfs, run qemu with a hard time
# limit, stream and save the console, then judge the run.  Exits 0 only when
# every test passed or skipped, every rig check passed and the guest reported
# its result line.  See tools/vm/README.md.
#
# Usage: run.sh [OPTION]... [INITRAMFS OPTION]...
#   --out DIR          work directory (default: $VM_OUT or build/vm)
#   --append 'ARGS'    more kernel command line (also $VM_APPEND)
#   --param MOD.P=V    module parameter, e.g. --param kipc.max_ring_bytes=65536
#   --shell            interactive: shell on the console after the tests,
#                      no time limit (leave it with "exit")
#   -h, --help         this text
# Every other option goes to mkinitramfs.sh: --module KO, --test EXE,
# --cmd 'CMD', --name NAME, --timeout SECS, --file SRC:DST,
# --expect-dev PATH, --counters PATH, --zero GLOB, --init FILE.
#
# Environment: KERNEL, KDIR (see kernel.sh), VM_TIMEOUT (whole VM, seconds,
# default 300), VM_TEST_TIMEOUT (each test, default 120), VM_ACCEL
# (auto|kvm|tcg, default auto), VM_MEM (MiB, default 1024), VM_SMP (default
# 2), VM_APPEND, VM_OUT, QEMU (default qemu-system-x86_64).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)

die()
{
	echo "run.sh: $*" >&2
	exit 2
}

usage()
{
	sed -n '/^# Usage:/,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

out=${VM_OUT:-$top/build/vm}
append=${VM_APPEND:-}
shell=0
initramfs_args=()

while [ $# -gt 0 ]; do
	case "$1" in
	--out)
		[ $# -ge 2 ] || die "$1 needs an argument"
		out=$2
		shift
		;;
	--append)
		[ $# -ge 2 ] || die "$1 needs an argument"
		append="$append $2"
		shift
		;;
	--param)
		[ $# -ge 2 ] || die "$1 needs an argument"
		[[ $2 == ?*.?*=* && $2 != *' '* ]] || die "--param $2: expected MODULE.PARAM=VALUE"
		append="$append $2"
		shift
		;;
	--shell)	shell=1 ;;
	-h|--help)	usage ;;
	*)
		initramfs_args+=("$1")
		;;
	esac
	shift
done

vm_timeout=${VM_TIMEOUT:-300}
[[ $vm_timeout =~ ^[1-9][0-9]*$ ]] || die "VM_TIMEOUT=$vm_timeout: not a number of seconds"
qemu=${QEMU:-qemu-system-x86_64}
command -v "$qemu" > /dev/null || die "$qemu is missing; run tools/vm/install-deps.sh"

kernel_env=$("$here/kernel.sh") || exit 2
KERNEL=$(sed -n 's/^KERNEL=//p' <<< "$kernel_env")
KVER=$(sed -n 's/^KVER=//p' <<< "$kernel_env")

mkdir -p "$out"
out=$(cd "$out" && pwd)
exec 9> "$out/.lock"
flock -n 9 || die "another run is using $out; pick another with --out or VM_OUT"

"$here/mkinitramfs.sh" -o "$out" --kver "$KVER" \
	"${initramfs_args[@]+"${initramfs_args[@]}"}" > /dev/null || exit 2

test_time=$(awk -F '\t' '{ s += $1 } END { print s + 0 }' "$out/root/etc/kipc-vm/manifest")
if [ $shell = 0 ] && [ "$test_time" -gt "$vm_timeout" ]; then
	echo "kipc-vm: note: the test timeouts add up to ${test_time}s, more than VM_TIMEOUT=${vm_timeout}s"
fi

# KVM only if it really runs a guest with -cpu host: a /dev/kvm that opens
# but cannot run one (nested setups without the MSRs qemu needs) aborts or
# hangs.  The probe is a boot sector that writes to isa-debug-exit, which
# makes qemu exit with status (1 << 1) | 1 = 3.
kvm_works()
{
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	{ printf '\xb0\x01\xe6\xf4\xf4\xeb\xfe'; head -c 503 /dev/zero; printf '\x55\xaa'; } \
		> "$out/kvm-probe.img"
	local rc=0
	# In a subshell that does not exec qemu, so that bash's report of its
	# "Aborted" goes to /dev/null too.
	(timeout -k 2 10 "$qemu" -accel kvm -cpu host -m 16 -nodefaults \
		-display none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-drive file="$out/kvm-probe.img",format=raw,if=floppy -boot a \
		< /dev/null > /dev/null 2>&1; exit $?) 2> /dev/null || rc=$?
	[ $rc -eq 3 ]
}

case "${VM_ACCEL:-auto}" in
auto)	if kvm_works; then accel=kvm; else accel=tcg; fi ;;
kvm|tcg) accel=$VM_ACCEL ;;
*)	die "VM_ACCEL=$VM_ACCEL: expected auto, kvm or tcg" ;;
esac
if [ "$accel" = kvm ]; then
	accel_args=(-accel kvm -cpu host)
else
	# shellcheck disable=SC2054 # the comma belongs to qemu's syntax
	accel_args=(-accel tcg,thread=multi -cpu max)
fi

cmdline="console=ttyS0 panic=-1 quiet$append"
[ $shell = 1 ] && cmdline="$cmdline kipc_vm.shell=1"

qemu_args=("${accel_args[@]}" -m "${VM_MEM:-1024}" -smp "${VM_SMP:-2}"
	-nodefaults -display none -no-reboot -monitor none
	-kernel "$KERNEL" -initrd "$out/initramfs.cpio.gz" -append "$cmdline")

log=$out/console.log
echo "kipc-vm: booting $KERNEL ($accel) with '$cmdline', log $log"
start=$(date +%s)
rc=0
if [ $shell = 1 ]; then
	"$qemu" "${qemu_args[@]}" -serial mon:stdio 2>&1 | tee "$log" || rc=$?
else
	timeout -k 10 "$vm_timeout" "$qemu" "${qemu_args[@]}" -serial stdio \
		< /dev/null 2>&1 | sed -u 's/\r$//' | tee "$log" || rc=${PIPESTATUS[0]}
fi
secs=$(($(date +%s) - start))

# Judge the log.  Test cases are the top-level KTAP "ok"/"not ok" lines
# between a test's BEGIN and END markers; a test with no such lines counts
# as one case by its exit status.  A failed rig check, a test that failed
# without a "not ok", a timeout, a crash and a missing result line each add
# one failure.
judge=0
cut -f 2 "$out/root/etc/kipc-vm/manifest" > "$out/tests.expected"
tr -d '\r' < "$log" | awk -v qemu_rc="$rc" -v vm_timeout="$vm_timeout" -v secs="$secs" -v accel="$accel" '
function flush_test(result, extra,   p, f, s, label) {
	p = tp; f = tf; s = ts
	if (p + f + s == 0) {
		if (result == "pass") p = 1
		else if (result == "skip") s = 1
		else f = 1
	} else if (result != "pass" && result != "skip" && f == 0) {
		f = 1
	}
	label = (result == "pass") ? "PASS" : (result == "skip") ? "SKIP" : toupper(result)
	if (result == "pass" && f > 0) label = "FAIL"
	summary[++nsum] = sprintf("%-8s %s (%d passed, %d failed, %d skipped%s)", label, name, p, f, s, extra)
	npass += p; nfail += f; nskip += s
	intest = 0
}
FILENAME != "-" {
	expected[++nexpected] = $0
	next
}
/^KIPC-VM-TEST-BEGIN: / {
	name = $2; intest = 1; tp = tf = ts = 0
	started[name] = 1
	next
}
/^KIPC-VM-TEST-END: / {
	result = "fail"; extra = ""
	for (i = 3; i <= NF; i++) {
		if ($i ~ /^result=/) result = substr($i, 8)
		if ($i ~ /^rc=/) extra = extra ", exit " substr($i, 4)
		if ($i ~ /^secs=/) extra = extra ", " substr($i, 6) "s"
	}
	flush_test(result, extra)
	next
}
intest && /^(not )?ok [0-9]+/ {
	if (/^not ok/) tf++
	else if (toupper($0) ~ /# *SKIP/) ts++
	else tp++
	next
}
/^KIPC-VM-CHECK: / {
	if ($3 != "ok") {
		problems[++nprob] = "check " $2 " failed: " substr($0, index($0, $3) + length($3) + 1)
		nfail++
	}
	next
}
/^KIPC-VM-RESULT: / { have_result = 1; next }
/Kernel panic - not syncing/ { panic = $0 }
END {
	if (intest)
		flush_test("unfinished", ", VM stopped during it")
	for (i = 1; i <= nexpected; i++) {
		if (expected[i] in started)
			continue
		summary[++nsum] = sprintf("%-8s %s", "NOT-RUN", expected[i])
		nfail++
	}
	if (qemu_rc == 124 || qemu_rc == 137) {
		problems[++nprob] = "VM killed after " vm_timeout "s (VM_TIMEOUT)"
		nfail++
	} else if (qemu_rc != 0) {
		problems[++nprob] = "qemu exited with status " qemu_rc
		nfail++
	}
	if (panic != "") {
		problems[++nprob] = "kernel panic: " panic
		nfail++
	}
	if (!have_result) {
		problems[++nprob] = "no KIPC-VM-RESULT line from the guest"
		nfail++
	}
	print "kipc-vm: ---- summary (" accel ", boot+run " secs "s) ----"
	for (i = 1; i <= nsum; i++)
		print "kipc-vm: " summary[i]
	for (i = 1; i <= nprob; i++)
		print "kipc-vm: PROBLEM  " problems[i]
	print "kipc-vm: " nskip + 0 " skipped"
	printf "%d passed, %d failed\n", npass, nfail
	exit nfail > 0
}
' "$out/tests.expected" - > "$out/summary.txt" || judge=$?
cat "$out/summary.txt"
exit $judge
