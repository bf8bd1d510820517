// SPDX-License-Identifier: GPL-2.0
/*
 * kipc and namespaces (issue 8, items 4 and 5):
 *  - names are scoped per network namespace, like the library's abstract
 *    sockets: a listener in one is invisible from another, the same name
 *    can be bound in both, and nobody can squat another namespace's name;
 *  - peer credentials are translated into the reader's user namespace
 *    (overflow id where unmapped) and pid namespace (0 where not visible);
 *  - /proc/driver/kipc shows only its reader's network namespace, and the
 *    pids and traffic of a connection only to its sides' users and root;
 *  - a /proc reader loop against listener and connection create and
 *    release (with the rig's dmesg scan: no lockdep or KASAN report).
 *
 * Needs root (unshare, setuid); the work in other namespaces and as other
 * users happens in children, which report through their exit status.
 */
#include <sched.h>

#include "kipc_test.h"

#define KT_UID_A	1001
#define KT_UID_B	1002

/* Child exit codes besides an errno from the call under test. */
#define X_UNSHARE	200
#define X_OPEN		201
#define X_SYNC		202
#define X_CHECK		203
#define X_BECOME	204
#define X_FORK		205

static void require_root(struct __test_metadata *_metadata)
{
	if (geteuid() != 0)
		SKIP(return, "needs root for unshare and setuid");
}

/* ------------------------------------------------------------------ */
/* Children in other namespaces                                        */

/* A child and two pipes: it posts on up[1], waits on down[0]. */
struct kid {
	pid_t pid;
	int up[2];
	int down[2];
};

static int kid_start(struct kid *k)
{
	/* kid_finish()'s go may find a child that no longer waits for it. */
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(k->up, O_CLOEXEC) || pipe2(k->down, O_CLOEXEC))
		return -errno;
	k->pid = kt_fork();
	if (k->pid < 0)
		return k->pid;
	if (k->pid == 0) {
		close(k->up[0]);
		close(k->down[1]);
	} else {
		close(k->up[1]);
		close(k->down[0]);
	}
	return k->pid;
}

/* In the child: tell the parent @c, then wait for its go. */
static void kid_post_and_wait(struct kid *k, char c)
{
	if (kt_post(k->up[1], c) || kt_expect(k->down[0], kt_wait_ms()) < 0)
		_exit(X_SYNC);
}

/* In the parent: the child's exit code; its pipes are closed. */
static int kid_finish(struct kid *k)
{
	int ret;

	kt_post(k->down[1], 'D');
	ret = kt_wait_exit(k->pid, kt_wait_ms());
	close(k->up[0]);
	close(k->down[1]);
	return ret;
}

static void in_new_netns(void)
{
	if (unshare(CLONE_NEWNET))
		_exit(X_UNSHARE);
}

