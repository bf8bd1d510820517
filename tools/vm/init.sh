#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kipc test rig's runner (busybox sh).  In the VM it is /init (PID 1);
# natively (run.sh --native) it runs as PID 1 of a new PID and mount
# namespace chrooted into the same staging tree, with "--native".  The
# two modes differ only in set-up and in how they end.
#
# Loads the modules listed in /etc/kipc-vm/modules, runs the entries of
# /etc/kipc-vm/manifest one by one, unloads the modules, checks counters,
# kmemleak, the kernel log and taint, and prints its own tally.  Everything
# the host needs is printed on the console as lines starting with
# "KIPC-VM-", always at the start of a line; tests print their KTAP output
# in between.  mkinitramfs.sh writes the files under /etc/kipc-vm;
# README.md documents the line formats.
#
# Kernel command line (VM):
#   <module>.<param>=<value>   passed to insmod of <module>.ko as param=value
#                              (only modprobe reads these by itself)
#   kipc_vm.shell=1            start a shell on the console before powering off

PATH=/usr/sbin:/usr/bin:/sbin:/bin:/tests
export PATH HOME=/root TERM=dumb

CONF=/etc/kipc-vm
TAB=$(printf '\t')
NATIVE=0
[ "${1:-}" = --native ] && NATIVE=1
# Taints that loading an unsigned out-of-tree module sets by design:
# TAINT_OOT_MODULE (O, 4096) and TAINT_UNSIGNED_MODULE (E, 8192).
TAINT_EXPECTED=$((4096 | 8192))
DMESG_PATTERN='BUG:|WARNING:|Oops|leak|KASAN|UBSAN|lockdep|possible circular locking|possible recursive locking|inconsistent lock state|general protection fault|kernel BUG|Kernel panic|Call Trace:|refcount_t:|list_(add|del) corruption|blocked for more than|soft lockup|hard LOCKUP|rcu_.*stall|Bad page'
# The kernel options the host may require (VM_REQUIRE_KCONFIG), reported
# from the running kernel's own /proc/config.gz.
KCONFIG_REPORTED='KASAN KASAN_GENERIC PROVE_LOCKING DEBUG_KMEMLEAK UBSAN KCSAN DEBUG_VM FAILSLAB FAIL_PAGE_ALLOC'
START_MARKER='kipc-vm: tests begin'

npass=0
nfail=0
nskip=0
nbadcheck=0
loaded=""

say()
{
	echo "kipc-vm: $*"
}

# A rig line starts a line of its own even when the test before it ended
# without a newline: the host's judge must never find it glued to output.
marker()
{
	printf '\n%s\n' "$*"
}

check()
{
	# check NAME ok|fail [DETAIL...]
	name=$1
	state=$2
	shift 2
	marker "KIPC-VM-CHECK: $name $state${1:+ $*}"
	[ "$state" = ok ] || nbadcheck=$((nbadcheck + 1))
}

kmsg()
{
	echo "kipc-vm: $*" > /dev/kmsg
}

