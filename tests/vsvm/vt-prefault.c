/* SPDX-License-Identifier: MIT */
/*
 * vsvm scenarios: SVM_BIND command ATOMIC_FAULT, the atomic range fault
 * (docs/uapi.md). A prefaulted range takes no device faults on its first
 * atomics; a refused page stops the call with its address and errno and
 * nothing after it is converted; a CPU touch still revokes; malformed
 * requests are -EINVAL; the call is bounded in time; a kernel without
 * the command is "not supported" by name. Plus the first-launch
 * benchmark, with and without the prefault.
 */

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "drm-uapi/nouveau_drm.h"
#include <xf86drm.h>

#include "pagemap.h"
#include "vt_common.h"

#define CMD_ATOMIC_FAULT 1ull

/* The raw ioctl: 0 or -errno, the struct as the kernel left it. */
static int
raw_atomic(int fd, struct drm_nouveau_svm_bind *b)
{
   return ioctl(fd, DRM_IOCTL_NOUVEAU_SVM_BIND, b) ? -errno : 0;
}

static struct drm_nouveau_svm_bind
atomic_bind(const void *start, size_t len)
{
   struct drm_nouveau_svm_bind b;

   memset(&b, 0, sizeof(b));
   b.header = CMD_ATOMIC_FAULT << NOUVEAU_SVM_BIND_COMMAND_SHIFT;
   b.va_start = (uintptr_t)start;
   b.va_end = (uintptr_t)start + len;
   return b;
}

/*
 * One device atomic add of 1 on the first word of each of npages pages:
 * lanes x iterations pages, lane L on pages [L * per, (L + 1) * per).
 */
static int
add_once_per_page(struct nvsvm_device *dev, void *base, size_t npages,
                  unsigned lanes, struct nvsvm_exec *e,
                  struct nvsvm_lane_result *results)
{
   struct nvsvm_exec_op op = vt_op(NVSVM_EXEC_ADD, base,
                                   (npages / lanes) * VT_PAGE, 1);

   op.iter_stride = VT_PAGE;
   memset(e, 0, sizeof(*e));
   e->ops = &op;
   e->nops = 1;
   e->lanes = lanes;
   e->iterations = npages / lanes;
   e->timeout_ms = 60000;
   e->results = results;
   return nvsvm_device_exec(dev, e);
}

static void
note_report(const char *what, const struct nvsvm_atomic_fault_report *r,
            int ret, const void *base)
{
   TH_LOG("%s: %s; %" PRIu64 " converted, fault_addr base+0x%" PRIx64
          ", fault_errno %s", what, nvsvm_error_name(ret), r->converted,
          r->fault_addr - (uintptr_t)base,
          nvsvm_error_name(r->fault_errno));
}

/* ------------------------------------------------------------ scenarios */

#define NPAGES 64u
#define LANES 4u

/*
 * Prefault 64 pages, then two launches of one device atomic per page:
 * neither takes a device fault or a conversion, totals are exact.
 */
TEST_F(vsvm, prefaulted_range_takes_no_device_faults)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_atomic_fault_report rep;
   struct nvsvm_lane_result results[LANES];
   struct nvsvm_counters c;
   struct nvsvm_exec e;
   uint64_t *mem = NULL;
   int ret;

   mem = vt_map(NPAGES);
   ASSERT_TRUE(mem);

   ASSERT_OK(nvsvm_device_counters(dev, true, NULL, NULL));
   ret = nvsvm_atomic_range_fault(dev, mem, NPAGES * VT_PAGE, &rep);
   note_report("prefault", &rep, ret, mem);
   ASSERT_OK(ret);
   ASSERT_EQ(rep.converted, NPAGES);
   ASSERT_EQ(rep.fault_addr, (uintptr_t)mem + NPAGES * VT_PAGE);
   ASSERT_EQ(rep.fault_errno, 0);
   ASSERT_OK(nvsvm_device_counters(dev, true, &c, NULL));
   ASSERT_EQ(c.conversions, NPAGES);
   ASSERT_EQ(c.faults_atomic, 0);
   for (unsigned i = 0; i < NPAGES; i++) {
      if (!nvsvm_pm_swapped((char *)mem + i * VT_PAGE))
         FAIL("page %u is not device-exclusive in pagemap", i);
   }

   for (unsigned run = 0; run < 2; run++) {
      ret = add_once_per_page(dev, mem, NPAGES, LANES, &e, results);
      vt_report_exec(run ? "second launch" : "first launch", &e, ret);
      ASSERT_OK(ret);
      ASSERT_EQ(e.delta.faults_atomic, 0);
      ASSERT_EQ(e.delta.conversions, 0);
      ASSERT_EQ(e.delta.device_ops, NPAGES);
   }
   /* The CPU reads now (and takes each page back): exact totals. */
   for (unsigned i = 0; i < NPAGES; i++)
      ASSERT_EQ(mem[i * (VT_PAGE / 8)], 2);
}

