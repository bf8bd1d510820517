// SPDX-License-Identifier: LGPL-2.1 OR MIT
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(1);
}

/* A skipped test's reason, for its TAP line: a page the test's process
 * shares with the runner, set up before each fork.
 */
static char *skip_reason;
#define SKIP_REASON_MAX 200

void skip(const char *fmt, ...)
{
	va_list ap;

	printf("# SKIP: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (skip_reason) {
		va_start(ap, fmt);
		vsnprintf(skip_reason, SKIP_REASON_MAX, fmt, ap);
		va_end(ap);
	}
	fflush(stdout);
	_exit(EXIT_SKIP);
}

void note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

static const struct {
	const char *env;
	long def;
} counts[NR_COUNTS] = {
	/* random 1 B..4 KiB messages in stream_random */
	[COUNT_MSGS] = { "KIPC_TEST_MSGS", 10000000 },
	/* 4 KiB..largest messages in stream_big */
	[COUNT_BIG] = { "KIPC_TEST_BIG", 10000 },
	/* scribble rounds in hostile_peer */
	[COUNT_HOSTILE] = { "KIPC_TEST_HOSTILE", 100000 },
	/* SIGKILL rounds per sigkill test */
	[COUNT_KILLS] = { "KIPC_TEST_KILLS", 20 },
	/* sleeping round trips in lost_wakeup */
	[COUNT_WAKES] = { "KIPC_TEST_WAKES", 100000 },
};

long test_count(enum test_count c)
{
	return env_long(counts[c].env, counts[c].def);
}

/* "# reduced: NAME=N of DEFAULT ..." when a size is below the documented one. */
static void print_reduced(void)
{
	bool any = false;
	int i;

	for (i = 0; i < NR_COUNTS; i++) {
		long v = test_count(i);

		if (v >= counts[i].def)
			continue;
		printf("%s%s=%ld of %ld", any ? ", " : "# reduced: ",
		       counts[i].env, v, counts[i].def);
		any = true;
	}
	if (any)
		printf("\n");
}

int env_transport(void)
{
	const char *v = getenv("KIPC_TRANSPORT");

	if (!v)
		return 0;
	if (!strcmp(v, "dev"))
		return KIPC_TRANSPORT_DEV;
	if (!strcmp(v, "shm"))
		return KIPC_TRANSPORT_SHM;
	if (!strcmp(v, "uds"))
		return KIPC_TRANSPORT_UDS;
	return 0;
}

bool have_dev(void)
{
	struct stat st;

	return stat("/dev/kipc", &st) == 0 && S_ISCHR(st.st_mode);
}

const char *new_name(void)
{
	static char buf[64];
	static unsigned int n;

	snprintf(buf, sizeof(buf), "kt.%d.%u", (int)getpid(), n++);
	return buf;
}

