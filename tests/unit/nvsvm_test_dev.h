/* SPDX-License-Identifier: MIT */
/*
 * Test helpers that need libnvsvm internals: a device handle wired to the
 * real nouveau backend over a file that is no DRM device, so ioctls reach
 * the kernel and fail there for real (ENOTTY) without any GPU.
 */
#ifndef NVSVM_TEST_DEV_H
#define NVSVM_TEST_DEV_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nvsvm_priv.h"

static inline struct nvsvm_device *
nvsvm_test_devnull_nouveau(void)
{
   struct nvsvm_device *dev = calloc(1, sizeof(*dev));

   if (!dev)
      return NULL;
   dev->fd = open("/dev/null", O_RDWR | O_CLOEXEC);
   if (dev->fd < 0) {
      free(dev);
      return NULL;
   }
   dev->owns_fd = true;
   dev->ops = &nvsvm_backend_nouveau;
   nvsvm_strlcpy(dev->info.path, "/dev/null", sizeof(dev->info.path));
   return dev;
}

/* true while any page of [addr, addr+len) is mapped. */
static inline bool
nvsvm_test_mapped(uint64_t addr, uint64_t len)
{
   for (uint64_t a = addr; a < addr + len; a += 4096) {
      if (msync((void *)(uintptr_t)a, 4096, MS_ASYNC) == 0)
         return true;
   }
   return false;
}

/*
 * A size-aligned address with n free size-sized slots from it, found by
 * letting the kernel place a mapping and giving it back.
 */
static inline uint64_t
nvsvm_test_free_slot(uint64_t size, unsigned n)
{
   void *p = mmap(NULL, size * (n + 1), PROT_NONE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
   uint64_t a;

   if (p == MAP_FAILED)
      return 0;
   munmap(p, size * (n + 1));
   a = ((uintptr_t)p + size - 1) & ~(size - 1);
   return a;
}

#endif /* NVSVM_TEST_DEV_H */
