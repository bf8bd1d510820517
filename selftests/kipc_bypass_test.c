// SPDX-License-Identifier: GPL-2.0
/*
 * Write-bypass attempts on the read-only shared view (issue 10, item 3).
 * The shared view maps the header, the peer's index page and the peer's
 * ring data read-only with VM_MAYWRITE cleared; review reasoned that no
 * path that writes user memory from the kernel (FOLL_FORCE included) can
 * reach it. Each test tries one such path against three targets (the
 * header page, the peer's index page, the peer's ring data) and checks
 * that it fails and that the shared view and the peer's own view still
 * hold what they held. Where the path can write at all, the same attempt
 * on our own (writable) view must succeed first: that shows the attempt
 * is real, so a test here can fail.
 */
#include <setjmp.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <liburing.h>

#include "kipc_test.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

enum target { T_HDR, T_PEER_INDEX, T_PEER_DATA };

FIXTURE(bypass) {
	struct kt_pair p;
	struct kt_end c;		/* client: the attacker */
	struct kt_end s;		/* server: the peer */
	uint8_t *shared_copy;		/* the client's shared view, before */
	uint8_t *peer_own_copy;		/* the server's own view, before */
	uint8_t *target;		/* in the client's shared view */
	uint8_t *own;			/* in the client's own view: data */
};

FIXTURE_VARIANT(bypass) {
	enum target target;
};

FIXTURE_VARIANT_ADD(bypass, header) { .target = T_HDR };
FIXTURE_VARIANT_ADD(bypass, peer_index) { .target = T_PEER_INDEX };
FIXTURE_VARIANT_ADD(bypass, peer_data) { .target = T_PEER_DATA };

FIXTURE_SETUP(bypass)
{
	static const char msg[] = "the peer's message, which must stay";
	uint32_t pg = kt_page();
	const struct kipc_shared_hdr *h;

	ASSERT_EQ(0, kt_pair_open(&self->p, 4 * pg, 4 * pg));
	ASSERT_EQ(0, kt_end_map(&self->c, self->p.cfd));
	ASSERT_EQ(0, kt_end_map(&self->s, self->p.sfd));
	/* Give the peer's ring data and index something to lose. */
	ASSERT_EQ(0, kt_send(&self->s, msg, sizeof(msg), kt_wait_ms()));
	h = &self->c.hdr;
	switch (variant->target) {
	case T_HDR:
		self->target = self->c.shared;
		break;
	case T_PEER_INDEX:
		self->target = self->c.shared +
			       h->ring[KIPC_RING_S2C].prod_off;
		break;
	default:
		self->target = self->c.shared + h->ring[KIPC_RING_S2C].data_off;
		break;
	}
	self->own = self->c.own + h->own_data_off + 64;
	self->shared_copy = malloc(self->c.shared_len);
	self->peer_own_copy = malloc(self->s.own_len);
	ASSERT_NE(NULL, self->shared_copy);
	ASSERT_NE(NULL, self->peer_own_copy);
	memcpy(self->shared_copy, self->c.shared, self->c.shared_len);
	memcpy(self->peer_own_copy, self->s.own, self->s.own_len);
}

FIXTURE_TEARDOWN(bypass)
{
	kt_end_unmap(&self->c);
	kt_end_unmap(&self->s);
	kt_pair_close(&self->p);
	free(self->shared_copy);
	free(self->peer_own_copy);
}

/* What must hold after every attempt: the parts of the shared view that
 * are not ours (the header, the peer's index page, the peer's ring data)
 * and the peer's own view. Our own index page and send ring, which the
 * control writes change, are left out.
 */
static bool same(const FIXTURE_DATA(bypass) *self, size_t off, size_t len)
{
	return !memcmp(self->shared_copy + off, self->c.shared + off, len);
}

