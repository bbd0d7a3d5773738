// SPDX-License-Identifier: GPL-2.0
/*
 * vsvm's SVM address space: the device page table mirroring the CPU mm,
 * its mmu notifier, and device faults serviced the way nouveau_svm.c
 * does (hmm_range_fault for reads and writes, one page made
 * device-exclusive for atomics, both inside a notifier retry loop).
 */

#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/jiffies.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "vsvm_compat.h"
#include "vsvm_drv.h"

void vsvm_counters_read(struct vsvm_counters *ctr,
			struct drm_vsvm_counters *out)
{
	u64 *v = (u64 *)out;
	int i;

	BUILD_BUG_ON(sizeof(*out) != VSVM_NR_COUNTERS * sizeof(u64));
	for (i = 0; i < VSVM_NR_COUNTERS; i++)
		v[i] = atomic64_read(&ctr->c[i]);
}

static bool vsvm_pte_allows(unsigned long pte, u32 type)
{
	switch (type) {
	case DRM_VSVM_ACCESS_READ:
		return pte & VSVM_PTE_R;
	case DRM_VSVM_ACCESS_WRITE:
		return pte & VSVM_PTE_W;
	default:
		return pte & VSVM_PTE_A;
	}
}

/* The access itself; the device-table lock keeps the page in place. */
static void vsvm_pte_access(unsigned long pte, struct vsvm_access *acc)
{
	struct page *page = pfn_to_page(pte >> VSVM_PTE_SHIFT);
	void *kaddr;

	/* A prefault (SVM_BIND ATOMIC_FAULT) maps and accesses nothing. */
	if (!acc->fn)
		return;
	kaddr = kmap_local_page(page);
	acc->fn(acc, kaddr + offset_in_page(acc->addr));
	kunmap_local(kaddr);
}

/*
 * Mutant runs: hold the page until close (see vsvm_svmm.pins). Best
 * effort: without memory for the pin the mutant may touch a freed page,
 * which is what it is there to show anyway.
 */
static void vsvm_mutant_pin(struct vsvm_svmm *svmm, unsigned long pte)
{
	unsigned long pfn = pte >> VSVM_PTE_SHIFT;
	struct page *page = pfn_to_page(pfn);

	if (!vsvm_mutant_active() || (pte & VSVM_PTE_VRAM) ||
	    xa_load(&svmm->pins, pfn))
		return;
	if (!xa_is_err(xa_store(&svmm->pins, pfn, page, GFP_ATOMIC)))
		get_page(page);
}

static void vsvm_mutant_unpin_all(struct vsvm_svmm *svmm)
{
	unsigned long pfn;
	struct page *page;

	lockdep_assert_held(&svmm->mutex);
	xa_for_each(&svmm->pins, pfn, page)
		put_page(page);
	xa_destroy(&svmm->pins);
}

/*
 * Install the entry a fault produced and, unless told not to, replay
 * the access at once.
 */
static int vsvm_install_locked(struct vsvm_svmm *svmm,
			       struct vsvm_access *acc, unsigned long pte,
			       bool access)
{
	void *old;

	lockdep_assert_held(&svmm->mutex);
	if (svmm->detached)
		return -ENODEV;
	if (!vsvm_pte_allows(pte, acc->type))
		return -EFAULT;
	/* Invalidations may come from reclaim: no reclaim under the lock. */
	old = xa_store(&svmm->pt, acc->addr >> PAGE_SHIFT, xa_mk_value(pte),
		       GFP_ATOMIC);
	if (xa_is_err(old))
		return xa_err(old);
	vsvm_mutant_pin(svmm, pte);
	if (access)
		vsvm_pte_access(pte, acc);
	return 0;
}

