// SPDX-License-Identifier: GPL-2.0
/*
 * kipc peer death: when either side's last reference goes (close, munmap
 * of the last view, exit, kill -9) the survivor is woken (POLLHUP, eventfd
 * in kipc_poll_test), sees KIPC_STATE_*_GONE in the shared header, can
 * still read every message committed before the death, and then sees end
 * of stream; a closed listener hangs up its queued clients; KICK to a dead
 * peer gives EPIPE. The stream tests kill a streaming peer at random
 * moments and check exactly what the survivor reads.
 */
#include <sys/eventfd.h>

#include "kipc_test.h"

FIXTURE(death) {
	struct kt_pair p;
	struct kt_end c, s;
};

FIXTURE_SETUP(death)
{
	ASSERT_EQ(0, kt_pair_open(&self->p, 0, 0));
	ASSERT_EQ(0, kt_end_map(&self->c, self->p.cfd));
	ASSERT_EQ(0, kt_end_map(&self->s, self->p.sfd));
}

FIXTURE_TEARDOWN(death)
{
	kt_end_unmap(&self->c);
	kt_end_unmap(&self->s);
	kt_pair_close(&self->p);
}

/* Drop every reference this process holds to one side. */
static void drop_side(struct kt_end *e, int *fd)
{
	kt_end_unmap(e);
	kt_close(fd);
}

TEST_F(death, client_close_hangs_up_server)
{
	struct kipc_conn_info ci;
	int rev;

	drop_side(&self->c, &self->p.cfd);
	/* POLLIN may come with the hang-up (EOF is readable, as on sockets);
	 * the ring itself is empty.
	 */
	rev = kt_poll1(self->p.sfd, POLLIN | POLLRDHUP, kt_wait_ms());
	EXPECT_TRUE(rev & POLLHUP) TH_LOG("revents %#x", rev);
	EXPECT_TRUE(rev & POLLRDHUP) TH_LOG("revents %#x", rev);
	EXPECT_EQ(-EPIPE, kt_recv_wait(&self->s, &(const void *){ NULL },
				       &(uint32_t){ 0 }, 0));
	EXPECT_EQ(KIPC_STATE_CLIENT_GONE | KIPC_STATE_ACCEPTED,
		  kt_end_state(&self->s));
	ASSERT_EQ(0, kt_conn_info(self->p.sfd, &ci));
	EXPECT_TRUE(ci.state & KIPC_STATE_CLIENT_GONE);
}

TEST_F(death, server_close_hangs_up_client)
{
	int rev;

	drop_side(&self->s, &self->p.sfd);
	rev = kt_poll1(self->p.cfd, POLLIN | POLLRDHUP, kt_wait_ms());
	EXPECT_TRUE(rev & POLLHUP) TH_LOG("revents %#x", rev);
	EXPECT_TRUE(rev & POLLRDHUP) TH_LOG("revents %#x", rev);
	EXPECT_EQ(KIPC_STATE_SERVER_GONE | KIPC_STATE_ACCEPTED,
		  kt_end_state(&self->c));
}

TEST_F(death, kick_to_dead_peer_epipe)
{
	drop_side(&self->s, &self->p.sfd);
	EXPECT_EQ(-EPIPE, kt_kick(self->p.cfd));
}

TEST_F(death, kick_from_server_to_dead_client_epipe)
{
	drop_side(&self->c, &self->p.cfd);
	EXPECT_EQ(-EPIPE, kt_kick(self->p.sfd));
}

/* The mapping is a reference too: closing the fd alone is no death. */
TEST_F(death, mapping_keeps_a_side_alive_after_its_fd_closes)
{
	int rev;

	kt_close(&self->p.cfd);
	EXPECT_EQ(0, kt_poll1(self->p.sfd, POLLIN | POLLRDHUP, 0));
	EXPECT_EQ(0, kt_end_state(&self->s) & KIPC_STATE_CLIENT_GONE);
	kt_end_unmap(&self->c);
	rev = kt_poll1(self->p.sfd, POLLIN, kt_wait_ms());
	EXPECT_TRUE(rev & POLLHUP) TH_LOG("revents %#x", rev);
}

