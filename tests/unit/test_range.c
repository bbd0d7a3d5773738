/* SPDX-License-Identifier: MIT */
/*
 * Range rules against real mappings this test creates: every reason
 * nvsvm_range_check() can give, the warnings, and the fast (procfs
 * ioctl) path agreeing with the smaps one. meson runs it twice, the
 * second time with NVSVM_RANGE_SLOW=1.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nvsvm/nvsvm.h"
#include "nvsvm_range.h"
#include "harness.h"
#include "thp_probe.h"

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

/* Two pages of a fresh temporary file, mapped read-write with flags. */
static char *
map_tmp_file(int flags)
{
   int fd = tmp_file(2 * PG);
   void *p;

   if (fd < 0)
      return NULL;
   p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, flags, fd, 0);
   close(fd);
   return p == MAP_FAILED ? NULL : p;
}

TEST(private_anonymous_read_write_memory_is_eligible)
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

TEST(malloc_memory_is_eligible)
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

TEST(null_pointer_is_refused)
{
   struct nvsvm_range_report r;

   ASSERT_EQ(nvsvm_range_check(NULL, PG, 0, &r), -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_NULL);
}

TEST(zero_length_is_refused)
{
   struct nvsvm_range_report r;
   static char buf[PG];

   ASSERT_EQ(nvsvm_range_check(buf, 0, 0, &r), -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_EMPTY);
}

TEST(wrapping_range_is_refused)
{
   struct nvsvm_range_report r;
   const void *p = (const void *)(uintptr_t)(UINTPTR_MAX - PG + 1);

   ASSERT_EQ(nvsvm_range_check(p, 2 * PG, 0, &r), -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_OVERFLOW);
}

TEST(unaligned_range_is_refused_only_when_alignment_is_required)
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

TEST(hole_in_the_range_is_not_mapped_at_the_hole)
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

TEST(range_running_past_the_mapping_end_is_not_mapped)
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

TEST(prot_none_mapping_has_no_access)
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

TEST(read_only_mapping_is_not_writable)
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

TEST(straddling_a_writable_and_a_read_only_mapping_names_the_second)
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

TEST(straddling_two_eligible_mappings_is_eligible)
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

TEST(shared_anonymous_memory_is_shared)
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

TEST(sysv_shared_memory_is_shared)
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

TEST(shared_file_mapping_is_shared)
{
   struct nvsvm_range_report r;
   void *p = map_tmp_file(MAP_SHARED);
   int ret;

   ASSERT_TRUE(p != NULL);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_SHARED);
}

TEST(private_file_mapping_unwritten_is_file_backed)
{
   struct nvsvm_range_report r;
   void *p = map_tmp_file(MAP_PRIVATE);
   int ret;

   ASSERT_TRUE(p != NULL);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_FILE_BACKED);
   ASSERT_TRUE(strncmp(r.vma_name, "/tmp/nvsvm-range-", 17) == 0);
}

/* Copy-on-write made the pages anonymous, the mapping is still a file's. */
TEST(private_file_mapping_written_is_still_file_backed)
{
   struct nvsvm_range_report r;
   char *p = map_tmp_file(MAP_PRIVATE);
   int ret;

   ASSERT_TRUE(p != NULL);
   memset(p, 7, 2 * PG);
   ret = nvsvm_range_check(p, 2 * PG, 0, &r);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_FILE_BACKED);
}

TEST(private_memfd_mapping_is_file_backed)
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
TEST(hugetlb_mapping_is_hugetlb)
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

TEST(vdso_is_special)
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

TEST(thp_backed_range_is_eligible_with_a_warning)
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

TEST(nohugepage_range_carries_no_thp_warning)
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

TEST(mlocked_range_is_eligible_and_noted)
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

TEST(missing_report_is_einval)
{
   static char buf[PG];

   ASSERT_EQ(nvsvm_range_check(buf, PG, 0, NULL), -EINVAL);
}

TEST(every_reason_has_a_distinct_name_and_a_sentence)
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

/* ------------------------------------------ the fast path and smaps */

static const char fast_skip[] =
   "kernel without PROCMAP_QUERY (6.11+): only the smaps path exists here";

/* Whether this kernel has the ioctls (a plain page answers fast there). */
static bool
fast_path_exists(void)
{
   static char page[PG] __attribute__((aligned(PG)));
   struct nvsvm_range_report r;
   enum nvsvm_range_defer why;

   nvsvm_range_check_path(page, PG, NVSVM_RANGE_NO_THP_CHECK,
                          NVSVM_RANGE_PATH_FAST, &r, NULL, &why);
   return why != NVSVM_RANGE_DEFER_NO_QUERY;
}

static bool
reports_equal(const struct nvsvm_range_report *a,
              const struct nvsvm_range_report *b)
{
   return a->reason == b->reason && a->warnings == b->warnings &&
          a->bad_addr == b->bad_addr && a->vma_start == b->vma_start &&
          a->vma_end == b->vma_end && strcmp(a->vma_name, b->vma_name) == 0;
}

