/* SPDX-License-Identifier: MIT */
/*
 * rusticl on nouveau under Mesa's nouveau drm-shim, with the shim's SVM
 * ioctls forwarded to vsvm (NOUVEAU_SHIM_SVM_DEVICE): what the device
 * reports and what clEnqueueSVMMigrateMem does, checked from the kernel's
 * side (the process's pagemap and vsvm's device counters).
 *
 * usage: cl-shim-svm caps-on|caps-off|migrate|launch [VSVM-NODE]
 *   caps-on   the device reports fine-grain system SVM with atomics
 *   caps-off  it reports neither (SVM_INIT was refused or not forwarded)
 *   migrate   malloc pages move into vsvm's device memory and back;
 *             CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED drops them
 *   launch    SVM kernel arguments reach the driver before the launch
 *             (run with NOUVEAU_SVM_CHECK=1): a CL_MEM_SVM_ATOMICS
 *             allocation is made device-exclusive, MAP_SHARED memory is
 *             refused, plain malloc memory is left alone
 * VSVM-NODE: a path to vsvm's render node that the shim does not fake
 * (the counters are read through it). Prints piglit result lines and
 * "N passed, N failed, N skipped". Kernel launches do not execute under
 * the noop shim: "launch" checks what happens before one, not its result.
 */
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagemap.h"
#include "piglit.h"
#include "shim_view.h"
#include "vsvm_drm.h"

#define SHIM_PAGES 16u
#define SHIM_PAGE 4096u
/* Every wait ends: a hung enqueue fails the run instead of the VM. */
#define SHIM_ALARM_S 90u

struct shim {
   cl_platform_id platform;
   cl_device_id device;
   cl_context ctx;
   cl_command_queue queue;
   cl_kernel kernel;
   const char *vsvm_node;
   const char *mode;
};

static int
shim_open_device(struct shim *s)
{
   cl_platform_id plats[8];
   cl_uint np = 0;
   cl_int err;
   char name[256];

   err = clGetPlatformIDs(8, plats, &np);
   if (err != CL_SUCCESS || np == 0) {
      piglit_note("no OpenCL platform (CL error %d)", err);
      return -ENODEV;
   }
   for (cl_uint i = 0; i < np; i++) {
      cl_uint nd = 0;
      if (clGetDeviceIDs(plats[i], CL_DEVICE_TYPE_ALL, 1, &s->device,
                         &nd) != CL_SUCCESS || nd == 0)
         continue;
      s->platform = plats[i];
      clGetDeviceInfo(s->device, CL_DEVICE_NAME, sizeof(name), name, NULL);
      piglit_note("device: %s", name);
      return 0;
   }
   piglit_note("no OpenCL device on %u platform(s)", np);
   return -ENODEV;
}

static cl_device_svm_capabilities
shim_svm_caps(const struct shim *s)
{
   cl_device_svm_capabilities caps = 0;

   if (clGetDeviceInfo(s->device, CL_DEVICE_SVM_CAPABILITIES, sizeof(caps),
                       &caps, NULL) != CL_SUCCESS)
      return 0;
   piglit_note("CL_DEVICE_SVM_CAPABILITIES 0x%" PRIx64
               ": fine-grain system %s, atomics %s", (uint64_t)caps,
               caps & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM ? "yes" : "no",
               caps & CL_DEVICE_SVM_ATOMICS ? "yes" : "no");
   return caps;
}

static enum piglit_result
svm_caps_come_from_svm_init(void *ctx)
{
   const struct shim *s = ctx;
   cl_device_svm_capabilities want =
      CL_DEVICE_SVM_FINE_GRAIN_SYSTEM | CL_DEVICE_SVM_ATOMICS;
   cl_device_svm_capabilities caps = shim_svm_caps(s);

   if (strcmp(s->mode, "caps-on") == 0)
      return (caps & want) == want ? PIGLIT_PASS : PIGLIT_FAIL;
   return (caps & want) == 0 ? PIGLIT_PASS : PIGLIT_FAIL;
}

static cl_int
migrate(const struct shim *s, void *p, size_t len, cl_mem_migration_flags f)
{
   const void *ptrs[1] = { p };
   cl_int err = clEnqueueSVMMigrateMem(s->queue, 1, ptrs, &len, f, 0, NULL,
                                       NULL);
   if (err == CL_SUCCESS)
      err = clFinish(s->queue);
   return err;
}

