/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * The ring data path's pieces that more than one file needs: data.c (the
 * calls that move messages), wait.c (what they do when they cannot) and
 * conn.c (close). Inline, so the fast path stays one function. Not
 * installed.
 */
#ifndef KIPC_DATAPATH_H
#define KIPC_DATAPATH_H

#include <string.h>

#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax()	__builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax()	__asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax()	__asm__ __volatile__("" ::: "memory")
#endif

#define WAIT_GONE		1	/* kipc__rx_wait: peer gone, all drained */

/*
 * A message copy, into the ring or out of it. memcpy() of 2 KiB or more
 * whose destination lies 1 to 31 bytes past its source modulo 4 KiB runs
 * 3 to 30 times slower than otherwise on the AMD EPYC machine measured
 * (glibc 2.36's rep movsb and vector loops; the loads alias the stores
 * just made, "4K aliasing"): 1.4-2 us instead of 60 ns for 4 KiB. A 4 KiB
 * message moves the ring position by 8 bytes modulo 4 KiB, so with a
 * page-aligned buffer 3 of every 512 positions hit it, on each side: a
 * slow tail behind the p99. kipc__copy_back() copies those from the end,
 * in blocks, where no load follows a store to the same 4 KiB offset.
 */
#define COPY_ALIAS_MIN		2048U
#define COPY_ALIAS_SPAN		32U

void kipc__copy_back(void *dst, const void *src, size_t len);

static inline void msg_copy(void *dst, const void *src, size_t len)
{
	if (unlikely(len >= COPY_ALIAS_MIN) &&
	    (((uintptr_t)dst - (uintptr_t)src) & 4095) - 1 < COPY_ALIAS_SPAN - 1)
		kipc__copy_back(dst, src, len);
	else
		memcpy(dst, src, len);
}

/* Hand consumed bytes back to the producer; kick it if it waits for them. */
static inline void rx_release(struct kipc_conn *c)
{
	struct kipc_ring *r = &c->rx.ring;

	if (!kipc_ring_release(r))
		return;
	if (kipc_ring_cons_should_kick(r))
		c->ops->kick(c, c->rx.kick_fd);
}

/* Publish what was committed, ending it at a line if a small record
 * would straddle one next (kipc_ring_align()); ring the doorbell if the
 * consumer waits.
 */
static inline int tx_publish(struct kipc_conn *c, unsigned int flags)
{
	struct kipc_tx *tx = &c->tx;

	kipc_ring_align(&tx->ring);
	if (!kipc_ring_publish(&tx->ring))
		return 0;
	if (!kipc_ring_prod_should_kick(&tx->ring))
		return 0;
	if (flags & KIPC_NOKICK) {
		tx->kick_owed = true;
		return 0;
	}
	tx->kick_owed = false;
	return c->ops->kick(c, tx->kick_fd);
}

/* Ring the doorbell that KIPC_NOKICK withheld, if one is owed. */
static inline int tx_kick_owed(struct kipc_conn *c)
{
	struct kipc_tx *tx = &c->tx;

	if (!tx->kick_owed)
		return 0;
	tx->kick_owed = false;
	return c->ops->kick(c, tx->kick_fd);
}

static inline void tx_disarm(struct kipc_tx *tx)
{
	if (unlikely(tx->armed)) {
		kipc_ring_prod_finish_wait(&tx->ring);
		tx->armed = false;
	}
}

static inline void rx_disarm(struct kipc_rx *rx)
{
	if (unlikely(rx->armed)) {
		kipc_ring_cons_finish_wait(&rx->ring);
		rx->armed = false;
	}
}

/* wait.c: the ring looked empty, or full. */
int kipc__rx_wait(struct kipc_conn *c, unsigned int flags, int timeout_ms);
int kipc__tx_reserve_slow(struct kipc_conn *c, uint32_t len, void **p,
			  unsigned int flags, int timeout_ms);
/* data.c: the sending thread hands back what its receiving side holds. */
void kipc__tx_release_rx(struct kipc_conn *c);

#endif /* KIPC_DATAPATH_H */
