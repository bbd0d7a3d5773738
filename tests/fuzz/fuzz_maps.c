/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the /proc parsers (maps, smaps, VmFlags, the sysfs
 * THP mode, /proc/self/status values): any bytes must parse or be
 * refused, never read outside the buffer, and always make progress.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "nvsvm/nvsvm.h"
#include "nvsvm_maps.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_vma(const struct nvsvm_vma *v, const char *buf, size_t size)
{
   if (v->start >= v->end)
      abort();
   if (v->name < buf || v->name + v->name_len > buf + size)
      abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
   const char *buf = (const char *)data;
   struct nvsvm_smaps_fields f;
   struct nvsvm_vma v;
   size_t pos = 0, last;
   int ret;

   while ((last = pos, ret = nvsvm_maps_next(buf, size, &pos, &v)) != 0) {
      if (pos <= last || pos > size)
         abort();
      if (ret == 1)
         check_vma(&v, buf, size);
   }

   pos = 0;
   while ((last = pos, ret = nvsvm_smaps_next(buf, size, &pos, &v, &f))) {
      if (pos <= last || pos > size)
         abort();
      if (ret == 1) {
         check_vma(&v, buf, size);
         if (f.thp_eligible < -1 || f.thp_eligible > 1)
            abort();
      }
   }

   if (nvsvm_maps_parse_line(buf, size, &v) == 0)
      check_vma(&v, buf, size);
   (void)nvsvm_vmflags_parse(buf, size);

   ret = nvsvm_thp_mode_parse(buf, size);
   if (ret != -NVSVM_E_PARSE &&
       (ret < NVSVM_THP_NEVER || ret > NVSVM_THP_INHERIT))
      abort();
   {
      uint64_t kb = 0;

      ret = nvsvm_status_kb(buf, size, "VmLck", &kb);
      if (ret != 0 && ret != -ENOENT && ret != -NVSVM_E_PARSE)
         abort();
   }
   return 0;
}
