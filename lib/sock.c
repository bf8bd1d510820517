// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The Unix socket under the shm and uds transports: naming, permissions
 * and the handshake (format in internal.h).
 *
 * Names live in the abstract namespace as "\0kipc.<name>": no file is ever
 * created, so nothing is left behind when the users die, kill -9 included.
 * Abstract sockets have no permission bits, so the listener enforces the
 * listener's mode/uid/gid itself, with the driver's rule, on the client's
 * SO_PEERCRED/SO_PEERGROUPS: owner bits if the client's euid owns the
 * listener, group bits if its egid or a supplementary group matches, other
 * bits otherwise; write permission is needed; euid 0 always passes (as
 * CAP_DAC_OVERRIDE does with the driver). A refused client gets a REJECT
 * carrying -EACCES before the socket closes. The abstract namespace is per
 * network namespace, and so are the driver's names: dev, shm and uds agree
 * on who can see a name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

#define WIRE_MAX_FDS	3

int kipc__sock_addr(const char *name, void *addr, socklen_t *len)
{
	struct sockaddr_un *a = addr;
	size_t n = strlen(name), p = sizeof(KIPC_SOCK_PREFIX) - 1;

	if (1 + p + n > sizeof(a->sun_path))
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, KIPC_SOCK_PREFIX, p);
	memcpy(a->sun_path + 1 + p, name, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + p + n);
	return 0;
}

/*
 * Fds from a peer. Closing the last reference to a file can block: a TCP
 * socket with SO_LINGER {1, N} and unsent data waits up to N seconds, and
 * a peer can pass us one (SCM_RIGHTS) and close its own copy. So:
 * - every receive on which a peer can attach fds has a control buffer
 *   with room for as many as a message carries (KIPC_SCM_BUF): fds the
 *   kernel could not hand us it would release in our task instead;
 * - every fd of a peer's that we close, expected or not, is first set to
 *   SO_LINGER {1, 0} if it is a socket (its close then resets at once);
 * - after the handshake, SO_PASSRIGHTS 0 (Linux 6.16) bars fds from the
 *   socket for good, and what was queued before is drained now; without
 *   it, the connection's close drains the socket first (shm.c, uds.c),
 *   since its release would release the fds queued on it.
 * A file whose release blocks for other reasons (FUSE, a hung NFS
 * server), or a socket hidden inside another socket's queue, is not
 * covered: lib/README.md, "Untrusted peer".
 */
void kipc__close_peer_fd(int fd)
{
	static const struct linger abort_close = { 1, 0 };

	/* ENOTSOCK for anything else: one cheap syscall. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close,
		   sizeof(abort_close));
	close(fd);
}

/* Close every fd that came with @m (after recvmsg()). */
void kipc__scm_close(struct msghdr *m)
{
	struct cmsghdr *cm;
	int i, k, fd;

	if (!m->msg_controllen)
		return;
	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < k; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			kipc__close_peer_fd(fd);
		}
	}
}

/*
 * Read and drop up to @max messages queued on @sock, closing their fds.
 * True when it read the queue empty (EAGAIN): nothing is left. It also
 * stops at end-of-stream: a peer that hung up reads as endless empty
 * messages, each a syscall. A read of no bytes and no control data is
 * that, or an empty message the peer sent, and fds may follow it (in
 * messages of no bytes too, so FIONREAD cannot tell). With SO_PASSCRED
 * on, every message read comes with SCM_CREDENTIALS, even one queued
 * before, and end-of-stream still comes with nothing: so at the first
 * such read it is turned on (and off again at the end, so that our
 * sends do not autobind), and the next one is end-of-stream for sure.
 * False then, and at @max or an error.
 */
bool kipc__sock_drain(int sock, int max)
{
	union {
		char buf[KIPC_SCM_BUF + CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	bool emptied = false, creds = false;
	int on = 1, off = 0;
	struct iovec iov;
	struct msghdr m;
	char byte;
	ssize_t n;

	while (max-- > 0) {
		iov.iov_base = &byte;
		iov.iov_len = 1;
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		n = recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EAGAIN) {
				emptied = true;
				break;
			}
			if (errno != ECONNRESET && errno != EINTR)
				break;
			continue;
		}
		if (!n && !m.msg_controllen) {
			if (creds || setsockopt(sock, SOL_SOCKET, SO_PASSCRED,
						&on, sizeof(on)))
				break;		/* end-of-stream */
			creds = true;
			continue;
		}
		kipc__scm_close(&m);
	}
	if (creds)
		setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &off, sizeof(off));
	return emptied;
}

