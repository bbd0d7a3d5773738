// SPDX-License-Identifier: GPL-2.0
/*
 * vsvm: a virtual SVM GPU. A DRM render node (driver "vsvm") that speaks
 * nouveau's SVM uAPI with nouveau's validation, plus test-only ioctls.
 */

#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/nouveau_drm.h>

#include "vsvm_drv.h"

static unsigned int va_bits = 47;
module_param(va_bits, uint, 0444);
MODULE_PARM_DESC(va_bits, "GPU virtual address bits SVM_INIT checks against (32-57, default 47)");

static struct vsvm_device *vsvm_device;

/*
 * nouveau's GETPARAM, command 0x00: two u64s. 6.1's uAPI header does not
 * carry the struct, so it is spelt out here, layout for layout.
 */
struct vsvm_nouveau_getparam {
	__u64 param;
	__u64 value;
};

#define VSVM_NOUVEAU_GETPARAM_FB_SIZE 8
#define DRM_IOCTL_VSVM_NOUVEAU_GETPARAM \
	DRM_IOWR(DRM_COMMAND_BASE + 0x00, struct vsvm_nouveau_getparam)

static int vsvm_getparam_ioctl(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	struct vsvm_nouveau_getparam *args = data;

	switch (args->param) {
	case VSVM_NOUVEAU_GETPARAM_FB_SIZE:
		args->value = vsvm_dmem_size();
		return 0;
	case DRM_VSVM_GETPARAM_VM_INIT_SVM:
		if (!vsvm_vm_init_svm_supported())
			return -EINVAL;
		args->value = 1;
		return 0;
	default:
		return -EINVAL;
	}
}

static int vsvm_svm_init_ioctl(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	struct drm_nouveau_svm_init *args = data;

	return vsvm_svmm_init(file->driver_priv, args->unmanaged_addr,
			      args->unmanaged_size);
}

/* nouveau_svmm_bind(): the same rules in the same order. */
static int vsvm_svm_bind_ioctl(struct drm_device *drm, void *data,
			       struct drm_file *file)
{
	struct vsvm_file *vfile = file->driver_priv;
	struct drm_nouveau_svm_bind *args = data;
	struct vm_area_struct *vma;
	struct vsvm_svmm *svmm;
	unsigned long addr, end, next;
	unsigned int target, cmd;
	struct mm_struct *mm;

	args->va_start &= PAGE_MASK;
	args->va_end = ALIGN(args->va_end, PAGE_SIZE);

	if (args->reserved0 || args->reserved1)
		return -EINVAL;
	if (args->header & ~NOUVEAU_SVM_BIND_VALID_MASK)
		return -EINVAL;
	if (args->va_start >= args->va_end)
		return -EINVAL;

	cmd = args->header >> NOUVEAU_SVM_BIND_COMMAND_SHIFT;
	cmd &= NOUVEAU_SVM_BIND_COMMAND_MASK;
	if (cmd == VSVM_SVM_BIND_COMMAND__ATOMIC_FAULT &&
	    READ_ONCE(vsvm_atomic_fault_cmd)) {
		/* Pages stay in system memory: no target, no priority. */
		if (args->header >> NOUVEAU_SVM_BIND_PRIORITY_SHIFT ||
		    args->npages || args->stride)
			return -EINVAL;
		return vsvm_svm_bind_atomic(vfile, args);
	}
	if (cmd != NOUVEAU_SVM_BIND_COMMAND__MIGRATE)
		return -EINVAL;

	target = args->header >> NOUVEAU_SVM_BIND_TARGET_SHIFT;
	target &= NOUVEAU_SVM_BIND_TARGET_MASK;
	if (target != NOUVEAU_SVM_BIND_TARGET__GPU_VRAM)
		return -EINVAL;

	if (args->stride)
		return -EINVAL;

	mm = get_task_mm(current);
	if (!mm)
		return -EINVAL;
	mmap_read_lock(mm);

	/* Pairs with the release in vsvm_svmm_init(). */
	svmm = smp_load_acquire(&vfile->svmm);
	if (!svmm) {
		mmap_read_unlock(mm);
		mmput(mm);
		return -EINVAL;
	}

	/*
	 * A VM_INIT file's window holds its VM_BIND mappings: nothing
	 * there is the process's to migrate (the design's rule).
	 */
	if (svmm->vm && args->va_start < svmm->unmanaged_limit &&
	    args->va_end > svmm->unmanaged_start) {
		mmap_read_unlock(mm);
		mmput(mm);
		return -EINVAL;
	}

	/*
	 * The device mirrors the SVM_INIT caller's mm; a process that got
	 * the file some other way has nothing mirrored to migrate.
	 */
	for (addr = args->va_start, end = args->va_end;
	     mm == svmm->notifier.mm && addr < end; addr = next) {
		vma = find_vma_intersection(mm, addr, end);
		if (!vma)
			break;
		addr = max(addr, vma->vm_start);
		next = min(vma->vm_end, end);
		/* Best effort, as nouveau: errors are ignored. */
		vsvm_dmem_migrate(svmm, vma, addr, next);
	}

	/* nouveau reports no count; STATS migrate_to_dev has it. */
	args->result = 0;

	mmap_read_unlock(mm);
	mmput(mm);
	return 0;
}

static int vsvm_info_ioctl(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	struct vsvm_device *vdev = to_vsvm(drm);
	struct drm_vsvm_info *args = data;

	memset(args, 0, sizeof(*args));
	args->version = DRM_VSVM_UAPI_VERSION;
	args->va_bits = vdev->va_bits;
	args->va_size = 1ULL << vdev->va_bits;
	args->vram_size = vsvm_dmem_size();
	args->max_lanes = DRM_VSVM_MAX_LANES;
	args->max_ops = DRM_VSVM_MAX_OPS;
	args->fault_timeout_ms = HMM_RANGE_DEFAULT_TIMEOUT;
	args->page_size = PAGE_SIZE;
	return 0;
}

