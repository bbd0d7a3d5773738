/* SPDX-License-Identifier: MIT */
/*
 * Migration: SVM_BIND to VRAM, encoded exactly as the kernel validates
 * it, and the way back to host, which nouveau does on CPU fault only.
 * Semantics in docs/migrate.md.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xf86drm.h>
#include "drm-uapi/nouveau_drm.h"

#include "nvsvm_maps.h"
#include "nvsvm_priv.h"

#define PAGE_MASK64 ((uint64_t)NVSVM_PAGE_SIZE - 1)

NVSVM_EXPORT int
nvsvm_bind_encode(const struct nvsvm_bind_req *req,
                  struct drm_nouveau_svm_bind *out)
{
   uint64_t header;

   if (!req || !out)
      return -EINVAL;
   /* The kernel's checks, in the kernel's order, with our own names. */
   if ((req->va_start | req->va_end) & PAGE_MASK64)
      return -NVSVM_E_BIND_UNALIGNED;
   if (req->va_start >= req->va_end)
      return -NVSVM_E_BIND_EMPTY;
   if (req->command != NOUVEAU_SVM_BIND_COMMAND__MIGRATE)
      return -NVSVM_E_BIND_COMMAND;
   if (req->priority > NOUVEAU_SVM_BIND_PRIORITY_MASK)
      return -NVSVM_E_BIND_PRIORITY;
   if (req->target != NOUVEAU_SVM_BIND_TARGET__GPU_VRAM)
      return -NVSVM_E_BIND_TARGET;
   if (req->stride != 0)
      return -NVSVM_E_BIND_STRIDE;

   header = (uint64_t)req->command << NOUVEAU_SVM_BIND_COMMAND_SHIFT |
            (uint64_t)req->priority << NOUVEAU_SVM_BIND_PRIORITY_SHIFT |
            (uint64_t)req->target << NOUVEAU_SVM_BIND_TARGET_SHIFT;
   /* Unreachable with the checks above; kept as the kernel's own rule. */
   if (header & ~NOUVEAU_SVM_BIND_VALID_MASK)
      return -NVSVM_E_BIND_TARGET;

   memset(out, 0, sizeof(*out));
   out->header = header;
   out->va_start = req->va_start;
   out->va_end = req->va_end;
   /* Old kernels (~5.3) migrated npages, not the range: always fill it. */
   out->npages = (req->va_end - req->va_start) / NVSVM_PAGE_SIZE;
   out->stride = 0;
   out->result = 0;
   out->reserved0 = 0;
   out->reserved1 = 0;
   return 0;
}

/* [ptr, ptr+len) widened to whole pages, as the kernel would do. */
static int
page_span(const void *ptr, size_t len, uint64_t *start, uint64_t *end)
{
   uint64_t a = (uintptr_t)ptr;

   if (!ptr)
      return -EINVAL;
   if (!len)
      return -NVSVM_E_BIND_EMPTY;
   if (a + len < a || a + len > UINT64_MAX - PAGE_MASK64)
      return -EINVAL;
   *start = a & ~PAGE_MASK64;
   *end = (a + len + PAGE_MASK64) & ~PAGE_MASK64;
   return 0;
}

NVSVM_EXPORT int
nvsvm_migrate_to_device(struct nvsvm_device *dev, void *ptr, size_t len,
                        uint64_t *migrated)
{
   struct drm_nouveau_svm_bind bind;
   struct nvsvm_bind_req req = {
      .command = NOUVEAU_SVM_BIND_COMMAND__MIGRATE,
      .target = NOUVEAU_SVM_BIND_TARGET__GPU_VRAM,
   };
   int ret;

   if (!dev)
      return -EINVAL;
   ret = page_span(ptr, len, &req.va_start, &req.va_end);
   if (ret)
      return ret;
   if (!dev->ops || !dev->ops->svm_bind)
      return -NVSVM_E_NOT_SUPPORTED;
   /* The kernel says -EINVAL here; we can say why. */
   if (!dev->svm_enabled)
      return -NVSVM_E_NO_SVM;
   ret = nvsvm_bind_encode(&req, &bind);
   if (ret)
      return ret;
   ret = dev->ops->svm_bind(dev, &bind);
   if (ret) {
      nvsvm_debug("%s: SVM_BIND [0x%llx, 0x%llx): %s", dev->info.path,
                  (unsigned long long)req.va_start,
                  (unsigned long long)req.va_end, nvsvm_error_name(ret));
      return ret;
   }
   if (migrated)
      *migrated = bind.result;
   return 0;
}

