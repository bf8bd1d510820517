// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The dev transport: rings allocated by the /dev/kipc driver. Each side maps
 * the whole object read-only (KIPC_MMAP_SHARED) and what it owns read-write
 * (KIPC_MMAP_OWN); the header is checked once and only the copy is used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define KIPC_DEV_PATH	"/dev/" KIPC_DEVICE_NAME

/* Open the driver and check its ABI. -ENODEV when it is not usable. */
int kipc__dev_open(int *fd, uint32_t *default_ring)
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
	if (v.abi_version != KIPC_ABI_VERSION) {
		ret = -EPROTO;
		goto out_close;
	}
	if (default_ring)
		*default_ring = v.default_ring_bytes;
	*fd = f;
	return 0;

out_close:
	close(f);
	return ret;
}

int kipc__dev_listen(int fd, const char *name, const struct kipc_cfg *cfg,
		     uint32_t ring_bytes)
{
	struct kipc_listen a = {
		.size = sizeof(a),
		.mode = cfg->mode,
		.backlog = (uint32_t)cfg->backlog,
		.ring_bytes = { ring_bytes, ring_bytes },
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

	ret = kipc_hdr_check((const void *)shared, info.shared_map_bytes,
			     info.own_map_bytes, s, &h);
	if (ret)
		return ret;
	r = 1 - s;
	if (h.ring[s].size != info.ring_bytes[s] ||
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
	int64_t deadline = cfg->timeout_ms > 0 ?
		kipc__now_ns() + (int64_t)cfg->timeout_ms * 1000000 : -1;
	struct timespec pause = { 0, 1000000 };
	struct kipc_conn *c;
	int fd, ret;

	ret = kipc__dev_open(&fd, NULL);
	if (ret)
		return ret;
	memcpy(a.name, name, strlen(name));
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
	c = kipc__conn_alloc(KIPC_TRANSPORT_DEV, KIPC_SIDE_CLIENT, cfg);
	if (!c) {
		ret = -ENOMEM;
		goto out_close;
	}
	ret = dev_setup(c, fd);
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
	c = kipc__conn_alloc(KIPC_TRANSPORT_DEV, KIPC_SIDE_SERVER, cfg);
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

void kipc__dev_free(struct kipc_conn *c)
{
	int i;

	for (i = 0; i < 2; i++)
		if (c->map[i])
			munmap(c->map[i], c->map_len[i]);
	if (c->fd >= 0)
		close(c->fd);
}
