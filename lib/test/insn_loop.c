// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * insn_loop - the fast path under a counter: one connection in one
 * process, N rounds of kipc_send() then kipc_recv() of SIZE bytes on the
 * same thread, nothing else. Run it under valgrind --tool=callgrind (or
 * perf stat -e instructions) twice with different N; the difference of
 * the two totals over the difference of the two N is the instruction cost
 * of one send + one recv. lib/README.md, "Instructions per message".
 *
 * Usage: insn_loop SIZE N   (KIPC_TRANSPORT picks the transport, shm default)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipc.h"

static struct kipc_listener *lis;
static struct kipc_conn *srv;

static void *acceptor(void *arg)
{
	(void)arg;
	if (kipc_accept_timeout(lis, &srv, 0, 20000))
		srv = NULL;
	return NULL;
}

int main(int argc, char **argv)
{
	struct kipc_opts o = KIPC_OPTS_INIT;
	static char buf[4096], out[4096];
	struct kipc_conn *cli;
	unsigned long n, i;
	char name[64];
	pthread_t t;
	size_t size;

	if (argc != 3)
		return 2;
	size = strtoul(argv[1], NULL, 0);
	n = strtoul(argv[2], NULL, 0);
	if (!size || size > sizeof(buf))
		return 2;
	if (!getenv("KIPC_TRANSPORT"))
		o.transport = KIPC_TRANSPORT_SHM;
	o.wait_policy = KIPC_WAIT_SPIN;
	snprintf(name, sizeof(name), "insn-%d", (int)getpid());
	if (kipc_listen(name, &o, &lis))
		return 1;
	pthread_create(&t, NULL, acceptor, NULL);
	if (kipc_connect(name, &o, &cli))
		return 1;
	pthread_join(t, NULL);
	if (!srv)
		return 1;
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < n; i++) {
		if (kipc_send(cli, buf, size, 0) != (ssize_t)size ||
		    kipc_recv(srv, out, sizeof(out), 0) != (ssize_t)size)
			return 1;
	}
	kipc_close(cli);
	kipc_close(srv);
	kipc_listener_close(lis);
	return 0;
}
