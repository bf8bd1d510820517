// SPDX-License-Identifier: GPL-2.0
/*
 * kipc: the name table, LISTEN, CONNECT and ACCEPT.
 *
 * Names are scoped per network namespace, like the abstract unix sockets
 * of the library's fallback: the listener's at LISTEN, the connector's at
 * CONNECT. A name belongs to its listener until the listener's file is
 * released. CONNECT creates the connection, charges it to the caller and
 * queues it; ACCEPT hands it to a new server fd.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/log2.h>
#include <linux/nsproxy.h>
#include <linux/pid.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>

#include "kipc_internal.h"

/*
 * The name table: 1024 buckets, keyed by a siphash of the network
 * namespace and the name under a key drawn at module load, so no user can
 * pick names that share one chain (issue 8, item 6), nor pile a
 * namespace's names onto another's; max_listeners_per_user bounds how many
 * names one user can put in it.
 */
static DEFINE_HASHTABLE(kipc_names, 10);	/* under kipc_lock */
static siphash_key_t kipc_name_key __read_mostly;

/* Every listener alive, oldest first, named or not yet freed: /proc. */
static LIST_HEAD(kipc_listeners);		/* under kipc_lock */

void __init kipc_names_init(void)
{
	get_random_bytes(&kipc_name_key, sizeof(kipc_name_key));
}

void kipc_cred_init(struct kipc_cred *cred)
{
	cred->pid = get_pid(task_tgid(current));
	cred->uid = current_euid();
	cred->gid = current_egid();
}

/* As SO_PEERCRED: in the caller's pid and user namespaces. */
void kipc_cred_to_peer(const struct kipc_cred *cred, struct kipc_peer *peer)
{
	struct user_namespace *ns = current_user_ns();

	peer->pid = pid_vnr(cred->pid);
	peer->uid = from_kuid_munged(ns, cred->uid);
	peer->gid = from_kgid_munged(ns, cred->gid);
	peer->__reserved = 0;
}

/* 1..KIPC_NAME_MAX-1 bytes of 0x21..0x7e, NUL, the rest zero. */
static int kipc_name_check(const char *name)
{
	size_t len = strnlen(name, KIPC_NAME_MAX);
	size_t i;

	if (!len || len == KIPC_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < KIPC_NAME_MAX; i++) {
		unsigned char ch = name[i];

		if (i < len ? ch < 0x21 || ch > 0x7e : ch)
			return -EINVAL;
	}
	return 0;
}

/* The caller's network namespace, which scopes the names it uses. */
static struct net *kipc_current_net(void)
{
	return current->nsproxy->net_ns;
}

/* @name is checked: zero-padded to KIPC_NAME_MAX, so the whole array. */
static u32 kipc_name_hash(const struct net *net, const char *name)
{
	struct {
		u64 net;
		char name[KIPC_NAME_MAX];
	} key;

	key.net = (unsigned long)net;
	memcpy(key.name, name, KIPC_NAME_MAX);
	return (u32)siphash(&key, sizeof(key), &kipc_name_key);
}

static struct kipc_listener *kipc_name_lookup(const struct net *net,
					      const char *name)
{
	struct kipc_listener *l;

	lockdep_assert_held(&kipc_lock);
	hash_for_each_possible(kipc_names, l, hnode, kipc_name_hash(net, name))
		if (net_eq(l->net, net) && !strcmp(l->name, name))
			return l;
	return NULL;
}

static void kipc_listener_release(struct kref *ref)
{
	struct kipc_listener *l = container_of(ref, struct kipc_listener, ref);

	if (!list_empty(&l->node)) {
		mutex_lock(&kipc_lock);
		list_del(&l->node);
		mutex_unlock(&kipc_lock);
	}
	put_net(l->net);
	put_pid(l->cred.pid);
	kfree(l);
}

void kipc_listener_put(struct kipc_listener *l)
{
	kref_put(&l->ref, kipc_listener_release);
}

/* Ring-format features this driver reports; anything else is -EINVAL. */
static bool kipc_formats_ok(u64 features)
{
	return !(features & ~(kipc_features() & KIPC_F_RING_FORMATS));
}

/*
 * Give @l its name, charged to the caller's real uid: EADDRINUSE if taken,
 * EMFILE past max_listeners_per_user.
 */
