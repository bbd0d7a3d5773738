/* SPDX-License-Identifier: MIT */
/*
 * Harness of the OpenCL SVM-atomics tests: which device, what it lacks (by
 * name), shared memory of either kind, and waits that always end.
 */
#include "nvsvm_cl.h"
#include "host_pingpong.h"
#include "nvsvm_time.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>

#define NVSVM_CL_PAGE 4096u

static const char *const need_names[NVSVM_CL_NEED_COUNT] = {
   "CL_DEVICE_SVM_FINE_GRAIN_BUFFER",
   "CL_DEVICE_SVM_FINE_GRAIN_SYSTEM",
   "CL_DEVICE_SVM_ATOMICS",
   "CL_DEVICE_ATOMIC_SCOPE_ALL_DEVICES",
   "CL_DEVICE_ATOMIC_ORDER_ACQ_REL",
   "CL_DEVICE_OPENCL_C_ALL_VERSIONS>=2.0",
   "CL_DEVICE_SVM_COARSE_GRAIN_BUFFER",
};

const char *
nvsvm_cl_need_name(unsigned need)
{
   for (unsigned i = 0; i < NVSVM_CL_NEED_COUNT; i++) {
      if (need == 1u << i)
         return need_names[i];
   }
   return "unknown capability";
}

const char *
nvsvm_cl_memory_name(enum nvsvm_cl_memory m)
{
   switch (m) {
   case NVSVM_CL_MEM_FINE_GRAIN_BUFFER: return "fine-grain buffer";
   case NVSVM_CL_MEM_FINE_GRAIN_SYSTEM: return "fine-grain system (malloc)";
   case NVSVM_CL_MEM_NONE: break;
   }
   return "none";
}

static void
usage(FILE *f, const char *prog, bool with_memory)
{
   fprintf(f,
           "usage: %s [--platform SUBSTR] [--device SUBSTR]%s\n"
           "          [--timeout-ms N] [--spin-limit N] [--waive CAP,...]\n"
           "          [-subtest NAME]\n"
           "environment: NVSVM_CL_PLATFORM, NVSVM_CL_DEVICE, "
           "NVSVM_CL_TIMEOUT_MS,\n"
           "             NVSVM_CL_SPIN_LIMIT, NVSVM_CL_WAIVE "
           "(options win)\n"
           "waivable: CL_DEVICE_SVM_ATOMICS, "
           "CL_DEVICE_ATOMIC_SCOPE_ALL_DEVICES,\n"
           "          CL_DEVICE_ATOMIC_ORDER_ACQ_REL (results become warn)\n",
           prog, with_memory ? " --memory buffer|system" : "");
}

static int
parse_u64(const char *what, const char *s, uint64_t lo, uint64_t hi,
          uint64_t *out)
{
   char *end;
   unsigned long long v;

   errno = 0;
   v = strtoull(s, &end, 0);
   if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
      fprintf(stderr, "error: %s: '%s' is not a number in [%" PRIu64
              ", %" PRIu64 "]\n", what, s, lo, hi);
      return -EINVAL;
   }
   *out = v;
   return 0;
}

static int
parse_waive(const char *list, unsigned *out)
{
   char buf[512];
   char *save = NULL;

   if (strlen(list) >= sizeof(buf)) {
      fprintf(stderr, "error: --waive: list too long\n");
      return -EINVAL;
   }
   strcpy(buf, list);
   for (char *tok = strtok_r(buf, ", ", &save); tok;
        tok = strtok_r(NULL, ", ", &save)) {
      unsigned found = 0;

      for (unsigned i = 0; i < NVSVM_CL_NEED_COUNT; i++) {
         if (strcmp(tok, need_names[i]) == 0)
            found = 1u << i;
      }
      if (!found) {
         fprintf(stderr, "error: --waive: unknown capability '%s'\n", tok);
         return -EINVAL;
      }
      if (!(found & NVSVM_CL_WAIVABLE)) {
         fprintf(stderr, "error: --waive: %s cannot be waived: the "
                 "scenarios cannot run without it\n", tok);
         return -EINVAL;
      }
      *out |= found;
   }
   return 0;
}

