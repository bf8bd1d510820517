// SPDX-License-Identifier: GPL-2.0
/*
 * kipc against hostile local users (issue 8): one user must not be able to
 * make another pay for memory, connection slots or backlog room it cannot
 * get back, nor to make a well-behaved waiter miss its wake-up.
 *
 * Needs root to switch identities; the unprivileged work happens in
 * children that drop to other uids. The global counters of
 * /proc/driver/kipc are read as the "charges": every test here runs alone,
 * so what they show is this test's.
 */
#include <sys/resource.h>
#include <liburing.h>

#include "kipc_test.h"

#define KT_UID_LISTENER	1001
#define KT_UID_VICTIM	1002

/* Child exit codes besides an errno. */
#define KT_X_BECOME	200
#define KT_X_OPEN	201
#define KT_X_URING	202
#define KT_X_PIPE	203

#define KT_MEMLOCK	(8u << 20)	/* the victim's RLIMIT_MEMLOCK */

static void require_root(struct __test_metadata *_metadata)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to switch uids");
}

/* Become @uid with a memlock limit of KT_MEMLOCK, set while still root. */
static int become_limited(uid_t uid)
{
	struct rlimit rl = { KT_MEMLOCK, KT_MEMLOCK };

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return -errno;
	return kt_become(uid, uid, 0, NULL);
}

/*
 * A listener owned by KT_UID_LISTENER, mode 0666, in a child that never
 * accepts: it posts 'r' on @ready and holds the listener until @hold[1]
 * is closed or written. Returns the child's pid.
 */
static pid_t start_idle_listener(const char *name, uint32_t ring,
				 uint32_t backlog, int ready, int hold[2])
{
	pid_t pid = kt_fork();

	if (pid)
		return pid;
	close(hold[1]);
	if (kt_become(KT_UID_LISTENER, KT_UID_LISTENER, 0, NULL))
		_exit(KT_X_BECOME);
	if (kt_new_listener(name, 0666, ring, ring, backlog) < 0)
		_exit(KT_X_OPEN);
	if (kt_post(ready, 'r'))
		_exit(KT_X_PIPE);
	kt_expect(hold[0], kt_wait_ms() * 60);
	_exit(0);
}

static long long counter(const char *key)
{
	long long v = -1;

	return kt_counter(key, &v) ? -1 : v;
}

/* A fresh victim process with no kipc fd: connect, then register 4 MiB of
 * io_uring fixed buffers (io_uring charges the same user->locked_vm).
 */
