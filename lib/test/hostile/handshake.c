// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Raw clients and raw servers that break the shm handshake in every way:
 * the other side refuses each and stays healthy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/kipc.h>

#include "../harness.h"
#include "internal.h"
#include "wire.h"

/* Raw clients that break the shm handshake in every way: the listener
 * refuses each and stays healthy.
 */
static void raw_clients(void *a)
{
	const char *name = a;
	const int c = KIPC_SIDE_CLIENT;
	struct kipc_wire offer, w;
	int fd, fds[5], bell[2], view[2], pipefd[2], i;

	CHECK_OK(kipc__shm_bells(bell, view));
	CHECK_OK(pipe(pipefd));
	raw_setup_init(&w);
	for (i = 0; i < 12; i++) {
		fd = raw_connect(name, &offer);
		CHECK_EQ(offer.caps, KIPC_WIRE_CAP_PAGE_ROLES);
		fds[0] = -1;
		fds[1] = view[0];
		fds[2] = view[1];
		switch (i) {
		case 0:		/* not sealed */
			fds[0] = raw_memfd(&offer, c, 0, 0);
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EPERM);
			break;
		case 1:		/* sealed against growing only */
			fds[0] = raw_memfd(&offer, c, F_SEAL_GROW, 0);
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EPERM);
			break;
		case 2:		/* the 1.0 seals: writable by its maker */
			fds[0] = raw_memfd(&offer, c, F_SEAL_SHRINK |
					   F_SEAL_GROW | F_SEAL_SEAL, 0);
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EPERM);
			break;
		case 3:		/* wrong size: a page more, a page less */
			fds[0] = raw_memfd(&offer, c, SHM_SEALS_ALL, 4096);
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EBADMSG);
			close(fds[0]);
			fd = raw_connect(name, &offer);
			fds[0] = raw_memfd(&offer, c, SHM_SEALS_ALL, -4096);
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EBADMSG);
			break;
		case 4:		/* the server's side of the layout */
			offer.ring_bytes[c] *= 2;
			fds[0] = raw_memfd(&offer, c, SHM_SEALS_ALL, 0);
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EBADMSG);
			break;
		case 5:		/* a pipe for a doorbell */
			fds[0] = raw_memfd(&offer, c, SHM_SEALS_ALL, 0);
			fds[1] = pipefd[0];
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_refused(fd);
			break;
		case 6:		/* a pipe for the memory */
			fds[0] = pipefd[1];
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EPERM);
			fds[0] = -1;
			break;
		case 7:		/* too many fds */
			fds[0] = raw_memfd(&offer, c, SHM_SEALS_ALL, 0);
			fds[3] = fds[4] = pipefd[0];
			raw_send(fd, &w, sizeof(w), fds, 5);
			raw_refused(fd);
			break;
		case 8:		/* an older client: one memfd, no page roles */
			fds[0] = raw_memfd_1_0(&offer);
			w.caps = 0;
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EPROTONOSUPPORT);
			break;
		case 9:		/* a cap nobody has */
			fds[0] = raw_memfd(&offer, c, SHM_SEALS_ALL, 0);
			w.caps |= 1ULL << 63;
			raw_send(fd, &w, sizeof(w), fds, 3);
			raw_rejected(fd, -EPROTONOSUPPORT);
			break;
		case 10:	/* garbage */
			raw_send(fd, "garbage!", 8, NULL, 0);
			raw_refused(fd);
			break;
		default:	/* uds with fds, an unknown transport */
			w.transports = KIPC_TRANSPORT_UDS;
			raw_send(fd, &w, sizeof(w), fds + 1, 2);
			raw_refused(fd);
			w.transports = 7;
			fd = raw_connect(name, &offer);
			raw_send(fd, &w, sizeof(w), NULL, 0);
			raw_refused(fd);
			break;
		}
		if (fds[0] >= 0)
			close(fds[0]);
		raw_setup_init(&w);
	}
	/* One that says nothing and goes away, then a good one. */
	fd = raw_connect(name, &offer);
	close(fd);
	{
		struct name_arg na;

		snprintf(na.name, sizeof(na.name), "%s", name);
		listener_child(&na);
	}
}

