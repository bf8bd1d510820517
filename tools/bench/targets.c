// SPDX-License-Identifier: GPL-2.0
/*
 * The goals for kipc (issue 9, section 2), evaluated on one run:
 * the --targets profile (what to measure, in interleaved rounds), the
 * memcpy reference for big streams, the per-size table against the two
 * floors, the list of goals met or missed, and the one-line verdict the
 * chart puts under its title. Informative only: a missed goal never
 * changes the exit status. With several rounds every ratio is the median
 * of the ratios within each round, so a floor and kipc are always compared
 * at the same moment of a noisy machine.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "driver.h"

#define FLOOR_PAYLOAD	"payload-floor"
#define FLOOR_WALK	"payload-walk"
#define FLOOR_RO	"cacheline-ro"
#define FLOOR_BLOCK	"eventfd"

/* What --targets measures when --only is not given. */
const char bench_targets_only[] =
	"cacheline,cacheline-ro,payload-floor,payload-walk,spsc-ring,eventfd,kipc-shm,kipc-shm-zc,"
	"kipc-dev,kipc-dev-zc";
const uint64_t bench_targets_sizes[] = { 8, 32, 56, 64, 256, 4096, 65536, 1048576 };
const int bench_targets_nsizes = 8;

#define BLOCK_SIZE	64	/* blocking and spin-then-sleep round trips: one size */
#define LAT_MAX		4096	/* the latency goals stop at 4 KiB */

/* The runs the goals need (the rest of a mechanism's matrix is left out). */
bool bench_targets_wants(const struct bench_mech *m, unsigned int mode, uint64_t size,
			 unsigned int workload)
{
	bool kipc = !strcmp(m->group, "kipc");

	if (mode == BENCH_MODE_POLL && workload == BENCH_LATENCY)
		return size <= LAT_MAX;
	if (mode == BENCH_MODE_POLL && workload == BENCH_STREAM)
		return kipc || !strcmp(m->name, BENCH_FLOOR_STREAM);
	if (workload == BENCH_LATENCY)
		return size == BLOCK_SIZE && (kipc || mode == BENCH_MODE_BLOCK);
	return false;
}

/* ------------------------------------------------------------------ */
/* memcpy: the reference of 64 KiB - 1 MiB streams                     */

const struct bench_mech bench_mech_memcpy = {
	.name = "memcpy",
	.group = "floor",
	.summary = "single-core memcpy from a source four messages long (the targets' reference)",
	.modes = BENCH_MODE_POLL,
	.workloads = BENCH_STREAM,
};

/*
 * One core copying messages of p->size from a source four messages long,
 * cycled as a ring is, into one destination: p->iterations copies after
 * p->warmup, on role B's CPU (the receiver's, which copies out of kipc).
 */
void bench_memcpy_measure(const struct bench_runner *rn, const struct bench_params *p,
			  struct bench_result *res)
{
	double *gbps = mmap(NULL, sizeof(double), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	size_t size = (size_t)p->size;
	int status;
	pid_t pid;

	res->status = BENCH_FAILED;
	res->iterations = p->iterations;
	res->warmup = p->warmup;
	if (gbps == MAP_FAILED) {
		bench_note(res, "mmap: %s", strerror(errno));
		return;
	}
	*gbps = 0;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char *src = malloc(4 * size), *dst = malloc(size);
		uint64_t i, t0 = 0, n = p->warmup + p->iterations;
		cpu_set_t set;

		bench_child_prepare();
		if (rn->cpus[1] >= 0) {
			CPU_ZERO(&set);
			CPU_SET(rn->cpus[1], &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		if (!src || !dst)
			_exit(1);
		memset(src, 3, 4 * size);
		memset(dst, 4, size);
		for (i = 0; i < n; i++) {
			if (i == p->warmup)
				t0 = bench_mono_ns();
			memcpy(dst, src + (i % 4) * size, size);
			/* the copy is not dead: the compiler must do every one */
			__asm__ __volatile__("" : : "r"(dst) : "memory");
		}
		*gbps = (double)p->iterations * (double)size /
			(double)(bench_mono_ns() - t0 + 1);
		_exit(0);
	}
	if (pid < 0) {
		bench_note(res, "fork: %s", strerror(errno));
	} else if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status) &&
		   *gbps > 0) {
		res->status = BENCH_OK;
		res->bytes_per_s = *gbps * 1e9;
		res->msgs_per_s = res->bytes_per_s / (double)size;
	} else {
		bench_note(res, "the memcpy process failed");
	}
	munmap(gbps, sizeof(double));
}

