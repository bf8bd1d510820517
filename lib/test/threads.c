// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Threads: a sending and a receiving thread on each end, no lock.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* One sending and one receiving thread on each end, no lock. */
struct dir_arg {
	struct kipc_conn *c;
	long n;
	uint64_t seed;
};

static void *dir_sender(void *a)
{
	struct dir_arg *d = a;
	uint64_t s = d->seed;
	struct msgspec m;
	void *w;
	long i;

	for (i = 0; i < d->n; i++) {
		m = msg_of(&s, 1, 600);
		if (i & 1) {
			CHECK_EQ(kipc_send_timeout(d->c, m.data, m.len, 0, T_MS),
				 (long)m.len);
		} else {
			CHECK_OK(kipc_reserve_timeout(d->c, m.len, &w, 0, T_MS));
			memcpy(w, m.data, m.len);
			CHECK_OK(kipc_commit(d->c, m.len, 0));
		}
	}
	return NULL;
}

static void *dir_receiver(void *a)
{
	struct dir_arg *d = a;
	uint64_t s = d->seed;
	struct msgspec m;
	uint8_t buf[600];
	const void *q;
	ssize_t n;
	long i;

	for (i = 0; i < d->n; i++) {
		m = msg_of(&s, 1, 600);
		if (i & 1) {
			n = kipc_recv_timeout(d->c, buf, sizeof(buf), 0, T_MS);
			CHECK_EQ(n, (long)m.len);
			CHECK(!memcmp(buf, m.data, m.len));
		} else {
			n = kipc_peek_timeout(d->c, &q, 0, T_MS);
			CHECK_EQ(n, (long)m.len);
			CHECK(!memcmp(q, m.data, m.len));
			CHECK_OK(kipc_release(d->c));
		}
	}
	return NULL;
}

static void t_threads(void)
{
	struct dir_arg d[4];
	struct kipc_opts o;
	struct pair p;
	pthread_t t[4];
	int policy, i;

	pool_init();
	for (policy = KIPC_WAIT_SPIN_SLEEP; policy <= KIPC_WAIT_SLEEP; policy += 2) {
		opts_init(&o);
		o.ring_bytes = 4096;
		o.wait_policy = policy;
		o.spin_ns = 2000;
		pair_open(&p, &o, &o);
		d[0] = (struct dir_arg){ p.c, 100000, 1 };
		d[1] = (struct dir_arg){ p.s, 100000, 1 };
		d[2] = (struct dir_arg){ p.s, 100000, 2 };
		d[3] = (struct dir_arg){ p.c, 100000, 2 };
		pthread_create(&t[0], NULL, dir_sender, &d[0]);
		pthread_create(&t[1], NULL, dir_receiver, &d[1]);
		pthread_create(&t[2], NULL, dir_sender, &d[2]);
		pthread_create(&t[3], NULL, dir_receiver, &d[3]);
		for (i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		pair_close(&p);
	}
}

TEST_GROUP(threads,
	{ "threads", t_threads, 120 });
