/* SPDX-License-Identifier: MIT */
/*
 * vsvm scenarios: synchronisation between CPU and device through shared
 * memory: a CAS spin lock both sides take, and a flag ping-pong where
 * each side waits for the other, timed per round.
 */

#include <sched.h>

#include "vt_common.h"

#define LOCK_LANES 2u
#define LOCK_CPU_THREADS 2u
#define LOCK_ITERS 1000u
#define PP_ROUNDS 300u
/* Generous: a VM on a busy host gets a fraction of a core. */
#define WAIT_LIMIT_S 60.0

struct lock_cpu {
   pthread_t thread;
   volatile uint64_t *lock, *counter;
   unsigned min_iters;
   unsigned done;
   uint64_t spins;
   bool timed_out;
   pthread_barrier_t *start;
   const struct vt_async_exec *device;
};

static void *
lock_cpu_main(void *arg)
{
   struct lock_cpu *c = arg;
   double deadline;

   pthread_barrier_wait(c->start);
   deadline = vt_now() + WAIT_LIMIT_S;
   /* Keep taking the lock for as long as the device does. */
   for (c->done = 0;
        c->done < c->min_iters || !vt_exec_done(c->device); c->done++) {
      uint64_t zero = 0;

      while (!__atomic_compare_exchange_n(c->lock, &zero, 1, false,
                                          __ATOMIC_ACQUIRE,
                                          __ATOMIC_RELAXED)) {
         zero = 0;
         if ((++c->spins & 255) == 0 && vt_now() > deadline) {
            c->timed_out = true;
            return NULL;
         }
      }
      /* Not atomic on purpose: only the lock keeps this exact. */
      *c->counter = *c->counter + 1;
      __atomic_store_n(c->lock, 0, __ATOMIC_RELEASE);
   }
   return NULL;
}

/*
 * Lanes and CPU threads take one CAS spin lock around a plain
 * read-modify-write of a counter. Mutual exclusion holds only if the
 * device's CAS is atomic against the CPU's: the count must be exact.
 */
TEST_F(vsvm, cas_spinlock_excludes_cpu_and_device)
{
   struct nvsvm_device *dev = self->dev;
   uint64_t *page = NULL;
   struct lock_cpu cpu[LOCK_CPU_THREADS];
   struct nvsvm_lane_result results[LOCK_LANES];
   struct nvsvm_exec_op prog[4];
   struct nvsvm_exec exec;
   struct vt_async_exec run;
   pthread_barrier_t start;
   uint64_t want, cpu_spins = 0, dev_spins = 0, cpu_sections = 0;
   int ret = 0;

   memset(cpu, 0, sizeof(cpu));
   page = vt_map(1);
   ASSERT_TRUE(page);
   volatile uint64_t *lock = &page[0], *counter = &page[8];

   /* Acquire (spin on CAS 0 -> 1), counter = counter + 1, release. */
   prog[0] = vt_op(NVSVM_EXEC_CAS, lock, 0, 1);
   prog[0].flags |= NVSVM_EXEC_OP_SPIN;
   prog[0].cmp = 0;
   prog[1] = vt_op(NVSVM_EXEC_LOAD, counter, 0, 0);
   prog[2] = vt_op(NVSVM_EXEC_STORE, counter, 0, 1);
   prog[2].flags |= NVSVM_EXEC_OP_REG;
   prog[3] = vt_op(NVSVM_EXEC_STORE, lock, 0, 0);
   memset(&exec, 0, sizeof(exec));
   exec.ops = prog;
   exec.nops = 4;
   exec.lanes = LOCK_LANES;
   exec.iterations = LOCK_ITERS;
   exec.timeout_ms = (unsigned)(WAIT_LIMIT_S * 1000);
   exec.results = results;

   pthread_barrier_init(&start, NULL, LOCK_CPU_THREADS + 1);
   for (unsigned t = 0; t < LOCK_CPU_THREADS; t++) {
      cpu[t].lock = lock;
      cpu[t].counter = counter;
      cpu[t].min_iters = LOCK_ITERS;
      cpu[t].start = &start;
      cpu[t].device = &run;
      ASSERT_EQ(pthread_create(&cpu[t].thread, NULL, lock_cpu_main,
                               &cpu[t]), 0);
   }
   ret = vt_exec_start(&run, dev, &exec);
   pthread_barrier_wait(&start);
   if (ret == 0)
      ret = vt_exec_join(&run);
   for (unsigned t = 0; t < LOCK_CPU_THREADS; t++) {
      pthread_join(cpu[t].thread, NULL);
      cpu_spins += cpu[t].spins;
   }
   pthread_barrier_destroy(&start);
   vt_report_exec("spin lock", &exec, ret);
   ASSERT_OK(ret);

   for (unsigned l = 0; l < LOCK_LANES; l++) {
      ASSERT_EQ(results[l].status, 0);
      ASSERT_EQ(results[l].ops, 4ull * LOCK_ITERS);
      dev_spins += results[l].spins;
   }
   want = (uint64_t)LOCK_ITERS * LOCK_LANES;
   for (unsigned t = 0; t < LOCK_CPU_THREADS; t++) {
      ASSERT_TRUE(!cpu[t].timed_out);
      ASSERT_GE(cpu[t].done, LOCK_ITERS);
      cpu_sections += cpu[t].done;
   }
   want += cpu_sections;
   TH_LOG("critical sections: %" PRIu64 " (device %u, cpu %" PRIu64
          "), counter %" PRIu64 "; spins device %" PRIu64 " cpu %"
          PRIu64 "; conversions %" PRIu64 " (one per %.1f us of "
          "device time)",
          want, LOCK_LANES * LOCK_ITERS, cpu_sections, *counter,
          dev_spins, cpu_spins, exec.delta.conversions,
          exec.delta.conversions ?
          exec.elapsed_ns / 1e3 / exec.delta.conversions : 0.0);
   ASSERT_EQ(*counter, want);
   ASSERT_EQ(*lock, 0);
   /* The lock really moved between the two sides. */
   ASSERT_GT(exec.delta.conversions, 1);
}

