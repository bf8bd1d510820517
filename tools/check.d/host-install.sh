#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install / make uninstall into a DESTDIR, twice: the default layout
# (PREFIX=/usr/local) and Debian's (PREFIX=/usr, multiarch LIBDIR). Each
# time: the expected files and links, the SONAME and version script, one
# uapi header under linux/, kipc.pc; then packaging/test/kipc-hello.c is
# built in an empty folder with `pkg-config --cflags --libs kipc` alone
# (PKG_CONFIG_SYSROOT_DIR and PKG_CONFIG_LIBDIR into the DESTDIR), every
# kipc header it used and the library it runs with must come from the
# DESTDIR, and it sends and receives over shm, linked with the shared
# library and with the archive; last, make uninstall leaves no file or link
# behind. Last, make modules_install into a DESTDIR installs kipc.ko for
# the VM kernel and nothing else. TAP on stdout, "N passed, M failed" last.
#
# Builds what make install needs first (make lib tools, as make check's
# build step already did). Environment: MAKE (default make).
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top" || exit 2
. tools/check.d/tap.sh
MAKE=${MAKE:-make}
work=$(mktemp -d /tmp/kipc-install-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
multiarch=$(gcc -print-multiarch 2> /dev/null)
multiarch=${multiarch:-x86_64-linux-gnu}

# The files make install must create, relative to PREFIX's root (LIB is
# LIBDIR); man pages are added from the tree's own list below.
expected_files()
{
	local lib=$1 prefix=$2
	cat <<-EOF
	$prefix/bin/kipc
	$prefix/include/kipc.h
	$prefix/include/kipc_ring.h
	$prefix/include/linux/kipc.h
	$lib/libkipc.a
	$lib/libkipc.so
	$lib/libkipc.so.1
	$lib/libkipc.so.1.0.0
	$lib/pkgconfig/kipc.pc
	EOF
	for f in $(find man -name '*.[137]' 2> /dev/null) tools/kipc/kipc.1; do
		echo "$prefix/share/man/man${f##*.}/${f##*/}"
	done
}

# one_layout TAG PREFIX LIBDIR [pkg-config environment...]
one_layout()
{
	local tag=$1 prefix=$2 libdir=$3 root="$work/$1/root" log="$work/$1/log"
	shift 3
	local vars=(PREFIX="$prefix" LIBDIR="$libdir" DESTDIR="$root")
	local pc=(env PKG_CONFIG_SYSROOT_DIR="$root"
		PKG_CONFIG_LIBDIR="$root$libdir/pkgconfig" "$@" pkg-config)
	local ex="$work/$tag/ex" cflags libs out deps static_l ldd_out left

	mkdir -p "$root" "$ex"
	if ! $MAKE -s "${vars[@]}" install > "$log" 2>&1; then
		not_ok "$tag: make install" "$(tail -n 20 "$log")"
		return
	fi
	ok "$tag: make install ${vars[*]}"

	(cd "$root" && find . ! -type d | sed 's|^\.||' | sort) > "$work/$tag/got"
	expected_files "$libdir" "$prefix" | sort -u > "$work/$tag/want"
	if diff -u "$work/$tag/want" "$work/$tag/got" > "$work/$tag/diff"; then
		ok "$tag: exactly the expected files ($(wc -l < "$work/$tag/want"))"
	else
		not_ok "$tag: exactly the expected files" "$(cat "$work/$tag/diff")"
	fi

	local so="$root$libdir/libkipc.so.1.0.0"
	if [ "$(readlink "$root$libdir/libkipc.so.1")" = libkipc.so.1.0.0 ] &&
	   [ "$(readlink "$root$libdir/libkipc.so")" = libkipc.so.1 ] &&
	   readelf -d "$so" | grep -q 'SONAME.*\[libkipc\.so\.1\]' &&
	   objdump -T "$so" | grep -q 'LIBKIPC_1\.0 *kipc_send$'; then
		ok "$tag: libkipc.so.1.0.0 with SONAME libkipc.so.1, links, LIBKIPC_1.0 symbols"
	else
		not_ok "$tag: SONAME, links, version script" \
			"$(readelf -d "$so" | grep SONAME; ls -l "$root$libdir")"
	fi

	if [ "$(ls "$root$prefix/include/linux")" = kipc.h ] &&
	   cmp -s include/uapi/linux/kipc.h "$root$prefix/include/linux/kipc.h"; then
		ok "$tag: the uapi header, alone, in include/linux/"
	else
		not_ok "$tag: the uapi header, alone, in include/linux/" \
			"$(ls -l "$root$prefix/include/linux")"
	fi

	cflags=$("${pc[@]}" --cflags kipc) libs=$("${pc[@]}" --libs kipc)
	if [ "$("${pc[@]}" --modversion kipc)" = 1.0.0 ] &&
	   ! grep -qF "$top" <<<"$cflags $libs" &&
	   grep -qF -- "-L$root$libdir" <<<"$libs"; then
		ok "$tag: pkg-config kipc: 1.0.0, $cflags $libs"
	else
		not_ok "$tag: pkg-config kipc" "cflags: $cflags" "libs: $libs"
	fi

	# In an empty folder, with only what pkg-config says: the headers
	# used must be the DESTDIR's, never the tree's or the system's.
	cp packaging/test/kipc-hello.c "$ex/"
	# shellcheck disable=SC2086
	if out=$(cd "$ex" && gcc -Wall -Wextra -Werror $cflags -MMD \
			kipc-hello.c -o kipc-hello $libs 2>&1) &&
	   deps=$(sed 's/ *\\$//' "$ex/kipc-hello.d" | tr ' ' '\n' | grep kipc | grep -v '^kipc-hello') &&
	   [ "$(grep -c . <<<"$deps")" -eq 3 ] && ! grep -qv "^$root" <<<"$deps"; then
		ok "$tag: kipc-hello built with pkg-config alone, against the DESTDIR's headers"
	else
		not_ok "$tag: kipc-hello built with pkg-config alone" "$out" "headers: ${deps:-?}"
	fi
	if [ -x "$ex/kipc-hello" ] &&
	   ldd_out=$(LD_LIBRARY_PATH="$root$libdir" ldd "$ex/kipc-hello") &&
	   grep -q "libkipc.so.1 => $root$libdir/libkipc.so.1 " <<<"$ldd_out" &&
	   out=$(LD_LIBRARY_PATH="$root$libdir" timeout 60 "$ex/kipc-hello" shm 2>&1); then
		ok "$tag: kipc-hello runs with the installed libkipc.so.1: $out"
	else
		not_ok "$tag: kipc-hello runs with the installed libkipc.so.1" \
			"${ldd_out:-}" "${out:-}"
	fi
	static_l=$("${pc[@]}" --static --libs-only-L kipc)
	# shellcheck disable=SC2086
	if out=$(cd "$ex" && gcc -Wall -Wextra -Werror $cflags kipc-hello.c \
			-o kipc-hello-static $static_l \
			-Wl,-Bstatic -lkipc -Wl,-Bdynamic 2>&1) &&
	   ! readelf -d "$ex/kipc-hello-static" | grep -q 'NEEDED.*libkipc' &&
	   out=$(timeout 60 "$ex/kipc-hello-static" shm 2>&1); then
		ok "$tag: kipc-hello linked with the installed libkipc.a: $out"
	else
		not_ok "$tag: kipc-hello linked with the installed libkipc.a" "$out"
	fi

	if ! $MAKE -s "${vars[@]}" uninstall > "$log" 2>&1; then
		not_ok "$tag: make uninstall" "$(tail -n 20 "$log")"
		return
	fi
	left=$(cd "$root" && find . ! -type d)
	if [ -z "$left" ]; then
		ok "$tag: make uninstall leaves no file or link (folders: $(cd "$root" && find . -mindepth 1 -type d | wc -l))"
	else
		not_ok "$tag: make uninstall leaves no file or link" "$left"
	fi
}

# What make install installs, built once (a no-op after make check's build).
if ! $MAKE -s lib tools > "$work/build.log" 2>&1; then
	not_ok "make lib tools" "$(tail -n 20 "$work/build.log")"
	tap_end
	exit
fi
# make modules_install: kbuild's install of the driver built for the VM
# kernel (make check's build step built it), into a DESTDIR.
modules_install()
{
	local root="$work/modules" kver ko
	kver=$(tools/vm/kernel.sh kver) || { not_ok "make modules_install: no kernel (tools/vm/kernel.sh)"; return; }
	ko=$root/lib/modules/$kver/updates/kipc.ko
	if $MAKE -s DESTDIR="$root" modules_install > "$work/modules.log" 2>&1 &&
	   [ "$(modinfo -F vermagic "$ko" 2> /dev/null | cut -d ' ' -f 1)" = "$kver" ] &&
	   [ "$(cd "$root" && find . ! -type d)" = "./lib/modules/$kver/updates/kipc.ko" ]; then
		ok "make modules_install: lib/modules/$kver/updates/kipc.ko, alone"
	else
		not_ok "make modules_install" "$(tail -n 10 "$work/modules.log")" \
			"$(cd "$root" 2> /dev/null && find . ! -type d)"
	fi
}

one_layout local /usr/local /usr/local/lib
# pkg-config drops -I/usr/include and -L/usr/lib/...: here they name the
# DESTDIR's copies, which must be used.
one_layout debian /usr "/usr/lib/$multiarch" \
	PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
modules_install
tap_end
