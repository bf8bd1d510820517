// SPDX-License-Identifier: GPL-2.0
/*
 * kipc's error paths under fault injection (issue 10, item 2), the way
 * iommufd_fail_nth.c sweeps iommufd's: for n = 1, 2, ... the n-th
 * allocation of one call fails (/proc/thread-self/fail-nth, with failslab
 * and fail_page_alloc set to fail sleeping allocations and order-0 pages
 * too), until the call succeeds without reaching its n-th allocation.
 * Calls: open of /dev/kipc, LISTEN, CONNECT, ACCEPT, mmap of either view,
 * SET_EVENTFD (attach and replace). Every failure must be a clean errno
 * (the call's documented out-of-memory one), and afterwards nothing is
 * leaked, charged or counted: the global counters of /proc/driver/kipc
 * read what they read before, the name is free again, a queued
 * connection is still queued, no fd appeared; the VM rig's kmemleak and
 * dmesg checks see the rest.
 *
 * Needs CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC and
 * FAULT_INJECTION_DEBUG_FS (the debug kernel of tools/vm/
 * build-debug-kernel.sh); skips elsewhere. The usercopy case (ACCEPT
 * whose argument is unmapped, or made read-only, while it waits, so that
 * the copy-out after the dequeue faults) runs on every kernel.
 */
#include <sys/eventfd.h>
#include <sys/utsname.h>

#include "kipc_test.h"

#define FN_DEBUGFS	"/sys/kernel/debug"
#define FN_MAX_N	20000

/* debugfs knobs set for the run, and what they held before. */
static const char *const fn_knobs[][2] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "0" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "fail_page_alloc/min-order", "0" },
	{ "fail_page_alloc/verbose", "0" },
};
#define FN_NKNOBS	(sizeof(fn_knobs) / sizeof(fn_knobs[0]))

static int knob_rw(const char *knob, const char *val, char *old, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), FN_DEBUGFS "/%s", knob);
	if (old) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = read(fd, old, len - 1);
		close(fd);
		old[n > 0 ? n : 0] = 0;
		if (n > 0 && old[n - 1] == '\n')
			old[n - 1] = 0;
	}
	/* A fresh open for the write: debugfs attributes parse each
	 * write from the start of their buffer.
	 */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		n = -errno;
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : n < 0 ? (int)n : -EIO;
}

/* The global counters that a failed call must leave as they were. */
static const char *const fn_counters[] = { "listeners", "connections",
	"mappings", "pinned_pages", "connections_total" };
#define FN_NCOUNTERS	(sizeof(fn_counters) / sizeof(fn_counters[0]))

struct fn_snap {
	long long v[FN_NCOUNTERS];
	int fds;
};

static void snap(struct fn_snap *s)
{
	unsigned int i;

	for (i = 0; i < FN_NCOUNTERS; i++)
		if (kt_counter(fn_counters[i], &s->v[i]))
			s->v[i] = -1;
	s->fds = kt_count_fds();
}

/* Index of the first counter that differs, or -1. Releases are
 * synchronous, but give a deferred one (an fput from a kernel thread)
 * a moment.
 */
static int snap_diff(const struct fn_snap *a)
{
	struct timespec nap = { 0, 10000000 };
	struct fn_snap b;
	unsigned int i, tries;

	for (tries = 0; tries < 100; tries++) {
		snap(&b);
		for (i = 0; i < FN_NCOUNTERS; i++)
			if (a->v[i] != b.v[i])
				break;
		if (i == FN_NCOUNTERS && a->fds == b.fds)
			return -1;
		nanosleep(&nap, NULL);
	}
	return i < FN_NCOUNTERS ? (int)i : (int)FN_NCOUNTERS;
}

/* ------------------------------------------------------------------ */

struct fn_ctx {
	char name[KIPC_NAME_MAX];
	int lfd;		/* a listener, for CONNECT and ACCEPT */
	int fd;			/* what the op works on or made */
	struct kt_pair p;
	int efd[2];
	void *map;
	size_t map_len;
};

struct fn_op {
	const char *name;
	int (*prepare)(struct fn_ctx *c);	/* without injection */
	int (*call)(struct fn_ctx *c);		/* 0 or -errno, injected */
	int (*after_fail)(struct fn_ctx *c);	/* 0 if all is as before */
	void (*cleanup)(struct fn_ctx *c, bool ok);
	int errnos[4];				/* clean failures */
};

