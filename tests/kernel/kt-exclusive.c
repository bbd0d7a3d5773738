/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: converting a range to device-exclusive and
 * what revokes it, page by page, checked in the CPU's own page table.
 */

#include "kt_common.h"

struct kt_ctx {
   struct kt_kernel k;
};

#define NPAGES 8

static enum piglit_result
convert_device_sees_cpu_data(void *data)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   struct nvsvm_device_stats st;
   void *buf = kt_map_anon(NPAGES, true), *copy = malloc(NPAGES * KT_PAGE);
   long bad;

   (void)data;
   PG_ASSERT(buf && copy);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, NPAGES, 0x11);

   PG_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, copy));
   bad = kt_check_fill(copy, NPAGES, 0x11);
   if (bad >= 0)
      PG_FAIL("device copy differs at word %ld", bad);
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, NPAGES * KT_PAGE), 1);
   PG_OK(nvsvm_device_get_stats(dev, &st));
   PG_ASSERT_EQ(st.conversions, NPAGES);
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, NPAGES * KT_PAGE);
   free(copy);
   return res;
}

static enum piglit_result
convert_pagemap_shows_every_page_nonpresent_swap(void *data)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *buf = kt_map_anon(NPAGES, true);

   (void)data;
   PG_ASSERT(buf);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, NPAGES, 0x12);
   for (int i = 0; i < NPAGES; i++)
      PG_ASSERT(kt_pm_present(buf + i * KT_PAGE));

   PG_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   for (int i = 0; i < NPAGES; i++) {
      uint64_t e = kt_pagemap(buf + i * KT_PAGE);
      if (e & KT_PM_PRESENT)
         PG_FAIL("page %d still present after conversion: 0x%016" PRIx64,
                 i, e);
      if (!(e & KT_PM_SWAP))
         PG_FAIL("page %d not a swap-type entry: 0x%016" PRIx64, i, e);
   }
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, NPAGES * KT_PAGE);
   return res;
}

/* Touch one page with a read or a write; only that page comes back. */
static enum piglit_result
cpu_touch_revokes_only_that_page(bool write)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *buf = kt_map_anon(NPAGES, true);
   const int k = 3;
   volatile uint64_t *w;
   uint64_t seen, back[KT_PAGE / 8];

   PG_ASSERT(buf);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, NPAGES, 0x13);
   PG_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));

   w = (volatile uint64_t *)(buf + k * KT_PAGE);
   if (write) {
      *w = 0xfeedULL;
      seen = 0xfeedULL;
   } else {
      seen = *w;
      PG_ASSERT_EQ(seen, kt_pattern(k, 0, 0x13));
   }

   PG_ASSERT(kt_pm_present(buf + k * KT_PAGE));
   for (int i = 0; i < NPAGES; i++) {
      if (i != k && !kt_pm_exclusive(buf + i * KT_PAGE))
         PG_FAIL("page %d lost exclusivity when page %d was %s", i, k,
                 write ? "written" : "read");
   }
   /* The device's mirror agrees for the touched page. */
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf + k * KT_PAGE,
                                             KT_PAGE), 0);
   /* A device read after the CPU's turn sees the CPU's value. */
   PG_OK(nvsvm_device_read(dev, buf + k * KT_PAGE, KT_PAGE, back));
   PG_ASSERT_EQ(back[0], seen);
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, NPAGES * KT_PAGE);
   return res;
}

static enum piglit_result
cpu_read_revokes_only_that_page(void *data)
{
   (void)data;
   return cpu_touch_revokes_only_that_page(false);
}

static enum piglit_result
cpu_write_revokes_only_that_page(void *data)
{
   (void)data;
   return cpu_touch_revokes_only_that_page(true);
}

/*
 * The test device's invalidate drops [start, end] inclusive from its
 * mirror, so revoking page k also forgets page k+1 there, while the CPU
 * page table still has k+1 exclusive. Recorded per kernel.
 */
static enum piglit_result
mirror_forgets_next_page_cpu_table_does_not(void *data)
{
   static const struct kr_expect mirror_next[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *buf = kt_map_anon(NPAGES, true);
   int next, prev;

   PG_ASSERT(buf);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, NPAGES, 0x14);
   PG_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   *(volatile uint64_t *)(buf + 2 * KT_PAGE) = 1;

   next = nvsvm_device_check_exclusive(dev, buf + 3 * KT_PAGE, KT_PAGE);
   prev = nvsvm_device_check_exclusive(dev, buf + 1 * KT_PAGE, KT_PAGE);
   PG_ASSERT_GE(next, 0);
   PG_ASSERT_EQ(prev, 1);
   /* The CPU's page table is the truth: k+1 is still the device's. */
   PG_ASSERT(kt_pm_exclusive(buf + 3 * KT_PAGE));
   res = kt_recorded(&ctx->k, "mirror says page k+1 still exclusive",
                     mirror_next, next);
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, NPAGES * KT_PAGE);
   return res;
}