/*
 * Eight pages; page 4 is replaced by a page that cannot be made
 * device-exclusive. The call stops there with its address and errno;
 * pages 0-3 are exclusive, 4-7 are still the CPU's.
 */
static void
refused_page_check(struct nvsvm_device *dev, int prot, int flags,
                   int want_errno)
{
   struct nvsvm_atomic_fault_report rep;
   struct nvsvm_counters c;
   char *mem = NULL;
   void *bad;
   int ret;

   mem = vt_map(8);
   ASSERT_TRUE(mem);
   bad = mmap(mem + 4 * VT_PAGE, VT_PAGE, prot, flags | MAP_FIXED, -1, 0);
   ASSERT_TRUE(bad == mem + 4 * VT_PAGE);
   if (prot & PROT_WRITE)
      memset(bad, 0, VT_PAGE);
   else
      ASSERT_EQ(*(volatile char *)bad, 0);   /* mapped, read-only */

   ASSERT_OK(nvsvm_device_counters(dev, true, NULL, NULL));
   ret = nvsvm_atomic_range_fault(dev, mem, 8 * VT_PAGE, &rep);
   note_report("refused page 4", &rep, ret, mem);
   ASSERT_RET(ret, -NVSVM_E_ATOMIC_FAULT_STOPPED);
   ASSERT_EQ(rep.converted, 4);
   ASSERT_EQ(rep.fault_addr, (uintptr_t)bad);
   ASSERT_RET(rep.fault_errno, want_errno);
   ASSERT_OK(nvsvm_device_counters(dev, false, &c, NULL));
   ASSERT_EQ(c.conversions, 4);
   for (unsigned i = 0; i < 8; i++) {
      char *p = mem + i * VT_PAGE;

      if (i < 4 && !nvsvm_pm_swapped(p))
         FAIL("page %u before the refused one is not exclusive", i);
      if (i >= 4 && (nvsvm_pm_swapped(p) || !nvsvm_pm_present(p)))
         FAIL("page %u at or after the refused one was touched", i);
   }
}

TEST_F(vsvm, shared_page_stops_with_eopnotsupp)
{
   refused_page_check(self->dev, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -EOPNOTSUPP);
}

TEST_F(vsvm, read_only_page_stops_with_efault)
{
   refused_page_check(self->dev, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
                      -EFAULT);
}

/*
 * A CPU write takes a prefaulted page back: the next device atomic
 * faults and converts it again, and both writes count.
 */
TEST_F(vsvm, cpu_touch_revokes_prefault)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_atomic_fault_report rep;
   struct nvsvm_lane_result results[1];
   struct nvsvm_exec e;
   volatile uint64_t *mem = NULL;
   int ret;

   mem = vt_map(2);
   ASSERT_TRUE(mem);
   ASSERT_OK(nvsvm_atomic_range_fault(dev, (void *)mem, 2 * VT_PAGE, &rep));
   ASSERT_TRUE(nvsvm_pm_swapped((void *)mem));
   mem[0] = 40;   /* CPU write: revokes page 0 only */
   ASSERT_TRUE(nvsvm_pm_present((void *)mem));
   ASSERT_TRUE(nvsvm_pm_swapped((char *)mem + VT_PAGE));

   ret = add_once_per_page(dev, (void *)mem, 2, 1, &e, results);
   vt_report_exec("launch after a CPU write", &e, ret);
   ASSERT_OK(ret);
   ASSERT_EQ(e.delta.faults_atomic, 1);
   ASSERT_EQ(e.delta.conversions, 1);
   ASSERT_EQ(mem[0], 41);
   ASSERT_EQ(mem[VT_PAGE / 8], 1);
}

