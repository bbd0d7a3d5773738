/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: the hmm backend's pinned test-device uAPI.
 * Numbers come from each kernel's lib/test_hmm_uapi.h; an unpinned
 * kernel is refused by name, never guessed at.
 */

#include "kt_common.h"
#include "nvsvm_backend_hmm.h"

TEST(pinned_kernels_select_their_own_numbers)
{
   static const char *const releases[] = {
      "6.1.0-28-amd64", "6.1.119", "6.6.14", "6.12.117", "6.12.38+deb13",
      "7.2.13", "7.2.0-1-amd64",
   };
   static const char *const want[] = {
      "6.1", "6.1", "6.6", "6.12", "6.12", "7.2", "7.2",
   };
   const struct nvsvm_hmm_uapi *u;

   for (unsigned i = 0; i < sizeof(releases) / sizeof(releases[0]); i++) {
      ASSERT_OK(nvsvm_hmm_uapi_select(releases[i], NULL, &u));
      if (strcmp(u->name, want[i]) != 0)
         FAIL("%s selected %s, want %s", releases[i], u->name, want[i]);
      /* lib/test_hmm_uapi.h of 6.1, 6.6, 6.12, 7.2: 'H' 0x00..0x06. */
      ASSERT_EQ(u->read, 0);
      ASSERT_EQ(u->write, 1);
      ASSERT_EQ(u->migrate_to_dev, 2);
      ASSERT_EQ(u->migrate_to_sys, 3);
      ASSERT_EQ(u->snapshot, 4);
      ASSERT_EQ(u->exclusive, 5);
      ASSERT_EQ(u->check_exclusive, 6);
   }
}

TEST(unpinned_kernels_refused_override_wins)
{
   static const char *const refused[] = {
      "6.10.0", "6.13.2", "5.15.0-91-generic", "7.0", "7.1.3", "7.20",
      "", "six", "6", "6.",
   };
   const struct nvsvm_hmm_uapi *u = (void *)1;

   for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
      ASSERT_EQ(nvsvm_hmm_uapi_select(refused[i], NULL, &u),
                -NVSVM_E_KERNEL_UNKNOWN);
      ASSERT_TRUE(u == NULL);
   }
   ASSERT_EQ(nvsvm_hmm_uapi_select(NULL, NULL, &u),
             -NVSVM_E_KERNEL_UNKNOWN);
   /* NVSVM_HMM_UAPI names the numbers to use, whatever is running. */
   ASSERT_OK(nvsvm_hmm_uapi_select("6.13.2", "6.12", &u));
   ASSERT_TRUE(strcmp(u->name, "6.12") == 0);
   ASSERT_EQ(nvsvm_hmm_uapi_select("6.12.117", "5.4", &u),
             -NVSVM_E_KERNEL_UNKNOWN);
   /* An empty override is no override. */
   ASSERT_OK(nvsvm_hmm_uapi_select("6.1.0", "", &u));
   ASSERT_TRUE(strcmp(u->name, "6.1") == 0);
   ASSERT_TRUE(strcmp(nvsvm_error_name(-NVSVM_E_KERNEL_UNKNOWN),
                      "NVSVM_E_KERNEL_UNKNOWN") == 0);
}

/* On the device: this kernel is pinned, a bogus override is refused. */
TEST_F(hmm, device_open_refuses_unpinned_override_by_name)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_device_info info;
   const struct nvsvm_hmm_uapi *u;
   struct utsname uts;
   int ret;

   ASSERT_OK(nvsvm_device_get_info(dev, &info));
   ASSERT_EQ(info.backend, NVSVM_BACKEND_HMM);
   ASSERT_TRUE(strcmp(info.driver, "hmm_dmirror") == 0);
   ASSERT_EQ(uname(&uts), 0);
   ASSERT_OK(nvsvm_hmm_uapi_select(uts.release, NULL, &u));
   ASSERT_EQ(info.version_major, (int)u->major);
   ASSERT_EQ(info.version_minor, (int)u->minor);
   printf("# %s: kernel %s uses the numbers pinned for %s\n", info.path,
          self->k.release, u->name);
   nvsvm_device_close(dev);
   self->dev = NULL;

   /* What opens here is closed by the teardown. */
   setenv("NVSVM_HMM_UAPI", "5.4", 1);
   ret = nvsvm_device_open(KT_DEV0, &self->dev);
   unsetenv("NVSVM_HMM_UAPI");
   ASSERT_EQ(ret, -NVSVM_E_KERNEL_UNKNOWN);
   ASSERT_TRUE(self->dev == NULL);

   /* A file that is not a dmirror is not ours: no ioctl reaches it. */
   ret = nvsvm_device_open("/dev/null", &self->dev);
   ASSERT_EQ(ret, -NVSVM_E_NOT_SUPPORTED);
}

TEST_HARNESS_MAIN
