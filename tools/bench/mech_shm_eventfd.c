// SPDX-License-Identifier: GPL-2.0
/*
 * Shared memory slot rings with an eventfd doorbell: busy-poll spins on the
 * ring's index; blocking sleeps in read(eventfd) after announcing it, and
 * the peer writes the eventfd only when it sees that announcement.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "slot_ring.h"

struct efd_priv {
	struct slot_ring_pair pair;
	char *mem;
	size_t ring_bytes;
	int efd[2][2];			/* [ring][SLOT_RING_DATA / SPACE] */
};

static int efd_wait(struct bench_run *r, struct slot_ring *ring, int which, uint32_t token)
{
	int *efd = ring->db_ctx;
	uint64_t v;

	(void)token;
	while (read(efd[which], &v, sizeof(v)) < 0)
		if (errno != EINTR)
			return bench_fail(r, "read(eventfd): %s", strerror(errno));
	return 0;
}

static int efd_ring(struct bench_run *r, struct slot_ring *ring, int which)
{
	int *efd = ring->db_ctx;
	uint64_t one = 1;

	if (write(efd[which], &one, sizeof(one)) != sizeof(one))
		return bench_fail(r, "write(eventfd): %s", strerror(errno));
	return 0;
}

static const struct slot_ring_doorbell efd_doorbell = {
	.wait = efd_wait,
	.ring = efd_ring,
};

static void efd_teardown(struct bench_run *r)
{
	struct efd_priv *e = r->priv;
	int i, j;

	if (e->mem)
		munmap(e->mem, 2 * e->ring_bytes);
	e->mem = NULL;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if (e->efd[i][j] > 0)
				close(e->efd[i][j]);
}

static int efd_setup(struct bench_run *r)
{
	struct efd_priv *e = r->priv;
	int i, j;

	e->ring_bytes = slot_ring_bytes(r->p->size);
	e->mem = bench_shared_alloc(r, 2 * e->ring_bytes);
	if (!e->mem)
		return -1;
	for (i = 0; i < 2; i++) {
		slot_ring_format(e->mem + i * e->ring_bytes, r->p->size);
		for (j = 0; j < 2; j++) {
			e->efd[i][j] = eventfd(0, EFD_CLOEXEC);
			if (e->efd[i][j] < 0) {
				bench_fail(r, "eventfd: %s", strerror(errno));
				efd_teardown(r);
				return -1;
			}
		}
	}
	return 0;
}

static int efd_attach(struct bench_run *r)
{
	struct efd_priv *e = r->priv;
	int i;

	bench_shared_prefault(e->mem, 2 * e->ring_bytes);
	for (i = 0; i < 2; i++) {
		struct slot_ring *ring = &e->pair.ring[i];

		if (slot_ring_attach(r, ring, e->mem + i * e->ring_bytes, e->ring_bytes))
			return -1;
		ring->block = r->p->mode == BENCH_MODE_BLOCK;
		ring->db = &efd_doorbell;
		ring->db_ctx = e->efd[i];
	}
	return 0;
}

static int efd_send(struct bench_run *r, const void *buf, size_t len)
{
	return slot_ring_send(r, &((struct efd_priv *)r->priv)->pair, buf, len);
}

static int efd_recv(struct bench_run *r, void *buf, size_t len)
{
	return slot_ring_recv(r, &((struct efd_priv *)r->priv)->pair, buf, len);
}

const struct bench_mech bench_mech_shm_eventfd = {
	.name = "shm-eventfd",
	.group = "shm",
	.summary = "shared memory slot ring, eventfd doorbell when blocking",
	.modes = BENCH_MODE_POLL | BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct efd_priv),
	.setup = efd_setup,
	.teardown = efd_teardown,
	.attach = efd_attach,
	.send = efd_send,
	.recv = efd_recv,
};
