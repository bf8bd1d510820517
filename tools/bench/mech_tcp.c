// SPDX-License-Identifier: GPL-2.0
/* TCP over 127.0.0.1 with TCP_NODELAY: role B accepts, role A connects. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdchan.h"

struct tcp_priv {
	struct fdchan ch;		/* first: the fdchan helpers use it */
	struct sockaddr_in addr;
};

static int tcp_setup(struct bench_run *r)
{
	struct tcp_priv *t = r->priv;
	socklen_t len = sizeof(t->addr);
	int fd;

	fdchan_init(&t->ch, true);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return bench_fail(r, "socket(AF_INET): %s", strerror(errno));
	t->ch.extra_fd = fd;
	t->addr.sin_family = AF_INET;
	t->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t->addr.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&t->addr, sizeof(t->addr)) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)&t->addr, &len)) {
		bench_fail(r, "listen on 127.0.0.1: %s", strerror(errno));
		fdchan_teardown(r);
		return -1;
	}
	return 0;
}

static int tcp_attach(struct bench_run *r)
{
	struct tcp_priv *t = r->priv;
	int one = 1, fd;

	if (r->role == BENCH_ROLE_B) {
		fd = accept4(t->ch.extra_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return bench_fail(r, "accept: %s", strerror(errno));
	} else {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return bench_fail(r, "socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&t->addr, sizeof(t->addr))) {
			close(fd);
			return bench_fail(r, "connect 127.0.0.1:%d: %s", ntohs(t->addr.sin_port),
					  strerror(errno));
		}
	}
	t->ch.tx = t->ch.rx = fd;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		return bench_fail(r, "TCP_NODELAY: %s", strerror(errno));
	return fdchan_attach(r);
}

const struct bench_mech bench_mech_tcp = {
	.name = "tcp",
	.group = "sockets",
	.summary = "TCP over loopback 127.0.0.1, TCP_NODELAY",
	.modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct tcp_priv),
	.setup = tcp_setup,
	.teardown = fdchan_teardown,
	.attach = tcp_attach,
	.detach = fdchan_detach,
	.send = fdchan_send,
	.recv = fdchan_recv,
};
