/* SPDX-License-Identifier: MIT */
/*
 * Harness of the OpenCL SVM-atomics tests: device choice by name, capability
 * checks that name what is missing, SVM memory of either kind, kernel runs
 * and host-side waits that always end.
 */
#ifndef NVSVM_CL_H
#define NVSVM_CL_H

#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>
#include <CL/cl_ext.h> /* CL_PLATFORM_NOT_FOUND_KHR (cl_khr_icd) */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvsvm_cl_shared.h"
#include "../common/piglit.h"

/* What a scenario needs from the device; each has the name users grep for. */
enum nvsvm_cl_need {
   NVSVM_CL_NEED_FINE_GRAIN_BUFFER = 1u << 0,
   NVSVM_CL_NEED_FINE_GRAIN_SYSTEM = 1u << 1,
   NVSVM_CL_NEED_SVM_ATOMICS       = 1u << 2,
   NVSVM_CL_NEED_SCOPE_ALL_DEVICES = 1u << 3,
   NVSVM_CL_NEED_ORDER_ACQ_REL     = 1u << 4,
   NVSVM_CL_NEED_OPENCL_C_2        = 1u << 5,
   NVSVM_CL_NEED_ANY_SVM           = 1u << 6,
   NVSVM_CL_NEED_COUNT             = 7,
};

/* Needs a user may waive to try an implementation that under-reports. */
#define NVSVM_CL_WAIVABLE (NVSVM_CL_NEED_SVM_ATOMICS | \
                           NVSVM_CL_NEED_SCOPE_ALL_DEVICES | \
                           NVSVM_CL_NEED_ORDER_ACQ_REL)

/* The atomics scenarios need all of these, plus one memory kind. */
#define NVSVM_CL_NEED_ATOMICS (NVSVM_CL_NEED_SVM_ATOMICS | \
                               NVSVM_CL_NEED_SCOPE_ALL_DEVICES | \
                               NVSVM_CL_NEED_ORDER_ACQ_REL | \
                               NVSVM_CL_NEED_OPENCL_C_2)

enum nvsvm_cl_memory {
   NVSVM_CL_MEM_NONE,
   NVSVM_CL_MEM_FINE_GRAIN_BUFFER, /* clSVMAlloc */
   NVSVM_CL_MEM_FINE_GRAIN_SYSTEM, /* plain malloc memory */
};

struct nvsvm_cl_opts {
   const char *platform;        /* platform name substring; NULL: any */
   const char *device;          /* device name substring; NULL: any */
   unsigned timeout_ms;         /* bound of each host-side wait */
   uint64_t spin_limit;         /* bound of each device-side wait (loads) */
   unsigned waive;              /* needs the user waived (NVSVM_CL_NEED_*) */
   enum nvsvm_cl_memory memory; /* --memory, for programs that take it */
};

struct nvsvm_cl_dev {
   cl_platform_id platform;
   cl_device_id id;
   char platform_name[256];
   char name[256];
   char version[128];
   cl_device_svm_capabilities svm;
   cl_device_atomic_capabilities atomics;
   cl_ulong max_alloc;
   const char *cl_std; /* build option for OpenCL C 2.0/3.0, or NULL */
   unsigned has;       /* NVSVM_CL_NEED_* this device meets */
};

struct nvsvm_cl {
   struct nvsvm_cl_opts opts;
   struct nvsvm_cl_dev dev;
   unsigned needs;
   unsigned missing;   /* needs the device lacks and nobody waived */
   unsigned waived;    /* needs the device lacks but the user waived */
   char skip[1024];     /* why every scenario skips; "" when they run */
   char error[1024];    /* why setup failed; "" when it did not */
   cl_context ctx;
   cl_command_queue queue;
   cl_program prog;
   bool wedged;        /* a kernel may still run: touch nothing shared */
};

/* Parse --platform/--device/--timeout-ms/--spin-limit/--waive (and
 * --memory when with_memory) after the environment's NVSVM_CL_*; leaves
 * "-subtest NAME" for piglit_run_subtests. Returns 0, 1 after printing
 * --help, or -EINVAL with a message on stderr. */
int
nvsvm_cl_parse_opts(struct nvsvm_cl_opts *o, int argc, char **argv,
                    bool with_memory);

const char *
nvsvm_cl_need_name(unsigned need);

const char *
nvsvm_cl_memory_name(enum nvsvm_cl_memory m);

/* Pick the first device that meets needs (or, when none does, the first
 * that matches the name filters, to say what it lacks); create context and
 * queue and build source when it is not NULL. A missing capability is not
 * an error: cl->skip says it. Returns 0, or a negative errno with cl->error
 * set (no platform match, build failure, ...). */
int
nvsvm_cl_open(struct nvsvm_cl *cl, const struct nvsvm_cl_opts *o,
              unsigned needs, const char *source);

/* Release everything, unless a kernel may still be running. */
void
nvsvm_cl_close(struct nvsvm_cl *cl);

/* Print the chosen device and its SVM capabilities as detail lines. */
void
nvsvm_cl_describe(const struct nvsvm_cl *cl);

/* True when a scenario may run; otherwise *r says skip or fail, and why
 * has been printed. */
bool
nvsvm_cl_ready(struct nvsvm_cl *cl, enum piglit_result *r);

/* pass, or warn when the device only passed because a need was waived. */
enum piglit_result
nvsvm_cl_verdict(const struct nvsvm_cl *cl, bool ok);

/* Page-aligned, zeroed shared memory of the given kind; NULL on failure
 * (with a detail line). */
void *
nvsvm_cl_alloc(struct nvsvm_cl *cl, enum nvsvm_cl_memory m, size_t size);

void
nvsvm_cl_free(struct nvsvm_cl *cl, enum nvsvm_cl_memory m, void *p,
              size_t size);

cl_kernel
nvsvm_cl_kernel(struct nvsvm_cl *cl, const char *name);

/* Arguments: SVM pointers and plain values, checked, with a detail line. */
bool
nvsvm_cl_arg_ptr(cl_kernel k, cl_uint index, const void *p);

bool
nvsvm_cl_arg(cl_kernel k, cl_uint index, size_t size, const void *value);

/* Enqueue global work-items in work-groups of one (PoCL runs the items of
 * a group one after another, so items that wait on others must be alone in
 * theirs) and flush, so the kernel runs while the host goes on. */
bool
nvsvm_cl_launch(struct nvsvm_cl *cl, cl_kernel k, size_t global,
                cl_event *ev);

/* Wait for the kernel within the timeout. On timeout: raise the abort word
 * in ctl, give the kernel one more timeout to notice, and mark the session
 * wedged if it still runs. Returns 0, -ETIMEDOUT or -EIO. */
int
nvsvm_cl_finish(struct nvsvm_cl *cl, cl_event ev, _Atomic uint32_t *ctl);

uint64_t
nvsvm_cl_now_ns(void);

uint64_t
nvsvm_cl_deadline(const struct nvsvm_cl *cl);

/* Spin (yielding once spinning gets long) until *p == want or *p >= want;
 * false once deadline_ns passes or *abort becomes non-zero. */
bool
nvsvm_cl_wait_eq(_Atomic uint32_t *p, uint32_t want, uint64_t deadline_ns,
                 _Atomic uint32_t *abort);

bool
nvsvm_cl_wait_ge(_Atomic uint32_t *p, uint32_t want, uint64_t deadline_ns,
                 _Atomic uint32_t *abort);

/* Text for an OpenCL error code ("CL_INVALID_VALUE"). */
const char *
nvsvm_cl_errstr(cl_int err);

#endif /* NVSVM_CL_H */
