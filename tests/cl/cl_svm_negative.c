/* SPDX-License-Identifier: MIT */
/*
 * Bad SVM requests: the implementation must refuse them with the error the
 * OpenCL specification names, and nothing may crash. No kernel is ever run
 * with a refused pointer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvsvm_cl.h"

static const char negative_src[] =
   "kernel void take(global uint *p) { p[0] = 1u; }\n";

struct ctx {
   struct nvsvm_cl cl;
   cl_kernel k;
};

static bool
has_svm(const struct ctx *c)
{
   return c->cl.dev.svm != 0;
}

/* clSVMAlloc reports refusal only by returning NULL. */
static enum piglit_result
expect_alloc_null(struct ctx *c, cl_svm_mem_flags flags, size_t size,
                  cl_uint align, const char *what)
{
   void *p = clSVMAlloc(c->cl.ctx, flags, size, align);

   if (p) {
      piglit_note("%s: clSVMAlloc(flags 0x%llx, %zu bytes, align %u) "
                  "returned %p, expected NULL", what,
                  (unsigned long long)flags, size, align, p);
      clSVMFree(c->cl.ctx, p);
      return PIGLIT_FAIL;
   }
   piglit_note("%s: clSVMAlloc returned NULL%s", what,
               has_svm(c) ? "" : " (device has no SVM at all)");
   return PIGLIT_PASS;
}

static enum piglit_result
atomics_flag_without_fine_grain_is_refused(void *arg)
{
   struct ctx *c = arg;
   enum piglit_result r;

   if (!nvsvm_cl_ready(&c->cl, &r))
      return r;
   /* CL_MEM_SVM_ATOMICS is only valid with CL_MEM_SVM_FINE_GRAIN_BUFFER. */
   return expect_alloc_null(c, CL_MEM_READ_WRITE | CL_MEM_SVM_ATOMICS, 4096,
                            0, "ATOMICS without FINE_GRAIN_BUFFER");
}

static enum piglit_result
zero_size_alloc_returns_null(void *arg)
{
   struct ctx *c = arg;
   enum piglit_result r;

   if (!nvsvm_cl_ready(&c->cl, &r))
      return r;
   return expect_alloc_null(c, CL_MEM_READ_WRITE, 0, 0, "size 0");
}

static enum piglit_result
alloc_above_max_mem_alloc_size_returns_null(void *arg)
{
   struct ctx *c = arg;
   size_t above = (size_t)c->cl.dev.max_alloc + 4096;
   enum piglit_result r;

   if (!nvsvm_cl_ready(&c->cl, &r))
      return r;
   piglit_note("CL_DEVICE_MAX_MEM_ALLOC_SIZE = %llu",
               (unsigned long long)c->cl.dev.max_alloc);
   r = expect_alloc_null(c, CL_MEM_READ_WRITE, above, 0,
                         "max alloc size + 4 KiB");
   if (r != PIGLIT_PASS)
      return r;
   r = expect_alloc_null(c, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER,
                         SIZE_MAX & ~(size_t)4095, 0, "SIZE_MAX, fine grain");
   return r;
}

static enum piglit_result
non_power_of_two_alignment_returns_null(void *arg)
{
   struct ctx *c = arg;
   enum piglit_result r;

   if (!nvsvm_cl_ready(&c->cl, &r))
      return r;
   return expect_alloc_null(c, CL_MEM_READ_WRITE, 4096, 3000,
                            "alignment 3000");
}

static enum piglit_result
svm_pointer_offset_kernel_arg_is_accepted(void *arg)
{
   struct ctx *c = arg;
   enum piglit_result r;
   cl_int err;
   char *p;

   if (!nvsvm_cl_ready(&c->cl, &r))
      return r;
   if (!has_svm(c)) {
      piglit_note("skip: missing CL_DEVICE_SVM_COARSE_GRAIN_BUFFER on '%s': "
                  "no SVM pointer to pass", c->cl.dev.name);
      return PIGLIT_SKIP;
   }
   p = clSVMAlloc(c->cl.ctx, CL_MEM_READ_WRITE, 4096, 0);
   if (!p) {
      piglit_note("clSVMAlloc(4096) failed on an SVM device");
      return PIGLIT_FAIL;
   }
   /* The control case: a pointer inside an SVM allocation is valid, so the
    * refusals below are about the pointer, not the call. */
   err = clSetKernelArgSVMPointer(c->k, 0, p + 64);
   clSVMFree(c->cl.ctx, p);
   piglit_note("SVM pointer + 64: %s", nvsvm_cl_errstr(err));
   return err == CL_SUCCESS ? PIGLIT_PASS : PIGLIT_FAIL;
}

