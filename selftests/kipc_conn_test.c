// SPDX-License-Identifier: GPL-2.0
/*
 * kipc connection setup and ring mappings: CONNECT/ACCEPT blocking and
 * non-blocking, backlog, listener readiness, CONN_INFO and peer
 * credentials; the two mmap views, their page roles (each side writes only
 * what it owns) and what fork, mremap, munmap and mprotect may do to them.
 */
#include <sys/epoll.h>
#include <sys/resource.h>

#include "kipc_test.h"

FIXTURE(conn) {
	struct kt_pair p;
	struct kipc_version v;
};

FIXTURE_SETUP(conn)
{
	ASSERT_EQ(0, kt_pair_open(&self->p, 0, 0));
	ASSERT_EQ(0, kt_version(self->p.lfd, &self->v));
}

FIXTURE_TEARDOWN(conn)
{
	kt_pair_close(&self->p);
}

/* --- ACCEPT and CONNECT --- */

TEST_F(conn, accept_nonblock_flag_empty_queue_eagain)
{
	EXPECT_EQ(-EAGAIN, kt_accept(self->p.lfd, KIPC_ACCEPT_NONBLOCK, NULL));
}

TEST_F(conn, accept_on_o_nonblock_listener_empty_queue_eagain)
{
	ASSERT_EQ(0, fcntl(self->p.lfd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kt_accept(self->p.lfd, 0, NULL));
}

TEST_F(conn, accept_blocks_until_a_client_connects)
{
	struct kt_bg bg = { .fn = kt_bg_accept, .fd = self->p.lfd };
	int cfd, sfd;

	ASSERT_EQ(0, kt_bg_start(&bg));
	cfd = kt_new_client(self->p.name, 0);
	ASSERT_LE(0, cfd);
	sfd = kt_bg_join(&bg, kt_wait_ms());
	ASSERT_LE(0, sfd) TH_LOG("blocked ACCEPT: %s", strerror(-sfd));
	close(sfd);
	close(cfd);
}

static void kt_on_usr1(int sig)
{
	(void)sig;
}

TEST_F(conn, blocked_accept_interrupted_by_signal_eintr)
{
	struct sigaction sa = { .sa_handler = kt_on_usr1 };	/* no SA_RESTART */
	struct kt_bg bg = { .fn = kt_bg_accept, .fd = self->p.lfd };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, kt_bg_start(&bg));
	ASSERT_EQ(0, pthread_kill(bg.th, SIGUSR1));
	EXPECT_EQ(-EINTR, kt_bg_join(&bg, kt_wait_ms()));
}

TEST_F(conn, accept_returns_cloexec_fd)
{
	int cfd = kt_new_client(self->p.name, 0), sfd, fl;

	ASSERT_LE(0, cfd);
	sfd = kt_accept(self->p.lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	ASSERT_LE(0, sfd);
	fl = fcntl(sfd, F_GETFD);
	EXPECT_TRUE(fl & FD_CLOEXEC);
	close(sfd);
	close(cfd);
}

TEST_F(conn, accept_takes_the_oldest_connection_first)
{
	struct kipc_conn_info ci[3], si;
	int cfd[3], sfd, i;

	for (i = 0; i < 3; i++) {
		cfd[i] = kt_new_client(self->p.name, 0);
		ASSERT_LE(0, cfd[i]);
		ASSERT_EQ(0, kt_conn_info(cfd[i], &ci[i]));
	}
	for (i = 0; i < 3; i++) {
		sfd = kt_accept(self->p.lfd, KIPC_ACCEPT_NONBLOCK, NULL);
		ASSERT_LE(0, sfd);
		ASSERT_EQ(0, kt_conn_info(sfd, &si));
		EXPECT_EQ(ci[i].conn_id, si.conn_id);
		close(sfd);
	}
	for (i = 0; i < 3; i++)
		close(cfd[i]);
}

TEST_F(conn, accept_out_of_fds_emfile_keeps_connection_queued)
{
	struct kipc_conn_info ci, si;
	struct rlimit rl, low;
	int cfd, sfd;

	cfd = kt_new_client(self->p.name, 0);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, kt_conn_info(cfd, &ci));
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	/* No free fd below the limit: lower it to just above the highest
	 * open fd, then fill the holes.
	 */
	low = rl;
	low.rlim_cur = kt_max_fd() + 1;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
	while (dup(self->p.lfd) >= 0)
		;
	ASSERT_EQ(EMFILE, errno);
	EXPECT_EQ(-EMFILE, kt_accept(self->p.lfd, KIPC_ACCEPT_NONBLOCK, NULL));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	sfd = kt_accept(self->p.lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, kt_conn_info(sfd, &si));
	EXPECT_EQ(ci.conn_id, si.conn_id);
}

