// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "slot_ring.h"

#define SLOT_RING_MAGIC		0x6b6970632d736c74ull	/* "kipc-slt" */
#define SLOT_HDR		8			/* the length word */
/* Up to this much per ring, between 2 and 1024 slots. */
#define RING_BYTES		(8u << 20)
#define MIN_SLOTS		2
#define MAX_SLOTS		1024

static uint64_t slot_size_for(uint64_t size)
{
	return (SLOT_HDR + size + BENCH_CACHELINE - 1) & ~(uint64_t)(BENCH_CACHELINE - 1);
}

static uint64_t nslots_for(uint64_t size)
{
	uint64_t n = MAX_SLOTS;

	while (n > MIN_SLOTS && n * slot_size_for(size) > RING_BYTES)
		n >>= 1;
	return n;
}

size_t slot_ring_bytes(uint64_t size)
{
	return sizeof(struct slot_ring_hdr) + nslots_for(size) * slot_size_for(size);
}

void slot_ring_format(void *mem, uint64_t size)
{
	struct slot_ring_hdr *hdr = mem;

	memset(hdr, 0, sizeof(*hdr));
	hdr->nslots = nslots_for(size);
	hdr->slot_size = slot_size_for(size);
	hdr->magic = SLOT_RING_MAGIC;
}

int slot_ring_attach(struct bench_run *r, struct slot_ring *ring, void *mem, size_t bytes)
{
	struct slot_ring_hdr *hdr = mem;

	/* the header is shared memory: check it before trusting its sizes */
	if (hdr->magic != SLOT_RING_MAGIC || !hdr->nslots || (hdr->nslots & (hdr->nslots - 1)) ||
	    hdr->slot_size < SLOT_HDR + r->p->size ||
	    sizeof(*hdr) + hdr->nslots * hdr->slot_size > bytes)
		return bench_fail(r, "slot ring header is not valid");
	ring->hdr = hdr;
	ring->slots = (char *)mem + sizeof(*hdr);
	ring->nslots = hdr->nslots;
	ring->slot_size = hdr->slot_size;
	ring->head = ring->cached_tail = atomic_load(&hdr->head);
	ring->tail = ring->cached_head = atomic_load(&hdr->tail);
	return 0;
}

static bool ready(struct slot_ring *ring, int which)
{
	/* acquire: pairs with the peer's release of its index */
	if (which == SLOT_RING_DATA)
		return atomic_load_explicit(&ring->hdr->head, memory_order_acquire) != ring->tail;
	return ring->head - atomic_load_explicit(&ring->hdr->tail, memory_order_acquire) <
	       ring->nslots;
}

static int wait_for(struct bench_run *r, struct slot_ring *ring, int which)
{
	_Atomic uint32_t *flag = which == SLOT_RING_DATA ? &ring->hdr->consumer_waiting
							 : &ring->hdr->producer_waiting;
	uint32_t token = 0;
	int ret = 0;

	if (!ring->block) {
		bench_spin(r);
		return 0;
	}
	if (ring->db->prepare)
		token = ring->db->prepare(ring, which);
	atomic_store_explicit(flag, 1, memory_order_relaxed);
	/* seq_cst: pairs with the fence in notify(): we see the index or they see the flag */
	atomic_thread_fence(memory_order_seq_cst);
	if (!ready(ring, which))
		ret = ring->db->wait(r, ring, which, token);
	atomic_store_explicit(flag, 0, memory_order_relaxed);
	return ret;
}

static int notify(struct bench_run *r, struct slot_ring *ring, int which)
{
	_Atomic uint32_t *flag = which == SLOT_RING_DATA ? &ring->hdr->consumer_waiting
							 : &ring->hdr->producer_waiting;

	if (!ring->block)
		return 0;
	/* seq_cst: pairs with the fence in wait_for() */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(flag, memory_order_relaxed))
		return ring->db->ring(r, ring, which);
	return 0;
}

void *slot_ring_reserve(struct bench_run *r, struct slot_ring *ring, size_t len)
{
	if (len + SLOT_HDR > ring->slot_size) {
		bench_fail(r, "a %zu-byte message does not fit a slot", len);
		return NULL;
	}
	while (ring->head - ring->cached_tail >= ring->nslots) {
		/* acquire: the consumer is done reading the slots it released */
		ring->cached_tail = atomic_load_explicit(&ring->hdr->tail, memory_order_acquire);
		if (ring->head - ring->cached_tail < ring->nslots)
			break;
		if (wait_for(r, ring, SLOT_RING_SPACE))
			return NULL;
	}
	return ring->slots + (ring->head & (ring->nslots - 1)) * ring->slot_size + SLOT_HDR;
}

int slot_ring_commit(struct bench_run *r, struct slot_ring *ring, size_t len)
{
	uint64_t *slot_len = (uint64_t *)(ring->slots +
					  (ring->head & (ring->nslots - 1)) * ring->slot_size);

	*slot_len = len;
	ring->head++;
	/* release: the slot's bytes are visible before the new head */
	atomic_store_explicit(&ring->hdr->head, ring->head, memory_order_release);
	return notify(r, ring, SLOT_RING_DATA);
}

const void *slot_ring_peek(struct bench_run *r, struct slot_ring *ring, size_t len)
{
	const char *slot;
	uint64_t slot_len;

	while (ring->cached_head == ring->tail) {
		/* acquire: pairs with the producer's release of head */
		ring->cached_head = atomic_load_explicit(&ring->hdr->head, memory_order_acquire);
		if (ring->cached_head != ring->tail)
			break;
		if (wait_for(r, ring, SLOT_RING_DATA))
			return NULL;
	}
	if (ring->cached_head - ring->tail > ring->nslots) {
		bench_fail(r, "ring head %llu is out of range", (unsigned long long)ring->cached_head);
		return NULL;
	}
	slot = ring->slots + (ring->tail & (ring->nslots - 1)) * ring->slot_size;
	memcpy(&slot_len, slot, sizeof(slot_len));
	if (slot_len != len) {
		bench_fail(r, "slot holds %llu bytes, expected %zu", (unsigned long long)slot_len, len);
		return NULL;
	}
	return slot + SLOT_HDR;
}

int slot_ring_release(struct bench_run *r, struct slot_ring *ring)
{
	ring->tail++;
	/* release: our reads of the slot are done before the producer reuses it */
	atomic_store_explicit(&ring->hdr->tail, ring->tail, memory_order_release);
	return notify(r, ring, SLOT_RING_SPACE);
}

int slot_ring_send(struct bench_run *r, struct slot_ring_pair *pair, const void *buf, size_t len)
{
	struct slot_ring *ring = &pair->ring[r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA];
	void *slot = slot_ring_reserve(r, ring, len);

	if (!slot)
		return -1;
	memcpy(slot, buf, len);
	return slot_ring_commit(r, ring, len);
}

int slot_ring_recv(struct bench_run *r, struct slot_ring_pair *pair, void *buf, size_t len)
{
	struct slot_ring *ring = &pair->ring[r->role == BENCH_ROLE_A ? BENCH_DIR_BA : BENCH_DIR_AB];
	const void *slot = slot_ring_peek(r, ring, len);

	if (!slot)
		return -1;
	memcpy(buf, slot, len);
	return slot_ring_release(r, ring);
}
