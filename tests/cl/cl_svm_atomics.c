/* SPDX-License-Identifier: MIT */
/*
 * SVM atomics between host threads and a running kernel, on fine-grain SVM
 * buffers (--memory buffer) or plain malloc memory (--memory system): one
 * piglit subtest per scenario, exact results, every wait bounded.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_pingpong.h"
#include "nvsvm_cl.h"
#include "svm_atomics_src.h"

#define PAGE 4096u

struct ctx {
   struct nvsvm_cl cl;
   enum nvsvm_cl_memory mem;
};

/* One kernel run sharing a control block with the host. */
struct run {
   struct ctx *c;
   _Atomic uint32_t *ctl;
   cl_kernel k;
   cl_event ev;
   size_t items;
   bool launched;
   uint64_t deadline;
};

static bool
run_begin(struct run *r, struct ctx *c, const char *kernel)
{
   memset(r, 0, sizeof(*r));
   r->c = c;
   r->ctl = nvsvm_cl_alloc(&c->cl, c->mem, NVSVM_CTL_WORDS * 4);
   if (!r->ctl)
      return false;
   r->k = nvsvm_cl_kernel(&c->cl, kernel);
   return r->k != NULL;
}

/* Launch and wait until the kernel is demonstrably running. */
static bool
run_launch(struct run *r, size_t items)
{
   r->items = items;
   if (!nvsvm_cl_launch(&r->c->cl, r->k, items, &r->ev))
      return false;
   r->launched = true;
   if (!nvsvm_cl_wait_ge(&r->ctl[NVSVM_CTL_STARTED], 1,
                         nvsvm_cl_deadline(&r->c->cl), NULL)) {
      piglit_note("timeout: no work-item started within %u ms of clFlush",
                  r->c->cl.opts.timeout_ms);
      return false;
   }
   return true;
}

static void
run_go(struct run *r)
{
   atomic_store_explicit(&r->ctl[NVSVM_CTL_GO], 1, memory_order_release);
}

static void
run_abort(struct run *r)
{
   if (r->ctl)
      atomic_store_explicit(&r->ctl[NVSVM_CTL_ABORT], 1,
                            memory_order_release);
}

/* Wait for the kernel (bounded) and check its own bookkeeping. */
static bool
run_end(struct run *r)
{
   struct nvsvm_cl *cl = &r->c->cl;
   bool ok = true;

   if (r->launched) {
      if (nvsvm_cl_finish(cl, r->ev, r->ctl) != 0) {
         ok = false;
      } else {
         uint32_t done = atomic_load(&r->ctl[NVSVM_CTL_DONE]);
         uint32_t to = atomic_load(&r->ctl[NVSVM_CTL_DEV_TIMEOUTS]);
         uint32_t errs = atomic_load(&r->ctl[NVSVM_CTL_ERRORS]);

         if (to) {
            piglit_note("kernel: %u waits hit their bound (host aborted or "
                        "--spin-limit %" PRIu64 " too small)", to,
                        cl->opts.spin_limit);
            ok = false;
         }
         if (errs) {
            piglit_note("kernel: %u checks failed", errs);
            ok = false;
         }
         if (done != r->items) {
            piglit_note("kernel: %u of %zu work-items finished", done,
                        r->items);
            ok = false;
         }
      }
   }
   if (r->k && !cl->wedged)
      clReleaseKernel(r->k);
   nvsvm_cl_free(cl, r->c->mem, (void *)r->ctl, NVSVM_CTL_WORDS * 4);
   return ok;
}

static bool
set_common_args(struct run *r, cl_uint first, uint32_t iters)
{
   uint64_t limit = r->c->cl.opts.spin_limit;
   cl_ulong l = limit;

   return nvsvm_cl_arg_ptr(r->k, first, (void *)r->ctl) &&
          nvsvm_cl_arg(r->k, first + 1, sizeof(cl_uint), &iters) &&
          nvsvm_cl_arg(r->k, first + 2, sizeof(cl_ulong), &l);
}

/* Host threads: each waits for go (bounded) and runs its part. */
struct worker {
   struct run *run;
   unsigned index;
   uint32_t iters;
   void *shared;
   uint64_t result; /* scenario-specific count */
   bool ok;
   pthread_t thread;
};

