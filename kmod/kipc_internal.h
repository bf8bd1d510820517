/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc: kernel-assisted shared-memory IPC - objects shared by the driver's
 * files. The ABI lives in include/uapi/linux/kipc.h; nothing here is visible
 * to userspace.
 *
 * Lifetimes:
 *  - struct kipc_endpoint is the private_data of one open file: a /dev/kipc
 *    fd or a server fd from ACCEPT. It is unbound until LISTEN or CONNECT
 *    (or ACCEPT, for the server fd) binds it, and freed with the file.
 *  - struct kipc_listener is owned by its endpoint and by connectors that
 *    wait for backlog room (kref). Its name leaves the table when its file
 *    is released; it stays on kipc_listeners (for /proc) until it is freed.
 *    It holds a reference on the network namespace its name lives in.
 *  - struct kipc_conn is owned by the client endpoint, the server endpoint
 *    and the listener's accept queue while queued (kref); it holds the ring
 *    pages and every charge. Mappings hold the file, hence the endpoint.
 *    A queued connection whose client is released leaves the queue at
 *    once (kipc_listener_unqueue()), so nothing keeps a dead client's
 *    charges. It holds a reference on its listener until it is freed.
 *
 * Locking, outermost first:
 *  kipc_lock (mutex)        name table, connection list, global counters,
 *                           per-user counts (struct kipc_user)
 *  kipc_listener.lock       accept queue, nr_queued, nr_pending, dead
 *  kipc_conn.lock           state, eventfds, kicks, byte counters
 * kref_put() of a listener or connection is never called with any of them
 * held: the release of either takes kipc_lock. /proc/driver/kipc takes
 * kipc_lock only to step to the next few objects (taking a reference on
 * each with kref_get_unless_zero()) and formats them without it.
 */
#ifndef _KIPC_INTERNAL_H
#define _KIPC_INTERNAL_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/kipc.h>

struct net;
struct pid_namespace;
struct user_namespace;

#define KIPC_RING_HARD_MAX	(256U << 20)	/* largest max_ring_bytes */
#define KIPC_BACKLOG_HARD_MAX	65535U		/* largest max_backlog */

/*
 * Every feature this driver has; feature_mask may hide some (tests). The
 * ring formats are userspace's business: the driver only passes them on
 * and keeps readiness right for each (kipc_conn_poll()).
 */
#define KIPC_FEATURES		(KIPC_F_EVENTFD | KIPC_F_URING_CMD | \
				 KIPC_F_PEERCRED | KIPC_F_POLL_NEED | \
				 KIPC_F_NEGOTIATE | KIPC_F_RING_CAP | \
				 KIPC_RING_FORMATS_KNOWN)
#define KIPC_RING_FORMATS_KNOWN	(KIPC_F_RING_SEQ | KIPC_F_RING_PAD)

/* Module parameters, kipc_main.c. Read with READ_ONCE(). */
extern unsigned int kipc_max_ring_bytes;
extern unsigned int kipc_default_ring_bytes;
extern unsigned int kipc_max_backlog;
extern unsigned int kipc_max_conns_per_user;
extern unsigned long kipc_max_pinned_bytes;
extern unsigned long kipc_max_pinned_bytes_per_user;
extern unsigned int kipc_max_listeners_per_user;

/* Global state, kipc_main.c. All but kipc_nr_mappings under kipc_lock. */
extern struct mutex kipc_lock;
extern unsigned int kipc_nr_listeners;
extern unsigned int kipc_nr_conns;
extern u64 kipc_conns_total;
extern unsigned long kipc_pinned_pages;
extern atomic_long_t kipc_nr_mappings;

extern const struct file_operations kipc_fops;

/*
 * What one real uid holds, for the per-user limits: the connections it
 * made (and their pages) as connector, the names it holds as listener.
 * Under kipc_lock; freed by kipc_user_put() once all three are zero.
 */
struct kipc_user {
	struct list_head node;		/* kipc_users */
	kuid_t uid;
	unsigned int conns;
	unsigned int listeners;
	unsigned long pinned_pages;
};

/* Credentials of one side as of LISTEN (server) or CONNECT (client). */
struct kipc_cred {
	struct pid *pid;		/* thread group */
	kuid_t uid;			/* euid, as SO_PEERCRED */
	kgid_t gid;			/* egid */
};

