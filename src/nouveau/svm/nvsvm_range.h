/* SPDX-License-Identifier: MIT */
/*
 * Inside nvsvm_range_check(): which path answers (the procfs ioctls or
 * smaps) and why the fast one handed over, for tests and debug output.
 */
#ifndef NVSVM_RANGE_H
#define NVSVM_RANGE_H

#include "nvsvm/nvsvm.h"

enum nvsvm_range_path {
   NVSVM_RANGE_PATH_NONE,  /* the arguments alone answered */
   NVSVM_RANGE_PATH_AUTO,  /* fast where it can, else smaps */
   NVSVM_RANGE_PATH_FAST,  /* PROCMAP_QUERY + PAGEMAP_SCAN only */
   NVSVM_RANGE_PATH_SLOW,  /* /proc/self/maps and smaps */
};

/* Why the smaps path answered instead of the fast one. */
enum nvsvm_range_defer {
   NVSVM_RANGE_DEFER_NONE,            /* it did not: fast answered */
   NVSVM_RANGE_DEFER_ENV,             /* NVSVM_RANGE_SLOW=1 */
   NVSVM_RANGE_DEFER_NO_QUERY,        /* kernel without PROCMAP_QUERY */
   NVSVM_RANGE_DEFER_NO_SCAN,         /* kernel without PAGEMAP_SCAN */
   NVSVM_RANGE_DEFER_FILE_FLAGS,      /* refused file mapping: io/pf, ht */
   NVSVM_RANGE_DEFER_SPECIAL_NAME,    /* kernel mapping we do not know */
   NVSVM_RANGE_DEFER_GATE,            /* hole in the kernel half */
   NVSVM_RANGE_DEFER_LONG_NAME,       /* name over PATH_MAX */
   NVSVM_RANGE_DEFER_THP_FLAGS,       /* THPeligible needs hg/nh */
   NVSVM_RANGE_DEFER_THP_SYSFS,       /* THP sysfs settings unreadable */
   NVSVM_RANGE_DEFER_ERROR,           /* an ioctl or read failed */
   NVSVM_RANGE_DEFER_COUNT
};

const char *
nvsvm_range_defer_str(enum nvsvm_range_defer defer);

/*
 * nvsvm_range_check() on a chosen path. FAST returns -EAGAIN with *defer
 * set when it cannot answer exactly; AUTO then asks smaps. *used (may be
 * NULL) is the path that answered, *defer (may be NULL) why it was not
 * the fast one.
 */
int
nvsvm_range_check_path(const void *ptr, size_t len, unsigned flags,
                       enum nvsvm_range_path path,
                       struct nvsvm_range_report *report,
                       enum nvsvm_range_path *used,
                       enum nvsvm_range_defer *defer);

/*
 * Test hooks, for the unit tests only (never exported): make this
 * process behave as a kernel without an ioctl would, or as a kernel on
 * either side of 6.15 (THP blocks device-exclusive up to 6.14). Setting
 * them forgets what was learnt about the kernel, so that it is learnt
 * again under the new pretence; 0 restores the real kernel.
 */
enum nvsvm_range_test {
   NVSVM_RANGE_TEST_NO_SCAN = 1u << 0,      /* PAGEMAP_SCAN: -ENOTTY */
   NVSVM_RANGE_TEST_THP_BLOCKS = 1u << 1,   /* as on 6.14 and before */
   NVSVM_RANGE_TEST_THP_SPLITS = 1u << 2,   /* as on 6.15 and later */
};

void
nvsvm_range_test_set(unsigned test);

#endif /* NVSVM_RANGE_H */