static int
apply_opt(struct nvsvm_cl_opts *o, const char *name, const char *val,
          bool with_memory)
{
   uint64_t v;
   int ret;

   if (strcmp(name, "platform") == 0) {
      o->platform = val[0] ? val : NULL;
   } else if (strcmp(name, "device") == 0) {
      o->device = val[0] ? val : NULL;
   } else if (strcmp(name, "timeout-ms") == 0) {
      ret = parse_u64("--timeout-ms", val, 1, 3600u * 1000u, &v);
      if (ret)
         return ret;
      o->timeout_ms = (unsigned)v;
   } else if (strcmp(name, "spin-limit") == 0) {
      ret = parse_u64("--spin-limit", val, 1, UINT64_MAX, &v);
      if (ret)
         return ret;
      o->spin_limit = v;
   } else if (strcmp(name, "waive") == 0) {
      return parse_waive(val, &o->waive);
   } else if (with_memory && strcmp(name, "memory") == 0) {
      if (strcmp(val, "buffer") == 0) {
         o->memory = NVSVM_CL_MEM_FINE_GRAIN_BUFFER;
      } else if (strcmp(val, "system") == 0) {
         o->memory = NVSVM_CL_MEM_FINE_GRAIN_SYSTEM;
      } else {
         fprintf(stderr, "error: --memory: '%s' is neither 'buffer' nor "
                 "'system'\n", val);
         return -EINVAL;
      }
   } else {
      fprintf(stderr, "error: unknown option '--%s'\n", name);
      return -EINVAL;
   }
   return 0;
}

int
nvsvm_cl_parse_opts(struct nvsvm_cl_opts *o, int argc, char **argv,
                    bool with_memory)
{
   static const struct { const char *env, *opt; } envs[] = {
      { "NVSVM_CL_PLATFORM", "platform" },
      { "NVSVM_CL_DEVICE", "device" },
      { "NVSVM_CL_TIMEOUT_MS", "timeout-ms" },
      { "NVSVM_CL_SPIN_LIMIT", "spin-limit" },
      { "NVSVM_CL_WAIVE", "waive" },
   };
   int ret;

   memset(o, 0, sizeof(*o));
   o->timeout_ms = 20000;
   /* Ends a device wait on a CPU device in seconds; the abort word ends it
    * much sooner whenever host writes reach the device at all. */
   o->spin_limit = UINT64_C(1) << 32;
   o->memory = NVSVM_CL_MEM_NONE;

   for (unsigned i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
      const char *v = getenv(envs[i].env);

      if (v && v[0]) {
         ret = apply_opt(o, envs[i].opt, v, with_memory);
         if (ret) {
            fprintf(stderr, "error: from %s\n", envs[i].env);
            return ret;
         }
      }
   }

   for (int i = 1; i < argc; i++) {
      const char *a = argv[i];
      char name[32];
      const char *val, *eq;

      if (strcmp(a, "-subtest") == 0 && i + 1 < argc) {
         i++;
         continue;
      }
      if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
         usage(stdout, argv[0], with_memory);
         return 1;
      }
      if (strncmp(a, "--", 2) != 0) {
         fprintf(stderr, "error: unexpected argument '%s'\n", a);
         usage(stderr, argv[0], with_memory);
         return -EINVAL;
      }
      eq = strchr(a, '=');
      if (eq) {
         if ((size_t)(eq - a - 2) >= sizeof(name)) {
            fprintf(stderr, "error: unknown option '%s'\n", a);
            return -EINVAL;
         }
         memcpy(name, a + 2, (size_t)(eq - a - 2));
         name[eq - a - 2] = '\0';
         val = eq + 1;
      } else {
         if (strlen(a + 2) >= sizeof(name) || i + 1 >= argc) {
            fprintf(stderr, "error: option '%s' needs a value\n", a);
            usage(stderr, argv[0], with_memory);
            return -EINVAL;
         }
         strcpy(name, a + 2);
         val = argv[++i];
      }
      ret = apply_opt(o, name, val, with_memory);
      if (ret) {
         usage(stderr, argv[0], with_memory);
         return ret;
      }
   }
   if (with_memory && o->memory == NVSVM_CL_MEM_NONE) {
      fprintf(stderr, "error: --memory buffer|system is required\n");
      usage(stderr, argv[0], with_memory);
      return -EINVAL;
   }
   return 0;
}

