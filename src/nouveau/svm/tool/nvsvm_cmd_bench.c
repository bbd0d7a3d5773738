/* SPDX-License-Identifier: MIT */
/*
 * `nvsvm bench`: every workload of nvsvm_bench.h on every backend found,
 * in one process, printed side by side as ratios, and as JSON for plots.
 */

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "nvsvm/nvsvm.h"
#include "nvsvm_bench.h"
#include "nvsvm/nvsvm_telemetry.h"
#include "nvsvm_bench_raw.h"
#include "nvsvm_json.h"
#include "nvsvm_raw_hmm.h"

/* The targets (docs/bench.md), printed beside the figures, never asserted. */
#define BENCH_RATIO_TARGET 1.05
#define BENCH_CONVERSIONS_TARGET 100.0

#define BENCH_MAX_LAYOUTS 12

enum bench_be { BE_HMM, BE_VSVM, BE_COUNT };

struct bench_opts {
   bool want[BE_COUNT];
   bool explicit_backend;
   const char *hmm_path;
   const char *vsvm_path;    /* NULL: the first vsvm render node */
   const char *json_path;
   struct nvsvm_bench_rt_params rt;
   struct nvsvm_bench_counters_params cn;
   struct nvsvm_bench_range_params rc;
   bool quick;
};

struct bench_backend {
   const char *name;
   bool tried, available;
   char path[64];
   char reason[160];
   int rt_err, cn_err[BENCH_MAX_LAYOUTS];
   bool rt_done;
   struct nvsvm_bench_rt_result rt;
   unsigned nlayouts;
   struct nvsvm_bench_counters_params cp[BENCH_MAX_LAYOUTS];
   struct nvsvm_bench_counters_result cr[BENCH_MAX_LAYOUTS];
};

struct bench_run {
   struct bench_opts o;
   struct bench_backend be[BE_COUNT];
   int rc_err;
   struct nvsvm_bench_range_result rc;
   bool inexact;             /* a lost store or a counter off its total */
};

static void
bench_usage(FILE *f)
{
   fprintf(f,
      "usage: nvsvm bench [--backend hmm|vsvm|all] [--quick] [--json FILE]\n"
      "       nvsvm bench range [--help]   (the range check sweep alone)\n"
      "                   [--rounds N] [--repeats N] [--steps N]\n"
      "                   [--counters N] [--cpu-threads N] [--mappings N]\n"
      "                   [--hmm-device PATH] [--vsvm-device PATH]\n"
      "\n"
      "Runs, in this one process, on every backend found (all: the default):\n"
      "  round trip   the ping-pong through the library and through a raw\n"
      "               ioctl loop, --repeats interleaved pairs of --rounds;\n"
      "               ratio = median over pairs of library/raw medians\n"
      "  counters     --counters 8-byte counters, the device adding to\n"
      "               counter 0 --steps times while --cpu-threads add to\n"
      "               the others; 1, 2, 4.. up to all counters per page\n"
      "               (placed .. packed), on vsvm also all on one counter;\n"
      "               conversions, throughput, exact totals, the detector\n"
      "  range check  nvsvm_range_check() per call, then with --mappings\n"
      "               more mappings in the process\n"
      "Exit 1 when a total is not exact or a workload fails; timings are\n"
      "figures, never pass/fail. --json - writes JSON alone to stdout.\n"
      "\n"
      "  --quick        short runs (make demo): 300 rounds x 3, 300 steps\n"
      "  --rounds       rounds per run (default 2000)\n"
      "  --repeats      run pairs, 1..%u (default 5)\n"
      "  --steps        device steps per layout (default 2000)\n"
      "  --counters     2..%u (default 16)\n"
      "  --cpu-threads  1..%u (default 1)\n"
      "  --mappings     extra mappings for the range check (default 1000)\n",
      NVSVM_BENCH_MAX_REPEATS, NVSVM_BENCH_MAX_COUNTERS,
      NVSVM_BENCH_MAX_CPU_THREADS);
}

static int
bench_parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi,
                 unsigned *out)
{
   char *end;
   unsigned long v;

   if (!s || *s < '0' || *s > '9') {
      fprintf(stderr, "nvsvm bench: %s needs a number\n", opt);
      return -EINVAL;
   }
   errno = 0;
   v = strtoul(s, &end, 10);
   if (errno || *end || v < lo || v > hi) {
      fprintf(stderr, "nvsvm bench: %s %s: want %u..%u\n", opt, s, lo, hi);
      return -EINVAL;
   }
   *out = (unsigned)v;
   return 0;
}