static enum piglit_result
svm_migrate_moves_malloc_pages_to_vsvm_and_back(void *ctx)
{
   const struct shim *s = ctx;
   const size_t len = SHIM_PAGES * SHIM_PAGE;
   struct drm_vsvm_counters c0, c1, c2, c3, c4;
   enum piglit_result res = PIGLIT_PASS;
   uint32_t *buf = NULL;
   unsigned n, bad = 0;
   cl_int err;

   if (!s->vsvm_node)
      return PIGLIT_FAIL;
   if (posix_memalign((void **)&buf, SHIM_PAGE, len) != 0)
      return PIGLIT_FAIL;
   for (size_t i = 0; i < len / 4; i++)
      buf[i] = (uint32_t)(0x5a000000u ^ i);
   CHECK(vsvm_counters(s->vsvm_node, &c0) == 0, "vsvm STATS on %s: %s",
         s->vsvm_node, strerror(errno));

   /* To the device: every page leaves system memory. */
   err = migrate(s, buf, len, 0);
   CHECK(err == CL_SUCCESS, "migrate to device: CL error %d", err);
   CHECK(vsvm_counters(s->vsvm_node, &c1) == 0, "vsvm STATS failed");
   n = count_pages(buf, SHIM_PAGES, PAGE_SWAPPED);
   piglit_note("to device: %u of %u pages in device memory (pagemap), "
               "vsvm migrate_to_dev +%" PRIu64, n, SHIM_PAGES,
               (uint64_t)(c1.migrate_to_dev - c0.migrate_to_dev));
   CHECK(n == SHIM_PAGES && c1.migrate_to_dev - c0.migrate_to_dev ==
         SHIM_PAGES, "pages did not move to vsvm's memory");

   /* Back to the host: faulted back, content intact. */
   err = migrate(s, buf, len, CL_MIGRATE_MEM_OBJECT_HOST);
   CHECK(err == CL_SUCCESS, "migrate to host: CL error %d", err);
   CHECK(vsvm_counters(s->vsvm_node, &c2) == 0, "vsvm STATS failed");
   n = count_pages(buf, SHIM_PAGES, PAGE_PRESENT);
   for (size_t i = 0; i < len / 4; i++)
      bad += buf[i] != (uint32_t)(0x5a000000u ^ i);
   piglit_note("to host: %u of %u pages present, vsvm migrate_to_ram +%"
               PRIu64 ", %u words differ", n, SHIM_PAGES,
               (uint64_t)(c2.migrate_to_ram - c1.migrate_to_ram), bad);
   CHECK(n == SHIM_PAGES && bad == 0 &&
         c2.migrate_to_ram - c1.migrate_to_ram == SHIM_PAGES,
         "pages did not come back intact");

   /* Content undefined: to device, then dropped instead of copied back. */
   err = migrate(s, buf, len, 0);
   CHECK(err == CL_SUCCESS, "second migrate to device: CL error %d", err);
   CHECK(vsvm_counters(s->vsvm_node, &c3) == 0, "vsvm STATS failed");
   CHECK(count_pages(buf, SHIM_PAGES, PAGE_SWAPPED) == SHIM_PAGES,
         "second migrate to device left pages behind");
   err = migrate(s, buf, len, CL_MIGRATE_MEM_OBJECT_HOST |
                 CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED);
   CHECK(err == CL_SUCCESS, "migrate with content undefined: CL error %d",
         err);
   CHECK(vsvm_counters(s->vsvm_node, &c4) == 0, "vsvm STATS failed");
   n = count_pages(buf, SHIM_PAGES, PAGE_NONE);
   piglit_note("content undefined: %u of %u pages dropped (neither "
               "present nor in device memory), vsvm migrate_to_ram +%"
               PRIu64, n, SHIM_PAGES,
               (uint64_t)(c4.migrate_to_ram - c3.migrate_to_ram));
   CHECK(n == SHIM_PAGES && c4.migrate_to_ram == c3.migrate_to_ram,
         "content-undefined migrate copied pages back or kept them");
   bad = 0;
   for (size_t i = 0; i < len / 4; i++)
      bad += buf[i] != 0;
   CHECK(bad == 0, "dropped pages read back %u non-zero words", bad);
out:
   free(buf);
   return res;
}

