// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Readiness: poll on a connection (in and out) and on a listener, and
 * io_uring POLL_ADD.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <liburing.h>

#include "harness.h"

struct delayed {
	struct kipc_conn *c;
	int ms;
	int what;	/* 0 send one message, 1 drain, 2 close */
};

static void *delayed_thread(void *a)
{
	struct delayed *d = a;
	uint8_t buf[65536];

	sleep_ms(d->ms);
	if (d->what == 0)
		CHECK_EQ(kipc_send(d->c, "ping", 4, 0), 4);
	else if (d->what == 1)
		while (kipc_recv(d->c, buf, sizeof(buf), KIPC_NONBLOCK) > 0)
			;
	else
		kipc_close(d->c);
	return NULL;
}

static void t_poll(void)
{
	struct delayed d = { .ms = 30 };
	struct pollfd pf;
	struct epoll_event ev;
	struct pair p;
	pthread_t t;
	char buf[16];
	int ep;

	pair_open(&p, NULL, NULL);
	pf.fd = kipc_fd(p.s);
	pf.events = (short)kipc_poll_events(p.s, POLLIN);
	CHECK(pf.fd >= 0);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	CHECK_EQ(poll(&pf, 1, 0), 0);
	d.c = p.c;
	pthread_create(&t, NULL, delayed_thread, &d);
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	pthread_join(t, NULL);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), 4);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	CHECK_EQ(poll(&pf, 1, 0), 0);	/* the level was reset */

	ep = epoll_create1(0);
	ev.events = (uint32_t)pf.events;
	ev.data.u64 = 1;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, pf.fd, &ev));
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	pthread_create(&t, NULL, delayed_thread, &d);
	CHECK_EQ(epoll_wait(ep, &ev, 1, T_MS), 1);
	pthread_join(t, NULL);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), 4);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);

	/* Hang-up makes it ready too, and recv then says end-of-stream. */
	d.what = 2;
	pthread_create(&t, NULL, delayed_thread, &d);
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	pthread_join(t, NULL);
	p.c = NULL;
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), 0);
	close(ep);
	pair_close(&p);
}

/*
 * Sizes whose records, one a publication, end with a padding record
 * (KIPC_F_RING_PAD): once the message is read and a recv has said
 * -EAGAIN, nothing is ready, the pad included (dev: the driver's head -
 * tail; shm: the doorbell's level).
 */
static void t_poll_pad(void)
{
	static const size_t lens[] = { 32, 40, 48, 8, 100, 56, 64 };
	struct pollfd pf;
	struct pair p;
	char buf[128];
	int i;

	memset(buf, 0x5c, sizeof(buf));
	pair_open(&p, NULL, NULL);
	pf.fd = kipc_fd(p.s);
	pf.events = (short)kipc_poll_events(p.s, POLLIN);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	for (i = 0; i < 200; i++) {
		size_t len = lens[i % (int)(sizeof(lens) / sizeof(lens[0]))];

		CHECK_EQ(poll(&pf, 1, 0), 0);
		send_ok(p.c, buf, len);
		CHECK_EQ(poll(&pf, 1, T_MS), 1);
		recv_is(p.s, buf, len);
		CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK),
			 -EAGAIN);
	}
	CHECK_EQ(poll(&pf, 1, 0), 0);
	pair_close(&p);
}

