// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * kipc_hdr_check() against an arbitrary header, mapping lengths, side and
 * known formats. When it accepts, every ring it describes must lie inside
 * the mapping: the target then maps (mallocs) a shared area of that length,
 * when small enough, and runs the ring code on the offsets, so that ASan
 * sees any access outside it.
 */
#include <stdlib.h>

#include "kipc_ring.h"
#include "fuzz.h"

#define AREA_MAX	(1U << 20)

static void use_rings(const struct kipc_shared_hdr *h, uint64_t shared_len)
{
	uint8_t *m = calloc(1, shared_len);
	unsigned int i;

	if (!m)
		return;
	for (i = 0; i < 2; i++) {
		const struct kipc_ring_desc *d = &h->ring[i];
		struct kipc_ring r;
		const void *cp;
		uint32_t len;
		void *p;

		kipc_ring_init(&r, m + d->data_off, d->size,
			       (struct kipc_prod *)(m + d->prod_off),
			       (struct kipc_cons *)(m + d->cons_off));
		if (!kipc_ring_reserve(&r, 1, &p)) {
			memset(p, 1, 1);
			kipc_ring_commit(&r);
			kipc_ring_publish(&r);
		}
		kipc_ring_init(&r, m + d->data_off, d->size,
			       (struct kipc_prod *)(m + d->prod_off),
			       (struct kipc_cons *)(m + d->cons_off));
		if (!kipc_ring_peek(&r, &cp, &len)) {
			FUZZ_CHECK((const uint8_t *)cp + len <=
				   m + d->data_off + d->size);
			kipc_ring_consume(&r);
			kipc_ring_release(&r);
		}
	}
	free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct kipc_shared_hdr raw, h;
	uint64_t shared_len, own_len, known;
	unsigned int side, i;
	int ret;

	shared_len = fuzz_take(&in, 8);
	own_len = fuzz_take(&in, 8);
	side = (unsigned int)fuzz_take(&in, 1);
	known = fuzz_take(&in, 8);
	fuzz_bytes(&in, &raw, sizeof(raw));

	ret = kipc_hdr_check(&raw, shared_len, own_len, side, known, &h);
	FUZZ_CHECK(ret == 0 || ret == -EPROTO || ret == -EPROTONOSUPPORT ||
		   ret == -EBADMSG);
	if (ret)
		return 0;
	FUZZ_CHECK(h.magic == KIPC_MAGIC && h.hdr_size >= sizeof(h) &&
		   h.shared_map_bytes == shared_len);
	FUZZ_CHECK(side <= 1 && !(h.features & ~known));
	for (i = 0; i < 2; i++) {
		const struct kipc_ring_desc *d = &h.ring[i];

		FUZZ_CHECK(kipc_is_pow2(d->size) && d->size >= 64);
		FUZZ_CHECK((uint64_t)d->data_off + d->size <= shared_len);
		FUZZ_CHECK((uint64_t)d->prod_off + sizeof(struct kipc_prod) <=
			   shared_len);
		FUZZ_CHECK((uint64_t)d->cons_off + sizeof(struct kipc_cons) <=
			   shared_len);
	}
	if (own_len)
		FUZZ_CHECK((uint64_t)h.own_data_off + h.ring[side].size <=
			   own_len);
	if (shared_len <= AREA_MAX)
		use_rings(&h, shared_len);
	return 0;
}