static const char shim_kernel_src[] =
   "kernel void bump(global int *p) { atomic_inc(p); }\n";

/*
 * One launch of bump() on p: returns the error of setting the argument or
 * enqueueing (CL_SUCCESS when both went through) and stores the command's
 * final status (CL_COMPLETE or the negative error it failed with).
 */
static cl_int
launch_on(const struct shim *s, void *p, cl_int *status)
{
   size_t one = 1;
   cl_event ev = NULL;
   cl_command_queue q;
   cl_int err;

   /* A queue of its own: in an in-order queue a failed command fails the
    * ones after it, and each scenario stands alone. */
   *status = CL_INVALID_VALUE;
   q = clCreateCommandQueueWithProperties(s->ctx, s->device, NULL, &err);
   if (err != CL_SUCCESS)
      return err;
   err = clSetKernelArgSVMPointer(s->kernel, 0, p);
   if (err == CL_SUCCESS)
      err = clEnqueueNDRangeKernel(q, s->kernel, 1, NULL, &one, NULL, 0,
                                   NULL, &ev);
   if (err != CL_SUCCESS) {
      piglit_note("setting the SVM argument or enqueueing: CL error %d", err);
      clReleaseCommandQueue(q);
      return err;
   }
   clFinish(q);
   err = clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS,
                        sizeof(*status), status, NULL);
   clReleaseEvent(ev);
   clReleaseCommandQueue(q);
   return err;
}

static enum piglit_result
svm_atomics_allocation_is_device_exclusive_before_launch(void *ctx)
{
   const struct shim *s = ctx;
   const size_t len = 4 * SHIM_PAGE;
   struct drm_vsvm_counters c0, c1;
   enum piglit_result res = PIGLIT_PASS;
   unsigned n;
   cl_int st;
   char *p = clSVMAlloc(s->ctx, CL_MEM_READ_WRITE |
                        CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS,
                        len, SHIM_PAGE);

   if (!p) {
      piglit_note("clSVMAlloc(CL_MEM_SVM_ATOMICS) failed");
      return PIGLIT_FAIL;
   }
   memset(p, 0, len);
   CHECK(vsvm_counters(s->vsvm_node, &c0) == 0, "vsvm STATS failed");
   CHECK(launch_on(s, p, &st) == CL_SUCCESS, "no launch");
   CHECK(vsvm_counters(s->vsvm_node, &c1) == 0, "vsvm STATS failed");
   n = count_pages(p, 4, PAGE_SWAPPED);
   piglit_note("launch status %d; %u of 4 pages device-exclusive, vsvm "
               "conversions +%" PRIu64, st, n,
               (uint64_t)(c1.conversions - c0.conversions));
   CHECK(st == CL_COMPLETE && n == 4 && c1.conversions - c0.conversions == 4,
         "the atomics allocation was not converted before the launch");
out:
   clSVMFree(s->ctx, p);
   return res;
}

