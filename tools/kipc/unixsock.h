/* SPDX-License-Identifier: GPL-2.0 */
/* kipc command: the socket transports' listeners and connections. */
#ifndef KIPC_CLI_UNIXSOCK_H
#define KIPC_CLI_UNIXSOCK_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct kipc_sock {
	char name[64];			/* the kipc name, without the prefix */
	unsigned long inode;
	bool listening;			/* else an accepted connection */
	pid_t pid;			/* holder, 0 if not visible to us */
	char comm[32];
	/* From sock_diag, where the kernel has it (have_diag). */
	bool have_diag;
	unsigned long peer_inode;	/* a connection's client end */
	pid_t peer_pid;
	char peer_comm[32];
	unsigned int rqueue;		/* listener: queued connections; else bytes */
	unsigned int wqueue;		/* listener: backlog */
};

struct kipc_socks {
	struct kipc_sock *v;
	size_t n, cap;
};

/* 0 or -errno (no /proc/net/unix). */
int kipc_socks_read(struct kipc_socks *s);
void kipc_socks_free(struct kipc_socks *s);

#endif /* KIPC_CLI_UNIXSOCK_H */
