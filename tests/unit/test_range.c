/* SPDX-License-Identifier: MIT */
/*
 * Range rules against real mappings this test creates: every reason
 * nvsvm_range_check() can give, and the THP warning.
 */

#include <errno.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nvsvm/nvsvm.h"
#include "nvsvm_test.h"

#define PG 4096u
#define MiB (1u << 20)

static void *
map_anon(size_t len, int prot, int flags)
{
   void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);

   return p == MAP_FAILED ? NULL : p;
}

/* A temporary file of len bytes, already unlinked. */
static int
tmp_file(size_t len)
{
   char path[] = "/tmp/nvsvm-range-XXXXXX";
   int fd = mkstemp(path);

   if (fd < 0)
      return -1;
   unlink(path);
   if (ftruncate(fd, (off_t)len) != 0) {
      close(fd);
      return -1;
   }
   return fd;
}

NVSVM_TEST(private_anonymous_read_write_memory_is_eligible)
{
   struct nvsvm_range_report r;
   char *p = map_anon(4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
   int ret;

   ASSERT_TRUE(p != NULL);
   p[0] = 1;
   ret = nvsvm_range_check(p, 4 * PG, 0, &r);
   munmap(p, 4 * PG);
   ASSERT_EQ(ret, 0);
   ASSERT_EQ(r.reason, NVSVM_RANGE_OK);
}

NVSVM_TEST(malloc_memory_is_eligible)
{
   struct nvsvm_range_report r;
   char *p = malloc(3 * PG);
   int ret;

   ASSERT_TRUE(p != NULL);
   memset(p, 1, 3 * PG);
   ret = nvsvm_range_check(p, 3 * PG, NVSVM_RANGE_NO_THP_CHECK, &r);
   free(p);
   ASSERT_EQ(ret, 0);
   ASSERT_EQ(r.reason, NVSVM_RANGE_OK);
}

NVSVM_TEST(null_pointer_is_refused)
{
   struct nvsvm_range_report r;

   ASSERT_EQ(nvsvm_range_check(NULL, PG, 0, &r), -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_NULL);
}

NVSVM_TEST(zero_length_is_refused)
{
   struct nvsvm_range_report r;
   static char buf[PG];

   ASSERT_EQ(nvsvm_range_check(buf, 0, 0, &r), -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_EMPTY);
}

NVSVM_TEST(wrapping_range_is_refused)
{
   struct nvsvm_range_report r;
   const void *p = (const void *)(uintptr_t)(UINTPTR_MAX - PG + 1);

   ASSERT_EQ(nvsvm_range_check(p, 2 * PG, 0, &r), -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_OVERFLOW);
}

NVSVM_TEST(unaligned_range_is_refused_only_when_alignment_is_required)
{
   struct nvsvm_range_report r;
   char *p = map_anon(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
   int loose, strict;

   ASSERT_TRUE(p != NULL);
   loose = nvsvm_range_check(p + 16, 100, NVSVM_RANGE_NO_THP_CHECK, &r);
   strict = nvsvm_range_check(p + 16, 100, NVSVM_RANGE_REQUIRE_ALIGNED, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(loose, 0);
   ASSERT_EQ(strict, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_UNALIGNED);
}

NVSVM_TEST(hole_in_the_range_is_not_mapped_at_the_hole)
{
   struct nvsvm_range_report r;
   char *p = map_anon(3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
   int ret;

   ASSERT_TRUE(p != NULL);
   munmap(p + PG, PG);
   ret = nvsvm_range_check(p, 3 * PG, 0, &r);
   munmap(p, PG);
   munmap(p + 2 * PG, PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_NOT_MAPPED);
   ASSERT_U64_EQ(r.bad_addr, (uintptr_t)p + PG);
   ASSERT_U64_EQ(r.vma_start, (uintptr_t)p + PG);
   ASSERT_U64_EQ(r.vma_end, (uintptr_t)p + 2 * PG);
}

NVSVM_TEST(range_running_past_the_mapping_end_is_not_mapped)
{
   struct nvsvm_range_report r;
   char *p = map_anon(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
   int ret;

   ASSERT_TRUE(p != NULL);
   munmap(p + PG, PG);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_NOT_MAPPED);
   ASSERT_U64_EQ(r.bad_addr, (uintptr_t)p + PG);
}

NVSVM_TEST(prot_none_mapping_has_no_access)
{
   struct nvsvm_range_report r;
   char *p = map_anon(2 * PG, PROT_NONE, MAP_PRIVATE);
   int ret;

   ASSERT_TRUE(p != NULL);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_NO_ACCESS);
   ASSERT_U64_EQ(r.vma_start, (uintptr_t)p);
}

NVSVM_TEST(read_only_mapping_is_not_writable)
{
   struct nvsvm_range_report r;
   char *p = map_anon(2 * PG, PROT_READ, MAP_PRIVATE);
   int ret;

   ASSERT_TRUE(p != NULL);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_NOT_WRITABLE);
}

NVSVM_TEST(straddling_a_writable_and_a_read_only_mapping_names_the_second)
{
   struct nvsvm_range_report r;
   char *p = map_anon(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
   int ret;

   ASSERT_TRUE(p != NULL);
   ASSERT_EQ(mprotect(p + PG, PG, PROT_READ), 0);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_NOT_WRITABLE);
   ASSERT_U64_EQ(r.bad_addr, (uintptr_t)p + PG);
   ASSERT_U64_EQ(r.vma_start, (uintptr_t)p + PG);
}

NVSVM_TEST(straddling_two_eligible_mappings_is_eligible)
{
   struct nvsvm_range_report r;
   char *p = map_anon(4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
   int ret;

   ASSERT_TRUE(p != NULL);
   /* Different advice splits the mapping in two VMAs. */
   ASSERT_EQ(madvise(p + 2 * PG, 2 * PG, MADV_NOHUGEPAGE), 0);
   ret = nvsvm_range_check(p + PG, 2 * PG, 0, &r);
   munmap(p, 4 * PG);
   ASSERT_EQ(ret, 0);
   ASSERT_EQ(r.reason, NVSVM_RANGE_OK);
}

NVSVM_TEST(shared_anonymous_memory_is_shared)
{
   struct nvsvm_range_report r;
   char *p = map_anon(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
   int ret;

   ASSERT_TRUE(p != NULL);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_SHARED);
}

NVSVM_TEST(sysv_shared_memory_is_shared)
{
   struct nvsvm_range_report r;
   int id = shmget(IPC_PRIVATE, 2 * PG, IPC_CREAT | 0600);
   void *p;
   int ret;

   if (id < 0)
      SKIP("shmget: %s", strerror(errno));
   p = shmat(id, NULL, 0);
   shmctl(id, IPC_RMID, NULL);
   ASSERT_TRUE(p != (void *)-1);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   shmdt(p);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_SHARED);
}

NVSVM_TEST(shared_file_mapping_is_shared)
{
   struct nvsvm_range_report r;
   int fd = tmp_file(2 * PG);
   void *p;
   int ret;

   ASSERT_GE(fd, 0);
   p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
   close(fd);
   ASSERT_TRUE(p != MAP_FAILED);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_SHARED);
}

NVSVM_TEST(private_file_mapping_unwritten_is_file_backed)
{
   struct nvsvm_range_report r;
   int fd = tmp_file(2 * PG);
   void *p;
   int ret;

   ASSERT_GE(fd, 0);
   p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
   close(fd);
   ASSERT_TRUE(p != MAP_FAILED);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_FILE_BACKED);
   ASSERT_TRUE(strncmp(r.vma_name, "/tmp/nvsvm-range-", 17) == 0);
}

