/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libkipc internals: the connection object, the transports' set-up entry
 * points and the wire format of the socket handshake. Not installed.
 */
#ifndef KIPC_INTERNAL_H
#define KIPC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "kipc.h"
#include "kipc_ring.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define KIPC_FLAGS_ALL		(KIPC_NONBLOCK | KIPC_MORE | KIPC_NOKICK)
#define KIPC_RING_DEFAULT	(64U << 10)	/* the driver's default too */
#define KIPC_RING_MIN		4096U
#define KIPC_RING_MAX		(1U << 30)	/* kipc_hdr_check()'s limit */
#define KIPC_MODE_DEFAULT	0600U
/*
 * The uds message size cap, KIPC_UDS_MSG_MAX (kipc.h): AF_UNIX puts what
 * exceeds MAX_SKB_FRAGS pages of a datagram in one physically contiguous
 * allocation; past a few hundred KiB that is a high-order allocation that
 * may fail on a fragmented system.
 */

/*
 * Features. What the dev transport needs of the driver (a blocked sender
 * sleeps in poll(POLLOUT), which must honour kipc_prod.need), and the
 * ring formats (KIPC_F_RING_*) this library reads: KIPC_F_RING_SEQ and
 * KIPC_F_RING_PAD. It asks for those the other side has too, and a ring
 * whose header uses any other bit is refused with -EPROTONOSUPPORT.
 * kipc__missing() records what was lacking for kipc_strerror(). kipc__test_formats (a test hook,
 * all ones otherwise) makes this library play an older one that reads
 * fewer formats, down to the 1.0 library's none.
 */
#define KIPC_DEV_NEEDS		KIPC_F_POLL_NEED
#define KIPC_LIB_FORMATS_ALL	(KIPC_F_RING_SEQ | KIPC_F_RING_PAD)
#define KIPC_LIB_FORMATS	(KIPC_LIB_FORMATS_ALL & kipc__test_formats)

extern uint64_t kipc__test_formats;

int kipc__missing(uint64_t features);
int kipc__missing_caps(uint64_t caps);

/*
 * libbpf's OPTS_VALID/OPTS_GET for struct kipc_opts: a caller's struct may
 * be older (smaller) than ours, and a field it does not have reads as @def.
 */
#define KIPC_OPTS_HAS(o, field) \
	((o)->size >= offsetof(struct kipc_opts, field) + sizeof((o)->field))
#define KIPC_OPTS_GET(o, field, def) \
	(KIPC_OPTS_HAS(o, field) ? (o)->field : (def))
#define KIPC_PENDING_NS		(10LL * 1000000000)	/* to answer OFFER */

/*
 * The process that made a connection or a listener. A child of fork()
 * shares their fds but not the ring mappings (MADV_DONTFORK, the driver's
 * VM_DONTCOPY), and the epoll sets it shares are its creator's: such a
 * child may only close its own fds. getpid() alone cannot tell: a
 * descendant that is pid 1 of a new PID namespace has the same pid as a
 * creator that is pid 1 of its own (a container's init). So the fork
 * generation, bumped in every child of fork() by a pthread_atfork()
 * handler, is compared too; the pid still catches a child of a raw
 * clone(), which runs no atfork handlers (conn.c).
 */
struct kipc_owner {
	pid_t pid;
	unsigned int gen;
};

int kipc__owner_set(struct kipc_owner *o);
bool kipc__owner_is_self(const struct kipc_owner *o);

/* The state one thread owns: everything the sending side touches lives in
 * tx, everything the receiving side touches in rx, each on its own cache
 * lines so the two threads of the thread rule never share a line.
 */
