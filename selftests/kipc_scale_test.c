// SPDX-License-Identifier: GPL-2.0
/*
 * kipc at scale (issue 10, item 7): many listeners, a full backlog, the
 * largest rings, and /proc/driver/kipc over many connections.
 *
 * Costs are measured, printed on "# kipc-figure: suite=scale" lines and
 * judged only for their growth: the median LISTEN and CONNECT at the
 * largest size may cost at most KIPC_SCALE_RATIO (20) times what they cost
 * at 10 (name lookup is a hash table: constant), and one /proc line at
 * most that many times what it costs at the smallest size (a listing is
 * linear; worse means each read restarts its walk). Those are generous
 * bounds for correctness, not benchmarks.
 *
 * Sizes: listeners 10, 100 and 1,000 and 1,000 connections by default;
 * 10, 1,000 and 10,000 of each under KIPC_TEST_LONG (KIPC_SCALE_MAX sets
 * the largest). The limits the test needs (max_listeners_per_user,
 * max_conns_per_user, max_pinned_bytes_per_user, max_ring_bytes) are
 * raised through /sys/module/kipc/parameters and restored afterwards.
 */
#include <sys/resource.h>

#include "kipc_test.h"

#define SAMPLES		64	/* timed operations per size */

static const char *const saved_params[] = {
	"max_listeners_per_user", "max_conns_per_user",
	"max_pinned_bytes_per_user", "max_ring_bytes", "max_backlog",
};
#define NR_SAVED (sizeof(saved_params) / sizeof(saved_params[0]))

FIXTURE(scale) {
	unsigned long long saved[NR_SAVED];
	bool have_saved[NR_SAVED];
	unsigned int max;	/* the largest size */
	double ratio;
	uint32_t page;
	int *fds;
	unsigned int nfds;
	bool root;
};

/* Module parameters and fd limits are raised, then restored: root only. */
#define REQUIRE_ROOT() do {						\
	if (!self->root)						\
		SKIP(return, "needs root for module parameters and fd limits"); \
} while (0)

static int raise_nofile(unsigned int n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= n)
		return 0;
	rl.rlim_cur = n;
	if (rl.rlim_max < n)
		rl.rlim_max = n;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

FIXTURE_SETUP(scale)
{
	unsigned int i;

	/* SKIP here would not stop the test body: each test checks. */
	self->root = geteuid() == 0;
	if (!self->root)
		return;
	for (i = 0; i < NR_SAVED; i++)
		self->have_saved[i] = !kt_param_read(saved_params[i],
						      &self->saved[i]);
	self->max = (unsigned int)kt_env_u64("KIPC_SCALE_MAX",
					     kt_long() ? 10000 : 1000);
	if (self->max < 100)
		self->max = 100;
	self->ratio = (double)kt_env_u64("KIPC_SCALE_RATIO", 20);
	self->page = kt_page();
	/* Every listener and both ends of every connection are fds here. */
	ASSERT_EQ(0, raise_nofile(2 * self->max + 2 * SAMPLES + 256));
	self->fds = calloc(2 * self->max + 2 * SAMPLES, sizeof(int));
	ASSERT_NE(NULL, self->fds);
	self->nfds = 0;
}

FIXTURE_TEARDOWN(scale)
{
	unsigned int i;

	if (!self->fds)
		return;
	for (i = 0; i < self->nfds; i++)
		close(self->fds[i]);
	free(self->fds);
	for (i = 0; i < NR_SAVED; i++)
		if (self->have_saved[i])
			kt_param_write(saved_params[i], self->saved[i]);
}

static void hold(FIXTURE_DATA(scale) *self, int fd)
{
	self->fds[self->nfds++] = fd;
}

static void drop_all(FIXTURE_DATA(scale) *self)
{
	while (self->nfds)
		close(self->fds[--self->nfds]);
}

/* The sizes measured: 10, ..., max. */
static int sizes(const FIXTURE_DATA(scale) *self, unsigned int *v)
{
	int n = 0;

	v[n++] = 10;
	if (self->max > 1000)
		v[n++] = 1000;
	else
		v[n++] = 100;
	v[n++] = self->max;
	return n;
}

/* Names from one family: a long common prefix, differing in the last
 * characters only, and a few of the full length, so that whatever the
 * salted hash does with them the table sees many near-identical keys.
 */
