// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Messages one at a time: one each way, every length in order up to the
 * largest, and the zero-copy calls (reserve/commit, peek/release).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "harness.h"

static void t_basic(void)
{
	struct pair p;
	pid_t pid;
	uid_t uid;
	gid_t gid;

	pair_open(&p, NULL, NULL);
	check_transport(p.c);
	check_transport(p.s);
	CHECK(kipc_transport_name(kipc_transport(p.c)));
	CHECK(!kipc_transport_name(99));
	send_ok(p.c, "hello", 5);
	recv_is(p.s, "hello", 5);
	send_ok(p.s, "world!", 6);
	recv_is(p.c, "world!", 6);
	CHECK_OK(kipc_peer_cred(p.c, &pid, &uid, &gid));
	CHECK_EQ(pid, getpid());
	CHECK_EQ(uid, geteuid());
	CHECK_EQ(gid, getegid());
	CHECK_OK(kipc_peer_cred(p.s, &pid, NULL, NULL));
	CHECK_EQ(pid, getpid());
	CHECK(kipc_msg_max(p.c) >= 4096 / 2 - 8);
	CHECK(kipc_fd(p.c) >= 0);
	CHECK(kipc_listener_fd(p.l) >= 0);
	pair_close(&p);
}

/* Every length from 1 B up, plus the edges up to the largest, in order. */
static void t_order_boundaries(void)
{
	static uint32_t lens[4096];
	static uint8_t buf[1 << 20];
	size_t head = 0, tail = 0, i, nl = 0;
	struct pair p;
	uint32_t max, extra[] = { 511, 512, 513, 1023, 1024, 4095, 4096, 4097 };
	ssize_t n;

	pool_init();
	pair_open(&p, NULL, NULL);
	max = (uint32_t)kipc_msg_max(p.c);
	for (i = 1; i <= 300; i++)
		lens[nl++] = (uint32_t)i;
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (extra[i] <= max)
			lens[nl++] = extra[i];
	lens[nl++] = max - 1;
	lens[nl++] = max;
	lens[nl++] = 7;
	/* Message k carries pool[k ...]: content tells boundaries and order. */
	while (tail < nl) {
		while (head < nl) {
			n = kipc_send(p.c, pool + head, lens[head], KIPC_NONBLOCK);
			if (n == -EAGAIN)
				break;
			CHECK_EQ(n, (long)lens[head]);
			head++;
		}
		CHECK(tail < head);
		while (tail < head) {
			n = kipc_recv_timeout(p.s, buf, sizeof(buf), 0, T_MS);
			CHECK_EQ(n, (long)lens[tail]);
			CHECK(!memcmp(buf, pool + tail, lens[tail]));
			tail++;
		}
	}
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	pair_close(&p);
}

/*
 * Large messages from and into page-aligned buffers, 600 of each size in
 * a row: ring positions move by 8 bytes a message, so every distance
 * modulo 4 KiB between buffer and ring occurs on both copies, the few
 * that the library copies from the end (datapath.h, msg_copy) included.
 */
static void t_copy_offsets(void)
{
	static uint8_t src[2][8192] __attribute__((aligned(4096)));
	static uint8_t dst[8192] __attribute__((aligned(4096)));
	static const uint32_t lens[] = { 2048, 2056, 4096, 4100, 5000 };
	struct pair p;
	size_t i, k, b;

	pool_init();
	pair_open(&p, NULL, NULL);
	for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		for (i = 0; i < 600; i++) {
			b = i & 1;
			/* a different window of the pool each time */
			memcpy(src[b], pool + (i * 8 + k) % 4096, lens[k]);
			send_ok(p.c, src[b], lens[k]);
			memset(dst, 0xa5, sizeof(dst));
			CHECK_EQ(kipc_recv_timeout(p.s, dst, sizeof(dst), 0, T_MS),
				 (long)lens[k]);
			CHECK(!memcmp(dst, src[b], lens[k]));
			CHECK_EQ(dst[lens[k]], 0xa5);
		}
	}
	pair_close(&p);
}