TEST_F(death, committed_messages_readable_after_peer_close)
{
	uint8_t buf[64];
	uint32_t len;
	int i, rev;

	for (i = 0; i < 5; i++) {
		memset(buf, i, sizeof(buf));
		ASSERT_EQ(0, kt_send(&self->c, buf, 10 + i, 0));
	}
	drop_side(&self->c, &self->p.cfd);
	rev = kt_poll1(self->p.sfd, POLLIN, kt_wait_ms());
	EXPECT_EQ(POLLIN | POLLHUP, rev & (POLLIN | POLLHUP));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, kt_recv(&self->s, buf, sizeof(buf), &len, 0));
		EXPECT_EQ(10 + i, len);
		EXPECT_EQ(i, buf[0]);
	}
	EXPECT_EQ(-EPIPE, kt_recv(&self->s, buf, sizeof(buf), &len, 0));
}

static int bg_wait_hup(struct kt_bg *bg)
{
	return kt_poll1(bg->fd, POLLIN, bg->timeout_ms);
}

TEST_F(death, peer_kill_wakes_blocked_poll)
{
	struct kt_bg bg = { .fn = bg_wait_hup, .fd = self->p.sfd,
			    .timeout_ms = kt_wait_ms() };
	int hold[2], rev;
	pid_t pid;

	ASSERT_EQ(0, pipe2(hold, O_CLOEXEC));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kt_end e;

		/* Only the child holds the client side, fd and views. */
		if (kt_end_map(&e, self->p.cfd))
			_exit(10);
		kt_expect(hold[0], kt_wait_ms() * 10);
		_exit(0);
	}
	drop_side(&self->c, &self->p.cfd);
	ASSERT_EQ(0, kt_bg_start(&bg));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	rev = kt_bg_join(&bg, kt_wait_ms() + 1000);
	EXPECT_LT(0, rev) TH_LOG("no wake-up: %d", rev);
	if (rev > 0) {
		EXPECT_TRUE(rev & POLLHUP);
	}
	EXPECT_EQ(-1000 - SIGKILL, kt_wait_exit(pid, kt_wait_ms()));
	EXPECT_TRUE(kt_end_peer_gone(&self->s));
}

/*
 * A client released before ACCEPT takes its queued connection with it:
 * nobody would read it, and its charges must not outlive it (issue 8,
 * item 1). What it sent is lost, as the ABI says; the server never sees it.
 */
TEST(client_death_before_accept_drops_the_connection)
{
	char name[KIPC_NAME_MAX];
	long long conns = -1;
	int lfd, i;
	pid_t pid;

	kt_name(name, "early");
	lfd = kt_new_listener(name, 0600, 0, 0, 0);
	ASSERT_LE(0, lfd);
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kt_end e;
		int cfd = kt_new_client(name, 0);

		if (cfd < 0 || kt_end_map(&e, cfd))
			_exit(10);
		for (i = 0; i < 3; i++)
			if (kt_send(&e, "abc", 1 + i, 0))
				_exit(11);
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_exit(pid, kt_wait_ms()));
	EXPECT_EQ(-EAGAIN, kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL));
	ASSERT_EQ(0, kt_counter("connections", &conns));
	EXPECT_EQ(0, conns);
	close(lfd);
}

