/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * kipc_ring.h - the ring protocol, written once and shared by libkipc and
 * the selftests. Header-only, no syscalls, no locks.
 *
 * One ring has one producer and one consumer, each in its own process.
 * The producer owns kipc_prod (head, need) and the data area; the consumer
 * owns kipc_cons (tail, waiting). Each side only ever writes what it owns,
 * and everything it reads from the other side is untrusted: every index,
 * length and record header is bounds-checked before use and a violation
 * marks the ring broken (-EBADMSG from then on). Nothing here can make a
 * read or write fall outside the data area.
 *
 * Two record formats share one layout (include/uapi/linux/kipc.h,
 * "Records"): the 1.0 format, published by head, and KIPC_F_RING_SEQ,
 * published by each record's own header. r->seq says which; the fast
 * paths test it once per call, a predictable branch. KIPC_F_RING_PAD
 * (r->pad_any) lets padding records end anywhere; the SEQ producer uses it
 * to start small records on a line (kipc_ring_align()).
 *
 * Memory ordering (the only cross-process synchronisation):
 *  - producer, 1.0: writes payload and record header, then store-release
 *    head. Pairs with the consumer's load-acquire of head, so a record
 *    below head is complete when the consumer reads it.
 *  - producer, SEQ: writes the payload and the mark of the next header
 *    slot, then the record's header with one 64-bit store-release. Pairs
 *    with the consumer's load-acquire of that header word, so the payload
 *    and the next slot's mark are visible once the header is. A batch
 *    (several commits, one publish) writes the later headers plainly and
 *    the first one last, with release: the consumer reaches the later
 *    ones only through the first, so one release publishes them all.
 *    head is still stored with release afterwards, for the driver's
 *    readiness and for kipc_ring_resume_prod(); the consumer ignores it.
 *    The mark is skipped where the slot is known to hold zero (which
 *    never reads as a record either): after a publication the producer
 *    zeroes the free slots just ahead of its position (kipc_ring_sweep()),
 *    relaxed; they precede the next header's store-release in program
 *    order, which publishes them as it publishes a mark.
 *  - consumer: reads records, then store-release tail. Pairs with the
 *    producer's load-acquire of tail, so the producer only overwrites bytes
 *    the consumer has finished reading.
 *  - doorbell (Dekker): a waiter stores its flag (waiting / need), issues a
 *    full fence, then re-reads the index it waits on; the other side stores
 *    its index, issues a full fence, then reads the flag. At least one of
 *    the two sees the other's store, so no wake-up is lost. The flag is a
 *    hint: kicks coalesce and a spurious one is harmless.
 */
#ifndef KIPC_RING_H
#define KIPC_RING_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kipc.h>

struct kipc_ring {
	uint8_t *data;		/* producer: writable; consumer: read-only */
	uint32_t size;		/* power of two */
	uint32_t mask;
	struct kipc_prod *prod;	/* writable for the producer only */
	struct kipc_cons *cons;	/* writable for the consumer only */
	uint32_t pos;		/* producer: next record; consumer: next unread */
	uint32_t pub;		/* index last published (head or tail) */
	uint32_t seen;		/* other side's index last read (tail or head) */
	uint32_t span;		/* producer: reserved span; consumer: peeked span */
	uint32_t msgs;		/* producer: messages committed */
	uint32_t len;		/* producer: reserved length (SEQ: its header
				 * is written at commit)
				 */
	bool broken;		/* a protocol violation was seen */
	bool seq;		/* KIPC_F_RING_SEQ: published by headers */
	bool pad_any;		/* KIPC_F_RING_PAD: padding records anywhere */
	bool gated;		/* SEQ producer: gate_word not yet stored */
	uint32_t mark;		/* KIPC_REC_MARK with SEQ, else 0 */
	uint32_t gate_off;	/* SEQ producer: first unpublished header */
	uint64_t gate_word;	/* ... and its value, stored at publish */
	uint32_t clean;		/* SEQ producer: the slots from pos up to here
				 * hold zero (kipc_ring_sweep())
				 */
	uint32_t dirty;		/* SEQ producer: end of the last buffer handed
				 * out; slots below it may hold its bytes
				 */
};