static void
bench_defaults(struct bench_opts *o)
{
   memset(o, 0, sizeof(*o));
   o->want[BE_HMM] = o->want[BE_VSVM] = true;
   o->hmm_path = "/dev/hmm_dmirror0";
   nvsvm_pingpong_params_default(&o->rt.run);
   o->rt.run.rounds = 2000;
   o->rt.run.warmup = 50;
   o->rt.run.time_limit_s = 30;
   o->rt.repeats = 5;
   o->cn.counters = 16;
   o->cn.cpu_threads = 1;
   o->cn.device_steps = 2000;
   o->cn.time_limit_s = 30;
   o->rc.mappings = 1000;
   o->rc.calls = 200;
}

/* 0, 1 for --help, or -EINVAL (message printed). */
static int
bench_parse(int argc, char **argv, struct bench_opts *o)
{
   unsigned rounds = 0, repeats = 0, steps = 0;

   bench_defaults(o);
   for (int i = 1; i < argc; i++) {
      const char *a = argv[i];
      const char *v = i + 1 < argc ? argv[i + 1] : NULL;
      int ret = 0;

      if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
         bench_usage(stdout);
         return 1;
      } else if (strcmp(a, "--quick") == 0) {
         o->quick = true;
         continue;
      }
      /* Every other option takes a value. */
      if (!v) {
         fprintf(stderr, "nvsvm bench: %s needs a value\n\n", a);
         bench_usage(stderr);
         return -EINVAL;
      }
      i++;
      if (strcmp(a, "--backend") == 0) {
         o->explicit_backend = strcmp(v, "all") != 0;
         o->want[BE_HMM] = !strcmp(v, "hmm") || !strcmp(v, "all");
         o->want[BE_VSVM] = !strcmp(v, "vsvm") || !strcmp(v, "all");
         if (!o->want[BE_HMM] && !o->want[BE_VSVM]) {
            fprintf(stderr, "nvsvm bench: --backend wants hmm, vsvm or "
                    "all, not '%s'\n", v);
            return -EINVAL;
         }
      } else if (strcmp(a, "--hmm-device") == 0) {
         o->hmm_path = v;
      } else if (strcmp(a, "--vsvm-device") == 0) {
         o->vsvm_path = v;
      } else if (strcmp(a, "--json") == 0) {
         o->json_path = v;
      } else if (strcmp(a, "--rounds") == 0) {
         ret = bench_parse_uint(a, v, 1, NVSVM_BENCH_MAX_ROUNDS, &rounds);
      } else if (strcmp(a, "--repeats") == 0) {
         ret = bench_parse_uint(a, v, 1, NVSVM_BENCH_MAX_REPEATS, &repeats);
      } else if (strcmp(a, "--steps") == 0) {
         ret = bench_parse_uint(a, v, 1, NVSVM_BENCH_MAX_ROUNDS, &steps);
      } else if (strcmp(a, "--counters") == 0) {
         ret = bench_parse_uint(a, v, 2, NVSVM_BENCH_MAX_COUNTERS,
                                &o->cn.counters);
      } else if (strcmp(a, "--cpu-threads") == 0) {
         ret = bench_parse_uint(a, v, 1, NVSVM_BENCH_MAX_CPU_THREADS,
                                &o->cn.cpu_threads);
      } else if (strcmp(a, "--mappings") == 0) {
         ret = bench_parse_uint(a, v, 0, NVSVM_BENCH_MAX_MAPPINGS,
                                &o->rc.mappings);
      } else {
         fprintf(stderr, "nvsvm bench: unknown option '%s'\n\n", a);
         bench_usage(stderr);
         return -EINVAL;
      }
      if (ret)
         return ret;
   }
   if (o->quick) {
      o->rt.run.rounds = 300;
      o->rt.run.warmup = 20;
      o->rt.repeats = 3;
      o->cn.device_steps = 300;
      o->rc.calls = 50;
   }
   /* Explicit sizes win over --quick. */
   if (rounds)
      o->rt.run.rounds = rounds;
   if (repeats)
      o->rt.repeats = repeats;
   if (steps)
      o->cn.device_steps = steps;
   return 0;
}

/* ---------------------------------------------------------- workloads */

static int
bench_raw_hmm(void *ctx, const struct nvsvm_pingpong_params *p,
              struct nvsvm_pingpong_result *r)
{
   return nvsvm_raw_hmm_pingpong(ctx, p, r);
}

