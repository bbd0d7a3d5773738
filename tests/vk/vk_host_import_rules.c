/* SPDX-License-Identifier: MIT */
/*
 * The range rules at import: host memory GPU atomics may not work on
 * (shared, file-backed, read-only, guard pages, holes, misaligned) is
 * refused by name before vkAllocateMemory sees it, so no dispatch is ever
 * submitted with it. A private anonymous page is the control: imported,
 * and a shader's atomics on it reach the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nvsvm_vk.h"

#define PAGE 4096u

struct ctx {
   struct nvsvm_vk vk;
};

/* A mapping of the given kind, import-aligned, len bytes; NULL on error. */
static void *
map_kind(struct nvsvm_vk *vk, size_t len, int prot, int flags, int fd)
{
   size_t align = vk->import_align > PAGE ? vk->import_align : PAGE;
   char *raw, *a;

   /* Reserve, then place the real mapping at an aligned address. */
   raw = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
              -1, 0);
   if (raw == MAP_FAILED)
      return NULL;
   a = (char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
   if (mmap(a, len, prot, flags | MAP_FIXED, fd, 0) == MAP_FAILED) {
      munmap(raw, len + align);
      return NULL;
   }
   if (a > raw)
      munmap(raw, a - raw);
   if (raw + len + align > a + len)
      munmap(a + len, raw + len + align - (a + len));
   return a;
}

/* Import must fail with want (and, for range refusals, the reason) and
 * must not reach the driver. */
static enum piglit_result
expect_refused(struct ctx *c, void *p, size_t len, int want,
               enum nvsvm_range_reason reason, const char *what)
{
   struct nvsvm_vk_region reg;
   struct nvsvm_range_report rep;
   uint64_t before = c->vk.imports;
   int ret;

   ret = nvsvm_vk_import(&c->vk, p, len, &reg, &rep);
   if (ret == 0) {
      piglit_note("%s: imported, expected refusal (%s)", what,
                  want == -NVSVM_E_RANGE ? nvsvm_range_reason_name(reason) :
                  nvsvm_error_name(want));
      nvsvm_vk_unimport(&c->vk, &reg);
      return PIGLIT_FAIL;
   }
   if (ret != want || (want == -NVSVM_E_RANGE && rep.reason != reason)) {
      piglit_note("%s: refused with %s%s%s, expected %s%s%s", what,
                  nvsvm_error_name(ret), ret == -NVSVM_E_RANGE ? " " : "",
                  ret == -NVSVM_E_RANGE ?
                  nvsvm_range_reason_name(rep.reason) : "",
                  nvsvm_error_name(want), want == -NVSVM_E_RANGE ? " " : "",
                  want == -NVSVM_E_RANGE ? nvsvm_range_reason_name(reason) :
                  "");
      return PIGLIT_FAIL;
   }
   if (c->vk.imports != before) {
      piglit_note("%s: refused, but only after the driver saw it", what);
      return PIGLIT_FAIL;
   }
   piglit_note("%s: refused before the driver saw it (%s%s%s)", what,
               nvsvm_error_name(ret), ret == -NVSVM_E_RANGE ? " " : "",
               ret == -NVSVM_E_RANGE ? nvsvm_range_reason_name(rep.reason) :
               "");
   return PIGLIT_PASS;
}

/* The driver's own view of a pointer: Vulkan alone does not refuse it. */
static void
note_driver_view(struct ctx *c, void *p)
{
   VkMemoryHostPointerPropertiesEXT hp = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT,
   };
   VkResult r = c->vk.get_host_ptr_props(
      c->vk.dev, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, p,
      &hp);

   piglit_note("driver alone: vkGetMemoryHostPointerPropertiesEXT %s, "
               "memoryTypeBits 0x%x", nvsvm_vk_result_str(r),
               hp.memoryTypeBits);
}

