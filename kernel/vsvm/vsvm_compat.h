/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences vsvm builds across: 6.1 and 6.12 have
 * make_device_exclusive_range(); 6.15 replaced it by a per-page call.
 * Kbuild detects which one the tree has (VSVM_HAVE_EXCLUSIVE_RANGE).
 * Device-private pages: 6.14 hid page->pgmap behind page_pgmap(); 7.x
 * frees whole folios (dev_pagemap_ops.folio_free) and inits a page with
 * its pgmap and order. Kbuild tests the headers for each.
 */
#ifndef VSVM_COMPAT_H
#define VSVM_COMPAT_H

#include <linux/err.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>

/*
 * Make the page at addr device-exclusive for owner. Returns it locked
 * and referenced (release with vsvm_exclusive_release()), or:
 * -EBUSY when the kernel found the page but would not convert it (THP,
 * hugetlb, shared or file pages, or the page lock was contended), or the
 * errno of the lookup (-EFAULT: no writable mapping). mmap_lock must be
 * held for read.
 */
static inline struct page *
vsvm_make_exclusive(struct mm_struct *mm, unsigned long addr, void *owner)
{
#ifndef VSVM_HAVE_EXCLUSIVE_RANGE
	struct folio *folio;

	return make_device_exclusive(mm, addr, owner, &folio);
#else
	struct page *page = NULL;
	int ret;

	ret = make_device_exclusive_range(mm, addr, addr + PAGE_SIZE, &page,
					  owner);
	if (ret < 0)
		return ERR_PTR(ret);
	if (ret == 0)
		return ERR_PTR(-EFAULT);
	if (!page)
		return ERR_PTR(-EBUSY);
	return page;
#endif
}

static inline void vsvm_exclusive_release(struct page *page)
{
	struct folio *folio = page_folio(page);

	folio_unlock(folio);
	folio_put(folio);
}

static inline struct dev_pagemap *vsvm_page_pgmap(struct page *page)
{
#ifdef VSVM_HAVE_PAGE_PGMAP
	return page_pgmap(page);
#else
	return page->pgmap;
#endif
}

/* A free device-private page handed out again, as one order-0 page. */
static inline void vsvm_zone_device_page_init(struct page *page)
{
#ifdef VSVM_HAVE_ZDPI_PGMAP
	zone_device_page_init(page, vsvm_page_pgmap(page), 0);
#else
	zone_device_page_init(page);
#endif
}

/* 6.3 made vm_flags read-only outside these helpers. */
static inline void vsvm_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
#ifdef VSVM_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

#endif /* VSVM_COMPAT_H */
