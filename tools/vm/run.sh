#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kipc test rig: build the initramfs, boot qemu (or, with --native,
# run the same tree on this host), watch the run, stream and save the
# console, then judge it.  Exits 0 only when every test passed or skipped,
# every rig check ran and passed, and the guest's own tally agrees with the
# host's.  See tools/vm/README.md.
#
# Usage: run.sh [OPTION]... [INITRAMFS OPTION]...
#   --out DIR          work directory (default: $VM_OUT or build/vm)
#   --append 'ARGS'    more kernel command line (also $VM_APPEND)
#   --param MOD.P=V    module parameter, e.g. --param kipc.max_ring_bytes=65536
#   --shell            interactive: shell on the console after the tests,
#                      no time limit (leave it with "exit")
#   --native           run on this host (insmod here) instead of in a VM
#   --can-native       exit 0 if this host can load the module given with
#                      --module, else print why not and exit 1
#   -h, --help         this text
# Every other option goes to mkinitramfs.sh: --module KO, --test EXE,
# --cmd 'CMD', --name NAME, --timeout SECS, --file SRC:DST,
# --expect-dev PATH, --counters PATH, --zero GLOB, --init FILE.
#
# Environment: KERNEL, KDIR, KERNEL_SERIES (see kernel.sh); VM_ACCEL
# (auto|kvm|tcg, default auto: KVM when it really boots the kernel, else
# TCG); VM_TIMEOUT (a hard limit on the whole run, seconds; by default
# each phase has its own limit, below); VM_TEST_TIMEOUT and
# VM_TIMEOUT_SCALE (see mkinitramfs.sh); VM_KVM_BOOT_TIMEOUT (default 20);
# VM_BOOT_TIMEOUT (TCG, default 120); VM_PHASE_TIMEOUT (between tests,
# default 120); VM_GRACE (how late a test's end may come after its limit,
# default 30); VM_KVM_DEV (default /dev/kvm); VM_REQUIRE_KCONFIG (kernel options that must be =y in the
# guest's /proc/config.gz, e.g. "KASAN PROVE_LOCKING DEBUG_KMEMLEAK");
# VM_MEM (MiB, default 1024); VM_SMP (default 2); VM_APPEND; VM_OUT; QEMU
# (default qemu-system-x86_64).

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

positive()
{
	[[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1=$2: not a number of seconds"
	echo "$2"
}

out=${VM_OUT:-$top/build/vm}
append=${VM_APPEND:-}
shell=0 native=0 can_native=0
modules=()
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
	--native)	native=1 ;;
	--can-native)	can_native=1 ;;
	-h|--help)	usage ;;
	--module)
		[ $# -ge 2 ] || die "$1 needs an argument"
		modules+=("$2")
		initramfs_args+=("$1" "$2")
		shift
		;;
	*)
		initramfs_args+=("$1")
		;;
	esac
	shift
done

