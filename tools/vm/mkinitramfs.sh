#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs of the kipc test VM: busybox, kernel modules, test
# programs, extra files and tools/vm/init.sh as /init.  Needs only installed
# packages (busybox-static, kmod, gzip); runs as any user that can write
# OUTDIR.  See tools/vm/README.md.
#
# Usage: mkinitramfs.sh -o OUTDIR [OPTION]...
#   -o, --out DIR       write DIR/initramfs.cpio.gz (staging tree: DIR/root)
#   --kver VER          kernel release the modules must match
#                       (default: tools/vm/kernel.sh kver)
#   --module KO         load KO at boot, after the modules it depends on
#   --test EXE          copy EXE to /tests/ and run it
#   --cmd 'CMD'         run a shell command line
#   --name NAME         name of the next --test or --cmd
#   --timeout SECS      time limit of each following --test/--cmd
#                       (default: $VM_TEST_TIMEOUT or 120)
#   --file SRC:DST      copy a file or directory into the guest
#   --expect-dev PATH   character device that must exist after the modules
#                       load (default /dev/kipc when kipc.ko is loaded;
#                       "none" for no check)
#   --counters PATH     "key value" counter file dumped before rmmod
#                       (default /proc/driver/kipc)
#   --zero GLOB         counters whose key matches GLOB must read 0 after
#                       the tests ('*' for all)
#   --init FILE         the guest's /init (default: tools/vm/init.sh)
#   --tree-only         stage DIR/root but write no cpio (run.sh --native)
#
# Environment: VM_TEST_TIMEOUT (default --timeout), VM_TIMEOUT_SCALE (an
# integer that multiplies every test's limit, for slow kernels such as the
# KASAN one; the guest's tests see it as KIPC_TEST_TIMEOUT_SCALE too),
# VM_TEST_LONG=1 (the suites' long forms, as KIPC_TEST_LONG: make
# check-debug sets it).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die()
{
	echo "mkinitramfs.sh: $*" >&2
	exit 2
}

usage()
{
	sed -n '/^# Usage:/,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

out=""
kver=""
init=$here/init.sh
busybox=${BUSYBOX:-/bin/busybox}
timeout=${VM_TEST_TIMEOUT:-120}
scale=${VM_TIMEOUT_SCALE:-1}
[[ $scale =~ ^[1-9][0-9]*$ ]] || die "VM_TIMEOUT_SCALE=$scale: not a positive integer"
tree_only=0
counters=/proc/driver/kipc
next_name=""
expect_dev=""
expect_dev_set=0
modules=()
entries=()	# "timeout<TAB>name<TAB>command"
copies=()	# "src<TAB>dst"
zero=()
declare -A test_names=()

need_arg()
{
	[ $# -ge 2 ] || die "$1 needs an argument"
}

add_entry()
{
	local name=$1 cmd=$2

	[[ $name =~ ^[A-Za-z0-9._+-]+$ ]] || die "bad test name '$name'"
	[ -z "${test_names[$name]:-}" ] || die "two tests named '$name'"
	test_names[$name]=1
	[[ $cmd != *$'\t'* && $cmd != *$'\n'* ]] ||
		die "--cmd '$cmd': tabs and newlines are not allowed"
	entries+=("$((timeout * scale))"$'\t'"$name"$'\t'"$cmd")
	next_name=""
}

while [ $# -gt 0 ]; do
	case "$1" in
	-o|--out)	need_arg "$@"; out=$2; shift ;;
	--kver)		need_arg "$@"; kver=$2; shift ;;
	--module)	need_arg "$@"; modules+=("$2"); shift ;;
	--test)
		need_arg "$@"
		if ! [ -f "$2" ] || ! [ -x "$2" ]; then
			die "--test $2: not an executable file"
		fi
		name=${next_name:-$(basename "$2")}
		copies+=("$2"$'\t'"/tests/$name")
		add_entry "$name" "/tests/$name"
		shift
		;;
	--cmd)
		need_arg "$@"
		add_entry "${next_name:-cmd$((${#entries[@]} + 1))}" "$2"
		shift
		;;
	--name)		need_arg "$@"; next_name=$2; shift ;;
	--timeout)
		need_arg "$@"
		[[ $2 =~ ^[1-9][0-9]*$ ]] || die "--timeout $2: not a number of seconds"
		timeout=$2
		shift
		;;
	--file)
		need_arg "$@"
		[[ $2 == ?*:/* ]] || die "--file $2: expected SRC:/ABSOLUTE/DST"
		src=${2%%:*}
		dst=${2#*:}
		[ -e "$src" ] || die "--file $2: $src does not exist"
		[[ $dst == */ ]] && dst=$dst$(basename "$src")
		copies+=("$src"$'\t'"$dst")
		shift
		;;
	--expect-dev)
		need_arg "$@"
		expect_dev_set=1
		[ "$2" = none ] || expect_dev="$expect_dev $2"
		shift
		;;
	--counters)	need_arg "$@"; counters=$2; shift ;;
	--zero)		need_arg "$@"; zero+=("$2"); shift ;;
	--init)		need_arg "$@"; init=$2; shift ;;
	--tree-only)	tree_only=1 ;;
	-h|--help)	usage ;;
	*)		die "unknown option '$1' (--help)" ;;
	esac
	shift
done

[ -n "$out" ] || usage
[ -z "$next_name" ] || die "--name $next_name is not followed by --test or --cmd"
[ -r "$init" ] || die "no init script $init"
if [ -z "$kver" ]; then
	kver=$("$here/kernel.sh" kver) || die "cannot tell the kernel release; pass --kver"
fi

