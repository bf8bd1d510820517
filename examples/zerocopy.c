// SPDX-License-Identifier: MIT
/*
 * zerocopy: a producer that builds each message in the ring and a consumer
 * that reads it there, with no copy on either side.
 *
 *   zerocopy consumer NAME         print a summary of what arrives
 *   zerocopy producer NAME [N]     send N records (default 100000)
 *   zerocopy selftest [N]          both, in two processes, each record checked
 *
 * Producer: kipc_reserve() returns room in the send ring; the record is
 * written there and kipc_commit() makes it a message, with KIPC_MORE so
 * that 32 messages share one publication and at most one doorbell, and
 * kipc_flush() publishes the rest. Consumer: kipc_peek() points into the
 * receive ring; the record is checked in place and kipc_release() gives the
 * room back. The peer can write that memory (shm) or could be hostile, so
 * each field is read once, into a local, before it is trusted.
 */
#include <stdint.h>

#include "common.h"

#define BATCH	32

struct record {
	uint64_t seq;
	uint32_t len;		/* payload bytes that follow */
	uint32_t sum;		/* of the payload */
	unsigned char payload[];
};

static uint32_t fill(unsigned char *p, uint32_t len, uint64_t seq)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < len; i++) {
		p[i] = (unsigned char)(seq * 31 + i);
		sum = sum * 131 + p[i];
	}
	return sum;
}

static int produce(struct kipc_conn *c, uint64_t n)
{
	uint64_t seq;
	void *room;
	int ret;

	for (seq = 0; seq < n; seq++) {
		uint32_t len = (uint32_t)(seq * 7919 % 1000);	/* 0..999 */
		size_t size = sizeof(struct record) + len;
		struct record *r;

		ret = kipc_reserve(c, size, &room, 0);
		if (ret < 0)
			return ret;
		r = room;
		r->seq = seq;
		r->len = len;
		r->sum = fill(r->payload, len, seq);
		ret = kipc_commit(c, size, (seq + 1) % BATCH ? KIPC_MORE : 0);
		if (ret < 0)
			return ret;
	}
	return kipc_flush(c, 0);
}

/* Returns the number of records, or -errno. */
static int64_t consume(struct kipc_conn *c, uint64_t *bytes)
{
	const void *msg;
	uint64_t want = 0;
	ssize_t n;

	*bytes = 0;
	for (;;) {
		const struct record *r;
		uint64_t seq;
		uint32_t len, sum;
		unsigned char copy[1000];

		n = kipc_peek(c, &msg, 0);
		if (n == 0)
			return (int64_t)want;	/* end-of-stream */
		if (n < 0)
			return n;
		r = msg;
		if ((size_t)n < sizeof(*r))
			return -EBADMSG;
		seq = r->seq;
		len = r->len;
		sum = r->sum;
		if (seq != want || len > sizeof(copy) ||
		    (size_t)n != sizeof(*r) + len) {
			fprintf(stderr, "record %llu: seq %llu len %u in a %zd-byte message\n",
				(unsigned long long)want, (unsigned long long)seq,
				len, n);
			return -EBADMSG;
		}
		/* The payload is checked in place; fill() into a local only
		 * recomputes what the producer should have written.
		 */
		if (fill(copy, len, seq) != sum || memcmp(copy, r->payload, len)) {
			fprintf(stderr, "record %llu: payload differs\n",
				(unsigned long long)seq);
			return -EBADMSG;
		}
		*bytes += (uint64_t)n;
		want++;
		n = kipc_release(c);
		if (n < 0)
			return n;
	}
}

static int run_consumer(struct kipc_listener *l, uint64_t expect)
{
	struct kipc_conn *c;
	uint64_t bytes;
	int64_t got;
	int ret;

	ret = kipc_accept(l, &c, 0);
	if (ret < 0) {
		fprintf(stderr, "accept: %s\n", kipc_strerror(ret));
		return 1;
	}
	got = consume(c, &bytes);
	if (got < 0) {
		fprintf(stderr, "consumer: %s\n", kipc_strerror((int)got));
		kipc_close(c);
		return 1;
	}
	printf("consumer: %lld records, %llu bytes over %s, each checked in place\n",
	       (long long)got, (unsigned long long)bytes,
	       kipc_transport_name(kipc_transport(c)));
	kipc_close(c);
	if (expect && (uint64_t)got != expect) {
		fprintf(stderr, "consumer: expected %llu records\n",
			(unsigned long long)expect);
		return 1;
	}
	return 0;
}

static int run_producer(const char *name, uint64_t n)
{
	struct kipc_conn *c;
	int ret;

	ret = ex_connect(name, &c);
	if (ret < 0) {
		fprintf(stderr, "connect %s: %s\n", name, kipc_strerror(ret));
		return 1;
	}
	ret = produce(c, n);
	kipc_close(c);	/* publishes anything left; the consumer sees the end */
	if (ret < 0) {
		fprintf(stderr, "producer: %s\n", kipc_strerror(ret));
		return 1;
	}
	return 0;
}

static int listen_on(const char *name, struct kipc_listener **l)
{
	struct kipc_opts o = KIPC_OPTS_INIT;
	int ret;

	o.ring_bytes = 64 << 10;
	ret = kipc_listen(name, &o, l);
	if (ret < 0)
		fprintf(stderr, "listen %s: %s\n", name, kipc_strerror(ret));
	return ret;
}

int main(int argc, char **argv)
{
	struct kipc_listener *l;

	if (argc >= 3 && !strcmp(argv[1], "consumer")) {
		if (listen_on(argv[2], &l) < 0)
			return 1;
		return run_consumer(l, 0);
	}
	if (argc >= 3 && !strcmp(argv[1], "producer"))
		return run_producer(argv[2], argc > 3 ? strtoull(argv[3], NULL, 0) : 100000);
	if (argc >= 2 && !strcmp(argv[1], "selftest")) {
		uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 0) : 100000;
		char name[64];
		pid_t pid;
		int st, ret;

		ex_name(name, sizeof(name), "zerocopy");
		alarm(120);
		if (listen_on(name, &l) < 0)
			return 1;
		pid = fork();
		if (pid == 0)
			_exit(run_producer(name, n));
		ret = run_consumer(l, n);
		kipc_listener_close(l);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			ret = 1;
		if (!ret)
			printf("zerocopy selftest: ok (%llu records)\n", (unsigned long long)n);
		return ret;
	}
	fprintf(stderr, "usage: %s consumer NAME | producer NAME [N] | selftest [N]\n",
		argv[0]);
	return 2;
}
