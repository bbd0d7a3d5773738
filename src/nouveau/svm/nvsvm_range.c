/* SPDX-License-Identifier: MIT */
/*
 * Range rules: can a range take GPU atomics through the kernel's
 * device-exclusive path, and if not, why. Read fresh from /proc on every
 * call (docs/range-rules.md).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvsvm_maps.h"
#include "nvsvm_priv.h"

static const struct {
   const char *name;
   const char *str;
} nvsvm_range_reasons[NVSVM_RANGE_REASON_COUNT] = {
   [NVSVM_RANGE_OK] = { "OK", "eligible for device-exclusive atomics" },
   [NVSVM_RANGE_NULL] = { "NULL", "NULL pointer" },
   [NVSVM_RANGE_EMPTY] = { "EMPTY", "zero length" },
   [NVSVM_RANGE_OVERFLOW] = { "OVERFLOW",
                              "pointer + length wraps the address space" },
   [NVSVM_RANGE_UNALIGNED] = { "UNALIGNED",
                               "pointer or length not 4 KiB aligned" },
   [NVSVM_RANGE_NOT_MAPPED] = { "NOT_MAPPED",
                                "part of the range is not mapped" },
   [NVSVM_RANGE_NO_ACCESS] = { "NO_ACCESS",
                               "PROT_NONE mapping (guard or reservation)" },
   [NVSVM_RANGE_NOT_WRITABLE] = { "NOT_WRITABLE",
                                  "read-only mapping: atomics write" },
   [NVSVM_RANGE_SHARED] = { "SHARED",
                            "MAP_SHARED or shmem: only private anonymous "
                            "memory can be made device-exclusive" },
   [NVSVM_RANGE_FILE_BACKED] = { "FILE_BACKED",
                                 "file-backed mapping (even MAP_PRIVATE)" },
   [NVSVM_RANGE_HUGETLB] = { "HUGETLB",
                             "hugetlbfs mapping: no device-exclusive "
                             "entries for hugetlb" },
   [NVSVM_RANGE_SPECIAL] = { "SPECIAL",
                             "special mapping (VM_IO/VM_PFNMAP, vdso, vvar, "
                             "vsyscall): no struct page to convert" },
};

const char *
nvsvm_range_reason_name(enum nvsvm_range_reason reason)
{
   if ((unsigned)reason >= NVSVM_RANGE_REASON_COUNT)
      return "UNKNOWN";
   return nvsvm_range_reasons[reason].name;
}

const char *
nvsvm_range_reason_str(enum nvsvm_range_reason reason)
{
   if ((unsigned)reason >= NVSVM_RANGE_REASON_COUNT)
      return "unknown reason";
   return nvsvm_range_reasons[reason].str;
}

const char *
nvsvm_range_warning_str(enum nvsvm_range_warning warning)
{
   switch (warning) {
   case NVSVM_RANGE_WARN_THP:
      return "transparent huge pages back the mapping: kernels up to 6.14 "
             "fail to make them device-exclusive (-EBUSY); use "
             "madvise(MADV_NOHUGEPAGE) before first touch";
   case NVSVM_RANGE_WARN_THP_ELIGIBLE:
      return "the mapping may get transparent huge pages later: use "
             "madvise(MADV_NOHUGEPAGE) on kernels up to 6.14";
   case NVSVM_RANGE_WARN_LOCKED:
      return "mlocked mapping: fine for the conversion, noted";
   }
   return "unknown warning";
}

static bool
name_is(const struct nvsvm_vma *vma, const char *s)
{
   size_t n = strlen(s);

   return vma->name_len == n && memcmp(vma->name, s, n) == 0;
}

static bool
name_starts(const struct nvsvm_vma *vma, const char *s)
{
   size_t n = strlen(s);

   return vma->name_len >= n && memcmp(vma->name, s, n) == 0;
}

/*
 * Why one mapping refuses device-exclusive entries; vmflags are from
 * smaps when we have them (authoritative), else 0.
 */
static enum nvsvm_range_reason
vma_reason(const struct nvsvm_vma *vma, uint32_t vmflags)
{
   if (!vma->read && !vma->write && !vma->exec)
      return NVSVM_RANGE_NO_ACCESS;
   if ((vmflags & (NVSVM_VMF_IO | NVSVM_VMF_PF)) ||
       name_is(vma, "[vdso]") || name_is(vma, "[vvar]") ||
       name_is(vma, "[vvar_vclock]") || name_is(vma, "[vsyscall]"))
      return NVSVM_RANGE_SPECIAL;
   /* MAP_HUGETLB|MAP_ANONYMOUS shows as a deleted hugetlbfs file. */
   if ((vmflags & NVSVM_VMF_HT) || name_starts(vma, "/anon_hugepage"))
      return NVSVM_RANGE_HUGETLB;
   /* Anonymous shared memory is shmem: "/dev/zero (deleted)", "/SYSV". */
   if (vma->shared || (vmflags & NVSVM_VMF_SH))
      return NVSVM_RANGE_SHARED;
   if (vma->inode != 0 || (vma->name_len && vma->name[0] == '/'))
      return NVSVM_RANGE_FILE_BACKED;
   if (!vma->write)
      return NVSVM_RANGE_NOT_WRITABLE;
   return NVSVM_RANGE_OK;
}

