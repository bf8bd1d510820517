/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kipc: kernel-assisted shared-memory IPC.
 *
 * The only header shared by the driver (kmod/) and userspace. It defines
 * the ioctls on /dev/kipc and the layout of the ring memory that both ends
 * of a connection mmap. Userspace moves messages through that memory on its
 * own; the driver is involved only in setup, doorbell kicks and readiness.
 *
 * Conventions (see Documentation/process/botching-up-ioctls.rst):
 *  - every ioctl argument starts with { __u32 size; __u32 flags; } and is
 *    read with copy_struct_from_user(): a size below the first (1.0)
 *    layout of the struct gives -EINVAL; a size between that and today's
 *    struct is an older caller, whose missing fields read as zero; a
 *    larger size whose extra bytes are not zero gives -E2BIG, and so does
 *    any size above the page size; unknown flags
 *    or non-zero reserved fields give -EINVAL; a bad pointer gives
 *    -EFAULT; an unknown ioctl gives -ENOTTY; an ioctl that does not fit
 *    the fd's role (e.g. ACCEPT on a connection) gives
 *    -EINVAL. Output structs are written back up to min(size, kernel size).
 *  - ioctl numbers are _IO() with the size carried inside the struct, so a
 *    struct can grow without a new number. Fields added after 1.0 say so.
 *  - nothing is ever versioned: KIPC_ABI_VERSION is 1 for good (old
 *    libraries compare it for equality) and growth is a KIPC_F_* feature
 *    bit that the driver reports, as io_uring's IORING_FEAT_* are.
 *  - shared memory holds offsets, never pointers; fixed-width types only;
 *    every struct has explicit padding and a size that is a multiple of 8.
 */
#ifndef _UAPI_LINUX_KIPC_H
#define _UAPI_LINUX_KIPC_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KIPC_ABI_VERSION	1	/* the 1.0 ring format; never changes */
#define KIPC_MAGIC		0x4350494bU	/* "KIPC" in little-endian */
#define KIPC_DEVICE_NAME	"kipc"		/* /dev/kipc */

/* Listener names: 1..KIPC_NAME_MAX-1 bytes of 0x21..0x7e, NUL-terminated,
 * the rest of the array zero. Names are per network namespace: the
 * listener's at LISTEN, the connector's at CONNECT (as abstract Unix
 * sockets, so the library's fallback agrees).
 */
#define KIPC_NAME_MAX		64

/* Ring 0 carries client -> server, ring 1 server -> client. Side s
 * produces ring s and consumes ring 1 - s.
 */
#define KIPC_SIDE_CLIENT	0
#define KIPC_SIDE_SERVER	1
#define KIPC_RING_C2S		0
#define KIPC_RING_S2C		1

/*
 * Features. KIPC_IOC_VERSION reports in @features what the driver can do;
 * userspace tests the bits it needs, never a version number.
 *
 * Bits 0..31 are capabilities of the driver. Bits 32..63
 * (KIPC_F_RING_FORMATS) are opt-in changes to the ring memory format: a
 * connection uses one only when the client asked for it at CONNECT, the
 * listener accepted it at LISTEN and the driver has it, so an old library,
 * which asks for none, always gets the 1.0 format. The bits in use are in
 * CONN_INFO's and the shared header's @features; a reader must not touch
 * a ring whose header has a bit it does not know.
 */
#define KIPC_F_EVENTFD		(1ULL << 0)	/* KIPC_IOC_SET_EVENTFD */
#define KIPC_F_URING_CMD	(1ULL << 1)	/* IORING_OP_URING_CMD kick */
#define KIPC_F_PEERCRED		(1ULL << 2)	/* kipc_peer in ACCEPT/CONN_INFO */
#define KIPC_F_POLL_NEED	(1ULL << 3)	/* POLLOUT honours kipc_prod.need */
#define KIPC_F_NEGOTIATE	(1ULL << 4)	/* @features of LISTEN, CONNECT,
						 * CONN_INFO and kipc_shared_hdr
						 */
#define KIPC_F_RING_CAP		(1ULL << 5)	/* CONNECT's @max_ring_bytes */
#define KIPC_F_RING_FORMATS	0xffffffff00000000ULL
#define KIPC_F_RING_SEQ		(1ULL << 32)	/* records published by their
						 * own header ("Records")
						 */
