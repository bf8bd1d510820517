#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages as a user gets them (run as root, after make deb, or
# with --build to run it first): apt-get install the four .debs of
# build/deb/, then kipc-hello (packaging/test/) built in an empty folder
# with `pkg-config --cflags --libs kipc` against the system's copy, run over
# shm and uds with /usr/lib's libkipc.so.1; the kipc command; the group,
# udev rule and modprobe.d file; DKMS's build for the installed kernels and
# that module loading in the VM with kipc_conn_test passing; the tree's own
# library build still taking the tree's headers while the system has its
# copies; last, apt-get purge, after which none of the packages' files is
# left. The packages are purged on every exit, so the system's
# /usr/include never keeps a kipc.h. TAP, "N passed, M failed" last.
#
# Environment: VM_ACCEL, VM_TIMEOUT_SCALE (tools/vm/run.sh);
# KIPC_DEB_VM=0 skips the VM case.
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 2
. tools/check.d/tap.sh
version=$(sed -n 's/^VERSION := //p' lib/Makefile)
pkgs=(libkipc1 libkipc-dev kipc-tools kipc-dkms)
work=$(mktemp -d /tmp/kipc-deb-test.XXXXXX)
made_group=0

if [ "${1:-}" = --build ]; then
	packaging/deb.sh > "$work/deb.log" 2>&1 ||
		{ echo "not ok 1 - make deb"; tail -n 30 "$work/deb.log" | sed 's/^/#   /'
		  echo "0 passed, 1 failed"; rm -rf "$work"; exit 1; }
fi

purge()
{
	DEBIAN_FRONTEND=noninteractive apt-get purge -y "${pkgs[@]}" > "$work/purge.log" 2>&1
}

cleanup()
{
	if dpkg-query -W -f='${db:Status-Abbrev}\n' "${pkgs[@]}" 2> /dev/null | grep -q '^i'; then
		purge
	fi
	[ "$made_group" -eq 0 ] || groupdel kipc 2> /dev/null
	rm -rf "$work"
}
trap cleanup EXIT

debs=()
for p in "${pkgs[@]}"; do
	f=$(ls build/deb/"${p}"_"${version}"_*.deb 2> /dev/null | head -n 1)
	[ -n "$f" ] && debs+=("./$f")
