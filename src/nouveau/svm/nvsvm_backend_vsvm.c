/* SPDX-License-Identifier: MIT */
/*
 * The vsvm backend: our virtual SVM GPU (kernel/vsvm). SVM_INIT/SVM_BIND
 * are nouveau's own ioctls, so the nouveau backend's code runs them;
 * device programs (EXEC) and counters (STATS) are vsvm's test-only uAPI.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <xf86drm.h>

#include "nvsvm_priv.h"
#include "drm-uapi/vsvm_drm.h"

_Static_assert(sizeof(struct nvsvm_counters) ==
               sizeof(struct drm_vsvm_counters),
               "nvsvm_counters mirrors drm_vsvm_counters field for field");
_Static_assert(NVSVM_EXEC_MAX_LANES == DRM_VSVM_MAX_LANES &&
               NVSVM_EXEC_MAX_OPS == DRM_VSVM_MAX_OPS,
               "public limits are the kernel's");

static void
vsvm_counters_from(struct nvsvm_counters *out,
                   const struct drm_vsvm_counters *in)
{
   /* Same fields, same order, all 64-bit: see the assertion above. */
   memcpy(out, in, sizeof(*out));
}

static int
vsvm_probe(struct nvsvm_device *dev)
{
   struct drm_vsvm_info info;
   int ret;

   ret = nvsvm_drm_probe_driver(dev, VSVM_DRIVER_NAME);
   if (ret)
      return ret;

   memset(&info, 0, sizeof(info));
   if (drmIoctl(dev->fd, DRM_IOCTL_VSVM_INFO, &info) != 0) {
      ret = -errno;
      nvsvm_debug("%s: vsvm INFO: %s", dev->info.path,
                  nvsvm_error_name(ret));
      return ret;
   }
   if (info.version != DRM_VSVM_UAPI_VERSION) {
      nvsvm_debug("%s: vsvm uAPI version %u, library knows %u",
                  dev->info.path, info.version, DRM_VSVM_UAPI_VERSION);
      return -NVSVM_E_KERNEL_UNKNOWN;
   }
   dev->info.va_size = info.va_size;
   dev->info.vram_size = info.vram_size;
   return 0;
}

static int
vsvm_exec(struct nvsvm_device *dev, struct nvsvm_exec *e)
{
   struct drm_vsvm_op ops[DRM_VSVM_MAX_OPS];
   struct drm_vsvm_exec args;
   int ret = 0;

   if (!e->ops || !e->results || e->nops == 0 ||
       e->nops > NVSVM_EXEC_MAX_OPS || e->lanes == 0 ||
       e->lanes > NVSVM_EXEC_MAX_LANES)
      return -EINVAL;

   memset(ops, 0, sizeof(ops));
   for (unsigned i = 0; i < e->nops; i++) {
      const struct nvsvm_exec_op *o = &e->ops[i];

      ops[i].opcode = o->opcode;
      ops[i].flags = o->flags;
      ops[i].addr = (uintptr_t)o->addr;
      ops[i].lane_stride = o->lane_stride;
      ops[i].iter_stride = o->iter_stride;
      ops[i].val = o->val;
      ops[i].val_step = o->val_step;
      ops[i].cmp = o->cmp;
      ops[i].cmp_step = o->cmp_step;
      ops[i].out_ptr = (uintptr_t)o->out;
   }

   struct drm_vsvm_lane_result *res = calloc(e->lanes, sizeof(*res));
   if (!res)
      return -ENOMEM;

   memset(&args, 0, sizeof(args));
   args.ops_ptr = (uintptr_t)ops;
   args.results_ptr = (uintptr_t)res;
   args.nops = e->nops;
   args.lanes = e->lanes;
   args.iterations = e->iterations;
   args.timeout_ms = e->timeout_ms;
   args.flags = (e->flags & NVSVM_EXEC_INLINE) ? DRM_VSVM_EXEC_F_INLINE : 0;

   /* drmIoctl would restart -EINTR; an EXEC is not idempotent. */
   if (ioctl(dev->fd, DRM_IOCTL_VSVM_EXEC, &args) != 0)
      ret = -errno;

   for (unsigned i = 0; i < e->lanes; i++) {
      struct nvsvm_lane_result *r = &e->results[i];

      r->ops = res[i].ops;
      r->last = res[i].last;
      r->cas_fail = res[i].cas_fail;
      r->spins = res[i].spins;
      r->faults = res[i].faults;
      r->ns = res[i].ns;
      r->status = res[i].status;
      r->fault_addr = res[i].fault_addr;
   }
   free(res);
   e->fault_status = args.fault_status;
   e->fault_lane = args.fault_lane;
   e->fault_addr = args.fault_addr;
   e->fault_access = args.fault_access;
   e->elapsed_ns = args.elapsed_ns;
   vsvm_counters_from(&e->delta, &args.delta);
   if (ret == -EIO)
      nvsvm_debug("%s: channel killed: lane %u, access %u at 0x%llx: %s "
                  "(this exec: %llu conversions, %llu refused, %llu "
                  "notifier retries, %llu hmm busy, %.1f ms)",
                  dev->info.path, args.fault_lane, args.fault_access,
                  (unsigned long long)args.fault_addr,
                  nvsvm_exec_fault_str(args.fault_status),
                  (unsigned long long)args.delta.conversions,
                  (unsigned long long)args.delta.conversion_refused,
                  (unsigned long long)args.delta.notifier_retries,
                  (unsigned long long)args.delta.hmm_busy,
                  args.elapsed_ns / 1e6);
   return ret;
}

