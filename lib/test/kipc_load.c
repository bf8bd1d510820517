/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * kipc_load: many connections across many processes under kill -9 and
 * restart, through libkipc's public API only (issue 10, item 6; the
 * host's shm run, and any other transport KIPC_TRANSPORT names). The same
 * scenario as selftests/kipc_load_test.c, which drives the driver's rings
 * directly:
 *
 * half the processes serve (one listener each), half connect; every
 * connection streams random-size messages carrying (connection, epoch,
 * sequence, checksum); a random 5% of the processes (at least one) are
 * killed -9 and restarted every second. Servers check order, size and
 * checksum of every message and, at each end of stream, that every
 * message the client published was read (a shared table survives the
 * kills); the worst recovery (a kill to the first message of the broken
 * connection's next epoch) is measured.
 *
 * Usage: kipc_load [CONNS PROCS SECS]   (default 32 8 5; also
 * KIPC_LOAD_CONNS, KIPC_LOAD_PROCS, KIPC_LOAD_SECS; KIPC_TEST_SEED).
 * Output: TAP, a "# kipc-figure: suite=load ..." line, then
 * "N passed, M failed". Exit 0 on a pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kipc.h"
#include "../../selftests/kipc_load_msg.h"	/* the message, shared with the selftest */

#define EPOCHS		8
#define WAIT_MS		10000

struct slot {
	uint32_t epoch;
	uint64_t published[EPOCHS];
	uint64_t attempted[EPOCHS];
	uint64_t broken_at;
};

enum { RUN, STOP_CLIENTS, STOP_SERVERS };

struct shared {
	uint32_t stop;
	uint32_t nconns, nservers;
	uint64_t msgs, bytes, eos_checked;
	uint64_t lost, disorder, corrupt, foreign, excess, errors;
	uint64_t recoveries, recovery_worst_ns;
	int last_error;
	struct slot slot[];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static void error(struct shared *sh, int err)
{
	add(&sh->errors, 1);
	__atomic_store_n(&sh->last_error, err, __ATOMIC_RELAXED);
}

static void server_name(char *name, size_t n, pid_t test, unsigned int s)
{
	snprintf(name, n, "kl-%d-%u", (int)test, s);
}

static unsigned int conn_client(const struct shared *sh, unsigned int c)
{
	return c % sh->nservers;
}

static unsigned int conn_server(const struct shared *sh, unsigned int c)
{
	return (c / sh->nservers) % sh->nservers;
}

/* Clients -------------------------------------------------------------- */

struct out {
	unsigned int id;
	uint32_t epoch;
	uint64_t seq;
	struct kipc_conn *c;
};

static void out_close(struct out *o)
{
	kipc_close(o->c);
	o->c = NULL;
}

static bool out_open(struct shared *sh, struct out *o, pid_t test)
{
	struct kipc_opts opts = KIPC_OPTS_INIT;
	struct slot *sl = &sh->slot[o->id];
	char name[64];
	int ret;

	opts.timeout_ms = 200;
	server_name(name, sizeof(name), test, conn_server(sh, o->id));
	ret = kipc_connect(name, &opts, &o->c);
	if (ret == -ENOENT || ret == -ECONNREFUSED || ret == -ETIMEDOUT ||
	    ret == -EAGAIN || ret == -EPIPE || ret == -ECONNRESET) {
		o->c = NULL;	/* its server is restarting or busy */
		return false;
	}
	if (ret) {
		error(sh, ret);
		o->c = NULL;
		return false;
	}
	o->epoch = __atomic_add_fetch(&sl->epoch, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sl->published[o->epoch % EPOCHS], 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sl->attempted[o->epoch % EPOCHS], 0, __ATOMIC_SEQ_CST);
	o->seq = 0;
	return true;
}

/* Send what fits; true if anything moved (or the connection ended). */
static bool out_pump(struct shared *sh, struct out *o, bool *armed)
{
	struct slot *sl = &sh->slot[o->id];
	bool moved = false;
	int n, ret = 0;

	*armed = false;
	for (n = 0; n < 32; n++) {
		uint32_t len = load_len(o->id, o->epoch, o->seq);
		void *p;

		ret = kipc_reserve(o->c, len, &p, KIPC_NONBLOCK);
		if (ret)
			break;
		load_fill(p, o->id, o->epoch, o->seq, len);
		/* Before the commit: a later reserve that finds the ring
		 * full publishes what is committed, and a kill may come
		 * before this loop ends (the server then reads "excess").
		 */
		__atomic_store_n(&sl->attempted[o->epoch % EPOCHS], o->seq + 1,
				 __ATOMIC_SEQ_CST);
		ret = kipc_commit(o->c, len, KIPC_MORE);
		if (ret)
			break;
		o->seq++;
		moved = true;
	}
	if (moved) {
		if (!ret || ret == -EAGAIN)
			ret = kipc_flush(o->c, 0) ?: ret;
		if (ret != -EPIPE)
			__atomic_store_n(&sl->published[o->epoch % EPOCHS],
					 o->seq, __ATOMIC_SEQ_CST);
	}
	if (ret == -EAGAIN) {
		*armed = true;
		return moved;
	}
	if (ret && ret != -EPIPE)
		error(sh, ret);
	if (ret) {
		out_close(o);
		return true;
	}
	return moved;
}

static int client_main(struct shared *sh, unsigned int me, pid_t test)
{
	struct out *o = calloc(sh->nconns, sizeof(*o));
	struct pollfd *pfd = calloc(sh->nconns, sizeof(*pfd));
	unsigned int n = 0, c, i;

	if (!o || !pfd)
		return 2;
	for (c = 0; c < sh->nconns; c++)
		if (conn_client(sh, c) == me)
			o[n++].id = c;
	while (__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE) == RUN) {
		bool moved = false, down = false, armed;
		int np = 0;

		for (i = 0; i < n; i++) {
			if (!o[i].c && !out_open(sh, &o[i], test)) {
				down = true;
				continue;
			}
			moved |= out_pump(sh, &o[i], &armed);
			if (o[i].c && armed) {
				pfd[np].fd = kipc_fd(o[i].c);
				pfd[np++].events = (short)kipc_poll_events(o[i].c, POLLOUT);
			}
		}
		if (!moved)
			poll(pfd, (nfds_t)np, down ? 5 : 20);
	}
	for (i = 0; i < n; i++)
		if (o[i].c)
			out_close(&o[i]);
	return 0;
}

/* Servers -------------------------------------------------------------- */

struct in {
	bool named;
	uint32_t id, epoch;
	uint64_t next;
	struct kipc_conn *c;
};

static void atomic_max(uint64_t *p, uint64_t v)
{
	uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (v > cur && !__atomic_compare_exchange_n(p, &cur, v, false,
						       __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

static bool in_name(struct shared *sh, struct in *in, const struct load_hdr *h,
		    unsigned int me)
{
	uint64_t broken;

	if (h->conn >= sh->nconns || conn_server(sh, h->conn) != me)
		return false;
	in->id = h->conn;
	in->epoch = h->epoch;
	in->named = true;
	broken = __atomic_exchange_n(&sh->slot[in->id].broken_at, 0,
				     __ATOMIC_SEQ_CST);
	if (broken) {
		uint64_t t = now_ns();

		add(&sh->recoveries, 1);
		atomic_max(&sh->recovery_worst_ns, t > broken ? t - broken : 0);
	}
	return true;
}

static void in_eos(struct shared *sh, struct in *in)
{
	struct slot *sl = &sh->slot[in->id];
	uint64_t pub, att;

	if (!in->named)
		return;
	pub = __atomic_load_n(&sl->published[in->epoch % EPOCHS], __ATOMIC_SEQ_CST);
	att = __atomic_load_n(&sl->attempted[in->epoch % EPOCHS], __ATOMIC_SEQ_CST);
	if (in->next < pub)
		add(&sh->lost, pub - in->next);
	else if (in->next > att)
		add(&sh->excess, 1);
	else
		add(&sh->eos_checked, 1);
}

/* Read what is there; true if anything moved. *armed: it waits now. */
static bool in_pump(struct shared *sh, struct in *in, unsigned int me,
		    bool *armed)
{
	bool moved = false;
	int n;

	*armed = false;
	for (n = 0; n < 64; n++) {
		const void *p;
		struct load_hdr h;
		ssize_t len = kipc_peek(in->c, &p, KIPC_NONBLOCK);

		if (len == -EAGAIN) {
			*armed = true;
			return moved;
		}
		if (len == 0) {
			in_eos(sh, in);
			break;
		}
		if (len < 0) {
			error(sh, (int)len);
			break;
		}
		if ((size_t)len < sizeof(h)) {
			add(&sh->corrupt, 1);
			break;
		}
		memcpy(&h, p, sizeof(h));
		if (!in->named && !in_name(sh, in, &h, me)) {
			add(&sh->foreign, 1);
			break;
		}
		if (h.conn != in->id || h.epoch != in->epoch || h.seq != in->next) {
			add(&sh->disorder, 1);
			break;
		}
		if ((uint32_t)len != load_len(h.conn, h.epoch, h.seq) ||
		    h.sum != load_sum(&h, (const uint8_t *)p + sizeof(h),
				     (size_t)len - sizeof(h))) {
			add(&sh->corrupt, 1);
			break;
		}
		in->next++;
		add(&sh->msgs, 1);
		add(&sh->bytes, (uint64_t)len);
		kipc_release(in->c);
		moved = true;
	}
	if (n == 64)
		return true;
	kipc_close(in->c);
	in->c = NULL;
	return true;
}

static int server_main(struct shared *sh, unsigned int me, pid_t test)
{
	struct kipc_opts opts = KIPC_OPTS_INIT;
	unsigned int cap = sh->nconns, n = 0, i;
	struct in *in = calloc(cap, sizeof(*in));
	struct pollfd *pfd = calloc(cap + 1, sizeof(*pfd));
	struct kipc_listener *l;
	uint64_t deadline = 0;
	char name[64];
	int ret;

	if (!in || !pfd)
		return 2;
	opts.backlog = 256;
	server_name(name, sizeof(name), test, me);
	ret = kipc_listen(name, &opts, &l);
	if (ret) {
		error(sh, ret);
		return 3;
	}
	for (;;) {
		bool moved = false, armed;
		struct kipc_conn *c;
		int np = 0;

		if (!deadline &&
		    __atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE) == STOP_SERVERS)
			deadline = now_ns() + WAIT_MS * 1000000ull;
		while (n < cap && !(ret = kipc_accept(l, &c, KIPC_NONBLOCK))) {
			memset(&in[n], 0, sizeof(in[n]));
			in[n++].c = c;
			moved = true;
		}
		if (ret && ret != -EAGAIN && n < cap)
			error(sh, ret);
		for (i = 0; i < n; i++) {
			moved |= in_pump(sh, &in[i], me, &armed);
			if (in[i].c && armed) {
				pfd[np].fd = kipc_fd(in[i].c);
				pfd[np++].events = (short)kipc_poll_events(in[i].c, POLLIN);
			}
		}
		for (i = 0; i < n;) {
			if (!in[i].c)
				in[i] = in[--n];
			else
				i++;
		}
		if (deadline && !n && !moved)
			break;
		if (deadline && now_ns() > deadline) {
			error(sh, -ETIMEDOUT);
			return 4;
		}
		if (moved)
			continue;
		pfd[np].fd = kipc_listener_fd(l);
		pfd[np++].events = POLLIN;
		poll(pfd, (nfds_t)np, 20);
	}
	kipc_listener_close(l);
	return 0;
}

/* The test ------------------------------------------------------------- */

static pid_t start(struct shared *sh, unsigned int p, pid_t test)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != test)
			_exit(99);
		if (p < sh->nservers)
			_exit(server_main(sh, p, test));
		_exit(client_main(sh, p - sh->nservers, test));
	}
	return pid;
}