static bool intact(FIXTURE_DATA(bypass) *self)
{
	const struct kipc_ring_desc *rd = &self->c.hdr.ring[KIPC_RING_S2C];
	uint32_t pg = kt_page();

	return same(self, 0, pg) &&
	       same(self, (1 + KIPC_SIDE_SERVER) * (size_t)pg, pg) &&
	       same(self, rd->data_off, rd->size) &&
	       !memcmp(self->peer_own_copy, self->s.own, self->s.own_len);
}

#define ASSERT_INTACT() \
	ASSERT_TRUE(intact(self)) TH_LOG("the peer's data changed")

static uint8_t flip(const uint8_t *p)
{
	return (uint8_t)~*p;
}

static int mem_write(const char *path, void *addr, uint8_t val)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pwrite(fd, &val, 1, (off_t)(uintptr_t)addr);
	close(fd);
	return n == 1 ? 0 : n < 0 ? -errno : -EIO;
}

TEST_F(bypass, proc_self_mem)
{
	uint8_t v = flip(self->own);

	ASSERT_EQ(0, mem_write("/proc/self/mem", self->own, v));
	ASSERT_EQ(v, *self->own);
	EXPECT_GT(0, mem_write("/proc/self/mem", self->target,
			       flip(self->target)));
	ASSERT_INTACT();
}

/*
 * A child that maps the client's views itself, reports their addresses
 * and stops under ptrace (PTRACE_TRACEME, SIGSTOP), so that this process
 * can attack its memory from outside: /proc/PID/mem, PTRACE_POKEDATA,
 * process_vm_writev.
 */
struct tracee {
	pid_t pid;
	uint8_t *target;
	uint8_t *own;
};

static int tracee_start(FIXTURE_DATA(bypass) *self, struct tracee *t)
{
	int pfd[2], st;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = kt_fork();
	if (pid < 0)
		return pid;
	if (pid == 0) {
		struct kt_end e;
		uint8_t *addr[2];

		if (kt_end_map(&e, self->p.cfd))
			_exit(1);
		addr[0] = e.shared + (self->target - self->c.shared);
		addr[1] = e.own + (self->own - self->c.own);
		if (write(pfd[1], addr, sizeof(addr)) != sizeof(addr))
			_exit(2);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(3);
		raise(SIGSTOP);
		_exit(0);
	}
	close(pfd[1]);
	t->pid = pid;
	{
		uint8_t *addr[2];

		if (read(pfd[0], addr, sizeof(addr)) != sizeof(addr)) {
			close(pfd[0]);
			return -EPIPE;
		}
		t->target = addr[0];
		t->own = addr[1];
	}
	close(pfd[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
		return -ECHILD;
	return 0;
}

static void tracee_kill(struct tracee *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	t->pid = 0;
}

TEST_F(bypass, proc_pid_mem)
{
	struct tracee t = { 0 };
	char path[64];
	uint8_t v = flip(self->own);

	ASSERT_EQ(0, tracee_start(self, &t));
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)t.pid);
	EXPECT_EQ(0, mem_write(path, t.own, v));
	EXPECT_EQ(v, *self->own) TH_LOG("the control write did not land");
	EXPECT_GT(0, mem_write(path, t.target, flip(self->target)));
	tracee_kill(&t);
	ASSERT_INTACT();
}

TEST_F(bypass, ptrace_pokedata)
{
	struct tracee t = { 0 };
	long word;

	ASSERT_EQ(0, tracee_start(self, &t));
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, t.pid, t.own, NULL);
	EXPECT_EQ(0, errno);
	EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, t.pid, t.own, (void *)~word));
	EXPECT_EQ(~word, *(long *)self->own) TH_LOG("the control poke did not land");
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, t.pid, t.target, NULL);
	EXPECT_EQ(0, errno) TH_LOG("reading the shared view must work");
	EXPECT_EQ(-1, ptrace(PTRACE_POKEDATA, t.pid, t.target, (void *)~word));
	tracee_kill(&t);
	ASSERT_INTACT();
}