static int victim_connect_and_register(const char *name)
{
	struct io_uring ring;
	struct iovec iov;
	pid_t pid = kt_fork();
	int fd, ret;

	if (pid < 0)
		return pid;
	if (pid)
		return kt_wait_exit(pid, kt_wait_ms());
	if (become_limited(KT_UID_VICTIM))
		_exit(KT_X_BECOME);
	fd = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	if (fd < 0)
		_exit(-fd);
	close(fd);
	iov.iov_len = 4u << 20;
	iov.iov_base = mmap(NULL, iov.iov_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (iov.iov_base == MAP_FAILED)
		_exit(KT_X_URING);
	if (io_uring_queue_init(4, &ring, 0))
		_exit(KT_X_URING);
	ret = io_uring_register_buffers(&ring, &iov, 1);
	_exit(ret ? -ret : 0);
}

/*
 * Item 1: a queued connection whose client is gone is freed at once.
 * 1,000 rounds of connect-and-exit by the victim against another user's
 * listener that never accepts; after each round the victim's charges are
 * back to zero, and a fresh victim process can still connect and register
 * io_uring buffers within its memlock limit. The rounds take longer than
 * the harness's default 30 s on a KASAN kernel under TCG: hence a fixture,
 * the harness's only way to give one test its own limit.
 */
FIXTURE(rounds) {};
FIXTURE_SETUP(rounds) {}
FIXTURE_TEARDOWN(rounds) {}

TEST_F_TIMEOUT(rounds, dead_client_charges_freed_before_accept, 600)
{
	char name[KIPC_NAME_MAX];
	int ready[2], hold[2], i, rounds;
	long long conns, pages;
	pid_t lpid;

	require_root(_metadata);
	rounds = (int)kt_env_u64("KIPC_TEST_DOS_ROUNDS", 1000);
	kt_name(name, "dos");
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	lpid = start_idle_listener(name, 1u << 20, 0, ready[1], hold);
	ASSERT_LT(0, lpid);
	ASSERT_EQ('r', kt_expect(ready[0], kt_wait_ms()));

	for (i = 0; i < rounds; i++) {
		pid_t pid = kt_fork();
		int fd;

		ASSERT_LE(0, pid);
		if (pid == 0) {
			if (become_limited(KT_UID_VICTIM))
				_exit(KT_X_BECOME);
			fd = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
			_exit(fd < 0 ? -fd : 0);
		}
		fd = kt_wait_exit(pid, kt_wait_ms());
		conns = counter("connections");
		pages = counter("pinned_pages");
		if (fd || conns || pages) {
			/* Not ASSERT: the listener child is released below. */
			EXPECT_EQ(0, fd);
			EXPECT_EQ(0, conns);
			EXPECT_EQ(0, pages);
			TH_LOG("round %d", i);
			break;
		}
	}
	EXPECT_EQ(0, victim_connect_and_register(name));
	EXPECT_EQ(0, counter("connections"));

	close(hold[1]);
	EXPECT_EQ(0, kt_wait_exit(lpid, kt_wait_ms()));
	close(hold[0]);
	close(ready[0]);
	close(ready[1]);
}

/*
 * A listener owned by KT_UID_LISTENER, mode 0666, in a child that accepts
 * @n connections and keeps every one: it posts 'a' on @ready after each
 * accept and holds them all until @hold[1] is closed or written.
 */
static pid_t start_holding_server(const char *name, uint32_t ring, int n,
				  int ready, int hold[2])
{
	pid_t pid = kt_fork();
	int lfd, i;

	if (pid)
		return pid;
	close(hold[1]);
	if (kt_become(KT_UID_LISTENER, KT_UID_LISTENER, 0, NULL))
		_exit(KT_X_BECOME);
	lfd = kt_new_listener(name, 0666, ring, ring, 0);
	if (lfd < 0)
		_exit(KT_X_OPEN);
	if (kt_post(ready, 'r'))
		_exit(KT_X_PIPE);
	for (i = 0; i < n; i++) {
		int sfd = kt_accept(lfd, 0, NULL);

		if (sfd < 0)
			_exit(-sfd);
		if (kt_post(ready, 'a'))	/* sfd stays open */
			_exit(KT_X_PIPE);
	}
	kt_expect(hold[0], kt_wait_ms() * 60);
	_exit(0);
}

#define KT_HELD_CONNS	6	/* x 2 MiB of rings: over KT_MEMLOCK */

/*
 * A server that accepts and never closes takes over the charges of each
 * client that left: KT_HELD_CONNS times, a fresh victim process connects
 * with 1 MiB rings, waits until it is accepted and exits. Together the
 * rings are more than the victim's RLIMIT_MEMLOCK, so without the hand-over
 * (its locked_vm still holding the earlier ones) a connect fails with
 * ENOMEM; every connection stays alive, held by the server; a fresh victim
 * can still connect and register io_uring buffers; and once the server
 * closes nothing is left.
 */
TEST(dead_client_charges_move_to_holding_server)
{
	char name[KIPC_NAME_MAX];
	int ready[2], hold[2], i, ret;
	bool held = true;
	pid_t spid;

	require_root(_metadata);
	kt_name(name, "hold");
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	spid = start_holding_server(name, 1u << 20, KT_HELD_CONNS, ready[1],
				    hold);
	ASSERT_LT(0, spid);
	ASSERT_EQ('r', kt_expect(ready[0], kt_wait_ms()));

	for (i = 0; i < KT_HELD_CONNS; i++) {
		int go[2], fd;
		pid_t pid;

		ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
		pid = kt_fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			close(go[1]);
			if (become_limited(KT_UID_VICTIM))
				_exit(KT_X_BECOME);
			fd = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
			if (fd < 0)
				_exit(-fd);
			/* Gone only once accepted: a queued one is freed. */
			kt_expect(go[0], kt_wait_ms());
			_exit(0);
		}
		close(go[0]);
		ret = kt_expect(ready[0], kt_wait_ms());
		close(go[1]);
		fd = kt_wait_exit(pid, kt_wait_ms());
		if (ret != 'a' || fd) {
			/* Not ASSERT: the server child is released below. */
			EXPECT_EQ('a', ret);
			EXPECT_EQ(0, fd) TH_LOG("connect %d: %s", i, strerror(fd));
			held = false;
			break;
		}
	}
	EXPECT_EQ(KT_HELD_CONNS, counter("connections"));
	EXPECT_EQ(0, victim_connect_and_register(name));

	if (!held)
		kill(spid, SIGKILL);	/* it still waits in ACCEPT */
	close(hold[1]);
	ret = kt_wait_exit(spid, kt_wait_ms());
	if (held)
		EXPECT_EQ(0, ret);
	EXPECT_EQ(0, counter("connections"));
	EXPECT_EQ(0, counter("pinned_pages"));
	close(hold[0]);
	close(ready[0]);
	close(ready[1]);
}

