#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The manual and the protocol document, TAP: each page under man/ and
# tools/kipc/kipc.1 renders with `man -l` and has no warning from
# `mandoc -T lint` nor from `groff -ww -man -z`; each ".so" link page names
# a page that exists; every exported symbol has a section-3 page
# (lib/check-exports.sh with man/); each errno lib/README.md's reference
# gives a function is in that function's page; docs/PROTOCOL.md's tables
# agree with the uapi header (tools/check.d/protocol-offsets.sh).
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top" || exit 2
. tools/check.d/tap.sh

# lint_page PAGE: the diagnostics of the three renderers, empty when clean.
lint_page()
{
	local out
	out=$(mandoc -T lint -W style "$1" 2>&1) || echo "mandoc: exit $?"
	printf '%s' "$out"
	out=$(groff -ww -man -z "$1" 2>&1) || echo "groff: exit $?"
	printf '%s' "$out"
	out=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$1" 2>&1 >/dev/null) ||
		echo "man -l: exit $?"
	printf '%s' "$out"
	if ! MANWIDTH=80 man -E UTF-8 -l "$1" 2>/dev/null | grep -q '^NAME'; then
		echo "man -l: no NAME section in the output"
	fi
}

if ! command -v mandoc >/dev/null; then
	not_ok "mandoc is installed" "apt-get install mandoc (tools/vm/install-deps.sh)"
fi
for page in man/*.[137] tools/kipc/kipc.1; do
	if head -n 1 "$page" | grep -q '^\.so '; then
		continue
	fi
	diag=$(lint_page "$page")
	if [ -z "$diag" ]; then
		ok "$page renders cleanly (man -l, mandoc -T lint, groff -ww)"
	else
		not_ok "$page renders cleanly (man -l, mandoc -T lint, groff -ww)" "$diag"
	fi
done

# Link pages: installed next to their target (man3/), each renders as it.
bad=
mtree=$(mktemp -d)
trap 'rm -rf "$mtree"' EXIT
mkdir -p "$mtree/man1" "$mtree/man3" "$mtree/man7"
for page in man/*.[137]; do
	cp "$page" "$mtree/man${page##*.}/"
done
for page in man/*.[137]; do
	target=$(sed -n '1s/^\.so //p' "$page")
	[ -n "$target" ] || continue
	base=$(basename "$page")
	if [ ! -f "man/${target#man?/}" ]; then
		bad="$bad $page->$target(missing)"
	elif ! MANWIDTH=80 man -M "$mtree" "${base##*.}" "${base%.*}" 2>/dev/null |
		grep -q "${base%.*}"; then
		bad="$bad $page->$target(man -M does not show ${base%.*})"
	fi
done
if [ -z "$bad" ]; then ok "every .so link page in man/ names a page there, and man shows it"
else not_ok "every .so link page in man/ names a page there, and man shows it" "$bad"; fi

so=build/lib/libkipc.so.1
if [ ! -f "$so" ]; then
	not_ok "every exported symbol has a section-3 page" "$so not built (make lib)"
elif diag=$(lib/check-exports.sh "$so" lib/libkipc.map include/kipc.h lib/README.md man 2>&1); then
	ok "every exported symbol has a section-3 page ($diag)"
else
	not_ok "every exported symbol has a section-3 page" "$diag"
fi

# The reference's "### kipc_a, kipc_b" entries with the errnos named after
# their "Errors:", against the ERRORS section of the page whose NAME has a.
missing=
while IFS='|' read -r fn errs; do
	page=
	for p in man/*.3; do
		awk 'p { print; exit } /^\.SH NAME/ { p = 1 }' "$p" |
			grep -qE "(^|[ ,])$fn(,| )" && page=$p && break
	done
	if [ -z "$page" ]; then
		missing="$missing $fn:no-page"
		continue
	fi
	have=$(sed -n '/^\.SH ERRORS/,/^\.SH /p' "$page" | grep -oE 'E[A-Z0-9]{2,}' | sort -u)
	for e in $errs; do
		grep -qx "$e" <<<"$have" || missing="$missing $fn:$e"
	done
done < <(awk '
	/^##/ {
		if (fn != "") print fn "|" errs
		fn = ""
		if ($1 == "###" && $2 ~ /^kipc_/) { fn = $2; sub(/,$/, "", fn) }
		errs = ""; on = 0; next
	}
	fn != "" {
		s = $0
		if (!on) {
			if (!match(s, /Errors:/)) next
			on = 1; s = substr(s, RSTART)
		}
		while (match(s, /-E[A-Z0-9]+/)) {
			e = substr(s, RSTART + 1, RLENGTH - 1)
			if (index(" " errs " ", " " e " ") == 0) errs = errs " " e
			s = substr(s, RSTART + RLENGTH)
		}
	}
	END { if (fn != "") print fn "|" errs }' lib/README.md)
if [ -z "$missing" ]; then
	ok "each errno lib/README.md gives a function is in its man page's ERRORS"
else
	not_ok "each errno lib/README.md gives a function is in its man page's ERRORS" "$missing"
fi

if [ -x tools/check.d/protocol-offsets.sh ]; then
	if diag=$(tools/check.d/protocol-offsets.sh 2>&1); then
		ok "docs/PROTOCOL.md's tables agree with include/uapi/linux/kipc.h ($(tail -n 1 <<<"$diag"))"
	else
		not_ok "docs/PROTOCOL.md's tables agree with include/uapi/linux/kipc.h" "$diag"
	fi
fi
tap_end