static int vsvm_svmm_invalidate_range_start(struct mmu_notifier *mn,
				const struct mmu_notifier_range *range)
{
	struct vsvm_svmm *svmm = container_of(mn, struct vsvm_svmm, notifier);
	unsigned long idx, n = 0;
	void *entry;

	if (vsvm_mutant_is(VSVM_MUT_IGNORE_INVALIDATE) ||
	    (vsvm_mutant_is(VSVM_MUT_NO_UNMAP_INVALIDATE) &&
	     range->event == MMU_NOTIFY_UNMAP))
		return 0;

	/*
	 * Our own conversion: the atomic fault installs the atomic entry
	 * right after, so dropping the old one buys nothing.
	 */
	if (range->event == MMU_NOTIFY_EXCLUSIVE &&
	    range->owner == svmm->vdev) {
		vsvm_count(svmm, VSVM_C_OWN_EXCLUSIVE_IGNORED, 1);
		return 0;
	}

	/*
	 * Unlike nouveau, our own migrations are not ignored: a device
	 * write through the old entry while the data is copied would be
	 * lost. Dropping it makes the device fault and wait instead.
	 */
	if (mmu_notifier_range_blockable(range))
		mutex_lock(&svmm->mutex);
	else if (!mutex_trylock(&svmm->mutex))
		return -EAGAIN;
	xa_for_each_range(&svmm->pt, idx, entry, range->start >> PAGE_SHIFT,
			  (range->end - 1) >> PAGE_SHIFT) {
		xa_erase(&svmm->pt, idx);
		n++;
	}
	mutex_unlock(&svmm->mutex);

	if (n) {
		vsvm_count(svmm, VSVM_C_INVALIDATIONS, 1);
		vsvm_count(svmm, VSVM_C_ENTRIES_DROPPED, n);
		if (range->event == MMU_NOTIFY_EXCLUSIVE)
			vsvm_count(svmm, VSVM_C_INVAL_EXCLUSIVE, 1);
		else if (range->event == MMU_NOTIFY_CLEAR)
			vsvm_count(svmm, VSVM_C_INVAL_CLEAR, 1);
	}
	return 0;
}

/* The mm is going away: nothing may stay mapped on the device. */
static void vsvm_svmm_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct vsvm_svmm *svmm = container_of(mn, struct vsvm_svmm, notifier);

	mutex_lock(&svmm->mutex);
	svmm->detached = true;
	xa_destroy(&svmm->pt);
	vsvm_mutant_unpin_all(svmm);
	mutex_unlock(&svmm->mutex);
}

static void vsvm_svmm_free_notifier(struct mmu_notifier *mn)
{
	kfree(container_of(mn, struct vsvm_svmm, notifier));
}

static const struct mmu_notifier_ops vsvm_mn_ops = {
	.invalidate_range_start = vsvm_svmm_invalidate_range_start,
	.release = vsvm_svmm_release,
	.free_notifier = vsvm_svmm_free_notifier,
};

int vsvm_svmm_init_locked(struct vsvm_file *vfile, u64 addr, u64 size,
			  struct vsvm_vm *vm)
{
	struct vsvm_device *vdev = vfile->vdev;
	u64 va_size = 1ULL << vdev->va_bits;
	struct vsvm_svmm *svmm;
	int ret;

	lockdep_assert_held(&vfile->lock);
	/* nvkm_vmm_ctor's rule: the window must lie inside the VA space. */
	if (addr + size < addr || addr + size > va_size)
		return -EINVAL;
	if (!current->mm)
		return -EINVAL;

	svmm = kzalloc(sizeof(*svmm), GFP_KERNEL);
	if (!svmm)
		return -ENOMEM;
	svmm->vdev = vdev;
	svmm->vm = vm;
	svmm->unmanaged_start = addr;
	svmm->unmanaged_limit = addr + size;
	mutex_init(&svmm->fault_lock);
	mutex_init(&svmm->mutex);
	xa_init(&svmm->pt);
	xa_init(&svmm->pins);
	svmm->notifier.ops = &vsvm_mn_ops;

	ret = mmu_notifier_register(&svmm->notifier, current->mm);
	if (ret) {
		kfree(svmm);
		return ret;
	}
	/*
	 * Ownership passes to the notifier (freed by free_notifier).
	 * Publish after it is fully set up: ioctls read it unlocked.
	 */
	smp_store_release(&vfile->svmm, svmm);
	return 0;
}

int vsvm_svmm_init(struct vsvm_file *vfile, u64 addr, u64 size)
{
	int ret;

	/* nouveau's order: -EBUSY before the window is looked at. */
	mutex_lock(&vfile->lock);
	/* A VM_INIT file chose its model: its window came with VM_INIT. */
	if (vfile->svmm || vfile->vm)
		ret = -EBUSY;
	else
		ret = vsvm_svmm_init_locked(vfile, addr, size, NULL);
	mutex_unlock(&vfile->lock);
	return ret;
}

void vsvm_svmm_fini(struct vsvm_svmm *svmm)
{
	mutex_lock(&svmm->mutex);
	svmm->detached = true;
	xa_destroy(&svmm->pt);
	vsvm_mutant_unpin_all(svmm);
	mutex_unlock(&svmm->mutex);
	mmu_notifier_put(&svmm->notifier);
}

