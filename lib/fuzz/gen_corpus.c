// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Writes the seed corpora under corpus/TARGET/ (checked in; rerun with
 * `make -C lib fuzz-corpus` after changing an input format). Each seed is
 * a handful of bytes in the format its target's comment describes: valid
 * inputs that reach deep, and the edges next to them.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

struct seed {
	uint8_t b[8192];
	size_t n;
};

static void put(struct seed *s, uint64_t v, size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes; i++)
		s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

static void put_mem(struct seed *s, const void *p, size_t len)
{
	memcpy(s->b + s->n, p, len);
	s->n += len;
}

static void emit(const char *dir, const char *name, const struct seed *s)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- ring: op numbers as in fuzz_ring.c ---- */
enum { R_HEAD, R_TAIL, R_NEED, R_POKE, R_PEEK, R_RELEASE, R_CWAIT,
       R_RESERVE, R_PUBLISH, R_PWAIT, R_RESUME, R_FORGE };
#define R_SEQ	8	/* size selector bit: KIPC_F_RING_SEQ */
#define R_PAD	16	/* size selector bit: KIPC_F_RING_PAD */

static void ring_seeds(const char *d)
{
	struct seed s;
	int i;

	/* 64-byte ring from 0: send, receive, release, a few times */
	memset(&s, 0, sizeof(s));
	put(&s, 0, 1); put(&s, 0, 4); put(&s, 0, 1);
	for (i = 0; i < 4; i++) {
		put(&s, R_RESERVE, 1); put(&s, 10, 2); put(&s, 0xffff, 2);
		put(&s, R_PUBLISH, 1);
		put(&s, R_PEEK, 1); put(&s, 1, 1);
		put(&s, R_RELEASE, 1);
	}
	emit(d, "roundtrip", &s);

	/* 256 bytes, indices about to wrap 2^32: padding records */
	memset(&s, 0, sizeof(s));
	put(&s, 2, 1); put(&s, 0xffffffc0, 4); put(&s, 0, 1);
	for (i = 0; i < 6; i++) {
		put(&s, R_RESERVE, 1); put(&s, 60, 2); put(&s, 20, 2);
		put(&s, R_PUBLISH, 1);
		put(&s, R_PEEK, 1); put(&s, 1, 1);
		put(&s, R_RELEASE, 1);
	}
	emit(d, "wrap-pad", &s);

	/* full ring, both sides wait */
	memset(&s, 0, sizeof(s));
	put(&s, 1, 1); put(&s, 0, 4); put(&s, 0, 1);
	put(&s, R_CWAIT, 1);
	for (i = 0; i < 3; i++) {
		put(&s, R_RESERVE, 1); put(&s, 40, 2); put(&s, 0xffff, 2);
	}
	put(&s, R_PWAIT, 1); put(&s, 40, 2);
	put(&s, R_PUBLISH, 1);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	put(&s, R_RELEASE, 1);
	put(&s, R_PWAIT, 1); put(&s, 40, 2);
	emit(d, "full-wait", &s);

	/* a hostile producer: head far ahead, a corrupt record */
	memset(&s, 0, sizeof(s));
	put(&s, 0, 1); put(&s, 0, 4); put(&s, 1, 1);
	put(&s, 0x7fff0000, 4); put(&s, 0, 4);	/* len, pos of record 0 */
	s.n += 56;
	put(&s, R_HEAD, 1); put(&s, 64, 4);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	put(&s, R_HEAD, 1); put(&s, 0x80000000, 4);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	emit(d, "corrupt", &s);

	/* the peer rewrites a record between peek and consume */
	memset(&s, 0, sizeof(s));
	put(&s, 0, 1); put(&s, 0, 4); put(&s, 0, 1);
	put(&s, R_RESERVE, 1); put(&s, 8, 2); put(&s, 0xffff, 2);
	put(&s, R_PUBLISH, 1);
	put(&s, R_PEEK, 1); put(&s, 0, 1);
	put(&s, R_POKE, 1); put(&s, 0, 2); put(&s, 0xff, 1);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	put(&s, R_TAIL, 1); put(&s, 0xdeadbeef, 4);
	put(&s, R_RESERVE, 1); put(&s, 8, 2); put(&s, 0xffff, 2);
	emit(d, "poke", &s);

	/* SEQ: batches of three (one publish), trimmed, across 2^32 */
	memset(&s, 0, sizeof(s));
	put(&s, 2 | R_SEQ, 1); put(&s, 0xffffff00, 4); put(&s, 0, 1);
	for (i = 0; i < 8; i++) {
		put(&s, R_RESERVE, 1); put(&s, 50, 2); put(&s, 12, 2);
		put(&s, R_RESERVE, 1); put(&s, 8, 2); put(&s, 0xffff, 2);
		put(&s, R_RESERVE, 1); put(&s, 30, 2); put(&s, 0xffff, 2);
		put(&s, R_PEEK, 1); put(&s, 1, 1);	/* nothing yet */
		put(&s, R_PUBLISH, 1);
		put(&s, R_PEEK, 1); put(&s, 1, 1);
		put(&s, R_PEEK, 1); put(&s, 1, 1);
		put(&s, R_PEEK, 1); put(&s, 1, 1);
		put(&s, R_RELEASE, 1);
		put(&s, R_CWAIT, 1);
	}
	emit(d, "seq-batch-wrap", &s);

	/* SEQ: forged headers: too long, a bad pad, a record past the
	 * room, one that passes; then the producer goes on
	 */
	memset(&s, 0, sizeof(s));
	put(&s, 1 | R_SEQ, 1); put(&s, 0, 4); put(&s, 0, 1);
	put(&s, R_FORGE, 1); put(&s, 0x7fffffff, 4); put(&s, 0, 1);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	put(&s, R_FORGE, 1); put(&s, 0x80000001, 4); put(&s, 0, 1);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	emit(d, "seq-forge-bad", &s);
	memset(&s, 0, sizeof(s));
	put(&s, 1 | R_SEQ, 1); put(&s, 0, 4); put(&s, 0, 1);
	put(&s, R_FORGE, 1); put(&s, 40, 4); put(&s, 0, 1);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	put(&s, R_FORGE, 1); put(&s, 16, 4); put(&s, 6, 1);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	put(&s, R_RESERVE, 1); put(&s, 20, 2); put(&s, 0xffff, 2);
	put(&s, R_PUBLISH, 1);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	put(&s, R_RELEASE, 1);
	emit(d, "seq-forge", &s);

	/* SEQ + PAD: 32-byte records one a publication, each padded to
	 * the end of its line, over laps of a 256-byte ring; then forged
	 * pads: not 8-aligned, past the end, one that passes
	 */
	memset(&s, 0, sizeof(s));
	put(&s, 2 | R_SEQ | R_PAD, 1); put(&s, 0, 4); put(&s, 0, 1);
	for (i = 0; i < 12; i++) {
		put(&s, R_RESERVE, 1); put(&s, 32, 2); put(&s, 0xffff, 2);
		put(&s, R_PUBLISH, 1);
		put(&s, R_PEEK, 1); put(&s, 1, 1);
		put(&s, R_RELEASE, 1);
	}
	put(&s, R_FORGE, 1); put(&s, 0x80000004, 4); put(&s, 0, 1);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	emit(d, "pad-align", &s);
	memset(&s, 0, sizeof(s));
	put(&s, 2 | R_SEQ | R_PAD, 1); put(&s, 0, 4); put(&s, 0, 1);
	put(&s, R_FORGE, 1); put(&s, 0x80000000 | 248, 4); put(&s, 0, 1);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	emit(d, "pad-forge-end", &s);
	memset(&s, 0, sizeof(s));
	put(&s, 2 | R_SEQ | R_PAD, 1); put(&s, 0, 4); put(&s, 0, 1);
	put(&s, R_FORGE, 1); put(&s, 0x80000000 | 24, 4); put(&s, 0, 1);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	put(&s, R_RESERVE, 1); put(&s, 40, 2); put(&s, 0xffff, 2);
	put(&s, R_PUBLISH, 1);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	emit(d, "pad-forge", &s);

	/* SEQ: the consumer adopts a tail that is not 8-aligned, 4 bytes
	 * before the end (an 8-byte header read there would overrun)
	 */
	memset(&s, 0, sizeof(s));
	put(&s, 0 | R_SEQ, 1); put(&s, 0, 4); put(&s, 0, 1);
	put(&s, R_TAIL, 1); put(&s, 60, 4);
	put(&s, R_RESUME, 1);
	put(&s, R_PEEK, 1); put(&s, 1, 1);
	put(&s, R_CWAIT, 1);
	emit(d, "seq-unaligned-tail", &s);
}

