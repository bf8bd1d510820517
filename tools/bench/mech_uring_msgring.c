// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring IORING_OP_MSG_RING between two rings, one per process, whose
 * fds crossed over SCM_RIGHTS (or, on kernels that refuse io_uring fds
 * there, pidfd_getfd()). Each message is a slot of a shared-memory
 * ring plus one MSG_RING completion posted on the peer's ring (carrying
 * the length); the receiver takes one completion per message, sleeping in
 * io_uring_wait_cqe (block) or spinning on the completion queue without a
 * system call (poll). A full ring makes the producer wait for a SPACE
 * completion the consumer posts when it sees the producer waiting.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "slot_ring.h"
#include "uring_util.h"

#define TAG_DATA	1
#define TAG_SPACE	2
#define TAG_OWN		3	/* our own MSG_RING failed */

#ifdef BENCH_HAVE_URING
struct msgring_priv {
	struct slot_ring_pair pair;
	char *mem;
	size_t ring_bytes;
	int sock[2];			/* for the ring fds */
	/* role-local */
	struct io_uring uring;
	bool uring_ok;
	int peer_ring_fd;
	uint64_t data_credits;		/* DATA completions taken but not yet consumed */
};

static const char *msgring_available(void)
{
	return bench_uring_unavailable(IORING_OP_MSG_RING);
}

static int post(struct bench_run *r, uint64_t tag, size_t len)
{
	struct msgring_priv *m = r->priv;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&m->uring);
	int ret;

	if (!sqe)
		return bench_fail(r, "io_uring: no free SQE");
	io_uring_prep_msg_ring(sqe, m->peer_ring_fd, (unsigned int)len, tag, 0);
	/* only a failure posts a completion on our own ring */
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	io_uring_sqe_set_data64(sqe, TAG_OWN);
	do
		ret = io_uring_submit(&m->uring);
	while (ret == -EINTR);
	if (ret < 0)
		return bench_fail(r, "io_uring_submit(MSG_RING): %s", strerror(-ret));
	return 0;
}

static int handle(struct bench_run *r, struct io_uring_cqe *cqe)
{
	struct msgring_priv *m = r->priv;
	uint64_t tag = io_uring_cqe_get_data64(cqe);
	int res = cqe->res;

	io_uring_cqe_seen(&m->uring, cqe);
	if (tag == TAG_OWN)
		return bench_fail(r, "MSG_RING: %s", strerror(-res));
	if (tag == TAG_DATA) {
		if ((size_t)res != r->p->size)
			return bench_fail(r, "MSG_RING announced %d bytes, expected %zu", res,
					  (size_t)r->p->size);
		m->data_credits++;
	} else if (tag != TAG_SPACE) {
		return bench_fail(r, "unexpected completion %#llx", (unsigned long long)tag);
	}
	return 0;
}

/*
 * Wait for a completion, spinning (poll mode) or sleeping (block mode),
 * then take every one that is there, so SPACE hints never pile up.
 */
static int take_completions(struct bench_run *r)
{
	struct msgring_priv *m = r->priv;
	struct io_uring_cqe *cqe;
	int ret;

	if (r->p->mode == BENCH_MODE_POLL) {
		while ((ret = io_uring_peek_cqe(&m->uring, &cqe)) == -EAGAIN)
			bench_spin(r);
	} else {
		do
			ret = io_uring_wait_cqe(&m->uring, &cqe);
		while (ret == -EINTR);
	}
	if (ret < 0)
		return bench_fail(r, "io_uring wait: %s", strerror(-ret));
	do {
		if (handle(r, cqe))
			return -1;
	} while (io_uring_peek_cqe(&m->uring, &cqe) == 0);
	return 0;
}

/* The doorbell the slot ring uses for SPACE: any completion is a reason to re-check. */
static int space_wait(struct bench_run *r, struct slot_ring *ring, int which, uint32_t token)
{
	(void)ring;
	(void)which;
	(void)token;
	return take_completions(r);
}

static int space_ring(struct bench_run *r, struct slot_ring *ring, int which)
{
	(void)ring;
	return which == SLOT_RING_SPACE ? post(r, TAG_SPACE, 0) : 0;
}

static const struct slot_ring_doorbell msgring_doorbell = {
	.wait = space_wait,
	.ring = space_ring,
};

static void msgring_teardown(struct bench_run *r)
{
	struct msgring_priv *m = r->priv;

	if (m->mem)
		munmap(m->mem, 2 * m->ring_bytes);
	m->mem = NULL;
	if (m->sock[0] > 0) {
		close(m->sock[0]);
		close(m->sock[1]);
	}
	m->sock[0] = m->sock[1] = 0;
}

