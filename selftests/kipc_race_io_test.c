// SPDX-License-Identifier: GPL-2.0
/*
 * Races of issue 10, item 5, on the ways a connection is waited on and
 * kicked: IORING_OP_URING_CMD KICK on a registered (fixed) file while the
 * file is unregistered and closed; two threads replacing the eventfd while
 * the peer dies; EPOLLEXCLUSIVE waiters and nested epoll on a connection;
 * aio IOCB_CMD_POLL against the peer's death and io_destroy(). Each race
 * checks the documented outcomes; the VM rig's dmesg, kmemleak and
 * counter checks catch what goes wrong inside the driver.
 * KIPC_RACE_ROUNDS scales the rounds.
 */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <linux/aio_abi.h>
#include <liburing.h>

#include "kipc_test.h"

static int rounds(int dflt)
{
	return (int)kt_env_u64("KIPC_RACE_ROUNDS", dflt);
}

static void pause_us(unsigned int us)
{
	struct timespec ts = { 0, (long)us * 1000 };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* URING_CMD KICK on a fixed file vs unregister and close              */

struct uc_race {
	struct io_uring *ring;
	int sfd;
	pthread_barrier_t go;
	unsigned int delay_us;
};

static void *uc_closer(void *p)
{
	struct uc_race *r = p;
	int none = -1;

	pthread_barrier_wait(&r->go);
	pause_us(r->delay_us);
	/* Sometimes the peer dies first (KICK: EPIPE), then the table's
	 * reference goes, the last one of the client file (EBADF).
	 */
	if (r->delay_us & 1)
		close(r->sfd);
	io_uring_register_files_update(r->ring, 0, &none, 1);
	return NULL;
}

TEST(uring_cmd_kick_fixed_file_vs_close)
{
	unsigned int counts[4] = { 0 };	/* 0, -EPIPE, -EBADF, other */
	int n = rounds(100), i, j, ret;
	uint64_t seed = kt_seed();
	struct io_uring ring;

	ASSERT_EQ(0, io_uring_queue_init(64, &ring, 0));
	ASSERT_EQ(0, io_uring_register_files_sparse(&ring, 1));
	for (i = 0; i < n; i++) {
		struct uc_race r = { .ring = &ring };
		struct kt_pair p;
		pthread_t th;

		ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
		ASSERT_EQ(1, io_uring_register_files_update(&ring, 0, &p.cfd, 1));
		kt_close(&p.cfd);	/* only the fixed slot holds it now */
		r.sfd = p.sfd;
		p.sfd = -1;
		r.delay_us = (unsigned int)(kt_splitmix64(&seed) % 300);
		ASSERT_EQ(0, pthread_barrier_init(&r.go, NULL, 2));
		ASSERT_EQ(0, pthread_create(&th, NULL, uc_closer, &r));
		pthread_barrier_wait(&r.go);
		/* KICK after KICK until the slot is empty: the ones in
		 * between meet the peer's death, the unregistering, or both.
		 */
		for (j = 0; j < 5000; j++) {
			struct __kernel_timespec ts = { .tv_sec = kt_wait_ms() / 1000 };
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			struct io_uring_cqe *cqe;
			int res;

			io_uring_prep_rw(IORING_OP_URING_CMD, sqe, 0, NULL, 0, 0);
			sqe->cmd_op = KIPC_URING_CMD_KICK;
			sqe->flags |= IOSQE_FIXED_FILE;
			ASSERT_EQ(1, io_uring_submit(&ring));
			ret = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
			ASSERT_EQ(0, ret) TH_LOG("round %d: a URING_CMD never completed", i);
			res = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
			if (res == 0) {
				counts[0]++;
			} else if (res == -EPIPE) {
				counts[1]++;
			} else if (res == -EBADF) {
				counts[2]++;
				break;
			} else {
				counts[3]++;
				TH_LOG("round %d: URING_CMD KICK gave %d", i, res);
				break;
			}
		}
		pthread_join(th, NULL);
		pthread_barrier_destroy(&r.go);
		if (!(r.delay_us & 1))
			close(r.sfd);
		kt_pair_close(&p);
	}
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, counts[3]);
	ksft_print_msg("kipc-figure: suite=race-io case=uring_fixed rounds=%d ok=%u epipe=%u ebadf=%u other=%u\n",
		       n, counts[0], counts[1], counts[2], counts[3]);
}

/* ------------------------------------------------------------------ */
/* Two threads replacing the eventfd while the peer dies               */

struct ev_race {
	int fd;
	int efd[3];
	pthread_barrier_t *go;
	volatile bool *stop;
	int bad;
};