static enum piglit_result
range_counts_exclusive_until_every_page_revoked(void *data)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *buf = kt_map_anon(4, true);

   (void)data;
   PG_ASSERT(buf);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, 4, 0x15);
   PG_OK(nvsvm_device_atomic_fault(dev, buf, 4 * KT_PAGE, NULL));
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, 4 * KT_PAGE), 1);

   /* One page back on the CPU: the range is no longer all the device's. */
   *(volatile uint64_t *)(buf + 3 * KT_PAGE) = 2;
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, 4 * KT_PAGE), 0);
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, KT_PAGE), 1);

   for (int i = 0; i < 3; i++)
      *(volatile uint64_t *)(buf + i * KT_PAGE) = 2;
   for (int i = 0; i < 4; i++) {
      PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf + i * KT_PAGE,
                                                KT_PAGE), 0);
      PG_ASSERT(kt_pm_present(buf + i * KT_PAGE));
   }
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, 4 * KT_PAGE);
   return res;
}

static enum piglit_result
device_read_keeps_exclusivity(void *data)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *buf = kt_map_anon(2, true), *copy = malloc(2 * KT_PAGE);
   long bad;

   (void)data;
   PG_ASSERT(buf && copy);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, 2, 0x16);
   PG_OK(nvsvm_device_atomic_fault(dev, buf, 2 * KT_PAGE, NULL));
   memset(copy, 0, 2 * KT_PAGE);
   PG_OK(nvsvm_device_read(dev, buf, 2 * KT_PAGE, copy));
   bad = kt_check_fill(copy, 2, 0x16);
   if (bad >= 0)
      PG_FAIL("device read differs at word %ld", bad);
   PG_ASSERT(kt_pm_exclusive(buf));
   PG_ASSERT(kt_pm_exclusive(buf + KT_PAGE));
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, 2 * KT_PAGE), 1);
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, 2 * KT_PAGE);
   free(copy);
   return res;
}

/*
 * The test device has no write through an exclusive entry: its WRITE
 * faults the page back first. The data lands, exclusivity is gone.
 */
static enum piglit_result
device_write_lands_and_ends_exclusivity(void *data)
{
   static const struct kr_expect present_after[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *buf = kt_map_anon(1, true), *in = malloc(KT_PAGE);

   PG_ASSERT(buf && in);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, 1, 0x17);
   kt_fill(in, 1, 0x18);
   PG_OK(nvsvm_device_atomic_fault(dev, buf, KT_PAGE, NULL));
   PG_OK(nvsvm_device_write(dev, buf, KT_PAGE, in));
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, KT_PAGE), 0);
   res = kt_recorded(&ctx->k, "page present after device write",
                     present_after, kt_pm_present(buf));
   if (kt_check_fill(buf, 1, 0x18) >= 0)
      PG_FAIL("CPU does not see the device's write");
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, KT_PAGE);
   free(in);
   return res;
}

/* Bad ranges get a named error from the library, or the kernel's. */
static enum piglit_result
bad_ranges_get_named_errors(void *data)
{
   static const struct kr_expect unmapped[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", -EFAULT },
      { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *buf = kt_map_anon(2, true);
   double t0;
   int ret;

   PG_ASSERT(buf);
   KT_OPEN(KT_DEV0, &dev);
   PG_ASSERT_EQ(nvsvm_device_atomic_fault(dev, NULL, KT_PAGE, NULL),
                -EINVAL);
   PG_ASSERT_EQ(nvsvm_device_atomic_fault(dev, buf + 8, KT_PAGE, NULL),
                -NVSVM_E_UNALIGNED);
   PG_ASSERT_EQ(nvsvm_device_atomic_fault(dev, buf, 100, NULL),
                -NVSVM_E_UNALIGNED);
   PG_ASSERT_EQ(nvsvm_device_atomic_fault(dev, buf, 0, NULL), -EINVAL);

   /* A hole: the kernel cannot convert it; bounded retries, then its errno. */
   munmap(buf + KT_PAGE, KT_PAGE);
   t0 = kt_now();
   ret = nvsvm_device_atomic_fault(dev, buf + KT_PAGE, KT_PAGE, NULL);
   PG_ASSERT_LT(kt_now() - t0, 5.0);
   printf("# unmapped page: %s\n", nvsvm_error_name(ret));
   res = kt_recorded(&ctx->k, "convert unmapped page", unmapped, ret);
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, 2 * KT_PAGE);
   return res;
}

int
main(int argc, char **argv)
{
   static const struct piglit_subtest tests[] = {
      { "convert_device_sees_cpu_data", convert_device_sees_cpu_data },
      { "convert_pagemap_shows_every_page_nonpresent_swap",
        convert_pagemap_shows_every_page_nonpresent_swap },
      { "cpu_read_revokes_only_that_page", cpu_read_revokes_only_that_page },
      { "cpu_write_revokes_only_that_page",
        cpu_write_revokes_only_that_page },
      { "mirror_forgets_next_page_cpu_table_does_not",
        mirror_forgets_next_page_cpu_table_does_not },
      { "range_counts_exclusive_until_every_page_revoked",
        range_counts_exclusive_until_every_page_revoked },
      { "device_read_keeps_exclusivity", device_read_keeps_exclusivity },
      { "device_write_lands_and_ends_exclusivity",
        device_write_lands_and_ends_exclusivity },
      { "bad_ranges_get_named_errors", bad_ranges_get_named_errors },
   };
   struct kt_ctx ctx;

   kt_kernel_get(&ctx.k);
   printf("# kernel %s (%s)\n", ctx.k.release, ctx.k.version);
   return piglit_run_subtests(tests, sizeof(tests) / sizeof(tests[0]), &ctx,
                              argc, argv);
}
