// SPDX-License-Identifier: GPL-2.0
/*
 * kipc under concurrency: CONNECT racing the listener's close, ACCEPT
 * racing the client's close, both sides closing at once, KICK and
 * SET_EVENTFD racing the peer's death, mmap racing close, and one KICK
 * waking every thread that polls. Each race is run many times; the test
 * checks the documented outcomes, and the VM rig's dmesg scan and the final
 * counter check catch what goes wrong inside the driver.
 */
#include <sys/eventfd.h>

#include "kipc_test.h"

static int rounds(int dflt)
{
	return (int)kt_env_u64("KIPC_RACE_ROUNDS", dflt);
}

/* Run @fn in a thread, with a barrier so both sides start together. */
struct racer {
	pthread_t th;
	pthread_barrier_t *go;
	int (*fn)(struct racer *r);
	int fd, fd2;
	const char *name;
	struct kt_end *end;
	int ret;
	int count;
};

static void *racer_main(void *p)
{
	struct racer *r = p;

	pthread_barrier_wait(r->go);
	r->ret = r->fn(r);
	return NULL;
}

static int racer_start(struct racer *r, pthread_barrier_t *go)
{
	r->go = go;
	return -pthread_create(&r->th, NULL, racer_main, r);
}

static int racer_join(struct racer *r)
{
	struct kt_bg bg = { .th = r->th, .ret = 0 };
	int ret = kt_bg_join(&bg, kt_wait_ms());

	return ret ? ret : r->ret;
}

/* --- CONNECT vs listener close --- */

static int connect_until_gone(struct racer *r)
{
	for (;;) {
		int fd = kt_new_client(r->name, KIPC_CONNECT_NONBLOCK);
		int rev;

		/* Gone before the lookup, or between lookup and queueing. */
		if (fd == -ENOENT || fd == -ECONNREFUSED)
			return 0;
		if (fd == -EAGAIN)
			continue;
		if (fd < 0)
			return fd;
		r->count++;
		/* Never accepted: the listener's close must hang it up. */
		rev = kt_poll1(fd, POLLIN, kt_wait_ms());
		close(fd);
		if (!(rev > 0 && (rev & POLLHUP)))
			return -EPROTO;
	}
}

TEST(connect_races_listener_close)
{
	int n = rounds(30), i, j;

	for (i = 0; i < n; i++) {
		char name[KIPC_NAME_MAX];
		struct racer r[3];
		pthread_barrier_t go;
		int lfd;

		kt_name(name, "race");
		lfd = kt_new_listener(name, 0600, 0, 0, 0);
		ASSERT_LE(0, lfd);
		ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 4));
		for (j = 0; j < 3; j++) {
			r[j] = (struct racer){ .fn = connect_until_gone,
					       .name = name };
			ASSERT_EQ(0, racer_start(&r[j], &go));
		}
		pthread_barrier_wait(&go);
		close(lfd);
		for (j = 0; j < 3; j++)
			EXPECT_EQ(0, racer_join(&r[j])) TH_LOG("round %d", i);
		pthread_barrier_destroy(&go);
	}
}

/* --- ACCEPT vs client close --- */

static int close_fd(struct racer *r)
{
	close(r->fd);
	return 0;
}

static int accept_one(struct racer *r)
{
	int fd = kt_accept(r->fd, KIPC_ACCEPT_NONBLOCK, NULL);

	if (fd < 0)
		return fd;
	/* Whether the client closed before or after, it is gone now or
	 * will be; the state must say so eventually.
	 */
	r->fd2 = fd;
	return 0;
}

TEST(accept_races_client_close)
{
	int n = rounds(100), i, rev;
	struct kt_pair p;

	ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
	for (i = 0; i < n; i++) {
		struct racer a = { .fn = accept_one, .fd = p.lfd, .fd2 = -1 };
		struct racer c = { .fn = close_fd };
		pthread_barrier_t go;
		int ret;

		c.fd = kt_new_client(p.name, 0);
		ASSERT_LE(0, c.fd);
		ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 3));
		ASSERT_EQ(0, racer_start(&a, &go));
		ASSERT_EQ(0, racer_start(&c, &go));
		pthread_barrier_wait(&go);
		ret = racer_join(&a);
		ASSERT_EQ(0, racer_join(&c));
		/* Accepted before the close (and hung up by it), or taken off
		 * the queue by the close (EAGAIN); never left queued.
		 */
		ASSERT_TRUE(ret == 0 || ret == -EAGAIN)
			TH_LOG("round %d: accept %d", i, ret);
		if (!ret) {
			rev = kt_poll1(a.fd2, POLLIN, kt_wait_ms());
			EXPECT_TRUE(rev > 0 && (rev & POLLHUP))
				TH_LOG("round %d", i);
			close(a.fd2);
		}
		EXPECT_EQ(-EAGAIN, kt_accept(p.lfd, KIPC_ACCEPT_NONBLOCK, NULL))
			TH_LOG("round %d: left queued", i);
		pthread_barrier_destroy(&go);
	}
	kt_pair_close(&p);
}

