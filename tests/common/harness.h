/* SPDX-License-Identifier: MIT */
/*
 * nvsvm's test harness, in the shape of the kernel's kselftest harness and
 * IGT: a test is registered where it is written, fixtures have a setup and
 * a teardown that always runs, variants run every test of a fixture once
 * per variant, every test has a timeout, and the output is KTAP (TAP 13)
 * with named skips.
 *
 *    #include "harness.h"
 *
 *    TEST(errors_have_names)
 *    {
 *       ASSERT_STREQ(nvsvm_error_name(-ENOSYS), "ENOSYS");
 *    }
 *
 *    FIXTURE(dev) { struct nvsvm_device *dev; };
 *    FIXTURE_VARIANT(dev) { const char *path; };
 *    FIXTURE_VARIANT_ADD(dev, hmm) { .path = "/dev/hmm_dmirror0" };
 *    FIXTURE_SETUP(dev)
 *    {
 *       if (access(variant->path, F_OK))
 *          SKIP("no %s: the HMM test device is not loaded", variant->path);
 *       ASSERT_EQ(nvsvm_device_open(variant->path, &self->dev), 0);
 *    }
 *    FIXTURE_TEARDOWN(dev)
 *    {
 *       if (self->dev)
 *          nvsvm_device_close(self->dev);
 *    }
 *    TEST_F(dev, opens) { ASSERT_NE(nvsvm_device_fd(self->dev), -1); }
 *
 *    TEST_HARNESS_MAIN
 *
 * Rules:
 * - Each test runs in a child process of its own (its own process group),
 *   so a crash, a leak report or a hang fails that test alone. The parent
 *   kills a test that outlives its timeout (TEST_TIMEOUT /
 *   TEST_F_TIMEOUT, default HARNESS_DEFAULT_TIMEOUT_S seconds, raised for
 *   slow machines by NVSVM_HARNESS_TIMEOUT_SCALE, e.g. 4 under TCG).
 * - ASSERT_* and SKIP() end the test at once, from the body, the setup or
 *   any helper they call; EXPECT_* and MARK_FAIL() record a failure and go
 *   on. The fixture data starts zeroed and the teardown runs whenever the
 *   setup was entered, whatever happened after (pass, assert, skip): it
 *   releases what is set and leaves the rest. Only a crash or a timeout
 *   skip it; the kernel then frees the dead child's files and mappings.
 * - A skip must say which capability is missing: SKIP() without a reason
 *   is a failure.
 * - MARK_WARN() ends the test as warn unless it also fails: it ran but
 *   could not show what it claims (a kernel with no recorded value yet).
 *   Where no expect file lists it, a warn counts as a failure: KTAP
 *   prints "not ok ... # WARN reason".
 * - HARNESS_DEFER() (and DEFER_MUNMAP, DEFER_CLOSE, DEFER_FREE) registers
 *   a release for what a test took itself: they run, last first, after
 *   the body whatever ended it and before the fixture's teardown.
 *   harness_guard() is for what lives on the test's own stack (a thread
 *   writing there): an ASSERT or SKIP runs the guards before it leaves
 *   the test; the test drops one with harness_unguard() once it released
 *   that itself.
 * - Output: KTAP by default. NVSVM_HARNESS_FORMAT=piglit (the VM runners
 *   set it) prints piglit's lines instead: the enumerated subtests, one
 *   "PIGLIT: {"subtest": ...}" line per test (pass, fail, skip, warn,
 *   crash, timeout), the overall result and "N passed, N failed, N
 *   skipped" (a warn counted as passed: the counter decides with its
 *   expect files). "-subtest NAME" runs that test alone, as piglit asks.
 * - Arguments: test names run those tests alone, -l lists the names.
 *   A test of a fixture with variants is named fixture.variant.test; one
 *   of a fixture without variants keeps its own name, so moving a test
 *   onto a fixture does not rename it.
 * - Exit status: 1 when a test failed, else 0.
 */
#ifndef NVSVM_HARNESS_H
#define NVSVM_HARNESS_H

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HARNESS_DEFAULT_TIMEOUT_S 30u
#define HARNESS_UNUSED_ARG __attribute__((unused))
#define HARNESS_UNUSED __attribute__((unused))

/* ---------------------------------------------------------- registry */

struct harness_variant {
   const char *name;
   const void *data;
   struct harness_variant *next;
};