/* The calls of the fast path: one function with their caller, whatever
 * the compiler's size heuristics think of two formats in one body.
 */
#define KIPC_RING_FAST	static inline __attribute__((always_inline))

#define KIPC_RING_LOAD(p)	__atomic_load_n((p), __ATOMIC_RELAXED)
#define KIPC_RING_STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)

static inline bool kipc_is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/*
 * kipc_hdr_check - copy the header out of shared memory once and validate
 * the copy against the mapping lengths. @own_len is the length of the OWN
 * view of @side, or 0 where the caller has no such view (shm transport).
 * @known are the ring-format features (KIPC_F_RING_*) the caller asked
 * for and can read: the ring is usable when the header uses no other one.
 * Returns 0, -EPROTO (not a kipc header), -EPROTONOSUPPORT (a format
 * feature outside @known) or -EBADMSG (layout out of bounds).
 *
 * abi_version is not compared for equality: it stays 1 for good, and a
 * format change is a feature bit (include/uapi/linux/kipc.h, "Features").
 */
static inline int kipc_hdr_check(const struct kipc_shared_hdr *in_map,
				 uint64_t shared_len, uint64_t own_len,
				 unsigned int side, uint64_t known,
				 struct kipc_shared_hdr *hdr)
{
	const volatile struct kipc_shared_hdr *v = in_map;
	unsigned int i;

	hdr->magic = v->magic;
	hdr->abi_version = v->abi_version;
	hdr->hdr_size = v->hdr_size;
	hdr->page_size = v->page_size;
	hdr->shared_map_bytes = v->shared_map_bytes;
	hdr->own_map_bytes[0] = v->own_map_bytes[0];
	hdr->own_map_bytes[1] = v->own_map_bytes[1];
	hdr->own_data_off = v->own_data_off;
	hdr->state = v->state;
	for (i = 0; i < 2; i++) {
		hdr->ring[i].size = v->ring[i].size;
		hdr->ring[i].data_off = v->ring[i].data_off;
		hdr->ring[i].prod_off = v->ring[i].prod_off;
		hdr->ring[i].cons_off = v->ring[i].cons_off;
	}
	hdr->conn_id = v->conn_id;
	hdr->features = v->features;

	if (hdr->magic != KIPC_MAGIC || hdr->abi_version < KIPC_ABI_VERSION)
		return -EPROTO;
	if (hdr->features & ~known)
		return -EPROTONOSUPPORT;
	if (side > 1 || hdr->hdr_size < sizeof(*hdr) ||
	    hdr->hdr_size > hdr->page_size ||
	    !kipc_is_pow2(hdr->page_size) || hdr->page_size < 4096 ||
	    hdr->shared_map_bytes != shared_len)
		return -EBADMSG;
	for (i = 0; i < 2; i++) {
		const struct kipc_ring_desc *d = &hdr->ring[i];

		if (!kipc_is_pow2(d->size) || d->size < 64 ||
		    d->size > (1U << 30) || d->data_off % 64 ||
		    d->prod_off % 64 || d->cons_off % 64 ||
		    (uint64_t)d->data_off + d->size > shared_len ||
		    (uint64_t)d->prod_off + sizeof(struct kipc_prod) > shared_len ||
		    (uint64_t)d->cons_off + sizeof(struct kipc_cons) > shared_len)
			return -EBADMSG;
	}
	if (own_len && (hdr->own_data_off % 64 ||
			hdr->own_data_off < sizeof(struct kipc_index_page) ||
			(uint64_t)hdr->own_data_off + hdr->ring[side].size > own_len))
		return -EBADMSG;
	return 0;
}

/* The peer state bits; acquire pairs with the kernel's (or the peer
 * library's) release store, so a GONE bit seen here means every index the
 * peer ever published is visible to a following load-acquire.
 */
static inline uint32_t kipc_hdr_state(const struct kipc_shared_hdr *in_map)
{
	return __atomic_load_n(&in_map->state, __ATOMIC_ACQUIRE);
}