# Why this host cannot run the rig natively, or nothing when it can: root,
# and, with modules to load (or with "modules" as $1), a kernel that loads
# them, each built for this kernel.
native_blocker()
{
	local ko v
	[ "$(id -u)" -eq 0 ] || { echo "not root"; return; }
	command -v unshare > /dev/null || { echo "no unshare(1)"; return; }
	[ "${1:-}" = modules ] || [ ${#modules[@]} -gt 0 ] || return 0
	[ -e /proc/modules ] || { echo "this kernel has no module support (no /proc/modules)"; return; }
	[ "$(cat /proc/sys/kernel/modules_disabled 2> /dev/null || echo 0)" = 0 ] ||
		{ echo "kernel.modules_disabled=1"; return; }
	for ko in "${modules[@]+"${modules[@]}"}"; do
		[ -f "$ko" ] || { echo "$ko is not built"; return; }
		v=$(modinfo -F vermagic "$ko" 2> /dev/null | cut -d' ' -f1)
		[ "$v" = "$(uname -r)" ] ||
			{ echo "$ko is built for $v, this kernel is $(uname -r)"; return; }
	done
}

if [ $can_native = 1 ]; then
	why=$(native_blocker modules)
	[ -z "$why" ] && exit 0
	echo "$why"
	exit 1
fi
if [ $native = 1 ]; then
	why=$(native_blocker)
	[ -z "$why" ] || die "--native: $why"
	KVER=$(uname -r)
else
	qemu=${QEMU:-qemu-system-x86_64}
	command -v "$qemu" > /dev/null || die "$qemu is missing; run tools/vm/install-deps.sh"
	kernel_env=$("$here/kernel.sh") || exit 2
	KERNEL=$(sed -n 's/^KERNEL=//p' <<< "$kernel_env")
	KVER=$(sed -n 's/^KVER=//p' <<< "$kernel_env")
fi

scale=${VM_TIMEOUT_SCALE:-1}
[[ $scale =~ ^[1-9][0-9]*$ ]] || die "VM_TIMEOUT_SCALE=$scale: not a positive integer"
hard_limit=${VM_TIMEOUT:+$(positive VM_TIMEOUT "$VM_TIMEOUT")}
kvm_boot_limit=$(positive VM_KVM_BOOT_TIMEOUT "${VM_KVM_BOOT_TIMEOUT:-20}")
tcg_boot_limit=$(positive VM_BOOT_TIMEOUT "${VM_BOOT_TIMEOUT:-120}")
phase_limit=$(positive VM_PHASE_TIMEOUT "${VM_PHASE_TIMEOUT:-120}")
# How long after its limit a test's END may come (init kills it at the limit).
grace=$(positive VM_GRACE "${VM_GRACE:-30}")
tcg_boot_limit=$((tcg_boot_limit * scale)) phase_limit=$((phase_limit * scale))

mkdir -p "$out"
out=$(cd "$out" && pwd)
exec 9> "$out/.lock"
flock -n 9 || die "another run is using $out; pick another with --out or VM_OUT"

tree_only=()
[ $native = 1 ] && tree_only=(--tree-only)
"$here/mkinitramfs.sh" -o "$out" --kver "$KVER" "${tree_only[@]+"${tree_only[@]}"}" \
	"${initramfs_args[@]+"${initramfs_args[@]}"}" > /dev/null || exit 2
conf=$out/root/etc/kipc-vm
manifest=$conf/manifest

cmdline="console=ttyS0 panic=-1 quiet log_buf_len=8M$append"
[ $shell = 1 ] && cmdline="$cmdline kipc_vm.shell=1"
# Natively, /init reads module parameters from here, not /proc/cmdline.
echo "$cmdline" > "$conf/cmdline"

# The checks that must be reported for the run to count: a check that never
# ran (a kmemleak the kernel lacks, a counter file never read) fails.
required_checks="dmesg taint"
while read -r m; do
	[ -n "$m" ] || continue
	m=${m##*/}
	required_checks="$required_checks insmod:${m%.ko} rmmod:${m%.ko}"
done < "$conf/modules"
while read -r d; do
	[ -n "$d" ] && required_checks="$required_checks device:$d"
done < "$conf/devices"
[ -s "$conf/zero" ] && required_checks="$required_checks counters-zero"
require_kconfig=${VM_REQUIRE_KCONFIG:-}
[[ " $require_kconfig " == *" DEBUG_KMEMLEAK "* ]] &&
	required_checks="$required_checks kmemleak"

log=$out/console.log
raw=$out/console.raw
problems=$out/rig-problems
accel_cache=$out/accel
: > "$problems"

# stop_run PID REASON: end a run that stopped making progress, and say why.
stop_run()
{
	echo "$2" >> "$problems"
	echo "kipc-vm: stopping the run: $2" >&2
	kill -TERM "$1" 2> /dev/null || return 0
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$1" 2> /dev/null || return 0
		sleep 0.5
	done
	kill -KILL "$1" 2> /dev/null || :
}

# watch PID ACCEL: follow the console of a running VM (or native run) until
# it ends.  Each phase has a deadline: boot until /init's first line, each
# test its manifest limit plus a grace, the gaps between tests, and the
# power-off after the result line.  A stopped vCPU or a panic ends the run
# at once.  Returns 3 when KVM could not run the guest (the caller retries
# under TCG), else 0: qemu's "KVM internal error", a guest that does not
# reach /init in time, or qemu ending by itself with a message on stderr
# before the guest printed anything (seen: qemu aborting on "failed to set
# MSR 0x10a" where /dev/kvm opens).
watch()
{
	local pid=$1 accel=$2 t0 now deadline phase line name="" limit fd
	local booted=0 pending="" stopped=0
	t0=$(date +%s)
	if [ "$accel" = kvm ]; then
		deadline=$((t0 + kvm_boot_limit)) phase="boot under KVM"
	elif [ "$accel" = native ]; then
		deadline=$((t0 + phase_limit)) phase="start"
	else
		deadline=$((t0 + tcg_boot_limit)) phase="boot (kernel to /init)"
	fi
	exec {fd}< "$raw"
	while kill -0 "$pid" 2> /dev/null; do
		sleep 0.5
		now=$(date +%s)
		# Whole new lines only: a partial last line waits in $pending.
		while IFS= read -r -u "$fd" line; do
			line=$pending$line pending=""
			line=${line%$'\r'}
			case "$line" in
			*KIPC-VM-BOOTED:*)
				booted=1 phase="set-up before the first test"
				deadline=$((now + phase_limit)) ;;
			*KIPC-VM-TEST-BEGIN:*)
				name=${line#*KIPC-VM-TEST-BEGIN: }
				limit=${name##*timeout=}
				name=${name%% *}
				[[ $limit =~ ^[0-9]+$ ]] || limit=$phase_limit
				phase="test $name (limit ${limit}s)"
				deadline=$((now + limit + grace + limit / 10)) ;;
			*KIPC-VM-TEST-END:*)
				phase="the gap after test $name"
				deadline=$((now + phase_limit)) ;;
			*KIPC-VM-RESULT:*)
				phase="power-off after the result line"
				deadline=$((now + 60)) ;;
			*"Kernel panic - not syncing"*)
				phase="a kernel panic"
				deadline=$((now + 5)) ;;
			esac
		done
		pending=$pending$line
		if grep -qs "KVM internal error" "$out/qemu.err"; then
			stop_run "$pid" "vCPU stopped: qemu reported 'KVM internal error' (during $phase)"
			exec {fd}<&-
			[ "$accel" = kvm ] && return 3
			return 0
		fi
		[ $shell = 1 ] && [ $booted = 1 ] && continue
		if [ "$now" -ge "$deadline" ]; then
			if [ "$accel" = kvm ] && [ $booted = 0 ]; then
				stop_run "$pid" "under KVM the guest did not reach /init in ${kvm_boot_limit}s"
				exec {fd}<&-
				return 3
			fi
			stop_run "$pid" "no progress: $phase overran its deadline ($((now - t0))s into the run)"
			stopped=1
			break
		fi
		if [ -n "$hard_limit" ] && [ $((now - t0)) -ge "$hard_limit" ]; then
			stop_run "$pid" "VM killed after ${hard_limit}s (VM_TIMEOUT), during $phase"
			stopped=1
			break
		fi
	done
	exec {fd}<&-
	# qemu ended by itself. Under KVM, before the guest printed a thing
	# on its console and with qemu saying why on stderr (seen: an abort
	# on "failed to set MSR 0x10a"), it is KVM that cannot run here. A
	# guest that printed anything, a panic included, or a qemu killed
	# without a word (the OOM killer) is the run's own failure.
	if [ "$accel" = kvm ] && [ $stopped = 0 ] &&
		! grep -q '[^[:space:]]' "$raw" && [ -s "$out/qemu.err" ]; then
		echo "qemu exited under KVM before the guest printed anything" >> "$problems"
		return 3
	fi
	return 0
}