#define KIPC_F_RING_PAD		(1ULL << 33)	/* padding records of any
						 * length ("Records")
						 */

/*
 * KIPC_IOC_VERSION - any kipc fd. Reports the ABI and the module's limits.
 * Errors: EINVAL, E2BIG, EFAULT as above.
 */
struct kipc_version {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__u32 abi_version;		/* out: KIPC_ABI_VERSION */
	__u32 page_size;		/* out */
	__aligned_u64 features;		/* out: KIPC_F_* */
	__u32 name_max;			/* out: KIPC_NAME_MAX */
	__u32 min_ring_bytes;		/* out: smallest ring (a page) */
	__u32 max_ring_bytes;		/* out: module parameter max_ring_bytes */
	__u32 default_ring_bytes;	/* out: ring size when 0 is asked for */
	__u32 max_backlog;		/* out: module parameter max_backlog */
	__u32 __reserved;
};

/* LISTEN backlog 0 gives min(KIPC_BACKLOG_DEFAULT, max_backlog); libkipc's
 * socket listener uses the same default.
 */
#define KIPC_BACKLOG_DEFAULT	64

/*
 * KIPC_IOC_LISTEN - on a fresh /dev/kipc fd: turns it into a listener of
 * @name. Owner uid/gid are the caller's fsuid/fsgid; @mode holds the
 * permission bits (S_IRWXUGO) checked at CONNECT, which needs "write"
 * permission as connect(2) does on a socket file. The name is freed when
 * the listener fd is closed. Ring sizes are powers of two in
 * [min_ring_bytes, max_ring_bytes]; 0 picks default_ring_bytes.
 * @features are the ring formats (KIPC_F_RING_FORMATS) the server can read.
 * Errors: EINVAL (bad name, mode bits outside 0777, ring size not a power
 * of two or out of range, backlog > max_backlog, a feature bit the driver
 * does not report, fd already bound), EADDRINUSE (name taken), EMFILE
 * (the caller's real uid holds max_listeners_per_user names), E2BIG,
 * EFAULT.
 */
struct kipc_listen {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__u32 mode;			/* in: 0..0777 */
	__u32 backlog;			/* in: 0 = default */
	__u32 ring_bytes[2];		/* in: [KIPC_RING_C2S], [KIPC_RING_S2C] */
	char name[KIPC_NAME_MAX];	/* last field of the 1.0 layout */
	__aligned_u64 features;		/* in: KIPC_F_RING_*; after 1.0 */
};

/*
 * KIPC_IOC_CONNECT - on a fresh /dev/kipc fd: creates a connection to the
 * listener @name and queues it for ACCEPT; the fd becomes the client side
 * and can be mmapped and used at once (messages sent before ACCEPT wait in
 * the ring). The connecting process is charged for the pinned ring memory
 * (see "Charging" below). Blocks while the backlog is full unless
 * KIPC_CONNECT_NONBLOCK is given or the fd is O_NONBLOCK. The backlog is
 * the listener's, or max_backlog if root has lowered it since LISTEN.
 * Errors: ENOENT (no such name), EACCES (mode/uid/gid deny), EAGAIN
 * (backlog full, non-blocking), EINTR, ECONNREFUSED (listener closed while
 * waiting), EMFILE (max_conns_per_user reached), ENOMEM (RLIMIT_MEMLOCK or
 * memory cgroup), ENOSPC (module parameter max_pinned_bytes or
 * max_pinned_bytes_per_user), EINVAL (bad
 * name or flags, a feature bit the driver does not report, fd already
 * bound, non-zero __reserved), E2BIG, EFAULT, EMSGSIZE (a ring of the
 * listener is larger than @max_ring_bytes, or than the module parameter
 * max_ring_bytes, lowered since LISTEN). @features are the ring formats
 * the client can read; the connection uses those the listener accepted too
 * (CONN_INFO). @max_ring_bytes (KIPC_F_RING_CAP) is the largest ring, each
 * direction, the connector agrees to pay for; 0 is no cap beyond the
 * module's. It is checked before anything is waited for or charged.
 */
#define KIPC_CONNECT_NONBLOCK	(1U << 0)