static inline void kipc_ring_init(struct kipc_ring *r, void *data,
				  uint32_t size, struct kipc_prod *prod,
				  struct kipc_cons *cons)
{
	r->data = data;
	r->size = size;
	r->mask = size - 1;
	r->prod = prod;
	r->cons = cons;
	r->pos = 0;
	r->pub = 0;
	r->seen = 0;
	r->span = 0;
	r->msgs = 0;
	r->len = 0;
	r->broken = false;
	r->seq = false;
	r->pad_any = false;
	r->gated = false;
	r->mark = 0;
	r->gate_off = 0;
	r->gate_word = 0;
	r->clean = 0;
	r->dirty = 0;
}

/* After kipc_ring_init(): the ring formats (KIPC_F_RING_*) in use, as the
 * checked header copy says. Before any other call on the ring.
 */
static inline void kipc_ring_set_format(struct kipc_ring *r, uint64_t features)
{
	r->seq = (features & KIPC_F_RING_SEQ) != 0;
	r->pad_any = (features & KIPC_F_RING_PAD) != 0;
	r->mark = r->seq ? KIPC_REC_MARK : 0;
}

/* SEQ: a header and the one 64-bit word it is stored and loaded as. */
union kipc_rec_word {
	struct kipc_rec rec;
	uint64_t word;
};

static inline uint64_t kipc_rec_word(uint32_t len, uint32_t seq)
{
	union kipc_rec_word u = { .rec = { .len = len, .pos = seq } };

	return u.word;
}

static inline uint64_t *kipc_ring_slot(const struct kipc_ring *r, uint32_t pos)
{
	/* pos is 8-aligned, so the slot is a naturally aligned word. */
	return (uint64_t *)(void *)(r->data + (pos & r->mask));
}

/* SEQ producer: the header slot at @pos reads as "nothing yet". Relaxed:
 * the release of an earlier header in program order orders it for the
 * consumer, which reaches @pos only through that header.
 */
KIPC_RING_FAST void kipc_ring_mark(struct kipc_ring *r, uint32_t pos)
{
	__atomic_store_n(kipc_ring_slot(r, pos), kipc_rec_word(0, pos),
			 __ATOMIC_RELAXED);
}

/* SEQ producer: write the header of the record at @pos now, or, when it
 * is the first unpublished one, keep it for kipc_ring_publish(). Relaxed:
 * the gate's store-release comes after it in program order.
 */
KIPC_RING_FAST void kipc_ring_put(struct kipc_ring *r, uint32_t pos,
				 uint32_t len)
{
	uint64_t w = kipc_rec_word(len, KIPC_REC_SEQ(pos));

	if (!r->gated) {
		r->gated = true;
		r->gate_off = pos & r->mask;
		r->gate_word = w;
		return;
	}
	__atomic_store_n(kipc_ring_slot(r, pos), w, __ATOMIC_RELAXED);
}

/* Adopt the current indices (a producer or consumer joining a live ring,
 * e.g. after fork). Only the caller's own index is trusted here.
 */
static inline void kipc_ring_resume_prod(struct kipc_ring *r)
{
	r->pos = r->pub = __atomic_load_n(&r->prod->head, __ATOMIC_RELAXED);
	r->msgs = __atomic_load_n(&r->prod->msgs, __ATOMIC_RELAXED);
	r->seen = r->pos - r->size;
	/* SEQ: the slot at head was marked before head was stored. */
	r->gated = false;
	/* Nothing ahead is known to be zero. */
	r->clean = r->dirty = r->pos;
}

static inline void kipc_ring_resume_cons(struct kipc_ring *r)
{
	r->pos = r->pub = __atomic_load_n(&r->cons->tail, __ATOMIC_RELAXED);
	r->seen = r->pos;
}

static inline uint32_t kipc_ring_msg_max(const struct kipc_ring *r)
{
	return KIPC_MSG_MAX(r->size);
}

/* ------------------------------------------------------------------ */
/* Producer                                                            */

/* Bytes needed from r->pos to place a record of @len bytes, counting a
 * padding record when it would not fit before the end of the data area
 * and, with SEQ, the next header slot that gets marked.
 */
static inline uint32_t kipc_ring_need(const struct kipc_ring *r, uint32_t len)
{
	uint32_t off = r->pos & r->mask;
	uint32_t span = KIPC_REC_SPAN(len);
	uint32_t room = r->size - off;

	return (span <= room ? span : room + span) + r->mark;
}

