/* SPDX-License-Identifier: MIT */
/*
 * Behaviour recorded per kernel: a scenario observes a value, compares it
 * with what was measured on this kernel version before, and prints one
 * line that tools/vm/kernel-table.py collects into the per-kernel results
 * (and the table of docs/kernel-path.md):
 *
 *    # recorded[7.2] what = value (expected value)
 *
 * Pass when it matches, fail when it differs, warn (with the value, to be
 * recorded) when this kernel has no record yet.
 */
#ifndef NVSVM_KERNEL_RECORD_H
#define NVSVM_KERNEL_RECORD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "nvsvm/nvsvm.h"

/* What a comparison with the record says. */
enum kr_result {
   KR_PASS,   /* the value recorded for this kernel */
   KR_FAIL,   /* a changed value */
   KR_WARN,   /* no record for this kernel yet */
};

struct kr_expect {
   const char *version;   /* "6.12" */
   long value;
};

/* "6.12" from NVSVM_KERNEL if set, else from uname -r. */
static inline void
kr_version(char *buf, size_t size)
{
   const char *env = getenv("NVSVM_KERNEL");
   struct utsname uts;
   const char *rel = env && *env ? env : NULL;
   unsigned a = 0, b = 0;

   if (!rel && uname(&uts) == 0)
      rel = uts.release;
   if (rel && sscanf(rel, "%u.%u", &a, &b) == 2)
      snprintf(buf, size, "%u.%u", a, b);
   else
      snprintf(buf, size, "unknown");
}

static inline enum kr_result
kr_recorded_for(const char *v, const char *what,
                const struct kr_expect *table, long observed)
{
   for (const struct kr_expect *e = table; e->version; e++) {
      if (strcmp(e->version, v) != 0)
         continue;
      printf("# recorded[%s] %s = %ld%s%s%s (expected %ld)\n", v, what,
             observed, observed < 0 ? " (" : "",
             observed < 0 ? nvsvm_error_name((int)observed) : "",
             observed < 0 ? ")" : "", e->value);
      if (observed != e->value) {
         printf("# FAIL: %s changed on %s: %ld, recorded %ld\n", what, v,
                observed, e->value);
         return KR_FAIL;
      }
      return KR_PASS;
   }
   printf("# recorded[%s] %s = %ld (no record for this kernel: warn)\n", v,
          what, observed);
   return KR_WARN;
}

/* The same for the kernel this runs on. */
static inline enum kr_result
kr_recorded(const char *what, const struct kr_expect *table, long observed)
{
   char v[16];

   kr_version(v, sizeof(v));
   return kr_recorded_for(v, what, table, observed);
}

/*
 * The same check inside a test on the shared harness (harness.h): a
 * changed value is a failure, a kernel without a record a warning.
 */
#define KR_EXPECT_FOR(version, what, table, observed)                  \
   do {                                                                \
      enum kr_result _kr = kr_recorded_for((version), (what), (table), \
                                           (observed));                \
      if (_kr == KR_FAIL)                                              \
         MARK_FAIL("%s changed on this kernel", (what));               \
      else if (_kr == KR_WARN)                                         \
         MARK_WARN("%s: no record for this kernel", (what));           \
   } while (0)

/* The same for the kernel this runs on (kr_version()). */
#define KR_EXPECT(what, table, observed)                               \
   do {                                                                \
      char _krv[16];                                                   \
      kr_version(_krv, sizeof(_krv));                                  \
      KR_EXPECT_FOR(_krv, (what), (table), (observed));                \
   } while (0)

#endif
