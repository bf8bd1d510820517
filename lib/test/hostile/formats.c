// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Feature negotiation of the ring formats (KIPC_F_RING_SEQ,
 * KIPC_F_RING_PAD): the header check, and old peers and old drivers
 * played through internal hooks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/kipc.h>

#include "../harness.h"
#include "internal.h"

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

/* Which format a connection's rings use: 1 SEQ, 0 the 1.0 one. */
static int ring_seq(struct kipc_conn *c)
{
	int tx = kipc__test_ring(c, 1)->seq, rx = kipc__test_ring(c, 0)->seq;

	CHECK_EQ(tx, rx);
	return tx;
}

/* Whether they take padding records anywhere (KIPC_F_RING_PAD). */
static int ring_pad(struct kipc_conn *c)
{
	int tx = kipc__test_ring(c, 1)->pad_any;
	int rx = kipc__test_ring(c, 0)->pad_any;

	CHECK_EQ(tx, rx);
	return tx;
}

/* The formats in use, as the bits. */
static uint64_t ring_formats(struct kipc_conn *c)
{
	return (ring_seq(c) ? KIPC_F_RING_SEQ : 0) |
	       (ring_pad(c) ? KIPC_F_RING_PAD : 0);
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
	/* One at a time, as a ping-pong: with KIPC_F_RING_PAD every other
	 * one of these ends with a pad.
	 */
	for (i = 0; i < 300; i++) {
		CHECK_EQ(kipc_send_timeout(tx, fmt_msg + i % 5, 32 + i % 3 * 8,
					   0, T_MS), 32 + i % 3 * 8);
		recv_is(in, fmt_msg + i % 5, (size_t)(32 + i % 3 * 8));
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
	CHECK_EQ(ring_formats(p.c), KIPC_F_RING_SEQ | KIPC_F_RING_PAD);
	CHECK_EQ(ring_formats(p.s), KIPC_F_RING_SEQ | KIPC_F_RING_PAD);
	/* 32 B, alone in its publication: padded to the line's end. */
	send_ok(p.c, fmt_msg, 32);
	CHECK_EQ(kipc__test_ring(p.c, 1)->pos, 64u);
	recv_is(p.s, fmt_msg, 32);
	format_traffic(p.c, p.s, false);
	format_traffic(p.s, p.c, false);
	pair_close(&p);
}

/*
 * An older library on one end, played by a child with kipc__test_formats
 * = 0 (it neither asks for nor reads SEQ, as the 1.0 library) or
 * KIPC_F_RING_SEQ (the library before KIPC_F_RING_PAD): the two agree on
 * the formats the old one has, whichever end is the old one, on dev (the
 * driver intersects the requests) and on shm (OFFER and SETUP). The old
 * end echoes; the new end drives every data call.
 */
struct old_peer {
	char name[64];
	int old_is_server;
	uint64_t formats;
};

static void old_peer_child(void *a)
{
	struct old_peer *op = a;
	struct kipc_listener *l = NULL;
	struct kipc_conn *c;
	struct kipc_opts o;
	static uint8_t buf[4096];
	ssize_t n;

	kipc__test_formats = op->formats;
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
		CHECK_EQ(ring_formats(c), op->formats);
	while ((n = kipc_recv_timeout(c, buf, sizeof(buf), 0, T_MS)) > 0)
		send_ok(c, buf, (size_t)n);
	CHECK_EQ(n, 0);
	kipc_close(c);
	if (l)
		kipc_listener_close(l);
}

static void old_peer_run(int old_is_server, uint64_t formats)
{
	struct kipc_listener *l = NULL;
	struct old_peer op = { .old_is_server = old_is_server,
			       .formats = formats };
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
		CHECK_EQ(ring_formats(c), formats);
	format_traffic(c, c, true);
	kipc_close(c);
	CHECK_EQ(reap(child, T_MS), 0);
	if (l)
		kipc_listener_close(l);
}

static void t_format_old_client(void)
{
	old_peer_run(0, 0);
}

static void t_format_old_server(void)
{
	old_peer_run(1, 0);
}

static void t_format_seq_client(void)
{
	old_peer_run(0, KIPC_F_RING_SEQ);
}

static void t_format_seq_server(void)
{
	old_peer_run(1, KIPC_F_RING_SEQ);
}

/* A new library on a driver without the ring formats (feature_mask): the
 * 1.0 format, or SEQ without PAD, and everything works.
 */
static uint64_t old_driver_formats;

static void old_driver_format_child(void *a)
{
	struct kipc_opts o;
	struct pair p;

	(void)a;
	opts_init(&o);
	o.transport = KIPC_TRANSPORT_DEV;
	o.ring_bytes = 4096;
	pair_open(&p, &o, &o);
	CHECK_EQ(ring_formats(p.c), old_driver_formats);
	CHECK_EQ(ring_formats(p.s), old_driver_formats);
	format_traffic(p.c, p.s, false);
	format_traffic(p.s, p.c, false);
	pair_close(&p);
}

static void t_format_old_driver(void)
{
	old_driver_formats = 0;
	with_feature_hidden(KIPC_F_RING_SEQ | KIPC_F_RING_PAD,
			    old_driver_format_child);
}

static void t_format_seq_driver(void)
{
	old_driver_formats = KIPC_F_RING_SEQ;
	with_feature_hidden(KIPC_F_RING_PAD, old_driver_format_child);
}

TEST_GROUP(formats,
	{ "hdr_features", t_hdr_features, 30 },
	{ "ring_format", t_ring_format, 30 },
	{ "format_old_client", t_format_old_client, 30 },
	{ "format_old_server", t_format_old_server, 30 },
	{ "format_seq_client", t_format_seq_client, 30 },
	{ "format_seq_server", t_format_seq_server, 30 },
	{ "format_old_driver", t_format_old_driver, 30 },
	{ "format_seq_driver", t_format_seq_driver, 30 });
