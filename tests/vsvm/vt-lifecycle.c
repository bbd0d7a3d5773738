/* SPDX-License-Identifier: MIT */
/*
 * vsvm scenarios: the address space changes under a running device —
 * fork, mprotect, munmap, close, process exit — while it holds pages
 * (device-exclusive or in device memory). Nothing may oops, hang or
 * leak (the VM suite unloads the module afterwards), and what the device
 * did before the change must be counted exactly.
 */

#include <signal.h>
#include <sys/wait.h>

#include "vt_common.h"

#define LONG_ITERS 1000000000ull
#define WAIT_S 20.0

/* Wait until *word reaches at least min, or the deadline / EXEC end. */
static bool
wait_progress(const volatile uint64_t *word, uint64_t min,
              const struct vt_async_exec *run)
{
   double deadline = vt_now() + WAIT_S;

   while (__atomic_load_n(word, __ATOMIC_ACQUIRE) < min) {
      if (vt_exec_done(run) || vt_now() > deadline)
         return false;
      usleep(1000);
   }
   return true;
}

/* A long EXEC: lanes add 1 to *word until something stops them. */
static void
long_adds(struct nvsvm_exec *e, struct nvsvm_exec_op *op,
          struct nvsvm_lane_result *r, unsigned lanes,
          const volatile uint64_t *word)
{
   *op = vt_op(NVSVM_EXEC_ADD, word, 0, 1);
   memset(e, 0, sizeof(*e));
   e->ops = op;
   e->nops = 1;
   e->lanes = lanes;
   e->iterations = LONG_ITERS;
   e->timeout_ms = (unsigned)(WAIT_S * 1000);
   e->results = r;
}

/* Wait for a child, bounded; its exit status or -1 (and kill it). */
static int
reap(pid_t pid, double limit_s)
{
   double deadline = vt_now() + limit_s;
   int status;

   for (;;) {
      pid_t r = waitpid(pid, &status, WNOHANG);

      if (r == pid)
         return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
      if (r < 0 || vt_now() > deadline) {
         kill(pid, SIGKILL);
         waitpid(pid, &status, 0);
         return -1;
      }
      usleep(2000);
   }
}

/*
 * Children fork off and write their copy of the page while lanes and
 * the parent keep adding to it: the parent's count stays exact.
 */
TEST_F(vsvm, fork_while_device_adds_keeps_parent_exact)
{
   struct nvsvm_device *dev = self->dev;
   uint64_t *page = NULL, cpu_adds = 0, dev_ops = 0;
   struct nvsvm_lane_result r[2];
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   struct vt_async_exec run;
   unsigned forks = 0, fork_failed = 0;
   int ret;

   page = vt_map(1);
   ASSERT_TRUE(page);
   long_adds(&e, &op, r, 2, page);
   e.iterations = 20000;
   ASSERT_OK(vt_exec_start(&run, dev, &e));

   while (!vt_exec_done(&run)) {
      pid_t pid;

      __atomic_fetch_add(page, 1, __ATOMIC_SEQ_CST);
      cpu_adds++;
      if (forks >= 10 || (cpu_adds % 2000) != 0)
         continue;
      /*
       * fork() fails when it meets a device-exclusive entry whose page
       * a device fault holds locked: copy_pte_range() cannot restore it
       * (-EBUSY) and copy_pmd_range() reports that as -ENOMEM. A kernel
       * behaviour (nouveau's fault path holds the lock the same way):
       * counted, then retried.
       */
      for (unsigned tries = 0;; tries++) {
         pid = fork();
         if (pid >= 0 || errno != ENOMEM || tries == 1000)
            break;
         fork_failed++;
      }
      if (pid < 0)
         FAIL("fork: %s (%u ENOMEM before)", strerror(errno),
              fork_failed);
      if (pid == 0) {
         /* The child's copy: its own page now, touched and dropped. */
         page[0] += 1000000;
         _exit(page[1] == 0 ? 0 : 1);
      }
      ASSERT_EQ(reap(pid, WAIT_S), 0);
      forks++;
   }
   ret = vt_exec_join(&run);
   vt_report_exec("fork", &e, ret);
   ASSERT_OK(ret);
   for (unsigned l = 0; l < 2; l++)
      dev_ops += r[l].ops;
   TH_LOG("%u forks during the run (%u fork attempts failed with "
          "ENOMEM); device %" PRIu64 " + cpu %" PRIu64 " adds, counter %"
          PRIu64, forks, fork_failed, dev_ops, cpu_adds, page[0]);
   ASSERT_GT(forks, 0);
   ASSERT_EQ(dev_ops, 2 * e.iterations);
   ASSERT_EQ(page[0], dev_ops + cpu_adds);
}

/*
 * mprotect(PROT_READ) under a device adding: the next atomic fault finds
 * no writable mapping and the channel dies (-EFAULT). Every add it made
 * is in memory; after PROT_WRITE comes back a new EXEC works.
 */