/* Free bytes as far as the producer knows; re-reads tail when @refresh. */
static inline int kipc_ring_prod_free(struct kipc_ring *r, bool refresh,
				      uint32_t *free_bytes)
{
	if (refresh) {
		/* Pairs with the consumer's store-release of tail. */
		uint32_t t = __atomic_load_n(&r->cons->tail, __ATOMIC_ACQUIRE);

		/* tail must lie within [pos - size, pos]. */
		if ((uint32_t)(r->pos - t) > r->size) {
			r->broken = true;
			return -EBADMSG;
		}
		r->seen = t;
	}
	*free_bytes = r->size - (uint32_t)(r->pos - r->seen);
	return 0;
}

/*
 * kipc_ring_reserve - reserve room for a @len byte message and return
 * where to write its payload. Nothing is visible to the consumer before
 * kipc_ring_commit() and kipc_ring_publish().
 * Returns 0, -EMSGSIZE (never fits this ring), -EAGAIN (no room now) or
 * -EBADMSG (the consumer's index is corrupt).
 */
KIPC_RING_FAST int kipc_ring_reserve(struct kipc_ring *r, uint32_t len,
				    void **payload)
{
	uint32_t need, avail, off, room, end;
	struct kipc_rec *rec;
	int ret;

	if (r->broken)
		return -EBADMSG;
	if (len > kipc_ring_msg_max(r))
		return -EMSGSIZE;
	need = kipc_ring_need(r, len);
	ret = kipc_ring_prod_free(r, false, &avail);
	if (!ret && avail < need)
		ret = kipc_ring_prod_free(r, true, &avail);
	if (ret)
		return ret;
	if (avail < need)
		return -EAGAIN;

	off = r->pos & r->mask;
	room = r->size - off;
	r->span = KIPC_REC_SPAN(len);
	r->len = len;
	if (r->seq) {
		/* The header is written at commit. A padding record is one at
		 * once; the slot after it is marked, in case this
		 * reservation is cancelled.
		 */
		if (r->span > room) {
			kipc_ring_put(r, r->pos,
				      (room - (uint32_t)sizeof(*rec)) | KIPC_REC_PAD);
			r->pos += room;
			kipc_ring_mark(r, r->pos);
			off = 0;
		}
		/* Marked now rather than at commit: the line's ownership is
		 * then fetched while the payload is written. Not needed
		 * where kipc_ring_sweep() zeroed the slot and no buffer
		 * handed out since (a reservation cancelled or trimmed)
		 * reached it: in a ping-pong, a record that ends a line
		 * then writes that line only.
		 */
		end = r->pos + r->span;
		if ((int32_t)(end - r->dirty) < 0 ||
		    (int32_t)(r->clean - (end + KIPC_REC_MARK)) < 0)
			kipc_ring_mark(r, end);
		r->dirty = end;
		/* Never behind: a producer that stops sweeping (KIPC_MORE
		 * only) must not find it "ahead" once pos is 2^31 past it.
		 */
		if ((int32_t)(r->clean - end) < 0)
			r->clean = end;
		*payload = r->data + off + sizeof(*rec);
		return 0;
	}
	if (r->span > room) {
		rec = (struct kipc_rec *)(r->data + off);
		rec->len = (room - (uint32_t)sizeof(*rec)) | KIPC_REC_PAD;
		rec->pos = r->pos;
		r->pos += room;
		off = 0;
	}
	rec = (struct kipc_rec *)(r->data + off);
	rec->len = len;
	rec->pos = r->pos;
	*payload = rec + 1;
	return 0;
}

/* Shrink the reserved message to @len bytes (len <= the reserved length). */
static inline void kipc_ring_trim(struct kipc_ring *r, uint32_t len)
{
	struct kipc_rec *rec = (struct kipc_rec *)(r->data + (r->pos & r->mask));

	r->span = KIPC_REC_SPAN(len);
	r->len = len;
	if (r->seq) {
		/* The record now ends earlier: mark the slot that follows. */
		kipc_ring_mark(r, r->pos + r->span);
		return;
	}
	rec->len = len;
}

/* Make the reserved message part of the next publication. */
KIPC_RING_FAST void kipc_ring_commit(struct kipc_ring *r)
{
	if (r->seq)
		kipc_ring_put(r, r->pos, r->len);
	r->pos += r->span;
	r->span = 0;
	r->msgs++;
}