static void t_poll_out(void)
{
	struct delayed d = { .ms = 30, .what = 1 };
	uint8_t buf[64] = { 0 };
	struct pollfd pf;
	struct pair p;
	pthread_t t;

	pair_open(&p, NULL, NULL);
	pf.fd = kipc_fd(p.c);
	pf.events = (short)kipc_poll_events(p.c, POLLOUT);
	while (kipc_send(p.c, buf, sizeof(buf), KIPC_NONBLOCK) == sizeof(buf))
		;
	CHECK_EQ(kipc_send(p.c, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	CHECK_EQ(poll(&pf, 1, 0), 0);
	d.c = p.s;
	pthread_create(&t, NULL, delayed_thread, &d);
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	pthread_join(t, NULL);
	CHECK_EQ(kipc_send(p.c, buf, sizeof(buf), KIPC_NONBLOCK), 64);
	pair_close(&p);
}

static void t_listener_fd(void)
{
	struct kipc_listener *l;
	struct kipc_conn *s = NULL;
	struct name_arg na;
	struct pollfd pf;
	pid_t child;
	int ret, i;

	snprintf(na.name, sizeof(na.name), "%s", new_name());
	CHECK_OK(kipc_listen(na.name, NULL, &l));
	pf.fd = kipc_listener_fd(l);
	pf.events = POLLIN;
	CHECK_EQ(poll(&pf, 1, 0), 0);
	CHECK_EQ(kipc_accept(l, &s, KIPC_NONBLOCK), -EAGAIN);
	child = spawn(listener_child, &na);
	/* A handshake step may make it readable without a connection yet. */
	for (i = 0;; i++) {
		CHECK(i < 100);
		CHECK_EQ(poll(&pf, 1, T_MS), 1);
		ret = kipc_accept(l, &s, KIPC_NONBLOCK);
		if (!ret)
			break;
		CHECK_EQ(ret, -EAGAIN);
	}
	recv_is(s, "hi", 2);
	kipc_close(s);
	CHECK_EQ(reap(child, T_MS), 0);
	kipc_listener_close(l);
}

static void t_uring(void)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct __kernel_timespec ts = { .tv_sec = 20 };
	struct __kernel_timespec zero = { 0 };
	struct io_uring ring;
	struct pair p;
	char buf[16];
	int ret;

	ret = io_uring_queue_init(8, &ring, 0);
	if (ret)
		skip("io_uring unavailable: %s", strerror(-ret));
	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	sqe = io_uring_get_sqe(&ring);
	CHECK_OK(kipc_prep_poll(sqe, p.s, POLLIN));
	io_uring_sqe_set_data64(sqe, 7);
	CHECK_EQ(io_uring_submit(&ring), 1);
	CHECK(io_uring_wait_cqe_timeout(&ring, &cqe, &zero) < 0);
	send_ok(p.c, "uring", 5);
	CHECK_OK(io_uring_wait_cqe_timeout(&ring, &cqe, &ts));
	CHECK_EQ(cqe->user_data, 7);
	CHECK(cqe->res > 0 && (cqe->res & POLLIN));
	io_uring_cqe_seen(&ring, cqe);
	recv_is(p.s, "uring", 5);

	sqe = io_uring_get_sqe(&ring);
	ret = kipc_prep_kick(sqe, p.c);
	if (kipc_transport(p.c) == KIPC_TRANSPORT_DEV) {
		CHECK_OK(ret);
		io_uring_sqe_set_data64(sqe, 8);
		CHECK_EQ(io_uring_submit(&ring), 1);
		CHECK_OK(io_uring_wait_cqe_timeout(&ring, &cqe, &ts));
		CHECK_EQ(cqe->user_data, 8);
		CHECK_EQ(cqe->res, 0);
		io_uring_cqe_seen(&ring, cqe);
	} else {
		CHECK_EQ(ret, -EOPNOTSUPP);
		io_uring_prep_nop(sqe);
		CHECK_EQ(io_uring_submit(&ring), 1);
		CHECK_OK(io_uring_wait_cqe_timeout(&ring, &cqe, &ts));
		io_uring_cqe_seen(&ring, cqe);
	}
	pair_close(&p);
	io_uring_queue_exit(&ring);
}

TEST_GROUP(poll,
	{ "poll_in", t_poll, 30 },
	{ "poll_pad", t_poll_pad, 30 },
	{ "poll_out", t_poll_out, 30 },
	{ "listener_fd", t_listener_fd, 30 },
	{ "io_uring", t_uring, 30 });