TEST_F(vsvm, mprotect_read_only_kills_channel_and_count_is_exact)
{
   struct nvsvm_device *dev = self->dev;
   uint64_t *page = NULL;
   struct nvsvm_lane_result r;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   struct vt_async_exec run;
   uint64_t killed_after;
   int ret;

   page = vt_map(1);
   ASSERT_TRUE(page);
   long_adds(&e, &op, &r, 1, page);
   ASSERT_OK(vt_exec_start(&run, dev, &e));
   ASSERT_TRUE(wait_progress(page, 1000, &run));
   ASSERT_EQ(mprotect(page, VT_PAGE, PROT_READ), 0);
   ret = vt_exec_join(&run);
   vt_report_exec("mprotect", &e, ret);
   ASSERT_RET(ret, -EIO);
   ASSERT_RET(e.fault_status, -EFAULT);
   ASSERT_EQ(e.fault_addr, (uintptr_t)page);
   ASSERT_EQ(page[0], r.ops);
   killed_after = r.ops;

   ASSERT_EQ(mprotect(page, VT_PAGE, PROT_READ | PROT_WRITE), 0);
   e.iterations = 10;
   ASSERT_OK(nvsvm_device_exec(dev, &e));
   ASSERT_EQ(r.ops, 10);
   ASSERT_EQ(page[0], killed_after + 10);
   TH_LOG("killed after %" PRIu64 " adds, all in memory; after "
          "PROT_WRITE a new channel added %" PRIu64, killed_after,
          r.ops);
}

/*
 * munmap of a page the device holds (its entry installed, lanes adding
 * through it): the channel dies, the process lives. The CPU's last read
 * took the page back, so the scenario waits for the device to convert it
 * again before unmapping; an entry that survived the unmap would let the
 * lanes go on adding to a page the process no longer has.
 */
TEST_F(vsvm, munmap_kills_channel_cleanly)
{
   struct nvsvm_device *dev = self->dev, *watch;
   struct nvsvm_counters c0, c;
   uint64_t *pages = NULL, seen;
   struct nvsvm_lane_result r[2];
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   struct vt_async_exec run;
   double deadline;
   int ret;

   watch = vt_open_more(&self->held, false);
   pages = vt_map(2);
   ASSERT_TRUE(pages);
   long_adds(&e, &op, r, 2, pages);
   ASSERT_OK(vt_exec_start(&run, dev, &e));
   ASSERT_TRUE(wait_progress(pages, 1000, &run));
   ASSERT_OK(nvsvm_device_counters(watch, false, NULL, &c0));
   seen = pages[0];
   /* That read took the page back: wait until the device has it again. */
   deadline = vt_now() + WAIT_S;
   do {
      if (vt_exec_done(&run) || vt_now() > deadline)
         FAIL("the device never converted the page back");
      usleep(1000);
      ASSERT_OK(nvsvm_device_counters(watch, false, NULL, &c));
   } while (c.conversions == c0.conversions);
   usleep(20000);   /* its entry installed, lanes adding through it */
   ASSERT_EQ(munmap(pages, VT_PAGE), 0);
   ret = vt_exec_join(&run);
   vt_report_exec("munmap", &e, ret);
   ASSERT_RET(ret, -EIO);
   ASSERT_RET(e.fault_status, -EFAULT);
   ASSERT_GE(r[0].ops + r[1].ops, seen);
   /* The neighbour page is untouched and still ours. */
   ASSERT_EQ(pages[VT_PAGE / 8], 0);
   TH_LOG("channel died after %" PRIu64 " adds; the process goes on",
          r[0].ops + r[1].ops);
}

/*
 * mprotect(PROT_READ) while the device's first atomic fault holds the
 * page it has just made exclusive but has not mapped yet (fault_delay_us
 * holds it there): the fault must see the notifier sequence move and
 * retry, find no writable mapping, and kill the channel. A fault that
 * skipped the check would map a read-only page for atomics and keep
 * adding to it.
 */
