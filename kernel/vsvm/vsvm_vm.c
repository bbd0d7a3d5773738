// SPDX-License-Identifier: GPL-2.0
/*
 * vsvm's VM_BIND half: GEM objects of system pages (nouveau's GEM_NEW),
 * VM_INIT with the SVM window of the design for SVM on VM_BIND clients,
 * and synchronous VM_BIND MAP/UNMAP. A device access inside the window
 * is served from the object bound there; one on unbound window VA is a
 * fault that is cancelled (the channel is killed), never replayed.
 */

#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_vma_manager.h>
#include <drm/nouveau_drm.h>

#include "vsvm_compat.h"
#include "vsvm_drv.h"

/*
 * Off, vsvm is a kernel from before the extension: GETPARAM does not know
 * DRM_VSVM_GETPARAM_VM_INIT_SVM, and VM_INIT reads only upstream's two
 * fields, so the flag and the window are silently ignored.
 */
static bool vm_init_svm = true;
module_param(vm_init_svm, bool, 0644);
MODULE_PARM_DESC(vm_init_svm, "VM_INIT takes the SVM window (default on; off: behave as a kernel without the extension)");

bool vsvm_vm_init_svm_supported(void)
{
	return READ_ONCE(vm_init_svm);
}

static inline struct vsvm_bo *to_vsvm_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct vsvm_bo, base);
}

static void vsvm_bo_free(struct drm_gem_object *obj)
{
	struct vsvm_bo *bo = to_vsvm_bo(obj);
	unsigned long i;

	for (i = 0; i < bo->npages; i++)
		if (bo->pages[i])
			__free_page(bo->pages[i]);
	kvfree(bo->pages);
	drm_gem_object_release(obj);
	kfree(bo);
}

static vm_fault_t vsvm_bo_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vsvm_bo *bo = to_vsvm_bo(vma->vm_private_data);
	unsigned long pgoff;

	pgoff = ((vmf->address - vma->vm_start) >> PAGE_SHIFT) +
		vma->vm_pgoff - drm_vma_node_start(&bo->base.vma_node);
	if (pgoff >= bo->npages)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vma, vmf->address,
			      page_to_pfn(bo->pages[pgoff]));
}

static const struct vm_operations_struct vsvm_bo_vm_ops = {
	.fault = vsvm_bo_fault,
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

/* Cached, shared only: a private writable PFN map would need COW. */
static int vsvm_bo_mmap(struct drm_gem_object *obj,
			struct vm_area_struct *vma)
{
	if (is_cow_mapping(vma->vm_flags))
		return -EINVAL;
	vsvm_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
			  VM_DONTDUMP);
	return 0;
}

static const struct drm_gem_object_funcs vsvm_bo_funcs = {
	.free = vsvm_bo_free,
	.mmap = vsvm_bo_mmap,
	.vm_ops = &vsvm_bo_vm_ops,
};

/*
 * nouveau's GEM_NEW. Every object is system memory (reported as GART),
 * zeroed, mmap-able through map_handle; no tiling, no kernel VA (offset
 * 0: a VM_INIT client binds it itself).
 */
int vsvm_gem_new_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct vsvm_file *vfile = file->driver_priv;
	struct drm_nouveau_gem_new *req = data;
	struct drm_nouveau_gem_info *info = &req->info;
	struct vsvm_bo *bo;
	unsigned long i;
	u64 size;
	u32 handle;
	int ret;

	if (info->tile_mode || info->tile_flags)
		return -EINVAL;
	if (!info->size || info->size > DRM_VSVM_MAX_BO_SIZE)
		return -EINVAL;
	size = PAGE_ALIGN(info->size);

	/* nouveau_gem_ioctl_new(): a BO before VM_INIT rules VM_INIT out. */
	mutex_lock(&vfile->lock);
	if (!vfile->vm)
		vfile->vm_disabled = true;
	mutex_unlock(&vfile->lock);

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return -ENOMEM;
	bo->npages = size >> PAGE_SHIFT;
	bo->pages = kvcalloc(bo->npages, sizeof(*bo->pages), GFP_KERNEL);
	if (!bo->pages) {
		kfree(bo);
		return -ENOMEM;
	}
	bo->base.funcs = &vsvm_bo_funcs;
	drm_gem_private_object_init(drm, &bo->base, size);
	/* From here on the object's free callback releases everything. */
	for (i = 0; i < bo->npages; i++) {
		bo->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!bo->pages[i]) {
			ret = -ENOMEM;
			goto out_put;
		}
	}
	ret = drm_gem_create_mmap_offset(&bo->base);
	if (ret)
		goto out_put;
	ret = drm_gem_handle_create(file, &bo->base, &handle);
	if (ret)
		goto out_put;

	info->handle = handle;
	info->domain = NOUVEAU_GEM_DOMAIN_GART;
	info->size = size;
	info->offset = 0;
	info->map_handle = drm_vma_node_offset_addr(&bo->base.vma_node);