cmdline_has()
{
	case " $(cat /proc/cmdline) " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# The value of CONFIG_$1 in the running kernel, or "" (not set, or the
# kernel has no /proc/config.gz).
kconfig()
{
	[ -r /proc/config.gz ] || return 0
	zcat /proc/config.gz | sed -n "s/^CONFIG_$1=//p"
}

setup_system()
{
	mkdir -p /proc /sys /dev /tmp /run /root
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	mkdir -p /dev/pts /dev/shm
	mount -t devpts -o newinstance devpts /dev/pts
	mount -t tmpfs -o mode=1777 tmpfs /dev/shm
	mount -t tmpfs -o mode=1777 tmpfs /tmp
	mount -t tmpfs -o mode=0755 tmpfs /run
	debugfs_err=$(mount -t debugfs debugfs /sys/kernel/debug 2>&1) || :
	[ $NATIVE = 1 ] && return 0
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
	hostname kipc-vm
}

report_kconfig()
{
	if [ ! -r /proc/config.gz ]; then
		marker "KIPC-VM-KCONFIG: unavailable"
		return 0
	fi
	line=""
	for opt in $KCONFIG_REPORTED; do
		line="$line $opt=$(kconfig "$opt")"
	done
	marker "KIPC-VM-KCONFIG:$line"
}

# Print the user processes other than PID 1, as "pid(comm)" words.  A kernel
# thread or zombie has no /proc/PID/exe.  The watcher half of busybox
# timeout exits by itself within a second of its test.
list_user_processes()
{
	procs=""
	# This runs in a subshell of PID 1, which must not list itself.
	read -r self _ < /proc/self/stat
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" = 1 ] || [ "$p" = "$self" ] && continue
		[ -e "$d/exe" ] || continue
		read -r comm < "$d/comm" 2>/dev/null || continue
		[ "$comm" = timeout ] && continue
		procs="$procs $p($comm)"
	done
	echo "$procs"
}

# Kill whatever a test left running, so that its fds cannot keep the module
# busy for the next test or for rmmod.  Reported, not a failure by itself.
# kill -1 reaches every process of this PID namespace but PID 1: the whole
# guest in the VM, only the rig's own processes natively.
kill_strays()
{
	strays=$(list_user_processes)
	[ -n "$strays" ] || return 0
	marker "KIPC-VM-WARN: $1 left processes running:$strays (killed)"
	kill -KILL -1 2>/dev/null
	sleep 0.2
}

module_name()
{
	n=${1##*/}
	n=${n%.ko}
	echo "$n" | tr - _
}

# <module>.<param>=<value> words of the kernel command line for one module
# (natively: of /etc/kipc-vm/cmdline, which run.sh writes).
module_params()
{
	params=""
	if [ $NATIVE = 1 ]; then
		cmdline=$(cat "$CONF/cmdline" 2>/dev/null)
	else
		read -r cmdline < /proc/cmdline
	fi
	# shellcheck disable=SC2086 # split into words on purpose
	for w in $cmdline; do
		case "$w" in
		"$1".*=*) params="$params ${w#"$1".}" ;;
		esac
	done
	echo "$params"
}

load_modules()
{
	[ -s "$CONF/modules" ] || return 0
	while read -r ko; do
		[ -n "$ko" ] || continue
		name=$(module_name "$ko")
		params=$(module_params "$name")
		if grep -q "^$name " /proc/modules; then
			check "insmod:$name" fail "already loaded before the tests"
			return 1
		fi
		say "insmod $ko$params"
		# shellcheck disable=SC2086 # params are separate words
		if out=$(insmod "$ko" $params 2>&1); then
			loaded="$name $loaded"
			# The kernel loads a module despite an unknown
			# parameter; a misspelt limit must not go unnoticed.
			bad=$(dmesg | grep "$name: unknown parameter")
			if [ -n "$bad" ]; then
				check "insmod:$name" fail "$bad"
				return 1
			fi
			check "insmod:$name" ok
		else
			check "insmod:$name" fail "$out"
			return 1
		fi
	done < "$CONF/modules"
	return 0
}

check_devices()
{
	[ -s "$CONF/devices" ] || return 0
	rc=0
	while read -r dev; do
		[ -n "$dev" ] || continue
		# devtmpfs creates the node during misc_register(); allow a moment
		# anyway for drivers that register from a work item.
		i=0
		while [ ! -c "$dev" ] && [ $i -lt 20 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if [ -c "$dev" ]; then
			check "device:$dev" ok
		else
			check "device:$dev" fail "no character device after insmod"
			rc=1
		fi
	done < "$CONF/devices"
	return $rc
}

unload_modules()
{
	for name in $loaded; do
		i=0
		# An fd released by a process killed a moment ago may still be
		# on its way out (deferred fput); retry for up to two seconds.
		until out=$(rmmod "$name" 2>&1); do
			i=$((i + 1))
			if [ $i -ge 20 ]; then
				check "rmmod:$name" fail "$out;" \
					"$(grep "^$name " /proc/modules)"
				break
			fi
			sleep 0.1
		done
		[ $i -lt 20 ] && check "rmmod:$name" ok
	done
	loaded=""
}

# run_entry TIMEOUT NAME COMMAND
run_entry()
{
	t=$1
	name=$2
	cmd=$3

	marker "KIPC-VM-TEST-BEGIN: $name timeout=$t"
	kmsg "begin $name" 2>/dev/null
	start=$(date +%s)
	# The test gets a session of its own so that the whole process group
	# can be killed after it.  busybox timeout execs the command in its own
	# process, so $! is the test's pid and, after setsid, its group id.
	timeout -s KILL "$t" setsid sh -c "$cmd" < /dev/null &
	pid=$!
	wait $pid
	rc=$?
	secs=$(($(date +%s) - start))
	kill -KILL -$pid 2>/dev/null

	if [ $rc -eq 137 ] && [ $secs -ge "$t" ]; then
		result=timeout
		nfail=$((nfail + 1))
	elif [ $rc -eq 0 ]; then
		result=pass
		npass=$((npass + 1))
	elif [ $rc -eq 4 ]; then
		result=skip
		nskip=$((nskip + 1))
	else
		result=fail
		nfail=$((nfail + 1))
	fi
	kmsg "end $name $result" 2>/dev/null
	marker "KIPC-VM-TEST-END: $name result=$result rc=$rc secs=$secs"
	kill_strays "$name"
}

run_manifest()
{
	[ -s "$CONF/manifest" ] || return 0
	while IFS="$TAB" read -r t name cmd; do
		[ -n "$name" ] || continue
		run_entry "$t" "$name" "$cmd"
	done < "$CONF/manifest"
}

# /proc/driver/kipc (or another file named in $CONF/counters) holds
# "key value" lines; keys matching a glob in $CONF/zero must read 0 once
# every test has exited, and each glob must match at least one key: a
# counter that disappeared from the file is a failure, not a pass.
dump_counters()
{
	[ -s "$CONF/counters" ] || return 0
	read -r file < "$CONF/counters"
	if [ ! -r "$file" ]; then
		say "no $file"
		[ -s "$CONF/zero" ] && check counters-zero fail "$file missing"
		return 0
	fi
	bad=""
	matched=" "
	while read -r key value rest; do
		[ -n "$key" ] || continue
		echo "KIPC-VM-COUNTER: $key $value${rest:+ $rest}"
		[ -s "$CONF/zero" ] || continue
		while read -r glob; do
			# shellcheck disable=SC2254 # glob is meant to match
			case "$key" in
			$glob)	matched="$matched$glob "
				[ "$value" = 0 ] || bad="$bad $key=$value" ;;
			esac
		done < "$CONF/zero"
	done < "$file"
	[ -s "$CONF/zero" ] || return 0
	while read -r glob; do
		case "$matched" in
		*" $glob "*) ;;
		*) bad="$bad $glob:missing-from-$file" ;;
		esac
	done < "$CONF/zero"
	if [ -n "$bad" ]; then
		check counters-zero fail "${bad# }"
	else
		check counters-zero ok
	fi
}

