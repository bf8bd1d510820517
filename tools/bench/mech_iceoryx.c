// SPDX-License-Identifier: GPL-2.0
/*
 * Eclipse iceoryx through its C binding: true zero-copy, so the workload
 * writes into a loaned chunk and checks the received chunk in place. The
 * bench starts iox-roudi with its own config (mempools sized for the
 * messages) and stops it after. RouDi's names are fixed (/tmp/roudi,
 * /dev/shm/iceoryx_mgmt, ...), so if another RouDi is running this peer is
 * skipped rather than share it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"

#define ROUDI_BIN	"/usr/bin/iox-roudi"
#define ROUDI_SOCKET	"/tmp/roudi"

#ifdef BENCH_HAVE_ICEORYX
#include <iceoryx_binding_c/chunk.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/wait_set.h>

#define START_TIMEOUT_NS	(10ull * 1000 * 1000 * 1000)
#define CONNECT_TIMEOUT_NS	(10ull * 1000 * 1000 * 1000)
#define CHUNK_HEADROOM		128	/* chunk header and alignment */

/* Message sizes up to each of these share a mempool. */
static const struct {
	uint64_t payload;
	unsigned int count;
} pools[] = {
	{ 64, 1024 }, { 1024, 512 }, { 4096, 512 }, { 65536, 128 }, { 1u << 20, 40 },
};

/* What RouDi leaves behind if it dies without cleaning up. */
static const char *const roudi_files[] = {
	ROUDI_SOCKET, "/tmp/roudi.lock", "/tmp/iox-unique-roudi.lock", "/dev/shm/iceoryx_mgmt",
};

struct iox_env {
	pid_t pid;
	char log[300];
	char user_shm[300];
};

struct iox_priv {
	/* role-local */
	iox_pub_storage_t pub_storage;
	iox_sub_storage_t sub_storage;
	iox_ws_storage_t ws_storage;
	iox_pub_t pub;
	iox_sub_t sub;
	iox_ws_t ws;
	bool runtime;
};

static const char *iox_available(void)
{
	return access(ROUDI_BIN, X_OK) ? "no iox-roudi: apt-get install iceoryx" : NULL;
}

static bool roudi_listening(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ROUDI_SOCKET);
	up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return up;
}

static int write_config(struct bench_mech_env *env, const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned int i;

	if (!f)
		return bench_errf(env->error, "%s: %s", path, strerror(errno));
	fprintf(f, "[general]\nversion = 1\n\n[[segment]]\n");
	for (i = 0; i < sizeof(pools) / sizeof(pools[0]); i++)
		fprintf(f, "\n[[segment.mempool]]\nsize = %llu\ncount = %u\n",
			(unsigned long long)(pools[i].payload + CHUNK_HEADROOM), pools[i].count);
	if (fclose(f))
		return bench_errf(env->error, "%s: %s", path, strerror(errno));
	return 0;
}

static bool log_says_ready(const char *log)
{
	char line[512];
	bool ready = false;
	FILE *f = fopen(log, "r");

	if (!f)
		return false;
	while (!ready && fgets(line, sizeof(line), f))
		ready = strstr(line, "RouDi is ready for clients") != NULL;
	fclose(f);
	return ready;
}

static void remove_leftovers(struct iox_env *e)
{
	unsigned int i;

	for (i = 0; i < sizeof(roudi_files) / sizeof(roudi_files[0]); i++)
		unlink(roudi_files[i]);
	if (e->user_shm[0])
		unlink(e->user_shm);
}

static void iox_stop(struct bench_mech_env *env)
{
	struct iox_env *e = env->state;

	if (!e)
		return;
	if (e->pid > 0) {
		bench_daemon_stop(e->pid, 5.0);
		/* RouDi removes its files on SIGTERM; after a SIGKILL we do */
		remove_leftovers(e);
	}
	free(e);
	env->state = NULL;
}