static int
bench_raw_vsvm(void *ctx, const struct nvsvm_pingpong_params *p,
               struct nvsvm_pingpong_result *r)
{
   return nvsvm_bench_raw_vsvm_pingpong(ctx, p, r);
}

/* The first render node driven by vsvm, or "" when none. */
static void
bench_find_vsvm(char *path, size_t size)
{
   struct nvsvm_drm_node nodes[16];
   unsigned n = 0;

   path[0] = '\0';
   if (nvsvm_drm_enumerate(nodes, 16, &n) != 0)
      return;
   for (unsigned i = 0; i < n && i < 16; i++) {
      if (strcmp(nodes[i].driver, "vsvm") == 0) {
         snprintf(path, size, "%s", nodes[i].path);
         return;
      }
   }
}

/*
 * A backend's reason, formatted through a local buffer: its arguments are
 * often other fields of the same struct, which snprintf must not alias.
 */
static void
bench_reason(struct bench_backend *be, const char *fmt, ...)
{
   char msg[sizeof(be->reason)];
   va_list ap;

   va_start(ap, fmt);
   vsnprintf(msg, sizeof(msg), fmt, ap);
   va_end(ap);
   memcpy(be->reason, msg, sizeof(msg));
}

static int
bench_open(struct bench_run *b, enum bench_be k, struct nvsvm_device **dev)
{
   struct bench_backend *be = &b->be[k];
   struct nvsvm_device_info info;
   int ret;

   be->tried = true;
   if (k == BE_HMM) {
      snprintf(be->path, sizeof(be->path), "%s", b->o.hmm_path);
   } else if (b->o.vsvm_path) {
      snprintf(be->path, sizeof(be->path), "%s", b->o.vsvm_path);
   } else {
      bench_find_vsvm(be->path, sizeof(be->path));
      if (!be->path[0]) {
         bench_reason(be, "no vsvm render node "
                      "(load kernel/vsvm's vsvm.ko)");
         return -ENODEV;
      }
   }
   ret = nvsvm_device_open(be->path, dev);
   if (ret) {
      bench_reason(be, "open %s: %s (%s)%s",
               be->path, nvsvm_error_name(ret), nvsvm_strerror(ret),
               k == BE_HMM && (ret == -ENOENT || ret == -ENODEV) ?
               "; no HMM test device: run it in the VM (make bench)" : "");
      return ret;
   }
   nvsvm_device_get_info(*dev, &info);
   if (info.backend != (k == BE_HMM ? NVSVM_BACKEND_HMM :
                                      NVSVM_BACKEND_VSVM)) {
      bench_reason(be, "%s is driven by the %s "
               "backend, not %s", be->path,
               nvsvm_backend_name(info.backend), be->name);
      ret = -EINVAL;
      goto fail;
   }
   /* vsvm's device programs run in the SVM_INIT caller's address space. */
   if (k == BE_VSVM) {
      ret = nvsvm_svm_init(*dev, NULL);
      if (ret) {
         bench_reason(be, "SVM_INIT on %s: %s",
                  be->path, nvsvm_svm_init_strerror(ret));
         goto fail;
      }
   }
   be->available = true;
   return 0;
fail:
   nvsvm_device_close(*dev);
   *dev = NULL;
   return ret;
}

/* Layouts: 1, 2, 4.. counters per page, all of them, then shared. */
static void
bench_layouts(struct bench_run *b, enum bench_be k)
{
   struct bench_backend *be = &b->be[k];
   unsigned n = b->o.cn.counters;
   unsigned max_pp = n < 512 ? n : 512;

   be->nlayouts = 0;
   for (unsigned pp = 1; be->nlayouts < BENCH_MAX_LAYOUTS - 2; pp *= 2) {
      if (pp > max_pp)
         pp = max_pp;
      be->cp[be->nlayouts] = b->o.cn;
      be->cp[be->nlayouts].per_page = pp;
      be->nlayouts++;
      if (pp == max_pp)
         break;
   }
   if (k == BE_VSVM) {
      /* True sharing: the one hot word alone on its page. */
      be->cp[be->nlayouts] = b->o.cn;
      be->cp[be->nlayouts].per_page = 1;
      be->cp[be->nlayouts].shared = true;
      be->nlayouts++;
   }
}

