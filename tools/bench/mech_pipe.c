// SPDX-License-Identifier: GPL-2.0
/* Anonymous pipes, one per direction, made before the fork. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fdchan.h"

static int pipe_setup(struct bench_run *r)
{
	struct fdchan *c = r->priv;
	int ab[2], ba[2];

	fdchan_init(c, true);
	if (pipe2(ab, O_CLOEXEC))
		return bench_fail(r, "pipe: %s", strerror(errno));
	if (pipe2(ba, O_CLOEXEC)) {
		close(ab[0]);
		close(ab[1]);
		return bench_fail(r, "pipe: %s", strerror(errno));
	}
	c->role_fd[BENCH_ROLE_A][FDCHAN_TX] = ab[1];
	c->role_fd[BENCH_ROLE_B][FDCHAN_RX] = ab[0];
	c->role_fd[BENCH_ROLE_B][FDCHAN_TX] = ba[1];
	c->role_fd[BENCH_ROLE_A][FDCHAN_RX] = ba[0];
	return 0;
}

const struct bench_mech bench_mech_pipe = {
	.name = "pipe",
	.group = "pipes",
	.summary = "anonymous pipe per direction",
	.modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct fdchan),
	.setup = pipe_setup,
	.teardown = fdchan_teardown,
	.attach = fdchan_attach,
	.detach = fdchan_detach,
	.send = fdchan_send,
	.recv = fdchan_recv,
};
