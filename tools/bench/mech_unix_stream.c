// SPDX-License-Identifier: GPL-2.0
/* A connected AF_UNIX SOCK_STREAM socket pair. */
#include <sys/socket.h>

#include "fdchan.h"

static int unix_stream_setup(struct bench_run *r)
{
	return fdchan_socketpair(r, SOCK_STREAM, true);
}

const struct bench_mech bench_mech_unix_stream = {
	.name = "unix-stream",
	.group = "sockets",
	.summary = "AF_UNIX SOCK_STREAM socket pair",
	.modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct fdchan),
	.setup = unix_stream_setup,
	.teardown = fdchan_teardown,
	.attach = fdchan_attach,
	.detach = fdchan_detach,
	.send = fdchan_send,
	.recv = fdchan_recv,
};