static void
bench_backend_run(struct bench_run *b, enum bench_be k)
{
   struct bench_backend *be = &b->be[k];
   struct nvsvm_device *dev = NULL;

   if (bench_open(b, k, &dev))
      return;
   fprintf(stderr, "nvsvm bench: %s: round trips...\n", be->name);
   be->rt_err = nvsvm_bench_roundtrip(dev, k == BE_HMM ? bench_raw_hmm :
                                      bench_raw_vsvm, be->path, &b->o.rt,
                                      &be->rt);
   be->rt_done = be->rt_err == 0;
   if (be->rt_done && (be->rt.lib.lost || be->rt.raw.lost))
      b->inexact = true;

   bench_layouts(b, k);
   for (unsigned i = 0; i < be->nlayouts; i++) {
      fprintf(stderr, "nvsvm bench: %s: counters, %u per page%s...\n",
              be->name, be->cp[i].per_page,
              be->cp[i].shared ? ", shared" : "");
      be->cn_err[i] = nvsvm_bench_counters(dev, &be->cp[i], &be->cr[i]);
      if (!be->cn_err[i] && be->cr[i].mismatched)
         b->inexact = true;
   }
   nvsvm_device_close(dev);
}

/* ------------------------------------------------------------- results */

static const struct nvsvm_bench_counters_result *
bench_find_layout(const struct bench_backend *be, unsigned per_page,
                  bool shared)
{
   for (unsigned i = 0; i < be->nlayouts; i++) {
      if (!be->cn_err[i] && be->cp[i].per_page == per_page &&
          be->cp[i].shared == shared)
         return &be->cr[i];
   }
   return NULL;
}

/* Packed over placed conversions; placed 0 counts as 1 (a lower bound). */
static double
bench_conv_ratio(const struct bench_backend *be, unsigned counters)
{
   unsigned packed_pp = counters < 512 ? counters : 512;
   const struct nvsvm_bench_counters_result *placed, *packed;

   placed = bench_find_layout(be, 1, false);
   packed = bench_find_layout(be, packed_pp, false);
   if (!placed || !packed)
      return 0.0 / 0.0;
   return (double)packed->conversions /
          (double)(placed->conversions ? placed->conversions : 1);
}

static void
bench_advice_str(unsigned advice, char *buf, size_t size)
{
   size_t n = 0;

   buf[0] = '\0';
   for (unsigned bit = 1; bit <= NVSVM_ADVICE_MIGRATE; bit <<= 1) {
      if (advice & bit)
         n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s",
                               n ? "," : "",
                               nvsvm_advice_name((enum nvsvm_advice)bit));
   }
   if (!n)
      snprintf(buf, size, "-");
}

static void
bench_layout_name(const struct nvsvm_bench_counters_params *p, char *buf,
                  size_t size)
{
   if (p->shared)
      snprintf(buf, size, "shared word");
   else if (p->per_page == 1)
      snprintf(buf, size, "placed 1/page");
   else if (p->per_page == p->counters)
      snprintf(buf, size, "packed %u/page", p->per_page);
   else
      snprintf(buf, size, "%u/page", p->per_page);
}

/* Lowest and highest of n values. */
static void
bench_minmax(const double *v, unsigned n, double *lo, double *hi)
{
   *lo = *hi = n ? v[0] : 0.0;
   for (unsigned i = 1; i < n; i++) {
      *lo = v[i] < *lo ? v[i] : *lo;
      *hi = v[i] > *hi ? v[i] : *hi;
   }
}

/* The round trip's spread: run medians per side, and the pair ratios. */
static void
bench_print_spread(FILE *f, const struct nvsvm_bench_rt_result *rt)
{
   double llo, lhi, rlo, rhi, plo, phi;

   bench_minmax(rt->lib.run_median_us, rt->lib.runs, &llo, &lhi);
   bench_minmax(rt->raw.run_median_us, rt->raw.runs, &rlo, &rhi);
   bench_minmax(rt->pair_ratio, rt->raw.runs, &plo, &phi);
   fprintf(f, "  %-6s %5.1f..%-5.1f %5.1f..%-5.1f %4.3f..%-5.3f  spread "
           "over %u pairs\n", "", llo, lhi, rlo, rhi, plo, phi,
           rt->raw.runs);
}