int vsvm_svmm_map_vram(struct vsvm_svmm *svmm, unsigned long addr,
		       struct page *backing, bool writable)
{
	unsigned long pte = page_to_pfn(backing) << VSVM_PTE_SHIFT;
	void *old;
	int ret = 0;

	/* Device memory takes atomics natively: no conversion needed. */
	pte |= VSVM_PTE_R | VSVM_PTE_VRAM;
	if (writable)
		pte |= VSVM_PTE_W | VSVM_PTE_A;

	mutex_lock(&svmm->mutex);
	if (!svmm->detached) {
		old = xa_store(&svmm->pt, addr >> PAGE_SHIFT, xa_mk_value(pte),
			       GFP_ATOMIC);
		if (xa_is_err(old))
			ret = xa_err(old);
	}
	mutex_unlock(&svmm->mutex);
	return ret;
}

/*
 * A short-lived notifier over the faulting page, as nouveau uses.
 * converting is the faulting task while it is inside
 * make_device_exclusive: what that task's own page faults change there
 * is part of the conversion it is about to return.
 */
struct vsvm_fault_notifier {
	struct mmu_interval_notifier notifier;
	struct vsvm_svmm *svmm;
	struct task_struct *converting;
};

static bool vsvm_fault_invalidate(struct mmu_interval_notifier *mni,
				  const struct mmu_notifier_range *range,
				  unsigned long cur_seq)
{
	struct vsvm_fault_notifier *fn =
		container_of(mni, struct vsvm_fault_notifier, notifier);
	struct vsvm_svmm *svmm = fn->svmm;

	/* Our own conversion must not make the atomic fault retry. */
	if (range->event == MMU_NOTIFY_EXCLUSIVE &&
	    range->owner == svmm->vdev)
		return true;

	/*
	 * Nor may the conversion's own lookup: after one retry the page
	 * still holds our previous device-exclusive entry, and the lookup
	 * for write restores it first (MMU_NOTIFY_EXCLUSIVE, owner NULL).
	 * nouveau counts that as a change and retries again, every round,
	 * until its 1000 ms timeout. The page the lookup ends on is the
	 * one the conversion returns locked, so nothing is missed.
	 */
	if (READ_ONCE(fn->converting) == current) {
		vsvm_count(svmm, VSVM_C_OWN_LOOKUP_IGNORED, 1);
		return true;
	}

	/*
	 * Taking the device-table lock orders the sequence update against
	 * a fault that is installing its entry under the same lock.
	 */
	if (mmu_notifier_range_blockable(range))
		mutex_lock(&svmm->mutex);
	else if (!mutex_trylock(&svmm->mutex))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	mutex_unlock(&svmm->mutex);
	return true;
}

static const struct mmu_interval_notifier_ops vsvm_fault_ops = {
	.invalidate = vsvm_fault_invalidate,
};

/*
 * A fault gives up after nouveau's 1000 ms, but only once it has really
 * tried: in a starved VM (TCG on a busy host) a second can pass with the
 * faulting thread hardly running, and that is not the device's failure.
 */
#define VSVM_FAULT_MIN_TRIES 16

/* Checked each round of a fault loop: abort, then the time bound. */
static int vsvm_fault_expired(struct vsvm_svmm *svmm,
			      struct vsvm_access *acc, unsigned long timeout,
			      unsigned int tries)
{
	if (atomic_read(acc->abort))
		return -ECANCELED;
	if (time_after(jiffies, timeout) && tries >= VSVM_FAULT_MIN_TRIES) {
		vsvm_count(svmm, VSVM_C_TIMEOUTS, 1);
		return -EBUSY;
	}
	return 0;
}

static unsigned long vsvm_pte_from_hmm(struct vsvm_svmm *svmm,
				       unsigned long hmm_pfn)
{
	struct page *page = hmm_pfn_to_page(hmm_pfn);
	unsigned long pte = VSVM_PTE_R;

	if (is_device_private_page(page)) {
		/* Ours (dev_private_owner): the device reads its memory. */
		page = vsvm_dmem_backing(svmm->vdev, page);
		pte |= VSVM_PTE_VRAM;
		if (hmm_pfn & HMM_PFN_WRITE)
			pte |= VSVM_PTE_A;
	}
	if (hmm_pfn & HMM_PFN_WRITE)
		pte |= VSVM_PTE_W;
	return page_to_pfn(page) << VSVM_PTE_SHIFT | pte;
}

