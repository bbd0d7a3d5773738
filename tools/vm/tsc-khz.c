/* SPDX-License-Identifier: MIT */
/*
 * Print this machine's TSC frequency in kHz: the rate a TCG guest's TSC
 * runs at (qemu reads the host's TSC for RDTSC), given to the guest as
 * tsc_early_khz= so that it needs no reference timer to calibrate.
 *
 * Five windows of 40 ms against CLOCK_MONOTONIC_RAW; the median is
 * printed. Exit 1 without a constant-rate TSC or on a nonsense figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

static double
tsc_now_s(void)
{
   struct timespec ts;

   clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
   return ts.tv_sec + ts.tv_nsec * 1e-9;
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

   if (!tsc_is_constant()) {
      fprintf(stderr, "tsc-khz: this CPU has no constant_tsc flag: "
              "its TSC rate is no clock for a guest\n");
      return 1;
   }
   for (int i = 0; i < 5; i++) {
      double t0 = tsc_now_s(), t1;
      unsigned long long c0 = __rdtsc(), c1;

      do {
         t1 = tsc_now_s();
      } while (t1 - t0 < 0.04);
      c1 = __rdtsc();
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
