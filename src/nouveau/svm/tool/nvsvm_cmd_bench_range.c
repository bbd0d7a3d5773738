/* SPDX-License-Identifier: MIT */
/*
 * `nvsvm bench range`: what one nvsvm_range_check() costs over buffer
 * sizes, THP-backed or not, with up to thousands of unrelated mappings
 * below the buffer. Figures, never pass/fail: every cell prints its
 * median and spread, the path that answered, and whether the goal (a
 * median of at most 20 us on 6.11+) is met.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "nvsvm/nvsvm.h"
#include "nvsvm_range.h"
#include "nvsvm_time.h"
#include "thp_probe.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define PMD (2 * MiB)
#define PG ((size_t)NVSVM_PAGE_SIZE)

#define RANGE_GOAL_US 20.0
#define RANGE_MAX_CALLS 10001u
#define RANGE_MAX_MAPPINGS 30000u

static const size_t range_sizes[] = {
   4 * KiB, 64 * KiB, 2 * MiB, 8 * MiB, 64 * MiB, 256 * MiB, 1024 * MiB,
};
#define RANGE_NSIZES (sizeof(range_sizes) / sizeof(range_sizes[0]))

static const unsigned range_counts[] = { 1, 10, 100, 1000, 10000 };
#define RANGE_NCOUNTS (sizeof(range_counts) / sizeof(range_counts[0]))

struct range_opts {
   unsigned calls;
   size_t max_size;
   unsigned max_mappings;
   bool smaps;              /* also time the smaps path */
};

/* One timed series: median and the 10th/90th percentiles, in us. */
struct range_stat {
   double median, p10, p90;
};

struct range_cell {
   size_t size;
   bool thp;                /* MADV_HUGEPAGE (else MADV_NOHUGEPAGE) */
   long anon_huge_kb;       /* smaps' own word on the backing */
   unsigned mappings;       /* extra mappings made */
   unsigned maps, below;    /* /proc/self/maps lines; below the buffer */
   int ret;
   unsigned warnings;
   enum nvsvm_range_path used;
   enum nvsvm_range_defer defer;
   struct range_stat thp_check, no_thp, slow;
};

static void
range_usage(FILE *f)
{
   fprintf(f,
      "usage: nvsvm bench range [--calls N] [--max-mib N] [--max-mappings N]\n"
      "                         [--smaps] [--quick]\n"
      "\n"
      "nvsvm_range_check() on one buffer, 4 KiB to 1 GiB, madvised\n"
      "MADV_HUGEPAGE (THP-backed where the kernel gives huge pages; smaps'\n"
      "AnonHugePages is printed, not the library's word) or MADV_NOHUGEPAGE,\n"
      "every page touched, with 1 to 10000 unrelated mappings below it.\n"
      "Each cell: median and p10..p90 of --calls calls, with the THP check\n"
      "and without (NVSVM_RANGE_NO_THP_CHECK), calls of the two alternating;\n"
      "the path that answered (fast: PROCMAP_QUERY/PAGEMAP_SCAN; smaps, and\n"
      "why); and the goal: a median of at most %.0f us on 6.11+.\n"
      "\n"
      "  --calls N         timed calls per figure (default 51)\n"
      "  --max-mib N       largest buffer in MiB (default 1024)\n"
      "  --max-mappings N  most extra mappings (default 10000)\n"
      "  --smaps           also time the smaps path (slow with many mappings)\n"
      "  --quick           15 calls, buffers up to 64 MiB, 1000 mappings\n",
      RANGE_GOAL_US);
}

static int
range_parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi,
                 unsigned *out)
{
   char *end;
   unsigned long v;

   if (!s || *s < '0' || *s > '9') {
      fprintf(stderr, "nvsvm bench range: %s needs a number\n", opt);
      return -EINVAL;
   }
   errno = 0;
   v = strtoul(s, &end, 10);
   if (errno || *end || v < lo || v > hi) {
      fprintf(stderr, "nvsvm bench range: %s %s: want %u..%u\n", opt, s, lo,
              hi);
      return -EINVAL;
   }
   *out = (unsigned)v;
   return 0;
}

