#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of the kipc command (tools/check.sh runs every check.d/host-*.sh):
# send/recv round trips checked with cmp on the shm and uds transports (each
# forced once with -t and once with KIPC_TRANSPORT), --keep, the error cases
# and their exit statuses (kipc(1)), help, info, ls, `kipc bench --check`,
# the bench's percentiles (stats_test), and the shape of `kipc bench
# --targets`' table, CSV, JSON and chart.
# TAP on stdout, "N passed, M failed" last. Every wait is bounded.
# The cases of every transport are tools/check.d/kipc-cases.sh's, which the
# test VM runs on dev (tools/kipc/vm-test.sh).
#
# Environment: KIPC (default build/tools/kipc), KIPC_TEST_BENCH=0 skips the
# bench check, KIPC_TEST_TRANSPORTS (default "shm uds").
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top" || exit 2
KIPC=${KIPC:-$top/build/tools/kipc}
transports=${KIPC_TEST_TRANSPORTS:-shm uds}
[ -x "$KIPC" ] || { echo "not ok 1 - $KIPC is built (make all)"; echo "0 passed, 1 failed"; exit 1; }

work=$(mktemp -d /tmp/kipc-host-test.XXXXXX)
mkdir -p "$work/tmp"
export TMPDIR=$work/tmp	# whatever our processes put in "/tmp" lands here
unset KIPC_TRANSPORT
prefix="ht$$"		# listener names: unique to this run
. tools/check.d/tap.sh
. tools/check.d/kipc-cases.sh

cleanup()
{
	local p t
	for p in $kc_bg; do
		for t in $(pgrep -P "$p"); do
			pkill -KILL -P "$t" 2> /dev/null
		done
	done
	rm -rf "$work"
}
trap cleanup EXIT

snapshot()
{
	{ ls -1 /dev/shm; ls -1 /tmp; } 2> /dev/null | sort
}
before=$(snapshot)

echo "TAP version 13"
echo "# kipc: $KIPC"

# ---------------------------------------------------------------- files
make_files

# ------------------------------------------------------- round trips
for t in $transports; do
	sc_roundtrips "$t"
done
newname
timeout -k 2 30 "$KIPC" recv "$name" > "$work/out" 2> "$work/recv.err" &
rpid=$!
timeout -k 2 30 "$KIPC" send "$name" "$work/5m" < /dev/null 2> "$work/send.err"
src=$?
wait "$rpid"
rrc=$?
if [ $src -eq 0 ] && [ $rrc -eq 0 ] && cmp -s "$work/5m" "$work/out"; then
	ok "auto: send NAME FILE reads FILE"
else
	not_ok "auto: send NAME FILE reads FILE" "send $src: $(cat "$work/send.err")" \
		"recv $rrc: $(cat "$work/recv.err")"
fi
roundtrip "auto: 5 MiB round trip, default transport" any "$work/5m" --
roundtrip "send --raw to recv --raw" any "$work/65537" --raw -- --raw
roundtrip "plain send to recv --raw (no hang, confirmed)" any "$work/65537" --raw --
newname
timeout -k 2 20 "$KIPC" recv "$name" > "$work/out" 2> "$work/err" &
rpid=$!
timeout -k 2 20 "$KIPC" send "$name" --raw < "$work/65537" 2> "$work/send.err"
src=$?
wait "$rpid"
rrc=$?
if [ $src -eq 0 ] && cmp -s "$work/65537" "$work/out"; then
	expect_fail "send --raw to a plain recv: data intact, recv reports no end marker (status 5)" \
		5 "no end-of-stream marker" "$work/err" $rrc
else
	not_ok "send --raw to a plain recv: data intact" "send $src: $(cat "$work/send.err")"
fi

if [ -x "$top/build/tools/kipc-static" ]; then
	KIPC=$top/build/tools/kipc-static roundtrip "kipc-static (the VM's build): 5 MiB round trip" \
		any "$work/5m" --