const char *
nvsvm_cl_errstr(cl_int err)
{
   switch (err) {
#define E(x) case x: return #x
   E(CL_SUCCESS);
   E(CL_DEVICE_NOT_FOUND);
   E(CL_DEVICE_NOT_AVAILABLE);
   E(CL_COMPILER_NOT_AVAILABLE);
   E(CL_MEM_OBJECT_ALLOCATION_FAILURE);
   E(CL_OUT_OF_RESOURCES);
   E(CL_OUT_OF_HOST_MEMORY);
   E(CL_BUILD_PROGRAM_FAILURE);
   E(CL_INVALID_VALUE);
   E(CL_INVALID_DEVICE_TYPE);
   E(CL_INVALID_PLATFORM);
   E(CL_INVALID_DEVICE);
   E(CL_INVALID_CONTEXT);
   E(CL_INVALID_QUEUE_PROPERTIES);
   E(CL_INVALID_COMMAND_QUEUE);
   E(CL_INVALID_MEM_OBJECT);
   E(CL_INVALID_BUILD_OPTIONS);
   E(CL_INVALID_PROGRAM);
   E(CL_INVALID_PROGRAM_EXECUTABLE);
   E(CL_INVALID_KERNEL_NAME);
   E(CL_INVALID_KERNEL);
   E(CL_INVALID_ARG_INDEX);
   E(CL_INVALID_ARG_VALUE);
   E(CL_INVALID_ARG_SIZE);
   E(CL_INVALID_KERNEL_ARGS);
   E(CL_INVALID_WORK_DIMENSION);
   E(CL_INVALID_WORK_GROUP_SIZE);
   E(CL_INVALID_WORK_ITEM_SIZE);
   E(CL_INVALID_EVENT);
   E(CL_INVALID_OPERATION);
   E(CL_INVALID_BUFFER_SIZE);
   E(CL_INVALID_GLOBAL_WORK_SIZE);
   E(CL_INVALID_PROPERTY);
   E(CL_PLATFORM_NOT_FOUND_KHR);
#undef E
   }
   return "unknown OpenCL error";
}

/* "OpenCL 3.0 PoCL ..." -> 30 */
static int
parse_version(const char *s, const char *prefix)
{
   size_t n = strlen(prefix);
   int major, minor;

   if (strncmp(s, prefix, n) != 0 ||
       sscanf(s + n, "%d.%d", &major, &minor) != 2)
      return 0;
   return major * 10 + minor;
}

/* Highest OpenCL C 2.0+ the device compiles, as a -cl-std option. */
static const char *
query_cl_std(cl_device_id d, int version)
{
   char cver[128] = "";
   int best = 0;

   if (version >= 30) {
      cl_name_version v[32];
      size_t sz = 0;

      if (clGetDeviceInfo(d, CL_DEVICE_OPENCL_C_ALL_VERSIONS, sizeof(v), v,
                          &sz) == CL_SUCCESS) {
         for (size_t i = 0; i < sz / sizeof(v[0]); i++) {
            int major = (int)CL_VERSION_MAJOR(v[i].version);

            if (major == 2 || major == 3)
               best = best > major ? best : major;
         }
      }
   }
   if (!best && clGetDeviceInfo(d, CL_DEVICE_OPENCL_C_VERSION, sizeof(cver),
                                cver, NULL) == CL_SUCCESS) {
      int v = parse_version(cver, "OpenCL C ");

      if (v >= 30)
         best = 3;
      else if (v >= 20)
         best = 2;
   }
   return best == 3 ? "-cl-std=CL3.0" : best == 2 ? "-cl-std=CL2.0" : NULL;
}

