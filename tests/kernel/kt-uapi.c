/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: the hmm backend's pinned test-device uAPI.
 * Numbers come from each kernel's lib/test_hmm_uapi.h; an unpinned
 * kernel is refused by name, never guessed at.
 */

#include "kt_common.h"
#include "nvsvm_backend_hmm.h"

struct kt_ctx {
   struct kt_kernel k;
};

static enum piglit_result
pinned_kernels_select_their_own_numbers(void *data)
{
   static const char *const releases[] = {
      "6.1.0-28-amd64", "6.1.119", "6.6.14", "6.12.117", "6.12.38+deb13",
      "7.2.13", "7.2.0-1-amd64",
   };
   static const char *const want[] = {
      "6.1", "6.1", "6.6", "6.12", "6.12", "7.2", "7.2",
   };
   enum piglit_result res = PIGLIT_FAIL;
   const struct nvsvm_hmm_uapi *u;

   (void)data;
   for (unsigned i = 0; i < sizeof(releases) / sizeof(releases[0]); i++) {
      PG_OK(nvsvm_hmm_uapi_select(releases[i], NULL, &u));
      if (strcmp(u->name, want[i]) != 0)
         PG_FAIL("%s selected %s, want %s", releases[i], u->name, want[i]);
      /* lib/test_hmm_uapi.h of 6.1, 6.6, 6.12, 7.2: 'H' 0x00..0x06. */
      PG_ASSERT_EQ(u->read, 0);
      PG_ASSERT_EQ(u->write, 1);
      PG_ASSERT_EQ(u->migrate_to_dev, 2);
      PG_ASSERT_EQ(u->migrate_to_sys, 3);
      PG_ASSERT_EQ(u->snapshot, 4);
      PG_ASSERT_EQ(u->exclusive, 5);
      PG_ASSERT_EQ(u->check_exclusive, 6);
   }
   res = PIGLIT_PASS;
out:
   return res;
}

static enum piglit_result
unpinned_kernels_refused_override_wins(void *data)
{
   static const char *const refused[] = {
      "6.10.0", "6.13.2", "5.15.0-91-generic", "7.0", "7.1.3", "7.20",
      "", "six", "6", "6.",
   };
   enum piglit_result res = PIGLIT_FAIL;
   const struct nvsvm_hmm_uapi *u = (void *)1;

   (void)data;
   for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
      PG_ASSERT_EQ(nvsvm_hmm_uapi_select(refused[i], NULL, &u),
                   -NVSVM_E_KERNEL_UNKNOWN);
      PG_ASSERT(u == NULL);
   }
   PG_ASSERT_EQ(nvsvm_hmm_uapi_select(NULL, NULL, &u),
                -NVSVM_E_KERNEL_UNKNOWN);
   /* NVSVM_HMM_UAPI names the numbers to use, whatever is running. */
   PG_OK(nvsvm_hmm_uapi_select("6.13.2", "6.12", &u));
   PG_ASSERT(strcmp(u->name, "6.12") == 0);
   PG_ASSERT_EQ(nvsvm_hmm_uapi_select("6.12.117", "5.4", &u),
                -NVSVM_E_KERNEL_UNKNOWN);
   /* An empty override is no override. */
   PG_OK(nvsvm_hmm_uapi_select("6.1.0", "", &u));
   PG_ASSERT(strcmp(u->name, "6.1") == 0);
   PG_ASSERT(strcmp(nvsvm_error_name(-NVSVM_E_KERNEL_UNKNOWN),
                    "NVSVM_E_KERNEL_UNKNOWN") == 0);
   res = PIGLIT_PASS;
out:
   return res;
}

/* On the device: this kernel is pinned, a bogus override is refused. */
static enum piglit_result
device_open_refuses_unpinned_override_by_name(void *data)
{
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   struct nvsvm_device_info info;
   const struct nvsvm_hmm_uapi *u;
   struct utsname uts;
   int ret;

   KT_OPEN(KT_DEV0, &dev);
   PG_OK(nvsvm_device_get_info(dev, &info));
   PG_ASSERT_EQ(info.backend, NVSVM_BACKEND_HMM);
   PG_ASSERT(strcmp(info.driver, "hmm_dmirror") == 0);
   PG_ASSERT_EQ(uname(&uts), 0);
   PG_OK(nvsvm_hmm_uapi_select(uts.release, NULL, &u));
   PG_ASSERT_EQ(info.version_major, (int)u->major);
   PG_ASSERT_EQ(info.version_minor, (int)u->minor);
   printf("# %s: kernel %s uses the numbers pinned for %s\n", info.path,
          ctx->k.release, u->name);
   nvsvm_device_close(dev);
   dev = NULL;

   setenv("NVSVM_HMM_UAPI", "5.4", 1);
   ret = nvsvm_device_open(KT_DEV0, &dev);
   unsetenv("NVSVM_HMM_UAPI");
   PG_ASSERT_EQ(ret, -NVSVM_E_KERNEL_UNKNOWN);
   PG_ASSERT(dev == NULL);

   /* A file that is not a dmirror is not ours: no ioctl reaches it. */
   ret = nvsvm_device_open("/dev/null", &dev);
   PG_ASSERT_EQ(ret, -NVSVM_E_NOT_SUPPORTED);
   res = PIGLIT_PASS;
out:
   unsetenv("NVSVM_HMM_UAPI");
   nvsvm_device_close(dev);
   return res;
}

int
main(int argc, char **argv)
{
   static const struct piglit_subtest tests[] = {
      { "pinned_kernels_select_their_own_numbers",
        pinned_kernels_select_their_own_numbers },
      { "unpinned_kernels_refused_override_wins",
        unpinned_kernels_refused_override_wins },
      { "device_open_refuses_unpinned_override_by_name",
        device_open_refuses_unpinned_override_by_name },
   };
   struct kt_ctx ctx;

   kt_kernel_get(&ctx.k);
   printf("# kernel %s (%s)\n", ctx.k.release, ctx.k.version);
   return piglit_run_subtests(tests, sizeof(tests) / sizeof(tests[0]), &ctx,
                              argc, argv);
}