fi

# --------------------------------------------------------------- --keep
for t in $transports; do
	sc_keep "$t"
done

# ------------------------------------------------------------- progress
# The progress line (kipc(1), PROGRESS) under a pty from script(1): on
# stderr only when it is a terminal, never with -q or without a terminal.
# Updates are "\r"-separated; at most KIPC_PROGRESS_HZ (4) a second.
if command -v script > /dev/null; then
	# in_pty LOG CMD: run the shell command CMD with a pty as its terminal.
	in_pty()
	{
		timeout -k 2 60 script -qec "$2" "$1" < /dev/null > /dev/null
	}
	# updates LOG: the progress lines, one per "\r" update.
	updates()
	{
		tr '\r' '\n' < "$1" | grep -E '(sent|received), [0-9.]+ [KMGT]?i?B/s' || true
	}
	newname
	# The reader starts a second late, so the sender waits on a full ring
	# and its line must be rewritten at least once before the end.
	( timeout -k 2 60 "$KIPC" recv "$name" | { sleep 1; cat > "$work/out"; } ) &
	rpid=$!
	wait_for 10 has_listener_sock "$name"
	t0=$(date +%s.%N)
	in_pty "$work/pty.log" "'$KIPC' send '$name' '$work/5m'"
	src=$?
	t1=$(date +%s.%N)
	wait "$rpid"
	lines=$(updates "$work/pty.log")
	count=$(grep -c . <<<"$lines")
	most=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 4 + 2 }')
	if [ "$src" -eq 0 ] && cmp -s "$work/5m" "$work/out" &&
	   grep -qE '%, ETA [0-9]+:[0-9]{2}:[0-9]{2}' <<<"$lines" &&
	   tail -n 1 <<<"$lines" | grep -qE '^5\.0 MiB sent, .* in [0-9]+:[0-9]{2}:[0-9]{2}' &&
	   [ "$count" -ge 2 ] && [ "$count" -le "$most" ]; then
		ok "send on a terminal: progress line with bytes, rate, % and ETA, $count updates (at most $most), then the total"
	else
		not_ok "send on a terminal: progress line with bytes, rate, % and ETA, then the total" \
			"exit $src, $count updates (at most $most)" "$(tr '\r' '\n' < "$work/pty.log" | tail -n 8)"
	fi

	newname
	( in_pty "$work/pty.log" "'$KIPC' recv '$name' > '$work/out'"; exit $? ) &
	rpid=$!
	wait_for 10 has_listener_sock "$name"
	timeout -k 2 60 "$KIPC" send "$name" "$work/5m" 2> "$work/send.err"
	src=$?
	wait "$rpid"
	rrc=$?
	lines=$(updates "$work/pty.log")
	if [ "$src" -eq 0 ] && [ "$rrc" -eq 0 ] && cmp -s "$work/5m" "$work/out" &&
	   tail -n 1 <<<"$lines" | grep -qE '^5\.0 MiB received, ' &&
	   ! grep -q ETA <<<"$lines" && [ ! -s "$work/send.err" ]; then
		ok "recv on a terminal, stdout a file: progress line with bytes and rate, no ETA (size unknown); none from send without a terminal"
	else
		not_ok "recv on a terminal, stdout a file: progress line with bytes and rate, no ETA" \
			"send exit $src: $(cat "$work/send.err")" "recv exit $rrc" \
			"$(tr '\r' '\n' < "$work/pty.log" | tail -n 8)"
	fi

	newname
	( in_pty "$work/pty.log" "'$KIPC' recv -q '$name' > '$work/out'"; exit $? ) &
	rpid=$!
	wait_for 10 has_listener_sock "$name"
	in_pty "$work/pty2.log" "'$KIPC' send --quiet '$name' '$work/5m'"
	src=$?
	wait "$rpid"
	rrc=$?
	if [ "$src" -eq 0 ] && [ "$rrc" -eq 0 ] && cmp -s "$work/5m" "$work/out" &&
	   [ -z "$(updates "$work/pty.log")" ] && [ -z "$(updates "$work/pty2.log")" ]; then
		ok "recv -q and send --quiet on a terminal: no progress line"
	else
		not_ok "recv -q and send --quiet on a terminal: no progress line" \
			"send exit $src: $(tr '\r' '\n' < "$work/pty2.log" | tail -n 4)" \
			"recv exit $rrc: $(tr '\r' '\n' < "$work/pty.log" | tail -n 4)"
	fi

	newname
	timeout -k 2 60 "$KIPC" recv "$name" > "$work/out" 2> "$work/recv.err" &
	rpid=$!
	timeout -k 2 60 "$KIPC" send "$name" "$work/5m" 2> "$work/send.err"
	src=$?
	wait "$rpid"
	rrc=$?
	if [ "$src" -eq 0 ] && [ "$rrc" -eq 0 ] && cmp -s "$work/5m" "$work/out" &&
	   [ ! -s "$work/send.err" ] && [ ! -s "$work/recv.err" ]; then
		ok "send and recv without a terminal: nothing on stderr"
	else
		not_ok "send and recv without a terminal: nothing on stderr" \
			"send exit $src: $(cat -A "$work/send.err")" "recv exit $rrc: $(cat -A "$work/recv.err")"
	fi
