/* SPDX-License-Identifier: MIT */
/*
 * The kernel's view of one page, from /proc/self/pagemap: present in
 * system RAM, or a non-present swap-type entry, which is what a
 * device-exclusive page and a page in device-private memory both are.
 * Header-only and without the harness, so that programs built elsewhere
 * (the trixie chroot) use it as well.
 */
#ifndef NVSVM_TEST_PAGEMAP_H
#define NVSVM_TEST_PAGEMAP_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#define NVSVM_PM_PAGE 4096u
#define NVSVM_PM_PRESENT (1ull << 63)
#define NVSVM_PM_SWAP (1ull << 62)

/* The pagemap entry of addr's page: 0, or -errno (-EIO on a short read). */
static inline int
nvsvm_pm_entry(const void *addr, uint64_t *entry)
{
   int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
   off_t off = (off_t)((uintptr_t)addr / NVSVM_PM_PAGE) * 8;
   ssize_t n;

   *entry = 0;
   if (fd < 0)
      return -errno;
   n = pread(fd, entry, sizeof(*entry), off);
   close(fd);
   return n == (ssize_t)sizeof(*entry) ? 0 : -EIO;
}

static inline bool
nvsvm_pm_present(const void *addr)
{
   uint64_t e;

   return nvsvm_pm_entry(addr, &e) == 0 && (e & NVSVM_PM_PRESENT);
}

/* Not present, a swap-type entry: device-exclusive or device-private. */
static inline bool
nvsvm_pm_swapped(const void *addr)
{
   uint64_t e;

   return nvsvm_pm_entry(addr, &e) == 0 && !(e & NVSVM_PM_PRESENT) &&
          (e & NVSVM_PM_SWAP);
}

#endif /* NVSVM_TEST_PAGEMAP_H */
