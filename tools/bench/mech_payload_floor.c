// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of any copying channel (issue 9): the message copied into a
 * shared buffer, then a sequence word stored with release right after the
 * payload (in its last cache line when the size is not a multiple of one);
 * the reader spins on that word with acquire and copies the payload out.
 * Nothing that copies the bytes in and out can cost less; up to 56 B that is
 * one line each way, like the cacheline floor. Latency only, every size.
 *
 * payload-walk: the same, but message n of a direction goes to slot n modulo
 * the slots that fit in BENCH_RING_BYTES (one at least), each a whole
 * number of lines, the way a ring's records move on through its memory
 * instead of reusing the same lines. What moving on costs by itself, with
 * no header, index or framing: the floor of a ring of that size.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

struct pfloor_priv {
	char *buf;			/* two areas: [BENCH_DIR_AB / BENCH_DIR_BA] */
	size_t slot;			/* bytes per message: payload, word, to a line */
	size_t nslots;			/* slots per direction: 1, or a ring's worth */
	size_t area;			/* bytes per direction: slot * nslots */
	uint64_t seq[2];		/* role-local: last sequence sent / received */
};

static size_t slot_for(uint64_t size)
{
	return ((size_t)size + 8 + BENCH_CACHELINE - 1) & ~(size_t)(BENCH_CACHELINE - 1);
}

static int floor_setup(struct bench_run *r, bool ring)
{
	struct pfloor_priv *f = r->priv;

	f->slot = slot_for(r->p->size);
	f->nslots = ring && f->slot < BENCH_RING_BYTES ? BENCH_RING_BYTES / f->slot : 1;
	f->area = f->slot * f->nslots;
	f->buf = bench_shared_alloc(r, 2 * f->area);
	return f->buf ? 0 : -1;
}

static int pfloor_setup(struct bench_run *r)
{
	return floor_setup(r, false);
}

static int rfloor_setup(struct bench_run *r)
{
	return floor_setup(r, true);
}

static void pfloor_teardown(struct bench_run *r)
{
	struct pfloor_priv *f = r->priv;

	if (f->buf)
		munmap(f->buf, 2 * f->area);
	f->buf = NULL;
}

static int pfloor_attach(struct bench_run *r)
{
	struct pfloor_priv *f = r->priv;

	bench_shared_prefault(f->buf, 2 * f->area);
	return 0;
}

/* Where message 'seq' of direction 'dir' goes. */
static char *slot_of(struct pfloor_priv *f, int dir, uint64_t seq)
{
	return f->buf + (size_t)dir * f->area + (size_t)(seq % f->nslots) * f->slot;
}

/* Its sequence word: 8-aligned, since sizes are multiples of 8. A slot
 * holds the number of the message before it a lap ago, never 'seq'.
 */
static _Atomic uint64_t *seq_word(char *slot, size_t len)
{
	return (_Atomic uint64_t *)(slot + len);
}

static int pfloor_send(struct bench_run *r, const void *buf, size_t len)
{
	struct pfloor_priv *f = r->priv;
	int dir = r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA;
	uint64_t seq = ++f->seq[dir];
	char *slot = slot_of(f, dir, seq);

	memcpy(slot, buf, len);
	/* release: the payload is visible before the new sequence number */
	atomic_store_explicit(seq_word(slot, len), seq, memory_order_release);
	return 0;
}

static int pfloor_recv(struct bench_run *r, void *buf, size_t len)
{
	struct pfloor_priv *f = r->priv;
	int dir = r->role == BENCH_ROLE_A ? BENCH_DIR_BA : BENCH_DIR_AB;
	uint64_t want = f->seq[dir] + 1;
	char *slot = slot_of(f, dir, want);
	_Atomic uint64_t *w = seq_word(slot, len);

	/* acquire: pairs with the release in pfloor_send() */
	while (atomic_load_explicit(w, memory_order_acquire) != want)
		bench_spin(r);
	f->seq[dir] = want;
	memcpy(buf, slot, len);
	return 0;
}

/* What the two floors share: everything but the name and the slots. */
#define PFLOOR_MECH(var, nm, what, setup_fn)					\
	const struct bench_mech var = {						\
		.name = nm,							\
		.group = "floor",						\
		.summary = what,						\
		.modes = BENCH_MODE_POLL,					\
		.workloads = BENCH_LATENCY,					\
		.priv_size = sizeof(struct pfloor_priv),			\
		.setup = setup_fn,						\
		.teardown = pfloor_teardown,					\
		.attach = pfloor_attach,					\
		.send = pfloor_send,						\
		.recv = pfloor_recv,						\
	}

PFLOOR_MECH(bench_mech_payload_floor, "payload-floor",
	    "the payload copied into shared memory, a sequence word after it "
	    "stored last: the floor of a copying channel", pfloor_setup);
PFLOOR_MECH(bench_mech_payload_walk, "payload-walk",
	    "the payload floor moving on through 256 KiB per direction, a slot per "
	    "message, as a ring's records do: what moving on costs", rfloor_setup);
