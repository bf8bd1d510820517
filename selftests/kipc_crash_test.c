// SPDX-License-Identifier: GPL-2.0
/*
 * The crash matrix on the dev transport (issue 10, item 4). Each round
 * connects a server process (it holds the listener) and a client process,
 * one streaming checked messages to the other, and kill -9s one of them,
 * the victim, at a random point of one of three phases:
 *   handshake  around CONNECT / ACCEPT / the first mmap: for a server
 *              victim this is the listener's process dying with a client
 *              queued or connecting;
 *   stream     at a random moment of the stream;
 *   reserve    (a sending victim) with a message reserved and half
 *              written, after a random number of published ones.
 * The survivor must never hang, must read every message the victim
 * published (and nothing corrupt, nothing of the open reserve), and must
 * see end of stream (EOF, EPIPE, or a refused or never-made connection
 * when the victim died before the connection existed). The time from the
 * kill to the survivor's end of stream is measured; the driver's counters
 * must be back to zero after the rounds.
 *
 * Rounds per variant: KIPC_CRASH_ROUNDS (default 20, so 100 kills over
 * the five variants; 200 under KIPC_TEST_LONG, 1,000 kills).
 * KIPC_TEST_SEED replays a run.
 */
#include "kipc_test.h"

enum phase { PH_HANDSHAKE, PH_STREAM, PH_RESERVE, NR_PHASES };
static const char *const phase_name[NR_PHASES] = {
	"handshake", "stream", "reserve",
};

/* What the survivor saw at the end. */
enum outcome {
	OUT_NONE,
	OUT_EOS,		/* EOF (reader) or EPIPE (writer) */
	OUT_REFUSED,		/* client: no listener any more */
	OUT_NEVER,		/* server: the client died before it was queued */
};

/* Shared between the test and both processes of a round. */
struct round_state {
	struct kt_progress victim;
	struct kt_progress survivor;
	uint64_t t_kill;	/* just before kill(2) */
	uint64_t t_end;		/* survivor saw its end of stream */
	int outcome;
	int survivor_err;	/* 0 or the unexpected -errno, negated step */
	int reserved_len;	/* the victim's open reserve, 0 if none */
	uint64_t q_end[2];	/* listener variant: each queued client's */
	int q_outcome[2];
};

FIXTURE(crash) {
	struct round_state *rs;
	uint64_t seed;
	int rounds;
};

FIXTURE_VARIANT(crash) {
	bool victim_is_client;
	bool victim_writes;
	bool two_clients;	/* the listener dies with clients queued */
};

FIXTURE_VARIANT_ADD(crash, client_sender) {
	.victim_is_client = true, .victim_writes = true,
};

FIXTURE_VARIANT_ADD(crash, client_receiver) {
	.victim_is_client = true, .victim_writes = false,
};

FIXTURE_VARIANT_ADD(crash, server_sender) {
	.victim_is_client = false, .victim_writes = true,
};

FIXTURE_VARIANT_ADD(crash, server_receiver) {
	.victim_is_client = false, .victim_writes = false,
};

/* The listener's process, before it accepts: its clients are queued. */
FIXTURE_VARIANT_ADD(crash, listener) {
	.victim_is_client = false, .victim_writes = false, .two_clients = true,
};

FIXTURE_SETUP(crash)
{
	self->rs = mmap(NULL, kt_page(), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->rs);
	/* A survivor may be gone before it is told the victim is. */
	signal(SIGPIPE, SIG_IGN);
	self->seed = kt_seed();
	self->rounds = (int)kt_env_u64("KIPC_CRASH_ROUNDS", kt_long() ? 200 : 20);
	TH_LOG("seed %#llx (KIPC_TEST_SEED), %d rounds",
	       (unsigned long long)self->seed, self->rounds);
}

FIXTURE_TEARDOWN(crash)
{
	munmap(self->rs, kt_page());
}

static void __attribute__((noreturn)) wait_for_kill(void)
{
	for (;;)
		pause();
}

/* Victim: publish @n messages, then reserve one, half fill it, announce
 * it and wait to be killed.
 */
