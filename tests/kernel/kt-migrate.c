/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: device memory (the SVM_BIND analogue on the test
 * device) and its meeting with atomic conversion; the device's own view
 * through SNAPSHOT.
 */

#include "kt_common.h"

#define NPAGES 16
#define SNAP_DEV_RW (NVSVM_SNAP_DEV_PRIVATE_LOCAL | NVSVM_SNAP_WRITE)

/* Index of the first page whose snapshot byte is not want, or -1. */
static int
snap_differs(const uint8_t *snap, unsigned n, uint8_t want)
{
   for (unsigned i = 0; i < n; i++)
      if (snap[i] != want)
         return (int)i;
   return -1;
}

TEST_F(hmm, migrate_to_device_memory_and_back_then_convert)
{
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(NPAGES, true);
   unsigned char *copy = malloc(NPAGES * KT_PAGE);
   uint8_t snap[NPAGES];
   uint64_t moved = 0;
   int bad;

   DEFER_FREE(copy);
   ASSERT_TRUE(buf && copy);
   kt_fill(buf, NPAGES, 0x71);

   ASSERT_OK(nvsvm_device_migrate_to_dev_mem(dev, buf, NPAGES * KT_PAGE,
                                             &moved));
   ASSERT_EQ(moved, NPAGES);
   ASSERT_OK(nvsvm_device_snapshot(dev, buf, NPAGES * KT_PAGE, snap));
   if ((bad = snap_differs(snap, NPAGES, SNAP_DEV_RW)) >= 0)
      FAIL("page %d in device memory reads 0x%02x, want 0x%02x", bad,
           snap[bad], SNAP_DEV_RW);
   /* To the CPU, a device-private page is a non-present swap entry. */
   for (int i = 0; i < NPAGES; i++)
      ASSERT_TRUE(kt_pm_exclusive(buf + i * KT_PAGE));

   ASSERT_OK(nvsvm_device_migrate_to_sys_mem(dev, buf, NPAGES * KT_PAGE,
                                             &moved));
   ASSERT_EQ(moved, NPAGES);
   ASSERT_OK(nvsvm_device_snapshot(dev, buf, NPAGES * KT_PAGE, snap));
   if ((bad = snap_differs(snap, NPAGES, NVSVM_SNAP_WRITE)) >= 0)
      FAIL("page %d back in system memory reads 0x%02x", bad, snap[bad]);
   for (int i = 0; i < NPAGES; i++)
      ASSERT_TRUE(kt_pm_present(buf + i * KT_PAGE));

   /* The round trip kept every byte, and atomics work on the result. */
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, copy));
   if (kt_check_fill(copy, NPAGES, 0x71) >= 0)
      FAIL("device copy after the round trip differs");
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, NPAGES * KT_PAGE), 1);
   if (kt_check_fill(buf, NPAGES, 0x71) >= 0)
      FAIL("CPU data after the round trip differs");
}

/* nouveau has no to-host bind: pages come home when the CPU faults. */
TEST_F(hmm, cpu_touch_brings_one_device_page_home)
{
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(4, true);
   uint8_t snap[4];
   uint64_t moved = 0;

   ASSERT_TRUE(buf);
   kt_fill(buf, 4, 0x72);
   ASSERT_OK(nvsvm_device_migrate_to_dev_mem(dev, buf, 4 * KT_PAGE, &moved));
   ASSERT_EQ(moved, 4);

   ASSERT_EQ(*(volatile uint64_t *)(buf + 2 * KT_PAGE),
             kt_pattern(2, 0, 0x72));
   ASSERT_OK(nvsvm_device_snapshot(dev, buf, 4 * KT_PAGE, snap));
   ASSERT_EQ(snap[0], SNAP_DEV_RW);
   ASSERT_EQ(snap[1], SNAP_DEV_RW);
   ASSERT_EQ(snap[2], NVSVM_SNAP_WRITE);
   ASSERT_EQ(snap[3], SNAP_DEV_RW);
   ASSERT_TRUE(kt_pm_present(buf + 2 * KT_PAGE));

   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf + 2 * KT_PAGE, KT_PAGE,
                                       NULL));
   ASSERT_TRUE(kt_pm_exclusive(buf + 2 * KT_PAGE));
}

