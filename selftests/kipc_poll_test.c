// SPDX-License-Identifier: GPL-2.0
/*
 * kipc readiness and doorbell: POLLIN/POLLOUT computed from the ring
 * indices (need-aware POLLOUT), epoll level and edge triggering, KICK
 * waking the peer's waiters in other threads and processes, eventfds
 * attached with SET_EVENTFD, and io_uring: POLL_ADD (single and multishot)
 * on a connection fd and IORING_OP_URING_CMD with KIPC_URING_CMD_KICK.
 */
#include <liburing.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "kipc_test.h"

FIXTURE(poll) {
	struct kt_pair p;
	struct kt_end c, s;
	struct kipc_version v;
};

FIXTURE_SETUP(poll)
{
	ASSERT_EQ(0, kt_pair_open(&self->p, 0, 0));
	ASSERT_EQ(0, kt_version(self->p.lfd, &self->v));
	ASSERT_EQ(0, kt_end_map(&self->c, self->p.cfd));
	ASSERT_EQ(0, kt_end_map(&self->s, self->p.sfd));
}

FIXTURE_TEARDOWN(poll)
{
	kt_end_unmap(&self->c);
	kt_end_unmap(&self->s);
	kt_pair_close(&self->p);
}

#define KT_RW	(POLLIN | POLLOUT)

/* Publish one small message on @e without any doorbell. */
static int publish_one(struct kt_end *e, uint32_t len)
{
	void *p;
	int ret = kipc_ring_reserve(&e->tx, len, &p);

	if (ret)
		return ret;
	memset(p, 0x5a, len);
	kipc_ring_commit(&e->tx);
	kipc_ring_publish(&e->tx);
	return 0;
}

/* Consume and release one message on @e without any doorbell. */
static int consume_one(struct kt_end *e)
{
	const void *p;
	uint32_t len;
	int ret = kipc_ring_peek(&e->rx, &p, &len);

	if (ret)
		return ret;
	kipc_ring_consume(&e->rx);
	kipc_ring_release(&e->rx);
	return 0;
}

static int eventfd_count(int efd, uint64_t *val)
{
	*val = 0;
	if (read(efd, val, sizeof(*val)) == sizeof(*val))
		return 0;
	return -errno;
}

/* --- poll() --- */

TEST_F(poll, fresh_connection_writable_not_readable)
{
	EXPECT_EQ(POLLOUT, kt_poll1(self->p.cfd, KT_RW, 0));
	EXPECT_EQ(POLLOUT, kt_poll1(self->p.sfd, KT_RW, 0));
}

/* Nothing to report yet, but the poll waits (issue 8, item 7). */
TEST(unbound_fd_polls_nothing)
{
	int fd = kt_open();

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, kt_poll1(fd, KT_RW, 0));
	close(fd);
}

/* epoll registers its wait once, at EPOLL_CTL_ADD: one added before
 * LISTEN must still hear the first connection, and later ones.
 */
TEST(epoll_armed_before_listen_wakes_on_connect)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char name[KIPC_NAME_MAX];
	int fd = kt_open(), ep, cfd[2], i;

	ASSERT_LE(0, fd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	kt_name(name, "early-ep");
	ASSERT_EQ(0, kt_listen(fd, name, 0600, 0, 0, 0));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	for (i = 0; i < 2; i++) {
		cfd[i] = kt_new_client(name, 0);
		ASSERT_LE(0, cfd[i]);
		EXPECT_EQ(1, epoll_wait(ep, &ev, 1, kt_wait_ms()));
		EXPECT_EQ(EPOLLIN, ev.events);
		close(kt_accept(fd, KIPC_ACCEPT_NONBLOCK, NULL));
		EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
		close(cfd[i]);
	}
	close(ep);
	close(fd);
}

static int bg_epoll_wait(struct kt_bg *bg)
{
	struct epoll_event ev;
	int n = epoll_wait(bg->fd, &ev, 1, bg->timeout_ms);

	return n == 1 ? (int)ev.events : n < 0 ? -errno : 0;
}