struct kipc_listener {
	struct kref ref;
	struct hlist_node hnode;	/* name table, under kipc_lock */
	struct list_head node;		/* kipc_listeners, under kipc_lock */
	struct net *net;		/* the name's namespace (a reference) */
	char name[KIPC_NAME_MAX];
	u32 mode;			/* S_IRWXUGO bits checked at CONNECT */
	u32 backlog;
	u32 ring_bytes[2];
	u64 features;			/* KIPC_F_RING_* the server reads */
	kuid_t owner_uid;		/* fsuid at LISTEN */
	kgid_t owner_gid;		/* fsgid at LISTEN */
	struct kipc_user *user;		/* real uid at LISTEN, while named */
	struct kipc_cred cred;		/* the server's peer credentials */

	spinlock_t lock;		/* the five fields below */
	struct list_head queue;		/* kipc_conn.qnode, oldest first */
	u32 nr_queued;
	u32 nr_pending;			/* slots held by connectors allocating */
	bool dead;			/* its file was released */
	wait_queue_head_t *accept_wq;	/* its endpoint's wq: ACCEPT and poll;
					 * woken under lock while !dead
					 */
	wait_queue_head_t connect_wq;	/* CONNECT: backlog room or dead */
};

/* One end of a connection. */
struct kipc_side {
	struct kipc_conn *conn;
	wait_queue_head_t *wq;		/* its endpoint's poll waiters; NULL
					 * before ACCEPT and once released;
					 * conn->lock, woken under it
					 */
	struct eventfd_ctx *evfd;	/* signalled by the peer; conn->lock */
	struct work_struct evfd_work;	/* eventfd_signal() from a safe context */
	struct kipc_cred cred;
	u64 kicks;			/* kicks this side sent; conn->lock */
};

struct kipc_conn {
	struct kref ref;
	u64 id;
	struct list_head node;		/* kipc_conns, under kipc_lock */
	struct list_head qnode;		/* accept queue, under listener lock */
	char name[KIPC_NAME_MAX];
	u32 ring_bytes[2];
	u64 features;			/* KIPC_F_RING_* in use */
	unsigned int nr_pages;
	struct page **pages;		/* the object, in shared view order */
	struct kipc_shared_hdr *hdr;	/* page 0, written by the kernel only */

	spinlock_t lock;		/* state..side[], see each field */
	u32 state;			/* KIPC_STATE_*; copied to hdr->state */
	u32 last_head[2];		/* head of ring r when last sampled */
	u64 bytes[2];			/* bytes published on ring r, sampled */
	u32 last_msgs[2];		/* prod.msgs of ring r when last sampled */
	u64 msgs[2];			/* messages the producer says it sent */
	struct kipc_side side[2];

	struct kipc_listener *listener;	/* made to; a reference, for unqueue */
	struct kipc_user *user;		/* per-user connection count */
	struct user_struct *locked_user; /* charged locked_vm; NULL if none */
	/* Who keeps the connection once its client is gone
	 * (kipc_conn_hand_over()): the accepting task's real uid and, unless
	 * it has CAP_IPC_LOCK, its user_struct (a reference), set at ACCEPT.
	 */
	kuid_t server_uid;
	struct user_struct *server_user;
	bool handed_over;		/* c->lock */
};

enum kipc_role {
	KIPC_ROLE_UNBOUND,
	KIPC_ROLE_BINDING,		/* LISTEN/CONNECT in progress */
	KIPC_ROLE_LISTENER,
	KIPC_ROLE_CONN,
};

/*
 * One ioctl call, as the dispatcher (kipc_main.c) hands it to a handler:
 * the argument is already copied in, its size and flags checked against
 * the command's table entry and the fd's role found fitting.
 */
struct kipc_ucmd {
	struct file *file;
	struct kipc_endpoint *ep;
	void __user *ubuffer;		/* the caller's struct */
	u32 user_size;			/* its size field, >= the 1.0 size */
	void *cmd;			/* the kernel's copy, today's layout */
};

int kipc_ucmd_respond(struct kipc_ucmd *ucmd, size_t len);

struct kipc_endpoint {
	/* Every poll of the fd waits here, whatever its role, so a poll
	 * armed before LISTEN/CONNECT (epoll and io_uring register once)
	 * still hears what the fd does after it is bound.
	 */
	wait_queue_head_t wq;
	atomic_t role;			/* enum kipc_role; release on bind */
	unsigned int side;		/* KIPC_SIDE_* when a connection */
	union {
		struct kipc_listener *listener;
		struct kipc_conn *conn;
	};
};

static inline int kipc_endpoint_role(struct kipc_endpoint *ep)
{
	/* Pairs with kipc_endpoint_bind(): the fields are set before it. */
	return atomic_read_acquire(&ep->role);
}

