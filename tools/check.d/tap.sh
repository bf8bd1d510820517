# SPDX-License-Identifier: GPL-2.0
# TAP helpers for the shell suites (POSIX sh, busybox too): source it, call
# ok/not_ok/skip per case and tap_end last.  not_ok's further arguments are
# printed as "#   " diagnostic lines.
tap_n=0 tap_passed=0 tap_failed=0 tap_skipped=0

ok()
{
	tap_n=$((tap_n + 1)) tap_passed=$((tap_passed + 1))
	echo "ok $tap_n - $1"
}

not_ok()
{
	tap_n=$((tap_n + 1)) tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	shift
	for tap_line in "$@"; do
		printf '%s\n' "$tap_line" | sed 's/^/#   /'
	done
}

skip()
{
	tap_n=$((tap_n + 1)) tap_skipped=$((tap_skipped + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

# check DESC CMD...: ok when CMD succeeds.
check_that()
{
	tap_desc=$1
	shift
	if "$@"; then ok "$tap_desc"; else not_ok "$tap_desc" "failed: $*"; fi
}

tap_end()
{
	echo "1..$tap_n"
	echo "$tap_passed passed, $tap_failed failed, $tap_skipped skipped"
	[ "$tap_failed" -eq 0 ]
}
