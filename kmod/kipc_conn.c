// SPDX-License-Identifier: GPL-2.0
/*
 * kipc: the connection object - ring pages and their charges, peer state,
 * doorbell (KICK, eventfd) and readiness computed from the ring indices.
 *
 * Userspace writes the indices; the driver only reads them, once each, and
 * bounds-checks what it reads. The header page is the only page the driver
 * writes after setup (its state word), and no side can map it writable.
 */
#include <linux/cred.h>
#include <linux/eventfd.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>

#include "kipc_internal.h"

static LIST_HEAD(kipc_users);		/* under kipc_lock */
static LIST_HEAD(kipc_conns);		/* under kipc_lock */

/* 6.8 dropped the count argument. */
#ifdef KIPC_HAVE_EVENTFD_SIGNAL_CTX
#define kipc_eventfd_signal(ctx)	eventfd_signal(ctx)
#else
#define kipc_eventfd_signal(ctx)	eventfd_signal(ctx, 1)
#endif

static struct kipc_index_page *kipc_index_page(struct kipc_conn *c,
					       unsigned int side)
{
	return page_address(c->pages[1 + side]);
}

/*
 * Page @index of a view of side @side, or NULL past its end. The OWN view
 * is the side's index page and then the data of the ring it produces.
 */
struct page *kipc_conn_view_page(struct kipc_conn *c, unsigned int side,
				 bool own_view, unsigned long index)
{
	if (!own_view)
		return index < c->nr_pages ? c->pages[index] : NULL;
	if (!index)
		return c->pages[1 + side];
	index--;
	if (index >= c->ring_bytes[side] >> PAGE_SHIFT)
		return NULL;
	return c->pages[kipc_data_first(c, side) + index];
}

/*
 * The entry of real uid @uid, made if there is none; NULL without memory.
 * It lives while it counts anything: kipc_user_put() frees it when the
 * last count is gone.
 */
struct kipc_user *kipc_user_get(kuid_t uid)
{
	struct kipc_user *u;

	lockdep_assert_held(&kipc_lock);
	list_for_each_entry(u, &kipc_users, node)
		if (uid_eq(u->uid, uid))
			return u;
	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (!u)
		return NULL;
	u->uid = uid;
	list_add(&u->node, &kipc_users);
	return u;
}

void kipc_user_put(struct kipc_user *u)
{
	lockdep_assert_held(&kipc_lock);
	if (u->conns || u->listeners || u->pinned_pages)
		return;
	list_del(&u->node);
	kfree(u);
}

/*
 * Per-user count, the user's share of the global cap and the global cap,
 * reserved before anything is pinned. The shares hold for CAP_IPC_LOCK
 * too, which skips only RLIMIT_MEMLOCK: one user cannot take the whole of
 * max_pinned_bytes from everyone else.
 */
static int kipc_conn_reserve(struct kipc_conn *c)
{
	unsigned long max_pages = READ_ONCE(kipc_max_pinned_bytes) >> PAGE_SHIFT;
	unsigned long user_pages =
		READ_ONCE(kipc_max_pinned_bytes_per_user) >> PAGE_SHIFT;
	struct kipc_user *u;
	int ret = 0;

	mutex_lock(&kipc_lock);
	u = kipc_user_get(current_uid());
	if (!u) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	if (u->conns >= READ_ONCE(kipc_max_conns_per_user)) {
		ret = -EMFILE;
		goto out_put_user;
	}
	if (u->pinned_pages + c->nr_pages > user_pages ||
	    kipc_pinned_pages + c->nr_pages > max_pages) {
		ret = -ENOSPC;
		goto out_put_user;
	}
	u->conns++;
	u->pinned_pages += c->nr_pages;
	c->user = u;
	kipc_pinned_pages += c->nr_pages;
	kipc_nr_conns++;
	mutex_unlock(&kipc_lock);
	return 0;

out_put_user:
	kipc_user_put(u);
out_unlock:
	mutex_unlock(&kipc_lock);
	return ret;
}

