// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * SIGKILL at random moments: the sender, the receiver, and clients in the
 * middle of their handshake.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "harness.h"

struct kill_arg {
	char name[64];
	int style;
	uint64_t seed;
};

static void killed_sender(void *a)
{
	struct kill_arg *ka = a;
	struct kipc_conn *c = connect_retry(ka->name, NULL, T_MS);
	uint8_t buf[4096];
	uint64_t i;

	memset(buf, 0xab, sizeof(buf));
	for (i = 0;; i++) {
		memcpy(buf, &i, 8);
		if (kipc_send(c, buf, 8 + i % 2000,
			      (i % 5 == 1) ? KIPC_MORE : 0) < 0)
			break;
		if (ka->style == 1 && !(i % 64))
			sleep_ms(1);	/* the survivor sleeps in recv */
		if (ka->style == 2)
			pause();	/* nothing at all */
	}
	_exit(3);
}

static void *killer_thread(void *a)
{
	struct kill_arg *ka = a;
	pid_t pid = (pid_t)(ka->seed & 0xfffff);

	sleep_ms((int)(rnd_next(&ka->seed) % 15));
	kill(pid, SIGKILL);
	return NULL;
}

static void t_sigkill_sender(void)
{
	long rounds = test_count(COUNT_KILLS), r;
	uint64_t seed = 99;
	uint8_t buf[4096];

	for (r = 0; r < rounds; r++) {
		struct kill_arg ka = { .style = (int)(r % 3) }, kk;
		struct kipc_listener *l;
		struct kipc_conn *s;
		uint64_t want = 0, v;
		pthread_t t;
		pid_t child;
		int64_t t0;
		ssize_t n;

		snprintf(ka.name, sizeof(ka.name), "%s", new_name());
		CHECK_OK(kipc_listen(ka.name, NULL, &l));
		child = spawn(killed_sender, &ka);
		s = accept_one(l, T_MS);
		kk = ka;
		kk.seed = (uint64_t)child ^ (rnd_next(&seed) << 20);
		pthread_create(&t, NULL, killer_thread, &kk);
		for (;;) {
			n = kipc_recv_timeout(s, buf, sizeof(buf), 0, T_MS);
			if (n <= 0)
				break;
			memcpy(&v, buf, 8);
			CHECK_EQ(v, want);	/* a prefix, in order */
			CHECK_EQ(n, (long)(8 + v % 2000));
			want++;
		}
		t0 = now_ns();
		CHECK_EQ(n, 0);		/* end-of-stream, never -ETIMEDOUT */
		pthread_join(t, NULL);
		recv_eos(s);
		CHECK(now_ns() - t0 < 1000000000);
		CHECK_EQ(kipc_send(s, buf, 8, 0), -EPIPE);
		kipc_close(s);
		kipc_listener_close(l);
		CHECK_EQ(reap(child, T_MS), 128 + SIGKILL);
	}
}

static void killed_receiver(void *a)
{
	struct kill_arg *ka = a;
	struct kipc_conn *c = connect_retry(ka->name, NULL, T_MS);
	uint8_t buf[4096];
	uint64_t i;

	for (i = 0;; i++) {
		if (kipc_recv(c, buf, sizeof(buf), 0) <= 0)
			break;
		if (ka->style == 1 && !(i % 16))
			sleep_ms(1);	/* the survivor waits for room */
		if (ka->style == 2)
			pause();
	}
	_exit(3);
}

static void t_sigkill_receiver(void)
{
	long rounds = test_count(COUNT_KILLS), r;
	uint8_t buf[3000];

	memset(buf, 0x5a, sizeof(buf));
	for (r = 0; r < rounds; r++) {
		struct kill_arg ka = { .style = (int)(r % 3) }, kk;
		struct kipc_listener *l;
		struct kipc_conn *s;
		pthread_t t;
		pid_t child;
		ssize_t n;
		long i;

		snprintf(ka.name, sizeof(ka.name), "%s", new_name());
		CHECK_OK(kipc_listen(ka.name, NULL, &l));
		child = spawn(killed_receiver, &ka);
		s = accept_one(l, T_MS);
		kk = ka;
		kk.seed = (uint64_t)child ^ ((uint64_t)r << 20);
		pthread_create(&t, NULL, killer_thread, &kk);
		for (i = 0;; i++) {
			n = kipc_send_timeout(s, buf, 1 + (size_t)i % sizeof(buf),
					      0, T_MS);
			if (n < 0)
				break;
		}
		CHECK_EQ(n, -EPIPE);	/* never -ETIMEDOUT */
		pthread_join(t, NULL);
		recv_eos(s);
		kipc_close(s);
		kipc_listener_close(l);
		CHECK_EQ(reap(child, T_MS), 128 + SIGKILL);
	}
}

static void handshake_victim(void *a)
{
	struct kill_arg *ka = a;
	struct kipc_conn *c;

	for (;;) {
		if (kipc_connect(ka->name, NULL, &c) == 0) {
			kipc_send(c, "x", 1, 0);
			kipc_close(c);
		}
	}
}

/* Clients killed in the middle of their handshake leave a healthy listener. */
static void t_sigkill_handshake(void)
{
	long rounds = test_count(COUNT_KILLS), r;
	struct kipc_listener *l;
	struct kill_arg ka;
	struct kipc_conn *s;
	uint64_t seed = 5;
	pid_t child;
	char buf[8];
	int ret;

	snprintf(ka.name, sizeof(ka.name), "%s", new_name());
	CHECK_OK(kipc_listen(ka.name, NULL, &l));
	for (r = 0; r < rounds; r++) {
		child = spawn(handshake_victim, &ka);
		sleep_ms((int)(rnd_next(&seed) % 3));
		while ((ret = kipc_accept_timeout(l, &s, 0, 2)) == 0) {
			ret = (int)kipc_recv_timeout(s, buf, sizeof(buf), 0, 200);
			CHECK(ret == 1 || ret == 0 || ret == -ETIMEDOUT);
			kipc_close(s);
			if (rnd_next(&seed) % 2)
				break;
		}
		kill(child, SIGKILL);
		CHECK_EQ(reap(child, T_MS), 128 + SIGKILL);
		/* Drain what the dead client left queued. */
		while (kipc_accept_timeout(l, &s, 0, 5) == 0) {
			ret = (int)kipc_recv_timeout(s, buf, sizeof(buf), 0, T_MS);
			CHECK(ret == 1 || ret == 0);
			kipc_close(s);
		}
	}
	child = spawn(listener_child, &ka);
	s = accept_one(l, T_MS);
	recv_is(s, "hi", 2);
	kipc_close(s);
	CHECK_EQ(reap(child, T_MS), 0);
	kipc_listener_close(l);
}

TEST_GROUP(kill,
	{ "sigkill_sender", t_sigkill_sender, 120 },
	{ "sigkill_receiver", t_sigkill_receiver, 120 },
	{ "sigkill_handshake", t_sigkill_handshake, 120 });