/*
 * The handshake's fds are in: no more from the peer on @sock. Where the
 * kernel has SO_PASSRIGHTS (6.16), a peer's sendmsg() with fds fails from
 * now on; what it queued before is drained here, which must come at a
 * step after which the peer sends nothing until we answer. True if the
 * socket is barred; older kernels (ENOPROTOOPT, EINVAL) leave it to the
 * receive paths and the close.
 */
bool kipc__sock_bar_fds(int sock)
{
	bool barred = false;
	int off = 0;

#ifdef SO_PASSRIGHTS
	barred = !setsockopt(sock, SOL_SOCKET, SO_PASSRIGHTS, &off,
			     sizeof(off));
#endif
	/* Barred for good only once the queue was read empty: fds queued
	 * before the bar and not drained (KIPC_DRAIN_MAX messages were not
	 * enough) still need the receive paths' control buffers and the
	 * drain at close.
	 */
	return kipc__sock_drain(sock, KIPC_DRAIN_MAX) && barred;
}

/*
 * A connection's socket at its close. Nobody reads it after the handshake:
 * fds a peer queued on it since (a kernel without SO_PASSRIGHTS) would be
 * released by the close, in our task, so they are drained first. A child
 * of fork() leaves the queue alone: the socket is its creator's too.
 */
void kipc__sock_close(struct kipc_conn *c)
{
	if (c->fd < 0)
		return;
	if (!c->fds_barred && kipc__owner_is_self(&c->owner))
		kipc__sock_drain(c->fd, KIPC_DRAIN_MAX);
	close(c->fd);
}

/* A handshake socket we give up on: what the peer queued goes first. */
static void drop_sock(int sock)
{
	kipc__sock_bar_fds(sock);
	close(sock);
}

/* Ours or a peer's: a peer's socket must not linger in our close. */
static void close_fds(int *fds, int n)
{
	while (n-- > 0)
		kipc__close_peer_fd(fds[n]);
}

static int wire_send(int fd, const struct kipc_wire *w, const int *fds,
		     int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * WIRE_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)w, .iov_len = sizeof(*w) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

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
	/* EPIPE: the peer hung up before it read this, which to every
	 * caller means what a hang-up seen on receive (-ECONNRESET) does:
	 * a client's listener refused it (kipc_connect(3): -ECONNREFUSED).
	 */
	if (sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) != sizeof(*w))
		return errno == EPIPE ? -ECONNRESET : errno ? -errno : -EPROTO;
	return 0;
}

static void wire_init(struct kipc_wire *w, int type)
{
	memset(w, 0, sizeof(*w));
	w->magic = KIPC_WIRE_MAGIC;
	w->version = KIPC_WIRE_VERSION;
	w->type = type;
}

static void wire_reject(int fd, int err)
{
	struct kipc_wire w;

	wire_init(&w, KIPC_WIRE_REJECT);
	w.status = err;
	wire_send(fd, &w, NULL, 0);
}

/*
 * One handshake message, without waiting. Any fds that came with it are
 * returned in @fds (at most @max, else -EPROTO and none). -ECONNRESET if
 * the peer closed, -EPROTO if the message is malformed, -EMFILE if the
 * fds that came with it could not be installed in our table.
 */
