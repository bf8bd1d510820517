/* SPDX-License-Identifier: GPL-2.0 */
/* The parent side of kipc bench: options, runs, results and reports. */
#ifndef KIPC_BENCH_DRIVER_H
#define KIPC_BENCH_DRIVER_H

#include <stdio.h>
#include <sys/types.h>

#include "bench.h"

#define BENCH_MAX_SIZES		32
#define BENCH_HIST_BUCKETS	976	/* 16 log-linear buckets per power of two */
#define BENCH_CURVE_POINTS	12
#define BENCH_MAX_ROUNDS	15

struct bench_opts {
	uint64_t sizes[BENCH_MAX_SIZES];
	int nsizes;
	const char *only;		/* comma list of names or groups, NULL: all */
	unsigned int modes;
	bool modes_given;		/* --modes: also what a mechanism has only on request */
	unsigned int workloads;
	uint64_t iterations;		/* 0: the preset's */
	uint64_t table_size;		/* size the main table shows */
	bool quick, check, full_verify, no_floors, pin;
	const char *csv, *json, *png;
	int clock;
	int cpus[2];
	double timeout_s;
	uint32_t spin_ns;		/* --spin-ns: BENCH_MODE_ADAPT's budget, 0: default */
	int rounds;			/* --rounds, 0: one (five with --targets) */
	bool targets;			/* --targets: the goals, their profile */
	uint32_t fault;			/* KIPC_BENCH_FAULT, see bench.h */
	char helper_dir[200];		/* where the exec'd helpers are */
};

enum bench_status { BENCH_OK, BENCH_SKIPPED, BENCH_FAILED };

struct bench_lat {
	double p50, p99, p999, max, min, mean;	/* ns */
};

struct bench_result {
	const struct bench_mech *mech;
	unsigned int mode;		/* 0: the whole mechanism was skipped */
	uint64_t size;
	unsigned int workload;
	enum bench_status status;
	char note[BENCH_ERRLEN];
	uint64_t iterations, warmup;
	struct bench_lat lat;
	uint32_t *hist;			/* BENCH_HIST_BUCKETS counts, latency only */
	double curve_q[BENCH_CURVE_POINTS];	/* percentile -> latency, for the chart */
	double curve_ns[BENCH_CURVE_POINTS];
	int ncurve;
	double msgs_per_s, bytes_per_s;
	/*
	 * CPU time per message (per round trip for latency) of role A and
	 * role B over the measured part, and the share of that part each
	 * spent on a CPU; daemons a mechanism needs are not counted.
	 */
	double cpu_ns[2], cpu_share[2];
	double wall_s;
	int round;			/* 0 .. rounds - 1 */
	bool primary;			/* the round the table shows: the median one */
};

struct bench_machine {
	char cpu_model[128];
	int cpus_online, cpus_allowed;
	char kernel[160];
	char kernel_version[160];
	char arch[80];
	char clocksource[32];
	bool hypervisor;
	long mem_mb;
	char date[40];
	/* Share of the measured CPUs' time the hypervisor gave to someone
	 * else over the whole run (/proc/stat "steal"); -1: unknown.
	 */
	double steal_share;
};

/* sysinfo.c: the measured CPUs' time (/proc/stat, in ticks) so far. */
struct bench_cpu_ticks {
	unsigned long long total, steal;
};

struct bench_report {
	struct bench_result *v;
	size_t n, cap;
	struct bench_machine machine;
	const struct bench_opts *opts;
	double tsc_ns_per_tick;		/* 0: CLOCK_MONOTONIC */
	double clock_grain_ns;		/* the clock's step, 1 if fine (stats.c) */
	int cpus[2];			/* -1: not pinned */
	double total_s;
};

/* options.c */
/* 0, 1 for --list, -1 on a bad option (said on stderr); --help exits. */
int bench_parse_opts(int argc, char **argv, struct bench_opts *o);
bool bench_selected(const struct bench_opts *o, const struct bench_mech *m);
unsigned int bench_modes_to_run(const struct bench_opts *o, const struct bench_mech *m);
void bench_params_for(const struct bench_opts *o, uint64_t size, unsigned int mode,
		      unsigned int workload, uint32_t run_id, struct bench_params *p);

