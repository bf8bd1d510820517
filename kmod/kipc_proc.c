// SPDX-License-Identifier: GPL-2.0
/*
 * kipc: /proc/driver/kipc, the text view of counters, listeners and
 * connections. The format, and who sees what, is documented in
 * kmod/README; tools parse it.
 *
 * The listing never holds kipc_lock across more than one step: it takes a
 * reference on each of the next KIPC_PROC_BATCH objects under the lock,
 * drops the lock, formats them and drops the references. A reader in a
 * loop delays LISTEN, CONNECT and release by one short step at a time,
 * never by the whole listing. Each step's mutex_lock() is a voluntary
 * preemption point, so a long listing needs no cond_resched() of its own
 * (one per object made a listing of 1000 connections 15 times slower
 * under TCG).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/nsproxy.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/net_namespace.h>

#include "kipc_internal.h"

#define KIPC_PROC_PATH	"driver/kipc"

#define KIPC_PROC_BATCH		16	/* objects referenced per step */

/* Longer than any line today, so that most listings fit the first buffer. */
#define KIPC_PROC_LINE_BYTES	320
#define KIPC_PROC_FIRST_BUFFER	(4U << 20)	/* beyond: seq_file doubles */

/*
 * Each batch is taken under kipc_lock, formatted without it; the last of a
 * batch stays referenced as the cursor until the next batch is taken. A
 * full buffer stops the listing: seq_file calls us again with a bigger one.
 */
static void kipc_proc_listeners(struct seq_file *m,
				const struct kipc_proc_view *v)
{
	struct kipc_listener *batch[KIPC_PROC_BATCH], *cursor = NULL;
	unsigned int i, n;

	do {
		n = kipc_listener_batch(cursor, v->net, batch, KIPC_PROC_BATCH);
		if (cursor)
			kipc_listener_put(cursor);
		cursor = NULL;
		for (i = 0; i < n; i++)
			kipc_listener_show(m, v, batch[i]);
		for (i = 0; i + 1 < n; i++)
			kipc_listener_put(batch[i]);
		if (n)
			cursor = batch[n - 1];
	} while (n == KIPC_PROC_BATCH && !seq_has_overflowed(m));
	if (cursor)
		kipc_listener_put(cursor);
}

static void kipc_proc_conns(struct seq_file *m, const struct kipc_proc_view *v)
{
	struct kipc_conn *batch[KIPC_PROC_BATCH], *cursor = NULL;
	unsigned int i, n;

	do {
		n = kipc_conn_batch(cursor, v->net, batch, KIPC_PROC_BATCH);
		if (cursor)
			kipc_conn_put(cursor);
		cursor = NULL;
		for (i = 0; i < n; i++)
			kipc_conn_show(m, v, batch[i]);
		for (i = 0; i + 1 < n; i++)
			kipc_conn_put(batch[i]);
		if (n)
			cursor = batch[n - 1];
	} while (n == KIPC_PROC_BATCH && !seq_has_overflowed(m));
	if (cursor)
		kipc_conn_put(cursor);
}

static int kipc_proc_show(struct seq_file *m, void *unused)
{
	const struct kipc_proc_view *v = m->private;
	unsigned int nr_listeners, nr_conns;
	unsigned long pinned;
	u64 total;

	mutex_lock(&kipc_lock);
	nr_listeners = kipc_nr_listeners;
	nr_conns = kipc_nr_conns;
	pinned = kipc_pinned_pages;
	total = kipc_conns_total;
	mutex_unlock(&kipc_lock);

	seq_printf(m, "listeners %u\n", nr_listeners);
	seq_printf(m, "connections %u\n", nr_conns);
	seq_printf(m, "mappings %ld\n", atomic_long_read(&kipc_nr_mappings));
	seq_printf(m, "pinned_bytes %llu\n", (u64)pinned << PAGE_SHIFT);
	seq_printf(m, "pinned_pages %lu\n", pinned);
	seq_printf(m, "connections_total %llu\n", total);

	kipc_proc_listeners(m, v);
	if (!seq_has_overflowed(m))
		kipc_proc_conns(m, v);
	return 0;
}

/* The reader is fixed at open, as for /proc/net: a file handed to someone
 * else keeps showing what its opener may see.
 */
static int kipc_proc_open(struct inode *inode, struct file *file)
{
	struct kipc_proc_view *v;
	size_t size;
	int ret;

	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	v->net = get_net(current->nsproxy->net_ns);
	v->pid_ns = proc_pid_ns(inode->i_sb);
	v->user_ns = file->f_cred->user_ns;
	v->euid = file->f_cred->euid;
	v->privileged = file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	/* Sized for what is there now, so that seq_file need not run the
	 * listing again and again with a buffer twice as large each time.
	 */
	mutex_lock(&kipc_lock);
	size = PAGE_SIZE + ((size_t)kipc_nr_listeners + kipc_nr_conns) *
			   KIPC_PROC_LINE_BYTES;
	mutex_unlock(&kipc_lock);
	ret = single_open_size(file, kipc_proc_show, v,
			       min_t(size_t, size, KIPC_PROC_FIRST_BUFFER));
	if (ret) {
		put_net(v->net);
		kfree(v);
	}
	return ret;
}

static int kipc_proc_release(struct inode *inode, struct file *file)
{
	struct kipc_proc_view *v = ((struct seq_file *)file->private_data)->private;

	put_net(v->net);
	kfree(v);
	return single_release(inode, file);
}

static const struct proc_ops kipc_proc_ops = {
	.proc_open	= kipc_proc_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= kipc_proc_release,
};

int kipc_proc_init(void)
{
	if (!proc_create(KIPC_PROC_PATH, 0444, NULL, &kipc_proc_ops))
		return -ENOMEM;
	return 0;
}

void kipc_proc_exit(void)
{
	remove_proc_entry(KIPC_PROC_PATH, NULL);
}
