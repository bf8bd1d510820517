// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The ring record reader (kipc_ring.h) against arbitrary ring bytes and
 * indices. A producer and a consumer share one data area and one pair of
 * index lines, as across two processes; between their calls the input
 * overwrites head, tail, need, waiting and data bytes, as a hostile peer
 * would. The data area is exactly its size on the heap, so ASan sees any
 * access outside it; the checks below are kipc_ring.h's promises.
 *
 * Input: size selector (1 byte: bits 0-2 the size, bit 3 the format
 * KIPC_F_RING_SEQ, bit 4 KIPC_F_RING_PAD), start index (4), a flag byte and, if it is non-zero,
 * the ring's initial bytes; then one op byte after another, each followed
 * by its operands (fuzz_ring.c's switch). OP_FORGE writes a whole header
 * word that SEQ's reader would take for a record near its position, the
 * bytes a hostile producer would write.
 */
#include <stdlib.h>

#include "kipc_ring.h"
#include "fuzz.h"

enum {
	OP_HEAD, OP_TAIL, OP_NEED_WAITING, OP_POKE, OP_PEEK, OP_RELEASE,
	OP_CONS_WAIT, OP_RESERVE, OP_PUBLISH, OP_PROD_WAIT, OP_RESUME,
	OP_FORGE, OP_NR
};

static void check_payload(const struct kipc_ring *r, const void *p,
			  uint32_t len)
{
	const uint8_t *b = p;

	FUZZ_CHECK(len <= kipc_ring_msg_max(r));
	FUZZ_CHECK(b >= r->data + sizeof(struct kipc_rec));
	FUZZ_CHECK(b + len <= r->data + r->size);
}

static void consume_one(struct kipc_ring *cons, struct fuzz_in *in)
{
	/* SEQ reads an 8-byte header word at pos: never at a misaligned
	 * one, which could end past the data area (ASan does not see an
	 * atomic load that straddles the end).
	 */
	bool misaligned = cons->seq && cons->pos % KIPC_REC_ALIGN;
	const void *p;
	uint32_t len, i, sum = 0;
	int ret;

	ret = kipc_ring_peek(cons, &p, &len);
	if (misaligned)
		FUZZ_CHECK(ret == -EBADMSG);
	if (cons->broken) {
		FUZZ_CHECK(ret == -EBADMSG);
		return;
	}
	if (ret) {
		FUZZ_CHECK(ret == -EAGAIN);
		/* The waits agree that nothing is there: one that found
		 * something would return at once, the next peek would say
		 * -EAGAIN again, and a recv would spin forever.
		 */
		FUZZ_CHECK(kipc_ring_cons_refresh(cons) == 0);
		return;
	}
	check_payload(cons, p, len);
	for (i = 0; i < len; i++)	/* let ASan see every byte */
		sum += ((const volatile uint8_t *)p)[i];
	(void)sum;
	if (fuzz_take(in, 1) & 1)
		kipc_ring_consume(cons);
}

static void produce_one(struct kipc_ring *prod, struct fuzz_in *in)
{
	uint32_t len = (uint32_t)fuzz_take(in, 2), trim;
	void *p;
	int ret;

	ret = kipc_ring_reserve(prod, len, &p);
	if (ret) {
		FUZZ_CHECK(ret == -EAGAIN || ret == -EMSGSIZE ||
			   ret == -EBADMSG);
		return;
	}
	check_payload(prod, p, len);
	memset(p, 0xa5, len);
	trim = (uint32_t)fuzz_take(in, 2);
	if (trim < len)
		kipc_ring_trim(prod, trim);
	kipc_ring_commit(prod);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct kipc_ring prod, cons;
	struct kipc_prod *pl;
	struct kipc_cons *cl;
	uint32_t ring_size, start, off, sel, at;
	uint64_t formats;
	uint8_t *area;
	int steps = 0;

	sel = (uint32_t)fuzz_take(&in, 1);
	ring_size = 64U << (sel % 8);	/* 64 .. 8192 */
	/* Our own index is trusted (kipc_ring_resume_prod): aligned. */
	start = (uint32_t)fuzz_take(&in, 4) & ~(KIPC_REC_ALIGN - 1);
	area = malloc(ring_size);
	pl = calloc(1, sizeof(*pl));
	cl = calloc(1, sizeof(*cl));
	if (!area || !pl || !cl)
		goto out;
	fuzz_bytes(&in, area, fuzz_take(&in, 1) ? ring_size : 0);
	pl->head = cl->tail = start;
	kipc_ring_init(&prod, area, ring_size, pl, cl);
	kipc_ring_init(&cons, area, ring_size, pl, cl);
	formats = (sel & 8 ? KIPC_F_RING_SEQ : 0) |
		  (sel & 16 ? KIPC_F_RING_PAD : 0);
	kipc_ring_set_format(&prod, formats);
	kipc_ring_set_format(&cons, formats);
	kipc_ring_resume_prod(&prod);
	kipc_ring_resume_cons(&cons);

	while (in.left && steps++ < 4096) {
		switch (fuzz_take(&in, 1) % OP_NR) {
		case OP_HEAD:
			__atomic_store_n(&pl->head, (uint32_t)fuzz_take(&in, 4),
					 __ATOMIC_RELEASE);
			break;
		case OP_TAIL:
			__atomic_store_n(&cl->tail, (uint32_t)fuzz_take(&in, 4),
					 __ATOMIC_RELEASE);
			break;
		case OP_NEED_WAITING:
			pl->need = (uint32_t)fuzz_take(&in, 4);
			cl->waiting = (uint32_t)fuzz_take(&in, 1);
			break;
		case OP_POKE:
			off = (uint32_t)fuzz_take(&in, 2) & (ring_size - 1);
			area[off] = (uint8_t)fuzz_take(&in, 1);
			break;
		case OP_PEEK:
			consume_one(&cons, &in);
			break;
		case OP_RELEASE:
			if (kipc_ring_release(&cons))
				(void)kipc_ring_cons_should_kick(&cons);
			break;
		case OP_CONS_WAIT:
			if (kipc_ring_cons_prepare_wait(&cons) == 0)
				kipc_ring_cons_finish_wait(&cons);
			break;
		case OP_RESERVE:
			produce_one(&prod, &in);
			break;
		case OP_PUBLISH:	/* as libkipc's tx_publish() */
			kipc_ring_align(&prod);
			if (kipc_ring_publish(&prod))
				(void)kipc_ring_prod_should_kick(&prod);
			break;
		case OP_PROD_WAIT:
			if (kipc_ring_prod_prepare_wait(&prod,
					(uint32_t)fuzz_take(&in, 2)) == 0)
				kipc_ring_prod_finish_wait(&prod);
			break;
		case OP_RESUME:	/* the consumer rejoins from its tail (dev) */
			kipc_ring_resume_cons(&cons);
			break;
		case OP_FORGE:	/* len, then a slot ahead of the consumer */
			off = (uint32_t)fuzz_take(&in, 4);
			/* aligned: cons.pos may not be (OP_TAIL, OP_RESUME) */
			at = (cons.pos + 8 * (uint32_t)(fuzz_take(&in, 1) % 16)) &
			     ~(KIPC_REC_ALIGN - 1);
			__atomic_store_n((uint64_t *)(void *)(area +
					 (at & (ring_size - 1))),
					 kipc_rec_word(off, KIPC_REC_SEQ(at)),
					 __ATOMIC_RELEASE);
			break;
		}
	}
out:
	free(area);
	free(pl);
	free(cl);
	return 0;
}
