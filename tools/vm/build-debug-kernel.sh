#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a debug kernel for the kipc VM from Debian's linux-source-6.1:
# Debian's cloud config plus KASAN, lockdep, kmemleak, UBSAN and the list/VM
# debug checks, with every "=m" dropped (the VM loads only kipc.ko) and no
# debug info, so that it builds in about 25 minutes at -j2.  The build tree
# serves as KDIR: "make -C $KDIR M=..." builds kipc.ko against it.  The result is
# cached under $KIPC_CACHE (default /var/cache/kipc), keyed by the source
# package version and this script's config, and reused by later calls.
#
# Usage: build-debug-kernel.sh [--flavour kasan|kcsan] [--config-only] [--print]
#                              [--force]
#   --flavour F     kasan (default): the kernel described above, cached in
#                   $KIPC_CACHE/debug-kernel.  kcsan: KCSAN (the data-race
#                   detector) and lockdep instead, cached apart in
#                   $KIPC_CACHE/kcsan-kernel (KCSAN cannot share a kernel
#                   with KASAN; no KASAN, kmemleak, UBSAN or fault injection)
#   --config-only   unpack and configure (make olddefconfig), do not build
#   --print         only print KERNEL=/KDIR= of a finished build (exit 1 if
#                   there is none)
#   --force         rebuild even if a finished build is cached
# On success prints, like kernel.sh:
#   KERNEL=<cache>/.../arch/x86/boot/bzImage
#   KDIR=<cache>/...            (a full build tree: make -C $KDIR M=... works)
#   KVER=<release>
# so that:  eval "$(tools/vm/build-debug-kernel.sh)"; export KERNEL KDIR
#           VM_TIMEOUT=1200 make check
#
# Environment: KIPC_CACHE, JOBS (default 2), LINUX_SOURCE (default
# /usr/src/linux-source-6.1.tar.xz), BASE_CONFIG (default Debian's cloud
# config from linux-config-6.1, else /boot/config-*-cloud-amd64).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die()
{
	echo "build-debug-kernel.sh: $*" >&2
	exit 1
}

say()
{
	echo "build-debug-kernel.sh: $*" >&2
}

config_only=0
print_only=0
force=0
flavour=kasan
while [ $# -gt 0 ]; do
	case "$1" in
	--flavour)	[ $# -ge 2 ] || die "--flavour needs kasan or kcsan"
			flavour=$2
			shift ;;
	--flavour=*)	flavour=${1#--flavour=} ;;
	--config-only)	config_only=1 ;;
	--print)	print_only=1 ;;
	--force)	force=1 ;;
	-h|--help)
		sed -n '/^# Usage:/,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
		exit 0
		;;
	*)		die "unknown option '$1' (--help)" ;;
	esac
	shift
done
case "$flavour" in
kasan|kcsan)	;;
*)		die "unknown flavour '$flavour' (kasan or kcsan)" ;;
esac

cache=${KIPC_CACHE:-/var/cache/kipc}
jobs=${JOBS:-2}
tarball=${LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}

if [ "$flavour" = kasan ]; then
	# What the debug kernel adds to, or takes from, the base config.  "n" means
	# "is not set".  Changing this list changes the cache key.
	settings=(
		DEBUG_KERNEL=y
		# Memory safety: out-of-bounds and use-after-free, also in vmalloc
		# memory (ring buffers may live there).
		KASAN=y KASAN_GENERIC=y KASAN_INLINE=y KASAN_VMALLOC=y
		UBSAN=y UBSAN_BOUNDS=y UBSAN_SHIFT=y UBSAN_TRAP=n
		# Locking: lockdep, RCU checks, sleeping in atomic context.
		PROVE_LOCKING=y DEBUG_ATOMIC_SLEEP=y DEBUG_LOCK_ALLOC=y
		# Leaks: scanned by the VM's /init after rmmod, not periodically.
		DEBUG_KMEMLEAK=y DEBUG_KMEMLEAK_DEFAULT_OFF=n DEBUG_KMEMLEAK_AUTO_SCAN=n
		DEBUG_KMEMLEAK_MEM_POOL_SIZE=16000
		# Page tables, struct page refcounts, list and sg corruption.
		DEBUG_VM=y DEBUG_LIST=y DEBUG_SG=y DEBUG_OBJECTS=n
		DETECT_HUNG_TASK=y DEFAULT_HUNG_TASK_TIMEOUT=60
		# Error-path sweeps: per-task fail_nth over slab and page allocations.
		FAULT_INJECTION=y FAILSLAB=y FAIL_PAGE_ALLOC=y FAULT_INJECTION_DEBUG_FS=y
		# The guest reads /proc/config.gz to prove which kernel it booted.
		IKCONFIG=y IKCONFIG_PROC=y
		SOFTLOCKUP_DETECTOR=y
		PANIC_ON_OOPS=n
		# Build time: no debug info (KASAN reports use kallsyms), no BTF (it
		# would need pahole), no module signing (no keys here).
		DEBUG_INFO_NONE=y DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=n
		DEBUG_INFO_DWARF4=n DEBUG_INFO_DWARF5=n DEBUG_INFO_BTF=n
		# (Lockdown selects MODULE_SIG, and a test VM has nothing to lock.)
		MODULE_SIG=n MODULE_SIG_ALL=n SECURITY_LOCKDOWN_LSM=n
		SYSTEM_TRUSTED_KEYS='""' SYSTEM_REVOCATION_KEYS='""'
		LOCALVERSION='"-kipc-debug"' LOCALVERSION_AUTO=n
	)
	# Options that must come out "=y" after olddefconfig, or the kernel is not
	# the debug kernel the rig promises.
	must_have=(KASAN KASAN_GENERIC PROVE_LOCKING DEBUG_KMEMLEAK DEBUG_KERNEL
		UBSAN DEBUG_VM DEBUG_LIST MODULES MODULE_UNLOAD DEVTMPFS
		SERIAL_8250_CONSOLE BLK_DEV_INITRD RD_GZIP DEBUG_FS IO_URING EVENTFD
		IKCONFIG_PROC FAULT_INJECTION FAILSLAB FAIL_PAGE_ALLOC)
	# ... and those that must not, or the build needs keys and tools it lacks.
	must_not_have=(MODULE_SIG DEBUG_INFO_BTF DEBUG_INFO_DWARF5 DEBUG_INFO_DWARF4)
