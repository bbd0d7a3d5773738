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

struct kt_ctx {
   struct kt_kernel k;
};

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
static enum piglit_result
io_uring_fixed_buffer_written_while_device_exclusive(void *data)
{
   (void)data;
   printf("# SKIP: built without liburing (liburing-dev)\n");
   return PIGLIT_SKIP;
}
#else
static enum piglit_result
io_uring_fixed_buffer_written_while_device_exclusive(void *data)
{
   static const struct kr_expect convert[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   static const struct kr_expect still_excl[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL, r2;
   struct nvsvm_device *dev = NULL;
   struct io_uring ring;
   struct io_uring_sqe *sqe;
   struct io_uring_cqe *cqe;
   struct __kernel_timespec ts = { .tv_sec = 10 };
   unsigned char *buf = kt_map_anon(1, true), *src = malloc(KT_PAGE);
   bool ring_up = false, registered = false;
   struct iovec iov;
   int fd = -1, ret, excl;

   PG_ASSERT(buf && src);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, 1, 0x51);
   kt_fill(src, 1, 0x52);
   fd = tmpfs_file_with(src, KT_PAGE);
   PG_ASSERT(fd >= 0);
   ret = io_uring_queue_init(4, &ring, 0);
   if (ret == -ENOSYS || ret == -EPERM)
      PG_SKIP("io_uring unavailable: %s (CONFIG_IO_URING or "
              "kernel.io_uring_disabled)", strerror(-ret));
   PG_ASSERT_EQ(ret, 0);
   ring_up = true;
   iov.iov_base = buf;
   iov.iov_len = KT_PAGE;
   /* Registration pins the page (FOLL_LONGTERM) for as long as it lasts. */
   PG_ASSERT_EQ(io_uring_register_buffers(&ring, &iov, 1), 0);
   registered = true;

   ret = nvsvm_device_atomic_fault(dev, buf, KT_PAGE, NULL);
   res = kt_recorded(&ctx->k, "convert pinned io_uring buffer", convert,
                     ret);
   PG_ASSERT_EQ(ret, 0);

   sqe = io_uring_get_sqe(&ring);
   PG_ASSERT(sqe);
   io_uring_prep_read_fixed(sqe, fd, buf, KT_PAGE, 0, 0);
   PG_ASSERT_EQ(io_uring_submit(&ring), 1);
   ret = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
   PG_ASSERT_EQ(ret, 0);
   PG_ASSERT_EQ(cqe->res, (int)KT_PAGE);
   io_uring_cqe_seen(&ring, cqe);

   /* Nobody told the device: its entry and the CPU's swap PTE remain. */
   excl = nvsvm_device_check_exclusive(dev, buf, KT_PAGE);
   r2 = kt_recorded(&ctx->k, "device still exclusive after io_uring wrote",
                    still_excl, excl);
   res = kr_worst(res, r2);
   PG_ASSERT(kt_pm_exclusive(buf));
   /* The CPU takes the page back and finds what io_uring wrote. */
   if (kt_check_fill(buf, 1, 0x52) >= 0)
      PG_FAIL("CPU does not see the data io_uring wrote");
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, KT_PAGE), 0);
out:
   nvsvm_device_close(dev);
   if (registered)
      io_uring_unregister_buffers(&ring);
   if (ring_up)
      io_uring_queue_exit(&ring);
   if (fd >= 0)
      close(fd);
   if (buf)
      munmap(buf, KT_PAGE);
   free(src);
   return res;
}
#endif

static enum piglit_result
mlocked_pages_convert_and_stay_locked(void *data)
{
   static const struct kr_expect convert[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   struct nvsvm_range_report rep;
   unsigned char *buf = kt_map_anon(4, true);
   long lck0, lck1;
   int ret;

   PG_ASSERT(buf);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, 4, 0x53);
   if (mlock(buf, 4 * KT_PAGE) != 0)
      PG_SKIP("mlock: %s (RLIMIT_MEMLOCK)", strerror(errno));
   lck0 = kt_proc_field("/proc/self/status", "VmLck");
   if (lck0 < 16)
      PG_SKIP("mlock returned 0 but locked nothing (VmLck %ld kB): "
              "a sanitizer runtime intercepts it", lck0);
   PG_OK(nvsvm_range_check(buf, 4 * KT_PAGE, 0, &rep));
   PG_ASSERT(rep.warnings & NVSVM_RANGE_WARN_LOCKED);

   ret = nvsvm_device_atomic_fault(dev, buf, 4 * KT_PAGE, NULL);
   res = kt_recorded(&ctx->k, "convert mlock'd pages", convert, ret);
   for (int i = 0; ret == 0 && i < 4; i++)
      if (!kt_pm_exclusive(buf + i * KT_PAGE))
         PG_FAIL("mlock'd page %d not exclusive after conversion", i);
   if (kt_check_fill(buf, 4, 0x53) >= 0)
      PG_FAIL("mlock'd data changed");
   lck1 = kt_proc_field("/proc/self/status", "VmLck");
   printf("# VmLck %ld kB -> %ld kB\n", lck0, lck1);
   PG_ASSERT_EQ(lck1, lck0);
   PG_ASSERT_EQ(munlock(buf, 4 * KT_PAGE), 0);
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, 4 * KT_PAGE);
   return res;
}

int
main(int argc, char **argv)
{
   static const struct piglit_subtest tests[] = {
      { "io_uring_fixed_buffer_written_while_device_exclusive",
        io_uring_fixed_buffer_written_while_device_exclusive },
      { "mlocked_pages_convert_and_stay_locked",
        mlocked_pages_convert_and_stay_locked },
   };
   struct kt_ctx ctx;

   kt_kernel_get(&ctx.k);
   printf("# kernel %s (%s)\n", ctx.k.release, ctx.k.version);
   return piglit_run_subtests(tests, sizeof(tests) / sizeof(tests[0]), &ctx,
                              argc, argv);
}