/* Exit status of @pid, -1 if it had to be killed after @ms, 128+signal. */
static int reap_within(pid_t pid, int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000;
	struct timespec nap = { 0, 1000000 };
	int st;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		nanosleep(&nap, NULL);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void mark_broken(struct shared *sh, unsigned int p, uint64_t t)
{
	unsigned int c;

	for (c = 0; c < sh->nconns; c++) {
		bool mine = p < sh->nservers ? conn_server(sh, c) == p :
			    conn_client(sh, c) == p - sh->nservers;
		uint64_t zero = 0;

		if (mine)
			__atomic_compare_exchange_n(&sh->slot[c].broken_at, &zero,
						    t, false, __ATOMIC_SEQ_CST,
						    __ATOMIC_SEQ_CST);
	}
}

static long arg(int argc, char **argv, int i, const char *env, long dflt)
{
	const char *s = argc > i ? argv[i] : getenv(env);

	return s && *s ? strtol(s, NULL, 0) : dflt;
}

int main(int argc, char **argv)
{
	unsigned int conns = (unsigned int)arg(argc, argv, 1, "KIPC_LOAD_CONNS", 32);
	unsigned int procs = (unsigned int)arg(argc, argv, 2, "KIPC_LOAD_PROCS", 8);
	unsigned int secs = (unsigned int)arg(argc, argv, 3, "KIPC_LOAD_SECS", 5);
	const char *seed_s = getenv("KIPC_TEST_SEED");
	uint64_t seed = seed_s ? strtoull(seed_s, NULL, 0) : now_ns() ^ (uint64_t)getpid();
	uint64_t rng = seed, t0, next_kill, end, oversleep = 0;
	unsigned int per_kill, kills = 0, p, k, c, unrecovered = 0;
	int hung = 0, failed = 0, st;
	pid_t test = getpid(), *pid;
	struct utsname u;
	struct shared *sh;
	const char *trs = getenv("KIPC_TRANSPORT");
	size_t shsz;
	bool ok;

	signal(SIGPIPE, SIG_IGN);
	if (procs < 2)
		procs = 2;
	procs &= ~1u;
	per_kill = procs * 5 / 100 ? procs * 5 / 100 : 1;
	printf("TAP version 13\n1..1\n");
	printf("# seed %#llx (KIPC_TEST_SEED): %u connections, %u processes, %u s, transport %s\n",
	       (unsigned long long)seed, conns, procs, secs, trs ? trs : "auto");
	shsz = sizeof(*sh) + conns * sizeof(struct slot);
	sh = mmap(NULL, shsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	pid = calloc(procs, sizeof(*pid));
	if (sh == MAP_FAILED || !pid) {
		printf("not ok 1 load: no memory\n0 passed, 1 failed\n");
		return 1;
	}
	memset(sh, 0, shsz);
	sh->nconns = conns;
	sh->nservers = procs / 2;
	for (p = 0; p < procs; p++)
		pid[p] = start(sh, p, test);

	t0 = now_ns();
	end = t0 + secs * 1000000000ull;
	next_kill = t0 + 1000000000ull;
	while (now_ns() < end) {
		struct timespec nap = { 0, 20000000 };
		uint64_t before = now_ns();

		/* How late a 20 ms nap ends: the yardstick for the times. */
		nanosleep(&nap, NULL);
		if (now_ns() - before > oversleep)
			oversleep = now_ns() - before;
		if (now_ns() < next_kill || next_kill + 1000000000ull > end)
			continue;
		next_kill += 1000000000ull;
		for (k = 0; k < per_kill; k++) {
			p = (unsigned int)(load_splitmix(&rng) % procs);
			mark_broken(sh, p, now_ns());
			kill(pid[p], SIGKILL);
			st = reap_within(pid[p], WAIT_MS);
			if (st != 128 + SIGKILL) {
				printf("# process %u ended by itself: %d\n", p, st);
				failed++;
			}
			pid[p] = start(sh, p, test);
			kills++;
		}
	}
	__atomic_store_n(&sh->stop, STOP_CLIENTS, __ATOMIC_RELEASE);
	for (p = procs; p-- > 0;) {
		if (p == sh->nservers - 1)
			__atomic_store_n(&sh->stop, STOP_SERVERS, __ATOMIC_RELEASE);
		st = reap_within(pid[p], 2 * WAIT_MS);
		if (st == -1)
			hung++;
		else if (st)
			failed++;
		if (st)
			printf("# process %u ended with %d\n", p, st);
	}
	for (c = 0; c < conns; c++)
		if (sh->slot[c].broken_at)
			unrecovered++;
	if (sh->errors)
		printf("# %llu errors, the last %d (%s)\n",
		       (unsigned long long)sh->errors, sh->last_error,
		       kipc_strerror(sh->last_error));
	uname(&u);
	printf("# kipc-figure: suite=load transport=%s conns=%u procs=%u secs=%u kills=%u msgs=%llu bytes=%llu streams_checked=%llu lost=%llu disorder=%llu corrupt=%llu foreign=%llu excess=%llu errors=%llu hangs=%d recoveries=%llu recovery_worst_ms=%.1f unrecovered=%u nap20ms_worst_ms=%.1f kernel=%s form=%s\n",
	       trs ? trs : "auto", conns, procs, secs, kills,
	       (unsigned long long)sh->msgs, (unsigned long long)sh->bytes,
	       (unsigned long long)sh->eos_checked,
	       (unsigned long long)sh->lost, (unsigned long long)sh->disorder,
	       (unsigned long long)sh->corrupt, (unsigned long long)sh->foreign,
	       (unsigned long long)sh->excess, (unsigned long long)sh->errors,
	       hung, (unsigned long long)sh->recoveries,
	       (double)sh->recovery_worst_ns / 1e6, unrecovered,
	       (double)oversleep / 1e6, u.release,
	       conns >= 256 && secs >= 30 ? "long" : "short");
	ok = !hung && !failed && !sh->lost && !sh->disorder && !sh->corrupt &&
	     !sh->foreign && !sh->excess && !sh->errors && sh->msgs;
	printf("%s 1 load: %u connections, %u processes, %u s, %u kills\n",
	       ok ? "ok" : "not ok", conns, procs, secs, kills);
	printf("%d passed, %d failed\n", ok, !ok);
	return ok ? 0 : 1;
}
