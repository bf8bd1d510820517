/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kipc selftests: opening and binding /dev/kipc fds,
 * mapping both views of a connection, moving messages with the ring
 * protocol of kipc_ring.h, and bounded waits (every wait here ends with an
 * error after a timeout, so a driver bug fails a test instead of hanging
 * it). Header-only so each test stays one self-contained binary.
 *
 * Children forked by a test report through their exit status and never use
 * the harness's ASSERT_*(), which would longjmp in the wrong process.
 */
#ifndef KIPC_TEST_H
#define KIPC_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kipc.h>
#include "kipc_ring.h"

/* The 6.1 harness is not -Wextra clean: an unused handler parameter, its
 * ASSERT_*()/EXPECT_*() compare expected and seen values as typed (which
 * -Wsign-compare flags at every use with a literal), and its setjmp()
 * around inlined test bodies draws -Wclobbered for the macros' temporaries.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#define KT_DEV		"/dev/kipc"
#define KT_PROC		"/proc/driver/kipc"
#define KT_PARAMS	"/sys/module/kipc/parameters"

/* Bound for anything that must happen "soon". Generous: under TCG a
 * context switch can take milliseconds. KIPC_TEST_WAIT_MS overrides it.
 */
#define KT_WAIT_MS_DEFAULT	10000

static inline int kt_wait_ms(void)
{
	const char *s = getenv("KIPC_TEST_WAIT_MS");
	int v = s ? atoi(s) : 0;

	return v > 0 ? v : KT_WAIT_MS_DEFAULT;
}

/* kselftest convention: the whole binary is skipped (exit 4) when the
 * driver is not loaded.
 */
static void __attribute__((constructor)) kt_require_device(void)
{
	if (access(KT_DEV, F_OK)) {
		ksft_print_header();
		ksft_exit_skip("%s absent (kipc.ko not loaded)\n", KT_DEV);
	}
}

/* ------------------------------------------------------------------ */
/* Time, randomness                                                    */

static inline uint64_t kt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline uint64_t kt_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Seed from KIPC_TEST_SEED, else from the clock; tests log it so a failure
 * can be replayed.
 */
static inline uint64_t kt_seed(void)
{
	const char *s = getenv("KIPC_TEST_SEED");

	return s ? strtoull(s, NULL, 0) : kt_now_ns() ^ ((uint64_t)getpid() << 32);
}

static inline uint64_t kt_env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

/* ------------------------------------------------------------------ */
/* ioctl wrappers: 0 / new fd on success, -errno on failure            */

