// SPDX-License-Identifier: GPL-2.0
/*
 * kipc bench: the IPC mechanisms a user would otherwise pick, measured side
 * by side on this machine, under the same rules (README.md, "Fairness").
 * bench_main() is the entry point of both kipc-bench and `kipc bench`.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "driver.h"

static int cur_round;

static struct bench_result *add_result(struct bench_report *rep, const struct bench_mech *m,
				       unsigned int mode, uint64_t size, unsigned int workload)
{
	struct bench_result *res;

	if (rep->n == rep->cap) {
		size_t cap = rep->cap ? rep->cap * 2 : 64;
		struct bench_result *v = realloc(rep->v, cap * sizeof(*v));

		if (!v) {
			fprintf(stderr, "kipc bench: out of memory\n");
			exit(1);
		}
		rep->v = v;
		rep->cap = cap;
	}
	res = &rep->v[rep->n++];
	memset(res, 0, sizeof(*res));
	res->mech = m;
	res->mode = mode;
	res->size = size;
	res->workload = workload;
	res->round = cur_round;
	res->primary = true;
	return res;
}

static int pick_cpus(const struct bench_opts *o, int cpus[2], bool *single)
{
	cpu_set_t set;
	int i, n = 0;

	cpus[0] = cpus[1] = -1;
	*single = false;
	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	if (CPU_COUNT(&set) < 2) {
		*single = true;
		return 0;
	}
	if (!o->pin)
		return 0;
	if (o->cpus[0] >= 0) {
		if (!CPU_ISSET(o->cpus[0], &set) || !CPU_ISSET(o->cpus[1], &set)) {
			fprintf(stderr, "kipc bench: --cpus %d,%d: not both allowed here\n",
				o->cpus[0], o->cpus[1]);
			return -1;
		}
		cpus[0] = o->cpus[0];
		cpus[1] = o->cpus[1];
		return 0;
	}
	for (i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &set))
			cpus[n++] = i;
	return 0;
}

struct progress {
	bool tty;
	int done, total;
};

static void progress_show(struct progress *pg, const struct bench_mech *m, unsigned int mode,
			  uint64_t size, unsigned int workload)
{
	char sz[32];

	if (!pg->tty)
		return;
	bench_format_size(size, sz, sizeof(sz));
	fprintf(stderr, "\r\033[K[%3d/%d] %s %s %s %s", pg->done + 1, pg->total, m->name,
		bench_mode_name(mode), sz, bench_workload_name(workload));
	fflush(stderr);
}

static void progress_mech_done(struct progress *pg, const struct bench_mech *m,
			       const struct bench_report *rep, size_t first, double secs)
{
	size_t i, ok = 0, skipped = 0, bad = 0;

	for (i = first; i < rep->n; i++) {
		ok += rep->v[i].status == BENCH_OK;
		skipped += rep->v[i].status == BENCH_SKIPPED;
		bad += rep->v[i].status == BENCH_FAILED;
	}
	if (pg->tty)
		fprintf(stderr, "\r\033[K");
	if (!pg->tty || bad)
		fprintf(stderr, "kipc bench: %-15s %zu ok, %zu skipped, %zu failed (%.1f s)\n",
			m->name, ok, skipped, bad, secs);
}

/* The runs of mechanism m this invocation makes (one round). */
static bool wanted(const struct bench_opts *o, const struct bench_mech *m, unsigned int mode,
		   uint64_t size, unsigned int wl)
{
	return (bench_modes_to_run(o, m) & mode) && (m->workloads & o->workloads & wl) &&
	       (!o->targets || bench_targets_wants(m, mode, size, wl));
}

static int count_runs(const struct bench_opts *o, const struct bench_mech *m)
{
	unsigned int mode, wl;
	int n = 0, s;

	for (mode = BENCH_MODE_POLL; mode <= BENCH_MODE_LAST; mode <<= 1)
		for (wl = BENCH_LATENCY; wl <= BENCH_STREAM; wl <<= 1)
			for (s = 0; s < o->nsizes; s++)
				n += wanted(o, m, mode, o->sizes[s], wl);
	return n;
}

