/* SPDX-License-Identifier: MIT */
/*
 * vsvm scenarios: what a device atomic does on each kind of memory, and
 * whether the library's range check predicted it. Where the kernel will
 * not make the page device-exclusive the fault fails and the channel
 * dies (EXEC -EIO); the range check must have refused that range first.
 */

#include <fcntl.h>
#include <sys/utsname.h>

#include "vt_common.h"
#include "kernel_record.h"
#include "thp_probe.h"

#define HUGE_SZ (2ull << 20)

/* One device atomic add on addr, as a short-lived channel. */
static int
device_add(struct nvsvm_device *dev, const volatile void *addr,
           struct nvsvm_exec *e, struct nvsvm_lane_result *r,
           struct nvsvm_exec_op *op)
{
   *op = vt_op(NVSVM_EXEC_ADD, addr, 0, 1);
   memset(e, 0, sizeof(*e));
   e->ops = op;
   e->nops = 1;
   e->lanes = 1;
   e->iterations = 1;
   e->timeout_ms = 10000;
   e->results = r;
   return nvsvm_device_exec(dev, e);
}

/* "6.12" -> 612: kernel-specific answers are recorded per version. */
static unsigned
kernel_version(void)
{
   struct utsname u;
   unsigned a = 0, b = 0;

   if (uname(&u) != 0 || sscanf(u.release, "%u.%u", &a, &b) != 2)
      return 0;
   return a * 100 + b;
}

/*
 * The range check's verdict on [p, p+len) and the device's on one atomic
 * at p. want_reason OK means the device must succeed; any other reason
 * means the channel must die with want_fault.
 */
static void
range_vs_device(struct nvsvm_device *dev, const char *what,
                const volatile void *p, size_t len,
                enum nvsvm_range_reason want_reason, int want_fault)
{
   struct nvsvm_range_report rep;
   struct nvsvm_lane_result r;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   int check, ret;

   memset(&rep, 0, sizeof(rep));
   check = nvsvm_range_check((const void *)p, len, 0, &rep);
   ret = device_add(dev, p, &e, &r, &op);
   TH_LOG("%s: range check %s (%s); device atomic %s, %s", what,
          nvsvm_error_name(check), nvsvm_range_reason_name(rep.reason),
          nvsvm_error_name(ret),
          e.fault_status ? nvsvm_exec_fault_str(e.fault_status)
                         : "no fault killed the channel");
   vt_report_exec(what, &e, ret);

   if (want_reason == NVSVM_RANGE_OK) {
      ASSERT_OK(check);
      ASSERT_OK(ret);
      ASSERT_EQ(r.ops, 1);
   } else {
      /* The library said no, for the reason this memory has... */
      ASSERT_RET(check, -NVSVM_E_RANGE);
      ASSERT_EQ(rep.reason, want_reason);
      /* ...and the kernel agreed: the channel died on that fault. */
      ASSERT_RET(ret, -EIO);
      {
         /* This kernel's answer, into the per-kernel table. */
         char v[16], rec[96];
         const struct kr_expect k[] = { { v, want_fault }, { NULL, 0 } };

         kr_version(v, sizeof(v));
         snprintf(rec, sizeof(rec), "%s: channel fault status", what);
         KR_EXPECT(rec, k, e.fault_status);
         ASSERT_RET(e.fault_status, want_fault);
      }
      ASSERT_EQ(e.fault_addr, (uintptr_t)p);
      ASSERT_EQ(e.fault_access, 2);
      ASSERT_EQ(e.delta.kills, 1);
      ASSERT_EQ(r.ops, 0);
   }
}

/* mmap() of one page, unmapped after the scenario; NULL on failure. */
static void *
map_page(int prot, int flags)
{
   void *p = mmap(NULL, VT_PAGE, prot, flags, -1, 0);

   if (p == MAP_FAILED)
      return NULL;
   DEFER_MUNMAP(p, VT_PAGE);
   return p;
}

/* The control: private anonymous memory converts. */
TEST_F(vsvm, anon_private_is_accepted_by_both)
{
   uint64_t *p = vt_map(1);

   ASSERT_TRUE(p);
   range_vs_device(self->dev, "anon private", p, VT_PAGE, NVSVM_RANGE_OK, 0);
   ASSERT_EQ(p[0], 1);
}