/* Every malformed request is -EINVAL and converts nothing. */
TEST_F(vsvm_dev, malformed_requests_are_einval)
{
   struct nvsvm_device *dev = self->dev;
   struct drm_nouveau_svm_bind b;
   struct nvsvm_counters c;
   char path[64];
   char *mem = NULL;
   int fd = -1, status;
   pid_t pid;

   mem = vt_map(16);
   ASSERT_TRUE(mem);
   /* Our own file: window = pages 8-11 of mem. */
   ASSERT_TRUE(vt_find_node(path, sizeof(path)));
   fd = open(path, O_RDWR | O_CLOEXEC);
   ASSERT_TRUE(fd >= 0);
   DEFER_CLOSE(fd);

   b = atomic_bind(mem, 4 * VT_PAGE);
   ASSERT_RET(raw_atomic(fd, &b), -EINVAL);   /* no SVM_INIT */
   {
      struct drm_nouveau_svm_init init = {
         .unmanaged_addr = (uintptr_t)mem + 8 * VT_PAGE,
         .unmanaged_size = 4 * VT_PAGE,
      };
      ASSERT_OK(drmCommandWriteRead(fd, DRM_NOUVEAU_SVM_INIT, &init,
                                    sizeof(init)));
   }

#define EXPECT_EINVAL(what, mutate)                                    \
   do {                                                                \
      b = atomic_bind(mem, 4 * VT_PAGE);                               \
      mutate;                                                          \
      if (raw_atomic(fd, &b) != -EINVAL)                               \
         FAIL("%s: not EINVAL", what);                                 \
      TH_LOG("%s: EINVAL", what);                                      \
   } while (0)

   EXPECT_EINVAL("header bit 48", b.header |= 1ull << 48);
   EXPECT_EINVAL("header bit 63", b.header |= 1ull << 63);
   EXPECT_EINVAL("target GPU_VRAM",
                 b.header |= (uint64_t)NOUVEAU_SVM_BIND_TARGET__GPU_VRAM
                             << NOUVEAU_SVM_BIND_TARGET_SHIFT);
   EXPECT_EINVAL("priority 1",
                 b.header |= 1ull << NOUVEAU_SVM_BIND_PRIORITY_SHIFT);
   EXPECT_EINVAL("npages", b.npages = 4);
   EXPECT_EINVAL("stride", b.stride = VT_PAGE);
   EXPECT_EINVAL("reserved0 (fault_addr) on input", b.reserved0 = 1);
   EXPECT_EINVAL("reserved1 (fault_errno) on input", b.reserved1 = 1);
   EXPECT_EINVAL("empty range", b.va_end = b.va_start);
   EXPECT_EINVAL("window overlap (last page)",
                 b.va_end = (uintptr_t)mem + 9 * VT_PAGE);
   EXPECT_EINVAL("window overlap (inside)",
                 (b.va_start = (uintptr_t)mem + 9 * VT_PAGE,
                  b.va_end = (uintptr_t)mem + 10 * VT_PAGE));
   /* Past 5-level paging's 56-bit TASK_SIZE too (the 7.2 VM has LA57). */
   EXPECT_EINVAL("beyond TASK_SIZE",
                 (b.va_start = (1ull << 57) - VT_PAGE,
                  b.va_end = (1ull << 57) + VT_PAGE));
#undef EXPECT_EINVAL

   /* A forked child is another mm: -EINVAL there, nothing converted. */
   pid = fork();
   ASSERT_TRUE(pid >= 0);
   if (pid == 0) {
      b = atomic_bind(mem, 4 * VT_PAGE);
      _exit(raw_atomic(fd, &b) == -EINVAL ? 0 : 1);
   }
   ASSERT_EQ(waitpid(pid, &status, 0), pid);
   if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      FAIL("foreign mm: child did not get EINVAL (status 0x%x)", status);
   TH_LOG("foreign mm (forked child): EINVAL");

   /* The same request, valid: 0, all converted, outputs written back. */
   b = atomic_bind(mem + 1, 4 * VT_PAGE - 1);
   ASSERT_OK(raw_atomic(fd, &b));
   ASSERT_EQ(b.va_start, (uintptr_t)mem);
   ASSERT_EQ(b.va_end, (uintptr_t)mem + 4 * VT_PAGE);
   ASSERT_EQ(b.result, 4);
   ASSERT_EQ(b.reserved0, (uintptr_t)mem + 4 * VT_PAGE);
   ASSERT_EQ(b.reserved1, 0);
   /* Up to the window's first page is fine too. */
   b = atomic_bind(mem + 4 * VT_PAGE, 4 * VT_PAGE);
   ASSERT_OK(raw_atomic(fd, &b));
   ASSERT_EQ(b.result, 4);

   /* The library's file saw nothing of this. */
   ASSERT_OK(nvsvm_device_counters(dev, false, &c, NULL));
   ASSERT_EQ(c.conversions, 0);
}

