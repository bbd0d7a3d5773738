/* SPDX-License-Identifier: MIT */
/*
 * Benchmark workloads behind `nvsvm bench`: library vs raw round trips,
 * packed vs placed counters under CPU contention, range check cost.
 */
#ifndef NVSVM_BENCH_H
#define NVSVM_BENCH_H

#include "nvsvm_testdev.h"
#include "nvsvm_pingpong.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Figures, not verdicts: nothing here asserts a timing. What the
 * workloads do check is exact: lost stores in the round trips, and every
 * counter's final value against the increments made on it.
 */

/* ------------------------------------------------------------ round trip */

#define NVSVM_BENCH_MAX_REPEATS 15u
#define NVSVM_BENCH_MAX_ROUNDS  1000000u
#define NVSVM_BENCH_CDF_POINTS  101u   /* percentiles 0..100 */

/*
 * A caller's raw loop: the same ping-pong as nvsvm_pingpong_run() written
 * without the library (the CLI's raw-ioctl baselines). It must honour
 * params->samples_us like the library does.
 */
typedef int (*nvsvm_bench_raw_fn)(void *ctx,
                                  const struct nvsvm_pingpong_params *params,
                                  struct nvsvm_pingpong_result *result);

struct nvsvm_bench_rt_params {
   struct nvsvm_pingpong_params run;  /* each run; samples_us ignored */
   unsigned repeats;                  /* pairs of runs, 1..MAX_REPEATS */
};

/* One side (library or raw) over all its runs. */
struct nvsvm_bench_rt_series {
   unsigned runs;
   double run_median_us[NVSVM_BENCH_MAX_REPEATS];
   double run_mean_us[NVSVM_BENCH_MAX_REPEATS];  /* total_s / rounds */
   double median_us;        /* median of the runs' medians */
   double mean_us;          /* median of the runs' means */
   uint64_t rounds;         /* timed rounds, all runs */
   uint64_t lost, retries, minor_faults;
   bool time_limited;       /* some run stopped early */
   double cdf_us[NVSVM_BENCH_CDF_POINTS]; /* pooled samples, by percentile */
};

struct nvsvm_bench_rt_result {
   char backend[16];
   char kernel[65];
   uint64_t clock_res_ns;
   struct nvsvm_bench_rt_series lib, raw;
   bool has_raw;
   /*
    * Runs alternate (lib, raw), (raw, lib), ... so drift hits both.
    * ratio: the median over the pairs of lib median / raw median.
    */
   double pair_ratio[NVSVM_BENCH_MAX_REPEATS];
   double ratio;
   double ratio_mean;       /* the same from the runs' means */
};

/*
 * Ping-pong through the library (nvsvm_pingpong_run on dev) and, when raw
 * is not NULL, through raw, repeats times each. 0, -EINVAL, or the first
 * error of a run. A run that lost stores is not an error: see lost.
 */
int
nvsvm_bench_roundtrip(struct nvsvm_device *dev, nvsvm_bench_raw_fn raw,
                      void *raw_ctx, const struct nvsvm_bench_rt_params *p,
                      struct nvsvm_bench_rt_result *r);

/* -------------------------------------------------------------- counters */

#define NVSVM_BENCH_MAX_COUNTERS    512u
#define NVSVM_BENCH_MAX_CPU_THREADS 8u

/*
 * Counter 0 belongs to the device: every device step is one device
 * atomic on it (vsvm: an EXEC atomic add of 1; hmm, which has no device
 * read-modify-write: the atomic fault alone, taken only when
 * CHECK_EXCLUSIVE says the page was revoked, as a GPU whose mapping is
 * still valid does not fault). CPU threads meanwhile add 1 to the other
 * counters in turn as fast as they can, and the device takes its next
 * step only once every CPU thread has made another pass over its
 * counters: CPU atomics are far quicker than device ones, and the pacing
 * keeps it so on a loaded host. Counters live in a placement
 * pool: per_page 1 is one page each (nvsvm_pool_alloc), per_page k > 1
 * puts k counters in one nvsvm_group page, per_page == counters packs
 * them all with the device's.
 */
struct nvsvm_bench_counters_params {
   unsigned counters;        /* 2..MAX_COUNTERS */
   unsigned per_page;        /* 1..counters (at most 512) */
   /*
    * Contended atomics: the CPU threads add to counter 0 only, the very
    * word the device adds to (vsvm only: hmm has no device atomic).
    */
   bool shared;
   unsigned cpu_threads;     /* 1..MAX_CPU_THREADS */
   unsigned device_steps;    /* 1..NVSVM_BENCH_MAX_ROUNDS */
   double time_limit_s;      /* stop the device early (> 0) */
};