static int kipc_listener_name_add(struct kipc_listener *l)
{
	struct kipc_user *u;

	lockdep_assert_held(&kipc_lock);
	if (kipc_name_lookup(l->net, l->name))
		return -EADDRINUSE;
	u = kipc_user_get(current_uid());
	if (!u)
		return -ENOMEM;
	if (u->listeners >= READ_ONCE(kipc_max_listeners_per_user)) {
		kipc_user_put(u);
		return -EMFILE;
	}
	u->listeners++;
	l->user = u;
	hash_add(kipc_names, &l->hnode, kipc_name_hash(l->net, l->name));
	list_add_tail(&l->node, &kipc_listeners);
	kipc_nr_listeners++;
	return 0;
}

int kipc_ioc_listen(struct kipc_ucmd *ucmd)
{
	u32 max_backlog = READ_ONCE(kipc_max_backlog);
	struct kipc_listen *arg = ucmd->cmd;
	struct kipc_endpoint *ep = ucmd->ep;
	u32 ring_max = kipc_ring_max();
	struct kipc_listener *l;
	u32 ring_bytes[2];
	u32 backlog;
	int i, ret;

	if (arg->mode & ~0777 || kipc_name_check(arg->name) ||
	    !kipc_formats_ok(arg->features))
		return -EINVAL;
	backlog = arg->backlog ?: min_t(u32, KIPC_BACKLOG_DEFAULT, max_backlog);
	if (backlog > max_backlog)
		return -EINVAL;
	for (i = 0; i < 2; i++) {
		ring_bytes[i] = arg->ring_bytes[i] ?: kipc_ring_default();
		if (!is_power_of_2(ring_bytes[i]) ||
		    ring_bytes[i] < PAGE_SIZE || ring_bytes[i] > ring_max)
			return -EINVAL;
	}
	if (!kipc_endpoint_claim(ep))
		return -EINVAL;

	l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
	if (!l) {
		ret = -ENOMEM;
		goto out_unclaim;
	}
	kref_init(&l->ref);
	INIT_LIST_HEAD(&l->node);
	l->net = get_net(kipc_current_net());
	memcpy(l->name, arg->name, KIPC_NAME_MAX);
	l->mode = arg->mode;
	l->features = arg->features;
	l->backlog = backlog;
	l->ring_bytes[0] = ring_bytes[0];
	l->ring_bytes[1] = ring_bytes[1];
	l->owner_uid = current_fsuid();
	l->owner_gid = current_fsgid();
	kipc_cred_init(&l->cred);
	spin_lock_init(&l->lock);
	INIT_LIST_HEAD(&l->queue);
	l->accept_wq = &ep->wq;
	init_waitqueue_head(&l->connect_wq);

	mutex_lock(&kipc_lock);
	ret = kipc_listener_name_add(l);
	mutex_unlock(&kipc_lock);
	if (ret)
		goto out_put_listener;

	ep->listener = l;
	kipc_endpoint_bind(ep, KIPC_ROLE_LISTENER);
	return 0;

out_put_listener:
	kipc_listener_put(l);
out_unclaim:
	kipc_endpoint_unclaim(ep);
	return ret;
}

/*
 * Connecting needs write permission on the listener, as connect(2) needs
 * on a socket file: owner bits if the fsuid owns it, group bits if in its
 * group, other bits otherwise. CAP_DAC_OVERRIDE overrides it as it does for
 * files: in the caller's user namespace when both owner ids map into it.
 */
static int kipc_may_connect(const struct kipc_listener *l)
{
	struct user_namespace *ns = current_user_ns();
	u32 mode = l->mode;

	if (uid_eq(current_fsuid(), l->owner_uid))
		mode >>= 6;
	else if (in_group_p(l->owner_gid))
		mode >>= 3;
	if (mode & 0002)
		return 0;
	if (kuid_has_mapping(ns, l->owner_uid) &&
	    kgid_has_mapping(ns, l->owner_gid) &&
	    ns_capable(ns, CAP_DAC_OVERRIDE))
		return 0;
	return -EACCES;
}

/*
 * The backlog CONNECT holds a listener to: its own, or max_backlog as it is
 * now if root has lowered it since LISTEN (as CONNECT does for
 * max_ring_bytes). Raising it again takes effect at the next wake-up of a
 * waiting connector (an ACCEPT or a dropped connection).
 */
static u32 kipc_listener_backlog(const struct kipc_listener *l)
{
	return min_t(u32, l->backlog, READ_ONCE(kipc_max_backlog));
}

/* A free backlog slot; under l->lock, or as a wait condition without it. */
static bool kipc_listener_has_slot(const struct kipc_listener *l)
{
	return READ_ONCE(l->nr_queued) + READ_ONCE(l->nr_pending) <
	       kipc_listener_backlog(l);
}

