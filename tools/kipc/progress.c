// SPDX-License-Identifier: GPL-2.0
/* kipc command: the progress line of send and recv (progress.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"

/* The line on the terminal now, so that cli_err() can end it first. */
static struct cli_progress *active;

void cli_progress_init(struct cli_progress *p, bool quiet, int data_fd,
		       const char *verb, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->on = !quiet && isatty(2) && !isatty(data_fd);
	p->verb = verb;
	p->total = total;
	p->start = cli_now();
	p->next = p->start + 1.0 / KIPC_PROGRESS_HZ;
}

/* "1.5 GiB" with one decimal below 10, like cli_bytes() but per second too. */
static void human(char *buf, size_t len, double v, const char *suffix)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.*f %s%s", u && v < 10 ? 1 : 0, v, unit[u], suffix);
}

static void show(struct cli_progress *p, uint64_t bytes, double now, bool last)
{
	double secs = now - p->start, rate = secs > 0 ? (double)bytes / secs : 0;
	char line[160], b[32], r[32], rest[64] = "";
	int len;

	human(b, sizeof(b), (double)bytes, "");
	human(r, sizeof(r), rate, "/s");
	if (p->total && !last) {
		double left = rate > 0 && p->total > bytes ?
			      (double)(p->total - bytes) / rate : 0;
		unsigned long s = (unsigned long)(left + 0.5);

		snprintf(rest, sizeof(rest), ", %3.0f%%, ETA %lu:%02lu:%02lu",
			 100.0 * (double)bytes / (double)p->total, s / 3600,
			 s / 60 % 60, s % 60);
	} else if (last) {
		unsigned long s = (unsigned long)(secs + 0.5);

		snprintf(rest, sizeof(rest), " in %lu:%02lu:%02lu", s / 3600,
			 s / 60 % 60, s % 60);
	}
	/* \r, the line, and spaces over what a longer line left; one write. */
	len = snprintf(line, sizeof(line), "\r%s %s, %s%s%-8s%s", b, p->verb, r,
		       rest, "", last ? "\n" : "");
	if (len > 0)
		(void)!write(2, line, (size_t)len < sizeof(line) ? (size_t)len :
			     sizeof(line) - 1);
	p->shown = !last;
	active = last ? NULL : p;
}

void cli_progress_update(struct cli_progress *p, uint64_t bytes)
{
	double now;

	if (!p->on)
		return;
	now = cli_now();
	if (now < p->next)
		return;
	p->next = now + 1.0 / KIPC_PROGRESS_HZ;
	show(p, bytes, now, false);
}

void cli_progress_done(struct cli_progress *p, uint64_t bytes)
{
	if (p->on)
		show(p, bytes, cli_now(), true);
}

void cli_progress_break(void)
{
	if (active && active->shown) {
		(void)!write(2, "\n", 1);
		active->shown = false;
	}
	active = NULL;
}