/* Copy-on-write made the pages anonymous, the mapping is still a file's. */
NVSVM_TEST(private_file_mapping_written_is_still_file_backed)
{
   struct nvsvm_range_report r;
   int fd = tmp_file(2 * PG);
   char *p;
   int ret;

   ASSERT_GE(fd, 0);
   p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
   close(fd);
   ASSERT_TRUE(p != MAP_FAILED);
   memset(p, 7, 2 * PG);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_FILE_BACKED);
}

NVSVM_TEST(private_memfd_mapping_is_file_backed)
{
   struct nvsvm_range_report r;
   int fd = memfd_create("nvsvm-range", MFD_CLOEXEC);
   void *p;
   int ret;

   ASSERT_GE(fd, 0);
   ASSERT_EQ(ftruncate(fd, 2 * PG), 0);
   p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
   close(fd);
   ASSERT_TRUE(p != MAP_FAILED);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_FILE_BACKED);
}

/*
 * MAP_NORESERVE lets the mapping exist without free huge pages; it is
 * never touched, so none is needed.
 */
NVSVM_TEST(hugetlb_mapping_is_hugetlb)
{
   struct nvsvm_range_report r;
   void *p = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_NORESERVE,
                  -1, 0);
   int ret;

   if (p == MAP_FAILED)
      SKIP("kernel refuses MAP_HUGETLB here: %s", strerror(errno));
   ret = nvsvm_range_check(p, 2 * MiB, 0, &r);
   munmap(p, 2 * MiB);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_HUGETLB);
}