static void t_handshake_hostile(void)
{
	struct kipc_listener *l;
	struct kipc_conn *s;
	char name[64];
	pid_t child;

	l = shm_handshake_listener(name, sizeof(name));
	child = spawn(raw_clients, name);
	s = accept_one(l, T_MS);	/* only the good client gets through */
	recv_is(s, "hi", 2);
	kipc_close(s);
	CHECK_EQ(reap(child, T_MS), 0);
	kipc_listener_close(l);
}

/*
 * A client that shrinks its memfd and seals it between the server's size
 * check and its seal check would make the server map pages past the end
 * (SIGBUS on the first touch). The race is made certain here: fstat() is
 * this program's own, and when armed it does the client's part on the fd
 * the server has just checked, right after the check. The server must
 * check the seals first, so the size it then sees cannot change.
 */
static volatile off_t shrink_size;	/* armed: a regular file of this size */
static volatile int shrink_done;

int fstat(int fd, struct stat *st)
{
	int ret = fstatat(fd, "", st, AT_EMPTY_PATH);

	if (!ret && shrink_size && S_ISREG(st->st_mode) &&
	    st->st_size == shrink_size) {
		shrink_size = 0;
		if (!ftruncate(fd, 0) && !fcntl(fd, F_ADD_SEALS, SHM_SEALS_ALL))
			shrink_done = 1;
	}
	return ret;
}

static void shrink_client(void *a)
{
	const char *name = a;
	struct kipc_wire offer, w;
	int fd, fds[3], bell[2], view[2];
	struct name_arg na;

	CHECK_OK(kipc__shm_bells(bell, view));
	raw_setup_init(&w);
	fd = raw_connect(name, &offer);
	/* right size, unsealed */
	fds[0] = raw_memfd(&offer, KIPC_SIDE_CLIENT, 0, 0);
	fds[1] = view[0];
	fds[2] = view[1];
	raw_send(fd, &w, sizeof(w), fds, 3);
	raw_refused(fd);
	close(fds[0]);
	snprintf(na.name, sizeof(na.name), "%s", name);
	listener_child(&na);
}

static void t_handshake_shrink(void)
{
	uint32_t rb[2];
	struct kipc_listener *l;
	struct kipc_conn *s;
	char name[64];
	pid_t child;

	l = shm_handshake_listener(name, sizeof(name));
	rb[0] = rb[1] = KIPC_RING_DEFAULT;
	child = spawn(shrink_client, name);
	shrink_size = (off_t)sysconf(_SC_PAGESIZE) + rb[KIPC_RING_C2S];
	s = accept_one(l, T_MS);	/* only the good client gets through */
	CHECK(!shrink_done);		/* the good one was sealed */
	recv_is(s, "hi", 2);
	kipc_close(s);
	CHECK_EQ(reap(child, T_MS), 0);
	kipc_listener_close(l);
}

/*
 * Hostile shm listeners: READY hands over a memfd the client must refuse
 * (unsealed: -EPERM; the 1.0 seals, which leave it writable to its maker:
 * -EPERM; the wrong size: -EBADMSG), or the OFFER comes from an older
 * server without page roles (forced shm: -EPROTONOSUPPORT, naming them;
 * automatic: uds instead). kipc_strerror() says which.
 */
enum { RS_UNSEALED, RS_OLD_SEALS, RS_SIZE, RS_OLD };

struct raw_server_arg {
	char name[64];
	int ready[2];
	int mode;
};

