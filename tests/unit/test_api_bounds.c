/* SPDX-License-Identifier: MIT */
/*
 * Every exported function of libnvsvm called with boundary arguments:
 * INT_MIN, INT_MAX, SIZE_MAX, UINT64_MAX, 0, negative errnos that are
 * not ours, NULL where the API refuses it. Each call must give a named
 * error or a defined result; the unit suite runs this under ASan and
 * UBSan, so undefined behaviour on the way fails it too.
 *
 * One case per exported symbol, each in a process of its own. The list
 * of cases is checked against nvsvm.symbols (NVSVM_SYMBOLS, set by
 * meson): a new export without a case here fails the first test.
 */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "drm-uapi/nouveau_drm.h"
#include "nvsvm/nvsvm.h"
#include "nvsvm/nvsvm_placement.h"
#include "nvsvm/nvsvm_telemetry.h"
#include "harness.h"
#include "nvsvm_test_dev.h"

#define PG 4096u

/* Errors that are not ours, and the edges of ours. */
static const int bad_errs[] = {
   INT_MIN, INT_MIN + 1, -NVSVM_E_BASE - 1000, -NVSVM_E_BASE - 1,
   -NVSVM_E_BASE, -NVSVM_E_BASE + 1, -4095, -EMEDIUMTYPE, -EHWPOISON,
   -1, 0, 1, EINVAL, NVSVM_E_BASE, INT_MAX,
};
#define NBAD_ERRS (sizeof(bad_errs) / sizeof(bad_errs[0]))

static const int bad_ints[] = { INT_MIN, -1, 0, 1, 64, INT_MAX };
#define NBAD_INTS (sizeof(bad_ints) / sizeof(bad_ints[0]))

static const uint64_t bad_u64[] = {
   0, 1, PG - 1, PG, UINT32_MAX, (uint64_t)INT64_MAX, UINT64_MAX - PG,
   UINT64_MAX,
};
#define NBAD_U64 (sizeof(bad_u64) / sizeof(bad_u64[0]))

/* A result: >= 0, or a negative errno that nvsvm_error_name() knows. */
static void
expect_named(const char *what, long ret)
{
   if (ret >= 0)
      return;
   if (ret < INT_MIN || strcmp(nvsvm_error_name((int)ret), "UNKNOWN") == 0)
      MARK_FAIL("%s = %ld: not a named error", what, ret);
}

/* A refusal: a negative, named errno. */
static void
expect_refused(const char *what, long ret)
{
   if (ret >= 0)
      MARK_FAIL("%s = %ld: accepted, should be refused", what, ret);
   else
      expect_named(what, ret);
}

static void
expect_string(const char *what, const char *s)
{
   if (!s || !*s)
      MARK_FAIL("%s: %s string", what, s ? "empty" : "NULL");
}

#define NAMED(call) expect_named(#call, (long)(call))
#define REFUSED(call) expect_refused(#call, (long)(call))
#define STRING(call) expect_string(#call, (call))

/* A page of private anonymous memory, and a device on /dev/null. */
static char *
page(void)
{
   char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   if (p == MAP_FAILED)
      SKIP("no memory for a test page: %s", strerror(errno));
   p[0] = 1;
   return p;
}

static struct nvsvm_device *
devnull(void)
{
   struct nvsvm_device *dev = nvsvm_test_devnull_nouveau();

   if (!dev)
      SKIP("cannot open /dev/null for a test device");
   return dev;
}

/* ---------------------------------------------------------- names */

static void
bounds_nvsvm_error_name(void)
{
   for (unsigned i = 0; i < NBAD_ERRS; i++)
      STRING(nvsvm_error_name(bad_errs[i]));
   ASSERT_STREQ(nvsvm_error_name(INT_MIN), "UNKNOWN");
   ASSERT_STREQ(nvsvm_error_name(-EMEDIUMTYPE), "EMEDIUMTYPE");
}

static void
bounds_nvsvm_strerror(void)
{
   for (unsigned i = 0; i < NBAD_ERRS; i++)
      STRING(nvsvm_strerror(bad_errs[i]));
   ASSERT_STREQ(nvsvm_strerror(INT_MIN), "unknown error");
}

static void
bounds_nvsvm_svm_init_strerror(void)
{
   for (unsigned i = 0; i < NBAD_ERRS; i++)
      STRING(nvsvm_svm_init_strerror(bad_errs[i]));
}

static void
bounds_nvsvm_backend_name(void)
{
   for (unsigned i = 0; i < NBAD_INTS; i++)
      STRING(nvsvm_backend_name((enum nvsvm_backend_kind)bad_ints[i]));
}

static void
bounds_nvsvm_chipset_family(void)
{
   static const uint32_t ids[] = { 0, 1, 0x130, 0xfff, UINT32_MAX };

   for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
      STRING(nvsvm_chipset_family(ids[i]));
}

static void
bounds_nvsvm_range_reason_name(void)
{
   for (unsigned i = 0; i < NBAD_INTS; i++)
      STRING(nvsvm_range_reason_name((enum nvsvm_range_reason)bad_ints[i]));
   ASSERT_STREQ(nvsvm_range_reason_name((enum nvsvm_range_reason)INT_MIN),
                "UNKNOWN");
}

static void
bounds_nvsvm_range_reason_str(void)
{
   for (unsigned i = 0; i < NBAD_INTS; i++)
      STRING(nvsvm_range_reason_str((enum nvsvm_range_reason)bad_ints[i]));
}