struct kipc_connect {
	__u32 size;
	__u32 flags;			/* in: KIPC_CONNECT_* */
	char name[KIPC_NAME_MAX];	/* last field of the 1.0 layout */
	__aligned_u64 features;		/* in: KIPC_F_RING_*; after 1.0 */
	__u32 max_ring_bytes;		/* in: 0 = no cap; KIPC_F_RING_CAP */
	__u32 __reserved;
};

/* Credentials of the other side, as SO_PEERCRED gives them: pid in the
 * caller's pid namespace (0 if not visible there), ids in the caller's user
 * namespace, both as of LISTEN (server) or CONNECT (client).
 */
struct kipc_peer {
	__s32 pid;
	__u32 uid;
	__u32 gid;
	__u32 __reserved;
};

/*
 * KIPC_IOC_ACCEPT - on a listener: takes the oldest queued connection and
 * returns a new O_CLOEXEC fd for its server side in @fd. Blocks while the
 * queue is empty unless KIPC_ACCEPT_NONBLOCK is given or the listener is
 * O_NONBLOCK. The listener polls readable (EPOLLIN) while connections wait.
 * Errors: EAGAIN, EINTR, EINVAL (not a listener, bad flags), EMFILE,
 * ENFILE or ENOMEM (out of fds or memory), EFAULT, E2BIG; after any error
 * the connection stays queued.
 */
#define KIPC_ACCEPT_NONBLOCK	(1U << 0)

struct kipc_accept {
	__u32 size;
	__u32 flags;			/* in: KIPC_ACCEPT_* */
	__s32 fd;			/* out */
	__u32 __reserved;
	struct kipc_peer peer;		/* out: the client */
};

/*
 * KIPC_IOC_CONN_INFO - on either side of a connection.
 * Errors: EINVAL (not a connection), E2BIG, EFAULT.
 */
struct kipc_conn_info {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__u32 side;			/* out: KIPC_SIDE_* */
	__u32 state;			/* out: KIPC_STATE_* */
	__u32 ring_bytes[2];		/* out */
	__aligned_u64 shared_map_bytes;	/* out: mmap length at KIPC_MMAP_SHARED */
	__aligned_u64 own_map_bytes;	/* out: mmap length at KIPC_MMAP_OWN */
	__aligned_u64 conn_id;		/* out: as in /proc/driver/kipc */
	struct kipc_peer peer;		/* out; last field of the 1.0 layout */
	__aligned_u64 features;		/* out: KIPC_F_RING_* in use; after 1.0 */
};

/*
 * KIPC_IOC_SET_EVENTFD - on either side of a connection: from now on the
 * peer's kicks (and the peer's death) also signal eventfd @fd; -1 detaches.
 * Errors: EBADF (not an eventfd), EINVAL, E2BIG, EFAULT.
 */
struct kipc_eventfd {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__s32 fd;			/* in */
	__u32 __reserved;
};

#define KIPC_IOC_MAGIC		0xB8
#define KIPC_IOC_VERSION	_IO(KIPC_IOC_MAGIC, 0x00)
#define KIPC_IOC_LISTEN		_IO(KIPC_IOC_MAGIC, 0x01)
#define KIPC_IOC_CONNECT	_IO(KIPC_IOC_MAGIC, 0x02)
#define KIPC_IOC_ACCEPT		_IO(KIPC_IOC_MAGIC, 0x03)
#define KIPC_IOC_CONN_INFO	_IO(KIPC_IOC_MAGIC, 0x04)
#define KIPC_IOC_SET_EVENTFD	_IO(KIPC_IOC_MAGIC, 0x05)
/*
 * KIPC_IOC_KICK - on either side of a connection, argument 0: wakes the
 * peer's poll/epoll/io_uring waiters and signals its eventfd. Cheap; kicks
 * coalesce. Also the io_uring command op: IORING_OP_URING_CMD with
 * cmd_op = KIPC_URING_CMD_KICK does the same and completes with res 0
 * (not on IORING_SETUP_IOPOLL rings, where io_uring answers -EOPNOTSUPP).
 * Errors: EPIPE (peer gone), EINVAL (not a connection, non-zero argument);
 * an unknown uring_cmd op completes with -ENOTTY.
 *
 * poll/epoll/io_uring POLL_ADD on a connection: EPOLLIN while the receive
 * ring holds data; EPOLLOUT while the send ring has room for
 * max(kipc_prod.need, one empty record); once the peer is gone EPOLLHUP |
 * EPOLLRDHUP | EPOLLIN | EPOLLOUT, so a reader drains and then sees
 * end-of-stream and a writer learns of EPIPE; EPOLLERR with EPOLLIN when
 * the indices are inconsistent. A listener polls EPOLLIN while connections
 * wait for ACCEPT.
 */
