// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The data path of the ring transports (dev and shm): send, receive,
 * reserve/commit, peek/release, and the waits between them. uds calls go
 * to uds.c from the entry points here.
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
 *    (tx_release_rx);
 *  - while spinning, the consumer keeps prefetching the lines of the next
 *    record, so that their transfer overlaps the one of head.
 *
 * Sleep and wake-up (the Dekker protocol of kipc_ring.h, per direction):
 *
 *   waiter (consumer of data)          waker (producer of data)
 *   1. cons.waiting = 1                a. store-release head (publish)
 *   2. full fence                      b. full fence
 *   3. re-read head; data? -> clear    c. read cons.waiting; set? -> kick
 *      the flag, don't sleep
 *   4. sleep until kicked (poll/epoll)
 *
 * Whatever the interleaving, either 3 sees the new head or c sees the flag:
 * both fences order a store before a load, so both loads missing both stores
 * is impossible. A kick is an idempotent hint (a poll wake-up on dev, an
 * eventfd edge on shm); extra kicks only cost a spurious wake-up, and a kick
 * that arrives before the waiter sleeps leaves its fd ready so the sleep
 * returns at once. The room direction is the mirror image: the producer
 * stores prod.need (1), fences (2), re-reads tail (3), and the consumer,
 * after store-release of tail, fences and reads prod.need.
 *
 * A waiter that gives up (-EAGAIN, for an event loop) leaves its flag set
 * ("armed") so that the doorbell makes kipc_fd() ready; the next call that
 * succeeds clears it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax()	__builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax()	__asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax()	__asm__ __volatile__("" ::: "memory")
#endif

#define HUP_CHECK_NS		1000000	/* shm: socket poll period while spinning */
#define SPIN_CLOCK_EVERY	64	/* spin iterations between clock reads */
#define WAIT_GONE		1	/* rx_wait: the peer is gone, all drained */
#define SLEEP_ERR		1	/* sleep_on: dev reported POLLERR */

int64_t kipc__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool peer_gone(struct kipc_conn *c)
{
	/* Acquire: pairs with kipc__set_gone() in the other thread. */
	if (kipc__conn_state(c) & KIPC_CONN_GONE)
		return true;
	/* dev: the kernel's store-release of the state bit (kipc_hdr_state
	 * loads it with acquire), after which the peer never writes again.
	 */
	if (c->hdr && (kipc_hdr_state(c->hdr) & c->gone_bit)) {
		kipc__set_gone(c);
		return true;
	}
	return false;
}

