// SPDX-License-Identifier: GPL-2.0
/*
 * kipc permissions and limits: CONNECT checked against the listener's
 * mode/uid/gid (write permission, as connect(2) on a socket file), peer
 * credentials across users, pinned memory charged to RLIMIT_MEMLOCK, and
 * the module parameters (max_ring_bytes, max_backlog, max_conns_per_user,
 * max_pinned_bytes) enforced with the documented errnos.
 *
 * Needs root to switch identities and set parameters; unprivileged work
 * happens in children that drop to other uids.
 */
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "kipc_test.h"

#define KT_NOBODY	65534
#define KT_UID_A	1000
#define KT_GID_A	1001
#define KT_UID_B	2000
#define KT_GID_B	2001

/* Child exit codes besides an errno from CONNECT. */
#define KT_X_BECOME	200
#define KT_X_OPEN	201
#define KT_X_CHECK	202

static void require_root(struct __test_metadata *_metadata)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to switch uids");
}

/* A listener whose owner is (@uid, @gid), made with setfsuid/setfsgid
 * since LISTEN takes the owner from the caller's fsuid/fsgid.
 */
static int listener_owned_by(const char *name, uid_t uid, gid_t gid,
			     uint32_t mode)
{
	int fd;

	setfsgid(gid);
	setfsuid(uid);
	fd = kt_new_listener(name, mode, 0, 0, 0);
	setfsuid(0);
	setfsgid(0);
	return fd;
}

/* In a child running as @uid/@gid/@groups: CONNECT to @name; exit status
 * is 0 or the errno, or KT_X_*.
 */
static int connect_as(const char *name, uid_t uid, gid_t gid, int ngroups,
		      const gid_t *groups)
{
	pid_t pid = kt_fork();
	int fd, ret;

	if (pid < 0)
		return pid;
	if (pid == 0) {
		if (kt_become(uid, gid, ngroups, groups))
			_exit(KT_X_BECOME);
		fd = kt_open();
		if (fd < 0)
			_exit(KT_X_OPEN);
		ret = kt_connect(fd, name, KIPC_CONNECT_NONBLOCK);
		_exit(-ret);
	}
	return kt_wait_exit(pid, kt_wait_ms());
}

FIXTURE(perm) {
	char name[KIPC_NAME_MAX];
	int lfd;
};

FIXTURE_SETUP(perm)
{
	self->lfd = -1;
	require_root(_metadata);
	kt_name(self->name, "perm");
}

FIXTURE_TEARDOWN(perm)
{
	kt_close(&self->lfd);
}

TEST_F(perm, unprivileged_user_can_open_the_device)
{
	pid_t pid = kt_fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (kt_become(KT_NOBODY, KT_NOBODY, 0, NULL))
			_exit(KT_X_BECOME);
		_exit(kt_open() < 0 ? KT_X_OPEN : 0);
	}
	EXPECT_EQ(0, kt_wait_exit(pid, kt_wait_ms()));
}

TEST_F(perm, other_user_denied_on_mode_0600)
{
	self->lfd = kt_new_listener(self->name, 0600, 0, 0, 0);
	ASSERT_LE(0, self->lfd);
	EXPECT_EQ(EACCES, connect_as(self->name, KT_NOBODY, KT_NOBODY, 0, NULL));
}

TEST_F(perm, other_user_allowed_on_mode_0666)
{
	self->lfd = kt_new_listener(self->name, 0666, 0, 0, 0);
	ASSERT_LE(0, self->lfd);
	EXPECT_EQ(0, connect_as(self->name, KT_NOBODY, KT_NOBODY, 0, NULL));
}