static void scale_name(char name[KIPC_NAME_MAX], unsigned int i)
{
	memset(name, 0, KIPC_NAME_MAX);
	if (i % 7 == 0) {
		memset(name, 'n', KIPC_NAME_MAX - 1);
		snprintf(name + KIPC_NAME_MAX - 9, 9, "%08x", i);
	} else {
		snprintf(name, KIPC_NAME_MAX, "kt-scale-%d-%u", (int)getpid(), i);
	}
}

/* Name-table lookups with 10 .. max listeners: LISTEN of a new name,
 * CONNECT to a random existing one (ACCEPT on that very listener proves
 * the lookup found the right one).
 */
TEST_F_TIMEOUT(scale, listen_connect_cost_is_flat, 600)
{
	uint64_t rng = kt_seed(), t0, *lis, *con;
	uint64_t med_l[3], med_c[3];
	unsigned int sz[3], have = 0, i, k;
	char name[KIPC_NAME_MAX];
	int nsz = sizes(self, sz), s;

	REQUIRE_ROOT();

	ASSERT_EQ(0, kt_param_write("max_listeners_per_user",
				    self->max + SAMPLES + 16));
	ASSERT_EQ(0, kt_param_write("max_conns_per_user", 4 * SAMPLES + 1024));
	lis = calloc(SAMPLES, sizeof(*lis));
	con = calloc(SAMPLES, sizeof(*con));
	ASSERT_NE(NULL, lis);
	ASSERT_NE(NULL, con);
	for (s = 0; s < nsz; s++) {
		t0 = kt_now_ns();
		for (; have < sz[s]; have++) {
			int fd;

			scale_name(name, have);
			fd = kt_new_listener(name, 0600, self->page,
					     self->page, 0);
			ASSERT_LE(0, fd) TH_LOG("listener %u: %d", have, fd);
			hold(self, fd);
		}
		TH_LOG("%u listeners in %.1f ms", have, kt_ms(kt_now_ns() - t0));
		/* LISTEN (and close) one more name while @have exist. */
		for (k = 0; k < SAMPLES; k++) {
			int fd = kt_open();

			ASSERT_LE(0, fd);
			scale_name(name, 1000000 + k);
			t0 = kt_now_ns();
			ASSERT_EQ(0, kt_listen(fd, name, 0600, self->page,
					       self->page, 0));
			lis[k] = kt_now_ns() - t0;
			close(fd);
		}
		/* CONNECT to a random one of them. */
		for (k = 0; k < SAMPLES; k++) {
			unsigned int j = (unsigned int)(kt_splitmix64(&rng) % have);
			int cfd = kt_open(), sfd;

			ASSERT_LE(0, cfd);
			scale_name(name, j);
			t0 = kt_now_ns();
			ASSERT_EQ(0, kt_connect(cfd, name, KIPC_CONNECT_NONBLOCK));
			con[k] = kt_now_ns() - t0;
			sfd = kt_accept(self->fds[j], KIPC_ACCEPT_NONBLOCK, NULL);
			ASSERT_LE(0, sfd) TH_LOG("listener %u did not get its client", j);
			close(sfd);
			close(cfd);
		}
		med_l[s] = kt_percentile(lis, SAMPLES, 50);
		med_c[s] = kt_percentile(con, SAMPLES, 50);
		kt_figure("scale",
			  "case=names listeners=%u listen_p50_us=%.1f listen_p99_us=%.1f connect_p50_us=%.1f connect_p99_us=%.1f",
			  have, med_l[s] / 1e3,
			  kt_percentile(lis, SAMPLES, 99) / 1e3,
			  med_c[s] / 1e3, kt_percentile(con, SAMPLES, 99) / 1e3);
	}
	/* A duplicate of any of them is still refused. */
	for (i = 0; i < have; i += have / 16 + 1) {
		int fd = kt_open();

		ASSERT_LE(0, fd);
		scale_name(name, i);
		EXPECT_EQ(-EADDRINUSE, kt_listen(fd, name, 0600, 0, 0, 0));
		close(fd);
	}
	kt_figure("scale",
		  "case=names_growth listeners=%u listen_ratio=%.2f connect_ratio=%.2f limit=%.0f",
		  have, (double)med_l[nsz - 1] / (double)(med_l[0] ?: 1),
		  (double)med_c[nsz - 1] / (double)(med_c[0] ?: 1), self->ratio);
	EXPECT_GE(self->ratio * (double)med_l[0], (double)med_l[nsz - 1]);
	EXPECT_GE(self->ratio * (double)med_c[0], (double)med_c[nsz - 1]);
	free(lis);
	free(con);
}

