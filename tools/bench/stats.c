// SPDX-License-Identifier: GPL-2.0
/*
 * Latency statistics from every sample: percentiles of the sorted samples,
 * a log-linear histogram (16 buckets per power of two, so within 6.25 %)
 * and a few points of the percentile curve for the chart.
 *
 * Percentiles are the nearest rank, unless the clock is coarse. On the AMD
 * EPYC VMs this was measured on, the TSC moves in steps of 10 ns, and so
 * does CLOCK_MONOTONIC, which it drives: every sample is a multiple of
 * 10 ns, and a p50 of a 150 ns round trip could only move in steps of
 * 6.7 %, coarser than the goals it is compared with (1.06x). With such a
 * grain (bench_grain_of(), measured once per run of kipc bench) a
 * percentile is interpolated within its tick, as for grouped data: the
 * samples of one tick are taken as spread evenly over it. A constant
 * 153 ns, read as 150 ns two times in three and 160 ns otherwise, then
 * has a p50 of 152.5 ns instead of 150.
 */
#include <math.h>
#include <stdlib.h>

#include "bench.h"
#include "driver.h"

#define SUB_BITS	4
#define SUB		(1 << SUB_BITS)

int bench_hist_bucket(uint64_t ns)
{
	int e;

	if (ns < SUB)
		return (int)ns;
	e = 63 - __builtin_clzll(ns);
	return (e - SUB_BITS + 1) * SUB + (int)((ns >> (e - SUB_BITS)) & (SUB - 1));
}

uint64_t bench_hist_lower(int bucket)
{
	int e;

	if (bucket < SUB)
		return (uint64_t)bucket;
	e = bucket / SUB + SUB_BITS - 1;
	return ((uint64_t)SUB + (uint64_t)(bucket % SUB)) << (e - SUB_BITS);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double rank(const uint64_t *sorted, uint64_t n, double q)
{
	uint64_t i = (uint64_t)ceil(q * (double)n);

	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return (double)sorted[i - 1];
}

/* The tick a sample of ns nanoseconds was read in, with the grain g. */
static int64_t tick_of(uint64_t ns, double g)
{
	return (int64_t)floor((double)ns / g + 0.5);
}

/* The first of n sorted samples read in a tick after tick k (n if none). */
static uint64_t after_tick(const uint64_t *sorted, uint64_t n, int64_t k, double g)
{
	uint64_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (tick_of(sorted[mid], g) <= k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

double bench_percentile(const uint64_t *sorted, uint64_t n, double q, double grain)
{
	uint64_t below, in;
	double t, v;
	int64_t k;

	if (!n)
		return 0;
	v = rank(sorted, n, q);
	if (grain <= 1)
		return v;
	/* the samples of v's tick: in of them, after the first below */
	k = tick_of((uint64_t)v, grain);
	below = after_tick(sorted, n, k - 1, grain);
	in = after_tick(sorted, n, k, grain) - below;
	t = q * (double)n - (double)below;
	if (t < 0)
		t = 0;
	if (t > (double)in)
		t = (double)in;
	return ((double)k - 0.5 + t / (double)in) * grain;
}

/*
 * The grain of a clock from n differences of two readings: the largest
 * step of 5 to 100 ns of which nearly all (98 %) are a multiple, give or
 * take the nanosecond that converting TSC ticks adds; 1 when there is
 * none. A step below 5 ns is too fine to matter, and too fine to tell
 * from chance at that tolerance. The differences should spread over many
 * steps (readings around loops of varying length), or any step fits.
 */
double bench_grain_of(const uint64_t *d, size_t n)
{
	uint64_t g, r;
	size_t i, fit;

	if (n < 100)
		return 1;
	for (g = 100; g >= 5; g--) {
		for (i = 0, fit = 0; i < n; i++) {
			r = d[i] % g;
			fit += r <= 1 || r == g - 1;
		}
		if (fit * 100 >= n * 98)
			return (double)g;
	}
	return 1;
}

double bench_clock_grain(int clock, double tsc_ns_per_tick)
{
	struct bench_params p = { .clock = clock };
	double unit = tsc_ns_per_tick > 0 ? tsc_ns_per_tick : 1;
	static uint64_t d[2000];
	volatile unsigned int spin;
	uint64_t t0, t1;
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		t0 = bench_now(&p);
		for (spin = 0; spin < i % 97 * 3; spin++)
			;
		t1 = bench_now(&p);
		d[i] = (uint64_t)((double)(t1 - t0) * unit + 0.5);
	}
	return bench_grain_of(d, sizeof(d) / sizeof(d[0]));
}

void bench_stats_latency(struct bench_result *res, const uint64_t *samples, uint64_t n,
			 double ns_per_unit, double grain)
{
	static const double curve[BENCH_CURVE_POINTS] = {
		0, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999, 1, 1, 1
	};
	uint64_t *ns, i;
	double sum = 0;
	int c;

	if (!n)
		return;
	ns = malloc(n * sizeof(*ns));
	res->hist = calloc(BENCH_HIST_BUCKETS, sizeof(*res->hist));
	if (!ns || !res->hist) {
		free(ns);
		return;
	}
	for (i = 0; i < n; i++) {
		ns[i] = (uint64_t)((double)samples[i] * ns_per_unit + 0.5);
		sum += (double)ns[i];
		res->hist[bench_hist_bucket(ns[i])]++;
	}
	qsort(ns, n, sizeof(*ns), cmp_u64);
	res->lat.min = (double)ns[0];
	res->lat.max = (double)ns[n - 1];
	res->lat.mean = sum / (double)n;
	res->lat.p50 = bench_percentile(ns, n, 0.50, grain);
	res->lat.p99 = bench_percentile(ns, n, 0.99, grain);
	res->lat.p999 = bench_percentile(ns, n, 0.999, grain);

	/* the curve stops where the samples stop carrying information */
	res->ncurve = 0;
	for (c = 0; c < BENCH_CURVE_POINTS; c++) {
		double q = curve[c];

		if (q >= 1 || (q > 0 && (1 - q) * (double)n < 1))
			break;
		res->curve_q[res->ncurve] = q;
		res->curve_ns[res->ncurve++] = bench_percentile(ns, n, q, grain);
	}
	res->curve_q[res->ncurve] = 1;
	res->curve_ns[res->ncurve++] = res->lat.max;
	free(ns);
}
