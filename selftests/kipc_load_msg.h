/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * The load tests' message, written once for both of them: the driver's
 * (selftests/kipc_load_test.c, raw rings) and the library's
 * (lib/test/kipc_load.c, the public API). A message is a header naming
 * its connection, epoch and sequence number, with a checksum of the body
 * that follows; its length is a function of (connection, epoch, sequence),
 * so the reader checks size, order and content of every message. Plain C,
 * libc only: it lives here so that the selftests stay whole in a kernel
 * tree.
 */
#ifndef KIPC_LOAD_MSG_H
#define KIPC_LOAD_MSG_H

#include <stdint.h>
#include <string.h>

#define LOAD_MSG_MAX	2048

struct load_hdr {
	uint32_t conn;
	uint32_t epoch;
	uint64_t seq;
	uint64_t sum;
};

static inline uint64_t load_splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint32_t load_len(uint32_t conn, uint32_t epoch, uint64_t seq)
{
	uint64_t s = ((uint64_t)conn << 40) ^ ((uint64_t)epoch << 32) ^ seq;

	return sizeof(struct load_hdr) +
	       (uint32_t)(load_splitmix(&s) %
			  (LOAD_MSG_MAX - sizeof(struct load_hdr)));
}

/* Word-wise, so that the checking costs little next to the moving. */
static inline uint64_t load_sum(const struct load_hdr *h, const uint8_t *body,
				uint32_t n)
{
	uint64_t x = 0xcbf29ce484222325ull ^ h->seq ^ ((uint64_t)h->conn << 32) ^
		     h->epoch, w;
	uint32_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, body + i, 8);
		x = (x ^ w) * 0x100000001b3ull;
	}
	for (; i < n; i++)
		x = (x ^ body[i]) * 0x100000001b3ull;
	return x;
}

static inline void load_fill(uint8_t *p, uint32_t conn, uint32_t epoch,
			     uint64_t seq, uint32_t len)
{
	struct load_hdr h = { .conn = conn, .epoch = epoch, .seq = seq };
	uint64_t r = seq ^ ((uint64_t)conn << 20), w;
	uint32_t i;

	for (i = sizeof(h); i < len; i += 8) {
		w = load_splitmix(&r);
		memcpy(p + i, &w, len - i < 8 ? len - i : 8);
	}
	h.sum = load_sum(&h, p + sizeof(h), len - sizeof(h));
	memcpy(p, &h, sizeof(h));
}

#endif
