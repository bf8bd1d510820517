// SPDX-License-Identifier: GPL-2.0
/*
 * kipc stress: two processes exchange KIPC_STRESS_MSGS messages (default
 * 10^6, half in each direction at once) of random sizes from 1 byte to the
 * ring's largest message, through the mapped rings only. Every byte is
 * checked against what the sender wrote, and a running checksum of each
 * direction is compared end to end. Both sides sleep through the doorbell
 * of kipc_ring.h (waiting/need flags, poll, KICK), each wait bounded, so a
 * lost wake-up fails the test instead of hanging it.
 *
 * Environment: KIPC_STRESS_MSGS (total), KIPC_TEST_SEED,
 * KIPC_STRESS_RING_C2S / KIPC_STRESS_RING_S2C (ring bytes; default one
 * page and four pages, small so that rings wrap and fill all the time).
 */
#include "kipc_test.h"

/* One direction of the exchange: both ends derive the same sequence of
 * lengths and payloads from the seed, so the receiver knows each message.
 */
struct dir_gen {
	uint64_t seed;
	uint64_t len_rng;
	uint32_t max;		/* KIPC_MSG_MAX of the ring */
	uint32_t next_len;
	uint64_t seq;
	uint64_t sum;		/* running checksum of every payload word */
};

static uint32_t draw_len(struct dir_gen *g)
{
	uint64_t r = kt_splitmix64(&g->len_rng);
	uint32_t pick = (uint32_t)(r & 255), v = (uint32_t)(r >> 32);

	if (pick < 2)
		return g->max;			/* the largest message */
	if (pick < 4)
		return 1;
	if (pick < 12)
		return 1 + v % g->max;		/* anything */
	return 1 + v % 64;			/* mostly small */
}

static void gen_init(struct dir_gen *g, uint64_t seed, uint32_t ring)
{
	memset(g, 0, sizeof(*g));
	g->seed = seed;
	g->len_rng = seed ^ 0x5eed5eed5eed5eedull;
	g->max = KIPC_MSG_MAX(ring);
	g->next_len = draw_len(g);
}

static void gen_advance(struct dir_gen *g)
{
	g->seq++;
	g->next_len = draw_len(g);
}

/* Payload word i of message seq: base + i * golden. Cheap, and no two
 * messages nor positions look alike.
 */
static uint64_t payload_base(const struct dir_gen *g)
{
	uint64_t s = g->seed ^ (g->seq * 0xd6e8feb86659fd93ull);

	return kt_splitmix64(&s);
}

#define GOLDEN	0x9e3779b97f4a7c15ull

static void payload_fill(struct dir_gen *g, uint8_t *p, uint32_t len)
{
	uint64_t w = payload_base(g), sum = g->sum;
	uint32_t i;

	for (i = 0; i + 8 <= len; i += 8, w += GOLDEN) {
		memcpy(p + i, &w, 8);
		sum += w;
	}
	if (i < len) {
		uint64_t t = 0;

		memcpy(p + i, &w, len - i);
		memcpy(&t, &w, len - i);
		sum += t;
	}
	g->sum = sum * 31 + len;
}

/* Checks the payload, adds what was read to the receiver's checksum. */
static bool payload_check(struct dir_gen *g, const uint8_t *p, uint32_t len)
{
	uint64_t w = payload_base(g), sum = g->sum, got;
	bool ok = true;
	uint32_t i;

	for (i = 0; i + 8 <= len; i += 8, w += GOLDEN) {
		memcpy(&got, p + i, 8);
		ok &= got == w;
		sum += got;
	}
	if (i < len) {
		uint64_t exp = 0;

		got = 0;
		memcpy(&got, p + i, len - i);
		memcpy(&exp, &w, len - i);
		ok &= got == exp;
		sum += got;
	}
	g->sum = sum * 31 + len;
	return ok;
}

/* Results of one side, in memory shared with the other process. */
struct side_result {
	uint64_t sent, received;
	uint64_t tx_sum, rx_sum;
	uint64_t kicks, waits;
	int error;		/* negative errno or a code below */
	uint64_t bad_seq;
};

#define E_BADLEN	-1001	/* length differs from what was sent */
#define E_BADDATA	-1002	/* payload differs */
#define E_LOSTWAKE	-1003	/* poll timed out with the condition true */
#define E_STUCK		-1004	/* poll timed out, nothing to do */
#define E_PEERGONE	-1005	/* peer died with messages outstanding */

#define PUBLISH_BATCH	8

static int kick(struct kt_end *e, struct side_result *r)
{
	r->kicks++;
	return kt_kick(e->fd);
}

