// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The socket handshake of the shm and uds transports (lib/sock.c, with
 * lib/shm.c's check of the client's memfd), from either side of it:
 *
 *   mode 0  server: a client's SETUP, with the fds it passes, into
 *           kipc__sock_pending_ready() (wire_recv, the SETUP checks and
 *           caps, kipc__shm_adopt() on a memfd the input shapes, the
 *           server's own memfd, the bells);
 *   mode 1  client, shm: the server's reply (READY + {memfd, 2 bells},
 *           REJECT ...) to shm_client()'s SETUP, kipc__shm_adopt() on the
 *           server's memfd;
 *   mode 2  client, uds: the same for uds_client();
 *   mode 3  client from the start: kipc__sock_connect() against a listening
 *           socket whose accepting thread sends the input's OFFER and reply.
 *
 * sock.c's parsers are static, so it is compiled into this file; nothing
 * in it is changed. Every fd either side ends up with is closed, so that a
 * leak would show as EMFILE (and ASan's leak check covers the memory).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "../sock.c"
#include "fuzz.h"

#define RING_BYTES	4096U	/* KIPC_RING_MIN: small mappings, fast runs */
#define MAX_SEND_FDS	4

/* Kinds of fd the input may pass along with a message. */
enum { FD_MEMFD, FD_EPOLL, FD_EVENTFD, FD_PIPE };

/* A memfd as a peer would build it (its side's OWN view for our ring
 * sizes, both the same here: the index page, then its ring's data), then
 * bent by the input: size, seals and patched index-page bytes.
 * flags: bit 0 size off by a multiple of 64; bits 1, 2, 4, 5 drop
 * F_SEAL_SHRINK, _GROW, _FUTURE_WRITE, _SEAL; bit 3 adds F_SEAL_WRITE.
 */
static int make_memfd(struct fuzz_in *in)
{
	uint64_t size = (uint64_t)sysconf(_SC_PAGESIZE) + RING_BYTES;
	unsigned int flags = (unsigned int)fuzz_take(in, 1), i, npatch;
	uint8_t idx[sizeof(struct kipc_index_page)];
	int fd, seals = 0;

	memset(idx, 0, sizeof(idx));
	npatch = (unsigned int)fuzz_take(in, 1) % 8;
	for (i = 0; i < npatch; i++) {
		unsigned int off = (unsigned int)fuzz_take(in, 1) % sizeof(idx);

		idx[off] = (uint8_t)fuzz_take(in, 1);
	}
	if (flags & 1)
		size += (int8_t)fuzz_take(in, 1) * 64;
	fd = memfd_create("kipc-fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    pwrite(fd, idx, sizeof(idx), 0) != (ssize_t)sizeof(idx)) {
		close(fd);
		return -1;
	}
	if (!(flags & 2))
		seals |= F_SEAL_SHRINK;
	if (!(flags & 4))
		seals |= F_SEAL_GROW;
	if (flags & 8)
		seals |= F_SEAL_WRITE;
	if (!(flags & 16))
		seals |= F_SEAL_FUTURE_WRITE;
	if (!(flags & 32))
		seals |= F_SEAL_SEAL;
	if (seals)
		fcntl(fd, F_ADD_SEALS, seals);
	return fd;
}

static int make_fd(struct fuzz_in *in, int kind)
{
	int p[2], fd;

	switch (kind) {
	case FD_MEMFD:
		return make_memfd(in);
	case FD_EPOLL:
		return epoll_create1(EPOLL_CLOEXEC);
	case FD_EVENTFD:
		return eventfd(0, EFD_CLOEXEC);
	default:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		fd = p[fuzz_take(in, 1) & 1];
		close(p[fd == p[0] ? 1 : 0]);
		return fd;
	}
}

/* One message of the input's: length, bytes (a kipc_wire or not), fds. */
static void send_msg(int sock, struct fuzz_in *in)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_SEND_FDS)];
		struct cmsghdr align;
	} u;
	uint8_t msg[2 * sizeof(struct kipc_wire)];
	/* bits 0-2: how many fds; 3-4, 5-6, ...: the kind of each */
	unsigned int fdspec = (unsigned int)fuzz_take(in, 2), nfds, i;
	size_t len = (size_t)fuzz_take(in, 1) % (sizeof(msg) + 1);
	struct iovec iov = { .iov_base = msg, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[MAX_SEND_FDS], n = 0;
	struct cmsghdr *cm;

	fuzz_bytes(in, msg, len);
	nfds = fdspec % (MAX_SEND_FDS + 1);
	for (i = 0; i < nfds; i++) {
		int fd = make_fd(in, (int)((fdspec >> (3 + 2 * i)) & 3));

		if (fd >= 0)
			fds[n++] = fd;
	}
	if (n) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	sendmsg(sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	close_fds(fds, n);
}

/* Read and drop whatever the side under test sent, fds included. */
static void drain(int sock)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct kipc_wire w;
	struct iovec iov = { .iov_base = &w, .iov_len = sizeof(w) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	for (;;) {
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		if (recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return;
		for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_RIGHTS)
				close_fds((int *)CMSG_DATA(cm),
					  (int)((cm->cmsg_len - CMSG_LEN(0)) /
						sizeof(int)));
	}
}

static void cfg_init(struct kipc_cfg *cfg, int transport)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->transport = transport;
	cfg->mode = KIPC_MODE_DEFAULT;
	cfg->timeout_ms = 200;
	cfg->wait_policy = KIPC_WAIT_SLEEP;
}