command -v gzip > /dev/null || die "gzip is missing"
[ -x "$busybox" ] || die "$busybox is missing; run tools/vm/install-deps.sh"
if LC_ALL=C ldd "$busybox" > /dev/null 2>&1; then
	die "$busybox is dynamically linked; install busybox-static"
fi
modinfo=$(command -v modinfo || command -v /sbin/modinfo || true)
[ -n "$modinfo" ] || [ ${#modules[@]} -eq 0 ] || die "modinfo is missing; install kmod"

root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,tests,etc/kipc-vm,lib/modules/kipc-vm}
conf=$root/etc/kipc-vm

# busybox and one link per applet; later copies may replace any link.
cp "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	[ -e "$root/$applet" ] || [ -L "$root/$applet" ] ||
		ln -s /bin/busybox "$root/$applet"
done
install -m 0755 "$init" "$root/init"
# The kernel's built-in initramfs already has /dev/console, so a failure
# here (no CAP_MKNOD) is harmless.
mknod -m 600 "$root/dev/console" c 5 1 2> /dev/null || true
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
	'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' > "$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' > "$root/etc/group"

is_elf()
{
	[ -f "$1" ] && [ "$(head -c 4 "$1" | od -A n -c | tr -d ' ')" = '177ELF' ]
}

# Copy the shared libraries and ELF interpreter of a dynamic executable to
# the same paths in the guest.  Tests should be static; this is for tools
# such as the kipc command that may link libkipc.so or liburing.so.
copy_libs()
{
	local lib

	is_elf "$1" || return 0
	LC_ALL=C ldd "$1" 2> /dev/null | grep -q 'not a dynamic' && return 0
	LC_ALL=C ldd "$1" 2> /dev/null | grep -q '=> not found' &&
		die "$1: $(ldd "$1" | grep 'not found' | head -n 1)"
	for lib in $(LC_ALL=C ldd "$1" 2> /dev/null | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

for c in "${copies[@]+"${copies[@]}"}"; do
	src=${c%%$'\t'*}
	dst=${c#*$'\t'}
	mkdir -p "$root$(dirname "$dst")"
	rm -rf "${root:?}$dst"
	cp -a --no-preserve=ownership "$src" "$root$dst"
	if [ -d "$src" ]; then
		while IFS= read -r -d '' f; do
			copy_libs "$f"
		done < <(find "$src" -type f -perm -u+x -print0)
	else
		copy_libs "$src"
	fi
done

# Modules: the named ones plus, first, what they depend on from the
# installed kernel's /lib/modules tree (kipc needs none with Debian's
# configs; a kernel built with fewer built-ins might).
module_order=()
declare -A module_seen=()

vermagic_release()
{
	"$modinfo" -F vermagic "$1" | cut -d ' ' -f 1
}

copy_module()
{
	local src=$1 name=$2 dst

	dst=$root/lib/modules/kipc-vm/$name.ko
	case "$src" in
	*.ko.xz)	xz -dc "$src" > "$dst" ;;
	*.ko.zst)	zstd -qdc "$src" > "$dst" ;;
	*.ko.gz)	gzip -dc "$src" > "$dst" ;;
	*)		cp "$src" "$dst" ;;
	esac
	module_order+=("/lib/modules/kipc-vm/$name.ko")
}

add_module()
{
	local src=$1 name dep deps path

	# The name rmmod and the kernel command line know is the one inside
	# the module, not its file name.
	name=$("$modinfo" -F name "$src" 2> /dev/null) || name=""
	if [ -z "$name" ]; then
		name=$(basename "$src")
		name=${name%%.ko*}
	fi
	name=${name//-/_}
	[ -z "${module_seen[$name]:-}" ] || return 0
	module_seen[$name]=1
	deps=$("$modinfo" -F depends "$src") || die "$src: not a kernel module"
	for dep in ${deps//,/ }; do
		path=$("$modinfo" -k "$kver" -F filename "$dep" 2> /dev/null) ||
			die "$name needs module $dep, not found for $kver"
		[[ $path == /* ]] || continue	# built in
		add_module "$path"
	done
	copy_module "$src" "$name"
}

for ko in "${modules[@]+"${modules[@]}"}"; do
	[ -f "$ko" ] || die "--module $ko: no such file"
	v=$(vermagic_release "$ko") || die "$ko: not a kernel module"
	[ "$v" = "$kver" ] ||
		die "$ko was built for $v but the VM kernel is $kver (check KDIR/KERNEL)"
	add_module "$ko"
	if [ $expect_dev_set = 0 ] && [ "$("$modinfo" -F name "$ko")" = kipc ]; then
		expect_dev="$expect_dev /dev/kipc"
	fi
done

: > "$conf/modules"
for m in "${module_order[@]+"${module_order[@]}"}"; do
	echo "$m" >> "$conf/modules"
done
: > "$conf/devices"
for d in $expect_dev; do
	echo "$d" >> "$conf/devices"
done
: > "$conf/manifest"
for e in "${entries[@]+"${entries[@]}"}"; do
	echo "$e" >> "$conf/manifest"
done
echo "$counters" > "$conf/counters"
: > "$conf/zero"
for z in "${zero[@]+"${zero[@]}"}"; do
	echo "$z" >> "$conf/zero"
done

# What every test sees in its environment.
long=${VM_TEST_LONG:-0}
case $long in 0|1) ;; *) die "VM_TEST_LONG must be 0 or 1, not '$long'" ;; esac
{
	echo "export KIPC_TEST_TIMEOUT_SCALE=$scale"
	echo "export KIPC_TEST_LONG=$long"
} > "$conf/env"

[ $tree_only = 0 ] || { echo "$root"; exit 0; }
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	"$busybox" cpio -o -H newc -R 0:0 2> /dev/null) | gzip -6n > "$out/initramfs.cpio.gz.tmp"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
echo "$out/initramfs.cpio.gz"
