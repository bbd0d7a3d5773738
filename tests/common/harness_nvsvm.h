/* SPDX-License-Identifier: MIT */
/*
 * harness.h checks for calls into libnvsvm: a call that returns 0 or a
 * negative errno / NVSVM_E_* code, printed with its name and meaning.
 */
#ifndef NVSVM_HARNESS_NVSVM_H
#define NVSVM_HARNESS_NVSVM_H

#include "harness.h"
#include "nvsvm/nvsvm.h"

#define HARNESS_RET(bail, call, want)                                \
   do {                                                              \
      int _hr = (call), _hw = (want);                                \
      if (_hr != _hw) {                                              \
         MARK_FAIL("%s = %d %s (%s), want %s", #call, _hr,           \
                   nvsvm_error_name(_hr), nvsvm_strerror(_hr),       \
                   nvsvm_error_name(_hw));                           \
         if (bail)                                                   \
            harness_bail();                                          \
      }                                                              \
   } while (0)

#define ASSERT_RET(call, want) HARNESS_RET(true, call, want)
#define ASSERT_OK(call) HARNESS_RET(true, call, 0)
#define EXPECT_RET(call, want) HARNESS_RET(false, call, want)
#define EXPECT_OK(call) HARNESS_RET(false, call, 0)

#endif /* NVSVM_HARNESS_NVSVM_H */
