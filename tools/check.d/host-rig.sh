#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-tests of the test machinery: every check of the rig must be able to
# fail.  Each case feeds one piece of it (run.sh's watcher and judge,
# check.sh's step counting and static checks, the guest's /init checks,
# the debug-kernel path, check-kcsan's verdict) the input that once fooled
# it, through stand-ins (tools/vm/test/fake-qemu, a fake make, fake kernel
# logs, tools/vm/test/kcsan), and checks that it now fails, and that the
# honest input still passes.  No VM boots here;
# the whole file runs in well under a minute.  TAP, "N passed, M failed".
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top" || exit 2
. tools/check.d/tap.sh

work=$(mktemp -d /tmp/kipc-rig-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fake_qemu=$top/tools/vm/test/fake-qemu
runs=0

# ------------------------------------------------------------ run.sh
# console NAME LINE...: write a fake console script.
console()
{
	local f=$work/$1.con
	shift
	printf '%s\n' "$@" > "$f"
	echo "$f"
}

# rig TCG-SCRIPT [ENV=V...] -- RUN.SH ARGS: run.sh on fake-qemu; its exit
# status in $rig_rc, output in $rig_out, seconds in $rig_secs.
rig()
{
	local tcg=$1 envs=() t0
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	runs=$((runs + 1))
	t0=$SECONDS
	rig_out=$(env QEMU="$fake_qemu" VM_OUT="$work/vm$runs" VM_ACCEL=tcg \
		FAKE_QEMU_TCG="$tcg" FAKE_QEMU_CALLS="$work/calls$runs" \
		"${envs[@]+"${envs[@]}"}" \
		tools/vm/run.sh --expect-dev none "$@" 2>&1)
	rig_rc=$?
	rig_secs=$((SECONDS - t0))
	rig_calls=$(paste -sd ' ' "$work/calls$runs" 2> /dev/null)
}

# expect_rig DESC RC PATTERN: the last rig run exited RC and printed PATTERN.
expect_rig()
{
	if [ "$rig_rc" -eq "$2" ] && grep -qE -- "$3" <<<"$rig_out"; then
		ok "$1"
	else
		not_ok "$1" "wanted exit $2 and /$3/, got exit $rig_rc:" \
			"$(tail -n 12 <<<"$rig_out")"
	fi
}

one=(--name a --timeout 5 --cmd true)
good=$(console good "KIPC-VM-BOOTED: kernel test" \
	"KIPC-VM-TEST-BEGIN: a timeout=5" "TAP version 13" "ok 1 - one" \
	"KIPC-VM-TEST-END: a result=pass rc=0 secs=0" \
	"KIPC-VM-CHECK: dmesg ok" "KIPC-VM-CHECK: taint ok" \
	"KIPC-VM-RESULT: pass=1 fail=0 skip=0 checks_failed=0 entries=1")

rig "$good" -- "${one[@]}"
expect_rig "judge: an honest passing log passes" 0 '^1 passed, 0 failed, 0 skipped$'

# The old judge gave "1 passed, 0 failed" here: END glued to "not ok".
glued=$(console glued "KIPC-VM-BOOTED: kernel test" \
	"KIPC-VM-TEST-BEGIN: a timeout=5" "ok 1 - one" \
	"@nonl not ok 2 - two" "KIPC-VM-TEST-END: a result=fail rc=1 secs=0" \
	"KIPC-VM-CHECK: dmesg ok" "KIPC-VM-CHECK: taint ok" \
	"KIPC-VM-RESULT: pass=0 fail=1 skip=0 checks_failed=0 entries=1")
rig "$glued" -- "${one[@]}"
expect_rig "judge: a 'not ok' with END glued to it still fails" 1 '^1 passed, 1 failed'

disagree=$(console disagree "KIPC-VM-BOOTED: kernel test" \
	"KIPC-VM-TEST-BEGIN: a timeout=5" "ok 1 - one" \
	"KIPC-VM-TEST-END: a result=pass rc=0 secs=0" \
	"KIPC-VM-CHECK: dmesg ok" "KIPC-VM-CHECK: taint ok" \
	"KIPC-VM-RESULT: pass=0 fail=1 skip=0 checks_failed=0 entries=1")
rig "$disagree" -- "${one[@]}"
expect_rig "judge: a guest tally that disagrees with the host's fails" 1 'the guest counted pass=0 fail=1'

unfinished=$(console unfinished "KIPC-VM-BOOTED: kernel test" \
	"KIPC-VM-TEST-BEGIN: a timeout=5" "ok 1 - one" \
	"KIPC-VM-TEST-BEGIN: b timeout=5" "ok 1 - one" \
	"KIPC-VM-TEST-END: b result=pass rc=0 secs=0" \
	"KIPC-VM-CHECK: dmesg ok" "KIPC-VM-CHECK: taint ok" \
	"KIPC-VM-RESULT: pass=2 fail=0 skip=0 checks_failed=0 entries=2")
rig "$unfinished" -- "${one[@]}" --name b --cmd true
expect_rig "judge: a test whose END never came fails (UNFINISHED)" 1 'UNFINISHED a'

nodmesg=$(console nodmesg "KIPC-VM-BOOTED: kernel test" \
	"KIPC-VM-TEST-BEGIN: a timeout=5" "ok 1 - one" \
	"KIPC-VM-TEST-END: a result=pass rc=0 secs=0" "KIPC-VM-CHECK: taint ok" \
	"KIPC-VM-RESULT: pass=1 fail=0 skip=0 checks_failed=0 entries=1")
rig "$nodmesg" -- "${one[@]}"
expect_rig "judge: a required check that never reported fails" 1 'check dmesg was never reported'

rig "$good" --
expect_rig "judge: an empty manifest fails" 1 'the manifest holds no test'

nokasan=$(console nokasan "KIPC-VM-BOOTED: kernel test" \
	"KIPC-VM-KCONFIG: KASAN= PROVE_LOCKING=y DEBUG_KMEMLEAK=y" \
	"KIPC-VM-TEST-BEGIN: a timeout=5" "ok 1 - one" \
	"KIPC-VM-TEST-END: a result=pass rc=0 secs=0" \
	"KIPC-VM-CHECK: kmemleak ok" "KIPC-VM-CHECK: dmesg ok" "KIPC-VM-CHECK: taint ok" \
	"KIPC-VM-RESULT: pass=1 fail=0 skip=0 checks_failed=0 entries=1")
rig "$nokasan" VM_REQUIRE_KCONFIG="KASAN PROVE_LOCKING DEBUG_KMEMLEAK" -- "${one[@]}"
expect_rig "judge: VM_REQUIRE_KCONFIG fails on a kernel without KASAN" 1 'CONFIG_KASAN=, not y'
sed -i 's/KASAN= /KASAN=y /' "$nokasan"
rig "$nokasan" VM_REQUIRE_KCONFIG="KASAN PROVE_LOCKING DEBUG_KMEMLEAK" -- "${one[@]}"
expect_rig "judge: ... and passes on one that has it" 0 'has CONFIG_\{KASAN PROVE_LOCKING DEBUG_KMEMLEAK\}=y'
rig "$good" VM_REQUIRE_KCONFIG="DEBUG_KMEMLEAK" -- "${one[@]}"
expect_rig "judge: a kernel that must have kmemleak fails when the guest reports no config and no kmemleak check" 1 'check kmemleak was never reported'

# KVM that fails on a real kernel: qemu's internal error, then silence.
: > "$work/kvm"
kvm_error=$(console kvm-error "Probing EDD (edd=off to disable)... ok" \
	"@stderr KVM internal error. Suberror: 1" "@hang")
# expect_tcg_rerun DESC SECS PATTERN: the last rig run tried KVM, then
# passed under TCG within SECS seconds, printing PATTERN.
expect_tcg_rerun()
{
	if [ $rig_rc -eq 0 ] && [ "$rig_calls" = "kvm tcg" ] && [ $rig_secs -lt "$2" ] &&
		grep -q -- "$3" <<<"$rig_out"; then
		ok "$1 (${rig_secs}s)"
	else
		not_ok "$1" "exit $rig_rc, calls '$rig_calls', ${rig_secs}s" "$(tail -n 8 <<<"$rig_out")"
	fi
}
rig "$good" VM_ACCEL=auto VM_KVM_DEV="$work/kvm" FAKE_QEMU_KVM="$kvm_error" -- "${one[@]}"
expect_tcg_rerun "KVM internal error: rerun under TCG at once" 20 'rerunning under TCG'
kvm_out=$work/vm$runs
kvm_abort=$(console kvm-abort "@stderr qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" \
	"@stderr qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion \`ret == cpu->kvm_msr_buf->nmsrs' failed." \
	"@exit 134")
rig "$good" VM_ACCEL=auto VM_KVM_DEV="$work/kvm" FAKE_QEMU_KVM="$kvm_abort" -- "${one[@]}"
expect_tcg_rerun "qemu that aborts under KVM before boot: rerun under TCG at once" 20 \
	'qemu exited under KVM before the guest printed anything.*rerunning under TCG'
# ... but a guest that printed anything under KVM failed on its own: a
# boot, a panic before /init, a half-written marker, or a qemu killed
# without a word (the OOM killer) is a failure, never a TCG rerun.
kvm_died=$(console kvm-died "KIPC-VM-BOOTED: kernel test" "@exit 1")
kvm_panic=$(console kvm-panic "Kernel panic - not syncing: VFS: Unable to mount root fs" "@exit 0")
kvm_half=$(console kvm-half "@nonl KIPC-VM-BOOTED: kernel test" "@exit 1")
kvm_killed=$(console kvm-killed "@exit 137")
bad=""
for s in "$kvm_died" "$kvm_panic" "$kvm_half" "$kvm_killed"; do
	rig "$good" VM_ACCEL=auto VM_KVM_DEV="$work/kvm" FAKE_QEMU_KVM="$s" -- "${one[@]}"
	if [ $rig_rc -eq 0 ] || [ "$rig_calls" != kvm ] || grep -q 'rerunning under TCG' <<<"$rig_out"; then
		bad+=" $(basename "$s" .con): exit $rig_rc, calls '$rig_calls';"
	fi
done
if [ -z "$bad" ]; then
	ok "... but a guest that printed anything under KVM (booted, panicked, half a marker) or a qemu killed silently is a failure, not a TCG rerun"
else
	not_ok "... but a guest that printed anything under KVM or a qemu killed silently is a failure, not a TCG rerun" "$bad"
fi
kvm_silent=$(console kvm-silent "Probing EDD (edd=off to disable)... ok" "@hang")
rig "$good" VM_ACCEL=auto VM_KVM_DEV="$work/kvm" VM_KVM_BOOT_TIMEOUT=2 FAKE_QEMU_KVM="$kvm_silent" -- "${one[@]}"
expect_tcg_rerun "KVM that boots nothing: rerun under TCG after VM_KVM_BOOT_TIMEOUT" 15 \
	'did not reach /init in 2s.*rerunning under TCG'
runs=$((runs + 1))
rig_out=$(env QEMU="$fake_qemu" VM_OUT="$kvm_out" VM_ACCEL=auto VM_KVM_DEV="$work/kvm" \
	FAKE_QEMU_TCG="$good" FAKE_QEMU_KVM="$kvm_error" FAKE_QEMU_CALLS="$work/calls$runs" \
	tools/vm/run.sh --expect-dev none "${one[@]}" 2>&1)
check_that "... and the next run of that kernel goes straight to TCG" \
	test "$(paste -sd ' ' "$work/calls$runs")" = tcg
rig "$good" VM_ACCEL=auto VM_KVM_DEV="$work/kvm" FAKE_QEMU_KVM="$good" -- "${one[@]}"
if [ $rig_rc -eq 0 ] && [ "$rig_calls" = kvm ]; then
	ok "KVM that boots the kernel is used"
else
	not_ok "KVM that boots the kernel is used" "exit $rig_rc, calls '$rig_calls'"
fi
rig "$good" VM_ACCEL=auto VM_KVM_DEV="$work/no-kvm" FAKE_QEMU_KVM="$kvm_error" -- "${one[@]}"
if [ $rig_rc -eq 0 ] && [ "$rig_calls" = tcg ]; then
	ok "no /dev/kvm: TCG from the start"
else
	not_ok "no /dev/kvm: TCG from the start" "exit $rig_rc, calls '$rig_calls'"
fi
rig "$good" VM_ACCEL=kvm VM_KVM_DEV="$work/kvm" VM_KVM_BOOT_TIMEOUT=2 FAKE_QEMU_KVM="$kvm_silent" -- "${one[@]}"
expect_rig "VM_ACCEL=kvm: no fallback, a clear failure" 1 'did not reach /init in 2s'

# No hang outlives its cause.
hung=$(console hung "KIPC-VM-BOOTED: kernel test" "KIPC-VM-TEST-BEGIN: a timeout=1" "@hang")
rig "$hung" VM_GRACE=1 -- --name a --timeout 1 --cmd true
if [ $rig_rc -eq 1 ] && [ $rig_secs -lt 15 ] &&
	grep -q 'test a (limit 1s) overran its deadline' <<<"$rig_out"; then
	ok "a test whose END never comes ends the run, naming the test (${rig_secs}s)"
else
	not_ok "a test whose END never comes ends the run, naming the test" \
		"exit $rig_rc, ${rig_secs}s" "$(tail -n 8 <<<"$rig_out")"
fi
noboot=$(console noboot "@hang")
rig "$noboot" VM_BOOT_TIMEOUT=2 -- "${one[@]}"
if [ $rig_rc -eq 1 ] && [ $rig_secs -lt 15 ] && grep -q 'boot (kernel to /init) overran' <<<"$rig_out"; then
	ok "a kernel that never reaches /init ends the run (${rig_secs}s)"
else
	not_ok "a kernel that never reaches /init ends the run" "exit $rig_rc, ${rig_secs}s" \
		"$(tail -n 8 <<<"$rig_out")"
fi
panic=$(console panic "KIPC-VM-BOOTED: kernel test" "KIPC-VM-TEST-BEGIN: a timeout=5" \
	"Kernel panic - not syncing: Fatal exception" "@hang")
rig "$panic" -- "${one[@]}"
if [ $rig_rc -eq 1 ] && [ $rig_secs -lt 15 ] && grep -q 'PROBLEM  kernel panic' <<<"$rig_out"; then
	ok "a panic that does not power off ends the run (${rig_secs}s)"
else
	not_ok "a panic that does not power off ends the run" "exit $rig_rc, ${rig_secs}s" \
		"$(tail -n 8 <<<"$rig_out")"
fi
crash=$(console crash "KIPC-VM-BOOTED: kernel test" "KIPC-VM-TEST-BEGIN: a timeout=5" "@exit 1")
rig "$crash" -- "${one[@]}"
expect_rig "qemu dying mid-test fails the run" 1 'qemu exited with status 1'

# ------------------------------------------------------------ check.sh
logdir=$work/check
mkdir -p "$logdir"
passed=0 failed=0 skipped=0
report=() notes=()
declare -A expect=([counted]=3)
. tools/check.d/lib.sh

# fake_make BODY: a `make` first in PATH that runs BODY (bash), for the
# static checks' own calls; `make print-kmod-srcs` lists two sources.
fake_make()
{
	mkdir -p "$work/bin"
	cat > "$work/bin/make" <<EOF
#!/bin/bash
case " \$* " in *" print-kmod-srcs "*) echo "kmod/a.c kmod/b.h"; exit 0 ;; esac
$1
EOF
	chmod +x "$work/bin/make"
}