else
	for d in "send on a terminal: progress line" "recv on a terminal: progress line" \
		 "-q on a terminal: no progress line" "no terminal: no progress line"; do
		skip "$d" "no script(1) (util-linux)"
	done
fi

# --------------------------------------------------------------- errors
# --wait lets the sender start first
newname
timeout -k 2 20 "$KIPC" send "$name" -w 10 < "$work/65537" 2> "$work/send.err" &
spid=$!
sleep 0.5	# the point of this test: the sender is already waiting
timeout -k 2 20 "$KIPC" recv "$name" > "$work/out" 2> "$work/recv.err"
rrc=$?
wait "$spid"
src=$?
if [ $src -eq 0 ] && [ $rrc -eq 0 ] && cmp -s "$work/65537" "$work/out"; then
	ok "send started before recv waits for the name (--wait)"
else
	not_ok "send started before recv waits for the name (--wait)" \
		"send $src: $(cat "$work/send.err")" "recv $rrc: $(cat "$work/recv.err")"
fi

for t in $transports; do
	sc_missing_name "$t"
	sc_peer_killed "$t"
	sc_exact "$t"
	sc_name_in_use "$t"
done

# stdout closed under recv: EPIPE reported, not a silent death by SIGPIPE
newname
timeout -k 2 20 "$KIPC" send "$name" < "$work/5m" 2> "$work/err" &
spid=$!
( timeout -k 2 20 "$KIPC" recv "$name" 2> "$work/recv.err"; echo $? > "$work/recv.rc" ) |
	head -c 10 > /dev/null
wait "$spid"
src=$?
expect_fail "recv with stdout closed: status 9, 'writing standard output'" 9 \
	"writing standard output: Broken pipe" "$work/recv.err" "$(cat "$work/recv.rc")"
expect_fail "... and the sender says the receiver went away (status 5)" 5 \
	"receiver went away" "$work/err" $src