static bool
worker_wait_go(struct worker *w)
{
   return nvsvm_cl_wait_eq(&w->run->ctl[NVSVM_CTL_GO], 1,
                           nvsvm_cl_deadline(&w->run->c->cl),
                           &w->run->ctl[NVSVM_CTL_ABORT]);
}

static unsigned
start_workers(struct worker *w, unsigned n, void *(*fn)(void *))
{
   unsigned i;

   for (i = 0; i < n; i++) {
      if (pthread_create(&w[i].thread, NULL, fn, &w[i]) != 0) {
         piglit_note("pthread_create failed");
         break;
      }
   }
   return i;
}

static bool
join_workers(struct worker *w, unsigned n)
{
   bool ok = true;

   for (unsigned i = 0; i < n; i++) {
      pthread_join(w[i].thread, NULL);
      ok &= w[i].ok;
   }
   return ok;
}

/* ---- concurrent increment ------------------------------------------ */

#define INC_DEV_ITEMS 2
#define INC_DEV_ITERS 200000u
#define INC_HOST_THREADS 2
#define INC_HOST_ITERS 200000u

static void *
inc_worker(void *arg)
{
   struct worker *w = arg;
   _Atomic uint32_t *counter = w->shared;
   uint32_t prev = 0;

   w->ok = worker_wait_go(w);
   if (!w->ok)
      return NULL;
   for (uint32_t i = 0; i < w->iters; i++) {
      uint32_t old = atomic_fetch_add_explicit(counter, 1,
                                               memory_order_relaxed);

      /* Someone else added in between: the sides really interleaved. */
      if (i && old != prev + 1)
         w->result++;
      prev = old;
   }
   return NULL;
}

static enum piglit_result
host_and_device_increments_sum_exactly(void *arg)
{
   struct ctx *c = arg;
   struct worker w[INC_HOST_THREADS];
   struct run r = { 0 };
   _Atomic uint32_t *counter = NULL;
   unsigned started = 0;
   uint64_t interleaved = 0, t0 = 0, t1;
   uint32_t want, got;
   enum piglit_result res;
   bool ok = false;

   if (!nvsvm_cl_ready(&c->cl, &res))
      return res;
   if (!run_begin(&r, c, "increment"))
      goto out;
   counter = nvsvm_cl_alloc(&c->cl, c->mem, PAGE);
   if (!counter || !nvsvm_cl_arg_ptr(r.k, 0, (void *)counter) ||
       !set_common_args(&r, 1, INC_DEV_ITERS))
      goto out;
   if (!run_launch(&r, INC_DEV_ITEMS))
      goto out;

   memset(w, 0, sizeof(w));
   for (unsigned i = 0; i < INC_HOST_THREADS; i++) {
      w[i] = (struct worker){ .run = &r, .index = i,
                              .iters = INC_HOST_ITERS,
                              .shared = (void *)counter };
   }
   started = start_workers(w, INC_HOST_THREADS, inc_worker);
   piglit_note("kernel in flight (%u of %u work-items started) when the "
               "host threads were released",
               atomic_load(&r.ctl[NVSVM_CTL_STARTED]), INC_DEV_ITEMS);
   t0 = nvsvm_cl_now_ns();
   run_go(&r);
   ok = started == INC_HOST_THREADS;

out:
   if (!ok)
      run_abort(&r);
   ok &= join_workers(w, started);
   ok &= run_end(&r);
   t1 = nvsvm_cl_now_ns();
   for (unsigned i = 0; i < started; i++)
      interleaved += w[i].result;
   if (ok) {
      want = INC_DEV_ITEMS * INC_DEV_ITERS + INC_HOST_THREADS * INC_HOST_ITERS;
      got = atomic_load(counter);
      piglit_note("counter %u, expected %u (%u device work-items x %u + %u "
                  "host threads x %u); %.1f Madd/s", got, want,
                  INC_DEV_ITEMS, INC_DEV_ITERS, INC_HOST_THREADS,
                  INC_HOST_ITERS, want / ((t1 - t0) / 1e3));
      piglit_note("host adds that found another side's add in between: %"
                  PRIu64, interleaved);
      ok = got == want;
   }
   nvsvm_cl_free(&c->cl, c->mem, (void *)counter, PAGE);
   return nvsvm_cl_verdict(&c->cl, ok);
}