static int wire_recv(int fd, struct kipc_wire *w, int *fds, int max, int *nfds)
{
	union {
		char buf[KIPC_SCM_BUF];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = w, .iov_len = sizeof(*w) };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int got[KIPC_SCM_MAX_FD], n = 0, k, ret = 0;
	ssize_t len;

	len = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (len < 0)
		return errno == ECONNRESET ? -ECONNRESET : -errno;
	if (!len)
		return -ECONNRESET;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		if (k > KIPC_SCM_MAX_FD - n)
			k = KIPC_SCM_MAX_FD - n;	/* cannot happen: CTRUNC */
		memcpy(got + n, CMSG_DATA(cm), sizeof(int) * k);
		n += k;
	}
	/* MSG_CTRUNC with room left for more fds: the kernel stopped
	 * installing them (RLIMIT_NOFILE; a security module's veto looks
	 * the same), and we are the one short of fds. The buffer holds as
	 * many as a message can carry, so it is never the sender's doing.
	 */
	if (n > max)
		ret = -EPROTO;	/* more than the step allows: the peer's */
	else if ((m.msg_flags & MSG_CTRUNC) && n < KIPC_SCM_MAX_FD)
		ret = -EMFILE;
	else if ((m.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) ||
		 len != sizeof(*w) ||
		 w->magic != KIPC_WIRE_MAGIC ||
		 w->version != KIPC_WIRE_VERSION)
		ret = -EPROTO;
	if (ret) {
		close_fds(got, n);
		return ret;
	}
	memcpy(fds, got, sizeof(int) * n);
	*nfds = n;
	return 0;
}

/* Client side: wait for the next handshake message until @deadline. */
static int wire_wait(int fd, struct kipc_wire *w, int *fds, int max, int *nfds,
		     int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret, n;

	for (;;) {
		n = poll(&p, 1, kipc__ms_left(deadline));
		if (n < 0)
			return -errno;
		if (!n)
			return -ETIMEDOUT;
		ret = wire_recv(fd, w, fds, max, nfds);
		if (ret != -EAGAIN)
			return ret;
	}
}

static void sock_peer_cred(struct kipc_conn *c, int fd)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0) {
		c->peer_pid = cr.pid;
		c->peer_uid = cr.uid;
		c->peer_gid = cr.gid;
	}
}

static bool ring_size_ok(uint32_t rb)
{
	return kipc_is_pow2(rb) && rb >= KIPC_RING_MIN && rb <= KIPC_RING_MAX;
}

/* A peer's claimed uds limit, bounded by what the ring size allows. */
static uint32_t uds_rx_max(uint32_t claimed, uint32_t ring_bytes)
{
	uint32_t max = KIPC_MSG_MAX(ring_bytes);

	if (max > KIPC_UDS_MSG_MAX)
		max = KIPC_UDS_MSG_MAX;
	return claimed < max ? claimed : max;
}

/* ------------------------------------------------------------------ */
/* Server                                                              */

int kipc__sock_listen(const char *name, const struct kipc_cfg *cfg, int *out)
{
	struct sockaddr_un a;
	socklen_t len;
	int fd, ret;

	ret = kipc__sock_addr(name, &a, &len);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, len) < 0 ||
	    listen(fd, cfg->backlog ? cfg->backlog : KIPC_BACKLOG_DEFAULT) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

static bool in_groups(int sock, gid_t gid)
{
	gid_t small[64], *g = small;
	socklen_t l = sizeof(small);
	bool found = false;
	size_t i;

	if (getsockopt(sock, SOL_SOCKET, SO_PEERGROUPS, g, &l) < 0) {
		if (errno != ERANGE)
			return false;
		g = malloc(l);
		if (!g || getsockopt(sock, SOL_SOCKET, SO_PEERGROUPS, g, &l) < 0) {
			free(g);
			return false;
		}
	}
	for (i = 0; i < l / sizeof(gid_t); i++)
		if (g[i] == gid)
			found = true;
	if (g != small)
		free(g);
	return found;
}

/* The driver's rule (kipc_may_connect in kmod/), on SO_PEERCRED. */
int kipc__may_connect(uid_t owner_uid, gid_t owner_gid, uint32_t mode,
		      int sock)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0)
		return -errno;
	if (cr.uid == 0)
		return 0;
	if (cr.uid == owner_uid)
		mode >>= 6;
	else if (cr.gid == owner_gid || in_groups(sock, owner_gid))
		mode >>= 3;
	return mode & 0002 ? 0 : -EACCES;
}

/*
 * Forget pending client @p and close its socket. The epoll set is shared
 * with every child of fork() that holds the listener, and the socket too,
 * so closing it does not take it out of the set: its creator must, or a
 * later event would carry @p after the free. A child must not: that would
 * take the creator's handshakes in progress out of the set, and they
 * would never complete. It only drops its own fd.
 */
