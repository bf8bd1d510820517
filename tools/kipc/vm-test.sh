#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kipc command inside the test VM (busybox sh, root, kipc.ko loaded),
# on the dev transport: send/recv round trips checked with cmp, --keep, a
# peer killed on either side, --exact, kipc info and kipc ls with the driver,
# and the bench's kipc-dev and kipc-dev-zc correctness run. TAP on stdout. Started by
# tools/vm/run.sh (see tools/check.d/vm-kipc.args); KIPC picks the binary.
#
# busybox timeout execs its command in place, so `timeout N kipc ... &`
# leaves the kipc pid in $!.
KIPC=${KIPC:-kipc}
work=$(mktemp -d /tmp/kipc-vm-test.XXXXXX) || exit 1
n=0
failed=0
seq=0

ok()
{
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok()
{
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}

skip()
{
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

newname()
{
	seq=$((seq + 1))
	name="vm$$.$seq"
}

# wait_for SECS CMD...: poll every 0.1 s
wait_for()
{
	t=$(($1 * 10))
	shift
	while ! "$@" 2> /dev/null; do
		t=$((t - 1))
		[ $t -le 0 ] && return 1
		sleep 0.1
	done
}

conn_of()
{
	grep -q "^conn [0-9]* $1 state=accepted" /proc/driver/kipc
}

size_is()
{
	[ "$(stat -c %s "$1")" -eq "$2" ]
}

# roundtrip DESC FILE RECV-ARGS -- SEND-ARGS (word-split on purpose)
roundtrip()
{
	desc=$1
	file=$2
	rargs=$3
	sargs=$4
	newname
	# shellcheck disable=SC2086
	timeout 60 "$KIPC" recv "$name" -v $rargs > "$work/out" 2> "$work/recv.err" &
	rpid=$!
	# shellcheck disable=SC2086
	timeout 60 "$KIPC" send "$name" -v $sargs < "$file" 2> "$work/send.err"
	src=$?
	wait $rpid
	rrc=$?
	if [ $src -eq 0 ] && [ $rrc -eq 0 ] && cmp -s "$file" "$work/out" &&
	   grep -q "over dev" "$work/send.err" && grep -q "over dev" "$work/recv.err"; then
		ok "$desc"
	else
		not_ok "$desc" "send exit $src: $(cat "$work/send.err")" \
			"recv exit $rrc: $(cat "$work/recv.err")" \
			"cmp: $(cmp "$file" "$work/out" 2>&1)"
	fi
}

# expect_fail DESC STATUS PATTERN STDERR-FILE ACTUAL-STATUS
expect_fail()
{
	if [ "$5" -eq "$2" ] && grep -qE "$3" "$4"; then
		ok "$1"
	else
		not_ok "$1" "wanted exit $2 and /$3/" "got exit $5: $(cat "$4")"
	fi
}

echo "TAP version 13"
[ -c /dev/kipc ] || { echo "1..0 # SKIP no /dev/kipc"; exit 4; }

: > "$work/empty"
printf x > "$work/one"
head -c 65537 /dev/urandom > "$work/65537"
head -c $((5 << 20)) /dev/urandom > "$work/5m"
head -c 299999 /dev/urandom > "$work/odd"

# ------------------------------------------------------------- info
out=$("$KIPC" info 2>&1)
rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -qE "^driver +loaded" &&
   echo "$out" | grep -qE "abi version +1 " &&
   echo "$out" | grep -qE "^connect now +dev"; then
	ok "kipc info: driver loaded, ABI 1, dev is the transport now"
else
	not_ok "kipc info: driver loaded, ABI 1, dev is the transport now" "exit $rc" "$out"
fi
echo "$out" | sed 's/^/# /'

# ------------------------------------------------------- round trips
for f in empty one 65537 5m; do
	roundtrip "dev (-t): $f bytes round trip" "$work/$f" "-t dev" "-t dev"
done
roundtrip "dev (-t): 4 KiB ring, 1000-byte messages, 299999 bytes" "$work/odd" \
	"-t dev -r 4096" "-t dev -s 1000"
export KIPC_TRANSPORT=dev
for f in one 5m; do
	roundtrip "dev (KIPC_TRANSPORT): $f bytes round trip" "$work/$f" "" ""
done
unset KIPC_TRANSPORT
roundtrip "auto picks dev with the driver loaded: 5 MiB" "$work/5m" "" ""

newname
timeout 60 "$KIPC" recv "$name" -t dev --keep -n 2 > "$work/out" 2> "$work/recv.err" &
rpid=$!
timeout 30 "$KIPC" send "$name" -t dev < "$work/65537" 2> "$work/send.err"
s1=$?
timeout 30 "$KIPC" send "$name" -t dev < "$work/5m" 2>> "$work/send.err"
s2=$?
wait $rpid
rrc=$?
cat "$work/65537" "$work/5m" > "$work/both"
if [ $s1 -eq 0 ] && [ $s2 -eq 0 ] && [ $rrc -eq 0 ] && cmp -s "$work/both" "$work/out"; then
	ok "dev: recv --keep -n 2 serves two senders in turn"
else
	not_ok "dev: recv --keep -n 2 serves two senders in turn" \
		"send $s1 $s2: $(cat "$work/send.err")" "recv $rrc: $(cat "$work/recv.err")"
fi

# ------------------------------------------------------------- errors
newname
timeout 10 "$KIPC" send "$name" -t dev -w 0.3 < /dev/null 2> "$work/err"
expect_fail "dev: send to a missing name: status 3" 3 "no such name" "$work/err" $?

newname
timeout 20 "$KIPC" recv "$name" -t dev > /dev/null 2> "$work/recv.err" &
rpid=$!
timeout 10 "$KIPC" send "$name" -t dev --exact -s 1m < "$work/65537" 2> "$work/err"
expect_fail "dev: send --exact -s 1m: status 6, message too large" 6 "message too large" "$work/err" $?
wait $rpid
expect_fail "dev: ... and recv says the sender gave up" 5 "sender gave up" "$work/recv.err" $?

newname
timeout 20 "$KIPC" recv "$name" -t dev > /dev/null 2> "$work/recv.err" &
rpid=$!
wait_for 5 grep -q "^listener $name " /proc/driver/kipc
timeout 10 "$KIPC" recv "$name" -t dev > /dev/null 2> "$work/err"
expect_fail "dev: recv on a name in use: status 7" 7 "already in use" "$work/err" $?
timeout 10 "$KIPC" send "$name" -t dev < /dev/null 2> /dev/null
wait $rpid

# receiver killed: its stdout is a FIFO nobody reads
newname
rm -f "$work/fifo"
mkfifo "$work/fifo"
exec 7<> "$work/fifo"
timeout 30 "$KIPC" recv "$name" -t dev > "$work/fifo" 2> "$work/recv.err" 7>&- &
rpid=$!
head -c $((64 << 20)) /dev/zero | timeout 30 "$KIPC" send "$name" -t dev 2> "$work/err" 7>&- &
spid=$!
if wait_for 10 conn_of "$name"; then
	sleep 0.5	# let the ring fill: the sender blocks
	kill -KILL $rpid
	wait $spid
	expect_fail "dev: receiver killed mid-stream: sender status 5" 5 \
		"receiver went away .*[0-9]+ bytes" "$work/err" $?
else
	not_ok "dev: receiver killed mid-stream" "no connection in /proc/driver/kipc"
	kill -KILL $rpid $spid 2> /dev/null
fi
wait $rpid 2> /dev/null
exec 7>&-

# sender killed after 100000 bytes
newname
rm -f "$work/fifo"
mkfifo "$work/fifo"
exec 8<> "$work/fifo"
head -c 100000 /dev/urandom > "$work/part"
timeout 30 "$KIPC" recv "$name" -t dev > "$work/out" 2> "$work/err" 8>&- &
rpid=$!
timeout 30 "$KIPC" send "$name" -t dev < "$work/fifo" 2> "$work/send.err" 8>&- &
spid=$!
cat "$work/part" >&8
if wait_for 20 size_is "$work/out" 100000; then
	kill -KILL $spid
	wait $rpid
	expect_fail "dev: sender killed mid-stream: recv status 5, peer died, 100000 bytes" 5 \
		"peer died mid-stream: 100000 bytes" "$work/err" $?
	if cmp -s "$work/part" "$work/out"; then
		ok "dev: what arrived before the sender died is intact"
	else
		not_ok "dev: what arrived before the sender died is intact"
	fi
else
	not_ok "dev: sender killed mid-stream" "recv got $(stat -c %s "$work/out") bytes"
	kill -KILL $rpid $spid 2> /dev/null
fi
wait $spid 2> /dev/null
exec 8>&-

# ---------------------------------------------------------------- ls
newname
rm -f "$work/fifo"
mkfifo "$work/fifo"
exec 8<> "$work/fifo"
# Forced to dev: a silent fallback to shm would leave /proc empty.
timeout 30 "$KIPC" recv -t dev -v "$name" > /dev/null 2> "$work/recv.err" 8>&- &
rpid=$!
timeout 30 "$KIPC" send -t dev -v "$name" < "$work/fifo" 2> "$work/send.err" 8>&- &
spid=$!
echo hello >&8
if wait_for 10 conn_of "$name"; then
	out=$("$KIPC" ls 2>&1)
	if echo "$out" | grep -qE "^driver: listeners [1-9]" &&
	   echo "$out" | grep -qE "^$name +$rpid\(kipc\)/0 " &&
	   echo "$out" | grep -qE "^[0-9]+ +$name +accepted +$spid\(kipc\)/0 +$rpid\(kipc\)/0 "; then
		ok "kipc ls: the driver's listener and live connection, with both pids"
	else
		not_ok "kipc ls: the driver's listener and live connection, with both pids" \
			"sender $spid receiver $rpid" "$out"
	fi
	echo "$out" | sed 's/^/# /'
	# Another user sees names and uids, not pids or traffic ("-").
	out=$(su -s /bin/sh nobody -c "$KIPC ls" 2>&1)
	if echo "$out" | grep -qE "^$name +-/0 " &&
	   echo "$out" | grep -qE "^[0-9]+ +$name +accepted +-/0 +-/0 +.* -/- +-/- +-/-$" &&
	   ! echo "$out" | grep -qE "\($rpid|$rpid\(|$spid\("; then
		ok "kipc ls as another user: names and uids, no pids, no traffic"
	else
		not_ok "kipc ls as another user: names and uids, no pids, no traffic" "$out"
	fi
	# Another network namespace sees none of it.
	out=$(unshare -n "$KIPC" ls 2>&1)
	if echo "$out" | grep -q "^no driver listeners" && ! echo "$out" | grep -q "$name"; then
		ok "kipc ls in another network namespace: not our names"
	else
		not_ok "kipc ls in another network namespace: not our names" "$out"
	fi
	if "$KIPC" ls --proc | grep -q "^conn [0-9]* $name "; then
		ok "kipc ls --proc prints /proc/driver/kipc"
	else
		not_ok "kipc ls --proc prints /proc/driver/kipc"
	fi
else
	not_ok "kipc ls during a live connection" "no connection in /proc/driver/kipc" \
		"$(cat /proc/driver/kipc)" "recv: $(cat "$work/recv.err")" \
		"send: $(cat "$work/send.err")"
fi
exec 8>&-
wait $spid
src=$?
wait $rpid
rrc=$?
if [ $src -eq 0 ] && [ $rrc -eq 0 ]; then
	ok "... and that stream then ends cleanly"
else
	not_ok "... and that stream then ends cleanly" "send $src: $(cat "$work/send.err")" \
		"recv $rrc: $(cat "$work/recv.err")"
fi

# -------------------------------------------------------------- bench
# kipc-dev (kipc_send/kipc_recv) and kipc-dev-zc (reserve/commit, peek/release);
# adapt (spin-then-sleep) is left to the host run: under TCG it doubles the time
out=$(timeout 120 "$KIPC" bench --check --only kipc-dev,kipc-dev-zc --no-floors --modes poll,block 2>&1)
rc=$?
# The driver is loaded here: a skipped kipc-dev is a failure.
if echo "$out" | grep -qE "^skip +kipc-dev"; then
	not_ok "kipc bench --check --only kipc-dev,kipc-dev-zc: must run with the driver loaded" \
		"$(echo "$out" | grep -E '^skip +kipc-dev')"
elif [ $rc -eq 0 ] && echo "$out" | grep -qE "^ok +kipc-dev " &&
     echo "$out" | grep -qE "^ok +kipc-dev-zc "; then
	ok "kipc bench --check --only kipc-dev,kipc-dev-zc: payloads intact"
else
	not_ok "kipc bench --check --only kipc-dev,kipc-dev-zc: payloads intact" "exit $rc" "$out"
fi

rm -rf "$work"
echo "1..$n"
[ $failed -eq 0 ]