/*
 * Fault one page in for writing without changing it, even with other
 * threads writing: a CAS of the byte with itself either stores (a write
 * fault) or fails because someone else just stored, which faulted the
 * page in for us. A plain atomic add of 0 would not do: compilers may
 * lower an idempotent RMW to a fenced load, a read fault.
 */
static void
touch_write(volatile uint8_t *p)
{
   uint8_t v = __atomic_load_n(p, __ATOMIC_RELAXED);

   __atomic_compare_exchange_n(p, &v, v, false, __ATOMIC_RELAXED,
                               __ATOMIC_RELAXED);
}

static void
touch_read(const volatile uint8_t *p)
{
   (void)__atomic_load_n(p, __ATOMIC_RELAXED);
}

/*
 * Check that every page of [start, end) is mapped and readable before
 * touching any, so bad input is an error, not SIGSEGV.
 */
static int
host_span_check(uint64_t start, uint64_t end)
{
   uint64_t covered = start;
   struct nvsvm_vma vma;
   size_t len, pos = 0;
   char *buf;
   int ret;

   ret = nvsvm_proc_read_maps("/proc/self/maps", end, &buf, &len);
   if (ret)
      return ret;
   while (covered < end && (ret = nvsvm_maps_next(buf, len, &pos, &vma))) {
      if (ret < 0)
         break;
      if (vma.end <= covered)
         continue;
      if (vma.start > covered || !vma.read) {
         ret = -NVSVM_E_RANGE;
         break;
      }
      covered = vma.end;
   }
   free(buf);
   if (ret < 0)
      return ret;
   return covered >= end ? 0 : -NVSVM_E_RANGE;
}

/* Per page: writable mappings get a write fault, others a read fault. */
static int
host_fault_in(uint64_t start, uint64_t end)
{
   struct nvsvm_vma vma;
   size_t len, pos = 0;
   char *buf;
   int ret;

   ret = nvsvm_proc_read_maps("/proc/self/maps", end, &buf, &len);
   if (ret)
      return ret;
   while ((ret = nvsvm_maps_next(buf, len, &pos, &vma)) == 1) {
      uint64_t a = vma.start > start ? vma.start : start;
      uint64_t e = vma.end < end ? vma.end : end;

      for (; a < e; a += NVSVM_PAGE_SIZE) {
         if (vma.write)
            touch_write((volatile uint8_t *)(uintptr_t)a);
         else
            touch_read((const volatile uint8_t *)(uintptr_t)a);
      }
   }
   free(buf);
   return ret < 0 ? ret : 0;
}

NVSVM_EXPORT int
nvsvm_migrate_to_host(struct nvsvm_device *dev, void *ptr, size_t len,
                      unsigned flags)
{
   uint64_t start, end, in_start, in_end;
   int ret;

   if (!dev)
      return -EINVAL;
   if (flags & ~(unsigned)NVSVM_MIGRATE_CONTENT_UNDEFINED)
      return -EINVAL;
   ret = page_span(ptr, len, &start, &end);
   if (ret)
      return ret;
   ret = host_span_check(start, end);
   if (ret) {
      nvsvm_debug("migrate to host [0x%llx, 0x%llx): not all mapped and "
                  "readable", (unsigned long long)start,
                  (unsigned long long)end);
      return ret;
   }
   if (!(flags & NVSVM_MIGRATE_CONTENT_UNDEFINED))
      return host_fault_in(start, end);

   /*
    * Only pages wholly inside the caller's range may be discarded; the
    * partial pages at either edge hold someone else's bytes too, so they
    * are faulted in like any preserved page.
    */
   in_start = ((uintptr_t)ptr + PAGE_MASK64) & ~PAGE_MASK64;
   in_end = ((uintptr_t)ptr + len) & ~PAGE_MASK64;
   if (in_start >= in_end)
      return host_fault_in(start, end);
   if (madvise((void *)(uintptr_t)in_start, in_end - in_start,
               MADV_DONTNEED) != 0)
      return -errno;
   ret = 0;
   if (start < in_start)
      ret = host_fault_in(start, in_start);
   if (!ret && in_end < end)
      ret = host_fault_in(in_end, end);
   return ret;
}
