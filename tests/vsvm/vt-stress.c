/* SPDX-License-Identifier: MIT */
/*
 * A randomized, seeded, bounded stress of the device-exclusive path.
 *
 * Device lanes (random programs of 64-bit adds over random words), CPU
 * threads (atomic adds on random words) and a chaos thread (mprotect,
 * MADV_PAGEOUT / MADV_COLD, fork with a child that writes its copy,
 * migration to device memory and back, process_vm_readv, munmap + mmap
 * and MADV_DONTNEED of a scratch page) all run at once on a few pages,
 * while the kernel's HMM test device (/dev/hmm_dmirror0, a second device
 * owner) takes random pages device-exclusive away from vsvm.
 *
 * Every add is accounted for: the CPU threads count theirs per word, and
 * each EXEC's lane results say how many adds each lane completed (a
 * channel the chaos thread kills stops them exactly there), so every
 * counter's final value is known. On the non-coherent vsvm (a device add
 * is a load, a window and a store) an exact total is evidence that the
 * page was device-exclusive for every device add.
 *
 * Reproducible from the seed it prints: NVSVM_STRESS_SEED=N. The time
 * budget is NVSVM_STRESS_S seconds (default 40); every wait is bounded.
 */

#include <fcntl.h>
#include <signal.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "vt_common.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define S_PAGES 4u          /* CPU + device counters: data-keeping chaos */
#define D_PAGES 2u          /* device-only counters: mprotect as well */
#define WORDS_PER_PAGE 8u   /* counters at 64-byte steps on each page */
#define NWORDS ((S_PAGES + D_PAGES) * WORDS_PER_PAGE)
#define CPU_THREADS 2u
#define MAX_LANES 4u
#define EXEC_TIMEOUT_MS 20000u
#define CHILD_LIMIT_S 20.0

struct stress {
   uint64_t seed;
   double end;
   uint64_t *mem;                  /* S_PAGES + D_PAGES pages */
   uint64_t *scratch;              /* one page, remapped by chaos */
   struct nvsvm_device *dev;
   volatile int stop;

   /* expected adds per word: device (driver thread), CPU (per thread) */
   uint64_t dev_adds[NWORDS];
   uint64_t cpu_adds[CPU_THREADS][NWORDS];

   struct nvsvm_device *hmm;       /* NULL: no HMM test device */
   uint64_t hmm_conversions, hmm_busy, hmm_enoent;

   /* what ran */
   uint64_t execs, execs_killed, execs_timed_out, device_adds;
   uint64_t execs_fault_bound;     /* killed by the 1000 ms fault bound */
   uint64_t chaos[10];
   uint64_t chaos_readv_mem;       /* of them through /proc/self/mem */
   uint64_t cpu_ops;
   char failure[256];
};

static const char *const chaos_names[10] = {
   "mprotect", "pageout", "cold", "fork", "migrate", "readv",
   "remap_scratch", "dontneed_scratch", "migrate_back", "sleep",
};

static uint64_t
rnd(uint64_t *s)
{
   /* splitmix64: small, seedable, good enough to pick actions. */
   uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

   z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
   z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
   return z ^ (z >> 31);
}

static uint64_t *
word_addr(struct stress *st, unsigned w)
{
   return &st->mem[(w / WORDS_PER_PAGE) * (VT_PAGE / 8) +
                   (w % WORDS_PER_PAGE) * 8];
}

static void
set_failure(struct stress *st, const char *what)
{
   if (!st->failure[0])
      snprintf(st->failure, sizeof(st->failure), "%s", what);
   __atomic_store_n(&st->stop, 1, __ATOMIC_RELEASE);
}

static bool
stopping(struct stress *st)
{
   return __atomic_load_n(&st->stop, __ATOMIC_ACQUIRE) || vt_now() > st->end;
}

/* ----------------------------------------------------------- CPU adds */

struct cpu_arg {
   struct stress *st;
   unsigned index;
};

