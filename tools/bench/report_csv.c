// SPDX-License-Identifier: GPL-2.0
/* Every result as one CSV row; the machine in leading '#' comment lines. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "driver.h"

static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
	fputc('"', f);
}

/* The targets after the rows, as '#' lines in CSV form (readers skip them as comments). */
static void write_goals(FILE *f, const struct bench_report *rep)
{
	struct bench_goal g[128];
	char verdict[256];
	int i, n = bench_eval_goals(rep, g, 128);

	bench_verdict(rep, 64, verdict, sizeof(verdict));
	fprintf(f, "# verdict: %s\n", verdict);
	fprintf(f, "# target,mechanism,size,ratio,op,limit,met,goal\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "# target,%s,%" PRIu64 ",%.4f,%s,%.2f,%s,", g[i].mech, g[i].size,
			g[i].value, g[i].at_least ? ">=" : "<=", g[i].limit, g[i].met ? "yes" : "no");
		csv_str(f, g[i].what);
		fputc('\n', f);
	}
}

int bench_write_csv(const struct bench_report *rep, const char *path, char *err)
{
	const struct bench_machine *mc = &rep->machine;
	static const char *const status[] = { "ok", "skipped", "failed" };
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f)
		return bench_errf(err, "%s: %s", path, strerror(errno));
	fprintf(f, "# kipc bench %s\n# cpu: %s\n# cpus_online: %d\n# kernel: %s %s\n",
		mc->date, mc->cpu_model, mc->cpus_online, mc->kernel, mc->kernel_version);
	fprintf(f, "# arch: %s\n# clocksource: %s\n# clock: %s\n# pinned_cpus: %d,%d\n",
		mc->arch, mc->clocksource, rep->tsc_ns_per_tick > 0 ? "tsc" : "monotonic",
		rep->cpus[0], rep->cpus[1]);
	fprintf(f, "# clock_grain_ns: %.0f\n", rep->clock_grain_ns > 1 ? rep->clock_grain_ns : 1);
	if (mc->steal_share >= 0)
		fprintf(f, "# steal_share: %.4f\n", mc->steal_share);
	else
		fprintf(f, "# steal_share: unknown\n");
	fprintf(f, "mechanism,group,mode,workload,size,status,iterations,warmup,"
		   "p50_ns,p99_ns,p999_ns,max_ns,min_ns,mean_ns,msgs_per_s,gb_per_s,"
		   "cpu_a_ns_per_msg,cpu_b_ns_per_msg,cpu_a_share,cpu_b_share,round,primary,note\n");
	for (i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->v[i];

		fprintf(f, "%s,%s,%s,%s,%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64 ",", r->mech->name,
			r->mech->group, bench_mode_name(r->mode), bench_workload_name(r->workload),
			r->size, status[r->status], r->iterations, r->warmup);
		if (r->status == BENCH_OK && r->workload == BENCH_LATENCY)
			fprintf(f, "%.0f,%.0f,%.0f,%.0f,%.0f,%.1f,,,", r->lat.p50, r->lat.p99,
				r->lat.p999, r->lat.max, r->lat.min, r->lat.mean);
		else if (r->status == BENCH_OK)
			fprintf(f, ",,,,,,%.1f,%.6f,", r->msgs_per_s, r->bytes_per_s / 1e9);
		else
			fprintf(f, ",,,,,,,,");
		if (r->status == BENCH_OK && r->mech != &bench_mech_memcpy)
			fprintf(f, "%.1f,%.1f,%.3f,%.3f,", r->cpu_ns[0], r->cpu_ns[1],
				r->cpu_share[0], r->cpu_share[1]);
		else
			fprintf(f, ",,,,");
		fprintf(f, "%d,%d,", r->round, r->primary ? 1 : 0);
		csv_str(f, r->note);
		fputc('\n', f);
	}
	write_goals(f, rep);
	if (fclose(f))
		return bench_errf(err, "%s: %s", path, strerror(errno));
	return 0;
}