static void
bounds_nvsvm_range_warning_str(void)
{
   for (unsigned i = 0; i < NBAD_INTS; i++)
      STRING(nvsvm_range_warning_str((enum nvsvm_range_warning)bad_ints[i]));
}

/* NULL for anything but a known event, as documented. */
static void
bounds_nvsvm_event_name(void)
{
   for (unsigned i = 0; i < NBAD_INTS; i++) {
      const char *s = nvsvm_event_name((enum nvsvm_event)bad_ints[i]);

      if (bad_ints[i] >= 0 && bad_ints[i] < NVSVM_EVENT_COUNT)
         STRING(s);
      else
         ASSERT_TRUE(s == NULL);
   }
}

/* NULL for anything but one known bit, as documented. */
static void
bounds_nvsvm_advice_name(void)
{
   for (unsigned i = 0; i < NBAD_INTS; i++) {
      const char *s = nvsvm_advice_name((enum nvsvm_advice)bad_ints[i]);

      if (bad_ints[i] == 1)
         STRING(s);
      else
         ASSERT_TRUE(s == NULL);
   }
}

static void
bounds_nvsvm_advice_str(void)
{
   for (unsigned i = 0; i < NBAD_INTS; i++) {
      const char *s = nvsvm_advice_str((enum nvsvm_advice)bad_ints[i]);

      if (bad_ints[i] == 1)
         STRING(s);
      else
         ASSERT_TRUE(s == NULL);
   }
}

static void
bounds_nvsvm_kernel_thp_blocks_exclusive(void)
{
   static const char *const rel[] = {
      "", ".", "6.", "-1.-1", "4294967296.4294967296",
      "99999999999999999999.1", "6.14", "6.15", "2147483647.2147483647",
   };

   for (unsigned i = 0; i < sizeof(rel) / sizeof(rel[0]); i++)
      NAMED(nvsvm_kernel_thp_blocks_exclusive(rel[i]));
   NAMED(nvsvm_kernel_thp_blocks_exclusive(NULL));
   REFUSED(nvsvm_kernel_thp_blocks_exclusive(""));
}

static void
bounds_nvsvm_pagemap_residency(void)
{
   for (unsigned i = 0; i < NBAD_U64; i++) {
      enum nvsvm_page_residency r = nvsvm_pagemap_residency(bad_u64[i]);

      ASSERT_TRUE(r == NVSVM_PAGE_UNPOPULATED || r == NVSVM_PAGE_CPU ||
                  r == NVSVM_PAGE_DEVICE);
   }
}

static void
bounds_nvsvm_telemetry_now_ns(void)
{
   ASSERT_TRUE(nvsvm_telemetry_now_ns() > 0);
}

/* --------------------------------------------------------- window */

static void
bounds_nvsvm_window_size_for_vram(void)
{
   for (unsigned i = 0; i < NBAD_U64; i++) {
      uint64_t s = nvsvm_window_size_for_vram(bad_u64[i]);

      ASSERT_TRUE(s >= NVSVM_WINDOW_MIN_SIZE && s <= NVSVM_WINDOW_MAX_SIZE);
      ASSERT_TRUE((s & (s - 1)) == 0);
   }
}

static void
bounds_nvsvm_window_reserve(void)
{
   struct nvsvm_window w;

   for (unsigned i = 0; i < NBAD_U64; i++) {
      for (unsigned k = 0; k < NBAD_U64; k++) {
         memset(&w, 0, sizeof(w));
         /* Sizes past the maximum, or not powers of two, are refused. */
         NAMED(nvsvm_window_reserve(bad_u64[i], bad_u64[k], UINT64_MAX, &w));
         nvsvm_window_release(&w);
         memset(&w, 0, sizeof(w));
         NAMED(nvsvm_window_reserve(bad_u64[i], 0, bad_u64[k], &w));
         nvsvm_window_release(&w);
      }
   }
   REFUSED(nvsvm_window_reserve(NVSVM_WINDOW_MIN_SIZE, 0, 0, NULL));
   REFUSED(nvsvm_window_reserve(UINT64_MAX, 0, 0, &w));
   REFUSED(nvsvm_window_reserve(0, 0, 0, &w));
}

static void
bounds_nvsvm_window_release(void)
{
   struct nvsvm_window w = { .addr = UINT64_MAX - PG, .size = UINT64_MAX };

   nvsvm_window_release(NULL);
   nvsvm_window_release(&w);   /* not reserved: nothing to unmap */
   w.reserved = false;
   nvsvm_window_release(&w);
}

/* --------------------------------------------------------- device */

static void
bounds_nvsvm_drm_enumerate(void)
{
   struct nvsvm_drm_node nodes[2];
   unsigned count = UINT_MAX;

   NAMED(nvsvm_drm_enumerate(NULL, 0, &count));
   NAMED(nvsvm_drm_enumerate(nodes, 2, &count));
   REFUSED(nvsvm_drm_enumerate(nodes, 2, NULL));
   REFUSED(nvsvm_drm_enumerate(NULL, UINT_MAX, &count));
}

static void
bounds_nvsvm_device_open(void)
{
   struct nvsvm_device *dev = NULL;
   char *longp = malloc(8192);

   ASSERT_TRUE(longp != NULL);
   memset(longp, 'a', 8191);
   longp[0] = '/';
   longp[8191] = '\0';
   REFUSED(nvsvm_device_open("", &dev));
   REFUSED(nvsvm_device_open(longp, &dev));
   REFUSED(nvsvm_device_open("/dev/null", NULL));
   REFUSED(nvsvm_device_open("/proc/self/maps", &dev));
   free(longp);
   ASSERT_TRUE(dev == NULL);
}