static void
print_report(const char *path, int ret, const struct nvsvm_range_report *r)
{
   printf("#   %s: %d %s warn %#x bad %#" PRIx64 " vma %#" PRIx64
          "-%#" PRIx64 " \"%s\"\n", path, ret,
          nvsvm_range_reason_name(r->reason), r->warnings, r->bad_addr,
          r->vma_start, r->vma_end, r->vma_name);
}

/* One page between PROT_NONE guards: its own VMA, merged with nothing. */
static char *
map_lone_page(void)
{
   char *p = map_anon(3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);

   if (!p)
      return NULL;
   if (mprotect(p, PG, PROT_NONE) != 0 ||
       mprotect(p + 2 * PG, PG, PROT_NONE) != 0) {
      munmap(p, 3 * PG);
      return NULL;
   }
   p[PG] = 1;
   return p + PG;
}

static void
unmap_lone_page(char *p)
{
   munmap(p - PG, 3 * PG);
}

TEST(fast_path_answers_for_plain_anonymous_memory)
{
   struct nvsvm_range_report r;
   enum nvsvm_range_path used;
   enum nvsvm_range_defer why;
   char *p = map_lone_page();
   int ret;

   ASSERT_TRUE(p != NULL);
   ret = nvsvm_range_check_path(p, PG, 0, NVSVM_RANGE_PATH_FAST, &r,
                                &used, &why);
   unmap_lone_page(p);
   if (why == NVSVM_RANGE_DEFER_NO_QUERY)
      SKIP("%s", fast_skip);
   ASSERT_EQ(ret, 0);
   ASSERT_EQ(used, NVSVM_RANGE_PATH_FAST);
   ASSERT_EQ(why, NVSVM_RANGE_DEFER_NONE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_OK);
}

TEST(range_slow_1_in_the_environment_forces_the_smaps_path)
{
   const char *old = getenv("NVSVM_RANGE_SLOW");
   char *saved = old ? strdup(old) : NULL;
   struct nvsvm_range_report r;
   enum nvsvm_range_path used_slow, used_auto;
   enum nvsvm_range_defer why_slow, why_auto;
   char *p = map_lone_page();
   int ret_slow, ret_auto;

   ASSERT_TRUE(p != NULL);
   setenv("NVSVM_RANGE_SLOW", "1", 1);
   ret_slow = nvsvm_range_check_path(p, PG, 0, NVSVM_RANGE_PATH_AUTO, &r,
                                     &used_slow, &why_slow);
   setenv("NVSVM_RANGE_SLOW", "0", 1);
   ret_auto = nvsvm_range_check_path(p, PG, 0, NVSVM_RANGE_PATH_AUTO, &r,
                                     &used_auto, &why_auto);
   if (saved)
      setenv("NVSVM_RANGE_SLOW", saved, 1);
   else
      unsetenv("NVSVM_RANGE_SLOW");
   free(saved);
   unmap_lone_page(p);
   ASSERT_EQ(ret_slow, 0);
   ASSERT_EQ(used_slow, NVSVM_RANGE_PATH_SLOW);
   ASSERT_EQ(why_slow, NVSVM_RANGE_DEFER_ENV);
   ASSERT_EQ(ret_auto, 0);
   if (why_auto == NVSVM_RANGE_DEFER_NO_QUERY)
      SKIP("%s", fast_skip);
   ASSERT_EQ(used_auto, NVSVM_RANGE_PATH_FAST);
}

/* Only VmFlags say whether a file mapping is io/pfnmap (SPECIAL). */
TEST(refused_file_mapping_is_judged_with_smaps_vmflags)
{
   struct nvsvm_range_report r;
   enum nvsvm_range_path used;
   enum nvsvm_range_defer why;
   int fd = tmp_file(PG), fast, ret;
   void *p;

   ASSERT_GE(fd, 0);
   p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
   close(fd);
   ASSERT_TRUE(p != MAP_FAILED);
   fast = nvsvm_range_check_path(p, PG, 0, NVSVM_RANGE_PATH_FAST, &r, NULL,
                                 &why);
   ret = nvsvm_range_check_path(p, PG, 0, NVSVM_RANGE_PATH_AUTO, &r, &used,
                                NULL);
   munmap(p, PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_FILE_BACKED);
   ASSERT_EQ(used, NVSVM_RANGE_PATH_SLOW);
   if (why == NVSVM_RANGE_DEFER_NO_QUERY)
      SKIP("%s", fast_skip);
   ASSERT_EQ(fast, -EAGAIN);
   ASSERT_EQ(why, NVSVM_RANGE_DEFER_FILE_FLAGS);
}

/*
 * A hugetlbfs file (here a MFD_HUGETLB memfd, shared) is hugetlb, not
 * just shared: VmFlags ht says so on both paths.
 */
