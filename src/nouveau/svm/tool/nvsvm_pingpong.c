/* SPDX-License-Identifier: MIT */
/*
 * The ownership ping-pong engine behind `nvsvm pingpong`: the CPU stores
 * to each page (taking it back from the device), the device converts it
 * again, and every round is timed and checked for lost stores.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>

#include "nvsvm_pingpong.h"
#include "nvsvm_priv.h"
#include "nvsvm_time.h"

void
nvsvm_pingpong_params_default(struct nvsvm_pingpong_params *p)
{
   p->pages = 1;
   p->rounds = 10000;
   p->warmup = 100;
   p->time_limit_s = 60.0;
   p->samples_us = NULL;
}

static int
pp_cmp_double(const void *a, const void *b)
{
   double x = *(const double *)a, y = *(const double *)b;

   return (x > y) - (x < y);
}

int
nvsvm_pingpong_summarize(double *samples_us, unsigned n,
                         struct nvsvm_pingpong_result *r)
{
   double sum = 0.0;
   unsigned rank;

   if (!samples_us || !n || !r)
      return -EINVAL;
   qsort(samples_us, n, sizeof(*samples_us), pp_cmp_double);
   for (unsigned i = 0; i < n; i++)
      sum += samples_us[i];
   r->min_us = samples_us[0];
   r->max_us = samples_us[n - 1];
   r->mean_us = sum / n;
   r->median_us = (n & 1) ? samples_us[n / 2] :
                  (samples_us[n / 2 - 1] + samples_us[n / 2]) / 2.0;
   /* Nearest rank: the smallest sample with 99% at or below it. */
   rank = (unsigned)(((uint64_t)n * 99 + 99) / 100);
   r->p99_us = samples_us[(rank ? rank : 1) - 1];
   return 0;
}

static int
pp_check_params(const struct nvsvm_pingpong_params *p)
{
   if (!p || p->pages < 1 || p->pages > NVSVM_PINGPONG_MAX_PAGES ||
       p->rounds < 1 || p->rounds > NVSVM_PINGPONG_MAX_ROUNDS ||
       p->warmup > NVSVM_PINGPONG_MAX_ROUNDS ||
       !(p->time_limit_s > 0.0))
      return -EINVAL;
   return 0;
}

/* The value the CPU stores on page i in round n: unique per both. */
static uint64_t
pp_value(uint64_t round, unsigned page)
{
   return (round + 1) << 16 | page;
}

/* A tick-based guest clock (no TSC/HPET) cannot time one round trip. */
static uint64_t
pp_clock_res_ns(void)
{
   struct timespec res;

   if (clock_getres(CLOCK_MONOTONIC, &res) != 0)
      return 0;
   return (uint64_t)res.tv_sec * 1000000000ull + (uint64_t)res.tv_nsec;
}

static uint64_t
pp_minflt(void)
{
   struct rusage ru;

   if (getrusage(RUSAGE_THREAD, &ru) != 0)
      return 0;
   return (uint64_t)ru.ru_minflt;
}

int
nvsvm_pingpong_run_fn(nvsvm_pingpong_convert_fn convert, void *ctx,
                      const char *backend,
                      const struct nvsvm_pingpong_params *p,
                      struct nvsvm_pingpong_result *r)
{
   struct nvsvm_range_report report;
   struct utsname uts;
   size_t len;
   unsigned char *buf = NULL;
   uint64_t *seen = NULL;
   double *samples = NULL;
   uint64_t retries = 0, flt0, round = 0;
   double start, deadline;
   unsigned done = 0;
   int ret;

   if (!convert || !r)
      return -EINVAL;
   ret = pp_check_params(p);
   if (ret)
      return ret;

   memset(r, 0, sizeof(*r));
   snprintf(r->backend, sizeof(r->backend), "%s", backend ? backend : "");
   if (uname(&uts) == 0)
      snprintf(r->kernel, sizeof(r->kernel), "%s", uts.release);
   r->pages = p->pages;
   r->clock_res_ns = pp_clock_res_ns();

