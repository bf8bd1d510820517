// SPDX-License-Identifier: GPL-2.0
/*
 * stats_test - the bench's percentiles on a coarse clock (stats.c): the
 * grain is found from clock differences, a percentile of samples read on
 * it is interpolated within its tick, and a fine clock keeps the nearest
 * rank. Synthetic samples only: nothing here is timed. TAP on stdout,
 * exit status 1 if any case fails. Run by tools/check.d/host-kipc.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "driver.h"

#define N 30000

static int failed, cases;
static uint64_t v[N];

static void check(bool ok, const char *what, double got, double want)
{
	cases++;
	if (!ok)
		failed++;
	printf("%sok %d - %s (got %.2f, want %.2f)\n", ok ? "" : "not ", cases, what, got, want);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A reproducible uniform [0, 1): no libc state shared with anything. */
static double unit(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(*s >> 11) / 9007199254740992.0;
}

/*
 * n round trips of true length d (plus uniform jitter of j ns), each timed
 * by two reads of a clock that moves in steps of g ns, starting at a
 * random phase; sorted, as bench_stats_latency() has them.
 */
static void quantized(double d, double j, double g, uint64_t seed)
{
	uint64_t s = seed;
	size_t i;

	for (i = 0; i < N; i++) {
		double t0 = unit(&s) * 1e6, len = d + j * unit(&s);

		v[i] = (uint64_t)(floor((t0 + len) / g) * g - floor(t0 / g) * g + 0.5);
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
}

int main(void)
{
	static uint64_t dd[2000];
	uint64_t s = 1;
	double got, prev;
	size_t i;
	int k;

	printf("TAP version 13\n");

	/* The grain: 10 ns steps, TSC conversion adding a nanosecond now and then. */
	for (i = 0; i < 2000; i++)
		dd[i] = 10 * (1 + i % 40) + (i % 7 == 0);
	got = bench_grain_of(dd, 2000);
	check(got == 10, "a clock of 10 ns steps has a grain of 10 ns", got, 10);
	for (i = 0; i < 2000; i++)
		dd[i] = 26 * (1 + i % 40);
	got = bench_grain_of(dd, 2000);
	check(got == 26, "one of 26 ns steps, 26 ns", got, 26);
	for (i = 0; i < 2000; i++)
		dd[i] = 20 + (uint64_t)(unit(&s) * 400);
	got = bench_grain_of(dd, 2000);
	check(got == 1, "a nanosecond clock has none (1)", got, 1);
	for (i = 0; i < 2000; i++)
		dd[i] = 3 * (7 + i % 90);
	got = bench_grain_of(dd, 2000);
	check(got == 1, "steps below 5 ns count as none", got, 1);

	/* A fine clock: the nearest rank, as before. */
	for (i = 0; i < 100; i++)
		v[i] = i + 1;
	got = bench_percentile(v, 100, 0.5, 1);
	check(got == 50, "grain 1: p50 of 1..100 is the nearest rank", got, 50);
	got = bench_percentile(v, 100, 0.99, 1);
	check(got == 99, "grain 1: p99 of 1..100 is the nearest rank", got, 99);

	/* A constant 153 ns read on 10 ns steps: 150 or 160 ns per sample. */
	quantized(153, 0, 10, 2);
	got = bench_percentile(v, N, 0.5, 10);
	check(fabs(got - 153) < 1.5, "10 ns steps: p50 of a constant 153 ns within 1.5 ns",
	      got, 153);
	check(bench_percentile(v, N, 0.5, 1) == 150,
	      "the nearest rank of the same samples is a whole step off", bench_percentile(v, N, 0.5, 1),
	      150);
	quantized(157, 0, 10, 3);
	got = bench_percentile(v, N, 0.5, 10);
	check(fabs(got - 157) < 1.5, "10 ns steps: p50 of a constant 157 ns within 1.5 ns",
	      got, 157);

	/* Jitter: 150-170 ns uniform, so p50 160 and p99 169.8. Reading
	 * each on 10 ns steps adds up to a step either way, which widens the
	 * tails: the p99 of what was read lies within a step above 169.8.
	 */
	quantized(150, 20, 10, 4);
	got = bench_percentile(v, N, 0.5, 10);
	check(fabs(got - 160) < 1.5, "10 ns steps: p50 of 150-170 ns uniform within 1.5 ns",
	      got, 160);
	got = bench_percentile(v, N, 0.99, 10);
	check(got > 169 && got < 180, "10 ns steps: p99 of 150-170 ns uniform within a step above",
	      got, 169.8);

	/* A slower round trip never reads as faster: p50 rises with it. */
	prev = 0;
	for (k = 0; k <= 20; k++) {
		quantized(140 + k, 0, 10, 5);
		got = bench_percentile(v, N, 0.5, 10);
		if (got < prev)
			break;
		prev = got;
	}
	check(k > 20, "p50 does not fall as the round trip grows 140-160 ns", prev, 160);

	printf("1..%d\n", cases);
	return failed ? 1 : 0;
}
