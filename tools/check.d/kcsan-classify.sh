#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kcsan-classify.sh CONSOLE_LOG RIG_OUTPUT RIG_RC: the verdict of
# `make check-kcsan` (tools/check.d/vm-kcsan.sh, which runs the VM and
# calls this on its console log, run.sh's output and exit status), kept
# apart so that host-rig.sh can feed it hand-written logs
# (tools/vm/test/kcsan/).  Prints the "vm-kcsan: " lines and, when it
# overrides or fails the run, its own "N passed, M failed, K skipped"
# line; exits 0 or 1, or RIG_RC when the rig's verdict stands.
#
# Every "BUG: KCSAN:" report of the console log is sorted into kipc's and
# the rest.  A report is kipc's when either access is in kipc.ko ("[kipc]"
# in its first frame, or in the title of a race of unknown origin) or in a
# kernel helper kipc called directly (its second frame): each of those
# fails the run.  A report whose accesses are the core kernel's own, even
# below a kipc call (fs/select.c's pwq->triggered, written by pollwake()
# under kipc's wake_up, read by poll_schedule_timeout()), is listed and
# does not fail,
# but only when it is all the rig objected to: the guest's dmesg check
# fails on any "BUG:", so the rig's verdict is overridden when its one
# problem is that check and every line it flagged is the title of such a
# report.  A report whose stacks were never seen counts as kipc's.
#
# The stacks come from the guest's kcsan-reports command, which prints
# them from dmesg prefixed "kcsan-dump: "; reports printed after it (at
# rmmod) are in the rig's own KIPC-VM-DMESG-LOG block.  The titles the
# rig flagged are its "KIPC-VM-DMESG: " lines.
set -uo pipefail
[ $# -eq 3 ] || { echo "usage: kcsan-classify.sh CONSOLE_LOG RIG_OUTPUT RIG_RC" >&2; exit 2; }
log=$1 out=$2 rc=$3

# Titles, one per line, "kipc", "outside" or "unseen" first.
classes=$(tr -d '\r' < "$log" | awk '
function title(line) {
	sub(/.*BUG: KCSAN: /, "", line)
	return line
}
function close_report() {
	if (cur != "" && body[cur] == "") body[cur] = "outside"
	cur = ""
}
/^KIPC-VM-DMESG-LOG-BEGIN/ { inlog = 1; next }
/^KIPC-VM-DMESG-LOG-END/ { close_report(); inlog = 0; next }
/^KIPC-VM-DMESG: / {
	line = $0
	sub(/^KIPC-VM-DMESG: /, "", line)
	if (line ~ /BUG: KCSAN: /) seen[title(line)] = 1
	else flagged[line] = 1
	next
}
{
	line = $0
	if (line ~ /^kcsan-dump: /) sub(/^kcsan-dump: /, "", line)
	else if (!inlog) next
	if (cur != "") inreport[line] = 1
	if (line ~ /BUG: KCSAN: /) {
		close_report()
		cur = title(line)
		seen[cur] = 1
		frame = 0
		if (cur ~ /\[kipc\]/) body[cur] = "kipc"
		next
	}
	if (cur == "") next
	if (line ~ /=====/) { close_report(); next }
	sub(/^\[[^]]*\] /, "", line)
	# An access: "read to ...", "write (marked) to ...", or the one of
	# a race of unknown origin; its stack follows.
	if (line ~ /^(race at unknown origin, with )?(read|write).* by (task|interrupt)/) {
		frame = 0
		next
	}
	if (line !~ /^ [^ ].*\+0x/) next
	frame++
	if (line ~ /\[kipc\]/ && frame <= 2) body[cur] = "kipc"
}
END {
	close_report()
	for (t in seen) print (t in body ? body[t] : "unseen") "\t" t
	# Flagged lines of the rig that are no part of a report (a frame
	# such as lockdep_hardirqs_on+0x12/0x90 matches its "lockdep").
	for (l in flagged) if (!(l in inreport)) print "other\t" l
}' | sort)

nkipc=$(grep -c '^kipc' <<<"$classes")
nout=$(grep -c '^outside' <<<"$classes")
nunseen=$(grep -c '^unseen' <<<"$classes")
echo "vm-kcsan: distinct KCSAN reports: $nkipc in kipc, $nout outside kipc, $nunseen without a stack"
while IFS=$'\t' read -r class t; do
	[ -n "$t" ] || continue
	case $class in
	kipc)	echo "vm-kcsan: FAIL kipc's: $t" ;;
	unseen)	echo "vm-kcsan: FAIL stack not seen (counted as kipc's): $t" ;;
	outside) echo "vm-kcsan: note outside kipc: $t" ;;
	*)	echo "vm-kcsan: flagged by the rig, not a KCSAN report: $t" ;;
	esac
done <<<"$classes"
[ "$nkipc" -eq 0 ] && [ "$nunseen" -eq 0 ] && [ "$nout" -gt 0 ] &&
	echo "vm-kcsan: reports outside kipc are listed, not failed (full text in $log)"

if [ "$nkipc" -gt 0 ] || [ "$nunseen" -gt 0 ]; then
	echo "vm-kcsan: $nkipc data-race reports in kipc, $nunseen unseen; full text in $log"
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"${last:-0 passed}")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"${last:-0 passed, 0 failed}")
	s=$(grep -oE '[0-9]+ skipped' <<<"$last" | grep -oE '[0-9]+')
	[ "$f" -gt 0 ] || f=1
	echo "$p passed, $f failed, ${s:-0} skipped"
	exit 1
fi
[ "$rc" -eq 0 ] && exit 0

# The rig failed.  Overridden only when its single problem is the dmesg
# check and each line that check flagged is a report outside kipc: the
# check's "N suspicious lines", not one that could not scan the log (no
# start marker), which flagged nothing.
problems=$(grep -c '^kipc-vm: PROBLEM ' "$out")
dmesg_problem=$(grep -cE '^kipc-vm: PROBLEM  check dmesg failed: [0-9]+ suspicious lines$' "$out")
other_hits=$(grep -c '^other' <<<"$classes")
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
if [ "$nout" -gt 0 ] && [ "$problems" -eq 1 ] && [ "$dmesg_problem" -eq 1 ] &&
	[ "$other_hits" -eq 0 ] && [[ $last =~ ^([0-9]+)\ passed,\ 1\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
	echo "vm-kcsan: the rig's one failure is its dmesg check on the reports outside kipc above: not counted"
	echo "${BASH_REMATCH[1]} passed, 0 failed, ${BASH_REMATCH[3]:-0} skipped"
	exit 0
fi
exit "$rc"
