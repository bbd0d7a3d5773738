/* SPDX-License-Identifier: MIT */
/*
 * Checks for piglit-style scenarios (kt-*, vt-*): each scenario declares
 * `enum piglit_result res = PIGLIT_FAIL;` and ends with an `out:` label
 * that releases what it took. A check prints what it saw and jumps there.
 */
#ifndef NVSVM_PIGLIT_CHECK_H
#define NVSVM_PIGLIT_CHECK_H

#include <stdio.h>

#include "nvsvm/nvsvm.h"
#include "piglit.h"

#define PG_FAIL(...)                                                   \
   do {                                                                \
      printf("# FAIL %s:%d: ", __FILE__, __LINE__);                    \
      printf(__VA_ARGS__);                                             \
      printf("\n");                                                    \
      res = PIGLIT_FAIL;                                               \
      goto out;                                                        \
   } while (0)

#define PG_SKIP(...)                                                   \
   do {                                                                \
      printf("# SKIP: ");                                              \
      printf(__VA_ARGS__);                                             \
      printf("\n");                                                    \
      res = PIGLIT_SKIP;                                               \
      goto out;                                                        \
   } while (0)

#define PG_ASSERT(c)                                                   \
   do {                                                                \
      if (!(c))                                                        \
         PG_FAIL("%s is false", #c);                                   \
   } while (0)

/* Signed, so negative errno values order as they read. */
#define PG_ASSERT_OP(a, op, b)                                         \
   do {                                                                \
      long long _a = (long long)(a), _b = (long long)(b);              \
      if (!(_a op _b))                                                 \
         PG_FAIL("%s %s %s: %lld vs %lld", #a, #op, #b, _a, _b);       \
   } while (0)
#define PG_ASSERT_EQ(a, b) PG_ASSERT_OP(a, ==, b)
#define PG_ASSERT_NE(a, b) PG_ASSERT_OP(a, !=, b)
#define PG_ASSERT_LE(a, b) PG_ASSERT_OP(a, <=, b)
#define PG_ASSERT_LT(a, b) PG_ASSERT_OP(a, <, b)
#define PG_ASSERT_GE(a, b) PG_ASSERT_OP(a, >=, b)
#define PG_ASSERT_GT(a, b) PG_ASSERT_OP(a, >, b)

/* A call that returns 0 or a negative errno / NVSVM_E_* code. */
#define PG_ASSERT_RET(call, want)                                      \
   do {                                                                \
      int _r = (call), _w = (want);                                    \
      if (_r != _w)                                                    \
         PG_FAIL("%s = %d %s (%s), want %s", #call, _r,                \
                 nvsvm_error_name(_r), nvsvm_strerror(_r),             \
                 nvsvm_error_name(_w));                                \
   } while (0)
#define PG_OK(call) PG_ASSERT_RET(call, 0)

#endif /* NVSVM_PIGLIT_CHECK_H */