/* The cache line the producer's sweep and kipc_ring_align() work by and
 * kipc_send() copies around (x86-64 and most arm64). A guess that is
 * wrong only costs time: nothing in the format depends on it.
 */
#define KIPC_RING_LINE		64U

/*
 * kipc_ring_align - SEQ with KIPC_F_RING_PAD, just before a publication,
 * with no reservation open: if the next record, were it as long as the
 * last one committed, would cross one cache line more at r->pos than at
 * the start of a line (a 32-byte payload, span 40, at ring offset 40),
 * end the publication with a padding record up to the end of the line.
 * A ping-pong of small records then has each start a line, which the
 * consumer spins on: one line each way instead of two for half of them.
 * Records that fit where they are (8-byte payloads, four to a line) and
 * batches (KIPC_MORE: one publication, so at most one pad) are left
 * alone. Skipped, never waited for, when the ring has no room for the pad
 * and the slot after it.
 *
 * The pad's header is stored plainly: the record before it holds the
 * publication's gate (it was committed first), whose store-release
 * publishes the pad as it does a batch. The slot after the pad is marked
 * unless it is known to hold zero, as in kipc_ring_reserve().
 */
KIPC_RING_FAST void kipc_ring_align(struct kipc_ring *r)
{
	uint32_t off = r->pos & (KIPC_RING_LINE - 1);
	/* Where in its last line the record ends when it starts a line. */
	uint32_t last = (KIPC_REC_SPAN(r->len) - 1) & (KIPC_RING_LINE - 1);
	uint32_t end;

	/* At off it crosses one line more iff off + last reaches the next
	 * line (never at off 0). Tested first: 8-byte payloads, 64 B and
	 * 4 KiB never pad, so they pay only this.
	 */
	if (off + last < KIPC_RING_LINE || !r->pad_any || !r->gated ||
	    r->span)
		return;
	end = r->pos + KIPC_RING_LINE - off;
	/* A line never crosses the end of the data area (size is a power
	 * of two of at least 64), so neither does the pad.
	 */
	if ((uint32_t)(end + KIPC_REC_MARK - r->seen) > r->size)
		return;
	kipc_ring_put(r, r->pos, (KIPC_RING_LINE - off - KIPC_REC_SPAN(0)) |
				 KIPC_REC_PAD);
	if ((int32_t)(end - r->dirty) < 0 ||
	    (int32_t)(r->clean - (end + KIPC_REC_MARK)) < 0)
		kipc_ring_mark(r, end);
	r->pos = end;
}

/* Publish every committed message: one store-release of head (pairs with
 * the consumer's load-acquire in kipc_ring_peek). Several commits may share
 * one publish. Returns true if anything new was published.
 */
KIPC_RING_FAST bool kipc_ring_publish(struct kipc_ring *r)
{
	if (r->pub == r->pos)
		return false;
	if (r->gated) {
		/* SEQ: the publication itself. Release: the payloads, the
		 * later headers of the batch and the mark after its last
		 * record were all stored before it (pairs with the
		 * load-acquire in kipc_ring_peek_seq()).
		 */
		__atomic_store_n((uint64_t *)(void *)(r->data + r->gate_off),
				 r->gate_word, __ATOMIC_RELEASE);
		r->gated = false;
	}
	/* The message count is only shown by introspection: no ordering. */
	KIPC_RING_STORE(&r->prod->msgs, r->msgs);
	/* Release: pairs with the 1.0 consumer's (and the driver's)
	 * load-acquire; with SEQ it is stored after the headers, so the
	 * driver never sees head ahead of a record.
	 */
	__atomic_store_n(&r->prod->head, r->pos, __ATOMIC_RELEASE);
	r->pub = r->pos;
	return true;
}

/* SEQ producer: the most a record can span and still end, with the slot
 * after it, in what kipc_ring_sweep() keeps zero ahead of r->pos.
 */
#define KIPC_RING_SWEEP_SPAN	(2 * KIPC_RING_LINE - KIPC_REC_MARK)