else
	# KCSAN, the data-race detector, cannot share a kernel with KASAN.
	# Not KCSAN_STRICT: strict mode reports every unmarked aligned
	# word-sized write and models weak memory (reordering around every
	# barrier), which floods the console with reports from the core
	# kernel and slows a TCG guest several-fold; the default (syzbot's)
	# reports the races whose value changed, which is what kipc must
	# have none of.  The interrupt watcher is on: kipc's timers and
	# wakeups race with task context too.  A given race is reported at
	# most once in 100 ms (default 3 s), so that two tests in a row each
	# show theirs.  KCSAN_VERBOSE adds the locks held (lockdep stays).
	settings=(
		DEBUG_KERNEL=y
		KASAN=n DEBUG_KMEMLEAK=n UBSAN=n
		KCSAN=y KCSAN_STRICT=n KCSAN_INTERRUPT_WATCHER=y
		KCSAN_REPORT_ONCE_IN_MS=100 KCSAN_VERBOSE=y KCSAN_SELFTEST=y
		KCSAN_REPORT_VALUE_CHANGE_ONLY=y
		PROVE_LOCKING=y DEBUG_ATOMIC_SLEEP=y DEBUG_LOCK_ALLOC=y
		DEBUG_LIST=y
		DETECT_HUNG_TASK=y DEFAULT_HUNG_TASK_TIMEOUT=60
		IKCONFIG=y IKCONFIG_PROC=y
		SOFTLOCKUP_DETECTOR=y
		PANIC_ON_OOPS=n
		DEBUG_INFO_NONE=y DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=n
		DEBUG_INFO_DWARF4=n DEBUG_INFO_DWARF5=n DEBUG_INFO_BTF=n
		MODULE_SIG=n MODULE_SIG_ALL=n SECURITY_LOCKDOWN_LSM=n
		SYSTEM_TRUSTED_KEYS='""' SYSTEM_REVOCATION_KEYS='""'
		LOCALVERSION='"-kipc-kcsan"' LOCALVERSION_AUTO=n
	)
	must_have=(KCSAN KCSAN_INTERRUPT_WATCHER PROVE_LOCKING DEBUG_KERNEL
		MODULES MODULE_UNLOAD DEVTMPFS SERIAL_8250_CONSOLE BLK_DEV_INITRD
		RD_GZIP DEBUG_FS IO_URING EVENTFD IKCONFIG_PROC)
	must_not_have=(KASAN DEBUG_KMEMLEAK KCSAN_STRICT MODULE_SIG
		DEBUG_INFO_BTF DEBUG_INFO_DWARF5 DEBUG_INFO_DWARF4)
fi

[ -r "$tarball" ] || die "$tarball is missing; run tools/vm/install-deps.sh --debug-kernel"
if src_version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2> /dev/null) &&
	[ -n "$src_version" ]; then
	:
else
	src_version=$(stat -c '%s-%Y' "$tarball")
fi

base_config=${BASE_CONFIG:-}
if [ -z "$base_config" ]; then
	base_config=/usr/src/linux-config-6.1/config.amd64_none_cloud-amd64.xz
	if [ ! -r "$base_config" ]; then
		kver=$(KDIR='' KERNEL='' "$here/kernel.sh" kver) ||
			die "no base config: install linux-config-6.1 or set BASE_CONFIG"
		base_config=/boot/config-$kver
	fi
fi
[ -r "$base_config" ] || die "BASE_CONFIG=$base_config: not readable"