static unsigned int read_uint_file(const char *path, unsigned int dflt)
{
	unsigned int v = dflt;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

/* ------------------------------------------------------------------ */
/* Reading /proc/driver/kipc                                           */

/* The whole file, NUL-terminated, malloc'ed; NULL on error. */
static char *proc_read_all(void)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int fd = open(KT_PROC, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (cap - len < 2048) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			close(fd);
			return NULL;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/* The line starting with @prefix (copied into @out), or "" when none. */
static void proc_line(const char *prefix, char *out, size_t len)
{
	char *all = proc_read_all(), *p, *nl;

	out[0] = 0;
	for (p = all; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		if (!strncmp(p, prefix, strlen(prefix))) {
			snprintf(out, len, "%.*s", (int)(nl - p + 1), p);
			break;
		}
	}
	free(all);
}

/* Whether any line starts with @prefix. */
static bool proc_has(const char *prefix)
{
	char line[1024];

	proc_line(prefix, line, sizeof(line));
	return line[0];
}

/* "conn ID NAME " of connection fd @fd, or "" on error. */
static void conn_prefix(int fd, const char *name, char *out, size_t len)
{
	struct kipc_conn_info ci;

	out[0] = 0;
	if (!kt_conn_info(fd, &ci))
		snprintf(out, len, "conn %llu %s ",
			 (unsigned long long)ci.conn_id, name);
}

/* ------------------------------------------------------------------ */
/* Item 4: names per network namespace                                 */

FIXTURE(ns) {
	char name[KIPC_NAME_MAX];
	int lfd;
};

FIXTURE_SETUP(ns)
{
	self->lfd = -1;
	require_root(_metadata);
	kt_name(self->name, "ns");
}

FIXTURE_TEARDOWN(ns)
{
	kt_close(&self->lfd);
}

TEST_F(ns, netns_listener_is_invisible_from_the_init_netns)
{
	struct kid k;

	ASSERT_LE(0, kid_start(&k));
	if (k.pid == 0) {
		in_new_netns();
		if (kt_new_listener(self->name, 0666, 0, 0, 0) < 0)
			_exit(X_OPEN);
		kid_post_and_wait(&k, 'L');
		_exit(0);
	}
	ASSERT_EQ('L', kt_expect(k.up[0], kt_wait_ms()));
	EXPECT_EQ(-ENOENT, kt_new_client(self->name, KIPC_CONNECT_NONBLOCK));
	EXPECT_EQ(0, kid_finish(&k));
}

TEST_F(ns, init_listener_is_invisible_from_a_netns)
{
	pid_t pid;

	self->lfd = kt_new_listener(self->name, 0666, 0, 0, 0);
	ASSERT_LE(0, self->lfd);
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		in_new_netns();
		_exit(-kt_new_client(self->name, KIPC_CONNECT_NONBLOCK));
	}
	EXPECT_EQ(ENOENT, kt_wait_exit(pid, kt_wait_ms()));
	EXPECT_EQ(-EAGAIN, kt_accept(self->lfd, KIPC_ACCEPT_NONBLOCK, NULL));
}

/* The netns child binds the host's name and is reached by its own client. */
TEST_F(ns, same_name_is_bound_in_two_netns)
{
	pid_t pid;

	self->lfd = kt_new_listener(self->name, 0666, 0, 0, 0);
	ASSERT_LE(0, self->lfd);
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_peer peer = { 0 };
		int lfd, cfd, sfd;

		in_new_netns();
		lfd = kt_new_listener(self->name, 0600, 0, 0, 0);
		if (lfd < 0)
			_exit(-lfd);
		cfd = kt_new_client(self->name, KIPC_CONNECT_NONBLOCK);
		if (cfd < 0)
			_exit(X_OPEN);
		sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, &peer);
		if (sfd < 0 || peer.pid != getpid())
			_exit(X_CHECK);
		_exit(0);
	}
	EXPECT_EQ(0, kt_wait_exit(pid, kt_wait_ms()));
	/* Nothing of the child's reached the host's listener. */
	EXPECT_EQ(-EAGAIN, kt_accept(self->lfd, KIPC_ACCEPT_NONBLOCK, NULL));
}

/* A container binding a name first takes nothing from the host. */
TEST_F(ns, netns_cannot_squat_a_host_name)
{
	struct kipc_peer peer = { 0 };
	struct kid k;
	int cfd, sfd;

	ASSERT_LE(0, kid_start(&k));
	if (k.pid == 0) {
		int lfd;

		in_new_netns();
		lfd = kt_new_listener(self->name, 0666, 0, 0, 0);
		if (lfd < 0)
			_exit(X_OPEN);
		kid_post_and_wait(&k, 'L');
		/* No host client came here. */
		_exit(kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL) == -EAGAIN ?
		      0 : X_CHECK);
	}
	ASSERT_EQ('L', kt_expect(k.up[0], kt_wait_ms()));
	self->lfd = kt_new_listener(self->name, 0600, 0, 0, 0);
	EXPECT_LE(0, self->lfd);
	cfd = kt_new_client(self->name, KIPC_CONNECT_NONBLOCK);
	EXPECT_LE(0, cfd);
	if (self->lfd >= 0 && cfd >= 0) {
		sfd = kt_accept(self->lfd, KIPC_ACCEPT_NONBLOCK, &peer);
		EXPECT_LE(0, sfd);
		EXPECT_EQ(getpid(), peer.pid);
		if (sfd >= 0)
			close(sfd);
	}
	if (cfd >= 0)
		close(cfd);
	EXPECT_EQ(0, kid_finish(&k));
}