/* ------------------------------------------------------------------ */
/* Rounds                                                              */

static bool same_key(const struct bench_result *a, const struct bench_result *b)
{
	return a->mech == b->mech && a->mode == b->mode && a->size == b->size &&
	       a->workload == b->workload;
}

static double figure(const struct bench_result *r)
{
	return r->workload == BENCH_LATENCY ? r->lat.p50 : r->msgs_per_s;
}

/*
 * The table, matrices and chart show one result per run: with several
 * rounds, the round with the median p50 (or throughput); a run that failed
 * or was skipped in any round shows that round instead.
 */
void bench_mark_primary(struct bench_report *rep)
{
	const struct bench_result *same[BENCH_MAX_ROUNDS];
	size_t i, j;
	int n, k, below, pick;

	for (i = 0; i < rep->n; i++)
		rep->v[i].primary = false;
	for (i = 0; i < rep->n; i++) {
		struct bench_result *r = &rep->v[i];
		bool seen = false, bad = false;

		for (j = 0; j < i && !seen; j++)
			seen = same_key(&rep->v[j], r);
		if (seen)
			continue;
		for (j = i, n = 0; j < rep->n && n < BENCH_MAX_ROUNDS; j++) {
			if (!same_key(&rep->v[j], r))
				continue;
			if (rep->v[j].status != BENCH_OK && !bad) {
				bad = true;
				rep->v[j].primary = true;
			}
			same[n++] = &rep->v[j];
		}
		if (bad)
			continue;
		/* the lower median: as many rounds below it as above, or one fewer */
		for (pick = 0, k = 0; k < n; k++) {
			int m;

			for (m = 0, below = 0; m < n; m++)
				below += figure(same[m]) < figure(same[k]) ||
					 (figure(same[m]) == figure(same[k]) && m < k);
			if (below == (n - 1) / 2)
				pick = k;
		}
		((struct bench_result *)same[pick])->primary = true;
	}
}

/* ------------------------------------------------------------------ */
/* Ratios                                                              */

enum stat { P50, P99, RATE, BYTES };

static double stat_of(const struct bench_result *r, enum stat s)
{
	switch (s) {
	case P50:
		return r->lat.p50;
	case P99:
		return r->lat.p99;
	case RATE:
		return r->msgs_per_s;
	default:
		return r->bytes_per_s;
	}
}

static const struct bench_mech *mech_named(const char *name)
{
	return strcmp(name, "memcpy") ? bench_find_mech(name) : &bench_mech_memcpy;
}

static const struct bench_result *in_round(const struct bench_report *rep,
					   const struct bench_mech *m, unsigned int mode,
					   uint64_t size, unsigned int workload, int round)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->v[i];

		if (r->mech == m && r->mode == mode && r->size == size &&
		    r->workload == workload && r->round == round && r->status == BENCH_OK)
			return r;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct side {
	const char *name;
	unsigned int mode, workload;
	enum stat stat;
};

#define LAT(m, s)	{ m, BENCH_MODE_POLL, BENCH_LATENCY, s }
#define STR(m, s)	{ m, BENCH_MODE_POLL, BENCH_STREAM, s }