static ssize_t vm_write(pid_t pid, void *addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)buf, len }, remote = { addr, len };
	ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);

	return n < 0 ? -errno : n;
}

TEST_F(bypass, process_vm_writev)
{
	uint8_t buf[16];
	struct tracee t = { 0 };

	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ(sizeof(buf), vm_write(getpid(), self->own, buf, sizeof(buf)));
	ASSERT_EQ(0x5a, *self->own);
	EXPECT_GE(0, vm_write(getpid(), self->target, buf, sizeof(buf)));
	ASSERT_INTACT();
	/* And from another process, as a debugger would. */
	ASSERT_EQ(0, tracee_start(self, &t));
	EXPECT_GE(0, vm_write(t.pid, t.target, buf, sizeof(buf)));
	tracee_kill(&t);
	ASSERT_INTACT();
}

static int uring_read(struct io_uring *ring, int fd, void *buf, unsigned int len,
		      bool fixed)
{
	struct __kernel_timespec ts = { .tv_sec = kt_wait_ms() / 1000 };
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (fixed)
		io_uring_prep_read_fixed(sqe, fd, buf, len, 0, 0);
	else
		io_uring_prep_read(sqe, fd, buf, len, 0);
	if (io_uring_submit(ring) != 1)
		return -1000;
	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return ret - 2000;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/* A file of 0xa5 bytes to read from. */
static int pattern_file(size_t len)
{
	char path[] = "/tmp/kipc-bypass-XXXXXX";
	uint8_t *buf = malloc(len);
	int fd = mkostemp(path, O_CLOEXEC);

	if (fd < 0 || !buf) {
		free(buf);
		return -1;
	}
	unlink(path);
	memset(buf, 0xa5, len);
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		fd = -1;
	}
	free(buf);
	return fd;
}

TEST_F(bypass, io_uring_fixed_buffer)
{
	struct iovec iov = { self->target, kt_page() };
	struct io_uring ring;
	int fd = pattern_file(kt_page()), ret;
	uintptr_t base = (uintptr_t)self->target & ~(uintptr_t)(kt_page() - 1);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	/* Registration pins for writing: a read-only view must refuse. */
	iov.iov_base = (void *)base;
	ret = io_uring_register_buffers(&ring, &iov, 1);
	EXPECT_GT(0, ret) TH_LOG("the read-only view was registered as a buffer");
	if (!ret) {
		/* Show the damage it would allow. */
		EXPECT_GT(0, uring_read(&ring, fd, (void *)base, kt_page(), true));
		io_uring_unregister_buffers(&ring);
	}
	/* Control: the own view takes the read, where io_uring registers
	 * file-backed memory at all (6.1 refuses any but shmem and hugetlb
	 * with EOPNOTSUPP, so there the refusal is not kipc's alone).
	 */
	iov.iov_base = self->c.own + self->c.hdr.own_data_off;
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret) {
		TH_LOG("io_uring registers no file-backed buffer here (%d)", ret);
	} else {
		EXPECT_EQ(kt_page(), uring_read(&ring, fd, iov.iov_base,
						kt_page(), true));
		EXPECT_EQ(0xa5, *(uint8_t *)iov.iov_base);
		io_uring_unregister_buffers(&ring);
	}
	/* Control: an unregistered io_uring read into the own view. */
	EXPECT_EQ(16, uring_read(&ring, fd, self->own, 16, false));
	EXPECT_EQ(0xa5, *self->own);
	/* A plain (unregistered) io_uring read into the view faults too. */
	EXPECT_GT(0, uring_read(&ring, fd, self->target, 16, false));
	io_uring_queue_exit(&ring);
	close(fd);
	ASSERT_INTACT();
}