/* A client that dies while its connection is queued leaves no slot taken:
 * the listener's backlog has room again for the next connector.
 */
TEST(dead_client_frees_its_backlog_slot)
{
	char name[KIPC_NAME_MAX];
	int lfd, cfd, i;

	kt_name(name, "slot");
	lfd = kt_new_listener(name, 0600, 0, 0, 1);
	ASSERT_LE(0, lfd);
	for (i = 0; i < 3; i++) {
		cfd = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
		ASSERT_LE(0, cfd) TH_LOG("connect %d: %d", i, cfd);
		close(cfd);
	}
	EXPECT_EQ(-EAGAIN, kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL));
	EXPECT_EQ(0, counter("connections"));
	close(lfd);
}

/*
 * Item 3: a CONNECT blocked on a full backlog has allocated and charged
 * nothing yet; it pays only once it has a slot.
 */
TEST(backlog_wait_holds_no_charge)
{
	char name[KIPC_NAME_MAX];
	long long pages_one;
	struct kt_bg bg = { .fn = kt_bg_connect, .arg = name };
	int lfd, c1, sfd, ret;

	kt_name(name, "wait");
	lfd = kt_new_listener(name, 0600, 1u << 20, 1u << 20, 1);
	ASSERT_LE(0, lfd);
	c1 = kt_new_client(name, 0);
	ASSERT_LE(0, c1);
	pages_one = counter("pinned_pages");
	ASSERT_LT(0, pages_one);
	bg.fd = kt_open();
	ASSERT_LE(0, bg.fd);
	ASSERT_EQ(0, kt_bg_start(&bg));
	/* Asleep in CONNECT, waiting for room: one connection's worth. */
	EXPECT_EQ(1, counter("connections"));
	EXPECT_EQ(pages_one, counter("pinned_pages"));

	sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	ASSERT_LE(0, sfd);
	ret = kt_bg_join(&bg, kt_wait_ms());
	EXPECT_EQ(0, ret);
	EXPECT_EQ(2, counter("connections"));
	close(bg.fd);
	close(sfd);
	close(c1);
	close(lfd);
}

/* The line of /proc/driver/kipc that starts with @prefix, or "". */
static void proc_line(const char *prefix, char *out, size_t len)
{
	FILE *f = fopen(KT_PROC, "re");

	out[0] = 0;
	if (!f)
		return;
	while (fgets(out, (int)len, f))
		if (!strncmp(out, prefix, strlen(prefix))) {
			fclose(f);
			return;
		}
	out[0] = 0;
	fclose(f);
}

/* Item 8: a connection's NAME in /proc is flagged once its listener is
 * gone, since the name may by then be another user's listener's.
 */
TEST(proc_flags_a_connection_whose_listener_closed)
{
	struct kipc_conn_info ci;
	char prefix[64], line[1024];
	struct kt_pair p;

	ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
	ASSERT_EQ(0, kt_conn_info(p.cfd, &ci));
	snprintf(prefix, sizeof(prefix), "conn %llu ",
		 (unsigned long long)ci.conn_id);
	proc_line(prefix, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, " listener=open\n")) TH_LOG("%s", line);
	kt_close(&p.lfd);
	proc_line(prefix, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, " listener=closed\n")) TH_LOG("%s", line);
	kt_pair_close(&p);
}

/* ------------------------------------------------------------------ */
/* Items 2 and 11: limits that protect users from each other           */

