// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * bench_rt - libkipc's quick performance check against same-run baselines
 * (the targets). Two processes, pinned to CPUs 0 and 1, one clock
 * (CLOCK_MONOTONIC through the vDSO) for everything.
 *
 *   busy-poll round trip, 64 B:  kipc shm (KIPC_WAIT_SPIN) vs two cache
 *                                lines bounced between the processes
 *   blocking round trip, 64 B:   kipc shm (KIPC_WAIT_SLEEP) vs an eventfd
 *                                ping-pong and a UDS seqpacket ping-pong
 *   streaming, 64 B:             kipc shm (batched with KIPC_MORE, and one
 *                                publication per message) vs a bare
 *                                fixed-slot SPSC ring and UDS seqpacket
 *   1 MiB messages:              kipc shm copy API vs single-core memcpy
 *
 * Usage: bench_rt [-q] [-t dev|shm|uds] [SECTION...]
 *   -q        a quarter of the samples
 *   SECTION   rt, block, stream, big (default: all)
 * Every payload is checked on arrival (first and last word), so nothing wins
 * by not moving the bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kipc.h"
#include "kipc_ring.h"

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax()	__builtin_ia32_pause()
#else
#define cpu_relax()	__asm__ __volatile__("" ::: "memory")
#endif

static long rt_samples = 200000, stream_msgs = 20000000, big_msgs = 4000;
static unsigned int transport = KIPC_TRANSPORT_SHM;

static void die(const char *what, long err)
{
	fprintf(stderr, "bench_rt: %s: %s\n", what,
		err < 0 ? strerror((int)-err) : strerror(errno));
	exit(1);
}

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

struct lat {
	double p50, p99, mean;
};

static struct lat summarize(int64_t *s, long n)
{
	struct lat l;
	double sum = 0;
	long i;

	qsort(s, (size_t)n, sizeof(*s), cmp64);
	for (i = 0; i < n; i++)
		sum += (double)s[i];
	l.p50 = (double)s[n / 2];
	l.p99 = (double)s[(n * 99) / 100];
	l.mean = sum / (double)n;
	return l;
}