static enum piglit_result
private_anonymous_range_is_imported_and_used(void *arg)
{
   struct ctx *c = arg;
   struct nvsvm_vk_region ctl_reg = { 0 }, reg = { 0 };
   const struct nvsvm_vk_region *data[NVSVM_VK_DATA_BUFFERS] = { &reg };
   struct nvsvm_vk_push p = { .op = NVSVM_OP_INCREMENT, .iters = 64,
                              .idx = { 5 } };
   struct nvsvm_vk_run run;
   enum piglit_result res;
   _Atomic uint32_t *ctl = NULL, *w = NULL;
   bool ok = false;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   ctl = map_kind(&c->vk, PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1);
   w = map_kind(&c->vk, PAGE, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1);
   if (!ctl || !w) {
      piglit_note("mmap failed: %s", strerror(errno));
      goto out;
   }
   if (nvsvm_vk_import(&c->vk, (void *)ctl, PAGE, &ctl_reg, NULL) ||
       nvsvm_vk_import(&c->vk, (void *)w, PAGE, &reg, NULL))
      goto out;
   piglit_note("imported; host pointer memoryTypeBits 0x%x",
               reg.type_bits);
   /* Go before the submit: the shader runs straight through. */
   atomic_store(&ctl[NVSVM_CTL_GO], 1);
   p.limit = c->vk.opts.spin_limit;
   if (!nvsvm_vk_launch(&c->vk, &run, NVSVM_VK_PIPE_32, &p, &ctl_reg, data,
                        3, 1, 0))
      goto out;
   if (nvsvm_vk_finish(&c->vk, &run, ctl))
      goto out;
   piglit_note("3 invocations x %u adds: word %u = %u, done %u",
               64 * NVSVM_VK_ADDS, p.idx[0], atomic_load(&w[p.idx[0]]),
               atomic_load(&ctl[NVSVM_CTL_DONE]));
   ok = reg.type_bits != 0 &&
        atomic_load(&w[p.idx[0]]) == 3 * 64 * NVSVM_VK_ADDS &&
        atomic_load(&ctl[NVSVM_CTL_DONE]) == 3 &&
        atomic_load(&ctl[NVSVM_CTL_ERRORS]) == 0;

out:
   if (!c->vk.wedged) {
      nvsvm_vk_unimport(&c->vk, &reg);
      nvsvm_vk_unimport(&c->vk, &ctl_reg);
      if (ctl)
         munmap((void *)ctl, PAGE);
      if (w)
         munmap((void *)w, PAGE);
   }
   return ok ? PIGLIT_PASS : PIGLIT_FAIL;
}

static enum piglit_result
shared_anonymous_range_is_refused(void *arg)
{
   struct ctx *c = arg;
   enum piglit_result res;
   void *p;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   p = map_kind(&c->vk, PAGE, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1);
   if (!p)
      return PIGLIT_FAIL;
   note_driver_view(c, p);
   res = expect_refused(c, p, PAGE, -NVSVM_E_RANGE, NVSVM_RANGE_SHARED,
                        "MAP_SHARED | MAP_ANONYMOUS");
   munmap(p, PAGE);
   return res;
}

