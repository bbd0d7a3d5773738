/* SPDX-License-Identifier: MIT */
/*
 * tests/common/pagemap.h, the page states the VM scenarios read: a page
 * the CPU wrote is present, a dropped one is neither present nor a
 * swap-type entry, and an address outside the pagemap fails by name.
 */

#include <sys/mman.h>

#include "harness.h"
#include "pagemap.h"

TEST(written_page_is_present_not_swapped)
{
   char *p = mmap(NULL, NVSVM_PM_PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   ASSERT_TRUE(p != MAP_FAILED);
   DEFER_MUNMAP(p, NVSVM_PM_PAGE);
   p[0] = 1;
   ASSERT_TRUE(nvsvm_pm_present(p));
   ASSERT_FALSE(nvsvm_pm_swapped(p));
}

TEST(dropped_page_is_neither)
{
   uint64_t e;
   char *p = mmap(NULL, NVSVM_PM_PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   ASSERT_TRUE(p != MAP_FAILED);
   DEFER_MUNMAP(p, NVSVM_PM_PAGE);
   p[0] = 1;
   ASSERT_EQ(madvise(p, NVSVM_PM_PAGE, MADV_DONTNEED), 0);
   ASSERT_EQ(nvsvm_pm_entry(p, &e), 0);
   ASSERT_EQ(e & (NVSVM_PM_PRESENT | NVSVM_PM_SWAP), 0);
   ASSERT_FALSE(nvsvm_pm_present(p));
   ASSERT_FALSE(nvsvm_pm_swapped(p));
}

TEST(address_beyond_the_pagemap_is_an_error)
{
   uint64_t e = 1;

   /* The file ends at the top of the address space: a short read. */
   ASSERT_EQ(nvsvm_pm_entry((void *)UINTPTR_MAX, &e), -EIO);
   ASSERT_EQ(e, 0);
}

TEST_HARNESS_MAIN