static void t_zero_copy(void)
{
	const void *q, *q2;
	uint8_t buf[256];
	struct pair p;
	void *w;
	int i;

	pool_init();
	pair_open(&p, NULL, NULL);
	CHECK_OK(kipc_reserve(p.c, 100, &w, 0));
	memcpy(w, pool, 100);
	CHECK_OK(kipc_commit(p.c, 100, 0));
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, T_MS), 100);
	CHECK(!memcmp(q, pool, 100));
	CHECK_EQ(kipc_peek(p.s, &q2, 0), 100);	/* the same one again */
	CHECK(q == q2);
	CHECK_OK(kipc_release(p.s));
	CHECK_EQ(kipc_release(p.s), -EINVAL);

	/* Commit less than reserved. */
	CHECK_OK(kipc_reserve(p.c, 1000, &w, 0));
	memcpy(w, pool + 5, 10);
	CHECK_OK(kipc_commit(p.c, 10, 0));
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, T_MS), 10);
	CHECK(!memcmp(q, pool + 5, 10));
	/* recv after peek takes the same message. */
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), 0), 10);
	CHECK(!memcmp(buf, pool + 5, 10));

	/* Cancel, and commit past the reservation. */
	CHECK_OK(kipc_reserve(p.c, 50, &w, 0));
	CHECK_OK(kipc_commit(p.c, 0, 0));
	CHECK_EQ(kipc_commit(p.c, 0, 0), -EINVAL);
	CHECK_OK(kipc_reserve(p.c, 10, &w, 0));
	CHECK_EQ(kipc_commit(p.c, 11, 0), -EINVAL);
	memcpy(w, pool + 7, 10);
	CHECK_OK(kipc_commit(p.c, 10, 0));
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, T_MS), 10);
	CHECK(!memcmp(buf, pool + 7, 10));
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);

	/* Several commits, one publication. */
	for (i = 0; i < 3; i++) {
		CHECK_OK(kipc_reserve(p.c, 20, &w, 0));
		memcpy(w, pool + 100 + i, 20);
		CHECK_OK(kipc_commit(p.c, 20, KIPC_MORE));
	}
	CHECK_EQ(kipc_send(p.c, pool + 200, 30, KIPC_MORE), 30);
	if (ring_transport(p.c))
		CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK),
			 -EAGAIN);
	CHECK_OK(kipc_flush(p.c, 0));
	for (i = 0; i < 3; i++) {
		CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, T_MS), 20);
		CHECK(!memcmp(buf, pool + 100 + i, 20));
	}
	recv_is(p.s, pool + 200, 30);

	/* KIPC_NOKICK publishes; flush says whether a doorbell is owed. */
	CHECK_EQ(kipc_send(p.c, "nk", 2, KIPC_NOKICK), 2);
	recv_is(p.s, "nk", 2);
	i = kipc_flush(p.c, KIPC_NOKICK);
	CHECK(i == 0 || i == 1);
	CHECK_OK(kipc_flush(p.c, 0));

	/* The largest message in place. */
	CHECK_OK(kipc_reserve(p.c, (size_t)kipc_msg_max(p.c), &w, 0));
	memcpy(w, pool, (size_t)kipc_msg_max(p.c));
	CHECK_OK(kipc_commit(p.c, (size_t)kipc_msg_max(p.c), 0));
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, T_MS), kipc_msg_max(p.c));
	CHECK(!memcmp(q, pool, (size_t)kipc_msg_max(p.c)));
	CHECK_OK(kipc_release(p.s));
	pair_close(&p);
}

TEST_GROUP(basic,
	{ "basic", t_basic, 30 },
	{ "order_boundaries", t_order_boundaries, 30 },
	{ "copy_offsets", t_copy_offsets, 30 },
	{ "zero_copy", t_zero_copy, 30 });
