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
 * The ticks of the two measured CPUs (their "cpuN" lines of /proc/stat), or
 * of all CPUs (the "cpu" line) when the processes are not pinned (cpus[0]
 * < 0): their total and the part the hypervisor ran something else while
 * the guest wanted to run (steal, the eighth field; 0 on bare metal). A
 * busy-poll run that loses a tenth of its CPU this way is measuring the
 * host's other guests as much as the mechanism. All zero where /proc/stat
 * does not have them.
 */
void bench_cpu_ticks(const int cpus[2], struct bench_cpu_ticks *t)
{
	int want = cpus[0] < 0 ? 1 : 2, found = 0, cpu, k;
	FILE *f = fopen("/proc/stat", "r");
	char line[512], *p;
	unsigned long long v;

	memset(t, 0, sizeof(*t));
	if (!f)
		return;
	/* The cpu lines come first: "cpu" (all), then "cpu0", "cpu1", ... */
	while (fgets(line, sizeof(line), f) && !strncmp(line, "cpu", 3)) {
		p = line + 3;
		cpu = *p == ' ' ? -1 : (int)strtol(p, &p, 10);
		if (cpus[0] < 0 ? cpu != -1 : cpu != cpus[0] && cpu != cpus[1])
			continue;
		for (k = 0; k < 8; k++) {
			v = strtoull(p, &p, 10);
			t->total += v;
			if (k == 7)
				t->steal += v;
		}
		found++;
	}
	fclose(f);
	if (found != want)
		memset(t, 0, sizeof(*t));
}

/* Steal between the readings @a and @b, as a share; -1 when either read
 * failed or nothing ticked.
 */
double bench_steal_share(const struct bench_cpu_ticks *a,
			 const struct bench_cpu_ticks *b)
{
	if (!a->total || b->total <= a->total || b->steal < a->steal)
		return -1;
	return (double)(b->steal - a->steal) / (double)(b->total - a->total);
}
