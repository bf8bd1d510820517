// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkipc conformance suite. One run per transport: KIPC_TRANSPORT=dev, shm
 * or uds (unset: automatic). TAP output, last line "N passed, N failed".
 * Usage: kipc_test [TEST...]   (no argument: all tests)
 *
 * Sizes: KIPC_TEST_MSGS, _BIG, _HOSTILE, _KILLS, _WAKES (harness.c has
 * their defaults, the issue's counts); KIPC_TEST_TIMEOUT_SCALE (default 1)
 * multiplies every test's time limit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>
#include <linux/kipc.h>

#include "harness.h"
#ifndef KIPC_TEST_API_ONLY
#include "internal.h"
#endif

#define T_MS		20000	/* per-call limit: a hang fails, never stalls */
#define POOL_SIZE	(2U << 20)

static uint8_t *pool;

static void pool_init(void)
{
	uint64_t s = 0x9E3779B97F4A7C15ULL, v;
	size_t i;

	if (pool)
		return;
	pool = malloc(POOL_SIZE);
	CHECK(pool);
	for (i = 0; i < POOL_SIZE; i += 8) {
		v = rnd_next(&s);
		memcpy(pool + i, &v, 8);
	}
}

/* Message number @i of a stream: its length in [lo, hi] and its bytes. */
struct msgspec {
	uint32_t len;
	const uint8_t *data;
};

static struct msgspec msg_of(uint64_t *s, uint32_t lo, uint32_t hi)
{
	struct msgspec m;
	uint64_t r = rnd_next(s);

	m.len = lo + (uint32_t)(r % (hi - lo + 1));
	m.data = pool + (rnd_next(s) % (POOL_SIZE - m.len));
	return m;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void check_transport(struct kipc_conn *c)
{
	int want = env_transport();

	if (!want)
		want = have_dev() ? KIPC_TRANSPORT_DEV : KIPC_TRANSPORT_SHM;
	CHECK_EQ(kipc_transport(c), want);
}

static void send_ok(struct kipc_conn *c, const void *b, size_t len)
{
	CHECK_EQ(kipc_send_timeout(c, b, len, 0, T_MS), (long)len);
}

static void recv_is(struct kipc_conn *c, const void *want, size_t len)
{
	static uint8_t buf[1 << 20];
	ssize_t n = kipc_recv_timeout(c, buf, sizeof(buf), 0, T_MS);

	CHECK_EQ(n, (long)len);
	CHECK(!memcmp(buf, want, len));
}

static void recv_eos(struct kipc_conn *c)
{
	char buf[16];

	CHECK_EQ(kipc_recv_timeout(c, buf, sizeof(buf), 0, T_MS), 0);
}

static bool dev_client(void)
{
	int t = env_transport();

	return t == KIPC_TRANSPORT_DEV || (!t && have_dev());
}

/* ------------------------------------------------------------------ */
/* Growth: callers of older layouts, feature negotiation               */

/* struct kipc_opts as the 1.0 header has it, copied here: a caller built
 * against that header must keep working with every later library.
 */
struct kipc_opts_1_0 {
	size_t size;
	unsigned int flags;
	unsigned int transport;
	uint32_t ring_bytes;
	uint32_t mode;
	int backlog;
	int wait_policy;
	unsigned int spin_ns;
	int timeout_ms;
};

static void t_opts_1_0(void)
{
	struct kipc_opts_1_0 o = { .size = sizeof(o) };
	struct pair p;

	CHECK_EQ(sizeof(o), 40);
	o.transport = (unsigned int)env_transport();
	o.ring_bytes = 8192;
	o.timeout_ms = T_MS;
	pair_open(&p, (const struct kipc_opts *)&o, (const struct kipc_opts *)&o);
	/* ring_bytes came through: 8 KiB rings carry at most 4088 bytes. */
	if (ring_transport(p.c))
		CHECK_EQ(kipc_msg_max(p.c), 8192 / 2 - 8);
	send_ok(p.c, "1.0", 3);
	recv_is(p.s, "1.0", 3);
	pair_close(&p);
}

/* A struct that ends early (libbpf's OPTS_GET): what it lacks is default. */
static void t_opts_short(void)
{
	struct kipc_listener *l;
	struct kipc_opts o;
	struct pair p;

	opts_init(&o);
	o.ring_bytes = 8192;	/* beyond the size below: not read */
	o.size = offsetof(struct kipc_opts, ring_bytes);
	pair_open(&p, &o, &o);
	if (ring_transport(p.c))
		CHECK(kipc_msg_max(p.c) > 8192 / 2);	/* the default ring */
	send_ok(p.c, "short", 5);
	recv_is(p.s, "short", 5);
	pair_close(&p);
	/* Only the size itself is required. */
	o.size = sizeof(o.size);
	CHECK_OK(kipc_listen(new_name(), &o, &l));
	kipc_listener_close(l);
	o.size = 4;
	CHECK_EQ(kipc_listen(new_name(), &o, &l), -EINVAL);
}

#define KIPC_PARAM_MASK	"/sys/module/kipc/parameters/feature_mask"

static int write_mask(const char *val)
{
	FILE *f = fopen(KIPC_PARAM_MASK, "we");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(val, f) < 0)
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/*
 * The driver plays an older one without KIPC_F_POLL_NEED (its test hook
 * feature_mask): forced onto dev the library fails with -EPROTONOSUPPORT
 * and a message naming the feature; automatic, it falls back to the
 * socket transports. Needs the driver and root (the VM).
 */
static void missing_feature_child(void *a)
{
	struct kipc_listener *l;
	struct kipc_conn *c;
	struct kipc_opts o;
	struct pair p;
	int ret;

	(void)a;
	opts_init(&o);
	o.transport = KIPC_TRANSPORT_DEV;
	ret = kipc_listen(new_name(), &o, &l);
	CHECK_EQ(ret, -EPROTONOSUPPORT);
	CHECK(strstr(kipc_strerror(ret), "KIPC_F_POLL_NEED"));
	CHECK_EQ(kipc_connect(new_name(), &o, &c), -EPROTONOSUPPORT);

	o.transport = KIPC_TRANSPORT_AUTO;
	unsetenv("KIPC_TRANSPORT");
	pair_open(&p, &o, &o);
	CHECK(kipc_transport(p.c) != KIPC_TRANSPORT_DEV);
	send_ok(p.c, "fb", 2);
	recv_is(p.s, "fb", 2);
	pair_close(&p);
}

/* Run @child against a driver that hides feature @bit (feature_mask). */
static void with_feature_hidden(uint64_t bit, void (*child)(void *))
{
	char mask[32];
	int ret;

	if (!have_dev() || access(KIPC_PARAM_MASK, W_OK))
		skip("needs /dev/kipc and a writable " KIPC_PARAM_MASK);
	if (env_transport() && env_transport() != KIPC_TRANSPORT_DEV)
		skip("a dev test: run with KIPC_TRANSPORT=dev or unset");
	snprintf(mask, sizeof(mask), "%llu", (unsigned long long)~bit);
	CHECK_OK(write_mask(mask));
	/* In a child, so that the mask is restored whatever it does. */
	ret = reap(spawn(child, NULL), T_MS);
	CHECK_OK(write_mask("18446744073709551615"));
	CHECK_EQ(ret, 0);
}

static void t_dev_missing_feature(void)
{
	with_feature_hidden(KIPC_F_POLL_NEED, missing_feature_child);
}


/* ------------------------------------------------------------------ */
/* The connector's cap on the rings it pays for (issue 8, items 2, 11)  */

struct accept_loop {
	struct kipc_listener *l;
	int stop;		/* atomic */
	int accepted;
};

static void *accept_loop_thread(void *a)
{
	struct accept_loop *al = a;
	struct kipc_conn *c;

	while (!__atomic_load_n(&al->stop, __ATOMIC_ACQUIRE)) {
		if (kipc_accept_timeout(al->l, &c, 0, 50) == 0) {
			al->accepted++;
			kipc_close(c);
		}
	}
	return NULL;
}

/* A listener's rings above the connector's max_ring_bytes: -EMSGSIZE on
 * every transport; at or below it the connection is made.
 */
static void t_ring_cap(void)
{
	struct accept_loop al = { 0 };
	struct kipc_opts lo, co;
	struct kipc_conn *c;
	struct pair p;
	pthread_t t;
	const char *n = new_name();

	opts_init(&lo);
	opts_init(&co);
	lo.ring_bytes = 64U << 10;
	lo.timeout_ms = co.timeout_ms = T_MS;
	CHECK_OK(kipc_listen(n, &lo, &al.l));
	pthread_create(&t, NULL, accept_loop_thread, &al);
	co.max_ring_bytes = 16U << 10;
	CHECK_EQ(kipc_connect(n, &co, &c), -EMSGSIZE);
	co.max_ring_bytes = (64U << 10) - 1;
	CHECK_EQ(kipc_connect(n, &co, &c), -EMSGSIZE);
	__atomic_store_n(&al.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CHECK_EQ(al.accepted, 0);
	kipc_listener_close(al.l);

	co.max_ring_bytes = 64U << 10;
	pair_open(&p, &lo, &co);
	send_ok(p.c, "cap", 3);
	recv_is(p.s, "cap", 3);
	pair_close(&p);
}

/*
 * The driver plays one without KIPC_F_RING_CAP: the library connects,
 * sees the rings and hands the connection back, -EMSGSIZE still; nothing
 * stays charged (the next connect within the cap works).
 */
static void ring_cap_old_driver_child(void *a)
{
	struct accept_loop al = { 0 };
	struct kipc_opts lo, co;
	struct kipc_conn *c;
	const char *n = new_name();

	(void)a;
	opts_init(&lo);
	opts_init(&co);
	lo.transport = co.transport = KIPC_TRANSPORT_DEV;
	lo.ring_bytes = 64U << 10;
	CHECK_OK(kipc_listen(n, &lo, &al.l));
	co.max_ring_bytes = 16U << 10;
	CHECK_EQ(kipc_connect(n, &co, &c), -EMSGSIZE);
	co.max_ring_bytes = 64U << 10;
	CHECK_OK(kipc_connect(n, &co, &c));	/* queued, never accepted */
	kipc_close(c);
	kipc_listener_close(al.l);
}

static void t_ring_cap_old_driver(void)
{
	with_feature_hidden(KIPC_F_RING_CAP, ring_cap_old_driver_child);
}

/* ------------------------------------------------------------------ */

static void t_basic(void)
{
	struct pair p;
	pid_t pid;
	uid_t uid;
	gid_t gid;

	pair_open(&p, NULL, NULL);
	check_transport(p.c);
	check_transport(p.s);
	CHECK(kipc_transport_name(kipc_transport(p.c)));
	CHECK(!kipc_transport_name(99));
	send_ok(p.c, "hello", 5);
	recv_is(p.s, "hello", 5);
	send_ok(p.s, "world!", 6);
	recv_is(p.c, "world!", 6);
	CHECK_OK(kipc_peer_cred(p.c, &pid, &uid, &gid));
	CHECK_EQ(pid, getpid());
	CHECK_EQ(uid, geteuid());
	CHECK_EQ(gid, getegid());
	CHECK_OK(kipc_peer_cred(p.s, &pid, NULL, NULL));
	CHECK_EQ(pid, getpid());
	CHECK(kipc_msg_max(p.c) >= 4096 / 2 - 8);
	CHECK(kipc_fd(p.c) >= 0);
	CHECK(kipc_listener_fd(p.l) >= 0);
	pair_close(&p);
}

struct name_arg {
	char name[64];
	long n;
	int mode;
	uint32_t ring;
};

static void peer_cred_child(void *a)
{
	struct name_arg *na = a;
	struct kipc_conn *c = connect_retry(na->name, NULL, T_MS);
	pid_t pid, me = getpid();

	CHECK_OK(kipc_peer_cred(c, &pid, NULL, NULL));
	CHECK_EQ(pid, getppid());
	send_ok(c, &me, sizeof(me));
	recv_eos(c);
	kipc_close(c);
}

static void t_peer_cred(void)
{
	struct kipc_listener *l;
	struct name_arg na;
	struct kipc_conn *s;
	pid_t child, pid;
	uid_t uid;
	gid_t gid;

	snprintf(na.name, sizeof(na.name), "%s", new_name());
	CHECK_OK(kipc_listen(na.name, NULL, &l));
	child = spawn(peer_cred_child, &na);
	s = accept_one(l, T_MS);
	CHECK_OK(kipc_peer_cred(s, &pid, &uid, &gid));
	CHECK_EQ(pid, child);
	CHECK_EQ(uid, geteuid());
	CHECK_EQ(gid, getegid());
	recv_is(s, &child, sizeof(child));
	kipc_close(s);
	kipc_listener_close(l);
	CHECK_EQ(reap(child, T_MS), 0);
}

/*
 * Names are per network namespace on every transport (the driver's as the
 * abstract sockets): a client in another one gets -ENOENT, and can bind
 * the same name there for itself.
 */
static void netns_child(void *a)
{
	struct kipc_listener *l, *l2;
	struct name_arg *na = a;
	struct kipc_conn *c;

	CHECK_OK(unshare(CLONE_NEWNET) ? -errno : 0);
	CHECK_EQ(kipc_connect(na->name, NULL, &c), -ENOENT);
	CHECK_OK(kipc_listen(na->name, NULL, &l));
	CHECK_EQ(kipc_listen(na->name, NULL, &l2), -EADDRINUSE);	/* ours now */
	kipc_listener_close(l);
}

static void t_netns_names(void)
{
	struct kipc_listener *l;
	struct kipc_conn *s;
	struct name_arg na;

	if (geteuid())
		skip("needs root for a network namespace");
	snprintf(na.name, sizeof(na.name), "%s", new_name());
	CHECK_OK(kipc_listen(na.name, NULL, &l));
	CHECK_EQ(reap(spawn(netns_child, &na), T_MS), 0);
	/* Nothing of the child's came here. */
	CHECK_EQ(kipc_accept_timeout(l, &s, 0, 0), -ETIMEDOUT);
	kipc_listener_close(l);
}

static unsigned int overflow_id(const char *path)
{
	unsigned int v = 65534;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 65534;
		fclose(f);
	}
	return v;
}

/*
 * A client in a user namespace that maps nobody: it sees the root server
 * as the overflow ids, the server sees it as root, on every transport
 * (SO_PEERCRED translates them on shm and uds, the driver on dev).
 */
static void userns_child(void *a)
{
	unsigned int ouid = overflow_id("/proc/sys/kernel/overflowuid");
	unsigned int ogid = overflow_id("/proc/sys/kernel/overflowgid");
	struct name_arg *na = a;
	struct kipc_conn *c;
	pid_t pid;
	uid_t uid;
	gid_t gid;

	CHECK_OK(unshare(CLONE_NEWUSER) ? -errno : 0);
	c = connect_retry(na->name, NULL, T_MS);
	CHECK_OK(kipc_peer_cred(c, &pid, &uid, &gid));
	CHECK_EQ(pid, getppid());
	CHECK_EQ(uid, ouid);
	CHECK_EQ(gid, ogid);
	send_ok(c, "u", 1);
	recv_eos(c);
	kipc_close(c);
}

static void t_peer_cred_userns(void)
{
	struct kipc_listener *l;
	struct name_arg na;
	struct kipc_conn *s;
	pid_t child, pid;
	uid_t uid;
	gid_t gid;

	if (geteuid())
		skip("needs root for the ids to translate");
	snprintf(na.name, sizeof(na.name), "%s", new_name());
	CHECK_OK(kipc_listen(na.name, NULL, &l));
	child = spawn(userns_child, &na);
	s = accept_one(l, T_MS);
	CHECK_OK(kipc_peer_cred(s, &pid, &uid, &gid));
	CHECK_EQ(pid, child);
	CHECK_EQ(uid, 0);
	CHECK_EQ(gid, 0);
	recv_is(s, "u", 1);
	kipc_close(s);
	kipc_listener_close(l);
	CHECK_EQ(reap(child, T_MS), 0);
}

/* Every length from 1 B up, plus the edges up to the largest, in order. */
static void t_order_boundaries(void)
{
	static uint32_t lens[4096];
	static uint8_t buf[1 << 20];
	size_t head = 0, tail = 0, i, nl = 0;
	struct pair p;
	uint32_t max, extra[] = { 511, 512, 513, 1023, 1024, 4095, 4096, 4097 };
	ssize_t n;

	pool_init();
	pair_open(&p, NULL, NULL);
	max = (uint32_t)kipc_msg_max(p.c);
	for (i = 1; i <= 300; i++)
		lens[nl++] = (uint32_t)i;
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (extra[i] <= max)
			lens[nl++] = extra[i];
	lens[nl++] = max - 1;
	lens[nl++] = max;
	lens[nl++] = 7;
	/* Message k carries pool[k ...]: content tells boundaries and order. */
	while (tail < nl) {
		while (head < nl) {
			n = kipc_send(p.c, pool + head, lens[head], KIPC_NONBLOCK);
			if (n == -EAGAIN)
				break;
			CHECK_EQ(n, (long)lens[head]);
			head++;
		}
		CHECK(tail < head);
		while (tail < head) {
			n = kipc_recv_timeout(p.s, buf, sizeof(buf), 0, T_MS);
			CHECK_EQ(n, (long)lens[tail]);
			CHECK(!memcmp(buf, pool + tail, lens[tail]));
			tail++;
		}
	}
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	pair_close(&p);
}

static void t_bad_args(void)
{
	struct { struct kipc_opts o; char tail[16]; } big;
	struct kipc_listener *l;
	struct kipc_conn *c;
	struct kipc_opts o;
	const void *cp;
	struct pair p;
	char name[80];
	void *vp;

	CHECK_EQ(kipc_listen(NULL, NULL, &l), -EINVAL);
	CHECK_EQ(kipc_listen("", NULL, &l), -EINVAL);
	CHECK_EQ(kipc_listen("a b", NULL, &l), -EINVAL);
	CHECK_EQ(kipc_listen("a\x7f", NULL, &l), -EINVAL);
	CHECK_EQ(kipc_listen("ok", NULL, NULL), -EINVAL);
	memset(name, 'x', 64);
	name[64] = 0;
	CHECK_EQ(kipc_listen(name, NULL, &l), -EINVAL);
	CHECK_EQ(kipc_connect(name, NULL, &c), -EINVAL);
	CHECK_EQ(kipc_connect("", NULL, &c), -EINVAL);
	snprintf(name, 64, "%s", new_name());	/* 63 bytes: the longest */
	memset(name + strlen(name), 'y', 63 - strlen(name));
	name[63] = 0;
	CHECK_OK(kipc_listen(name, NULL, &l));
	kipc_listener_close(l);

	opts_init(&o);
	o.size = 0;
	CHECK_EQ(kipc_listen(new_name(), &o, &l), -EINVAL);
	o.size = sizeof(o.size) - 1;
	CHECK_EQ(kipc_listen(new_name(), &o, &l), -EINVAL);
#define BAD_OPT(field, val) do {					\
		opts_init(&o);						\
		o.field = val;						\
		CHECK_EQ(kipc_listen(new_name(), &o, &l), -EINVAL);	\
		CHECK_EQ(kipc_connect(new_name(), &o, &c), -EINVAL);	\
	} while (0)
	BAD_OPT(flags, 1);
	BAD_OPT(transport, 9);
	BAD_OPT(ring_bytes, 5000);
	BAD_OPT(ring_bytes, 2048);
	BAD_OPT(mode, 01000);
	BAD_OPT(backlog, -1);
	BAD_OPT(wait_policy, 7);
	BAD_OPT(timeout_ms, -1);
	memset(&big, 0, sizeof(big));
	big.o.size = sizeof(big);
	CHECK_OK(kipc_listen(new_name(), &big.o, &l));
	kipc_listener_close(l);
	big.tail[3] = 1;
	CHECK_EQ(kipc_listen(new_name(), &big.o, &l), -E2BIG);

	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_send(NULL, "x", 1, 0), -EINVAL);
	CHECK_EQ(kipc_send(p.c, NULL, 1, 0), -EINVAL);
	CHECK_EQ(kipc_send(p.c, "x", 0, 0), -EINVAL);
	CHECK_EQ(kipc_send(p.c, "x", 1, 0x100), -EINVAL);
	CHECK_EQ(kipc_recv(p.s, name, sizeof(name), KIPC_MORE), -EINVAL);
	CHECK_EQ(kipc_recv(p.s, NULL, 10, 0), -EINVAL);
	CHECK_EQ(kipc_recv(NULL, name, 10, 0), -EINVAL);
	CHECK_EQ(kipc_peek(p.s, NULL, 0), -EINVAL);
	CHECK_EQ(kipc_peek(p.s, &cp, KIPC_MORE), -EINVAL);
	CHECK_EQ(kipc_release(p.s), -EINVAL);
	CHECK_EQ(kipc_commit(p.c, 1, 0), -EINVAL);
	CHECK_EQ(kipc_reserve(p.c, 0, &vp, 0), -EINVAL);
	CHECK_EQ(kipc_reserve(p.c, 1, NULL, 0), -EINVAL);
	CHECK_EQ(kipc_reserve(p.c, 1, &vp, KIPC_MORE), -EINVAL);
	CHECK_EQ(kipc_flush(p.c, KIPC_NONBLOCK), -EINVAL);
	CHECK_EQ(kipc_set_wait(p.c, 9, 0), -EINVAL);
	CHECK_EQ(kipc_set_wait(NULL, 0, 0), -EINVAL);
	CHECK_EQ(kipc_fd(NULL), -EINVAL);
	CHECK_EQ(kipc_peer_cred(NULL, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(kipc_transport(NULL), -EINVAL);
	CHECK_EQ(kipc_msg_max(NULL), -EINVAL);
	CHECK_EQ(kipc_accept(p.l, NULL, 0), -EINVAL);
	CHECK_EQ(kipc_accept(p.l, &c, 0x10), -EINVAL);
	CHECK_EQ(kipc_listener_fd(NULL), -EINVAL);
	CHECK_EQ(kipc_prep_poll(NULL, p.c, POLLIN), -EINVAL);
	CHECK_EQ(kipc_prep_kick(NULL, p.c), -EINVAL);
	CHECK(kipc_strerror(-EBADMSG) && kipc_strerror(12345));
	kipc_close(NULL);
	kipc_listener_close(NULL);
	/* Still fine after all that. */
	send_ok(p.c, "z", 1);
	recv_is(p.s, "z", 1);
	pair_close(&p);

	setenv("KIPC_TRANSPORT", "bogus", 1);
	CHECK_EQ(kipc_listen(new_name(), NULL, &l), -EINVAL);
	CHECK_EQ(kipc_connect(new_name(), NULL, &c), -EINVAL);
}

static void t_env_transport(void)
{
	struct kipc_opts o;
	struct pair p;

	setenv("KIPC_TRANSPORT", "uds", 1);
	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_transport(p.c), KIPC_TRANSPORT_UDS);
	pair_close(&p);
	setenv("KIPC_TRANSPORT", "shm", 1);
	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_transport(p.c), KIPC_TRANSPORT_SHM);
	pair_close(&p);
	/* The option wins over the environment. */
	setenv("KIPC_TRANSPORT", "uds", 1);
	opts_init(&o);
	o.transport = KIPC_TRANSPORT_SHM;
	pair_open(&p, &o, &o);
	CHECK_EQ(kipc_transport(p.c), KIPC_TRANSPORT_SHM);
	pair_close(&p);
	setenv("KIPC_TRANSPORT", "auto", 1);
	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_transport(p.c), have_dev() ? KIPC_TRANSPORT_DEV :
						    KIPC_TRANSPORT_SHM);
	pair_close(&p);
}

