// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Who may connect: a listener's mode and group.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

#include "harness.h"

struct perm_arg {
	char name[64];
	gid_t gid;
	int want;
};

static void perm_child(void *a)
{
	struct perm_arg *pa = a;
	struct kipc_opts o;
	struct kipc_conn *c;
	int ret;

	CHECK_OK(setgroups(0, NULL));
	CHECK_OK(setgid(pa->gid));
	CHECK_OK(setuid(65534));
	opts_init(&o);
	o.timeout_ms = T_MS;
	ret = kipc_connect(pa->name, &o, &c);
	if (ret != pa->want)
		FAIL("connect as 65534:%d: %d, want %d", (int)pa->gid, ret,
		     pa->want);
	if (!ret) {
		send_ok(c, "p", 1);
		/* On dev a client gone before ACCEPT takes its connection with
		 * it (kmod/README): stay until the server has read and closed.
		 */
		recv_eos(c);
		kipc_close(c);
	}
}

static void perm_case(uint32_t mode, gid_t gid, int want)
{
	struct perm_arg pa = { .gid = gid, .want = want };
	struct kipc_listener *l;
	struct kipc_opts o;
	struct kipc_conn *s;
	int accepted = 0, st = -1;
	pid_t child;

	snprintf(pa.name, sizeof(pa.name), "%s", new_name());
	opts_init(&o);
	o.mode = mode;
	CHECK_OK(kipc_listen(pa.name, &o, &l));
	child = spawn(perm_child, &pa);
	/* The socket listener decides inside accept: keep accepting. */
	while (waitpid(child, &st, WNOHANG) == 0) {
		if (kipc_accept_timeout(l, &s, 0, 20) == 0) {
			recv_is(s, "p", 1);
			kipc_close(s);
			accepted++;
		}
	}
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* dev queues the connection without us: pick it up now. */
	if (!want && !accepted && kipc_accept_timeout(l, &s, 0, T_MS) == 0) {
		recv_is(s, "p", 1);
		kipc_close(s);
		accepted++;
	}
	CHECK_EQ(accepted, want ? 0 : 1);
	kipc_listener_close(l);
}

static void t_permissions(void)
{
	if (geteuid())
		skip("needs root to switch users");
	perm_case(0600, 65534, -EACCES);	/* other: no bits */
	perm_case(0602, 65534, 0);		/* other: write */
	perm_case(0604, 65534, -EACCES);	/* read is not enough */
	perm_case(0620, getegid(), 0);		/* group: write */
	perm_case(0602, getegid(), -EACCES);	/* group class picked, no bits */
}

TEST_GROUP(perm,
	{ "permissions", t_permissions, 60 });