/* An epoll armed on a client fd before CONNECT hears the server's kick. */
TEST(epoll_armed_before_connect_wakes_on_peer_kick)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	struct kt_bg bg = { .fn = bg_epoll_wait, .timeout_ms = kt_wait_ms() };
	char name[KIPC_NAME_MAX];
	struct kt_end c, s;
	int lfd, cfd, sfd, rev;

	kt_name(name, "early-cl");
	lfd = kt_new_listener(name, 0600, 0, 0, 0);
	ASSERT_LE(0, lfd);
	cfd = kt_open();
	ASSERT_LE(0, cfd);
	bg.fd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, bg.fd);
	ASSERT_EQ(0, epoll_ctl(bg.fd, EPOLL_CTL_ADD, cfd, &ev));
	ASSERT_EQ(0, kt_connect(cfd, name, 0));
	/* The bind itself woke it: nothing readable, so nothing reported. */
	EXPECT_EQ(0, epoll_wait(bg.fd, &ev, 1, 0));
	sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, kt_end_map(&c, cfd));
	ASSERT_EQ(0, kt_end_map(&s, sfd));
	ASSERT_EQ(0, kt_bg_start(&bg));
	ASSERT_EQ(0, publish_one(&s, 10));
	ASSERT_EQ(0, kt_kick(sfd));
	rev = kt_bg_join(&bg, kt_wait_ms() + 1000);
	EXPECT_TRUE(rev > 0 && (rev & EPOLLIN)) TH_LOG("events %d", rev);
	kt_end_unmap(&c);
	kt_end_unmap(&s);
	close(bg.fd);
	close(sfd);
	close(cfd);
	close(lfd);
}

TEST_F(poll, pollin_only_while_rx_ring_holds_data)
{
	ASSERT_EQ(0, publish_one(&self->c, 10));
	EXPECT_EQ(KT_RW, kt_poll1(self->p.sfd, KT_RW, 0));
	/* Our own tx data does not make us readable. */
	EXPECT_EQ(POLLOUT, kt_poll1(self->p.cfd, KT_RW, 0));
	ASSERT_EQ(0, consume_one(&self->s));
	EXPECT_EQ(POLLOUT, kt_poll1(self->p.sfd, KT_RW, 0));
}

TEST_F(poll, pollout_cleared_while_tx_ring_full)
{
	ASSERT_EQ(4, kt_fill_quarters(&self->c, 100));
	EXPECT_EQ(0, kt_poll1(self->p.cfd, POLLOUT, 0));
	ASSERT_EQ(0, consume_one(&self->s));
	EXPECT_EQ(POLLOUT, kt_poll1(self->p.cfd, POLLOUT, 0));
}

TEST_F(poll, pollout_waits_for_the_room_the_producer_needs)
{
	uint32_t big = kipc_ring_msg_max(&self->c.tx);
	void *payload;

	if (!(self->v.features & KIPC_F_POLL_NEED))
		SKIP(return, "no KIPC_F_POLL_NEED");
	/* Three quarters used: a quarter is free, but the largest message
	 * needs the tail quarter as padding plus half the ring.
	 */
	ASSERT_EQ(3, kt_fill_quarters(&self->c, 3));
	EXPECT_EQ(POLLOUT, kt_poll1(self->p.cfd, POLLOUT, 0));
	ASSERT_EQ(0, kipc_ring_prod_prepare_wait(&self->c.tx, big));
	EXPECT_EQ(0, kt_poll1(self->p.cfd, POLLOUT, 0));
	ASSERT_EQ(0, consume_one(&self->s));	/* half free: not enough */
	EXPECT_EQ(0, kt_poll1(self->p.cfd, POLLOUT, 0));
	ASSERT_EQ(0, consume_one(&self->s));	/* three quarters: enough */
	EXPECT_EQ(POLLOUT, kt_poll1(self->p.cfd, POLLOUT, 0));
	kipc_ring_prod_finish_wait(&self->c.tx);
	EXPECT_EQ(0, kipc_ring_reserve(&self->c.tx, big, &payload));
}

