// SPDX-License-Identifier: GPL-2.0
/*
 * The physical floor of a round trip: one cache line per direction, the
 * message in it, its first word doubling as the flag the peer spins on.
 * Nothing can go faster between two cores; messages up to one line only.
 *
 * cacheline-ro: the same, with each role reading the peer's line through
 * a read-only mapping of the peer's page (a memfd, a page per direction),
 * the way kipc's page roles map a peer's ring on shm and dev. Where the
 * hardware moves a line more slowly to a reader whose page is not
 * writable (tools/bench/README.md has the figures), this is what that
 * costs by itself: the floor of any transport in which a peer cannot
 * write what it reads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

struct line {
	_Alignas(BENCH_CACHELINE) _Atomic uint64_t word0;
	uint64_t rest[BENCH_CACHELINE / 8 - 1];
};

struct cacheline_priv {
	struct line *line;		/* cacheline: [BENCH_DIR_AB / BENCH_DIR_BA] */
	int fd;				/* cacheline-ro: a page per direction, AB first */
	/* role-local, set by attach */
	struct line *out;		/* ours */
	const struct line *in;		/* the peer's (cacheline-ro: mapped read-only) */
	uint64_t last_seen;		/* word0 of the last message in */
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

static int cacheline_attach(struct bench_run *r)
{
	struct cacheline_priv *c = r->priv;
	int mine = r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA;

	c->out = &c->line[mine];
	c->in = &c->line[mine ^ 1];
	return 0;
}

static int cacheline_send(struct bench_run *r, const void *buf, size_t len)
{
	struct cacheline_priv *c = r->priv;
	struct line *l = c->out;
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
	const struct line *l = c->in;
	uint64_t w0;

	/* acquire: pairs with the release in cacheline_send() */
	while ((w0 = atomic_load_explicit((_Atomic uint64_t *)&l->word0,
					  memory_order_acquire)) == c->last_seen)
		bench_spin(r);
	c->last_seen = w0;
	memcpy(buf, &w0, 8);
	memcpy((char *)buf + 8, l->rest, len - 8);
	return 0;
}

/* cacheline-ro: a page per direction in one memfd, made before the fork. */
static int ro_setup(struct bench_run *r)
{
	struct cacheline_priv *c = r->priv;
	long page = sysconf(_SC_PAGESIZE);

	c->fd = memfd_create("kipc-bench-cacheline-ro", MFD_CLOEXEC);
	if (c->fd < 0)
		return bench_fail(r, "memfd_create: %s", strerror(errno));
	if (ftruncate(c->fd, 2 * page)) {
		bench_fail(r, "ftruncate: %s", strerror(errno));
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static void ro_teardown(struct bench_run *r)
{
	struct cacheline_priv *c = r->priv;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int ro_attach(struct bench_run *r)
{
	struct cacheline_priv *c = r->priv;
	long page = sysconf(_SC_PAGESIZE);
	int mine = r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA;
	void *out, *in;

	out = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
		   (off_t)mine * page);
	if (out == MAP_FAILED)
		return bench_fail(r, "mmap our line: %s", strerror(errno));
	in = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, c->fd, (off_t)(mine ^ 1) * page);
	if (in == MAP_FAILED) {
		munmap(out, (size_t)page);
		return bench_fail(r, "mmap the peer's line read-only: %s", strerror(errno));
	}
	/* no page fault in a timed section: ours written, theirs read once */
	bench_shared_prefault(out, (size_t)page);
	(void)*(volatile const uint64_t *)in;
	c->out = out;
	c->in = in;
	return 0;
}

static void ro_detach(struct bench_run *r)
{
	struct cacheline_priv *c = r->priv;
	long page = sysconf(_SC_PAGESIZE);

	if (c->out)
		munmap(c->out, (size_t)page);
	if (c->in)
		munmap((void *)c->in, (size_t)page);
	c->out = NULL;
	c->in = NULL;
}

const struct bench_mech bench_mech_cacheline_ro = {
	.name = "cacheline-ro",
	.group = "floor",
	.summary = "cacheline with each side reading the peer's line through a read-only "
		   "mapping, as kipc's page roles map a peer's ring: what that costs",
	.modes = BENCH_MODE_POLL,
	.workloads = BENCH_LATENCY,
	.priv_size = sizeof(struct cacheline_priv),
	.size_unsupported = cacheline_size_unsupported,
	.setup = ro_setup,
	.teardown = ro_teardown,
	.attach = ro_attach,
	.detach = ro_detach,
	.send = cacheline_send,
	.recv = cacheline_recv,
};

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
	.attach = cacheline_attach,
	.send = cacheline_send,
	.recv = cacheline_recv,
};
