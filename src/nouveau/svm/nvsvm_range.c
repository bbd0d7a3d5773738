/* SPDX-License-Identifier: MIT */
/*
 * Range rules: can a range take GPU atomics through the kernel's
 * device-exclusive path, and if not, why. Asked fresh on every call:
 * PROCMAP_QUERY/PAGEMAP_SCAN where they answer exactly, else smaps
 * (docs/range-rules.md).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nvsvm/nvsvm_placement.h"
#include "nvsvm_maps.h"
#include "nvsvm_os.h"
#include "nvsvm_priv.h"
#include "nvsvm_procmap.h"
#include "nvsvm_range.h"

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

NVSVM_EXPORT const char *
nvsvm_range_reason_name(enum nvsvm_range_reason reason)
{
   if ((unsigned)reason >= NVSVM_RANGE_REASON_COUNT)
      return "UNKNOWN";
   return nvsvm_range_reasons[reason].name;
}

NVSVM_EXPORT const char *
nvsvm_range_reason_str(enum nvsvm_range_reason reason)
{
   if ((unsigned)reason >= NVSVM_RANGE_REASON_COUNT)
      return "unknown reason";
   return nvsvm_range_reasons[reason].str;
}

NVSVM_EXPORT const char *
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

static const char *const nvsvm_range_defers[NVSVM_RANGE_DEFER_COUNT] = {
   [NVSVM_RANGE_DEFER_NONE] = "the fast path answered",
   [NVSVM_RANGE_DEFER_ENV] = "NVSVM_RANGE_SLOW=1",
   [NVSVM_RANGE_DEFER_NO_QUERY] = "kernel without PROCMAP_QUERY (< 6.11)",
   [NVSVM_RANGE_DEFER_NO_SCAN] = "kernel without PAGEMAP_SCAN (< 6.7)",
   [NVSVM_RANGE_DEFER_FILE_FLAGS] =
      "a file mapping is refused: VmFlags io/pf/ht decide the reason",
   [NVSVM_RANGE_DEFER_SPECIAL_NAME] =
      "a kernel special mapping we do not know by name",
   [NVSVM_RANGE_DEFER_GATE] =
      "a hole reaches the kernel half, where the vsyscall gate lives",
   [NVSVM_RANGE_DEFER_LONG_NAME] = "a mapping's name is over PATH_MAX",
   [NVSVM_RANGE_DEFER_THP_FLAGS] =
      "an enabled THP size fits a mapping: VmFlags hg/nh decide",
   [NVSVM_RANGE_DEFER_THP_SYSFS] = "THP settings in sysfs unreadable",
   [NVSVM_RANGE_DEFER_ERROR] = "a procfs ioctl or read failed",
};

const char *
nvsvm_range_defer_str(enum nvsvm_range_defer defer)
{
   if ((unsigned)defer >= NVSVM_RANGE_DEFER_COUNT)
      return "unknown";
   return nvsvm_range_defers[defer];
}

/* The fast path answers only where it knows as much as smaps. */
#define RANGE_DEFERRED 1

/* The vsyscall gate sits in the kernel half; PROCMAP_QUERY skips it. */
#define RANGE_KERNEL_HALF (UINT64_C(1) << 63)

/* What this kernel offers, learnt once; never the answers. */
static int range_has_query;  /* 0 not yet known, 1 yes, -1 no */
static int range_has_scan;
static int range_thp_old;    /* THP blocks device-exclusive (<= 6.14) */
static unsigned range_test;  /* enum nvsvm_range_test bits */

static int
cap_get(const int *cap)
{
   return __atomic_load_n(cap, __ATOMIC_RELAXED);
}

static bool
test_has(unsigned bit)
{
   return __atomic_load_n(&range_test, __ATOMIC_RELAXED) & bit;
}

void
nvsvm_range_test_set(unsigned test)
{
   __atomic_store_n(&range_test, test, __ATOMIC_RELAXED);
   __atomic_store_n(&range_has_query, 0, __ATOMIC_RELAXED);
   __atomic_store_n(&range_has_scan, 0, __ATOMIC_RELAXED);
   __atomic_store_n(&range_thp_old, 0, __ATOMIC_RELAXED);
}