static void t_noent(void)
{
	struct kipc_conn *c;

	CHECK_EQ(kipc_connect(new_name(), NULL, &c), -ENOENT);
}

static void t_addrinuse(void)
{
	struct kipc_listener *a, *b;
	const char *n = new_name();

	CHECK_OK(kipc_listen(n, NULL, &a));
	CHECK_EQ(kipc_listen(n, NULL, &b), -EADDRINUSE);
	kipc_listener_close(a);
	CHECK_OK(kipc_listen(n, NULL, &b));	/* the name died with it */
	kipc_listener_close(b);
}

static void t_msgsize(void)
{
	static uint8_t buf[1 << 20];
	const void *q;
	struct pair p;
	ssize_t max;

	pool_init();
	pair_open(&p, NULL, NULL);
	max = kipc_msg_max(p.c);
	CHECK(max > 0);
	CHECK_EQ(kipc_send(p.c, pool, (size_t)max + 1, 0), -EMSGSIZE);
	CHECK_EQ(kipc_send(p.c, pool, SIZE_MAX, 0), -EMSGSIZE);
	CHECK_EQ(kipc_reserve(p.c, (size_t)max + 1, (void **)&q, 0), -EMSGSIZE);
	send_ok(p.c, pool, (size_t)max);	/* the largest fits an empty ring */
	CHECK_EQ(kipc_recv(p.s, buf, (size_t)max - 1, 0), -EMSGSIZE);
	CHECK_EQ(kipc_recv(p.s, buf, 1, 0), -EMSGSIZE);
	CHECK_EQ(kipc_peek(p.s, &q, 0), max);	/* still there */
	CHECK(!memcmp(q, pool, (size_t)max));
	CHECK_EQ(kipc_recv(p.s, buf, (size_t)max, 0), max);
	CHECK(!memcmp(buf, pool, (size_t)max));

	send_ok(p.c, pool + 1, 100);
	send_ok(p.c, pool + 2, 10);
	CHECK_EQ(kipc_recv(p.s, buf, 50, 0), -EMSGSIZE);
	CHECK_EQ(kipc_recv(p.s, buf, 200, 0), 100);
	CHECK(!memcmp(buf, pool + 1, 100));
	CHECK_EQ(kipc_recv(p.s, buf, 10, 0), 10);
	CHECK(!memcmp(buf, pool + 2, 10));
	pair_close(&p);
}

static void t_full_ring(void)
{
	uint8_t buf[64];
	uint64_t sent = 0, got = 0, seq;
	struct pair p;
	int64_t t0;
	ssize_t n;
	int tries;

	pair_open(&p, NULL, NULL);
	for (;;) {
		memcpy(buf, &sent, 8);
		n = kipc_send(p.c, buf, 64, KIPC_NONBLOCK);
		if (n != 64)
			break;
		CHECK(++sent < 10000000);
	}
	CHECK_EQ(n, -EAGAIN);
	if (ring_transport(p.c))	/* 64 KiB ring, 72 B records */
		CHECK(sent >= 65536 / 72 - 1 && sent <= 65536 / 72);
	CHECK_EQ(kipc_send_timeout(p.c, buf, 64, 0, 0), -ETIMEDOUT);
	t0 = now_ns();
	CHECK_EQ(kipc_send_timeout(p.c, buf, 64, 0, 50), -ETIMEDOUT);
	CHECK(now_ns() - t0 >= 45000000);
	if (ring_transport(p.c))
		CHECK_EQ(kipc_reserve_timeout(p.c, 64, (void **)&n, 0, 20),
			 -ETIMEDOUT);
	/* Room comes back as the receiver takes messages. */
	for (tries = 0;; tries++) {
		CHECK(tries < 4);
		CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), 0), 64);
		memcpy(&seq, buf, 8);
		CHECK_EQ(seq, got);
		got++;
		memcpy(buf, &sent, 8);
		if (kipc_send(p.c, buf, 64, KIPC_NONBLOCK) == 64)
			break;
	}
	sent++;
	while (got < sent) {
		CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), 64);
		memcpy(&seq, buf, 8);
		CHECK_EQ(seq, got);
		got++;
	}
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	pair_close(&p);
}

static void t_empty_ring(void)
{
	const void *q;
	struct pair p;
	char buf[8];
	int64_t t0;

	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	CHECK_EQ(kipc_peek(p.s, &q, KIPC_NONBLOCK), -EAGAIN);
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 0), -ETIMEDOUT);
	t0 = now_ns();
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 50), -ETIMEDOUT);
	CHECK(now_ns() - t0 >= 45000000 && now_ns() - t0 < 2000000000);
	CHECK_EQ(kipc_peek_timeout(p.c, &q, 0, 30), -ETIMEDOUT);
	CHECK_EQ(kipc_accept(p.l, &p.c, KIPC_NONBLOCK), -EAGAIN);
	t0 = now_ns();
	CHECK_EQ(kipc_accept_timeout(p.l, &p.c, 0, 30), -ETIMEDOUT);
	CHECK(now_ns() - t0 >= 25000000);
	/* Each wait policy times out the same way. */
	CHECK_OK(kipc_set_wait(p.s, KIPC_WAIT_SPIN, 0));
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 20), -ETIMEDOUT);
	CHECK_OK(kipc_set_wait(p.s, KIPC_WAIT_SLEEP, 0));
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 20), -ETIMEDOUT);
	send_ok(p.c, "a", 1);
	recv_is(p.s, "a", 1);
	pair_close(&p);
}

static void t_zero_copy(void)
{
	const void *q, *q2;
	uint8_t buf[256];
	struct pair p;
	void *w;
	int i;

	pool_init();
	pair_open(&p, NULL, NULL);
	CHECK_OK(kipc_reserve(p.c, 100, &w, 0));
	memcpy(w, pool, 100);
	CHECK_OK(kipc_commit(p.c, 100, 0));
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, T_MS), 100);
	CHECK(!memcmp(q, pool, 100));
	CHECK_EQ(kipc_peek(p.s, &q2, 0), 100);	/* the same one again */
	CHECK(q == q2);
	CHECK_OK(kipc_release(p.s));
	CHECK_EQ(kipc_release(p.s), -EINVAL);

	/* Commit less than reserved. */
	CHECK_OK(kipc_reserve(p.c, 1000, &w, 0));
	memcpy(w, pool + 5, 10);
	CHECK_OK(kipc_commit(p.c, 10, 0));
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, T_MS), 10);
	CHECK(!memcmp(q, pool + 5, 10));
	/* recv after peek takes the same message. */
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), 0), 10);
	CHECK(!memcmp(buf, pool + 5, 10));

	/* Cancel, and commit past the reservation. */
	CHECK_OK(kipc_reserve(p.c, 50, &w, 0));
	CHECK_OK(kipc_commit(p.c, 0, 0));
	CHECK_EQ(kipc_commit(p.c, 0, 0), -EINVAL);
	CHECK_OK(kipc_reserve(p.c, 10, &w, 0));
	CHECK_EQ(kipc_commit(p.c, 11, 0), -EINVAL);
	memcpy(w, pool + 7, 10);
	CHECK_OK(kipc_commit(p.c, 10, 0));
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, T_MS), 10);
	CHECK(!memcmp(buf, pool + 7, 10));
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);

	/* Several commits, one publication. */
	for (i = 0; i < 3; i++) {
		CHECK_OK(kipc_reserve(p.c, 20, &w, 0));
		memcpy(w, pool + 100 + i, 20);
		CHECK_OK(kipc_commit(p.c, 20, KIPC_MORE));
	}
	CHECK_EQ(kipc_send(p.c, pool + 200, 30, KIPC_MORE), 30);
	if (ring_transport(p.c))
		CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK),
			 -EAGAIN);
	CHECK_OK(kipc_flush(p.c, 0));
	for (i = 0; i < 3; i++) {
		CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, T_MS), 20);
		CHECK(!memcmp(buf, pool + 100 + i, 20));
	}
	recv_is(p.s, pool + 200, 30);

	/* KIPC_NOKICK publishes; flush says whether a doorbell is owed. */
	CHECK_EQ(kipc_send(p.c, "nk", 2, KIPC_NOKICK), 2);
	recv_is(p.s, "nk", 2);
	i = kipc_flush(p.c, KIPC_NOKICK);
	CHECK(i == 0 || i == 1);
	CHECK_OK(kipc_flush(p.c, 0));

	/* The largest message in place. */
	CHECK_OK(kipc_reserve(p.c, (size_t)kipc_msg_max(p.c), &w, 0));
	memcpy(w, pool, (size_t)kipc_msg_max(p.c));
	CHECK_OK(kipc_commit(p.c, (size_t)kipc_msg_max(p.c), 0));
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, T_MS), kipc_msg_max(p.c));
	CHECK(!memcmp(q, pool, (size_t)kipc_msg_max(p.c)));
	CHECK_OK(kipc_release(p.s));
	pair_close(&p);
}

/* The sender of t_eos and the pipe it waits on until it is accepted (on
 * dev a client gone before ACCEPT takes its connection with it).
 */
struct eos_arg {
	struct name_arg na;
	int accepted;
};

static void eos_child(void *a)
{
	struct eos_arg *ea = a;
	struct name_arg *na = &ea->na;
	struct kipc_conn *c = connect_retry(na->name, NULL, T_MS);
	struct pollfd pf = { .fd = ea->accepted, .events = POLLIN };
	long i;

	for (i = 0; i < na->n; i++)
		CHECK_EQ(kipc_send_timeout(c, &i, sizeof(i),
					   i >= na->n - 3 ? KIPC_MORE : 0, T_MS),
			 (long)sizeof(i));
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	/* The last three are only committed: close publishes them. */
	kipc_close(c);
}

