// SPDX-License-Identifier: GPL-2.0
/*
 * SVM_BIND command ATOMIC_FAULT: convert a range for device atomics ahead
 * of the device. Each page goes through the device's own atomic fault
 * (make_device_exclusive inside the notifier retry loop, then an atomic
 * entry in the device page table), without the access a fault would
 * replay, in address order, stopping at the first page that fails.
 */

#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>

#include <drm/nouveau_drm.h>

#include "vsvm_drv.h"

/*
 * Off: the command is unknown (-EINVAL), as on a kernel without it, so
 * userspace's "not supported" path can be tested on the same module.
 */
bool vsvm_atomic_fault_cmd = true;
module_param_named(atomic_fault_cmd, vsvm_atomic_fault_cmd, bool, 0644);
MODULE_PARM_DESC(atomic_fault_cmd,
		 "accept SVM_BIND command ATOMIC_FAULT (default Y; N answers -EINVAL as an older kernel)");

/* Whole-call bound, checked between pages (nouveau's figure). */
#define VSVM_BIND_ATOMIC_TIMEOUT_MS 1000

/* A prefault is never aborted from outside: the loop checks signals. */
static const atomic_t vsvm_prefault_no_abort = ATOMIC_INIT(0);

static int vsvm_prefault_page(struct vsvm_svmm *svmm, unsigned long addr)
{
	struct vsvm_access acc = {
		.addr = addr,
		.type = DRM_VSVM_ACCESS_ATOMIC,
		.fn = NULL,	/* map only: no device access */
		.abort = &vsvm_prefault_no_abort,
	};
	int ret;

	if (vsvm_mutant_is(VSVM_MUT_PREFAULT_NO_MAP))
		return 0;

	/* Serialised with device faults, as nouveau's single fault worker. */
	mutex_lock(&svmm->fault_lock);
	ret = vsvm_atomic_fault(svmm, &acc);
	mutex_unlock(&svmm->fault_lock);

	/*
	 * The fault path answers -EINVAL for a page that will never be
	 * made exclusive (shared, shmem, hugetlb): not anonymous memory.
	 * Kernels from 6.15 on say -EOPNOTSUPP themselves.
	 */
	if (ret == -EINVAL)
		ret = -EOPNOTSUPP;
	return ret;
}

/*
 * Called by the SVM_BIND ioctl once header, range, npages and stride
 * passed its checks. Returns 0 with the report in args, -EINTR (report
 * filled in too) on a fatal signal, or -EINVAL for a request this
 * command refuses.
 */
int vsvm_svm_bind_atomic(struct vsvm_file *vfile,
			 struct drm_nouveau_svm_bind *args)
{
	unsigned long timeout =
		jiffies + msecs_to_jiffies(VSVM_BIND_ATOMIC_TIMEOUT_MS);
	struct vsvm_svmm *svmm;
	struct mm_struct *mm;
	unsigned long addr;
	int ret = 0;

	/* Pairs with the release in vsvm_svmm_init(). */
	svmm = smp_load_acquire(&vfile->svmm);
	if (!svmm)
		return -EINVAL;

	/* The unmanaged window is not mirrored: never revoke CPU access there. */
	if (svmm->unmanaged_start < svmm->unmanaged_limit &&
	    args->va_start < svmm->unmanaged_limit &&
	    args->va_end > svmm->unmanaged_start)
		return -EINVAL;
	if (args->va_end > TASK_SIZE)
		return -EINVAL;

	mm = svmm->notifier.mm;
	if (mm != current->mm || !mmget_not_zero(mm))
		return -EINVAL;

	args->result = 0;
	for (addr = args->va_start; addr < args->va_end; addr += PAGE_SIZE) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (time_after(jiffies, timeout) &&
		    !vsvm_mutant_is(VSVM_MUT_PREFAULT_NO_DEADLINE)) {
			ret = -ETIMEDOUT;
			break;
		}
		ret = vsvm_prefault_page(svmm, addr);
		/* Mutant: a refused page is counted and passed over. */
		if (ret && !vsvm_mutant_is(VSVM_MUT_PREFAULT_NO_STOP))
			break;
		args->result++;
		cond_resched();
	}
	mmput(mm);

	/* fault_addr and fault_errno, aliases of the reserved fields. */
	args->reserved0 = addr;
	args->reserved1 = (u64)(s64)ret;
	return ret == -EINTR ? ret : 0;
}
