/* SPDX-License-Identifier: MIT */
/*
 * vsvm scenarios: CPU threads and device lanes doing atomics on the same
 * memory. Totals must be exact (no lost update) and the page ownership
 * conversions are counted, shared page against one page per counter.
 */

#include "vt_race.h"

#define LANES VT_RACE_LANES
#define CPU_THREADS VT_RACE_CPU_THREADS
#define TOTAL_OPS_MIN 1000000ull

/*
 * Four counters on one page; lane L adds to counter L, each CPU thread
 * adds to all four in turn. At least 10^6 adds in all; every counter
 * must equal the adds made to it, and the page must have moved between
 * CPU and device more than once.
 */
TEST_F(vsvm, concurrent_atomics_on_one_page_are_exact)
{
   struct nvsvm_device *dev = self->dev;
   uint64_t *page = NULL;
   struct vt_race r;
   uint64_t device_ops = 0, total;

   memset(&r, 0, sizeof(r));
   page = vt_map(1);
   ASSERT_TRUE(page);

   r.dev = dev;
   r.lane_words = page;
   r.lane_stride = 64;    /* counter L at byte 64 * L */
   r.iterations = 50000;
   for (unsigned t = 0; t < CPU_THREADS; t++) {
      r.cpu[t].nwords = LANES;
      for (unsigned i = 0; i < LANES; i++)
         r.cpu[t].words[i] = &page[i * 8];
      r.cpu[t].min_ops = (TOTAL_OPS_MIN - LANES * r.iterations) /
                         CPU_THREADS + 1;
   }
   ASSERT_OK(vt_race_run(&r));
   vt_report_exec("one page", &r.exec, r.ret);
   ASSERT_OK(r.ret);
   for (unsigned t = 0; t < CPU_THREADS; t++)
      ASSERT_TRUE(!r.cpu[t].timed_out);

   for (unsigned l = 0; l < LANES; l++) {
      ASSERT_EQ(r.results[l].status, 0);
      ASSERT_EQ(r.results[l].ops, r.iterations);
      device_ops += r.results[l].ops;
   }
   for (unsigned i = 0; i < LANES; i++) {
      uint64_t want = r.iterations;

      for (unsigned t = 0; t < CPU_THREADS; t++)
         want += r.cpu[t].adds[i];
      if (page[i * 8] != want)
         FAIL("counter %u = %" PRIu64 ", adds made %" PRIu64
              ": %" PRId64 " lost", i, page[i * 8], want,
              (int64_t)(want - page[i * 8]));
   }
   total = device_ops + r.cpu_ops;
   TH_LOG("adds: device %" PRIu64 " + cpu %" PRIu64 " = %" PRIu64
          ", all counted, 0 lost; conversions %" PRIu64
          " (%.0f/s)", device_ops, r.cpu_ops, total,
          r.exec.delta.conversions,
          r.exec.delta.conversions / (r.exec.elapsed_ns / 1e9));
   ASSERT_GE(total, TOTAL_OPS_MIN);
   ASSERT_EQ(r.exec.delta.kills, 0);
   /* More than the first conversion: the CPU really took it back. */
   ASSERT_GT(r.exec.delta.conversions, 1);
}

/*
 * The same race on independent counters (each lane and each CPU thread
 * has its own), once all on one page, once each on its own page. Sharing
 * a page makes them ping-pong; isolated, each device page converts once.
 */
TEST_F(vsvm, isolated_counters_convert_once_per_page)
{
   struct nvsvm_device *dev = self->dev;
   const unsigned nwords = LANES + CPU_THREADS;
   uint64_t *mem = NULL;
   struct vt_race shared, isolated;
   uint64_t conv_shared, conv_isolated;

   memset(&shared, 0, sizeof(shared));
   memset(&isolated, 0, sizeof(isolated));
   mem = vt_map(1 + nwords);
   ASSERT_TRUE(mem);

   /* Shared: word k at byte 64 * k of page 0. */
   shared.dev = dev;
   shared.lane_words = mem;
   shared.lane_stride = 64;
   shared.iterations = 20000;
   for (unsigned t = 0; t < CPU_THREADS; t++) {
      shared.cpu[t].nwords = 1;
      shared.cpu[t].words[0] = &mem[(LANES + t) * 8];
      shared.cpu[t].min_ops = 1;
   }
   ASSERT_OK(vt_race_run(&shared));
   vt_report_exec("shared page", &shared.exec, shared.ret);
   ASSERT_OK(shared.ret);

   /* Isolated: word k alone on page 1 + k. */
   isolated = shared;
   memset(isolated.results, 0, sizeof(isolated.results));
   isolated.lane_words = &mem[VT_PAGE / 8];
   isolated.lane_stride = VT_PAGE;
   for (unsigned t = 0; t < CPU_THREADS; t++) {
      isolated.cpu[t].words[0] = &mem[(1 + LANES + t) * (VT_PAGE / 8)];
      isolated.cpu[t].adds[0] = 0;
      isolated.cpu[t].timed_out = false;
   }
   ASSERT_OK(vt_race_run(&isolated));
   vt_report_exec("own pages", &isolated.exec, isolated.ret);
   ASSERT_OK(isolated.ret);

   for (unsigned l = 0; l < LANES; l++) {
      ASSERT_EQ(mem[l * 8], shared.iterations);
      ASSERT_EQ(mem[(1 + l) * (VT_PAGE / 8)], isolated.iterations);
   }
   for (unsigned t = 0; t < CPU_THREADS; t++) {
      ASSERT_TRUE(!shared.cpu[t].timed_out && !isolated.cpu[t].timed_out);
      ASSERT_EQ(mem[(LANES + t) * 8], shared.cpu[t].adds[0]);
      ASSERT_EQ(mem[(1 + LANES + t) * (VT_PAGE / 8)],
                isolated.cpu[t].adds[0]);
   }

   conv_shared = shared.exec.delta.conversions;
   conv_isolated = isolated.exec.delta.conversions;
   TH_LOG("conversions: shared page %" PRIu64 ", own pages %" PRIu64
          " (ratio %.1f); device time %.1f ms vs %.1f ms",
          conv_shared, conv_isolated,
          conv_isolated ? (double)conv_shared / conv_isolated : 0.0,
          shared.exec.elapsed_ns / 1e6,
          isolated.exec.elapsed_ns / 1e6);
   /* Nobody else touches a lane's own page after its first conversion. */
   ASSERT_EQ(conv_isolated, LANES);
   ASSERT_GT(conv_shared, conv_isolated);
}

