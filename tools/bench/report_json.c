// SPDX-License-Identifier: GPL-2.0
/* Every result, its latency histogram and the machine, as JSON. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "driver.h"

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_kv(FILE *f, const char *key, const char *val, bool comma)
{
	fprintf(f, "    ");
	json_str(f, key);
	fprintf(f, ": ");
	json_str(f, val);
	fprintf(f, "%s\n", comma ? "," : "");
}

static void write_machine(FILE *f, const struct bench_report *rep)
{
	const struct bench_machine *mc = &rep->machine;

	fprintf(f, "  \"machine\": {\n");
	json_kv(f, "cpu_model", mc->cpu_model, true);
	fprintf(f, "    \"cpus_online\": %d,\n    \"cpus_allowed\": %d,\n", mc->cpus_online,
		mc->cpus_allowed);
	json_kv(f, "kernel", mc->kernel, true);
	json_kv(f, "kernel_version", mc->kernel_version, true);
	json_kv(f, "arch", mc->arch, true);
	json_kv(f, "clocksource", mc->clocksource, true);
	fprintf(f, "    \"virtual_machine\": %s,\n    \"memory_mb\": %ld,\n",
		mc->hypervisor ? "true" : "false", mc->mem_mb);
	if (mc->steal_share >= 0)
		fprintf(f, "    \"steal_share\": %.4f,\n", mc->steal_share);
	else
		fprintf(f, "    \"steal_share\": null,\n");
	json_kv(f, "date", mc->date, false);
	fprintf(f, "  },\n");
}

static void write_config(FILE *f, const struct bench_report *rep)
{
	const struct bench_opts *o = rep->opts;
	int i;

	fprintf(f, "  \"config\": {\n    \"clock\": \"%s\",\n    \"tsc_ns_per_tick\": %.9f,\n",
		rep->tsc_ns_per_tick > 0 ? "tsc" : "monotonic", rep->tsc_ns_per_tick);
	fprintf(f, "    \"clock_grain_ns\": %.0f,\n",
		rep->clock_grain_ns > 1 ? rep->clock_grain_ns : 1);
	fprintf(f, "    \"pinned_cpus\": [%d, %d],\n    \"full_verify\": %s,\n", rep->cpus[0],
		rep->cpus[1], o->full_verify ? "true" : "false");
	fprintf(f, "    \"preset\": \"%s\",\n    \"sizes\": [", o->check ? "check" :
		o->targets ? "targets" : o->quick ? "quick" : "default");
	for (i = 0; i < o->nsizes; i++)
		fprintf(f, "%s%" PRIu64, i ? ", " : "", o->sizes[i]);
	fprintf(f, "],\n    \"rounds\": %d,\n    \"targets\": %s,\n    \"spin_ns\": %u,\n"
		   "    \"total_seconds\": %.3f\n  },\n", o->rounds, o->targets ? "true" : "false",
		o->spin_ns, rep->total_s);
}

static void write_hist(FILE *f, const struct bench_result *r)
{
	bool first = true;
	int b;

	fprintf(f, ",\n      \"histogram_ns\": [");
	for (b = 0; b < BENCH_HIST_BUCKETS; b++) {
		if (!r->hist[b])
			continue;
		fprintf(f, "%s[%" PRIu64 ", %" PRIu64 ", %u]", first ? "" : ", ",
			bench_hist_lower(b), bench_hist_lower(b + 1), r->hist[b]);
		first = false;
	}
	fprintf(f, "]");
}

static void write_result(FILE *f, const struct bench_result *r, bool comma)
{
	static const char *const status[] = { "ok", "skipped", "failed" };

	fprintf(f, "    {\"mechanism\": \"%s\", \"group\": \"%s\", \"mode\": \"%s\", "
		   "\"workload\": \"%s\", \"size\": %" PRIu64 ", \"status\": \"%s\"",
		r->mech->name, r->mech->group, bench_mode_name(r->mode),
		bench_workload_name(r->workload), r->size, status[r->status]);
	if (r->mode)
		fprintf(f, ", \"wall_seconds\": %.3f", r->wall_s);
	if (r->note[0]) {
		fprintf(f, ", \"note\": ");
		json_str(f, r->note);
	}
	if (r->status == BENCH_OK) {
		fprintf(f, ", \"iterations\": %" PRIu64 ", \"warmup\": %" PRIu64, r->iterations,
			r->warmup);
		if (r->workload == BENCH_LATENCY) {
			fprintf(f, ",\n      \"rtt_ns\": {\"p50\": %.0f, \"p99\": %.0f, "
				   "\"p99_9\": %.0f, \"max\": %.0f, \"min\": %.0f, \"mean\": %.1f}",
				r->lat.p50, r->lat.p99, r->lat.p999, r->lat.max, r->lat.min,
				r->lat.mean);
			if (r->hist)
				write_hist(f, r);
		} else {
			fprintf(f, ", \"msgs_per_s\": %.1f, \"gb_per_s\": %.6f", r->msgs_per_s,
				r->bytes_per_s / 1e9);
		}
		if (r->mech != &bench_mech_memcpy)
			fprintf(f, ",\n      \"cpu_ns_per_msg\": {\"a\": %.1f, \"b\": %.1f}, "
				   "\"cpu_share\": {\"a\": %.3f, \"b\": %.3f}",
				r->cpu_ns[0], r->cpu_ns[1], r->cpu_share[0], r->cpu_share[1]);
	}
	fprintf(f, ", \"round\": %d, \"primary\": %s", r->round, r->primary ? "true" : "false");
	fprintf(f, "}%s\n", comma ? "," : "");
}

/* Issue 9's goals: each ratio (median over the rounds), its limit, met or not. */
static void write_targets(FILE *f, const struct bench_report *rep)
{
	struct bench_goal g[128];
	char verdict[256];
	int i, n = bench_eval_goals(rep, g, 128);

	bench_verdict(rep, 64, verdict, sizeof(verdict));
	fprintf(f, "  \"verdict\": ");
	json_str(f, verdict);
	fprintf(f, ",\n  \"targets\": [\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "    {\"goal\": ");
		json_str(f, g[i].what);
		fprintf(f, ", \"mechanism\": \"%s\", \"size\": %" PRIu64 ", \"ratio\": %.4f, "
			   "\"limit\": %.2f, \"at_least\": %s, \"met\": %s}%s\n", g[i].mech,
			g[i].size, g[i].value, g[i].limit, g[i].at_least ? "true" : "false",
			g[i].met ? "true" : "false", i + 1 < n ? "," : "");
	}
	fprintf(f, "  ]\n");
}

int bench_write_json(const struct bench_report *rep, const char *path, char *err)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f)
		return bench_errf(err, "%s: %s", path, strerror(errno));
	fprintf(f, "{\n  \"tool\": \"kipc bench\",\n");
	write_machine(f, rep);
	write_config(f, rep);
	fprintf(f, "  \"results\": [\n");
	for (i = 0; i < rep->n; i++)
		write_result(f, &rep->v[i], i + 1 < rep->n);
	fprintf(f, "  ],\n");
	write_targets(f, rep);
	fprintf(f, "}\n");
	if (fclose(f))
		return bench_errf(err, "%s: %s", path, strerror(errno));
	return 0;
}
