// SPDX-License-Identifier: GPL-2.0
/* Named pipes (mkfifo) in the private temporary directory, removed after. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdchan.h"

struct fifo_priv {
	struct fdchan ch;		/* first: the fdchan helpers use it */
	char path[2][300];		/* [BENCH_DIR_AB / BENCH_DIR_BA] */
};

static void fifo_teardown(struct bench_run *r)
{
	struct fifo_priv *f = r->priv;
	int i;

	for (i = 0; i < 2; i++)
		if (f->path[i][0] && unlink(f->path[i]) && errno != ENOENT)
			bench_fail(r, "unlink %s: %s", f->path[i], strerror(errno));
}

static int fifo_setup(struct bench_run *r)
{
	struct fifo_priv *f = r->priv;
	int i;

	fdchan_init(&f->ch, true);
	for (i = 0; i < 2; i++) {
		snprintf(f->path[i], sizeof(f->path[i]), "%s/fifo-%u-%s", r->p->tmpdir,
			 r->p->run_id, i ? "ba" : "ab");
		if (mkfifo(f->path[i], 0600)) {
			bench_fail(r, "mkfifo %s: %s", f->path[i], strerror(errno));
			f->path[i][0] = 0;
			fifo_teardown(r);
			return -1;
		}
	}
	return 0;
}

static int fifo_attach(struct bench_run *r)
{
	struct fifo_priv *f = r->priv;
	bool a = r->role == BENCH_ROLE_A;

	/* both open the A->B FIFO first, so the blocking opens pair up */
	if (a)
		f->ch.tx = open(f->path[BENCH_DIR_AB], O_WRONLY | O_CLOEXEC);
	else
		f->ch.rx = open(f->path[BENCH_DIR_AB], O_RDONLY | O_CLOEXEC);
	if ((a ? f->ch.tx : f->ch.rx) < 0)
		return bench_fail(r, "open %s: %s", f->path[BENCH_DIR_AB], strerror(errno));
	if (a)
		f->ch.rx = open(f->path[BENCH_DIR_BA], O_RDONLY | O_CLOEXEC);
	else
		f->ch.tx = open(f->path[BENCH_DIR_BA], O_WRONLY | O_CLOEXEC);
	if ((a ? f->ch.rx : f->ch.tx) < 0)
		return bench_fail(r, "open %s: %s", f->path[BENCH_DIR_BA], strerror(errno));
	return fdchan_attach(r);
}

const struct bench_mech bench_mech_fifo = {
	.name = "fifo",
	.group = "pipes",
	.summary = "named pipe (mkfifo) per direction",
	.modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct fifo_priv),
	.setup = fifo_setup,
	.teardown = fifo_teardown,
	.attach = fifo_attach,
	.detach = fdchan_detach,
	.send = fdchan_send,
	.recv = fdchan_recv,
};
