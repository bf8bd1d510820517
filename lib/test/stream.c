// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Streams of random messages, 1 B to 4 KiB and 4 KiB to the largest,
 * checked byte for byte against the sender's generator.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static void stream_sender(void *a)
{
	struct name_arg *na = a;
	struct kipc_opts o;
	struct kipc_conn *c;
	uint64_t s = 12345;
	uint32_t lo = 1, hi = 4096, max;
	struct msgspec m;
	void *w;
	long i;

	opts_init(&o);
	c = connect_retry(na->name, &o, T_MS);
	pin_cpu(1);
	max = (uint32_t)kipc_msg_max(c);
	if (na->mode) {		/* big: 4 KiB up to the largest */
		lo = 4096;
		hi = max;
		send_ok(c, &max, sizeof(max));
	}
	for (i = 0; i < na->n; i++) {
		m = msg_of(&s, lo, hi);
		switch (i & 3) {
		case 0:
			CHECK_EQ(kipc_send_timeout(c, m.data, m.len, 0, T_MS),
				 (long)m.len);
			break;
		case 1:		/* batched: published by the next plain send */
			CHECK_EQ(kipc_send_timeout(c, m.data, m.len, KIPC_MORE,
						   T_MS), (long)m.len);
			break;
		case 2:
			CHECK_OK(kipc_reserve_timeout(c, m.len, &w, 0, T_MS));
			memcpy(w, m.data, m.len);
			CHECK_OK(kipc_commit(c, m.len, 0));
			break;
		default:	/* reserve more than needed, commit less */
			CHECK_OK(kipc_reserve_timeout(c, m.len + (m.len < max),
						      &w, 0, T_MS));
			memcpy(w, m.data, m.len);
			CHECK_OK(kipc_commit(c, m.len, 0));
			break;
		}
	}
	kipc_close(c);
}

static void stream(long n, int big)
{
	static uint8_t buf[1 << 20];
	struct name_arg na = { .n = n, .mode = big };
	struct kipc_listener *l;
	struct kipc_opts o;
	struct kipc_conn *s;
	uint64_t sd = 12345, bytes = 0;
	uint32_t lo = 1, hi = 4096, max;
	struct msgspec m;
	int64_t t0 = now_ns();
	const void *q;
	pid_t child;
	ssize_t r;
	long i;

	pool_init();
	snprintf(na.name, sizeof(na.name), "%s", new_name());
	opts_init(&o);
	if (big)
		o.ring_bytes = 1U << 20;
	CHECK_OK(kipc_listen(na.name, &o, &l));
	child = spawn(stream_sender, &na);
	s = accept_one(l, T_MS);
	pin_cpu(0);
	if (big) {
		CHECK_EQ(kipc_recv_timeout(s, &max, sizeof(max), 0, T_MS),
			 (long)sizeof(max));
		CHECK(max >= 4096 && max <= (1U << 19));
		lo = 4096;
		hi = max;
	}
	for (i = 0; i < n; i++) {
		m = msg_of(&sd, lo, hi);
		if (i % 3 == 2) {
			r = kipc_peek_timeout(s, &q, 0, T_MS);
			if (r != (ssize_t)m.len || memcmp(q, m.data, m.len))
				FAIL("message %ld: %zd bytes, want %u%s", i, r,
				     m.len, r == (ssize_t)m.len ?
				     " (content differs)" : "");
			CHECK_OK(kipc_release(s));
		} else {
			r = kipc_recv_timeout(s, buf, sizeof(buf), 0, T_MS);
			if (r != (ssize_t)m.len || memcmp(buf, m.data, m.len))
				FAIL("message %ld: %zd bytes, want %u%s", i, r,
				     m.len, r == (ssize_t)m.len ?
				     " (content differs)" : "");
		}
		bytes += m.len;
	}
	recv_eos(s);
	note("%ld messages, %.1f MB verified in %.2f s (%s)", n, bytes / 1e6,
	     (now_ns() - t0) / 1e9, kipc_transport_name(kipc_transport(s)));
	kipc_close(s);
	kipc_listener_close(l);
	CHECK_EQ(reap(child, T_MS), 0);
}

static void t_stream_random(void)
{
	stream(test_count(COUNT_MSGS), 0);
}

static void t_stream_big(void)
{
	stream(test_count(COUNT_BIG), 1);
}

TEST_GROUP(stream,
	{ "stream_random", t_stream_random, 600 },
	{ "stream_big", t_stream_big, 300 });
