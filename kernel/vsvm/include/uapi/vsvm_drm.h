/* SPDX-License-Identifier: MIT */
/*
 * vsvm uAPI: the test-only ioctls of the virtual SVM GPU. SVM_INIT and
 * SVM_BIND are nouveau's own (nouveau_drm.h, same numbers and structs).
 */
#ifndef VSVM_DRM_H
#define VSVM_DRM_H

#if defined(__KERNEL__)
#include <drm/drm.h>
#else
#include <drm.h>
#endif

#if defined(__cplusplus)
extern "C" {
#endif

#define VSVM_DRIVER_NAME "vsvm"

/*
 * Test-only commands, above every nouveau command (nouveau uses 0x00-0x12
 * and 0x40-0x4x) and below DRM_COMMAND_END (offset 0x60), the end of the
 * driver-private range.
 */
#define DRM_VSVM_INFO  0x58
#define DRM_VSVM_EXEC  0x59
#define DRM_VSVM_STATS 0x5a

/* Limits of one EXEC. */
#define DRM_VSVM_MAX_LANES 64
#define DRM_VSVM_MAX_OPS 16
#define DRM_VSVM_DEFAULT_TIMEOUT_MS 10000
#define DRM_VSVM_MAX_TIMEOUT_MS 600000

/* What the device offers; everything a test needs to size its work. */
struct drm_vsvm_info {
	__u32 version;          /* DRM_VSVM_UAPI_VERSION */
	__u32 va_bits;          /* SVM_INIT's window must end below 2^va_bits */
	__u64 va_size;          /* 1 << va_bits */
	__u64 vram_size;        /* device-private memory for SVM_BIND MIGRATE */
	__u32 max_lanes;        /* DRM_VSVM_MAX_LANES */
	__u32 max_ops;          /* DRM_VSVM_MAX_OPS */
	__u32 fault_timeout_ms; /* a fault not serviced by then kills EXEC */
	__u32 page_size;        /* device page size: always 4096 */
	__u64 reserved[4];
};

/*
 * 3: VM_INIT (with DRM_VSVM_VM_INIT_SVM), VM_BIND (synchronous MAP and
 * UNMAP) and GEM_NEW, at nouveau's numbers; see struct drm_vsvm_vm_init.
 */
#define DRM_VSVM_UAPI_VERSION 3

/*
 * Device instructions. Each accesses one naturally aligned 4- or 8-byte
 * word through the device page table; a missing or too-weak entry raises
 * a device fault of the access type given here.
 */
enum drm_vsvm_opcode {
	DRM_VSVM_OP_LOAD = 1,   /* read:   r = *p */
	DRM_VSVM_OP_STORE = 2,  /* write:  *p = v */
	DRM_VSVM_OP_ADD = 3,    /* atomic: r = *p, *p += v */
	DRM_VSVM_OP_CAS = 4,    /* atomic: r = *p, if r == c then *p = v */
	DRM_VSVM_OP_XCHG = 5,   /* atomic: r = *p, *p = v */
	DRM_VSVM_OP_WAIT = 6,   /* read:   r = *p until r == c (spins) */
};

/* Access 8 bytes; otherwise 4. */
#define DRM_VSVM_OP_F_64 (1u << 0)
/* CAS: retry until it succeeds (a spin lock acquire). */
#define DRM_VSVM_OP_F_SPIN (1u << 1)
/* v += r: the value last read by this lane (load, then store r + 1). */
#define DRM_VSVM_OP_F_REG (1u << 2)
#define DRM_VSVM_OP_F_ALL (DRM_VSVM_OP_F_64 | DRM_VSVM_OP_F_SPIN | \
			   DRM_VSVM_OP_F_REG)

/*
 * One instruction. For lane L in iteration I it accesses
 * addr + L * lane_stride + I * iter_stride with v = val + I * val_step and
 * c = cmp + I * cmp_step (wrapping arithmetic). When out_ptr is not 0,
 * r after the access is stored at the __u64 out_ptr[L * iterations + I]
 * (by the lane's CPU side, through the caller's own mapping).
 */
struct drm_vsvm_op {
	__u32 opcode;
	__u32 flags;
	__u64 addr;
	__u64 lane_stride;
	__u64 iter_stride;
	__u64 val;
	__u64 val_step;
	__u64 cmp;
	__u64 cmp_step;
	__u64 out_ptr;
};

/* Access types, as nouveau's fault buffer numbers them. */
#define DRM_VSVM_ACCESS_READ 0
#define DRM_VSVM_ACCESS_WRITE 1
#define DRM_VSVM_ACCESS_ATOMIC 2

/* Counters: per file (since open or reset) and per device (since load). */
struct drm_vsvm_counters {
	__u64 faults_read;
	__u64 faults_write;
	__u64 faults_atomic;
	__u64 conversions;        /* pages made device-exclusive */
	__u64 conversion_refused; /* make_device_exclusive gave no page */
	__u64 invalidations;      /* invalidations that dropped entries */
	__u64 entries_dropped;    /* device page table entries dropped */
	__u64 own_exclusive_ignored; /* our own conversions, not dropped */
	__u64 notifier_retries;   /* sequence changed: fault redone */
	__u64 hmm_busy;           /* hmm_range_fault said -EBUSY */
	__u64 timeouts;           /* faults that ran out of time */
	__u64 kills;              /* channels killed (EXEC -EIO) */
	__u64 migrate_to_dev;     /* pages moved to device memory */
	__u64 migrate_to_ram;     /* pages the CPU faulted back */
	__u64 device_ops;         /* instructions completed by lanes */
	__u64 execs;              /* EXEC calls that ran lanes */
	__u64 own_lookup_ignored; /* conversion's own lookup: no retry */
	/*
	 * Invalidations that dropped entries, by the notifier event the
	 * kernel sent: a CPU touch that takes a device-exclusive page back
	 * says MMU_NOTIFY_EXCLUSIVE up to 6.14, MMU_NOTIFY_CLEAR since 6.15.
	 */
	__u64 inval_exclusive;
	__u64 inval_clear;
};