static pid_t child(void (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork", 0);
	if (!pid) {
		pin(1);
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("helper process failed", -EPROTO);
}

/* ------------------------------------------------------------------ */
/* Baselines                                                           */

struct lines {
	uint64_t ping __attribute__((aligned(128)));
	uint64_t pong __attribute__((aligned(128)));
};

static struct lines *lines;

static void floor_peer(void *a)
{
	long i, n = *(long *)a;

	for (i = 1; i <= n; i++) {
		while (__atomic_load_n(&lines->ping, __ATOMIC_ACQUIRE) != (uint64_t)i)
			cpu_relax();
		__atomic_store_n(&lines->pong, (uint64_t)i, __ATOMIC_RELEASE);
	}
}

static struct lat floor_rt(long n)
{
	int64_t *s = malloc(sizeof(*s) * (size_t)n), t0;
	long i;
	pid_t p;

	lines = mmap(NULL, sizeof(*lines), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memset(lines, 0, sizeof(*lines));
	p = child(floor_peer, &n);
	for (i = 1; i <= n; i++) {
		t0 = now_ns();
		__atomic_store_n(&lines->ping, (uint64_t)i, __ATOMIC_RELEASE);
		while (__atomic_load_n(&lines->pong, __ATOMIC_ACQUIRE) != (uint64_t)i)
			cpu_relax();
		s[i - 1] = now_ns() - t0;
	}
	reap(p);
	munmap(lines, sizeof(*lines));
	return summarize(s, n);
}

static int efd[2];

static void efd_peer(void *a)
{
	long i, n = *(long *)a;
	uint64_t v;

	for (i = 0; i < n; i++) {
		if (read(efd[0], &v, 8) != 8 || write(efd[1], &v, 8) != 8)
			die("eventfd", 0);
	}
}

static struct lat eventfd_rt(long n)
{
	int64_t *s = malloc(sizeof(*s) * (size_t)n), t0;
	uint64_t v = 1;
	long i;
	pid_t p;

	efd[0] = eventfd(0, 0);
	efd[1] = eventfd(0, 0);
	p = child(efd_peer, &n);
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		if (write(efd[0], &v, 8) != 8 || read(efd[1], &v, 8) != 8)
			die("eventfd", 0);
		s[i] = now_ns() - t0;
	}
	reap(p);
	close(efd[0]);
	close(efd[1]);
	return summarize(s, n);
}

static int sp[2];

static void uds_peer(void *a)
{
	long i, n = *(long *)a;
	char buf[64];

	close(sp[0]);
	for (i = 0; i < n; i++)
		if (recv(sp[1], buf, 64, 0) != 64 || send(sp[1], buf, 64, 0) != 64)
			die("uds", 0);
}

static struct lat uds_rt(long n)
{
	int64_t *s = malloc(sizeof(*s) * (size_t)n), t0;
	char buf[64] = { 1 };
	long i;
	pid_t p;

	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
	p = child(uds_peer, &n);
	close(sp[1]);
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		if (send(sp[0], buf, 64, 0) != 64 || recv(sp[0], buf, 64, 0) != 64)
			die("uds", 0);
		s[i] = now_ns() - t0;
	}
	reap(p);
	close(sp[0]);
	return summarize(s, n);
}

/* The ring protocol alone (kipc_ring.h, no library, no doorbell): what
 * the record layout itself costs on top of the floor.
 */
#define BARE_RING	65536
struct bare {
	struct kipc_prod prod[2];
	struct kipc_cons cons[2];
	uint8_t data[2][BARE_RING] __attribute__((aligned(4096)));
};

static struct bare *bare;

static void bare_rings(struct kipc_ring *tx, struct kipc_ring *rx, int side)
{
	kipc_ring_init(tx, bare->data[side], BARE_RING, &bare->prod[side],
		       &bare->cons[side]);
	kipc_ring_init(rx, bare->data[1 - side], BARE_RING,
		       &bare->prod[1 - side], &bare->cons[1 - side]);
}

static void bare_send(struct kipc_ring *r, const void *buf)
{
	void *p;

	while (kipc_ring_reserve(r, 64, &p))
		cpu_relax();
	memcpy(p, buf, 64);
	kipc_ring_commit(r);
	kipc_ring_publish(r);
}

static void bare_recv(struct kipc_ring *r, void *buf)
{
	const void *p;
	uint32_t len;

	while (kipc_ring_peek(r, &p, &len))
		cpu_relax();
	memcpy(buf, p, 64);
	kipc_ring_consume(r);
	kipc_ring_release(r);
}

static void bare_peer(void *a)
{
	struct kipc_ring tx, rx;
	long i, n = *(long *)a;
	uint8_t buf[64];

	bare_rings(&tx, &rx, 1);
	for (i = 0; i < n; i++) {
		bare_recv(&rx, buf);
		bare_send(&tx, buf);
	}
}

static struct lat bare_rt(long n)
{
	int64_t *s = malloc(sizeof(*s) * (size_t)n), t0;
	struct kipc_ring tx, rx;
	uint8_t buf[64] = { 0 };
	long i;
	pid_t p;

	bare = mmap(NULL, sizeof(*bare), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memset(bare, 0, sizeof(*bare));
	p = child(bare_peer, &n);
	bare_rings(&tx, &rx, 0);
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		bare_send(&tx, buf);
		bare_recv(&rx, buf);
		s[i] = now_ns() - t0;
	}
	reap(p);
	munmap(bare, sizeof(*bare));
	return summarize(s, n);
}

/* A bare SPSC ring of 64-byte slots: no framing, cached peer index,
 * head published per message (release), tail per message.
 */
#define SLOTS	1024
struct spsc {
	uint64_t head __attribute__((aligned(128)));
	uint64_t tail __attribute__((aligned(128)));
	uint8_t slot[SLOTS][64] __attribute__((aligned(128)));
};

static struct spsc *ring;

static void spsc_consumer(void *a)
{
	long n = *(long *)a;
	uint64_t tail = 0, head = 0, sum = 0;
	uint8_t out[64];

	while (tail < (uint64_t)n) {
		if (tail == head) {
			while ((head = __atomic_load_n(&ring->head,
						       __ATOMIC_ACQUIRE)) == tail)
				cpu_relax();
		}
		memcpy(out, ring->slot[tail % SLOTS], 64);
		sum += out[0] ^ out[63];
		tail++;
		__atomic_store_n(&ring->tail, tail, __ATOMIC_RELEASE);
	}
	if (sum == 12345)
		printf(" ");
}

static double spsc_stream(long n)
{
	uint64_t head = 0, tail = 0;
	uint8_t msg[64];
	int64_t t0;
	pid_t p;

	ring = mmap(NULL, sizeof(*ring), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memset(ring, 0, sizeof(*ring));
	memset(msg, 7, sizeof(msg));
	p = child(spsc_consumer, &n);
	t0 = now_ns();
	while (head < (uint64_t)n) {
		if (head - tail == SLOTS) {
			while (head - (tail = __atomic_load_n(&ring->tail,
					__ATOMIC_ACQUIRE)) == SLOTS)
				cpu_relax();
		}
		msg[0] = (uint8_t)head;
		memcpy(ring->slot[head % SLOTS], msg, 64);
		head++;
		__atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);
	}
	reap(p);
	munmap(ring, sizeof(*ring));
	return (double)n / ((now_ns() - t0) / 1e9);
}

static void uds_sink(void *a)
{
	long i, n = *(long *)a;
	char buf[64];

	close(sp[0]);
	for (i = 0; i < n; i++)
		if (recv(sp[1], buf, 64, 0) != 64)
			die("uds", 0);
}

static double uds_stream(long n)
{
	char buf[64] = { 1 };
	int64_t t0;
	long i;
	pid_t p;

	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
	p = child(uds_sink, &n);
	close(sp[1]);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (send(sp[0], buf, 64, 0) != 64)
			die("uds", 0);
	reap(p);
	close(sp[0]);
	return (double)n / ((now_ns() - t0) / 1e9);
}

/* Single-core memcpy bandwidth, 1 MiB at a time: from a 4 MiB source
 * cycled like the ring (what the receiver does), and cache-hot 1 MiB to
 * 1 MiB.
 */
static void memcpy_bw(double *ring_like, double *hot)
{
	size_t mib = 1 << 20;
	uint8_t *src = malloc(4 * mib), *dst = malloc(mib);
	int64_t t0;
	int i, n = 2000;

	memset(src, 3, 4 * mib);
	memset(dst, 4, mib);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		memcpy(dst, src + (size_t)(i % 3) * mib, mib);
		__asm__ __volatile__("" ::: "memory");
	}
	*ring_like = (double)n * mib / ((now_ns() - t0) / 1e9) / 1e9;
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		memcpy(dst, src, mib);
		__asm__ __volatile__("" ::: "memory");
	}
	*hot = (double)n * mib / ((now_ns() - t0) / 1e9) / 1e9;
	free(src);
	free(dst);
}