/* ---- flag ping-pong ------------------------------------------------- */

#define PP_ROUNDS 5000u

static enum piglit_result
flag_ping_pong_alternates_exactly(void *arg)
{
   struct ctx *c = arg;
   struct run r = { 0 };
   _Atomic uint32_t *flag = NULL;
   uint32_t *log = NULL;
   uint64_t *rtt = NULL;
   size_t size = PAGE + 2 * PP_ROUNDS * 4;
   uint32_t rounds = PP_ROUNDS, done = 0, host_bad = 0;
   enum piglit_result res;
   bool ok = false;

   if (!nvsvm_cl_ready(&c->cl, &res))
      return res;
   rtt = calloc(PP_ROUNDS, sizeof(*rtt));
   if (!rtt || !run_begin(&r, c, "ping_pong"))
      goto out;
   /* The flag alone on its page; the log after it. */
   flag = nvsvm_cl_alloc(&c->cl, c->mem, size);
   if (!flag)
      goto out;
   log = (uint32_t *)((char *)flag + PAGE);
   if (!nvsvm_cl_arg_ptr(r.k, 0, (void *)flag) ||
       !nvsvm_cl_arg_ptr(r.k, 1, log) || !set_common_args(&r, 2, rounds) ||
       !run_launch(&r, 1))
      goto out;
   run_go(&r);

   for (done = 0; done < rounds; done++) {
      uint64_t t0;

      log[2 * done] = NVSVM_HOST_TAG | done;
      t0 = nvsvm_cl_now_ns();
      atomic_store_explicit(flag, 2 * done + 1, memory_order_release);
      if (!nvsvm_cl_wait_eq(flag, 2 * done + 2, t0 +
                            (uint64_t)c->cl.opts.timeout_ms * 1000000u,
                            &r.ctl[NVSVM_CTL_ABORT])) {
         piglit_note("round %u: no answer from the device (timeout %u "
                     "ms or device gave up; flag %u, want %u)", done,
                     c->cl.opts.timeout_ms, atomic_load(flag),
                     2 * done + 2);
         goto out;
      }
      rtt[done] = nvsvm_cl_now_ns() - t0;
      /* The device's plain store must be visible after our acquire. */
      if (log[2 * done + 1] != (NVSVM_DEV_TAG | done))
         host_bad++;
   }
   ok = true;

out:
   if (!ok)
      run_abort(&r);
   ok &= run_end(&r);
   if (ok)
      ok = nvsvm_host_pingpong_verdict(log, atomic_load(flag), rounds,
                                       host_bad, NVSVM_HOST_TAG,
                                       NVSVM_DEV_TAG, rtt);
   nvsvm_cl_free(&c->cl, c->mem, (void *)flag, size);
   free(rtt);
   return nvsvm_cl_verdict(&c->cl, ok);
}

/* ---- producer/consumer ---------------------------------------------- */

#define PC_ITEMS 50000u
#define PC_SLOTS 16u

