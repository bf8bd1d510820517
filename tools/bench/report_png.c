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

		if (r->status != BENCH_OK)
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

/* Series i looks the same in both panels; colours repeat every 8, dashes tell them apart. */
static const char *style(int i, char *buf, size_t len)
{
	snprintf(buf, len, "lt %d pt %d dt %d", i % 8 + 1, i % 13 + 1, i / 8 + 1);
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

int bench_write_png(const struct bench_report *rep, const char *path, char *err)
{
	char lat_path[300], tput_path[300], gp_path[300], sz[32], st[48];
	struct series s[128];
	const struct bench_result *r;
	uint64_t size = chart_size(rep);
	int n, i, j, nlat = 0, ntput = 0;
	FILE *lat, *tput, *gp;
	bool first;

	if (!in_path("gnuplot"))
		return bench_errf(err, "--png needs gnuplot: apt-get install gnuplot-nox");
	snprintf(lat_path, sizeof(lat_path), "%s/latency.dat", bench_tmpdir());
	snprintf(tput_path, sizeof(tput_path), "%s/throughput.dat", bench_tmpdir());
	snprintf(gp_path, sizeof(gp_path), "%s/chart.gp", bench_tmpdir());
	lat = fopen(lat_path, "w");
	tput = fopen(tput_path, "w");
	gp = fopen(gp_path, "w");
	if (!lat || !tput || !gp) {
		if (lat)
			fclose(lat);
		if (tput)
			fclose(tput);
		if (gp)
			fclose(gp);
		return bench_errf(err, "chart data in %s: %s", bench_tmpdir(), strerror(errno));
	}

	n = list_series(rep, s, 128);
	bench_format_size(size, sz, sizeof(sz));
	fprintf(gp, "set terminal pngcairo size 1600,700 font ',9'\nset output '%s'\n", path);
	fprintf(gp, "set multiplot layout 1,2 title 'kipc bench: %s, %d CPUs, %s'\n",
		rep->machine.cpu_model, rep->machine.cpus_online, rep->machine.kernel);
	fprintf(gp, "set key outside right top font ',8'\nset grid\nset logscale y\n"
		    "set format y '%%g'\n");
	fprintf(gp, "set title 'Round-trip latency distribution, %s messages'\n", sz);
	fprintf(gp, "set xlabel 'percentile'\nset ylabel 'round trip (us)'\n");
	/* tic labels are gnuplot formats: a literal % is %% there */
	fprintf(gp, "set xtics ('0%%%%' 0, '90%%%%' 1, '99%%%%' 2, '99.9%%%%' 3, '99.99%%%%' 4, "
		    "'99.999%%%%' 5, '99.9999%%%%' 6)\n");
	/* x = -log10(1 - q): each "nine" gets the same width; max sits at 1 - 1/n */
	for (i = 0, first = true; i < n; i++) {
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
		/* the same line type for a series in both panels */
		fprintf(gp, "%s '%s' index %d using 1:2 with linespoints %s title '%s %s'",
			first ? "plot" : ", \\\n    ", lat_path, nlat++, style(i, st, sizeof(st)),
			s[i].m->name,
			bench_mode_name(s[i].mode));
		first = false;
	}
	if (first)
		fprintf(gp, "set label 'no latency results' at graph 0.4,0.5\nplot 1/0 notitle");
	fprintf(gp, "\n");

	fprintf(gp, "set title 'Streaming throughput'\nset logscale x 2\nset logscale y 10\n");
	fprintf(gp, "set xlabel 'message size (bytes)'\nset ylabel 'GB/s'\nunset xtics\n");
	fprintf(gp, "set xtics ('8' 8, '64' 64, '512' 512, '4K' 4096, '32K' 32768, "
		    "'256K' 262144, '1M' 1048576)\nset format y '%%g'\n");
	for (i = 0, first = true; i < n; i++) {
		int points = 0;

		for (j = 0; j < rep->opts->nsizes; j++) {
			r = bench_find_result(rep, s[i].m, s[i].mode, rep->opts->sizes[j],
					      BENCH_STREAM);
			if (r && r->status == BENCH_OK) {
				if (!points)
					fprintf(tput, "# %s %s\n", s[i].m->name,
						bench_mode_name(s[i].mode));
				fprintf(tput, "%" PRIu64 " %.6f\n", r->size, r->bytes_per_s / 1e9);
				points++;
			}
		}
		if (!points)
			continue;
		fprintf(tput, "\n\n");
		fprintf(gp, "%s '%s' index %d using 1:2 with linespoints %s title '%s %s'",
			first ? "plot" : ", \\\n    ", tput_path, ntput++, style(i, st, sizeof(st)),
			s[i].m->name,
			bench_mode_name(s[i].mode));
		first = false;
	}
	if (first)
		fprintf(gp, "set label 'no throughput results' at graph 0.4,0.5\nplot 1/0 notitle");
	fprintf(gp, "\nunset multiplot\n");
	fclose(lat);
	fclose(tput);
	if (fclose(gp))
		return bench_errf(err, "%s: %s", gp_path, strerror(errno));
	return run_gnuplot(gp_path, err);
}
