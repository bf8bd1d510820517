// SPDX-License-Identifier: GPL-2.0
/* The terminal report: the main table at one size, then every size at a glance. */
#include <inttypes.h>
#include <string.h>

#include "driver.h"

#define NOTE_MAX	24

const char *bench_mode_name(unsigned int mode)
{
	return mode == BENCH_MODE_POLL ? "poll" : mode == BENCH_MODE_BLOCK ? "block" :
	       mode == BENCH_MODE_ADAPT ? "adapt" : "-";
}

const char *bench_workload_name(unsigned int workload)
{
	return workload == BENCH_LATENCY ? "latency" : workload == BENCH_STREAM ? "stream" : "-";
}

void bench_format_size(uint64_t size, char *buf, size_t len)
{
	if (size >= (1u << 20) && !(size % (1u << 20)))
		snprintf(buf, len, "%" PRIu64 " MiB", size >> 20);
	else if (size >= 1024 && !(size % 1024))
		snprintf(buf, len, "%" PRIu64 " KiB", size >> 10);
	else
		snprintf(buf, len, "%" PRIu64 " B", size);
}

const struct bench_result *bench_find_result(const struct bench_report *rep,
					     const struct bench_mech *m, unsigned int mode,
					     uint64_t size, unsigned int workload)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->v[i];

		if (r->mech == m && r->mode == mode && r->size == size &&
		    r->workload == workload && r->primary)
			return r;
	}
	return NULL;
}

static const struct bench_result *floor_result(const struct bench_report *rep,
					       uint64_t size, unsigned int workload)
{
	const char *name = workload == BENCH_LATENCY ? BENCH_FLOOR_LATENCY : BENCH_FLOOR_STREAM;
	const struct bench_mech *m = bench_find_mech(name);
	const struct bench_result *r;

	if (!m)
		return NULL;
	r = bench_find_result(rep, m, BENCH_MODE_POLL, size, workload);
	return r && r->status == BENCH_OK ? r : NULL;
}

static void fmt_rate(double v, char *buf, size_t len)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
}

static void fmt_us(double ns, char *buf, size_t len)
{
	double us = ns / 1000;

	if (us < 100)
		snprintf(buf, len, "%.2f", us);
	else if (us < 10000)
		snprintf(buf, len, "%.1f", us);
	else
		snprintf(buf, len, "%.0f", us);
}

/* CPU time of both roles, in ns / unit: "0.45/0.44" */
static void fmt_cpu(double a_ns, double b_ns, double unit, char *buf, size_t len)
{
	const char *f = unit > 1 ? "%.2f/%.2f" : "%.0f/%.0f";

	snprintf(buf, len, f, a_ns / unit, b_ns / unit);
}

static void fmt_gbs(double bytes_per_s, char *buf, size_t len)
{
	double g = bytes_per_s / 1e9;

	snprintf(buf, len, g < 0.01 ? "%.4f" : g < 10 ? "%.3f" : "%.2f", g);
}

static uint64_t table_size(const struct bench_report *rep)
{
	const struct bench_opts *o = rep->opts;
	uint64_t best = o->sizes[0];
	int i;

	for (i = 0; i < o->nsizes; i++) {
		if (o->table_size && o->sizes[i] == o->table_size)
			return o->table_size;
		if (o->sizes[i] == 64)
			best = 64;
		else if (best != 64 && o->sizes[i] < best)
			best = o->sizes[i];
	}
	return best;
}

/* One row per (mechanism, mode) that ran; one per mechanism that was skipped. */
struct row {
	const struct bench_mech *m;
	unsigned int mode;
	const struct bench_result *skip;
};

static int collect_rows(const struct bench_report *rep, struct row *rows, int max)
{
	const struct bench_mech *m;
	unsigned int mode;
	size_t i;
	int n = 0, k;

	for (k = 0; (m = bench_mechs[k]); k++) {
		for (i = 0; i < rep->n && n < max; i++) {
			if (rep->v[i].mech != m || rep->v[i].mode || !rep->v[i].primary)
				continue;
			rows[n].m = m;
			rows[n].mode = 0;
			rows[n++].skip = &rep->v[i];
		}
		for (mode = BENCH_MODE_POLL; mode <= BENCH_MODE_LAST; mode <<= 1)
			for (i = 0; i < rep->n && n < max; i++)
				if (rep->v[i].mech == m && rep->v[i].mode == mode) {
					rows[n].m = m;
					rows[n].mode = mode;
					rows[n++].skip = NULL;
					break;
				}
	}
	return n;
}

