/* SPDX-License-Identifier: MIT */
/*
 * The hmm backend: the kernel's HMM test device (/dev/hmm_dmirrorN,
 * CONFIG_TEST_HMM), which runs the real make_device_exclusive path.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "nvsvm_backend_hmm.h"
#include "nvsvm_os.h"
#include "nvsvm_priv.h"
#include "nvsvm_time.h"

/*
 * lib/test_hmm_uapi.h is a private test uAPI with no packaged header, so
 * we keep our own copy of its argument. It is 40 bytes on every kernel
 * that has the device; only the ioctl numbers moved (in 6.0).
 */
struct nvsvm_hmm_cmd {
   uint64_t addr;    /* in: first page the device touches */
   uint64_t ptr;     /* in: user buffer the data is copied to/from */
   uint64_t npages;  /* in */
   uint64_t cpages;  /* out: pages copied */
   uint64_t faults;  /* out: device faults taken */
};
_Static_assert(sizeof(struct nvsvm_hmm_cmd) == 40,
               "hmm_dmirror_cmd is five __u64");

#define NVSVM_HMM_IOC(nr) _IOWR('H', (nr), struct nvsvm_hmm_cmd)

/*
 * Pinned per kernel major.minor, each checked against lib/test_hmm_uapi.h
 * of that kernel's source: 6.1 and 6.12 from Debian's linux-source
 * packages, 7.2 from sid's linux-source-7.2 (7.2.13, which adds
 * RELEASE and FLAGS at 0x07 and 0x08; the ones used here did not move),
 * 6.6 from the 6.6.14 tree. Anything else is refused until someone
 * checks its header.
 */
static const struct nvsvm_hmm_uapi nvsvm_hmm_uapis[] = {
   { "6.1", 6, 1, 0, 1, 2, 3, 4, 5, 6 },
   { "6.6", 6, 6, 0, 1, 2, 3, 4, 5, 6 },
   { "6.12", 6, 12, 0, 1, 2, 3, 4, 5, 6 },
   { "7.2", 7, 2, 0, 1, 2, 3, 4, 5, 6 },
};

/* EXCLUSIVE fails -EBUSY while a page races; retry, but never forever. */
#define NVSVM_HMM_MAX_TRIES   64
#define NVSVM_HMM_MAX_WAIT_NS (2ull * 1000 * 1000 * 1000)

struct nvsvm_hmm_dev {
   const struct nvsvm_hmm_uapi *uapi;
   unsigned index;   /* N of /dev/hmm_dmirrorN */
};

/* "6.12.38-amd64" -> 6, 12. */
static int
hmm_parse_version(const char *s, unsigned *major, unsigned *minor)
{
   char *end;
   unsigned long a, b;

   if (!s || *s < '0' || *s > '9')
      return -NVSVM_E_PARSE;
   a = strtoul(s, &end, 10);
   if (*end != '.' || end[1] < '0' || end[1] > '9')
      return -NVSVM_E_PARSE;
   b = strtoul(end + 1, &end, 10);
   if (a > 1000 || b > 1000)
      return -NVSVM_E_PARSE;
   *major = (unsigned)a;
   *minor = (unsigned)b;
   return 0;
}

int
nvsvm_hmm_uapi_select(const char *release, const char *override,
                      const struct nvsvm_hmm_uapi **out)
{
   const char *which = override && *override ? override : release;
   unsigned major, minor;

   *out = NULL;
   if (hmm_parse_version(which, &major, &minor) != 0)
      return -NVSVM_E_KERNEL_UNKNOWN;
   for (unsigned i = 0; i < sizeof(nvsvm_hmm_uapis) /
                            sizeof(nvsvm_hmm_uapis[0]); i++) {
      if (nvsvm_hmm_uapis[i].major == major &&
          nvsvm_hmm_uapis[i].minor == minor) {
         *out = &nvsvm_hmm_uapis[i];
         return 0;
      }
   }
   return -NVSVM_E_KERNEL_UNKNOWN;
}