/* Publish what was committed; kick if the consumer waits for it. */
static int flush_tx(struct kt_end *e, struct side_result *r)
{
	if (kipc_ring_publish(&e->tx) && kipc_ring_prod_should_kick(&e->tx))
		return kick(e, r);
	return 0;
}

/* Release what was consumed; kick if the producer waits for the room. */
static int flush_rx(struct kt_end *e, struct side_result *r)
{
	if (kipc_ring_release(&e->rx) && kipc_ring_cons_should_kick(&e->rx))
		return kick(e, r);
	return 0;
}

/*
 * Send @tx_total messages of @tx and receive @rx_total of @rx on @e,
 * interleaved, sleeping only when neither is possible.
 */
static int pump(struct kt_end *e, struct dir_gen *tx, uint64_t tx_total,
		struct dir_gen *rx, uint64_t rx_total, struct side_result *r,
		int wait_ms)
{
	uint64_t idle_since = kt_now_ns();
	bool hup = false;
	int ret;

	while (tx->seq < tx_total || rx->seq < rx_total) {
		bool progress = false;
		short events = 0;
		int n = 0, rev;

		while (tx->seq < tx_total) {
			uint32_t len = tx->next_len;
			void *p;

			ret = kipc_ring_reserve(&e->tx, len, &p);
			if (ret == -EAGAIN)
				break;
			if (ret)
				return ret;
			payload_fill(tx, p, len);
			kipc_ring_commit(&e->tx);
			gen_advance(tx);
			progress = true;
			ret = ++n % PUBLISH_BATCH ? 0 : flush_tx(e, r);
			if (ret)
				return ret;
		}
		ret = flush_tx(e, r);
		if (ret)
			return ret;

		n = 0;
		while (rx->seq < rx_total) {
			const void *p;
			uint32_t len;

			ret = kipc_ring_peek(&e->rx, &p, &len);
			if (ret == -EAGAIN)
				break;
			if (ret)
				return ret;
			if (len != rx->next_len) {
				r->bad_seq = rx->seq;
				return E_BADLEN;
			}
			if (!payload_check(rx, p, len)) {
				r->bad_seq = rx->seq;
				return E_BADDATA;
			}
			kipc_ring_consume(&e->rx);
			gen_advance(rx);
			progress = true;
			ret = ++n % PUBLISH_BATCH ? 0 : flush_rx(e, r);
			if (ret)
				return ret;
		}
		ret = flush_rx(e, r);
		if (ret)
			return ret;

		if (progress) {
			hup = false;
			idle_since = kt_now_ns();
			continue;
		}
		if (hup)
			return E_PEERGONE;
		/* Woken again and again with nothing to do: give up in time. */
		if (kt_now_ns() - idle_since > (uint64_t)wait_ms * 1000000)
			return E_STUCK;

		/* Nothing moved: announce what we wait for, re-check, sleep. */
		if (tx->seq < tx_total) {
			ret = kipc_ring_prod_prepare_wait(&e->tx, tx->next_len);
			if (ret < 0)
				return ret;
			if (ret == 1)
				continue;
			events |= POLLOUT;
		}
		if (rx->seq < rx_total) {
			ret = kipc_ring_cons_prepare_wait(&e->rx);
			if (ret != 0) {
				kipc_ring_prod_finish_wait(&e->tx);
				if (ret < 0)
					return ret;
				continue;
			}
			events |= POLLIN;
		}
		r->waits++;
		rev = kt_poll1(e->fd, events, wait_ms);
		kipc_ring_prod_finish_wait(&e->tx);
		kipc_ring_cons_finish_wait(&e->rx);
		if (rev < 0)
			return rev;
		if (rev == 0) {
			/* Was there something to do all along? */
			uint32_t room;

			if (kipc_ring_cons_refresh(&e->rx) > 0)
				return E_LOSTWAKE;
			if (!kipc_ring_prod_free(&e->tx, true, &room) &&
			    room >= kipc_ring_need(&e->tx, tx->next_len) &&
			    tx->seq < tx_total)
				return E_LOSTWAKE;
			return E_STUCK;
		}
		if (rev & (POLLHUP | POLLERR))
			hup = true;	/* one more pass to drain, then fail */
	}
	return 0;
}

static void run_side(struct kt_end *e, struct dir_gen *tx, uint64_t tx_total,
		     struct dir_gen *rx, uint64_t rx_total,
		     struct side_result *r, int wait_ms)
{
	r->error = pump(e, tx, tx_total, rx, rx_total, r, wait_ms);
	r->sent = tx->seq;
	r->received = rx->seq;
	r->tx_sum = tx->sum;
	r->rx_sum = rx->sum;
}

