// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Error strings, and the one piece of state behind them: which feature the
 * driver or the peer lacked when a call last failed with -EPROTONOSUPPORT
 * in this thread, so that kipc_strerror() can name it.
 */
#include <errno.h>

#include "internal.h"

static __thread uint64_t missing, missing_caps;

/* Record that @features were lacking; returns -EPROTONOSUPPORT. */
int kipc__missing(uint64_t features)
{
	missing = features;
	missing_caps = 0;
	return -EPROTONOSUPPORT;
}

/* The same for handshake caps (KIPC_WIRE_CAP_*) the peer lacked. */
int kipc__missing_caps(uint64_t caps)
{
	missing = 0;
	missing_caps = caps;
	return -EPROTONOSUPPORT;
}

static const char *missing_text(uint64_t f)
{
	if (missing_caps & KIPC_WIRE_CAP_PAGE_ROLES)
		return "the shm peer is an older libkipc without page roles: it would keep write access to our ring indices";
	if (f & KIPC_F_RING_FORMATS)
		return "the ring uses a format (KIPC_F_RING_*) this libkipc cannot read";
	if (f & KIPC_F_POLL_NEED)
		return "the kipc driver lacks KIPC_F_POLL_NEED (POLLOUT honouring kipc_prod.need)";
	if (f & KIPC_F_NEGOTIATE)
		return "the kipc driver lacks KIPC_F_NEGOTIATE (ring-format features)";
	if (f & KIPC_F_URING_CMD)
		return "the kipc driver lacks KIPC_F_URING_CMD (io_uring kick)";
	if (f & KIPC_F_PEERCRED)
		return "the kipc driver lacks KIPC_F_PEERCRED (peer credentials)";
	if (f & KIPC_F_EVENTFD)
		return "the kipc driver lacks KIPC_F_EVENTFD (eventfd doorbell)";
	return "the driver or the peer lacks a kipc feature this libkipc needs";
}

KIPC_API const char *kipc_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid argument";
	case E2BIG:
		return "options from a newer libkipc with unknown fields set";
	case ENOENT:
		return "no listener of that name";
	case EACCES:
		return "permission denied by the listener's mode";
	case EADDRINUSE:
		return "name already in use";
	case ECONNREFUSED:
		return "listener closed before accepting";
	case ENODEV:
		return "transport not available on this system";
	case EPROTO:
		return "not a kipc driver or peer (bad magic or handshake)";
	case EPROTONOSUPPORT:
		return missing_text(missing);
	case EPERM:
		return "the shm peer's memfd is not sealed read-only (F_SEAL_FUTURE_WRITE, SHRINK, GROW, SEAL)";
	case EBADMSG:
		return "peer corrupted the shared ring; connection broken";
	case EMSGSIZE:
		return "message larger than the ring allows or the buffer holds";
	case EAGAIN:
		return "would block";
	case ETIMEDOUT:
		return "timed out";
	case EPIPE:
		return "peer has gone";
	case EINTR:
		return "interrupted by a signal";
	case ENOMEM:
		return "out of memory";
	case EMFILE:
		return "too many open files";
	case ENOSPC:
		return "kipc pinned-memory limit reached";
	case EOPNOTSUPP:
		return "not supported by this transport";
	}
	return "unknown error";
}

