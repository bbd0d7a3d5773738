/* SPDX-License-Identifier: MIT */
/*
 * Raw nouveau SVM ioctls, past the library's own checks: what the kernel
 * side answers to exactly these arguments.
 */
#ifndef VT_RAW_H
#define VT_RAW_H

#include <stdint.h>

#include "drm-uapi/nouveau_drm.h"
#include <xf86drm.h>

/* SVM_INIT as is: 0 or the kernel's -errno. */
static inline int
vt_raw_svm_init(int fd, uint64_t addr, uint64_t size)
{
   struct drm_nouveau_svm_init a = {
      .unmanaged_addr = addr,
      .unmanaged_size = size,
   };

   return drmCommandWriteRead(fd, DRM_NOUVEAU_SVM_INIT, &a, sizeof(a));
}

#endif /* VT_RAW_H */
