// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX message queues, one per direction. The parent creates them and
 * unlinks the names at once; the roles use the inherited descriptors, so
 * no name is left behind whatever happens.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define MSGSIZE_MAX	"/proc/sys/fs/mqueue/msgsize_max"
#define MSG_MAX		"/proc/sys/fs/mqueue/msg_max"
#define QUEUE_DEPTH	10

struct mq_priv {
	mqd_t q[2];			/* [BENCH_DIR_AB / BENCH_DIR_BA] */
};

static const char *mq_size_unsupported(uint64_t size, char *why, size_t len)
{
	long max = bench_read_sysctl(MSGSIZE_MAX);

	if (max > 0 && size > (uint64_t)max) {
		snprintf(why, len, "exceeds %s (%ld B)", MSGSIZE_MAX, max);
		return why;
	}
	return NULL;
}

static void mq_teardown(struct bench_run *r)
{
	struct mq_priv *m = r->priv;
	int i;

	for (i = 0; i < 2; i++)
		if (m->q[i] > 0)
			mq_close(m->q[i]);
}

static int mq_setup(struct bench_run *r)
{
	struct mq_priv *m = r->priv;
	long msg_max = bench_read_sysctl(MSG_MAX);
	struct mq_attr attr = {
		.mq_maxmsg = msg_max > 0 && msg_max < QUEUE_DEPTH ? msg_max : QUEUE_DEPTH,
		.mq_msgsize = (long)r->p->size,
	};
	char name[96];
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "/%s-mq-%s", r->p->prefix, i ? "ba" : "ab");
		m->q[i] = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
		if (m->q[i] == (mqd_t)-1) {
			m->q[i] = 0;
			bench_fail(r, "mq_open %s: %s%s", name, strerror(errno),
				   errno == EMFILE ? " (RLIMIT_MSGQUEUE)" : "");
			mq_teardown(r);
			return -1;
		}
		mq_unlink(name);
	}
	return 0;
}

static int mq_bench_send(struct bench_run *r, const void *buf, size_t len)
{
	struct mq_priv *m = r->priv;
	mqd_t q = m->q[r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA];

	while (mq_send(q, buf, len, 0))
		if (errno != EINTR)
			return bench_fail(r, "mq_send: %s", strerror(errno));
	return 0;
}

static int mq_bench_recv(struct bench_run *r, void *buf, size_t len)
{
	struct mq_priv *m = r->priv;
	mqd_t q = m->q[r->role == BENCH_ROLE_A ? BENCH_DIR_BA : BENCH_DIR_AB];
	ssize_t n;

	while ((n = mq_receive(q, buf, len, NULL)) < 0)
		if (errno != EINTR)
			return bench_fail(r, "mq_receive: %s", strerror(errno));
	if ((size_t)n != len)
		return bench_fail(r, "mq_receive: %zd bytes, expected %zu", n, len);
	return 0;
}

const struct bench_mech bench_mech_posix_mq = {
	.name = "posix-mq",
	.group = "mqueue",
	.summary = "POSIX message queue per direction (mq_send/mq_receive)",
	.modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct mq_priv),
	.size_unsupported = mq_size_unsupported,
	.setup = mq_setup,
	.teardown = mq_teardown,
	.send = mq_bench_send,
	.recv = mq_bench_recv,
};
