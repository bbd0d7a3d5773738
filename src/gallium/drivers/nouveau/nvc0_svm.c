/* SPDX-License-Identifier: MIT */
/*
 * nvc0 SVM hooks: what Mesa's nvc0 screen and context call to set up SVM,
 * report capabilities the kernel actually granted, and migrate.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "nouveau/svm/nvsvm_os.h"
#include "nvsvm/nvsvm.h"
#include "nvc0_svm.h"

/* Mesa's boolean env convention: 1/true/yes/on, 0/false/no/off. */
static int
nvc0_svm_env_bool(const char *name, int dflt)
{
   const char *v = nvsvm_getenv(name);

   if (!v || !*v)
      return dflt;
   if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
       !strcasecmp(v, "on"))
      return 1;
   if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
       !strcasecmp(v, "off"))
      return 0;
   return -1;
}

static void
nvc0_svm_log(struct nvc0_svm *svm, enum nvc0_svm_log_level level,
             const char *fmt, ...)
{
   char msg[256];
   va_list ap;

   va_start(ap, fmt);
   vsnprintf(msg, sizeof(msg), fmt, ap);
   va_end(ap);

   if (svm->log) {
      svm->log(svm->log_data, level, msg);
      return;
   }
   /* Without a debug callback, errors still reach the user; info only
    * on request (NOUVEAU_SVM_DEBUG), as the screen's callback does. */
   if (level == NVC0_SVM_LOG_ERROR ||
       nvc0_svm_env_bool("NOUVEAU_SVM_DEBUG", 0) == 1)
      nvsvm_log_line(level == NVC0_SVM_LOG_ERROR, "nouveau: svm", msg);
}

static void
nvc0_svm_off(struct nvc0_svm *svm, int err, const char *fmt, ...)
{
   va_list ap;

   svm->enabled = false;
   svm->init_error = err;
   memset(&svm->caps, 0, sizeof(svm->caps));
   va_start(ap, fmt);
   vsnprintf(svm->reason, sizeof(svm->reason), fmt, ap);
   va_end(ap);
}

int
nvc0_svm_screen_init(struct nvc0_svm *svm, int fd,
                     const struct nvc0_svm_screen_params *params)
{
   struct nvsvm_svm_params p = { 0 };
   struct nvsvm_window win = { 0 };
   int want, check, ret;

   if (!svm || !params)
      return -EINVAL;
   memset(svm, 0, sizeof(*svm));
   svm->log = params->log;
   svm->log_data = params->log_data;

#ifdef NDEBUG
   check = nvc0_svm_env_bool("NOUVEAU_SVM_CHECK", 0);
#else
   check = nvc0_svm_env_bool("NOUVEAU_SVM_CHECK", 1);
#endif
   svm->check_ranges = check == 1;
   if (check < 0)
      nvc0_svm_log(svm, NVC0_SVM_LOG_ERROR,
                   "NOUVEAU_SVM_CHECK=%s is not a boolean; range checks off",
                   nvsvm_getenv("NOUVEAU_SVM_CHECK"));

   /* Opt-in, as in Mesa today: a GPU channel killed by a failed atomic
    * fault is worse than no SVM for programs that never asked. */
   want = nvc0_svm_env_bool("NOUVEAU_SVM", 0);
   if (want < 0) {
      nvc0_svm_off(svm, -EINVAL, "NOUVEAU_SVM=%s is not a boolean",
                   nvsvm_getenv("NOUVEAU_SVM"));
      goto off;
   }
   if (!want) {
      nvc0_svm_off(svm, 0, "SVM not requested (set NOUVEAU_SVM=1)");
      goto off;
   }

   ret = nvsvm_device_open_fd(fd, &svm->dev);
   if (ret) {
      nvc0_svm_off(svm, ret, "fd %d is not an SVM-capable device: %s (%s)",
                   fd, nvsvm_strerror(ret), nvsvm_error_name(ret));
      goto off;
   }
   /* The screen knows VRAM already; NVSVM_WINDOW_SIZE, read by the
    * library, overrides it. */
   if (!nvsvm_getenv("NVSVM_WINDOW_SIZE") && params->vram_size)
      p.window_size = nvsvm_window_size_for_vram(params->vram_size);

   ret = nvsvm_svm_init(svm->dev, &p);
   if (ret) {
      nvc0_svm_off(svm, ret, "SVM setup failed: %s (%s)",
                   nvsvm_svm_init_strerror(ret), nvsvm_error_name(ret));
      nvsvm_device_close(svm->dev);
      svm->dev = NULL;
      goto off;
   }

   /*
    * With the kernel mirroring our mm, any malloc pointer is valid on the
    * GPU (fine-grain system), and a GPU atomic on it faults into
    * make_device_exclusive, which makes it atomic against the CPU.
    */
   svm->enabled = true;
   svm->caps.system_svm = true;
   svm->caps.fine_grain_system = true;
   svm->caps.atomics = true;
   nvsvm_svm_window(svm->dev, &win);
   snprintf(svm->reason, sizeof(svm->reason),
            "SVM on (chipset 0x%x, window 0x%llx+%llu MiB)",
            params->chipset, (unsigned long long)win.addr,
            (unsigned long long)(win.size >> 20));
   nvc0_svm_log(svm, NVC0_SVM_LOG_INFO, "%s", svm->reason);
   return 0;

off:
   nvc0_svm_log(svm, svm->init_error && svm->init_error != -ENOSYS ?
                NVC0_SVM_LOG_ERROR : NVC0_SVM_LOG_INFO,
                "SVM off: %s", svm->reason);
   return svm->init_error ? svm->init_error : -ENODEV;
}

