/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: contention. Two devices fight over one page;
 * CPU threads keep updating their pages while the device converts them
 * over and over. Nothing may be lost and nothing may hang.
 */

#include <pthread.h>
#include <sched.h>

#include "kt_common.h"

#define CONTEND_ROUNDS 2000
#define CONTEND_LIMIT_S 60.0

/*
 * dmirror0 and dmirror1 take turns converting one page: each conversion
 * revokes the other device (its mirror forgets the page), the CPU's data
 * survives, and the CPU's PTE ends up exclusive for whoever was last.
 */
TEST_F_TIMEOUT(hmm, two_devices_alternate_one_page_each_revokes_the_other,
               CONTEND_LIMIT_S + 30)
{
   struct nvsvm_device *d0 = self->dev, *d1 = kt_open_dev1(self);
   uint64_t *page = kt_map_anon(1, true);
   uint64_t copy[KT_PAGE / 8];
   double end = kt_now() + CONTEND_LIMIT_S;
   unsigned i;

   ASSERT_TRUE(page);
   for (i = 0; i < CONTEND_ROUNDS && kt_now() < end; i++) {
      struct nvsvm_device *me = (i & 1) ? d1 : d0;
      struct nvsvm_device *other = (i & 1) ? d0 : d1;

      page[0] = i;   /* the CPU's turn in between: revokes both */
      ASSERT_OK(nvsvm_device_atomic_fault(me, page, KT_PAGE, copy));
      if (copy[0] != i)
         FAIL("round %u: device %d saw %" PRIu64, i, i & 1, copy[0]);
      if (nvsvm_device_check_exclusive(me, page, KT_PAGE) != 1)
         FAIL("round %u: device %d not exclusive after converting", i,
              i & 1);
      if (nvsvm_device_check_exclusive(other, page, KT_PAGE) != 0)
         FAIL("round %u: device %d still exclusive", i, !(i & 1));
   }
   ASSERT_EQ(i, CONTEND_ROUNDS);

   /* Without a CPU turn in between: d1 takes the page straight from d0. */
   ASSERT_OK(nvsvm_device_atomic_fault(d0, page, KT_PAGE, NULL));
   ASSERT_OK(nvsvm_device_atomic_fault(d1, page, KT_PAGE, copy));
   ASSERT_EQ(copy[0], CONTEND_ROUNDS - 1);
   ASSERT_EQ(nvsvm_device_check_exclusive(d0, page, KT_PAGE), 0);
   ASSERT_EQ(nvsvm_device_check_exclusive(d1, page, KT_PAGE), 1);
   ASSERT_TRUE(kt_pm_exclusive(page));
}

/* --------------------------------------------------------- CPU threads */

#define THREADS 4
#define HAMMER_S 1.0

#define MIN_CONVERSIONS 10

struct worker {
   uint64_t *counter;   /* word 0 of the worker's own page */
   double until;        /* hard end (CONTEND_LIMIT_S) */
   int *stop;           /* set by the device loop once it has enough */
   uint64_t done;       /* increments made, counted privately */
   uint64_t faults;
   int finished;
};

/*
 * Increment our page's counter until the device loop says stop (at least
 * HAMMER_S and MIN_CONVERSIONS conversions) or the hard end; count on the
 * side too.
 */
static void *
worker_thread(void *arg)
{
   struct worker *w = arg;
   uint64_t f0 = kt_minflt_thread();

   w->done = 0;
   while (kt_now() < w->until &&
          !__atomic_load_n(w->stop, __ATOMIC_ACQUIRE)) {
      for (int i = 0; i < 256; i++)
         __atomic_fetch_add(w->counter, 1, __ATOMIC_RELAXED);
      w->done += 256;
   }
   w->faults = kt_minflt_thread() - f0;
   __atomic_store_n(&w->finished, 1, __ATOMIC_RELEASE);
   return NULL;
}

/* The workers that run, stopped and joined (also by an ASSERT's guard). */
struct workers {
   pthread_t th[THREADS];
   unsigned started;
   int stop;
};