static int write_then_reserve(struct kt_end *e, struct kt_progress *pr,
			      struct round_state *rs, uint64_t n, int ready)
{
	uint64_t seq;
	void *p;
	int ret;

	for (seq = 0; seq < n; seq++) {
		uint32_t len = kt_stream_len(seq);

		ret = kt_reserve_wait(e, len, &p, kt_wait_ms());
		if (ret)
			return ret;
		kt_stream_fill(p, seq, len);
		kipc_ring_commit(&e->tx);
		pr->attempted = seq + 1;
		ret = kt_flush(e);
		pr->published = seq + 1;
		if (ret)
			return ret;
	}
	ret = kt_reserve_wait(e, kt_stream_len(seq), &p, kt_wait_ms());
	if (ret)
		return ret;
	/* The right length and sequence number, a wrong checksum: should
	 * the reader ever see it, it is counted as corrupt.
	 */
	memset(p, 0xa5, kt_stream_len(seq));
	memcpy(p, &seq, 8);
	rs->reserved_len = (int)kt_stream_len(seq);
	kt_post(ready, 'r');
	wait_for_kill();
}

/* The listener's process: it never accepts, its clients stay queued. */
static int listener_main(int lfd, int ready)
{
	(void)lfd;
	kt_post(ready, 'h');
	wait_for_kill();
}

/* One side of the stream: the victim's (announcing the phase's moment on
 * @ready) or the survivor's.
 */
static int play(struct kt_end *e, struct kt_progress *pr, bool writes,
		struct round_state *rs, int ready, enum phase ph,
		uint64_t reserve_after)
{
	if (ready >= 0 && ph == PH_RESERVE)
		return write_then_reserve(e, pr, rs, reserve_after, ready);
	if (ready >= 0 && ph == PH_STREAM)
		kt_post(ready, 's');
	return writes ? kt_stream_write(e, pr, kt_wait_ms()) :
			kt_stream_read(e, pr, kt_wait_ms());
}

static void survivor_done(struct round_state *rs, int outcome)
{
	rs->t_end = kt_now_ns();
	rs->outcome = outcome;
}

/* The client process. @ready >= 0 for the victim. */
static int client_main(struct round_state *rs, const char *name, bool writes,
		       int ready, enum phase ph, uint64_t reserve_after)
{
	struct kt_progress *pr = ready >= 0 ? &rs->victim : &rs->survivor;
	struct kt_end e;
	int fd, ret;

	if (ready >= 0 && ph == PH_HANDSHAKE)
		kt_post(ready, 'h');
	fd = kt_new_client(name, 0);
	if (fd == -ENOENT || fd == -ECONNREFUSED) {
		survivor_done(rs, OUT_REFUSED);
		return 0;
	}
	if (fd < 0)
		return 10;
	ret = kt_end_map(&e, fd);
	if (ret)
		return 11;
	ret = play(&e, pr, writes, rs, ready, ph, reserve_after);
	if (ret == -EPIPE) {
		survivor_done(rs, OUT_EOS);
		return 0;
	}
	rs->survivor_err = ret;
	return 12;
}

/* The server process: it holds the listener @lfd. @ctl becomes readable
 * when the victim is dead (the survivor's last chance to find its client
 * queued); @ready >= 0 for the victim.
 */
static int server_main(struct round_state *rs, int lfd, int ctl, bool writes,
		       int ready, enum phase ph, uint64_t reserve_after)
{
	struct kt_progress *pr = ready >= 0 ? &rs->victim : &rs->survivor;
	uint64_t end = kt_now_ns() + (uint64_t)kt_wait_ms() * 1000000;
	bool last = false;
	struct kt_end e;
	int fd, ret;

	if (ready >= 0 && ph == PH_HANDSHAKE)
		kt_post(ready, 'h');
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = ctl, .events = POLLIN },
		};

		fd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
		if (fd >= 0)
			break;
		if (fd != -EAGAIN)
			return 20;
		if (last) {
			survivor_done(rs, OUT_NEVER);
			return 0;
		}
		if (kt_now_ns() > end)
			return 21;
		if (poll(pfd, ctl >= 0 ? 2 : 1, kt_wait_ms()) < 0 && errno != EINTR)
			return 22;
		if (pfd[1].revents)
			last = true;
	}
	ret = kt_end_map(&e, fd);
	if (ret)
		return 23;
	ret = play(&e, pr, writes, rs, ready, ph, reserve_after);
	if (ret == -EPIPE) {
		survivor_done(rs, OUT_EOS);
		return 0;
	}
	rs->survivor_err = ret;
	return 24;
}