static int
cmp_double(const void *a, const void *b)
{
   double x = *(const double *)a, y = *(const double *)b;

   return (x > y) - (x < y);
}

/*
 * One flag, two sides: the CPU stores 2i+1 and waits for 2i+2; the
 * device waits (plain loads) for 2i+1 and answers with an atomic
 * exchange of 2i+2. Every round hands the page over both ways: the
 * device's exchange converts it, the CPU's next load takes it back.
 */
TEST_F(vsvm, flag_pingpong_hands_the_page_over_every_round)
{
   struct nvsvm_device *dev = self->dev;
   uint64_t *page = NULL;
   double *lat = NULL;
   struct nvsvm_lane_result result;
   struct nvsvm_exec_op prog[2];
   struct nvsvm_exec exec;
   struct vt_async_exec run;
   double deadline, t_all;
   int ret;

   page = vt_map(1);
   lat = calloc(PP_ROUNDS, sizeof(*lat));
   DEFER_FREE(lat);
   ASSERT_TRUE(page && lat);
   volatile uint64_t *flag = page;

   prog[0] = vt_op(NVSVM_EXEC_WAIT, flag, 0, 0);
   prog[0].cmp = 1;
   prog[0].cmp_step = 2;
   prog[1] = vt_op(NVSVM_EXEC_XCHG, flag, 0, 2);
   prog[1].val_step = 2;
   memset(&exec, 0, sizeof(exec));
   exec.ops = prog;
   exec.nops = 2;
   exec.lanes = 1;
   exec.iterations = PP_ROUNDS;
   exec.timeout_ms = (unsigned)(WAIT_LIMIT_S * 1000);
   exec.results = &result;

   ASSERT_OK(vt_exec_start(&run, dev, &exec));
   deadline = vt_now() + WAIT_LIMIT_S;
   t_all = vt_now();
   for (unsigned i = 0; i < PP_ROUNDS; i++) {
      double t0 = vt_now();

      __atomic_store_n(flag, 2ull * i + 1, __ATOMIC_RELEASE);
      for (unsigned spin = 0;
           __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 2ull * i + 2; spin++) {
         /* Let the device's lane run if it shares our CPU. */
         if ((spin & 63) == 63)
            sched_yield();
         if (vt_exec_done(&run) || vt_now() > deadline)
            FAIL("round %u: flag %" PRIu64 ", device %s", i, *flag,
                 vt_exec_done(&run) ? "stopped" : "too slow");
      }
      lat[i] = (vt_now() - t0) * 1e6;
   }
   t_all = vt_now() - t_all;
   ret = vt_exec_join(&run);
   vt_report_exec("flag ping-pong", &exec, ret);
   ASSERT_OK(ret);
   ASSERT_EQ(result.ops, 2ull * PP_ROUNDS);
   ASSERT_EQ(*flag, 2ull * PP_ROUNDS);

   qsort(lat, PP_ROUNDS, sizeof(*lat), cmp_double);
   TH_LOG("%u rounds in %.3f s: round trip median %.1f us, p99 %.1f "
          "us, min %.1f us, max %.1f us; conversions %" PRIu64
          ", invalidations %" PRIu64, PP_ROUNDS, t_all,
          lat[PP_ROUNDS / 2], lat[PP_ROUNDS * 99 / 100], lat[0],
          lat[PP_ROUNDS - 1], exec.delta.conversions,
          exec.delta.invalidations);
   /* Each exchange found the page taken back by the CPU's last load. */
   ASSERT_GE(exec.delta.conversions, PP_ROUNDS);
   ASSERT_GE(exec.delta.faults_atomic, PP_ROUNDS);
}

TEST_HARNESS_MAIN
