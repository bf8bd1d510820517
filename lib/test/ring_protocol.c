// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The ring protocol (include/kipc_ring.h) on its own, without a
 * connection: the SEQ format never reads stale payload as a record, a
 * record rewritten after the consumer found it breaks the ring, and
 * KIPC_F_RING_PAD's padding records are placed and checked as they should.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kipc.h>

#include "bare_ring.h"

/*
 * SEQ on the bare ring: stale bytes of an earlier lap's payload that look
 * exactly like the next record's header are not a record, because the
 * producer marks the slot after each record before publishing it.
 */
static void t_seq_stale_payload(void)
{
	struct bare b;
	union {
		struct kipc_rec rec;
		uint8_t b[8];
	} forged = { .rec = { .len = 5, .pos = KIPC_REC_SEQ(4096 + 16) } };
	const uint32_t lens[] = { 200, 1936, 1936 };
	const void *q;
	uint32_t len;
	void *w;
	int i;

	bare_open(&b);
	CHECK_EQ(kipc_ring_peek(&b.rx, &q, &len), -EAGAIN);	/* zeroes */
	/* Lap 0: ring offset 16 (in the first payload) holds the header
	 * that position 4096 + 16 will have; records end at 4096.
	 */
	for (i = 0; i < 3; i++) {
		CHECK_OK(kipc_ring_reserve(&b.tx, lens[i], &w));
		memset(w, 0xa5, lens[i]);
		if (!i)
			memcpy((uint8_t *)w + 8, forged.b, 8);
		kipc_ring_commit(&b.tx);
		CHECK(kipc_ring_publish(&b.tx));
		CHECK_OK(kipc_ring_peek(&b.rx, &q, &len));
		CHECK_EQ(len, lens[i]);
		kipc_ring_consume(&b.rx);
		kipc_ring_release(&b.rx);
	}
	CHECK_EQ(b.tx.pos, 4096u);
	/* Lap 1: an 8-byte record at 4096; the next slot is offset 16. */
	CHECK_OK(kipc_ring_reserve(&b.tx, 8, &w));
	memset(w, 0x5a, 8);
	kipc_ring_commit(&b.tx);
	CHECK_EQ(kipc_ring_peek(&b.rx, &q, &len), -EAGAIN);	/* unpublished */
	CHECK(kipc_ring_publish(&b.tx));
	CHECK_OK(kipc_ring_peek(&b.rx, &q, &len));
	CHECK_EQ(len, 8u);
	kipc_ring_consume(&b.rx);
	CHECK_EQ(kipc_ring_peek(&b.rx, &q, &len), -EAGAIN);	/* the mark */
	CHECK_EQ(kipc_ring_cons_refresh(&b.rx), 0);
	CHECK(!b.rx.broken);
	free(b.data);
}

/*
 * SEQ: a record the consumer found and left in place (a peek, or a recv
 * whose buffer was too small) whose header the producer then rewrites is a
 * broken ring, -EBADMSG; it was "nothing yet" (-EAGAIN) while the waits
 * took the record as there, and a non-blocking recv spun forever.
 */
static void t_seq_rewritten_record(void)
{
	const uint64_t garbage[] = { 0, 0x1234567890abcdefULL };
	const void *q;
	uint64_t word;
	struct bare b;
	uint32_t len;
	void *w;
	int i;

	for (i = 0; i < 2; i++) {
		bare_open(&b);
		CHECK_OK(kipc_ring_reserve(&b.tx, 100, &w));
		memset(w, 0x3c, 100);
		kipc_ring_commit(&b.tx);
		CHECK(kipc_ring_publish(&b.tx));
		CHECK_OK(kipc_ring_peek(&b.rx, &q, &len));
		CHECK_EQ(len, 100u);
		/* Peeked twice: the same record, still there. */
		CHECK_OK(kipc_ring_peek(&b.rx, &q, &len));
		CHECK_EQ(kipc_ring_cons_refresh(&b.rx), 1);
		/* The producer's header word at 0 becomes zero (what a mark
		 * or a sweep leaves), then anything else.
		 */
		word = garbage[i];
		memcpy(b.data, &word, sizeof(word));
		CHECK_EQ(kipc_ring_peek(&b.rx, &q, &len), -EBADMSG);
		CHECK(b.rx.broken);
		CHECK_EQ(kipc_ring_peek(&b.rx, &q, &len), -EBADMSG);
		free(b.data);
	}
}

/* A padding record of @len payload bytes at the producer's position,
 * published by its own header, as a hostile (or another) producer would.
 */
static void forge_pad(struct bare *b, uint32_t at, uint32_t len)
{
	union kipc_rec_word u = { .rec = { .len = len | KIPC_REC_PAD,
					   .pos = KIPC_REC_SEQ(at) } };

	__atomic_store_n((uint64_t *)(void *)(b->data + (at & (RING - 1))),
			 u.word, __ATOMIC_RELEASE);
}

static void put_one(struct bare *b, uint32_t len, uint8_t fill)
{
	void *w;

	CHECK_OK(kipc_ring_reserve(&b->tx, len, &w));
	memset(w, fill, len);
	kipc_ring_commit(&b->tx);
	kipc_ring_align(&b->tx);
	CHECK(kipc_ring_publish(&b->tx));
	kipc_ring_sweep(&b->tx);
}

static void get_one(struct bare *b, uint32_t len, uint8_t fill)
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
 * KIPC_F_RING_PAD: a publication whose last record, repeated, would cross
 * a line it need not ends with a pad to the end of its line, so that the
 * next small record starts one; one that fits where it is (8 bytes, four
 * to a line), or that no placement could keep to fewer lines (64 bytes,
 * span 72), is not padded; a batch gets one pad, after its last record.
 * Every message reads back, over laps of the ring, and the pads never
 * show as messages. Without the feature nothing is padded.
 */
