/* SPDX-License-Identifier: MIT */
/*
 * SVM hooks for Mesa's nvc0 screen and context: setup before any channel
 * exists, honest capabilities, and pipe_context::svm_migrate, all through
 * libnvsvm so no SVM ioctl error is ever dropped.
 */
#ifndef NVC0_SVM_H
#define NVC0_SVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nvsvm_device;

enum nvc0_svm_log_level {
   NVC0_SVM_LOG_ERROR,   /* an operation failed: always reported */
   NVC0_SVM_LOG_INFO,    /* why a feature is off, what was set up */
};

/* The screen routes these to Mesa's log. NULL: errors (and info with
 * NOUVEAU_SVM_DEBUG=1) go to Mesa's log, or stderr built standalone. */
typedef void (*nvc0_svm_log_fn)(void *data, enum nvc0_svm_log_level level,
                                const char *msg);

/*
 * What the screen may report. Each is true only when the kernel accepted
 * SVM_INIT on this fd: there is nothing to guess from the chipset.
 */
struct nvc0_svm_caps {
   bool system_svm;          /* PIPE_CAP_SYSTEM_SVM */
   bool fine_grain_system;   /* CL_DEVICE_SVM_FINE_GRAIN_SYSTEM */
   bool atomics;             /* CL_DEVICE_SVM_ATOMICS */
};

/* Size of the allocation containing ptr, 0 when unknown (frontend's). */
typedef size_t (*nvc0_svm_alloc_size_fn)(void *data, const void *ptr);

struct nvc0_svm_stats {
   uint64_t migrate_calls;
   uint64_t migrate_errors;    /* ranges the kernel or we refused */
   /*
    * Pages asked to move to VRAM. Not a count of pages moved: migration is
    * best effort per page and nouveau sets SVM_BIND's `result` to 0.
    */
   uint64_t pages_to_device;
   uint64_t bind_result;       /* the kernel's `result`, summed */
   uint64_t ranges_to_host;
   uint64_t range_warnings;    /* atomic args that failed the range rules */
   uint64_t prefault_calls;    /* nvc0_svm_prefault_atomic() ranges */
   uint64_t prefault_pages;    /* pages converted ahead of a launch */
   uint64_t prefault_errors;   /* ranges stopped at a refused page */
};

struct nvc0_svm {
   struct nvsvm_device *dev;
   bool enabled;
   int init_error;                 /* SVM_INIT's errno, 0 when enabled */
   char reason[160];               /* why SVM is on or off, for humans */
   struct nvc0_svm_caps caps;
   struct nvc0_svm_stats stats;
   bool check_ranges;              /* range rules at the API edge */
   bool prefault_unsupported;      /* kernel lacks the atomic range fault */

   nvc0_svm_log_fn log;
   void *log_data;
   nvc0_svm_alloc_size_fn alloc_size;
   void *alloc_size_data;
};

struct nvc0_svm_screen_params {
   uint32_t chipset;      /* for the log only: the kernel decides */
   uint64_t vram_size;    /* window policy input, 0: ask the kernel */
   nvc0_svm_log_fn log;
   void *log_data;
};

/*
 * Call from screen creation on the screen's DRM fd, before the first
 * channel is created (the kernel refuses SVM_INIT after that). Never
 * fails the screen: on any refusal SVM stays off, caps stay false and
 * the reason is logged and kept in svm->reason. Returns 0 when SVM is
 * on, else the negative error that kept it off.
 */
int
nvc0_svm_screen_init(struct nvc0_svm *svm, int fd,
                     const struct nvc0_svm_screen_params *params);

/*
 * Call when the screen goes, right before it closes its fd: releases the
 * SVM window (once). Idempotent, and safe after a failed init.
 */
void
nvc0_svm_screen_fini(struct nvc0_svm *svm);

/* Let the frontend say how large an SVM allocation is (sizes[i] == 0). */
void
nvc0_svm_set_alloc_size_cb(struct nvc0_svm *svm, nvc0_svm_alloc_size_fn fn,
                           void *data);

/*
 * pipe_context::svm_migrate. to_device: SVM_BIND to VRAM, result read
 * back. To host: nouveau has no such target, so pages are faulted back
 * (or discarded when content_undefined). sizes == NULL or sizes[i] == 0
 * means the whole allocation, resolved through the alloc-size callback
 * and refused with a message when unknown. Returns the number of ranges
 * that failed (each one logged and counted), 0 when all went through.
 */
unsigned
nvc0_svm_migrate(struct nvc0_svm *svm, unsigned num_ptrs,
                 const void *const *ptrs, const size_t *sizes,
                 bool to_device, bool content_undefined);

/*
 * Range rules at the API edge: call for memory handed to a kernel that
 * may use it for atomics (fine-grain system SVM arguments). Enabled in
 * debug builds or with NOUVEAU_SVM_CHECK=1; prints the named reason
 * before the GPU would kill the channel. Returns 0 when eligible or not
 * checked, the negative error otherwise.
 */
int
nvc0_svm_check_atomic_range(struct nvc0_svm *svm, const void *ptr,
                            size_t len);

/*
 * For a kernel argument the frontend marks SVM-atomic, before the launch:
 * make [ptr, ptr+len) device-exclusive and mapped for GPU atomics now
 * (libnvsvm's atomic range fault), so that the launch takes no first-touch
 * faults and a refused page is named here instead of killing the channel.
 * On a kernel without the command the range is left to today's first-touch
 * faults, with the reason logged once. Returns 0 when converted or left to
 * faults, else the negative error (logged; the launch behaves as before).
 */
int
nvc0_svm_prefault_atomic(struct nvc0_svm *svm, const void *ptr, size_t len);

/*
 * pipe_context::svm_prepare_launch: the fine-grain system SVM ranges a
 * compute launch hands to the device. Each range goes through the range
 * rules (when enabled, see nvc0_svm_check_atomic_range()); a range meant
 * for atomics whose size is known is then made device-exclusive ahead of
 * the launch (nvc0_svm_prefault_atomic()). A size of 0 (not known to the
 * frontend) is resolved through the alloc-size callback, else only the
 * page holding the pointer is checked and nothing is prefaulted.
 * Returns the number of ranges that cannot work (each one logged).
 */
unsigned
nvc0_svm_prepare_launch(struct nvc0_svm *svm, unsigned num_ranges,
                        const void *const *ptrs, const size_t *sizes,
                        const bool *atomics);

#endif /* NVC0_SVM_H */
