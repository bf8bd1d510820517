/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * kipc.h - libkipc, message passing between processes over shared memory.
 *
 * One API over three transports, picked at connect time:
 *   KIPC_TRANSPORT_DEV  rings allocated and pinned by the /dev/kipc driver
 *   KIPC_TRANSPORT_SHM  the same rings in a sealed memfd, eventfd doorbells
 *                       and a Unix SOCK_SEQPACKET socket for set-up and
 *                       peer death, when the driver is absent
 *   KIPC_TRANSPORT_UDS  plain SOCK_SEQPACKET messages
 *
 * Conventions (see lib/README.md for the full reference, man page style):
 *  - functions return 0 or a count on success and a negative errno on
 *    failure; the errors of each function are listed with it. The library
 *    never aborts, exits, prints or raises SIGPIPE.
 *  - a connection may be used by one sending thread (send, reserve,
 *    commit, flush, prep_kick) and one receiving thread (recv, peek,
 *    release) at the same time without a lock; anything more needs the
 *    caller's lock.
 *  - messages keep their boundaries and their order; empty messages are
 *    not allowed (recv returns 0 only at end-of-stream).
 */
#ifndef KIPC_H
#define KIPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef KIPC_API
#define KIPC_API __attribute__((visibility("default")))
#endif

struct kipc_listener;
struct kipc_conn;
struct io_uring_sqe;

/* Transports; KIPC_TRANSPORT_AUTO tries dev, then shm, then uds. The
 * environment variable KIPC_TRANSPORT=dev|shm|uds|auto forces one where
 * the options leave it at AUTO.
 */
#define KIPC_TRANSPORT_AUTO	0
#define KIPC_TRANSPORT_DEV	1
#define KIPC_TRANSPORT_SHM	2
#define KIPC_TRANSPORT_UDS	3

/* Wait policies: what a blocking call does while it cannot progress. */
#define KIPC_WAIT_SPIN_SLEEP	0	/* spin for spin_ns, then sleep (default) */
#define KIPC_WAIT_SPIN		1	/* busy-poll, never sleep */
#define KIPC_WAIT_SLEEP		2	/* sleep at once */

#define KIPC_SPIN_NS_DEFAULT	20000U

/* The shm and uds transports: a listener binds the abstract Unix address
 * "\0" KIPC_SOCK_PREFIX "<name>" (/proc/net/unix shows the NUL as '@'),
 * and uds carries at most KIPC_UDS_MSG_MAX bytes per message.
 */
#define KIPC_SOCK_PREFIX	"kipc."
#define KIPC_UDS_MSG_MAX	(256U << 10)

/* Flags of the data calls. */
#define KIPC_NONBLOCK	(1U << 0)	/* -EAGAIN instead of waiting */
#define KIPC_MORE	(1U << 1)	/* send/commit: more follow, publish later */
#define KIPC_NOKICK	(1U << 2)	/* send/commit/flush: publish, owe the doorbell */

/*
 * Options of kipc_listen() and kipc_connect(). Set size to
 * sizeof(struct kipc_opts) and every field you do not use to zero
 * (KIPC_OPTS_INIT does both); a NULL pointer means all defaults. A
 * smaller size, from an older header, is accepted down to sizeof(size_t):
 * the fields beyond it take their defaults. A larger size from a newer
 * header is accepted when the extra bytes are zero (else -E2BIG).
 */
