// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of any copying channel (issue 9): the message copied into a
 * shared buffer, then a sequence word stored with release right after the
 * payload (in its last cache line when the size is not a multiple of one);
 * the reader spins on that word with acquire and copies the payload out.
 * Nothing that copies the bytes in and out can cost less; up to 56 B that is
 * one line each way, like the cacheline floor. Latency only, every size.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

struct pfloor_priv {
	char *buf;			/* two areas: [BENCH_DIR_AB / BENCH_DIR_BA] */
	size_t area;			/* bytes per direction: payload, word, to a line */
	uint64_t seq[2];		/* role-local: last sequence sent / received */
};

static size_t area_for(uint64_t size)
{
	return ((size_t)size + 8 + BENCH_CACHELINE - 1) & ~(size_t)(BENCH_CACHELINE - 1);
}

static int pfloor_setup(struct bench_run *r)
{
	struct pfloor_priv *f = r->priv;

	f->area = area_for(r->p->size);
	f->buf = bench_shared_alloc(r, 2 * f->area);
	return f->buf ? 0 : -1;
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

/* The sequence word of direction 'dir': 8-aligned, since sizes are multiples of 8. */
static _Atomic uint64_t *seq_word(struct pfloor_priv *f, int dir, size_t len)
{
	return (_Atomic uint64_t *)(f->buf + (size_t)dir * f->area + len);
}

static int pfloor_send(struct bench_run *r, const void *buf, size_t len)
{
	struct pfloor_priv *f = r->priv;
	int dir = r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA;

	memcpy(f->buf + (size_t)dir * f->area, buf, len);
	/* release: the payload is visible before the new sequence number */
	atomic_store_explicit(seq_word(f, dir, len), ++f->seq[dir], memory_order_release);
	return 0;
}

static int pfloor_recv(struct bench_run *r, void *buf, size_t len)
{
	struct pfloor_priv *f = r->priv;
	int dir = r->role == BENCH_ROLE_A ? BENCH_DIR_BA : BENCH_DIR_AB;
	_Atomic uint64_t *w = seq_word(f, dir, len);
	uint64_t want = f->seq[dir] + 1;

	/* acquire: pairs with the release in pfloor_send() */
	while (atomic_load_explicit(w, memory_order_acquire) != want)
		bench_spin(r);
	f->seq[dir] = want;
	memcpy(buf, f->buf + (size_t)dir * f->area, len);
	return 0;
}

const struct bench_mech bench_mech_payload_floor = {
	.name = "payload-floor",
	.group = "floor",
	.summary = "the payload copied into shared memory, a sequence word after it "
		   "stored last: the floor of a copying channel",
	.modes = BENCH_MODE_POLL,
	.workloads = BENCH_LATENCY,
	.priv_size = sizeof(struct pfloor_priv),
	.setup = pfloor_setup,
	.teardown = pfloor_teardown,
	.attach = pfloor_attach,
	.send = pfloor_send,
	.recv = pfloor_recv,
};