/* A listener holds its namespace: the netns outlives its last process. */
TEST_F(ns, listener_outlives_its_netns_last_process)
{
	long long n = -1;
	struct kid k;
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_LE(0, kid_start(&k));
		if (k.pid == 0) {
			int lfd, cfd;

			in_new_netns();
			lfd = kt_new_listener(self->name, 0600, 0, 0, 0);
			cfd = kt_new_client(self->name, KIPC_CONNECT_NONBLOCK);
			if (lfd < 0 || cfd < 0)
				_exit(X_OPEN);
			/* Exits with both open: the release drops the netns. */
			_exit(0);
		}
		EXPECT_EQ(0, kid_finish(&k));
	}
	/* The global counter sees every namespace. */
	EXPECT_EQ(0, kt_counter("listeners", &n));
	EXPECT_EQ(0, n) TH_LOG("a netns listener leaked");
}

/* ------------------------------------------------------------------ */
/* Item 4: credentials translated into the reader's namespaces         */

/*
 * The client, in a user namespace mapping its uid 1000 to the host's 0
 * and no gid, sees the root server as uid 1000 and the overflow gid; the
 * server sees the client as uid 0.
 */
TEST_F(ns, peer_creds_are_translated_into_a_user_namespace)
{
	unsigned int ogid = read_uint_file("/proc/sys/kernel/overflowgid", 65534);
	struct kipc_peer peer = { 0 };
	char path[64];
	struct kid k;
	int fd, sfd;

	self->lfd = kt_new_listener(self->name, 0600, 0, 0, 0);
	ASSERT_LE(0, self->lfd);
	ASSERT_LE(0, kid_start(&k));
	if (k.pid == 0) {
		struct kipc_conn_info ci;

		fd = kt_open();
		if (fd < 0)
			_exit(X_OPEN);
		if (unshare(CLONE_NEWUSER))
			_exit(X_UNSHARE);
		kid_post_and_wait(&k, 'U');	/* the parent maps us */
		if (kt_connect(fd, self->name, KIPC_CONNECT_NONBLOCK))
			_exit(X_OPEN);
		if (kt_conn_info(fd, &ci))
			_exit(X_OPEN);
		if (ci.peer.uid != 1000 || ci.peer.gid != ogid ||
		    (pid_t)ci.peer.pid != getppid())
			_exit(X_CHECK);
		kid_post_and_wait(&k, 'C');	/* stay until accepted */
		_exit(0);
	}
	ASSERT_EQ('U', kt_expect(k.up[0], kt_wait_ms()));
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)k.pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(9, write(fd, "1000 0 1\n", 9));
	close(fd);
	ASSERT_EQ(0, kt_post(k.down[1], 'M'));
	EXPECT_EQ('C', kt_expect(k.up[0], kt_wait_ms()));
	sfd = kt_accept(self->lfd, KIPC_ACCEPT_NONBLOCK, &peer);
	EXPECT_LE(0, sfd);
	EXPECT_EQ(0, peer.uid);
	EXPECT_EQ(0, peer.gid);
	EXPECT_EQ(k.pid, (pid_t)peer.pid);
	if (sfd >= 0)
		close(sfd);
	EXPECT_EQ(0, kid_finish(&k));
}

/*
 * A client that is pid 1 of a new pid namespace sees the server as pid 0
 * (not visible); the server sees the client's pid in its own namespace.
 */
TEST_F(ns, peer_pid_is_translated_into_a_pid_namespace)
{
	struct kipc_peer peer = { 0 };
	pid_t inner = 0;
	int pp[2], sfd;
	struct kid k;

	self->lfd = kt_new_listener(self->name, 0600, 0, 0, 0);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, pipe2(pp, O_CLOEXEC));	/* the inner pid, outside */
	ASSERT_LE(0, kid_start(&k));
	if (k.pid == 0) {
		pid_t gc;

		if (unshare(CLONE_NEWPID))
			_exit(X_UNSHARE);
		gc = fork();	/* kt_fork() checks getppid(), 0 in there */
		if (gc < 0)
			_exit(X_FORK);
		if (gc == 0) {
			struct kipc_conn_info ci;
			int fd = kt_new_client(self->name,
					       KIPC_CONNECT_NONBLOCK);

			if (fd < 0)
				_exit(X_OPEN);
			if (kt_conn_info(fd, &ci))
				_exit(X_OPEN);
			if (getpid() != 1 || ci.peer.pid != 0)
				_exit(X_CHECK);
			kid_post_and_wait(&k, 'C');	/* until accepted */
			_exit(0);
		}
		if (write(pp[1], &gc, sizeof(gc)) != sizeof(gc))
			_exit(X_SYNC);
		_exit(kt_wait_exit(gc, 3 * kt_wait_ms()));
	}
	close(pp[1]);
	ASSERT_EQ(sizeof(inner), read(pp[0], &inner, sizeof(inner)));
	close(pp[0]);
	EXPECT_EQ('C', kt_expect(k.up[0], kt_wait_ms()));
	sfd = kt_accept(self->lfd, KIPC_ACCEPT_NONBLOCK, &peer);
	EXPECT_LE(0, sfd);
	EXPECT_EQ(inner, (pid_t)peer.pid);
	if (sfd >= 0)
		close(sfd);
	EXPECT_EQ(0, kid_finish(&k));
}