kmemleak_file=/sys/kernel/debug/kmemleak

# The two ways the rig talks to kmemleak (host-rig.sh replaces them).
kmemleak_cmd()
{
	echo "$1" > $kmemleak_file
}

kmemleak_report()
{
	cat $kmemleak_file
}

# A kernel built with kmemleak must have it working: no file there is a
# failed check, not a silent pass.  Without kmemleak there is nothing to do.
kmemleak_present()
{
	[ -w $kmemleak_file ] && return 0
	if [ "$(kconfig DEBUG_KMEMLEAK)" = y ]; then
		check kmemleak fail "CONFIG_DEBUG_KMEMLEAK=y but $kmemleak_file is not writable${debugfs_err:+ (debugfs: $debugfs_err)}"
	fi
	return 1
}

# kmemleak reports an object once it is 5 s old, unreferenced, and its
# checksum has not changed since the previous scan: a new leak needs two
# scans.  Boot-time suspects are scanned twice too, then cleared.
kmemleak_scan2()
{
	kmemleak_cmd scan && kmemleak_cmd scan
}

kmemleak_forget_boot()
{
	kmemleak_present || return 0
	kmemleak_scan2 || check kmemleak fail "scan at boot failed"
	kmemleak_cmd clear
}

kmemleak_scan()
{
	kmemleak_present || return 0
	say "kmemleak scan"
	sleep 6
	if ! kmemleak_scan2; then
		check kmemleak fail "scan failed"
		return 0
	fi
	report=$(kmemleak_report)
	leaks=$(echo "$report" | grep -c '^unreferenced object')
	if [ "$leaks" -gt 0 ]; then
		echo "$report" | sed 's/^/KIPC-VM-KMEMLEAK: /'
		check kmemleak fail "$leaks unreferenced objects"
	else
		check kmemleak ok
	fi
}