static void t_eos(void)
{
	struct kipc_listener *l;
	struct eos_arg ea = { .na = { .n = 100 } };
	struct name_arg *na = &ea.na;
	struct kipc_conn *s;
	const void *q;
	long i, v;
	pid_t child;
	int k, accepted[2];

	CHECK_OK(pipe2(accepted, O_CLOEXEC));
	ea.accepted = accepted[0];
	snprintf(na->name, sizeof(na->name), "%s", new_name());
	CHECK_OK(kipc_listen(na->name, NULL, &l));
	child = spawn(eos_child, &ea);
	s = accept_one(l, T_MS);
	CHECK_EQ(write(accepted[1], "a", 1), 1);
	CHECK_EQ(reap(child, T_MS), 0);		/* gone before we read */
	close(accepted[0]);
	close(accepted[1]);
	for (i = 0; i < na->n; i++) {
		CHECK_EQ(kipc_recv_timeout(s, &v, sizeof(v), 0, T_MS),
			 (long)sizeof(v));
		CHECK_EQ(v, i);
	}
	recv_eos(s);
	recv_eos(s);
	CHECK_EQ(kipc_peek_timeout(s, &q, 0, T_MS), 0);
	CHECK_EQ(kipc_recv(s, &v, sizeof(v), KIPC_NONBLOCK), 0);
	for (k = 0; k < 100000; k++) {
		v = kipc_send(s, &k, sizeof(k), KIPC_NONBLOCK);
		if (v == -EPIPE)
			break;
		CHECK_EQ(v, (long)sizeof(k));
	}
	CHECK_EQ(v, -EPIPE);
	kipc_close(s);
	kipc_listener_close(l);
}

/* Issue 8, item 10: a uds peer's zero-length message is a protocol
 * violation, not an end-of-stream while the peer lives.
 */
static void t_uds_empty_message(void)
{
	char buf[16];
	struct pair p;

	pair_open(&p, NULL, NULL);
	if (kipc_transport(p.c) != KIPC_TRANSPORT_UDS) {
		pair_close(&p);
		skip("a uds test: run with KIPC_TRANSPORT=uds");
	}
	CHECK_EQ(send(kipc_fd(p.c), "", 0, MSG_NOSIGNAL), 0);
	CHECK_EQ(kipc_send(p.c, "hello", 5, 0), 5);
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, T_MS), -EBADMSG);
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, T_MS), -EBADMSG);
	pair_close(&p);
}

/* Sending to a closed peer: -EPIPE, and no SIGPIPE (the harness left
 * SIGPIPE at its default, fatal disposition).
 */
static void t_epipe(void)
{
	uint8_t buf[512] = { 0 };
	struct pair p;
	ssize_t n = 0;
	long k;

	pair_open(&p, NULL, NULL);
	kipc_close(p.s);
	p.s = NULL;
	for (k = 0; k < 1000000; k++) {
		n = kipc_send_timeout(p.c, buf, sizeof(buf), 0, T_MS);
		if (n != (ssize_t)sizeof(buf))
			break;
	}
	CHECK_EQ(n, -EPIPE);
	CHECK_EQ(kipc_send(p.c, buf, 1, 0), -EPIPE);
	CHECK_EQ(kipc_reserve(p.c, 1, (void **)&n, 0), -EPIPE);
	recv_eos(p.c);
	pair_close(&p);
}

struct delayed {
	struct kipc_conn *c;
	int ms;
	int what;	/* 0 send one message, 1 drain, 2 close */
};

static void *delayed_thread(void *a)
{
	struct delayed *d = a;
	uint8_t buf[65536];

	sleep_ms(d->ms);
	if (d->what == 0)
		CHECK_EQ(kipc_send(d->c, "ping", 4, 0), 4);
	else if (d->what == 1)
		while (kipc_recv(d->c, buf, sizeof(buf), KIPC_NONBLOCK) > 0)
			;
	else
		kipc_close(d->c);
	return NULL;
}

static void t_poll(void)
{
	struct delayed d = { .ms = 30 };
	struct pollfd pf;
	struct epoll_event ev;
	struct pair p;
	pthread_t t;
	char buf[16];
	int ep;

	pair_open(&p, NULL, NULL);
	pf.fd = kipc_fd(p.s);
	pf.events = (short)kipc_poll_events(p.s, POLLIN);
	CHECK(pf.fd >= 0);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	CHECK_EQ(poll(&pf, 1, 0), 0);
	d.c = p.c;
	pthread_create(&t, NULL, delayed_thread, &d);
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	pthread_join(t, NULL);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), 4);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	CHECK_EQ(poll(&pf, 1, 0), 0);	/* the level was reset */

	ep = epoll_create1(0);
	ev.events = (uint32_t)pf.events;
	ev.data.u64 = 1;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, pf.fd, &ev));
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	pthread_create(&t, NULL, delayed_thread, &d);
	CHECK_EQ(epoll_wait(ep, &ev, 1, T_MS), 1);
	pthread_join(t, NULL);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), 4);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);

	/* Hang-up makes it ready too, and recv then says end-of-stream. */
	d.what = 2;
	pthread_create(&t, NULL, delayed_thread, &d);
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	pthread_join(t, NULL);
	p.c = NULL;
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), 0);
	close(ep);
	pair_close(&p);
}

static void t_poll_out(void)
{
	struct delayed d = { .ms = 30, .what = 1 };
	uint8_t buf[64] = { 0 };
	struct pollfd pf;
	struct pair p;
	pthread_t t;

	pair_open(&p, NULL, NULL);
	pf.fd = kipc_fd(p.c);
	pf.events = (short)kipc_poll_events(p.c, POLLOUT);
	while (kipc_send(p.c, buf, sizeof(buf), KIPC_NONBLOCK) == sizeof(buf))
		;
	CHECK_EQ(kipc_send(p.c, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	CHECK_EQ(poll(&pf, 1, 0), 0);
	d.c = p.s;
	pthread_create(&t, NULL, delayed_thread, &d);
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	pthread_join(t, NULL);
	CHECK_EQ(kipc_send(p.c, buf, sizeof(buf), KIPC_NONBLOCK), 64);
	pair_close(&p);
}

static void listener_child(void *a)
{
	struct name_arg *na = a;
	struct kipc_conn *c = connect_retry(na->name, NULL, T_MS);

	send_ok(c, "hi", 2);
	recv_eos(c);
	kipc_close(c);
}

static void t_listener_fd(void)
{
	struct kipc_listener *l;
	struct kipc_conn *s = NULL;
	struct name_arg na;
	struct pollfd pf;
	pid_t child;
	int ret, i;

	snprintf(na.name, sizeof(na.name), "%s", new_name());
	CHECK_OK(kipc_listen(na.name, NULL, &l));
	pf.fd = kipc_listener_fd(l);
	pf.events = POLLIN;
	CHECK_EQ(poll(&pf, 1, 0), 0);
	CHECK_EQ(kipc_accept(l, &s, KIPC_NONBLOCK), -EAGAIN);
	child = spawn(listener_child, &na);
	/* A handshake step may make it readable without a connection yet. */
	for (i = 0;; i++) {
		CHECK(i < 100);
		CHECK_EQ(poll(&pf, 1, T_MS), 1);
		ret = kipc_accept(l, &s, KIPC_NONBLOCK);
		if (!ret)
			break;
		CHECK_EQ(ret, -EAGAIN);
	}
	recv_is(s, "hi", 2);
	kipc_close(s);
	CHECK_EQ(reap(child, T_MS), 0);
	kipc_listener_close(l);
}

static void t_uring(void)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct __kernel_timespec ts = { .tv_sec = 20 };
	struct __kernel_timespec zero = { 0 };
	struct io_uring ring;
	struct pair p;
	char buf[16];
	int ret;

	ret = io_uring_queue_init(8, &ring, 0);
	if (ret)
		skip("io_uring unavailable: %s", strerror(-ret));
	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK), -EAGAIN);
	sqe = io_uring_get_sqe(&ring);
	CHECK_OK(kipc_prep_poll(sqe, p.s, POLLIN));
	io_uring_sqe_set_data64(sqe, 7);
	CHECK_EQ(io_uring_submit(&ring), 1);
	CHECK(io_uring_wait_cqe_timeout(&ring, &cqe, &zero) < 0);
	send_ok(p.c, "uring", 5);
	CHECK_OK(io_uring_wait_cqe_timeout(&ring, &cqe, &ts));
	CHECK_EQ(cqe->user_data, 7);
	CHECK(cqe->res > 0 && (cqe->res & POLLIN));
	io_uring_cqe_seen(&ring, cqe);
	recv_is(p.s, "uring", 5);

	sqe = io_uring_get_sqe(&ring);
	ret = kipc_prep_kick(sqe, p.c);
	if (kipc_transport(p.c) == KIPC_TRANSPORT_DEV) {
		CHECK_OK(ret);
		io_uring_sqe_set_data64(sqe, 8);
		CHECK_EQ(io_uring_submit(&ring), 1);
		CHECK_OK(io_uring_wait_cqe_timeout(&ring, &cqe, &ts));
		CHECK_EQ(cqe->user_data, 8);
		CHECK_EQ(cqe->res, 0);
		io_uring_cqe_seen(&ring, cqe);
	} else {
		CHECK_EQ(ret, -EOPNOTSUPP);
		io_uring_prep_nop(sqe);
		CHECK_EQ(io_uring_submit(&ring), 1);
		CHECK_OK(io_uring_wait_cqe_timeout(&ring, &cqe, &ts));
		io_uring_cqe_seen(&ring, cqe);
	}
	pair_close(&p);
	io_uring_queue_exit(&ring);
}

/* A doorbell withheld by KIPC_NOKICK and rung through io_uring (dev) or
 * kipc_flush(): the sleeping receiver wakes either way.
 */
struct sleeper {
	struct kipc_conn *c;
	ssize_t n;
};

static void *sleeper_thread(void *a)
{
	struct sleeper *s = a;
	char buf[16];

	s->n = kipc_recv_timeout(s->c, buf, sizeof(buf), 0, T_MS);
	return NULL;
}

static void t_nokick(void)
{
	struct __kernel_timespec ts = { .tv_sec = 20 };
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	struct sleeper sl;
	struct kipc_opts o;
	struct pair p;
	pthread_t t;
	int owed, round;

	opts_init(&o);
	o.wait_policy = KIPC_WAIT_SLEEP;
	pair_open(&p, &o, &o);
	if (!ring_transport(p.c))
		skip("uds has no doorbell");
	CHECK_OK(io_uring_queue_init(4, &ring, 0));
	for (round = 0; round < 2; round++) {
		sl.c = p.s;
		pthread_create(&t, NULL, sleeper_thread, &sl);
		sleep_ms(50);	/* let it fall asleep (not needed for correctness) */
		CHECK_EQ(kipc_send(p.c, "x", 1, KIPC_NOKICK), 1);
		owed = kipc_flush(p.c, KIPC_NOKICK);
		CHECK(owed == 0 || owed == 1);
		if (owed && round == 0 &&
		    kipc_transport(p.c) == KIPC_TRANSPORT_DEV) {
			CHECK_OK(kipc_prep_kick(io_uring_get_sqe(&ring), p.c));
			CHECK_EQ(io_uring_submit(&ring), 1);
			CHECK_OK(io_uring_wait_cqe_timeout(&ring, &cqe, &ts));
			CHECK_EQ(cqe->res, 0);
			io_uring_cqe_seen(&ring, cqe);
		} else if (owed) {
			CHECK_EQ(kipc_send(p.c, "y", 1, KIPC_NOKICK), 1);
			CHECK_OK(kipc_flush(p.c, 0));	/* rings the owed kick */
		}
		pthread_join(t, NULL);
		CHECK_EQ(sl.n, 1);
		while (kipc_recv(p.s, &sl, 1, KIPC_NONBLOCK) > 0)
			;
	}
	io_uring_queue_exit(&ring);
	pair_close(&p);
}

/* kipc_flush(c, KIPC_NOKICK) says a doorbell is owed; kipc_flush(c, 0)
 * must then ring it, with nothing new sent in between.
 */
struct sleeper_ms {
	struct kipc_conn *c;
	int ms;
	ssize_t n;
	int64_t took;
};

static void *sleeper_ms_thread(void *a)
{
	struct sleeper_ms *s = a;
	int64_t t0 = now_ns();
	char buf[16];

	s->n = kipc_recv_timeout(s->c, buf, sizeof(buf), 0, s->ms);
	s->took = now_ns() - t0;
	return NULL;
}

static void t_nokick_flush(void)
{
	struct sleeper_ms sl = { .ms = 5000 };
	struct kipc_opts o;
	struct pair p;
	pthread_t t;
	int owed, round, hits = 0;
	char c;

	opts_init(&o);
	o.wait_policy = KIPC_WAIT_SLEEP;
	pair_open(&p, &o, &o);
	if (!ring_transport(p.c))
		skip("uds has no doorbell");
	/* The receiver has to be asleep when we publish: retry until it was. */
	for (round = 0; round < 20 && hits < 2; round++) {
		sl.c = p.s;
		pthread_create(&t, NULL, sleeper_ms_thread, &sl);
		sleep_ms(50);
		CHECK_EQ(kipc_send(p.c, "x", 1, KIPC_NOKICK), 1);
		owed = kipc_flush(p.c, KIPC_NOKICK);
		CHECK(owed == 0 || owed == 1);
		if (owed) {
			hits++;
			CHECK_OK(kipc_flush(p.c, 0));	/* rings the owed kick */
		}
		pthread_join(t, NULL);
		/* A lost doorbell is a wait to the limit (a poll() may return
		 * a little before it, and the recv then finds the message).
		 */
		if (sl.n != 1 || sl.took > 2500000000LL)
			FAIL("round %d (owed %d): sleeping recv %zd (%s) after "
			     "%.2f s", round, owed, sl.n, strerror((int)-sl.n),
			     sl.took / 1e9);
		CHECK_EQ(kipc_recv(p.s, &c, 1, KIPC_NONBLOCK), -EAGAIN);
	}
	CHECK(hits > 0);
	pair_close(&p);
}

/* Messages sent with KIPC_NOKICK fill the ring while the receiver sleeps:
 * the sender, about to wait for room, must pay the doorbell it owes, or
 * both sleep for good.
 */
struct counting_rx {
	struct kipc_conn *c;
	long got;
	ssize_t last;
};

static void *counting_rx_thread(void *a)
{
	struct counting_rx *cr = a;
	uint64_t v;
	ssize_t n;

	for (;;) {
		n = kipc_recv_timeout(cr->c, &v, sizeof(v), 0, 10000);
		if (n != sizeof(v) || v == UINT64_MAX)
			break;
		if (v != (uint64_t)cr->got)
			FAIL("message %ld: got %llu", cr->got,
			     (unsigned long long)v);
		cr->got++;
	}
	cr->last = n;
	return NULL;
}

static void t_nokick_full(void)
{
	struct counting_rx cr = { 0 };
	struct kipc_opts o;
	struct pair p;
	pthread_t t;
	uint64_t v = 0;
	int64_t t0;
	ssize_t n;

	opts_init(&o);
	o.wait_policy = KIPC_WAIT_SLEEP;
	o.ring_bytes = 4096;
	pair_open(&p, &o, &o);
	if (!ring_transport(p.c))
		skip("uds has no doorbell");
	cr.c = p.s;
	pthread_create(&t, NULL, counting_rx_thread, &cr);
	sleep_ms(50);
	for (;;) {
		n = kipc_send(p.c, &v, sizeof(v), KIPC_NOKICK | KIPC_NONBLOCK);
		if (n != sizeof(v))
			break;
		CHECK(++v < 10000000);
	}
	CHECK_EQ(n, -EAGAIN);
	/* Blocking now: the receiver must get its doorbell at once. */
	t0 = now_ns();
	n = kipc_send_timeout(p.c, &v, sizeof(v), KIPC_NOKICK, 5000);
	if (n != sizeof(v) || now_ns() - t0 > 2500000000LL)
		FAIL("blocking send after %llu NOKICK messages: %zd (%s) "
		     "after %.2f s", (unsigned long long)v, n,
		     strerror((int)-n), (now_ns() - t0) / 1e9);
	v++;
	n = kipc_send_timeout(p.c, &(uint64_t){ UINT64_MAX }, sizeof(v), 0,
			      T_MS);
	CHECK_EQ(n, (long)sizeof(v));
	pthread_join(t, NULL);
	CHECK_EQ(cr.last, (long)sizeof(v));
	CHECK_EQ(cr.got, (long)v);
	pair_close(&p);
}

