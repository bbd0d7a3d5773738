/* SPDX-License-Identifier: MIT */
/*
 * libnvsvm test-device operations: what the kernel's HMM test device
 * (hmm_dmirror) and vsvm, our virtual SVM GPU, offer beyond nouveau's
 * uAPI. Not part of the public API: it is neither installed nor exported
 * from libnvsvm.so. The tool, the unit tests and the kernel-path tests
 * reach it through the internal static library (idep_nvsvm_internal).
 * On a nouveau device every call returns -NVSVM_E_NOT_SUPPORTED.
 */
#ifndef NVSVM_TESTDEV_H
#define NVSVM_TESTDEV_H

#include "nvsvm/nvsvm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------- device-side operations */

/*
 * Backend operations a test device offers beyond nouveau's uAPI. On a
 * real nouveau GPU the GPU itself raises atomic faults; these return
 * -NVSVM_E_NOT_SUPPORTED there.
 */

/* Make [ptr, ptr+len) device-exclusive: the atomic range fault. */
int
nvsvm_device_atomic_fault(struct nvsvm_device *dev, void *ptr, size_t len,
                          void *copy_out);

/* 1 when every page is still exclusive to the device, 0 when revoked. */
int
nvsvm_device_check_exclusive(struct nvsvm_device *dev, void *ptr,
                             size_t len);

/* Device-side read/write through its own page table. */
int
nvsvm_device_read(struct nvsvm_device *dev, const void *ptr, size_t len,
                  void *out);
int
nvsvm_device_write(struct nvsvm_device *dev, void *ptr, size_t len,
                   const void *in);

/*
 * Device memory on test devices (the SVM_BIND analogue): move
 * [ptr, ptr+len) into device-private memory and back. *migrated (may be
 * NULL) gets the number of pages the kernel moved; pages it could not
 * move stay where they were, so compare it with len / NVSVM_PAGE_SIZE.
 */
int
nvsvm_device_migrate_to_dev_mem(struct nvsvm_device *dev, void *ptr,
                                size_t len, uint64_t *migrated);
int
nvsvm_device_migrate_to_sys_mem(struct nvsvm_device *dev, void *ptr,
                                size_t len, uint64_t *migrated);

/* What the device's page table holds for one page (a bit set). */
enum nvsvm_snap {
   NVSVM_SNAP_NONE = 0x00,        /* nothing mapped (or device-exclusive) */
   NVSVM_SNAP_READ = 0x01,
   NVSVM_SNAP_WRITE = 0x02,
   NVSVM_SNAP_PMD = 0x04,         /* mapped by a 2 MiB entry */
   NVSVM_SNAP_PUD = 0x08,
   NVSVM_SNAP_ZERO = 0x10,        /* the shared zero page */
   NVSVM_SNAP_DEV_PRIVATE_LOCAL = 0x20,  /* in this device's memory */
   NVSVM_SNAP_DEV_PRIVATE_REMOTE = 0x30, /* in another device's memory */
   NVSVM_SNAP_ERROR = 0xff,       /* no valid entry could be made */
};

/*
 * One NVSVM_SNAP_* byte per page of [ptr, ptr+len) into perms, without
 * faulting anything in. A device-exclusive page reads NVSVM_SNAP_NONE.
 */
int
nvsvm_device_snapshot(struct nvsvm_device *dev, const void *ptr, size_t len,
                      uint8_t *perms);

/* Counters since open; backends bump them as they work. */
struct nvsvm_device_stats {
   uint64_t conversions;  /* pages made device-exclusive */
   uint64_t retries;      /* conversions retried (-EBUSY, raced) */
};

int
nvsvm_device_get_stats(const struct nvsvm_device *dev,
                       struct nvsvm_device_stats *out);

/* ------------------------------------------------ device programs (vsvm) */

/*
 * A test device that executes (vsvm) runs a small program on `lanes`
 * device threads. Every access goes through the device page table and
 * faults like a GPU access: atomics make the page device-exclusive.
 * Other backends return -NVSVM_E_NOT_SUPPORTED. docs/vsvm.md has the
 * semantics; they mirror the kernel's drm_vsvm_op.
 */
enum nvsvm_exec_opcode {
   NVSVM_EXEC_LOAD = 1,   /* read:   r = *p */
   NVSVM_EXEC_STORE = 2,  /* write:  *p = v */
   NVSVM_EXEC_ADD = 3,    /* atomic: r = *p, *p += v */
   NVSVM_EXEC_CAS = 4,    /* atomic: r = *p, if r == c then *p = v */
   NVSVM_EXEC_XCHG = 5,   /* atomic: r = *p, *p = v */
   NVSVM_EXEC_WAIT = 6,   /* read:   r = *p until r == c */
};

