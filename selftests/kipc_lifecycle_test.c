// SPDX-License-Identifier: GPL-2.0
/*
 * kipc module lifecycle, run after every other test: the global counters
 * of /proc/driver/kipc are back to zero once all users are gone (so no
 * earlier test leaked a listener, connection, mapping or pinned page),
 * they follow each object while it lives, the text view leaks no kernel
 * pointer, and rmmod is refused while any fd or mapping exists.
 */
#include "kipc_test.h"

static const char *const zero_counters[] = {
	"listeners", "connections", "mappings", "pinned_bytes", "pinned_pages",
};

/* Wait (bounded) until every counter in zero_counters reads @want[i];
 * returns the index of one that does not, or -1.
 */
static int counters_settle(const long long *want, long long *got)
{
	uint64_t end = kt_now_ns() + (uint64_t)kt_wait_ms() * 1000000;
	struct timespec nap = { 0, 1000000 };
	unsigned int i;
	int bad;

	/* A process reaped a moment ago may still be dropping its files
	 * (deferred fput); poll the counters, bounded.
	 */
	for (;;) {
		bad = -1;
		for (i = 0; i < ARRAY_SIZE(zero_counters); i++) {
			if (kt_counter(zero_counters[i], &got[i]))
				got[i] = -1;
			if (got[i] != want[i])
				bad = (int)i;
		}
		if (bad < 0 || kt_now_ns() > end)
			return bad;
		nanosleep(&nap, NULL);
	}
}

TEST(counters_zero_after_all_other_tests)
{
	long long want[ARRAY_SIZE(zero_counters)] = { 0 };
	long long got[ARRAY_SIZE(zero_counters)];
	int bad = counters_settle(want, got);

	EXPECT_EQ(-1, bad) TH_LOG("%s is %lld", zero_counters[bad < 0 ? 0 : bad],
				  got[bad < 0 ? 0 : bad]);
}

TEST(proc_file_is_world_readable)
{
	struct stat st;

	ASSERT_EQ(0, stat(KT_PROC, &st));
	EXPECT_EQ(0444, st.st_mode & 07777);
}

TEST(counters_follow_objects_and_return_to_zero)
{
	long long want[ARRAY_SIZE(zero_counters)] = { 0 };
	long long got[ARRAY_SIZE(zero_counters)];
	long long total0 = 0, total1 = 0, v = 0;
	struct kt_pair p;
	struct kt_end e;
	int bad;

	ASSERT_EQ(0, kt_counter("connections_total", &total0));
	ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
	ASSERT_EQ(0, kt_end_map(&e, p.cfd));
	ASSERT_EQ(0, kt_counter("listeners", &v));
	EXPECT_EQ(1, v);
	ASSERT_EQ(0, kt_counter("connections", &v));
	EXPECT_EQ(1, v);
	ASSERT_EQ(0, kt_counter("mappings", &v));
	EXPECT_LE(1, v);	/* two views mapped */
	ASSERT_EQ(0, kt_counter("pinned_bytes", &v));
	EXPECT_LE((long long)e.shared_len, v);
	ASSERT_EQ(0, kt_counter("pinned_pages", &got[0]));
	EXPECT_EQ(v, got[0] * (long long)kt_page());
	ASSERT_EQ(0, kt_counter("connections_total", &total1));
	EXPECT_EQ(total0 + 1, total1);

	kt_end_unmap(&e);
	ASSERT_EQ(0, kt_counter("mappings", &v));
	EXPECT_EQ(0, v);
	kt_pair_close(&p);
	bad = counters_settle(want, got);
	EXPECT_EQ(-1, bad) TH_LOG("%s is %lld", zero_counters[bad < 0 ? 0 : bad],
				  got[bad < 0 ? 0 : bad]);
	ASSERT_EQ(0, kt_counter("connections_total", &v));
	EXPECT_EQ(total1, v);
}