/* A timeout of 0 never waits: -ETIMEDOUT at once, or what is there. */
static void t_zero_timeouts(void)
{
	struct kipc_conn *c2 = NULL;
	uint8_t buf[64] = { 0 };
	const void *q;
	struct pair p;
	void *w;
	int64_t t0 = now_ns();

	pair_open(&p, NULL, NULL);
	CHECK_EQ(kipc_accept_timeout(p.l, &c2, 0, 0), -ETIMEDOUT);
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 0), -ETIMEDOUT);
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, 0), -ETIMEDOUT);
	while (kipc_send(p.c, buf, sizeof(buf), KIPC_NONBLOCK) == sizeof(buf))
		;
	CHECK_EQ(kipc_send_timeout(p.c, buf, sizeof(buf), 0, 0), -ETIMEDOUT);
	if (ring_transport(p.c))
		CHECK_EQ(kipc_reserve_timeout(p.c, sizeof(buf), &w, 0, 0),
			 -ETIMEDOUT);
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, 0), (long)sizeof(buf));
	CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 0),
		 (long)sizeof(buf));
	CHECK(now_ns() - t0 < 2000000000);
	pair_close(&p);
}

/* The peer sends, then closes without reading what we sent it: we still
 * get every message it sent, then end-of-stream (uds: ECONNRESET is not
 * the end).
 */
static void t_eos_unread(void)
{
	const void *q;
	struct pair p;

	pair_open(&p, NULL, NULL);
	send_ok(p.c, "a", 1);
	send_ok(p.c, "bb", 2);
	send_ok(p.s, "x", 1);	/* never read by p.c */
	kipc_close(p.c);
	p.c = NULL;
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, T_MS), 1);
	CHECK(!memcmp(q, "a", 1));
	CHECK_OK(kipc_release(p.s));
	recv_is(p.s, "bb", 2);
	recv_eos(p.s);
	recv_eos(p.s);
	CHECK_EQ(kipc_peek_timeout(p.s, &q, 0, T_MS), 0);

	/* The same with recv first. */
	pair_open(&p, NULL, NULL);
	send_ok(p.s, "cc", 2);
	send_ok(p.s, "d", 1);
	send_ok(p.c, "y", 1);	/* never read by p.s */
	kipc_close(p.s);
	p.s = NULL;
	recv_is(p.c, "cc", 2);
	recv_is(p.c, "d", 1);
	recv_eos(p.c);
	pair_close(&p);
}

/* A raw client of the listener's socket (the abstract "\0kipc.<name>"). */
static int sock_knock(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, len;

	len = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "kipc.%s", name);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK_OK(connect(fd, (struct sockaddr *)&a,
			 (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				     1 + (size_t)len)));
	return fd;
}

struct cross_arg {
	char name[64];
	int transport;
};

static void cross_child(void *a);

/* Backlog 1: client b's arrival drops pending client a, whose message is
 * in the same batch of listener events: accept must not touch a again.
 */
static void t_accept_backlog(void)
{
	struct pollfd pf = { .events = POLLIN };
	struct kipc_listener *l;
	struct kipc_conn *s = NULL;
	struct cross_arg ca;
	struct kipc_opts o;
	char buf[256];
	pid_t child;
	ssize_t n;
	int a, b;

	opts_init(&o);
	o.transport = env_transport() == KIPC_TRANSPORT_UDS ?
		KIPC_TRANSPORT_UDS : KIPC_TRANSPORT_SHM;
	o.backlog = 1;
	snprintf(ca.name, sizeof(ca.name), "%s", new_name());
	CHECK_OK(kipc_listen(ca.name, &o, &l));
	a = sock_knock(ca.name);
	CHECK_EQ(kipc_accept(l, &s, KIPC_NONBLOCK), -EAGAIN);	/* a: OFFER */
	pf.fd = a;
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	CHECK(recv(a, buf, sizeof(buf), 0) > 0);
	b = sock_knock(ca.name);
	CHECK_EQ(send(a, "x", 1, MSG_NOSIGNAL), 1);	/* after b knocked */
	/* One batch: [socket (b: a is dropped), a's message]. */
	CHECK_EQ(kipc_accept(l, &s, KIPC_NONBLOCK), -EAGAIN);
	n = recv(a, buf, sizeof(buf), MSG_DONTWAIT);	/* a was dropped */
	CHECK(n == 0 || (n < 0 && errno == ECONNRESET));
	pf.fd = b;
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	CHECK(recv(b, buf, sizeof(buf), 0) > 0);	/* b got its OFFER */
	close(a);
	close(b);
	/* And the listener still works. */
	ca.transport = (int)o.transport;
	child = spawn(cross_child, &ca);
	s = accept_one(l, T_MS);
	recv_is(s, "cross", 5);
	send_ok(s, "over", 4);
	CHECK_EQ(reap(child, T_MS), 0);
	kipc_close(s);
	kipc_listener_close(l);
}

/*
 * Consumed room goes back in batches. Two single-threaded peers (a thread
 * per end here), each sending a message that needs the room the other
 * has consumed but not handed back, then receiving: a sender must hand
 * its own back before it waits, or both wait in send for good.
 * Ring 4096 (batch 512): 19 records of 112 bytes leave 448 consumed bytes
 * unreleased (tail 1680, head 2128); a largest message (span 2048) then
 * has to wrap and needs 4016 bytes, with only 3648 free.
 */
struct tail_peer {
	struct kipc_conn *c;
	pthread_barrier_t *bar;
	ssize_t n, got;
};

static void tail_setup_tx(struct kipc_conn *c)
{
	int i;

	for (i = 0; i < 19; i++)
		CHECK_EQ(kipc_send(c, pool + i, 100, 0), 100);
}

static void tail_setup_rx(struct kipc_conn *c)
{
	uint8_t buf[128];
	int i;

	for (i = 0; i < 19; i++) {
		CHECK_EQ(kipc_recv(c, buf, sizeof(buf), KIPC_NONBLOCK), 100);
		CHECK(!memcmp(buf, pool + i, 100));
	}
}

static void *tail_peer_thread(void *a)
{
	static __thread uint8_t buf[4096];
	struct tail_peer *tp = a;

	tail_setup_tx(tp->c);
	pthread_barrier_wait(tp->bar);	/* both rings hold 19 records */
	tail_setup_rx(tp->c);
	tp->n = kipc_send_timeout(tp->c, pool, 2040, 0, 3000);
	if (tp->n == 2040) {
		tp->got = kipc_recv_timeout(tp->c, buf, sizeof(buf), 0, 3000);
		if (tp->got == 2040 && memcmp(buf, pool, 2040))
			tp->got = -EILSEQ;	/* content differs */
	}
	return NULL;
}