TEST_F(perm, other_user_needs_the_write_bit)
{
	uint32_t denied[] = { 0644, 0444, 0755, 0601 };
	uint32_t allowed[] = { 0602, 0222, 0002 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(denied); i++) {
		uint32_t mode = denied[i];

		kt_name(self->name, "deny");
		self->lfd = kt_new_listener(self->name, mode, 0, 0, 0);
		ASSERT_LE(0, self->lfd);
		EXPECT_EQ(EACCES, connect_as(self->name, KT_NOBODY, KT_NOBODY,
					     0, NULL)) TH_LOG("mode %#o", mode);
		kt_close(&self->lfd);
	}
	for (i = 0; i < ARRAY_SIZE(allowed); i++) {
		uint32_t mode = allowed[i];

		kt_name(self->name, "allow");
		self->lfd = kt_new_listener(self->name, mode, 0, 0, 0);
		ASSERT_LE(0, self->lfd);
		EXPECT_EQ(0, connect_as(self->name, KT_NOBODY, KT_NOBODY,
					0, NULL)) TH_LOG("mode %#o", mode);
		kt_close(&self->lfd);
	}
}

TEST_F(perm, owner_is_the_listeners_fsuid)
{
	self->lfd = listener_owned_by(self->name, KT_UID_A, KT_GID_A, 0200);
	ASSERT_LE(0, self->lfd);
	EXPECT_EQ(0, connect_as(self->name, KT_UID_A, KT_GID_B, 0, NULL));
	EXPECT_EQ(EACCES, connect_as(self->name, KT_UID_B, KT_GID_A, 0, NULL));
}

TEST_F(perm, group_write_admits_primary_and_supplementary_members)
{
	gid_t member[] = { KT_GID_A };
	gid_t other[] = { KT_GID_B + 1 };

	self->lfd = listener_owned_by(self->name, KT_UID_A, KT_GID_A, 0620);
	ASSERT_LE(0, self->lfd);
	EXPECT_EQ(0, connect_as(self->name, KT_UID_B, KT_GID_A, 0, NULL));
	EXPECT_EQ(0, connect_as(self->name, KT_UID_B, KT_GID_B, 1, member));
	EXPECT_EQ(EACCES, connect_as(self->name, KT_UID_B, KT_GID_B, 1, other));
	EXPECT_EQ(EACCES, connect_as(self->name, KT_UID_B, KT_GID_B, 0, NULL));
}

/*
 * Server and client are two other users in two processes; each must see
 * the other's pid, uid and gid.
 */
TEST_F(perm, peer_credentials_of_two_other_users)
{
	int ready[2], done[2], accepted[2];
	pid_t srv, cli;

	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(done, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(accepted, O_CLOEXEC));
	srv = kt_fork();
	ASSERT_LE(0, srv);
	if (srv == 0) {
		struct kipc_peer peer;
		int lfd, sfd;
		char pidbuf[16];

		if (kt_become(KT_UID_A, KT_GID_A, 0, NULL))
			_exit(KT_X_BECOME);
		lfd = kt_new_listener(self->name, 0666, 0, 0, 0);
		if (lfd < 0)
			_exit(KT_X_OPEN);
		kt_post(ready[1], 'L');
		sfd = kt_accept(lfd, 0, &peer);
		if (sfd < 0)
			_exit(-sfd);
		kt_post(accepted[1], 'A');
		/* The client's pid comes through the pipe. */
		if (read(done[0], pidbuf, sizeof(pidbuf)) <= 0)
			_exit(KT_X_CHECK);
		if (peer.pid != atoi(pidbuf) || peer.uid != KT_UID_B ||
		    peer.gid != KT_GID_B || peer.__reserved)
			_exit(KT_X_CHECK);
		_exit(0);
	}
	ASSERT_EQ('L', kt_expect(ready[0], kt_wait_ms()));
	cli = kt_fork();
	ASSERT_LE(0, cli);
	if (cli == 0) {
		struct kipc_conn_info ci;
		int cfd;

		if (kt_become(KT_UID_B, KT_GID_B, 0, NULL))
			_exit(KT_X_BECOME);
		cfd = kt_new_client(self->name, 0);
		if (cfd < 0)
			_exit(-cfd);
		if (kt_conn_info(cfd, &ci))
			_exit(KT_X_CHECK);
		if (ci.peer.pid != srv || ci.peer.uid != KT_UID_A ||
		    ci.peer.gid != KT_GID_A)
			_exit(KT_X_CHECK + 1);
		/* Alive until accepted: a dead client's connection is dropped. */
		if (kt_expect(accepted[0], kt_wait_ms()) != 'A')
			_exit(KT_X_CHECK + 2);
		_exit(0);
	}
	EXPECT_EQ(0, kt_wait_exit(cli, kt_wait_ms()));
	dprintf(done[1], "%d", (int)cli);
	EXPECT_EQ(0, kt_wait_exit(srv, kt_wait_ms()));
}