/*
 * kipc_ring_sweep - SEQ producer, after a publication, with no
 * reservation open: make sure the header slots from r->pos to the end of
 * the cache line after the one r->pos is in hold zero, so that the next
 * small record needs no mark (in a ping-pong of 56 B payloads, one record
 * per line, the mark is a second line written per message). Each line is
 * zeroed once, when r->pos enters the line before it; nothing is done
 * after a record too long to benefit (the next one is likely alike).
 * Only bytes the consumer has handed back (below r->seen + r->size) and
 * that no published record holds (from r->pos on) are written. The slot
 * at r->pos holds a mark or zero already, and storing zero over it while
 * the consumer spins there is harmless: each slot is one 64-bit store, so
 * the consumer sees a mark or zero, never a record. Relaxed: see "Memory
 * ordering" at the top.
 */
KIPC_RING_FAST void kipc_ring_sweep(struct kipc_ring *r)
{
	uint32_t at, to, lim, n, eol;
	volatile uint64_t *w;

	if (!r->seq || KIPC_REC_SPAN(r->len) > KIPC_RING_SWEEP_SPAN)
		return;
	to = (r->pos | (KIPC_RING_LINE - 1)) + 1 + KIPC_RING_LINE;
	if ((int32_t)(r->clean - to) >= 0)
		return;		/* the usual case: done at an earlier call */
	at = (int32_t)(r->clean - r->pos) < 0 ? r->pos : r->clean;
	/* seen is the consumer's tail: bounded, but not always 8-aligned.
	 * A cached one that stops us is refreshed (once a lap or so).
	 */
	lim = (r->seen + r->size) & ~(KIPC_REC_ALIGN - 1);
	if ((int32_t)(to - lim) > 0) {
		if (kipc_ring_prod_free(r, true, &n))
			return;
		lim = (r->seen + r->size) & ~(KIPC_REC_ALIGN - 1);
		if ((int32_t)(to - lim) > 0)
			to = lim;
	}
	while ((int32_t)(to - at) > 0) {
		/* To the end of at's line (a line never crosses the ring
		 * end), or to to; compared as positions, which wrap.
		 */
		eol = (at | (KIPC_RING_LINE - 1)) + 1;
		if ((int32_t)(to - eol) < 0)
			eol = to;
		n = (eol - at) / 8;
		w = kipc_ring_slot(r, at);
		at += n * 8;
		if (n == 8) {	/* a whole line, the usual case */
			w[0] = 0;
			w[1] = 0;
			w[2] = 0;
			w[3] = 0;
			w[4] = 0;
			w[5] = 0;
			w[6] = 0;
			w[7] = 0;
			continue;
		}
		while (n--)
			*w++ = 0;
	}
	if ((int32_t)(at - r->clean) > 0)
		r->clean = at;
}

/* After kipc_ring_publish(): does the consumer want a kick? The full
 * fence orders our head store before the load of its waiting flag (Dekker,
 * pairs with the fence in kipc_ring_cons_prepare_wait).
 */
static inline bool kipc_ring_prod_should_kick(const struct kipc_ring *r)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return KIPC_RING_LOAD(&r->cons->waiting) != 0;
}

/* Announce that the producer will sleep until @len bytes fit, then re-check.
 * Returns 1 if the message fits now (no sleep needed, flag cleared),
 * 0 if the caller should sleep, or a negative errno.
 */
