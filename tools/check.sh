#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every kipc test, host and VM, and ends with one line
# "N passed, N failed" (", N skipped" follows when something skipped).
# Called by `make check` after the deps target; see README.
#
# The steps are listed below, each with the number of cases it must count
# (passed + failed + skipped): a step that counts another number fails, so
# a suite that silently lost tests, or a step that ran nothing, cannot pass.
# Each step's output goes to the terminal and to build/check/STEP.log. A
# step that prints its own "N passed, M failed" line contributes those
# totals; otherwise its TAP/KTAP "ok"/"not ok" lines are counted; otherwise
# it counts as one case by its exit status. A step that exits non-zero
# without a counted failure adds one. The summary gives each step's skips
# with their reasons and any counts reduced below the documented ones.
#
# Options: --debug-kernel  the VM suite on the KASAN/lockdep/kmemleak kernel
#                          (built and cached on first use; never another)
#          --kcsan-kernel  the race suite and the stress test on the KCSAN
#                          kernel (the same, build-debug-kernel.sh --flavour
#                          kcsan); tools/check.d/vm-kcsan.sh says what fails
#          --host-only / --vm-only
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 2
logdir=build/check
mkdir -p "$logdir"
export MAKEFLAGS="${MAKEFLAGS:-} -j$(nproc)"

# A test run starts from a clean environment: the suites' own size knobs
# would shrink what "every test" means.
for v in $(compgen -e | grep -E '^KIPC_(TEST_|TRANSPORT$)'); do
	echo "check.sh: ignoring $v=${!v} from the environment"
	unset "$v"
done

host=1 vm=1 debug=0 kcsan=0
for arg; do
	case $arg in
	--debug-kernel) debug=1 host=0 ;;
	--kcsan-kernel) debug=1 kcsan=1 host=0 ;;
	--host-only) vm=0 ;;
	--vm-only) host=0 ;;
	*) echo "check.sh: unknown option $arg" >&2; exit 2 ;;
	esac
done

passed=0 failed=0 skipped=0
report=() notes=()

# Cases each step must count; "-" for a step whose count depends on the
# machine (none yet). Keep in step with the suites.
declare -A expect=(
	[build]=1 [checkpatch]=1
	[host-rig]=64 [host-kipc]=105 [host-lib]=614 [host-model]=6 [host-fuzz]=4
	[host-man]=21 [host-examples]=12 [host-install]=19 [host-load]=1 [vm-dkms]=9
	[vm-full]=544 [vm-selftests]=328 [native-full]=544 [vm-kcsan]=10
)

# step, checkpatch_ok, sparse_ok
. tools/check.d/lib.sh

build_for()
{
	KERNEL_SERIES=$1 make module
}

if [ "$debug" -eq 1 ]; then
	# The debug kernel or nothing: built when it is not cached (make
	# check-debug installs its packages first), never replaced by another.
	flavour=kasan
	[ "$kcsan" -eq 1 ] && flavour=kcsan
	echo "=== debug kernel: tools/vm/build-debug-kernel.sh --flavour $flavour"
	if ! kernel_env=$(tools/vm/build-debug-kernel.sh --flavour $flavour); then
		echo "check.sh: the debug kernel could not be built; not running on any other kernel"
		echo "0 passed, 1 failed"
		exit 1
	fi
	KERNEL=$(sed -n 's/^KERNEL=//p' <<<"$kernel_env")
	KDIR=$(sed -n 's/^KDIR=//p' <<<"$kernel_env")
	export KERNEL KDIR
	export VM_REQUIRE_KCONFIG="KASAN PROVE_LOCKING DEBUG_KMEMLEAK UBSAN"
	[ "$kcsan" -eq 1 ] && VM_REQUIRE_KCONFIG="KCSAN PROVE_LOCKING"
	export VM_TIMEOUT_SCALE=${VM_TIMEOUT_SCALE:-4}
	# The suites' long forms (issue 10): 1,000 crash rounds, 10,000
	# listeners and connections, the 256-connection load, 10^6 fuzz calls.
	export VM_TEST_LONG=${VM_TEST_LONG:-1}
	echo "check.sh: debug kernel $KERNEL, VM_TIMEOUT_SCALE=$VM_TIMEOUT_SCALE"
fi

# A build failure stops everything: nothing below would mean anything.
step build make all
if [ "$failed" -ne 0 ]; then
	echo "build failed; see $logdir/build.log"
	echo "$passed passed, $failed failed"
	exit 1
fi
series_list=$(tools/vm/kernel.sh series)
if [ "$debug" -eq 0 ] && [ -n "${KERNEL:-}${KDIR:-}" ]; then
	# One kernel chosen by hand: that one alone, in the default's place.
	series_list=custom
	echo "check.sh: KERNEL/KDIR given: testing $(tools/vm/kernel.sh kver) only"
fi
default_series=${series_list%% *}
if [ "$debug" -eq 0 ]; then
	for s in ${series_list#"$default_series"}; do
		step "build-$s" build_for "$s"
	done
fi

step checkpatch checkpatch_ok
if [ "$debug" -eq 1 ]; then
	step sparse sparse_ok
else
	for s in $series_list; do
		KERNEL_SERIES=${s/custom/} step "sparse-$s" sparse_ok
	done
fi

if [ "$host" -eq 1 ]; then
	for t in host-rig host-kipc host-lib host-man host-examples host-install host-load; do
		step "$t" "tools/check.d/$t.sh"
	done
	# The doorbell protocol's model (spin), and every fuzz target's
	# corpus replayed once under ASan/UBSan (issue 10's short forms).
	step host-model tools/model/check.sh
	step host-fuzz make -s -C lib fuzz-replay
fi

if [ "$vm" -eq 1 ]; then
	if [ "$kcsan" -eq 1 ]; then
		step vm-kcsan tools/check.d/vm-kcsan.sh
	elif [ "$debug" -eq 1 ]; then
		step vm-full-debug tools/check.d/vm.sh --full
	else
		# The whole suite on the default kernel, the driver's
		# selftests on every other supported one.
		KERNEL_SERIES=${default_series/custom/} step "vm-full-$default_series" tools/check.d/vm.sh --full
		for s in ${series_list#"$default_series"}; do
			KERNEL_SERIES=$s step "vm-selftests-$s" tools/check.d/vm.sh --selftests
		done
		# The module DKMS builds from the installed source loads and
		# passes a selftest (issue 11).
		KERNEL_SERIES=${default_series/custom/} step vm-dkms tools/check.d/vm-dkms.sh
		# Where this host loads modules, the same suite natively too.
		if why=$(tools/check.d/vm.sh --can-native); then
			step native-full tools/check.d/vm.sh --full --native
		else
			notes+=("native: not run, this host cannot load kipc.ko ($why)")
		fi
	fi
fi

echo
echo "=== summary"
[ "$debug" -eq 1 ] && echo "kernel: $KERNEL (debug: CONFIG_{$VM_REQUIRE_KCONFIG}=y checked in the guest)"
printf '%s\n' "${report[@]}"
[ ${#notes[@]} -eq 0 ] || printf 'note: %s\n' "${notes[@]}"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