static void *
cpu_main(void *p)
{
   struct cpu_arg *a = p;
   struct stress *st = a->st;
   uint64_t s = st->seed ^ (0x1000 + a->index);
   uint64_t n = 0;

   /* Only the S pages: the D pages may be read-only at any moment. */
   while (!stopping(st)) {
      unsigned w = rnd(&s) % (S_PAGES * WORDS_PER_PAGE);

      __atomic_fetch_add(word_addr(st, w), 1, __ATOMIC_SEQ_CST);
      st->cpu_adds[a->index][w]++;
      if ((++n & 63) == 0)
         sched_yield();
   }
   __atomic_fetch_add(&st->cpu_ops, n, __ATOMIC_RELAXED);
   return NULL;
}

/* ---------------------------------------------------------- the device */

/*
 * One random EXEC of adds. Layout A: lanes on successive words of one
 * page (64 bytes apart), every iteration on the same word. Layout B:
 * lanes on the same word of successive pages, iterations either on that
 * word or stepping a page further. Layout C (one round in six): the
 * scratch page, which chaos unmaps; its count is not checked. Each
 * lane's completed adds are credited to the words they hit.
 */
static int
device_round(struct stress *st, uint64_t *s)
{
   const unsigned pages = S_PAGES + D_PAGES;
   struct nvsvm_lane_result res[MAX_LANES];
   struct nvsvm_exec_op op;
   struct nvsvm_exec e;
   unsigned lanes = 1 + rnd(s) % MAX_LANES;
   uint64_t iters = 50 + rnd(s) % 2000;
   unsigned layout = rnd(s) % 6;
   unsigned base = 0, lane_step = 0, iter_step = 0;
   int ret;

   op = vt_op(NVSVM_EXEC_ADD, NULL, 0, 1);
   if (layout == 0) {
      op.addr = st->scratch;
      op.lane_stride = 64;
   } else if (layout <= 2) {
      unsigned page = rnd(s) % pages;

      base = page * WORDS_PER_PAGE + rnd(s) % (WORDS_PER_PAGE - lanes + 1);
      lane_step = 1;
      op.lane_stride = 64;
   } else {
      bool walk = rnd(s) % 2;

      if (walk && iters > pages - lanes + 1)
         iters = pages - lanes + 1;
      base = (rnd(s) % (pages - lanes + 1 - (walk ? iters - 1 : 0))) *
             WORDS_PER_PAGE + rnd(s) % WORDS_PER_PAGE;
      lane_step = WORDS_PER_PAGE;
      iter_step = walk ? WORDS_PER_PAGE : 0;
      op.lane_stride = VT_PAGE;
      op.iter_stride = walk ? VT_PAGE : 0;
   }
   if (layout != 0)
      op.addr = word_addr(st, base);

   memset(res, 0, sizeof(res));
   memset(&e, 0, sizeof(e));
   e.ops = &op;
   e.nops = 1;
   e.lanes = lanes;
   e.iterations = iters;
   e.timeout_ms = EXEC_TIMEOUT_MS;
   e.results = res;

   ret = nvsvm_device_exec(st->dev, &e);
   st->execs++;
   if (ret && ret != -EIO && ret != -ETIMEDOUT)
      return ret;
   /* What the lanes did counts whatever ended the channel. */
   for (unsigned l = 0; l < lanes; l++) {
      if (res[l].ops > iters)
         return -ERANGE;
      st->device_adds += res[l].ops;
      if (layout == 0)
         continue;
      for (uint64_t i = 0; i < res[l].ops; i++)
         st->dev_adds[base + l * lane_step + i * iter_step]++;
   }
   if (ret == -ETIMEDOUT)
      st->execs_timed_out++;
   if (ret != -EIO)
      return 0;
   /*
    * Chaos unmaps or write-protects (-EFAULT); or a fault ran into its
    * 1000 ms bound because the CPU threads, the HMM device and chaos kept
    * taking the page (-EBUSY): a bounded wait doing its job. Anything
    * else is a failure.
    */
   if (e.fault_status == -EFAULT) {
      st->execs_killed++;
      return 0;
   }
   if (e.fault_status == -EBUSY) {
      st->execs_fault_bound++;
      return 0;
   }
   TH_LOG("seed %" PRIu64 ": exec killed: %s", st->seed,
          nvsvm_exec_fault_str(e.fault_status));
   return -EPROTO;
}

