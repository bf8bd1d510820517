// SPDX-License-Identifier: GPL-2.0
/*
 * Latency statistics from every sample: exact percentiles (nearest rank on
 * the sorted samples), a log-linear histogram (16 buckets per power of two,
 * so within 6.25 %) and a few points of the percentile curve for the chart.
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

void bench_stats_latency(struct bench_result *res, const uint64_t *samples, uint64_t n,
			 double ns_per_unit)
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
	res->lat.p50 = rank(ns, n, 0.50);
	res->lat.p99 = rank(ns, n, 0.99);
	res->lat.p999 = rank(ns, n, 0.999);

	/* the curve stops where the samples stop carrying information */
	res->ncurve = 0;
	for (c = 0; c < BENCH_CURVE_POINTS; c++) {
		double q = curve[c];

		if (q >= 1 || (q > 0 && (1 - q) * (double)n < 1))
			break;
		res->curve_q[res->ncurve] = q;
		res->curve_ns[res->ncurve++] = rank(ns, n, q);
	}
	res->curve_q[res->ncurve] = 1;
	res->curve_ns[res->ncurve++] = res->lat.max;
	free(ns);
}