static int iox_start(struct bench_mech_env *env)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	/*
	 * Monitoring off: a busy-polling role pinned next to its own keep-alive
	 * thread on a loaded machine can miss heartbeats, and RouDi would then
	 * tear its ports down mid-run. Runtimes have unique names, and RouDi
	 * goes away after the mechanism anyway.
	 */
	char conf[300], *argv[] = { "iox-roudi", "-c", conf, "-l", "info", "-m", "off", NULL };
	const char *user = getenv("USER");
	struct iox_env *e;
	uint64_t deadline;

	if (roudi_listening() || !access("/dev/shm/iceoryx_mgmt", F_OK)) {
		bench_errf(env->error,
			   "another iox-roudi is running (or its files are left in /tmp, /dev/shm)");
		return 1;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return bench_errf(env->error, "out of memory");
	env->state = e;
	/* RouDi's user segment is named after the user */
	if (!user || !user[0])
		user = getuid() == 0 ? "root" : NULL;
	if (user)
		snprintf(e->user_shm, sizeof(e->user_shm), "/dev/shm/%s", user);
	if (e->user_shm[0] && !access(e->user_shm, F_OK))
		e->user_shm[0] = 0;	/* not ours: leave it alone */
	snprintf(conf, sizeof(conf), "%s/roudi.toml", env->tmpdir);
	snprintf(e->log, sizeof(e->log), "%s/roudi.log", env->tmpdir);
	if (write_config(env, conf))
		return -1;
	if (bench_daemon_spawn(argv, e->log, -1, &e->pid, env->error))
		return -1;
	deadline = bench_mono_ns() + START_TIMEOUT_NS;
	while (!log_says_ready(e->log)) {
		if (bench_mono_ns() > deadline || kill(e->pid, 0))
			return bench_errf(env->error, "iox-roudi did not start (see its log)");
		nanosleep(&tick, NULL);
	}
	return 0;
}

static int wait_connected(struct bench_run *r, struct iox_priv *x)
{
	struct timespec tick = { 0, 1000 * 1000 };
	uint64_t deadline = bench_mono_ns() + CONNECT_TIMEOUT_NS;

	while (!iox_pub_has_subscribers(x->pub) ||
	       iox_sub_get_subscription_state(x->sub) != SubscribeState_SUBSCRIBED) {
		if (bench_mono_ns() > deadline)
			return bench_fail(r, "publisher and subscriber did not connect");
		nanosleep(&tick, NULL);
	}
	return 0;
}

static uint64_t queue_capacity(uint64_t size)
{
	unsigned int i;

	for (i = 0; i < sizeof(pools) / sizeof(pools[0]); i++)
		if (size <= pools[i].payload)
			return pools[i].count / 4 < 256 ? pools[i].count / 4 : 256;
	return 8;
}

static const char *iox_size_unsupported(uint64_t size, char *why, size_t len)
{
	if (size <= pools[sizeof(pools) / sizeof(pools[0]) - 1].payload)
		return NULL;
	snprintf(why, len, "larger than the biggest mempool configured");
	return why;
}

/* The run's prefix names the runtime's socket and lock in /tmp. */
static void runtime_name(struct bench_run *r, int role, char *buf, size_t len)
{
	snprintf(buf, len, "%.80s-%c", r->p->prefix, role == BENCH_ROLE_A ? 'a' : 'b');
}

/* A role that was killed leaves its runtime's files behind. */
static void iox_teardown(struct bench_run *r)
{
	char name[100], path[160];
	int role;

	for (role = 0; role < 2; role++) {
		runtime_name(r, role, name, sizeof(name));
		snprintf(path, sizeof(path), "/tmp/%s", name);
		unlink(path);
		snprintf(path, sizeof(path), "/tmp/%s.lock", name);
		unlink(path);
	}
}

