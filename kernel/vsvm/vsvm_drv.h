/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vsvm internals: the device, per-file SVM state (the device page table
 * and its mmu notifier), device memory, and the locking rules.
 */
#ifndef VSVM_DRV_H
#define VSVM_DRV_H

#include <linux/atomic.h>
#include <linux/memremap.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_gem.h>

#include "include/uapi/vsvm_drm.h"

/*
 * Test knobs (module parameters, vsvm_knobs.c), read once per use:
 * - rmw_window_ns: a device read-modify-write is a plain load, the
 *   operation and a plain store, this many ns apart. Nothing but the
 *   page's ownership keeps a CPU access out of that window, as on a GPU
 *   whose atomics on system memory are not coherent with the CPU's.
 * - fault_delay_us: a fault sleeps this long between getting the page
 *   (hmm_range_fault, make_device_exclusive) and checking the notifier
 *   sequence, widening the window in which the CPU can change the page.
 */
extern unsigned int vsvm_rmw_window_ns;
extern unsigned int vsvm_fault_delay_us;

void vsvm_rmw_window(void);
void vsvm_fault_delay(void);

/*
 * Mutants: each breaks one promise of the fault and invalidation paths,
 * so that the test suites can show they notice. They exist only in a
 * module built with VSVM_MUTANTS (kernel/vsvm/build.sh --mutants); the
 * ordinary module has no "mutant" parameter and vsvm_mutant_is() is
 * constant false there.
 */
enum vsvm_mutant {
	VSVM_MUT_NONE,
	VSVM_MUT_NO_EXCLUSIVE,          /* atomics mapped without conversion */
	VSVM_MUT_IGNORE_INVALIDATE,     /* mirror notifier drops nothing */
	VSVM_MUT_NO_SEQ_RETRY,          /* faults skip the sequence check */
	VSVM_MUT_UNLOCK_BEFORE_ACCESS,  /* folio and table let go first */
	VSVM_MUT_NO_UNMAP_INVALIDATE,   /* munmap leaves entries in place */
	VSVM_MUT_PREFAULT_NO_MAP,       /* ATOMIC_FAULT counts, maps nothing */
	VSVM_MUT_PREFAULT_NO_STOP,      /* ATOMIC_FAULT counts refused pages */
	VSVM_MUT_PREFAULT_NO_DEADLINE,  /* ATOMIC_FAULT runs unbounded */
	VSVM_NR_MUTANTS
};

#ifdef VSVM_MUTANTS
extern int vsvm_mutant;

static inline bool vsvm_mutant_is(enum vsvm_mutant m)
{
	return READ_ONCE(vsvm_mutant) == m;
}

static inline bool vsvm_mutant_active(void)
{
	return READ_ONCE(vsvm_mutant) != VSVM_MUT_NONE;
}
#else
static inline bool vsvm_mutant_is(enum vsvm_mutant m)
{
	return false;
}

static inline bool vsvm_mutant_active(void)
{
	return false;
}
#endif

/* Counter indices, in the order of struct drm_vsvm_counters. */
enum vsvm_counter {
	VSVM_C_FAULTS_READ,
	VSVM_C_FAULTS_WRITE,
	VSVM_C_FAULTS_ATOMIC,
	VSVM_C_CONVERSIONS,
	VSVM_C_CONVERSION_REFUSED,
	VSVM_C_INVALIDATIONS,
	VSVM_C_ENTRIES_DROPPED,
	VSVM_C_OWN_EXCLUSIVE_IGNORED,
	VSVM_C_NOTIFIER_RETRIES,
	VSVM_C_HMM_BUSY,
	VSVM_C_TIMEOUTS,
	VSVM_C_KILLS,
	VSVM_C_MIGRATE_TO_DEV,
	VSVM_C_MIGRATE_TO_RAM,
	VSVM_C_DEVICE_OPS,
	VSVM_C_EXECS,
	VSVM_C_OWN_LOOKUP_IGNORED,
	VSVM_C_INVAL_EXCLUSIVE,
	VSVM_C_INVAL_CLEAR,
	VSVM_NR_COUNTERS
};

struct vsvm_counters {
	atomic64_t c[VSVM_NR_COUNTERS];
};

/*
 * Device memory ("VRAM"): device-private struct pages from
 * memremap_pages(), each backed by a system page that holds its data
 * while it is allocated (page->zone_device_data points to it; on the
 * free list it links to the next free page instead).
 */
struct vsvm_chunk {
	struct dev_pagemap pagemap;
	struct vsvm_device *vdev;
	bool removing;          /* module exit: do not recycle its pages */
};

#define VSVM_CHUNK_PAGES 4096   /* 16 MiB per chunk */
#define VSVM_MAX_CHUNKS 16      /* 256 MiB of device memory at most */

struct vsvm_device {
	struct drm_device drm;
	struct platform_device *pdev;

	/* SVM_INIT windows must end below this: the GPU VA size. */
	u32 va_bits;

