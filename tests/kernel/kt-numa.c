/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: NUMA migration of device-exclusive pages between
 * the VM's two nodes (numa=fake=2). move_pages() looks each page up and
 * migrates what it finds; migrate_pages() walks the page tables of the
 * whole process. Measured on 6.1, 6.12 and 7.2: neither sees an
 * exclusive entry (move_pages answers -ENOENT for it, migrate_pages
 * skips it), so the pages stay exclusive on their node while plain
 * pages (the controls) move; recorded per kernel
 * (tests/common/kernel_record.h). The data comes through intact.
 */

#include <sys/syscall.h>

#include "harness_nvsvm.h"
#include "kt_common.h"

#define NUMA_PAGES 8
#define KT_MPOL_MF_MOVE (1 << 1)

FIXTURE(numa)
{
   struct nvsvm_device *dev;
};

FIXTURE_SETUP(numa)
{
   if (geteuid() != 0)
      SKIP("pagemap swap entries need root");
   if (access("/sys/devices/system/node/node1", F_OK) != 0)
      SKIP("one NUMA node (a kernel without CONFIG_NUMA_EMU, or not "
           "booted with numa=fake=2 as tools/vm/run does)");
   kt_open_or_skip(KT_DEV0, &self->dev);
}

FIXTURE_TEARDOWN(numa)
{
   if (self->dev)
      nvsvm_device_close(self->dev);
}

/* move_pages(2): nodes NULL queries; status[i] is a node or -errno. */
static long
kt_move_pages(void *p, unsigned n, const int *nodes, int *status)
{
   void *pages[NUMA_PAGES];

   for (unsigned i = 0; i < n; i++)
      pages[i] = (char *)p + i * KT_PAGE;
   return syscall(SYS_move_pages, 0, (unsigned long)n, pages, nodes, status,
                  nodes ? KT_MPOL_MF_MOVE : 0);
}

/* Fresh pages, filled, on one node; returns that node. */
static int
exclusive_pages(struct nvsvm_device *dev, unsigned char **pp, uint64_t salt)
{
   int status[NUMA_PAGES];
   unsigned char *p = kt_map_anon(NUMA_PAGES, true);

   ASSERT_TRUE(p);
   DEFER_MUNMAP(p, NUMA_PAGES * KT_PAGE);
   kt_fill(p, NUMA_PAGES, salt);
   ASSERT_EQ(kt_move_pages(p, NUMA_PAGES, NULL, status), 0);
   ASSERT_GE(status[0], 0);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, p, NUMA_PAGES * KT_PAGE, NULL));
   ASSERT_EQ(kt_count_exclusive(p, NUMA_PAGES), NUMA_PAGES);
   *pp = p;
   return status[0];
}

/* The device reads the data intact, then the CPU. */
static void
data_intact(struct nvsvm_device *dev, const unsigned char *p, uint64_t salt)
{
   unsigned char *copy = malloc(NUMA_PAGES * KT_PAGE);

   ASSERT_TRUE(copy);
   DEFER_FREE(copy);
   ASSERT_OK(nvsvm_device_read(dev, p, NUMA_PAGES * KT_PAGE, copy));
   ASSERT_EQ(kt_check_fill(copy, NUMA_PAGES, salt), -1);
   ASSERT_EQ(kt_check_fill(p, NUMA_PAGES, salt), -1);
}