static void
query_device(cl_platform_id p, cl_device_id d, const char *pname,
             struct nvsvm_cl_dev *out)
{
   int version;

   memset(out, 0, sizeof(*out));
   out->platform = p;
   out->id = d;
   snprintf(out->platform_name, sizeof(out->platform_name), "%s", pname);
   clGetDeviceInfo(d, CL_DEVICE_NAME, sizeof(out->name), out->name, NULL);
   clGetDeviceInfo(d, CL_DEVICE_VERSION, sizeof(out->version), out->version,
                   NULL);
   clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof(out->max_alloc),
                   &out->max_alloc, NULL);
   version = parse_version(out->version, "OpenCL ");

   /* Before 2.0 there is no SVM; the query would fail. */
   if (version >= 20 &&
       clGetDeviceInfo(d, CL_DEVICE_SVM_CAPABILITIES, sizeof(out->svm),
                       &out->svm, NULL) != CL_SUCCESS)
      out->svm = 0;

   /* 3.0 reports atomic capabilities; 2.x requires all of them. */
   if (version >= 30) {
      if (clGetDeviceInfo(d, CL_DEVICE_ATOMIC_MEMORY_CAPABILITIES,
                          sizeof(out->atomics), &out->atomics,
                          NULL) != CL_SUCCESS)
         out->atomics = 0;
   } else if (version >= 20) {
      out->atomics = CL_DEVICE_ATOMIC_ORDER_RELAXED |
                     CL_DEVICE_ATOMIC_ORDER_ACQ_REL |
                     CL_DEVICE_ATOMIC_ORDER_SEQ_CST |
                     CL_DEVICE_ATOMIC_SCOPE_WORK_GROUP |
                     CL_DEVICE_ATOMIC_SCOPE_DEVICE |
                     CL_DEVICE_ATOMIC_SCOPE_ALL_DEVICES;
   }
   out->cl_std = query_cl_std(d, version);

   if (out->svm & CL_DEVICE_SVM_FINE_GRAIN_BUFFER)
      out->has |= NVSVM_CL_NEED_FINE_GRAIN_BUFFER;
   if (out->svm & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM)
      out->has |= NVSVM_CL_NEED_FINE_GRAIN_SYSTEM;
   if (out->svm & CL_DEVICE_SVM_ATOMICS)
      out->has |= NVSVM_CL_NEED_SVM_ATOMICS;
   if (out->svm)
      out->has |= NVSVM_CL_NEED_ANY_SVM;
   if (out->atomics & CL_DEVICE_ATOMIC_SCOPE_ALL_DEVICES)
      out->has |= NVSVM_CL_NEED_SCOPE_ALL_DEVICES;
   if (out->atomics & CL_DEVICE_ATOMIC_ORDER_ACQ_REL)
      out->has |= NVSVM_CL_NEED_ORDER_ACQ_REL;
   if (out->cl_std)
      out->has |= NVSVM_CL_NEED_OPENCL_C_2;
}

static bool
name_matches(const char *name, const char *want)
{
   return !want || strcasestr(name, want) != NULL;
}

static void
names_of(unsigned mask, char *buf, size_t size)
{
   size_t used = 0;

   buf[0] = '\0';
   for (unsigned i = 0; i < NVSVM_CL_NEED_COUNT && used < size; i++) {
      if (mask & (1u << i))
         used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                  used ? ", " : "", need_names[i]);
   }
}

/*
 * Best device for needs among those matching the name filters: one that
 * has everything, else one that lacks only waived needs, else the first.
 * Returns 0, -ENOENT when no platform exists, -ENODEV when none matches.
 */
static int
select_device(const struct nvsvm_cl_opts *o, unsigned needs,
              struct nvsvm_cl_dev *out)
{
   cl_platform_id plats[16];
   cl_uint np = 0;
   int best = -1; /* 2: all needs, 1: all but waived, 0: name match */
   cl_int err;

   err = clGetPlatformIDs(16, plats, &np);
   if (err == CL_PLATFORM_NOT_FOUND_KHR || (err == CL_SUCCESS && np == 0))
      return -ENOENT;
   if (err != CL_SUCCESS)
      return -ENOENT;
   if (np > 16)
      np = 16;

