// SPDX-License-Identifier: GPL-2.0
/*
 * kipc recv NAME: listen on NAME, accept a connection (or one after another
 * with --keep) and write each message's payload to standard output.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "stream.h"

#define CMD "recv"

void kipc_usage_recv(FILE *out)
{
	fprintf(out,
"Usage: kipc recv NAME [OPTIONS]\n"
"Listen on NAME, accept one connection and write the payload of each\n"
"message to standard output until the sender ends the stream.\n"
"\n"
"  -t, --transport T  dev, shm, uds or auto (default auto: $KIPC_TRANSPORT,\n"
"                     else every transport this system has)\n"
"  -k, --keep         serve connections one after another, until killed\n"
"  -n, --count N      with --keep: stop after N connections\n"
"  -m, --mode MODE    who may connect, octal permission bits (default 0600)\n"
"  -r, --ring SIZE    bytes per ring, a power of two (default: the\n"
"                     transport's, 64k); the largest message is SIZE/2 - 8\n"
"  -T, --timeout SECS give up when no sender connects within SECS\n"
"      --raw          the sender may be another program: the end of the\n"
"                     connection ends the stream (a sender that dies then\n"
"                     looks like one that finished)\n"
"  -v, --verbose      a summary line per connection on stderr\n"
"  -q, --quiet        no progress line (shown only when stderr is a terminal\n"
"                     and stdout is not)\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 when every stream ended as its sender meant it to; a sender\n"
"that dies mid-stream gives 5 and says how many bytes had arrived; see kipc(1).\n");
}

struct recv_opts {
	const char *name;
	unsigned int transport;
	uint32_t mode;
	uint64_t ring;
	unsigned long count;
	double timeout_s;
	bool keep, raw, verbose, quiet, timeout_given;
};

struct recv_conn {
	const struct recv_opts *o;
	struct kipc_conn *conn;
	unsigned long index;		/* 1, 2, ... with --keep */
	uint64_t bytes, messages;
	uint8_t nonce[KIPC_STREAM_NONCE];
	struct cli_progress progress;
};