# static_case DESC CHECKER 0|1 MAKE-BODY: CHECKER, with a fake make that
# runs MAKE-BODY, must pass (0) or fail (1).
static_case()
{
	local rc=0
	fake_make "$4"
	PATH=$work/bin:$PATH "$2" > /dev/null 2>&1 || rc=1
	check_that "$1" test "$rc" -eq "$3"
}

static_case "checkpatch_ok fails when checkpatch.pl is missing (make exits 2)" checkpatch_ok 1 \
	'echo "Can'"'"'t open perl script \"scripts/checkpatch.pl\": No such file or directory"; exit 2'
static_case "checkpatch_ok fails when checkpatch printed no per-file totals" checkpatch_ok 1 'exit 0'
static_case "checkpatch_ok passes with a clean total for every file" checkpatch_ok 0 \
	'for i in 1 2 3; do echo "total: 0 errors, 0 warnings, 0 checks, 10 lines checked"; done'
static_case "sparse_ok fails when sparse cannot run (Error 127)" sparse_ok 1 \
	'echo "/bin/sh: 1: sparse: not found"; echo "make[2]: *** [kmod/a.o] Error 127"; exit 2'
static_case "sparse_ok fails when it checked no source" sparse_ok 1 'exit 0'
static_case "sparse_ok passes when every source was checked" sparse_ok 0 'echo "  CHECK   /x/kmod/a.c"'

