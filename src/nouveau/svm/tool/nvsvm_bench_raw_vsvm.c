/* SPDX-License-Identifier: MIT */
/*
 * The raw baseline on vsvm for `nvsvm bench`: the library's ping-pong
 * loop written against the DRM ioctls alone, so the library's overhead
 * on this backend shows as a ratio. Built into the CLI, not libnvsvm.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* drm.h (libdrm) for the types of the uAPI headers. */
#include <drm.h>
#include "drm-uapi/nouveau_drm.h"

#include "nvsvm_bench_raw.h"
#include "nvsvm_time.h"
#include "drm-uapi/vsvm_drm.h"

#define RAW_PAGE 4096u
/* Any aligned window will do; this one is small and fits every VA size. */
#define RAW_WINDOW (256ull << 20)
#define RAW_TIMEOUT_MS 5000u

#define RAW_IOCTL_SVM_INIT                                              \
   DRM_IOWR(DRM_COMMAND_BASE + DRM_NOUVEAU_SVM_INIT,                   \
            struct drm_nouveau_svm_init)

static uint64_t
raw_minflt(void)
{
   struct rusage ru;

   return getrusage(RUSAGE_THREAD, &ru) == 0 ? (uint64_t)ru.ru_minflt : 0;
}

static uint64_t
raw_value(uint64_t round, unsigned page)
{
   return (round + 1) << 16 | page;
}