/* Only one LISTEN/CONNECT can bind a fresh endpoint. */
static inline bool kipc_endpoint_claim(struct kipc_endpoint *ep)
{
	return atomic_cmpxchg(&ep->role, KIPC_ROLE_UNBOUND,
			      KIPC_ROLE_BINDING) == KIPC_ROLE_UNBOUND;
}

static inline void kipc_endpoint_unclaim(struct kipc_endpoint *ep)
{
	atomic_set(&ep->role, KIPC_ROLE_UNBOUND);
}

static inline void kipc_endpoint_bind(struct kipc_endpoint *ep, int role)
{
	atomic_set_release(&ep->role, role);
	/* Pollers armed while unbound look again, at the new role. */
	wake_up_interruptible(&ep->wq);
}

static inline u32 kipc_gone_bit(unsigned int side)
{
	return side == KIPC_SIDE_CLIENT ? KIPC_STATE_CLIENT_GONE :
					  KIPC_STATE_SERVER_GONE;
}

/* Object page index of the first data page of ring @r. */
static inline unsigned int kipc_data_first(const struct kipc_conn *c,
					   unsigned int r)
{
	return KIPC_FIXED_PAGES + (r ? c->ring_bytes[0] >> PAGE_SHIFT : 0);
}

/* kipc_main.c */
struct kipc_endpoint *kipc_endpoint_alloc(void);
u64 kipc_features(void);
u32 kipc_ring_max(void);
u32 kipc_ring_default(void);

/*
 * What one reader of /proc/driver/kipc may see, fixed when it opens the
 * file (as /proc/net does): the objects of its network namespace, pids in
 * the pid namespace of the proc mount, ids in its user namespace, and the
 * private fields (pids, traffic) of the objects its euid owns, or of all
 * with CAP_SYS_ADMIN in the initial user namespace.
 */
struct kipc_proc_view {
	struct net *net;		/* a reference */
	struct pid_namespace *pid_ns;	/* the proc mount's */
	struct user_namespace *user_ns;	/* the opener's */
	kuid_t euid;			/* the opener's */
	bool privileged;
};

/* kipc_listen.c */
void kipc_names_init(void);
int kipc_ioc_listen(struct kipc_ucmd *ucmd);
int kipc_ioc_connect(struct kipc_ucmd *ucmd);
int kipc_ioc_accept(struct kipc_ucmd *ucmd);
__poll_t kipc_listener_poll(struct kipc_listener *l);
void kipc_listener_close(struct kipc_listener *l);
void kipc_listener_put(struct kipc_listener *l);
void kipc_listener_unqueue(struct kipc_conn *c);
unsigned int kipc_listener_batch(struct kipc_listener *after,
				 const struct net *net,
				 struct kipc_listener **out, unsigned int max);
void kipc_listener_show(struct seq_file *m, const struct kipc_proc_view *v,
			struct kipc_listener *l);
void kipc_cred_init(struct kipc_cred *cred);
void kipc_cred_to_peer(const struct kipc_cred *cred, struct kipc_peer *peer);

/* kipc_conn.c */
struct kipc_user *kipc_user_get(kuid_t uid);
void kipc_user_put(struct kipc_user *u);
struct kipc_conn *kipc_conn_create(struct kipc_listener *l, u64 features,
				   wait_queue_head_t *client_wq);
void kipc_conn_put(struct kipc_conn *c);
void kipc_conn_accepted(struct kipc_conn *c, wait_queue_head_t *wq);
void kipc_conn_side_gone(struct kipc_conn *c, unsigned int side);
int kipc_conn_kick(struct kipc_endpoint *ep);
int kipc_ioc_kick(struct kipc_ucmd *ucmd);
int kipc_ioc_conn_info(struct kipc_ucmd *ucmd);
int kipc_ioc_set_eventfd(struct kipc_ucmd *ucmd);
__poll_t kipc_conn_poll(struct kipc_endpoint *ep);
unsigned int kipc_conn_batch(struct kipc_conn *after, const struct net *net,
			     struct kipc_conn **out, unsigned int max);
void kipc_conn_show(struct seq_file *m, const struct kipc_proc_view *v,
		    struct kipc_conn *c);
struct page *kipc_conn_view_page(struct kipc_conn *c, unsigned int side,
				 bool own_view, unsigned long index);

/* kipc_mmap.c */
int kipc_mmap(struct file *file, struct vm_area_struct *vma);

/* kipc_proc.c */
int kipc_proc_init(void);
void kipc_proc_exit(void);

#endif /* _KIPC_INTERNAL_H */