static void ctx_close(struct fn_ctx *c)
{
	kt_close(&c->fd);
	kt_pair_close(&c->p);
	kt_close(&c->efd[0]);
	kt_close(&c->efd[1]);
	if (c->map) {
		munmap(c->map, c->map_len);
		c->map = NULL;
	}
}

/* open */
static int open_prepare(struct fn_ctx *c)
{
	c->fd = -1;
	return 0;
}

static int open_call(struct fn_ctx *c)
{
	c->fd = kt_open();
	return c->fd < 0 ? c->fd : 0;
}

static int nothing_after(struct fn_ctx *c)
{
	return 0;
}

static void fd_cleanup(struct fn_ctx *c, bool ok)
{
	kt_close(&c->fd);
}

/* LISTEN */
static int listen_prepare(struct fn_ctx *c)
{
	kt_name(c->name, "fn-listen");
	c->fd = kt_open();
	return c->fd < 0 ? c->fd : 0;
}

static int listen_call(struct fn_ctx *c)
{
	return kt_listen(c->fd, c->name, 0600, 0, 0, 0);
}

/* The name is free again and the fd still unbound. */
static int listen_after(struct fn_ctx *c)
{
	int fd = kt_new_listener(c->name, 0600, 0, 0, 0);

	if (fd < 0)
		return fd;
	close(fd);
	return kt_listen(c->fd, c->name, 0600, 0, 0, 0) ? -EPROTO : 0;
}

/* CONNECT: rings of four pages each way, so several page allocations. */
static int connect_prepare(struct fn_ctx *c)
{
	uint32_t ring = 4 * kt_page();

	if (c->lfd < 0) {
		kt_name(c->name, "fn-conn");
		c->lfd = kt_new_listener(c->name, 0600, ring, ring, 0);
		if (c->lfd < 0)
			return c->lfd;
	}
	c->fd = kt_open();
	return c->fd < 0 ? c->fd : 0;
}

static int connect_call(struct fn_ctx *c)
{
	return kt_connect(c->fd, c->name, KIPC_CONNECT_NONBLOCK);
}

/* Nothing was queued, and the fd can still connect. */
static int connect_after(struct fn_ctx *c)
{
	int sfd = kt_accept(c->lfd, KIPC_ACCEPT_NONBLOCK, NULL);

	if (sfd >= 0) {
		close(sfd);
		return -EPROTO;
	}
	if (sfd != -EAGAIN)
		return sfd;
	return kt_connect(c->fd, c->name, KIPC_CONNECT_NONBLOCK);
}