static int
vsvm_stats(struct nvsvm_device *dev, bool reset, struct nvsvm_counters *file,
           struct nvsvm_counters *device)
{
   struct drm_vsvm_stats args;

   memset(&args, 0, sizeof(args));
   args.flags = reset ? DRM_VSVM_STATS_RESET : 0;
   if (drmIoctl(dev->fd, DRM_IOCTL_VSVM_STATS, &args) != 0)
      return -errno;
   if (file)
      vsvm_counters_from(file, &args.file);
   if (device)
      vsvm_counters_from(device, &args.device);
   return 0;
}

/*
 * EXEC runs in the SVM address space SVM_INIT creates, as a nouveau
 * channel does. Generic device steps (the ping-pong's, device reads)
 * set it up with the default window when the caller has not.
 */
static int
vsvm_ensure_svm(struct nvsvm_device *dev)
{
   struct nvsvm_svm_params params;
   int ret;

   if (dev->svm_enabled)
      return 0;
   memset(&params, 0, sizeof(params));
   nvsvm_debug("%s: no SVM_INIT yet: doing it for the device step",
               dev->info.path);
   ret = nvsvm_svm_init(dev, &params);
   /* -EBUSY: someone did SVM_INIT on this fd without the library. */
   return ret == -EBUSY ? 0 : ret;
}

/* One lane on the calling thread: iterations accesses, r to out. */
static int
vsvm_inline_pass(struct nvsvm_device *dev, uint32_t opcode, uint64_t addr,
                 uint64_t stride, uint64_t count, uint64_t *out,
                 struct nvsvm_counters *delta)
{
   struct nvsvm_exec_op op = {
      .opcode = opcode,
      .flags = NVSVM_EXEC_OP_64,
      .addr = (const void *)(uintptr_t)addr,
      .iter_stride = stride,
      .out = out,
   };
   struct nvsvm_lane_result res;
   struct nvsvm_exec e = {
      .ops = &op,
      .nops = 1,
      .lanes = 1,
      .iterations = count,
      .flags = NVSVM_EXEC_INLINE,
      .results = &res,
   };
   int ret;

   memset(delta, 0, sizeof(*delta));
   ret = vsvm_ensure_svm(dev);
   if (ret)
      return ret;
   ret = vsvm_exec(dev, &e);
   *delta = e.delta;
   return ret;
}

/*
 * The ping-pong's device step: an atomic add of 0 on the first word of
 * each page takes it device-exclusive and returns what the device saw.
 */
