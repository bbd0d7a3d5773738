/* SPDX-License-Identifier: MIT */
/*
 * Print this machine's TSC frequency in kHz: the rate a TCG guest's TSC
 * runs at (qemu reads the host's TSC for RDTSC), given to the guest as
 * tsc_early_khz= so that it needs no reference timer to calibrate.
 *
 * Five windows of 40 ms against CLOCK_MONOTONIC_RAW; the median is
 * printed. Each clock reading is bracketed by two TSC reads and taken
 * again if the bracket is wide (the process was preempted in between),
 * so a loaded host does not skew a window. Without the constant_tsc flag
 * (a KVM guest on AMD lacks it unless the host passes invtsc) the figure
 * is still printed, with a note: the VM suites' clock check is what
 * decides whether the guest's clock keeps time. Exit 1 on a nonsense
 * figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

/* A clock reading and the TSC at that moment (the middle of a bracket
 * of at most 20,000 cycles, a few microseconds). */
static double
tsc_sample(unsigned long long *tsc)
{
   for (int tries = 0;; tries++) {
      struct timespec ts;
      unsigned long long a = __rdtsc(), b;

      clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
      b = __rdtsc();
      if (b - a < 20000 || tries == 1000) {
         *tsc = a + (b - a) / 2;
         return ts.tv_sec + ts.tv_nsec * 1e-9;
      }
   }
}

static int
tsc_cmp(const void *a, const void *b)
{
   double x = *(const double *)a, y = *(const double *)b;

   return (x > y) - (x < y);
}

static int
tsc_is_constant(void)
{
   char line[4096];
   int found = 0;
   FILE *f = fopen("/proc/cpuinfo", "r");

   if (!f)
      return 0;
   while (!found && fgets(line, sizeof(line), f)) {
      if (strncmp(line, "flags", 5) == 0)
         found = strstr(line, " constant_tsc") != NULL ? 1 : -1;
   }
   fclose(f);
   return found == 1;
}

int
main(void)
{
   double khz[5];

   if (!tsc_is_constant())
      fprintf(stderr, "tsc-khz: note: no constant_tsc flag on this CPU; "
              "giving the guest the rate measured now\n");
   for (int i = 0; i < 5; i++) {
      unsigned long long c0, c1;
      double t0 = tsc_sample(&c0), t1;

      do {
         t1 = tsc_sample(&c1);
      } while (t1 - t0 < 0.04);
      khz[i] = (double)(c1 - c0) / (t1 - t0) / 1000.0;
   }
   qsort(khz, 5, sizeof(khz[0]), tsc_cmp);
   if (khz[2] < 100000.0 || khz[2] > 10000000.0) {
      fprintf(stderr, "tsc-khz: measured %.0f kHz, not a TSC rate\n",
              khz[2]);
      return 1;
   }
   printf("%.0f\n", khz[2]);
   return 0;
}
