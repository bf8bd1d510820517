// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The end of a stream: end-of-stream after the last message, messages
 * left unread by a peer that closed, EPIPE without SIGPIPE, and a uds
 * peer's empty message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "harness.h"

/* The sender of t_eos and the pipe it waits on until it is accepted (on
 * dev a client gone before ACCEPT takes its connection with it).
 */
struct eos_arg {
	struct name_arg na;
	int accepted;
};

static void eos_child(void *a)
{
	struct eos_arg *ea = a;
	struct name_arg *na = &ea->na;
	struct kipc_conn *c = connect_retry(na->name, NULL, T_MS);
	struct pollfd pf = { .fd = ea->accepted, .events = POLLIN };
	long i;

	for (i = 0; i < na->n; i++)
		CHECK_EQ(kipc_send_timeout(c, &i, sizeof(i),
					   i >= na->n - 3 ? KIPC_MORE : 0, T_MS),
			 (long)sizeof(i));
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	/* The last three are only committed: close publishes them. */
	kipc_close(c);
}

static void t_eos(void)
{
	struct kipc_listener *l;
	struct eos_arg ea = { .na = { .n = 100 } };
	struct name_arg *na = &ea.na;
	struct kipc_conn *s;
	const void *q;
	long i, v;
	pid_t child;
	int k, accepted[2];

	CHECK_OK(pipe2(accepted, O_CLOEXEC));
	ea.accepted = accepted[0];
	snprintf(na->name, sizeof(na->name), "%s", new_name());
	CHECK_OK(kipc_listen(na->name, NULL, &l));
	child = spawn(eos_child, &ea);
	s = accept_one(l, T_MS);
	CHECK_EQ(write(accepted[1], "a", 1), 1);
	CHECK_EQ(reap(child, T_MS), 0);		/* gone before we read */
	close(accepted[0]);
	close(accepted[1]);
	for (i = 0; i < na->n; i++) {
		CHECK_EQ(kipc_recv_timeout(s, &v, sizeof(v), 0, T_MS),
			 (long)sizeof(v));
		CHECK_EQ(v, i);
	}
	recv_eos(s);
	recv_eos(s);
	CHECK_EQ(kipc_peek_timeout(s, &q, 0, T_MS), 0);
	CHECK_EQ(kipc_recv(s, &v, sizeof(v), KIPC_NONBLOCK), 0);
	for (k = 0; k < 100000; k++) {
		v = kipc_send(s, &k, sizeof(k), KIPC_NONBLOCK);
		if (v == -EPIPE)
			break;
		CHECK_EQ(v, (long)sizeof(k));
	}
	CHECK_EQ(v, -EPIPE);
	kipc_close(s);
	kipc_listener_close(l);
}

/* Issue 8, item 10: a uds peer's zero-length message is a protocol
 * violation, not an end-of-stream while the peer lives.
 */
static void t_uds_empty_message(void)
{
	char buf[16];
	struct pair p;

	pair_open(&p, NULL, NULL);
	if (kipc_transport(p.c) != KIPC_TRANSPORT_UDS) {
		pair_close(&p);
		skip("a uds test: run with KIPC_TRANSPORT=uds");
	}
	CHECK_EQ(send(kipc_fd(p.c), "", 0, MSG_NOSIGNAL), 0);
	CHECK_EQ(kipc_send(p.c, "hello", 5, 0), 5);
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, T_MS), -EBADMSG);
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, T_MS), -EBADMSG);
	pair_close(&p);
}

/* Sending to a closed peer: -EPIPE, and no SIGPIPE (the harness left
 * SIGPIPE at its default, fatal disposition).
 */
static void t_epipe(void)
{
	uint8_t buf[512] = { 0 };
	struct pair p;
	ssize_t n = 0;
	long k;

	pair_open(&p, NULL, NULL);
	kipc_close(p.s);
	p.s = NULL;
	for (k = 0; k < 1000000; k++) {
		n = kipc_send_timeout(p.c, buf, sizeof(buf), 0, T_MS);
		if (n != (ssize_t)sizeof(buf))
			break;
	}
	CHECK_EQ(n, -EPIPE);
	CHECK_EQ(kipc_send(p.c, buf, 1, 0), -EPIPE);
	CHECK_EQ(kipc_reserve(p.c, 1, (void **)&n, 0), -EPIPE);
	recv_eos(p.c);
	pair_close(&p);
}

/* The peer sends, then closes without reading what we sent it: we still
 * get every message it sent, then end-of-stream (uds: ECONNRESET is not
 * the end).
 */
static void t_eos_unread(void)
{
	const void *q;
	struct pair p;

	pair_open(&p, NULL, NULL);
	send_ok(p.c, "a", 1);
	send_ok(p.c, "bb", 2);
	send_ok(p.s, "x", 1);	/* never read by p.c */
	kipc_close(p.c);
	p.c = NULL;
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, T_MS), 1);
	CHECK(!memcmp(q, "a", 1));
	CHECK_OK(kipc_release(p.s));
	recv_is(p.s, "bb", 2);
	recv_eos(p.s);
	recv_eos(p.s);
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, T_MS), 0);

	/* The same with recv first. */
	pair_open(&p, NULL, NULL);
	send_ok(p.s, "cc", 2);
	send_ok(p.s, "d", 1);
	send_ok(p.c, "y", 1);	/* never read by p.s */
	kipc_close(p.s);
	p.s = NULL;
	recv_is(p.c, "cc", 2);
	recv_is(p.c, "d", 1);
	recv_eos(p.c);
	pair_close(&p);
}

TEST_GROUP(eos,
	{ "eos", t_eos, 30 },
	{ "uds_empty_message_ebadmsg", t_uds_empty_message, 30 },
	{ "epipe_no_sigpipe", t_epipe, 30 },
	{ "eos_unread", t_eos_unread, 30 });
