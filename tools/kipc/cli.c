// SPDX-License-Identifier: GPL-2.0
/*
 * kipc command: error reporting, option values and plain I/O shared by the
 * subcommands.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "cli.h"
#include "progress.h"

void cli_err(const char *cmd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cli_progress_break();	/* a progress line in the way ends first */
	/* One write, so that two kipc processes sharing a terminal don't mix. */
	dprintf(2, "kipc%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", line);
}

int cli_usage_error(const char *cmd)
{
	dprintf(2, "Try 'kipc %s --help'.\n", cmd);
	return KIPC_EXIT_USAGE;
}

int cli_exit_of(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return KIPC_EXIT_OK;
	case ENOENT:
	case ECONNREFUSED:
		return KIPC_EXIT_NO_NAME;
	case EACCES:
	case EPERM:
		return KIPC_EXIT_DENIED;
	case EPIPE:
	case ECONNRESET:
		return KIPC_EXIT_PEER;
	case EMSGSIZE:
		return KIPC_EXIT_MSGSIZE;
	case EADDRINUSE:
		return KIPC_EXIT_IN_USE;
	case ENODEV:
	case EOPNOTSUPP:
		return KIPC_EXIT_TRANSPORT;
	case ETIMEDOUT:
		return KIPC_EXIT_TIMEOUT;
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case ENOSPC:
		return KIPC_EXIT_RESOURCE;
	case EPROTO:
	case EBADMSG:
		return KIPC_EXIT_PROTOCOL;
	case EINVAL:
		return KIPC_EXIT_USAGE;
	}
	return KIPC_EXIT_FAILURE;
}

int cli_parse_transport(const char *cmd, const char *arg, unsigned int *out)
{
	static const struct {
		const char *name;
		unsigned int transport;
	} names[] = {
		{ "auto", KIPC_TRANSPORT_AUTO },
		{ "dev", KIPC_TRANSPORT_DEV },
		{ "shm", KIPC_TRANSPORT_SHM },
		{ "uds", KIPC_TRANSPORT_UDS },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(arg, names[i].name)) {
			*out = names[i].transport;
			return 0;
		}
	}
	cli_err(cmd, "unknown transport '%s' (dev, shm, uds or auto)", arg);
	return -1;
}

/* "65536", "64k", "64KiB", "1m", "1MiB", "1g": binary multiples. */
int cli_parse_size(const char *cmd, const char *what, const char *arg,
		   uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *arg == '-')
		goto bad;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	}
	if (shift && *end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && v > (~0ULL >> shift)))
		goto bad;
	v <<= shift;
	if (v < min || v > max) {
		cli_err(cmd, "%s %s is out of range (%llu to %llu bytes)", what, arg,
			(unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
bad:
	cli_err(cmd, "%s '%s' is not a size (bytes, or with a suffix k, m, g)",
		what, arg);
	return -1;
}

int cli_parse_seconds(const char *cmd, const char *what, const char *arg,
		      double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0 || v > 1e7) {
		cli_err(cmd, "%s '%s' is not a number of seconds", what, arg);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse_mode(const char *cmd, const char *arg, uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 8);
	if (errno || end == arg || *end || *arg == '-' || v > 0777) {
		cli_err(cmd, "mode '%s' is not octal permission bits (0 to 0777)", arg);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* The rule of include/uapi/linux/kipc.h, said here in the user's terms. */
int cli_check_name(const char *cmd, const char *name)
{
	size_t len = strlen(name), i;

	if (!len || len >= KIPC_NAME_MAX) {
		cli_err(cmd, "bad name '%s': 1 to %d characters", name,
			KIPC_NAME_MAX - 1);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x21 || c > 0x7e) {
			cli_err(cmd, "bad name '%s': printable ASCII without spaces only",
				name);
			return -1;
		}
	}
	return 0;
}

const char *cli_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)n);
		return buf;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.*f %s", v < 10 && v != floor(v) ? 1 : 0, v, unit[u]);
	return buf;
}

static int wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, -1) < 0 && errno != EINTR ? -errno : 0;
}

int cli_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;
	int ret;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				ret = wait_fd(fd, POLLOUT);
				if (ret)
					return ret;
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t read_loop(int fd, void *buf, size_t len, bool until_full)
{
	struct pollfd ready = { .fd = fd, .events = POLLIN };
	char *p = buf;
	size_t got = 0;
	ssize_t n;
	int ret;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				ret = wait_fd(fd, POLLIN);
				if (ret)
					return ret;
				continue;
			}
			return -errno;
		}
		if (!n)
			break;
		got += (size_t)n;
		if (!until_full && got < len && poll(&ready, 1, 0) == 0)
			break;
	}
	return (ssize_t)got;
}

/* Fills @buf unless end of file comes first; the count, or -errno. */
ssize_t cli_read_full(int fd, void *buf, size_t len)
{
	return read_loop(fd, buf, len, true);
}

ssize_t cli_read_ready(int fd, void *buf, size_t len)
{
	return read_loop(fd, buf, len, false);
}

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_ms_until(double deadline)
{
	double left;

	if (deadline < 0)
		return -1;
	left = (deadline - cli_now()) * 1000.0;
	if (left <= 0)
		return 0;
	return left > 2e9 ? 2000000000 : (int)ceil(left);
}