/* --- both sides close at once, with views mapped --- */

static int unmap_and_close(struct racer *r)
{
	kt_end_unmap(r->end);
	close(r->fd);
	return 0;
}

TEST(both_sides_close_at_once)
{
	int n = rounds(100), i;

	for (i = 0; i < n; i++) {
		struct racer a = { .fn = unmap_and_close };
		struct racer b = { .fn = unmap_and_close };
		struct kt_end ce, se;
		pthread_barrier_t go;
		struct kt_pair p;

		ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
		ASSERT_EQ(0, kt_end_map(&ce, p.cfd));
		ASSERT_EQ(0, kt_end_map(&se, p.sfd));
		kt_close(&p.lfd);
		a.fd = p.cfd;
		a.end = &ce;
		b.fd = p.sfd;
		b.end = &se;
		ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 3));
		ASSERT_EQ(0, racer_start(&a, &go));
		ASSERT_EQ(0, racer_start(&b, &go));
		pthread_barrier_wait(&go);
		EXPECT_EQ(0, racer_join(&a));
		EXPECT_EQ(0, racer_join(&b));
		pthread_barrier_destroy(&go);
	}
}

/* --- KICK and SET_EVENTFD vs the peer's death --- */

static int kick_until_epipe(struct racer *r)
{
	int ret;

	do {
		ret = kt_kick(r->fd);
		r->count++;
	} while (!ret);
	return ret == -EPIPE ? 0 : ret;
}

static int eventfd_flip_until_gone(struct racer *r)
{
	struct kipc_conn_info ci;
	int ret;

	for (;;) {
		ret = kt_set_eventfd(r->fd, r->fd2);
		if (!ret)
			ret = kt_set_eventfd(r->fd, -1);
		if (!ret)
			ret = kt_set_eventfd(r->fd, r->fd2);
		if (ret)
			return ret;
		r->count++;
		if (kt_conn_info(r->fd, &ci))
			return -EPROTO;
		if (ci.state & KIPC_STATE_CLIENT_GONE)
			return 0;
	}
}

TEST(kick_and_set_eventfd_race_peer_death)
{
	int n = rounds(100), i;

	for (i = 0; i < n; i++) {
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), rev;
		struct racer k = { .fn = kick_until_epipe };
		struct racer e = { .fn = eventfd_flip_until_gone };
		pthread_barrier_t go;
		struct kt_pair p;

		ASSERT_LE(0, efd);
		ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
		k.fd = p.sfd;	/* kicks the client, which dies */
		e.fd = p.sfd;
		e.fd2 = efd;
		ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 3));
		ASSERT_EQ(0, racer_start(&k, &go));
		ASSERT_EQ(0, racer_start(&e, &go));
		pthread_barrier_wait(&go);
		kt_close(&p.cfd);
		EXPECT_EQ(0, racer_join(&k)) TH_LOG("round %d", i);
		EXPECT_EQ(0, racer_join(&e)) TH_LOG("round %d", i);
		/* Attached at the end, after the death: signalled. */
		rev = kt_poll1(efd, POLLIN, kt_wait_ms());
		EXPECT_EQ(POLLIN, rev) TH_LOG("round %d", i);
		pthread_barrier_destroy(&go);
		kt_pair_close(&p);
		close(efd);
	}
}

/* --- mmap vs the other side closing --- */

static int map_unmap_loop(struct racer *r)
{
	struct kipc_conn_info ci;
	int i;

	if (kt_conn_info(r->fd, &ci))
		return -EPROTO;
	for (i = 0; i < 50; i++) {
		void *s = mmap(NULL, ci.shared_map_bytes, PROT_READ, MAP_SHARED,
			       r->fd, KIPC_MMAP_SHARED);
		void *o = mmap(NULL, ci.own_map_bytes, PROT_READ | PROT_WRITE,
			       MAP_SHARED, r->fd, KIPC_MMAP_OWN);

		if (s == MAP_FAILED || o == MAP_FAILED)
			return -errno;
		if (((struct kipc_shared_hdr *)s)->magic != KIPC_MAGIC)
			return -EBADMSG;
		memset((uint8_t *)o + kt_page(), i, 64);
		munmap(s, ci.shared_map_bytes);
		munmap(o, ci.own_map_bytes);
	}
	return 0;
}

/* 30 rounds of 50 map/unmap pairs take ~30 s under TCG with KASAN, the
 * harness's default limit for a TEST(); the binary's own limit (manifest,
 * scaled by VM_TIMEOUT_SCALE) still bounds the whole run.
 */
FIXTURE(mmap) {
	int unused;
};
FIXTURE_SETUP(mmap) {}
FIXTURE_TEARDOWN(mmap) {}