# permission denied (needs another uid: root and setpriv)
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null; then
	as_nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)
	newname
	timeout -k 2 20 "$KIPC" recv "$name" -T 10 > "$work/out" 2> "$work/recv.err" &
	rpid=$!
	timeout -k 2 10 "${as_nobody[@]}" "$KIPC" send "$name" < "$work/one" 2> "$work/err"
	expect_fail "mode 0600: another uid gets status 4, 'permission denied'" 4 \
		"permission denied" "$work/err" $?
	timeout -k 2 10 "$KIPC" send "$name" < "$work/one" 2> /dev/null
	wait "$rpid"
	newname
	chmod 0755 "$work"
	cp "$work/65537" "$work/tmp/pub" && chmod 0644 "$work/tmp/pub"
	chmod 0755 "$work/tmp"
	timeout -k 2 20 "$KIPC" recv "$name" -m 0666 > "$work/out" 2> "$work/recv.err" &
	rpid=$!
	timeout -k 2 10 "${as_nobody[@]}" "$KIPC" send "$name" "$work/tmp/pub" 2> "$work/err"
	src=$?
	wait "$rpid"
	rrc=$?
	if [ $src -eq 0 ] && [ $rrc -eq 0 ] && cmp -s "$work/65537" "$work/out"; then
		ok "mode 0666: another uid may send"
	else
		not_ok "mode 0666: another uid may send" "send $src: $(cat "$work/err")" \
			"recv $rrc: $(cat "$work/recv.err")"
	fi
	rm -f "$work/tmp/pub"
else
	skip "permission denied for another uid" "needs root and setpriv"
	skip "mode 0666 lets another uid send" "needs root and setpriv"
fi

if [ ! -e /dev/kipc ]; then
	newname
	timeout -k 2 10 "$KIPC" send "$name" -t dev -w 0 < /dev/null 2> "$work/err"
	expect_fail "send -t dev without the driver: status 8" 8 "not available" "$work/err" $?
	newname
	timeout -k 2 10 "$KIPC" recv "$name" -t dev 2> "$work/err"
	expect_fail "recv -t dev without the driver: status 8" 8 "not available" "$work/err" $?
else
	skip "-t dev without the driver" "/dev/kipc exists here"
	skip "recv -t dev without the driver" "/dev/kipc exists here"
fi

newname
timeout -k 2 20 "$KIPC" recv "$name" -t uds -T 5 > /dev/null 2> /dev/null &
rpid=$!
wait_for 5 has_listener_sock "$name"
timeout -k 2 10 "$KIPC" send "$name" -t shm -w 0 < /dev/null 2> "$work/err"
expect_fail "send -t shm to a recv -t uds: status 8, the listener does not offer it" 8 \
	"does not offer it" "$work/err" $?
timeout -k 2 10 "$KIPC" send "$name" -t uds < /dev/null 2> /dev/null
wait "$rpid"

newname
timeout -k 2 10 "$KIPC" recv -T 0.3 "$name" 2> "$work/err"
expect_fail "recv --timeout with no sender: status 10" 10 "no sender connected" "$work/err" $?
timeout -k 2 10 "$KIPC" send 2> "$work/err.all"
rc=$?
head -n 1 "$work/err.all" > "$work/err"
expect_fail "send without NAME: status 2" 2 "missing NAME" "$work/err" $rc
timeout -k 2 10 "$KIPC" send 'bad name' < /dev/null 2> "$work/err.all"
rc=$?
head -n 1 "$work/err.all" > "$work/err"
expect_fail "a name with a space: status 2" 2 "bad name" "$work/err" $rc
timeout -k 2 10 "$KIPC" frobnicate > /dev/null 2> "$work/err.all"
rc=$?
head -n 1 "$work/err.all" > "$work/err"
expect_fail "unknown command: status 2" 2 "unknown command" "$work/err" $rc

# ------------------------------------------------------------------ help
for c in send recv ls info bench; do
	if out=$(timeout -k 2 10 "$KIPC" "$c" --help 2>&1) && grep -q "Usage" <<< "$out" &&
	   hout=$(timeout -k 2 10 "$KIPC" help "$c" 2>&1) && grep -q "Usage" <<< "$hout"; then
		ok "kipc $c --help and kipc help $c"
	else
		not_ok "kipc $c --help and kipc help $c" "$out"
	fi
done
if out=$(timeout -k 2 10 "$KIPC" help) && grep -q "recv" <<< "$out" && grep -q "bench" <<< "$out"; then
	ok "kipc help lists the commands"