/* ---- hdr ---- */
static void hdr_seed(const char *d, const char *name, uint32_t side,
		     uint64_t known, void (*bend)(struct kipc_shared_hdr *,
						  uint64_t *own))
{
	const uint32_t rb[2] = { 4096, 65536 };
	struct kipc_shared_hdr h;
	struct seed s;
	uint64_t own;

	memset(&h, 0, sizeof(h));
	kipc_layout_init(&h, 4096, rb);
	own = h.own_map_bytes[side];
	if (bend)
		bend(&h, &own);
	memset(&s, 0, sizeof(s));
	put(&s, h.shared_map_bytes, 8);
	put(&s, own, 8);
	put(&s, side, 1);
	put(&s, known, 8);
	put_mem(&s, &h, sizeof(h));
	emit(d, name, &s);
}

static void no_own(struct kipc_shared_hdr *h, uint64_t *own)
{
	(void)h;
	*own = 0;
}

static void feature(struct kipc_shared_hdr *h, uint64_t *own)
{
	(void)own;
	h->features = 1ULL << 40;
}

static void overlap(struct kipc_shared_hdr *h, uint64_t *own)
{
	(void)own;
	h->ring[1].data_off = (uint32_t)h->shared_map_bytes - 4096;
}

static void old_abi(struct kipc_shared_hdr *h, uint64_t *own)
{
	(void)own;
	h->abi_version = 0;
}

