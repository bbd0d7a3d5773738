/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the bench workload that needs no device: the range
 * check cost, measured on this very process. (The device workloads run
 * in the VM: tests/kernel/kt-thrash.c and `make bench`.)
 */

#include <errno.h>

#include "nvsvm/nvsvm_bench.h"
#include "nvsvm_test.h"

/* The workload makes exactly the VMAs it asks for, plus its probe page. */
NVSVM_TEST(range_cost_adds_exactly_the_mappings_asked_for)
{
   struct nvsvm_bench_range_params p = { .mappings = 300, .calls = 5 };
   struct nvsvm_bench_range_result r;

   ASSERT_EQ(nvsvm_bench_range_cost(&p, &r), 0);
   ASSERT_EQ(r.maps_after, r.maps_before + 300 + 1);
   ASSERT_GT(r.few.us, 0);
   ASSERT_GT(r.many_high.us_no_thp, 0);
}

/* The probe above the new mappings has all of them below it. */
NVSVM_TEST(range_cost_high_probe_reads_past_every_new_mapping)
{
   struct nvsvm_bench_range_params p = { .mappings = 300, .calls = 5 };
   struct nvsvm_bench_range_result r;

   ASSERT_EQ(nvsvm_bench_range_cost(&p, &r), 0);
   ASSERT_LT(r.many_low.addr, r.many_high.addr);
   ASSERT_GE(r.many_high.maps_below, r.many_low.maps_below + 300);
   ASSERT_LE(r.many_high.maps_below, r.maps_after);
}

/* Nothing it mapped outlives it. */
NVSVM_TEST(range_cost_unmaps_everything_it_mapped)
{
   struct nvsvm_bench_range_params p = { .mappings = 300, .calls = 5 };
   struct nvsvm_bench_range_result first, second;

   ASSERT_EQ(nvsvm_bench_range_cost(&p, &first), 0);
   ASSERT_EQ(nvsvm_bench_range_cost(&p, &second), 0);
   ASSERT_EQ(second.maps_before, first.maps_before);
   ASSERT_EQ(second.maps_after, first.maps_after);
}

NVSVM_TEST(range_cost_refuses_bad_params)
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

NVSVM_TEST_MAIN(
   NVSVM_CASE(range_cost_adds_exactly_the_mappings_asked_for),
   NVSVM_CASE(range_cost_high_probe_reads_past_every_new_mapping),
   NVSVM_CASE(range_cost_unmaps_everything_it_mapped),
   NVSVM_CASE(range_cost_refuses_bad_params),
)