   len = (size_t)p->pages * NVSVM_PAGE_SIZE;
   buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   if (buf == MAP_FAILED)
      return -errno;
   /* THP-backed ranges do not convert on kernels <= 6.14: stay 4 KiB. */
   if (madvise(buf, len, MADV_NOHUGEPAGE) != 0)
      nvsvm_debug("pingpong: MADV_NOHUGEPAGE: %s", nvsvm_error_name(-errno));
   memset(buf, 0, len);

   ret = nvsvm_range_check(buf, len, NVSVM_RANGE_REQUIRE_ALIGNED, &report);
   if (ret) {
      nvsvm_debug("pingpong: buffer refused: %s",
                  nvsvm_range_reason_str(report.reason));
      goto fail_buf;
   }

   seen = calloc(p->pages, sizeof(*seen));
   samples = calloc(p->rounds, sizeof(*samples));
   if (!seen || !samples) {
      ret = -ENOMEM;
      goto fail_alloc;
   }

   /* Warm-up: untimed, but checked like the rest. */
   for (unsigned w = 0; w < p->warmup; w++, round++) {
      for (unsigned i = 0; i < p->pages; i++)
         __atomic_store_n((uint64_t *)(buf + (size_t)i * NVSVM_PAGE_SIZE),
                          pp_value(round, i), __ATOMIC_RELAXED);
      ret = convert(ctx, buf, p->pages, seen, &retries);
      if (ret)
         goto fail_alloc;
      for (unsigned i = 0; i < p->pages; i++)
         r->lost += seen[i] != pp_value(round, i);
   }

   retries = 0;
   flt0 = pp_minflt();
   start = nvsvm_time_s();
   deadline = start + p->time_limit_s;
   for (done = 0; done < p->rounds; done++, round++) {
      double t0 = nvsvm_time_s(), t1;

      /* The store faults: the kernel takes the page back from the device. */
      for (unsigned i = 0; i < p->pages; i++)
         __atomic_store_n((uint64_t *)(buf + (size_t)i * NVSVM_PAGE_SIZE),
                          pp_value(round, i), __ATOMIC_RELAXED);
      ret = convert(ctx, buf, p->pages, seen, &retries);
      t1 = nvsvm_time_s();
      if (ret)
         goto fail_alloc;
      samples[done] = (t1 - t0) * 1e6;
      for (unsigned i = 0; i < p->pages; i++)
         r->lost += seen[i] != pp_value(round, i);
      if (t1 > deadline) {
         done++;
         r->time_limited = done < p->rounds;
         break;
      }
   }
   r->total_s = nvsvm_time_s() - start;
   r->minor_faults = pp_minflt() - flt0;
   r->retries = retries;
   r->rounds = done;
   r->rounds_per_s = done / r->total_s;
   r->conversions_per_s = (double)done * p->pages / r->total_s;
   nvsvm_pingpong_summarize(samples, done, r);
   if (p->samples_us)
      memcpy(p->samples_us, samples, done * sizeof(*samples));
   ret = 0;

fail_alloc:
   free(samples);
   free(seen);
fail_buf:
   munmap(buf, len);
   return ret;
}

/* The device's own step, retries read back from its counters. */
static int
pp_device_convert(void *ctx, void *ptr, unsigned npages, uint64_t *seen,
                  uint64_t *retries)
{
   struct nvsvm_device *dev = ctx;
   uint64_t before = __atomic_load_n(&dev->stats.retries, __ATOMIC_RELAXED);
   int ret;

   ret = dev->ops->device_convert(dev, (uintptr_t)ptr, npages, seen);
   *retries += __atomic_load_n(&dev->stats.retries, __ATOMIC_RELAXED) -
               before;
   return ret;
}

int
nvsvm_pingpong_run(struct nvsvm_device *dev,
                   const struct nvsvm_pingpong_params *params,
                   struct nvsvm_pingpong_result *result)
{
   if (!dev || !dev->ops)
      return -EINVAL;
   if (!dev->ops->device_convert) {
      nvsvm_debug("pingpong: the %s backend has no device conversion step",
                  dev->ops->name);
      return -NVSVM_E_NOT_SUPPORTED;
   }
   return nvsvm_pingpong_run_fn(pp_device_convert, dev,
                                nvsvm_backend_name(dev->info.backend),
                                params, result);
}