static int vsvm_stats_ioctl(struct drm_device *drm, void *data,
			    struct drm_file *file)
{
	struct vsvm_file *vfile = file->driver_priv;
	/* Pairs with the release in vsvm_svmm_init(). */
	struct vsvm_svmm *svmm = smp_load_acquire(&vfile->svmm);
	struct drm_vsvm_stats *args = data;
	int i;

	if (args->flags & ~DRM_VSVM_STATS_RESET)
		return -EINVAL;

	memset(&args->file, 0, sizeof(args->file));
	if (svmm)
		vsvm_counters_read(&svmm->ctr, &args->file);
	vsvm_counters_read(&to_vsvm(drm)->ctr, &args->device);

	if (svmm && (args->flags & DRM_VSVM_STATS_RESET)) {
		for (i = 0; i < VSVM_NR_COUNTERS; i++)
			atomic64_set(&svmm->ctr.c[i], 0);
	}
	return 0;
}

static const struct drm_ioctl_desc vsvm_ioctls[] = {
	DRM_IOCTL_DEF_DRV(VSVM_NOUVEAU_GETPARAM, vsvm_getparam_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NOUVEAU_SVM_INIT, vsvm_svm_init_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NOUVEAU_SVM_BIND, vsvm_svm_bind_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VSVM_VM_INIT, vsvm_vm_init_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VSVM_NOUVEAU_VM_BIND, vsvm_vm_bind_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(NOUVEAU_GEM_NEW, vsvm_gem_new_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VSVM_INFO, vsvm_info_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VSVM_EXEC, vsvm_exec_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VSVM_STATS, vsvm_stats_ioctl, DRM_RENDER_ALLOW),
};

static int vsvm_open(struct drm_device *drm, struct drm_file *file)
{
	struct vsvm_file *vfile;

	vfile = kzalloc(sizeof(*vfile), GFP_KERNEL);
	if (!vfile)
		return -ENOMEM;
	vfile->vdev = to_vsvm(drm);
	mutex_init(&vfile->lock);
	file->driver_priv = vfile;
	return 0;
}

static void vsvm_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct vsvm_file *vfile = file->driver_priv;

	/* No ioctl runs any more, so no lane either. */
	if (vfile->svmm)
		vsvm_svmm_fini(vfile->svmm);
	/* After the svmm: a fault inside the window looks mappings up. */
	if (vfile->vm)
		vsvm_vm_fini(vfile->vm);
	mutex_destroy(&vfile->lock);
	kfree(vfile);
}

static const struct file_operations vsvm_fops = {
	.owner = THIS_MODULE,
	.open = drm_open,
	.release = drm_release,
	.unlocked_ioctl = drm_ioctl,
	.compat_ioctl = drm_compat_ioctl,
	.poll = drm_poll,
	.read = drm_read,
	.llseek = noop_llseek,
	.mmap = drm_gem_mmap,
#ifdef FOP_UNSIGNED_OFFSET
	/* drm_open() insists on it from 6.12 on. */
	.fop_flags = FOP_UNSIGNED_OFFSET,
#endif
};

static const struct drm_driver vsvm_driver = {
	.driver_features = DRIVER_RENDER | DRIVER_GEM,
	.open = vsvm_open,
	.postclose = vsvm_postclose,
	.ioctls = vsvm_ioctls,
	.num_ioctls = ARRAY_SIZE(vsvm_ioctls),
	.fops = &vsvm_fops,
	.name = VSVM_DRIVER_NAME,
	.desc = "virtual SVM GPU with nouveau's SVM uAPI",
#ifdef VSVM_HAVE_DRM_DATE
	.date = "20250101",
#endif
	.major = 1,
	.minor = 0,
};

static int __init vsvm_init(void)
{
	struct platform_device *pdev;
	struct vsvm_device *vdev;
	int ret;

	if (va_bits < 32 || va_bits > 57)
		return -EINVAL;

	pdev = platform_device_register_simple(VSVM_DRIVER_NAME, -1, NULL, 0);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);

	if (!devres_open_group(&pdev->dev, NULL, GFP_KERNEL)) {
		ret = -ENOMEM;
		goto out_unregister;
	}

	vdev = devm_drm_dev_alloc(&pdev->dev, &vsvm_driver,
				  struct vsvm_device, drm);
	if (IS_ERR(vdev)) {
		ret = PTR_ERR(vdev);
		goto out_devres;
	}
	vdev->pdev = pdev;
	vdev->va_bits = va_bits;
	ret = vsvm_dmem_init(vdev);
	if (ret)
		goto out_devres;

	ret = drm_dev_register(&vdev->drm, 0);
	if (ret)
		goto out_devres;

	vsvm_device = vdev;
	return 0;

out_devres:
	devres_release_group(&pdev->dev, NULL);
out_unregister:
	platform_device_unregister(pdev);
	return ret;
}

static void __exit vsvm_exit(void)
{
	struct vsvm_device *vdev = vsvm_device;
	struct platform_device *pdev = vdev->pdev;

	drm_dev_unregister(&vdev->drm);
	/* free_notifier callbacks still queued run our code: wait. */
	mmu_notifier_synchronize();
	vsvm_dmem_fini(vdev);
	devres_release_group(&pdev->dev, NULL);
	platform_device_unregister(pdev);
}

module_init(vsvm_init);
module_exit(vsvm_exit);

MODULE_DESCRIPTION("vsvm: virtual SVM GPU with nouveau's SVM uAPI for testing");
MODULE_LICENSE("GPL");