static void
bounds_nvsvm_device_open_fd(void)
{
   struct nvsvm_device *dev = NULL;

   for (unsigned i = 0; i < NBAD_INTS; i++) {
      if (bad_ints[i] >= 0 && bad_ints[i] <= 2)
         continue; /* stdio: a real fd, not a boundary */
      REFUSED(nvsvm_device_open_fd(bad_ints[i], &dev));
   }
   REFUSED(nvsvm_device_open_fd(INT_MAX, NULL));
   ASSERT_TRUE(dev == NULL);
}

static void
bounds_nvsvm_device_close(void)
{
   nvsvm_device_close(NULL);
   nvsvm_device_close(devnull());
}

static void
bounds_nvsvm_device_fd(void)
{
   struct nvsvm_device *dev = devnull();

   ASSERT_TRUE(nvsvm_device_fd(NULL) < 0);
   ASSERT_TRUE(nvsvm_device_fd(dev) >= 0);
   nvsvm_device_close(dev);
}

static void
bounds_nvsvm_device_get_info(void)
{
   struct nvsvm_device *dev = devnull();
   struct nvsvm_device_info info;

   REFUSED(nvsvm_device_get_info(NULL, &info));
   REFUSED(nvsvm_device_get_info(dev, NULL));
   NAMED(nvsvm_device_get_info(dev, &info));
   nvsvm_device_close(dev);
}

static void
bounds_nvsvm_svm_init(void)
{
   struct nvsvm_device *dev = devnull();

   for (unsigned i = 0; i < NBAD_U64; i++) {
      for (unsigned k = 0; k < NBAD_U64; k += 3) {
         struct nvsvm_svm_params p = {
            .window_size = bad_u64[i], .window_hint = bad_u64[k],
         };

         /* /dev/null has no SVM_INIT: never accepted. */
         REFUSED(nvsvm_svm_init(dev, &p));
      }
   }
   REFUSED(nvsvm_svm_init(NULL, NULL));
   REFUSED(nvsvm_svm_init(dev, NULL));
   ASSERT_FALSE(nvsvm_svm_enabled(dev));
   nvsvm_device_close(dev);
}

static void
bounds_nvsvm_vm_init(void)
{
   struct nvsvm_device *dev = devnull();
   struct nvsvm_vm_layout lay;

   for (unsigned i = 0; i < NBAD_U64; i++) {
      for (unsigned k = 0; k < NBAD_U64; k += 3) {
         struct nvsvm_vm_params p = {
            .kernel_managed_size = bad_u64[k],
            .window_size = bad_u64[i], .window_hint = bad_u64[k],
         };

         /* /dev/null has no VM_INIT: never accepted, no window kept. */
         REFUSED(nvsvm_vm_init(dev, &p, &lay));
         ASSERT_U64_EQ(lay.window.size, 0);
      }
   }
   REFUSED(nvsvm_vm_init(NULL, NULL, NULL));
   REFUSED(nvsvm_vm_init(dev, NULL, &lay));
   REFUSED(nvsvm_vm_init(dev, &(struct nvsvm_vm_params){ 0 }, NULL));
   ASSERT_FALSE(nvsvm_svm_enabled(dev));
   nvsvm_device_close(dev);
}

static void
bounds_nvsvm_svm_enabled(void)
{
   struct nvsvm_device *dev = devnull();

   ASSERT_FALSE(nvsvm_svm_enabled(NULL));
   ASSERT_FALSE(nvsvm_svm_enabled(dev));
   nvsvm_device_close(dev);
}

static void
bounds_nvsvm_svm_window(void)
{
   struct nvsvm_device *dev = devnull();
   struct nvsvm_window w;

   REFUSED(nvsvm_svm_window(NULL, &w));
   REFUSED(nvsvm_svm_window(dev, NULL));
   NAMED(nvsvm_svm_window(dev, &w));
   nvsvm_device_close(dev);
}

static void
bounds_nvsvm_bind_encode(void)
{
   struct drm_nouveau_svm_bind out;

   for (unsigned i = 0; i < NBAD_U64; i++) {
      for (unsigned k = 0; k < NBAD_U64; k++) {
         struct nvsvm_bind_req r = {
            .va_start = bad_u64[i], .va_end = bad_u64[k],
            .command = NOUVEAU_SVM_BIND_COMMAND__MIGRATE,
            .target = NOUVEAU_SVM_BIND_TARGET__GPU_VRAM,
            .priority = UINT32_MAX, .stride = bad_u64[(i + k) % NBAD_U64],
         };

         NAMED(nvsvm_bind_encode(&r, &out));
         r.command = UINT32_MAX;
         REFUSED(nvsvm_bind_encode(&r, &out));
         r.command = NOUVEAU_SVM_BIND_COMMAND__MIGRATE;
         r.target = UINT32_MAX;
         REFUSED(nvsvm_bind_encode(&r, &out));
      }
   }
   REFUSED(nvsvm_bind_encode(NULL, &out));
   REFUSED(nvsvm_bind_encode(&(struct nvsvm_bind_req){ 0 }, NULL));
}

/* Ranges every device call below gets: NULL, wrapping, huge, fine. */
struct dev_range {
   void *ptr;
   size_t len;
};

