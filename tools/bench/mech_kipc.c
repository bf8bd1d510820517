// SPDX-License-Identifier: GPL-2.0
/*
 * kipc itself, through libkipc's public API (include/kipc.h), one
 * mechanism per transport and API: kipc-dev (rings of the /dev/kipc
 * driver), kipc-shm (the same rings in a sealed memfd, eventfd doorbells)
 * and kipc-uds (SOCK_SEQPACKET messages) with the copying calls, and
 * kipc-dev-zc and kipc-shm-zc with the zero-copy ones, each in busy-poll,
 * blocking and (on request) spin-then-sleep mode.
 *
 *   setup     parent: the name, r->p->prefix + "-kipc", into mech_shared;
 *             no kipc call (both roles are separate kipc users, as in real
 *             use); kipc-dev checks RLIMIT_MEMLOCK against the pinned rings
 *   attach    role B: kipc_listen(name, transport) and, once role A knows
 *             it listens (bench_exchange), kipc_accept(); role A:
 *             kipc_connect(). The transport is forced (never AUTO: each
 *             row is one transport). Wait policy: poll is KIPC_WAIT_SPIN,
 *             block is KIPC_WAIT_SLEEP, adapt is libkipc's default
 *             KIPC_WAIT_SPIN_SLEEP (spin_ns from --spin-ns, else the
 *             library's default). adapt is opt-in (--modes): for round
 *             trips shorter than its spin budget it never sleeps, so it is
 *             busy-poll under another name, and only the CPU column tells
 *             them apart.
 *   data      copying (kipc-dev, kipc-shm, kipc-uds): kipc_send() of the
 *             workload's buffer, kipc_recv() into its buffer, as a new user
 *             would; two copies per message, like the payload-floor.
 *             Zero-copy (-zc, the ring transports only; uds's reserve/
 *             commit is a copy into a socket buffer): the workload writes
 *             the payload into kipc_reserve()'s buffer and kipc_commit()s
 *             it, and checks the received one in place between kipc_peek()
 *             and kipc_release(), the way Aeron's cping/cpong work in their
 *             log (issue 9's fair comparison).
 *             Round trips publish (and ring the doorbell) per message;
 *             streams send with KIPC_MORE and publish every STREAM_BATCH
 *             messages or STREAM_BATCH_BYTES bytes, the same batch as the
 *             spsc-ring floor (16 slots of 64 B), and kipc_flush() after
 *             the last one.
 *   detach    kipc_close() and kipc_listener_close()
 *   teardown  nothing: the names (abstract socket, driver listener) die
 *             with their last user.
 *
 * Rings: 256 KiB per direction (the spsc-ring floor's size) while that
 * carries the message, else the smallest power of two that does
 * (KIPC_MSG_MAX(ring) = ring / 2 - 8: 4 MiB for 1 MiB messages).
 * uds carries at most KIPC_UDS_MSG_MAX (kipc.h) bytes per message,
 * larger sizes are skipped.
 *
 * uds ignores the wait policy (the kernel does the waiting), so its
 * busy-poll row spins here: every call with KIPC_NONBLOCK, retried on
 * -EAGAIN. The ring transports do the same only when spinning must yield
 * (one CPU, or --check): libkipc's own spin never yields.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <kipc.h>
#include <linux/kipc.h>

#include "bench.h"

#define RING_MIN		BENCH_RING_BYTES
#define STREAM_BATCH		16
#define STREAM_BATCH_BYTES	(16 * BENCH_CACHELINE)
#define CONNECT_TIMEOUT_MS	10000
#define ACCEPT_SLICE_MS		100
#define ACCEPT_TIMEOUT_NS	(10ull * 1000 * 1000 * 1000)

struct kipc_priv {
	char name[KIPC_NAME_MAX];
	/* role-local */
	int transport;
	struct kipc_listener *l;
	struct kipc_conn *c;
	unsigned int flags;		/* KIPC_NONBLOCK when we spin, not libkipc */
	bool spin;
	bool stream;
	unsigned int batch_msgs;	/* committed, not yet published */
	size_t batch_bytes;
};

static uint32_t ring_bytes_for(uint64_t size)
{
	uint32_t ring = RING_MIN;

	while (KIPC_MSG_MAX(ring) < size && ring < (1u << 30))
		ring <<= 1;
	return ring;
}