/* The listener's process dies with @nclients clients queued (or in the
 * middle of CONNECT); each client, a survivor, must see the hang-up.
 */
static int queued_client_main(struct round_state *rs, const char *name,
			      int i)
{
	const void *p;
	struct kt_end e;
	uint32_t len;
	int fd, ret;

	fd = kt_new_client(name, 0);
	if (fd == -ENOENT || fd == -ECONNREFUSED) {
		rs->q_end[i] = kt_now_ns();
		rs->q_outcome[i] = OUT_REFUSED;
		return 0;
	}
	if (fd < 0)
		return 30;
	if (kt_end_map(&e, fd))
		return 31;
	ret = kt_recv_wait(&e, &p, &len, kt_wait_ms());
	rs->q_end[i] = kt_now_ns();
	if (ret != -EPIPE) {
		rs->survivor_err = ret;
		return 32;
	}
	rs->q_outcome[i] = OUT_EOS;
	return 0;
}

struct tally {
	int kills[NR_PHASES];
	int hangs;
	int failures;
	int lost;		/* published by the victim, never read */
	int corrupt;
	int refused;
	int never;
	uint64_t msgs;
	uint64_t unaccepted;	/* sent on connections never accepted */
	uint64_t *eos_ns;
	int n_eos;
	int eos_cap;
};

static void tally_outcome(struct __test_metadata *_metadata, struct tally *t,
			  int round, enum phase ph, int outcome,
			  uint64_t t_kill, uint64_t t_end)
{
	switch (outcome) {
	case OUT_EOS:
		if (t->n_eos < t->eos_cap)
			t->eos_ns[t->n_eos++] = t_end > t_kill ? t_end - t_kill : 0;
		break;
	case OUT_REFUSED:
		t->refused++;
		break;
	case OUT_NEVER:
		t->never++;
		break;
	default:
		t->failures++;
		TH_LOG("round %d (%s): no outcome", round, phase_name[ph]);
		break;
	}
}

static void round_fail(struct __test_metadata *_metadata, struct tally *t,
		       int round, enum phase ph, const char *what, int code)
{
	t->failures++;
	TH_LOG("round %d (%s): %s (%d)", round, phase_name[ph], what, code);
}

static void crash_round(struct __test_metadata *_metadata,
			const FIXTURE_VARIANT(crash) *v,
			struct round_state *rs, uint64_t *rng, int round,
			struct tally *t)
{
	int wait = kt_wait_ms(), ready[2], ctl[2], lfd, st, i;
	uint64_t r = kt_splitmix64(rng);
	enum phase ph = (enum phase)(r % (v->victim_writes ? 3 : 2));
	uint64_t reserve_after = (r >> 8) % 40;
	uint32_t delay_us;
	char name[KIPC_NAME_MAX];
	pid_t victim, survivor[2] = { -1, -1 };
	struct timespec d;
	int nsurv = 1;

	if (v->two_clients)
		ph = PH_HANDSHAKE;
	switch (ph) {
	case PH_HANDSHAKE:
		delay_us = (uint32_t)((r >> 16) % 3000);
		break;
	case PH_STREAM:
		delay_us = (uint32_t)((r >> 16) % 20000);
		break;
	default:
		delay_us = (uint32_t)((r >> 16) % 500);
		break;
	}
	memset(rs, 0, sizeof(*rs));
	t->kills[ph]++;
	if (pipe2(ready, O_CLOEXEC) || pipe2(ctl, O_CLOEXEC)) {
		round_fail(_metadata, t, round, ph, "pipe", -errno);
		return;
	}
	kt_name(name, "crash");
	lfd = kt_new_listener(name, 0600, 0, 0, 0);
	if (lfd < 0) {
		round_fail(_metadata, t, round, ph, "listen", lfd);
		goto out_pipes;
	}