# launch ACCEL: start the run in the background; its pid in $run_pid.
launch()
{
	local accel_args=()
	: > "$raw"
	: > "$out/qemu.err"
	if [ "$1" = native ]; then
		unshare --pid --fork --kill-child --mount --propagation private \
			chroot "$out/root" /init --native < /dev/null > "$raw" 2>&1 &
		run_pid=$!
		return 0
	fi
	if [ "$1" = kvm ]; then
		accel_args=(-accel kvm -cpu host)
	else
		# shellcheck disable=SC2054 # the comma belongs to qemu's syntax
		accel_args=(-accel tcg,thread=multi -cpu max)
	fi
	if [ $shell = 1 ]; then
		"$qemu" "${accel_args[@]}" "${qemu_args[@]}" -serial mon:stdio 2>&1 | tee "$raw"
		run_pid=""
		return 0
	fi
	"$qemu" "${accel_args[@]}" "${qemu_args[@]}" -serial stdio \
		< /dev/null > "$raw" 2> "$out/qemu.err" &
	run_pid=$!
}

# run ACCEL: launch, stream the console, watch; exit status of the run in
# $run_rc, 3 from watch when KVM failed.
run()
{
	local tail_pid rc=0
	launch "$1"
	[ -n "$run_pid" ] || { run_rc=0; return 0; }
	tail -n +1 -s 0.2 -f --pid="$run_pid" "$raw" | sed -u 's/\r$//' &
	tail_pid=$!
	watch "$run_pid" "$1" || rc=$?
	run_rc=0
	wait "$run_pid" || run_rc=$?
	wait "$tail_pid" 2> /dev/null || :
	[ -s "$out/qemu.err" ] && sed 's/^/kipc-vm: qemu: /' "$out/qemu.err"
	return $rc
}