static void
bench_print_text(const struct bench_run *b, FILE *f)
{
   const struct bench_opts *o = &b->o;
   struct utsname uts;

   if (uname(&uts) != 0)
      snprintf(uts.release, sizeof(uts.release), "unknown");
   fprintf(f, "\nnvsvm bench%s: kernel %s, %ld CPU(s)\n",
           o->quick ? " (quick)" : "", uts.release,
           sysconf(_SC_NPROCESSORS_ONLN));
   for (unsigned k = 0; k < BE_COUNT; k++) {
      const struct bench_backend *be = &b->be[k];

      if (be->tried && !be->available)
         fprintf(f, "  %s: not run: %s\n", be->name, be->reason);
   }

   fprintf(f, "\nround trip, library vs raw ioctl loop: median over %u "
           "interleaved pairs of %u-round runs\n", o->rt.repeats,
           o->rt.run.rounds);
   fprintf(f, "  %-6s %12s %12s %9s %9s %8s  %s\n", "", "library",
           "raw ioctl", "lib/raw", "(means)", "lost", "target <= 1.05");
   for (unsigned k = 0; k < BE_COUNT; k++) {
      const struct bench_backend *be = &b->be[k];

      if (!be->available)
         continue;
      if (!be->rt_done) {
         fprintf(f, "  %-6s failed: %s (%s)\n", be->name,
                 nvsvm_error_name(be->rt_err), nvsvm_strerror(be->rt_err));
         continue;
      }
      fprintf(f, "  %-6s %9.1f us %9.1f us %9.3f %9.3f %8" PRIu64 "  %s\n",
              be->name, be->rt.lib.median_us, be->rt.raw.median_us,
              be->rt.ratio, be->rt.ratio_mean,
              be->rt.lib.lost + be->rt.raw.lost,
              be->rt.ratio <= BENCH_RATIO_TARGET ? "met" : "NOT met");
      bench_print_spread(f, &be->rt);
      if (be->rt.clock_res_ns > 1000)
         fprintf(f, "         (clock ticks every %" PRIu64 " ns: use the "
                 "means)\n", be->rt.clock_res_ns);
   }
   fprintf(f, "  library, raw: median of the runs' medians; lib/raw: median "
           "of the per-pair\n  ratios (a pair runs back to back, in "
           "alternating order, so host drift\n  between pairs cancels); "
           "spread: lowest..highest over the runs or pairs\n");

   fprintf(f, "\ncounters: %u x 8 bytes, the device adds to counter 0 %u "
           "times, %u CPU thread(s) add to the others\n", o->cn.counters,
           o->cn.device_steps, o->cn.cpu_threads);
   fprintf(f, "  %-6s %-15s %5s %11s %10s %11s %11s %6s %6s %s\n",
           "", "layout", "pages", "conversions", "CPU faults",
           "dev ops/s*", "CPU ops/s", "exact", "thrash", "advice");
   for (unsigned k = 0; k < BE_COUNT; k++) {
      const struct bench_backend *be = &b->be[k];

      for (unsigned i = 0; be->available && i < be->nlayouts; i++) {
         const struct nvsvm_bench_counters_result *r = &be->cr[i];
         char name[32], adv[40];

         bench_layout_name(&be->cp[i], name, sizeof(name));
         if (be->cn_err[i]) {
            fprintf(f, "  %-6s %-15s failed: %s (%s)\n", be->name, name,
                    nvsvm_error_name(be->cn_err[i]),
                    nvsvm_strerror(be->cn_err[i]));
            continue;
         }
         bench_advice_str(r->advice, adv, sizeof(adv));
         fprintf(f, "  %-6s %-15s %5u %11" PRIu64 " %10" PRIu64
                 " %11.0f %11.0f %6s %6s %s\n", be->name, name, r->pages,
                 r->conversions, r->cpu_minor_faults, r->device_steps_per_s,
                 r->cpu_increments_per_s, r->mismatched ? "NO" : "yes",
                 r->pages_thrashing ? "yes" : "no", adv);
      }
   }
   for (unsigned k = 0; k < BE_COUNT; k++) {
      const struct bench_backend *be = &b->be[k];
      double ratio = bench_conv_ratio(be, o->cn.counters);

      if (!be->available || ratio != ratio)
         continue;
      fprintf(f, "  %-6s packed/placed conversions: %.0fx (target >= "
              "100x: %s)\n", be->name, ratio,
              ratio >= BENCH_CONVERSIONS_TARGET ? "met" : "NOT met");
   }
   fprintf(f, "  * per second of device time (waits for the CPU excluded)"
           "\n  hmm has no device-side write: there the device's step is "
           "the conversion alone\n");

   fprintf(f, "\nrange check per call on one page, median of %u (THP "
           "check / without;\n`nvsvm bench range` sweeps sizes, THP and "
           "mappings)\n", o->rc.calls);
   if (b->rc_err) {
      fprintf(f, "  failed: %s (%s)\n", nvsvm_error_name(b->rc_err),
              nvsvm_strerror(b->rc_err));
   } else {
      const struct nvsvm_bench_range_result *r = &b->rc;
      const struct bench_backend *hmm = &b->be[BE_HMM];

      fprintf(f, "  %4u mappings, %4u below the page: %8.1f us %8.1f us\n",
              r->maps_before, r->few.maps_below, r->few.us,
              r->few.us_no_thp);
      fprintf(f, "  %4u mappings, %4u below the page: %8.1f us %8.1f us\n",
              r->maps_after, r->many_low.maps_below, r->many_low.us,
              r->many_low.us_no_thp);
      fprintf(f, "  %4u mappings, %4u below the page: %8.1f us %8.1f us\n",
              r->maps_after, r->many_high.maps_below, r->many_high.us,
              r->many_high.us_no_thp);
      if (hmm->rt_done && hmm->rt.lib.median_us > 0)
         fprintf(f, "  one check per call would make a hmm round trip "
                 "%.2fx as long; the library checks once per buffer\n",
                 (hmm->rt.lib.median_us + r->many_high.us) /
                 hmm->rt.lib.median_us);
   }
   fprintf(f, "\ntotals %s\n", b->inexact ? "NOT EXACT: see above" :
           "exact everywhere (no lost store, every counter right)");
}

