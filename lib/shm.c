// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The shm transport: the driver's ring layout split by writer into two
 * memfds, one per side, and eventfd doorbells. See the handshake in
 * internal.h; the data path is conn.c's, shared with dev.
 *
 * Page roles. The driver gives each side a read-write OWN view (its index
 * page: the producer index of the ring it sends on and the consumer index
 * of the ring it receives on; then the data of the ring it sends on) and
 * a read-only view of everything. shm builds the same from memfds: each
 * side creates one memfd laid out as its OWN view (kipc_layout_init()'s
 * own_map_bytes and own_data_off, the uapi header), maps it read-write,
 * then seals it with F_SEAL_FUTURE_WRITE (no new writable mapping, no
 * write(), no hole punching; our mapping made before stays writable) and
 * F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, and passes it over. The peer
 * can map it only read-only, and mprotect() cannot upgrade that mapping
 * (the seal clears VM_MAYWRITE), so a hostile peer can corrupt its own
 * indices and messages, never ours. What we read from its memfd is bounded
 * by kipc_ring.h as on dev. Where the peer is the driver nothing of this
 * applies: dev.c maps the driver's views.
 *
 * What a side checks before it touches the peer's memfd: the seals first
 * (-EPERM without all four), so that the size it checks next is the size
 * for good; then that it is a regular file of exactly the expected size
 * (-EBADMSG), so no page of the mapping can go away and SIGBUS us. There
 * is no header in shared memory: both sides compute the layout from the
 * handshake's ring sizes (and the page size, which must match).
 *
 * Nothing outlives the users: the memfds have no name in any filesystem
 * and the socket is abstract, so kill -9 of both leaves nothing behind.
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

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE	0x0010	/* Linux 5.1 */
#endif

#define SHM_SEALS	(F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | \
			 F_SEAL_SEAL)

static uint32_t page_size(void)
{
	return (uint32_t)sysconf(_SC_PAGESIZE);
}

/* The driver's layout (kipc_layout_init(), the uapi header), so that one
 * ring code fits both: the memfd of side @side is that side's OWN view.
 */
static void shm_layout(struct kipc_shared_hdr *h, const uint32_t ring_bytes[2])
{
	memset(h, 0, sizeof(*h));
	kipc_layout_init(h, page_size(), ring_bytes);
}

static size_t shm_bytes(int side, const uint32_t ring_bytes[2])
{
	struct kipc_shared_hdr h;

	shm_layout(&h, ring_bytes);
	return h.own_map_bytes[side];
}

/* Side @side's memfd, fresh, populated and sealed, mapped read-write in
 * *map; the fd in *memfd is for the peer, who can map it read-only only.
 */
int kipc__shm_create(int side, const uint32_t ring_bytes[2], int *memfd,
		     void **map, size_t *len)
{
	size_t size = shm_bytes(side, ring_bytes);
	void *m = MAP_FAILED;
	int fd, ret;

	/* No memfd (seccomp: EPERM, which is the peer's seal error here) or
	 * no F_SEAL_FUTURE_WRITE (a kernel before 5.1: EINVAL): no shm.
	 */
	fd = memfd_create("kipc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return errno == EPERM || errno == ENOSYS ? -ENODEV : -errno;
	if (ftruncate(fd, (off_t)size) < 0)
		goto out_errno;
	/* Populate: the pages are charged to us, their writer, and the data
	 * path never faults. The mapping comes before the seal, which keeps
	 * it writable and forbids every later one.
	 */
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		 fd, 0);
	if (m == MAP_FAILED)
		goto out_errno;
	if (fcntl(fd, F_ADD_SEALS, SHM_SEALS) < 0) {
		ret = errno == EINVAL ? -ENODEV : -errno;
		goto out_unmap;
	}
	if (madvise(m, size, MADV_DONTFORK) < 0)
		goto out_errno;
	*memfd = fd;
	*map = m;
	*len = size;
	return 0;

out_errno:
	ret = -errno;
out_unmap:
	if (m != MAP_FAILED)
		munmap(m, size);
	close(fd);
	return ret;
}

/*
 * The peer's memfd: side @side's, for our ring sizes. Check it and map it
 * read-only. -EPERM if it is not sealed as kipc__shm_create() seals it (the
 * peer could write it behind our back, or shrink it), -EBADMSG if it is
 * not a regular file of the right size.
 */
