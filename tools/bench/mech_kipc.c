// SPDX-License-Identifier: GPL-2.0
/*
 * The hook for kipc itself: one mechanism per transport (dev, shm, uds),
 * each in busy-poll and blocking mode. They show in the table as skipped
 * until libkipc's public API (include/kipc.h) exists; then fill in the
 * hooks below and link libkipc (see README.md, "Adding kipc"):
 *
 *   setup     parent: choose the name, r->p->prefix + "-kipc", into
 *             r->ctl->mech_shared (no kipc call: both roles are separate
 *             kipc users, as in real use)
 *   attach    role B: kipc_listen(name, transport) then kipc_accept();
 *             role A: kipc_connect(name, transport), retried until B listens;
 *             transport KIPC_TRANSPORT_DEV/SHM/UDS (never AUTO: each row is
 *             one transport); wait policy from r->p->mode: BENCH_MODE_POLL is
 *             KIPC_WAIT_SPIN, BENCH_MODE_BLOCK is KIPC_WAIT_SLEEP (not the
 *             default spin-then-sleep, so the two rows mean what they say)
 *   send/recv kipc_send()/kipc_recv() of exactly len bytes; any short or
 *             failed call is bench_fail() with the errno. If libkipc offers
 *             in-place buffers, provide send_loan/send_commit and
 *             recv_loan/recv_release instead: the workload writes and checks
 *             the payload in place.
 *   detach    kipc_close() of the connection and the listener
 *   teardown  nothing: the names die with their last user
 *
 * The payload is validated by the workload like every other mechanism's.
 */
#include "bench.h"

static const char *kipc_unavailable(void)
{
	return "libkipc is not linked into the bench yet (hook: tools/bench/mech_kipc.c)";
}

#define KIPC_MECH(var, transport, what)						\
	const struct bench_mech var = {						\
		.name = "kipc-" transport,					\
		.group = "kipc",						\
		.summary = "kipc over the " what " transport",			\
		.modes = BENCH_MODE_POLL | BENCH_MODE_BLOCK,			\
		.workloads = BENCH_LATENCY | BENCH_STREAM,			\
		.available = kipc_unavailable,					\
	}

KIPC_MECH(bench_mech_kipc_dev, "dev", "/dev/kipc driver");
KIPC_MECH(bench_mech_kipc_shm, "shm", "shared-memory fallback");
KIPC_MECH(bench_mech_kipc_uds, "uds", "Unix-socket fallback");