static int msgring_setup(struct bench_run *r)
{
	struct msgring_priv *m = r->priv;
	int i;

	m->ring_bytes = slot_ring_bytes(r->p->size);
	m->mem = bench_shared_alloc(r, 2 * m->ring_bytes);
	if (!m->mem)
		return -1;
	for (i = 0; i < 2; i++)
		slot_ring_format(m->mem + i * m->ring_bytes, r->p->size);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, m->sock)) {
		bench_fail(r, "socketpair: %s", strerror(errno));
		msgring_teardown(r);
		return -1;
	}
	return 0;
}

static int msgring_attach(struct bench_run *r)
{
	struct msgring_priv *m = r->priv;
	struct io_uring_params params = { .flags = IORING_SETUP_CQSIZE };
	int sock = m->sock[r->role], i, ret, sent;
	bool via_pidfd;

	close(m->sock[r->role ^ 1]);
	bench_shared_prefault(m->mem, 2 * m->ring_bytes);
	for (i = 0; i < 2; i++) {
		struct slot_ring *ring = &m->pair.ring[i];

		if (slot_ring_attach(r, ring, m->mem + i * m->ring_bytes, m->ring_bytes))
			return -1;
		/* the flag protocol is only for SPACE; every message gets its completion */
		ring->block = true;
		ring->db = &msgring_doorbell;
	}
	/* room for a completion per slot of the ring, plus SPACE ones */
	params.cq_entries = 2 * (unsigned int)m->pair.ring[0].nslots + 16;
	ret = io_uring_queue_init_params(8, &m->uring, &params);
	if (ret < 0)
		return bench_fail(r, "io_uring_queue_init: %s", strerror(-ret));
	m->uring_ok = true;
	sent = bench_send_fd(r, sock, m->uring.ring_fd);
	if (sent < 0)
		return -1;
	m->peer_ring_fd = bench_recv_fd(r, sock, &via_pidfd);
	if (m->peer_ring_fd < 0)
		return -1;
	if (via_pidfd)
		bench_info(r, "this kernel refuses io_uring fds in SCM_RIGHTS (Linux 6.7+): "
			   "the ring fd crossed with pidfd_getfd()");
	return 0;
}

static void msgring_detach(struct bench_run *r)
{
	struct msgring_priv *m = r->priv;

	if (m->peer_ring_fd > 0)
		close(m->peer_ring_fd);
	if (m->uring_ok)
		io_uring_queue_exit(&m->uring);
	m->uring_ok = false;
}

static int msgring_send(struct bench_run *r, const void *buf, size_t len)
{
	struct msgring_priv *m = r->priv;
	struct slot_ring *ring = &m->pair.ring[r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA];
	void *slot = slot_ring_reserve(r, ring, len);

	if (!slot)
		return -1;
	memcpy(slot, buf, len);
	if (slot_ring_commit(r, ring, len))
		return -1;
	return post(r, TAG_DATA, len);
}

static int msgring_recv(struct bench_run *r, void *buf, size_t len)
{
	struct msgring_priv *m = r->priv;
	struct slot_ring *ring = &m->pair.ring[r->role == BENCH_ROLE_A ? BENCH_DIR_BA : BENCH_DIR_AB];
	const void *slot;

	while (!m->data_credits)
		if (take_completions(r))
			return -1;
	m->data_credits--;
	slot = slot_ring_peek(r, ring, len);
	if (!slot)
		return -1;
	memcpy(buf, slot, len);
	return slot_ring_release(r, ring);
}

const struct bench_mech bench_mech_uring_msgring = {
	.name = "uring-msgring",
	.group = "io_uring",
	.summary = "io_uring MSG_RING between two rings (fd via SCM_RIGHTS), shm slots",
	.modes = BENCH_MODE_POLL | BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct msgring_priv),
	.available = msgring_available,
	.setup = msgring_setup,
	.teardown = msgring_teardown,
	.attach = msgring_attach,
	.detach = msgring_detach,
	.send = msgring_send,
	.recv = msgring_recv,
};
#else
static const char *msgring_missing(void)
{
	return BENCH_URING_MISSING;
}

const struct bench_mech bench_mech_uring_msgring = {
	.name = "uring-msgring",
	.group = "io_uring",
	.summary = "io_uring MSG_RING between two rings (fd via SCM_RIGHTS), shm slots",
	.modes = BENCH_MODE_POLL | BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.available = msgring_missing,
};
#endif
