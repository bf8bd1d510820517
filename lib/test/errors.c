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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

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

/*
 * Out of fds: a side that cannot make or receive the fds of the set-up
 * says -EMFILE, and so does its peer, told by REJECT. It used to be
 * -EBADMSG ("corrupted ring": the doorbell check's own probe fd failed),
 * -ECONNREFUSED or -EPROTO (the SETUP or READY fds cut short, taken for a
 * broken peer), and the listener's kipc_accept() said nothing of it but
 * -ETIMEDOUT. Each round gives the short side N fds, from about what it
 * holds before the set-up to enough for it.
 */
struct fd_limit_arg {
	char name[64];
	int sync;		/* the test's end of a socketpair */
	rlim_t limit;
};

/* Keep 0-2 and @keep, as fd 3: the same fds in every round. */
static void fd_keep(int keep)
{
	CHECK_EQ(dup2(keep, 3), 3);
	CHECK_OK(close_range(4, ~0U, 0));
}

/* Accepts until a connection (exit 0) or until the test hangs up on fd 3
 * (EMFILE if an accept said so, else ETIMEDOUT); another error: its errno.
 */
static void short_server(void *a)
{
	struct fd_limit_arg *fa = a;
	struct rlimit rl = { fa->limit, fa->limit };
	struct kipc_listener *l;
	struct pollfd pf[2];
	struct kipc_conn *s;
	bool emfile = false;
	struct kipc_opts o;
	int ret;

	fd_keep(fa->sync);
	opts_init(&o);
	CHECK_OK(kipc_listen(fa->name, &o, &l));
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	CHECK_EQ(write(3, "r", 1), 1);
	pf[0].fd = kipc_listener_fd(l);
	pf[1].fd = 3;
	pf[0].events = pf[1].events = POLLIN;
	for (;;) {
		ret = kipc_accept(l, &s, KIPC_NONBLOCK);
		if (!ret) {
			kipc_close(s);
			_exit(0);
		}
		if (ret == -EMFILE)
			emfile = true;
		else if (ret != -EAGAIN)
			_exit(-ret);
		CHECK(poll(pf, 2, T_MS) > 0);
		if (pf[1].revents)
			_exit(emfile ? EMFILE : ETIMEDOUT);
	}
}

static void short_client(void *a)
{
	struct fd_limit_arg *fa = a;
	struct rlimit rl = { fa->limit, fa->limit };
	struct kipc_conn *c;
	struct kipc_opts o;
	int ret;

	CHECK_OK(close_range(3, ~0U, 0));
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	opts_init(&o);
	o.timeout_ms = 2000;
	ret = kipc_connect(fa->name, &o, &c);
	if (!ret)
		kipc_close(c);
	_exit(-ret);
}

static void t_fd_exhaustion(void)
{
	struct fd_limit_arg fa;
	struct kipc_listener *l;
	struct kipc_conn *c, *s;
	struct kipc_opts o;
	int sv[2], ret, st, shortages = 0;
	pid_t pid;
	char ch;

	if (dev_client())
		skip("the socket handshake's fds (dev connects before the accept)");
	opts_init(&o);
	o.timeout_ms = 2000;
	/* The listener short of fds: with 7 it holds 0-3, its two and an
	 * accepted socket.
	 */
	for (fa.limit = 7; fa.limit <= 24; fa.limit++) {
		snprintf(fa.name, sizeof(fa.name), "%s", new_name());
		CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
		fa.sync = sv[1];
		pid = spawn(short_server, &fa);
		close(sv[1]);
		CHECK_EQ(read(sv[0], &ch, 1), 1);	/* it listens */
		ret = kipc_connect(fa.name, &o, &c);
		if (!ret)
			kipc_close(c);
		close(sv[0]);
		st = reap(pid, T_MS);
		if (ret != 0 && ret != -EMFILE)
			FAIL("listener with %d fds: kipc_connect = %d (%s)",
			     (int)fa.limit, ret, kipc_strerror(ret));
		/* The listener's accept learnt it too. */
		if (st != -ret)
			FAIL("listener with %d fds: kipc_connect = %d, its accept %d",
			     (int)fa.limit, ret, -st);
		shortages += ret == -EMFILE;
	}
	CHECK_EQ(ret, 0);	/* enough fds, at last */
	if (env_transport() != KIPC_TRANSPORT_UDS)
		CHECK(shortages > 0);

	/* The client short of fds. */
	for (fa.limit = 4; fa.limit <= 20; fa.limit++) {
		snprintf(fa.name, sizeof(fa.name), "%s", new_name());
		CHECK_OK(kipc_listen(fa.name, &o, &l));
		pid = spawn(short_client, &fa);
		/* It may give up before its SETUP: no connection then. */
		ret = kipc_accept_timeout(l, &s, 0, 500);
		CHECK(ret == 0 || ret == -ETIMEDOUT);
		if (!ret)
			kipc_close(s);
		st = reap(pid, T_MS);
		if (st != 0 && st != EMFILE)
			FAIL("client with %d fds: kipc_connect = %d (%s)",
			     (int)fa.limit, -st, kipc_strerror(-st));
		kipc_listener_close(l);
	}
	CHECK_EQ(st, 0);
}

TEST_GROUP(errors,
	{ "bad_args", t_bad_args, 30 },
	{ "env_transport", t_env_transport, 30 },
	{ "noent", t_noent, 30 },
	{ "addrinuse", t_addrinuse, 30 },
	{ "msgsize", t_msgsize, 30 },
	{ "fd_exhaustion", t_fd_exhaustion, 60 });