void
nvc0_svm_screen_fini(struct nvc0_svm *svm)
{
   struct nvsvm_window win = { 0 };
   bool window = false;

   if (!svm)
      return;
   if (svm->dev) {
      window = nvsvm_svm_window(svm->dev, &win) == 0;
      nvsvm_device_close(svm->dev);
   }
   /*
    * The library keeps a borrowed fd's window reserved (the fd's GPU
    * address space outlives the device handle); the screen closes its fd
    * right after this, so the reservation goes now, exactly once.
    */
   if (window)
      nvsvm_window_release(&win);
   svm->dev = NULL;
   svm->enabled = false;
   memset(&svm->caps, 0, sizeof(svm->caps));
}

void
nvc0_svm_set_alloc_size_cb(struct nvc0_svm *svm, nvc0_svm_alloc_size_fn fn,
                           void *data)
{
   svm->alloc_size = fn;
   svm->alloc_size_data = data;
}

static int
nvc0_svm_migrate_one(struct nvc0_svm *svm, const void *ptr, size_t size,
                     bool to_device, bool content_undefined)
{
   uint64_t migrated = 0;
   int ret;

   if (!size && svm->alloc_size)
      size = svm->alloc_size(svm->alloc_size_data, ptr);
   if (!size) {
      nvc0_svm_log(svm, NVC0_SVM_LOG_ERROR,
                   "svm_migrate %p: no size given and the allocation is "
                   "unknown; refusing to guess", ptr);
      return -EINVAL;
   }

   if (to_device) {
      ret = nvsvm_migrate_to_device(svm->dev, (void *)ptr, size, &migrated);
      if (!ret) {
         uintptr_t first = (uintptr_t)ptr & ~(uintptr_t)4095;
         uintptr_t end = ((uintptr_t)ptr + size + 4095) & ~(uintptr_t)4095;

         svm->stats.pages_to_device += (end - first) / 4096;
         svm->stats.bind_result += migrated;
      }
   } else {
      ret = nvsvm_migrate_to_host(svm->dev, (void *)ptr, size,
                                  content_undefined ?
                                  NVSVM_MIGRATE_CONTENT_UNDEFINED : 0);
      if (!ret)
         svm->stats.ranges_to_host++;
   }
   if (ret)
      nvc0_svm_log(svm, NVC0_SVM_LOG_ERROR,
                   "svm_migrate %p+%zu to %s: %s (%s)", ptr, size,
                   to_device ? "VRAM" : "host", nvsvm_strerror(ret),
                   nvsvm_error_name(ret));
   return ret;
}

unsigned
nvc0_svm_migrate(struct nvc0_svm *svm, unsigned num_ptrs,
                 const void *const *ptrs, const size_t *sizes,
                 bool to_device, bool content_undefined)
{
   unsigned failed = 0;

   if (!svm)
      return num_ptrs;
   svm->stats.migrate_calls++;
   if (!svm->enabled) {
      nvc0_svm_log(svm, NVC0_SVM_LOG_ERROR,
                   "svm_migrate of %u ranges with SVM off: %s", num_ptrs,
                   svm->reason);
      svm->stats.migrate_errors += num_ptrs;
      return num_ptrs;
   }
   for (unsigned i = 0; i < num_ptrs; i++) {
      if (nvc0_svm_migrate_one(svm, ptrs[i], sizes ? sizes[i] : 0,
                               to_device, content_undefined)) {
         failed++;
         svm->stats.migrate_errors++;
      }
   }
   return failed;
}

