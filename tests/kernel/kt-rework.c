/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: the rules the 6.15 rework of device-exclusive
 * entries changed or kept (one make_device_exclusive() per page on a
 * folio walk, a single swap-entry type, PMD-mapped THPs split, refusals
 * as -EFAULT/-EOPNOTSUPP instead of a blanket -EBUSY). Each scenario
 * records what it saw per kernel; the names state the rule and, where it
 * changed, the kernel range ("_until_6_14", "_since_6_15"). 6.1 has no
 * rows yet: its first run warns and prints each value to record.
 */

#include <sys/uio.h>

#include "kt_common.h"

#define HPAGE (2u << 20)

/* Bits 0-4 of a swap-type pagemap entry: the swap type. */
#define KT_PM_SWAP_TYPE(e) ((long)((e) & 0x1f))

/* A fresh private anonymous page, 4 KiB-backed, filled, made exclusive. */
static unsigned char *
exclusive_page(struct nvsvm_device *dev, uint64_t salt, int *ret)
{
   unsigned char *p = kt_map_anon(1, true);

   if (!p) {
      *ret = -ENOMEM;
      return NULL;
   }
   kt_fill(p, 1, salt);
   *ret = nvsvm_device_atomic_fault(dev, p, KT_PAGE, NULL);
   return p;
}

/*
 * A PROT_NONE page cannot be faulted in writable: the conversion's GUP
 * fails. Up to 6.14 the test device turned every failure into -EBUSY
 * (which the library retried); since 6.15 the GUP error comes through.
 */
