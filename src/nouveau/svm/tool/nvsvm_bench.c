/* SPDX-License-Identifier: MIT */
/*
 * The workloads behind `nvsvm bench`: library vs raw round trips, packed
 * vs placed counters under CPU contention, and the cost of a range check.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "nvsvm_bench.h"
#include "nvsvm/nvsvm_placement.h"
#include "nvsvm/nvsvm_telemetry.h"
#include "nvsvm_time.h"

#define PAGE ((uintptr_t)NVSVM_PAGE_SIZE)
/* How long CPU threads may take to start before the run gives up. */
#define BENCH_START_WAIT_S 10.0

static int
bench_cmp_double(const void *a, const void *b)
{
   double x = *(const double *)a, y = *(const double *)b;

   return (x > y) - (x < y);
}

/* Median of n values; v is sorted in place. */
static double
bench_median(double *v, unsigned n)
{
   if (!n)
      return 0.0;
   qsort(v, n, sizeof(*v), bench_cmp_double);
   return (n & 1) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static uint64_t
bench_thread_minflt(void)
{
   struct rusage ru;

   if (getrusage(RUSAGE_THREAD, &ru) != 0)
      return 0;
   return (uint64_t)ru.ru_minflt;
}

/* ------------------------------------------------------------ round trip */

/* Percentiles 0..100 (nearest rank) of n pooled samples; sorts them. */
static void
bench_cdf(double *s, uint64_t n, double *cdf)
{
   if (!n)
      return;
   qsort(s, n, sizeof(*s), bench_cmp_double);
   for (unsigned k = 0; k < NVSVM_BENCH_CDF_POINTS; k++) {
      uint64_t rank = (n * k + 99) / 100;

      cdf[k] = s[rank ? rank - 1 : 0];
   }
}

static void
bench_series_add(struct nvsvm_bench_rt_series *s,
                  const struct nvsvm_pingpong_result *run)
{
   s->run_median_us[s->runs] = run->median_us;
   s->run_mean_us[s->runs] = run->rounds ?
                             run->total_s * 1e6 / run->rounds : 0.0;
   s->runs++;
   s->rounds += run->rounds;
   s->lost += run->lost;
   s->retries += run->retries;
   s->minor_faults += run->minor_faults;
   s->time_limited |= run->time_limited;
}

static void
bench_series_finish(struct nvsvm_bench_rt_series *s, double *pooled)
{
   double tmp[NVSVM_BENCH_MAX_REPEATS];

   memcpy(tmp, s->run_median_us, sizeof(tmp));
   s->median_us = bench_median(tmp, s->runs);
   memcpy(tmp, s->run_mean_us, sizeof(tmp));
   s->mean_us = bench_median(tmp, s->runs);
   bench_cdf(pooled, s->rounds, s->cdf_us);
}

int
nvsvm_bench_roundtrip(struct nvsvm_device *dev, nvsvm_bench_raw_fn raw,
                      void *raw_ctx, const struct nvsvm_bench_rt_params *p,
                      struct nvsvm_bench_rt_result *r)
{
   struct nvsvm_pingpong_params run;
   struct nvsvm_pingpong_result lib_res, raw_res;
   double *lib_s = NULL, *raw_s = NULL;
   double ratios[NVSVM_BENCH_MAX_REPEATS];
   double ratios_mean[NVSVM_BENCH_MAX_REPEATS];
   uint64_t lib_n = 0, raw_n = 0;
   size_t cap;
   int ret = 0;

   if (!dev || !p || !r || p->repeats < 1 ||
       p->repeats > NVSVM_BENCH_MAX_REPEATS || p->run.rounds < 1 ||
       p->run.rounds > NVSVM_BENCH_MAX_ROUNDS)
      return -EINVAL;
   memset(r, 0, sizeof(*r));
   r->has_raw = raw != NULL;

   /* All samples of all runs, for the pooled distribution. */
   cap = (size_t)p->repeats * p->run.rounds;
   lib_s = malloc(cap * sizeof(*lib_s));
   raw_s = raw ? malloc(cap * sizeof(*raw_s)) : NULL;
   if (!lib_s || (raw && !raw_s)) {
      ret = -ENOMEM;
      goto out;
   }

   for (unsigned i = 0; i < p->repeats; i++) {
      /* Odd pairs run raw first, so neither side always goes second. */
      for (unsigned half = 0; half < 2; half++) {
         bool do_raw = (half == 0) == (i & 1);

         run = p->run;
         if (do_raw && !raw)
            continue;
         run.samples_us = do_raw ? raw_s + raw_n : lib_s + lib_n;
         if (do_raw) {
            ret = raw(raw_ctx, &run, &raw_res);
            if (ret)
               goto out;
            bench_series_add(&r->raw, &raw_res);
            raw_n += raw_res.rounds;
         } else {
            ret = nvsvm_pingpong_run(dev, &run, &lib_res);
            if (ret)
               goto out;
            bench_series_add(&r->lib, &lib_res);
            lib_n += lib_res.rounds;
            if (i == 0) {
               memcpy(r->backend, lib_res.backend, sizeof(r->backend));
               memcpy(r->kernel, lib_res.kernel, sizeof(r->kernel));
               r->clock_res_ns = lib_res.clock_res_ns;
            }
         }
      }
      if (raw) {
         unsigned k = r->lib.runs - 1;

         ratios[i] = r->raw.run_median_us[k] > 0 ?
                     r->lib.run_median_us[k] / r->raw.run_median_us[k] : 0;
         ratios_mean[i] = r->raw.run_mean_us[k] > 0 ?
                          r->lib.run_mean_us[k] / r->raw.run_mean_us[k] : 0;
         r->pair_ratio[i] = ratios[i];
      }
   }
   bench_series_finish(&r->lib, lib_s);
   if (raw) {
      bench_series_finish(&r->raw, raw_s);
      r->ratio = bench_median(ratios, p->repeats);
      r->ratio_mean = bench_median(ratios_mean, p->repeats);
   }
out:
   free(raw_s);
   free(lib_s);
   return ret;
}

/* -------------------------------------------------------------- counters */

/* A CPU thread adding 1 to its counters in turn until told to stop. */
struct bench_cpu {
   uint64_t **words;
   uint64_t *made;           /* increments made on words[j] */
   unsigned n;
   const int *stop;
   int *ready;               /* threads past their first pass */
   uint64_t passes;          /* over all its counters; atomic */
   uint64_t minflt;          /* after the first pass */
   pthread_t th;
};

static void *
bench_cpu_thread(void *arg)
{
   struct bench_cpu *c = arg;
   uint64_t f0 = 0;
   bool first = true;

   while (!__atomic_load_n(c->stop, __ATOMIC_RELAXED)) {
      for (unsigned j = 0; j < c->n; j++) {
         __atomic_fetch_add(c->words[j], 1, __ATOMIC_RELAXED);
         c->made[j]++;
      }
      __atomic_fetch_add(&c->passes, 1, __ATOMIC_RELEASE);
      if (first) {
         /* Thread start-up faults are not the device's doing. */
         f0 = bench_thread_minflt();
         __atomic_fetch_add(c->ready, 1, __ATOMIC_RELEASE);
         first = false;
      }
   }
   c->minflt = bench_thread_minflt() - f0;
   return NULL;
}

/*
 * hmm: a GPU whose atomic mapping is still valid does not fault, so ask
 * the device first; only a revoked page takes the atomic fault again.
 * 1 when it converted, 0 when it did not need to, or an error.
 */
static int
bench_step_hmm(struct nvsvm_device *dev, uint64_t *word, uint64_t *retries)
{
   void *page = (void *)((uintptr_t)word & ~(PAGE - 1));
   struct nvsvm_device_stats s0, s1;
   int ret;

   ret = nvsvm_device_check_exclusive(dev, page, PAGE);
   if (ret < 0)
      return ret;
   if (ret == 1)
      return 0;
   nvsvm_device_get_stats(dev, &s0);
   ret = nvsvm_device_atomic_fault(dev, page, PAGE, NULL);
   nvsvm_device_get_stats(dev, &s1);
   *retries += s1.retries - s0.retries;
   return ret ? ret : 1;
}

/* vsvm: a real device atomic add; its counters say if it converted. */
static int
bench_step_vsvm(struct nvsvm_device *dev, uint64_t *word, uint64_t *retries)
{
   struct nvsvm_exec_op op = {
      .opcode = NVSVM_EXEC_ADD,
      .flags = NVSVM_EXEC_OP_64,
      .addr = word,
      .val = 1,
   };
   struct nvsvm_lane_result lane;
   struct nvsvm_exec e = {
      .ops = &op,
      .nops = 1,
      .lanes = 1,
      .iterations = 1,
      .timeout_ms = 5000,
      .flags = NVSVM_EXEC_INLINE,
      .results = &lane,
   };
   int ret = nvsvm_device_exec(dev, &e);

   if (ret)
      return ret;
   *retries += e.delta.notifier_retries + e.delta.conversion_refused;
   return e.delta.conversions ? 1 : 0;
}

/* Where the counters live, and who adds to which. */
struct bench_layout {
   struct nvsvm_pool *pool;
   struct nvsvm_group **groups;
   unsigned ngroups;
   uint64_t **word;          /* counter i */
   uint64_t *expected;       /* what counter i must hold at the end */
};

static int
bench_layout_make(const struct nvsvm_bench_counters_params *p,
                  struct bench_layout *l)
{
   struct nvsvm_pool_params pp = {
      .flags = NVSVM_POOL_CHECK_CHUNKS_ONLY,
   };
   int ret;

   memset(l, 0, sizeof(*l));
   l->word = calloc(p->counters, sizeof(*l->word));
   l->expected = calloc(p->counters, sizeof(*l->expected));
   l->ngroups = (p->counters + p->per_page - 1) / p->per_page;
   l->groups = calloc(l->ngroups, sizeof(*l->groups));
   if (!l->word || !l->expected || !l->groups)
      return -ENOMEM;
   ret = nvsvm_pool_create(&pp, &l->pool);
   if (ret)
      return ret;
   for (unsigned i = 0; i < p->counters; i++) {
      if (p->per_page == 1) {
         ret = nvsvm_pool_alloc(l->pool, sizeof(uint64_t),
                                (void **)&l->word[i]);
      } else {
         unsigned g = i / p->per_page;

         if (!l->groups[g])
            ret = nvsvm_group_create(l->pool, &l->groups[g]);
         if (!ret)
            ret = nvsvm_group_alloc(l->groups[g], sizeof(uint64_t),
                                    sizeof(uint64_t), (void **)&l->word[i]);
      }
      if (ret)
         return ret;
   }
   return 0;
}

static void
bench_layout_free(struct bench_layout *l)
{
   /* Destroying the pool unmaps groups and objects alike. */
   if (l->pool)
      nvsvm_pool_destroy(l->pool);
   free(l->groups);
   free(l->expected);
   free(l->word);
}

static int
bench_counters_check(const struct nvsvm_bench_counters_params *p)
{
   if (!p || p->counters < 2 || p->counters > NVSVM_BENCH_MAX_COUNTERS ||
       p->per_page < 1 || p->per_page > p->counters ||
       p->per_page > NVSVM_PAGE_SIZE / sizeof(uint64_t) ||
       p->cpu_threads < 1 || p->cpu_threads > NVSVM_BENCH_MAX_CPU_THREADS ||
       p->device_steps < 1 || p->device_steps > NVSVM_BENCH_MAX_ROUNDS ||
       !(p->time_limit_s > 0.0))
      return -EINVAL;
   return 0;
}

int
nvsvm_bench_counters(struct nvsvm_device *dev,
                     const struct nvsvm_bench_counters_params *p,
                     struct nvsvm_bench_counters_result *r)
{
   struct nvsvm_device_info info;
   struct bench_cpu cpu[NVSVM_BENCH_MAX_CPU_THREADS];
   uint64_t seen[NVSVM_BENCH_MAX_CPU_THREADS];
   struct nvsvm_telemetry *tm = NULL;
   struct nvsvm_range_stats rs;
   struct nvsvm_pool_stats ps;
   struct bench_layout l;
   int (*step)(struct nvsvm_device *, uint64_t *, uint64_t *);
   unsigned started = 0, active = 0, dev_range = 0;
   uint64_t retries = 0;
   double t0, deadline;
   int stop = 0, ready = 0, ret;

   if (!dev || !r)
      return -EINVAL;
   ret = bench_counters_check(p);
   if (ret)
      return ret;
   ret = nvsvm_device_get_info(dev, &info);
   if (ret)
      return ret;
   if (info.backend == NVSVM_BACKEND_HMM && !p->shared) {
      step = bench_step_hmm;
   } else if (info.backend == NVSVM_BACKEND_VSVM) {
      if (!nvsvm_svm_enabled(dev))
         return -NVSVM_E_NO_SVM;
      step = bench_step_vsvm;
   } else {
      return -NVSVM_E_NOT_SUPPORTED;
   }

   memset(r, 0, sizeof(*r));
   memset(cpu, 0, sizeof(cpu));
   snprintf(r->backend, sizeof(r->backend), "%s",
            nvsvm_backend_name(info.backend));
   r->counters = p->counters;
   r->per_page = p->per_page;
   r->cpu_threads = p->cpu_threads;
   r->shared = p->shared;

   ret = bench_layout_make(p, &l);
   if (ret)
      goto out;

   /* The detector watches the device's page, objects as laid out. */
   ret = nvsvm_telemetry_create(NULL, &tm);
   if (ret)
      goto out;
   {
      struct nvsvm_watch_params wp = {
         .name = "device counter page",
         .object_size = sizeof(uint64_t),
         .object_stride = sizeof(uint64_t),
      };
      unsigned on_page = p->per_page;

      ret = nvsvm_telemetry_watch(tm, l.word[0], on_page * sizeof(uint64_t),
                                  &wp, &dev_range);
      if (ret)
         goto out;
   }

   /* CPU counters split between the threads; shared: all on counter 0. */
   for (unsigned t = 0; t < p->cpu_threads; t++) {
      unsigned n = 0;

      cpu[t].words = calloc(p->counters, sizeof(*cpu[t].words));
      cpu[t].made = calloc(p->counters, sizeof(*cpu[t].made));
      if (!cpu[t].words || !cpu[t].made) {
         ret = -ENOMEM;
         goto out;
      }
      if (p->shared) {
         cpu[t].words[n++] = l.word[0];
      } else {
         for (unsigned i = 1 + t; i < p->counters; i += p->cpu_threads)
            cpu[t].words[n++] = l.word[i];
      }
      cpu[t].n = n;
      cpu[t].stop = &stop;
      cpu[t].ready = &ready;
   }

   for (unsigned t = 0; t < p->cpu_threads; t++) {
      if (cpu[t].n == 0)
         continue;
      if (pthread_create(&cpu[t].th, NULL, bench_cpu_thread, &cpu[t]) != 0) {
         ret = -EAGAIN;
         goto out_stop;
      }
      started = t + 1;
      active++;
   }

   /* The device starts once every CPU thread is adding, never before. */
   deadline = nvsvm_time_s() + BENCH_START_WAIT_S;
   while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < (int)active) {
      struct timespec nap = { 0, 100 * 1000 };

      if (nvsvm_time_s() > deadline) {
         ret = -NVSVM_E_TIMEOUT;
         goto out_stop;
      }
      nanosleep(&nap, NULL);
   }

   t0 = nvsvm_time_s();
   deadline = t0 + p->time_limit_s;
   for (unsigned i = 0; i < p->cpu_threads; i++)
      seen[i] = __atomic_load_n(&cpu[i].passes, __ATOMIC_ACQUIRE);
   for (uint64_t s = 0; s < p->device_steps; s++) {
      uint64_t before;
      double t;

      /*
       * CPU atomics are far quicker than device ones: every CPU thread
       * makes a whole pass over its counters between two device steps.
       * The pass that was running when the last step ended may have
       * stored before it, so wait for the one after (seen + 2). This
       * paces the device on a loaded host too, where a CPU thread could
       * otherwise sleep through many steps.
       */
      for (unsigned i = 0; i < p->cpu_threads; i++) {
         for (unsigned spin = 0;
              cpu[i].n && __atomic_load_n(&cpu[i].passes,
                                          __ATOMIC_ACQUIRE) < seen[i] + 2;
              spin++) {
            /* A sleep lets a CPU thread sharing our vCPU run at once. */
            struct timespec nap = { 0, 20 * 1000 };

            if (nvsvm_time_s() > deadline)
               break;
            if (spin < 64)
               sched_yield();
            else
               nanosleep(&nap, NULL);
         }
      }
      if (nvsvm_time_s() > deadline) {
         r->time_limited = true;
         break;
      }
      before = nvsvm_telemetry_now_ns();
      t = nvsvm_time_s();

      ret = step(dev, l.word[0], &retries);
      r->device_busy_s += nvsvm_time_s() - t;
      if (ret < 0)
         goto out_stop;
      for (unsigned i = 0; i < p->cpu_threads; i++)
         seen[i] = __atomic_load_n(&cpu[i].passes, __ATOMIC_ACQUIRE);
      r->device_steps++;
      if (ret == 1) {
         /*
          * Every conversion after the first means the CPU took the page
          * back since the last step: a revocation, then the conversion.
          */
         if (r->conversions)
            nvsvm_telemetry_record(tm, l.word[0], NVSVM_EVENT_REVOCATION,
                                   before);
         nvsvm_telemetry_record(tm, l.word[0], NVSVM_EVENT_CONVERSION,
                                nvsvm_telemetry_now_ns());
         r->conversions++;
      }
      t = nvsvm_time_s();
      if (t > deadline) {
         r->time_limited = r->device_steps < p->device_steps;
         break;
      }
   }
   r->seconds = nvsvm_time_s() - t0;
   ret = 0;

out_stop:
   __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
   for (unsigned t = 0; t < started; t++) {
      if (cpu[t].n)
         pthread_join(cpu[t].th, NULL);
   }
   if (ret)
      goto out;

   r->retries = retries;
   for (unsigned t = 0; t < p->cpu_threads; t++) {
      for (unsigned j = 0; j < cpu[t].n; j++) {
         r->cpu_increments += cpu[t].made[j];
         /* Counter index from its address: expected sums per counter. */
         for (unsigned i = 0; i < p->counters; i++) {
            if (l.word[i] == cpu[t].words[j]) {
               l.expected[i] += cpu[t].made[j];
               break;
            }
         }
      }
      r->cpu_minor_faults += cpu[t].minflt;
   }
   /* hmm has no device-side write: its counter only holds CPU adds. */
   if (step == bench_step_vsvm)
      l.expected[0] += r->device_steps;
   for (unsigned i = 0; i < p->counters; i++) {
      uint64_t v = __atomic_load_n(l.word[i], __ATOMIC_RELAXED);

      if (v != l.expected[i])
         r->mismatched++;
   }
   r->device_value = __atomic_load_n(l.word[0], __ATOMIC_RELAXED);
   r->device_expected = l.expected[0];
   r->device_steps_per_s = r->device_busy_s > 0 ?
                           r->device_steps / r->device_busy_s : 0;
   r->cpu_increments_per_s = r->seconds > 0 ?
                             r->cpu_increments / r->seconds : 0;

   nvsvm_telemetry_range_stats(tm, dev_range, nvsvm_telemetry_now_ns(), &rs);
   r->pages_thrashing = rs.pages_thrashing;
   r->close_events = rs.close_events;
   r->advice = rs.advice;
   if (nvsvm_pool_get_stats(l.pool, &ps) == 0) {
      r->pages = (unsigned)ps.pages_in_use;
      r->pool_bytes_held = ps.bytes_held;
      r->bytes_requested = ps.bytes_requested;
   }

out:
   for (unsigned t = 0; t < p->cpu_threads; t++) {
      free(cpu[t].words);
      free(cpu[t].made);
   }
   nvsvm_telemetry_destroy(tm);
   bench_layout_free(&l);
   return ret;
}