static inline int kt_open(void)
{
	int fd = open(KT_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int kt_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* A name unique to this process and call, padded with zeros as the ABI
 * requires.
 */
static inline void kt_name(char name[KIPC_NAME_MAX], const char *tag)
{
	static unsigned int seq;

	memset(name, 0, KIPC_NAME_MAX);
	snprintf(name, KIPC_NAME_MAX, "kt-%d-%u-%s", (int)getpid(), seq++, tag);
}

static inline void kt_copy_name(char dst[KIPC_NAME_MAX], const char *src)
{
	size_t n = strnlen(src, KIPC_NAME_MAX - 1);

	memset(dst, 0, KIPC_NAME_MAX);
	memcpy(dst, src, n);
}

static inline int kt_version(int fd, struct kipc_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return kt_ioctl(fd, KIPC_IOC_VERSION, v);
}

static inline int kt_listen(int fd, const char *name, uint32_t mode,
			    uint32_t ring_c2s, uint32_t ring_s2c,
			    uint32_t backlog)
{
	struct kipc_listen l = {
		.size = sizeof(l),
		.mode = mode,
		.backlog = backlog,
		.ring_bytes = { ring_c2s, ring_s2c },
	};

	kt_copy_name(l.name, name);
	return kt_ioctl(fd, KIPC_IOC_LISTEN, &l);
}

static inline int kt_new_listener(const char *name, uint32_t mode,
				  uint32_t ring_c2s, uint32_t ring_s2c,
				  uint32_t backlog)
{
	int fd = kt_open(), ret;

	if (fd < 0)
		return fd;
	ret = kt_listen(fd, name, mode, ring_c2s, ring_s2c, backlog);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static inline int kt_connect(int fd, const char *name, uint32_t flags)
{
	struct kipc_connect c = { .size = sizeof(c), .flags = flags };

	kt_copy_name(c.name, name);
	return kt_ioctl(fd, KIPC_IOC_CONNECT, &c);
}

static inline int kt_new_client(const char *name, uint32_t flags)
{
	int fd = kt_open(), ret;

	if (fd < 0)
		return fd;
	ret = kt_connect(fd, name, flags);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static inline int kt_accept(int lfd, uint32_t flags, struct kipc_peer *peer)
{
	struct kipc_accept a = { .size = sizeof(a), .flags = flags, .fd = -1 };
	int ret = kt_ioctl(lfd, KIPC_IOC_ACCEPT, &a);

	if (ret)
		return ret;
	if (peer)
		*peer = a.peer;
	return a.fd;
}

static inline int kt_conn_info(int fd, struct kipc_conn_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->size = sizeof(*ci);
	return kt_ioctl(fd, KIPC_IOC_CONN_INFO, ci);
}

static inline int kt_set_eventfd(int fd, int efd)
{
	struct kipc_eventfd e = { .size = sizeof(e), .fd = efd };

	return kt_ioctl(fd, KIPC_IOC_SET_EVENTFD, &e);
}

static inline int kt_kick(int fd)
{
	return ioctl(fd, KIPC_IOC_KICK, 0) ? -errno : 0;
}

static inline uint32_t kt_page(void)
{
	return (uint32_t)sysconf(_SC_PAGESIZE);
}

/* ------------------------------------------------------------------ */
/* A listener with one accepted connection, all in this process        */

struct kt_pair {
	int lfd;		/* listener */
	int cfd;		/* client side */
	int sfd;		/* server side */
	char name[KIPC_NAME_MAX];
};

static inline void kt_pair_init(struct kt_pair *p)
{
	memset(p, 0, sizeof(*p));
	p->lfd = p->cfd = p->sfd = -1;
}

static inline void kt_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static inline void kt_pair_close(struct kt_pair *p)
{
	kt_close(&p->cfd);
	kt_close(&p->sfd);
	kt_close(&p->lfd);
}

/* Returns 0 or the -errno of the step that failed (fds opened so far stay
 * in *p for kt_pair_close()).
 */
static inline int kt_pair_open(struct kt_pair *p, uint32_t ring_c2s,
			       uint32_t ring_s2c)
{
	int ret;

	kt_pair_init(p);
	kt_name(p->name, "pair");
	ret = kt_new_listener(p->name, 0600, ring_c2s, ring_s2c, 0);
	if (ret < 0)
		return ret;
	p->lfd = ret;
	ret = kt_new_client(p->name, 0);
	if (ret < 0)
		return ret;
	p->cfd = ret;
	ret = kt_accept(p->lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	if (ret < 0)
		return ret;
	p->sfd = ret;
	return 0;
}

/* ------------------------------------------------------------------ */
/* One mapped side of a connection                                     */

struct kt_end {
	int fd;
	unsigned int side;
	struct kipc_conn_info info;
	uint8_t *shared;	/* KIPC_MMAP_SHARED view, read-only */
	size_t shared_len;
	uint8_t *own;		/* KIPC_MMAP_OWN view, read-write */
	size_t own_len;
	struct kipc_shared_hdr hdr;	/* validated copy */
	struct kipc_ring tx;	/* ring[side] */
	struct kipc_ring rx;	/* ring[1 - side] */
};

static inline void kt_end_unmap(struct kt_end *e)
{
	if (e->shared && e->shared != MAP_FAILED)
		munmap(e->shared, e->shared_len);
	if (e->own && e->own != MAP_FAILED)
		munmap(e->own, e->own_len);
	e->shared = NULL;
	e->own = NULL;
}

/* Map both views of connection fd @fd, validate the header with
 * kipc_hdr_check() and set up the two rings. Returns 0 or -errno
 * (-EPROTO/-EBADMSG for a header that fails the check).
 */
static inline int kt_end_map_formats(struct kt_end *e, int fd,
				     uint64_t known);

static inline int kt_end_map(struct kt_end *e, int fd)
{
	return kt_end_map_formats(e, fd, 0 /* asked for no ring format */);
}

/* As kt_end_map(), for a connection that may use ring formats @known. */
static inline int kt_end_map_formats(struct kt_end *e, int fd,
				     uint64_t known)
{
	struct kipc_index_page *idx;
	unsigned int s;
	int ret;

	memset(e, 0, sizeof(*e));
	e->fd = fd;
	ret = kt_conn_info(fd, &e->info);
	if (ret)
		return ret;
	e->side = s = e->info.side;
	if (s > 1)
		return -EBADMSG;
	e->shared_len = e->info.shared_map_bytes;
	e->own_len = e->info.own_map_bytes;
	e->shared = mmap(NULL, e->shared_len, PROT_READ, MAP_SHARED, fd,
			 KIPC_MMAP_SHARED);
	if (e->shared == MAP_FAILED) {
		ret = -errno;
		e->shared = NULL;
		return ret;
	}
	e->own = mmap(NULL, e->own_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, KIPC_MMAP_OWN);
	if (e->own == MAP_FAILED) {
		ret = -errno;
		e->own = NULL;
		kt_end_unmap(e);
		return ret;
	}
	ret = kipc_hdr_check((const struct kipc_shared_hdr *)e->shared,
			     e->shared_len, e->own_len, s, known, &e->hdr);
	if (ret) {
		kt_end_unmap(e);
		return ret;
	}
	idx = (struct kipc_index_page *)e->own;
	/* We produce ring s: payload and head through the own view, the
	 * consumer's tail read through the shared view.
	 */
	kipc_ring_init(&e->tx, e->own + e->hdr.own_data_off,
		       e->hdr.ring[s].size, &idx->prod,
		       (struct kipc_cons *)(e->shared + e->hdr.ring[s].cons_off));
	/* We consume ring 1 - s: payload and head read-only, tail ours. */
	kipc_ring_init(&e->rx, e->shared + e->hdr.ring[1 - s].data_off,
		       e->hdr.ring[1 - s].size,
		       (struct kipc_prod *)(e->shared + e->hdr.ring[1 - s].prod_off),
		       &idx->cons);
	kipc_ring_set_format(&e->tx, e->hdr.features);
	kipc_ring_set_format(&e->rx, e->hdr.features);
	return 0;
}

static inline uint32_t kt_peer_gone_bit(unsigned int side)
{
	return side == KIPC_SIDE_CLIENT ? KIPC_STATE_SERVER_GONE :
					  KIPC_STATE_CLIENT_GONE;
}

static inline uint32_t kt_end_state(const struct kt_end *e)
{
	return kipc_hdr_state((const struct kipc_shared_hdr *)e->shared);
}

static inline bool kt_end_peer_gone(const struct kt_end *e)
{
	return kt_end_state(e) & kt_peer_gone_bit(e->side);
}

/* poll() one fd: revents, 0 on timeout, -errno. EINTR is retried with the
 * remaining time. A poll that only found its event when its timeout
 * expired (poll re-checks every fd once more then) counts as a timeout:
 * nothing woke it, so a wake-up was lost.
 */
static inline int kt_poll1(int fd, short events, int timeout_ms)
{
	uint64_t end = kt_now_ns() + (uint64_t)timeout_ms * 1000000;
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	for (;;) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret > 0 && timeout_ms > 0 && kt_now_ns() >= end)
			return 0;
		if (ret >= 0)
			return ret ? pfd.revents : 0;
		if (errno != EINTR)
			return -errno;
		if (timeout_ms > 0) {
			uint64_t now = kt_now_ns();

			timeout_ms = now >= end ? 0 : (int)((end - now) / 1000000);
		}
	}
}

/* Reserve @len bytes on the tx ring, sleeping through the doorbell while
 * it is full. Returns 0, -ETIMEDOUT (no wake-up within @timeout_ms: lost
 * wake-up or stuck peer), -EPIPE (peer gone while waiting), -EMSGSIZE or
 * -EBADMSG.
 */
static inline int kt_reserve_wait(struct kt_end *e, uint32_t len,
				  void **payload, int timeout_ms)
{
	uint64_t end = kt_now_ns() + (uint64_t)timeout_ms * 1000000;
	int ret, rev;

	for (;;) {
		ret = kipc_ring_reserve(&e->tx, len, payload);
		if (ret != -EAGAIN)
			return ret;
		ret = kipc_ring_prod_prepare_wait(&e->tx, len);
		if (ret < 0)
			return ret;
		if (ret == 1)
			continue;
		/* Woken again and again without room: give up in time. */
		if (kt_now_ns() > end) {
			kipc_ring_prod_finish_wait(&e->tx);
			return -ETIMEDOUT;
		}
		rev = kt_poll1(e->fd, POLLOUT, timeout_ms);
		kipc_ring_prod_finish_wait(&e->tx);
		if (rev < 0)
			return rev;
		if (!rev)
			return -ETIMEDOUT;
		if (rev & (POLLHUP | POLLERR))
			return -EPIPE;
	}
}

/* Publish what was committed and ring the doorbell if the consumer waits.
 * A kick that finds the peer gone is not an error here: the next wait
 * reports it.
 */
static inline int kt_flush(struct kt_end *e)
{
	int ret;

	if (!kipc_ring_publish(&e->tx))
		return 0;
	if (!kipc_ring_prod_should_kick(&e->tx))
		return 0;
	ret = kt_kick(e->fd);
	return ret == -EPIPE ? 0 : ret;
}

static inline int kt_send(struct kt_end *e, const void *buf, uint32_t len,
			  int timeout_ms)
{
	void *p;
	int ret = kt_reserve_wait(e, len, &p, timeout_ms);

	if (ret)
		return ret;
	memcpy(p, buf, len);
	kipc_ring_commit(&e->tx);
	return kt_flush(e);
}

/* Find the next message, sleeping through the doorbell while the ring is
 * empty. Returns 0 with *payload and *len (valid until kt_recv_done()),
 * -EPIPE at end of stream (peer gone and every message it committed
 * read), -ETIMEDOUT, -EBADMSG, or -EPROTO for a POLLHUP that the header's
 * state does not confirm.
 */
static inline int kt_recv_wait(struct kt_end *e, const void **payload,
			       uint32_t *len, int timeout_ms)
{
	uint64_t end = kt_now_ns() + (uint64_t)timeout_ms * 1000000;
	bool hup = false;
	int ret, rev;

	for (;;) {
		ret = kipc_ring_peek(&e->rx, payload, len);
		if (ret != -EAGAIN)
			return ret;
		if (hup && !kt_end_peer_gone(e))
			return -EPROTO;
		if (kt_end_peer_gone(e)) {
			/* The acquire on state makes every head the peer ever
			 * published visible: one more look, then EOF.
			 */
			ret = kipc_ring_peek(&e->rx, payload, len);
			return ret == -EAGAIN ? -EPIPE : ret;
		}
		ret = kipc_ring_cons_prepare_wait(&e->rx);
		if (ret < 0)
			return ret;
		if (ret == 1)
			continue;
		/* Woken again and again without data: give up in time. */
		if (kt_now_ns() > end) {
			kipc_ring_cons_finish_wait(&e->rx);
			return -ETIMEDOUT;
		}
		rev = kt_poll1(e->fd, POLLIN, timeout_ms);
		kipc_ring_cons_finish_wait(&e->rx);
		if (rev < 0)
			return rev;
		if (!rev)
			return -ETIMEDOUT;
		hup = rev & POLLHUP;
	}
}

/* Consume the message from kt_recv_wait() and hand its room back, kicking
 * the producer if it waits for that room.
 */
static inline int kt_recv_done(struct kt_end *e)
{
	int ret;

	kipc_ring_consume(&e->rx);
	if (!kipc_ring_release(&e->rx))
		return 0;
	if (!kipc_ring_cons_should_kick(&e->rx))
		return 0;
	ret = kt_kick(e->fd);
	return ret == -EPIPE ? 0 : ret;
}

static inline int kt_recv(struct kt_end *e, void *buf, uint32_t cap,
			  uint32_t *len, int timeout_ms)
{
	const void *p;
	int ret = kt_recv_wait(e, &p, len, timeout_ms);

	if (ret)
		return ret;
	if (*len > cap)
		return -EMSGSIZE;
	memcpy(buf, p, *len);
	return kt_recv_done(e);
}

/* Fill the tx ring with messages whose spans are exactly a quarter of the
 * ring, so that a full ring has no free byte left. Returns the number of
 * messages written.
 */
static inline int kt_fill_quarters(struct kt_end *e, int max_msgs)
{
	uint32_t len = e->tx.size / 4 - (uint32_t)sizeof(struct kipc_rec);
	int n = 0;
	void *p;

	while (n < max_msgs && !kipc_ring_reserve(&e->tx, len, &p)) {
		memset(p, n, len);
		kipc_ring_commit(&e->tx);
		n++;
	}
	kipc_ring_publish(&e->tx);
	return n;
}

/* ------------------------------------------------------------------ */
/* Checked streams: message @seq is { seq, checksum } then a body       */
/* derived from seq, so a reader can tell loss, reordering and          */
/* corruption apart from end of stream.                                 */

static inline uint32_t kt_stream_len(uint64_t seq)
{
	return 16 + (uint32_t)((seq * 2654435761u) % 241);
}

static inline uint64_t kt_stream_sum(uint64_t seq, const uint8_t *body,
				     uint32_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seq;
	uint32_t i;

	for (i = 0; i < n; i++)
		h = (h ^ body[i]) * 0x100000001b3ull;
	return h;
}

static inline void kt_stream_fill(uint8_t *p, uint64_t seq, uint32_t len)
{
	uint64_t sum;
	uint32_t i;

	for (i = 16; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i * 7);
	sum = kt_stream_sum(seq, p + 16, len - 16);
	memcpy(p, &seq, 8);
	memcpy(p + 8, &sum, 8);
}

/* 0 if @p is message @seq, else a reason code. */
static inline int kt_stream_check(const uint8_t *p, uint32_t len,
				  uint64_t seq)
{
	uint64_t got_seq, got_sum;

	if (len != kt_stream_len(seq))
		return 1;
	memcpy(&got_seq, p, 8);
	memcpy(&got_sum, p + 8, 8);
	if (got_seq != seq)
		return 2;
	if (got_sum != kt_stream_sum(seq, p + 16, len - 16))
		return 3;
	return 0;
}

/* Written by the streaming processes (in shared memory), read by the test
 * after a kill.
 */
struct kt_progress {
	uint64_t attempted;	/* committed, set just before publishing */
	uint64_t published;	/* set just after publishing */
	uint64_t received;
	uint64_t bad;		/* 1 + seq of a corrupt message, else 0 */
	int error;		/* -errno that stopped a stream */
};

/* Stream until an error (a reader killed: -EPIPE). Never returns 0. */
static inline int kt_stream_write(struct kt_end *e, struct kt_progress *pr,
				  int wait_ms)
{
	uint64_t seq;
	void *p;
	int ret;

	for (seq = 0;; seq++) {
		uint32_t len = kt_stream_len(seq);

		ret = kt_reserve_wait(e, len, &p, wait_ms);
		if (ret)
			return ret;
		kt_stream_fill(p, seq, len);
		kipc_ring_commit(&e->tx);
		__atomic_store_n(&pr->attempted, seq + 1, __ATOMIC_SEQ_CST);
		ret = kt_flush(e);
		__atomic_store_n(&pr->published, seq + 1, __ATOMIC_SEQ_CST);
		if (ret)
			return ret;
	}
}

/* Read and check until end of stream (-EPIPE) or an error. */
static inline int kt_stream_read(struct kt_end *e, struct kt_progress *pr,
				 int wait_ms)
{
	const void *p;
	uint32_t len;
	int ret;

	for (;;) {
		uint64_t seq = pr->received;

		ret = kt_recv_wait(e, &p, &len, wait_ms);
		if (ret)
			return ret;
		if (kt_stream_check(p, len, seq)) {
			pr->bad = seq + 1;
			return -EBADMSG;
		}
		__atomic_store_n(&pr->received, seq + 1, __ATOMIC_SEQ_CST);
		ret = kt_recv_done(e);
		if (ret)
			return ret;
	}
}

/* ------------------------------------------------------------------ */
/* Processes and threads                                               */

/* fork() a child that dies with the test process, so a failing test
 * leaves nothing holding kipc fds. Returns the pid in the parent, 0 in the
 * child, -errno on failure.
 */
static inline pid_t kt_fork(void)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
	}
	return pid;
}

/* Wait for @pid for at most @timeout_ms; on timeout it is killed and
 * -ETIMEDOUT returned, else its wait status (>= 0).
 */
static inline int kt_wait_pid(pid_t pid, int timeout_ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int status, rev = 1;

	if (pidfd >= 0) {
		rev = kt_poll1(pidfd, POLLIN, timeout_ms);
		close(pidfd);
	}
	if (rev <= 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -ETIMEDOUT;
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return status;
}

/* Exit code of a child that exited normally, -1000 - signal if killed,
 * -ETIMEDOUT.
 */
static inline int kt_wait_exit(pid_t pid, int timeout_ms)
{
	int st = kt_wait_pid(pid, timeout_ms);

	if (st < 0)
		return st;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return -1000 - WTERMSIG(st);
	return -EINVAL;
}

/* Scheduler state letter of a task (R, S, D, ...), '?' if unreadable. */
static inline char kt_task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Wait (bounded) until a task sleeps, i.e. has entered the blocking call
 * it announced just before. Used to make sure a wake-up is tested, not a
 * condition that was already true. Returns 0 or -ETIMEDOUT.
 */
static inline int kt_wait_sleeping(pid_t pid, pid_t tid, int timeout_ms)
{
	uint64_t end = kt_now_ns() + (uint64_t)timeout_ms * 1000000;
	struct timespec nap = { 0, 200000 };

	for (;;) {
		char s = kt_task_state(pid, tid);

		if (s == 'S' || s == 'D')
			return 0;
		if (kt_now_ns() > end)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

static inline pid_t kt_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* A blocking call run in a thread of the test process, so that the test
 * can check that it sleeps and that the right event wakes it.
 */
struct kt_bg {
	pthread_t th;
	int (*fn)(struct kt_bg *bg);
	int fd;
	short events;		/* for kt_bg_poll */
	int timeout_ms;
	void *arg;
	int ret;
	pid_t tid;
};

static void *kt_bg_main(void *p)
{
	struct kt_bg *bg = p;

	__atomic_store_n(&bg->tid, kt_gettid(), __ATOMIC_RELEASE);
	bg->ret = bg->fn(bg);
	return NULL;
}

/* Start @bg and wait (bounded) until it sleeps in its call. */
static inline int kt_bg_start(struct kt_bg *bg)
{
	uint64_t end = kt_now_ns() + (uint64_t)kt_wait_ms() * 1000000;
	struct timespec nap = { 0, 100000 };
	int ret;

	bg->tid = 0;
	bg->ret = -EINPROGRESS;
	ret = pthread_create(&bg->th, NULL, kt_bg_main, bg);
	if (ret)
		return -ret;
	while (!__atomic_load_n(&bg->tid, __ATOMIC_ACQUIRE)) {
		if (kt_now_ns() > end)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
	return kt_wait_sleeping(getpid(), bg->tid, kt_wait_ms());
}

/* Join @bg within @timeout_ms: its return value, or -ETIMEDOUT if it is
 * still blocked (a missed wake-up).
 */
static inline int kt_bg_join(struct kt_bg *bg, int timeout_ms)
{
	struct timespec ts;
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	ret = pthread_timedjoin_np(bg->th, NULL, &ts);
	if (ret)
		return -ETIMEDOUT;
	return bg->ret;
}

/* Ready-made bodies: poll, blocking ACCEPT, blocking CONNECT. */
static inline int kt_bg_poll(struct kt_bg *bg)
{
	return kt_poll1(bg->fd, bg->events, bg->timeout_ms);
}

static inline int kt_bg_accept(struct kt_bg *bg)
{
	return kt_accept(bg->fd, 0, bg->arg);
}

static inline int kt_bg_connect(struct kt_bg *bg)
{
	return kt_connect(bg->fd, bg->arg, 0);
}

/* Pipe-based handshakes between processes, bounded. */
static inline int kt_post(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -errno;
}

static inline int kt_expect(int fd, int timeout_ms)
{
	char c;
	int rev = kt_poll1(fd, POLLIN, timeout_ms);

	if (rev < 0)
		return rev;
	if (!rev)
		return -ETIMEDOUT;
	if (read(fd, &c, 1) != 1)
		return -EPIPE;
	return (unsigned char)c;
}

/* Drop to an unprivileged identity in a child (no capabilities left). */
static inline int kt_become(uid_t uid, gid_t gid, int ngroups,
			    const gid_t *groups)
{
	if (setgroups(ngroups, groups))
		return -errno;
	if (setresgid(gid, gid, gid))
		return -errno;
	if (setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Figures: what a suite tried and what happened, on KTAP comment lines  */
/* "# kipc-figure: suite=NAME key=value ..." that tools/reliability.sh  */
/* collects into docs/RELIABILITY.md.                                   */

/* The long forms (check-debug) run when KIPC_TEST_LONG is set non-zero;
 * each suite's own count variables still override.
 */
static inline bool kt_long(void)
{
	return kt_env_u64("KIPC_TEST_LONG", 0) != 0;
}

static inline void kt_figure(const char *suite, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void kt_figure(const char *suite, const char *fmt, ...)
{
	char rel[128] = "unknown";
	va_list ap;
	FILE *f = fopen("/proc/sys/kernel/osrelease", "re");

	if (f) {
		if (fscanf(f, "%127s", rel) != 1)
			strcpy(rel, "unknown");
		fclose(f);
	}
	fflush(stdout);
	printf("# kipc-figure: suite=%s ", suite);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" kernel=%s form=%s\n", rel, kt_long() ? "long" : "short");
	fflush(stdout);
}

static inline int kt_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The @pct-th percentile (nearest rank) of @n samples, sorted in place. */
static inline uint64_t kt_percentile(uint64_t *v, size_t n, unsigned int pct)
{
	size_t rank;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), kt_cmp_u64);
	rank = (n * pct + 99) / 100;
	return v[rank ? rank - 1 : 0];
}

static inline double kt_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* ------------------------------------------------------------------ */
/* /proc/driver/kipc and module parameters                             */

/* Value of the global counter line "key N"; -ENOENT if absent. */
static inline int kt_counter(const char *key, long long *val)
{
	char line[256], k[64];
	long long v;
	int ret = -ENOENT;
	FILE *f = fopen(KT_PROC, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld", k, &v) == 2 && !strcmp(k, key)) {
			*val = v;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static inline int kt_param_read(const char *name, unsigned long long *val)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), KT_PARAMS "/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ret = fscanf(f, "%llu", val) == 1 ? 0 : -EINVAL;
	fclose(f);
	return ret;
}

static inline int kt_param_write(const char *name, unsigned long long val)
{
	char path[128];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), KT_PARAMS "/%s", name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fprintf(f, "%llu\n", val) < 0)
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* Number of open fds of this process. */
static inline int kt_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* Highest open fd of this process. */
static inline int kt_max_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int max = -1, self_fd;

	if (!d)
		return -errno;
	self_fd = dirfd(d);
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd != self_fd && fd > max)
			max = fd;
	}
	closedir(d);
	return max;
}

/* A page that faults on any access, for EFAULT tests. */
static inline void *kt_noaccess_page(void)
{
	void *p = mmap(NULL, kt_page(), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

#endif /* KIPC_TEST_H */
