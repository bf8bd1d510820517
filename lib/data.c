// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The data path of the ring transports (dev and shm): send, receive,
 * reserve/commit, peek/release. A message transport (uds) takes these
 * calls through its ops->msg; waiting is wait.c's.
 *
 * Fast path. A message costs, on each side, a few loads and stores to the
 * ring, a memcpy and no syscall, no lock and no atomic read-modify-write:
 *  - the producer reads the consumer's tail only when its cached copy says
 *    the ring is full (kipc_ring_reserve), and publishes head once per
 *    kipc_send(), or once per batch with KIPC_MORE;
 *  - the consumer reads head only when it has consumed everything it saw
 *    (kipc_ring_peek), and publishes tail once per rx->batch bytes, when
 *    the producer has announced that it waits for room (kipc_prod.need,
 *    which sits on the line the consumer reads head from), and always
 *    before it sleeps or returns -EAGAIN, after it has spun a while on an
 *    empty ring, and before the same thread waits for room to send
 *    (kipc__tx_release_rx);
 *  - while spinning, the consumer keeps prefetching the lines of the next
 *    record that head is not on (SEQ: its second line, when the last
 *    record spanned at most two), so that their transfer overlaps the
 *    one of head (wait.c).
 * The one transport test on the way is "is it a message transport" (a
 * load and a branch, as before the ops table); the doorbell is an
 * indirect call, taken only when the peer sleeps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "datapath.h"

/* msg_copy()'s slow case (datapath.h): blocks of COPY_BACK_BLOCK bytes,
 * last first. Each block's own copy loads before it stores, and every
 * store already made lies above what is still to load.
 */
#define COPY_BACK_BLOCK		256U

void kipc__copy_back(void *dst, const void *src, size_t len)
{
	char *d = dst;
	const char *s = src;
	size_t i = len - len % COPY_BACK_BLOCK;

	memcpy(d + i, s + i, len - i);
	while (i) {
		i -= COPY_BACK_BLOCK;
		memcpy(d + i, s + i, COPY_BACK_BLOCK);
	}
}

/* ------------------------------------------------------------------ */
/* Receiving side                                                      */

/*
 * The thread that last used the receiving side, for kipc__tx_release_rx(): a
 * load and a compare per call, a compare-and-swap when another thread
 * takes over (or the sending thread holds it for a moment).
 */
#define RX_LOCKED	((uintptr_t)1)	/* never a pthread_t */

