// SPDX-License-Identifier: GPL-2.0
/*
 * The blocking floor (issue 9's "bare eventfd ping-pong"): the payload
 * copied into a shared buffer per direction, then one write() to that
 * direction's eventfd; the reader sleeps in read() and copies the payload
 * out. Two syscalls and two wake-ups per round trip, nothing else.
 * Blocking round trips only.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

struct evfd_priv {
	char *buf;			/* [BENCH_DIR_AB / BENCH_DIR_BA], 'area' bytes each */
	size_t area;
	int efd[2];			/* one per direction */
};

static int evfd_setup(struct bench_run *r)
{
	struct evfd_priv *e = r->priv;
	int i;

	e->efd[0] = e->efd[1] = -1;
	e->area = ((size_t)r->p->size + BENCH_CACHELINE - 1) & ~(size_t)(BENCH_CACHELINE - 1);
	e->buf = bench_shared_alloc(r, 2 * e->area);
	if (!e->buf)
		return -1;
	for (i = 0; i < 2; i++) {
		/* a plain counter (no EFD_SEMAPHORE): one message in flight per direction */
		e->efd[i] = eventfd(0, EFD_CLOEXEC);
		if (e->efd[i] < 0)
			return bench_fail(r, "eventfd: %s", strerror(errno));
	}
	return 0;
}

static void evfd_teardown(struct bench_run *r)
{
	struct evfd_priv *e = r->priv;
	int i;

	if (e->buf)
		munmap(e->buf, 2 * e->area);
	e->buf = NULL;
	for (i = 0; i < 2; i++)
		if (e->efd[i] >= 0)
			close(e->efd[i]);
	e->efd[0] = e->efd[1] = -1;
}

static int evfd_attach(struct bench_run *r)
{
	struct evfd_priv *e = r->priv;

	bench_shared_prefault(e->buf, 2 * e->area);
	return 0;
}

static int evfd_send(struct bench_run *r, const void *buf, size_t len)
{
	struct evfd_priv *e = r->priv;
	int dir = r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA;
	uint64_t one = 1;

	memcpy(e->buf + (size_t)dir * e->area, buf, len);
	/* the write is the publication: the reader's read() orders after it */
	if (write(e->efd[dir], &one, sizeof(one)) != sizeof(one))
		return bench_fail(r, "write(eventfd): %s", strerror(errno));
	return 0;
}

static int evfd_recv(struct bench_run *r, void *buf, size_t len)
{
	struct evfd_priv *e = r->priv;
	int dir = r->role == BENCH_ROLE_A ? BENCH_DIR_BA : BENCH_DIR_AB;
	uint64_t v;

	while (read(e->efd[dir], &v, sizeof(v)) != sizeof(v))
		if (errno != EINTR)
			return bench_fail(r, "read(eventfd): %s", strerror(errno));
	if (v != 1)
		return bench_fail(r, "eventfd counted %llu messages, expected 1",
				  (unsigned long long)v);
	memcpy(buf, e->buf + (size_t)dir * e->area, len);
	return 0;
}

const struct bench_mech bench_mech_eventfd = {
	.name = "eventfd",
	.group = "floor",
	.summary = "payload in shared memory, one eventfd write/read per message: "
		   "the blocking floor",
	.modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY,
	.priv_size = sizeof(struct evfd_priv),
	.setup = evfd_setup,
	.teardown = evfd_teardown,
	.attach = evfd_attach,
	.send = evfd_send,
	.recv = evfd_recv,
};