/* ------------------------------------------------------------------ */
/* kipc                                                                */

struct kargs {
	char name[64];
	long n;
	int policy;
	uint32_t ring;
	size_t len;
	int batch;
};

static struct kipc_conn *kconnect(struct kargs *k)
{
	struct kipc_opts o = KIPC_OPTS_INIT;
	struct kipc_conn *c;
	int ret, i;

	o.transport = transport;
	o.wait_policy = k->policy;
	for (i = 0; i < 10000; i++) {
		ret = kipc_connect(k->name, &o, &c);
		if (!ret)
			return c;
		if (ret != -ENOENT)
			break;
		usleep(1000);
	}
	die("kipc_connect", ret);
	return NULL;
}

static struct kipc_listener *klisten(struct kargs *k)
{
	struct kipc_opts o = KIPC_OPTS_INIT;
	struct kipc_listener *l;
	int ret;

	snprintf(k->name, sizeof(k->name), "bench.%d.%ld", (int)getpid(),
		 (long)now_ns());
	o.transport = transport;
	o.wait_policy = k->policy;
	o.ring_bytes = k->ring;
	ret = kipc_listen(k->name, &o, &l);
	if (ret)
		die("kipc_listen", ret);
	return l;
}

static struct kipc_conn *kaccept(struct kipc_listener *l)
{
	struct kipc_conn *c;
	int ret = kipc_accept(l, &c, 0);

	if (ret)
		die("kipc_accept", ret);
	return c;
}

static void kipc_echo(void *a)
{
	struct kargs *k = a;
	struct kipc_conn *c = kconnect(k);
	char buf[64];
	ssize_t n;
	long i;

	for (i = 0; i < k->n; i++) {
		n = kipc_recv(c, buf, sizeof(buf), 0);
		if (n != 64 || kipc_send(c, buf, 64, 0) != 64)
			die("kipc echo", n < 0 ? n : -EPROTO);
	}
	kipc_close(c);
}

static struct lat kipc_rt(long n, int policy)
{
	struct kargs k = { .n = n, .policy = policy };
	int64_t *s = malloc(sizeof(*s) * (size_t)n), t0;
	struct kipc_listener *l = klisten(&k);
	struct kipc_conn *c;
	uint64_t buf[8] = { 0 };
	long i;
	pid_t p;

