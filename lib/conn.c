// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The connection object: allocation with its transport's ops table, close,
 * the getters, and the test hooks. The data path is data.c's, waiting
 * wait.c's, each transport's specifics its own file's (dev.c, shm.c, uds.c)
 * behind struct kipc_ops.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datapath.h"

int64_t kipc__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Which process owns an object (internal.h, struct kipc_owner)        */

static unsigned int fork_gen;	/* atomic: bumped in each child of fork() */
static pthread_once_t fork_hook_once = PTHREAD_ONCE_INIT;
static int fork_hook_err;

static void fork_child(void)
{
	__atomic_fetch_add(&fork_gen, 1, __ATOMIC_RELAXED);
}

/* Once, at the first object: a library loaded and never used registers
 * nothing. glibc unregisters the handler when a dlopen()ed libkipc goes.
 */
static void fork_hook(void)
{
	fork_hook_err = pthread_atfork(NULL, NULL, fork_child);
}

int kipc__owner_set(struct kipc_owner *o)
{
	pthread_once(&fork_hook_once, fork_hook);
	if (fork_hook_err)
		return -fork_hook_err;
	o->pid = getpid();
	o->gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
	return 0;
}

bool kipc__owner_is_self(const struct kipc_owner *o)
{
	return o->gen == __atomic_load_n(&fork_gen, __ATOMIC_RELAXED) &&
	       o->pid == getpid();
}

/* ------------------------------------------------------------------ */
/* The rest of the connection API                                      */

KIPC_API void kipc_close(struct kipc_conn *c)
{
	if (!c)
		return;
	/* A forked child has no ring mappings (MADV_DONTFORK, VM_DONTCOPY):
	 * it only drops its references to the fds.
	 */
	if (!c->msg && kipc__owner_is_self(&c->owner) &&
	    !(kipc__conn_state(c) & KIPC_CONN_BROKEN)) {
		c->tx.open = false;
		tx_publish(c, 0);
		tx_kick_owed(c);
		rx_release(c);
	}
	kipc__conn_free(c);
}

KIPC_API int kipc_fd(struct kipc_conn *c)
{
	if (!c)
		return -EINVAL;
	return c->poll_fd;
}

KIPC_API int kipc_poll_events(const struct kipc_conn *c, int events)
{
	if (!c)
		return -EINVAL;
	return c->ops->poll_events ? c->ops->poll_events(events) : events;
}

KIPC_API int kipc_transport(const struct kipc_conn *c)
{
	return c ? c->ops->transport : -EINVAL;
}

KIPC_API const char *kipc_transport_name(int transport)
{
	switch (transport) {
	case KIPC_TRANSPORT_AUTO:
		return "auto";
	case KIPC_TRANSPORT_DEV:
		return "dev";
	case KIPC_TRANSPORT_SHM:
		return "shm";
	case KIPC_TRANSPORT_UDS:
		return "uds";
	}
	return NULL;
}

KIPC_API int kipc_peer_cred(const struct kipc_conn *c, pid_t *pid, uid_t *uid,
			    gid_t *gid)
{
	if (!c)
		return -EINVAL;
	if (pid)
		*pid = c->peer_pid;
	if (uid)
		*uid = c->peer_uid;
	if (gid)
		*gid = c->peer_gid;
	return 0;
}

KIPC_API ssize_t kipc_msg_max(const struct kipc_conn *c)
{
	return c ? (ssize_t)c->tx.max : -EINVAL;
}

KIPC_API int kipc_set_wait(struct kipc_conn *c, int policy,
			   unsigned int spin_ns)
{
	if (!c || policy < KIPC_WAIT_SPIN_SLEEP || policy > KIPC_WAIT_SLEEP)
		return -EINVAL;
	__atomic_store_n(&c->spin_ns, spin_ns ? spin_ns : KIPC_SPIN_NS_DEFAULT,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&c->wait_policy, policy, __ATOMIC_RELAXED);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Allocation                                                          */

struct kipc_conn *kipc__conn_alloc(const struct kipc_ops *ops, int side,
				   const struct kipc_cfg *cfg)
{
	struct kipc_conn *c;

	if (posix_memalign((void **)&c, 64, sizeof(*c)))
		return NULL;
	memset(c, 0, sizeof(*c));
	if (kipc__owner_set(&c->owner)) {
		free(c);
		return NULL;
	}
	c->ops = ops;
	c->msg = ops->msg;
	c->side = side;
	c->fd = c->poll_fd = -1;
	c->tx.wait_fd = c->tx.bell_fd = c->tx.kick_fd = -1;
	c->rx.wait_fd = c->rx.bell_fd = c->rx.kick_fd = -1;
	c->wait_policy = cfg->wait_policy;
	c->spin_ns = cfg->spin_ns;
	return c;
}

uint64_t kipc__test_formats = ~0ULL;

/* The ring formats (KIPC_F_RING_*) both rings use, as agreed at set-up:
 * the driver's checked header (dev) or the handshake (shm).
 */
void kipc__conn_formats(struct kipc_conn *c, uint64_t formats)
{
	kipc_ring_set_format(&c->tx.ring, formats);
	kipc_ring_set_format(&c->rx.ring, formats);
}

/* Derived limits, once the transport has set up the rings. */
void kipc__conn_ready(struct kipc_conn *c)
{
	uint32_t size = c->rx.ring.size;

	c->rx.batch = size / 8 < 16384 ? size / 8 : 16384;
	c->rx.ring_full = true;	/* SEQ: the first crossing looks at need */
	if (!c->msg) {
		c->tx.max = kipc_ring_msg_max(&c->tx.ring);
		c->rx.max = kipc_ring_msg_max(&c->rx.ring);
	}
}

void kipc__conn_free(struct kipc_conn *c)
{
	/* After fork the child has no ring mappings, and the addresses may
	 * hold something else by now: never munmap them there.
	 */
	if (!kipc__owner_is_self(&c->owner))
		c->map[0] = c->map[1] = NULL;
	c->ops->free(c);
	free(c);
}

void *kipc__test_map(struct kipc_conn *c, size_t *len)
{
	int i = c->map[1] ? 1 : 0;	/* the own view (dev), our memfd (shm) */

	*len = c->map_len[i];
	return c->map[i];
}

struct kipc_ring *kipc__test_ring(struct kipc_conn *c, int tx)
{
	return tx ? &c->tx.ring : &c->rx.ring;
}
