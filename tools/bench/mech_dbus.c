// SPDX-License-Identifier: GPL-2.0
/*
 * D-Bus through libdbus and a private dbus-daemon the bench starts (its
 * socket and config in the private temporary directory) and stops. Each
 * message is a no-reply method call carrying a byte array to the peer's
 * unique name, routed by the daemon as on any bus. Streams use a credit
 * window (the receiver acknowledges every quarter window) so the daemon
 * never queues more than a few MiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define DBUS_INSTALL "apt-get install libdbus-1-dev dbus-daemon, then rebuild"

#ifdef BENCH_HAVE_DBUS
#include <dbus/dbus.h>

#define BUS_PATH	"/org/kipc/Bench"
#define BUS_IFACE	"org.kipc.Bench"
#define WINDOW_BYTES	(8u << 20)
#define START_TIMEOUT_MS 5000

struct dbus_env {
	pid_t pid;
	char address[300];
};

struct dbus_priv {
	/* role-local */
	DBusConnection *conn;
	char peer[256];
	uint64_t window, sent, acked, received;
};

static bool have_daemon(void)
{
	return !access("/usr/bin/dbus-daemon", X_OK) || !access("/bin/dbus-daemon", X_OK);
}

static const char *dbus_available(void)
{
	return have_daemon() ? NULL : "no dbus-daemon: apt-get install dbus-daemon";
}

static int write_config(struct bench_mech_env *env, const char *conf)
{
	FILE *f = fopen(conf, "w");

	if (!f)
		return bench_errf(env->error, "%s: %s", conf, strerror(errno));
	fprintf(f,
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
		" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig>\n"
		"  <type>session</type>\n"
		"  <listen>unix:path=%s/dbus.sock</listen>\n"
		"  <auth>EXTERNAL</auth>\n"
		"  <policy context=\"default\">\n"
		"    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
		"    <allow eavesdrop=\"true\"/>\n"
		"    <allow own=\"*\"/>\n"
		"  </policy>\n"
		"  <limit name=\"max_message_size\">16777216</limit>\n"
		"  <limit name=\"max_incoming_bytes\">268435456</limit>\n"
		"  <limit name=\"max_outgoing_bytes\">268435456</limit>\n"
		"</busconfig>\n", env->tmpdir);
	if (fclose(f))
		return bench_errf(env->error, "%s: %s", conf, strerror(errno));
	return 0;
}

/* The daemon prints its address on a pipe once it listens. */
static int read_address(struct bench_mech_env *env, int fd, char *addr, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	ssize_t got;

	while (n + 1 < len) {
		if (poll(&pfd, 1, START_TIMEOUT_MS) <= 0)
			return bench_errf(env->error, "dbus-daemon did not print its address");
		got = read(fd, addr + n, len - 1 - n);
		if (got <= 0)
			break;
		n += (size_t)got;
		if (memchr(addr, '\n', n))
			break;
	}
	addr[n] = 0;
	addr[strcspn(addr, "\n")] = 0;
	if (!addr[0])
		return bench_errf(env->error, "dbus-daemon exited without an address");
	return 0;
}

static int dbus_start(struct bench_mech_env *env)
{
	char conf[300], log[300], conf_arg[320], fd_arg[48];
	char *argv[] = { "dbus-daemon", conf_arg, "--nofork", "--nopidfile", fd_arg, NULL };
	struct dbus_env *d;
	int p[2];

	d = calloc(1, sizeof(*d));
	if (!d)
		return bench_errf(env->error, "out of memory");
	env->state = d;
	snprintf(conf, sizeof(conf), "%s/dbus.conf", env->tmpdir);
	snprintf(log, sizeof(log), "%s/dbus.log", env->tmpdir);
	if (write_config(env, conf))
		return -1;
	if (pipe2(p, O_CLOEXEC))
		return bench_errf(env->error, "pipe: %s", strerror(errno));
	snprintf(conf_arg, sizeof(conf_arg), "--config-file=%s", conf);
	snprintf(fd_arg, sizeof(fd_arg), "--print-address=%d", p[1]);
	if (bench_daemon_spawn(argv, log, p[1], &d->pid, env->error)) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	if (read_address(env, p[0], d->address, sizeof(d->address))) {
		close(p[0]);
		bench_daemon_stop(d->pid, 1.0);
		d->pid = 0;
		return -1;
	}
	close(p[0]);
	return 0;
}

static void dbus_stop(struct bench_mech_env *env)
{
	struct dbus_env *d = env->state;

	if (!d)
		return;
	if (d->pid > 0)
		bench_daemon_stop(d->pid, 2.0);
	free(d);
	env->state = NULL;
}

static int fail_dbus(struct bench_run *r, const char *what, DBusError *err)
{
	bench_fail(r, "%s: %s", what, dbus_error_is_set(err) ? err->message : "failed");
	dbus_error_free(err);
	return -1;
}

