/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: what happens to device-exclusive pages when the
 * process forks, changes protection, unmaps, drops pages, or exits.
 */

#include "kt_common.h"

#define NPAGES 4

/*
 * fork() cannot copy an exclusive entry: the kernel restores the parent's
 * PTEs first (copy_nonpresent_pte), then both sides are plain COW.
 */
TEST_F(hmm, fork_after_convert_child_and_parent_isolated)
{
   static const struct kr_expect parent_present[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   uint64_t *buf = kt_map_anon(NPAGES, true);
   const size_t words = NPAGES * KT_PAGE / 8;
   int status, ret;
   pid_t pid;

   ASSERT_TRUE(buf);
   for (size_t i = 0; i < words; i++)
      buf[i] = i;
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));

   fflush(stdout);
   pid = fork();
   ASSERT_TRUE(pid >= 0);
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
   KT_EXPECT(self, "parent page present right after fork",
             parent_present, kt_pm_present(buf));
   for (size_t i = 0; i < words; i++)
      buf[i] += 10;
   ret = kt_wait_child(pid, 20.0, &status);
   ASSERT_EQ(ret, 0);
   if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      FAIL("child saw wrong data: status 0x%x", status);
   for (size_t i = 0; i < words; i++)
      if (buf[i] != i + 10)
         FAIL("parent word %zu = %" PRIu64 ", want %zu", i, buf[i],
              i + 10);
   /* The device can take the parent's pages again. */
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf, NPAGES * KT_PAGE), 1);
}