done
if [ ${#debs[@]} -ne ${#pkgs[@]} ]; then
	not_ok "build/deb/ holds the four packages (make deb)" "found: ${debs[*]:-none}"
	tap_end
	exit
fi
if dpkg-query -W -f='${db:Status-Abbrev}\n' "${pkgs[@]}" 2> /dev/null | grep -q '^i' ||
   [ -e /usr/include/kipc.h ]; then
	not_ok "no kipc package or header installed before the test" \
		"$(dpkg -l "${pkgs[@]}" 2>&1 | tail -n 4)"
	tap_end
	exit
fi
getent group kipc > /dev/null || made_group=1

# sign_file: DKMS leaves the module unsigned rather than making a key in
# /var/lib/dkms (maintainer scripts inherit the environment).
if sign_file=/nonexistent DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${debs[@]}" > "$work/install.log" 2>&1; then
	ok "apt-get install ${debs[*]##*/}"
else
	not_ok "apt-get install ${debs[*]}" "$(tail -n 30 "$work/install.log")"
	tap_end
	exit
fi
dpkg -L "${pkgs[@]}" | sort -u > "$work/files"
grep -E 'Building for|installed|Error' "$work/install.log" | sed 's/^/# /'

libdir=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)
mkdir -p "$work/ex"
cp packaging/test/kipc-hello.c "$work/ex/"
cflags=$(pkg-config --cflags kipc | xargs) libs=$(pkg-config --libs kipc | xargs)
if [ "$(pkg-config --modversion kipc)" = "$version" ] && [ "$libs" = "-lkipc" ]; then
	ok "pkg-config kipc: $version, cflags '$cflags', libs '$libs'"
else
	not_ok "pkg-config kipc" "$(pkg-config --modversion kipc 2>&1)" "$cflags $libs"
fi
# shellcheck disable=SC2086
if out=$(cd "$work/ex" && gcc -Wall -Wextra -Werror -H $cflags kipc-hello.c \
		-o kipc-hello $libs 2>&1) &&
   hdrs=$(grep -oE '[^ ]*kipc[^ ]*\.h' <<<"$out" | sort -u) &&
   [ "$hdrs" = "$(printf '%s\n' /usr/include/kipc.h /usr/include/kipc_ring.h /usr/include/linux/kipc.h)" ]; then
	ok "kipc-hello built with pkg-config alone, headers from /usr/include"
else
	not_ok "kipc-hello built with pkg-config alone" "$(grep -v '^\.' <<<"$out" | head -n 20)" "headers: ${hdrs:-}"
fi
# /lib is /usr/lib on a merged-/usr system: the same file either way.
used=$(ldd "$work/ex/kipc-hello" 2> /dev/null | sed -n 's/.*libkipc\.so\.1 => \([^ ]*\) .*/\1/p')
if [ -n "$used" ] && [ "$(readlink -f "$used")" = "$(readlink -f "$libdir/libkipc.so.1")" ] &&
   out=$(timeout 60 "$work/ex/kipc-hello" shm 2>&1) &&
   out2=$(timeout 60 "$work/ex/kipc-hello" uds 2>&1); then
	ok "kipc-hello runs with $libdir/libkipc.so.1: $out; $out2"
else
	not_ok "kipc-hello runs with the packaged libkipc.so.1" "$(ldd "$work/ex/kipc-hello" 2>&1)" "${out:-}" "${out2:-}"
fi
if out=$(/usr/bin/kipc info 2>&1) && grep -q '^connect now' <<<"$out" &&
   [ -f /usr/share/man/man1/kipc.1.gz ]; then
	ok "/usr/bin/kipc info runs; kipc(1) installed"
else
	not_ok "/usr/bin/kipc info, kipc(1)" "$out"
fi
if getent group kipc > /dev/null &&
   grep -q 'GROUP="kipc", MODE="0660"' /lib/udev/rules.d/60-kipc.rules &&
   grep -q '^#options kipc max_ring_bytes=' /etc/modprobe.d/kipc.conf; then
	ok "group kipc, lib/udev/rules.d/60-kipc.rules, /etc/modprobe.d/kipc.conf"
else
	not_ok "group kipc, the udev rule, modprobe.d" "$(getent group kipc)" \
		"$(ls -l /lib/udev/rules.d/60-kipc.rules /etc/modprobe.d/kipc.conf 2>&1)"
fi

kver=$(tools/vm/kernel.sh kver)
ko=$(ls /lib/modules/"$kver"/updates/dkms/kipc.ko* 2> /dev/null | head -n 1)
if dkms status -m kipc -v "$version" -k "$kver" 2>&1 | grep -q ': installed' && [ -n "$ko" ]; then
	ok "dkms: kipc/$version installed for $kver ($ko)"
else
	not_ok "dkms: kipc/$version installed for $kver" "$(dkms status 2>&1)"
fi
if [ "${KIPC_DEB_VM:-1}" = 0 ]; then
	skip "VM: the package's kipc.ko passes kipc_conn_test" "KIPC_DEB_VM=0"
elif [ -z "$ko" ]; then
	not_ok "VM: the package's kipc.ko passes kipc_conn_test" "no module"
else
	case $ko in *.xz) xz -dc "$ko" > "$work/kipc.ko" ;; *) cp "$ko" "$work/kipc.ko" ;; esac
	rc=0
	make -s selftests > "$work/st.log" 2>&1 &&
	VM_OUT=$work/vm tools/vm/run.sh --module "$work/kipc.ko" --timeout 60 \
		--test build/selftests/kipc_conn_test > "$work/vm.log" 2>&1 || rc=$?
	sed 's/^/# /' "$work/vm.log" | tail -n 8
	if [ "$rc" -eq 0 ] && grep -qE '^[0-9]+ passed, 0 failed' "$work/vm.log"; then
		ok "VM ($kver): the package's kipc.ko loads, kipc_conn_test: $(grep -E '^[0-9]+ passed' "$work/vm.log" | tail -n 1)"
	else
		not_ok "VM ($kver): the package's kipc.ko passes kipc_conn_test (exit $rc)" "$(tail -n 5 "$work/st.log")"
	fi
fi

# With /usr/include/kipc.h present, the tree's library still compiles
# against include/ (gcc -H names every header it opens).
if out=$(make -s -C lib BUILD="$work/treelib" CFLAGS=-H "$work/treelib/libkipc.a" 2>&1) &&
   ! grep -qE '/usr/include/(kipc|kipc_ring|linux/kipc)\.h' <<<"$out" &&
   grep -qE '^\.+ \.\./include/kipc\.h' <<<"$out"; then
	ok "the tree's lib build takes ../include/kipc.h, never /usr/include's"
else
	not_ok "the tree's lib build takes the tree's headers" \
		"$(grep -E 'kipc[a-z_]*\.h' <<<"$out" | sort -u | head)"
fi

if purge; then
	ok "apt-get purge ${pkgs[*]}"
else
	not_ok "apt-get purge" "$(tail -n 20 "$work/purge.log")"
fi
left=$(while read -r f; do
	[ -e "$f" ] && [ ! -d "$f" ] && echo "$f"
done < "$work/files")
left_src=$(ls -d /usr/src/kipc-* /var/lib/dkms/kipc /lib/modules/*/updates/dkms/kipc.ko* 2> /dev/null)
if [ -z "$left$left_src" ]; then
	ok "after purge no file of the packages is left ($(wc -l < "$work/files") paths checked), nor DKMS's"
else
	not_ok "after purge no file of the packages is left" "$left" "$left_src"
fi
tap_end
