# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The kipc command's cases that run on every transport, written once: the
# host runs them on shm and uds (tools/check.d/host-kipc.sh, bash), the test
# VM on dev (tools/kipc/vm-test.sh, busybox sh), so this file is POSIX sh.
#
# Source tap.sh first, set KIPC (the binary), work (a scratch folder) and
# prefix (what makes this run's listener names unique), call make_files
# once, then each sc_* with a transport.  Every wait is bounded.  No `local`
# in POSIX sh: a function's variables start with its own short prefix.
#
# busybox timeout execs its command in place, coreutils timeout forks it:
# kipc_in finds the kipc process under a background job either way.

: "${KIPC:?}" "${work:?}" "${prefix:?}"
kc_seq=0
kc_bg=""	# background jobs whose kipc may outlive a failed case

# newname: a fresh listener name in $name.
newname()
{
	kc_seq=$((kc_seq + 1))
	name=$prefix.$kc_seq
}

# wait_for SECS CMD...: poll CMD every 0.1 s for about SECS.
wait_for()
{
	wf_left=$(($1 * 10))
	shift
	while ! "$@" 2> /dev/null; do
		wf_left=$((wf_left - 1))
		[ "$wf_left" -le 0 ] && return 1
		sleep 0.1
	done
}

size_is()
{
	[ "$(stat -c %s "$1")" -eq "$2" ]
}

