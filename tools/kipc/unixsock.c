// SPDX-License-Identifier: GPL-2.0
/*
 * kipc command: what the library's socket transports (shm, uds) show of
 * themselves. Each listener binds the abstract Unix address "\0kipc.NAME"
 * (KIPC_SOCK_PREFIX, kipc.h) and every connection it accepts keeps
 * that address, so /proc/net/unix lists both; sock_diag adds each
 * connection's peer (the client end, which has no address) and the queue
 * lengths; /proc/PID/fd says who holds each socket, for the processes we may
 * look at.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include <kipc.h>

#include "unixsock.h"

#define UDS_PREFIX	"@" KIPC_SOCK_PREFIX	/* /proc/net/unix: the NUL as '@' */
#define SO_ACCEPTCON	0x00010000	/* __SO_ACCEPTCON: a listening socket */
#define SS_CONNECTED	3

static int add(struct kipc_socks *s, const struct kipc_sock *k)
{
	struct kipc_sock *v;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		v = realloc(s->v, s->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
	}
	s->v[s->n++] = *k;
	return 0;
}

static void comm_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = 0;
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static struct kipc_sock *find(struct kipc_socks *s, unsigned long inode)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].inode == inode)
			return &s->v[i];
	return NULL;
}

static void diag_attrs(struct kipc_sock *k, const struct unix_diag_msg *m,
		       size_t len)
{
	const struct rtattr *a = (const void *)(m + 1);
	struct unix_diag_rqlen rq;
	uint32_t peer;

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(peer)) {
			memcpy(&peer, RTA_DATA(a), sizeof(peer));
			k->peer_inode = peer;
		} else if (a->rta_type == UNIX_DIAG_RQLEN && RTA_PAYLOAD(a) >= sizeof(rq)) {
			memcpy(&rq, RTA_DATA(a), sizeof(rq));
			k->rqueue = rq.udiag_rqueue;
			k->wqueue = rq.udiag_wqueue;
			k->have_diag = true;
		}
	}
}

/* Peers and queue lengths from NETLINK_SOCK_DIAG; quietly nothing without. */
static void add_diag(struct kipc_socks *s)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} q = {
		.nlh = {
			.nlmsg_len = sizeof(q),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.req = {
			.sdiag_family = AF_UNIX,
			.udiag_states = (1U << TCP_LISTEN) | (1U << TCP_ESTABLISHED),
			.udiag_show = UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN,
		},
	};
	long buf[8192 / sizeof(long)];
	const struct unix_diag_msg *m;
	const struct nlmsghdr *h;
	struct kipc_sock *k;
	ssize_t n;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return;
	if (send(fd, &q, sizeof(q), 0) != sizeof(q))
		goto out;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			goto out;
		for (h = (const void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				goto out;
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			m = NLMSG_DATA(h);
			k = find(s, m->udiag_ino);
			if (k)
				diag_attrs(k, m, h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
		}
	}
out:
	close(fd);
}

static void set_owner(pid_t pid, pid_t *out, char *comm, size_t len)
{
	if (*out)
		return;
	*out = pid;
	comm_of(pid, comm, len);
}

/* Who holds each socket and each peer: one pass over /proc/[0-9]+/fd. */
static void find_owners(struct kipc_socks *s)
{
	char path[PATH_MAX], link[64];
	struct dirent *pe, *fe;
	DIR *proc, *fds;
	unsigned long ino;
	ssize_t n;
	size_t i;

	proc = opendir("/proc");
	if (!proc)
		return;
	while ((pe = readdir(proc))) {
		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", pe->d_name);
		fds = opendir(path);
		if (!fds)
			continue;	/* someone else's: only root sees all */
		while ((fe = readdir(fds))) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", pe->d_name,
				 fe->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = 0;
			if (sscanf(link, "socket:[%lu]", &ino) != 1)
				continue;
			for (i = 0; i < s->n; i++) {
				struct kipc_sock *k = &s->v[i];

				if (k->inode == ino)
					set_owner((pid_t)atoi(pe->d_name), &k->pid,
						  k->comm, sizeof(k->comm));
				if (k->peer_inode == ino)
					set_owner((pid_t)atoi(pe->d_name), &k->peer_pid,
						  k->peer_comm, sizeof(k->peer_comm));
			}
		}
		closedir(fds);
	}
	closedir(proc);
}

int kipc_socks_read(struct kipc_socks *s)
{
	unsigned int refs, proto, flags, type, st;
	char line[512], path[256];
	struct kipc_sock k;
	unsigned long ino;
	FILE *f;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	f = fopen("/proc/net/unix", "re");
	if (!f)
		return -errno;
	/* Num RefCount Protocol Flags Type St Inode Path */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*[0-9a-fA-F]: %x %x %x %x %x %lu %255s", &refs,
			   &proto, &flags, &type, &st, &ino, path) != 7)
			continue;
		if (strncmp(path, UDS_PREFIX, strlen(UDS_PREFIX)))
			continue;
		memset(&k, 0, sizeof(k));
		snprintf(k.name, sizeof(k.name), "%.63s", path + strlen(UDS_PREFIX));
		k.inode = ino;
		k.listening = (flags & SO_ACCEPTCON) != 0;
		if (!k.listening && st != SS_CONNECTED)
			continue;
		ret = add(s, &k);
		if (ret)
			break;
	}
	fclose(f);
	if (!ret) {
		add_diag(s);
		find_owners(s);
	}
	return ret;
}

void kipc_socks_free(struct kipc_socks *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}