static bool kipc_listener_room(struct kipc_listener *l)
{
	return READ_ONCE(l->dead) || kipc_listener_has_slot(l);
}

/*
 * Wait for backlog room and hold a slot of it (nr_pending) for a
 * connection not yet made. The wait comes before anything is allocated or
 * charged, so a connector blocked on a full backlog holds no ring memory.
 */
static int kipc_listener_reserve_slot(struct kipc_listener *l, bool nonblock)
{
	int ret;

	spin_lock(&l->lock);
	for (;;) {
		if (l->dead) {
			ret = -ECONNREFUSED;
			break;
		}
		if (kipc_listener_has_slot(l)) {
			WRITE_ONCE(l->nr_pending, l->nr_pending + 1);
			ret = 0;
			break;
		}
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		spin_unlock(&l->lock);
		if (wait_event_interruptible(l->connect_wq,
					     kipc_listener_room(l)))
			return -EINTR;
		spin_lock(&l->lock);
	}
	spin_unlock(&l->lock);
	return ret;
}

static void kipc_listener_unreserve_slot(struct kipc_listener *l)
{
	spin_lock(&l->lock);
	WRITE_ONCE(l->nr_pending, l->nr_pending - 1);
	spin_unlock(&l->lock);
	wake_up_interruptible(&l->connect_wq);
}

/*
 * Queue @c for ACCEPT in the slot reserved for it; the queue takes its own
 * reference. ECONNREFUSED if the listener closed meanwhile.
 */
static int kipc_listener_enqueue(struct kipc_listener *l, struct kipc_conn *c)
{
	int ret = 0;

	spin_lock(&l->lock);
	WRITE_ONCE(l->nr_pending, l->nr_pending - 1);
	if (l->dead) {
		ret = -ECONNREFUSED;
	} else {
		kref_get(&c->ref);
		list_add_tail(&c->qnode, &l->queue);
		WRITE_ONCE(l->nr_queued, l->nr_queued + 1);
		/* Under the lock: once dead, the endpoint may be freed. */
		wake_up_interruptible_poll(l->accept_wq, EPOLLIN | EPOLLRDNORM);
	}
	spin_unlock(&l->lock);
	return ret;
}

int kipc_ioc_connect(struct kipc_ucmd *ucmd)
{
	struct kipc_connect *arg = ucmd->cmd;
	struct kipc_endpoint *ep = ucmd->ep;
	struct kipc_listener *l;
	struct kipc_conn *c;
	bool nonblock;
	int ret;

	if (kipc_name_check(arg->name) || !kipc_formats_ok(arg->features) ||
	    arg->__reserved)
		return -EINVAL;
	/* feature_mask playing a driver without it: the tail is unknown. */
	if (arg->max_ring_bytes && !(kipc_features() & KIPC_F_RING_CAP))
		return -E2BIG;
	nonblock = arg->flags & KIPC_CONNECT_NONBLOCK ||
		   ucmd->file->f_flags & O_NONBLOCK;
	if (!kipc_endpoint_claim(ep))
		return -EINVAL;

	mutex_lock(&kipc_lock);
	l = kipc_name_lookup(kipc_current_net(), arg->name);
	if (!l)
		ret = -ENOENT;
	else
		ret = kipc_may_connect(l);
	/* The connector pays: it may refuse rings larger than it wants.
	 * The module's cap holds here too, so that a listener made before
	 * root lowered max_ring_bytes makes no ring above it from then on.
	 */
	if (!ret && (max(l->ring_bytes[0], l->ring_bytes[1]) > kipc_ring_max() ||
		     (arg->max_ring_bytes &&
		      max(l->ring_bytes[0], l->ring_bytes[1]) > arg->max_ring_bytes)))
		ret = -EMSGSIZE;
	if (!ret)
		kref_get(&l->ref);
	mutex_unlock(&kipc_lock);
	if (ret)
		goto out_unclaim;

	ret = kipc_listener_reserve_slot(l, nonblock);
	if (ret)
		goto out_put_listener;
	c = kipc_conn_create(l, arg->features, &ep->wq);
	if (IS_ERR(c)) {
		ret = PTR_ERR(c);
		kipc_listener_unreserve_slot(l);
		goto out_put_listener;
	}
	ret = kipc_listener_enqueue(l, c);
	if (ret)
		goto out_put_conn;
	kipc_listener_put(l);

	ep->conn = c;
	ep->side = KIPC_SIDE_CLIENT;
	kipc_endpoint_bind(ep, KIPC_ROLE_CONN);
	return 0;

out_put_conn:
	kipc_conn_put(c);
out_put_listener:
	kipc_listener_put(l);
out_unclaim:
	kipc_endpoint_unclaim(ep);
	return ret;
}