/* What a listener OFFERs, with the capabilities @caps. */
static void raw_offer(struct kipc_wire *offer, uint32_t caps)
{
	memset(offer, 0, sizeof(*offer));
	offer->magic = KIPC_WIRE_MAGIC;
	offer->version = KIPC_WIRE_VERSION;
	offer->type = KIPC_WIRE_OFFER;
	offer->transports = (1U << KIPC_TRANSPORT_SHM) |
			    (1U << KIPC_TRANSPORT_UDS);
	offer->ring_bytes[0] = offer->ring_bytes[1] = KIPC_RING_DEFAULT;
	offer->uds_max = 1024;
	offer->page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	offer->caps = caps;
}

static void raw_server(void *a)
{
	struct raw_server_arg *ra = a;
	struct sockaddr_un addr;
	struct kipc_wire w, offer;
	int lfd, fd, fds[4], nfds, bell[2], view[2], k;
	socklen_t len;

	CHECK_OK(kipc__shm_bells(bell, view));
	CHECK_OK(kipc__sock_addr(ra->name, &addr, &len));
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0);
	CHECK_OK(bind(lfd, (struct sockaddr *)&addr, len));
	CHECK_OK(listen(lfd, 4));
	CHECK_EQ(write(ra->ready[1], "r", 1), 1);
	for (k = 0; k < (ra->mode == RS_OLD ? 2 : 1); k++) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		CHECK(fd >= 0);
		raw_offer(&offer, ra->mode == RS_OLD ? 0 :
				  KIPC_WIRE_CAP_PAGE_ROLES);
		raw_send(fd, &offer, sizeof(offer), NULL, 0);
		if (ra->mode == RS_OLD && !k) {
			/* forced shm: the client hangs up, no SETUP */
			struct pollfd pf = { .fd = fd, .events = POLLIN };

			CHECK_EQ(poll(&pf, 1, T_MS), 1);
			CHECK_EQ(recv(fd, &w, sizeof(w), 0), 0);
			close(fd);
			continue;
		}
		raw_recv(fd, &w, fds, &nfds);
		CHECK_EQ(w.type, KIPC_WIRE_SETUP);
		while (nfds > 0)
			close(fds[--nfds]);
		w.type = KIPC_WIRE_READY;
		if (ra->mode == RS_OLD) {
			/* automatic: the client chose uds */
			CHECK_EQ(w.transports, KIPC_TRANSPORT_UDS);
			raw_send(fd, &w, sizeof(w), NULL, 0);
		} else {
			CHECK_EQ(w.transports, KIPC_TRANSPORT_SHM);
			CHECK_EQ(w.caps, KIPC_WIRE_CAP_PAGE_ROLES);
			fds[0] = raw_memfd(&offer, KIPC_SIDE_SERVER,
					   ra->mode == RS_UNSEALED ? 0 :
					   ra->mode == RS_OLD_SEALS ?
					   F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL :
					   SHM_SEALS_ALL,
					   ra->mode == RS_SIZE ? 4096 : 0);
			fds[1] = view[0];
			fds[2] = view[1];
			raw_send(fd, &w, sizeof(w), fds, 3);
			close(fds[0]);
		}
		/* The client hangs up (uds: once the test closes it). */
		{
			struct pollfd pf = { .fd = fd, .events = POLLIN };

			CHECK_EQ(poll(&pf, 1, T_MS), 1);
			CHECK_EQ(recv(fd, &w, sizeof(w), 0), 0);
		}
		close(fd);
	}
	close(lfd);
}