static inline int kipc_ring_prod_prepare_wait(struct kipc_ring *r, uint32_t len)
{
	uint32_t need = kipc_ring_need(r, len), avail;
	int ret;

	KIPC_RING_STORE(&r->prod->need, need);
	/* Pairs with the fence in kipc_ring_cons_should_kick(). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ret = kipc_ring_prod_free(r, true, &avail);
	if (ret || avail >= need) {
		KIPC_RING_STORE(&r->prod->need, 0);
		return ret ? ret : 1;
	}
	return 0;
}

static inline void kipc_ring_prod_finish_wait(struct kipc_ring *r)
{
	KIPC_RING_STORE(&r->prod->need, 0);
}

/* ------------------------------------------------------------------ */
/* Consumer                                                            */

/* SEQ: the header word of the record at r->pos, with acquire (pairs with
 * the producer's store-release of that header in kipc_ring_publish()), as
 * the struct it stands for. Through a copy: the peer may race.
 */
KIPC_RING_FAST struct kipc_rec kipc_ring_head_rec(const struct kipc_ring *r)
{
	union kipc_rec_word u;

	u.word = __atomic_load_n(kipc_ring_slot(r, r->pos), __ATOMIC_ACQUIRE);
	return u.rec;
}

/* Re-read head (SEQ: the next header); returns bytes available to read
 * (SEQ: 1 when a record is there, 0 when not) or a negative errno.
 */
static inline int64_t kipc_ring_cons_refresh(struct kipc_ring *r)
{
	uint32_t h;

	if (r->seq) {
		if (r->seen != r->pos)
			return 1;	/* peeked, not consumed */
		/* A tail adopted from shared memory may be anything. */
		if (r->pos % KIPC_REC_ALIGN) {
			r->broken = true;
			return -EBADMSG;
		}
		return kipc_ring_head_rec(r).pos == KIPC_REC_SEQ(r->pos);
	}
	/* Pairs with the producer's store-release in kipc_ring_publish. */
	h = __atomic_load_n(&r->prod->head, __ATOMIC_ACQUIRE);

	/* head must lie within [pos, pub + size]: never behind what we read,
	 * never more than a ring ahead of what we released.
	 */
	if ((uint32_t)(h - r->pos) > (uint32_t)(r->pub + r->size - r->pos)) {
		r->broken = true;
		return -EBADMSG;
	}
	r->seen = h;
	return (uint32_t)(h - r->pos);
}

/* The span of a padding record at ring offset @off whose header says
 * @len (KIPC_REC_PAD set), or 0 when it is not a valid one: it ends at the
 * end of the data area, or with KIPC_F_RING_PAD anywhere before it, on
 * an 8-byte boundary.
 */
static inline uint32_t kipc_ring_pad_span(const struct kipc_ring *r,
					  uint32_t off, uint32_t len)
{
	uint32_t room = r->size - off - (uint32_t)sizeof(struct kipc_rec);

	len &= KIPC_REC_LEN_MASK;
	if (len == room || (r->pad_any && len < room &&
			    !(len % KIPC_REC_ALIGN)))
		return len + (uint32_t)sizeof(struct kipc_rec);
	return 0;
}

/*
 * kipc_ring_peek - find the next message without consuming it.
 * Returns 0 with *payload and *len set, -EAGAIN (empty) or -EBADMSG (the
 * producer broke the protocol; the ring stays broken). The payload stays
 * valid until kipc_ring_consume(); the producer cannot overwrite it before
 * kipc_ring_release() publishes the tail.
 */
/*
 * SEQ: the record at r->pos is there when its header holds its seq; a mark
 * or stale bytes are "nothing yet" (-EAGAIN: a peer that writes garbage
 * only looks silent). A record that is there is checked as in 1.0, and
 * also against the room the producer could have had: it and the mark
 * after it lie within one ring of the tail we published, so no byte of it
 * is one we may still be reading.
 */
KIPC_RING_FAST int kipc_ring_peek_seq(struct kipc_ring *r, const void **payload,
				     uint32_t *len)
{
	struct kipc_rec rec;
	uint32_t off, span;

	/* Spans keep pos 8-aligned; a tail adopted by
	 * kipc_ring_resume_cons() from shared memory may not be.
	 */
	if (r->pos % KIPC_REC_ALIGN)
		goto corrupt;
	for (;;) {
		rec = kipc_ring_head_rec(r);
		if (rec.pos != KIPC_REC_SEQ(r->pos)) {
			/* A record we found here and did not consume (peeked,
			 * or too big for a recv buffer) cannot go away: the
			 * producer rewrote a published header. Not "nothing
			 * yet": the waits take seen != pos as a record there,
			 * and a non-blocking recv would spin forever.
			 */
			if (r->seen != r->pos)
				goto corrupt;
			return -EAGAIN;
		}
		off = r->pos & r->mask;
		if (rec.len & KIPC_REC_PAD) {
			span = kipc_ring_pad_span(r, off, rec.len);
			if (!span)
				goto corrupt;
		} else {
			if (rec.len > kipc_ring_msg_max(r))
				goto corrupt;
			span = KIPC_REC_SPAN(rec.len);
			if (span > r->size - off)
				goto corrupt;
		}
		if ((uint32_t)(r->pos + span + KIPC_REC_MARK - r->pub) > r->size)
			goto corrupt;
		if (rec.len & KIPC_REC_PAD) {
			r->pos += span;
			r->seen = r->pos;
			continue;
		}
		r->span = span;
		r->seen = r->pos + span;	/* head is at least there */
		*payload = r->data + off + sizeof(struct kipc_rec);
		*len = rec.len;
		return 0;
	}
corrupt:
	r->broken = true;
	return -EBADMSG;
}

KIPC_RING_FAST int kipc_ring_peek(struct kipc_ring *r, const void **payload,
				 uint32_t *len)
{
	const volatile struct kipc_rec *rec;
	uint32_t off, l, p, span, avail;

	if (r->broken)
		return -EBADMSG;
	if (r->seq)
		return kipc_ring_peek_seq(r, payload, len);
	for (;;) {
		avail = r->seen - r->pos;
		if (!avail) {
			int64_t n = kipc_ring_cons_refresh(r);

			if (n < 0)
				return (int)n;
			if (!n)
				return -EAGAIN;
			avail = (uint32_t)n;
		}
		off = r->pos & r->mask;
		/* head is 8-aligned by construction, so a whole header fits. */
		if (avail < sizeof(struct kipc_rec) || off % KIPC_REC_ALIGN)
			goto corrupt;
		rec = (const volatile struct kipc_rec *)(r->data + off);
		l = rec->len;	/* read each field once: the peer may race */
		p = rec->pos;
		if (p != r->pos)
			goto corrupt;
		if (l & KIPC_REC_PAD) {
			span = kipc_ring_pad_span(r, off, l);
			if (!span || span > avail)
				goto corrupt;
			r->pos += span;
			continue;
		}
		if (l > kipc_ring_msg_max(r))
			goto corrupt;
		span = KIPC_REC_SPAN(l);
		if (span > avail || span > r->size - off)
			goto corrupt;
		r->span = span;
		*payload = (const void *)(rec + 1);
		*len = l;
		return 0;
	}
corrupt:
	r->broken = true;
	return -EBADMSG;
}

/* Consume the message returned by the last kipc_ring_peek(). */
static inline void kipc_ring_consume(struct kipc_ring *r)
{
	r->pos += r->span;
	r->span = 0;
}

/* Hand consumed space back to the producer: one store-release of tail
 * (pairs with the producer's load-acquire in kipc_ring_prod_free). Several
 * consumes may share one release. Returns true if the tail moved.
 */
static inline bool kipc_ring_release(struct kipc_ring *r)
{
	if (r->pub == r->pos)
		return false;
	__atomic_store_n(&r->cons->tail, r->pos, __ATOMIC_RELEASE);
	r->pub = r->pos;
	return true;
}

/* After kipc_ring_release(): does the producer wait for the room we just
 * freed? Full fence: Dekker with kipc_ring_prod_prepare_wait. A need larger
 * than the ring is the peer's own problem; we kick it anyway.
 */
static inline bool kipc_ring_cons_should_kick(const struct kipc_ring *r)
{
	uint32_t need;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	need = KIPC_RING_LOAD(&r->prod->need);
	if (!need)
		return false;
	/* Room as the producer will compute it, using the head we last saw. */
	return need > r->size || r->size - (uint32_t)(r->seen - r->pub) >= need;
}

/* Announce that the consumer will sleep until data arrives, then re-check.
 * Returns 1 if data is there (flag cleared), 0 to sleep, or -EBADMSG.
 */
static inline int kipc_ring_cons_prepare_wait(struct kipc_ring *r)
{
	int64_t n;

	if (r->seen != r->pos)
		return 1;
	KIPC_RING_STORE(&r->cons->waiting, 1);
	/* Pairs with the fence in kipc_ring_prod_should_kick(). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	n = kipc_ring_cons_refresh(r);
	if (n != 0) {
		KIPC_RING_STORE(&r->cons->waiting, 0);
		return n < 0 ? (int)n : 1;
	}
	return 0;
}

static inline void kipc_ring_cons_finish_wait(struct kipc_ring *r)
{
	KIPC_RING_STORE(&r->cons->waiting, 0);
}

#endif /* KIPC_RING_H */
