// SPDX-License-Identifier: GPL-2.0
/* A connected AF_UNIX SOCK_DGRAM socket pair. */
#include <sys/socket.h>

#include "fdchan.h"

static int unix_dgram_setup(struct bench_run *r)
{
	return fdchan_socketpair(r, SOCK_DGRAM, false);
}

const struct bench_mech bench_mech_unix_dgram = {
	.name = "unix-dgram",
	.group = "sockets",
	.summary = "AF_UNIX SOCK_DGRAM socket pair",
	.modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct fdchan),
	.size_unsupported = fdchan_dgram_size_unsupported,
	.setup = unix_dgram_setup,
	.teardown = fdchan_teardown,
	.attach = fdchan_attach,
	.detach = fdchan_detach,
	.send = fdchan_send,
	.recv = fdchan_recv,
};