static const char *short_note(const struct bench_result *r, char *buf, size_t len)
{
	if (!r)
		return "";
	if (r->status == BENCH_FAILED)
		return "FAILED, see below";
	if (r->status == BENCH_SKIPPED) {
		snprintf(buf, len, "%.*s", NOTE_MAX, r->note);
		return buf;
	}
	return "";
}

static void print_main_row(FILE *out, const struct bench_report *rep, const struct row *row,
			   uint64_t size)
{
	const struct bench_result *lat, *st, *fl, *fs;
	char rate[16] = "-", gbs[16] = "-", tr[16] = "-", p50[16] = "-", p99[16] = "-",
	     p999[16] = "-", max[16] = "-", lr[16] = "-", nb[64], scpu[32] = "-", lcpu[32] = "-";
	const char *note;

	if (row->skip) {
		fprintf(out, "%-15s %-6s %s: %s\n", row->m->name, "-",
			row->skip->status == BENCH_FAILED ? "failed" : "skipped", row->skip->note);
		return;
	}
	lat = bench_find_result(rep, row->m, row->mode, size, BENCH_LATENCY);
	st = bench_find_result(rep, row->m, row->mode, size, BENCH_STREAM);
	fl = floor_result(rep, size, BENCH_LATENCY);
	fs = floor_result(rep, size, BENCH_STREAM);
	if (st && st->status == BENCH_OK) {
		fmt_rate(st->msgs_per_s, rate, sizeof(rate));
		fmt_gbs(st->bytes_per_s, gbs, sizeof(gbs));
		if (fs)
			snprintf(tr, sizeof(tr), "%.2f", st->msgs_per_s / fs->msgs_per_s);
		fmt_cpu(st->cpu_ns[0], st->cpu_ns[1], 1, scpu, sizeof(scpu));
	}
	if (lat && lat->status == BENCH_OK) {
		fmt_us(lat->lat.p50, p50, sizeof(p50));
		fmt_us(lat->lat.p99, p99, sizeof(p99));
		fmt_us(lat->lat.p999, p999, sizeof(p999));
		fmt_us(lat->lat.max, max, sizeof(max));
		if (fl)
			snprintf(lr, sizeof(lr), "%.2f", lat->lat.p50 / fl->lat.p50);
		fmt_cpu(lat->cpu_ns[0], lat->cpu_ns[1], 1000, lcpu, sizeof(lcpu));
	}
	note = short_note(lat && lat->status != BENCH_OK ? lat : st, nb, sizeof(nb));
	fprintf(out, "%-15s %-6s %9s %8s %7s %11s %9s %9s %9s %9s %7s %11s  %s\n", row->m->name,
		bench_mode_name(row->mode), rate, gbs, tr, scpu, p50, p99, p999, max, lr, lcpu, note);
}

static void print_matrix(FILE *out, const struct bench_report *rep, const struct row *rows,
			 int nrows, unsigned int workload)
{
	const struct bench_opts *o = rep->opts;
	const struct bench_result *r;
	char cell[32];
	int i, s;

	fprintf(out, "\n%s by message size\n", workload == BENCH_LATENCY ?
		"Round-trip latency p50 (us)" : "Throughput (GB/s)");
	fprintf(out, "%-15s %-6s", "Mechanism", "Mode");
	for (s = 0; s < o->nsizes; s++) {
		bench_format_size(o->sizes[s], cell, sizeof(cell));
		fprintf(out, " %9s", cell);
	}
	fputc('\n', out);
	for (i = 0; i < nrows; i++) {
		bool any = false;

		if (rows[i].skip || !(rows[i].m->workloads & workload))
			continue;
		for (s = 0; s < o->nsizes && !any; s++)
			any = bench_find_result(rep, rows[i].m, rows[i].mode, o->sizes[s], workload);
		if (!any)
			continue;
		fprintf(out, "%-15s %-6s", rows[i].m->name, bench_mode_name(rows[i].mode));
		for (s = 0; s < o->nsizes; s++) {
			r = bench_find_result(rep, rows[i].m, rows[i].mode, o->sizes[s], workload);
			if (!r || r->status == BENCH_SKIPPED)
				snprintf(cell, sizeof(cell), "-");
			else if (r->status == BENCH_FAILED)
				snprintf(cell, sizeof(cell), "FAILED");
			else if (workload == BENCH_LATENCY)
				fmt_us(r->lat.p50, cell, sizeof(cell));
			else
				fmt_gbs(r->bytes_per_s, cell, sizeof(cell));
			fprintf(out, " %9s", cell);
		}
		fputc('\n', out);
	}
}

