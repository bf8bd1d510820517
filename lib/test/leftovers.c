// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Nothing left behind: no file, /dev/shm segment or socket outlives its
 * users. Runs last in each suite.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Nothing in the filesystem, /dev/shm or the socket table afterwards. */
static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static bool unix_name_present(const char *prefix)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/net/unix", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, prefix))
			found = true;
	fclose(f);
	return found;
}

static void selfpair_then_pause(void *a)
{
	struct pair p;

	(void)a;
	pair_open(&p, NULL, NULL);
	send_ok(p.c, "x", 1);
	pause();
}

static void t_no_leftovers(void)
{
	int shm_before = count_dir("/dev/shm");
	char prefix[64];
	struct pair p;
	pid_t child;
	int i;

	for (i = 0; i < 3; i++) {
		pair_open(&p, NULL, NULL);
		send_ok(p.c, "x", 1);
		recv_is(p.s, "x", 1);
		pair_close(&p);
	}
	snprintf(prefix, sizeof(prefix), "@kipc.kt.%d.", (int)getpid());
	CHECK(!unix_name_present(prefix));
	child = spawn(selfpair_then_pause, NULL);
	snprintf(prefix, sizeof(prefix), "@kipc.kt.%d.", (int)child);
	for (i = 0; i < 2000 && !unix_name_present(prefix); i++)
		sleep_ms(1);
	if (env_transport() != KIPC_TRANSPORT_DEV)
		CHECK(unix_name_present(prefix));
	kill(child, SIGKILL);
	CHECK_EQ(reap(child, T_MS), 128 + SIGKILL);
	for (i = 0; i < 2000 && unix_name_present(prefix); i++)
		sleep_ms(1);
	CHECK(!unix_name_present(prefix));
	CHECK_EQ(count_dir("/dev/shm"), shm_before);
}

TEST_GROUP(leftovers,
	{ "no_leftovers", t_no_leftovers, 60 });
