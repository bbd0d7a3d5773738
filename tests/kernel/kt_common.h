/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the kernel-path scenarios (tests/kernel/kt-*.c, on the
 * shared harness, tests/common/harness.h): the fixture that opens the HMM
 * test device, pagemap, fault counters, bounded waits, and behaviour
 * recorded per kernel version. Header-only: each family is one binary.
 *
 * The fixture, written once here:
 * - hmm: /dev/hmm_dmirror0 opened through the library (self->dev) and
 *   the kernel this runs on (self->k). It skips, naming CONFIG_TEST_HMM,
 *   when the device is absent. A scenario that needs the second device
 *   takes it with kt_open_dev1(self); the teardown closes both (a
 *   scenario that closes one itself sets its pointer to NULL).
 * Memory from kt_map_anon() is unmapped after the scenario, whatever
 * ended it; KT_EXPECT() compares an observation with the record of this
 * kernel (tests/common/kernel_record.h).
 */
#ifndef KT_COMMON_H
#define KT_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "harness_nvsvm.h"
#include "kernel_record.h"
#include "pagemap.h"
#include "nvsvm_testdev.h"

#define KT_PAGE ((size_t)NVSVM_PAGE_SIZE)
#define KT_DEV0 "/dev/hmm_dmirror0"
#define KT_DEV1 "/dev/hmm_dmirror1"

/* ------------------------------------------------------------- kernel */

struct kt_kernel {
   char release[65];   /* NVSVM_KERNEL if set, else uname -r */
   char version[16];   /* "6.12" */
};

static inline void
kt_kernel_get(struct kt_kernel *k)
{
   const char *env = getenv("NVSVM_KERNEL");
   struct utsname uts;

   memset(k, 0, sizeof(*k));
   if (env && *env) {
      snprintf(k->release, sizeof(k->release), "%s", env);
   } else if (uname(&uts) == 0) {
      snprintf(k->release, sizeof(k->release), "%s", uts.release);
   }
   kr_version(k->version, sizeof(k->version));   /* "6.12", same source */
}

/* ------------------------------------------------------------- device */

/*
 * Open an HMM test device through the library. 0, or a negative errno
 * with *why saying why a scenario must skip (or fail, for other errors).
 */
static inline int
kt_open(const char *path, struct nvsvm_device **dev, const char **why)
{
   int ret = nvsvm_device_open(path, dev);

   *why = NULL;
   if (ret == -ENOENT || ret == -ENODEV || ret == -ENXIO)
      *why = "no HMM test device (kernel without CONFIG_TEST_HMM, or not "
             "in the VM: tools/vm/run)";
   else if (ret == -EACCES || ret == -EPERM)
      *why = "no permission to open the HMM test device";
   return ret;
}

/* Open an HMM test device into *dev, or skip (naming why) or fail. */
static inline void
kt_open_or_skip(const char *path, struct nvsvm_device **dev)
{
   const char *why;
   int r = kt_open(path, dev, &why);

   if (r && why)
      SKIP("%s: %s", path, why);
   if (r)
      FAIL("open %s: %s (%s)", path, nvsvm_error_name(r),
           nvsvm_strerror(r));
}

FIXTURE(hmm)
{
   struct kt_kernel k;
   struct nvsvm_device *dev;    /* KT_DEV0 */
   struct nvsvm_device *dev1;   /* KT_DEV1, once kt_open_dev1() */
};

FIXTURE_SETUP(hmm)
{
   kt_kernel_get(&self->k);
   TH_LOG("kernel %s (%s)", self->k.release, self->k.version);
   kt_open_or_skip(KT_DEV0, &self->dev);
}

FIXTURE_TEARDOWN(hmm)
{
   nvsvm_device_close(self->dev1);
   nvsvm_device_close(self->dev);
}

/* The second HMM test device, held until the teardown. */
static inline struct nvsvm_device *
kt_open_dev1(FIXTURE_DATA(hmm) *self)
{
   if (!self->dev1)
      kt_open_or_skip(KT_DEV1, &self->dev1);
   return self->dev1;
}

/*
 * Compare an observation with what was recorded for this kernel: a
 * changed value fails the scenario, a kernel with no record yet warns
 * (the value is printed, to be recorded).
 */
#define KT_EXPECT(self, what, table, observed)                         \
   KR_EXPECT_FOR((self)->k.version, (what), (table), (long)(observed))

/* ------------------------------------------------------------- memory */

/*
 * Private anonymous pages (4 KiB-backed when nohuge), or NULL; the caller
 * unmaps them. For a process forked by a scenario.
 */
