#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# examples/, TAP: they build in the tree (dynamic and static); each one's
# self-test passes on shm and on uds (a server and its clients, every reply
# or record checked; the last output line "NAME selftest: ok ..."); and
# they build and run against a copy of libkipc installed into a DESTDIR,
# found by pkg-config alone (the Makefile's out-of-tree way). The dev
# transport runs in the VM (tools/check.d/vm-lib.args).
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top" || exit 2
. tools/check.d/tap.sh
examples="epoll_server uring_server zerocopy multi_client peer_death"
bin=build/examples

if out=$(make -s -C examples all static 2>&1); then
	ok "examples build in the tree, dynamic and static"
else
	not_ok "examples build in the tree, dynamic and static" "$out"
fi

for t in shm uds; do
	for e in $examples; do
		desc="$e selftest on $t"
		if [ ! -x "$bin/$e" ]; then
			not_ok "$desc" "$bin/$e was not built"
			continue
		fi
		out=$(KIPC_TRANSPORT=$t timeout 120 "$bin/$e" selftest 2>&1)
		rc=$?
		if [ "$rc" -eq 4 ]; then
			skip "$desc" "$(tail -n 1 <<<"$out")"
		elif [ "$rc" -eq 0 ] && tail -n 1 <<<"$out" | grep -q "^$e selftest: ok"; then
			ok "$desc: $(tail -n 1 <<<"$out" | sed 's/.*selftest: //')"
		else
			not_ok "$desc" "exit $rc" "$(tail -n 20 <<<"$out")"
		fi
	done
done

# Out of the tree: libkipc installed into a DESTDIR, the examples copied
# elsewhere, pkg-config told only where the .pc is (and the DESTDIR as the
# sysroot its paths are under).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
desc="examples build against an installed libkipc with pkg-config alone, and run"
if ! out=$(make -s -C lib install DESTDIR="$tmp/root" 2>&1); then
	not_ok "$desc" "make -C lib install failed" "$out"
else
	pc=$(find "$tmp/root" -name 'libkipc.pc' -o -name 'kipc.pc' | head -n 1)
	libdir=$(dirname "$(find "$tmp/root" -name 'libkipc.so.1' | head -n 1)")
	mkdir -p "$tmp/src"
	cp examples/*.c examples/*.h examples/Makefile "$tmp/src/"
	if ! out=$(PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_LIBDIR=$(dirname "$pc") \
		PKG_CONFIG_SYSROOT_DIR="$tmp/root" make -s -C "$tmp/src" all 2>&1); then
		not_ok "$desc" "$out"
	elif ! out=$(KIPC_TRANSPORT=shm LD_LIBRARY_PATH=$libdir timeout 120 \
		"$tmp/src/zerocopy" selftest 2>&1); then
		not_ok "$desc" "$out"
	elif ldd "$tmp/src/zerocopy" | grep -q "$top/build"; then
		not_ok "$desc" "linked against the tree: $(ldd "$tmp/src/zerocopy" | grep kipc)"
	else
		ok "$desc"
	fi
fi
tap_end