/* --- pinned memory and RLIMIT_MEMLOCK --- */

static uint64_t conn_pinned_bytes(uint32_t ring)
{
	return 3ull * kt_page() + 2ull * ring;
}

/*
 * In a child as nobody with RLIMIT_MEMLOCK @limit: own listener, and
 * CONNECT/ACCEPT as told by @script, one letter a step:
 *   'c' connect (must succeed), 'n' connect must fail with ENOMEM,
 *   'x' close the oldest connection (both sides).
 */
static int memlock_script(uint32_t ring, uint64_t limit, const char *script,
			  bool as_root)
{
	pid_t pid = kt_fork();

	if (pid < 0)
		return pid;
	if (pid == 0) {
		struct rlimit rl = { limit, limit };
		int cfd[16], sfd[16], head = 0, tail = 0, lfd, ret;
		char name[KIPC_NAME_MAX];
		const char *s;

		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(KT_X_BECOME);
		if (!as_root && kt_become(KT_NOBODY, KT_NOBODY, 0, NULL))
			_exit(KT_X_BECOME);
		kt_name(name, "memlock");
		lfd = kt_new_listener(name, 0600, ring, ring, 16);
		if (lfd < 0)
			_exit(KT_X_OPEN);
		for (s = script; *s; s++) {
			switch (*s) {
			case 'c':
			case 'n':
				ret = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
				if (*s == 'n')
					ret = ret == -ENOMEM ? 0 : (ret < 0 ? -ret : 100);
				if (*s == 'c' && ret < 0)
					_exit(110 + (s - script));
				if (*s == 'n' && ret)
					_exit(130 + (s - script));
				if (*s == 'c') {
					cfd[tail] = ret;
					sfd[tail] = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
					if (sfd[tail++] < 0)
						_exit(KT_X_CHECK);
				}
				break;
			case 'x':
				close(cfd[head]);
				close(sfd[head++]);
				break;
			}
		}
		_exit(0);
	}
	return kt_wait_exit(pid, kt_wait_ms());
}

FIXTURE(limits) {
	struct kipc_version v;
	uint32_t ring;
	unsigned long long saved[4];
	bool changed[4];
};

static const char *const limit_params[4] = {
	"max_ring_bytes", "max_backlog", "max_conns_per_user", "max_pinned_bytes",
};

FIXTURE_SETUP(limits)
{
	int fd, i;

	require_root(_metadata);
	fd = kt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kt_version(fd, &self->v));
	close(fd);
	self->ring = 16 * self->v.page_size;
	if (self->ring > self->v.max_ring_bytes)
		self->ring = self->v.max_ring_bytes;
	for (i = 0; i < 4; i++) {
		const char *param = limit_params[i];

		ASSERT_EQ(0, kt_param_read(param, &self->saved[i]))
			TH_LOG("no parameter %s", param);
	}
}

FIXTURE_TEARDOWN(limits)
{
	int i;

	for (i = 0; i < 4; i++)
		if (self->changed[i])
			kt_param_write(limit_params[i], self->saved[i]);
}

static int set_limit(FIXTURE_DATA(limits) *self, int i, unsigned long long v)
{
	self->changed[i] = true;
	return kt_param_write(limit_params[i], v);
}

TEST_F(limits, memlock_too_low_for_the_rings_enomem)
{
	uint64_t need = conn_pinned_bytes(self->ring);

	EXPECT_EQ(0, memlock_script(self->ring, need / 2, "n", false));
}

TEST_F(limits, memlock_charge_accumulates_and_is_returned_on_close)
{
	uint64_t need = conn_pinned_bytes(self->ring);

	/* Room for one connection, not two; closing gives the room back. */
	EXPECT_EQ(0, memlock_script(self->ring, need + need / 2, "cnxcnxc", false));
}

