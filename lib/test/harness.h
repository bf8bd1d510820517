/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * A small TAP harness for the libkipc suites, and the helpers their files
 * share. Every test runs in a forked child in its own process group, under
 * a time limit: a test that hangs (a lost wake-up, say) is killed with its
 * helpers and fails. The output is TAP 13 and ends with the line
 * "N passed, N failed, N skipped".
 *
 * Each file of a suite holds one concern and lists its tests with
 * TEST_GROUP(); the suite's main file lists the groups, in the order they
 * run, with TEST_MAIN().
 */
#ifndef KIPC_TEST_HARNESS_H
#define KIPC_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kipc.h"

struct test {
	const char *name;
	void (*fn)(void);
	int timeout_s;
};

#define EXIT_SKIP 4

void fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define FAIL(...)	fail_at(__FILE__, __LINE__, __VA_ARGS__)
#define CHECK(c)	do { if (!(c)) FAIL("%s", #c); } while (0)
#define CHECK_EQ(a, b)	do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b)							\
		FAIL("%s = %lld, want %s = %lld", #a, _a, #b, _b);	\
} while (0)
#define CHECK_OK(a)	CHECK_EQ(a, 0)

/* The tests of one file: "kipc_test NAME" runs a test or a whole group. */
struct test_group {
	const char *name;
	const struct test *tests;
	int n;
};

#define TEST_GROUP(grp, ...)						\
	static const struct test grp##_tests[] = { __VA_ARGS__ };	\
	const struct test_group grp##_group = {				\
		#grp, grp##_tests,					\
		(int)(sizeof(grp##_tests) / sizeof(grp##_tests[0])),	\
	}

/* Runs the groups in order: TAP, then "N passed, N failed, N skipped";
 * exits 0 when none failed. A run on dev without /dev/kipc is one SKIP.
 */
int run_groups(const struct test_group *const *groups, int n, int argc,
	       char **argv);

#define TEST_MAIN(...)							\
int main(int argc, char **argv)						\
{									\
	static const struct test_group *const groups[] = { __VA_ARGS__ }; \
									\
	return run_groups(groups, (int)(sizeof(groups) / sizeof(groups[0])), \
			  argc, argv);					\
}

/* Environment */
long env_long(const char *name, long def);

/*
 * The suite's sizes: each is read from its environment variable (harness.c
 * has the names and the documented defaults). A run with any of them below
 * its default says so in a "# reduced:" line after its summary.
 */
enum test_count {
	COUNT_MSGS,
	COUNT_BIG,
	COUNT_HOSTILE,
	COUNT_KILLS,
	COUNT_WAKES,
	NR_COUNTS
};

long test_count(enum test_count c);
int env_transport(void);		/* $KIPC_TRANSPORT, 0 if auto/unset */
bool have_dev(void);			/* /dev/kipc is there */
const char *new_name(void);		/* unique listener name, static buffer */
int64_t now_ns(void);

/* Deterministic pseudo-random numbers (xorshift64*). */
static inline uint64_t rnd_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Processes */
pid_t spawn(void (*fn)(void *), void *arg);
int reap(pid_t pid, int timeout_ms);	/* exit code, 128+sig, -1 on timeout */
void pin_cpu(int cpu);

/* A connected pair inside one process (a thread accepts). */
struct pair {
	struct kipc_listener *l;
	struct kipc_conn *s;	/* server side */
	struct kipc_conn *c;	/* client side */
	char name[64];
};

void opts_init(struct kipc_opts *o);
void pair_open(struct pair *p, const struct kipc_opts *lopts,
	       const struct kipc_opts *copts);
void pair_close(struct pair *p);
struct kipc_conn *accept_one(struct kipc_listener *l, int timeout_ms);
struct kipc_conn *connect_retry(const char *name, const struct kipc_opts *o,
				int timeout_ms);
bool ring_transport(struct kipc_conn *c);
void check_transport(struct kipc_conn *c);	/* the one $KIPC_TRANSPORT asks */
bool dev_client(void);			/* a client here connects over dev */

/* Messages */
#define T_MS		20000	/* per-call limit: a hang fails, never stalls */
#define POOL_SIZE	(2U << 20)

extern uint8_t *pool;			/* POOL_SIZE random bytes */
void pool_init(void);

/* A message of a stream: its length in [lo, hi] and its bytes (in pool). */
struct msgspec {
	uint32_t len;
	const uint8_t *data;
};

struct msgspec msg_of(uint64_t *s, uint32_t lo, uint32_t hi);
void send_ok(struct kipc_conn *c, const void *b, size_t len);
void recv_is(struct kipc_conn *c, const void *want, size_t len);
void recv_eos(struct kipc_conn *c);
void sleep_ms(int ms);

/* A child's arguments: the name it connects to, and what it does there. */
struct name_arg {
	char name[64];
	long n;
	int mode;
	uint32_t ring;
};

/* A client child: connects to na->name, sends "hi", waits for the end. */
void listener_child(void *na);

/* The driver's test hook: run @child (in a child process) against a driver
 * that hides feature @bit; skips without /dev/kipc or the parameter.
 */
#define KIPC_PARAM_MASK	"/sys/module/kipc/parameters/feature_mask"
void with_feature_hidden(uint64_t bit, void (*child)(void *));

#endif