else
	not_ok "kipc help lists the commands" "$out"
fi
if command -v man > /dev/null; then
	if out=$(MANWIDTH=80 man --warnings -l tools/kipc/kipc.1 2>&1 > /dev/null) && [ -z "$out" ] &&
	   MANWIDTH=80 man -l tools/kipc/kipc.1 2> /dev/null | grep -q "EXIT STATUS"; then
		ok "man -l tools/kipc/kipc.1 renders without warnings"
	else
		not_ok "man -l tools/kipc/kipc.1 renders without warnings" "$out"
	fi
else
	skip "man page renders" "no man here"
fi

# ------------------------------------------------------------------ info
out=$(timeout -k 2 10 "$KIPC" info 2>&1)
rc=$?
if [ -e /dev/kipc ]; then want="driver +loaded"; first=dev; else want="driver +not loaded"; first=shm; fi
if [ $rc -eq 0 ] && grep -qE "^$want" <<< "$out" && grep -qE "^connect now +$first" <<< "$out" &&
   grep -qE "^shm fallback +available" <<< "$out" && grep -qE "^uds fallback +available" <<< "$out"; then
	ok "kipc info: driver state, fallbacks, and '$first' as the transport now"
else
	not_ok "kipc info: driver state, fallbacks, and '$first' as the transport now" "exit $rc" "$out"
fi
out=$(KIPC_TRANSPORT=uds timeout -k 2 10 "$KIPC" info 2>&1)
if grep -qE "^connect now +uds: forced by KIPC_TRANSPORT=uds" <<< "$out"; then
	ok "kipc info with KIPC_TRANSPORT=uds says it is forced"
else
	not_ok "kipc info with KIPC_TRANSPORT=uds says it is forced" "$out"
fi

# -------------------------------------------------------------------- ls
out=$(timeout -k 2 10 "$KIPC" ls 2>&1)
rc=$?
if [ -e /proc/driver/kipc ]; then
	grep -q "^driver: listeners" <<< "$out"
else
	grep -q "kipc driver not loaded (no /proc/driver/kipc); showing what the library can see" <<< "$out"
fi
if [ $? -eq 0 ] && [ $rc -eq 0 ]; then
	ok "kipc ls says whether the driver is loaded"
else
	not_ok "kipc ls says whether the driver is loaded" "exit $rc" "$out"
fi
for t in $transports; do
	sc_ls_live "$t"
done

# ----------------------------------------------------------------- bench
if [ "${KIPC_TEST_BENCH:-1}" = 0 ]; then
	skip "kipc bench --check" "KIPC_TEST_BENCH=0"
else
	timeout -k 5 600 "$KIPC" bench --check > "$work/bench.out" 2>&1 &
	bench_timeout=$!
	bench_pid=$(pgrep -P "$bench_timeout" | head -n 1)
	wait "$bench_timeout"
	rc=$?
	# One case per mechanism: "ok NAME ...", "FAIL NAME" or only "skip
	# NAME why" lines. A skip is counted with its reason, except for the
	# transports that must run here: kipc-shm and kipc-uds, and kipc-dev
	# where the driver is loaded.
	must_run=" kipc-shm kipc-shm-zc kipc-uds "
	[ -c /dev/kipc ] && must_run="$must_run kipc-dev kipc-dev-zc "
	mechs=0
	declare -A seen=()
	while read -r verdict mech why; do
		[ -z "${seen[$mech]:-}" ] || continue
		seen[$mech]=1
		mechs=$((mechs + 1))
		case $verdict in
		ok)	ok "kipc bench --check: $mech payloads intact" ;;
		FAIL)	not_ok "kipc bench --check: $mech payloads intact" \
				"$(grep -A 5 "^FAIL *$mech" "$work/bench.out")" ;;
		skip)	if [[ $must_run == *" $mech "* ]]; then
				not_ok "kipc bench --check: $mech must run here" "skipped: $why"
			else
				skip "kipc bench --check: $mech" "$why"
			fi ;;
		esac
	done < <(grep -E '^(ok|FAIL|skip) +[a-z0-9-]+' "$work/bench.out")
	total=$(sed -nE 's/^check: ([0-9]+) mechanisms passed, ([0-9]+) skipped, ([0-9]+) failed.*/\1 \2 \3/p' \
		"$work/bench.out")
	read -r bp bs bf <<<"${total:-x x x}"
	if [ $rc -eq 0 ] && [ "$total" ] && [ $mechs -eq $((bp + bs + bf)) ]; then
		ok "kipc bench --check: exit 0, $mechs mechanisms reported"
	else
		not_ok "kipc bench --check: exit 0, $mechs mechanisms reported" "exit $rc" \
			"summary: ${total:-none}" "$(tail -n 40 "$work/bench.out")"
	fi
