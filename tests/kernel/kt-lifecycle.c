/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: what happens to device-exclusive pages when the
 * process forks, changes protection, unmaps, drops pages, or exits.
 */

#include "kt_common.h"

struct kt_ctx {
   struct kt_kernel k;
};

#define NPAGES 4

/*
 * fork() cannot copy an exclusive entry: the kernel restores the parent's
 * PTEs first (copy_nonpresent_pte), then both sides are plain COW.
 */
static enum piglit_result
fork_after_convert_child_and_parent_isolated(void *data)
{
   static const struct kr_expect parent_present[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   uint64_t *buf = kt_map_anon(NPAGES, true);
   const size_t words = NPAGES * KT_PAGE / 8;
   int status, ret;
   pid_t pid;

   PG_ASSERT(buf);
   KT_OPEN(KT_DEV0, &dev);
   for (size_t i = 0; i < words; i++)
      buf[i] = i;
   PG_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));

   fflush(stdout);
   pid = fork();
   PG_ASSERT(pid >= 0);
   if (pid == 0) {
      /* Child: sees the pre-fork data, its increments stay its own. */
      for (size_t i = 0; i < words; i++)
         if (buf[i]++ != i)
            _exit(2);
      for (size_t i = 0; i < words; i++)
         if (buf[i] != i + 1)
            _exit(3);
      _exit(0);
   }
   res = kt_recorded(&ctx->k, "parent page present right after fork",
                     parent_present, kt_pm_present(buf));
   for (size_t i = 0; i < words; i++)
      buf[i] += 10;
   ret = kt_wait_child(pid, 20.0, &status);
   PG_ASSERT_EQ(ret, 0);
   if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      PG_FAIL("child saw wrong data: status 0x%x", status);
   for (size_t i = 0; i < words; i++)
      if (buf[i] != i + 10)
         PG_FAIL("parent word %zu = %" PRIu64 ", want %zu", i, buf[i],
                 i + 10);
   /* The device can take the parent's pages again. */
   PG_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, NPAGES * KT_PAGE), 1);
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, NPAGES * KT_PAGE);
   return res;
}

static enum piglit_result
mprotect_readonly_exclusive_device_write_refused(void *data)
{
   static const struct kr_expect write_ro[] = {
      { "6.1", -EPERM }, { "6.12", -EPERM }, { "7.2", -EPERM },
      { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *buf = kt_map_anon(NPAGES, true);
   unsigned char *in = malloc(NPAGES * KT_PAGE);
   int ret;

   PG_ASSERT(buf && in);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, NPAGES, 0x21);
   kt_fill(in, NPAGES, 0x22);
   PG_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   PG_ASSERT_EQ(mprotect(buf, NPAGES * KT_PAGE, PROT_READ), 0);

   ret = nvsvm_device_write(dev, buf, NPAGES * KT_PAGE, in);
   res = kt_recorded(&ctx->k, "device write to read-only exclusive range",
                     write_ro, ret);
   /* Nothing of the refused write may show; the CPU still reads its data. */
   if (kt_check_fill(buf, NPAGES, 0x21) >= 0)
      PG_FAIL("read-only range changed by a refused device write");
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, NPAGES * KT_PAGE);
   free(in);
   return res;
}

static enum piglit_result
munmap_exclusive_range_device_gets_error_not_stale_data(void *data)
{
   static const struct kr_expect read_gone[] = {
      { "6.1", -EFAULT }, { "6.12", -EFAULT }, { "7.2", -EFAULT },
      { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *buf = kt_map_anon(NPAGES, true);
   unsigned char *out = malloc(NPAGES * KT_PAGE), *gone;
   int ret;

   PG_ASSERT(buf && out);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, NPAGES, 0x23);
   PG_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   PG_ASSERT_EQ(munmap(buf, NPAGES * KT_PAGE), 0);

   memset(out, 0, NPAGES * KT_PAGE);
   gone = buf;
   buf = NULL;
   ret = nvsvm_device_read(dev, gone, NPAGES * KT_PAGE, out);
   PG_ASSERT_NE(ret, 0);
   if (kt_check_fill(out, 1, 0x23) == -1)
      PG_FAIL("device returned the unmapped page's old data");
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, gone, KT_PAGE), 0);
   res = kt_recorded(&ctx->k, "device read of unmapped exclusive range",
                     read_gone, ret);
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, NPAGES * KT_PAGE);
   free(out);
   return res;
}

static enum piglit_result
dontneed_exclusive_page_returns_zero_to_cpu_and_device(void *data)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *buf = kt_map_anon(NPAGES, true);
   uint64_t *out = malloc(KT_PAGE);

   (void)data;
   PG_ASSERT(buf && out);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, NPAGES, 0x24);
   PG_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   PG_ASSERT_EQ(madvise(buf + KT_PAGE, KT_PAGE, MADV_DONTNEED), 0);

   /* The dropped page is gone everywhere; its neighbours are untouched. */
   PG_ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf + KT_PAGE, KT_PAGE),
                0);
   PG_ASSERT(kt_pm_exclusive(buf));
   PG_ASSERT(kt_pm_exclusive(buf + 2 * KT_PAGE));
   memset(out, 0xa5, KT_PAGE);
   PG_OK(nvsvm_device_read(dev, buf + KT_PAGE, KT_PAGE, out));
   for (size_t i = 0; i < KT_PAGE / 8; i++)
      if (out[i] != 0)
         PG_FAIL("device read word %zu = 0x%" PRIx64 " of a dropped page",
                 i, out[i]);
   PG_ASSERT_EQ(*(volatile uint64_t *)(buf + KT_PAGE), 0);
   PG_ASSERT_EQ(*(volatile uint64_t *)buf, kt_pattern(0, 0, 0x24));
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, NPAGES * KT_PAGE);
   free(out);
   return res;
}