step counted echo "2 passed, 0 failed" > /dev/null
check_that "step: a step that counts fewer cases than expected fails" test "$failed" -eq 1
step counted echo "3 passed, 0 failed" > /dev/null
check_that "step: ... and the expected count passes" test "$failed" -eq 1
step nothing true > /dev/null
check_that "step: a step that exits 0 counts one case by its status" test "$passed" -eq 6
step empty bash -c 'echo "0 passed, 0 failed"; exit 0' > /dev/null
check_that "step: a step that ran no test fails" test "$failed" -eq 2
step skips printf 'ok 1 - a\nok 2 - b # SKIP no frobnicator here\n' > /dev/null
check_that "step: skips are counted" test "$skipped" -eq 1
check_that "step: ... and listed with their reasons" \
	grep -q 'skipped: b # SKIP no frobnicator here' <(printf '%s\n' "${report[@]}")
step reduced printf '1 passed, 0 failed\n# reduced: KIPC_TEST_MSGS=100000 of 10000000\n' > /dev/null
check_that "step: reduced counts appear in the step's summary line" \
	grep -qE '^reduced .*reduced counts: KIPC_TEST_MSGS=100000 of 10000000' <(printf '%s\n' "${report[@]}")

# The environment cannot shrink a run: check.sh clears KIPC_TEST_*.
out=$(KIPC_TEST_TRANSPORTS= KIPC_TEST_MSGS=1 LINUX_SOURCE=/nonexistent KIPC_CACHE=$work/cache \
	tools/check.sh --debug-kernel 2>&1)