static void
bench_json_series(struct nvsvm_json *j, const char *key,
                  const struct nvsvm_bench_rt_series *s)
{
   nvsvm_json_object_begin(j, key);
   nvsvm_json_double(j, "median_us", s->median_us);
   nvsvm_json_double(j, "mean_us", s->mean_us);
   nvsvm_json_array_begin(j, "run_median_us");
   for (unsigned i = 0; i < s->runs; i++)
      nvsvm_json_double(j, NULL, s->run_median_us[i]);
   nvsvm_json_array_end(j);
   nvsvm_json_uint(j, "rounds", s->rounds);
   nvsvm_json_uint(j, "lost", s->lost);
   nvsvm_json_uint(j, "retries", s->retries);
   nvsvm_json_uint(j, "cpu_minor_faults", s->minor_faults);
   nvsvm_json_bool(j, "time_limited", s->time_limited);
   nvsvm_json_array_begin(j, "cdf_us");
   for (unsigned i = 0; s->rounds && i < NVSVM_BENCH_CDF_POINTS; i++)
      nvsvm_json_double(j, NULL, s->cdf_us[i]);
   nvsvm_json_array_end(j);
   nvsvm_json_object_end(j);
}

static void
bench_json_error(struct nvsvm_json *j, const char *key, int err)
{
   nvsvm_json_object_begin(j, key);
   nvsvm_json_string(j, "error", nvsvm_error_name(err));
   nvsvm_json_string(j, "message", nvsvm_strerror(err));
   nvsvm_json_object_end(j);
}

static void
bench_json_counters(struct nvsvm_json *j,
                    const struct nvsvm_bench_counters_params *p,
                    const struct nvsvm_bench_counters_result *r)
{
   nvsvm_json_uint(j, "per_page", p->per_page);
   nvsvm_json_bool(j, "shared", p->shared);
   nvsvm_json_uint(j, "pages", r->pages);
   nvsvm_json_uint(j, "device_steps", r->device_steps);
   nvsvm_json_bool(j, "time_limited", r->time_limited);
   nvsvm_json_uint(j, "conversions", r->conversions);
   nvsvm_json_uint(j, "retries", r->retries);
   nvsvm_json_uint(j, "cpu_increments", r->cpu_increments);
   nvsvm_json_uint(j, "cpu_minor_faults", r->cpu_minor_faults);
   nvsvm_json_double(j, "seconds", r->seconds);
   nvsvm_json_double(j, "device_busy_s", r->device_busy_s);
   nvsvm_json_double(j, "device_steps_per_s", r->device_steps_per_s);
   nvsvm_json_double(j, "cpu_increments_per_s", r->cpu_increments_per_s);
   nvsvm_json_uint(j, "device_value", r->device_value);
   nvsvm_json_uint(j, "device_expected", r->device_expected);
   nvsvm_json_uint(j, "mismatched_counters", r->mismatched);
   nvsvm_json_bool(j, "exact", r->mismatched == 0);
   nvsvm_json_uint(j, "pages_thrashing", r->pages_thrashing);
   nvsvm_json_uint(j, "close_events", r->close_events);
   nvsvm_json_array_begin(j, "advice");
   for (unsigned bit = 1; bit <= NVSVM_ADVICE_MIGRATE; bit <<= 1) {
      if (r->advice & bit)
         nvsvm_json_string(j, NULL, nvsvm_advice_name(bit));
   }
   nvsvm_json_array_end(j);
   nvsvm_json_uint(j, "pool_bytes_held", r->pool_bytes_held);
   nvsvm_json_uint(j, "bytes_requested", r->bytes_requested);
}

