// SPDX-License-Identifier: GPL-2.0
/*
 * kipc: kernel-assisted shared-memory IPC - the /dev/kipc misc device,
 * module parameters and ioctl dispatch.
 *
 * Each open of /dev/kipc gives an unbound endpoint; LISTEN turns it into a
 * listener, CONNECT into the client side of a connection. ACCEPT on a
 * listener returns a new anonymous-inode fd for the server side. Messages
 * move through ring pages that both sides mmap; the driver only sets up,
 * wakes and reports readiness. See kmod/README.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/compat.h>
#include <linux/fs.h>
#ifdef KIPC_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kipc_internal.h"

unsigned int kipc_max_ring_bytes = 64U << 20;
unsigned int kipc_default_ring_bytes = 64U << 10;
unsigned int kipc_max_backlog = 1024;
unsigned int kipc_max_conns_per_user = 1024;
unsigned long kipc_max_pinned_bytes = 1UL << 30;
unsigned long kipc_max_pinned_bytes_per_user = 256UL << 20;
unsigned int kipc_max_listeners_per_user = 256;
static unsigned long long kipc_feature_mask = ~0ULL;

DEFINE_MUTEX(kipc_lock);		/* see kipc_internal.h */
unsigned int kipc_nr_listeners;
unsigned int kipc_nr_conns;
u64 kipc_conns_total;
unsigned long kipc_pinned_pages;
atomic_long_t kipc_nr_mappings = ATOMIC_LONG_INIT(0);

static int kipc_ring_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned int bytes;
	int ret;

	ret = kstrtouint(val, 0, &bytes);
	if (ret)
		return ret;
	if (!is_power_of_2(bytes) || bytes < PAGE_SIZE ||
	    bytes > KIPC_RING_HARD_MAX)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, bytes);
	return 0;
}

static const struct kernel_param_ops kipc_ring_param_ops = {
	.set = kipc_ring_param_set,
	.get = param_get_uint,
};

static int kipc_backlog_param_set(const char *val,
				  const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, KIPC_BACKLOG_HARD_MAX);
}

static const struct kernel_param_ops kipc_backlog_param_ops = {
	.set = kipc_backlog_param_set,
	.get = param_get_uint,
};

module_param_cb(max_ring_bytes, &kipc_ring_param_ops, &kipc_max_ring_bytes,
		0644);
MODULE_PARM_DESC(max_ring_bytes,
		 "Largest ring in bytes: a power of two, PAGE_SIZE..256 MiB (default 64 MiB)");
module_param_cb(default_ring_bytes, &kipc_ring_param_ops,
		&kipc_default_ring_bytes, 0644);
MODULE_PARM_DESC(default_ring_bytes,
		 "Ring size when LISTEN asks for 0, capped by max_ring_bytes (default 64 KiB)");
module_param_cb(max_backlog, &kipc_backlog_param_ops, &kipc_max_backlog,
		0644);
MODULE_PARM_DESC(max_backlog,
		 "Largest LISTEN backlog, 1..65535 (default 1024)");
module_param_named(max_conns_per_user, kipc_max_conns_per_user, uint, 0644);
MODULE_PARM_DESC(max_conns_per_user,
		 "Connections one uid may have alive, as connector (default 1024)");
module_param_named(max_pinned_bytes, kipc_max_pinned_bytes, ulong, 0644);
MODULE_PARM_DESC(max_pinned_bytes,
		 "Ring memory of all connections together, in bytes (default 1 GiB)");
module_param_named(max_pinned_bytes_per_user, kipc_max_pinned_bytes_per_user,
		   ulong, 0644);
MODULE_PARM_DESC(max_pinned_bytes_per_user,
		 "Ring memory of the connections one uid made, in bytes; holds with CAP_IPC_LOCK too (default 256 MiB)");
module_param_named(max_listeners_per_user, kipc_max_listeners_per_user, uint,
		   0644);
MODULE_PARM_DESC(max_listeners_per_user,
		 "Names one uid may hold as listener (default 256)");
