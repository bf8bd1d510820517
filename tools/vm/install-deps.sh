#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian 12 packages kipc needs to build and test, as root.
# Idempotent: does nothing (and touches no network) when all are installed;
# runs "apt-get update" only when a package is missing and apt does not know
# it, or when an install from the current lists fails.
#
# Usage: install-deps.sh [--check] [--debug-kernel]
#   --check          only report; exit 1 if something is missing
#   --debug-kernel   also what build-debug-kernel.sh needs

set -euo pipefail

# The driver, the VM rig, the selftests and the library (mandoc: the man
# pages' lint; dkms: the module as DKMS builds it, tools/check.d/vm-dkms.sh);
# the doorbell model's checker and the fuzz targets' compiler.
required=(
	build-essential pkg-config sparse
	linux-source-6.1
	linux-image-cloud-amd64 linux-headers-cloud-amd64
	linux-image-6.12-cloud-amd64 linux-headers-6.12-cloud-amd64
	qemu-system-x86 busybox-static cpio kmod gzip xz-utils
	liburing-dev mandoc dkms
	spin clang
)
# The benchmarks' comparison points and plots; missing ones are reported
# but are not fatal, since the driver and its tests do not use them.
optional=(
	gnuplot-nox libdbus-1-dev dbus-daemon libboost-dev
	iceoryx libiceoryx-binding-c-dev
)
# A kernel with KASAN, lockdep and kmemleak built from linux-source-6.1.
debug_kernel=(bc bison flex libelf-dev libssl-dev linux-config-6.1 rsync)

check_only=0
while [ $# -gt 0 ]; do
	case "$1" in
	--check)	check_only=1 ;;
	--debug-kernel)	required+=("${debug_kernel[@]}") ;;
	-h|--help)
		sed -n '/^# Usage:/,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)
		echo "install-deps.sh: unknown option '$1'" >&2
		exit 2
		;;
	esac
	shift
done

export DEBIAN_FRONTEND=noninteractive

installed()
{
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2> /dev/null)" = "ii " ]
}

# apt knows a package when its current lists give it an install candidate.
known()
{
	local c

	c=$(LC_ALL=C apt-cache policy "$1" 2> /dev/null | sed -n 's/^ *Candidate: //p')
	[ -n "$c" ] && [ "$c" != "(none)" ]
}

missing_of()
{
	local p

	for p in "$@"; do
		installed "$p" || echo "$p"
	done
}

mapfile -t missing_required < <(missing_of "${required[@]}")
mapfile -t missing_optional < <(missing_of "${optional[@]}")

if [ ${#missing_required[@]} -eq 0 ] && [ ${#missing_optional[@]} -eq 0 ]; then
	echo "install-deps.sh: everything is installed"
	exit 0
fi
if [ $check_only = 1 ]; then
	echo "install-deps.sh: missing: ${missing_required[*]} ${missing_optional[*]}"
	exit 1
fi
[ "$(id -u)" = 0 ] || {
	echo "install-deps.sh: missing ${missing_required[*]} ${missing_optional[*]}; run as root" >&2
	exit 1
}

updated=0
apt_update()
{
	[ $updated = 0 ] || return 0
	echo "install-deps.sh: apt-get update"
	apt-get update -q
	updated=1
}

unknown_of()
{
	local p

	for p in "$@"; do
		known "$p" || echo "$p"
	done
}

mapfile -t unknown < <(unknown_of "${missing_required[@]}" "${missing_optional[@]}")
[ ${#unknown[@]} -eq 0 ] || apt_update

mapfile -t unknown < <(unknown_of "${missing_required[@]}")
if [ ${#unknown[@]} -gt 0 ]; then
	echo "install-deps.sh: apt does not know ${unknown[*]} (is this Debian 12 with main enabled?)" >&2
	exit 1
fi
to_install=("${missing_required[@]}")
for p in "${missing_optional[@]}"; do
	if known "$p"; then
		to_install+=("$p")
	else
		echo "install-deps.sh: warning: $p is not available; benchmarks that need it will be skipped" >&2
	fi
done

echo "install-deps.sh: installing ${to_install[*]}"
install()
{
	apt-get install -y -q --no-install-recommends "${to_install[@]}"
}
# Lists that are merely old give 404s on install; refresh them once.
if ! install; then
	[ $updated = 0 ] || exit 1
	apt_update
	install
fi

# Each series' cloud kernel and its headers come as a pair of metapackages
# (6.1: linux-{image,headers}-cloud-amd64, 6.12: ...-6.12-cloud-amd64);
# make sure the newest image of each has its own headers.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for series in $("$here/kernel.sh" series); do
	if ! KERNEL_SERIES=$series "$here/kernel.sh" > /dev/null 2>&1; then
		kver=$(KERNEL_SERIES=$series "$here/kernel.sh" kver)
		apt-get install -y -q --no-install-recommends "linux-headers-$kver"
	fi
	KERNEL_SERIES=$series "$here/kernel.sh"
done
