#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# docs/PROTOCOL.md against the compiled headers. Reads the document's
# tables: each "#### `struct NAME` (N bytes)" heading with its rows
# "| offset | size | `field` | ...", and the rows of the table headed
# "| constant | value |". Compiles a program that checks, with sizeof and
# offsetof, every size and offset stated and every constant's value (the
# document's literal, as C), and checks in the document itself that each
# struct's rows tile it from 0 to its size. Also fails when the uapi header
# defines a struct or a KIPC_* constant the document does not state.
# Prints what differs; the last line is a summary.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top" || exit 2
doc=${1:-docs/PROTOCOL.md}
uapi=include/uapi/linux/kipc.h
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# s: struct name size / f: struct field offset size / c: name value
awk -F'|' '
	function cell(i) { v = $i; gsub(/[ `]/, "", v); return v }
	/^#### `struct [a-z_0-9]+` \([0-9]+ bytes\)/ {
		st = $0; sub(/^#### `struct /, "", st); sz = st
		sub(/`.*/, "", st); sub(/.*\(/, "", sz); sub(/ bytes.*/, "", sz)
		print "s", st, sz; intab = 1; next
	}
	/^\| constant \| value \|/ { inconst = 1; next }
	/^\|/ {
		if (cell(2) ~ /^-+:?$|^:?-+:?$/) next
		if (intab && cell(2) ~ /^[0-9]+$/) print "f", st, cell(4), cell(2), cell(3)
		else if (inconst) {
			val = $3; sub(/^ *`/, "", val); sub(/` *$/, "", val)
			print "c", cell(2), val
		}
		next
	}
	{ if (intab && $0 !~ /^$/ && $0 !~ /^\|/) intab = 0
	  if (inconst && $0 ~ /^$/) inconst = 0 }
' "$doc" > "$tmp/doc"

nstructs=$(grep -c '^s ' "$tmp/doc")
nfields=$(grep -c '^f ' "$tmp/doc")
nconst=$(grep -c '^c ' "$tmp/doc")

# The rows of each struct tile it: offset = end of the previous row.
awk '
	$1 == "s" { if (st != "" && end != size) print "doc: struct " st ": rows end at " end ", not at its size " size; st = $2; size = $3; end = 0 }
	$1 == "f" { if ($4 != end) print "doc: struct " st "." $3 ": offset " $4 " after a row that ends at " end; end = $4 + $5 }
	END { if (st != "" && end != size) print "doc: struct " st ": rows end at " end ", not at its size " size }
' "$tmp/doc" > "$tmp/tile"
if [ -s "$tmp/tile" ]; then cat "$tmp/tile"; fail=1; fi

# Everything the uapi header defines is stated.
sed -n 's/^struct \(kipc_[a-z_0-9]*\) {.*/\1/p' "$uapi" | sort -u > "$tmp/h_structs"
awk '$1 == "s" { print $2 }' "$tmp/doc" | sort -u > "$tmp/d_structs"
for x in $(comm -23 "$tmp/h_structs" "$tmp/d_structs"); do
	echo "doc: no table for struct $x ($uapi)"; fail=1
done
grep -oE '^#define KIPC_[A-Z0-9_]+[ 	]' "$uapi" | awk '{ print $2 }' | sort -u > "$tmp/h_consts"
awk '$1 == "c" { print $2 }' "$tmp/doc" | sort -u > "$tmp/d_consts"
for x in $(comm -23 "$tmp/h_consts" "$tmp/d_consts"); do
	echo "doc: constant $x ($uapi) is not in the constants table"; fail=1
done

{
	cat <<'EOC'
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"

static int bad;

static void num(const char *what, unsigned long long have,
		unsigned long long doc)
{
	if (have != doc) {
		printf("%s: the header says %llu (0x%llx), the document %llu (0x%llx)\n",
		       what, have, have, doc, doc);
		bad = 1;
	}
}

static void str(const char *what, const char *have, const char *doc)
{
	if (strcmp(have, doc)) {
		printf("%s: the header says \"%s\", the document \"%s\"\n",
		       what, have, doc);
		bad = 1;
	}
}

int main(void)
{
EOC
	while read -r kind a b c d; do
		case $kind in
		s) echo "	num(\"sizeof(struct $a)\", sizeof(struct $a), $b);" ;;
		f) echo "	num(\"offsetof(struct $a, $b)\", offsetof(struct $a, $b), $c);"
		   echo "	num(\"sizeof(struct $a.$b)\", sizeof(((struct $a *)0)->$b), $d);" ;;
		c) case $b in
		   \"*) echo "	str(\"$a\", $a, $b);" ;;
		   *) echo "	num(\"$a\", (unsigned long long)($a), $b);" ;;
		   esac ;;
		esac
	done < "$tmp/doc"
	echo "	return bad;"
	echo "}"
} > "$tmp/offsets.c"

if ! cc -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -Iinclude/uapi -Ilib \
	-o "$tmp/offsets" "$tmp/offsets.c" 2> "$tmp/cc.err"; then
	echo "the generated checker does not compile (a field or constant the document names does not exist?):"
	grep -E 'error' "$tmp/cc.err" | head -n 20
	fail=1
elif ! "$tmp/offsets"; then
	fail=1
fi
if [ "$fail" -ne 0 ]; then
	echo "protocol: $doc differs from the headers"
	exit 1
fi
echo "protocol: $nstructs structs, $nfields fields and $nconst constants of $doc match the headers"
