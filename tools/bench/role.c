// SPDX-License-Identifier: GPL-2.0
/*
 * What each of the two role processes runs: attach, meet the peer, run the
 * workload, meet again (so that nothing is torn down while messages are in
 * flight), detach. Shared by kipc-bench's forked roles and exec'd helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

static struct bench_role_state *peer_of(struct bench_run *r)
{
	return &r->ctl->role[r->role ^ 1];
}

/* Sleep-spin: these waits are never timed, so leave the CPU to the peer. */
static void idle_wait(unsigned int *spins)
{
	struct timespec ts = { 0, 20 * 1000 };

	if (++*spins < 200)
		bench_cpu_relax();
	else
		nanosleep(&ts, NULL);
}

int bench_barrier(struct bench_run *r, uint32_t gen)
{
	struct bench_role_state *peer = peer_of(r);
	unsigned int spins = 0;

	/* release: what we did before the barrier is visible after the peer's */
	atomic_store_explicit(&r->ctl->role[r->role].arrived, gen, memory_order_release);
	while (atomic_load_explicit(&peer->arrived, memory_order_acquire) < gen) {
		/* The peer may have arrived and then ended between our two
		 * loads: it stores arrived before done, so a done seen with
		 * acquire makes its arrived visible. Look once more before
		 * calling it a failure (a preempted role saw exactly that).
		 */
		if (atomic_load_explicit(&peer->done, memory_order_acquire) &&
		    atomic_load_explicit(&peer->arrived, memory_order_acquire) < gen)
			return bench_fail(r, "peer role ended before meeting point %u", gen);
		idle_wait(&spins);
	}
	return 0;
}

int bench_exchange(struct bench_run *r, const void *mine, size_t len,
		   void *peer_buf, size_t peer_len)
{
	struct bench_role_state *me = &r->ctl->role[r->role], *peer = peer_of(r);
	unsigned int spins = 0;

	if (len > BENCH_XCHG_LEN)
		return bench_fail(r, "exchange of %zu bytes is too large", len);
	memcpy(me->xchg, mine, len);
	me->xchg_len = (uint32_t)len;
	atomic_store_explicit(&me->xchg_ready, 1, memory_order_release);
	while (!atomic_load_explicit(&peer->xchg_ready, memory_order_acquire)) {
		/* As in bench_barrier: done may follow a ready we missed. */
		if (atomic_load_explicit(&peer->done, memory_order_acquire) &&
		    !atomic_load_explicit(&peer->xchg_ready, memory_order_acquire))
			return bench_fail(r, "peer role ended before the exchange");
		idle_wait(&spins);
	}
	if (peer->xchg_len > peer_len)
		return bench_fail(r, "peer sent %u bytes, room for %zu", peer->xchg_len, peer_len);
	memcpy(peer_buf, peer->xchg, peer->xchg_len);
	return 0;
}

static int send_one(const struct bench_mech *m, struct bench_run *r, void *txbuf,
		    uint64_t seq, int dir)
{
	size_t size = r->p->size;
	bool full = r->p->full_verify;
	void *loan;

	if (m->send_loan) {
		loan = m->send_loan(r, size);
		if (!loan)
			return -1;
		bench_payload_write(loan, size, seq, dir, full);
		return m->send_commit(r, loan, size);
	}
	bench_payload_write(txbuf, size, seq, dir, full);
	return m->send(r, txbuf, size);
}

/* The injected fault hits the first measured message. */
static bool fault_here(struct bench_run *r, uint64_t seq, uint32_t fault)
{
	return r->p->fault == fault && seq == r->p->warmup;
}

static int recv_one(const struct bench_mech *m, struct bench_run *r, void *rxbuf,
		    uint64_t seq, int dir)
{
	size_t size = r->p->size;
	bool full = r->p->full_verify;
	const void *loan;
	int ret;

	if (fault_here(r, seq, BENCH_FAULT_DROP) && r->p->workload == BENCH_STREAM) {
		/* swallow this message: the next one must be caught as out of sequence */
		if (m->recv_loan) {
			loan = m->recv_loan(r, size);
			if (!loan || m->recv_release(r, loan))
				return -1;
		} else if (m->recv(r, rxbuf, size)) {
			return -1;
		}
	}
	if (m->recv_loan) {
		const void *check;

		loan = m->recv_loan(r, size);
		if (!loan)
			return -1;
		check = loan;
		if (fault_here(r, seq, BENCH_FAULT_CORRUPT)) {
			memcpy(rxbuf, loan, size);
			((unsigned char *)rxbuf)[size / 2] ^= 0x10;
			check = rxbuf;
		}
		ret = bench_payload_check(r, check, size, seq, dir, full);
		if (m->recv_release(r, loan))
			ret = -1;
		return ret;
	}
	if (m->recv(r, rxbuf, size))
		return -1;
	if (fault_here(r, seq, BENCH_FAULT_CORRUPT))
		((unsigned char *)rxbuf)[size / 2] ^= 0x10;
	return bench_payload_check(r, rxbuf, size, seq, dir, full);
}

/*
 * CPU time of this process (all its threads) over the measured part of the
 * workload, from the end of the warm-up to the last message, and the wall
 * time of that part: what a message costs the side that waits for it.
 */
static uint64_t cpu_time_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void cpu_begin(struct bench_run *r)
{
	struct bench_role_state *st = &r->ctl->role[r->role];

	st->cpu_wall_ns = bench_mono_ns();
	st->cpu_ns = cpu_time_ns();
}

static void cpu_end(struct bench_run *r)
{
	struct bench_role_state *st = &r->ctl->role[r->role];

	st->cpu_ns = cpu_time_ns() - st->cpu_ns;
	st->cpu_wall_ns = bench_mono_ns() - st->cpu_wall_ns;
}