static enum piglit_result
malloc_pointer_kernel_arg_is_refused(void *arg)
{
   struct ctx *c = arg;
   enum piglit_result r;
   cl_int err, want;
   void *p;

   if (!nvsvm_cl_ready(&c->cl, &r))
      return r;
   if (c->cl.dev.svm & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM) {
      piglit_note("skip: not applicable: '%s' has "
                  "CL_DEVICE_SVM_FINE_GRAIN_SYSTEM, so any host pointer is "
                  "an SVM pointer", c->cl.dev.name);
      return PIGLIT_SKIP;
   }
   p = malloc(4096);
   if (!p)
      return PIGLIT_FAIL;
   want = has_svm(c) ? CL_INVALID_ARG_VALUE : CL_INVALID_OPERATION;
   err = clSetKernelArgSVMPointer(c->k, 0, p);
   free(p);
   piglit_note("malloc pointer: %s, expected %s", nvsvm_cl_errstr(err),
               nvsvm_cl_errstr(want));
   if (err == want)
      return PIGLIT_PASS;
   if (err == CL_SUCCESS) {
      /* Not validating costs nothing until the kernel runs: the pointer is
       * then undefined behaviour. Report it without failing the run. */
      piglit_note("implementation accepted a pointer that is not SVM: "
                  "the error is only found when a kernel faults");
      return PIGLIT_WARN;
   }
   return PIGLIT_FAIL;
}

static enum piglit_result
kernel_arg_index_out_of_range_is_refused(void *arg)
{
   struct ctx *c = arg;
   enum piglit_result r;
   cl_int err;
   void *p;

   if (!nvsvm_cl_ready(&c->cl, &r))
      return r;
   p = has_svm(c) ? clSVMAlloc(c->cl.ctx, CL_MEM_READ_WRITE, 4096, 0) : NULL;
   err = clSetKernelArgSVMPointer(c->k, 7, p);
   if (p)
      clSVMFree(c->cl.ctx, p);
   piglit_note("argument 7 of a one-argument kernel: %s",
               nvsvm_cl_errstr(err));
   return err == CL_INVALID_ARG_INDEX ||
          (!has_svm(c) && err == CL_INVALID_OPERATION) ?
          PIGLIT_PASS : PIGLIT_FAIL;
}

static const struct piglit_subtest subtests[] = {
   { "atomics-flag-without-fine-grain-is-refused",
     atomics_flag_without_fine_grain_is_refused },
   { "zero-size-alloc-returns-null", zero_size_alloc_returns_null },
   { "alloc-above-max-mem-alloc-size-returns-null",
     alloc_above_max_mem_alloc_size_returns_null },
   { "non-power-of-two-alignment-returns-null",
     non_power_of_two_alignment_returns_null },
   { "svm-pointer-offset-kernel-arg-is-accepted",
     svm_pointer_offset_kernel_arg_is_accepted },
   { "malloc-pointer-kernel-arg-is-refused",
     malloc_pointer_kernel_arg_is_refused },
   { "kernel-arg-index-out-of-range-is-refused",
     kernel_arg_index_out_of_range_is_refused },
};

int
main(int argc, char **argv)
{
   struct nvsvm_cl_opts o;
   struct ctx c;
   cl_int err;
   int ret;

   ret = nvsvm_cl_parse_opts(&o, argc, argv, false);
   if (ret)
      return ret > 0 ? 0 : 2;

   memset(&c, 0, sizeof(c));
   /* Prefer a device with SVM; a device without any still has to refuse
    * everything, so run there too rather than skip. */
   nvsvm_cl_open(&c.cl, &o, NVSVM_CL_NEED_ANY_SVM, negative_src);
   if (c.cl.missing == NVSVM_CL_NEED_ANY_SVM) {
      nvsvm_cl_close(&c.cl);
      nvsvm_cl_open(&c.cl, &o, 0, negative_src);
   }
   nvsvm_cl_describe(&c.cl);
   if (c.cl.prog) {
      c.k = clCreateKernel(c.cl.prog, "take", &err);
      if (!c.k)
         snprintf(c.cl.error, sizeof(c.cl.error), "clCreateKernel(take): %s",
                  nvsvm_cl_errstr(err));
   }

   ret = piglit_run_subtests(subtests, sizeof(subtests) / sizeof(subtests[0]),
                             &c, argc, argv);
   if (c.k)
      clReleaseKernel(c.k);
   nvsvm_cl_close(&c.cl);
   return ret;
}