struct kipc_tx {
	struct kipc_ring ring;
	bool armed;		/* prod.need left set for a poller */
	bool kick_owed;		/* KIPC_NOKICK withheld a doorbell */
	bool open;		/* a reservation is open */
	uint32_t open_len;	/* its length */
	uint32_t max;		/* largest payload */
	int wait_fd;		/* dev: the conn fd; shm: bell_fd */
	int bell_fd;		/* shm: the peer's room bell (epoll) + our socket */
	int kick_fd;		/* shm: our data doorbell (eventfd) */
	void *buf;		/* uds: the reservation buffer */
} __attribute__((aligned(64)));

struct kipc_rx {
	struct kipc_ring ring;
	bool armed;		/* cons.waiting left set for a poller */
	bool peeked;		/* kipc_peek() handed out the current message */
	bool ask_need;		/* SEQ: look at prod.need at the next message */
	bool ring_full;		/* SEQ: half full or more at the last look */
	uint32_t last_span;	/* of the record consumed last: a hint for
				 * the spin's prefetch (wait.c)
				 */
	uint32_t batch;		/* release the tail after this many bytes */
	uint32_t max;		/* largest payload accepted */
	int wait_fd;		/* dev: the conn fd; shm: bell_fd */
	int bell_fd;		/* shm: the peer's data bell (epoll) + our socket */
	int kick_fd;		/* shm: our room doorbell (eventfd) */
	uint8_t *buf;		/* uds: a message held back (peek, or too big) */
	uint32_t held;		/* uds: its length, 0 if none */
	uintptr_t owner;	/* atomic: thread of the last rx call (conn.c) */
} __attribute__((aligned(64)));

/*
 * What differs between transports, one table each (as file_operations):
 * the ring transports (dev, shm) differ in how the doorbell rings and a
 * waiter sleeps; a message transport (uds) brings its own data calls.
 * Adding a transport is a new table in its own file.
 */
struct kipc_msg_ops {
	ssize_t (*send)(struct kipc_conn *c, const void *buf, size_t len,
			unsigned int flags, int timeout_ms);
	ssize_t (*recv)(struct kipc_conn *c, void *buf, size_t cap,
			unsigned int flags, int timeout_ms);
	int (*reserve)(struct kipc_conn *c, size_t len, void **buf);
	int (*commit)(struct kipc_conn *c, size_t len, unsigned int flags);
	ssize_t (*peek)(struct kipc_conn *c, const void **buf,
			unsigned int flags, int timeout_ms);
	int (*release)(struct kipc_conn *c);
};

#define KIPC_SLEEP_ERR		2	/* ops->sleep: the driver said POLLERR */

struct kipc_ops {
	int transport;		/* KIPC_TRANSPORT_* */
	/* Ring the peer's doorbell; @fd is tx.kick_fd or rx.kick_fd. */
	int (*kick)(struct kipc_conn *c, int fd);
	/* Sleep on @wait_fd for @events, at most @ms (-1: no limit). 1 woken,
	 * 0 timed out, KIPC_SLEEP_ERR, or -errno.
	 */
	int (*sleep)(struct kipc_conn *c, int wait_fd, short events, int ms);
	/* While spinning, now and then: is the peer gone? NULL: nothing to
	 * ask (dev: the header's state word says it).
	 */
	bool (*hup)(struct kipc_conn *c);
	/* Before a wait is announced to a poller: take the pending edge of
	 * doorbell @bell. NULL: none.
	 */
	void (*bell_reset)(struct kipc_conn *c, int bell);
	int (*poll_events)(int events);	/* kipc_poll_events(); NULL: as is */
	void (*free)(struct kipc_conn *c);	/* what the transport set up */
	const struct kipc_msg_ops *msg;	/* message transports only */
};

extern const struct kipc_ops kipc__dev_ops;
extern const struct kipc_ops kipc__shm_ops;
extern const struct kipc_ops kipc__uds_ops;

