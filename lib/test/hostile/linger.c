// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * A peer that passes us a socket whose close lingers: a TCP socket with
 * SO_LINGER {1, N} and a full send queue, over SCM_RIGHTS, its own copy
 * closed. Whoever releases the last reference waits up to N seconds. The
 * library must never be that one: not when it refuses a handshake's fds,
 * not on the uds data path, not when it closes a connection whose socket
 * holds such fds (sock.c, "Fds from a peer").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "../harness.h"
#include "internal.h"
#include "wire.h"

#define LINGER_S	5	/* what a bug costs; the checks allow 2 s */

/* A connected TCP socket whose peer (*keep) never reads, its send queue
 * full, SO_LINGER {1, LINGER_S}: its last close blocks.
 */
static int lingering_socket(int *keep)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct linger lg = { 1, LINGER_S };
	static char junk[65536];
	socklen_t al = sizeof(a);
	int lfd, fd, small = 4096;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0);
	CHECK_OK(bind(lfd, (struct sockaddr *)&a, sizeof(a)));
	CHECK_OK(listen(lfd, 1));
	CHECK_OK(getsockname(lfd, (struct sockaddr *)&a, &al));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
	CHECK_OK(connect(fd, (struct sockaddr *)&a, sizeof(a)));
	*keep = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(*keep >= 0);
	close(lfd);
	CHECK_OK(setsockopt(*keep, SOL_SOCKET, SO_RCVBUF, &small,
			    sizeof(small)));
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	while (write(fd, junk, sizeof(junk)) > 0)
		;
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	return fd;
}

/* Undo the library's SO_PASSRIGHTS 0 on @c's socket: a kernel before
 * 6.16, where the peer can still pass fds after the handshake.
 */
static void as_old_kernel(struct kipc_conn *c)
{
#ifdef SO_PASSRIGHTS
	int on = 1;

	if (setsockopt(c->fd, SOL_SOCKET, SO_PASSRIGHTS, &on, sizeof(on)))
		CHECK(errno == ENOPROTOOPT || errno == EINVAL);
#endif
	c->fds_barred = false;
}

static bool kernel_has_passrights(void)
{
	bool has = false;
#ifdef SO_PASSRIGHTS
	int sv[2], v;
	socklen_t l = sizeof(v);

	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	has = !getsockopt(sv[0], SOL_SOCKET, SO_PASSRIGHTS, &v, &l);
	close(sv[0]);
	close(sv[1]);
#endif
	return has;
}

static void check_quick(int64_t t0, const char *what)
{
	int64_t ms = (now_ns() - t0) / 1000000;

	if (ms > 2000)
		FAIL("%s took %lld ms: a peer's fd lingered in our close",
		     what, (long long)ms);
}

/* A raw client whose SETUP passes a lingering socket for the memfd. */
static void linger_setup_client(void *a)
{
	struct kipc_wire offer, w;
	int fd, fds[3], bell[2], view[2], keep;

	CHECK_OK(kipc__shm_bells(bell, view));
	fd = raw_connect(a, &offer);
	raw_setup_init(&w);
	w.features = offer.features & KIPC_LIB_FORMATS;
	fds[0] = lingering_socket(&keep);
	fds[1] = view[0];
	fds[2] = view[1];
	raw_send(fd, &w, sizeof(w), fds, 3);
	close(fds[0]);		/* the listener holds the last reference */
	pause();
}

static void t_handshake_linger(void)
{
	struct kipc_listener *l;
	struct kipc_conn *s;
	char name[64];
	int64_t t0;
	pid_t child;

	l = shm_handshake_listener(name, sizeof(name));
	child = spawn(linger_setup_client, name);
	t0 = now_ns();
	CHECK_EQ(kipc_accept_timeout(l, &s, 0, 500), -ETIMEDOUT);
	check_quick(t0, "an accept that refused the SETUP");
	kill(child, SIGKILL);
	reap(child, T_MS);
	kipc_listener_close(l);
}