/* ------------------------------------------------------------------ */
/* Item 5: what /proc/driver/kipc shows to whom                        */

TEST_F(ns, proc_lists_only_the_readers_netns)
{
	char mine[80], theirs[KIPC_NAME_MAX], want[96], line[1024], *all;
	struct kid k;
	int cfd;

	self->lfd = kt_new_listener(self->name, 0600, 0, 0, 0);
	ASSERT_LE(0, self->lfd);
	cfd = kt_new_client(self->name, KIPC_CONNECT_NONBLOCK);
	ASSERT_LE(0, cfd);
	conn_prefix(cfd, self->name, mine, sizeof(mine));
	kt_name(theirs, "netns");
	ASSERT_LE(0, kid_start(&k));
	if (k.pid == 0) {
		char cp[96];
		int lfd, fd;

		in_new_netns();
		lfd = kt_new_listener(theirs, 0600, 0, 0, 0);
		fd = kt_new_client(theirs, KIPC_CONNECT_NONBLOCK);
		if (lfd < 0 || fd < 0)
			_exit(X_OPEN);
		snprintf(cp, sizeof(cp), "listener %s ", theirs);
		if (!proc_has(cp))
			_exit(X_CHECK);
		conn_prefix(fd, theirs, cp, sizeof(cp));
		if (!cp[0] || !proc_has(cp))
			_exit(X_CHECK + 1);
		/* Nothing of the init netns. */
		snprintf(cp, sizeof(cp), "listener %s ", self->name);
		if (proc_has(cp) || proc_has(mine))
			_exit(X_CHECK + 2);
		kid_post_and_wait(&k, 'L');
		_exit(0);
	}
	ASSERT_EQ('L', kt_expect(k.up[0], kt_wait_ms()));
	snprintf(want, sizeof(want), "listener %s ", theirs);
	proc_line(want, line, sizeof(line));
	EXPECT_EQ(0, line[0]) TH_LOG("%s", line);
	snprintf(want, sizeof(want), " %s state=", theirs);
	all = proc_read_all();
	ASSERT_NE(NULL, all);
	EXPECT_EQ(NULL, strstr(all, want)) TH_LOG("%s", all);
	free(all);
	snprintf(want, sizeof(want), "listener %s ", self->name);
	EXPECT_TRUE(proc_has(want));
	EXPECT_TRUE(proc_has(mine));
	close(cfd);
	EXPECT_EQ(0, kid_finish(&k));
}

/* Root's connection as another user sees it: names and uids, no pids, no
 * traffic.
 */