/*
 * KIPC_F_RING_SEQ: records are published by their own header, and head
 * follows. Readiness stays head - tail, and a consumer that took a record
 * before head was stored (tail ahead of head) reads as empty, never as
 * EPOLLERR.
 */
FIXTURE(seq) {
	int lfd, cfd, sfd;
	struct kt_end c, s;
};

FIXTURE_SETUP(seq)
{
	struct kipc_listen l = { .size = sizeof(l), .mode = 0600,
				 .features = KIPC_F_RING_SEQ };
	struct kipc_connect cn = { .size = sizeof(cn),
				   .features = KIPC_F_RING_SEQ };
	struct kipc_version v;

	self->lfd = kt_open();
	self->cfd = kt_open();
	self->sfd = -1;
	ASSERT_LE(0, self->lfd);
	ASSERT_LE(0, self->cfd);
	ASSERT_EQ(0, kt_version(self->lfd, &v));
	if (!(v.features & KIPC_F_RING_SEQ))
		SKIP(return, "no KIPC_F_RING_SEQ");
	kt_name(l.name, "seq");
	ASSERT_EQ(0, kt_ioctl(self->lfd, KIPC_IOC_LISTEN, &l));
	memcpy(cn.name, l.name, KIPC_NAME_MAX);
	ASSERT_EQ(0, kt_ioctl(self->cfd, KIPC_IOC_CONNECT, &cn));
	self->sfd = kt_accept(self->lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	ASSERT_LE(0, self->sfd);
	ASSERT_EQ(0, kt_end_map_formats(&self->c, self->cfd, KIPC_F_RING_SEQ));
	ASSERT_EQ(0, kt_end_map_formats(&self->s, self->sfd, KIPC_F_RING_SEQ));
}

FIXTURE_TEARDOWN(seq)
{
	kt_end_unmap(&self->c);
	kt_end_unmap(&self->s);
	kt_close(&self->sfd);
	kt_close(&self->cfd);
	kt_close(&self->lfd);
}

TEST_F(seq, format_in_use_on_both_sides)
{
	EXPECT_EQ(KIPC_F_RING_SEQ, self->c.info.features);
	EXPECT_EQ(KIPC_F_RING_SEQ, self->s.info.features);
	EXPECT_EQ(KIPC_F_RING_SEQ, self->c.hdr.features);
	EXPECT_TRUE(self->c.tx.seq);
	EXPECT_TRUE(self->s.rx.seq);
}

TEST_F(seq, readiness_exact_while_head_lags)
{
	struct kipc_ring *tx = &self->c.tx;
	const void *p;
	uint32_t len;
	void *w;

	EXPECT_EQ(POLLOUT, kt_poll1(self->sfd, KT_RW, 0));
	ASSERT_EQ(0, publish_one(&self->c, 10));
	EXPECT_EQ(KT_RW, kt_poll1(self->sfd, KT_RW, 0));
	ASSERT_EQ(0, consume_one(&self->s));
	EXPECT_EQ(POLLOUT, kt_poll1(self->sfd, KT_RW, 0));

	/* The header stored, head not yet: the consumer takes the record
	 * and hands the room back, so tail leads head.
	 */
	ASSERT_EQ(0, kipc_ring_reserve(tx, 40, &w));
	memset(w, 0x3c, 40);
	kipc_ring_commit(tx);
	ASSERT_TRUE(tx->gated);
	__atomic_store_n((uint64_t *)(void *)(tx->data + tx->gate_off),
			 tx->gate_word, __ATOMIC_RELEASE);
	ASSERT_EQ(0, kipc_ring_peek(&self->s.rx, &p, &len));
	EXPECT_EQ(40, len);
	kipc_ring_consume(&self->s.rx);
	ASSERT_TRUE(kipc_ring_release(&self->s.rx));
	EXPECT_EQ(POLLOUT, kt_poll1(self->sfd, KT_RW, 0));
	EXPECT_EQ(POLLOUT, kt_poll1(self->cfd, KT_RW, 0));
	/* head catches up: still nothing to read, room for all. */
	ASSERT_TRUE(kipc_ring_publish(tx));
	EXPECT_EQ(POLLOUT, kt_poll1(self->sfd, KT_RW, 0));
	EXPECT_EQ(POLLOUT, kt_poll1(self->cfd, KT_RW, 0));
	EXPECT_EQ(-EAGAIN, kipc_ring_peek(&self->s.rx, &p, &len));
}

/*
 * need counts the slot SEQ marks after the record, and POLLOUT holds
 * out for it: with three quarters used the largest message needs the
 * tail quarter as padding, half the ring and 8 bytes, so three quarters
 * free (enough in the 1.0 format) are not.
 */
TEST_F(seq, pollout_waits_for_the_room_and_the_mark)
{
	struct kipc_index_page *own = (void *)self->c.own;
	struct kipc_ring *tx = &self->c.tx;
	uint32_t big = kipc_ring_msg_max(tx);
	void *payload;

	ASSERT_EQ(3, kt_fill_quarters(&self->c, 3));
	ASSERT_EQ(0, kipc_ring_prod_prepare_wait(tx, big));
	EXPECT_EQ(tx->size / 4 + tx->size / 2 + KIPC_REC_MARK, own->prod.need);
	EXPECT_EQ(0, kt_poll1(self->cfd, POLLOUT, 0));
	ASSERT_EQ(0, consume_one(&self->s));
	ASSERT_EQ(0, consume_one(&self->s));	/* 3/4 free: 8 bytes short */
	EXPECT_EQ(0, kt_poll1(self->cfd, POLLOUT, 0));
	EXPECT_EQ(-EAGAIN, kipc_ring_reserve(tx, big, &payload));
	ASSERT_EQ(0, consume_one(&self->s));
	EXPECT_EQ(POLLOUT, kt_poll1(self->cfd, POLLOUT, 0));
	kipc_ring_prod_finish_wait(tx);
	EXPECT_EQ(0, kipc_ring_reserve(tx, big, &payload));
}

TEST_F(poll, corrupt_peer_indices_do_not_break_poll)
{
	struct kipc_index_page *own = (void *)self->c.own;
	uint32_t bogus[] = { 0x7fffffff, 0x80000000, 0xffffffff, 12345, 1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bogus); i++) {
		own->prod.head = bogus[i];
		own->cons.tail = bogus[i];
		own->prod.need = bogus[i];
		EXPECT_LE(0, kt_poll1(self->p.sfd, KT_RW, 0));
		EXPECT_LE(0, kt_poll1(self->p.cfd, KT_RW, 0));
		EXPECT_EQ(0, kt_kick(self->p.cfd));
	}
}