/* A PROT_NONE window, window-aligned, kept out of the CPU's reach. */
static void *
raw_window(void)
{
   uint8_t *p = mmap(NULL, 2 * RAW_WINDOW, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
   uintptr_t a, end;

   if (p == MAP_FAILED)
      return NULL;
   a = ((uintptr_t)p + RAW_WINDOW - 1) & ~(uintptr_t)(RAW_WINDOW - 1);
   end = (uintptr_t)p + 2 * RAW_WINDOW;
   if (a > (uintptr_t)p)
      munmap(p, a - (uintptr_t)p);
   if (end > a + RAW_WINDOW)
      munmap((void *)(a + RAW_WINDOW), end - (a + RAW_WINDOW));
   return (void *)a;
}

/* One EXEC: an atomic add of 0 on the first word of every page. */
static int
raw_convert(int fd, uint8_t *buf, unsigned pages, uint64_t *seen,
            uint64_t *retries)
{
   struct drm_vsvm_op op = {
      .opcode = DRM_VSVM_OP_ADD,
      .flags = DRM_VSVM_OP_F_64,
      .addr = (uintptr_t)buf,
      .iter_stride = RAW_PAGE,
      .out_ptr = (uintptr_t)seen,
   };
   struct drm_vsvm_lane_result lane;
   struct drm_vsvm_exec args = {
      .ops_ptr = (uintptr_t)&op,
      .results_ptr = (uintptr_t)&lane,
      .nops = 1,
      .lanes = 1,
      .iterations = pages,
      .timeout_ms = RAW_TIMEOUT_MS,
      .flags = DRM_VSVM_EXEC_F_INLINE,
   };

   if (ioctl(fd, DRM_IOCTL_VSVM_EXEC, &args) != 0)
      return -errno;
   *retries += args.delta.notifier_retries + args.delta.conversion_refused;
   return 0;
}

int
nvsvm_bench_raw_vsvm_pingpong(const char *path,
                              const struct nvsvm_pingpong_params *p,
                              struct nvsvm_pingpong_result *r)
{
   struct drm_nouveau_svm_init init;
   uint8_t *buf = NULL, *win = NULL;
   uint64_t *seen = NULL, round = 0, flt0, retries = 0;
   double *samples = NULL, start, deadline;
   struct utsname uts;
   struct timespec res;
   unsigned done;
   size_t len;
   int fd, ret = 0;

   if (!path || !p || !r || p->pages < 1 ||
       p->pages > NVSVM_PINGPONG_MAX_PAGES || p->rounds < 1 ||
       p->rounds > NVSVM_PINGPONG_MAX_ROUNDS || !(p->time_limit_s > 0))
      return -EINVAL;
   memset(r, 0, sizeof(*r));
   snprintf(r->backend, sizeof(r->backend), "raw-vsvm");
   if (uname(&uts) == 0)
      snprintf(r->kernel, sizeof(r->kernel), "%s", uts.release);
   r->pages = p->pages;
   if (clock_getres(CLOCK_MONOTONIC, &res) == 0)
      r->clock_res_ns = (uint64_t)res.tv_sec * 1000000000ull +
                        (uint64_t)res.tv_nsec;

   fd = open(path, O_RDWR | O_CLOEXEC);
   if (fd < 0)
      return -errno;
   win = raw_window();
   if (!win) {
      ret = -errno;
      goto out_fd;
   }
   init.unmanaged_addr = (uintptr_t)win;
   init.unmanaged_size = RAW_WINDOW;
   if (ioctl(fd, RAW_IOCTL_SVM_INIT, &init) != 0) {
      ret = -errno;
      goto out_win;
   }

   len = (size_t)p->pages * RAW_PAGE;
   buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   if (buf == MAP_FAILED) {
      buf = NULL;
      ret = -errno;
      goto out_win;
   }
   madvise(buf, len, MADV_NOHUGEPAGE);
   memset(buf, 0, len);
   seen = calloc(p->pages, sizeof(*seen));
   samples = calloc(p->rounds, sizeof(*samples));
   if (!seen || !samples) {
      ret = -ENOMEM;
      goto out_mem;
   }

   for (unsigned w = 0; w < p->warmup; w++, round++) {
      for (unsigned i = 0; i < p->pages; i++)
         __atomic_store_n((uint64_t *)(buf + (size_t)i * RAW_PAGE),
                          raw_value(round, i), __ATOMIC_RELAXED);
      ret = raw_convert(fd, buf, p->pages, seen, &retries);
      if (ret)
         goto out_mem;
      for (unsigned i = 0; i < p->pages; i++)
         r->lost += seen[i] != raw_value(round, i);
   }

   retries = 0;
   flt0 = raw_minflt();
   start = nvsvm_time_s();
   deadline = start + p->time_limit_s;
   for (done = 0; done < p->rounds; done++, round++) {
      double t0 = nvsvm_time_s(), t1;

      for (unsigned i = 0; i < p->pages; i++)
         __atomic_store_n((uint64_t *)(buf + (size_t)i * RAW_PAGE),
                          raw_value(round, i), __ATOMIC_RELAXED);
      ret = raw_convert(fd, buf, p->pages, seen, &retries);
      t1 = nvsvm_time_s();
      if (ret)
         goto out_mem;
      samples[done] = (t1 - t0) * 1e6;
      for (unsigned i = 0; i < p->pages; i++)
         r->lost += seen[i] != raw_value(round, i);
      if (t1 > deadline) {
         done++;
         r->time_limited = done < p->rounds;
         break;
      }
   }
   r->total_s = nvsvm_time_s() - start;
   r->minor_faults = raw_minflt() - flt0;
   r->retries = retries;
   r->rounds = done;
   r->rounds_per_s = done / r->total_s;
   r->conversions_per_s = (double)done * p->pages / r->total_s;
   /* Summarised after the loop, the same way as the library's run. */
   nvsvm_pingpong_summarize(samples, done, r);
   if (p->samples_us)
      memcpy(p->samples_us, samples, done * sizeof(*samples));

out_mem:
   free(samples);
   free(seen);
   if (buf)
      munmap(buf, len);
out_win:
   /* Closing the fd ends the device's mirror before the window goes. */
   close(fd);
   fd = -1;
   munmap(win, RAW_WINDOW);
out_fd:
   if (fd >= 0)
      close(fd);
   return ret;
}