static bool same_note(const struct bench_result *a, const struct bench_result *b)
{
	return a->mech == b->mech && a->mode == b->mode && a->status == b->status &&
	       !strcmp(a->note, b->note);
}

/* Each distinct note once per (mechanism, mode), with the runs it applies to. */
static void print_notes(FILE *out, const struct bench_report *rep)
{
	uint64_t sizes[BENCH_MAX_SIZES];
	unsigned int workloads;
	int nsizes, k;
	char sz[32];
	size_t i, j;
	bool any = false, seen;

	for (i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->v[i];

		if (!r->mode || !r->note[0])
			continue;
		for (j = 0, seen = false; j < i && !seen; j++)
			seen = same_note(&rep->v[j], r);
		if (seen)
			continue;
		workloads = 0;
		nsizes = 0;
		for (j = i; j < rep->n; j++) {
			if (!same_note(&rep->v[j], r))
				continue;
			workloads |= rep->v[j].workload;
			for (k = 0; k < nsizes && sizes[k] != rep->v[j].size; k++)
				;
			if (k == nsizes && nsizes < BENCH_MAX_SIZES)
				sizes[nsizes++] = rep->v[j].size;
		}
		if (!any)
			fprintf(out, "\nNotes\n");
		any = true;
		fprintf(out, "  %s %s, %s", r->mech->name, bench_mode_name(r->mode),
			workloads == (BENCH_LATENCY | BENCH_STREAM) ? "latency+stream" :
			bench_workload_name(workloads));
		for (k = 0; k < nsizes; k++) {
			bench_format_size(sizes[k], sz, sizeof(sz));
			fprintf(out, "%s%s", k ? ", " : " at ", sz);
		}
		fprintf(out, ": %s%s\n", r->status == BENCH_FAILED ? "FAILED: " :
			r->status == BENCH_SKIPPED ? "skipped: " : "", r->note);
	}
}

/*
 * The issues' targets for kipc (informative: a MISS never changes the exit
 * status), at 64 B, each ratio from the same run.
 */
#define TARGET_SIZE	64

static const struct bench_result *ok_result(const struct bench_report *rep, const char *name,
					    unsigned int mode, unsigned int workload)
{
	const struct bench_mech *m = bench_find_mech(name);
	const struct bench_result *r;

	if (!m)
		return NULL;
	r = bench_find_result(rep, m, mode, TARGET_SIZE, workload);
	return r && r->status == BENCH_OK ? r : NULL;
}

static void target_line(FILE *out, const char *what, const char *how, bool have, bool pass)
{
	fprintf(out, "  %-50s %-42s %s\n", what, have ? how : "n/a (not measured)",
		have ? (pass ? "PASS" : "MISS") : "");
}

/* Round-trip p50 as "1.23 us". */
static const char *us_of(const struct bench_result *r, char *buf, size_t len)
{
	char v[16];

	fmt_us(r->lat.p50, v, sizeof(v));
	snprintf(buf, len, "%s us", v);
	return buf;
}

/* Would the user pick this instead of kipc for a round trip? Sockets, pipes, queues. */
static bool classic_rt_peer(const struct bench_mech *m)
{
	return !strcmp(m->group, "pipes") || !strcmp(m->group, "sockets") ||
	       !strcmp(m->group, "mqueue") || !strcmp(m->name, "uring-uds") ||
	       !strcmp(m->name, "boost-mq");
}

