/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenario: a memory cgroup's memory.reclaim over
 * device-exclusive pages. Up to 6.14 an exclusive entry dropped the
 * folio's mapcount, so reclaim's rmap walk could not find it. Since 6.15
 * the mapcount is kept and try_to_unmap() knows the entry, so reclaim
 * could swap such pages out; measured on 7.2.13 it does not: the pages
 * stay exclusive on every kernel while plain pages of the same cgroup
 * (the control) go to swap. Either way the device's next access and the
 * CPU's read find the data intact. Recorded per kernel
 * (tests/common/kernel_record.h).
 */

#include <sys/stat.h>

#include "harness_nvsvm.h"
#include "kt_common.h"

#define CG_ROOT "/sys/fs/cgroup"
#define CG_PAGES 16

FIXTURE(memcg)
{
   struct nvsvm_device *dev;
   char path[128];     /* our cgroup, once made */
   bool joined;
};

static bool
cg_has_memory(void)
{
   char buf[256] = "";
   FILE *f = fopen(CG_ROOT "/cgroup.controllers", "re");
   bool yes;

   if (!f)
      return false;
   yes = fgets(buf, sizeof(buf), f) && strstr(buf, "memory");
   fclose(f);
   return yes;
}

/* A file of our cgroup (one at a time: the buffer is reused). */
static const char *
cg_file(const FIXTURE_DATA(memcg) *self, const char *name)
{
   static char buf[192];

   snprintf(buf, sizeof(buf), "%s/%s", self->path, name);
   return buf;
}

FIXTURE_SETUP(memcg)
{
   char pid[32];

   if (geteuid() != 0)
      SKIP("memory cgroups and pagemap swap entries need root");
   if (!cg_has_memory())
      SKIP("no cgroup v2 memory controller at " CG_ROOT " (kernel "
           "without CONFIG_MEMCG, or cgroup2 not mounted)");
   if (kt_read_long("/proc/sys/vm/swappiness") < 0 ||
       kt_proc_field("/proc/meminfo", "SwapTotal:") <= 0)
      SKIP("no swap (the VM's guest init sets up zram)");
   kt_open_or_skip(KT_DEV0, &self->dev);

   /* Join a cgroup of our own before the pages exist: they are charged
    * where they are first touched. */
   ASSERT_OK(kt_write_str(CG_ROOT "/cgroup.subtree_control", "+memory"));
   snprintf(self->path, sizeof(self->path), CG_ROOT "/kt-memcg-%d",
            (int)getpid());
   ASSERT_EQ(mkdir(self->path, 0755), 0);
   snprintf(pid, sizeof(pid), "%d", (int)getpid());
   ASSERT_OK(kt_write_str(cg_file(self, "cgroup.procs"), pid));
   self->joined = true;
}

FIXTURE_TEARDOWN(memcg)
{
   char pid[32];

   if (self->joined) {
      snprintf(pid, sizeof(pid), "%d", (int)getpid());
      kt_write_str(CG_ROOT "/cgroup.procs", pid);
   }
   if (self->path[0])
      rmdir(self->path);
   if (self->dev)
      nvsvm_device_close(self->dev);
}

TEST_F(memcg, memory_reclaim_swaps_plain_pages_leaves_exclusive_ones)
{
   static const struct kr_expect left[] = {
      { "6.1", CG_PAGES }, { "6.12", CG_PAGES }, { "7.2", CG_PAGES },
      { NULL, 0 },
   };
   static const struct kr_expect swapped[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   unsigned char *p = kt_map_anon(CG_PAGES, true), *copy;
   unsigned char *ctl = kt_map_anon(CG_PAGES, true);
   int excl = 0, swp = 0, present = 0, ctl_swp = 0, ret;

   ASSERT_TRUE(p && ctl);
   DEFER_MUNMAP(p, CG_PAGES * KT_PAGE);
   DEFER_MUNMAP(ctl, CG_PAGES * KT_PAGE);
   kt_fill(p, CG_PAGES, 0x6c);
   /* The control: plain pages of the same cgroup, which reclaim swaps. */
   kt_fill(ctl, CG_PAGES, 0x6d);
   ASSERT_OK(nvsvm_device_atomic_fault(self->dev, p, CG_PAGES * KT_PAGE,
                                       NULL));
   ASSERT_EQ(kt_count_exclusive(p, CG_PAGES), CG_PAGES);

   /* Ask for far more than the cgroup holds: everything reclaimable goes
    * (the write then fails with EAGAIN, which is expected). */
   ret = kt_write_str(cg_file(self, "memory.reclaim"), "64M");
   TH_LOG("memory.reclaim 64M: %s", ret ? nvsvm_error_name(ret) : "done");

   for (unsigned i = 0; i < CG_PAGES; i++) {
      uint64_t e = kt_pagemap(p + i * KT_PAGE);
      bool x = kt_pm_exclusive(p + i * KT_PAGE);

      excl += x;
      present += !!(e & KT_PM_PRESENT);
      swp += !x && (e & KT_PM_SWAP);
   }
   for (unsigned i = 0; i < CG_PAGES; i++)
      ctl_swp += !!(kt_pagemap(ctl + i * KT_PAGE) & KT_PM_SWAP);
   TH_LOG("of %d pages: %d still exclusive, %d in swap, %d present; "
          "control: %d of %d in swap", CG_PAGES, excl, swp, present,
          ctl_swp, CG_PAGES);
   /* Reclaim really ran over this cgroup: the plain pages went. */
   ASSERT_EQ(ctl_swp, CG_PAGES);
   KR_EXPECT("exclusive pages left after memory.reclaim", left, excl);
   KR_EXPECT("exclusive pages swapped out by memory.reclaim", swapped, swp);

   /* The device's next access brings them back intact, then the CPU's. */
   copy = malloc(CG_PAGES * KT_PAGE);
   ASSERT_TRUE(copy);
   DEFER_FREE(copy);
   ASSERT_OK(nvsvm_device_read(self->dev, p, CG_PAGES * KT_PAGE, copy));
   ASSERT_EQ(kt_check_fill(copy, CG_PAGES, 0x6c), -1);
   ASSERT_EQ(kt_check_fill(p, CG_PAGES, 0x6c), -1);
   ASSERT_EQ(kt_check_fill(ctl, CG_PAGES, 0x6d), -1);
}

TEST_HARNESS_MAIN
