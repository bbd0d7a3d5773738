/* SPDX-License-Identifier: MIT */
/*
 * The raw baseline for `nvsvm pingpong`: the same ownership loop written
 * straight against the HMM test device's ioctls, no libnvsvm in the loop,
 * so the library's overhead shows as a ratio.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "nvsvm_raw_hmm.h"
#include "nvsvm_time.h"

#define RAW_PAGE 4096u

/* Our own copy of lib/test_hmm_uapi.h's argument (no packaged header). */
struct raw_hmm_cmd {
   uint64_t addr, ptr, npages, cpages, faults;
};

/*
 * EXCLUSIVE is request 5 on every kernel the library pins (6.1, 6.6,
 * 6.12); the CLI runs this only after the library accepted the kernel.
 */
#define RAW_HMM_EXCLUSIVE _IOWR('H', 0x05, struct raw_hmm_cmd)

/* The same bounds as the library's retry loop, so the work is equal. */
#define RAW_MAX_TRIES 64
#define RAW_MAX_WAIT_S 2.0

/* A tick-based guest clock (no TSC/HPET) cannot time one round trip. */
static uint64_t
raw_clock_res_ns(void)
{
   struct timespec res;

   if (clock_getres(CLOCK_MONOTONIC, &res) != 0)
      return 0;
   return (uint64_t)res.tv_sec * 1000000000ull + (uint64_t)res.tv_nsec;
}

static uint64_t
raw_minflt(void)
{
   struct rusage ru;

   return getrusage(RUSAGE_THREAD, &ru) == 0 ? (uint64_t)ru.ru_minflt : 0;
}

static int
raw_exclusive(int fd, unsigned char *buf, unsigned pages,
              unsigned char *copy, uint64_t *retries)
{
   double deadline = 0;

   for (unsigned tries = 1;; tries++) {
      struct raw_hmm_cmd cmd = {
         .addr = (uintptr_t)buf,
         .ptr = (uintptr_t)copy,
         .npages = pages,
      };
      int err;

      if (ioctl(fd, RAW_HMM_EXCLUSIVE, &cmd) == 0)
         return 0;
      err = errno;
      if (err == EINTR)
         continue;
      if (err != EBUSY && err != EAGAIN && err != ENOENT)
         return -err;
      if (tries == 1)
         deadline = nvsvm_time_s() + RAW_MAX_WAIT_S;
      if (tries >= RAW_MAX_TRIES || nvsvm_time_s() > deadline)
         return -err;
      (*retries)++;
   }
}

static uint64_t
raw_value(uint64_t round, unsigned page)
{
   return (round + 1) << 16 | page;
}

static void
raw_store_all(unsigned char *buf, unsigned pages, uint64_t round)
{
   for (unsigned i = 0; i < pages; i++)
      __atomic_store_n((uint64_t *)(buf + (size_t)i * RAW_PAGE),
                       raw_value(round, i), __ATOMIC_RELAXED);
}

static uint64_t
raw_count_lost(const unsigned char *copy, unsigned pages, uint64_t round)
{
   uint64_t lost = 0, v;

   for (unsigned i = 0; i < pages; i++) {
      memcpy(&v, copy + (size_t)i * RAW_PAGE, sizeof(v));
      lost += v != raw_value(round, i);
   }
   return lost;
}

int
nvsvm_raw_hmm_pingpong(const char *path,
                       const struct nvsvm_pingpong_params *p,
                       struct nvsvm_pingpong_result *r)
{
   unsigned char *buf, *copy = NULL;
   double *samples = NULL, start, deadline;
   uint64_t round = 0, flt0, retries = 0;
   struct utsname uts;
   unsigned done;
   size_t len;
   int fd, ret = 0;

   if (!path || !p || !r || p->pages < 1 ||
       p->pages > NVSVM_PINGPONG_MAX_PAGES || p->rounds < 1 ||
       p->rounds > NVSVM_PINGPONG_MAX_ROUNDS || !(p->time_limit_s > 0))
      return -EINVAL;
   memset(r, 0, sizeof(*r));
   snprintf(r->backend, sizeof(r->backend), "raw-hmm");
   if (uname(&uts) == 0)
      snprintf(r->kernel, sizeof(r->kernel), "%s", uts.release);
   r->pages = p->pages;
   r->clock_res_ns = raw_clock_res_ns();

   fd = open(path, O_RDWR | O_CLOEXEC);
   if (fd < 0)
      return -errno;
   len = (size_t)p->pages * RAW_PAGE;
   buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   if (buf == MAP_FAILED) {
      ret = -errno;
      goto fail_fd;
   }
   madvise(buf, len, MADV_NOHUGEPAGE);
   memset(buf, 0, len);
   copy = malloc(len);
   samples = calloc(p->rounds, sizeof(*samples));
   if (!copy || !samples) {
      ret = -ENOMEM;
      goto fail_mem;
   }

   for (unsigned w = 0; w < p->warmup; w++, round++) {
      raw_store_all(buf, p->pages, round);
      ret = raw_exclusive(fd, buf, p->pages, copy, &retries);
      if (ret)
         goto fail_mem;
      r->lost += raw_count_lost(copy, p->pages, round);
   }

   retries = 0;
   flt0 = raw_minflt();
   start = nvsvm_time_s();
   deadline = start + p->time_limit_s;
   for (done = 0; done < p->rounds; done++, round++) {
      double t0 = nvsvm_time_s(), t1;

      raw_store_all(buf, p->pages, round);
      ret = raw_exclusive(fd, buf, p->pages, copy, &retries);
      t1 = nvsvm_time_s();
      if (ret)
         goto fail_mem;
      samples[done] = (t1 - t0) * 1e6;
      r->lost += raw_count_lost(copy, p->pages, round);
      if (t1 > deadline) {
         done++;
         r->time_limited = done < p->rounds;
         break;
      }
   }
   r->total_s = nvsvm_time_s() - start;
   r->minor_faults = raw_minflt() - flt0;
   r->retries = retries;
   r->rounds = done;
   r->rounds_per_s = done / r->total_s;
   r->conversions_per_s = (double)done * p->pages / r->total_s;
   /* Summarised after the loop, the same way as the library's run. */
   nvsvm_pingpong_summarize(samples, done, r);
   if (p->samples_us)
      memcpy(p->samples_us, samples, done * sizeof(*samples));

fail_mem:
   free(samples);
   free(copy);
   munmap(buf, len);
fail_fd:
   close(fd);
   return ret;
}
