// SPDX-License-Identifier: GPL-2.0
/*
 * kipc ioctl/mm fuzzer (issue 10, item 1). Worker processes make random
 * calls over every fd role (a fresh /dev/kipc fd, a listener, a client, a
 * server, and eventfd/epoll fds next to them):
 *  - every ioctl with sizes below the 1.0 minimum, exact, larger with a
 *    zero or a non-zero tail and above a page; random flags, names, field
 *    values and pointers (NULL, unmapped, read-only, straddling the end of
 *    a mapped page, a kernel address), plus unknown command numbers;
 *  - mmap of both views with right and wrong offsets, lengths, protections
 *    and flags; munmap (whole and partial), mremap (move, grow, shrink),
 *    mprotect, madvise (MADV_DOFORK, MADV_DONTFORK, MADV_DONTNEED,
 *    MADV_POPULATE_READ/WRITE, ...), reads and writes through the views;
 *  - fork (the child makes calls of its own on the inherited fds and
 *    views, then exits, is killed with SIGKILL by its parent, or kills its
 *    parent with SIGKILL), close, dup, dup2, poll, epoll (nested, with
 *    EPOLLEXCLUSIVE, EPOLLET, EPOLLONESHOT), io_uring POLL_ADD,
 *    POLL_REMOVE and URING_CMD, eventfd attach and replace;
 *  - and the test process kills workers with SIGKILL at random moments
 *    and starts new ones.
 *
 * What must hold: every ioctl answer is a documented errno, nothing the
 * ABI forbids succeeds (a size below the minimum, a non-zero tail, a bad
 * pointer, a writable or executable shared view, a write through the
 * shared view, a split view), no worker hangs, the driver's counters come
 * back to zero once every process is gone, and the kernel logs nothing
 * (the VM rig's dmesg, kmemleak and taint checks; rmmod at the end).
 *
 * KIPC_FUZZ_SEED replays a run's seed (printed first); KIPC_FUZZ_CALLS
 * sets the number of calls (default 100000, 1000000 in the long form:
 * KIPC_TEST_LONG, which make check-debug sets); KIPC_FUZZ_SECONDS cuts
 * the run short (default none, 1400 on a kernel with CONFIG_KASAN, read
 * from /proc/config.gz; the figure line says
 * capped=1 and how many calls were made). KIPC_FUZZ_WORKERS (default 2)
 * and KIPC_FUZZ_KILLS=0 (no SIGKILL from the test process) make a run
 * with one worker replay the same call sequence; with several, their
 * interleaving varies.
 */
#include <setjmp.h>
#include <ucontext.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/utsname.h>
#include <liburing.h>

#include "kipc_test.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#define FZ_SLOTS	24
#define FZ_VIEWS	16
#define FZ_NAMES	6
#define FZ_MAX_WORKERS	8
#define FZ_VIOL_MAX	8

enum fz_role { R_NONE, R_DEV, R_LISTENER, R_CLIENT, R_SERVER, R_EVENTFD,
	       R_EPOLL, R_NROLES };

/* In a MAP_SHARED anonymous mapping: seen by the test and every worker. */
struct fz_shared {
	uint64_t calls;			/* calls made, all processes */
	uint64_t target;
	uint64_t ioctls, ioctl_ok, mmaps, mmap_ok, forks, child_kills,
		 parent_kills, accepts, uring_cmds, poll_adds, faults;
	uint32_t nviol;
	char viol[FZ_VIOL_MAX][160];
};

struct fz_view {
	uint8_t *addr;
	size_t len;
	bool own;
};

struct fz {
	uint64_t rng;
	struct fz_shared *sh;
	pid_t test_pid;
	int fd[FZ_SLOTS];
	enum fz_role role[FZ_SLOTS];
	struct fz_view v[FZ_VIEWS];
	struct io_uring ring;
	bool have_ring;
	uint8_t *rw;		/* arena: page 0 rw, page 1 PROT_NONE */
	uint8_t *ro_w;		/* memfd page, writable alias */
	uint8_t *ro;		/* the same page, read-only alias */
	pid_t child;
	bool is_child;
	uint64_t local_calls;	/* a child's budget */
};

static uint32_t fz_page;

static uint64_t rnd(struct fz *f)
{
	return kt_splitmix64(&f->rng);
}

static uint32_t below(struct fz *f, uint32_t n)
{
	return n ? (uint32_t)(rnd(f) % n) : 0;
}

static bool chance(struct fz *f, uint32_t percent)
{
	return below(f, 100) < percent;
}