/* max_listeners_per_user: the next name is EMFILE, for root too. */
TEST_F(scale, listener_limit_per_user)
{
	unsigned long long limit = 0;
	long long before = 0;
	char name[KIPC_NAME_MAX];
	unsigned int i;
	int fd;

	REQUIRE_ROOT();

	ASSERT_EQ(0, kt_param_write("max_listeners_per_user", 256));
	ASSERT_EQ(0, kt_param_read("max_listeners_per_user", &limit));
	ASSERT_EQ(0, kt_counter("listeners", &before));
	ASSERT_EQ(0, before);
	for (i = 0; i < limit; i++) {
		scale_name(name, i);
		fd = kt_new_listener(name, 0600, 0, 0, 0);
		ASSERT_LE(0, fd) TH_LOG("listener %u of %llu: %d", i, limit, fd);
		hold(self, fd);
	}
	scale_name(name, i);
	EXPECT_EQ(-EMFILE, kt_new_listener(name, 0600, 0, 0, 0));
	/* A name freed is a name available again. */
	close(self->fds[--self->nfds]);
	fd = kt_new_listener(name, 0600, 0, 0, 0);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		hold(self, fd);
	kt_figure("scale", "case=listener_limit limit=%llu held=%u next=EMFILE",
		  limit, self->nfds);
}

/* A backlog of max_backlog (1,024 by default) fills, refuses the next
 * non-blocking CONNECT with EAGAIN, and hands every queued client out;
 * one past max_backlog is EINVAL at LISTEN.
 */
TEST_F_TIMEOUT(scale, backlog_full, 300)
{
	unsigned long long max_backlog = 0;
	char name[KIPC_NAME_MAX];
	struct kt_end e;
	uint64_t t0, first = 0, last = 0;
	unsigned int i, n;
	int lfd, cfd0;

	REQUIRE_ROOT();

	ASSERT_EQ(0, kt_param_read("max_backlog", &max_backlog));
	n = (unsigned int)max_backlog;
	ASSERT_EQ(0, kt_param_write("max_conns_per_user", n + 64));
	ASSERT_EQ(0, raise_nofile(2 * n + 256));
	kt_name(name, "backlog");
	EXPECT_EQ(-EINVAL, kt_new_listener(name, 0600, 0, 0, n + 1));
	lfd = kt_new_listener(name, 0600, self->page, self->page, n);
	ASSERT_LE(0, lfd);
	hold(self, lfd);
	for (i = 0; i < n; i++) {
		int cfd = kt_open();

		ASSERT_LE(0, cfd);
		t0 = kt_now_ns();
		ASSERT_EQ(0, kt_connect(cfd, name, KIPC_CONNECT_NONBLOCK))
			TH_LOG("client %u of %u", i, n);
		if (i == 0)
			first = kt_now_ns() - t0;
		if (i == n - 1)
			last = kt_now_ns() - t0;
		hold(self, cfd);
	}
	cfd0 = kt_open();
	ASSERT_LE(0, cfd0);
	EXPECT_EQ(-EAGAIN, kt_connect(cfd0, name, KIPC_CONNECT_NONBLOCK));
	close(cfd0);
	/* Every queued client comes out, each a live connection. */
	for (i = 0; i < n; i++) {
		int sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);

		ASSERT_LE(0, sfd) TH_LOG("accept %u of %u", i, n);
		if (i == 0 || i == n - 1) {
			ASSERT_EQ(0, kt_end_map(&e, sfd));
			EXPECT_EQ(0, kt_end_peer_gone(&e));
			kt_end_unmap(&e);
		}
		hold(self, sfd);
	}
	EXPECT_EQ(-EAGAIN, kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL));
	kt_figure("scale",
		  "case=backlog backlog=%u queued=%u next=EAGAIN connect_first_us=%.1f connect_last_us=%.1f",
		  n, n, first / 1e3, last / 1e3);
}

/* The largest ring max_ring_bytes allows works end to end; one above it
 * is EINVAL; raised to the hard maximum, a pair of rings over the per-user
 * pinned cap is ENOSPC at CONNECT before anything is allocated.
 */
