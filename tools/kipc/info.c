// SPDX-License-Identifier: GPL-2.0
/*
 * kipc info: the driver (loaded? ABI, features, limits, parameters), what
 * the fallback transports need, and which transport a connect would use
 * now and why. Probes what libkipc itself checks, in the same order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/kipc.h>

#include "cli.h"

#define CMD "info"
#define DEV_PATH	"/dev/" KIPC_DEVICE_NAME
#define PARAMS_DIR	"/sys/module/kipc/parameters"
#define PROC_KIPC	"/proc/driver/kipc"
#define CAP_IPC_LOCK_BIT	14

void kipc_usage_info(FILE *out)
{
	fprintf(out,
"Usage: kipc info [-h]\n"
"Say whether the kipc driver is loaded and what it offers (ABI version,\n"
"features, limits, module parameters), whether the shm and uds fallbacks\n"
"work here, and which transport a connect would use now, and why.\n");
}

struct dev_probe {
	int err;			/* 0: /dev/kipc opened and answered */
	const char *why;		/* when not */
	struct kipc_version v;
	struct stat st;
};

static void probe_dev(struct dev_probe *d)
{
	int fd;

	memset(d, 0, sizeof(*d));
	d->v.size = sizeof(d->v);
	if (stat(DEV_PATH, &d->st)) {
		d->err = errno;
		d->why = errno == ENOENT ? "no " DEV_PATH : "cannot stat " DEV_PATH;
		return;
	}
	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		d->err = errno;
		d->why = "cannot open " DEV_PATH;
		return;
	}
	if (ioctl(fd, KIPC_IOC_VERSION, &d->v) < 0) {
		d->err = errno;
		d->why = "KIPC_IOC_VERSION failed on " DEV_PATH;
	} else if (!(d->v.features & KIPC_F_POLL_NEED)) {
		/* Features, never a version: what libkipc's dev transport needs. */
		d->err = EPROTONOSUPPORT;
		d->why = "the driver lacks KIPC_F_POLL_NEED, which libkipc needs";
	}
	close(fd);
}

static bool module_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/kipc", &st);
}

static void show_features(uint64_t f)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{ KIPC_F_EVENTFD, "eventfd" },
		{ KIPC_F_URING_CMD, "uring_cmd" },
		{ KIPC_F_PEERCRED, "peercred" },
		{ KIPC_F_POLL_NEED, "poll_need" },
		{ KIPC_F_NEGOTIATE, "negotiate" },
		{ KIPC_F_RING_CAP, "ring_cap" },
		{ KIPC_F_RING_SEQ, "ring_seq" },
		{ KIPC_F_RING_PAD, "ring_pad" },
	};
	uint64_t known = 0;
	size_t i;

	printf("  features        0x%llx", (unsigned long long)f);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		known |= names[i].bit;
		if (f & names[i].bit)
			printf(" %s", names[i].name);
	}
	if (f & ~known)
		printf(" (+0x%llx unknown to this kipc)", (unsigned long long)(f & ~known));
	printf("\n");
}

static void show_params(void)
{
	char path[512], val[128];
	struct dirent **names;
	int n, i;
	FILE *f;

	n = scandir(PARAMS_DIR, &names, NULL, alphasort);
	if (n < 0)
		return;
	printf("  parameters      (" PARAMS_DIR ")\n");
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), PARAMS_DIR "/%s", names[i]->d_name);
			f = fopen(path, "re");
			if (f && fgets(val, sizeof(val), f)) {
				val[strcspn(val, "\n")] = 0;
				printf("    %-20s %s\n", names[i]->d_name, val);
			}
			if (f)
				fclose(f);
		}
		free(names[i]);
	}
	free(names);
}

static void show_usage(void)
{
	char line[256], key[64], val[64], b[32];
	FILE *f = fopen(PROC_KIPC, "re");

	if (!f)
		return;
	printf("  in use         ");
	while (fgets(line, sizeof(line), f) &&
	       strncmp(line, "listener ", 9) && strncmp(line, "conn ", 5)) {
		if (sscanf(line, "%63s %63s", key, val) != 2)
			continue;
		if (!strcmp(key, "pinned_bytes"))
			printf(" pinned %s", cli_bytes(strtoull(val, NULL, 10), b, sizeof(b)));
		else if (!strcmp(key, "listeners") || !strcmp(key, "connections"))
			printf(" %s %s", key, val);
	}
	printf(" (" PROC_KIPC ", kipc ls)\n");
	fclose(f);
}

static void show_driver(const struct dev_probe *d)
{
	char b1[32], b2[32], b3[32];

	if (d->err) {
		printf("driver            %s (%s: %s)\n",
		       module_loaded() ? "loaded, but not usable" : "not loaded",
		       d->why, strerror(d->err));
		if (d->err == EPROTONOSUPPORT)
			show_features(d->v.features);
		return;
	}
	printf("driver            loaded: " DEV_PATH " (char %u:%u, mode %04o)\n",
	       major(d->st.st_rdev), minor(d->st.st_rdev),
	       (unsigned int)(d->st.st_mode & 07777));
	printf("  abi version     %u (this kipc speaks %d)\n", d->v.abi_version,
	       KIPC_ABI_VERSION);
	show_features(d->v.features);
	printf("  page size       %u\n", d->v.page_size);
	printf("  names           1 to %u characters\n", d->v.name_max - 1);
	printf("  ring sizes      %s to %s, default %s (largest message: half a ring - 8)\n",
	       cli_bytes(d->v.min_ring_bytes, b1, sizeof(b1)),
	       cli_bytes(d->v.max_ring_bytes, b2, sizeof(b2)),
	       cli_bytes(d->v.default_ring_bytes, b3, sizeof(b3)));
	printf("  backlog         at most %u\n", d->v.max_backlog);
	show_params();
	show_usage();
}