struct harness_fixture {
   const char *name;
   struct harness_variant *variants, **variants_tail;
};

struct harness_test {
   const char *name;
   struct harness_fixture *fixture;   /* NULL for TEST() */
   void (*run)(const void *variant);
   unsigned timeout_s;                /* 0: the default */
   struct harness_test *next;
};

/* What a test's child reports back, in memory shared with the parent. */
struct harness_result {
   bool failed;
   bool skipped;
   bool warned;
   bool setup_entered, teardown_done;
   char reason[256];
   char warn_reason[256];
};

/* A release registered by a test (HARNESS_DEFER), run after its body. */
struct harness_deferred {
   void (*fn)(void *p, uintptr_t n);
   void *p;
   uintptr_t n;
};

#define HARNESS_MAX_DEFERRED 64

static struct harness_test *harness_tests, **harness_tests_tail =
   &harness_tests;
static struct harness_result *harness_res;
static sigjmp_buf harness_bail_env;
static struct harness_deferred harness_deferred[HARNESS_MAX_DEFERRED];
static unsigned harness_ndeferred;
static struct harness_deferred harness_guards[HARNESS_MAX_DEFERRED];
static unsigned harness_nguards;

static inline void
harness_register_test(struct harness_test *t)
{
   *harness_tests_tail = t;
   harness_tests_tail = &t->next;
}

static inline void
harness_register_variant(struct harness_fixture *f, struct harness_variant *v)
{
   if (!f->variants_tail)
      f->variants_tail = &f->variants;
   *f->variants_tail = v;
   f->variants_tail = &v->next;
}

/* ------------------------------------------------------ test results */

/*
 * End the running test now (ASSERT_*, SKIP): run its guards while its
 * stack is still there, then back to its runner.
 */
static inline void __attribute__((noreturn))
harness_bail(void)
{
   while (harness_nguards) {
      struct harness_deferred g = harness_guards[--harness_nguards];

      g.fn(g.p, g.n);
   }
   fflush(stdout);
   siglongjmp(harness_bail_env, 1);
}

/*
 * A guard: the release of something that lives on the test's stack (a
 * thread writing to it), run by an ASSERT or SKIP before it leaves the
 * test; harness_unguard(p) drops it when the test released p itself.
 */
static inline void
harness_guard(void (*fn)(void *p, uintptr_t n), void *p, uintptr_t n)
{
   if (harness_nguards == HARNESS_MAX_DEFERRED) {
      printf("# more than %u guards: not guarded\n", HARNESS_MAX_DEFERRED);
      harness_res->failed = true;
      return;
   }
   harness_guards[harness_nguards++] = (struct harness_deferred){ fn, p, n };
}

static inline void
harness_unguard(const void *p)
{
   for (unsigned i = harness_nguards; i-- > 0;) {
      if (harness_guards[i].p == p) {
         memmove(&harness_guards[i], &harness_guards[i + 1],
                 (harness_nguards - i - 1) * sizeof(harness_guards[0]));
         harness_nguards--;
         return;
      }
   }
}

static inline void __attribute__((format(printf, 3, 4)))
harness_fail_at(const char *file, int line, const char *fmt, ...)
{
   va_list ap;

   printf("#   %s:%d: ", file, line);
   va_start(ap, fmt);
   vprintf(fmt, ap);
   va_end(ap);
   printf("\n");
   harness_res->failed = true;
}

static inline void __attribute__((format(printf, 1, 2)))
harness_skip(const char *fmt, ...)
{
   va_list ap;

   va_start(ap, fmt);
   vsnprintf(harness_res->reason, sizeof(harness_res->reason), fmt, ap);
   va_end(ap);
   harness_res->skipped = true;
}

static inline void __attribute__((format(printf, 3, 4)))
harness_warn_at(const char *file, int line, const char *fmt, ...)
{
   va_list ap;

   printf("#   %s:%d: warn: ", file, line);
   va_start(ap, fmt);
   vprintf(fmt, ap);
   va_end(ap);
   printf("\n");
   if (!harness_res->warned) {
      va_start(ap, fmt);
      vsnprintf(harness_res->warn_reason,
                sizeof(harness_res->warn_reason), fmt, ap);
      va_end(ap);
   }
   harness_res->warned = true;
}