   for (cl_uint p = 0; p < np && best < 2; p++) {
      char pname[256] = "";
      cl_device_id devs[16];
      cl_uint nd = 0;

      clGetPlatformInfo(plats[p], CL_PLATFORM_NAME, sizeof(pname), pname,
                        NULL);
      if (!name_matches(pname, o->platform))
         continue;
      if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 16, devs, &nd) !=
          CL_SUCCESS)
         continue;
      if (nd > 16)
         nd = 16;
      for (cl_uint d = 0; d < nd && best < 2; d++) {
         struct nvsvm_cl_dev cand;
         unsigned lack;
         int score;

         query_device(plats[p], devs[d], pname, &cand);
         if (!name_matches(cand.name, o->device))
            continue;
         lack = needs & ~cand.has;
         score = !lack ? 2 : !(lack & ~o->waive) ? 1 : 0;
         if (score > best) {
            best = score;
            *out = cand;
         }
      }
   }
   return best < 0 ? -ENODEV : 0;
}

static void
print_build_log(cl_program prog, cl_device_id d)
{
   char *log;
   size_t size = 0;
   unsigned lines = 0;

   if (clGetProgramBuildInfo(prog, d, CL_PROGRAM_BUILD_LOG, 0, NULL, &size) !=
       CL_SUCCESS || size == 0)
      return;
   log = malloc(size + 1);
   if (!log)
      return;
   if (clGetProgramBuildInfo(prog, d, CL_PROGRAM_BUILD_LOG, size, log,
                             NULL) == CL_SUCCESS) {
      char *save = NULL;

      log[size] = '\0';
      for (char *l = strtok_r(log, "\n", &save); l && lines < 40;
           l = strtok_r(NULL, "\n", &save), lines++)
         piglit_note("build: %s", l);
   }
   free(log);
}

int
nvsvm_cl_open(struct nvsvm_cl *cl, const struct nvsvm_cl_opts *o,
              unsigned needs, const char *source)
{
   char names[384];
   cl_context_properties props[3];
   cl_int err;
   int ret;

   memset(cl, 0, sizeof(*cl));
   cl->opts = *o;
   cl->needs = needs;

   ret = select_device(o, needs, &cl->dev);
   if (ret == -ENOENT && !o->platform && !o->device) {
      snprintf(cl->skip, sizeof(cl->skip), "missing OpenCL platform: the "
               "ICD loader found none (is an ICD such as pocl-opencl-icd "
               "installed?)");
      return 0;
   }
   if (ret) {
      snprintf(cl->error, sizeof(cl->error), "no OpenCL device matches "
               "platform '%s' and device '%s'",
               o->platform ? o->platform : "*", o->device ? o->device : "*");
      return -ENODEV;
   }

   cl->missing = needs & ~cl->dev.has;
   cl->waived = cl->missing & o->waive;
   cl->missing &= ~cl->waived;
   if (cl->missing) {
      names_of(cl->missing, names, sizeof(names));
      snprintf(cl->skip, sizeof(cl->skip), "missing %s on '%s' (%s)%s",
               names, cl->dev.name, cl->dev.platform_name,
               o->platform || o->device ? "" :
               ": no OpenCL device here reports it");
      return 0;
   }

   props[0] = CL_CONTEXT_PLATFORM;
   props[1] = (cl_context_properties)cl->dev.platform;
   props[2] = 0;
   cl->ctx = clCreateContext(props, 1, &cl->dev.id, NULL, NULL, &err);
   if (!cl->ctx) {
      snprintf(cl->error, sizeof(cl->error), "clCreateContext: %s",
               nvsvm_cl_errstr(err));
      return -EIO;
   }
   if (parse_version(cl->dev.version, "OpenCL ") >= 20) {
      cl->queue = clCreateCommandQueueWithProperties(cl->ctx, cl->dev.id,
                                                     NULL, &err);
      if (!cl->queue) {
         snprintf(cl->error, sizeof(cl->error),
                  "clCreateCommandQueueWithProperties: %s",
                  nvsvm_cl_errstr(err));
         return -EIO;
      }
   }
   if (source) {
      const char *opts = (needs & NVSVM_CL_NEED_OPENCL_C_2) ?
                         cl->dev.cl_std : "";

      cl->prog = clCreateProgramWithSource(cl->ctx, 1, &source, NULL, &err);
      if (!cl->prog) {
         snprintf(cl->error, sizeof(cl->error),
                  "clCreateProgramWithSource: %s", nvsvm_cl_errstr(err));
         return -EIO;
      }
      err = clBuildProgram(cl->prog, 1, &cl->dev.id, opts, NULL, NULL);
      if (err != CL_SUCCESS) {
         print_build_log(cl->prog, cl->dev.id);
         snprintf(cl->error, sizeof(cl->error),
                  "clBuildProgram(\"%s\"): %s", opts, nvsvm_cl_errstr(err));
         return -EIO;
      }
   }
   return 0;
}

