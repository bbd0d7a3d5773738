/* SPDX-License-Identifier: MIT */
/*
 * nvc0 SVM hooks against the virtual SVM GPU (vsvm) in the VM: caps come
 * from a real SVM_INIT, svm_migrate moves data both ways intact, and
 * every refusal is surfaced. Runs with vsvm.ko loaded (guest-suite.sh).
 */

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nvc0_svm.h"
#include "nvsvm/nvsvm.h"
#include "piglit.h"

#define NPAGES 16
#define BUF_SIZE (NPAGES * 4096)

struct ctx {
   char node[64];
   unsigned errors;
   char last[256];
};

static void
capture_log(void *data, enum nvc0_svm_log_level level, const char *msg)
{
   struct ctx *c = data;

   if (level == NVC0_SVM_LOG_ERROR)
      c->errors++;
   snprintf(c->last, sizeof(c->last), "%s", msg);
   piglit_note("hook log: %s", msg);
}

static int
find_vsvm_node(struct ctx *c)
{
   struct nvsvm_drm_node nodes[16];
   unsigned n = 0;

   if (nvsvm_drm_enumerate(nodes, 16, &n))
      return -ENODEV;
   for (unsigned i = 0; i < n && i < 16; i++) {
      if (!strcmp(nodes[i].driver, "vsvm")) {
         snprintf(c->node, sizeof(c->node), "%s", nodes[i].path);
         return 0;
      }
   }
   return -ENODEV;
}

/* A screen on a fresh fd, as nvc0 creates one: SVM opted in. */
static int
screen_up(struct ctx *c, struct nvc0_svm *svm, int *fd)
{
   struct nvc0_svm_screen_params p = {
      .chipset = 0, .vram_size = 64ull << 20,
      .log = capture_log, .log_data = c,
   };

   memset(svm, 0, sizeof(*svm));   /* screen_down is safe after any failure */
   *fd = open(c->node, O_RDWR | O_CLOEXEC);
   if (*fd < 0)
      return -errno;
   setenv("NOUVEAU_SVM", "1", 1);
   return nvc0_svm_screen_init(svm, *fd, &p);
}

static void
screen_down(struct nvc0_svm *svm, int fd)
{
   nvc0_svm_screen_fini(svm);
   close(fd);
   unsetenv("NOUVEAU_SVM");
}

static uint8_t *
pattern_buf(void)
{
   uint8_t *p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   if (p == MAP_FAILED)
      return NULL;
   madvise(p, BUF_SIZE, MADV_NOHUGEPAGE);
   for (size_t i = 0; i < BUF_SIZE; i++)
      p[i] = (uint8_t)(i * 7 + i / 4096);
   return p;
}

static bool
pattern_ok(const uint8_t *p)
{
   for (size_t i = 0; i < BUF_SIZE; i++) {
      if (p[i] != (uint8_t)(i * 7 + i / 4096)) {
         piglit_note("byte %zu: 0x%02x, want 0x%02x", i, p[i],
                     (uint8_t)(i * 7 + i / 4096));
         return false;
      }
   }
   return true;
}

/* 1 when /proc/self/pagemap says the page is present in system RAM. */
static int
page_present(const void *addr)
{
   uint64_t e = 0;
   int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
   off_t off = (off_t)((uintptr_t)addr / 4096) * 8;

   if (fd < 0)
      return -errno;
   if (pread(fd, &e, 8, off) != 8) {
      close(fd);
      return -EIO;
   }
   close(fd);
   return (int)((e >> 63) & 1);
}

static enum piglit_result
caps_follow_a_real_svm_init(void *data)
{
   struct ctx *c = data;
   struct nvc0_svm svm;
   int fd, ret = screen_up(c, &svm, &fd);
   enum piglit_result r = PIGLIT_FAIL;

   if (ret) {
      piglit_note("screen init: %d (%s): %s", ret, nvsvm_error_name(ret),
                  svm.reason);
      goto out;
   }
   if (!svm.enabled || !svm.caps.system_svm ||
       !svm.caps.fine_grain_system || !svm.caps.atomics) {
      piglit_note("SVM_INIT succeeded but caps are not all on");
      goto out;
   }
   piglit_note("%s", svm.reason);
   r = strstr(svm.reason, "SVM on") ? PIGLIT_PASS : PIGLIT_FAIL;
out:
   screen_down(&svm, fd);
   return r;
}

