// SPDX-License-Identifier: GPL-2.0
/*
 * vsvm device memory: device-private pages (memremap_pages) that SVM_BIND
 * MIGRATE moves data into with migrate_vma, and that the CPU faults back
 * through migrate_to_ram like real VRAM, as nouveau_dmem.c does.
 */

#include <linux/highmem.h>
#include <linux/ioport.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "vsvm_compat.h"
#include "vsvm_drv.h"

#define VSVM_MIGRATE_BATCH 64

u64 vsvm_dmem_size(void)
{
	return (u64)VSVM_MAX_CHUNKS * VSVM_CHUNK_PAGES << PAGE_SHIFT;
}

static struct vsvm_chunk *vsvm_page_chunk(struct page *page)
{
	return container_of(vsvm_page_pgmap(page), struct vsvm_chunk, pagemap);
}

struct page *vsvm_dmem_backing(struct vsvm_device *vdev, struct page *page)
{
	WARN_ON_ONCE(vsvm_page_chunk(page)->vdev != vdev);
	return page->zone_device_data;
}

/* Last reference gone: free the data, recycle the device page. */
static void vsvm_dmem_page_free(struct page *page)
{
	struct vsvm_chunk *chunk = vsvm_page_chunk(page);
	struct vsvm_device *vdev = chunk->vdev;
	struct page *backing = page->zone_device_data;

	if (backing)
		__free_page(backing);
	page->zone_device_data = NULL;

	spin_lock(&vdev->free_lock);
	if (!chunk->removing) {
		page->zone_device_data = vdev->free_pages;
		vdev->free_pages = page;
	}
	spin_unlock(&vdev->free_lock);
}

/* The CPU touched a page in device memory: bring it back. */
static vm_fault_t vsvm_dmem_migrate_to_ram(struct vm_fault *vmf)
{
	struct vsvm_device *vdev = vsvm_page_chunk(vmf->page)->vdev;
	unsigned long src = 0, dst = 0;
	struct migrate_vma args = {
		.vma = vmf->vma,
		.start = vmf->address,
		.end = vmf->address + PAGE_SIZE,
		.src = &src,
		.dst = &dst,
		.pgmap_owner = vdev,
		.fault_page = vmf->page,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
	};
	struct page *spage, *dpage;
	vm_fault_t ret = 0;

	/*
	 * The setup invalidates with MMU_NOTIFY_MIGRATE, which drops the
	 * device entry and waits for an access in flight, so the copy below
	 * sees the device's last write.
	 */
	if (migrate_vma_setup(&args) < 0)
		return VM_FAULT_SIGBUS;
	if (!args.cpages)
		return 0;

	spage = migrate_pfn_to_page(src);
	if (!spage || !(src & MIGRATE_PFN_MIGRATE))
		goto done;

	dpage = alloc_page_vma(GFP_HIGHUSER_MOVABLE, vmf->vma, vmf->address);
	if (!dpage) {
		ret = VM_FAULT_OOM;
		goto done;
	}
	lock_page(dpage);
	copy_highpage(dpage, spage->zone_device_data);
	dst = migrate_pfn(page_to_pfn(dpage));
	if (src & MIGRATE_PFN_WRITE)
		dst |= MIGRATE_PFN_WRITE;

	migrate_vma_pages(&args);
	if (src & MIGRATE_PFN_MIGRATE)
		atomic64_inc(&vdev->ctr.c[VSVM_C_MIGRATE_TO_RAM]);
done:
	migrate_vma_finalize(&args);
	return ret;
}

#ifdef VSVM_HAVE_FOLIO_FREE
/* vsvm hands out order-0 pages only: a folio here is one page. */
static void vsvm_dmem_folio_free(struct folio *folio)
{
	vsvm_dmem_page_free(&folio->page);
}
#endif

static const struct dev_pagemap_ops vsvm_dmem_ops = {
#ifdef VSVM_HAVE_FOLIO_FREE
	.folio_free = vsvm_dmem_folio_free,
#else
	.page_free = vsvm_dmem_page_free,
#endif
	.migrate_to_ram = vsvm_dmem_migrate_to_ram,
};