void
nvsvm_cl_close(struct nvsvm_cl *cl)
{
   /* A kernel that ignored the abort may still touch shared memory, and
    * releasing its queue may block: leave it all to process exit. */
   if (cl->wedged)
      return;
   if (cl->prog)
      clReleaseProgram(cl->prog);
   if (cl->queue)
      clReleaseCommandQueue(cl->queue);
   if (cl->ctx)
      clReleaseContext(cl->ctx);
   cl->prog = NULL;
   cl->queue = NULL;
   cl->ctx = NULL;
}

void
nvsvm_cl_describe(const struct nvsvm_cl *cl)
{
   const struct nvsvm_cl_dev *d = &cl->dev;
   char names[384];

   if (!d->id)
      return;
   piglit_note("device: %s | platform: %s | %s", d->name, d->platform_name,
               d->version);
   piglit_note("svm:%s%s%s%s%s | atomics:%s%s%s%s%s%s%s | compiler: %s",
               d->svm & CL_DEVICE_SVM_COARSE_GRAIN_BUFFER ?
               " COARSE_GRAIN_BUFFER" : "",
               d->svm & CL_DEVICE_SVM_FINE_GRAIN_BUFFER ?
               " FINE_GRAIN_BUFFER" : "",
               d->svm & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM ?
               " FINE_GRAIN_SYSTEM" : "",
               d->svm & CL_DEVICE_SVM_ATOMICS ? " ATOMICS" : "",
               d->svm ? "" : " none",
               d->atomics & CL_DEVICE_ATOMIC_ORDER_RELAXED ? " relaxed" : "",
               d->atomics & CL_DEVICE_ATOMIC_ORDER_ACQ_REL ? " acq_rel" : "",
               d->atomics & CL_DEVICE_ATOMIC_ORDER_SEQ_CST ? " seq_cst" : "",
               d->atomics & CL_DEVICE_ATOMIC_SCOPE_WORK_GROUP ?
               " work_group" : "",
               d->atomics & CL_DEVICE_ATOMIC_SCOPE_DEVICE ? " device" : "",
               d->atomics & CL_DEVICE_ATOMIC_SCOPE_ALL_DEVICES ?
               " all_devices" : "",
               d->atomics ? "" : " none",
               d->cl_std ? d->cl_std : "OpenCL C 1.x only");
   if (cl->waived) {
      names_of(cl->waived, names, sizeof(names));
      piglit_note("waived: %s (passing scenarios report warn)", names);
   }
}

bool
nvsvm_cl_ready(struct nvsvm_cl *cl, enum piglit_result *r)
{
   if (cl->wedged) {
      piglit_note("not run: an earlier kernel may still be running");
      *r = PIGLIT_FAIL;
      return false;
   }
   if (cl->error[0]) {
      piglit_note("setup failed: %s", cl->error);
      *r = PIGLIT_FAIL;
      return false;
   }
   if (cl->skip[0]) {
      piglit_note("skip: %s", cl->skip);
      *r = PIGLIT_SKIP;
      return false;
   }
   return true;
}

