/* SPDX-License-Identifier: MIT */
/*
 * libnvsvm public API: the userspace half of SVM atomics for nouveau.
 * Every call returns 0 or a negative errno / negative NVSVM_E_* code;
 * nvsvm_strerror() names any of them.
 */
#ifndef NVSVM_H
#define NVSVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NVSVM_PAGE_SIZE 4096u

/*
 * Errors of our own, for input we reject before the kernel sees it.
 * Returned negated, like errno values; they never collide with errno.
 */
enum nvsvm_error {
   NVSVM_E_BASE = 4096,
   NVSVM_E_BIND_EMPTY,          /* va_start >= va_end */
   NVSVM_E_BIND_UNALIGNED,      /* range not page aligned */
   NVSVM_E_BIND_COMMAND,        /* unknown SVM_BIND command */
   NVSVM_E_BIND_TARGET,         /* target the kernel does not accept */
   NVSVM_E_BIND_PRIORITY,       /* priority does not fit 8 bits */
   NVSVM_E_BIND_STRIDE,         /* stride must be 0 */
   NVSVM_E_NO_SVM,              /* SVM_INIT was not done on this device */
   NVSVM_E_WINDOW_SIZE,         /* window size 0, not a power of two... */
   NVSVM_E_WINDOW_NO_SLOT,      /* no aligned slot free in the CPU VA */
   NVSVM_E_NOT_SUPPORTED,       /* backend lacks the operation */
   NVSVM_E_KERNEL_UNKNOWN,      /* private uAPI not pinned for kernel */
   NVSVM_E_RANGE,               /* range check failed, see the report */
   NVSVM_E_PARSE,               /* malformed /proc input */
   NVSVM_E_TIMEOUT,             /* a bounded wait ran out */
   NVSVM_E_UNALIGNED,           /* address or length not 4 KiB aligned */
   NVSVM_E_LAST
};

/* A name and one-line reason for any return value of this library. */
const char *
nvsvm_strerror(int err);

/* The symbolic name ("ENOSYS", "NVSVM_E_BIND_EMPTY"), for logs and JSON. */
const char *
nvsvm_error_name(int err);

/* What SVM_INIT's errno means for nouveau in particular. */
const char *
nvsvm_svm_init_strerror(int err);

/* ---------------------------------------------------------------- device */

enum nvsvm_backend_kind {
   NVSVM_BACKEND_NONE = 0,
   NVSVM_BACKEND_NOUVEAU,  /* a nouveau DRM node: the real thing */
   NVSVM_BACKEND_VSVM,     /* our virtual SVM GPU (nouveau uAPI + EXEC) */
   NVSVM_BACKEND_HMM,      /* the kernel's HMM test device */
};

struct nvsvm_device;

struct nvsvm_device_info {
   enum nvsvm_backend_kind backend;
   char path[64];
   char driver[32];          /* DRM driver name, or "hmm_dmirror" */
   int version_major, version_minor, version_patchlevel;
   uint32_t chipset;         /* 0 when the kernel does not say */
   uint64_t vram_size;       /* 0 when the kernel does not say */
   uint64_t va_size;         /* GPU VA space in bytes, 0 if unknown */
};

/* One render node as enumerated from libdrm. */
struct nvsvm_drm_node {
   char path[64];
   char driver[32];
   uint16_t vendor_id, device_id;  /* PCI ids, 0 for platform devices */
};

/*
 * Enumerate DRM render nodes. Fills up to max entries; *count gets the
 * number found (which may exceed max). No nodes at all is not an error.
 */
int
nvsvm_drm_enumerate(struct nvsvm_drm_node *nodes, unsigned max,
                    unsigned *count);

/*
 * Open a device: a DRM render node (nouveau or vsvm) or an HMM test
 * device (/dev/hmm_dmirrorN). NULL path means the first nouveau or vsvm
 * render node. -ENODEV when no such device exists, -ENOTSUP
 * (NVSVM_E_NOT_SUPPORTED) when the node is not one we drive.
 */
int
nvsvm_device_open(const char *path, struct nvsvm_device **out);

/* Wrap an fd the caller owns (Mesa's screen fd); it is not closed. */
int
nvsvm_device_open_fd(int fd, struct nvsvm_device **out);

void
nvsvm_device_close(struct nvsvm_device *dev);

int
nvsvm_device_get_info(const struct nvsvm_device *dev,
                      struct nvsvm_device_info *info);

int
nvsvm_device_fd(const struct nvsvm_device *dev);

const char *
nvsvm_backend_name(enum nvsvm_backend_kind kind);

/*
 * NVIDIA family of a nouveau chipset id ("Pascal" for 0x130-0x13f), or
 * "unknown" (also for 0). nouveau's SVM needs Pascal: older GPUs have no
 * replayable fault buffer, newer ones are disabled upstream.
 */