struct nvsvm_bench_counters_result {
   char backend[16];
   unsigned counters, per_page, cpu_threads, pages;
   bool shared;
   uint64_t device_steps;        /* done */
   bool time_limited;
   /*
    * Device steps that had to make the page device-exclusive again
    * because the CPU had taken it back (the first conversion included).
    */
   uint64_t conversions;
   uint64_t retries;             /* conversions the device retried */
   uint64_t cpu_increments;      /* all CPU threads */
   uint64_t cpu_minor_faults;    /* of the CPU threads, while running */
   double seconds;               /* the device loop, waits included */
   double device_busy_s;         /* inside device steps only */
   double device_steps_per_s;    /* steps / device_busy_s: a step's cost */
   double cpu_increments_per_s;  /* cpu_increments / seconds */
   /* Exact totals: every counter against what was added to it. */
   uint64_t device_value, device_expected;
   unsigned mismatched;          /* counters off their expected value */
   /* The thrashing detector's verdict on the device's page. */
   unsigned pages_thrashing;
   uint64_t close_events;
   unsigned advice;              /* enum nvsvm_advice bits */
   uint64_t pool_bytes_held, bytes_requested;
};

/*
 * 0 with the result filled (mismatched says whether a total was off),
 * -EINVAL for bad params, -NVSVM_E_NOT_SUPPORTED when the backend has no
 * device step (or shared on hmm), -NVSVM_E_NO_SVM for vsvm without
 * SVM_INIT, or the device step's error.
 */
int
nvsvm_bench_counters(struct nvsvm_device *dev,
                     const struct nvsvm_bench_counters_params *p,
                     struct nvsvm_bench_counters_result *r);

/* ----------------------------------------------------------- range check */

#define NVSVM_BENCH_MAX_MAPPINGS 60000u

/* One probe page and what a check on it costs. */
struct nvsvm_bench_range_point {
   uint64_t addr;
   unsigned maps_below;      /* mappings starting below it: read first */
   double us;                /* median per call, THP check included */
   double us_no_thp;         /* NVSVM_RANGE_NO_THP_CHECK */
};

struct nvsvm_bench_range_params {
   unsigned mappings;        /* extra mappings to make, 0..MAX_MAPPINGS */
   unsigned calls;           /* timed calls per figure, 1..100000 */
};

struct nvsvm_bench_range_result {
   unsigned maps_before, maps_after;  /* /proc/self/maps lines */
   uint64_t region_addr, region_len;  /* the extra mappings' span */
   struct nvsvm_bench_range_point few;       /* before the extra ones */
   struct nvsvm_bench_range_point many_low;  /* probe page lower in VA */
   struct nvsvm_bench_range_point many_high; /* probe page higher in VA */
};

/*
 * nvsvm_range_check() on a probe page with the process as it is, then
 * with `mappings` more VMAs (alternating PROT_NONE and read-write pages
 * between unmapped guards, so none merge), on probe pages below and
 * above them. Everything it maps is unmapped before it returns.
 */
int
nvsvm_bench_range_cost(const struct nvsvm_bench_range_params *p,
                       struct nvsvm_bench_range_result *r);

/* ------------------------------------------------------------ contention */

/*
 * True atomic contention (vsvm only): cpu_threads CPU threads and lanes
 * device lanes add 1 to one counter at the same time until the lanes have
 * done device_iterations each. The final value must be the sum of all
 * adds. -NVSVM_E_NOT_SUPPORTED on devices without EXEC.
 */
struct nvsvm_contention_params {
   unsigned cpu_threads;         /* 0: 2 */
   unsigned lanes;               /* 0: 2 */
   uint64_t device_iterations;   /* per lane; 0: 100000 */
};

struct nvsvm_contention_result {
   unsigned cpu_threads, lanes;
   double seconds;               /* while both sides ran */
   uint64_t cpu_ops, device_ops;
   double cpu_ops_per_s, device_ops_per_s;
   uint64_t conversions;         /* page taken by the device */
   double conversions_per_s;
   uint64_t lost;                /* adds missing from the counter */
};

int
nvsvm_bench_contention(struct nvsvm_device *dev,
                       const struct nvsvm_contention_params *params,
                       struct nvsvm_contention_result *result);

#ifdef __cplusplus
}
#endif

#endif /* NVSVM_BENCH_H */