static enum piglit_result
file_backed_range_is_refused(void *arg)
{
   struct ctx *c = arg;
   char path[] = "/tmp/nvsvm-vk-XXXXXX";
   enum piglit_result res;
   void *p;
   int fd;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   fd = mkstemp(path);
   if (fd < 0 || ftruncate(fd, PAGE)) {
      piglit_note("temporary file: %s", strerror(errno));
      if (fd >= 0)
         close(fd);
      return PIGLIT_FAIL;
   }
   unlink(path);
   /* Private and writable: still file-backed. */
   p = map_kind(&c->vk, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
   close(fd);
   if (!p)
      return PIGLIT_FAIL;
   res = expect_refused(c, p, PAGE, -NVSVM_E_RANGE, NVSVM_RANGE_FILE_BACKED,
                        "MAP_PRIVATE file mapping");
   munmap(p, PAGE);
   return res;
}

static enum piglit_result
read_only_range_is_refused(void *arg)
{
   struct ctx *c = arg;
   enum piglit_result res;
   void *p;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   p = map_kind(&c->vk, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1);
   if (!p)
      return PIGLIT_FAIL;
   res = expect_refused(c, p, PAGE, -NVSVM_E_RANGE,
                        NVSVM_RANGE_NOT_WRITABLE, "PROT_READ mapping");
   munmap(p, PAGE);
   return res;
}

static enum piglit_result
guard_page_in_range_is_refused(void *arg)
{
   struct ctx *c = arg;
   size_t len = 2 * (c->vk.import_align > PAGE ? c->vk.import_align : PAGE);
   enum piglit_result res;
   char *p;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   p = map_kind(&c->vk, len, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1);
   if (!p)
      return PIGLIT_FAIL;
   mprotect(p + len - PAGE, PAGE, PROT_NONE);
   res = expect_refused(c, p, len, -NVSVM_E_RANGE, NVSVM_RANGE_NO_ACCESS,
                        "last page PROT_NONE");
   munmap(p, len);
   return res;
}

static enum piglit_result
hole_in_range_is_refused(void *arg)
{
   struct ctx *c = arg;
   size_t len = 2 * (c->vk.import_align > PAGE ? c->vk.import_align : PAGE);
   enum piglit_result res;
   char *p;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   p = map_kind(&c->vk, len, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1);
   if (!p)
      return PIGLIT_FAIL;
   munmap(p + len - PAGE, PAGE);
   res = expect_refused(c, p, len, -NVSVM_E_RANGE, NVSVM_RANGE_NOT_MAPPED,
                        "last page unmapped");
   munmap(p, len - PAGE);
   return res;
}

static enum piglit_result
misaligned_pointer_is_refused(void *arg)
{
   struct ctx *c = arg;
   size_t align = c->vk.import_align;
   enum piglit_result res;
   char *p;

   if (!nvsvm_vk_ready(&c->vk, &res))
      return res;
   p = map_kind(&c->vk, 2 * align, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1);
   if (!p)
      return PIGLIT_FAIL;
   res = expect_refused(c, p + 64, align, -EINVAL, NVSVM_RANGE_OK,
                        "pointer 64 bytes past an aligned one");
   if (res == PIGLIT_PASS)
      res = expect_refused(c, p, align / 2, -EINVAL, NVSVM_RANGE_OK,
                           "size half the import alignment");
   if (res == PIGLIT_PASS)
      res = expect_refused(c, p, 0, -EINVAL, NVSVM_RANGE_OK, "size 0");
   munmap(p, 2 * align);
   return res;
}

static const struct piglit_subtest subtests[] = {
   { "private-anonymous-range-is-imported-and-used",
     private_anonymous_range_is_imported_and_used },
   { "shared-anonymous-range-is-refused", shared_anonymous_range_is_refused },
   { "file-backed-range-is-refused", file_backed_range_is_refused },
   { "read-only-range-is-refused", read_only_range_is_refused },
   { "guard-page-in-range-is-refused", guard_page_in_range_is_refused },
   { "hole-in-range-is-refused", hole_in_range_is_refused },
   { "misaligned-pointer-is-refused", misaligned_pointer_is_refused },
};

int
main(int argc, char **argv)
{
   struct nvsvm_vk_opts o;
   struct ctx c;
   int ret;

   ret = nvsvm_vk_parse_opts(&o, argc, argv, false);
   if (ret)
      return ret > 0 ? 0 : 2;
   memset(&c, 0, sizeof(c));
   nvsvm_vk_open(&c.vk, &o);
   nvsvm_vk_describe(&c.vk);
   ret = piglit_run_subtests(subtests, sizeof(subtests) / sizeof(subtests[0]),
                             &c, argc, argv);
   if (c.vk.wedged) {
      fflush(stdout);
      _exit(1);
   }
   nvsvm_vk_close(&c.vk);
   return ret;
}
