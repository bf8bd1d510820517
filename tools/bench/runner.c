// SPDX-License-Identifier: GPL-2.0
/*
 * One run: a shared control block, the mechanism's setup, two role
 * processes pinned to their CPUs (exec'ing the mechanism's helper if it has
 * one), a bounded wait for both, teardown, and the outcome.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "driver.h"

/* After one role failed, how long the other gets to notice before SIGKILL. */
#define PEER_GRACE_NS	(200ull * 1000 * 1000)

struct role_proc {
	pid_t pid;
	bool reaped;
	int wstatus;
};

static void pin_to(struct bench_run *r, int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		bench_fail(r, "sched_setaffinity(cpu %d): %s", cpu, strerror(errno));
}

static void exec_helper(const struct bench_runner *rn, struct bench_run *r, int ctl_fd)
{
	char path[400], role[8], fd[16];
	char *argv[] = { path, "--role", role, "--ctl-fd", fd, NULL };

	snprintf(path, sizeof(path), "%s/%s", rn->opts->helper_dir, r->mech->helper);
	snprintf(role, sizeof(role), "%d", r->role);
	snprintf(fd, sizeof(fd), "%d", ctl_fd);
	fcntl(ctl_fd, F_SETFD, 0);
	execv(path, argv);
	bench_fail(r, "exec %s: %s", path, strerror(errno));
}

static void role_process(const struct bench_runner *rn, struct bench_run *r, int role,
			 int ctl_fd)
{
	struct bench_role_state *st = &r->ctl->role[role];

	bench_child_prepare();
	r->role = role;
	r->error = st->error;
	pin_to(r, rn->cpus[role]);
	if (!r->error[0]) {
		if (r->mech->helper)
			exec_helper(rn, r, ctl_fd);
		else
			exit(bench_role_main(r->mech, r));
	}
	st->status = -1;
	atomic_store(&st->done, 1);
	_exit(1);
}

static void reap(struct role_proc *rp, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!rp[i].reaped && waitpid(rp[i].pid, &rp[i].wstatus, WNOHANG) == rp[i].pid)
			rp[i].reaped = true;
}

static bool failed(const struct role_proc *rp)
{
	return rp->reaped && !(WIFEXITED(rp->wstatus) && WEXITSTATUS(rp->wstatus) == 0);
}

static void kill_all(struct role_proc *rp, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!rp[i].reaped) {
			kill(rp[i].pid, SIGKILL);
			waitpid(rp[i].pid, &rp[i].wstatus, 0);
			rp[i].reaped = true;
		}
}

/* Returns the interrupting signal, 0 when both ended, -1 on timeout. */
static int wait_roles(struct role_proc *rp, int n, double timeout_s)
{
	uint64_t now, deadline = bench_mono_ns() + (uint64_t)(timeout_s * 1e9);
	bool grace = false;
	struct timespec ts;
	sigset_t set;
	int sig, i, alive;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	for (;;) {
		reap(rp, n);
		for (i = 0, alive = 0; i < n; i++)
			alive += !rp[i].reaped;
		if (!alive)
			return 0;
		now = bench_mono_ns();
		for (i = 0; i < n && !grace; i++)
			if (failed(&rp[i])) {
				grace = true;
				if (deadline > now + PEER_GRACE_NS)
					deadline = now + PEER_GRACE_NS;
			}
		if (now >= deadline) {
			kill_all(rp, n);
			return grace ? 0 : -1;
		}
		ts.tv_sec = (time_t)((deadline - now) / 1000000000ull);
		ts.tv_nsec = (long)((deadline - now) % 1000000000ull);
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			kill_all(rp, n);
			return sig;
		}
	}
}

static void describe_exit(char *buf, size_t len, const char *who, const struct role_proc *rp)
{
	if (WIFSIGNALED(rp->wstatus))
		snprintf(buf, len, "%s killed by signal %d (%s)", who, WTERMSIG(rp->wstatus),
			 strsignal(WTERMSIG(rp->wstatus)));
	else
		snprintf(buf, len, "%s exited with status %d", who, WEXITSTATUS(rp->wstatus));
}

/* The cause is the role that failed first; the other usually just saw it go. */
static void explain_failure(struct bench_result *res, struct bench_ctl *ctl,
			    struct role_proc *rp, bool timed_out, double timeout_s)
{
	static const char *const who[] = { "role A", "role B" };
	struct bench_role_state *a = &ctl->role[0], *b = &ctl->role[1];
	int first = -1;

	if (a->fail_seq && (!b->fail_seq || a->fail_seq < b->fail_seq))
		first = 0;
	else if (b->fail_seq)
		first = 1;
	if (first >= 0) {
		bench_note(res, "%s: %s", who[first], ctl->role[first].error);
		return;
	}
	if (timed_out) {
		bench_note(res, "timed out after %.0f s (a message lost, or a wake-up missed)", timeout_s);
		return;
	}
	if (failed(&rp[0]))
		describe_exit(res->note, sizeof(res->note), who[0], &rp[0]);
	else
		describe_exit(res->note, sizeof(res->note), who[1], &rp[1]);
}

