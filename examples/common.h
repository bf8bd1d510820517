/* SPDX-License-Identifier: MIT */
/*
 * What the examples share: the echo protocol of the servers (the reply is
 * the message upper-cased), a client that checks it, and a self-test that
 * runs a server and its clients in child processes. Not part of libkipc.
 */
#ifndef KIPC_EXAMPLE_COMMON_H
#define KIPC_EXAMPLE_COMMON_H

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>

static inline void ex_upper(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)toupper((unsigned char)buf[i]);
}

/* Connect, retrying while the server is not listening yet (5 s). */
static inline int ex_connect(const char *name, struct kipc_conn **c)
{
	struct kipc_opts o = KIPC_OPTS_INIT;
	int ret, i;

	o.timeout_ms = 10000;
	for (i = 0; i < 500; i++) {
		ret = kipc_connect(name, &o, c);
		if (ret != -ENOENT)
			return ret;
		usleep(10000);
	}
	return ret;
}

/* An echo client: @msgs round trips, each reply checked. 0 or -errno. */
static inline int ex_echo_client(const char *name, int msgs, int verbose)
{
	char out[128], in[128], want[128];
	struct kipc_conn *c;
	ssize_t n;
	int ret, i;

	ret = ex_connect(name, &c);
	if (ret < 0) {
		fprintf(stderr, "client %d: connect: %s\n", getpid(),
			kipc_strerror(ret));
		return ret;
	}
	for (i = 0; i < msgs; i++) {
		int len = snprintf(out, sizeof(out), "message %d from %d", i,
				   getpid());

		n = kipc_send_timeout(c, out, (size_t)len, 0, 10000);
		if (n < 0)
			goto fail;
		n = kipc_recv_timeout(c, in, sizeof(in), 0, 10000);
		if (n <= 0) {
			n = n ? n : -EPIPE;
			goto fail;
		}
		memcpy(want, out, (size_t)len);
		ex_upper(want, (size_t)len);
		if (n != len || memcmp(in, want, (size_t)len)) {
			fprintf(stderr, "client %d: reply %d is wrong: %.*s\n",
				getpid(), i, (int)n, in);
			kipc_close(c);
			return -EBADMSG;
		}
	}
	if (verbose)
		printf("client %d: %d echoes ok over %s\n", getpid(), msgs,
		       kipc_transport_name(kipc_transport(c)));
	kipc_close(c);
	return 0;
fail:
	fprintf(stderr, "client %d: message %d: %s\n", getpid(), i,
		kipc_strerror((int)n));
	kipc_close(c);
	return (int)n;
}

/* A unique name per run, so that self-tests never meet. */
static inline void ex_name(char *buf, size_t len, const char *prog)
{
	snprintf(buf, len, "ex-%s-%d", prog, getpid());
}

/*
 * Self-test: the server in a child (@serve(name, clients)), then @clients
 * echo clients of @msgs round trips, each in a child. Exit status of the
 * whole: 0 when every child exited 0.
 */
static inline int ex_selftest(const char *prog, int (*serve)(const char *, int),
			      int clients, int msgs)
{
	char name[64];
	pid_t server, pid;
	int st, failed = 0, i;

	ex_name(name, sizeof(name), prog);
	alarm(120);	/* a bug must not hang the check */
	server = fork();
	if (server == 0) {
		st = serve(name, clients);
		fflush(stdout);
		_exit(st ? 1 : 0);
	}
	for (i = 0; i < clients; i++) {
		pid = fork();
		if (pid == 0) {
			st = ex_echo_client(name, msgs, 0);
			fflush(stdout);
			_exit(st ? 1 : 0);
		}
	}
	while ((pid = wait(&st)) > 0) {
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "%s: %s %d failed (status 0x%x)\n", prog,
				pid == server ? "server" : "client", pid, st);
			failed++;
		}
	}
	if (failed)
		return 1;
	printf("%s selftest: ok (%d clients x %d echoes, transport %s)\n", prog,
	       clients, msgs, getenv("KIPC_TRANSPORT") ? getenv("KIPC_TRANSPORT") : "auto");
	return 0;
}

#endif