TEST_F(vsvm, mprotect_during_atomic_fault_is_seen)
{
   struct nvsvm_device *dev = self->dev, *watch;
   struct nvsvm_counters d0, d;
   uint64_t *page = NULL;
   struct nvsvm_lane_result r;
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   struct vt_async_exec run;
   double deadline;
   int ret;

   watch = vt_open_more(&self->held, false);
   ret = vt_knob_get("fault_delay_us", &(unsigned long){ 0 });
   if (ret)
      SKIP("vsvm has no fault_delay_us parameter (%s)", strerror(-ret));
   /* The teardown puts the old delay back. */
   ret = vt_knob_override(&self->held, "fault_delay_us", 200000);
   if (ret)
      SKIP("cannot set " VT_KNOB_DIR "fault_delay_us: %s (needs root)",
           strerror(-ret));
   page = vt_map(1);
   ASSERT_TRUE(page);
   long_adds(&e, &op, &r, 1, page);
   e.iterations = 2000;
   ASSERT_OK(nvsvm_device_counters(watch, false, NULL, &d0));
   ASSERT_OK(vt_exec_start(&run, dev, &e));

   /* The conversion is counted before the delay: now it holds the page. */
   deadline = vt_now() + WAIT_S;
   for (;;) {
      ASSERT_OK(nvsvm_device_counters(watch, false, NULL, &d));
      if (d.conversions > d0.conversions)
         break;
      if (vt_exec_done(&run) || vt_now() > deadline)
         FAIL("the device's first atomic fault never converted");
      usleep(500);
   }
   ASSERT_EQ(mprotect(page, VT_PAGE, PROT_READ), 0);
   ret = vt_exec_join(&run);
   vt_report_exec("mprotect in fault", &e, ret);
   TH_LOG("after mprotect: device adds %" PRIu64 ", word %" PRIu64,
          r.ops, page[0]);
   ASSERT_RET(ret, -EIO);
   ASSERT_RET(e.fault_status, -EFAULT);
   ASSERT_GE(e.delta.notifier_retries, 1);
   ASSERT_EQ(r.ops, 0);
   ASSERT_EQ(page[0], 0);
}

/*
 * Closing the device with pages still in device memory: they stay the
 * process's memory, and the CPU faults them back intact afterwards.
 */
TEST_F(vsvm, close_with_pages_in_device_memory_keeps_data)
{
   struct nvsvm_device *dev = self->dev, *watch;
   struct nvsvm_counters d0, d1;
   const unsigned n = 8;
   uint64_t *buf = NULL;

   watch = vt_open_more(&self->held, false);
   buf = vt_map(n);
   ASSERT_TRUE(buf);
   for (unsigned i = 0; i < n * VT_PAGE / 8; i++)
      buf[i] = ~(uint64_t)i;
   ASSERT_OK(nvsvm_migrate_to_device(dev, buf, n * VT_PAGE, NULL));
   nvsvm_device_close(self->dev);
   self->dev = NULL;

   ASSERT_OK(nvsvm_device_counters(watch, false, NULL, &d0));
   for (unsigned i = 0; i < n * VT_PAGE / 8; i++) {
      if (buf[i] != ~(uint64_t)i)
         FAIL("word %u: 0x%" PRIx64 " after close", i, buf[i]);
   }
   ASSERT_OK(nvsvm_device_counters(watch, false, NULL, &d1));
   ASSERT_EQ(d1.migrate_to_ram - d0.migrate_to_ram, n);
}

/* The child: device memory held, lanes running, then exit at once. */
static void
exiting_child(void)
{
   struct nvsvm_device *dev;
   struct nvsvm_lane_result r[2];
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   struct vt_async_exec run;
   uint64_t *buf;

   if (vt_open(&dev, true) != 0)
      _exit(10);
   buf = vt_map(9);
   if (!buf)
      _exit(11);
   memset(buf + VT_PAGE / 8, 0x5a, 8 * VT_PAGE);
   if (nvsvm_migrate_to_device(dev, buf + VT_PAGE / 8, 8 * VT_PAGE, NULL))
      _exit(12);
   long_adds(&e, &op, r, 2, buf);
   if (vt_exec_start(&run, dev, &e))
      _exit(13);
   if (!wait_progress(buf, 1000, &run))
      _exit(14);
   /* exit_group: the EXEC thread is killed inside the ioctl. */
   _exit(0);
}

/*
 * A process exits while its lanes run and it holds device memory: the
 * exit completes promptly (the EXEC's wait is killable, lanes stop) and
 * the device memory is freed with the process.
 */
TEST_F(vsvm_dev, process_exit_during_exec_is_prompt_and_clean)
{
   struct nvsvm_device *watch;
   struct nvsvm_counters d0, d1;
   double t0;
   pid_t pid;
   int status;

   watch = self->dev;
   ASSERT_OK(nvsvm_device_counters(watch, false, NULL, &d0));
   t0 = vt_now();
   pid = fork();
   ASSERT_TRUE(pid >= 0);
   if (pid == 0)
      exiting_child();
   status = reap(pid, WAIT_S);
   ASSERT_OK(nvsvm_device_counters(watch, false, NULL, &d1));
   TH_LOG("child exited %d after %.2f s; device-wide: execs +%" PRIu64
          ", pages to device memory +%" PRIu64 ", kills +%" PRIu64,
          status, vt_now() - t0, d1.execs - d0.execs,
          d1.migrate_to_dev - d0.migrate_to_dev, d1.kills - d0.kills);
   ASSERT_EQ(status, 0);
   ASSERT_EQ(d1.migrate_to_dev - d0.migrate_to_dev, 8);
   ASSERT_EQ(d1.execs - d0.execs, 1);
   ASSERT_EQ(d1.kills - d0.kills, 0);
}

TEST_HARNESS_MAIN