static void print_targets_for(FILE *out, const struct bench_report *rep, const char *kipc)
{
	const struct bench_result *kp = ok_result(rep, kipc, BENCH_MODE_POLL, BENCH_LATENCY),
		*kb = ok_result(rep, kipc, BENCH_MODE_BLOCK, BENCH_LATENCY),
		*ks = ok_result(rep, kipc, BENCH_MODE_POLL, BENCH_STREAM),
		*cl = ok_result(rep, BENCH_FLOOR_LATENCY, BENCH_MODE_POLL, BENCH_LATENCY),
		*sp = ok_result(rep, BENCH_FLOOR_STREAM, BENCH_MODE_POLL, BENCH_STREAM),
		*us = ok_result(rep, "unix-seqpacket", BENCH_MODE_BLOCK, BENCH_STREAM),
		*ef = ok_result(rep, "shm-eventfd", BENCH_MODE_BLOCK, BENCH_LATENCY),
		*bq = ok_result(rep, "boost-mq", BENCH_MODE_BLOCK, BENCH_LATENCY),
		*bqp = ok_result(rep, "boost-mq", BENCH_MODE_POLL, BENCH_LATENCY),
		*ix = ok_result(rep, "iceoryx", BENCH_MODE_POLL, BENCH_LATENCY),
		*best = NULL;
	char what[96], how[96], a[24], b[24];
	size_t i;
	double x;

	if (!kp && !kb && !ks)
		return;
	snprintf(what, sizeof(what), "%s poll RT p50 <= 1.2x %s", kipc, BENCH_FLOOR_LATENCY);
	x = kp && cl ? kp->lat.p50 / cl->lat.p50 : 0;
	snprintf(how, sizeof(how), "%s / %s = %.2fx", kp ? us_of(kp, a, sizeof(a)) : "",
		 cl ? us_of(cl, b, sizeof(b)) : "", x);
	target_line(out, what, how, kp && cl, x <= 1.2);

	snprintf(what, sizeof(what), "%s poll RT p99 <= 1.5x %s p99", kipc, BENCH_FLOOR_LATENCY);
	x = kp && cl ? kp->lat.p99 / cl->lat.p99 : 0;
	snprintf(how, sizeof(how), "%.2f / %.2f us = %.2fx", kp ? kp->lat.p99 / 1000 : 0,
		 cl ? cl->lat.p99 / 1000 : 0, x);
	target_line(out, what, how, kp && cl, x <= 1.5);

	snprintf(what, sizeof(what), "%s poll stream >= 0.8x %s", kipc, BENCH_FLOOR_STREAM);
	x = ks && sp ? ks->msgs_per_s / sp->msgs_per_s : 0;
	snprintf(how, sizeof(how), "%.2fM / %.2fM msg/s = %.2fx", ks ? ks->msgs_per_s / 1e6 : 0,
		 sp ? sp->msgs_per_s / 1e6 : 0, x);
	target_line(out, what, how, ks && sp, x >= 0.8);

	snprintf(what, sizeof(what), "%s poll stream >= 20x unix-seqpacket", kipc);
	x = ks && us ? ks->msgs_per_s / us->msgs_per_s : 0;
	snprintf(how, sizeof(how), "%.2fM / %.3fM msg/s = %.1fx", ks ? ks->msgs_per_s / 1e6 : 0,
		 us ? us->msgs_per_s / 1e6 : 0, x);
	target_line(out, what, how, ks && us, x >= 20);

	snprintf(what, sizeof(what), "%s block RT p50 <= 1.2x shm-eventfd block", kipc);
	x = kb && ef ? kb->lat.p50 / ef->lat.p50 : 0;
	snprintf(how, sizeof(how), "%s / %s = %.2fx", kb ? us_of(kb, a, sizeof(a)) : "",
		 ef ? us_of(ef, b, sizeof(b)) : "", x);
	target_line(out, what, how, kb && ef, x <= 1.2);

	for (i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->v[i];

		if (r->status == BENCH_OK && r->primary && r->size == TARGET_SIZE &&
		    r->workload == BENCH_LATENCY &&
		    r->mode == BENCH_MODE_BLOCK && classic_rt_peer(r->mech) &&
		    (!best || r->lat.p50 < best->lat.p50))
			best = r;
	}
	snprintf(what, sizeof(what), "%s block RT p50 < every pipe/socket/queue", kipc);
	if (kb && best)
		snprintf(how, sizeof(how), "%s vs %s %s %s", us_of(kb, a, sizeof(a)), best->mech->name,
			 bench_mode_name(best->mode), us_of(best, b, sizeof(b)));
	target_line(out, what, how, kb && best, kb && best && kb->lat.p50 < best->lat.p50);

	snprintf(what, sizeof(what), "%s block RT >= 5x faster than boost-mq block", kipc);
	x = kb && bq ? bq->lat.p50 / kb->lat.p50 : 0;
	snprintf(how, sizeof(how), "%s / %s = %.1fx", bq ? us_of(bq, a, sizeof(a)) : "",
		 kb ? us_of(kb, b, sizeof(b)) : "", x);
	target_line(out, what, how, kb && bq, x >= 5);
	if (bqp) {
		snprintf(what, sizeof(what), "%s poll RT >= 5x faster than boost-mq poll", kipc);
		x = kp ? bqp->lat.p50 / kp->lat.p50 : 0;
		snprintf(how, sizeof(how), "%s / %s = %.1fx", us_of(bqp, a, sizeof(a)),
			 kp ? us_of(kp, b, sizeof(b)) : "", x);
		target_line(out, what, how, kp, x >= 5);
	}

	snprintf(what, sizeof(what), "%s poll RT p50 < iceoryx poll", kipc);
	snprintf(how, sizeof(how), "%s vs %s", kp ? us_of(kp, a, sizeof(a)) : "",
		 ix ? us_of(ix, b, sizeof(b)) : "");
	target_line(out, what, how, kp && ix, kp && ix && kp->lat.p50 < ix->lat.p50);
}