/* Returns the signal that interrupted us, or 0. */
static int run_mech(const struct bench_runner *rn, const struct bench_mech *m,
		    struct bench_report *rep, struct progress *pg, bool single_cpu,
		    uint32_t *run_id)
{
	const struct bench_opts *o = rn->opts;
	struct bench_mech_env env = { .tmpdir = bench_tmpdir() };
	struct bench_result *res;
	struct bench_params p;
	const char *why;
	char note[BENCH_ERRLEN];
	int ret, s, interrupted = 0;
	unsigned int mode, wl;

	why = m->available ? m->available() : NULL;
	if (why) {
		res = add_result(rep, m, 0, 0, 0);
		res->status = BENCH_SKIPPED;
		bench_note(res, "%s", why);
		pg->done += count_runs(o, m);
		return 0;
	}
	ret = m->start ? m->start(&env) : 0;
	if (ret) {
		res = add_result(rep, m, 0, 0, 0);
		res->status = ret > 0 ? BENCH_SKIPPED : BENCH_FAILED;
		bench_note(res, "%s", env.error[0] ? env.error : "start failed");
		if (m->stop)
			m->stop(&env);
		pg->done += count_runs(o, m);
		return 0;
	}
	for (mode = BENCH_MODE_POLL; mode <= BENCH_MODE_LAST && !interrupted; mode <<= 1) {
		if (!(bench_modes_to_run(o, m) & mode))
			continue;
		for (s = 0; s < o->nsizes && !interrupted; s++) {
			for (wl = BENCH_LATENCY; wl <= BENCH_STREAM && !interrupted; wl <<= 1) {
				if (!wanted(o, m, mode, o->sizes[s], wl))
					continue;
				progress_show(pg, m, mode, o->sizes[s], wl);
				res = add_result(rep, m, mode, o->sizes[s], wl);
				note[0] = 0;
				why = m->size_unsupported ?
				      m->size_unsupported(o->sizes[s], note, sizeof(note)) : NULL;
				if (why) {
					res->status = BENCH_SKIPPED;
					bench_note(res, "%s", why);
				} else {
					bench_params_for(o, o->sizes[s], mode, wl, (*run_id)++, &p);
					/* --check times nothing: spinning must not starve a loaded machine */
					p.spin_yield = single_cpu || o->check;
					interrupted = bench_run_once(rn, m, &env, &p, res);
				}
				pg->done++;
				if (!interrupted)
					interrupted = bench_interrupted();
			}
		}
	}
	if (m->stop)
		m->stop(&env);
	return interrupted;
}

/* "poll,block", "block(+poll)": the default modes, then the opt-in ones. */
static const char *modes_desc(const struct bench_mech *m, char *buf, size_t len)
{
	unsigned int mode, def = m->default_modes ? m->default_modes : m->modes;
	size_t n = 0;
	int pass;

	buf[0] = 0;
	for (pass = 0; pass < 2; pass++)
		for (mode = BENCH_MODE_POLL; mode <= BENCH_MODE_LAST; mode <<= 1) {
			if (!(m->modes & mode) || (int)!(def & mode) != pass)
				continue;
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s%s",
					      pass ? "(+" : n ? "," : "", bench_mode_name(mode),
					      pass ? ")" : "");
		}
	return buf;
}

/* --targets: the memcpy reference at each streamed size of 64 KiB and more. */
static void run_memcpy(const struct bench_runner *rn, struct bench_report *rep,
		       uint32_t *run_id)
{
	const struct bench_opts *o = rn->opts;
	struct bench_result *res;
	struct bench_params p;
	int s;

	if (!(o->workloads & BENCH_STREAM))
		return;
	for (s = 0; s < o->nsizes; s++) {
		if (o->sizes[s] < 65536)
			continue;
		res = add_result(rep, &bench_mech_memcpy, BENCH_MODE_POLL, o->sizes[s],
				 BENCH_STREAM);
		bench_params_for(o, o->sizes[s], BENCH_MODE_POLL, BENCH_STREAM, (*run_id)++, &p);
		bench_memcpy_measure(rn, &p, res);
	}
}

static int list_mechs(void)
{
	const struct bench_mech *m;
	const char *why;
	char modes[64];
	int i;

	for (i = 0; (m = bench_mechs[i]); i++) {
		why = m->available ? m->available() : NULL;
		printf("%-15s %-10s %-18s %s%s%s\n", m->name, m->group,
		       modes_desc(m, modes, sizeof(modes)),
		       m->summary, why ? " -- unavailable: " : "", why ? why : "");
	}
	return 0;
}

/* Our named objects must all be gone: the private directory, names in /dev/shm and /tmp. */
static int scan_prefix(FILE *out, const char *dir, const char *prefix)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int bad = 0;

	while (d && (de = readdir(d))) {
		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			fprintf(out, "leftover: %s/%s\n", dir, de->d_name);
			bad = 1;
		}
	}
	if (d)
		closedir(d);
	return bad;
}

static int check_leftovers(FILE *out, const char *tmpdir)
{
	char prefix[64];
	int bad;

	snprintf(prefix, sizeof(prefix), "kipc-bench-%d-", (int)getpid());
	bad = scan_prefix(out, "/dev/shm", prefix);
	bad |= scan_prefix(out, "/tmp", prefix);
	if (tmpdir[0] && access(tmpdir, F_OK) == 0) {
		fprintf(out, "leftover: %s\n", tmpdir);
		bad = 1;
	}
	return bad;
}