static void *
device_main(void *p)
{
   struct stress *st = p;
   uint64_t s = st->seed ^ 0xd00d;

   while (!stopping(st)) {
      int ret = device_round(st, &s);

      if (ret) {
         char msg[128];

         snprintf(msg, sizeof(msg), "device round: %s",
                  nvsvm_error_name(ret));
         set_failure(st, msg);
      }
   }
   return NULL;
}

/* -------------------------------------------------------------- chaos */

static int
reap_bounded(pid_t pid)
{
   double deadline = vt_now() + CHILD_LIMIT_S;
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
      usleep(1000);
   }
}

static void
chaos_step(struct stress *st, uint64_t *s)
{
   uint64_t *dpages = st->mem + S_PAGES * (VT_PAGE / 8);
   unsigned pick = rnd(s) % 10, pg = rnd(s) % S_PAGES;
   void *page = st->mem + pg * (VT_PAGE / 8);
   char buf[VT_PAGE];
   char msg[160];

   st->chaos[pick]++;
   switch (pick) {
   case 0: /* device-only pages read-only for a moment: channels die */
      if (mprotect(dpages, D_PAGES * VT_PAGE, PROT_READ) ||
          (usleep(rnd(s) % 3000), 0) ||
          mprotect(dpages, D_PAGES * VT_PAGE, PROT_READ | PROT_WRITE)) {
         snprintf(msg, sizeof(msg), "mprotect: %s", strerror(errno));
         set_failure(st, msg);
      }
      break;
   case 1:
      madvise(page, VT_PAGE, MADV_PAGEOUT);   /* EINVAL on old kernels */
      break;
   case 2:
      madvise(page, VT_PAGE, MADV_COLD);
      break;
   case 3: {
      pid_t pid;

      for (unsigned tries = 0;; tries++) {
         pid = fork();
         /* ENOMEM: a device fault held the page locked (see vt-lifecycle). */
         if (pid >= 0 || errno != ENOMEM || tries == 1000)
            break;
      }
      if (pid < 0) {
         snprintf(msg, sizeof(msg), "fork: %s", strerror(errno));
         set_failure(st, msg);
         break;
      }
      if (pid == 0) {
         /* The child's copy: written and dropped, never the parent's. */
         ((volatile uint64_t *)page)[1] += 1000000007ull;
         _exit(0);
      }
      if (reap_bounded(pid) != 0)
         set_failure(st, "fork child did not exit 0 in time");
      break;
   }
   case 4:
   case 8: {
      unsigned n = 1 + rnd(s) % (S_PAGES - pg);
      int ret = pick == 4 ?
         nvsvm_migrate_to_device(st->dev, page, n * VT_PAGE, NULL) :
         nvsvm_migrate_to_host(st->dev, page, n * VT_PAGE, 0);

      /* Busy pages stay where they are: not an error of the device. */
      if (ret && ret != -EBUSY && ret != -EAGAIN) {
         snprintf(msg, sizeof(msg), "migrate %s: %s",
                  pick == 4 ? "to device" : "to host",
                  nvsvm_error_name(ret));
         set_failure(st, msg);
      }
      break;
   }
   case 5: {
      /*
       * Another reader of the page through the kernel (GUP on a remote
       * mm): process_vm_readv, or /proc/self/mem where the kernel has no
       * CONFIG_CROSS_MEMORY_ATTACH.
       */
      struct iovec local = { buf, VT_PAGE }, remote = { page, VT_PAGE };
      ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

      if (n < 0 && errno == ENOSYS) {
         int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);

         n = fd < 0 ? -1 : pread(fd, buf, VT_PAGE, (off_t)(uintptr_t)page);
         if (fd >= 0)
            close(fd);
         st->chaos_readv_mem++;
      }
      if (n != (ssize_t)VT_PAGE) {
         snprintf(msg, sizeof(msg), "reading the page remotely: %s",
                  n < 0 ? strerror(errno) : "short read");
         set_failure(st, msg);
      }
      break;
   }
   case 6: {
      /*
       * The scratch page goes away and comes back zeroed, same address.
       * Lanes may add to its words 0, 8, 16, 24 (a new page is theirs
       * too); word 1 is the CPU's alone.
       */
      void *p = st->scratch;

      ((volatile uint64_t *)p)[1] = 6;
      munmap(p, VT_PAGE);
      p = mmap(p, VT_PAGE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
      if (p != st->scratch) {
         snprintf(msg, sizeof(msg), "mmap scratch back: %s",
                  p == MAP_FAILED ? strerror(errno) : "moved");
         set_failure(st, msg);
         break;
      }
      madvise(p, VT_PAGE, MADV_NOHUGEPAGE);
      if (((volatile uint64_t *)p)[1] != 0)
         set_failure(st, "a fresh scratch page was not zero");
      break;
   }
   case 7:
      ((volatile uint64_t *)st->scratch)[1] = 7;
      madvise(st->scratch, VT_PAGE, MADV_DONTNEED);
      if (((volatile uint64_t *)st->scratch)[1] != 0)
         set_failure(st, "MADV_DONTNEED left the scratch page's data");
      break;
   default:
      usleep(rnd(s) % 2000);
      break;
   }
}

