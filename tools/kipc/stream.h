/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stream protocol of `kipc send` and `kipc recv` (kipc(1), STREAM
 * PROTOCOL). kipc connections end the same way whether the peer closed or
 * died, so the two commands add three small control messages around the
 * data to tell a finished stream from a broken one:
 *
 *   recv -> send   HELLO  right after accept: a fresh random nonce
 *   send -> recv   data   the input, as messages of up to -s bytes
 *   send -> recv   END    nonce, bytes and messages sent
 *   recv -> send   ACK    nonce, bytes written to stdout
 *
 * A sender that gives up (its input failed, -s too large with --exact)
 * sends ABORT instead of END, so that the receiver can say so rather than
 * report a dead peer.
 *
 * Data messages are the input bytes and nothing else, so any other program
 * can be either end with --raw. END is told from data by its length,
 * magic and the nonce, which no input can contain: it did not exist when
 * the input was written. Control messages travel in host byte order (both
 * ends are on one machine).
 */
#ifndef KIPC_CLI_STREAM_H
#define KIPC_CLI_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KIPC_STREAM_VERSION	1
#define KIPC_STREAM_NONCE	16

struct kipc_stream_hello {
	char magic[8];			/* "KIPCRCV1" */
	uint32_t version;		/* KIPC_STREAM_VERSION */
	uint32_t flags;			/* 0 */
	uint8_t nonce[KIPC_STREAM_NONCE];
};

struct kipc_stream_end {
	char magic[8];			/* "KIPCEND1" */
	uint8_t nonce[KIPC_STREAM_NONCE];
	uint64_t bytes;			/* data bytes sent */
	uint64_t messages;		/* data messages sent */
};

struct kipc_stream_ack {
	char magic[8];			/* "KIPCACK1" */
	uint8_t nonce[KIPC_STREAM_NONCE];
	uint64_t bytes;			/* data bytes written out */
};

struct kipc_stream_abort {
	char magic[8];			/* "KIPCABT1" */
	uint8_t nonce[KIPC_STREAM_NONCE];
	uint64_t bytes;			/* data bytes sent before */
	int32_t status;			/* the sender's exit status (kipc(1)) */
	int32_t err;			/* errno of the failure, 0 if none */
};

_Static_assert(sizeof(struct kipc_stream_hello) == 32, "hello");
_Static_assert(sizeof(struct kipc_stream_abort) == 40, "abort");
_Static_assert(sizeof(struct kipc_stream_end) == 40, "end");
_Static_assert(sizeof(struct kipc_stream_ack) == 32, "ack");

void kipc_stream_nonce(uint8_t nonce[KIPC_STREAM_NONCE]);
void kipc_stream_hello_init(struct kipc_stream_hello *h,
			    const uint8_t nonce[KIPC_STREAM_NONCE]);
void kipc_stream_end_init(struct kipc_stream_end *e,
			  const uint8_t nonce[KIPC_STREAM_NONCE],
			  uint64_t bytes, uint64_t messages);
void kipc_stream_abort_init(struct kipc_stream_abort *a,
			    const uint8_t nonce[KIPC_STREAM_NONCE], uint64_t bytes,
			    int status, int err);
void kipc_stream_ack_init(struct kipc_stream_ack *a,
			  const uint8_t nonce[KIPC_STREAM_NONCE], uint64_t bytes);

/* Parse a received message; true when it is that control message. */
bool kipc_stream_is_hello(const void *msg, size_t len,
			  struct kipc_stream_hello *out);
bool kipc_stream_is_end(const void *msg, size_t len,
			const uint8_t nonce[KIPC_STREAM_NONCE],
			struct kipc_stream_end *out);
bool kipc_stream_is_abort(const void *msg, size_t len,
			  const uint8_t nonce[KIPC_STREAM_NONCE],
			  struct kipc_stream_abort *out);
bool kipc_stream_is_ack(const void *msg, size_t len,
			const uint8_t nonce[KIPC_STREAM_NONCE],
			struct kipc_stream_ack *out);

#endif /* KIPC_CLI_STREAM_H */