module_param_named(feature_mask, kipc_feature_mask, ullong, 0644);
MODULE_PARM_DESC(feature_mask,
		 "KIPC_F_* bits VERSION may report; tests clear some to play an older driver (default all)");

/* What VERSION reports and LISTEN/CONNECT accept. */
u64 kipc_features(void)
{
	return KIPC_FEATURES & READ_ONCE(kipc_feature_mask);
}

u32 kipc_ring_max(void)
{
	return READ_ONCE(kipc_max_ring_bytes);
}

/* Both are powers of two, so is the smaller one. */
u32 kipc_ring_default(void)
{
	return min(READ_ONCE(kipc_default_ring_bytes), kipc_ring_max());
}

struct kipc_endpoint *kipc_endpoint_alloc(void)
{
	struct kipc_endpoint *ep;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return NULL;
	init_waitqueue_head(&ep->wq);
	atomic_set(&ep->role, KIPC_ROLE_UNBOUND);
	return ep;
}

static int kipc_ioc_version(struct kipc_ucmd *ucmd)
{
	struct kipc_version *arg = ucmd->cmd;

	if (arg->__reserved)
		return -EINVAL;
	arg->abi_version = KIPC_ABI_VERSION;
	arg->page_size = PAGE_SIZE;
	arg->features = kipc_features();
	arg->name_max = KIPC_NAME_MAX;
	arg->min_ring_bytes = PAGE_SIZE;
	arg->max_ring_bytes = kipc_ring_max();
	arg->default_ring_bytes = kipc_ring_default();
	arg->max_backlog = READ_ONCE(kipc_max_backlog);
	return kipc_ucmd_respond(ucmd, sizeof(*arg));
}

/* Write the answer back: as much of it as the caller's struct holds. */
int kipc_ucmd_respond(struct kipc_ucmd *ucmd, size_t len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, len)))
		return -EFAULT;
	return 0;
}

/* Room for the argument of any command, read into one stack buffer. */
union kipc_ucmd_buffer {
	struct {
		__u32 size;
		__u32 flags;
	} head;				/* how every argument starts */
	struct kipc_version version;
	struct kipc_listen listen;
	struct kipc_connect connect;
	struct kipc_accept accept;
	struct kipc_conn_info conn_info;
	struct kipc_eventfd eventfd;
};

/*
 * One entry per command. @min_size is the size of the struct's 1.0
 * layout (the end of its last field then): a caller built against it, or
 * anything up to today's @size, is served, the fields it lacks reading as
 * zero. A command with @size 0 takes no struct and its argument must be 0.
 */
struct kipc_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	u32 flags;			/* the flags it takes */
	unsigned int roles;		/* BIT(KIPC_ROLE_*) of fds it works on */
	int (*execute)(struct kipc_ucmd *ucmd);
};

#define KIPC_ROLES_ANY		(BIT(KIPC_ROLE_UNBOUND) | BIT(KIPC_ROLE_BINDING) | \
				 BIT(KIPC_ROLE_LISTENER) | BIT(KIPC_ROLE_CONN))

#define KIPC_IOCTL_OP(_ioc, _fn, _struct, _last_1_0, _flags, _roles)	\
	[_IOC_NR(_ioc)] = {						\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(_struct) >		\
					  sizeof(union kipc_ucmd_buffer)), \
		.min_size = offsetofend(_struct, _last_1_0),		\
		.flags = _flags,					\
		.roles = _roles,					\
		.execute = _fn,						\
	}

