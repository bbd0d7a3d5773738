/* SPDX-License-Identifier: MIT */
/*
 * libnvsvm internals: the device object and the backend ops table that
 * every backend (nouveau, vsvm, hmm) fills in, one file each.
 */
#ifndef NVSVM_PRIV_H
#define NVSVM_PRIV_H

#include "nvsvm/nvsvm.h"

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
};

struct nvsvm_device {
   int fd;
   bool owns_fd;
   const struct nvsvm_backend_ops *ops;
   struct nvsvm_device_info info;
   bool svm_enabled;
   struct nvsvm_window window;
   void *backend_data;   /* owned by the backend, freed by destroy */
};

extern const struct nvsvm_backend_ops nvsvm_backend_nouveau;

#endif /* NVSVM_PRIV_H */
