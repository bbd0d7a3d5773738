/* SPDX-License-Identifier: MIT */
/*
 * libnvsvm internals: the device object and the backend ops table that
 * every backend (nouveau, vsvm, hmm) fills in, one file each.
 */
#ifndef NVSVM_PRIV_H
#define NVSVM_PRIV_H

#include <string.h>

#include "nvsvm/nvsvm.h"
#include "nvsvm_testdev.h"

/*
 * libnvsvm is built with -fvisibility=hidden: libnvsvm.so exports exactly
 * the definitions marked with this, the API of include/nvsvm/ (listed in
 * nvsvm.symbols, which the symbols-check test compares it with).
 */
#define NVSVM_EXPORT __attribute__((visibility("default")))

struct nvsvm_device;

/*
 * One table per backend. Callers go through nvsvm_device_*(); an op left
 * NULL makes the public call return -NVSVM_E_NOT_SUPPORTED. New ops are
 * appended; backends that do not know them keep NULL.
 */
struct nvsvm_backend_ops {
   enum nvsvm_backend_kind kind;
   const char *name;

   /* Probe an open fd; 0 when this backend drives it, fills dev->info. */
   int (*probe)(struct nvsvm_device *dev);
   void (*destroy)(struct nvsvm_device *dev);

   /* nouveau uAPI: DRM_NOUVEAU_SVM_INIT / DRM_NOUVEAU_SVM_BIND. */
   int (*svm_init)(struct nvsvm_device *dev, uint64_t addr, uint64_t size);
   /*
    * VM_INIT with the SVM window (docs/uapi.md): 0, a negative errno, or
    * -NVSVM_E_VM_INIT_UNCONFIRMED without an ioctl when the kernel does
    * not confirm the flag.
    */
   int (*vm_init)(struct nvsvm_device *dev, uint64_t kernel_addr,
                  uint64_t kernel_size, uint64_t window_addr,
                  uint64_t window_size);
   int (*svm_bind)(struct nvsvm_device *dev,
                   struct drm_nouveau_svm_bind *bind);

   /* Device-side operations (test devices). */
   int (*atomic_fault)(struct nvsvm_device *dev, uint64_t addr,
                       uint64_t npages, void *copy_out);
   int (*check_exclusive)(struct nvsvm_device *dev, uint64_t addr,
                          uint64_t npages);
   int (*dev_read)(struct nvsvm_device *dev, uint64_t addr,
                   uint64_t npages, void *out);
   int (*dev_write)(struct nvsvm_device *dev, uint64_t addr,
                    uint64_t npages, const void *in);

   /*
    * Device memory (the SVM_BIND analogue on test devices): *migrated
    * gets the pages the kernel moved. snapshot fills one NVSVM_SNAP_*
    * byte per page: the device's view without faulting anything in.
    */
   int (*migrate_to_dev_mem)(struct nvsvm_device *dev, uint64_t addr,
                             uint64_t npages, uint64_t *migrated);
   int (*migrate_to_sys_mem)(struct nvsvm_device *dev, uint64_t addr,
                             uint64_t npages, uint64_t *migrated);
   int (*snapshot)(struct nvsvm_device *dev, uint64_t addr,
                   uint64_t npages, uint8_t *perms);

   /*
    * The ping-pong engine's "device converts" step: take device (atomic)
    * ownership of each page and report the first 64-bit word the device
    * saw there. Each backend does it its own way (hmm: EXCLUSIVE; vsvm:
    * an EXEC atomic); retries go to dev->stats.
    */
   int (*device_convert)(struct nvsvm_device *dev, uint64_t addr,
                         uint64_t npages, uint64_t *seen);

   /* Device programs and counters (vsvm's EXEC and STATS). */
   int (*exec)(struct nvsvm_device *dev, struct nvsvm_exec *exec);
   int (*stats)(struct nvsvm_device *dev, bool reset,
                struct nvsvm_counters *file, struct nvsvm_counters *device);

