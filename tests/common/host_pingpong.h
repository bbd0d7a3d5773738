/* SPDX-License-Identifier: MIT */
/*
 * The host side of the device ping-pong tests, shared by the OpenCL and
 * Vulkan families: a bounded wait on a word the device writes, and the
 * verdict of the flag ping-pong (every log entry where it belongs, the
 * flag's final value, round-trip figures). Header-only, as piglit.h.
 */
#ifndef NVSVM_HOST_PINGPONG_H
#define NVSVM_HOST_PINGPONG_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "nvsvm_time.h"
#include "piglit.h"

/*
 * Spin until *p == want (or >= want with ge), *abort is set, or the
 * monotonic clock passes deadline_ns. True when the value came.
 */
static inline bool
nvsvm_host_wait(_Atomic uint32_t *p, uint32_t want, bool ge,
                uint64_t deadline_ns, _Atomic uint32_t *abort)
{
   for (uint64_t n = 0;; n++) {
      uint32_t v = atomic_load_explicit(p, memory_order_acquire);

      if (ge ? v >= want : v == want)
         return true;
      if ((n & 63) == 63) {
         if (abort && atomic_load_explicit(abort, memory_order_relaxed))
            return false;
         if (nvsvm_time_ns() > deadline_ns)
            return false;
         /* On a CPU device the other side may need this core. */
         if (n > 4096)
            sched_yield();
      }
   }
}

static inline int
nvsvm_host_cmp_u64(const void *a, const void *b)
{
   uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

   return x < y ? -1 : x > y;
}

/*
 * The flag ping-pong after `rounds` rounds: log[2i] must hold host_tag | i
 * and log[2i+1] dev_tag | i, the flag 2 * rounds, and the host must have
 * seen each device entry in time (host_bad == 0). Prints what is wrong
 * and the round-trip figures of rtt[] (sorted in place); true when right.
 */
static inline bool
nvsvm_host_pingpong_verdict(const uint32_t *log, uint32_t flag,
                            uint32_t rounds, uint32_t host_bad,
                            uint32_t host_tag, uint32_t dev_tag,
                            uint64_t *rtt)
{
   uint32_t log_bad = 0;
   uint64_t sum = 0;

   for (uint32_t i = 0; i < 2 * rounds; i++) {
      uint32_t want = (i & 1 ? dev_tag : host_tag) | (i / 2);

      if (log[i] != want && log_bad++ < 3)
         piglit_note("log[%u] = 0x%08x, expected 0x%08x", i, log[i], want);
   }
   if (host_bad)
      piglit_note("host saw %u device entries late", host_bad);
   if (flag != 2 * rounds)
      piglit_note("final flag %u, expected %u", flag, 2 * rounds);
   for (uint32_t i = 0; i < rounds; i++)
      sum += rtt[i];
   if (rounds) {
      qsort(rtt, rounds, sizeof(*rtt), nvsvm_host_cmp_u64);
      piglit_note("%u rounds; round trip host->device->host: median %.2f "
                  "us, mean %.2f us, p99 %.2f us, min %.2f us", rounds,
                  rtt[rounds / 2] / 1e3, (double)sum / rounds / 1e3,
                  rtt[rounds * 99 / 100] / 1e3, rtt[0] / 1e3);
   }
   return !host_bad && !log_bad && flag == 2 * rounds;
}

#endif /* NVSVM_HOST_PINGPONG_H */
