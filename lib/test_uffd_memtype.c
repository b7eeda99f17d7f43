// SPDX-License-Identifier: GPL-2.0
/*
 * A memory type outside mm/ for testing vm_uffd_ops: RAM-backed memory
 * objects (a tiny memfd) handed out by /dev/uffd_test_memtype.
 *
 * Each object is a file with an inode of its own, whose page cache holds
 * the object's pages, so that two mappings see the same memory.  The object
 * supports userfaultfd MISSING, MINOR and WP through struct vm_uffd_ops:
 * core mm raises the userfaults (uffd_ops_fault()) and fills the pages;
 * this module only looks folios up, allocates them and puts them into its
 * page cache, with exported, folio-level functions: no page table, no
 * handle_userfault(), and a ->fault that knows nothing of userfaultfd.
 * Built as a module, it shows that this is enough.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/falloc.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/userfaultfd_k.h>

#include "test_uffd_memtype_uapi.h"

/* Not movable: like ramfs, dirty folios with nowhere to go cannot migrate. */
#define TMEM_GFP	(GFP_HIGHUSER | __GFP_ZERO)

static struct folio *tmem_get_folio_noalloc(struct inode *inode, pgoff_t pgoff)
{
	return filemap_lock_folio(inode->i_mapping, pgoff);
}

static struct folio *tmem_alloc_folio(struct vm_area_struct *vma,
				      unsigned long addr)
{
	return filemap_alloc_folio(TMEM_GFP, 0, NULL);
}

static int tmem_filemap_add(struct folio *folio, struct vm_area_struct *vma,
			    unsigned long addr)
{
	/* Charges the folio, locks it, inserts it and puts it on the LRU. */
	return filemap_add_folio(file_inode(vma->vm_file)->i_mapping, folio,
				 linear_page_index(vma, addr), GFP_KERNEL);
}

/* Only the modes it knows: a mode added later must be refused until then. */
static bool tmem_can_userfault(struct vm_area_struct *vma, vm_flags_t vm_flags)
{
	return !(vm_flags & ~(VM_UFFD_MISSING | VM_UFFD_MINOR | VM_UFFD_WP));
}

/* No ->filemap_remove: core undoes filemap_add_folio() itself. */
static const struct vm_uffd_ops tmem_uffd_ops = {
	.can_userfault		= tmem_can_userfault,
	.get_folio_noalloc	= tmem_get_folio_noalloc,
	.alloc_folio		= tmem_alloc_folio,
	.filemap_add		= tmem_filemap_add,
};

/*
 * A plain fault: the page at the offset, zero-filled on first touch.  The
 * invalidate lock keeps hole punching out while a fault looks and adds.
 * Core mm raises the userfaults of registered ranges before this runs.
 */
static vm_fault_t tmem_fault(struct vm_fault *vmf)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	struct address_space *mapping = inode->i_mapping;
	struct folio *folio;
	vm_fault_t ret = VM_FAULT_LOCKED;
	int err;

	filemap_invalidate_lock_shared(mapping);
	if (vmf->pgoff >= DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE)) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	for (;;) {
		folio = filemap_lock_folio(mapping, vmf->pgoff);
		if (!IS_ERR(folio))
			break;
		folio = filemap_alloc_folio(TMEM_GFP, 0, NULL);
		if (!folio) {
			ret = VM_FAULT_OOM;
			goto out;
		}
		__folio_mark_uptodate(folio);
		err = filemap_add_folio(mapping, folio, vmf->pgoff, GFP_KERNEL);
		if (!err)
			break;
		folio_put(folio);
		if (err != -EEXIST) {
			ret = vmf_error(err);
			goto out;
		}
	}
	vmf->page = folio_file_page(folio, vmf->pgoff);
out:
	filemap_invalidate_unlock_shared(mapping);
	return ret;
}

/*
 * ->map_pages lets ->fault run under the per-VMA lock; core mm turns
 * fault-around off for MINOR and WP registrations.
 */
static const struct vm_operations_struct tmem_vm_ops = {
	.fault		= tmem_fault,
	.map_pages	= filemap_map_pages,
	.uffd_ops	= &tmem_uffd_ops,
};

/*
 * An object that asks to be told of writes, as a type with a backing store
 * would: userfaultfd must refuse it (it fills pages without telling).
 */
static vm_fault_t tmem_page_mkwrite(struct vm_fault *vmf)
{
	struct folio *folio = page_folio(vmf->page);

	folio_lock(folio);
	if (folio->mapping != file_inode(vmf->vma->vm_file)->i_mapping) {
		folio_unlock(folio);
		return VM_FAULT_NOPAGE;
	}
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct tmem_mkwrite_vm_ops = {
	.fault		= tmem_fault,
	.map_pages	= filemap_map_pages,
	.page_mkwrite	= tmem_page_mkwrite,
	.uffd_ops	= &tmem_uffd_ops,
};

static int tmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	/* The object's vm_ops, chosen when it was created. */
	vma->vm_ops = file->private_data;
	return 0;
}

/* Hole punching (MADV_REMOVE) frees the object's pages in the range. */
static long tmem_fallocate(struct file *file, int mode, loff_t offset,
			   loff_t len)
{
	struct inode *inode = file_inode(file);

	if (mode != (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	inode_lock(inode);
	filemap_invalidate_lock(inode->i_mapping);
	truncate_pagecache_range(inode, offset, offset + len - 1);
	filemap_invalidate_unlock(inode->i_mapping);
	inode_unlock(inode);
	return 0;
}

static const struct file_operations tmem_object_fops = {
	.owner		= THIS_MODULE,
	.mmap		= tmem_mmap,
	.fallocate	= tmem_fallocate,
};

static long tmem_create(u64 size, bool mkwrite)
{
	struct inode *inode;
	struct file *file;
	int fd;

	if (!size || size > (MAX_LFS_FILESIZE & PAGE_MASK))
		return -EINVAL;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = anon_inode_create_getfile("[uffd_test_memtype]", &tmem_object_fops,
					 (void *)(mkwrite ? &tmem_mkwrite_vm_ops :
						  &tmem_vm_ops),
					 O_RDWR, NULL);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	inode = file_inode(file);
	/* A regular file for fallocate() and MADV_REMOVE, like memfd. */
	inode->i_mode |= S_IFREG;
	/* RAM only: there is nowhere to write the pages back to. */
	mapping_set_unevictable(inode->i_mapping);
	i_size_write(inode, PAGE_ALIGN(size));
	fd_install(fd, file);
	return fd;
}

static long tmem_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	switch (cmd) {
	case UFFD_TEST_MEMTYPE_CREATE:
		return tmem_create(arg, false);
	case UFFD_TEST_MEMTYPE_CREATE_MKWRITE:
		return tmem_create(arg, true);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations tmem_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= tmem_dev_ioctl,
	/* The argument is a size passed by value, the same for compat. */
	.compat_ioctl	= tmem_dev_ioctl,
};

static struct miscdevice tmem_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "uffd_test_memtype",
	.fops	= &tmem_dev_fops,
};

module_misc_device(tmem_dev);

MODULE_DESCRIPTION("Test memory type for userfaultfd's vm_uffd_ops");
MODULE_LICENSE("GPL");