struct kipc_conn {
	struct kipc_tx tx;
	struct kipc_rx rx;
	const struct kipc_ops *ops;
	const struct kipc_msg_ops *msg;	/* ops->msg, one load on the fast path */
	int side;		/* KIPC_SIDE_CLIENT or KIPC_SIDE_SERVER */
	int fd;			/* dev: the connection; shm, uds: the socket */
	int poll_fd;		/* what kipc_fd() returns */
	const struct kipc_shared_hdr *hdr;	/* dev: the kernel's header */
	uint32_t gone_bit;	/* dev: KIPC_STATE_*_GONE of the peer */
	int state;		/* atomic: KIPC_CONN_GONE | KIPC_CONN_BROKEN */
	int wait_policy;	/* atomic */
	unsigned int spin_ns;	/* atomic */
	struct kipc_owner owner;	/* the process that set it up */
	bool fds_barred;	/* socket: SO_PASSRIGHTS off (sock.c) */
	pid_t peer_pid;
	uid_t peer_uid;
	gid_t peer_gid;
	void *map[2];		/* dev: shared and own views; shm: the peer's
				 * memfd (read-only) and ours
				 */
	size_t map_len[2];
};

/* Options after defaults, environment and validation. */
struct kipc_cfg {
	int transport;		/* KIPC_TRANSPORT_*, AUTO if not forced */
	uint32_t ring_bytes;	/* 0: default */
	uint32_t mode;
	int backlog;
	int wait_policy;
	unsigned int spin_ns;
	int timeout_ms;
	uint32_t max_ring_bytes;	/* connect: 0, no cap */
};

/* Rings larger than the connector's cap: it refuses to pay for them. */
static inline bool kipc__over_cap(const struct kipc_cfg *cfg,
				  const uint32_t ring_bytes[2])
{
	return cfg->max_ring_bytes && (ring_bytes[0] > cfg->max_ring_bytes ||
				       ring_bytes[1] > cfg->max_ring_bytes);
}

int kipc__cfg(const struct kipc_opts *opts, struct kipc_cfg *cfg);
int64_t kipc__now_ns(void);

/* Absolute deadline of a timeout in ms (< 0: none, -1 returned). */
static inline int64_t kipc__deadline(int timeout_ms)
{
	return timeout_ms > 0 ?
		kipc__now_ns() + (int64_t)timeout_ms * 1000000 : -1;
}

/* Milliseconds left for poll(): -1 for no deadline, rounded up. */
static inline int kipc__ms_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - kipc__now_ns();
	if (left <= 0)
		return 0;
	return (int)((left + 999999) / 1000000);
}

#define KIPC_EPOLL_SOCK		1	/* epoll data of our socket in a bell */

#define KIPC_CONN_GONE		1	/* the peer is known to be gone */
#define KIPC_CONN_BROKEN	2	/* a ring was corrupt: -EBADMSG from now on */

/* The peer is gone. Release: pairs with the acquire in the readers; the
 * syscall that showed the hang-up ordered the peer's last stores before it.
 */
static inline void kipc__set_gone(struct kipc_conn *c)
{
	__atomic_fetch_or(&c->state, KIPC_CONN_GONE, __ATOMIC_RELEASE);
}

/* Pass @err on; an -EBADMSG breaks the whole connection, both directions. */
static inline int kipc__broken(struct kipc_conn *c, int err)
{
	if (err == -EBADMSG)
		__atomic_fetch_or(&c->state, KIPC_CONN_BROKEN, __ATOMIC_RELAXED);
	return err;
}

static inline int kipc__conn_state(struct kipc_conn *c)
{
	return __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
}
int kipc__check_name(const char *name);
struct kipc_conn *kipc__conn_alloc(const struct kipc_ops *ops, int side,
				   const struct kipc_cfg *cfg);
void kipc__conn_ready(struct kipc_conn *c);
void kipc__conn_formats(struct kipc_conn *c, uint64_t formats);
void kipc__conn_free(struct kipc_conn *c);
int kipc__epoll_add(int epfd, int fd, uint32_t events, uint64_t data);
int kipc__anon_fd_check(int fd);