struct kipc_opts {
	size_t size;		/* sizeof(struct kipc_opts) */
	unsigned int flags;	/* none defined: 0 */
	unsigned int transport;	/* KIPC_TRANSPORT_*; AUTO honours $KIPC_TRANSPORT */
	uint32_t ring_bytes;	/* listener: bytes per ring, a power of two; 0: default */
	uint32_t mode;		/* listener: permission bits (0..0777); 0: 0600 */
	int backlog;		/* listener: queued connections; 0: default */
	int wait_policy;	/* KIPC_WAIT_* of the connections made */
	unsigned int spin_ns;	/* spin budget of KIPC_WAIT_SPIN_SLEEP; 0: default */
	int timeout_ms;		/* connect: limit on the whole handshake; 0: none */
	/* Added after 1.0. */
	uint32_t max_ring_bytes; /* connect: largest ring (each direction) we
				  * will pay for; a listener's larger rings
				  * give -EMSGSIZE before any is made; 0: no
				  * cap beyond the transports' own
				  */
};

#define KIPC_OPTS_INIT { .size = sizeof(struct kipc_opts) }

/* Listening and connecting. */
KIPC_API int kipc_listen(const char *name, const struct kipc_opts *opts,
			 struct kipc_listener **listener);
KIPC_API int kipc_accept(struct kipc_listener *listener,
			 struct kipc_conn **conn, unsigned int flags);
KIPC_API int kipc_accept_timeout(struct kipc_listener *listener,
				 struct kipc_conn **conn, unsigned int flags,
				 int timeout_ms);
KIPC_API int kipc_listener_fd(const struct kipc_listener *listener);
KIPC_API void kipc_listener_close(struct kipc_listener *listener);
KIPC_API int kipc_connect(const char *name, const struct kipc_opts *opts,
			  struct kipc_conn **conn);
KIPC_API void kipc_close(struct kipc_conn *conn);

/* Copying messages. */
KIPC_API ssize_t kipc_send(struct kipc_conn *conn, const void *buf,
			   size_t len, unsigned int flags);
KIPC_API ssize_t kipc_send_timeout(struct kipc_conn *conn, const void *buf,
				   size_t len, unsigned int flags,
				   int timeout_ms);
KIPC_API ssize_t kipc_recv(struct kipc_conn *conn, void *buf, size_t cap,
			   unsigned int flags);
KIPC_API ssize_t kipc_recv_timeout(struct kipc_conn *conn, void *buf,
				   size_t cap, unsigned int flags,
				   int timeout_ms);

/* Zero-copy: fill a message in place, read one in place. */
KIPC_API int kipc_reserve(struct kipc_conn *conn, size_t len, void **buf,
			  unsigned int flags);
KIPC_API int kipc_reserve_timeout(struct kipc_conn *conn, size_t len,
				  void **buf, unsigned int flags,
				  int timeout_ms);
KIPC_API int kipc_commit(struct kipc_conn *conn, size_t len,
			 unsigned int flags);
KIPC_API int kipc_flush(struct kipc_conn *conn, unsigned int flags);
KIPC_API ssize_t kipc_peek(struct kipc_conn *conn, const void **buf,
			   unsigned int flags);
KIPC_API ssize_t kipc_peek_timeout(struct kipc_conn *conn, const void **buf,
				   unsigned int flags, int timeout_ms);
KIPC_API int kipc_release(struct kipc_conn *conn);

/* Event loops. */
KIPC_API int kipc_fd(struct kipc_conn *conn);
KIPC_API int kipc_poll_events(const struct kipc_conn *conn, int events);
KIPC_API int kipc_prep_poll(struct io_uring_sqe *sqe, struct kipc_conn *conn,
			    unsigned int events);
KIPC_API int kipc_prep_kick(struct io_uring_sqe *sqe, struct kipc_conn *conn);

/* Properties. */
KIPC_API int kipc_transport(const struct kipc_conn *conn);
KIPC_API const char *kipc_transport_name(int transport);
KIPC_API int kipc_peer_cred(const struct kipc_conn *conn, pid_t *pid,
			    uid_t *uid, gid_t *gid);
KIPC_API ssize_t kipc_msg_max(const struct kipc_conn *conn);
KIPC_API int kipc_set_wait(struct kipc_conn *conn, int policy,
			   unsigned int spin_ns);
KIPC_API const char *kipc_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* KIPC_H */