void kipc__pending_drop(struct kipc_listener *l, struct kipc_pending *p)
{
	struct kipc_pending **pp;

	for (pp = &l->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			l->npending--;
			break;
		}
	}
	if (p->fd >= 0) {
		if (kipc__owner_is_self(&l->owner)) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, p->fd, NULL);
			drop_sock(p->fd);
		} else {
			close(p->fd);
		}
	}
	free(p);
}

/* Queue connected clients: check them, OFFER, wait for their SETUP. */
int kipc__sock_accept_new(struct kipc_listener *l)
{
	int64_t now = kipc__now_ns();
	struct kipc_pending *p, *oldest;
	struct kipc_wire w;
	int fd, ret, max;

	/* Clients that never answered lose their place. */
	for (p = l->pending; p; p = oldest) {
		oldest = p->next;
		if (now >= p->deadline_ns)
			kipc__pending_drop(l, p);
	}
	max = l->cfg.backlog ? l->cfg.backlog : KIPC_BACKLOG_DEFAULT;
	for (;;) {
		fd = accept4(l->sock_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			return -errno;
		}
		ret = kipc__may_connect(l->uid, l->gid, l->cfg.mode, fd);
		if (ret) {
			wire_reject(fd, ret);
			drop_sock(fd);
			continue;
		}
		p = calloc(1, sizeof(*p));
		if (!p) {
			wire_reject(fd, -ENOMEM);
			drop_sock(fd);
			return -ENOMEM;
		}
		p->fd = fd;
		p->deadline_ns = now + KIPC_PENDING_NS;
		p->uds_max = kipc__uds_tx_max(fd, l->ring_bytes);
		wire_init(&w, KIPC_WIRE_OFFER);
		/* DEV: we hold the name on the driver too, for a client
		 * whose look there raced our kipc_listen() (listener.c).
		 * Never a SETUP value: those are checked against
		 * l->transports.
		 */
		w.transports = l->transports |
			       (l->dev_fd >= 0 ? 1U << KIPC_TRANSPORT_DEV : 0);
		w.ring_bytes[KIPC_RING_C2S] = l->ring_bytes;
		w.ring_bytes[KIPC_RING_S2C] = l->ring_bytes;
		w.uds_max = p->uds_max;
		w.page_size = (uint32_t)sysconf(_SC_PAGESIZE);
		w.features = KIPC_LIB_FORMATS;
		w.caps = KIPC_WIRE_CAPS;
		if (wire_send(fd, &w, NULL, 0) ||
		    kipc__epoll_add(l->epfd, fd, EPOLLIN | EPOLLRDHUP,
				    (uint64_t)(uintptr_t)p)) {
			drop_sock(fd);
			free(p);
			continue;
		}
		p->next = l->pending;
		l->pending = p;
		if (++l->npending > max) {
			for (oldest = l->pending; oldest->next; oldest = oldest->next)
				;
			kipc__pending_drop(l, oldest);
		}
	}
}

/* The client's memfd and bells, then ours: @out gets what READY passes,
 * {our memfd, data bell, room bell}, for the caller to close once sent.
 */
static int shm_server(struct kipc_conn *c, int sock, const uint32_t rb[2],
		      uint64_t formats, int *fds, int nfds, int out[3])
{
	int bell[2], view[2], peer_view[2], memfd;
	size_t len, peer_len;
	void *map, *peer;
	int ret;

	if (nfds != 3) {
		close_fds(fds, nfds);
		return -EPROTO;
	}
	peer_view[0] = fds[1];
	peer_view[1] = fds[2];
	ret = kipc__shm_adopt(fds[0], KIPC_SIDE_CLIENT, rb, &peer, &peer_len);
	close_fds(fds, 1);	/* anything, if the checks failed */
	if (ret)
		goto out_views;
	ret = kipc__shm_create(KIPC_SIDE_SERVER, rb, &memfd, &map, &len);
	if (ret)
		goto out_peer;
	ret = kipc__shm_bells(bell, view);
	if (ret) {
		munmap(map, len);
		close(memfd);
		goto out_peer;
	}
	out[0] = memfd;
	out[1] = view[0];
	out[2] = view[1];
	return kipc__shm_setup(c, sock, map, len, peer, peer_len, rb,
			       formats, bell, peer_view);

out_peer:
	munmap(peer, peer_len);
out_views:
	close_fds(peer_view, 2);
	return ret;
}

