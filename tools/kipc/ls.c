// SPDX-License-Identifier: GPL-2.0
/*
 * kipc ls: listeners and connections. The driver's are read from
 * /proc/driver/kipc (format: kmod/README); the socket transports' from
 * /proc/net/unix (unixsock.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "unixsock.h"

#define CMD "ls"
#define PROC_KIPC	"/proc/driver/kipc"
#define MAX_FIELDS	32

void kipc_usage_ls(FILE *out)
{
	fprintf(out,
"Usage: kipc ls [OPTIONS]\n"
"List kipc listeners and connections with their statistics: the driver's\n"
"(from " PROC_KIPC ") and the socket transports' (from /proc/net/unix).\n"
"Without the driver, only the latter.\n"
"\n"
"      --proc         print " PROC_KIPC " as it is\n"
"  -h, --help         this text\n");
}

/* One "type key k=v k=v ..." line of the driver's view. */
struct proc_line {
	char *word[3];			/* type, then one or two positional keys */
	int nword;
	char *key[MAX_FIELDS], *val[MAX_FIELDS];
	int nfield;
};

static void split(char *line, struct proc_line *pl, int positional)
{
	char *save, *tok, *eq;

	memset(pl, 0, sizeof(*pl));
	for (tok = strtok_r(line, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		if (pl->nword <= positional) {
			pl->word[pl->nword++] = tok;
			continue;
		}
		eq = strchr(tok, '=');
		if (!eq || pl->nfield == MAX_FIELDS)
			continue;	/* not ours to understand: skip */
		*eq = 0;
		pl->key[pl->nfield] = tok;
		pl->val[pl->nfield++] = eq + 1;
	}
}

/* A field's value, "-" when this driver does not report it. */
static const char *field(const struct proc_line *pl, const char *key)
{
	int i;

	for (i = 0; i < pl->nfield; i++)
		if (!strcmp(pl->key[i], key))
			return pl->val[i];
	return "-";
}

static const char *who(const char *pid, const char *uid, char *buf, size_t len)
{
	char comm[32] = "", path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	f = strcmp(pid, "-") && strcmp(pid, "0") ? fopen(path, "re") : NULL;
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	snprintf(buf, len, "%s%s%s%s/%s", pid, *comm ? "(" : "", comm,
		 *comm ? ")" : "", uid);
	return buf;
}

/* "4096,8192" -> "4K,8K" style, unknown text as it is. */
static const char *rings(const char *v, char *buf, size_t len)
{
	unsigned long long a, b;
	char x[16], y[16];

	if (sscanf(v, "%llu,%llu", &a, &b) != 2) {
		snprintf(buf, len, "%s", v);
		return buf;
	}
	cli_bytes(a, x, sizeof(x));
	cli_bytes(b, y, sizeof(y));
	if (!strcmp(x, y))
		snprintf(buf, len, "%s", x);
	else
		snprintf(buf, len, "%s,%s", x, y);
	return buf;
}

static const char *num_bytes(const char *v, char *buf, size_t len)
{
	char *end;
	unsigned long long n = strtoull(v, &end, 10);

	if (end == v || *end)
		snprintf(buf, len, "%s", v);
	else
		cli_bytes(n, buf, len);
	return buf;
}

/* "BYTES/MSGS" of one direction; the message count is the producer's word. */
static const char *traffic(const char *bytes, const char *msgs, char *buf,
			   size_t len)
{
	char b[32];

	snprintf(buf, len, "%s/%s", num_bytes(bytes, b, sizeof(b)), msgs);
	return buf;
}

static void show_listener(struct proc_line *pl, bool *header)
{
	char w[80], r[40];

	if (!*header) {
		printf("\n%-24s %-22s %-5s %-9s %s\n", "LISTENER", "OWNER pid(comm)/uid",
		       "MODE", "BACKLOG", "RING");
		*header = true;
	}
	printf("%-24s %-22s %-5s %-9s %s\n", pl->word[1],
	       who(field(pl, "pid"), field(pl, "uid"), w, sizeof(w)),
	       field(pl, "mode"), field(pl, "backlog"),
	       rings(field(pl, "ring"), r, sizeof(r)));
}

static void show_conn(struct proc_line *pl, bool *header)
{
	char c[80], s[80], r[40], b1[48], b2[48], k[24];

	if (!*header) {
		printf("\n%-5s %-16s %-21s %-22s %-22s %-9s %-16s %-16s %s\n", "CONN",
		       "NAME", "STATE", "CLIENT pid(comm)/uid", "SERVER pid(comm)/uid",
		       "RING", "C2S bytes/msgs", "S2C bytes/msgs", "KICKS c/s");
		*header = true;
	}
	snprintf(k, sizeof(k), "%s/%s", field(pl, "client_kicks"),
		 field(pl, "server_kicks"));
	printf("%-5s %-16s %-21s %-22s %-22s %-9s %-16s %-16s %s\n", pl->word[1],
	       pl->word[2], field(pl, "state"),
	       who(field(pl, "client_pid"), field(pl, "client_uid"), c, sizeof(c)),
	       who(field(pl, "server_pid"), field(pl, "server_uid"), s, sizeof(s)),
	       rings(field(pl, "ring"), r, sizeof(r)),
	       traffic(field(pl, "c2s_bytes"), field(pl, "c2s_msgs"), b1, sizeof(b1)),
	       traffic(field(pl, "s2c_bytes"), field(pl, "s2c_msgs"), b2, sizeof(b2)), k);
}

/* Counters first ("key value"), then listener and conn lines. */
static void show_driver(FILE *f)
{
	char line[1024], key[64], val[64], summary[512] = "", b[32];
	bool lhead = false, chead = false, counters = true;
	struct proc_line pl;
	size_t used = 0;

	while (fgets(line, sizeof(line), f)) {
		bool is_listener = !strncmp(line, "listener ", 9);
		bool is_conn = !strncmp(line, "conn ", 5);

		if (counters && (is_listener || is_conn)) {
			printf("driver: %s\n", summary);
			counters = false;
		}
		if (is_listener) {
			split(line, &pl, 1);
			if (pl.nword == 2)
				show_listener(&pl, &lhead);
		} else if (is_conn) {
			split(line, &pl, 2);
			if (pl.nword == 3)
				show_conn(&pl, &chead);
		} else if (counters && sscanf(line, "%63s %63s", key, val) == 2 &&
			   used < sizeof(summary) - 1) {
			if (!strcmp(key, "pinned_bytes"))
				snprintf(val, sizeof(val), "%s",
					 num_bytes(val, b, sizeof(b)));
			used += (size_t)snprintf(summary + used, sizeof(summary) - used,
						 "%s%s %s", used ? ", " : "", key, val);
		}
	}
	if (counters)
		printf("driver: %s\n", summary);
	if (!lhead)
		printf("\nno driver listeners\n");
	if (!chead)
		printf("%sno driver connections\n", lhead ? "\n" : "");
}

/* Listeners first, so that each table is printed under one header. */
static int by_kind(const void *a, const void *b)
{
	const struct kipc_sock *x = a, *y = b;

	if (x->listening != y->listening)
		return x->listening ? -1 : 1;
	return strcmp(x->name, y->name);
}

static const char *holder(pid_t pid, const char *comm, char *buf, size_t len)
{
	if (pid)
		snprintf(buf, len, "%d(%s)", (int)pid, comm);
	else
		snprintf(buf, len, "?");
	return buf;
}

static void show_sockets(void)
{
	struct kipc_socks s;
	char w[64], p[64], q[32];
	size_t i;
	int ret, kind = -1;

	ret = kipc_socks_read(&s);
	if (ret) {
		printf("\nsocket transports: cannot read /proc/net/unix: %s\n",
		       strerror(-ret));
		return;
	}
	if (!s.n)
		printf("\nno socket listeners or connections (shm and uds transports)\n");
	qsort(s.v, s.n, sizeof(*s.v), by_kind);
	for (i = 0; i < s.n; i++) {
		const struct kipc_sock *k = &s.v[i];

		if (kind != k->listening) {
			kind = k->listening;
			if (kind)
				printf("\n%-24s %-22s %-10s %s\n", "SOCKET LISTENER",
				       "pid(comm)", "BACKLOG", "TRANSPORTS");
			else
				printf("\n%-24s %-22s %-22s %-10s %s\n", "SOCKET CONNECTION",
				       "SERVER pid(comm)", "CLIENT pid(comm)", "QUEUED",
				       "TRANSPORT");
		}
		holder(k->pid, k->comm, w, sizeof(w));
		if (kind) {
			if (k->have_diag)
				snprintf(q, sizeof(q), "%u/%u", k->rqueue, k->wqueue);
			else
				snprintf(q, sizeof(q), "-");
			printf("%-24s %-22s %-10s %s\n", k->name, w, q, "socket: shm, uds");
			continue;
		}
		holder(k->peer_pid, k->peer_comm, p, sizeof(p));
		if (k->have_diag)
			cli_bytes(k->rqueue, q, sizeof(q));
		else
			snprintf(q, sizeof(q), "-");
		printf("%-24s %-22s %-22s %-10s %s\n", k->name, w, p, q, "shm or uds");
	}
	kipc_socks_free(&s);
}

int kipc_cmd_ls(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "proc", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool raw = false;
	char buf[4096];
	size_t n;
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			raw = true;
			break;
		case 'h':
			kipc_usage_ls(stdout);
			return KIPC_EXIT_OK;
		default:
			return cli_usage_error(CMD);
		}
	}
	if (optind < argc) {
		cli_err(CMD, "unexpected argument '%s'", argv[optind]);
		return cli_usage_error(CMD);
	}
	f = fopen(PROC_KIPC, "re");
	if (!f && errno != ENOENT) {
		cli_err(CMD, "cannot read " PROC_KIPC ": %s", strerror(errno));
		return KIPC_EXIT_FAILURE;
	}
	if (raw) {
		if (!f) {
			cli_err(CMD, "kipc driver not loaded (no " PROC_KIPC ")");
			return KIPC_EXIT_TRANSPORT;
		}
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stdout);
		fclose(f);
		return KIPC_EXIT_OK;
	}
	if (f) {
		show_driver(f);
		fclose(f);
	} else {
		printf("kipc driver not loaded (no " PROC_KIPC "); showing what the library can see\n");
	}
	show_sockets();
	return fflush(stdout) ? KIPC_EXIT_IO : KIPC_EXIT_OK;
}