static void hdr_seeds(const char *d)
{
	hdr_seed(d, "client", 0, 0, NULL);
	hdr_seed(d, "server", 1, 0, NULL);
	hdr_seed(d, "shm-no-own", 1, 0, no_own);
	hdr_seed(d, "unknown-feature", 0, 1ULL << 40, feature);
	hdr_seed(d, "ring-past-end", 0, 0, overlap);
	hdr_seed(d, "abi-0", 0, 0, old_abi);
}

/* ---- handshake ---- */
static void wire(struct seed *s, unsigned int nfds, unsigned int kinds,
		 int type, uint32_t transports, uint64_t features)
{
	struct kipc_wire w;

	memset(&w, 0, sizeof(w));
	w.magic = KIPC_WIRE_MAGIC;
	w.version = KIPC_WIRE_VERSION;
	w.type = (uint16_t)type;
	w.transports = transports;
	w.ring_bytes[0] = w.ring_bytes[1] = 4096;
	w.uds_max = 2040;
	w.page_size = 4096;
	w.features = features;
	if (type == KIPC_WIRE_OFFER ||
	    (type == KIPC_WIRE_SETUP && transports == KIPC_TRANSPORT_SHM))
		w.caps = KIPC_WIRE_CAP_PAGE_ROLES;
	if (type == KIPC_WIRE_REJECT)
		w.status = -13;
	put(s, nfds | kinds << 3, 2);
	put(s, sizeof(w), 1);
	put_mem(s, &w, sizeof(w));
}