NVSVM_TEST(vdso_is_special)
{
   struct nvsvm_range_report r;
   unsigned long vdso = getauxval(AT_SYSINFO_EHDR);

   if (!vdso)
      SKIP("no vDSO in this process");
   ASSERT_EQ(nvsvm_range_check((void *)vdso, PG, 0, &r), -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_SPECIAL);
   ASSERT_STREQ(r.vma_name, "[vdso]");
}

/* AnonHugePages of the mapping containing addr, read independently. */
static long
anon_huge_kb(uintptr_t addr)
{
   FILE *f = fopen("/proc/self/smaps", "re");
   char line[512];
   bool in = false;
   long kb = -1;

   if (!f)
      return -1;
   while (fgets(line, sizeof(line), f)) {
      unsigned long long s, e;

      if (sscanf(line, "%llx-%llx ", &s, &e) == 2) {
         if (in)
            break;
         in = s <= addr && addr < e;
      } else if (in && sscanf(line, "AnonHugePages: %ld", &kb) == 1) {
         break;
      }
   }
   fclose(f);
   return kb;
}

static void
thp_mode(char *out, size_t size)
{
   FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");

   snprintf(out, size, "unknown");
   if (f) {
      if (!fgets(out, (int)size, f))
         snprintf(out, size, "unreadable");
      out[strcspn(out, "\n")] = '\0';
      fclose(f);
   }
}