/* ----------------------------------------------------------- range check */

/* Lines of /proc/self/maps, and how many mappings start below addr. */
static int
bench_maps_count(uint64_t addr, unsigned *total, unsigned *below)
{
   char line[512];
   FILE *f = fopen("/proc/self/maps", "re");

   if (!f)
      return -errno;
   *total = 0;
   if (below)
      *below = 0;
   while (fgets(line, sizeof(line), f)) {
      unsigned long long start;
      size_t len = strlen(line);

      /* Only whole lines count; a long path is read in pieces. */
      if (len && line[len - 1] != '\n' && !feof(f))
         continue;
      (*total)++;
      if (below && sscanf(line, "%llx-", &start) == 1 && start < addr)
         (*below)++;
   }
   fclose(f);
   return 0;
}

/* Median cost of one nvsvm_range_check() call on page, in us. */
static int
bench_check_cost(void *page, unsigned flags, unsigned calls, double *us)
{
   struct nvsvm_range_report rep;
   double *t;
   int ret = 0;

   t = malloc(calls * sizeof(*t));
   if (!t)
      return -ENOMEM;
   /* Warm the page cache of /proc and the allocator first. */
   for (unsigned i = 0; i < 3 && !ret; i++)
      ret = nvsvm_range_check(page, PAGE, flags, &rep);
   for (unsigned i = 0; i < calls && !ret; i++) {
      double a = nvsvm_time_s();

      ret = nvsvm_range_check(page, PAGE, flags, &rep);
      t[i] = (nvsvm_time_s() - a) * 1e6;
   }
   if (!ret)
      *us = bench_median(t, calls);
   free(t);
   return ret;
}