static void __attribute__((noinline)) rx_take(struct kipc_rx *rx,
					      uintptr_t self)
{
	uintptr_t cur = __atomic_load_n(&rx->owner, __ATOMIC_RELAXED);

	for (;;) {
		if (cur == RX_LOCKED) {
			cpu_relax();
			cur = __atomic_load_n(&rx->owner, __ATOMIC_RELAXED);
			continue;
		}
		/* Acquire: what kipc__tx_release_rx() did to the ring state. */
		if (__atomic_compare_exchange_n(&rx->owner, &cur, self, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
	}
}

static inline void rx_own(struct kipc_rx *rx)
{
	uintptr_t self = (uintptr_t)pthread_self();

	if (unlikely(__atomic_load_n(&rx->owner, __ATOMIC_RELAXED) != self))
		rx_take(rx, self);
}

/* The next message, waiting for it as needed. 0, WAIT_GONE or -errno.
 * Always inline: gcc 12 made it a call, which cost kipc_recv() 30 of its
 * 169 instructions per message (callgrind, 8 B, 16 messages a batch).
 */
static __attribute__((always_inline)) inline int
rx_next(struct kipc_conn *c, const void **p, uint32_t *len, unsigned int flags,
	int timeout_ms)
{
	struct kipc_rx *rx = &c->rx;
	int ret;

	if (unlikely(kipc__conn_state(c) & KIPC_CONN_BROKEN))
		return -EBADMSG;
	for (;;) {
		ret = kipc_ring_peek(&rx->ring, p, len);
		if (likely(!ret))
			break;
		if (ret != -EAGAIN)
			return kipc__broken(c, ret);
		rx->ask_need = false;	/* waiting hands room back itself */
		ret = kipc__rx_wait(c, flags, timeout_ms);
		if (ret)
			return ret;
	}
	/* SEQ, a message there without waiting (a backlog) and another
	 * RX_ASK_NEED bytes consumed: does the producer wait for room?
	 * Asked only then, so that a ping-pong never reads its line.
	 */
	if (unlikely(rx->ask_need)) {
		struct kipc_ring *r = &rx->ring;

		rx->ask_need = false;
		/* The same line tells how full the ring is: below half, the
		 * producer cannot be short of room soon, and we look again
		 * only after the next batch release. A hint only: whatever
		 * the peer writes there, the batch and the waits release.
		 */
		rx->ring_full = (uint32_t)(KIPC_RING_LOAD(&r->prod->head) -
					   r->pub) >= r->size / 2;
		if (KIPC_RING_LOAD(&r->prod->need))
			rx_release(c);
	}
	if (unlikely(!*len)) {
		/* We never send empty messages: recv() could not tell one
		 * from end-of-stream.
		 */
		rx->ring.broken = true;
		return kipc__broken(c, -EBADMSG);
	}
	rx_disarm(rx);
	return 0;
}

#define RX_ASK_NEED	128U	/* SEQ: bytes consumed between looks at need */

static inline void rx_consume(struct kipc_conn *c)
{
	struct kipc_rx *rx = &c->rx;
	struct kipc_ring *r = &rx->ring;
	uint32_t from = r->pos;

	rx->last_span = r->span;
	kipc_ring_consume(r);
	rx->peeked = false;
	/* Batch the tail, unless the ring is full enough as published that
	 * the producer may be waiting for room: then ask it (need sits on
	 * the line we read head from, so this is cheap while it waits).
	 * SEQ never reads head: rx_next() asks, when the next message is
	 * there already.
	 */
	if (r->pos - r->pub >= rx->batch) {
		rx_release(c);
		rx->ring_full = true;	/* look again at the next crossing */
	} else if (r->seq) {
		rx->ask_need = rx->ring_full && (from ^ r->pos) >= RX_ASK_NEED;
	}
	else if (r->seen - r->pub >= r->size / 2 &&
		 KIPC_RING_LOAD(&r->prod->need))
		rx_release(c);
}

KIPC_API ssize_t kipc_recv_timeout(struct kipc_conn *c, void *buf, size_t cap,
				   unsigned int flags, int timeout_ms)
{
	const void *p;
	uint32_t len;
	int ret;

	if (unlikely(!c || (!buf && cap) || (flags & ~KIPC_NONBLOCK)))
		return -EINVAL;
	if (unlikely(c->msg))
		return c->msg->recv(c, buf, cap, flags, timeout_ms);
	rx_own(&c->rx);
	ret = rx_next(c, &p, &len, flags, timeout_ms);
	if (unlikely(ret))
		return ret == WAIT_GONE ? 0 : ret;
	if (unlikely(len > cap))
		return -EMSGSIZE;	/* left in place for a bigger buffer */
	msg_copy(buf, p, len);
	rx_consume(c);
	return len;
}

KIPC_API ssize_t kipc_recv(struct kipc_conn *c, void *buf, size_t cap,
			   unsigned int flags)
{
	return kipc_recv_timeout(c, buf, cap, flags, -1);
}

KIPC_API ssize_t kipc_peek_timeout(struct kipc_conn *c, const void **buf,
				   unsigned int flags, int timeout_ms)
{
	uint32_t len;
	int ret;

	if (!c || !buf || (flags & ~KIPC_NONBLOCK))
		return -EINVAL;
	if (c->msg)
		return c->msg->peek(c, buf, flags, timeout_ms);
	rx_own(&c->rx);
	ret = rx_next(c, buf, &len, flags, timeout_ms);
	if (ret)
		return ret == WAIT_GONE ? 0 : ret;
	c->rx.peeked = true;
	return len;
}

KIPC_API ssize_t kipc_peek(struct kipc_conn *c, const void **buf,
			   unsigned int flags)
{
	return kipc_peek_timeout(c, buf, flags, -1);
}

KIPC_API int kipc_release(struct kipc_conn *c)
{
	if (!c)
		return -EINVAL;
	if (c->msg)
		return c->msg->release(c);
	rx_own(&c->rx);
	if (!c->rx.peeked)
		return -EINVAL;
	rx_consume(c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sending side                                                        */

/*
 * The sending thread, before it waits for room: hand back the room our
 * receiving side has consumed but, batching, not yet released. Two
 * single-threaded peers each waiting in send for room the other holds
 * would otherwise wait for good. Only when this thread is also the
 * receiving one (the last to call recv, peek or release): a receiving
 * thread of its own hands room back itself before it waits, and its ring
 * state is not ours to touch. The owner word is locked meanwhile, so that
 * a thread taking over the receiving side (rx_take()) waits for us.
 */
void kipc__tx_release_rx(struct kipc_conn *c)
{
	struct kipc_rx *rx = &c->rx;
	uintptr_t self = (uintptr_t)pthread_self();

	if (__atomic_load_n(&rx->owner, __ATOMIC_RELAXED) != self ||
	    !__atomic_compare_exchange_n(&rx->owner, &self, RX_LOCKED, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	rx_release(c);
	__atomic_store_n(&rx->owner, self, __ATOMIC_RELEASE);
}

/*
 * Copy a message into the buffer kipc_ring_reserve() gave. SEQ, a record
 * that opens its publication (its header is the gate): the consumer may be
 * spinning on the line that header is in, which also holds the first
 * payload bytes. Copied in order, those bytes take the line from the
 * consumer first, its next spin takes it back while the rest is copied,
 * and the header store then takes it a second time: two transfers of the
 * line on the round trip's path. Copying the rest first and that line's
 * bytes last leaves one, just before the header. Measured in one bench
 * run against the plain copy: 256 B round trips 0.84-0.93x, 64 B
 * 0.92-1.00x. A record that fits its header's line, or starts a line, or
 * sits inside a batch (its header is not what the consumer spins on) is
 * copied as one.
 */
static inline void tx_copy(const struct kipc_ring *r, void *p,
			   const void *buf, size_t len)
{
	size_t at = (uintptr_t)p & (KIPC_RING_LINE - 1), first, i;

	if (at + len > KIPC_RING_LINE && at && r->seq && !r->gated) {
		first = KIPC_RING_LINE - at;
		msg_copy((char *)p + first, (const char *)buf + first,
			 len - first);
		/* 8 to 56 bytes, a multiple of 8 (payloads are 8-aligned):
		 * word moves, not a second call.
		 */
		for (i = 0; i < first; i += 8)
			memcpy((char *)p + i, (const char *)buf + i, 8);
		return;
	}
	msg_copy(p, buf, len);
}

/* Always inline: in kipc_send() a call here costs a tenth of a message. */
static __attribute__((always_inline)) inline int
tx_reserve(struct kipc_conn *c, size_t len, void **p, unsigned int flags,
	   int timeout_ms)
{
	struct kipc_tx *tx = &c->tx;
	int ret, st;

	if (unlikely(!len))
		return -EINVAL;
	if (unlikely(len > tx->max))
		return -EMSGSIZE;
	st = kipc__conn_state(c);
	if (unlikely(st))
		return st & KIPC_CONN_BROKEN ? -EBADMSG : -EPIPE;
	/* dev: the kernel's word, one load of a line nobody writes. */
	if (c->hdr && unlikely(kipc_hdr_state(c->hdr) & c->gone_bit)) {
		kipc__set_gone(c);
		return -EPIPE;
	}
	tx->open = false;
	ret = kipc_ring_reserve(&tx->ring, (uint32_t)len, p);
	if (likely(!ret)) {
		tx_disarm(tx);
		return 0;
	}
	if (ret != -EAGAIN)
		return kipc__broken(c, ret);
	return kipc__tx_reserve_slow(c, (uint32_t)len, p, flags, timeout_ms);
}

KIPC_API ssize_t kipc_send_timeout(struct kipc_conn *c, const void *buf,
				   size_t len, unsigned int flags,
				   int timeout_ms)
{
	void *p;
	int ret;

	if (unlikely(!c || !buf || (flags & ~KIPC_FLAGS_ALL)))
		return -EINVAL;
	if (unlikely(c->msg))
		return c->msg->send(c, buf, len, flags, timeout_ms);
	ret = tx_reserve(c, len, &p, flags, timeout_ms);
	if (unlikely(ret))
		return ret;
	tx_copy(&c->tx.ring, p, buf, len);
	kipc_ring_commit(&c->tx.ring);
	if (!(flags & KIPC_MORE)) {
		ret = tx_publish(c, flags);
		if (unlikely(ret))
			return ret;
		kipc_ring_sweep(&c->tx.ring);
	}
	return len;
}

KIPC_API ssize_t kipc_send(struct kipc_conn *c, const void *buf, size_t len,
			   unsigned int flags)
{
	return kipc_send_timeout(c, buf, len, flags, -1);
}

KIPC_API int kipc_reserve_timeout(struct kipc_conn *c, size_t len, void **buf,
				  unsigned int flags, int timeout_ms)
{
	int ret;

	if (!c || !buf || (flags & ~KIPC_NONBLOCK))
		return -EINVAL;
	if (c->msg)
		return c->msg->reserve(c, len, buf);
	ret = tx_reserve(c, len, buf, flags, timeout_ms);
	if (ret)
		return ret;
	c->tx.open = true;
	c->tx.open_len = (uint32_t)len;
	return 0;
}

KIPC_API int kipc_reserve(struct kipc_conn *c, size_t len, void **buf,
			  unsigned int flags)
{
	return kipc_reserve_timeout(c, len, buf, flags, -1);
}

KIPC_API int kipc_commit(struct kipc_conn *c, size_t len, unsigned int flags)
{
	struct kipc_tx *tx;
	int ret;

	if (!c || (flags & ~KIPC_FLAGS_ALL))
		return -EINVAL;
	if (c->msg)
		return c->msg->commit(c, len, flags);
	tx = &c->tx;
	if (!tx->open || len > tx->open_len)
		return -EINVAL;
	tx->open = false;
	if (!len)
		return 0;	/* cancelled: the next reservation reuses the space */
	if (len < tx->open_len)
		kipc_ring_trim(&tx->ring, (uint32_t)len);
	kipc_ring_commit(&tx->ring);
	if (flags & KIPC_MORE)
		return 0;
	ret = tx_publish(c, flags);
	if (!ret)
		kipc_ring_sweep(&tx->ring);
	return ret;
}

KIPC_API int kipc_flush(struct kipc_conn *c, unsigned int flags)
{
	struct kipc_tx *tx;
	int ret;

	if (!c || (flags & ~KIPC_NOKICK))
		return -EINVAL;
	if (c->msg)
		return 0;
	tx = &c->tx;
	ret = tx_publish(c, flags);
	if (ret || !tx->kick_owed)
		return ret;
	/* The caller rings it, e.g. kipc_prep_kick(). It stays owed, so
	 * that kipc_flush(c, 0) still rings it (one more is harmless).
	 */
	if (flags & KIPC_NOKICK)
		return 1;
	return tx_kick_owed(c);
}
