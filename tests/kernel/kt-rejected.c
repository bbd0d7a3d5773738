/* SPDX-License-Identifier: MIT */
/*
 * Kernel-path scenarios: memory that cannot take GPU atomics. The
 * library's range check names the reason before any device is asked;
 * what the kernel itself answers is recorded per version.
 */

#include "kt_common.h"

struct kt_ctx {
   struct kt_kernel k;
};

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
static enum piglit_result
check_rejected(struct kt_ctx *ctx, const char *what, void *p, size_t len,
               enum nvsvm_range_reason want, const struct kr_expect *kernel,
               uint64_t salt)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   struct nvsvm_range_report rep;
   int ret;

   ret = nvsvm_range_check(p, len, 0, &rep);
   printf("# %s: range check %s: %s (%s)\n", what, nvsvm_error_name(ret),
          nvsvm_range_reason_name(rep.reason),
          nvsvm_range_reason_str(rep.reason));
   PG_ASSERT_EQ(ret, -NVSVM_E_RANGE);
   if (rep.reason != want)
      PG_FAIL("reason %s, want %s", nvsvm_range_reason_name(rep.reason),
              nvsvm_range_reason_name(want));
   PG_ASSERT_EQ(rep.bad_addr, (uintptr_t)p);

   KT_OPEN(KT_DEV0, &dev);
   ret = nvsvm_device_atomic_fault(dev, p, len, NULL);
   printf("# %s: the kernel answers %s\n", what, nvsvm_error_name(ret));
   res = kt_recorded(&ctx->k, what, kernel, ret);
   if (salt && kt_check_fill(p, len / KT_PAGE, salt) >= 0)
      PG_FAIL("%s: CPU data changed", what);
out:
   nvsvm_device_close(dev);
   return res;
}

static enum piglit_result
map_shared_file_rejected_as_shared(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", -EOPNOTSUPP },
      { NULL, 0 },
   };
   enum piglit_result res = PIGLIT_FAIL;
   int fd = make_file(NPAGES, 0x41);
   void *p = NULL;

   PG_ASSERT(fd >= 0);
   p = mmap(NULL, NPAGES * KT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
            fd, 0);
   PG_ASSERT(p != MAP_FAILED);
   res = check_rejected(data, "MAP_SHARED file", p, NPAGES * KT_PAGE,
                        NVSVM_RANGE_SHARED, k, 0x41);
out:
   if (p && p != MAP_FAILED)
      munmap(p, NPAGES * KT_PAGE);
   if (fd >= 0)
      close(fd);
   return res;
}

/*
 * The device's write fault copies an unwritten private file page into an
 * anonymous one, which then converts: the kernel says yes where the
 * library says no (file-backed memory stays out of the promise).
 */
static enum piglit_result
private_file_unwritten_page_rejected_as_file_backed(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", 0 }, { "6.12", 0 }, { "7.2", 0 },
      { NULL, 0 },
   };
   enum piglit_result res = PIGLIT_FAIL;
   int fd = make_file(NPAGES, 0x42);
   void *p = NULL;

   PG_ASSERT(fd >= 0);
   p = mmap(NULL, NPAGES * KT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
            fd, 0);
   PG_ASSERT(p != MAP_FAILED);
   /* Read only: the pages stay the file's page cache until written. */
   PG_ASSERT_EQ(*(volatile uint64_t *)p, kt_pattern(0, 0, 0x42));
   res = check_rejected(data, "unwritten MAP_PRIVATE file page", p,
                        NPAGES * KT_PAGE, NVSVM_RANGE_FILE_BACKED, k, 0x42);
out:
   if (p && p != MAP_FAILED)
      munmap(p, NPAGES * KT_PAGE);
   if (fd >= 0)
      close(fd);
   return res;
}

