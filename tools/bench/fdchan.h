/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A channel over file descriptors (pipes, FIFOs, sockets): the parent
 * makes the fds, each role keeps its own and closes the rest (so that a
 * peer's exit is an EOF, not a hang).
 */
#ifndef KIPC_BENCH_FDCHAN_H
#define KIPC_BENCH_FDCHAN_H

#include "bench.h"

#define FDCHAN_TX	0
#define FDCHAN_RX	1

struct fdchan {
	int role_fd[2][2];	/* [role][FDCHAN_TX/RX]; -1: opened in attach */
	int extra_fd;		/* parent-only, e.g. a listening socket */
	bool stream;		/* byte stream: a message may take several calls */
	int tx, rx;		/* this role's, after attach */
};

void fdchan_init(struct fdchan *c, bool stream);
int fdchan_attach(struct bench_run *r);
void fdchan_detach(struct bench_run *r);
void fdchan_teardown(struct bench_run *r);
int fdchan_send(struct bench_run *r, const void *buf, size_t len);
int fdchan_recv(struct bench_run *r, void *buf, size_t len);
/* Datagram-like sockets: a message must fit the send buffer. */
const char *fdchan_dgram_size_unsupported(uint64_t size, char *why, size_t len);
int fdchan_size_sockets(struct bench_run *r, int fd);
/* A connected AF_UNIX pair: role A gets one end, role B the other. */
int fdchan_socketpair(struct bench_run *r, int type, bool stream);

#endif
