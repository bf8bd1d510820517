// SPDX-License-Identifier: MIT
/*
 * uring_server: one thread serves many kipc connections with io_uring.
 *
 *   uring_server server NAME [CLIENTS]  serve (exit after CLIENTS clients)
 *   uring_server client NAME [MSGS]     send MSGS messages, check each echo
 *   uring_server selftest               a server and 16 clients
 *
 * Readiness: one multishot IORING_OP_POLL_ADD per fd (the listener's, and
 * kipc_prep_poll() on each connection), re-armed only when the kernel ends
 * it. Doorbells: replies are sent with KIPC_NOKICK, and after a batch
 * kipc_flush(c, KIPC_NOKICK) says whether the client waits for one. On dev
 * the server rings it with an IORING_OP_URING_CMD from kipc_prep_kick(), in
 * the same io_uring_submit() as everything else: no doorbell syscall of its
 * own. On shm the doorbell is an eventfd write and on uds there is none:
 * kipc_flush(c, 0) does what the transport needs (kipc_prep_kick() answers
 * -EOPNOTSUPP there).
 */
#include <poll.h>
#include <liburing.h>

#include "common.h"

#define MAX_CONNS	256
#define QUEUE_DEPTH	256

enum { OP_LISTEN, OP_POLL, OP_KICK, OP_CANCEL };

struct slot {
	struct kipc_conn *c;
	int closing;		/* closed: wait for the poll's last CQE */
	int polling;		/* a multishot poll is armed */
};

static struct slot slots[MAX_CONNS];
static unsigned long kicks_uring, kicks_flush;

static uint64_t tag(int op, int i)
{
	return ((uint64_t)i << 8) | (uint64_t)op;
}

static struct io_uring_sqe *sqe_get(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {	/* full: hand what we have to the kernel first */
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}

static void arm(struct io_uring *ring, int i)
{
	struct io_uring_sqe *sqe = sqe_get(ring);

	kipc_prep_poll(sqe, slots[i].c, POLLIN);
	sqe->len |= IORING_POLL_ADD_MULTI;
	io_uring_sqe_set_data64(sqe, tag(OP_POLL, i));
	slots[i].polling = 1;
}

/* Answer everything that is there; 1 at end-of-stream, or -errno. */
static int serve_conn(struct io_uring *ring, int i)
{
	struct kipc_conn *c = slots[i].c;
	struct io_uring_sqe *sqe;
	char buf[4096];
	ssize_t n;
	int ret = 0;

	for (;;) {
		n = kipc_recv(c, buf, sizeof(buf), KIPC_NONBLOCK);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			ret = n ? (int)n : 1;
			break;
		}
		ex_upper(buf, (size_t)n);
		n = kipc_send_timeout(c, buf, (size_t)n, KIPC_NOKICK, 1000);
		if (n < 0) {
			ret = (int)n;
			break;
		}
	}
	/* One doorbell for the whole batch, if the client waits for it. */
	if (kipc_flush(c, KIPC_NOKICK) == 1) {
		sqe = sqe_get(ring);
		if (kipc_prep_kick(sqe, c) == 0) {
			io_uring_sqe_set_data64(sqe, tag(OP_KICK, i));
			kicks_uring++;
		} else {
			/* Not dev: give the SQE back as a no-op. */
			io_uring_prep_nop(sqe);
			io_uring_sqe_set_data64(sqe, tag(OP_KICK, i));
			kipc_flush(c, 0);
			kicks_flush++;
		}
	}
	return ret;
}

static void conn_close(struct io_uring *ring, int i)
{
	struct io_uring_sqe *sqe;

	if (slots[i].polling) {
		sqe = sqe_get(ring);
		io_uring_prep_poll_remove(sqe, tag(OP_POLL, i));
		io_uring_sqe_set_data64(sqe, tag(OP_CANCEL, i));
		slots[i].closing = 1;
	}
	/* The kernel holds its own reference to a file it polls. */
	io_uring_submit(ring);
	kipc_close(slots[i].c);
	slots[i].c = NULL;
}