out_put:
	/* The handle holds the object now, or nothing does. */
	drm_gem_object_put(&bo->base);
	return ret;
}

/*
 * nouveau_uvmm_ioctl_vm_init() and its rules, plus the SVM window of
 * struct drm_vsvm_vm_init. Upstream does not refuse a second VM_INIT
 * (it replaces the uvmm); vsvm answers -EBUSY, as SVM_INIT does.
 */
int vsvm_vm_init_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct vsvm_file *vfile = file->driver_priv;
	u64 va_size = 1ULL << vfile->vdev->va_bits;
	struct drm_vsvm_vm_init *args = data;
	struct drm_vsvm_vm_init upstream;
	u64 kend, wend;
	struct vsvm_vm *vm;
	bool svm;
	int ret;

	if (!vsvm_vm_init_svm_supported()) {
		/* What an older kernel sees: the first two fields. */
		upstream = (struct drm_vsvm_vm_init) {
			.kernel_managed_addr = args->kernel_managed_addr,
			.kernel_managed_size = args->kernel_managed_size,
		};
		args = &upstream;
	}
	if (check_add_overflow(args->kernel_managed_addr,
			       args->kernel_managed_size, &kend) ||
	    kend > va_size)
		return -EINVAL;
	if (args->flags & ~DRM_VSVM_VM_INIT_SVM)
		return -EINVAL;
	svm = args->flags & DRM_VSVM_VM_INIT_SVM;
	if (!svm && (args->unmanaged_addr || args->unmanaged_size))
		return -EINVAL;
	if (svm) {
		if (check_add_overflow(args->unmanaged_addr,
				       args->unmanaged_size, &wend) ||
		    wend > va_size)
			return -EINVAL;
		/* The kernel's own objects are not mirrored either. */
		if (args->kernel_managed_size &&
		    (args->kernel_managed_addr < args->unmanaged_addr ||
		     kend > wend))
			return -EINVAL;
	}

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return -ENOMEM;
	vm->kernel_start = args->kernel_managed_addr;
	vm->kernel_limit = kend;
	vm->svm = svm;
	vm->bind_start = svm ? args->unmanaged_addr : 0;
	vm->bind_limit = svm ? wend : va_size;
	mutex_init(&vm->lock);
	INIT_LIST_HEAD(&vm->mappings);

	mutex_lock(&vfile->lock);
	if (vfile->vm_disabled) {
		ret = VSVM_ERR_NO_UVMM;
		goto out_free;
	}
	if (vfile->vm || vfile->svmm) {
		ret = -EBUSY;
		goto out_free;
	}
	if (svm) {
		ret = vsvm_svmm_init_locked(vfile, args->unmanaged_addr,
					    args->unmanaged_size, vm);
		if (ret)
			goto out_free;
	}
	/* Pairs with the acquire in vsvm_vm_bind_ioctl(). */
	smp_store_release(&vfile->vm, vm);
	mutex_unlock(&vfile->lock);
	return 0;

out_free:
	mutex_unlock(&vfile->lock);
	kfree(vm);
	return ret;
}

static void vsvm_mapping_free(struct vsvm_mapping *m)
{
	drm_gem_object_put(&m->bo->base);
	kfree(m);
}

