// SPDX-License-Identifier: GPL-2.0
/*
 * The textbook bounded buffer in shared memory: a process-shared robust
 * mutex and two condition variables per direction; the message is copied
 * in and out under the lock.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

#define CV_SLOTS	16

struct cv_chan {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	uint64_t head, tail;		/* under lock */
	uint64_t slot_size;
	_Alignas(BENCH_CACHELINE) char slots[];
};

struct cv_priv {
	char *mem;
	size_t chan_bytes;
};

static size_t chan_bytes(uint64_t size)
{
	size_t slot = (size + BENCH_CACHELINE - 1) & ~(size_t)(BENCH_CACHELINE - 1);

	return (sizeof(struct cv_chan) + CV_SLOTS * slot + BENCH_CACHELINE - 1) &
	       ~(size_t)(BENCH_CACHELINE - 1);
}

static struct cv_chan *chan(struct bench_run *r, int dir)
{
	struct cv_priv *c = r->priv;

	return (struct cv_chan *)(c->mem + (size_t)dir * c->chan_bytes);
}

static int init_chan(struct bench_run *r, struct cv_chan *ch)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	int err;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	err = pthread_mutex_init(&ch->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	if (err)
		return bench_fail(r, "pthread_mutex_init: %s", strerror(err));
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	err = pthread_cond_init(&ch->not_empty, &ca);
	if (!err)
		err = pthread_cond_init(&ch->not_full, &ca);
	pthread_condattr_destroy(&ca);
	if (err)
		return bench_fail(r, "pthread_cond_init: %s", strerror(err));
	ch->slot_size = (r->p->size + BENCH_CACHELINE - 1) & ~(uint64_t)(BENCH_CACHELINE - 1);
	return 0;
}

static void cv_teardown(struct bench_run *r)
{
	struct cv_priv *c = r->priv;

	if (c->mem)
		munmap(c->mem, 2 * c->chan_bytes);
	c->mem = NULL;
}

static int cv_setup(struct bench_run *r)
{
	struct cv_priv *c = r->priv;

	c->chan_bytes = chan_bytes(r->p->size);
	c->mem = bench_shared_alloc(r, 2 * c->chan_bytes);
	if (!c->mem)
		return -1;
	if (init_chan(r, chan(r, BENCH_DIR_AB)) || init_chan(r, chan(r, BENCH_DIR_BA))) {
		cv_teardown(r);
		return -1;
	}
	return 0;
}

static int cv_attach(struct bench_run *r)
{
	struct cv_priv *c = r->priv;

	bench_shared_prefault(c->mem, 2 * c->chan_bytes);
	return 0;
}

/* A robust mutex whose owner died: the peer is gone, the data is suspect. */
static int check_lock(struct bench_run *r, struct cv_chan *ch, int err, const char *what)
{
	if (!err)
		return 0;
	if (err == EOWNERDEAD) {
		pthread_mutex_consistent(&ch->lock);
		pthread_mutex_unlock(&ch->lock);
		return bench_fail(r, "%s: the peer died holding the lock", what);
	}
	return bench_fail(r, "%s: %s", what, strerror(err));
}

static int cv_send(struct bench_run *r, const void *buf, size_t len)
{
	struct cv_chan *ch = chan(r, r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA);

	if (check_lock(r, ch, pthread_mutex_lock(&ch->lock), "lock"))
		return -1;
	while (ch->head - ch->tail == CV_SLOTS)
		if (check_lock(r, ch, pthread_cond_wait(&ch->not_full, &ch->lock), "wait"))
			return -1;
	memcpy(ch->slots + (ch->head % CV_SLOTS) * ch->slot_size, buf, len);
	ch->head++;
	pthread_cond_signal(&ch->not_empty);
	pthread_mutex_unlock(&ch->lock);
	return 0;
}

static int cv_recv(struct bench_run *r, void *buf, size_t len)
{
	struct cv_chan *ch = chan(r, r->role == BENCH_ROLE_A ? BENCH_DIR_BA : BENCH_DIR_AB);

	if (check_lock(r, ch, pthread_mutex_lock(&ch->lock), "lock"))
		return -1;
	while (ch->head == ch->tail)
		if (check_lock(r, ch, pthread_cond_wait(&ch->not_empty, &ch->lock), "wait"))
			return -1;
	memcpy(buf, ch->slots + (ch->tail % CV_SLOTS) * ch->slot_size, len);
	ch->tail++;
	pthread_cond_signal(&ch->not_full);
	pthread_mutex_unlock(&ch->lock);
	return 0;
}

const struct bench_mech bench_mech_shm_condvar = {
	.name = "shm-condvar",
	.group = "shm",
	.summary = "shared memory, process-shared robust mutex + condition variables",
	.modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct cv_priv),
	.setup = cv_setup,
	.teardown = cv_teardown,
	.attach = cv_attach,
	.send = cv_send,
	.recv = cv_recv,
};