static void *ev_replacer(void *p)
{
	struct ev_race *r = p;
	unsigned int k = 0;

	pthread_barrier_wait(r->go);
	while (!__atomic_load_n(r->stop, __ATOMIC_ACQUIRE)) {
		int efd = r->efd[k++ % 3];
		int ret = kt_set_eventfd(r->fd, efd);

		if (ret)
			r->bad = ret;
	}
	return NULL;
}

static uint64_t efd_count(int efd, int timeout_ms)
{
	uint64_t v = 0;

	if (kt_poll1(efd, POLLIN, timeout_ms) <= 0)
		return 0;
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

TEST(eventfd_replace_race_vs_peer_death)
{
	int n = rounds(100), i, k;
	uint64_t seed = kt_seed();

	for (i = 0; i < n; i++) {
		struct ev_race r[2];
		pthread_barrier_t go;
		volatile bool stop = false;
		pthread_t th[2];
		struct kt_pair p;
		int efd[3], last;

		ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
		for (k = 0; k < 3; k++) {
			efd[k] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			ASSERT_LE(0, efd[k]);
		}
		/* -1 detaches: a third of the replacements leave none. */
		ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 3));
		for (k = 0; k < 2; k++) {
			r[k] = (struct ev_race){ .fd = p.cfd, .go = &go, .stop = &stop,
						 .efd = { efd[k], -1, efd[2] } };
			ASSERT_EQ(0, pthread_create(&th[k], NULL, ev_replacer, &r[k]));
		}
		pthread_barrier_wait(&go);
		pause_us((unsigned int)(kt_splitmix64(&seed) % 500));
		kt_close(&p.sfd);		/* the peer dies */
		pause_us(50);
		__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
		for (k = 0; k < 2; k++) {
			pthread_join(th[k], NULL);
			EXPECT_EQ(0, r[k].bad) TH_LOG("round %d: SET_EVENTFD gave %d",
						      i, r[k].bad);
		}
		pthread_barrier_destroy(&go);
		/* Whatever won, an eventfd attached now hears of the death at
		 * once: it is a state, not an event.
		 */
		for (k = 0; k < 3; k++)
			efd_count(efd[k], 0);
		last = efd[kt_splitmix64(&seed) % 3];
		ASSERT_EQ(0, kt_set_eventfd(p.cfd, last));
		EXPECT_NE(0, efd_count(last, kt_wait_ms()))
			TH_LOG("round %d: the eventfd attached after the death was not signalled", i);
		kt_pair_close(&p);
		for (k = 0; k < 3; k++)
			close(efd[k]);
	}
}

/* ------------------------------------------------------------------ */
/* EPOLLEXCLUSIVE and nested epoll                                     */

#define EX_WAITERS	3

struct ex_waiter {
	pthread_t th;
	int epfd;
	int timeout_ms;
	uint32_t events;
	int ret;
	pid_t tid;
};

static void *ex_main(void *p)
{
	struct ex_waiter *w = p;
	struct epoll_event ev;
	int ret;

	__atomic_store_n(&w->tid, kt_gettid(), __ATOMIC_RELEASE);
	ret = epoll_wait(w->epfd, &ev, 1, w->timeout_ms);

	w->events = ret == 1 ? ev.events : 0;
	__atomic_store_n(&w->ret, ret, __ATOMIC_RELEASE);
	return NULL;
}