static void
report_vma(struct nvsvm_range_report *r, enum nvsvm_range_reason reason,
           uint64_t bad, const struct nvsvm_vma *vma)
{
   size_t n;

   r->reason = reason;
   r->bad_addr = bad;
   if (!vma)
      return;
   r->vma_start = vma->start;
   r->vma_end = vma->end;
   n = vma->name_len < sizeof(r->vma_name) - 1 ? vma->name_len
                                                : sizeof(r->vma_name) - 1;
   memcpy(r->vma_name, vma->name, n);
   r->vma_name[n] = '\0';
}

/* Hole or bad mapping in [start, end) from /proc/self/maps. */
static int
range_check_maps(uint64_t start, uint64_t end,
                 struct nvsvm_range_report *r)
{
   uint64_t covered = start;
   struct nvsvm_vma vma;
   size_t len, pos = 0;
   char *buf;
   int ret;

   ret = nvsvm_proc_read_maps("/proc/self/maps", end, &buf, &len);
   if (ret)
      return ret;
   while (covered < end && (ret = nvsvm_maps_next(buf, len, &pos, &vma))) {
      enum nvsvm_range_reason reason;

      if (ret < 0)
         goto out;
      if (vma.end <= covered)
         continue;
      if (vma.start > covered) {
         report_vma(r, NVSVM_RANGE_NOT_MAPPED, covered, NULL);
         r->vma_start = covered;
         r->vma_end = vma.start < end ? vma.start : end;
         ret = -NVSVM_E_RANGE;
         goto out;
      }
      reason = vma_reason(&vma, 0);
      if (reason != NVSVM_RANGE_OK) {
         report_vma(r, reason, covered, &vma);
         ret = -NVSVM_E_RANGE;
         goto out;
      }
      covered = vma.end;
   }
   ret = 0;
   if (covered < end) {
      report_vma(r, NVSVM_RANGE_NOT_MAPPED, covered, NULL);
      r->vma_start = covered;
      r->vma_end = end;
      ret = -NVSVM_E_RANGE;
   }
out:
   free(buf);
   return ret;
}

/*
 * smaps for the mappings that intersect [start, end): VmFlags can refuse
 * what maps let through (io/pfnmap, shared, hugetlb), and THP shows here.
 */
static int
range_check_smaps(uint64_t start, uint64_t end,
                  struct nvsvm_range_report *r)
{
   struct nvsvm_smaps_fields f;
   struct nvsvm_vma vma;
   size_t len, pos = 0;
   char *buf;
   int ret;

   ret = nvsvm_proc_read_maps("/proc/self/smaps", end, &buf, &len);
   if (ret)
      return ret;
   while ((ret = nvsvm_smaps_next(buf, len, &pos, &vma, &f)) == 1) {
      enum nvsvm_range_reason reason;

      if (vma.end <= start)
         continue;
      if (vma.start >= end)
         break;
      reason = vma_reason(&vma, f.vmflags);
      if (reason != NVSVM_RANGE_OK) {
         report_vma(r, reason, vma.start > start ? vma.start : start, &vma);
         ret = -NVSVM_E_RANGE;
         break;
      }
      if (f.anon_huge_kb > 0)
         r->warnings |= NVSVM_RANGE_WARN_THP;
      else if (f.thp_eligible == 1 && !(f.vmflags & NVSVM_VMF_NH))
         r->warnings |= NVSVM_RANGE_WARN_THP_ELIGIBLE;
      if (f.vmflags & NVSVM_VMF_LO)
         r->warnings |= NVSVM_RANGE_WARN_LOCKED;
   }
   free(buf);
   return ret < 0 ? ret : 0;
}

int
nvsvm_range_check(const void *ptr, size_t len, unsigned flags,
                  struct nvsvm_range_report *report)
{
   uint64_t start = (uintptr_t)ptr, end;
   int ret;

   if (!report)
      return -EINVAL;
   memset(report, 0, sizeof(*report));
   if (!ptr) {
      report->reason = NVSVM_RANGE_NULL;
      return -NVSVM_E_RANGE;
   }
   report->bad_addr = start;
   if (!len) {
      report->reason = NVSVM_RANGE_EMPTY;
      return -NVSVM_E_RANGE;
   }
   if (start + len < start) {
      report->reason = NVSVM_RANGE_OVERFLOW;
      return -NVSVM_E_RANGE;
   }
   if ((flags & NVSVM_RANGE_REQUIRE_ALIGNED) &&
       ((start | len) & (NVSVM_PAGE_SIZE - 1))) {
      report->reason = NVSVM_RANGE_UNALIGNED;
      return -NVSVM_E_RANGE;
   }
   /* Conversion works on whole pages: judge the pages the range touches. */
   end = start + len;
   start &= ~(uint64_t)(NVSVM_PAGE_SIZE - 1);
   if (end > UINT64_MAX - (NVSVM_PAGE_SIZE - 1)) {
      report->reason = NVSVM_RANGE_OVERFLOW;
      return -NVSVM_E_RANGE;
   }
   end = (end + NVSVM_PAGE_SIZE - 1) & ~(uint64_t)(NVSVM_PAGE_SIZE - 1);

   ret = range_check_maps(start, end, report);
   if (ret || (flags & NVSVM_RANGE_NO_THP_CHECK))
      return ret;
   return range_check_smaps(start, end, report);
}
