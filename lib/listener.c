// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Listening, accepting and connecting: options, names, and the choice of
 * transport.
 *
 * A listener serves every transport it can: with the driver it holds a
 * /dev/kipc listener AND the abstract socket of the same name, so a client
 * without access to the driver still reaches it over shm or uds. Its
 * kipc_listener_fd() is an epoll set over both and over the clients still
 * in the middle of their handshake.
 *
 * A client tries dev (when the driver opens and knows the name), then the
 * socket, where it prefers shm to uds. KIPC_TRANSPORT (or the option)
 * restricts both sides to one transport.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define EP_TAG_DEV	1	/* epoll data of the listener's fds */
#define EP_TAG_SOCK	2

int kipc__epoll_add(int epfd, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/*
 * Is @fd an anonymous-inode file (eventfd, epoll), as a doorbell must be?
 * Polling anything else might block (a FUSE file) or never fire. 0 if it
 * is, -EBADMSG if not; the probe it is compared with is an fd of our own,
 * and when we cannot make one (-EMFILE, -ENFILE, -ENOMEM) that is what
 * the caller must hear, not that the peer is broken.
 */
int kipc__anon_fd_check(int fd)
{
	struct stat ref, st;
	int probe = eventfd(0, EFD_CLOEXEC), ret = 0;

	if (probe < 0)
		return -errno;
	if (fstat(probe, &ref) < 0)
		ret = -errno;
	else if (fstat(fd, &st) < 0 || st.st_dev != ref.st_dev ||
		 st.st_ino != ref.st_ino)
		ret = -EBADMSG;
	close(probe);
	return ret;
}

int kipc__check_name(const char *name)
{
	size_t i;

	if (!name)
		return -EINVAL;
	for (i = 0; name[i]; i++)
		if (i + 1 >= KIPC_NAME_MAX || name[i] < 0x21 || name[i] > 0x7e)
			return -EINVAL;
	return i ? 0 : -EINVAL;
}

static int transport_from_env(int *t)
{
	const char *v = getenv("KIPC_TRANSPORT");
	int i;

	*t = KIPC_TRANSPORT_AUTO;
	if (!v || !*v)
		return 0;
	for (i = KIPC_TRANSPORT_AUTO; i <= KIPC_TRANSPORT_UDS; i++) {
		if (!strcmp(v, kipc_transport_name(i))) {
			*t = i;
			return 0;
		}
	}
	return -EINVAL;
}

int kipc__cfg(const struct kipc_opts *o, struct kipc_cfg *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = KIPC_MODE_DEFAULT;
	cfg->wait_policy = KIPC_WAIT_SPIN_SLEEP;
	cfg->spin_ns = KIPC_SPIN_NS_DEFAULT;
	if (o) {
		unsigned int flags = KIPC_OPTS_GET(o, flags, 0U);
		unsigned int transport = KIPC_OPTS_GET(o, transport, 0U);
		uint32_t ring_bytes = KIPC_OPTS_GET(o, ring_bytes, 0U);
		uint32_t mode = KIPC_OPTS_GET(o, mode, 0U);
		int backlog = KIPC_OPTS_GET(o, backlog, 0);
		int wait_policy = KIPC_OPTS_GET(o, wait_policy,
						KIPC_WAIT_SPIN_SLEEP);
		unsigned int spin_ns = KIPC_OPTS_GET(o, spin_ns, 0U);
		int timeout_ms = KIPC_OPTS_GET(o, timeout_ms, 0);
		uint32_t max_ring = KIPC_OPTS_GET(o, max_ring_bytes, 0U);

		/* An older, smaller struct is fine; bytes of a newer one
		 * that we do not know must be zero.
		 */
		if (o->size < sizeof(o->size))
			return -EINVAL;
		for (i = sizeof(*o); i < o->size; i++)
			if (((const unsigned char *)o)[i])
				return -E2BIG;
		if (flags || transport > KIPC_TRANSPORT_UDS ||
		    (ring_bytes && (!kipc_is_pow2(ring_bytes) ||
				    ring_bytes < KIPC_RING_MIN ||
				    ring_bytes > KIPC_RING_MAX)) ||
		    (mode & ~0777U) || backlog < 0 ||
		    wait_policy < KIPC_WAIT_SPIN_SLEEP ||
		    wait_policy > KIPC_WAIT_SLEEP || timeout_ms < 0)
			return -EINVAL;
		cfg->transport = (int)transport;
		cfg->ring_bytes = ring_bytes;
		if (mode)
			cfg->mode = mode;
		cfg->backlog = backlog;
		cfg->wait_policy = wait_policy;
		if (spin_ns)
			cfg->spin_ns = spin_ns;
		cfg->timeout_ms = timeout_ms;
		cfg->max_ring_bytes = max_ring;
	}
	if (cfg->transport == KIPC_TRANSPORT_AUTO)
		return transport_from_env(&cfg->transport);
	return 0;
}

KIPC_API int kipc_listen(const char *name, const struct kipc_opts *opts,
			 struct kipc_listener **out)
{
	uint32_t default_ring = KIPC_RING_DEFAULT;
	uint64_t formats = 0;
	struct kipc_listener *l;
	int ret, t;

	if (!out || kipc__check_name(name))
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->dev_fd = l->sock_fd = -1;
	ret = kipc__owner_set(&l->owner);
	if (!ret)
		ret = kipc__cfg(opts, &l->cfg);
	if (ret)
		goto out_free;
	t = l->cfg.transport;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		ret = -errno;
		goto out_free;
	}
	if (t == KIPC_TRANSPORT_AUTO || t == KIPC_TRANSPORT_DEV) {
		ret = kipc__dev_open(&l->dev_fd, &default_ring, &formats,
				     NULL);
		/* Without a usable driver, AUTO serves the socket only. */
		if (ret && (t == KIPC_TRANSPORT_DEV ||
			    (ret != -ENODEV && ret != -EPROTONOSUPPORT)))
			goto out_close;
	}
	l->ring_bytes = l->cfg.ring_bytes ? l->cfg.ring_bytes : default_ring;
	if (l->dev_fd >= 0) {
		ret = kipc__dev_listen(l->dev_fd, name, &l->cfg, l->ring_bytes,
				       formats);
		if (!ret)
			ret = kipc__epoll_add(l->epfd, l->dev_fd, EPOLLIN,
					      EP_TAG_DEV);
		if (ret)
			goto out_close;
	}
	if (t != KIPC_TRANSPORT_DEV) {
		l->transports = t == KIPC_TRANSPORT_AUTO ?
			(1U << KIPC_TRANSPORT_SHM) | (1U << KIPC_TRANSPORT_UDS) :
			1U << t;
		ret = kipc__sock_listen(name, &l->cfg, &l->sock_fd);
		if (!ret)
			ret = kipc__epoll_add(l->epfd, l->sock_fd, EPOLLIN,
					      EP_TAG_SOCK);
		if (ret)
			goto out_close;
	}
	l->uid = geteuid();
	l->gid = getegid();
	*out = l;
	return 0;

out_close:
	kipc_listener_close(l);
	return ret;
out_free:
	free(l);
	return ret;
}