/* We, not the peer, are out of something: accept must say so. */
static bool local_shortage(int err)
{
	return err == -EMFILE || err == -ENFILE || err == -ENOMEM;
}

/*
 * Pending client @p has something to say: complete its connection into
 * *out (0), or drop it (-EAGAIN, accept goes on with the others). If we
 * ran out of fds or memory setting it up, it is refused with that error
 * (REJECT) and the error is returned (-EMFILE, -ENFILE, -ENOMEM), as
 * accept(2) returns its own.
 */
int kipc__sock_pending_ready(struct kipc_listener *l, struct kipc_pending *p,
			     struct kipc_conn **out)
{
	uint32_t rb[2] = { l->ring_bytes, l->ring_bytes };
	int fds[WIRE_MAX_FDS], nfds = 0, out_fds[3] = { -1, -1, -1 };
	uint32_t uds_max = p->uds_max;
	struct kipc_wire w;
	struct kipc_conn *c;
	int fd = p->fd, ret, t;
	bool barred;

	ret = wire_recv(fd, &w, fds, WIRE_MAX_FDS, &nfds);
	if (ret == -EAGAIN || ret == -EINTR)
		return -EAGAIN;
	if (ret) {
		/* SETUP's fds did not fit in our table: tell the client why. */
		if (local_shortage(ret))
			wire_reject(fd, ret);
		kipc__pending_drop(l, p);
		return local_shortage(ret) ? ret : -EAGAIN;
	}
	t = (int)w.transports;
	if (w.type != KIPC_WIRE_SETUP ||
	    (t != KIPC_TRANSPORT_SHM && t != KIPC_TRANSPORT_UDS) ||
	    !(l->transports & (1U << t)) ||
	    (t == KIPC_TRANSPORT_UDS && nfds)) {
		close_fds(fds, nfds);
		wire_reject(fd, -EPROTO);
		kipc__pending_drop(l, p);
		return -EAGAIN;
	}
	/* Formats or caps we did not offer: the client cannot be one of
	 * ours. shm without page roles is an older client's one memfd, which
	 * it would keep mapped read-write, our indices in it.
	 */
	if (w.features & ~(uint64_t)KIPC_LIB_FORMATS ||
	    (t == KIPC_TRANSPORT_UDS && w.features) ||
	    (w.caps & ~(uint64_t)KIPC_WIRE_CAPS) ||
	    (t == KIPC_TRANSPORT_SHM && !(w.caps & KIPC_WIRE_CAP_PAGE_ROLES))) {
		close_fds(fds, nfds);
		wire_reject(fd, -EPROTONOSUPPORT);
		kipc__pending_drop(l, p);
		return -EAGAIN;
	}
	/* From here on the socket belongs to the connection. */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	p->fd = -1;
	kipc__pending_drop(l, p);
	/* SETUP was the client's last fds; it sends nothing until READY. */
	barred = kipc__sock_bar_fds(fd);

