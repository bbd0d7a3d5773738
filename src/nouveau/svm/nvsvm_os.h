/* SPDX-License-Identifier: MIT */
/*
 * What libnvsvm needs from its platform: a mutex, the environment and a
 * log. Inside Mesa's tree (NVSVM_WITH_MESA_UTIL, set by Mesa's
 * src/nouveau/svm/meson.build for the library and everything that
 * depends on it) they are Mesa's own: simple_mtx, debug_get_option() and
 * mesa_log; built standalone, pthreads, getenv() and stderr. Nothing
 * else in the library or in nvc0's SVM hooks names either.
 */
#ifndef NVSVM_OS_H
#define NVSVM_OS_H

#include <stdarg.h>
#include <stdbool.h>

#ifdef NVSVM_WITH_MESA_UTIL

#include "util/log.h"
#include "util/simple_mtx.h"
#include "util/u_debug.h"

typedef simple_mtx_t nvsvm_mtx;

static inline int
nvsvm_mtx_init(nvsvm_mtx *m)
{
   simple_mtx_init(m, mtx_plain);
   return 0;
}

static inline void
nvsvm_mtx_fini(nvsvm_mtx *m)
{
   simple_mtx_destroy(m);
}

static inline void
nvsvm_mtx_lock(nvsvm_mtx *m)
{
   simple_mtx_lock(m);
}

static inline void
nvsvm_mtx_unlock(nvsvm_mtx *m)
{
   simple_mtx_unlock(m);
}

static inline const char *
nvsvm_getenv(const char *name)
{
   return debug_get_option(name, NULL);
}

static inline void
nvsvm_log_v(const char *fmt, va_list ap)
{
   mesa_log_v(MESA_LOG_INFO, "nvsvm", fmt, ap);
}

/* One line from a user of the library that logs under its own prefix
 * (nvc0's SVM hooks): Mesa's log, as the driver's other messages. */
static inline void
nvsvm_log_line(bool error, const char *prefix, const char *msg)
{
   mesa_log(error ? MESA_LOG_ERROR : MESA_LOG_INFO, MESA_LOG_TAG, "%s: %s",
            prefix, msg);
}

#else

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef pthread_mutex_t nvsvm_mtx;

static inline int
nvsvm_mtx_init(nvsvm_mtx *m)
{
   int ret = pthread_mutex_init(m, NULL);

   return ret ? -ret : 0;
}

static inline void
nvsvm_mtx_fini(nvsvm_mtx *m)
{
   pthread_mutex_destroy(m);
}

static inline void
nvsvm_mtx_lock(nvsvm_mtx *m)
{
   pthread_mutex_lock(m);
}

static inline void
nvsvm_mtx_unlock(nvsvm_mtx *m)
{
   pthread_mutex_unlock(m);
}

static inline const char *
nvsvm_getenv(const char *name)
{
   return getenv(name);
}

static inline void
nvsvm_log_v(const char *fmt, va_list ap)
{
   fputs("nvsvm: ", stderr);
   vfprintf(stderr, fmt, ap);
   fputc('\n', stderr);
}

static inline void
nvsvm_log_line(bool error, const char *prefix, const char *msg)
{
   (void)error;
   fprintf(stderr, "%s: %s\n", prefix, msg);
}

#endif

#endif