static void
dev_ranges(char *p, struct dev_range *r, unsigned *n)
{
   const struct dev_range all[] = {
      { NULL, 0 }, { NULL, PG }, { p, 0 }, { p, SIZE_MAX },
      { p, SIZE_MAX - PG + 1 }, { p + 1, PG }, { p, PG },
      { (void *)(uintptr_t)(UINTPTR_MAX - PG + 1), PG },
      { (void *)(uintptr_t)(UINTPTR_MAX & ~(uintptr_t)(PG - 1)), SIZE_MAX },
      { (void *)(uintptr_t)PG, (size_t)1 << 47 },
   };

   memcpy(r, all, sizeof(all));
   *n = sizeof(all) / sizeof(all[0]);
}

static void
bounds_nvsvm_atomic_range_fault(void)
{
   struct nvsvm_device *dev = devnull();
   struct nvsvm_atomic_fault_report rep;
   struct dev_range r[16];
   char *p = page();
   unsigned n;

   dev_ranges(p, r, &n);
   for (unsigned i = 0; i < n; i++) {
      NAMED(nvsvm_atomic_range_fault(dev, r[i].ptr, r[i].len, &rep));
      NAMED(nvsvm_atomic_range_fault(dev, r[i].ptr, r[i].len, NULL));
      REFUSED(nvsvm_atomic_range_fault(NULL, r[i].ptr, r[i].len, &rep));
   }
   munmap(p, PG);
   nvsvm_device_close(dev);
}

static void
bounds_nvsvm_migrate_to_device(void)
{
   struct nvsvm_device *dev = devnull();
   struct dev_range r[16];
   char *p = page();
   uint64_t migrated;
   unsigned n;

   dev_ranges(p, r, &n);
   for (unsigned i = 0; i < n; i++) {
      REFUSED(nvsvm_migrate_to_device(dev, r[i].ptr, r[i].len, &migrated));
      REFUSED(nvsvm_migrate_to_device(dev, r[i].ptr, r[i].len, NULL));
      REFUSED(nvsvm_migrate_to_device(NULL, r[i].ptr, r[i].len, NULL));
   }
   munmap(p, PG);
   nvsvm_device_close(dev);
}

static void
bounds_nvsvm_migrate_to_host(void)
{
   static const unsigned flags[] = { 0, 1, 2, 0x80000000u, UINT_MAX };
   struct nvsvm_device *dev = devnull();
   struct dev_range r[16];
   char *p = page();
   unsigned n;

   dev_ranges(p, r, &n);
   for (unsigned i = 0; i < n; i++) {
      for (unsigned f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
         NAMED(nvsvm_migrate_to_host(dev, r[i].ptr, r[i].len, flags[f]));
         REFUSED(nvsvm_migrate_to_host(NULL, r[i].ptr, r[i].len, flags[f]));
      }
   }
   munmap(p, PG);
   nvsvm_device_close(dev);
}

static void
bounds_nvsvm_probe_machine(void)
{
   REFUSED(nvsvm_probe_machine(NULL));
}

/* ---------------------------------------------------------- range */

static void
bounds_nvsvm_range_check(void)
{
   static const unsigned flags[] = { 0, NVSVM_RANGE_REQUIRE_ALIGNED,
                                     NVSVM_RANGE_NO_THP_CHECK, UINT_MAX };
   struct nvsvm_range_report rep;
   struct dev_range r[16];
   char *p = page();
   unsigned n;

   dev_ranges(p, r, &n);
   for (unsigned i = 0; i < n; i++) {
      for (unsigned f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
         int ret = nvsvm_range_check(r[i].ptr, r[i].len, flags[f], &rep);

         expect_named("nvsvm_range_check", ret);
         ASSERT_TRUE((unsigned)rep.reason < NVSVM_RANGE_REASON_COUNT);
         REFUSED(nvsvm_range_check(r[i].ptr, r[i].len, flags[f], NULL));
      }
   }
   munmap(p, PG);
}

/* ---------------------------------------------------------- pools */

static struct nvsvm_pool *
pool(void)
{
   struct nvsvm_pool *pl = NULL;

   ASSERT_EQ(nvsvm_pool_create(NULL, &pl), 0);
   return pl;
}

static void
bounds_nvsvm_pool_create(void)
{
   static const unsigned vals[] = { 0, 1, 64, 65, 0x80000000u, UINT_MAX };
   struct nvsvm_pool *pl;

   for (unsigned i = 0; i < 6; i++) {
      for (unsigned k = 0; k < 6; k++) {
         struct nvsvm_pool_params prm = { .flags = vals[i],
                                          .chunk_pages = vals[k] };

         pl = NULL;
         NAMED(nvsvm_pool_create(&prm, &pl));
         nvsvm_pool_destroy(pl);
      }
   }
   REFUSED(nvsvm_pool_create(NULL, NULL));
   REFUSED(nvsvm_pool_create(&(struct nvsvm_pool_params){
                                .flags = UINT_MAX }, &pl));
   REFUSED(nvsvm_pool_create(&(struct nvsvm_pool_params){
                                .chunk_pages = UINT_MAX }, &pl));
}

static void
bounds_nvsvm_pool_destroy(void)
{
   nvsvm_pool_destroy(NULL);
   nvsvm_pool_destroy(pool());
}

static void
bounds_nvsvm_pool_alloc(void)
{
   static const size_t sizes[] = { 0, 1, PG, PG + 1, SIZE_MAX / 2,
                                   SIZE_MAX };
   struct nvsvm_pool *pl = pool();
   void *out;

   for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
      NAMED(nvsvm_pool_alloc(pl, sizes[i], &out));
      REFUSED(nvsvm_pool_alloc(NULL, sizes[i], &out));
      REFUSED(nvsvm_pool_alloc(pl, sizes[i], NULL));
   }
   REFUSED(nvsvm_pool_alloc(pl, 0, &out));
   REFUSED(nvsvm_pool_alloc(pl, SIZE_MAX, &out));
   nvsvm_pool_destroy(pl);
}

