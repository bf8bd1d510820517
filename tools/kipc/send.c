// SPDX-License-Identifier: GPL-2.0
/*
 * kipc send NAME [FILE]: connect to NAME and stream FILE (or stdin) as
 * messages, then wait until the receiver confirms it has written them all.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "stream.h"

#define CMD "send"

void kipc_usage_send(FILE *out)
{
	fprintf(out,
"Usage: kipc send NAME [FILE] [OPTIONS]\n"
"Connect to the listener NAME and send FILE (default: standard input) as\n"
"messages, then wait until the receiver confirms that everything arrived.\n"
"\n"
"  -t, --transport T  dev, shm, uds or auto (default auto: $KIPC_TRANSPORT,\n"
"                     else dev, shm, uds in that order)\n"
"  -s, --size SIZE    bytes per message (default 64k), lowered to the most\n"
"                     the connection carries; suffixes k, m, g\n"
"      --exact        never lower -s: fail with status 6 when it is too large\n"
"  -w, --wait SECS    how long to retry while nobody listens on NAME\n"
"                     (default %.0f; 0: try once)\n"
"      --raw          the receiver is not `kipc recv`: send the data only, no\n"
"                     end-of-stream marker, and do not wait for a confirmation\n"
"  -v, --verbose      a summary line on stderr at the end\n"
"  -q, --quiet        no progress line (shown only when stderr is a terminal)\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 when the receiver confirmed every byte; see kipc(1).\n",
		KIPC_CLI_WAIT_DEFAULT);
}

struct send_opts {
	const char *name;
	const char *file;
	unsigned int transport;
	uint64_t size;
	bool size_given, exact, raw, verbose, quiet;
	double wait_s;
};

struct send_state {
	const struct send_opts *o;
	struct kipc_conn *conn;
	uint64_t bytes, messages;
	bool have_hello;
	uint8_t nonce[KIPC_STREAM_NONCE];
	struct cli_progress progress;
};

static int parse(int argc, char **argv, struct send_opts *o)
{
	static const struct option longopts[] = {
		{ "transport", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 's' },
		{ "exact", no_argument, NULL, 'E' },
		{ "wait", required_argument, NULL, 'w' },
		{ "raw", no_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->size = KIPC_CLI_SIZE_DEFAULT;
	o->wait_s = KIPC_CLI_WAIT_DEFAULT;
	while ((c = getopt_long(argc, argv, "t:s:w:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (cli_parse_transport(CMD, optarg, &o->transport))
				return -1;
			break;
		case 's':
			if (cli_parse_size(CMD, "message size", optarg, 1, 1U << 30,
					   &o->size))
				return -1;
			o->size_given = true;
			break;
		case 'E':
			o->exact = true;
			break;
		case 'w':
			if (cli_parse_seconds(CMD, "--wait", optarg, &o->wait_s))
				return -1;
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
			kipc_usage_send(stdout);
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
	if (optind < argc)
		o->file = argv[optind++];
	if (optind < argc) {
		cli_err(CMD, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return cli_check_name(CMD, o->name);
}

/* Retry while the name does not exist yet, so `recv & send` needs no sleep. */
static int connect_wait(const struct send_opts *o, struct kipc_conn **conn)
{
	struct kipc_opts kopts = KIPC_OPTS_INIT;
	double deadline = cli_now() + o->wait_s;
	struct timespec ts;
	long delay_ms = 2;
	int ret, left;

	kopts.transport = o->transport;
	for (;;) {
		ret = kipc_connect(o->name, &kopts, conn);
		if (ret != -ENOENT && ret != -ECONNREFUSED && ret != -EINTR)
			return ret;
		left = cli_ms_until(deadline);
		if (!left)
			return ret;
		if (delay_ms > left)
			delay_ms = left;
		ts.tv_sec = delay_ms / 1000;
		ts.tv_nsec = (delay_ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		if (delay_ms < 50)
			delay_ms *= 2;
	}
}

static int connect_error(const struct send_opts *o, int err)
{
	switch (-err) {
	case ENOENT:
	case ECONNREFUSED:
		if (o->wait_s > 0)
			cli_err(CMD, "no such name '%s': nobody listens on it (waited %g s)",
				o->name, o->wait_s);
		else
			cli_err(CMD, "no such name '%s': nobody listens on it", o->name);
		break;
	case EACCES:
		cli_err(CMD, "permission denied: '%s' does not accept connections from uid %u (its mode, kipc recv -m)",
			o->name, (unsigned int)geteuid());
		break;
	case ENODEV:
	case EOPNOTSUPP:
		if (o->transport == KIPC_TRANSPORT_DEV)
			cli_err(CMD, "transport dev is not available: no usable /dev/kipc (driver not loaded? see kipc info)");
		else
			cli_err(CMD, "transport %s is not available for '%s': its listener does not offer it (kipc recv -t), or this system lacks it (kipc info)",
				o->transport ? kipc_transport_name((int)o->transport) : "auto",
				o->name);
		break;
	default:
		cli_err(CMD, "cannot connect to '%s': %s", o->name, kipc_strerror(err));
	}
	return cli_exit_of(err);
}

/* The receiver's side of the connection failed under us. */
static int peer_error(struct send_state *s, int err, const char *when)
{
	char b[32];

	if (err == -EPIPE || err == 0) {
		cli_err(CMD, "receiver went away %s: %llu bytes (%s) sent, not confirmed",
			when, (unsigned long long)s->bytes,
			cli_bytes(s->bytes, b, sizeof(b)));
		return KIPC_EXIT_PEER;
	}
	cli_err(CMD, "connection to '%s' failed %s after %llu bytes: %s",
		s->o->name, when, (unsigned long long)s->bytes, kipc_strerror(err));
	return cli_exit_of(err);
}

static int send_retry(struct kipc_conn *conn, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = kipc_send(conn, buf, len, 0);
	while (n == -EINTR);
	return n < 0 ? (int)n : 0;
}

/* Next control message from the receiver: its length, 0 at the end, -errno. */
static ssize_t peek_retry(struct kipc_conn *conn, const void **msg)
{
	ssize_t n;

	do
		n = kipc_peek(conn, msg, 0);
	while (n == -EINTR);
	return n;
}

/*
 * The receiver's greeting, which carries the nonce: sent at accept, so it
 * is usually there long before we need it. 1 once we have it, 0 when the
 * receiver closed instead, -errno.
 */
static int get_hello(struct send_state *s, int timeout_ms)
{
	struct kipc_stream_hello hello;
	const void *msg;
	ssize_t n;

	if (s->have_hello)
		return 1;
	do
		n = kipc_peek_timeout(s->conn, &msg, 0, timeout_ms);
	while (n == -EINTR);
	if (n <= 0)
		return (int)n;
	if (!kipc_stream_is_hello(msg, (size_t)n, &hello)) {
		kipc_release(s->conn);
		return -EPROTO;
	}
	memcpy(s->nonce, hello.nonce, sizeof(s->nonce));
	kipc_release(s->conn);
	s->have_hello = true;
	return 1;
}

/* We give up: tell the receiver why, if it says hello within a second. */
static int abort_stream(struct send_state *s, int status, int err)
{
	struct kipc_stream_abort ab;

	if (s->o->raw || get_hello(s, 1000) != 1)
		return status;
	kipc_stream_abort_init(&ab, s->nonce, s->bytes, status, err);
	kipc_send_timeout(s->conn, &ab, sizeof(ab), 0, 1000);
	return status;
}

static int stream_data(struct send_state *s, int in, size_t size)
{
	char *buf = malloc(size);
	ssize_t n;
	int ret = 0;

	if (!buf) {
		cli_err(CMD, "out of memory for a %zu-byte message", size);
		return abort_stream(s, KIPC_EXIT_RESOURCE, ENOMEM);
	}
	for (;;) {
		n = cli_read_ready(in, buf, size);
		if (n < 0) {
			cli_err(CMD, "reading %s: %s (after %llu bytes)",
				s->o->file ? s->o->file : "standard input",
				strerror((int)-n), (unsigned long long)s->bytes);
			ret = abort_stream(s, KIPC_EXIT_IO, (int)-n);
			break;
		}
		if (!n)
			break;
		ret = send_retry(s->conn, buf, (size_t)n);
		if (ret) {
			ret = peer_error(s, ret, "mid-stream");
			break;
		}
		s->bytes += (uint64_t)n;
		s->messages++;
		cli_progress_update(&s->progress, s->bytes);
	}
	free(buf);
	return ret;
}

/* What is left of a regular file from where it is read; 0 if unknown. */
static uint64_t input_size(int in)
{
	struct stat st;
	off_t at;

	if (fstat(in, &st) || !S_ISREG(st.st_mode))
		return 0;
	at = lseek(in, 0, SEEK_CUR);
	if (at < 0 || at > st.st_size)
		return 0;
	return (uint64_t)(st.st_size - at);
}

/* HELLO (the nonce), then our END, then the receiver's ACK. */
static int finish_stream(struct send_state *s)
{
	struct kipc_stream_end end;
	struct kipc_stream_ack ack;
	const void *msg;
	ssize_t n;
	int ret;

	ret = get_hello(s, -1);
	if (ret == -EPROTO) {
		cli_err(CMD, "'%s' is not a kipc recv (no greeting); use --raw for other programs",
			s->o->name);
		return KIPC_EXIT_PROTOCOL;
	}
	if (ret <= 0)
		return peer_error(s, ret, "before the end of the stream");

	kipc_stream_end_init(&end, s->nonce, s->bytes, s->messages);
	ret = send_retry(s->conn, &end, sizeof(end));
	if (ret)
		return peer_error(s, ret, "at the end of the stream");

	n = peek_retry(s->conn, &msg);
	if (n <= 0)
		return peer_error(s, (int)n, "before confirming the end of the stream");
	if (!kipc_stream_is_ack(msg, (size_t)n, s->nonce, &ack)) {
		kipc_release(s->conn);
		cli_err(CMD, "'%s' answered the end of the stream with a %zd-byte message that is no confirmation",
			s->o->name, n);
		return KIPC_EXIT_PROTOCOL;
	}
	kipc_release(s->conn);
	if (ack.bytes != s->bytes) {
		cli_err(CMD, "receiver confirmed %llu of the %llu bytes sent",
			(unsigned long long)ack.bytes, (unsigned long long)s->bytes);
		return KIPC_EXIT_PROTOCOL;
	}
	return KIPC_EXIT_OK;
}

static int pick_size(const struct send_opts *o, struct kipc_conn *conn,
		     size_t *size)
{
	ssize_t max = kipc_msg_max(conn);

	if (max <= 0) {
		cli_err(CMD, "connection reports no message size: %s",
			kipc_strerror((int)max));
		return KIPC_EXIT_FAILURE;
	}
	*size = (size_t)o->size;
	if (o->size <= (uint64_t)max)
		return 0;
	if (o->exact) {
		cli_err(CMD, "message too large: -s %llu, but this %s connection carries at most %zd bytes per message",
			(unsigned long long)o->size,
			kipc_transport_name(kipc_transport(conn)), max);
		return KIPC_EXIT_MSGSIZE;
	}
	*size = (size_t)max;
	return 0;
}

int kipc_cmd_send(int argc, char **argv)
{
	struct send_opts o = { 0 };
	struct send_state s = { .o = &o };
	size_t size;
	char b[32];
	int in = 0, ret;
	pid_t pid = 0;

	ret = parse(argc, argv, &o);
	if (ret)
		return ret > 0 ? KIPC_EXIT_OK : cli_usage_error(CMD);
	/* The input first: a missing file must not look like a dead sender. */
	if (o.file && strcmp(o.file, "-")) {
		in = open(o.file, O_RDONLY | O_CLOEXEC);
		if (in < 0) {
			cli_err(CMD, "cannot open %s: %s", o.file, strerror(errno));
			return KIPC_EXIT_IO;
		}
	}
	ret = connect_wait(&o, &s.conn);
	if (ret) {
		ret = connect_error(&o, ret);
		goto out_close_in;
	}
	ret = pick_size(&o, s.conn, &size);
	if (ret) {
		abort_stream(&s, ret, ret == KIPC_EXIT_MSGSIZE ? EMSGSIZE : 0);
		goto out_close;
	}
	cli_progress_init(&s.progress, o.quiet, in, "sent", input_size(in));
	ret = stream_data(&s, in, size);
	if (!ret && !o.raw)
		ret = finish_stream(&s);
	if (!ret)
		cli_progress_done(&s.progress, s.bytes);
	if (!ret && o.verbose) {
		kipc_peer_cred(s.conn, &pid, NULL, NULL);
		cli_err(CMD, "%llu bytes (%s) in %llu messages of up to %zu bytes to '%s' over %s (receiver pid %d)%s",
			(unsigned long long)s.bytes, cli_bytes(s.bytes, b, sizeof(b)),
			(unsigned long long)s.messages, size, o.name,
			kipc_transport_name(kipc_transport(s.conn)), (int)pid,
			o.raw ? "" : ", confirmed");
	}
out_close:
	kipc_close(s.conn);
out_close_in:
	if (in > 0)
		close(in);
	return ret;
}
