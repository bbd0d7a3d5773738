/* SPDX-License-Identifier: MIT */
/*
 * Atomic placement allocator: a pool of 4 KiB pages, one per independent
 * object or group, always eligible for device-exclusive conversion.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "nvsvm/nvsvm_placement.h"
#include "nvsvm_os.h"
#include "nvsvm_priv.h"

#define PAGE NVSVM_PAGE_SIZE

enum pool_page_state {
   POOL_PAGE_FREE = 0,
   POOL_PAGE_OBJECT,   /* one nvsvm_pool_alloc() object */
   POOL_PAGE_GROUP,    /* members of one group */
};

struct pool_page {
   uint8_t state;
   uint16_t size;               /* bytes asked for, POOL_PAGE_OBJECT */
   struct nvsvm_group *group;   /* owner, POOL_PAGE_GROUP */
};

/* One mmap: up to 64 data pages, each followed by a guard if asked. */
struct pool_chunk {
   uint8_t *base;
   size_t map_len;
   unsigned npages;
   uint64_t free_mask;    /* bit i: data page i can be handed out */
   uint64_t dirty_mask;   /* bit i: page was used; zero it on reuse */
   struct pool_page pages[NVSVM_POOL_MAX_CHUNK_PAGES];
};

/*
 * Locking: pool->lock protects everything in the pool and in its groups
 * (chunks, masks, page owners, group page lists, statistics). Range
 * checks run under it too: they are rare (one per page handed out) and
 * a page must not be handed out twice while its check runs.
 */
struct nvsvm_pool {
   nvsvm_mtx lock;
   unsigned flags;
   unsigned chunk_pages;
   size_t stride;          /* PAGE, or 2 * PAGE with guard pages */
   bool nohugepage;        /* MADV_NOHUGEPAGE on every chunk */
   bool thp_fatal;         /* kernel <= 6.14: THP warnings refuse a page */

   struct pool_chunk **chunks;   /* sorted by base for lookups */
   unsigned nchunks, chunks_cap;
   unsigned empty_chunks;        /* chunks with every page free */

   struct nvsvm_group *groups;   /* live groups, doubly linked */

   struct nvsvm_pool_stats stats;
   struct nvsvm_range_report last_report;
   bool has_report;
};

struct nvsvm_group {
   struct nvsvm_pool *pool;
   struct nvsvm_group *prev, *next;
   uint8_t **pages;
   unsigned npages, pages_cap;
   size_t used;            /* bytes used in pages[npages - 1] */
   uint64_t members;
   uint64_t bytes;
};

NVSVM_EXPORT int
nvsvm_kernel_thp_blocks_exclusive(const char *release)
{
   struct utsname u;
   unsigned major, minor;

   if (!release) {
      if (uname(&u) != 0)
         return -errno;
      release = u.release;
   }
   if (sscanf(release, "%u.%u", &major, &minor) != 2)
      return -NVSVM_E_PARSE;
   /* 6.15 reworked make_device_exclusive() to PTE-map a THP first. */
   return major < 6 || (major == 6 && minor <= 14);
}

static uint64_t
chunk_full_mask(const struct pool_chunk *c)
{
   return c->npages == 64 ? ~0ull : (1ull << c->npages) - 1;
}

static uint8_t *
chunk_page(const struct nvsvm_pool *pool, const struct pool_chunk *c,
           unsigned i)
{
   return c->base + (size_t)i * pool->stride;
}

/* Ask the range rules about a freshly handed-out region; lock held. */
static int
pool_check_range(struct nvsvm_pool *pool, void *ptr, size_t len)
{
   struct nvsvm_range_report rep;
   int ret;

   memset(&rep, 0, sizeof(rep));
   pool->stats.range_checks++;
   ret = nvsvm_range_check(ptr, len, NVSVM_RANGE_REQUIRE_ALIGNED, &rep);
   if (ret == 0 && pool->thp_fatal &&
       (rep.warnings & (NVSVM_RANGE_WARN_THP |
                        NVSVM_RANGE_WARN_THP_ELIGIBLE)))
      ret = -NVSVM_E_RANGE;
   if (ret == -NVSVM_E_RANGE) {
      pool->last_report = rep;
      pool->has_report = true;
   }
   return ret;
}

static int
pool_insert_chunk(struct nvsvm_pool *pool, struct pool_chunk *c)
{
   unsigned pos = 0;

   if (pool->nchunks == pool->chunks_cap) {
      unsigned cap = pool->chunks_cap ? pool->chunks_cap * 2 : 8;
      struct pool_chunk **n = realloc(pool->chunks, cap * sizeof(*n));

      if (!n)
         return -ENOMEM;
      pool->chunks = n;
      pool->chunks_cap = cap;
   }
   while (pos < pool->nchunks && pool->chunks[pos]->base < c->base)
      pos++;
   memmove(&pool->chunks[pos + 1], &pool->chunks[pos],
           (pool->nchunks - pos) * sizeof(pool->chunks[0]));
   pool->chunks[pos] = c;
   pool->nchunks++;
   return 0;
}