enum piglit_result
nvsvm_cl_verdict(const struct nvsvm_cl *cl, bool ok)
{
   if (!ok)
      return PIGLIT_FAIL;
   return cl->waived ? PIGLIT_WARN : PIGLIT_PASS;
}

/* clSVMAlloc may refuse page alignment; then over-allocate and remember
 * the base for clSVMFree. */
struct svm_block {
   void *aligned, *base;
};
static struct svm_block svm_blocks[32];

void *
nvsvm_cl_alloc(struct nvsvm_cl *cl, enum nvsvm_cl_memory m, size_t size)
{
   size_t rounded = (size + NVSVM_CL_PAGE - 1) & ~(size_t)(NVSVM_CL_PAGE - 1);
   void *p = NULL;

   if (m == NVSVM_CL_MEM_FINE_GRAIN_BUFFER) {
      cl_svm_mem_flags flags = CL_MEM_READ_WRITE |
                               CL_MEM_SVM_FINE_GRAIN_BUFFER;
      void *base;
      unsigned slot;

      for (slot = 0; slot < 32 && svm_blocks[slot].base; slot++)
         ;
      if (slot == 32) {
         piglit_note("alloc: too many live SVM blocks");
         return NULL;
      }
      /* Without ATOMICS (waived) the flag would make the allocation fail. */
      if (cl->dev.svm & CL_DEVICE_SVM_ATOMICS)
         flags |= CL_MEM_SVM_ATOMICS;
      base = clSVMAlloc(cl->ctx, flags, rounded, NVSVM_CL_PAGE);
      p = base;
      if (!base) {
         base = clSVMAlloc(cl->ctx, flags, rounded + NVSVM_CL_PAGE, 0);
         p = base ? (void *)(((uintptr_t)base + NVSVM_CL_PAGE - 1) &
                             ~(uintptr_t)(NVSVM_CL_PAGE - 1)) : NULL;
      }
      if (!base) {
         piglit_note("alloc: clSVMAlloc(%zu bytes, fine grain%s) failed",
                     rounded, flags & CL_MEM_SVM_ATOMICS ? " + atomics" : "");
         return NULL;
      }
      svm_blocks[slot].aligned = p;
      svm_blocks[slot].base = base;
   } else if (m == NVSVM_CL_MEM_FINE_GRAIN_SYSTEM) {
      if (posix_memalign(&p, NVSVM_CL_PAGE, rounded)) {
         piglit_note("alloc: posix_memalign(%zu) failed", rounded);
         return NULL;
      }
      /* Kernels up to 6.14 cannot make THP-backed pages device-exclusive
       * (docs/kernel-path.md): keep atomics on small pages. EINVAL
       * without THP is fine. */
      (void)madvise(p, rounded, MADV_NOHUGEPAGE);
   } else {
      return NULL;
   }
   memset(p, 0, rounded);
   return p;
}

void
nvsvm_cl_free(struct nvsvm_cl *cl, enum nvsvm_cl_memory m, void *p,
              size_t size)
{
   (void)size;
   if (!p || cl->wedged)
      return;
   if (m == NVSVM_CL_MEM_FINE_GRAIN_BUFFER) {
      for (unsigned i = 0; i < 32; i++) {
         if (svm_blocks[i].aligned == p) {
            clSVMFree(cl->ctx, svm_blocks[i].base);
            svm_blocks[i].aligned = svm_blocks[i].base = NULL;
            return;
         }
      }
   } else if (m == NVSVM_CL_MEM_FINE_GRAIN_SYSTEM) {
      free(p);
   }
}

cl_kernel
nvsvm_cl_kernel(struct nvsvm_cl *cl, const char *name)
{
   cl_int err;
   cl_kernel k = clCreateKernel(cl->prog, name, &err);

   if (!k)
      piglit_note("clCreateKernel(%s): %s", name, nvsvm_cl_errstr(err));
   return k;
}

bool
nvsvm_cl_arg_ptr(cl_kernel k, cl_uint index, const void *p)
{
   cl_int err = clSetKernelArgSVMPointer(k, index, p);

   if (err != CL_SUCCESS)
      piglit_note("clSetKernelArgSVMPointer(%u): %s", index,
                  nvsvm_cl_errstr(err));
   return err == CL_SUCCESS;
}