/*
 * Does THP block device-exclusive entries on this kernel (up to 6.14)?
 * Only there is "may get THP later" worth a warning, and only for that
 * warning would the fast path need VmFlags hg/nh, which no ioctl gives:
 * from 6.15 on, a check needs neither smaps nor the THP sysfs files. An
 * unreadable release counts as old, the safe side.
 */
static bool
range_thp_blocks(void)
{
   int v;

   if (test_has(NVSVM_RANGE_TEST_THP_BLOCKS))
      return true;
   if (test_has(NVSVM_RANGE_TEST_THP_SPLITS))
      return false;
   v = cap_get(&range_thp_old);
   if (!v) {
      v = nvsvm_kernel_thp_blocks_exclusive(NULL) == 0 ? -1 : 1;
      __atomic_store_n(&range_thp_old, v, __ATOMIC_RELAXED);
   }
   return v > 0;
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

static bool
vma_has_file(const struct nvsvm_vma *vma)
{
   return vma->inode != 0 || vma->dev_major != 0 || vma->dev_minor != 0 ||
          (vma->name_len && vma->name[0] == '/');
}

/* Mappings the kernel installs itself; [uprobes] is VM_IO. */
static bool
special_name(const struct nvsvm_vma *vma)
{
   return name_is(vma, "[vdso]") || name_is(vma, "[vvar]") ||
          name_is(vma, "[vvar_vclock]") || name_is(vma, "[vsyscall]") ||
          name_is(vma, "[uprobes]");
}

/* Bracketed names of ordinary anonymous memory. */
static bool
plain_bracket_name(const struct nvsvm_vma *vma)
{
   return name_is(vma, "[heap]") || name_is(vma, "[stack]") ||
          name_starts(vma, "[anon:") || name_starts(vma, "[anon_shmem:");
}

/* One mapping as a path sees it. */
struct range_vma {
   const struct nvsvm_vma *vma;
   const struct nvsvm_smaps_fields *smaps;  /* NULL: no VmFlags here */
};

/*
 * Why one mapping refuses device-exclusive entries. Without VmFlags the
 * answer is *unsure where VmFlags could change it: io/pfnmap (SPECIAL)
 * and ht (hugetlbfs) come only from files and kernel special mappings.
 */
static enum nvsvm_range_reason
vma_reason(const struct range_vma *m, bool *unsure)
{
   const struct nvsvm_vma *vma = m->vma;
   uint32_t vmflags = m->smaps && m->smaps->has_vmflags ?
                      m->smaps->vmflags : 0;
   bool file = vma_has_file(vma);

   *unsure = false;
   if (!vma->read && !vma->write && !vma->exec)
      return NVSVM_RANGE_NO_ACCESS;
   if ((vmflags & (NVSVM_VMF_IO | NVSVM_VMF_PF)) || special_name(vma))
      return NVSVM_RANGE_SPECIAL;
   /* MAP_HUGETLB|MAP_ANONYMOUS shows as a deleted hugetlbfs file. */
   if ((vmflags & NVSVM_VMF_HT) || name_starts(vma, "/anon_hugepage"))
      return NVSVM_RANGE_HUGETLB;
   if (!(m->smaps && m->smaps->has_vmflags))
      *unsure = file || (vma->name_len && vma->name[0] == '[' &&
                         !plain_bracket_name(vma));
   /* Anonymous shared memory is shmem: "/dev/zero (deleted)", "/SYSV". */
   if (vma->shared || (vmflags & NVSVM_VMF_SH))
      return NVSVM_RANGE_SHARED;
   if (file)
      return NVSVM_RANGE_FILE_BACKED;
   if (!vma->write)
      return NVSVM_RANGE_NOT_WRITABLE;
   return NVSVM_RANGE_OK;
}

static void
report_vma(struct nvsvm_range_report *r, enum nvsvm_range_reason reason,
           uint64_t bad, const struct nvsvm_vma *vma)
{
   size_t n = 0;

   r->reason = reason;
   r->bad_addr = bad;
   if (!vma)
      return;
   r->vma_start = vma->start;
   r->vma_end = vma->end;
   /* maps escapes a newline in a path as \012; so do we. */
   for (size_t i = 0; i < vma->name_len && n < sizeof(r->vma_name) - 1;
        i++) {
      if (vma->name[i] != '\n') {
         r->vma_name[n++] = vma->name[i];
         continue;
      }
      for (const char *e = "\\012"; *e && n < sizeof(r->vma_name) - 1; e++)
         r->vma_name[n++] = *e;
   }
   r->vma_name[n] = '\0';
}

/* Where the mappings come from: maps/smaps text or PROCMAP_QUERY. */
struct range_src {
   /* The first mapping ending above from: 1, 0 for none, or -errno. */
   int (*next)(struct range_src *src, uint64_t from, struct range_vma *m);
   /* Called for each eligible mapping, in address order. */
   int (*visit)(struct range_src *src, const struct range_vma *m);
};

/*
 * The first hole or refused mapping of [start, end) in address order:
 * 0 when there is none, -NVSVM_E_RANGE with the report filled, or the
 * source's error. *unsure: VmFlags could change the answer (see
 * vma_reason), also for an eligible mapping.
 */
static int
range_walk(struct range_src *src, uint64_t start, uint64_t end,
           struct nvsvm_range_report *r, bool *unsure)
{
   uint64_t covered = start;

   *unsure = false;
   while (covered < end) {
      enum nvsvm_range_reason reason;
      struct range_vma m;
      bool vma_unsure;
      int ret;

      ret = src->next(src, covered, &m);
      if (ret < 0)
         return ret;
      if (ret == 0 || m.vma->start > covered) {
         report_vma(r, NVSVM_RANGE_NOT_MAPPED, covered, NULL);
         r->vma_start = covered;
         r->vma_end = ret && m.vma->start < end ? m.vma->start : end;
         return -NVSVM_E_RANGE;
      }
      reason = vma_reason(&m, &vma_unsure);
      *unsure |= vma_unsure;
      if (reason != NVSVM_RANGE_OK) {
         report_vma(r, reason, covered, m.vma);
         return -NVSVM_E_RANGE;
      }
      if (src->visit && (ret = src->visit(src, &m)) != 0)
         return ret;
      covered = m.vma->end;
   }
   return 0;
}

/* ------------------------------------------------------------ smaps */

struct text_src {
   struct range_src base;
   const char *buf;
   size_t len, pos;
   bool smaps;
   struct nvsvm_vma vma;
   struct nvsvm_smaps_fields fields;
   unsigned warnings;
};

static int
text_next(struct range_src *base, uint64_t from, struct range_vma *m)
{
   struct text_src *src = (struct text_src *)base;
   int ret;

   do {
      ret = src->smaps ?
            nvsvm_smaps_next(src->buf, src->len, &src->pos, &src->vma,
                             &src->fields) :
            nvsvm_maps_next(src->buf, src->len, &src->pos, &src->vma);
      if (ret <= 0)
         return ret;
   } while (src->vma.end <= from);
   m->vma = &src->vma;
   m->smaps = src->smaps ? &src->fields : NULL;
   return 1;
}

static int
text_visit(struct range_src *base, const struct range_vma *m)
{
   struct text_src *src = (struct text_src *)base;
   const struct nvsvm_smaps_fields *f = m->smaps;

   if (!f)
      return 0;
   if (f->anon_huge_kb > 0)
      src->warnings |= NVSVM_RANGE_WARN_THP;
   else if (f->thp_eligible == 1 && !(f->vmflags & NVSVM_VMF_NH) &&
            range_thp_blocks())
      src->warnings |= NVSVM_RANGE_WARN_THP_ELIGIBLE;
   if (f->vmflags & NVSVM_VMF_LO)
      src->warnings |= NVSVM_RANGE_WARN_LOCKED;
   return 0;
}

/*
 * The text path: smaps for the mappings up to the end of the range
 * (VmFlags, THP and lock warnings); with NO_THP_CHECK the cheaper maps,
 * and smaps only when VmFlags could change a refusal.
 */
static int
range_check_slow(uint64_t start, uint64_t end, unsigned flags,
                 struct nvsvm_range_report *r)
{
   bool smaps = !(flags & NVSVM_RANGE_NO_THP_CHECK);
   const struct nvsvm_range_report blank = *r;

   for (;;) {
      struct text_src src = {
         .base = { .next = text_next, .visit = text_visit },
         .smaps = smaps,
      };
      char *buf;
      bool unsure;
      int ret;

      ret = nvsvm_proc_read_maps(smaps ? "/proc/self/smaps" :
                                 "/proc/self/maps", end, &buf, &src.len);
      if (ret)
         return ret;
      src.buf = buf;
      ret = range_walk(&src.base, start, end, r, &unsure);
      free(buf);
      if ((ret == 0 || ret == -NVSVM_E_RANGE) && unsure && !smaps) {
         *r = blank;
         smaps = true;
         continue;
      }
      if (ret == 0 && !(flags & NVSVM_RANGE_NO_THP_CHECK))
         r->warnings = src.warnings;
      return ret;
   }
}

/* ------------------------------------------------------------ ioctls */

static void
cap_set(int *cap, int ret, const char *what)
{
   int v = ret == -ENOTTY || ret == -EINVAL ? -1 : 1;

   if (__atomic_exchange_n(cap, v, __ATOMIC_RELAXED) != v && v < 0)
      nvsvm_debug("range check: %s: %s: smaps answers instead", what,
                  strerror(-ret));
}

/* An eligible mapping the fast path still has to judge for warnings. */
struct fast_vma {
   uint64_t start, end;
   bool huge;  /* PMD-mapped THP inside the range */
};

struct fast_src {
   struct range_src base;
   struct nvsvm_procmap pm;
   struct nvsvm_procmap_vma q;
   struct fast_vma *vmas;
   unsigned n, cap;
};

static int
fast_next(struct range_src *base, uint64_t from, struct range_vma *m)
{
   struct fast_src *src = (struct fast_src *)base;
   int ret = nvsvm_procmap_query(&src->pm, from, &src->q);

   if (ret == -ENOTTY || ret == -EINVAL || ret >= 0)
      cap_set(&range_has_query, ret, "PROCMAP_QUERY");
   if (ret <= 0)
      return ret;
   m->vma = &src->q.vma;
   m->smaps = NULL;
   return 1;
}

static int
fast_visit(struct range_src *base, const struct range_vma *m)
{
   struct fast_src *src = (struct fast_src *)base;

   if (src->n == src->cap) {
      unsigned cap = src->cap ? src->cap * 2 : 16;
      struct fast_vma *v = realloc(src->vmas, cap * sizeof(*v));

      if (!v)
         return -ENOMEM;
      src->vmas = v;
      src->cap = cap;
   }
   src->vmas[src->n++] = (struct fast_vma) {
      .start = m->vma->start, .end = m->vma->end,
   };
   return 0;
}

/* One page table's span: what a PMD-mapped THP covers (2 MiB on x86). */
#define RANGE_PMD_SIZE ((uint64_t)NVSVM_PAGE_SIZE * (NVSVM_PAGE_SIZE / 8))

/*
 * The part of [start, end) where a PMD-mapped THP could be: a PMD maps
 * a naturally aligned block that its mapping covers whole, so only such
 * blocks of the eligible mappings that meet the range count. 0 with
 * *lo == *hi when there is none: no PAGEMAP_SCAN is needed then.
 */
static void
fast_huge_window(const struct fast_src *src, uint64_t start, uint64_t end,
                 uint64_t *lo, uint64_t *hi)
{
   const uint64_t pmd = RANGE_PMD_SIZE;

   *lo = *hi = 0;
   for (unsigned i = 0; i < src->n; i++) {
      uint64_t vs = src->vmas[i].start, ve = src->vmas[i].end;
      uint64_t first, last;

      if (ve - vs < pmd)
         continue;
      first = vs > (start & ~(pmd - 1)) ? vs : start & ~(pmd - 1);
      first = (first + pmd - 1) & ~(pmd - 1);
      last = (ve - pmd < end - 1 ? ve - pmd : end - 1) & ~(pmd - 1);
      if (first > last)
         continue;
      first = first > start ? first : start;
      last = last + pmd < end ? last + pmd : end;
      if (*lo == *hi || first < *lo)
         *lo = first;
      if (last > *hi)
         *hi = last;
   }
}

/* Mark the mappings that hold a PMD-mapped THP inside [start, end). */
static int
fast_mark_huge(struct fast_src *src, uint64_t start, uint64_t end)
{
   uint64_t pos, huge[16][2];
   unsigned k = 0;

   fast_huge_window(src, start, end, &pos, &end);
   /* Known missing: said once, when it was learnt. */
   if (pos < end && cap_get(&range_has_scan) < 0)
      return -ENOTTY;
   while (pos < end) {
      uint64_t next;
      unsigned n;
      int ret;

      ret = test_has(NVSVM_RANGE_TEST_NO_SCAN) ? -ENOTTY :
            nvsvm_pagemap_huge(&src->pm, pos, end, huge, 16, &n, &next);
      cap_set(&range_has_scan, ret, "PAGEMAP_SCAN");
      if (ret)
         return ret;
      for (unsigned i = 0; i < n; i++) {
         /* Both lists are in address order. */
         while (k < src->n && src->vmas[k].end <= huge[i][0])
            k++;
         for (unsigned j = k; j < src->n && src->vmas[j].start < huge[i][1];
              j++)
            src->vmas[j].huge = true;
      }
      if (next <= pos)
         return -NVSVM_E_PARSE;
      pos = next;
   }
   return 0;
}

/* THP settings, read at most once per check and never kept. */
#define THP_MAX_ORDER 30
#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage/"

struct thp_sysfs {
   int pmd_order;                      /* -1 unread, 0 THP not built */
   int global;                         /* -1 unread, else nvsvm_thp_mode */
   signed char mode[THP_MAX_ORDER + 1]; /* -1 unread */
};

enum thp_answer { THP_NO, THP_MAYBE, THP_UNKNOWN };

static int
thp_read_mode(const char *path)
{
   char buf[256];
   size_t len;
   int ret = nvsvm_read_small(path, buf, sizeof(buf), &len);

   return ret ? ret : nvsvm_thp_mode_parse(buf, len);
}

static int
thp_pmd_order(struct thp_sysfs *s)
{
   char buf[64], *end;
   unsigned long long size;
   uint64_t base = (uint64_t)sysconf(_SC_PAGESIZE);
   size_t len;
   int ret, order = 0;

   if (s->pmd_order >= 0)
      return s->pmd_order;
   ret = nvsvm_read_small(THP_SYSFS "hpage_pmd_size", buf, sizeof(buf), &len);
   if (ret == -ENOENT) {
      /* sysfs is there but THP is not: a kernel built without it. */
      if (access("/sys/kernel/mm", F_OK) != 0)
         return -ENOENT;
      return s->pmd_order = 0;
   }
   if (ret)
      return ret;
   size = strtoull(buf, &end, 10);
   if (end == buf || (*end && *end != '\n') || base == 0 ||
       size % base || (size / base & (size / base - 1)))
      return -NVSVM_E_PARSE;
   while (order < THP_MAX_ORDER && (base << order) < size)
      order++;
   if (order < 2 || (base << order) != size)
      return -NVSVM_E_PARSE;
   return s->pmd_order = order;
}

/* The mode of one THP order; orders without a file are not anon orders. */
static int
thp_order_mode(struct thp_sysfs *s, int order, int pmd_order)
{
   char path[128];
   int m;

   if (s->mode[order] >= 0)
      return s->mode[order];
   snprintf(path, sizeof(path), THP_SYSFS "hugepages-%llukB/enabled",
            (unsigned long long)sysconf(_SC_PAGESIZE) << order >> 10);
   m = thp_read_mode(path);
   if (m == -ENOENT)
      m = order == pmd_order ? NVSVM_THP_INHERIT : NVSVM_THP_NEVER;
   if (m < 0)
      return m;
   return s->mode[order] = (signed char)m;
}

static bool
block_fits(uint64_t start, uint64_t end, uint64_t size)
{
   uint64_t a = (start + size - 1) & ~(size - 1);

   return a >= start && a + size > a && a + size <= end;
}

/*
 * Could smaps say THPeligible: 1 for this anonymous mapping? Only if some
 * enabled THP size fits it, naturally aligned (the kernel's
 * thp_vma_suitable_order). Whether it does then hangs on VmFlags hg/nh,
 * which only smaps shows: MAYBE.
 */
static enum thp_answer
thp_possible(struct thp_sysfs *s, uint64_t start, uint64_t end)
{
   uint64_t base = (uint64_t)sysconf(_SC_PAGESIZE);
   int pmd, order;

   /* The smallest anonymous THP is order 2: most mappings stop here. */
   if (!block_fits(start, end, base << 2))
      return THP_NO;
   pmd = thp_pmd_order(s);
   if (pmd < 0)
      return THP_UNKNOWN;
   for (order = pmd; order >= 2; order--) {
      if (block_fits(start, end, base << order))
         break;
   }
   for (; order >= 2; order--) {
      int m = thp_order_mode(s, order, pmd);

      if (m < 0)
         return THP_UNKNOWN;
      if (m == NVSVM_THP_INHERIT) {
         if (s->global < 0)
            s->global = thp_read_mode(THP_SYSFS "enabled");
         if (s->global < 0 || s->global == NVSVM_THP_INHERIT)
            return THP_UNKNOWN;
         m = s->global;
      }
      if (m != NVSVM_THP_NEVER)
         return THP_MAYBE;
   }
   return THP_NO;
}

/*
 * Warnings for an eligible range: THP from PAGEMAP_SCAN, THPeligible
 * (only where THP blocks device-exclusive) ruled out from sizes and
 * sysfs, mlock from msync. Anything not ruled out is deferred to smaps.
 */
static int
fast_warnings(struct fast_src *src, uint64_t start, uint64_t end,
              struct nvsvm_range_report *r, enum nvsvm_range_defer *defer)
{
   struct thp_sysfs sysfs = { .pmd_order = -1, .global = -1 };
   unsigned warnings = 0;
   int ret;

   ret = fast_mark_huge(src, start, end);
   if (ret) {
      *defer = cap_get(&range_has_scan) < 0 ? NVSVM_RANGE_DEFER_NO_SCAN :
                                              NVSVM_RANGE_DEFER_ERROR;
      return RANGE_DEFERRED;
   }
   memset(sysfs.mode, -1, sizeof(sysfs.mode));
   for (unsigned i = 0; i < src->n; i++) {
      if (src->vmas[i].huge) {
         warnings |= NVSVM_RANGE_WARN_THP;
         continue;
      }
      if (!range_thp_blocks())
         continue;
      switch (thp_possible(&sysfs, src->vmas[i].start, src->vmas[i].end)) {
      case THP_NO:
         break;
      case THP_MAYBE:
         *defer = NVSVM_RANGE_DEFER_THP_FLAGS;
         return RANGE_DEFERRED;
      case THP_UNKNOWN:
         *defer = NVSVM_RANGE_DEFER_THP_SYSFS;
         return RANGE_DEFERRED;
      }
   }
   /*
    * mlock: msync(MS_INVALIDATE) fails with EBUSY exactly when a mapping
    * in the range is VM_LOCKED (smaps' VmFlags lo), and does nothing
    * else here: no MS_SYNC, and private anonymous memory has no file to
    * write back. One syscall for the range, whatever else is mlocked.
    */
   if (msync((void *)(uintptr_t)start, end - start, MS_INVALIDATE) != 0) {
      if (errno != EBUSY) {
         *defer = NVSVM_RANGE_DEFER_ERROR;
         return RANGE_DEFERRED;
      }
      warnings |= NVSVM_RANGE_WARN_LOCKED;
   }
   r->warnings = warnings;
   return 0;
}

/*
 * The ioctl path: PROCMAP_QUERY for each mapping in the range, so the
 * cost does not grow with the mappings below it. 0, -NVSVM_E_RANGE, or
 * RANGE_DEFERRED with *defer: smaps must answer.
 */
static int
range_check_fast(uint64_t start, uint64_t end, unsigned flags,
                 struct nvsvm_range_report *r, enum nvsvm_range_defer *defer)
{
   struct fast_src src = {
      .base = { .next = fast_next, .visit = fast_visit },
   };
   bool unsure;
   int ret;

   *defer = NVSVM_RANGE_DEFER_NONE;
   if (cap_get(&range_has_query) < 0) {
      *defer = NVSVM_RANGE_DEFER_NO_QUERY;
      return RANGE_DEFERRED;
   }
   if (nvsvm_procmap_open(&src.pm)) {
      *defer = NVSVM_RANGE_DEFER_ERROR;
      return RANGE_DEFERRED;
   }
   ret = range_walk(&src.base, start, end, r, &unsure);
   if (ret == -NVSVM_E_RANGE || ret == 0) {
      if (unsure)
         *defer = r->reason == NVSVM_RANGE_OK || !vma_has_file(&src.q.vma) ?
                  NVSVM_RANGE_DEFER_SPECIAL_NAME :
                  NVSVM_RANGE_DEFER_FILE_FLAGS;
      else if (ret && r->reason == NVSVM_RANGE_NOT_MAPPED &&
               r->vma_end > RANGE_KERNEL_HALF)
         *defer = NVSVM_RANGE_DEFER_GATE;
      else if (ret == 0 && !(flags & NVSVM_RANGE_NO_THP_CHECK))
         ret = fast_warnings(&src, start, end, r, defer);
   } else if (ret == -ENOTTY || ret == -EINVAL) {
      *defer = NVSVM_RANGE_DEFER_NO_QUERY;
   } else if (ret == -ENAMETOOLONG) {
      *defer = NVSVM_RANGE_DEFER_LONG_NAME;
   } else {
      *defer = NVSVM_RANGE_DEFER_ERROR;
   }
   nvsvm_procmap_close(&src.pm);
   free(src.vmas);
   return *defer != NVSVM_RANGE_DEFER_NONE ? RANGE_DEFERRED : ret;
}

/* ------------------------------------------------------------ entry */

static bool
range_env_slow(void)
{
   const char *v = nvsvm_getenv("NVSVM_RANGE_SLOW");

   if (!v || !*v || strcmp(v, "0") == 0)
      return false;
   if (strcmp(v, "1") != 0) {
      nvsvm_debug("range check: NVSVM_RANGE_SLOW=%s is neither 0 nor 1: "
                  "ignored", v);
      return false;
   }
   return true;
}

int
nvsvm_range_check_path(const void *ptr, size_t len, unsigned flags,
                       enum nvsvm_range_path path,
                       struct nvsvm_range_report *report,
                       enum nvsvm_range_path *used,
                       enum nvsvm_range_defer *defer)
{
   enum nvsvm_range_defer why = NVSVM_RANGE_DEFER_NONE;
   enum nvsvm_range_path dummy_used;
   uint64_t start = (uintptr_t)ptr, end;
   struct nvsvm_range_report blank;
   int ret;

   if (!used)
      used = &dummy_used;
   *used = NVSVM_RANGE_PATH_NONE;
   if (defer)
      *defer = NVSVM_RANGE_DEFER_NONE;
   if (!report || path < NVSVM_RANGE_PATH_AUTO ||
       path > NVSVM_RANGE_PATH_SLOW)
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

   blank = *report;
   if (path == NVSVM_RANGE_PATH_AUTO && range_env_slow()) {
      why = NVSVM_RANGE_DEFER_ENV;
      path = NVSVM_RANGE_PATH_SLOW;
   }
   if (path != NVSVM_RANGE_PATH_SLOW) {
      ret = range_check_fast(start, end, flags, report, &why);
      if (ret != RANGE_DEFERRED) {
         *used = NVSVM_RANGE_PATH_FAST;
         return ret;
      }
      *report = blank;
      if (defer)
         *defer = why;
      if (path == NVSVM_RANGE_PATH_FAST)
         return -EAGAIN;
      /* A missing ioctl was said once, when it was learnt. */
      if (why != NVSVM_RANGE_DEFER_NO_QUERY &&
          why != NVSVM_RANGE_DEFER_NO_SCAN)
         nvsvm_debug("range check %#" PRIx64 "-%#" PRIx64
                     ": smaps answers: %s", start, end,
                     nvsvm_range_defer_str(why));
   }
   if (defer)
      *defer = why;
   *used = NVSVM_RANGE_PATH_SLOW;
   return range_check_slow(start, end, flags, report);
}

NVSVM_EXPORT int
nvsvm_range_check(const void *ptr, size_t len, unsigned flags,
                  struct nvsvm_range_report *report)
{
   return nvsvm_range_check_path(ptr, len, flags, NVSVM_RANGE_PATH_AUTO,
                                 report, NULL, NULL);
}
