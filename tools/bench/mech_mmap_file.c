// SPDX-License-Identifier: GPL-2.0
/*
 * Slot rings in a memory-mapped file (in the private temporary directory,
 * removed after). Each role opens and maps the file itself; blocking waits
 * use a futex on a word of the shared file mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "slot_ring.h"

struct mmap_priv {
	struct slot_ring_pair pair;
	char path[300];
	char *mem;			/* the role's own mapping */
	size_t ring_bytes;
};

static long futex(_Atomic uint32_t *uaddr, int op, uint32_t val)
{
	/* not FUTEX_PRIVATE_FLAG: the word is shared between processes */
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static uint32_t futex_prepare(struct slot_ring *ring, int which)
{
	return atomic_load_explicit(&ring->hdr->wake_seq[which], memory_order_acquire);
}

static int futex_wait_db(struct bench_run *r, struct slot_ring *ring, int which, uint32_t token)
{
	/* returns at once if a wake-up came after prepare() */
	if (futex(&ring->hdr->wake_seq[which], FUTEX_WAIT, token) &&
	    errno != EAGAIN && errno != EINTR)
		return bench_fail(r, "futex wait: %s", strerror(errno));
	return 0;
}

static int futex_ring_db(struct bench_run *r, struct slot_ring *ring, int which)
{
	atomic_fetch_add_explicit(&ring->hdr->wake_seq[which], 1, memory_order_release);
	if (futex(&ring->hdr->wake_seq[which], FUTEX_WAKE, INT_MAX) < 0)
		return bench_fail(r, "futex wake: %s", strerror(errno));
	return 0;
}

static const struct slot_ring_doorbell futex_doorbell = {
	.prepare = futex_prepare,
	.wait = futex_wait_db,
	.ring = futex_ring_db,
};

static void mmap_teardown(struct bench_run *r)
{
	struct mmap_priv *m = r->priv;

	if (m->path[0] && unlink(m->path) && errno != ENOENT)
		bench_fail(r, "unlink %s: %s", m->path, strerror(errno));
	m->path[0] = 0;
}

static int mmap_setup(struct bench_run *r)
{
	struct mmap_priv *m = r->priv;
	size_t bytes;
	char *mem;
	int fd, i;

	m->ring_bytes = slot_ring_bytes(r->p->size);
	bytes = 2 * m->ring_bytes;
	snprintf(m->path, sizeof(m->path), "%s/ring-%u", r->p->tmpdir, r->p->run_id);
	fd = open(m->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		bench_fail(r, "create %s: %s", m->path, strerror(errno));
		m->path[0] = 0;
		return -1;
	}
	if (ftruncate(fd, (off_t)bytes)) {
		bench_fail(r, "ftruncate %s: %s", m->path, strerror(errno));
		goto fail;
	}
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		bench_fail(r, "mmap %s: %s", m->path, strerror(errno));
		goto fail;
	}
	for (i = 0; i < 2; i++)
		slot_ring_format(mem + i * m->ring_bytes, r->p->size);
	munmap(mem, bytes);
	close(fd);
	return 0;
fail:
	close(fd);
	mmap_teardown(r);
	return -1;
}

static int mmap_attach(struct bench_run *r)
{
	struct mmap_priv *m = r->priv;
	size_t bytes = 2 * m->ring_bytes;
	int fd, i;

	fd = open(m->path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return bench_fail(r, "open %s: %s", m->path, strerror(errno));
	m->mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m->mem == MAP_FAILED) {
		m->mem = NULL;
		return bench_fail(r, "mmap %s: %s", m->path, strerror(errno));
	}
	bench_shared_prefault(m->mem, bytes);
	for (i = 0; i < 2; i++) {
		struct slot_ring *ring = &m->pair.ring[i];

		if (slot_ring_attach(r, ring, m->mem + i * m->ring_bytes, m->ring_bytes))
			return -1;
		ring->block = r->p->mode == BENCH_MODE_BLOCK;
		ring->db = &futex_doorbell;
	}
	return 0;
}

static void mmap_detach(struct bench_run *r)
{
	struct mmap_priv *m = r->priv;

	if (m->mem)
		munmap(m->mem, 2 * m->ring_bytes);
	m->mem = NULL;
}

static int mmap_send(struct bench_run *r, const void *buf, size_t len)
{
	return slot_ring_send(r, &((struct mmap_priv *)r->priv)->pair, buf, len);
}

static int mmap_recv(struct bench_run *r, void *buf, size_t len)
{
	return slot_ring_recv(r, &((struct mmap_priv *)r->priv)->pair, buf, len);
}

const struct bench_mech bench_mech_mmap_file = {
	.name = "mmap-file",
	.group = "shm",
	.summary = "slot ring in a memory-mapped file, futex wake-up when blocking",
	.modes = BENCH_MODE_POLL | BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct mmap_priv),
	.setup = mmap_setup,
	.teardown = mmap_teardown,
	.attach = mmap_attach,
	.detach = mmap_detach,
	.send = mmap_send,
	.recv = mmap_recv,
};