/* fd kinds as in fuzz_handshake.c: memfd 0, epoll 1, eventfd 2, pipe 3 */
#define KINDS(a, b, c)	((a) | (b) << 2 | (c) << 4)

static void handshake_seeds(const char *d)
{
	const unsigned int shm_bits = 1U << KIPC_TRANSPORT_SHM;
	const unsigned int both = shm_bits | 1U << KIPC_TRANSPORT_UDS;
	struct seed s;

	/* server: shm SETUP with {memfd, bell, bell}, memfd as a client makes it */
	memset(&s, 0, sizeof(s));
	put(&s, 0, 1); put(&s, 2040, 2);
	wire(&s, 3, KINDS(0, 1, 1), KIPC_WIRE_SETUP, KIPC_TRANSPORT_SHM, 0);
	put(&s, 0, 1); put(&s, 0, 1);		/* memfd: sealed, no patch */
	emit(d, "server-shm", &s);

	/* server: the same with the memfd half-sealed and its index bent */
	memset(&s, 0, sizeof(s));
	put(&s, 0, 1); put(&s, 2040, 2);
	wire(&s, 3, KINDS(0, 1, 1), KIPC_WIRE_SETUP, KIPC_TRANSPORT_SHM, 0);
	put(&s, 2, 1); put(&s, 2, 1); put(&s, 0, 1); put(&s, 0, 1);
	put(&s, 128, 1); put(&s, 0xff, 1);
	emit(d, "server-shm-bent", &s);

	/* server: the 1.0 seals (no F_SEAL_FUTURE_WRITE); a page too big */
	memset(&s, 0, sizeof(s));
	put(&s, 0, 1); put(&s, 2040, 2);
	wire(&s, 3, KINDS(0, 1, 1), KIPC_WIRE_SETUP, KIPC_TRANSPORT_SHM, 0);
	put(&s, 16, 1); put(&s, 0, 1);
	emit(d, "server-shm-writable", &s);
	memset(&s, 0, sizeof(s));
	put(&s, 0, 1); put(&s, 2040, 2);
	wire(&s, 3, KINDS(0, 1, 1), KIPC_WIRE_SETUP, KIPC_TRANSPORT_SHM, 0);
	put(&s, 1, 1); put(&s, 0, 1); put(&s, 64, 1);
	emit(d, "server-shm-size", &s);

	/* server: bells that are not epoll fds */
	memset(&s, 0, sizeof(s));
	put(&s, 0, 1); put(&s, 2040, 2);
	wire(&s, 3, KINDS(0, 2, 3), KIPC_WIRE_SETUP, KIPC_TRANSPORT_SHM, 0);
	put(&s, 0, 1); put(&s, 0, 1); put(&s, 0, 1);
	emit(d, "server-shm-badfds", &s);

	/* server: uds SETUP; and one with an fd it must refuse */
	memset(&s, 0, sizeof(s));
	put(&s, 0, 1); put(&s, 2040, 2);
	wire(&s, 0, 0, KIPC_WIRE_SETUP, KIPC_TRANSPORT_UDS, 0);
	emit(d, "server-uds", &s);
	memset(&s, 0, sizeof(s));
	put(&s, 0, 1); put(&s, 2040, 2);
	wire(&s, 1, KINDS(2, 0, 0), KIPC_WIRE_SETUP, KIPC_TRANSPORT_UDS, 1);
	emit(d, "server-uds-fd", &s);

	/* client: READY with its memfd and two bells (and one with the
	 * memfd unsealed); a REJECT
	 */
	memset(&s, 0, sizeof(s));
	put(&s, 1, 1);
	wire(&s, 3, KINDS(0, 1, 1), KIPC_WIRE_READY, 0, 0);
	put(&s, 0, 1); put(&s, 0, 1);
	emit(d, "client-shm-ready", &s);
	memset(&s, 0, sizeof(s));
	put(&s, 1, 1);
	wire(&s, 3, KINDS(0, 1, 1), KIPC_WIRE_READY, 0, 0);
	put(&s, 0x36, 1); put(&s, 0, 1);
	emit(d, "client-shm-unsealed", &s);
	memset(&s, 0, sizeof(s));
	put(&s, 1, 1);
	wire(&s, 0, 0, KIPC_WIRE_REJECT, 0, 0);
	emit(d, "client-shm-reject", &s);
	memset(&s, 0, sizeof(s));
	put(&s, 2, 1);
	wire(&s, 0, 0, KIPC_WIRE_READY, 0, 0);
	put(&s, 2040, 4);
	emit(d, "client-uds-ready", &s);

	/* client from connect(): OFFER then READY, shm and uds */
	memset(&s, 0, sizeof(s));
	put(&s, 3, 1); put(&s, KIPC_TRANSPORT_SHM, 1);
	wire(&s, 0, 0, KIPC_WIRE_OFFER, both, 0);
	wire(&s, 3, KINDS(0, 1, 1), KIPC_WIRE_READY, 0, 0);
	put(&s, 0, 1); put(&s, 0, 1);
	emit(d, "connect-shm", &s);
	memset(&s, 0, sizeof(s));
	put(&s, 3, 1); put(&s, KIPC_TRANSPORT_AUTO, 1);
	wire(&s, 0, 0, KIPC_WIRE_OFFER, 1U << KIPC_TRANSPORT_UDS, 0);
	wire(&s, 0, 0, KIPC_WIRE_READY, 0, 0);
	emit(d, "connect-uds", &s);
}