rc=$?
check_that "check.sh ignores KIPC_TEST_* from the environment, and says so" \
	grep -q 'ignoring KIPC_TEST_MSGS=1' <<<"$out"
if [ $rc -ne 0 ] && grep -q 'not running on any other kernel' <<<"$out" &&
	! grep -q '^=== build' <<<"$out"; then
	ok "check-debug without a cached or buildable debug kernel fails, on no other kernel"
else
	not_ok "check-debug without a cached or buildable debug kernel fails, on no other kernel" \
		"exit $rc" "$(tail -n 5 <<<"$out")"
fi
out=$(KIPC_CACHE=$work/cache tools/vm/build-debug-kernel.sh --print 2>&1)
rc=$?
if [ $rc -ne 0 ] && [ -z "$(grep '^KERNEL=' <<<"$out")" ]; then
	ok "build-debug-kernel.sh --print with nothing cached fails and prints no KERNEL="
else
	not_ok "build-debug-kernel.sh --print with nothing cached fails and prints no KERNEL=" "$out"
fi

# ------------------------------------------------- the guest's checks
# guest SNIPPET: busybox sh with init.sh's functions, CONF in $work/conf.
mkdir -p "$work/conf"
guest()
{
	busybox sh -c "KIPC_RIG_SOURCE_ONLY=1 . '$top/tools/vm/init.sh'; CONF='$work/conf'
		sleep() { :; }
		$1" 2>&1
}