int kipc__shm_adopt(int memfd, int side, const uint32_t ring_bytes[2],
		    void **map, size_t *len)
{
	size_t size = shm_bytes(side, ring_bytes);
	struct stat st;
	int seals;
	void *m;

	/* Seals first: once it can neither shrink nor grow, the size we
	 * check next is the size for good. The other way round, the peer
	 * could shrink it between the two checks and seal it then.
	 */
	seals = fcntl(memfd, F_GET_SEALS);
	if (seals < 0 && errno != EINVAL)
		return -errno;
	if (seals < 0 || (seals & SHM_SEALS) != SHM_SEALS)
		return -EPERM;		/* EINVAL: not a memfd at all */
	if (fstat(memfd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size != size)
		return -EBADMSG;
	m = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, memfd, 0);
	if (m == MAP_FAILED)
		return -errno;
	if (madvise(m, size, MADV_DONTFORK) < 0) {
		int ret = -errno;

		munmap(m, size);
		return ret;
	}
	*map = m;
	*len = size;
	return 0;
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
 * Wire up connection @c: our memfd's mapping @own (read-write) and the
 * peer's @peer (read-only), our bells, and the peer's bell views, into
 * which we add our end of the socket (hang-up, level):
 *   rx.wait_fd = rx.bell_fd  {peer's data bell (edge), socket}  blocking recv
 *   tx.wait_fd = tx.bell_fd  {peer's room bell (edge), socket}  blocking send
 *   poll_fd                  {both of those (level)}             kipc_fd()
 * A sleep is one epoll_wait() that also takes the edge it wakes on, and the
 * receiving and the sending thread never steal each other's wake-ups. The
 * peer holds these epoll fds too but cannot take our socket out of them:
 * EPOLL_CTL_DEL needs an fd for our file, which it never gets. It can add
 * fds of its own, which at worst wakes us for nothing.
 * Takes over every fd and both mappings, also on failure.
 */
int kipc__shm_setup(struct kipc_conn *c, int sock, void *own, size_t own_len,
		    void *peer, size_t peer_len, const uint32_t ring_bytes[2],
		    uint64_t formats, const int bell[2], const int peer_view[2])
{
	struct kipc_shared_hdr h;
	uint8_t *o = own, *p = peer;
	int s = c->side, r = 1 - c->side, ret;

	c->fd = sock;
	c->map[0] = peer;
	c->map_len[0] = peer_len;
	c->map[1] = own;
	c->map_len[1] = own_len;
	c->tx.kick_fd = bell[0];
	c->rx.kick_fd = bell[1];
	c->rx.bell_fd = c->rx.wait_fd = peer_view[0];
	c->tx.bell_fd = c->tx.wait_fd = peer_view[1];
	ret = kipc__anon_fd_check(peer_view[0]);
	if (!ret)
		ret = kipc__anon_fd_check(peer_view[1]);
	if (ret)
		return ret;

	/* Each memfd is its writer's OWN view: the index page (its producer
	 * line, its consumer line), then the data of the ring it sends on.
	 */
	shm_layout(&h, ring_bytes);
	kipc_ring_init(&c->tx.ring, o + h.own_data_off, h.ring[s].size,
		       (struct kipc_prod *)(o + KIPC_PROD_LINE_OFF),
		       (struct kipc_cons *)(p + KIPC_CONS_LINE_OFF));
	kipc_ring_init(&c->rx.ring, p + h.own_data_off, h.ring[r].size,
		       (struct kipc_prod *)(p + KIPC_PROD_LINE_OFF),
		       (struct kipc_cons *)(o + KIPC_CONS_LINE_OFF));
	/* The formats both sides have: checked against ours by the server
	 * (SETUP), offered by it and masked with ours by the client.
	 */
	kipc__conn_formats(c, formats);

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
		&c->poll_fd, &c->tx.kick_fd, &c->rx.kick_fd,
	};
	size_t i;

	for (i = 0; i < 2; i++)
		if (c->map[i])
			munmap(c->map[i], c->map_len[i]);
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	/* The peer's views: what it passed, checked or (on a failed set-up)
	 * not, must not linger in our close.
	 */
	if (c->tx.bell_fd >= 0)
		kipc__close_peer_fd(c->tx.bell_fd);
	if (c->rx.bell_fd >= 0)
		kipc__close_peer_fd(c->rx.bell_fd);
	kipc__sock_close(c);
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
