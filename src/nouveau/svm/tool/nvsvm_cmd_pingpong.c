/* SPDX-License-Identifier: MIT */
/*
 * `nvsvm pingpong`: the ownership ping-pong benchmark. A thin shell over
 * nvsvm_pingpong_run(), with the raw-ioctl baseline beside it.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvsvm/nvsvm.h"
#include "nvsvm_bench.h"
#include "nvsvm_json.h"
#include "nvsvm_bench_raw.h"
#include "nvsvm_raw_hmm.h"

struct pp_opts {
   enum nvsvm_backend_kind backend;
   const char *device;
   struct nvsvm_pingpong_params params;
   bool json;
   bool raw;
};

static void
pp_usage(FILE *f)
{
   fprintf(f,
      "usage: nvsvm pingpong [--backend hmm|vsvm] [--device PATH]\n"
      "                      [--pages N] [--rounds N] [--warmup N]\n"
      "                      [--time-limit SECONDS] [--no-raw] [--json]\n"
      "\n"
      "Ownership ping-pong: each round the CPU stores to every page (taking\n"
      "it back from the device) and the device converts the pages again.\n"
      "Reports round-trip latency, conversions/s, CPU minor faults,\n"
      "retries and lost stores; beside it the same loop written with\n"
      "raw ioctls (hmm and vsvm), and the library/raw ratio.\n"
      "\n"
      "  --backend   hmm (default: the kernel's HMM test device) or vsvm\n"
      "  --device    default /dev/hmm_dmirror0 (hmm), first vsvm node (vsvm)\n"
      "  --pages     pages per round, 1..%u (default 1)\n"
      "  --rounds    timed rounds, 1..%u (default 10000)\n"
      "  --warmup    untimed rounds first (default 100)\n"
      "  --time-limit stop timing after this many seconds (default 60)\n"
      "  --no-raw    skip the raw-ioctl baseline\n"
      "  --json      one JSON object instead of the table\n",
      NVSVM_PINGPONG_MAX_PAGES, NVSVM_PINGPONG_MAX_ROUNDS);
}

static int
pp_parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi,
              unsigned *out)
{
   char *end;
   unsigned long v;

   if (!s || *s == '-' || *s == '\0') {
      fprintf(stderr, "nvsvm pingpong: %s needs a number\n", opt);
      return -EINVAL;
   }
   errno = 0;
   v = strtoul(s, &end, 10);
   if (errno || *end || v < lo || v > hi) {
      fprintf(stderr, "nvsvm pingpong: %s %s: want %u..%u\n", opt, s, lo,
              hi);
      return -EINVAL;
   }
   *out = (unsigned)v;
   return 0;
}

static int
pp_parse(int argc, char **argv, struct pp_opts *o)
{
   nvsvm_pingpong_params_default(&o->params);
   o->backend = NVSVM_BACKEND_HMM;
   o->device = NULL;
   o->json = false;
   o->raw = true;

   for (int i = 1; i < argc; i++) {
      const char *a = argv[i];
      const char *v = i + 1 < argc ? argv[i + 1] : NULL;
      int ret = 0;

      if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
         pp_usage(stdout);
         return 1;
      } else if (strcmp(a, "--json") == 0) {
         o->json = true;
      } else if (strcmp(a, "--no-raw") == 0) {
         o->raw = false;
      } else if (strcmp(a, "--backend") == 0) {
         if (v && strcmp(v, "hmm") == 0) {
            o->backend = NVSVM_BACKEND_HMM;
         } else if (v && strcmp(v, "vsvm") == 0) {
            o->backend = NVSVM_BACKEND_VSVM;
         } else {
            fprintf(stderr, "nvsvm pingpong: --backend wants hmm or vsvm\n");
            return -EINVAL;
         }
         i++;
      } else if (strcmp(a, "--device") == 0) {
         if (!v) {
            fprintf(stderr, "nvsvm pingpong: --device needs a path\n");
            return -EINVAL;
         }
         o->device = v;
         i++;
      } else if (strcmp(a, "--pages") == 0) {
         ret = pp_parse_uint(a, v, 1, NVSVM_PINGPONG_MAX_PAGES,
                             &o->params.pages);
         i++;
      } else if (strcmp(a, "--rounds") == 0) {
         ret = pp_parse_uint(a, v, 1, NVSVM_PINGPONG_MAX_ROUNDS,
                             &o->params.rounds);
         i++;
      } else if (strcmp(a, "--warmup") == 0) {
         ret = pp_parse_uint(a, v, 0, NVSVM_PINGPONG_MAX_ROUNDS,
                             &o->params.warmup);
         i++;
      } else if (strcmp(a, "--time-limit") == 0) {
         unsigned s;
         ret = pp_parse_uint(a, v, 1, 3600, &s);
         o->params.time_limit_s = s;
         i++;
      } else {
         fprintf(stderr, "nvsvm pingpong: unknown option '%s'\n\n", a);
         pp_usage(stderr);
         return -EINVAL;
      }
      if (ret)
         return ret;
   }
   if (o->backend == NVSVM_BACKEND_HMM && !o->device)
      o->device = "/dev/hmm_dmirror0";
   /* Raw loops exist for the two test devices, not for nouveau. */
   if (o->backend != NVSVM_BACKEND_HMM && o->backend != NVSVM_BACKEND_VSVM)
      o->raw = false;
   return 0;
}