static enum piglit_result
second_screen_on_one_fd_is_refused_by_the_kernel(void *data)
{
   struct ctx *c = data;
   struct nvc0_svm a, b;
   struct nvc0_svm_screen_params p = {
      .log = capture_log, .log_data = c,
   };
   int fd, ret;
   enum piglit_result r = PIGLIT_FAIL;

   if (screen_up(c, &a, &fd))
      goto out;
   setenv("NOUVEAU_SVM", "1", 1);
   ret = nvc0_svm_screen_init(&b, fd, &p);
   piglit_note("second SVM_INIT: %d (%s): %s", ret, nvsvm_error_name(ret),
               b.reason);
   if (ret == -EBUSY && !b.caps.atomics && !b.caps.system_svm &&
       strstr(b.reason, "already initialised"))
      r = PIGLIT_PASS;
   nvc0_svm_screen_fini(&b);
out:
   screen_down(&a, fd);
   return r;
}

/* A screen with SVM on and a patterned buffer: the migrate scenarios. */
struct mig {
   struct nvc0_svm svm;
   int fd;
   uint8_t *buf;
   const void *ptrs[1];
   size_t sizes[1];
};

static bool
mig_up(struct ctx *c, struct mig *m)
{
   memset(m, 0, sizeof(*m));
   m->fd = -1;
   if (screen_up(c, &m->svm, &m->fd))
      return false;
   m->buf = pattern_buf();
   m->ptrs[0] = m->buf;
   m->sizes[0] = BUF_SIZE;
   return m->buf != NULL;
}

static void
mig_down(struct mig *m)
{
   if (m->buf)
      munmap(m->buf, BUF_SIZE);
   screen_down(&m->svm, m->fd);
}

/* nvc0_svm_migrate on the buffer; sizes NULL means "whole allocation". */
static unsigned
mig_move(struct mig *m, const size_t *sizes, bool to_device, bool undefined)
{
   return nvc0_svm_migrate(&m->svm, 1, m->ptrs, sizes, to_device, undefined);
}

/* Every page of the buffer present (1) or not present (0) in RAM. */
static bool
mig_all_present(const struct mig *m, int want)
{
   for (size_t off = 0; off < BUF_SIZE; off += 4096) {
      if (page_present(m->buf + off) != want)
         return false;
   }
   return true;
}

static enum piglit_result
migrate_to_vram_and_back_keeps_every_byte(void *data)
{
   struct mig m;
   unsigned failed;
   enum piglit_result r = PIGLIT_FAIL;

   if (!mig_up(data, &m))
      goto out;
   failed = mig_move(&m, m.sizes, true, false);
   piglit_note("to VRAM: failed %u, pages requested %llu, result %llu",
               failed, (unsigned long long)m.svm.stats.pages_to_device,
               (unsigned long long)m.svm.stats.bind_result);
   if (failed || m.svm.stats.pages_to_device != NPAGES)
      goto out;
   /* In VRAM the CPU PTEs are device-private entries, not present. */
   if (!mig_all_present(&m, 0)) {
      piglit_note("pages still present in system RAM after migration");
      goto out;
   }
   failed = mig_move(&m, m.sizes, false, false);
   if (failed || !mig_all_present(&m, 1)) {
      piglit_note("to host: failed %u, not every page back", failed);
      goto out;
   }
   r = pattern_ok(m.buf) ? PIGLIT_PASS : PIGLIT_FAIL;
out:
   mig_down(&m);
   return r;
}

static enum piglit_result
migrate_to_host_with_undefined_content_discards(void *data)
{
   struct mig m;
   enum piglit_result r = PIGLIT_FAIL;

   if (!mig_up(data, &m) || mig_move(&m, m.sizes, true, false) ||
       mig_move(&m, m.sizes, false, true))
      goto out;
   r = PIGLIT_PASS;
   for (size_t i = 0; i < BUF_SIZE; i++) {
      if (m.buf[i]) {
         piglit_note("byte %zu kept 0x%02x after a discard", i, m.buf[i]);
         r = PIGLIT_FAIL;
         break;
      }
   }
out:
   mig_down(&m);
   return r;
}

static size_t
whole_allocation(void *data, const void *ptr)
{
   (void)ptr;
   return *(size_t *)data;
}

static enum piglit_result
null_size_means_the_whole_allocation_or_a_loud_refusal(void *data)
{
   struct ctx *c = data;
   struct mig m;
   size_t whole = BUF_SIZE;
   unsigned errors_before;
   enum piglit_result r = PIGLIT_FAIL;

   if (!mig_up(c, &m))
      goto out;
   /* Without a way to know the allocation, refuse and say so. */
   errors_before = c->errors;
   if (mig_move(&m, NULL, true, false) != 1 ||
       c->errors == errors_before || !strstr(c->last, "no size given"))
      goto out;
   nvc0_svm_set_alloc_size_cb(&m.svm, whole_allocation, &whole);
   if (mig_move(&m, NULL, true, false))
      goto out;
   piglit_note("whole allocation: %llu pages requested",
               (unsigned long long)m.svm.stats.pages_to_device);
   /* The whole allocation moved: no page of it is in system RAM. */
   if (m.svm.stats.pages_to_device != NPAGES || !mig_all_present(&m, 0))
      goto out;
   r = pattern_ok(m.buf) ? PIGLIT_PASS : PIGLIT_FAIL;
out:
   mig_down(&m);
   return r;
}