/* A client that, on "go", sends one byte with a lingering socket attached
 * on its connection's socket (uds: kipc_fd(); shm: the set-up socket).
 */
struct linger_arg {
	char name[64];
	int go[2];
	int sent[2];
	int transport;
};

static void linger_peer(void *a)
{
	struct linger_arg *la = a;
	struct kipc_conn *c;
	struct kipc_opts o;
	int fd, keep;
	char ch;

	opts_init(&o);
	o.transport = (unsigned int)la->transport;
	CHECK_OK(kipc_connect(la->name, &o, &c));
	CHECK_EQ(read(la->go[0], &ch, 1), 1);
	fd = lingering_socket(&keep);
	raw_send(c->fd, "x", 1, &fd, 1);	/* uds: kipc_fd(); shm: set-up */
	close(fd);
	CHECK_EQ(write(la->sent[1], "s", 1), 1);
	pause();
}

static pid_t linger_pair(struct linger_arg *la, struct kipc_listener **l,
			 struct kipc_conn **s)
{
	struct kipc_opts o;
	pid_t child;

	opts_init(&o);
	o.transport = (unsigned int)la->transport;
	snprintf(la->name, sizeof(la->name), "%s", new_name());
	CHECK_OK(kipc_listen(la->name, &o, l));
	CHECK_OK(pipe(la->go));
	CHECK_OK(pipe(la->sent));
	child = spawn(linger_peer, la);
	CHECK_OK(kipc_accept_timeout(*l, s, 0, T_MS));
	return child;
}

/* uds: recvmsg() without a control buffer had the kernel drop the fds,
 * their last close in our task, inside kipc_recv(KIPC_NONBLOCK).
 */
static void t_uds_recv_linger(void)
{
	struct linger_arg la = { .transport = KIPC_TRANSPORT_UDS };
	struct kipc_listener *l;
	struct kipc_conn *s;
	char buf[64], ch;
	int64_t t0;
	pid_t child;

	if (env_transport() != KIPC_TRANSPORT_UDS)
		skip("uds only: run with KIPC_TRANSPORT=uds");
	child = linger_pair(&la, &l, &s);
	as_old_kernel(s);
	CHECK_EQ(write(la.go[1], "g", 1), 1);
	CHECK_EQ(read(la.sent[0], &ch, 1), 1);
	t0 = now_ns();
	CHECK_EQ(kipc_recv_timeout(s, buf, sizeof(buf), 0, T_MS), 1);
	CHECK_EQ(buf[0], 'x');
	check_quick(t0, "kipc_recv of a message with a lingering fd");
	t0 = now_ns();
	kipc_close(s);
	check_quick(t0, "kipc_close");
	kill(child, SIGKILL);
	reap(child, T_MS);
	kipc_listener_close(l);
}

/* shm: nobody reads the set-up socket after the handshake, and its close
 * released the fds queued on it.
 */
static void t_shm_close_linger(void)
{
	struct linger_arg la = { .transport = KIPC_TRANSPORT_SHM };
	struct kipc_listener *l;
	struct kipc_conn *s;
	int64_t t0;
	pid_t child;
	char ch;

	if (env_transport() != KIPC_TRANSPORT_SHM)
		skip("shm only: run with KIPC_TRANSPORT=shm");
	child = linger_pair(&la, &l, &s);
	as_old_kernel(s);
	CHECK_EQ(write(la.go[1], "g", 1), 1);
	CHECK_EQ(read(la.sent[0], &ch, 1), 1);
	t0 = now_ns();
	kipc_close(s);
	check_quick(t0, "kipc_close with a lingering fd queued on the socket");
	kill(child, SIGKILL);
	reap(child, T_MS);
	kipc_listener_close(l);
}

/* Where the kernel has SO_PASSRIGHTS, neither side's socket takes fds
 * once the handshake is done, in either direction.
 */