static void t_shm_hostile_server(void)
{
	static const int want[] = { -EPERM, -EPERM, -EBADMSG, -EPROTONOSUPPORT };
	struct raw_server_arg ra;
	struct kipc_opts o;
	struct kipc_conn *c;
	pid_t pid;
	char ch;

	if (env_transport() != KIPC_TRANSPORT_SHM)
		skip("a shm handshake test: run with KIPC_TRANSPORT=shm");
	for (ra.mode = RS_UNSEALED; ra.mode <= RS_OLD; ra.mode++) {
		snprintf(ra.name, sizeof(ra.name), "%s", new_name());
		CHECK_OK(pipe(ra.ready));
		pid = spawn(raw_server, &ra);
		CHECK_EQ(read(ra.ready[0], &ch, 1), 1);
		opts_init(&o);
		o.transport = KIPC_TRANSPORT_SHM;
		o.timeout_ms = T_MS;
		CHECK_EQ(kipc_connect(ra.name, &o, &c), want[ra.mode]);
		CHECK(strstr(kipc_strerror(want[ra.mode]),
			     ra.mode == RS_SIZE ? "corrupt" :
			     ra.mode == RS_OLD ? "page roles" :
			     "F_SEAL_FUTURE_WRITE"));
		if (ra.mode == RS_OLD) {
			unsetenv("KIPC_TRANSPORT");	/* this test's process */
			o.transport = KIPC_TRANSPORT_AUTO;
			CHECK_OK(kipc_connect(ra.name, &o, &c));
			CHECK_EQ(kipc_transport(c), KIPC_TRANSPORT_UDS);
			kipc_close(c);
		}
		CHECK_EQ(reap(pid, T_MS), 0);
		close(ra.ready[0]);
		close(ra.ready[1]);
	}
}

/*
 * A listener that goes between its OFFER and the client's SETUP (closed
 * or killed: the client's SETUP then meets a hung-up socket, EPIPE) has
 * refused the client: -ECONNREFUSED, as kipc_connect(3) says, whatever
 * the transport. Found by a kill -9 matrix: -EPIPE came back in 20-40 of
 * 100 listener closes during handshakes.
 */
static void hangup_server(void *a)
{
	struct raw_server_arg *ra = a;
	struct sockaddr_un addr;
	struct kipc_wire offer;
	socklen_t len;
	int lfd, fd;

	CHECK_OK(kipc__sock_addr(ra->name, &addr, &len));
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0);
	CHECK_OK(bind(lfd, (struct sockaddr *)&addr, len));
	CHECK_OK(listen(lfd, 4));
	CHECK_EQ(write(ra->ready[1], "r", 1), 1);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(fd >= 0);
	raw_offer(&offer, KIPC_WIRE_CAP_PAGE_ROLES);
	raw_send(fd, &offer, sizeof(offer), NULL, 0);
	close(fd);
	close(lfd);
}

static void t_offer_then_hangup(void)
{
	struct raw_server_arg ra;
	struct kipc_opts o;
	struct kipc_conn *c;
	pid_t pid;
	char ch;
	int i;

	if (env_transport() == KIPC_TRANSPORT_DEV)
		skip("a socket handshake test: run with shm, uds or automatic");
	/* The SETUP meets the hang-up (EPIPE) or READY's wait does (end of
	 * stream): which one is a race, so several rounds.
	 */
	for (i = 0; i < 20; i++) {
		snprintf(ra.name, sizeof(ra.name), "%s", new_name());
		CHECK_OK(pipe(ra.ready));
		pid = spawn(hangup_server, &ra);
		CHECK_EQ(read(ra.ready[0], &ch, 1), 1);
		opts_init(&o);
		o.transport = env_transport();
		o.timeout_ms = T_MS;
		CHECK_EQ(kipc_connect(ra.name, &o, &c), -ECONNREFUSED);
		CHECK_EQ(reap(pid, T_MS), 0);
		close(ra.ready[0]);
		close(ra.ready[1]);
	}
}

/*
 * A client that passes more fds than its step allows (200 with SETUP)
 * to a server with room for fewer: the kernel truncates them (MSG_CTRUNC)
 * as it does when the server is out of fds, but the fault is the
 * client's. The server drops it (EPROTO) and goes on; it does not report
 * itself out of fds (kipc_accept() gave -EMFILE, an application backing
 * off on that would stall for any client that can connect).
 */
#define SPOOF_FDS	200

struct spoof_arg {
	char name[64];
	int ready[2];
	int done[2];
};