TEST_F(poll, kick_wakes_peer_poll_in_another_process)
{
	int ready[2], st;
	pid_t pid;

	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kt_post(ready[1], 'r');
		_exit(kt_poll1(self->p.sfd, POLLIN, kt_wait_ms()) == POLLIN ? 0 : 1);
	}
	ASSERT_EQ('r', kt_expect(ready[0], kt_wait_ms()));
	ASSERT_EQ(0, kt_wait_sleeping(pid, pid, kt_wait_ms()));
	ASSERT_EQ(0, publish_one(&self->c, 10));
	ASSERT_EQ(0, kt_kick(self->p.cfd));
	st = kt_wait_exit(pid, kt_wait_ms() + 1000);
	EXPECT_EQ(0, st) TH_LOG("child poll: %d", st);
}

static int bg_epoll(struct kt_bg *bg)
{
	struct epoll_event ev;
	int n = epoll_wait(bg->fd, &ev, 1, bg->timeout_ms);

	if (n < 0)
		return -errno;
	return n ? (int)ev.events : 0;
}

TEST_F(poll, kick_wakes_peer_epoll_waiter_in_another_thread)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct kt_bg bg = { .fn = bg_epoll, .timeout_ms = kt_wait_ms() };

	bg.fd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, bg.fd);
	ASSERT_EQ(0, epoll_ctl(bg.fd, EPOLL_CTL_ADD, self->p.sfd, &ev));
	ASSERT_EQ(0, kt_bg_start(&bg));
	ASSERT_EQ(0, publish_one(&self->c, 10));
	ASSERT_EQ(0, kt_kick(self->p.cfd));
	EXPECT_EQ(EPOLLIN, kt_bg_join(&bg, kt_wait_ms() + 1000));
	close(bg.fd);
}

