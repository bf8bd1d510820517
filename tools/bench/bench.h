/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc bench: the engine shared by the driver program, the mechanisms and
 * the exec'd helpers (the Boost one is C++, hence the extern "C").
 *
 * A run measures one mechanism, in one mode, at one message size, for one
 * workload. The parent sets the mechanism up, forks role A and role B (each
 * pinned to its own CPU), and reads the outcome from a shared control block.
 */
#ifndef KIPC_BENCH_H
#define KIPC_BENCH_H

#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#define BENCH_ATOMIC(t) t
#else
#include <stdatomic.h>
#define BENCH_ATOMIC(t) _Atomic t
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_HAVE_TSC 1
#endif

#define BENCH_CACHELINE		64
/* kipc's rings in the bench (per direction, while that carries the
 * message) and the area the ring floor moves through. */
#define BENCH_RING_BYTES	(256u << 10)
#define BENCH_ERRLEN		256
#define BENCH_XCHG_LEN		512

/* Modes a mechanism can be measured in. */
#define BENCH_MODE_POLL		(1u << 0)	/* the waiting side spins */
#define BENCH_MODE_BLOCK	(1u << 1)	/* the waiting side sleeps in the kernel */
#define BENCH_MODE_ADAPT	(1u << 2)	/* spins for a while, then sleeps (kipc's default) */
#define BENCH_MODE_LAST		BENCH_MODE_ADAPT

/* Workloads. */
#define BENCH_LATENCY		(1u << 0)	/* ping-pong round trips */
#define BENCH_STREAM		(1u << 1)	/* one-way streaming */

/* Role A is the client (latency) or sender (stream); role B the other. */
#define BENCH_ROLE_A		0
#define BENCH_ROLE_B		1
#define BENCH_ROLE_PARENT	2

/* Payload direction, so that a reply cannot be an echo of the request. */
#define BENCH_DIR_AB		0
#define BENCH_DIR_BA		1

/*
 * KIPC_BENCH_FAULT=corrupt|drop: the receiver damages or skips one message,
 * to prove that validation catches it (a run must then fail).
 */
#define BENCH_FAULT_NONE	0
#define BENCH_FAULT_CORRUPT	1
#define BENCH_FAULT_DROP	2	/* stream workload only */

#define BENCH_CLOCK_MONO	0
#define BENCH_CLOCK_TSC		1

/* Everything a run's processes need; lives in the shared control block. */
struct bench_params {
	uint64_t size;			/* bytes per message, a multiple of 8 */
	uint64_t iterations;		/* measured round trips / messages */
	uint64_t warmup;		/* unmeasured ones before them */
	uint32_t workload;		/* BENCH_LATENCY or BENCH_STREAM */
	uint32_t mode;			/* BENCH_MODE_POLL or BENCH_MODE_BLOCK */
	uint32_t full_verify;		/* write and check every word, not one per line */
	uint32_t clock;			/* BENCH_CLOCK_* */
	uint32_t spin_yield;		/* spinning yields: one CPU, or --check (no timing) */
	uint32_t run_id;
	uint32_t fault;			/* BENCH_FAULT_*: self-test of the validation */
	uint32_t spin_ns;		/* BENCH_MODE_ADAPT's spin budget; 0: the mechanism's default */
	char tmpdir[200];		/* private directory for paths (removed at exit) */
	char prefix[64];		/* unique prefix for named kernel objects */
};

struct bench_role_state {
	BENCH_ATOMIC(uint32_t) arrived;	/* barrier generation this role reached */
	BENCH_ATOMIC(uint32_t) done;	/* role finished (status valid) */
	int32_t status;			/* 0 or -1 */
	uint32_t fail_seq;		/* order in which the roles failed: 1 first */
	uint32_t xchg_len;
	BENCH_ATOMIC(uint32_t) xchg_ready;
	uint64_t t_begin, t_end;	/* clock units; stream receiver only */
	uint64_t messages;		/* messages this role validated */
	/* CPU time this process used over the measured part, and the wall time of that part */
	uint64_t cpu_ns, cpu_wall_ns;
	char xchg[BENCH_XCHG_LEN];	/* bench_exchange() payload */
	char error[BENCH_ERRLEN];
	char info[BENCH_ERRLEN];	/* bench_info(): a note on a run that worked */
};

/* Shared between the parent and both roles (MAP_SHARED memfd). */
struct bench_ctl {
	struct bench_params p;
	char parent_error[BENCH_ERRLEN];
	char mech_shared[1024];		/* set by setup(), read by the roles */
	BENCH_ATOMIC(uint32_t) failures;
	struct bench_role_state role[2];
	uint64_t nsamples;
	uint64_t samples[];		/* latency, clock units, written by role A */
};

/* One run of a mechanism as each process sees it. */
struct bench_run {
	const struct bench_mech *mech;
	struct bench_ctl *ctl;
	const struct bench_params *p;	/* &ctl->p */
	int role;			/* BENCH_ROLE_* */
	char *error;			/* where bench_fail() writes for this process */
	void *priv;			/* mech->priv_size bytes, zeroed; set up by setup() */
	void *env;			/* what start() kept, e.g. a daemon's address */
};

/* Per-mechanism state kept between runs (daemons). */
struct bench_mech_env {
	void *state;
	char error[BENCH_ERRLEN];
	const char *tmpdir;
};

/*
 * A mechanism. Either send/recv (copying) or the *_loan pairs (in-place,
 * for zero-copy designs) must be provided; the workload treats both alike.
 * All int-returning hooks return 0, or -1 with bench_fail() having said why.
 * setup() and start() may return 1 to skip, with the reason as the error.
 */
