// SPDX-License-Identifier: MIT
/*
 * epoll_server: one thread serves many kipc connections with epoll.
 *
 *   epoll_server server NAME [CLIENTS]  serve (exit after CLIENTS clients)
 *   epoll_server client NAME [MSGS]     send MSGS messages, check each echo
 *   epoll_server selftest               a server and 8 clients
 *
 * The pattern: every fd in epoll edge-triggered (kipc_listener_fd() and
 * kipc_fd() of each connection, with the events kipc_poll_events() says to
 * wait for), and on each wake-up call accept or recv until -EAGAIN. The
 * -EAGAIN is what arms the doorbell that makes the fd ready again.
 */
#include <poll.h>
#include <sys/epoll.h>

#include "common.h"

#define MAX_EVENTS	16

static int serve_conn(struct kipc_conn *c)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = kipc_recv(c, buf, sizeof(buf), KIPC_NONBLOCK);
		if (n == -EAGAIN)
			return 0;	/* armed: epoll tells us when there is more */
		if (n <= 0)
			return n ? (int)n : 1;	/* 1: end-of-stream */
		ex_upper(buf, (size_t)n);
		/* The client reads each reply before it sends again, so
		 * there is room; a bounded wait keeps a stuck client from
		 * stalling the others for long.
		 */
		n = kipc_send_timeout(c, buf, (size_t)n, 0, 1000);
		if (n < 0)
			return (int)n;
	}
}

static int serve(const char *name, int clients)
{
	struct epoll_event ev, evs[MAX_EVENTS];
	struct kipc_opts o = KIPC_OPTS_INIT;
	struct kipc_listener *l;
	struct kipc_conn *c;
	int ep, ret, i, n, done = 0;

	o.mode = 0666;
	ret = kipc_listen(name, &o, &l);
	if (ret < 0) {
		fprintf(stderr, "listen %s: %s\n", name, kipc_strerror(ret));
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return 1;
	ev.events = EPOLLIN | EPOLLET;
	ev.data.ptr = NULL;	/* NULL: the listener */
	epoll_ctl(ep, EPOLL_CTL_ADD, kipc_listener_fd(l), &ev);

	while (!clients || done < clients) {
		n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			if (!evs[i].data.ptr) {
				while ((ret = kipc_accept(l, &c, KIPC_NONBLOCK)) == 0) {
					ev.events = (uint32_t)kipc_poll_events(c, POLLIN) | EPOLLET;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, kipc_fd(c), &ev);
					/* Messages may be there already. */
					if (serve_conn(c)) {
						epoll_ctl(ep, EPOLL_CTL_DEL, kipc_fd(c), NULL);
						kipc_close(c);
						done++;
					}
				}
				continue;
			}
			c = evs[i].data.ptr;
			ret = serve_conn(c);
			if (ret) {
				if (ret < 0)
					fprintf(stderr, "server: %s\n", kipc_strerror(ret));
				epoll_ctl(ep, EPOLL_CTL_DEL, kipc_fd(c), NULL);
				kipc_close(c);
				done++;
			}
		}
	}
	close(ep);
	kipc_listener_close(l);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "server"))
		return serve(argv[2], argc > 3 ? atoi(argv[3]) : 0);
	if (argc >= 3 && !strcmp(argv[1], "client"))
		return ex_echo_client(argv[2], argc > 3 ? atoi(argv[3]) : 100, 1) ? 1 : 0;
	if (argc == 2 && !strcmp(argv[1], "selftest"))
		return ex_selftest("epoll_server", serve, 8, 200);
	fprintf(stderr, "usage: %s server NAME [CLIENTS] | client NAME [MSGS] | selftest\n",
		argv[0]);
	return 2;
}