int
nvc0_svm_check_atomic_range(struct nvc0_svm *svm, const void *ptr,
                            size_t len)
{
   struct nvsvm_range_report rep;
   int ret;

   if (!svm || !svm->check_ranges)
      return 0;
   ret = nvsvm_range_check(ptr, len, 0, &rep);
   if (ret == -NVSVM_E_RANGE) {
      svm->stats.range_warnings++;
      nvc0_svm_log(svm, NVC0_SVM_LOG_ERROR,
                   "atomics on %p+%zu will kill the channel: %s (%s) at "
                   "0x%llx in [0x%llx-0x%llx] %s", ptr, len,
                   nvsvm_range_reason_str(rep.reason),
                   nvsvm_range_reason_name(rep.reason),
                   (unsigned long long)rep.bad_addr,
                   (unsigned long long)rep.vma_start,
                   (unsigned long long)rep.vma_end, rep.vma_name);
      return ret;
   }
   if (ret) {
      nvc0_svm_log(svm, NVC0_SVM_LOG_ERROR, "range check of %p+%zu: %s",
                   ptr, len, nvsvm_strerror(ret));
      return ret;
   }
   if (rep.warnings & NVSVM_RANGE_WARN_THP)
      nvc0_svm_log(svm, NVC0_SVM_LOG_ERROR,
                   "atomics on %p+%zu: %s", ptr, len,
                   nvsvm_range_warning_str(NVSVM_RANGE_WARN_THP));
   return 0;
}

/* Whole-call time bounds a prefault may run into before it gives up. */
#define NVC0_SVM_PREFAULT_RESUMES 4

int
nvc0_svm_prefault_atomic(struct nvc0_svm *svm, const void *ptr, size_t len)
{
   struct nvsvm_atomic_fault_report rep;
   int ret;

   if (!svm || !svm->enabled || svm->prefault_unsupported || !len)
      return 0;
   svm->stats.prefault_calls++;
   ret = nvsvm_atomic_range_fault(svm->dev, (void *)ptr, len, &rep);
   svm->stats.prefault_pages += rep.converted;
   /* The kernel bounds each call; resume a few times, then leave the
    * rest to first-touch faults. */
   for (unsigned i = 0; i < NVC0_SVM_PREFAULT_RESUMES &&
        ret == -NVSVM_E_ATOMIC_FAULT_STOPPED &&
        rep.fault_errno == -ETIMEDOUT; i++) {
      ret = nvsvm_atomic_range_fault(svm->dev,
                                     (void *)(uintptr_t)rep.fault_addr,
                                     rep.end - rep.fault_addr, &rep);
      svm->stats.prefault_pages += rep.converted;
   }
   if (ret == -NVSVM_E_ATOMIC_FAULT_UNSUPPORTED) {
      /* Today's behaviour: the GPU converts each page on first touch. */
      svm->prefault_unsupported = true;
      nvc0_svm_log(svm, NVC0_SVM_LOG_INFO,
                   "atomic prefault off, first-touch faults instead: %s (%s)",
                   nvsvm_error_name(ret), nvsvm_strerror(ret));
      return 0;
   }
   if (ret == -NVSVM_E_ATOMIC_FAULT_STOPPED) {
      svm->stats.prefault_errors++;
      nvc0_svm_log(svm, NVC0_SVM_LOG_ERROR,
                   "atomics on %p+%zu: page 0x%llx refused (%s: %s); "
                   "%llu pages before it converted",
                   ptr, len, (unsigned long long)rep.fault_addr,
                   nvsvm_error_name(rep.fault_errno),
                   strerror(-rep.fault_errno),
                   (unsigned long long)rep.converted);
      return rep.fault_errno;
   }
   if (ret) {
      svm->stats.prefault_errors++;
      nvc0_svm_log(svm, NVC0_SVM_LOG_ERROR, "atomic prefault of %p+%zu: %s",
                   ptr, len, nvsvm_strerror(ret));
   }
   return ret;
}

unsigned
nvc0_svm_prepare_launch(struct nvc0_svm *svm, unsigned num_ranges,
                        const void *const *ptrs, const size_t *sizes,
                        const bool *atomics)
{
   unsigned bad = 0;

   if (!svm || !svm->enabled)
      return 0;
   for (unsigned i = 0; i < num_ranges; i++) {
      size_t len = sizes ? sizes[i] : 0;
      bool known;

      if (!ptrs[i])
         continue;
      if (!len && svm->alloc_size)
         len = svm->alloc_size(svm->alloc_size_data, ptrs[i]);
      known = len != 0;
      if (nvc0_svm_check_atomic_range(svm, ptrs[i], known ? len : 1)) {
         bad++;
         continue;
      }
      /* A prefault that ran out of time leaves the rest to first-touch
       * faults: not a reason to stop the launch. */
      if (atomics && atomics[i] && known) {
         int ret = nvc0_svm_prefault_atomic(svm, ptrs[i], len);
         if (ret < 0 && ret != -ETIMEDOUT)
            bad++;
      }
   }
   return bad;
}
