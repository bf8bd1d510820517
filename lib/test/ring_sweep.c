// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The SEQ producer's sweep (kipc_ring_sweep() in include/kipc_ring.h), on
 * the bare ring: a record whose next header slot the sweep has zeroed is
 * published without a mark, and the sweep never lets a stale or forged
 * header through nor writes a byte the consumer still holds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bare_ring.h"

/* One message of @len bytes of @fill, published, then the sweep, as
 * kipc_send() does.
 */
static void put_msg(struct bare *b, uint32_t len, uint8_t fill)
{
	void *w;

	CHECK_OK(kipc_ring_reserve(&b->tx, len, &w));
	memset(w, fill, len);
	kipc_ring_commit(&b->tx);
	CHECK(kipc_ring_publish(&b->tx));
	kipc_ring_sweep(&b->tx);
}

static void get_msg(struct bare *b, uint32_t len, uint8_t fill)
{
	const uint8_t *q;
	uint32_t n, i;

	CHECK_OK(kipc_ring_peek(&b->rx, (const void **)&q, &n));
	CHECK_EQ(n, len);
	for (i = 0; i < n; i++)
		CHECK_EQ(q[i], fill);
	kipc_ring_consume(&b->rx);
	kipc_ring_release(&b->rx);
}

/*
 * 56-byte payloads, one record per cache line: once the sweep has zeroed
 * the line after the record, publishing it writes nothing beyond its own
 * 64 bytes (the old code marked the first slot of the next line, a second
 * line per message).
 */
static void t_sweep_one_line(void)
{
	struct bare b;
	uint8_t after[64], copy[64];
	const void *q;
	uint32_t len;
	int i;

	bare_open(&b);
	for (i = 0; i < 3 * (int)(RING / 64); i++) {
		uint32_t off = b.tx.pos & (RING - 1);
		uint32_t next = (off + 64) & (RING - 1);

		if (i >= 2) {	/* the first two lines: no sweep yet */
			memcpy(after, b.data + next, sizeof(after));
			memset(copy, 0, sizeof(copy));
			CHECK(!memcmp(after, copy, sizeof(after)));
		}
		put_msg(&b, 56, (uint8_t)i);
		if (i >= 2) {
			/* The sweep may zero further lines, never this one's
			 * bytes: they were zero, and stay so.
			 */
			CHECK(!memcmp(b.data + next, after, sizeof(after)));
		}
		get_msg(&b, 56, (uint8_t)i);
		CHECK_EQ(kipc_ring_peek(&b.rx, &q, &len), -EAGAIN);
	}
	CHECK(!b.rx.broken && !b.tx.broken);
	free(b.data);
}

/*
 * A reservation handed out and not committed (kipc_commit(c, 0, ...))
 * leaves its payload in slots the sweep had zeroed: a smaller record
 * reserved at the same place next must still mark the slot after it, or a
 * header forged in the abandoned payload would read as the next record.
 */
static void t_sweep_cancelled_payload(void)
{
	union kipc_rec_word forged;
	struct bare b;
	const void *q;
	uint32_t len;
	void *w;

	bare_open(&b);
	put_msg(&b, 8, 1);	/* 0..16; the sweep zeroes up to 128 */
	CHECK_EQ(b.tx.pos, 16u);
	/* Reserve 100 bytes at 16 (payload 24..124), forge the header that
	 * position 32 would have, and abandon the reservation.
	 */
	CHECK_OK(kipc_ring_reserve(&b.tx, 100, &w));
	forged.rec.len = 5;
	forged.rec.pos = KIPC_REC_SEQ(32);
	memcpy((uint8_t *)w + 8, &forged.word, sizeof(forged.word));
	/* An 8-byte record at 16 ends at 32, inside the abandoned payload. */
	CHECK_OK(kipc_ring_reserve(&b.tx, 8, &w));
	memset(w, 2, 8);
	kipc_ring_commit(&b.tx);
	CHECK(kipc_ring_publish(&b.tx));
	kipc_ring_sweep(&b.tx);
	get_msg(&b, 8, 1);
	get_msg(&b, 8, 2);
	CHECK_EQ(kipc_ring_peek(&b.rx, &q, &len), -EAGAIN);
	CHECK(!b.rx.broken);
	free(b.data);
}