/*
 * With every page's fault slowed to 300 ms, a 16-page call stops at the
 * 1000 ms deadline with -ETIMEDOUT, a consistent report, and returns in
 * well under the time 16 pages would take; resuming at fault_addr
 * finishes the range.
 */
#define SLOW_US 300000ul

TEST_F(vsvm, whole_call_is_bounded)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_atomic_fault_report rep, rest;
   unsigned long old = 0;
   char *mem = NULL;
   double t0, dt;
   int ret;

   mem = vt_map(16);
   ASSERT_TRUE(mem);
   if (vt_knob_get("fault_delay_us", &old) != 0)
      SKIP("vsvm fault_delay_us knob not readable");
   /* Until the teardown, or the explicit restore below. */
   ret = vt_knob_override(&self->held, "fault_delay_us", SLOW_US);
   if (ret)
      SKIP("cannot set vsvm fault_delay_us (%s): needs root",
           nvsvm_error_name(ret));

   t0 = vt_now();
   ret = nvsvm_atomic_range_fault(dev, mem, 16 * VT_PAGE, &rep);
   dt = vt_now() - t0;
   note_report("slow pages", &rep, ret, mem);
   TH_LOG("call returned after %.0f ms", dt * 1e3);
   ASSERT_RET(ret, -NVSVM_E_ATOMIC_FAULT_STOPPED);
   ASSERT_RET(rep.fault_errno, -ETIMEDOUT);
   ASSERT_GE(rep.converted, 1);
   ASSERT_LT(rep.converted, 16);
   ASSERT_EQ(rep.fault_addr,
             (uintptr_t)mem + rep.converted * VT_PAGE);
   /* Deadline 1 s + one page in flight (0.3 s) + scheduling slack. */
   ASSERT_TRUE(dt < 3.0);

   ASSERT_OK(vt_knob_set("fault_delay_us", old));
   ret = nvsvm_atomic_range_fault(dev, (void *)(uintptr_t)rep.fault_addr,
                                  rep.end - rep.fault_addr, &rest);
   note_report("resumed", &rest, ret, mem);
   ASSERT_OK(ret);
   ASSERT_EQ(rep.converted + rest.converted, 16);
   for (unsigned i = 0; i < 16; i++)
      ASSERT_TRUE(nvsvm_pm_swapped(mem + i * VT_PAGE));
}

/*
 * The module answering as a kernel without the command: the library
 * names it "not supported", and nothing was converted.
 */
TEST_F(vsvm, kernel_without_command_is_not_supported)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_atomic_fault_report rep;
   struct nvsvm_counters c;
   char *mem = NULL;
   int ret;

   mem = vt_map(4);
   ASSERT_TRUE(mem);
   /* Until the teardown, or the explicit restore below. */
   ret = vt_knob_override(&self->held, "atomic_fault_cmd", 0);
   if (ret)
      SKIP("cannot set vsvm atomic_fault_cmd (%s): needs root",
           nvsvm_error_name(ret));

   ASSERT_OK(nvsvm_device_counters(dev, true, NULL, NULL));
   ret = nvsvm_atomic_range_fault(dev, mem, 4 * VT_PAGE, &rep);
   TH_LOG("without the command: %s: %s", nvsvm_error_name(ret),
          nvsvm_strerror(ret));
   ASSERT_RET(ret, -NVSVM_E_ATOMIC_FAULT_UNSUPPORTED);
   ASSERT_EQ(rep.converted, 0);
   ASSERT_OK(nvsvm_device_counters(dev, false, &c, NULL));
   ASSERT_EQ(c.conversions, 0);

   ASSERT_OK(vt_knob_set("atomic_fault_cmd", 1));
   ASSERT_OK(nvsvm_atomic_range_fault(dev, mem, 4 * VT_PAGE, &rep));
   ASSERT_EQ(rep.converted, 4);

   /* Refused before the kernel: no SVM_INIT, or inside the window. */
   nvsvm_device_close(self->dev);
   self->dev = NULL;
   dev = vt_open_more(&self->held, false);
   ASSERT_RET(nvsvm_atomic_range_fault(dev, mem, VT_PAGE, &rep),
              -NVSVM_E_NO_SVM);
   ASSERT_RET(nvsvm_atomic_range_fault(dev, mem, 0, &rep),
              -NVSVM_E_BIND_EMPTY);
}

