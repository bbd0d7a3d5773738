/* SPDX-License-Identifier: MIT */
/* Every return value of libnvsvm has a name and a reason. */

#include <errno.h>

#include "nvsvm/nvsvm.h"
#include "harness.h"

TEST(every_own_error_has_a_name_and_reason)
{
   for (int e = NVSVM_E_BASE + 1; e < NVSVM_E_LAST; e++) {
      ASSERT_TRUE(strncmp(nvsvm_error_name(-e), "NVSVM_E_", 8) == 0);
      ASSERT_TRUE(strcmp(nvsvm_strerror(-e), "unknown error") != 0);
   }
}

TEST(errno_values_keep_their_libc_names)
{
   ASSERT_STREQ(nvsvm_error_name(-ENOSYS), "ENOSYS");
   ASSERT_STREQ(nvsvm_error_name(-EBUSY), "EBUSY");
   ASSERT_STREQ(nvsvm_error_name(0), "OK");
}

TEST(svm_init_errnos_name_the_nouveau_cause)
{
   ASSERT_TRUE(strstr(nvsvm_svm_init_strerror(-ENOSYS),
                      "CONFIG_DRM_NOUVEAU_SVM") != NULL);
   ASSERT_TRUE(strstr(nvsvm_svm_init_strerror(-ENOSYS), "Pascal") != NULL);
   ASSERT_TRUE(strstr(nvsvm_svm_init_strerror(-EBUSY),
                      "already initialised") != NULL);
   ASSERT_TRUE(strstr(nvsvm_svm_init_strerror(-EINVAL), "VA space") != NULL);
}

TEST_HARNESS_MAIN
