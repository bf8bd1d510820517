// SPDX-License-Identifier: GPL-2.0
/*
 * The floor for lock-free rings: 64-byte slots, no framing (the receiver
 * knows the size), each side caches the peer's index and reloads it only
 * when the ring looks full/empty, and publishes its own in batches. A
 * message larger than a slot takes consecutive slots, copied as one run up
 * to the wrap. Busy-poll only.
 */
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

#ifndef SPSC_SLOTS
#define SPSC_SLOTS	4096		/* 256 KiB per direction */
#endif
#ifndef SPSC_BATCH
#define SPSC_BATCH	16		/* slots between index publications */
#endif
#ifndef SPSC_CHUNK
#define SPSC_CHUNK	64		/* slots copied at once, at most */
#endif

struct spsc_ring {
	_Alignas(BENCH_CACHELINE) _Atomic uint64_t head;
	_Alignas(BENCH_CACHELINE) _Atomic uint64_t tail;
	_Alignas(BENCH_CACHELINE) char slot[SPSC_SLOTS][BENCH_CACHELINE];
};

struct spsc_priv {
	struct spsc_ring *ring;		/* [BENCH_DIR_AB / BENCH_DIR_BA] */
	/* role-local */
	uint64_t head, published_head, cached_tail;
	uint64_t tail, published_tail, cached_head;
};

static int spsc_setup(struct bench_run *r)
{
	struct spsc_priv *s = r->priv;

	s->ring = bench_shared_alloc(r, 2 * sizeof(struct spsc_ring));
	return s->ring ? 0 : -1;
}

static void spsc_teardown(struct bench_run *r)
{
	struct spsc_priv *s = r->priv;

	if (s->ring)
		munmap(s->ring, 2 * sizeof(struct spsc_ring));
	s->ring = NULL;
}

static int spsc_attach(struct bench_run *r)
{
	struct spsc_priv *s = r->priv;

	bench_shared_prefault(s->ring, 2 * sizeof(struct spsc_ring));
	return 0;
}

static void publish_head(struct spsc_priv *s, struct spsc_ring *ring)
{
	/* release: the slots are written before the consumer sees the head */
	atomic_store_explicit(&ring->head, s->head, memory_order_release);
	s->published_head = s->head;
}

static void publish_tail(struct spsc_priv *s, struct spsc_ring *ring)
{
	/* release: the slots are read before the producer may reuse them */
	atomic_store_explicit(&ring->tail, s->tail, memory_order_release);
	s->published_tail = s->tail;
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
	return a < b ? (a < c ? a : c) : (b < c ? b : c);
}

static int spsc_send(struct bench_run *r, const void *buf, size_t len)
{
	struct spsc_priv *s = r->priv;
	struct spsc_ring *ring = &s->ring[r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA];
	const char *p = buf;
	uint64_t free_slots, idx, n;
	size_t bytes;

	while (len) {
		free_slots = SPSC_SLOTS - (s->head - s->cached_tail);
		if (!free_slots) {
			publish_head(s, ring);
			/* acquire: pairs with publish_tail() */
			while ((s->cached_tail = atomic_load_explicit(&ring->tail,
					memory_order_acquire)) + SPSC_SLOTS == s->head)
				bench_spin(r);
			continue;
		}
		/* as many consecutive slots as fit, in one copy */
		idx = s->head % SPSC_SLOTS;
		n = min3((len + BENCH_CACHELINE - 1) / BENCH_CACHELINE, free_slots,
			 SPSC_SLOTS - idx);
		if (n > SPSC_CHUNK)
			n = SPSC_CHUNK;
		bytes = n * BENCH_CACHELINE < len ? n * BENCH_CACHELINE : len;
		memcpy(ring->slot[idx], p, bytes);
		s->head += n;
		p += bytes;
		len -= bytes;
		if (s->head - s->published_head >= SPSC_BATCH)
			publish_head(s, ring);
	}
	/* a round trip cannot wait for a batch to fill */
	if (r->p->workload == BENCH_LATENCY)
		publish_head(s, ring);
	return 0;
}

static int spsc_flush(struct bench_run *r)
{
	struct spsc_priv *s = r->priv;

	publish_head(s, &s->ring[r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA]);
	return 0;
}

static int spsc_recv(struct bench_run *r, void *buf, size_t len)
{
	struct spsc_priv *s = r->priv;
	struct spsc_ring *ring = &s->ring[r->role == BENCH_ROLE_A ? BENCH_DIR_BA : BENCH_DIR_AB];
	uint64_t avail, idx, n;
	char *p = buf;
	size_t bytes;

	while (len) {
		avail = s->cached_head - s->tail;
		if (!avail) {
			publish_tail(s, ring);
			/* acquire: pairs with publish_head() */
			while ((s->cached_head = atomic_load_explicit(&ring->head,
					memory_order_acquire)) == s->tail)
				bench_spin(r);
			if (s->cached_head - s->tail > SPSC_SLOTS)
				return bench_fail(r, "ring head out of range");
			continue;
		}
		idx = s->tail % SPSC_SLOTS;
		n = min3((len + BENCH_CACHELINE - 1) / BENCH_CACHELINE, avail, SPSC_SLOTS - idx);
		if (n > SPSC_CHUNK)
			n = SPSC_CHUNK;
		bytes = n * BENCH_CACHELINE < len ? n * BENCH_CACHELINE : len;
		memcpy(p, ring->slot[idx], bytes);
		s->tail += n;
		p += bytes;
		len -= bytes;
		if (s->tail - s->published_tail >= SPSC_BATCH)
			publish_tail(s, ring);
	}
	return 0;
}

const struct bench_mech bench_mech_spsc = {
	.name = "spsc-ring",
	.group = "floor",
	.summary = "bare fixed-slot SPSC ring (64 B slots, batched indices): the ring floor",
	.modes = BENCH_MODE_POLL,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct spsc_priv),
	.setup = spsc_setup,
	.teardown = spsc_teardown,
	.attach = spsc_attach,
	.send = spsc_send,
	.recv = spsc_recv,
	.flush = spsc_flush,
};
