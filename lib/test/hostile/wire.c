// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The shm handshake spoken raw: wire.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/kipc.h>

#include "../harness.h"
#include "internal.h"
#include "wire.h"

int raw_connect(const char *name, struct kipc_wire *offer)
{
	struct sockaddr_un a;
	struct pollfd pf;
	socklen_t len;
	int fd;

	CHECK_OK(kipc__sock_addr(name, &a, &len));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK_OK(connect(fd, (struct sockaddr *)&a, len));
	pf.fd = fd;
	pf.events = POLLIN;
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	CHECK_EQ(recv(fd, offer, sizeof(*offer), 0), (long)sizeof(*offer));
	CHECK_EQ(offer->type, KIPC_WIRE_OFFER);
	return fd;
}

ssize_t raw_sendmsg(int fd, const void *msg, size_t len, const int *fds,
		    int nfds)
{
	union {
		char buf[KIPC_SCM_BUF];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	CHECK(nfds >= 0 && nfds <= KIPC_SCM_MAX_FD);
	if (nfds) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	return sendmsg(fd, &m, MSG_NOSIGNAL);
}

void raw_send(int fd, const void *msg, size_t len, const int *fds,
		     int nfds)
{
	CHECK_EQ(raw_sendmsg(fd, msg, len, fds, nfds), (long)len);
}

/* The server's answer: REJECT or hang-up, never READY. */
void raw_refused(int fd)
{
	struct kipc_wire w;
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	ssize_t n;

	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	n = recv(fd, &w, sizeof(w), 0);
	CHECK(n == 0 || (n == sizeof(w) && w.type == KIPC_WIRE_REJECT &&
			 w.status < 0));
	close(fd);
}

/* The server's answer: REJECT with @err. */
void raw_rejected(int fd, int err)
{
	struct kipc_wire w;
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	CHECK_EQ(recv(fd, &w, sizeof(w), 0), (long)sizeof(w));
	CHECK_EQ(w.type, KIPC_WIRE_REJECT);
	CHECK_EQ(w.status, err);
	close(fd);
}

/* Side @side's memfd for the rings of @offer (its OWN view: index page,
 * then the data it sends), @size_delta bytes off, with @seals.
 */
int raw_memfd(const struct kipc_wire *offer, int side, int seals,
		     int size_delta)
{
	size_t size = (size_t)sysconf(_SC_PAGESIZE) + offer->ring_bytes[side];
	int fd = memfd_create("raw", MFD_ALLOW_SEALING | MFD_CLOEXEC);

	CHECK(fd >= 0);
	CHECK_OK(ftruncate(fd, (off_t)size + size_delta));
	if (seals)
		CHECK_OK(fcntl(fd, F_ADD_SEALS, seals));
	return fd;
}

/* The 1.0 layout an older client sent: one memfd, header and both rings. */
int raw_memfd_1_0(const struct kipc_wire *offer)
{
	uint32_t rb[2] = { offer->ring_bytes[0], offer->ring_bytes[1] };
	size_t size = kipc_layout_map_bytes((uint32_t)sysconf(_SC_PAGESIZE), rb);
	int fd = memfd_create("raw", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	struct kipc_shared_hdr *h;

	CHECK(fd >= 0);
	CHECK_OK(ftruncate(fd, (off_t)size));
	h = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(h != MAP_FAILED);
	kipc_layout_init(h, (uint32_t)sysconf(_SC_PAGESIZE), rb);
	munmap(h, 4096);
	CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));
	return fd;
}

void raw_setup_init(struct kipc_wire *w)
{
	memset(w, 0, sizeof(*w));
	w->magic = KIPC_WIRE_MAGIC;
	w->version = KIPC_WIRE_VERSION;
	w->type = KIPC_WIRE_SETUP;
	w->transports = KIPC_TRANSPORT_SHM;
	w->caps = KIPC_WIRE_CAP_PAGE_ROLES;
}

/* A shm listener for the raw-handshake tests, which talk the wire
 * protocol themselves: skipped on every other transport.
 */
struct kipc_listener *shm_handshake_listener(char *name, size_t len)
{
	struct kipc_listener *l;
	struct kipc_opts o;

	if (env_transport() != KIPC_TRANSPORT_SHM)
		skip("a shm handshake test: run with KIPC_TRANSPORT=shm");
	opts_init(&o);
	o.transport = KIPC_TRANSPORT_SHM;
	snprintf(name, len, "%s", new_name());
	CHECK_OK(kipc_listen(name, &o, &l));
	return l;
}

/* One handshake message with its fds (at most 4). */
void raw_recv(int fd, struct kipc_wire *w, int *fds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = w, .iov_len = sizeof(*w) };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	struct cmsghdr *cm;

	*nfds = 0;
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	CHECK_EQ(recvmsg(fd, &m, MSG_CMSG_CLOEXEC), (long)sizeof(*w));
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		*nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		CHECK(*nfds <= 4);
		memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)*nfds);
	}
}