static void t_tail_release(void)
{
	pthread_barrier_t bar;
	struct tail_peer tp[2];
	struct kipc_opts o;
	struct pair p;
	pthread_t t[2];
	int policy, i;

	pool_init();
	pthread_barrier_init(&bar, NULL, 2);
	for (policy = KIPC_WAIT_SPIN_SLEEP; policy <= KIPC_WAIT_SLEEP; policy++) {
		opts_init(&o);
		o.ring_bytes = 4096;
		o.wait_policy = policy;
		pair_open(&p, &o, &o);
		if (!ring_transport(p.c)) {
			pair_close(&p);
			skip("uds has no rings");
		}
		CHECK_EQ(kipc_msg_max(p.c), 2040);
		tp[0] = (struct tail_peer){ p.c, &bar, 0, 0 };
		tp[1] = (struct tail_peer){ p.s, &bar, 0, 0 };
		for (i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, tail_peer_thread, &tp[i]);
		for (i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		for (i = 0; i < 2; i++)
			if (tp[i].n != 2040 || tp[i].got != 2040)
				FAIL("policy %d, %s: send %zd (%s), recv %zd "
				     "(%s)", policy, i ? "server" : "client",
				     tp[i].n, strerror((int)-tp[i].n),
				     tp[i].got, strerror((int)-tp[i].got));
		pair_close(&p);
	}
	pthread_barrier_destroy(&bar);
}

/* The same state, one direction, busy-polling: the receiver spins on an
 * empty ring while the sender spins for room the receiver holds.
 */
struct spin_rx {
	struct kipc_conn *c;
	ssize_t n;
};

static void *spin_rx_thread(void *a)
{
	struct spin_rx *sr = a;
	static uint8_t buf[4096];

	sr->n = kipc_recv_timeout(sr->c, buf, sizeof(buf), 0, 3000);
	if (sr->n == 2040 && memcmp(buf, pool, 2040))
		sr->n = -EBADMSG;
	return NULL;
}

static void t_spin_tail_release(void)
{
	struct kipc_opts o;
	struct spin_rx sr;
	struct pair p;
	pthread_t t;
	ssize_t n;

	pool_init();
	opts_init(&o);
	o.ring_bytes = 4096;
	o.wait_policy = KIPC_WAIT_SPIN;
	pair_open(&p, &o, &o);
	if (!ring_transport(p.c))
		skip("uds has no rings");
	CHECK_EQ(kipc_msg_max(p.c), 2040);
	tail_setup_tx(p.c);
	tail_setup_rx(p.s);
	sr.c = p.s;
	pthread_create(&t, NULL, spin_rx_thread, &sr);
	n = kipc_send_timeout(p.c, pool, 2040, 0, 3000);
	pthread_join(t, NULL);
	if (n != 2040 || sr.n != 2040)
		FAIL("send %zd (%s), recv %zd (%s)", n, strerror((int)-n),
		     sr.n, strerror((int)-sr.n));
	pair_close(&p);
}

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

/* One sending and one receiving thread on each end, no lock. */
struct dir_arg {
	struct kipc_conn *c;
	long n;
	uint64_t seed;
};

static void *dir_sender(void *a)
{
	struct dir_arg *d = a;
	uint64_t s = d->seed;
	struct msgspec m;
	void *w;
	long i;

	for (i = 0; i < d->n; i++) {
		m = msg_of(&s, 1, 600);
		if (i & 1) {
			CHECK_EQ(kipc_send_timeout(d->c, m.data, m.len, 0, T_MS),
				 (long)m.len);
		} else {
			CHECK_OK(kipc_reserve_timeout(d->c, m.len, &w, 0, T_MS));
			memcpy(w, m.data, m.len);
			CHECK_OK(kipc_commit(d->c, m.len, 0));
		}
	}
	return NULL;
}

static void *dir_receiver(void *a)
{
	struct dir_arg *d = a;
	uint64_t s = d->seed;
	struct msgspec m;
	uint8_t buf[600];
	const void *q;
	ssize_t n;
	long i;

	for (i = 0; i < d->n; i++) {
		m = msg_of(&s, 1, 600);
		if (i & 1) {
			n = kipc_recv_timeout(d->c, buf, sizeof(buf), 0, T_MS);
			CHECK_EQ(n, (long)m.len);
			CHECK(!memcmp(buf, m.data, m.len));
		} else {
			n = kipc_peek_timeout(d->c, &q, 0, T_MS);
			CHECK_EQ(n, (long)m.len);
			CHECK(!memcmp(q, m.data, m.len));
			CHECK_OK(kipc_release(d->c));
		}
	}
	return NULL;
}

static void t_threads(void)
{
	struct dir_arg d[4];
	struct kipc_opts o;
	struct pair p;
	pthread_t t[4];
	int policy, i;

	pool_init();
	for (policy = KIPC_WAIT_SPIN_SLEEP; policy <= KIPC_WAIT_SLEEP; policy += 2) {
		opts_init(&o);
		o.ring_bytes = 4096;
		o.wait_policy = policy;
		o.spin_ns = 2000;
		pair_open(&p, &o, &o);
		d[0] = (struct dir_arg){ p.c, 100000, 1 };
		d[1] = (struct dir_arg){ p.s, 100000, 1 };
		d[2] = (struct dir_arg){ p.s, 100000, 2 };
		d[3] = (struct dir_arg){ p.c, 100000, 2 };
		pthread_create(&t[0], NULL, dir_sender, &d[0]);
		pthread_create(&t[1], NULL, dir_receiver, &d[1]);
		pthread_create(&t[2], NULL, dir_sender, &d[2]);
		pthread_create(&t[3], NULL, dir_receiver, &d[3]);
		for (i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		pair_close(&p);
	}
}

/* ------------------------------------------------------------------ */
/* Streams, checked byte for byte against the sender's generator        */

static void stream_sender(void *a)
{
	struct name_arg *na = a;
	struct kipc_opts o;
	struct kipc_conn *c;
	uint64_t s = 12345;
	uint32_t lo = 1, hi = 4096, max;
	struct msgspec m;
	void *w;
	long i;

	opts_init(&o);
	c = connect_retry(na->name, &o, T_MS);
	pin_cpu(1);
	max = (uint32_t)kipc_msg_max(c);
	if (na->mode) {		/* big: 4 KiB up to the largest */
		lo = 4096;
		hi = max;
		send_ok(c, &max, sizeof(max));
	}
	for (i = 0; i < na->n; i++) {
		m = msg_of(&s, lo, hi);
		switch (i & 3) {
		case 0:
			CHECK_EQ(kipc_send_timeout(c, m.data, m.len, 0, T_MS),
				 (long)m.len);
			break;
		case 1:		/* batched: published by the next plain send */
			CHECK_EQ(kipc_send_timeout(c, m.data, m.len, KIPC_MORE,
						   T_MS), (long)m.len);
			break;
		case 2:
			CHECK_OK(kipc_reserve_timeout(c, m.len, &w, 0, T_MS));
			memcpy(w, m.data, m.len);
			CHECK_OK(kipc_commit(c, m.len, 0));
			break;
		default:	/* reserve more than needed, commit less */
			CHECK_OK(kipc_reserve_timeout(c, m.len + (m.len < max),
						      &w, 0, T_MS));
			memcpy(w, m.data, m.len);
			CHECK_OK(kipc_commit(c, m.len, 0));
			break;
		}
	}
	kipc_close(c);
}

static void stream(long n, int big)
{
	static uint8_t buf[1 << 20];
	struct name_arg na = { .n = n, .mode = big };
	struct kipc_listener *l;
	struct kipc_opts o;
	struct kipc_conn *s;
	uint64_t sd = 12345, bytes = 0;
	uint32_t lo = 1, hi = 4096, max;
	struct msgspec m;
	int64_t t0 = now_ns();
	const void *q;
	pid_t child;
	ssize_t r;
	long i;

	pool_init();
	snprintf(na.name, sizeof(na.name), "%s", new_name());
	opts_init(&o);
	if (big)
		o.ring_bytes = 1U << 20;
	CHECK_OK(kipc_listen(na.name, &o, &l));
	child = spawn(stream_sender, &na);
	s = accept_one(l, T_MS);
	pin_cpu(0);
	if (big) {
		CHECK_EQ(kipc_recv_timeout(s, &max, sizeof(max), 0, T_MS),
			 (long)sizeof(max));
		CHECK(max >= 4096 && max <= (1U << 19));
		lo = 4096;
		hi = max;
	}
	for (i = 0; i < n; i++) {
		m = msg_of(&sd, lo, hi);
		if (i % 3 == 2) {
			r = kipc_peek_timeout(s, &q, 0, T_MS);
			if (r != (ssize_t)m.len || memcmp(q, m.data, m.len))
				FAIL("message %ld: %zd bytes, want %u%s", i, r,
				     m.len, r == (ssize_t)m.len ?
				     " (content differs)" : "");
			CHECK_OK(kipc_release(s));
		} else {
			r = kipc_recv_timeout(s, buf, sizeof(buf), 0, T_MS);
			if (r != (ssize_t)m.len || memcmp(buf, m.data, m.len))
				FAIL("message %ld: %zd bytes, want %u%s", i, r,
				     m.len, r == (ssize_t)m.len ?
				     " (content differs)" : "");
		}
		bytes += m.len;
	}
	recv_eos(s);
	note("%ld messages, %.1f MB verified in %.2f s (%s)", n, bytes / 1e6,
	     (now_ns() - t0) / 1e9, kipc_transport_name(kipc_transport(s)));
	kipc_close(s);
	kipc_listener_close(l);
	CHECK_EQ(reap(child, T_MS), 0);
}

static void t_stream_random(void)
{
	stream(test_count(COUNT_MSGS), 0);
}

static void t_stream_big(void)
{
	stream(test_count(COUNT_BIG), 1);
}

/* ------------------------------------------------------------------ */
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

/* ------------------------------------------------------------------ */
/* SIGKILL at random moments                                           */

struct kill_arg {
	char name[64];
	int style;
	uint64_t seed;
};

static void killed_sender(void *a)
{
	struct kill_arg *ka = a;
	struct kipc_conn *c = connect_retry(ka->name, NULL, T_MS);
	uint8_t buf[4096];
	uint64_t i;

	memset(buf, 0xab, sizeof(buf));
	for (i = 0;; i++) {
		memcpy(buf, &i, 8);
		if (kipc_send(c, buf, 8 + i % 2000,
			      (i % 5 == 1) ? KIPC_MORE : 0) < 0)
			break;
		if (ka->style == 1 && !(i % 64))
			sleep_ms(1);	/* the survivor sleeps in recv */
		if (ka->style == 2)
			pause();	/* nothing at all */
	}
	_exit(3);
}

static void *killer_thread(void *a)
{
	struct kill_arg *ka = a;
	pid_t pid = (pid_t)(ka->seed & 0xfffff);

	sleep_ms((int)(rnd_next(&ka->seed) % 15));
	kill(pid, SIGKILL);
	return NULL;
}

static void t_sigkill_sender(void)
{
	long rounds = test_count(COUNT_KILLS), r;
	uint64_t seed = 99;
	uint8_t buf[4096];

	for (r = 0; r < rounds; r++) {
		struct kill_arg ka = { .style = (int)(r % 3) }, kk;
		struct kipc_listener *l;
		struct kipc_conn *s;
		uint64_t want = 0, v;
		pthread_t t;
		pid_t child;
		int64_t t0;
		ssize_t n;

		snprintf(ka.name, sizeof(ka.name), "%s", new_name());
		CHECK_OK(kipc_listen(ka.name, NULL, &l));
		child = spawn(killed_sender, &ka);
		s = accept_one(l, T_MS);
		kk = ka;
		kk.seed = (uint64_t)child ^ (rnd_next(&seed) << 20);
		pthread_create(&t, NULL, killer_thread, &kk);
		for (;;) {
			n = kipc_recv_timeout(s, buf, sizeof(buf), 0, T_MS);
			if (n <= 0)
				break;
			memcpy(&v, buf, 8);
			CHECK_EQ(v, want);	/* a prefix, in order */
			CHECK_EQ(n, (long)(8 + v % 2000));
			want++;
		}
		t0 = now_ns();
		CHECK_EQ(n, 0);		/* end-of-stream, never -ETIMEDOUT */
		pthread_join(t, NULL);
		recv_eos(s);
		CHECK(now_ns() - t0 < 1000000000);
		CHECK_EQ(kipc_send(s, buf, 8, 0), -EPIPE);
		kipc_close(s);
		kipc_listener_close(l);
		CHECK_EQ(reap(child, T_MS), 128 + SIGKILL);
	}
}

static void killed_receiver(void *a)
{
	struct kill_arg *ka = a;
	struct kipc_conn *c = connect_retry(ka->name, NULL, T_MS);
	uint8_t buf[4096];
	uint64_t i;

	for (i = 0;; i++) {
		if (kipc_recv(c, buf, sizeof(buf), 0) <= 0)
			break;
		if (ka->style == 1 && !(i % 16))
			sleep_ms(1);	/* the survivor waits for room */
		if (ka->style == 2)
			pause();
	}
	_exit(3);
}

static void t_sigkill_receiver(void)
{
	long rounds = test_count(COUNT_KILLS), r;
	uint8_t buf[3000];

	memset(buf, 0x5a, sizeof(buf));
	for (r = 0; r < rounds; r++) {
		struct kill_arg ka = { .style = (int)(r % 3) }, kk;
		struct kipc_listener *l;
		struct kipc_conn *s;
		pthread_t t;
		pid_t child;
		ssize_t n;
		long i;

		snprintf(ka.name, sizeof(ka.name), "%s", new_name());
		CHECK_OK(kipc_listen(ka.name, NULL, &l));
		child = spawn(killed_receiver, &ka);
		s = accept_one(l, T_MS);
		kk = ka;
		kk.seed = (uint64_t)child ^ ((uint64_t)r << 20);
		pthread_create(&t, NULL, killer_thread, &kk);
		for (i = 0;; i++) {
			n = kipc_send_timeout(s, buf, 1 + (size_t)i % sizeof(buf),
					      0, T_MS);
			if (n < 0)
				break;
		}
		CHECK_EQ(n, -EPIPE);	/* never -ETIMEDOUT */
		pthread_join(t, NULL);
		recv_eos(s);
		kipc_close(s);
		kipc_listener_close(l);
		CHECK_EQ(reap(child, T_MS), 128 + SIGKILL);
	}
}

static void handshake_victim(void *a)
{
	struct kill_arg *ka = a;
	struct kipc_conn *c;

	for (;;) {
		if (kipc_connect(ka->name, NULL, &c) == 0) {
			kipc_send(c, "x", 1, 0);
			kipc_close(c);
		}
	}
}

/* Clients killed in the middle of their handshake leave a healthy listener. */
static void t_sigkill_handshake(void)
{
	long rounds = test_count(COUNT_KILLS), r;
	struct kipc_listener *l;
	struct kill_arg ka;
	struct kipc_conn *s;
	uint64_t seed = 5;
	pid_t child;
	char buf[8];
	int ret;

	snprintf(ka.name, sizeof(ka.name), "%s", new_name());
	CHECK_OK(kipc_listen(ka.name, NULL, &l));
	for (r = 0; r < rounds; r++) {
		child = spawn(handshake_victim, &ka);
		sleep_ms((int)(rnd_next(&seed) % 3));
		while ((ret = kipc_accept_timeout(l, &s, 0, 2)) == 0) {
			ret = (int)kipc_recv_timeout(s, buf, sizeof(buf), 0, 200);
			CHECK(ret == 1 || ret == 0 || ret == -ETIMEDOUT);
			kipc_close(s);
			if (rnd_next(&seed) % 2)
				break;
		}
		kill(child, SIGKILL);
		CHECK_EQ(reap(child, T_MS), 128 + SIGKILL);
		/* Drain what the dead client left queued. */
		while (kipc_accept_timeout(l, &s, 0, 5) == 0) {
			ret = (int)kipc_recv_timeout(s, buf, sizeof(buf), 0, T_MS);
			CHECK(ret == 1 || ret == 0);
			kipc_close(s);
		}
	}
	child = spawn(listener_child, &ka);
	s = accept_one(l, T_MS);
	recv_is(s, "hi", 2);
	kipc_close(s);
	CHECK_EQ(reap(child, T_MS), 0);
	kipc_listener_close(l);
}

/* ------------------------------------------------------------------ */

static void t_fork_close(void)
{
	struct pair p;
	pid_t pid;
	int st;

	pair_open(&p, NULL, NULL);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		/* The child drops its references without touching rings. */
		kipc_close(p.c);
		kipc_close(p.s);
		kipc_listener_close(p.l);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && !WEXITSTATUS(st));
	send_ok(p.c, "after", 5);
	recv_is(p.s, "after", 5);
	send_ok(p.s, "fork", 4);
	recv_is(p.c, "fork", 4);
	pair_close(&p);
}

static void t_close_more(void)
{
	struct pair p;
	int i;

	pair_open(&p, NULL, NULL);
	for (i = 0; i < 3; i++)
		CHECK_EQ(kipc_send(p.c, &i, sizeof(i), KIPC_MORE), (long)sizeof(i));
	kipc_close(p.c);
	p.c = NULL;
	for (i = 0; i < 3; i++)
		recv_is(p.s, &i, sizeof(i));
	recv_eos(p.s);
	pair_close(&p);
}

static void t_connect_timeout(void)
{
	struct kipc_listener *l;
	struct kipc_opts o;
	struct kipc_conn *c;
	const char *n = new_name();
	int64_t t0;

	if (dev_client())
		skip("dev connects without the listener's help");
	CHECK_OK(kipc_listen(n, NULL, &l));
	opts_init(&o);
	o.timeout_ms = 200;
	t0 = now_ns();
	CHECK_EQ(kipc_connect(n, &o, &c), -ETIMEDOUT);
	CHECK(now_ns() - t0 >= 150000000 && now_ns() - t0 < 5000000000LL);
	kipc_listener_close(l);
	/* A listener that goes away refuses the waiting client. */
	CHECK_EQ(kipc_connect(n, &o, &c), -ENOENT);
}

struct perm_arg {
	char name[64];
	gid_t gid;
	int want;
};

static void perm_child(void *a)
{
	struct perm_arg *pa = a;
	struct kipc_opts o;
	struct kipc_conn *c;
	int ret;

	CHECK_OK(setgroups(0, NULL));
	CHECK_OK(setgid(pa->gid));
	CHECK_OK(setuid(65534));
	opts_init(&o);
	o.timeout_ms = T_MS;
	ret = kipc_connect(pa->name, &o, &c);
	if (ret != pa->want)
		FAIL("connect as 65534:%d: %d, want %d", (int)pa->gid, ret,
		     pa->want);
	if (!ret) {
		send_ok(c, "p", 1);
		/* On dev a client gone before ACCEPT takes its connection with
		 * it (kmod/README): stay until the server has read and closed.
		 */
		recv_eos(c);
		kipc_close(c);
	}
}

static void perm_case(uint32_t mode, gid_t gid, int want)
{
	struct perm_arg pa = { .gid = gid, .want = want };
	struct kipc_listener *l;
	struct kipc_opts o;
	struct kipc_conn *s;
	int accepted = 0, st = -1;
	pid_t child;

	snprintf(pa.name, sizeof(pa.name), "%s", new_name());
	opts_init(&o);
	o.mode = mode;
	CHECK_OK(kipc_listen(pa.name, &o, &l));
	child = spawn(perm_child, &pa);
	/* The socket listener decides inside accept: keep accepting. */
	while (waitpid(child, &st, WNOHANG) == 0) {
		if (kipc_accept_timeout(l, &s, 0, 20) == 0) {
			recv_is(s, "p", 1);
			kipc_close(s);
			accepted++;
		}
	}
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* dev queues the connection without us: pick it up now. */
	if (!want && !accepted && kipc_accept_timeout(l, &s, 0, T_MS) == 0) {
		recv_is(s, "p", 1);
		kipc_close(s);
		accepted++;
	}
	CHECK_EQ(accepted, want ? 0 : 1);
	kipc_listener_close(l);
}

static void t_permissions(void)
{
	if (geteuid())
		skip("needs root to switch users");
	perm_case(0600, 65534, -EACCES);	/* other: no bits */
	perm_case(0602, 65534, 0);		/* other: write */
	perm_case(0604, 65534, -EACCES);	/* read is not enough */
	perm_case(0620, getegid(), 0);		/* group: write */
	perm_case(0602, getegid(), -EACCES);	/* group class picked, no bits */
}

/* A listener with every transport serves a client forced to each. */

static void cross_child(void *a)
{
	struct cross_arg *ca = a;
	struct kipc_opts o;
	struct kipc_conn *c;

	opts_init(&o);
	o.transport = (unsigned int)ca->transport;
	c = connect_retry(ca->name, &o, T_MS);
	if (ca->transport)
		CHECK_EQ(kipc_transport(c), ca->transport);
	send_ok(c, "cross", 5);
	recv_is(c, "over", 4);
	kipc_close(c);
}

static void t_cross_transport(void)
{
	int ts[] = { KIPC_TRANSPORT_AUTO, KIPC_TRANSPORT_DEV,
		     KIPC_TRANSPORT_SHM, KIPC_TRANSPORT_UDS };
	struct kipc_listener *l;
	struct cross_arg ca;
	struct kipc_conn *s;
	pid_t child;
	size_t i;

	unsetenv("KIPC_TRANSPORT");
	snprintf(ca.name, sizeof(ca.name), "%s", new_name());
	CHECK_OK(kipc_listen(ca.name, NULL, &l));
	for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		if (ts[i] == KIPC_TRANSPORT_DEV && !have_dev())
			continue;
		ca.transport = ts[i];
		child = spawn(cross_child, &ca);
		s = accept_one(l, T_MS);
		CHECK_EQ(kipc_transport(s), ts[i] ? ts[i] : have_dev() ?
			 KIPC_TRANSPORT_DEV : KIPC_TRANSPORT_SHM);
		recv_is(s, "cross", 5);
		send_ok(s, "over", 4);
		CHECK_EQ(reap(child, T_MS), 0);
		kipc_close(s);
	}
	kipc_listener_close(l);
}

/* Nothing in the filesystem, /dev/shm or the socket table afterwards. */
static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static bool unix_name_present(const char *prefix)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/net/unix", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, prefix))
			found = true;
	fclose(f);
	return found;
}

static void selfpair_then_pause(void *a)
{
	struct pair p;

	(void)a;
	pair_open(&p, NULL, NULL);
	send_ok(p.c, "x", 1);
	pause();
}

static void t_no_leftovers(void)
{
	int shm_before = count_dir("/dev/shm");
	char prefix[64];
	struct pair p;
	pid_t child;
	int i;

	for (i = 0; i < 3; i++) {
		pair_open(&p, NULL, NULL);
		send_ok(p.c, "x", 1);
		recv_is(p.s, "x", 1);
		pair_close(&p);
	}
	snprintf(prefix, sizeof(prefix), "@kipc.kt.%d.", (int)getpid());
	CHECK(!unix_name_present(prefix));
	child = spawn(selfpair_then_pause, NULL);
	snprintf(prefix, sizeof(prefix), "@kipc.kt.%d.", (int)child);
	for (i = 0; i < 2000 && !unix_name_present(prefix); i++)
		sleep_ms(1);
	if (env_transport() != KIPC_TRANSPORT_DEV)
		CHECK(unix_name_present(prefix));
	kill(child, SIGKILL);
	CHECK_EQ(reap(child, T_MS), 128 + SIGKILL);
	for (i = 0; i < 2000 && unix_name_present(prefix); i++)
		sleep_ms(1);
	CHECK(!unix_name_present(prefix));
	CHECK_EQ(count_dir("/dev/shm"), shm_before);
}

#ifndef KIPC_TEST_API_ONLY
/* ------------------------------------------------------------------ */
/* Hostile peers (internal hooks: the static and ASan builds)          */

/* Scribble one random value somewhere the hostile side can write. */
static void scribble(struct kipc_conn *c, uint64_t *s)
{
	size_t len, page = (size_t)sysconf(_SC_PAGESIZE), off;
	uint8_t *m = kipc__test_map(c, &len);	/* dev, shm: the own pages */
	uint32_t v, cur;
	uint64_t r = rnd_next(s);

	switch (r % 8) {
	case 0:		/* our index page */
		off = rnd_next(s) % page;
		break;
	case 1: case 2: case 3:	/* the index lines */
		off = (rnd_next(s) % 2) * 128 + (rnd_next(s) % 2) * 4;
		break;
	default:	/* anywhere: records, data */
		off = rnd_next(s) % len;
		break;
	}
	off &= ~(size_t)3;
	if (off + 4 > len)
		return;
	cur = __atomic_load_n((uint32_t *)(m + off), __ATOMIC_RELAXED);
	switch ((r >> 8) % 8) {
	case 0:
		v = 0;
		break;
	case 1:
		v = 0xffffffffU;
		break;
	case 2:
		v = cur + 8 * (uint32_t)(rnd_next(s) % 64);
		break;
	case 3:
		v = cur - 8 * (uint32_t)(rnd_next(s) % 64);
		break;
	case 4:
		v = KIPC_REC_PAD | (uint32_t)(rnd_next(s) % 70000);
		break;
	case 5:
		v = (uint32_t)(rnd_next(s) % 70000);
		break;
	default:
		v = (uint32_t)rnd_next(s);
		break;
	}
	__atomic_store_n((uint32_t *)(m + off), v, __ATOMIC_RELAXED);
}

struct hostile_arg {
	char name[64];
	long rounds;
	int hostile_listens;
};

/* Scribble until @per_conn rounds or the victim hangs up; rounds done. */
static long hostile_ops(struct kipc_conn *c, uint64_t *s, long per_conn)
{
	struct pollfd pf = { .fd = c->fd, .events = POLLRDHUP };
	uint8_t buf[70000];
	int64_t until;
	long k;

	memset(buf, 0x11, sizeof(buf));
	for (k = 0; k < per_conn; k++) {
		if (!(k % 8) && poll(&pf, 1, 0) > 0 &&
		    (pf.revents & (POLLHUP | POLLRDHUP)))
			break;
		scribble(c, s);
		/* Give the victim time to trip over it. */
		until = now_ns() + (int64_t)(rnd_next(s) % 8000);
		while (now_ns() < until)
			;
		switch (rnd_next(s) % 6) {
		case 0:
			kipc_send(c, buf, 1 + rnd_next(s) % 2000, KIPC_NONBLOCK);
			break;
		case 1:
			kipc_recv(c, buf, sizeof(buf), KIPC_NONBLOCK);
			break;
		case 2:
			kipc_flush(c, 0);
			break;
		default:
			break;
		}
	}
	return k;
}

