// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The ring protocol (include/kipc_ring.h) on its own, without a
 * connection: the SEQ format never reads stale payload as a record, and a
 * record rewritten after the consumer found it breaks the ring.
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

TEST_GROUP(ring_protocol,
	{ "seq_stale_payload", t_seq_stale_payload, 30 },
	{ "seq_rewritten_record", t_seq_rewritten_record, 30 });