static void
bounds_nvsvm_pool_free(void)
{
   struct nvsvm_pool *pl = pool();
   char stack;
   void *obj;

   ASSERT_EQ(nvsvm_pool_alloc(pl, 8, &obj), 0);
   REFUSED(nvsvm_pool_free(pl, NULL));
   REFUSED(nvsvm_pool_free(NULL, obj));
   REFUSED(nvsvm_pool_free(pl, &stack));
   REFUSED(nvsvm_pool_free(pl, (void *)(uintptr_t)UINTPTR_MAX));
   REFUSED(nvsvm_pool_free(pl, (char *)obj + 1));
   ASSERT_EQ(nvsvm_pool_free(pl, obj), 0);
   REFUSED(nvsvm_pool_free(pl, obj));   /* twice */
   nvsvm_pool_destroy(pl);
}

static void
bounds_nvsvm_pool_get_stats(void)
{
   struct nvsvm_pool *pl = pool();
   struct nvsvm_pool_stats st;

   REFUSED(nvsvm_pool_get_stats(NULL, &st));
   REFUSED(nvsvm_pool_get_stats(pl, NULL));
   NAMED(nvsvm_pool_get_stats(pl, &st));
   nvsvm_pool_destroy(pl);
}

static void
bounds_nvsvm_pool_last_report(void)
{
   struct nvsvm_pool *pl = pool();
   struct nvsvm_range_report rep;

   REFUSED(nvsvm_pool_last_report(NULL, &rep));
   REFUSED(nvsvm_pool_last_report(pl, NULL));
   NAMED(nvsvm_pool_last_report(pl, &rep));
   nvsvm_pool_destroy(pl);
}

static void
bounds_nvsvm_group_create(void)
{
   struct nvsvm_pool *pl = pool();
   struct nvsvm_group *g = NULL;

   REFUSED(nvsvm_group_create(NULL, &g));
   REFUSED(nvsvm_group_create(pl, NULL));
   NAMED(nvsvm_group_create(pl, &g));
   nvsvm_group_destroy(g);
   nvsvm_pool_destroy(pl);
}

static void
bounds_nvsvm_group_alloc(void)
{
   static const size_t vals[] = { 0, 1, 3, 16, PG, PG + 1, SIZE_MAX / 2 + 1,
                                  SIZE_MAX };
   struct nvsvm_pool *pl = pool();
   struct nvsvm_group *g = NULL;
   void *out;

   ASSERT_EQ(nvsvm_group_create(pl, &g), 0);
   for (unsigned i = 0; i < 8; i++) {
      for (unsigned k = 0; k < 8; k++) {
         NAMED(nvsvm_group_alloc(g, vals[i], vals[k], &out));
         REFUSED(nvsvm_group_alloc(NULL, vals[i], vals[k], &out));
         REFUSED(nvsvm_group_alloc(g, vals[i], vals[k], NULL));
      }
   }
   REFUSED(nvsvm_group_alloc(g, SIZE_MAX, 16, &out));
   REFUSED(nvsvm_group_alloc(g, 8, SIZE_MAX, &out));
   REFUSED(nvsvm_group_alloc(g, 8, 3, &out));
   nvsvm_group_destroy(g);
   nvsvm_pool_destroy(pl);
}

static void
bounds_nvsvm_group_pages(void)
{
   struct nvsvm_pool *pl = pool();
   struct nvsvm_group *g = NULL;

   ASSERT_EQ(nvsvm_group_pages(NULL), 0);
   ASSERT_EQ(nvsvm_group_create(pl, &g), 0);
   ASSERT_EQ(nvsvm_group_pages(g), 0);
   nvsvm_group_destroy(g);
   nvsvm_pool_destroy(pl);
}

static void
bounds_nvsvm_group_destroy(void)
{
   nvsvm_group_destroy(NULL);
}

/* ------------------------------------------------------ telemetry */

static struct nvsvm_telemetry *
telemetry(void)
{
   struct nvsvm_telemetry *tm = NULL;

   ASSERT_EQ(nvsvm_telemetry_create(NULL, &tm), 0);
   return tm;
}

/* A telemetry watching one page (id in *id) of page p. */
static struct nvsvm_telemetry *
watching(char *p, unsigned *id)
{
   struct nvsvm_telemetry *tm = telemetry();

   ASSERT_EQ(nvsvm_telemetry_watch(tm, p, PG, NULL, id), 0);
   return tm;
}

static void
bounds_nvsvm_telemetry_create(void)
{
   struct nvsvm_telemetry *tm;

   for (unsigned i = 0; i < NBAD_U64; i++) {
      struct nvsvm_thrash_params prm = {
         .lapse_ns = bad_u64[i], .threshold = UINT_MAX,
         .reset_ns = bad_u64[NBAD_U64 - 1 - i],
      };

      tm = NULL;
      NAMED(nvsvm_telemetry_create(&prm, &tm));
      nvsvm_telemetry_destroy(tm);
   }
   REFUSED(nvsvm_telemetry_create(NULL, NULL));
}

static void
bounds_nvsvm_telemetry_destroy(void)
{
   nvsvm_telemetry_destroy(NULL);
   nvsvm_telemetry_destroy(telemetry());
}