static void
bench_json_point(struct nvsvm_json *j, const char *key,
                 const struct nvsvm_bench_range_point *pt)
{
   nvsvm_json_object_begin(j, key);
   nvsvm_json_uint(j, "maps_below", pt->maps_below);
   nvsvm_json_double(j, "us", pt->us);
   nvsvm_json_double(j, "us_no_thp_check", pt->us_no_thp);
   nvsvm_json_object_end(j);
}

static void
bench_print_json(const struct bench_run *b, FILE *f)
{
   const struct bench_opts *o = &b->o;
   struct nvsvm_json j;

   nvsvm_json_init(&j, f);
   nvsvm_json_object_begin(&j, NULL);
   nvsvm_json_uint(&j, "nvsvm_bench_version", 1);
   nvsvm_json_bool(&j, "quick", o->quick);
   nvsvm_json_bool(&j, "exact", !b->inexact);
   {
      struct utsname uts;

      nvsvm_json_string(&j, "kernel", uname(&uts) == 0 ? uts.release : "");
      nvsvm_json_int(&j, "cpus", sysconf(_SC_NPROCESSORS_ONLN));
   }
   nvsvm_json_object_begin(&j, "params");
   nvsvm_json_uint(&j, "rounds", o->rt.run.rounds);
   nvsvm_json_uint(&j, "warmup", o->rt.run.warmup);
   nvsvm_json_uint(&j, "repeats", o->rt.repeats);
   nvsvm_json_uint(&j, "counters", o->cn.counters);
   nvsvm_json_uint(&j, "device_steps", o->cn.device_steps);
   nvsvm_json_uint(&j, "cpu_threads", o->cn.cpu_threads);
   nvsvm_json_uint(&j, "mappings", o->rc.mappings);
   nvsvm_json_uint(&j, "range_calls", o->rc.calls);
   nvsvm_json_object_end(&j);

   nvsvm_json_array_begin(&j, "backends");
   for (unsigned k = 0; k < BE_COUNT; k++) {
      const struct bench_backend *be = &b->be[k];
      double ratio;

      if (!be->tried)
         continue;
      nvsvm_json_object_begin(&j, NULL);
      nvsvm_json_string(&j, "backend", be->name);
      nvsvm_json_string(&j, "device", be->path);
      nvsvm_json_bool(&j, "available", be->available);
      if (!be->available) {
         nvsvm_json_string(&j, "reason", be->reason);
         nvsvm_json_object_end(&j);
         continue;
      }
      if (be->rt_done) {
         nvsvm_json_object_begin(&j, "roundtrip");
         nvsvm_json_string(&j, "kernel", be->rt.kernel);
         nvsvm_json_uint(&j, "clock_res_ns", be->rt.clock_res_ns);
         bench_json_series(&j, "library", &be->rt.lib);
         bench_json_series(&j, "raw", &be->rt.raw);
         nvsvm_json_array_begin(&j, "pair_ratios");
         for (unsigned i = 0; i < o->rt.repeats; i++)
            nvsvm_json_double(&j, NULL, be->rt.pair_ratio[i]);
         nvsvm_json_array_end(&j);
         nvsvm_json_double(&j, "library_over_raw", be->rt.ratio);
         nvsvm_json_double(&j, "library_over_raw_means", be->rt.ratio_mean);
         nvsvm_json_double(&j, "target", BENCH_RATIO_TARGET);
         nvsvm_json_bool(&j, "target_met",
                         be->rt.ratio <= BENCH_RATIO_TARGET);
         nvsvm_json_object_end(&j);
      } else {
         bench_json_error(&j, "roundtrip", be->rt_err);
      }
      nvsvm_json_array_begin(&j, "counters");
      for (unsigned i = 0; i < be->nlayouts; i++) {
         nvsvm_json_object_begin(&j, NULL);
         if (be->cn_err[i]) {
            nvsvm_json_uint(&j, "per_page", be->cp[i].per_page);
            nvsvm_json_bool(&j, "shared", be->cp[i].shared);
            nvsvm_json_string(&j, "error",
                              nvsvm_error_name(be->cn_err[i]));
         } else {
            bench_json_counters(&j, &be->cp[i], &be->cr[i]);
         }
         nvsvm_json_object_end(&j);
      }
      nvsvm_json_array_end(&j);
      ratio = bench_conv_ratio(be, o->cn.counters);
      nvsvm_json_double(&j, "packed_over_placed_conversions", ratio);
      nvsvm_json_bool(&j, "conversions_target_met",
                      ratio >= BENCH_CONVERSIONS_TARGET);
      nvsvm_json_object_end(&j);
   }
   nvsvm_json_array_end(&j);

   if (b->rc_err) {
      bench_json_error(&j, "range_check", b->rc_err);
   } else {
      nvsvm_json_object_begin(&j, "range_check");
      nvsvm_json_uint(&j, "maps_before", b->rc.maps_before);
      nvsvm_json_uint(&j, "maps_after", b->rc.maps_after);
      bench_json_point(&j, "few", &b->rc.few);
      bench_json_point(&j, "many_low", &b->rc.many_low);
      bench_json_point(&j, "many_high", &b->rc.many_high);
      nvsvm_json_object_end(&j);
   }
   nvsvm_json_object_end(&j);
}