static int
bench_point(void *page, unsigned calls, struct nvsvm_bench_range_point *pt)
{
   unsigned total;
   int ret;

   pt->addr = (uintptr_t)page;
   ret = bench_maps_count(pt->addr, &total, &pt->maps_below);
   if (!ret)
      ret = bench_check_cost(page, NVSVM_RANGE_REQUIRE_ALIGNED, calls,
                             &pt->us);
   if (!ret)
      ret = bench_check_cost(page, NVSVM_RANGE_REQUIRE_ALIGNED |
                             NVSVM_RANGE_NO_THP_CHECK, calls, &pt->us_no_thp);
   return ret;
}

static void *
bench_map_page(void *hint)
{
   void *p = mmap(hint, PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   if (p == MAP_FAILED)
      return NULL;
   madvise(p, PAGE, MADV_NOHUGEPAGE);
   *(volatile char *)p = 1;
   return p;
}

int
nvsvm_bench_range_cost(const struct nvsvm_bench_range_params *p,
                       struct nvsvm_bench_range_result *r)
{
   unsigned char *region = NULL;
   void *a = NULL, *b = NULL;
   size_t rlen = 0;
   int ret;

   if (!p || !r || p->mappings > NVSVM_BENCH_MAX_MAPPINGS ||
       p->calls < 1 || p->calls > 100000)
      return -EINVAL;
   memset(r, 0, sizeof(*r));

   a = bench_map_page(NULL);
   if (!a)
      return -errno;
   ret = bench_point(a, p->calls, &r->few);
   if (ret)
      goto out;
   ret = bench_maps_count(0, &r->maps_before, NULL);
   if (ret)
      goto out;

   if (p->mappings) {
      /*
       * mappings pages between two unmapped guard pages, every other one
       * read-write: neighbours differ and holes bound both ends, so each
       * page is a VMA of its own.
       */
      rlen = ((size_t)p->mappings + 2) * PAGE;
      region = mmap(NULL, rlen + 64 * PAGE, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (region == MAP_FAILED) {
         region = NULL;
         ret = -errno;
         goto out;
      }
      /*
       * Reserved with 64 pages below, freed at once: the low probe's
       * hint is then free (a bare hint often was not under ASan, and
       * "anywhere" put the probe beside the first one, merged with it).
       */
      munmap(region, 64 * PAGE);
      region += 64 * PAGE;
      r->region_addr = (uintptr_t)region;
      r->region_len = rlen;
      munmap(region, PAGE);
      munmap(region + rlen - PAGE, PAGE);
      for (unsigned i = 1; i <= p->mappings; i += 2) {
         if (mprotect(region + i * PAGE, PAGE,
                      PROT_READ | PROT_WRITE) != 0) {
            ret = -errno;
            goto out;
         }
      }
   }

   /* The second probe asks for a spot below the region, else anywhere. */
   b = bench_map_page(region && (uintptr_t)region > 64 * PAGE ?
                      region - 64 * PAGE : NULL);
   if (!b) {
      ret = -errno;
      goto out;
   }
   ret = bench_maps_count(0, &r->maps_after, NULL);
   if (ret)
      goto out;
   {
      void *lo = (uintptr_t)a < (uintptr_t)b ? a : b;
      void *hi = lo == a ? b : a;

      ret = bench_point(lo, p->calls, &r->many_low);
      if (!ret)
         ret = bench_point(hi, p->calls, &r->many_high);
   }

out:
   if (region) {
      /* The guards are already gone; unmapping a hole is harmless. */
      munmap(region, rlen);
   }
   if (b)
      munmap(b, PAGE);
   munmap(a, PAGE);
   return ret;
}