const char *
nvsvm_hmm_uapi_pinned_list(void)
{
   return "6.1 6.6 6.12 7.2";
}

/*
 * Which hmm_dmirror is this fd? The device has neither class nor bus, so
 * its uevent is empty; the /sys/dev/char link still ends in its name.
 * The path we were opened by is the fallback when sysfs is not mounted.
 */
static int
hmm_identify(struct nvsvm_device *dev, unsigned *index)
{
   char link[64], target[256];
   struct stat st;
   const char *base;
   ssize_t n;
   char tail;

   if (fstat(dev->fd, &st) != 0)
      return -errno;
   if (!S_ISCHR(st.st_mode))
      return -NVSVM_E_NOT_SUPPORTED;

   snprintf(link, sizeof(link), "/sys/dev/char/%u:%u",
            major(st.st_rdev), minor(st.st_rdev));
   n = readlink(link, target, sizeof(target) - 1);
   if (n > 0) {
      target[n] = '\0';
      base = strrchr(target, '/');
      base = base ? base + 1 : target;
   } else {
      base = strrchr(dev->info.path, '/');
      base = base ? base + 1 : dev->info.path;
   }
   /* Exactly "hmm_dmirror<N>": nothing may follow the number. */
   if (sscanf(base, "hmm_dmirror%u%c", index, &tail) == 1)
      return 0;
   return -NVSVM_E_NOT_SUPPORTED;
}

static int
hmm_probe(struct nvsvm_device *dev)
{
   const char *override = nvsvm_getenv("NVSVM_HMM_UAPI");
   const struct nvsvm_hmm_uapi *uapi;
   struct nvsvm_hmm_dev *hd;
   struct utsname uts;
   unsigned index;
   int ret;

   ret = hmm_identify(dev, &index);
   if (ret)
      return ret;

   if (uname(&uts) != 0)
      return -errno;
   ret = nvsvm_hmm_uapi_select(uts.release, override, &uapi);
   if (ret) {
      /* A refusal the user must act on: say it even without NVSVM_DEBUG. */
      fprintf(stderr,
              "nvsvm: hmm_dmirror uAPI numbers are not pinned for kernel "
              "%s%s%s (pinned: %s); if its lib/test_hmm_uapi.h matches "
              "one of them, set NVSVM_HMM_UAPI to that version\n",
              override && *override ? override : uts.release,
              override && *override ? " from NVSVM_HMM_UAPI, running " : "",
              override && *override ? uts.release : "",
              nvsvm_hmm_uapi_pinned_list());
      return ret;
   }

   hd = calloc(1, sizeof(*hd));
   if (!hd)
      return -ENOMEM;
   hd->uapi = uapi;
   hd->index = index;
   dev->backend_data = hd;

   snprintf(dev->info.driver, sizeof(dev->info.driver), "hmm_dmirror");
   /* No driver version exists: report the kernel whose numbers we use. */
   dev->info.version_major = (int)uapi->major;
   dev->info.version_minor = (int)uapi->minor;
   dev->info.version_patchlevel = 0;
   nvsvm_debug("%s: hmm_dmirror%u, uAPI pinned for %s%s", dev->info.path,
               index, uapi->name,
               override && *override ? " (NVSVM_HMM_UAPI)" : "");
   return 0;
}

static void
hmm_destroy(struct nvsvm_device *dev)
{
   free(dev->backend_data);
   dev->backend_data = NULL;
}

static const struct nvsvm_hmm_uapi *
hmm_uapi(struct nvsvm_device *dev)
{
   return ((struct nvsvm_hmm_dev *)dev->backend_data)->uapi;
}

static int
hmm_ioctl(struct nvsvm_device *dev, unsigned nr, struct nvsvm_hmm_cmd *cmd)
{
   int ret;

   do {
      ret = ioctl(dev->fd, NVSVM_HMM_IOC(nr), cmd);
   } while (ret < 0 && errno == EINTR);
   return ret < 0 ? -errno : 0;
}