KIPC_API int kipc_accept_timeout(struct kipc_listener *l, struct kipc_conn **out,
				 unsigned int flags, int timeout_ms)
{
	int64_t deadline = kipc__deadline(timeout_ms);
	struct epoll_event ev[8];
	int n, i, ret, ms;

	if (!l || !out || (flags & ~KIPC_NONBLOCK))
		return -EINVAL;
	for (;;) {
		/* A timeout of 0 does not wait: one look, then -ETIMEDOUT. */
		ms = (flags & KIPC_NONBLOCK) || !timeout_ms ? 0 :
			kipc__ms_left(deadline);
		n = epoll_wait(l->epfd, ev, 8, ms);
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			switch (ev[i].data.u64) {
			case EP_TAG_DEV:
				ret = kipc__dev_accept(l->dev_fd, &l->cfg, out);
				if (ret != -EAGAIN)
					return ret;
				break;
			case EP_TAG_SOCK:
				ret = kipc__sock_accept_new(l);
				if (ret)
					return ret;
				/* It may have dropped pending clients (expired,
				 * or the oldest past the backlog) that are later
				 * events of this batch: wait again.
				 */
				i = n;
				break;
			default:
				ret = kipc__sock_pending_ready(l,
					(struct kipc_pending *)(uintptr_t)ev[i].data.u64,
					out);
				/* 0, or we ran out of fds or memory (that
				 * client was refused with the same error):
				 * the caller must hear it, as from accept(2).
				 */
				if (ret != -EAGAIN)
					return ret;
				/* A dropped pending client may have been a
				 * later event of this batch: wait again.
				 */
				i = n;
				break;
			}
		}
		if (!n) {
			if (flags & KIPC_NONBLOCK)
				return -EAGAIN;
			if (!ms)
				return -ETIMEDOUT;
		}
	}
}

KIPC_API int kipc_accept(struct kipc_listener *l, struct kipc_conn **out,
			 unsigned int flags)
{
	return kipc_accept_timeout(l, out, flags, -1);
}

KIPC_API int kipc_listener_fd(const struct kipc_listener *l)
{
	return l ? l->epfd : -EINVAL;
}

/* In a child of fork() it only closes the child's fds: the epoll set and
 * the sockets are shared with the creator (kipc__pending_drop()).
 */
KIPC_API void kipc_listener_close(struct kipc_listener *l)
{
	if (!l)
		return;
	while (l->pending)
		kipc__pending_drop(l, l->pending);
	if (l->dev_fd >= 0)
		close(l->dev_fd);
	if (l->sock_fd >= 0)
		close(l->sock_fd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l);
}

KIPC_API int kipc_connect(const char *name, const struct kipc_opts *opts,
			  struct kipc_conn **out)
{
	bool dev_missed = false;
	struct kipc_cfg cfg;
	int ret, tries;

	if (!out || kipc__check_name(name))
		return -EINVAL;
	ret = kipc__cfg(opts, &cfg);
	if (ret)
		return ret;
	for (tries = 0;; tries++) {
		if (cfg.transport == KIPC_TRANSPORT_AUTO ||
		    cfg.transport == KIPC_TRANSPORT_DEV) {
			ret = kipc__dev_connect(name, &cfg, out);
			/* No usable driver, or the name is not the
			 * driver's: try the socket.
			 */
			if (cfg.transport == KIPC_TRANSPORT_DEV ||
			    (ret != -ENODEV && ret != -ENOENT &&
			     ret != -EPROTONOSUPPORT))
				return ret;
			/* The driver works but has no such name: a
			 * listener that serves both may be between its
			 * two registrations (the driver's first), so that
			 * the socket is there by the time we look. Its
			 * OFFER says so, and then we look again, once.
			 */
			dev_missed = ret == -ENOENT && !tries;
		}
		ret = kipc__sock_connect(name, &cfg, dev_missed, out);
		if (ret != KIPC__TRY_DEV)
			return ret;
	}
}
