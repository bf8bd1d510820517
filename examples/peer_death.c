// SPDX-License-Identifier: MIT
/*
 * peer_death: how soon a sender learns that its receiver died.
 *
 *   peer_death selftest     measure once on the chosen transport
 *
 * A receiver (a child) accepts, reads one message and then waits; the
 * sender kills it with SIGKILL, reaps it (so every file it had is closed),
 * and then sends 64-byte messages without blocking until a send fails. It
 * reports how many sends were still accepted after the death and how long
 * the -EPIPE took. On dev the driver marks the peer gone in the header and
 * every send reads that word, so none is accepted; on shm the library hears
 * of the death from the socket at its next system call on the connection,
 * at the latest when the ring is full, so the messages sent meanwhile are
 * lost (as in a dead socket's buffer); uds is a socket.
 */
#include <stdint.h>

#include "common.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int receiver(struct kipc_listener *l)
{
	struct kipc_conn *c;
	char buf[64];

	if (kipc_accept(l, &c, 0) < 0)
		return 1;
	if (kipc_recv(c, buf, sizeof(buf), 0) <= 0 ||
	    kipc_send(c, "ready", 5, 0) != 5)
		return 1;
	pause();	/* until killed */
	return 0;
}

int main(int argc, char **argv)
{
	struct kipc_opts o = KIPC_OPTS_INIT;
	struct kipc_listener *l;
	struct kipc_conn *c;
	char name[64], msg[64] = "before";
	unsigned long accepted = 0, eagain = 0, cap;
	double t0, t1;
	ssize_t n;
	pid_t pid;
	int ret, t;

	if (argc != 2 || strcmp(argv[1], "selftest")) {
		fprintf(stderr, "usage: %s selftest\n", argv[0]);
		return 2;
	}
	alarm(60);
	ex_name(name, sizeof(name), "death");
	o.ring_bytes = 64 << 10;
	ret = kipc_listen(name, &o, &l);
	if (ret < 0) {
		fprintf(stderr, "listen: %s\n", kipc_strerror(ret));
		return 1;
	}
	pid = fork();
	if (pid == 0)
		_exit(receiver(l));
	kipc_listener_close(l);	/* ours: the child's copy still accepts */
	ret = ex_connect(name, &c);
	if (ret < 0) {
		fprintf(stderr, "connect: %s\n", kipc_strerror(ret));
		kill(pid, SIGKILL);
		return 1;
	}
	/* One exchange: the receiver is then past accept, about to pause(). */
	if (kipc_send(c, msg, sizeof(msg), 0) < 0 ||
	    kipc_recv_timeout(c, msg, sizeof(msg), 0, 10000) != 5) {
		kill(pid, SIGKILL);
		return 1;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	t0 = now_us();
	for (;;) {
		n = kipc_send(c, msg, sizeof(msg), KIPC_NONBLOCK);
		if (n == -EAGAIN) {
			eagain++;
			continue;
		}
		if (n < 0)
			break;
		accepted++;
		if (now_us() - t0 > 5e6)
			break;
	}
	t1 = now_us();
	/* A 64 KiB ring holds 65536 / KIPC_REC_SPAN(64) = 910 such messages. */
	cap = (64 << 10) / (8 + 64);
	t = kipc_transport(c);
	kipc_close(c);
	printf("peer_death: %s: %lu sends accepted after the peer's death (%lu -EAGAIN), then %s after %.0f us\n",
	       kipc_transport_name(t), accepted, eagain,
	       n < 0 ? kipc_strerror((int)n) : "no error", t1 - t0);
	ret = n != -EPIPE;
	if (t == KIPC_TRANSPORT_DEV && accepted)
		ret = 1;	/* the driver's word is read on every send */
	if (accepted > cap)
		ret = 1;	/* never more than the ring holds */
	if (!ret)
		printf("peer_death selftest: ok (%s: %lu accepted after the death, EPIPE after %.0f us)\n",
		       kipc_transport_name(t), accepted, t1 - t0);
	return ret;
}
