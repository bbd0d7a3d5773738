/* SPDX-License-Identifier: MIT */
/*
 * The unmanaged window: size policy, reservation against real mappings
 * (slot taken, fallback, limit), release, and release when SVM_INIT fails.
 */

#include <errno.h>
#include <stdio.h>

#include "nvsvm/nvsvm.h"
#include "harness.h"
#include "nvsvm_test_dev.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* The perms column of the /proc/self/maps line containing addr. */
static bool
maps_perms(uint64_t addr, char perms[5])
{
   FILE *f = fopen("/proc/self/maps", "re");
   unsigned long long s, e;
   char p[5];
   bool found = false;

   if (!f)
      return false;
   while (fscanf(f, "%llx-%llx %4s%*[^\n]", &s, &e, p) == 3) {
      if (s <= addr && addr < e) {
         memcpy(perms, p, 5);
         found = true;
         break;
      }
   }
   fclose(f);
   return found;
}

static void *
occupy(uint64_t addr, uint64_t len)
{
   void *want = (void *)(uintptr_t)addr;
   void *p = mmap(want, len, PROT_READ,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
                  MAP_FIXED_NOREPLACE, -1, 0);

   return p == want ? p : NULL;
}

TEST(window_size_is_vram_rounded_up_to_a_power_of_two)
{
   ASSERT_U64_EQ(nvsvm_window_size_for_vram(3 * GiB), 4 * GiB);
   ASSERT_U64_EQ(nvsvm_window_size_for_vram(4 * GiB), 4 * GiB);
   ASSERT_U64_EQ(nvsvm_window_size_for_vram(6 * GiB + 1), 8 * GiB);
}

TEST(window_size_is_capped_at_2_pow_39)
{
   ASSERT_U64_EQ(nvsvm_window_size_for_vram(1ull << 40), 1ull << 39);
   ASSERT_U64_EQ(nvsvm_window_size_for_vram(UINT64_MAX), 1ull << 39);
}

TEST(unknown_vram_gets_the_minimum_window)
{
   ASSERT_U64_EQ(nvsvm_window_size_for_vram(0), NVSVM_WINDOW_MIN_SIZE);
   ASSERT_U64_EQ(nvsvm_window_size_for_vram(1), NVSVM_WINDOW_MIN_SIZE);
}

TEST(reserve_refuses_sizes_outside_policy)
{
   struct nvsvm_window w;

   ASSERT_EQ(nvsvm_window_reserve(3 * MiB, 0, 0, &w),
             -NVSVM_E_WINDOW_SIZE);
   ASSERT_EQ(nvsvm_window_reserve(0, 0, 0, &w), -NVSVM_E_WINDOW_SIZE);
   ASSERT_EQ(nvsvm_window_reserve(4096, 0, 0, &w), -NVSVM_E_WINDOW_SIZE);
   ASSERT_EQ(nvsvm_window_reserve(1ull << 40, 0, 0, &w),
             -NVSVM_E_WINDOW_SIZE);
   ASSERT_TRUE(!w.reserved);
}

TEST(free_hint_is_reserved_prot_none_at_exactly_that_address)
{
   uint64_t slot = nvsvm_test_free_slot(2 * MiB, 2);
   struct nvsvm_window w;
   char perms[5] = "";

   ASSERT_NE(slot, 0);
   ASSERT_EQ(nvsvm_window_reserve(2 * MiB, slot, 0, &w), 0);
   ASSERT_U64_EQ(w.addr, slot);
   ASSERT_U64_EQ(w.size, 2 * MiB);
   ASSERT_TRUE(w.reserved);
   ASSERT_TRUE(maps_perms(slot, perms));
   nvsvm_window_release(&w);
   ASSERT_STREQ(perms, "---p");
}

TEST(unaligned_hint_is_rounded_up_to_the_window_alignment)
{
   uint64_t slot = nvsvm_test_free_slot(4 * MiB, 3);
   struct nvsvm_window w;

   ASSERT_NE(slot, 0);
   ASSERT_EQ(nvsvm_window_reserve(4 * MiB, slot + 4096, 0, &w), 0);
   ASSERT_U64_EQ(w.addr, slot + 4 * MiB);
   nvsvm_window_release(&w);
}

TEST(taken_slot_falls_back_to_the_next_aligned_slot)
{
   uint64_t slot = nvsvm_test_free_slot(2 * MiB, 3);
   struct nvsvm_window w;
   void *blocker;
   int ret;

   ASSERT_NE(slot, 0);
   /* One page inside the preferred slot is enough to take it. */
   blocker = occupy(slot + 8192, 4096);
   ASSERT_TRUE(blocker != NULL);
   ret = nvsvm_window_reserve(2 * MiB, slot, 0, &w);
   munmap(blocker, 4096);
   ASSERT_EQ(ret, 0);
   ASSERT_U64_EQ(w.addr, slot + 2 * MiB);
   nvsvm_window_release(&w);
}

