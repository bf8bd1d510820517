// SPDX-License-Identifier: GPL-2.0
/* Error messages. The first one a process reports wins: it is the cause. */
#include <stdio.h>

#include "bench.h"
#include "driver.h"

int bench_verrf(char *buf, const char *fmt, va_list ap)
{
	if (buf && !buf[0])
		vsnprintf(buf, BENCH_ERRLEN, fmt, ap);
	return -1;
}

int bench_errf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bench_verrf(buf, fmt, ap);
	va_end(ap);
	return -1;
}

int bench_fail(struct bench_run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->role == BENCH_ROLE_A || r->role == BENCH_ROLE_B) {
		struct bench_role_state *st = &r->ctl->role[r->role];

		if (!st->fail_seq)
			st->fail_seq = atomic_fetch_add(&r->ctl->failures, 1) + 1;
	}
	va_start(ap, fmt);
	bench_verrf(r->error, fmt, ap);
	va_end(ap);
	return -1;
}

void bench_info(struct bench_run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->role != BENCH_ROLE_A && r->role != BENCH_ROLE_B)
		return;
	va_start(ap, fmt);
	vsnprintf(r->ctl->role[r->role].info, BENCH_ERRLEN, fmt, ap);
	va_end(ap);
}

void bench_note(struct bench_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->note, sizeof(res->note), fmt, ap);
	va_end(ap);
}