static int iox_attach(struct bench_run *r)
{
	struct iox_priv *x = r->priv;
	const char *out = r->role == BENCH_ROLE_A ? "ab" : "ba";
	const char *in = r->role == BENCH_ROLE_A ? "ba" : "ab";
	iox_pub_options_t po;
	iox_sub_options_t so;
	char name[100];

	runtime_name(r, r->role, name, sizeof(name));
	iox_set_loglevel(Iceoryx_LogLevel_Warn);
	iox_runtime_init(name);
	x->runtime = true;

	iox_pub_options_init(&po);
	po.historyCapacity = 0;
	po.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
	x->pub = iox_pub_init(&x->pub_storage, "kipc-bench", r->p->prefix, out, &po);

	iox_sub_options_init(&so);
	so.queueCapacity = queue_capacity(r->p->size);
	so.historyRequest = 0;
	so.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
	x->sub = iox_sub_init(&x->sub_storage, "kipc-bench", r->p->prefix, in, &so);
	if (!x->pub || !x->sub)
		return bench_fail(r, "iceoryx publisher/subscriber creation failed");

	if (r->p->mode == BENCH_MODE_BLOCK) {
		x->ws = iox_ws_init(&x->ws_storage);
		if (iox_ws_attach_subscriber_state(x->ws, x->sub, SubscriberState_HAS_DATA, 0,
						   NULL) != WaitSetResult_SUCCESS)
			return bench_fail(r, "iceoryx waitset attach failed");
	}
	return wait_connected(r, x);
}

static void iox_detach(struct bench_run *r)
{
	struct iox_priv *x = r->priv;

	if (x->ws) {
		iox_ws_detach_subscriber_state(x->ws, x->sub, SubscriberState_HAS_DATA);
		iox_ws_deinit(x->ws);
	}
	if (x->sub)
		iox_sub_deinit(x->sub);
	if (x->pub)
		iox_pub_deinit(x->pub);
	if (x->runtime)
		iox_runtime_shutdown();
}

static void *iox_send_loan(struct bench_run *r, size_t len)
{
	struct iox_priv *x = r->priv;
	enum iox_AllocationResult res;
	void *p;

	/* the pool is finite: wait for the subscriber to release chunks */
	while ((res = iox_pub_loan_chunk(x->pub, &p, (uint32_t)len)) != AllocationResult_SUCCESS) {
		if (res != AllocationResult_RUNNING_OUT_OF_CHUNKS) {
			bench_fail(r, "iox_pub_loan_chunk: error %d", (int)res);
			return NULL;
		}
		bench_cpu_relax();
		sched_yield();
	}
	return p;
}

static int iox_send_commit(struct bench_run *r, void *buf, size_t len)
{
	(void)len;
	iox_pub_publish_chunk(((struct iox_priv *)r->priv)->pub, buf);
	return 0;
}

static const void *iox_recv_loan(struct bench_run *r, size_t len)
{
	struct iox_priv *x = r->priv;
	iox_notification_info_t info;
	enum iox_ChunkReceiveResult res;
	uint64_t missed;
	const void *p;

	(void)len;
	while ((res = iox_sub_take_chunk(x->sub, &p)) != ChunkReceiveResult_SUCCESS) {
		if (res != ChunkReceiveResult_NO_CHUNK_AVAILABLE) {
			bench_fail(r, "iox_sub_take_chunk: error %d", (int)res);
			return NULL;
		}
		if (x->ws)
			iox_ws_wait(x->ws, &info, 1, &missed);
		else
			bench_spin(r);
	}
	return p;
}

static int iox_recv_release(struct bench_run *r, const void *buf)
{
	iox_sub_release_chunk(((struct iox_priv *)r->priv)->sub, buf);
	return 0;
}

const struct bench_mech bench_mech_iceoryx = {
	.name = "iceoryx",
	.group = "middleware",
	.summary = "Eclipse iceoryx zero-copy publish/subscribe (C binding), private RouDi",
	.modes = BENCH_MODE_POLL | BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct iox_priv),
	.available = iox_available,
	.size_unsupported = iox_size_unsupported,
	.start = iox_start,
	.stop = iox_stop,
	.teardown = iox_teardown,
	.attach = iox_attach,
	.detach = iox_detach,
	.send_loan = iox_send_loan,
	.send_commit = iox_send_commit,
	.recv_loan = iox_recv_loan,
	.recv_release = iox_recv_release,
};
#else
static const char *iox_missing(void)
{
	return "built without iceoryx: apt-get install iceoryx libiceoryx-binding-c-dev, "
	       "then rebuild";
}

const struct bench_mech bench_mech_iceoryx = {
	.name = "iceoryx",
	.group = "middleware",
	.summary = "Eclipse iceoryx zero-copy publish/subscribe (C binding), private RouDi",
	.modes = BENCH_MODE_POLL | BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.available = iox_missing,
};
#endif