static const struct kipc_ioctl_op kipc_ioctl_ops[] = {
	KIPC_IOCTL_OP(KIPC_IOC_VERSION, kipc_ioc_version, struct kipc_version,
		      __reserved, 0, KIPC_ROLES_ANY),
	KIPC_IOCTL_OP(KIPC_IOC_LISTEN, kipc_ioc_listen, struct kipc_listen,
		      name, 0, BIT(KIPC_ROLE_UNBOUND)),
	KIPC_IOCTL_OP(KIPC_IOC_CONNECT, kipc_ioc_connect, struct kipc_connect,
		      name, KIPC_CONNECT_NONBLOCK, BIT(KIPC_ROLE_UNBOUND)),
	KIPC_IOCTL_OP(KIPC_IOC_ACCEPT, kipc_ioc_accept, struct kipc_accept,
		      peer, KIPC_ACCEPT_NONBLOCK, BIT(KIPC_ROLE_LISTENER)),
	KIPC_IOCTL_OP(KIPC_IOC_CONN_INFO, kipc_ioc_conn_info,
		      struct kipc_conn_info, peer, 0, BIT(KIPC_ROLE_CONN)),
	KIPC_IOCTL_OP(KIPC_IOC_SET_EVENTFD, kipc_ioc_set_eventfd,
		      struct kipc_eventfd, __reserved, 0, BIT(KIPC_ROLE_CONN)),
	[_IOC_NR(KIPC_IOC_KICK)] = {
		.roles = BIT(KIPC_ROLE_CONN),
		.execute = kipc_ioc_kick,
	},
};

/*
 * The one prologue of every command: find it, read its argument with
 * copy_struct_from_user() (a size below the 1.0 layout gives -EINVAL, a
 * non-zero tail beyond ours -E2BIG), check the flags it takes and the
 * role of the fd, then run the handler on the kernel's copy.
 */
static long kipc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kipc_ucmd ucmd = {
		.file = file,
		.ep = file->private_data,
		.ubuffer = (void __user *)arg,
	};
	const struct kipc_ioctl_op *op;
	union kipc_ucmd_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (nr >= ARRAY_SIZE(kipc_ioctl_ops) || cmd != _IO(KIPC_IOC_MAGIC, nr))
		return -ENOTTY;
	op = &kipc_ioctl_ops[array_index_nospec(nr, ARRAY_SIZE(kipc_ioctl_ops))];
	if (!op->execute)
		return -ENOTTY;
	if (op->size) {
		if (get_user(ucmd.user_size, (const u32 __user *)ucmd.ubuffer))
			return -EFAULT;
		if (ucmd.user_size < op->min_size)
			return -EINVAL;
		if (ucmd.user_size > PAGE_SIZE)
			return -E2BIG;
		ret = copy_struct_from_user(&buf, op->size, ucmd.ubuffer,
					    ucmd.user_size);
		if (ret)
			return ret;
		if (buf.head.flags & ~op->flags)
			return -EINVAL;
		ucmd.cmd = &buf;
	} else if (arg) {
		return -EINVAL;
	}
	if (!(BIT(kipc_endpoint_role(ucmd.ep)) & op->roles))
		return -EINVAL;
	return op->execute(&ucmd);
}

/*
 * IORING_OP_URING_CMD. Completes inline: before 6.7 a parked command has no
 * cancel hook and would hang an exiting task, so waiting is POLL_ADD's job.
 */
static int kipc_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct kipc_endpoint *ep = ioucmd->file->private_data;

	switch (ioucmd->cmd_op) {
	case KIPC_URING_CMD_KICK:
		if (kipc_endpoint_role(ep) != KIPC_ROLE_CONN)
			return -EINVAL;
		return kipc_conn_kick(ep);
	default:
		return -ENOTTY;
	}
}

static __poll_t kipc_poll(struct file *file, poll_table *wait)
{
	struct kipc_endpoint *ep = file->private_data;

	/* Before the role is read: binding wakes ep->wq after setting it. */
	poll_wait(file, &ep->wq, wait);
	switch (kipc_endpoint_role(ep)) {
	case KIPC_ROLE_LISTENER:
		return kipc_listener_poll(ep->listener);
	case KIPC_ROLE_CONN:
		return kipc_conn_poll(ep);
	default:
		/* Nothing yet; LISTEN or CONNECT will wake the waiters. */
		return 0;
	}
}

static int kipc_open(struct inode *inode, struct file *file)
{
	struct kipc_endpoint *ep;

	ep = kipc_endpoint_alloc();
	if (!ep)
		return -ENOMEM;
	file->private_data = ep;
	return nonseekable_open(inode, file);
}

