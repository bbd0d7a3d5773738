/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: contention. Two devices fight over one page;
 * CPU threads keep updating their pages while the device converts them
 * over and over. Nothing may be lost and nothing may hang.
 */

#include <pthread.h>
#include <sched.h>

#include "kt_common.h"

struct kt_ctx {
   struct kt_kernel k;
};

#define CONTEND_ROUNDS 2000
#define CONTEND_LIMIT_S 60.0

/*
 * dmirror0 and dmirror1 take turns converting one page: each conversion
 * revokes the other device (its mirror forgets the page), the CPU's data
 * survives, and the CPU's PTE ends up exclusive for whoever was last.
 */
static enum piglit_result
two_devices_alternate_one_page_each_revokes_the_other(void *data)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *d0 = NULL, *d1 = NULL;
   uint64_t *page = kt_map_anon(1, true);
   uint64_t copy[KT_PAGE / 8];
   double end = kt_now() + CONTEND_LIMIT_S;
   unsigned i;

   (void)data;
   PG_ASSERT(page);
   KT_OPEN(KT_DEV0, &d0);
   KT_OPEN(KT_DEV1, &d1);
   for (i = 0; i < CONTEND_ROUNDS && kt_now() < end; i++) {
      struct nvsvm_device *me = (i & 1) ? d1 : d0;
      struct nvsvm_device *other = (i & 1) ? d0 : d1;

      page[0] = i;   /* the CPU's turn in between: revokes both */
      PG_OK(nvsvm_device_atomic_fault(me, page, KT_PAGE, copy));
      if (copy[0] != i)
         PG_FAIL("round %u: device %d saw %" PRIu64, i, i & 1, copy[0]);
      if (nvsvm_device_check_exclusive(me, page, KT_PAGE) != 1)
         PG_FAIL("round %u: device %d not exclusive after converting", i,
                 i & 1);
      if (nvsvm_device_check_exclusive(other, page, KT_PAGE) != 0)
         PG_FAIL("round %u: device %d still exclusive", i, !(i & 1));
   }
   PG_ASSERT_EQ(i, CONTEND_ROUNDS);

   /* Without a CPU turn in between: d1 takes the page straight from d0. */
   PG_OK(nvsvm_device_atomic_fault(d0, page, KT_PAGE, NULL));
   PG_OK(nvsvm_device_atomic_fault(d1, page, KT_PAGE, copy));
   PG_ASSERT_EQ(copy[0], CONTEND_ROUNDS - 1);
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(d0, page, KT_PAGE), 0);
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(d1, page, KT_PAGE), 1);
   PG_ASSERT(kt_pm_exclusive(page));
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(d0);
   nvsvm_device_close(d1);
   if (page)
      munmap(page, KT_PAGE);
   return res;
}

/* --------------------------------------------------------- CPU threads */

#define THREADS 4
#define HAMMER_S 1.0

struct worker {
   uint64_t *counter;   /* word 0 of the worker's own page */
   double until;
   uint64_t done;       /* increments made, counted privately */
   uint64_t faults;
   int finished;
};

/* Increment our page's counter for HAMMER_S; count on the side too. */
static void *
worker_thread(void *arg)
{
   struct worker *w = arg;
   uint64_t f0 = kt_minflt_thread();

   w->done = 0;
   while (kt_now() < w->until) {
      for (int i = 0; i < 256; i++)
         __atomic_fetch_add(w->counter, 1, __ATOMIC_RELAXED);
      w->done += 256;
   }
   w->faults = kt_minflt_thread() - f0;
   __atomic_store_n(&w->finished, 1, __ATOMIC_RELEASE);
   return NULL;
}

static enum piglit_result
cpu_threads_increment_while_device_converts_nothing_lost(void *data)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *pages = kt_map_anon(THREADS, true);
   struct worker w[THREADS];
   pthread_t th[THREADS];
   unsigned started = 0, converted = 0, refused = 0;
   uint64_t faults = 0;
   double deadline = kt_now() + CONTEND_LIMIT_S;
   struct nvsvm_device_stats st;

   (void)data;
   PG_ASSERT(pages);
   memset(pages, 0, THREADS * KT_PAGE);
   KT_OPEN(KT_DEV0, &dev);
   for (unsigned t = 0; t < THREADS; t++) {
      w[t].counter = (uint64_t *)(pages + t * KT_PAGE);
      w[t].until = kt_now() + HAMMER_S;
      w[t].finished = 0;
      if (pthread_create(&th[t], NULL, worker_thread, &w[t]) != 0)
         PG_FAIL("pthread_create %u", t);
      started++;
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
      ret = nvsvm_device_atomic_fault(dev, pages + (i % THREADS) * KT_PAGE,
                                      KT_PAGE, NULL);
      if (ret == 0)
         converted++;
      else if (ret == -EBUSY || ret == -ENOENT)
         refused++;
      else
         PG_FAIL("device conversion: %s", nvsvm_error_name(ret));
   }
   for (; started; started--)
      pthread_join(th[started - 1], NULL);
   for (unsigned t = 0; t < THREADS; t++) {
      faults += w[t].faults;
      if (w[t].counter[0] != w[t].done)
         PG_FAIL("thread %u: page says %" PRIu64 ", thread made %" PRIu64,
                 t, w[t].counter[0], w[t].done);
   }
   PG_OK(nvsvm_device_get_stats(dev, &st));
   printf("# %u page conversions (%u refused after bounded retries, %"
          PRIu64 " retries), %" PRIu64 " CPU faults, %" PRIu64
          " increments by thread 0\n", converted, refused, st.retries,
          faults, w[0].done);
   PG_ASSERT_GE(converted, 10);
   /*
    * Each worker fault takes back a page the device converted: faults
    * happen, and never more than conversions (plus a few for the
    * threads' own stacks). A conversion can also be undone by the next
    * conversion instead, while its worker waits for a CPU. An attempt
    * the backend retried, or finally refused, with -ENOENT did convert:
    * the CPU took the page back before the device's copy, with a fault
    * of its own, so every attempt counts (a loaded host retries more).
    */
   PG_ASSERT_GE(faults, 1);
   PG_ASSERT_LE(faults, converted + refused + st.retries + 16 * THREADS);
   res = PIGLIT_PASS;
out:
   for (; started; started--)
      pthread_join(th[started - 1], NULL);
   nvsvm_device_close(dev);
   if (pages)
      munmap(pages, THREADS * KT_PAGE);
   return res;
}

int
main(int argc, char **argv)
{
   static const struct piglit_subtest tests[] = {
      { "two_devices_alternate_one_page_each_revokes_the_other",
        two_devices_alternate_one_page_each_revokes_the_other },
      { "cpu_threads_increment_while_device_converts_nothing_lost",
        cpu_threads_increment_while_device_converts_nothing_lost },
   };
   struct kt_ctx ctx;

   kt_kernel_get(&ctx.k);
   printf("# kernel %s (%s)\n", ctx.k.release, ctx.k.version);
   return piglit_run_subtests(tests, sizeof(tests) / sizeof(tests[0]), &ctx,
                              argc, argv);
}