static int parse(int argc, char **argv, struct recv_opts *o)
{
	static const struct option longopts[] = {
		{ "transport", required_argument, NULL, 't' },
		{ "keep", no_argument, NULL, 'k' },
		{ "count", required_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'm' },
		{ "ring", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "raw", no_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long count;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "t:kn:m:r:T:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (cli_parse_transport(CMD, optarg, &o->transport))
				return -1;
			break;
		case 'k':
			o->keep = true;
			break;
		case 'n':
			errno = 0;
			count = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || !count || count > 1UL << 31) {
				cli_err(CMD, "--count '%s' is not a number of connections",
					optarg);
				return -1;
			}
			o->count = (unsigned long)count;
			break;
		case 'm':
			if (cli_parse_mode(CMD, optarg, &o->mode))
				return -1;
			break;
		case 'r':
			if (cli_parse_size(CMD, "ring size", optarg, 4096, 1U << 30,
					   &o->ring))
				return -1;
			if (o->ring & (o->ring - 1)) {
				cli_err(CMD, "ring size %s is not a power of two", optarg);
				return -1;
			}
			break;
		case 'T':
			if (cli_parse_seconds(CMD, "--timeout", optarg, &o->timeout_s))
				return -1;
			o->timeout_given = true;
			break;
		case 'R':
			o->raw = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			kipc_usage_recv(stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind >= argc) {
		cli_err(CMD, "missing NAME");
		return -1;
	}
	o->name = argv[optind++];
	if (optind < argc) {
		cli_err(CMD, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (o->count && !o->keep) {
		cli_err(CMD, "--count needs --keep");
		return -1;
	}
	return cli_check_name(CMD, o->name);
}

static int listen_error(const struct recv_opts *o, int err)
{
	switch (-err) {
	case EADDRINUSE:
		cli_err(CMD, "name '%s' is already in use (kipc ls shows who has it)",
			o->name);
		break;
	case ENODEV:
	case EOPNOTSUPP:
		if (o->transport == KIPC_TRANSPORT_DEV)
			cli_err(CMD, "transport dev is not available: no usable /dev/kipc (driver not loaded? see kipc info)");
		else
			cli_err(CMD, "transport %s is not available: %s (see kipc info)",
				kipc_transport_name((int)o->transport), kipc_strerror(err));
		break;
	case EINVAL:
		cli_err(CMD, "cannot listen on '%s': invalid argument (ring size or backlog outside the driver's limits? see kipc info)",
			o->name);
		break;
	default:
		cli_err(CMD, "cannot listen on '%s': %s", o->name, kipc_strerror(err));
	}
	return cli_exit_of(err);
}

/* "connection 2: " with --keep, so that each line says which stream. */
static const char *conn_label(const struct recv_conn *rc, char *buf, size_t len)
{
	if (!rc->o->keep)
		return "";
	snprintf(buf, len, "connection %lu: ", rc->index);
	return buf;
}

static int conn_error(struct recv_conn *rc, int err)
{
	char l[40], b[32];

	if (err == -EBADMSG || err == -EPROTO) {
		cli_err(CMD, "%sthe sender broke the connection after %llu bytes: %s",
			conn_label(rc, l, sizeof(l)), (unsigned long long)rc->bytes,
			kipc_strerror(err));
		return KIPC_EXIT_PROTOCOL;
	}
	cli_err(CMD, "%sreceiving failed after %llu bytes (%s): %s",
		conn_label(rc, l, sizeof(l)), (unsigned long long)rc->bytes,
		cli_bytes(rc->bytes, b, sizeof(b)), kipc_strerror(err));
	return cli_exit_of(err);
}

/* What a sender's ABORT says, in words. */
static int sender_gave_up(struct recv_conn *rc, const struct kipc_stream_abort *ab)
{
	char l[40], why[160];

	switch (ab->status) {
	case KIPC_EXIT_MSGSIZE:
		snprintf(why, sizeof(why), "its --exact message size is larger than this connection carries");
		break;
	case KIPC_EXIT_IO:
		snprintf(why, sizeof(why), "reading its input failed (%s)", strerror(ab->err));
		break;
	default:
		snprintf(why, sizeof(why), "exit status %d (%s)", (int)ab->status,
			 ab->err ? strerror(ab->err) : "no error code");
	}
	cli_err(CMD, "%sthe sender gave up after %llu bytes (%llu received): %s",
		conn_label(rc, l, sizeof(l)), (unsigned long long)ab->bytes,
		(unsigned long long)rc->bytes, why);
	return KIPC_EXIT_PEER;
}

/* Drain messages to stdout until END or the end of the connection. */
static int copy_out(struct recv_conn *rc, bool *got_end, struct kipc_stream_end *end)
{
	struct kipc_stream_abort ab;
	const void *msg;
	char l[40], b[32];
	ssize_t n;
	int ret;

	for (;;) {
		n = kipc_peek(rc->conn, &msg, 0);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return conn_error(rc, (int)n);
		if (!n)
			return 0;
		if (kipc_stream_is_end(msg, (size_t)n, rc->nonce, end)) {
			kipc_release(rc->conn);
			*got_end = true;
			return 0;
		}
		if (kipc_stream_is_abort(msg, (size_t)n, rc->nonce, &ab)) {
			kipc_release(rc->conn);
			return sender_gave_up(rc, &ab);
		}
		/* Written straight from the ring, released only once it is out. */
		ret = cli_write_full(1, msg, (size_t)n);
		if (ret) {
			cli_err(CMD, "%swriting standard output: %s (after %llu bytes, %s)",
				conn_label(rc, l, sizeof(l)), strerror(-ret),
				(unsigned long long)rc->bytes,
				cli_bytes(rc->bytes, b, sizeof(b)));
			return KIPC_EXIT_IO;
		}
		kipc_release(rc->conn);
		rc->bytes += (uint64_t)n;
		rc->messages++;
		cli_progress_update(&rc->progress, rc->bytes);
	}
}

static int serve(struct recv_conn *rc)
{
	struct kipc_stream_hello hello;
	struct kipc_stream_end end;
	struct kipc_stream_ack ack;
	bool got_end = false;
	char l[40], b[32];
	ssize_t n;
	pid_t pid = 0;
	uid_t uid = 0;
	int ret;

	/*
	 * Greet even with --raw, so that a kipc send talking to us never waits
	 * for a greeting that does not come; other senders need not read it.
	 * A sender already gone still left its data: drain it, then say so.
	 */
	cli_progress_init(&rc->progress, rc->o->quiet, 1, "received", 0);
	kipc_stream_nonce(rc->nonce);
	kipc_stream_hello_init(&hello, rc->nonce);
	do
		n = kipc_send(rc->conn, &hello, sizeof(hello), 0);
	while (n == -EINTR);
	if (n < 0 && n != -EPIPE)
		return conn_error(rc, (int)n);
	ret = copy_out(rc, &got_end, &end);
	if (ret)
		return ret;
	if (!got_end && !rc->o->raw) {
		cli_err(CMD, "%speer died mid-stream: %llu bytes (%s) in %llu messages received, no end-of-stream marker",
			conn_label(rc, l, sizeof(l)), (unsigned long long)rc->bytes,
			cli_bytes(rc->bytes, b, sizeof(b)),
			(unsigned long long)rc->messages);
		return KIPC_EXIT_PEER;
	}
	if (got_end && (end.bytes != rc->bytes || end.messages != rc->messages)) {
		cli_err(CMD, "%sdata lost: the sender sent %llu bytes in %llu messages, %llu bytes in %llu arrived",
			conn_label(rc, l, sizeof(l)), (unsigned long long)end.bytes,
			(unsigned long long)end.messages, (unsigned long long)rc->bytes,
			(unsigned long long)rc->messages);
		return KIPC_EXIT_PROTOCOL;
	}
	if (got_end) {
		/* Everything is on stdout; a sender gone now has only lost the receipt. */
		kipc_stream_ack_init(&ack, rc->nonce, rc->bytes);
		do
			n = kipc_send(rc->conn, &ack, sizeof(ack), 0);
		while (n == -EINTR);
	}
	cli_progress_done(&rc->progress, rc->bytes);
	if (rc->o->verbose) {
		kipc_peer_cred(rc->conn, &pid, &uid, NULL);
		cli_err(CMD, "%s%llu bytes (%s) in %llu messages from pid %d uid %u over %s",
			conn_label(rc, l, sizeof(l)), (unsigned long long)rc->bytes,
			cli_bytes(rc->bytes, b, sizeof(b)),
			(unsigned long long)rc->messages, (int)pid, (unsigned int)uid,
			kipc_transport_name(kipc_transport(rc->conn)));
	}
	return KIPC_EXIT_OK;
}

static int accept_one(const struct recv_opts *o, struct kipc_listener *l,
		      double deadline, struct kipc_conn **conn)
{
	int ret;

	do
		ret = kipc_accept_timeout(l, conn, 0, cli_ms_until(deadline));
	while (ret == -EINTR);
	if (ret == -ETIMEDOUT || ret == -EAGAIN) {
		cli_err(CMD, "no sender connected to '%s' within %g s", o->name,
			o->timeout_s);
		return KIPC_EXIT_TIMEOUT;
	}
	if (ret) {
		cli_err(CMD, "accepting on '%s': %s", o->name, kipc_strerror(ret));
		return cli_exit_of(ret);
	}
	return 0;
}

int kipc_cmd_recv(int argc, char **argv)
{
	struct kipc_opts kopts = KIPC_OPTS_INIT;
	struct recv_opts o = { 0 };
	struct kipc_listener *l;
	struct recv_conn rc;
	unsigned long served = 0;
	int ret, status = KIPC_EXIT_OK;

	ret = parse(argc, argv, &o);
	if (ret)
		return ret > 0 ? KIPC_EXIT_OK : cli_usage_error(CMD);
	kopts.transport = o.transport;
	kopts.mode = o.mode;
	kopts.ring_bytes = (uint32_t)o.ring;
	ret = kipc_listen(o.name, &kopts, &l);
	if (ret)
		return listen_error(&o, ret);
	do {
		/* --timeout bounds each wait for the next sender. */
		double deadline = o.timeout_given ? cli_now() + o.timeout_s : -1;

		memset(&rc, 0, sizeof(rc));
		rc.o = &o;
		rc.index = ++served;
		ret = accept_one(&o, l, deadline, &rc.conn);
		if (ret) {
			status = ret;
			break;
		}
		ret = serve(&rc);
		kipc_close(rc.conn);
		if (ret)
			status = ret;
		/* Stdout is gone for every later sender too. */
		if (ret == KIPC_EXIT_IO)
			break;
	} while (o.keep && (!o.count || served < o.count));
	kipc_listener_close(l);
	return status;
}
