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
/* xf86drm.h brings drm.h, which nouveau_drm.h includes. */
#include <xf86drm.h>
#include "drm-uapi/nouveau_drm.h"

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

/*
 * The design's extension of nouveau's VM_INIT (docs/uapi.md): upstream's
 * two fields, then the SVM flag and window. Not in any kernel header yet.
 */
struct nvsvm_nouveau_vm_init {
   uint64_t kernel_managed_addr;
   uint64_t kernel_managed_size;
   uint64_t flags;
   uint64_t unmanaged_addr;
   uint64_t unmanaged_size;
};
#define NVSVM_NOUVEAU_VM_INIT_SVM (1ull << 0)
#define NVSVM_NOUVEAU_GETPARAM_VM_INIT_SVM 21

int
nvsvm_nouveau_vm_init(struct nvsvm_device *dev, uint64_t kernel_addr,
                      uint64_t kernel_size, uint64_t window_addr,
                      uint64_t window_size)
{
   struct nvsvm_nouveau_vm_init args = {
      .kernel_managed_addr = kernel_addr,
      .kernel_managed_size = kernel_size,
      .flags = NVSVM_NOUVEAU_VM_INIT_SVM,
      .unmanaged_addr = window_addr,
      .unmanaged_size = window_size,
   };
   uint64_t ok = 0;
   int ret;

   /*
    * drm copies a larger struct than the kernel's and hands the driver
    * its own 16 bytes: without this answer the flag could be dropped and
    * VM_INIT still succeed.
    */
   ret = nouveau_getparam(dev->fd, NVSVM_NOUVEAU_GETPARAM_VM_INIT_SVM, &ok);
   if (ret || ok != 1) {
      nvsvm_debug("%s: GETPARAM VM_INIT_SVM: %s", dev->info.path,
                  ret ? nvsvm_error_name(ret) : "0");
      return -NVSVM_E_VM_INIT_UNCONFIRMED;
   }
   return drmCommandWriteRead(dev->fd, DRM_NOUVEAU_VM_INIT, &args,
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

NVSVM_EXPORT const char *
nvsvm_chipset_family(uint32_t chipset)
{
   /* nvkm's chipset ranges (nvkm/engine/device/base.c). */
   static const struct {
      uint32_t first, last;
      const char *name;
   } families[] = {
      { 0x004, 0x005, "Fahrenheit" }, { 0x010, 0x01f, "Celsius" },
      { 0x020, 0x02f, "Kelvin" },     { 0x030, 0x03f, "Rankine" },
      { 0x040, 0x04f, "Curie" },      { 0x060, 0x06f, "Curie" },
      { 0x050, 0x050, "Tesla" },      { 0x080, 0x0af, "Tesla" },
      { 0x0c0, 0x0df, "Fermi" },      { 0x0e0, 0x10f, "Kepler" },
      { 0x110, 0x12f, "Maxwell" },    { 0x130, 0x13f, "Pascal" },
      { 0x140, 0x15f, "Volta" },      { 0x160, 0x16f, "Turing" },
      { 0x170, 0x17f, "Ampere" },     { 0x180, 0x18f, "Hopper" },
      { 0x190, 0x19f, "Ada" },        { 0x1a0, 0x1bf, "Blackwell" },
   };

   for (unsigned i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
      if (chipset >= families[i].first && chipset <= families[i].last)
         return families[i].name;
   }
   return "unknown";
}

const struct nvsvm_backend_ops nvsvm_backend_nouveau = {
   .kind = NVSVM_BACKEND_NOUVEAU,
   .name = "nouveau",
   .probe = nouveau_probe,
   .svm_init = nvsvm_nouveau_svm_init,
   .svm_bind = nvsvm_nouveau_svm_bind,
   .vm_init = nvsvm_nouveau_vm_init,
   .atomic_range_fault = nvsvm_nouveau_atomic_range_fault,
};
