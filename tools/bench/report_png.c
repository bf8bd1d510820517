// SPDX-License-Identifier: GPL-2.0
/*
 * The chart, drawn by gnuplot: latency distribution (percentile on a
 * "nines" axis against round-trip time) at the table's size, and
 * throughput against message size. Data and script go to the private
 * temporary directory, which is removed with everything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver.h"

static bool in_path(const char *prog)
{
	char buf[4096], *dir, *save, *path = getenv("PATH");
	char full[4200];

	snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof(full), "%s/%s", dir, prog);
		if (!access(full, X_OK))
			return true;
	}
	return false;
}

struct series {
	const struct bench_mech *m;
	unsigned int mode;
};

static int list_series(const struct bench_report *rep, struct series *s, int max)
{
	size_t i;
	int n = 0, j;

	for (i = 0; i < rep->n; i++) {
		const struct bench_result *r = &rep->v[i];

		if (r->status != BENCH_OK || !r->primary)
			continue;
		for (j = 0; j < n && (s[j].m != r->mech || s[j].mode != r->mode); j++)
			;
		if (j == n && n < max) {
			s[n].m = r->mech;
			s[n++].mode = r->mode;
		}
	}
	return n;
}

static bool is_kipc(const struct bench_mech *m)
{
	return !strcmp(m->group, "kipc");
}

static bool is_floor(const struct bench_mech *m)
{
	return !strcmp(m->group, "floor");
}

/*
 * Series i looks the same in every panel. kipc's rows are bold, in their
 * own strong colours, the floors black or grey and dashed, everything else
 * thin, in muted colours that repeat with different point types.
 */
static const char *style(const struct series *s, int i, char *buf, size_t len)
{
	/* one colour per kipc row in every mode and panel: copying light, zero-copy dark */
	static const char *const kipc_rgb[][2] = {
		{ "kipc-shm", "#e41a1c" }, { "kipc-shm-zc", "#8b0000" },
		{ "kipc-dev", "#1f78d4" }, { "kipc-dev-zc", "#08306b" },
		{ "kipc-uds", "#33a02c" },
	};
	size_t k;
	static const char *const other_rgb[] = { "#9e9ac8", "#a1d99b", "#fdae6b", "#9ecae1",
						 "#fcbba1", "#c7c7c7", "#dadaeb", "#bcbd22" };
	const char *rgb;
	double lw = 1, ps = 0.6;
	int dt = 1;

	if (is_kipc(s->m)) {
		rgb = "#ff7f00";
		for (k = 0; k < sizeof(kipc_rgb) / sizeof(kipc_rgb[0]); k++)
			if (!strcmp(s->m->name, kipc_rgb[k][0]))
				rgb = kipc_rgb[k][1];
		lw = s->mode == BENCH_MODE_POLL ? 3.5 : 2.5;
		ps = 1.2;
		dt = s->mode == BENCH_MODE_POLL ? 1 : s->mode == BENCH_MODE_BLOCK ? 2 : 4;
	} else if (is_floor(s->m)) {
		rgb = i % 2 ? "#555555" : "#000000";
		lw = 2;
		dt = 3;
	} else {
		rgb = other_rgb[i % 8];
	}
	snprintf(buf, len, "lc rgb '%s' lw %.1f pt %d ps %.1f dt %d", rgb, lw, i % 13 + 1, ps, dt);
	return buf;
}

static uint64_t chart_size(const struct bench_report *rep)
{
	const struct bench_opts *o = rep->opts;
	int i;

	for (i = 0; i < o->nsizes; i++)
		if (o->sizes[i] == (o->table_size ? o->table_size : 64))
			return o->sizes[i];
	return o->sizes[0];
}

/* A string for gnuplot's double quotes (which turn \n into a new line). */
static void gp_quote(char *out, size_t len, const char *in)
{
	size_t n = 0;

	for (; *in && n + 2 < len; in++) {
		if (*in == '"' || *in == '\\' || *in == '\'')
			continue;
		out[n++] = *in;
	}
	out[n] = 0;
}

/* gnuplot's warnings are kept out of the report; its errors are the error. */
static int run_gnuplot(const char *script, char *err)
{
	char log[300], msg[200] = "";
	int status, fd;
	ssize_t n;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/gnuplot.log", bench_tmpdir());
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return bench_errf(err, "fork: %s", strerror(errno));
	if (pid == 0) {
		bench_child_prepare();
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	fd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, msg, sizeof(msg) - 1);
		msg[n > 0 ? n : 0] = 0;
		close(fd);
	}
	return bench_errf(err, "gnuplot failed: %s", msg[0] ? msg : "no message");
}

/* Order of drawing: the thin ones first, so kipc's bold lines lie on top. */
static int draw_rank(const struct series *s)
{
	return is_kipc(s->m) ? 2 : is_floor(s->m) ? 1 : 0;
}

