/* SPDX-License-Identifier: MIT */
/*
 * Public calls for test devices' device memory (migrate there and back),
 * their page-table snapshot, and the per-device counters.
 */

#include <errno.h>

#include "nvsvm_priv.h"

/* Whole pages only, as the kernel's devices want them. */
static int
devmem_pages(const void *ptr, size_t len, uint64_t *npages)
{
   uintptr_t a = (uintptr_t)ptr;

   if (!ptr || !len)
      return -EINVAL;
   if ((a | len) & (NVSVM_PAGE_SIZE - 1))
      return -NVSVM_E_UNALIGNED;
   if (a + len < a)
      return -EINVAL;
   *npages = len / NVSVM_PAGE_SIZE;
   return 0;
}

int
nvsvm_device_migrate_to_dev_mem(struct nvsvm_device *dev, void *ptr,
                                size_t len, uint64_t *migrated)
{
   uint64_t npages, dummy;
   int ret;

   if (!dev)
      return -EINVAL;
   ret = devmem_pages(ptr, len, &npages);
   if (ret)
      return ret;
   return nvsvm_backend_call(dev, migrate_to_dev_mem, (uintptr_t)ptr,
                             npages, migrated ? migrated : &dummy);
}

int
nvsvm_device_migrate_to_sys_mem(struct nvsvm_device *dev, void *ptr,
                                size_t len, uint64_t *migrated)
{
   uint64_t npages, dummy;
   int ret;

   if (!dev)
      return -EINVAL;
   ret = devmem_pages(ptr, len, &npages);
   if (ret)
      return ret;
   return nvsvm_backend_call(dev, migrate_to_sys_mem, (uintptr_t)ptr,
                             npages, migrated ? migrated : &dummy);
}

int
nvsvm_device_snapshot(struct nvsvm_device *dev, const void *ptr, size_t len,
                      uint8_t *perms)
{
   uint64_t npages;
   int ret;

   if (!dev || !perms)
      return -EINVAL;
   ret = devmem_pages(ptr, len, &npages);
   if (ret)
      return ret;
   return nvsvm_backend_call(dev, snapshot, (uintptr_t)ptr, npages, perms);
}

int
nvsvm_device_get_stats(const struct nvsvm_device *dev,
                       struct nvsvm_device_stats *out)
{
   if (!dev || !out)
      return -EINVAL;
   out->conversions = __atomic_load_n(&dev->stats.conversions,
                                      __ATOMIC_RELAXED);
   out->retries = __atomic_load_n(&dev->stats.retries, __ATOMIC_RELAXED);
   return 0;
}
