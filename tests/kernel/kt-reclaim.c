/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: the kernel's own memory management meeting
 * device-exclusive pages: KSM merging and MADV_PAGEOUT (with a zram swap
 * device when the kernel has one, so anonymous pages can really go).
 */

#include <sys/swap.h>

#include "kt_common.h"

struct kt_ctx {
   struct kt_kernel k;
};

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

static enum piglit_result
ksm_merged_page_converts_after_cow_break(void *data)
{
   static const struct kr_expect convert[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   struct ksm_saved saved = { -1, -1, -1 };
   unsigned char *buf = kt_map_anon(KSM_PAGES, true);
   unsigned char copy[KT_PAGE];
   double end;
   long sharing = 0;
   int ret;

   PG_ASSERT(buf);
   saved.run = kt_read_long(KSM "run");
   if (saved.run < 0)
      PG_SKIP("no " KSM " (kernel without CONFIG_KSM)");
   saved.pages_to_scan = kt_read_long(KSM "pages_to_scan");
   saved.sleep_ms = kt_read_long(KSM "sleep_millisecs");
   /* Identical, non-zero pages: KSM folds them into one. */
   memset(buf, 0x5a, KSM_PAGES * KT_PAGE);
   if (madvise(buf, KSM_PAGES * KT_PAGE, MADV_MERGEABLE) != 0)
      PG_SKIP("MADV_MERGEABLE: %s", strerror(errno));
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
      PG_FAIL("KSM did not merge %d identical pages in %.0f s", KSM_PAGES,
              KSM_WAIT_S);

   KT_OPEN(KT_DEV0, &dev);
   ret = nvsvm_device_atomic_fault(dev, buf, KT_PAGE, copy);
   res = kt_recorded(&ctx->k, "convert a KSM-merged page", convert, ret);
   if (ret == 0) {
      for (size_t i = 0; i < KT_PAGE; i++)
         if (copy[i] != 0x5a)
            PG_FAIL("device copy byte %zu = 0x%02x", i, copy[i]);
      /* The device's write fault gave page 0 its own frame. */
      PG_ASSERT(kt_pm_exclusive(buf));
      PG_ASSERT_EQ(pfn_of(buf + KT_PAGE), pfn_of(buf + 2 * KT_PAGE));
   }
   buf[0] = 1;
   PG_ASSERT_NE(pfn_of(buf), pfn_of(buf + KT_PAGE));
   PG_ASSERT_EQ(buf[1], 0x5a);
out:
   nvsvm_device_close(dev);
   if (saved.run >= 0) {
      ksm_set("run", saved.run);
      if (saved.pages_to_scan >= 0)
         ksm_set("pages_to_scan", saved.pages_to_scan);
      if (saved.sleep_ms >= 0)
         ksm_set("sleep_millisecs", saved.sleep_ms);
   }
   if (buf)
      munmap(buf, KSM_PAGES * KT_PAGE);
   return res;
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

static void
zram_swap_off(void)
{
   swapoff("/dev/zram0");
   kt_write_str("/sys/block/zram0/reset", "1");
}

static enum piglit_result
pageout_leaves_exclusive_page_with_device(void *data)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *buf = kt_map_anon(2, true);
   bool swap = false, ours = false;
   uint64_t ctl;

   (void)data;
   PG_ASSERT(buf);
   kt_fill(buf, 2, 0x61);
   if (kt_proc_field("/proc/meminfo", "SwapTotal") > 0) {
      swap = true;
      printf("# swap: already on (%ld kB)\n",
             kt_proc_field("/proc/meminfo", "SwapTotal"));
   } else {
      swap = ours = zram_swap_on();
      printf("# swap: %s\n", swap ? "16 MiB zram, ours" :
             "none (no zram device)");
   }
   KT_OPEN(KT_DEV0, &dev);
   /* Page 0 goes to the device, page 1 stays the CPU's as the control. */
   PG_OK(nvsvm_device_atomic_fault(dev, buf, KT_PAGE, NULL));
   PG_ASSERT_EQ(madvise(buf, 2 * KT_PAGE, MADV_PAGEOUT), 0);

   /* Reclaim only looks at present PTEs: the exclusive one is skipped. */
   PG_ASSERT(kt_pm_exclusive(buf));
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, KT_PAGE), 1);
   ctl = kt_pagemap(buf + KT_PAGE);
   printf("# control page after MADV_PAGEOUT: present %d swap %d\n",
          !!(ctl & KT_PM_PRESENT), !!(ctl & KT_PM_SWAP));
   if (swap && ((ctl & KT_PM_PRESENT) || !(ctl & KT_PM_SWAP)))
      PG_FAIL("with swap, the control page was not paged out");
   if (!swap && !(ctl & KT_PM_PRESENT))
      PG_FAIL("without swap, the control page went away");
   if (kt_check_fill(buf, 2, 0x61) >= 0)
      PG_FAIL("data lost across MADV_PAGEOUT");
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, 2 * KT_PAGE);
   if (ours)
      zram_swap_off();
   return res;
}

int
main(int argc, char **argv)
{
   static const struct piglit_subtest tests[] = {
      { "ksm_merged_page_converts_after_cow_break",
        ksm_merged_page_converts_after_cow_break },
      { "pageout_leaves_exclusive_page_with_device",
        pageout_leaves_exclusive_page_with_device },
   };
   struct kt_ctx ctx;

   kt_kernel_get(&ctx.k);
   printf("# kernel %s (%s)\n", ctx.k.release, ctx.k.version);
   return piglit_run_subtests(tests, sizeof(tests) / sizeof(tests[0]), &ctx,
                              argc, argv);
}