#define KIPC_IOC_KICK		_IO(KIPC_IOC_MAGIC, 0x06)
#define KIPC_URING_CMD_KICK	KIPC_IOC_KICK

/*
 * Ring memory. A connection owns one object of pages:
 *
 *   page 0                 struct kipc_shared_hdr, written by the kernel only
 *   page 1                 side 0 (client) index page: struct kipc_index_page
 *   page 2                 side 1 (server) index page
 *   ring[0].data_off ...   ring 0 data, ring[0].size bytes
 *   ring[1].data_off ...   ring 1 data, ring[1].size bytes
 *
 * Each side maps two views on its connection fd (MAP_SHARED only):
 *  - KIPC_MMAP_SHARED: the whole object, read-only (VM_MAYWRITE cleared, so
 *    mprotect cannot upgrade it). Offsets in kipc_shared_hdr are into this
 *    view.
 *  - KIPC_MMAP_OWN: read-write, what this side owns: its index page at 0,
 *    then the data of the ring it produces at kipc_shared_hdr.own_data_off.
 * So a side can write only its send ring's data, its producer index and its
 * receive ring's consumer index. A hostile peer can corrupt its own messages
 * and indices, never ours, and never the header.
 *
 * Both views need their exact length (CONN_INFO) and MAP_SHARED; anything
 * else gives EINVAL, PROT_WRITE on the shared view EACCES, PROT_EXEC on
 * either view EACCES (so do READ_IMPLIES_EXEC personalities). The views are
 * not inherited across fork (VM_DONTCOPY: a child maps them again from the
 * inherited fd if it takes over; MADV_DOFORK opts a view back in, which is
 * safe: the child's copy holds the file like any mapping), cannot grow
 * (mremap growth fails), and
 * cannot be split: partial munmap or mremap shrink give EINVAL. Moving a
 * whole view with mremap works.
 */
#define KIPC_MMAP_SHARED	0x00000000ULL
#define KIPC_MMAP_OWN		0x40000000ULL

/* Header state bits. Set once, never cleared. */
#define KIPC_STATE_CLIENT_GONE	(1U << 0)	/* client's last reference went */
#define KIPC_STATE_SERVER_GONE	(1U << 1)	/* server side closed/refused */
#define KIPC_STATE_ACCEPTED	(1U << 2)	/* server side exists */

struct kipc_ring_desc {
	__u32 size;			/* data bytes, power of two */
	__u32 data_off;			/* data area in the shared view */
	__u32 prod_off;			/* struct kipc_prod in the shared view */
	__u32 cons_off;			/* struct kipc_cons in the shared view */
};

struct kipc_shared_hdr {
	__u32 magic;			/* KIPC_MAGIC */
	__u32 abi_version;		/* KIPC_ABI_VERSION */
	__u32 hdr_size;			/* sizeof(struct kipc_shared_hdr) */
	__u32 page_size;
	__aligned_u64 shared_map_bytes;
	__u32 own_map_bytes[2];		/* per side */
	__u32 own_data_off;		/* tx data offset in the OWN view */
	__u32 state;			/* KIPC_STATE_*; read with acquire */
	struct kipc_ring_desc ring[2];
	__aligned_u64 conn_id;
	__aligned_u64 features;		/* KIPC_F_RING_* in use (0: 1.0 format) */
	__u64 __reserved;
};

/*
 * Index page of one side (own view offset 0; shared view offset
 * (1 + side) * page_size). The producer line and the consumer line sit 128
 * bytes apart so that neither shares a cache line (nor an adjacent-line
 * prefetch pair) with the other.
 *
 * Indices are free-running byte counts modulo 2^32; the used part of a ring
 * is head - tail, never more than its size.
 */