static void fuzz_server(struct fuzz_in *in)
{
	struct kipc_listener l;
	struct kipc_pending *p;
	struct kipc_conn *c = NULL;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	memset(&l, 0, sizeof(l));
	cfg_init(&l.cfg, KIPC_TRANSPORT_AUTO);
	l.dev_fd = l.sock_fd = -1;
	l.transports = (1U << KIPC_TRANSPORT_SHM) | (1U << KIPC_TRANSPORT_UDS);
	l.ring_bytes = RING_BYTES;
	l.epfd = epoll_create1(EPOLL_CLOEXEC);
	p = calloc(1, sizeof(*p));
	if (l.epfd < 0 || !p) {
		free(p);
		close(sv[0]);
		goto out;
	}
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	p->fd = sv[0];
	p->uds_max = (uint32_t)fuzz_take(in, 2);
	p->deadline_ns = kipc__now_ns() + KIPC_PENDING_NS;
	l.pending = p;
	l.npending = 1;
	kipc__epoll_add(l.epfd, p->fd, EPOLLIN, (uint64_t)(uintptr_t)p);
	send_msg(sv[1], in);
	if (!kipc__sock_pending_ready(&l, p, &c))
		kipc_close(c);
	else if (l.pending)
		kipc__pending_drop(&l, p);	/* nothing read: still pending */
	FUZZ_CHECK(!l.pending && !l.npending);
out:
	drain(sv[1]);
	close(sv[1]);
	if (l.epfd >= 0)
		close(l.epfd);
}

static void fuzz_client_reply(struct fuzz_in *in, bool shm)
{
	const uint32_t rb[2] = { RING_BYTES, RING_BYTES };
	struct kipc_conn *c = NULL;
	struct kipc_cfg cfg;
	bool sent = false;
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	cfg_init(&cfg, shm ? KIPC_TRANSPORT_SHM : KIPC_TRANSPORT_UDS);
	send_msg(sv[1], in);		/* queued ahead of the client's SETUP */
	shutdown(sv[1], SHUT_WR);	/* then end-of-stream, never a wait */
	if (shm)
		ret = shm_client(sv[0], &cfg, rb, 0, kipc__deadline(200), &c,
				 &sent);
	else
		ret = uds_client(sv[0], &cfg, rb, (uint32_t)fuzz_take(in, 4),
				 kipc__deadline(200), &c);
	FUZZ_CHECK(ret <= 0 && (ret || c));
	if (!ret)
		kipc_close(c);		/* owns sv[0] */
	else
		close(sv[0]);
	drain(sv[1]);
	close(sv[1]);
}

/* mode 3: the listening end, accepting one client in a thread. */
static int listen_fd = -1;
static char listen_name[64];

struct server_arg {
	struct fuzz_in *in;
	int fd;
};

static void *serve_one(void *arg)
{
	struct server_arg *a = arg;

	a->fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (a->fd >= 0) {
		send_msg(a->fd, a->in);		/* OFFER, or not */
		send_msg(a->fd, a->in);		/* the reply to SETUP */
		shutdown(a->fd, SHUT_WR);
	}
	return NULL;
}

static void fuzz_connect(struct fuzz_in *in)
{
	struct server_arg a = { in, -1 };
	struct kipc_conn *c = NULL;
	struct kipc_cfg cfg;
	struct sockaddr_un sa;
	socklen_t len;
	pthread_t t;

	if (listen_fd < 0) {
		snprintf(listen_name, sizeof(listen_name), "fuzz-%d", getpid());
		if (kipc__sock_addr(listen_name, &sa, &len))
			return;
		listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, len) ||
		    listen(listen_fd, 4)) {
			if (listen_fd >= 0)
				close(listen_fd);
			listen_fd = -1;
			return;
		}
	}
	cfg_init(&cfg, (int)(fuzz_take(in, 1) % 4));
	if (pthread_create(&t, NULL, serve_one, &a))
		return;
	if (!kipc__sock_connect(listen_name, &cfg, false, &c))
		kipc_close(c);
	pthread_join(t, NULL);
	if (a.fd >= 0) {
		drain(a.fd);
		close(a.fd);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	switch (fuzz_take(&in, 1) % 4) {
	case 0:
		fuzz_server(&in);
		break;
	case 1:
		fuzz_client_reply(&in, true);
		break;
	case 2:
		fuzz_client_reply(&in, false);
		break;
	default:
		fuzz_connect(&in);
		break;
	}
	return 0;
}