static void
hmm_count(uint64_t *counter, uint64_t n)
{
   __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/*
 * The bounce buffer the kernel copies page data to. Callers that do not
 * want the data still need one: one page lives on the stack.
 */
struct hmm_bounce {
   void *ptr;
   void *heap;
   unsigned char page[NVSVM_PAGE_SIZE];
};

static int
hmm_bounce_get(struct hmm_bounce *b, void *want, uint64_t npages)
{
   b->heap = NULL;
   if (want) {
      b->ptr = want;
      return 0;
   }
   if (npages == 1) {
      b->ptr = b->page;
      return 0;
   }
   if (npages > SIZE_MAX / NVSVM_PAGE_SIZE)
      return -EINVAL;
   b->heap = malloc(npages * NVSVM_PAGE_SIZE);
   if (!b->heap)
      return -ENOMEM;
   b->ptr = b->heap;
   return 0;
}

static int
hmm_atomic_fault(struct nvsvm_device *dev, uint64_t addr, uint64_t npages,
                 void *copy_out)
{
   struct hmm_bounce b;
   uint64_t deadline = 0;
   unsigned tries = 0;
   int ret;

   ret = hmm_bounce_get(&b, copy_out, npages);
   if (ret)
      return ret;

   for (;;) {
      struct nvsvm_hmm_cmd cmd = {
         .addr = addr,
         .ptr = (uintptr_t)b.ptr,
         .npages = npages,
      };

      ret = hmm_ioctl(dev, hmm_uapi(dev)->exclusive, &cmd);
      tries++;
      if (ret == 0) {
         hmm_count(&dev->stats.conversions, npages);
         break;
      }
      /*
       * -EBUSY: a page could not be made exclusive (raced, or THP on
       * kernels <= 6.14). -ENOENT: it was converted but the CPU took it
       * back before the copy. Both are what a GPU would replay.
       */
      if (ret != -EBUSY && ret != -EAGAIN && ret != -ENOENT)
         break;
      if (tries == 1)
         deadline = nvsvm_time_ns() + NVSVM_HMM_MAX_WAIT_NS;
      if (tries >= NVSVM_HMM_MAX_TRIES || nvsvm_time_ns() > deadline) {
         nvsvm_debug("hmm: EXCLUSIVE 0x%llx+%llu still %s after %u tries",
                     (unsigned long long)addr, (unsigned long long)npages,
                     nvsvm_error_name(ret), tries);
         break;
      }
      hmm_count(&dev->stats.retries, 1);
   }
   free(b.heap);
   return ret;
}

/*
 * The device's CHECK_EXCLUSIVE says -EPERM while ANY page of the range is
 * exclusive; the public call promises "every page", so ask per page.
 */
static int
hmm_check_exclusive(struct nvsvm_device *dev, uint64_t addr,
                    uint64_t npages)
{
   for (uint64_t i = 0; i < npages; i++) {
      struct nvsvm_hmm_cmd cmd = {
         .addr = addr + i * NVSVM_PAGE_SIZE,
         .npages = 1,
      };
      int ret = hmm_ioctl(dev, hmm_uapi(dev)->check_exclusive, &cmd);

      if (ret == 0)
         return 0;
      if (ret != -EPERM)
         return ret;
   }
   return 1;
}

static int
hmm_dev_read(struct nvsvm_device *dev, uint64_t addr, uint64_t npages,
             void *out)
{
   struct nvsvm_hmm_cmd cmd = {
      .addr = addr, .ptr = (uintptr_t)out, .npages = npages,
   };

   return hmm_ioctl(dev, hmm_uapi(dev)->read, &cmd);
}

static int
hmm_dev_write(struct nvsvm_device *dev, uint64_t addr, uint64_t npages,
              const void *in)
{
   struct nvsvm_hmm_cmd cmd = {
      .addr = addr, .ptr = (uintptr_t)in, .npages = npages,
   };

   return hmm_ioctl(dev, hmm_uapi(dev)->write, &cmd);
}

/*
 * MIGRATE_TO_DEV's cpages counts the pages the device can read back
 * afterwards, which includes pages it already held exclusive and never
 * moved; count what really sits in device memory from a snapshot.
 */
static int
hmm_count_in_dev_mem(struct nvsvm_device *dev, uint64_t addr,
                     uint64_t npages, uint64_t *count)
{
   uint8_t perms[64];
   int ret;

   *count = 0;
   for (uint64_t done = 0; done < npages;) {
      uint64_t n = npages - done < 64 ? npages - done : 64;
      struct nvsvm_hmm_cmd cmd = {
         .addr = addr + done * NVSVM_PAGE_SIZE,
         .ptr = (uintptr_t)perms,
         .npages = n,
      };

      ret = hmm_ioctl(dev, hmm_uapi(dev)->snapshot, &cmd);
      if (ret)
         return ret;
      for (uint64_t i = 0; i < n; i++)
         *count += (perms[i] & 0xf0) == NVSVM_SNAP_DEV_PRIVATE_LOCAL;
      done += n;
   }
   return 0;
}

static int
hmm_migrate_to_dev_mem(struct nvsvm_device *dev, uint64_t addr,
                       uint64_t npages, uint64_t *migrated)
{
   struct hmm_bounce b;
   struct nvsvm_hmm_cmd cmd = { .addr = addr, .npages = npages };
   int ret;

   *migrated = 0;
   /* The device copies what it holds back for verification. */
   ret = hmm_bounce_get(&b, NULL, npages);
   if (ret)
      return ret;
   cmd.ptr = (uintptr_t)b.ptr;
   ret = hmm_ioctl(dev, hmm_uapi(dev)->migrate_to_dev, &cmd);
   free(b.heap);
   if (ret)
      return ret;
   return hmm_count_in_dev_mem(dev, addr, npages, migrated);
}

static int
hmm_migrate_to_sys_mem(struct nvsvm_device *dev, uint64_t addr,
                       uint64_t npages, uint64_t *migrated)
{
   struct nvsvm_hmm_cmd cmd = { .addr = addr, .npages = npages };
   int ret;

   /* Here cpages is exact: pages migrate_vma really moved home. */
   ret = hmm_ioctl(dev, hmm_uapi(dev)->migrate_to_sys, &cmd);
   *migrated = cmd.cpages;
   return ret;
}

static int
hmm_snapshot(struct nvsvm_device *dev, uint64_t addr, uint64_t npages,
             uint8_t *perms)
{
   struct nvsvm_hmm_cmd cmd = {
      .addr = addr, .ptr = (uintptr_t)perms, .npages = npages,
   };

   /* The test device's PROT bytes are the public NVSVM_SNAP_* values. */
   return hmm_ioctl(dev, hmm_uapi(dev)->snapshot, &cmd);
}

/* One page per call: the device reports the first word of each page. */
static int
hmm_device_convert(struct nvsvm_device *dev, uint64_t addr,
                   uint64_t npages, uint64_t *seen)
{
   unsigned char *buf;
   struct hmm_bounce b;
   int ret;

   ret = hmm_bounce_get(&b, NULL, npages);
   if (ret)
      return ret;
   ret = hmm_atomic_fault(dev, addr, npages, b.ptr);
   buf = b.ptr;
   for (uint64_t i = 0; ret == 0 && i < npages; i++)
      memcpy(&seen[i], buf + i * NVSVM_PAGE_SIZE, sizeof(seen[i]));
   free(b.heap);
   return ret;
}

const struct nvsvm_backend_ops nvsvm_backend_hmm = {
   .kind = NVSVM_BACKEND_HMM,
   .name = "hmm",
   .probe = hmm_probe,
   .destroy = hmm_destroy,
   .atomic_fault = hmm_atomic_fault,
   .atomic_range_fault = nvsvm_hmm_atomic_range_fault,
   .check_exclusive = hmm_check_exclusive,
   .dev_read = hmm_dev_read,
   .dev_write = hmm_dev_write,
   .migrate_to_dev_mem = hmm_migrate_to_dev_mem,
   .migrate_to_sys_mem = hmm_migrate_to_sys_mem,
   .snapshot = hmm_snapshot,
   .device_convert = hmm_device_convert,
};