TEST_F(hmm, prot_none_page_refused_ebusy_until_6_14_efault_since_6_15)
{
   static const struct kr_expect k[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", -EFAULT }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *p = kt_map_anon(1, true);
   int ret;

   ASSERT_TRUE(p);
   kt_fill(p, 1, 0x51);
   ASSERT_EQ(mprotect(p, KT_PAGE, PROT_NONE), 0);
   ret = nvsvm_device_atomic_fault(dev, p, KT_PAGE, NULL);
   KT_EXPECT(self, "convert a PROT_NONE page", k, ret);
   ASSERT_EQ(mprotect(p, KT_PAGE, PROT_READ | PROT_WRITE), 0);
   if (kt_check_fill(p, 1, 0x51) >= 0)
      FAIL("CPU data changed by a refused conversion");
}

/* Conversions the library retried for one call on [p, p+len). */
static long
library_retries(struct nvsvm_device *dev, void *p, size_t len, int *ret)
{
   struct nvsvm_device_stats s0, s1;

   if (nvsvm_device_get_stats(dev, &s0) != 0)
      return -1;
   *ret = nvsvm_device_atomic_fault(dev, p, len, NULL);
   if (nvsvm_device_get_stats(dev, &s1) != 0)
      return -1;
   return (long)(s1.retries - s0.retries);
}

/*
 * The library retries -EBUSY as a race (at most 64 tries, 2 s). Up to
 * 6.14 a page the kernel will never convert answers -EBUSY too, so the
 * library spins its full budget; since 6.15 the refusal names itself and
 * is returned at once.
 */
TEST_F(hmm, library_retries_permanent_refusals_until_6_14_not_since_6_15)
{
   static const struct kr_expect shm[] = {
      { "6.1", 63 }, { "6.12", 63 }, { "7.2", 0 }, { NULL, 0 },
   };
   static const struct kr_expect unm[] = {
      { "6.1", 63 }, { "6.12", 63 }, { "7.2", 0 }, { NULL, 0 },
   };
   static const struct kr_expect ro[] = {
      { "6.1", 63 }, { "6.12", 63 }, { "7.2", 0 }, { NULL, 0 },
   };
   static const struct kr_expect file[] = {
      { "6.1", 63 }, { "6.12", 63 }, { "7.2", 0 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *shmp = mmap(NULL, KT_PAGE, PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
   unsigned char *two = kt_map_anon(2, true), *rop = kt_map_anon(1, true);
   unsigned char *filep;
   char path[] = "/dev/shm/kt-rework-XXXXXX";
   int fd = mkstemp(path);
   long n;
   int ret;

   if (shmp != MAP_FAILED)
      DEFER_MUNMAP(shmp, KT_PAGE);
   if (fd >= 0)
      DEFER_CLOSE(fd);
   ASSERT_TRUE(shmp != MAP_FAILED && two && rop && fd >= 0);
   unlink(path);
   ASSERT_EQ(ftruncate(fd, KT_PAGE), 0);
   filep = mmap(NULL, KT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
   ASSERT_TRUE(filep != MAP_FAILED);
   DEFER_MUNMAP(filep, KT_PAGE);
   kt_fill(filep, 1, 0x5c);
   kt_fill(shmp, 1, 0x52);
   kt_fill(rop, 1, 0x53);
   ASSERT_EQ(mprotect(rop, KT_PAGE, PROT_READ), 0);
   ASSERT_EQ(munmap(two + KT_PAGE, KT_PAGE), 0);

   n = library_retries(dev, shmp, KT_PAGE, &ret);
   printf("# shmem page: %s after %ld retries\n", nvsvm_error_name(ret), n);
   ASSERT_TRUE(ret < 0);
   KT_EXPECT(self, "library retries for a shmem page", shm, n);
   n = library_retries(dev, two + KT_PAGE, KT_PAGE, &ret);
   printf("# unmapped page: %s after %ld retries\n", nvsvm_error_name(ret),
          n);
   ASSERT_TRUE(ret < 0);
   KT_EXPECT(self, "library retries for an unmapped page", unm, n);
   n = library_retries(dev, rop, KT_PAGE, &ret);
   printf("# read-only page: %s after %ld retries\n", nvsvm_error_name(ret),
          n);
   ASSERT_TRUE(ret < 0);
   KT_EXPECT(self, "library retries for a read-only page", ro, n);
   n = library_retries(dev, filep, KT_PAGE, &ret);
   printf("# MAP_SHARED file page: %s after %ld retries\n",
          nvsvm_error_name(ret), n);
   ASSERT_TRUE(ret < 0);
   KT_EXPECT(self, "library retries for a MAP_SHARED file page", file, n);
   if (kt_check_fill(shmp, 1, 0x52) >= 0 || kt_check_fill(rop, 1, 0x53) >= 0 ||
       kt_check_fill(filep, 1, 0x5c) >= 0)
      FAIL("CPU data changed by a refused conversion");
}

/*
 * The CPU's PTE of an exclusive page is a swap-type entry; pagemap shows
 * its type in bits 0-4 (as root). Up to 6.14 there were two exclusive
 * types (READ, WRITE), since 6.15 one, so the number moved.
 */
TEST_F(hmm, exclusive_entry_swap_type_one_type_since_6_15)
{
   static const struct kr_expect k[] = {
      { "6.1", 28 }, { "6.12", 29 }, { "7.2", 30 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *p;
   uint64_t e;
   int ret;

   if (geteuid() != 0)
      SKIP("pagemap shows swap types to CAP_SYS_ADMIN only (not root)");
   p = exclusive_page(dev, 0x54, &ret);
   ASSERT_TRUE(p);
   ASSERT_OK(ret);
   e = kt_pagemap(p);
   ASSERT_TRUE(kt_pm_exclusive(p));
   printf("# pagemap entry 0x%016" PRIx64 "\n", e);
   KT_EXPECT(self, "swap type of an exclusive entry", k, KT_PM_SWAP_TYPE(e));
   if (kt_check_fill(p, 1, 0x54) >= 0)
      FAIL("CPU data changed");
}

/*
 * mprotect(PROT_READ) over an exclusive page: up to 6.14 the entry is
 * rewritten to the READ exclusive type, since 6.15 the one type stays.
 * Either way the page stays the device's.
 */
TEST_F(hmm, mprotect_readonly_keeps_page_exclusive)
{
   static const struct kr_expect type[] = {
      { "6.1", 29 }, { "6.12", 30 }, { "7.2", 30 }, { NULL, 0 },
   };
   static const struct kr_expect excl[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *p;
   uint64_t e;
   int ret;

   if (geteuid() != 0)
      SKIP("pagemap shows swap types to CAP_SYS_ADMIN only (not root)");
   p = exclusive_page(dev, 0x55, &ret);
   ASSERT_TRUE(p);
   ASSERT_OK(ret);
   ASSERT_EQ(mprotect(p, KT_PAGE, PROT_READ), 0);
   e = kt_pagemap(p);
   KT_EXPECT(self, "exclusive after mprotect(PROT_READ)", excl,
             kt_pm_exclusive(p));
   KT_EXPECT(self, "swap type after mprotect(PROT_READ)", type,
             KT_PM_SWAP_TYPE(e));
   if (kt_check_fill(p, 1, 0x55) >= 0)
      FAIL("CPU data changed");
}

/* The AnonHugePages: of the smaps block of the mapping holding addr. */
static long
smaps_field(const void *addr, const char *key)
{
   uintptr_t a = (uintptr_t)addr, lo, hi;
   char line[512];
   size_t klen = strlen(key);
   bool in = false;
   long v = -1;
   FILE *f = fopen("/proc/self/smaps", "re");

   if (!f)
      return -1;
   while (fgets(line, sizeof(line), f)) {
      if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2 &&
          strchr(line, '-') < strchr(line, ' ')) {
         in = a >= lo && a < hi;
         continue;
      }
      if (in && strncmp(line, key, klen) == 0 && line[klen] == ':') {
         v = strtol(line + klen + 1, NULL, 10);
         break;
      }
   }
   fclose(f);
   return v;
}

/*
 * A tail page of a PMD-mapped THP: up to 6.14 refused (-EBUSY), since
 * 6.15 that one PTE converts. Both split the PMD mapping (AnonHugePages
 * drops to 0): 6.12 splits it on the way to refusing.
 */
TEST_F(hmm, thp_tail_page_refused_until_6_14_one_pte_since_6_15_pmd_split)
{
   static const struct kr_expect k_ret[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", 0 }, { NULL, 0 },
   };
   static const struct kr_expect k_ptes[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 1 }, { NULL, 0 },
   };
   static const struct kr_expect k_huge[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *map, *hp;
   unsigned n = 0;
   long huge;
   int ret;

   map = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   ASSERT_TRUE(map != MAP_FAILED);
   DEFER_MUNMAP(map, 2 * HPAGE);
   hp = (unsigned char *)(((uintptr_t)map + HPAGE - 1) &
                          ~(uintptr_t)(HPAGE - 1));
   if (madvise(hp, HPAGE, MADV_HUGEPAGE) != 0)
      SKIP("MADV_HUGEPAGE: %s (no THP in this kernel)", strerror(errno));
   kt_fill(hp, HPAGE / KT_PAGE, 0x56);
   huge = smaps_field(hp, "AnonHugePages");
   if (huge < 2048)
      SKIP("no huge page behind the MADV_HUGEPAGE range (AnonHugePages "
           "%ld kB)", huge);
   /*
    * Keep khugepaged away from here: it collapses a split range back into
    * a PMD mapping on its own schedule, which once made AnonHugePages read
    * 2048 after the split on 6.12. The THP already there stays.
    */
   ASSERT_OK(madvise(hp, HPAGE, MADV_NOHUGEPAGE) ? -errno : 0);
   ret = nvsvm_device_atomic_fault(dev, hp + 9 * KT_PAGE, KT_PAGE, NULL);
   for (unsigned i = 0; i < HPAGE / KT_PAGE; i++)
      n += kt_pm_exclusive(hp + i * KT_PAGE);
   huge = smaps_field(hp, "AnonHugePages");
   printf("# tail page 9: %s, %u PTEs exclusive, AnonHugePages %ld kB\n",
          nvsvm_error_name(ret), n, huge);
   KT_EXPECT(self, "convert THP tail page", k_ret, ret);
   KT_EXPECT(self, "PTEs exclusive after tail conversion", k_ptes, n);
   KT_EXPECT(self, "AnonHugePages kB after tail conversion", k_huge, huge);
   if (kt_check_fill(hp, HPAGE / KT_PAGE, 0x56) >= 0)
      FAIL("CPU data changed");
}

/*
 * Access through another path than the page table of this CPU: the
 * kernel faults the page in for it, which revokes the device's
 * exclusivity first (the data read is the device's latest).
 */
enum kt_access { BY_VM_READV, BY_PROC_MEM, BY_POPULATE_READ,
                 BY_POPULATE_WRITE };

static void
access_revokes(FIXTURE_DATA(hmm) *self, enum kt_access how, const char *what,
               const struct kr_expect *k)
{
   struct nvsvm_device *dev = self->dev;
   unsigned char *p;
   uint64_t word = 0;
   long got = -1;
   int ret, fd;

   p = exclusive_page(dev, 0x57, &ret);
   ASSERT_TRUE(p);
   ASSERT_OK(ret);
   ASSERT_TRUE(kt_pm_exclusive(p));
   switch (how) {
   case BY_VM_READV: {
      struct iovec l = { &word, sizeof(word) }, r = { p, sizeof(word) };
      got = process_vm_readv(getpid(), &l, 1, &r, 1, 0) ==
            (ssize_t)sizeof(word) ? 0 : -errno;
      if (got == -ENOSYS)
         SKIP("process_vm_readv: ENOSYS (kernel without "
              "CONFIG_CROSS_MEMORY_ATTACH)");
      break;
   }
   case BY_PROC_MEM:
      fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
      ASSERT_TRUE(fd >= 0);
      got = pread(fd, &word, sizeof(word), (off_t)(uintptr_t)p) ==
            (ssize_t)sizeof(word) ? 0 : -errno;
      close(fd);
      break;
   case BY_POPULATE_READ:
      got = madvise(p, KT_PAGE, 22 /* MADV_POPULATE_READ */) ? -errno : 0;
      word = kt_pattern(0, 0, 0x57);
      break;
   case BY_POPULATE_WRITE:
      got = madvise(p, KT_PAGE, 23 /* MADV_POPULATE_WRITE */) ? -errno : 0;
      word = kt_pattern(0, 0, 0x57);
      break;
   }
   printf("# %s: %s; page present %d, exclusive %d\n", what,
          nvsvm_error_name((int)got), kt_pm_present(p), kt_pm_exclusive(p));
   if (got == -EINVAL && how >= BY_POPULATE_READ)
      SKIP("MADV_POPULATE_*: EINVAL (kernel before 5.14)");
   ASSERT_EQ(got, 0);
   ASSERT_EQ(word, kt_pattern(0, 0, 0x57));
   KT_EXPECT(self, what, k, kt_pm_present(p));
   if (kt_check_fill(p, 1, 0x57) >= 0)
      FAIL("CPU data changed");
}

TEST_F(hmm, process_vm_readv_revokes_exclusive_page)
{
   static const struct kr_expect k[] = {
      { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };

   access_revokes(self, BY_VM_READV,
                  "present after process_vm_readv", k);
}

TEST_F(hmm, proc_pid_mem_read_revokes_exclusive_page)
{
   static const struct kr_expect k[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };

   access_revokes(self, BY_PROC_MEM,
                  "present after /proc/self/mem read", k);
}

TEST_F(hmm, madv_populate_read_revokes_exclusive_page)
{
   static const struct kr_expect k[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };

   access_revokes(self, BY_POPULATE_READ,
                  "present after MADV_POPULATE_READ", k);
}

TEST_F(hmm, madv_populate_write_revokes_exclusive_page)
{
   static const struct kr_expect k[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };

   access_revokes(self, BY_POPULATE_WRITE,
                  "present after MADV_POPULATE_WRITE", k);
}

/* mincore() on an exclusive page: resident or not, as each kernel says. */
TEST_F(hmm, mincore_of_exclusive_page)
{
   static const struct kr_expect k[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *p = NULL, vec = 0xff;
   int ret;

   p = exclusive_page(dev, 0x58, &ret);
   ASSERT_TRUE(p);
   ASSERT_OK(ret);
   ASSERT_EQ(mincore(p, KT_PAGE, &vec), 0);
   /* mincore() looks, it does not fault. */
   ASSERT_TRUE(kt_pm_exclusive(p));
   KT_EXPECT(self, "mincore() of an exclusive page", k, vec & 1);
   if (kt_check_fill(p, 1, 0x58) >= 0)
      FAIL("CPU data changed");
}

/*
 * smaps of a mapping whose 4 pages are all the device's: counted in Rss
 * and Anonymous, but clean (the entry carries no dirty bit; the folio's
 * dirty flag is set when the PTE goes).
 */
TEST_F(hmm, smaps_accounting_of_exclusive_pages)
{
   static const struct kr_expect rss[] = {
      { "6.1", 16 }, { "6.12", 16 }, { "7.2", 16 }, { NULL, 0 },
   };
   static const struct kr_expect anon[] = {
      { "6.1", 16 }, { "6.12", 16 }, { "7.2", 16 }, { NULL, 0 },
   };
   static const struct kr_expect priv[] = {
      { "6.1", 16 }, { "6.12", 0 }, { "7.2", 0 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *p = kt_map_anon(4, true);
   long r, a, pd;

   ASSERT_TRUE(p);
   kt_fill(p, 4, 0x59);
   ASSERT_OK(nvsvm_device_atomic_fault(dev, p, 4 * KT_PAGE, NULL));
   r = smaps_field(p, "Rss");
   a = smaps_field(p, "Anonymous");
   pd = smaps_field(p, "Private_Dirty");
   ASSERT_TRUE(kt_pm_exclusive(p) && kt_pm_exclusive(p + 3 * KT_PAGE));
   printf("# Rss %ld kB, Anonymous %ld kB, Private_Dirty %ld kB\n", r, a,
          pd);
   KT_EXPECT(self, "smaps Rss kB of 4 exclusive pages", rss, r);
   KT_EXPECT(self, "smaps Anonymous kB of 4 exclusive pages", anon, a);
   KT_EXPECT(self, "smaps Private_Dirty kB of 4 exclusive pages", priv,
             pd);
   if (kt_check_fill(p, 4, 0x59) >= 0)
      FAIL("CPU data changed");
}

/* mremap moves page table entries as they are: still the device's. */
TEST_F(hmm, mremap_moves_exclusive_entry_along)
{
   static const struct kr_expect k[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *p, *q, *dst;
   int ret;

   dst = mmap(NULL, KT_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   ASSERT_TRUE(dst != MAP_FAILED);
   DEFER_MUNMAP(dst, KT_PAGE);
   p = exclusive_page(dev, 0x5a, &ret);
   ASSERT_TRUE(p);
   ASSERT_OK(ret);
   q = mremap(p, KT_PAGE, KT_PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
   ASSERT_TRUE(q == dst);
   KT_EXPECT(self, "exclusive at the new address after mremap", k,
             kt_pm_exclusive(q));
   if (kt_check_fill(q, 1, 0x5a) >= 0)
      FAIL("CPU data changed by the move");
}

/* MADV_FREE: the lazy free only looks at present PTEs. */
TEST_F(hmm, madv_free_leaves_exclusive_page_and_data)
{
   static const struct kr_expect k[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct nvsvm_device *dev = self->dev;
   unsigned char *p;
   int ret;

   p = exclusive_page(dev, 0x5b, &ret);
   ASSERT_TRUE(p);
   ASSERT_OK(ret);
   ASSERT_EQ(madvise(p, KT_PAGE, MADV_FREE), 0);
   KT_EXPECT(self, "exclusive after MADV_FREE", k, kt_pm_exclusive(p));
   if (kt_check_fill(p, 1, 0x5b) >= 0)
      FAIL("data lost after MADV_FREE of an exclusive page");
}

TEST_HARNESS_MAIN