/* Median over the rounds of num/den measured in the same round; 0 when never both. */
static double ratio(const struct bench_report *rep, uint64_t size, const struct side *num,
		    const struct side *den)
{
	const struct bench_mech *mn = mech_named(num->name), *md = mech_named(den->name);
	double v[BENCH_MAX_ROUNDS];
	int round, n = 0;

	if (!mn || !md)
		return 0;
	for (round = 0; round < BENCH_MAX_ROUNDS; round++) {
		const struct bench_result *a = in_round(rep, mn, num->mode, size, num->workload,
							round),
			*b = in_round(rep, md, den->mode, size, den->workload, round);

		if (a && b && stat_of(b, den->stat) > 0)
			v[n++] = stat_of(a, num->stat) / stat_of(b, den->stat);
	}
	if (!n)
		return 0;
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Busy-poll round-trip p50 of num over den's at one size (median over rounds), 0: not both. */
double bench_ratio_p50(const struct bench_report *rep, const char *num, const char *den,
		       uint64_t size)
{
	struct side a = LAT(num, P50), b = LAT(den, P50);

	return ratio(rep, size, &a, &b);
}

static int rounds_of(const struct bench_report *rep)
{
	int n = 0;
	size_t i;

	for (i = 0; i < rep->n; i++)
		if (rep->v[i].round + 1 > n)
			n = rep->v[i].round + 1;
	return n;
}

/* ------------------------------------------------------------------ */
/* Goals                                                               */

struct goal_def {
	const char *what;		/* printf format: %s is the kipc mechanism */
	const char *suffix;		/* "" (copying) or "-zc" */
	struct side num, den;		/* den.name NULL: the kipc mechanism itself */
	uint64_t min_size, max_size;	/* where the goal applies */
	double limit;
	bool at_least;			/* ratio >= limit, else <= limit */
};

static const struct goal_def goals[] = {
	{ "%s RT p50 <= 1.15x cacheline p50 (<= 56 B)", "", LAT(NULL, P50),
	  LAT(BENCH_FLOOR_LATENCY, P50), 8, 56, 1.15, false },
	{ "%s RT p50 <= 1.10x payload-floor p50 (8 B-4 KiB)", "", LAT(NULL, P50),
	  LAT(FLOOR_PAYLOAD, P50), 8, 4096, 1.10, false },
	{ "%s RT p99 <= 1.5x cacheline p99 (<= 64 B)", "", LAT(NULL, P99),
	  LAT(BENCH_FLOOR_LATENCY, P99), 8, 64, 1.5, false },
	{ "%s RT p50 <= 1.06x cacheline p50 (32 B, Aeron)", "-zc", LAT(NULL, P50),
	  LAT(BENCH_FLOOR_LATENCY, P50), 32, 32, 1.06, false },
	{ "%s RT p50 <= 1.09x cacheline p50 (64 B, Aeron)", "-zc", LAT(NULL, P50),
	  LAT(BENCH_FLOOR_LATENCY, P50), 64, 64, 1.09, false },
	{ "%s RT p50 <= 1.5x cacheline p50 (256 B, Aeron)", "-zc", LAT(NULL, P50),
	  LAT(BENCH_FLOOR_LATENCY, P50), 256, 256, 1.5, false },
	{ "%s RT p99 <= 1.4x cacheline p50 (32 B, Aeron)", "-zc", LAT(NULL, P99),
	  LAT(BENCH_FLOOR_LATENCY, P50), 32, 32, 1.4, false },
	{ "%s stream >= 1.5x spsc-ring msg/s (8-64 B)", "", STR(NULL, RATE),
	  STR(BENCH_FLOOR_STREAM, RATE), 8, 64, 1.5, true },
	{ "%s stream >= 0.8x memcpy GB/s (64 KiB-1 MiB)", "", STR(NULL, BYTES),
	  STR("memcpy", BYTES), 65536, 1048576, 0.8, true },
	{ "%s adapt RT p50 <= 1.5x its poll p50", "",
	  { NULL, BENCH_MODE_ADAPT, BENCH_LATENCY, P50 }, LAT(NULL, P50), 8, 4096, 1.5, false },
	{ "%s block RT p50 <= 1.05x eventfd p50", "",
	  { NULL, BENCH_MODE_BLOCK, BENCH_LATENCY, P50 },
	  { FLOOR_BLOCK, BENCH_MODE_BLOCK, BENCH_LATENCY, P50 }, 8, 4096, 1.05, false },
};

int bench_eval_goals(const struct bench_report *rep, struct bench_goal *out, int max)
{
	static const char *const kipcs[] = { "kipc-shm", "kipc-dev" };
	const struct bench_opts *o = rep->opts;
	char name[32];
	size_t g;
	int t, s, n = 0;

	for (t = 0; t < 2; t++) {
		for (g = 0; g < sizeof(goals) / sizeof(goals[0]); g++) {
			struct goal_def d = goals[g];

			snprintf(name, sizeof(name), "%s%s", kipcs[t], d.suffix);
			if (!bench_find_mech(name))
				continue;
			d.num.name = name;
			if (!d.den.name)
				d.den.name = name;
			for (s = 0; s < o->nsizes && n < max; s++) {
				uint64_t size = o->sizes[s];
				double x;

				if (size < d.min_size || size > d.max_size)
					continue;
				x = ratio(rep, size, &d.num, &d.den);
				if (!x)
					continue;
				snprintf(out[n].what, sizeof(out[n].what), d.what, name);
				snprintf(out[n].mech, sizeof(out[n].mech), "%s", name);
				out[n].size = size;
				out[n].value = x;
				out[n].limit = d.limit;
				out[n].at_least = d.at_least;
				out[n].met = d.at_least ? x >= d.limit : x <= d.limit;
				n++;
			}
		}
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* The verdict                                                         */

static bool classic(const struct bench_mech *m)
{
	return strcmp(m->group, "kipc") && strcmp(m->group, "floor");
}

/* "kipc-shm: 1.40x the line floor at 64 B (zero-copy 1.20x); 8.0x faster than iceoryx poll" */
void bench_verdict(const struct bench_report *rep, uint64_t size, char *buf, size_t len)
{
	static const struct side line = LAT(BENCH_FLOOR_LATENCY, P50);
	static const char *const kipcs[] = { "kipc-shm", "kipc-dev" };
	const struct bench_result *k = NULL, *best = NULL;
	const char *name = NULL;
	struct side kp = LAT(NULL, P50);
	char zc[32], sz[32], more[128] = "";
	double x = 0, z;
	size_t i, n;
	int t;

	for (t = 0; t < 2 && !k; t++) {
		const struct bench_mech *m = bench_find_mech(kipcs[t]);

		k = m ? bench_find_result(rep, m, BENCH_MODE_POLL, size, BENCH_LATENCY) : NULL;
		if (k && k->status != BENCH_OK)
			k = NULL;
		name = kipcs[t];
	}
	bench_format_size(size, sz, sizeof(sz));
	if (!k) {
		snprintf(buf, len, "no kipc busy-poll round trip at %s in this run", sz);
		return;
	}
	kp.name = name;
	x = ratio(rep, size, &kp, &line);
	n = (size_t)snprintf(buf, len, "%s: ", name);
	if (x)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%.2fx the line floor at %s",
				      x, sz);
	else
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%.2f us round trip at %s",
				      k->lat.p50 / 1000, sz);
	snprintf(zc, sizeof(zc), "%s-zc", name);
	kp.name = zc;
	z = x ? ratio(rep, size, &kp, &line) : 0;
	if (z)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, " (zero-copy %.2fx)", z);
	/* the fastest round trip of something a user would pick instead, iceoryx if measured */
	for (i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->v[i];

		bool ix = !strcmp(r->mech->name, "iceoryx"), best_ix;

		if (!r->primary || r->status != BENCH_OK || r->size != size ||
		    r->workload != BENCH_LATENCY || !classic(r->mech))
			continue;
		best_ix = best && !strcmp(best->mech->name, "iceoryx");
		if (!best || (ix && !best_ix) || (ix == best_ix && r->lat.p50 < best->lat.p50))
			best = r;
	}
	if (best)
		snprintf(more, sizeof(more), "; %.1fx faster than %s %s", best->lat.p50 / k->lat.p50,
			 best->mech->name, bench_mode_name(best->mode));
	snprintf(buf + n, n < len ? len - n : 0, "%s", more);
}