/* 0, 1 for --help, or -EINVAL (message printed). */
static int
range_parse(int argc, char **argv, struct range_opts *o)
{
   unsigned calls = 0, mib = 0, maps = 0;
   bool quick = false;

   o->calls = 51;
   o->max_size = 1024 * MiB;
   o->max_mappings = 10000;
   o->smaps = false;
   for (int i = 1; i < argc; i++) {
      const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
      int ret;

      if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
         range_usage(stdout);
         return 1;
      } else if (!strcmp(a, "--smaps")) {
         o->smaps = true;
         continue;
      } else if (!strcmp(a, "--quick")) {
         quick = true;
         continue;
      } else if (!strcmp(a, "--calls")) {
         ret = range_parse_uint(a, v, 1, RANGE_MAX_CALLS, &calls);
      } else if (!strcmp(a, "--max-mib")) {
         ret = range_parse_uint(a, v, 1, 1024, &mib);
      } else if (!strcmp(a, "--max-mappings")) {
         ret = range_parse_uint(a, v, 1, RANGE_MAX_MAPPINGS, &maps);
      } else {
         fprintf(stderr, "nvsvm bench range: unknown option '%s'\n\n", a);
         range_usage(stderr);
         return -EINVAL;
      }
      if (ret)
         return ret;
      i++;
   }
   if (quick) {
      o->calls = 15;
      o->max_size = 64 * MiB;
      o->max_mappings = 1000;
   }
   if (calls)
      o->calls = calls;
   if (mib)
      o->max_size = (size_t)mib * MiB;
   if (maps)
      o->max_mappings = maps;
   return 0;
}