/* What one lane did. */
struct drm_vsvm_lane_result {
	__u64 ops;        /* instructions completed */
	__u64 last;       /* r: the value last read or fetched */
	__u64 cas_fail;   /* CAS attempts that found another value */
	__u64 spins;      /* extra reads by WAIT and spinning CAS */
	__u64 faults;     /* device faults this lane raised */
	__u64 ns;         /* time this lane ran */
	__s32 status;     /* 0, or why this lane stopped */
	__u32 pad;
	__u64 fault_addr; /* address of the fault that stopped it */
};

/*
 * Run the lane on the calling thread instead of a kernel thread (lanes
 * must be 1, and the caller must be in the mm SVM_INIT mirrors): no
 * thread start-up in the timing, for latency loops.
 */
#define DRM_VSVM_EXEC_F_INLINE (1u << 0)

/*
 * Run a program on lanes kernel threads, iterations times each, against
 * the SVM_INIT caller's address space. Returns 0 when every lane ran to
 * the end; -EIO when a fault could not be serviced and the channel was
 * killed (fault_* say which and why: -EBUSY timeout, -EFAULT no valid
 * mapping, -EINVAL page refused by the kernel, -ENOMEM); -ETIMEDOUT when
 * timeout_ms ran out first; -EFAULT when an out_ptr could not be
 * written. Lane results are written in every case.
 */
struct drm_vsvm_exec {
	__u64 ops_ptr;      /* in: struct drm_vsvm_op[nops] */
	__u64 results_ptr;  /* out: struct drm_vsvm_lane_result[lanes] */
	__u32 nops;
	__u32 lanes;
	__u64 iterations;
	__u32 timeout_ms;   /* 0: DRM_VSVM_DEFAULT_TIMEOUT_MS */
	__u32 flags;        /* DRM_VSVM_EXEC_F_* */
	/* out */
	__s32 fault_status;
	__u32 fault_lane;
	__u64 fault_addr;
	__u32 fault_access; /* DRM_VSVM_ACCESS_* */
	__u32 pad;
	__u64 elapsed_ns;
	struct drm_vsvm_counters delta; /* this file's counters during EXEC */
};

/* Zero this file's counters after reading them. */
#define DRM_VSVM_STATS_RESET (1u << 0)

struct drm_vsvm_stats {
	__u32 flags;
	__u32 pad;
	struct drm_vsvm_counters file;
	struct drm_vsvm_counters device;
};

/*
 * nouveau's VM_INIT (command 0x10), extended as the design for SVM on
 * VM_BIND clients proposes (docs/uapi.md, "SVM for VM_BIND clients"):
 * the first two fields are struct drm_nouveau_vm_init; a caller that
 * passes only those 16 bytes gets flags 0 (drm zero-fills the rest).
 *
 * With DRM_VSVM_VM_INIT_SVM, [unmanaged_addr, unmanaged_addr +
 * unmanaged_size) has SVM_INIT's meaning: GPU VA that is not mirrored.
 * It must contain the kernel-managed region, and every VM_BIND mapping
 * must lie inside it. Every other device address mirrors the caller's
 * process (HMM faults, device-exclusive pages for atomics), as after
 * SVM_INIT. A file uses VM_INIT or SVM_INIT, not both (-EBUSY).
 */
struct drm_vsvm_vm_init {
	__u64 kernel_managed_addr;
	__u64 kernel_managed_size;
	__u64 flags;            /* DRM_VSVM_VM_INIT_SVM or 0 */
	__u64 unmanaged_addr;   /* with DRM_VSVM_VM_INIT_SVM, else 0 */
	__u64 unmanaged_size;   /* with DRM_VSVM_VM_INIT_SVM, else 0 */
};

/* The design's NOUVEAU_VM_INIT_SVM. */
#define DRM_VSVM_VM_INIT_SVM (1ull << 0)

/*
 * The design's NOUVEAU_GETPARAM_VM_INIT_SVM, a parameter of nouveau's
 * GETPARAM (command 0x00): 1 when VM_INIT takes DRM_VSVM_VM_INIT_SVM.
 * A kernel without the extension answers -EINVAL, and its VM_INIT would
 * read only the first 16 bytes, ignoring the flag: userspace must ask
 * before it sets the flag. vsvm's module parameter vm_init_svm=0 makes
 * it answer and behave as such a kernel.
 */
#define DRM_VSVM_GETPARAM_VM_INIT_SVM 21

#define DRM_VSVM_VM_INIT 0x10  /* DRM_NOUVEAU_VM_INIT */

/* Largest GEM_NEW object: vsvm backs objects with system pages. */
#define DRM_VSVM_MAX_BO_SIZE (64ull << 20)

#define DRM_IOCTL_VSVM_VM_INIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VSVM_VM_INIT, struct drm_vsvm_vm_init)
#define DRM_IOCTL_VSVM_INFO \
	DRM_IOR(DRM_COMMAND_BASE + DRM_VSVM_INFO, struct drm_vsvm_info)
#define DRM_IOCTL_VSVM_EXEC \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VSVM_EXEC, struct drm_vsvm_exec)
#define DRM_IOCTL_VSVM_STATS \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VSVM_STATS, struct drm_vsvm_stats)

#if defined(__cplusplus)
}
#endif

#endif /* VSVM_DRM_H */
