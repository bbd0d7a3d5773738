/* SPDX-License-Identifier: MIT */
/*
 * SVM for VM_BIND clients: VM_INIT with the SVM window (docs/uapi.md).
 * The same window as SVM_INIT's, reserved the same way, holding the
 * client's VM_BIND address space and, at its top, the kernel-managed
 * region; everything else mirrors the process.
 */

#include <errno.h>

#include "nvsvm_priv.h"

NVSVM_EXPORT int
nvsvm_vm_init(struct nvsvm_device *dev, const struct nvsvm_vm_params *params,
              struct nvsvm_vm_layout *out)
{
   uint64_t size, ksize;
   struct nvsvm_window win;
   int ret;

   if (!dev || !params || !out)
      return -EINVAL;
   *out = (struct nvsvm_vm_layout){ 0 };
   if (!dev->ops || !dev->ops->vm_init)
      return -NVSVM_E_NOT_SUPPORTED;
   /* One model per file, as the kernel says: no second window either. */
   if (dev->svm_enabled)
      return -EBUSY;

   ksize = params->kernel_managed_size;
   if (ksize % NVSVM_PAGE_SIZE)
      return -NVSVM_E_UNALIGNED;
   ret = nvsvm_window_size_for_device(dev, params->window_size, &size);
   if (ret)
      return ret;
   /* The client needs some VA of its own below the kernel's region. */
   if (ksize >= size)
      return -EINVAL;

   ret = nvsvm_window_reserve(size, params->window_hint, 0, &win);
   if (ret) {
      nvsvm_debug("%s: VM_INIT with SVM off, window: %s", dev->info.path,
                  nvsvm_strerror(ret));
      return ret;
   }
   ret = dev->ops->vm_init(dev, ksize ? win.addr + win.size - ksize : 0,
                           ksize, win.addr, win.size);
   if (ret) {
      nvsvm_debug("%s: VM_INIT with SVM %s: %s", dev->info.path,
                  nvsvm_error_name(ret), nvsvm_strerror(ret));
      nvsvm_window_release(&win);
      return ret;
   }
   dev->window = win;
   dev->svm_enabled = true;
   out->window = win;
   out->kernel_managed_size = ksize;
   out->kernel_managed_addr = ksize ? win.addr + win.size - ksize : 0;
   return 0;
}
