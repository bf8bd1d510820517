// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * A ring at its edges: full, empty, zero timeouts, and a tail released
 * while the peer sleeps or spins on it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "harness.h"

static void t_full_ring(void)
{
	uint8_t buf[64];
	uint64_t sent = 0, got = 0, seq;
	struct pair p;
	int64_t t0;
	ssize_t n;
	int tries;

	pair_open(&p, NULL, NULL);
	for (;;) {
		memcpy(buf, &sent, 8);
		n = kipc_send(p.c, buf, 64, KIPC_NONBLOCK);
		if (n != 64)
			break;
		CHECK(++sent < 10000000);
	}
	CHECK_EQ(n, -EAGAIN);
	if (ring_transport(p.c))	/* 64 KiB ring, 72 B records */
		CHECK(sent >= 65536 / 72 - 1 && sent <= 65536 / 72);
	CHECK_EQ(kipc_send_timeout(p.c, buf, 64, 0, 0), -ETIMEDOUT);
	t0 = now_ns();
	CHECK_EQ(kipc_send_timeout(p.c, buf, 64, 0, 50), -ETIMEDOUT);
	CHECK(now_ns() - t0 >= 45000000);
	if (ring_transport(p.c))
		CHECK_EQ(kipc_reserve_timeout(p.c, 64, (void **)&n, 0, 20),
			 -ETIMEDOUT);
	/* Room comes back as the receiver takes messages. */
	for (tries = 0;; tries++) {
		CHECK(tries < 4);
		CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), 0), 64);
		memcpy(&seq, buf, 8);
		CHECK_EQ(seq, got);
		got++;
		memcpy(buf, &sent, 8);
		if (kipc_send(p.c, buf, 64, KIPC_NONBLOCK) == 64)
			break;
	}
	sent++;
	while (got < sent) {
		CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), 64);
		memcpy(&seq, buf, 8);
		CHECK_EQ(seq, got);
		got++;
	}
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	pair_close(&p);
}

static void t_empty_ring(void)
{
	const void *q;
	struct pair p;
	char buf[8];
	int64_t t0;

	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	CHECK_EQ(kipc_peek(p.s, &q, KIPC_NONBLOCK), -EAGAIN);
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 0), -ETIMEDOUT);
	t0 = now_ns();
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 50), -ETIMEDOUT);
	CHECK(now_ns() - t0 >= 45000000 && now_ns() - t0 < 2000000000);
	CHECK_EQ(kipc_peek_timeout(p.c, &q, 0, 30), -ETIMEDOUT);
	CHECK_EQ(kipc_accept(p.l, &p.c, KIPC_NONBLOCK), -EAGAIN);
	t0 = now_ns();
	CHECK_EQ(kipc_accept_timeout(p.l, &p.c, 0, 30), -ETIMEDOUT);
	CHECK(now_ns() - t0 >= 25000000);
	/* Each wait policy times out the same way. */
	CHECK_OK(kipc_set_wait(p.s, KIPC_WAIT_SPIN, 0));
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 20), -ETIMEDOUT);
	CHECK_OK(kipc_set_wait(p.s, KIPC_WAIT_SLEEP, 0));
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 20), -ETIMEDOUT);
	send_ok(p.c, "a", 1);
	recv_is(p.s, "a", 1);
	pair_close(&p);
}

/* A timeout of 0 never waits: -ETIMEDOUT at once, or what is there. */
static void t_zero_timeouts(void)
{
	struct kipc_conn *c2 = NULL;
	uint8_t buf[64] = { 0 };
	const void *q;
	struct pair p;
	void *w;
	int64_t t0 = now_ns();

	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_accept_timeout(p.l, &c2, 0, 0), -ETIMEDOUT);
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 0), -ETIMEDOUT);
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, 0), -ETIMEDOUT);
	while (kipc_send(p.c, buf, sizeof(buf), KIPC_NONBLOCK) == sizeof(buf))
		;
	CHECK_EQ(kipc_send_timeout(p.c, buf, sizeof(buf), 0, 0), -ETIMEDOUT);
	if (ring_transport(p.c))
		CHECK_EQ(kipc_reserve_timeout(p.c, sizeof(buf), &w, 0, 0),
			 -ETIMEDOUT);
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, 0), (long)sizeof(buf));
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 0),
		 (long)sizeof(buf));
	CHECK(now_ns() - t0 < 2000000000);
	pair_close(&p);
}

/*
 * Consumed room goes back in batches. Two single-threaded peers (a thread
 * per end here), each sending a message that needs the room the other
 * has consumed but not handed back, then receiving: a sender must hand
 * its own back before it waits, or both wait in send for good.
 * Ring 4096 (batch 512): 19 records of 112 bytes leave 448 consumed bytes
 * unreleased (tail 1680, head 2128); a largest message (span 2048) then
 * has to wrap and needs 4016 bytes, with only 3648 free.
 */