static int vsvm_dmem_add_chunk(struct vsvm_device *vdev)
{
	unsigned long size = (unsigned long)VSVM_CHUNK_PAGES << PAGE_SHIFT;
	unsigned long pfn, first, last;
	struct vsvm_chunk *chunk;
	struct resource *res;
	void *ptr;
	int ret;

	mutex_lock(&vdev->chunk_lock);
	if (vdev->nr_chunks == VSVM_MAX_CHUNKS) {
		ret = -ENOSPC;
		goto out_unlock;
	}

	chunk = kzalloc(sizeof(*chunk), GFP_KERNEL);
	if (!chunk) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	res = request_free_mem_region(&iomem_resource, size, "vsvm");
	if (IS_ERR(res)) {
		ret = PTR_ERR(res);
		goto out_free;
	}
	chunk->vdev = vdev;
	chunk->pagemap.type = MEMORY_DEVICE_PRIVATE;
	chunk->pagemap.range.start = res->start;
	chunk->pagemap.range.end = res->end;
	chunk->pagemap.nr_range = 1;
	chunk->pagemap.ops = &vsvm_dmem_ops;
	chunk->pagemap.owner = vdev;

	ptr = memremap_pages(&chunk->pagemap, numa_node_id());
	if (IS_ERR(ptr)) {
		ret = PTR_ERR(ptr);
		goto out_release;
	}

	first = res->start >> PAGE_SHIFT;
	last = first + VSVM_CHUNK_PAGES;
	spin_lock(&vdev->free_lock);
	for (pfn = first; pfn < last; pfn++) {
		struct page *page = pfn_to_page(pfn);

		page->zone_device_data = vdev->free_pages;
		vdev->free_pages = page;
	}
	spin_unlock(&vdev->free_lock);

	vdev->chunks[vdev->nr_chunks++] = chunk;
	mutex_unlock(&vdev->chunk_lock);
	return 0;

out_release:
	release_mem_region(res->start, resource_size(res));
out_free:
	kfree(chunk);
out_unlock:
	mutex_unlock(&vdev->chunk_lock);
	return ret;
}

/* A locked device page with a fresh backing page, or NULL when full. */
static struct page *vsvm_dmem_alloc_page(struct vsvm_device *vdev)
{
	struct page *backing, *dpage;

	backing = alloc_page(GFP_HIGHUSER);
	if (!backing)
		return NULL;

	for (;;) {
		spin_lock(&vdev->free_lock);
		dpage = vdev->free_pages;
		if (dpage)
			vdev->free_pages = dpage->zone_device_data;
		spin_unlock(&vdev->free_lock);
		if (dpage)
			break;
		if (vsvm_dmem_add_chunk(vdev)) {
			__free_page(backing);
			return NULL;
		}
	}

	vsvm_zone_device_page_init(dpage);
	dpage->zone_device_data = backing;
	return dpage;
}

/*
 * nouveau_dmem_migrate_vma(): move [start, end) of vma into device
 * memory and map what moved on the device. Best effort: a page that
 * cannot move stays where it is. mmap_lock is held for read.
 */
