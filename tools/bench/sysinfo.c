// SPDX-License-Identifier: GPL-2.0
/* The machine a result came from, for the JSON and CSV files. */
#include <stdio.h>
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
	m->mem_mb = sysconf(_SC_PHYS_PAGES) / 1024 * (sysconf(_SC_PAGESIZE) / 1024);
	gmtime_r(&now, &tm);
	strftime(m->date, sizeof(m->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
}