static int
vsvm_device_convert(struct nvsvm_device *dev, uint64_t addr,
                    uint64_t npages, uint64_t *seen)
{
   struct nvsvm_counters d;
   int ret;

   ret = vsvm_inline_pass(dev, NVSVM_EXEC_ADD, addr, NVSVM_PAGE_SIZE,
                          npages, seen, &d);
   __atomic_fetch_add(&dev->stats.conversions, d.conversions,
                      __ATOMIC_RELAXED);
   __atomic_fetch_add(&dev->stats.retries,
                      d.notifier_retries + d.conversion_refused,
                      __ATOMIC_RELAXED);
   return ret;
}

/* Device-side read: every 64-bit word, through the device page table. */
static int
vsvm_dev_read(struct nvsvm_device *dev, uint64_t addr, uint64_t npages,
              void *out)
{
   uint64_t words = npages * (NVSVM_PAGE_SIZE / 8);
   struct nvsvm_counters d;
   uint64_t *buf = out;
   int ret;

   if (((uintptr_t)out & 7) != 0) {
      buf = malloc(npages * NVSVM_PAGE_SIZE);
      if (!buf)
         return -ENOMEM;
   }
   ret = vsvm_inline_pass(dev, NVSVM_EXEC_LOAD, addr, 8, words, buf, &d);
   if (buf != out) {
      memcpy(out, buf, npages * NVSVM_PAGE_SIZE);
      free(buf);
   }
   return ret;
}

const struct nvsvm_backend_ops nvsvm_backend_vsvm = {
   .kind = NVSVM_BACKEND_VSVM,
   .name = "vsvm",
   .probe = vsvm_probe,
   .svm_init = nvsvm_nouveau_svm_init,
   .svm_bind = nvsvm_nouveau_svm_bind,
   .vm_init = nvsvm_nouveau_vm_init,
   .dev_read = vsvm_dev_read,
   .device_convert = vsvm_device_convert,
   .exec = vsvm_exec,
   .stats = vsvm_stats,
   .atomic_range_fault = nvsvm_nouveau_atomic_range_fault,
};

/* ------------------------------------------------------ public wrappers */

int
nvsvm_device_exec(struct nvsvm_device *dev, struct nvsvm_exec *exec)
{
   int ret;

   if (!dev || !exec)
      return -EINVAL;
   ret = nvsvm_backend_call(dev, exec, exec);
   /* The kernel's -EINVAL for "no SVM_INIT", named. */
   if (ret == -EINVAL && !dev->svm_enabled)
      return -NVSVM_E_NO_SVM;
   return ret;
}

int
nvsvm_device_counters(struct nvsvm_device *dev, bool reset,
                      struct nvsvm_counters *file,
                      struct nvsvm_counters *device)
{
   if (!dev)
      return -EINVAL;
   return nvsvm_backend_call(dev, stats, reset, file, device);
}

const char *
nvsvm_exec_fault_str(int fault_status)
{
   switch (fault_status) {
   case 0:
      return "no fault killed the channel";
   case -EBUSY:
      return "EBUSY: the fault was not serviced within the 1000 ms fault "
             "timeout (a THP-backed page never converts on kernels <= "
             "6.14, or the CPU kept taking the page back)";
   case -EINVAL:
      return "EINVAL: the kernel refused to make the page device-exclusive "
             "(hugetlb on 6.1, MAP_SHARED or shmem memory)";
   case -EFAULT:
      return "EFAULT: no mapping the access may use (unmapped, PROT_NONE, "
             "read-only for an atomic, inside the unmanaged window or "
             "beyond the GPU VA size)";
   case -EOPNOTSUPP:
      return "EOPNOTSUPP: the kernel cannot look the page up for a "
             "device-exclusive entry (hugetlb memory, 6.12)";
   case -EPERM:
      return "EPERM: a write to a read-only mapping";
   case -ENOMEM:
      return "ENOMEM: the kernel ran out of memory servicing the fault";
   case -ENODEV:
      return "ENODEV: the address space is gone (process exit or close)";
   default:
      return nvsvm_strerror(fault_status);
   }
}