static void t_fds_barred(void)
{
	int t = env_transport(), fd;
	struct pair p;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;

	if (t != KIPC_TRANSPORT_SHM && t != KIPC_TRANSPORT_UDS)
		skip("the socket transports: run with KIPC_TRANSPORT=shm or uds");
	if (!kernel_has_passrights())
		skip("the kernel has no SO_PASSRIGHTS (Linux 6.16)");
	pair_open(&p, NULL, NULL);
	CHECK(p.c->fds_barred && p.s->fds_barred);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	CHECK_EQ(sendmsg(p.c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT), -1);
	CHECK_EQ(errno, EPERM);
	CHECK_EQ(sendmsg(p.s->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT), -1);
	CHECK_EQ(errno, EPERM);
	close(fd);
	/* and the connection works */
	send_ok(p.c, "ok", 2);
	recv_is(p.s, "ok", 2);
	pair_close(&p);
}

/*
 * A raw uds client whose SETUP is followed, before the server reads it,
 * by messages that hide a lingering socket from a drain that stops too
 * early:
 * - FLOOD: one-byte messages, as many as its socket takes (up to 900; the
 *   SO_SNDBUF raise lets more than 300 in, the default holds ~278), the
 *   300th with the socket attached. The drain once stopped at 256 and
 *   called the socket barred all the same.
 * - EMPTY: two empty messages, then the socket on a third of no bytes. A
 *   drain that took a read of nothing with no bytes behind it (FIONREAD)
 *   for end-of-stream stopped at the first.
 * Either way nobody closed the socket but the connection socket's
 * release, in kipc_close(), which waited LINGER_S seconds.
 */
enum { FLOOD, EMPTY };

struct flood_arg {
	char name[64];
	int mode;
	int offered[2];
	int go[2];
	int queued[2];
};

/* One message of @len bytes ("x" or nothing), with @fd attached if >= 0. */
static bool send_with_fd(int sock, size_t len, int fd)
{
	return raw_sendmsg(sock, "x", len, &fd, fd >= 0) == (ssize_t)len;
}

static void flood_client(void *a)
{
	struct flood_arg *fa = a;
	struct kipc_wire offer, w;
	int fd, ls, keep, big = 4 << 20, i;
	char ch;

	fd = raw_connect(fa->name, &offer);
	CHECK_EQ(write(fa->offered[1], "o", 1), 1);
	/* Nothing more until the server has stopped reading (its accept
	 * calls sent the OFFER; the next one reads the SETUP and all this).
	 */
	CHECK_EQ(read(fa->go[0], &ch, 1), 1);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	raw_setup_init(&w);
	w.transports = KIPC_TRANSPORT_UDS;
	w.caps = 0;
	w.uds_max = offer.uds_max;
	raw_send(fd, &w, sizeof(w), NULL, 0);
	ls = lingering_socket(&keep);
	if (fa->mode == EMPTY) {
		CHECK(send_with_fd(fd, 0, -1));
		CHECK(send_with_fd(fd, 0, -1));
		CHECK(send_with_fd(fd, 0, ls));
	} else {
		CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
		for (i = 0; i < 900; i++) {
			if (!send_with_fd(fd, 1, i == 299 ? ls : -1)) {
				CHECK(errno == EAGAIN && i > 299);
				break;
			}
		}
	}
	close(ls);		/* the server holds the last reference */
	CHECK_EQ(write(fa->queued[1], "q", 1), 1);
	pause();
}