TEST_F(limits, memlock_not_enforced_with_cap_ipc_lock)
{
	EXPECT_EQ(0, memlock_script(self->ring, 0, "cc", true));
}

TEST_F(limits, version_reports_the_module_parameters)
{
	EXPECT_EQ(self->saved[0], self->v.max_ring_bytes);
	EXPECT_EQ(self->saved[1], self->v.max_backlog);
}

TEST_F(limits, ring_above_max_ring_bytes_einval)
{
	uint32_t max = 4 * self->v.page_size;
	char name[KIPC_NAME_MAX];
	struct kipc_version v;
	int fd = kt_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_limit(self, 0, max));
	ASSERT_EQ(0, kt_version(fd, &v));
	EXPECT_EQ(max, v.max_ring_bytes);
	kt_name(name, "maxring");
	EXPECT_EQ(-EINVAL, kt_listen(fd, name, 0600, 2 * max, 0, 0));
	EXPECT_EQ(-EINVAL, kt_listen(fd, name, 0600, 0, 2 * max, 0));
	EXPECT_EQ(0, kt_listen(fd, name, 0600, max, max, 0));
	close(fd);
}

TEST_F(limits, backlog_above_max_backlog_einval)
{
	char name[KIPC_NAME_MAX];
	struct kipc_version v;
	int fd = kt_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_limit(self, 1, 2));
	ASSERT_EQ(0, kt_version(fd, &v));
	EXPECT_EQ(2, v.max_backlog);
	kt_name(name, "maxbacklog");
	EXPECT_EQ(-EINVAL, kt_listen(fd, name, 0600, 0, 0, 3));
	EXPECT_EQ(0, kt_listen(fd, name, 0600, 0, 0, 2));
	close(fd);
}

TEST_F(limits, connections_above_max_conns_per_user_emfile)
{
	pid_t pid;

	ASSERT_EQ(0, set_limit(self, 2, 3));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char name[KIPC_NAME_MAX];
		int lfd, c[3], i, ret;

		if (kt_become(KT_NOBODY, KT_NOBODY, 0, NULL))
			_exit(KT_X_BECOME);
		kt_name(name, "maxconns");
		lfd = kt_new_listener(name, 0600, self->v.page_size,
				      self->v.page_size, 8);
		if (lfd < 0)
			_exit(KT_X_OPEN);
		for (i = 0; i < 3; i++) {
			c[i] = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
			if (c[i] < 0)
				_exit(110 + i);
		}
		ret = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
		if (ret != -EMFILE)
			_exit(ret < 0 ? -ret : 120);
		/* A connection stops counting once both sides are gone:
		 * close one client and every server side.
		 */
		close(c[0]);
		while ((ret = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL)) >= 0)
			close(ret);
		if (ret != -EAGAIN)
			_exit(121);
		ret = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
		_exit(ret < 0 ? 130 + (-ret % 100) : 0);
	}
	EXPECT_EQ(0, kt_wait_exit(pid, kt_wait_ms()));
}

TEST_F(limits, max_conns_per_user_zero_refuses_every_connect)
{
	char name[KIPC_NAME_MAX];
	int lfd;

	ASSERT_EQ(0, set_limit(self, 2, 0));
	kt_name(name, "noconns");
	lfd = kt_new_listener(name, 0600, 0, 0, 0);
	ASSERT_LE(0, lfd);
	EXPECT_EQ(-EMFILE, kt_new_client(name, KIPC_CONNECT_NONBLOCK));
	close(lfd);
}

TEST_F(limits, pinned_bytes_above_max_pinned_bytes_enospc)
{
	uint64_t need = conn_pinned_bytes(self->ring);
	char name[KIPC_NAME_MAX];
	long long pinned = 0;
	int lfd, c1, c2;

	ASSERT_EQ(0, kt_counter("pinned_bytes", &pinned));
	/* Room for one more connection, not two. */
	ASSERT_EQ(0, set_limit(self, 3, pinned + need + need / 2));
	kt_name(name, "maxpinned");
	lfd = kt_new_listener(name, 0600, self->ring, self->ring, 0);
	ASSERT_LE(0, lfd);
	c1 = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	ASSERT_LE(0, c1);
	c2 = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	EXPECT_EQ(-ENOSPC, c2);
	if (c2 >= 0)
		close(c2);
	close(c1);
	close(lfd);
}

