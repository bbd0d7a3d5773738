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
#include "piglit.h"

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

static inline enum piglit_result
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
         return PIGLIT_FAIL;
      }
      return PIGLIT_PASS;
   }
   printf("# recorded[%s] %s = %ld (no record for this kernel: warn)\n", v,
          what, observed);
   return PIGLIT_WARN;
}

/* The same for the kernel this runs on. */
static inline enum piglit_result
kr_recorded(const char *what, const struct kr_expect *table, long observed)
{
   char v[16];

   kr_version(v, sizeof(v));
   return kr_recorded_for(v, what, table, observed);
}

/* Worst of two results, for scenarios that record several things. */
static inline enum piglit_result
kr_worst(enum piglit_result a, enum piglit_result b)
{
   if (a == PIGLIT_FAIL || b == PIGLIT_FAIL)
      return PIGLIT_FAIL;
   if (a == PIGLIT_WARN || b == PIGLIT_WARN)
      return PIGLIT_WARN;
   if (a == PIGLIT_SKIP || b == PIGLIT_SKIP)
      return PIGLIT_SKIP;
   return PIGLIT_PASS;
}

/*
 * The same check inside a test on the shared harness (harness.h): a
 * changed value is a failure, a kernel without a record a warning.
 */
#define KR_EXPECT(what, table, observed)                               \
   do {                                                                \
      enum piglit_result _kr = kr_recorded((what), (table), (observed)); \
      if (_kr == PIGLIT_FAIL)                                          \
         MARK_FAIL("%s changed on this kernel", (what));               \
      else if (_kr == PIGLIT_WARN)                                     \
         MARK_WARN("%s: no record for this kernel", (what));           \
   } while (0)

#endif
