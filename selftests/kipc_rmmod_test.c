// SPDX-License-Identifier: GPL-2.0
/*
 * rmmod and module-parameter writes against open, LISTEN and CONNECT
 * (issue 10, item 5). A child process opens /dev/kipc, listens, connects,
 * accepts and closes in a loop in two threads, while a third writes the
 * ring and backlog parameters; this process meanwhile unloads the module
 * whenever it is idle (delete_module, O_NONBLOCK) and loads it again
 * (finit_module, with the kipc.* parameters of the kernel command line,
 * as the VM's /init does). Every call must either work or fail with a
 * clean errno (the device or the name gone, the module busy), nothing may
 * crash or leak (the rig's dmesg and kmemleak checks), and at the end the
 * module is loaded again with its counters at zero, for the tests after
 * this one (kipc_lifecycle_test runs last and expects it loaded).
 *
 * Needs root and the module file: $KIPC_KO, else the one the VM rig lists
 * in /etc/kipc-vm/modules; skips without them. KIPC_RMMOD_ROUNDS sets the
 * number of unload attempts (default 200).
 */
#include <sys/utsname.h>

#include "kipc_test.h"

#define RM_MOD		"kipc"

static int ko_path(char *buf, size_t len)
{
	const char *env = getenv("KIPC_KO");
	FILE *f;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return access(buf, R_OK) ? -errno : 0;
	}
	f = fopen("/etc/kipc-vm/modules", "re");
	if (!f)
		return -ENOENT;
	while (fgets(buf, (int)len, f)) {
		buf[strcspn(buf, "\n")] = 0;
		if (strstr(buf, "/" RM_MOD ".ko") && !access(buf, R_OK)) {
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -ENOENT;
}

/* "param=value ..." from the kipc.* words of the kernel command line,
 * as /init passes them to insmod.
 */
static void ko_params(char *buf, size_t len)
{
	char line[4096], *w, *save = NULL;
	size_t off = 0;
	/* Under run.sh --native, /init reads its copy of the line. */
	FILE *f = fopen("/etc/kipc-vm/cmdline", "re");

	if (!f)
		f = fopen("/proc/cmdline", "re");

	buf[0] = 0;
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	for (w = strtok_r(line, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
		if (strncmp(w, RM_MOD ".", strlen(RM_MOD) + 1) || !strchr(w, '='))
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					off ? " " : "", w + strlen(RM_MOD) + 1);
		if (off >= len)
			break;
	}
}

static bool mod_loaded(void)
{
	return !access("/sys/module/" RM_MOD "/initstate", F_OK);
}

static int mod_load(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = (int)syscall(SYS_finit_module, fd, params, 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

static int mod_unload(void)
{
	return syscall(SYS_delete_module, RM_MOD, O_NONBLOCK) ? -errno : 0;
}

/* Until /dev/kipc is back (devtmpfs makes it a moment after the load). */
static int wait_dev(void)
{
	uint64_t end = kt_now_ns() + (uint64_t)kt_wait_ms() * 1000000;
	struct timespec nap = { 0, 1000000 };

	while (access(KT_DEV, F_OK)) {
		if (kt_now_ns() > end)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The child: users of the module                                      */

struct rm_user {
	pthread_t th;
	volatile bool *stop;
	int id;
	int bad;		/* first unexpected errno, or 0 */
	const char *what;
	unsigned long ok;
};

static void rm_bad(struct rm_user *u, const char *what, int e)
{
	if (!u->bad) {
		u->bad = e;
		u->what = what;
	}
}

/* The device is gone, or going: open(2) finds no node, or a node whose
 * driver is unregistered or unloading.
 */
static bool open_gone(int e)
{
	return e == ENOENT || e == ENODEV || e == ENXIO;
}

static void *rm_user_main(void *p)
{
	struct rm_user *u = p;
	char name[KIPC_NAME_MAX];

	memset(name, 0, sizeof(name));
	snprintf(name, sizeof(name), "rm-%d-%d", (int)getpid(), u->id);
	while (!__atomic_load_n(u->stop, __ATOMIC_ACQUIRE)) {
		int lfd = kt_open(), cfd = -1, sfd, ret;

		if (lfd < 0) {
			if (!open_gone(-lfd))
				rm_bad(u, "open", -lfd);
			continue;
		}
		/* The open fd pins the module: all below must work, or fail
		 * for the limits a parameter writer just changed.
		 */
		ret = kt_listen(lfd, name, 0600, 0, 0, 0);
		if (ret && ret != -EINVAL && ret != -EADDRINUSE)
			rm_bad(u, "LISTEN", -ret);
		if (!ret) {
			cfd = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
			if (cfd < 0 && cfd != -EAGAIN && cfd != -EMSGSIZE &&
			    !open_gone(-cfd))
				rm_bad(u, "CONNECT", -cfd);
			if (cfd >= 0) {
				sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
				if (sfd < 0)
					rm_bad(u, "ACCEPT", -sfd);
				else
					close(sfd);
				u->ok++;
			}
		}
		if (cfd >= 0)
			close(cfd);
		close(lfd);
		/* Idle now and then, so that the unloads find a gap. */
		usleep((unsigned int)(u->ok * 7919 % 400));
	}
	return NULL;
}

/* Valid values only: the point is the write racing load and unload. */
static void *rm_param_main(void *p)
{
	struct rm_user *u = p;
	uint32_t pg = kt_page();
	unsigned int k = 0;

	while (!__atomic_load_n(u->stop, __ATOMIC_ACQUIRE)) {
		int ret;

		switch (k++ % 3) {
		case 0:
			ret = kt_param_write("max_ring_bytes", k & 8 ? 16 * pg : 256 * pg);
			break;
		case 1:
			ret = kt_param_write("default_ring_bytes", k & 16 ? pg : 4 * pg);
			break;
		default:
			ret = kt_param_write("max_backlog", k & 32 ? 8 : 64);
			break;
		}
		/* The module gone, or half-way in or out (sysfs then refuses
		 * the open with ENOENT, ENODEV or, seen on 6.1 during a
		 * reload, EACCES even for root), or a value the other one
		 * refuses now.
		 */
		if (ret && ret != -ENOENT && ret != -ENODEV && ret != -EACCES &&
		    ret != -EINVAL)
			rm_bad(u, "parameter write", -ret);
		if (!ret)
			u->ok++;
	}
	return NULL;
}

/* Exit status: 0, or 100 + the index of the thread that saw a bad errno
 * (it says which on stderr).
 */
static int rm_child(int stop_fd)
{
	volatile bool stop = false;
	struct rm_user u[3];
	int i, ret = 0;
	char c;

	for (i = 0; i < 3; i++) {
		u[i] = (struct rm_user){ .stop = &stop, .id = i };
		if (pthread_create(&u[i].th, NULL, i < 2 ? rm_user_main :
				   rm_param_main, &u[i]))
			return 99;
	}
	if (read(stop_fd, &c, 1) < 0)
		ret = 98;
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < 3; i++) {
		pthread_join(u[i].th, NULL);
		if (u[i].bad && !ret) {
			fprintf(stderr, "thread %d: %s gave errno %d (%s)\n", i,
				u[i].what, u[i].bad, strerror(u[i].bad));
			ret = 100 + i;
		}
		fprintf(stderr, "# thread %d: %lu calls worked\n", i, u[i].ok);
	}
	return ret;
}

static const char *const rm_params[] = { "max_ring_bytes",
	"default_ring_bytes", "max_backlog" };

FIXTURE(rmmod) {};
FIXTURE_SETUP(rmmod) {}
FIXTURE_TEARDOWN(rmmod) {}

TEST_F_TIMEOUT(rmmod, races_open_listen_connect_and_params, 300)
{
	uint64_t end = kt_now_ns() + 5ULL * 1000000000ULL *
		       kt_env_u64("KIPC_TEST_TIMEOUT_SCALE", 1);
	int n = (int)kt_env_u64("KIPC_RMMOD_ROUNDS", 200), i;
	unsigned int unloads = 0, busy = 0, loads = 0;
	char path[256], params[1024];
	unsigned long long orig[3];
	struct utsname un;
	int stop[2], st, tries;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root for delete_module/finit_module");
	if (ko_path(path, sizeof(path)))
		SKIP(return, "no module file: set KIPC_KO (the VM rig lists it in /etc/kipc-vm/modules)");
	ASSERT_TRUE(mod_loaded());
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, kt_param_read(rm_params[i], &orig[i]));
	ko_params(params, sizeof(params));
	TH_LOG("reloading %s with \"%s\"", path, params);
	ASSERT_EQ(0, pipe2(stop, O_CLOEXEC));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(stop[1]);
		_exit(rm_child(stop[0]));
	}
	close(stop[0]);
	/* n attempts, or 5 s (times the rig's scale) if that comes first. */
	for (i = 0; i < n && kt_now_ns() < end; i++) {
		int ret = mod_unload();

		if (ret == 0) {
			unloads++;
			ASSERT_FALSE(mod_loaded());
			/* Gone for a moment: the users see it so. */
			usleep(200 + (unsigned int)(i % 7) * 100);
			ret = mod_load(path, params);
			ASSERT_EQ(0, ret) TH_LOG("finit_module: %s", strerror(-ret));
			loads++;
		} else {
			/* In use right now, or still unloading. */
			ASSERT_TRUE(ret == -EBUSY || ret == -EWOULDBLOCK ||
				    ret == -EAGAIN)
				TH_LOG("delete_module: %s", strerror(-ret));
			busy++;
		}
		usleep(100 + (unsigned int)(i % 5) * 100);
	}
	tries = i;
	close(stop[1]);
	st = kt_wait_exit(pid, 3 * kt_wait_ms());
	EXPECT_EQ(0, st) TH_LOG("the users' process: %d", st);
	/* Loaded again, whatever happened, for the tests that follow. */
	if (!mod_loaded())
		EXPECT_EQ(0, mod_load(path, params));
	ASSERT_EQ(0, wait_dev());
	/* And with the limits it had (a reload restored them already). */
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, kt_param_write(rm_params[i], orig[i]));
	{
		long long v = -1;

		EXPECT_EQ(0, kt_counter("connections", &v));
		EXPECT_EQ(0, v);
		EXPECT_EQ(0, kt_counter("listeners", &v));
		EXPECT_EQ(0, v);
	}
	uname(&un);
	ksft_print_msg("kipc-figure: suite=rmmod attempts=%d unloads=%u busy=%u loads=%u kernel=%s\n",
		       tries, unloads, busy, loads, un.release);
}

TEST_HARNESS_MAIN