/* error.c: set a result's note (overwriting). */
void bench_note(struct bench_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* cleanup.c */
int bench_cleanup_init(char *err);
void bench_cleanup_all(void);
int bench_interrupted(void);

/* runner.c: one run; fills res (except mech/mode/size/workload). */
struct bench_runner {
	const struct bench_opts *opts;
	double tsc_ns_per_tick;
	double clock_grain_ns;		/* bench_clock_grain(), 1 if fine */
	int cpus[2];			/* -1: no pinning */
};
/* Returns 0, or the signal that interrupted the run. */
int bench_run_once(const struct bench_runner *rn, const struct bench_mech *m,
		   struct bench_mech_env *env, const struct bench_params *params,
		   struct bench_result *res);

/* stats.c */
/* grain: the clock's (bench_clock_grain()), 1 if fine */
void bench_stats_latency(struct bench_result *res, const uint64_t *samples, uint64_t n,
			 double ns_per_unit, double grain);
/* The q-quantile of n sorted samples (ns), interpolated within a tick of
 * grain ns when grain > 1.
 */
double bench_percentile(const uint64_t *sorted, uint64_t n, double q, double grain);
/* The step every difference of two readings of a clock is a multiple of. */
double bench_grain_of(const uint64_t *d, size_t n);
/* The grain of the clock the runs use (BENCH_CLOCK_*), measured now. */
double bench_clock_grain(int clock, double tsc_ns_per_tick);
int bench_hist_bucket(uint64_t ns);
uint64_t bench_hist_lower(int bucket);

/* sysinfo.c */
void bench_machine_probe(struct bench_machine *m);
void bench_cpu_ticks(const int cpus[2], struct bench_cpu_ticks *t);
double bench_steal_share(const struct bench_cpu_ticks *a,
			 const struct bench_cpu_ticks *b);

/* report_*.c */
const struct bench_result *bench_find_result(const struct bench_report *rep,
					     const struct bench_mech *m, unsigned int mode,
					     uint64_t size, unsigned int workload);
void bench_format_size(uint64_t size, char *buf, size_t len);
const char *bench_mode_name(unsigned int mode);
const char *bench_workload_name(unsigned int workload);
void bench_print_table(FILE *out, const struct bench_report *rep);
void bench_print_check(FILE *out, const struct bench_report *rep);
int bench_write_csv(const struct bench_report *rep, const char *path, char *err);
int bench_write_json(const struct bench_report *rep, const char *path, char *err);
int bench_write_png(const struct bench_report *rep, const char *path, char *err);

/* targets.c: issue 9's goals, the --targets profile, the verdict. */
struct bench_goal {
	char what[96];
	char mech[32];
	uint64_t size;
	double value, limit;		/* the ratio (median over rounds) and the goal */
	bool at_least, met;
};
extern const char bench_targets_only[];
extern const uint64_t bench_targets_sizes[];
extern const int bench_targets_nsizes;
extern const struct bench_mech bench_mech_memcpy;	/* measured, not in bench_mechs[] */
bool bench_targets_wants(const struct bench_mech *m, unsigned int mode, uint64_t size,
			 unsigned int workload);
void bench_memcpy_measure(const struct bench_runner *rn, const struct bench_params *p,
			  struct bench_result *res);
void bench_mark_primary(struct bench_report *rep);
int bench_eval_goals(const struct bench_report *rep, struct bench_goal *out, int max);
void bench_verdict(const struct bench_report *rep, uint64_t size, char *buf, size_t len);
void bench_print_goals(FILE *out, const struct bench_report *rep);
double bench_ratio_p50(const struct bench_report *rep, const char *num, const char *den,
		       uint64_t size);

/* The floors every ratio is taken against. */
#define BENCH_FLOOR_LATENCY	"cacheline"
#define BENCH_FLOOR_STREAM	"spsc-ring"

int bench_main(int argc, char **argv);

#endif