static void plot_cmd(FILE *gp, bool *first, const char *path, int index, const char *st,
		     const struct series *s)
{
	fprintf(gp, "%s '%s' index %d using 1:2 with linespoints %s title '%s %s'",
		*first ? "plot" : ", \\\n    ", path, index, st, s->m->name,
		bench_mode_name(s->mode));
	*first = false;
}

static double gbytes_per_s(const struct bench_result *r)
{
	return r->bytes_per_s / 1e9;
}

static double p50_us(const struct bench_result *r)
{
	return r->lat.p50 / 1000;
}

/*
 * A panel of one value against size: a line per series with results of
 * @workload (the classics first, kipc's last, so that they are drawn on
 * top), its points in @dat (at @dat_path) as "size value" with @digits
 * decimals, one gnuplot index each; @empty labels a panel without any.
 */
static void plot_by_size(FILE *gp, FILE *dat, const char *dat_path,
			 const struct bench_report *rep, const struct series *s, int n,
			 unsigned int workload, double (*value)(const struct bench_result *),
			 int digits, const char *empty)
{
	const struct bench_opts *o = rep->opts;
	const struct bench_result *r;
	int i, j, rank, index = 0;
	bool first = true;
	char st[96];

	for (rank = 0; rank < 3; rank++)
		for (i = 0; i < n; i++) {
			int points = 0;

			if (draw_rank(&s[i]) != rank)
				continue;
			for (j = 0; j < o->nsizes; j++) {
				r = bench_find_result(rep, s[i].m, s[i].mode, o->sizes[j], workload);
				if (!r || r->status != BENCH_OK)
					continue;
				if (!points++)
					fprintf(dat, "# %s %s\n", s[i].m->name,
						bench_mode_name(s[i].mode));
				fprintf(dat, "%" PRIu64 " %.*f\n", r->size, digits, value(r));
			}
			if (!points)
				continue;
			fprintf(dat, "\n\n");
			plot_cmd(gp, &first, dat_path, index++, style(&s[i], i, st, sizeof(st)), &s[i]);
		}
	if (first)
		fprintf(gp, "set label 1 '%s' at graph 0.4,0.5\nplot 1/0 notitle", empty);
	fprintf(gp, "\nunset label 1\n");
}

static const char size_tics[] = "set xtics ('8' 8, '64' 64, '512' 512, '4K' 4096, '32K' 32768, "
				"'256K' 262144, '1M' 1048576)\n";