static inline void
harness_defer(void (*fn)(void *p, uintptr_t n), void *p, uintptr_t n)
{
   if (harness_ndeferred == HARNESS_MAX_DEFERRED) {
      harness_fail_at(__FILE__, __LINE__, "more than %u deferred releases",
                      HARNESS_MAX_DEFERRED);
      harness_bail();
   }
   harness_deferred[harness_ndeferred++] =
      (struct harness_deferred){ fn, p, n };
}

/* Run the deferred releases, last first; an ASSERT in one ends that one. */
static inline void
harness_run_deferred(void)
{
   while (harness_ndeferred) {
      volatile unsigned i = --harness_ndeferred;

      if (sigsetjmp(harness_bail_env, 0) == 0)
         harness_deferred[i].fn(harness_deferred[i].p, harness_deferred[i].n);
   }
}

static inline void
harness_do_munmap(void *p, uintptr_t n)
{
   munmap(p, n);
}

static inline void
harness_do_close(void *p HARNESS_UNUSED_ARG, uintptr_t n)
{
   close((int)n);
}

static inline void
harness_do_free(void *p, uintptr_t n HARNESS_UNUSED_ARG)
{
   free(p);
}

/* Release fn(p, n) after the body, whatever ended it. */
#define HARNESS_DEFER(fn, p, n) harness_defer((fn), (void *)(p), (uintptr_t)(n))
#define DEFER_MUNMAP(p, len) HARNESS_DEFER(harness_do_munmap, (p), (len))
#define DEFER_CLOSE(fd) HARNESS_DEFER(harness_do_close, NULL, (fd))
#define DEFER_FREE(p) HARNESS_DEFER(harness_do_free, (p), 0)

/* A line of the test's own log, as a KTAP diagnostic. */
#define TH_LOG(...)                                                  \
   do {                                                              \
      printf("# ");                                                  \
      printf(__VA_ARGS__);                                           \
      printf("\n");                                                  \
   } while (0)

/* Record a failure with the values seen, and go on. */
#define MARK_FAIL(...) harness_fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* Record a failure and end the test now. */
#define FAIL(...)                                                    \
   do {                                                              \
      MARK_FAIL(__VA_ARGS__);                                        \
      harness_bail();                                                \
   } while (0)

/* The test ends as warn (unless it fails): it could not show its claim. */
#define MARK_WARN(...) harness_warn_at(__FILE__, __LINE__, __VA_ARGS__)

/* Skip the running test; the reason names what is missing. */
#define SKIP(...)                                                    \
   do {                                                              \
      harness_skip(__VA_ARGS__);                                     \
      harness_bail();                                                \
   } while (0)