TEST_F(poll, epoll_level_triggered_reports_until_drained)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->p.sfd, &ev));
	ASSERT_EQ(0, publish_one(&self->c, 10));
	ASSERT_EQ(0, kt_kick(self->p.cfd));
	EXPECT_EQ(1, epoll_wait(ep, &out, 1, kt_wait_ms()));
	EXPECT_EQ(1, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, consume_one(&self->s));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	close(ep);
}

TEST_F(poll, epoll_edge_triggered_reports_once_per_kick)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->p.sfd, &ev));
	ASSERT_EQ(0, publish_one(&self->c, 10));
	ASSERT_EQ(0, kt_kick(self->p.cfd));
	EXPECT_EQ(1, epoll_wait(ep, &out, 1, kt_wait_ms()));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, publish_one(&self->c, 10));
	ASSERT_EQ(0, kt_kick(self->p.cfd));
	EXPECT_EQ(1, epoll_wait(ep, &out, 1, kt_wait_ms()));
	EXPECT_TRUE(out.events & EPOLLIN);
	close(ep);
}

/* --- the doorbell protocol of kipc_ring.h, across threads --- */

static int bg_send_big(struct kt_bg *bg)
{
	struct kt_end *e = bg->arg;
	static uint8_t buf[1 << 16];
	uint32_t len = kipc_ring_msg_max(&e->tx);

	if (len > sizeof(buf))
		len = sizeof(buf);
	return kt_send(e, buf, len, bg->timeout_ms);
}

TEST_F(poll, consumer_release_wakes_blocked_producer)
{
	struct kt_bg bg = { .fn = bg_send_big, .arg = &self->c,
			    .timeout_ms = kt_wait_ms() };
	uint8_t buf[1 << 16];
	uint32_t len;
	int i;

	ASSERT_EQ(4, kt_fill_quarters(&self->c, 4));
	ASSERT_EQ(0, kt_bg_start(&bg));
	/* The producer announced what it needs before sleeping. */
	EXPECT_NE(0, __atomic_load_n(&((struct kipc_index_page *)self->c.own)->prod.need,
				     __ATOMIC_RELAXED));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, kt_recv(&self->s, buf, sizeof(buf), &len, 0));
	EXPECT_EQ(0, kt_bg_join(&bg, kt_wait_ms() + 1000));
}

static int bg_recv(struct kt_bg *bg)
{
	struct kt_end *e = bg->arg;
	uint8_t buf[64];
	uint32_t len;
	int ret = kt_recv(e, buf, sizeof(buf), &len, bg->timeout_ms);

	return ret ? ret : (int)len;
}

TEST_F(poll, producer_publish_wakes_blocked_consumer)
{
	struct kt_bg bg = { .fn = bg_recv, .arg = &self->s,
			    .timeout_ms = kt_wait_ms() };

	ASSERT_EQ(0, kt_bg_start(&bg));
	EXPECT_EQ(1, __atomic_load_n(&((struct kipc_index_page *)self->s.own)->cons.waiting,
				     __ATOMIC_RELAXED));
	ASSERT_EQ(0, kt_send(&self->c, "hello", 5, kt_wait_ms()));
	EXPECT_EQ(5, kt_bg_join(&bg, kt_wait_ms() + 1000));
}