	p = child(kipc_echo, &k);
	c = kaccept(l);
	for (i = 0; i < n; i++) {
		buf[0] = (uint64_t)i;
		buf[7] = ~(uint64_t)i;
		t0 = now_ns();
		if (kipc_send(c, buf, 64, 0) != 64 ||
		    kipc_recv(c, buf, sizeof(buf), 0) != 64)
			die("kipc round trip", -EPROTO);
		s[i] = now_ns() - t0;
		if (buf[0] != (uint64_t)i || buf[7] != ~(uint64_t)i)
			die("kipc round trip payload", -EBADMSG);
	}
	kipc_close(c);
	kipc_listener_close(l);
	reap(p);
	return summarize(s, n);
}

static void kipc_sink(void *a)
{
	struct kargs *k = a;
	struct kipc_conn *c = kconnect(k);
	static uint8_t buf[1 << 21];
	uint64_t first, last;
	ssize_t n;
	long i;

	for (i = 0; i < k->n; i++) {
		n = kipc_recv(c, buf, sizeof(buf), 0);
		if (n != (ssize_t)k->len)
			die("kipc sink", n < 0 ? n : -EPROTO);
		memcpy(&first, buf, 8);
		memcpy(&last, buf + k->len - 8, 8);
		if (first != (uint64_t)i || last != ~(uint64_t)i)
			die("kipc sink payload", -EBADMSG);
	}
	kipc_close(c);
}

/* Messages/s one way; @batch > 1 publishes once per @batch messages. */
static double kipc_stream(long n, size_t len, uint32_t ring_bytes, int batch)
{
	struct kargs k = { .n = n, .policy = KIPC_WAIT_SPIN, .len = len,
			   .ring = ring_bytes };
	struct kipc_listener *l = klisten(&k);
	uint8_t *buf = calloc(1, len);
	struct kipc_conn *c;
	uint64_t v;
	int64_t t0;
	long i;
	pid_t p;

	p = child(kipc_sink, &k);
	c = kaccept(l);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		v = (uint64_t)i;
		memcpy(buf, &v, 8);
		v = ~v;
		memcpy(buf + len - 8, &v, 8);
		if (kipc_send(c, buf, len,
			      batch > 1 && (i + 1) % batch ? KIPC_MORE : 0) !=
		    (ssize_t)len)
			die("kipc stream", -EPROTO);
	}
	kipc_flush(c, 0);
	reap(p);
	t0 = now_ns() - t0;
	kipc_close(c);
	kipc_listener_close(l);
	free(buf);
	return (double)n / (t0 / 1e9);
}

#define ROUNDS 5

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v)
{
	double c[ROUNDS];

	memcpy(c, v, sizeof(c));
	qsort(c, ROUNDS, sizeof(c[0]), cmpd);
	return c[ROUNDS / 2];
}

static bool want(const char **only, int n, const char *sec)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(only[i], sec))
			return true;
	return !n;
}

int main(int argc, char **argv)
{
	double spsc, kb, k1, udss, mc_ring, mc_hot, big, q[3][ROUNDS];
	struct lat fl, br, kr, ks, ev, ud, kd;
	const char *only[8];
	int i, r, nonly = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-q")) {
			rt_samples /= 4;
			stream_msgs /= 4;
			big_msgs /= 4;
		} else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
			i++;
			transport = !strcmp(argv[i], "dev") ? KIPC_TRANSPORT_DEV :
				    !strcmp(argv[i], "uds") ? KIPC_TRANSPORT_UDS :
							      KIPC_TRANSPORT_SHM;
		} else if (argv[i][0] != '-' && nonly < 8) {
			only[nonly++] = argv[i];
		} else {
			fprintf(stderr, "usage: bench_rt [-q] [-t dev|shm|uds] "
				"[rt|block|stream|big...]\n");
			return 2;
		}
	}
