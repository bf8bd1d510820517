// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdchan.h"

#define WMEM_MAX	"/proc/sys/net/core/wmem_max"
/* what the kernel keeps for itself out of a socket's send buffer */
#define SKB_OVERHEAD	4096

void fdchan_init(struct fdchan *c, bool stream)
{
	c->role_fd[0][0] = c->role_fd[0][1] = -1;
	c->role_fd[1][0] = c->role_fd[1][1] = -1;
	c->extra_fd = -1;
	c->tx = c->rx = -1;
	c->stream = stream;
}

static void close_unless(int fd, int keep1, int keep2)
{
	if (fd >= 0 && fd != keep1 && fd != keep2)
		close(fd);
}

int fdchan_attach(struct bench_run *r)
{
	struct fdchan *c = r->priv;
	int other = r->role ^ 1;

	if (c->tx < 0)
		c->tx = c->role_fd[r->role][FDCHAN_TX];
	if (c->rx < 0)
		c->rx = c->role_fd[r->role][FDCHAN_RX];
	close_unless(c->role_fd[other][FDCHAN_TX], c->tx, c->rx);
	close_unless(c->role_fd[other][FDCHAN_RX], c->tx, c->rx);
	close_unless(c->extra_fd, c->tx, c->rx);
	if (c->tx < 0 || c->rx < 0)
		return bench_fail(r, "channel has no file descriptors");
	return 0;
}

void fdchan_detach(struct bench_run *r)
{
	struct fdchan *c = r->priv;

	if (c->tx >= 0)
		close(c->tx);
	if (c->rx >= 0 && c->rx != c->tx)
		close(c->rx);
	c->tx = c->rx = -1;
}

void fdchan_teardown(struct bench_run *r)
{
	struct fdchan *c = r->priv;
	int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if (c->role_fd[i][j] >= 0 && (j == 0 || c->role_fd[i][1] != c->role_fd[i][0]))
				close(c->role_fd[i][j]);
	if (c->extra_fd >= 0)
		close(c->extra_fd);
	fdchan_init(c, c->stream);
}

int fdchan_send(struct bench_run *r, const void *buf, size_t len)
{
	struct fdchan *c = r->priv;

	return c->stream ? bench_write_full(r, c->tx, buf, len) : bench_send_msg(r, c->tx, buf, len);
}

int fdchan_recv(struct bench_run *r, void *buf, size_t len)
{
	struct fdchan *c = r->priv;

	return c->stream ? bench_read_full(r, c->rx, buf, len) : bench_recv_msg(r, c->rx, buf, len);
}

const char *fdchan_dgram_size_unsupported(uint64_t size, char *why, size_t len)
{
	long wmem_max = bench_read_sysctl(WMEM_MAX);

	/* SO_SNDBUF is capped at wmem_max and doubled by the kernel */
	if (wmem_max > 0 && size + SKB_OVERHEAD > 2 * (uint64_t)wmem_max) {
		snprintf(why, len, "a %llu-byte datagram exceeds the send buffer limit; "
			 "raise net.core.wmem_max", (unsigned long long)size);
		return why;
	}
	return NULL;
}

/* Make room for one message of r->p->size in each direction. */
int fdchan_size_sockets(struct bench_run *r, int fd)
{
	int want = (int)(r->p->size + SKB_OVERHEAD), have = 0;
	socklen_t len = sizeof(have);

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &len))
		return bench_fail(r, "getsockopt(SO_SNDBUF): %s", strerror(errno));
	if (have >= want)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want)))
		return bench_fail(r, "setsockopt(SO_SNDBUF %d): %s", want, strerror(errno));
	return 0;
}

int fdchan_socketpair(struct bench_run *r, int type, bool stream)
{
	struct fdchan *c = r->priv;
	int sv[2];

	fdchan_init(c, stream);
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv))
		return bench_fail(r, "socketpair: %s", strerror(errno));
	c->role_fd[BENCH_ROLE_A][FDCHAN_TX] = c->role_fd[BENCH_ROLE_A][FDCHAN_RX] = sv[0];
	c->role_fd[BENCH_ROLE_B][FDCHAN_TX] = c->role_fd[BENCH_ROLE_B][FDCHAN_RX] = sv[1];
	if (!stream && (fdchan_size_sockets(r, sv[0]) || fdchan_size_sockets(r, sv[1]))) {
		fdchan_teardown(r);
		return -1;
	}
	return 0;
}