/*
 * Take the oldest queued connection and its queue reference. Its backlog
 * slot stays held (nr_pending) until ACCEPT commits or requeues, so a
 * requeue never overfills the backlog.
 */
static struct kipc_conn *kipc_listener_dequeue(struct kipc_listener *l,
					       bool nonblock)
{
	struct kipc_conn *c;

	spin_lock(&l->lock);
	while (list_empty(&l->queue)) {
		spin_unlock(&l->lock);
		if (nonblock)
			return ERR_PTR(-EAGAIN);
		if (wait_event_interruptible(*l->accept_wq,
					     READ_ONCE(l->nr_queued)))
			return ERR_PTR(-EINTR);
		spin_lock(&l->lock);
	}
	c = list_first_entry(&l->queue, struct kipc_conn, qnode);
	list_del_init(&c->qnode);
	WRITE_ONCE(l->nr_queued, l->nr_queued - 1);
	WRITE_ONCE(l->nr_pending, l->nr_pending + 1);
	spin_unlock(&l->lock);
	return c;
}

/* Undo kipc_listener_dequeue(): back at the head, with its reference and
 * its slot. The listener cannot die meanwhile: the caller is in an ioctl
 * on it. A client released since the dequeue found it off the queue and
 * left it to us (kipc_listener_unqueue() runs after CLIENT_GONE is set):
 * it is dropped and its slot freed.
 */
static void kipc_listener_requeue(struct kipc_listener *l, struct kipc_conn *c)
{
	bool gone;

	spin_lock(&l->lock);
	WRITE_ONCE(l->nr_pending, l->nr_pending - 1);
	gone = READ_ONCE(c->state) & KIPC_STATE_CLIENT_GONE;
	if (!gone) {
		list_add(&c->qnode, &l->queue);
		WRITE_ONCE(l->nr_queued, l->nr_queued + 1);
		wake_up_interruptible_poll(l->accept_wq, EPOLLIN | EPOLLRDNORM);
	}
	spin_unlock(&l->lock);
	if (gone) {
		wake_up_interruptible(&l->connect_wq);
		kipc_conn_put(c);
	}
}

/*
 * The client of @c was released. If @c is still queued, no server will
 * ever read it: take it off the queue and drop the queue's reference, so
 * that its pages and every charge go now rather than when the listener
 * closes (a never-accepting listener would otherwise hold a dead client's
 * memlock and connection slots: issue 8, item 1). The caller has set
 * KIPC_STATE_CLIENT_GONE and holds its own reference.
 */
void kipc_listener_unqueue(struct kipc_conn *c)
{
	struct kipc_listener *l = c->listener;
	bool queued;

	spin_lock(&l->lock);
	queued = !list_empty(&c->qnode);
	if (queued) {
		list_del_init(&c->qnode);
		WRITE_ONCE(l->nr_queued, l->nr_queued - 1);
	}
	spin_unlock(&l->lock);
	if (!queued)
		return;
	wake_up_interruptible(&l->connect_wq);
	kipc_conn_put(c);
}

int kipc_ioc_accept(struct kipc_ucmd *ucmd)
{
	struct kipc_listener *l = ucmd->ep->listener;
	struct kipc_accept *arg = ucmd->cmd;
	struct kipc_endpoint *sep;
	struct kipc_conn *c;
	struct file *sfile;
	bool nonblock;
	int fd, ret;

	if (arg->__reserved)
		return -EINVAL;
	nonblock = arg->flags & KIPC_ACCEPT_NONBLOCK ||
		   ucmd->file->f_flags & O_NONBLOCK;
	if (nonblock && !READ_ONCE(l->nr_queued))
		return -EAGAIN;		/* spare the fd and file below */

	/* Everything that can fail for lack of resources comes first, so a
	 * dequeued connection is never lost.
	 */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	sep = kipc_endpoint_alloc();
	if (!sep) {
		ret = -ENOMEM;
		goto out_put_fd;
	}
	sfile = anon_inode_getfile("[kipc]", &kipc_fops, sep, O_RDWR);
	if (IS_ERR(sfile)) {
		kfree(sep);
		ret = PTR_ERR(sfile);
		goto out_put_fd;
	}

	/* Probe the output before taking a connection off the queue, so that
	 * a bad pointer fails here rather than after dequeueing.
	 */
	ret = kipc_ucmd_respond(ucmd, sizeof(*arg));
	if (ret)
		goto out_fput;
	c = kipc_listener_dequeue(l, nonblock);
	if (IS_ERR(c)) {
		ret = PTR_ERR(c);
		goto out_fput;	/* releases the unbound sep */
	}
	arg->fd = fd;
	kipc_cred_to_peer(&c->side[KIPC_SIDE_CLIENT].cred, &arg->peer);
	ret = kipc_ucmd_respond(ucmd, sizeof(*arg));
	if (ret) {
		kipc_listener_requeue(l, c);
		goto out_fput;
	}

	kipc_listener_unreserve_slot(l);	/* the slot the dequeue held */
	sep->conn = c;		/* the queue's reference */
	sep->side = KIPC_SIDE_SERVER;
	kipc_endpoint_bind(sep, KIPC_ROLE_CONN);
	kipc_conn_accepted(c, &sep->wq);
	fd_install(fd, sfile);
	return 0;

out_fput:
	fput(sfile);
out_put_fd:
	put_unused_fd(fd);
	return ret;
}