/* Ring the peer's doorbell: @fd is our eventfd on shm. */
static int kick(struct kipc_conn *c, int fd)
{
	static const uint64_t one = 1;

	if (c->transport == KIPC_TRANSPORT_DEV) {
		if (ioctl(c->fd, KIPC_IOC_KICK, 0) == 0)
			return 0;
		if (errno == EPIPE) {
			kipc__set_gone(c);
			return -EPIPE;
		}
		return -errno;
	}
	/* Only we hold this eventfd and it is O_NONBLOCK and never read: the
	 * write cannot block, and it cannot fail before 2^64 kicks.
	 */
	if (write(fd, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

/* shm: has the socket hung up? A syscall; callers rate-limit it. */
bool kipc__shm_check_hup(struct kipc_conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };

	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
		kipc__set_gone(c);
	return kipc__conn_state(c) & KIPC_CONN_GONE;
}

/* shm: take the pending edge of @bell (so that kipc_fd() reports a fresh
 * level) and learn about a hang-up, in one syscall. Must come before the
 * re-check of the ring: a kick after it leaves a new edge.
 */
static void bell_reset(struct kipc_conn *c, int bell)
{
	struct epoll_event ev[4];
	int n, i;

	/* One call, not "until empty": a hostile peer may have put
	 * level-triggered fds of its own in the epoll it gave us.
	 */
	n = epoll_wait(bell, ev, 4, 0);
	for (i = 0; i < n; i++)
		if (ev[i].data.u64 == KIPC_EPOLL_SOCK)
			kipc__set_gone(c);
}

/*
 * Sleep on @wait_fd until a doorbell, the peer's hang-up or @deadline.
 * Returns 0 to re-check, SLEEP_ERR (re-check, then see index_error()),
 * -ETIMEDOUT or -EINTR.
 */
static int sleep_on(struct kipc_conn *c, int wait_fd, short events,
		    int64_t deadline)
{
	int ms = kipc__ms_left(deadline), n, i;

	if (!ms)
		return -ETIMEDOUT;
	if (c->transport == KIPC_TRANSPORT_DEV) {
		struct pollfd p = { .fd = wait_fd, .events = events };

		n = poll(&p, 1, ms);
		/* The driver found an impossible index (head - tail more than
		 * the ring) in either ring: poll() will not sleep again.
		 */
		if (n > 0 && (p.revents & POLLERR))
			return SLEEP_ERR;
	} else {
		struct epoll_event ev[2];

		n = epoll_wait(wait_fd, ev, 2, ms);
		for (i = 0; i < n; i++)
			if (ev[i].data.u64 == KIPC_EPOLL_SOCK)
				kipc__set_gone(c);
	}
	if (n < 0)
		return -errno;
	if (!n && deadline >= 0 && kipc__now_ns() >= deadline)
		return -ETIMEDOUT;
	return 0;
}

/*
 * dev, after a SLEEP_ERR and a re-check that found our wait still unmet:
 * does the driver still say POLLERR? Then the peer has broken an index
 * for good and every further sleep would return at once (a busy loop to
 * the deadline, or forever). Asking twice keeps a report made from two
 * indices read at different moments, while our other thread moved one,
 * from breaking a sound connection.
 */
static bool index_error(struct kipc_conn *c, int wait_fd)
{
	struct pollfd p = { .fd = wait_fd };

	if (peer_gone(c))
		return false;	/* the callers' gone paths take over */
	return poll(&p, 1, 0) > 0 && (p.revents & POLLERR);
}

/* While spinning: the deadline, the end of the spin budget and, at most
 * every HUP_CHECK_NS on shm, the socket. Returns 0 to go on spinning,
 * 1 to stop (budget spent or peer gone) or -ETIMEDOUT.
 */
static int spin_check(struct kipc_conn *c, int64_t deadline, int64_t spin_end,
		      int64_t *hup_at)
{
	int64_t now = kipc__now_ns();

	if (deadline >= 0 && now >= deadline)
		return -ETIMEDOUT;
	if (spin_end >= 0 && now >= spin_end)
		return 1;
	if (c->transport == KIPC_TRANSPORT_SHM && now >= *hup_at) {
		*hup_at = now + HUP_CHECK_NS;
		if (kipc__shm_check_hup(c))
			return 1;
	}
	return peer_gone(c);
}

static int64_t spin_end_of(struct kipc_conn *c, int policy)
{
	if (policy == KIPC_WAIT_SPIN)
		return -1;
	return kipc__now_ns() +
	       __atomic_load_n(&c->spin_ns, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* Receiving side                                                      */

/* Hand consumed bytes back to the producer; kick it if it waits for them. */
static void rx_release(struct kipc_conn *c)
{
	struct kipc_ring *r = &c->rx.ring;

	if (!kipc_ring_release(r))
		return;
	if (kipc_ring_cons_should_kick(r))
		kick(c, c->rx.kick_fd);
}

/*
 * The thread that last used the receiving side, for tx_release_rx(): a
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
		/* Acquire: what tx_release_rx() did to the ring state. */
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

static inline void rx_disarm(struct kipc_rx *rx)
{
	if (unlikely(rx->armed)) {
		kipc_ring_cons_finish_wait(&rx->ring);
		rx->armed = false;
	}
}

/* Returns 1 when data has shown up, 0 when empty, negative on error. */
static int rx_spin(struct kipc_conn *c, int policy, int64_t deadline)
{
	struct kipc_ring *r = &c->rx.ring;
	int64_t spin_end = spin_end_of(c, policy);
	int64_t hup_at = 0;
	unsigned int i;
	int64_t n;
	int ret;

	uint32_t off = r->pos & r->mask;

	for (i = 1;; i++) {
		/* Keep pulling the lines the next record will occupy: their
		 * transfer then overlaps the one of head instead of following
		 * it. A prefetch never faults and what it reads is re-read
		 * after head says it is there.
		 */
		__builtin_prefetch(r->data + off);
		__builtin_prefetch(r->data + ((off + 64) & r->mask));
		n = kipc_ring_cons_refresh(r);
		if (n)
			return n < 0 ? (int)n : 1;
		/* A producer waiting for room we hold: its need sits on the
		 * line we just read head from. Dekker with its prepare_wait
		 * through rx_release's fence.
		 */
		if (r->pos != r->pub && KIPC_RING_LOAD(&r->prod->need))
			rx_release(c);
		cpu_relax();
		if (!(i % SPIN_CLOCK_EVERY)) {
			/* A spinning producer does not announce need: once the
			 * ring has stayed empty a while, hand back the room
			 * we hold, or a KIPC_WAIT_SPIN pair can wait for each
			 * other for good.
			 */
			if (r->pos != r->pub)
				rx_release(c);
			ret = spin_check(c, deadline, spin_end, &hup_at);
			if (ret)
				return ret < 0 ? ret : 0;
		}
	}
}

/* Announce the wait for a poller: 1 if data is there after all, 0 armed. */
static int rx_arm(struct kipc_conn *c)
{
	struct kipc_rx *rx = &c->rx;
	int ret;

	rx_release(c);	/* a poller must not sit on room the producer needs */
	if (c->transport == KIPC_TRANSPORT_SHM) {
		bell_reset(c, rx->bell_fd);
		if (peer_gone(c))
			return 0;
	}
	ret = kipc_ring_cons_prepare_wait(&rx->ring);
	if (!ret)
		rx->armed = true;
	return ret;
}

/*
 * The ring looked empty. Wait as the policy and flags say.
 * Returns 0 when there is something to peek at, WAIT_GONE at end-of-stream,
 * or -EAGAIN, -ETIMEDOUT, -EINTR, -EBADMSG.
 */
static int rx_wait(struct kipc_conn *c, unsigned int flags, int timeout_ms)
{
	struct kipc_ring *r = &c->rx.ring;
	int policy = __atomic_load_n(&c->wait_policy, __ATOMIC_RELAXED);
	int64_t deadline = kipc__deadline(timeout_ms);
	bool spun = false;
	int64_t n;
	int ret;

	/* Hand back room now only if the producer waits for it or a batch
	 * is due; whatever is left goes back before we sleep or give up,
	 * and a spinning wait watches prod.need.
	 */
	if (r->pos - r->pub >= c->rx.batch || KIPC_RING_LOAD(&r->prod->need))
		rx_release(c);
	for (;;) {
		if (peer_gone(c)) {
			/* Its last publication is visible now: drain, then EOS. */
			n = kipc_ring_cons_refresh(r);
			if (n < 0)
				return kipc__broken(c, (int)n);
			return n ? 0 : WAIT_GONE;
		}
		if ((flags & KIPC_NONBLOCK) || !timeout_ms) {
			ret = rx_arm(c);
			if (ret)
				return ret < 0 ? kipc__broken(c, ret) : 0;
			if (peer_gone(c))
				continue;
			return (flags & KIPC_NONBLOCK) ? -EAGAIN : -ETIMEDOUT;
		}
		if (policy != KIPC_WAIT_SLEEP && !spun) {
			ret = rx_spin(c, policy, deadline);
			if (ret)
				return ret < 0 ? kipc__broken(c, ret) : 0;
			spun = policy != KIPC_WAIT_SPIN;
			continue;
		}
		rx_release(c);	/* never sleep on room the producer may need */
		ret = kipc_ring_cons_prepare_wait(r);
		if (ret)
			return ret < 0 ? kipc__broken(c, ret) : 0;
		ret = sleep_on(c, c->rx.wait_fd, POLLIN, deadline);
		kipc_ring_cons_finish_wait(r);
		if (ret < 0)
			return ret;
		/* Woken: look before announcing ourselves again. */
		n = kipc_ring_cons_refresh(r);
		if (n)
			return n < 0 ? kipc__broken(c, (int)n) : 0;
		if (ret == SLEEP_ERR && index_error(c, c->rx.wait_fd))
			return kipc__broken(c, -EBADMSG);
	}
}

/* The next message, waiting for it as needed. 0, WAIT_GONE or -errno. */
static inline int rx_next(struct kipc_conn *c, const void **p, uint32_t *len,
			  unsigned int flags, int timeout_ms)
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
		ret = rx_wait(c, flags, timeout_ms);
		if (ret)
			return ret;
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

static inline void rx_consume(struct kipc_conn *c)
{
	struct kipc_rx *rx = &c->rx;
	struct kipc_ring *r = &rx->ring;

	kipc_ring_consume(r);
	rx->peeked = false;
	/* Batch the tail, unless the ring is full enough as published that
	 * the producer may be waiting for room: then ask it (need sits on
	 * the line we read head from, so this is cheap while it waits).
	 */
	if (r->pos - r->pub >= rx->batch ||
	    (r->seen - r->pub >= r->size / 2 && KIPC_RING_LOAD(&r->prod->need)))
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
	if (c->transport == KIPC_TRANSPORT_UDS)
		return kipc__uds_recv(c, buf, cap, flags, timeout_ms);
	rx_own(&c->rx);
	ret = rx_next(c, &p, &len, flags, timeout_ms);
	if (unlikely(ret))
		return ret == WAIT_GONE ? 0 : ret;
	if (unlikely(len > cap))
		return -EMSGSIZE;	/* left in place for a bigger buffer */
	memcpy(buf, p, len);
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
	if (c->transport == KIPC_TRANSPORT_UDS)
		return kipc__uds_peek(c, buf, flags, timeout_ms);
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
	if (c->transport == KIPC_TRANSPORT_UDS)
		return kipc__uds_release(c);
	rx_own(&c->rx);
	if (!c->rx.peeked)
		return -EINVAL;
	rx_consume(c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sending side                                                        */

/* Publish what was committed; ring the doorbell if the consumer waits. */
static int tx_publish(struct kipc_conn *c, unsigned int flags)
{
	struct kipc_tx *tx = &c->tx;

	if (!kipc_ring_publish(&tx->ring))
		return 0;
	if (!kipc_ring_prod_should_kick(&tx->ring))
		return 0;
	if (flags & KIPC_NOKICK) {
		tx->kick_owed = true;
		return 0;
	}
	tx->kick_owed = false;
	return kick(c, tx->kick_fd);
}

/* Ring the doorbell that KIPC_NOKICK withheld, if one is owed. */
static int tx_kick_owed(struct kipc_conn *c)
{
	struct kipc_tx *tx = &c->tx;

	if (!tx->kick_owed)
		return 0;
	tx->kick_owed = false;
	return kick(c, tx->kick_fd);
}

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
static void tx_release_rx(struct kipc_conn *c)
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

static inline void tx_disarm(struct kipc_tx *tx)
{
	if (unlikely(tx->armed)) {
		kipc_ring_prod_finish_wait(&tx->ring);
		tx->armed = false;
	}
}

/* Returns 1 once @len fits, 0 when the spin ends, negative on error. */
static int tx_spin(struct kipc_conn *c, uint32_t len, int policy,
		   int64_t deadline)
{
	struct kipc_ring *r = &c->tx.ring;
	int64_t spin_end = spin_end_of(c, policy);
	int64_t hup_at = 0;
	uint32_t avail;
	unsigned int i;
	int ret;

	for (i = 1;; i++) {
		ret = kipc_ring_prod_free(r, true, &avail);
		if (ret)
			return ret;
		if (avail >= kipc_ring_need(r, len))
			return 1;
		cpu_relax();
		if (!(i % SPIN_CLOCK_EVERY)) {
			ret = spin_check(c, deadline, spin_end, &hup_at);
			if (ret)
				return ret < 0 ? ret : 0;
		}
	}
}

static int tx_arm(struct kipc_conn *c, uint32_t len)
{
	struct kipc_tx *tx = &c->tx;
	int ret;

	if (c->transport == KIPC_TRANSPORT_SHM) {
		bell_reset(c, tx->bell_fd);
		if (peer_gone(c))
			return 0;
	}
	ret = kipc_ring_prod_prepare_wait(&tx->ring, len);
	if (!ret)
		tx->armed = true;
	return ret;
}

static int tx_reserve_slow(struct kipc_conn *c, uint32_t len, void **p,
			   unsigned int flags, int timeout_ms)
{
	struct kipc_tx *tx = &c->tx;
	struct kipc_ring *r = &tx->ring;
	int policy = __atomic_load_n(&c->wait_policy, __ATOMIC_RELAXED);
	int64_t deadline = kipc__deadline(timeout_ms);
	bool spun = false, err_wake = false;
	int ret;

	/* The consumer can only make room for what it can see, and only
	 * wakes up for it if it gets the doorbell we may owe it. The same
	 * before an -EAGAIN: an event loop waits next.
	 */
	ret = tx_publish(c, 0);
	if (!ret)
		ret = tx_kick_owed(c);
	if (ret)
		return ret;
	/* Never wait while holding room the peer may be waiting for. */
	tx_release_rx(c);
	for (;;) {
		if (peer_gone(c))
			return -EPIPE;
		ret = kipc_ring_reserve(r, len, p);
		if (ret != -EAGAIN) {
			if (!ret)
				tx_disarm(tx);
			return kipc__broken(c, ret);
		}
		if (err_wake && index_error(c, tx->wait_fd))
			return kipc__broken(c, -EBADMSG);
		err_wake = false;
		if ((flags & KIPC_NONBLOCK) || !timeout_ms) {
			ret = tx_arm(c, len);
			if (ret < 0)
				return kipc__broken(c, ret);
			if (ret || peer_gone(c))
				continue;
			return (flags & KIPC_NONBLOCK) ? -EAGAIN : -ETIMEDOUT;
		}
		if (policy != KIPC_WAIT_SLEEP && !spun) {
			ret = tx_spin(c, len, policy, deadline);
			if (ret < 0)
				return kipc__broken(c, ret);
			spun = !ret && policy != KIPC_WAIT_SPIN;
			continue;
		}
		ret = kipc_ring_prod_prepare_wait(r, len);
		if (ret < 0)
			return kipc__broken(c, ret);
		if (ret)
			continue;
		ret = sleep_on(c, tx->wait_fd, POLLOUT, deadline);
		kipc_ring_prod_finish_wait(r);
		if (ret < 0)
			return ret;
		err_wake = ret == SLEEP_ERR;
	}
}

static inline int tx_reserve(struct kipc_conn *c, size_t len, void **p,
			     unsigned int flags, int timeout_ms)
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
	return tx_reserve_slow(c, (uint32_t)len, p, flags, timeout_ms);
}

KIPC_API ssize_t kipc_send_timeout(struct kipc_conn *c, const void *buf,
				   size_t len, unsigned int flags,
				   int timeout_ms)
{
	void *p;
	int ret;

	if (unlikely(!c || !buf || (flags & ~KIPC_FLAGS_ALL)))
		return -EINVAL;
	if (c->transport == KIPC_TRANSPORT_UDS)
		return kipc__uds_send(c, buf, len, flags, timeout_ms);
	ret = tx_reserve(c, len, &p, flags, timeout_ms);
	if (unlikely(ret))
		return ret;
	memcpy(p, buf, len);
	kipc_ring_commit(&c->tx.ring);
	if (!(flags & KIPC_MORE)) {
		ret = tx_publish(c, flags);
		if (unlikely(ret))
			return ret;
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
	if (c->transport == KIPC_TRANSPORT_UDS)
		return kipc__uds_reserve(c, len, buf);
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

	if (!c || (flags & ~KIPC_FLAGS_ALL))
		return -EINVAL;
	if (c->transport == KIPC_TRANSPORT_UDS)
		return kipc__uds_commit(c, len, flags);
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
	return tx_publish(c, flags);
}

KIPC_API int kipc_flush(struct kipc_conn *c, unsigned int flags)
{
	struct kipc_tx *tx;
	int ret;

	if (!c || (flags & ~KIPC_NOKICK))
		return -EINVAL;
	if (c->transport == KIPC_TRANSPORT_UDS)
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

/* ------------------------------------------------------------------ */
/* The rest of the connection API                                      */

KIPC_API void kipc_close(struct kipc_conn *c)
{
	if (!c)
		return;
	/* A forked child has no ring mappings (MADV_DONTFORK, VM_DONTCOPY):
	 * it only drops its references to the fds.
	 */
	if (c->transport != KIPC_TRANSPORT_UDS && getpid() == c->owner &&
	    !(kipc__conn_state(c) & KIPC_CONN_BROKEN)) {
		c->tx.open = false;
		tx_publish(c, 0);
		tx_kick_owed(c);
		rx_release(c);
	}
	kipc__conn_free(c);
}

KIPC_API int kipc_fd(struct kipc_conn *c)
{
	if (!c)
		return -EINVAL;
	return c->poll_fd;
}

KIPC_API int kipc_poll_events(const struct kipc_conn *c, int events)
{
	if (!c)
		return -EINVAL;
	/* shm: one readable epoll fd stands for both directions. */
	if (c->transport == KIPC_TRANSPORT_SHM && (events & (POLLIN | POLLOUT)))
		events = (events & ~POLLOUT) | POLLIN;
	return events;
}

KIPC_API int kipc_transport(const struct kipc_conn *c)
{
	return c ? c->transport : -EINVAL;
}

KIPC_API const char *kipc_transport_name(int transport)
{
	switch (transport) {
	case KIPC_TRANSPORT_AUTO:
		return "auto";
	case KIPC_TRANSPORT_DEV:
		return "dev";
	case KIPC_TRANSPORT_SHM:
		return "shm";
	case KIPC_TRANSPORT_UDS:
		return "uds";
	}
	return NULL;
}

KIPC_API int kipc_peer_cred(const struct kipc_conn *c, pid_t *pid, uid_t *uid,
			    gid_t *gid)
{
	if (!c)
		return -EINVAL;
	if (pid)
		*pid = c->peer_pid;
	if (uid)
		*uid = c->peer_uid;
	if (gid)
		*gid = c->peer_gid;
	return 0;
}

KIPC_API ssize_t kipc_msg_max(const struct kipc_conn *c)
{
	return c ? (ssize_t)c->tx.max : -EINVAL;
}

KIPC_API int kipc_set_wait(struct kipc_conn *c, int policy,
			   unsigned int spin_ns)
{
	if (!c || policy < KIPC_WAIT_SPIN_SLEEP || policy > KIPC_WAIT_SLEEP)
		return -EINVAL;
	__atomic_store_n(&c->spin_ns, spin_ns ? spin_ns : KIPC_SPIN_NS_DEFAULT,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&c->wait_policy, policy, __ATOMIC_RELAXED);
	return 0;
}

KIPC_API const char *kipc_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid argument";
	case E2BIG:
		return "options from a newer libkipc with unknown fields set";
	case ENOENT:
		return "no listener of that name";
	case EACCES:
		return "permission denied by the listener's mode";
	case EADDRINUSE:
		return "name already in use";
	case ECONNREFUSED:
		return "listener closed before accepting";
	case ENODEV:
		return "transport not available on this system";
	case EPROTO:
		return "peer speaks another kipc protocol version";
	case EBADMSG:
		return "peer corrupted the shared ring; connection broken";
	case EMSGSIZE:
		return "message larger than the ring allows or the buffer holds";
	case EAGAIN:
		return "would block";
	case ETIMEDOUT:
		return "timed out";
	case EPIPE:
		return "peer has gone";
	case EINTR:
		return "interrupted by a signal";
	case ENOMEM:
		return "out of memory";
	case EMFILE:
		return "too many open files";
	case ENOSPC:
		return "kipc pinned-memory limit reached";
	case EOPNOTSUPP:
		return "not supported by this transport";
	}
	return "unknown error";
}

/* ------------------------------------------------------------------ */
/* Allocation                                                          */

struct kipc_conn *kipc__conn_alloc(int transport, int side,
				   const struct kipc_cfg *cfg)
{
	struct kipc_conn *c;

	if (posix_memalign((void **)&c, 64, sizeof(*c)))
		return NULL;
	memset(c, 0, sizeof(*c));
	c->transport = transport;
	c->side = side;
	c->fd = c->poll_fd = -1;
	c->tx.wait_fd = c->tx.bell_fd = c->tx.kick_fd = -1;
	c->rx.wait_fd = c->rx.bell_fd = c->rx.kick_fd = -1;
	c->wait_policy = cfg->wait_policy;
	c->spin_ns = cfg->spin_ns;
	c->owner = getpid();
	return c;
}

/* Derived limits, once the transport has set up the rings. */
void kipc__conn_ready(struct kipc_conn *c)
{
	uint32_t size = c->rx.ring.size;

	c->rx.batch = size / 8 < 16384 ? size / 8 : 16384;
	if (c->transport != KIPC_TRANSPORT_UDS) {
		c->tx.max = kipc_ring_msg_max(&c->tx.ring);
		c->rx.max = kipc_ring_msg_max(&c->rx.ring);
	}
}

void kipc__conn_free(struct kipc_conn *c)
{
	/* After fork the child has no ring mappings, and the addresses may
	 * hold something else by now: never munmap them there.
	 */
	if (getpid() != c->owner)
		c->map[0] = c->map[1] = NULL;
	switch (c->transport) {
	case KIPC_TRANSPORT_DEV:
		kipc__dev_free(c);
		break;
	case KIPC_TRANSPORT_SHM:
		kipc__shm_free(c);
		break;
	case KIPC_TRANSPORT_UDS:
		kipc__uds_free(c);
		break;
	}
	free(c);
}

void *kipc__test_map(struct kipc_conn *c, size_t *len)
{
	int i = c->transport == KIPC_TRANSPORT_DEV ? 1 : 0;

	*len = c->map_len[i];
	return c->map[i];
}

struct kipc_ring *kipc__test_ring(struct kipc_conn *c, int tx)
{
	return tx ? &c->tx.ring : &c->rx.ring;
}