const char *
nvsvm_chipset_family(uint32_t chipset);

/* ----------------------------------------------------------------- probe */

#define NVSVM_PROBE_MAX_NODES 16
#define NVSVM_PROBE_MAX_HMM 4

/* One DRM node as the probe saw it. */
struct nvsvm_probe_node {
   struct nvsvm_drm_node node;
   enum nvsvm_backend_kind backend; /* NONE: not a device we drive */
   int open_err;         /* nvsvm_device_open's result for our drivers */
   uint32_t chipset;
   uint64_t vram_size;
   bool svm_tried;       /* SVM_INIT was attempted on a fresh fd */
   int svm_init_err;     /* its result: 0, or see nvsvm_svm_init_strerror */
};

/* What this machine can do for SVM atomics (`nvsvm probe`). */
struct nvsvm_probe_result {
   char kernel_release[65];   /* uname -r */
   char thp_mode[16];         /* always / madvise / never, "" unknown */
   unsigned node_count;       /* DRM nodes found (may exceed listed) */
   unsigned node_listed;
   struct nvsvm_probe_node nodes[NVSVM_PROBE_MAX_NODES];
   bool nouveau_available;    /* a nouveau node we could open */
   bool nouveau_svm;          /* SVM_INIT succeeded on one */
   char nouveau_reason[160];  /* why not, when either is false */
   bool vsvm_present;         /* a DRM node whose driver is vsvm */
   unsigned hmm_count;        /* /dev/hmm_dmirrorN char devices */
   char hmm_paths[NVSVM_PROBE_MAX_HMM][32];
};

/*
 * Fill *out. Opens each nouveau/vsvm node and tries SVM_INIT on a fresh
 * fd (the only probe the uAPI offers), then closes it. A machine with no
 * GPU is not an error.
 */
int
nvsvm_probe_machine(struct nvsvm_probe_result *out);

/* ---------------------------------------------------------------- window */

/*
 * The unmanaged window: GPU VA kept for buffer objects. It must also be
 * kept out of the CPU's reach, so it is reserved PROT_NONE in our mm.
 */
struct nvsvm_window {
   uint64_t addr;
   uint64_t size;
   bool reserved;   /* we own a PROT_NONE mapping at [addr, addr+size) */
};

#define NVSVM_WINDOW_MAX_SIZE (1ull << 39)
#define NVSVM_WINDOW_MIN_SIZE (1ull << 20)

/* VRAM rounded up to a power of two, clamped to [MIN, MAX]. */
uint64_t
nvsvm_window_size_for_vram(uint64_t vram_size);

/*
 * Reserve size bytes, size-aligned, with MAP_FIXED_NOREPLACE, starting at
 * hint (0: let the policy choose) and trying the next aligned slot on
 * EEXIST, never above limit (0: 47-bit user VA).
 */
int
nvsvm_window_reserve(uint64_t size, uint64_t hint, uint64_t limit,
                     struct nvsvm_window *out);

void
nvsvm_window_release(struct nvsvm_window *win);

struct nvsvm_svm_params {
   uint64_t window_size;   /* 0: nvsvm_window_size_for_vram(vram) */
   uint64_t window_hint;   /* 0: policy */
};

/*
 * Reserve the window and issue SVM_INIT. On failure the window is
 * released and the errno returned; nvsvm_svm_init_strerror() names it.
 */
int
nvsvm_svm_init(struct nvsvm_device *dev,
               const struct nvsvm_svm_params *params);

bool
nvsvm_svm_enabled(const struct nvsvm_device *dev);

int
nvsvm_svm_window(const struct nvsvm_device *dev, struct nvsvm_window *out);

/* --------------------------------------------------------------- migrate */

/* Fields of SVM_BIND as the caller means them, before encoding. */
struct nvsvm_bind_req {
   uint64_t va_start;
   uint64_t va_end;
   uint32_t command;   /* NOUVEAU_SVM_BIND_COMMAND__MIGRATE */
   uint32_t target;    /* NOUVEAU_SVM_BIND_TARGET__GPU_VRAM */
   uint32_t priority;
   uint64_t stride;
};

/* The 64-byte SVM_BIND argument, encoded exactly as the kernel checks it. */
struct drm_nouveau_svm_bind;
int
nvsvm_bind_encode(const struct nvsvm_bind_req *req,
                  struct drm_nouveau_svm_bind *out);

/* Migrate [ptr, ptr+len) to VRAM; *migrated gets the kernel's result. */
int
nvsvm_migrate_to_device(struct nvsvm_device *dev, void *ptr, size_t len,
                        uint64_t *migrated);