static int accept_all(struct io_uring *ring, struct kipc_listener *l, int *done)
{
	struct kipc_conn *c;
	int i, ret;

	while ((ret = kipc_accept(l, &c, KIPC_NONBLOCK)) == 0) {
		for (i = 0; i < MAX_CONNS && (slots[i].c || slots[i].closing); i++)
			;
		if (i == MAX_CONNS) {
			kipc_close(c);	/* full: the client sees end-of-stream */
			continue;
		}
		slots[i].c = c;
		arm(ring, i);
		/* Messages sent before the accept (dev) are there already. */
		if (serve_conn(ring, i)) {
			conn_close(ring, i);
			(*done)++;
		}
	}
	return ret == -EAGAIN ? 0 : ret;
}

static int serve(const char *name, int clients)
{
	struct kipc_opts o = KIPC_OPTS_INIT;
	struct kipc_listener *l;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int ret, done = 0, i, op;

	ret = io_uring_queue_init(QUEUE_DEPTH, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "io_uring: %s\n", strerror(-ret));
		return 4;	/* skip: no io_uring here */
	}
	o.mode = 0666;
	ret = kipc_listen(name, &o, &l);
	if (ret < 0) {
		fprintf(stderr, "listen %s: %s\n", name, kipc_strerror(ret));
		return 1;
	}
	sqe = sqe_get(&ring);
	io_uring_prep_poll_multishot(sqe, kipc_listener_fd(l), POLLIN);
	io_uring_sqe_set_data64(sqe, tag(OP_LISTEN, 0));

	while (!clients || done < clients) {
		io_uring_submit_and_wait(&ring, 1);
		while (io_uring_peek_cqe(&ring, &cqe) == 0) {
			uint64_t d = io_uring_cqe_get_data64(cqe);
			int more = cqe->flags & IORING_CQE_F_MORE;
			int res = cqe->res;

			io_uring_cqe_seen(&ring, cqe);
			op = (int)(d & 0xff);
			i = (int)(d >> 8);
			switch (op) {
			case OP_LISTEN:
				if (accept_all(&ring, l, &done) < 0)
					goto out;
				if (!more) {	/* ended: arm it again */
					sqe = sqe_get(&ring);
					io_uring_prep_poll_multishot(sqe, kipc_listener_fd(l), POLLIN);
					io_uring_sqe_set_data64(sqe, tag(OP_LISTEN, 0));
				}
				break;
			case OP_POLL:
				if (!more)
					slots[i].polling = 0;
				if (slots[i].closing) {
					if (!more)
						slots[i].closing = 0;
					break;
				}
				if (!slots[i].c)
					break;
				ret = serve_conn(&ring, i);
				if (ret) {
					if (ret < 0)
						fprintf(stderr, "server: %s\n", kipc_strerror(ret));
					conn_close(&ring, i);
					done++;
				} else if (!more) {
					arm(&ring, i);
				}
				break;
			case OP_KICK:
				/* res: 0, or -EPIPE when the client just left. */
				if (res < 0 && res != -EPIPE)
					fprintf(stderr, "kick: %s\n", strerror(-res));
				break;
			case OP_CANCEL:
				break;
			}
		}
	}
out:
	printf("server: %d clients; doorbells: %lu by URING_CMD, %lu by kipc_flush\n",
	       done, kicks_uring, kicks_flush);
	kipc_listener_close(l);
	io_uring_queue_exit(&ring);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "server"))
		return serve(argv[2], argc > 3 ? atoi(argv[3]) : 0);
	if (argc >= 3 && !strcmp(argv[1], "client"))
		return ex_echo_client(argv[2], argc > 3 ? atoi(argv[3]) : 100, 1) ? 1 : 0;
	if (argc == 2 && !strcmp(argv[1], "selftest")) {
		struct io_uring probe;

		if (io_uring_queue_init(2, &probe, 0) < 0) {
			printf("uring_server selftest: skip (no io_uring)\n");
			return 4;
		}
		io_uring_queue_exit(&probe);
		return ex_selftest("uring_server", serve, 16, 200);
	}
	fprintf(stderr, "usage: %s server NAME [CLIENTS] | client NAME [MSGS] | selftest\n",
		argv[0]);
	return 2;
}
