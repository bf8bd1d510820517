// SPDX-License-Identifier: GPL-2.0
/* The one clock every mechanism is timed with: CLOCK_MONOTONIC, or the TSC. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

uint64_t bench_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool cpu_has_flag(const char *flag)
{
	char line[8192];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *tok, *save;

		if (strncmp(line, "flags", 5))
			continue;
		for (tok = strtok_r(line, " \t\n:", &save); tok; tok = strtok_r(NULL, " \t\n:", &save))
			if (!strcmp(tok, flag))
				found = true;
		break;
	}
	fclose(f);
	return found;
}

double bench_tsc_calibrate(char *why, size_t len)
{
#ifdef BENCH_HAVE_TSC
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	uint64_t t0, t1, c0, c1;

	if (!cpu_has_flag("constant_tsc") || !cpu_has_flag("nonstop_tsc")) {
		snprintf(why, len, "the TSC is not constant and non-stop on this CPU");
		return 0;
	}
	/* bracket the TSC reads with clock reads; 50 ms keeps the error < 1e-5 */
	t0 = bench_mono_ns();
	_mm_lfence();
	c0 = __rdtsc();
	nanosleep(&pause, NULL);
	t1 = bench_mono_ns();
	_mm_lfence();
	c1 = __rdtsc();
	if (c1 <= c0 || t1 <= t0) {
		snprintf(why, len, "the TSC did not advance");
		return 0;
	}
	return (double)(t1 - t0) / (double)(c1 - c0);
#else
	snprintf(why, len, "no TSC on this architecture");
	return 0;
#endif
}