qemu_args=(-m "${VM_MEM:-1024}" -smp "${VM_SMP:-2}"
	-nodefaults -display none -no-reboot -monitor none
	${KERNEL:+-kernel "$KERNEL"} -initrd "$out/initramfs.cpio.gz" -append "$cmdline")

if [ $native = 1 ]; then
	accel=native
else
	case "${VM_ACCEL:-auto}" in
	auto)
		# KVM is judged by booting the kernel under test, never by a
		# probe: a /dev/kvm that opens may still fail on a real kernel.
		# A kernel that KVM could not boot is remembered in the work
		# folder, so that its next run goes straight to TCG.
		kvm_dev=${VM_KVM_DEV:-/dev/kvm}
		if [ -r "$kvm_dev" ] && [ -w "$kvm_dev" ] &&
			[ "$(cat "$accel_cache/$KVER" 2> /dev/null)" != tcg ]; then
			accel=kvm
		else
			accel=tcg
		fi
		;;
	kvm|tcg) accel=$VM_ACCEL ;;
	*)	die "VM_ACCEL=$VM_ACCEL: expected auto, kvm or tcg" ;;
	esac
fi

if [ $native = 1 ]; then
	echo "kipc-vm: running natively on $(uname -r), log $log"
else
	echo "kipc-vm: booting $KERNEL ($accel) with '$cmdline', log $log"
fi
start=$(date +%s)
watch_rc=0
run "$accel" || watch_rc=$?
if [ $watch_rc = 3 ] && [ "${VM_ACCEL:-auto}" = auto ]; then
	mkdir -p "$accel_cache"
	echo tcg > "$accel_cache/$KVER"
	echo "kipc-vm: KVM cannot run $KVER here ($(tail -n 1 "$problems")) after $(($(date +%s) - start))s: rerunning under TCG"
	cp "$raw" "$out/console-kvm.log"
	: > "$problems"
	accel=tcg
	run tcg || :
fi
secs=$(($(date +%s) - start))
rc=$run_rc
tr -d '\r' < "$raw" > "$log"

# Judge the log.  Test cases are the top-level KTAP "ok"/"not ok" lines
# between a test's BEGIN and END markers; a test with no such lines counts
# as one case by its exit status.  A failed or missing rig check, a test
# that failed without a "not ok", a timeout, a test cut short, a crash, a
# missing result line, a guest tally that disagrees with the host's, and
# each problem the watcher recorded add one failure each.
judge=0
cut -f 2 "$manifest" > "$out/tests.expected"
awk -v qemu_rc="$rc" -v secs="$secs" -v accel="$accel" -v kver="$KVER" \
	-v required="$required_checks" -v require_kconfig="$require_kconfig" \
	-v problems_file="$problems" '