	/*
	 * chunk_lock (mutex) guards chunks and nr_chunks; free_lock
	 * (spinlock, taken from page_free) guards free_pages.
	 */
	struct mutex chunk_lock;
	struct vsvm_chunk *chunks[VSVM_MAX_CHUNKS];
	unsigned int nr_chunks;
	spinlock_t free_lock;
	struct page *free_pages;

	struct vsvm_counters ctr;   /* device-wide, since load */
};

/*
 * The SVM state of one file, created by SVM_INIT: nouveau's svmm.
 *
 * Locking:
 * - fault_lock serialises fault servicing, as nouveau's single fault
 *   worker does: two lanes converting one page at once would each take
 *   it back from the other (make_device_exclusive faults the other's
 *   exclusive entry back in) and neither would get it.
 * - mutex is the device-table lock. It protects pt and detached. Lanes
 *   hold it across one device access (lookup + the access on the page),
 *   faults hold it while checking the notifier sequence and installing
 *   an entry, invalidations hold it while dropping entries. Nothing that
 *   can reclaim memory or fault runs under it (invalidations can come
 *   from reclaim), so entries are stored with GFP_ATOMIC.
 * - Lock order: fault_lock -> mmap_lock -> folio lock -> mutex. The mutex is never
 *   held while taking mmap_lock, locking a folio, or waiting for an
 *   interval notifier (mmu_interval_read_begin / _remove).
 * - Entries hold no page reference: every way a page can leave the
 *   address space invalidates first, and the invalidation waits for the
 *   mutex, so a page is never accessed after it was unmapped.
 * - The struct lives until free_notifier (after SRCU), so a late
 *   callback after close still finds valid memory; detached tells it
 *   there is nothing left to drop.
 */
struct vsvm_svmm {
	struct mmu_notifier notifier;
	struct vsvm_device *vdev;
	u64 unmanaged_start;
	u64 unmanaged_limit;

	struct mutex fault_lock;
	struct mutex mutex;
	struct xarray pt;       /* VA >> PAGE_SHIFT -> xa_mk_value(entry) */
	bool detached;
	/*
	 * Mutant runs only: a reference on every system page ever mapped,
	 * dropped at close, so that a mutant that keeps a stale entry
	 * writes to a page nobody else can get, not to freed memory.
	 */
	struct xarray pins;     /* pfn -> page, under mutex */

	/*
	 * VM_INIT with DRM_VSVM_VM_INIT_SVM: the VM_BIND mappings that
	 * serve device accesses inside the unmanaged window. NULL after
	 * SVM_INIT, where the window holds nothing the device can reach.
	 */
	struct vsvm_vm *vm;

	struct vsvm_counters ctr;   /* this file's */
};

/*
 * A GEM object (GEM_NEW): system pages of its own, allocated up front
 * and freed with the object. Pages never move, so a mapping of one
 * needs no invalidation.
 */
struct vsvm_bo {
	struct drm_gem_object base;
	unsigned long npages;
	struct page **pages;
};

/* One VM_BIND mapping: [addr, addr + range) -> bo at bo_offset. */
struct vsvm_mapping {
	struct list_head link;
	u64 addr;
	u64 range;
	u64 bo_offset;
	struct vsvm_bo *bo;     /* holds a reference */
};

/*
 * The VM_BIND address space of one file, created by VM_INIT.
 * [kernel_start, kernel_limit) is the kernel-managed region VM_BIND may
 * not touch; [bind_start, bind_limit) is where VM_BIND may map: the
 * unmanaged window with DRM_VSVM_VM_INIT_SVM, the whole VA otherwise.
 * lock guards mappings and is held across one device access to a BO
 * page (so UNMAP waits for an access in flight); it is taken after, and
 * never together with, the svmm's locks.
 */
struct vsvm_vm {
	u64 kernel_start;
	u64 kernel_limit;
	u64 bind_start;
	u64 bind_limit;
	bool svm;
	struct mutex lock;
	struct list_head mappings;
	unsigned int nr_mappings;
};

/*
 * nouveau answers VM_INIT after a BO, and VM_BIND before VM_INIT, with
 * -ENOSYS, and so must vsvm. checkpatch keeps that name for syscall
 * numbers, hence the pasting.
 */
#define VSVM_NEG_E(e) (-E##e)
#define VSVM_ERR_NO_UVMM VSVM_NEG_E(NOSYS)

#define VSVM_VM_MAX_MAPPINGS 4096
#define VSVM_VM_BIND_MAX_OPS 256

/* Device page table entry: pfn << VSVM_PTE_SHIFT | flags. */
#define VSVM_PTE_R	BIT(0)
#define VSVM_PTE_W	BIT(1)
#define VSVM_PTE_A	BIT(2)	/* atomic: page is device-exclusive */
#define VSVM_PTE_VRAM	BIT(3)	/* device memory: pfn of its backing */
#define VSVM_PTE_SHIFT	4

/*
 * One open file. svmm is published once by SVM_INIT under lock with
 * smp_store_release(); ioctls read it with smp_load_acquire() and no
 * lock, and it stays until postclose, after the last ioctl.
 */
