// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The listener: its backlog, a connect that times out, and a listener of
 * every transport serving a client forced to each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "harness.h"

/* A raw client of the listener's socket (the abstract "\0kipc.<name>"). */
static int sock_knock(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, len;

	len = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "kipc.%s", name);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK_OK(connect(fd, (struct sockaddr *)&a,
			 (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				     1 + (size_t)len)));
	return fd;
}

struct cross_arg {
	char name[64];
	int transport;
};

static void cross_child(void *a);

/* Backlog 1: client b's arrival drops pending client a, whose message is
 * in the same batch of listener events: accept must not touch a again.
 */
static void t_accept_backlog(void)
{
	struct pollfd pf = { .events = POLLIN };
	struct kipc_listener *l;
	struct kipc_conn *s = NULL;
	struct cross_arg ca;
	struct kipc_opts o;
	char buf[256];
	pid_t child;
	ssize_t n;
	int a, b;

	opts_init(&o);
	o.transport = env_transport() == KIPC_TRANSPORT_UDS ?
		KIPC_TRANSPORT_UDS : KIPC_TRANSPORT_SHM;
	o.backlog = 1;
	snprintf(ca.name, sizeof(ca.name), "%s", new_name());
	CHECK_OK(kipc_listen(ca.name, &o, &l));
	a = sock_knock(ca.name);
	CHECK_EQ(kipc_accept(l, &s, KIPC_NONBLOCK), -EAGAIN);	/* a: OFFER */
	pf.fd = a;
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	CHECK(recv(a, buf, sizeof(buf), 0) > 0);
	b = sock_knock(ca.name);
	CHECK_EQ(send(a, "x", 1, MSG_NOSIGNAL), 1);	/* after b knocked */
	/* One batch: [socket (b: a is dropped), a's message]. */
	CHECK_EQ(kipc_accept(l, &s, KIPC_NONBLOCK), -EAGAIN);
	n = recv(a, buf, sizeof(buf), MSG_DONTWAIT);	/* a was dropped */
	CHECK(n == 0 || (n < 0 && errno == ECONNRESET));
	pf.fd = b;
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	CHECK(recv(b, buf, sizeof(buf), 0) > 0);	/* b got its OFFER */
	close(a);
	close(b);
	/* And the listener still works. */
	ca.transport = (int)o.transport;
	child = spawn(cross_child, &ca);
	s = accept_one(l, T_MS);
	recv_is(s, "cross", 5);
	send_ok(s, "over", 4);
	CHECK_EQ(reap(child, T_MS), 0);
	kipc_close(s);
	kipc_listener_close(l);
}

static void t_connect_timeout(void)
{
	struct kipc_listener *l;
	struct kipc_opts o;
	struct kipc_conn *c;
	const char *n = new_name();
	int64_t t0;

	if (dev_client())
		skip("dev connects without the listener's help");
	CHECK_OK(kipc_listen(n, NULL, &l));
	opts_init(&o);
	o.timeout_ms = 200;
	t0 = now_ns();
	CHECK_EQ(kipc_connect(n, &o, &c), -ETIMEDOUT);
	CHECK(now_ns() - t0 >= 150000000 && now_ns() - t0 < 5000000000LL);
	kipc_listener_close(l);
	/* A listener that goes away refuses the waiting client. */
	CHECK_EQ(kipc_connect(n, &o, &c), -ENOENT);
}

/* A listener with every transport serves a client forced to each. */

static void cross_child(void *a)
{
	struct cross_arg *ca = a;
	struct kipc_opts o;
	struct kipc_conn *c;

	opts_init(&o);
	o.transport = (unsigned int)ca->transport;
	c = connect_retry(ca->name, &o, T_MS);
	if (ca->transport)
		CHECK_EQ(kipc_transport(c), ca->transport);
	send_ok(c, "cross", 5);
	recv_is(c, "over", 4);
	kipc_close(c);
}

static void t_cross_transport(void)
{
	int ts[] = { KIPC_TRANSPORT_AUTO, KIPC_TRANSPORT_DEV,
		     KIPC_TRANSPORT_SHM, KIPC_TRANSPORT_UDS };
	struct kipc_listener *l;
	struct cross_arg ca;
	struct kipc_conn *s;
	pid_t child;
	size_t i;

	unsetenv("KIPC_TRANSPORT");
	snprintf(ca.name, sizeof(ca.name), "%s", new_name());
	CHECK_OK(kipc_listen(ca.name, NULL, &l));
	for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		if (ts[i] == KIPC_TRANSPORT_DEV && !have_dev())
			continue;
		ca.transport = ts[i];
		child = spawn(cross_child, &ca);
		s = accept_one(l, T_MS);
		CHECK_EQ(kipc_transport(s), ts[i] ? ts[i] : have_dev() ?
			 KIPC_TRANSPORT_DEV : KIPC_TRANSPORT_SHM);
		recv_is(s, "cross", 5);
		send_ok(s, "over", 4);
		CHECK_EQ(reap(child, T_MS), 0);
		kipc_close(s);
	}
	kipc_listener_close(l);
}

TEST_GROUP(listener,
	{ "accept_backlog", t_accept_backlog, 30 },
	{ "connect_timeout", t_connect_timeout, 30 },
	{ "cross_transport", t_cross_transport, 30 });
