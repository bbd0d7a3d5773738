/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: a real thrashing run. A CPU thread hammers
 * counters while the device keeps atomic ownership of its own counter;
 * the placement allocator's layout decides whether the page thrashes,
 * and the telemetry's detector must say so, with the right advice.
 */

#include <pthread.h>
#include <sched.h>

#include "kt_common.h"
#include "nvsvm/nvsvm_placement.h"
#include "nvsvm/nvsvm_telemetry.h"

#define COUNTERS 16
#define STEPS 500
#define LIMIT_S 60.0
/*
 * UVM's 500 us lapse is for real hardware; under TCG on a loaded host a
 * round trip alone can take that long, so the detector gets 5 ms here.
 */
#define LAPSE_NS (5ull * 1000 * 1000)

static const struct nvsvm_thrash_params thrash_params = {
   .lapse_ns = LAPSE_NS,
};

/* The CPU side: +1 on counters 1..COUNTERS-1 in turn, passes counted. */
struct hammer {
   uint64_t *word[COUNTERS];
   uint64_t made[COUNTERS];
   uint64_t passes;          /* atomic */
   uint64_t allowed;         /* gated: passes the main thread allows */
   bool gated;
   int stop;                 /* atomic */
   struct nvsvm_telemetry *tm;
   unsigned range;           /* the device page's range: faults go there */
   uint64_t faults;          /* this thread's minor faults after pass 1 */
   int err;
};

static void *
hammer_thread(void *arg)
{
   struct hammer *h = arg;
   struct nvsvm_fault_region region;
   bool first = true;

   while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED)) {
      if (h->gated && __atomic_load_n(&h->allowed, __ATOMIC_ACQUIRE) <=
                      __atomic_load_n(&h->passes, __ATOMIC_RELAXED)) {
         struct timespec nap = { 0, 20 * 1000 };

         nanosleep(&nap, NULL);
         continue;
      }
      for (unsigned i = 1; i < COUNTERS; i++) {
         __atomic_fetch_add(h->word[i], 1, __ATOMIC_RELAXED);
         h->made[i]++;
      }
      if (first) {
         /* Start-up faults (stack, TLS) are not the device's doing. */
         h->err = nvsvm_telemetry_region_begin(h->tm, h->range, &region);
         if (h->err)
            break;
         first = false;
      }
      __atomic_fetch_add(&h->passes, 1, __ATOMIC_RELEASE);
   }
   if (!first)
      h->err = nvsvm_telemetry_region_end(h->tm, &region, &h->faults);
   return NULL;
}

/* Wait until the CPU made a whole pass that began after the last step. */
static bool
wait_for_cpu_pass(struct hammer *h, uint64_t seen, double end)
{
   struct timespec nap = { 0, 20 * 1000 };

   while (__atomic_load_n(&h->passes, __ATOMIC_ACQUIRE) < seen + 2) {
      if (kt_now() > end)
         return false;
      nanosleep(&nap, NULL);
   }
   return true;
}

struct run {
   unsigned steps, conversions;
   struct nvsvm_range_stats stats;   /* the device page's range */
   uint64_t cpu_faults;
   unsigned wrong_totals;
};

/*
 * The device's loop, as a GPU does it: an atomic needs a fault only when
 * its mapping was revoked (CHECK_EXCLUSIVE says 0); each such conversion
 * after the first is recorded as a revocation then a conversion.
 */