enum nvsvm_exec_op_flags {
   NVSVM_EXEC_OP_64 = 1u << 0,    /* 8-byte word, else 4 */
   NVSVM_EXEC_OP_SPIN = 1u << 1,  /* CAS: retry until it succeeds */
   NVSVM_EXEC_OP_REG = 1u << 2,   /* v += r, the lane's last read */
};

#define NVSVM_EXEC_MAX_LANES 64u
#define NVSVM_EXEC_MAX_OPS 16u

/*
 * Lane L, iteration I accesses addr + L*lane_stride + I*iter_stride with
 * v = val + I*val_step, c = cmp + I*cmp_step; out, when set, gets r at
 * out[L * iterations + I].
 */
struct nvsvm_exec_op {
   uint32_t opcode;
   uint32_t flags;
   const volatile void *addr;
   uint64_t lane_stride, iter_stride;
   uint64_t val, val_step;
   uint64_t cmp, cmp_step;
   uint64_t *out;
};

struct nvsvm_lane_result {
   uint64_t ops;        /* instructions completed */
   uint64_t last;       /* r: last value read or fetched */
   uint64_t cas_fail;   /* CAS that found another value */
   uint64_t spins;      /* extra reads by WAIT / spinning CAS */
   uint64_t faults;     /* device faults raised */
   uint64_t ns;         /* lane run time */
   int status;          /* 0, or why it stopped */
   uint64_t fault_addr;
};

/* The device's counters (per file, or device-wide). */
struct nvsvm_counters {
   uint64_t faults_read, faults_write, faults_atomic;
   uint64_t conversions;         /* pages made device-exclusive */
   uint64_t conversion_refused;  /* the kernel gave no page (retried) */
   uint64_t invalidations, entries_dropped;
   uint64_t own_exclusive_ignored;
   uint64_t notifier_retries, hmm_busy, timeouts;
   uint64_t kills;               /* channels killed */
   uint64_t migrate_to_dev, migrate_to_ram;  /* pages */
   uint64_t device_ops, execs;
   uint64_t own_lookup_ignored;  /* see docs/vsvm.md, "nouveau's retry" */
   /* invalidations by notifier event (MMU_NOTIFY_EXCLUSIVE, _CLEAR) */
   uint64_t inval_exclusive, inval_clear;
};

enum nvsvm_exec_flags {
   /* Run the single lane on the calling thread: for latency loops. */
   NVSVM_EXEC_INLINE = 1u << 0,
};

struct nvsvm_exec {
   const struct nvsvm_exec_op *ops;
   unsigned nops;                  /* 1..NVSVM_EXEC_MAX_OPS */
   unsigned lanes;                 /* 1..NVSVM_EXEC_MAX_LANES */
   uint64_t iterations;
   unsigned timeout_ms;            /* 0: the device default (10 s) */
   unsigned flags;                 /* enum nvsvm_exec_flags */
   struct nvsvm_lane_result *results;  /* lanes entries, filled */
   /* out: why the channel died (fault_status 0 when it did not) */
   int fault_status;
   unsigned fault_lane;
   uint64_t fault_addr;
   unsigned fault_access;          /* 0 read, 1 write, 2 atomic */
   uint64_t elapsed_ns;
   struct nvsvm_counters delta;    /* this device's counters during it */
};

/*
 * Run a program. 0 when every lane finished; -EIO when a device fault
 * could not be serviced and the channel was killed (see fault_*);
 * -ETIMEDOUT when timeout_ms ran out; -EINVAL for a malformed program
 * or no SVM_INIT. Results and delta are filled in every case.
 */
int
nvsvm_device_exec(struct nvsvm_device *dev, struct nvsvm_exec *exec);

/* Why a fault killed the channel, for an exec's fault_status. */
const char *
nvsvm_exec_fault_str(int fault_status);

/* Counters of this device file and of the whole device; reset zeroes
 * the file's after reading. Either pointer may be NULL. */
int
nvsvm_device_counters(struct nvsvm_device *dev, bool reset,
                      struct nvsvm_counters *file,
                      struct nvsvm_counters *device);

#ifdef __cplusplus
}
#endif

#endif /* NVSVM_TESTDEV_H */