/* Comparisons print both sides; ASSERT ends the test, EXPECT goes on. */
#define HARNESS_CMP(bail, a, op, b)                                  \
   do {                                                              \
      long long _ha = (long long)(a), _hb = (long long)(b);          \
      if (!(_ha op _hb)) {                                           \
         MARK_FAIL("%s %s %s: %lld vs %lld", #a, #op, #b, _ha, _hb); \
         if (bail)                                                   \
            harness_bail();                                          \
      }                                                              \
   } while (0)

#define HARNESS_U64_EQ(bail, a, b)                                   \
   do {                                                              \
      uint64_t _ha = (uint64_t)(a), _hb = (uint64_t)(b);             \
      if (_ha != _hb) {                                              \
         MARK_FAIL("%s == %s: 0x%" PRIx64 " vs 0x%" PRIx64, #a, #b,  \
                   _ha, _hb);                                        \
         if (bail)                                                   \
            harness_bail();                                          \
      }                                                              \
   } while (0)

#define HARNESS_TRUE(bail, c)                                        \
   do {                                                              \
      if (!(c)) {                                                    \
         MARK_FAIL("%s is false", #c);                               \
         if (bail)                                                   \
            harness_bail();                                          \
      }                                                              \
   } while (0)

#define HARNESS_STREQ(bail, a, b)                                    \
   do {                                                              \
      const char *_ha = (a), *_hb = (b);                             \
      if (!_ha || !_hb || strcmp(_ha, _hb) != 0) {                   \
         MARK_FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b,             \
                   _ha ? _ha : "(null)", _hb ? _hb : "(null)");      \
         if (bail)                                                   \
            harness_bail();                                          \
      }                                                              \
   } while (0)

#define ASSERT_EQ(a, b) HARNESS_CMP(true, a, ==, b)
#define ASSERT_NE(a, b) HARNESS_CMP(true, a, !=, b)
#define ASSERT_LT(a, b) HARNESS_CMP(true, a, <, b)
#define ASSERT_LE(a, b) HARNESS_CMP(true, a, <=, b)
#define ASSERT_GT(a, b) HARNESS_CMP(true, a, >, b)
#define ASSERT_GE(a, b) HARNESS_CMP(true, a, >=, b)
#define ASSERT_U64_EQ(a, b) HARNESS_U64_EQ(true, a, b)
#define ASSERT_TRUE(c) HARNESS_TRUE(true, c)
#define ASSERT_FALSE(c) HARNESS_TRUE(true, !(c))
#define ASSERT_STREQ(a, b) HARNESS_STREQ(true, a, b)

#define EXPECT_EQ(a, b) HARNESS_CMP(false, a, ==, b)
#define EXPECT_NE(a, b) HARNESS_CMP(false, a, !=, b)
#define EXPECT_LT(a, b) HARNESS_CMP(false, a, <, b)
#define EXPECT_LE(a, b) HARNESS_CMP(false, a, <=, b)
#define EXPECT_GT(a, b) HARNESS_CMP(false, a, >, b)
#define EXPECT_GE(a, b) HARNESS_CMP(false, a, >=, b)
#define EXPECT_U64_EQ(a, b) HARNESS_U64_EQ(false, a, b)
#define EXPECT_TRUE(c) HARNESS_TRUE(false, c)
#define EXPECT_FALSE(c) HARNESS_TRUE(false, !(c))
#define EXPECT_STREQ(a, b) HARNESS_STREQ(false, a, b)

/* ------------------------------------------------------ declarations */

#define TEST(name) TEST_TIMEOUT(name, 0)

#define TEST_TIMEOUT(name, secs)                                     \
   static void name(void);                                           \
   static void _harness_run_##name(const void *v HARNESS_UNUSED)     \
   {                                                                 \
      name();                                                        \
   }                                                                 \
   static struct harness_test _harness_test_##name = {               \
      #name, NULL, _harness_run_##name, secs, NULL,                  \
   };                                                                \
   static void __attribute__((constructor))                          \
   _harness_reg_##name(void)                                         \
   {                                                                 \
      harness_register_test(&_harness_test_##name);                  \
   }                                                                 \
   static void name(void)

#define FIXTURE_DATA(fx) struct _harness_fixture_data_##fx
#define FIXTURE_VARIANT(fx) struct _harness_fixture_variant_##fx

#define FIXTURE(fx)                                                  \
   FIXTURE_VARIANT(fx);                                              \
   FIXTURE_DATA(fx);                                                 \
   /* Unused when a shared header defines a fixture no test takes. */ \
   static struct harness_fixture _harness_fixture_##fx HARNESS_UNUSED = \
      { #fx, NULL, NULL };                                           \
   static void _harness_setup_##fx(FIXTURE_DATA(fx) *self,           \
                                   const FIXTURE_VARIANT(fx) *variant) \
      HARNESS_UNUSED;                                                \
   static void _harness_teardown_##fx(FIXTURE_DATA(fx) *self,        \
                                      const FIXTURE_VARIANT(fx) *variant) \
      HARNESS_UNUSED;                                                \
   FIXTURE_DATA(fx)

#define FIXTURE_SETUP(fx)                                            \
   static void _harness_setup_##fx(                                  \
      FIXTURE_DATA(fx) *self HARNESS_UNUSED,                         \
      const FIXTURE_VARIANT(fx) *variant HARNESS_UNUSED)

#define FIXTURE_TEARDOWN(fx)                                         \
   static void _harness_teardown_##fx(                               \
      FIXTURE_DATA(fx) *self HARNESS_UNUSED,                         \
      const FIXTURE_VARIANT(fx) *variant HARNESS_UNUSED)