static void
workers_stop(void *arg, uintptr_t n)
{
   struct workers *ws = arg;

   (void)n;
   __atomic_store_n(&ws->stop, 1, __ATOMIC_RELEASE);
   for (; ws->started; ws->started--)
      pthread_join(ws->th[ws->started - 1], NULL);
}

TEST_F_TIMEOUT(hmm, cpu_threads_increment_while_device_converts_nothing_lost,
               CONTEND_LIMIT_S + 30)
{
   struct nvsvm_device *dev = self->dev;
   unsigned char *pages = kt_map_anon(THREADS, true);
   struct worker w[THREADS];
   struct workers ws = { .started = 0 };
   unsigned converted = 0, refused = 0;
   uint64_t faults = 0;
   double deadline = kt_now() + CONTEND_LIMIT_S;
   double hammer_end = kt_now() + HAMMER_S;
   struct nvsvm_device_stats st;

   ASSERT_TRUE(pages);
   memset(pages, 0, THREADS * KT_PAGE);
   harness_guard(workers_stop, &ws, 0);
   for (unsigned t = 0; t < THREADS; t++) {
      w[t].counter = (uint64_t *)(pages + t * KT_PAGE);
      w[t].until = deadline;
      w[t].stop = &ws.stop;
      w[t].finished = 0;
      if (pthread_create(&ws.th[t], NULL, worker_thread, &w[t]) != 0)
         FAIL("pthread_create %u", t);
      ws.started++;
   }
   /*
    * The device grabs the pages one by one, round and round, as a GPU's
    * atomic faults would (nouveau converts one 4 KiB page per fault).
    */
   for (unsigned i = 0;; i++) {
      bool running = false;
      int ret;

      for (unsigned t = 0; t < THREADS; t++)
         running |= !__atomic_load_n(&w[t].finished, __ATOMIC_ACQUIRE);
      if (!running || kt_now() > deadline)
         break;
      /*
       * At least HAMMER_S of contention and MIN_CONVERSIONS conversions
       * under it: a loaded host may give the device few turns a second.
       */
      if (converted >= MIN_CONVERSIONS && kt_now() > hammer_end)
         __atomic_store_n(&ws.stop, 1, __ATOMIC_RELEASE);
      ret = nvsvm_device_atomic_fault(dev, pages + (i % THREADS) * KT_PAGE,
                                      KT_PAGE, NULL);
      if (ret == 0)
         converted++;
      else if (ret == -EBUSY || ret == -ENOENT)
         refused++;
      else
         FAIL("device conversion: %s", nvsvm_error_name(ret));
   }
   workers_stop(&ws, 0);
   harness_unguard(&ws);
   for (unsigned t = 0; t < THREADS; t++) {
      faults += w[t].faults;
      if (w[t].counter[0] != w[t].done)
         FAIL("thread %u: page says %" PRIu64 ", thread made %" PRIu64,
              t, w[t].counter[0], w[t].done);
   }
   ASSERT_OK(nvsvm_device_get_stats(dev, &st));
   printf("# %u page conversions (%u refused after bounded retries, %"
          PRIu64 " retries), %" PRIu64 " CPU faults, %" PRIu64
          " increments by thread 0\n", converted, refused, st.retries,
          faults, w[0].done);
   ASSERT_GE(converted, MIN_CONVERSIONS);
   /*
    * Each worker fault takes back a page the device converted: faults
    * happen, and never more than conversions (plus a few for the
    * threads' own stacks). A conversion can also be undone by the next
    * conversion instead, while its worker waits for a CPU. An attempt
    * the backend retried, or finally refused, with -ENOENT did convert:
    * the CPU took the page back before the device's copy, with a fault
    * of its own, so every attempt counts (a loaded host retries more).
    */
   ASSERT_GE(faults, 1);
   ASSERT_LE(faults, converted + refused + st.retries + 16 * THREADS);
}

TEST_HARNESS_MAIN
