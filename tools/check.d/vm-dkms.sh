#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The driver as DKMS installs it: make install-dkms into a DESTDIR, then
# dkms add, build (against the VM kernel's headers, KERNEL_SERIES picks
# which: tools/vm/kernel.sh), install and remove, all in private trees
# (--dkmstree, --sourcetree, --installtree, --no-depmod; unsigned), so
# nothing of the host's /var/lib/dkms, /usr/src or /lib/modules changes;
# the kipc.ko DKMS built is then loaded in the VM, where kipc_conn_test
# must pass. TAP on stdout, "N passed, M failed" last (the rig's own lines
# are shown as "# " comments).
#
# Needs dkms (installed with apt-get when missing, as root) and
# build/selftests/kipc_conn_test (make selftests). Environment as for
# tools/vm/run.sh: VM_ACCEL, VM_TIMEOUT_SCALE, KERNEL_SERIES.
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top" || exit 2
. tools/check.d/tap.sh
work=$(mktemp -d /tmp/kipc-dkms-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
version=$(sed -n 's/^VERSION := //p' lib/Makefile)
test_exe=build/selftests/kipc_conn_test

finish()
{
	tap_end
	exit
}

if ! command -v dkms > /dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		dkms > "$work/apt.log" 2>&1 ||
		{ not_ok "dkms installed" "$(tail -n 5 "$work/apt.log")"; finish; }
fi
if ! kver=$(tools/vm/kernel.sh kver) || ! kdir=$(tools/vm/kernel.sh kdir); then
	not_ok "a VM kernel and its headers (tools/vm/kernel.sh)"
	finish
fi
make -s selftests > "$work/selftests.log" 2>&1 ||
	{ not_ok "make selftests" "$(tail -n 10 "$work/selftests.log")"; finish; }

root=$work/root
if make -s DESTDIR="$root" install-dkms > "$work/install.log" 2>&1 &&
   [ -f "$root/usr/src/kipc-$version/dkms.conf" ]; then
	ok "make install-dkms: /usr/src/kipc-$version ($(cd "$root/usr/src/kipc-$version" && find . -type f | wc -l) files)"
else
	not_ok "make install-dkms" "$(cat "$work/install.log")"
	finish
fi

mkdir -p "$work/dkms" "$work/modules/$kver"
# An unset sign_file makes dkms sign with a key it creates in
# /var/lib/dkms; a missing one makes it skip signing (the VM loads
# unsigned modules, tainting E, which the rig allows).
dkms_run()
{
	sign_file=/nonexistent dkms --dkmstree "$work/dkms" \
		--sourcetree "$root/usr/src" --installtree "$work/modules" \
		--no-depmod "$@" -m kipc -v "$version"
}

dkms_step()
{
	local what=$1
	shift
	if dkms_run "$@" > "$work/dkms.log" 2>&1; then
		ok "dkms $what"
	else
		not_ok "dkms $what" "$(tail -n 30 "$work/dkms.log")" \
			"$(tail -n 30 "$work/dkms/kipc/$version/build/make.log" 2> /dev/null)"
		finish
	fi
}

dkms_step add add
start=$(date +%s)
dkms_step "build -k $kver (against $kdir)" build -k "$kver"
echo "# dkms build: $(( $(date +%s) - start )) s"
ko=$work/dkms/kipc/$version/$kver/$(uname -m)/module/kipc.ko
if [ -f "$ko.xz" ] && [ ! -f "$ko" ]; then
	xz -dk "$ko.xz"
fi
if [ -f "$ko" ] && [ "$(modinfo -F vermagic "$ko" | cut -d ' ' -f 1)" = "$kver" ]; then
	ok "the module DKMS built is for $kver"
else
	not_ok "the module DKMS built is for $kver" "$(ls -l "$work/dkms/kipc/$version/$kver"/*/module 2>&1)" \
		"vermagic: $(modinfo -F vermagic "$ko" 2>&1)"
	finish
fi
dkms_step "install -k $kver" install -k "$kver"
if compgen -G "$work/modules/$kver/updates/dkms/kipc.ko*" > /dev/null &&
   dkms_run status 2>&1 | grep -q "$kver.*: installed"; then
	ok "dkms status: installed in updates/dkms"
else
	not_ok "dkms status: installed in updates/dkms" "$(dkms_run status 2>&1)" \
		"$(find "$work/modules")"
fi

# The rig's lines become comments: our own totals are the step's.
rc=0
VM_OUT=$work/vm tools/vm/run.sh --module "$ko" --timeout 60 --test "$test_exe" \
	> "$work/vm.log" 2>&1 || rc=$?
sed 's/^/# /' "$work/vm.log" | tail -n 40
if [ "$rc" -eq 0 ] && grep -qE '^[0-9]+ passed, 0 failed' "$work/vm.log"; then
	ok "VM ($kver): DKMS's kipc.ko loads, kipc_conn_test: $(grep -E '^[0-9]+ passed' "$work/vm.log" | tail -n 1)"
else
	not_ok "VM ($kver): DKMS's kipc.ko loads and kipc_conn_test passes (exit $rc)"
fi

dkms_step "remove --all" remove --all
left=$(find "$work/dkms" "$work/modules" ! -type d)
if [ -z "$left" ]; then
	ok "dkms remove leaves nothing in its trees"
else
	not_ok "dkms remove leaves nothing in its trees" "$left"
fi
finish