static inline void *
kt_map_anon_owned(size_t npages, bool nohuge)
{
   void *p = mmap(NULL, npages * KT_PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   if (p == MAP_FAILED)
      return NULL;
   if (nohuge)
      madvise(p, npages * KT_PAGE, MADV_NOHUGEPAGE);
   return p;
}

/* The same, unmapped after the scenario, whatever ends it. */
static inline void *
kt_map_anon(size_t npages, bool nohuge)
{
   void *p = kt_map_anon_owned(npages, nohuge);

   if (p)
      DEFER_MUNMAP(p, npages * KT_PAGE);
   return p;
}

/* Word w of page i gets a value that names both. */
static inline uint64_t
kt_pattern(size_t page, size_t word, uint64_t salt)
{
   return salt << 40 | (uint64_t)page << 20 | word;
}

static inline void
kt_fill(void *p, size_t npages, uint64_t salt)
{
   uint64_t *w = p;

   for (size_t i = 0; i < npages; i++)
      for (size_t j = 0; j < KT_PAGE / 8; j++)
         w[i * (KT_PAGE / 8) + j] = kt_pattern(i, j, salt);
}

/* Index of the first word that differs from the pattern, or -1. */
static inline long
kt_check_fill(const void *p, size_t npages, uint64_t salt)
{
   const uint64_t *w = p;

   for (size_t i = 0; i < npages; i++)
      for (size_t j = 0; j < KT_PAGE / 8; j++)
         if (w[i * (KT_PAGE / 8) + j] != kt_pattern(i, j, salt))
            return (long)(i * (KT_PAGE / 8) + j);
   return -1;
}

/* ------------------------------------------------------------ pagemap */

#define KT_PM_PRESENT NVSVM_PM_PRESENT
#define KT_PM_SWAP    NVSVM_PM_SWAP

/* The /proc/self/pagemap entry of addr's page; 0 on error. */
static inline uint64_t
kt_pagemap(const void *addr)
{
   uint64_t e;

   return nvsvm_pm_entry(addr, &e) == 0 ? e : 0;
}

/* Device-exclusive: the CPU PTE is a non-present swap-type entry. */
static inline bool
kt_pm_exclusive(const void *addr)
{
   return nvsvm_pm_swapped(addr);
}

/* How many of the npages pages at p are device-exclusive (pagemap). */
static inline int
kt_count_exclusive(const void *p, size_t npages)
{
   int n = 0;

   for (size_t i = 0; i < npages; i++)
      n += kt_pm_exclusive((const char *)p + i * KT_PAGE);
   return n;
}

static inline bool
kt_pm_present(const void *addr)
{
   return nvsvm_pm_present(addr);
}

/* --------------------------------------------------------- time, faults */

static inline double
kt_now(void)
{
   struct timespec ts;

   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline uint64_t
kt_minflt_thread(void)
{
   struct rusage ru;

   if (getrusage(RUSAGE_THREAD, &ru) != 0)
      return 0;
   return (uint64_t)ru.ru_minflt;
}

/*
 * This thread's page faults, minor and major: a fault that had to retry
 * (the device held the page's lock) is charged as major
 * (FAULT_FLAG_TRIED), which 6.1 does often on a device-exclusive page.
 */
static inline uint64_t
kt_faults_thread(void)
{
   struct rusage ru;

   if (getrusage(RUSAGE_THREAD, &ru) != 0)
      return 0;
   return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

/* Read a small integer from a sysfs/procfs file; -1 when absent. */
static inline long
kt_read_long(const char *path)
{
   FILE *f = fopen(path, "re");
   long v = -1;

   if (!f)
      return -1;
   if (fscanf(f, "%ld", &v) != 1)
      v = -1;
   fclose(f);
   return v;
}

static inline int
kt_write_str(const char *path, const char *s)
{
   FILE *f = fopen(path, "we");
   int ret = 0;

   if (!f)
      return -errno;
   if (fputs(s, f) < 0)
      ret = -EIO;
   if (fclose(f) != 0 && !ret)
      ret = -errno;
   return ret;
}

/* A field of /proc/meminfo or /proc/vmstat ("AnonPages:" style). */
static inline long
kt_proc_field(const char *file, const char *key)
{
   char line[256];
   size_t klen = strlen(key);
   long v = -1;
   FILE *f = fopen(file, "re");

   if (!f)
      return -1;
   while (fgets(line, sizeof(line), f)) {
      if (strncmp(line, key, klen) == 0 &&
          (line[klen] == ' ' || line[klen] == ':' || line[klen] == '\t')) {
         char *p = line + klen;
         while (*p == ' ' || *p == ':' || *p == '\t')
            p++;
         v = strtol(p, NULL, 10);
         break;
      }
   }
   fclose(f);
   return v;
}

/*
 * Wait for a child at most timeout_s; kill it if it overstays. 0 with
 * *status, or -ETIMEDOUT (child killed and reaped).
 */
static inline int
kt_wait_child(pid_t pid, double timeout_s, int *status)
{
   double end = kt_now() + timeout_s;
   struct timespec nap = { 0, 2 * 1000 * 1000 };

   for (;;) {
      pid_t r = waitpid(pid, status, WNOHANG);
      if (r == pid)
         return 0;
      if (r < 0 && errno != EINTR)
         return -errno;
      if (kt_now() > end) {
         kill(pid, SIGKILL);
         waitpid(pid, status, 0);
         return -ETIMEDOUT;
      }
      nanosleep(&nap, NULL);
   }
}

#endif /* KT_COMMON_H */
