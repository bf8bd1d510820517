/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A single-producer single-consumer ring of fixed slots in shared memory,
 * one message per slot ([u64 length][payload]), with a pluggable doorbell
 * for the blocking mode. The building block of the classic "shared memory
 * plus a wake-up" mechanisms: eventfd, futex (mmap'd file), io_uring
 * MSG_RING. In poll mode the doorbell is never used.
 */
#ifndef KIPC_BENCH_SLOT_RING_H
#define KIPC_BENCH_SLOT_RING_H

#include "bench.h"

#define SLOT_RING_DATA		0	/* the consumer waits for a message */
#define SLOT_RING_SPACE		1	/* the producer waits for a free slot */

struct slot_ring_hdr {
	/* written by the producer */
	_Alignas(BENCH_CACHELINE) _Atomic uint64_t head;
	_Atomic uint32_t wake_seq[2];		/* futex words, [DATA / SPACE] */
	/* written by the consumer */
	_Alignas(BENCH_CACHELINE) _Atomic uint64_t tail;
	/* each on its own line: written only around a sleep */
	_Alignas(BENCH_CACHELINE) _Atomic uint32_t consumer_waiting;
	_Alignas(BENCH_CACHELINE) _Atomic uint32_t producer_waiting;
	/* written once by the parent */
	_Alignas(BENCH_CACHELINE) uint64_t magic;
	uint64_t nslots;
	uint64_t slot_size;
};

struct slot_ring;

struct slot_ring_doorbell {
	/* Sampled before the final re-check; passed to wait() (futex value). */
	uint32_t (*prepare)(struct slot_ring *ring, int which);
	int (*wait)(struct bench_run *r, struct slot_ring *ring, int which, uint32_t token);
	int (*ring)(struct bench_run *r, struct slot_ring *ring, int which);
};

/* One process's view of a ring. */
struct slot_ring {
	struct slot_ring_hdr *hdr;
	char *slots;
	uint64_t nslots, slot_size;
	uint64_t head, cached_tail;		/* producer side */
	uint64_t tail, cached_head;		/* consumer side */
	bool block;				/* false: spin, the doorbell is never used */
	const struct slot_ring_doorbell *db;
	void *db_ctx;
};

/* Bytes of shared memory a ring for messages of 'size' takes. */
size_t slot_ring_bytes(uint64_t size);
/* Parent: lay a ring out in zeroed memory at 'mem'. */
void slot_ring_format(void *mem, uint64_t size);
/* Each process: bind a view to a formatted ring; validates the header. */
int slot_ring_attach(struct bench_run *r, struct slot_ring *ring, void *mem, size_t bytes);

void *slot_ring_reserve(struct bench_run *r, struct slot_ring *ring, size_t len);
int slot_ring_commit(struct bench_run *r, struct slot_ring *ring, size_t len);
const void *slot_ring_peek(struct bench_run *r, struct slot_ring *ring, size_t len);
int slot_ring_release(struct bench_run *r, struct slot_ring *ring);

/* The copy interface, for mechanisms that keep a ring per direction. */
struct slot_ring_pair {
	struct slot_ring ring[2];		/* [BENCH_DIR_AB / BENCH_DIR_BA] */
};
int slot_ring_send(struct bench_run *r, struct slot_ring_pair *pair, const void *buf, size_t len);
int slot_ring_recv(struct bench_run *r, struct slot_ring_pair *pair, void *buf, size_t len);


#endif
