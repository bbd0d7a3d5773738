/* SPDX-License-Identifier: MIT */
/*
 * Device side of the SVM-atomics scenarios: small kernels that share words
 * with host threads while both run. Every wait is bounded twice: by the
 * host's abort word and by an iteration limit passed in by the host.
 */
#include "nvsvm_cl_shared.h"

/*
 * Host and device must agree across the whole SVM, so every atomic uses the
 * all-SVM-devices scope. PoCL 3.1 reports that scope in
 * CL_DEVICE_ATOMIC_MEMORY_CAPABILITIES (checked by the host before building)
 * without declaring the OpenCL C 3.0 feature macro; clang's constant is the
 * same value the enumerator would have.
 */
#if defined(__opencl_c_atomic_scope_all_devices)
#define SCOPE memory_scope_all_svm_devices
#elif defined(__OPENCL_MEMORY_SCOPE_ALL_SVM_DEVICES)
#define SCOPE __OPENCL_MEMORY_SCOPE_ALL_SVM_DEVICES
#else
#error "this compiler has no all-SVM-devices memory scope"
#endif

#define LD_ACQ(p) atomic_load_explicit((p), memory_order_acquire, SCOPE)
#define LD_RLX(p) atomic_load_explicit((p), memory_order_relaxed, SCOPE)
#define ST_REL(p, v) \
   atomic_store_explicit((p), (v), memory_order_release, SCOPE)
#define ADD_RLX(p, v) \
   atomic_fetch_add_explicit((p), (v), memory_order_relaxed, SCOPE)
#define ADD_REL(p, v) \
   atomic_fetch_add_explicit((p), (v), memory_order_release, SCOPE)

static bool
aborted(global atomic_uint *ctl, ulong n)
{
   return (n & NVSVM_ABORT_POLL_MASK) == NVSVM_ABORT_POLL_MASK &&
          LD_RLX(&ctl[NVSVM_CTL_ABORT]) != 0;
}

/* A bounded wait ran out: count it and end every other wait too, on both
 * sides, so a failed run ends now instead of at each side's own bound. */
static void
gave_up(global atomic_uint *ctl)
{
   ADD_RLX(&ctl[NVSVM_CTL_DEV_TIMEOUTS], 1);
   ST_REL(&ctl[NVSVM_CTL_ABORT], 1);
}

/* Spin until *p == want; false (and counted) when the bound is hit. */
static bool
wait_eq(global atomic_uint *p, uint want, global atomic_uint *ctl,
        ulong limit)
{
   for (ulong n = 0; n < limit; n++) {
      if (LD_ACQ(p) == want)
         return true;
      if (aborted(ctl, n))
         break;
   }
   gave_up(ctl);
   return false;
}

/* Spin until *p >= want; false (and counted) when the bound is hit. */
static bool
wait_ge(global atomic_uint *p, uint want, global atomic_uint *ctl,
        ulong limit)
{
   for (ulong n = 0; n < limit; n++) {
      if (LD_ACQ(p) >= want)
         return true;
      if (aborted(ctl, n))
         break;
   }
   gave_up(ctl);
   return false;
}

/* Announce this work-item and wait for the host's go. */
static bool
enter(global atomic_uint *ctl, ulong limit)
{
   ADD_REL(&ctl[NVSVM_CTL_STARTED], 1);
   return wait_eq(&ctl[NVSVM_CTL_GO], 1, ctl, limit);
}

static void
leave(global atomic_uint *ctl)
{
   ADD_REL(&ctl[NVSVM_CTL_DONE], 1);
}

/* Concurrent increment: every work-item adds iters to one counter. */
kernel void
increment(global atomic_uint *counter, global atomic_uint *ctl, uint iters,
          ulong limit)
{
   if (!enter(ctl, limit))
      return;
   for (uint i = 0; i < iters; i++)
      ADD_RLX(counter, 1);
   leave(ctl);
}

/*
 * Flag ping-pong, one work-item: odd flag values are the host's turns, even
 * ones the device's. Each side logs its turn with a plain store before
 * handing the flag over, and checks the other side's entry after taking it.
 */
