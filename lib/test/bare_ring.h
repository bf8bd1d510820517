/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * A bare SEQ ring for the ring-protocol tests: one producer and one
 * consumer of include/kipc_ring.h on one zeroed 4 KiB data area, with no
 * connection around them. The caller frees data.
 */
#ifndef KIPC_TEST_BARE_RING_H
#define KIPC_TEST_BARE_RING_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kipc_ring.h"

#define RING	4096u

struct bare {
	struct kipc_index_page idx;
	struct kipc_ring tx, rx;
	uint8_t *data;
};

static inline void bare_open(struct bare *b)
{
	memset(&b->idx, 0, sizeof(b->idx));
	b->data = aligned_alloc(64, RING);
	CHECK(b->data);
	memset(b->data, 0, RING);
	kipc_ring_init(&b->tx, b->data, RING, &b->idx.prod, &b->idx.cons);
	kipc_ring_init(&b->rx, b->data, RING, &b->idx.prod, &b->idx.cons);
	kipc_ring_set_format(&b->tx, KIPC_F_RING_SEQ);
	kipc_ring_set_format(&b->rx, KIPC_F_RING_SEQ);
}

#endif
