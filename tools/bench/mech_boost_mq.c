// SPDX-License-Identifier: GPL-2.0
/*
 * Boost.Interprocess message_queue. Boost is C++, so both roles exec
 * kipc-bench-boost (boost_mq_helper.cpp), which runs the same engine with
 * send/recv on the queues. The parent only names the queues and removes
 * the names afterwards, whatever became of the roles.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

#define BOOST_HELPER	"kipc-bench-boost"

static const char *boost_available(void)
{
	static char why[PATH_MAX + 100];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return "cannot find our own directory (/proc/self/exe)";
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(why, sizeof(why), "%s/%s", exe, BOOST_HELPER);
	if (!access(why, X_OK))
		return NULL;
	snprintf(why, sizeof(why),
		 "no %s helper: apt-get install libboost-dev, then rebuild", BOOST_HELPER);
	return why;
}

static void queue_name(struct bench_run *r, int dir, char *buf, size_t len)
{
	/* Boost names POSIX shared memory "/<name>", i.e. /dev/shm/<name> */
	snprintf(buf, len, "/%.100s-%s", r->ctl->mech_shared, dir ? "ba" : "ab");
}

static void boost_teardown(struct bench_run *r)
{
	char name[160];
	int dir;

	for (dir = 0; dir < 2; dir++) {
		queue_name(r, dir, name, sizeof(name));
		if (shm_unlink(name) && errno != ENOENT)
			bench_fail(r, "shm_unlink %s: %s", name, strerror(errno));
	}
}

static int boost_setup(struct bench_run *r)
{
	snprintf(r->ctl->mech_shared, sizeof(r->ctl->mech_shared), "%s-boost", r->p->prefix);
	return 0;
}

const struct bench_mech bench_mech_boost_mq = {
	.name = "boost-mq",
	.group = "middleware",
	.summary = "Boost.Interprocess message_queue per direction (C++ helper)",
	/*
	 * Busy-polling with try_receive() takes the queue's mutex on every
	 * spin and starves the sender (mean round trips of milliseconds from
	 * 4 KiB up on a loaded 2-CPU machine): measured only with --modes poll.
	 */
	.modes = BENCH_MODE_POLL | BENCH_MODE_BLOCK,
	.default_modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.helper = BOOST_HELPER,
	.available = boost_available,
	.setup = boost_setup,
	.teardown = boost_teardown,
};