int bench_write_png(const struct bench_report *rep, const char *path, char *err)
{
	char lat_path[300], tput_path[300], p50_path[300], ratio_path[300], gp_path[300],
	     sz[32], st[96], verdict[256], head[400], title[700];
	struct series s[128];
	const struct bench_result *r;
	const struct bench_opts *o = rep->opts;
	uint64_t size = chart_size(rep);
	int n, i, j, rank, nlat = 0, nratio = 0;
	FILE *lat, *tput, *p50, *ratio, *gp;
	bool first;

	if (!in_path("gnuplot"))
		return bench_errf(err, "--png needs gnuplot: apt-get install gnuplot-nox");
	snprintf(lat_path, sizeof(lat_path), "%s/latency.dat", bench_tmpdir());
	snprintf(tput_path, sizeof(tput_path), "%s/throughput.dat", bench_tmpdir());
	snprintf(p50_path, sizeof(p50_path), "%s/p50.dat", bench_tmpdir());
	snprintf(ratio_path, sizeof(ratio_path), "%s/ratio.dat", bench_tmpdir());
	snprintf(gp_path, sizeof(gp_path), "%s/chart.gp", bench_tmpdir());
	lat = fopen(lat_path, "w");
	tput = fopen(tput_path, "w");
	p50 = fopen(p50_path, "w");
	ratio = fopen(ratio_path, "w");
	gp = fopen(gp_path, "w");
	if (!lat || !tput || !p50 || !ratio || !gp) {
		FILE *all[] = { lat, tput, p50, ratio, gp };

		for (i = 0; i < 5; i++)
			if (all[i])
				fclose(all[i]);
		return bench_errf(err, "chart data in %s: %s", bench_tmpdir(), strerror(errno));
	}

	n = list_series(rep, s, 128);
	bench_format_size(size, sz, sizeof(sz));
	bench_verdict(rep, size, verdict, sizeof(verdict));
	/* the machine, then the verdict on its own line (gnuplot's "\n") */
	snprintf(head, sizeof(head), "kipc bench: %s, %d CPUs, %.160s", rep->machine.cpu_model,
		 rep->machine.cpus_online, rep->machine.kernel);
	gp_quote(head, sizeof(head), head);
	gp_quote(verdict, sizeof(verdict), verdict);
	snprintf(title, sizeof(title), "%s\\n%s", head, verdict);
	fprintf(gp, "set terminal pngcairo size 1800,1200 font ',9'\nset output '%s'\n", path);
	fprintf(gp, "set multiplot layout 2,2 title \"%s\" font ',13'\n", title);
	fprintf(gp, "set key outside right top font ',8' spacing 0.9\nset grid\nset logscale y\n"
		    "set format y '%%g'\n");

	/* 1: latency distribution at the chart's size */
	fprintf(gp, "set title 'Round-trip latency distribution, %s messages (kipc bold, "
		    "floors dashed)'\n", sz);
	fprintf(gp, "set xlabel 'percentile'\nset ylabel 'round trip (us)'\n");
	/* tic labels are gnuplot formats: a literal % is %% there */
	fprintf(gp, "set xtics ('0%%%%' 0, '90%%%%' 1, '99%%%%' 2, '99.9%%%%' 3, '99.99%%%%' 4, "
		    "'99.999%%%%' 5, '99.9999%%%%' 6)\n");
	/* x = -log10(1 - q): each "nine" gets the same width; max sits at 1 - 1/n */
	first = true;
	for (rank = 0; rank < 3; rank++)
		for (i = 0; i < n; i++) {
			if (draw_rank(&s[i]) != rank)
				continue;
			r = bench_find_result(rep, s[i].m, s[i].mode, size, BENCH_LATENCY);
			if (!r || r->status != BENCH_OK || !r->ncurve)
				continue;
			fprintf(lat, "# %s %s\n", s[i].m->name, bench_mode_name(s[i].mode));
			for (j = 0; j < r->ncurve; j++) {
				double q = r->curve_q[j] < 1 ? r->curve_q[j] :
					   1 - 1.0 / (double)r->iterations;

				fprintf(lat, "%.4f %.4f\n", -log10(1 - q), r->curve_ns[j] / 1000);
			}
			fprintf(lat, "\n\n");
			plot_cmd(gp, &first, lat_path, nlat++, style(&s[i], i, st, sizeof(st)), &s[i]);
		}
	if (first)
		fprintf(gp, "set label 1 'no latency results' at graph 0.4,0.5\nplot 1/0 notitle");
	fprintf(gp, "\nunset label 1\n");

	/* 2: throughput against size */
	fprintf(gp, "set title 'Streaming throughput'\nset logscale x 2\nset logscale y 10\n");
	fprintf(gp, "set xlabel 'message size (bytes)'\nset ylabel 'GB/s'\nunset xtics\n%s",
		size_tics);
	plot_by_size(gp, tput, tput_path, rep, s, n, BENCH_STREAM, gbytes_per_s, 6,
		     "no throughput results");

	/* 3: round-trip p50 against size */
	fprintf(gp, "set title 'Round-trip latency p50 by message size'\nset ylabel 'p50 (us)'\n");
	plot_by_size(gp, p50, p50_path, rep, s, n, BENCH_LATENCY, p50_us, 4,
		     "no latency results");

	/* 4: kipc's busy-poll p50 over each floor's, by size */
	fprintf(gp, "set title \"kipc's busy-poll round trip over the floors, ring transports "
		    "(p50 ratio; 1 = the floor)\"\nunset logscale y\nset yrange [0:*]\nset ylabel 'x floor'\n");
	first = true;
	for (i = 0; i < n; i++) {
		static const char *const floors[] = { BENCH_FLOOR_LATENCY, "payload-floor" };
		int f;

		/* the ring transports: uds is a socket, not meant to approach a floor */
		if (!is_kipc(s[i].m) || s[i].mode != BENCH_MODE_POLL ||
		    !strncmp(s[i].m->name, "kipc-uds", 8))
			continue;
		for (f = 0; f < 2; f++) {
			int points = 0;

			for (j = 0; j < o->nsizes; j++) {
				double x = bench_ratio_p50(rep, s[i].m->name, floors[f], o->sizes[j]);

				if (!x)
					continue;
				if (!points++)
					fprintf(ratio, "# %s / %s\n", s[i].m->name, floors[f]);
				fprintf(ratio, "%" PRIu64 " %.4f\n", o->sizes[j], x);
			}
			if (!points)
				continue;
			fprintf(ratio, "\n\n");
			style(&s[i], i, st, sizeof(st));
			*strstr(st, " dt ") = 0;	/* the floor picks the dashes here */
			fprintf(gp, "%s '%s' index %d using 1:2 with linespoints %s dt %d "
				    "title '%s / %s'", first ? "plot" : ", \\\n    ", ratio_path,
				nratio++, st, f ? 2 : 1, s[i].m->name, floors[f]);
			first = false;
		}
	}
	if (first)
		fprintf(gp, "set label 1 'no kipc busy-poll rows next to a floor' at graph 0.2,0.5\n"
			    "plot 1/0 notitle");
	else
		fprintf(gp, ", \\\n    1 with lines lc rgb '#000000' lw 1 dt 3 title 'floor'");
	fprintf(gp, "\nunset multiplot\n");
	fclose(lat);
	fclose(tput);
	fclose(p50);
	fclose(ratio);
	if (fclose(gp))
		return bench_errf(err, "%s: %s", gp_path, strerror(errno));
	return run_gnuplot(gp_path, err);
}