TEST_F(ns, proc_hides_pids_and_traffic_from_other_users)
{
	static const char *const hidden[] = {
		" client_pid=", " server_pid=", " c2s_bytes=", " s2c_bytes=",
		" c2s_msgs=", " c2s_head=", " s2c_tail=", " client_kicks=",
		" server_kicks=",
	};
	char cp[96], lp[96], line[1024];
	struct kt_pair p;
	struct kt_end c;
	unsigned int i;
	pid_t pid;

	ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
	ASSERT_EQ(0, kt_end_map(&c, p.cfd));
	ASSERT_EQ(0, kt_send(&c, "secret", 6, kt_wait_ms()));
	conn_prefix(p.cfd, p.name, cp, sizeof(cp));
	snprintf(lp, sizeof(lp), "listener %s ", p.name);

	/* Root sees everything. */
	proc_line(cp, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, " c2s_bytes=")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " client_pid=")) TH_LOG("%s", line);
	proc_line(lp, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, " pid=")) TH_LOG("%s", line);

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (kt_become(KT_UID_A, KT_UID_A, 0, NULL))
			_exit(X_BECOME);
		proc_line(cp, line, sizeof(line));
		if (!line[0] || !strstr(line, " client_uid=0 server_uid=0 ") ||
		    !strstr(line, " state=accepted "))
			_exit(X_CHECK);
		for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
			if (strstr(line, hidden[i]))
				_exit(X_CHECK + 1 + i);
		proc_line(lp, line, sizeof(line));
		if (!line[0] || !strstr(line, " uid=0 gid=0 mode=0600 "))
			_exit(X_CHECK + 20);
		if (strstr(line, " pid="))
			_exit(X_CHECK + 21);
		_exit(0);
	}
	EXPECT_EQ(0, kt_wait_exit(pid, kt_wait_ms()));
	kt_end_unmap(&c);
	kt_pair_close(&p);
}

/* A user sees its own connection's pids and traffic. */
TEST_F(ns, proc_shows_a_user_its_own_traffic)
{
	pid_t pid = kt_fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		char cp[96], lp[96], want[64], line[1024];
		struct kt_pair p;
		struct kt_end c;

		if (kt_become(KT_UID_B, KT_UID_B, 0, NULL))
			_exit(X_BECOME);
		if (kt_pair_open(&p, 0, 0) || kt_end_map(&c, p.cfd) ||
		    kt_send(&c, "mine", 4, kt_wait_ms()))
			_exit(X_OPEN);
		conn_prefix(p.cfd, p.name, cp, sizeof(cp));
		proc_line(cp, line, sizeof(line));
		snprintf(want, sizeof(want), " client_pid=%d client_uid=%d ",
			 (int)getpid(), KT_UID_B);
		if (!strstr(line, want))
			_exit(X_CHECK);
		snprintf(want, sizeof(want), " c2s_bytes=%u ",
			 KIPC_REC_SPAN(4));
		if (!strstr(line, want))
			_exit(X_CHECK + 1);
		snprintf(lp, sizeof(lp), "listener %s ", p.name);
		proc_line(lp, line, sizeof(line));
		snprintf(want, sizeof(want), " pid=%d ", (int)getpid());
		if (!strstr(line, want))
			_exit(X_CHECK + 2);
		_exit(0);
	}
	EXPECT_EQ(0, kt_wait_exit(pid, kt_wait_ms()));
}

/* ------------------------------------------------------------------ */
/* Item 5: the listing against create and release                      */

struct churn {
	int rounds;
	uint64_t deadline;	/* kt_now_ns(): slow kernels stop earlier */
	bool netns;		/* in its own network namespace */
	int errors;
	int first_error;
	int done;
};

struct reader {
	volatile bool *stop;
	int reads;
	int bad;
	char badline[128];
};

static bool proc_line_ok(const char *p, size_t n)
{
	static const char *const words[] = {
		"listeners ", "connections ", "mappings ", "pinned_bytes ",
		"pinned_pages ", "connections_total ", "listener ", "conn ",
	};
	unsigned int i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (n > strlen(words[i]) && !strncmp(p, words[i], strlen(words[i])))
			return true;
	return false;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	while (!*r->stop) {
		char *all = proc_read_all(), *p, *nl;

		if (!all) {
			r->bad++;
			continue;
		}
		for (p = all; *p; p = nl + 1) {
			nl = strchr(p, '\n');
			if (!nl || !proc_line_ok(p, (size_t)(nl - p))) {
				if (!r->bad++)
					snprintf(r->badline, sizeof(r->badline),
						 "%.100s", p);
				break;
			}
		}
		free(all);
		r->reads++;
	}
	return NULL;
}

/*
 * One round: a listener, three clients; one accepted. Then everything is
 * released in an order that varies with the round: listener first (the
 * queued ones get SERVER_GONE), clients first (they leave the queue), or
 * the server side first.
 */