static int
bench_write_json(const struct bench_run *b, const char *path)
{
   FILE *f;
   int ret = 0;

   if (strcmp(path, "-") == 0) {
      bench_print_json(b, stdout);
      return fflush(stdout) ? -errno : 0;
   }
   f = fopen(path, "we");
   if (!f)
      return -errno;
   bench_print_json(b, f);
   if (ferror(f))
      ret = -EIO;
   if (fclose(f) != 0 && !ret)
      ret = -errno;
   return ret;
}

int
nvsvm_cmd_bench_range(int argc, char **argv);

int
nvsvm_cmd_bench(int argc, char **argv)
{
   struct bench_run *b;
   bool any = false, failed = false;
   int ret;

   /* `nvsvm bench range`: the range check sweep alone. */
   if (argc > 1 && strcmp(argv[1], "range") == 0)
      return nvsvm_cmd_bench_range(argc - 1, argv + 1);
   b = calloc(1, sizeof(*b));
   if (!b) {
      fprintf(stderr, "nvsvm bench: out of memory\n");
      return 1;
   }
   ret = bench_parse(argc, argv, &b->o);
   if (ret) {
      free(b);
      return ret > 0 ? 0 : 2;
   }
   b->be[BE_HMM].name = "hmm";
   b->be[BE_VSVM].name = "vsvm";

   for (unsigned k = 0; k < BE_COUNT; k++) {
      if (!b->o.want[k])
         continue;
      bench_backend_run(b, (enum bench_be)k);
      any |= b->be[k].available;
      if (b->be[k].available) {
         failed |= b->be[k].rt_err != 0;
         for (unsigned i = 0; i < b->be[k].nlayouts; i++)
            failed |= b->be[k].cn_err[i] != 0 &&
                      b->be[k].cn_err[i] != -NVSVM_E_NOT_SUPPORTED;
      } else if (b->o.explicit_backend) {
         failed = true;
      }
   }
   fprintf(stderr, "nvsvm bench: range check cost...\n");
   b->rc_err = nvsvm_bench_range_cost(&b->o.rc, &b->rc);
   failed |= b->rc_err != 0;

   if (!b->o.json_path || strcmp(b->o.json_path, "-") != 0)
      bench_print_text(b, stdout);
   if (b->o.json_path) {
      ret = bench_write_json(b, b->o.json_path);
      if (ret) {
         fprintf(stderr, "nvsvm bench: writing %s: %s\n", b->o.json_path,
                 nvsvm_strerror(ret));
         failed = true;
      }
   }
   if (!any)
      fprintf(stderr, "nvsvm bench: no device backend here (hmm, vsvm): "
              "run it in the VM with `make bench`\n");
   ret = failed || b->inexact || !any ? 1 : 0;
   free(b);
   return ret;
}