/*
 * The hmm test device's equivalent (EXCLUSIVE page by page): the same
 * report, stopping at a MAP_SHARED page, nothing after it converted.
 */
TEST(hmm_backend_gives_the_same_report)
{
   struct nvsvm_device *dev = NULL;
   struct nvsvm_atomic_fault_report rep;
   char *mem = NULL;
   void *bad;
   int ret;

   if (access("/dev/hmm_dmirror0", R_OK | W_OK) != 0)
      SKIP("no /dev/hmm_dmirror0: kernel lacks CONFIG_TEST_HMM");
   ret = nvsvm_device_open("/dev/hmm_dmirror0", &dev);
   if (ret)
      FAIL("open hmm_dmirror0: %s", nvsvm_error_name(ret));
   HARNESS_DEFER(vt_close_deferred, dev, 0);
   mem = vt_map(8);
   ASSERT_TRUE(mem);
   ASSERT_OK(nvsvm_atomic_range_fault(dev, mem, 4 * VT_PAGE, &rep));
   ASSERT_EQ(rep.converted, 4);
   for (unsigned i = 0; i < 4; i++)
      ASSERT_TRUE(nvsvm_pm_swapped(mem + i * VT_PAGE));

   bad = mmap(mem + 6 * VT_PAGE, VT_PAGE, PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
   ASSERT_TRUE(bad == mem + 6 * VT_PAGE);
   memset(bad, 0, VT_PAGE);
   ret = nvsvm_atomic_range_fault(dev, mem + 4 * VT_PAGE, 4 * VT_PAGE, &rep);
   note_report("hmm, shared page 6", &rep, ret, mem);
   ASSERT_RET(ret, -NVSVM_E_ATOMIC_FAULT_STOPPED);
   ASSERT_EQ(rep.converted, 2);
   ASSERT_EQ(rep.fault_addr, (uintptr_t)bad);
   ASSERT_TRUE(rep.fault_errno < 0);
   ASSERT_TRUE(nvsvm_pm_swapped(mem + 5 * VT_PAGE));
   ASSERT_TRUE(!nvsvm_pm_swapped(mem + 7 * VT_PAGE));
}

/* ------------------------------------------------------------ benchmark */

#define BENCH_ROUNDS 5u

static int
cmp_dbl(const void *a, const void *b)
{
   double x = *(const double *)a, y = *(const double *)b;

   return (x > y) - (x < y);
}

/*
 * The prefault as a driver makes it: the call is time-bounded, so after
 * a stop with -ETIMEDOUT it resumes at fault_addr (nvsvm.h), at most 64
 * times. Any other stop ends it. *resumes counts the resumptions.
 */
static int
prefault_resuming(struct nvsvm_device *dev, void *p, size_t len,
                  struct nvsvm_atomic_fault_report *rep, uint64_t *converted,
                  unsigned *resumes)
{
   char *cur = p, *end = (char *)p + len;
   int ret;

   *converted = 0;
   for (unsigned i = 0;; i++) {
      ret = nvsvm_atomic_range_fault(dev, cur, end - cur, rep);
      *converted += rep->converted;
      if (ret != -NVSVM_E_ATOMIC_FAULT_STOPPED ||
          rep->fault_errno != -ETIMEDOUT || i == 64)
         return ret;
      cur = (char *)(uintptr_t)rep->fault_addr;
      (*resumes)++;
   }
}

/*
 * First launch over N fresh pages (one device atomic add per page, one
 * lane), BENCH_ROUNDS times each way, alternating: without the prefault
 * every page is a device fault at launch; with it the prefault converts
 * them ahead and the launch takes none. Prints the medians and ratios;
 * NVSVM_VT_PREFAULT_PAGES sets N (default 1024).
 */
static void
bench_round_trip(struct nvsvm_device *dev, size_t n, unsigned long window)
{
   struct nvsvm_atomic_fault_report rep;
   struct nvsvm_lane_result results[1];
   struct nvsvm_exec e;
   double without[BENCH_ROUNDS], pre[BENCH_ROUNDS], with[BENCH_ROUNDS];
   double both[BENCH_ROUNDS];
   uint64_t faults_without = 0, faults_with = 0;
   unsigned resumes = 0;
   uint64_t *a = NULL;
   double t0;
   int ret;

   for (unsigned r = 0; r < BENCH_ROUNDS; r++) {
      for (unsigned way = 0; way < 2; way++) {
         /* Not vt_map(): unmapped here, each round; guarded till then. */
         a = mmap(NULL, n * VT_PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
         ASSERT_TRUE(a != MAP_FAILED);
         harness_guard(harness_do_munmap, a, n * VT_PAGE);
         madvise(a, n * VT_PAGE, MADV_NOHUGEPAGE);
         t0 = vt_now();
         if (way) {
            uint64_t converted;

            ret = prefault_resuming(dev, a, n * VT_PAGE, &rep, &converted,
                                    &resumes);
            if (ret)
               note_report("prefault", &rep, ret, a);
            ASSERT_OK(ret);
            ASSERT_EQ(converted, n);
            pre[r] = (vt_now() - t0) * 1e3;
         }
         ret = add_once_per_page(dev, a, n, 1, &e, results);
         if (r == 0)
            vt_report_exec(way ? "with prefault" : "without prefault", &e,
                           ret);
         ASSERT_OK(ret);
         if (way) {
            with[r] = e.elapsed_ns / 1e6;
            both[r] = (vt_now() - t0) * 1e3;
            faults_with += e.delta.faults_atomic;
            ASSERT_EQ(e.delta.faults_atomic, 0);
         } else {
            without[r] = e.elapsed_ns / 1e6;
            faults_without += e.delta.faults_atomic;
            ASSERT_EQ(e.delta.faults_atomic, n);
         }
         for (size_t i = 0; i < n; i++)
            ASSERT_EQ(a[i * (VT_PAGE / 8)], 1);
         harness_unguard(a);
         munmap(a, n * VT_PAGE);
         a = NULL;
      }
   }
   qsort(without, BENCH_ROUNDS, sizeof(double), cmp_dbl);
   qsort(pre, BENCH_ROUNDS, sizeof(double), cmp_dbl);
   qsort(with, BENCH_ROUNDS, sizeof(double), cmp_dbl);
   qsort(both, BENCH_ROUNDS, sizeof(double), cmp_dbl);
#define MED(x) ((x)[BENCH_ROUNDS / 2])
   TH_LOG("bench prefault N=%zu pages, rmw_window_ns %lu, %u rounds, "
          "medians: without: "
          "%" PRIu64 " device faults/launch, first launch %.2f ms; "
          "with: prefault %.2f ms, first launch %" PRIu64
          " device faults, %.2f ms (prefault + launch %.2f ms); "
          "launch ratio %.2fx, end-to-end ratio %.2fx; prefault resumed "
          "after its time bound %u times",
          n, window, BENCH_ROUNDS, faults_without / BENCH_ROUNDS, MED(without),
          MED(pre), faults_with / BENCH_ROUNDS, MED(with), MED(both),
          MED(without) / (MED(with) > 0 ? MED(with) : 1e-3),
          MED(without) / (MED(both) > 0 ? MED(both) : 1e-3), resumes);
#undef MED
}

/*
 * Once with the module's device atomic window (rmw_window_ns, part of
 * every device op) and, where it can be set, once without it, so that
 * the fault cost is not hidden behind the op cost.
 */
TEST_F(vsvm, bench_first_launch_with_and_without_prefault)
{
   const char *env = getenv("NVSVM_VT_PREFAULT_PAGES");
   size_t n = env ? strtoul(env, NULL, 0) : 1024;
   unsigned long window = 0;

   if (n < 1 || n > 65536)
      n = 1024;
   if (vt_knob_get("rmw_window_ns", &window) != 0)
      window = 0;
   bench_round_trip(self->dev, n, window);
   /* The teardown puts the window back. */
   if (window == 0 ||
       vt_knob_override(&self->held, "rmw_window_ns", 0) != 0)
      return;
   bench_round_trip(vt_open_more(&self->held, true), n, 0);
}

TEST_HARNESS_MAIN
