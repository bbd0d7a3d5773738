/* SPDX-License-Identifier: MIT */
/*
 * vsvm scenarios: device memory. SVM_BIND MIGRATE moves pages into the
 * device's private memory (the CPU sees them non-present), the device
 * does atomics there without any conversion, and a CPU access faults
 * them back with the data intact, as with real VRAM.
 */

#include <fcntl.h>

#include "pagemap.h"
#include "vt_common.h"

#define NPAGES 16u
#define WORDS (VT_PAGE / 8)
#define DEV_ITERS 1000u

/* Pages of buf that the CPU sees present. */
static int
count_present(const void *buf, unsigned npages, unsigned *present)
{
   *present = 0;
   for (unsigned i = 0; i < npages; i++) {
      uint64_t e;
      int ret = nvsvm_pm_entry((const char *)buf + i * VT_PAGE, &e);

      if (ret)
         return ret;
      *present += (unsigned)(e >> 63);
   }
   return 0;
}

static uint64_t
pattern(unsigned word)
{
   return 0xc0ffee0000000000ull | word;
}

/*
 * The fixture of this family: vsvm with SVM on, and NPAGES filled with the
 * pattern and moved to the device's memory.
 */
FIXTURE(migrated)
{
   struct nvsvm_device *dev;
   uint64_t *buf;
};

FIXTURE_SETUP(migrated)
{
   vt_open_or_skip(&self->dev, true);
   self->buf = vt_map(NPAGES);
   ASSERT_TRUE(self->buf);
   for (unsigned i = 0; i < NPAGES * WORDS; i++)
      self->buf[i] = pattern(i);
   ASSERT_OK(nvsvm_migrate_to_device(self->dev, self->buf,
                                     NPAGES * VT_PAGE, NULL));
}

FIXTURE_TEARDOWN(migrated)
{
   nvsvm_device_close(self->dev);
}

/* After SVM_BIND the CPU has no page there; the device reads the data. */
TEST_F(migrated, bind_moves_pages_to_device_memory)
{
   struct nvsvm_device *dev = self->dev;
   uint64_t *buf = self->buf;
   uint64_t *seen = NULL;
   struct nvsvm_counters c;
   struct nvsvm_lane_result r;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   unsigned present;
   int ret;

   ASSERT_OK(nvsvm_device_counters(dev, false, &c, NULL));
   ASSERT_EQ(c.migrate_to_dev, NPAGES);
   ASSERT_OK(count_present(buf, NPAGES, &present));
   ASSERT_EQ(present, 0);

   /* The device reads every word through its own mapping of them. */
   seen = calloc(NPAGES * WORDS, 8);
   DEFER_FREE(seen);
   ASSERT_TRUE(seen);
   op = vt_op(NVSVM_EXEC_LOAD, buf, 0, 0);
   op.iter_stride = 8;
   op.out = seen;
   memset(&e, 0, sizeof(e));
   e.ops = &op;
   e.nops = 1;
   e.lanes = 1;
   e.iterations = NPAGES * WORDS;
   e.flags = NVSVM_EXEC_INLINE;
   e.results = &r;
   ret = nvsvm_device_exec(dev, &e);
   vt_report_exec("device read", &e, ret);
   ASSERT_OK(ret);
   for (unsigned i = 0; i < NPAGES * WORDS; i++) {
      if (seen[i] != pattern(i))
         FAIL("device word %u: 0x%" PRIx64, i, seen[i]);
   }
   ASSERT_EQ(e.delta.faults_read, 0);
   ASSERT_OK(count_present(buf, NPAGES, &present));
   ASSERT_EQ(present, 0);
   TH_LOG("%u pages in device memory, not present for the CPU, read "
          "back by the device without a fault", NPAGES);
}

