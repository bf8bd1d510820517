// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * KIPC_NOKICK: a doorbell withheld, then rung by kipc_flush() or through
 * io_uring, and a ring filled without kicks while the receiver sleeps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <liburing.h>

#include "harness.h"

/* A doorbell withheld by KIPC_NOKICK and rung through io_uring (dev) or
 * kipc_flush(): the sleeping receiver wakes either way.
 */
struct sleeper {
	struct kipc_conn *c;
	ssize_t n;
};

static void *sleeper_thread(void *a)
{
	struct sleeper *s = a;
	char buf[16];

	s->n = kipc_recv_timeout(s->c, buf, sizeof(buf), 0, T_MS);
	return NULL;
}

static void t_nokick(void)
{
	struct __kernel_timespec ts = { .tv_sec = 20 };
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	struct sleeper sl;
	struct kipc_opts o;
	struct pair p;
	pthread_t t;
	int owed, round;

	opts_init(&o);
	o.wait_policy = KIPC_WAIT_SLEEP;
	pair_open(&p, &o, &o);
	if (!ring_transport(p.c))
		skip("uds has no doorbell");
	CHECK_OK(io_uring_queue_init(4, &ring, 0));
	for (round = 0; round < 2; round++) {
		sl.c = p.s;
		pthread_create(&t, NULL, sleeper_thread, &sl);
		sleep_ms(50);	/* let it fall asleep (not needed for correctness) */
		CHECK_EQ(kipc_send(p.c, "x", 1, KIPC_NOKICK), 1);
		owed = kipc_flush(p.c, KIPC_NOKICK);
		CHECK(owed == 0 || owed == 1);
		if (owed && round == 0 &&
		    kipc_transport(p.c) == KIPC_TRANSPORT_DEV) {
			CHECK_OK(kipc_prep_kick(io_uring_get_sqe(&ring), p.c));
			CHECK_EQ(io_uring_submit(&ring), 1);
			CHECK_OK(io_uring_wait_cqe_timeout(&ring, &cqe, &ts));
			CHECK_EQ(cqe->res, 0);
			io_uring_cqe_seen(&ring, cqe);
		} else if (owed) {
			CHECK_EQ(kipc_send(p.c, "y", 1, KIPC_NOKICK), 1);
			CHECK_OK(kipc_flush(p.c, 0));	/* rings the owed kick */
		}
		pthread_join(t, NULL);
		CHECK_EQ(sl.n, 1);
		while (kipc_recv(p.s, &sl, 1, KIPC_NONBLOCK) > 0)
			;
	}
	io_uring_queue_exit(&ring);
	pair_close(&p);
}

/* kipc_flush(c, KIPC_NOKICK) says a doorbell is owed; kipc_flush(c, 0)
 * must then ring it, with nothing new sent in between.
 */
struct sleeper_ms {
	struct kipc_conn *c;
	int ms;
	ssize_t n;
	int64_t took;
};

static void *sleeper_ms_thread(void *a)
{
	struct sleeper_ms *s = a;
	int64_t t0 = now_ns();
	char buf[16];

	s->n = kipc_recv_timeout(s->c, buf, sizeof(buf), 0, s->ms);
	s->took = now_ns() - t0;
	return NULL;
}

static void t_nokick_flush(void)
{
	struct sleeper_ms sl = { .ms = 5000 };
	struct kipc_opts o;
	struct pair p;
	pthread_t t;
	int owed, round, hits = 0;
	char c;

	opts_init(&o);
	o.wait_policy = KIPC_WAIT_SLEEP;
	pair_open(&p, &o, &o);
	if (!ring_transport(p.c))
		skip("uds has no doorbell");
	/* The receiver has to be asleep when we publish: retry until it was. */
	for (round = 0; round < 20 && hits < 2; round++) {
		sl.c = p.s;
		pthread_create(&t, NULL, sleeper_ms_thread, &sl);
		sleep_ms(50);
		CHECK_EQ(kipc_send(p.c, "x", 1, KIPC_NOKICK), 1);
		owed = kipc_flush(p.c, KIPC_NOKICK);
		CHECK(owed == 0 || owed == 1);
		if (owed) {
			hits++;
			CHECK_OK(kipc_flush(p.c, 0));	/* rings the owed kick */
		}
		pthread_join(t, NULL);
		/* A lost doorbell is a wait to the limit (a poll() may return
		 * a little before it, and the recv then finds the message).
		 */
		if (sl.n != 1 || sl.took > 2500000000LL)
			FAIL("round %d (owed %d): sleeping recv %zd (%s) after "
			     "%.2f s", round, owed, sl.n, strerror((int)-sl.n),
			     sl.took / 1e9);
		CHECK_EQ(kipc_recv(p.s, &c, 1, KIPC_NONBLOCK), -EAGAIN);
	}
	CHECK(hits > 0);
	pair_close(&p);
}

/* Messages sent with KIPC_NOKICK fill the ring while the receiver sleeps:
 * the sender, about to wait for room, must pay the doorbell it owes, or
 * both sleep for good.
 */
struct counting_rx {
	struct kipc_conn *c;
	long got;
	ssize_t last;
};

static void *counting_rx_thread(void *a)
{
	struct counting_rx *cr = a;
	uint64_t v;
	ssize_t n;

	for (;;) {
		n = kipc_recv_timeout(cr->c, &v, sizeof(v), 0, 10000);
		if (n != sizeof(v) || v == UINT64_MAX)
			break;
		if (v != (uint64_t)cr->got)
			FAIL("message %ld: got %llu", cr->got,
			     (unsigned long long)v);
		cr->got++;
	}
	cr->last = n;
	return NULL;
}

static void t_nokick_full(void)
{
	struct counting_rx cr = { 0 };
	struct kipc_opts o;
	struct pair p;
	pthread_t t;
	uint64_t v = 0;
	int64_t t0;
	ssize_t n;

	opts_init(&o);
	o.wait_policy = KIPC_WAIT_SLEEP;
	o.ring_bytes = 4096;
	pair_open(&p, &o, &o);
	if (!ring_transport(p.c))
		skip("uds has no doorbell");
	cr.c = p.s;
	pthread_create(&t, NULL, counting_rx_thread, &cr);
	sleep_ms(50);
	for (;;) {
		n = kipc_send(p.c, &v, sizeof(v), KIPC_NOKICK | KIPC_NONBLOCK);
		if (n != sizeof(v))
			break;
		CHECK(++v < 10000000);
	}
	CHECK_EQ(n, -EAGAIN);
	/* Blocking now: the receiver must get its doorbell at once. */
	t0 = now_ns();
	n = kipc_send_timeout(p.c, &v, sizeof(v), KIPC_NOKICK, 5000);
	if (n != sizeof(v) || now_ns() - t0 > 2500000000LL)
		FAIL("blocking send after %llu NOKICK messages: %zd (%s) "
		     "after %.2f s", (unsigned long long)v, n,
		     strerror((int)-n), (now_ns() - t0) / 1e9);
	v++;
	n = kipc_send_timeout(p.c, &(uint64_t){ UINT64_MAX }, sizeof(v), 0,
			      T_MS);
	CHECK_EQ(n, (long)sizeof(v));
	pthread_join(t, NULL);
	CHECK_EQ(cr.last, (long)sizeof(v));
	CHECK_EQ(cr.got, (long)v);
	pair_close(&p);
}

TEST_GROUP(nokick,
	{ "nokick", t_nokick, 30 },
	{ "nokick_flush", t_nokick_flush, 30 },
	{ "nokick_full", t_nokick_full, 30 });
