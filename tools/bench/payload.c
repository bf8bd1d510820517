// SPDX-License-Identifier: GPL-2.0
/*
 * Message payloads. Word w (8 bytes at offset 8w) of message 'seq' sent in
 * direction 'dir' holds word0(seq, dir) + w * K. Timed runs write and check
 * the first word of every cache line and the last word, which touches every
 * line, so a mechanism that did not move a line, or moved a stale one,
 * fails. --check writes and checks every word.
 */
#include <inttypes.h>
#include <string.h>

#include "bench.h"

#define WORD_STEP	0x9e3779b97f4a7c15ull
#define WORDS_PER_LINE	(BENCH_CACHELINE / 8)

static inline uint64_t word_value(uint64_t word0, size_t w)
{
	return word0 + (uint64_t)w * WORD_STEP;
}

static inline void put_word(void *buf, size_t w, uint64_t v)
{
	memcpy((char *)buf + w * 8, &v, 8);
}

static inline uint64_t get_word(const void *buf, size_t w)
{
	uint64_t v;

	memcpy(&v, (const char *)buf + w * 8, 8);
	return v;
}

void bench_payload_write(void *buf, size_t size, uint64_t seq, int dir, bool full)
{
	uint64_t word0 = bench_payload_word0(seq, dir);
	size_t nwords = size / 8;
	size_t step = full ? 1 : WORDS_PER_LINE;
	size_t w;

	/* word 0 last: single-line mechanisms publish with it */
	for (w = step; w < nwords; w += step)
		put_word(buf, w, word_value(word0, w));
	if (nwords > 1)
		put_word(buf, nwords - 1, word_value(word0, nwords - 1));
	put_word(buf, 0, word0);
}

int bench_payload_check(struct bench_run *r, const void *buf, size_t size,
			uint64_t seq, int dir, bool full)
{
	uint64_t word0 = bench_payload_word0(seq, dir);
	size_t nwords = size / 8;
	size_t step = full ? 1 : WORDS_PER_LINE;
	size_t w;

	if (get_word(buf, 0) != word0)
		return bench_fail(r, "payload of message %" PRIu64 " (%zu B): header word is %#" PRIx64
				  ", expected %#" PRIx64 " (lost, reordered or stale message)",
				  seq, size, get_word(buf, 0), word0);
	for (w = step; w < nwords; w += step)
		if (get_word(buf, w) != word_value(word0, w))
			goto corrupt;
	w = nwords - 1;
	if (get_word(buf, w) != word_value(word0, w))
		goto corrupt;
	return 0;
corrupt:
	return bench_fail(r, "payload of message %" PRIu64 " (%zu B) corrupt at byte %zu: %#" PRIx64
			  ", expected %#" PRIx64, seq, size, w * 8, get_word(buf, w),
			  word_value(word0, w));
}
