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
   NVSVM_E_ATOMIC_FAULT_UNSUPPORTED, /* kernel lacks SVM_BIND ATOMIC_FAULT */
   NVSVM_E_ATOMIC_FAULT_STOPPED, /* a page was refused, see the report */
   NVSVM_E_IN_WINDOW,           /* range overlaps the unmanaged window */
   NVSVM_E_VM_INIT_UNCONFIRMED, /* kernel does not confirm VM_INIT's SVM flag */
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

/*
 * SVM for VM_BIND clients (NVK): VM_INIT with the SVM window instead of
 * SVM_INIT (docs/uapi.md, "SVM for VM_BIND clients"). The window is the
 * GPU VA the client manages: its VM_BIND mappings, and the kernel-managed
 * region at the window's top. Every other address mirrors the process.
 */
struct nvsvm_vm_params {
   uint64_t kernel_managed_size; /* 4 KiB multiple, below window_size */
   uint64_t window_size;         /* 0: as nvsvm_svm_params */
   uint64_t window_hint;         /* 0: policy */
};

struct nvsvm_vm_layout {
   struct nvsvm_window window;   /* the client's VA; reserved in our mm */
   uint64_t kernel_managed_addr; /* window end - kernel_managed_size */
   uint64_t kernel_managed_size;
};

/*
 * Reserve the window and issue VM_INIT with the SVM flag. A kernel that
 * does not confirm the flag (nouveau's GETPARAM VM_INIT_SVM) gets no
 * VM_INIT: an older one would ignore the flag and leave the process
 * unmirrored. Then -NVSVM_E_VM_INIT_UNCONFIRMED, and the file can still
 * take a plain VM_INIT. On any failure the window is released. After
 * success nvsvm_svm_enabled() is true, nvsvm_svm_window() returns the
 * window, and nvsvm_svm_init() is -EBUSY.
 */
int
nvsvm_vm_init(struct nvsvm_device *dev, const struct nvsvm_vm_params *params,
              struct nvsvm_vm_layout *out);

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

/*
 * What nvsvm_atomic_range_fault() did: pages [start, fault_addr) were
 * converted (device-exclusive, mapped for device atomics), none at or
 * after fault_addr. converted == (fault_addr - start) / NVSVM_PAGE_SIZE.
 */
struct nvsvm_atomic_fault_report {
   uint64_t start;        /* the range as sent (page-rounded) */
   uint64_t end;
   uint64_t converted;    /* pages converted, from start */
   uint64_t fault_addr;   /* first address not converted; end when all */
   int fault_errno;       /* 0, or the negative errno at fault_addr */
};

/*
 * Convert [ptr, ptr+len) for device atomics ahead of a launch (nouveau's
 * SVM_BIND command ATOMIC_FAULT; vsvm the same; the hmm test device
 * through its EXCLUSIVE command). The range is rounded out to pages.
 * Returns 0 when every page was converted; -NVSVM_E_ATOMIC_FAULT_STOPPED
 * when a page was refused or the call's time bound expired (the report
 * says where and why; resume at fault_addr after -ETIMEDOUT);
 * -NVSVM_E_ATOMIC_FAULT_UNSUPPORTED on a kernel without the command
 * (the caller falls back to first-touch faults); -NVSVM_E_NO_SVM,
 * -NVSVM_E_BIND_EMPTY, -NVSVM_E_IN_WINDOW for requests refused before
 * the kernel sees them; or another negative errno of the ioctl. report
 * may be NULL; when given it is always filled in.
 */
int
nvsvm_atomic_range_fault(struct nvsvm_device *dev, void *ptr, size_t len,
                         struct nvsvm_atomic_fault_report *report);

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

#ifdef __cplusplus
}
#endif

#endif /* NVSVM_H */