TEST(hugetlb_memfd_mapping_is_hugetlb)
{
   struct nvsvm_range_report fast, slow;
   int fd = memfd_create("nvsvm-range-huge", MFD_CLOEXEC | MFD_HUGETLB);
   int ret_fast, ret_slow;
   void *p;

   if (fd < 0)
      SKIP("memfd_create(MFD_HUGETLB): %s", strerror(errno));
   if (ftruncate(fd, 2 * MiB) != 0) {
      int e = errno;

      close(fd);
      SKIP("ftruncate of a hugetlb memfd: %s", strerror(e));
   }
   p = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_NORESERVE, fd, 0);
   close(fd);
   if (p == MAP_FAILED)
      SKIP("mmap of a hugetlb memfd: %s", strerror(errno));
   ret_fast = nvsvm_range_check_path(p, 2 * MiB, 0, NVSVM_RANGE_PATH_AUTO,
                                     &fast, NULL, NULL);
   ret_slow = nvsvm_range_check_path(p, 2 * MiB, 0, NVSVM_RANGE_PATH_SLOW,
                                     &slow, NULL, NULL);
   munmap(p, 2 * MiB);
   ASSERT_EQ(ret_fast, -NVSVM_E_RANGE);
   ASSERT_EQ(fast.reason, NVSVM_RANGE_HUGETLB);
   ASSERT_TRUE(strncmp(fast.vma_name, "/memfd:nvsvm-range-huge", 23) == 0);
   ASSERT_EQ(ret_slow, -NVSVM_E_RANGE);
   ASSERT_TRUE(reports_equal(&fast, &slow));
}

/* The [vsyscall] line of /proc/self/maps, if the kernel maps it. */
static uint64_t
vsyscall_page(void)
{
   FILE *f = fopen("/proc/self/maps", "re");
   unsigned long long s = 0;
   char line[512];

   if (!f)
      return 0;
   while (fgets(line, sizeof(line), f)) {
      if (strstr(line, "[vsyscall]") && sscanf(line, "%llx-", &s) == 1)
         break;
      s = 0;
   }
   fclose(f);
   return s;
}

/* PROCMAP_QUERY does not see the gate page: smaps answers there. */
TEST(vsyscall_gate_page_is_special)
{
   struct nvsvm_range_report r;
   enum nvsvm_range_path used;
   enum nvsvm_range_defer why;
   uint64_t gate = vsyscall_page();
   int ret;

   if (!gate)
      SKIP("no [vsyscall] in /proc/self/maps (vsyscall=none)");
   ret = nvsvm_range_check_path((void *)(uintptr_t)gate, PG, 0,
                                NVSVM_RANGE_PATH_AUTO, &r, &used, &why);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
   ASSERT_EQ(r.reason, NVSVM_RANGE_SPECIAL);
   ASSERT_STREQ(r.vma_name, "[vsyscall]");
   ASSERT_EQ(used, NVSVM_RANGE_PATH_SLOW);
   if (why == NVSVM_RANGE_DEFER_NO_QUERY)
      SKIP("%s", fast_skip);
   if (why != NVSVM_RANGE_DEFER_ENV)
      ASSERT_EQ(why, NVSVM_RANGE_DEFER_GATE);
}

/* maps writes a newline in a path as \012; the ioctl path does too. */
TEST(prot_none_file_mapping_names_match_maps_with_a_newline_escaped)
{
   char path[] = "/tmp/nvsvm-range-a\nb-XXXXXX";
   struct nvsvm_range_report fast, slow;
   int fd = mkstemp(path), ret_fast, ret_slow;
   enum nvsvm_range_path used;
   void *p;

   ASSERT_GE(fd, 0);
   ASSERT_EQ(ftruncate(fd, PG), 0);
   p = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE, fd, 0);
   close(fd);
   unlink(path);
   ASSERT_TRUE(p != MAP_FAILED);
   ret_fast = nvsvm_range_check_path(p, PG, 0, NVSVM_RANGE_PATH_FAST, &fast,
                                     &used, NULL);
   ret_slow = nvsvm_range_check_path(p, PG, 0, NVSVM_RANGE_PATH_SLOW, &slow,
                                     NULL, NULL);
   munmap(p, PG);
   ASSERT_EQ(ret_slow, -NVSVM_E_RANGE);
   ASSERT_EQ(slow.reason, NVSVM_RANGE_NO_ACCESS);
   ASSERT_TRUE(strncmp(slow.vma_name, "/tmp/nvsvm-range-a\\012b-", 24) == 0);
   if (ret_fast == -EAGAIN && !fast_path_exists())
      SKIP("%s", fast_skip);
   ASSERT_EQ(used, NVSVM_RANGE_PATH_FAST);
   ASSERT_EQ(ret_fast, -NVSVM_E_RANGE);
   ASSERT_TRUE(reports_equal(&fast, &slow));
}

/*
 * mlock is judged per mapping without smaps (msync MS_INVALIDATE says
 * EBUSY for a locked one): a locked page elsewhere changes nothing, a
 * locked page in the range warns, on the fast path as on smaps.
 */