static int connect_capped(const char *name, uint32_t cap)
{
	struct kipc_connect c = {
		.size = sizeof(c),
		.flags = KIPC_CONNECT_NONBLOCK,
		.max_ring_bytes = cap,
	};
	int fd = kt_open(), ret;

	if (fd < 0)
		return fd;
	kt_copy_name(c.name, name);
	ret = kt_ioctl(fd, KIPC_IOC_CONNECT, &c);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* The connector refuses rings larger than it will pay for: EMSGSIZE,
 * and nothing was allocated or charged.
 */
TEST(connect_ring_cap_emsgsize_before_charging)
{
	char name[KIPC_NAME_MAX];
	struct kipc_version v;
	int lfd, cfd, fd;

	fd = kt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_version(fd, &v));
	close(fd);
	ASSERT_TRUE(v.features & KIPC_F_RING_CAP);
	kt_name(name, "cap");
	lfd = kt_new_listener(name, 0600, 16 * v.page_size, 4 * v.page_size, 0);
	ASSERT_LE(0, lfd);
	EXPECT_EQ(-EMSGSIZE, connect_capped(name, 8 * v.page_size));
	EXPECT_EQ(-EMSGSIZE, connect_capped(name, 16 * v.page_size - 1));
	EXPECT_EQ(0, counter("connections"));
	EXPECT_EQ(0, counter("pinned_pages"));
	cfd = connect_capped(name, 16 * v.page_size);
	EXPECT_LE(0, cfd);
	close(cfd);
	cfd = connect_capped(name, 0);		/* 0: no cap */
	EXPECT_LE(0, cfd);
	close(cfd);
	close(lfd);
}

/*
 * The module's max_ring_bytes binds listeners made before root lowered it:
 * their CONNECTs get EMSGSIZE, charging nothing, until it is raised again.
 */
TEST(lowered_module_ring_cap_binds_old_listeners)
{
	unsigned long long old;
	char name[KIPC_NAME_MAX];
	struct kipc_version v;
	int lfd, cfd, fd;

	require_root(_metadata);
	ASSERT_EQ(0, kt_param_read("max_ring_bytes", &old));
	fd = kt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_version(fd, &v));
	close(fd);
	ASSERT_LE(16ull * v.page_size, old);
	kt_name(name, "lowered");
	lfd = kt_new_listener(name, 0600, 16 * v.page_size, 4 * v.page_size, 0);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, kt_param_write("max_ring_bytes", 8ull * v.page_size));
	cfd = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	EXPECT_EQ(0, kt_param_write("max_ring_bytes", old));
	EXPECT_EQ(-EMSGSIZE, cfd);
	if (cfd >= 0)
		close(cfd);
	EXPECT_EQ(0, counter("connections"));
	EXPECT_EQ(0, counter("pinned_pages"));
	cfd = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	EXPECT_LE(0, cfd);
	if (cfd >= 0)
		close(cfd);
	close(lfd);
}

/*
 * The module's max_backlog binds listeners made before root lowered it: a
 * non-blocking CONNECT past the lowered backlog gets EAGAIN, charging
 * nothing; an ACCEPT frees a slot under it; raised again, the listener's
 * own backlog holds.
 */
TEST(lowered_module_backlog_binds_old_listeners)
{
	unsigned long long old;
	char name[KIPC_NAME_MAX];
	int lfd, c[7], sfd, i;

	require_root(_metadata);
	ASSERT_EQ(0, kt_param_read("max_backlog", &old));
	ASSERT_LE(4ull, old);
	kt_name(name, "lowblog");
	lfd = kt_new_listener(name, 0600, 0, 0, 4);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, kt_param_write("max_backlog", 2));
	c[0] = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	c[1] = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	c[2] = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	EXPECT_EQ(2, counter("connections"));
	sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	c[3] = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	c[4] = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	EXPECT_EQ(0, kt_param_write("max_backlog", old));
	EXPECT_LE(0, c[0]);
	EXPECT_LE(0, c[1]);
	EXPECT_EQ(-EAGAIN, c[2]);
	EXPECT_LE(0, sfd);
	EXPECT_LE(0, c[3]);
	EXPECT_EQ(-EAGAIN, c[4]);
	/* Restored: the listener's own 4, with 2 queued. */
	c[5] = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	c[6] = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	EXPECT_LE(0, c[5]);
	EXPECT_LE(0, c[6]);
	EXPECT_EQ(-EAGAIN, kt_new_client(name, KIPC_CONNECT_NONBLOCK));
	EXPECT_EQ(5, counter("connections"));
	for (i = 0; i < 7; i++)
		if (c[i] >= 0)
			close(c[i]);
	if (sfd >= 0)
		close(sfd);
	close(lfd);
	EXPECT_EQ(0, counter("connections"));
}