#define FIXTURE_VARIANT_ADD(fx, vname)                               \
   static const FIXTURE_VARIANT(fx) _harness_vdata_##fx##_##vname;   \
   static struct harness_variant _harness_variant_##fx##_##vname = { \
      #vname, &_harness_vdata_##fx##_##vname, NULL,                  \
   };                                                                \
   static void __attribute__((constructor))                          \
   _harness_vreg_##fx##_##vname(void)                                \
   {                                                                 \
      harness_register_variant(&_harness_fixture_##fx,               \
                               &_harness_variant_##fx##_##vname);    \
   }                                                                 \
   static const FIXTURE_VARIANT(fx) _harness_vdata_##fx##_##vname =

#define TEST_F(fx, name) TEST_F_TIMEOUT(fx, name, 0)

/*
 * The runner of a fixture test: zeroed data, setup, body, then teardown
 * whenever setup was entered. The data lives on the heap so that its
 * contents are defined after an ASSERT's jump back here.
 */
#define TEST_F_TIMEOUT(fx, name, secs)                               \
   static void _harness_body_##fx##_##name(                          \
      FIXTURE_DATA(fx) *self, const FIXTURE_VARIANT(fx) *variant);   \
   static void _harness_run_##fx##_##name(const void *v)             \
   {                                                                 \
      FIXTURE_DATA(fx) *volatile self = calloc(1, sizeof(*self));    \
                                                                     \
      if (!self) {                                                   \
         MARK_FAIL("no memory for the fixture data");                \
         return;                                                     \
      }                                                              \
      if (sigsetjmp(harness_bail_env, 0) == 0) {                     \
         harness_res->setup_entered = true;                          \
         _harness_setup_##fx(self, v);                               \
         if (!harness_res->failed && !harness_res->skipped)          \
            _harness_body_##fx##_##name(self, v);                    \
      }                                                              \
      harness_nguards = 0;                                           \
      harness_run_deferred();                                        \
      if (sigsetjmp(harness_bail_env, 0) == 0)                       \
         _harness_teardown_##fx(self, v);                            \
      harness_res->teardown_done = true;                             \
      free(self);                                                    \
   }                                                                 \
   static struct harness_test _harness_test_##fx##_##name = {        \
      #name, &_harness_fixture_##fx, _harness_run_##fx##_##name,     \
      secs, NULL,                                                    \
   };                                                                \
   static void __attribute__((constructor))                          \
   _harness_reg_##fx##_##name(void)                                  \
   {                                                                 \
      harness_register_test(&_harness_test_##fx##_##name);           \
   }                                                                 \
   static void _harness_body_##fx##_##name(                          \
      FIXTURE_DATA(fx) *self HARNESS_UNUSED,                         \
      const FIXTURE_VARIANT(fx) *variant HARNESS_UNUSED)

/* ------------------------------------------------------------ runner */

static inline void
harness_full_name(char *buf, size_t size, const struct harness_test *t,
                  const struct harness_variant *v)
{
   if (!t->fixture || !v)
      snprintf(buf, size, "%s", t->name);
   else
      snprintf(buf, size, "%s.%s.%s", t->fixture->name, v->name, t->name);
}

static inline unsigned
harness_timeout_s(const struct harness_test *t)
{
   const char *scale = getenv("NVSVM_HARNESS_TIMEOUT_SCALE");
   unsigned s = t->timeout_s ? t->timeout_s : HARNESS_DEFAULT_TIMEOUT_S;
   unsigned long k = scale ? strtoul(scale, NULL, 10) : 1;

   return s * (k ? k : 1);
}

/* The child's side: run one test, then exit (leak checkers run here). */
static inline void __attribute__((noreturn))
harness_child(const struct harness_test *t, const struct harness_variant *v)
{
   sigset_t none;

   sigemptyset(&none);
   sigprocmask(SIG_SETMASK, &none, NULL);
   signal(SIGTERM, SIG_DFL);
   signal(SIGINT, SIG_DFL);
   setpgid(0, 0);
   if (t->fixture) {
      t->run(v ? v->data : NULL);
   } else {
      if (sigsetjmp(harness_bail_env, 0) == 0)
         t->run(NULL);
      harness_nguards = 0;
      harness_run_deferred();
   }
   fflush(stdout);
   fflush(stderr);
   exit(0);
}

/*
 * The parent's side: wait for the child within the timeout, or kill its
 * process group when it runs out (-ETIMEDOUT). SIGCHLD is blocked in the
 * parent, so sigtimedwait() sleeps until the child ends or time is up.
 */