/* An atomic needs a writable mapping: GUP for write fails, -EFAULT. */
TEST_F(vsvm, read_only_kills_channel_as_predicted)
{
   void *p = map_page(PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);

   ASSERT_TRUE(p);
   range_vs_device(self->dev, "read-only", p, VT_PAGE,
                   NVSVM_RANGE_NOT_WRITABLE, -EFAULT);
}

/*
 * What the channel dies with on memory that never converts: up to 6.14
 * the kernel only leaves the page unconverted, and vsvm answers -EINVAL as
 * nouveau does; from 6.15 make_device_exclusive() refuses a page that is
 * not anonymous (shmem, page cache) with -EOPNOTSUPP and vsvm names it.
 */
static int
never_exclusive_fault(void)
{
   return kernel_version() >= 615 ? -EOPNOTSUPP : -EINVAL;
}

/* MAP_SHARED anonymous memory is shmem: never exclusive. */
TEST_F(vsvm, shared_anon_kills_channel_as_predicted)
{
   uint64_t *p = map_page(PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS);

   ASSERT_TRUE(p);
   p[0] = 7;
   range_vs_device(self->dev, "MAP_SHARED anon", p, VT_PAGE,
                   NVSVM_RANGE_SHARED, never_exclusive_fault());
   ASSERT_EQ(p[0], 7);
}

/* One page of an unlinked temporary file, mapped; both released after. */
static void *
map_file(int flags)
{
   char path[] = "/tmp/vt-ranges-XXXXXX";
   int fd = mkstemp(path);
   void *p;

   if (fd < 0)
      return NULL;
   DEFER_CLOSE(fd);
   unlink(path);
   if (ftruncate(fd, VT_PAGE) != 0)
      return NULL;
   p = mmap(NULL, VT_PAGE, PROT_READ | PROT_WRITE, flags, fd, 0);
   if (p == MAP_FAILED)
      return NULL;
   DEFER_MUNMAP(p, VT_PAGE);
   return p;
}

/* A shared file mapping: page cache, not anonymous: never exclusive. */
TEST_F(vsvm, shared_file_kills_channel_as_predicted)
{
   uint64_t *p = map_file(MAP_SHARED);

   ASSERT_TRUE(p);
   p[0] = 7;
   range_vs_device(self->dev, "MAP_SHARED file", p, VT_PAGE,
                   NVSVM_RANGE_SHARED, never_exclusive_fault());
}

/*
 * A private file mapping: the library refuses it (its rule keeps to
 * anonymous memory), but the kernel's write fault makes a private
 * anonymous copy, and that copy does convert. The library is
 * conservative here, never optimistic: record both answers.
 */
TEST_F(vsvm, private_file_is_refused_by_library_but_converts)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_range_report rep;
   struct nvsvm_lane_result r;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   int check, ret;
   uint64_t *p = map_file(MAP_PRIVATE);

   ASSERT_TRUE(p);
   check = nvsvm_range_check(p, VT_PAGE, 0, &rep);
   ret = device_add(dev, p, &e, &r, &op);
   vt_report_exec("MAP_PRIVATE file", &e, ret);
   TH_LOG("MAP_PRIVATE file: library %s (%s), kernel converted the "
          "private copy: %s", nvsvm_error_name(check),
          nvsvm_range_reason_name(rep.reason), nvsvm_error_name(ret));
   ASSERT_RET(check, -NVSVM_E_RANGE);
   ASSERT_EQ(rep.reason, NVSVM_RANGE_FILE_BACKED);
   ASSERT_OK(ret);
   ASSERT_EQ(e.delta.conversions, 1);
   ASSERT_EQ(p[0], 1);
}

/*
 * hugetlbfs pages are never made exclusive. How the kernel says it
 * differs: 6.1's lookup returns a tail page the conversion refuses
 * (-EINVAL, as nouveau answers); 6.12's lookup refuses FOLL_SPLIT_PMD on
 * hugetlb outright (-EOPNOTSUPP).
 */
TEST_F(vsvm, hugetlb_kills_channel_as_predicted)
{
   int want = kernel_version() >= 612 ? -EOPNOTSUPP : -EINVAL;
   uint64_t *p = mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

   if (p == MAP_FAILED)
      SKIP("MAP_HUGETLB: %s (no free huge pages: "
           "/proc/sys/vm/nr_hugepages)", strerror(errno));
   DEFER_MUNMAP(p, HUGE_SZ);
   p[0] = 7;
   range_vs_device(self->dev, "hugetlb", p, VT_PAGE, NVSVM_RANGE_HUGETLB,
                   want);
}

