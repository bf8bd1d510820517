// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The shm transport: the driver's ring layout in a memfd that the client
 * creates and seals, and eventfd doorbells. See the handshake in
 * internal.h; the data path is conn.c's, shared with dev.
 *
 * What the server checks before it touches the client's memory: the fd is a
 * regular file of exactly the expected size, sealed against shrinking and
 * growing (F_SEAL_SHRINK | F_SEAL_GROW, so no page of the mapping can go
 * away and SIGBUS us), and its header, once copied out, is the canonical
 * layout for the offered ring sizes. Both sides map it read-write, so each
 * can scribble over everything, the header and the other's indices
 * included: the header is never read again after the check (only the copy
 * is used), and every index and record read from the rings is bounded by
 * kipc_ring.h. A side never reads back its own published indices.
 *
 * Nothing outlives the users: the memfd has no name in any filesystem and
 * the socket is abstract, so kill -9 of both leaves nothing behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define SHM_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW)

/* The driver's layout (kipc_layout_init(), the uapi header), so that one
 * ring code fits both.
 */
static void shm_layout(struct kipc_shared_hdr *h, uint32_t page,
		       const uint32_t ring_bytes[2], uint64_t formats)
{
	memset(h, 0, sizeof(*h));
	kipc_layout_init(h, page, ring_bytes);
	h->features = formats;
}

static uint32_t page_size(void)
{
	return (uint32_t)sysconf(_SC_PAGESIZE);
}

/* Client: a fresh, sealed, populated memfd with the header written; the
 * rings use ring formats @formats (agreed in the handshake).
 */
int kipc__shm_create(const uint32_t ring_bytes[2], uint64_t formats,
		     int *memfd, void **map, size_t *len)
{
	size_t size = kipc_layout_map_bytes(page_size(), ring_bytes);
	void *m;
	int fd, ret;

	fd = memfd_create("kipc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0)
		goto out_errno;
	/* Populate: the pages are charged to us, the client, and the data
	 * path never faults.
	 */
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		 fd, 0);
	if (m == MAP_FAILED)
		goto out_errno;
	shm_layout(m, page_size(), ring_bytes, formats);
	if (fcntl(fd, F_ADD_SEALS, SHM_SEALS | F_SEAL_SEAL) < 0 ||
	    madvise(m, size, MADV_DONTFORK) < 0) {
		ret = -errno;
		munmap(m, size);
		close(fd);
		return ret;
	}
	*memfd = fd;
	*map = m;
	*len = size;
	return 0;

out_errno:
	ret = -errno;
	close(fd);
	return ret;
}

/*
 * Server: check the client's memfd and map it. @formats are the ring
 * formats its SETUP said it uses, already checked against ours.
 * -EBADMSG if unfit.
 */
int kipc__shm_adopt(int memfd, const uint32_t ring_bytes[2], uint64_t formats,
		    void **map, size_t *len)
{
	uint32_t page = page_size();
	size_t size = kipc_layout_map_bytes(page, ring_bytes);
	struct kipc_shared_hdr h, want;
	struct stat st;
	int seals, ret;
	void *m;

	/* Seals first: once it can neither shrink nor grow, the size we
	 * check next is the size for good. The other way round, the client
	 * could shrink it between the two checks and seal it then.
	 */
	seals = fcntl(memfd, F_GET_SEALS);
	if (seals < 0 || (seals & SHM_SEALS) != SHM_SEALS)
		return -EBADMSG;
	if (fstat(memfd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size != size)
		return -EBADMSG;
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		 memfd, 0);
	if (m == MAP_FAILED)
		return -errno;
	ret = kipc_hdr_check(m, size, 0, KIPC_SIDE_SERVER, formats, &h);
	if (ret)
		goto out_unmap;
	shm_layout(&want, page, ring_bytes, formats);
	if (h.features != want.features ||
	    h.hdr_size != want.hdr_size || h.page_size != want.page_size ||
	    h.own_data_off != want.own_data_off ||
	    memcmp(h.own_map_bytes, want.own_map_bytes, sizeof(h.own_map_bytes)) ||
	    memcmp(h.ring, want.ring, sizeof(h.ring))) {
		ret = -EBADMSG;
		goto out_unmap;
	}
	if (madvise(m, size, MADV_DONTFORK) < 0) {
		ret = -errno;
		goto out_unmap;
	}
	*map = m;
	*len = size;
	return 0;

out_unmap:
	munmap(m, size);
	return ret;
}

/*
 * Our two doorbells: bell[0] rings for data, bell[1] for room. Each is an
 * eventfd only we hold; view[i] is an epoll fd that holds bell[i]
 * edge-triggered, for the peer to wait on. The peer can wait, nothing else.
 */