static void t_pad_align(void)
{
	static const uint32_t lens[] = { 32, 40, 48, 8, 16, 24, 56, 64, 100 };
	uint32_t len, n, i, at, end, nat, span, padded;
	const void *q;
	struct bare b;
	int pad;

	for (pad = 0; pad < 2; pad++) {
		bare_open(&b);
		kipc_ring_set_format(&b.tx, KIPC_F_RING_SEQ |
				     (pad ? KIPC_F_RING_PAD : 0));
		kipc_ring_set_format(&b.rx, KIPC_F_RING_SEQ |
				     (pad ? KIPC_F_RING_PAD : 0));
		padded = 0;
		for (n = 0; n < 3 * RING / 40; n++) {
			len = lens[n % (sizeof(lens) / sizeof(lens[0]))];
			span = KIPC_REC_SPAN(len);
			/* Where it ends: after a pad to the ring's end if it
			 * does not fit before it, then to the end of the line
			 * if an equal record would cross a line more there.
			 */
			at = b.tx.pos;
			end = at + span;
			if (at % RING + span > RING)
				end += RING - at % RING;
			nat = end;
			i = end % KIPC_RING_LINE;
			if (pad && i && (i + span - 1) / KIPC_RING_LINE !=
					(span - 1) / KIPC_RING_LINE)
				end += KIPC_RING_LINE - i;
			put_one(&b, len, (uint8_t)n);
			CHECK_EQ(b.tx.pos, end);
			padded += end != nat;
			get_one(&b, len, (uint8_t)n);
			CHECK_EQ(kipc_ring_peek(&b.rx, &q, &len), -EAGAIN);
			CHECK_EQ(b.rx.pos, b.tx.pos);	/* pads skipped */
		}
		CHECK_EQ(padded > 0, pad);
		CHECK(!b.rx.broken && !b.tx.broken);
		free(b.data);

		/* A batch from offset 0: records at 0, 40 and 80, then one
		 * pad, from 120 to the line's end.
		 */
		bare_open(&b);
		kipc_ring_set_format(&b.tx, KIPC_F_RING_SEQ |
				     (pad ? KIPC_F_RING_PAD : 0));
		kipc_ring_set_format(&b.rx, KIPC_F_RING_SEQ |
				     (pad ? KIPC_F_RING_PAD : 0));
		for (i = 0; i < 3; i++) {
			void *w;

			CHECK_OK(kipc_ring_reserve(&b.tx, 32, &w));
			memset(w, 0x77, 32);
			kipc_ring_commit(&b.tx);
		}
		CHECK_EQ(b.tx.pos, 3 * KIPC_REC_SPAN(32));
		kipc_ring_align(&b.tx);
		CHECK(kipc_ring_publish(&b.tx));
		CHECK_EQ(b.tx.pos, pad ? 128u : 120u);
		for (i = 0; i < 3; i++)
			get_one(&b, 32, 0x77);
		CHECK_EQ(kipc_ring_peek(&b.rx, &q, &len), -EAGAIN);
		CHECK_EQ(b.rx.pos, b.tx.pos);
		CHECK(!b.rx.broken && !b.tx.broken);
		free(b.data);
	}
}

/*
 * A pad that ends before the end of the data area is a protocol
 * violation without KIPC_F_RING_PAD (-EBADMSG, as in 1.0); with it, one
 * that is not 8-aligned or runs past the end is, and a valid one is
 * skipped.
 */
static void t_pad_hostile(void)
{
	static const struct {
		uint64_t formats;
		uint32_t at, len;
		int ret;
	} cases[] = {
		{ KIPC_F_RING_SEQ, 0, 56, -EBADMSG },
		{ KIPC_F_RING_SEQ, 4032, 56, -EAGAIN },	/* to the end */
		{ KIPC_F_RING_SEQ | KIPC_F_RING_PAD, 0, 56, -EAGAIN },
		{ KIPC_F_RING_SEQ | KIPC_F_RING_PAD, 0, 0, -EAGAIN },
		{ KIPC_F_RING_SEQ | KIPC_F_RING_PAD, 0, 52, -EBADMSG },
		{ KIPC_F_RING_SEQ | KIPC_F_RING_PAD, 4032, 64, -EBADMSG },
		{ KIPC_F_RING_SEQ | KIPC_F_RING_PAD, 0, 4096, -EBADMSG },
		{ KIPC_F_RING_SEQ | KIPC_F_RING_PAD, 0, KIPC_REC_LEN_MASK,
		  -EBADMSG },
	};
	const void *q;
	struct bare b;
	uint32_t len;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bare_open(&b);
		kipc_ring_set_format(&b.rx, cases[i].formats);
		b.rx.pos = b.rx.pub = b.rx.seen = cases[i].at;
		forge_pad(&b, cases[i].at, cases[i].len);
		CHECK_EQ(kipc_ring_peek(&b.rx, &q, &len), cases[i].ret);
		if (cases[i].ret == -EAGAIN)
			CHECK_EQ(b.rx.pos, cases[i].at + KIPC_REC_SPAN(cases[i].len));
		CHECK_EQ(b.rx.broken, cases[i].ret == -EBADMSG);
		free(b.data);
	}
}

TEST_GROUP(ring_protocol,
	{ "seq_stale_payload", t_seq_stale_payload, 30 },
	{ "seq_rewritten_record", t_seq_rewritten_record, 30 },
	{ "pad_align", t_pad_align, 30 },
	{ "pad_hostile", t_pad_hostile, 30 });
