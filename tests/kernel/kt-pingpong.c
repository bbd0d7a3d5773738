/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: ownership ping-pong between the CPU and the
 * device on one page, turn-taking through a sequence word, and the 4 KiB
 * promise (a neighbour page never pays for the ping-pong).
 */

#include <pthread.h>
#include <sched.h>

#include "kt_common.h"
#include "nvsvm_pingpong.h"

/*
 * 10,000 rounds of CPU store + device conversion through the library's
 * engine: the device's copy at each conversion holds the CPU's last store.
 */
TEST_F_TIMEOUT(hmm, ownership_pingpong_device_sees_every_cpu_store, 150)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_pingpong_params p;
   struct nvsvm_pingpong_result r;

   nvsvm_pingpong_params_default(&p);
   p.rounds = 10000;
   p.warmup = 10;
   p.time_limit_s = 120;
   ASSERT_OK(nvsvm_pingpong_run(dev, &p, &r));
   printf("# %u rounds in %.2f s: median %.1f us, p99 %.1f us, %.0f "
          "conversions/s, %" PRIu64 " minor faults, %" PRIu64
          " retries, clock %" PRIu64 " ns\n", r.rounds, r.total_s,
          r.median_us, r.p99_us, r.conversions_per_s, r.minor_faults,
          r.retries, r.clock_res_ns);
   ASSERT_EQ(r.rounds, 10000);
   ASSERT_TRUE(!r.time_limited);
   ASSERT_EQ(r.lost, 0);
   /* Every round's store hits an exclusive entry: one fault each. */
   ASSERT_GE(r.minor_faults, r.rounds);
   ASSERT_LE(r.minor_faults, r.rounds + r.rounds / 10);
   /* Nothing else touches the page: conversions never need a retry. */
   ASSERT_EQ(r.retries, 0);
}

/* ------------------------------------------------------------- handoff */

#define HANDOFF_ROUNDS 1000
#define HANDOFF_LIMIT_S 60.0

struct handoff {
   struct nvsvm_device *dev;
   uint64_t *seq;            /* page 0, word 0: even = CPU's turn */
   double deadline;
   int stop;                 /* set by the CPU side on failure */
   int dev_err;
   unsigned dev_turns, dev_polls, dev_backwards;
   uint64_t dev_last;
};

/* The device's side: convert, read the word; on its turn, write +1. */
static void *
handoff_device(void *arg)
{
   struct handoff *h = arg;
   uint64_t page[KT_PAGE / 8];

   h->dev_last = 0;
   while (h->dev_turns < HANDOFF_ROUNDS && kt_now() < h->deadline &&
          !__atomic_load_n(&h->stop, __ATOMIC_RELAXED)) {
      int ret = nvsvm_device_atomic_fault(h->dev, h->seq, KT_PAGE, page);

      h->dev_polls++;
      if (ret == -EBUSY || ret == -ENOENT) {
         sched_yield();
         continue;   /* the CPU is polling the page: try again */
      }
      if (ret) {
         __atomic_store_n(&h->dev_err, ret, __ATOMIC_RELEASE);
         break;
      }
      if (page[0] < h->dev_last)
         h->dev_backwards++;
      h->dev_last = page[0];
      if (!(page[0] & 1)) {
         sched_yield();
         continue;   /* the CPU's turn */
      }
      page[0]++;
      ret = nvsvm_device_write(h->dev, h->seq, KT_PAGE, page);
      if (ret) {
         __atomic_store_n(&h->dev_err, ret, __ATOMIC_RELEASE);
         break;
      }
      h->dev_turns++;
   }
   return NULL;
}

/* Stop the device's side and wait for it (also an ASSERT's guard). */
static void
handoff_stop(void *arg, uintptr_t th)
{
   struct handoff *h = arg;

   __atomic_store_n(&h->stop, 1, __ATOMIC_RELAXED);
   pthread_join((pthread_t)th, NULL);
}

TEST_F_TIMEOUT(hmm, handoff_pingpong_sequence_strictly_increases_nothing_lost,
               HANDOFF_LIMIT_S + 30)
{
   struct handoff h = { 0 };
   unsigned cpu_turns = 0, cpu_backwards = 0;
   uint64_t last = 0;
   struct timespec nap = { 0, 20 * 1000 };
   pthread_t th;

   h.seq = kt_map_anon(1, true);
   ASSERT_TRUE(h.seq);
   h.seq[0] = 0;
   h.dev = self->dev;
   h.deadline = kt_now() + HANDOFF_LIMIT_S;
   ASSERT_EQ(pthread_create(&th, NULL, handoff_device, &h), 0);
   harness_guard(handoff_stop, &h, (uintptr_t)th);

   /* The CPU's side: only on an even value does it write, +1. */
   while (cpu_turns < HANDOFF_ROUNDS && kt_now() < h.deadline &&
          !__atomic_load_n(&h.dev_err, __ATOMIC_ACQUIRE)) {
      uint64_t v = __atomic_load_n(h.seq, __ATOMIC_ACQUIRE);

      if (v < last)
         cpu_backwards++;
      last = v;
      if (v & 1) {
         nanosleep(&nap, NULL);  /* leave the device a window */
         continue;
      }
      if (v != 2ull * cpu_turns)
         FAIL("CPU turn %u found %" PRIu64 ", want %u", cpu_turns, v,
              2 * cpu_turns);
      __atomic_store_n(h.seq, v + 1, __ATOMIC_RELEASE);
      cpu_turns++;
   }
   harness_unguard(&h);
   pthread_join(th, NULL);
   printf("# %u CPU turns, %u device turns, %u device polls\n", cpu_turns,
          h.dev_turns, h.dev_polls);
   if (h.dev_err)
      FAIL("device side: %s", nvsvm_error_name(h.dev_err));
   ASSERT_EQ(cpu_turns, HANDOFF_ROUNDS);
   ASSERT_EQ(h.dev_turns, HANDOFF_ROUNDS);
   ASSERT_EQ(cpu_backwards, 0);
   ASSERT_EQ(h.dev_backwards, 0);
   ASSERT_EQ(h.seq[0], 2 * HANDOFF_ROUNDS);
}

