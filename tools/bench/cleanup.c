// SPDX-License-Identifier: GPL-2.0
/*
 * Nothing may be left behind: one private temporary directory holds every
 * path a mechanism creates, daemons are tracked and stopped, and both are
 * undone at exit, on a failure and on SIGINT/SIGTERM (the driver blocks
 * those and notices them between and during runs). Directories left by a
 * kipc-bench that was SIGKILLed are swept by the next one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "driver.h"

#define MAX_DAEMONS	8
#define TMP_PREFIX	"kipc-bench."
#define NAME_PREFIX	"kipc-bench-"	/* same length as TMP_PREFIX */

bool bench_in_child;

static char tmpdir[200];
static pid_t daemons[MAX_DAEMONS];
static pid_t parent_pid;
static sigset_t orig_mask;

const char *bench_tmpdir(void)
{
	return tmpdir;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *tmp_base(void)
{
	const char *base = getenv("TMPDIR");

	return base && base[0] == '/' ? base : "/tmp";
}

/*
 * What a SIGKILLed bench could not remove: its directory
 * kipc-bench.<pid>.XXXXXX and the named objects kipc-bench-<pid>-<run>-...
 * of its roles (Boost queues in /dev/shm, iceoryx runtime sockets in /tmp).
 */
static void sweep_dir(const char *dir)
{
	char path[400];
	struct dirent *de;
	DIR *d = opendir(dir);
	long pid;
	char *end;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) &&
		    strncmp(de->d_name, NAME_PREFIX, strlen(NAME_PREFIX)))
			continue;
		pid = strtol(de->d_name + strlen(TMP_PREFIX), &end, 10);
		if (pid <= 0 || (*end != '.' && *end != '-') || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		remove_tree(path);
	}
	closedir(d);
}

static void sweep_stale(void)
{
	sweep_dir(tmp_base());
	if (strcmp(tmp_base(), "/tmp"))
		sweep_dir("/tmp");
	sweep_dir("/dev/shm");
}

void bench_cleanup_all(void)
{
	int i;

	if (bench_in_child)
		return;
	for (i = 0; i < MAX_DAEMONS; i++)
		if (daemons[i] > 0)
			bench_daemon_stop(daemons[i], 2.0);
	if (tmpdir[0]) {
		remove_tree(tmpdir);
		tmpdir[0] = 0;
	}
}

int bench_cleanup_init(char *err)
{
	sigset_t block;

	parent_pid = getpid();
	/* SIGINT and friends are taken with sigtimedwait() so cleanup runs normally */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig_mask);
	signal(SIGPIPE, SIG_IGN);

	sweep_stale();
	snprintf(tmpdir, sizeof(tmpdir), "%s/" TMP_PREFIX "%d.XXXXXX", tmp_base(), (int)getpid());
	if (!mkdtemp(tmpdir)) {
		bench_errf(err, "mkdtemp %s: %s", tmpdir, strerror(errno));
		tmpdir[0] = 0;
		return -1;
	}
	atexit(bench_cleanup_all);
	return 0;
}

int bench_interrupted(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	sigset_t pending;
	unsigned int i;

	if (sigpending(&pending))
		return 0;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigismember(&pending, sigs[i]))
			return sigs[i];
	return 0;
}

void bench_child_prepare(void)
{
	bench_in_child = true;
	sigprocmask(SIG_SETMASK, &orig_mask, NULL);
	/* a role must not outlive the bench */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent_pid)
		_exit(1);
}

int bench_daemon_spawn(char *const argv[], const char *log_path, int keep_fd,
		       pid_t *pid_out, char *err)
{
	int slot, fd;
	pid_t pid;

	for (slot = 0; slot < MAX_DAEMONS && daemons[slot] > 0; slot++)
		;
	if (slot == MAX_DAEMONS)
		return bench_errf(err, "too many daemons");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return bench_errf(err, "fork: %s", strerror(errno));
	if (pid == 0) {
		bench_child_prepare();
		/* SIGTERM, not SIGKILL: a daemon cleans its own files up */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		setsid();
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		fd = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (keep_fd >= 0)
			fcntl(keep_fd, F_SETFD, 0);
		execvp(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	daemons[slot] = pid;
	*pid_out = pid;
	return 0;
}

void bench_daemon_stop(pid_t pid, double grace_s)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	uint64_t deadline = bench_mono_ns() + (uint64_t)(grace_s * 1e9);
	int i, status;

	for (i = 0; i < MAX_DAEMONS; i++)
		if (daemons[i] == pid)
			daemons[i] = 0;
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (bench_mono_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return;
		}
		nanosleep(&tick, NULL);
	}
}
