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

struct kt_ctx {
   struct kt_kernel k;
};

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
static enum piglit_result
prot_none_page_refused_ebusy_until_6_14_efault_since_6_15(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", -EFAULT }, { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *p = kt_map_anon(1, true);
   int ret;

   PG_ASSERT(p);
   kt_fill(p, 1, 0x51);
   PG_ASSERT_EQ(mprotect(p, KT_PAGE, PROT_NONE), 0);
   KT_OPEN(KT_DEV0, &dev);
   ret = nvsvm_device_atomic_fault(dev, p, KT_PAGE, NULL);
   res = kt_recorded(&ctx->k, "convert a PROT_NONE page", k, ret);
   PG_ASSERT_EQ(mprotect(p, KT_PAGE, PROT_READ | PROT_WRITE), 0);
   if (kt_check_fill(p, 1, 0x51) >= 0)
      PG_FAIL("CPU data changed by a refused conversion");
out:
   nvsvm_device_close(dev);
   if (p)
      munmap(p, KT_PAGE);
   return res;
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
static enum piglit_result
library_retries_permanent_refusals_until_6_14_not_since_6_15(void *data)
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
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *shmp = mmap(NULL, KT_PAGE, PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
   unsigned char *two = kt_map_anon(2, true), *rop = kt_map_anon(1, true);
   unsigned char *filep = MAP_FAILED;
   char path[] = "/dev/shm/kt-rework-XXXXXX";
   int fd = mkstemp(path);
   long n;
   int ret;

   PG_ASSERT(shmp != MAP_FAILED && two && rop && fd >= 0);
   unlink(path);
   PG_ASSERT_EQ(ftruncate(fd, KT_PAGE), 0);
   filep = mmap(NULL, KT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
   PG_ASSERT(filep != MAP_FAILED);
   kt_fill(filep, 1, 0x5c);
   kt_fill(shmp, 1, 0x52);
   kt_fill(rop, 1, 0x53);
   PG_ASSERT_EQ(mprotect(rop, KT_PAGE, PROT_READ), 0);
   PG_ASSERT_EQ(munmap(two + KT_PAGE, KT_PAGE), 0);
   KT_OPEN(KT_DEV0, &dev);

   n = library_retries(dev, shmp, KT_PAGE, &ret);
   printf("# shmem page: %s after %ld retries\n", nvsvm_error_name(ret), n);
   PG_ASSERT(ret < 0);
   res = kt_recorded(&ctx->k, "library retries for a shmem page", shm, n);
   n = library_retries(dev, two + KT_PAGE, KT_PAGE, &ret);
   printf("# unmapped page: %s after %ld retries\n", nvsvm_error_name(ret),
          n);
   PG_ASSERT(ret < 0);
   res = kr_worst(res, kt_recorded(&ctx->k,
                                   "library retries for an unmapped page",
                                   unm, n));
   n = library_retries(dev, rop, KT_PAGE, &ret);
   printf("# read-only page: %s after %ld retries\n", nvsvm_error_name(ret),
          n);
   PG_ASSERT(ret < 0);
   res = kr_worst(res, kt_recorded(&ctx->k,
                                   "library retries for a read-only page",
                                   ro, n));
   n = library_retries(dev, filep, KT_PAGE, &ret);
   printf("# MAP_SHARED file page: %s after %ld retries\n",
          nvsvm_error_name(ret), n);
   PG_ASSERT(ret < 0);
   res = kr_worst(res, kt_recorded(&ctx->k,
                                   "library retries for a MAP_SHARED file "
                                   "page", file, n));
   if (kt_check_fill(shmp, 1, 0x52) >= 0 || kt_check_fill(rop, 1, 0x53) >= 0 ||
       kt_check_fill(filep, 1, 0x5c) >= 0)
      PG_FAIL("CPU data changed by a refused conversion");
out:
   nvsvm_device_close(dev);
   if (shmp != MAP_FAILED)
      munmap(shmp, KT_PAGE);
   if (two)
      munmap(two, KT_PAGE);
   if (rop)
      munmap(rop, KT_PAGE);
   if (filep != MAP_FAILED)
      munmap(filep, KT_PAGE);
   if (fd >= 0)
      close(fd);
   return res;
}

/*
 * The CPU's PTE of an exclusive page is a swap-type entry; pagemap shows
 * its type in bits 0-4 (as root). Up to 6.14 there were two exclusive
 * types (READ, WRITE), since 6.15 one, so the number moved.
 */
static enum piglit_result
exclusive_entry_swap_type_one_type_since_6_15(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", 28 }, { "6.12", 29 }, { "7.2", 30 }, { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *p = NULL;
   uint64_t e;
   int ret;

   if (geteuid() != 0)
      PG_SKIP("pagemap shows swap types to CAP_SYS_ADMIN only (not root)");
   KT_OPEN(KT_DEV0, &dev);
   p = exclusive_page(dev, 0x54, &ret);
   PG_ASSERT(p);
   PG_OK(ret);
   e = kt_pagemap(p);
   PG_ASSERT(kt_pm_exclusive(p));
   printf("# pagemap entry 0x%016" PRIx64 "\n", e);
   res = kt_recorded(&ctx->k, "swap type of an exclusive entry", k,
                     KT_PM_SWAP_TYPE(e));
   if (kt_check_fill(p, 1, 0x54) >= 0)
      PG_FAIL("CPU data changed");
out:
   nvsvm_device_close(dev);
   if (p)
      munmap(p, KT_PAGE);
   return res;
}

/*
 * mprotect(PROT_READ) over an exclusive page: up to 6.14 the entry is
 * rewritten to the READ exclusive type, since 6.15 the one type stays.
 * Either way the page stays the device's.
 */
static enum piglit_result
mprotect_readonly_keeps_page_exclusive(void *data)
{
   static const struct kr_expect type[] = {
      { "6.1", 29 }, { "6.12", 30 }, { "7.2", 30 }, { NULL, 0 },
   };
   static const struct kr_expect excl[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *p = NULL;
   uint64_t e;
   int ret;

   if (geteuid() != 0)
      PG_SKIP("pagemap shows swap types to CAP_SYS_ADMIN only (not root)");
   KT_OPEN(KT_DEV0, &dev);
   p = exclusive_page(dev, 0x55, &ret);
   PG_ASSERT(p);
   PG_OK(ret);
   PG_ASSERT_EQ(mprotect(p, KT_PAGE, PROT_READ), 0);
   e = kt_pagemap(p);
   res = kt_recorded(&ctx->k, "exclusive after mprotect(PROT_READ)", excl,
                     kt_pm_exclusive(p));
   res = kr_worst(res, kt_recorded(&ctx->k,
                                   "swap type after mprotect(PROT_READ)",
                                   type, KT_PM_SWAP_TYPE(e)));
   if (kt_check_fill(p, 1, 0x55) >= 0)
      PG_FAIL("CPU data changed");
out:
   nvsvm_device_close(dev);
   if (p)
      munmap(p, KT_PAGE);
   return res;
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
static enum piglit_result
thp_tail_page_refused_until_6_14_one_pte_since_6_15_pmd_split(void *data)
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
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *map, *hp;
   unsigned n = 0;
   long huge;
   int ret;

   map = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   PG_ASSERT(map != MAP_FAILED);
   hp = (unsigned char *)(((uintptr_t)map + HPAGE - 1) &
                          ~(uintptr_t)(HPAGE - 1));
   if (madvise(hp, HPAGE, MADV_HUGEPAGE) != 0)
      PG_SKIP("MADV_HUGEPAGE: %s (no THP in this kernel)", strerror(errno));
   kt_fill(hp, HPAGE / KT_PAGE, 0x56);
   huge = smaps_field(hp, "AnonHugePages");
   if (huge < 2048)
      PG_SKIP("no huge page behind the MADV_HUGEPAGE range (AnonHugePages "
              "%ld kB)", huge);
   KT_OPEN(KT_DEV0, &dev);
   ret = nvsvm_device_atomic_fault(dev, hp + 9 * KT_PAGE, KT_PAGE, NULL);
   for (unsigned i = 0; i < HPAGE / KT_PAGE; i++)
      n += kt_pm_exclusive(hp + i * KT_PAGE);
   huge = smaps_field(hp, "AnonHugePages");
   printf("# tail page 9: %s, %u PTEs exclusive, AnonHugePages %ld kB\n",
          nvsvm_error_name(ret), n, huge);
   res = kt_recorded(&ctx->k, "convert THP tail page", k_ret, ret);
   res = kr_worst(res, kt_recorded(&ctx->k,
                                   "PTEs exclusive after tail conversion",
                                   k_ptes, n));
   res = kr_worst(res, kt_recorded(&ctx->k,
                                   "AnonHugePages kB after tail conversion",
                                   k_huge, huge));
   if (kt_check_fill(hp, HPAGE / KT_PAGE, 0x56) >= 0)
      PG_FAIL("CPU data changed");
out:
   nvsvm_device_close(dev);
   if (map != MAP_FAILED)
      munmap(map, 2 * HPAGE);
   return res;
}

/*
 * Access through another path than the page table of this CPU: the
 * kernel faults the page in for it, which revokes the device's
 * exclusivity first (the data read is the device's latest).
 */
enum kt_access { BY_VM_READV, BY_PROC_MEM, BY_POPULATE_READ,
                 BY_POPULATE_WRITE };

static enum piglit_result
access_revokes(struct kt_ctx *ctx, enum kt_access how, const char *what,
               const struct kr_expect *k)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *p = NULL;
   uint64_t word = 0;
   long got = -1;
   int ret, fd;

   KT_OPEN(KT_DEV0, &dev);
   p = exclusive_page(dev, 0x57, &ret);
   PG_ASSERT(p);
   PG_OK(ret);
   PG_ASSERT(kt_pm_exclusive(p));
   switch (how) {
   case BY_VM_READV: {
      struct iovec l = { &word, sizeof(word) }, r = { p, sizeof(word) };
      got = process_vm_readv(getpid(), &l, 1, &r, 1, 0) ==
            (ssize_t)sizeof(word) ? 0 : -errno;
      if (got == -ENOSYS)
         PG_SKIP("process_vm_readv: ENOSYS (kernel without "
                 "CONFIG_CROSS_MEMORY_ATTACH)");
      break;
   }
   case BY_PROC_MEM:
      fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
      PG_ASSERT(fd >= 0);
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
      PG_SKIP("MADV_POPULATE_*: EINVAL (kernel before 5.14)");
   PG_ASSERT_EQ(got, 0);
   PG_ASSERT_EQ(word, kt_pattern(0, 0, 0x57));
   res = kt_recorded(&ctx->k, what, k, kt_pm_present(p));
   if (kt_check_fill(p, 1, 0x57) >= 0)
      PG_FAIL("CPU data changed");
out:
   nvsvm_device_close(dev);
   if (p)
      munmap(p, KT_PAGE);
   return res;
}

static enum piglit_result
process_vm_readv_revokes_exclusive_page(void *data)
{
   static const struct kr_expect k[] = {
      { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };

   return access_revokes(data, BY_VM_READV,
                         "present after process_vm_readv", k);
}

static enum piglit_result
proc_pid_mem_read_revokes_exclusive_page(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };

   return access_revokes(data, BY_PROC_MEM,
                         "present after /proc/self/mem read", k);
}

static enum piglit_result
madv_populate_read_revokes_exclusive_page(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };

   return access_revokes(data, BY_POPULATE_READ,
                         "present after MADV_POPULATE_READ", k);
}

static enum piglit_result
madv_populate_write_revokes_exclusive_page(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };

   return access_revokes(data, BY_POPULATE_WRITE,
                         "present after MADV_POPULATE_WRITE", k);
}

/* mincore() on an exclusive page: resident or not, as each kernel says. */
static enum piglit_result
mincore_of_exclusive_page(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *p = NULL, vec = 0xff;
   int ret;

   KT_OPEN(KT_DEV0, &dev);
   p = exclusive_page(dev, 0x58, &ret);
   PG_ASSERT(p);
   PG_OK(ret);
   PG_ASSERT_EQ(mincore(p, KT_PAGE, &vec), 0);
   /* mincore() looks, it does not fault. */
   PG_ASSERT(kt_pm_exclusive(p));
   res = kt_recorded(&ctx->k, "mincore() of an exclusive page", k,
                     vec & 1);
   if (kt_check_fill(p, 1, 0x58) >= 0)
      PG_FAIL("CPU data changed");
out:
   nvsvm_device_close(dev);
   if (p)
      munmap(p, KT_PAGE);
   return res;
}

/*
 * smaps of a mapping whose 4 pages are all the device's: counted in Rss
 * and Anonymous, but clean (the entry carries no dirty bit; the folio's
 * dirty flag is set when the PTE goes).
 */
static enum piglit_result
smaps_accounting_of_exclusive_pages(void *data)
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
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *p = kt_map_anon(4, true);
   long r, a, pd;

   PG_ASSERT(p);
   kt_fill(p, 4, 0x59);
   KT_OPEN(KT_DEV0, &dev);
   PG_OK(nvsvm_device_atomic_fault(dev, p, 4 * KT_PAGE, NULL));
   r = smaps_field(p, "Rss");
   a = smaps_field(p, "Anonymous");
   pd = smaps_field(p, "Private_Dirty");
   PG_ASSERT(kt_pm_exclusive(p) && kt_pm_exclusive(p + 3 * KT_PAGE));
   printf("# Rss %ld kB, Anonymous %ld kB, Private_Dirty %ld kB\n", r, a,
          pd);
   res = kt_recorded(&ctx->k, "smaps Rss kB of 4 exclusive pages", rss, r);
   res = kr_worst(res, kt_recorded(&ctx->k,
                                   "smaps Anonymous kB of 4 exclusive pages",
                                   anon, a));
   res = kr_worst(res, kt_recorded(&ctx->k,
                                   "smaps Private_Dirty kB of 4 exclusive "
                                   "pages", priv, pd));
   if (kt_check_fill(p, 4, 0x59) >= 0)
      PG_FAIL("CPU data changed");
out:
   nvsvm_device_close(dev);
   if (p)
      munmap(p, 4 * KT_PAGE);
   return res;
}

