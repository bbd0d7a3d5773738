/* SPDX-License-Identifier: MIT */
/*
 * Debug messages (NVSVM_DEBUG) and environment parsing: no silent
 * fallback, every feature that turns itself off can say why.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "nvsvm_os.h"
#include "nvsvm_priv.h"

bool
nvsvm_debug_enabled(void)
{
   const char *v = nvsvm_getenv("NVSVM_DEBUG");

   return v && *v && !(v[0] == '0' && v[1] == '\0');
}

void
nvsvm_debug(const char *fmt, ...)
{
   va_list ap;

   if (!nvsvm_debug_enabled())
      return;
   va_start(ap, fmt);
   nvsvm_log_v(fmt, ap);
   va_end(ap);
}

int
nvsvm_env_size(const char *name, uint64_t *out)
{
   const char *v = nvsvm_getenv(name);
   unsigned long long n;
   unsigned shift = 0;
   char *end;

   if (!v || !*v)
      return -ENOENT;
   errno = 0;
   n = strtoull(v, &end, 0);
   if (errno || end == v || *v == '-')
      return -EINVAL;
   switch (*end) {
   case '\0':
      break;
   case 'k': case 'K':
      shift = 10;
      break;
   case 'm': case 'M':
      shift = 20;
      break;
   case 'g': case 'G':
      shift = 30;
      break;
   case 't': case 'T':
      shift = 40;
      break;
   default:
      return -EINVAL;
   }
   if (shift && end[1] != '\0')
      return -EINVAL;
   if (shift && n > (UINT64_MAX >> shift))
      return -EINVAL;
   *out = (uint64_t)n << shift;
   return 0;
}