/* --- eventfd --- */

TEST_F(poll, eventfd_signalled_by_peer_kick)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t n;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, kt_set_eventfd(self->p.sfd, efd));
	EXPECT_EQ(-EAGAIN, eventfd_count(efd, &n));
	ASSERT_EQ(0, kt_kick(self->p.cfd));
	EXPECT_EQ(POLLIN, kt_poll1(efd, POLLIN, kt_wait_ms()));
	EXPECT_EQ(0, eventfd_count(efd, &n));
	EXPECT_LE(1, n);
	close(efd);
}

TEST_F(poll, eventfd_on_client_signalled_by_server_kick)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, kt_set_eventfd(self->p.cfd, efd));
	ASSERT_EQ(0, kt_kick(self->p.sfd));
	EXPECT_EQ(POLLIN, kt_poll1(efd, POLLIN, kt_wait_ms()));
	close(efd);
}

TEST_F(poll, eventfd_not_signalled_by_own_kick)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, kt_set_eventfd(self->p.sfd, efd));
	ASSERT_EQ(0, kt_kick(self->p.sfd));
	EXPECT_EQ(0, kt_poll1(efd, POLLIN, 0));
	close(efd);
}

TEST_F(poll, eventfd_signalled_by_peer_death)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, kt_set_eventfd(self->p.sfd, efd));
	kt_end_unmap(&self->c);
	kt_close(&self->p.cfd);
	EXPECT_EQ(POLLIN, kt_poll1(efd, POLLIN, kt_wait_ms()));
	EXPECT_TRUE(kt_end_peer_gone(&self->s));
	close(efd);
}

TEST_F(poll, eventfd_detached_with_minus_one)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, kt_set_eventfd(self->p.sfd, efd));
	ASSERT_EQ(0, kt_set_eventfd(self->p.sfd, -1));
	ASSERT_EQ(0, kt_kick(self->p.cfd));
	EXPECT_EQ(0, kt_poll1(efd, POLLIN, 0));
	close(efd);
}

TEST_F(poll, second_eventfd_replaces_the_first)
{
	int e1 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int e2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, e1);
	ASSERT_LE(0, e2);
	ASSERT_EQ(0, kt_set_eventfd(self->p.sfd, e1));
	ASSERT_EQ(0, kt_set_eventfd(self->p.sfd, e2));
	ASSERT_EQ(0, kt_kick(self->p.cfd));
	EXPECT_EQ(POLLIN, kt_poll1(e2, POLLIN, kt_wait_ms()));
	EXPECT_EQ(0, kt_poll1(e1, POLLIN, 0));
	close(e1);
	close(e2);
}

TEST_F(poll, eventfd_keeps_working_after_its_fd_is_closed)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), dup_fd;

	ASSERT_LE(0, efd);
	dup_fd = dup(efd);
	ASSERT_LE(0, dup_fd);
	ASSERT_EQ(0, kt_set_eventfd(self->p.sfd, efd));
	close(efd);	/* the driver holds its own reference */
	ASSERT_EQ(0, kt_kick(self->p.cfd));
	EXPECT_EQ(POLLIN, kt_poll1(dup_fd, POLLIN, kt_wait_ms()));
	close(dup_fd);
	/* Last reference gone: kicks still fine. */
	EXPECT_EQ(0, kt_kick(self->p.cfd));
}

/* --- io_uring --- */

static int uring_setup(struct __test_metadata *_metadata, struct io_uring *ring)
{
	int ret = io_uring_queue_init(8, ring, 0);

	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return ret, "io_uring unavailable: %s", strerror(-ret));
	return ret;
}