/* mremap moves page table entries as they are: still the device's. */
static enum piglit_result
mremap_moves_exclusive_entry_along(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *p = NULL, *q = MAP_FAILED, *dst;
   int ret;

   dst = mmap(NULL, KT_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   PG_ASSERT(dst != MAP_FAILED);
   KT_OPEN(KT_DEV0, &dev);
   p = exclusive_page(dev, 0x5a, &ret);
   PG_ASSERT(p);
   PG_OK(ret);
   q = mremap(p, KT_PAGE, KT_PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
   PG_ASSERT(q == dst);
   p = NULL;
   res = kt_recorded(&ctx->k, "exclusive at the new address after mremap",
                     k, kt_pm_exclusive(q));
   if (kt_check_fill(q, 1, 0x5a) >= 0)
      PG_FAIL("CPU data changed by the move");
out:
   nvsvm_device_close(dev);
   if (p)
      munmap(p, KT_PAGE);
   if (q != MAP_FAILED)
      munmap(q, KT_PAGE);
   else
      munmap(dst, KT_PAGE);
   return res;
}

/* MADV_FREE: the lazy free only looks at present PTEs. */
static enum piglit_result
madv_free_leaves_exclusive_page_and_data(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", 1 }, { "6.12", 1 }, { "7.2", 1 }, { NULL, 0 },
   };
   struct kt_ctx *ctx = data;
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   unsigned char *p = NULL;
   int ret;

   KT_OPEN(KT_DEV0, &dev);
   p = exclusive_page(dev, 0x5b, &ret);
   PG_ASSERT(p);
   PG_OK(ret);
   PG_ASSERT_EQ(madvise(p, KT_PAGE, MADV_FREE), 0);
   res = kt_recorded(&ctx->k, "exclusive after MADV_FREE", k,
                     kt_pm_exclusive(p));
   if (kt_check_fill(p, 1, 0x5b) >= 0)
      PG_FAIL("data lost after MADV_FREE of an exclusive page");
out:
   nvsvm_device_close(dev);
   if (p)
      munmap(p, KT_PAGE);
   return res;
}

int
main(int argc, char **argv)
{
   static const struct piglit_subtest tests[] = {
      { "prot_none_page_refused_ebusy_until_6_14_efault_since_6_15",
        prot_none_page_refused_ebusy_until_6_14_efault_since_6_15 },
      { "library_retries_permanent_refusals_until_6_14_not_since_6_15",
        library_retries_permanent_refusals_until_6_14_not_since_6_15 },
      { "exclusive_entry_swap_type_one_type_since_6_15",
        exclusive_entry_swap_type_one_type_since_6_15 },
      { "mprotect_readonly_keeps_page_exclusive",
        mprotect_readonly_keeps_page_exclusive },
      { "thp_tail_page_refused_until_6_14_one_pte_since_6_15_pmd_split",
        thp_tail_page_refused_until_6_14_one_pte_since_6_15_pmd_split },
      { "process_vm_readv_revokes_exclusive_page",
        process_vm_readv_revokes_exclusive_page },
      { "proc_pid_mem_read_revokes_exclusive_page",
        proc_pid_mem_read_revokes_exclusive_page },
      { "madv_populate_read_revokes_exclusive_page",
        madv_populate_read_revokes_exclusive_page },
      { "madv_populate_write_revokes_exclusive_page",
        madv_populate_write_revokes_exclusive_page },
      { "mincore_of_exclusive_page", mincore_of_exclusive_page },
      { "smaps_accounting_of_exclusive_pages",
        smaps_accounting_of_exclusive_pages },
      { "mremap_moves_exclusive_entry_along",
        mremap_moves_exclusive_entry_along },
      { "madv_free_leaves_exclusive_page_and_data",
        madv_free_leaves_exclusive_page_and_data },
   };
   struct kt_ctx ctx;

   kt_kernel_get(&ctx.k);
   printf("# kernel %s (%s)\n", ctx.k.release, ctx.k.version);
   return piglit_run_subtests(tests, sizeof(tests) / sizeof(tests[0]), &ctx,
                              argc, argv);
}
