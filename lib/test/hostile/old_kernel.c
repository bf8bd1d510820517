// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * LD_PRELOAD for the hostile suite (lib/Makefile, check): a kernel before
 * 6.16, which has no SO_PASSRIGHTS, on a host that has it. setsockopt()
 * and getsockopt() of that option fail with ENOPROTOOPT, as there, so the
 * library never bars fds from its sockets and leaves them to its receive
 * paths and its drains (sock.c, "Fds from a peer"), the path every
 * Debian 12 kernel (6.1, 6.12) takes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>

#include "internal.h"

/* The option that kernel does not know: it fails, as there. */
static int unknown(int level, int name)
{
#ifdef SO_PASSRIGHTS
	if (level == SOL_SOCKET && name == SO_PASSRIGHTS) {
		errno = ENOPROTOOPT;
		return 1;
	}
#endif
	(void)level;
	(void)name;
	return 0;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	static int (*real)(int, int, int, const void *, socklen_t);

	if (unknown(level, name))
		return -1;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "setsockopt");
	return real(fd, level, name, val, len);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	static int (*real)(int, int, int, void *, socklen_t *);

	if (unknown(level, name))
		return -1;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "getsockopt");
	return real(fd, level, name, val, len);
}
