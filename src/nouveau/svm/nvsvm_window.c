/* SPDX-License-Identifier: MIT */
/*
 * The unmanaged window and SVM_INIT: GPU VA the kernel keeps for buffer
 * objects, which must also be kept out of the CPU's reach (a PROT_NONE
 * reservation), so no CPU pointer ever lands where the GPU does not
 * mirror it.
 */

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "nvsvm_maps.h"
#include "nvsvm_os.h"
#include "nvsvm_priv.h"

/* 47-bit user VA, the x86-64/arm64 default without 5-level opt-in. */
#define NVSVM_USER_VA_LIMIT (1ull << 47)
/*
 * Default first slot: above the low 4 GiB, where non-PIE binaries and
 * their brk heap grow, yet low enough for a 40-bit GPU VA space.
 */
#define NVSVM_WINDOW_DEFAULT_HINT (1ull << 32)
/*
 * Slots tried before giving up. Occupied ranges are skipped whole (see
 * window_next_slot), so this bounds only races and old kernels that
 * treat MAP_FIXED_NOREPLACE as a hint.
 */
#define NVSVM_WINDOW_MAX_TRIES 64

static bool
is_pow2(uint64_t v)
{
   return v && !(v & (v - 1));
}

NVSVM_EXPORT uint64_t
nvsvm_window_size_for_vram(uint64_t vram_size)
{
   uint64_t size = NVSVM_WINDOW_MIN_SIZE;

   while (size < vram_size && size < NVSVM_WINDOW_MAX_SIZE)
      size <<= 1;
   return size;
}

/*
 * After EEXIST at addr: the first aligned slot past every mapping that
 * overlaps [addr, addr + size), so a 16 TiB sanitizer shadow costs one
 * try, not millions. Falls back to the next slot if maps cannot tell.
 */
static uint64_t
window_next_slot(uint64_t addr, uint64_t size)
{
   uint64_t next = addr + size, busy_end = 0;
   struct nvsvm_vma vma;
   size_t len, pos = 0;
   char *buf;

   if (nvsvm_proc_read_maps("/proc/self/maps", addr + size, &buf, &len))
      return next;
   while (nvsvm_maps_next(buf, len, &pos, &vma) == 1) {
      if (vma.end > addr && vma.start < addr + size && vma.end > busy_end)
         busy_end = vma.end;
   }
   free(buf);
   if (busy_end > next) {
      next = (busy_end + size - 1) & ~(size - 1);
      /* Rounding up past 2^64 means there is no slot left. */
      if (next < busy_end)
         return 0;
   }
   return next;
}

NVSVM_EXPORT int
nvsvm_window_reserve(uint64_t size, uint64_t hint, uint64_t limit,
                     struct nvsvm_window *out)
{
   uint64_t addr;

   if (!out)
      return -EINVAL;
   out->addr = out->size = 0;
   out->reserved = false;
   if (!is_pow2(size) || size < NVSVM_WINDOW_MIN_SIZE ||
       size > NVSVM_WINDOW_MAX_SIZE)
      return -NVSVM_E_WINDOW_SIZE;
   if (!limit)
      limit = NVSVM_USER_VA_LIMIT;
   if (!hint)
      hint = size > NVSVM_WINDOW_DEFAULT_HINT ? size
                                              : NVSVM_WINDOW_DEFAULT_HINT;
   addr = (hint + size - 1) & ~(size - 1);
   if (addr < hint)
      return -NVSVM_E_WINDOW_NO_SLOT;

   for (unsigned tries = 0; tries < NVSVM_WINDOW_MAX_TRIES; tries++) {
      void *want, *got;

      if (addr == 0 || addr + size < addr || addr + size > limit)
         break;
      want = (void *)(uintptr_t)addr;
      got = mmap(want, size, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
                 MAP_FIXED_NOREPLACE, -1, 0);
      if (got == want) {
         out->addr = addr;
         out->size = size;
         out->reserved = true;
         nvsvm_debug("window reserved at 0x%llx, %llu MiB",
                     (unsigned long long)addr,
                     (unsigned long long)(size >> 20));
         return 0;
      }
      if (got != MAP_FAILED) {
         /* Kernels before 4.17 take the flag as a hint: not our slot. */
         munmap(got, size);
      } else if (errno != EEXIST) {
         int ret = -errno;

         nvsvm_debug("window mmap at 0x%llx: %s", (unsigned long long)addr,
                     nvsvm_error_name(ret));
         return ret;
      }
      addr = window_next_slot(addr, size);
   }
   nvsvm_debug("no free %llu MiB slot below 0x%llx",
               (unsigned long long)(size >> 20), (unsigned long long)limit);
   return -NVSVM_E_WINDOW_NO_SLOT;
}

NVSVM_EXPORT void
nvsvm_window_release(struct nvsvm_window *win)
{
   if (!win || !win->reserved)
      return;
   munmap((void *)(uintptr_t)win->addr, win->size);
   win->reserved = false;
   win->addr = win->size = 0;
}

/*
 * Caller's size, else NVSVM_WINDOW_SIZE, else the VRAM policy. A malformed
 * override is an error, not a silent fallback to the policy.
 */
int
nvsvm_window_size_for_device(const struct nvsvm_device *dev,
                             uint64_t requested, uint64_t *size)
{
   int ret;

   if (requested) {
      *size = requested;
      return 0;
   }
   ret = nvsvm_env_size("NVSVM_WINDOW_SIZE", size);
   if (ret == 0)
      return 0;
   if (ret != -ENOENT) {
      nvsvm_debug("NVSVM_WINDOW_SIZE=%s is not a size",
                  nvsvm_getenv("NVSVM_WINDOW_SIZE"));
      return -NVSVM_E_WINDOW_SIZE;
   }
   *size = nvsvm_window_size_for_vram(dev->info.vram_size);
   return 0;
}

NVSVM_EXPORT int
nvsvm_svm_init(struct nvsvm_device *dev,
               const struct nvsvm_svm_params *params)
{
   struct nvsvm_window win;
   uint64_t size;
   int ret;

   if (!dev)
      return -EINVAL;
   if (!dev->ops || !dev->ops->svm_init)
      return -NVSVM_E_NOT_SUPPORTED;
   /* The kernel would say the same; we would leak a second window. */
   if (dev->svm_enabled)
      return -EBUSY;

   ret = nvsvm_window_size_for_device(dev, params ? params->window_size : 0,
                                      &size);
   if (ret)
      return ret;
   ret = nvsvm_window_reserve(size, params ? params->window_hint : 0, 0,
                              &win);
   if (ret) {
      nvsvm_debug("%s: SVM off, window: %s", dev->info.path,
                  nvsvm_strerror(ret));
      return ret;
   }
   ret = dev->ops->svm_init(dev, win.addr, win.size);
   if (ret) {
      nvsvm_debug("%s: SVM off, SVM_INIT %s: %s", dev->info.path,
                  nvsvm_error_name(ret), nvsvm_svm_init_strerror(ret));
      nvsvm_window_release(&win);
      return ret;
   }
   dev->window = win;
   dev->svm_enabled = true;
   return 0;
}

NVSVM_EXPORT bool
nvsvm_svm_enabled(const struct nvsvm_device *dev)
{
   return dev && dev->svm_enabled;
}

NVSVM_EXPORT int
nvsvm_svm_window(const struct nvsvm_device *dev, struct nvsvm_window *out)
{
   if (!dev || !out)
      return -EINVAL;
   if (!dev->svm_enabled)
      return -NVSVM_E_NO_SVM;
   *out = dev->window;
   return 0;
}
