/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * The shm handshake spoken raw (lib/sock.c's messages, struct kipc_wire),
 * for the tests that play a broken or hostile client or server.
 */
#ifndef KIPC_TEST_WIRE_H
#define KIPC_TEST_WIRE_H

#include <fcntl.h>
#include <stddef.h>
#include <sys/types.h>

#include "internal.h"

/* Every seal a side's memfd must carry before it is handed over. */
#define SHM_SEALS_ALL	(F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | \
			 F_SEAL_SEAL)

/* Connects to @name's socket and reads the server's OFFER; the fd. */
int raw_connect(const char *name, struct kipc_wire *offer);
/* One message with @nfds fds (at most KIPC_SCM_MAX_FD); sendmsg()'s result. */
ssize_t raw_sendmsg(int fd, const void *msg, size_t len, const int *fds,
		    int nfds);
/* The same, and it must send all @len bytes. */
void raw_send(int fd, const void *msg, size_t len, const int *fds, int nfds);
/* One handshake message with its fds (at most 4). */
void raw_recv(int fd, struct kipc_wire *w, int *fds, int *nfds);
/* The server's answer: REJECT or hang-up, never READY; closes @fd. */
void raw_refused(int fd);
/* The server's answer: REJECT with @err; closes @fd. */
void raw_rejected(int fd, int err);
/* Side @side's memfd for the rings of @offer, @size_delta bytes off. */
int raw_memfd(const struct kipc_wire *offer, int side, int seals,
	      int size_delta);
/* The 1.0 layout an older client sent: one memfd, header and both rings. */
int raw_memfd_1_0(const struct kipc_wire *offer);
/* A SETUP message as the library's client fills it. */
void raw_setup_init(struct kipc_wire *w);
/* A shm listener for the raw tests; skips on every other transport. */
struct kipc_listener *shm_handshake_listener(char *name, size_t len);

#endif