/* dev transport (dev.c). */
int kipc__dev_open(int *fd, uint32_t *default_ring, uint64_t *formats,
		   uint64_t *features);
int kipc__dev_listen(int fd, const char *name, const struct kipc_cfg *cfg,
		     uint32_t ring_bytes, uint64_t formats);
int kipc__dev_connect(const char *name, const struct kipc_cfg *cfg,
		      struct kipc_conn **out);
int kipc__dev_accept(int lfd, const struct kipc_cfg *cfg,
		     struct kipc_conn **out);

/* shm transport (shm.c). */
int kipc__shm_create(int side, const uint32_t ring_bytes[2], int *memfd,
		     void **map, size_t *len);
int kipc__shm_adopt(int memfd, int side, const uint32_t ring_bytes[2],
		    void **map, size_t *len);
int kipc__shm_bells(int bell[2], int peer_view[2]);
int kipc__shm_setup(struct kipc_conn *c, int sock, void *own, size_t own_len,
		    void *peer, size_t peer_len, const uint32_t ring_bytes[2],
		    uint64_t formats, const int bell[2], const int peer_view[2]);

/* uds transport (uds.c). */
int kipc__uds_setup(struct kipc_conn *c, int sock, uint32_t tx_max,
		    uint32_t rx_max);
uint32_t kipc__uds_tx_max(int sock, uint32_t ring_bytes);

/*
 * The socket handshake (sock.c), for the shm and uds transports. One
 * SOCK_SEQPACKET message per step, each a struct kipc_wire:
 *
 *   server, at accept:  OFFER  transports it takes, ring sizes, its uds
 *                              message limit, its caps; or REJECT (-EACCES ...)
 *   client:             SETUP  the transport chosen, its uds limit, its caps;
 *                              shm adds SCM_RIGHTS {memfd, data bell,
 *                              room bell}
 *   server:             READY  (shm adds {memfd, data bell, room bell}) or
 *                              REJECT
 *
 * On shm each side's memfd holds only what that side writes, laid out as
 * the driver's OWN view of that side (shm.c, "Page roles"), sealed so that
 * the receiver can map it read-only and nothing else. A peer without
 * KIPC_WIRE_CAP_PAGE_ROLES (an older libkipc, whose one memfd both sides
 * map read-write) is refused on shm: -EPROTONOSUPPORT; a client that may
 * use uds falls back to it.
 *
 * A "bell" here is an epoll fd holding, edge-triggered, an eventfd that only
 * its creator can write: the ringing side keeps the eventfd to itself, so a
 * peer can neither clear its O_NONBLOCK nor fill its counter to make a kick
 * block. The socket stays open for the life of the connection: its hang-up
 * is how each side learns that the other is gone.
 */
#define KIPC_WIRE_MAGIC		0x5750494bU	/* "KIPW" */
#define KIPC_WIRE_VERSION	1	/* never changes: growth is in features */
#define KIPC_WIRE_OFFER		1
#define KIPC_WIRE_SETUP		2
#define KIPC_WIRE_READY		3
#define KIPC_WIRE_REJECT	4

/* kipc_wire.caps: what the handshake itself can do. */
#define KIPC_WIRE_CAP_PAGE_ROLES (1ULL << 0)	/* shm: one sealed memfd per side */
#define KIPC_WIRE_CAPS		KIPC_WIRE_CAP_PAGE_ROLES

struct kipc_wire {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	int32_t status;		/* REJECT: negative errno */
	uint32_t transports;	/* OFFER: 1 << KIPC_TRANSPORT_x offered (DEV:
				 * the listener holds the name on the
				 * driver too); SETUP: chosen
				 */
	uint32_t ring_bytes[2];	/* OFFER: [KIPC_RING_C2S], [KIPC_RING_S2C] */
	uint32_t uds_max;	/* OFFER, SETUP: the sender's uds payload limit */
	uint32_t page_size;	/* OFFER: the server's page size */
	uint64_t features;	/* OFFER: KIPC_F_RING_* the server reads;
				 * SETUP: those the rings use, a subset;
				 * 0 from a 1.0 peer
				 */
	uint64_t caps;		/* OFFER: KIPC_WIRE_CAP_* the server has;
				 * SETUP: those the client uses, a subset;
				 * 0 from a peer older than page roles
				 */
};

