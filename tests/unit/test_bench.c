/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the bench workload that needs no device: the range
 * check cost, measured on this very process. (The device workloads run
 * in the VM: tests/kernel/kt-thrash.c and `make bench`.)
 */

#include <errno.h>
#include <sys/mman.h>

#include "nvsvm_bench.h"
#include "harness.h"

/* The workload makes exactly the VMAs it asks for, plus its probe page. */
TEST(range_cost_adds_exactly_the_mappings_asked_for)
{
   struct nvsvm_bench_range_params p = { .mappings = 300, .calls = 5 };
   struct nvsvm_bench_range_result r;

   ASSERT_EQ(nvsvm_bench_range_cost(&p, &r), 0);
   ASSERT_EQ(r.maps_after, r.maps_before + 300 + 1);
   ASSERT_GT(r.few.us, 0);
   ASSERT_GT(r.many_high.us_no_thp, 0);
}

/* The probe above the new mappings has all of them below it. */
TEST(range_cost_high_probe_reads_past_every_new_mapping)
{
   struct nvsvm_bench_range_params p = { .mappings = 300, .calls = 5 };
   struct nvsvm_bench_range_result r;

   ASSERT_EQ(nvsvm_bench_range_cost(&p, &r), 0);
   ASSERT_LT(r.many_low.addr, r.many_high.addr);
   ASSERT_GE(r.many_high.maps_below, r.many_low.maps_below + 300);
   ASSERT_LE(r.many_high.maps_below, r.maps_after);
}

/* 1 when no page of [addr, addr + len) is mapped any more. */
static bool
all_unmapped(uint64_t addr, uint64_t len)
{
   unsigned char vec;

   for (uint64_t a = addr; a < addr + len; a += 4096) {
      if (mincore((void *)(uintptr_t)a, 4096, &vec) == 0 || errno != ENOMEM)
         return false;
   }
   return true;
}

/*
 * Nothing it mapped outlives it: its probe pages and every page of its
 * region are gone (mincore says ENOMEM), checked page by page because
 * the sanitizers' own allocator makes mapping counts drift.
 */
TEST(range_cost_unmaps_everything_it_mapped)
{
   struct nvsvm_bench_range_params p = { .mappings = 300, .calls = 5 };
   struct nvsvm_bench_range_result r;

   ASSERT_EQ(nvsvm_bench_range_cost(&p, &r), 0);
   ASSERT_GE(r.region_len, 300 * 4096);
   ASSERT_TRUE(all_unmapped(r.region_addr, r.region_len));
   ASSERT_TRUE(all_unmapped(r.many_low.addr & ~4095ull, 4096));
   ASSERT_TRUE(all_unmapped(r.many_high.addr & ~4095ull, 4096));
}

TEST(range_cost_refuses_bad_params)
{
   struct nvsvm_bench_range_params p = { .mappings = 10, .calls = 0 };
   struct nvsvm_bench_range_result r;

   ASSERT_EQ(nvsvm_bench_range_cost(&p, &r), -EINVAL);
   p.calls = 1;
   p.mappings = NVSVM_BENCH_MAX_MAPPINGS + 1;
   ASSERT_EQ(nvsvm_bench_range_cost(&p, &r), -EINVAL);
   ASSERT_EQ(nvsvm_bench_range_cost(NULL, &r), -EINVAL);
   ASSERT_EQ(nvsvm_bench_range_cost(&p, NULL), -EINVAL);
}

TEST_HARNESS_MAIN