/* Lane L adds DEV_ITERS times to word 0 of page L, in device memory. */
static int
device_adds(struct nvsvm_device *dev, uint64_t *buf, struct nvsvm_exec *e,
            struct nvsvm_lane_result *r, struct nvsvm_exec_op *op)
{
   *op = vt_op(NVSVM_EXEC_ADD, buf, VT_PAGE, 1);
   memset(e, 0, sizeof(*e));
   e->ops = op;
   e->nops = 1;
   e->lanes = NPAGES;
   e->iterations = DEV_ITERS;
   e->results = r;
   return nvsvm_device_exec(dev, e);
}

/* Device memory takes device atomics natively: no fault, no conversion. */
TEST_F(migrated, device_atomics_in_device_memory_need_no_conversion)
{
   struct nvsvm_device *dev = self->dev;
   uint64_t *buf = self->buf;
   struct nvsvm_lane_result r[NPAGES];
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   unsigned present;
   int ret;

   ret = device_adds(dev, buf, &e, r, &op);
   vt_report_exec("device atomics", &e, ret);
   ASSERT_OK(ret);
   ASSERT_EQ(e.delta.device_ops, (uint64_t)NPAGES * DEV_ITERS);
   ASSERT_EQ(e.delta.faults_atomic, 0);
   ASSERT_EQ(e.delta.conversions, 0);
   ASSERT_OK(count_present(buf, NPAGES, &present));
   ASSERT_EQ(present, 0);
}

/*
 * After device atomics in device memory, the CPU reads: each page comes
 * back (one migrate_to_ram per page) with the device's sums and every
 * other word as it was.
 */
TEST_F(migrated, cpu_access_brings_pages_back_with_data_intact)
{
   struct nvsvm_device *dev = self->dev;
   uint64_t *buf = self->buf;
   struct nvsvm_lane_result r[NPAGES];
   struct nvsvm_counters d0, d1;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   unsigned present;

   ASSERT_OK(device_adds(dev, buf, &e, r, &op));
   ASSERT_OK(nvsvm_device_counters(dev, false, NULL, &d0));
   for (unsigned i = 0; i < NPAGES * WORDS; i++) {
      uint64_t want = pattern(i) + (i % WORDS == 0 ? DEV_ITERS : 0);

      if (buf[i] != want)
         FAIL("word %u: 0x%" PRIx64 ", want 0x%" PRIx64, i, buf[i],
              want);
   }
   ASSERT_OK(nvsvm_device_counters(dev, false, NULL, &d1));
   ASSERT_OK(count_present(buf, NPAGES, &present));
   TH_LOG("CPU read back %u pages: migrate_to_ram %" PRIu64
          ", present now %u, data intact", NPAGES,
          d1.migrate_to_ram - d0.migrate_to_ram, present);
   ASSERT_EQ(d1.migrate_to_ram - d0.migrate_to_ram, NPAGES);
   ASSERT_EQ(present, NPAGES);
}

/*
 * A CPU write to a page in device memory brings it back too; the device's
 * next read faults on system memory and sees the CPU's value.
 */
TEST_F(migrated, cpu_write_brings_page_back_and_device_sees_it)
{
   struct nvsvm_device *dev = self->dev;
   uint64_t *buf = self->buf;
   uint64_t seen = 0;
   struct nvsvm_lane_result r;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   unsigned present;
   int ret;

   __atomic_store_n(&buf[3 * WORDS + 7], 0xabcdull, __ATOMIC_RELEASE);
   ASSERT_OK(count_present(buf, NPAGES, &present));
   ASSERT_EQ(present, 1);

   op = vt_op(NVSVM_EXEC_LOAD, &buf[3 * WORDS + 7], 0, 0);
   op.out = &seen;
   memset(&e, 0, sizeof(e));
   e.ops = &op;
   e.nops = 1;
   e.lanes = 1;
   e.iterations = 1;
   e.flags = NVSVM_EXEC_INLINE;
   e.results = &r;
   ret = nvsvm_device_exec(dev, &e);
   vt_report_exec("device read after CPU write", &e, ret);
   ASSERT_OK(ret);
   ASSERT_EQ(seen, 0xabcd);
   ASSERT_EQ(e.delta.faults_read, 1);
}

TEST_HARNESS_MAIN