/*
 * The sweep writes only what the consumer has handed back: with the
 * consumer holding every record, the producer fills the ring to the last
 * byte it may use, and every record still reads back intact.
 */
static void t_sweep_free_space_only(void)
{
	static const uint32_t lens[] = { 8, 56, 16, 40, 104, 8, 64, 24 };
	struct bare b;
	uint32_t n = 0, i;
	void *w;

	bare_open(&b);
	/* Move the ring a little more than a lap on first, so that the
	 * consumer's tail is not at 0 and the sweep's limit is a real one.
	 */
	for (i = 0; b.tx.pos < RING + 1000; i++) {
		put_msg(&b, lens[i % 8], (uint8_t)i);
		get_msg(&b, lens[i % 8], (uint8_t)i);
	}
	for (;; n++) {
		uint32_t len = lens[n % 8];

		if (kipc_ring_reserve(&b.tx, len, &w))
			break;
		memset(w, (uint8_t)(0x80 + n), len);
		kipc_ring_commit(&b.tx);
		CHECK(kipc_ring_publish(&b.tx));
		kipc_ring_sweep(&b.tx);
	}
	CHECK(n > 40);
	for (i = 0; i < n; i++) {
		const uint8_t *q;
		uint32_t len, k;

		CHECK_OK(kipc_ring_peek(&b.rx, (const void **)&q, &len));
		CHECK_EQ(len, lens[i % 8]);
		for (k = 0; k < len; k++)
			CHECK_EQ(q[k], (uint8_t)(0x80 + i));
		kipc_ring_consume(&b.rx);
	}
	CHECK_EQ(kipc_ring_peek(&b.rx, (const void **)&w, &n), -EAGAIN);
	CHECK(!b.rx.broken && !b.tx.broken);
	free(b.data);
}

/*
 * A consumer that publishes an unaligned tail (hostile, within bounds)
 * makes the sweep stop short of it, rounded down: it never loops, nor
 * writes a byte the consumer has not handed back.
 */
static void t_sweep_unaligned_tail(void)
{
	static uint8_t before[RING];
	struct bare b;

	bare_open(&b);
	put_msg(&b, 56, 1);
	get_msg(&b, 56, 1);
	/* Fill up to the last line without releasing anything more. */
	while (b.tx.pos < RING - 64)
		put_msg(&b, 56, 2);
	CHECK_EQ(b.tx.pos, RING - 64);
	/* Now claim that only 3 bytes of the first record were read. */
	__atomic_store_n(&b.idx.cons.tail, 3, __ATOMIC_RELEASE);
	b.tx.seen = 3;
	b.tx.clean = b.tx.pos;
	memcpy(before, b.data, RING);
	kipc_ring_sweep(&b.tx);
	/* The last line (free) is zeroed, nothing below pos is touched: not
	 * even bytes 0..2 at the wrap, which the consumer did hand back,
	 * since the slot they are in holds 3..7 too.
	 */
	CHECK(!memcmp(b.data, before, RING - 64));
	CHECK_EQ(b.tx.clean, RING);
	CHECK(!b.tx.broken);
	free(b.data);
}

/*
 * A producer that never sweeps (one that only ever sends with KIPC_MORE
 * and flushes, or a user of the bare ring) and has moved 2^31 bytes on:
 * the zeroed region it knew of at the start must not look ahead of it
 * again (positions are 32-bit), or a header forged in stale payload
 * would read as the next record.
 */