static int latency_client(const struct bench_mech *m, struct bench_run *r,
			  void *txbuf, void *rxbuf)
{
	const struct bench_params *p = r->p;
	uint64_t total = p->warmup + p->iterations, i, t0, t1;

	for (i = 0; i < total; i++) {
		if (i == p->warmup)
			cpu_begin(r);
		t0 = bench_now(p);
		if (send_one(m, r, txbuf, i, BENCH_DIR_AB) ||
		    recv_one(m, r, rxbuf, i, BENCH_DIR_BA))
			return -1;
		t1 = bench_now(p);
		if (i >= p->warmup)
			r->ctl->samples[i - p->warmup] = t1 - t0;
	}
	cpu_end(r);
	r->ctl->role[r->role].messages = total;
	return 0;
}

static int latency_server(const struct bench_mech *m, struct bench_run *r,
			  void *txbuf, void *rxbuf)
{
	uint64_t total = r->p->warmup + r->p->iterations, i;

	for (i = 0; i < total; i++) {
		if (i == r->p->warmup)
			cpu_begin(r);
		if (recv_one(m, r, rxbuf, i, BENCH_DIR_AB) ||
		    send_one(m, r, txbuf, i, BENCH_DIR_BA))
			return -1;
	}
	cpu_end(r);
	r->ctl->role[r->role].messages = total;
	return 0;
}

static int stream_sender(const struct bench_mech *m, struct bench_run *r, void *txbuf)
{
	uint64_t total = r->p->warmup + r->p->iterations, i;

	for (i = 0; i < total; i++) {
		if (i == r->p->warmup)
			cpu_begin(r);
		if (send_one(m, r, txbuf, i, BENCH_DIR_AB))
			return -1;
	}
	if (m->flush && m->flush(r))
		return -1;
	cpu_end(r);
	r->ctl->role[r->role].messages = total;
	return 0;
}

/* Throughput is timed at the receiver, from the end of the warm-up to the last message. */
static int stream_receiver(const struct bench_mech *m, struct bench_run *r, void *rxbuf)
{
	struct bench_role_state *st = &r->ctl->role[r->role];
	const struct bench_params *p = r->p;
	uint64_t total = p->warmup + p->iterations, i;

	st->t_begin = bench_now(p);
	for (i = 0; i < total; i++) {
		if (recv_one(m, r, rxbuf, i, BENCH_DIR_AB))
			return -1;
		if (i + 1 == p->warmup) {
			cpu_begin(r);
			st->t_begin = bench_now(p);
		}
	}
	st->t_end = bench_now(p);
	cpu_end(r);
	st->messages = total;
	return 0;
}

static int run_workload(const struct bench_mech *m, struct bench_run *r,
			void *txbuf, void *rxbuf)
{
	if (r->p->workload == BENCH_LATENCY)
		return r->role == BENCH_ROLE_A ? latency_client(m, r, txbuf, rxbuf)
					       : latency_server(m, r, txbuf, rxbuf);
	return r->role == BENCH_ROLE_A ? stream_sender(m, r, txbuf)
				       : stream_receiver(m, r, rxbuf);
}

int bench_role_main(const struct bench_mech *m, struct bench_run *r)
{
	struct bench_role_state *st = &r->ctl->role[r->role];
	void *txbuf = NULL, *rxbuf = NULL;
	size_t size = r->p->size;
	int ret = -1;

	r->error = st->error;
	if (posix_memalign(&txbuf, BENCH_CACHELINE, size) ||
	    posix_memalign(&rxbuf, BENCH_CACHELINE, size)) {
		bench_fail(r, "out of memory for %zu-byte buffers", size);
		goto out;
	}
	/* touch them now so no page fault lands in a timed section */
	memset(txbuf, 0, size);
	memset(rxbuf, 0, size);

	if (m->attach && m->attach(r))
		goto out;
	if (bench_barrier(r, 1))
		goto out_detach;
	ret = run_workload(m, r, txbuf, rxbuf);
	if (!ret)
		ret = bench_barrier(r, 2);
out_detach:
	if (m->detach)
		m->detach(r);
out:
	free(txbuf);
	free(rxbuf);
	st->status = ret;
	atomic_store_explicit(&st->done, 1, memory_order_release);
	return ret ? 1 : 0;
}

int bench_helper_main(const struct bench_mech *m, int argc, char **argv)
{
	struct bench_run r = { .mech = m };
	struct bench_ctl *ctl;
	struct stat sb;
	int role = -1, fd = -1, i, ret;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--role"))
			role = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--ctl-fd"))
			fd = atoi(argv[i + 1]);
	}
	if ((role != BENCH_ROLE_A && role != BENCH_ROLE_B) || fd < 0 || fstat(fd, &sb)) {
		fprintf(stderr, "%s: a helper of kipc-bench; it is not run by hand\n", argv[0]);
		return 2;
	}
	ctl = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ctl == MAP_FAILED) {
		fprintf(stderr, "%s: mmap control block: %s\n", argv[0], strerror(errno));
		return 2;
	}
	close(fd);
	r.ctl = ctl;
	r.p = &ctl->p;
	r.role = role;
	r.priv = calloc(1, m->priv_size ? m->priv_size : 1);
	if (!r.priv) {
		r.error = ctl->role[role].error;
		bench_fail(&r, "out of memory");
		ctl->role[role].status = -1;
		atomic_store(&ctl->role[role].done, 1);
		return 1;
	}
	ret = bench_role_main(m, &r);
	free(r.priv);
	return ret;
}