static int write_outputs(const struct bench_report *rep, const struct bench_opts *o)
{
	char err[BENCH_ERRLEN] = "";
	int ret = 0;

	if (o->csv && bench_write_csv(rep, o->csv, err))
		ret = -1;
	if (!ret && o->json && bench_write_json(rep, o->json, err))
		ret = -1;
	if (!ret && o->png && bench_write_png(rep, o->png, err))
		ret = -1;
	if (ret)
		fprintf(stderr, "kipc bench: %s\n", err);
	return ret;
}

int bench_main(int argc, char **argv)
{
	struct bench_report rep = { 0 };
	struct bench_runner rn = { 0 };
	struct bench_opts o;
	struct progress pg = { 0 };
	struct bench_cpu_ticks ticks0, ticks1;
	char err[BENCH_ERRLEN] = "", why[BENCH_ERRLEN], tmpdir[200];
	uint64_t t0 = bench_mono_ns();
	uint32_t run_id = 0;
	bool single_cpu, any_failed = false;
	int ret, i, interrupted = 0;
	size_t first;

	ret = bench_parse_opts(argc, argv, &o);
	if (ret > 0)
		return list_mechs();
	if (ret < 0)
		return 2;
	ret = readlink("/proc/self/exe", o.helper_dir, sizeof(o.helper_dir) - 1);
	if (ret > 0) {
		o.helper_dir[ret] = 0;
		*strrchr(o.helper_dir, '/') = 0;
	}
	if (pick_cpus(&o, rn.cpus, &single_cpu))
		return 2;
	rn.opts = &o;
	if (o.clock == BENCH_CLOCK_TSC) {
		rn.tsc_ns_per_tick = bench_tsc_calibrate(why, sizeof(why));
		if (rn.tsc_ns_per_tick <= 0) {
			fprintf(stderr, "kipc bench: --clock tsc: %s\n", why);
			return 2;
		}
	}
	rn.clock_grain_ns = bench_clock_grain(o.clock, rn.tsc_ns_per_tick);
	if (bench_cleanup_init(err)) {
		fprintf(stderr, "kipc bench: %s\n", err);
		return 1;
	}
	rep.opts = &o;
	rep.tsc_ns_per_tick = rn.tsc_ns_per_tick;
	rep.clock_grain_ns = rn.clock_grain_ns;
	rep.cpus[0] = rn.cpus[0];
	rep.cpus[1] = rn.cpus[1];
	bench_machine_probe(&rep.machine);
	bench_cpu_ticks(rep.cpus, &ticks0);

	pg.tty = isatty(2);
	for (i = 0; bench_mechs[i]; i++)
		if (bench_selected(&o, bench_mechs[i]))
			pg.total += count_runs(&o, bench_mechs[i]);
	pg.total *= o.rounds;
	/* Rounds interleave: every mechanism once, then every one again. */
	for (cur_round = 0; cur_round < o.rounds && !interrupted; cur_round++) {
		for (i = 0; bench_mechs[i] && !interrupted; i++) {
			uint64_t m0 = bench_mono_ns();

			if (!bench_selected(&o, bench_mechs[i]))
				continue;
			first = rep.n;
			interrupted = run_mech(&rn, bench_mechs[i], &rep, &pg, single_cpu, &run_id);
			progress_mech_done(&pg, bench_mechs[i], &rep, first,
					   (double)(bench_mono_ns() - m0) / 1e9);
		}
		if (o.targets && !interrupted)
			run_memcpy(&rn, &rep, &run_id);
	}
	bench_mark_primary(&rep);
	rep.total_s = (double)(bench_mono_ns() - t0) / 1e9;
	bench_cpu_ticks(rep.cpus, &ticks1);
	rep.machine.steal_share = bench_steal_share(&ticks0, &ticks1);
	snprintf(tmpdir, sizeof(tmpdir), "%s", bench_tmpdir());
	if (interrupted) {
		bench_cleanup_all();
		fprintf(stderr, "kipc bench: interrupted by signal %d; cleaned up\n", interrupted);
		return 128 + interrupted;
	}

	for (first = 0; first < rep.n; first++)
		any_failed |= rep.v[first].status == BENCH_FAILED;
	if (o.check)
		bench_print_check(stdout, &rep);
	else
		bench_print_table(stdout, &rep);
	ret = any_failed ? 1 : 0;
	if (write_outputs(&rep, &o))
		ret = 1;
	bench_cleanup_all();
	if (o.check && check_leftovers(stdout, tmpdir))
		ret = 1;
	for (first = 0; first < rep.n; first++)
		free(rep.v[first].hist);
	free(rep.v);
	return ret;
}
