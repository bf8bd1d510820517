// SPDX-License-Identifier: GPL-2.0
/*
 * Load on the dev transport (issue 10, item 6): many connections across
 * many processes for a while, random message sizes, every byte
 * checksummed, and a random 5% of the processes killed -9 and restarted
 * every second.
 *
 * Half the processes are servers (one listener each), half clients; each
 * connection runs from one client to one server, all of them at once,
 * non-blocking, sleeping through the doorbell when nothing moves. Every
 * message carries its connection, the connection's epoch (a client's
 * reconnection after a kill is a new epoch) and its sequence number, so
 * a server catches loss, reordering, duplication and corruption at once;
 * at end of stream it checks it read every message the client published
 * (a shared table survives the kills). The recovery time of a connection
 * broken by a kill is from the kill to the first message of its next
 * epoch read by its server.
 *
 * Sizes: KIPC_LOAD_CONNS, KIPC_LOAD_PROCS, KIPC_LOAD_SECS (default 32, 8,
 * 5; 256, 32, 30 under KIPC_TEST_LONG). KIPC_TEST_SEED replays the kills.
 */
#include "kipc_test.h"
#include "kipc_load_msg.h"

#define EPOCHS		8	/* per-epoch counters kept per connection */

/* One connection's facts, in memory shared by every process. */
struct load_slot {
	uint32_t epoch;			/* client: the current epoch */
	uint64_t published[EPOCHS];	/* client: set after each publish */
	uint64_t attempted[EPOCHS];	/* client: set before each publish */
	uint64_t broken_at;		/* test: a kill broke it; server: 0 once
					 * the next epoch's first message came
					 */
	uint32_t epoch_read;		/* server: the last epoch it named */
	uint64_t noticed_at;		/* survivor: saw the break's end of stream */
	int connect_err;		/* client: its last refused CONNECT */
	uint32_t connect_refused;	/* client: how many */
};

enum { RUN, STOP_CLIENTS, STOP_SERVERS };

struct load_shared {
	uint32_t stop;			/* RUN, then STOP_CLIENTS, STOP_SERVERS */
	uint32_t nconns, nservers;
	uint64_t msgs, bytes;		/* read and checked */
	uint64_t eos_checked;		/* ends of stream whose count matched */
	uint64_t lost, disorder, corrupt, foreign, excess;
	uint64_t recoveries, recovery_worst_ns;
	uint64_t notice_worst_ns;	/* a kill to its survivor's EOS */
	uint64_t errors;		/* unexpected -errno in a process */
	int last_error;
	struct load_slot slot[];
};

static void load_error(struct load_shared *sh, int err)
{
	__atomic_fetch_add(&sh->errors, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->last_error, err, __ATOMIC_RELAXED);
}

static void load_server_name(char name[KIPC_NAME_MAX], pid_t test, unsigned int s)
{
	memset(name, 0, KIPC_NAME_MAX);
	snprintf(name, KIPC_NAME_MAX, "kt-load-%d-%u", (int)test, s);
}

/* Connection c runs from client c % nclients to server c / nclients. */
static unsigned int conn_client(const struct load_shared *sh, unsigned int c)
{
	return c % sh->nservers;
}

static unsigned int conn_server(const struct load_shared *sh, unsigned int c)
{
	return (c / sh->nservers) % sh->nservers;
}

/* ------------------------------------------------------------------ */
/* Clients                                                              */

struct out_conn {
	unsigned int id;
	bool up;
	uint32_t epoch;
	uint64_t seq;
	struct kt_end e;
	int fd;
};

static void out_close(struct out_conn *o)
{
	if (!o->up)
		return;
	kt_end_unmap(&o->e);
	close(o->fd);
	o->up = false;
}

static bool out_open(struct load_shared *sh, struct out_conn *o, pid_t test)
{
	struct load_slot *sl = &sh->slot[o->id];
	char name[KIPC_NAME_MAX];
	int fd, ret;

	load_server_name(name, test, conn_server(sh, o->id));
	fd = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	if (fd == -ENOENT || fd == -EAGAIN || fd == -ECONNREFUSED) {
		/* Its server is restarting or busy. */
		sl->connect_err = fd;
		sl->connect_refused++;
		return false;
	}
	if (fd < 0) {
		load_error(sh, fd);
		return false;
	}
	ret = kt_end_map(&o->e, fd);
	if (ret) {
		load_error(sh, ret);
		close(fd);
		return false;
	}
	o->fd = fd;
	o->epoch = __atomic_add_fetch(&sl->epoch, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sl->published[o->epoch % EPOCHS], 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sl->attempted[o->epoch % EPOCHS], 0, __ATOMIC_SEQ_CST);
	o->seq = 0;
	o->up = true;
	return true;
}