printf '[0.1] boot\n[9.0] BUG: KASAN: use-after-free in kipc_release\n' > "$work/dmesg.nomarker"
out=$(guest "dmesg() { cat '$work/dmesg.nomarker'; }; scan_dmesg")
check_that "dmesg: a log without the start marker fails (wrapped or unwritten)" \
	grep -q 'KIPC-VM-CHECK: dmesg fail start marker' <<<"$out"
printf '[0.1] boot\n[1.0] kipc-vm: tests begin\n[9.0] BUG: KASAN: use-after-free\n' > "$work/dmesg.after"
out=$(guest "dmesg() { cat '$work/dmesg.after'; }; scan_dmesg")
check_that "dmesg: a report after the marker fails" grep -q 'KIPC-VM-CHECK: dmesg fail 1 suspicious' <<<"$out"
printf '[0.1] WARNING: boot thing\n[1.0] kipc-vm: tests begin\n[2.0] fine\n' > "$work/dmesg.before"
out=$(guest "dmesg() { cat '$work/dmesg.before'; }; scan_dmesg")
check_that "dmesg: a report before the marker is a warning only" grep -q 'KIPC-VM-CHECK: dmesg ok' <<<"$out"

printf 'listeners 0\nconnections 0\n' > "$work/counters"
echo "$work/counters" > "$work/conf/counters"
printf '%s\n' listeners connections mappings > "$work/conf/zero"
out=$(guest dump_counters)
check_that "counters: a counter missing from the file fails" \
	grep -q 'KIPC-VM-CHECK: counters-zero fail mappings:missing' <<<"$out"