TEST(proc_file_lists_listeners_and_leaks_no_kernel_pointer)
{
	char buf[1 << 16], name[KIPC_NAME_MAX], *q;
	struct kt_pair p;
	ssize_t n;
	int fd;

	ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
	memcpy(name, p.name, sizeof(name));
	fd = open(KT_PROC, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = 0;
	EXPECT_NE(NULL, strstr(buf, name)) TH_LOG("%s", buf);
	/* No 64-bit kernel address (0xffff8.../0xffffffff...) in any form. */
	for (q = buf; (q = strstr(q, "ffff")); q++) {
		size_t len = strspn(q, "0123456789abcdefABCDEF");

		EXPECT_GT(12, len) TH_LOG("looks like a kernel pointer: %.20s", q);
	}
	kt_pair_close(&p);
	fd = open(KT_PROC, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LE(0, n);
	buf[n] = 0;
	EXPECT_EQ(NULL, strstr(buf, name));
}

/* The line of /proc/driver/kipc that starts with @prefix, or "". */
static void proc_line(const char *prefix, char *out, size_t len)
{
	char line[1024];
	FILE *f = fopen(KT_PROC, "re");

	out[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, prefix, strlen(prefix))) {
			snprintf(out, len, "%s", line);
			break;
		}
	if (f)
		fclose(f);
}

/* Format of kmod/README: "conn ID NAME key=value ...". */
TEST(proc_file_shows_a_connection_with_its_id_state_and_kicks)
{
	char prefix[128], line[1024], want[160];
	struct kipc_conn_info ci;
	struct kt_pair p;
	struct kt_end c;
	void *payload;

	ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
	ASSERT_EQ(0, kt_end_map(&c, p.cfd));
	ASSERT_EQ(0, kt_conn_info(p.cfd, &ci));
	ASSERT_EQ(0, kipc_ring_reserve(&c.tx, 10, &payload));
	kipc_ring_commit(&c.tx);
	ASSERT_EQ(0, kipc_ring_reserve(&c.tx, 20, &payload));
	kipc_ring_commit(&c.tx);
	kipc_ring_publish(&c.tx);
	ASSERT_EQ(0, kt_kick(p.cfd));
	ASSERT_EQ(0, kt_kick(p.cfd));
	ASSERT_EQ(0, kt_kick(p.sfd));

	snprintf(prefix, sizeof(prefix), "conn %llu %s ",
		 (unsigned long long)ci.conn_id, p.name);
	proc_line(prefix, line, sizeof(line));
	ASSERT_NE(0, line[0]) TH_LOG("no line starting '%s'", prefix);
	EXPECT_NE(NULL, strstr(line, " state=accepted "));
	snprintf(want, sizeof(want), " client_pid=%d ", (int)getpid());
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s", line);
	snprintf(want, sizeof(want), " ring=%u,%u ", ci.ring_bytes[0],
		 ci.ring_bytes[1]);
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s", line);
	snprintf(want, sizeof(want), " c2s_bytes=%u ",
		 KIPC_REC_SPAN(10) + KIPC_REC_SPAN(20));
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " c2s_msgs=2 s2c_msgs=0 ")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " client_kicks=2 ")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " server_kicks=1")) TH_LOG("%s", line);

	snprintf(prefix, sizeof(prefix), "listener %s ", p.name);
	proc_line(prefix, line, sizeof(line));
	ASSERT_NE(0, line[0]) TH_LOG("no line starting '%s'", prefix);
	EXPECT_NE(NULL, strstr(line, " mode=0600 ")) TH_LOG("%s", line);

	kt_end_unmap(&c);
	kt_pair_close(&p);
}

/* --- rmmod refused while in use --- */

static int try_rmmod(void)
{
	return syscall(SYS_delete_module, "kipc", O_NONBLOCK) ? -errno : 0;
}

/*
 * A child takes hold of the module as @how says, then waits; rmmod must
 * fail with EWOULDBLOCK (EBUSY from older kernels) while it holds on.
 *   'f' an unbound fd, 'l' a listener, 'm' only a client view (fds
 *   closed), 's' only a server fd (made by ACCEPT, an anonymous inode),
 *   'M' only a server view
 */