static enum piglit_result
consumer_sees_every_published_item_once(void *arg)
{
   struct ctx *c = arg;
   struct run r = { 0 };
   _Atomic uint32_t *ready = NULL;
   uint32_t *payload = NULL;
   uint32_t items = PC_ITEMS, slots = PC_SLOTS, seen = 0, bad = 0;
   uint32_t while_running = 0;
   uint64_t limit = c->cl.opts.spin_limit;
   cl_ulong l = limit;
   enum piglit_result res;
   bool ok = false;

   if (!nvsvm_cl_ready(&c->cl, &res))
      return res;
   if (!run_begin(&r, c, "produce"))
      goto out;
   ready = nvsvm_cl_alloc(&c->cl, c->mem, 2 * PAGE);
   if (!ready)
      goto out;
   payload = (uint32_t *)((char *)ready + PAGE);
   if (!nvsvm_cl_arg_ptr(r.k, 0, payload) ||
       !nvsvm_cl_arg_ptr(r.k, 1, (void *)ready) ||
       !nvsvm_cl_arg_ptr(r.k, 2, (void *)r.ctl) ||
       !nvsvm_cl_arg(r.k, 3, sizeof(cl_uint), &items) ||
       !nvsvm_cl_arg(r.k, 4, sizeof(cl_uint), &slots) ||
       !nvsvm_cl_arg(r.k, 5, sizeof(cl_ulong), &l) || !run_launch(&r, 1))
      goto out;
   run_go(&r);

   for (seen = 0; seen < items; seen++) {
      uint32_t s = seen % slots, v, old;

      if (!nvsvm_cl_wait_eq(&ready[s], seen + 1, nvsvm_cl_deadline(&c->cl),
                            &r.ctl[NVSVM_CTL_ABORT])) {
         piglit_note("item %u never appeared in slot %u (timeout or "
                     "device gave up; slot holds %u)", seen, s,
                     atomic_load(&ready[s]));
         goto out;
      }
      if (atomic_load_explicit(&r.ctl[NVSVM_CTL_DONE],
                               memory_order_relaxed) == 0)
         while_running++;
      v = payload[s];
      if (v != NVSVM_ITEM_VALUE(seen) && bad++ < 3)
         piglit_note("item %u: payload 0x%08x, expected 0x%08x", seen, v,
                     NVSVM_ITEM_VALUE(seen));
      old = atomic_exchange_explicit(&ready[s], 0, memory_order_acq_rel);
      if (old != seen + 1 && bad++ < 3)
         piglit_note("item %u: slot %u changed to %u while consumed", seen,
                     s, old);
   }
   ok = true;

out:
   if (!ok)
      run_abort(&r);
   ok &= run_end(&r);
   if (ok) {
      piglit_note("%u items through a %u-slot ring, each seen once; %u "
                  "consumed while the kernel was still producing", seen,
                  slots, while_running);
      /* A ring smaller than the run forces consumption during the run. */
      ok = bad == 0 && seen == items && while_running >= items - slots;
   }
   nvsvm_cl_free(&c->cl, c->mem, (void *)ready, 2 * PAGE);
   return nvsvm_cl_verdict(&c->cl, ok);
}

/* ---- false sharing -------------------------------------------------- */

#define FS_DEV_ITEMS 2u
#define FS_HOST_THREADS 1u
#define FS_ITERS 1000000u
#define FS_COUNTERS (FS_DEV_ITEMS + FS_HOST_THREADS)

static void *
fs_worker(void *arg)
{
   struct worker *w = arg;
   _Atomic uint32_t *mine = w->shared;

   w->ok = worker_wait_go(w);
   if (!w->ok)
      return NULL;
   for (uint32_t i = 0; i < w->iters; i++)
      atomic_fetch_add_explicit(mine, 1, memory_order_relaxed);
   return NULL;
}

/* One layout: counters stride words apart. Returns increments per second,
 * or a negative value when a count was not exact. */
static double
fs_layout(struct ctx *c, uint32_t stride, bool *ok)
{
   struct worker w[FS_HOST_THREADS];
   struct run r = { 0 };
   size_t size = (size_t)FS_COUNTERS * stride * 4 + PAGE;
   _Atomic uint32_t *base = NULL;
   unsigned started = 0;
   uint64_t t0 = 0, t1;
   double rate = -1;

   *ok = false;
   memset(w, 0, sizeof(w));
   if (!run_begin(&r, c, "count_own"))
      goto out;
   base = nvsvm_cl_alloc(&c->cl, c->mem, size);
   if (!base || !nvsvm_cl_arg_ptr(r.k, 0, (void *)base) ||
       !nvsvm_cl_arg(r.k, 1, sizeof(cl_uint), &stride) ||
       !set_common_args(&r, 2, FS_ITERS) || !run_launch(&r, FS_DEV_ITEMS))
      goto out;
   for (unsigned i = 0; i < FS_HOST_THREADS; i++) {
      w[i] = (struct worker){
         .run = &r, .index = i, .iters = FS_ITERS,
         .shared = (void *)(base + (size_t)(FS_DEV_ITEMS + i) * stride) };
   }
   started = start_workers(w, FS_HOST_THREADS, fs_worker);
   t0 = nvsvm_cl_now_ns();
   run_go(&r);
   *ok = started == FS_HOST_THREADS;

out:
   if (!*ok)
      run_abort(&r);
   *ok &= join_workers(w, started);
   *ok &= run_end(&r);
   t1 = nvsvm_cl_now_ns();
   if (*ok) {
      size_t words = size / 4;

      for (size_t i = 0; i < words; i++) {
         bool counter = i % stride == 0 && i / stride < FS_COUNTERS;
         uint32_t want = counter ? FS_ITERS : 0;
         uint32_t got = atomic_load_explicit(&base[i], memory_order_relaxed);

         if (got != want) {
            piglit_note("stride %u: word %zu = %u, expected %u", stride, i,
                        got, want);
            *ok = false;
            break;
         }
      }
      rate = (double)FS_COUNTERS * FS_ITERS / ((t1 - t0) / 1e9);
   }
   nvsvm_cl_free(&c->cl, c->mem, (void *)base, size);
   return rate;
}

