/* SPDX-License-Identifier: MIT */
/*
 * The vsvm race: device lanes add 1 to their counters (one EXEC on a
 * helper thread) while CPU threads add 1 to theirs with CPU atomics,
 * until the device is done and each thread made its minimum of adds.
 * The scenario then checks that every counter equals the adds made to it.
 */
#ifndef VT_RACE_H
#define VT_RACE_H

#include "vt_common.h"

#define VT_RACE_LANES 4u
#define VT_RACE_CPU_THREADS 2u
#define VT_RACE_LIMIT_S 60.0

/* A CPU thread adding 1 to its counters until the device is done. */
struct vt_cpu_racer {
   pthread_t thread;
   /* counters it cycles over */
   uint64_t *words[VT_RACE_LANES + VT_RACE_CPU_THREADS];
   unsigned nwords;
   uint64_t adds[VT_RACE_LANES + VT_RACE_CPU_THREADS]; /* per counter */
   uint64_t min_ops;
   const struct vt_async_exec *device;
   pthread_barrier_t *start;
   bool timed_out;
};

static inline void *
vt_cpu_racer_main(void *arg)
{
   struct vt_cpu_racer *c = arg;
   double deadline;
   uint64_t ops = 0;

   pthread_barrier_wait(c->start);
   deadline = vt_now() + VT_RACE_LIMIT_S;
   for (unsigned i = 0;; i = (i + 1) % c->nwords) {
      __atomic_fetch_add(c->words[i], 1, __ATOMIC_SEQ_CST);
      c->adds[i]++;
      ops++;
      if ((ops & 1023) == 0) {
         if (ops >= c->min_ops && vt_exec_done(c->device))
            break;
         if (vt_now() > deadline) {
            c->timed_out = true;
            break;
         }
      }
   }
   return NULL;
}

/*
 * Lanes add 1 to lane_words (lane L at lane_words + L * stride),
 * iterations times each, while CPU thread t adds to its own word list.
 */
struct vt_race {
   struct nvsvm_device *dev;
   volatile uint64_t *lane_words;
   uint64_t lane_stride;
   uint64_t iterations;
   struct vt_cpu_racer cpu[VT_RACE_CPU_THREADS];
   struct nvsvm_exec exec;
   struct nvsvm_lane_result results[VT_RACE_LANES];
   int ret;            /* the EXEC's */
   uint64_t cpu_ops;   /* adds by all CPU threads */
};

/* 0 when the race ran (its EXEC's own status in r->ret). */
static inline int
vt_race_run(struct vt_race *r)
{
   struct nvsvm_exec_op op = vt_op(NVSVM_EXEC_ADD, r->lane_words,
                                   r->lane_stride, 1);
   struct vt_async_exec dev_run;
   pthread_barrier_t start;
   int ret;

   memset(&r->exec, 0, sizeof(r->exec));
   r->exec.ops = &op;
   r->exec.nops = 1;
   r->exec.lanes = VT_RACE_LANES;
   r->exec.iterations = r->iterations;
   r->exec.timeout_ms = (unsigned)(VT_RACE_LIMIT_S * 1000);
   r->exec.results = r->results;

   pthread_barrier_init(&start, NULL, VT_RACE_CPU_THREADS + 1);
   dev_run.done = 0;
   for (unsigned t = 0; t < VT_RACE_CPU_THREADS; t++) {
      r->cpu[t].device = &dev_run;
      r->cpu[t].start = &start;
      ret = -pthread_create(&r->cpu[t].thread, NULL, vt_cpu_racer_main,
                            &r->cpu[t]);
      if (ret)
         return ret;   /* a thread that never starts: the test fails */
   }
   ret = vt_exec_start(&dev_run, r->dev, &r->exec);
   pthread_barrier_wait(&start);
   if (ret == 0)
      r->ret = vt_exec_join(&dev_run);
   else
      __atomic_store_n(&dev_run.done, 1, __ATOMIC_RELEASE);
   r->cpu_ops = 0;
   for (unsigned t = 0; t < VT_RACE_CPU_THREADS; t++) {
      pthread_join(r->cpu[t].thread, NULL);
      for (unsigned i = 0; i < r->cpu[t].nwords; i++)
         r->cpu_ops += r->cpu[t].adds[i];
   }
   pthread_barrier_destroy(&start);
   return ret;
}

#endif /* VT_RACE_H */