TEST(mlock_is_judged_per_mapping_without_smaps)
{
   struct nvsvm_range_report r, in_fast, in_slow;
   enum nvsvm_range_path used;
   enum nvsvm_range_defer why, why_in;
   char *locked = map_lone_page();
   char *plain = map_lone_page();
   int fast, ret, rin_fast, rin_slow;

   ASSERT_TRUE(locked != NULL && plain != NULL);
   unsetenv("NVSVM_RANGE_SLOW");
   if (syscall(SYS_mlock, locked, PG) != 0) {
      int e = errno;

      unmap_lone_page(locked);
      unmap_lone_page(plain);
      SKIP("mlock: %s (RLIMIT_MEMLOCK)", strerror(e));
   }
   fast = nvsvm_range_check_path(plain, PG, 0, NVSVM_RANGE_PATH_FAST, &r,
                                 NULL, &why);
   ret = nvsvm_range_check_path(plain, PG, 0, NVSVM_RANGE_PATH_AUTO, &r,
                                &used, NULL);
   rin_fast = nvsvm_range_check_path(locked, PG, 0, NVSVM_RANGE_PATH_FAST,
                                     &in_fast, NULL, &why_in);
   rin_slow = nvsvm_range_check_path(locked, PG, 0, NVSVM_RANGE_PATH_SLOW,
                                     &in_slow, NULL, NULL);
   unmap_lone_page(locked);
   unmap_lone_page(plain);
   ASSERT_EQ(ret, 0);
   ASSERT_EQ(r.warnings & NVSVM_RANGE_WARN_LOCKED, 0);
   ASSERT_EQ(rin_slow, 0);
   ASSERT_EQ(in_slow.warnings, NVSVM_RANGE_WARN_LOCKED);
   if (why == NVSVM_RANGE_DEFER_NO_QUERY)
      SKIP("%s", fast_skip);
   ASSERT_EQ(fast, 0);
   ASSERT_EQ(why, NVSVM_RANGE_DEFER_NONE);
   ASSERT_EQ(used, NVSVM_RANGE_PATH_FAST);
   ASSERT_EQ(rin_fast, 0);
   ASSERT_EQ(why_in, NVSVM_RANGE_DEFER_NONE);
   ASSERT_TRUE(reports_equal(&in_fast, &in_slow));
}

/* One page of each kind in turn, so that no two neighbours merge. */
enum varied_kind {
   VK_ANON, VK_READ_ONLY, VK_HOLE, VK_NOHUGEPAGE, VK_FILE_PRIVATE,
   VK_PROT_NONE, VK_SHARED_ANON, VK_FILE_SHARED, VK_NAMED_ANON,
   VK_MEMFD_PRIVATE, VK_RWX, VK_FILE_PROT_NONE, VK_COUNT
};

#define VARIED_SLOTS 1100u

static bool
varied_eligible(unsigned slot)
{
   enum varied_kind k = slot % VK_COUNT;

   return k == VK_ANON || k == VK_NOHUGEPAGE || k == VK_NAMED_ANON ||
          k == VK_RWX;
}

/* A refused file mapping (not PROT_NONE) is the fast path's to hand over. */
static bool
varied_deferred(unsigned slot)
{
   enum varied_kind k = slot % VK_COUNT;

   return k == VK_FILE_PRIVATE || k == VK_SHARED_ANON ||
          k == VK_FILE_SHARED || k == VK_MEMFD_PRIVATE;
}

static int
varied_map(char *base, int fd, int mfd)
{
   for (unsigned i = 0; i < VARIED_SLOTS; i++) {
      char *a = base + (size_t)i * PG;
      off_t off = (off_t)i * PG;
      const int rw = PROT_READ | PROT_WRITE;
      const int fixed = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS;
      void *p = a;

      switch ((enum varied_kind)(i % VK_COUNT)) {
      case VK_ANON:
      case VK_NAMED_ANON:
         p = mmap(a, PG, rw, fixed, -1, 0);
         break;
      case VK_READ_ONLY:
         p = mmap(a, PG, PROT_READ, fixed, -1, 0);
         break;
      case VK_HOLE:
         munmap(a, PG);
         break;
      case VK_NOHUGEPAGE:
         p = mmap(a, PG, rw, fixed, -1, 0);
         if (p != MAP_FAILED && madvise(a, PG, MADV_NOHUGEPAGE) != 0)
            return -errno;
         break;
      case VK_FILE_PRIVATE:
         p = mmap(a, PG, rw, MAP_FIXED | MAP_PRIVATE, fd, off);
         break;
      case VK_PROT_NONE:
         break; /* the reservation itself */
      case VK_SHARED_ANON:
         p = mmap(a, PG, rw, MAP_FIXED | MAP_SHARED | MAP_ANONYMOUS, -1, 0);
         break;
      case VK_FILE_SHARED:
         p = mmap(a, PG, rw, MAP_FIXED | MAP_SHARED, fd, off);
         break;
      case VK_MEMFD_PRIVATE:
         p = mmap(a, PG, rw, MAP_FIXED | MAP_PRIVATE, mfd, off);
         break;
      case VK_RWX:
         p = mmap(a, PG, rw | PROT_EXEC, fixed, -1, 0);
         break;
      case VK_FILE_PROT_NONE:
         p = mmap(a, PG, PROT_NONE, MAP_FIXED | MAP_PRIVATE, fd, off);
         break;
      case VK_COUNT:
         break;
      }
      if (p == MAP_FAILED)
         return -errno;
      if (i % VK_COUNT == VK_NAMED_ANON)
         /* Kernels without CONFIG_ANON_VMA_NAME: a plain page then. */
         prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)a, PG,
               (unsigned long)"nvsvm-varied");
      if (varied_eligible(i))
         a[0] = 1;
   }
   return 0;
}

