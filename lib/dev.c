// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The dev transport: rings allocated by the /dev/kipc driver. Each side maps
 * the whole object read-only (KIPC_MMAP_SHARED) and what it owns read-write
 * (KIPC_MMAP_OWN); the header is checked once and only the copy is used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define KIPC_DEV_PATH	"/dev/" KIPC_DEVICE_NAME

/*
 * Open the driver and check that it has the features we need; *formats
 * gets the ring formats to ask for (ours that it has too). -ENODEV when it
 * is not there, -EPROTONOSUPPORT when it lacks a feature (kipc_strerror()
 * names it). *features (if not NULL) gets all the driver reports.
 */
int kipc__dev_open(int *fd, uint32_t *default_ring, uint64_t *formats,
		   uint64_t *features)
{
	struct kipc_version v = { .size = sizeof(v) };
	int f, ret;

	f = open(KIPC_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (f < 0)
		return errno == EMFILE || errno == ENFILE ? -errno : -ENODEV;
	if (ioctl(f, KIPC_IOC_VERSION, &v) < 0) {
		ret = -ENODEV;
		goto out_close;
	}
	if ((v.features & KIPC_DEV_NEEDS) != KIPC_DEV_NEEDS) {
		ret = kipc__missing(KIPC_DEV_NEEDS & ~v.features);
		goto out_close;
	}
	if (default_ring)
		*default_ring = v.default_ring_bytes;
	if (features)
		*features = v.features;
	/* An older driver has no @features in LISTEN/CONNECT: ask for none. */
	*formats = v.features & KIPC_F_NEGOTIATE ?
		   v.features & KIPC_LIB_FORMATS : 0;
	*fd = f;
	return 0;

out_close:
	close(f);
	return ret;
}

int kipc__dev_listen(int fd, const char *name, const struct kipc_cfg *cfg,
		     uint32_t ring_bytes, uint64_t formats)
{
	struct kipc_listen a = {
		.size = sizeof(a),
		.mode = cfg->mode,
		.backlog = (uint32_t)cfg->backlog,
		.ring_bytes = { ring_bytes, ring_bytes },
		.features = formats,
	};

	memcpy(a.name, name, strlen(name));
	if (ioctl(fd, KIPC_IOC_LISTEN, &a) < 0)
		return -errno;
	return 0;
}

/* Map both views of connection @fd, check the header, set up the rings. */
static int dev_setup(struct kipc_conn *c, int fd)
{
	struct kipc_conn_info info = { .size = sizeof(info) };
	struct kipc_shared_hdr h;
	unsigned int s, r;
	uint8_t *shared, *own;
	int ret;

	c->fd = c->poll_fd = fd;
	c->tx.wait_fd = c->rx.wait_fd = fd;
	if (ioctl(fd, KIPC_IOC_CONN_INFO, &info) < 0)
		return -errno;
	s = info.side;
	if (s != (unsigned int)c->side || info.shared_map_bytes > SIZE_MAX ||
	    info.own_map_bytes > SIZE_MAX)
		return -EPROTO;
	shared = mmap(NULL, info.shared_map_bytes, PROT_READ, MAP_SHARED, fd,
		      KIPC_MMAP_SHARED);
	if (shared == MAP_FAILED)
		return -errno;
	c->map[0] = shared;
	c->map_len[0] = info.shared_map_bytes;
	own = mmap(NULL, info.own_map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, KIPC_MMAP_OWN);
	if (own == MAP_FAILED)
		return -errno;
	c->map[1] = own;
	c->map_len[1] = info.own_map_bytes;

	/* The driver uses only formats both sides asked for; we asked for
	 * KIPC_LIB_FORMATS at most. An older driver leaves both words 0.
	 */
	ret = kipc_hdr_check((const void *)shared, info.shared_map_bytes,
			     info.own_map_bytes, s, KIPC_LIB_FORMATS, &h);
	if (ret)
		return ret == -EPROTONOSUPPORT ?
			kipc__missing(h.features & ~KIPC_LIB_FORMATS) : ret;
	r = 1 - s;
	if (h.features != info.features || h.ring[s].size != info.ring_bytes[s] ||
	    h.ring[r].size != info.ring_bytes[r] ||
	    h.own_map_bytes[s] != info.own_map_bytes)
		return -EBADMSG;

	/* We produce ring s from our own view, consume ring 1 - s. */
	kipc_ring_init(&c->tx.ring, own + h.own_data_off, h.ring[s].size,
		       (struct kipc_prod *)(own + KIPC_PROD_LINE_OFF),
		       (struct kipc_cons *)(shared + h.ring[s].cons_off));
	kipc_ring_init(&c->rx.ring, shared + h.ring[r].data_off, h.ring[r].size,
		       (struct kipc_prod *)(shared + h.ring[r].prod_off),
		       (struct kipc_cons *)(own + KIPC_CONS_LINE_OFF));
	kipc__conn_formats(c, h.features);
	/* Our own indices are trusted: pick up where the fd left them. */
	kipc_ring_resume_prod(&c->tx.ring);
	kipc_ring_resume_cons(&c->rx.ring);

	c->hdr = (const struct kipc_shared_hdr *)shared;
	c->gone_bit = s == KIPC_SIDE_CLIENT ? KIPC_STATE_SERVER_GONE :
					      KIPC_STATE_CLIENT_GONE;
	c->peer_pid = info.peer.pid;
	c->peer_uid = info.peer.uid;
	c->peer_gid = info.peer.gid;
	kipc__conn_ready(c);
	return 0;
}

int kipc__dev_connect(const char *name, const struct kipc_cfg *cfg,
		      struct kipc_conn **out)
{
	struct kipc_connect a = { .size = sizeof(a) };
	uint64_t formats, features;
	int64_t deadline = cfg->timeout_ms > 0 ?
		kipc__now_ns() + (int64_t)cfg->timeout_ms * 1000000 : -1;
	struct timespec pause = { 0, 1000000 };
	struct kipc_conn *c;
	int fd, ret;

	ret = kipc__dev_open(&fd, NULL, &formats, &features);
	if (ret)
		return ret;
	memcpy(a.name, name, strlen(name));
	a.features = formats;
	/* A driver without KIPC_F_RING_CAP charges first; the check after
	 * dev_setup() then hands the connection straight back.
	 */
	if (features & KIPC_F_RING_CAP)
		a.max_ring_bytes = cfg->max_ring_bytes;
	/* The driver has no pollable "backlog has room": with a deadline,
	 * retry a non-blocking connect.
	 */
	if (deadline >= 0)
		a.flags = KIPC_CONNECT_NONBLOCK;
	while (ioctl(fd, KIPC_IOC_CONNECT, &a) < 0) {
		ret = -errno;
		if (ret != -EAGAIN || deadline < 0)
			goto out_close;
		if (kipc__now_ns() >= deadline) {
			ret = -ETIMEDOUT;
			goto out_close;
		}
		nanosleep(&pause, NULL);
	}
	c = kipc__conn_alloc(&kipc__dev_ops, KIPC_SIDE_CLIENT, cfg);
	if (!c) {
		ret = -ENOMEM;
		goto out_close;
	}
	ret = dev_setup(c, fd);
	if (!ret) {
		uint32_t rb[2] = { c->tx.ring.size, c->rx.ring.size };

		if (kipc__over_cap(cfg, rb))
			ret = -EMSGSIZE;
	}
	if (ret) {
		kipc__conn_free(c);
		return ret;
	}
	*out = c;
	return 0;

out_close:
	close(fd);
	return ret;
}

/* One queued connection from listener @lfd, without waiting. */
int kipc__dev_accept(int lfd, const struct kipc_cfg *cfg,
		     struct kipc_conn **out)
{
	struct kipc_accept a = {
		.size = sizeof(a),
		.flags = KIPC_ACCEPT_NONBLOCK,
	};
	struct kipc_conn *c;
	int ret;

	if (ioctl(lfd, KIPC_IOC_ACCEPT, &a) < 0)
		return -errno;
	c = kipc__conn_alloc(&kipc__dev_ops, KIPC_SIDE_SERVER, cfg);
	if (!c) {
		close(a.fd);
		return -ENOMEM;
	}
	ret = dev_setup(c, a.fd);
	if (ret) {
		kipc__conn_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

/* The doorbell is the driver's: KICK wakes the peer's poll. */
static int dev_kick(struct kipc_conn *c, int fd)
{
	(void)fd;
	if (ioctl(c->fd, KIPC_IOC_KICK, 0) == 0)
		return 0;
	if (errno == EPIPE) {
		kipc__set_gone(c);
		return -EPIPE;
	}
	return -errno;
}

static int dev_sleep(struct kipc_conn *c, int wait_fd, short events, int ms)
{
	struct pollfd p = { .fd = wait_fd, .events = events };
	int n = poll(&p, 1, ms);

	(void)c;
	if (n < 0)
		return -errno;
	/* The driver found an impossible index (head - tail more than the
	 * ring) in either ring: poll() will not sleep again.
	 */
	if (n > 0 && (p.revents & POLLERR))
		return KIPC_SLEEP_ERR;
	return n > 0;
}

static void dev_free(struct kipc_conn *c)
{
	int i;

	for (i = 0; i < 2; i++)
		if (c->map[i])
			munmap(c->map[i], c->map_len[i]);
	if (c->fd >= 0)
		close(c->fd);
}

const struct kipc_ops kipc__dev_ops = {
	.transport = KIPC_TRANSPORT_DEV,
	.kick = dev_kick,
	.sleep = dev_sleep,
	.free = dev_free,
};