static void drain_hidden_fd(int mode)
{
	struct flood_arg fa = { .mode = mode };
	struct kipc_listener *l;
	struct kipc_conn *s = NULL;
	struct kipc_opts o;
	struct pollfd pf;
	int64_t t0;
	pid_t child;
	char ch;

	if (env_transport() != KIPC_TRANSPORT_UDS)
		skip("uds only: run with KIPC_TRANSPORT=uds");
	opts_init(&o);
	o.transport = KIPC_TRANSPORT_UDS;
	snprintf(fa.name, sizeof(fa.name), "%s", new_name());
	CHECK_OK(kipc_listen(fa.name, &o, &l));
	CHECK_OK(pipe(fa.offered));
	CHECK_OK(pipe(fa.go));
	CHECK_OK(pipe(fa.queued));
	child = spawn(flood_client, &fa);
	/* Accept the socket and send the OFFER; the client sends nothing
	 * more before "go", so these calls never see its SETUP.
	 */
	pf.fd = fa.offered[0];
	pf.events = POLLIN;
	while (!poll(&pf, 1, 1))
		CHECK_EQ(kipc_accept(l, &s, KIPC_NONBLOCK), -EAGAIN);
	CHECK_EQ(read(fa.offered[0], &ch, 1), 1);
	CHECK_EQ(write(fa.go[1], "g", 1), 1);
	CHECK_EQ(read(fa.queued[0], &ch, 1), 1);
	t0 = now_ns();
	CHECK_OK(kipc_accept_timeout(l, &s, 0, T_MS));
	check_quick(t0, "an accept that drained what followed the SETUP");
	t0 = now_ns();
	kipc_close(s);
	check_quick(t0, "kipc_close with a lingering fd hidden in the queue");
	kill(child, SIGKILL);
	reap(child, T_MS);
	kipc_listener_close(l);
	close(fa.offered[0]);
	close(fa.offered[1]);
	close(fa.go[0]);
	close(fa.go[1]);
	close(fa.queued[0]);
	close(fa.queued[1]);
}

static void t_drain_overflow(void)
{
	drain_hidden_fd(FLOOD);
}

static void t_drain_empty_messages(void)
{
	drain_hidden_fd(EMPTY);
}

/*
 * kipc__sock_drain(): true only when it read the queue empty; it closes
 * the fds of what it reads, also after empty messages, even when nothing
 * but empty messages follows; and a hung-up socket ends it at once
 * (a drain once read all its cap of empty messages there, a syscall
 * each, at every dropped handshake).
 */
static void t_drain_semantics(void)
{
	int sv[2], fd, keep;
	int64_t t0;

	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	raw_send(sv[0], "a", 1, NULL, 0);
	raw_send(sv[0], "b", 1, NULL, 0);
	CHECK(kipc__sock_drain(sv[1], KIPC_DRAIN_MAX));	/* read empty */
	raw_send(sv[0], "a", 1, NULL, 0);
	raw_send(sv[0], "b", 1, NULL, 0);
	CHECK(!kipc__sock_drain(sv[1], 1));		/* stopped at @max */
	CHECK(kipc__sock_drain(sv[1], KIPC_DRAIN_MAX));
	/* empty, empty, then no bytes with a lingering socket, hang-up */
	CHECK(send_with_fd(sv[0], 0, -1));
	CHECK(send_with_fd(sv[0], 0, -1));
	fd = lingering_socket(&keep);
	CHECK(send_with_fd(sv[0], 0, fd));
	close(fd);
	close(sv[0]);
	t0 = now_ns();
	CHECK(!kipc__sock_drain(sv[1], KIPC_DRAIN_MAX));	/* end-of-stream */
	close(sv[1]);
	check_quick(t0, "a drain and close of a queue with a lingering fd");
	close(keep);
	/* A hung-up socket: the drain stops at once, whatever its cap. */
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	close(sv[0]);
	t0 = now_ns();
	CHECK(!kipc__sock_drain(sv[1], 1 << 26));
	check_quick(t0, "a drain of a hung-up socket");
	close(sv[1]);
}

TEST_GROUP(linger,
	{ "handshake_linger", t_handshake_linger, 30 },
	{ "uds_recv_linger", t_uds_recv_linger, 30 },
	{ "shm_close_linger", t_shm_close_linger, 30 },
	{ "fds_barred", t_fds_barred, 30 },
	{ "drain_overflow", t_drain_overflow, 30 },
	{ "drain_empty_messages", t_drain_empty_messages, 30 },
	{ "drain_semantics", t_drain_semantics, 30 });