/* Non-zero __reserved in CONNECT is refused. */
TEST(connect_reserved_einval)
{
	struct kipc_connect c = { .size = sizeof(c), .__reserved = 1 };
	char name[KIPC_NAME_MAX];
	int lfd, fd;

	kt_name(name, "rsv");
	lfd = kt_new_listener(name, 0600, 0, 0, 0);
	ASSERT_LE(0, lfd);
	fd = kt_open();
	ASSERT_LE(0, fd);
	kt_copy_name(c.name, name);
	EXPECT_EQ(-EINVAL, kt_ioctl(fd, KIPC_IOC_CONNECT, &c));
	close(fd);
	close(lfd);
}

struct saved_param {
	const char *name;
	unsigned long long val;
};

/*
 * Root (CAP_IPC_LOCK, so RLIMIT_MEMLOCK is skipped) can take no more than
 * max_pinned_bytes_per_user: ENOSPC for it, while another user still
 * connects within the global cap.
 */
TEST(per_user_pinned_share_binds_cap_ipc_lock)
{
	struct saved_param sp = { "max_pinned_bytes_per_user", 0 };
	char name[KIPC_NAME_MAX];
	long long one;
	int lfd, c1, c2, ret;
	pid_t pid;

	require_root(_metadata);
	ASSERT_EQ(0, kt_param_read(sp.name, &sp.val));
	kt_name(name, "share");
	lfd = kt_new_listener(name, 0666, 1u << 20, 1u << 20, 0);
	ASSERT_LE(0, lfd);
	c1 = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	ASSERT_LE(0, c1);
	one = counter("pinned_bytes");
	ASSERT_LT(0, one);
	/* Room for one connection and a half. */
	ASSERT_EQ(0, kt_param_write(sp.name, (unsigned long long)one * 3 / 2));
	c2 = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	EXPECT_EQ(-ENOSPC, c2);
	if (c2 >= 0)
		close(c2);
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (become_limited(KT_UID_VICTIM))
			_exit(KT_X_BECOME);
		ret = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
		_exit(ret < 0 ? -ret : 0);
	}
	EXPECT_EQ(0, kt_wait_exit(pid, kt_wait_ms()));
	close(c1);
	/* Its share is free again once its connection is gone. */
	c2 = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	EXPECT_LE(0, c2);
	if (c2 >= 0)
		close(c2);
	EXPECT_EQ(0, kt_param_write(sp.name, sp.val));
	close(lfd);
	EXPECT_EQ(0, counter("pinned_pages"));
}

/* max_listeners_per_user names per real uid: EMFILE past it, per user,
 * and a closed listener gives its slot back.
 */
TEST(per_user_listener_limit_emfile)
{
	struct saved_param sp = { "max_listeners_per_user", 0 };
	char name[3][KIPC_NAME_MAX], other[KIPC_NAME_MAX];
	int fd[3], i, ofd;
	pid_t pid;

	require_root(_metadata);
	ASSERT_EQ(0, kt_param_read(sp.name, &sp.val));
	ASSERT_EQ(0, kt_param_write(sp.name, 2));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (kt_become(KT_UID_LISTENER, KT_UID_LISTENER, 0, NULL))
			_exit(KT_X_BECOME);
		for (i = 0; i < 3; i++)
			kt_name(name[i], "lim");
		fd[0] = kt_new_listener(name[0], 0600, 0, 0, 0);
		fd[1] = kt_new_listener(name[1], 0600, 0, 0, 0);
		if (fd[0] < 0 || fd[1] < 0)
			_exit(10);
		if (kt_new_listener(name[2], 0600, 0, 0, 0) != -EMFILE)
			_exit(11);
		close(fd[0]);
		fd[2] = kt_new_listener(name[2], 0600, 0, 0, 0);
		_exit(fd[2] < 0 ? 12 : 0);
	}
	EXPECT_EQ(0, kt_wait_exit(pid, kt_wait_ms()));
	/* Another user (root here) is not held to uid 1001's count. */
	kt_name(other, "lim-root");
	ofd = kt_new_listener(other, 0600, 0, 0, 0);
	EXPECT_LE(0, ofd);
	if (ofd >= 0)
		close(ofd);
	EXPECT_EQ(0, kt_param_write(sp.name, sp.val));
}

TEST_HARNESS_MAIN