TEST_F_TIMEOUT(mmap, races_peer_close, 300)
{
	int n = rounds(30), i;

	for (i = 0; i < n; i++) {
		struct racer m = { .fn = map_unmap_loop };
		pthread_barrier_t go;
		struct kt_pair p;

		ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
		m.fd = p.sfd;
		ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 2));
		ASSERT_EQ(0, racer_start(&m, &go));
		pthread_barrier_wait(&go);
		kt_close(&p.cfd);
		EXPECT_EQ(0, racer_join(&m)) TH_LOG("round %d", i);
		pthread_barrier_destroy(&go);
		kt_pair_close(&p);
	}
}

/* --- two threads binding one fresh fd, two threads accepting one
 * connection: exactly one wins each time ---
 */

static int listen_on(struct racer *r)
{
	return kt_listen(r->fd, r->name, 0600, 0, 0, 0);
}

static int connect_on(struct racer *r)
{
	return kt_connect(r->fd, r->name, KIPC_CONNECT_NONBLOCK);
}

TEST(listen_and_connect_race_on_one_fd)
{
	int n = rounds(100), i;
	struct kt_pair p;

	ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
	for (i = 0; i < n; i++) {
		char name[KIPC_NAME_MAX];
		struct racer l = { .fn = listen_on, .name = name };
		struct racer c = { .fn = connect_on, .name = p.name };
		struct kipc_conn_info ci;
		pthread_barrier_t go;
		int fd = kt_open(), rl, rc, sfd;

		ASSERT_LE(0, fd);
		kt_name(name, "bind");
		l.fd = c.fd = fd;
		ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 3));
		ASSERT_EQ(0, racer_start(&l, &go));
		ASSERT_EQ(0, racer_start(&c, &go));
		pthread_barrier_wait(&go);
		rl = racer_join(&l);
		rc = racer_join(&c);
		pthread_barrier_destroy(&go);
		/* One role, and the fd behaves as that role. */
		ASSERT_TRUE((!rl && rc == -EINVAL) || (rl == -EINVAL && !rc))
			TH_LOG("round %d: listen %d, connect %d", i, rl, rc);
		if (!rc) {
			ASSERT_EQ(0, kt_conn_info(fd, &ci));
			sfd = kt_accept(p.lfd, KIPC_ACCEPT_NONBLOCK, NULL);
			ASSERT_LE(0, sfd);
			close(sfd);
		} else {
			ASSERT_EQ(-EINVAL, kt_conn_info(fd, &ci));
			ASSERT_EQ(-EAGAIN, kt_accept(fd, KIPC_ACCEPT_NONBLOCK, NULL));
		}
		close(fd);
	}
	kt_pair_close(&p);
}

static int accept_nonblock(struct racer *r)
{
	int fd = kt_accept(r->fd, KIPC_ACCEPT_NONBLOCK, NULL);

	if (fd >= 0)
		r->fd2 = fd;
	return fd < 0 ? fd : 0;
}

TEST(two_accepts_race_for_one_connection)
{
	int n = rounds(100), i;
	struct kt_pair p;

	ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
	for (i = 0; i < n; i++) {
		struct racer a = { .fn = accept_nonblock, .fd = p.lfd, .fd2 = -1 };
		struct racer b = { .fn = accept_nonblock, .fd = p.lfd, .fd2 = -1 };
		pthread_barrier_t go;
		int cfd, ra, rb;

		cfd = kt_new_client(p.name, 0);
		ASSERT_LE(0, cfd);
		ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 3));
		ASSERT_EQ(0, racer_start(&a, &go));
		ASSERT_EQ(0, racer_start(&b, &go));
		pthread_barrier_wait(&go);
		ra = racer_join(&a);
		rb = racer_join(&b);
		pthread_barrier_destroy(&go);
		ASSERT_TRUE((!ra && rb == -EAGAIN) || (ra == -EAGAIN && !rb))
			TH_LOG("round %d: %d %d", i, ra, rb);
		close(a.fd2 >= 0 ? a.fd2 : b.fd2);
		close(cfd);
	}
	kt_pair_close(&p);
}

/* --- one KICK wakes every poller --- */

TEST(one_kick_wakes_every_polling_thread)
{
	struct kt_bg bg[8];
	struct kt_end c;
	struct kt_pair p;
	void *payload;
	int i;

	ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
	ASSERT_EQ(0, kt_end_map(&c, p.cfd));
	for (i = 0; i < 8; i++) {
		bg[i] = (struct kt_bg){ .fn = kt_bg_poll, .fd = p.sfd,
					.events = POLLIN,
					.timeout_ms = kt_wait_ms() };
		ASSERT_EQ(0, kt_bg_start(&bg[i]));
	}
	ASSERT_EQ(0, kipc_ring_reserve(&c.tx, 1, &payload));
	kipc_ring_commit(&c.tx);
	kipc_ring_publish(&c.tx);
	ASSERT_EQ(0, kt_kick(p.cfd));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(POLLIN, kt_bg_join(&bg[i], kt_wait_ms() + 1000))
			TH_LOG("thread %d", i);
	kt_end_unmap(&c);
	kt_pair_close(&p);
}

TEST_HARNESS_MAIN