/* ------------------------------------------------------------------ */
/* The section                                                         */

static void fmt_us(const struct bench_result *r, double ns, char *buf, size_t len)
{
	if (!r)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, ns < 100000 ? "%.3f" : "%.1f", ns / 1000);
}

static void fmt_ratio(double x, char *buf, size_t len)
{
	if (x)
		snprintf(buf, len, "%.2f", x);
	else
		snprintf(buf, len, "-");
}

static void fmt_cpu(const struct bench_result *r, char *buf, size_t len)
{
	if (!r)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f/%.2f", r->cpu_ns[0] / 1000, r->cpu_ns[1] / 1000);
}

static const struct bench_result *primary_ok(const struct bench_report *rep, const char *name,
					     unsigned int mode, uint64_t size, unsigned int wl)
{
	const struct bench_mech *m = mech_named(name);
	const struct bench_result *r = m ? bench_find_result(rep, m, mode, size, wl) : NULL;

	return r && r->status == BENCH_OK ? r : NULL;
}

/* kipc-T and kipc-T-zc against both floors, every size: issue 9's table. */
static void print_floor_table(FILE *out, const struct bench_report *rep, const char *kipc)
{
	static const struct side line = LAT(BENCH_FLOOR_LATENCY, P50),
		payload = LAT(FLOOR_PAYLOAD, P50), walk = LAT(FLOOR_WALK, P50),
		ro = LAT(FLOOR_RO, P50), line99 = LAT(BENCH_FLOOR_LATENCY, P99);
	const struct bench_opts *o = rep->opts;
	const struct bench_result *cl, *pf, *k, *z;
	char zc[32], sz[16], c[14][24];
	struct side kp = LAT(kipc, P50), k99 = LAT(kipc, P99), zp = LAT(zc, P50);
	bool head = false;
	int s;

	snprintf(zc, sizeof(zc), "%s-zc", kipc);
	for (s = 0; s < o->nsizes; s++) {
		uint64_t size = o->sizes[s];

		cl = primary_ok(rep, BENCH_FLOOR_LATENCY, BENCH_MODE_POLL, size, BENCH_LATENCY);
		pf = primary_ok(rep, FLOOR_PAYLOAD, BENCH_MODE_POLL, size, BENCH_LATENCY);
		k = primary_ok(rep, kipc, BENCH_MODE_POLL, size, BENCH_LATENCY);
		z = primary_ok(rep, zc, BENCH_MODE_POLL, size, BENCH_LATENCY);
		if (!k && !z)
			continue;
		if (!head) {
			fprintf(out, "\n%s against the floors: busy-poll round trips (us), CPU us per "
				"round trip of A/B\n", kipc);
			fprintf(out, "%-7s %7s %7s | %7s %7s %11s %6s %6s %6s %6s %6s | %7s %7s "
				"%11s %6s\n", "size", "line", "payload", "copy", "p99", "cpu A/B",
				"xline", "xpay", "xwalk", "xro", "p99x", "zc", "p99", "cpu A/B",
				"xline");
			head = true;
		}
		bench_format_size(size, sz, sizeof(sz));
		fmt_us(cl, cl ? cl->lat.p50 : 0, c[0], 24);
		fmt_us(pf, pf ? pf->lat.p50 : 0, c[1], 24);
		fmt_us(k, k ? k->lat.p50 : 0, c[2], 24);
		fmt_us(k, k ? k->lat.p99 : 0, c[3], 24);
		fmt_cpu(k, c[4], 24);
		fmt_ratio(ratio(rep, size, &kp, &line), c[5], 24);
		fmt_ratio(ratio(rep, size, &kp, &payload), c[6], 24);
		fmt_ratio(ratio(rep, size, &kp, &walk), c[7], 24);
		fmt_ratio(ratio(rep, size, &kp, &ro), c[8], 24);
		fmt_ratio(ratio(rep, size, &k99, &line99), c[9], 24);
		fmt_us(z, z ? z->lat.p50 : 0, c[10], 24);
		fmt_us(z, z ? z->lat.p99 : 0, c[11], 24);
		fmt_cpu(z, c[12], 24);
		fmt_ratio(ratio(rep, size, &zp, &line), c[13], 24);
		fprintf(out, "%-7s %7s %7s | %7s %7s %11s %6s %6s %6s %6s %6s | %7s %7s %11s %6s\n",
			sz, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10],
			c[11], c[12], c[13]);
	}
	if (head) {
		fprintf(out, "xline, xpay, xwalk: p50 / cacheline's, / payload-floor's, / "
			"payload-walk's (the payload floor moving on\nthrough %u KiB a direction, as "
			"a ring does: not a goal, what moving on costs); p99x: p99 / cacheline's "
			"p99\n", BENCH_RING_BYTES >> 10);
		double x = 0;

		for (s = 0; s < o->nsizes && !x; s++) {
			x = ratio(rep, o->sizes[s], &ro, &line);
			bench_format_size(o->sizes[s], sz, sizeof(sz));
		}
		fmt_ratio(x, c[0], 24);
		fprintf(out, "xro: p50 / cacheline-ro's, the line read through a read-only "
			"mapping, as kipc's page roles read a\npeer's ring (not a goal; what that "
			"costs by itself: cacheline-ro / cacheline %s%s%s)\n", c[0],
			x ? " at " : "", x ? sz : "");
	}
}