static void kipc_conn_unreserve(struct kipc_conn *c)
{
	lockdep_assert_held(&kipc_lock);
	kipc_nr_conns--;
	kipc_pinned_pages -= c->nr_pages;
	c->user->conns--;
	c->user->pinned_pages -= c->nr_pages;
	kipc_user_put(c->user);
	c->user = NULL;
}

/* RLIMIT_MEMLOCK against the user's locked_vm, as io_uring charges rings. */
static int kipc_conn_charge_memlock(struct kipc_conn *c)
{
	struct user_struct *user = current_user();
	unsigned long limit, cur, new;

	if (capable(CAP_IPC_LOCK))
		return 0;
	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	cur = atomic_long_read(&user->locked_vm);
	do {
		new = cur + c->nr_pages;
		if (new > limit)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	c->locked_user = get_uid(user);
	return 0;
}

static void kipc_conn_uncharge_memlock(struct kipc_conn *c)
{
	if (!c->locked_user)
		return;
	atomic_long_sub(c->nr_pages, &c->locked_user->locked_vm);
	free_uid(c->locked_user);
	c->locked_user = NULL;
}

static void kipc_conn_free_pages(struct kipc_conn *c)
{
	unsigned int i;

	for (i = 0; i < c->nr_pages; i++)
		if (c->pages[i])
			__free_page(c->pages[i]);
	kvfree(c->pages);
	c->pages = NULL;
}

/*
 * Individual zeroed pages, charged to the caller's memory cgroup. NORETRY:
 * a request over the cgroup's or the machine's memory fails with ENOMEM
 * instead of waking the OOM killer.
 */
static int kipc_conn_alloc_pages(struct kipc_conn *c)
{
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NORETRY |
			  __GFP_NOWARN;
	int ret = -ENOMEM;
	unsigned int i;

	/* kvmalloc supports RETRY_MAYFAIL (no OOM killer), not NORETRY. */
	c->pages = kvcalloc(c->nr_pages, sizeof(*c->pages),
			    GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
	if (!c->pages)
		return -ENOMEM;
	for (i = 0; i < c->nr_pages; i++) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;	/* dying: stop, and say why */
			goto out_free_pages;
		}
		c->pages[i] = alloc_page(gfp);
		if (!c->pages[i])
			goto out_free_pages;
		cond_resched();
	}
	return 0;

out_free_pages:
	kipc_conn_free_pages(c);
	return ret;
}

/* The page is zeroed; the layout is the uapi header's, shared with shm. */
static void kipc_conn_init_hdr(struct kipc_conn *c)
{
	struct kipc_shared_hdr *hdr = page_address(c->pages[0]);

	kipc_layout_init(hdr, PAGE_SIZE, c->ring_bytes);
	hdr->conn_id = c->id;
	hdr->features = c->features;
	c->hdr = hdr;
}

/* Signal the eventfd of side @to where eventfd_signal() may be called. */
static void kipc_evfd_work(struct work_struct *work)
{
	struct kipc_side *side = container_of(work, struct kipc_side, evfd_work);

	spin_lock(&side->conn->lock);
	if (side->evfd)
		kipc_eventfd_signal(side->evfd);
	spin_unlock(&side->conn->lock);
}

static void kipc_conn_signal_locked(struct kipc_conn *c, unsigned int to)
{
	struct kipc_side *side = &c->side[to];

	lockdep_assert_held(&c->lock);
	if (!side->evfd)
		return;
	if (eventfd_signal_allowed())
		kipc_eventfd_signal(side->evfd);
	else
		schedule_work(&side->evfd_work);
}

/* Wake side @to's pollers; under the lock, which keeps its wq alive. */
static void kipc_conn_wake_locked(struct kipc_conn *c, unsigned int to,
				  __poll_t mask)
{
	lockdep_assert_held(&c->lock);
	if (c->side[to].wq)
		wake_up_interruptible_poll(c->side[to].wq, mask);
}