static double
pp_ratio(double a, double b)
{
   return b > 0 ? a / b : 0.0 / 0.0;
}

static void
pp_json_result(struct nvsvm_json *j, const char *key,
               const struct nvsvm_pingpong_result *r)
{
   nvsvm_json_object_begin(j, key);
   nvsvm_json_uint(j, "rounds", r->rounds);
   nvsvm_json_bool(j, "time_limited", r->time_limited);
   nvsvm_json_double(j, "total_s", r->total_s);
   nvsvm_json_double(j, "median_us", r->median_us);
   nvsvm_json_double(j, "p99_us", r->p99_us);
   nvsvm_json_double(j, "min_us", r->min_us);
   nvsvm_json_double(j, "max_us", r->max_us);
   nvsvm_json_double(j, "mean_us", r->mean_us);
   nvsvm_json_double(j, "rounds_per_s", r->rounds_per_s);
   nvsvm_json_double(j, "conversions_per_s", r->conversions_per_s);
   nvsvm_json_uint(j, "cpu_minor_faults", r->minor_faults);
   nvsvm_json_uint(j, "retries", r->retries);
   nvsvm_json_uint(j, "lost", r->lost);
   nvsvm_json_uint(j, "clock_res_ns", r->clock_res_ns);
   nvsvm_json_object_end(j);
}

/* vsvm only: CPU threads and device lanes adding to one counter. */
static void
pp_json_contention(struct nvsvm_json *j,
                   const struct nvsvm_contention_result *c)
{
   if (!c) {
      nvsvm_json_null(j, "contention");
      return;
   }
   nvsvm_json_object_begin(j, "contention");
   nvsvm_json_uint(j, "cpu_threads", c->cpu_threads);
   nvsvm_json_uint(j, "lanes", c->lanes);
   nvsvm_json_double(j, "seconds", c->seconds);
   nvsvm_json_uint(j, "cpu_ops", c->cpu_ops);
   nvsvm_json_uint(j, "device_ops", c->device_ops);
   nvsvm_json_double(j, "cpu_ops_per_s", c->cpu_ops_per_s);
   nvsvm_json_double(j, "device_ops_per_s", c->device_ops_per_s);
   nvsvm_json_uint(j, "conversions", c->conversions);
   nvsvm_json_double(j, "conversions_per_s", c->conversions_per_s);
   nvsvm_json_uint(j, "lost", c->lost);
   nvsvm_json_object_end(j);
}