int vsvm_dmem_migrate(struct vsvm_svmm *svmm, struct vm_area_struct *vma,
		      unsigned long start, unsigned long end)
{
	struct vsvm_device *vdev = svmm->vdev;
	struct migrate_vma args = {
		.vma = vma,
		.pgmap_owner = vdev,
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	unsigned long addr, i, moved;
	int ret = 0;

	args.src = kcalloc(VSVM_MIGRATE_BATCH, sizeof(*args.src), GFP_KERNEL);
	args.dst = kcalloc(VSVM_MIGRATE_BATCH, sizeof(*args.dst), GFP_KERNEL);
	if (!args.src || !args.dst) {
		ret = -ENOMEM;
		goto out;
	}

	for (addr = start; addr < end; addr = args.end) {
		args.start = addr;
		args.end = min(end, addr + VSVM_MIGRATE_BATCH * PAGE_SIZE);
		memset(args.dst, 0, VSVM_MIGRATE_BATCH * sizeof(*args.dst));

		ret = migrate_vma_setup(&args);
		if (ret)
			break;
		if (!args.cpages)
			continue;

		for (i = 0; i < args.npages; i++) {
			struct page *spage = migrate_pfn_to_page(args.src[i]);
			struct page *dpage;

			if (!(args.src[i] & MIGRATE_PFN_MIGRATE))
				continue;
			dpage = vsvm_dmem_alloc_page(vdev);
			if (!dpage)
				continue;
			/* A hole or the zero page becomes a zeroed page. */
			if (spage)
				copy_highpage(dpage->zone_device_data, spage);
			else
				clear_highpage(dpage->zone_device_data);
			args.dst[i] = migrate_pfn(page_to_pfn(dpage));
			if ((args.src[i] & MIGRATE_PFN_WRITE) ||
			    (!spage && (vma->vm_flags & VM_WRITE)))
				args.dst[i] |= MIGRATE_PFN_WRITE;
		}

		migrate_vma_pages(&args);

		/* The CPU still sees migration entries: map before finalize. */
		for (i = 0, moved = 0; i < args.npages; i++) {
			struct page *dpage = migrate_pfn_to_page(args.dst[i]);

			if (!dpage || !(args.src[i] & MIGRATE_PFN_MIGRATE))
				continue;
			vsvm_svmm_map_vram(svmm, args.start + i * PAGE_SIZE,
					   dpage->zone_device_data,
					   args.dst[i] & MIGRATE_PFN_WRITE);
			moved++;
		}
		vsvm_count(svmm, VSVM_C_MIGRATE_TO_DEV, moved);
		migrate_vma_finalize(&args);
	}
out:
	kfree(args.src);
	kfree(args.dst);
	return ret;
}

int vsvm_dmem_init(struct vsvm_device *vdev)
{
	mutex_init(&vdev->chunk_lock);
	spin_lock_init(&vdev->free_lock);
	return 0;
}

/* Copy every page still in device memory back to system memory. */
static void vsvm_dmem_evict(struct vsvm_chunk *chunk)
{
	unsigned long first = chunk->pagemap.range.start >> PAGE_SHIFT;
	unsigned long *src, *dst;
	unsigned long i;

	src = kvcalloc(VSVM_CHUNK_PAGES, sizeof(*src),
		       GFP_KERNEL | __GFP_NOFAIL);
	dst = kvcalloc(VSVM_CHUNK_PAGES, sizeof(*dst),
		       GFP_KERNEL | __GFP_NOFAIL);

	migrate_device_range(src, first, VSVM_CHUNK_PAGES);
	for (i = 0; i < VSVM_CHUNK_PAGES; i++) {
		struct page *spage = migrate_pfn_to_page(src[i]);
		struct page *dpage;

		if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		dpage = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOFAIL);
		lock_page(dpage);
		copy_highpage(dpage, spage->zone_device_data);
		dst[i] = migrate_pfn(page_to_pfn(dpage));
		if (src[i] & MIGRATE_PFN_WRITE)
			dst[i] |= MIGRATE_PFN_WRITE;
	}
	migrate_device_pages(src, dst, VSVM_CHUNK_PAGES);
	migrate_device_finalize(src, dst, VSVM_CHUNK_PAGES);
	kvfree(src);
	kvfree(dst);
}

/*
 * Module exit: no file is open, but processes may still hold pages in
 * device memory. Move them out first, or memunmap_pages() would wait
 * for them forever.
 */
void vsvm_dmem_fini(struct vsvm_device *vdev)
{
	unsigned int i;

	mutex_lock(&vdev->chunk_lock);
	spin_lock(&vdev->free_lock);
	for (i = 0; i < vdev->nr_chunks; i++)
		vdev->chunks[i]->removing = true;
	vdev->free_pages = NULL;
	spin_unlock(&vdev->free_lock);

	for (i = 0; i < vdev->nr_chunks; i++) {
		struct vsvm_chunk *chunk = vdev->chunks[i];

		vsvm_dmem_evict(chunk);
		memunmap_pages(&chunk->pagemap);
		release_mem_region(chunk->pagemap.range.start,
				   range_len(&chunk->pagemap.range));
		kfree(chunk);
		vdev->chunks[i] = NULL;
	}
	vdev->nr_chunks = 0;
	mutex_unlock(&vdev->chunk_lock);
}