   /*
    * Atomic range fault of [rep->start, rep->end), page-aligned and
    * validated (nvsvm_atomic_fault.c): fills the rest of rep; returns 0
    * (read rep->fault_errno) or the request's negative errno.
    */
   int (*atomic_range_fault)(struct nvsvm_device *dev,
                             struct nvsvm_atomic_fault_report *rep);
};

struct nvsvm_device {
   int fd;
   bool owns_fd;
   const struct nvsvm_backend_ops *ops;
   struct nvsvm_device_info info;
   bool svm_enabled;
   struct nvsvm_window window;
   void *backend_data;   /* owned by the backend, freed by destroy */
   /* Bumped by backends with relaxed atomics; nvsvm_device_get_stats(). */
   struct nvsvm_device_stats stats;
};

extern const struct nvsvm_backend_ops nvsvm_backend_nouveau;
extern const struct nvsvm_backend_ops nvsvm_backend_hmm;
extern const struct nvsvm_backend_ops nvsvm_backend_vsvm;

/*
 * nouveau's SVM uAPI, exported so that backends speaking the same ioctl
 * numbers (vsvm) reuse it. Both return 0 or a negative errno; bind is
 * issued read-write so bind->result comes back.
 */
int
nvsvm_nouveau_svm_init(struct nvsvm_device *dev, uint64_t addr,
                       uint64_t size);
int
nvsvm_nouveau_svm_bind(struct nvsvm_device *dev,
                       struct drm_nouveau_svm_bind *bind);
int
nvsvm_nouveau_vm_init(struct nvsvm_device *dev, uint64_t kernel_addr,
                      uint64_t kernel_size, uint64_t window_addr,
                      uint64_t window_size);

/*
 * nvsvm_window.c: the window size for dev: requested if non-zero, else
 * NVSVM_WINDOW_SIZE, else the VRAM policy; a malformed override is
 * -NVSVM_E_WINDOW_SIZE.
 */
int
nvsvm_window_size_for_device(const struct nvsvm_device *dev,
                             uint64_t requested, uint64_t *size);

/* nvsvm_atomic_fault.c: the atomic_range_fault op of each backend. */
int
nvsvm_nouveau_atomic_range_fault(struct nvsvm_device *dev,
                                 struct nvsvm_atomic_fault_report *rep);
int
nvsvm_hmm_atomic_range_fault(struct nvsvm_device *dev,
                             struct nvsvm_atomic_fault_report *rep);

/*
 * For DRM backends' probe: -NVSVM_E_NOT_SUPPORTED unless dev->fd is a DRM
 * char device whose driver is named want; fills driver and version.
 * Files that are not DRM devices get no ioctl at all.
 */
int
nvsvm_drm_probe_driver(struct nvsvm_device *dev, const char *want);

/* Try every backend of nvsvm_backend.c in order on dev->fd. */
int
nvsvm_backend_probe(struct nvsvm_device *dev);

/*
 * Call an optional backend op: -NVSVM_E_NOT_SUPPORTED when the backend
 * left it NULL, so public wrappers stay one line each.
 */
#define nvsvm_backend_call(dev, op, ...)                               \
   ((dev)->ops && (dev)->ops->op ? (dev)->ops->op((dev), __VA_ARGS__)  \
                                 : -NVSVM_E_NOT_SUPPORTED)

/* Copy a string into a fixed field, truncating, always terminated. */
static inline void
nvsvm_strlcpy(char *dst, const char *src, size_t size)
{
   size_t n = strnlen(src, size - 1);

   memcpy(dst, src, n);
   dst[n] = '\0';
}

/* Debug messages on stderr when NVSVM_DEBUG is set (docs/envvars.md). */
bool
nvsvm_debug_enabled(void);
void
nvsvm_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A byte count from the environment ("4G", "0x1000", "65536"): 0 and
 * *out set when present and valid, -ENOENT when unset, -EINVAL when
 * malformed (the caller logs and ignores it).
 */
int
nvsvm_env_size(const char *name, uint64_t *out);

/* Set the device's path from /proc/self/fd when the caller gave an fd. */
void
nvsvm_device_fill_path(struct nvsvm_device *dev);

#endif /* NVSVM_PRIV_H */