TEST(backlog_full_nonblocking_connect_eagain)
{
	char name[KIPC_NAME_MAX];
	int lfd, c[2], fd, sfd;

	kt_name(name, "backlog");
	lfd = kt_new_listener(name, 0600, 0, 0, 2);
	ASSERT_LE(0, lfd);
	c[0] = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	c[1] = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	ASSERT_LE(0, c[0]);
	ASSERT_LE(0, c[1]);
	fd = kt_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EAGAIN, kt_connect(fd, name, KIPC_CONNECT_NONBLOCK));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kt_connect(fd, name, 0));
	/* Accepting one makes room; the fd is still unbound. */
	sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(0, kt_connect(fd, name, 0));
	close(fd);
	close(sfd);
	close(c[0]);
	close(c[1]);
	close(lfd);
}

TEST(connect_blocks_while_backlog_full_until_accept)
{
	char name[KIPC_NAME_MAX];
	struct kt_bg bg = { .fn = kt_bg_connect, .arg = name };
	int lfd, c1, sfd, ret;

	kt_name(name, "block");
	lfd = kt_new_listener(name, 0600, 0, 0, 1);
	ASSERT_LE(0, lfd);
	c1 = kt_new_client(name, 0);
	ASSERT_LE(0, c1);
	bg.fd = kt_open();
	ASSERT_LE(0, bg.fd);
	ASSERT_EQ(0, kt_bg_start(&bg));
	sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	ASSERT_LE(0, sfd);
	ret = kt_bg_join(&bg, kt_wait_ms());
	EXPECT_EQ(0, ret) TH_LOG("blocked CONNECT: %s", strerror(-ret));
	close(sfd);
	close(bg.fd);
	close(c1);
	close(lfd);
}

TEST(connect_blocked_on_full_backlog_listener_closed_econnrefused)
{
	char name[KIPC_NAME_MAX];
	struct kt_bg bg = { .fn = kt_bg_connect, .arg = name };
	int lfd, c1;

	kt_name(name, "refused");
	lfd = kt_new_listener(name, 0600, 0, 0, 1);
	ASSERT_LE(0, lfd);
	c1 = kt_new_client(name, 0);
	ASSERT_LE(0, c1);
	bg.fd = kt_open();
	ASSERT_LE(0, bg.fd);
	ASSERT_EQ(0, kt_bg_start(&bg));
	close(lfd);
	EXPECT_EQ(-ECONNREFUSED, kt_bg_join(&bg, kt_wait_ms()));
	close(bg.fd);
	close(c1);
}

TEST(blocked_connect_interrupted_by_signal_eintr_leaves_fd_unbound)
{
	struct sigaction sa = { .sa_handler = kt_on_usr1 };	/* no SA_RESTART */
	char name[KIPC_NAME_MAX];
	struct kt_bg bg = { .fn = kt_bg_connect, .arg = name };
	int lfd, c1, sfd;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	kt_name(name, "eintr");
	lfd = kt_new_listener(name, 0600, 0, 0, 1);
	ASSERT_LE(0, lfd);
	c1 = kt_new_client(name, 0);
	ASSERT_LE(0, c1);
	bg.fd = kt_open();
	ASSERT_LE(0, bg.fd);
	ASSERT_EQ(0, kt_bg_start(&bg));
	ASSERT_EQ(0, pthread_kill(bg.th, SIGUSR1));
	EXPECT_EQ(-EINTR, kt_bg_join(&bg, kt_wait_ms()));
	/* Nothing was queued, and the fd can still connect. */
	sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(-EAGAIN, kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL));
	EXPECT_EQ(0, kt_connect(bg.fd, name, KIPC_CONNECT_NONBLOCK));
	close(sfd);
	close(bg.fd);
	close(c1);
	close(lfd);
}

