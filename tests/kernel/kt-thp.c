/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: transparent huge pages. Kernels up to 6.14 refuse
 * to make a THP-backed page device-exclusive; the library warns about it
 * and MADV_NOHUGEPAGE is the rule that makes conversion work.
 */

#include "kt_common.h"
#include "nvsvm/nvsvm_placement.h"
#include "thp_probe.h"

#define HPAGE (2u << 20)

/*
 * A 2 MiB-aligned 2 MiB window inside a 4 MiB mapping (*map), unmapped
 * after the scenario.
 */
static unsigned char *
map_aligned_2m(unsigned char **map)
{
   *map = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   if (*map == MAP_FAILED) {
      *map = NULL;
      return NULL;
   }
   DEFER_MUNMAP(*map, 2 * HPAGE);
   return (unsigned char *)(((uintptr_t)*map + HPAGE - 1) &
                            ~(uintptr_t)(HPAGE - 1));
}

/* "always [madvise] never" -> "madvise". */
static void
thp_mode(char *out, size_t n)
{
   char line[128] = "";
   FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
   char *a, *b;

   snprintf(out, n, "absent");
   if (!f)
      return;
   if (fgets(line, sizeof(line), f) && (a = strchr(line, '[')) &&
       (b = strchr(a, ']'))) {
      *b = '\0';
      snprintf(out, n, "%s", a + 1);
   }
   fclose(f);
}

/*
 * A fresh THP-backed, 2 MiB-aligned window filled with the pattern, or
 * NULL with *why set when this kernel gives us no huge page.
 */
static unsigned char *
thp_fresh(unsigned char **map, uint64_t salt, const char **why)
{
   static char reason[160];
   unsigned char *hp;
   char mode[32];

   *why = NULL;
   thp_mode(mode, sizeof(mode));
   if (strcmp(mode, "always") != 0 && strcmp(mode, "madvise") != 0) {
      snprintf(reason, sizeof(reason),
               "transparent huge pages are '%s' on this kernel", mode);
      *why = reason;
      return NULL;
   }
   hp = map_aligned_2m(map);
   if (!hp)
      return NULL;
   madvise(hp, HPAGE, MADV_HUGEPAGE);
   kt_fill(hp, HPAGE / KT_PAGE, salt);
   /* The kernel's word (smaps), not the library's: that is under test. */
   if (!thp_probe_backed(hp, HPAGE)) {
      snprintf(reason, sizeof(reason),
               "smaps: AnonHugePages %ld kB, the kernel backed the "
               "MADV_HUGEPAGE range with 4 KiB pages (no free huge page)",
               thp_probe_anon_huge_kb(hp));
      *why = reason;
      return NULL;
   }
   return hp;
}

static unsigned
count_exclusive(const unsigned char *p, unsigned npages)
{
   unsigned n = 0;

   for (unsigned i = 0; i < npages; i++)
      n += kt_pm_exclusive(p + i * KT_PAGE);
   return n;
}

/*
 * Up to 6.14 make_device_exclusive_range() skips tail pages of a large
 * folio, so a range over a THP fails; since 6.15 the PMD mapping is split
 * and every page converts. The range check warns either way.
 */