static void kipc_conn_set_state_locked(struct kipc_conn *c, u32 bits)
{
	lockdep_assert_held(&c->lock);
	WRITE_ONCE(c->state, c->state | bits);
	/* Pairs with kipc_hdr_state()'s load-acquire in userspace. */
	smp_store_release(&c->hdr->state, c->state);
}

/*
 * Fold the heads and message counts published since the last sample into
 * the totals. Both are the producer's word, shown but never acted on.
 */
static void kipc_conn_sample_locked(struct kipc_conn *c)
{
	unsigned int r;

	lockdep_assert_held(&c->lock);
	for (r = 0; r < 2; r++) {
		struct kipc_prod *prod = &kipc_index_page(c, r)->prod;
		u32 head = READ_ONCE(prod->head);
		u32 msgs = READ_ONCE(prod->msgs);

		c->bytes[r] += (u32)(head - c->last_head[r]);
		c->last_head[r] = head;
		c->msgs[r] += (u32)(msgs - c->last_msgs[r]);
		c->last_msgs[r] = msgs;
	}
}

static void kipc_side_init(struct kipc_conn *c, unsigned int s)
{
	struct kipc_side *side = &c->side[s];

	side->conn = c;
	INIT_WORK(&side->evfd_work, kipc_evfd_work);
}

/*
 * A new connection to @l for the calling client, charged to it. Returns
 * ERR_PTR(-EMFILE) (per-user limit), -ENOSPC (max_pinned_bytes), -ENOMEM
 * (RLIMIT_MEMLOCK, memory cgroup or no memory), -EINTR (fatal signal
 * while allocating).
 */
struct kipc_conn *kipc_conn_create(struct kipc_listener *l, u64 features,
				   wait_queue_head_t *client_wq)
{
	struct kipc_conn *c;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return ERR_PTR(-ENOMEM);
	kref_init(&c->ref);
	INIT_LIST_HEAD(&c->qnode);
	spin_lock_init(&c->lock);
	memcpy(c->name, l->name, KIPC_NAME_MAX);
	c->ring_bytes[0] = l->ring_bytes[0];
	c->ring_bytes[1] = l->ring_bytes[1];
	/* What the client asked for and the server reads. */
	c->features = features & l->features;
	c->nr_pages = kipc_layout_map_bytes(PAGE_SIZE, c->ring_bytes) >> PAGE_SHIFT;
	kipc_side_init(c, KIPC_SIDE_CLIENT);
	kipc_side_init(c, KIPC_SIDE_SERVER);
	c->side[KIPC_SIDE_CLIENT].wq = client_wq;

	ret = kipc_conn_reserve(c);
	if (ret)
		goto out_free_conn;
	ret = kipc_conn_charge_memlock(c);
	if (ret)
		goto out_unreserve;
	ret = kipc_conn_alloc_pages(c);
	if (ret)
		goto out_uncharge_memlock;

	kipc_cred_init(&c->side[KIPC_SIDE_CLIENT].cred);
	c->side[KIPC_SIDE_SERVER].cred = l->cred;
	get_pid(l->cred.pid);
	kref_get(&l->ref);
	c->listener = l;

	mutex_lock(&kipc_lock);
	c->id = ++kipc_conns_total;
	kipc_conn_init_hdr(c);
	list_add_tail(&c->node, &kipc_conns);
	mutex_unlock(&kipc_lock);
	return c;

out_uncharge_memlock:
	kipc_conn_uncharge_memlock(c);
out_unreserve:
	mutex_lock(&kipc_lock);
	kipc_conn_unreserve(c);
	mutex_unlock(&kipc_lock);
out_free_conn:
	kfree(c);
	return ERR_PTR(ret);
}