/*
 * Converting pages that sit in device memory: the conversion's write
 * fault migrates them home first, then makes them exclusive.
 */
TEST_F(hmm, convert_pages_in_device_memory_migrates_them_home)
{
   static const struct kr_expect convert[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(4, true);
   unsigned char *copy = malloc(4 * KT_PAGE);
   uint8_t snap[4];
   uint64_t moved = 0;
   int ret;

   DEFER_FREE(copy);
   ASSERT_TRUE(buf && copy);
   kt_fill(buf, 4, 0x73);
   ASSERT_OK(nvsvm_device_migrate_to_dev_mem(dev, buf, 4 * KT_PAGE, &moved));
   ASSERT_EQ(moved, 4);

   ret = nvsvm_device_atomic_fault(dev, buf, 4 * KT_PAGE, copy);
   KT_EXPECT(self, "convert pages in device memory", convert, ret);
   if (ret == 0) {
      if (kt_check_fill(copy, 4, 0x73) >= 0)
         FAIL("device copy differs");
      ASSERT_OK(nvsvm_device_snapshot(dev, buf, 4 * KT_PAGE, snap));
      /* Exclusive now, not device-private: the snapshot sees nothing. */
      ASSERT_EQ(snap_differs(snap, 4, NVSVM_SNAP_NONE), -1);
      ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, 4 * KT_PAGE), 1);
   }
   if (kt_check_fill(buf, 4, 0x73) >= 0)
      FAIL("CPU data differs");
}

/* migrate_vma collects present pages only: exclusive ones stay put. */
TEST_F(hmm, migrate_to_device_skips_exclusive_pages)
{
   static const struct kr_expect moved_excl[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(2, true);
   uint64_t moved = 99;
   int ret;

   ASSERT_TRUE(buf);
   kt_fill(buf, 2, 0x74);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, 2 * KT_PAGE, NULL));
   ret = nvsvm_device_migrate_to_dev_mem(dev, buf, 2 * KT_PAGE, &moved);
   printf("# migrate exclusive pages: %s, %" PRIu64 " moved\n",
          nvsvm_error_name(ret), moved);
   ASSERT_EQ(ret, 0);
   KT_EXPECT(self, "exclusive pages moved to device memory",
             moved_excl, (long)moved);
   ASSERT_TRUE(kt_pm_exclusive(buf));
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, 2 * KT_PAGE), 1);
   if (kt_check_fill(buf, 2, 0x74) >= 0)
      FAIL("CPU data differs");
}

TEST_F(hmm, snapshot_names_exclusive_zero_and_plain_pages)
{
   static const struct kr_expect excl[] = {
      { "6.1", NVSVM_SNAP_NONE },
      { "6.12", NVSVM_SNAP_NONE },
      { "7.2", NVSVM_SNAP_NONE }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(4, true);
   uint8_t snap[4];

   ASSERT_TRUE(buf);
   buf[0] = 1;                               /* plain, written */
   (void)*(volatile unsigned char *)(buf + KT_PAGE); /* zero page */
   buf[2 * KT_PAGE] = 1;
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf + 2 * KT_PAGE, KT_PAGE,
                                       NULL));
   /* page 3 never touched */
   ASSERT_OK(nvsvm_device_snapshot(dev, buf, 4 * KT_PAGE, snap));
   printf("# snapshot: plain 0x%02x zero 0x%02x exclusive 0x%02x "
          "untouched 0x%02x\n", snap[0], snap[1], snap[2], snap[3]);
   ASSERT_EQ(snap[0], NVSVM_SNAP_WRITE);
   ASSERT_EQ(snap[1], NVSVM_SNAP_ZERO | NVSVM_SNAP_READ);
   ASSERT_EQ(snap[3], NVSVM_SNAP_NONE);
   KT_EXPECT(self, "snapshot of an exclusive page", excl, snap[2]);
   /* Snapshot never faults: the page is still the device's. */
   ASSERT_TRUE(kt_pm_exclusive(buf + 2 * KT_PAGE));
}

TEST_HARNESS_MAIN
