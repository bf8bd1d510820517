// SPDX-License-Identifier: GPL-2.0
/*
 * The physical floor of a round trip: one cache line per direction, the
 * message in it, its first word doubling as the flag the peer spins on.
 * Nothing can go faster between two cores; messages up to one line only.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

struct line {
	_Alignas(BENCH_CACHELINE) _Atomic uint64_t word0;
	uint64_t rest[BENCH_CACHELINE / 8 - 1];
};

struct cacheline_priv {
	struct line *line;		/* [BENCH_DIR_AB / BENCH_DIR_BA] */
	uint64_t last_seen;		/* role-local: word0 of the last message in */
};

static const char *cacheline_size_unsupported(uint64_t size, char *why, size_t len)
{
	if (size <= BENCH_CACHELINE)
		return NULL;
	snprintf(why, len, "carries at most one cache line (%d B)", BENCH_CACHELINE);
	return why;
}

static int cacheline_setup(struct bench_run *r)
{
	struct cacheline_priv *c = r->priv;

	c->line = bench_shared_alloc(r, 2 * sizeof(struct line));
	return c->line ? 0 : -1;
}

static void cacheline_teardown(struct bench_run *r)
{
	struct cacheline_priv *c = r->priv;

	if (c->line)
		munmap(c->line, 2 * sizeof(struct line));
	c->line = NULL;
}

static int cacheline_send(struct bench_run *r, const void *buf, size_t len)
{
	struct cacheline_priv *c = r->priv;
	struct line *l = &c->line[r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA];
	uint64_t w0;

	memcpy(&w0, buf, 8);
	memcpy(l->rest, (const char *)buf + 8, len - 8);
	/* release: the rest of the line is visible before the new first word */
	atomic_store_explicit(&l->word0, w0, memory_order_release);
	return 0;
}

static int cacheline_recv(struct bench_run *r, void *buf, size_t len)
{
	struct cacheline_priv *c = r->priv;
	struct line *l = &c->line[r->role == BENCH_ROLE_A ? BENCH_DIR_BA : BENCH_DIR_AB];
	uint64_t w0;

	/* acquire: pairs with the release in cacheline_send() */
	while ((w0 = atomic_load_explicit(&l->word0, memory_order_acquire)) == c->last_seen)
		bench_spin(r);
	c->last_seen = w0;
	memcpy(buf, &w0, 8);
	memcpy((char *)buf + 8, l->rest, len - 8);
	return 0;
}

const struct bench_mech bench_mech_cacheline = {
	.name = "cacheline",
	.group = "floor",
	.summary = "one cache line bounced between the two cores: the latency floor",
	.modes = BENCH_MODE_POLL,
	.workloads = BENCH_LATENCY,
	.priv_size = sizeof(struct cacheline_priv),
	.size_unsupported = cacheline_size_unsupported,
	.setup = cacheline_setup,
	.teardown = cacheline_teardown,
	.send = cacheline_send,
	.recv = cacheline_recv,
};
