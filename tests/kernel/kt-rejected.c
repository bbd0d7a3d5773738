/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: memory that cannot take GPU atomics. The
 * library's range check names the reason before any device is asked;
 * what the kernel itself answers is recorded per version.
 */

#include "kt_common.h"

#define NPAGES 2

/* A tmpfs file of npages pages, each filled with the pattern. */
static int
make_file(size_t npages, uint64_t salt)
{
   char path[] = "/dev/shm/kt-rejected-XXXXXX";
   void *tmp = malloc(npages * KT_PAGE);
   int fd = mkstemp(path);

   if (fd < 0 || !tmp) {
      free(tmp);
      if (fd >= 0)
         close(fd);
      return -1;
   }
   unlink(path);
   kt_fill(tmp, npages, salt);
   if (write(fd, tmp, npages * KT_PAGE) != (ssize_t)(npages * KT_PAGE)) {
      close(fd);
      fd = -1;
   }
   free(tmp);
   return fd;
}

/*
 * The common check: the range check refuses with want; then the device
 * is asked anyway and its answer compared with the record; the CPU's
 * data must be intact afterwards (salt, or skip the check with 0).
 */
static void
check_rejected(FIXTURE_DATA(hmm) *self, const char *what, void *p,
               size_t len, enum nvsvm_range_reason want,
               const struct kr_expect *kernel, uint64_t salt)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_range_report rep;
   int ret;

   ret = nvsvm_range_check(p, len, 0, &rep);
   printf("# %s: range check %s: %s (%s)\n", what, nvsvm_error_name(ret),
          nvsvm_range_reason_name(rep.reason),
          nvsvm_range_reason_str(rep.reason));
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   if (rep.reason != want)
      FAIL("reason %s, want %s", nvsvm_range_reason_name(rep.reason),
           nvsvm_range_reason_name(want));
   ASSERT_EQ(rep.bad_addr, (uintptr_t)p);

   ret = nvsvm_device_atomic_fault(dev, p, len, NULL);
   printf("# %s: the kernel answers %s\n", what, nvsvm_error_name(ret));
   KT_EXPECT(self, what, kernel, ret);
   if (salt && kt_check_fill(p, len / KT_PAGE, salt) >= 0)
      FAIL("%s: CPU data changed", what);
}

TEST_F(hmm, map_shared_file_rejected_as_shared)
{
   static const struct kr_expect k[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", -EOPNOTSUPP },
      { NULL, 0 },
   };
   int fd = make_file(NPAGES, 0x41);
   void *p;

   ASSERT_TRUE(fd >= 0);
   DEFER_CLOSE(fd);
   p = mmap(NULL, NPAGES * KT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
            fd, 0);
   ASSERT_TRUE(p != MAP_FAILED);
   DEFER_MUNMAP(p, NPAGES * KT_PAGE);
   check_rejected(self, "MAP_SHARED file", p, NPAGES * KT_PAGE,
                  NVSVM_RANGE_SHARED, k, 0x41);
}

/*
 * The device's write fault copies an unwritten private file page into an
 * anonymous one, which then converts: the kernel says yes where the
 * library says no (file-backed memory stays out of the promise).
 */
TEST_F(hmm, private_file_unwritten_page_rejected_as_file_backed)
{
   static const struct kr_expect k[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 },
      { NULL, 0 },
   };
   int fd = make_file(NPAGES, 0x42);
   void *p;

   ASSERT_TRUE(fd >= 0);
   DEFER_CLOSE(fd);
   p = mmap(NULL, NPAGES * KT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
            fd, 0);
   ASSERT_TRUE(p != MAP_FAILED);
   DEFER_MUNMAP(p, NPAGES * KT_PAGE);
   /* Read only: the pages stay the file's page cache until written. */
   ASSERT_EQ(*(volatile uint64_t *)p, kt_pattern(0, 0, 0x42));
   check_rejected(self, "unwritten MAP_PRIVATE file page", p,
                  NPAGES * KT_PAGE, NVSVM_RANGE_FILE_BACKED, k, 0x42);
}

TEST_F(hmm, shmem_shared_anonymous_rejected_as_shared)
{
   static const struct kr_expect k[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", -EOPNOTSUPP },
      { NULL, 0 },
   };
   void *p = mmap(NULL, NPAGES * KT_PAGE, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

   ASSERT_TRUE(p != MAP_FAILED);
   DEFER_MUNMAP(p, NPAGES * KT_PAGE);
   kt_fill(p, NPAGES, 0x43);
   check_rejected(self, "MAP_SHARED|MAP_ANONYMOUS (shmem)", p,
                  NPAGES * KT_PAGE, NVSVM_RANGE_SHARED, k, 0x43);
}

#define HUGETLB_POOL "/proc/sys/vm/nr_hugepages"

/* A HARNESS_DEFER() release: the hugetlb pool back to n pages. */
static void
hugetlb_pool_restore(void *p, uintptr_t n)
{
   char num[32];

   (void)p;
   snprintf(num, sizeof(num), "%ld", (long)n);
   kt_write_str(HUGETLB_POOL, num);
}

/* One 2 MiB hugetlb page, borrowed from the pool and given back. */
TEST_F(hmm, hugetlb_rejected_as_hugetlb)
{
   static const struct kr_expect k[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", -EOPNOTSUPP },
      { NULL, 0 },
   };
   const char *pool = HUGETLB_POOL;
   const size_t len = 2u << 20;
   long before = kt_read_long(pool);
   char num[32];
   void *p;

   if (before < 0)
      SKIP("no %s: kernel without CONFIG_HUGETLBFS", pool);
   if (kt_proc_field("/proc/meminfo", "HugePages_Free") < 1) {
      snprintf(num, sizeof(num), "%ld", before + 1);
      if (kt_write_str(pool, num) != 0)
         SKIP("no free huge page and %s is not writable", pool);
      HARNESS_DEFER(hugetlb_pool_restore, NULL, before);
   }
   p = mmap(NULL, len, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
   if (p == MAP_FAILED)
      SKIP("MAP_HUGETLB: %s (no 2 MiB page could be reserved)",
           strerror(errno));
   DEFER_MUNMAP(p, len);
   kt_fill(p, len / KT_PAGE, 0x44);
   check_rejected(self, "hugetlb (MAP_HUGETLB)", p, len,
                  NVSVM_RANGE_HUGETLB, k, 0x44);
}

TEST_F(hmm, readonly_mapping_rejected_as_not_writable)
{
   static const struct kr_expect k[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", -EFAULT },
      { NULL, 0 },
   };
   void *p = kt_map_anon(NPAGES, true);

   ASSERT_TRUE(p);
   kt_fill(p, NPAGES, 0x45);
   ASSERT_EQ(mprotect(p, NPAGES * KT_PAGE, PROT_READ), 0);
   check_rejected(self, "read-only private anonymous", p,
                  NPAGES * KT_PAGE, NVSVM_RANGE_NOT_WRITABLE, k, 0x45);
}

TEST_HARNESS_MAIN
