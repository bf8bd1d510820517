// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The connector's cap on the rings it pays for (max_ring_bytes; issue 8,
 * items 2 and 11), on a new driver and on one without the cap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <linux/kipc.h>

#include "harness.h"

struct accept_loop {
	struct kipc_listener *l;
	int stop;		/* atomic */
	int accepted;
};

static void *accept_loop_thread(void *a)
{
	struct accept_loop *al = a;
	struct kipc_conn *c;

	while (!__atomic_load_n(&al->stop, __ATOMIC_ACQUIRE)) {
		if (kipc_accept_timeout(al->l, &c, 0, 50) == 0) {
			al->accepted++;
			kipc_close(c);
		}
	}
	return NULL;
}

/* A listener's rings above the connector's max_ring_bytes: -EMSGSIZE on
 * every transport; at or below it the connection is made.
 */
static void t_ring_cap(void)
{
	struct accept_loop al = { 0 };
	struct kipc_opts lo, co;
	struct kipc_conn *c;
	struct pair p;
	pthread_t t;
	const char *n = new_name();

	opts_init(&lo);
	opts_init(&co);
	lo.ring_bytes = 64U << 10;
	lo.timeout_ms = co.timeout_ms = T_MS;
	CHECK_OK(kipc_listen(n, &lo, &al.l));
	pthread_create(&t, NULL, accept_loop_thread, &al);
	co.max_ring_bytes = 16U << 10;
	CHECK_EQ(kipc_connect(n, &co, &c), -EMSGSIZE);
	co.max_ring_bytes = (64U << 10) - 1;
	CHECK_EQ(kipc_connect(n, &co, &c), -EMSGSIZE);
	__atomic_store_n(&al.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CHECK_EQ(al.accepted, 0);
	kipc_listener_close(al.l);

	co.max_ring_bytes = 64U << 10;
	pair_open(&p, &lo, &co);
	send_ok(p.c, "cap", 3);
	recv_is(p.s, "cap", 3);
	pair_close(&p);
}

/*
 * The driver plays one without KIPC_F_RING_CAP: the library connects,
 * sees the rings and hands the connection back, -EMSGSIZE still; nothing
 * stays charged (the next connect within the cap works).
 */
static void ring_cap_old_driver_child(void *a)
{
	struct accept_loop al = { 0 };
	struct kipc_opts lo, co;
	struct kipc_conn *c;
	const char *n = new_name();

	(void)a;
	opts_init(&lo);
	opts_init(&co);
	lo.transport = co.transport = KIPC_TRANSPORT_DEV;
	lo.ring_bytes = 64U << 10;
	CHECK_OK(kipc_listen(n, &lo, &al.l));
	co.max_ring_bytes = 16U << 10;
	CHECK_EQ(kipc_connect(n, &co, &c), -EMSGSIZE);
	co.max_ring_bytes = 64U << 10;
	CHECK_OK(kipc_connect(n, &co, &c));	/* queued, never accepted */
	kipc_close(c);
	kipc_listener_close(al.l);
}

static void t_ring_cap_old_driver(void)
{
	with_feature_hidden(KIPC_F_RING_CAP, ring_cap_old_driver_child);
}

TEST_GROUP(ring_cap,
	{ "ring_cap", t_ring_cap, 30 },
	{ "ring_cap_old_driver", t_ring_cap_old_driver, 30 });