enum nvsvm_migrate_flags {
   /* The caller does not need the content: discard instead of copying. */
   NVSVM_MIGRATE_CONTENT_UNDEFINED = 1u << 0,
};

/*
 * Bring [ptr, ptr+len) back to system memory. nouveau has no to-host
 * target: pages come back on CPU fault, so this faults every page in
 * (a write fault, preserving the content), or with CONTENT_UNDEFINED
 * drops them with MADV_DONTNEED so they return as zero pages.
 */
int
nvsvm_migrate_to_host(struct nvsvm_device *dev, void *ptr, size_t len,
                      unsigned flags);

/* ------------------------------------------------------------ range rules */

enum nvsvm_range_reason {
   NVSVM_RANGE_OK = 0,
   NVSVM_RANGE_NULL,          /* NULL pointer */
   NVSVM_RANGE_EMPTY,         /* zero length */
   NVSVM_RANGE_OVERFLOW,      /* ptr + len wraps */
   NVSVM_RANGE_UNALIGNED,     /* caller asked for page alignment */
   NVSVM_RANGE_NOT_MAPPED,    /* a hole in the range */
   NVSVM_RANGE_NO_ACCESS,     /* PROT_NONE / guard */
   NVSVM_RANGE_NOT_WRITABLE,  /* read-only mapping */
   NVSVM_RANGE_SHARED,        /* MAP_SHARED (anonymous: shmem) */
   NVSVM_RANGE_FILE_BACKED,   /* file mapping, even private */
   NVSVM_RANGE_HUGETLB,       /* hugetlbfs */
   NVSVM_RANGE_SPECIAL,       /* VM_IO/PFNMAP, vdso, vvar, vsyscall */
   NVSVM_RANGE_REASON_COUNT
};

enum nvsvm_range_warning {
   /* THP backs (part of) the range: conversion fails on kernels <= 6.14 */
   NVSVM_RANGE_WARN_THP = 1u << 0,
   /* THP may back it later: THPeligible without MADV_NOHUGEPAGE */
   NVSVM_RANGE_WARN_THP_ELIGIBLE = 1u << 1,
   /* mlock'd: fine for the conversion, noted for the record */
   NVSVM_RANGE_WARN_LOCKED = 1u << 2,
};

enum nvsvm_range_flags {
   NVSVM_RANGE_REQUIRE_ALIGNED = 1u << 0, /* ptr and len page aligned */
   NVSVM_RANGE_NO_THP_CHECK = 1u << 1,    /* no THP/mlock warnings */
};

struct nvsvm_range_report {
   enum nvsvm_range_reason reason;
   unsigned warnings;        /* enum nvsvm_range_warning bits */
   uint64_t bad_addr;        /* first address with the reason */
   uint64_t vma_start, vma_end; /* the mapping that has it */
   char vma_name[64];        /* its pathname or [tag], may be empty */
};

/*
 * Can [ptr, ptr+len) take GPU atomics through the device-exclusive path?
 * Returns 0 when eligible (report->warnings may still be set),
 * -NVSVM_E_RANGE with report->reason when not, or a negative errno when
 * the check itself failed. Asks the kernel afresh on every call
 * (PROCMAP_QUERY/PAGEMAP_SCAN where they answer exactly, else
 * /proc/self/smaps): nothing goes stale. docs/range-rules.md.
 */
int
nvsvm_range_check(const void *ptr, size_t len, unsigned flags,
                  struct nvsvm_range_report *report);

const char *
nvsvm_range_reason_name(enum nvsvm_range_reason reason);

const char *
nvsvm_range_reason_str(enum nvsvm_range_reason reason);

const char *
nvsvm_range_warning_str(enum nvsvm_range_warning warning);

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

/*
 * True atomic contention: cpu_threads CPU threads and lanes device lanes
 * add 1 to one counter at the same time until the lanes have done
 * device_iterations each. The final value must be the sum of all adds.
 */
struct nvsvm_contention_params {
   unsigned cpu_threads;         /* 0: 2 */
   unsigned lanes;               /* 0: 2 */
   uint64_t device_iterations;   /* per lane; 0: 100000 */
};

struct nvsvm_contention_result {
   unsigned cpu_threads, lanes;
   double seconds;               /* while both sides ran */
   uint64_t cpu_ops, device_ops;
   double cpu_ops_per_s, device_ops_per_s;
   uint64_t conversions;         /* page taken by the device */
   double conversions_per_s;
   uint64_t lost;                /* adds missing from the counter */
};

int
nvsvm_device_contention(struct nvsvm_device *dev,
                        const struct nvsvm_contention_params *params,
                        struct nvsvm_contention_result *result);

#ifdef __cplusplus
}
#endif

#endif /* NVSVM_H */