bool
nvsvm_cl_arg(cl_kernel k, cl_uint index, size_t size, const void *value)
{
   cl_int err = clSetKernelArg(k, index, size, value);

   if (err != CL_SUCCESS)
      piglit_note("clSetKernelArg(%u): %s", index, nvsvm_cl_errstr(err));
   return err == CL_SUCCESS;
}

bool
nvsvm_cl_launch(struct nvsvm_cl *cl, cl_kernel k, size_t global,
                cl_event *ev)
{
   size_t local = 1;
   cl_int err;

   err = clEnqueueNDRangeKernel(cl->queue, k, 1, NULL, &global, &local, 0,
                                NULL, ev);
   if (err != CL_SUCCESS) {
      piglit_note("clEnqueueNDRangeKernel(%zu items): %s", global,
                  nvsvm_cl_errstr(err));
      return false;
   }
   err = clFlush(cl->queue);
   if (err != CL_SUCCESS) {
      piglit_note("clFlush: %s", nvsvm_cl_errstr(err));
      return false;
   }
   return true;
}

uint64_t
nvsvm_cl_now_ns(void)
{
   return nvsvm_time_ns();
}

uint64_t
nvsvm_cl_deadline(const struct nvsvm_cl *cl)
{
   return nvsvm_cl_now_ns() + (uint64_t)cl->opts.timeout_ms * 1000000u;
}

/* 0 complete, 1 still running, -EIO failed. */
static int
event_state(cl_event ev)
{
   cl_int st;

   if (clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof(st), &st,
                      NULL) != CL_SUCCESS)
      return -EIO;
   if (st < 0)
      return -EIO;
   return st == CL_COMPLETE ? 0 : 1;
}

static int
poll_event(cl_event ev, uint64_t deadline)
{
   long sleep_ns = 50000;

   for (;;) {
      int s = event_state(ev);

      if (s <= 0)
         return s;
      if (nvsvm_cl_now_ns() > deadline)
         return 1;
      nanosleep(&(struct timespec){ .tv_nsec = sleep_ns }, NULL);
      if (sleep_ns < 2000000)
         sleep_ns *= 2;
   }
}

int
nvsvm_cl_finish(struct nvsvm_cl *cl, cl_event ev, _Atomic uint32_t *ctl)
{
   int s = poll_event(ev, nvsvm_cl_deadline(cl));
   unsigned grace;

   if (s == 0) {
      clReleaseEvent(ev);
      return 0;
   }
   if (s < 0) {
      piglit_note("kernel failed (execution status < 0)");
      clReleaseEvent(ev);
      return -EIO;
   }
   piglit_note("timeout: kernel still running after %u ms; raising abort",
               cl->opts.timeout_ms);
   atomic_store_explicit(&ctl[NVSVM_CTL_ABORT], 1, memory_order_release);
   /* Device waits poll the abort word every ~1000 loads: a second is
    * plenty even when --timeout-ms is tiny. */
   grace = cl->opts.timeout_ms < 1000 ? 1000 : cl->opts.timeout_ms;
   s = poll_event(ev, nvsvm_cl_now_ns() + (uint64_t)grace * 1000000u);
   if (s == 0) {
      clReleaseEvent(ev);
   } else {
      piglit_note("kernel ignored the abort for another %u ms: giving up "
                  "on this context", grace);
      cl->wedged = true;
   }
   return -ETIMEDOUT;
}


bool
nvsvm_cl_wait_eq(_Atomic uint32_t *p, uint32_t want, uint64_t deadline_ns,
                 _Atomic uint32_t *abort)
{
   return nvsvm_host_wait(p, want, false, deadline_ns, abort);
}

bool
nvsvm_cl_wait_ge(_Atomic uint32_t *p, uint32_t want, uint64_t deadline_ns,
                 _Atomic uint32_t *abort)
{
   return nvsvm_host_wait(p, want, true, deadline_ns, abort);
}
