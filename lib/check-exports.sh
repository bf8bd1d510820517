#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1 OR MIT
#
# check-exports.sh SO MAP HEADER README [MANDIR]: the public API has one
# list per place it must appear, and they agree. Fails when
#  - the shared object exports anything but kipc_* (or any kipc__*),
#  - an exported symbol is missing from the version script, or the script
#    names one the object does not define, or uses a glob in a global list,
#  - a KIPC_API declaration of the header is not exported, or the other
#    way round,
#  - an exported symbol has no "### " entry in the README's reference,
#  - an exported symbol is named in the NAME section of no section-3 page
#    in MANDIR (default: man/ at the top of the tree; "" skips the check),
#    or a page there names one that is not exported.
set -eu
so=$1 map=$2 header=$3 readme=$4 mandir=${5-$(dirname "$0")/../man}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

nm -D --defined-only "$so" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	sort -u > "$tmp/exported"
# Global entries of every node: the lines between "global:" and "local:".
awk '/global:/ { g = 1; next } /local:/ { g = 0 } g' "$map" |
	tr -d ' \t;' | grep -v '^$' | sort -u > "$tmp/map"
sed -n 's/^KIPC_API[^(]*[ *]\(kipc_[a-z0-9_]*\)(.*/\1/p' "$header" |
	sort -u > "$tmp/declared"
sed -n 's/^### //p' "$readme" | tr ',' '\n' | tr -d ' ' | grep '^kipc_' |
	sort -u > "$tmp/documented"

# NAME sections: the line after ".SH NAME", "a, b \\- what they do".
if [ -n "$mandir" ]; then
	for page in "$mandir"/*.3; do
		awk 'p { print; exit } /^\.SH NAME/ { p = 1 }' "$page"
	done | sed 's/ *\\-.*//' | tr ',' '\n' | tr -d ' ' | grep -v '^$' |
		sort -u > "$tmp/man"
fi

report() {	# report WHAT FILE: fail if FILE is not empty
	if [ -s "$2" ]; then
		echo "check-exports: $1:"
		sed 's/^/  /' "$2"
		fail=1
	fi
}
grep -v '^kipc_[a-z]' "$tmp/exported" > "$tmp/bad" || true
grep '^kipc__' "$tmp/exported" >> "$tmp/bad" || true
report "exported but not public API" "$tmp/bad"
grep '[*?]' "$tmp/map" > "$tmp/glob" || true
report "globs in $map (name every symbol)" "$tmp/glob"
comm -23 "$tmp/exported" "$tmp/map" > "$tmp/x"
report "exported but missing from $map" "$tmp/x"
comm -13 "$tmp/exported" "$tmp/map" | grep -v '[*?]' > "$tmp/x" || true
report "in $map but not exported" "$tmp/x"
comm -13 "$tmp/exported" "$tmp/declared" > "$tmp/x"
report "declared KIPC_API in $header but not exported" "$tmp/x"
comm -23 "$tmp/exported" "$tmp/declared" > "$tmp/x"
report "exported but not declared in $header" "$tmp/x"
comm -23 "$tmp/exported" "$tmp/documented" > "$tmp/x"
report "exported but not in $readme's reference" "$tmp/x"
if [ -n "$mandir" ]; then
	comm -23 "$tmp/exported" "$tmp/man" > "$tmp/x"
	report "exported but in no NAME section of $mandir/*.3" "$tmp/x"
	comm -13 "$tmp/exported" "$tmp/man" > "$tmp/x"
	report "named in $mandir/*.3 but not exported" "$tmp/x"
fi
[ "$fail" = 0 ] || exit 1
echo "exports: ok ($(wc -l < "$tmp/exported") kipc_* symbols, each in the map, the header and the reference${mandir:+ and a man page})"
