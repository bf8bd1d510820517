/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The progress line of `kipc send` and `kipc recv` (kipc(1), PROGRESS):
 * bytes so far, the rate, and with a known size the share done and the
 * time left, rewritten in place on standard error at most
 * KIPC_PROGRESS_HZ times a second, as pv and dd status=progress do. Only
 * when standard error is a terminal, the data itself does not use one, and
 * -q is not given.
 */
#ifndef KIPC_CLI_PROGRESS_H
#define KIPC_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#define KIPC_PROGRESS_HZ	4

struct cli_progress {
	bool on;
	bool shown;		/* a line is on the terminal, not yet ended */
	const char *verb;	/* "sent", "received" */
	uint64_t total;		/* bytes expected, 0 if unknown */
	double start, next;	/* cli_now() at the start; of the next update */
};

/* Decide whether to show anything: @data_fd is the input (send) or the
 * output (recv), which must not be a terminal itself.
 */
void cli_progress_init(struct cli_progress *p, bool quiet, int data_fd,
		       const char *verb, uint64_t total);
/* Called after each message; cheap when nothing is due. */
void cli_progress_update(struct cli_progress *p, uint64_t bytes);
/* The final figures, and the line ended (a newline). */
void cli_progress_done(struct cli_progress *p, uint64_t bytes);
/* End a shown line before an error message is printed (cli_err()). */
void cli_progress_break(void);

#endif /* KIPC_CLI_PROGRESS_H */