static unsigned
maps_count(void)
{
   FILE *f = fopen("/proc/self/maps", "re");
   unsigned n = 0;
   int c;

   if (!f)
      return 0;
   while ((c = fgetc(f)) != EOF)
      n += c == '\n';
   fclose(f);
   return n;
}

struct varied_tally {
   unsigned probes, fast, deferred, wrong_path, differ;
};

/*
 * Both paths on one range: identical answers; and the fast path answers
 * itself unless expect_defer (then it hands over, for that reason).
 */
static void
varied_probe_x(struct varied_tally *t, const void *p, size_t len,
               unsigned flags, int expect_defer, unsigned smaps_extra)
{
   struct nvsvm_range_report fast, slow;
   enum nvsvm_range_defer why;
   int rf, rs;

   t->probes++;
   rf = nvsvm_range_check_path(p, len, flags, NVSVM_RANGE_PATH_FAST, &fast,
                               NULL, &why);
   rs = nvsvm_range_check_path(p, len, flags, NVSVM_RANGE_PATH_SLOW, &slow,
                               NULL, NULL);
   if (rf == -EAGAIN) {
      t->deferred++;
      if (expect_defer >= 0 && (unsigned)expect_defer != why) {
         t->wrong_path++;
         printf("# %p+%#zx: fast path handed over (%s), expected %s\n", p,
                len, nvsvm_range_defer_str(why),
                nvsvm_range_defer_str(expect_defer));
      }
      return;
   }
   t->fast++;
   if (expect_defer > 0) {
      t->wrong_path++;
      printf("# %p+%#zx: fast path answered, expected it to hand over "
             "(%s)\n", p, len, nvsvm_range_defer_str(expect_defer));
   }
   /* smaps_extra: warnings smaps must add (it sees whole mappings). */
   if (smaps_extra && (fast.warnings & smaps_extra) == 0 &&
       (slow.warnings & smaps_extra) == smaps_extra)
      fast.warnings |= smaps_extra;
   else if (smaps_extra)
      fast.warnings |= 1u << 31; /* the expected difference is missing */
   if (rf != rs || !reports_equal(&fast, &slow)) {
      t->differ++;
      printf("# %p+%#zx flags %#x: the paths differ (smaps may add %#x)\n",
             p, len, flags, smaps_extra);
      print_report("fast", rf, &fast);
      print_report("smaps", rs, &slow);
   }
}

static void
varied_probe(struct varied_tally *t, const void *p, size_t len,
             unsigned flags, int expect_defer)
{
   varied_probe_x(t, p, len, flags, expect_defer, 0);
}

/*
 * The THP probes of the varied test: raw (len bytes) holds h, whose first
 * 2 MiB are a huge page and next 2 MiB MADV_HUGEPAGE, untouched. Where THP
 * blocks device-exclusive (6.14 and before) THPeligible needs VmFlags, so
 * which answers come fast depends on sysfs. From 6.15 on the fast path
 * answers all, its THP warning the range's own: a range beside the huge
 * page has none, smaps warns for the whole mapping.
 */
static void
varied_thp_probes(struct varied_tally *t, char *raw, char *h, size_t len,
                  bool splits)
{
   int expect = splits ? NVSVM_RANGE_DEFER_NONE : -1;

   varied_probe(t, h, 2 * MiB, 0, expect);
   varied_probe(t, h + PG, PG, 0, expect);
   varied_probe_x(t, h + 2 * MiB, 2 * MiB, 0, expect,
                  splits ? NVSVM_RANGE_WARN_THP : 0);
   varied_probe(t, h - PG, 2 * PG, 0, expect);
   varied_probe(t, raw, len, 0, expect);
   varied_probe(t, raw, len, NVSVM_RANGE_NO_THP_CHECK, expect);
}

/* Expected hand-over for slots [first, first+n): the first refusal's. */
static int
varied_expect(unsigned first, unsigned n)
{
   for (unsigned i = first; i < first + n; i++) {
      if (!varied_eligible(i))
         return varied_deferred(i) ? NVSVM_RANGE_DEFER_FILE_FLAGS :
                                     NVSVM_RANGE_DEFER_NONE;
   }
   return NVSVM_RANGE_DEFER_NONE;
}