/* A file that takes O_DIRECT: tmpfs does from 6.6; else none may exist. */
static int odirect_file(size_t len)
{
	static const char *const dirs[] = { "/tmp", "/dev/shm", "/var/tmp", "." };
	unsigned int i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[64];
		int fd, wfd;

		snprintf(path, sizeof(path), "%s/kipc-odirect-XXXXXX", dirs[i]);
		wfd = mkostemp(path, O_CLOEXEC);
		if (wfd < 0)
			continue;
		fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
		unlink(path);
		if (fd >= 0) {
			uint8_t *buf = malloc(len);

			memset(buf, 0xa5, len);
			if (write(wfd, buf, len) != (ssize_t)len) {
				close(fd);
				fd = -1;
			}
			free(buf);
			close(wfd);
			if (fd >= 0)
				return fd;
			continue;
		}
		close(wfd);
	}
	return -1;
}

TEST_F(bypass, o_direct_read)
{
	uint32_t pg = kt_page();
	uint8_t *dst = (uint8_t *)((uintptr_t)self->target & ~(uintptr_t)(pg - 1));
	int fd = odirect_file(pg);
	ssize_t n;

	if (fd < 0)
		SKIP(return, "no filesystem here takes O_DIRECT");
	n = pread(fd, dst, pg, 0);
	EXPECT_GT(0, n) TH_LOG("an O_DIRECT read into the view returned %zd", n);
	/* Control: into the own view. */
	n = pread(fd, self->c.own + self->c.hdr.own_data_off, pg, 0);
	EXPECT_EQ((ssize_t)pg, n);
	close(fd);
	ASSERT_INTACT();
}

TEST_F(bypass, vmsplice_to_view)
{
	uint8_t buf[64];
	struct iovec iov;
	int pfd[2];

	memset(buf, 0x3c, sizeof(buf));
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC | O_NONBLOCK));
	/* Control: the pipe's bytes land in the own view. */
	ASSERT_EQ(sizeof(buf), write(pfd[1], buf, sizeof(buf)));
	iov.iov_base = self->own;
	iov.iov_len = sizeof(buf);
	EXPECT_EQ(sizeof(buf), vmsplice(pfd[0], &iov, 1, 0));
	EXPECT_EQ(0x3c, *self->own);
	/* Into the shared view: must fault. */
	ASSERT_EQ(sizeof(buf), write(pfd[1], buf, sizeof(buf)));
	iov.iov_base = self->target;
	EXPECT_GT(0, vmsplice(pfd[0], &iov, 1, 0));
	/* Gifting the view's pages into a pipe gives readers a copy at
	 * most; nothing the pipe's reader does may reach the view.
	 */
	iov.iov_len = kt_page();
	iov.iov_base = (void *)((uintptr_t)self->target & ~(uintptr_t)(kt_page() - 1));
	{
		int q[2];
		uint8_t junk[64];

		ASSERT_EQ(0, pipe2(q, O_CLOEXEC | O_NONBLOCK));
		vmsplice(q[1], &iov, 1, SPLICE_F_GIFT);
		while (read(q[0], junk, sizeof(junk)) > 0)
			;
		close(q[0]);
		close(q[1]);
	}
	close(pfd[0]);
	close(pfd[1]);
	ASSERT_INTACT();
}

static sigjmp_buf bp_jmp;

static void bp_segv(int sig)
{
	siglongjmp(bp_jmp, sig);
}