static void hostile_side(void *a)
{
	struct hostile_arg *ha = a;
	struct kipc_listener *l = NULL;
	struct kipc_conn *c;
	uint64_t s = 4242;
	long done = 0, per;

	if (ha->hostile_listens)
		CHECK_OK(kipc_listen(ha->name, NULL, &l));
	while (done < ha->rounds) {
		per = 1 + (long)(rnd_next(&s) % 3000);
		if (per > ha->rounds - done)
			per = ha->rounds - done;
		if (l) {
			if (kipc_accept_timeout(l, &c, 0, T_MS))
				FAIL("hostile accept");
		} else {
			c = connect_retry(ha->name, NULL, T_MS);
		}
		done += hostile_ops(c, &s, per);
		kipc_close(c);
	}
	kipc_listener_close(l);
}

/* The victim: every result is one of the documented ones, and once a
 * call said -EBADMSG the connection stays broken.
 */
static void victim_ops(struct kipc_conn *c, uint64_t *s, long *nbad,
		       long *nmsg)
{
	static uint8_t buf[1 << 20];
	const void *q;
	ssize_t n;
	long k;

	for (k = 0; k < 10000000; k++) {
		switch (rnd_next(s) % 5) {
		case 0:
			n = kipc_recv(c, buf, sizeof(buf), KIPC_NONBLOCK);
			CHECK(n >= 0 || n == -EAGAIN || n == -EBADMSG);
			*nmsg += n > 0;
			break;
		case 1:
			n = kipc_recv_timeout(c, buf, 1 + rnd_next(s) % 3000, 0, 1);
			CHECK(n >= 0 || n == -ETIMEDOUT || n == -EBADMSG ||
			      n == -EMSGSIZE);
			break;
		case 2:
			n = kipc_peek(c, &q, KIPC_NONBLOCK);
			CHECK(n >= 0 || n == -EAGAIN || n == -EBADMSG);
			if (n > 0) {
				CHECK(n <= kipc_msg_max(c) || !ring_transport(c));
				memcpy(buf, q, (size_t)n);
				CHECK_OK(kipc_release(c));
			}
			break;
		case 3:
			n = kipc_send(c, buf, 1 + rnd_next(s) % 3000, KIPC_NONBLOCK);
			CHECK(n > 0 || n == -EAGAIN || n == -EPIPE || n == -EBADMSG);
			break;
		default:
			n = kipc_send_timeout(c, buf, 1 + rnd_next(s) % 3000, 0, 1);
			CHECK(n > 0 || n == -ETIMEDOUT || n == -EPIPE ||
			      n == -EBADMSG);
			break;
		}
		if (n == -EBADMSG) {
			(*nbad)++;
			CHECK_EQ(kipc_recv(c, buf, sizeof(buf), KIPC_NONBLOCK),
				 -EBADMSG);
			CHECK_EQ(kipc_send(c, buf, 1, KIPC_NONBLOCK), -EBADMSG);
			return;
		}
		if (n == 0 || n == -EPIPE)
			return;
	}
}

static void hostile_run(long rounds, int hostile_listens)
{
	struct hostile_arg ha = { .rounds = rounds,
				  .hostile_listens = hostile_listens };
	struct kipc_listener *l = NULL;
	struct kipc_conn *c;
	long conns = 0, nbad = 0, nmsg = 0;
	uint64_t s = 777;
	pid_t child;
	int st = 0;

	snprintf(ha.name, sizeof(ha.name), "%s", new_name());
	if (!hostile_listens)
		CHECK_OK(kipc_listen(ha.name, NULL, &l));
	child = spawn(hostile_side, &ha);
	for (;;) {
		if (l) {
			if (kipc_accept_timeout(l, &c, 0, 20)) {
				if (waitpid(child, &st, WNOHANG) == child)
					break;
				continue;
			}
		} else {
			if (kipc_connect(ha.name, NULL, &c)) {
				if (waitpid(child, &st, WNOHANG) == child)
					break;
				sleep_ms(1);
				continue;
			}
		}
		conns++;
		victim_ops(c, &s, &nbad, &nmsg);
		kipc_close(c);
	}
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	note("%s hostile: %ld rounds over %ld connections: %ld broken "
	     "(-EBADMSG), %ld messages received", hostile_listens ? "server" :
	     "client", rounds, conns, nbad, nmsg);
	kipc_listener_close(l);
}

static void t_hostile_peer(void)
{
	long rounds = test_count(COUNT_HOSTILE);

	if (env_transport() == KIPC_TRANSPORT_UDS)
		skip("uds shares no memory");
	hostile_run(rounds / 2, 0);
	hostile_run(rounds - rounds / 2, 1);
}

/*
 * A hostile socket listener offers 1 GiB rings (item 11): a client capped
 * at 1 MiB refuses at the OFFER, before it makes or fills any memfd, and
 * hangs up without a SETUP.
 */
struct big_offer {
	char name[64];
	int ready[2];
};

static void big_offer_server(void *a)
{
	struct big_offer *bo = a;
	struct pollfd pf = { .events = POLLIN };
	struct sockaddr_un addr;
	struct kipc_wire w;
	socklen_t len;
	int lfd, fd;

	CHECK_OK(kipc__sock_addr(bo->name, &addr, &len));
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0);
	CHECK_OK(bind(lfd, (struct sockaddr *)&addr, len));
	CHECK_OK(listen(lfd, 4));
	CHECK_EQ(write(bo->ready[1], "r", 1), 1);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(fd >= 0);
	memset(&w, 0, sizeof(w));
	w.magic = KIPC_WIRE_MAGIC;
	w.version = KIPC_WIRE_VERSION;
	w.type = KIPC_WIRE_OFFER;
	w.transports = (1U << KIPC_TRANSPORT_SHM) | (1U << KIPC_TRANSPORT_UDS);
	w.ring_bytes[0] = w.ring_bytes[1] = 1U << 30;
	w.uds_max = KIPC_UDS_MSG_MAX;
	w.page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	w.caps = KIPC_WIRE_CAP_PAGE_ROLES;
	CHECK_EQ(send(fd, &w, sizeof(w), MSG_NOSIGNAL), (long)sizeof(w));
	pf.fd = fd;
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	/* Hang-up, no SETUP (and so no memfd) came. */
	CHECK_EQ(recv(fd, &w, sizeof(w), 0), 0);
	close(fd);
	close(lfd);
}

static void t_ring_cap_hostile_offer(void)
{
	struct big_offer bo;
	struct kipc_opts o;
	struct kipc_conn *c;
	char ch;
	pid_t pid;
	int t;

	for (t = KIPC_TRANSPORT_SHM; t <= KIPC_TRANSPORT_UDS; t++) {
		snprintf(bo.name, sizeof(bo.name), "%s", new_name());
		CHECK_OK(pipe(bo.ready));
		pid = spawn(big_offer_server, &bo);
		CHECK_EQ(read(bo.ready[0], &ch, 1), 1);
		opts_init(&o);
		o.transport = (unsigned int)t;
		o.timeout_ms = T_MS;
		o.max_ring_bytes = 1U << 20;
		CHECK_EQ(kipc_connect(bo.name, &o, &c), -EMSGSIZE);
		CHECK_EQ(reap(pid, T_MS), 0);
		close(bo.ready[0]);
		close(bo.ready[1]);
	}
}

/* Raw clients that break the shm handshake in every way: the listener
 * refuses each and stays healthy.
 */
static int raw_connect(const char *name, struct kipc_wire *offer)
{
	struct sockaddr_un a;
	struct pollfd pf;
	socklen_t len;
	int fd;

	CHECK_OK(kipc__sock_addr(name, &a, &len));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK_OK(connect(fd, (struct sockaddr *)&a, len));
	pf.fd = fd;
	pf.events = POLLIN;
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	CHECK_EQ(recv(fd, offer, sizeof(*offer), 0), (long)sizeof(*offer));
	CHECK_EQ(offer->type, KIPC_WIRE_OFFER);
	return fd;
}

static void raw_send(int fd, const void *msg, size_t len, const int *fds,
		     int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (nfds) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	CHECK_EQ(sendmsg(fd, &m, MSG_NOSIGNAL), (long)len);
}

/* The server's answer: REJECT or hang-up, never READY. */
static void raw_refused(int fd)
{
	struct kipc_wire w;
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	ssize_t n;

	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	n = recv(fd, &w, sizeof(w), 0);
	CHECK(n == 0 || (n == sizeof(w) && w.type == KIPC_WIRE_REJECT &&
			 w.status < 0));
	close(fd);
}

/* The server's answer: REJECT with @err. */
static void raw_rejected(int fd, int err)
{
	struct kipc_wire w;
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	CHECK_EQ(recv(fd, &w, sizeof(w), 0), (long)sizeof(w));
	CHECK_EQ(w.type, KIPC_WIRE_REJECT);
	CHECK_EQ(w.status, err);
	close(fd);
}

#define SHM_SEALS_ALL	(F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | \
			 F_SEAL_SEAL)

/* Side @side's memfd for the rings of @offer (its OWN view: index page,
 * then the data it sends), @size_delta bytes off, with @seals.
 */
static int raw_memfd(const struct kipc_wire *offer, int side, int seals,
		     int size_delta)
{
	size_t size = (size_t)sysconf(_SC_PAGESIZE) + offer->ring_bytes[side];
	int fd = memfd_create("raw", MFD_ALLOW_SEALING | MFD_CLOEXEC);

	CHECK(fd >= 0);
	CHECK_OK(ftruncate(fd, (off_t)size + size_delta));
	if (seals)
		CHECK_OK(fcntl(fd, F_ADD_SEALS, seals));
	return fd;
}

/* The 1.0 layout an older client sent: one memfd, header and both rings. */
static int raw_memfd_1_0(const struct kipc_wire *offer)
{
	uint32_t rb[2] = { offer->ring_bytes[0], offer->ring_bytes[1] };
	size_t size = kipc_layout_map_bytes((uint32_t)sysconf(_SC_PAGESIZE), rb);
	int fd = memfd_create("raw", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	struct kipc_shared_hdr *h;

	CHECK(fd >= 0);
	CHECK_OK(ftruncate(fd, (off_t)size));
	h = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(h != MAP_FAILED);
	kipc_layout_init(h, (uint32_t)sysconf(_SC_PAGESIZE), rb);
	munmap(h, 4096);
	CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));
	return fd;
}

static void raw_setup_init(struct kipc_wire *w)
{
	memset(w, 0, sizeof(*w));
	w->magic = KIPC_WIRE_MAGIC;
	w->version = KIPC_WIRE_VERSION;
	w->type = KIPC_WIRE_SETUP;
	w->transports = KIPC_TRANSPORT_SHM;
	w->caps = KIPC_WIRE_CAP_PAGE_ROLES;
}

static void raw_clients(void *a)
{
	const char *name = a;
	const int c = KIPC_SIDE_CLIENT;
	struct kipc_wire offer, w;
	int fd, fds[5], bell[2], view[2], pipefd[2], i;

	CHECK_OK(kipc__shm_bells(bell, view));
	CHECK_OK(pipe(pipefd));
	raw_setup_init(&w);
	for (i = 0; i < 12; i++) {
		fd = raw_connect(name, &offer);
		CHECK_EQ(offer.caps, KIPC_WIRE_CAP_PAGE_ROLES);
		fds[0] = -1;
		fds[1] = view[0];
		fds[2] = view[1];
		switch (i) {
		case 0:		/* not sealed */
			fds[0] = raw_memfd(&offer, c, 0, 0);
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EPERM);
			break;
		case 1:		/* sealed against growing only */
			fds[0] = raw_memfd(&offer, c, F_SEAL_GROW, 0);
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EPERM);
			break;
		case 2:		/* the 1.0 seals: writable by its maker */
			fds[0] = raw_memfd(&offer, c, F_SEAL_SHRINK |
					   F_SEAL_GROW | F_SEAL_SEAL, 0);
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EPERM);
			break;
		case 3:		/* wrong size: a page more, a page less */
			fds[0] = raw_memfd(&offer, c, SHM_SEALS_ALL, 4096);
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EBADMSG);
			close(fds[0]);
			fd = raw_connect(name, &offer);
			fds[0] = raw_memfd(&offer, c, SHM_SEALS_ALL, -4096);
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EBADMSG);
			break;
		case 4:		/* the server's side of the layout */
			offer.ring_bytes[c] *= 2;
			fds[0] = raw_memfd(&offer, c, SHM_SEALS_ALL, 0);
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EBADMSG);
			break;
		case 5:		/* a pipe for a doorbell */
			fds[0] = raw_memfd(&offer, c, SHM_SEALS_ALL, 0);
			fds[1] = pipefd[0];
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_refused(fd);
			break;
		case 6:		/* a pipe for the memory */
			fds[0] = pipefd[1];
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EPERM);
			fds[0] = -1;
			break;
		case 7:		/* too many fds */
			fds[0] = raw_memfd(&offer, c, SHM_SEALS_ALL, 0);
			fds[3] = fds[4] = pipefd[0];
			raw_send(fd, &w, sizeof(w), fds, 5);
			raw_refused(fd);
			break;
		case 8:		/* an older client: one memfd, no page roles */
			fds[0] = raw_memfd_1_0(&offer);
			w.caps = 0;
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EPROTONOSUPPORT);
			break;
		case 9:		/* a cap nobody has */
			fds[0] = raw_memfd(&offer, c, SHM_SEALS_ALL, 0);
			w.caps |= 1ULL << 63;
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EPROTONOSUPPORT);
			break;
		case 10:	/* garbage */
			raw_send(fd, "garbage!", 8, NULL, 0);
			raw_refused(fd);
			break;
		default:	/* uds with fds, an unknown transport */
			w.transports = KIPC_TRANSPORT_UDS;
			raw_send(fd, &w, sizeof(w), fds + 1, 2);
			raw_refused(fd);
			w.transports = 7;
			fd = raw_connect(name, &offer);
			raw_send(fd, &w, sizeof(w), NULL, 0);
			raw_refused(fd);
			break;
		}
		if (fds[0] >= 0)
			close(fds[0]);
		raw_setup_init(&w);
	}
	/* One that says nothing and goes away, then a good one. */
	fd = raw_connect(name, &offer);
	close(fd);
	{
		struct name_arg na;

		snprintf(na.name, sizeof(na.name), "%s", name);
		listener_child(&na);
	}
}

/* A shm listener for the raw-handshake tests, which talk the wire
 * protocol themselves: skipped on every other transport.
 */
static struct kipc_listener *shm_handshake_listener(char *name, size_t len)
{
	struct kipc_listener *l;
	struct kipc_opts o;

	if (env_transport() != KIPC_TRANSPORT_SHM)
		skip("a shm handshake test: run with KIPC_TRANSPORT=shm");
	opts_init(&o);
	o.transport = KIPC_TRANSPORT_SHM;
	snprintf(name, len, "%s", new_name());
	CHECK_OK(kipc_listen(name, &o, &l));
	return l;
}

static void t_handshake_hostile(void)
{
	struct kipc_listener *l;
	struct kipc_conn *s;
	char name[64];
	pid_t child;

	l = shm_handshake_listener(name, sizeof(name));
	child = spawn(raw_clients, name);
	s = accept_one(l, T_MS);	/* only the good client gets through */
	recv_is(s, "hi", 2);
	kipc_close(s);
	CHECK_EQ(reap(child, T_MS), 0);
	kipc_listener_close(l);
}

/*
 * A client that shrinks its memfd and seals it between the server's size
 * check and its seal check would make the server map pages past the end
 * (SIGBUS on the first touch). The race is made certain here: fstat() is
 * this program's own, and when armed it does the client's part on the fd
 * the server has just checked, right after the check. The server must
 * check the seals first, so the size it then sees cannot change.
 */
static volatile off_t shrink_size;	/* armed: a regular file of this size */
static volatile int shrink_done;

int fstat(int fd, struct stat *st)
{
	int ret = fstatat(fd, "", st, AT_EMPTY_PATH);

	if (!ret && shrink_size && S_ISREG(st->st_mode) &&
	    st->st_size == shrink_size) {
		shrink_size = 0;
		if (!ftruncate(fd, 0) && !fcntl(fd, F_ADD_SEALS, SHM_SEALS_ALL))
			shrink_done = 1;
	}
	return ret;
}