static void spoof_server(void *a)
{
	struct spoof_arg *sa = a;
	struct kipc_listener *l;
	struct kipc_conn *c;
	struct kipc_opts o;
	struct pollfd pf;
	struct rlimit rl;
	int fd, free_slots = 0;

	opts_init(&o);
	o.transport = KIPC_TRANSPORT_SHM;
	CHECK_OK(kipc_listen(sa->name, &o, &l));
	/* A limit with 40 free slots below it: fewer than SPOOF_FDS. */
	for (fd = 0; free_slots < 40; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			free_slots++;
	rl.rlim_cur = rl.rlim_max = (rlim_t)fd;
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	CHECK_EQ(write(sa->ready[1], "r", 1), 1);
	/* Serve (the OFFER, then the SETUP) until the client was refused;
	 * no accept may report anything but "nothing yet".
	 */
	pf.fd = sa->done[0];
	pf.events = POLLIN;
	do
		CHECK_EQ(kipc_accept(l, &c, KIPC_NONBLOCK), -EAGAIN);
	while (!poll(&pf, 1, 1));
	CHECK_EQ(kipc_accept(l, &c, KIPC_NONBLOCK), -EAGAIN);
	kipc_listener_close(l);
}

static void t_fd_flood_not_emfile(void)
{
	struct kipc_wire offer, w;
	struct spoof_arg sa;
	int fds[SPOOF_FDS], fd, i;
	pid_t pid;
	char ch;

	if (env_transport() != KIPC_TRANSPORT_SHM)
		skip("a shm handshake test: run with KIPC_TRANSPORT=shm");
	snprintf(sa.name, sizeof(sa.name), "%s", new_name());
	CHECK_OK(pipe(sa.ready));
	CHECK_OK(pipe(sa.done));
	pid = spawn(spoof_server, &sa);
	CHECK_EQ(read(sa.ready[0], &ch, 1), 1);
	fd = raw_connect(sa.name, &offer);
	raw_setup_init(&w);
	for (i = 0; i < SPOOF_FDS; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		CHECK(fds[i] >= 0);
	}
	raw_send(fd, &w, sizeof(w), fds, SPOOF_FDS);
	for (i = 0; i < SPOOF_FDS; i++)
		close(fds[i]);
	raw_refused(fd);
	CHECK_EQ(write(sa.done[1], "d", 1), 1);
	CHECK_EQ(reap(pid, T_MS), 0);
	close(sa.ready[0]);
	close(sa.ready[1]);
	close(sa.done[0]);
	close(sa.done[1]);
}

/* A client whose SETUP claims a ring format the server did not offer is
 * refused with -EPROTONOSUPPORT; a 1.0 server offers none.
 */
static void format_client(void *a)
{
	struct kipc_wire offer, w;
	int fd, fds[3], bell[2], view[2];
	struct pollfd pf;

	CHECK_OK(kipc__shm_bells(bell, view));
	fd = raw_connect(a, &offer);
	CHECK_EQ(offer.features, KIPC_LIB_FORMATS);
	raw_setup_init(&w);
	w.features = KIPC_F_RING_PAD << 1;	/* no such format yet */
	fds[0] = raw_memfd(&offer, KIPC_SIDE_CLIENT, SHM_SEALS_ALL, 0);
	fds[1] = view[0];
	fds[2] = view[1];
	raw_send(fd, &w, sizeof(w), fds, 3);
	pf.fd = fd;
	pf.events = POLLIN;
	CHECK_EQ(poll(&pf, 1, T_MS), 1);
	CHECK_EQ(recv(fd, &w, sizeof(w), 0), (long)sizeof(w));
	CHECK_EQ(w.type, KIPC_WIRE_REJECT);
	CHECK_EQ(w.status, -EPROTONOSUPPORT);
	close(fd);
	close(fds[0]);
}

static void t_handshake_formats(void)
{
	struct kipc_listener *l;
	struct kipc_conn *c;
	char name[64];
	pid_t child;

	l = shm_handshake_listener(name, sizeof(name));
	child = spawn(format_client, name);
	CHECK_EQ(kipc_accept_timeout(l, &c, 0, 500), -ETIMEDOUT);
	CHECK_EQ(reap(child, T_MS), 0);
	kipc_listener_close(l);
}

struct dev_arg {
	char name[64];
	bool dev;		/* the listener holds the name on the driver */
};

/* A raw client: the OFFER names the driver iff the listener is there. */
static void offer_client(void *a)
{
	struct dev_arg *da = a;
	struct kipc_wire offer;
	int fd;

	fd = raw_connect(da->name, &offer);
	CHECK_EQ(!!(offer.transports & (1U << KIPC_TRANSPORT_DEV)), da->dev);
	CHECK(offer.transports & (1U << KIPC_TRANSPORT_SHM));
	close(fd);
}

/* A client whose look at the driver found no such name a moment ago. */
static void raced_client(void *a)
{
	struct dev_arg *da = a;
	struct kipc_conn *c;
	struct kipc_cfg cfg;

	CHECK_OK(kipc__cfg(NULL, &cfg));
	if (da->dev) {
		CHECK_EQ(kipc__sock_connect(da->name, &cfg, true, &c), KIPC__TRY_DEV);
		return;
	}
	CHECK_OK(kipc__sock_connect(da->name, &cfg, true, &c));
	kipc_close(c);
}

/* Accept (and refuse nothing) until @child exits; its exit status. */
static int serve_until_exit(struct kipc_listener *l, pid_t child)
{
	struct kipc_conn *s;
	int i, st;

	for (i = 0; i < T_MS / 100; i++) {
		CHECK_EQ(kipc_accept_timeout(l, &s, 0, 100), -ETIMEDOUT);
		if (waitpid(child, &st, WNOHANG) == child)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	return reap(child, 0);
}

/*
 * An automatic listener's OFFER names the driver when it holds the name
 * there too. A client whose look at the driver found no such name (its
 * kipc_connect() raced the listener's, which registers the driver's name
 * first) then gets KIPC__TRY_DEV before anything is set up, and looks
 * again: with the driver loaded, automatic clients always land on it
 * (the VM's "auto picks dev" case once went over shm). One whose listener
 * is not on the driver goes on over the socket.
 */
static void t_offer_names_dev(void)
{
	struct kipc_listener *l;
	struct kipc_conn *c, *s;
	struct dev_arg da;
	struct kipc_opts o;
	pid_t child;
	int ret;

	/* About automatic choice: whatever transport this run is for. */
	unsetenv("KIPC_TRANSPORT");
	opts_init(&o);
	o.transport = KIPC_TRANSPORT_AUTO;
	snprintf(da.name, sizeof(da.name), "%s", new_name());
	CHECK_OK(kipc_listen(da.name, &o, &l));
	/* Does it hold the name on the driver? A client forced there says. */
	o.transport = KIPC_TRANSPORT_DEV;
	ret = kipc_connect(da.name, &o, &c);
	CHECK(ret == 0 || ret == -ENODEV || ret == -EPROTONOSUPPORT);
	da.dev = !ret;
	if (da.dev) {
		CHECK_OK(kipc_accept_timeout(l, &s, 0, T_MS));
		kipc_close(s);
		kipc_close(c);
	}
	child = spawn(offer_client, &da);
	CHECK_EQ(serve_until_exit(l, child), 0);
	child = spawn(raced_client, &da);
	if (da.dev) {
		CHECK_EQ(serve_until_exit(l, child), 0);
		/* and an automatic client lands on the driver */
		o.transport = KIPC_TRANSPORT_AUTO;
		CHECK_OK(kipc_connect(da.name, &o, &c));
		CHECK_EQ(kipc_transport(c), KIPC_TRANSPORT_DEV);
		CHECK_OK(kipc_accept_timeout(l, &s, 0, T_MS));
		kipc_close(s);
		kipc_close(c);
	} else {
		CHECK_OK(kipc_accept_timeout(l, &s, 0, T_MS));
		CHECK_EQ(kipc_transport(s), KIPC_TRANSPORT_SHM);
		kipc_close(s);
		CHECK_EQ(reap(child, T_MS), 0);
	}
	kipc_listener_close(l);
}

/* A client that has its OFFER and says so on @offered[1], then waits on
 * @go[0] before a good SETUP: its handshake stays pending meanwhile.
 */
struct held_arg {
	char name[64];
	int offered[2];
	int go[2];
};

static void held_client(void *a)
{
	struct held_arg *ha = a;
	struct kipc_wire offer, w;
	int fd, fds[4], bell[2], view[2], nfds;
	char ch;

	close(ha->offered[0]);
	close(ha->go[1]);
	CHECK_OK(kipc__shm_bells(bell, view));
	fd = raw_connect(ha->name, &offer);
	CHECK_EQ(write(ha->offered[1], "o", 1), 1);
	CHECK_EQ(read(ha->go[0], &ch, 1), 1);
	raw_setup_init(&w);
	w.features = offer.features & KIPC_LIB_FORMATS;
	fds[0] = raw_memfd(&offer, KIPC_SIDE_CLIENT, SHM_SEALS_ALL, 0);
	fds[1] = view[0];
	fds[2] = view[1];
	raw_send(fd, &w, sizeof(w), fds, 3);
	raw_recv(fd, &w, fds, &nfds);
	CHECK_EQ(w.type, KIPC_WIRE_READY);
	CHECK_EQ(nfds, 3);
	close(fd);
}

static void close_listener(void *a)
{
	kipc_listener_close(a);
}

/*
 * A child of fork() that closes the listener it inherited (a worker that
 * drops it) leaves the creator's handshakes in progress alone: it used to
 * take them out of the epoll set the two share (EPOLL_CTL_DEL), and the
 * creator never heard from those clients again.
 */
static void t_fork_listener_close(void)
{
	struct kipc_listener *l;
	struct kipc_conn *s;
	struct held_arg ha;
	struct pollfd pf;
	pid_t client;
	int i;

	l = shm_handshake_listener(ha.name, sizeof(ha.name));
	CHECK_OK(pipe(ha.offered));
	CHECK_OK(pipe(ha.go));
	client = spawn(held_client, &ha);
	close(ha.offered[1]);
	close(ha.go[0]);
	/* Accept it (the OFFER goes out) until it says it has the OFFER. */
	pf.fd = ha.offered[0];
	pf.events = POLLIN;
	for (i = 0; i < T_MS / 10; i++) {
		CHECK_EQ(kipc_accept(l, &s, KIPC_NONBLOCK), -EAGAIN);
		if (poll(&pf, 1, 10) == 1)
			break;
	}
	CHECK_EQ(poll(&pf, 1, 0), 1);
	CHECK_EQ(reap(spawn(close_listener, l), T_MS), 0);
	CHECK_EQ(write(ha.go[1], "g", 1), 1);
	CHECK_OK(kipc_accept_timeout(l, &s, 0, 5000));
	CHECK_EQ(reap(client, T_MS), 0);
	kipc_close(s);
	kipc_listener_close(l);
}

TEST_GROUP(handshake,
	{ "handshake_hostile", t_handshake_hostile, 60 },
	{ "handshake_shrink", t_handshake_shrink, 30 },
	{ "shm_hostile_server", t_shm_hostile_server, 30 },
	{ "handshake_formats", t_handshake_formats, 30 },
	{ "offer_names_dev", t_offer_names_dev, 30 },
	{ "fork_listener_close", t_fork_listener_close, 30 },
	{ "offer_then_hangup", t_offer_then_hangup, 30 },
	{ "fd_flood_not_emfile", t_fd_flood_not_emfile, 30 });
