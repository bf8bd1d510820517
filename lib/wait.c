// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Waiting: what the data calls (data.c) do when the ring is empty or full.
 * Spin, then announce the wait and sleep through the transport's doorbell
 * (ops->sleep), as the policy and the flags say.
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

#include "datapath.h"

#define HUP_CHECK_NS		1000000	/* ops->hup period while spinning */
#define SPIN_CLOCK_EVERY	64	/* spin iterations between clock reads */
#define SLEEP_ERR		1	/* sleep_on: the driver reported POLLERR */

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

/*
 * Sleep on @wait_fd until a doorbell, the peer's hang-up or @deadline.
 * Returns 0 to re-check, SLEEP_ERR (re-check, then see index_error()),
 * -ETIMEDOUT or -EINTR. How to sleep is the transport's (ops->sleep).
 */
static int sleep_on(struct kipc_conn *c, int wait_fd, short events,
		    int64_t deadline)
{
	int ms = kipc__ms_left(deadline), n;

	if (!ms)
		return -ETIMEDOUT;
	n = c->ops->sleep(c, wait_fd, events, ms);
	if (n < 0)
		return n;
	if (n == KIPC_SLEEP_ERR)
		return SLEEP_ERR;
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
 * every HUP_CHECK_NS, the transport's hang-up check (shm: the socket). Returns 0 to go on spinning,
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
	if (c->ops->hup && now >= *hup_at) {
		*hup_at = now + HUP_CHECK_NS;
		if (c->ops->hup(c))
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
	/* Keep pulling the lines the next record will occupy: their
	 * transfer then overlaps the one of head instead of following it. A
	 * prefetch never faults and what it reads is re-read after head says
	 * it is there. SEQ spins on the first of them: only the second is
	 * worth asking for, and only when the next record, were it as long
	 * as the last one (likely), would reach into it from where it starts
	 * and end there (a span of at most two lines: payloads up to 120 B).
	 * A record that fits its line (with KIPC_F_RING_PAD every one of up
	 * to 56 B) has no second line: pulling the next line then only takes
	 * it from the producer, which zeroes it ahead (kipc_ring_sweep()).
	 * The producer stores the header last (and, for a record that opens
	 * a publication, copies the bytes on the header's line after the
	 * rest); a prefetch of a line it is still writing takes the line
	 * away from it, and its stores, which drain in order, wait for the
	 * line to come back. That pays off when the line is the record's
	 * last, and costs when more lines follow it. Measured on a Xeon in
	 * paired runs, against no pull at all: with it, a round trip of 64 B
	 * takes 0.74-0.82x as long and one of 32 B 0.90-0.98x; one of
	 * 128-512 B took 1.05-1.13x, so these now go without. On an AMD
	 * EPYC, both builds in one process pair (blocks of 500 round trips,
	 * interleaved with a bounced line), not pulling the line after one
	 * that a record fits took a 32 B round trip from 58-62 ns above the
	 * line's to 21-36 ns, 56 B from 57-68 to 21-58, and an unbatched
	 * 32 B stream from 74-76 ns a message to 57-67; 8 B and 64 B were
	 * unchanged.
	 */
	bool pull2 = !r->seq ||
		     (c->rx.last_span <= 2 * KIPC_RING_LINE &&
		      (off & (KIPC_RING_LINE - 1)) + c->rx.last_span >
		      KIPC_RING_LINE);

	for (i = 1;; i++) {
		if (!r->seq)
			__builtin_prefetch(r->data + off);
		if (pull2)
			__builtin_prefetch(r->data +
					   ((off + KIPC_RING_LINE) & r->mask));
		n = kipc_ring_cons_refresh(r);
		if (n)
			return n < 0 ? (int)n : 1;
		/* A producer waiting for room we hold: its need sits on the
		 * line we just read head from. Dekker with its prepare_wait
		 * through rx_release's fence. SEQ does not read that line
		 * (each read would pull it from the producer, which stores
		 * head there): the release every SPIN_CLOCK_EVERY turns
		 * below serves it.
		 */
		if (!r->seq && r->pos != r->pub && KIPC_RING_LOAD(&r->prod->need))
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
	if (c->ops->bell_reset) {
		c->ops->bell_reset(c, rx->bell_fd);
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
int kipc__rx_wait(struct kipc_conn *c, unsigned int flags, int timeout_ms)
{
	struct kipc_ring *r = &c->rx.ring;
	int policy = __atomic_load_n(&c->wait_policy, __ATOMIC_RELAXED);
	int64_t deadline = kipc__deadline(timeout_ms);
	bool spun = false;
	int64_t n;
	int ret;

	/* Hand back room now only if the producer waits for it or a batch
	 * is due; whatever is left goes back before we sleep or give up,
	 * and a spinning wait watches prod.need. SEQ leaves the producer's
	 * line alone here too (see rx_spin).
	 */
	if (r->pos - r->pub >= c->rx.batch ||
	    (!r->seq && KIPC_RING_LOAD(&r->prod->need)))
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

/* ------------------------------------------------------------------ */
/* Sending side                                                        */

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

	if (c->ops->bell_reset) {
		c->ops->bell_reset(c, tx->bell_fd);
		if (peer_gone(c))
			return 0;
	}
	ret = kipc_ring_prod_prepare_wait(&tx->ring, len);
	if (!ret)
		tx->armed = true;
	return ret;
}

int kipc__tx_reserve_slow(struct kipc_conn *c, uint32_t len, void **p,
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
	kipc__tx_release_rx(c);
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