static inline int
harness_wait(pid_t pid, unsigned timeout_s, int *status)
{
   struct timespec now, end;
   sigset_t chld;

   sigemptyset(&chld);
   sigaddset(&chld, SIGCHLD);
   clock_gettime(CLOCK_MONOTONIC, &end);
   end.tv_sec += timeout_s;
   for (;;) {
      struct timespec left;
      pid_t r = waitpid(pid, status, WNOHANG);

      if (r == pid)
         return 0;
      if (r < 0 && errno != EINTR)
         return -errno;
      clock_gettime(CLOCK_MONOTONIC, &now);
      left.tv_sec = end.tv_sec - now.tv_sec;
      left.tv_nsec = end.tv_nsec - now.tv_nsec;
      if (left.tv_nsec < 0) {
         left.tv_sec--;
         left.tv_nsec += 1000000000l;
      }
      if (left.tv_sec < 0) {
         kill(-pid, SIGKILL);
         kill(pid, SIGKILL);
         waitpid(pid, status, 0);
         return -ETIMEDOUT;
      }
      sigtimedwait(&chld, NULL, &left);
   }
}

static inline bool
harness_wanted(const char *name, int argc, char **argv)
{
   bool any = false;

   for (int a = 1; a < argc; a++) {
      if (argv[a][0] == '-')
         continue;
      any = true;
      if (strcmp(argv[a], name) == 0)
         return true;
   }
   return !any;
}

/*
 * Step to the next (test, variant) pair, in the order written; a test
 * of a fixture without variants runs once with no variant.
 */
static inline bool
harness_next(const struct harness_test **t, const struct harness_variant **v)
{
   if (*t && *v && (*v)->next) {
      *v = (*v)->next;
      return true;
   }
   *t = *t ? (*t)->next : harness_tests;
   *v = *t && (*t)->fixture ? (*t)->fixture->variants : NULL;
   return *t != NULL;
}

/* NVSVM_HARNESS_FORMAT=piglit: piglit's result lines instead of KTAP. */
static inline bool
harness_piglit(void)
{
   const char *f = getenv("NVSVM_HARNESS_FORMAT");

   return f && strcmp(f, "piglit") == 0;
}