static enum piglit_result
malformed_window_override_keeps_svm_off_with_a_named_error(void *data)
{
   struct ctx *c = data;
   struct nvc0_svm svm;
   int fd, ret;
   enum piglit_result r = PIGLIT_FAIL;

   setenv("NVSVM_WINDOW_SIZE", "12parsecs", 1);
   ret = screen_up(c, &svm, &fd);
   unsetenv("NVSVM_WINDOW_SIZE");
   piglit_note("init with NVSVM_WINDOW_SIZE=12parsecs: %d (%s): %s", ret,
               nvsvm_error_name(ret), svm.reason);
   if (ret < 0 && !svm.caps.atomics && !svm.enabled &&
       strstr(svm.reason, "NVSVM_WINDOW_SIZE"))
      r = PIGLIT_PASS;
   screen_down(&svm, fd);
   return r;
}

/* Is any mapping of this process inside [addr, addr + size)? */
static bool
range_is_mapped(uint64_t addr, uint64_t size)
{
   FILE *f = fopen("/proc/self/maps", "r");
   unsigned long long lo, hi;
   char line[512];
   bool mapped = false;

   if (!f)
      return true;   /* cannot tell: do not claim it is gone */
   while (fgets(line, sizeof(line), f)) {
      if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 &&
          lo < addr + size && hi > addr)
         mapped = true;
   }
   fclose(f);
   return mapped;
}

/* The screen's teardown gives the window back, as Mesa's munmap did. */
static enum piglit_result
screen_fini_releases_the_window(void *data)
{
   struct ctx *c = data;
   struct nvc0_svm svm;
   struct nvsvm_window win = { 0 };
   enum piglit_result r = PIGLIT_FAIL;
   bool before, after;
   int fd;

   if (screen_up(c, &svm, &fd) || nvsvm_svm_window(svm.dev, &win)) {
      piglit_note("SVM did not come up: %s", svm.reason);
      screen_down(&svm, fd);
      return PIGLIT_FAIL;
   }
   before = range_is_mapped(win.addr, win.size);
   nvc0_svm_screen_fini(&svm);
   after = range_is_mapped(win.addr, win.size);
   nvc0_svm_screen_fini(&svm);   /* a second teardown unmaps nothing */
   piglit_note("window 0x%llx+%llu MiB: mapped %d before fini, %d after",
               (unsigned long long)win.addr,
               (unsigned long long)(win.size >> 20), before, after);
   if (before && !after)
      r = PIGLIT_PASS;
   screen_down(&svm, fd);
   return r;
}

int
main(int argc, char **argv)
{
   static const struct piglit_subtest tests[] = {
      { "caps_follow_a_real_svm_init", caps_follow_a_real_svm_init },
      { "second_screen_on_one_fd_is_refused_by_the_kernel",
        second_screen_on_one_fd_is_refused_by_the_kernel },
      { "migrate_to_vram_and_back_keeps_every_byte",
        migrate_to_vram_and_back_keeps_every_byte },
      { "migrate_to_host_with_undefined_content_discards",
        migrate_to_host_with_undefined_content_discards },
      { "null_size_means_the_whole_allocation_or_a_loud_refusal",
        null_size_means_the_whole_allocation_or_a_loud_refusal },
      { "malformed_window_override_keeps_svm_off_with_a_named_error",
        malformed_window_override_keeps_svm_off_with_a_named_error },
      { "screen_fini_releases_the_window", screen_fini_releases_the_window },
   };
   struct ctx c = { 0 };
   unsigned n = sizeof(tests) / sizeof(tests[0]);

   if (find_vsvm_node(&c)) {
      /* Every subtest is reported, as skip, with the reason. */
      printf("PIGLIT: {\"enumerate subtests\": [");
      for (unsigned i = 0; i < n; i++)
         printf("%s\"%s\"", i ? ", " : "", tests[i].name);
      printf("]}\n");
      piglit_note("no vsvm render node: load kernel/vsvm/vsvm.ko");
      for (unsigned i = 0; i < n; i++)
         piglit_report_subtest(tests[i].name, PIGLIT_SKIP);
      piglit_report_result(PIGLIT_SKIP);
      printf("0 passed, 0 failed, %u skipped\n", n);
      return 0;
   }
   piglit_note("vsvm node %s", c.node);
   return piglit_run_subtests(tests, n, &c, argc, argv);
}