static int
thrash_run(struct nvsvm_device *dev, struct hammer *h, struct run *out)
{
   uint64_t *dword = h->word[0];
   void *dpage = (void *)((uintptr_t)dword & ~(uintptr_t)(KT_PAGE - 1));
   double end = kt_now() + LIMIT_S;
   uint64_t seen = 0;
   pthread_t th;
   int ret = 0;

   memset(out, 0, sizeof(*out));
   if (pthread_create(&th, NULL, hammer_thread, h) != 0)
      return -EAGAIN;
   for (unsigned s = 0; s < STEPS; s++) {
      uint64_t t;

      if (!wait_for_cpu_pass(h, seen, end)) {
         ret = -ETIMEDOUT;
         break;
      }
      t = nvsvm_telemetry_now_ns();
      ret = nvsvm_device_check_exclusive(dev, dpage, KT_PAGE);
      if (ret == 0) {
         if (out->conversions)
            nvsvm_telemetry_record(h->tm, dword, NVSVM_EVENT_REVOCATION, t);
         ret = nvsvm_device_atomic_fault(dev, dpage, KT_PAGE, NULL);
         if (ret)
            break;
         nvsvm_telemetry_record(h->tm, dword, NVSVM_EVENT_CONVERSION,
                                nvsvm_telemetry_now_ns());
         out->conversions++;
      } else if (ret != 1) {
         break;
      }
      ret = 0;
      seen = __atomic_load_n(&h->passes, __ATOMIC_ACQUIRE);
      out->steps++;
   }
   __atomic_store_n(&h->stop, 1, __ATOMIC_RELAXED);
   pthread_join(th, NULL);
   if (!ret)
      ret = h->err;
   /* region_end gave the minor count; the range also has the major one. */
   out->cpu_faults = h->faults;
   for (unsigned i = 1; i < COUNTERS; i++)
      out->wrong_totals += __atomic_load_n(h->word[i], __ATOMIC_RELAXED) !=
                           h->made[i];
   nvsvm_telemetry_range_stats(h->tm, h->range, nvsvm_telemetry_now_ns(),
                               &out->stats);
   out->cpu_faults += out->stats.cpu_major_faults;
   printf("# %u steps, %u conversions, %" PRIu64 " CPU faults (%" PRIu64
          " major), %" PRIu64
          " close alternations, %u page(s) thrashing, advice 0x%x\n",
          out->steps, out->conversions, out->cpu_faults,
          out->stats.cpu_major_faults,
          out->stats.close_events, out->stats.pages_thrashing,
          out->stats.advice);
   return ret;
}

/* HARNESS_DEFER() releases of what a scenario created. */
static void
pool_destroy_deferred(void *pool, uintptr_t n)
{
   (void)n;
   nvsvm_pool_destroy(pool);
}

static void
telemetry_destroy_deferred(void *tm, uintptr_t n)
{
   (void)n;
   nvsvm_telemetry_destroy(tm);
}

/* Stop the CPU thread and wait for it (also an ASSERT's guard). */
static void
hammer_stop(void *arg, uintptr_t th)
{
   struct hammer *h = arg;

   __atomic_store_n(&h->stop, 1, __ATOMIC_RELAXED);
   pthread_join((pthread_t)th, NULL);
}

/*
 * Sixteen counters packed in one group page: the CPU's stores to its
 * fifteen revoke the device's page every time, every device step converts
 * again, and the detector names the page with "split" as its advice.
 */
TEST_F_TIMEOUT(hmm, packed_counters_thrash_every_step_detector_advises_split,
               LIMIT_S + 30)
{
   struct nvsvm_watch_params wp = {
      .name = "packed counters",
      .object_size = sizeof(uint64_t),
      .object_stride = sizeof(uint64_t),
   };
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_pool *pool;
   struct nvsvm_group *group = NULL;
   struct hammer h = { 0 };
   struct run r;

   ASSERT_OK(nvsvm_pool_create(NULL, &pool));
   HARNESS_DEFER(pool_destroy_deferred, pool, 0);
   ASSERT_OK(nvsvm_group_create(pool, &group));
   for (unsigned i = 0; i < COUNTERS; i++)
      ASSERT_OK(nvsvm_group_alloc(group, sizeof(uint64_t), sizeof(uint64_t),
                                  (void **)&h.word[i]));
   ASSERT_EQ(nvsvm_group_pages(group), 1);
   ASSERT_OK(nvsvm_telemetry_create(&thrash_params, &h.tm));
   HARNESS_DEFER(telemetry_destroy_deferred, h.tm, 0);
   ASSERT_OK(nvsvm_telemetry_watch(h.tm, h.word[0],
                                   COUNTERS * sizeof(uint64_t), &wp,
                                   &h.range));

   ASSERT_OK(thrash_run(dev, &h, &r));
   ASSERT_EQ(r.steps, STEPS);
   ASSERT_EQ(r.wrong_totals, 0);
   /* A whole CPU pass between two steps: the page was always revoked. */
   ASSERT_EQ(r.conversions, STEPS);
   /*
    * Each revocation was a CPU fault on the exclusive page. A fault that
    * had to retry (the device held the folio lock) counts as major: the
    * kernel charges FAULT_FLAG_TRIED faults that way, seen on 6.1.
    */
   ASSERT_GE(r.cpu_faults, STEPS - 1);
   ASSERT_EQ(r.stats.cpu_minor_faults + r.stats.cpu_major_faults,
             r.cpu_faults);
   ASSERT_EQ(r.stats.events[NVSVM_EVENT_CONVERSION], STEPS);
   ASSERT_EQ(r.stats.events[NVSVM_EVENT_REVOCATION], STEPS - 1);
   ASSERT_EQ(r.stats.pages_ever_thrashed, 1);
   ASSERT_EQ(r.stats.max_objects_on_thrashed_page, COUNTERS);
   ASSERT_TRUE(r.stats.advice & NVSVM_ADVICE_SPLIT);
}