	/* The victim. */
	victim = kt_fork();
	if (victim == 0) {
		close(ready[0]);
		close(ctl[0]);
		close(ctl[1]);
		if (v->two_clients)
			_exit(listener_main(lfd, ready[1]) + 100);
		if (v->victim_is_client) {
			close(lfd);
			_exit(client_main(rs, name, v->victim_writes, ready[1],
					  ph, reserve_after) + 100);
		}
		_exit(server_main(rs, lfd, -1, v->victim_writes, ready[1], ph,
				  reserve_after) + 100);
	}
	/* The survivor(s). */
	if (v->two_clients)
		nsurv = 2;
	for (i = 0; i < nsurv && victim > 0; i++) {
		survivor[i] = kt_fork();
		if (survivor[i] == 0) {
			close(ready[0]);
			close(ready[1]);
			close(ctl[1]);
			if (v->two_clients) {
				close(lfd);
				_exit(queued_client_main(rs, name, i));
			}
			if (!v->victim_is_client) {
				/* Only the server process may hold the
				 * listener, or its death would not be one.
				 */
				close(lfd);
				_exit(client_main(rs, name, !v->victim_writes,
						  -1, ph, 0));
			}
			_exit(server_main(rs, lfd, ctl[0], !v->victim_writes,
					  -1, ph, 0));
		}
	}
	close(lfd);
	close(ready[1]);
	ready[1] = -1;
	close(ctl[0]);
	ctl[0] = -1;
	if (victim < 0 || survivor[0] < 0 || (nsurv == 2 && survivor[1] < 0)) {
		round_fail(_metadata, t, round, ph, "fork", -1);
		goto out_kill;
	}

	/* The moment: the victim announces its phase, a random delay. */
	if (kt_expect(ready[0], wait) < 0) {
		round_fail(_metadata, t, round, ph, "victim never got there",
			   kt_wait_exit(victim, 0));
		goto out_kill;
	}
	d.tv_sec = delay_us / 1000000;
	d.tv_nsec = (delay_us % 1000000) * 1000L;
	nanosleep(&d, NULL);
	rs->t_kill = kt_now_ns();
	kill(victim, SIGKILL);
	st = kt_wait_exit(victim, wait);
	if (st != -1000 - SIGKILL) {
		round_fail(_metadata, t, round, ph, "victim ended by itself", st);
		TH_LOG("victim error %d", rs->survivor_err);
	}
	victim = -1;
	kt_post(ctl[1], 'd');

	for (i = 0; i < nsurv; i++) {
		st = kt_wait_exit(survivor[i], wait + 5000);
		survivor[i] = -1;
		if (st == -ETIMEDOUT) {
			t->hangs++;
			round_fail(_metadata, t, round, ph, "survivor hung", st);
		} else if (st && rs->survivor_err == -ETIMEDOUT) {
			t->hangs++;
			round_fail(_metadata, t, round, ph,
				   "survivor waited in vain", st);
		} else if (st) {
			round_fail(_metadata, t, round, ph, "survivor failed", st);
			TH_LOG("survivor error %d", rs->survivor_err);
		}
	}
	if (v->two_clients) {
		for (i = 0; i < nsurv; i++)
			tally_outcome(_metadata, t, round, ph, rs->q_outcome[i],
				      rs->t_kill, rs->q_end[i]);
		goto out_pipes;
	}
	tally_outcome(_metadata, t, round, ph, rs->outcome, rs->t_kill,
		      rs->t_end);
	if (v->victim_writes && rs->outcome == OUT_NEVER) {
		/* A client that dies before ACCEPT takes its queued
		 * connection and what it sent with it (the ABI's rule,
		 * kipc_death_test covers it): nobody could read it.
		 */
		t->unaccepted += rs->victim.published;
	} else if (v->victim_writes) {
		/* Every published message read, nothing past what was
		 * committed, never the open reserve.
		 */
		if (rs->survivor.received < rs->victim.published) {
			t->lost += (int)(rs->victim.published - rs->survivor.received);
			round_fail(_metadata, t, round, ph, "lost messages",
				   (int)rs->survivor.received);
		}
		if (rs->survivor.received > rs->victim.attempted ||
		    rs->survivor.bad) {
			t->corrupt++;
			round_fail(_metadata, t, round, ph, "read past the commits",
				   (int)rs->survivor.received);
		}
		t->msgs += rs->survivor.received;
	} else {
		if (rs->victim.bad) {
			t->corrupt++;
			round_fail(_metadata, t, round, ph, "victim read corrupt",
				   (int)rs->victim.bad);
		}
		t->msgs += rs->survivor.published;
	}
	goto out_pipes;

out_kill:
	if (victim > 0) {
		kill(victim, SIGKILL);
		kt_wait_exit(victim, wait);
	}
	for (i = 0; i < nsurv; i++) {
		if (survivor[i] > 0) {
			kill(survivor[i], SIGKILL);
			kt_wait_exit(survivor[i], wait);
		}
	}
out_pipes:
	close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	if (ctl[0] >= 0)
		close(ctl[0]);
	close(ctl[1]);
}

