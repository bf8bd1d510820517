#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Find the kernel the VM boots (KERNEL), the build tree kipc.ko is built
# against (KDIR), and where that build goes (KO: one folder per release, so
# that the builds for two kernels never overwrite each other).  KERNEL and
# KDIR may be given in the environment; whatever is missing is derived from
# the other, or else from the newest installed Debian *-cloud-amd64 kernel
# of the series KERNEL_SERIES (default: the first of SUPPORTED_SERIES below;
# never "whatever is newest").  Cloud kernels are small, boot fast under TCG
# and have built in all that the rig needs: 8250 console, devtmpfs,
# initramfs.
#
# Usage: kernel.sh            print KERNEL=, KDIR=, KVER=, KO= lines for eval
#        kernel.sh kernel     print only the image path
#        kernel.sh kdir       print only the build tree
#        kernel.sh kver       print only the release string
#        kernel.sh ko         print only the module's path, build/kmod/KVER/kipc.ko
#        kernel.sh series     print the supported series, the default first
#        kernel.sh image-version FILE
#                             print the release string stored in a bzImage
#
# Exits 1 with a message on stderr when nothing usable is found, or when
# KERNEL and KDIR are of two different releases.

set -eu

# The series kipc supports and tests, the default first: Debian 12's own
# 6.1 LTS and the 6.12 LTS that Debian 12 ships as linux-image-6.12-cloud-amd64
# (install-deps.sh installs both).
SUPPORTED_SERIES="6.1 6.12"
top=$(cd "$(dirname "$0")/../.." && pwd)

die()
{
	echo "kernel.sh: $*" >&2
	exit 1
}

# The release string of a bzImage, read from its setup header: the 16-bit
# field at 0x20e points (relative to 0x200) at a NUL-terminated version
# string whose first word is the release.  Works on any x86 bzImage without
# needing file(1) or the matching System.map.
image_version()
{
	hdr=$(dd if="$1" bs=1 skip=514 count=4 2>/dev/null) || return 1
	[ "$hdr" = HdrS ] || return 1
	off=$(od -A n -t u2 -j 526 -N 2 "$1" | tr -d ' ')
	[ -n "$off" ] || return 1
	dd if="$1" bs=1 skip=$((off + 512)) count=128 2>/dev/null |
		tr '\0' '\n' | head -n 1 | cut -d ' ' -f 1
}

# The release string of a kernel build tree (headers package or full tree).
kdir_version()
{
	# utsrelease.h first: it is what vermagic is made of, while Debian's
	# headers packages put the upstream version in kernel.release.
	if [ -r "$1/include/generated/utsrelease.h" ]; then
		sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
			"$1/include/generated/utsrelease.h"
	elif [ -r "$1/include/config/kernel.release" ]; then
		cat "$1/include/config/kernel.release"
	else
		return 1
	fi
}

# The newest cloud kernel of series $1: "6.1" matches vmlinuz-6.1.0-57-...
# but not vmlinuz-6.12.117+...: the glob wants a dot right after the series.
newest_cloud_kernel()
{
	for f in /boot/vmlinuz-"$1".*-cloud-amd64; do
		[ -e "$f" ] && echo "$f"
	done | sort -V | tail -n 1
}

kdir_for_version()
{
	for d in "/lib/modules/$1/build" "/usr/src/linux-headers-$1"; do
		if [ -f "$d/Makefile" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

if [ "${1:-}" = series ]; then
	echo "$SUPPORTED_SERIES"
	exit 0
fi
if [ "${1:-}" = image-version ]; then
	[ $# -eq 2 ] || die "usage: kernel.sh image-version FILE"
	image_version "$2" || die "$2: not an x86 bzImage"
	exit 0
fi

KERNEL=${KERNEL:-}
KDIR=${KDIR:-}

if [ -z "$KERNEL" ] && [ -n "$KDIR" ]; then
	# A full build tree (for example the debug kernel) carries its image.
	if [ -f "$KDIR/arch/x86/boot/bzImage" ]; then
		KERNEL=$KDIR/arch/x86/boot/bzImage
	else
		v=$(kdir_version "$KDIR") || die "KDIR=$KDIR: no kernel.release"
		KERNEL=/boot/vmlinuz-$v
	fi
fi
if [ -z "$KERNEL" ]; then
	series=${KERNEL_SERIES:-${SUPPORTED_SERIES%% *}}
	case " $SUPPORTED_SERIES " in
	*" $series "*) ;;
	*) die "KERNEL_SERIES=$series: the supported series are $SUPPORTED_SERIES (KERNEL= and KDIR= pick any other kernel)" ;;
	esac
	KERNEL=$(newest_cloud_kernel "$series")
	[ -n "$KERNEL" ] ||
		die "no /boot/vmlinuz-$series.*-cloud-amd64; run tools/vm/install-deps.sh"
fi
if [ -r "$KERNEL" ]; then
	KVER=$(image_version "$KERNEL") || die "KERNEL=$KERNEL: not an x86 bzImage"
elif [ -n "$KDIR" ]; then
	# Building only (for the running kernel, say): no image needed.
	KVER=$(kdir_version "$KDIR") || die "KDIR=$KDIR: no kernel release in it"
else
	die "KERNEL=$KERNEL: not readable"
fi

KO=$top/build/kmod/$KVER/kipc.ko

case "${1:-}" in
kernel)	echo "$KERNEL"; exit 0 ;;
kver)	echo "$KVER"; exit 0 ;;
ko)	echo "$KO"; exit 0 ;;
""|kdir) ;;
*)	die "unknown argument '$1' (kernel, kdir, kver, ko, series, image-version FILE)" ;;
esac

if [ -z "$KDIR" ]; then
	KDIR=$(kdir_for_version "$KVER") ||
		die "no build tree for $KVER; install linux-headers-$KVER or set KDIR"
fi
[ -f "$KDIR/Makefile" ] || die "KDIR=$KDIR: no Makefile"

# A module built against one tree and loaded into another kernel fails with
# "Invalid module format"; refuse now rather than inside the VM.
v=$(kdir_version "$KDIR") || die "KDIR=$KDIR: no kernel release in it"
[ "$v" = "$KVER" ] ||
	die "KDIR=$KDIR is $v but KERNEL=$KERNEL is $KVER: give two of one release"

if [ "${1:-}" = kdir ]; then
	echo "$KDIR"
else
	printf 'KERNEL=%s\nKDIR=%s\nKVER=%s\nKO=%s\n' "$KERNEL" "$KDIR" "$KVER" "$KO"
fi
