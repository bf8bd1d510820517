/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * What the fuzz targets share: a cursor over the input and a check that
 * crashes (so that libFuzzer keeps the input) when a property fails.
 */
#ifndef KIPC_FUZZ_H
#define KIPC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

/* The next @n bytes as a little-endian number; zeros once input runs out. */
static inline uint64_t fuzz_take(struct fuzz_in *in, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && in->left; i++, in->p++, in->left--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

/* Up to @n bytes into @dst (the rest zero); returns how many were input. */
static inline size_t fuzz_bytes(struct fuzz_in *in, void *dst, size_t n)
{
	size_t k = n < in->left ? n : in->left;

	memcpy(dst, in->p, k);
	memset((uint8_t *)dst + k, 0, n - k);
	in->p += k;
	in->left -= k;
	return k;
}

#define FUZZ_CHECK(cond)	do { if (!(cond)) __builtin_trap(); } while (0)

#endif /* KIPC_FUZZ_H */