static int
cmp_u64(const void *a, const void *b)
{
   uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

   return (x > y) - (x < y);
}

static int
cmp_dbl(const void *a, const void *b)
{
   double x = *(const double *)a, y = *(const double *)b;

   return (x > y) - (x < y);
}

#define BENCH_RUNS 5u

/*
 * The free-running contention benchmark: CPU threads and lanes add to
 * their own counters at the same time (no lockstep), packed on one page
 * or placed one per page, BENCH_RUNS runs of each, alternating. Prints
 * the median and the spread of conversions and device throughput; every
 * run's totals must be exact, and placed counters convert once per lane
 * page and never again (no CPU thread shares their pages). How much more
 * packed converts depends on how the host schedules the CPU threads: that
 * is a figure to print, not a rule (a starved host can make them equal).
 */
TEST_F(vsvm, packed_vs_placed_free_running_contention)
{
   struct nvsvm_device *dev = self->dev;
   const unsigned nwords = LANES + CPU_THREADS;
   uint64_t *mem = NULL;
   uint64_t conv[2][BENCH_RUNS];
   double ops_s[2][BENCH_RUNS], cpu_s[2][BENCH_RUNS];
   static const char *const kind[2] = { "packed", "placed" };

   mem = vt_map(1 + nwords);
   ASSERT_TRUE(mem);

   for (unsigned run = 0; run < BENCH_RUNS; run++) {
      for (unsigned k = 0; k < 2; k++) {
         struct vt_race r;
         uint64_t *lane0 = k ? &mem[VT_PAGE / 8] : mem;
         uint64_t stride_w = k ? VT_PAGE / 8 : 8;
         uint64_t before[LANES + CPU_THREADS], dev_ops = 0, cpu_ops = 0;

         memset(&r, 0, sizeof(r));
         r.dev = dev;
         r.lane_words = lane0;
         r.lane_stride = stride_w * 8;
         r.iterations = 5000;
         for (unsigned i = 0; i < nwords; i++)
            before[i] = lane0[i * stride_w];
         for (unsigned t = 0; t < CPU_THREADS; t++) {
            r.cpu[t].nwords = 1;
            r.cpu[t].words[0] = &lane0[(LANES + t) * stride_w];
            r.cpu[t].min_ops = 1;
         }
         ASSERT_OK(vt_race_run(&r));
         ASSERT_OK(r.ret);
         for (unsigned l = 0; l < LANES; l++) {
            ASSERT_EQ(r.results[l].ops, r.iterations);
            ASSERT_EQ(lane0[l * stride_w] - before[l], r.iterations);
            dev_ops += r.results[l].ops;
         }
         for (unsigned t = 0; t < CPU_THREADS; t++) {
            ASSERT_TRUE(!r.cpu[t].timed_out);
            ASSERT_EQ(lane0[(LANES + t) * stride_w] - before[LANES + t],
                      r.cpu[t].adds[0]);
            cpu_ops += r.cpu[t].adds[0];
         }
         conv[k][run] = r.exec.delta.conversions;
         ops_s[k][run] = dev_ops / (r.exec.elapsed_ns / 1e9);
         cpu_s[k][run] = cpu_ops / (r.exec.elapsed_ns / 1e9);
      }
      if (conv[1][run] != LANES)
         FAIL("run %u: placed converted %" PRIu64 " times for %u "
              "lane pages (packed %" PRIu64 ")", run, conv[1][run],
              LANES, conv[0][run]);
   }
   for (unsigned k = 0; k < 2; k++) {
      qsort(conv[k], BENCH_RUNS, sizeof(conv[k][0]), cmp_u64);
      qsort(ops_s[k], BENCH_RUNS, sizeof(ops_s[k][0]), cmp_dbl);
      qsort(cpu_s[k], BENCH_RUNS, sizeof(cpu_s[k][0]), cmp_dbl);
      TH_LOG("bench free-running %s: conversions median %" PRIu64
             " (min %" PRIu64 ", max %" PRIu64 "); device adds/s "
             "median %.0f (min %.0f, max %.0f); cpu adds/s median "
             "%.0f; %u runs, totals exact", kind[k],
             conv[k][BENCH_RUNS / 2], conv[k][0],
             conv[k][BENCH_RUNS - 1], ops_s[k][BENCH_RUNS / 2],
             ops_s[k][0], ops_s[k][BENCH_RUNS - 1],
             cpu_s[k][BENCH_RUNS / 2], BENCH_RUNS);
   }
}

TEST_HARNESS_MAIN