static enum piglit_result
packed_and_per_page_counters_stay_exact(void *arg)
{
   struct ctx *c = arg;
   enum piglit_result res;
   double packed, spread;
   bool ok_packed, ok_spread;

   if (!nvsvm_cl_ready(&c->cl, &res))
      return res;
   packed = fs_layout(c, 1, &ok_packed);
   if (c->cl.wedged)
      return PIGLIT_FAIL;
   spread = fs_layout(c, PAGE / 4, &ok_spread);
   if (ok_packed && ok_spread) {
      piglit_note("%u counters (%u device work-items, %u host threads) x "
                  "%u adds, each exact", FS_COUNTERS, FS_DEV_ITEMS,
                  FS_HOST_THREADS, FS_ITERS);
      piglit_note("throughput: packed in one page %.1f Madd/s, one per 4 "
                  "KiB page %.1f Madd/s (per-page / packed = %.2f)",
                  packed / 1e6, spread / 1e6, spread / packed);
   }
   return nvsvm_cl_verdict(&c->cl, ok_packed && ok_spread);
}

/* ---- CAS spinlock --------------------------------------------------- */

#define LOCK_DEV_ITEMS 2u
#define LOCK_HOST_THREADS 2u
#define LOCK_ITERS 3000u
#define HOST_ID_BASE 1000u

struct lock_shared {
   _Atomic uint32_t *lock;
   uint32_t *obj;
};

static void *
lock_worker(void *arg)
{
   struct worker *w = arg;
   struct lock_shared *s = w->shared;
   _Atomic uint32_t *abort = &w->run->ctl[NVSVM_CTL_ABORT];
   uint32_t me = HOST_ID_BASE + w->index;
   uint64_t deadline = nvsvm_cl_deadline(&w->run->c->cl);

   w->ok = worker_wait_go(w);
   for (uint32_t i = 0; w->ok && i < w->iters; i++) {
      for (uint64_t n = 0;; n++) {
         uint32_t expected = 0;

         if (atomic_load_explicit(s->lock, memory_order_relaxed) == 0 &&
             atomic_compare_exchange_strong_explicit(
                s->lock, &expected, me, memory_order_acquire,
                memory_order_relaxed))
            break;
         if ((n & 63) == 63) {
            if (atomic_load(abort) || nvsvm_cl_now_ns() > deadline) {
               w->ok = false;
               return NULL;
            }
            if (n > 4096)
               sched_yield();
         }
      }
      uint32_t a = s->obj[0], b = s->obj[1];
      if (b != 2 * a || atomic_load_explicit(s->lock,
                                             memory_order_relaxed) != me)
         s->obj[2]++;
      s->obj[0] = a + 1;
      s->obj[1] = b + 2;
      s->obj[4]++;
      if (s->obj[5] != me)
         s->obj[6]++;
      s->obj[5] = me;
      atomic_store_explicit(s->lock, 0, memory_order_release);
   }
   return NULL;
}

