/* SPDX-License-Identifier: MIT */
/*
 * Piglit result lines for our test binaries (kernel-path, vsvm, OpenCL):
 * enumerate subtests, report each, then the overall result and the plain
 * "N passed, N failed, N skipped" line. Header-only so every test family
 * can use it without a library.
 */
#ifndef NVSVM_PIGLIT_H
#define NVSVM_PIGLIT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum piglit_result {
   PIGLIT_PASS,
   PIGLIT_FAIL,
   PIGLIT_SKIP,
   PIGLIT_WARN,
};

struct piglit_subtest {
   const char *name;
   /* Runs the scenario; may print "# ..." detail lines. */
   enum piglit_result (*fn)(void *ctx);
};

static inline const char *
piglit_result_str(enum piglit_result r)
{
   switch (r) {
   case PIGLIT_PASS: return "pass";
   case PIGLIT_FAIL: return "fail";
   case PIGLIT_SKIP: return "skip";
   case PIGLIT_WARN: return "warn";
   }
   return "fail";
}

/* A detail line; piglit keeps it in the test's output. */
static inline void
piglit_note(const char *fmt, ...)
{
   va_list ap;
   printf("# ");
   va_start(ap, fmt);
   vprintf(fmt, ap);
   va_end(ap);
   printf("\n");
   fflush(stdout);
}

static inline void
piglit_report_subtest(const char *name, enum piglit_result r)
{
   printf("PIGLIT: {\"subtest\": {\"%s\": \"%s\"}}\n", name,
          piglit_result_str(r));
   fflush(stdout);
}

static inline void
piglit_report_result(enum piglit_result r)
{
   printf("PIGLIT: {\"result\": \"%s\"}\n", piglit_result_str(r));
   fflush(stdout);
}

/*
 * Run the subtests named on the command line (or all, or those after
 * "-subtest NAME" as piglit passes them), report each, print the summary
 * line and return the exit status piglit expects: 0 for pass/skip/warn.
 */
static inline int
piglit_run_subtests(const struct piglit_subtest *tests, unsigned n,
                    void *ctx, int argc, char **argv)
{
   unsigned pass = 0, fail = 0, skip = 0;
   enum piglit_result overall = PIGLIT_SKIP;
   const char *only = NULL;

   for (int i = 1; i + 1 < argc; i++) {
      if (strcmp(argv[i], "-subtest") == 0)
         only = argv[i + 1];
   }

   printf("PIGLIT: {\"enumerate subtests\": [");
   for (unsigned i = 0; i < n; i++)
      printf("%s\"%s\"", i ? ", " : "", tests[i].name);
   printf("]}\n");
   fflush(stdout);

   for (unsigned i = 0; i < n; i++) {
      enum piglit_result r;

      if (only && strcmp(only, tests[i].name) != 0)
         continue;
      r = tests[i].fn(ctx);
      piglit_report_subtest(tests[i].name, r);
      if (r == PIGLIT_FAIL) {
         fail++;
         overall = PIGLIT_FAIL;
      } else if (r == PIGLIT_SKIP) {
         skip++;
      } else {
         pass++;
         if (overall == PIGLIT_SKIP)
            overall = PIGLIT_PASS;
         if (r == PIGLIT_WARN && overall == PIGLIT_PASS)
            overall = PIGLIT_WARN;
      }
   }
   piglit_report_result(overall);
   printf("%u passed, %u failed, %u skipped\n", pass, fail, skip);
   return overall == PIGLIT_FAIL ? 1 : 0;
}

#endif /* NVSVM_PIGLIT_H */