TEST(listener_close_hangs_up_queued_clients)
{
	char name[KIPC_NAME_MAX];
	struct kt_end e[2];
	int lfd, cfd[2], i, rev;

	kt_name(name, "queued");
	lfd = kt_new_listener(name, 0600, 0, 0, 0);
	ASSERT_LE(0, lfd);
	for (i = 0; i < 2; i++) {
		cfd[i] = kt_new_client(name, 0);
		ASSERT_LE(0, cfd[i]);
		ASSERT_EQ(0, kt_end_map(&e[i], cfd[i]));
	}
	close(lfd);
	for (i = 0; i < 2; i++) {
		rev = kt_poll1(cfd[i], POLLIN, kt_wait_ms());
		EXPECT_TRUE(rev & POLLHUP) TH_LOG("client %d revents %#x", i, rev);
		EXPECT_TRUE(kt_end_state(&e[i]) & KIPC_STATE_SERVER_GONE);
		EXPECT_FALSE(kt_end_state(&e[i]) & KIPC_STATE_ACCEPTED);
		EXPECT_EQ(-EPIPE, kt_kick(cfd[i]));
		kt_end_unmap(&e[i]);
		close(cfd[i]);
	}
}

TEST(listener_close_signals_queued_clients_eventfd)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	char name[KIPC_NAME_MAX];
	int lfd, cfd;

	ASSERT_LE(0, efd);
	kt_name(name, "evfd");
	lfd = kt_new_listener(name, 0600, 0, 0, 0);
	ASSERT_LE(0, lfd);
	cfd = kt_new_client(name, 0);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, kt_set_eventfd(cfd, efd));
	EXPECT_EQ(0, kt_poll1(efd, POLLIN, 0));
	close(lfd);
	EXPECT_EQ(POLLIN, kt_poll1(efd, POLLIN, kt_wait_ms()));
	close(cfd);
	close(efd);
}

/* ------------------------------------------------------------------ */
/* kill -9 at random moments of a stream                                */

FIXTURE(kill) {
	struct kt_progress *pr;	/* shared with the children */
	uint64_t seed;
	int rounds;
	int max_delay_us;
};

FIXTURE_VARIANT(kill) {
	bool victim_writes;	/* the killed child streams to the test */
	bool victim_is_client;
};

FIXTURE_VARIANT_ADD(kill, writer_client) {
	.victim_writes = true, .victim_is_client = true,
};

FIXTURE_VARIANT_ADD(kill, writer_server) {
	.victim_writes = true, .victim_is_client = false,
};

FIXTURE_VARIANT_ADD(kill, reader_client) {
	.victim_writes = false, .victim_is_client = true,
};

FIXTURE_VARIANT_ADD(kill, reader_server) {
	.victim_writes = false, .victim_is_client = false,
};

FIXTURE_SETUP(kill)
{
	self->pr = mmap(NULL, kt_page(), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->pr);
	self->seed = kt_seed();
	/* 4 variants x 5 rounds: 20 kills by default. */
	self->rounds = (int)kt_env_u64("KIPC_DEATH_ROUNDS", 5);
	self->max_delay_us = (int)kt_env_u64("KIPC_DEATH_MAX_DELAY_US", 30000);
	TH_LOG("seed %#llx (KIPC_TEST_SEED), %d rounds",
	       (unsigned long long)self->seed, self->rounds);
}

FIXTURE_TEARDOWN(kill)
{
	munmap(self->pr, kt_page());
}

/* One round: returns 0 or a reason the harness logs. */
static int kill_round(struct __test_metadata *_metadata,
		      const FIXTURE_VARIANT(kill) *variant,
		      struct kt_progress *pr, uint64_t *rng, int max_delay_us)
{
	int wait = kt_wait_ms(), ready[2], victim_fd, own_fd, ret, st;
	uint32_t delay_us = (uint32_t)(kt_splitmix64(rng) % (max_delay_us + 1));
	struct kipc_conn_info ci;
	struct kt_pair p;
	struct kt_end e;
	pid_t victim, killer;

	memset(pr, 0, sizeof(*pr));
	if (pipe2(ready, O_CLOEXEC))
		return -errno;
	ret = kt_pair_open(&p, 0, 0);
	if (ret)
		return ret;
	victim_fd = variant->victim_is_client ? p.cfd : p.sfd;
	own_fd = variant->victim_is_client ? p.sfd : p.cfd;

