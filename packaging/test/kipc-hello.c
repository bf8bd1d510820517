// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * kipc-hello: the smallest real use of an installed libkipc, for the
 * install and package tests (tools/check.d/host-install.sh,
 * packaging/deb-test.sh). Built with `pkg-config --cflags --libs kipc`
 * alone: it includes every public header, listens, forks a client that
 * sends COUNT messages of growing sizes over the transport named on the
 * command line (default shm), and checks each byte and the end-of-stream.
 * Prints "kipc-hello: N messages over TRANSPORT" and exits 0 on success.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kipc.h>
#include <kipc_ring.h>		/* the ring protocol, with <linux/kipc.h> */

#define COUNT 1000
#define MAX_LEN 3000
#define TIMEOUT_MS 10000

_Static_assert(KIPC_ABI_VERSION == 1, "the 1.0 ring format");

static unsigned char pattern(unsigned int msg, unsigned int i)
{
	return (unsigned char)(msg * 31 + i);
}

static int client(const char *name, unsigned int transport)
{
	struct kipc_opts opts = KIPC_OPTS_INIT;
	unsigned char buf[MAX_LEN];
	struct kipc_conn *c;
	unsigned int m, i;
	int err;

	opts.transport = transport;
	opts.timeout_ms = TIMEOUT_MS;
	err = kipc_connect(name, &opts, &c);
	if (err < 0) {
		fprintf(stderr, "kipc-hello: connect: %s\n", kipc_strerror(err));
		return 1;
	}
	for (m = 0; m < COUNT; m++) {
		size_t len = 1 + m * 7 % MAX_LEN;

		for (i = 0; i < len; i++)
			buf[i] = pattern(m, i);
		err = (int)kipc_send_timeout(c, buf, len, 0, TIMEOUT_MS);
		if (err < 0) {
			fprintf(stderr, "kipc-hello: send %u: %s\n", m,
				kipc_strerror(err));
			return 1;
		}
	}
	kipc_close(c);
	return 0;
}

static int server(struct kipc_listener *l, unsigned int transport)
{
	unsigned char buf[MAX_LEN];
	struct kipc_conn *c;
	unsigned int m, i;
	ssize_t n;
	int err;

	err = kipc_accept_timeout(l, &c, 0, TIMEOUT_MS);
	if (err < 0) {
		fprintf(stderr, "kipc-hello: accept: %s\n", kipc_strerror(err));
		return 1;
	}
	if ((unsigned int)kipc_transport(c) != transport) {
		fprintf(stderr, "kipc-hello: connected over %s, not %s\n",
			kipc_transport_name(kipc_transport(c)),
			kipc_transport_name((int)transport));
		return 1;
	}
	for (m = 0; m < COUNT; m++) {
		size_t len = 1 + m * 7 % MAX_LEN;

		n = kipc_recv_timeout(c, buf, sizeof(buf), 0, TIMEOUT_MS);
		if (n < 0 || (size_t)n != len) {
			fprintf(stderr, "kipc-hello: message %u: %zd bytes (%s), want %zu\n",
				m, n, n < 0 ? kipc_strerror((int)n) : "short", len);
			return 1;
		}
		for (i = 0; i < len; i++)
			if (buf[i] != pattern(m, i)) {
				fprintf(stderr, "kipc-hello: message %u byte %u differs\n",
					m, i);
				return 1;
			}
	}
	n = kipc_recv_timeout(c, buf, sizeof(buf), 0, TIMEOUT_MS);
	if (n != 0) {
		fprintf(stderr, "kipc-hello: after the last message: %zd, want 0\n", n);
		return 1;
	}
	kipc_close(c);
	return 0;
}

int main(int argc, char **argv)
{
	const char *tname = argc > 1 ? argv[1] : "shm";
	struct kipc_opts opts = KIPC_OPTS_INIT;
	struct kipc_listener *l;
	unsigned int transport;
	char name[64];
	int err, status, rc;
	pid_t pid;

	if (!strcmp(tname, "dev"))
		transport = KIPC_TRANSPORT_DEV;
	else if (!strcmp(tname, "shm"))
		transport = KIPC_TRANSPORT_SHM;
	else if (!strcmp(tname, "uds"))
		transport = KIPC_TRANSPORT_UDS;
	else {
		fprintf(stderr, "usage: kipc-hello [dev|shm|uds]\n");
		return 2;
	}
	snprintf(name, sizeof(name), "kipc-hello.%ld", (long)getpid());
	opts.transport = transport;
	err = kipc_listen(name, &opts, &l);
	if (err < 0) {
		fprintf(stderr, "kipc-hello: listen: %s\n", kipc_strerror(err));
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("kipc-hello: fork");
		return 1;
	}
	if (pid == 0) {
		kipc_listener_close(l);
		_exit(client(name, transport));
	}
	rc = server(l, transport);
	kipc_listener_close(l);
	if (rc)
		kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "kipc-hello: the client failed\n");
		rc = 1;
	}
	if (!rc)
		printf("kipc-hello: %d messages over %s\n", COUNT, tname);
	return rc;
}
