// SPDX-License-Identifier: GPL-2.0
/* The machine a result came from, for the JSON and CSV files, and the
 * time its hypervisor took from the measured CPUs during the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "driver.h"

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static void probe_cpuinfo(struct bench_machine *m)
{
	char line[4096], *v;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		v = strchr(line, ':');
		if (!v)
			continue;
		v += 1 + (v[1] == ' ');
		v[strcspn(v, "\n")] = 0;
		if (!m->cpu_model[0] && (!strncmp(line, "model name", 10) ||
					 !strncmp(line, "Model", 5)))
			snprintf(m->cpu_model, sizeof(m->cpu_model), "%s", v);
		if (!strncmp(line, "flags", 5) && strstr(v, " hypervisor"))
			m->hypervisor = true;
	}
	fclose(f);
}

void bench_machine_probe(struct bench_machine *m)
{
	struct utsname u;
	cpu_set_t set;
	time_t now = time(NULL);
	struct tm tm;

	memset(m, 0, sizeof(*m));
	probe_cpuinfo(m);
	if (!m->cpu_model[0])
		snprintf(m->cpu_model, sizeof(m->cpu_model), "unknown");
	m->cpus_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (!sched_getaffinity(0, sizeof(set), &set))
		m->cpus_allowed = CPU_COUNT(&set);
	if (!uname(&u)) {
		snprintf(m->kernel, sizeof(m->kernel), "%s %s", u.sysname, u.release);
		snprintf(m->kernel_version, sizeof(m->kernel_version), "%s", u.version);
		snprintf(m->arch, sizeof(m->arch), "%s", u.machine);
	}
	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  m->clocksource, sizeof(m->clocksource));
	m->steal_share = -1;
	m->mem_mb = sysconf(_SC_PHYS_PAGES) / 1024 * (sysconf(_SC_PAGESIZE) / 1024);
	gmtime_r(&now, &tm);
	strftime(m->date, sizeof(m->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * The ticks of the two measured CPUs (both "cpuN" lines of /proc/stat), or
 * of all CPUs (the "cpu" line) when the processes are not pinned: their
 * total and the part the hypervisor ran something else while the guest
 * wanted to run (steal, the eighth field; 0 on bare metal). A busy-poll
 * run that loses a tenth of its CPU this way is measuring the host's other
 * guests as much as the mechanism. 0, or -1 where /proc/stat says nothing.
 */
int bench_cpu_ticks(const int cpus[2], struct bench_cpu_ticks *t)
{
	char line[512], want[2][24];
	FILE *f = fopen("/proc/stat", "r");
	int found = 0, i, nwant;

	memset(t, 0, sizeof(*t));
	if (!f)
		return -1;
	nwant = cpus[0] >= 0 ? 2 : 1;
	if (cpus[0] >= 0) {
		snprintf(want[0], sizeof(want[0]), "cpu%d ", cpus[0]);
		snprintf(want[1], sizeof(want[1]), "cpu%d ", cpus[1]);
		if (cpus[1] == cpus[0])
			nwant = 1;
	} else {
		snprintf(want[0], sizeof(want[0]), "cpu ");
	}
	while (found < nwant && fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = { 0 };
		char *p;

		for (i = 0; i < nwant; i++)
			if (!strncmp(line, want[i], strlen(want[i])))
				break;
		if (i == nwant)
			continue;
		p = line + strlen(want[i]);
		for (i = 0; i < 8; i++)
			v[i] = strtoull(p, &p, 10);
		for (i = 0; i < 8; i++)
			t->total += v[i];
		t->steal += v[7];
		found++;
	}
	fclose(f);
	return found == nwant ? 0 : -1;
}

/* Steal over the ticks from @a to @b, as a share; -1 when nothing ticked. */
double bench_steal_share(const struct bench_cpu_ticks *a,
			 const struct bench_cpu_ticks *b)
{
	if (b->total <= a->total || b->steal < a->steal)
		return -1;
	return (double)(b->steal - a->steal) / (double)(b->total - a->total);
}
