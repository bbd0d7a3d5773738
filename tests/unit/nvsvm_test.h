/* SPDX-License-Identifier: MIT */
/*
 * A small TAP harness for host unit tests: one scenario per NVSVM_TEST,
 * named for what must hold; failed checks print the values they saw.
 */
#ifndef NVSVM_TEST_H
#define NVSVM_TEST_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nvsvm_t {
   bool failed;
   bool skipped;
   char skip_reason[256];
};

struct nvsvm_test_case {
   const char *name;
   void (*fn)(struct nvsvm_t *t);
};

#define NVSVM_TEST(name) static void name(struct nvsvm_t *t)
#define NVSVM_CASE(name) { #name, name }

#define NVSVM_FAIL_AT(t, ...)                                        \
   do {                                                              \
      printf("#   %s:%d: ", __FILE__, __LINE__);                     \
      printf(__VA_ARGS__);                                           \
      printf("\n");                                                  \
      (t)->failed = true;                                            \
   } while (0)

/* Integer comparisons print both sides on failure, then return. */
#define ASSERT_OP(a, op, b)                                          \
   do {                                                              \
      long long _a = (long long)(a), _b = (long long)(b);            \
      if (!(_a op _b)) {                                             \
         NVSVM_FAIL_AT(t, "%s %s %s: %lld vs %lld", #a, #op, #b,     \
                       _a, _b);                                      \
         return;                                                     \
      }                                                              \
   } while (0)
#define ASSERT_EQ(a, b) ASSERT_OP(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_OP(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_OP(a, <, b)
#define ASSERT_LE(a, b) ASSERT_OP(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_OP(a, >, b)
#define ASSERT_GE(a, b) ASSERT_OP(a, >=, b)
#define ASSERT_U64_EQ(a, b)                                          \
   do {                                                              \
      uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);               \
      if (_a != _b) {                                                \
         NVSVM_FAIL_AT(t, "%s == %s: 0x%" PRIx64 " vs 0x%" PRIx64,   \
                       #a, #b, _a, _b);                              \
         return;                                                     \
      }                                                              \
   } while (0)
#define ASSERT_TRUE(c)                                               \
   do {                                                              \
      if (!(c)) {                                                    \
         NVSVM_FAIL_AT(t, "%s is false", #c);                        \
         return;                                                     \
      }                                                              \
   } while (0)
#define ASSERT_STREQ(a, b)                                           \
   do {                                                              \
      const char *_a = (a), *_b = (b);                               \
      if (!_a || !_b || strcmp(_a, _b) != 0) {                       \
         NVSVM_FAIL_AT(t, "%s == %s: \"%s\" vs \"%s\"", #a, #b,      \
                       _a ? _a : "(null)", _b ? _b : "(null)");      \
         return;                                                     \
      }                                                              \
   } while (0)

/* Skip the current scenario with a reason, then return. */
#define SKIP(...)                                                    \
   do {                                                              \
      t->skipped = true;                                             \
      snprintf(t->skip_reason, sizeof(t->skip_reason), __VA_ARGS__); \
      return;                                                        \
   } while (0)

/* Run cases (all, or those named on the command line); TAP on stdout. */
static inline int
nvsvm_test_main(const struct nvsvm_test_case *cases, size_t n,
                int argc, char **argv)
{
   unsigned pass = 0, fail = 0, skip = 0, idx = 0;
   size_t run = 0;

   for (size_t i = 0; i < n; i++) {
      bool want = argc < 2;
      for (int a = 1; a < argc; a++)
         want |= strcmp(argv[a], cases[i].name) == 0;
      run += want;
   }
   printf("TAP version 13\n1..%zu\n", run);
   fflush(stdout);
   for (size_t i = 0; i < n; i++) {
      struct nvsvm_t t = { 0 };
      bool want = argc < 2;
      for (int a = 1; a < argc; a++)
         want |= strcmp(argv[a], cases[i].name) == 0;
      if (!want)
         continue;
      cases[i].fn(&t);
      idx++;
      if (t.failed) {
         printf("not ok %u %s\n", idx, cases[i].name);
         fail++;
      } else if (t.skipped) {
         printf("ok %u %s # SKIP %s\n", idx, cases[i].name, t.skip_reason);
         skip++;
      } else {
         printf("ok %u %s\n", idx, cases[i].name);
         pass++;
      }
      fflush(stdout);
   }
   printf("# %u passed, %u failed, %u skipped\n", pass, fail, skip);
   return fail ? 1 : 0;
}

#define NVSVM_TEST_MAIN(...)                                           \
   int main(int argc, char **argv)                                     \
   {                                                                   \
      static const struct nvsvm_test_case cases[] = { __VA_ARGS__ };  \
      return nvsvm_test_main(cases, sizeof(cases) / sizeof(cases[0]),  \
                             argc, argv);                              \
   }

#endif /* NVSVM_TEST_H */