/* Wait (bounded) for one CQE: its res and flags, -ETIME on timeout. */
static int uring_wait(struct io_uring *ring, int timeout_ms, uint64_t *data,
		      uint32_t *flags)
{
	struct __kernel_timespec ts = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = (long long)(timeout_ms % 1000) * 1000000,
	};
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

	if (ret)
		return ret == -ETIME ? -ETIME : ret - 1000;
	ret = cqe->res;
	if (data)
		*data = cqe->user_data;
	if (flags)
		*flags = cqe->flags;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

static void prep_uring_cmd(struct io_uring_sqe *sqe, int fd, uint32_t op)
{
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = op;
	sqe->user_data = 0xc0de;
}

/* Submit one URING_CMD and return its completion's res. */
static int uring_cmd(struct io_uring *ring, int fd, uint32_t op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	int ret;

	prep_uring_cmd(sqe, fd, op);
	ret = io_uring_submit(ring);
	if (ret != 1)
		return ret < 0 ? ret - 2000 : -2000;
	return uring_wait(ring, kt_wait_ms(), NULL, NULL);
}

TEST_F(poll, uring_poll_add_completes_when_data_arrives)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;

	if (uring_setup(_metadata, &ring))
		return;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, self->p.sfd, POLLIN);
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&ring, &cqe));
	ASSERT_EQ(0, publish_one(&self->c, 10));
	ASSERT_EQ(0, kt_kick(self->p.cfd));
	EXPECT_EQ(POLLIN, uring_wait(&ring, kt_wait_ms(), NULL, NULL) & KT_RW);
	io_uring_queue_exit(&ring);
}

TEST_F(poll, uring_multishot_poll_add_completes_once_per_kick)
{
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	uint32_t flags = 0;
	int i, res;

	if (uring_setup(_metadata, &ring))
		return;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_multishot(sqe, self->p.sfd, POLLIN);
	sqe->user_data = 1;
	ASSERT_EQ(1, io_uring_submit(&ring));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, publish_one(&self->c, 10));
		ASSERT_EQ(0, kt_kick(self->p.cfd));
		res = uring_wait(&ring, kt_wait_ms(), NULL, &flags);
		EXPECT_TRUE(res & POLLIN) TH_LOG("round %d: res %d", i, res);
		EXPECT_TRUE(flags & IORING_CQE_F_MORE);
		ASSERT_EQ(0, consume_one(&self->s));
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_remove(sqe, 1);
	ASSERT_EQ(1, io_uring_submit(&ring));
	io_uring_queue_exit(&ring);
}

TEST_F(poll, uring_poll_add_on_listener_completes_on_connect)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int cfd;

	if (uring_setup(_metadata, &ring))
		return;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, self->p.lfd, POLLIN);
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&ring, &cqe));
	cfd = kt_new_client(self->p.name, 0);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(POLLIN, uring_wait(&ring, kt_wait_ms(), NULL, NULL) & KT_RW);
	io_uring_queue_exit(&ring);
	close(cfd);
}

/* io_uring's POLL_ADD also waits on what it found at arming time. */
TEST(uring_poll_add_armed_before_listen_completes_on_connect)
{
	char name[KIPC_NAME_MAX];
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int fd, cfd;

	if (uring_setup(_metadata, &ring))
		return;
	fd = kt_open();
	ASSERT_LE(0, fd);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	ASSERT_EQ(1, io_uring_submit(&ring));
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&ring, &cqe));
	kt_name(name, "early-ur");
	ASSERT_EQ(0, kt_listen(fd, name, 0600, 0, 0, 0));
	EXPECT_EQ(-EAGAIN, io_uring_peek_cqe(&ring, &cqe));
	cfd = kt_new_client(name, 0);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(POLLIN, uring_wait(&ring, kt_wait_ms(), NULL, NULL) & KT_RW);
	io_uring_queue_exit(&ring);
	close(cfd);
	close(fd);
}

