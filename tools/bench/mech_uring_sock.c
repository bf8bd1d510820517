// SPDX-License-Identifier: GPL-2.0
/* send/recv on a Unix stream socket pair, each call through io_uring. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fdchan.h"
#include "uring_util.h"

#ifdef BENCH_HAVE_URING
struct uring_sock_priv {
	struct fdchan ch;		/* first: the fdchan helpers use it */
	struct io_uring ring;		/* role-local */
	bool ring_ok;
};

static const char *uring_sock_available(void)
{
	return bench_uring_unavailable(-1);
}

static int uring_sock_setup(struct bench_run *r)
{
	return fdchan_socketpair(r, SOCK_STREAM, true);
}

static int uring_sock_attach(struct bench_run *r)
{
	struct uring_sock_priv *u = r->priv;
	int ret;

	if (fdchan_attach(r))
		return -1;
	ret = io_uring_queue_init(8, &u->ring, 0);
	if (ret < 0)
		return bench_fail(r, "io_uring_queue_init: %s", strerror(-ret));
	u->ring_ok = true;
	return 0;
}

static void uring_sock_detach(struct bench_run *r)
{
	struct uring_sock_priv *u = r->priv;

	if (u->ring_ok)
		io_uring_queue_exit(&u->ring);
	u->ring_ok = false;
	fdchan_detach(r);
}

/* One operation, submitted and waited for; returns its result. */
static int run_op(struct bench_run *r, struct io_uring *ring, bool is_send, void *p, size_t len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return bench_fail(r, "io_uring: no free SQE");
	if (is_send)
		io_uring_prep_send(sqe, ((struct fdchan *)r->priv)->tx, p, len, 0);
	else
		io_uring_prep_recv(sqe, ((struct fdchan *)r->priv)->rx, p, len, MSG_WAITALL);
	ret = io_uring_submit_and_wait(ring, 1);
	if (ret < 0)
		return bench_fail(r, "io_uring_submit_and_wait: %s", strerror(-ret));
	do
		ret = io_uring_wait_cqe(ring, &cqe);
	while (ret == -EINTR);
	if (ret < 0)
		return bench_fail(r, "io_uring_wait_cqe: %s", strerror(-ret));
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	if (ret < 0)
		return bench_fail(r, "io_uring %s: %s", is_send ? "send" : "recv", strerror(-ret));
	if (ret == 0 && len)
		return bench_fail(r, "peer closed");
	return ret;
}

static int uring_sock_send(struct bench_run *r, const void *buf, size_t len)
{
	struct uring_sock_priv *u = r->priv;
	const char *p = buf;
	int n;

	while (len) {
		n = run_op(r, &u->ring, true, (void *)p, len);
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int uring_sock_recv(struct bench_run *r, void *buf, size_t len)
{
	struct uring_sock_priv *u = r->priv;
	char *p = buf;
	int n;

	while (len) {
		n = run_op(r, &u->ring, false, p, len);
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

const struct bench_mech bench_mech_uring_sock = {
	.name = "uring-uds",
	.group = "io_uring",
	.summary = "io_uring send/recv over a Unix stream socket pair",
	.modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct uring_sock_priv),
	.available = uring_sock_available,
	.setup = uring_sock_setup,
	.teardown = fdchan_teardown,
	.attach = uring_sock_attach,
	.detach = uring_sock_detach,
	.send = uring_sock_send,
	.recv = uring_sock_recv,
};
#else
static const char *uring_sock_missing(void)
{
	return BENCH_URING_MISSING;
}

const struct bench_mech bench_mech_uring_sock = {
	.name = "uring-uds",
	.group = "io_uring",
	.summary = "io_uring send/recv over a Unix stream socket pair",
	.modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.available = uring_sock_missing,
};
#endif