/* --- the memory cgroup: ENOMEM, never the OOM killer --- */

struct kt_cgroup {
	char root[128];		/* cgroup2 mount */
	char dir[192];		/* our child cgroup */
	bool mounted;
};

static int write_file(const char *dir, const char *file, const char *val)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static long long read_key(const char *dir, const char *file, const char *key)
{
	char path[256], k[64];
	long long v, ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", k, &v) == 2)
		if (!strcmp(k, key))
			ret = v;
	fclose(f);
	return ret;
}

/* A child cgroup with the memory controller, mounting cgroup2 if needed. */
static int cgroup_setup(struct kt_cgroup *cg, const char *max)
{
	char line[512], dev[64], mnt[256], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");

	memset(cg, 0, sizeof(*cg));
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %255s %63s", dev, mnt, type) == 3 &&
		    !strcmp(type, "cgroup2") && strlen(mnt) < sizeof(cg->root)) {
			strcpy(cg->root, mnt);
			break;
		}
	if (f)
		fclose(f);
	if (!cg->root[0]) {
		snprintf(cg->root, sizeof(cg->root), "/tmp/kt-cgroup-%d", getpid());
		if (mkdir(cg->root, 0700))
			return -errno;
		if (mount("none", cg->root, "cgroup2", 0, NULL)) {
			rmdir(cg->root);
			return -errno;
		}
		cg->mounted = true;
	}
	write_file(cg->root, "cgroup.subtree_control", "+memory");
	snprintf(cg->dir, sizeof(cg->dir), "%s/kt-%d", cg->root, getpid());
	if (mkdir(cg->dir, 0700))
		return -errno;
	return write_file(cg->dir, "memory.max", max);
}

static void cgroup_cleanup(struct kt_cgroup *cg)
{
	if (cg->dir[0])
		rmdir(cg->dir);
	if (cg->mounted) {
		umount(cg->root);
		rmdir(cg->root);
	}
}

TEST_F(limits, memory_cgroup_limit_gives_enomem_not_oom_kill)
{
	uint32_t big = 8u << 20, small = self->v.page_size;
	char name_big[KIPC_NAME_MAX], name_small[KIPC_NAME_MAX], pid_s[16];
	struct kt_cgroup cg;
	int lbig, lsmall, ret, st;
	pid_t pid;

	if (self->v.max_ring_bytes < big)
		SKIP(return, "max_ring_bytes below %u", big);
	ret = cgroup_setup(&cg, "4M");
	if (ret) {
		cgroup_cleanup(&cg);
		SKIP(return, "no cgroup2 memory controller: %s", strerror(-ret));
	}
	kt_name(name_big, "memcg-big");
	kt_name(name_small, "memcg-small");
	lbig = kt_new_listener(name_big, 0600, big, big, 0);
	ASSERT_LE(0, lbig);
	lsmall = kt_new_listener(name_small, 0600, small, small, 0);
	ASSERT_LE(0, lsmall);

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		snprintf(pid_s, sizeof(pid_s), "%d", (int)getpid());
		if (write_file(cg.dir, "cgroup.procs", pid_s))
			_exit(KT_X_BECOME);
		/* 16 MiB of rings against a 4 MiB cgroup. */
		fd = kt_new_client(name_big, 0);
		if (fd != -ENOMEM)
			_exit(fd < 0 ? -fd : 100);
		fd = kt_new_client(name_small, 0);
		_exit(fd < 0 ? 110 : 0);
	}
	st = kt_wait_exit(pid, kt_wait_ms());
	EXPECT_EQ(0, st) TH_LOG("child: %d (-1009 is SIGKILL: the OOM killer)", st);
	EXPECT_EQ(0, read_key(cg.dir, "memory.events", "oom_kill"));
	close(lbig);
	close(lsmall);
	cgroup_cleanup(&cg);
}

TEST_HARNESS_MAIN