static enum piglit_result
cas_spinlock_keeps_shared_struct_consistent(void *arg)
{
   struct ctx *c = arg;
   struct worker w[LOCK_HOST_THREADS];
   struct lock_shared s = { 0 };
   struct run r = { 0 };
   unsigned started = 0;
   enum piglit_result res;
   bool ok = false;

   if (!nvsvm_cl_ready(&c->cl, &res))
      return res;
   memset(w, 0, sizeof(w));
   if (!run_begin(&r, c, "lock_and_update"))
      goto out;
   /* Lock word and the structure it protects share a page, as they
    * would in a real program. */
   s.lock = nvsvm_cl_alloc(&c->cl, c->mem, PAGE);
   if (!s.lock)
      goto out;
   s.obj = (uint32_t *)((char *)s.lock + 64);
   if (!nvsvm_cl_arg_ptr(r.k, 0, (void *)s.lock) ||
       !nvsvm_cl_arg_ptr(r.k, 1, s.obj) ||
       !set_common_args(&r, 2, LOCK_ITERS) ||
       !run_launch(&r, LOCK_DEV_ITEMS))
      goto out;
   for (unsigned i = 0; i < LOCK_HOST_THREADS; i++) {
      w[i] = (struct worker){ .run = &r, .index = i, .iters = LOCK_ITERS,
                              .shared = &s };
   }
   started = start_workers(w, LOCK_HOST_THREADS, lock_worker);
   run_go(&r);
   ok = started == LOCK_HOST_THREADS;

out:
   if (!ok)
      run_abort(&r);
   ok &= join_workers(w, started);
   if (!ok)
      run_abort(&r);
   ok &= run_end(&r);
   if (ok) {
      uint32_t total = (LOCK_DEV_ITEMS + LOCK_HOST_THREADS) * LOCK_ITERS;

      piglit_note("a = %u, b = %u (want %u, %u); broken invariants seen: "
                  "%u; sections device %u, host %u; owner changes %u",
                  s.obj[0], s.obj[1], total, 2 * total, s.obj[2], s.obj[3],
                  s.obj[4], s.obj[6]);
      ok = s.obj[0] == total && s.obj[1] == 2 * total && s.obj[2] == 0 &&
           s.obj[3] == LOCK_DEV_ITEMS * LOCK_ITERS &&
           s.obj[4] == LOCK_HOST_THREADS * LOCK_ITERS &&
           atomic_load(s.lock) == 0;
   }
   nvsvm_cl_free(&c->cl, c->mem, (void *)s.lock, PAGE);
   return nvsvm_cl_verdict(&c->cl, ok);
}

/* ---- byte granularity ----------------------------------------------- */

#define BYTES_N (64u * 1024u)
#define BYTES_PASSES 40u
#define BYTES_DEV_ITEMS 2u

static void *
bytes_worker(void *arg)
{
   struct worker *w = arg;
   unsigned char *buf = w->shared;
   _Atomic uint32_t *ctl = w->run->ctl;
   uint64_t deadline = nvsvm_cl_deadline(&w->run->c->cl);

   w->ok = worker_wait_go(w);
   for (uint32_t p = 0; w->ok && p < w->iters; p++) {
      uint32_t before;

      /* Lock-step with the device: start pass p once it finished p - 1. */
      if (!nvsvm_cl_wait_ge(&ctl[NVSVM_CTL_PROGRESS], BYTES_DEV_ITEMS * p,
                            deadline, &ctl[NVSVM_CTL_ABORT])) {
         w->ok = false;
         break;
      }
      before = atomic_load_explicit(&ctl[NVSVM_CTL_PROGRESS],
                                    memory_order_relaxed);
      for (uint32_t i = 1; i < BYTES_N; i += 2)
         buf[i] = NVSVM_HOST_BYTE(i, p);
      /* The device finished pass work while this pass was being written. */
      if (atomic_load_explicit(&ctl[NVSVM_CTL_PROGRESS],
                               memory_order_relaxed) != before)
         w->result++;
      atomic_fetch_add_explicit(&ctl[NVSVM_CTL_HOST_PROGRESS], 1,
                                memory_order_release);
   }
   return NULL;
}

