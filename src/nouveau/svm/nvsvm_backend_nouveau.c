/* SPDX-License-Identifier: MIT */
/*
 * The nouveau backend: a nouveau DRM node, through libdrm and the uAPI
 * structs of nouveau_drm.h. SVM_INIT/SVM_BIND are shared with vsvm.
 */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <stdint.h>
/* xf86drm.h brings drm.h, which nouveau_drm.h needs first. */
#include <xf86drm.h>
#include <nouveau_drm.h>

#include "nvsvm_priv.h"

/* Major number of every DRM char device. */
#define NVSVM_DRM_MAJOR 226

static int
nouveau_getparam(int fd, uint64_t param, uint64_t *value)
{
   struct drm_nouveau_getparam gp = { .param = param };
   int ret;

   ret = drmCommandWriteRead(fd, DRM_NOUVEAU_GETPARAM, &gp, sizeof(gp));
   if (ret)
      return ret;
   *value = gp.value;
   return 0;
}

int
nvsvm_drm_probe_driver(struct nvsvm_device *dev, const char *want)
{
   drmVersionPtr ver;
   struct stat st;
   int ret = 0;

   if (fstat(dev->fd, &st) != 0)
      return -errno;
   if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != NVSVM_DRM_MAJOR)
      return -NVSVM_E_NOT_SUPPORTED;
   ver = drmGetVersion(dev->fd);
   if (!ver)
      return -NVSVM_E_NOT_SUPPORTED;
   if (!ver->name || strcmp(ver->name, want) != 0) {
      ret = -NVSVM_E_NOT_SUPPORTED;
      goto out;
   }
   nvsvm_strlcpy(dev->info.driver, ver->name, sizeof(dev->info.driver));
   dev->info.version_major = ver->version_major;
   dev->info.version_minor = ver->version_minor;
   dev->info.version_patchlevel = ver->version_patchlevel;
out:
   drmFreeVersion(ver);
   return ret;
}

static int
nouveau_probe(struct nvsvm_device *dev)
{
   uint64_t v;
   int ret;

   ret = nvsvm_drm_probe_driver(dev, "nouveau");
   if (ret)
      return ret;

   /* Both are informational: an old kernel without them is still ok. */
   if (nouveau_getparam(dev->fd, NOUVEAU_GETPARAM_CHIPSET_ID, &v) == 0)
      dev->info.chipset = (uint32_t)v;
   else
      nvsvm_debug("%s: GETPARAM CHIPSET_ID failed", dev->info.path);
   if (nouveau_getparam(dev->fd, NOUVEAU_GETPARAM_FB_SIZE, &v) == 0)
      dev->info.vram_size = v;
   else
      nvsvm_debug("%s: GETPARAM FB_SIZE failed", dev->info.path);
   return 0;
}

int
nvsvm_nouveau_svm_init(struct nvsvm_device *dev, uint64_t addr,
                       uint64_t size)
{
   struct drm_nouveau_svm_init args = {
      .unmanaged_addr = addr,
      .unmanaged_size = size,
   };

   return drmCommandWriteRead(dev->fd, DRM_NOUVEAU_SVM_INIT, &args,
                              sizeof(args));
}

int
nvsvm_nouveau_svm_bind(struct nvsvm_device *dev,
                       struct drm_nouveau_svm_bind *bind)
{
   /* WriteRead, not Write: a write-only ioctl never copies result back. */
   return drmCommandWriteRead(dev->fd, DRM_NOUVEAU_SVM_BIND, bind,
                              sizeof(*bind));
}

const struct nvsvm_backend_ops nvsvm_backend_nouveau = {
   .kind = NVSVM_BACKEND_NOUVEAU,
   .name = "nouveau",
   .probe = nouveau_probe,
   .svm_init = nvsvm_nouveau_svm_init,
   .svm_bind = nvsvm_nouveau_svm_bind,
};