int kipc__sock_listen(const char *name, const struct kipc_cfg *cfg, int *fd);
/* kipc__sock_connect(): with @dev_missed (the driver had no such name a
 * moment ago), an OFFER that says the listener is on the driver too
 * returns KIPC__TRY_DEV, before anything is set up, instead of going on
 * over the socket (listener.c).
 */
#define KIPC__TRY_DEV	1
int kipc__sock_connect(const char *name, const struct kipc_cfg *cfg,
		       bool dev_missed, struct kipc_conn **out);
int kipc__sock_addr(const char *name, void *sun, socklen_t *len);

/*
 * Fds a peer passes us (sock.c, "Fds from a peer"). KIPC_SCM_MAX_FD is the
 * kernel's SCM_MAX_FD, the most one message carries: a control buffer
 * with room for them all leaves none for the kernel to release in our
 * task, where a lingering socket's close would block us.
 */
/* Linux 6.16; glibc 2.36 has no name for it. 83 is its number in the
 * generic socket option table; the architectures with a table of their
 * own (alpha, mips, parisc, sparc) go without it: there 83 may be another
 * option, one that accepts 0.
 */
#if !defined(SO_PASSRIGHTS) && !defined(__alpha__) && !defined(__mips__) && \
	!defined(__hppa__) && !defined(__sparc__)
#define SO_PASSRIGHTS	83
#endif
#define KIPC_SCM_MAX_FD		253
#define KIPC_SCM_BUF		CMSG_SPACE(sizeof(int) * KIPC_SCM_MAX_FD)
/* Messages a drain reads at most: more than a socket's send buffer holds
 * of them up to a wmem_max of 24 MiB (twice that, as SO_SNDBUF may ask,
 * at ~768 bytes of truesize a message), each one syscall.
 */
#define KIPC_DRAIN_MAX		65536
void kipc__close_peer_fd(int fd);
void kipc__scm_close(struct msghdr *m);
bool kipc__sock_bar_fds(int sock);
bool kipc__sock_drain(int sock, int max);
void kipc__sock_close(struct kipc_conn *c);
int kipc__may_connect(uid_t owner_uid, gid_t owner_gid, uint32_t mode,
		      int sock);

/* Listener internals shared by listener.c and sock.c. */
struct kipc_pending {
	struct kipc_pending *next;
	int fd;
	uint32_t uds_max;	/* what we offered to send on uds */
	int64_t deadline_ns;
};

struct kipc_listener {
	int epfd;		/* kipc_listener_fd(): dev fd, socket, pending */
	int dev_fd;		/* -1 without the driver */
	int sock_fd;		/* -1 when forced to dev */
	unsigned int transports;	/* offered on the socket */
	uint32_t ring_bytes;
	uid_t uid;
	gid_t gid;
	struct kipc_cfg cfg;
	struct kipc_pending *pending;
	int npending;
	struct kipc_owner owner;	/* a child of fork() leaves epfd alone */
};

int kipc__sock_accept_new(struct kipc_listener *l);
int kipc__sock_pending_ready(struct kipc_listener *l, struct kipc_pending *p,
			     struct kipc_conn **out);
void kipc__pending_drop(struct kipc_listener *l, struct kipc_pending *p);

/* Test hooks (static library and test builds only: not in libkipc.map). */
void *kipc__test_map(struct kipc_conn *c, size_t *len);
struct kipc_ring *kipc__test_ring(struct kipc_conn *c, int tx);

#endif /* KIPC_INTERNAL_H */