key_hash=$({ printf '%s\n' "${settings[@]}"; sha256sum < "$base_config"; } |
	sha256sum | cut -c 1-12)
# One unpacked source per package version, shared by the builds made from
# it (they build out of tree, with O=); one build per version and config.
if [ "$flavour" = kasan ]; then
	top=$cache/debug-kernel
else
	top=$cache/$flavour-kernel
fi
src=$top/src-$src_version
build=$top/build-$src_version-$key_hash
done_file=$build/.kipc-debug-kernel-done

print_result()
{
	printf 'KERNEL=%s\nKDIR=%s\nKVER=%s\n' "$build/arch/x86/boot/bzImage" \
		"$build" "$(cat "$build/include/config/kernel.release")"
}

if [ $print_only = 1 ]; then
	[ -f "$done_file" ] || die "no finished build in $build; run without --print"
	print_result
	exit 0
fi
if [ -f "$done_file" ] && [ $force = 0 ] && [ $config_only = 0 ]; then
	say "using cached build in $build"
	print_result
	exit 0
fi

for tool in make gcc bc bison flex xz; do
	command -v "$tool" > /dev/null ||
		die "$tool is missing; run tools/vm/install-deps.sh --debug-kernel"
done
[ -r /usr/include/libelf.h ] ||
	die "libelf-dev is missing; run tools/vm/install-deps.sh --debug-kernel"
[ -r /usr/include/openssl/ssl.h ] ||
	die "libssl-dev is missing; run tools/vm/install-deps.sh --debug-kernel"

mkdir -p "$top"
exec 9> "$top/.lock"
flock -n 9 || die "another build-debug-kernel.sh is running on $top"

# Sources and builds of other versions or configs are stale: a few GiB each.
for old in "$top"/src-* "$top"/build-*; do
	[ -e "$old" ] || continue
	[ "$old" = "$src" ] || [ "$old" = "$build" ] && continue
	say "removing stale $old"
	rm -rf "$old"
done

if [ ! -f "$src/.kipc-unpacked" ]; then
	say "unpacking $tarball into $src"
	rm -rf "$src"
	mkdir -p "$src"
	tar -xf "$tarball" -C "$src" --strip-components=1
	touch "$src/.kipc-unpacked"
fi

mkdir -p "$build"
rm -f "$done_file"
case "$base_config" in
*.xz)	xz -dc "$base_config" > "$build/.config" ;;
*)	cp "$base_config" "$build/.config" ;;
esac

# Everything the base config builds as a module is left out: the VM needs
# none of it, and it is most of the build time.
sed -i 's/^\(CONFIG_[A-Za-z0-9_]*\)=m$/# \1 is not set/' "$build/.config"
for s in "${settings[@]}"; do
	name=${s%%=*}
	value=${s#*=}
	case "$value" in
	y)	"$src/scripts/config" --file "$build/.config" --enable "$name" ;;
	n)	"$src/scripts/config" --file "$build/.config" --disable "$name" ;;
	\"*)	value=${value#\"}
		"$src/scripts/config" --file "$build/.config" --set-str "$name" \
			"${value%\"}" ;;
	*)	"$src/scripts/config" --file "$build/.config" --set-val "$name" "$value" ;;
	esac
done

say "make olddefconfig"
make -s -C "$src" O="$build" olddefconfig

missing=()
for opt in "${must_have[@]}"; do
	grep -q "^CONFIG_$opt=y$" "$build/.config" || missing+=("$opt")
done
[ ${#missing[@]} -eq 0 ] || die "olddefconfig dropped: ${missing[*]} (see $build/.config)"
for opt in "${must_not_have[@]}"; do
	grep -q "^CONFIG_$opt=" "$build/.config" && missing+=("$opt")
done
[ ${#missing[@]} -eq 0 ] || die "olddefconfig kept: ${missing[*]} (see $build/.config)"
say "config ok: $(grep -c '=y$' "$build/.config") built-in options, $(grep -c '=m$' "$build/.config") modules"

if [ $config_only = 1 ]; then
	say "config only; not building"
	exit 0
fi

say "building bzImage ($flavour) in $build with -j$jobs (about 25 minutes at -j2)"
start=$(date +%s)
# A line a minute, so that a long build is visibly alive.
(
	while sleep 60; do
		say "building: $((($(date +%s) - start) / 60)) min, $(find "$build" -name '*.o' | wc -l) objects"
	done
) &
progress=$!
trap 'kill $progress 2> /dev/null' EXIT
make -s -C "$src" O="$build" -j"$jobs" bzImage
# With no "=m" left this builds no module, but it runs modules_prepare and
# writes Module.symvers, which external modules (M=) resolve symbols with.
make -s -C "$src" O="$build" -j"$jobs" modules
[ -s "$build/Module.symvers" ] || cp "$build/vmlinux.symvers" "$build/Module.symvers"
say "built in $(($(date +%s) - start))s"

touch "$done_file"
print_result