/* The driver's global counters once every process of the rounds is gone. */
static int counters_zero(struct __test_metadata *_metadata)
{
	static const char *const keys[] = {
		"listeners", "connections", "mappings", "pinned_pages",
	};
	uint64_t end = kt_now_ns() + (uint64_t)kt_wait_ms() * 1000000;
	unsigned int i;
	long long v = 0;
	int bad;

	/* The last releases may trail the last exit by a moment. */
	do {
		bad = 0;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (kt_counter(keys[i], &v) || v) {
				bad++;
				if (kt_now_ns() > end)
					TH_LOG("%s = %lld", keys[i], v);
			}
		}
		if (!bad)
			return 0;
		usleep(10000);
	} while (kt_now_ns() <= end + 10000000);
	return bad;
}

TEST_F_TIMEOUT(crash, kill9_survivor_drains_and_sees_eos, 900)
{
	uint64_t rng = self->seed;
	struct tally t = { 0 };
	uint64_t worst, p99, p50;
	int i, nonzero;

	t.eos_cap = self->rounds * 2;
	t.eos_ns = calloc(t.eos_cap, sizeof(*t.eos_ns));
	ASSERT_NE(NULL, t.eos_ns);
	for (i = 0; i < self->rounds; i++)
		crash_round(_metadata, variant, self->rs, &rng, i, &t);
	nonzero = counters_zero(_metadata);
	worst = t.n_eos ? kt_percentile(t.eos_ns, t.n_eos, 100) : 0;
	p99 = kt_percentile(t.eos_ns, t.n_eos, 99);
	p50 = kt_percentile(t.eos_ns, t.n_eos, 50);
	kt_figure("crash",
		  "variant=%s transport=dev rounds=%d seed=%#llx kills_handshake=%d kills_stream=%d kills_reserve=%d hangs=%d lost=%d corrupt=%d failures=%d refused=%d never_connected=%d msgs=%llu unaccepted_msgs=%llu eos_n=%d eos_p50_ms=%.2f eos_p99_ms=%.2f eos_worst_ms=%.2f counters_nonzero=%d",
		  variant->two_clients ? "listener" :
		  variant->victim_is_client ?
		  (variant->victim_writes ? "client_sender" : "client_receiver") :
		  (variant->victim_writes ? "server_sender" : "server_receiver"),
		  self->rounds, (unsigned long long)self->seed,
		  t.kills[PH_HANDSHAKE], t.kills[PH_STREAM], t.kills[PH_RESERVE],
		  t.hangs, t.lost, t.corrupt, t.failures, t.refused, t.never,
		  (unsigned long long)t.msgs,
		  (unsigned long long)t.unaccepted, t.n_eos, kt_ms(p50), kt_ms(p99),
		  kt_ms(worst), nonzero);
	free(t.eos_ns);
	EXPECT_EQ(0, t.hangs);
	EXPECT_EQ(0, t.lost);
	EXPECT_EQ(0, t.corrupt);
	EXPECT_EQ(0, t.failures);
	EXPECT_EQ(0, nonzero);
}

TEST_HARNESS_MAIN