int kipc__shm_bells(int bell[2], int view[2])
{
	int i, ret;

	bell[0] = bell[1] = view[0] = view[1] = -1;
	for (i = 0; i < 2; i++) {
		bell[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		view[i] = epoll_create1(EPOLL_CLOEXEC);
		if (bell[i] < 0 || view[i] < 0) {
			ret = -errno;
			goto out_close;
		}
		ret = kipc__epoll_add(view[i], bell[i], EPOLLIN | EPOLLET, 0);
		if (ret)
			goto out_close;
	}
	return 0;

out_close:
	for (i = 0; i < 2; i++) {
		if (bell[i] >= 0)
			close(bell[i]);
		if (view[i] >= 0)
			close(view[i]);
		bell[i] = view[i] = -1;
	}
	return ret;
}

/*
 * Wire up connection @c: the rings in @map, our bells, and the peer's bell
 * views, into which we add our end of the socket (hang-up, level):
 *   rx.wait_fd = rx.bell_fd  {peer's data bell (edge), socket}  blocking recv
 *   tx.wait_fd = tx.bell_fd  {peer's room bell (edge), socket}  blocking send
 *   poll_fd                  {both of those (level)}             kipc_fd()
 * A sleep is one epoll_wait() that also takes the edge it wakes on, and the
 * receiving and the sending thread never steal each other's wake-ups. The
 * peer holds these epoll fds too but cannot take our socket out of them:
 * EPOLL_CTL_DEL needs an fd for our file, which it never gets. It can add
 * fds of its own, which at worst wakes us for nothing.
 * Takes over every fd and the mapping, also on failure.
 */
int kipc__shm_setup(struct kipc_conn *c, int sock, void *map, size_t len,
		    const uint32_t ring_bytes[2], const int bell[2],
		    const int peer_view[2])
{
	struct kipc_shared_hdr h;
	uint8_t *m = map;
	int s = c->side, r = 1 - c->side, ret;

	c->fd = sock;
	c->map[0] = map;
	c->map_len[0] = len;
	c->tx.kick_fd = bell[0];
	c->rx.kick_fd = bell[1];
	c->rx.bell_fd = c->rx.wait_fd = peer_view[0];
	c->tx.bell_fd = c->tx.wait_fd = peer_view[1];
	if (!kipc__anon_fd_ok(peer_view[0]) || !kipc__anon_fd_ok(peer_view[1]))
		return -EBADMSG;

	/* The geometry only: the formats are in the checked copy. */
	shm_layout(&h, page_size(), ring_bytes, 0);
	kipc_ring_init(&c->tx.ring, m + h.ring[s].data_off, h.ring[s].size,
		       (struct kipc_prod *)(m + h.ring[s].prod_off),
		       (struct kipc_cons *)(m + h.ring[s].cons_off));
	kipc_ring_init(&c->rx.ring, m + h.ring[r].data_off, h.ring[r].size,
		       (struct kipc_prod *)(m + h.ring[r].prod_off),
		       (struct kipc_cons *)(m + h.ring[r].cons_off));

	/* Adding to an fd that is not an epoll fails: one more check. */
	ret = kipc__epoll_add(c->rx.bell_fd, sock, EPOLLRDHUP, KIPC_EPOLL_SOCK);
	if (!ret)
		ret = kipc__epoll_add(c->tx.bell_fd, sock, EPOLLRDHUP,
				      KIPC_EPOLL_SOCK);
	if (ret)
		return ret == -ENOMEM ? ret : -EBADMSG;
	c->poll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (c->poll_fd < 0)
		return -errno;
	ret = kipc__epoll_add(c->poll_fd, c->rx.bell_fd, EPOLLIN, 0);
	if (!ret)
		ret = kipc__epoll_add(c->poll_fd, c->tx.bell_fd, EPOLLIN, 0);
	if (ret)
		return ret;
	kipc__conn_ready(c);
	return 0;
}

/* Ring the peer's doorbell: @fd is our eventfd. Only we hold it and it is
 * O_NONBLOCK and never read: the write cannot block, and it cannot fail
 * before 2^64 kicks.
 */
static int shm_kick(struct kipc_conn *c, int fd)
{
	static const uint64_t one = 1;

	(void)c;
	if (write(fd, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

/* Has the socket hung up? A syscall; callers rate-limit it. */
static bool shm_hup(struct kipc_conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };

	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
		kipc__set_gone(c);
	return kipc__conn_state(c) & KIPC_CONN_GONE;
}

/* Take the pending edge of @bell (so that kipc_fd() reports a fresh
 * level) and learn about a hang-up, in one syscall. Must come before the
 * re-check of the ring: a kick after it leaves a new edge.
 */
static void shm_bell_reset(struct kipc_conn *c, int bell)
{
	struct epoll_event ev[4];
	int n, i;

	/* One call, not "until empty": a hostile peer may have put
	 * level-triggered fds of its own in the epoll it gave us.
	 */
	n = epoll_wait(bell, ev, 4, 0);
	for (i = 0; i < n; i++)
		if (ev[i].data.u64 == KIPC_EPOLL_SOCK)
			kipc__set_gone(c);
}

/* A sleep is one epoll_wait() on a bell, which also holds our socket. */
static int shm_sleep(struct kipc_conn *c, int wait_fd, short events, int ms)
{
	struct epoll_event ev[2];
	int n, i;

	(void)events;	/* each bell stands for one direction */
	n = epoll_wait(wait_fd, ev, 2, ms);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++)
		if (ev[i].data.u64 == KIPC_EPOLL_SOCK)
			kipc__set_gone(c);
	return n > 0;
}

/* One readable epoll fd stands for both directions. */
static int shm_poll_events(int events)
{
	if (events & (POLLIN | POLLOUT))
		events = (events & ~POLLOUT) | POLLIN;
	return events;
}

static void shm_free(struct kipc_conn *c)
{
	int *fds[] = {	/* wait_fd is bell_fd */
		&c->fd, &c->poll_fd, &c->tx.bell_fd, &c->rx.bell_fd,
		&c->tx.kick_fd, &c->rx.kick_fd,
	};
	size_t i;

	if (c->map[0])
		munmap(c->map[0], c->map_len[0]);
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

const struct kipc_ops kipc__shm_ops = {
	.transport = KIPC_TRANSPORT_SHM,
	.kick = shm_kick,
	.sleep = shm_sleep,
	.hup = shm_hup,
	.bell_reset = shm_bell_reset,
	.poll_events = shm_poll_events,
	.free = shm_free,
};
