#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kipc command inside the test VM (busybox sh, root, kipc.ko loaded):
# tools/check.d/kipc-cases.sh's cases on the dev transport (send/recv round
# trips checked with cmp, --keep, the error cases and their exit statuses,
# a peer killed on either side, kipc ls during a live connection), auto
# picking dev, kipc info with the driver, and the bench's kipc-dev and
# kipc-dev-zc correctness run. TAP on stdout. Started by tools/vm/run.sh
# (see tools/check.d/vm-kipc.args, which ships tap.sh and kipc-cases.sh to
# /lib/kipc-test); KIPC picks the binary, KIPC_TEST_LIB those two files'
# folder (default /lib/kipc-test, else the source tree's tools/check.d).
KIPC=${KIPC:-kipc}
lib=${KIPC_TEST_LIB:-/lib/kipc-test}
[ -f "$lib/kipc-cases.sh" ] || lib=$(dirname "$0")/../check.d

echo "TAP version 13"
[ -c /dev/kipc ] || { echo "1..0 # SKIP no /dev/kipc"; exit 4; }
work=$(mktemp -d /tmp/kipc-vm-test.XXXXXX) || exit 1
prefix="vm$$"
# shellcheck source=tools/check.d/tap.sh
. "$lib/tap.sh"
# shellcheck source=tools/check.d/kipc-cases.sh
. "$lib/kipc-cases.sh"

make_files

# ------------------------------------------------------------- info
out=$("$KIPC" info 2>&1)
rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -qE "^driver +loaded" &&
   echo "$out" | grep -qE "abi version +1 " &&
   echo "$out" | grep -qE "^connect now +dev" &&
   ! echo "$out" | grep -q "unknown to this kipc"; then
	ok "kipc info: driver loaded, ABI 1, every feature named, dev is the transport now"
else
	not_ok "kipc info: driver loaded, ABI 1, every feature named, dev is the transport now" "exit $rc" "$out"
fi
echo "$out" | sed 's/^/# /'

# ------------------------------------------------------- round trips
sc_roundtrips dev
roundtrip "auto picks dev with the driver loaded: 5 MiB" dev "$work/5m" --
sc_keep dev

# ------------------------------------------------------------- errors
sc_missing_name dev
sc_exact dev
sc_name_in_use dev
sc_peer_killed dev

# ---------------------------------------------------------------- ls
sc_ls_live dev

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
tap_end