/* Blocking and spin-then-sleep next to busy-poll: latency at what CPU cost. */
static void print_wait_table(FILE *out, const struct bench_report *rep, const char *kipc)
{
	static const unsigned int modes[] = { BENCH_MODE_POLL, BENCH_MODE_ADAPT, BENCH_MODE_BLOCK };
	const struct bench_opts *o = rep->opts;
	const struct bench_result *r;
	char sz[16], p50[24], p99[24], cpu[24], share[32];
	bool head = false;
	int s, i;

	for (s = 0; s < o->nsizes; s++) {
		const char *names[] = { kipc, FLOOR_BLOCK };
		int nm;

		/* only sizes where kipc ran in some other mode than poll */
		if (!primary_ok(rep, kipc, BENCH_MODE_BLOCK, o->sizes[s], BENCH_LATENCY) &&
		    !primary_ok(rep, kipc, BENCH_MODE_ADAPT, o->sizes[s], BENCH_LATENCY))
			continue;
		for (nm = 0; nm < 2; nm++)
			for (i = 0; i < 3; i++) {
				r = primary_ok(rep, names[nm], modes[i], o->sizes[s], BENCH_LATENCY);
				if (!r)
					continue;
				if (!head) {
					fprintf(out, "\nWait modes: round trips (us) and CPU per "
						"round trip (us, share of the run) of A/B\n");
					head = true;
				}
				bench_format_size(o->sizes[s], sz, sizeof(sz));
				fmt_us(r, r->lat.p50, p50, sizeof(p50));
				fmt_us(r, r->lat.p99, p99, sizeof(p99));
				fmt_cpu(r, cpu, sizeof(cpu));
				snprintf(share, sizeof(share), "%.0f%%/%.0f%%",
					 r->cpu_share[0] * 100, r->cpu_share[1] * 100);
				fprintf(out, "  %-13s %-6s %-7s p50 %8s  p99 %8s  cpu %11s  %s\n",
					names[nm], bench_mode_name(modes[i]), sz, p50, p99, cpu,
					share);
			}
	}
}