static void shrink_client(void *a)
{
	const char *name = a;
	struct kipc_wire offer, w;
	int fd, fds[3], bell[2], view[2];
	struct name_arg na;

	CHECK_OK(kipc__shm_bells(bell, view));
	raw_setup_init(&w);
	fd = raw_connect(name, &offer);
	/* right size, unsealed */
	fds[0] = raw_memfd(&offer, KIPC_SIDE_CLIENT, 0, 0);
	fds[1] = view[0];
	fds[2] = view[1];
	raw_send(fd, &w, sizeof(w), fds, 3);
	raw_refused(fd);
	close(fds[0]);
	snprintf(na.name, sizeof(na.name), "%s", name);
	listener_child(&na);
}

static void t_handshake_shrink(void)
{
	uint32_t rb[2];
	struct kipc_listener *l;
	struct kipc_conn *s;
	char name[64];
	pid_t child;

	l = shm_handshake_listener(name, sizeof(name));
	rb[0] = rb[1] = KIPC_RING_DEFAULT;
	child = spawn(shrink_client, name);
	shrink_size = (off_t)sysconf(_SC_PAGESIZE) + rb[KIPC_RING_C2S];
	s = accept_one(l, T_MS);	/* only the good client gets through */
	CHECK(!shrink_done);		/* the good one was sealed */
	recv_is(s, "hi", 2);
	kipc_close(s);
	CHECK_EQ(reap(child, T_MS), 0);
	kipc_listener_close(l);
}

/* ------------------------------------------------------------------ */
/* Page roles (shm as on dev): the peer's pages are read-only to us     */

/* One handshake message with its fds (at most 4). */
static void raw_recv(int fd, struct kipc_wire *w, int *fds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = w, .iov_len = sizeof(*w) };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	struct cmsghdr *cm;

	*nfds = 0;
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	CHECK_EQ(recvmsg(fd, &m, MSG_CMSG_CLOEXEC), (long)sizeof(*w));
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		*nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		CHECK(*nfds <= 4);
		memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)*nfds);
	}
}

struct attack_arg {
	char name[64];
	int go[2];		/* the server's pages are snapshotted */
};

/*
 * A hostile shm client: a handshake of its own, then every way it knows
 * to write the pages of the server's memfd. Each must fail.
 */
static void pages_attacker(void *a)
{
	struct attack_arg *aa = a;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size;
	int fd, fds[4], nfds, bell[2], view[2], memfd, rw, mem;
	struct kipc_wire offer, w;
	uint32_t v = 0xffffffffU;
	char path[64], ch;
	uint8_t *m, *priv;

	CHECK_OK(kipc__shm_bells(bell, view));
	fd = raw_connect(aa->name, &offer);
	raw_setup_init(&w);
	fds[0] = raw_memfd(&offer, KIPC_SIDE_CLIENT, SHM_SEALS_ALL, 0);
	fds[1] = view[0];
	fds[2] = view[1];
	raw_send(fd, &w, sizeof(w), fds, 3);
	close(fds[0]);
	raw_recv(fd, &w, fds, &nfds);
	CHECK_EQ(w.type, KIPC_WIRE_READY);
	CHECK_EQ(nfds, 3);
	memfd = fds[0];
	size = page + offer.ring_bytes[KIPC_RING_S2C];
	CHECK_EQ(read(aa->go[0], &ch, 1), 1);

	/* A writable shared mapping, write(), the size, holes: EPERM. */
	CHECK(mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0) ==
	      MAP_FAILED && errno == EPERM);
	CHECK(pwrite(memfd, &v, sizeof(v), 0) < 0 && errno == EPERM);
	CHECK(ftruncate(memfd, 0) < 0 && errno == EPERM);
	CHECK(ftruncate(memfd, (off_t)size * 2) < 0 && errno == EPERM);
	CHECK(fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			(off_t)page) < 0 && errno == EPERM);
	CHECK(fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EPERM);
	/* The same through a fresh open file of it. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	rw = open(path, O_RDWR | O_CLOEXEC);
	CHECK(rw >= 0);
	CHECK(mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0) ==
	      MAP_FAILED && errno == EPERM);
	CHECK(write(rw, &v, sizeof(v)) < 0 && errno == EPERM);
	close(rw);
	/* A read-only mapping cannot be upgraded, nor written by force. */
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, memfd, 0);
	CHECK(m != MAP_FAILED);
	CHECK(mprotect(m, size, PROT_READ | PROT_WRITE) < 0 && errno == EACCES);
	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	CHECK(mem >= 0);
	CHECK(pwrite(mem, &v, sizeof(v), (off_t)(uintptr_t)m) < 0);
	CHECK(pwrite(mem, &v, sizeof(v), (off_t)(uintptr_t)(m + page)) < 0);
	close(mem);
	/* A private mapping is a copy: writing it changes only the copy. */
	priv = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, memfd, 0);
	CHECK(priv != MAP_FAILED);
	memset(priv, 0xff, size);
	CHECK(m[page] != 0xff);		/* the "hello" record's length */
	munmap(priv, size);
	munmap(m, size);
	while (nfds > 0)
		close(fds[--nfds]);
	close(fd);
}

static void t_shm_pages_readonly(void)
{
	struct attack_arg aa;
	struct kipc_listener *l;
	struct kipc_conn *s;
	uint8_t *own, *snap;
	size_t len;
	pid_t child;

	l = shm_handshake_listener(aa.name, sizeof(aa.name));
	CHECK_OK(pipe(aa.go));
	child = spawn(pages_attacker, &aa);
	s = accept_one(l, T_MS);
	send_ok(s, "hello", 5);		/* something in our pages to keep */
	own = kipc__test_map(s, &len);
	snap = malloc(len);
	CHECK(snap);
	memcpy(snap, own, len);
	CHECK_EQ(write(aa.go[1], "g", 1), 1);
	CHECK_EQ(reap(child, T_MS), 0);
	CHECK(!memcmp(own, snap, len));
	recv_eos(s);
	free(snap);
	kipc_close(s);
	kipc_listener_close(l);
	close(aa.go[0]);
	close(aa.go[1]);
}

/*
 * An honest client that writes the server's pages anyway, three places:
 * the server's producer index, its consumer index, its data. Each write
 * faults (SIGSEGV), on shm as on dev; the server's pages stay as they were
 * and it sees end-of-stream.
 */
struct fault_arg {
	char name[64];
	int target;
};

static void fault_child(void *a)
{
	struct fault_arg *fa = a;
	struct rlimit nocore = { 0, 0 };
	struct kipc_conn *c = connect_retry(fa->name, NULL, T_MS);
	struct kipc_ring *rx = kipc__test_ring(c, 0), *tx = kipc__test_ring(c, 1);
	struct sigaction sa;

	setrlimit(RLIMIT_CORE, &nocore);
	recv_is(c, "hello", 5);
	/* The peer's pages: the whole mapping cannot be made writable. */
	CHECK(mprotect(c->map[0], c->map_len[0], PROT_READ | PROT_WRITE) < 0 &&
	      errno == EACCES);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;	/* not the sanitizer's: die of it */
	sigaction(SIGSEGV, &sa, NULL);
	switch (fa->target) {
	case 0:
		__atomic_store_n(&rx->prod->head, rx->pub + 8, __ATOMIC_RELEASE);
		break;
	case 1:
		__atomic_store_n(&tx->cons->tail, 0xffffffffU, __ATOMIC_RELEASE);
		break;
	default:
		__atomic_store_n((uint32_t *)rx->data, 0xffffffffU,
				 __ATOMIC_RELAXED);
		break;
	}
	_exit(0);	/* the write went through */
}

static void t_peer_pages_fault(void)
{
	struct kipc_listener *l;
	struct fault_arg fa;
	struct kipc_conn *s;
	uint8_t *own, *snap;
	size_t len;
	pid_t child;

	if (env_transport() == KIPC_TRANSPORT_UDS)
		skip("uds shares no memory");
	snprintf(fa.name, sizeof(fa.name), "%s", new_name());
	CHECK_OK(kipc_listen(fa.name, NULL, &l));
	for (fa.target = 0; fa.target < 3; fa.target++) {
		child = spawn(fault_child, &fa);
		s = accept_one(l, T_MS);
		send_ok(s, "hello", 5);
		send_ok(s, "more", 4);	/* unread: the data stays put */
		own = kipc__test_map(s, &len);
		snap = malloc(len);
		CHECK(snap);
		memcpy(snap, own, len);
		CHECK_EQ(reap(child, T_MS), 128 + SIGSEGV);
		CHECK(!memcmp(own, snap, len));	/* as we left them */
		recv_eos(s);
		free(snap);
		kipc_close(s);
	}
	kipc_listener_close(l);
}

/*
 * Hostile shm listeners: READY hands over a memfd the client must refuse
 * (unsealed: -EPERM; the 1.0 seals, which leave it writable to its maker:
 * -EPERM; the wrong size: -EBADMSG), or the OFFER comes from an older
 * server without page roles (forced shm: -EPROTONOSUPPORT, naming them;
 * automatic: uds instead). kipc_strerror() says which.
 */
enum { RS_UNSEALED, RS_OLD_SEALS, RS_SIZE, RS_OLD };

struct raw_server_arg {
	char name[64];
	int ready[2];
	int mode;
};

static void raw_server(void *a)
{
	struct raw_server_arg *ra = a;
	struct sockaddr_un addr;
	struct kipc_wire w, offer;
	int lfd, fd, fds[4], nfds, bell[2], view[2], k;
	socklen_t len;

	CHECK_OK(kipc__shm_bells(bell, view));
	CHECK_OK(kipc__sock_addr(ra->name, &addr, &len));
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0);
	CHECK_OK(bind(lfd, (struct sockaddr *)&addr, len));
	CHECK_OK(listen(lfd, 4));
	CHECK_EQ(write(ra->ready[1], "r", 1), 1);
	for (k = 0; k < (ra->mode == RS_OLD ? 2 : 1); k++) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		CHECK(fd >= 0);
		memset(&offer, 0, sizeof(offer));
		offer.magic = KIPC_WIRE_MAGIC;
		offer.version = KIPC_WIRE_VERSION;
		offer.type = KIPC_WIRE_OFFER;
		offer.transports = (1U << KIPC_TRANSPORT_SHM) |
				   (1U << KIPC_TRANSPORT_UDS);
		offer.ring_bytes[0] = offer.ring_bytes[1] = KIPC_RING_DEFAULT;
		offer.uds_max = 1024;
		offer.page_size = (uint32_t)sysconf(_SC_PAGESIZE);
		offer.caps = ra->mode == RS_OLD ? 0 : KIPC_WIRE_CAP_PAGE_ROLES;
		raw_send(fd, &offer, sizeof(offer), NULL, 0);
		if (ra->mode == RS_OLD && !k) {
			/* forced shm: the client hangs up, no SETUP */
			struct pollfd pf = { .fd = fd, .events = POLLIN };

			CHECK_EQ(poll(&pf, 1, T_MS), 1);
			CHECK_EQ(recv(fd, &w, sizeof(w), 0), 0);
			close(fd);
			continue;
		}
		raw_recv(fd, &w, fds, &nfds);
		CHECK_EQ(w.type, KIPC_WIRE_SETUP);
		while (nfds > 0)
			close(fds[--nfds]);
		w.type = KIPC_WIRE_READY;
		if (ra->mode == RS_OLD) {
			/* automatic: the client chose uds */
			CHECK_EQ(w.transports, KIPC_TRANSPORT_UDS);
			raw_send(fd, &w, sizeof(w), NULL, 0);
		} else {
			CHECK_EQ(w.transports, KIPC_TRANSPORT_SHM);
			CHECK_EQ(w.caps, KIPC_WIRE_CAP_PAGE_ROLES);
			fds[0] = raw_memfd(&offer, KIPC_SIDE_SERVER,
					   ra->mode == RS_UNSEALED ? 0 :
					   ra->mode == RS_OLD_SEALS ?
					   F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL :
					   SHM_SEALS_ALL,
					   ra->mode == RS_SIZE ? 4096 : 0);
			fds[1] = view[0];
			fds[2] = view[1];
			raw_send(fd, &w, sizeof(w), fds, 3);
			close(fds[0]);
		}
		/* The client hangs up (uds: once the test closes it). */
		{
			struct pollfd pf = { .fd = fd, .events = POLLIN };

			CHECK_EQ(poll(&pf, 1, T_MS), 1);
			CHECK_EQ(recv(fd, &w, sizeof(w), 0), 0);
		}
		close(fd);
	}
	close(lfd);
}

static void t_shm_hostile_server(void)
{
	static const int want[] = { -EPERM, -EPERM, -EBADMSG, -EPROTONOSUPPORT };
	struct raw_server_arg ra;
	struct kipc_opts o;
	struct kipc_conn *c;
	pid_t pid;
	char ch;

	if (env_transport() != KIPC_TRANSPORT_SHM)
		skip("a shm handshake test: run with KIPC_TRANSPORT=shm");
	for (ra.mode = RS_UNSEALED; ra.mode <= RS_OLD; ra.mode++) {
		snprintf(ra.name, sizeof(ra.name), "%s", new_name());
		CHECK_OK(pipe(ra.ready));
		pid = spawn(raw_server, &ra);
		CHECK_EQ(read(ra.ready[0], &ch, 1), 1);
		opts_init(&o);
		o.transport = KIPC_TRANSPORT_SHM;
		o.timeout_ms = T_MS;
		CHECK_EQ(kipc_connect(ra.name, &o, &c), want[ra.mode]);
		CHECK(strstr(kipc_strerror(want[ra.mode]),
			     ra.mode == RS_SIZE ? "corrupt" :
			     ra.mode == RS_OLD ? "page roles" :
			     "F_SEAL_FUTURE_WRITE"));
		if (ra.mode == RS_OLD) {
			unsetenv("KIPC_TRANSPORT");	/* this test's process */
			o.transport = KIPC_TRANSPORT_AUTO;
			CHECK_OK(kipc_connect(ra.name, &o, &c));
			CHECK_EQ(kipc_transport(c), KIPC_TRANSPORT_UDS);
			kipc_close(c);
		}
		CHECK_EQ(reap(pid, T_MS), 0);
		close(ra.ready[0]);
		close(ra.ready[1]);
	}
}

/*
 * dev: a peer that makes one of its indices impossible (head - tail more
 * than the ring) makes the driver report POLLERR for good. A waiter, in
 * either direction, must take it as the violation it is (-EBADMSG, the
 * connection broken) instead of waking and sleeping again at full speed
 * until its deadline.
 */
static void t_corrupt_index_wake(void)
{
	uint8_t buf[64] = { 0 };
	struct kipc_ring *r;
	struct kipc_opts o;
	struct pair p;
	int64_t t0;
	int policy;

	for (policy = KIPC_WAIT_SPIN_SLEEP; policy <= KIPC_WAIT_SLEEP;
	     policy += 2) {
		opts_init(&o);
		o.wait_policy = policy;
		pair_open(&p, &o, &o);
		if (kipc_transport(p.c) != KIPC_TRANSPORT_DEV) {
			pair_close(&p);
			skip("POLLERR comes from the driver: dev only");
		}
		/* The server waits for room; the client breaks its own head
		 * (of the other ring).
		 */
		while (kipc_send(p.s, buf, sizeof(buf), KIPC_NONBLOCK) ==
		       sizeof(buf))
			;
		r = kipc__test_ring(p.c, 1);
		__atomic_store_n(&r->prod->head, r->pub + 0x40000000U,
				 __ATOMIC_RELEASE);
		t0 = now_ns();
		CHECK_EQ(kipc_send_timeout(p.s, buf, sizeof(buf), 0, 3000),
			 -EBADMSG);
		CHECK(now_ns() - t0 < 2000000000);
		CHECK_EQ(kipc_recv(p.s, buf, sizeof(buf), KIPC_NONBLOCK),
			 -EBADMSG);
		pair_close(&p);

		/* The server waits for data; the client breaks its own tail
		 * (of the other ring).
		 */
		pair_open(&p, &o, &o);
		r = kipc__test_ring(p.c, 0);
		__atomic_store_n(&r->cons->tail, r->pub + 0x40000000U,
				 __ATOMIC_RELEASE);
		t0 = now_ns();
		CHECK_EQ(kipc_recv_timeout(p.s, buf, sizeof(buf), 0, 3000),
			 -EBADMSG);
		CHECK(now_ns() - t0 < 2000000000);
		CHECK_EQ(kipc_send(p.s, buf, 1, KIPC_NONBLOCK), -EBADMSG);
		pair_close(&p);
	}
}