/* Kernels before 6.15 cannot make part of a THP exclusive. */
static bool
kernel_splits_thp_for_exclusive(void)
{
   return kernel_version() >= 615;
}

/*
 * A THP-backed range: the library passes it with a THP warning, and on
 * kernels up to 6.14 the fault never gets the page and times out (the
 * 1000 ms bound), so the channel dies with -EBUSY. The warning is the
 * prediction: MADV_NOHUGEPAGE is the advice that goes with it.
 */
TEST_F(vsvm, thp_times_out_as_the_warning_predicts)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_range_report rep;
   struct nvsvm_lane_result r;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   char *map = NULL, *p;
   int check, ret;

   map = mmap(NULL, 2 * HUGE_SZ, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   ASSERT_TRUE(map != MAP_FAILED);
   DEFER_MUNMAP(map, 2 * HUGE_SZ);
   p = (char *)(((uintptr_t)map + HUGE_SZ - 1) & ~(HUGE_SZ - 1));
   if (madvise(p, HUGE_SZ, MADV_HUGEPAGE) != 0)
      SKIP("MADV_HUGEPAGE: %s (kernel without THP)", strerror(errno));
   memset(p, 1, HUGE_SZ);
   /* The kernel's word (smaps), not the library's: that is under test. */
   if (!thp_probe_backed(p, HUGE_SZ))
      SKIP("smaps: AnonHugePages %ld kB, no THP backs the range (THP "
           "off, or no free 2 MiB page)", thp_probe_anon_huge_kb(p));
   check = nvsvm_range_check(p, HUGE_SZ, 0, &rep);
   ASSERT_OK(check);
   if (!(rep.warnings & NVSVM_RANGE_WARN_THP))
      FAIL("smaps says THP backs the range; the range check did not "
           "warn (warnings 0x%x)", (unsigned)rep.warnings);

   ret = device_add(dev, p + 2 * VT_PAGE, &e, &r, &op);
   vt_report_exec("THP", &e, ret);
   TH_LOG("THP: range check OK with warning \"%s\"; device atomic %s",
          nvsvm_range_warning_str(NVSVM_RANGE_WARN_THP),
          nvsvm_error_name(ret));
   if (kernel_splits_thp_for_exclusive()) {
      ASSERT_OK(ret);
   } else {
      ASSERT_RET(ret, -EIO);
      ASSERT_RET(e.fault_status, -EBUSY);
      ASSERT_EQ(e.delta.timeouts, 1);
      ASSERT_GE(e.delta.conversion_refused, 1);
      /* The bound held: about 1000 ms, not forever. */
      ASSERT_LT(e.elapsed_ns, 5000000000ull);
   }
}

/* PROT_NONE: no access at all, -EFAULT. */
TEST_F(vsvm, prot_none_kills_channel_as_predicted)
{
   void *p = map_page(PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);

   ASSERT_TRUE(p);
   range_vs_device(self->dev, "PROT_NONE", p, VT_PAGE,
                   NVSVM_RANGE_NO_ACCESS, -EFAULT);
}

/* Nothing mapped: -EFAULT. */
TEST_F(vsvm, unmapped_hole_kills_channel_as_predicted)
{
   /* Not vt_map(): nothing may unmap this address again afterwards. */
   void *p = mmap(NULL, VT_PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   ASSERT_TRUE(p != MAP_FAILED);
   munmap(p, VT_PAGE);
   range_vs_device(self->dev, "unmapped", p, VT_PAGE,
                   NVSVM_RANGE_NOT_MAPPED, -EFAULT);
}

/*
 * The unmanaged window belongs to buffer objects: the device never
 * mirrors the CPU there, so the access fails before any fault.
 */
TEST_F(vsvm, unmanaged_window_is_not_mirrored)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_window win;
   struct nvsvm_lane_result r;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   int ret;

   ASSERT_OK(nvsvm_svm_window(dev, &win));
   ret = device_add(dev, (void *)(uintptr_t)(win.addr + win.size / 2), &e,
                    &r, &op);
   vt_report_exec("unmanaged window", &e, ret);
   ASSERT_RET(ret, -EIO);
   ASSERT_RET(e.fault_status, -EFAULT);
   ASSERT_EQ(e.delta.faults_atomic, 0);
}

TEST_HARNESS_MAIN
