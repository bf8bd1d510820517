// SPDX-License-Identifier: GPL-2.0
/*
 * kipc: /proc/driver/kipc, the text view of counters, listeners and
 * connections. The format is documented in kmod/README; tools parse it.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "kipc_internal.h"

#define KIPC_PROC_PATH	"driver/kipc"

static int kipc_proc_show(struct seq_file *m, void *v)
{
	mutex_lock(&kipc_lock);
	seq_printf(m, "listeners %u\n", kipc_nr_listeners);
	seq_printf(m, "connections %u\n", kipc_nr_conns);
	seq_printf(m, "mappings %ld\n", atomic_long_read(&kipc_nr_mappings));
	seq_printf(m, "pinned_bytes %llu\n",
		   (u64)kipc_pinned_pages << PAGE_SHIFT);
	seq_printf(m, "pinned_pages %lu\n", kipc_pinned_pages);
	seq_printf(m, "connections_total %llu\n", kipc_conns_total);
	kipc_listeners_show(m);
	kipc_conns_show(m);
	mutex_unlock(&kipc_lock);
	return 0;
}

int kipc_proc_init(void)
{
	if (!proc_create_single(KIPC_PROC_PATH, 0444, NULL, kipc_proc_show))
		return -ENOMEM;
	return 0;
}

void kipc_proc_exit(void)
{
	remove_proc_entry(KIPC_PROC_PATH, NULL);
}