/* nouveau_range_fault(): read or write access through hmm_range_fault. */
static int vsvm_range_fault(struct vsvm_svmm *svmm, struct vsvm_access *acc,
			    bool write)
{
	unsigned long timeout =
		jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	struct mm_struct *mm = svmm->notifier.mm;
	unsigned long addr = acc->addr & PAGE_MASK;
	struct vsvm_fault_notifier fn = { .svmm = svmm };
	unsigned long hmm_pfn, pte;
	struct hmm_range range = {
		.notifier = &fn.notifier,
		.start = addr,
		.end = addr + PAGE_SIZE,
		.hmm_pfns = &hmm_pfn,
		.default_flags = HMM_PFN_REQ_FAULT |
				 (write ? HMM_PFN_REQ_WRITE : 0),
		.dev_private_owner = svmm->vdev,
	};
	unsigned int tries;
	int ret;

	ret = mmu_interval_notifier_insert(&fn.notifier, mm, addr, PAGE_SIZE,
					   &vsvm_fault_ops);
	if (ret)
		return ret;

	for (tries = 0;; tries++) {
		ret = vsvm_fault_expired(svmm, acc, timeout, tries);
		if (ret)
			goto out;

		range.notifier_seq = mmu_interval_read_begin(&fn.notifier);
		mmap_read_lock(mm);
		ret = hmm_range_fault(&range);
		mmap_read_unlock(mm);
		if (ret == -EBUSY) {
			vsvm_count(svmm, VSVM_C_HMM_BUSY, 1);
			cond_resched();
			continue;
		}
		if (ret)
			goto out;

		vsvm_fault_delay();
		mutex_lock(&svmm->mutex);
		if (vsvm_mutant_is(VSVM_MUT_NO_SEQ_RETRY) ||
		    !mmu_interval_read_retry(&fn.notifier, range.notifier_seq))
			break;
		mutex_unlock(&svmm->mutex);
		vsvm_count(svmm, VSVM_C_NOTIFIER_RETRIES, 1);
	}

	pte = vsvm_pte_from_hmm(svmm, hmm_pfn);
	/* Mutant: a writable page is taken as good enough for atomics. */
	if (vsvm_mutant_is(VSVM_MUT_NO_EXCLUSIVE) && (pte & VSVM_PTE_W))
		pte |= VSVM_PTE_A;
	ret = vsvm_install_locked(svmm, acc, pte, true);
	mutex_unlock(&svmm->mutex);
out:
	mmu_interval_notifier_remove(&fn.notifier);
	return ret;
}

/*
 * After make_device_exclusive gave no page: true when it never will for
 * this mapping (hugetlb, shared or shmem), false when it may (THP, a
 * contended page lock), so the fault retries until its time runs out.
 */
static bool vsvm_never_exclusive(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);

	return !vma || is_vm_hugetlb_page(vma) || (vma->vm_flags & VM_SHARED);
}

/*
 * nouveau_atomic_range_fault(): make ONE page device-exclusive inside
 * the notifier retry loop and map it with atomic permission. The access
 * runs before the page lock is dropped, so the CPU cannot take the page
 * back between the mapping and the access.
 */