/* The header check compares features, not the version number. */
static void t_hdr_features(void)
{
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE), rb[2] = { 4096, 8192 };
	uint64_t len = kipc_layout_map_bytes(page, rb);
	struct kipc_shared_hdr *h, copy;

	h = calloc(1, page);
	CHECK(h);
	kipc_layout_init(h, page, rb);
	CHECK_OK(kipc_hdr_check(h, len, 0, 0, 0, &copy));
	CHECK_EQ(copy.shared_map_bytes, 3ULL * page + 4096 + 8192);
	h->features = 1ULL << 32;	/* a ring format we did not ask for */
	CHECK_EQ(kipc_hdr_check(h, len, 0, 0, 0, &copy), -EPROTONOSUPPORT);
	CHECK_OK(kipc_hdr_check(h, len, 0, 0, 1ULL << 32, &copy));
	h->features = 0;
	h->abi_version = 0;
	CHECK_EQ(kipc_hdr_check(h, len, 0, 0, 0, &copy), -EPROTO);
	h->abi_version = KIPC_ABI_VERSION + 1;	/* never written; no equality */
	CHECK_OK(kipc_hdr_check(h, len, 0, 0, 0, &copy));
	free(h);

	CHECK_EQ(kipc__missing(KIPC_F_POLL_NEED), -EPROTONOSUPPORT);
	CHECK(strstr(kipc_strerror(-EPROTONOSUPPORT), "KIPC_F_POLL_NEED"));
	kipc__missing(1ULL << 40);
	CHECK(strstr(kipc_strerror(-EPROTONOSUPPORT), "format"));
}

/* A client whose SETUP claims a ring format the server did not offer is
 * refused with -EPROTONOSUPPORT; a 1.0 server offers none.
 */
static void format_client(void *a)
{
	struct kipc_wire offer, w;
	int fd, fds[3], bell[2], view[2];
	struct pollfd pf;

	CHECK_OK(kipc__shm_bells(bell, view));
	fd = raw_connect(a, &offer);
	CHECK_EQ(offer.features, KIPC_LIB_FORMATS);
	raw_setup_init(&w);
	w.features = KIPC_F_RING_SEQ << 1;	/* no such format yet */
	fds[0] = raw_memfd(&offer, KIPC_SIDE_CLIENT, SHM_SEALS_ALL, 0);
	fds[1] = view[0];
	fds[2] = view[1];
	raw_send(fd, &w, sizeof(w), fds, 3);
	pf.fd = fd;
	pf.events = POLLIN;
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	CHECK_EQ(recv(fd, &w, sizeof(w), 0), (long)sizeof(w));
	CHECK_EQ(w.type, KIPC_WIRE_REJECT);
	CHECK_EQ(w.status, -EPROTONOSUPPORT);
	close(fd);
	close(fds[0]);
}

static void t_handshake_formats(void)
{
	struct kipc_listener *l;
	struct kipc_conn *c;
	char name[64];
	pid_t child;

	l = shm_handshake_listener(name, sizeof(name));
	child = spawn(format_client, name);
	CHECK_EQ(kipc_accept_timeout(l, &c, 0, 500), -ETIMEDOUT);
	CHECK_EQ(reap(child, T_MS), 0);
	kipc_listener_close(l);
}

/* ------------------------------------------------------------------ */
/* The ring format KIPC_F_RING_SEQ and its negotiation (issue 9, §2)    */

/* Which format a connection's rings use: 1 SEQ, 0 the 1.0 one. */
static int ring_seq(struct kipc_conn *c)
{
	int tx = kipc__test_ring(c, 1)->seq, rx = kipc__test_ring(c, 0)->seq;

	CHECK_EQ(tx, rx);
	return tx;
}

static uint8_t fmt_msg[512];

/*
 * Messages from @tx to @rx through every path, for as many laps of a
 * small ring as padding records need: send/recv, a KIPC_MORE batch,
 * reserve/commit (trimmed, cancelled), peek/release. @echo: @rx is a peer
 * process that sends each message back, and we (@tx) read the echoes.
 */
static void format_traffic(struct kipc_conn *tx, struct kipc_conn *rx,
			   bool echo)
{
	struct kipc_conn *in = echo ? tx : rx;
	const void *q;
	void *w;
	int i;

	for (i = 0; i < (int)sizeof(fmt_msg); i++)
		fmt_msg[i] = (uint8_t)(i * 7 + 1);
	for (i = 1; i <= 300; i++) {
		CHECK_EQ(kipc_send_timeout(tx, fmt_msg, (size_t)i, KIPC_MORE,
					   T_MS), i);
		CHECK_EQ(kipc_send_timeout(tx, fmt_msg + 1, 56, 0, T_MS), 56);
		recv_is(in, fmt_msg, (size_t)i);
		recv_is(in, fmt_msg + 1, 56);
	}
	CHECK_OK(kipc_reserve_timeout(tx, 64, &w, 0, T_MS));
	memcpy(w, fmt_msg, 64);
	CHECK_OK(kipc_commit(tx, 9, KIPC_MORE));	/* trimmed */
	CHECK_OK(kipc_reserve_timeout(tx, 64, &w, 0, T_MS));
	CHECK_OK(kipc_commit(tx, 0, 0));		/* cancelled */
	CHECK_OK(kipc_reserve_timeout(tx, 24, &w, 0, T_MS));
	memcpy(w, fmt_msg + 3, 24);
	CHECK_OK(kipc_commit(tx, 24, 0));
	CHECK_EQ(kipc_peek_timeout(in, &q, 0, T_MS), 9);
	CHECK(!memcmp(q, fmt_msg, 9));
	CHECK_OK(kipc_release(in));
	CHECK_EQ(kipc_peek_timeout(in, &q, 0, T_MS), 24);
	CHECK(!memcmp(q, fmt_msg + 3, 24));
	CHECK_OK(kipc_release(in));
	CHECK_EQ(kipc_recv(in, fmt_msg, sizeof(fmt_msg), KIPC_NONBLOCK),
		 -EAGAIN);
}

/* A new library on both ends uses SEQ on every ring transport. */
static void t_ring_format(void)
{
	struct kipc_opts o;
	struct pair p;

	opts_init(&o);
	o.ring_bytes = 4096;	/* laps, so padding records too */
	pair_open(&p, &o, &o);
	if (!ring_transport(p.c)) {
		pair_close(&p);
		skip("uds has no ring");
	}
	CHECK_EQ(ring_seq(p.c), 1);
	CHECK_EQ(ring_seq(p.s), 1);
	format_traffic(p.c, p.s, false);
	format_traffic(p.s, p.c, false);
	pair_close(&p);
}

/*
 * An older library on one end, played by a child with kipc__test_formats
 * = 0 (it neither asks for nor reads SEQ, as the 1.0 library): the two
 * agree on the 1.0 format whichever end is the old one, on dev (the
 * driver intersects the requests) and on shm (OFFER and SETUP). The old
 * end echoes; the new end drives every data call.
 */
struct old_peer {
	char name[64];
	int old_is_server;
};

static void old_peer_child(void *a)
{
	struct old_peer *op = a;
	struct kipc_listener *l = NULL;
	struct kipc_conn *c;
	struct kipc_opts o;
	static uint8_t buf[4096];
	ssize_t n;

	kipc__test_formats = 0;
	opts_init(&o);
	o.ring_bytes = 4096;
	o.timeout_ms = T_MS;
	if (op->old_is_server) {
		CHECK_OK(kipc_listen(op->name, &o, &l));
		c = accept_one(l, T_MS);
	} else {
		c = connect_retry(op->name, &o, T_MS);
	}
	if (kipc_transport(c) != KIPC_TRANSPORT_UDS)
		CHECK_EQ(ring_seq(c), 0);
	while ((n = kipc_recv_timeout(c, buf, sizeof(buf), 0, T_MS)) > 0)
		send_ok(c, buf, (size_t)n);
	CHECK_EQ(n, 0);
	kipc_close(c);
	if (l)
		kipc_listener_close(l);
}

static void old_peer_run(int old_is_server)
{
	struct kipc_listener *l = NULL;
	struct old_peer op = { .old_is_server = old_is_server };
	struct kipc_conn *c;
	struct kipc_opts o;
	pid_t child;

	snprintf(op.name, sizeof(op.name), "%s", new_name());
	opts_init(&o);
	o.ring_bytes = 4096;
	o.timeout_ms = T_MS;
	if (!old_is_server)
		CHECK_OK(kipc_listen(op.name, &o, &l));
	child = spawn(old_peer_child, &op);
	if (old_is_server)
		c = connect_retry(op.name, &o, T_MS);
	else
		c = accept_one(l, T_MS);
	if (kipc_transport(c) != KIPC_TRANSPORT_UDS)
		CHECK_EQ(ring_seq(c), 0);
	format_traffic(c, c, true);
	kipc_close(c);
	CHECK_EQ(reap(child, T_MS), 0);
	if (l)
		kipc_listener_close(l);
}

static void t_format_old_client(void)
{
	old_peer_run(0);
}

static void t_format_old_server(void)
{
	old_peer_run(1);
}

/* A new library on a driver without KIPC_F_RING_SEQ (feature_mask): the
 * 1.0 format, and everything works.
 */
static void old_driver_format_child(void *a)
{
	struct kipc_opts o;
	struct pair p;

	(void)a;
	opts_init(&o);
	o.transport = KIPC_TRANSPORT_DEV;
	o.ring_bytes = 4096;
	pair_open(&p, &o, &o);
	CHECK_EQ(ring_seq(p.c), 0);
	CHECK_EQ(ring_seq(p.s), 0);
	format_traffic(p.c, p.s, false);
	format_traffic(p.s, p.c, false);
	pair_close(&p);
}

static void t_format_old_driver(void)
{
	with_feature_hidden(KIPC_F_RING_SEQ, old_driver_format_child);
}


/*
 * SEQ on the bare ring: stale bytes of an earlier lap's payload that look
 * exactly like the next record's header are not a record, because the
 * producer marks the slot after each record before publishing it.
 */
static void t_seq_stale_payload(void)
{
	static struct kipc_index_page idx;
	struct kipc_ring tx, rx;
	uint8_t *data = aligned_alloc(64, 4096);
	union {
		struct kipc_rec rec;
		uint8_t b[8];
	} forged = { .rec = { .len = 5, .pos = KIPC_REC_SEQ(4096 + 16) } };
	const uint32_t lens[] = { 200, 1936, 1936 };
	const void *q;
	uint32_t len;
	void *w;
	int i;

	CHECK(data);
	memset(data, 0, 4096);
	kipc_ring_init(&tx, data, 4096, &idx.prod, &idx.cons);
	kipc_ring_init(&rx, data, 4096, &idx.prod, &idx.cons);
	kipc_ring_set_format(&tx, KIPC_F_RING_SEQ);
	kipc_ring_set_format(&rx, KIPC_F_RING_SEQ);
	CHECK_EQ(kipc_ring_peek(&rx, &q, &len), -EAGAIN);	/* zeroes */
	/* Lap 0: ring offset 16 (in the first payload) holds the header
	 * that position 4096 + 16 will have; records end at 4096.
	 */
	for (i = 0; i < 3; i++) {
		CHECK_OK(kipc_ring_reserve(&tx, lens[i], &w));
		memset(w, 0xa5, lens[i]);
		if (!i)
			memcpy((uint8_t *)w + 8, forged.b, 8);
		kipc_ring_commit(&tx);
		CHECK(kipc_ring_publish(&tx));
		CHECK_OK(kipc_ring_peek(&rx, &q, &len));
		CHECK_EQ(len, lens[i]);
		kipc_ring_consume(&rx);
		kipc_ring_release(&rx);
	}
	CHECK_EQ(tx.pos, 4096u);
	/* Lap 1: an 8-byte record at 4096; the next slot is offset 16. */
	CHECK_OK(kipc_ring_reserve(&tx, 8, &w));
	memset(w, 0x5a, 8);
	kipc_ring_commit(&tx);
	CHECK_EQ(kipc_ring_peek(&rx, &q, &len), -EAGAIN);	/* unpublished */
	CHECK(kipc_ring_publish(&tx));
	CHECK_OK(kipc_ring_peek(&rx, &q, &len));
	CHECK_EQ(len, 8u);
	kipc_ring_consume(&rx);
	CHECK_EQ(kipc_ring_peek(&rx, &q, &len), -EAGAIN);	/* the mark */
	CHECK_EQ(kipc_ring_cons_refresh(&rx), 0);
	CHECK(!rx.broken);
	free(data);
}

#endif /* KIPC_TEST_API_ONLY */

static const struct test tests[] = {
	{ "opts_1_0", t_opts_1_0, 30 },
	{ "opts_short", t_opts_short, 30 },
	{ "dev_missing_feature", t_dev_missing_feature, 30 },
	{ "ring_cap", t_ring_cap, 30 },
	{ "ring_cap_old_driver", t_ring_cap_old_driver, 30 },
	{ "basic", t_basic, 30 },
	{ "peer_cred", t_peer_cred, 30 },
	{ "netns_names", t_netns_names, 30 },
	{ "peer_cred_userns", t_peer_cred_userns, 30 },
	{ "order_boundaries", t_order_boundaries, 30 },
	{ "bad_args", t_bad_args, 30 },
	{ "env_transport", t_env_transport, 30 },
	{ "noent", t_noent, 30 },
	{ "addrinuse", t_addrinuse, 30 },
	{ "msgsize", t_msgsize, 30 },
	{ "full_ring", t_full_ring, 30 },
	{ "empty_ring_timeouts", t_empty_ring, 30 },
	{ "zero_copy", t_zero_copy, 30 },
	{ "eos", t_eos, 30 },
	{ "uds_empty_message_ebadmsg", t_uds_empty_message, 30 },
	{ "epipe_no_sigpipe", t_epipe, 30 },
	{ "poll_in", t_poll, 30 },
	{ "poll_out", t_poll_out, 30 },
	{ "listener_fd", t_listener_fd, 30 },
	{ "io_uring", t_uring, 30 },
	{ "nokick", t_nokick, 30 },
	{ "nokick_flush", t_nokick_flush, 30 },
	{ "nokick_full", t_nokick_full, 30 },
	{ "zero_timeouts", t_zero_timeouts, 10 },
	{ "eos_unread", t_eos_unread, 30 },
	{ "accept_backlog", t_accept_backlog, 30 },
	{ "tail_release", t_tail_release, 30 },
	{ "spin_tail_release", t_spin_tail_release, 30 },
	{ "wait_policies", t_wait_policies, 60 },
	{ "idle_cpu", t_idle_cpu, 30 },
	{ "threads", t_threads, 120 },
	{ "close_more", t_close_more, 30 },
	{ "fork_close", t_fork_close, 30 },
	{ "connect_timeout", t_connect_timeout, 30 },
	{ "permissions", t_permissions, 60 },
	{ "cross_transport", t_cross_transport, 30 },
	{ "sigkill_sender", t_sigkill_sender, 120 },
	{ "sigkill_receiver", t_sigkill_receiver, 120 },
	{ "sigkill_handshake", t_sigkill_handshake, 120 },
	{ "lost_wakeup", t_lost_wakeup, 300 },
#ifndef KIPC_TEST_API_ONLY
	{ "hostile_peer", t_hostile_peer, 300 },
	{ "handshake_hostile", t_handshake_hostile, 60 },
	{ "ring_cap_hostile_offer", t_ring_cap_hostile_offer, 30 },
	{ "handshake_shrink", t_handshake_shrink, 30 },
	{ "corrupt_index_wake", t_corrupt_index_wake, 30 },
	{ "hdr_features", t_hdr_features, 30 },
	{ "handshake_formats", t_handshake_formats, 30 },
	{ "shm_pages_readonly", t_shm_pages_readonly, 30 },
	{ "peer_pages_fault", t_peer_pages_fault, 30 },
	{ "shm_hostile_server", t_shm_hostile_server, 30 },
	{ "ring_format", t_ring_format, 30 },
	{ "format_old_client", t_format_old_client, 30 },
	{ "format_old_server", t_format_old_server, 30 },
	{ "format_old_driver", t_format_old_driver, 30 },
	{ "seq_stale_payload", t_seq_stale_payload, 30 },
#endif
	{ "stream_random", t_stream_random, 600 },
	{ "stream_big", t_stream_big, 300 },
	{ "no_leftovers", t_no_leftovers, 60 },
};

int main(int argc, char **argv)
{
	int t = env_transport();

	if (t == KIPC_TRANSPORT_DEV && !have_dev()) {
		printf("TAP version 13\n1..0 # SKIP /dev/kipc absent\n");
		printf("0 passed, 0 failed\n");
		return EXIT_SKIP;
	}
	return run_tests(tests, (int)(sizeof(tests) / sizeof(tests[0])),
			 argc, argv);
}
