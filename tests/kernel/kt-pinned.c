/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: pinned and locked pages. An io_uring fixed
 * buffer pins its pages, and the kernel still writes through the pin
 * while the device holds the page exclusive: the promise is only between
 * CPU and device. mlock'd pages convert like any other.
 */

#include "kt_common.h"

#ifndef KT_NO_LIBURING
#include <liburing.h>
#endif

static int
tmpfs_file_with(const void *data, size_t len)
{
   char path[] = "/dev/shm/kt-pinned-XXXXXX";
   int fd = mkstemp(path);

   if (fd < 0)
      return -1;
   unlink(path);
   if (write(fd, data, len) != (ssize_t)len) {
      close(fd);
      return -1;
   }
   return fd;
}

#ifdef KT_NO_LIBURING
TEST_F(hmm, io_uring_fixed_buffer_written_while_device_exclusive)
{
   SKIP("built without liburing (liburing-dev)");
}
#else
/* The ring outlives the scenario's stack: its releases are deferred. */
static struct io_uring kt_ring;

static void
ring_exit(void *ring, uintptr_t n)
{
   (void)n;
   io_uring_queue_exit(ring);
}

static void
ring_unregister(void *ring, uintptr_t n)
{
   (void)n;
   io_uring_unregister_buffers(ring);
}

TEST_F(hmm, io_uring_fixed_buffer_written_while_device_exclusive)
{
   static const struct kr_expect convert[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   static const struct kr_expect still_excl[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   struct io_uring *ring = &kt_ring;
   struct io_uring_sqe *sqe;
   struct io_uring_cqe *cqe;
   struct __kernel_timespec ts = { .tv_sec = 10 };
   unsigned char *buf = kt_map_anon(1, true), *src = malloc(KT_PAGE);
   struct iovec iov;
   int fd, ret, excl;

   DEFER_FREE(src);
   ASSERT_TRUE(buf && src);
   kt_fill(buf, 1, 0x51);
   kt_fill(src, 1, 0x52);
   fd = tmpfs_file_with(src, KT_PAGE);
   ASSERT_TRUE(fd >= 0);
   DEFER_CLOSE(fd);
   ret = io_uring_queue_init(4, ring, 0);
   if (ret == -ENOSYS || ret == -EPERM)
      SKIP("io_uring unavailable: %s (CONFIG_IO_URING or "
           "kernel.io_uring_disabled)", strerror(-ret));
   ASSERT_EQ(ret, 0);
   HARNESS_DEFER(ring_exit, ring, 0);
   iov.iov_base = buf;
   iov.iov_len = KT_PAGE;
   /* Registration pins the page (FOLL_LONGTERM) for as long as it lasts. */
   ASSERT_EQ(io_uring_register_buffers(ring, &iov, 1), 0);
   HARNESS_DEFER(ring_unregister, ring, 0);

   ret = nvsvm_device_atomic_fault(dev, buf, KT_PAGE, NULL);
   KT_EXPECT(self, "convert pinned io_uring buffer", convert, ret);
   ASSERT_EQ(ret, 0);

   sqe = io_uring_get_sqe(ring);
   ASSERT_TRUE(sqe);
   io_uring_prep_read_fixed(sqe, fd, buf, KT_PAGE, 0, 0);
   ASSERT_EQ(io_uring_submit(ring), 1);
   ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
   ASSERT_EQ(ret, 0);
   ASSERT_EQ(cqe->res, (int)KT_PAGE);
   io_uring_cqe_seen(ring, cqe);

   /* Nobody told the device: its entry and the CPU's swap PTE remain. */
   excl = nvsvm_device_check_exclusive(dev, buf, KT_PAGE);
   KT_EXPECT(self, "device still exclusive after io_uring wrote", still_excl,
             excl);
   ASSERT_TRUE(kt_pm_exclusive(buf));
   /* The CPU takes the page back and finds what io_uring wrote. */
   if (kt_check_fill(buf, 1, 0x52) >= 0)
      FAIL("CPU does not see the data io_uring wrote");
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, KT_PAGE), 0);
}
#endif

TEST_F(hmm, mlocked_pages_convert_and_stay_locked)
{
   static const struct kr_expect convert[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_range_report rep;
   unsigned char *buf = kt_map_anon(4, true);
   long lck0, lck1;
   int ret;

   ASSERT_TRUE(buf);
   kt_fill(buf, 4, 0x53);
   if (mlock(buf, 4 * KT_PAGE) != 0)
      SKIP("mlock: %s (RLIMIT_MEMLOCK)", strerror(errno));
   lck0 = kt_proc_field("/proc/self/status", "VmLck");
   if (lck0 < 16)
      SKIP("mlock returned 0 but locked nothing (VmLck %ld kB): "
           "a sanitizer runtime intercepts it", lck0);
   ASSERT_OK(nvsvm_range_check(buf, 4 * KT_PAGE, 0, &rep));
   ASSERT_TRUE(rep.warnings & NVSVM_RANGE_WARN_LOCKED);

   ret = nvsvm_device_atomic_fault(dev, buf, 4 * KT_PAGE, NULL);
   KT_EXPECT(self, "convert mlock'd pages", convert, ret);
   for (int i = 0; ret == 0 && i < 4; i++)
      if (!kt_pm_exclusive(buf + i * KT_PAGE))
         FAIL("mlock'd page %d not exclusive after conversion", i);
   if (kt_check_fill(buf, 4, 0x53) >= 0)
      FAIL("mlock'd data changed");
   lck1 = kt_proc_field("/proc/self/status", "VmLck");
   printf("# VmLck %ld kB -> %ld kB\n", lck0, lck1);
   ASSERT_EQ(lck1, lck0);
   ASSERT_EQ(munlock(buf, 4 * KT_PAGE), 0);
}

TEST_HARNESS_MAIN
