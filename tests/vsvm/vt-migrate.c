/* SPDX-License-Identifier: MIT */
/*
 * vsvm scenarios: device memory. SVM_BIND MIGRATE moves pages into the
 * device's private memory (the CPU sees them non-present), the device
 * does atomics there without any conversion, and a CPU access faults
 * them back with the data intact, as with real VRAM.
 */

#include <fcntl.h>

#include "vt_common.h"

#define NPAGES 16u
#define WORDS (VT_PAGE / 8)
#define DEV_ITERS 1000u

/* /proc/self/pagemap: bit 63 present, bit 62 swapped (or a swap-like
 * entry: device-private pages show up that way). */
static int
pagemap_entry(const void *addr, uint64_t *entry)
{
   int fd = open("/proc/self/pagemap", O_RDONLY);
   off_t off = (off_t)((uintptr_t)addr / VT_PAGE) * 8;
   ssize_t n;

   if (fd < 0)
      return -errno;
   n = pread(fd, entry, 8, off);
   close(fd);
   return n == 8 ? 0 : -EIO;
}

/* Pages of buf that the CPU sees present. */
static int
count_present(const void *buf, unsigned npages, unsigned *present)
{
   *present = 0;
   for (unsigned i = 0; i < npages; i++) {
      uint64_t e;
      int ret = pagemap_entry((const char *)buf + i * VT_PAGE, &e);

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

/* Fresh device, NPAGES filled with the pattern and moved to the device. */
static int
setup_migrated(struct nvsvm_device **dev, uint64_t **buf)
{
   int ret = vt_open(dev, true);

   if (ret)
      return ret;
   *buf = vt_map(NPAGES);
   if (!*buf)
      return -ENOMEM;
   for (unsigned i = 0; i < NPAGES * WORDS; i++)
      (*buf)[i] = pattern(i);
   return nvsvm_migrate_to_device(*dev, *buf, NPAGES * VT_PAGE, NULL);
}

#define SETUP_MIGRATED(devp, bufp)                                     \
   do {                                                                \
      int _r = setup_migrated((devp), (bufp));                         \
      if (_r == 1)                                                     \
         PG_SKIP(VT_SKIP_REASON_NO_VSVM);                              \
      if (_r)                                                          \
         PG_FAIL("migrate setup: %s (%s)", nvsvm_error_name(_r),       \
                 nvsvm_strerror(_r));                                  \
   } while (0)

/* After SVM_BIND the CPU has no page there; the device reads the data. */
static enum piglit_result
bind_moves_pages_to_device_memory(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   uint64_t *buf = NULL, *seen = NULL;
   struct nvsvm_counters c;
   struct nvsvm_lane_result r;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   unsigned present;
   int ret;

   (void)ctx;
   SETUP_MIGRATED(&dev, &buf);
   PG_OK(nvsvm_device_counters(dev, false, &c, NULL));
   PG_ASSERT_EQ(c.migrate_to_dev, NPAGES);
   PG_OK(count_present(buf, NPAGES, &present));
   PG_ASSERT_EQ(present, 0);

   /* The device reads every word through its own mapping of them. */
   seen = calloc(NPAGES * WORDS, 8);
   PG_ASSERT(seen);
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
   PG_OK(ret);
   for (unsigned i = 0; i < NPAGES * WORDS; i++) {
      if (seen[i] != pattern(i))
         PG_FAIL("device word %u: 0x%" PRIx64, i, seen[i]);
   }
   PG_ASSERT_EQ(e.delta.faults_read, 0);
   PG_OK(count_present(buf, NPAGES, &present));
   PG_ASSERT_EQ(present, 0);
   piglit_note("%u pages in device memory, not present for the CPU, read "
               "back by the device without a fault", NPAGES);
   res = PIGLIT_PASS;
out:
   free(seen);
   if (buf)
      munmap(buf, NPAGES * VT_PAGE);
   nvsvm_device_close(dev);
   return res;
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
static enum piglit_result
device_atomics_in_device_memory_need_no_conversion(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   uint64_t *buf = NULL;
   struct nvsvm_lane_result r[NPAGES];
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   unsigned present;
   int ret;

   (void)ctx;
   SETUP_MIGRATED(&dev, &buf);
   ret = device_adds(dev, buf, &e, r, &op);
   vt_report_exec("device atomics", &e, ret);
   PG_OK(ret);
   PG_ASSERT_EQ(e.delta.device_ops, (uint64_t)NPAGES * DEV_ITERS);
   PG_ASSERT_EQ(e.delta.faults_atomic, 0);
   PG_ASSERT_EQ(e.delta.conversions, 0);
   PG_OK(count_present(buf, NPAGES, &present));
   PG_ASSERT_EQ(present, 0);
   res = PIGLIT_PASS;
out:
   if (buf)
      munmap(buf, NPAGES * VT_PAGE);
   nvsvm_device_close(dev);
   return res;
}

/*
 * After device atomics in device memory, the CPU reads: each page comes
 * back (one migrate_to_ram per page) with the device's sums and every
 * other word as it was.
 */
static enum piglit_result
cpu_access_brings_pages_back_with_data_intact(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   uint64_t *buf = NULL;
   struct nvsvm_lane_result r[NPAGES];
   struct nvsvm_counters d0, d1;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   unsigned present;

   (void)ctx;
   SETUP_MIGRATED(&dev, &buf);
   PG_OK(device_adds(dev, buf, &e, r, &op));
   PG_OK(nvsvm_device_counters(dev, false, NULL, &d0));
   for (unsigned i = 0; i < NPAGES * WORDS; i++) {
      uint64_t want = pattern(i) + (i % WORDS == 0 ? DEV_ITERS : 0);

      if (buf[i] != want)
         PG_FAIL("word %u: 0x%" PRIx64 ", want 0x%" PRIx64, i, buf[i],
                 want);
   }
   PG_OK(nvsvm_device_counters(dev, false, NULL, &d1));
   PG_OK(count_present(buf, NPAGES, &present));
   piglit_note("CPU read back %u pages: migrate_to_ram %" PRIu64
               ", present now %u, data intact", NPAGES,
               d1.migrate_to_ram - d0.migrate_to_ram, present);
   PG_ASSERT_EQ(d1.migrate_to_ram - d0.migrate_to_ram, NPAGES);
   PG_ASSERT_EQ(present, NPAGES);
   res = PIGLIT_PASS;
out:
   if (buf)
      munmap(buf, NPAGES * VT_PAGE);
   nvsvm_device_close(dev);
   return res;
}

/*
 * A CPU write to a page in device memory brings it back too; the device's
 * next read faults on system memory and sees the CPU's value.
 */
static enum piglit_result
cpu_write_brings_page_back_and_device_sees_it(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   uint64_t *buf = NULL, seen = 0;
   struct nvsvm_lane_result r;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   unsigned present;
   int ret;

   (void)ctx;
   SETUP_MIGRATED(&dev, &buf);
   __atomic_store_n(&buf[3 * WORDS + 7], 0xabcdull, __ATOMIC_RELEASE);
   PG_OK(count_present(buf, NPAGES, &present));
   PG_ASSERT_EQ(present, 1);

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
   PG_OK(ret);
   PG_ASSERT_EQ(seen, 0xabcd);
   PG_ASSERT_EQ(e.delta.faults_read, 1);
   res = PIGLIT_PASS;
out:
   if (buf)
      munmap(buf, NPAGES * VT_PAGE);
   nvsvm_device_close(dev);
   return res;
}

int
main(int argc, char **argv)
{
#define T(fn) { #fn, fn }
   static const struct piglit_subtest tests[] = {
      T(bind_moves_pages_to_device_memory),
      T(device_atomics_in_device_memory_need_no_conversion),
      T(cpu_access_brings_pages_back_with_data_intact),
      T(cpu_write_brings_page_back_and_device_sees_it),
   };
#undef T

   return piglit_run_subtests(tests, sizeof(tests) / sizeof(tests[0]),
                              NULL, argc, argv);
}