static void
bounds_nvsvm_telemetry_watch(void)
{
   static const size_t vals[] = { 0, 1, PG, SIZE_MAX / 2 + 1, SIZE_MAX };
   struct nvsvm_telemetry *tm = telemetry();
   struct dev_range r[16];
   char *p = page();
   unsigned n, id;

   dev_ranges(p, r, &n);
   for (unsigned i = 0; i < n; i++) {
      for (unsigned k = 0; k < 5; k++) {
         struct nvsvm_watch_params prm = {
            .name = "bounds", .object_size = vals[k],
            .object_stride = vals[4 - k],
         };
         int ret = nvsvm_telemetry_watch(tm, r[i].ptr, r[i].len, &prm, &id);

         expect_named("nvsvm_telemetry_watch", ret);
         if (ret == 0)
            nvsvm_telemetry_unwatch(tm, id);
         REFUSED(nvsvm_telemetry_watch(NULL, r[i].ptr, r[i].len, &prm,
                                       &id));
      }
   }
   REFUSED(nvsvm_telemetry_watch(tm, p, SIZE_MAX, NULL, &id));
   REFUSED(nvsvm_telemetry_watch(tm, NULL, PG, NULL, &id));
   nvsvm_telemetry_destroy(tm);
   munmap(p, PG);
}

static void
bounds_nvsvm_telemetry_unwatch(void)
{
   struct nvsvm_telemetry *tm = telemetry();

   REFUSED(nvsvm_telemetry_unwatch(NULL, 0));
   REFUSED(nvsvm_telemetry_unwatch(tm, 0));
   REFUSED(nvsvm_telemetry_unwatch(tm, UINT_MAX));
   nvsvm_telemetry_destroy(tm);
}

static void
bounds_nvsvm_telemetry_record(void)
{
   char *p = page();
   unsigned id;
   struct nvsvm_telemetry *tm = watching(p, &id);

   for (unsigned i = 0; i < NBAD_INTS; i++) {
      for (unsigned k = 0; k < NBAD_U64; k++) {
         NAMED(nvsvm_telemetry_record(tm, p, (enum nvsvm_event)bad_ints[i],
                                      bad_u64[k]));
         NAMED(nvsvm_telemetry_record(tm, NULL, (enum nvsvm_event)bad_ints[i],
                                      bad_u64[k]));
      }
   }
   REFUSED(nvsvm_telemetry_record(NULL, p, NVSVM_EVENT_CONVERSION, 0));
   REFUSED(nvsvm_telemetry_record(tm, p, (enum nvsvm_event)INT_MIN, 0));
   REFUSED(nvsvm_telemetry_record(tm, (void *)(uintptr_t)UINTPTR_MAX,
                                  NVSVM_EVENT_CONVERSION, 0));
   nvsvm_telemetry_destroy(tm);
   munmap(p, PG);
}

static void
bounds_nvsvm_telemetry_add_device_counts(void)
{
   char *p = page();
   unsigned id;
   struct nvsvm_telemetry *tm = watching(p, &id);
   struct nvsvm_range_stats st;

   for (unsigned i = 0; i < NBAD_U64; i++)
      NAMED(nvsvm_telemetry_add_device_counts(tm, id, bad_u64[i],
                                              bad_u64[i]));
   NAMED(nvsvm_telemetry_range_stats(tm, id, UINT64_MAX, &st));
   REFUSED(nvsvm_telemetry_add_device_counts(NULL, id, 1, 1));
   REFUSED(nvsvm_telemetry_add_device_counts(tm, UINT_MAX, 1, 1));
   nvsvm_telemetry_destroy(tm);
   munmap(p, PG);
}

static void
bounds_nvsvm_telemetry_feed_pagemap(void)
{
   static const uint64_t entries[4] = { 0, UINT64_MAX, 1ull << 63,
                                        1ull << 62 };
   static const size_t ns[] = { 0, 1, 2, SIZE_MAX / 8 + 1, SIZE_MAX };
   char *p = page();
   unsigned id;
   struct nvsvm_telemetry *tm = watching(p, &id);

   for (unsigned i = 0; i < 5; i++) {
      for (unsigned k = 0; k < NBAD_U64; k++) {
         if (ns[i] <= 1) {
            NAMED(nvsvm_telemetry_feed_pagemap(tm, id, entries, ns[i],
                                               bad_u64[k]));
            NAMED(nvsvm_telemetry_feed_pagemap(tm, id, entries + 1, ns[i],
                                               bad_u64[k]));
         } else {
            /* More entries than the range has pages: never read. */
            REFUSED(nvsvm_telemetry_feed_pagemap(tm, id, entries, ns[i],
                                                 bad_u64[k]));
         }
      }
   }
   REFUSED(nvsvm_telemetry_feed_pagemap(tm, id, NULL, 1, 0));
   REFUSED(nvsvm_telemetry_feed_pagemap(NULL, id, entries, 1, 0));
   REFUSED(nvsvm_telemetry_feed_pagemap(tm, UINT_MAX, entries, 1, 0));
   nvsvm_telemetry_destroy(tm);
   munmap(p, PG);
}

static void
bounds_nvsvm_telemetry_sample(void)
{
   char *p = page();
   unsigned id;
   struct nvsvm_telemetry *tm = watching(p, &id);

   for (unsigned k = 0; k < NBAD_U64; k++)
      NAMED(nvsvm_telemetry_sample(tm, bad_u64[NBAD_U64 - 1 - k]));
   REFUSED(nvsvm_telemetry_sample(NULL, 0));
   nvsvm_telemetry_destroy(tm);
   munmap(p, PG);
}

