// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * io_uring helpers. They fill an SQE the caller got from liburing's
 * io_uring_get_sqe() (or its own ring), so libkipc itself needs no
 * liburing; only the kernel's <linux/io_uring.h> layout.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <linux/io_uring.h>

#include "internal.h"

KIPC_API int kipc_prep_poll(struct io_uring_sqe *sqe, struct kipc_conn *c,
			    unsigned int events)
{
	int fd, ev;

	if (!sqe || !c)
		return -EINVAL;
	fd = kipc_fd(c);
	ev = kipc_poll_events(c, (int)events);
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_POLL_ADD;
	sqe->fd = fd;
#if __BYTE_ORDER == __BIG_ENDIAN
	ev = (int)(((unsigned int)ev << 16) | ((unsigned int)ev >> 16));
#endif
	sqe->poll32_events = (__u32)ev;
	return 0;
}

KIPC_API int kipc_prep_kick(struct io_uring_sqe *sqe, struct kipc_conn *c)
{
	if (!sqe || !c)
		return -EINVAL;
	if (c->ops != &kipc__dev_ops)	/* the kick is the driver's */
		return -EOPNOTSUPP;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = c->fd;
	sqe->cmd_op = KIPC_URING_CMD_KICK;
	/* The caller rings the doorbell kipc_flush(c, KIPC_NOKICK) said was
	 * owed: a sending-side call, like kipc_flush().
	 */
	c->tx.kick_owed = false;
	return 0;
}