	victim = kt_fork();
	if (victim < 0)
		return victim;
	if (victim == 0) {
		struct kt_end ve;

		close(own_fd);
		close(p.lfd);
		if (kt_end_map(&ve, victim_fd))
			_exit(10);
		kt_post(ready[1], 'r');
		if (variant->victim_writes)
			pr->error = kt_stream_write(&ve, pr, wait);
		else
			pr->error = kt_stream_read(&ve, pr, wait);
		_exit(11);	/* only a kill may end it */
	}
	close(victim_fd);
	close(p.lfd);
	close(ready[1]);
	ret = kt_end_map(&e, own_fd);
	if (ret)
		goto out;
	if (kt_expect(ready[0], wait) != 'r') {
		ret = -1;
		goto out;
	}

	killer = kt_fork();
	if (killer < 0) {
		ret = killer;
		goto out;
	}
	if (killer == 0) {
		struct timespec d = { delay_us / 1000000,
				      (delay_us % 1000000) * 1000L };

		/* The delay picks the moment; it synchronises nothing. */
		nanosleep(&d, NULL);
		kill(victim, SIGKILL);
		_exit(0);
	}

	if (variant->victim_writes) {
		/* Survivor reads: everything committed, then EOF. */
		ret = kt_stream_read(&e, pr, wait);
		if (ret != -EPIPE) {
			TH_LOG("reader got %d after %llu messages (bad %llu)", ret,
			       (unsigned long long)pr->received,
			       (unsigned long long)pr->bad);
			ret = -2;
			goto out;
		}
	} else {
		/* Survivor writes until the dead reader's ring fills up. */
		ret = kt_stream_write(&e, pr, wait);
		if (ret != -EPIPE) {
			TH_LOG("writer got %d after %llu messages", ret,
			       (unsigned long long)pr->published);
			ret = -3;
			goto out;
		}
	}
	st = kt_wait_exit(victim, wait);
	if (st != -1000 - SIGKILL) {
		TH_LOG("victim ended with %d, stream error %d", st, pr->error);
		ret = -4;
		goto out;
	}
	kt_wait_exit(killer, wait);
	if (variant->victim_writes &&
	    (pr->received < pr->published || pr->received > pr->attempted)) {
		TH_LOG("read %llu messages, writer had published %llu..%llu",
		       (unsigned long long)pr->received,
		       (unsigned long long)pr->published,
		       (unsigned long long)pr->attempted);
		ret = -5;
		goto out;
	}
	if (!variant->victim_writes && pr->bad) {
		TH_LOG("killed reader saw corrupt message %llu",
		       (unsigned long long)pr->bad - 1);
		ret = -6;
		goto out;
	}
	if (!kt_end_peer_gone(&e) || kt_kick(own_fd) != -EPIPE ||
	    kt_conn_info(own_fd, &ci) || !(ci.state & kt_peer_gone_bit(e.side))) {
		ret = -7;
		goto out;
	}
	ret = 0;
out:
	if (ret)
		TH_LOG("delay %u us", delay_us);
	kt_end_unmap(&e);
	close(own_fd);
	close(ready[0]);
	kill(victim, SIGKILL);
	waitpid(victim, NULL, WNOHANG);
	return ret;
}

TEST_F_TIMEOUT(kill, random_kill_survivor_drains_then_sees_eof, 60)
{
	uint64_t rng = self->seed;
	uint64_t total = 0;
	int i, ret;

	for (i = 0; i < self->rounds; i++) {
		ret = kill_round(_metadata, variant, self->pr, &rng,
				 self->max_delay_us);
		ASSERT_EQ(0, ret) TH_LOG("round %d", i);
		total += variant->victim_writes ? self->pr->received :
						  self->pr->published;
	}
	TH_LOG("%d rounds, %llu messages", self->rounds,
	       (unsigned long long)total);
}

TEST_HARNESS_MAIN
