// SPDX-License-Identifier: GPL-2.0
/*
 * kipc: /proc/driver/kipc, the text view of counters, listeners and
 * connections. The format, and who sees what, is documented in
 * kmod/README; tools parse it.
 *
 * The listing never holds kipc_lock across more than one step: it takes a
 * reference on the next object under the lock, drops the lock, formats
 * the object and drops the reference. A reader in a loop delays LISTEN,
 * CONNECT and release by one step at a time, not by the whole listing.
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

static int kipc_proc_show(struct seq_file *m, void *unused)
{
	const struct kipc_proc_view *v = m->private;
	unsigned int nr_listeners, nr_conns;
	struct kipc_listener *l = NULL;
	struct kipc_conn *c = NULL;
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

	while ((l = kipc_listener_next(l, v->net))) {
		kipc_listener_show(m, v, l);
		/* A full buffer: seq_file calls us again with a bigger one. */
		if (seq_has_overflowed(m)) {
			kipc_listener_put(l);
			return 0;
		}
		cond_resched();
	}
	while ((c = kipc_conn_next(c, v->net))) {
		kipc_conn_show(m, v, c);
		if (seq_has_overflowed(m)) {
			kipc_conn_put(c);
			return 0;
		}
		cond_resched();
	}
	return 0;
}

/* The reader is fixed at open, as for /proc/net: a file handed to someone
 * else keeps showing what its opener may see.
 */
static int kipc_proc_open(struct inode *inode, struct file *file)
{
	struct kipc_proc_view *v;
	int ret;

	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	v->net = get_net(current->nsproxy->net_ns);
	v->pid_ns = proc_pid_ns(inode->i_sb);
	v->user_ns = file->f_cred->user_ns;
	v->euid = file->f_cred->euid;
	v->privileged = file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	ret = single_open(file, kipc_proc_show, v);
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
