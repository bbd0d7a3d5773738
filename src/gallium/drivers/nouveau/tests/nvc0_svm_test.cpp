/*
 * Copyright © 2025 nvsvm authors
 * SPDX-License-Identifier: MIT
 */

/*
 * nvc0 SVM hooks without a GPU (Mesa's meson test, suite 'nouveau'): the
 * opt-in, refusals that leave SVM off with a named reason and no window,
 * idempotent teardown, and migrate/range-check errors that are counted and
 * logged, never dropped.
 */

#include <gtest/gtest.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

extern "C" {
#include "nvc0_svm.h"
}

namespace {

struct log_capture {
   std::vector<std::pair<nvc0_svm_log_level, std::string>> lines;

   unsigned
   count(nvc0_svm_log_level level) const
   {
      unsigned n = 0;
      for (const auto &l : lines)
         n += l.first == level;
      return n;
   }
};

void
capture_log(void *data, enum nvc0_svm_log_level level, const char *msg)
{
   static_cast<log_capture *>(data)->lines.emplace_back(level, msg);
}

/* Mappings of this process: a refused SVM setup must not add one. */
unsigned
count_mappings(void)
{
   FILE *f = fopen("/proc/self/maps", "r");
   unsigned n = 0;
   int c;

   if (!f)
      return 0;
   while ((c = fgetc(f)) != EOF)
      n += c == '\n';
   fclose(f);
   return n;
}

class nvc0_svm_test : public ::testing::Test {
protected:
   void
   SetUp() override
   {
      unsetenv("NOUVEAU_SVM");
      unsetenv("NOUVEAU_SVM_CHECK");
      memset(&svm, 0, sizeof(svm));
      params.chipset = 0x134;
      params.vram_size = 8ull << 30;
      params.log = capture_log;
      params.log_data = &log;
   }

   void
   TearDown() override
   {
      nvc0_svm_screen_fini(&svm);
      unsetenv("NOUVEAU_SVM");
      unsetenv("NOUVEAU_SVM_CHECK");
   }

   struct nvc0_svm svm;
   struct nvc0_svm_screen_params params = {};
   log_capture log;
};

void
expect_off(const struct nvc0_svm &svm)
{
   EXPECT_FALSE(svm.enabled);
   EXPECT_FALSE(svm.caps.system_svm);
   EXPECT_FALSE(svm.caps.fine_grain_system);
   EXPECT_FALSE(svm.caps.atomics);
   EXPECT_EQ(svm.dev, nullptr);
   EXPECT_NE(svm.reason[0], '\0');
}

} /* namespace */

TEST_F(nvc0_svm_test, off_unless_requested)
{
   int fd = open("/dev/null", O_RDWR);
   ASSERT_GE(fd, 0);

   EXPECT_LT(nvc0_svm_screen_init(&svm, fd, &params), 0);
   expect_off(svm);
   EXPECT_NE(strstr(svm.reason, "NOUVEAU_SVM=1"), nullptr) << svm.reason;
   /* Not asking is not an error. */
   EXPECT_EQ(log.count(NVC0_SVM_LOG_ERROR), 0u);
   close(fd);
}

TEST_F(nvc0_svm_test, opt_in_must_be_a_boolean)
{
   setenv("NOUVEAU_SVM", "maybe", 1);
   EXPECT_EQ(nvc0_svm_screen_init(&svm, -1, &params), -EINVAL);
   expect_off(svm);
   EXPECT_NE(strstr(svm.reason, "maybe"), nullptr) << svm.reason;
}

TEST_F(nvc0_svm_test, refused_fd_leaves_no_window)
{
   int fd = open("/dev/null", O_RDWR);
   unsigned before;

   ASSERT_GE(fd, 0);
   setenv("NOUVEAU_SVM", "1", 1);
   before = count_mappings();
   EXPECT_LT(nvc0_svm_screen_init(&svm, fd, &params), 0);
   expect_off(svm);
   EXPECT_EQ(svm.init_error < 0, true);
   EXPECT_EQ(count_mappings(), before);
   /* A refusal is reported, by name, through the screen's callback. */
   ASSERT_GE(log.lines.size(), 1u);
   EXPECT_NE(log.lines.back().second.find("SVM off"), std::string::npos);
   close(fd);
}

TEST_F(nvc0_svm_test, fini_is_idempotent)
{
   setenv("NOUVEAU_SVM", "1", 1);
   EXPECT_LT(nvc0_svm_screen_init(&svm, -1, &params), 0);
   nvc0_svm_screen_fini(&svm);
   nvc0_svm_screen_fini(&svm);
   expect_off(svm);
   nvc0_svm_screen_fini(NULL);
}

TEST_F(nvc0_svm_test, migrate_with_svm_off_counts_every_range)
{
   static char a[4096], b[4096], c[4096];
   const void *ptrs[] = { a, b, c };
   const size_t sizes[] = { sizeof(a), sizeof(b), sizeof(c) };

   EXPECT_LT(nvc0_svm_screen_init(&svm, -1, &params), 0);
   log.lines.clear();
   EXPECT_EQ(nvc0_svm_migrate(&svm, 3, ptrs, sizes, true, false), 3u);
   EXPECT_EQ(svm.stats.migrate_calls, 1u);
   EXPECT_EQ(svm.stats.migrate_errors, 3u);
   EXPECT_EQ(log.count(NVC0_SVM_LOG_ERROR), 1u);
   EXPECT_EQ(nvc0_svm_migrate(NULL, 2, ptrs, sizes, false, true), 2u);
}

TEST_F(nvc0_svm_test, range_check_names_shared_memory)
{
   const size_t len = 4096;
   void *shared, *priv;

   setenv("NOUVEAU_SVM_CHECK", "1", 1);
   EXPECT_LT(nvc0_svm_screen_init(&svm, -1, &params), 0);
   EXPECT_TRUE(svm.check_ranges);

   shared = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
   priv = mmap(NULL, len, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   ASSERT_NE(shared, MAP_FAILED);
   ASSERT_NE(priv, MAP_FAILED);
   memset(priv, 1, len);

   log.lines.clear();
   EXPECT_LT(nvc0_svm_check_atomic_range(&svm, shared, len), 0);
   EXPECT_EQ(svm.stats.range_warnings, 1u);
   ASSERT_EQ(log.count(NVC0_SVM_LOG_ERROR), 1u);
   EXPECT_NE(log.lines.back().second.find("will kill the channel"),
             std::string::npos) << log.lines.back().second;

   EXPECT_EQ(nvc0_svm_check_atomic_range(&svm, priv, len), 0);
   EXPECT_EQ(svm.stats.range_warnings, 1u);

   /* Off: nothing checked, nothing said. */
   svm.check_ranges = false;
   EXPECT_EQ(nvc0_svm_check_atomic_range(&svm, shared, len), 0);

   munmap(shared, len);
   munmap(priv, len);
}
