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

#include "harness.h"
#include "kipc_ring.h"

/*
 * SEQ on the bare ring: stale bytes of an earlier lap's payload that look
 * exactly like the next record's header are not a record, because the
 * producer marks the slot after each record before publishing it.
 */
static void t_seq_stale_payload(void)
{
	static struct kipc_index_page idx;
	struct kipc_ring tx, rx;
	uint8_t *data = aligned_alloc(64, 4096);
	union {
		struct kipc_rec rec;
		uint8_t b[8];
	} forged = { .rec = { .len = 5, .pos = KIPC_REC_SEQ(4096 + 16) } };
	const uint32_t lens[] = { 200, 1936, 1936 };
	const void *q;
	uint32_t len;
	void *w;
	int i;

	CHECK(data);
	memset(data, 0, 4096);
	kipc_ring_init(&tx, data, 4096, &idx.prod, &idx.cons);
	kipc_ring_init(&rx, data, 4096, &idx.prod, &idx.cons);
	kipc_ring_set_format(&tx, KIPC_F_RING_SEQ);
	kipc_ring_set_format(&rx, KIPC_F_RING_SEQ);
	CHECK_EQ(kipc_ring_peek(&rx, &q, &len), -EAGAIN);	/* zeroes */
	/* Lap 0: ring offset 16 (in the first payload) holds the header
	 * that position 4096 + 16 will have; records end at 4096.
	 */
	for (i = 0; i < 3; i++) {
		CHECK_OK(kipc_ring_reserve(&tx, lens[i], &w));
		memset(w, 0xa5, lens[i]);
		if (!i)
			memcpy((uint8_t *)w + 8, forged.b, 8);
		kipc_ring_commit(&tx);
		CHECK(kipc_ring_publish(&tx));
		CHECK_OK(kipc_ring_peek(&rx, &q, &len));
		CHECK_EQ(len, lens[i]);
		kipc_ring_consume(&rx);
		kipc_ring_release(&rx);
	}
	CHECK_EQ(tx.pos, 4096u);
	/* Lap 1: an 8-byte record at 4096; the next slot is offset 16. */
	CHECK_OK(kipc_ring_reserve(&tx, 8, &w));
	memset(w, 0x5a, 8);
	kipc_ring_commit(&tx);
	CHECK_EQ(kipc_ring_peek(&rx, &q, &len), -EAGAIN);	/* unpublished */
	CHECK(kipc_ring_publish(&tx));
	CHECK_OK(kipc_ring_peek(&rx, &q, &len));
	CHECK_EQ(len, 8u);
	kipc_ring_consume(&rx);
	CHECK_EQ(kipc_ring_peek(&rx, &q, &len), -EAGAIN);	/* the mark */
	CHECK_EQ(kipc_ring_cons_refresh(&rx), 0);
	CHECK(!rx.broken);
	free(data);
}

/*
 * SEQ: a record the consumer found and left in place (a peek, or a recv
 * whose buffer was too small) whose header the producer then rewrites is a
 * broken ring, -EBADMSG; it was "nothing yet" (-EAGAIN) while the waits
 * took the record as there, and a non-blocking recv spun forever.
 */
static void t_seq_rewritten_record(void)
{
	static struct kipc_index_page idx;
	struct kipc_ring tx, rx;
	uint8_t *data = aligned_alloc(64, 4096);
	const uint64_t garbage[] = { 0, 0x1234567890abcdefULL };
	const void *q;
	uint64_t word;
	uint32_t len;
	void *w;
	int i;

	CHECK(data);
	for (i = 0; i < 2; i++) {
		memset(data, 0, 4096);
		memset(&idx, 0, sizeof(idx));
		kipc_ring_init(&tx, data, 4096, &idx.prod, &idx.cons);
		kipc_ring_init(&rx, data, 4096, &idx.prod, &idx.cons);
		kipc_ring_set_format(&tx, KIPC_F_RING_SEQ);
		kipc_ring_set_format(&rx, KIPC_F_RING_SEQ);
		CHECK_OK(kipc_ring_reserve(&tx, 100, &w));
		memset(w, 0x3c, 100);
		kipc_ring_commit(&tx);
		CHECK(kipc_ring_publish(&tx));
		CHECK_OK(kipc_ring_peek(&rx, &q, &len));
		CHECK_EQ(len, 100u);
		/* Peeked twice: the same record, still there. */
		CHECK_OK(kipc_ring_peek(&rx, &q, &len));
		CHECK_EQ(kipc_ring_cons_refresh(&rx), 1);
		/* The producer's header word at 0 becomes zero (what a mark
		 * or a sweep leaves), then anything else.
		 */
		word = garbage[i];
		memcpy(data, &word, sizeof(word));
		CHECK_EQ(kipc_ring_peek(&rx, &q, &len), -EBADMSG);
		CHECK(rx.broken);
		CHECK_EQ(kipc_ring_peek(&rx, &q, &len), -EBADMSG);
	}
	free(data);
}

TEST_GROUP(ring_protocol,
	{ "seq_stale_payload", t_seq_stale_payload, 30 },
	{ "seq_rewritten_record", t_seq_rewritten_record, 30 });