struct kipc_prod {			/* written by the producer only */
	__u32 head;			/* bytes published (store-release) */
	__u32 need;			/* doorbell: bytes of room it waits for, 0 none */
	__u32 msgs;			/* messages published, free-running; for
					 * introspection only, never trusted
					 */
	__u32 __pad[29];
};

struct kipc_cons {			/* written by the consumer only */
	__u32 tail;			/* bytes released (store-release) */
	__u32 waiting;			/* doorbell: non-zero while it waits for data */
	__u32 __pad[30];
};

struct kipc_index_page {
	struct kipc_prod prod;		/* of the ring this side sends on */
	struct kipc_cons cons;		/* of the ring this side receives on */
};

#define KIPC_PROD_LINE_OFF	0
#define KIPC_CONS_LINE_OFF	128

/*
 * The layout of the object, computed here once for the driver and for
 * libkipc's shm transport (which puts the same object in a memfd): the
 * header page, the index pages of side 0 and 1, then the data of ring 0
 * and of ring 1.
 */
#define KIPC_FIXED_PAGES	3U		/* header + two index pages */

static inline __u64 kipc_layout_map_bytes(__u32 page_size,
					  const __u32 ring_bytes[2])
{
	return (__u64)KIPC_FIXED_PAGES * page_size + ring_bytes[0] +
	       ring_bytes[1];
}

/* Fill every layout field of @h, which the caller has zeroed. */
static inline void kipc_layout_init(struct kipc_shared_hdr *h,
				    __u32 page_size, const __u32 ring_bytes[2])
{
	__u32 data_off = KIPC_FIXED_PAGES * page_size;
	unsigned int r;

	h->magic = KIPC_MAGIC;
	h->abi_version = KIPC_ABI_VERSION;
	h->hdr_size = sizeof(*h);
	h->page_size = page_size;
	h->shared_map_bytes = kipc_layout_map_bytes(page_size, ring_bytes);
	h->own_data_off = page_size;
	for (r = 0; r < 2; r++) {
		h->own_map_bytes[r] = page_size + ring_bytes[r];
		h->ring[r].size = ring_bytes[r];
		h->ring[r].data_off = data_off;
		data_off += ring_bytes[r];
		/* Ring r is produced by side r, consumed by side 1 - r. */
		h->ring[r].prod_off = (1 + r) * page_size + KIPC_PROD_LINE_OFF;
		h->ring[r].cons_off = (2 - r) * page_size + KIPC_CONS_LINE_OFF;
	}
}

/*
 * Records. Each message is a struct kipc_rec followed by its payload,
 * starting at an 8-byte aligned ring offset; the next record follows
 * KIPC_REC_SPAN(len) bytes later. A record never wraps: when the space up
 * to the end of the data area is too small, the producer first writes a
 * record with KIPC_REC_PAD set whose span is exactly that space (its len
 * is the span minus the header), and the message goes at offset 0. @pos is
 * the low 32 bits of the free-running position of the record, so a reader
 * can tell a record from stale bytes of an earlier lap. The largest payload
 * of a ring of size S is KIPC_MSG_MAX(S) = S / 2 - 8, which always fits once
 * the ring is empty.
 *
 * KIPC_F_RING_SEQ changes how a record is published, not where it lies:
 * the same struct kipc_rec, spans, padding and limits, but @pos holds
 * KIPC_REC_SEQ(pos), and the producer stores the whole 8-byte header in
 * one 64-bit store-release after its payload. The consumer spins on the
 * header word of the next record (load-acquire) instead of on head, so a
 * record of up to 56 bytes of payload that starts a cache line is one
 * line each way. Stale bytes there (an earlier lap's payload) must never
 * look like the next record, so before it publishes a record the producer
 * stores a mark, a header { 0, p } for the slot's own position p, in the
 * header slot that follows it (KIPC_REC_MARK bytes, counted in the room it
 * needs: a record of span n needs n + 8 bytes free), unless it knows the
 * slot holds zero already (libkipc zeroes the free slots just ahead of
 * it, kipc_ring_sweep()); a reader cannot tell the two apart and need not.
 * The seq of p is ~p:
 * never p and never 0 (p is 8-aligned), so neither a mark nor zeroed
 * memory ever reads as a record, nor does any earlier lap's header or
 * mark (~p - p is odd, a lap is even). head and msgs are still stored at
 * each publication, after the headers: the driver's readiness
 * (head - tail) is the same for both formats; only the consumer no
 * longer reads head on its fast path.
 *
 * KIPC_F_RING_PAD lets a padding record end anywhere, not only at the end
 * of the data area: its span is KIPC_REC_SPAN() of its len, a multiple of
 * 8 that must fit before the end, and a reader skips it as it skips the
 * one at the end, with the checks a message gets. libkipc uses it with
 * KIPC_F_RING_SEQ: a publication whose last record, if the next were as
 * long, would leave that one crossing a cache line more than it needs
 * (a 32-byte payload at ring offset 40, say) ends with a padding record
 * to the end of the line, so that small records in a ping-pong each
 * start a line, one line each way (kipc_ring_align()).
 */
