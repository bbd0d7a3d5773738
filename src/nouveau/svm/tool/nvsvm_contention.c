/* SPDX-License-Identifier: MIT */
/*
 * True atomic contention for `nvsvm pingpong`: CPU threads and device
 * lanes (vsvm's EXEC) add to one counter at the same time; the total must
 * come out exact. A bench workload, so it lives with the tool.
 */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "nvsvm_bench.h"
#include "nvsvm_testdev.h"
#include "nvsvm_time.h"

struct contention_cpu {
   pthread_t thread;
   uint64_t *counter;
   const volatile int *go, *stop;
   uint64_t ops;
   double seconds;
};

static void *
contention_cpu_main(void *arg)
{
   struct contention_cpu *c = arg;
   double t0;

   while (!__atomic_load_n(c->go, __ATOMIC_ACQUIRE))
      ;
   t0 = nvsvm_time_s();
   while (!__atomic_load_n(c->stop, __ATOMIC_ACQUIRE)) {
      __atomic_fetch_add(c->counter, 1, __ATOMIC_SEQ_CST);
      c->ops++;
   }
   c->seconds = nvsvm_time_s() - t0;
   return NULL;
}

int
nvsvm_bench_contention(struct nvsvm_device *dev,
                       const struct nvsvm_contention_params *params,
                       struct nvsvm_contention_result *r)
{
   struct nvsvm_contention_params p = { 2, 2, 100000 };
   struct contention_cpu *cpu = NULL;
   struct nvsvm_lane_result *res = NULL;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   struct nvsvm_device_info info;
   volatile int go = 0, stop = 0;
   uint64_t *page;
   unsigned started = 0;
   double cpu_s = 0;
   int ret;

   if (!dev || !r)
      return -EINVAL;
   if (params) {
      p.cpu_threads = params->cpu_threads ? params->cpu_threads : 2;
      p.lanes = params->lanes ? params->lanes : 2;
      p.device_iterations = params->device_iterations ?
                            params->device_iterations : 100000;
   }
   if (p.cpu_threads > 64 || p.lanes > NVSVM_EXEC_MAX_LANES)
      return -EINVAL;
   ret = nvsvm_device_get_info(dev, &info);
   if (ret)
      return ret;
   /* Device lanes are EXEC programs: vsvm's alone. */
   if (info.backend != NVSVM_BACKEND_VSVM)
      return -NVSVM_E_NOT_SUPPORTED;
   if (!nvsvm_svm_enabled(dev)) {
      struct nvsvm_svm_params sp = { 0, 0 };

      /* -EBUSY: SVM_INIT was done on this fd without the library. */
      ret = nvsvm_svm_init(dev, &sp);
      if (ret && ret != -EBUSY)
         return ret;
   }
   memset(r, 0, sizeof(*r));

   page = mmap(NULL, NVSVM_PAGE_SIZE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   if (page == MAP_FAILED)
      return -errno;
   /* THP never converts on kernels <= 6.14. */
   madvise(page, NVSVM_PAGE_SIZE, MADV_NOHUGEPAGE);
   page[0] = 0;

   cpu = calloc(p.cpu_threads, sizeof(*cpu));
   res = calloc(p.lanes, sizeof(*res));
   if (!cpu || !res) {
      ret = -ENOMEM;
      goto out;
   }
   for (; started < p.cpu_threads; started++) {
      cpu[started].counter = page;
      cpu[started].go = &go;
      cpu[started].stop = &stop;
      ret = -pthread_create(&cpu[started].thread, NULL,
                            contention_cpu_main, &cpu[started]);
      if (ret)
         goto out;
   }

   memset(&op, 0, sizeof(op));
   op.opcode = NVSVM_EXEC_ADD;
   op.flags = NVSVM_EXEC_OP_64;
   op.addr = page;
   op.val = 1;
   memset(&e, 0, sizeof(e));
   e.ops = &op;
   e.nops = 1;
   e.lanes = p.lanes;
   e.iterations = p.device_iterations;
   e.timeout_ms = 120000;
   e.results = res;
   __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
   ret = nvsvm_device_exec(dev, &e);

out:
   __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
   __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
   for (unsigned i = 0; i < started; i++) {
      pthread_join(cpu[i].thread, NULL);
      r->cpu_ops += cpu[i].ops;
      if (cpu[i].seconds > cpu_s)
         cpu_s = cpu[i].seconds;
   }
   if (ret == 0) {
      r->cpu_threads = p.cpu_threads;
      r->lanes = p.lanes;
      r->seconds = e.elapsed_ns / 1e9;
      for (unsigned l = 0; l < p.lanes; l++)
         r->device_ops += res[l].ops;
      r->cpu_ops_per_s = cpu_s > 0 ? r->cpu_ops / cpu_s : 0;
      r->device_ops_per_s = r->seconds > 0 ? r->device_ops / r->seconds : 0;
      r->conversions = e.delta.conversions;
      r->conversions_per_s = r->seconds > 0 ?
                             r->conversions / r->seconds : 0;
      r->lost = r->cpu_ops + r->device_ops - page[0];
   }
   free(res);
   free(cpu);
   munmap(page, NVSVM_PAGE_SIZE);
   return ret;
}