static void print_targets(FILE *out, const struct bench_report *rep)
{
	const struct bench_result *d, *s;
	char what[96], how[96], a[24], b[24];
	unsigned int mode;
	size_t i;
	bool any = false;

	for (i = 0; i < rep->n && !any; i++)
		any = rep->v[i].status == BENCH_OK && rep->v[i].size == TARGET_SIZE &&
		      !strcmp(rep->v[i].mech->group, "kipc");
	if (!any)
		return;
	fprintf(out, "\nTargets at 64 B (issues 3 and 4), ratios within this run; RT: round trip.\n"
		"Informative only: a MISS never fails the run.\n");
	print_targets_for(out, rep, "kipc-shm");
	print_targets_for(out, rep, "kipc-dev");
	for (mode = BENCH_MODE_POLL; mode <= BENCH_MODE_BLOCK; mode <<= 1) {
		d = ok_result(rep, "kipc-dev", mode, BENCH_LATENCY);
		s = ok_result(rep, "kipc-shm", mode, BENCH_LATENCY);
		if (!d || !s)
			continue;
		snprintf(what, sizeof(what), "kipc-dev %s RT p50 <= 1.2x kipc-shm",
			 bench_mode_name(mode));
		snprintf(how, sizeof(how), "%s / %s = %.2fx", us_of(d, a, sizeof(a)),
			 us_of(s, b, sizeof(b)), d->lat.p50 / s->lat.p50);
		target_line(out, what, how, true, d->lat.p50 <= 1.2 * s->lat.p50);
	}
	if (rep->machine.hypervisor)
		fprintf(out, "  (a virtual machine: its timings are not the host's)\n");
}