struct kipc_rec {
	__u32 len;			/* payload bytes | KIPC_REC_PAD */
	__u32 pos;
};

#define KIPC_REC_PAD		0x80000000U
#define KIPC_REC_LEN_MASK	0x7fffffffU
#define KIPC_REC_ALIGN		8U
#define KIPC_REC_SPAN(len)	\
	((__u32)sizeof(struct kipc_rec) + \
	 (((len) + KIPC_REC_ALIGN - 1) & ~(KIPC_REC_ALIGN - 1)))
#define KIPC_MSG_MAX(ring_size)	((ring_size) / 2 - (__u32)sizeof(struct kipc_rec))
#define KIPC_REC_SEQ(pos)	(~(__u32)(pos))	/* KIPC_F_RING_SEQ: @pos field */
#define KIPC_REC_MARK		8U	/* KIPC_F_RING_SEQ: the slot marked ahead */
/* The smallest room a producer can ever wait for, by format. */
#define KIPC_REC_MIN_ROOM(features) \
	(KIPC_REC_SPAN(0) + ((features) & KIPC_F_RING_SEQ ? KIPC_REC_MARK : 0))

/*
 * Charging. Ring memory (header, index pages, both data areas) is allocated
 * at CONNECT and charged to the connecting process: to its memory cgroup
 * (__GFP_ACCOUNT, never invoking the OOM killer) and to its user's
 * locked_vm against RLIMIT_MEMLOCK (skipped with CAP_IPC_LOCK), as io_uring
 * does for its rings. The module parameter max_pinned_bytes caps the total,
 * max_pinned_bytes_per_user each connecting real uid's share of it (ENOSPC
 * either way, CAP_IPC_LOCK or not), and max_listeners_per_user the names
 * one real uid may hold (LISTEN: EMFILE). The connector can refuse to pay
 * for large rings with CONNECT's @max_ring_bytes (EMSGSIZE).
 *
 * Introspection: /proc/driver/kipc (mode 0444) lists counters, and the
 * listeners and connections of the reader's network namespace; pids and
 * traffic only of the reader's own (all to root); see kmod/README.
 */

/* Layout checks; the driver repeats them with BUILD_BUG_ON(). */
#if !defined(__KERNEL__) && !defined(__cplusplus) && \
	defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct kipc_version) == 48, "kipc_version");
_Static_assert(sizeof(struct kipc_listen) == 96, "kipc_listen");
_Static_assert(sizeof(struct kipc_connect) == 88, "kipc_connect");
_Static_assert(sizeof(struct kipc_peer) == 16, "kipc_peer");
_Static_assert(sizeof(struct kipc_accept) == 32, "kipc_accept");
_Static_assert(sizeof(struct kipc_conn_info) == 72, "kipc_conn_info");
_Static_assert(sizeof(struct kipc_eventfd) == 16, "kipc_eventfd");
_Static_assert(sizeof(struct kipc_shared_hdr) == 96, "kipc_shared_hdr");
_Static_assert(sizeof(struct kipc_prod) == 128, "kipc_prod");
_Static_assert(sizeof(struct kipc_cons) == 128, "kipc_cons");
_Static_assert(sizeof(struct kipc_index_page) == 256, "kipc_index_page");
_Static_assert(sizeof(struct kipc_rec) == 8, "kipc_rec");
#endif

#endif /* _UAPI_LINUX_KIPC_H */