static int
range_cmp_double(const void *a, const void *b)
{
   double x = *(const double *)a, y = *(const double *)b;

   return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted values. */
static double
range_pct(const double *v, unsigned n, unsigned pct)
{
   unsigned rank = (n * pct + 99) / 100;

   return v[rank ? rank - 1 : 0];
}

static void
range_stat(double *v, unsigned n, struct range_stat *s)
{
   qsort(v, n, sizeof(*v), range_cmp_double);
   s->median = (n & 1) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
   s->p10 = range_pct(v, n, 10);
   s->p90 = range_pct(v, n, 90);
}

/* Lines of /proc/self/maps, and how many mappings start below addr. */
static int
range_maps_count(uintptr_t addr, unsigned *total, unsigned *below)
{
   char line[512];
   FILE *f = fopen("/proc/self/maps", "re");

   if (!f)
      return -errno;
   *total = *below = 0;
   while (fgets(line, sizeof(line), f)) {
      unsigned long long start;
      size_t len = strlen(line);

      if (len && line[len - 1] != '\n' && !feof(f))
         continue;
      (*total)++;
      if (sscanf(line, "%llx-", &start) == 1 && start < addr)
         (*below)++;
   }
   fclose(f);
   return 0;
}

/*
 * The cell's figures: the library's default check and the one without
 * THP warnings, call by call in turn so that drift hits both; then, with
 * --smaps, the smaps path alone.
 */
static int
range_time_cell(const struct range_opts *o, void *buf, struct range_cell *c,
                double *t0, double *t1)
{
   struct nvsvm_range_report rep;
   int ret;

   c->ret = nvsvm_range_check_path(buf, c->size, 0, NVSVM_RANGE_PATH_AUTO,
                                   &rep, &c->used, &c->defer);
   c->warnings = rep.warnings;
   if (c->ret)
      return c->ret;
   for (unsigned i = 0; i < 2; i++)
      nvsvm_range_check(buf, c->size, NVSVM_RANGE_NO_THP_CHECK, &rep);
   for (unsigned i = 0; i < o->calls; i++) {
      double a = nvsvm_time_s(), b;

      ret = nvsvm_range_check(buf, c->size, 0, &rep);
      b = nvsvm_time_s();
      ret = ret ? ret : nvsvm_range_check(buf, c->size,
                                          NVSVM_RANGE_NO_THP_CHECK, &rep);
      t0[i] = (b - a) * 1e6;
      t1[i] = (nvsvm_time_s() - b) * 1e6;
      if (ret)
         return ret;
   }
   range_stat(t0, o->calls, &c->thp_check);
   range_stat(t1, o->calls, &c->no_thp);
   if (!o->smaps)
      return 0;
   for (unsigned i = 0; i < o->calls; i++) {
      double a = nvsvm_time_s();

      ret = nvsvm_range_check_path(buf, c->size, 0, NVSVM_RANGE_PATH_SLOW,
                                   &rep, NULL, NULL);
      t0[i] = (nvsvm_time_s() - a) * 1e6;
      if (ret)
         return ret;
   }
   range_stat(t0, o->calls, &c->slow);
   return 0;
}

/*
 * About count extra mappings in region (room for RANGE_MAX_MAPPINGS + 2
 * pages): pages 1..count alternate read-write and PROT_NONE, so none
 * merge. The region is mapped afresh, one PROT_NONE mapping, first.
 */
static int
range_set_mappings(unsigned char *region, size_t rlen, unsigned count)
{
   if (mmap(region, rlen, PROT_NONE, MAP_FIXED | MAP_PRIVATE |
            MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
      return -errno;
   for (unsigned i = 1; i <= count; i += 2) {
      if (mprotect(region + i * PG, PG, PROT_READ | PROT_WRITE) != 0)
         return -errno;
   }
   return 0;
}

static const char *
range_size_str(size_t size, char *buf, size_t n)
{
   if (size >= MiB)
      snprintf(buf, n, "%zu MiB", size / MiB);
   else
      snprintf(buf, n, "%zu KiB", size / KiB);
   return buf;
}

static const char *
range_path_str(const struct range_cell *c)
{
   if (c->ret)
      return nvsvm_error_name(c->ret);
   if (c->used == NVSVM_RANGE_PATH_FAST)
      return "fast";
   switch (c->defer) {
   case NVSVM_RANGE_DEFER_NO_QUERY: return "smaps:no-query";
   case NVSVM_RANGE_DEFER_NO_SCAN: return "smaps:no-scan";
   case NVSVM_RANGE_DEFER_THP_FLAGS: return "smaps:thp-flags";
   case NVSVM_RANGE_DEFER_THP_SYSFS: return "smaps:thp-sysfs";
   case NVSVM_RANGE_DEFER_ENV: return "smaps:env";
   default: return "smaps:other";
   }
}

static void
range_print_cell(const struct range_opts *o, const struct range_cell *c,
                 bool goal_applies, unsigned *missed)
{
   char sz[32], backing[40];
   bool met = c->thp_check.median <= RANGE_GOAL_US;

   if (c->thp)
      snprintf(backing, sizeof(backing), "thp %ld kB", c->anon_huge_kb);
   else
      snprintf(backing, sizeof(backing), "4k %ld kB", c->anon_huge_kb);
   printf("  %-8s %-14s %5u %5u %-16s %8.1f %7.1f..%-8.1f %7.1f %6.1f..%-7.1f",
          range_size_str(c->size, sz, sizeof(sz)), backing, c->maps,
          c->below, range_path_str(c), c->thp_check.median, c->thp_check.p10,
          c->thp_check.p90, c->no_thp.median, c->no_thp.p10, c->no_thp.p90);
   if (o->smaps)
      printf(" %9.1f", c->slow.median);
   if (!goal_applies)
      printf("  n/a\n");
   else
      printf("  %s\n", met ? "met" : "NOT met");
   if (goal_applies && !met)
      (*missed)++;
}

/* The running kernel's major.minor is 6.11 or later. */
static bool
range_kernel_611(const char *release)
{
   unsigned major, minor;

   if (sscanf(release, "%u.%u", &major, &minor) != 2)
      return false;
   return major > 6 || (major == 6 && minor >= 11);
}

int
nvsvm_cmd_bench_range(int argc, char **argv);

int
nvsvm_cmd_bench_range(int argc, char **argv)
{
   struct range_opts o;
   struct utsname uts;
   unsigned char *resv = NULL, *region = NULL, *buf;
   size_t resv_len, rlen = (RANGE_MAX_MAPPINGS + 2) * PG;
   double *t0 = NULL, *t1 = NULL;
   unsigned missed = 0, cells = 0;
   bool goal_applies;
   int ret;

   ret = range_parse(argc, argv, &o);
   if (ret)
      return ret > 0 ? 0 : 2;
   if (uname(&uts) != 0)
      snprintf(uts.release, sizeof(uts.release), "unknown");
   goal_applies = range_kernel_611(uts.release);

   /* The buffer's room first, the mappings' below it (mmap goes down). */
   resv_len = o.max_size + PMD;
   resv = mmap(NULL, resv_len, PROT_NONE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
   region = mmap(NULL, rlen, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
   t0 = calloc(o.calls, sizeof(*t0));
   t1 = calloc(o.calls, sizeof(*t1));
   if (resv == MAP_FAILED || region == MAP_FAILED || !t0 || !t1) {
      fprintf(stderr, "nvsvm bench range: out of memory or address space\n");
      ret = -ENOMEM;
      goto out;
   }
   buf = (unsigned char *)(((uintptr_t)resv + PMD - 1) & ~(uintptr_t)(PMD - 1));
   if ((uintptr_t)region > (uintptr_t)buf)
      fprintf(stderr, "nvsvm bench range: the mappings landed above the "
              "buffer: the smaps path reads fewer than it would\n");

   printf("nvsvm bench range: kernel %s; median and p10..p90 of %u calls, "
          "in us\n", uts.release, o.calls);
   printf("  %-8s %-14s %5s %5s %-16s %26s %22s%s  %s\n", "size",
          "backing", "maps", "below", "path", "THP check: median p10..p90",
          "no THP check", o.smaps ? "     smaps" : "",
          goal_applies ? "goal <= 20 us" : "goal (6.11+ only)");

   for (unsigned s = 0; s < RANGE_NSIZES && ret == 0; s++) {
      for (unsigned thp = 0; thp < 2 && ret == 0; thp++) {
         size_t size = range_sizes[s];
         long kb;

         if (size > o.max_size)
            continue;
         if (mmap(buf, size, PROT_READ | PROT_WRITE,
                  MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
             MAP_FAILED ||
             madvise(buf, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
            ret = -errno;
            break;
         }
         memset(buf, 1, size);
         kb = thp_probe_anon_huge_kb(buf);
         for (unsigned k = 0; k < RANGE_NCOUNTS && ret == 0; k++) {
            struct range_cell c = {
               .size = size, .thp = thp, .anon_huge_kb = kb,
               .mappings = range_counts[k],
            };

            if (c.mappings > o.max_mappings)
               continue;
            ret = range_set_mappings(region, rlen, c.mappings);
            if (!ret)
               ret = range_maps_count((uintptr_t)buf, &c.maps, &c.below);
            if (!ret)
               ret = range_time_cell(&o, buf, &c, t0, t1);
            if (ret)
               break;
            range_print_cell(&o, &c, goal_applies, &missed);
            cells++;
         }
         /* Back to a reservation: the next buffer starts afresh. */
         if (mmap(buf, size, PROT_NONE, MAP_FIXED | MAP_PRIVATE |
                  MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED &&
             !ret)
            ret = -errno;
      }
   }
   if (ret) {
      fprintf(stderr, "nvsvm bench range: %s (%s)\n", nvsvm_error_name(ret),
              nvsvm_strerror(ret));
   } else if (goal_applies) {
      printf("goal (median <= %.0f us with the THP check): met in %u of %u "
             "cells%s\n", RANGE_GOAL_US, cells - missed, cells,
             missed ? "; NOT met where marked" : "");
   } else {
      printf("goal: not applicable before 6.11 (no PROCMAP_QUERY: smaps "
             "answers)\n");
   }
   printf("backing: thp = MADV_HUGEPAGE, 4k = MADV_NOHUGEPAGE, both "
          "touched; kB = smaps AnonHugePages\n");
out:
   if (region && region != MAP_FAILED)
      munmap(region, rlen);
   if (resv && resv != MAP_FAILED)
      munmap(resv, resv_len);
   free(t0);
   free(t1);
   return ret ? 1 : 0;
}