static inline double
harness_now(void)
{
   struct timespec ts;

   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum harness_outcome {
   HARNESS_PASS,
   HARNESS_FAIL,
   HARNESS_SKIP,
   HARNESS_WARN,
   HARNESS_CRASH,
   HARNESS_TIMEOUT,
};

/*
 * The parent, killed from outside (a runner's own time limit): the test
 * running in its own process group goes with it.
 */
static volatile pid_t harness_running_pid;

static inline void
harness_on_term(int sig)
{
   if (harness_running_pid > 0)
      kill(-harness_running_pid, SIGKILL);
   signal(sig, SIG_DFL);
   raise(sig);
}

static const char *const harness_piglit_names[] = {
   "pass", "fail", "skip", "warn", "crash", "timeout",
};

/*
 * Run one test in its own child under its timeout; print the lines that
 * explain a failure, and return the outcome.
 */
static inline enum harness_outcome
harness_run_one(const struct harness_test *t, const struct harness_variant *v,
                const char *name)
{
   unsigned timeout_s = harness_timeout_s(t);
   int status = 0, ret;
   pid_t pid;

   memset(harness_res, 0, sizeof(*harness_res));
   fflush(stdout);
   fflush(stderr);
   pid = fork();
   if (pid < 0) {
      printf("# %s: fork: %s\n", name, strerror(errno));
      return HARNESS_FAIL;
   }
   if (pid == 0)
      harness_child(t, v);
   harness_running_pid = pid;
   ret = harness_wait(pid, timeout_s, &status);
   harness_running_pid = 0;

   if (ret == -ETIMEDOUT) {
      printf("# %s: no result within %u s: killed\n", name, timeout_s);
      return HARNESS_TIMEOUT;
   } else if (ret) {
      printf("# %s: waitpid: %s\n", name, strerror(-ret));
      return HARNESS_FAIL;
   } else if (WIFSIGNALED(status)) {
      printf("# %s: killed by signal %d (%s)\n", name, WTERMSIG(status),
             strsignal(WTERMSIG(status)));
      return HARNESS_CRASH;
   } else if (WEXITSTATUS(status) != 0) {
      printf("# %s: exit status %d\n", name, WEXITSTATUS(status));
      return HARNESS_FAIL;
   } else if (harness_res->failed) {
      return HARNESS_FAIL;
   } else if (harness_res->warned) {
      return HARNESS_WARN;
   } else if (harness_res->skipped && !harness_res->reason[0]) {
      printf("# %s: skipped without naming what is missing\n", name);
      return HARNESS_FAIL;
   } else if (harness_res->skipped) {
      return HARNESS_SKIP;
   }
   return HARNESS_PASS;
}

static inline int
harness_main(int argc, char **argv)
{
   const struct harness_test *t;
   const struct harness_variant *v = NULL;
   unsigned pass = 0, fail = 0, skip = 0, n = 0, idx = 0;
   bool list = false, piglit = harness_piglit();
   enum harness_outcome overall = HARNESS_SKIP;
   char name[256];
   sigset_t chld;

   for (int a = 1; a < argc; a++)
      list |= strcmp(argv[a], "-l") == 0;

   /* piglit enumerates every subtest, even when asked for one. */
   if (piglit && !list)
      printf("PIGLIT: {\"enumerate subtests\": [");
   t = NULL;
   while (harness_next(&t, &v)) {
      harness_full_name(name, sizeof(name), t, v);
      if (piglit && !list)
         printf("%s\"%s\"", n ? ", " : "", name);
      else if (!harness_wanted(name, argc, argv))
         continue;
      else if (list)
         printf("%s\n", name);
      n++;
   }
   if (list)
      return 0;
   if (piglit) {
      printf("]}\n");
   } else {
      printf("TAP version 13\n1..%u\n", n);
   }
   fflush(stdout);

   harness_res = mmap(NULL, sizeof(*harness_res), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
   if (harness_res == MAP_FAILED) {
      if (piglit)
         printf("# no shared memory for results: %s\n"
                "PIGLIT: {\"result\": \"fail\"}\n"
                "0 passed, 1 failed, 0 skipped\n", strerror(errno));
      else
         printf("Bail out! no shared memory for results: %s\n",
                strerror(errno));
      return 1;
   }
   sigemptyset(&chld);
   sigaddset(&chld, SIGCHLD);
   sigprocmask(SIG_BLOCK, &chld, NULL);
   signal(SIGTERM, harness_on_term);
   signal(SIGINT, harness_on_term);

   t = NULL;
   while (harness_next(&t, &v)) {
      enum harness_outcome r;
      double t0;

      harness_full_name(name, sizeof(name), t, v);
      if (!harness_wanted(name, argc, argv))
         continue;
      idx++;
      t0 = harness_now();
      r = harness_run_one(t, v, name);

      if (piglit) {
         if (r == HARNESS_SKIP)
            printf("# SKIP: %s\n", harness_res->reason);
         else if (r == HARNESS_WARN)
            printf("# WARN: %s\n", harness_res->warn_reason);
         printf("# %s: %.2f s\n", name, harness_now() - t0);
         printf("PIGLIT: {\"subtest\": {\"%s\": \"%s\"}}\n", name,
                harness_piglit_names[r]);
         /* As piglit counts them: a warn passes here, its expect decides. */
         if (r == HARNESS_SKIP) {
            skip++;
         } else if (r == HARNESS_PASS || r == HARNESS_WARN) {
            pass++;
            if (overall == HARNESS_SKIP)
               overall = HARNESS_PASS;
            if (r == HARNESS_WARN && overall == HARNESS_PASS)
               overall = HARNESS_WARN;
         } else {
            fail++;
            overall = HARNESS_FAIL;
         }
      } else if (r == HARNESS_PASS) {
         printf("ok %u %s\n", idx, name);
         pass++;
      } else if (r == HARNESS_SKIP) {
         printf("ok %u %s # SKIP %s\n", idx, name, harness_res->reason);
         skip++;
      } else if (r == HARNESS_WARN) {
         /* No expect file here: a warn is not a pass. */
         printf("not ok %u %s # WARN %s\n", idx, name,
                harness_res->warn_reason);
         fail++;
      } else if (r == HARNESS_TIMEOUT) {
         printf("not ok %u %s # TIMEOUT %u s\n", idx, name,
                harness_timeout_s(t));
         fail++;
      } else {
         printf("not ok %u %s\n", idx, name);
         fail++;
      }
      fflush(stdout);
   }
   if (piglit) {
      printf("PIGLIT: {\"result\": \"%s\"}\n", harness_piglit_names[overall]);
      printf("%u passed, %u failed, %u skipped\n", pass, fail, skip);
   } else {
      printf("# %u passed, %u failed, %u skipped\n", pass, fail, skip);
   }
   munmap(harness_res, sizeof(*harness_res));
   return fail ? 1 : 0;
}

#define TEST_HARNESS_MAIN                                            \
   int main(int argc, char **argv)                                   \
   {                                                                 \
      return harness_main(argc, argv);                               \
   }

#endif /* NVSVM_HARNESS_H */
