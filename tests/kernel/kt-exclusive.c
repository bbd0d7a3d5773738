/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: converting a range to device-exclusive and
 * what revokes it, page by page, checked in the CPU's own page table.
 */

#include "kt_common.h"

#define NPAGES 8

TEST_F(hmm, convert_device_sees_cpu_data)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_device_stats st;
   void *buf = kt_map_anon(NPAGES, true), *copy = malloc(NPAGES * KT_PAGE);
   long bad;

   DEFER_FREE(copy);
   ASSERT_TRUE(buf && copy);
   kt_fill(buf, NPAGES, 0x11);

   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, copy));
   bad = kt_check_fill(copy, NPAGES, 0x11);
   if (bad >= 0)
      FAIL("device copy differs at word %ld", bad);
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, NPAGES * KT_PAGE), 1);
   ASSERT_OK(nvsvm_device_get_stats(dev, &st));
   ASSERT_EQ(st.conversions, NPAGES);
}

TEST_F(hmm, convert_pagemap_shows_every_page_nonpresent_swap)
{
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(NPAGES, true);

   ASSERT_TRUE(buf);
   kt_fill(buf, NPAGES, 0x12);
   for (int i = 0; i < NPAGES; i++)
      ASSERT_TRUE(kt_pm_present(buf + i * KT_PAGE));

   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   for (int i = 0; i < NPAGES; i++) {
      uint64_t e = kt_pagemap(buf + i * KT_PAGE);
      if (e & KT_PM_PRESENT)
         FAIL("page %d still present after conversion: 0x%016" PRIx64,
              i, e);
      if (!(e & KT_PM_SWAP))
         FAIL("page %d not a swap-type entry: 0x%016" PRIx64, i, e);
   }
}

/* Touch one page with a read or a write; only that page comes back. */
static void
cpu_touch_revokes_only_that_page(FIXTURE_DATA(hmm) *self, bool write)
{
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(NPAGES, true);
   const int k = 3;
   volatile uint64_t *w;
   uint64_t seen, back[KT_PAGE / 8];

   ASSERT_TRUE(buf);
   kt_fill(buf, NPAGES, 0x13);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));

   w = (volatile uint64_t *)(buf + k * KT_PAGE);
   if (write) {
      *w = 0xfeedULL;
      seen = 0xfeedULL;
   } else {
      seen = *w;
      ASSERT_EQ(seen, kt_pattern(k, 0, 0x13));
   }

   ASSERT_TRUE(kt_pm_present(buf + k * KT_PAGE));
   for (int i = 0; i < NPAGES; i++) {
      if (i != k && !kt_pm_exclusive(buf + i * KT_PAGE))
         FAIL("page %d lost exclusivity when page %d was %s", i, k,
              write ? "written" : "read");
   }
   /* The device's mirror agrees for the touched page. */
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf + k * KT_PAGE,
                                          KT_PAGE), 0);
   /* A device read after the CPU's turn sees the CPU's value. */
   ASSERT_OK(nvsvm_device_read(dev, buf + k * KT_PAGE, KT_PAGE, back));
   ASSERT_EQ(back[0], seen);
}

TEST_F(hmm, cpu_read_revokes_only_that_page)
{
   cpu_touch_revokes_only_that_page(self, false);
}

TEST_F(hmm, cpu_write_revokes_only_that_page)
{
   cpu_touch_revokes_only_that_page(self, true);
}

/*
 * The test device's invalidate drops [start, end] inclusive from its
 * mirror, so revoking page k also forgets page k+1 there, while the CPU
 * page table still has k+1 exclusive. Recorded per kernel.
 */
