// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Closing: close with messages in flight, and a child's close of a
 * connection it inherited by fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/*
 * A descendant that is pid 1 of a new PID namespace has the pid of a
 * creator that is pid 1 of its own (a container's init): by getpid() alone
 * it looked like the creator, and its kipc_close() released room through
 * ring mappings it never inherited (SIGSEGV) or unmapped whatever had
 * taken their place since.
 */
static void pidns_grandchild(void *a)
{
	struct pair *p = a;

	kipc_close(p->c);
	kipc_close(p->s);
	kipc_listener_close(p->l);
}

static void pidns_middle(void *a)
{
	if (unshare(CLONE_NEWPID))
		FAIL("unshare(CLONE_NEWPID): %s", strerror(errno));
	CHECK_EQ(reap(spawn(pidns_grandchild, a), T_MS), 0);
}

static void pidns_creator(void *a)
{
	struct pair p;
	char b[8];

	(void)a;
	CHECK_EQ(getpid(), 1);
	pair_open(&p, NULL, NULL);
	/* Consumed bytes not yet handed back: a close releases them. */
	send_ok(p.c, "x", 1);
	CHECK_EQ(kipc_recv(p.s, b, sizeof(b), 0), 1);
	CHECK_EQ(reap(spawn(pidns_middle, &p), T_MS), 0);
	send_ok(p.c, "after", 5);
	recv_is(p.s, "after", 5);
	send_ok(p.s, "ns", 2);
	recv_is(p.c, "ns", 2);
	pair_close(&p);
}

static void t_fork_pidns_close(void)
{
	if (geteuid())
		skip("needs root (CLONE_NEWPID)");
	if (unshare(CLONE_NEWPID))
		skip("unshare(CLONE_NEWPID): %s", strerror(errno));
	CHECK_EQ(reap(spawn(pidns_creator, NULL), T_MS), 0);
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
	{ "fork_pidns_close", t_fork_pidns_close, 30 },
	{ "close_more", t_close_more, 30 });