/*
 * The same sixteen counters from nvsvm_pool_alloc: a page each. The CPU
 * never touches the device's page, so the device converts it once and
 * keeps it for the whole run; the detector stays silent.
 */
TEST_F_TIMEOUT(hmm, placed_counters_convert_once_device_keeps_its_page,
               LIMIT_S + 30)
{
   struct nvsvm_watch_params wp = {
      .name = "placed counter",
      .object_size = sizeof(uint64_t),
   };
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_pool *pool;
   struct hammer h = { 0 };
   struct run r;

   ASSERT_OK(nvsvm_pool_create(NULL, &pool));
   HARNESS_DEFER(pool_destroy_deferred, pool, 0);
   for (unsigned i = 0; i < COUNTERS; i++) {
      ASSERT_OK(nvsvm_pool_alloc(pool, sizeof(uint64_t),
                                 (void **)&h.word[i]));
      /* The allocator's promise: no two counters on one page. */
      for (unsigned j = 0; j < i; j++)
         ASSERT_NE((uintptr_t)h.word[i] / KT_PAGE,
                   (uintptr_t)h.word[j] / KT_PAGE);
   }
   ASSERT_OK(nvsvm_telemetry_create(&thrash_params, &h.tm));
   HARNESS_DEFER(telemetry_destroy_deferred, h.tm, 0);
   ASSERT_OK(nvsvm_telemetry_watch(h.tm, h.word[0], sizeof(uint64_t), &wp,
                                   &h.range));

   ASSERT_OK(thrash_run(dev, &h, &r));
   ASSERT_EQ(r.steps, STEPS);
   ASSERT_EQ(r.wrong_totals, 0);
   ASSERT_EQ(r.conversions, 1);
   /* No CPU store ever found an exclusive page. */
   ASSERT_EQ(r.cpu_faults, 0);
   ASSERT_EQ(r.stats.events[NVSVM_EVENT_REVOCATION], 0);
   ASSERT_EQ(r.stats.close_events, 0);
   ASSERT_EQ(r.stats.pages_ever_thrashed, 0);
   ASSERT_EQ(r.stats.advice, NVSVM_ADVICE_NONE);
   /* After the run the device still holds its page; the CPU its own. */
   ASSERT_TRUE(kt_pm_exclusive(h.word[0]));
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, h.word[0], KT_PAGE), 1);
   for (unsigned i = 1; i < COUNTERS; i++)
      ASSERT_TRUE(kt_pm_present(h.word[i]));
}

/*
 * Pagemap sampling alone, with the CPU's passes handed over one at a time
 * (convert, sample, one CPU pass, sample): every change of hands shows,
 * exactly once, on the device's page and on no other page.
 */