static int churn_round(int i)
{
	char name[KIPC_NAME_MAX];
	int lfd, cfd[3], sfd, j, ret = 0;

	/* kt_name()'s counter is not for threads: the tid makes it unique. */
	memset(name, 0, sizeof(name));
	snprintf(name, sizeof(name), "kt-%d-%d-churn-%d", (int)getpid(),
		 (int)kt_gettid(), i);
	lfd = kt_new_listener(name, 0600, 0, 0, 0);
	if (lfd < 0)
		return lfd;
	for (j = 0; j < 3; j++) {
		cfd[j] = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
		if (cfd[j] < 0)
			ret = cfd[j];
	}
	sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	if (sfd < 0)
		ret = sfd;
	switch (i % 3) {
	case 0:
		close(lfd);
		lfd = -1;
		break;
	case 1:
		for (j = 0; j < 3; j++)
			kt_close(&cfd[j]);
		break;
	default:
		kt_close(&sfd);
		break;
	}
	for (j = 0; j < 3; j++)
		kt_close(&cfd[j]);
	kt_close(&sfd);
	kt_close(&lfd);
	return ret;
}

static void *churn_main(void *arg)
{
	struct churn *ch = arg;
	int i;

	if (ch->netns && unshare(CLONE_NEWNET)) {
		ch->errors++;
		return NULL;
	}
	for (i = 0; i < ch->rounds && kt_now_ns() < ch->deadline; i++) {
		int ret = churn_round(i);

		if (ret && !ch->errors++)
			ch->first_error = ret;
		ch->done++;
	}
	return NULL;
}

/*
 * KIPC_NS_ROUNDS rounds per churner (150), or until KIPC_NS_SECS (20 s)
 * have passed, so that a debug kernel under TCG stays within the limit.
 */
TEST_F_TIMEOUT(ns, proc_reader_loop_against_create_and_release, 120)
{
	int rounds = (int)kt_env_u64("KIPC_NS_ROUNDS", 150);
	uint64_t deadline = kt_now_ns() +
			    kt_env_u64("KIPC_NS_SECS", 20) * 1000000000ull;
	struct churn ch[3] = {
		{ .rounds = rounds, .deadline = deadline },
		{ .rounds = rounds, .deadline = deadline },
		{ .rounds = rounds, .deadline = deadline, .netns = true },
	};
	pthread_t rt[2], ct[3];
	struct reader rd[2];
	volatile bool stop = false;
	long long n = -1;
	struct kid k;
	int i;

	/* Namespaces born and dying under the readers, too. */
	ASSERT_LE(0, kid_start(&k));
	if (k.pid == 0) {
		for (i = 0; i < 10 && kt_now_ns() < deadline; i++) {
			pid_t pid = fork();

			if (pid < 0)
				_exit(X_FORK);
			if (pid == 0) {
				in_new_netns();
				_exit(churn_round(i) ? X_OPEN : 0);
			}
			if (kt_wait_exit(pid, 3 * kt_wait_ms()))
				_exit(X_CHECK);
		}
		_exit(0);
	}
	for (i = 0; i < 2; i++) {
		memset(&rd[i], 0, sizeof(rd[i]));
		rd[i].stop = &stop;
		ASSERT_EQ(0, pthread_create(&rt[i], NULL, reader_main, &rd[i]));
	}
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&ct[i], NULL, churn_main, &ch[i]));
	for (i = 0; i < 3; i++)
		pthread_join(ct[i], NULL);
	EXPECT_EQ(0, kid_finish(&k));
	stop = true;
	for (i = 0; i < 2; i++)
		pthread_join(rt[i], NULL);

	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, ch[i].errors) TH_LOG("churner %d: first error %d",
						  i, ch[i].first_error);
		EXPECT_LT(0, ch[i].done) TH_LOG("churner %d", i);
		TH_LOG("churner %d: %d rounds", i, ch[i].done);
	}
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, rd[i].bad) TH_LOG("reader %d: '%s'", i, rd[i].badline);
		EXPECT_LT(0, rd[i].reads);
		TH_LOG("reader %d: %d reads", i, rd[i].reads);
	}
	EXPECT_EQ(0, kt_counter("listeners", &n));
	EXPECT_EQ(0, n) TH_LOG("a listener leaked");
	EXPECT_EQ(0, kt_counter("connections", &n));
	EXPECT_EQ(0, n) TH_LOG("a connection leaked");
}

TEST_HARNESS_MAIN