	c = kipc__conn_alloc(t == KIPC_TRANSPORT_SHM ? &kipc__shm_ops :
			     &kipc__uds_ops, KIPC_SIDE_SERVER, &l->cfg);
	if (!c) {
		close_fds(fds, nfds);
		wire_reject(fd, -ENOMEM);
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->fds_barred = barred;
	if (t == KIPC_TRANSPORT_SHM)
		ret = shm_server(c, fd, rb, w.features, fds, nfds, out_fds);
	else
		ret = kipc__uds_setup(c, fd, uds_max,
				      uds_rx_max(w.uds_max, rb[KIPC_RING_C2S]));
	if (!ret) {
		sock_peer_cred(c, fd);
		wire_init(&w, KIPC_WIRE_READY);
		ret = wire_send(fd, &w, out_fds, t == KIPC_TRANSPORT_SHM ? 3 : 0);
	} else {
		wire_reject(fd, ret);
	}
	if (out_fds[0] >= 0)
		close_fds(out_fds, 3);	/* the client has its own references */
	if (ret) {
		kipc__conn_free(c);
		return local_shortage(ret) ? ret : -EAGAIN;
	}
	*out = c;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Client                                                              */

/* *sent tells whether SETUP went out: after that there is no going back. */
static int shm_client(int fd, const struct kipc_cfg *cfg,
		      const uint32_t rb[2], uint64_t formats, int64_t deadline,
		      struct kipc_conn **out, bool *sent)
{
	int memfd, bell[2], view[2], fds[3], nfds = 0, ret;
	bool barred = false;
	struct kipc_conn *c;
	struct kipc_wire w;
	size_t len, peer_len;
	void *map, *peer;

	ret = kipc__shm_create(KIPC_SIDE_CLIENT, rb, &memfd, &map, &len);
	if (ret)
		return ret;
	ret = kipc__shm_bells(bell, view);
	if (ret) {
		munmap(map, len);
		close(memfd);
		return ret;
	}
	wire_init(&w, KIPC_WIRE_SETUP);
	w.transports = KIPC_TRANSPORT_SHM;
	w.features = formats;
	w.caps = KIPC_WIRE_CAP_PAGE_ROLES;
	fds[0] = memfd;
	fds[1] = view[0];
	fds[2] = view[1];
	ret = wire_send(fd, &w, fds, 3);
	*sent = !ret;
	close_fds(fds, 3);	/* the server has its own references now */
	if (!ret)
		ret = wire_wait(fd, &w, fds, 3, &nfds, deadline);
	if (!ret && w.type == KIPC_WIRE_REJECT)
		ret = w.status < 0 && w.status > -4096 ? w.status : -ECONNREFUSED;
	else if (!ret && (w.type != KIPC_WIRE_READY || nfds != 3))
		ret = -EPROTO;
	if (ret == -ECONNRESET)
		ret = -ECONNREFUSED;
	/* READY's fds: {server memfd, data bell, room bell}, the last the
	 * server sends on this socket.
	 */
	if (!ret) {
		barred = kipc__sock_bar_fds(fd);
		ret = kipc__shm_adopt(fds[0], KIPC_SIDE_SERVER, rb, &peer,
				      &peer_len);
	}
	if (ret) {
		close_fds(fds, nfds);
		close_fds(bell, 2);
		munmap(map, len);
		return ret;
	}
	close(fds[0]);		/* the server's memfd: checked */
	c = kipc__conn_alloc(&kipc__shm_ops, KIPC_SIDE_CLIENT, cfg);
	if (!c) {
		close_fds(fds + 1, 2);
		close_fds(bell, 2);
		munmap(peer, peer_len);
		munmap(map, len);
		return -ENOMEM;
	}
	c->fds_barred = barred;
	ret = kipc__shm_setup(c, fd, map, len, peer, peer_len, rb, formats,
			      bell, fds + 1);
	if (ret) {
		c->fd = -1;	/* the caller closes the socket */
		kipc__conn_free(c);
		return ret;
	}
	sock_peer_cred(c, fd);
	*out = c;
	return 0;
}

static int uds_client(int fd, const struct kipc_cfg *cfg,
		      const uint32_t rb[2], uint32_t server_max,
		      int64_t deadline, struct kipc_conn **out)
{
	uint32_t tx_max = kipc__uds_tx_max(fd, rb[KIPC_RING_C2S]);
	struct kipc_conn *c;
	struct kipc_wire w;
	int fds[2], nfds = 0, ret;
	bool barred;

	/* No fds on uds: barred before SETUP, when the server sends nothing
	 * until READY (its data may follow that at once).
	 */
	barred = kipc__sock_bar_fds(fd);
	wire_init(&w, KIPC_WIRE_SETUP);
	w.transports = KIPC_TRANSPORT_UDS;
	w.uds_max = tx_max;
	ret = wire_send(fd, &w, NULL, 0);
	if (!ret)
		ret = wire_wait(fd, &w, fds, 0, &nfds, deadline);
	if (!ret && w.type == KIPC_WIRE_REJECT)
		ret = w.status < 0 && w.status > -4096 ? w.status : -ECONNREFUSED;
	else if (!ret && w.type != KIPC_WIRE_READY)
		ret = -EPROTO;
	if (ret)
		return ret == -ECONNRESET ? -ECONNREFUSED : ret;
	c = kipc__conn_alloc(&kipc__uds_ops, KIPC_SIDE_CLIENT, cfg);
	if (!c)
		return -ENOMEM;
	c->fds_barred = barred;
	ret = kipc__uds_setup(c, fd, tx_max,
			      uds_rx_max(server_max, rb[KIPC_RING_S2C]));
	if (ret) {
		c->fd = -1;	/* the caller closes the socket */
		kipc__conn_free(c);
		return ret;
	}
	sock_peer_cred(c, fd);
	*out = c;
	return 0;
}

int kipc__sock_connect(const char *name, const struct kipc_cfg *cfg,
		       bool dev_missed, struct kipc_conn **out)
{
	int64_t deadline = kipc__deadline(cfg->timeout_ms);
	struct timeval tv = { 0, 0 };
	struct sockaddr_un a;
	struct kipc_wire w;
	uint32_t rb[2];
	int fd, ret, nfds = 0, fds[1];
	bool shm_ok, uds_ok, sent = false;
	socklen_t len;

	ret = kipc__sock_addr(name, &a, &len);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* connect() waits while the backlog is full; bound that too. */
	if (cfg->timeout_ms > 0) {
		tv.tv_sec = cfg->timeout_ms / 1000;
		tv.tv_usec = (cfg->timeout_ms % 1000) * 1000;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (struct sockaddr *)&a, len) < 0) {
		ret = -errno;
		if (ret == -ECONNREFUSED)
			ret = -ENOENT;	/* nobody listens on that name */
		else if (ret == -EAGAIN || ret == -EINPROGRESS)
			ret = -ETIMEDOUT;
		goto out_close;
	}
	if (cfg->timeout_ms > 0) {
		tv.tv_sec = tv.tv_usec = 0;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}

	ret = wire_wait(fd, &w, fds, 0, &nfds, deadline);
	if (ret) {
		if (ret == -ECONNRESET)
			ret = -ECONNREFUSED;
		goto out_close;
	}
	if (w.type == KIPC_WIRE_REJECT) {
		ret = w.status < 0 && w.status > -4096 ? w.status : -ECONNREFUSED;
		goto out_close;
	}
	rb[KIPC_RING_C2S] = w.ring_bytes[KIPC_RING_C2S];
	rb[KIPC_RING_S2C] = w.ring_bytes[KIPC_RING_S2C];
	if (w.type != KIPC_WIRE_OFFER || !ring_size_ok(rb[0]) ||
	    !ring_size_ok(rb[1])) {
		ret = -EPROTO;
		goto out_close;
	}
	/* The driver had no such name when we looked, and the listener
	 * says it is there: it listened in between. Nothing is set up
	 * yet; the server drops us when we close.
	 */
	if (dev_missed && (w.transports & (1U << KIPC_TRANSPORT_DEV))) {
		ret = KIPC__TRY_DEV;
		goto out_close;
	}
	/* Before any memfd is made or filled: the connector pays for the
	 * rings (shm), and uds' message limits follow from them.
	 */
	if (kipc__over_cap(cfg, rb)) {
		ret = -EMSGSIZE;
		goto out_close;
	}
	shm_ok = (w.transports & (1U << KIPC_TRANSPORT_SHM)) &&
		 w.page_size == (uint32_t)sysconf(_SC_PAGESIZE) &&
		 cfg->transport != KIPC_TRANSPORT_UDS;
	uds_ok = (w.transports & (1U << KIPC_TRANSPORT_UDS)) &&
		 cfg->transport != KIPC_TRANSPORT_SHM;
	ret = -ENODEV;
	/* A server without page roles would map our memfd read-write, and
	 * our indices with it: never over shm, uds if it may.
	 */
	if (shm_ok && !(w.caps & KIPC_WIRE_CAP_PAGE_ROLES)) {
		ret = kipc__missing_caps(KIPC_WIRE_CAP_PAGE_ROLES);
		shm_ok = false;
	}
	if (shm_ok) {
		/* The formats both of us read; a 1.0 server offers none. */
		ret = shm_client(fd, cfg, rb, w.features & KIPC_LIB_FORMATS,
				 deadline, out, &sent);
		/* Without memfd (seccomp, old kernel) uds may still do. */
		if (!ret || !uds_ok || sent)
			goto out_done;
	}
	if (uds_ok)
		ret = uds_client(fd, cfg, rb, w.uds_max, deadline, out);
out_done:
	if (!ret)
		return 0;
out_close:
	drop_sock(fd);
	return ret;
}
