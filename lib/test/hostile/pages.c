// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * Page roles on shm, as on dev: the peer's pages are read-only to us, and
 * every way around that fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/kipc.h>

#include "../harness.h"
#include "internal.h"
#include "wire.h"

struct attack_arg {
	char name[64];
	int go[2];		/* the server's pages are snapshotted */
};

/*
 * A hostile shm client: a handshake of its own, then every way it knows
 * to write the pages of the server's memfd. Each must fail.
 */
static void pages_attacker(void *a)
{
	struct attack_arg *aa = a;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size;
	int fd, fds[4], nfds, bell[2], view[2], memfd, rw, mem;
	struct kipc_wire offer, w;
	uint32_t v = 0xffffffffU;
	char path[64], ch;
	uint8_t *m, *priv;

	CHECK_OK(kipc__shm_bells(bell, view));
	fd = raw_connect(aa->name, &offer);
	raw_setup_init(&w);
	fds[0] = raw_memfd(&offer, KIPC_SIDE_CLIENT, SHM_SEALS_ALL, 0);
	fds[1] = view[0];
	fds[2] = view[1];
	raw_send(fd, &w, sizeof(w), fds, 3);
	close(fds[0]);
	raw_recv(fd, &w, fds, &nfds);
	CHECK_EQ(w.type, KIPC_WIRE_READY);
	CHECK_EQ(nfds, 3);
	memfd = fds[0];
	size = page + offer.ring_bytes[KIPC_RING_S2C];
	CHECK_EQ(read(aa->go[0], &ch, 1), 1);

	/* A writable shared mapping, write(), the size, holes: EPERM. */
	CHECK(mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0) ==
	      MAP_FAILED && errno == EPERM);
	CHECK(pwrite(memfd, &v, sizeof(v), 0) < 0 && errno == EPERM);
	CHECK(ftruncate(memfd, 0) < 0 && errno == EPERM);
	CHECK(ftruncate(memfd, (off_t)size * 2) < 0 && errno == EPERM);
	CHECK(fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			(off_t)page) < 0 && errno == EPERM);
	CHECK(fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EPERM);
	/* The same through a fresh open file of it. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	rw = open(path, O_RDWR | O_CLOEXEC);
	CHECK(rw >= 0);
	CHECK(mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0) ==
	      MAP_FAILED && errno == EPERM);
	CHECK(write(rw, &v, sizeof(v)) < 0 && errno == EPERM);
	close(rw);
	/* A read-only mapping cannot be upgraded, nor written by force. */
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, memfd, 0);
	CHECK(m != MAP_FAILED);
	CHECK(mprotect(m, size, PROT_READ | PROT_WRITE) < 0 && errno == EACCES);
	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	CHECK(mem >= 0);
	CHECK(pwrite(mem, &v, sizeof(v), (off_t)(uintptr_t)m) < 0);
	CHECK(pwrite(mem, &v, sizeof(v), (off_t)(uintptr_t)(m + page)) < 0);
	close(mem);
	/* A private mapping is a copy: writing it changes only the copy. */
	priv = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, memfd, 0);
	CHECK(priv != MAP_FAILED);
	memset(priv, 0xff, size);
	CHECK(m[page] != 0xff);		/* the "hello" record's length */
	munmap(priv, size);
	munmap(m, size);
	while (nfds > 0)
		close(fds[--nfds]);
	close(fd);
}

static void t_shm_pages_readonly(void)
{
	struct attack_arg aa;
	struct kipc_listener *l;
	struct kipc_conn *s;
	uint8_t *own, *snap;
	size_t len;
	pid_t child;

	l = shm_handshake_listener(aa.name, sizeof(aa.name));
	CHECK_OK(pipe(aa.go));
	child = spawn(pages_attacker, &aa);
	s = accept_one(l, T_MS);
	send_ok(s, "hello", 5);		/* something in our pages to keep */
	own = kipc__test_map(s, &len);
	snap = malloc(len);
	CHECK(snap);
	memcpy(snap, own, len);
	CHECK_EQ(write(aa.go[1], "g", 1), 1);
	CHECK_EQ(reap(child, T_MS), 0);
	CHECK(!memcmp(own, snap, len));
	recv_eos(s);
	free(snap);
	kipc_close(s);
	kipc_listener_close(l);
	close(aa.go[0]);
	close(aa.go[1]);
}

/*
 * An honest client that writes the server's pages anyway, three places:
 * the server's producer index, its consumer index, its data. Each write
 * faults (SIGSEGV), on shm as on dev; the server's pages stay as they were
 * and it sees end-of-stream.
 */
struct fault_arg {
	char name[64];
	int target;
};

static void fault_child(void *a)
{
	struct fault_arg *fa = a;
	struct rlimit nocore = { 0, 0 };
	struct kipc_conn *c = connect_retry(fa->name, NULL, T_MS);
	struct kipc_ring *rx = kipc__test_ring(c, 0), *tx = kipc__test_ring(c, 1);
	struct sigaction sa;

	setrlimit(RLIMIT_CORE, &nocore);
	recv_is(c, "hello", 5);
	/* The peer's pages: the whole mapping cannot be made writable. */
	CHECK(mprotect(c->map[0], c->map_len[0], PROT_READ | PROT_WRITE) < 0 &&
	      errno == EACCES);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;	/* not the sanitizer's: die of it */
	sigaction(SIGSEGV, &sa, NULL);
	switch (fa->target) {
	case 0:
		__atomic_store_n(&rx->prod->head, rx->pub + 8, __ATOMIC_RELEASE);
		break;
	case 1:
		__atomic_store_n(&tx->cons->tail, 0xffffffffU, __ATOMIC_RELEASE);
		break;
	default:
		__atomic_store_n((uint32_t *)rx->data, 0xffffffffU,
				 __ATOMIC_RELAXED);
		break;
	}
	_exit(0);	/* the write went through */
}

static void t_peer_pages_fault(void)
{
	struct kipc_listener *l;
	struct fault_arg fa;
	struct kipc_conn *s;
	uint8_t *own, *snap;
	size_t len;
	pid_t child;

	if (env_transport() == KIPC_TRANSPORT_UDS)
		skip("uds shares no memory");
	snprintf(fa.name, sizeof(fa.name), "%s", new_name());
	CHECK_OK(kipc_listen(fa.name, NULL, &l));
	for (fa.target = 0; fa.target < 3; fa.target++) {
		child = spawn(fault_child, &fa);
		s = accept_one(l, T_MS);
		send_ok(s, "hello", 5);
		send_ok(s, "more", 4);	/* unread: the data stays put */
		own = kipc__test_map(s, &len);
		snap = malloc(len);
		CHECK(snap);
		memcpy(snap, own, len);
		CHECK_EQ(reap(child, T_MS), 128 + SIGSEGV);
		CHECK(!memcmp(own, snap, len));	/* as we left them */
		recv_eos(s);
		free(snap);
		kipc_close(s);
	}
	kipc_listener_close(l);
}

TEST_GROUP(pages,
	{ "shm_pages_readonly", t_shm_pages_readonly, 30 },
	{ "peer_pages_fault", t_peer_pages_fault, 30 });