static void
pool_unmap_chunk(struct nvsvm_pool *pool, unsigned idx)
{
   struct pool_chunk *c = pool->chunks[idx];

   munmap(c->base, c->map_len);
   pool->stats.chunks--;
   pool->stats.pages_free -= c->npages;
   pool->stats.bytes_mapped -= c->map_len;
   memmove(&pool->chunks[idx], &pool->chunks[idx + 1],
           (pool->nchunks - idx - 1) * sizeof(pool->chunks[0]));
   pool->nchunks--;
   free(c);
}

/* Map, advise, guard and (in chunk mode) check a new chunk; lock held. */
static int
pool_map_chunk(struct nvsvm_pool *pool, struct pool_chunk **out)
{
   struct pool_chunk *c;
   int ret;

   c = calloc(1, sizeof(*c));
   if (!c)
      return -ENOMEM;
   c->npages = pool->chunk_pages;
   c->map_len = (size_t)c->npages * pool->stride;
   c->base = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   if (c->base == MAP_FAILED) {
      ret = -errno;
      goto fail_free;
   }
   /* Also tells khugepaged never to collapse these pages later. */
   if (pool->nohugepage &&
       madvise(c->base, c->map_len, MADV_NOHUGEPAGE) != 0) {
      ret = -errno;
      goto fail_unmap;
   }
   if (pool->flags & NVSVM_POOL_GUARD_PAGES) {
      for (unsigned i = 0; i < c->npages; i++) {
         if (mprotect(chunk_page(pool, c, i) + PAGE, PAGE, PROT_NONE)) {
            ret = -errno;
            goto fail_unmap;
         }
      }
   }
   if (pool->flags & NVSVM_POOL_CHECK_CHUNKS_ONLY) {
      if (pool->flags & NVSVM_POOL_GUARD_PAGES) {
         for (unsigned i = 0; i < c->npages; i++) {
            ret = pool_check_range(pool, chunk_page(pool, c, i), PAGE);
            if (ret)
               goto fail_unmap;
         }
      } else {
         ret = pool_check_range(pool, c->base, c->map_len);
         if (ret)
            goto fail_unmap;
      }
   }
   c->free_mask = chunk_full_mask(c);
   ret = pool_insert_chunk(pool, c);
   if (ret)
      goto fail_unmap;

   pool->stats.chunks++;
   pool->stats.pages_free += c->npages;
   pool->stats.bytes_mapped += c->map_len;
   pool->empty_chunks++;
   *out = c;
   return 0;

fail_unmap:
   munmap(c->base, c->map_len);
fail_free:
   free(c);
   return ret;
}

/*
 * Hand out one zeroed page, checked by the range rules, marked with its
 * new state; lock held. Lowest address first keeps live pages dense, so
 * empty chunks at the top can be unmapped.
 */
static int
pool_take_page(struct nvsvm_pool *pool, uint8_t state, uint16_t size,
               struct nvsvm_group *group, uint8_t **out)
{
   struct pool_chunk *c = NULL;
   unsigned i;
   uint8_t *page;
   int ret;

   for (unsigned k = 0; k < pool->nchunks; k++) {
      if (pool->chunks[k]->free_mask) {
         c = pool->chunks[k];
         break;
      }
   }
   if (!c) {
      ret = pool_map_chunk(pool, &c);
      if (ret)
         return ret;
   }
   i = (unsigned)__builtin_ctzll(c->free_mask);
   page = chunk_page(pool, c, i);

   if (!(pool->flags & NVSVM_POOL_CHECK_CHUNKS_ONLY)) {
      ret = pool_check_range(pool, page, PAGE);
      if (ret)
         return ret;   /* the page stays free; nothing changed */
   }
   if (c->free_mask == chunk_full_mask(c))
      pool->empty_chunks--;
   c->free_mask &= ~(1ull << i);
   if (c->dirty_mask & (1ull << i)) {
      memset(page, 0, PAGE);
      pool->stats.pages_reused++;
   }
   c->dirty_mask |= 1ull << i;
   c->pages[i].state = state;
   c->pages[i].size = size;
   c->pages[i].group = group;
   pool->stats.pages_free--;
   pool->stats.pages_in_use++;
   *out = page;
   return 0;
}

