/* SPDX-License-Identifier: MIT */
/*
 * The kernel's side of a shim test's pages, for the programs the drm-shim
 * tests run in the VM (cl_shim_svm.c, vk_shim_nvk.c): vsvm's device
 * counters and each page's state in the process's pagemap; the bound on
 * every wait of such a program; and its CHECK (with piglit.h).
 */
#ifndef SHIM_VIEW_H
#define SHIM_VIEW_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pagemap.h"
#include "vsvm_drm.h"

#define SHIM_VIEW_PAGE 4096u

/* In a scenario with a "res" result and an "out:" cleanup label: on a
 * false cond, note why, fail the scenario and clean up. */
#define CHECK(cond, ...)                                                     \
   do {                                                                      \
      if (!(cond)) {                                                         \
         piglit_note(__VA_ARGS__);                                           \
         res = PIGLIT_FAIL;                                                  \
         goto out;                                                           \
      }                                                                      \
   } while (0)

/* Written once before the alarm is armed; the handler only writes it. */
static char shim_alarm_msg[192];
static size_t shim_alarm_len;

static void
shim_on_alarm(int sig)
{
   (void)sig;
   if (write(STDOUT_FILENO, shim_alarm_msg, shim_alarm_len) < 0)
      _exit(3);
   _exit(1);
}

/* Every wait ends: with no answer within seconds the program prints a
 * failing piglit result and exits, instead of hanging the VM. */
static inline void
shim_alarm_arm(const char *prog, unsigned seconds)
{
   int n = snprintf(shim_alarm_msg, sizeof(shim_alarm_msg),
                    "# %s: no answer within the time limit\n"
                    "PIGLIT: {\"result\": \"fail\"}\n"
                    "0 passed, 1 failed, 0 skipped\n", prog);

   shim_alarm_len = n > 0 && (size_t)n < sizeof(shim_alarm_msg) ? (size_t)n
                                                                : 0;
   signal(SIGALRM, shim_on_alarm);
   alarm(seconds);
}

/* The device-wide counters of vsvm, through a node the shim leaves alone. */
static inline int
vsvm_counters(const char *node, struct drm_vsvm_counters *out)
{
   struct drm_vsvm_stats st;
   int fd, ret = 0;

   memset(out, 0, sizeof(*out));
   if (!node)
      return -EINVAL;
   fd = open(node, O_RDWR | O_CLOEXEC);
   if (fd < 0)
      return -errno;
   memset(&st, 0, sizeof(st));
   if (ioctl(fd, DRM_IOCTL_VSVM_STATS, &st) != 0)
      ret = -errno;
   else
      *out = st.device;
   close(fd);
   return ret;
}

enum page_state { PAGE_PRESENT, PAGE_SWAPPED, PAGE_NONE, PAGE_UNKNOWN };

/* How many of n pages at p are in the given state (pagemap.h): present,
 * swap-type (device-exclusive or in device memory), or neither. */
static inline unsigned
count_pages(const void *p, unsigned n, enum page_state want)
{
   unsigned hits = 0;

   for (unsigned i = 0; i < n; i++) {
      const char *a = (const char *)p + (size_t)i * SHIM_VIEW_PAGE;
      uint64_t e;
      enum page_state st = PAGE_UNKNOWN;

      if (nvsvm_pm_entry(a, &e) == 0) {
         if (e & NVSVM_PM_PRESENT)
            st = PAGE_PRESENT;
         else if (e & NVSVM_PM_SWAP)
            st = PAGE_SWAPPED;
         else
            st = PAGE_NONE;
      }
      hits += st == want;
   }
   return hits;
}

#endif