static enum piglit_result
launch_on_shared_memory_fails_before_it_runs(void *ctx)
{
   const struct shim *s = ctx;
   cl_int err, st;
   void *p = mmap(NULL, SHIM_PAGE, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

   if (p == MAP_FAILED)
      return PIGLIT_FAIL;
   /* Accepted at the API (any pointer is SVM), refused before it runs. */
   err = launch_on(s, p, &st);
   piglit_note("launch on MAP_SHARED memory: enqueue %d, status %d (want "
               "0 and %d, CL_INVALID_OPERATION)", err, st,
               CL_INVALID_OPERATION);
   munmap(p, SHIM_PAGE);
   return err == CL_SUCCESS && st == CL_INVALID_OPERATION ? PIGLIT_PASS
                                                          : PIGLIT_FAIL;
}

static enum piglit_result
launch_on_plain_malloc_memory_runs_untouched(void *ctx)
{
   const struct shim *s = ctx;
   struct drm_vsvm_counters c0, c1;
   enum piglit_result res = PIGLIT_PASS;
   int *p = NULL;
   cl_int st;

   if (posix_memalign((void **)&p, SHIM_PAGE, SHIM_PAGE) != 0)
      return PIGLIT_FAIL;
   memset(p, 0, SHIM_PAGE);
   CHECK(vsvm_counters(s->vsvm_node, &c0) == 0, "vsvm STATS failed");
   CHECK(launch_on(s, p, &st) == CL_SUCCESS, "no launch");
   CHECK(vsvm_counters(s->vsvm_node, &c1) == 0, "vsvm STATS failed");
   piglit_note("launch on malloc memory: status %d, vsvm conversions +%"
               PRIu64, st, (uint64_t)(c1.conversions - c0.conversions));
   CHECK(st == CL_COMPLETE && c1.conversions == c0.conversions &&
         count_pages(p, 1, PAGE_PRESENT) == 1,
         "plain malloc memory was refused or converted");
out:
   free(p);
   return res;
}

int
main(int argc, char **argv)
{
   static const struct piglit_subtest caps[] = {
      { "svm_caps_come_from_svm_init", svm_caps_come_from_svm_init },
   };
   static const struct piglit_subtest mig[] = {
      { "svm_migrate_moves_malloc_pages_to_vsvm_and_back",
        svm_migrate_moves_malloc_pages_to_vsvm_and_back },
   };
   static const struct piglit_subtest launch[] = {
      { "svm_atomics_allocation_is_device_exclusive_before_launch",
        svm_atomics_allocation_is_device_exclusive_before_launch },
      { "launch_on_shared_memory_fails_before_it_runs",
        launch_on_shared_memory_fails_before_it_runs },
      { "launch_on_plain_malloc_memory_runs_untouched",
        launch_on_plain_malloc_memory_runs_untouched },
   };
   const char *src = shim_kernel_src;
   cl_program prog = NULL;
   struct shim s = { 0 };
   cl_int err;
   int ret;

   if (argc < 2 || (strcmp(argv[1], "caps-on") != 0 &&
                    strcmp(argv[1], "caps-off") != 0 &&
                    strcmp(argv[1], "migrate") != 0 &&
                    strcmp(argv[1], "launch") != 0)) {
      fprintf(stderr, "usage: %s caps-on|caps-off|migrate|launch "
              "[VSVM-NODE]\n", argv[0]);
      return 2;
   }
   s.mode = argv[1];
   s.vsvm_node = argc > 2 ? argv[2] : NULL;
   shim_alarm_arm("cl-shim-svm", SHIM_ALARM_S);

   if (shim_open_device(&s) != 0) {
      piglit_report_result(PIGLIT_FAIL);
      printf("0 passed, 1 failed, 0 skipped\n");
      return 1;
   }
   if (strncmp(s.mode, "caps-", 5) == 0)
      return piglit_run_subtests(caps, 1, &s, 1, argv);

   s.ctx = clCreateContext(NULL, 1, &s.device, NULL, NULL, &err);
   if (err == CL_SUCCESS)
      s.queue = clCreateCommandQueueWithProperties(s.ctx, s.device, NULL,
                                                   &err);
   if (err != CL_SUCCESS) {
      piglit_note("context or queue: CL error %d", err);
      piglit_report_result(PIGLIT_FAIL);
      printf("0 passed, 1 failed, 0 skipped\n");
      return 1;
   }
   if (strcmp(s.mode, "migrate") == 0) {
      ret = piglit_run_subtests(mig, 1, &s, 1, argv);
   } else {
      prog = clCreateProgramWithSource(s.ctx, 1, &src, NULL, &err);
      if (err == CL_SUCCESS)
         err = clBuildProgram(prog, 1, &s.device, "-cl-std=CL2.0", NULL,
                              NULL);
      if (err == CL_SUCCESS)
         s.kernel = clCreateKernel(prog, "bump", &err);
      if (err != CL_SUCCESS || !s.vsvm_node) {
         char log[2048] = "";

         if (prog)
            clGetProgramBuildInfo(prog, s.device, CL_PROGRAM_BUILD_LOG,
                                  sizeof(log) - 1, log, NULL);
         piglit_note("building bump(): CL error %d: %s", err, log);
         piglit_report_result(PIGLIT_FAIL);
         printf("0 passed, 1 failed, 0 skipped\n");
         return 1;
      }
      ret = piglit_run_subtests(launch, 3, &s, 1, argv);
      clReleaseKernel(s.kernel);
      clReleaseProgram(prog);
   }
   clReleaseCommandQueue(s.queue);
   clReleaseContext(s.ctx);
   return ret;
}
