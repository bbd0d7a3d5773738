/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the vsvm scenarios (tests/vsvm/vt-*.c, on the shared
 * harness, tests/common/harness.h): the fixtures that open the virtual
 * SVM GPU, running device programs, CPU threads that race it, counters,
 * and bounded waits. Header-only: each family is one binary.
 *
 * Fixtures, written once here:
 * - vsvm: vsvm opened through the library, SVM_INIT done (self->dev).
 * - vsvm_dev: vsvm opened, SVM not initialised (scenarios about the
 *   calls before SVM_INIT, or that make it themselves).
 * Both skip, naming the module, when no vsvm node exists, and hold what
 * a scenario takes beyond its device (more handles: vt_open_more();
 * module knobs: vt_knob_override()); the teardown releases all of it.
 * Memory from vt_map() is unmapped after the scenario, whatever ended it.
 */
#ifndef VT_COMMON_H
#define VT_COMMON_H

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "harness_nvsvm.h"
#include "nvsvm_testdev.h"

#define VT_PAGE ((size_t)NVSVM_PAGE_SIZE)


static inline double
vt_now(void)
{
   struct timespec ts;

   clock_gettime(CLOCK_MONOTONIC, &ts);
   return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------- device */

/* Path of the first vsvm render node, or NULL when none is loaded. */
static inline const char *
vt_find_node(char *path, size_t size)
{
   struct nvsvm_drm_node nodes[16];
   unsigned count = 0;

   if (nvsvm_drm_enumerate(nodes, 16, &count) != 0)
      return NULL;
   for (unsigned i = 0; i < count && i < 16; i++) {
      if (strcmp(nodes[i].driver, "vsvm") == 0) {
         snprintf(path, size, "%s", nodes[i].path);
         return path;
      }
   }
   return NULL;
}

/*
 * Open vsvm through the library (the vsvm backend) and, when svm is set,
 * do SVM_INIT with the library's window. 0, 1 when there is no vsvm node
 * (the caller skips), or a negative error.
 */
static inline int
vt_open(struct nvsvm_device **dev, bool svm)
{
   char path[64];
   struct nvsvm_svm_params params = { 0 };
   int ret;

   *dev = NULL;
   if (!vt_find_node(path, sizeof(path)))
      return 1;
   ret = nvsvm_device_open(path, dev);
   if (ret)
      return ret;
   if (svm) {
      ret = nvsvm_svm_init(*dev, &params);
      if (ret) {
         nvsvm_device_close(*dev);
         *dev = NULL;
      }
   }
   return ret;
}

#define VT_SKIP_REASON_NO_VSVM                                         \
   "no vsvm DRM node: load kernel/vsvm's vsvm.ko (the VM suites do; "  \
   "see docs/vsvm.md)"

/* Open vsvm into *dev (SVM_INIT too when svm is set), or skip / fail. */
static inline void
vt_open_or_skip(struct nvsvm_device **dev, bool svm)
{
   int r = vt_open(dev, svm);

   if (r == 1)
      SKIP(VT_SKIP_REASON_NO_VSVM);
   if (r)
      FAIL("open vsvm%s: %s (%s)", svm ? " + SVM_INIT" : "",
           nvsvm_error_name(r), nvsvm_strerror(r));
}

#define VT_MAX_MORE 2
#define VT_MAX_KNOBS 4

/* What a scenario holds besides its device; the teardown releases it. */
struct vt_held {
   struct nvsvm_device *more[VT_MAX_MORE];
   unsigned nknobs;
   struct {
      const char *name;
      unsigned long old;
   } knobs[VT_MAX_KNOBS];
};

static inline int vt_knob_set(const char *name, unsigned long val);

static inline void
vt_release(struct vt_held *h)
{
   /* Knobs first, last set first: a device closes at normal speed. */
   while (h->nknobs) {
      h->nknobs--;
      if (vt_knob_set(h->knobs[h->nknobs].name, h->knobs[h->nknobs].old))
         MARK_FAIL("could not restore vsvm knob %s to %lu",
                   h->knobs[h->nknobs].name, h->knobs[h->nknobs].old);
   }
   for (unsigned i = 0; i < VT_MAX_MORE; i++) {
      nvsvm_device_close(h->more[i]);
      h->more[i] = NULL;
   }
}

/* A HARNESS_DEFER() release for a device a scenario opened itself. */
static inline void
vt_close_deferred(void *dev, uintptr_t n)
{
   (void)n;
   nvsvm_device_close(dev);
}

/* One more vsvm handle, held until the teardown. */
static inline struct nvsvm_device *
vt_open_more(struct vt_held *h, bool svm)
{
   for (unsigned i = 0; i < VT_MAX_MORE; i++) {
      if (!h->more[i]) {
         vt_open_or_skip(&h->more[i], svm);
         return h->more[i];
      }
   }
   FAIL("more than %u extra vsvm handles", VT_MAX_MORE);
}

#define VT_FIXTURE(fx, svm)                                            \
   FIXTURE(fx)                                                         \
   {                                                                   \
      struct nvsvm_device *dev;                                        \
      struct vt_held held;                                             \
   };                                                                  \
   FIXTURE_SETUP(fx)                                                   \
   {                                                                   \
      vt_open_or_skip(&self->dev, (svm));                              \
   }                                                                   \
   FIXTURE_TEARDOWN(fx)                                                \
   {                                                                   \
      vt_release(&self->held);                                         \
      nvsvm_device_close(self->dev);                                   \
   }

VT_FIXTURE(vsvm, true)
VT_FIXTURE(vsvm_dev, false)

/*
 * Private anonymous pages that stay 4 KiB (THP never converts <= 6.14),
 * zeroed; unmapped after the scenario, whatever ends it.
 */
static inline void *
vt_map(size_t npages)
{
   void *p = mmap(NULL, npages * VT_PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   if (p == MAP_FAILED)
      return NULL;
   DEFER_MUNMAP(p, npages * VT_PAGE);
   madvise(p, npages * VT_PAGE, MADV_NOHUGEPAGE);
   memset(p, 0, npages * VT_PAGE);
   return p;
}

/* One instruction on lane-strided 64-bit words. */
static inline struct nvsvm_exec_op
vt_op(uint32_t opcode, const volatile void *addr, uint64_t lane_stride,
      uint64_t val)
{
   struct nvsvm_exec_op op = {
      .opcode = opcode,
      .flags = NVSVM_EXEC_OP_64,
      .addr = addr,
      .lane_stride = lane_stride,
      .val = val,
   };
   return op;
}

/* Print what an EXEC did: the counters a scenario reports. */
static inline void
vt_report_exec(const char *what, const struct nvsvm_exec *e, int ret)
{
   const struct nvsvm_counters *d = &e->delta;

   TH_LOG("%s: exec %s in %.1f ms: device ops %" PRIu64
          ", faults r/w/a %" PRIu64 "/%" PRIu64 "/%" PRIu64
          ", conversions %" PRIu64 " (refused %" PRIu64
          "), invalidations %" PRIu64 ", notifier retries %" PRIu64
          " (own lookups ignored %" PRIu64 "), kills %" PRIu64,
          what, nvsvm_error_name(ret), e->elapsed_ns / 1e6,
          d->device_ops, d->faults_read, d->faults_write,
          d->faults_atomic, d->conversions, d->conversion_refused,
          d->invalidations, d->notifier_retries, d->own_lookup_ignored,
          d->kills);
   if (e->fault_status)
      TH_LOG("%s: channel killed by lane %u, access %u at 0x%" PRIx64
             ": %s", what, e->fault_lane, e->fault_access,
             e->fault_addr, nvsvm_exec_fault_str(e->fault_status));
}

/* ------------------------------------------------- racing the device */

/*
 * Run an EXEC on a helper thread so that the calling thread can race it;
 * vt_exec_join() waits (bounded by the EXEC's own timeout plus slack).
 */
struct vt_async_exec {
   pthread_t thread;
   struct nvsvm_device *dev;
   struct nvsvm_exec *exec;
   int ret;
   volatile int done;
};

static inline void *
vt_async_exec_main(void *arg)
{
   struct vt_async_exec *a = arg;

   a->ret = nvsvm_device_exec(a->dev, a->exec);
   __atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
   return NULL;
}

static inline void
vt_exec_join_guard(void *a, uintptr_t n)
{
   (void)n;
   pthread_join(((struct vt_async_exec *)a)->thread, NULL);
}

/*
 * The EXEC and its results live on the scenario's stack: until
 * vt_exec_join(), an ASSERT that ends the scenario joins it first (a
 * device still waiting gives up at its EXEC timeout).
 */
static inline int
vt_exec_start(struct vt_async_exec *a, struct nvsvm_device *dev,
              struct nvsvm_exec *exec)
{
   int ret;

   a->dev = dev;
   a->exec = exec;
   a->ret = 0;
   a->done = 0;
   ret = -pthread_create(&a->thread, NULL, vt_async_exec_main, a);
   if (ret == 0)
      harness_guard(vt_exec_join_guard, a, 0);
   return ret;
}

static inline bool
vt_exec_done(const struct vt_async_exec *a)
{
   return __atomic_load_n(&a->done, __ATOMIC_ACQUIRE);
}

static inline int
vt_exec_join(struct vt_async_exec *a)
{
   harness_unguard(a);
   pthread_join(a->thread, NULL);
   return a->ret;
}

/* ------------------------------------------------------ module knobs */

#define VT_KNOB_DIR "/sys/module/vsvm/parameters/"

/*
 * Read a numeric vsvm module parameter (a bool one reads as Y/N: 1/0):
 * 0, or a negative errno.
 */
static inline int
vt_knob_get(const char *name, unsigned long *val)
{
   char path[128], text[32];
   FILE *f;
   int ok;

   snprintf(path, sizeof(path), VT_KNOB_DIR "%s", name);
   f = fopen(path, "r");
   if (!f)
      return -errno;
   ok = fgets(text, sizeof(text), f) != NULL;
   fclose(f);
   if (ok && (text[0] == 'Y' || text[0] == 'N'))
      *val = text[0] == 'Y';
   else
      ok = ok && sscanf(text, "%lu", val) == 1;
   return ok ? 0 : -EINVAL;
}

/* Set a numeric vsvm module parameter (root only): 0 or a negative errno. */
static inline int
vt_knob_set(const char *name, unsigned long val)
{
   char path[128];
   FILE *f;
   int ret = 0;

   snprintf(path, sizeof(path), VT_KNOB_DIR "%s", name);
   f = fopen(path, "w");
   if (!f)
      return -errno;
   if (fprintf(f, "%lu\n", val) < 0)
      ret = -EIO;
   if (fclose(f) != 0 && ret == 0)
      ret = -errno;
   return ret;
}

/*
 * Set a module knob for this scenario (root only): 0, or a negative errno
 * (the scenario skips, naming the knob). The teardown puts back the value
 * it had.
 */
static inline int
vt_knob_override(struct vt_held *h, const char *name, unsigned long val)
{
   unsigned long old;
   int ret;

   if (h->nknobs == VT_MAX_KNOBS)
      FAIL("more than %u vsvm knobs overridden", VT_MAX_KNOBS);
   ret = vt_knob_get(name, &old);
   if (ret)
      return ret;
   ret = vt_knob_set(name, val);
   if (ret)
      return ret;
   h->knobs[h->nknobs].name = name;
   h->knobs[h->nknobs].old = old;
   h->nknobs++;
   return 0;
}

#endif /* VT_COMMON_H */
