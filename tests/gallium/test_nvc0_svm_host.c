/* SPDX-License-Identifier: MIT */
/*
 * nvc0 SVM hooks on a machine without an SVM device: every way SVM stays
 * off is named, caps stay false, and migrate refuses loudly. The kernel
 * answers are real (a non-DRM fd, real mappings); nothing is faked.
 */

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nvc0_svm.h"
#include "nvsvm/nvsvm.h"
#include "harness.h"

struct log_capture {
   unsigned errors, infos;
   char last[256];
};

static void
capture_log(void *data, enum nvc0_svm_log_level level, const char *msg)
{
   struct log_capture *c = data;

   if (level == NVC0_SVM_LOG_ERROR)
      c->errors++;
   else
      c->infos++;
   snprintf(c->last, sizeof(c->last), "%s", msg);
}

static int
init_on_dev_null(struct nvc0_svm *svm, struct log_capture *cap)
{
   struct nvc0_svm_screen_params p = {
      .chipset = 0x134, .vram_size = 8ull << 30,
      .log = capture_log, .log_data = cap,
   };
   int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
   int ret = nvc0_svm_screen_init(svm, fd, &p);

   close(fd);
   return ret;
}

static bool
caps_all_false(const struct nvc0_svm *svm)
{
   return !svm->caps.system_svm && !svm->caps.fine_grain_system &&
          !svm->caps.atomics && !svm->enabled;
}

TEST(svm_stays_off_without_opt_in_and_says_so)
{
   struct nvc0_svm svm;
   struct log_capture cap = { 0 };

   unsetenv("NOUVEAU_SVM");
   ASSERT_NE(init_on_dev_null(&svm, &cap), 0);
   ASSERT_TRUE(caps_all_false(&svm));
   ASSERT_TRUE(strstr(svm.reason, "NOUVEAU_SVM=1") != NULL);
   ASSERT_TRUE(strstr(cap.last, "SVM off") != NULL);
   nvc0_svm_screen_fini(&svm);
}

TEST(non_boolean_nouveau_svm_is_a_named_error)
{
   struct nvc0_svm svm;
   struct log_capture cap = { 0 };

   setenv("NOUVEAU_SVM", "maybe", 1);
   ASSERT_EQ(init_on_dev_null(&svm, &cap), -EINVAL);
   ASSERT_TRUE(caps_all_false(&svm));
   ASSERT_TRUE(strstr(svm.reason, "maybe") != NULL);
   ASSERT_GE(cap.errors, 1);
   unsetenv("NOUVEAU_SVM");
   nvc0_svm_screen_fini(&svm);
}

TEST(non_drm_fd_leaves_caps_false_with_the_kernel_reason)
{
   struct nvc0_svm svm;
   struct log_capture cap = { 0 };
   int ret;

   setenv("NOUVEAU_SVM", "1", 1);
   ret = init_on_dev_null(&svm, &cap);
   unsetenv("NOUVEAU_SVM");
   ASSERT_LT(ret, 0);
   ASSERT_EQ(svm.init_error, ret);
   ASSERT_TRUE(caps_all_false(&svm));
   /* The reason carries the library's name for the error. */
   ASSERT_TRUE(strstr(svm.reason, nvsvm_error_name(ret)) != NULL);
   ASSERT_TRUE(svm.dev == NULL);
   nvc0_svm_screen_fini(&svm);
}

TEST(migrate_with_svm_off_fails_every_range_loudly)
{
   struct nvc0_svm svm;
   struct log_capture cap = { 0 };
   char buf[64];
   const void *ptrs[2] = { buf, buf + 32 };
   size_t sizes[2] = { 32, 32 };

   unsetenv("NOUVEAU_SVM");
   init_on_dev_null(&svm, &cap);
   cap.errors = 0;
   ASSERT_EQ(nvc0_svm_migrate(&svm, 2, ptrs, sizes, true, false), 2);
   ASSERT_EQ(svm.stats.migrate_errors, 2);
   ASSERT_GE(cap.errors, 1);
   nvc0_svm_screen_fini(&svm);
}

TEST(atomic_range_check_names_shared_memory_before_the_gpu_would)
{
   struct nvc0_svm svm;
   struct log_capture cap = { 0 };
   void *shared;

   setenv("NOUVEAU_SVM_CHECK", "1", 1);
   unsetenv("NOUVEAU_SVM");
   init_on_dev_null(&svm, &cap);
   unsetenv("NOUVEAU_SVM_CHECK");
   ASSERT_TRUE(svm.check_ranges);
   shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
   ASSERT_TRUE(shared != MAP_FAILED);
   cap.errors = 0;
   ASSERT_EQ(nvc0_svm_check_atomic_range(&svm, shared, 4096),
             -NVSVM_E_RANGE);
   munmap(shared, 4096);
   ASSERT_EQ(svm.stats.range_warnings, 1);
   ASSERT_TRUE(strstr(cap.last, "(SHARED)") != NULL);
   nvc0_svm_screen_fini(&svm);
}

TEST(atomic_range_check_accepts_malloc_memory)
{
   struct nvc0_svm svm;
   struct log_capture cap = { 0 };
   void *p;

   setenv("NOUVEAU_SVM_CHECK", "1", 1);
   init_on_dev_null(&svm, &cap);
   unsetenv("NOUVEAU_SVM_CHECK");
   p = malloc(4096);
   ASSERT_TRUE(p != NULL);
   memset(p, 1, 4096);
   ASSERT_EQ(nvc0_svm_check_atomic_range(&svm, p, 4096), 0);
   free(p);
   ASSERT_EQ(svm.stats.range_warnings, 0);
   nvc0_svm_screen_fini(&svm);
}

TEST_HARNESS_MAIN
