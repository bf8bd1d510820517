# SPDX-License-Identifier: GPL-2.0
# Sourced by tools/check.sh (and by host-rig.sh, which tests it): how a
# step is run and counted, and the static checks that pass only on evidence.
# The caller sets logdir and expect[], and declares the arrays report and
# notes and the totals passed, failed, skipped.

# step NAME CMD...: run CMD, log it, add its results to the totals.
step()
{
	local name=$1 log="$logdir/$1.log" rc p f s line kind want reduced
	shift
	echo "=== $name: $*"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
		f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
		s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+')
		s=${s:-0}
	elif grep -qE '^(ok|not ok) [0-9]+' "$log"; then
		s=$(grep -ciE '^ok [0-9]+.*# *SKIP' "$log")
		p=$(( $(grep -cE '^ok [0-9]+' "$log") - s ))
		f=$(grep -cE '^not ok [0-9]+' "$log")
	elif [ "$rc" -eq 0 ]; then
		p=1 f=0 s=0
	else
		p=0 f=0 s=0
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		notes+=("$name: ran no test")
		f=1
	fi
	kind=${name%-debug}
	kind=${kind%-custom}
	kind=${kind%-[0-9]*}
	want=${expect[$kind]:-}
	if [ -n "$want" ] && [ "$want" != - ] && [ $((p + f + s)) -ne "$want" ]; then
		notes+=("$name: counted $((p + f + s)) cases, expected $want (tools/check.sh)")
		f=$((f + 1))
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	reduced=$(grep -oE '^# reduced: .*' "$log" | sort -u | sed 's/^# reduced: //' | paste -sd ';' -)
	report+=("$(printf '%-20s %s passed, %s failed, %s skipped (exit %s)%s' "$name" "$p" "$f" "$s" \
		"$rc" "${reduced:+; reduced counts: $reduced}")")
	# Each skip with its reason: TAP "ok N - desc # SKIP why".
	while IFS= read -r line; do
		report+=("    skipped: $line")
	done < <(grep -iE '^ok [0-9]+.*# *SKIP' "$log" | sed -E 's/^ok [0-9]+ (- )?//' | sort | uniq -c |
		sed -E 's/^ *1 //; s/^ *([0-9]+) (.*)/\2 (x\1)/' | head -n 20)
	return 0
}

# The static checks pass only on evidence that they ran: checkpatch's
# per-file "total: 0 errors, 0 warnings, 0 checks" for every file, sparse's
# "CHECK" line for every driver source, and a zero exit status.

# make_evidence TARGET: run make TARGET, show its output, keep it in $out;
# fails when make does.
make_evidence()
{
	local rc
	out=$(make "$1" 2>&1)
	rc=$?
	echo "$out"
	[ $rc -eq 0 ] || { echo "check.sh: make $1 exited $rc"; return 1; }
}

# seen_all WHAT N OF: fail unless N (the lines of evidence) equals OF.
seen_all()
{
	[ "$2" -eq "$3" ] || { echo "check.sh: $1 for $2 of $3 files"; return 1; }
}

checkpatch_ok()
{
	local out files
	make_evidence checkpatch || return 1
	# The driver's sources plus the uapi header.
	files=$(($(make -s --no-print-directory print-kmod-srcs | wc -w) + 1))
	seen_all "checkpatch reported clean totals" \
		"$(grep -cE '^total: 0 errors, 0 warnings, (0 checks, )?[0-9]+ lines checked' <<<"$out")" "$files"
}

sparse_ok()
{
	local out files
	make_evidence sparse || return 1
	! grep -qE 'warning:|error:' <<<"$out" || { echo "check.sh: sparse warned"; return 1; }
	files=$(make -s --no-print-directory print-kmod-srcs | tr ' ' '\n' | grep -c '\.c$')
	seen_all "sparse checked" "$(grep -cE '^ +CHECK +.*\.c$' <<<"$out")" "$files"
}