fi

# ------------------------------------------------- bench percentiles
# The percentile arithmetic on a coarse clock (tools/bench/stats_test.c):
# synthetic samples, nothing timed.
st=$top/tools/bench/stats_test
if out=$(timeout -k 2 30 "$st" 2>&1) && ! grep -q "^not ok" <<< "$out" &&
   [ "$(grep -c "^ok" <<< "$out")" -ge 12 ]; then
	ok "kipc bench: percentiles interpolated within a coarse clock's step, nearest rank on a fine one"
else
	not_ok "kipc bench: percentiles interpolated within a coarse clock's step, nearest rank on a fine one" \
		"$out"
fi

# --------------------------------------------------- bench --targets
# The outputs' shape, never their numbers: a short --targets run (two
# rounds, few iterations) must give the targets section with its verdict,
# the floor table and the goals, CPU columns in the table, the CSV and the
# JSON, the targets in both, and a PNG when gnuplot is here.
if [ "${KIPC_TEST_BENCH:-1}" = 0 ]; then
	skip "kipc bench --targets: table" "KIPC_TEST_BENCH=0"
	skip "kipc bench --targets: CSV" "KIPC_TEST_BENCH=0"
	skip "kipc bench --targets: JSON" "KIPC_TEST_BENCH=0"
	skip "kipc bench --targets: PNG" "KIPC_TEST_BENCH=0"