static void
bounds_nvsvm_telemetry_page_thrashing(void)
{
   char *p = page();
   unsigned id;
   struct nvsvm_telemetry *tm = watching(p, &id);

   for (unsigned k = 0; k < NBAD_U64; k++) {
      NAMED(nvsvm_telemetry_record(tm, p, NVSVM_EVENT_CONVERSION,
                                   bad_u64[k]));
      NAMED(nvsvm_telemetry_page_thrashing(tm, p, bad_u64[k]));
      NAMED(nvsvm_telemetry_page_thrashing(tm, NULL, bad_u64[k]));
      NAMED(nvsvm_telemetry_page_thrashing(
         tm, (void *)(uintptr_t)UINTPTR_MAX, bad_u64[k]));
   }
   REFUSED(nvsvm_telemetry_page_thrashing(NULL, p, 0));
   nvsvm_telemetry_destroy(tm);
   munmap(p, PG);
}

static void
bounds_nvsvm_telemetry_thrashing_pages(void)
{
   char *p = page();
   unsigned id, count;
   struct nvsvm_telemetry *tm = watching(p, &id);
   uint64_t addrs[2];

   for (unsigned k = 0; k < NBAD_U64; k++) {
      NAMED(nvsvm_telemetry_record(tm, p, NVSVM_EVENT_REVOCATION,
                                   bad_u64[k]));
      NAMED(nvsvm_telemetry_thrashing_pages(tm, id, bad_u64[k], NULL, 0,
                                            &count));
      NAMED(nvsvm_telemetry_thrashing_pages(tm, id, bad_u64[k], addrs, 2,
                                            &count));
   }
   REFUSED(nvsvm_telemetry_thrashing_pages(NULL, id, 0, addrs, 2, &count));
   REFUSED(nvsvm_telemetry_thrashing_pages(tm, UINT_MAX, 0, addrs, 2,
                                           &count));
   REFUSED(nvsvm_telemetry_thrashing_pages(tm, id, 0, addrs, 2, NULL));
   REFUSED(nvsvm_telemetry_thrashing_pages(tm, id, 0, NULL, UINT_MAX,
                                           &count));
   nvsvm_telemetry_destroy(tm);
   munmap(p, PG);
}

static void
bounds_nvsvm_telemetry_range_stats(void)
{
   char *p = page();
   unsigned id;
   struct nvsvm_telemetry *tm = watching(p, &id);
   struct nvsvm_range_stats st;

   for (unsigned k = 0; k < NBAD_U64; k++)
      NAMED(nvsvm_telemetry_range_stats(tm, id, bad_u64[k], &st));
   REFUSED(nvsvm_telemetry_range_stats(NULL, id, 0, &st));
   REFUSED(nvsvm_telemetry_range_stats(tm, UINT_MAX, 0, &st));
   REFUSED(nvsvm_telemetry_range_stats(tm, id, 0, NULL));
   nvsvm_telemetry_destroy(tm);
   munmap(p, PG);
}

static void
bounds_nvsvm_telemetry_ranges(void)
{
   char *p = page();
   unsigned id, ids[1], count;
   struct nvsvm_telemetry *tm = watching(p, &id);

   NAMED(nvsvm_telemetry_ranges(tm, NULL, 0, &count));
   NAMED(nvsvm_telemetry_ranges(tm, ids, 1, &count));
   REFUSED(nvsvm_telemetry_ranges(NULL, ids, 1, &count));
   REFUSED(nvsvm_telemetry_ranges(tm, ids, 1, NULL));
   REFUSED(nvsvm_telemetry_ranges(tm, NULL, UINT_MAX, &count));
   nvsvm_telemetry_destroy(tm);
   munmap(p, PG);
}

static void
bounds_nvsvm_telemetry_region_begin(void)
{
   char *p = page();
   unsigned id;
   struct nvsvm_telemetry *tm = watching(p, &id);
   struct nvsvm_fault_region r;
   uint64_t mf;

   REFUSED(nvsvm_telemetry_region_begin(NULL, id, &r));
   REFUSED(nvsvm_telemetry_region_begin(tm, UINT_MAX, &r));
   REFUSED(nvsvm_telemetry_region_begin(tm, id, NULL));
   NAMED(nvsvm_telemetry_region_begin(tm, id, &r));
   NAMED(nvsvm_telemetry_region_end(tm, &r, &mf));
   nvsvm_telemetry_destroy(tm);
   munmap(p, PG);
}

static void
bounds_nvsvm_telemetry_region_end(void)
{
   char *p = page();
   unsigned id;
   struct nvsvm_telemetry *tm = watching(p, &id);
   struct nvsvm_fault_region r = { .id = UINT_MAX, .tid = INT_MIN,
                                   .minflt = UINT64_MAX,
                                   .majflt = UINT64_MAX, .open = true };
   uint64_t mf;

   NAMED(nvsvm_telemetry_region_end(tm, &r, &mf));
   r.id = id;
   NAMED(nvsvm_telemetry_region_end(tm, &r, NULL));
   r.open = false;
   REFUSED(nvsvm_telemetry_region_end(tm, &r, &mf));
   REFUSED(nvsvm_telemetry_region_end(NULL, &r, &mf));
   REFUSED(nvsvm_telemetry_region_end(tm, NULL, &mf));
   nvsvm_telemetry_destroy(tm);
   munmap(p, PG);
}

