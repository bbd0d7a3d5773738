/* SPDX-License-Identifier: MIT */
/*
 * Atomic range fault: make a range device-exclusive and mapped for device
 * atomics ahead of a launch. nouveau and vsvm: SVM_BIND command
 * ATOMIC_FAULT (docs/uapi.md); the hmm test device: its EXCLUSIVE
 * command, one page at a time, with the same report and time bound.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

/* xf86drm.h brings drm.h, which nouveau_drm.h includes. */
#include <xf86drm.h>
#include "drm-uapi/nouveau_drm.h"

#include "nvsvm_priv.h"
#include "nvsvm_time.h"

/* The command of the nouveau series; headers may not carry it yet. */
#ifndef NOUVEAU_SVM_BIND_COMMAND__ATOMIC_FAULT
#define NOUVEAU_SVM_BIND_COMMAND__ATOMIC_FAULT 1
#endif

/* The kernel's whole-call bound, applied to the hmm loop too. */
#define NVSVM_ATOMIC_FAULT_BOUND_NS 1000000000ull

int
nvsvm_nouveau_atomic_range_fault(struct nvsvm_device *dev,
                                 struct nvsvm_atomic_fault_report *rep)
{
   struct drm_nouveau_svm_bind bind;
   int ret;

   memset(&bind, 0, sizeof(bind));
   bind.header = (uint64_t)NOUVEAU_SVM_BIND_COMMAND__ATOMIC_FAULT
                 << NOUVEAU_SVM_BIND_COMMAND_SHIFT;
   bind.va_start = rep->start;
   bind.va_end = rep->end;

   /*
    * Plain ioctl(), not drmIoctl(): -EINTR comes only with a fatal
    * signal, and a restart would redo a partial conversion.
    */
   ret = ioctl(dev->fd, DRM_IOCTL_NOUVEAU_SVM_BIND, &bind) ? -errno : 0;
   if (ret == -EINVAL) {
      /*
       * The request passed every check a kernel with the command makes
       * (nvsvm_atomic_range_fault did them), so -EINVAL is an unknown
       * command: a kernel without it.
       */
      return -NVSVM_E_ATOMIC_FAULT_UNSUPPORTED;
   }
   if (ret && ret != -EINTR)
      return ret;

   rep->converted = bind.result;
   rep->fault_addr = bind.reserved0;
   rep->fault_errno = (int)(int64_t)bind.reserved1;
   /* The uAPI's invariant: a kernel that breaks it is not trusted. */
   if (rep->fault_addr < rep->start || rep->fault_addr > rep->end ||
       rep->converted != (rep->fault_addr - rep->start) / NVSVM_PAGE_SIZE ||
       (rep->fault_addr == rep->end) != (rep->fault_errno == 0)) {
      nvsvm_debug("atomic range fault: inconsistent report: result %llu, "
                  "fault_addr 0x%llx, fault_errno %d for [0x%llx, 0x%llx)",
                  (unsigned long long)rep->converted,
                  (unsigned long long)rep->fault_addr, rep->fault_errno,
                  (unsigned long long)rep->start,
                  (unsigned long long)rep->end);
      return -EPROTO;
   }
   return ret;
}

int
nvsvm_hmm_atomic_range_fault(struct nvsvm_device *dev,
                             struct nvsvm_atomic_fault_report *rep)
{
   uint64_t deadline = nvsvm_time_ns() + NVSVM_ATOMIC_FAULT_BOUND_NS;
   uint64_t addr;
   int ret = 0;

   for (addr = rep->start; addr < rep->end; addr += NVSVM_PAGE_SIZE) {
      if (nvsvm_time_ns() > deadline) {
         ret = -ETIMEDOUT;
         break;
      }
      ret = dev->ops->atomic_fault(dev, addr, 1, NULL);
      if (ret)
         break;
      rep->converted++;
   }
   rep->fault_addr = addr;
   rep->fault_errno = ret;
   return 0;
}

NVSVM_EXPORT int
nvsvm_atomic_range_fault(struct nvsvm_device *dev, void *ptr, size_t len,
                         struct nvsvm_atomic_fault_report *report)
{
   struct nvsvm_atomic_fault_report rep;
   uint64_t start = (uintptr_t)ptr, end;
   int ret;

   memset(&rep, 0, sizeof(rep));
   if (!dev) {
      ret = -EINVAL;
      goto out;
   }
   if (len == 0 || start + len < start) {
      ret = -NVSVM_E_BIND_EMPTY;
      goto out;
   }
   end = start + len;
   rep.start = start & ~(uint64_t)(NVSVM_PAGE_SIZE - 1);
   rep.end = (end + NVSVM_PAGE_SIZE - 1) & ~(uint64_t)(NVSVM_PAGE_SIZE - 1);
   rep.fault_addr = rep.start;
   if (rep.end == 0) {
      ret = -NVSVM_E_BIND_EMPTY;
      goto out;
   }
   if (!dev->ops || !dev->ops->atomic_range_fault) {
      ret = -NVSVM_E_NOT_SUPPORTED;
      goto out;
   }
   /* SVM_BIND's own checks, so that -EINVAL can only mean "unknown". */
   if (dev->ops->svm_init) {
      if (!dev->svm_enabled) {
         ret = -NVSVM_E_NO_SVM;
         goto out;
      }
      if (dev->window.size &&
          rep.start < dev->window.addr + dev->window.size &&
          rep.end > dev->window.addr) {
         ret = -NVSVM_E_IN_WINDOW;
         goto out;
      }
   }

   ret = dev->ops->atomic_range_fault(dev, &rep);
   if (ret == 0 && rep.fault_errno)
      ret = -NVSVM_E_ATOMIC_FAULT_STOPPED;
   nvsvm_debug("atomic range fault [0x%llx, 0x%llx) on %s: %s, %llu "
               "converted, stopped at 0x%llx (%s)",
               (unsigned long long)rep.start, (unsigned long long)rep.end,
               dev->ops->name, nvsvm_error_name(ret),
               (unsigned long long)rep.converted,
               (unsigned long long)rep.fault_addr,
               nvsvm_error_name(rep.fault_errno));
out:
   if (report)
      *report = rep;
   return ret;
}