static int rmmod_while_child_holds(struct __test_metadata *_metadata, char how)
{
	int ready[2], release[2], st, ret;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return 0, "needs root for delete_module");
	if (pipe2(ready, O_CLOEXEC) || pipe2(release, O_CLOEXEC))
		return -errno;
	pid = kt_fork();
	if (pid < 0)
		return pid;
	if (pid == 0) {
		struct kt_pair p;
		struct kt_end e;
		int fd = -1;

		if (how == 'f') {
			fd = kt_open();
		} else if (how == 'l') {
			char name[KIPC_NAME_MAX];

			kt_name(name, "rmmod");
			fd = kt_new_listener(name, 0600, 0, 0, 0);
		} else if (how == 's') {
			if (kt_pair_open(&p, 0, 0))
				_exit(10);
			fd = dup(p.sfd);
			kt_pair_close(&p);	/* only the server fd remains */
		} else {
			if (kt_pair_open(&p, 0, 0) ||
			    kt_end_map(&e, how == 'm' ? p.cfd : p.sfd))
				_exit(10);
			kt_pair_close(&p);	/* only the views remain */
			fd = 0;
		}
		if (fd < 0)
			_exit(11);
		kt_post(ready[1], 'r');
		kt_expect(release[0], kt_wait_ms() * 3);
		_exit(0);
	}
	ret = kt_expect(ready[0], kt_wait_ms());
	if (ret != 'r') {
		kt_wait_exit(pid, kt_wait_ms());
		return -1;
	}
	ret = try_rmmod();
	if (ret == -ENOENT)
		TH_LOG("kipc is not a loaded module");
	kt_post(release[1], 'q');
	st = kt_wait_exit(pid, kt_wait_ms());
	if (st)
		TH_LOG("holder child: %d", st);
	close(ready[0]);
	close(ready[1]);
	close(release[0]);
	close(release[1]);
	return ret;
}

TEST(rmmod_refused_while_an_fd_is_open)
{
	int ret = rmmod_while_child_holds(_metadata, 'f');

	if (_metadata->skip)
		return;
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY) TH_LOG("rmmod: %d", ret);
}

TEST(rmmod_refused_while_a_listener_exists)
{
	int ret = rmmod_while_child_holds(_metadata, 'l');

	if (_metadata->skip)
		return;
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY) TH_LOG("rmmod: %d", ret);
}

TEST(rmmod_refused_while_only_a_mapping_remains)
{
	int ret = rmmod_while_child_holds(_metadata, 'm');

	if (_metadata->skip)
		return;
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY) TH_LOG("rmmod: %d", ret);
}

TEST(rmmod_refused_while_only_a_server_fd_remains)
{
	int ret = rmmod_while_child_holds(_metadata, 's');

	if (_metadata->skip)
		return;
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY) TH_LOG("rmmod: %d", ret);
}

TEST(rmmod_refused_while_only_a_server_mapping_remains)
{
	int ret = rmmod_while_child_holds(_metadata, 'M');

	if (_metadata->skip)
		return;
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY) TH_LOG("rmmod: %d", ret);
}

TEST(mapping_count_follows_mremap_fork_and_refused_splits)
{
	long long base = 0, v = 0;
	struct kt_pair p;
	struct kt_end e;
	void *to, *moved;
	pid_t pid;

	ASSERT_EQ(0, kt_pair_open(&p, 0, 0));
	ASSERT_EQ(0, kt_end_map(&e, p.cfd));
	ASSERT_EQ(0, kt_counter("mappings", &base));
	to = mmap(NULL, e.own_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, to);
	moved = mremap(e.own, e.own_len, e.own_len,
		       MREMAP_MAYMOVE | MREMAP_FIXED, to);
	ASSERT_EQ(to, moved);
	e.own = moved;
	ASSERT_EQ(0, kt_counter("mappings", &v));
	EXPECT_EQ(base, v) TH_LOG("after mremap");
	EXPECT_EQ(-1, munmap(e.own, kt_page()));
	ASSERT_EQ(0, kt_counter("mappings", &v));
	EXPECT_EQ(base, v) TH_LOG("after a refused partial munmap");
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long long in_child = -1;

		kt_counter("mappings", &in_child);
		_exit(in_child == base ? 0 : 1);
	}
	EXPECT_EQ(0, kt_wait_exit(pid, kt_wait_ms())) TH_LOG("after fork");
	kt_end_unmap(&e);
	ASSERT_EQ(0, kt_counter("mappings", &v));
	EXPECT_EQ(base - 2, v);
	kt_pair_close(&p);
}

TEST(counters_zero_after_this_file)
{
	long long want[ARRAY_SIZE(zero_counters)] = { 0 };
	long long got[ARRAY_SIZE(zero_counters)];
	int bad = counters_settle(want, got);

	EXPECT_EQ(-1, bad) TH_LOG("%s is %lld", zero_counters[bad < 0 ? 0 : bad],
				  got[bad < 0 ? 0 : bad]);
}

TEST_HARNESS_MAIN
