// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Closing: close with messages in flight, and a child's close of a
 * connection it inherited by fork.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "harness.h"

static void t_fork_close(void)
{
	struct pair p;
	pid_t pid;
	int st;

	pair_open(&p, NULL, NULL);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		/* The child drops its references without touching rings. */
		kipc_close(p.c);
		kipc_close(p.s);
		kipc_listener_close(p.l);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && !WEXITSTATUS(st));
	send_ok(p.c, "after", 5);
	recv_is(p.s, "after", 5);
	send_ok(p.s, "fork", 4);
	recv_is(p.c, "fork", 4);
	pair_close(&p);
}

static void t_close_more(void)
{
	struct pair p;
	int i;

	pair_open(&p, NULL, NULL);
	for (i = 0; i < 3; i++)
		CHECK_EQ(kipc_send(p.c, &i, sizeof(i), KIPC_MORE), (long)sizeof(i));
	kipc_close(p.c);
	p.c = NULL;
	for (i = 0; i < 3; i++)
		recv_is(p.s, &i, sizeof(i));
	recv_eos(p.s);
	pair_close(&p);
}

TEST_GROUP(lifecycle,
	{ "fork_close", t_fork_close, 30 },
	{ "close_more", t_close_more, 30 });