TEST_F_TIMEOUT(scale, largest_rings, 300)
{
	unsigned long long max_ring = 0, cap = 0, hard = 256ULL << 20;
	char name[KIPC_NAME_MAX];
	struct kt_end c, s;
	uint32_t msg, len, n, i;
	uint8_t *buf;
	uint64_t t0, sent = 0;
	int lfd, cfd, sfd;

	REQUIRE_ROOT();

	ASSERT_EQ(0, kt_param_read("max_ring_bytes", &max_ring));
	ASSERT_EQ(0, kt_param_read("max_pinned_bytes_per_user", &cap));
	kt_name(name, "bigring");
	EXPECT_EQ(-EINVAL, kt_new_listener(name, 0600, (uint32_t)max_ring * 2,
					   0, 0));
	lfd = kt_new_listener(name, 0600, (uint32_t)max_ring,
			      (uint32_t)max_ring, 0);
	ASSERT_LE(0, lfd);
	hold(self, lfd);
	t0 = kt_now_ns();
	cfd = kt_new_client(name, 0);
	ASSERT_LE(0, cfd) TH_LOG("2 x %llu-byte rings: %d", max_ring, cfd);
	hold(self, cfd);
	sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	ASSERT_LE(0, sfd);
	hold(self, sfd);
	ASSERT_EQ(0, kt_end_map(&c, cfd));
	ASSERT_EQ(0, kt_end_map(&s, sfd));
	EXPECT_EQ(max_ring, c.tx.size);
	EXPECT_EQ(max_ring, s.tx.size);
	/* Fill the ring with the largest messages it takes, then read them
	 * back checked.
	 */
	msg = KIPC_MSG_MAX((uint32_t)max_ring) & ~7u;
	buf = malloc(msg);
	ASSERT_NE(NULL, buf);
	n = 0;
	for (;;) {
		void *p;

		if (kipc_ring_reserve(&c.tx, msg, &p))
			break;
		memset(p, 0x11 + n, msg);
		memcpy(p, &n, sizeof(n));
		kipc_ring_commit(&c.tx);
		n++;
		sent += msg;
	}
	kipc_ring_publish(&c.tx);
	EXPECT_LE(1, n);
	for (i = 0; i < n; i++) {
		uint32_t got;

		ASSERT_EQ(0, kt_recv(&s, buf, msg, &len, 0));
		ASSERT_EQ(msg, len);
		memcpy(&got, buf, sizeof(got));
		EXPECT_EQ(i, got);
		EXPECT_EQ((uint8_t)(0x11 + i), buf[msg - 1]);
	}
	free(buf);
	kt_figure("scale",
		  "case=largest_ring ring_bytes=%llu msg_bytes=%u msgs=%u bytes=%llu ms=%.1f",
		  max_ring, msg, n, (unsigned long long)sent,
		  kt_ms(kt_now_ns() - t0));
	kt_end_unmap(&c);
	kt_end_unmap(&s);
	drop_all(self);

	/* At the hard maximum, two rings exceed the per-user cap. */
	if (2 * hard > cap) {
		ASSERT_EQ(0, kt_param_write("max_ring_bytes", hard));
		kt_name(name, "hugering");
		lfd = kt_new_listener(name, 0600, (uint32_t)hard,
				      (uint32_t)hard, 0);
		ASSERT_LE(0, lfd);
		hold(self, lfd);
		EXPECT_EQ(-ENOSPC, kt_new_client(name, 0));
		kt_figure("scale",
			  "case=hard_max_ring ring_bytes=%llu pinned_cap=%llu connect=ENOSPC",
			  hard, cap);
	}
}

/* One whole read of /proc/driver/kipc: its lines, its time and the
 * longest single read(2) (a seq_file chunk: what one lock hold can be).
 */
static int proc_read(unsigned int *lines, uint64_t *total_ns,
		     uint64_t *chunk_ns)
{
	static char buf[4096];	/* one seq_file page a call */
	uint64_t t0 = kt_now_ns(), c0;
	ssize_t n;
	int fd = open(KT_PROC, O_RDONLY | O_CLOEXEC), i;

	if (fd < 0)
		return -errno;
	*lines = 0;
	*chunk_ns = 0;
	for (;;) {
		c0 = kt_now_ns();
		n = read(fd, buf, sizeof(buf));
		c0 = kt_now_ns() - c0;
		if (c0 > *chunk_ns)
			*chunk_ns = c0;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			*lines += buf[i] == '\n';
	}
	close(fd);
	*total_ns = kt_now_ns() - t0;
	return n < 0 ? -errno : 0;
}

struct proc_reader {
	volatile bool stop;
	unsigned int reads;
};