/* ---------------------------------------------------------- neighbours */

#define REGION (2u << 20)
#define NEIGHBOUR_CONVERSIONS 200
#define NEIGHBOUR_LIMIT_S 20.0

struct hammer {
   volatile uint64_t *word;
   int stop;
   uint64_t stores, faults;
};

/* A CPU thread storing to one page as fast as it can, faults counted. */
static void *
hammer_thread(void *arg)
{
   struct hammer *hm = arg;
   uint64_t f0 = kt_faults_thread();

   while (!__atomic_load_n(&hm->stop, __ATOMIC_ACQUIRE)) {
      for (int i = 0; i < 1000; i++)
         *hm->word = hm->stores++;
   }
   hm->faults = kt_faults_thread() - f0;
   return NULL;
}

/*
 * Hammer one page while the device converts page A, until it has done so
 * NEIGHBOUR_CONVERSIONS times (or the time limit); the hammer's faults
 * and the device's conversions come back.
 */
static int
hammer_while_converting(struct nvsvm_device *dev, unsigned char *a,
                        unsigned char *target, struct hammer *hm,
                        unsigned *conversions, unsigned *refused)
{
   double end = kt_now() + NEIGHBOUR_LIMIT_S;
   pthread_t th;
   int ret = 0;

   hm->word = (volatile uint64_t *)target;
   hm->stores = 0;
   hm->stop = 0;
   *conversions = 0;
   *refused = 0;
   if (pthread_create(&th, NULL, hammer_thread, hm) != 0)
      return -EAGAIN;
   /* Convert only once the hammer is storing: on a loaded host its thread
    * may wait for a CPU while all the conversions run, and a hammer that
    * never ran proves nothing about faults. */
   while (__atomic_load_n(&hm->stores, __ATOMIC_RELAXED) < 1000 &&
          kt_now() < end)
      sched_yield();
   while (*conversions < NEIGHBOUR_CONVERSIONS && kt_now() < end) {
      int r = nvsvm_device_atomic_fault(dev, a, KT_PAGE, NULL);

      if (r == 0) {
         (*conversions)++;
      } else if (r == -EBUSY || r == -ENOENT) {
         (*refused)++;   /* the hammer took page A back first */
      } else {
         ret = r;
         break;
      }
      sched_yield();
   }
   __atomic_store_n(&hm->stop, 1, __ATOMIC_RELEASE);
   pthread_join(th, NULL);
   return ret;
}

TEST_F_TIMEOUT(hmm, neighbour_page_in_same_2m_region_takes_no_faults,
               2 * NEIGHBOUR_LIMIT_S + 30)
{
   struct nvsvm_device *dev = self->dev;
   unsigned char *map, *region;
   struct hammer near = { 0 }, same = { 0 };
   unsigned conv_b, refused_b, conv_a, refused_a;

   map = mmap(NULL, 2 * REGION, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   ASSERT_TRUE(map != MAP_FAILED);
   DEFER_MUNMAP(map, 2 * REGION);
   region = (unsigned char *)(((uintptr_t)map + REGION - 1) &
                              ~(uintptr_t)(REGION - 1));
   ASSERT_EQ(madvise(region, REGION, MADV_NOHUGEPAGE), 0);
   memset(region, 1, REGION);

   /* Page B (7 pages after A, same 2 MiB region): the 4 KiB promise. */
   ASSERT_OK(hammer_while_converting(dev, region, region + 7 * KT_PAGE,
                                         &near, &conv_b, &refused_b));
   /* Control: hammering A itself must show the ping-pong. */
   ASSERT_OK(hammer_while_converting(dev, region, region, &same, &conv_a,
                                         &refused_a));
   printf("# page B: %" PRIu64 " stores, %" PRIu64 " faults while the "
          "device converted A %u times\n", near.stores, near.faults, conv_b);
   printf("# page A: %" PRIu64 " stores, %" PRIu64 " faults while the "
          "device converted A %u times (%u refused)\n", same.stores,
          same.faults, conv_a, refused_a);
   ASSERT_EQ(conv_b, NEIGHBOUR_CONVERSIONS);
   ASSERT_EQ(refused_b, 0);
   ASSERT_GE(near.stores, 1000);
   ASSERT_LE(near.faults, 2);
   /*
    * The control sees it: each conversion the hammer undoes is a fault
    * (not every one: while the hammer waits for a CPU, the device's next
    * conversion takes the page back itself).
    */
   ASSERT_GE(conv_a, 10);
   ASSERT_GE(same.faults, 10);
}

TEST_HARNESS_MAIN