static enum piglit_result
interleaved_byte_writes_are_all_kept(void *arg)
{
   struct ctx *c = arg;
   struct worker w[1];
   struct run r = { 0 };
   unsigned char *buf = NULL;
   uint32_t n = BYTES_N, passes = BYTES_PASSES, lost_dev = 0, lost_host = 0;
   uint64_t limit = c->cl.opts.spin_limit;
   cl_ulong l = limit;
   unsigned started = 0;
   enum piglit_result res;
   bool ok = false;

   if (!nvsvm_cl_ready(&c->cl, &res))
      return res;
   memset(w, 0, sizeof(w));
   if (!run_begin(&r, c, "write_bytes"))
      goto out;
   buf = nvsvm_cl_alloc(&c->cl, c->mem, BYTES_N);
   if (!buf || !nvsvm_cl_arg_ptr(r.k, 0, buf) ||
       !nvsvm_cl_arg(r.k, 1, sizeof(cl_uint), &n) ||
       !nvsvm_cl_arg(r.k, 2, sizeof(cl_uint), &passes) ||
       !nvsvm_cl_arg_ptr(r.k, 3, (void *)r.ctl) ||
       !nvsvm_cl_arg(r.k, 4, sizeof(cl_ulong), &l) ||
       !run_launch(&r, BYTES_DEV_ITEMS))
      goto out;
   w[0] = (struct worker){ .run = &r, .iters = BYTES_PASSES, .shared = buf };
   started = start_workers(w, 1, bytes_worker);
   run_go(&r);
   ok = started == 1;

out:
   if (!ok)
      run_abort(&r);
   ok &= join_workers(w, started);
   ok &= run_end(&r);
   if (ok) {
      for (uint32_t i = 0; i < BYTES_N; i++) {
         bool dev = (i & 1) == 0;
         unsigned char want = dev ? NVSVM_DEV_BYTE(i, BYTES_PASSES - 1) :
                                    NVSVM_HOST_BYTE(i, BYTES_PASSES - 1);

         if (buf[i] != want) {
            if (lost_dev + lost_host < 3)
               piglit_note("byte %u = 0x%02x, expected 0x%02x (%s's)", i,
                           buf[i], want, dev ? "device" : "host");
            if (dev)
               lost_dev++;
            else
               lost_host++;
         }
      }
      piglit_note("%u bytes x %u passes, even bytes by the device, odd by "
                  "the host: %u device and %u host bytes lost; host passes "
                  "during which the device finished pass work: %" PRIu64
                  " of %u", BYTES_N, BYTES_PASSES, lost_dev, lost_host,
                  w[0].result, BYTES_PASSES);
      ok = lost_dev == 0 && lost_host == 0;
   }
   nvsvm_cl_free(&c->cl, c->mem, buf, BYTES_N);
   return nvsvm_cl_verdict(&c->cl, ok);
}

static const struct piglit_subtest subtests[] = {
   { "host-and-device-increments-sum-exactly",
     host_and_device_increments_sum_exactly },
   { "flag-ping-pong-alternates-exactly",
     flag_ping_pong_alternates_exactly },
   { "consumer-sees-every-published-item-once",
     consumer_sees_every_published_item_once },
   { "packed-and-per-page-counters-stay-exact",
     packed_and_per_page_counters_stay_exact },
   { "cas-spinlock-keeps-shared-struct-consistent",
     cas_spinlock_keeps_shared_struct_consistent },
   { "interleaved-byte-writes-are-all-kept",
     interleaved_byte_writes_are_all_kept },
};

int
main(int argc, char **argv)
{
   struct nvsvm_cl_opts o;
   struct ctx c;
   unsigned needs = NVSVM_CL_NEED_ATOMICS;
   int ret;

   ret = nvsvm_cl_parse_opts(&o, argc, argv, true);
   if (ret)
      return ret > 0 ? 0 : 2;
   needs |= o.memory == NVSVM_CL_MEM_FINE_GRAIN_BUFFER ?
            NVSVM_CL_NEED_FINE_GRAIN_BUFFER :
            NVSVM_CL_NEED_FINE_GRAIN_SYSTEM;

   memset(&c, 0, sizeof(c));
   c.mem = o.memory;
   piglit_note("memory: %s", nvsvm_cl_memory_name(c.mem));
   nvsvm_cl_open(&c.cl, &o, needs, nvsvm_cl_svm_atomics_src);
   nvsvm_cl_describe(&c.cl);

   ret = piglit_run_subtests(subtests, sizeof(subtests) / sizeof(subtests[0]),
                             &c, argc, argv);
   if (c.cl.wedged) {
      /* Tearing down a context under a running kernel can block. */
      fflush(stdout);
      _exit(1);
   }
   nvsvm_cl_close(&c.cl);
   return ret;
}
