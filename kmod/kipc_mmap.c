// SPDX-License-Identifier: GPL-2.0
/*
 * kipc: mmap of a connection's two views.
 *
 * KIPC_MMAP_SHARED maps every page of the object read-only, with
 * VM_MAYWRITE cleared so mprotect() cannot upgrade it. KIPC_MMAP_OWN maps
 * what this side owns, read-write: its index page, then the data of the ring
 * it produces. All pages are inserted at mmap time, so the data path takes
 * no page faults; the fault handler only puts a page back after
 * madvise(MADV_DONTNEED) zapped it.
 *
 * A view is one vma that can move but not change shape: VM_DONTEXPAND
 * refuses growth, ->may_split refuses partial munmap, mremap shrink and
 * partial mprotect, VM_DONTCOPY keeps it out of fork children.
 */
#include <linux/mm.h>

#include "kipc_internal.h"

/* 6.3 made vm_flags read-only outside these helpers. */
#ifdef KIPC_HAVE_VM_FLAGS_MOD
#define kipc_vm_flags_mod(vma, set, clear)	vm_flags_mod(vma, set, clear)
#else
static void kipc_vm_flags_mod(struct vm_area_struct *vma, unsigned long set,
			      unsigned long clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#endif

static bool kipc_vma_is_own(const struct vm_area_struct *vma)
{
	return vma->vm_pgoff == KIPC_MMAP_OWN >> PAGE_SHIFT;
}

/* Split vmas and mremap copies come through here; the original is counted
 * in kipc_mmap().
 */
static void kipc_vm_open(struct vm_area_struct *vma)
{
	atomic_long_inc(&kipc_nr_mappings);
}

static void kipc_vm_close(struct vm_area_struct *vma)
{
	atomic_long_dec(&kipc_nr_mappings);
}

static int kipc_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static vm_fault_t kipc_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct kipc_endpoint *ep = vma->vm_private_data;
	struct page *page;

	page = kipc_conn_view_page(ep->conn, ep->side, kipc_vma_is_own(vma),
				   vmf->pgoff - vma->vm_pgoff);
	if (!page)
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kipc_vm_ops = {
	.open = kipc_vm_open,
	.close = kipc_vm_close,
	.may_split = kipc_vm_may_split,
	.fault = kipc_vm_fault,
};

static int kipc_insert_view(struct vm_area_struct *vma, struct kipc_conn *c,
			    unsigned int side, bool own_view)
{
	unsigned long addr = vma->vm_start;
	unsigned long left;
	int ret;

	if (own_view) {
		ret = vm_insert_page(vma, addr, c->pages[1 + side]);
		if (ret)
			return ret;
		left = c->ring_bytes[side] >> PAGE_SHIFT;
		ret = vm_insert_pages(vma, addr + PAGE_SIZE,
				      &c->pages[kipc_data_first(c, side)], &left);
	} else {
		left = c->nr_pages;
		ret = vm_insert_pages(vma, addr, c->pages, &left);
	}
	if (!ret && left)
		ret = -EFAULT;
	return ret;
}

int kipc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kipc_endpoint *ep = file->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long clear = VM_MAYEXEC;
	struct kipc_conn *c;
	unsigned int side;
	bool own_view;
	int ret;

	if (kipc_endpoint_role(ep) != KIPC_ROLE_CONN)
		return -EINVAL;
	c = ep->conn;
	side = ep->side;
	own_view = kipc_vma_is_own(vma);

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (own_view) {
		if (len != PAGE_SIZE + c->ring_bytes[side])
			return -EINVAL;
	} else if (vma->vm_pgoff == KIPC_MMAP_SHARED >> PAGE_SHIFT) {
		if (len != (unsigned long)c->nr_pages << PAGE_SHIFT)
			return -EINVAL;
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		clear |= VM_MAYWRITE;
	} else {
		return -EINVAL;
	}
	/* Ring memory holds data, never code. */
	if (vma->vm_flags & VM_EXEC)
		return -EACCES;

	kipc_vm_flags_mod(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP, clear);
	vma->vm_ops = &kipc_vm_ops;
	vma->vm_private_data = ep;
	/* On failure the core unmaps what was inserted; ->close is not called. */
	ret = kipc_insert_view(vma, c, side, own_view);
	if (ret)
		return ret;
	atomic_long_inc(&kipc_nr_mappings);
	return 0;
}