/* The caller waits on the endpoint's wq, which is l->accept_wq. */
__poll_t kipc_listener_poll(struct kipc_listener *l)
{
	return READ_ONCE(l->nr_queued) ? EPOLLIN | EPOLLRDNORM : 0;
}

/*
 * The listener's file is gone: free the name, refuse waiting connectors and
 * tell every queued client that no server will come.
 */
void kipc_listener_close(struct kipc_listener *l)
{
	struct kipc_conn *c;

	mutex_lock(&kipc_lock);
	hash_del(&l->hnode);
	kipc_nr_listeners--;
	l->user->listeners--;
	kipc_user_put(l->user);
	l->user = NULL;
	mutex_unlock(&kipc_lock);

	/* One at a time, each off the queue under the lock, so a client
	 * released meanwhile (kipc_listener_unqueue()) finds it either still
	 * queued or gone, never on a list of ours.
	 */
	spin_lock(&l->lock);
	WRITE_ONCE(l->dead, true);
	while (!list_empty(&l->queue)) {
		c = list_first_entry(&l->queue, struct kipc_conn, qnode);
		list_del_init(&c->qnode);
		WRITE_ONCE(l->nr_queued, l->nr_queued - 1);
		spin_unlock(&l->lock);
		kipc_conn_side_gone(c, KIPC_SIDE_SERVER);
		kipc_conn_put(c);
		spin_lock(&l->lock);
	}
	spin_unlock(&l->lock);
	wake_up_interruptible_all(&l->connect_wq);
	kipc_listener_put(l);
}

/*
 * Up to @max named listeners of @net after @after (NULL: from the first),
 * each with a reference, into @out; returns how many. kipc_lock is held
 * only for the step: @after, which the caller keeps referenced, is still
 * on the list (a listener leaves it when freed, not when closed).
 */
unsigned int kipc_listener_batch(struct kipc_listener *after,
				 const struct net *net,
				 struct kipc_listener **out, unsigned int max)
{
	struct kipc_listener *l;
	unsigned int n = 0;

	mutex_lock(&kipc_lock);
	l = after ? list_next_entry(after, node) :
		    list_first_entry(&kipc_listeners, struct kipc_listener, node);
	list_for_each_entry_from(l, &kipc_listeners, node) {
		if (n == max)
			break;
		if (l->user && net_eq(l->net, net) &&
		    kref_get_unless_zero(&l->ref))
			out[n++] = l;
	}
	mutex_unlock(&kipc_lock);
	return n;
}

/*
 * One line per listener; format and who sees what in kmod/README. Every
 * field read here is fixed at LISTEN but the queue length, read once.
 */
void kipc_listener_show(struct seq_file *m, const struct kipc_proc_view *v,
			struct kipc_listener *l)
{
	seq_printf(m, "listener %s uid=%u gid=%u", l->name,
		   from_kuid_munged(v->user_ns, l->owner_uid),
		   from_kgid_munged(v->user_ns, l->owner_gid));
	if (v->privileged || uid_eq(v->euid, l->owner_uid) ||
	    uid_eq(v->euid, l->cred.uid))
		seq_printf(m, " pid=%d", pid_nr_ns(l->cred.pid, v->pid_ns));
	seq_printf(m, " mode=%04o backlog=%u/%u ring=%u,%u\n", l->mode,
		   READ_ONCE(l->nr_queued), l->backlog,
		   l->ring_bytes[0], l->ring_bytes[1]);
}