static void kipc_conn_release(struct kref *ref)
{
	struct kipc_conn *c = container_of(ref, struct kipc_conn, ref);
	unsigned int s;

	/* First out of /proc/driver/kipc, which reads the pids and pages. */
	mutex_lock(&kipc_lock);
	list_del(&c->node);
	kipc_conn_unreserve(c);
	mutex_unlock(&kipc_lock);
	for (s = 0; s < 2; s++) {
		cancel_work_sync(&c->side[s].evfd_work);
		if (c->side[s].evfd)
			eventfd_ctx_put(c->side[s].evfd);
		put_pid(c->side[s].cred.pid);
	}
	kipc_conn_uncharge_memlock(c);
	free_uid(c->server_user);	/* not handed over: never charged */
	kipc_conn_free_pages(c);
	kipc_listener_put(c->listener);
	kfree(c);
}

void kipc_conn_put(struct kipc_conn *c)
{
	kref_put(&c->ref, kipc_conn_release);
}

/*
 * Is it time to hand @c over to its server? Once: when it was accepted,
 * its client is gone and its server is not. Whichever of ACCEPT and the
 * client's release makes it so does it.
 */
static bool kipc_conn_hand_over_due_locked(struct kipc_conn *c)
{
	u32 st = c->state;

	lockdep_assert_held(&c->lock);
	if (c->handed_over || !(st & KIPC_STATE_ACCEPTED) ||
	    !(st & KIPC_STATE_CLIENT_GONE) || (st & KIPC_STATE_SERVER_GONE))
		return false;
	c->handed_over = true;
	return true;
}

/*
 * The client of an accepted connection is gone and the server keeps it:
 * the pages are now held by the server alone, so what they are charged to
 * moves to it, as if it had connected: the connection and the pinned
 * pages to its user's counts, the locked_vm to its user_struct (none with
 * CAP_IPC_LOCK at ACCEPT). Past its limits, which bound what one asks
 * for; keeping this is the server's choice, and closing its fd ends it.
 * Otherwise a server that accepts and never closes would keep a dead
 * client's charges for good (its RLIMIT_MEMLOCK, its connection slots),
 * whatever the client closes. The global count does not change, nor does
 * the memory cgroup the pages were charged to when allocated (a module
 * cannot move them). Without memory for the server's entry nothing moves.
 * The caller holds a reference, so kipc_conn_release() cannot run.
 */
static void kipc_conn_hand_over(struct kipc_conn *c)
{
	struct kipc_user *su;

	mutex_lock(&kipc_lock);
	su = kipc_user_get(c->server_uid);
	if (!su) {
		mutex_unlock(&kipc_lock);
		return;
	}
	su->conns++;
	su->pinned_pages += c->nr_pages;
	c->user->conns--;
	c->user->pinned_pages -= c->nr_pages;
	kipc_user_put(c->user);
	c->user = su;
	mutex_unlock(&kipc_lock);

	kipc_conn_uncharge_memlock(c);
	if (c->server_user) {
		atomic_long_add(c->nr_pages, &c->server_user->locked_vm);
		c->locked_user = c->server_user;
		c->server_user = NULL;
	}
}

/* ACCEPT, by the task that will hold the server side. */
void kipc_conn_accepted(struct kipc_conn *c, wait_queue_head_t *wq)
{
	bool hand_over;

	/* Read by kipc_conn_hand_over() only after ACCEPTED, which is set
	 * under c->lock below.
	 */
	c->server_uid = current_uid();
	if (!capable(CAP_IPC_LOCK))
		c->server_user = get_uid(current_user());
	spin_lock(&c->lock);
	c->side[KIPC_SIDE_SERVER].wq = wq;
	kipc_conn_set_state_locked(c, KIPC_STATE_ACCEPTED);
	/* A client released between the dequeue and here left it to us. */
	hand_over = kipc_conn_hand_over_due_locked(c);
	spin_unlock(&c->lock);
	if (hand_over)
		kipc_conn_hand_over(c);
}

