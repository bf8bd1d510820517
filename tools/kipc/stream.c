// SPDX-License-Identifier: GPL-2.0
/* kipc command: the control messages of the send/recv stream protocol. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "stream.h"

static const char hello_magic[8] = "KIPCRCV1";
static const char end_magic[8] = "KIPCEND1";
static const char ack_magic[8] = "KIPCACK1";
static const char abort_magic[8] = "KIPCABT1";

/*
 * The nonce only has to be unpredictable to the input, not secret, so a
 * guest that has no entropy yet (early boot) mixes clocks and pids instead
 * of blocking in getrandom().
 */
void kipc_stream_nonce(uint8_t nonce[KIPC_STREAM_NONCE])
{
	static uint64_t counter;
	struct timespec mono, real;
	uint64_t w[2], z;
	ssize_t n;
	int i;

	n = getrandom(nonce, KIPC_STREAM_NONCE, GRND_NONBLOCK);
	if (n == KIPC_STREAM_NONCE)
		return;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	w[0] = (uint64_t)mono.tv_nsec ^ ((uint64_t)mono.tv_sec << 30) ^
	       ((uint64_t)getpid() << 48) ^ ++counter;
	w[1] = (uint64_t)real.tv_nsec ^ ((uint64_t)real.tv_sec << 30) ^
	       (uint64_t)(uintptr_t)&counter;
	for (i = 0; i < 2; i++) {
		/* splitmix64's finaliser spreads every input bit */
		z = w[i] + 0x9e3779b97f4a7c15ULL;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		w[i] = z ^ (z >> 31);
	}
	memcpy(nonce, w, KIPC_STREAM_NONCE);
}

void kipc_stream_hello_init(struct kipc_stream_hello *h,
			    const uint8_t nonce[KIPC_STREAM_NONCE])
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, hello_magic, sizeof(h->magic));
	h->version = KIPC_STREAM_VERSION;
	memcpy(h->nonce, nonce, KIPC_STREAM_NONCE);
}

void kipc_stream_end_init(struct kipc_stream_end *e,
			  const uint8_t nonce[KIPC_STREAM_NONCE],
			  uint64_t bytes, uint64_t messages)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->magic, end_magic, sizeof(e->magic));
	memcpy(e->nonce, nonce, KIPC_STREAM_NONCE);
	e->bytes = bytes;
	e->messages = messages;
}

void kipc_stream_abort_init(struct kipc_stream_abort *a,
			    const uint8_t nonce[KIPC_STREAM_NONCE], uint64_t bytes,
			    int status, int err)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->magic, abort_magic, sizeof(a->magic));
	memcpy(a->nonce, nonce, KIPC_STREAM_NONCE);
	a->bytes = bytes;
	a->status = status;
	a->err = err;
}

void kipc_stream_ack_init(struct kipc_stream_ack *a,
			  const uint8_t nonce[KIPC_STREAM_NONCE], uint64_t bytes)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->magic, ack_magic, sizeof(a->magic));
	memcpy(a->nonce, nonce, KIPC_STREAM_NONCE);
	a->bytes = bytes;
}

/* Messages are copied out before they are looked at: the ring is shared. */
bool kipc_stream_is_hello(const void *msg, size_t len,
			  struct kipc_stream_hello *out)
{
	if (len != sizeof(*out))
		return false;
	memcpy(out, msg, sizeof(*out));
	return !memcmp(out->magic, hello_magic, sizeof(out->magic)) &&
	       out->version == KIPC_STREAM_VERSION;
}

bool kipc_stream_is_end(const void *msg, size_t len,
			const uint8_t nonce[KIPC_STREAM_NONCE],
			struct kipc_stream_end *out)
{
	if (len != sizeof(*out))
		return false;
	memcpy(out, msg, sizeof(*out));
	return !memcmp(out->magic, end_magic, sizeof(out->magic)) &&
	       !memcmp(out->nonce, nonce, KIPC_STREAM_NONCE);
}

bool kipc_stream_is_ack(const void *msg, size_t len,
			const uint8_t nonce[KIPC_STREAM_NONCE],
			struct kipc_stream_ack *out)
{
	if (len != sizeof(*out))
		return false;
	memcpy(out, msg, sizeof(*out));
	return !memcmp(out->magic, ack_magic, sizeof(out->magic)) &&
	       !memcmp(out->nonce, nonce, KIPC_STREAM_NONCE);
}

bool kipc_stream_is_abort(const void *msg, size_t len,
			  const uint8_t nonce[KIPC_STREAM_NONCE],
			  struct kipc_stream_abort *out)
{
	if (len != sizeof(*out))
		return false;
	memcpy(out, msg, sizeof(*out));
	return !memcmp(out->magic, abort_magic, sizeof(out->magic)) &&
	       !memcmp(out->nonce, nonce, KIPC_STREAM_NONCE);
}