TEST_F(hmm, mprotect_readonly_exclusive_device_write_refused)
{
   static const struct kr_expect write_ro[] = {
      { "6.1", -EPERM }, { "6.12", -EPERM }, { "7.2", -EPERM },
      { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(NPAGES, true);
   unsigned char *in = malloc(NPAGES * KT_PAGE);
   int ret;

   DEFER_FREE(in);
   ASSERT_TRUE(buf && in);
   kt_fill(buf, NPAGES, 0x21);
   kt_fill(in, NPAGES, 0x22);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   ASSERT_EQ(mprotect(buf, NPAGES * KT_PAGE, PROT_READ), 0);

   ret = nvsvm_device_write(dev, buf, NPAGES * KT_PAGE, in);
   KT_EXPECT(self, "device write to read-only exclusive range",
             write_ro, ret);
   /* Nothing of the refused write may show; the CPU still reads its data. */
   if (kt_check_fill(buf, NPAGES, 0x21) >= 0)
      FAIL("read-only range changed by a refused device write");
}

TEST_F(hmm, munmap_exclusive_range_device_gets_error_not_stale_data)
{
   static const struct kr_expect read_gone[] = {
      { "6.1", -EFAULT }, { "6.12", -EFAULT }, { "7.2", -EFAULT },
      { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(NPAGES, true);
   unsigned char *out = malloc(NPAGES * KT_PAGE), *gone;
   int ret;

   DEFER_FREE(out);
   ASSERT_TRUE(buf && out);
   kt_fill(buf, NPAGES, 0x23);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   ASSERT_EQ(munmap(buf, NPAGES * KT_PAGE), 0);

   memset(out, 0, NPAGES * KT_PAGE);
   gone = buf;
   buf = NULL;
   ret = nvsvm_device_read(dev, gone, NPAGES * KT_PAGE, out);
   ASSERT_NE(ret, 0);
   if (kt_check_fill(out, 1, 0x23) == -1)
      FAIL("device returned the unmapped page's old data");
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, gone, KT_PAGE), 0);
   KT_EXPECT(self, "device read of unmapped exclusive range", read_gone, ret);
}

TEST_F(hmm, dontneed_exclusive_page_returns_zero_to_cpu_and_device)
{
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(NPAGES, true);
   uint64_t *out = malloc(KT_PAGE);

   DEFER_FREE(out);
   ASSERT_TRUE(buf && out);
   kt_fill(buf, NPAGES, 0x24);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   ASSERT_EQ(madvise(buf + KT_PAGE, KT_PAGE, MADV_DONTNEED), 0);

   /* The dropped page is gone everywhere; its neighbours are untouched. */
   ASSERT_EQ(nvsvm_device_check_exclusive(dev, buf + KT_PAGE, KT_PAGE),
             0);
   ASSERT_TRUE(kt_pm_exclusive(buf));
   ASSERT_TRUE(kt_pm_exclusive(buf + 2 * KT_PAGE));
   memset(out, 0xa5, KT_PAGE);
   ASSERT_OK(nvsvm_device_read(dev, buf + KT_PAGE, KT_PAGE, out));
   for (size_t i = 0; i < KT_PAGE / 8; i++)
      if (out[i] != 0)
         FAIL("device read word %zu = 0x%" PRIx64 " of a dropped page",
              i, out[i]);
   ASSERT_EQ(*(volatile uint64_t *)(buf + KT_PAGE), 0);
   ASSERT_EQ(*(volatile uint64_t *)buf, kt_pattern(0, 0, 0x24));
}

#define EXIT_CHILDREN 16
#define EXIT_PAGES    256   /* 1 MiB each */

/*
 * Children that exit (or are killed) holding exclusive entries must give
 * every page back: AnonPages returns to where it was.
 */
TEST_F(hmm, process_exit_with_exclusive_entries_leaks_nothing)
{
   long before, after;
   unsigned killed = 0;
   void *buf;

   /* Only the children hold the device while they run. */
   nvsvm_device_close(self->dev);
   self->dev = NULL;

   before = kt_proc_field("/proc/meminfo", "AnonPages");
   ASSERT_GE(before, 0);
   for (int c = 0; c < EXIT_CHILDREN; c++) {
      int status, ret;
      pid_t pid;

      fflush(stdout);
      pid = fork();
      ASSERT_TRUE(pid >= 0);
      if (pid == 0) {
         struct nvsvm_device *cdev;
         void *p = kt_map_anon_owned(EXIT_PAGES, true);

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
      ASSERT_EQ(ret, 0);
      if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && (c & 1))
         killed++;
      else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
         FAIL("child %d: status 0x%x", c, status);
   }
   after = kt_proc_field("/proc/meminfo", "AnonPages");
   printf("# AnonPages %ld kB -> %ld kB over %d children of %d KiB\n",
          before, after, EXIT_CHILDREN, EXIT_PAGES * 4);
   ASSERT_EQ(killed, EXIT_CHILDREN / 2);
   /* A leak would keep 16 MiB; allow noise from the rest of the system. */
   ASSERT_LT(after - before, 2048);

   /* And the device still works for a fresh range. */
   buf = kt_map_anon(NPAGES, true);
   ASSERT_TRUE(buf);
   kt_fill(buf, NPAGES, 0x26);
   kt_open_or_skip(KT_DEV0, &self->dev);
   ASSERT_OK(nvsvm_device_atomic_fault(self->dev, buf, NPAGES * KT_PAGE,
                                           NULL));
}

/* Closing the device file while pages are exclusive: the CPU gets them. */
TEST_F(hmm, device_close_with_exclusive_entries_cpu_keeps_data)
{
   struct nvsvm_device *dev = self->dev;
   unsigned char *buf = kt_map_anon(NPAGES, true);

   ASSERT_TRUE(buf);
   kt_fill(buf, NPAGES, 0x27);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, buf, NPAGES * KT_PAGE, NULL));
   nvsvm_device_close(dev);
   self->dev = NULL;
   if (kt_check_fill(buf, NPAGES, 0x27) >= 0)
      FAIL("data changed after the device file closed");
   for (int i = 0; i < NPAGES; i++)
      ASSERT_TRUE(kt_pm_present(buf + i * KT_PAGE));
}

TEST_HARNESS_MAIN
