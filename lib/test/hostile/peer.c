// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * A hostile peer (internal hooks): it scribbles over every byte it can
 * write, offers rings beyond the connector's cap, or corrupts an index
 * while we sleep, or rewrites a record we found. The victim sees only
 * documented errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "../harness.h"
#include "internal.h"

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

/*
 * The peer rewrites the header of a record we found and left in place
 * (a recv buffer too small for it, or a peek): the connection is broken,
 * -EBADMSG at once, for a non-blocking recv as for a waiting one. The SEQ
 * consumer used to read it as "nothing yet" while its waits took the
 * record as there: every recv then spun forever, KIPC_NONBLOCK included.
 */
static void t_rewritten_record(void)
{
	static uint8_t buf[4096];
	uint8_t msg[100];
	struct kipc_ring *r;
	uint64_t *hdr;
	const void *q;
	struct pair p;
	int64_t t0;
	int how;

	memset(msg, 0x77, sizeof(msg));
	for (how = 0; how < 4; how++) {
		pair_open(&p, NULL, NULL);
		if (!ring_transport(p.c)) {
			pair_close(&p);
			skip("uds has no ring");
		}
		/* Where the server's next record goes, in its own pages. */
		r = kipc__test_ring(p.s, 1);
		hdr = (uint64_t *)(void *)(r->data + (r->pos & r->mask));
		send_ok(p.s, msg, sizeof(msg));
		if (how % 2)
			CHECK_EQ(kipc_peek(p.c, &q, KIPC_NONBLOCK),
				 (long)sizeof(msg));
		else
			CHECK_EQ(kipc_recv(p.c, buf, 10, KIPC_NONBLOCK),
				 -EMSGSIZE);
		__atomic_store_n(hdr, 0, __ATOMIC_RELEASE);
		t0 = now_ns();
		if (how < 2)
			CHECK_EQ(kipc_recv(p.c, buf, sizeof(buf), KIPC_NONBLOCK),
				 -EBADMSG);
		else
			CHECK_EQ(kipc_recv_timeout(p.c, buf, sizeof(buf), 0,
						   3000), -EBADMSG);
		CHECK(now_ns() - t0 < 2000000000);
		CHECK_EQ(kipc_peek(p.c, &q, KIPC_NONBLOCK), -EBADMSG);
		pair_close(&p);
	}
}

TEST_GROUP(peer,
	{ "hostile_peer", t_hostile_peer, 300 },
	{ "ring_cap_hostile_offer", t_ring_cap_hostile_offer, 30 },
	{ "corrupt_index_wake", t_corrupt_index_wake, 30 },
	{ "rewritten_record", t_rewritten_record, 10 });
