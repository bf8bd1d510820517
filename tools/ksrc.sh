#!/bin/sh
# Extract the few files kipc uses from Debian's linux-source-6.1 package
# (kselftest harness, checkpatch) into a cache directory and print its path.
# Nothing from the kernel tree is ever copied into the repository.
set -eu
tarball=${KSRC_TARBALL:-$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)}
[ -n "$tarball" ] && [ -r "$tarball" ] || {
	echo "ksrc.sh: no /usr/src/linux-source-*.tar.xz (apt-get install linux-source-6.1)" >&2
	exit 1
}
out=${1:-build/ksrc}
stamp="$out/.stamp"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$tarball" ]; then
	echo "$out"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out"
top=$(basename "$tarball" .tar.xz)
tar -xJf "$tarball" -C "$out" --strip-components=1 \
	"$top/tools/testing/selftests/kselftest_harness.h" \
	"$top/tools/testing/selftests/kselftest.h" \
	"$top/scripts/checkpatch.pl" \
	"$top/scripts/spelling.txt" \
	"$top/scripts/const_structs.checkpatch"
echo "$tarball" >"$stamp"
echo "$out"