function flush_test(result, extra,   p, f, s, label) {
	p = tp; f = tf; s = ts
	if (p + f + s == 0) {
		if (result == "pass") p = 1
		else if (result == "skip") s = 1
		else f = 1
	} else if (result != "pass" && result != "skip" && f == 0) {
		f = 1
	}
	if (result == "pass") host_pass++
	else if (result == "skip") host_skip++
	else host_fail++
	label = (result == "pass") ? "PASS" : (result == "skip") ? "SKIP" : toupper(result)
	if (result == "pass" && f > 0) label = "FAIL"
	summary[++nsum] = sprintf("%-8s %s (%d passed, %d failed, %d skipped%s)", label, name, p, f, s, extra)
	npass += p; nfail += f; nskip += s
	intest = 0
}
function problem(text) {
	problems[++nprob] = text
	nfail++
}
# Fields 2..n of a rig line, "KEY=VALUE" each, into out[KEY].
function key_values(f, n, out,   i, kv) {
	for (i = 2; i <= n; i++) {
		split(f[i], kv, "=")
		out[kv[1]] = kv[2]
	}
}
function handle(line,   n, f, i) {
	n = split(line, f, " ")
	if (line ~ /^KIPC-VM-TEST-BEGIN: /) {
		if (intest)
			flush_test("unfinished", ", no END before test " f[2] " began")
		name = f[2]; intest = 1; tp = tf = ts = 0
		started[name] = 1
		return
	}
	if (line ~ /^KIPC-VM-TEST-END: /) {
		if (!intest || f[2] != name) {
			problem("END of test " f[2] " without its BEGIN")
			return
		}
		result = "fail"; extra = ""
		for (i = 3; i <= n; i++) {
			if (f[i] ~ /^result=/) result = substr(f[i], 8)
			if (f[i] ~ /^rc=/) extra = extra ", exit " substr(f[i], 4)
			if (f[i] ~ /^secs=/) extra = extra ", " substr(f[i], 6) "s"
		}
		flush_test(result, extra)
		return
	}
	if (line ~ /^KIPC-VM-CHECK: /) {
		reported[f[2]] = 1
		if (f[3] != "ok") {
			problem("check " f[2] " failed: " substr(line, index(line, f[3]) + length(f[3]) + 1))
			host_badcheck++
		}
		return
	}
	if (line ~ /^KIPC-VM-KCONFIG: /) {
		have_kconfig = 1
		key_values(f, n, kconfig)
		return
	}
	if (line ~ /^KIPC-VM-RESULT: /) {
		have_result = 1
		key_values(f, n, guest)
		return
	}
	if (line ~ /^KIPC-VM-/)
		return
	if (intest && line ~ /^(not )?ok [0-9]+/) {
		if (line ~ /^not ok/) tf++
		else if (toupper(line) ~ /# *SKIP/) ts++
		else tp++
		return
	}
	if (line ~ /Kernel panic - not syncing/) panic = line
}
FILENAME == problems_file {
	if ($0 != "") problem($0)
	next
}
FILENAME != "-" {
	expected[++nexpected] = $0
	next
}
{
	# A rig line glued to the end of a test line still counts as both.
	line = $0
	while ((i = index(substr(line, 2), "KIPC-VM-")) > 0 &&
	       substr(line, i + 1) ~ /^KIPC-VM-[A-Z-]+: /) {
		handle(substr(line, 1, i))
		line = substr(line, i + 1)
	}
	handle(line)
}
END {
	if (intest)
		flush_test("unfinished", ", the run stopped during it")
	if (nexpected == 0)
		problem("the manifest holds no test: nothing was run")
	for (i = 1; i <= nexpected; i++) {
		if (expected[i] in started)
			continue
		summary[++nsum] = sprintf("%-8s %s", "NOT-RUN", expected[i])
		nfail++
	}
	if (qemu_rc == 124 || qemu_rc == 137 || qemu_rc == 143) {
		if (nprob == 0) problem("the run was killed (status " qemu_rc ")")
	} else if (qemu_rc != 0) {
		problem("qemu exited with status " qemu_rc)
	}
	if (panic != "")
		problem("kernel panic: " panic)
	if (!have_result) {
		problem("no KIPC-VM-RESULT line from the guest")
	} else {
		if (guest["pass"] != host_pass + 0 || guest["fail"] != host_fail + 0 ||
		    guest["skip"] != host_skip + 0 || guest["checks_failed"] != host_badcheck + 0 ||
		    guest["entries"] != nexpected + 0)
			problem(sprintf("the guest counted pass=%s fail=%s skip=%s checks_failed=%s entries=%s, the host pass=%d fail=%d skip=%d checks_failed=%d entries=%d",
				guest["pass"], guest["fail"], guest["skip"], guest["checks_failed"], guest["entries"],
				host_pass, host_fail, host_skip, host_badcheck, nexpected))
		nreq = split(required, req, " ")
		for (i = 1; i <= nreq; i++)
			if (!(req[i] in reported))
				problem("check " req[i] " was never reported")
	}
	nreq = split(require_kconfig, req, " ")
	if (nreq > 0 && !have_kconfig)
		problem("VM_REQUIRE_KCONFIG: the guest did not report its kernel config")
	for (i = 1; i <= nreq; i++)
		if (have_kconfig && kconfig[req[i]] != "y")
			problem("VM_REQUIRE_KCONFIG: the guest kernel has CONFIG_" req[i] "=" kconfig[req[i]] ", not y")
	print "kipc-vm: ---- summary (" kver ", " accel ", boot+run " secs "s) ----"
	for (i = 1; i <= nsum; i++)
		print "kipc-vm: " summary[i]
	for (i = 1; i <= nprob; i++)
		print "kipc-vm: PROBLEM  " problems[i]
	if (have_kconfig && require_kconfig != "")
		print "kipc-vm: kernel " kver " has CONFIG_{" require_kconfig "}=y"
	print "kipc-vm: " nskip + 0 " skipped"
	printf "%d passed, %d failed, %d skipped\n", npass, nfail, nskip
	exit nfail > 0
}
' "$problems" "$out/tests.expected" - < "$log" > "$out/summary.txt" || judge=$?
cat "$out/summary.txt"
exit $judge