NVSVM_TEST(thp_backed_range_is_eligible_with_a_warning)
{
   struct nvsvm_range_report r;
   size_t len = 4 * MiB;
   char *raw = map_anon(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
   char *p, mode[128];
   long kb;
   int ret;

   ASSERT_TRUE(raw != NULL);
   p = (char *)(((uintptr_t)raw + 2 * MiB - 1) & ~(uintptr_t)(2 * MiB - 1));
   madvise(p, 2 * MiB, MADV_HUGEPAGE);
   memset(p, 1, 2 * MiB);
   kb = anon_huge_kb((uintptr_t)p);
   ret = nvsvm_range_check(p, 2 * MiB, 0, &r);
   munmap(raw, len);
   if (kb <= 0) {
      thp_mode(mode, sizeof(mode));
      SKIP("kernel gave no huge page (AnonHugePages %ld kB, THP: %s)", kb,
           mode);
   }
   ASSERT_EQ(ret, 0);
   ASSERT_TRUE(r.warnings & NVSVM_RANGE_WARN_THP);
}

NVSVM_TEST(nohugepage_range_carries_no_thp_warning)
{
   struct nvsvm_range_report r;
   char *p = map_anon(4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
   int ret;

   ASSERT_TRUE(p != NULL);
   ASSERT_EQ(madvise(p, 4 * PG, MADV_NOHUGEPAGE), 0);
   memset(p, 1, 4 * PG);
   ret = nvsvm_range_check(p, 4 * PG, 0, &r);
   munmap(p, 4 * PG);
   ASSERT_EQ(ret, 0);
   ASSERT_EQ(r.warnings & (NVSVM_RANGE_WARN_THP |
                           NVSVM_RANGE_WARN_THP_ELIGIBLE), 0);
}

NVSVM_TEST(mlocked_range_is_eligible_and_noted)
{
   struct nvsvm_range_report r;
   char *p = map_anon(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
   int ret;

   ASSERT_TRUE(p != NULL);
   /* The raw syscall: sanitizers turn mlock() into a no-op. */
   if (syscall(SYS_mlock, p, 2 * PG) != 0) {
      int e = errno;

      munmap(p, 2 * PG);
      SKIP("mlock: %s (RLIMIT_MEMLOCK)", strerror(e));
   }
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, 0);
   ASSERT_TRUE(r.warnings & NVSVM_RANGE_WARN_LOCKED);
}

NVSVM_TEST(missing_report_is_einval)
{
   static char buf[PG];

   ASSERT_EQ(nvsvm_range_check(buf, PG, 0, NULL), -EINVAL);
}

NVSVM_TEST(every_reason_has_a_distinct_name_and_a_sentence)
{
   for (int i = 0; i < NVSVM_RANGE_REASON_COUNT; i++) {
      ASSERT_TRUE(strlen(nvsvm_range_reason_str(i)) > 8);
      for (int k = 0; k < i; k++)
         ASSERT_TRUE(strcmp(nvsvm_range_reason_name(i),
                            nvsvm_range_reason_name(k)) != 0);
   }
   ASSERT_STREQ(nvsvm_range_reason_name(NVSVM_RANGE_REASON_COUNT),
                "UNKNOWN");
   ASSERT_TRUE(strstr(nvsvm_range_warning_str(NVSVM_RANGE_WARN_THP),
                      "MADV_NOHUGEPAGE") != NULL);
}

NVSVM_TEST_MAIN(
   NVSVM_CASE(private_anonymous_read_write_memory_is_eligible),
   NVSVM_CASE(malloc_memory_is_eligible),
   NVSVM_CASE(null_pointer_is_refused),
   NVSVM_CASE(zero_length_is_refused),
   NVSVM_CASE(wrapping_range_is_refused),
   NVSVM_CASE(unaligned_range_is_refused_only_when_alignment_is_required),
   NVSVM_CASE(hole_in_the_range_is_not_mapped_at_the_hole),
   NVSVM_CASE(range_running_past_the_mapping_end_is_not_mapped),
   NVSVM_CASE(prot_none_mapping_has_no_access),
   NVSVM_CASE(read_only_mapping_is_not_writable),
   NVSVM_CASE(straddling_a_writable_and_a_read_only_mapping_names_the_second),
   NVSVM_CASE(straddling_two_eligible_mappings_is_eligible),
   NVSVM_CASE(shared_anonymous_memory_is_shared),
   NVSVM_CASE(sysv_shared_memory_is_shared),
   NVSVM_CASE(shared_file_mapping_is_shared),
   NVSVM_CASE(private_file_mapping_unwritten_is_file_backed),
   NVSVM_CASE(private_file_mapping_written_is_still_file_backed),
   NVSVM_CASE(private_memfd_mapping_is_file_backed),
   NVSVM_CASE(hugetlb_mapping_is_hugetlb),
   NVSVM_CASE(vdso_is_special),
   NVSVM_CASE(thp_backed_range_is_eligible_with_a_warning),
   NVSVM_CASE(nohugepage_range_carries_no_thp_warning),
   NVSVM_CASE(mlocked_range_is_eligible_and_noted),
   NVSVM_CASE(missing_report_is_einval),
   NVSVM_CASE(every_reason_has_a_distinct_name_and_a_sentence),
)