# The kernel log since the start marker must hold none of DMESG_PATTERN.
# Without the marker (a wrapped log buffer, a failed /dev/kmsg write) the
# tests' reports could not be told from boot's, so that fails too.
scan_dmesg()
{
	log=$(dmesg)
	if ! echo "$log" | grep -q "$START_MARKER"; then
		check dmesg fail "start marker '$START_MARKER' is not in the kernel log (log wrapped, or the write to /dev/kmsg failed${kmsg_err:+: $kmsg_err})"
		return 0
	fi
	hits=$(echo "$log" | sed -n "/$START_MARKER/,\$p" | grep -v 'kipc-vm:' |
		grep -E "$DMESG_PATTERN")
	boot_hits=$(echo "$log" | sed "/$START_MARKER/,\$d" |
		grep -E "$DMESG_PATTERN")
	if [ -n "$boot_hits" ]; then
		echo "$boot_hits" | sed 's/^/KIPC-VM-WARN: boot dmesg: /'
	fi
	if [ -n "$hits" ]; then
		echo "$hits" | sed 's/^/KIPC-VM-DMESG: /'
		check dmesg fail "$(echo "$hits" | wc -l) suspicious lines"
		echo "KIPC-VM-DMESG-LOG-BEGIN"
		echo "$log" | sed -n "/$START_MARKER/,\$p" | tail -n 300
		echo "KIPC-VM-DMESG-LOG-END"
	else
		check dmesg ok
	fi
}

check_taint()
{
	now=$(cat /proc/sys/kernel/tainted)
	new=$((now & ~taint_before & ~TAINT_EXPECTED))
	if [ $new -ne 0 ]; then
		check taint fail "kernel taint $taint_before -> $now (new bits $new)"
	else
		check taint ok
	fi
}

main()
{
	setup_system
	# The host's first sign that the kernel under test reached /init.
	marker "KIPC-VM-BOOTED: kernel $(uname -r)"
	say "kernel $(uname -r), $(nproc) cpus, cmdline: $(cat /proc/cmdline)"
	[ -s "$CONF/env" ] && . "$CONF/env"
	report_kconfig
	# Not "read": it reads byte by byte, and a sysctl file gives EOF to
	# any read that does not start at offset 0.
	taint_before=$(cat /proc/sys/kernel/tainted)
	kmemleak_forget_boot
	kmsg_err=$(kmsg "${START_MARKER#kipc-vm: }" 2>&1) || :

	if load_modules && check_devices; then
		run_manifest
	else
		say "not running tests: module setup failed"
	fi
	kill_strays "the tests"
	dump_counters
	unload_modules
	kmemleak_scan
	scan_dmesg
	check_taint

	entries=$(grep -c . "$CONF/manifest")
	marker "KIPC-VM-RESULT: pass=$npass fail=$nfail skip=$nskip" \
		"checks_failed=$nbadcheck entries=$entries"
	if [ $NATIVE = 0 ] && cmdline_has kipc_vm.shell=1; then
		say "shell; exit to power off"
		setsid -c sh -l
	fi
}

# host-rig.sh sources this file to test its checks one by one.
[ -n "${KIPC_RIG_SOURCE_ONLY:-}" ] && return 0
main
[ $NATIVE = 1 ] && exit 0
sync
poweroff -f
# Reached only when ACPI poweroff is not available; qemu runs -no-reboot.
reboot -f