static void collect(const struct bench_runner *rn, struct bench_ctl *ctl,
		    struct bench_result *res)
{
	double unit = rn->tsc_ns_per_tick > 0 ? rn->tsc_ns_per_tick : 1.0;
	struct bench_role_state *rx = &ctl->role[BENCH_ROLE_B];
	double secs;
	int i;

	for (i = 0; i < 2; i++) {
		const struct bench_role_state *st = &ctl->role[i];

		res->cpu_ns[i] = (double)st->cpu_ns / (double)(ctl->p.iterations ? ctl->p.iterations : 1);
		res->cpu_share[i] = st->cpu_wall_ns ? (double)st->cpu_ns / (double)st->cpu_wall_ns : 0;
	}
	if (ctl->p.workload == BENCH_LATENCY) {
		bench_stats_latency(res, ctl->samples, ctl->p.iterations, unit,
				    rn->clock_grain_ns);
		return;
	}
	secs = (double)(rx->t_end - rx->t_begin) * unit / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	res->msgs_per_s = (double)ctl->p.iterations / secs;
	res->bytes_per_s = res->msgs_per_s * (double)ctl->p.size;
}

int bench_run_once(const struct bench_runner *rn, const struct bench_mech *m,
		   struct bench_mech_env *env, const struct bench_params *params,
		   struct bench_result *res)
{
	struct role_proc rp[2] = { { 0 } };
	struct bench_run r = { .mech = m, .role = BENCH_ROLE_PARENT };
	uint64_t t0 = bench_mono_ns();
	struct bench_ctl *ctl;
	size_t ctl_len;
	int fd, ret, interrupted = 0, i, n = 0;

	res->iterations = params->iterations;
	res->warmup = params->warmup;
	res->status = BENCH_FAILED;
	ctl_len = sizeof(*ctl);
	if (params->workload == BENCH_LATENCY)
		ctl_len += params->iterations * sizeof(uint64_t);
	fd = memfd_create("kipc-bench-ctl", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)ctl_len)) {
		bench_note(res, "memfd for the control block: %s",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	ctl = mmap(NULL, ctl_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ctl == MAP_FAILED) {
		bench_note(res, "mmap control block: %s", strerror(errno));
		close(fd);
		return 0;
	}
	ctl->p = *params;
	ctl->nsamples = params->workload == BENCH_LATENCY ? params->iterations : 0;
	r.ctl = ctl;
	r.p = &ctl->p;
	r.error = ctl->parent_error;
	r.env = env ? env->state : NULL;
	r.priv = calloc(1, m->priv_size ? m->priv_size : 1);
	if (!r.priv) {
		bench_note(res, "out of memory");
		goto out_unmap;
	}

	ret = m->setup ? m->setup(&r) : 0;
	if (ret) {
		res->status = ret > 0 ? BENCH_SKIPPED : BENCH_FAILED;
		bench_note(res, "%s",
			 ctl->parent_error[0] ? ctl->parent_error : "setup failed");
		if (ret < 0 && m->teardown)
			m->teardown(&r);
		goto out_free;
	}

	fflush(NULL);
	for (i = 0; i < 2; i++, n++) {
		rp[i].pid = fork();
		if (rp[i].pid < 0) {
			bench_note(res, "fork: %s", strerror(errno));
			break;
		}
		if (rp[i].pid == 0)
			role_process(rn, &r, i, fd);
	}
	if (n == 2) {
		ret = wait_roles(rp, n, rn->opts->timeout_s);
		if (ret > 0) {
			interrupted = ret;
			bench_note(res, "interrupted by signal %d", ret);
		} else if (!failed(&rp[0]) && !failed(&rp[1]) && ret == 0 &&
			 !ctl->role[0].status && !ctl->role[1].status) {
			res->status = BENCH_OK;
			collect(rn, ctl, res);
			if (ctl->role[0].info[0] || ctl->role[1].info[0])
				bench_note(res, "%s", ctl->role[ctl->role[0].info[0] ? 0 : 1].info);
		} else {
			explain_failure(res, ctl, rp, ret < 0, rn->opts->timeout_s);
		}
	} else {
		kill_all(rp, n);
	}
	if (m->teardown)
		m->teardown(&r);
	if (res->status == BENCH_OK && ctl->parent_error[0]) {
		/* teardown found something wrong, e.g. an object it could not remove */
		res->status = BENCH_FAILED;
		bench_note(res, "teardown: %s", ctl->parent_error);
	}
out_free:
	free(r.priv);
out_unmap:
	munmap(ctl, ctl_len);
	close(fd);
	res->wall_s = (double)(bench_mono_ns() - t0) / 1e9;
	return interrupted;
}