#define WANT(sec) want(only, nonly, sec)
	pin(0);
	printf("bench_rt: kipc over %s, 64-byte messages unless noted, CPUs 0 "
	       "and 1,\n%d rounds, each kipc figure next to its baselines of "
	       "the same round; ratios are medians over the rounds\n",
	       kipc_transport_name((int)transport), ROUNDS);

	if (WANT("rt")) {
		printf("\nbusy-poll round trip (ns)  floor p50/p99  ring-only "
		       "p50/p99   kipc p50/p99   kipc/floor p50/p99\n");
		for (r = 0; r < ROUNDS; r++) {
			fl = floor_rt(rt_samples / ROUNDS);
			br = bare_rt(rt_samples / ROUNDS);
			kr = kipc_rt(rt_samples / ROUNDS, KIPC_WAIT_SPIN);
			q[0][r] = kr.p50 / fl.p50;
			q[1][r] = kr.p99 / fl.p99;
			q[2][r] = br.p50 / fl.p50;
			printf("  round %d               %6.0f %6.0f  %6.0f %6.0f"
			       "  %6.0f %6.0f        %5.2f %5.2f\n", r, fl.p50,
			       fl.p99, br.p50, br.p99, kr.p50, kr.p99, q[0][r],
			       q[1][r]);
		}
		printf("  median ratio: p50 %.2fx (target <= 1.2x), p99 %.2fx "
		       "(target <= 1.5x); the ring protocol alone %.2fx\n",
		       median(q[0]), median(q[1]), median(q[2]));
	}

	if (WANT("block")) {
		printf("\nblocking round trip, p50 (ns)  eventfd      UDS  kipc "
		       "sleep  kipc default   vs eventfd  vs UDS\n");
		for (r = 0; r < ROUNDS; r++) {
			ev = eventfd_rt(rt_samples / ROUNDS / 4);
			ud = uds_rt(rt_samples / ROUNDS / 4);
			ks = kipc_rt(rt_samples / ROUNDS / 4, KIPC_WAIT_SLEEP);
			kd = kipc_rt(rt_samples / ROUNDS / 4,
				     KIPC_WAIT_SPIN_SLEEP);
			q[0][r] = ks.p50 / ev.p50;
			q[1][r] = ks.p50 / ud.p50;
			printf("  round %d                 %8.0f %8.0f   %8.0f   "
			       "%8.0f        %5.2f   %5.2f\n", r, ev.p50,
			       ud.p50, ks.p50, kd.p50, q[0][r], q[1][r]);
		}
		printf("  median ratio (kipc sleep): %.2fx eventfd (target <= "
		       "1.2x), %.2fx UDS (target < 1x)\n", median(q[0]),
		       median(q[1]));
	}

	if (WANT("stream")) {
		printf("\nstreaming (Mmsg/s)     SPSC      UDS  kipc MORE  kipc "
		       "plain   MORE vs SPSC  vs UDS  plain vs SPSC\n");
		for (r = 0; r < ROUNDS; r++) {
			spsc = spsc_stream(stream_msgs / ROUNDS);
			udss = uds_stream(stream_msgs / ROUNDS / 20);
			kb = kipc_stream(stream_msgs / ROUNDS, 64, 0, 32);
			k1 = kipc_stream(stream_msgs / ROUNDS, 64, 0, 1);
			q[0][r] = kb / spsc;
			q[1][r] = kb / udss;
			q[2][r] = k1 / spsc;
			printf("  round %d           %8.1f %8.1f   %8.1f   %8.1f"
			       "       %5.2f   %5.0f       %5.2f\n", r,
			       spsc / 1e6, udss / 1e6, kb / 1e6, k1 / 1e6,
			       q[0][r], q[1][r], q[2][r]);
		}
		printf("  median ratio: KIPC_MORE x32 %.2fx SPSC (target >= "
		       "0.8x), %.0fx UDS (target >= 20x); plain send %.2fx "
		       "SPSC\n", median(q[0]), median(q[1]), median(q[2]));
	}

	if (WANT("big")) {
		printf("\n1 MiB messages (GB/s)  memcpy 4 MiB src  memcpy hot"
		       "  kipc   vs memcpy 4 MiB  vs hot\n");
		for (r = 0; r < ROUNDS; r++) {
			memcpy_bw(&mc_ring, &mc_hot);
			big = kipc_stream(big_msgs / ROUNDS, 1 << 20, 4U << 20,
					  1) * (1 << 20) / 1e9;
			q[0][r] = big / mc_ring;
			q[1][r] = big / mc_hot;
			printf("  round %d              %8.2f      %8.2f  %6.2f"
			       "        %5.2f     %5.2f\n", r, mc_ring, mc_hot,
			       big, q[0][r], q[1][r]);
		}
		printf("  median ratio: %.2fx memcpy from a 4 MiB source, %.2fx "
		       "cache-hot memcpy (target >= 0.8x)\n", median(q[0]),
		       median(q[1]));
	}
	return 0;
}