/*
 * Side @s is gone for good (its file was released, or a queued connection
 * lost its listener): mark it in the header and wake the survivor, which
 * can still drain what was published before. A client leaving an
 * accepted connection hands it, charges and all, to its server. Process
 * context, no lock held (kipc_conn_hand_over() takes kipc_lock).
 */
void kipc_conn_side_gone(struct kipc_conn *c, unsigned int s)
{
	unsigned int peer = 1 - s;
	struct eventfd_ctx *evfd;
	bool hand_over;

	spin_lock(&c->lock);
	kipc_conn_sample_locked(c);
	kipc_conn_set_state_locked(c, kipc_gone_bit(s));
	evfd = c->side[s].evfd;
	c->side[s].evfd = NULL;
	c->side[s].wq = NULL;		/* its endpoint is being freed */
	kipc_conn_signal_locked(c, peer);
	kipc_conn_wake_locked(c, peer, EPOLLHUP | EPOLLRDHUP | EPOLLIN |
			      EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM);
	hand_over = s == KIPC_SIDE_CLIENT && kipc_conn_hand_over_due_locked(c);
	spin_unlock(&c->lock);
	if (evfd)
		eventfd_ctx_put(evfd);
	if (hand_over)
		kipc_conn_hand_over(c);
}

/*
 * KICK: wake the peer's waiters and signal its eventfd. Never sleeps.
 * @ep is a connection (the callers check its role).
 */
int kipc_conn_kick(struct kipc_endpoint *ep)
{
	struct kipc_conn *c = ep->conn;
	unsigned int peer = 1 - ep->side;

	spin_lock(&c->lock);
	if (c->state & kipc_gone_bit(peer)) {
		spin_unlock(&c->lock);
		return -EPIPE;
	}
	c->side[ep->side].kicks++;
	kipc_conn_sample_locked(c);
	kipc_conn_signal_locked(c, peer);
	kipc_conn_wake_locked(c, peer,
			      EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM);
	spin_unlock(&c->lock);
	return 0;
}

int kipc_ioc_kick(struct kipc_ucmd *ucmd)
{
	return kipc_conn_kick(ucmd->ep);
}

int kipc_ioc_conn_info(struct kipc_ucmd *ucmd)
{
	struct kipc_conn_info *arg = ucmd->cmd;
	struct kipc_conn *c = ucmd->ep->conn;
	unsigned int s = ucmd->ep->side;

	arg->side = s;
	arg->state = READ_ONCE(c->state);
	arg->ring_bytes[0] = c->ring_bytes[0];
	arg->ring_bytes[1] = c->ring_bytes[1];
	arg->shared_map_bytes = (u64)c->nr_pages << PAGE_SHIFT;
	arg->own_map_bytes = PAGE_SIZE + c->ring_bytes[s];
	arg->conn_id = c->id;
	kipc_cred_to_peer(&c->side[1 - s].cred, &arg->peer);
	arg->features = c->features;
	return kipc_ucmd_respond(ucmd, sizeof(*arg));
}

