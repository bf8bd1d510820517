// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Wait policies (spin, sleep, adapt), the CPU an idle receiver uses, and
 * lost wake-ups: every side sleeps on every wait.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* Ping-pong between processes under a given wait policy. */
struct pp_arg {
	char name[64];
	long n;
	int policy;
	unsigned int spin_ns;
	uint32_t ring;
};

static void pingpong_child(void *a)
{
	struct pp_arg *pa = a;
	struct kipc_opts o;
	struct kipc_conn *c;
	uint8_t buf[512];
	ssize_t n;
	long i;

	opts_init(&o);
	o.wait_policy = pa->policy;
	o.spin_ns = pa->spin_ns;
	c = connect_retry(pa->name, &o, T_MS);
	for (i = 0; i < pa->n; i++) {
		n = kipc_recv_timeout(c, buf, sizeof(buf), 0, T_MS);
		if (n <= 0)
			FAIL("round trip %ld: recv %zd (%s)", i, n,
			     strerror((int)-n));
		CHECK_EQ(kipc_send_timeout(c, buf, (size_t)n, 0, T_MS), n);
	}
	recv_eos(c);
	kipc_close(c);
}

static void pingpong(long n, int policy, unsigned int spin_ns)
{
	struct kipc_listener *l;
	struct pp_arg pa = { .n = n, .policy = policy, .spin_ns = spin_ns };
	struct kipc_opts o;
	struct kipc_conn *s;
	uint8_t buf[512], got[512];
	pid_t child;
	ssize_t r;
	long i;

	pool_init();
	snprintf(pa.name, sizeof(pa.name), "%s", new_name());
	opts_init(&o);
	o.wait_policy = policy;
	o.spin_ns = spin_ns;
	CHECK_OK(kipc_listen(pa.name, &o, &l));
	child = spawn(pingpong_child, &pa);
	s = accept_one(l, T_MS);
	for (i = 0; i < n; i++) {
		size_t len = 1 + (size_t)i % 500;

		memcpy(buf, pool + i % 4096, len);
		CHECK_EQ(kipc_send_timeout(s, buf, len, 0, T_MS), (long)len);
		r = kipc_recv_timeout(s, got, sizeof(got), 0, T_MS);
		if (r != (ssize_t)len)
			FAIL("round trip %ld: recv %zd (%s)", i, r,
			     strerror((int)-r));
		CHECK(!memcmp(got, buf, len));
	}
	kipc_close(s);
	kipc_listener_close(l);
	CHECK_EQ(reap(child, T_MS), 0);
}

static void t_wait_policies(void)
{
	pingpong(3000, KIPC_WAIT_SPIN_SLEEP, 0);
	pingpong(3000, KIPC_WAIT_SPIN, 0);
	pingpong(3000, KIPC_WAIT_SLEEP, 0);
}

/* CPU time this thread has used, in ns. */
static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPU time of one receive that waits @ms on an idle connection. */
static int64_t idle_recv_cpu_ns(struct kipc_conn *c, int ms)
{
	int64_t t0 = now_ns(), cpu = thread_cpu_ns();
	char buf[64];

	CHECK_EQ(kipc_recv_timeout(c, buf, sizeof(buf), 0, ms), -ETIMEDOUT);
	cpu = thread_cpu_ns() - cpu;
	CHECK(now_ns() - t0 >= (int64_t)(ms - 5) * 1000000);
	return cpu;
}

/*
 * The default policy (KIPC_WAIT_SPIN_SLEEP) spins spin_ns, then sleeps:
 * an idle receiver waiting 300 ms uses about spin_ns of CPU, nothing
 * after it. A correctness check with a generous bound (30 ms, 1500 times
 * the default 20 us spin), not a timing: a waiter that kept spinning
 * would use up to 300 ms. The control, KIPC_WAIT_SPIN on a ring
 * transport, shows that the measure sees a spinning waiter (with a
 * bound low enough for a thread that gets little of a loaded machine).
 */