# kipc_in JOB: the pid of the kipc process that the background job JOB
# runs: JOB itself, its child or its grandchild (a subshell around timeout),
# told by its comm, $KIPC's file name (a script's comm is its own name, and
# vm-test.sh runs as kipc-cli: no prefix match).
kipc_in()
{
	ki_comm=$(basename "$KIPC" | cut -c 1-15)
	ki_tries=50
	while [ "$ki_tries" -gt 0 ]; do
		ki_kids=$(cat "/proc/$1/task/$1/children" 2> /dev/null)
		for ki_p in "$1" $ki_kids $(for ki_c in $ki_kids; do
				cat "/proc/$ki_c/task/$ki_c/children"; done 2> /dev/null); do
			if [ "$(cat "/proc/$ki_p/comm" 2> /dev/null)" = "$ki_comm" ]; then
				echo "$ki_p"
				return 0
			fi
		done
		ki_tries=$((ki_tries - 1))
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------- per transport
# has_listener_T NAME: NAME listens; has_conn_T NAME: a connection to it is
# up; ls_live_T NAME RECV-PID SEND-PID: the cases on `kipc ls` during that
# connection (the pids are the kipc processes').  shm and uds meet on a Unix socket (/proc/net/unix), dev in
# the driver (/proc/driver/kipc).

sock_count()
{
	grep -c "@kipc\.$1\$" /proc/net/unix
}
has_listener_sock()
{
	[ "$(sock_count "$1")" -ge 1 ]
}
has_conn_sock()
{
	[ "$(sock_count "$1")" -ge 2 ]
}
# ls_live_sock T NAME RECV-PID SEND-PID
ls_live_sock()
{
	ls_out=$(timeout -k 2 10 "$KIPC" ls 2>&1)
	if printf '%s\n' "$ls_out" | grep -qE "^$2 +$3\(kipc\) +[0-9]+/[0-9]+ +socket" &&
	   printf '%s\n' "$ls_out" | grep -qE "^$2 +$3\(kipc\) +$4\(kipc\) .*shm or uds"; then
		ok "$1: kipc ls shows the live listener and connection with both pids"
	else
		not_ok "$1: kipc ls shows the live listener and connection with both pids" \
			"receiver pid $3, sender pid $4" "$ls_out"
	fi
}
has_listener_shm() { has_listener_sock "$1"; }
has_conn_shm() { has_conn_sock "$1"; }
ls_live_shm() { ls_live_sock shm "$@"; }
has_listener_uds() { has_listener_sock "$1"; }
has_conn_uds() { has_conn_sock "$1"; }
ls_live_uds() { ls_live_sock uds "$@"; }

has_listener_dev()
{
	grep -q "^listener $1 " /proc/driver/kipc
}
has_conn_dev()
{
	grep -q "^conn [0-9]* $1 state=accepted" /proc/driver/kipc
}
# The owner sees pids; another user names and uids only; another network
# namespace none of it (kipc(7)).
ls_live_dev()
{
	ls_out=$(timeout -k 2 10 "$KIPC" ls 2>&1)
	if printf '%s\n' "$ls_out" | grep -qE "^driver: listeners [1-9]" &&
	   printf '%s\n' "$ls_out" | grep -qE "^$1 +$2\(kipc\)/0 " &&
	   printf '%s\n' "$ls_out" | grep -qE "^[0-9]+ +$1 +accepted +$3\(kipc\)/0 +$2\(kipc\)/0 "; then
		ok "kipc ls: the driver's listener and live connection, with both pids"
	else
		not_ok "kipc ls: the driver's listener and live connection, with both pids" \
			"sender $3 receiver $2" "$ls_out"
	fi
	printf '%s\n' "$ls_out" | sed 's/^/# /'
	ls_out=$(su -s /bin/sh nobody -c "$KIPC ls" 2>&1)
	if printf '%s\n' "$ls_out" | grep -qE "^$1 +-/0 " &&
	   printf '%s\n' "$ls_out" | grep -qE "^[0-9]+ +$1 +accepted +-/0 +-/0 +.* -/- +-/- +-/-$" &&
	   ! printf '%s\n' "$ls_out" | grep -qE "\($2|$2\(|$3\("; then
		ok "kipc ls as another user: names and uids, no pids, no traffic"
	else
		not_ok "kipc ls as another user: names and uids, no pids, no traffic" "$ls_out"
	fi
	ls_out=$(unshare -n "$KIPC" ls 2>&1)
	if printf '%s\n' "$ls_out" | grep -q "^no driver listeners" &&
	   ! printf '%s\n' "$ls_out" | grep -q "$1"; then
		ok "kipc ls in another network namespace: not our names"
	else
		not_ok "kipc ls in another network namespace: not our names" "$ls_out"
	fi
	if timeout -k 2 10 "$KIPC" ls --proc | grep -q "^conn [0-9]* $1 "; then
		ok "kipc ls --proc prints /proc/driver/kipc"
	else
		not_ok "kipc ls --proc prints /proc/driver/kipc"
	fi
}

# ----------------------------------------------------------- files
# make_files: the payloads in $work: empty, one, 65537, 5m, and big-odd
# (every byte value, repeated, then random bytes: an odd size, no text).
make_files()
{
	: > "$work/empty"
	printf x > "$work/one"
	head -c 65537 /dev/urandom > "$work/65537"
	head -c $((5 << 20)) /dev/urandom > "$work/5m"
	mf_fmt="" mf_i=0
	while [ "$mf_i" -lt 256 ]; do
		mf_fmt="$mf_fmt\\$((mf_i / 64))$((mf_i / 8 % 8))$((mf_i % 8))"
		mf_i=$((mf_i + 1))
	done
	# shellcheck disable=SC2059 # the format is the payload: octal escapes
	printf "$mf_fmt" > "$work/bytes"
	for mf_i in 1 2 3 4 5 6 7 8 9 10 11 12; do cat "$work/bytes"; done > "$work/bytes2"
	head -c 299999 /dev/urandom | cat "$work/bytes2" - > "$work/big-odd"
}

# ----------------------------------------------------- round trips
# roundtrip DESC WANT FILE [RECV-ARG...] -- [SEND-ARG...]: FILE through
# send and recv (-v, both bounded); ok when both exit 0, cmp agrees and,
# unless WANT is "any", both say they went over WANT.  The recv arguments
# are split on blanks again: none may hold one.
roundtrip()
{
	rt_desc=$1 rt_want=$2 rt_file=$3
	shift 3
	rt_rargs=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		rt_rargs="$rt_rargs $1"
		shift
	done
	[ $# -gt 0 ] && shift
	newname
	# shellcheck disable=SC2086 # split on purpose
	timeout -k 2 60 "$KIPC" recv "$name" -v $rt_rargs > "$work/out" 2> "$work/recv.err" &
	rt_rpid=$!
	timeout -k 2 60 "$KIPC" send "$name" -v "$@" < "$rt_file" 2> "$work/send.err"
	rt_src=$?
	wait "$rt_rpid"
	rt_rrc=$?
	if [ "$rt_src" -eq 0 ] && [ "$rt_rrc" -eq 0 ] && cmp -s "$rt_file" "$work/out" &&
	   { [ "$rt_want" = any ] || { grep -q "over $rt_want" "$work/send.err" &&
				    grep -q "over $rt_want" "$work/recv.err"; }; }; then
		ok "$rt_desc"
	else
		not_ok "$rt_desc" "send exit $rt_src: $(cat "$work/send.err")" \
			"recv exit $rt_rrc: $(cat "$work/recv.err")" \
			"cmp: $(cmp "$rt_file" "$work/out" 2>&1)" \
			"wanted transport: $rt_want"
	fi
}

# sc_roundtrips T: each payload forced onto T with -t, then with
# KIPC_TRANSPORT; a 4 KiB ring carrying 1000-byte messages; a message size
# larger than the ring, which send must lower.
sc_roundtrips()
{
	for sr_f in empty one 65537 5m; do
		roundtrip "$1 (-t): $sr_f bytes round trip" "$1" "$work/$sr_f" -t "$1" -- -t "$1"
	done
	roundtrip "$1 (-t): 4 KiB ring, 1000-byte messages, $(stat -c %s "$work/big-odd") bytes" \
		"$1" "$work/big-odd" -t "$1" -r 4096 -- -t "$1" -s 1000
	roundtrip "$1 (-t): -s larger than the ring carries is lowered" \
		"$1" "$work/65537" -t "$1" -r 8192 -- -t "$1" -s 1m
	export KIPC_TRANSPORT="$1"
	for sr_f in empty one 65537 5m; do
		roundtrip "$1 (KIPC_TRANSPORT): $sr_f bytes round trip" "$1" "$work/$sr_f" --
	done
	unset KIPC_TRANSPORT
}

# sc_keep T: recv --keep -n 2 takes two senders, one after the other.
sc_keep()
{
	newname
	timeout -k 2 60 "$KIPC" recv "$name" -t "$1" --keep -n 2 > "$work/out" 2> "$work/recv.err" &
	sk_rpid=$!
	timeout -k 2 30 "$KIPC" send "$name" -t "$1" < "$work/65537" 2> "$work/send1.err"
	sk_s1=$?
	timeout -k 2 30 "$KIPC" send "$name" -t "$1" < "$work/5m" 2> "$work/send2.err"
	sk_s2=$?
	wait "$sk_rpid"
	sk_rrc=$?
	cat "$work/65537" "$work/5m" > "$work/both"
	if [ $sk_s1 -eq 0 ] && [ $sk_s2 -eq 0 ] && [ $sk_rrc -eq 0 ] &&
	   cmp -s "$work/both" "$work/out"; then
		ok "$1: recv --keep -n 2 serves two senders in turn"
	else
		not_ok "$1: recv --keep -n 2 serves two senders in turn" \
			"send1 $sk_s1: $(cat "$work/send1.err")" \
			"send2 $sk_s2: $(cat "$work/send2.err")" \
			"recv $sk_rrc: $(cat "$work/recv.err")"
	fi
}

# ---------------------------------------------------------- errors
# Each failure's exit status and its one line (kipc(1), EXIT STATUS).

# sc_missing_name T
sc_missing_name()
{
	newname
	timeout -k 2 10 "$KIPC" send "$name" -t "$1" -w 0.3 < /dev/null 2> "$work/err"
	expect_fail "$1: send to a missing name: status 3, 'no such name'" 3 \
		"no such name" "$work/err" $?
}

# sc_name_in_use T: a second recv on a listening name.
sc_name_in_use()
{
	newname
	timeout -k 2 20 "$KIPC" recv "$name" -t "$1" > /dev/null 2> "$work/recv.err" &
	nu_rpid=$!
	wait_for 5 "has_listener_$1" "$name"
	timeout -k 2 10 "$KIPC" recv "$name" -t "$1" > /dev/null 2> "$work/err"
	expect_fail "$1: recv on a name in use: status 7, 'already in use'" 7 \
		"already in use" "$work/err" $?
	timeout -k 2 10 "$KIPC" send "$name" -t "$1" < /dev/null 2> /dev/null
	wait "$nu_rpid"
}

# sc_exact T: send --exact with a message larger than the connection carries.
sc_exact()
{
	newname
	timeout -k 2 20 "$KIPC" recv "$name" -t "$1" > /dev/null 2> "$work/recv.err" &
	ex_rpid=$!
	timeout -k 2 20 "$KIPC" send "$name" -t "$1" --exact -s 1m < "$work/65537" 2> "$work/err"
	expect_fail "$1: send --exact -s 1m: status 6, 'message too large'" 6 \
		"message too large" "$work/err" $?
	wait "$ex_rpid"
	expect_fail "$1: ... and recv says the sender gave up (status 5)" 5 \
		"sender gave up" "$work/recv.err" $?
}

# sc_peer_killed T: either side killed mid-stream.  The jobs are subshells
# so that bash does not announce the kill.
sc_peer_killed()
{
	# receiver killed: its stdout is a FIFO nobody reads, so it blocks
	# with the sender's ring full, and is then killed
	newname
	rm -f "$work/fifo"
	mkfifo "$work/fifo"
	exec 7<> "$work/fifo"
	( timeout -k 2 30 "$KIPC" recv "$name" -t "$1" > "$work/fifo" 2> "$work/recv.err" 7>&-
	  exit $? ) 2> /dev/null &
	pk_rpid=$!
	kc_bg="$kc_bg $pk_rpid"
	head -c $((256 << 20)) /dev/zero |
		timeout -k 2 30 "$KIPC" send "$name" -t "$1" 2> "$work/err" 7>&- &
	pk_spid=$!
	if wait_for 10 "has_conn_$1" "$name" && pk_k=$(kipc_in "$pk_rpid"); then
		sleep 0.5	# let the ring fill: the sender is blocked, not finished
		kill -KILL "$pk_k"
		wait "$pk_spid"
		expect_fail "$1: receiver killed mid-stream: sender status 5, 'receiver went away' with bytes sent" \
			5 "receiver went away .*[0-9]+ bytes" "$work/err" $?
	else
		kill -KILL "$pk_spid" 2> /dev/null
		not_ok "$1: receiver killed mid-stream" "the connection never came up"
	fi
	wait "$pk_rpid" 2> /dev/null
	exec 7>&-

	# sender killed: it has sent 100000 bytes and waits for more
	newname
	rm -f "$work/fifo"
	mkfifo "$work/fifo"
	exec 8<> "$work/fifo"
	head -c 100000 /dev/urandom > "$work/part"
	timeout -k 2 30 "$KIPC" recv "$name" -t "$1" > "$work/out" 2> "$work/err" 8>&- &
	pk_rpid=$!
	( timeout -k 2 30 "$KIPC" send "$name" -t "$1" < "$work/fifo" 2> "$work/send.err" 8>&-
	  exit $? ) 2> /dev/null &
	pk_spid=$!
	kc_bg="$kc_bg $pk_spid"
	cat "$work/part" >&8
	if wait_for 20 size_is "$work/out" 100000 && pk_k=$(kipc_in "$pk_spid"); then
		kill -KILL "$pk_k"
		wait "$pk_rpid"
		expect_fail "$1: sender killed mid-stream: recv status 5, 'peer died' with 100000 bytes" \
			5 "peer died mid-stream: 100000 bytes" "$work/err" $?
		if cmp -s "$work/part" "$work/out"; then
			ok "$1: what arrived before the sender died is intact"
		else
			not_ok "$1: what arrived before the sender died is intact"
		fi
	else
		not_ok "$1: sender killed mid-stream" "recv output: $(stat -c %s "$work/out") bytes" \
			"recv: $(cat "$work/err")" "send: $(cat "$work/send.err")"
		kill -KILL "$pk_rpid" 2> /dev/null
	fi
	wait "$pk_spid" 2> /dev/null
	exec 8>&-
}

# ---------------------------------------------------------- kipc ls
# sc_ls_live T: ls_live_T's cases during a live connection on T, whose
# stream must then end cleanly.
sc_ls_live()
{
	newname
	rm -f "$work/fifo"
	mkfifo "$work/fifo"
	exec 8<> "$work/fifo"
	timeout -k 2 30 "$KIPC" recv "$name" -t "$1" -v > /dev/null 2> "$work/recv.err" 8>&- &
	ls_rpid=$!
	timeout -k 2 30 "$KIPC" send "$name" -t "$1" -v < "$work/fifo" 2> "$work/send.err" 8>&- &
	ls_spid=$!
	echo hello >&8
	if wait_for 10 "has_conn_$1" "$name" && ls_rk=$(kipc_in "$ls_rpid") &&
	   ls_sk=$(kipc_in "$ls_spid"); then
		"ls_live_$1" "$name" "$ls_rk" "$ls_sk"
	else
		not_ok "$1: kipc ls during a live connection" "the connection never came up" \
			"recv: $(cat "$work/recv.err")" "send: $(cat "$work/send.err")"
	fi
	exec 8>&-	# the sender's input ends: the stream finishes cleanly
	wait "$ls_spid"
	ls_src=$?
	wait "$ls_rpid"
	ls_rrc=$?
	if [ $ls_src -eq 0 ] && [ $ls_rrc -eq 0 ]; then
		ok "$1: ... and the stream then ends cleanly"
	else
		not_ok "$1: ... and the stream then ends cleanly" \
			"send $ls_src: $(cat "$work/send.err")" "recv $ls_rrc: $(cat "$work/recv.err")"
	fi
}