TEST(long_occupied_run_is_skipped_in_one_step)
{
   uint64_t slot = nvsvm_test_free_slot(1 * MiB, 6);
   struct nvsvm_window w;
   void *blocker;
   int ret;

   ASSERT_NE(slot, 0);
   blocker = occupy(slot, 3 * MiB + 4096);
   ASSERT_TRUE(blocker != NULL);
   ret = nvsvm_window_reserve(1 * MiB, slot, 0, &w);
   munmap(blocker, 3 * MiB + 4096);
   ASSERT_EQ(ret, 0);
   ASSERT_U64_EQ(w.addr, slot + 4 * MiB);
   nvsvm_window_release(&w);
}

TEST(limit_reached_gives_no_slot_and_maps_nothing)
{
   uint64_t slot = nvsvm_test_free_slot(2 * MiB, 2);
   struct nvsvm_window w;
   void *blocker;
   int ret;

   ASSERT_NE(slot, 0);
   blocker = occupy(slot, 4096);
   ASSERT_TRUE(blocker != NULL);
   ret = nvsvm_window_reserve(2 * MiB, slot, slot + 2 * MiB, &w);
   munmap(blocker, 4096);
   ASSERT_EQ(ret, -NVSVM_E_WINDOW_NO_SLOT);
   ASSERT_TRUE(!w.reserved);
   ASSERT_TRUE(!nvsvm_test_mapped(slot + 2 * MiB, 2 * MiB));
}

TEST(window_never_crosses_the_limit)
{
   uint64_t slot = nvsvm_test_free_slot(2 * MiB, 2);
   struct nvsvm_window w;

   ASSERT_NE(slot, 0);
   ASSERT_EQ(nvsvm_window_reserve(2 * MiB, slot, slot + 2 * MiB - 4096,
                                  &w),
             -NVSVM_E_WINDOW_NO_SLOT);
}

TEST(release_unmaps_the_window)
{
   uint64_t slot = nvsvm_test_free_slot(2 * MiB, 2);
   struct nvsvm_window w;

   ASSERT_NE(slot, 0);
   ASSERT_EQ(nvsvm_window_reserve(2 * MiB, slot, 0, &w), 0);
   ASSERT_TRUE(nvsvm_test_mapped(slot, 2 * MiB));
   nvsvm_window_release(&w);
   ASSERT_TRUE(!w.reserved);
   ASSERT_TRUE(!nvsvm_test_mapped(slot, 2 * MiB));
   /* Twice is harmless. */
   nvsvm_window_release(&w);
}

/* The nouveau backend's SVM_INIT fails for real on a non-DRM file. */
TEST(failed_svm_init_releases_the_window)
{
   struct nvsvm_device *dev = nvsvm_test_devnull_nouveau();
   uint64_t slot = nvsvm_test_free_slot(2 * MiB, 2);
   struct nvsvm_svm_params params = {
      .window_size = 2 * MiB,
      .window_hint = slot,
   };
   struct nvsvm_window w;
   int ret;

   ASSERT_TRUE(dev != NULL);
   ASSERT_NE(slot, 0);
   ret = nvsvm_svm_init(dev, &params);
   ASSERT_EQ(ret, -ENOTTY);
   ASSERT_TRUE(!nvsvm_svm_enabled(dev));
   ASSERT_EQ(nvsvm_svm_window(dev, &w), -NVSVM_E_NO_SVM);
   nvsvm_device_close(dev);
   ASSERT_TRUE(!nvsvm_test_mapped(slot, 2 * MiB));
}

TEST(svm_init_with_a_bad_window_size_touches_nothing)
{
   struct nvsvm_device *dev = nvsvm_test_devnull_nouveau();
   struct nvsvm_svm_params params = { .window_size = 3 * MiB };
   int ret;

   ASSERT_TRUE(dev != NULL);
   ret = nvsvm_svm_init(dev, &params);
   nvsvm_device_close(dev);
   ASSERT_EQ(ret, -NVSVM_E_WINDOW_SIZE);
}

/* Under ASan this walks past a 16 TiB shadow in a few steps. */
TEST(default_policy_places_the_window_at_or_above_4_gib)
{
   struct nvsvm_window w;
   uint64_t addr;

   ASSERT_EQ(nvsvm_window_reserve(1 * MiB, 0, 0, &w), 0);
   addr = w.addr;
   nvsvm_window_release(&w);
   ASSERT_GE(addr, 4 * GiB);
   ASSERT_U64_EQ(addr & (1 * MiB - 1), 0);
}

TEST(window_size_from_the_environment_applies_without_a_caller_size)
{
   struct nvsvm_device *dev = nvsvm_test_devnull_nouveau();
   int ret;

   ASSERT_TRUE(dev != NULL);
   setenv("NVSVM_WINDOW_SIZE", "3M", 1);
   ret = nvsvm_svm_init(dev, NULL);
   unsetenv("NVSVM_WINDOW_SIZE");
   nvsvm_device_close(dev);
   ASSERT_EQ(ret, -NVSVM_E_WINDOW_SIZE);
}

TEST_HARNESS_MAIN