static void t_idle_cpu(void)
{
	struct pair p;
	int64_t cpu;

	pair_open(&p, NULL, NULL);
	cpu = idle_recv_cpu_ns(p.s, 300);
	printf("# idle 300 ms, default policy: %lld us CPU\n",
	       (long long)(cpu / 1000));
	CHECK(cpu < 30000000);
	CHECK_OK(kipc_set_wait(p.s, KIPC_WAIT_SPIN_SLEEP, 2000000));
	cpu = idle_recv_cpu_ns(p.s, 300);
	printf("# idle 300 ms, spin_ns 2 ms: %lld us CPU\n",
	       (long long)(cpu / 1000));
	CHECK(cpu < 32000000);
	if (ring_transport(p.c)) {
		CHECK_OK(kipc_set_wait(p.s, KIPC_WAIT_SPIN, 0));
		cpu = idle_recv_cpu_ns(p.s, 100);
		printf("# idle 100 ms, KIPC_WAIT_SPIN: %lld us CPU\n",
		       (long long)(cpu / 1000));
		CHECK(cpu >= 2000000);	/* 2 %: a loaded machine */
	}
	pair_close(&p);
}

/* Lost wake-ups: every side sleeps on every wait; a lost wake-up is a
 * -ETIMEDOUT (T_MS) and fails.
 */

static void flood_child(void *a)
{
	struct pp_arg *pa = a;
	struct kipc_opts o;
	struct kipc_conn *c;
	uint64_t s = 77;
	struct msgspec m;
	long i;

	opts_init(&o);
	o.wait_policy = pa->policy;
	o.spin_ns = pa->spin_ns;
	c = connect_retry(pa->name, &o, T_MS);
	for (i = 0; i < pa->n; i++) {
		m = msg_of(&s, 1, 700);
		CHECK_EQ(kipc_send_timeout(c, m.data, m.len, 0, T_MS),
			 (long)m.len);
	}
	kipc_close(c);
}

static void flood(long n, int policy, unsigned int spin_ns)
{
	struct pp_arg pa = { .n = n, .policy = policy, .spin_ns = spin_ns };
	struct kipc_listener *l;
	struct kipc_opts o;
	struct kipc_conn *s;
	uint8_t buf[1024];
	uint64_t sd = 77;
	struct msgspec m;
	pid_t child;
	ssize_t r;
	long i;

	pool_init();
	snprintf(pa.name, sizeof(pa.name), "%s", new_name());
	opts_init(&o);
	o.ring_bytes = 4096;	/* full and empty all the time */
	o.wait_policy = policy;
	o.spin_ns = spin_ns;
	CHECK_OK(kipc_listen(pa.name, &o, &l));
	child = spawn(flood_child, &pa);
	s = accept_one(l, T_MS);
	for (i = 0; i < n; i++) {
		m = msg_of(&sd, 1, 700);
		r = kipc_recv_timeout(s, buf, sizeof(buf), 0, T_MS);
		if (r != (ssize_t)m.len)
			FAIL("message %ld: recv %zd (%s)", i, r,
			     r < 0 ? strerror((int)-r) : "short");
		CHECK(!memcmp(buf, m.data, m.len));
		/* Now and then a slow consumer, so the producer sleeps. */
		if (!(i % 4099))
			sleep_ms(1);
	}
	recv_eos(s);
	kipc_close(s);
	kipc_listener_close(l);
	CHECK_EQ(reap(child, T_MS), 0);
}

static void t_lost_wakeup(void)
{
	long n = test_count(COUNT_WAKES);

	pingpong(n, KIPC_WAIT_SLEEP, 0);
	pingpong(n / 2, KIPC_WAIT_SPIN_SLEEP, 1);
	flood(n * 4, KIPC_WAIT_SLEEP, 0);
	flood(n * 2, KIPC_WAIT_SPIN_SLEEP, 1);
}

TEST_GROUP(wait,
	{ "wait_policies", t_wait_policies, 60 },
	{ "idle_cpu", t_idle_cpu, 30 },
	{ "lost_wakeup", t_lost_wakeup, 300 });