/* The last reference of the file: its last fd and its last mapping. */
static int kipc_release(struct inode *inode, struct file *file)
{
	struct kipc_endpoint *ep = file->private_data;

	switch (kipc_endpoint_role(ep)) {
	case KIPC_ROLE_LISTENER:
		kipc_listener_close(ep->listener);
		break;
	case KIPC_ROLE_CONN:
		kipc_conn_side_gone(ep->conn, ep->side);
		if (ep->side == KIPC_SIDE_CLIENT)
			kipc_listener_unqueue(ep->conn);
		kipc_conn_put(ep->conn);
		break;
	default:
		break;
	}
	kfree(ep);
	return 0;
}

/* Also the fops of the server fds that ACCEPT makes. */
const struct file_operations kipc_fops = {
	.owner = THIS_MODULE,
	.open = kipc_open,
	.release = kipc_release,
	.unlocked_ioctl = kipc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.uring_cmd = kipc_uring_cmd,
	.poll = kipc_poll,
	.mmap = kipc_mmap,
};

static struct miscdevice kipc_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KIPC_DEVICE_NAME,
	.fops = &kipc_fops,
	.mode = 0666,		/* access control is per listener */
};

static void __init kipc_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct kipc_version) != 48);
	BUILD_BUG_ON(sizeof(struct kipc_listen) != 96);
	BUILD_BUG_ON(sizeof(struct kipc_connect) != 88);
	BUILD_BUG_ON(sizeof(struct kipc_peer) != 16);
	BUILD_BUG_ON(sizeof(struct kipc_accept) != 32);
	BUILD_BUG_ON(sizeof(struct kipc_conn_info) != 72);
	/* The 1.0 layouts, which callers built against them still send. */
	BUILD_BUG_ON(offsetofend(struct kipc_listen, name) != 88);
	BUILD_BUG_ON(offsetofend(struct kipc_connect, name) != 72);
	BUILD_BUG_ON(offsetofend(struct kipc_conn_info, peer) != 64);
	BUILD_BUG_ON((KIPC_FEATURES & KIPC_F_RING_FORMATS) !=
		     KIPC_RING_FORMATS_KNOWN);
	BUILD_BUG_ON(sizeof(struct kipc_eventfd) != 16);
	BUILD_BUG_ON(sizeof(struct kipc_shared_hdr) != 96);
	BUILD_BUG_ON(sizeof(struct kipc_prod) != 128);
	BUILD_BUG_ON(sizeof(struct kipc_cons) != 128);
	BUILD_BUG_ON(sizeof(struct kipc_index_page) != 256);
	BUILD_BUG_ON(sizeof(struct kipc_rec) != 8);
	BUILD_BUG_ON(offsetof(struct kipc_index_page, prod) != KIPC_PROD_LINE_OFF);
	BUILD_BUG_ON(offsetof(struct kipc_index_page, cons) != KIPC_CONS_LINE_OFF);
	BUILD_BUG_ON(sizeof(struct kipc_shared_hdr) > PAGE_SIZE);
	/* Both views and every offset fit the uapi's __u32 fields. */
	BUILD_BUG_ON((u64)KIPC_FIXED_PAGES * PAGE_SIZE + 2ULL * KIPC_RING_HARD_MAX >
		     KIPC_MMAP_OWN);
}

static int __init kipc_init(void)
{
	int ret;

	kipc_check_abi();
	kipc_names_init();
	ret = kipc_proc_init();
	if (ret)
		return ret;
	ret = misc_register(&kipc_misc);
	if (ret)
		goto out_proc_exit;
	return 0;

out_proc_exit:
	kipc_proc_exit();
	return ret;
}

/* Every file holds a module reference, so nothing is left here. */
static void __exit kipc_exit(void)
{
	misc_deregister(&kipc_misc);
	kipc_proc_exit();
}

module_init(kipc_init);
module_exit(kipc_exit);

MODULE_DESCRIPTION("kipc: kernel-assisted shared-memory IPC");
MODULE_LICENSE("GPL");