static int ex_start(struct ex_waiter *w, int epfd, int timeout_ms)
{
	struct timespec nap = { 0, 100000 };

	w->epfd = epfd;
	w->timeout_ms = timeout_ms;
	w->tid = 0;
	w->ret = -2;
	if (pthread_create(&w->th, NULL, ex_main, w))
		return -1;
	uint64_t end = kt_now_ns() + (uint64_t)kt_wait_ms() * 1000000;

	while (!__atomic_load_n(&w->tid, __ATOMIC_ACQUIRE))
		nanosleep(&nap, NULL);
	/* Asleep in epoll_wait(), or already back from a short one. */
	for (;;) {
		char st = kt_task_state(getpid(), w->tid);

		if (st == 'S' || st == 'D' ||
		    __atomic_load_n(&w->ret, __ATOMIC_ACQUIRE) != -2)
			return 0;
		if (kt_now_ns() > end)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

static int epoll_with(int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (epfd < 0)
		return -errno;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) {
		close(epfd);
		return -errno;
	}
	return epfd;
}

/* Each waiter has its epoll instance with the connection added
 * EPOLLEXCLUSIVE, as worker threads of a server have. A kick wakes one or
 * more; the peer's death is final and must wake every one of them, as a
 * socket's or a pipe's close does.
 */
TEST(epoll_exclusive_every_waiter_sees_peer_death)
{
	struct ex_waiter w[EX_WAITERS];
	struct kt_end s;
	struct kt_pair p;
	int epfd[EX_WAITERS], i, woken = 0;

	ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
	ASSERT_EQ(0, kt_end_map(&s, p.sfd));
	for (i = 0; i < EX_WAITERS; i++) {
		epfd[i] = epoll_with(p.cfd, EPOLLIN | EPOLLEXCLUSIVE);
		ASSERT_LE(0, epfd[i]);
	}
	/* A message and a kick: at least one waiter wakes for it. */
	for (i = 0; i < EX_WAITERS; i++)
		ASSERT_EQ(0, ex_start(&w[i], epfd[i], 1000));
	ASSERT_EQ(0, kt_send(&s, "x", 1, kt_wait_ms()));
	ASSERT_EQ(0, kt_kick(p.sfd));
	for (i = 0; i < EX_WAITERS; i++) {
		struct kt_bg j = { .th = w[i].th };

		/* One or more wake with EPOLLIN; the others time out. */
		EXPECT_EQ(0, kt_bg_join(&j, 2 * kt_wait_ms()));
		if (w[i].ret == 1)
			woken++;
	}
	EXPECT_LE(1, woken) TH_LOG("a kick woke no EPOLLEXCLUSIVE waiter");
	/* Drain, then all wait again, and the peer dies. */
	{
		char buf[8];
		uint32_t len;
		struct kt_end c;

		ASSERT_EQ(0, kt_end_map(&c, p.cfd));
		ASSERT_EQ(0, kt_recv(&c, buf, sizeof(buf), &len, kt_wait_ms()));
		kt_end_unmap(&c);
	}
	for (i = 0; i < EX_WAITERS; i++)
		ASSERT_EQ(0, ex_start(&w[i], epfd[i], kt_wait_ms()));
	kt_end_unmap(&s);
	kt_close(&p.sfd);
	for (i = 0; i < EX_WAITERS; i++) {
		struct kt_bg j = { .th = w[i].th };

		EXPECT_EQ(0, kt_bg_join(&j, 2 * kt_wait_ms()));
		EXPECT_EQ(1, w[i].ret) TH_LOG("waiter %d: no wake-up for the peer's death", i);
		EXPECT_TRUE(w[i].events & EPOLLHUP) TH_LOG("waiter %d: events %#x", i,
							    w[i].events);
	}
	for (i = 0; i < EX_WAITERS; i++)
		close(epfd[i]);
	kt_pair_close(&p);
}

/* epoll in epoll: the inner one holds the connection, a thread sleeps on
 * the outer one; a message with its kick, and then the peer's death, must
 * both reach it. Or the connection is closed while a thread waits on the
 * nest: that must neither fire nor leak nor crash.
 */
TEST(nested_epoll_kick_death_and_close)
{
	int n = rounds(50), i;
	uint64_t seed = kt_seed();

	for (i = 0; i < n; i++) {
		struct epoll_event ev;
		struct ex_waiter w;
		struct kt_end c, s;
		struct kt_pair p;
		struct kt_bg j = { 0 };
		uint32_t len;
		char buf[8];
		int inner, outer;

		ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
		ASSERT_EQ(0, kt_end_map(&c, p.cfd));
		ASSERT_EQ(0, kt_end_map(&s, p.sfd));
		inner = epoll_with(p.cfd, EPOLLIN | (i & 1 ? EPOLLET : 0));
		ASSERT_LE(0, inner);
		outer = epoll_with(inner, EPOLLIN);
		ASSERT_LE(0, outer);
		ASSERT_EQ(0, ex_start(&w, outer, kt_wait_ms()));
		ASSERT_EQ(0, kt_send(&s, "x", 1, kt_wait_ms()));
		ASSERT_EQ(0, kt_kick(p.sfd));
		j.th = w.th;
		ASSERT_EQ(0, kt_bg_join(&j, 2 * kt_wait_ms()));
		EXPECT_EQ(1, w.ret) TH_LOG("round %d: the message did not reach the outer epoll", i);
		ASSERT_EQ(0, kt_recv(&c, buf, sizeof(buf), &len, kt_wait_ms()));
		epoll_wait(inner, &ev, 1, 0);
		epoll_wait(outer, &ev, 1, 0);
		kt_end_unmap(&s);
		if (i & 2) {
			/* The peer's death, through the nest. */
			ASSERT_EQ(0, ex_start(&w, outer, kt_wait_ms()));
			kt_close(&p.sfd);
			j.th = w.th;
			ASSERT_EQ(0, kt_bg_join(&j, 2 * kt_wait_ms()));
			EXPECT_EQ(1, w.ret) TH_LOG("round %d: the death did not reach the outer epoll", i);
			kt_end_unmap(&c);
		} else {
			ASSERT_EQ(0, ex_start(&w, outer,
					      20 + (int)(kt_splitmix64(&seed) % 50)));
			kt_end_unmap(&c);
			kt_close(&p.cfd);
			kt_close(&p.sfd);
			j.th = w.th;
			ASSERT_EQ(0, kt_bg_join(&j, 2 * kt_wait_ms()));
			EXPECT_LE(0, w.ret);
		}
		close(outer);
		close(inner);
		kt_pair_close(&p);
	}
}

/* ------------------------------------------------------------------ */
/* aio IOCB_CMD_POLL                                                   */

static long sys_io_setup(unsigned int nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static long sys_io_destroy(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

static long sys_io_submit(aio_context_t ctx, long n, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, n, iocbs);
}

static long sys_io_getevents(aio_context_t ctx, long min, long max,
			     struct io_event *ev, struct timespec *ts)
{
	return syscall(SYS_io_getevents, ctx, min, max, ev, ts);
}

static int aio_poll_submit(aio_context_t ctx, struct iocb *cb, int fd,
			   short events, uint64_t data)
{
	struct iocb *cbs[1] = { cb };

	memset(cb, 0, sizeof(*cb));
	cb->aio_fildes = fd;
	cb->aio_lio_opcode = IOCB_CMD_POLL;
	cb->aio_buf = (uint64_t)(unsigned short)events;
	cb->aio_data = data;
	return sys_io_submit(ctx, 1, cbs) == 1 ? 0 : -errno;
}

/* The completion's res (the revents), or -ETIMEDOUT. */
static long aio_wait(aio_context_t ctx, int timeout_ms)
{
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000 };
	struct io_event ev;
	long n = sys_io_getevents(ctx, 1, 1, &ev, &ts);

	if (n < 0)
		return -errno;
	return n == 1 ? (long)ev.res : -ETIMEDOUT;
}

TEST(aio_poll_kick_death_and_destroy)
{
	int n = rounds(50), i;
	uint64_t seed = kt_seed();

	for (i = 0; i < n; i++) {
		unsigned int how = (unsigned int)(kt_splitmix64(&seed) % 3);
		aio_context_t ctx = 0;
		struct iocb cb[2];
		struct kt_pair p;
		struct kt_end s;
		long res;

		res = sys_io_setup(8, &ctx);
		if (res && errno == ENOSYS)
			SKIP(return, "no aio in this kernel");
		ASSERT_EQ(0, res);
		ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
		ASSERT_EQ(0, kt_end_map(&s, p.sfd));
		/* Empty: the poll waits; a message with its kick ends it. */
		ASSERT_EQ(0, aio_poll_submit(ctx, &cb[0], p.cfd, POLLIN, 1));
		EXPECT_EQ(-ETIMEDOUT, aio_wait(ctx, 0));
		ASSERT_EQ(0, kt_send(&s, "x", 1, kt_wait_ms()));
		ASSERT_EQ(0, kt_kick(p.sfd));
		res = aio_wait(ctx, kt_wait_ms());
		EXPECT_LT(0, res) TH_LOG("round %d: aio poll missed the kick (%ld)", i, res);
		EXPECT_TRUE(res > 0 && (res & POLLIN));
		kt_end_unmap(&s);
		/* A poll pending while the peer dies, or while its own fd is
		 * closed, then io_destroy() with whatever is left.
		 */
		ASSERT_EQ(0, aio_poll_submit(ctx, &cb[1], p.cfd, POLLRDHUP, 2));
		if (how == 0) {
			kt_close(&p.sfd);
			res = aio_wait(ctx, kt_wait_ms());
			EXPECT_LT(0, res) TH_LOG("round %d: aio poll missed the death (%ld)", i, res);
			EXPECT_TRUE(res > 0 && (res & POLLRDHUP));
		} else if (how == 1) {
			kt_close(&p.cfd);	/* the poll holds the file */
			kt_close(&p.sfd);
			pause_us((unsigned int)(kt_splitmix64(&seed) % 200));
		}
		ASSERT_EQ(0, sys_io_destroy(ctx));
		kt_pair_close(&p);
	}
}

TEST_HARNESS_MAIN
