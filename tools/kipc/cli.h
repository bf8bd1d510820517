/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kipc command: what its subcommands share. kipc(1) is the reference
 * for the options, the messages and the exit statuses below.
 */
#ifndef KIPC_CLI_H
#define KIPC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kipc.h"

/* Exit statuses; kipc(1) lists them under EXIT STATUS. */
#define KIPC_EXIT_OK		0
#define KIPC_EXIT_FAILURE	1	/* anything not listed below */
#define KIPC_EXIT_USAGE		2	/* bad option, name or argument */
#define KIPC_EXIT_NO_NAME	3	/* nobody listens on the name */
#define KIPC_EXIT_DENIED	4	/* permission denied */
#define KIPC_EXIT_PEER		5	/* the peer went away mid-stream */
#define KIPC_EXIT_MSGSIZE	6	/* message larger than the connection carries */
#define KIPC_EXIT_IN_USE	7	/* recv: the name is taken */
#define KIPC_EXIT_TRANSPORT	8	/* the transport asked for is not available */
#define KIPC_EXIT_IO		9	/* reading the input or writing stdout failed */
#define KIPC_EXIT_TIMEOUT	10	/* a --timeout ran out */
#define KIPC_EXIT_RESOURCE	11	/* out of memory, fds or pinned-memory quota */
#define KIPC_EXIT_PROTOCOL	12	/* the peer broke the ring or the stream protocol */

#define KIPC_CLI_WAIT_DEFAULT	5.0		/* send --wait, seconds */
#define KIPC_CLI_SIZE_DEFAULT	(64U << 10)	/* send -s */

/* Subcommands: each returns the process's exit status. */
int kipc_cmd_send(int argc, char **argv);
int kipc_cmd_recv(int argc, char **argv);
int kipc_cmd_ls(int argc, char **argv);
int kipc_cmd_info(int argc, char **argv);
int bench_main(int argc, char **argv);	/* tools/bench */

void kipc_usage_send(FILE *out);
void kipc_usage_recv(FILE *out);
void kipc_usage_ls(FILE *out);
void kipc_usage_info(FILE *out);

/* One line "kipc CMD: MESSAGE" on stderr. */
void cli_err(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The exit status that fits a (positive or negative) errno. */
int cli_exit_of(int err);

/* Option values; each returns 0, or -1 after saying what is wrong. */
int cli_parse_transport(const char *cmd, const char *arg, unsigned int *out);
int cli_parse_size(const char *cmd, const char *what, const char *arg,
		   uint64_t min, uint64_t max, uint64_t *out);
int cli_parse_seconds(const char *cmd, const char *what, const char *arg,
		      double *out);
int cli_parse_mode(const char *cmd, const char *arg, uint32_t *out);
int cli_check_name(const char *cmd, const char *name);
/* "try 'kipc CMD --help'" after a usage error; returns KIPC_EXIT_USAGE. */
int cli_usage_error(const char *cmd);

/* Human-readable byte counts: "5.0 MiB (5242880 bytes)" style helpers. */
const char *cli_bytes(uint64_t n, char *buf, size_t len);

/* I/O that finishes or says why not (EINTR retried, EAGAIN polled). */
int cli_write_full(int fd, const void *buf, size_t len);
ssize_t cli_read_full(int fd, void *buf, size_t len);
/*
 * Like cli_read_full, but returns early with what it has once more would
 * mean waiting (a pipe or terminal that has nothing for now).
 */
ssize_t cli_read_ready(int fd, void *buf, size_t len);

double cli_now(void);
int cli_ms_until(double deadline);	/* -1 for no deadline (deadline < 0) */

#endif /* KIPC_CLI_H */