TEST_F(hmm, thp_range_refused_until_6_14_converts_since_6_15_check_warns)
{
   static const struct kr_expect thp_whole[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", 0 },
      { NULL, 0 },
   };
   static const struct kr_expect thp_tail[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", 0 },
      { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_range_report rep;
   unsigned char *map = NULL, *hp;
   const char *why;
   int ret_whole, ret_tail, blocks;

   hp = thp_fresh(&map, 0x31, &why);
   if (!hp && why)
      SKIP("%s", why);
   ASSERT_TRUE(hp);
   ASSERT_OK(nvsvm_range_check(hp, HPAGE, 0, &rep));
   ASSERT_TRUE(rep.warnings & NVSVM_RANGE_WARN_THP);
   printf("# range check: %s\n",
          nvsvm_range_warning_str(NVSVM_RANGE_WARN_THP));

   ret_tail = nvsvm_device_atomic_fault(dev, hp + 5 * KT_PAGE, KT_PAGE,
                                        NULL);
   ret_whole = nvsvm_device_atomic_fault(dev, hp, HPAGE, NULL);
   printf("# THP tail page: %s, whole 2 MiB: %s\n",
          nvsvm_error_name(ret_tail), nvsvm_error_name(ret_whole));
   KT_EXPECT(self, "convert one THP tail page", thp_tail, ret_tail);
   KT_EXPECT(self, "convert a whole THP", thp_whole, ret_whole);
   /*
    * The library's rule (the placement pool keeps THP out of its chunks
    * where it blocks conversion) must be what this kernel just did, not
    * only what its release number says.
    */
   blocks = nvsvm_kernel_thp_blocks_exclusive(NULL);
   printf("# nvsvm_kernel_thp_blocks_exclusive() = %d, tail page %s\n",
          blocks, ret_tail ? "refused" : "converted");
   ASSERT_TRUE(blocks == 0 || blocks == 1);
   if (blocks != (ret_tail != 0))
      FAIL("the library says THP %s conversion, the kernel %s a tail "
           "page", blocks ? "blocks" : "allows",
           ret_tail ? "refused" : "converted");
   /* A refused conversion leaves the CPU's data as it was. */
   if (kt_check_fill(hp, HPAGE / KT_PAGE, 0x31) >= 0)
      FAIL("data changed by a refused conversion");
}

/*
 * Measured on 6.1 and 6.12: the head page of a THP does convert, and the
 * rmap walk then replaces every PTE of the folio: all 512 pages go to the
 * device, so a CPU touch anywhere in the 2 MiB takes it back (ping-pong
 * granularity 2 MiB, not 4 KiB: another reason for MADV_NOHUGEPAGE).
 * Since 6.15 only the PTE asked for converts, after a PMD split.
 */
TEST_F(hmm, thp_head_page_takes_whole_2m_until_6_14_one_pte_since_6_15)
{
   static const struct kr_expect head[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 },
      { NULL, 0 },
   };
   static const struct kr_expect ptes[] = {
      { "6.1", 512 }, { "6.12", 512 }, { "7.2", 1 },
      { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *map = NULL, *hp;
   const char *why;
   unsigned n;
   int ret;

   hp = thp_fresh(&map, 0x33, &why);
   if (!hp && why)
      SKIP("%s", why);
   ASSERT_TRUE(hp);

   ret = nvsvm_device_atomic_fault(dev, hp, KT_PAGE, NULL);
   n = count_exclusive(hp, HPAGE / KT_PAGE);
   printf("# THP head page: %s; %u of 512 PTEs now device-exclusive\n",
          nvsvm_error_name(ret), n);
   KT_EXPECT(self, "convert THP head page", head, ret);
   KT_EXPECT(self, "PTEs exclusive after head conversion", ptes, n);
   if (ret == 0 && n > 1) {
      /* Touching a page the device never asked for takes it back. */
      ASSERT_EQ(*(volatile uint64_t *)(hp + 7 * KT_PAGE),
                kt_pattern(7, 0, 0x33));
      ASSERT_EQ(count_exclusive(hp, HPAGE / KT_PAGE), n - 1);
      ASSERT_EQ(nvsvm_device_check_exclusive(dev, hp, KT_PAGE), 1);
   }
   if (ret == 0 && n == 1) {
      /* One PTE (6.15+): a touch elsewhere leaves the head with the device. */
      ASSERT_TRUE(kt_pm_exclusive(hp));
      ASSERT_EQ(*(volatile uint64_t *)(hp + 7 * KT_PAGE),
                kt_pattern(7, 0, 0x33));
      ASSERT_TRUE(kt_pm_exclusive(hp));
      ASSERT_EQ(nvsvm_device_check_exclusive(dev, hp, KT_PAGE), 1);
   }
   if (kt_check_fill(hp, HPAGE / KT_PAGE, 0x33) >= 0)
      FAIL("data changed under the head-page conversion");
}

TEST_F(hmm, nohugepage_fresh_range_converts_every_page)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_range_report rep;
   unsigned char *map = NULL, *hp, *copy = malloc(HPAGE);
   long bad;

   DEFER_FREE(copy);
   ASSERT_TRUE(copy);
   hp = map_aligned_2m(&map);
   ASSERT_TRUE(hp);
   ASSERT_EQ(madvise(hp, HPAGE, MADV_NOHUGEPAGE), 0);
   kt_fill(hp, HPAGE / KT_PAGE, 0x32);

   ASSERT_OK(nvsvm_range_check(hp, HPAGE, 0, &rep));
   ASSERT_EQ(rep.warnings & (NVSVM_RANGE_WARN_THP |
                             NVSVM_RANGE_WARN_THP_ELIGIBLE), 0);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, hp, HPAGE, copy));
   bad = kt_check_fill(copy, HPAGE / KT_PAGE, 0x32);
   if (bad >= 0)
      FAIL("device copy differs at word %ld", bad);
   for (unsigned i = 0; i < HPAGE / KT_PAGE; i++)
      if (!kt_pm_exclusive(hp + i * KT_PAGE))
         FAIL("page %u of 512 not exclusive", i);
}

TEST_HARNESS_MAIN
