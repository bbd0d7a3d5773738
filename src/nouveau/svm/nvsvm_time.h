/* SPDX-License-Identifier: MIT */
/*
 * The one monotonic clock of libnvsvm, its tool and its tests: every
 * timeout, deadline and measured interval reads CLOCK_MONOTONIC through
 * these, so they all share one timebase (nvsvm_telemetry_now_ns() too).
 */
#ifndef NVSVM_TIME_H
#define NVSVM_TIME_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds since an arbitrary fixed point (boot). */
static inline uint64_t
nvsvm_time_ns(void)
{
   struct timespec ts;

   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The same clock in seconds, for rates and durations. */
static inline double
nvsvm_time_s(void)
{
   struct timespec ts;

   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif /* NVSVM_TIME_H */