struct tail_peer {
	struct kipc_conn *c;
	pthread_barrier_t *bar;
	ssize_t n, got;
};

static void tail_setup_tx(struct kipc_conn *c)
{
	int i;

	for (i = 0; i < 19; i++)
		CHECK_EQ(kipc_send(c, pool + i, 100, 0), 100);
}

static void tail_setup_rx(struct kipc_conn *c)
{
	uint8_t buf[128];
	int i;

	for (i = 0; i < 19; i++) {
		CHECK_EQ(kipc_recv(c, buf, sizeof(buf), KIPC_NONBLOCK), 100);
		CHECK(!memcmp(buf, pool + i, 100));
	}
}

static void *tail_peer_thread(void *a)
{
	static __thread uint8_t buf[4096];
	struct tail_peer *tp = a;

	tail_setup_tx(tp->c);
	pthread_barrier_wait(tp->bar);	/* both rings hold 19 records */
	tail_setup_rx(tp->c);
	tp->n = kipc_send_timeout(tp->c, pool, 2040, 0, 3000);
	if (tp->n == 2040) {
		tp->got = kipc_recv_timeout(tp->c, buf, sizeof(buf), 0, 3000);
		if (tp->got == 2040 && memcmp(buf, pool, 2040))
			tp->got = -EILSEQ;	/* content differs */
	}
	return NULL;
}

static void t_tail_release(void)
{
	pthread_barrier_t bar;
	struct tail_peer tp[2];
	struct kipc_opts o;
	struct pair p;
	pthread_t t[2];
	int policy, i;

	pool_init();
	pthread_barrier_init(&bar, NULL, 2);
	for (policy = KIPC_WAIT_SPIN_SLEEP; policy <= KIPC_WAIT_SLEEP; policy++) {
		opts_init(&o);
		o.ring_bytes = 4096;
		o.wait_policy = policy;
		pair_open(&p, &o, &o);
		if (!ring_transport(p.c)) {
			pair_close(&p);
			skip("uds has no rings");
		}
		CHECK_EQ(kipc_msg_max(p.c), 2040);
		tp[0] = (struct tail_peer){ p.c, &bar, 0, 0 };
		tp[1] = (struct tail_peer){ p.s, &bar, 0, 0 };
		for (i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, tail_peer_thread, &tp[i]);
		for (i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		for (i = 0; i < 2; i++)
			if (tp[i].n != 2040 || tp[i].got != 2040)
				FAIL("policy %d, %s: send %zd (%s), recv %zd "
				     "(%s)", policy, i ? "server" : "client",
				     tp[i].n, strerror((int)-tp[i].n),
				     tp[i].got, strerror((int)-tp[i].got));
		pair_close(&p);
	}
	pthread_barrier_destroy(&bar);
}

/* The same state, one direction, busy-polling: the receiver spins on an
 * empty ring while the sender spins for room the receiver holds.
 */
struct spin_rx {
	struct kipc_conn *c;
	ssize_t n;
};

static void *spin_rx_thread(void *a)
{
	struct spin_rx *sr = a;
	static uint8_t buf[4096];

	sr->n = kipc_recv_timeout(sr->c, buf, sizeof(buf), 0, 3000);
	if (sr->n == 2040 && memcmp(buf, pool, 2040))
		sr->n = -EBADMSG;
	return NULL;
}

static void t_spin_tail_release(void)
{
	struct kipc_opts o;
	struct spin_rx sr;
	struct pair p;
	pthread_t t;
	ssize_t n;

	pool_init();
	opts_init(&o);
	o.ring_bytes = 4096;
	o.wait_policy = KIPC_WAIT_SPIN;
	pair_open(&p, &o, &o);
	if (!ring_transport(p.c))
		skip("uds has no rings");
	CHECK_EQ(kipc_msg_max(p.c), 2040);
	tail_setup_tx(p.c);
	tail_setup_rx(p.s);
	sr.c = p.s;
	pthread_create(&t, NULL, spin_rx_thread, &sr);
	n = kipc_send_timeout(p.c, pool, 2040, 0, 3000);
	pthread_join(t, NULL);
	if (n != 2040 || sr.n != 2040)
		FAIL("send %zd (%s), recv %zd (%s)", n, strerror((int)-n),
		     sr.n, strerror((int)-sr.n));
	pair_close(&p);
}

TEST_GROUP(ring_state,
	{ "full_ring", t_full_ring, 30 },
	{ "empty_ring_timeouts", t_empty_ring, 30 },
	{ "zero_timeouts", t_zero_timeouts, 10 },
	{ "tail_release", t_tail_release, 30 },
	{ "spin_tail_release", t_spin_tail_release, 30 });