/* Find the chunk and page index holding ptr; lock held. */
static struct pool_chunk *
pool_lookup(const struct nvsvm_pool *pool, const void *ptr, unsigned *idx,
            unsigned *chunk_idx, size_t *offset)
{
   const uint8_t *p = ptr;
   unsigned lo = 0, hi = pool->nchunks;

   while (lo < hi) {
      unsigned mid = lo + (hi - lo) / 2;
      struct pool_chunk *c = pool->chunks[mid];

      if (p < c->base) {
         hi = mid;
      } else if (p >= c->base + c->map_len) {
         lo = mid + 1;
      } else {
         size_t off = (size_t)(p - c->base);

         *idx = (unsigned)(off / pool->stride);
         *offset = off % pool->stride;
         *chunk_idx = mid;
         return c;
      }
   }
   return NULL;
}

/* Return a page to the free set; keep at most one empty chunk mapped. */
static void
pool_put_page(struct nvsvm_pool *pool, struct pool_chunk *c, unsigned i)
{
   c->pages[i].state = POOL_PAGE_FREE;
   c->pages[i].size = 0;
   c->pages[i].group = NULL;
   c->free_mask |= 1ull << i;
   pool->stats.pages_in_use--;
   pool->stats.pages_free++;
   if (c->free_mask != chunk_full_mask(c))
      return;
   if (pool->empty_chunks == 0) {
      pool->empty_chunks++;
      return;
   }
   for (unsigned k = 0; k < pool->nchunks; k++) {
      if (pool->chunks[k] == c) {
         pool_unmap_chunk(pool, k);
         return;
      }
   }
}

NVSVM_EXPORT int
nvsvm_pool_create(const struct nvsvm_pool_params *params,
                  struct nvsvm_pool **out)
{
   const unsigned known = NVSVM_POOL_ALLOW_THP | NVSVM_POOL_GUARD_PAGES |
                          NVSVM_POOL_CHECK_CHUNKS_ONLY;
   struct nvsvm_pool *pool;
   unsigned flags = params ? params->flags : 0;
   unsigned chunk_pages = params ? params->chunk_pages : 0;
   int old_kernel;

   if (!out)
      return -EINVAL;
   *out = NULL;
   if ((flags & ~known) || chunk_pages > NVSVM_POOL_MAX_CHUNK_PAGES)
      return -EINVAL;

   old_kernel = nvsvm_kernel_thp_blocks_exclusive(NULL);
   pool = calloc(1, sizeof(*pool));
   if (!pool)
      return -ENOMEM;
   if (nvsvm_mtx_init(&pool->lock) != 0) {
      free(pool);
      return -ENOMEM;
   }
   pool->flags = flags;
   pool->chunk_pages = chunk_pages ? chunk_pages : NVSVM_POOL_MAX_CHUNK_PAGES;
   pool->stride = (flags & NVSVM_POOL_GUARD_PAGES) ? 2 * PAGE : PAGE;
   /* An unreadable release is treated as an old kernel: safe side. */
   pool->thp_fatal = old_kernel != 0;
   pool->nohugepage = !(flags & NVSVM_POOL_ALLOW_THP) || pool->thp_fatal;
   *out = pool;
   return 0;
}

NVSVM_EXPORT void
nvsvm_pool_destroy(struct nvsvm_pool *pool)
{
   struct nvsvm_group *g, *next;

   if (!pool)
      return;
   for (g = pool->groups; g; g = next) {
      next = g->next;
      free(g->pages);
      free(g);
   }
   for (unsigned k = 0; k < pool->nchunks; k++) {
      munmap(pool->chunks[k]->base, pool->chunks[k]->map_len);
      free(pool->chunks[k]);
   }
   free(pool->chunks);
   nvsvm_mtx_fini(&pool->lock);
   free(pool);
}

NVSVM_EXPORT int
nvsvm_pool_alloc(struct nvsvm_pool *pool, size_t size, void **out)
{
   uint8_t *page;
   int ret;

   if (!pool || !out)
      return -EINVAL;
   *out = NULL;
   if (size == 0 || size > PAGE)
      return -EINVAL;

   nvsvm_mtx_lock(&pool->lock);
   ret = pool_take_page(pool, POOL_PAGE_OBJECT, (uint16_t)size, NULL,
                        &page);
   if (ret == 0) {
      pool->stats.allocations++;
      pool->stats.bytes_requested += size;
      *out = page;
   }
   nvsvm_mtx_unlock(&pool->lock);
   return ret;
}

