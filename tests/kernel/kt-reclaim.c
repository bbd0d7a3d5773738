/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: the kernel's own memory management meeting
 * device-exclusive pages: KSM merging and MADV_PAGEOUT (with a zram swap
 * device when the kernel has one, so anonymous pages can really go).
 */

#include <sys/swap.h>

#include "kt_common.h"

/* ------------------------------------------------------------------ KSM */

#define KSM "/sys/kernel/mm/ksm/"
#define KSM_PAGES 8
#define KSM_WAIT_S 30.0

struct ksm_saved {
   long run, pages_to_scan, sleep_ms;
};

static void
ksm_set(const char *knob, long v)
{
   char path[96], num[32];

   snprintf(path, sizeof(path), KSM "%s", knob);
   snprintf(num, sizeof(num), "%ld", v);
   kt_write_str(path, num);
}

/* The knobs as they were, put back after the scenario whatever ends it. */
static struct ksm_saved ksm_saved = { -1, -1, -1 };

static void
ksm_restore(void *p, uintptr_t n)
{
   struct ksm_saved *saved = p;

   (void)n;
   ksm_set("run", saved->run);
   if (saved->pages_to_scan >= 0)
      ksm_set("pages_to_scan", saved->pages_to_scan);
   if (saved->sleep_ms >= 0)
      ksm_set("sleep_millisecs", saved->sleep_ms);
}

/* The page frame behind addr (root only; 0 when not present). */
static uint64_t
pfn_of(const void *addr)
{
   uint64_t e = kt_pagemap(addr);

   return (e & KT_PM_PRESENT) ? (e & ((1ull << 55) - 1)) : 0;
}

/* Every page of the buffer shares page 0's frame. */
static bool
ksm_all_merged(const unsigned char *buf)
{
   uint64_t pfn0 = pfn_of(buf);

   if (!pfn0)
      return false;
   for (int i = 1; i < KSM_PAGES; i++)
      if (pfn_of(buf + i * KT_PAGE) != pfn0)
         return false;
   return true;
}

TEST_F_TIMEOUT(hmm, ksm_merged_page_converts_after_cow_break, KSM_WAIT_S + 30)
{
   static const struct kr_expect convert[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   struct ksm_saved *saved = &ksm_saved;
   unsigned char *buf = kt_map_anon(KSM_PAGES, true);
   unsigned char copy[KT_PAGE];
   double end;
   long sharing = 0;
   int ret;

   ASSERT_TRUE(buf);
   saved->run = kt_read_long(KSM "run");
   if (saved->run < 0)
      SKIP("no " KSM " (kernel without CONFIG_KSM)");
   saved->pages_to_scan = kt_read_long(KSM "pages_to_scan");
   saved->sleep_ms = kt_read_long(KSM "sleep_millisecs");
   HARNESS_DEFER(ksm_restore, saved, 0);
   /* Identical, non-zero pages: KSM folds them into one. */
   memset(buf, 0x5a, KSM_PAGES * KT_PAGE);
   if (madvise(buf, KSM_PAGES * KT_PAGE, MADV_MERGEABLE) != 0)
      SKIP("MADV_MERGEABLE: %s", strerror(errno));
   ksm_set("pages_to_scan", 1000);
   ksm_set("sleep_millisecs", 10);
   ksm_set("run", 1);

   end = kt_now() + KSM_WAIT_S;
   while (kt_now() < end) {
      struct timespec nap = { 0, 50 * 1000 * 1000 };

      sharing = kt_read_long(KSM "pages_sharing");
      if (ksm_all_merged(buf))
         break;
      nanosleep(&nap, NULL);
   }
   printf("# ksm: pages_sharing %ld, pfn page0 0x%" PRIx64 " page1 0x%"
          PRIx64 "\n", sharing, pfn_of(buf), pfn_of(buf + KT_PAGE));
   /* ksmd merges page by page: wait for all of them, not the first pair. */
   if (!ksm_all_merged(buf))
      FAIL("KSM did not merge %d identical pages in %.0f s", KSM_PAGES,
           KSM_WAIT_S);

   ret = nvsvm_device_atomic_fault(dev, buf, KT_PAGE, copy);
   KT_EXPECT(self, "convert a KSM-merged page", convert, ret);
   if (ret == 0) {
      for (size_t i = 0; i < KT_PAGE; i++)
         if (copy[i] != 0x5a)
            FAIL("device copy byte %zu = 0x%02x", i, copy[i]);
      /* The device's write fault gave page 0 its own frame. */
      ASSERT_TRUE(kt_pm_exclusive(buf));
      ASSERT_EQ(pfn_of(buf + KT_PAGE), pfn_of(buf + 2 * KT_PAGE));
   }
   buf[0] = 1;
   ASSERT_NE(pfn_of(buf), pfn_of(buf + KT_PAGE));
   ASSERT_EQ(buf[1], 0x5a);
}

/* ------------------------------------------------------------- PAGEOUT */

/*
 * A 16 MiB zram swap device, made and torn down here, so anonymous pages
 * can be paged out. false (and nothing changed) when the kernel has none.
 */
static bool
zram_swap_on(void)
{
   unsigned char hdr[KT_PAGE];
   uint32_t last_page = (16u << 20) / KT_PAGE - 1, version = 1;
   int fd;

   if (access("/sys/block/zram0/disksize", W_OK) != 0)
      return false;
   if (kt_write_str("/sys/block/zram0/disksize", "16M") != 0)
      return false;
   fd = open("/dev/zram0", O_WRONLY | O_CLOEXEC);
   if (fd < 0)
      goto fail_reset;
   /* mkswap's v1 header: version and last page at 1024, magic at the end. */
   memset(hdr, 0, sizeof(hdr));
   memcpy(hdr + 1024, &version, 4);
   memcpy(hdr + 1028, &last_page, 4);
   memcpy(hdr + KT_PAGE - 10, "SWAPSPACE2", 10);
   if (write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr)) {
      close(fd);
      goto fail_reset;
   }
   close(fd);
   if (swapon("/dev/zram0", 0) == 0)
      return true;
   printf("# swapon /dev/zram0: %s\n", strerror(errno));
fail_reset:
   kt_write_str("/sys/block/zram0/reset", "1");
   return false;
}