static void viol(struct fz *f, const char *fmt, ...)
{
	uint32_t i = __atomic_fetch_add(&f->sh->nviol, 1, __ATOMIC_RELAXED);
	va_list ap;

	if (i >= FZ_VIOL_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(f->sh->viol[i], sizeof(f->sh->viol[i]), fmt, ap);
	va_end(ap);
}

static void stat_inc(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* Slots                                                               */

static int free_slot(struct fz *f)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (f->fd[i] < 0)
			return i;
	return -1;
}

/* A slot with role @r if there is one (most of the time), else any. */
static int pick_slot(struct fz *f, enum fz_role r)
{
	int i, n = 0, cand[FZ_SLOTS];

	if (r != R_NONE && chance(f, 85)) {
		for (i = 0; i < FZ_SLOTS; i++)
			if (f->fd[i] >= 0 && f->role[i] == r)
				cand[n++] = i;
		if (n)
			return cand[below(f, n)];
	}
	for (i = 0; i < FZ_SLOTS; i++)
		if (f->fd[i] >= 0)
			cand[n++] = i;
	return n ? cand[below(f, n)] : -1;
}

static int pick_fd(struct fz *f, enum fz_role r)
{
	int s = pick_slot(f, r);

	return s < 0 ? -1 : f->fd[s];
}

static void put_fd(struct fz *f, int fd, enum fz_role r)
{
	int s = free_slot(f);

	if (s < 0) {
		s = (int)below(f, FZ_SLOTS);
		close(f->fd[s]);
	}
	f->fd[s] = fd;
	f->role[s] = r;
}

static void drop_slot(struct fz *f, int s)
{
	close(f->fd[s]);
	f->fd[s] = -1;
	f->role[s] = R_NONE;
}

/* ------------------------------------------------------------------ */
/* Argument buffers                                                    */

/* Names shared by all workers (so they connect to each other), and bad
 * ones: empty, unterminated, bytes outside 0x21..0x7e, junk after the NUL.
 */
static void fill_name(struct fz *f, char *name)
{
	uint32_t i, k = below(f, 100);

	memset(name, 0, KIPC_NAME_MAX);
	if (k < 85) {
		snprintf(name, KIPC_NAME_MAX, "kf-%d-%u", (int)f->test_pid,
			 below(f, FZ_NAMES));
		return;
	}
	switch (k % 5) {
	case 0:
		break;				/* empty */
	case 1:
		memset(name, 'a', KIPC_NAME_MAX);	/* unterminated */
		break;
	case 2:
		snprintf(name, KIPC_NAME_MAX, "kf %u", below(f, 4));
		break;
	case 3:
		snprintf(name, KIPC_NAME_MAX, "kf-%d-0", (int)f->test_pid);
		name[KIPC_NAME_MAX - 1] = 'x';	/* junk after the NUL */
		break;
	default:
		for (i = 0; i < KIPC_NAME_MAX; i++)
			name[i] = (char)rnd(f);
		break;
	}
}

static uint32_t ring_size(struct fz *f)
{
	switch (below(f, 8)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return fz_page;
	case 3:
		return 2 * fz_page;
	case 4:
		return 4 * fz_page;
	case 5:
		return fz_page + 8;			/* not a power of two */
	case 6:
		return 1U << below(f, 32);
	default:
		return (uint32_t)rnd(f);
	}
}

static uint32_t rnd_flags(struct fz *f, uint32_t good)
{
	uint32_t k = below(f, 100);

	if (k < 80)
		return good;
	if (k < 90)
		return 0;
	return 1U << below(f, 32) | (k & 1 ? good : 0);
}

static int rnd_fd(struct fz *f)
{
	switch (below(f, 6)) {
	case 0:
		return -1;
	case 1:
		return (int)rnd(f);
	case 2:
		return 1023;
	default:
		return pick_fd(f, chance(f, 70) ? R_EVENTFD : R_NONE);
	}
}

struct fz_cmd {
	unsigned long req;
	const char *name;
	uint32_t size, min_size;
	enum fz_role role;
};

static const struct fz_cmd fz_cmds[] = {
	{ KIPC_IOC_VERSION, "VERSION", sizeof(struct kipc_version),
	  sizeof(struct kipc_version), R_NONE },
	{ KIPC_IOC_LISTEN, "LISTEN", sizeof(struct kipc_listen),
	  offsetof(struct kipc_listen, name) + KIPC_NAME_MAX, R_DEV },
	{ KIPC_IOC_CONNECT, "CONNECT", sizeof(struct kipc_connect),
	  offsetof(struct kipc_connect, name) + KIPC_NAME_MAX, R_DEV },
	{ KIPC_IOC_ACCEPT, "ACCEPT", sizeof(struct kipc_accept),
	  sizeof(struct kipc_accept), R_LISTENER },
	{ KIPC_IOC_CONN_INFO, "CONN_INFO", sizeof(struct kipc_conn_info),
	  offsetof(struct kipc_conn_info, peer) + sizeof(struct kipc_peer),
	  R_CLIENT },
	{ KIPC_IOC_SET_EVENTFD, "SET_EVENTFD", sizeof(struct kipc_eventfd),
	  sizeof(struct kipc_eventfd), R_SERVER },
	{ KIPC_IOC_KICK, "KICK", 0, 0, R_CLIENT },
};

/* The errnos kipc.h documents for its ioctls, on any fd. */
static bool errno_documented(int e)
{
	switch (e) {
	case EINVAL: case E2BIG: case EFAULT: case ENOTTY: case EBADF:
	case EADDRINUSE: case EMFILE: case ENFILE: case ENOENT: case EACCES:
	case EAGAIN: case EINTR: case ECONNREFUSED: case ENOMEM: case ENOSPC:
	case EMSGSIZE: case EPIPE:
		return true;
	default:
		return false;
	}
}

enum fz_ptr { P_GOOD, P_NULL, P_UNMAPPED, P_RO, P_STRADDLE, P_KERNEL,
	      P_NPTR };

static void fill_arg(struct fz *f, const struct fz_cmd *c, uint8_t *b,
		     uint32_t size)
{
	union {
		struct kipc_version v;
		struct kipc_listen l;
		struct kipc_connect cn;
		struct kipc_accept a;
		struct kipc_conn_info ci;
		struct kipc_eventfd e;
		uint8_t raw[128];
	} u;
	size_t n;

	memset(&u, 0, sizeof(u));
	switch (c->req) {
	case KIPC_IOC_LISTEN:
		u.l.mode = chance(f, 80) ? 0600 : (uint32_t)rnd(f) & 07777;
		u.l.backlog = chance(f, 80) ? below(f, 4) : (uint32_t)rnd(f);
		u.l.ring_bytes[0] = ring_size(f);
		u.l.ring_bytes[1] = ring_size(f);
		fill_name(f, u.l.name);
		u.l.features = chance(f, 90) ? 0 : 1ULL << below(f, 64);
		u.l.flags = rnd_flags(f, 0);
		break;
	case KIPC_IOC_CONNECT:
		fill_name(f, u.cn.name);
		u.cn.features = chance(f, 90) ? 0 : 1ULL << below(f, 64);
		u.cn.max_ring_bytes = chance(f, 80) ? 0 : ring_size(f);
		u.cn.__reserved = chance(f, 95) ? 0 : 1;
		u.cn.flags = rnd_flags(f, KIPC_CONNECT_NONBLOCK);
		break;
	case KIPC_IOC_ACCEPT:
		u.a.fd = (int)rnd(f);
		u.a.flags = rnd_flags(f, KIPC_ACCEPT_NONBLOCK);
		break;
	case KIPC_IOC_SET_EVENTFD:
		u.e.fd = rnd_fd(f);
		u.e.__reserved = chance(f, 95) ? 0 : 1;
		u.e.flags = rnd_flags(f, 0);
		break;
	case KIPC_IOC_VERSION:
		u.v.__reserved = chance(f, 95) ? 0 : 1;
		u.v.flags = rnd_flags(f, 0);
		break;
	default:
		u.ci.flags = rnd_flags(f, 0);
		break;
	}
	u.v.size = size;
	n = size < sizeof(u) ? size : sizeof(u);
	if (n < 8)		/* the size word must still be there */
		n = 8;
	memcpy(b, &u, n);
	if (size > c->size && size <= 512)
		memset(b + c->size, 0, size - c->size);
}

static void op_ioctl(struct fz *f)
{
	const struct fz_cmd *c;
	uint32_t size = 0, min;
	bool tail = false, junk_cmd = false;
	enum fz_ptr pk = P_GOOD;
	unsigned long req;
	uint8_t *b = NULL;
	int fd, ret, e = 0;
	uint32_t k;

	c = &fz_cmds[below(f, sizeof(fz_cmds) / sizeof(fz_cmds[0]))];
	req = c->req;
	if (chance(f, 3)) {
		/* Unknown numbers: past the table, or the right number with
		 * a direction and size encoded.
		 */
		junk_cmd = true;
		req = chance(f, 50) ? _IO(KIPC_IOC_MAGIC, 7 + below(f, 249)) :
		      _IOWR(KIPC_IOC_MAGIC, below(f, 7), struct kipc_version);
	}
	fd = pick_fd(f, c->role);
	if (fd < 0)
		return;
	stat_inc(&f->sh->ioctls);
	if (!c->size && !junk_cmd) {
		unsigned long arg = chance(f, 85) ? 0 : rnd(f);

		ret = ioctl(fd, req, arg);
		e = ret ? errno : 0;
		if (!ret && arg)
			viol(f, "KICK with argument %#lx succeeded", arg);
		goto check;
	}
	min = c->min_size;
	k = below(f, 100);
	if (k < 55)
		size = c->size;
	else if (k < 65)
		size = min;
	else if (k < 75)
		size = below(f, min);
	else if (k < 85)
		size = c->size + 8 * (1 + below(f, 32));
	else if (k < 92) {
		size = c->size + 8 * (1 + below(f, 32));
		tail = true;
	} else {
		size = fz_page + 1 + below(f, 3 * fz_page);
	}
	k = below(f, 100);
	if (k >= 80)
		pk = (enum fz_ptr)(1 + k % (P_NPTR - 1));
	switch (pk) {
	case P_GOOD:
		b = f->rw + 8 * below(f, 64);
		break;
	case P_NULL:
		b = NULL;
		break;
	case P_UNMAPPED:
		b = f->rw + fz_page + 8 * below(f, 16);
		break;
	case P_RO:
		b = f->ro + 8 * below(f, 16);
		break;
	case P_STRADDLE:
		/* The size word mapped, the rest past the page's end (when
		 * the size is above 8: else it is P_GOOD in effect).
		 */
		b = f->rw + fz_page -
		    8 * (1 + below(f, size > 16 && size < fz_page ?
				   (size - 1) / 8 : 1));
		if (f->rw + fz_page - b >= size)
			pk = P_GOOD;
		break;
	default:
		b = (uint8_t *)0xffff888000000000ULL;
		break;
	}
	if (pk == P_GOOD || pk == P_STRADDLE) {
		uint8_t tmp[1024];
		uint32_t room = (uint32_t)(f->rw + fz_page - b);
		uint32_t n = size < sizeof(tmp) ? size : sizeof(tmp);

		fill_arg(f, c, tmp, size);
		if (tail && size > c->size)
			tmp[c->size + below(f, size - c->size)] = 1 + below(f, 255);
		memcpy(b, tmp, n < room ? n : room);
		if (n < 8)
			memcpy(b, tmp, 8 < room ? 8 : room);
	} else {
		tail = false;		/* only the buffers above get one */
		if (pk == P_RO)
			fill_arg(f, c, f->ro_w + (b - f->ro), size);
	}
	ret = ioctl(fd, req, b);
	e = ret ? errno : 0;
	if (ret)
		goto check;
	/* Success: was the call one the ABI refuses? */
	if (junk_cmd)
		viol(f, "unknown cmd %#lx succeeded", req);
	else if (size < min)
		viol(f, "%s with size %u < %u succeeded", c->name, size, min);
	else if (size > fz_page)
		viol(f, "%s with size %u > page succeeded", c->name, size);
	else if (tail)
		viol(f, "%s with a non-zero tail (size %u) succeeded", c->name,
		     size);
	else if (pk == P_NULL || pk == P_UNMAPPED || pk == P_KERNEL ||
		 pk == P_STRADDLE)
		viol(f, "%s with bad pointer kind %d succeeded", c->name, pk);
	stat_inc(&f->sh->ioctl_ok);
	if (req == KIPC_IOC_LISTEN || req == KIPC_IOC_CONNECT) {
		int s;

		for (s = 0; s < FZ_SLOTS; s++)
			if (f->fd[s] == fd)
				f->role[s] = req == KIPC_IOC_LISTEN ? R_LISTENER :
								       R_CLIENT;
	} else if (req == KIPC_IOC_ACCEPT && (pk == P_GOOD || pk == P_RO)) {
		struct kipc_accept *a = (void *)(pk == P_RO ?
			f->ro_w + (b - f->ro) : b);

		stat_inc(&f->sh->accepts);
		/* A read-only argument cannot take the fd back: a success
		 * there would have leaked it.
		 */
		if (pk == P_RO)
			viol(f, "ACCEPT into a read-only argument succeeded");
		else if (fcntl(a->fd, F_GETFD) < 0)
			viol(f, "ACCEPT returned fd %d that is not open", a->fd);
		else
			put_fd(f, a->fd, R_SERVER);
	}
	return;
check:
	if (!ret)
		return;
	if (junk_cmd && e != ENOTTY) {
		struct stat st;

		/* Only kipc fds must answer ENOTTY; others say what they
		 * like.
		 */
		if (!fstat(fd, &st) && S_ISCHR(st.st_mode))
			viol(f, "unknown cmd %#lx gave errno %d, not ENOTTY",
			     req, e);
		return;
	}
	if (!junk_cmd && !errno_documented(e)) {
		struct stat st;

		if (!fstat(fd, &st) && S_ISCHR(st.st_mode))
			viol(f, "%s gave undocumented errno %d", c->name, e);
	}
}

/* ------------------------------------------------------------------ */
/* Views                                                               */

static sigjmp_buf fz_jmp;
static volatile sig_atomic_t fz_in_touch;

static void fz_segv(int sig, siginfo_t *si, void *uc)
{
	const ucontext_t *u = uc;
	char msg[160];
	int n;

	if (fz_in_touch)
		siglongjmp(fz_jmp, sig);
	/* A crash of the fuzzer itself: say where, for addr2line. */
	n = snprintf(msg, sizeof(msg), "kipc-fuzz: pid %d signal %d at %p, ip %#llx\n",
		     (int)getpid(), sig, si->si_addr,
		     (unsigned long long)u->uc_mcontext.gregs[REG_RIP]);
	if (n > 0 && write(2, msg, (size_t)n) < 0)
		n = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Read a byte, and maybe write one; true if a write went through. */
static bool touch(struct fz *f, uint8_t *p, bool write)
{
	volatile uint8_t *q = p;
	bool wrote = false;

	fz_in_touch = 1;
	if (!sigsetjmp(fz_jmp, 1)) {
		uint8_t x = *q;

		if (write) {
			*q = x;
			wrote = true;
		}
	} else {
		stat_inc(&f->sh->faults);
	}
	fz_in_touch = 0;
	return wrote;
}

static int free_view(struct fz *f)
{
	int i;

	for (i = 0; i < FZ_VIEWS; i++)
		if (!f->v[i].addr)
			return i;
	return -1;
}

static int pick_view(struct fz *f)
{
	int i, n = 0, cand[FZ_VIEWS];

	for (i = 0; i < FZ_VIEWS; i++)
		if (f->v[i].addr)
			cand[n++] = i;
	return n ? cand[below(f, n)] : -1;
}

static void op_mmap(struct fz *f)
{
	struct kipc_conn_info ci;
	int fd = pick_fd(f, chance(f, 50) ? R_CLIENT : R_SERVER);
	bool own = chance(f, 50), exact = true;
	int prot = own ? PROT_READ | PROT_WRITE : PROT_READ;
	int flags = MAP_SHARED, vi;
	uint64_t off = own ? KIPC_MMAP_OWN : KIPC_MMAP_SHARED;
	size_t len;
	void *p;

	if (fd < 0)
		return;
	stat_inc(&f->sh->mmaps);
	if (kt_conn_info(fd, &ci)) {
		ci.shared_map_bytes = fz_page * 5;
		ci.own_map_bytes = fz_page * 2;
	}
	len = own ? ci.own_map_bytes : ci.shared_map_bytes;
	switch (below(f, 12)) {
	case 0:
		len += fz_page;
		exact = false;
		break;
	case 1:
		len = len > fz_page ? len - fz_page : 2 * fz_page;
		exact = false;
		break;
	case 2:
		prot = PROT_READ | PROT_WRITE;
		break;
	case 3:
		prot |= PROT_EXEC;
		break;
	case 4:
		flags = MAP_PRIVATE;
		break;
	case 5:
		off = (uint64_t)below(f, 8) * fz_page;
		if (off != KIPC_MMAP_SHARED)
			exact = false;
		break;
	case 6:
		prot = PROT_NONE;
		break;
	default:
		break;
	}
	if (chance(f, 10))
		flags |= MAP_POPULATE;
	p = mmap(NULL, len, prot, flags, fd, (off_t)off);
	if (p == MAP_FAILED)
		return;
	stat_inc(&f->sh->mmap_ok);
	if (!(flags & MAP_SHARED))
		viol(f, "MAP_PRIVATE view mapped");
	if (prot & PROT_EXEC)
		viol(f, "PROT_EXEC view mapped");
	if (!own && off == KIPC_MMAP_SHARED && (prot & PROT_WRITE))
		viol(f, "writable shared view mapped");
	if (!exact && off != KIPC_MMAP_SHARED && off != KIPC_MMAP_OWN)
		viol(f, "view at offset %#llx mapped", (unsigned long long)off);
	if (!exact && (off == KIPC_MMAP_SHARED || off == KIPC_MMAP_OWN) &&
	    len != (own ? ci.own_map_bytes : ci.shared_map_bytes))
		viol(f, "view of wrong length %zu mapped", len);
	vi = free_view(f);
	if (vi < 0) {
		munmap(p, len);
		return;
	}
	f->v[vi].addr = p;
	f->v[vi].len = len;
	f->v[vi].own = off == KIPC_MMAP_OWN;
}

static void op_view(struct fz *f)
{
	int vi = pick_view(f), adv;
	struct fz_view *v;
	uint32_t cs;
	void *p;

	if (vi < 0) {
		op_mmap(f);
		return;
	}
	v = &f->v[vi];
	cs = below(f, 10);
	switch (cs) {
	case 0:
		munmap(v->addr, v->len);
		v->addr = NULL;
		break;
	case 1:
		if (!munmap(v->addr + fz_page, fz_page))
			viol(f, "partial munmap of a view succeeded");
		break;
	case 2:
		/* Move the whole view. */
		p = mremap(v->addr, v->len, v->len, MREMAP_MAYMOVE);
		if (p != MAP_FAILED)
			v->addr = p;
		break;
	case 3:
		p = mremap(v->addr, v->len, chance(f, 50) ? v->len + fz_page :
			   v->len - fz_page, MREMAP_MAYMOVE);
		if (p != MAP_FAILED) {
			viol(f, "mremap grow/shrink of a view succeeded");
			v->addr = p;
		}
		break;
	case 4: {
		static const int prots[] = { PROT_NONE, PROT_READ,
			PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC, PROT_WRITE };
		int prot = prots[below(f, 5)];

		if (!mprotect(v->addr, v->len, prot)) {
			if (prot & PROT_EXEC)
				viol(f, "mprotect EXEC on a view succeeded");
			if (!v->own && (prot & PROT_WRITE))
				viol(f, "mprotect WRITE on the shared view succeeded");
		}
		break;
	}
	case 5: {
		static const int advs[] = { MADV_DOFORK, MADV_DONTFORK,
			MADV_DONTNEED, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
			MADV_WILLNEED, MADV_NORMAL, MADV_RANDOM,
			MADV_DONTDUMP, MADV_REMOVE, MADV_FREE, MADV_COLD,
			MADV_PAGEOUT, MADV_HUGEPAGE, MADV_MERGEABLE };

		adv = advs[below(f, sizeof(advs) / sizeof(advs[0]))];
		if (!madvise(v->addr, chance(f, 80) ? v->len : fz_page, adv) &&
		    adv == MADV_POPULATE_WRITE && !v->own)
			viol(f, "MADV_POPULATE_WRITE on the shared view succeeded");
		break;
	}
	default: {
		uint8_t *q = v->addr + below(f, (uint32_t)v->len);

		/* The shared view must never take a write. */
		if (touch(f, q, true) && !v->own)
			viol(f, "a write through the shared view went through");
		break;
	}
	}
}

/* ------------------------------------------------------------------ */
/* fds, polling, io_uring                                              */

static void op_open(struct fz *f)
{
	int fd;

	switch (below(f, 10)) {
	case 0:
		fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fd >= 0)
			put_fd(f, fd, R_EVENTFD);
		return;
	case 1:
		fd = epoll_create1(EPOLL_CLOEXEC);
		if (fd >= 0)
			put_fd(f, fd, R_EPOLL);
		return;
	default:
		fd = open(KT_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			put_fd(f, fd, R_DEV);
		else if (errno != EMFILE && errno != ENFILE && errno != ENOMEM)
			viol(f, "open %s: errno %d", KT_DEV, errno);
		return;
	}
}

static void op_fdops(struct fz *f)
{
	int s = pick_slot(f, R_NONE), t, fd;

	if (s < 0) {
		op_open(f);
		return;
	}
	switch (below(f, 4)) {
	case 0:
	case 1:
		drop_slot(f, s);
		break;
	case 2:
		fd = fcntl(f->fd[s], F_DUPFD_CLOEXEC, 0);
		if (fd >= 0)
			put_fd(f, fd, f->role[s]);
		break;
	default:
		t = pick_slot(f, R_NONE);
		if (t >= 0 && t != s && dup3(f->fd[s], f->fd[t], O_CLOEXEC) >= 0)
			f->role[t] = f->role[s];
		break;
	}
}

static uint32_t rnd_events(struct fz *f)
{
	static const uint32_t ev[] = { EPOLLIN, EPOLLOUT, EPOLLRDHUP,
		EPOLLPRI, EPOLLHUP, EPOLLERR };
	uint32_t e = 0;
	int i;

	for (i = 0; i < 6; i++)
		if (chance(f, 40))
			e |= ev[i];
	return e ? e : EPOLLIN;
}

static void op_poll(struct fz *f)
{
	struct pollfd pfd[6];
	struct epoll_event ev[8];
	int i, n = 1 + below(f, 6), ep, fd;

	switch (below(f, 3)) {
	case 0:
		for (i = 0; i < n; i++) {
			pfd[i].fd = pick_fd(f, R_NONE);
			pfd[i].events = (short)rnd_events(f);
		}
		poll(pfd, n, 0);
		break;
	case 1: {
		uint32_t e = rnd_events(f);

		ep = pick_fd(f, R_EPOLL);
		fd = pick_fd(f, chance(f, 50) ? R_CLIENT : R_NONE);
		if (ep < 0 || fd < 0)
			break;
		if (chance(f, 20))
			e |= EPOLLEXCLUSIVE;
		else if (chance(f, 20))
			e |= EPOLLET;
		else if (chance(f, 20))
			e |= EPOLLONESHOT;
		ev[0].events = e;
		ev[0].data.u64 = 0;
		epoll_ctl(ep, chance(f, 60) ? EPOLL_CTL_ADD :
			  chance(f, 50) ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd, ev);
		break;
	}
	default:
		ep = pick_fd(f, R_EPOLL);
		if (ep >= 0)
			epoll_wait(ep, ev, 8, 0);
		break;
	}
}

static void reap_cqes(struct fz *f)
{
	struct io_uring_cqe *cqe;

	while (!io_uring_peek_cqe(&f->ring, &cqe)) {
		if (cqe->user_data == 2 && cqe->res > 0)
			viol(f, "URING_CMD completed with %d", cqe->res);
		io_uring_cqe_seen(&f->ring, cqe);
	}
}

static void op_uring(struct fz *f)
{
	struct io_uring_sqe *sqe;
	int fd = pick_fd(f, chance(f, 50) ? R_CLIENT : R_SERVER);

	if (!f->have_ring || fd < 0)
		return;
	reap_cqes(f);
	sqe = io_uring_get_sqe(&f->ring);
	if (!sqe) {
		io_uring_submit(&f->ring);
		return;
	}
	switch (below(f, 4)) {
	case 0:
		io_uring_prep_poll_add(sqe, fd, rnd_events(f));
		sqe->user_data = 1;
		stat_inc(&f->sh->poll_adds);
		break;
	case 1:
		io_uring_prep_poll_remove(sqe, 1);
		sqe->user_data = 3;
		break;
	default:
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
		sqe->cmd_op = chance(f, 85) ? KIPC_URING_CMD_KICK :
			      (uint32_t)rnd(f);
		sqe->user_data = 2;
		stat_inc(&f->sh->uring_cmds);
		break;
	}
	io_uring_submit(&f->ring);
	reap_cqes(f);
}

static void op_eventfd(struct fz *f)
{
	int fd = pick_fd(f, chance(f, 50) ? R_CLIENT : R_SERVER);
	int efd = pick_fd(f, R_EVENTFD);
	int ret;

	if (fd < 0)
		return;
	if (efd < 0 || chance(f, 20)) {
		efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (efd < 0)
			return;
		put_fd(f, efd, R_EVENTFD);
	}
	ret = kt_set_eventfd(fd, chance(f, 15) ? -1 : efd);
	if (ret && !errno_documented(-ret))
		viol(f, "SET_EVENTFD gave undocumented errno %d", -ret);
	if (chance(f, 30)) {
		/* The kick lands on the peer's eventfd, if it has one. */
		kt_kick(fd);
	}
}

/* ------------------------------------------------------------------ */
/* Workers                                                             */

static void fz_run(struct fz *f);

static void reap_child(struct fz *f, bool kill_it)
{
	if (f->child <= 0)
		return;
	if (kill_it) {
		kill(f->child, SIGKILL);
		stat_inc(&f->sh->child_kills);
	}
	if (kill_it || waitpid(f->child, NULL, WNOHANG) == f->child) {
		if (kill_it)
			kt_wait_pid(f->child, kt_wait_ms());
		f->child = 0;
	}
}

static void op_fork(struct fz *f)
{
	pid_t pid;

	if (f->is_child || f->child > 0) {
		reap_child(f, chance(f, 50));
		return;
	}
	pid = kt_fork();
	if (pid < 0)
		return;
	stat_inc(&f->sh->forks);
	if (pid == 0) {
		int i;

		/* Only the views with MADV_DOFORK came along. */
		for (i = 0; i < FZ_VIEWS; i++)
			if (f->v[i].addr &&
			    msync(f->v[i].addr, f->v[i].len, MS_ASYNC))
				f->v[i].addr = NULL;
		f->is_child = true;
		f->child = 0;
		f->rng ^= 0x5bd1e995u;
		f->local_calls = 20 + below(f, 200);
		/* The ring is the parent's: a child uses none of its own. */
		f->have_ring = false;
		fz_run(f);
		if (chance(f, 10)) {
			stat_inc(&f->sh->parent_kills);
			kill(getppid(), SIGKILL);
		}
		_exit(0);
	}
	f->child = pid;
}

static void fz_op(struct fz *f)
{
	uint32_t k = below(f, 1000);

	if (k < 380)
		op_ioctl(f);
	else if (k < 480)
		op_open(f);
	else if (k < 560)
		op_fdops(f);
	else if (k < 640)
		op_mmap(f);
	else if (k < 800)
		op_view(f);
	else if (k < 880)
		op_poll(f);
	else if (k < 940)
		op_uring(f);
	else if (k < 995)
		op_eventfd(f);
	else
		op_fork(f);
}

static void fz_run(struct fz *f)
{
	uint64_t n = 0;

	for (;;) {
		if (__atomic_fetch_add(&f->sh->calls, 1, __ATOMIC_RELAXED) >=
		    __atomic_load_n(&f->sh->target, __ATOMIC_RELAXED))
			break;
		if (f->is_child && n++ >= f->local_calls)
			break;
		fz_op(f);
	}
}

static int fz_arena(struct fz *f)
{
	int mfd;

	f->rw = mmap(NULL, 2 * fz_page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->rw == MAP_FAILED)
		return -errno;
	if (mprotect(f->rw + fz_page, fz_page, PROT_NONE))
		return -errno;
	mfd = memfd_create("kipc-fuzz", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, fz_page))
		return -errno;
	f->ro_w = mmap(NULL, fz_page, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	f->ro = mmap(NULL, fz_page, PROT_READ, MAP_SHARED, mfd, 0);
	close(mfd);
	if (f->ro_w == MAP_FAILED || f->ro == MAP_FAILED)
		return -ENOMEM;
	return 0;
}

static void fz_worker(struct fz_shared *sh, pid_t test_pid, uint64_t seed)
{
	struct sigaction sa = { .sa_sigaction = fz_segv,
				.sa_flags = SA_SIGINFO };
	struct fz f;
	int i;

	memset(&f, 0, sizeof(f));
	f.sh = sh;
	f.test_pid = test_pid;
	f.rng = seed;
	for (i = 0; i < FZ_SLOTS; i++)
		f.fd[i] = -1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (fz_arena(&f))
		_exit(2);
	f.have_ring = !io_uring_queue_init(64, &f.ring, 0);
	fz_run(&f);
	if (f.child > 0)
		reap_child(&f, true);
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The test                                                            */

static bool kernel_has(const char *opt)
{
	char cmd[128];
	int ret;

	snprintf(cmd, sizeof(cmd),
		 "zcat /proc/config.gz 2>/dev/null | grep -qx 'CONFIG_%s=y'", opt);
	ret = system(cmd);
	return ret == 0;
}

static uint64_t worker_seed(uint64_t seed, unsigned int w, unsigned int gen)
{
	uint64_t s = seed ^ ((uint64_t)w << 56) ^ ((uint64_t)gen << 32);

	return kt_splitmix64(&s);
}

static int counters_zero(char *why, size_t len)
{
	static const char *const keys[] = { "listeners", "connections",
		"mappings", "pinned_pages" };
	uint64_t end = kt_now_ns() + (uint64_t)kt_wait_ms() * 1000000;
	struct timespec nap = { 0, 20000000 };
	long long v = -1;
	unsigned int i;

	for (;;) {
		bool zero = true;

		for (i = 0; i < 4; i++) {
			if (kt_counter(keys[i], &v) || v) {
				snprintf(why, len, "%s %lld", keys[i], v);
				zero = false;
				break;
			}
		}
		if (zero)
			return 0;
		if (kt_now_ns() > end)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

FIXTURE(fuzz) {};
FIXTURE_SETUP(fuzz) {}
FIXTURE_TEARDOWN(fuzz) {}

TEST_F_TIMEOUT(fuzz, random_calls_every_role, 3600)
{
	bool debug = kernel_has("KASAN");
	uint64_t seed = kt_env_u64("KIPC_FUZZ_SEED", kt_seed());
	uint64_t target = kt_env_u64("KIPC_FUZZ_CALLS",
				     kt_long() ? 1000000 : 100000);
	unsigned int nw = (unsigned int)kt_env_u64("KIPC_FUZZ_WORKERS", 2);
	bool kills = kt_env_u64("KIPC_FUZZ_KILLS", 1) != 0;
	/* A time cap, so that the long form fits its limit on a slow
	 * kernel; the figure says how many calls were made and that it was
	 * cut short.
	 */
	uint64_t max_secs = kt_env_u64("KIPC_FUZZ_SECONDS", debug ? 1400 : 0);
	uint64_t want, next_kill = 1000;
	bool capped = false;
	uint64_t t0 = kt_now_ns(), last_calls = 0, last_progress = t0;
	uint64_t stall_ns = (uint64_t)kt_wait_ms() * 3 * 1000000;
	pid_t pid[FZ_MAX_WORKERS] = { 0 }, test_pid = getpid();
	unsigned int gen[FZ_MAX_WORKERS] = { 0 }, w, restarts = 0, sup_kills = 0;
	uint64_t rng = seed ^ 0xfeedULL;
	struct fz_shared *sh;
	struct utsname un;
	char why[64] = "";
	uint32_t i;

	fz_page = kt_page();
	if (nw < 1 || nw > FZ_MAX_WORKERS)
		nw = 2;
	uname(&un);
	ksft_print_msg("kipc-fuzz: seed=%#llx calls=%llu max_secs=%llu workers=%u kills=%d (replay: KIPC_FUZZ_SEED=%#llx KIPC_FUZZ_CALLS=%llu)\n",
		       (unsigned long long)seed, (unsigned long long)target,
		       (unsigned long long)max_secs, nw, kills, (unsigned long long)seed,
		       (unsigned long long)target);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	sh->target = target;
	want = target;

	for (;;) {
		uint64_t calls = __atomic_load_n(&sh->calls, __ATOMIC_RELAXED);
		uint64_t now = kt_now_ns();
		bool live = false;
		struct timespec nap = { 0, 20000000 };

		for (w = 0; w < nw; w++) {
			int st;

			if (pid[w] > 0 && waitpid(pid[w], &st, WNOHANG) == pid[w]) {
				/* SIGKILL is ours (or its child's); anything
				 * else is a fuzzer crash that must not hide.
				 */
				if ((WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL) ||
				    (WIFEXITED(st) && WEXITSTATUS(st)))
					TH_LOG("worker %u (gen %u) died: status %#x",
					       w, gen[w] - 1, st);
				EXPECT_FALSE((WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL) ||
					     (WIFEXITED(st) && WEXITSTATUS(st)));
				pid[w] = 0;
			}
			if (pid[w] <= 0 && calls < target) {
				pid_t p = kt_fork();

				ASSERT_LE(0, p);
				if (p == 0)
					fz_worker(sh, test_pid,
						  worker_seed(seed, w, gen[w]));
				pid[w] = p;
				if (gen[w]++)
					restarts++;
			}
			if (pid[w] > 0)
				live = true;
		}
		if (!live)
			break;
		if (calls != last_calls) {
			last_calls = calls;
			last_progress = now;
		} else if (now - last_progress > stall_ns) {
			for (w = 0; w < nw; w++)
				if (pid[w] > 0)
					TH_LOG("worker %u (pid %d, gen %u) stuck in state %c",
					       w, pid[w], gen[w] - 1,
					       kt_task_state(pid[w], pid[w]));
			for (w = 0; w < nw; w++)
				if (pid[w] > 0)
					kill(pid[w], SIGKILL);
			ASSERT_TRUE(0) TH_LOG("no progress at %llu calls: a call hangs (seed %#llx)",
					      (unsigned long long)calls,
					      (unsigned long long)seed);
		}
		/* One SIGKILL of a worker every 1,000..5,000 calls: by
		 * progress, not time, so a slow kernel gets as many.
		 */
		if (kills && calls < target && calls >= next_kill) {
			w = (unsigned int)(kt_splitmix64(&rng) % nw);
			if (pid[w] > 0) {
				kill(pid[w], SIGKILL);
				sup_kills++;
			}
			next_kill = calls + 1000 + kt_splitmix64(&rng) % 4000;
		}
		if (max_secs && !capped && now - t0 > max_secs * 1000000000ULL) {
			/* Out of time: the workers stop at their next call. */
			__atomic_store_n(&sh->target, calls, __ATOMIC_RELAXED);
			target = calls;
			capped = true;
		}
		nanosleep(&nap, NULL);
	}
	for (i = 0; i < sh->nviol && i < FZ_VIOL_MAX; i++)
		TH_LOG("violation: %s", sh->viol[i]);
	EXPECT_EQ(0, sh->nviol) TH_LOG("seed %#llx", (unsigned long long)seed);
	EXPECT_EQ(0, counters_zero(why, sizeof(why)))
		TH_LOG("counters not back to zero: %s", why);
	ksft_print_msg("kipc-figure: suite=fuzz seed=%#llx calls=%llu asked=%llu capped=%d secs=%.1f workers=%u worker_kills=%u restarts=%u ioctls=%llu ioctl_ok=%llu mmaps=%llu mmap_ok=%llu accepts=%llu forks=%llu child_kills=%llu parent_kills=%llu uring_cmds=%llu poll_adds=%llu faults=%llu violations=%u kernel=%s\n",
		       (unsigned long long)seed,
		       (unsigned long long)(sh->calls < target ? sh->calls : target),
		       (unsigned long long)want, capped, (double)(kt_now_ns() - t0) / 1e9, nw, sup_kills,
		       restarts, (unsigned long long)sh->ioctls,
		       (unsigned long long)sh->ioctl_ok,
		       (unsigned long long)sh->mmaps,
		       (unsigned long long)sh->mmap_ok,
		       (unsigned long long)sh->accepts,
		       (unsigned long long)sh->forks,
		       (unsigned long long)sh->child_kills,
		       (unsigned long long)sh->parent_kills,
		       (unsigned long long)sh->uring_cmds,
		       (unsigned long long)sh->poll_adds,
		       (unsigned long long)sh->faults, sh->nviol, un.release);
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