static int dbus_attach(struct bench_run *r)
{
	struct dbus_priv *d = r->priv;
	struct dbus_env *env = r->env;
	const char *name;
	DBusError err;

	dbus_error_init(&err);
	d->conn = dbus_connection_open_private(env->address, &err);
	if (!d->conn)
		return fail_dbus(r, "connect to the private bus", &err);
	if (!dbus_bus_register(d->conn, &err))
		return fail_dbus(r, "Hello", &err);
	name = dbus_bus_get_unique_name(d->conn);
	if (bench_exchange(r, name, strlen(name) + 1, d->peer, sizeof(d->peer)))
		return -1;
	d->window = WINDOW_BYTES / r->p->size;
	if (d->window < 4)
		d->window = 4;
	if (d->window > 256)
		d->window = 256;
	return 0;
}

static void dbus_detach(struct bench_run *r)
{
	struct dbus_priv *d = r->priv;

	if (d->conn) {
		dbus_connection_close(d->conn);
		dbus_connection_unref(d->conn);
	}
	d->conn = NULL;
}

static int send_call(struct bench_run *r, const char *member, const void *buf, size_t len)
{
	struct dbus_priv *d = r->priv;
	const unsigned char *bytes = buf;
	DBusMessage *msg;
	dbus_bool_t ok;

	msg = dbus_message_new_method_call(d->peer, BUS_PATH, BUS_IFACE, member);
	if (!msg)
		return bench_fail(r, "dbus_message_new_method_call: out of memory");
	dbus_message_set_no_reply(msg, TRUE);
	ok = dbus_message_append_args(msg, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &bytes, (int)len,
				      DBUS_TYPE_INVALID) &&
	     dbus_connection_send(d->conn, msg, NULL);
	dbus_message_unref(msg);
	if (!ok)
		return bench_fail(r, "dbus_connection_send: out of memory");
	dbus_connection_flush(d->conn);
	return 0;
}

/* The next call to us: its payload copied to buf (if len) and its member returned. */
static int next_call(struct bench_run *r, void *buf, size_t len, bool *is_ack)
{
	struct dbus_priv *d = r->priv;
	DBusMessageIter iter, sub;
	const unsigned char *bytes;
	DBusMessage *msg;
	int n, ret = 0;

	for (;;) {
		while (!(msg = dbus_connection_pop_message(d->conn)))
			if (!dbus_connection_read_write(d->conn, -1))
				return bench_fail(r, "disconnected from the bus");
		if (dbus_message_get_type(msg) == DBUS_MESSAGE_TYPE_METHOD_CALL &&
		    dbus_message_has_interface(msg, BUS_IFACE))
			break;
		dbus_message_unref(msg);	/* NameAcquired and the like */
	}
	*is_ack = dbus_message_has_member(msg, "Ack");
	if (!dbus_message_iter_init(msg, &iter) ||
	    dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_ARRAY ||
	    dbus_message_iter_get_element_type(&iter) != DBUS_TYPE_BYTE) {
		ret = bench_fail(r, "message without a byte array");
		goto out;
	}
	dbus_message_iter_recurse(&iter, &sub);
	dbus_message_iter_get_fixed_array(&sub, &bytes, &n);
	if (*is_ack) {
		if (n == sizeof(d->acked))
			memcpy(&d->acked, bytes, sizeof(d->acked));
	} else if ((size_t)n != len) {
		ret = bench_fail(r, "received %d bytes, expected %zu", n, len);
	} else {
		memcpy(buf, bytes, len);
	}
out:
	dbus_message_unref(msg);
	return ret;
}

static int dbus_bench_send(struct bench_run *r, const void *buf, size_t len)
{
	struct dbus_priv *d = r->priv;
	bool is_ack;

	if (send_call(r, "Msg", buf, len))
		return -1;
	if (r->p->workload != BENCH_STREAM)
		return 0;
	d->sent++;
	while (d->sent - d->acked >= d->window) {
		if (next_call(r, NULL, 0, &is_ack))
			return -1;
		if (!is_ack)
			return bench_fail(r, "a data message came back to the sender");
	}
	return 0;
}

static int dbus_bench_recv(struct bench_run *r, void *buf, size_t len)
{
	struct dbus_priv *d = r->priv;
	bool is_ack;

	do {
		if (next_call(r, buf, len, &is_ack))
			return -1;
	} while (is_ack);
	if (r->p->workload == BENCH_STREAM && ++d->received % (d->window / 4) == 0)
		return send_call(r, "Ack", &d->received, sizeof(d->received));
	return 0;
}

const struct bench_mech bench_mech_dbus = {
	.name = "dbus",
	.group = "bus",
	.summary = "D-Bus method calls via libdbus through a private dbus-daemon",
	.modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.priv_size = sizeof(struct dbus_priv),
	.available = dbus_available,
	.start = dbus_start,
	.stop = dbus_stop,
	.attach = dbus_attach,
	.detach = dbus_detach,
	.send = dbus_bench_send,
	.recv = dbus_bench_recv,
};
#else
static const char *dbus_missing(void)
{
	return "built without libdbus: " DBUS_INSTALL;
}

const struct bench_mech bench_mech_dbus = {
	.name = "dbus",
	.group = "bus",
	.summary = "D-Bus method calls via libdbus through a private dbus-daemon",
	.modes = BENCH_MODE_BLOCK,
	.workloads = BENCH_LATENCY | BENCH_STREAM,
	.available = dbus_missing,
};
#endif