printf 'listeners 0\nconnections 2\nmappings 0\n' > "$work/counters"
out=$(guest dump_counters)
check_that "counters: a non-zero counter fails" grep -q 'counters-zero fail connections=2' <<<"$out"
printf 'listeners 0\nconnections 0\nmappings 0\n' > "$work/counters"
out=$(guest dump_counters)
check_that "counters: all present and zero passes" grep -q 'KIPC-VM-CHECK: counters-zero ok' <<<"$out"

out=$(guest "kmemleak_file=$work/no-such-kmemleak; kconfig() { [ \$1 = DEBUG_KMEMLEAK ] && echo y; }; kmemleak_scan")
check_that "kmemleak: a kmemleak kernel without a usable kmemleak file fails" \
	grep -q 'KIPC-VM-CHECK: kmemleak fail CONFIG_DEBUG_KMEMLEAK=y but' <<<"$out"
out=$(guest "kmemleak_file=$work/no-such-kmemleak; kconfig() { :; }; kmemleak_scan")
check_that "kmemleak: a kernel without kmemleak reports no check" test -z "$out"
: > "$work/kmemleak"
out=$(guest "kmemleak_file=$work/kmemleak
	kmemleak_cmd() { echo \"cmd \$1\"; }
	kmemleak_report() { echo 'unreferenced object 0xffff888001 (size 64):'; }
	kmemleak_scan")
check_that "kmemleak: the final check scans twice" test "$(grep -c '^cmd scan' <<<"$out")" -eq 2
check_that "kmemleak: an unreferenced object fails" \
	grep -q 'KIPC-VM-CHECK: kmemleak fail 1 unreferenced' <<<"$out"
out=$(guest "kmemleak_file=$work/kmemleak; kmemleak_cmd() { :; }; kmemleak_report() { :; }; kmemleak_scan")
check_that "kmemleak: no leak passes" grep -q 'KIPC-VM-CHECK: kmemleak ok' <<<"$out"

# ------------------------------------------------ check-kcsan's verdict
# tools/check.d/kcsan-classify.sh on the hand-written console logs and rig
# outputs of tools/vm/test/kcsan (see its README).
kdir=$top/tools/vm/test/kcsan

# kcsan_log NAME: NAME.log with its @dmesg/@dump lines expanded, in $work.
kcsan_log()
{
	awk -v dir="$kdir" '
	$1 == "@dmesg" || $1 == "@dump" {
		f = dir "/" $2 ".report"
		p = $1 == "@dmesg"
		while ((getline l < f) > 0) {
			if (l ~ /BUG: KCSAN: /) p = 1
			if (p) print ($1 == "@dump" ? "kcsan-dump: " : "") l
		}
		close(f)
		next
	}
	{ print }' "$kdir/$1.log" > "$work/$1.log"
	echo "$work/$1.log"
}

# classify DESC LOG RIG RC WANT LINE...: the classifier on the console log
# LOG and the rig output RIG (in $kdir) of a rig that exited RC exits WANT
# and prints each LINE as a whole line; "!REGEX" is one no line matches.
classify()
{
	local desc=$1 log=$2 rig=$kdir/$3 rc=$4 want=$5 out got line miss=()
	shift 5
	out=$(tools/check.d/kcsan-classify.sh "$log" "$rig" "$rc" 2>&1)
	got=$?
	[ "$got" -eq "$want" ] || miss+=("exit $got, wanted $want")
	for line in "$@"; do
		case $line in
		!*) ! grep -qE -- "${line#!}" <<<"$out" || miss+=("printed /${line#!}/") ;;
		*) grep -qxF -- "$line" <<<"$out" || miss+=("did not print: $line") ;;
		esac
	done
	if [ ${#miss[@]} -eq 0 ]; then
		ok "$desc"
	else
		not_ok "$desc" "${miss[@]}" "output:" "$out"
	fi
}

nocount='![0-9]+ passed'
outside='data-race in poll_schedule_timeout / pollwake'
classify "kcsan: no reports, the rig passed: pass, the rig's count stands" "$kdir/clean.log" pass.out 0 0 \
	"vm-kcsan: distinct KCSAN reports: 0 in kipc, 0 outside kipc, 0 without a stack" \
	'!FAIL|note|flagged' "$nocount"
log=$(kcsan_log kipc-first)
classify "kcsan: kipc in the first frame of either access, or in an unknown origin's title: fail, named" \
	"$log" dmesg.out 1 1 \
	"vm-kcsan: distinct KCSAN reports: 3 in kipc, 0 outside kipc, 0 without a stack" \
	"vm-kcsan: FAIL kipc's: data-race in __fget_light / kipc_conn_shutdown" \
	"vm-kcsan: FAIL kipc's: data-race in copy_page_to_iter / kipc_ring_tail" \
	"vm-kcsan: FAIL kipc's: data-race in kipc_ring_peek+0x3c/0x80 [kipc]" \
	"10 passed, 1 failed, 0 skipped"
classify "kcsan: kipc in the second frame (a helper it called): fail, though the rig passed" \
	"$(kcsan_log helper)" pass.out 0 1 \
	"vm-kcsan: distinct KCSAN reports: 1 in kipc, 0 outside kipc, 0 without a stack" \
	"vm-kcsan: FAIL kipc's: data-race in eventfd_read / eventfd_signal" \
	"10 passed, 1 failed, 0 skipped"
log=$(kcsan_log outside)
classify "kcsan: a core-kernel race five frames below kipc is listed, and the rig's dmesg failure overridden" \
	"$log" dmesg.out 1 0 \
	"vm-kcsan: distinct KCSAN reports: 0 in kipc, 1 outside kipc, 0 without a stack" \
	"vm-kcsan: note outside kipc: $outside" \
	"vm-kcsan: reports outside kipc are listed, not failed (full text in $log)" \
	"vm-kcsan: the rig's one failure is its dmesg check on the reports outside kipc above: not counted" \
	"10 passed, 0 failed, 0 skipped" '!FAIL|flagged'
classify "kcsan: ... but not when the rig had a second problem (taint)" "$log" dmesg-taint.out 1 1 \
	"vm-kcsan: note outside kipc: $outside" '!not counted' "$nocount"
classify "kcsan: ... nor when its one problem is not the dmesg check" "$log" taint.out 1 1 \
	"vm-kcsan: note outside kipc: $outside" '!not counted' "$nocount"
classify "kcsan: ... nor when it lists two problems, whatever its count says" "$log" miscounted.out 1 1 \
	"vm-kcsan: note outside kipc: $outside" '!not counted' "$nocount"
classify "kcsan: ... nor when the dmesg check could not scan (no start marker): it flagged nothing" \
	"$(kcsan_log marker)" marker.out 1 1 "vm-kcsan: note outside kipc: $outside" '!not counted' "$nocount"
classify "kcsan: an outside report and a passing rig: listed, passes, the rig's count stands" "$log" pass.out 0 0 \
	"vm-kcsan: note outside kipc: $outside" '!not counted' "$nocount"
classify "kcsan: an unknown origin's race in a helper kipc called, after another report: fail" \
	"$(kcsan_log unknown-helper)" dmesg.out 1 1 \
	"vm-kcsan: distinct KCSAN reports: 1 in kipc, 1 outside kipc, 0 without a stack" \
	"vm-kcsan: FAIL kipc's: data-race in memchr_inv+0x5b/0x140" \
	"vm-kcsan: note outside kipc: $outside" "10 passed, 1 failed, 0 skipped"
classify "kcsan: a title the rig flagged whose stacks were never seen: fail, as kipc's" \
	"$(kcsan_log unseen)" dmesg.out 1 1 \
	"vm-kcsan: distinct KCSAN reports: 0 in kipc, 1 outside kipc, 1 without a stack" \
	"vm-kcsan: FAIL stack not seen (counted as kipc's): data-race in kipc_recv / kipc_send" \
	"vm-kcsan: note outside kipc: $outside" "10 passed, 1 failed, 0 skipped" '!not counted'
classify "kcsan: a report printed after the kcsan-dump (rmmod) is classified from the rig's dmesg block" \
	"$(kcsan_log late)" dmesg.out 1 1 \
	"vm-kcsan: distinct KCSAN reports: 1 in kipc, 0 outside kipc, 0 without a stack" \
	"vm-kcsan: FAIL kipc's: data-race in kipc_conn_free / kipc_timer_fn" \
	"10 passed, 1 failed, 0 skipped"
sed 's/$/\r/' "$log" > "$work/outside-crlf.log"
classify "kcsan: CRLF line endings: the same verdict, no CR in the lines printed" \
	"$work/outside-crlf.log" dmesg.out 1 0 \
	"vm-kcsan: note outside kipc: $outside" \
	"vm-kcsan: the rig's one failure is its dmesg check on the reports outside kipc above: not counted" \
	"10 passed, 0 failed, 0 skipped" $'!\r'
sed 's/$/\r/' "$work/kipc-first.log" > "$work/kipc-first-crlf.log"
classify "kcsan: ... and a kipc report in a CRLF log still fails, named" \
	"$work/kipc-first-crlf.log" dmesg.out 1 1 \
	"vm-kcsan: FAIL kipc's: data-race in __fget_light / kipc_conn_shutdown" \
	"vm-kcsan: FAIL kipc's: data-race in copy_page_to_iter / kipc_ring_tail" $'!\r'
classify "kcsan: a line the rig flagged outside every report: listed, and the dmesg failure stands" \
	"$(kcsan_log flagged)" dmesg.out 1 1 \
	"vm-kcsan: note outside kipc: $outside" \
	"vm-kcsan: flagged by the rig, not a KCSAN report: [   47.302118] INFO: task kipc_stress_test:262 blocked for more than 61 seconds." \
	"vm-kcsan: flagged by the rig, not a KCSAN report: [   47.305530] Call Trace:" \
	'!not counted|lockdep' "$nocount"

# --------------------------------------------------------- native mode
if [ "$(id -u)" -eq 0 ] && command -v unshare > /dev/null &&
	unshare --pid --fork --mount true 2> /dev/null; then
	out=$(VM_OUT=$work/native tools/vm/run.sh --native --expect-dev none --name n \
		--cmd 'echo "ok 1 - inside the rig"; setsid sleep 6543 & sleep 1; exit 0' 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^ok 1 - inside the rig' <<<"$out" &&
		grep -q 'KIPC-VM-WARN: n left processes running:.*(killed)' <<<"$out" &&
		! pgrep -f 'sleep 6543' > /dev/null && grep -q '^1 passed, 0 failed' <<<"$out"; then
		ok "native mode runs the same tree and judge, in a PID namespace of its own"
	else
		not_ok "native mode runs the same tree and judge, in a PID namespace of its own" \
			"exit $rc" "$(tail -n 10 <<<"$out")"
	fi
else
	skip "native mode runs the same tree and judge" "needs root and unshare --pid"
fi

tap_end