static void
bounds_nvsvm_telemetry_print(void)
{
   char *p = page();
   unsigned id;
   struct nvsvm_telemetry *tm = watching(p, &id);
   FILE *f = fopen("/dev/null", "we");

   ASSERT_TRUE(f != NULL);
   for (unsigned i = 0; i < NBAD_INTS; i++) {
      for (unsigned k = 0; k < NBAD_U64; k += 2)
         NAMED(nvsvm_telemetry_print(tm, bad_u64[k],
                                     (enum nvsvm_telemetry_format)bad_ints[i],
                                     f));
   }
   REFUSED(nvsvm_telemetry_print(tm, 0,
                                 (enum nvsvm_telemetry_format)INT_MIN, f));
   REFUSED(nvsvm_telemetry_print(tm, 0, NVSVM_TELEMETRY_TEXT, NULL));
   REFUSED(nvsvm_telemetry_print(NULL, 0, NVSVM_TELEMETRY_TEXT, f));
   fclose(f);
   nvsvm_telemetry_destroy(tm);
   munmap(p, PG);
}

/* -------------------------------------------------- the case table */

/* Every exported symbol, once: each gets a process of its own below. */
#define API_CASES(X)                                                 \
   X(nvsvm_advice_name) X(nvsvm_advice_str)                          \
   X(nvsvm_atomic_range_fault) X(nvsvm_backend_name)                 \
   X(nvsvm_bind_encode) X(nvsvm_chipset_family)                      \
   X(nvsvm_device_close) X(nvsvm_device_fd)                          \
   X(nvsvm_device_get_info) X(nvsvm_device_open)                     \
   X(nvsvm_device_open_fd) X(nvsvm_drm_enumerate)                    \
   X(nvsvm_error_name) X(nvsvm_event_name)                           \
   X(nvsvm_group_alloc) X(nvsvm_group_create)                        \
   X(nvsvm_group_destroy) X(nvsvm_group_pages)                       \
   X(nvsvm_kernel_thp_blocks_exclusive)                              \
   X(nvsvm_migrate_to_device) X(nvsvm_migrate_to_host)               \
   X(nvsvm_pagemap_residency) X(nvsvm_pool_alloc)                    \
   X(nvsvm_pool_create) X(nvsvm_pool_destroy) X(nvsvm_pool_free)     \
   X(nvsvm_pool_get_stats) X(nvsvm_pool_last_report)                 \
   X(nvsvm_probe_machine) X(nvsvm_range_check)                       \
   X(nvsvm_range_reason_name) X(nvsvm_range_reason_str)              \
   X(nvsvm_range_warning_str) X(nvsvm_strerror)                      \
   X(nvsvm_svm_enabled) X(nvsvm_svm_init)                            \
   X(nvsvm_svm_init_strerror) X(nvsvm_svm_window)                    \
   X(nvsvm_telemetry_add_device_counts) X(nvsvm_telemetry_create)    \
   X(nvsvm_telemetry_destroy) X(nvsvm_telemetry_feed_pagemap)        \
   X(nvsvm_telemetry_now_ns) X(nvsvm_telemetry_page_thrashing)       \
   X(nvsvm_telemetry_print) X(nvsvm_telemetry_range_stats)           \
   X(nvsvm_telemetry_ranges) X(nvsvm_telemetry_record)               \
   X(nvsvm_telemetry_region_begin) X(nvsvm_telemetry_region_end)     \
   X(nvsvm_telemetry_sample) X(nvsvm_telemetry_thrashing_pages)      \
   X(nvsvm_telemetry_unwatch) X(nvsvm_telemetry_watch)               \
   X(nvsvm_vm_init) X(nvsvm_window_release)                          \
   X(nvsvm_window_reserve) X(nvsvm_window_size_for_vram)

#define API_NAME(sym) #sym,
static const char *const api_cases[] = { API_CASES(API_NAME) };
#define NAPI_CASES (sizeof(api_cases) / sizeof(api_cases[0]))

FIXTURE(api) { int unused; };
FIXTURE_VARIANT(api) { void (*bounds)(void); };
FIXTURE_SETUP(api) { }
FIXTURE_TEARDOWN(api) { }

#define API_VARIANT(sym)                                             \
   FIXTURE_VARIANT_ADD(api, sym) { .bounds = bounds_##sym };
API_CASES(API_VARIANT)

TEST_F(api, boundary_arguments_give_named_errors)
{
   variant->bounds();
}

static bool
api_has_case(const char *sym)
{
   for (unsigned i = 0; i < NAPI_CASES; i++) {
      if (strcmp(api_cases[i], sym) == 0)
         return true;
   }
   return false;
}

/* Every line of nvsvm.symbols has a case; every case is exported. */
TEST(every_exported_symbol_has_a_bounds_case)
{
   const char *path = getenv("NVSVM_SYMBOLS");
   unsigned listed = 0, missing = 0, found = 0;
   char line[256];
   FILE *f;

   if (!path)
      SKIP("NVSVM_SYMBOLS is not set (meson sets it to nvsvm.symbols)");
   f = fopen(path, "re");
   ASSERT_TRUE(f != NULL);
   while (fgets(line, sizeof(line), f)) {
      line[strcspn(line, " \t\r\n")] = '\0';
      if (!line[0] || line[0] == '#')
         continue;
      listed++;
      if (api_has_case(line)) {
         found++;
      } else {
         printf("# %s: exported, no bounds case here\n", line);
         missing++;
      }
   }
   fclose(f);
   printf("# %u exported symbols, %u cases\n", listed, (unsigned)NAPI_CASES);
   ASSERT_EQ(missing, 0);
   /* A case for a symbol no longer exported is stale. */
   ASSERT_EQ(found, (unsigned)NAPI_CASES);
}

TEST_HARNESS_MAIN