NVSVM_EXPORT int
nvsvm_pool_free(struct nvsvm_pool *pool, void *ptr)
{
   struct pool_chunk *c;
   unsigned i, ci;
   size_t off;
   int ret = 0;

   if (!pool || !ptr)
      return -EINVAL;

   nvsvm_mtx_lock(&pool->lock);
   c = pool_lookup(pool, ptr, &i, &ci, &off);
   if (c && off < PAGE && c->pages[i].state == POOL_PAGE_GROUP) {
      ret = -EINVAL;   /* members go with their group */
      goto out;
   }
   if (!c || off != 0 || c->pages[i].state != POOL_PAGE_OBJECT) {
      ret = -ENOENT;
      goto out;
   }
   pool->stats.allocations--;
   pool->stats.bytes_requested -= c->pages[i].size;
   pool_put_page(pool, c, i);
out:
   nvsvm_mtx_unlock(&pool->lock);
   return ret;
}

NVSVM_EXPORT int
nvsvm_pool_get_stats(struct nvsvm_pool *pool, struct nvsvm_pool_stats *out)
{
   if (!pool || !out)
      return -EINVAL;
   nvsvm_mtx_lock(&pool->lock);
   *out = pool->stats;
   out->bytes_held = (out->pages_in_use + out->pages_free) * PAGE;
   nvsvm_mtx_unlock(&pool->lock);
   return 0;
}

NVSVM_EXPORT int
nvsvm_pool_last_report(struct nvsvm_pool *pool,
                       struct nvsvm_range_report *out)
{
   int ret = 0;

   if (!pool || !out)
      return -EINVAL;
   nvsvm_mtx_lock(&pool->lock);
   if (pool->has_report)
      *out = pool->last_report;
   else
      ret = -ENOENT;
   nvsvm_mtx_unlock(&pool->lock);
   return ret;
}

NVSVM_EXPORT int
nvsvm_group_create(struct nvsvm_pool *pool, struct nvsvm_group **out)
{
   struct nvsvm_group *g;

   if (!pool || !out)
      return -EINVAL;
   *out = NULL;
   g = calloc(1, sizeof(*g));
   if (!g)
      return -ENOMEM;
   g->pool = pool;

   nvsvm_mtx_lock(&pool->lock);
   g->next = pool->groups;
   if (pool->groups)
      pool->groups->prev = g;
   pool->groups = g;
   pool->stats.groups++;
   nvsvm_mtx_unlock(&pool->lock);
   *out = g;
   return 0;
}

NVSVM_EXPORT int
nvsvm_group_alloc(struct nvsvm_group *group, size_t size, size_t align,
                  void **out)
{
   struct nvsvm_pool *pool;
   size_t off = 0;
   int ret = 0;

   if (!group || !out)
      return -EINVAL;
   *out = NULL;
   if (align == 0)
      align = 16;
   if (size == 0 || size > PAGE || align > PAGE || (align & (align - 1)))
      return -EINVAL;

   pool = group->pool;
   nvsvm_mtx_lock(&pool->lock);
   if (group->npages)
      off = (group->used + align - 1) & ~(align - 1);
   if (group->npages == 0 || off + size > PAGE) {
      uint8_t *page;

      if (group->npages == group->pages_cap) {
         unsigned cap = group->pages_cap ? group->pages_cap * 2 : 4;
         uint8_t **n = realloc(group->pages, cap * sizeof(*n));

         if (!n) {
            ret = -ENOMEM;
            goto out;
         }
         group->pages = n;
         group->pages_cap = cap;
      }
      ret = pool_take_page(pool, POOL_PAGE_GROUP, 0, group, &page);
      if (ret)
         goto out;
      group->pages[group->npages++] = page;
      off = 0;
   }
   group->used = off + size;
   group->members++;
   group->bytes += size;
   pool->stats.group_members++;
   pool->stats.bytes_requested += size;
   *out = group->pages[group->npages - 1] + off;
out:
   nvsvm_mtx_unlock(&pool->lock);
   return ret;
}

NVSVM_EXPORT unsigned
nvsvm_group_pages(const struct nvsvm_group *group)
{
   return group ? group->npages : 0;
}

NVSVM_EXPORT void
nvsvm_group_destroy(struct nvsvm_group *group)
{
   struct nvsvm_pool *pool;

   if (!group)
      return;
   pool = group->pool;
   nvsvm_mtx_lock(&pool->lock);
   for (unsigned k = 0; k < group->npages; k++) {
      unsigned i, ci;
      size_t off;
      struct pool_chunk *c = pool_lookup(pool, group->pages[k], &i, &ci,
                                         &off);

      if (c && c->pages[i].group == group)
         pool_put_page(pool, c, i);
   }
   if (group->prev)
      group->prev->next = group->next;
   else
      pool->groups = group->next;
   if (group->next)
      group->next->prev = group->prev;
   pool->stats.groups--;
   pool->stats.group_members -= group->members;
   pool->stats.bytes_requested -= group->bytes;
   nvsvm_mtx_unlock(&pool->lock);
   free(group->pages);
   free(group);
}