kernel void
ping_pong(global atomic_uint *flag, global uint *log, global atomic_uint *ctl,
          uint rounds, ulong limit)
{
   if (!enter(ctl, limit))
      return;
   for (uint r = 0; r < rounds; r++) {
      if (!wait_eq(flag, 2 * r + 1, ctl, limit))
         return;
      if (log[2 * r] != (NVSVM_HOST_TAG | r))
         ADD_RLX(&ctl[NVSVM_CTL_ERRORS], 1);
      log[2 * r + 1] = NVSVM_DEV_TAG | r;
      ST_REL(flag, 2 * r + 2);
   }
   leave(ctl);
}

/*
 * Producer: item i goes to ring slot i % slots once the host emptied it;
 * the payload is a plain store published by a releasing exchange. The ring
 * is smaller than the item count, so the kernel can only finish if the host
 * consumes while it runs.
 */
kernel void
produce(global uint *payload, global atomic_uint *ready,
        global atomic_uint *ctl, uint items, uint slots, ulong limit)
{
   if (!enter(ctl, limit))
      return;
   for (uint i = 0; i < items; i++) {
      uint s = i % slots;

      if (!wait_eq(&ready[s], 0, ctl, limit))
         return;
      payload[s] = NVSVM_ITEM_VALUE(i);
      if (atomic_exchange_explicit(&ready[s], i + 1, memory_order_release,
                                   SCOPE) != 0)
         ADD_RLX(&ctl[NVSVM_CTL_ERRORS], 1);
   }
   leave(ctl);
}

/* False sharing: work-item k owns the counter at base[k * stride]. */
kernel void
count_own(global atomic_uint *base, uint stride, global atomic_uint *ctl,
          uint iters, ulong limit)
{
   global atomic_uint *mine = base + get_global_id(0) * stride;

   if (!enter(ctl, limit))
      return;
   for (uint i = 0; i < iters; i++)
      ADD_RLX(mine, 1);
   leave(ctl);
}

/*
 * CAS spinlock shared with host threads. obj is plain memory:
 * [0] a, [1] b (kept at 2 * a), [2] invariant violations seen, [3] sections
 * run by the device, [4] by the host, [5] last owner, [6] owner changes.
 * Lock value = owner id (device ids 1..n).
 */
kernel void
lock_and_update(global atomic_uint *lock, global uint *obj,
                global atomic_uint *ctl, uint iters, ulong limit)
{
   uint me = (uint)get_global_id(0) + 1;

   if (!enter(ctl, limit))
      return;
   for (uint i = 0; i < iters; i++) {
      ulong n = 0;

      for (;;) {
         uint expected = 0;

         /* Test before test-and-set: spin on loads, not on CAS traffic. */
         if (LD_RLX(lock) == 0 &&
             atomic_compare_exchange_strong_explicit(lock, &expected, me,
                                                     memory_order_acquire,
                                                     memory_order_relaxed,
                                                     SCOPE))
            break;
         if (++n >= limit || aborted(ctl, n)) {
            gave_up(ctl);
            return;
         }
      }
      uint a = obj[0], b = obj[1];
      if (b != 2 * a || LD_RLX(lock) != me)
         obj[2]++;
      obj[0] = a + 1;
      obj[1] = b + 2;
      obj[3]++;
      if (obj[5] != me)
         obj[6]++;
      obj[5] = me;
      ST_REL(lock, 0);
   }
   leave(ctl);
}

/*
 * Byte granularity: the device writes the even bytes of buf, pass after
 * pass, while a host thread writes the odd ones. Pass p starts once the
 * other side finished pass p - 1, so the two sides write the same pass at
 * the same time instead of one finishing before the other starts. The
 * release add per pass also keeps every pass's stores.
 */
kernel void
write_bytes(global uchar *buf, uint n, uint passes, global atomic_uint *ctl,
            ulong limit)
{
   uint wi = (uint)get_global_id(0), nwi = (uint)get_global_size(0);

   if (!enter(ctl, limit))
      return;
   for (uint p = 0; p < passes; p++) {
      if (!wait_ge(&ctl[NVSVM_CTL_HOST_PROGRESS], p, ctl, limit))
         return;
      for (uint i = 2 * wi; i < n; i += 2 * nwi)
         buf[i] = NVSVM_DEV_BYTE(i, p);
      ADD_REL(&ctl[NVSVM_CTL_PROGRESS], 1);
   }
   leave(ctl);
}