/* ---- uds: op numbers as in fuzz_uds.c ---- */
static void uds_seeds(const char *d)
{
	struct seed s;

	/* messages that fit, one too big for the buffer, peek + release */
	memset(&s, 0, sizeof(s));
	put(&s, 4096, 2); put(&s, 4096, 2);
	put(&s, 0, 1); put(&s, 5, 2); put_mem(&s, "hello", 5); put(&s, 0, 1);
	put(&s, 1, 1); put(&s, 64, 2);
	put(&s, 0, 1); put(&s, 100, 2); s.n += 100; put(&s, 0, 1);
	put(&s, 1, 1); put(&s, 10, 2);		/* -EMSGSIZE, held */
	put(&s, 1, 1); put(&s, 100, 2);
	put(&s, 0, 1); put(&s, 3, 2); put_mem(&s, "abc", 3); put(&s, 1, 1);
	put(&s, 2, 1); put(&s, 3, 1);
	put(&s, 4, 1); put(&s, 16, 2); put(&s, 8, 2);
	put(&s, 5, 1); put(&s, 1, 1); put(&s, 64, 2);
	emit(d, "frames", &s);

	/* larger than the peer said it sends; empty message; hang-up */
	memset(&s, 0, sizeof(s));
	put(&s, 16, 2); put(&s, 16, 2);
	put(&s, 0, 1); put(&s, 32, 2); s.n += 32; put(&s, 0, 1);
	put(&s, 1, 1); put(&s, 8, 2);
	put(&s, 0, 1); put(&s, 0, 2); put(&s, 0, 1);
	put(&s, 2, 1);
	put(&s, 5, 1); put(&s, 1, 1); put(&s, 16, 2);
	emit(d, "oversize", &s);
}

int main(int argc, char **argv)
{
	const char *top = argc > 1 ? argv[1] : "corpus";
	const char *names[] = { "ring", "hdr", "handshake", "uds" };
	void (*gen[])(const char *) = { ring_seeds, hdr_seeds,
					handshake_seeds, uds_seeds };
	char dir[256];
	size_t i;

	mkdir(top, 0755);
	for (i = 0; i < 4; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", top, names[i]);
		mkdir(dir, 0755);
		gen[i](dir);
	}
	return 0;
}