static void t_sweep_position_wrap(void)
{
	const uint32_t size = 1u << 20, big = (1u << 19) - 8;
	struct kipc_index_page idx;
	struct kipc_ring tx, rx;
	union kipc_rec_word forged;
	uint8_t *data = aligned_alloc(64, size);
	const void *q;
	uint32_t len, p;
	void *w;

	CHECK(data);
	memset(data, 0, size);
	memset(&idx, 0, sizeof(idx));
	kipc_ring_init(&tx, data, size, &idx.prod, &idx.cons);
	kipc_ring_init(&rx, data, size, &idx.prod, &idx.cons);
	kipc_ring_set_format(&tx, KIPC_F_RING_SEQ);
	kipc_ring_set_format(&rx, KIPC_F_RING_SEQ);
	CHECK_OK(kipc_ring_reserve(&tx, 8, &w));
	kipc_ring_commit(&tx);
	CHECK(kipc_ring_publish(&tx));
	kipc_ring_sweep(&tx);	/* zero known up to 128 */
	CHECK_OK(kipc_ring_peek(&rx, &q, &len));
	kipc_ring_consume(&rx);
	kipc_ring_release(&rx);
	/* 2^31 bytes more, without a sweep (payloads left as they are). */
	while (tx.pos < 0x80000000u + 4096) {
		CHECK_OK(kipc_ring_reserve(&tx, big, &w));
		kipc_ring_commit(&tx);
		CHECK(kipc_ring_publish(&tx));
		CHECK_OK(kipc_ring_peek(&rx, &q, &len));
		CHECK_EQ(len, big);
		kipc_ring_consume(&rx);
		kipc_ring_release(&rx);
	}
	/* An 8-byte record at p; stale bytes at p + 16 forge the next. */
	p = tx.pos;
	forged.rec.len = 5;
	forged.rec.pos = KIPC_REC_SEQ(p + 16);
	memcpy(data + ((p + 16) & (size - 1)), &forged.word, 8);
	CHECK_OK(kipc_ring_reserve(&tx, 8, &w));
	memset(w, 7, 8);
	kipc_ring_commit(&tx);
	CHECK(kipc_ring_publish(&tx));
	CHECK_OK(kipc_ring_peek(&rx, &q, &len));
	CHECK_EQ(len, 8u);
	kipc_ring_consume(&rx);
	CHECK_EQ(kipc_ring_peek(&rx, &q, &len), -EAGAIN);
	CHECK(!rx.broken);
	free(data);
}

/*
 * Positions are 32-bit and wrap: sweeping across 2^32 (a ring end too)
 * writes nothing outside the data area and loses no record.
 */
static void t_sweep_across_wrap(void)
{
	static const uint32_t lens[] = { 8, 56, 16, 40, 104, 8, 64, 24, 120 };
	struct kipc_index_page idx;
	struct kipc_ring tx, rx;
	uint8_t *data = aligned_alloc(64, RING + 256);
	uint32_t i, k;

	CHECK(data);
	memset(data, 0, RING);
	memset(data + RING, 0xee, 256);	/* a guard after the data area */
	memset(&idx, 0, sizeof(idx));
	/* Start in the last line of the ring, 48 bytes before 2^32: the
	 * first sweep begins there and must stop at the ring end.
	 */
	idx.prod.head = idx.cons.tail = 0u - 48;
	kipc_ring_init(&tx, data, RING, &idx.prod, &idx.cons);
	kipc_ring_init(&rx, data, RING, &idx.prod, &idx.cons);
	kipc_ring_set_format(&tx, KIPC_F_RING_SEQ);
	kipc_ring_set_format(&rx, KIPC_F_RING_SEQ);
	kipc_ring_resume_prod(&tx);
	kipc_ring_resume_cons(&rx);
	for (i = 0; (int32_t)(tx.pos - 2048) < 0; i++) {
		uint32_t len = lens[i % 9], n;
		const uint8_t *q;
		void *w;

		CHECK_OK(kipc_ring_reserve(&tx, len, &w));
		memset(w, (uint8_t)i, len);
		kipc_ring_commit(&tx);
		CHECK(kipc_ring_publish(&tx));
		kipc_ring_sweep(&tx);
		CHECK_OK(kipc_ring_peek(&rx, (const void **)&q, &n));
		CHECK_EQ(n, len);
		for (k = 0; k < n; k++)
			CHECK_EQ(q[k], (uint8_t)i);
		kipc_ring_consume(&rx);
		kipc_ring_release(&rx);
		CHECK_EQ(kipc_ring_peek(&rx, (const void **)&q, &n), -EAGAIN);
	}
	for (k = 0; k < 256; k++)
		CHECK_EQ(data[RING + k], 0xee);
	CHECK(!rx.broken && !tx.broken);
	free(data);
}

TEST_GROUP(ring_sweep,
	{ "sweep_one_line", t_sweep_one_line, 30 },
	{ "sweep_cancelled_payload", t_sweep_cancelled_payload, 30 },
	{ "sweep_free_space_only", t_sweep_free_space_only, 30 },
	{ "sweep_unaligned_tail", t_sweep_unaligned_tail, 30 },
	{ "sweep_position_wrap", t_sweep_position_wrap, 30 },
	{ "sweep_across_wrap", t_sweep_across_wrap, 30 });