struct vsvm_file {
	struct vsvm_device *vdev;
	struct mutex lock;
	struct vsvm_svmm *svmm;
	/*
	 * VM_INIT's address space, published like svmm; vm_disabled is
	 * nouveau's cli->uvmm.disabled: set (under lock) by the first
	 * GEM_NEW before VM_INIT, after which VM_INIT answers -ENOSYS.
	 */
	struct vsvm_vm *vm;
	bool vm_disabled;
};

static inline struct vsvm_device *to_vsvm(struct drm_device *drm)
{
	return container_of(drm, struct vsvm_device, drm);
}

/* Count on the file and on the device. */
static inline void vsvm_count(struct vsvm_svmm *svmm, enum vsvm_counter c,
			      u64 n)
{
	atomic64_add(n, &svmm->ctr.c[c]);
	atomic64_add(n, &svmm->vdev->ctr.c[c]);
}

void vsvm_counters_read(struct vsvm_counters *ctr,
			struct drm_vsvm_counters *out);

/* One device access; done under the device-table lock by fn. */
struct vsvm_access {
	u64 addr;
	u32 type;               /* DRM_VSVM_ACCESS_* */
	/*
	 * Runs on the mapped word with the device-table lock held; NULL
	 * for a prefault, which only maps.
	 */
	void (*fn)(struct vsvm_access *acc, void *kaddr);
	void *arg;
	const atomic_t *abort;  /* non-zero: give up (-ECANCELED) */
	u32 faults;             /* out: faults this access raised */
};

/* vsvm_svm.c */
int vsvm_svmm_init(struct vsvm_file *vfile, u64 addr, u64 size);
/* vfile->lock held, no svmm yet: build and publish one for vm (or NULL). */
int vsvm_svmm_init_locked(struct vsvm_file *vfile, u64 addr, u64 size,
			  struct vsvm_vm *vm);
void vsvm_svmm_fini(struct vsvm_svmm *svmm);
int vsvm_svmm_access(struct vsvm_svmm *svmm, struct vsvm_access *acc);
int vsvm_svmm_map_vram(struct vsvm_svmm *svmm, unsigned long addr,
		       struct page *backing, bool writable);
/* One page's atomic fault; fault_lock held. acc->fn NULL: map only. */
int vsvm_atomic_fault(struct vsvm_svmm *svmm, struct vsvm_access *acc);

/*
 * vsvm_prefault.c: SVM_BIND command ATOMIC_FAULT, the number of the
 * nouveau series in patches/linux (kernel headers do not carry it yet).
 * Outputs: result, reserved0 = fault_addr, reserved1 = fault_errno.
 */
#define VSVM_SVM_BIND_COMMAND__ATOMIC_FAULT 1
struct drm_nouveau_svm_bind;
extern bool vsvm_atomic_fault_cmd;
int vsvm_svm_bind_atomic(struct vsvm_file *vfile,
			 struct drm_nouveau_svm_bind *args);

/* vsvm_dmem.c */
int vsvm_dmem_init(struct vsvm_device *vdev);
void vsvm_dmem_fini(struct vsvm_device *vdev);
int vsvm_dmem_migrate(struct vsvm_svmm *svmm, struct vm_area_struct *vma,
		      unsigned long start, unsigned long end);
struct page *vsvm_dmem_backing(struct vsvm_device *vdev, struct page *page);
u64 vsvm_dmem_size(void);

/* vsvm_vm.c: GEM_NEW, VM_INIT, VM_BIND and device access to mappings. */
int vsvm_gem_new_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file);
bool vsvm_vm_init_svm_supported(void);
int vsvm_vm_init_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file);
int vsvm_vm_bind_ioctl(struct drm_device *drm, void *data,
		       struct drm_file *file);
/* An access inside the window: 0, or -EFAULT when nothing is bound. */
int vsvm_vm_access(struct vsvm_vm *vm, struct vsvm_access *acc);
void vsvm_vm_fini(struct vsvm_vm *vm);

/*
 * nouveau's VM_BIND (command 0x11), layout for layout: 6.1's uAPI
 * header does not carry it.
 */
struct vsvm_nouveau_vm_bind_op {
	__u32 op;
	__u32 flags;
	__u32 handle;
	__u32 pad;
	__u64 addr;
	__u64 bo_offset;
	__u64 range;
};

struct vsvm_nouveau_vm_bind {
	__u32 op_count;
	__u32 flags;
	__u32 wait_count;
	__u32 sig_count;
	__u64 wait_ptr;
	__u64 sig_ptr;
	__u64 op_ptr;
};

#define VSVM_NOUVEAU_VM_BIND_OP_MAP 0x0
#define VSVM_NOUVEAU_VM_BIND_OP_UNMAP 0x1
#define VSVM_NOUVEAU_VM_BIND_SPARSE (1 << 8)
#define VSVM_NOUVEAU_VM_BIND_RUN_ASYNC 0x1
#define DRM_IOCTL_VSVM_NOUVEAU_VM_BIND \
	DRM_IOWR(DRM_COMMAND_BASE + 0x11, struct vsvm_nouveau_vm_bind)

/* vsvm_exec.c */
int vsvm_exec_ioctl(struct drm_device *drm, void *data,
		    struct drm_file *file);

#endif /* VSVM_DRV_H */