static void *proc_reader_main(void *p)
{
	struct proc_reader *r = p;
	uint64_t a, b;
	unsigned int l;

	while (!r->stop) {
		if (proc_read(&l, &a, &b))
			break;
		__atomic_fetch_add(&r->reads, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Worst CONNECT+ACCEPT of @k on listener @lfd (name @name). */
static uint64_t worst_connect(const char *name, int lfd, unsigned int k)
{
	uint64_t worst = 0, t0;
	unsigned int i;

	for (i = 0; i < k; i++) {
		int cfd = kt_open(), sfd;

		if (cfd < 0)
			return UINT64_MAX;
		t0 = kt_now_ns();
		if (kt_connect(cfd, name, KIPC_CONNECT_NONBLOCK)) {
			close(cfd);
			return UINT64_MAX;
		}
		sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
		t0 = kt_now_ns() - t0;
		if (t0 > worst)
			worst = t0;
		if (sfd >= 0)
			close(sfd);
		close(cfd);
	}
	return worst;
}

TEST_F_TIMEOUT(scale, proc_with_many_connections, 600)
{
	uint64_t total, chunk, per_line[3] = { 0 }, quiet, busy, t_end;
	unsigned int sz[3], have = 0, lines, base_lines;
	char name[KIPC_NAME_MAX], probe[KIPC_NAME_MAX];
	struct proc_reader r = { 0 };
	int nsz = sizes(self, sz), s, lfd, plfd;
	pthread_t th;

	REQUIRE_ROOT();

	ASSERT_EQ(0, kt_param_write("max_conns_per_user", self->max + 1024));
	ASSERT_EQ(0, kt_param_write("max_pinned_bytes_per_user",
				    (unsigned long long)(self->max + 1024) *
				    (KIPC_FIXED_PAGES + 2) * self->page));
	kt_name(name, "many");
	lfd = kt_new_listener(name, 0600, self->page, self->page, 0);
	ASSERT_LE(0, lfd);
	hold(self, lfd);
	kt_name(probe, "probe");
	plfd = kt_new_listener(probe, 0600, self->page, self->page, 0);
	ASSERT_LE(0, plfd);
	hold(self, plfd);
	ASSERT_EQ(0, proc_read(&base_lines, &total, &chunk));
	for (s = 0; s < nsz; s++) {
		uint64_t t0 = kt_now_ns();

		for (; have < sz[s]; have++) {
			int cfd = kt_new_client(name, KIPC_CONNECT_NONBLOCK), sfd;

			ASSERT_LE(0, cfd) TH_LOG("connection %u: %d", have, cfd);
			hold(self, cfd);
			sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
			ASSERT_LE(0, sfd);
			hold(self, sfd);
		}
		TH_LOG("%u connections in %.1f ms", have, kt_ms(kt_now_ns() - t0));
		ASSERT_EQ(0, proc_read(&lines, &total, &chunk));
		/* At least a line per connection (its format is not ours). */
		EXPECT_LE(base_lines + have, lines);
		per_line[s] = total / (lines ?: 1);
		kt_figure("scale",
			  "case=proc connections=%u lines=%u read_ms=%.2f longest_read_syscall_ms=%.2f ns_per_line=%llu",
			  have, lines, kt_ms(total), kt_ms(chunk),
			  (unsigned long long)per_line[s]);
	}
	/* What a reader costs everyone else: CONNECT's worst case with
	 * and without a thread reading /proc in a loop.
	 */
	quiet = worst_connect(probe, plfd, SAMPLES);
	ASSERT_EQ(0, pthread_create(&th, NULL, proc_reader_main, &r));
	/* Until three reads ended: at least two lay wholly in the window. */
	busy = 0;
	t_end = kt_now_ns() + (uint64_t)kt_wait_ms() * 1000000;
	do {
		uint64_t w = worst_connect(probe, plfd, 8);

		if (w > busy)
			busy = w;
	} while (__atomic_load_n(&r.reads, __ATOMIC_RELAXED) < 3 &&
		 kt_now_ns() < t_end);
	r.stop = true;
	pthread_join(th, NULL);
	kt_figure("scale",
		  "case=proc_contention connections=%u connect_worst_quiet_ms=%.2f connect_worst_during_reads_ms=%.2f reads=%u",
		  have, kt_ms(quiet), kt_ms(busy), r.reads);
	EXPECT_NE(UINT64_MAX, quiet);
	EXPECT_NE(UINT64_MAX, busy);
	kt_figure("scale", "case=proc_growth connections=%u line_cost_ratio=%.2f limit=%.0f",
		  have, (double)per_line[nsz - 1] / (double)(per_line[0] ?: 1),
		  self->ratio);
	EXPECT_GE(self->ratio * (double)per_line[0], (double)per_line[nsz - 1]);
}

TEST_HARNESS_MAIN
