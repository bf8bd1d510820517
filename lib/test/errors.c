// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The documented errors of bad calls: bad arguments and options, an
 * unknown $KIPC_TRANSPORT, no such name, a name in use, a message too big.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "harness.h"

static void t_bad_args(void)
{
	struct { struct kipc_opts o; char tail[16]; } big;
	struct kipc_listener *l;
	struct kipc_conn *c;
	struct kipc_opts o;
	const void *cp;
	struct pair p;
	char name[80];
	void *vp;

	CHECK_EQ(kipc_listen(NULL, NULL, &l), -EINVAL);
	CHECK_EQ(kipc_listen("", NULL, &l), -EINVAL);
	CHECK_EQ(kipc_listen("a b", NULL, &l), -EINVAL);
	CHECK_EQ(kipc_listen("a\x7f", NULL, &l), -EINVAL);
	CHECK_EQ(kipc_listen("ok", NULL, NULL), -EINVAL);
	memset(name, 'x', 64);
	name[64] = 0;
	CHECK_EQ(kipc_listen(name, NULL, &l), -EINVAL);
	CHECK_EQ(kipc_connect(name, NULL, &c), -EINVAL);
	CHECK_EQ(kipc_connect("", NULL, &c), -EINVAL);
	snprintf(name, 64, "%s", new_name());	/* 63 bytes: the longest */
	memset(name + strlen(name), 'y', 63 - strlen(name));
	name[63] = 0;
	CHECK_OK(kipc_listen(name, NULL, &l));
	kipc_listener_close(l);

	opts_init(&o);
	o.size = 0;
	CHECK_EQ(kipc_listen(new_name(), &o, &l), -EINVAL);
	o.size = sizeof(o.size) - 1;
	CHECK_EQ(kipc_listen(new_name(), &o, &l), -EINVAL);
#define BAD_OPT(field, val) do {					\
		opts_init(&o);						\
		o.field = val;						\
		CHECK_EQ(kipc_listen(new_name(), &o, &l), -EINVAL);	\
		CHECK_EQ(kipc_connect(new_name(), &o, &c), -EINVAL);	\
	} while (0)
	BAD_OPT(flags, 1);
	BAD_OPT(transport, 9);
	BAD_OPT(ring_bytes, 5000);
	BAD_OPT(ring_bytes, 2048);
	BAD_OPT(mode, 01000);
	BAD_OPT(backlog, -1);
	BAD_OPT(wait_policy, 7);
	BAD_OPT(timeout_ms, -1);
	memset(&big, 0, sizeof(big));
	big.o.size = sizeof(big);
	CHECK_OK(kipc_listen(new_name(), &big.o, &l));
	kipc_listener_close(l);
	big.tail[3] = 1;
	CHECK_EQ(kipc_listen(new_name(), &big.o, &l), -E2BIG);

	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_send(NULL, "x", 1, 0), -EINVAL);
	CHECK_EQ(kipc_send(p.c, NULL, 1, 0), -EINVAL);
	CHECK_EQ(kipc_send(p.c, "x", 0, 0), -EINVAL);
	CHECK_EQ(kipc_send(p.c, "x", 1, 0x100), -EINVAL);
	CHECK_EQ(kipc_recv(p.s, name, sizeof(name), KIPC_MORE), -EINVAL);
	CHECK_EQ(kipc_recv(p.s, NULL, 10, 0), -EINVAL);
	CHECK_EQ(kipc_recv(NULL, name, 10, 0), -EINVAL);
	CHECK_EQ(kipc_peek(p.s, NULL, 0), -EINVAL);
	CHECK_EQ(kipc_peek(p.s, &cp, KIPC_MORE), -EINVAL);
	CHECK_EQ(kipc_release(p.s), -EINVAL);
	CHECK_EQ(kipc_commit(p.c, 1, 0), -EINVAL);
	CHECK_EQ(kipc_reserve(p.c, 0, &vp, 0), -EINVAL);
	CHECK_EQ(kipc_reserve(p.c, 1, NULL, 0), -EINVAL);
	CHECK_EQ(kipc_reserve(p.c, 1, &vp, KIPC_MORE), -EINVAL);
	CHECK_EQ(kipc_flush(p.c, KIPC_NONBLOCK), -EINVAL);
	CHECK_EQ(kipc_set_wait(p.c, 9, 0), -EINVAL);
	CHECK_EQ(kipc_set_wait(NULL, 0, 0), -EINVAL);
	CHECK_EQ(kipc_fd(NULL), -EINVAL);
	CHECK_EQ(kipc_peer_cred(NULL, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(kipc_transport(NULL), -EINVAL);
	CHECK_EQ(kipc_msg_max(NULL), -EINVAL);
	CHECK_EQ(kipc_accept(p.l, NULL, 0), -EINVAL);
	CHECK_EQ(kipc_accept(p.l, &c, 0x10), -EINVAL);
	CHECK_EQ(kipc_listener_fd(NULL), -EINVAL);
	CHECK_EQ(kipc_prep_poll(NULL, p.c, POLLIN), -EINVAL);
	CHECK_EQ(kipc_prep_kick(NULL, p.c), -EINVAL);
	CHECK(kipc_strerror(-EBADMSG) && kipc_strerror(12345));
	kipc_close(NULL);
	kipc_listener_close(NULL);
	/* Still fine after all that. */
	send_ok(p.c, "z", 1);
	recv_is(p.s, "z", 1);
	pair_close(&p);

	setenv("KIPC_TRANSPORT", "bogus", 1);
	CHECK_EQ(kipc_listen(new_name(), NULL, &l), -EINVAL);
	CHECK_EQ(kipc_connect(new_name(), NULL, &c), -EINVAL);
}

static void t_env_transport(void)
{
	struct kipc_opts o;
	struct pair p;

	setenv("KIPC_TRANSPORT", "uds", 1);
	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_transport(p.c), KIPC_TRANSPORT_UDS);
	pair_close(&p);
	setenv("KIPC_TRANSPORT", "shm", 1);
	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_transport(p.c), KIPC_TRANSPORT_SHM);
	pair_close(&p);
	/* The option wins over the environment. */
	setenv("KIPC_TRANSPORT", "uds", 1);
	opts_init(&o);
	o.transport = KIPC_TRANSPORT_SHM;
	pair_open(&p, &o, &o);
	CHECK_EQ(kipc_transport(p.c), KIPC_TRANSPORT_SHM);
	pair_close(&p);
	setenv("KIPC_TRANSPORT", "auto", 1);
	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_transport(p.c), have_dev() ? KIPC_TRANSPORT_DEV :
						    KIPC_TRANSPORT_SHM);
	pair_close(&p);
}

