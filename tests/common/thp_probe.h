/* SPDX-License-Identifier: MIT */
/*
 * Whether a range is THP-backed, asked of the kernel directly
 * (/proc/self/smaps AnonHugePages of the mapping that holds it), so that
 * a test of the library's THP warning does not depend on the library's
 * own detector to decide whether it has a THP to test.
 */
#ifndef NVSVM_TEST_THP_PROBE_H
#define NVSVM_TEST_THP_PROBE_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * AnonHugePages in kB of the mapping that contains addr, or -1 when
 * smaps cannot be read or has no such mapping.
 */
static inline long
thp_probe_anon_huge_kb(const void *addr)
{
   uintptr_t a = (uintptr_t)addr;
   char line[512];
   bool inside = false;
   long kb = -1;
   FILE *f = fopen("/proc/self/smaps", "re");

   if (!f)
      return -1;
   while (fgets(line, sizeof(line), f)) {
      uintptr_t start, end;
      long v;

      if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &start, &end) == 2 &&
          line[0] != ' ') {
         if (inside)
            break;
         inside = start <= a && a < end;
         continue;
      }
      if (inside && sscanf(line, "AnonHugePages: %ld kB", &v) == 1) {
         kb = v;
         break;
      }
   }
   fclose(f);
   return kb;
}

/* True when at least size bytes of addr's mapping are anonymous THP. */
static inline bool
thp_probe_backed(const void *addr, size_t size)
{
   long kb = thp_probe_anon_huge_kb(addr);

   return kb >= 0 && (size_t)kb * 1024 >= size;
}

#endif /* NVSVM_TEST_THP_PROBE_H */
