/* SPDX-License-Identifier: MIT */
/*
 * Builds one OpenCL kernel from a source file on the first device whose
 * platform and device names match, and launches it once on a small buffer,
 * so that the driver compiles it to machine code (with NV50_PROG_DEBUG set,
 * nvc0 prints its IR on stderr). rusticl already has nvc0 translate every
 * kernel at clBuildProgram; the launch uploads the code (nvc0 prints it).
 * Under Mesa's nouveau drm-shim nothing executes.
 *
 * usage: cl-compile-one SOURCE KERNEL [BUILD-OPTIONS]
 * NVSVM_CL_PLATFORM / NVSVM_CL_DEVICE: name substrings (default: any).
 * Exit: 0 built and launched, 1 a named CL error, 2 usage, 77 no device.
 */
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
fail(const char *what, cl_int err)
{
   fprintf(stderr, "cl-compile-one: %s failed: CL error %d\n", what, err);
   return 1;
}

static char *
read_file(const char *path)
{
   FILE *f = fopen(path, "rb");
   char *buf = NULL;
   long len;

   if (!f)
      return NULL;
   if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
       fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(len + 1))) {
      if (fread(buf, 1, len, f) != (size_t)len) {
         free(buf);
         buf = NULL;
      } else {
         buf[len] = '\0';
      }
   }
   fclose(f);
   return buf;
}

static int
matches(const char *name, const char *want)
{
   return !want || !*want || strstr(name, want);
}

static cl_device_id
pick_device(void)
{
   const char *want_plat = getenv("NVSVM_CL_PLATFORM");
   const char *want_dev = getenv("NVSVM_CL_DEVICE");
   cl_platform_id plats[16];
   cl_uint nplat = 0;

   if (clGetPlatformIDs(16, plats, &nplat) != CL_SUCCESS)
      return NULL;
   for (cl_uint p = 0; p < nplat && p < 16; p++) {
      char name[256] = "";
      cl_device_id devs[16];
      cl_uint ndev = 0;

      clGetPlatformInfo(plats[p], CL_PLATFORM_NAME, sizeof(name), name, NULL);
      if (!matches(name, want_plat))
         continue;
      if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 16, devs,
                         &ndev) != CL_SUCCESS)
         continue;
      for (cl_uint d = 0; d < ndev && d < 16; d++) {
         clGetDeviceInfo(devs[d], CL_DEVICE_NAME, sizeof(name), name, NULL);
         if (matches(name, want_dev)) {
            fprintf(stderr, "cl-compile-one: device \"%s\"\n", name);
            return devs[d];
         }
      }
   }
   return NULL;
}

int
main(int argc, char **argv)
{
   cl_device_id dev;
   cl_context ctx = NULL;
   cl_command_queue q = NULL;
   cl_program prog = NULL;
   cl_kernel k = NULL;
   cl_mem buf = NULL;
   cl_int err;
   char *src;
   int ret = 1;

   if (argc < 3 || argc > 4) {
      fprintf(stderr, "usage: cl-compile-one SOURCE KERNEL [OPTIONS]\n");
      return 2;
   }
   src = read_file(argv[1]);
   if (!src) {
      fprintf(stderr, "cl-compile-one: cannot read %s\n", argv[1]);
      return 2;
   }
   dev = pick_device();
   if (!dev) {
      fprintf(stderr, "cl-compile-one: no matching OpenCL device\n");
      free(src);
      return 77;
   }

   ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
   if (!ctx) {
      ret = fail("clCreateContext", err);
      goto out;
   }
   q = clCreateCommandQueueWithProperties(ctx, dev, NULL, &err);
   if (!q) {
      ret = fail("clCreateCommandQueueWithProperties", err);
      goto out;
   }
   prog = clCreateProgramWithSource(ctx, 1, (const char **)&src, NULL, &err);
   if (!prog) {
      ret = fail("clCreateProgramWithSource", err);
      goto out;
   }
   err = clBuildProgram(prog, 1, &dev, argc > 3 ? argv[3] : "", NULL, NULL);
   if (err != CL_SUCCESS) {
      char log[8192] = "";

      clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, sizeof(log),
                            log, NULL);
      fprintf(stderr, "cl-compile-one: build log:\n%s\n", log);
      ret = fail("clBuildProgram", err);
      goto out;
   }
   k = clCreateKernel(prog, argv[2], &err);
   if (!k) {
      ret = fail("clCreateKernel", err);
      goto out;
   }
   buf = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 4096, NULL, &err);
   if (!buf) {
      ret = fail("clCreateBuffer", err);
      goto out;
   }
   err = clSetKernelArg(k, 0, sizeof(buf), &buf);
   if (err != CL_SUCCESS) {
      ret = fail("clSetKernelArg", err);
      goto out;
   }
   size_t global = 1;
   err = clEnqueueNDRangeKernel(q, k, 1, NULL, &global, NULL, 0, NULL, NULL);
   if (err != CL_SUCCESS) {
      ret = fail("clEnqueueNDRangeKernel", err);
      goto out;
   }
   err = clFinish(q);
   if (err != CL_SUCCESS) {
      ret = fail("clFinish", err);
      goto out;
   }
   ret = 0;
out:
   if (buf)
      clReleaseMemObject(buf);
   if (k)
      clReleaseKernel(k);
   if (prog)
      clReleaseProgram(prog);
   if (q)
      clReleaseCommandQueue(q);
   if (ctx)
      clReleaseContext(ctx);
   free(src);
   return ret;
}