pid_t spawn(void (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		FAIL("fork: %s", strerror(errno));
	if (!pid) {
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	return pid;
}

int reap(pid_t pid, int timeout_ms)
{
	int64_t end = now_ns() + (int64_t)timeout_ms * 1000000;
	struct timespec pause = { 0, 2000000 };
	int st;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0)
			return -2;
		if (now_ns() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % CPU_SETSIZE, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

void opts_init(struct kipc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
}

struct accept_arg {
	struct kipc_listener *l;
	struct kipc_conn *c;
	int ret;
	int timeout_ms;
};

static void *accept_thread(void *a)
{
	struct accept_arg *aa = a;

	aa->ret = kipc_accept_timeout(aa->l, &aa->c, 0, aa->timeout_ms);
	return NULL;
}

struct kipc_conn *accept_one(struct kipc_listener *l, int timeout_ms)
{
	struct kipc_conn *c = NULL;
	int ret = kipc_accept_timeout(l, &c, 0, timeout_ms);

	if (ret)
		FAIL("kipc_accept: %s", strerror(-ret));
	return c;
}

struct kipc_conn *connect_retry(const char *name, const struct kipc_opts *o,
				int timeout_ms)
{
	int64_t end = now_ns() + (int64_t)timeout_ms * 1000000;
	struct timespec pause = { 0, 1000000 };
	struct kipc_conn *c;
	int ret;

	for (;;) {
		ret = kipc_connect(name, o, &c);
		if (!ret)
			return c;
		if (ret != -ENOENT || now_ns() >= end)
			FAIL("kipc_connect(%s): %s", name, strerror(-ret));
		nanosleep(&pause, NULL);
	}
}

void pair_open(struct pair *p, const struct kipc_opts *lopts,
	       const struct kipc_opts *copts)
{
	struct accept_arg aa = { .timeout_ms = 10000 };
	pthread_t t;
	int ret;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", new_name());
	ret = kipc_listen(p->name, lopts, &p->l);
	if (ret)
		FAIL("kipc_listen: %s", strerror(-ret));
	aa.l = p->l;
	pthread_create(&t, NULL, accept_thread, &aa);
	ret = kipc_connect(p->name, copts, &p->c);
	pthread_join(t, NULL);
	if (ret)
		FAIL("kipc_connect: %s", strerror(-ret));
	if (aa.ret)
		FAIL("kipc_accept: %s", strerror(-aa.ret));
	p->s = aa.c;
}

void pair_close(struct pair *p)
{
	kipc_close(p->c);
	kipc_close(p->s);
	kipc_listener_close(p->l);
	memset(p, 0, sizeof(*p));
}

bool ring_transport(struct kipc_conn *c)
{
	return kipc_transport(c) != KIPC_TRANSPORT_UDS;
}

/* Messages, and the helpers the suites' files share */

uint8_t *pool;

void pool_init(void)
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

struct msgspec msg_of(uint64_t *s, uint32_t lo, uint32_t hi)
{
	struct msgspec m;
	uint64_t r = rnd_next(s);

	m.len = lo + (uint32_t)(r % (hi - lo + 1));
	m.data = pool + (rnd_next(s) % (POOL_SIZE - m.len));
	return m;
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

void check_transport(struct kipc_conn *c)
{
	int want = env_transport();

	if (!want)
		want = have_dev() ? KIPC_TRANSPORT_DEV : KIPC_TRANSPORT_SHM;
	CHECK_EQ(kipc_transport(c), want);
}

void send_ok(struct kipc_conn *c, const void *b, size_t len)
{
	CHECK_EQ(kipc_send_timeout(c, b, len, 0, T_MS), (long)len);
}

void recv_is(struct kipc_conn *c, const void *want, size_t len)
{
	static uint8_t buf[1 << 20];
	ssize_t n = kipc_recv_timeout(c, buf, sizeof(buf), 0, T_MS);

	CHECK_EQ(n, (long)len);
	CHECK(!memcmp(buf, want, len));
}

void recv_eos(struct kipc_conn *c)
{
	char buf[16];

	CHECK_EQ(kipc_recv_timeout(c, buf, sizeof(buf), 0, T_MS), 0);
}

bool dev_client(void)
{
	int t = env_transport();

	return t == KIPC_TRANSPORT_DEV || (!t && have_dev());
}

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

/* Run @child against a driver that hides feature @bit (feature_mask). */
void with_feature_hidden(uint64_t bit, void (*child)(void *))
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

void listener_child(void *a)
{
	struct name_arg *na = a;
	struct kipc_conn *c = connect_retry(na->name, NULL, T_MS);

	send_ok(c, "hi", 2);
	recv_eos(c);
	kipc_close(c);
}

static void reap_strays(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* One test in a child of its own, under its limit; prints its TAP line.
 * Returns 0 (passed), EXIT_SKIP or 1 (failed).
 */
static int run_one(const struct test *t, int num, long scale)
{
	struct timespec pause = { 0, 2000000 };
	int64_t start, end, limit;
	pid_t pid;
	int rc, st;

	fflush(stdout);
	if (skip_reason)
		skip_reason[0] = '\0';
	start = now_ns();
	limit = start + (int64_t)(t->timeout_s * scale) * 1000000000;
	pid = fork();
	if (!pid) {
		setpgid(0, 0);
		t->fn();
		fflush(stdout);
		_exit(0);
	}
	setpgid(pid, pid);
	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (now_ns() >= limit) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			printf("# %s: timed out after %ld s\n", t->name,
			       t->timeout_s * scale);
			st = -1;
			break;
		}
		nanosleep(&pause, NULL);
	}
	kill(-pid, SIGKILL);	/* helpers it left behind */
	reap_strays();
	end = now_ns();
	if (st == -1)
		rc = 1;
	else if (WIFEXITED(st))
		rc = WEXITSTATUS(st);
	else {
		printf("# %s: killed by signal %d\n", t->name, WTERMSIG(st));
		rc = 1;
	}
	printf("# %s: %.2f s\n", t->name, (end - start) / 1e9);
	if (rc == 0) {
		printf("ok %d - %s\n", num, t->name);
	} else if (rc == EXIT_SKIP) {
		printf("ok %d - %s # SKIP %s\n", num, t->name,
		       skip_reason ? skip_reason : "");
	} else {
		printf("not ok %d - %s\n", num, t->name);
		rc = 1;
	}
	return rc;
}

/* A name on the command line selects the test, or every test of the group,
 * of that name; none selects all.
 */
static bool wanted(const struct test_group *g, const struct test *t, int argc,
		   char **argv)
{
	int j;

	for (j = 1; j < argc; j++)
		if (!strcmp(argv[j], t->name) || !strcmp(argv[j], g->name))
			return true;
	return argc < 2;
}

/* A name that is neither a test nor a group is an error, not an empty run
 * that passes.
 */
static int unknown_names(const struct test_group *const *groups, int ng,
			 int argc, char **argv)
{
	int bad = 0, i, j, k;
	bool found;

	for (j = 1; j < argc; j++) {
		found = false;
		for (i = 0; i < ng && !found; i++) {
			found = !strcmp(argv[j], groups[i]->name);
			for (k = 0; k < groups[i]->n && !found; k++)
				found = !strcmp(argv[j],
						groups[i]->tests[k].name);
		}
		if (!found) {
			fprintf(stderr, "%s: no test or group named %s\n",
				argv[0], argv[j]);
			bad++;
		}
	}
	return bad;
}

int run_groups(const struct test_group *const *groups, int ng, int argc,
	       char **argv)
{
	int pass = 0, failed = 0, skipped = 0, num = 0, i, k, rc;
	/* Emulated machines (the TCG VM) run slower: stretch the limits. */
	long scale = env_long("KIPC_TEST_TIMEOUT_SCALE", 1);

	if (unknown_names(groups, ng, argc, argv))
		return 2;
	if (env_transport() == KIPC_TRANSPORT_DEV && !have_dev()) {
		printf("TAP version 13\n1..0 # SKIP /dev/kipc absent\n");
		printf("0 passed, 0 failed\n");
		return EXIT_SKIP;
	}
	if (scale < 1)
		scale = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	skip_reason = mmap(NULL, SKIP_REASON_MAX, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (skip_reason == MAP_FAILED)
		skip_reason = NULL;
	/* Helpers of a killed test are reparented to us and reaped here. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_DFL);	/* the library must never raise it */
	for (i = 0; i < ng; i++)
		for (k = 0; k < groups[i]->n; k++)
			num += wanted(groups[i], &groups[i]->tests[k], argc,
				      argv);
	printf("TAP version 13\n1..%d\n", num);
	printf("# transport: %s\n", getenv("KIPC_TRANSPORT") ?
	       getenv("KIPC_TRANSPORT") : "auto");
	num = 0;
	for (i = 0; i < ng; i++) {
		for (k = 0; k < groups[i]->n; k++) {
			const struct test *t = &groups[i]->tests[k];

			if (!wanted(groups[i], t, argc, argv))
				continue;
			rc = run_one(t, ++num, scale);
			if (rc == 0)
				pass++;
			else if (rc == EXIT_SKIP)
				skipped++;
			else
				failed++;
		}
	}
	printf("%d passed, %d failed, %d skipped\n", pass, failed, skipped);
	print_reduced();
	return failed ? 1 : 0;
}
