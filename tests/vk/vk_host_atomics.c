/* SPDX-License-Identifier: MIT */
/*
 * Vulkan compute atomics against host threads on imported host memory
 * (VK_EXT_external_memory_host): page-aligned malloc (--memory malloc) or
 * private anonymous mmap (--memory mmap) memory, one piglit subtest per
 * scenario, exact results, every wait bounded. Scenario names are those of
 * the OpenCL suite where the scenario is the same.
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
#include "nvsvm/nvsvm_placement.h"
#include "nvsvm_vk.h"

#define PAGE 4096u

struct ctx {
   struct nvsvm_vk vk;
   enum nvsvm_vk_memory mem;
};

/* Host memory of the chosen kind, imported. */
struct shared {
   void *ptr;
   size_t size;
   struct nvsvm_vk_region reg;
};

static bool
shared_get(struct ctx *c, struct shared *s, size_t size)
{
   memset(s, 0, sizeof(*s));
   s->size = size;
   s->ptr = nvsvm_vk_alloc(&c->vk, c->mem, &s->size);
   if (!s->ptr)
      return false;
   return nvsvm_vk_import(&c->vk, s->ptr, s->size, &s->reg, NULL) == 0;
}

static void
shared_put(struct ctx *c, struct shared *s)
{
   if (c->vk.wedged)
      return; /* the shader may still use it */
   nvsvm_vk_unimport(&c->vk, &s->reg);
   nvsvm_vk_free(c->mem, s->ptr, s->size);
   memset(s, 0, sizeof(*s));
}

/* One dispatch sharing a control block with the host. */
struct run {
   struct ctx *c;
   struct shared ctl_mem;
   _Atomic uint32_t *ctl;
   struct nvsvm_vk_run vr;
   uint32_t groups;
   uint32_t chunks;
   bool launched;
};

static bool
run_begin(struct run *r, struct ctx *c)
{
   memset(r, 0, sizeof(*r));
   r->c = c;
   if (!shared_get(c, &r->ctl_mem, NVSVM_CTL_WORDS * 4))
      return false;
   r->ctl = r->ctl_mem.ptr;
   return true;
}

/* Submit chunks dispatches (the loop budget, nvsvm_vk_shared.h) and wait
 * until the shader is demonstrably running. */