/* ------------------------------------------------------------------ */
/* Availability                                                        */

static const char *kipc_dev_available(void)
{
	if (access("/dev/" KIPC_DEVICE_NAME, F_OK))
		return "driver not loaded (no /dev/kipc: make module, insmod build/kmod/KVER/kipc.ko, "
		       "or run it in the VM: tools/vm/run.sh)";
	return NULL;
}

static const char *kipc_shm_available(void)
{
	int m = memfd_create("kipc-bench-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int e = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	const char *why = NULL;

	if (m < 0)
		why = "memfd_create() does not work here (kipc's shm transport needs it)";
	else if (e < 0)
		why = "eventfd() does not work here (kipc's shm transport needs it)";
	if (m >= 0)
		close(m);
	if (e >= 0)
		close(e);
	return why;
}

static const char *kipc_uds_size_unsupported(uint64_t size, char *why, size_t len)
{
	if (size <= KIPC_UDS_MSG_MAX)
		return NULL;
	snprintf(why, len, "kipc's uds transport carries at most 256 KiB per message");
	return why;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

static bool have_cap_ipc_lock(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	bool found = false;

	if (!f)
		return geteuid() == 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return found ? (eff >> 14) & 1 : geteuid() == 0;	/* CAP_IPC_LOCK is 14 */
}

/* "dev", "shm" or "uds": the three letters after "kipc-" */
static bool is_transport(const struct bench_mech *m, const char *t)
{
	return !strncmp(m->name + strlen("kipc-"), t, 3);
}

static int kipc_setup(struct bench_run *r)
{
	struct kipc_priv *k = r->priv;

	if (snprintf(k->name, sizeof(k->name), "%s-kipc", r->p->prefix) >=
	    (int)sizeof(k->name))
		return bench_fail(r, "name %s-kipc is too long for kipc", r->p->prefix);
	/* The driver pins both rings and charges them to RLIMIT_MEMLOCK. */
	if (is_transport(r->mech, "dev") && !have_cap_ipc_lock()) {
		uint64_t need = 2ull * ring_bytes_for(r->p->size) + 4 * 4096;
		struct rlimit rl;

		if (!getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < need) {
			bench_fail(r, "RLIMIT_MEMLOCK is %llu KiB, the driver pins %llu KiB of rings "
				   "(raise ulimit -l, or run as root)",
				   (unsigned long long)rl.rlim_cur >> 10,
				   (unsigned long long)need >> 10);
			return 1;
		}
	}
	snprintf(r->ctl->mech_shared, sizeof(r->ctl->mech_shared), "%s", k->name);
	return 0;
}

static int kipc_err(struct bench_run *r, const char *call, long ret)
{
	const char *hint = "";

	if (ret == -ENOMEM && is_transport(r->mech, "dev"))
		hint = " (the driver's rings count against RLIMIT_MEMLOCK)";
	return bench_fail(r, "%s: %s (%ld)%s", call, kipc_strerror((int)ret), ret, hint);
}

static int kipc_attach(struct bench_run *r)
{
	struct kipc_priv *k = r->priv;
	struct kipc_opts o = KIPC_OPTS_INIT;
	struct bench_role_state *peer = &r->ctl->role[r->role ^ 1];
	uint64_t deadline;
	int ready = 0, ret;
	ssize_t max;

	if (strnlen(r->ctl->mech_shared, sizeof(k->name)) >= sizeof(k->name))
		return bench_fail(r, "kipc name too long");
	strcpy(k->name, r->ctl->mech_shared);
	k->transport = is_transport(r->mech, "dev") ? KIPC_TRANSPORT_DEV :
		       is_transport(r->mech, "shm") ? KIPC_TRANSPORT_SHM : KIPC_TRANSPORT_UDS;
	/* uds ignores the wait policy (the kernel waits): its busy-poll is ours */
	k->spin = r->p->mode == BENCH_MODE_POLL &&
		  (r->p->spin_yield || k->transport == KIPC_TRANSPORT_UDS);
	k->flags = k->spin ? KIPC_NONBLOCK : 0;
	k->stream = r->p->workload == BENCH_STREAM;
	o.transport = (unsigned int)k->transport;
	o.ring_bytes = ring_bytes_for(r->p->size);
	o.wait_policy = r->p->mode == BENCH_MODE_POLL ? KIPC_WAIT_SPIN :
			r->p->mode == BENCH_MODE_BLOCK ? KIPC_WAIT_SLEEP : KIPC_WAIT_SPIN_SLEEP;
	o.spin_ns = r->p->spin_ns;

	if (r->role == BENCH_ROLE_B) {
		ret = kipc_listen(k->name, &o, &k->l);
		if (ret)
			return kipc_err(r, "kipc_listen", ret);
		/* Role A connects only now: no retry loop, no race. */
		if (bench_exchange(r, &ready, sizeof(ready), &ready, sizeof(ready)))
			return -1;
		deadline = bench_mono_ns() + ACCEPT_TIMEOUT_NS;
		for (;;) {
			ret = kipc_accept_timeout(k->l, &k->c, 0, ACCEPT_SLICE_MS);
			if (ret != -ETIMEDOUT && ret != -EINTR)
				break;
			if (atomic_load_explicit(&peer->done, memory_order_acquire))
				return bench_fail(r, "peer role ended before connecting");
			if (bench_mono_ns() > deadline)
				return bench_fail(r, "kipc_accept: no connection in 10 s");
		}
		if (ret)
			return kipc_err(r, "kipc_accept", ret);
	} else {
		if (bench_exchange(r, &ready, sizeof(ready), &ready, sizeof(ready)))
			return -1;
		o.timeout_ms = CONNECT_TIMEOUT_MS;
		ret = kipc_connect(k->name, &o, &k->c);
		if (ret)
			return kipc_err(r, "kipc_connect", ret);
	}
	if (kipc_transport(k->c) != k->transport)
		return bench_fail(r, "connected over %s, asked for %s",
				  kipc_transport_name(kipc_transport(k->c)),
				  kipc_transport_name(k->transport));
	max = kipc_msg_max(k->c);
	if (max < 0 || (uint64_t)max < r->p->size)
		return bench_fail(r, "kipc_msg_max() is %zd, below the %llu-byte message",
				  max, (unsigned long long)r->p->size);
	return 0;
}

static void kipc_detach(struct bench_run *r)
{
	struct kipc_priv *k = r->priv;

	kipc_close(k->c);
	k->c = NULL;
	kipc_listener_close(k->l);
	k->l = NULL;
}

/* ------------------------------------------------------------------ */
/* Data                                                                */

static void *kipc_send_loan(struct bench_run *r, size_t len)
{
	struct kipc_priv *k = r->priv;
	void *buf;
	int ret;

	while ((ret = kipc_reserve(k->c, len, &buf, k->flags)) == -EAGAIN && k->spin)
		bench_spin(r);
	if (ret) {
		kipc_err(r, "kipc_reserve", ret);
		return NULL;
	}
	return buf;
}

/* KIPC_MORE while a stream's batch is open; 0 publishes (and ends the batch). */
static unsigned int batch_flags(struct kipc_priv *k, size_t len)
{
	if (!k->stream)
		return 0;
	k->batch_bytes += len;
	if (++k->batch_msgs < STREAM_BATCH && k->batch_bytes < STREAM_BATCH_BYTES)
		return KIPC_MORE;
	k->batch_msgs = 0;
	k->batch_bytes = 0;
	return 0;
}

static int kipc_send_commit(struct bench_run *r, void *buf, size_t len)
{
	struct kipc_priv *k = r->priv;
	unsigned int flags = batch_flags(k, len);
	int ret;

	(void)buf;
	/* uds sends in commit: with KIPC_NONBLOCK a full socket keeps the reservation */
	while ((ret = kipc_commit(k->c, len, flags | k->flags)) == -EAGAIN && k->spin)
		bench_spin(r);
	return ret ? kipc_err(r, "kipc_commit", ret) : 0;
}

static int kipc_flush_hook(struct bench_run *r)
{
	struct kipc_priv *k = r->priv;
	int ret = kipc_flush(k->c, 0);

	k->batch_msgs = 0;
	k->batch_bytes = 0;
	return ret < 0 ? kipc_err(r, "kipc_flush", ret) : 0;
}

static const void *kipc_recv_loan(struct bench_run *r, size_t len)
{
	struct kipc_priv *k = r->priv;
	const void *buf;
	ssize_t n;

	while ((n = kipc_peek(k->c, &buf, k->flags)) == -EAGAIN && k->spin)
		bench_spin(r);
	if (n == 0) {
		bench_fail(r, "kipc_peek: end of stream, the peer closed");
		return NULL;
	}
	if (n < 0) {
		kipc_err(r, "kipc_peek", n);
		return NULL;
	}
	if ((size_t)n != len) {
		bench_fail(r, "kipc_peek: a %zd-byte message, expected %zu", n, len);
		return NULL;
	}
	return buf;
}

static int kipc_recv_release(struct bench_run *r, const void *buf)
{
	struct kipc_priv *k = r->priv;
	int ret = kipc_release(k->c);

	(void)buf;
	return ret ? kipc_err(r, "kipc_release", ret) : 0;
}

/* The copying calls: what a user who does not hold buffers calls. */
static int kipc_send_copy(struct bench_run *r, const void *buf, size_t len)
{
	struct kipc_priv *k = r->priv;
	unsigned int flags = batch_flags(k, len);
	ssize_t n;

	while ((n = kipc_send(k->c, buf, len, flags | k->flags)) == -EAGAIN && k->spin)
		bench_spin(r);
	if (n < 0)
		return kipc_err(r, "kipc_send", n);
	if ((size_t)n != len)
		return bench_fail(r, "kipc_send: sent %zd of %zu bytes", n, len);
	return 0;
}

static int kipc_recv_copy(struct bench_run *r, void *buf, size_t len)
{
	struct kipc_priv *k = r->priv;
	ssize_t n;

	while ((n = kipc_recv(k->c, buf, len, k->flags)) == -EAGAIN && k->spin)
		bench_spin(r);
	if (n == 0)
		return bench_fail(r, "kipc_recv: end of stream, the peer closed");
	if (n < 0)
		return kipc_err(r, "kipc_recv", n);
	if ((size_t)n != len)
		return bench_fail(r, "kipc_recv: a %zd-byte message, expected %zu", n, len);
	return 0;
}

#define KIPC_MECH_COMMON(transport, avail, unsupported)				\
		.group = "kipc",						\
		.modes = BENCH_MODE_POLL | BENCH_MODE_BLOCK | BENCH_MODE_ADAPT,	\
		.default_modes = BENCH_MODE_POLL | BENCH_MODE_BLOCK,		\
		.workloads = BENCH_LATENCY | BENCH_STREAM,			\
		.priv_size = sizeof(struct kipc_priv),				\
		.available = avail,						\
		.size_unsupported = unsupported,				\
		.setup = kipc_setup,						\
		.attach = kipc_attach,						\
		.detach = kipc_detach,						\
		.flush = kipc_flush_hook

#define KIPC_MECH(var, transport, what, avail, unsupported)			\
	const struct bench_mech var = {						\
		.name = "kipc-" transport,					\
		.summary = "kipc over the " what " transport (kipc_send/kipc_recv)", \
		KIPC_MECH_COMMON(transport, avail, unsupported),		\
		.send = kipc_send_copy,						\
		.recv = kipc_recv_copy,						\
	}

#define KIPC_MECH_ZC(var, transport, what, avail)				\
	const struct bench_mech var = {						\
		.name = "kipc-" transport "-zc",				\
		.summary = "kipc over the " what " transport, zero-copy "	\
			   "(reserve/commit, peek/release)",			\
		KIPC_MECH_COMMON(transport, avail, NULL),			\
		.send_loan = kipc_send_loan,					\
		.send_commit = kipc_send_commit,				\
		.recv_loan = kipc_recv_loan,					\
		.recv_release = kipc_recv_release,				\
	}

KIPC_MECH(bench_mech_kipc_dev, "dev", "/dev/kipc driver", kipc_dev_available, NULL);
KIPC_MECH(bench_mech_kipc_shm, "shm", "shared-memory fallback", kipc_shm_available, NULL);
KIPC_MECH(bench_mech_kipc_uds, "uds", "Unix-socket fallback", NULL, kipc_uds_size_unsupported);
KIPC_MECH_ZC(bench_mech_kipc_dev_zc, "dev", "/dev/kipc driver", kipc_dev_available);
KIPC_MECH_ZC(bench_mech_kipc_shm_zc, "shm", "shared-memory fallback", kipc_shm_available);
