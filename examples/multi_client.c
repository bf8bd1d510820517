// SPDX-License-Identifier: MIT
/*
 * multi_client: many clients, one server, and per-client credentials.
 *
 *   multi_client server NAME [CLIENTS]  serve (exit after CLIENTS clients)
 *   multi_client client NAME            ask the server who we are
 *   multi_client selftest [CLIENTS]     a server and CLIENTS clients (8); as
 *                                       root half of them run as nobody
 *
 * The server keeps a record per client with the credentials libkipc got
 * from the kernel at connect time (kipc_peer_cred(): the driver's, or
 * SO_PEERCRED on the sockets), never what the client says about itself.
 * A client sends "HELLO <pid> <uid>"; the server answers "OK pid=... uid=...
 * gid=... client=N" when the claim matches the kernel's word and "DENIED
 * ..." when it does not, and the client checks the answer against its own
 * getpid()/getuid()/getgid(). The listener's mode 0666 lets every user
 * connect; the credentials then say who each one is. Calls that block run
 * with a timeout, since one client must not stall the others for long.
 */
#include <poll.h>

#include "common.h"

#define MAX_CLIENTS	64

struct client {
	struct kipc_conn *c;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int id;
	int answered;
};

static int answer(struct client *cl)
{
	char buf[128], out[160];
	long pid, uid;
	int len;
	ssize_t n;

	n = kipc_recv(cl->c, buf, sizeof(buf) - 1, KIPC_NONBLOCK);
	if (n == -EAGAIN)
		return 0;
	if (n <= 0)
		return n ? (int)n : 1;
	buf[n] = '\0';
	if (sscanf(buf, "HELLO %ld %ld", &pid, &uid) == 2 &&
	    pid == (long)cl->pid && uid == (long)cl->uid)
		len = snprintf(out, sizeof(out), "OK pid=%d uid=%u gid=%u client=%d",
			       (int)cl->pid, (unsigned int)cl->uid,
			       (unsigned int)cl->gid, cl->id);
	else
		len = snprintf(out, sizeof(out), "DENIED you are pid=%d uid=%u",
			       (int)cl->pid, (unsigned int)cl->uid);
	cl->answered++;
	n = kipc_send_timeout(cl->c, out, (size_t)len, 0, 1000);
	return n < 0 ? (int)n : 0;
}

static int serve(const char *name, int clients)
{
	struct kipc_opts o = KIPC_OPTS_INIT;
	struct pollfd pfd[MAX_CLIENTS + 1];
	struct client cl[MAX_CLIENTS];
	struct kipc_listener *l;
	int ret, n = 0, done = 0, ids = 0, i;

	o.mode = 0666;
	ret = kipc_listen(name, &o, &l);
	if (ret < 0) {
		fprintf(stderr, "listen %s: %s\n", name, kipc_strerror(ret));
		return 1;
	}
	while (!clients || done < clients) {
		pfd[0].fd = kipc_listener_fd(l);
		pfd[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			pfd[i + 1].fd = kipc_fd(cl[i].c);
			pfd[i + 1].events = (short)kipc_poll_events(cl[i].c, POLLIN);
		}
		if (poll(pfd, (nfds_t)n + 1, -1) < 0 && errno != EINTR)
			break;
		while (n < MAX_CLIENTS &&
		       kipc_accept(l, &cl[n].c, KIPC_NONBLOCK) == 0) {
			kipc_peer_cred(cl[n].c, &cl[n].pid, &cl[n].uid, &cl[n].gid);
			cl[n].id = ++ids;
			cl[n].answered = 0;
			n++;
		}
		/* Every connection, ready or not: recv says -EAGAIN cheaply. */
		for (i = 0; i < n; i++) {
			ret = answer(&cl[i]);
			if (!ret)
				continue;
			printf("server: client %d pid=%d uid=%u gid=%u via %s, %d answer(s)%s%s\n",
			       cl[i].id, (int)cl[i].pid, (unsigned int)cl[i].uid,
			       (unsigned int)cl[i].gid,
			       kipc_transport_name(kipc_transport(cl[i].c)),
			       cl[i].answered, ret < 0 ? ", " : "",
			       ret < 0 ? kipc_strerror(ret) : "");
			kipc_close(cl[i].c);
			cl[i--] = cl[--n];
			done++;
		}
	}
	kipc_listener_close(l);
	return 0;
}

static int client(const char *name)
{
	char buf[160], want[160];
	struct kipc_conn *c;
	pid_t spid;
	uid_t suid;
	ssize_t n;
	int ret, len;

	ret = ex_connect(name, &c);
	if (ret < 0) {
		fprintf(stderr, "client %d: connect: %s\n", getpid(), kipc_strerror(ret));
		return 1;
	}
	/* Who answered? Anyone may bind a free name first. */
	kipc_peer_cred(c, &spid, &suid, NULL);
	len = snprintf(buf, sizeof(buf), "HELLO %d %u", (int)getpid(),
		       (unsigned int)getuid());
	n = kipc_send_timeout(c, buf, (size_t)len, 0, 10000);
	if (n > 0)
		n = kipc_recv_timeout(c, buf, sizeof(buf) - 1, 0, 10000);
	kipc_close(c);
	if (n <= 0) {
		fprintf(stderr, "client %d: %s\n", getpid(),
			n ? kipc_strerror((int)n) : "no answer");
		return 1;
	}
	buf[n] = '\0';
	len = snprintf(want, sizeof(want), "OK pid=%d uid=%u gid=%u client=",
		       (int)getpid(), (unsigned int)getuid(), (unsigned int)getgid());
	if (strncmp(buf, want, (size_t)len)) {
		fprintf(stderr, "client %d: the server says \"%s\"\n", getpid(), buf);
		return 1;
	}
	printf("client %d: server pid %d uid %u says \"%s\"\n", getpid(), (int)spid,
	       (unsigned int)suid, buf);
	return 0;
}

static int selftest(int clients)
{
	char name[64];
	pid_t server, pid;
	int st, failed = 0, i, nobody = 0;

	ex_name(name, sizeof(name), "multi");
	alarm(120);
	server = fork();
	if (server == 0) {
		st = serve(name, clients);
		fflush(stdout);
		_exit(st);
	}
	for (i = 0; i < clients; i++) {
		int drop = geteuid() == 0 && i % 2;

		nobody += drop;
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			/* As root, odd clients become nobody (65534). */
			if (drop && (setresgid(65534, 65534, 65534) ||
				     setresuid(65534, 65534, 65534)))
				_exit(1);
			st = client(name);
			fflush(stdout);
			_exit(st);
		}
	}
	while ((pid = wait(&st)) > 0) {
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "multi_client: %s %d failed\n",
				pid == server ? "server" : "client", pid);
			failed++;
		}
	}
	if (failed)
		return 1;
	printf("multi_client selftest: ok (%d clients, %d of them as uid 65534)\n",
	       clients, nobody);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "server"))
		return serve(argv[2], argc > 3 ? atoi(argv[3]) : 0);
	if (argc == 3 && !strcmp(argv[1], "client"))
		return client(argv[2]);
	if (argc >= 2 && !strcmp(argv[1], "selftest"))
		return selftest(argc > 2 ? atoi(argv[2]) : 8);
	fprintf(stderr, "usage: %s server NAME [CLIENTS] | client NAME | selftest [CLIENTS]\n",
		argv[0]);
	return 2;
}