struct bench_mech {
	const char *name;		/* --only takes these */
	const char *group;		/* floor, pipes, sockets, mqueue, shm, io_uring, bus, middleware, kipc */
	const char *summary;
	unsigned int modes;		/* BENCH_MODE_* it supports */
	unsigned int default_modes;	/* of those, what runs without --modes; 0: all */
	unsigned int workloads;		/* BENCH_LATENCY / BENCH_STREAM it supports */
	size_t priv_size;
	const char *helper;		/* program both roles exec, next to kipc-bench */

	/* NULL when usable, else why not and how to fix it (e.g. what to install). */
	const char *(*available)(void);
	/* NULL when the size is supported, else a note (written into why). */
	const char *(*size_unsupported)(uint64_t size, char *why, size_t len);

	int (*start)(struct bench_mech_env *env);	/* parent, once per mechanism */
	void (*stop)(struct bench_mech_env *env);
	int (*setup)(struct bench_run *r);		/* parent, before the fork */
	void (*teardown)(struct bench_run *r);		/* parent, after both roles ended */
	int (*attach)(struct bench_run *r);		/* each role, after the fork */
	void (*detach)(struct bench_run *r);		/* each role, after the workload */

	int (*send)(struct bench_run *r, const void *buf, size_t len);
	int (*recv)(struct bench_run *r, void *buf, size_t len);
	void *(*send_loan)(struct bench_run *r, size_t len);
	int (*send_commit)(struct bench_run *r, void *buf, size_t len);
	const void *(*recv_loan)(struct bench_run *r, size_t len);
	int (*recv_release)(struct bench_run *r, const void *buf);
	/* Publish anything batched; called after the last streamed message. */
	int (*flush)(struct bench_run *r);
};

/* registry.c */
extern const struct bench_mech *const bench_mechs[];
const struct bench_mech *bench_find_mech(const char *name);

/* Errors: write into r->error, return -1. */
int bench_fail(struct bench_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A note for the report on a run that worked (e.g. a fallback taken). */
void bench_info(struct bench_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int bench_errf(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int bench_verrf(char *buf, const char *fmt, va_list ap);

/* Clock (clock.c). */
static inline uint64_t bench_now(const struct bench_params *p)
{
#ifdef BENCH_HAVE_TSC
	if (p->clock == BENCH_CLOCK_TSC) {
		_mm_lfence();
		return __rdtsc();
	}
#endif
	struct timespec ts;

	(void)p;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
uint64_t bench_mono_ns(void);
/* Nanoseconds per TSC tick, or 0 when the TSC cannot be trusted. */
double bench_tsc_calibrate(char *why, size_t len);

/* Spinning (spin.c). */
static inline void bench_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* One iteration of a busy-wait; yields when told to (see spin_yield). */
static inline void bench_spin(const struct bench_run *r)
{
	bench_cpu_relax();
	if (r->p->spin_yield)
		sched_yield();
}

/* Payload (payload.c): every message is a function of (seq, direction). */
void bench_payload_write(void *buf, size_t size, uint64_t seq, int dir, bool full);
int bench_payload_check(struct bench_run *r, const void *buf, size_t size,
			uint64_t seq, int dir, bool full);
static inline uint64_t bench_payload_word0(uint64_t seq, int dir)
{
	/* splitmix64's finaliser: a bijection, so consecutive messages differ */
	uint64_t z = seq * 2 + (uint64_t)dir + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Role-side helpers (role.c). */
/* Both roles reach point 'gen' (1, 2, ...) or one fails/times out. */
int bench_barrier(struct bench_run *r, uint32_t gen);
/* Hand 'len' bytes to the peer and receive what it handed us. */
int bench_exchange(struct bench_run *r, const void *mine, size_t len,
		   void *peer, size_t peer_len);
/* The body of a role process: attach, barrier, workload, barrier, detach. */
int bench_role_main(const struct bench_mech *m, struct bench_run *r);
/* main() of an exec'd helper: maps the control block named on its argv. */
int bench_helper_main(const struct bench_mech *m, int argc, char **argv);

/* Small fd helpers (fdio.c). */
int bench_write_full(struct bench_run *r, int fd, const void *buf, size_t len);
int bench_read_full(struct bench_run *r, int fd, void *buf, size_t len);
int bench_send_msg(struct bench_run *r, int fd, const void *buf, size_t len);
int bench_recv_msg(struct bench_run *r, int fd, void *buf, size_t len);
/*
 * Pass an fd to the peer: SCM_RIGHTS, or where the kernel refuses that fd
 * type (io_uring, Linux 6.7+) our pid and fd number for pidfd_getfd().
 * send returns 0 (SCM_RIGHTS) or 1 (pidfd offer); recv returns the fd.
 */
int bench_send_fd(struct bench_run *r, int sock, int fd);
int bench_recv_fd(struct bench_run *r, int sock, bool *via_pidfd);
long bench_read_sysctl(const char *path);

/* Shared anonymous memory, inherited across fork and prefaulted by each role (shared_mem.c). */
void *bench_shared_alloc(struct bench_run *r, size_t bytes);
void bench_shared_prefault(void *mem, size_t bytes);

/* Parent-side services (cleanup.c). */
extern bool bench_in_child;
const char *bench_tmpdir(void);
/* Spawn a daemon; it is stopped at exit even if we fail. */
int bench_daemon_spawn(char *const argv[], const char *log_path, int keep_fd,
		       pid_t *pid_out, char *err);
void bench_daemon_stop(pid_t pid, double grace_s);
/* Children of the parent must start with this. */
void bench_child_prepare(void);

#ifdef __cplusplus
}
#endif
#endif