static enum piglit_result
shmem_shared_anonymous_rejected_as_shared(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", -EOPNOTSUPP },
      { NULL, 0 },
   };
   enum piglit_result res = PIGLIT_FAIL;
   void *p = mmap(NULL, NPAGES * KT_PAGE, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

   PG_ASSERT(p != MAP_FAILED);
   kt_fill(p, NPAGES, 0x43);
   res = check_rejected(data, "MAP_SHARED|MAP_ANONYMOUS (shmem)", p,
                        NPAGES * KT_PAGE, NVSVM_RANGE_SHARED, k, 0x43);
out:
   if (p != MAP_FAILED)
      munmap(p, NPAGES * KT_PAGE);
   return res;
}

/* One 2 MiB hugetlb page, borrowed from the pool and given back. */
static enum piglit_result
hugetlb_rejected_as_hugetlb(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", -EOPNOTSUPP },
      { NULL, 0 },
   };
   const char *pool = "/proc/sys/vm/nr_hugepages";
   const size_t len = 2u << 20;
   enum piglit_result res = PIGLIT_FAIL;
   long before = kt_read_long(pool);
   bool raised = false;
   char num[32];
   void *p = MAP_FAILED;

   if (before < 0)
      PG_SKIP("no %s: kernel without CONFIG_HUGETLBFS", pool);
   if (kt_proc_field("/proc/meminfo", "HugePages_Free") < 1) {
      snprintf(num, sizeof(num), "%ld", before + 1);
      if (kt_write_str(pool, num) != 0)
         PG_SKIP("no free huge page and %s is not writable", pool);
      raised = true;
   }
   p = mmap(NULL, len, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
   if (p == MAP_FAILED)
      PG_SKIP("MAP_HUGETLB: %s (no 2 MiB page could be reserved)",
              strerror(errno));
   kt_fill(p, len / KT_PAGE, 0x44);
   res = check_rejected(data, "hugetlb (MAP_HUGETLB)", p, len,
                        NVSVM_RANGE_HUGETLB, k, 0x44);
out:
   if (p != MAP_FAILED)
      munmap(p, len);
   if (raised) {
      snprintf(num, sizeof(num), "%ld", before);
      kt_write_str(pool, num);
   }
   return res;
}

static enum piglit_result
readonly_mapping_rejected_as_not_writable(void *data)
{
   static const struct kr_expect k[] = {
      { "6.1", -EBUSY }, { "6.12", -EBUSY }, { "7.2", -EFAULT },
      { NULL, 0 },
   };
   enum piglit_result res = PIGLIT_FAIL;
   void *p = kt_map_anon(NPAGES, true);

   PG_ASSERT(p);
   kt_fill(p, NPAGES, 0x45);
   PG_ASSERT_EQ(mprotect(p, NPAGES * KT_PAGE, PROT_READ), 0);
   res = check_rejected(data, "read-only private anonymous", p,
                        NPAGES * KT_PAGE, NVSVM_RANGE_NOT_WRITABLE, k, 0x45);
out:
   if (p)
      munmap(p, NPAGES * KT_PAGE);
   return res;
}

int
main(int argc, char **argv)
{
   static const struct piglit_subtest tests[] = {
      { "map_shared_file_rejected_as_shared",
        map_shared_file_rejected_as_shared },
      { "private_file_unwritten_page_rejected_as_file_backed",
        private_file_unwritten_page_rejected_as_file_backed },
      { "shmem_shared_anonymous_rejected_as_shared",
        shmem_shared_anonymous_rejected_as_shared },
      { "hugetlb_rejected_as_hugetlb", hugetlb_rejected_as_hugetlb },
      { "readonly_mapping_rejected_as_not_writable",
        readonly_mapping_rejected_as_not_writable },
   };
   struct kt_ctx ctx;

   kt_kernel_get(&ctx.k);
   printf("# kernel %s (%s)\n", ctx.k.release, ctx.k.version);
   return piglit_run_subtests(tests, sizeof(tests) / sizeof(tests[0]), &ctx,
                              argc, argv);
}