static void
pp_print_json(const struct pp_opts *o, const char *device,
              const struct nvsvm_pingpong_result *lib,
              const struct nvsvm_pingpong_result *raw,
              const struct nvsvm_contention_result *cont)
{
   struct nvsvm_json j;

   nvsvm_json_init(&j, stdout);
   nvsvm_json_object_begin(&j, NULL);
   nvsvm_json_string(&j, "backend", lib->backend);
   nvsvm_json_string(&j, "device", device);
   nvsvm_json_string(&j, "kernel", lib->kernel);
   nvsvm_json_uint(&j, "pages", o->params.pages);
   nvsvm_json_uint(&j, "rounds_requested", o->params.rounds);
   nvsvm_json_uint(&j, "warmup", o->params.warmup);
   pp_json_result(&j, "library", lib);
   if (raw) {
      pp_json_result(&j, "raw", raw);
      nvsvm_json_object_begin(&j, "library_over_raw");
      nvsvm_json_double(&j, "median", pp_ratio(lib->median_us,
                                               raw->median_us));
      nvsvm_json_double(&j, "p99", pp_ratio(lib->p99_us, raw->p99_us));
      nvsvm_json_double(&j, "conversions_per_s",
                        pp_ratio(lib->conversions_per_s,
                                 raw->conversions_per_s));
      nvsvm_json_object_end(&j);
   } else {
      nvsvm_json_null(&j, "raw");
   }
   pp_json_contention(&j, cont);
   nvsvm_json_object_end(&j);
   printf("\n");
}

static void
pp_row_us(const char *name, double a, const double *b)
{
   printf("  %-22s %12.1f us", name, a);
   if (b)
      printf(" %12.1f us %10.2f", *b, pp_ratio(a, *b));
   printf("\n");
}

static void
pp_print_table(const struct pp_opts *o, const char *device,
               const struct nvsvm_pingpong_result *lib,
               const struct nvsvm_pingpong_result *raw,
               const struct nvsvm_contention_result *c)
{
   printf("nvsvm pingpong: %s backend, %s, kernel %s\n", lib->backend,
          device, lib->kernel);
   printf("  %u page(s) x %u rounds (%u warm-up)%s\n\n", o->params.pages,
          lib->rounds, o->params.warmup,
          lib->time_limited ? ", stopped by the time limit" : "");
   printf("  %-22s %15s", "", "library");
   if (raw)
      printf(" %15s %10s", "raw ioctl", "lib/raw");
   printf("\n");
   pp_row_us("round trip median", lib->median_us,
             raw ? &raw->median_us : NULL);
   pp_row_us("round trip p99", lib->p99_us, raw ? &raw->p99_us : NULL);
   printf("  %-22s %15.0f", "conversions/s", lib->conversions_per_s);
   if (raw)
      printf(" %15.0f %10.2f", raw->conversions_per_s,
             pp_ratio(lib->conversions_per_s, raw->conversions_per_s));
   printf("\n  %-22s %15" PRIu64, "CPU minor faults", lib->minor_faults);
   if (raw)
      printf(" %15" PRIu64, raw->minor_faults);
   printf("\n  %-22s %15" PRIu64, "retries", lib->retries);
   if (raw)
      printf(" %15" PRIu64, raw->retries);
   printf("\n  %-22s %15" PRIu64, "lost CPU stores", lib->lost);
   if (raw)
      printf(" %15" PRIu64, raw->lost);
   printf("\n");
   if (!raw)
      printf("\n  (no raw baseline for this backend)\n");
   if (c) {
      printf("\n  true atomics: %u CPU threads and %u device lanes add to "
             "one counter\n", c->cpu_threads, c->lanes);
      printf("  %-22s %15.0f\n", "CPU adds/s", c->cpu_ops_per_s);
      printf("  %-22s %15.0f\n", "device adds/s", c->device_ops_per_s);
      printf("  %-22s %15.0f\n", "conversions/s", c->conversions_per_s);
      printf("  %-22s %15" PRIu64 " of %" PRIu64 "\n", "lost adds",
             c->lost, c->cpu_ops + c->device_ops);
   }
   if (lib->clock_res_ns > 1000)
      printf("\n  warning: the clock ticks every %" PRIu64 " ns: per-round "
             "latencies are not\n  measurable here (a guest without "
             "TSC/HPET); conversions/s still holds\n", lib->clock_res_ns);
}

