/* SPDX-License-Identifier: MIT */
/*
 * Atomic placement: a page pool that gives independent atomics a 4 KiB
 * page each, so a GPU atomic on one never ping-pongs another's page.
 */
#ifndef NVSVM_PLACEMENT_H
#define NVSVM_PLACEMENT_H

#include "nvsvm/nvsvm.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Why a page each: the device-exclusive conversion works on one 4 KiB
 * page at a time (docs/placement.md). Two atomics on one page are one
 * unit of ownership: a CPU store to either revokes the device's hold on
 * both. Pool memory is always anonymous, private and writable, and
 * MADV_NOHUGEPAGE (THP-backed pages cannot be converted on kernels up to
 * 6.14, and the flag also keeps khugepaged from collapsing them later).
 */

struct nvsvm_pool;   /* the page pool; thread-safe */
struct nvsvm_group;  /* objects the caller wants packed together */

enum nvsvm_pool_flags {
   /*
    * Leave THP alone on kernels newer than 6.14 (they split a THP for a
    * conversion). Ignored on older kernels, where THP breaks atomics.
    */
   NVSVM_POOL_ALLOW_THP = 1u << 0,
   /* A PROT_NONE page after every pool page: an overrun faults at once. */
   NVSVM_POOL_GUARD_PAGES = 1u << 1,
   /*
    * Run nvsvm_range_check() once per chunk mapped instead of once per
    * page handed out. Cheaper; misses changes the caller makes to pool
    * pages later (mprotect, madvise).
    */
   NVSVM_POOL_CHECK_CHUNKS_ONLY = 1u << 2,
};

#define NVSVM_POOL_MAX_CHUNK_PAGES 64u

struct nvsvm_pool_params {
   unsigned flags;          /* enum nvsvm_pool_flags */
   unsigned chunk_pages;    /* pages mapped at a time, 1..64 (0: 64) */
};

/* What the pool costs against what its users asked for. */
struct nvsvm_pool_stats {
   uint64_t allocations;     /* live nvsvm_pool_alloc() objects */
   uint64_t groups;          /* live groups */
   uint64_t group_members;   /* live objects inside groups */
   uint64_t bytes_requested; /* sum of the sizes of live objects */
   uint64_t pages_in_use;    /* pages holding live objects */
   uint64_t pages_free;      /* mapped, zeroed on reuse */
   uint64_t bytes_held;      /* (in use + free) pages, in bytes */
   uint64_t bytes_mapped;    /* address space, guard pages included */
   uint64_t chunks;          /* mappings made and still held */
   uint64_t range_checks;    /* nvsvm_range_check() calls so far */
   uint64_t pages_reused;    /* pages handed out a second time or more */
};

/* params may be NULL: defaults (per-page checks, no guards, 64 pages). */
int
nvsvm_pool_create(const struct nvsvm_pool_params *params,
                  struct nvsvm_pool **out);

/* Unmaps everything, groups included; their handles become invalid. */
void
nvsvm_pool_destroy(struct nvsvm_pool *pool);

/*
 * One independent object (an atomic or a small struct of them) on a
 * 4 KiB page of its own, page aligned and zeroed. size 1..4096.
 * -EINVAL for a bad size, -ENOMEM when mmap fails, -NVSVM_E_RANGE when
 * the page failed the range check (nvsvm_pool_last_report() says why).
 */
int
nvsvm_pool_alloc(struct nvsvm_pool *pool, size_t size, void **out);

/*
 * Give an object back; its page is reused. -EINVAL for NULL or for a
 * group member (free its group), -ENOENT for a pointer this pool did
 * not hand out or already took back.
 */
int
nvsvm_pool_free(struct nvsvm_pool *pool, void *ptr);

int
nvsvm_pool_get_stats(struct nvsvm_pool *pool, struct nvsvm_pool_stats *out);

/* The report of the last range check that refused a page. */
int
nvsvm_pool_last_report(struct nvsvm_pool *pool,
                       struct nvsvm_range_report *out);

/*
 * A group: objects that are always used together by the same agent, so
 * one conversion serves them all. Members are packed into the group's
 * own pages; no other group or object ever shares those pages.
 */
int
nvsvm_group_create(struct nvsvm_pool *pool, struct nvsvm_group **out);

/*
 * A zeroed member of size 1..4096, aligned to align (a power of two up
 * to 4096; 0 means 16). A member never straddles two pages; when the
 * current page is full the group takes another page from the pool.
 */
int
nvsvm_group_alloc(struct nvsvm_group *group, size_t size, size_t align,
                  void **out);

/* Pages the group holds (1 after its first member, 0 before). */
unsigned
nvsvm_group_pages(const struct nvsvm_group *group);

/* Frees every member at once and gives the pages back to the pool. */
void
nvsvm_group_destroy(struct nvsvm_group *group);

/*
 * 1 when THP-backed pages cannot be made device-exclusive on the kernel
 * with this uname release (<= 6.14), 0 when they can, -NVSVM_E_PARSE
 * when the release string is not "MAJOR.MINOR...". NULL: this kernel.
 */
int
nvsvm_kernel_thp_blocks_exclusive(const char *release);

#ifdef __cplusplus
}
#endif

#endif /* NVSVM_PLACEMENT_H */