/* --- listener readiness --- */

TEST_F(conn, listener_polls_readable_only_while_a_connection_waits)
{
	int cfd, sfd;

	EXPECT_EQ(0, kt_poll1(self->p.lfd, POLLIN, 0));
	cfd = kt_new_client(self->p.name, 0);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(POLLIN, kt_poll1(self->p.lfd, POLLIN, 0) & (POLLIN | POLLERR));
	sfd = kt_accept(self->p.lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(0, kt_poll1(self->p.lfd, POLLIN, 0));
	close(sfd);
	close(cfd);
}

TEST_F(conn, connect_wakes_listener_poll_waiter)
{
	struct kt_bg bg = { .fn = kt_bg_poll, .fd = self->p.lfd,
			    .events = POLLIN, .timeout_ms = kt_wait_ms() };
	int cfd, rev;

	ASSERT_EQ(0, kt_bg_start(&bg));
	cfd = kt_new_client(self->p.name, 0);
	ASSERT_LE(0, cfd);
	rev = kt_bg_join(&bg, kt_wait_ms() + 1000);
	EXPECT_EQ(POLLIN, rev) TH_LOG("poll on listener: %d", rev);
	close(cfd);
}

TEST_F(conn, listener_epoll_reports_waiting_connection)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC), cfd;

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->p.lfd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	cfd = kt_new_client(self->p.name, 0);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, kt_wait_ms()));
	EXPECT_TRUE(out.events & EPOLLIN);
	close(cfd);
	close(ep);
}

/* --- CONN_INFO and credentials --- */

TEST_F(conn, conn_info_describes_both_sides_of_one_connection)
{
	struct kipc_conn_info c, s;
	uint32_t pg = self->v.page_size;

	ASSERT_EQ(0, kt_conn_info(self->p.cfd, &c));
	ASSERT_EQ(0, kt_conn_info(self->p.sfd, &s));
	EXPECT_EQ(KIPC_SIDE_CLIENT, c.side);
	EXPECT_EQ(KIPC_SIDE_SERVER, s.side);
	EXPECT_EQ(c.conn_id, s.conn_id);
	EXPECT_EQ(c.ring_bytes[0], s.ring_bytes[0]);
	EXPECT_EQ(c.ring_bytes[1], s.ring_bytes[1]);
	EXPECT_EQ(c.shared_map_bytes, s.shared_map_bytes);
	/* Header page, two index pages, both data areas. */
	EXPECT_LE(3ull * pg + c.ring_bytes[0] + c.ring_bytes[1],
		  c.shared_map_bytes);
	/* An index page plus the data of the ring the side produces. */
	EXPECT_LE((uint64_t)pg + c.ring_bytes[KIPC_RING_C2S], c.own_map_bytes);
	EXPECT_LE((uint64_t)pg + s.ring_bytes[KIPC_RING_S2C], s.own_map_bytes);
	EXPECT_GT(c.shared_map_bytes, c.own_map_bytes);
	EXPECT_EQ(KIPC_STATE_ACCEPTED, c.state);
	EXPECT_EQ(KIPC_STATE_ACCEPTED, s.state);
}

TEST_F(conn, conn_info_state_accepted_only_after_accept)
{
	struct kipc_conn_info ci;
	int cfd = kt_new_client(self->p.name, 0), sfd;

	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, kt_conn_info(cfd, &ci));
	EXPECT_EQ(0, ci.state);
	sfd = kt_accept(self->p.lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, kt_conn_info(cfd, &ci));
	EXPECT_EQ(KIPC_STATE_ACCEPTED, ci.state);
	close(sfd);
	close(cfd);
}

TEST_F(conn, conn_ids_are_unique)
{
	struct kipc_conn_info a, b;
	int cfd = kt_new_client(self->p.name, 0);

	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, kt_conn_info(cfd, &a));
	ASSERT_EQ(0, kt_conn_info(self->p.cfd, &b));
	EXPECT_NE(a.conn_id, b.conn_id);
	close(cfd);
}