/* ~15 s under ASan on a loaded 2-core host: smaps of 1100 mappings. */
TEST_TIMEOUT(fast_and_smaps_paths_agree_on_a_thousand_varied_mappings, 120)
{
   const size_t len = (size_t)VARIED_SLOTS * PG;
   const size_t thp_len = 8 * MiB;
   struct varied_tally tally = { 0 };
   char *base, *thp_raw, *h;
   int fd, mfd, ret;
   unsigned maps;

   if (!fast_path_exists())
      SKIP("%s", fast_skip);
   fd = tmp_file(len);
   mfd = memfd_create("nvsvm-varied", MFD_CLOEXEC);
   ASSERT_GE(fd, 0);
   ASSERT_GE(mfd, 0);
   ASSERT_EQ(ftruncate(mfd, (off_t)len), 0);
   base = mmap(NULL, len, PROT_NONE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
   ASSERT_TRUE(base != MAP_FAILED);
   ret = varied_map(base, fd, mfd);
   close(fd);
   close(mfd);
   maps = maps_count();

   /*
    * THP: a huge page in the range, an MADV_HUGEPAGE mapping not yet
    * touched, and plain memory big enough for one.
    */
   thp_raw = map_anon(thp_len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
   h = thp_raw ? (char *)(((uintptr_t)thp_raw + 2 * MiB - 1) &
                          ~(uintptr_t)(2 * MiB - 1)) : NULL;
   if (h) {
      madvise(h, 4 * MiB, MADV_HUGEPAGE);
      memset(h, 1, 2 * MiB);
   }

   if (ret == 0 && h) {
      for (unsigned i = 0; i < VARIED_SLOTS; i++) {
         char *a = base + (size_t)i * PG;
         unsigned flags = i & 1 ? NVSVM_RANGE_NO_THP_CHECK : 0;

         if (i % 3 == 0)
            varied_probe(&tally, a, PG, flags, varied_expect(i, 1));
         if (i % 7 == 1 && i + 3 <= VARIED_SLOTS)
            varied_probe(&tally, a, 3 * PG, flags ^ NVSVM_RANGE_NO_THP_CHECK,
                         varied_expect(i, 3));
         if (i % 50 == 2)
            varied_probe(&tally, a + 100, 50, 0, varied_expect(i, 1));
      }
      varied_probe(&tally, base, len, 0, varied_expect(0, VARIED_SLOTS));
      nvsvm_range_test_set(NVSVM_RANGE_TEST_THP_BLOCKS);
      varied_thp_probes(&tally, thp_raw, h, thp_len, false);
      if (thp_probe_backed(h, 2 * MiB)) {
         nvsvm_range_test_set(NVSVM_RANGE_TEST_THP_SPLITS);
         varied_thp_probes(&tally, thp_raw, h, thp_len, true);
      } else {
         printf("# no huge page at %p: the 6.15 THP probes not run\n", h);
      }
      nvsvm_range_test_set(0);
   }
   munmap(base, len);
   if (thp_raw)
      munmap(thp_raw, thp_len);
   ASSERT_EQ(ret, 0);
   ASSERT_TRUE(h != NULL);
   printf("# %u mappings; %u probes: %u answered by the ioctls, %u handed "
          "to smaps\n", maps, tally.probes, tally.fast, tally.deferred);
   ASSERT_GE(maps, 1000);
   ASSERT_EQ(tally.differ, 0);
   ASSERT_EQ(tally.wrong_path, 0);
   ASSERT_GT(tally.fast, 0);
}

/* ----------------------------- THP from PAGEMAP_SCAN, kernels either side */

/*
 * A 2 MiB-aligned huge page at *h inside a fresh 4 MiB mapping *raw, its
 * backing asked of smaps directly (thp_probe.h), not of the library.
 * false when the kernel gave none (THP off in sysfs, no memory).
 */
static bool
map_huge_page(char **raw, char **h)
{
   *raw = map_anon(4 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
   if (!*raw)
      return false;
   *h = (char *)(((uintptr_t)*raw + 2 * MiB - 1) & ~(uintptr_t)(2 * MiB - 1));
   madvise(*h, 2 * MiB, MADV_HUGEPAGE);
   memset(*h, 1, 2 * MiB);
   return thp_probe_backed(*h, 2 * MiB);
}

static bool
thp_sysfs_never(void)
{
   char mode[128];

   thp_mode(mode, sizeof(mode));
   return strstr(mode, "[never]") != NULL;
}

/*
 * The fast path learns THP backing from PAGEMAP_SCAN: a huge page in the
 * range warns without smaps, on kernels either side of 6.15, for the
 * whole page and for one 4 KiB page inside it.
 */
TEST(fast_path_takes_thp_backing_from_pagemap_scan)
{
   static const unsigned modes[] = { NVSVM_RANGE_TEST_THP_SPLITS,
                                     NVSVM_RANGE_TEST_THP_BLOCKS };
   struct nvsvm_range_report r;
   enum nvsvm_range_defer why;
   char *raw, *h;
   int ret[2][2];
   unsigned warn[2][2];
   enum nvsvm_range_defer whys[2][2];

   if (!fast_path_exists())
      SKIP("%s", fast_skip);
   if (!map_huge_page(&raw, &h)) {
      long kb = raw ? thp_probe_anon_huge_kb(h) : -1;

      if (raw)
         munmap(raw, 4 * MiB);
      SKIP("kernel gave no huge page (AnonHugePages %ld kB)", kb);
   }
   for (unsigned m = 0; m < 2; m++) {
      nvsvm_range_test_set(modes[m]);
      for (unsigned k = 0; k < 2; k++) {
         ret[m][k] = nvsvm_range_check_path(k ? h + 5 * PG : h,
                                            k ? PG : 2 * MiB, 0,
                                            NVSVM_RANGE_PATH_FAST, &r, NULL,
                                            &why);
         warn[m][k] = r.warnings;
         whys[m][k] = why;
      }
   }
   nvsvm_range_test_set(0);
   munmap(raw, 4 * MiB);
   for (unsigned m = 0; m < 2; m++) {
      for (unsigned k = 0; k < 2; k++) {
         printf("# %s, %s: %d, %s, warnings %#x\n",
                m ? "as 6.14" : "as 6.15", k ? "one page" : "2 MiB",
                ret[m][k], nvsvm_range_defer_str(whys[m][k]), warn[m][k]);
         ASSERT_EQ(ret[m][k], 0);
         ASSERT_EQ(whys[m][k], NVSVM_RANGE_DEFER_NONE);
         ASSERT_TRUE(warn[m][k] & NVSVM_RANGE_WARN_THP);
      }
   }
}

/*
 * From 6.15 on THP no longer blocks device-exclusive, so "may get THP
 * later" is no warning there and the fast path answers large ranges
 * itself, on both sides of madvise; up to 6.14 a mapping an enabled THP
 * size fits still goes to smaps for VmFlags hg/nh.
 */
TEST(large_ranges_are_answered_without_smaps_from_6_15)
{
   static const int advice[] = { MADV_NOHUGEPAGE, MADV_HUGEPAGE, -1 };
   struct nvsvm_range_report fast, slow;
   enum nvsvm_range_defer why, why_old[3];
   int rf[3], rs[3];
   long kb[3];
   bool same[3];

   if (!fast_path_exists())
      SKIP("%s", fast_skip);
   for (unsigned i = 0; i < 3; i++) {
      char *p = map_anon(8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);

      ASSERT_TRUE(p != NULL);
      /* HUGEPAGE untouched: eligible for THP, none yet. */
      if (advice[i] >= 0)
         ASSERT_EQ(madvise(p, 8 * MiB, advice[i]), 0);
      if (advice[i] != MADV_HUGEPAGE)
         memset(p, 1, 8 * MiB);
      kb[i] = thp_probe_anon_huge_kb(p);
      nvsvm_range_test_set(NVSVM_RANGE_TEST_THP_SPLITS);
      rf[i] = nvsvm_range_check_path(p, 8 * MiB, 0, NVSVM_RANGE_PATH_FAST,
                                     &fast, NULL, &why);
      rs[i] = nvsvm_range_check_path(p, 8 * MiB, 0, NVSVM_RANGE_PATH_SLOW,
                                     &slow, NULL, NULL);
      same[i] = why == NVSVM_RANGE_DEFER_NONE && reports_equal(&fast, &slow);
      nvsvm_range_test_set(NVSVM_RANGE_TEST_THP_BLOCKS);
      nvsvm_range_check_path(p, 8 * MiB, 0, NVSVM_RANGE_PATH_FAST, &fast,
                             NULL, &why_old[i]);
      nvsvm_range_test_set(0);
      munmap(p, 8 * MiB);
      printf("# advice %d: AnonHugePages %ld kB; as 6.15: %d/%d %s, warn "
             "%#x; as 6.14: %s\n", advice[i], kb[i], rf[i], rs[i],
             same[i] ? "same" : "DIFFER", slow.warnings,
             nvsvm_range_defer_str(why_old[i]));
   }
   for (unsigned i = 0; i < 3; i++) {
      if (kb[i] != 0)
         SKIP("the kernel gave THP to a mapping it should not have "
              "(AnonHugePages %ld kB)", kb[i]);
      ASSERT_EQ(rf[i], 0);
      ASSERT_EQ(rs[i], 0);
      ASSERT_TRUE(same[i]);
   }
   /* Up to 6.14: MADV_HUGEPAGE leaves THPeligible to VmFlags. */
   if (!thp_sysfs_never())
      ASSERT_EQ(why_old[1], NVSVM_RANGE_DEFER_THP_FLAGS);
}

/* The smaps path too: THPeligible warns only where THP blocks. */
TEST(thp_eligible_warning_only_where_thp_blocks_device_exclusive)
{
   struct nvsvm_range_report r_old, r_new;
   char *raw = map_anon(4 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
   char *h;
   int ret_old, ret_new;

   ASSERT_TRUE(raw != NULL);
   h = (char *)(((uintptr_t)raw + 2 * MiB - 1) & ~(uintptr_t)(2 * MiB - 1));
   ASSERT_EQ(madvise(h, 2 * MiB, MADV_HUGEPAGE), 0);
   nvsvm_range_test_set(NVSVM_RANGE_TEST_THP_BLOCKS);
   ret_old = nvsvm_range_check_path(h, PG, 0, NVSVM_RANGE_PATH_SLOW, &r_old,
                                    NULL, NULL);
   nvsvm_range_test_set(NVSVM_RANGE_TEST_THP_SPLITS);
   ret_new = nvsvm_range_check_path(h, PG, 0, NVSVM_RANGE_PATH_SLOW, &r_new,
                                    NULL, NULL);
   nvsvm_range_test_set(0);
   munmap(raw, 4 * MiB);
   ASSERT_EQ(ret_old, 0);
   ASSERT_EQ(ret_new, 0);
   ASSERT_EQ(r_new.warnings, 0);
   if (thp_sysfs_never())
      SKIP("THP is never in sysfs: no mapping is THP eligible");
   ASSERT_EQ(r_old.warnings, NVSVM_RANGE_WARN_THP_ELIGIBLE);
}

/*
 * A kernel without PAGEMAP_SCAN (here pretended: the ioctl answers
 * ENOTTY): a range that needs it goes to smaps, named NO_SCAN, with the
 * smaps path's answer; one that cannot hold a huge page, or a check
 * without THP warnings, still answers fast; and the capability is
 * learnt afresh when the pretence ends.
 */
TEST(without_pagemap_scan_smaps_answers_named)
{
   struct nvsvm_range_report fast, autor, slow, nothp, lone;
   enum nvsvm_range_defer why_fast, why_auto, why_nothp, why_lone, why_back;
   enum nvsvm_range_path used_auto;
   int rf, ra, rs, rn, rl, rb;
   char *raw, *h, *p;
   bool huge;

   if (!fast_path_exists())
      SKIP("%s", fast_skip);
   unsetenv("NVSVM_RANGE_SLOW");
   huge = map_huge_page(&raw, &h);
   ASSERT_TRUE(raw != NULL);
   p = map_lone_page();
   ASSERT_TRUE(p != NULL);
   nvsvm_range_test_set(NVSVM_RANGE_TEST_NO_SCAN);
   rf = nvsvm_range_check_path(h, 2 * MiB, 0, NVSVM_RANGE_PATH_FAST, &fast,
                               NULL, &why_fast);
   ra = nvsvm_range_check_path(h, 2 * MiB, 0, NVSVM_RANGE_PATH_AUTO, &autor,
                               &used_auto, &why_auto);
   rs = nvsvm_range_check_path(h, 2 * MiB, 0, NVSVM_RANGE_PATH_SLOW, &slow,
                               NULL, NULL);
   rn = nvsvm_range_check_path(h, 2 * MiB, NVSVM_RANGE_NO_THP_CHECK,
                               NVSVM_RANGE_PATH_FAST, &nothp, NULL,
                               &why_nothp);
   rl = nvsvm_range_check_path(p, PG, 0, NVSVM_RANGE_PATH_FAST, &lone, NULL,
                               &why_lone);
   nvsvm_range_test_set(0);
   rb = nvsvm_range_check_path(h, 2 * MiB, 0, NVSVM_RANGE_PATH_FAST, &fast,
                               NULL, &why_back);
   unmap_lone_page(p);
   munmap(raw, 4 * MiB);
   ASSERT_EQ(rf, -EAGAIN);
   ASSERT_EQ(why_fast, NVSVM_RANGE_DEFER_NO_SCAN);
   ASSERT_EQ(ra, 0);
   ASSERT_EQ(rs, 0);
   ASSERT_EQ(used_auto, NVSVM_RANGE_PATH_SLOW);
   ASSERT_EQ(why_auto, NVSVM_RANGE_DEFER_NO_SCAN);
   ASSERT_TRUE(reports_equal(&autor, &slow));
   ASSERT_EQ(rn, 0);
   ASSERT_EQ(why_nothp, NVSVM_RANGE_DEFER_NONE);
   ASSERT_EQ(rl, 0);
   ASSERT_EQ(why_lone, NVSVM_RANGE_DEFER_NONE);
   ASSERT_EQ(rb, 0);
   ASSERT_EQ(why_back, NVSVM_RANGE_DEFER_NONE);
   if (huge)
      ASSERT_TRUE(autor.warnings & NVSVM_RANGE_WARN_THP);
   ASSERT_STREQ(nvsvm_range_defer_str(NVSVM_RANGE_DEFER_NO_SCAN),
                "kernel without PAGEMAP_SCAN (< 6.7)");
}

TEST_HARNESS_MAIN
