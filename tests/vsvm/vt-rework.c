/* SPDX-License-Identifier: MIT */
/*
 * vsvm scenarios: what a device driver sees of the 6.15 rework of
 * device-exclusive entries, recorded per kernel (tests/common/
 * kernel_record.h) like the kt-rework family of the HMM test device.
 */

#include "vt_common.h"
#include "kernel_record.h"

/*
 * A CPU touch takes a device-exclusive page back and the kernel tells the
 * device through its mmu notifier. Up to 6.14 the event is
 * MMU_NOTIFY_EXCLUSIVE (with no owner: a driver that filters its own
 * conversions by event alone would miss it); since 6.15 it is
 * MMU_NOTIFY_CLEAR. Either way the device's entry goes and the CPU's
 * store lands after the device's add.
 */
TEST_F(vsvm, cpu_touch_revokes_with_notify_exclusive_until_6_14_clear_since_6_15)
{
   static const struct kr_expect excl[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 0 }, { NULL, 0 },
   };
   static const struct kr_expect clear[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct nvsvm_counters f;
   struct nvsvm_lane_result r;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   volatile uint64_t *p = vt_map(1);

   ASSERT_TRUE(p);
   p[0] = 5;
   op = vt_op(NVSVM_EXEC_ADD, p, 0, 1);
   memset(&e, 0, sizeof(e));
   e.ops = &op;
   e.nops = 1;
   e.lanes = 1;
   e.iterations = 1;
   e.timeout_ms = 10000;
   e.results = &r;
   ASSERT_OK(nvsvm_device_exec(self->dev, &e));
   ASSERT_EQ(e.delta.conversions, 1);
   ASSERT_OK(nvsvm_device_counters(self->dev, true, &f, NULL));

   p[0] += 1;   /* the CPU touch: a fault on the exclusive entry */

   ASSERT_OK(nvsvm_device_counters(self->dev, false, &f, NULL));
   TH_LOG("after the CPU touch: invalidations %" PRIu64 " (entries %" PRIu64
          "), by event: EXCLUSIVE %" PRIu64 ", CLEAR %" PRIu64,
          f.invalidations, f.entries_dropped, f.inval_exclusive,
          f.inval_clear);
   ASSERT_EQ(f.invalidations, 1);
   ASSERT_EQ(p[0], 7);
   KR_EXPECT("revocation invalidations with MMU_NOTIFY_EXCLUSIVE", excl,
             (long)f.inval_exclusive);
   KR_EXPECT("revocation invalidations with MMU_NOTIFY_CLEAR", clear,
             (long)f.inval_clear);
}

TEST_HARNESS_MAIN
