/* SPDX-License-Identifier: MIT */
/*
 * PROCMAP_QUERY and PAGEMAP_SCAN: the per-address procfs ioctls the range
 * check's fast path stands on (docs/range-rules.md).
 */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/fs.h>

#include "nvsvm_priv.h"
#include "nvsvm_procmap.h"

#ifndef PROCFS_IOCTL_MAGIC
#define PROCFS_IOCTL_MAGIC 'f'
#endif

/*
 * Packaged headers older than the kernel we run on lack these (Debian 12
 * ships 6.1's). Copied field for field from include/uapi/linux/fs.h of
 * 6.7 (PAGEMAP_SCAN) and 6.11 (PROCMAP_QUERY); the sizes are the ABI.
 */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_PFNZERO (1 << 5)
#define PAGE_IS_HUGE (1 << 6)

struct page_region {
   __u64 start;
   __u64 end;
   __u64 categories;
};

struct pm_scan_arg {
   __u64 size;
   __u64 flags;
   __u64 start;
   __u64 end;
   __u64 walk_end;
   __u64 vec;
   __u64 vec_len;
   __u64 max_pages;
   __u64 category_inverted;
   __u64 category_mask;
   __u64 category_anyof_mask;
   __u64 return_mask;
};

#define PAGEMAP_SCAN _IOWR(PROCFS_IOCTL_MAGIC, 16, struct pm_scan_arg)
#endif

#ifndef PROCMAP_QUERY
#define PROCMAP_QUERY_VMA_READABLE 0x01
#define PROCMAP_QUERY_VMA_WRITABLE 0x02
#define PROCMAP_QUERY_VMA_EXECUTABLE 0x04
#define PROCMAP_QUERY_VMA_SHARED 0x08
#define PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10

struct procmap_query {
   __u64 size;
   __u64 query_flags;
   __u64 query_addr;
   __u64 vma_start;
   __u64 vma_end;
   __u64 vma_flags;
   __u64 vma_page_size;
   __u64 vma_offset;
   __u64 inode;
   __u32 dev_major;
   __u32 dev_minor;
   __u32 vma_name_size;
   __u32 build_id_size;
   __u64 vma_name_addr;
   __u64 build_id_addr;
};

#define PROCMAP_QUERY _IOWR(PROCFS_IOCTL_MAGIC, 17, struct procmap_query)
#endif

static_assert(sizeof(struct page_region) == 24, "page_region ABI");
static_assert(sizeof(struct pm_scan_arg) == 96, "pm_scan_arg ABI");
static_assert(sizeof(struct procmap_query) == 104, "procmap_query ABI");

int
nvsvm_procmap_open(struct nvsvm_procmap *pm)
{
   if (!pm)
      return -EINVAL;
   pm->pagemap_fd = -1;
   pm->maps_fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
   return pm->maps_fd < 0 ? -errno : 0;
}

void
nvsvm_procmap_close(struct nvsvm_procmap *pm)
{
   if (!pm)
      return;
   if (pm->maps_fd >= 0)
      close(pm->maps_fd);
   if (pm->pagemap_fd >= 0)
      close(pm->pagemap_fd);
   pm->maps_fd = pm->pagemap_fd = -1;
}

int
nvsvm_procmap_query(struct nvsvm_procmap *pm, uint64_t addr,
                    struct nvsvm_procmap_vma *out)
{
   struct procmap_query q;
   struct nvsvm_vma *v;
   int ret;

   if (!pm || pm->maps_fd < 0 || !out)
      return -EINVAL;
   memset(&q, 0, sizeof(q));
   q.size = sizeof(q);
   q.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA;
   q.query_addr = addr;
   q.vma_name_size = sizeof(out->name_buf);
   q.vma_name_addr = (uintptr_t)out->name_buf;
   do
      ret = ioctl(pm->maps_fd, PROCMAP_QUERY, &q);
   while (ret < 0 && errno == EINTR);
   if (ret < 0)
      return errno == ENOENT ? 0 : -errno;
   /* The kernel promises these; a kernel that breaks them is not ours. */
   if (q.vma_end <= q.vma_start || q.vma_end <= addr ||
       q.vma_name_size > sizeof(out->name_buf))
      return -NVSVM_E_PARSE;

   v = &out->vma;
   memset(v, 0, sizeof(*v));
   v->start = q.vma_start;
   v->end = q.vma_end;
   v->offset = q.vma_offset;
   v->inode = q.inode;
   v->dev_major = q.dev_major;
   v->dev_minor = q.dev_minor;
   v->read = q.vma_flags & PROCMAP_QUERY_VMA_READABLE;
   v->write = q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE;
   v->exec = q.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE;
   v->shared = q.vma_flags & PROCMAP_QUERY_VMA_SHARED;
   v->name = out->name_buf;
   /* vma_name_size counts the NUL; 0 means no name. */
   v->name_len = q.vma_name_size ? strnlen(out->name_buf,
                                           q.vma_name_size) : 0;
   out->page_size = q.vma_page_size;
   return 1;
}

int
nvsvm_pagemap_huge(struct nvsvm_procmap *pm, uint64_t start, uint64_t end,
                   uint64_t (*huge)[2], unsigned max, unsigned *n,
                   uint64_t *next)
{
   struct page_region vec[16];
   struct pm_scan_arg arg;
   long got;

   if (!pm || !huge || !n || !next || !max || start >= end)
      return -EINVAL;
   *n = 0;
   if (pm->pagemap_fd < 0) {
      pm->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
      if (pm->pagemap_fd < 0)
         return -errno;
   }
   memset(&arg, 0, sizeof(arg));
   arg.size = sizeof(arg);
   arg.start = start;
   arg.end = end;
   arg.vec = (uintptr_t)vec;
   arg.vec_len = max < 16 ? max : 16;
   /* Huge and not the huge zero page, which AnonHugePages ignores too. */
   arg.category_mask = PAGE_IS_HUGE | PAGE_IS_PFNZERO;
   arg.category_inverted = PAGE_IS_PFNZERO;
   arg.return_mask = PAGE_IS_HUGE;
   do
      got = ioctl(pm->pagemap_fd, PAGEMAP_SCAN, &arg);
   while (got < 0 && errno == EINTR);
   if (got < 0)
      return -errno;
   if ((uint64_t)got > arg.vec_len || arg.walk_end < start ||
       arg.walk_end > end)
      return -NVSVM_E_PARSE;
   for (long i = 0; i < got; i++) {
      huge[i][0] = vec[i].start;
      huge[i][1] = vec[i].end;
   }
   *n = (unsigned)got;
   *next = arg.walk_end;
   return 0;
}