TEST_F(poll, uring_poll_add_completes_on_peer_death)
{
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int res;

	if (uring_setup(_metadata, &ring))
		return;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, self->p.sfd, POLLRDHUP);
	ASSERT_EQ(1, io_uring_submit(&ring));
	kt_end_unmap(&self->c);
	kt_close(&self->p.cfd);
	res = uring_wait(&ring, kt_wait_ms(), NULL, NULL);
	EXPECT_LT(0, res);
	EXPECT_TRUE(res & POLLHUP) TH_LOG("res %#x", res);
	io_uring_queue_exit(&ring);
}

TEST_F(poll, uring_cmd_kick_completes_with_zero_and_signals_peer)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct io_uring ring;

	ASSERT_LE(0, efd);
	if (uring_setup(_metadata, &ring))
		return;
	ASSERT_EQ(0, kt_set_eventfd(self->p.sfd, efd));
	EXPECT_EQ(0, uring_cmd(&ring, self->p.cfd, KIPC_URING_CMD_KICK));
	EXPECT_EQ(POLLIN, kt_poll1(efd, POLLIN, kt_wait_ms()));
	io_uring_queue_exit(&ring);
	close(efd);
}

TEST_F(poll, uring_cmd_kick_wakes_peer_poll_waiter)
{
	struct kt_bg bg = { .fn = kt_bg_poll, .fd = self->p.sfd,
			    .events = POLLIN, .timeout_ms = kt_wait_ms() };
	struct io_uring ring;

	if (uring_setup(_metadata, &ring))
		return;
	ASSERT_EQ(0, kt_bg_start(&bg));
	ASSERT_EQ(0, publish_one(&self->c, 10));
	EXPECT_EQ(0, uring_cmd(&ring, self->p.cfd, KIPC_URING_CMD_KICK));
	EXPECT_EQ(POLLIN, kt_bg_join(&bg, kt_wait_ms() + 1000));
	io_uring_queue_exit(&ring);
}

TEST_F(poll, uring_cmd_on_non_kipc_fd_fails)
{
	struct io_uring ring;
	int pfd[2];

	if (uring_setup(_metadata, &ring))
		return;
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	EXPECT_EQ(-EOPNOTSUPP, uring_cmd(&ring, pfd[0], KIPC_URING_CMD_KICK));
	close(pfd[0]);
	close(pfd[1]);
	io_uring_queue_exit(&ring);
}

TEST_F(poll, uring_cmd_unknown_op_fails)
{
	uint32_t ops[] = { 0, KIPC_IOC_VERSION, KIPC_IOC_KICK + 1, 0xffffffff };
	struct io_uring ring;
	unsigned int i;

	if (uring_setup(_metadata, &ring))
		return;
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		uint32_t op = ops[i];
		int res = uring_cmd(&ring, self->p.cfd, op);

		EXPECT_GT(0, res) TH_LOG("cmd_op %#x", op);
		EXPECT_LT(-1000, res) TH_LOG("cmd_op %#x: no completion", op);
	}
	io_uring_queue_exit(&ring);
}

TEST_F(poll, uring_cmd_kick_on_listener_or_unbound_fd_einval)
{
	struct io_uring ring;
	int fresh = kt_open();

	ASSERT_LE(0, fresh);
	if (uring_setup(_metadata, &ring))
		return;
	EXPECT_EQ(-EINVAL, uring_cmd(&ring, self->p.lfd, KIPC_URING_CMD_KICK));
	EXPECT_EQ(-EINVAL, uring_cmd(&ring, fresh, KIPC_URING_CMD_KICK));
	io_uring_queue_exit(&ring);
	close(fresh);
}

TEST_F(poll, uring_cmd_kick_after_peer_death_epipe)
{
	struct io_uring ring;

	if (uring_setup(_metadata, &ring))
		return;
	kt_end_unmap(&self->s);
	kt_close(&self->p.sfd);
	EXPECT_EQ(-EPIPE, uring_cmd(&ring, self->p.cfd, KIPC_URING_CMD_KICK));
	io_uring_queue_exit(&ring);
}

TEST_HARNESS_MAIN
