// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The uds transport's framing (lib/uds.c): one SOCK_SEQPACKET message per
 * kipc message, a message larger than the caller's buffer left in place,
 * peek/release, and the peer's claimed limit. A hostile peer sends the
 * input's messages (any length, fds attached, then maybe a hang-up); the
 * receiving side is a real uds connection driven through the public calls
 * with the input's buffer sizes. What it returns must fit what it was given.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "fuzz.h"

#define QUEUE_MAX	(48U << 10)	/* stay below the socket buffer */
#define CAP_MAX		(1U << 16)

static void peer_send(int sock, struct fuzz_in *in, size_t *queued)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	size_t len = (size_t)fuzz_take(in, 2) % (CAP_MAX + 1);
	uint8_t *msg = malloc(len ? len : 1);
	struct iovec iov = { .iov_base = msg, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	int fd = -1;

	if (!msg)
		return;
	if (*queued + len > QUEUE_MAX)
		len = iov.iov_len = QUEUE_MAX - *queued;
	fuzz_bytes(in, msg, len);
	if (fuzz_take(in, 1) & 1) {	/* an fd the receiver must not keep */
		fd = dup(0);
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (fd >= 0 || !m.msg_control) {
		if (sendmsg(sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			*queued += len;
	}
	if (fd >= 0)
		close(fd);
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct kipc_conn *c;
	struct kipc_cfg cfg;
	uint32_t rx_max, tx_max;
	size_t queued = 0;
	uint8_t *buf;
	int sv[2], steps = 0;

	rx_max = (uint32_t)fuzz_take(&in, 2) % CAP_MAX + 1;
	tx_max = (uint32_t)fuzz_take(&in, 2) % CAP_MAX + 1;
	buf = malloc(CAP_MAX);
	if (!buf)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		free(buf);
		return 0;
	}
	memset(&cfg, 0, sizeof(cfg));
	c = kipc__conn_alloc(&kipc__uds_ops, KIPC_SIDE_CLIENT, &cfg);
	if (!c || kipc__uds_setup(c, sv[0], tx_max, rx_max)) {
		if (c) {
			c->fd = -1;
			kipc__conn_free(c);
		}
		close(sv[0]);
		close(sv[1]);
		free(buf);
		return 0;
	}
	while (in.left && steps++ < 256) {
		const void *p;
		size_t cap;
		ssize_t n;
		void *w;

		switch (fuzz_take(&in, 1) % 6) {
		case 0:
			peer_send(sv[1], &in, &queued);
			break;
		case 1:
			cap = (size_t)fuzz_take(&in, 2) % (CAP_MAX + 1);
			n = kipc_recv(c, buf, cap, KIPC_NONBLOCK);
			FUZZ_CHECK(n <= (ssize_t)cap);
			break;
		case 2:
			n = kipc_peek(c, &p, KIPC_NONBLOCK);
			FUZZ_CHECK(n <= (ssize_t)rx_max);
			if (n > 0) {
				FUZZ_CHECK(p != NULL);
				memcpy(buf, p, (size_t)n);
			}
			break;
		case 3:
			kipc_release(c);
			break;
		case 4:
			cap = (size_t)fuzz_take(&in, 2) % (CAP_MAX + 1);
			if (!kipc_reserve(c, cap, &w, KIPC_NONBLOCK)) {
				memset(w, 0, cap);
				kipc_commit(c, (size_t)fuzz_take(&in, 2) % (cap + 1),
					    KIPC_NONBLOCK);
			}
			break;
		default:
			if (sv[1] >= 0) {	/* the peer hangs up */
				close(sv[1]);
				sv[1] = -1;
			}
			break;
		}
	}
	kipc_close(c);
	if (sv[1] >= 0)
		close(sv[1]);
	free(buf);
	return 0;
}