static bool
run_launch(struct run *r, enum nvsvm_vk_pipe pipe, struct nvsvm_vk_push *p,
           const struct nvsvm_vk_region *const *data, uint32_t groups,
           uint32_t chunks)
{
   p->limit = r->c->vk.opts.spin_limit;
   r->groups = groups;
   r->chunks = chunks;
   if (!nvsvm_vk_launch(&r->c->vk, &r->vr, pipe, p, &r->ctl_mem.reg, data,
                        groups, chunks, p->iters))
      return false;
   r->launched = true;
   if (!nvsvm_vk_wait_ge(&r->ctl[NVSVM_CTL_STARTED], 1,
                         nvsvm_vk_deadline(&r->c->vk),
                         &r->ctl[NVSVM_CTL_ABORT])) {
      piglit_note("timeout: no invocation started within %u ms of "
                  "vkQueueSubmit", r->c->vk.opts.timeout_ms);
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

/* Wait for the dispatch (bounded) and check its own bookkeeping. */
static bool
run_end(struct run *r)
{
   struct nvsvm_vk *vk = &r->c->vk;
   bool ok = true;

   if (r->launched) {
      if (nvsvm_vk_finish(vk, &r->vr, r->ctl) != 0) {
         ok = false;
      } else {
         uint32_t done = atomic_load(&r->ctl[NVSVM_CTL_DONE]);
         uint32_t to = atomic_load(&r->ctl[NVSVM_CTL_DEV_TIMEOUTS]);
         uint32_t errs = atomic_load(&r->ctl[NVSVM_CTL_ERRORS]);

         if (to) {
            piglit_note("shader: %u waits hit their bound (host aborted or "
                        "--spin-limit %u too small)", to,
                        vk->opts.spin_limit);
            ok = false;
         }
         if (errs) {
            piglit_note("shader: %u checks failed", errs);
            ok = false;
         }
         if (done != r->groups * r->chunks) {
            piglit_note("shader: %u of %u invocations (%u workgroups x %u "
                        "dispatches) finished", done, r->groups * r->chunks,
                        r->groups, r->chunks);
            ok = false;
         }
      }
   }
   if (r->ctl)
      shared_put(r->c, &r->ctl_mem);
   return ok;
}

/* Host threads: each waits for go (bounded) and runs its part. */
struct worker {
   struct run *run;
   unsigned index;
   uint32_t iters;
   void *shared;
   uint64_t result; /* scenario-specific count */
   uint64_t adds;   /* increments this thread made */
   bool ok;
   pthread_t thread;
};

static bool
worker_wait_go(struct worker *w)
{
   return nvsvm_vk_wait_eq(&w->run->ctl[NVSVM_CTL_GO], 1,
                           nvsvm_vk_deadline(&w->run->c->vk),
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

static enum piglit_result
verdict(struct ctx *c, bool ok)
{
   (void)c;
   return ok ? PIGLIT_PASS : PIGLIT_FAIL;
}

/* ---- concurrent increment (32 and 64 bit) ------------------------------ */

#define INC_DEV_GROUPS 2u
#define INC_DEV_CHUNKS 16u
#define INC_DEV_BLOCKS 4096u
#define INC_DEV_ITERS (INC_DEV_CHUNKS * INC_DEV_BLOCKS * NVSVM_VK_ADDS)
#define INC_HOST_THREADS 2u
/* Host threads add at least this often, and go on until the shader has
 * finished, so every device add races with host adds. */
#define INC_HOST_ITERS 100000u
/* The 64-bit counter starts just below 2^32, so the total carries into the
 * upper word: a 32-bit add on either side would lose it. */
#define INC64_START (UINT64_C(0xffffffff) - 1000u)

/* Keep adding while the shader runs: true when this thread may stop. */
static bool
inc_worker_done(struct worker *w, uint64_t n, uint64_t deadline)
{
   _Atomic uint32_t *ctl = w->run->ctl;

   if (n < w->iters)
      return false;
   if (atomic_load_explicit(&ctl[NVSVM_CTL_DONE], memory_order_acquire) >=
       w->run->groups * w->run->chunks)
      return true;
   if (atomic_load_explicit(&ctl[NVSVM_CTL_ABORT], memory_order_relaxed) ||
       nvsvm_vk_now_ns() > deadline) {
      w->ok = false;
      return true;
   }
   return false;
}

static void *
inc_worker(void *arg)
{
   struct worker *w = arg;
   _Atomic uint32_t *counter = w->shared;
   uint64_t deadline = nvsvm_vk_deadline(&w->run->c->vk), n;
   uint32_t prev = 0;

   w->ok = worker_wait_go(w);
   if (!w->ok)
      return NULL;
   for (n = 0; (n & 1023) || !inc_worker_done(w, n, deadline); n++) {
      uint32_t old = atomic_fetch_add_explicit(counter, 1,
                                               memory_order_relaxed);

      /* Someone else added in between: the sides really interleaved. */
      if (n && old != prev + 1)
         w->result++;
      prev = old;
   }
   w->adds = n;
   return NULL;
}

static void *
inc64_worker(void *arg)
{
   struct worker *w = arg;
   _Atomic uint64_t *counter = w->shared;
   uint64_t deadline = nvsvm_vk_deadline(&w->run->c->vk), n;
   uint64_t prev = 0;

   w->ok = worker_wait_go(w);
   if (!w->ok)
      return NULL;
   for (n = 0; (n & 1023) || !inc_worker_done(w, n, deadline); n++) {
      uint64_t old = atomic_fetch_add_explicit(counter, 1,
                                               memory_order_relaxed);

      if (n && old != prev + 1)
         w->result++;
      prev = old;
   }
   w->adds = n;
   return NULL;
}

static bool
increments(struct ctx *c, bool wide)
{
   struct worker w[INC_HOST_THREADS];
   struct run r = { 0 };
   struct shared s = { 0 };
   struct nvsvm_vk_push p = { .op = NVSVM_OP_INCREMENT,
                              .iters = INC_DEV_BLOCKS };
   const struct nvsvm_vk_region *data[NVSVM_VK_DATA_BUFFERS] = { 0 };
   unsigned started = 0;
   uint64_t interleaved = 0, host_adds = 0, t0 = 0, t1, want, got = 0;
   bool ok = false;

   memset(w, 0, sizeof(w));
   if (!run_begin(&r, c) || !shared_get(c, &s, PAGE))
      goto out;
   /* The counter in the middle of its page, not at offset 0. */
   p.idx[0] = wide ? 100 : 200;
   if (wide)
      ((_Atomic uint64_t *)s.ptr)[p.idx[0]] = INC64_START;
   data[0] = &s.reg;
   if (!run_launch(&r, wide ? NVSVM_VK_PIPE_64 : NVSVM_VK_PIPE_32, &p, data,
                   INC_DEV_GROUPS, INC_DEV_CHUNKS))
      goto out;
   for (unsigned i = 0; i < INC_HOST_THREADS; i++) {
      w[i] = (struct worker){
         .run = &r, .index = i, .iters = INC_HOST_ITERS,
         .shared = wide ? (void *)((uint64_t *)s.ptr + p.idx[0]) :
                          (void *)((uint32_t *)s.ptr + p.idx[0]) };
   }
   started = start_workers(w, INC_HOST_THREADS,
                           wide ? inc64_worker : inc_worker);
   piglit_note("shader in flight (%u of %u invocations started) when the "
               "host threads were released",
               atomic_load(&r.ctl[NVSVM_CTL_STARTED]), INC_DEV_GROUPS);
   t0 = nvsvm_vk_now_ns();
   run_go(&r);
   ok = started == INC_HOST_THREADS;

out:
   if (!ok)
      run_abort(&r);
   ok &= join_workers(w, started);
   ok &= run_end(&r);
   t1 = nvsvm_vk_now_ns();
   for (unsigned i = 0; i < started; i++) {
      interleaved += w[i].result;
      host_adds += w[i].adds;
   }
   if (ok) {
      want = (uint64_t)INC_DEV_GROUPS * INC_DEV_ITERS + host_adds;
      if (wide) {
         want += INC64_START;
         got = atomic_load(((_Atomic uint64_t *)s.ptr) + p.idx[0]);
      } else {
         got = atomic_load(((_Atomic uint32_t *)s.ptr) + p.idx[0]);
      }
      piglit_note("%u-bit counter %" PRIu64 ", expected %" PRIu64 " (%u "
                  "workgroups x %u + %" PRIu64 " by %u host threads, each "
                  "adding until the shader finished%s); %.1f Madd/s",
                  wide ? 64 : 32, got, want, INC_DEV_GROUPS, INC_DEV_ITERS,
                  host_adds, INC_HOST_THREADS,
                  wide ? " + a start just below 2^32" : "",
                  (want - (wide ? INC64_START : 0)) / ((t1 - t0) / 1e3));
      piglit_note("host adds that found another side's add in between: %"
                  PRIu64, interleaved);
      ok = got == want;
   }
   shared_put(c, &s);
   return ok;
}

static enum piglit_result
host_and_device_increments_sum_exactly(void *arg)
{
   struct ctx *c = arg;
   enum piglit_result res;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   return verdict(c, increments(c, false));
}

static enum piglit_result
host_and_device_64bit_increments_sum_exactly(void *arg)
{
   struct ctx *c = arg;
   enum piglit_result res;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   if (!c->vk.has_int64_atomics) {
      piglit_note("skip: missing shaderBufferInt64Atomics on '%s'",
                  c->vk.name);
      return PIGLIT_SKIP;
   }
   return verdict(c, increments(c, true));
}

/* ---- flag ping-pong ---------------------------------------------------- */

#define PP_ROUNDS 2000u
#define PP_CHUNK 1u

static enum piglit_result
flag_ping_pong_alternates_exactly(void *arg)
{
   struct ctx *c = arg;
   struct run r = { 0 };
   struct shared fs = { 0 }, ls = { 0 };
   struct nvsvm_vk_push p = { .op = NVSVM_OP_PING_PONG, .iters = PP_CHUNK };
   const struct nvsvm_vk_region *data[NVSVM_VK_DATA_BUFFERS] = { 0 };
   _Atomic uint32_t *flag = NULL;
   uint32_t *log = NULL;
   uint64_t *rtt = NULL;
   uint32_t rounds = PP_ROUNDS, done = 0, host_bad = 0;
   enum piglit_result res;
   bool ok = false;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   rtt = calloc(PP_ROUNDS, sizeof(*rtt));
   /* The flag alone on its page; the log in its own import. */
   if (!rtt || !run_begin(&r, c) || !shared_get(c, &fs, PAGE) ||
       !shared_get(c, &ls, 2 * PP_ROUNDS * 4))
      goto out;
   flag = fs.ptr;
   log = ls.ptr;
   data[0] = &fs.reg;
   data[1] = &ls.reg;
   if (!run_launch(&r, NVSVM_VK_PIPE_32, &p, data, 1, PP_ROUNDS / PP_CHUNK))
      goto out;
   run_go(&r);

   for (done = 0; done < rounds; done++) {
      uint64_t t0;

      log[2 * done] = NVSVM_HOST_TAG | done;
      t0 = nvsvm_vk_now_ns();
      atomic_store_explicit(flag, 2 * done + 1, memory_order_release);
      if (!nvsvm_vk_wait_eq(flag, 2 * done + 2, t0 +
                            (uint64_t)c->vk.opts.timeout_ms * 1000000u,
                            &r.ctl[NVSVM_CTL_ABORT])) {
         piglit_note("round %u: no answer from the device (timeout %u ms "
                     "or device gave up; flag %u, want %u)", done,
                     c->vk.opts.timeout_ms, atomic_load(flag),
                     2 * done + 2);
         goto out;
      }
      rtt[done] = nvsvm_vk_now_ns() - t0;
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
   shared_put(c, &fs);
   shared_put(c, &ls);
   free(rtt);
   return verdict(c, ok);
}

/* ---- producer/consumer ------------------------------------------------- */

#define PC_ITEMS 20000u
#define PC_CHUNK 16u
#define PC_SLOTS 16u

static enum piglit_result
consumer_sees_every_published_item_once(void *arg)
{
   struct ctx *c = arg;
   struct run r = { 0 };
   struct shared ps = { 0 }, rs = { 0 };
   struct nvsvm_vk_push p = { .op = NVSVM_OP_PRODUCE, .iters = PC_CHUNK,
                              .slots = PC_SLOTS };
   const struct nvsvm_vk_region *data[NVSVM_VK_DATA_BUFFERS] = { 0 };
   _Atomic uint32_t *ready = NULL;
   uint32_t *payload = NULL;
   uint32_t items = PC_ITEMS, slots = PC_SLOTS, seen = 0, bad = 0;
   uint32_t while_running = 0;
   enum piglit_result res;
   bool ok = false;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   if (!run_begin(&r, c) || !shared_get(c, &ps, PAGE) ||
       !shared_get(c, &rs, PAGE))
      goto out;
   payload = ps.ptr;
   ready = rs.ptr;
   data[0] = &ps.reg;
   data[1] = &rs.reg;
   if (!run_launch(&r, NVSVM_VK_PIPE_32, &p, data, 1, PC_ITEMS / PC_CHUNK))
      goto out;
   run_go(&r);

   for (seen = 0; seen < items; seen++) {
      uint32_t s = seen % slots, v, old;

      if (!nvsvm_vk_wait_eq(&ready[s], seen + 1, nvsvm_vk_deadline(&c->vk),
                            &r.ctl[NVSVM_CTL_ABORT])) {
         piglit_note("item %u never appeared in slot %u (timeout or device "
                     "gave up; slot holds %u)", seen, s,
                     atomic_load(&ready[s]));
         goto out;
      }
      if (atomic_load_explicit(&r.ctl[NVSVM_CTL_DONE],
                               memory_order_relaxed) < PC_ITEMS / PC_CHUNK)
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
                  "consumed while the shader was still producing", seen,
                  slots, while_running);
      /* A ring smaller than the run forces consumption during the run. */
      ok = bad == 0 && seen == items && while_running >= items - slots;
   }
   shared_put(c, &ps);
   shared_put(c, &rs);
   return verdict(c, ok);
}

/* ---- false sharing through the placement pool -------------------------- */

#define FS_DEV_GROUPS 2u
#define FS_HOST_THREADS 1u
#define FS_CHUNKS 4u
#define FS_BLOCKS 4096u
#define FS_ITERS (FS_CHUNKS * FS_BLOCKS * NVSVM_VK_ADDS)
#define FS_COUNTERS (FS_DEV_GROUPS + FS_HOST_THREADS)

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

/*
 * One layout: packed, the counters are members of one placement group
 * (one page, adjacent words), or spread, each counter is a pool object on
 * a page of its own. Each page the counters live on is imported once.
 * Returns increments per second, negative when a count was not exact.
 */
static double
fs_layout(struct ctx *c, struct nvsvm_pool *pool, bool packed, bool *ok)
{
   struct worker w[FS_HOST_THREADS];
   struct run r = { 0 };
   struct nvsvm_group *group = NULL;
   struct nvsvm_vk_region reg[FS_COUNTERS];
   const struct nvsvm_vk_region *data[NVSVM_VK_DATA_BUFFERS] = { 0 };
   struct nvsvm_vk_push p = { .op = NVSVM_OP_COUNT_OWN, .iters = FS_BLOCKS };
   _Atomic uint32_t *ctr[FS_COUNTERS] = { 0 };
   unsigned started = 0, pages = 0;
   uint64_t t0 = 0, t1;
   double rate = -1;
   int err = 0;

   *ok = false;
   memset(w, 0, sizeof(w));
   memset(reg, 0, sizeof(reg));
   if (packed && (err = nvsvm_group_create(pool, &group)))
      goto out;
   for (unsigned i = 0; i < FS_COUNTERS && !err; i++) {
      void *o = NULL;

      err = packed ? nvsvm_group_alloc(group, 4, 4, &o) :
                     nvsvm_pool_alloc(pool, 4, &o);
      ctr[i] = o;
   }
   if (err) {
      piglit_note("placement pool: %s", nvsvm_strerror(err));
      goto out;
   }
   /* Import each distinct page once; counter i uses the import of its
    * page at its word index. */
   for (unsigned i = 0; i < FS_COUNTERS; i++) {
      void *page = (void *)((uintptr_t)ctr[i] & ~(uintptr_t)(PAGE - 1));
      unsigned k;

      for (k = 0; k < pages; k++) {
         if (reg[k].ptr == page)
            break;
      }
      if (k == pages) {
         if (nvsvm_vk_import(&c->vk, page, PAGE, &reg[k], NULL))
            goto out;
         pages++;
      }
      if (i < FS_DEV_GROUPS) {
         data[i] = &reg[k];
         p.idx[i] = ((uintptr_t)ctr[i] & (PAGE - 1)) / 4;
      }
   }
   if (pages != (packed ? 1u : FS_COUNTERS)) {
      piglit_note("%s layout: counters on %u pages, expected %u",
                  packed ? "packed" : "spread", pages,
                  packed ? 1u : FS_COUNTERS);
      goto out;
   }
   if (!run_begin(&r, c) ||
       !run_launch(&r, NVSVM_VK_PIPE_32, &p, data, FS_DEV_GROUPS,
                   FS_CHUNKS))
      goto out;
   for (unsigned i = 0; i < FS_HOST_THREADS; i++) {
      w[i] = (struct worker){ .run = &r, .index = i, .iters = FS_ITERS,
                              .shared = (void *)ctr[FS_DEV_GROUPS + i] };
   }
   started = start_workers(w, FS_HOST_THREADS, fs_worker);
   t0 = nvsvm_vk_now_ns();
   run_go(&r);
   *ok = started == FS_HOST_THREADS;

out:
   if (!*ok)
      run_abort(&r);
   *ok &= join_workers(w, started);
   *ok &= run_end(&r);
   t1 = nvsvm_vk_now_ns();
   if (*ok) {
      for (unsigned i = 0; i < FS_COUNTERS; i++) {
         uint32_t got = atomic_load(ctr[i]);

         if (got != FS_ITERS) {
            piglit_note("%s layout: counter %u = %u, expected %u",
                        packed ? "packed" : "spread", i, got, FS_ITERS);
            *ok = false;
         }
      }
      /* Nothing else on the pages was touched. */
      for (unsigned k = 0; k < pages && *ok; k++) {
         const uint32_t *word = reg[k].ptr;
         unsigned nonzero = 0;

         for (unsigned i = 0; i < PAGE / 4; i++)
            nonzero += word[i] != 0;
         for (unsigned i = 0; i < FS_COUNTERS; i++)
            nonzero -= (void *)((uintptr_t)ctr[i] & ~(uintptr_t)(PAGE - 1))
                       == reg[k].ptr;
         if (nonzero) {
            piglit_note("%s layout: %u stray words written on page %u",
                        packed ? "packed" : "spread", nonzero, k);
            *ok = false;
         }
      }
      rate = (double)FS_COUNTERS * FS_ITERS / ((t1 - t0) / 1e9);
   }
   for (unsigned k = 0; k < pages; k++)
      nvsvm_vk_unimport(&c->vk, &reg[k]);
   if (!c->vk.wedged) {
      if (group)
         nvsvm_group_destroy(group);
      for (unsigned i = 0; i < FS_COUNTERS && !packed; i++) {
         if (ctr[i])
            nvsvm_pool_free(pool, (void *)ctr[i]);
      }
   }
   return rate;
}

static enum piglit_result
packed_and_per_page_counters_stay_exact(void *arg)
{
   struct ctx *c = arg;
   struct nvsvm_pool *pool = NULL;
   struct nvsvm_pool_params pp = { .chunk_pages = 8 };
   enum piglit_result res;
   double packed, spread = 0;
   bool ok_packed = false, ok_spread = false;
   int err;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   if (c->vk.import_align > PAGE) {
      piglit_note("skip: missing minImportedHostPointerAlignment <= 4096 "
                  "on '%s' (%llu): a 4 KiB pool page cannot be imported "
                  "alone", c->vk.name,
                  (unsigned long long)c->vk.import_align);
      return PIGLIT_SKIP;
   }
   err = nvsvm_pool_create(&pp, &pool);
   if (err) {
      piglit_note("nvsvm_pool_create: %s", nvsvm_strerror(err));
      return PIGLIT_FAIL;
   }
   packed = fs_layout(c, pool, true, &ok_packed);
   if (!c->vk.wedged)
      spread = fs_layout(c, pool, false, &ok_spread);
   if (ok_packed && ok_spread) {
      piglit_note("%u counters (%u device invocations, %u host thread) x %u "
                  "adds, each exact", FS_COUNTERS, FS_DEV_GROUPS,
                  FS_HOST_THREADS, FS_ITERS);
      piglit_note("throughput: packed in one placement group (one page) "
                  "%.1f Madd/s, one pool page each %.1f Madd/s (per-page / "
                  "packed = %.2f)", packed / 1e6, spread / 1e6,
                  spread / packed);
   }
   if (!c->vk.wedged)
      nvsvm_pool_destroy(pool);
   return verdict(c, ok_packed && ok_spread);
}

/* ---- CAS spinlock ------------------------------------------------------ */

#define LOCK_DEV_GROUPS 2u
#define LOCK_HOST_THREADS 2u
#define LOCK_CHUNKS 100u
#define LOCK_CHUNK_ITERS 50u
#define LOCK_ITERS (LOCK_CHUNKS * LOCK_CHUNK_ITERS)
/* Host threads take the lock at least this often, and go on until the
 * shader has finished, so device sections race with host sections. */
#define LOCK_HOST_ITERS 2000u

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
   uint32_t me = NVSVM_HOST_ID_BASE + w->index;
   uint64_t deadline = nvsvm_vk_deadline(&w->run->c->vk);

   w->ok = worker_wait_go(w);
   for (uint64_t i = 0; w->ok && !inc_worker_done(w, i, deadline); i++) {
      w->adds = i + 1;
      for (uint64_t n = 0;; n++) {
         uint32_t expected = 0;

         if (atomic_load_explicit(s->lock, memory_order_relaxed) == 0 &&
             atomic_compare_exchange_strong_explicit(
                s->lock, &expected, me, memory_order_acquire,
                memory_order_relaxed))
            break;
         if ((n & 63) == 63) {
            if (atomic_load(abort) || nvsvm_vk_now_ns() > deadline) {
               w->ok = false;
               return NULL;
            }
            if (n > 4096)
               sched_yield();
         }
      }
      uint32_t v = s->obj[0];
      bool bad = false;

      for (unsigned k = 0; k < NVSVM_OBJ_VALS; k++)
         bad |= s->obj[k] != v;
      for (unsigned k = 0; k < NVSVM_OBJ_VALS / 2; k++)
         s->obj[k]++;
      bad |= atomic_load_explicit(s->lock, memory_order_relaxed) != me;
      for (unsigned k = NVSVM_OBJ_VALS / 2; k < NVSVM_OBJ_VALS; k++)
         s->obj[k]++;
      if (bad)
         s->obj[NVSVM_OBJ_BROKEN]++;
      s->obj[NVSVM_OBJ_HOST]++;
      if (s->obj[NVSVM_OBJ_OWNER] != me)
         s->obj[NVSVM_OBJ_CHANGES]++;
      s->obj[NVSVM_OBJ_OWNER] = me;
      atomic_store_explicit(s->lock, 0, memory_order_release);
   }
   return NULL;
}

static enum piglit_result
cas_spinlock_keeps_shared_struct_consistent(void *arg)
{
   struct ctx *c = arg;
   struct worker w[LOCK_HOST_THREADS];
   struct lock_shared ls = { 0 };
   struct shared s = { 0 };
   struct run r = { 0 };
   struct nvsvm_vk_push p = { .op = NVSVM_OP_LOCK,
                              .iters = LOCK_CHUNK_ITERS };
   const struct nvsvm_vk_region *data[NVSVM_VK_DATA_BUFFERS] = { 0 };
   unsigned started = 0;
   enum piglit_result res;
   bool ok = false;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   memset(w, 0, sizeof(w));
   /* Lock word and the structure it protects share a page, as they
    * would in a real program. */
   if (!run_begin(&r, c) || !shared_get(c, &s, PAGE))
      goto out;
   p.idx[0] = 32;
   ls.lock = (_Atomic uint32_t *)s.ptr + p.idx[0];
   ls.obj = (uint32_t *)s.ptr + p.idx[0] + NVSVM_LOCK_OBJ_WORDS;
   data[0] = &s.reg;
   if (!run_launch(&r, NVSVM_VK_PIPE_32, &p, data, LOCK_DEV_GROUPS,
                   LOCK_CHUNKS))
      goto out;
   for (unsigned i = 0; i < LOCK_HOST_THREADS; i++) {
      w[i] = (struct worker){ .run = &r, .index = i,
                              .iters = LOCK_HOST_ITERS, .shared = &ls };
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
      uint64_t host = 0;
      uint32_t total, *o = ls.obj;

      for (unsigned i = 0; i < started; i++)
         host += w[i].adds;
      total = LOCK_DEV_GROUPS * LOCK_ITERS + (uint32_t)host;

      unsigned off = 0;

      for (unsigned k = 0; k < NVSVM_OBJ_VALS; k++)
         off += o[k] != total;
      piglit_note("values %u..%u, %u of %u not %u; broken invariants seen: "
                  "%u; sections device %u, host %u; owner changes %u",
                  o[0], o[NVSVM_OBJ_VALS - 1], off, NVSVM_OBJ_VALS, total,
                  o[NVSVM_OBJ_BROKEN], o[NVSVM_OBJ_DEV], o[NVSVM_OBJ_HOST],
                  o[NVSVM_OBJ_CHANGES]);
      ok = off == 0 && o[NVSVM_OBJ_BROKEN] == 0 &&
           o[NVSVM_OBJ_DEV] == LOCK_DEV_GROUPS * LOCK_ITERS &&
           o[NVSVM_OBJ_HOST] == host &&
           atomic_load(ls.lock) == 0;
   }
   shared_put(c, &s);
   return verdict(c, ok);
}

static const struct piglit_subtest subtests[] = {
   { "host-and-device-increments-sum-exactly",
     host_and_device_increments_sum_exactly },
   { "host-and-device-64bit-increments-sum-exactly",
     host_and_device_64bit_increments_sum_exactly },
   { "flag-ping-pong-alternates-exactly",
     flag_ping_pong_alternates_exactly },
   { "consumer-sees-every-published-item-once",
     consumer_sees_every_published_item_once },
   { "packed-and-per-page-counters-stay-exact",
     packed_and_per_page_counters_stay_exact },
   { "cas-spinlock-keeps-shared-struct-consistent",
     cas_spinlock_keeps_shared_struct_consistent },
};

int
main(int argc, char **argv)
{
   struct nvsvm_vk_opts o;
   struct ctx c;
   int ret;

   ret = nvsvm_vk_parse_opts(&o, argc, argv, true);
   if (ret)
      return ret > 0 ? 0 : 2;

   memset(&c, 0, sizeof(c));
   c.mem = o.memory;
   piglit_note("memory: %s", nvsvm_vk_memory_name(c.mem));
   nvsvm_vk_open(&c.vk, &o);
   nvsvm_vk_describe(&c.vk);

   ret = piglit_run_subtests(subtests, sizeof(subtests) / sizeof(subtests[0]),
                             &c, argc, argv);
   if (c.vk.wedged) {
      /* Tearing down a device under a running dispatch can block. */
      fflush(stdout);
      _exit(1);
   }
   nvsvm_vk_close(&c.vk);
   return ret;
}