/* The client is another process; each side must see the other's pid. */
TEST_F(conn, peer_credentials_visible_both_ways)
{
	struct kipc_conn_info si;
	struct kipc_peer peer;
	int go[2], sfd, st;
	pid_t pid;

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_conn_info ci;
		int cfd = kt_new_client(self->p.name, 0);

		if (cfd < 0 || kt_conn_info(cfd, &ci))
			_exit(10);
		if (ci.peer.pid != getppid() || ci.peer.uid != getuid() ||
		    ci.peer.gid != getgid() || ci.peer.__reserved)
			_exit(11);
		/* Keep the connection until the server has looked. */
		kt_expect(go[0], kt_wait_ms());
		_exit(0);
	}
	sfd = kt_accept(self->p.lfd, 0, &peer);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(pid, peer.pid);
	EXPECT_EQ(getuid(), peer.uid);
	EXPECT_EQ(getgid(), peer.gid);
	ASSERT_EQ(0, kt_conn_info(sfd, &si));
	EXPECT_EQ(pid, si.peer.pid);
	kt_post(go[1], 'x');
	st = kt_wait_exit(pid, kt_wait_ms());
	EXPECT_EQ(0, st) TH_LOG("client child: %d", st);
	close(sfd);
}

/* --- the two views --- */

FIXTURE(maps) {
	struct kt_pair p;
	struct kt_end c, s;	/* both sides mapped */
	uint32_t pg;
};

FIXTURE_SETUP(maps)
{
	self->pg = kt_page();
	ASSERT_EQ(0, kt_pair_open(&self->p, 0, 0));
	ASSERT_EQ(0, kt_end_map(&self->c, self->p.cfd));
	ASSERT_EQ(0, kt_end_map(&self->s, self->p.sfd));
}

FIXTURE_TEARDOWN(maps)
{
	kt_end_unmap(&self->c);
	kt_end_unmap(&self->s);
	kt_pair_close(&self->p);
}

static void *kt_map(int fd, size_t len, int prot, int flags, off_t off)
{
	return mmap(NULL, len, prot, flags, fd, off);
}

TEST_F(maps, header_passes_check_and_matches_conn_info)
{
	struct kt_end *ends[] = { &self->c, &self->s };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct kt_end *e = ends[i];
		const struct kipc_shared_hdr *h = &e->hdr;

		EXPECT_EQ(sizeof(struct kipc_shared_hdr), h->hdr_size);
		EXPECT_EQ(self->pg, h->page_size);
		EXPECT_EQ(e->info.shared_map_bytes, h->shared_map_bytes);
		EXPECT_EQ(e->info.own_map_bytes, h->own_map_bytes[e->side]);
		EXPECT_EQ(e->info.ring_bytes[0], h->ring[0].size);
		EXPECT_EQ(e->info.ring_bytes[1], h->ring[1].size);
		EXPECT_EQ(e->info.conn_id, h->conn_id);
		EXPECT_EQ(e->info.state, h->state);
		EXPECT_EQ(e->info.features, h->features);
		EXPECT_EQ(0, ((const struct kipc_shared_hdr *)e->shared)->__reserved);
	}
	/* Both sides see one object. */
	EXPECT_EQ(0, memcmp(self->c.shared, self->s.shared,
			    sizeof(struct kipc_shared_hdr)));
	EXPECT_EQ(self->c.hdr.own_map_bytes[KIPC_SIDE_SERVER], self->s.own_len);
}

TEST_F(maps, layout_follows_the_documented_page_order)
{
	const struct kipc_shared_hdr *h = &self->c.hdr;
	uint32_t pg = self->pg;
	unsigned int s;

	for (s = 0; s < 2; s++) {
		/* Side s's index page: its producer line for ring s and its
		 * consumer line for ring 1 - s.
		 */
		EXPECT_EQ((1 + s) * pg + KIPC_PROD_LINE_OFF, h->ring[s].prod_off);
		EXPECT_EQ((1 + s) * pg + KIPC_CONS_LINE_OFF,
			  h->ring[1 - s].cons_off);
	}
	EXPECT_LE(3 * pg, h->ring[0].data_off);
	EXPECT_LE(h->ring[0].data_off + h->ring[0].size, h->ring[1].data_off);
	EXPECT_EQ(0, h->ring[0].data_off % pg);
	EXPECT_EQ(0, h->ring[1].data_off % pg);
	EXPECT_LE(self->c.own_len,
		  (size_t)h->own_data_off + h->ring[KIPC_SIDE_CLIENT].size + pg);
}