/* Try one store; true if it went through. */
static bool try_store(uint8_t *p, uint8_t v)
{
	struct sigaction sa = { .sa_handler = bp_segv }, old_segv, old_bus;
	volatile bool wrote = false;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	if (!sigsetjmp(bp_jmp, 1)) {
		*(volatile uint8_t *)p = v;
		wrote = true;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return wrote;
}

/*
 * remap_file_pages() over the whole of a second mapping of the shared
 * view, with @pgoff and @len: MAP_FIXED drops the old range first, so a
 * refusal may leave nothing there, which is fine; a writable page there
 * is not. True if a store went through.
 */
static bool remap_whole_and_store(FIXTURE_DATA(bypass) *self, size_t len,
				  size_t pgoff)
{
	uint8_t *dup = mmap(NULL, self->c.shared_len, PROT_READ, MAP_SHARED,
			    self->p.cfd, KIPC_MMAP_SHARED);
	bool wrote;

	if (dup == MAP_FAILED)
		return true;
	remap_file_pages(dup, len, 0, pgoff, 0);
	wrote = try_store(dup + (self->target - self->c.shared),
			  flip(self->target));
	munmap(dup, self->c.shared_len);
	return wrote;
}

TEST_F(bypass, remap_file_pages)
{
	uint32_t pg = kt_page();
	uint8_t *page = (uint8_t *)((uintptr_t)self->target & ~(uintptr_t)(pg - 1));
	size_t pgoff = (size_t)(page - self->c.shared) / pg;
	size_t own_pgoff = KIPC_MMAP_OWN / pg;

	/* Put the own view's pages (writable) at the shared view's place,
	 * or another page of the object there: the view may not change
	 * shape, and whatever is there afterwards must still refuse writes.
	 */
	remap_file_pages(page, pg, 0, own_pgoff, 0);
	EXPECT_FALSE(try_store(self->target, flip(self->target)));
	remap_file_pages(page, pg, 0, (pgoff + 1) % (self->c.shared_len / pg), 0);
	EXPECT_FALSE(try_store(self->target, flip(self->target)));
	EXPECT_FALSE(remap_whole_and_store(self, self->c.shared_len, own_pgoff));
	EXPECT_FALSE(remap_whole_and_store(self, self->c.own_len, own_pgoff));
	EXPECT_FALSE(remap_whole_and_store(self, self->c.shared_len, 0));
	/* Nothing moved: the view still shows the object in order. */
	ASSERT_INTACT();
}

TEST_F(bypass, madv_populate_write)
{
	uint32_t pg = kt_page();
	uint8_t *page = (uint8_t *)((uintptr_t)self->target & ~(uintptr_t)(pg - 1));

	EXPECT_NE(0, madvise(page, pg, MADV_POPULATE_WRITE));
	EXPECT_NE(0, madvise(self->c.shared, self->c.shared_len,
			     MADV_POPULATE_WRITE));
	EXPECT_FALSE(try_store(self->target, flip(self->target)));
	ASSERT_INTACT();
}

TEST_F(bypass, mprotect_and_direct_store)
{
	EXPECT_TRUE(try_store(self->own, flip(self->own)));
	EXPECT_NE(0, mprotect(self->c.shared, self->c.shared_len,
			      PROT_READ | PROT_WRITE));
	EXPECT_FALSE(try_store(self->target, flip(self->target)));
	ASSERT_INTACT();
}

/* Child exit codes. */
#define CX_STORE	10	/* a store into the inherited view went through */
#define CX_MPROTECT	11
#define CX_MEM		12
#define CX_NOVIEW	13	/* MADV_DOFORK did not bring the view along */

TEST_F(bypass, dofork_child_write)
{
	pid_t pid;

	ASSERT_EQ(0, madvise(self->c.shared, self->c.shared_len, MADV_DOFORK));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint8_t v;

		/* The copy is there and readable... */
		if (msync(self->c.shared, self->c.shared_len, MS_ASYNC))
			_exit(CX_NOVIEW);
		v = flip(self->target);
		/* ...and not writable by any means. */
		if (try_store(self->target, v))
			_exit(CX_STORE);
		if (!mprotect(self->c.shared, self->c.shared_len,
			      PROT_READ | PROT_WRITE))
			_exit(CX_MPROTECT);
		if (!mem_write("/proc/self/mem", self->target, v))
			_exit(CX_MEM);
		_exit(0);
	}
	EXPECT_EQ(0, kt_wait_exit(pid, kt_wait_ms()));
	ASSERT_INTACT();
}

TEST_HARNESS_MAIN
