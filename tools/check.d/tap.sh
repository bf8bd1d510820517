# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# TAP helpers for the shell suites (POSIX sh, busybox too: the test VM's
# tools/kipc/vm-test.sh sources it there): source it, call ok/not_ok/skip
# per case and tap_end last.  not_ok's further arguments are printed as
# "#   " diagnostic lines.
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

# expect_fail DESC STATUS REGEX STDERR-FILE ACTUAL-STATUS: ok when a command
# that should fail exited with STATUS and wrote exactly one line to stderr
# (STDERR-FILE), matching the extended regex REGEX: the one-line error of
# kipc(1), nothing more.
expect_fail()
{
	if [ "$5" -eq "$2" ] 2> /dev/null && grep -qE "$3" "$4" &&
	   [ "$(grep -c '' "$4")" -eq 1 ]; then
		ok "$1"
	else
		not_ok "$1" "wanted exit $2 and one line matching /$3/" \
			"got exit $5: $(cat "$4")"
	fi
}

tap_end()
{
	echo "1..$tap_n"
	echo "$tap_passed passed, $tap_failed failed, $tap_skipped skipped"
	[ "$tap_failed" -eq 0 ]
}