void bench_print_table(FILE *out, const struct bench_report *rep)
{
	const struct bench_machine *mc = &rep->machine;
	const struct bench_result *any_lat = NULL, *any_st = NULL;
	uint64_t size = table_size(rep);
	struct row rows[128];
	char sz[32], pin[64], grain[80] = "";
	int nrows, i;
	size_t k;

	for (k = 0; k < rep->n; k++) {
		if (rep->v[k].size != size || rep->v[k].status != BENCH_OK)
			continue;
		if (rep->v[k].workload == BENCH_LATENCY && !any_lat)
			any_lat = &rep->v[k];
		if (rep->v[k].workload == BENCH_STREAM && !any_st)
			any_st = &rep->v[k];
	}
	if (rep->cpus[0] >= 0)
		snprintf(pin, sizeof(pin), "pinned to CPUs %d and %d", rep->cpus[0], rep->cpus[1]);
	else
		snprintf(pin, sizeof(pin), "not pinned%s", mc->cpus_allowed < 2 ? " (one CPU)" : "");
	bench_format_size(size, sz, sizeof(sz));
	if (rep->clock_grain_ns > 1)
		snprintf(grain, sizeof(grain), " (%.0f ns steps: percentiles interpolated within one)",
			 rep->clock_grain_ns);
	fprintf(out, "kipc bench: %s, %d CPUs, %s%s, %s%s, processes %s\n", mc->cpu_model,
		mc->cpus_online, mc->kernel, mc->hypervisor ? " (virtual machine)" : "",
		rep->tsc_ns_per_tick > 0 ? "TSC clock" : "CLOCK_MONOTONIC", grain, pin);
	fprintf(out, "%s messages; each run: ", sz);
	if (any_lat)
		fprintf(out, "%" PRIu64 " round trips", any_lat->iterations);
	if (any_lat && any_st)
		fprintf(out, ", ");
	if (any_st)
		fprintf(out, "%" PRIu64 " streamed messages", any_st->iterations);
	fprintf(out, " after a warm-up of a tenth as many\n\n");

	fprintf(out, "%-15s %-6s %-38s %-58s\n", "", "", "------------- Throughput -------------",
		"------------------- Round-trip latency (us) -------------------");
	fprintf(out, "%-15s %-6s %9s %8s %7s %11s %9s %9s %9s %9s %7s %11s  %s\n", "Mechanism",
		"Mode", "msg/s", "GB/s", "x floor", "cpu ns A/B", "p50", "p99", "p99.9", "max",
		"x floor", "cpu us A/B", "Notes");
	nrows = collect_rows(rep, rows, 128);
	for (i = 0; i < nrows; i++)
		print_main_row(out, rep, &rows[i], size);
	fprintf(out, "x floor: throughput / %s's, latency p50 / %s's, at the same size\n"
		"cpu A/B: CPU time of role A (client, sender) and role B (server, receiver)\n"
		"per message (ns) or per round trip (us), over the measured part\n",
		BENCH_FLOOR_STREAM, BENCH_FLOOR_LATENCY);

	if (rep->opts->nsizes > 1) {
		if (rep->opts->workloads & BENCH_LATENCY)
			print_matrix(out, rep, rows, nrows, BENCH_LATENCY);
		if (rep->opts->workloads & BENCH_STREAM)
			print_matrix(out, rep, rows, nrows, BENCH_STREAM);
	}
	print_notes(out, rep);
	print_targets(out, rep);
	bench_print_goals(out, rep);
	fprintf(out, "\nTotal %.1f s\n", rep->total_s);
	/* Busy-poll rows assume two CPUs of their own: say when they had not. */
	if (mc->steal_share >= 0.01)
		fprintf(out, "Steal: the hypervisor gave %.0f%% of the measured CPUs' time to "
			"others (/proc/stat):\ntimings and their ratios are noisier than usual\n",
			100 * mc->steal_share);
}

void bench_print_check(FILE *out, const struct bench_report *rep)
{
	const struct bench_mech *m;
	char sz[32];
	size_t i;
	int k, ok, skipped, bad, n_ok = 0, n_skip = 0, n_bad = 0;

	for (k = 0; (m = bench_mechs[k]); k++) {
		ok = skipped = bad = 0;
		for (i = 0; i < rep->n; i++) {
			if (rep->v[i].mech != m)
				continue;
			ok += rep->v[i].status == BENCH_OK;
			skipped += rep->v[i].status == BENCH_SKIPPED;
			bad += rep->v[i].status == BENCH_FAILED;
		}
		if (!ok && !skipped && !bad)
			continue;
		if (bad) {
			n_bad++;
			fprintf(out, "FAIL %-15s\n", m->name);
		} else if (ok) {
			n_ok++;
			fprintf(out, "ok   %-15s %d runs%s\n", m->name, ok,
				skipped ? ", some sizes skipped" : "");
		} else {
			n_skip++;
		}
		for (i = 0; i < rep->n; i++) {
			const struct bench_result *r = &rep->v[i];

			if (r->mech != m || r->status == BENCH_OK)
				continue;
			if (!r->mode) {
				fprintf(out, "skip %-15s %s\n", m->name, r->note);
				continue;
			}
			if (r->status != BENCH_FAILED)
				continue;
			bench_format_size(r->size, sz, sizeof(sz));
			fprintf(out, "     %s %s %s: %s\n", bench_mode_name(r->mode), sz,
				bench_workload_name(r->workload), r->note);
		}
	}
	fprintf(out, "check: %d mechanisms passed, %d skipped, %d failed (%.1f s)\n",
		n_ok, n_skip, n_bad, rep->total_s);
}