int vsvm_atomic_fault(struct vsvm_svmm *svmm, struct vsvm_access *acc)
{
	unsigned long timeout =
		jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	struct mm_struct *mm = svmm->notifier.mm;
	unsigned long addr = acc->addr & PAGE_MASK;
	struct vsvm_fault_notifier fn = { .svmm = svmm };
	unsigned long seq, pte;
	unsigned int tries;
	struct page *page;
	bool never;
	int ret;

	ret = mmu_interval_notifier_insert(&fn.notifier, mm, addr, PAGE_SIZE,
					   &vsvm_fault_ops);
	if (ret)
		return ret;

	for (tries = 0;; tries++) {
		ret = vsvm_fault_expired(svmm, acc, timeout, tries);
		if (ret)
			goto out;

		seq = mmu_interval_read_begin(&fn.notifier);
		never = false;
		mmap_read_lock(mm);
		WRITE_ONCE(fn.converting, current);
		page = vsvm_make_exclusive(mm, addr, svmm->vdev);
		WRITE_ONCE(fn.converting, NULL);
		if (PTR_ERR_OR_ZERO(page) == -EBUSY)
			never = vsvm_never_exclusive(mm, addr);
		mmap_read_unlock(mm);
		if (IS_ERR(page)) {
			ret = PTR_ERR(page);
			if (ret != -EBUSY)
				goto out;
			vsvm_count(svmm, VSVM_C_CONVERSION_REFUSED, 1);
			if (never) {
				/* What nouveau answers for a refused page. */
				ret = -EINVAL;
				goto out;
			}
			cond_resched();
			continue;
		}
		vsvm_count(svmm, VSVM_C_CONVERSIONS, 1);

		vsvm_fault_delay();
		mutex_lock(&svmm->mutex);
		if (vsvm_mutant_is(VSVM_MUT_NO_SEQ_RETRY) ||
		    !mmu_interval_read_retry(&fn.notifier, seq))
			break;
		mutex_unlock(&svmm->mutex);
		vsvm_exclusive_release(page);
		vsvm_count(svmm, VSVM_C_NOTIFIER_RETRIES, 1);
	}

	pte = page_to_pfn(page) << VSVM_PTE_SHIFT |
	      VSVM_PTE_R | VSVM_PTE_W | VSVM_PTE_A;
	if (vsvm_mutant_is(VSVM_MUT_UNLOCK_BEFORE_ACCESS)) {
		/* Mutant: the page and the table are let go, then accessed. */
		ret = vsvm_install_locked(svmm, acc, pte, false);
		mutex_unlock(&svmm->mutex);
		vsvm_exclusive_release(page);
		if (!ret)
			vsvm_pte_access(pte, acc);
		goto out;
	}
	ret = vsvm_install_locked(svmm, acc, pte, true);
	mutex_unlock(&svmm->mutex);
	vsvm_exclusive_release(page);
out:
	mmu_interval_notifier_remove(&fn.notifier);
	return ret;
}

/* The access through an entry that allows it, or -ENOENT: a fault. */
static int vsvm_access_mapped(struct vsvm_svmm *svmm, struct vsvm_access *acc)
{
	void *entry;
	int ret = -ENOENT;

	mutex_lock(&svmm->mutex);
	if (svmm->detached) {
		ret = -ENODEV;
		goto out;
	}
	entry = xa_load(&svmm->pt, acc->addr >> PAGE_SHIFT);
	if (entry && vsvm_pte_allows(xa_to_value(entry), acc->type)) {
		vsvm_pte_access(xa_to_value(entry), acc);
		ret = 0;
	}
out:
	mutex_unlock(&svmm->mutex);
	return ret;
}

/*
 * One device access at acc->addr. Returns 0 once fn ran on the word, or
 * the error of the fault that could not be serviced: the caller kills
 * the channel. The caller holds a reference on the mm (mmget).
 */
int vsvm_svmm_access(struct vsvm_svmm *svmm, struct vsvm_access *acc)
{
	u64 va_size = 1ULL << svmm->vdev->va_bits;
	int ret;

	if (acc->addr >= va_size)
		return -EFAULT;
	/*
	 * The unmanaged window holds buffer objects, never SVM pages: a
	 * VM_INIT file's are its VM_BIND mappings; after SVM_INIT the
	 * device reaches none.
	 */
	if (acc->addr >= svmm->unmanaged_start &&
	    acc->addr < svmm->unmanaged_limit)
		return svmm->vm ? vsvm_vm_access(svmm->vm, acc) : -EFAULT;

	ret = vsvm_access_mapped(svmm, acc);
	if (ret != -ENOENT)
		return ret;

	mutex_lock(&svmm->fault_lock);
	/* Another lane may have serviced this fault meanwhile: replay. */
	ret = vsvm_access_mapped(svmm, acc);
	if (ret != -ENOENT)
		goto out;

	acc->faults++;
	switch (acc->type) {
	case DRM_VSVM_ACCESS_READ:
		vsvm_count(svmm, VSVM_C_FAULTS_READ, 1);
		ret = vsvm_range_fault(svmm, acc, false);
		break;
	case DRM_VSVM_ACCESS_WRITE:
		vsvm_count(svmm, VSVM_C_FAULTS_WRITE, 1);
		ret = vsvm_range_fault(svmm, acc, true);
		break;
	default:
		vsvm_count(svmm, VSVM_C_FAULTS_ATOMIC, 1);
		/* Mutant: map for atomics with no conversion at all. */
		if (vsvm_mutant_is(VSVM_MUT_NO_EXCLUSIVE))
			ret = vsvm_range_fault(svmm, acc, true);
		else
			ret = vsvm_atomic_fault(svmm, acc);
		break;
	}
out:
	mutex_unlock(&svmm->fault_lock);
	return ret;
}