TEST_F(hmm, mirror_forgets_next_page_cpu_table_does_not)
{
   static const struct kr_expect mirror_next[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(NPAGES, true);
   int next, prev;

   ASSERT_TRUE(buf);
   kt_fill(buf, NPAGES, 0x14);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   *(volatile uint64_t *)(buf + 2 * KT_PAGE) = 1;

   next = nvsvm_device_check_exclusive(dev, buf + 3 * KT_PAGE, KT_PAGE);
   prev = nvsvm_device_check_exclusive(dev, buf + 1 * KT_PAGE, KT_PAGE);
   ASSERT_GE(next, 0);
   ASSERT_EQ(prev, 1);
   /* The CPU's page table is the truth: k+1 is still the device's. */
   ASSERT_TRUE(kt_pm_exclusive(buf + 3 * KT_PAGE));
   KT_EXPECT(self, "mirror says page k+1 still exclusive", mirror_next, next);
}

TEST_F(hmm, range_counts_exclusive_until_every_page_revoked)
{
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(4, true);

   ASSERT_TRUE(buf);
   kt_fill(buf, 4, 0x15);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, 4 * KT_PAGE, NULL));
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, 4 * KT_PAGE), 1);

   /* One page back on the CPU: the range is no longer all the device's. */
   *(volatile uint64_t *)(buf + 3 * KT_PAGE) = 2;
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, 4 * KT_PAGE), 0);
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, KT_PAGE), 1);

   for (int i = 0; i < 3; i++)
      *(volatile uint64_t *)(buf + i * KT_PAGE) = 2;
   for (int i = 0; i < 4; i++) {
      ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf + i * KT_PAGE,
                                             KT_PAGE), 0);
      ASSERT_TRUE(kt_pm_present(buf + i * KT_PAGE));
   }
}

TEST_F(hmm, device_read_keeps_exclusivity)
{
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(2, true), *copy = malloc(2 * KT_PAGE);
   long bad;

   DEFER_FREE(copy);
   ASSERT_TRUE(buf && copy);
   kt_fill(buf, 2, 0x16);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, 2 * KT_PAGE, NULL));
   memset(copy, 0, 2 * KT_PAGE);
   ASSERT_OK(nvsvm_device_read(dev, buf, 2 * KT_PAGE, copy));
   bad = kt_check_fill(copy, 2, 0x16);
   if (bad >= 0)
      FAIL("device read differs at word %ld", bad);
   ASSERT_TRUE(kt_pm_exclusive(buf));
   ASSERT_TRUE(kt_pm_exclusive(buf + KT_PAGE));
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, 2 * KT_PAGE), 1);
}

/*
 * The test device has no write through an exclusive entry: its WRITE
 * faults the page back first. The data lands, exclusivity is gone.
 */
TEST_F(hmm, device_write_lands_and_ends_exclusivity)
{
   static const struct kr_expect present_after[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(1, true), *in = malloc(KT_PAGE);

   DEFER_FREE(in);
   ASSERT_TRUE(buf && in);
   kt_fill(buf, 1, 0x17);
   kt_fill(in, 1, 0x18);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, KT_PAGE, NULL));
   ASSERT_OK(nvsvm_device_write(dev, buf, KT_PAGE, in));
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, KT_PAGE), 0);
   KT_EXPECT(self, "page present after device write",
             present_after, kt_pm_present(buf));
   if (kt_check_fill(buf, 1, 0x18) >= 0)
      FAIL("CPU does not see the device's write");
}

/* Bad ranges get a named error from the library, or the kernel's. */
TEST_F(hmm, bad_ranges_get_named_errors)
{
   static const struct kr_expect unmapped[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", -EFAULT },
      { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(2, true);
   double t0;
   int ret;

   ASSERT_TRUE(buf);
   ASSERT_EQ(nvsvm_device_atomic_fault(dev, NULL, KT_PAGE, NULL),
             -EINVAL);
   ASSERT_EQ(nvsvm_device_atomic_fault(dev, buf + 8, KT_PAGE, NULL),
             -NVSVM_E_UNALIGNED);
   ASSERT_EQ(nvsvm_device_atomic_fault(dev, buf, 100, NULL),
             -NVSVM_E_UNALIGNED);
   ASSERT_EQ(nvsvm_device_atomic_fault(dev, buf, 0, NULL), -EINVAL);

   /* A hole: the kernel cannot convert it; bounded retries, then its errno. */
   munmap(buf + KT_PAGE, KT_PAGE);
   t0 = kt_now();
   ret = nvsvm_device_atomic_fault(dev, buf + KT_PAGE, KT_PAGE, NULL);
   ASSERT_LT(kt_now() - t0, 5.0);
   printf("# unmapped page: %s\n", nvsvm_error_name(ret));
   KT_EXPECT(self, "convert unmapped page", unmapped, ret);
}

TEST_HARNESS_MAIN