static void connect_cleanup(struct fn_ctx *c, bool ok)
{
	int sfd;

	kt_close(&c->fd);	/* a queued connection leaves with it */
	sfd = kt_accept(c->lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	if (sfd >= 0)
		close(sfd);
}

/* ACCEPT */
static int accept_prepare(struct fn_ctx *c)
{
	uint32_t ring = 4 * kt_page();
	int ret;

	if (c->lfd < 0) {
		kt_name(c->name, "fn-acc");
		c->lfd = kt_new_listener(c->name, 0600, ring, ring, 0);
		if (c->lfd < 0)
			return c->lfd;
	}
	ret = kt_new_client(c->name, KIPC_CONNECT_NONBLOCK);
	if (ret < 0)
		return ret;
	c->p.cfd = ret;
	c->fd = -1;
	return 0;
}

static int accept_call(struct fn_ctx *c)
{
	c->fd = kt_accept(c->lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	return c->fd < 0 ? c->fd : 0;
}

/* The connection is still queued: ACCEPT takes it now. */
static int accept_after(struct fn_ctx *c)
{
	c->fd = kt_accept(c->lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	return c->fd < 0 ? c->fd : 0;
}

static void accept_cleanup(struct fn_ctx *c, bool ok)
{
	kt_close(&c->fd);
	kt_close(&c->p.cfd);
}

/* mmap of the shared (read-only) or the own view */
static int mmap_prepare(struct fn_ctx *c)
{
	return kt_pair_open(&c->p, 0, 0);
}

static int mmap_view(struct fn_ctx *c, bool own)
{
	struct kipc_conn_info ci;
	int ret = kt_conn_info(c->p.cfd, &ci);

	if (ret)
		return ret;
	c->map_len = own ? ci.own_map_bytes : ci.shared_map_bytes;
	c->map = mmap(NULL, c->map_len, own ? PROT_READ | PROT_WRITE : PROT_READ,
		      MAP_SHARED, c->p.cfd, own ? KIPC_MMAP_OWN : KIPC_MMAP_SHARED);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		return -errno;
	}
	return 0;
}

static size_t fn_map_len[2];

static int mmap_shared_call(struct fn_ctx *c)
{
	void *p = mmap(NULL, fn_map_len[0], PROT_READ, MAP_SHARED, c->p.cfd,
		       KIPC_MMAP_SHARED);

	if (p == MAP_FAILED)
		return -errno;
	c->map = p;
	c->map_len = fn_map_len[0];
	return 0;
}

static int mmap_own_call(struct fn_ctx *c)
{
	void *p = mmap(NULL, fn_map_len[1], PROT_READ | PROT_WRITE, MAP_SHARED,
		       c->p.cfd, KIPC_MMAP_OWN);

	if (p == MAP_FAILED)
		return -errno;
	c->map = p;
	c->map_len = fn_map_len[1];
	return 0;
}

/* The lengths come from CONN_INFO, outside the injected call. */
static int mmap_prepare_lens(struct fn_ctx *c)
{
	struct kipc_conn_info ci;
	int ret = mmap_prepare(c);

	if (ret)
		return ret;
	ret = kt_conn_info(c->p.cfd, &ci);
	fn_map_len[0] = ci.shared_map_bytes;
	fn_map_len[1] = ci.own_map_bytes;
	return ret;
}

static int mmap_shared_after(struct fn_ctx *c)
{
	return mmap_view(c, false);
}

static int mmap_own_after(struct fn_ctx *c)
{
	return mmap_view(c, true);
}

static void pair_cleanup(struct fn_ctx *c, bool ok)
{
	ctx_close(c);
}

/* SET_EVENTFD: attach one, then replace it by another */
static int evfd_prepare(struct fn_ctx *c)
{
	int ret = kt_pair_open(&c->p, 0, 0);

	if (ret)
		return ret;
	c->efd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->efd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return c->efd[0] < 0 || c->efd[1] < 0 ? -errno : 0;
}

static int evfd_attach_call(struct fn_ctx *c)
{
	return kt_set_eventfd(c->p.cfd, c->efd[0]);
}

static int evfd_replace_prepare(struct fn_ctx *c)
{
	int ret = evfd_prepare(c);

	return ret ? ret : kt_set_eventfd(c->p.cfd, c->efd[0]);
}

static int evfd_replace_call(struct fn_ctx *c)
{
	return kt_set_eventfd(c->p.cfd, c->efd[1]);
}

/* Whatever the failure, a kick from the peer reaches the eventfd that is
 * attached now (the old one, after a failed replace; none after a failed
 * attach, where this fails), and the call works when tried again.
 */
static int evfd_after(struct fn_ctx *c)
{
	return kt_set_eventfd(c->p.cfd, c->efd[1]);
}

static const struct fn_op fn_ops[] = {
	{ "open", open_prepare, open_call, nothing_after, fd_cleanup,
	  { ENOMEM, ENFILE } },
	{ "listen", listen_prepare, listen_call, listen_after, fd_cleanup,
	  { ENOMEM } },
	{ "connect", connect_prepare, connect_call, connect_after,
	  connect_cleanup, { ENOMEM } },
	{ "accept", accept_prepare, accept_call, accept_after, accept_cleanup,
	  { ENOMEM, ENFILE, EMFILE } },
	{ "mmap_shared", mmap_prepare_lens, mmap_shared_call, mmap_shared_after,
	  pair_cleanup, { ENOMEM, EAGAIN } },
	{ "mmap_own", mmap_prepare_lens, mmap_own_call, mmap_own_after,
	  pair_cleanup, { ENOMEM, EAGAIN } },
	{ "set_eventfd", evfd_prepare, evfd_attach_call, evfd_after,
	  pair_cleanup, { ENOMEM } },
	{ "replace_eventfd", evfd_replace_prepare, evfd_replace_call,
	  evfd_after, pair_cleanup, { ENOMEM } },
};

FIXTURE(fail_nth) {
	int nth;			/* /proc/thread-self/fail-nth */
	char old[FN_NKNOBS][32];
	bool set[FN_NKNOBS];
};

FIXTURE_VARIANT(fail_nth) {
	unsigned int op;
};

FIXTURE_VARIANT_ADD(fail_nth, open) { .op = 0 };
FIXTURE_VARIANT_ADD(fail_nth, listen) { .op = 1 };
FIXTURE_VARIANT_ADD(fail_nth, connect) { .op = 2 };
FIXTURE_VARIANT_ADD(fail_nth, accept) { .op = 3 };
FIXTURE_VARIANT_ADD(fail_nth, mmap_shared) { .op = 4 };
FIXTURE_VARIANT_ADD(fail_nth, mmap_own) { .op = 5 };
FIXTURE_VARIANT_ADD(fail_nth, set_eventfd) { .op = 6 };
FIXTURE_VARIANT_ADD(fail_nth, replace_eventfd) { .op = 7 };

FIXTURE_SETUP(fail_nth)
{
	unsigned int i;

	/* The 6.1 harness runs the body after a SKIP() here: it checks. */
	self->nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (self->nth < 0)
		return;
	if (access(FN_DEBUGFS "/failslab", F_OK) ||
	    access(FN_DEBUGFS "/fail_page_alloc", F_OK)) {
		close(self->nth);
		self->nth = -2;
		return;
	}
	for (i = 0; i < FN_NKNOBS; i++) {
		ASSERT_EQ(0, knob_rw(fn_knobs[i][0], fn_knobs[i][1], self->old[i],
				     sizeof(self->old[i])))
			TH_LOG("%s", fn_knobs[i][0]);
		self->set[i] = true;
	}
}

FIXTURE_TEARDOWN(fail_nth)
{
	unsigned int i;

	for (i = 0; i < FN_NKNOBS; i++)
		if (self->set[i])
			knob_rw(fn_knobs[i][0], self->old[i], NULL, 0);
	if (self->nth >= 0)
		close(self->nth);
}

static int nth_set(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

static int nth_get(int fd)
{
	char buf[16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoi(buf);
}

static bool clean_errno(const struct fn_op *op, int e)
{
	unsigned int i;

	for (i = 0; i < 4 && op->errnos[i]; i++)
		if (op->errnos[i] == e)
			return true;
	return false;
}

TEST_F_TIMEOUT(fail_nth, sweep, 600)
{
	const struct fn_op *op = &fn_ops[variant->op];
	struct fn_ctx c = { .lfd = -1, .fd = -1, .efd = { -1, -1 } };
	unsigned int n, failed = 0, survived = 0;
	struct utsname un;
	bool done = false;

	if (self->nth == -1)
		SKIP(return, "no /proc/thread-self/fail-nth (needs CONFIG_FAULT_INJECTION)");
	if (self->nth < 0)
		SKIP(return, "no failslab/fail_page_alloc in debugfs (needs CONFIG_FAILSLAB, FAIL_PAGE_ALLOC, FAULT_INJECTION_DEBUG_FS)");
	kt_pair_init(&c.p);
	for (n = 1; n <= FN_MAX_N && !done; n++) {
		struct fn_snap before;
		int ret, left, d;

		ASSERT_EQ(0, op->prepare(&c)) TH_LOG("%s: prepare, n=%u", op->name, n);
		snap(&before);
		ASSERT_EQ(0, nth_set(self->nth, n));
		ret = op->call(&c);
		left = nth_get(self->nth);
		nth_set(self->nth, 0);
		if (!ret) {
			/* Not reached: the call made fewer than n. */
			if (left > 0)
				done = true;
			else
				survived++;	/* a fallback took over */
			op->cleanup(&c, true);
			continue;
		}
		failed++;
		EXPECT_TRUE(clean_errno(op, -ret))
			TH_LOG("%s: allocation %u failed the call with errno %d",
			       op->name, n, -ret);
		EXPECT_EQ(0, left) TH_LOG("%s failed (%d) before allocation %u",
					  op->name, ret, n);
		d = snap_diff(&before);
		EXPECT_EQ(-1, d)
			TH_LOG("%s: after allocation %u failed, %s changed",
			       op->name, n, d < (int)FN_NCOUNTERS ?
			       fn_counters[d] : "the fd count");
		EXPECT_EQ(0, op->after_fail(&c))
			TH_LOG("%s: the state after allocation %u failed is wrong",
			       op->name, n);
		op->cleanup(&c, false);
		if (_metadata->passed == 0)
			break;
	}
	kt_close(&c.lfd);
	ctx_close(&c);
	EXPECT_TRUE(done) TH_LOG("%s: still failing at n=%u", op->name, n);
	uname(&un);
	ksft_print_msg("kipc-figure: suite=failnth op=%s points=%u failed=%u survived=%u kernel=%s\n",
		       op->name, n - 1, failed, survived, un.release);
}

/*
 * ACCEPT's argument is checked writable before the dequeue, but can go
 * away while a blocking ACCEPT waits: then the copy-out after the dequeue
 * faults. The connection must go back on the queue, no fd may appear,
 * and the next ACCEPT gets it.
 */
struct acc_bg {
	int lfd;
	struct kipc_accept *arg;
	int ret;
	pid_t tid;
};

static void *acc_main(void *p)
{
	struct acc_bg *b = p;

	__atomic_store_n(&b->tid, kt_gettid(), __ATOMIC_RELEASE);
	b->ret = kt_ioctl(b->lfd, KIPC_IOC_ACCEPT, b->arg);
	return NULL;
}

static void accept_loses_arg(struct __test_metadata *_metadata, bool unmap)
{
	struct timespec nap = { 0, 100000 };
	char name[KIPC_NAME_MAX];
	struct acc_bg b = { 0 };
	struct kt_bg j = { 0 };
	struct kipc_accept *arg;
	pthread_t th;
	int lfd, cfd, fds, sfd;
	long long queued0 = -1, conns0 = -1;

	kt_name(name, "fn-uc");
	lfd = kt_new_listener(name, 0600, 0, 0, 0);
	ASSERT_LE(0, lfd);
	arg = mmap(NULL, kt_page(), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, arg);
	arg->size = sizeof(*arg);
	arg->fd = -1;
	b.lfd = lfd;
	b.arg = arg;
	ASSERT_EQ(0, kt_counter("connections", &conns0));
	fds = kt_count_fds();
	ASSERT_EQ(0, pthread_create(&th, NULL, acc_main, &b));
	while (!__atomic_load_n(&b.tid, __ATOMIC_ACQUIRE))
		nanosleep(&nap, NULL);
	/* Asleep in the dequeue: the probe of the output has passed. */
	ASSERT_EQ(0, kt_wait_sleeping(getpid(), b.tid, kt_wait_ms()));
	ASSERT_EQ(0, unmap ? munmap(arg, kt_page()) :
			     mprotect(arg, kt_page(), PROT_READ));
	cfd = kt_new_client(name, KIPC_CONNECT_NONBLOCK);
	ASSERT_LE(0, cfd);
	j.th = th;
	ASSERT_EQ(0, kt_bg_join(&j, kt_wait_ms()));
	EXPECT_EQ(-EFAULT, b.ret);
	/* No fd appeared, and the connection waits for the next ACCEPT. */
	EXPECT_EQ(fds + 1, kt_count_fds());	/* + the client */
	EXPECT_EQ(0, kt_counter("connections", &queued0));
	EXPECT_EQ(conns0 + 1, queued0);
	sfd = kt_accept(lfd, KIPC_ACCEPT_NONBLOCK, NULL);
	EXPECT_LE(0, sfd);
	if (sfd >= 0) {
		struct kipc_conn_info ci;

		EXPECT_EQ(0, kt_conn_info(sfd, &ci));
		EXPECT_EQ(KIPC_SIDE_SERVER, ci.side);
		close(sfd);
	}
	close(cfd);
	close(lfd);
	if (!unmap)
		munmap(arg, kt_page());
}

TEST(accept_arg_unmapped_while_waiting)
{
	accept_loses_arg(_metadata, true);
}

TEST(accept_arg_made_readonly_while_waiting)
{
	accept_loses_arg(_metadata, false);
}

TEST_HARNESS_MAIN