TEST_F(maps, ring_memory_starts_zeroed)
{
	const struct kipc_shared_hdr *h = &self->c.hdr;
	size_t i;

	/* The header page past the header, the index pages, both rings. */
	for (i = h->hdr_size; i < self->c.shared_len; i++)
		ASSERT_EQ(0, self->c.shared[i]) TH_LOG("byte %zu", i);
}

/* Page roles: what a side writes in its own view is exactly what both
 * shared views show at its index page and its tx ring's data.
 */
static int check_own_aliases(struct kt_end *w, struct kt_end *peer,
			     uint8_t seed)
{
	const struct kipc_shared_hdr *h = &w->hdr;
	uint32_t pg = h->page_size, n = h->ring[w->side].size, i;
	uint8_t *idx_in[2] = { w->shared + (1 + w->side) * pg,
			       peer->shared + (1 + w->side) * pg };
	uint8_t *data_in[2] = { w->shared + h->ring[w->side].data_off,
				peer->shared + h->ring[w->side].data_off };
	struct kipc_index_page *own = (struct kipc_index_page *)w->own;
	int v;

	/* Index page: the padding words only, so no index moves. */
	for (i = 0; i < 29; i++) {
		own->prod.__pad[i] = seed + i;
		own->cons.__pad[i] = seed + 100 + i;
	}
	for (v = 0; v < 2; v++) {
		const struct kipc_index_page *seen = (void *)idx_in[v];

		for (i = 0; i < 29; i++)
			if (seen->prod.__pad[i] != (uint32_t)(seed + i) ||
			    seen->cons.__pad[i] != (uint32_t)(seed + 100 + i))
				return 1 + v;
	}
	for (i = 0; i < n; i++)
		w->own[h->own_data_off + i] = (uint8_t)(seed + i * 7);
	for (v = 0; v < 2; v++)
		for (i = 0; i < n; i++)
			if (data_in[v][i] != (uint8_t)(seed + i * 7))
				return 3 + v;
	return 0;
}

TEST_F(maps, own_view_is_what_the_peer_sees_in_its_shared_view)
{
	EXPECT_EQ(0, check_own_aliases(&self->c, &self->s, 0x11));
	EXPECT_EQ(0, check_own_aliases(&self->s, &self->c, 0x77));
}

TEST_F(maps, view_with_wrong_length_einval)
{
	size_t sl = self->c.shared_len, ol = self->c.own_len, pg = self->pg;
	struct { size_t len; off_t off; int prot; } bad[] = {
		{ sl - pg, KIPC_MMAP_SHARED, PROT_READ },
		{ sl + pg, KIPC_MMAP_SHARED, PROT_READ },
		{ pg, KIPC_MMAP_SHARED, PROT_READ },
		{ ol - pg, KIPC_MMAP_OWN, PROT_READ | PROT_WRITE },
		{ ol + pg, KIPC_MMAP_OWN, PROT_READ | PROT_WRITE },
		{ sl, KIPC_MMAP_OWN, PROT_READ | PROT_WRITE },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t len = bad[i].len;
		void *p = kt_map(self->p.cfd, len, bad[i].prot, MAP_SHARED,
				 bad[i].off);

		EXPECT_EQ(MAP_FAILED, p) TH_LOG("case %u len %zu", i, len);
		if (p == MAP_FAILED) {
			EXPECT_EQ(EINVAL, errno);
		} else {
			munmap(p, len);
		}
	}
}

TEST_F(maps, view_at_unknown_offset_einval)
{
	off_t offs[] = { self->pg, 2 * self->pg, KIPC_MMAP_OWN + self->pg,
			 KIPC_MMAP_OWN / 2, 2 * KIPC_MMAP_OWN, 0x80000000LL,
			 1LL << 40 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		off_t off = offs[i];
		void *p = kt_map(self->p.cfd, self->pg, PROT_READ, MAP_SHARED, off);

		EXPECT_EQ(MAP_FAILED, p) TH_LOG("offset %#llx", (long long)off);
		if (p == MAP_FAILED) {
			EXPECT_EQ(EINVAL, errno);
		} else {
			munmap(p, self->pg);
		}
	}
}