TEST_F(numa, move_pages_finds_no_exclusive_page_enoent_moves_none)
{
   static const struct kr_expect query[] = {
      { "6.1", -ENOENT }, { "6.12", -ENOENT }, { "7.2", -ENOENT },
      { NULL, 0 },
   };
   static const struct kr_expect moved[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   static const struct kr_expect left[] = {
      { "6.1", NUMA_PAGES }, { "6.12", NUMA_PAGES },
      { "7.2", NUMA_PAGES }, { NULL, 0 },
   };
   int nodes[NUMA_PAGES], status[NUMA_PAGES], node, ok = 0;
   unsigned char *p;
   long ret;

   node = exclusive_pages(self->dev, &p, 0x6e);
   ASSERT_EQ(kt_move_pages(p, NUMA_PAGES, NULL, status), 0);
   TH_LOG("pages on node %d; query of an exclusive page: %d", node,
          status[0]);
   KR_EXPECT("move_pages query status of an exclusive page", query,
             status[0]);

   for (unsigned i = 0; i < NUMA_PAGES; i++)
      nodes[i] = !node;
   /* The control: plain pages move to the other node. */
   {
      unsigned char *ctl = kt_map_anon(NUMA_PAGES, true);
      int moved = 0;

      ASSERT_TRUE(ctl);
      DEFER_MUNMAP(ctl, NUMA_PAGES * KT_PAGE);
      kt_fill(ctl, NUMA_PAGES, 0x70);
      ASSERT_EQ(kt_move_pages(ctl, NUMA_PAGES, nodes, status), 0);
      for (unsigned i = 0; i < NUMA_PAGES; i++)
         moved += status[i] == !node;
      ASSERT_EQ(moved, NUMA_PAGES);
      ASSERT_EQ(kt_check_fill(ctl, NUMA_PAGES, 0x70), -1);
   }
   ret = kt_move_pages(p, NUMA_PAGES, nodes, status);
   for (unsigned i = 0; i < NUMA_PAGES; i++)
      ok += status[i] == !node;
   TH_LOG("move_pages to node %d: %ld, status[0] %d, %d moved, %d still "
          "exclusive", !node, ret < 0 ? -errno : ret, status[0], ok,
          kt_count_exclusive(p, NUMA_PAGES));
   KR_EXPECT("pages move_pages reports moved to the other node", moved, ok);
   KR_EXPECT("exclusive pages left after move_pages", left,
             kt_count_exclusive(p, NUMA_PAGES));
   data_intact(self->dev, p, 0x6e);
}

TEST_F(numa, migrate_pages_moves_plain_pages_leaves_exclusive_ones)
{
   static const struct kr_expect left[] = {
      { "6.1", NUMA_PAGES }, { "6.12", NUMA_PAGES },
      { "7.2", NUMA_PAGES }, { NULL, 0 },
   };
   unsigned long from, to;
   unsigned char *p;
   int node, status[NUMA_PAGES];
   long ret;

   node = exclusive_pages(self->dev, &p, 0x6f);
   from = 1ul << node;
   to = 1ul << !node;
   /* The control: a plain page of this process, on the same node. */
   unsigned char *ctl = kt_map_anon(1, true);

   ASSERT_TRUE(ctl);
   DEFER_MUNMAP(ctl, KT_PAGE);
   kt_fill(ctl, 1, 0x71);
   ASSERT_EQ(kt_move_pages(ctl, 1, NULL, status), 0);
   ASSERT_EQ(status[0], node);
   ret = syscall(SYS_migrate_pages, 0, 8 * sizeof(unsigned long), &from,
                 &to);
   TH_LOG("migrate_pages node %d -> %d: %ld%s%s", node, !node, ret,
          ret < 0 ? " " : "", ret < 0 ? strerror(errno) : "");
   ASSERT_GE(ret, 0);
   ASSERT_EQ(kt_move_pages(ctl, 1, NULL, status), 0);
   TH_LOG("the plain control page is now on node %d", status[0]);
   ASSERT_EQ(status[0], !node);
   KR_EXPECT("exclusive pages left after migrate_pages", left,
             kt_count_exclusive(p, NUMA_PAGES));
   data_intact(self->dev, p, 0x6f);
   /* Present again after the CPU read: where the page is now. */
   ASSERT_EQ(kt_move_pages(p, 1, NULL, status), 0);
   TH_LOG("after the CPU read the first page is on node %d", status[0]);
}

TEST_HARNESS_MAIN
