#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The load test on the host (issue 10, item 6): build/lib/test/kipc_load
# on the shm transport, 32 connections across 8 processes for 5 s with 5%
# of them killed -9 and restarted every second (the VM runs the same
# scenario on dev as selftests/kipc_load_test). One TAP case; its figures
# are the "# kipc-figure: suite=load" line. KIPC_TEST_LONG=1 runs the
# long form: 256 connections, 32 processes, 30 s.
# Usage: host-load.sh [TRANSPORT]   (default shm)
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"

KIPC_TRANSPORT=${1:-shm}
export KIPC_TRANSPORT
make -s -C lib ../build/lib/test/kipc_load || { echo "0 passed, 1 failed"; exit 1; }
if [ "${KIPC_TEST_LONG:-0}" != 0 ]; then
	set -- 256 32 30
else
	set -- 32 8 5
fi
exec build/lib/test/kipc_load "$@"