TEST_F(maps, private_mapping_einval)
{
	void *p;

	p = kt_map(self->p.cfd, self->c.shared_len, PROT_READ, MAP_PRIVATE,
		   KIPC_MMAP_SHARED);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = kt_map(self->p.cfd, self->c.own_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE, KIPC_MMAP_OWN);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(maps, writable_shared_view_eacces)
{
	void *p = kt_map(self->p.cfd, self->c.shared_len,
			 PROT_READ | PROT_WRITE, MAP_SHARED, KIPC_MMAP_SHARED);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
}

TEST_F(maps, mprotect_cannot_make_shared_view_writable)
{
	EXPECT_EQ(-1, mprotect(self->c.shared, self->c.shared_len,
			       PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
}

TEST_F(maps, non_connection_fd_cannot_be_mapped)
{
	int fresh = kt_open();
	void *p;

	ASSERT_LE(0, fresh);
	p = kt_map(fresh, self->pg, PROT_READ, MAP_SHARED, KIPC_MMAP_SHARED);
	EXPECT_EQ(MAP_FAILED, p);
	p = kt_map(self->p.lfd, self->pg, PROT_READ, MAP_SHARED, KIPC_MMAP_SHARED);
	EXPECT_EQ(MAP_FAILED, p);
	close(fresh);
}

/* Child processes write into read-only pages and must die of SIGSEGV. */
static void write_and_exit(volatile uint8_t *p)
{
	*p = 0x5a;
	_exit(0);
}

TEST_F(maps, writing_header_or_peer_pages_segfaults)
{
	const struct kipc_shared_hdr *h = &self->c.hdr;
	size_t offs[] = {
		0,						/* header */
		(1 + KIPC_SIDE_SERVER) * self->pg,		/* peer's index page */
		(1 + KIPC_SIDE_CLIENT) * self->pg,		/* ours, via shared */
		h->ring[KIPC_RING_S2C].data_off,		/* peer's data */
		h->ring[KIPC_RING_C2S].data_off,		/* ours, via shared */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		size_t off = offs[i];
		pid_t pid = kt_fork();
		int st;

		ASSERT_LE(0, pid);
		if (pid == 0) {
			uint8_t *sh = kt_map(self->p.cfd, self->c.shared_len,
					     PROT_READ, MAP_SHARED,
					     KIPC_MMAP_SHARED);

			if (sh == MAP_FAILED)
				_exit(10);
			write_and_exit(sh + off);
		}
		st = kt_wait_exit(pid, kt_wait_ms());
		EXPECT_EQ(-1000 - SIGSEGV, st) TH_LOG("offset %zu", off);
	}
	/* Nothing changed. */
	EXPECT_EQ(KIPC_MAGIC, ((const struct kipc_shared_hdr *)self->c.shared)->magic);
}

/* --- fork, mremap, munmap, mprotect --- */

TEST_F(maps, fork_child_does_not_inherit_views)
{
	uint8_t *views[] = { self->c.shared, self->c.own };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(views); i++) {
		volatile uint8_t *p = views[i];
		pid_t pid = kt_fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			(void)*p;
			_exit(0);
		}
		EXPECT_EQ(-1000 - SIGSEGV, kt_wait_exit(pid, kt_wait_ms()))
			TH_LOG("view %u readable in the child", i);
	}
}

TEST_F(maps, fork_child_maps_views_again_from_inherited_fd)
{
	uint32_t off = self->c.hdr.own_data_off;
	pid_t pid = kt_fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kt_end e;

		if (kt_end_map(&e, self->p.cfd))
			_exit(10);
		if (e.hdr.conn_id != self->c.hdr.conn_id)
			_exit(11);
		memcpy(e.own + off, "child", 5);
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_exit(pid, kt_wait_ms()));
	/* Same pages: the parent sees the child's write in both views. */
	EXPECT_EQ(0, memcmp(self->c.own + off, "child", 5));
	EXPECT_EQ(0, memcmp(self->s.shared +
			    self->s.hdr.ring[KIPC_RING_C2S].data_off, "child", 5));
}