void bench_print_goals(FILE *out, const struct bench_report *rep)
{
	struct bench_goal g[128];
	char sz[16], how[48], verdict[256];
	int n = bench_eval_goals(rep, g, 128), i, met = 0, rounds = rounds_of(rep);
	size_t k;
	bool any = false;

	for (k = 0; k < rep->n && !any; k++)
		any = rep->v[k].status == BENCH_OK && !strcmp(rep->v[k].mech->group, "kipc");
	if (!any)
		return;
	fprintf(out, "\nTargets (issue 9): ratios of two runs of the same round%s. Informative "
		"only:\na MISS never fails the run.\n", rounds > 1 ? ", medians over the rounds" : "");
	bench_verdict(rep, 64, verdict, sizeof(verdict));
	fprintf(out, "Verdict: %s\n", verdict);
	print_floor_table(out, rep, "kipc-shm");
	print_floor_table(out, rep, "kipc-dev");
	print_wait_table(out, rep, "kipc-shm");
	print_wait_table(out, rep, "kipc-dev");
	if (n)
		fprintf(out, "\nGoals\n");
	for (i = 0; i < n; i++) {
		bench_format_size(g[i].size, sz, sizeof(sz));
		/* three decimals: 1.053 is a MISS of 1.05, which %.2f would hide */
		snprintf(how, sizeof(how), "%.3fx at %s", g[i].value, sz);
		fprintf(out, "  %-58s %-20s %s\n", g[i].what, how, g[i].met ? "PASS" : "MISS");
		met += g[i].met;
	}
	if (n)
		fprintf(out, "  %d of %d met\n", met, n);
	else
		fprintf(out, "\nGoals: n/a (needs the floors and kipc rows of one run: "
			"kipc bench --targets)\n");
}