TEST_F_TIMEOUT(hmm, pagemap_sampling_between_handoffs_sees_every_change_once,
               LIMIT_S + 30)
{
   struct nvsvm_watch_params wp = {
      .name = "packed counters",
      .object_size = sizeof(uint64_t),
      .object_stride = sizeof(uint64_t),
   };
   struct nvsvm_watch_params cpu_wp = { .name = "cpu-only page" };
   struct nvsvm_range_stats dev_s, cpu_s;
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_pool *pool;
   struct nvsvm_group *group = NULL;
   struct hammer h = { .gated = true };
   uint64_t *cpu_only = NULL;
   unsigned cpu_range;
   double end = kt_now() + LIMIT_S;
   pthread_t th;
   void *dpage;

   ASSERT_OK(nvsvm_pool_create(NULL, &pool));
   HARNESS_DEFER(pool_destroy_deferred, pool, 0);
   ASSERT_OK(nvsvm_group_create(pool, &group));
   for (unsigned i = 0; i < COUNTERS; i++)
      ASSERT_OK(nvsvm_group_alloc(group, sizeof(uint64_t), sizeof(uint64_t),
                                  (void **)&h.word[i]));
   ASSERT_OK(nvsvm_pool_alloc(pool, sizeof(uint64_t), (void **)&cpu_only));
   *cpu_only = 1;
   ASSERT_OK(nvsvm_telemetry_create(&thrash_params, &h.tm));
   HARNESS_DEFER(telemetry_destroy_deferred, h.tm, 0);
   ASSERT_OK(nvsvm_telemetry_watch(h.tm, h.word[0],
                                   COUNTERS * sizeof(uint64_t), &wp,
                                   &h.range));
   ASSERT_OK(nvsvm_telemetry_watch(h.tm, cpu_only, sizeof(*cpu_only), &cpu_wp,
                                   &cpu_range));
   dpage = (void *)((uintptr_t)h.word[0] & ~(uintptr_t)(KT_PAGE - 1));

   /* One pass before the baseline: both pages populated, CPU-owned. */
   __atomic_store_n(&h.allowed, 1, __ATOMIC_RELEASE);
   ASSERT_EQ(pthread_create(&th, NULL, hammer_thread, &h), 0);
   harness_guard(hammer_stop, &h, (uintptr_t)th);
   if (!wait_for_cpu_pass(&h, (uint64_t)0 - 1, end))
      FAIL("the CPU thread made no pass in %.0f s", LIMIT_S);
   ASSERT_OK(nvsvm_telemetry_sample(h.tm, nvsvm_telemetry_now_ns()));
   for (unsigned s = 0; s < STEPS; s++) {
      uint64_t done = __atomic_load_n(&h.passes, __ATOMIC_ACQUIRE);

      ASSERT_OK(nvsvm_device_atomic_fault(dev, dpage, KT_PAGE, NULL));
      ASSERT_OK(nvsvm_telemetry_sample(h.tm, nvsvm_telemetry_now_ns()));
      __atomic_store_n(&h.allowed, done + 1, __ATOMIC_RELEASE);
      if (!wait_for_cpu_pass(&h, done - 1, end))
         FAIL("step %u: the CPU thread made no pass in %.0f s", s,
              LIMIT_S);
      ASSERT_OK(nvsvm_telemetry_sample(h.tm, nvsvm_telemetry_now_ns()));
   }
   harness_unguard(&h);
   hammer_stop(&h, (uintptr_t)th);
   ASSERT_OK(nvsvm_telemetry_range_stats(h.tm, h.range,
                                         nvsvm_telemetry_now_ns(), &dev_s));
   ASSERT_OK(nvsvm_telemetry_range_stats(h.tm, cpu_range,
                                         nvsvm_telemetry_now_ns(), &cpu_s));
   printf("# sampled %" PRIu64 " times: %" PRIu64 " conversions, %" PRIu64
          " revocations, %" PRIu64 " close alternations\n", dev_s.samples,
          dev_s.events[NVSVM_EVENT_CONVERSION],
          dev_s.events[NVSVM_EVENT_REVOCATION], dev_s.close_events);
   ASSERT_EQ(dev_s.samples, 2 * STEPS + 1);
   ASSERT_EQ(dev_s.events[NVSVM_EVENT_CONVERSION], STEPS);
   ASSERT_EQ(dev_s.events[NVSVM_EVENT_REVOCATION], STEPS);
   ASSERT_EQ(dev_s.events[NVSVM_EVENT_CPU_FAULT], 0);
   for (unsigned e = 0; e < NVSVM_EVENT_COUNT; e++)
      ASSERT_EQ(cpu_s.events[e], 0);
   ASSERT_EQ(*cpu_only, 1);
   for (unsigned i = 1; i < COUNTERS; i++)
      ASSERT_EQ(*h.word[i], STEPS + 1);
}

TEST_HARNESS_MAIN