static void *
chaos_main(void *p)
{
   struct stress *st = p;
   uint64_t s = st->seed ^ 0xc4a05;

   while (!stopping(st))
      chaos_step(st, &s);
   return NULL;
}

/* -------------------------------------------------- the HMM test device */

static void *
hmm_main(void *p)
{
   struct stress *st = p;
   uint64_t s = st->seed ^ 0x4a4a;

   while (!stopping(st)) {
      unsigned pg = rnd(&s) % (S_PAGES + D_PAGES);
      int ret = nvsvm_device_atomic_fault(st->hmm,
                                          st->mem + pg * (VT_PAGE / 8),
                                          VT_PAGE, NULL);

      if (ret == 0) {
         st->hmm_conversions++;
      } else if (ret == -EBUSY || ret == -EAGAIN || ret == -EFAULT ||
                 ret == -EPERM || ret == -ENOENT) {
         /*
          * Refused: locked by a fault, a D page read-only for a moment,
          * or (-ENOENT, seen on 6.12) no page the HMM device could take.
          * Counted by errno; the totals say whether anything was lost.
          */
         st->hmm_busy++;
         if (ret == -ENOENT)
            st->hmm_enoent++;
      } else {
         char msg[128];

         snprintf(msg, sizeof(msg), "HMM device conversion: %s",
                  nvsvm_error_name(ret));
         set_failure(st, msg);
      }
      usleep(rnd(&s) % 2000);
   }
   return NULL;
}

/* -------------------------------------------------------------- the run */

static uint64_t
env_u64(const char *name, uint64_t def)
{
   const char *v = getenv(name);

   return v && *v ? strtoull(v, NULL, 0) : def;
}