#define EXIT_CHILDREN 16
#define EXIT_PAGES    256   /* 1 MiB each */

/*
 * Children that exit (or are killed) holding exclusive entries must give
 * every page back: AnonPages returns to where it was.
 */
static enum piglit_result
process_exit_with_exclusive_entries_leaks_nothing(void *data)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   long before, after;
   unsigned killed = 0;
   void *buf = NULL;

   (void)data;
   KT_OPEN(KT_DEV0, &dev);
   nvsvm_device_close(dev);
   dev = NULL;

   before = kt_proc_field("/proc/meminfo", "AnonPages");
   PG_ASSERT_GE(before, 0);
   for (int c = 0; c < EXIT_CHILDREN; c++) {
      int status, ret;
      pid_t pid;

      fflush(stdout);
      pid = fork();
      PG_ASSERT(pid >= 0);
      if (pid == 0) {
         struct nvsvm_device *cdev;
         void *p = kt_map_anon(EXIT_PAGES, true);

         if (!p || nvsvm_device_open(KT_DEV0, &cdev) != 0)
            _exit(2);
         kt_fill(p, EXIT_PAGES, 0x25);
         if (nvsvm_device_atomic_fault(cdev, p, EXIT_PAGES * KT_PAGE,
                                       NULL) != 0)
            _exit(3);
         /* Odd children die by signal: no user-space cleanup at all. */
         if (c & 1)
            raise(SIGKILL);
         _exit(0);
      }
      ret = kt_wait_child(pid, 20.0, &status);
      PG_ASSERT_EQ(ret, 0);
      if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && (c & 1))
         killed++;
      else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
         PG_FAIL("child %d: status 0x%x", c, status);
   }
   after = kt_proc_field("/proc/meminfo", "AnonPages");
   printf("# AnonPages %ld kB -> %ld kB over %d children of %d KiB\n",
          before, after, EXIT_CHILDREN, EXIT_PAGES * 4);
   PG_ASSERT_EQ(killed, EXIT_CHILDREN / 2);
   /* A leak would keep 16 MiB; allow noise from the rest of the system. */
   PG_ASSERT_LT(after - before, 2048);

   /* And the device still works for a fresh range. */
   buf = kt_map_anon(NPAGES, true);
   PG_ASSERT(buf);
   kt_fill(buf, NPAGES, 0x26);
   KT_OPEN(KT_DEV0, &dev);
   PG_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, NPAGES * KT_PAGE);
   return res;
}

/* Closing the device file while pages are exclusive: the CPU gets them. */
static enum piglit_result
device_close_with_exclusive_entries_cpu_keeps_data(void *data)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *buf = kt_map_anon(NPAGES, true);

   (void)data;
   PG_ASSERT(buf);
   KT_OPEN(KT_DEV0, &dev);
   kt_fill(buf, NPAGES, 0x27);
   PG_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   nvsvm_device_close(dev);
   dev = NULL;
   if (kt_check_fill(buf, NPAGES, 0x27) >= 0)
      PG_FAIL("data changed after the device file closed");
   for (int i = 0; i < NPAGES; i++)
      PG_ASSERT(kt_pm_present(buf + i * KT_PAGE));
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   if (buf)
      munmap(buf, NPAGES * KT_PAGE);
   return res;
}

int
main(int argc, char **argv)
{
   static const struct piglit_subtest tests[] = {
      { "fork_after_convert_child_and_parent_isolated",
        fork_after_convert_child_and_parent_isolated },
      { "mprotect_readonly_exclusive_device_write_refused",
        mprotect_readonly_exclusive_device_write_refused },
      { "munmap_exclusive_range_device_gets_error_not_stale_data",
        munmap_exclusive_range_device_gets_error_not_stale_data },
      { "dontneed_exclusive_page_returns_zero_to_cpu_and_device",
        dontneed_exclusive_page_returns_zero_to_cpu_and_device },
      { "process_exit_with_exclusive_entries_leaks_nothing",
        process_exit_with_exclusive_entries_leaks_nothing },
      { "device_close_with_exclusive_entries_cpu_keeps_data",
        device_close_with_exclusive_entries_cpu_keeps_data },
   };
   struct kt_ctx ctx;

   kt_kernel_get(&ctx.k);
   printf("# kernel %s (%s)\n", ctx.k.release, ctx.k.version);
   return piglit_run_subtests(tests, sizeof(tests) / sizeof(tests[0]), &ctx,
                              argc, argv);
}
