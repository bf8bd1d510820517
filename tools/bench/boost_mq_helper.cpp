// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench-boost: the Boost.Interprocess message_queue peer of kipc
 * bench. Both roles exec it; it maps the run's control block and runs the
 * bench engine (C) with send/recv on two message_queues. Busy-poll uses
 * try_send/try_receive, blocking uses send/receive.
 */
#include <boost/interprocess/ipc/message_queue.hpp>
#include <cstdio>
#include <cstring>

#include "bench.h"

namespace bip = boost::interprocess;

namespace {

const unsigned int queue_depth = 16;

struct boost_priv {
	bip::message_queue *q[2];	// [BENCH_DIR_AB / BENCH_DIR_BA]
	char name[2][160];
};

boost_priv *priv(bench_run *r)
{
	return static_cast<boost_priv *>(r->priv);
}

int attach(bench_run *r)
{
	boost_priv *b = priv(r);
	int dir = 0;

	try {
		for (dir = 0; dir < 2; dir++) {
			// the parent's names, without the leading '/' Boost adds itself
			std::snprintf(b->name[dir], sizeof(b->name[dir]), "%.100s-%s",
				      r->ctl->mech_shared, dir ? "ba" : "ab");
			b->q[dir] = new bip::message_queue(bip::open_or_create, b->name[dir],
							   queue_depth, r->p->size);
		}
	} catch (const std::exception &e) {
		return bench_fail(r, "message_queue %s: %s", b->name[dir], e.what());
	}
	return 0;
}

void detach(bench_run *r)
{
	boost_priv *b = priv(r);

	for (int dir = 0; dir < 2; dir++) {
		delete b->q[dir];
		b->q[dir] = nullptr;
		if (b->name[dir][0])
			bip::message_queue::remove(b->name[dir]);
	}
}

int bq_send(bench_run *r, const void *buf, size_t len)
{
	bip::message_queue *q = priv(r)->q[r->role == BENCH_ROLE_A ? BENCH_DIR_AB : BENCH_DIR_BA];

	try {
		if (r->p->mode == BENCH_MODE_BLOCK)
			q->send(buf, len, 0);
		else
			while (!q->try_send(buf, len, 0))
				bench_spin(r);
	} catch (const std::exception &e) {
		return bench_fail(r, "message_queue send: %s", e.what());
	}
	return 0;
}

int bq_recv(bench_run *r, void *buf, size_t len)
{
	bip::message_queue *q = priv(r)->q[r->role == BENCH_ROLE_A ? BENCH_DIR_BA : BENCH_DIR_AB];
	bip::message_queue::size_type got = 0;
	unsigned int prio;

	try {
		if (r->p->mode == BENCH_MODE_BLOCK)
			q->receive(buf, len, got, prio);
		else
			while (!q->try_receive(buf, len, got, prio))
				bench_spin(r);
	} catch (const std::exception &e) {
		return bench_fail(r, "message_queue receive: %s", e.what());
	}
	if (got != len)
		return bench_fail(r, "message_queue: %zu bytes, expected %zu", (size_t)got, len);
	return 0;
}

bench_mech make_mech()
{
	bench_mech m;

	std::memset(&m, 0, sizeof(m));
	m.name = "boost-mq";
	m.group = "middleware";
	m.modes = BENCH_MODE_POLL | BENCH_MODE_BLOCK;
	m.workloads = BENCH_LATENCY | BENCH_STREAM;
	m.priv_size = sizeof(boost_priv);
	m.attach = attach;
	m.detach = detach;
	m.send = bq_send;
	m.recv = bq_recv;
	return m;
}

} // namespace

int main(int argc, char **argv)
{
	static const bench_mech mech = make_mech();

	return bench_helper_main(&mech, argc, argv);
}