static void t_noent(void)
{
	struct kipc_conn *c;

	CHECK_EQ(kipc_connect(new_name(), NULL, &c), -ENOENT);
}

static void t_addrinuse(void)
{
	struct kipc_listener *a, *b;
	const char *n = new_name();

	CHECK_OK(kipc_listen(n, NULL, &a));
	CHECK_EQ(kipc_listen(n, NULL, &b), -EADDRINUSE);
	kipc_listener_close(a);
	CHECK_OK(kipc_listen(n, NULL, &b));	/* the name died with it */
	kipc_listener_close(b);
}

static void t_msgsize(void)
{
	static uint8_t buf[1 << 20];
	const void *q;
	struct pair p;
	ssize_t max;

	pool_init();
	pair_open(&p, NULL, NULL);
	max = kipc_msg_max(p.c);
	CHECK(max > 0);
	CHECK_EQ(kipc_send(p.c, pool, (size_t)max + 1, 0), -EMSGSIZE);
	CHECK_EQ(kipc_send(p.c, pool, SIZE_MAX, 0), -EMSGSIZE);
	CHECK_EQ(kipc_reserve(p.c, (size_t)max + 1, (void **)&q, 0), -EMSGSIZE);
	send_ok(p.c, pool, (size_t)max);	/* the largest fits an empty ring */
	CHECK_EQ(kipc_recv(p.s, buf, (size_t)max - 1, 0), -EMSGSIZE);
	CHECK_EQ(kipc_recv(p.s, buf, 1, 0), -EMSGSIZE);
	CHECK_EQ(kipc_peek(p.s, &q, 0), max);	/* still there */
	CHECK(!memcmp(q, pool, (size_t)max));
	CHECK_EQ(kipc_recv(p.s, buf, (size_t)max, 0), max);
	CHECK(!memcmp(buf, pool, (size_t)max));

	send_ok(p.c, pool + 1, 100);
	send_ok(p.c, pool + 2, 10);
	CHECK_EQ(kipc_recv(p.s, buf, 50, 0), -EMSGSIZE);
	CHECK_EQ(kipc_recv(p.s, buf, 200, 0), 100);
	CHECK(!memcmp(buf, pool + 1, 100));
	CHECK_EQ(kipc_recv(p.s, buf, 10, 0), 10);
	CHECK(!memcmp(buf, pool + 2, 10));
	pair_close(&p);
}

TEST_GROUP(errors,
	{ "bad_args", t_bad_args, 30 },
	{ "env_transport", t_env_transport, 30 },
	{ "noent", t_noent, 30 },
	{ "addrinuse", t_addrinuse, 30 },
	{ "msgsize", t_msgsize, 30 });