/* An address range of @len that is free right now. */
static void *kt_free_range(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len);
	return p;
}

TEST_F(maps, mremap_moves_whole_views)
{
	uint32_t off = self->c.hdr.own_data_off;
	void *to, *moved;

	to = kt_free_range(self->c.shared_len);
	ASSERT_NE(NULL, to);
	moved = mremap(self->c.shared, self->c.shared_len, self->c.shared_len,
		       MREMAP_MAYMOVE | MREMAP_FIXED, to);
	ASSERT_EQ(to, moved) TH_LOG("mremap shared: %s", strerror(errno));
	self->c.shared = moved;

	to = kt_free_range(self->c.own_len);
	ASSERT_NE(NULL, to);
	moved = mremap(self->c.own, self->c.own_len, self->c.own_len,
		       MREMAP_MAYMOVE | MREMAP_FIXED, to);
	ASSERT_EQ(to, moved) TH_LOG("mremap own: %s", strerror(errno));
	self->c.own = moved;

	/* Still the same pages, still the same roles. */
	EXPECT_EQ(KIPC_MAGIC, ((struct kipc_shared_hdr *)self->c.shared)->magic);
	memcpy(self->c.own + off, "moved", 5);
	EXPECT_EQ(0, memcmp(self->c.shared + self->c.hdr.ring[0].data_off,
			    "moved", 5));
	EXPECT_EQ(0, memcmp(self->s.shared + self->s.hdr.ring[0].data_off,
			    "moved", 5));
}