else
	png_arg=()
	command -v gnuplot > /dev/null && png_arg=(--png "$work/t.png")
	timeout -k 5 300 "$KIPC" bench --targets --rounds 2 --iterations 200 --sizes 8,64,64k \
		--csv "$work/t.csv" --json "$work/t.json" "${png_arg[@]}" > "$work/t.out" 2>&1
	rc=$?
	t=$work/t.out
	if [ $rc -eq 0 ] && grep -q "^Targets (issue 9): .*medians over the rounds" "$t" &&
	   grep -qE "^Verdict: kipc-shm: [0-9.]+x the line floor at 64 B" "$t" &&
	   grep -qE "^kipc-shm against the floors" "$t" &&
	   grep -qE "^8 B +[0-9.]+ +[0-9.]+ \| +[0-9.]+ +[0-9.]+ +[0-9.]+/[0-9.]+ " "$t" &&
	   grep -qE "^  kipc-shm +adapt +64 B +p50 .* cpu +[0-9.]+/[0-9.]+ " "$t" &&
	   grep -qE "^  kipc-shm-zc RT p50 <= 1.09x cacheline p50 .* (PASS|MISS)$" "$t" &&
	   grep -qE "^  [0-9]+ of [0-9]+ met$" "$t" &&
	   grep -qE "^Mechanism +Mode +msg/s .* cpu ns A/B .* cpu us A/B" "$t" &&
	   grep -qE "^payload-floor +poll " "$t" && grep -qE "^kipc-shm-zc +poll " "$t"; then
		ok "kipc bench --targets: table with the targets, verdict, floors, wait modes, goals, CPU"
	else
		not_ok "kipc bench --targets: table with the targets, verdict, floors, wait modes, goals, CPU" \
			"exit $rc" "$(tail -n 60 "$t")"
	fi
	c=$work/t.csv
	if [ -s "$c" ] && grep -qE "^mechanism,.*,cpu_a_ns_per_msg,cpu_b_ns_per_msg,cpu_a_share,cpu_b_share,round,primary,note$" "$c" &&
	   grep -qE "^kipc-shm,kipc,poll,latency,64,ok,200,20,([0-9.]+,){6},,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+,1,[01]," "$c" &&
	   grep -qE "^memcpy,floor,poll,stream,65536,ok," "$c" &&
	   grep -qE "^# verdict: kipc-shm: " "$c" &&
	   grep -qE "^# steal_share: ([01]\.[0-9]{4}|unknown)$" "$c" &&
	   grep -qE "^# target,kipc-shm-zc,64,[0-9.]+,<=,1.09,(yes|no),\"" "$c"; then
		ok "kipc bench --targets: CSV with CPU, round, steal and the targets"
	else
		not_ok "kipc bench --targets: CSV with CPU, round, steal and the targets" "$(head -n 12 "$c" 2>&1)"
	fi
	j=$work/t.json
	if [ -s "$j" ] && { ! command -v python3 > /dev/null ||
	     python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["targets"] and d["verdict"] and d["config"]["rounds"] == 2 and any("cpu_ns_per_msg" in r for r in d["results"]) else 1)' "$j"; } &&
	   grep -qE '"cpu_ns_per_msg": \{"a": [0-9.]+, "b": [0-9.]+\}' "$j" &&
	   grep -qE '"round": 1, "primary": (true|false)' "$j" &&
	   grep -qE '^  "verdict": "kipc-shm: ' "$j" &&
	   grep -qE '^    "steal_share": ([01]\.[0-9]{4}|null),$' "$j" &&
	   grep -qE '"goal": "kipc-shm RT p50 <= 1.10x payload-floor p50 .*"met": (true|false)' "$j"; then
		ok "kipc bench --targets: JSON with CPU, rounds, verdict and targets"
	else
		not_ok "kipc bench --targets: JSON with CPU, rounds, verdict and targets" \
			"$(grep -E 'verdict|targets|cpu_ns' "$j" 2>&1 | head -n 5)"
	fi
	if [ ${#png_arg[@]} -eq 0 ]; then
		skip "kipc bench --targets: PNG" "no gnuplot here"
	elif [ "$(head -c 8 "$work/t.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
		ok "kipc bench --targets: PNG written"
	else
		not_ok "kipc bench --targets: PNG written" "$(grep gnuplot "$t")"
	fi
fi

# ------------------------------------------------------- nothing behind
sleep 0.2
after=$(snapshot)
# kipc-bench-PID-... and kipc-bench.PID.* of other users' benches are not ours
new=$(comm -13 <(echo "$before") <(echo "$after") | grep -iE "kipc|$prefix" |
      grep -vE "^kipc-bench[-.]([0-9]+)[-.]" || true)
if [ -n "${bench_pid:-}" ]; then
	new+=$(comm -13 <(echo "$before") <(echo "$after") | grep -E "^kipc-bench[-.]${bench_pid}[-.]" || true)
fi
ours_tmp=$(find "$work/tmp" -mindepth 1 2> /dev/null)
ours_sock=$(grep -c "@kipc\.$prefix\." /proc/net/unix)
if [ -z "$new" ] && [ -z "$ours_tmp" ] && [ "$ours_sock" -eq 0 ]; then
	ok "nothing left behind in /dev/shm, /tmp, TMPDIR or /proc/net/unix"
else
	not_ok "nothing left behind in /dev/shm, /tmp, TMPDIR or /proc/net/unix" \
		"new in /dev/shm or /tmp: $new" "in TMPDIR: $ours_tmp" "sockets: $ours_sock"
fi

tap_end