/* What the shm transport is made of: a sealed memfd and eventfd doorbells. */
static const char *probe_shm(char *why, size_t len)
{
	int fd = memfd_create("kipc-info-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int efd, epfd;

	if (fd < 0) {
		snprintf(why, len, "memfd_create: %s", strerror(errno));
		return why;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		snprintf(why, len, "memfd seals: %s", strerror(errno));
		close(fd);
		return why;
	}
	close(fd);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0) {
		snprintf(why, len, "eventfd: %s", strerror(errno));
		return why;
	}
	close(efd);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		snprintf(why, len, "epoll: %s", strerror(errno));
		return why;
	}
	close(epfd);
	return NULL;
}

static const char *probe_uds(char *why, size_t len)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(why, len, "socket(AF_UNIX, SOCK_SEQPACKET): %s", strerror(errno));
		return why;
	}
	close(fd);
	return NULL;
}

static void show_memlock(void)
{
	char line[256], b[32];
	unsigned long long cap = 0;
	struct rlimit rl;
	bool ipc_lock = false;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &cap) == 1)
			ipc_lock = cap & (1ULL << CAP_IPC_LOCK_BIT);
	if (f)
		fclose(f);
	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return;
	if (ipc_lock)
		printf("memlock           not charged (CAP_IPC_LOCK)\n");
	else if (rl.rlim_cur == RLIM_INFINITY)
		printf("memlock           unlimited (RLIMIT_MEMLOCK)\n");
	else
		printf("memlock           %s (RLIMIT_MEMLOCK; dev rings are charged to it)\n",
		       cli_bytes(rl.rlim_cur, b, sizeof(b)));
}

/* The order of libkipc's automatic choice: dev, shm, uds. */
static void show_choice(const struct dev_probe *d, const char *shm_why,
			const char *uds_why)
{
	const char *env = getenv("KIPC_TRANSPORT");
	unsigned int forced;

	printf("connect now       ");
	if (env && *env && strcmp(env, "auto")) {
		if (!strcmp(env, "dev") || !strcmp(env, "shm") || !strcmp(env, "uds")) {
			cli_parse_transport(CMD, env, &forced);
			printf("%s: forced by KIPC_TRANSPORT=%s", env, env);
			if ((forced == KIPC_TRANSPORT_DEV && d->err) ||
			    (forced == KIPC_TRANSPORT_SHM && shm_why) ||
			    (forced == KIPC_TRANSPORT_UDS && uds_why))
				printf(", which is NOT available here: connects will fail");
			printf("\n");
			return;
		}
		printf("(KIPC_TRANSPORT=%s is not dev, shm, uds or auto; libkipc rejects it)\n",
		       env);
		return;
	}
	if (!d->err) {
		printf("dev: %s, and the driver answers with ABI %d%s\n",
		       env ? "KIPC_TRANSPORT=auto" : "KIPC_TRANSPORT unset",
		       KIPC_ABI_VERSION,
		       " (a listener started with -t shm or -t uds is reached over its socket)");
	} else if (!shm_why) {
		printf("shm: no usable driver (%s), memfd and eventfd work\n", d->why);
	} else if (!uds_why) {
		printf("uds: no usable driver (%s), no shm (%s)\n", d->why, shm_why);
	} else {
		printf("none: no driver, no shm (%s), no uds (%s)\n", shm_why, uds_why);
	}
	printf("                  -t and KIPC_TRANSPORT=dev|shm|uds force one\n");
}

int kipc_cmd_info(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char shm_buf[160], uds_buf[160];
	const char *shm_why, *uds_why;
	struct dev_probe d;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			kipc_usage_info(stdout);
			return KIPC_EXIT_OK;
		}
		return cli_usage_error(CMD);
	}
	if (optind < argc) {
		cli_err(CMD, "unexpected argument '%s'", argv[optind]);
		return cli_usage_error(CMD);
	}
	probe_dev(&d);
	shm_why = probe_shm(shm_buf, sizeof(shm_buf));
	uds_why = probe_uds(uds_buf, sizeof(uds_buf));

	show_driver(&d);
	show_memlock();
	printf("shm fallback      %s%s\n", shm_why ? "NOT available: " : "available",
	       shm_why ? shm_why : " (sealed memfd rings, eventfd doorbells)");
	printf("uds fallback      %s%s\n", uds_why ? "NOT available: " : "available",
	       uds_why ? uds_why : " (SOCK_SEQPACKET messages; names \"\\0kipc.NAME\")");
	show_choice(&d, shm_why, uds_why);
	return fflush(stdout) ? KIPC_EXIT_IO : KIPC_EXIT_OK;
}