int kipc_ioc_set_eventfd(struct kipc_ucmd *ucmd)
{
	struct kipc_eventfd *arg = ucmd->cmd;
	struct kipc_conn *c = ucmd->ep->conn;
	unsigned int s = ucmd->ep->side;
	struct eventfd_ctx *new = NULL, *old;

	if (arg->__reserved)
		return -EINVAL;
	if (arg->fd != -1) {
		new = eventfd_ctx_fdget(arg->fd);
		if (IS_ERR(new))
			return -EBADF;	/* no such fd, or not an eventfd */
	}
	spin_lock(&c->lock);
	old = c->side[s].evfd;
	c->side[s].evfd = new;
	/* The peer's death is a state, not an event: report it at once. */
	if (c->state & kipc_gone_bit(1 - s))
		kipc_conn_signal_locked(c, s);
	spin_unlock(&c->lock);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

/*
 * Readiness from the indices, each read once and bounds-checked: a corrupt
 * index gives EPOLLERR, never a wrong computation.
 */
/*
 * Bytes used in a ring whose head and tail both sides move while we look.
 * Two loads are a consistent snapshot only if the first index still holds
 * when the second has been read; a moving ring is read again. A pair that
 * is out of range while standing still is corruption (false); one that
 * never stands still is live, and is clamped rather than called corrupt.
 *
 * With KIPC_F_RING_SEQ (@seq) the consumer reads a record as soon as its
 * header is stored, before the producer stores head, so tail may lead
 * head by what one publication adds (at most @size): those bytes are
 * consumed, and the ring holds nothing.
 */
static u32 kipc_used_of(u32 head, u32 tail, u32 size, bool seq)
{
	if (seq && tail - head <= size)
		return 0;
	return head - tail;
}

static bool kipc_ring_used(const u32 *headp, const u32 *tailp, u32 size,
			   bool seq, u32 *used)
{
	u32 head = 0, tail = 0;
	int i;

	for (i = 0; i < 4; i++) {
		/* Pairs with the consumer's release in kipc_ring_release(). */
		tail = smp_load_acquire(tailp);
		/* Pairs with the producer's release in kipc_ring_publish(). */
		head = smp_load_acquire(headp);
		if (READ_ONCE(*tailp) == tail) {
			*used = kipc_used_of(head, tail, size, seq);
			return *used <= size;
		}
	}
	*used = min(kipc_used_of(head, tail, size, seq), size);
	return true;
}

/* The caller waits on the endpoint's wq, which is the side's. */
__poll_t kipc_conn_poll(struct kipc_endpoint *ep)
{
	struct kipc_conn *c = ep->conn;
	unsigned int s = ep->side;
	struct kipc_index_page *own = kipc_index_page(c, s);
	struct kipc_index_page *peer = kipc_index_page(c, 1 - s);
	bool seq = c->features & KIPC_F_RING_SEQ;
	u32 used, size, need;
	__poll_t mask = 0;

	/* Receive ring 1 - s. */
	size = c->ring_bytes[1 - s];
	if (!kipc_ring_used(&peer->prod.head, &own->cons.tail, size, seq,
			    &used))
		mask |= EPOLLERR | EPOLLIN | EPOLLRDNORM;
	else if (used)
		mask |= EPOLLIN | EPOLLRDNORM;

	/*
	 * Send ring s. head is stored after the records in both formats
	 * (KIPC_F_RING_SEQ too), so head - tail is what the producer counts;
	 * the least room it can use is one empty record, plus with SEQ the
	 * header slot it marks after it.
	 */
	size = c->ring_bytes[s];
	need = clamp_t(u32, READ_ONCE(own->prod.need),
		       KIPC_REC_MIN_ROOM(c->features), size);
	if (!kipc_ring_used(&own->prod.head, &peer->cons.tail, size, seq,
			    &used))
		mask |= EPOLLERR | EPOLLOUT | EPOLLWRNORM;
	else if (size - used >= need)
		mask |= EPOLLOUT | EPOLLWRNORM;

	if (READ_ONCE(c->state) & kipc_gone_bit(1 - s))
		mask |= EPOLLHUP | EPOLLRDHUP | EPOLLIN | EPOLLRDNORM |
			EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static void kipc_state_show(struct seq_file *m, u32 state)
{
	seq_puts(m, state & KIPC_STATE_ACCEPTED ? "accepted" : "queued");
	if (state & KIPC_STATE_CLIENT_GONE)
		seq_puts(m, ",client_gone");
	if (state & KIPC_STATE_SERVER_GONE)
		seq_puts(m, ",server_gone");
}

/*
 * Up to @max connections of @net after @after (NULL: from the first), each
 * with a reference, into @out; returns how many. kipc_lock is held only
 * for the step: @after, which the caller keeps referenced, is still on the
 * list, and one whose last reference is gone (its release waits for
 * kipc_lock) is skipped.
 */
unsigned int kipc_conn_batch(struct kipc_conn *after, const struct net *net,
			     struct kipc_conn **out, unsigned int max)
{
	struct kipc_conn *c;
	unsigned int n = 0;

	mutex_lock(&kipc_lock);
	c = after ? list_next_entry(after, node) :
		    list_first_entry(&kipc_conns, struct kipc_conn, node);
	list_for_each_entry_from(c, &kipc_conns, node) {
		if (n == max)
			break;
		if (net_eq(c->listener->net, net) &&
		    kref_get_unless_zero(&c->ref))
			out[n++] = c;
	}
	mutex_unlock(&kipc_lock);
	return n;
}

/* A reader may see the pids and traffic of a connection it is a side of. */
static bool kipc_conn_visible(const struct kipc_proc_view *v,
			      const struct kipc_conn *c)
{
	return v->privileged ||
	       uid_eq(v->euid, c->side[KIPC_SIDE_CLIENT].cred.uid) ||
	       uid_eq(v->euid, c->side[KIPC_SIDE_SERVER].cred.uid);
}

/*
 * One line per connection; format and who sees what in kmod/README. The
 * caller holds a reference, so the pages and creds stay; the counters are
 * one snapshot under the connection's own lock.
 */
void kipc_conn_show(struct seq_file *m, const struct kipc_proc_view *v,
		    struct kipc_conn *c)
{
	bool priv = kipc_conn_visible(v, c);
	struct kipc_index_page *idx[2];
	u32 head[2], tail[2];
	u64 bytes[2], msgs[2], kicks[2];
	u32 state;
	int r;

	idx[0] = kipc_index_page(c, KIPC_SIDE_CLIENT);
	idx[1] = kipc_index_page(c, KIPC_SIDE_SERVER);
	spin_lock(&c->lock);
	kipc_conn_sample_locked(c);
	for (r = 0; r < 2; r++) {
		head[r] = c->last_head[r];
		tail[r] = READ_ONCE(idx[1 - r]->cons.tail);
		bytes[r] = c->bytes[r];
		msgs[r] = c->msgs[r];
		kicks[r] = c->side[r].kicks;
	}
	state = c->state;
	spin_unlock(&c->lock);

	seq_printf(m, "conn %llu %s state=", c->id, c->name);
	kipc_state_show(m, state);
	/* Fields in the order they always had; the private ones are left out. */
	if (priv)
		seq_printf(m, " client_pid=%d",
			   pid_nr_ns(c->side[0].cred.pid, v->pid_ns));
	seq_printf(m, " client_uid=%u",
		   from_kuid_munged(v->user_ns, c->side[0].cred.uid));
	if (priv)
		seq_printf(m, " server_pid=%d",
			   pid_nr_ns(c->side[1].cred.pid, v->pid_ns));
	seq_printf(m, " server_uid=%u ring=%u,%u",
		   from_kuid_munged(v->user_ns, c->side[1].cred.uid),
		   c->ring_bytes[0], c->ring_bytes[1]);
	if (priv) {
		seq_printf(m, " c2s_bytes=%llu s2c_bytes=%llu c2s_msgs=%llu s2c_msgs=%llu",
			   bytes[0], bytes[1], msgs[0], msgs[1]);
		seq_printf(m, " c2s_head=%u c2s_tail=%u s2c_head=%u s2c_tail=%u",
			   head[0], tail[0], head[1], tail[1]);
		seq_printf(m, " client_kicks=%llu server_kicks=%llu",
			   kicks[0], kicks[1]);
	}
	/* NAME may have gone to a new listener, maybe another user's. */
	seq_printf(m, " listener=%s\n",
		   READ_ONCE(c->listener->dead) ? "closed" : "open");
}