static const char *
pp_open_hint(int err, enum nvsvm_backend_kind kind)
{
   if (err == -ENOENT || err == -ENODEV)
      return kind == NVSVM_BACKEND_HMM ?
             "no HMM test device here (CONFIG_TEST_HMM); run it in the VM: "
             "tools/vm/run -- build/src/nouveau/svm/nvsvm pingpong" :
             "no vsvm node: load vsvm.ko (tools/vm/run --module ...)";
   if (err == -NVSVM_E_KERNEL_UNKNOWN)
      return "see docs/kernel-path.md (NVSVM_HMM_UAPI)";
   return NULL;
}

int
nvsvm_cmd_pingpong(int argc, char **argv)
{
   struct nvsvm_pingpong_result lib, raw;
   struct nvsvm_contention_result cont;
   bool have_cont = false;
   struct nvsvm_device_info info;
   struct nvsvm_device *dev = NULL;
   struct pp_opts o;
   const char *hint;
   int ret;

   ret = pp_parse(argc, argv, &o);
   if (ret)
      return ret > 0 ? 0 : 2;

   ret = nvsvm_device_open(o.device, &dev);
   if (ret) {
      hint = pp_open_hint(ret, o.backend);
      fprintf(stderr, "nvsvm pingpong: open %s: %s (%s)%s%s\n",
              o.device ? o.device : "(first vsvm node)",
              nvsvm_error_name(ret), nvsvm_strerror(ret),
              hint ? "\n  " : "", hint ? hint : "");
      return 1;
   }
   nvsvm_device_get_info(dev, &info);
   if (info.backend != o.backend) {
      fprintf(stderr, "nvsvm pingpong: %s is driven by the %s backend, "
              "not %s\n", info.path, nvsvm_backend_name(info.backend),
              nvsvm_backend_name(o.backend));
      ret = -EINVAL;
      goto out;
   }

   ret = nvsvm_pingpong_run(dev, &o.params, &lib);
   if (ret) {
      fprintf(stderr, "nvsvm pingpong: library run: %s (%s)\n",
              nvsvm_error_name(ret), nvsvm_strerror(ret));
      goto out;
   }
   if (o.raw) {
      ret = o.backend == NVSVM_BACKEND_VSVM ?
            nvsvm_bench_raw_vsvm_pingpong(info.path, &o.params, &raw) :
            nvsvm_raw_hmm_pingpong(info.path, &o.params, &raw);
      if (ret) {
         fprintf(stderr, "nvsvm pingpong: raw baseline: %s (%s)\n",
                 nvsvm_error_name(ret), nvsvm_strerror(ret));
         goto out;
      }
   }

   /* vsvm performs true device atomics: race them against the CPU. */
   if (o.backend == NVSVM_BACKEND_VSVM) {
      ret = nvsvm_bench_contention(dev, NULL, &cont);
      if (ret) {
         fprintf(stderr, "nvsvm pingpong: contention run: %s (%s)\n",
                 nvsvm_error_name(ret), nvsvm_strerror(ret));
         goto out;
      }
      have_cont = true;
   }

   if (o.json)
      pp_print_json(&o, info.path, &lib, o.raw ? &raw : NULL,
                    have_cont ? &cont : NULL);
   else
      pp_print_table(&o, info.path, &lib, o.raw ? &raw : NULL,
                     have_cont ? &cont : NULL);

   /* The device must have seen every store the CPU made. */
   if (lib.lost || (o.raw && raw.lost)) {
      fprintf(stderr, "nvsvm pingpong: the device missed CPU stores\n");
      ret = -EIO;
   }
   if (have_cont && cont.lost) {
      fprintf(stderr, "nvsvm pingpong: %" PRIu64 " atomic adds lost\n",
              cont.lost);
      ret = -EIO;
   }
out:
   nvsvm_device_close(dev);
   return ret ? 1 : 0;
}