/* A HARNESS_DEFER() release: the zram swap made by zram_swap_on(). */
static void
zram_swap_off(void *p, uintptr_t n)
{
   (void)p;
   (void)n;
   swapoff("/dev/zram0");
   kt_write_str("/sys/block/zram0/reset", "1");
}

TEST_F(hmm, pageout_leaves_exclusive_page_with_device)
{
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(2, true);
   bool swap = false;
   uint64_t ctl;

   ASSERT_TRUE(buf);
   kt_fill(buf, 2, 0x61);
   if (kt_proc_field("/proc/meminfo", "SwapTotal") > 0) {
      swap = true;
      printf("# swap: already on (%ld kB)\n",
             kt_proc_field("/proc/meminfo", "SwapTotal"));
   } else {
      swap = zram_swap_on();
      if (swap)
         HARNESS_DEFER(zram_swap_off, NULL, 0);
      printf("# swap: %s\n", swap ? "16 MiB zram, ours" :
             "none (no zram device)");
   }
   /* Page 0 goes to the device, page 1 stays the CPU's as the control. */
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, KT_PAGE, NULL));
   ASSERT_EQ(madvise(buf, 2 * KT_PAGE, MADV_PAGEOUT), 0);

   /* Reclaim only looks at present PTEs: the exclusive one is skipped. */
   ASSERT_TRUE(kt_pm_exclusive(buf));
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, KT_PAGE), 1);
   ctl = kt_pagemap(buf + KT_PAGE);
   printf("# control page after MADV_PAGEOUT: present %d swap %d\n",
          !!(ctl & KT_PM_PRESENT), !!(ctl & KT_PM_SWAP));
   if (swap && ((ctl & KT_PM_PRESENT) || !(ctl & KT_PM_SWAP)))
      FAIL("with swap, the control page was not paged out");
   if (!swap && !(ctl & KT_PM_PRESENT))
      FAIL("without swap, the control page went away");
   if (kt_check_fill(buf, 2, 0x61) >= 0)
      FAIL("data lost across MADV_PAGEOUT");
}

TEST_HARNESS_MAIN