/* nouveau_uvmm_validate_range() plus the window. */
static int vsvm_vm_range_valid(struct vsvm_vm *vm, u64 addr, u64 range)
{
	u64 end;

	if ((addr | range) & ~PAGE_MASK || !range)
		return -EINVAL;
	if (check_add_overflow(addr, range, &end))
		return -EINVAL;
	/* drm_gpuvm_range_valid(): the kernel-managed region is not ours. */
	if (addr < vm->kernel_limit && end > vm->kernel_start)
		return -EINVAL;
	/* Outside the window is mirrored: SVM's, never VM_BIND's. */
	if (addr < vm->bind_start || end > vm->bind_limit)
		return -EINVAL;
	return 0;
}

/*
 * What one op did, to be undone if a later op of the same call fails
 * (VM_BIND applies all ops or none, as nouveau's bind job does).
 */
struct vsvm_bind_undo {
	struct vsvm_mapping *added;
	struct list_head removed;
};

static int vsvm_vm_bind_map(struct vsvm_vm *vm, struct drm_file *file,
			    struct vsvm_nouveau_vm_bind_op *op,
			    struct vsvm_bind_undo *undo)
{
	struct drm_gem_object *obj;
	struct vsvm_mapping *m, *it;
	u64 end = op->addr + op->range;

	obj = drm_gem_object_lookup(file, op->handle);
	if (!obj)
		return -ENOENT;
	/* bind_validate_op() */
	if (op->bo_offset & ~PAGE_MASK || obj->size <= op->bo_offset ||
	    op->range > obj->size - op->bo_offset)
		goto out_einval;
	/*
	 * nouveau replaces what an op maps over (split and remap); this
	 * subset does not: UNMAP it first.
	 */
	list_for_each_entry(it, &vm->mappings, link) {
		if (op->addr < it->addr + it->range && end > it->addr) {
			drm_gem_object_put(obj);
			return -EEXIST;
		}
	}
	if (vm->nr_mappings >= VSVM_VM_MAX_MAPPINGS) {
		drm_gem_object_put(obj);
		return -ENOSPC;
	}
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m) {
		drm_gem_object_put(obj);
		return -ENOMEM;
	}
	m->addr = op->addr;
	m->range = op->range;
	m->bo_offset = op->bo_offset;
	m->bo = to_vsvm_bo(obj);        /* the lookup's reference */
	list_add(&m->link, &vm->mappings);
	vm->nr_mappings++;
	undo->added = m;
	return 0;

out_einval:
	drm_gem_object_put(obj);
	return -EINVAL;
}

/*
 * UNMAP removes every mapping inside the range; one that sticks out of
 * it would need splitting, which this subset refuses (-EINVAL).
 */
static int vsvm_vm_bind_unmap(struct vsvm_vm *vm,
			      struct vsvm_nouveau_vm_bind_op *op,
			      struct vsvm_bind_undo *undo)
{
	u64 end = op->addr + op->range;
	struct vsvm_mapping *m, *n;

	list_for_each_entry(m, &vm->mappings, link) {
		if (op->addr < m->addr + m->range && end > m->addr &&
		    (m->addr < op->addr || m->addr + m->range > end))
			return -EINVAL;
	}
	list_for_each_entry_safe(m, n, &vm->mappings, link) {
		if (m->addr >= op->addr && m->addr + m->range <= end) {
			list_move(&m->link, &undo->removed);
			vm->nr_mappings--;
		}
	}
	return 0;
}

/*
 * nouveau's VM_BIND, synchronous only: there is no job queue on vsvm,
 * so RUN_ASYNC is -EOPNOTSUPP and syncs are -EINVAL (nouveau refuses
 * syncs on a synchronous bind too). Sparse regions: -EOPNOTSUPP.
 */
