// SPDX-License-Identifier: GPL-2.0
/* Blocking fd I/O shared by the pipe, FIFO and socket mechanisms. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

int bench_write_full(struct bench_run *r, int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return bench_fail(r, "write: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int bench_read_full(struct bench_run *r, int fd, void *buf, size_t len)
{
	size_t want = len;
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return bench_fail(r, "read: %s", strerror(errno));
		}
		if (n == 0)
			return bench_fail(r, "peer closed after %zu of %zu bytes", want - len, want);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Message-preserving sockets: one call moves the whole message or fails. */
int bench_send_msg(struct bench_run *r, int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = send(fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return bench_fail(r, "send %zu bytes: %s", len, strerror(errno));
	if ((size_t)n != len)
		return bench_fail(r, "send moved %zd of %zu bytes", n, len);
	return 0;
}

int bench_recv_msg(struct bench_run *r, int fd, void *buf, size_t len)
{
	ssize_t n;

	/* MSG_TRUNC returns the real length, so an oversized message is caught */
	do
		n = recv(fd, buf, len, MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return bench_fail(r, "recv: %s", strerror(errno));
	if (n == 0)
		return bench_fail(r, "peer closed");
	if ((size_t)n != len)
		return bench_fail(r, "received a %zd-byte message, expected %zu", n, len);
	return 0;
}

/*
 * What crosses the socket with a descriptor: 'F' when it rides in
 * SCM_RIGHTS; 'P' with our pid and fd number when the kernel refuses to
 * pass it (io_uring fds since Linux 6.7), for the peer's pidfd_getfd().
 */
struct fd_offer {
	char kind;
	int32_t pid;
	int32_t fd;
};

int bench_send_fd(struct bench_run *r, int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct fd_offer offer = { .kind = 'F', .pid = (int32_t)getpid(), .fd = fd };
	struct iovec iov = { .iov_base = &offer, .iov_len = sizeof(offer) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) == sizeof(offer))
		return 0;
	if (errno != EINVAL)
		return bench_fail(r, "sendmsg(SCM_RIGHTS): %s", strerror(errno));
	offer.kind = 'P';
	msg.msg_control = NULL;
	msg.msg_controllen = 0;
	if (sendmsg(sock, &msg, 0) != sizeof(offer))
		return bench_fail(r, "sendmsg: %s", strerror(errno));
	return 1;
}

int bench_recv_fd(struct bench_run *r, int sock, bool *via_pidfd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct fd_offer offer;
	struct iovec iov = { .iov_base = &offer, .iov_len = sizeof(offer) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd, pidfd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != sizeof(offer))
		return bench_fail(r, "recvmsg(SCM_RIGHTS): %s", errno ? strerror(errno) : "short");
	*via_pidfd = offer.kind == 'P';
	if (offer.kind == 'P') {
		pidfd = (int)syscall(SYS_pidfd_open, offer.pid, 0);
		if (pidfd < 0)
			return bench_fail(r, "pidfd_open: %s", strerror(errno));
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, offer.fd, 0);
		close(pidfd);
		if (fd < 0)
			return bench_fail(r, "the kernel refuses this fd in SCM_RIGHTS and "
					  "pidfd_getfd failed: %s", strerror(errno));
		return fd;
	}
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return bench_fail(r, "recvmsg: no file descriptor came with the message");
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

long bench_read_sysctl(const char *path)
{
	char buf[64];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}