TEST_F(maps, mremap_cannot_grow_a_view)
{
	void *p;

	p = mremap(self->c.shared, self->c.shared_len,
		   self->c.shared_len + self->pg, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	p = mremap(self->c.own, self->c.own_len, self->c.own_len + self->pg,
		   MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(KIPC_MAGIC, ((struct kipc_shared_hdr *)self->c.shared)->magic);
}

TEST_F(maps, mremap_shrink_einval)
{
	void *p;

	p = mremap(self->c.shared, self->c.shared_len,
		   self->c.shared_len - self->pg, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mremap(self->c.own, self->c.own_len, self->c.own_len - self->pg, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(maps, partial_munmap_einval)
{
	struct { uint8_t *base; size_t len; } v[] = {
		{ self->c.shared, self->c.shared_len },
		{ self->c.own, self->c.own_len },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		uint8_t *b = v[i].base;
		size_t len = v[i].len, pg = self->pg;

		EXPECT_EQ(-1, munmap(b, pg)) TH_LOG("view %u head", i);
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, munmap(b + len - pg, pg)) TH_LOG("view %u tail", i);
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, munmap(b, len - pg)) TH_LOG("view %u all but one", i);
		EXPECT_EQ(EINVAL, errno);
	}
	/* Still whole. */
	EXPECT_EQ(KIPC_MAGIC, ((struct kipc_shared_hdr *)self->c.shared)->magic);
	self->c.own[self->c.own_len - 1] = 1;
}

TEST_F(maps, mprotect_of_part_of_a_view_einval)
{
	EXPECT_EQ(-1, mprotect(self->c.own, self->pg, PROT_READ));
	EXPECT_EQ(EINVAL, errno);
	self->c.own[0] = self->c.own[0];	/* still writable */
}

/* kmod/README settles what the header leaves open for the other calls. */

TEST_F(maps, mprotect_of_a_whole_view_works_within_its_rights)
{
	uint32_t off = self->c.hdr.own_data_off;

	ASSERT_EQ(0, mprotect(self->c.own, self->c.own_len, PROT_READ));
	ASSERT_EQ(0, mprotect(self->c.own, self->c.own_len,
			      PROT_READ | PROT_WRITE));
	self->c.own[off] = 0x42;
	EXPECT_EQ(0x42, self->s.shared[self->s.hdr.ring[KIPC_RING_C2S].data_off]);
	EXPECT_EQ(0, mprotect(self->c.shared, self->c.shared_len, PROT_NONE));
	EXPECT_EQ(0, mprotect(self->c.shared, self->c.shared_len, PROT_READ));
	EXPECT_EQ(KIPC_MAGIC, ((struct kipc_shared_hdr *)self->c.shared)->magic);
}

TEST_F(maps, executable_view_eacces)
{
	void *p;

	p = kt_map(self->p.cfd, self->c.shared_len, PROT_READ | PROT_EXEC,
		   MAP_SHARED, KIPC_MMAP_SHARED);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	p = kt_map(self->p.cfd, self->c.own_len, PROT_READ | PROT_EXEC,
		   MAP_SHARED, KIPC_MMAP_OWN);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(self->c.own, self->c.own_len,
			       PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
}

TEST_F(maps, mremap_dontunmap_einval)
{
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
	void *p = mremap(self->c.own, self->c.own_len, self->c.own_len,
			 MREMAP_MAYMOVE | MREMAP_DONTUNMAP);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(maps, madvise_dontneed_faults_the_same_pages_back)
{
	uint32_t off = self->c.hdr.own_data_off;
	size_t peer_off = self->s.hdr.ring[KIPC_RING_C2S].data_off;

	memcpy(self->c.own + off, "before", 6);
	ASSERT_EQ(0, madvise(self->c.own, self->c.own_len, MADV_DONTNEED));
	ASSERT_EQ(0, madvise(self->s.shared, self->s.shared_len, MADV_DONTNEED));
	EXPECT_EQ(0, memcmp(self->c.own + off, "before", 6));
	EXPECT_EQ(0, memcmp(self->s.shared + peer_off, "before", 6));
	memcpy(self->c.own + off, "after!", 6);
	EXPECT_EQ(0, memcmp(self->s.shared + peer_off, "after!", 6));
	EXPECT_EQ(KIPC_MAGIC, ((struct kipc_shared_hdr *)self->s.shared)->magic);
}

TEST_F(maps, mlock_of_views_succeeds)
{
	EXPECT_EQ(0, mlock(self->c.own, self->c.own_len));
	EXPECT_EQ(0, mlock(self->c.shared, self->c.shared_len));
	EXPECT_EQ(0, munlock(self->c.own, self->c.own_len));
	EXPECT_EQ(0, munlock(self->c.shared, self->c.shared_len));
}

/* A client fd opened O_RDONLY: connected like any other. */
static int read_only_client(const char *name, struct kipc_conn_info *ci)
{
	int fd = open(KT_DEV, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (kt_connect(fd, name, 0) || kt_conn_info(fd, ci)) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

TEST_F(maps, read_only_fd_cannot_map_own_view_writable)
{
	struct kipc_conn_info ci;
	int fd = read_only_client(self->p.name, &ci);
	void *p;

	ASSERT_LE(0, fd);
	p = kt_map(fd, ci.own_map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		   KIPC_MMAP_OWN);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	close(fd);
}

/* MAP_SHARED, PROT_READ is all the shared view asks for; on a read-only
 * file the core turns MAP_SHARED into VM_MAYSHARE without VM_SHARED.
 */
TEST_F(maps, read_only_fd_maps_the_shared_view)
{
	struct kipc_conn_info ci;
	int fd = read_only_client(self->p.name, &ci);
	void *p;

	ASSERT_LE(0, fd);
	p = kt_map(fd, ci.shared_map_bytes, PROT_READ, MAP_SHARED,
		   KIPC_MMAP_SHARED);
	EXPECT_NE(MAP_FAILED, p) TH_LOG("shared view: %s", strerror(errno));
	if (p != MAP_FAILED) {
		EXPECT_EQ(KIPC_MAGIC, ((struct kipc_shared_hdr *)p)->magic);
		munmap(p, ci.shared_map_bytes);
	}
	close(fd);
}

TEST_F(maps, munmap_of_a_whole_view_succeeds)
{
	EXPECT_EQ(0, munmap(self->c.own, self->c.own_len));
	self->c.own = NULL;
	EXPECT_EQ(0, munmap(self->c.shared, self->c.shared_len));
	self->c.shared = NULL;
	/* And the fd maps again. */
	EXPECT_EQ(0, kt_end_map(&self->c, self->p.cfd));
}

TEST_HARNESS_MAIN
