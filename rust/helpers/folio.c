// SPDX-License-Identifier: GPL-2.0

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

__rust_helper void rust_helper_folio_get(struct folio *folio)
{
	folio_get(folio);
}

__rust_helper void rust_helper_folio_put(struct folio *folio)
{
	folio_put(folio);
}

__rust_helper void rust_helper_folio_lock(struct folio *folio)
{
	folio_lock(folio);
}

__rust_helper bool rust_helper_folio_trylock(struct folio *folio)
{
	return folio_trylock(folio);
}

__rust_helper bool rust_helper_folio_test_locked(const struct folio *folio)
{
	return folio_test_locked(folio);
}

__rust_helper bool rust_helper_folio_test_uptodate(const struct folio *folio)
{
	return folio_test_uptodate(folio);
}

__rust_helper void rust_helper___folio_mark_uptodate(struct folio *folio)
{
	__folio_mark_uptodate(folio);
}

__rust_helper size_t rust_helper_folio_size(const struct folio *folio)
{
	return folio_size(folio);
}

__rust_helper loff_t rust_helper_folio_pos(const struct folio *folio)
{
	return folio_pos(folio);
}

__rust_helper void *rust_helper_kmap_local_folio(const struct folio *folio,
						 size_t offset)
{
	return kmap_local_folio(folio, offset);
}

__rust_helper struct folio *
rust_helper_filemap_alloc_folio(gfp_t gfp, unsigned int order,
				struct mempolicy *policy)
{
	return filemap_alloc_folio(gfp, order, policy);
}

__rust_helper struct folio *
rust_helper_vma_alloc_folio(gfp_t gfp, int order, struct vm_area_struct *vma,
			    unsigned long addr)
{
	return vma_alloc_folio(gfp, order, vma, addr);
}

__rust_helper struct folio *
rust_helper_filemap_lock_folio(struct address_space *mapping, pgoff_t index)
{
	return filemap_lock_folio(mapping, index);
}

__rust_helper struct page *
rust_helper_folio_file_page(struct folio *folio, pgoff_t index)
{
	return folio_file_page(folio, index);
}

__rust_helper pgoff_t
rust_helper_linear_page_index(const struct vm_area_struct *vma,
			      unsigned long address)
{
	return linear_page_index(vma, address);
}

__rust_helper void
rust_helper_mapping_set_unevictable(struct address_space *mapping)
{
	mapping_set_unevictable(mapping);
}
