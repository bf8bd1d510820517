// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Who the peer is: its credentials, translated across user namespaces,
 * and names scoped by network namespace on every transport.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"

static void peer_cred_child(void *a)
{
	struct name_arg *na = a;
	struct kipc_conn *c = connect_retry(na->name, NULL, T_MS);
	pid_t pid, me = getpid();

	CHECK_OK(kipc_peer_cred(c, &pid, NULL, NULL));
	CHECK_EQ(pid, getppid());
	send_ok(c, &me, sizeof(me));
	recv_eos(c);
	kipc_close(c);
}

static void t_peer_cred(void)
{
	struct kipc_listener *l;
	struct name_arg na;
	struct kipc_conn *s;
	pid_t child, pid;
	uid_t uid;
	gid_t gid;

	snprintf(na.name, sizeof(na.name), "%s", new_name());
	CHECK_OK(kipc_listen(na.name, NULL, &l));
	child = spawn(peer_cred_child, &na);
	s = accept_one(l, T_MS);
	CHECK_OK(kipc_peer_cred(s, &pid, &uid, &gid));
	CHECK_EQ(pid, child);
	CHECK_EQ(uid, geteuid());
	CHECK_EQ(gid, getegid());
	recv_is(s, &child, sizeof(child));
	kipc_close(s);
	kipc_listener_close(l);
	CHECK_EQ(reap(child, T_MS), 0);
}

/*
 * Names are per network namespace on every transport (the driver's as the
 * abstract sockets): a client in another one gets -ENOENT, and can bind
 * the same name there for itself.
 */
static void netns_child(void *a)
{
	struct kipc_listener *l, *l2;
	struct name_arg *na = a;
	struct kipc_conn *c;

	CHECK_OK(unshare(CLONE_NEWNET) ? -errno : 0);
	CHECK_EQ(kipc_connect(na->name, NULL, &c), -ENOENT);
	CHECK_OK(kipc_listen(na->name, NULL, &l));
	CHECK_EQ(kipc_listen(na->name, NULL, &l2), -EADDRINUSE);	/* ours now */
	kipc_listener_close(l);
}

static void t_netns_names(void)
{
	struct kipc_listener *l;
	struct kipc_conn *s;
	struct name_arg na;

	if (geteuid())
		skip("needs root for a network namespace");
	snprintf(na.name, sizeof(na.name), "%s", new_name());
	CHECK_OK(kipc_listen(na.name, NULL, &l));
	CHECK_EQ(reap(spawn(netns_child, &na), T_MS), 0);
	/* Nothing of the child's came here. */
	CHECK_EQ(kipc_accept_timeout(l, &s, 0, 0), -ETIMEDOUT);
	kipc_listener_close(l);
}

static unsigned int overflow_id(const char *path)
{
	unsigned int v = 65534;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 65534;
		fclose(f);
	}
	return v;
}

/*
 * A client in a user namespace that maps nobody: it sees the root server
 * as the overflow ids, the server sees it as root, on every transport
 * (SO_PEERCRED translates them on shm and uds, the driver on dev).
 */
static void userns_child(void *a)
{
	unsigned int ouid = overflow_id("/proc/sys/kernel/overflowuid");
	unsigned int ogid = overflow_id("/proc/sys/kernel/overflowgid");
	struct name_arg *na = a;
	struct kipc_conn *c;
	pid_t pid;
	uid_t uid;
	gid_t gid;

	CHECK_OK(unshare(CLONE_NEWUSER) ? -errno : 0);
	c = connect_retry(na->name, NULL, T_MS);
	CHECK_OK(kipc_peer_cred(c, &pid, &uid, &gid));
	CHECK_EQ(pid, getppid());
	CHECK_EQ(uid, ouid);
	CHECK_EQ(gid, ogid);
	send_ok(c, "u", 1);
	recv_eos(c);
	kipc_close(c);
}

static void t_peer_cred_userns(void)
{
	struct kipc_listener *l;
	struct name_arg na;
	struct kipc_conn *s;
	pid_t child, pid;
	uid_t uid;
	gid_t gid;

	if (geteuid())
		skip("needs root for the ids to translate");
	snprintf(na.name, sizeof(na.name), "%s", new_name());
	CHECK_OK(kipc_listen(na.name, NULL, &l));
	child = spawn(userns_child, &na);
	s = accept_one(l, T_MS);
	CHECK_OK(kipc_peer_cred(s, &pid, &uid, &gid));
	CHECK_EQ(pid, child);
	CHECK_EQ(uid, 0);
	CHECK_EQ(gid, 0);
	recv_is(s, "u", 1);
	kipc_close(s);
	kipc_listener_close(l);
	CHECK_EQ(reap(child, T_MS), 0);
}

TEST_GROUP(cred,
	{ "peer_cred", t_peer_cred, 30 },
	{ "netns_names", t_netns_names, 30 },
	{ "peer_cred_userns", t_peer_cred_userns, 30 });
