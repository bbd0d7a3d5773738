/* SPDX-License-Identifier: MIT */
/*
 * nvc0's atomic prefault hook against vsvm in the VM: SVM-atomic kernel
 * arguments are converted ahead of the launch, a refused page is named
 * and counted, and on a kernel without the command (vsvm's
 * atomic_fault_cmd=N) the hook falls back to first-touch faults with the
 * reason logged once. Runs with vsvm.ko loaded (guest-suite.sh).
 */

#include <errno.h>
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

#define NPAGES 8
#define PAGE 4096u
#define KNOB "/sys/module/vsvm/parameters/atomic_fault_cmd"

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

static int
screen_up(struct ctx *c, struct nvc0_svm *svm, int *fd)
{
   struct nvc0_svm_screen_params p = {
      .vram_size = 64ull << 20, .log = capture_log, .log_data = c,
   };

   memset(svm, 0, sizeof(*svm));
   c->errors = 0;
   c->last[0] = '\0';
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
   if (fd >= 0)
      close(fd);
   unsetenv("NOUVEAU_SVM");
}

static char *
buf_map(void)
{
   char *p = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   if (p == MAP_FAILED)
      return NULL;
   madvise(p, NPAGES * PAGE, MADV_NOHUGEPAGE);
   memset(p, 1, NPAGES * PAGE);
   return p;
}

/* Device-exclusive: a non-present swap entry in pagemap. */
static bool
page_exclusive(const void *addr)
{
   uint64_t e = 0;
   int fd = open("/proc/self/pagemap", O_RDONLY);
   bool ok;

   if (fd < 0)
      return false;
   ok = pread(fd, &e, 8, (off_t)((uintptr_t)addr / PAGE) * 8) == 8;
   close(fd);
   return ok && !(e >> 63) && ((e >> 62) & 1);
}

static int
knob_set(const char *v)
{
   FILE *f = fopen(KNOB, "w");
   int ret = 0;

   if (!f)
      return -errno;
   if (fputs(v, f) < 0)
      ret = -EIO;
   if (fclose(f) && !ret)
      ret = -errno;
   return ret;
}

static enum piglit_result
svm_atomic_argument_is_converted_before_launch(void *data)
{
   struct ctx *c = data;
   enum piglit_result r = PIGLIT_FAIL;
   struct nvc0_svm svm;
   char *buf = NULL;
   int fd = -1, ret;

   if (screen_up(c, &svm, &fd) || !svm.enabled)
      goto out;
   buf = buf_map();
   if (!buf)
      goto out;
   ret = nvc0_svm_prefault_atomic(&svm, buf + 100, NPAGES * PAGE - 200);
   piglit_note("prefault: %s, %llu pages", nvsvm_error_name(ret),
               (unsigned long long)svm.stats.prefault_pages);
   if (ret || svm.stats.prefault_pages != NPAGES || c->errors)
      goto out;
   for (unsigned i = 0; i < NPAGES; i++) {
      if (!page_exclusive(buf + i * PAGE)) {
         piglit_note("page %u not device-exclusive", i);
         goto out;
      }
   }
   r = PIGLIT_PASS;
out:
   if (buf)
      munmap(buf, NPAGES * PAGE);
   screen_down(&svm, fd);
   return r;
}

static enum piglit_result
refused_page_is_named_and_counted(void *data)
{
   struct ctx *c = data;
   enum piglit_result r = PIGLIT_FAIL;
   struct nvc0_svm svm;
   char *buf = NULL;
   int fd = -1, ret;

   if (screen_up(c, &svm, &fd) || !svm.enabled)
      goto out;
   buf = buf_map();
   if (!buf || mmap(buf + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
               MAP_FAILED)
      goto out;
   ret = nvc0_svm_prefault_atomic(&svm, buf, NPAGES * PAGE);
   piglit_note("prefault over a shared page: %s", nvsvm_error_name(ret));
   if (ret == -EOPNOTSUPP && svm.stats.prefault_errors == 1 &&
       svm.stats.prefault_pages == 2 && c->errors == 1 &&
       strstr(c->last, "EOPNOTSUPP"))
      r = PIGLIT_PASS;
out:
   if (buf)
      munmap(buf, NPAGES * PAGE);
   screen_down(&svm, fd);
   return r;
}

static enum piglit_result
kernel_without_command_falls_back_with_a_named_reason(void *data)
{
   struct ctx *c = data;
   enum piglit_result r = PIGLIT_FAIL;
   struct nvc0_svm svm;
   char *buf = NULL;
   int fd = -1, ret, ret2;

   if (screen_up(c, &svm, &fd) || !svm.enabled)
      goto out;
   buf = buf_map();
   if (!buf)
      goto out;
   ret = knob_set("0");
   if (ret) {
      piglit_note("cannot set %s: %s", KNOB, nvsvm_error_name(ret));
      r = PIGLIT_SKIP;
      goto out;
   }
   ret = nvc0_svm_prefault_atomic(&svm, buf, NPAGES * PAGE);
   ret2 = nvc0_svm_prefault_atomic(&svm, buf, NPAGES * PAGE);
   knob_set("1");
   piglit_note("without the command: %s, then %s; log: %s",
               nvsvm_error_name(ret), nvsvm_error_name(ret2), c->last);
   /* Falls back (0), says why once, and does not ask again. */
   if (ret == 0 && ret2 == 0 && svm.prefault_unsupported &&
       svm.stats.prefault_calls == 1 && svm.stats.prefault_pages == 0 &&
       c->errors == 0 &&
       strstr(c->last, "NVSVM_E_ATOMIC_FAULT_UNSUPPORTED") &&
       !page_exclusive(buf))
      r = PIGLIT_PASS;
out:
   if (buf)
      munmap(buf, NPAGES * PAGE);
   screen_down(&svm, fd);
   return r;
}

int
main(int argc, char **argv)
{
   static const struct piglit_subtest tests[] = {
      { "svm_atomic_argument_is_converted_before_launch",
        svm_atomic_argument_is_converted_before_launch },
      { "refused_page_is_named_and_counted",
        refused_page_is_named_and_counted },
      { "kernel_without_command_falls_back_with_a_named_reason",
        kernel_without_command_falls_back_with_a_named_reason },
   };
   struct ctx c = { 0 };
   unsigned n = sizeof(tests) / sizeof(tests[0]);

   if (find_vsvm_node(&c)) {
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