int vsvm_vm_bind_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct vsvm_file *vfile = file->driver_priv;
	struct vsvm_nouveau_vm_bind *req = data;
	struct vsvm_nouveau_vm_bind_op *ops;
	struct vsvm_bind_undo *undo;
	struct vsvm_mapping *m, *n;
	struct vsvm_vm *vm;
	u32 i, done = 0;
	int ret = 0;

	/* Pairs with the release in vsvm_vm_init_ioctl(). */
	vm = smp_load_acquire(&vfile->vm);
	if (!vm)
		return VSVM_ERR_NO_UVMM;
	if (req->flags & ~VSVM_NOUVEAU_VM_BIND_RUN_ASYNC)
		return -EINVAL;
	if (req->flags & VSVM_NOUVEAU_VM_BIND_RUN_ASYNC)
		return -EOPNOTSUPP;
	if (req->wait_count || req->sig_count)
		return -EINVAL;
	if (!req->op_count)
		return 0;
	if (req->op_count > VSVM_VM_BIND_MAX_OPS)
		return -EINVAL;

	ops = memdup_user(u64_to_user_ptr(req->op_ptr),
			  array_size(req->op_count, sizeof(*ops)));
	if (IS_ERR(ops))
		return PTR_ERR(ops);
	undo = kcalloc(req->op_count, sizeof(*undo), GFP_KERNEL);
	if (!undo) {
		kfree(ops);
		return -ENOMEM;
	}

	for (i = 0; i < req->op_count; i++) {
		INIT_LIST_HEAD(&undo[i].removed);
		if (ops[i].op != VSVM_NOUVEAU_VM_BIND_OP_MAP &&
		    ops[i].op != VSVM_NOUVEAU_VM_BIND_OP_UNMAP) {
			ret = -EINVAL;
			goto out_free;
		}
		if (ops[i].flags & VSVM_NOUVEAU_VM_BIND_SPARSE) {
			ret = -EOPNOTSUPP;
			goto out_free;
		}
		ret = vsvm_vm_range_valid(vm, ops[i].addr, ops[i].range);
		if (ret)
			goto out_free;
	}

	mutex_lock(&vm->lock);
	for (i = 0; i < req->op_count; i++) {
		if (ops[i].op == VSVM_NOUVEAU_VM_BIND_OP_MAP)
			ret = vsvm_vm_bind_map(vm, file, &ops[i], &undo[i]);
		else
			ret = vsvm_vm_bind_unmap(vm, &ops[i], &undo[i]);
		if (ret)
			break;
		done++;
	}
	/* Undo in reverse on failure, else drop what was unmapped. */
	while (done--) {
		if (ret && undo[done].added) {
			list_del(&undo[done].added->link);
			vm->nr_mappings--;
			vsvm_mapping_free(undo[done].added);
		}
		list_for_each_entry_safe(m, n, &undo[done].removed, link) {
			if (ret) {
				list_move(&m->link, &vm->mappings);
				vm->nr_mappings++;
			} else {
				list_del(&m->link);
				vsvm_mapping_free(m);
			}
		}
	}
	mutex_unlock(&vm->lock);

out_free:
	kfree(undo);
	kfree(ops);
	return ret;
}

int vsvm_vm_access(struct vsvm_vm *vm, struct vsvm_access *acc)
{
	struct vsvm_mapping *m;
	struct page *page;
	void *kaddr;
	int ret = -EFAULT;

	mutex_lock(&vm->lock);
	list_for_each_entry(m, &vm->mappings, link) {
		if (acc->addr < m->addr || acc->addr >= m->addr + m->range)
			continue;
		page = m->bo->pages[(m->bo_offset + acc->addr - m->addr) >>
				    PAGE_SHIFT];
		/* A prefault maps nothing here: the mapping is eager. */
		if (acc->fn) {
			kaddr = kmap_local_page(page);
			acc->fn(acc, kaddr + offset_in_page(acc->addr));
			kunmap_local(kaddr);
		}
		ret = 0;
		break;
	}
	mutex_unlock(&vm->lock);
	return ret;
}

/* Postclose, after the svmm: no lane runs and no ioctl any more. */
void vsvm_vm_fini(struct vsvm_vm *vm)
{
	struct vsvm_mapping *m, *n;

	list_for_each_entry_safe(m, n, &vm->mappings, link) {
		list_del(&m->link);
		vsvm_mapping_free(m);
	}
	mutex_destroy(&vm->lock);
	kfree(vm);
}
