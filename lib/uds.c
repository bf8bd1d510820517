// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The uds transport: one SOCK_SEQPACKET message per kipc message, sent with
 * MSG_NOSIGNAL. The zero-copy calls are emulated with a buffer per
 * direction; a received message that does not fit the caller's buffer is
 * kept in the receive buffer ("left in place") for the next call. The
 * kernel does the waiting, so the wait policy does not apply.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

/* Make the send buffer big enough for the ring's largest message (never
 * smaller than it was); the limit we can send is what it then allows (the
 * kernel refuses len > sk_sndbuf - 32).
 */
uint32_t kipc__uds_tx_max(int sock, uint32_t ring_bytes)
{
	uint32_t max = KIPC_MSG_MAX(ring_bytes);
	socklen_t l = sizeof(int);
	int sz = 0, want;

	if (max > KIPC_UDS_MSG_MAX)
		max = KIPC_UDS_MSG_MAX;
	want = (int)max + 65536;	/* the kernel doubles it */
	if (getsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sz, &l) == 0 &&
	    sz < 2 * want)
		setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	l = sizeof(int);
	if (getsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sz, &l) == 0 && sz > 64 &&
	    (uint32_t)sz - 64 < max)
		max = (uint32_t)sz - 64;
	return max;
}

int kipc__uds_setup(struct kipc_conn *c, int sock, uint32_t tx_max,
		    uint32_t rx_max)
{
	int fl = fcntl(sock, F_GETFL);

	c->fd = c->poll_fd = sock;
	/* Blocking calls block in the kernel; the rest use MSG_DONTWAIT. */
	if (fl < 0 || fcntl(sock, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return -errno;
	c->tx.max = tx_max;
	c->rx.max = rx_max;
	kipc__conn_ready(c);
	return 0;
}

static int uds_wait(struct kipc_conn *c, short events, int64_t deadline)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int n = poll(&p, 1, kipc__ms_left(deadline));

	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

/* Without a timeout a blocking call blocks in send/recv itself; with one,
 * it polls first and then does a non-blocking call.
 */
static int uds_msg_flags(unsigned int flags, int timeout_ms)
{
	return (flags & KIPC_NONBLOCK) || timeout_ms >= 0 ? MSG_DONTWAIT : 0;
}

static ssize_t uds_xmit(struct kipc_conn *c, const void *buf, size_t len,
			unsigned int flags, int timeout_ms)
{
	int64_t deadline = kipc__deadline(timeout_ms);
	int mf = MSG_NOSIGNAL | uds_msg_flags(flags, timeout_ms);
	ssize_t n;
	int ret;

	for (;;) {
		n = send(c->fd, buf, len, mf);
		if (n >= 0)
			return n;
		ret = -errno;
		if (ret == -EPIPE || ret == -ECONNRESET) {
			kipc__set_gone(c);
			return -EPIPE;
		}
		if (ret != -EAGAIN || (flags & KIPC_NONBLOCK))
			return ret;
		if (!timeout_ms)
			return -ETIMEDOUT;
		ret = uds_wait(c, POLLOUT, deadline);
		if (ret)
			return ret;
	}
}

/*
 * recvmsg() gave 0: end-of-stream or a zero-length message, which a
 * SOCK_SEQPACKET socket cannot tell apart. libkipc never sends an empty
 * message, so it is end-of-stream only when the peer has hung up and
 * nothing more is queued; anything else is a peer breaking the protocol
 * (-EBADMSG, for good), never a fake end-of-stream.
 */
static ssize_t uds_rx_zero(struct kipc_conn *c)
{
	struct pollfd pf = { .fd = c->fd, .events = POLLRDHUP };
	int queued = 0;

	if (poll(&pf, 1, 0) == 1 && pf.revents & (POLLRDHUP | POLLHUP) &&
	    !ioctl(c->fd, FIONREAD, &queued) && !queued) {
		kipc__set_gone(c);
		return 0;
	}
	return kipc__broken(c, -EBADMSG);
}

/* One message into @iov; 0 at end-of-stream. Sets *trunc if it did not fit. */
static ssize_t uds_rx(struct kipc_conn *c, struct iovec *iov, int cnt,
		      unsigned int flags, int timeout_ms, bool *trunc)
{
	int64_t deadline = kipc__deadline(timeout_ms);
	/* Room for every fd a peer can attach (a kernel without
	 * SO_PASSRIGHTS lets it): without it the kernel would release them
	 * in our task, where a lingering socket's close blocks us; we close
	 * them ourselves (sock.c, "Fds from a peer").
	 */
	union {
		char buf[KIPC_SCM_BUF];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)cnt };
	int mf = uds_msg_flags(flags, timeout_ms) | MSG_CMSG_CLOEXEC;
	ssize_t n;
	int ret;

	for (;;) {
		m.msg_flags = 0;
		m.msg_control = c->fds_barred ? NULL : u.buf;
		m.msg_controllen = c->fds_barred ? 0 : sizeof(u.buf);
		n = recvmsg(c->fd, &m, mf);
		if (n >= 0)
			kipc__scm_close(&m);
		if (n > 0) {
			*trunc = m.msg_flags & MSG_TRUNC;
			return n;
		}
		ret = n ? -errno : 0;
		if (!ret)
			return uds_rx_zero(c);
		/* The peer closed with messages from us unread: the socket's
		 * error comes first, ahead of the messages it had sent us,
		 * and reading it clears it. End-of-stream is the 0 after
		 * them.
		 */
		if (ret == -ECONNRESET) {
			kipc__set_gone(c);
			continue;
		}
		if (ret != -EAGAIN || (flags & KIPC_NONBLOCK))
			return ret;
		if (!timeout_ms)
			return -ETIMEDOUT;
		ret = uds_wait(c, POLLIN, deadline);
		if (ret)
			return ret;
	}
}

static int uds_rxbuf(struct kipc_rx *rx)
{
	if (!rx->buf) {
		rx->buf = malloc(rx->max ? rx->max : 1);
		if (!rx->buf)
			return -ENOMEM;
	}
	return 0;
}

static ssize_t uds_send(struct kipc_conn *c, const void *buf, size_t len,
		       unsigned int flags, int timeout_ms)
{
	if (!len)
		return -EINVAL;
	if (len > c->tx.max)
		return -EMSGSIZE;
	return uds_xmit(c, buf, len, flags, timeout_ms);
}

static ssize_t uds_recv(struct kipc_conn *c, void *buf, size_t cap,
		       unsigned int flags, int timeout_ms)
{
	struct kipc_rx *rx = &c->rx;
	struct iovec iov[2];
	bool trunc = false;
	ssize_t n;
	int ret;

	if (rx->held) {
		if (rx->held > cap)
			return -EMSGSIZE;
		memcpy(buf, rx->buf, rx->held);
		n = rx->held;
		rx->held = 0;
		rx->peeked = false;
		return n;
	}
	if (kipc__conn_state(c) & KIPC_CONN_BROKEN)
		return -EBADMSG;
	/* Straight into the caller's buffer; what overflows it lands in ours. */
	iov[0].iov_base = buf;
	iov[0].iov_len = cap;
	if (cap < rx->max) {
		ret = uds_rxbuf(rx);
		if (ret)
			return ret;
		iov[1].iov_base = rx->buf;
		iov[1].iov_len = rx->max;
	}
	n = uds_rx(c, iov, cap < rx->max ? 2 : 1, flags, timeout_ms, &trunc);
	if (n <= 0)
		return n;
	if ((size_t)n <= cap && !trunc)
		return n;
	if (trunc || (size_t)n > rx->max) {
		/* larger than the peer said it sends */
		return kipc__broken(c, -EBADMSG);
	}
	memmove(rx->buf + cap, rx->buf, (size_t)n - cap);
	memcpy(rx->buf, buf, cap);
	rx->held = (uint32_t)n;
	return -EMSGSIZE;
}

static ssize_t uds_peek(struct kipc_conn *c, const void **buf,
		       unsigned int flags, int timeout_ms)
{
	struct kipc_rx *rx = &c->rx;
	struct iovec iov;
	bool trunc = false;
	ssize_t n;
	int ret;

	if (!rx->held) {
		if (kipc__conn_state(c) & KIPC_CONN_BROKEN)
			return -EBADMSG;
		ret = uds_rxbuf(rx);
		if (ret)
			return ret;
		iov.iov_base = rx->buf;
		iov.iov_len = rx->max;
		n = uds_rx(c, &iov, 1, flags, timeout_ms, &trunc);
		if (n <= 0)
			return n;
		if (trunc)
			return kipc__broken(c, -EBADMSG);
		rx->held = (uint32_t)n;
	}
	rx->peeked = true;
	*buf = rx->buf;
	return rx->held;
}

static int uds_release(struct kipc_conn *c)
{
	if (!c->rx.peeked || !c->rx.held)
		return -EINVAL;
	c->rx.held = 0;
	c->rx.peeked = false;
	return 0;
}

static int uds_reserve(struct kipc_conn *c, size_t len, void **buf)
{
	struct kipc_tx *tx = &c->tx;

	if (!len)
		return -EINVAL;
	if (len > tx->max)
		return -EMSGSIZE;
	if (kipc__conn_state(c) & KIPC_CONN_GONE)
		return -EPIPE;
	if (!tx->buf) {
		tx->buf = malloc(tx->max);
		if (!tx->buf)
			return -ENOMEM;
	}
	tx->open = true;
	tx->open_len = (uint32_t)len;
	*buf = tx->buf;
	return 0;
}

/* The send happens here; with KIPC_NONBLOCK, -EAGAIN keeps the reservation. */
static int uds_commit(struct kipc_conn *c, size_t len, unsigned int flags)
{
	struct kipc_tx *tx = &c->tx;
	ssize_t n;

	if (!tx->open || len > tx->open_len)
		return -EINVAL;
	if (!len) {
		tx->open = false;
		return 0;
	}
	n = uds_xmit(c, tx->buf, len, flags, -1);
	if (n == -EAGAIN)
		return (int)n;
	tx->open = false;
	return n < 0 ? (int)n : 0;
}

static void uds_free(struct kipc_conn *c)
{
	kipc__sock_close(c);	/* unread messages may carry fds */
	free(c->tx.buf);
	free(c->rx.buf);
}

static const struct kipc_msg_ops uds_msg_ops = {
	.send = uds_send,
	.recv = uds_recv,
	.reserve = uds_reserve,
	.commit = uds_commit,
	.peek = uds_peek,
	.release = uds_release,
};

const struct kipc_ops kipc__uds_ops = {
	.transport = KIPC_TRANSPORT_UDS,
	.free = uds_free,
	.msg = &uds_msg_ops,
};
