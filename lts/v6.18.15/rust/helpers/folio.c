// SPDX-License-Identifier: GPL-2.0

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

void rust_helper_folio_get(struct folio *folio)
{
	folio_get(folio);
}

void rust_helper_folio_put(struct folio *folio)
{
	folio_put(folio);
}

void rust_helper_folio_lock(struct folio *folio)
{
	folio_lock(folio);
}

bool rust_helper_folio_trylock(struct folio *folio)
{
	return folio_trylock(folio);
}

bool rust_helper_folio_test_locked(const struct folio *folio)
{
	return folio_test_locked(folio);
}

bool rust_helper_folio_test_uptodate(const struct folio *folio)
{
	return folio_test_uptodate(folio);
}

void rust_helper___folio_mark_uptodate(struct folio *folio)
{
	__folio_mark_uptodate(folio);
}

size_t rust_helper_folio_size(const struct folio *folio)
{
	return folio_size(folio);
}

void *rust_helper_kmap_local_folio(const struct folio *folio, size_t offset)
{
	return kmap_local_folio(folio, offset);
}

struct folio *rust_helper_filemap_alloc_folio(gfp_t gfp, unsigned int order)
{
	return filemap_alloc_folio(gfp, order);
}

struct folio *rust_helper_filemap_lock_folio(struct address_space *mapping,
					     pgoff_t index)
{
	return filemap_lock_folio(mapping, index);
}

loff_t rust_helper_folio_pos(const struct folio *folio)
{
	return folio_pos(folio);
}

struct page *rust_helper_folio_file_page(struct folio *folio, pgoff_t index)
{
	return folio_file_page(folio, index);
}

pgoff_t rust_helper_linear_page_index(const struct vm_area_struct *vma,
				      unsigned long address)
{
	return linear_page_index(vma, address);
}

void rust_helper_mapping_set_unevictable(struct address_space *mapping)
{
	mapping_set_unevictable(mapping);
}