/* NVSVM_STRESS_S (default 40 s) of budget, and the joins after it. */
TEST_F_TIMEOUT(vsvm, random_interleavings_keep_every_counter_exact, 60)
{
   struct stress *st = NULL;
   pthread_t cpu[CPU_THREADS], dev_thread, chaos, hmm_thread;
   struct cpu_arg args[CPU_THREADS];
   unsigned started_cpu = 0;
   bool dev_started = false, chaos_started = false, hmm_started = false;
   uint64_t budget, wrong = 0, cpu_total = 0;
   struct timespec ts;

   st = calloc(1, sizeof(*st));
   ASSERT_TRUE(st);
   DEFER_FREE(st);
   clock_gettime(CLOCK_REALTIME, &ts);
   st->seed = env_u64("NVSVM_STRESS_SEED",
                      (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec);
   budget = env_u64("NVSVM_STRESS_S", 40);
   TH_LOG("seed %" PRIu64 " (NVSVM_STRESS_SEED=%" PRIu64
          " reproduces the choices), budget %" PRIu64 " s",
          st->seed, st->seed, budget);
   fflush(stdout);

   st->dev = self->dev;
   st->mem = vt_map(S_PAGES + D_PAGES);
   st->scratch = vt_map(1);
   ASSERT_TRUE(st->mem && st->scratch);
   if (nvsvm_device_open("/dev/hmm_dmirror0", &st->hmm) != 0) {
      st->hmm = NULL;
      TH_LOG("no /dev/hmm_dmirror0: vsvm alone (CONFIG_TEST_HMM)");
   } else {
      HARNESS_DEFER(vt_close_deferred, st->hmm, 0);
   }
   st->end = vt_now() + (double)budget;

   for (; started_cpu < CPU_THREADS; started_cpu++) {
      args[started_cpu].st = st;
      args[started_cpu].index = started_cpu;
      if (pthread_create(&cpu[started_cpu], NULL, cpu_main,
                         &args[started_cpu]))
         break;
   }
   dev_started = !pthread_create(&dev_thread, NULL, device_main, st);
   chaos_started = !pthread_create(&chaos, NULL, chaos_main, st);
   if (st->hmm) {
      hmm_started = !pthread_create(&hmm_thread, NULL, hmm_main, st);
      if (!hmm_started)
         set_failure(st, "could not start the HMM device thread");
   }
   if (started_cpu < CPU_THREADS || !dev_started || !chaos_started)
      set_failure(st, "could not start every thread");

   /* Joins are bounded: each thread checks the deadline, each EXEC ends. */
   for (unsigned t = 0; t < started_cpu; t++)
      pthread_join(cpu[t], NULL);
   if (dev_started)
      pthread_join(dev_thread, NULL);
   if (chaos_started)
      pthread_join(chaos, NULL);
   if (hmm_started)
      pthread_join(hmm_thread, NULL);

   for (unsigned w = 0; w < NWORDS; w++) {
      uint64_t want = st->dev_adds[w];

      for (unsigned t = 0; t < CPU_THREADS; t++)
         want += st->cpu_adds[t][w];
      cpu_total += want - st->dev_adds[w];
      if (*word_addr(st, w) != want) {
         if (wrong++ < 5)
            printf("# word %u (page %u): %" PRIu64 ", adds made %" PRIu64
                   " (%" PRId64 " lost)\n", w, w / WORDS_PER_PAGE,
                   *word_addr(st, w), want,
                   (int64_t)(want - *word_addr(st, w)));
      }
   }
   TH_LOG("seed %" PRIu64 ": %" PRIu64 " execs (%" PRIu64 " killed by "
          "chaos, %" PRIu64 " by the fault bound, %" PRIu64 " timed "
          "out), device adds %" PRIu64 ", cpu adds %" PRIu64 "; %u "
          "counters checked, %" PRIu64 " wrong", st->seed, st->execs,
          st->execs_killed, st->execs_fault_bound, st->execs_timed_out,
          st->device_adds, cpu_total, NWORDS, wrong);
   TH_LOG("HMM test device: %" PRIu64 " pages taken exclusive, %"
          PRIu64 " refused (%" PRIu64 " of them ENOENT)",
          st->hmm_conversions, st->hmm_busy, st->hmm_enoent);
   printf("# chaos:");
   for (unsigned i = 0; i < 10; i++)
      printf(" %s %" PRIu64, chaos_names[i], st->chaos[i]);
   printf(" (readv through /proc/self/mem %" PRIu64 ")\n",
          st->chaos_readv_mem);
   if (st->failure[0])
      FAIL("seed %" PRIu64 ": %s", st->seed, st->failure);
   ASSERT_EQ(wrong, 0);
   ASSERT_GT(st->execs, 0);
   ASSERT_GT(st->device_adds, 0);
}

TEST_HARNESS_MAIN