/* The survivor's side of a connection saw its end of stream: the time
 * from the kill is the detection part of the recovery.
 */
static void note_eos(struct load_slot *sl)
{
	uint64_t zero = 0;

	if (__atomic_load_n(&sl->broken_at, __ATOMIC_SEQ_CST))
		__atomic_compare_exchange_n(&sl->noticed_at, &zero, kt_now_ns(),
					    false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
}

/* Send what fits; returns true if anything moved. */
static bool out_pump(struct load_shared *sh, struct out_conn *o)
{
	struct load_slot *sl = &sh->slot[o->id];
	bool moved = false;
	int n, ret;

	if (kt_end_peer_gone(&o->e)) {
		note_eos(sl);
		out_close(o);
		return true;
	}
	for (n = 0; n < 32; n++) {
		uint32_t len = load_len(o->id, o->epoch, o->seq);
		void *p;

		ret = kipc_ring_reserve(&o->e.tx, len, &p);
		if (ret == -EAGAIN)
			break;
		if (ret) {
			load_error(sh, ret);
			out_close(o);
			return true;
		}
		load_fill(p, o->id, o->epoch, o->seq, len);
		kipc_ring_commit(&o->e.tx);
		o->seq++;
		moved = true;
	}
	if (moved) {
		__atomic_store_n(&sl->attempted[o->epoch % EPOCHS], o->seq,
				 __ATOMIC_SEQ_CST);
		ret = kt_flush(&o->e);
		__atomic_store_n(&sl->published[o->epoch % EPOCHS], o->seq,
				 __ATOMIC_SEQ_CST);
		if (ret) {
			load_error(sh, ret);
			out_close(o);
		}
	}
	return moved;
}

static int client_main(struct load_shared *sh, unsigned int me, pid_t test)
{
	unsigned int n = 0, c, i;
	struct out_conn *o = calloc(sh->nconns, sizeof(*o));
	struct pollfd *pfd = calloc(sh->nconns, sizeof(*pfd));

	if (!o || !pfd)
		return 2;
	for (c = 0; c < sh->nconns; c++)
		if (conn_client(sh, c) == me)
			o[n++].id = c;
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		bool moved = false, down = false;
		int np = 0;

		for (i = 0; i < n; i++) {
			if (!o[i].up && !out_open(sh, &o[i], test)) {
				down = true;
				continue;
			}
			moved |= out_pump(sh, &o[i]);
		}
		if (moved)
			continue;
		/* Every ring full: announce the wait, sleep on the doorbells. */
		for (i = 0; i < n; i++) {
			uint32_t len;

			if (!o[i].up)
				continue;
			len = load_len(o[i].id, o[i].epoch, o[i].seq);
			if (kipc_ring_prod_prepare_wait(&o[i].e.tx, len) == 1)
				moved = true;
			pfd[np].fd = o[i].fd;
			pfd[np++].events = POLLOUT;
		}
		if (!moved)
			poll(pfd, np, down ? 2 : 20);
		for (i = 0; i < n; i++)
			if (o[i].up)
				kipc_ring_prod_finish_wait(&o[i].e.tx);
	}
	/* Stop: the published counts are final; closing ends each stream,
	 * once its server has it (a connection never accepted dies with its
	 * client, and so would what it carried).
	 */
	for (i = 0; i < n; i++) {
		uint64_t end = kt_now_ns() + (uint64_t)kt_wait_ms() * 1000000;
		struct timespec nap = { 0, 1000000 };

		while (o[i].up && !(kt_end_state(&o[i].e) & KIPC_STATE_ACCEPTED) &&
		       !kt_end_peer_gone(&o[i].e) && kt_now_ns() < end)
			nanosleep(&nap, NULL);
		out_close(&o[i]);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Servers                                                              */

struct in_conn {
	bool up, named;
	uint32_t id, epoch;
	uint64_t next;
	struct kt_end e;
	int fd;
};

static void atomic_max(uint64_t *p, uint64_t v)
{
	uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (v > cur &&
	       !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

/* The first message names the connection and its epoch. */
static bool in_name(struct load_shared *sh, struct in_conn *in,
		    const struct load_hdr *h, unsigned int me)
{
	struct load_slot *sl;
	uint64_t broken;

	if (h->conn >= sh->nconns || conn_server(sh, h->conn) != me)
		return false;
	in->id = h->conn;
	in->epoch = h->epoch;
	in->named = true;
	sl = &sh->slot[in->id];
	__atomic_store_n(&sl->epoch_read, in->epoch, __ATOMIC_RELAXED);
	broken = __atomic_exchange_n(&sl->broken_at, 0, __ATOMIC_SEQ_CST);
	if (broken) {
		uint64_t now = kt_now_ns();

		__atomic_fetch_add(&sh->recoveries, 1, __ATOMIC_RELAXED);
		atomic_max(&sh->recovery_worst_ns, now > broken ? now - broken : 0);
		uint64_t seen = __atomic_exchange_n(&sl->noticed_at, 0,
						    __ATOMIC_SEQ_CST);

		if (seen > broken)
			atomic_max(&sh->notice_worst_ns, seen - broken);
	}
	return true;
}

/* End of stream: every message the client published was read. */
static void in_eos(struct load_shared *sh, struct in_conn *in)
{
	struct load_slot *sl = &sh->slot[in->id];
	uint64_t pub, att;

	if (!in->named)
		return;		/* it died before its first message */
	pub = __atomic_load_n(&sl->published[in->epoch % EPOCHS], __ATOMIC_SEQ_CST);
	att = __atomic_load_n(&sl->attempted[in->epoch % EPOCHS], __ATOMIC_SEQ_CST);
	if (in->next < pub)
		__atomic_fetch_add(&sh->lost, pub - in->next, __ATOMIC_RELAXED);
	else if (in->next > att)
		__atomic_fetch_add(&sh->excess, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&sh->eos_checked, 1, __ATOMIC_RELAXED);
}

static void in_close(struct in_conn *in)
{
	kt_end_unmap(&in->e);
	close(in->fd);
	in->up = false;
}

/* Read what is there; returns true if anything moved. */
static bool in_pump(struct load_shared *sh, struct in_conn *in, unsigned int me)
{
	bool moved = false;
	int n, ret;

	for (n = 0; n < 64; n++) {
		struct load_hdr h;
		const void *p;
		uint32_t len;

		ret = kipc_ring_peek(&in->e.rx, &p, &len);
		if (ret == -EAGAIN) {
			if (!kt_end_peer_gone(&in->e))
				break;
			/* Gone: one more look after the acquire, then EOF. */
			ret = kipc_ring_peek(&in->e.rx, &p, &len);
			if (ret == -EAGAIN) {
				if (in->named)
					note_eos(&sh->slot[in->id]);
				in_eos(sh, in);
				in_close(in);
				return true;
			}
		}
		if (ret) {
			load_error(sh, ret);
			in_close(in);
			return true;
		}
		if (len < sizeof(h)) {
			__atomic_fetch_add(&sh->corrupt, 1, __ATOMIC_RELAXED);
			in_close(in);
			return true;
		}
		memcpy(&h, p, sizeof(h));
		if (!in->named && !in_name(sh, in, &h, me)) {
			__atomic_fetch_add(&sh->foreign, 1, __ATOMIC_RELAXED);
			in_close(in);
			return true;
		}
		if (h.conn != in->id || h.epoch != in->epoch || h.seq != in->next) {
			__atomic_fetch_add(&sh->disorder, 1, __ATOMIC_RELAXED);
			in_close(in);
			return true;
		}
		if (len != load_len(h.conn, h.epoch, h.seq) ||
		    h.sum != load_sum(&h, (const uint8_t *)p + sizeof(h),
				      len - sizeof(h))) {
			__atomic_fetch_add(&sh->corrupt, 1, __ATOMIC_RELAXED);
			in_close(in);
			return true;
		}
		in->next++;
		__atomic_fetch_add(&sh->msgs, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sh->bytes, len, __ATOMIC_RELAXED);
		kipc_ring_consume(&in->e.rx);
		moved = true;
	}
	if (moved && kipc_ring_release(&in->e.rx) &&
	    kipc_ring_cons_should_kick(&in->e.rx)) {
		ret = kt_kick(in->fd);
		if (ret && ret != -EPIPE)
			load_error(sh, ret);
	}
	return moved;
}

static int server_main(struct load_shared *sh, unsigned int me, pid_t test,
		       int linger_ms)
{
	unsigned int cap = sh->nconns, n = 0, i;
	struct in_conn *in = calloc(cap, sizeof(*in));
	struct pollfd *pfd = calloc(cap + 1, sizeof(*pfd));
	char name[KIPC_NAME_MAX];
	uint64_t deadline = 0;
	int lfd;

	if (!in || !pfd)
		return 2;
	load_server_name(name, test, me);
	lfd = kt_new_listener(name, 0600, 0, 0, 0);
	if (lfd < 0) {
		load_error(sh, lfd);
		return 3;
	}
	for (;;) {
		bool moved = false;
		int np = 0, fd;

		if (!deadline &&
		    __atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE) == STOP_SERVERS)
			deadline = kt_now_ns() + (uint64_t)linger_ms * 1000000;
		while (n < cap &&
		       (fd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL)) >= 0) {
			struct in_conn *c = &in[n];

			memset(c, 0, sizeof(*c));
			if (kt_end_map(&c->e, fd)) {
				load_error(sh, -EPROTO);
				close(fd);
				continue;
			}
			c->fd = fd;
			c->up = true;
			n++;
			moved = true;
		}
		for (i = 0; i < n; i++)
			moved |= in_pump(sh, &in[i], me);
		/* Compact the closed ones away. */
		for (i = 0; i < n;) {
			if (!in[i].up)
				in[i] = in[--n];
			else
				i++;
		}
		if (deadline && !n && !moved)
			break;		/* every client gone, every stream read */
		if (deadline && kt_now_ns() > deadline) {
			load_error(sh, -ETIMEDOUT);
			return 4;
		}
		if (moved)
			continue;
		for (i = 0; i < n; i++) {
			if (kipc_ring_cons_prepare_wait(&in[i].e.rx) == 1)
				moved = true;
			pfd[np].fd = in[i].fd;
			pfd[np++].events = POLLIN;
		}
		pfd[np].fd = lfd;
		pfd[np++].events = POLLIN;
		if (!moved)
			poll(pfd, np, 20);
		for (i = 0; i < n; i++)
			kipc_ring_cons_finish_wait(&in[i].e.rx);
	}
	close(lfd);
	return 0;
}

/* ------------------------------------------------------------------ */

static pid_t start_proc(struct load_shared *sh, unsigned int p, pid_t test)
{
	pid_t pid = kt_fork();

	if (pid == 0) {
		if (p < sh->nservers)
			_exit(server_main(sh, p, test, kt_wait_ms()));
		_exit(client_main(sh, p - sh->nservers, test));
	}
	return pid;
}

/* Mark the connections that process @p takes with it as broken now. */
static void mark_broken(struct load_shared *sh, unsigned int p, uint64_t now)
{
	unsigned int c;

	for (c = 0; c < sh->nconns; c++) {
		bool mine = p < sh->nservers ? conn_server(sh, c) == p :
					      conn_client(sh, c) == p - sh->nservers;
		uint64_t zero = 0;

		if (mine)
			__atomic_compare_exchange_n(&sh->slot[c].broken_at, &zero,
						    now, false, __ATOMIC_SEQ_CST,
						    __ATOMIC_SEQ_CST);
	}
}

FIXTURE(load) {
};

FIXTURE_SETUP(load)
{
}

FIXTURE_TEARDOWN(load)
{
}

TEST_F_TIMEOUT(load, kill_restart_no_loss_no_reorder, 600)
{
	unsigned int conns = (unsigned int)kt_env_u64("KIPC_LOAD_CONNS",
						      kt_long() ? 256 : 32);
	unsigned int procs = (unsigned int)kt_env_u64("KIPC_LOAD_PROCS",
						      kt_long() ? 32 : 8);
	unsigned int secs = (unsigned int)kt_env_u64("KIPC_LOAD_SECS",
						     kt_long() ? 30 : 5);
	unsigned int per_kill, kills = 0, p, k, unrecovered = 0, c;
	uint64_t rng = kt_seed(), t0, next_kill, end, oversleep = 0;
	pid_t test = getpid(), *pid;
	struct load_shared *sh;
	size_t shsz;
	int hung = 0, failed = 0, st;

	if (procs < 2)
		procs = 2;
	procs &= ~1u;
	per_kill = procs * 5 / 100 ?: 1;
	TH_LOG("seed %#llx (KIPC_TEST_SEED): %u connections, %u processes, %u s",
	       (unsigned long long)rng, conns, procs, secs);
	shsz = sizeof(*sh) + conns * sizeof(struct load_slot);
	sh = mmap(NULL, shsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, shsz);
	sh->nconns = conns;
	sh->nservers = procs / 2;
	pid = calloc(procs, sizeof(*pid));
	ASSERT_NE(NULL, pid);
	/* Servers first, so that clients find most names at once. */
	for (p = 0; p < procs; p++) {
		pid[p] = start_proc(sh, p, test);
		ASSERT_LT(0, pid[p]);
	}

	t0 = kt_now_ns();
	end = t0 + (uint64_t)secs * 1000000000ull;
	next_kill = t0 + 1000000000ull;
	/* Kills stop a second before the end, so each can recover. */
	while (kt_now_ns() < end) {
		struct timespec nap = { 0, 20000000 };
		uint64_t before = kt_now_ns(), slept;

		/* How late a 20 ms nap ends is how starved every process
		 * here may be: the yardstick for the times below.
		 */
		nanosleep(&nap, NULL);
		slept = kt_now_ns() - before;
		if (slept > oversleep)
			oversleep = slept;
		if (kt_now_ns() < next_kill || next_kill + 1000000000ull > end)
			continue;
		next_kill += 1000000000ull;
		for (k = 0; k < per_kill; k++) {
			uint64_t now;

			p = (unsigned int)(kt_splitmix64(&rng) % procs);
			now = kt_now_ns();
			mark_broken(sh, p, now);
			kill(pid[p], SIGKILL);
			st = kt_wait_exit(pid[p], kt_wait_ms());
			if (st != -1000 - SIGKILL) {
				TH_LOG("process %u ended by itself: %d", p, st);
				failed++;
			}
			pid[p] = start_proc(sh, p, test);
			ASSERT_LT(0, pid[p]);
			kills++;
		}
	}
	/* Clients first: their closes end the servers' streams. */
	__atomic_store_n(&sh->stop, STOP_CLIENTS, __ATOMIC_RELEASE);
	for (p = procs; p-- > 0;) {
		if (p == sh->nservers - 1)
			__atomic_store_n(&sh->stop, STOP_SERVERS, __ATOMIC_RELEASE);
		st = kt_wait_exit(pid[p], 2 * kt_wait_ms());
		if (st == -ETIMEDOUT)
			hung++;
		else if (st)
			failed++;
		if (st)
			TH_LOG("process %u ended with %d", p, st);
	}
	for (c = 0; c < conns; c++) {
		struct load_slot *sl = &sh->slot[c];

		if (!sl->broken_at)
			continue;
		if (unrecovered++ < 8)
			TH_LOG("connection %u (client %u, server %u) broken %.0f ms before the stop: epoch %u made, %u read; %u CONNECTs refused, the last %d",
			       c, conn_client(sh, c), conn_server(sh, c),
			       kt_ms(end - sl->broken_at), sl->epoch,
			       sl->epoch_read, sl->connect_refused,
			       sl->connect_err);
	}
	kt_figure("load",
		  "transport=dev conns=%u procs=%u secs=%u kills=%u msgs=%llu bytes=%llu streams_checked=%llu lost=%llu disorder=%llu corrupt=%llu foreign=%llu excess=%llu errors=%llu hangs=%d recoveries=%llu eos_worst_ms=%.1f recovery_worst_ms=%.1f unrecovered=%u nap20ms_worst_ms=%.1f",
		  conns, procs, secs, kills, (unsigned long long)sh->msgs,
		  (unsigned long long)sh->bytes,
		  (unsigned long long)sh->eos_checked,
		  (unsigned long long)sh->lost,
		  (unsigned long long)sh->disorder,
		  (unsigned long long)sh->corrupt,
		  (unsigned long long)sh->foreign,
		  (unsigned long long)sh->excess,
		  (unsigned long long)sh->errors, hung,
		  (unsigned long long)sh->recoveries,
		  kt_ms(sh->notice_worst_ns), kt_ms(sh->recovery_worst_ns),
		  unrecovered, kt_ms(oversleep));
	if (sh->errors)
		TH_LOG("last error %d", sh->last_error);
	EXPECT_EQ(0, hung);
	EXPECT_EQ(0, failed);
	EXPECT_EQ(0, sh->lost);
	EXPECT_EQ(0, sh->disorder);
	EXPECT_EQ(0, sh->corrupt);
	EXPECT_EQ(0, sh->foreign);
	EXPECT_EQ(0, sh->excess);
	EXPECT_EQ(0, sh->errors);
	EXPECT_LT(0, sh->msgs);
	/* Every connection is checked at its last end of stream. */
	EXPECT_LE(conns, sh->eos_checked);
	free(pid);
	munmap(sh, shsz);
}

TEST_HARNESS_MAIN