static const char *err_name(int err)
{
	switch (err) {
	case E_BADLEN: return "wrong length";
	case E_BADDATA: return "corrupt payload";
	case E_LOSTWAKE: return "lost wake-up (timed out with work to do)";
	case E_STUCK: return "stuck (timed out, peer made no progress)";
	case E_PEERGONE: return "peer gone with messages outstanding";
	default: return err ? strerror(-err) : "ok";
	}
}

FIXTURE(stress) {
	struct kt_pair p;
	struct side_result *res;	/* [KIPC_SIDE_CLIENT], [KIPC_SIDE_SERVER] */
	uint64_t seed, total;
	uint32_t ring[2];
};

FIXTURE_SETUP(stress)
{
	struct kipc_version v;
	int fd = kt_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_version(fd, &v));
	close(fd);
	self->seed = kt_seed();
	self->total = kt_env_u64("KIPC_STRESS_MSGS", 1000000);
	self->ring[0] = (uint32_t)kt_env_u64("KIPC_STRESS_RING_C2S", v.page_size);
	self->ring[1] = (uint32_t)kt_env_u64("KIPC_STRESS_RING_S2C", 4 * v.page_size);
	ASSERT_EQ(0, kt_pair_open(&self->p, self->ring[0], self->ring[1]));
	self->res = mmap(NULL, kt_page(), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);
	memset(self->res, 0, 2 * sizeof(*self->res));
	TH_LOG("seed %#llx (KIPC_TEST_SEED), %llu messages, rings %u/%u",
	       (unsigned long long)self->seed, (unsigned long long)self->total,
	       self->ring[0], self->ring[1]);
}

FIXTURE_TEARDOWN(stress)
{
	kt_pair_close(&self->p);
	munmap(self->res, kt_page());
}

TEST_F_TIMEOUT(stress, two_processes_exchange_messages_with_checksums, 600)
{
	uint64_t c2s_total = (self->total + 1) / 2, s2c_total = self->total / 2;
	uint64_t c2s_seed = self->seed, s2c_seed = self->seed * GOLDEN + 1;
	struct side_result *cr = &self->res[KIPC_SIDE_CLIENT];
	struct side_result *sr = &self->res[KIPC_SIDE_SERVER];
	/* A side waits at most this long for its peer. */
	int wait_ms = kt_wait_ms() * 3;
	struct dir_gen tx, rx;
	uint64_t t0, ns;
	struct kt_end e;
	pid_t pid;
	int st;

	t0 = kt_now_ns();
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Client: the only holder of the client side. */
		close(self->p.sfd);
		close(self->p.lfd);
		if (kt_end_map(&e, self->p.cfd)) {
			cr->error = -ENODEV;
			_exit(1);
		}
		gen_init(&tx, c2s_seed, self->ring[0]);
		gen_init(&rx, s2c_seed, self->ring[1]);
		run_side(&e, &tx, c2s_total, &rx, s2c_total, cr, wait_ms);
		_exit(cr->error ? 1 : 0);
	}
	kt_close(&self->p.cfd);
	kt_close(&self->p.lfd);
	ASSERT_EQ(0, kt_end_map(&e, self->p.sfd));
	gen_init(&tx, s2c_seed, self->ring[1]);
	gen_init(&rx, c2s_seed, self->ring[0]);
	run_side(&e, &tx, s2c_total, &rx, c2s_total, sr, wait_ms);
	st = kt_wait_exit(pid, wait_ms + 1000);
	ns = kt_now_ns() - t0;
	kt_end_unmap(&e);

	TH_LOG("%.2f s, %.0f messages/s; client %llu kicks %llu waits, server %llu kicks %llu waits",
	       ns / 1e9, self->total / (ns / 1e9),
	       (unsigned long long)cr->kicks, (unsigned long long)cr->waits,
	       (unsigned long long)sr->kicks, (unsigned long long)sr->waits);
	EXPECT_EQ(0, sr->error) TH_LOG("server: %s at message %llu",
				       err_name(sr->error),
				       (unsigned long long)sr->bad_seq);
	EXPECT_EQ(0, cr->error) TH_LOG("client: %s at message %llu",
				       err_name(cr->error),
				       (unsigned long long)cr->bad_seq);
	EXPECT_EQ(0, st) TH_LOG("client process: %d", st);
	EXPECT_EQ(c2s_total, cr->sent);
	EXPECT_EQ(c2s_total, sr->received);
	EXPECT_EQ(s2c_total, sr->sent);
	EXPECT_EQ(s2c_total, cr->received);
	EXPECT_EQ(cr->tx_sum, sr->rx_sum);
	EXPECT_EQ(sr->tx_sum, cr->rx_sum);
}

TEST_HARNESS_MAIN
