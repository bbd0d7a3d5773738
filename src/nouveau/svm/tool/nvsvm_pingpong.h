/* SPDX-License-Identifier: MIT */
/*
 * The ownership ping-pong benchmark: CPU store, then the device takes the
 * page(s) back, round after round; latency, rate, faults and retries.
 */
#ifndef NVSVM_PINGPONG_H
#define NVSVM_PINGPONG_H

#include "nvsvm/nvsvm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct nvsvm_pingpong_params {
   unsigned pages;        /* pages handed over each round, >= 1 */
   unsigned rounds;       /* timed rounds, >= 1 */
   unsigned warmup;       /* untimed rounds before them */
   double time_limit_s;   /* stop early after this long (> 0) */
   /*
    * Optional, NULL by default: rounds entries the caller owns; gets the
    * timed rounds' latencies (us), sorted, for distributions (nvsvm bench).
    */
   double *samples_us;
};

#define NVSVM_PINGPONG_MAX_PAGES  4096u
#define NVSVM_PINGPONG_MAX_ROUNDS 10000000u

/* 1 page, 10,000 rounds, 100 warm-up rounds, 60 s. */
void
nvsvm_pingpong_params_default(struct nvsvm_pingpong_params *p);

struct nvsvm_pingpong_result {
   char backend[16];         /* "hmm", "vsvm", "raw-hmm" */
   char kernel[65];          /* uname -r */
   unsigned pages;
   unsigned rounds;          /* rounds completed and timed */
   bool time_limited;        /* stopped by time_limit_s first */
   double total_s;           /* timed loop, wall clock */
   double median_us, p99_us, min_us, max_us, mean_us; /* per round trip */
   double rounds_per_s;
   double conversions_per_s; /* pages taken by the device per second */
   uint64_t minor_faults;    /* CPU minor faults of this thread, timed loop */
   uint64_t retries;         /* device conversions retried */
   uint64_t lost;            /* device saw other than the CPU's last store */
   uint64_t clock_res_ns;    /* CLOCK_MONOTONIC resolution: latencies
                                below it are not measurable */
};

/*
 * The "device converts" step, backend-neutral: take device ownership of
 * npages pages at ptr and write the first 64-bit word the device saw on
 * each page to seen[i]; add retries it needed to *retries. 0 or a
 * negative errno (the run stops at the first error).
 */
typedef int (*nvsvm_pingpong_convert_fn)(void *ctx, void *ptr,
                                         unsigned npages, uint64_t *seen,
                                         uint64_t *retries);

/*
 * Run on an open device with its backend's conversion step. Returns 0 (the
 * result is filled, result->lost tells whether data went missing),
 * -EINVAL for bad params, -NVSVM_E_NOT_SUPPORTED when the backend cannot
 * convert, -NVSVM_E_RANGE when the buffer cannot take device atomics, or
 * the step's error.
 */
int
nvsvm_pingpong_run(struct nvsvm_device *dev,
                   const struct nvsvm_pingpong_params *params,
                   struct nvsvm_pingpong_result *result);

/* The same loop with a caller's step (backend names the result). */
int
nvsvm_pingpong_run_fn(nvsvm_pingpong_convert_fn convert, void *ctx,
                      const char *backend,
                      const struct nvsvm_pingpong_params *params,
                      struct nvsvm_pingpong_result *result);

/*
 * Fill median/p99/min/max/mean of result from n per-round samples (µs);
 * sorts samples in place. Shared so that every loop, the raw baseline
 * included, is summarised the same way. -EINVAL when n is 0.
 */
int
nvsvm_pingpong_summarize(double *samples_us, unsigned n,
                         struct nvsvm_pingpong_result *result);

#ifdef __cplusplus
}
#endif

#endif /* NVSVM_PINGPONG_H */
