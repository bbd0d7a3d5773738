/* SPDX-License-Identifier: MIT */
/*
 * Ping-pong telemetry: per-range event counters from records, pagemap
 * samples, rusage and backend counters, and the thrashing detector.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "nvsvm/nvsvm_telemetry.h"
#include "nvsvm_os.h"
#include "nvsvm_priv.h"
#include "nvsvm_time.h"

#define PAGE NVSVM_PAGE_SIZE

#define PM_PRESENT (1ull << 63)
#define PM_SWAP    (1ull << 62)

enum tm_actor {
   ACTOR_NONE = 0,
   ACTOR_CPU,
   ACTOR_DEVICE,
};

/* Detector state of one watched page. */
struct tm_page {
   uint64_t last_ns;      /* latest event */
   uint32_t close;        /* close alternations since the last reset */
   uint32_t episodes;     /* times it crossed the threshold */
   uint32_t objects;      /* objects overlapping the page */
   uint8_t last_actor;    /* enum tm_actor */
   bool thrashing;
   bool companion;        /* moved in step with another page */
   uint8_t residency;     /* last pagemap sample */
};

struct tm_range {
   unsigned id;
   char name[32];
   uint64_t start, len;
   uint64_t first_page;   /* start rounded down to a page */
   unsigned npages;
   uint64_t objects;
   struct tm_page *pages;

   uint64_t events[NVSVM_EVENT_COUNT];
   uint64_t samples;
   uint64_t minflt, majflt;
   uint64_t dev_conversions, dev_invalidations;
   uint64_t close_events;
   uint64_t companion_events;

   /* The range's latest event, to see pages move in step. */
   unsigned last_page;
   uint8_t last_actor;
   uint64_t last_ns;
};

/*
 * Locking: tm->lock protects the range table and every range's pages
 * and counters; each call takes it once. The pagemap fd is opened
 * lazily under it and read with pread, which needs no shared offset.
 */
struct nvsvm_telemetry {
   nvsvm_mtx lock;
   struct nvsvm_thrash_params params;
   struct tm_range **ranges;   /* indexed by id; NULL once unwatched */
   unsigned nranges;
   struct tm_range *hint;      /* last range an address fell in */
   int pagemap_fd;
};

static const char *const event_names[NVSVM_EVENT_COUNT] = {
   [NVSVM_EVENT_CONVERSION] = "conversion",
   [NVSVM_EVENT_REVOCATION] = "revocation",
   [NVSVM_EVENT_DEVICE_FAULT] = "device_fault",
   [NVSVM_EVENT_CPU_FAULT] = "cpu_fault",
};

NVSVM_EXPORT const char *
nvsvm_event_name(enum nvsvm_event event)
{
   if ((unsigned)event >= NVSVM_EVENT_COUNT)
      return NULL;
   return event_names[event];
}

NVSVM_EXPORT const char *
nvsvm_advice_name(enum nvsvm_advice advice)
{
   switch (advice) {
   case NVSVM_ADVICE_SPLIT:
      return "split";
   case NVSVM_ADVICE_GROUP:
      return "group";
   case NVSVM_ADVICE_MIGRATE:
      return "migrate";
   default:
      return NULL;
   }
}

NVSVM_EXPORT const char *
nvsvm_advice_str(enum nvsvm_advice advice)
{
   switch (advice) {
   case NVSVM_ADVICE_SPLIT:
      return "independent objects share a thrashing page: give each its "
             "own page (nvsvm_pool_alloc) so a CPU access to one stops "
             "revoking the device's hold on the others";
   case NVSVM_ADVICE_GROUP:
      return "objects on separate pages thrash in step: put them in one "
             "nvsvm_group so one conversion serves them all";
   case NVSVM_ADVICE_MIGRATE:
      return "a single object is truly shared and thrashes: keep it on "
             "one side (migrate it to device memory, or batch the CPU's "
             "accesses to it)";
   default:
      return NULL;
   }
}

NVSVM_EXPORT uint64_t
nvsvm_telemetry_now_ns(void)
{
   return nvsvm_time_ns();
}

NVSVM_EXPORT int
nvsvm_telemetry_create(const struct nvsvm_thrash_params *params,
                       struct nvsvm_telemetry **out)
{
   struct nvsvm_telemetry *tm;

   if (!out)
      return -EINVAL;
   *out = NULL;
   tm = calloc(1, sizeof(*tm));
   if (!tm)
      return -ENOMEM;
   if (nvsvm_mtx_init(&tm->lock) != 0) {
      free(tm);
      return -ENOMEM;
   }
   if (params)
      tm->params = *params;
   if (!tm->params.lapse_ns)
      tm->params.lapse_ns = NVSVM_THRASH_LAPSE_NS_DEFAULT;
   if (!tm->params.threshold)
      tm->params.threshold = NVSVM_THRASH_THRESHOLD_DEFAULT;
   if (!tm->params.reset_ns)
      tm->params.reset_ns = NVSVM_THRASH_RESET_NS_DEFAULT;
   tm->pagemap_fd = -1;
   *out = tm;
   return 0;
}

static void
tm_range_free(struct tm_range *r)
{
   if (!r)
      return;
   free(r->pages);
   free(r);
}

NVSVM_EXPORT void
nvsvm_telemetry_destroy(struct nvsvm_telemetry *tm)
{
   if (!tm)
      return;
   for (unsigned i = 0; i < tm->nranges; i++)
      tm_range_free(tm->ranges[i]);
   free(tm->ranges);
   if (tm->pagemap_fd >= 0)
      close(tm->pagemap_fd);
   nvsvm_mtx_fini(&tm->lock);
   free(tm);
}

/* Objects of the range that overlap [a, b); arithmetic, no loop. */
static uint32_t
tm_objects_in(const struct tm_range *r, size_t size, size_t stride,
              uint64_t a, uint64_t b)
{
   uint64_t lo, hi, kmin, kmax;

   if (r->objects == 0)
      return 0;
   lo = a > r->start ? a : r->start;
   hi = b < r->start + r->len ? b : r->start + r->len;
   if (lo >= hi)
      return 0;
   /* Object k covers [start + k*stride, start + k*stride + size). */
   kmin = lo - r->start + 1 > size ?
          (lo - r->start + 1 - size + stride - 1) / stride : 0;
   kmax = (hi - 1 - r->start) / stride;
   if (kmax >= r->objects)
      kmax = r->objects - 1;
   if (kmin > kmax)
      return 0;
   return (uint32_t)(kmax - kmin + 1);
}

static struct tm_range *
tm_range_get(const struct nvsvm_telemetry *tm, unsigned id)
{
   return id < tm->nranges ? tm->ranges[id] : NULL;
}

NVSVM_EXPORT int
nvsvm_telemetry_watch(struct nvsvm_telemetry *tm, const void *ptr,
                      size_t len, const struct nvsvm_watch_params *params,
                      unsigned *id)
{
   uint64_t start = (uint64_t)(uintptr_t)ptr, first, last, npages;
   size_t size = params ? params->object_size : 0;
   size_t stride = params ? params->object_stride : 0;
   struct tm_range *r, **n;
   int ret = 0;

   if (!tm || !ptr || !len || !id || start + len < start)
      return -EINVAL;
   first = start & ~(uint64_t)(PAGE - 1);
   last = (start + len - 1) & ~(uint64_t)(PAGE - 1);
   npages = (last - first) / PAGE + 1;
   if (npages > NVSVM_TELEMETRY_MAX_RANGE_PAGES)
      return -EINVAL;
   if (size > len || (stride && stride < size))
      return -EINVAL;

   r = calloc(1, sizeof(*r));
   if (!r)
      return -ENOMEM;
   r->pages = calloc(npages, sizeof(*r->pages));
   if (!r->pages) {
      free(r);
      return -ENOMEM;
   }
   if (params && params->name)
      snprintf(r->name, sizeof(r->name), "%s", params->name);
   r->start = start;
   r->len = len;
   r->first_page = first;
   r->npages = (unsigned)npages;
   if (size == 0) {
      size = len;   /* one object spanning the range */
      stride = len;
   } else if (stride == 0) {
      stride = size;
   }
   r->objects = (len - size) / stride + 1;
   for (unsigned i = 0; i < r->npages; i++)
      r->pages[i].objects = tm_objects_in(r, size, stride,
                                          first + (uint64_t)i * PAGE,
                                          first + (uint64_t)(i + 1) * PAGE);

   nvsvm_mtx_lock(&tm->lock);
   for (unsigned i = 0; i < tm->nranges; i++) {
      const struct tm_range *o = tm->ranges[i];

      if (o && first < o->first_page + (uint64_t)o->npages * PAGE &&
          o->first_page < last + PAGE) {
         ret = -EEXIST;
         goto fail_unlock;
      }
   }
   n = realloc(tm->ranges, (tm->nranges + 1) * sizeof(*n));
   if (!n) {
      ret = -ENOMEM;
      goto fail_unlock;
   }
   tm->ranges = n;
   r->id = tm->nranges;
   tm->ranges[tm->nranges++] = r;
   *id = r->id;
   nvsvm_mtx_unlock(&tm->lock);
   return 0;

fail_unlock:
   nvsvm_mtx_unlock(&tm->lock);
   tm_range_free(r);
   return ret;
}

NVSVM_EXPORT int
nvsvm_telemetry_unwatch(struct nvsvm_telemetry *tm, unsigned id)
{
   struct tm_range *r;

   if (!tm)
      return -EINVAL;
   nvsvm_mtx_lock(&tm->lock);
   r = tm_range_get(tm, id);
   if (r) {
      tm->ranges[id] = NULL;
      if (tm->hint == r)
         tm->hint = NULL;
   }
   nvsvm_mtx_unlock(&tm->lock);
   if (!r)
      return -ENOENT;
   tm_range_free(r);
   return 0;
}

static struct tm_range *
tm_find(struct nvsvm_telemetry *tm, uint64_t addr, unsigned *page)
{
   struct tm_range *r = tm->hint;

   if (!r || addr < r->first_page ||
       addr >= r->first_page + (uint64_t)r->npages * PAGE) {
      r = NULL;
      for (unsigned i = 0; i < tm->nranges && !r; i++) {
         struct tm_range *o = tm->ranges[i];

         if (o && addr >= o->first_page &&
             addr < o->first_page + (uint64_t)o->npages * PAGE)
            r = o;
      }
      if (!r)
         return NULL;
      tm->hint = r;
   }
   *page = (unsigned)((addr - r->first_page) / PAGE);
   return r;
}

static enum tm_actor
tm_event_actor(enum nvsvm_event event)
{
   return event == NVSVM_EVENT_CONVERSION ||
          event == NVSVM_EVENT_DEVICE_FAULT ? ACTOR_DEVICE : ACTOR_CPU;
}

/* The detector proper: one event on one page; lock held. */
static void
tm_event(const struct nvsvm_telemetry *tm, struct tm_range *r, unsigned pg,
         enum nvsvm_event event, uint64_t now)
{
   const struct nvsvm_thrash_params *pp = &tm->params;
   struct tm_page *p = &r->pages[pg];
   enum tm_actor actor = tm_event_actor(event);

   r->events[event]++;
   if (p->last_actor != ACTOR_NONE) {
      uint64_t dt = now > p->last_ns ? now - p->last_ns : 0;

      if (dt >= pp->reset_ns) {
         p->close = 0;
         p->thrashing = false;
      }
      if (actor != p->last_actor && dt < pp->lapse_ns) {
         p->close++;
         r->close_events++;
         if (p->close >= pp->threshold && !p->thrashing) {
            p->thrashing = true;
            p->episodes++;
         }
      }
   }
   if (p->last_actor == ACTOR_NONE || now > p->last_ns)
      p->last_ns = now;
   p->last_actor = (uint8_t)actor;

   /* Another page, same side, within the lapse: the pages move in step. */
   if (r->last_actor != ACTOR_NONE) {
      uint64_t dt = now > r->last_ns ? now - r->last_ns : 0;

      if (dt >= pp->reset_ns)
         r->companion_events = 0;
      if (r->last_page != pg && r->last_actor == actor && dt < pp->lapse_ns) {
         r->companion_events++;
         r->pages[r->last_page].companion = true;
         p->companion = true;
      }
   }
   r->last_page = pg;
   r->last_actor = (uint8_t)actor;
   if (now > r->last_ns)
      r->last_ns = now;
}

NVSVM_EXPORT int
nvsvm_telemetry_record(struct nvsvm_telemetry *tm, const void *addr,
                       enum nvsvm_event event, uint64_t now_ns)
{
   struct tm_range *r;
   unsigned pg;
   int ret = 0;

   if (!tm || (unsigned)event >= NVSVM_EVENT_COUNT)
      return -EINVAL;
   nvsvm_mtx_lock(&tm->lock);
   r = tm_find(tm, (uint64_t)(uintptr_t)addr, &pg);
   if (r)
      tm_event(tm, r, pg, event, now_ns);
   else
      ret = -ENOENT;
   nvsvm_mtx_unlock(&tm->lock);
   return ret;
}

NVSVM_EXPORT int
nvsvm_telemetry_add_device_counts(struct nvsvm_telemetry *tm, unsigned id,
                                  uint64_t conversions,
                                  uint64_t invalidations)
{
   struct tm_range *r;

   if (!tm)
      return -EINVAL;
   nvsvm_mtx_lock(&tm->lock);
   r = tm_range_get(tm, id);
   if (r) {
      r->dev_conversions += conversions;
      r->dev_invalidations += invalidations;
   }
   nvsvm_mtx_unlock(&tm->lock);
   return r ? 0 : -ENOENT;
}

static int
tm_thread_faults(uint64_t *minflt, uint64_t *majflt)
{
   struct rusage ru;

   if (getrusage(RUSAGE_THREAD, &ru) != 0)
      return -errno;
   *minflt = (uint64_t)ru.ru_minflt;
   *majflt = (uint64_t)ru.ru_majflt;
   return 0;
}

NVSVM_EXPORT int
nvsvm_telemetry_region_begin(struct nvsvm_telemetry *tm, unsigned id,
                             struct nvsvm_fault_region *region)
{
   bool known;

   if (!tm || !region)
      return -EINVAL;
   nvsvm_mtx_lock(&tm->lock);
   known = tm_range_get(tm, id) != NULL;
   nvsvm_mtx_unlock(&tm->lock);
   if (!known)
      return -ENOENT;
   memset(region, 0, sizeof(*region));
   region->id = id;
   region->tid = gettid();
   region->open = true;
   /* Last, so the bookkeeping above is not charged to the region. */
   return tm_thread_faults(&region->minflt, &region->majflt);
}

NVSVM_EXPORT int
nvsvm_telemetry_region_end(struct nvsvm_telemetry *tm,
                           struct nvsvm_fault_region *region,
                           uint64_t *minor_faults)
{
   uint64_t minflt, majflt;
   struct tm_range *r;
   int ret;

   if (!tm || !region)
      return -EINVAL;
   ret = tm_thread_faults(&minflt, &majflt);
   if (ret)
      return ret;
   if (!region->open || region->tid != gettid())
      return -EINVAL;
   region->open = false;

   nvsvm_mtx_lock(&tm->lock);
   r = tm_range_get(tm, region->id);
   if (r) {
      r->minflt += minflt - region->minflt;
      r->majflt += majflt - region->majflt;
   }
   nvsvm_mtx_unlock(&tm->lock);
   if (!r)
      return -ENOENT;
   if (minor_faults)
      *minor_faults = minflt - region->minflt;
   return 0;
}

NVSVM_EXPORT enum nvsvm_page_residency
nvsvm_pagemap_residency(uint64_t entry)
{
   if (entry & PM_PRESENT)
      return NVSVM_PAGE_CPU;
   if (entry & PM_SWAP)
      return NVSVM_PAGE_DEVICE;
   return NVSVM_PAGE_UNPOPULATED;
}

/* Turn residency changes into events; lock held. */
static void
tm_feed(const struct nvsvm_telemetry *tm, struct tm_range *r,
        const uint64_t *entries, uint64_t now)
{
   bool baseline = r->samples == 0;

   r->samples++;
   for (unsigned i = 0; i < r->npages; i++) {
      uint8_t was = r->pages[i].residency;
      uint8_t is = (uint8_t)nvsvm_pagemap_residency(entries[i]);

      r->pages[i].residency = is;
      if (baseline || was == is)
         continue;
      if (is == NVSVM_PAGE_DEVICE)
         tm_event(tm, r, i, NVSVM_EVENT_CONVERSION, now);
      else if (is == NVSVM_PAGE_CPU && was == NVSVM_PAGE_DEVICE)
         tm_event(tm, r, i, NVSVM_EVENT_REVOCATION, now);
      else if (is == NVSVM_PAGE_CPU)
         tm_event(tm, r, i, NVSVM_EVENT_CPU_FAULT, now); /* first touch */
   }
}

NVSVM_EXPORT int
nvsvm_telemetry_feed_pagemap(struct nvsvm_telemetry *tm, unsigned id,
                             const uint64_t *entries, size_t n,
                             uint64_t now_ns)
{
   struct tm_range *r;
   int ret = 0;

   if (!tm || !entries)
      return -EINVAL;
   nvsvm_mtx_lock(&tm->lock);
   r = tm_range_get(tm, id);
   if (!r)
      ret = -ENOENT;
   else if (n != r->npages)
      ret = -EINVAL;
   else
      tm_feed(tm, r, entries, now_ns);
   nvsvm_mtx_unlock(&tm->lock);
   return ret;
}

NVSVM_EXPORT int
nvsvm_telemetry_sample(struct nvsvm_telemetry *tm, uint64_t now_ns)
{
   uint64_t *buf = NULL;
   size_t cap = 0;
   int ret = 0;

   if (!tm)
      return -EINVAL;
   nvsvm_mtx_lock(&tm->lock);
   if (tm->pagemap_fd < 0) {
      tm->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
      if (tm->pagemap_fd < 0) {
         ret = -errno;
         goto out;
      }
   }
   for (unsigned k = 0; k < tm->nranges; k++) {
      struct tm_range *r = tm->ranges[k];
      size_t bytes;
      ssize_t got;

      if (!r)
         continue;
      bytes = (size_t)r->npages * sizeof(uint64_t);
      if (bytes > cap) {
         uint64_t *nb = realloc(buf, bytes);

         if (!nb) {
            ret = -ENOMEM;
            goto out;
         }
         buf = nb;
         cap = bytes;
      }
      got = pread(tm->pagemap_fd, buf, bytes,
                  (off_t)(r->first_page / PAGE * sizeof(uint64_t)));
      if (got < 0) {
         ret = -errno;
         goto out;
      }
      if ((size_t)got != bytes) {
         ret = -NVSVM_E_PARSE;
         goto out;
      }
      tm_feed(tm, r, buf, now_ns);
   }
out:
   nvsvm_mtx_unlock(&tm->lock);
   free(buf);
   return ret;
}

static bool
tm_page_thrashing(const struct nvsvm_telemetry *tm, const struct tm_page *p,
                  uint64_t now)
{
   return p->thrashing &&
          (now <= p->last_ns || now - p->last_ns < tm->params.reset_ns);
}

/* Counters, verdict and advice of one range at now; lock held. */
static void
tm_stats(const struct nvsvm_telemetry *tm, const struct tm_range *r,
         uint64_t now, struct nvsvm_range_stats *s)
{
   unsigned in_step = 0;
   bool shared_single = false;

   memset(s, 0, sizeof(*s));
   s->id = r->id;
   memcpy(s->name, r->name, sizeof(s->name));
   s->start = r->start;
   s->len = r->len;
   s->pages = r->npages;
   s->objects = r->objects;
   memcpy(s->events, r->events, sizeof(s->events));
   s->samples = r->samples;
   s->cpu_minor_faults = r->minflt;
   s->cpu_major_faults = r->majflt;
   s->device_conversions = r->dev_conversions;
   s->device_invalidations = r->dev_invalidations;
   s->close_events = r->close_events;

   for (unsigned i = 0; i < r->npages; i++) {
      const struct tm_page *p = &r->pages[i];

      if (tm_page_thrashing(tm, p, now)) {
         if (!s->pages_thrashing)
            s->first_thrashing_page = r->first_page + (uint64_t)i * PAGE;
         s->pages_thrashing++;
      }
      if (!p->episodes)
         continue;
      s->pages_ever_thrashed++;
      if (p->objects > s->max_objects_on_thrashed_page)
         s->max_objects_on_thrashed_page = p->objects;
      if (p->objects > 1)
         s->advice |= NVSVM_ADVICE_SPLIT;
      else
         shared_single = true;
      if (p->objects <= 1 && p->companion)
         in_step++;
   }
   if (in_step >= 2 && r->companion_events >= tm->params.threshold)
      s->advice |= NVSVM_ADVICE_GROUP;
   if (shared_single)
      s->advice |= NVSVM_ADVICE_MIGRATE;
}

NVSVM_EXPORT int
nvsvm_telemetry_range_stats(struct nvsvm_telemetry *tm, unsigned id,
                            uint64_t now_ns, struct nvsvm_range_stats *out)
{
   struct tm_range *r;

   if (!tm || !out)
      return -EINVAL;
   nvsvm_mtx_lock(&tm->lock);
   r = tm_range_get(tm, id);
   if (r)
      tm_stats(tm, r, now_ns, out);
   nvsvm_mtx_unlock(&tm->lock);
   return r ? 0 : -ENOENT;
}

NVSVM_EXPORT int
nvsvm_telemetry_thrashing_pages(struct nvsvm_telemetry *tm, unsigned id,
                                uint64_t now_ns, uint64_t *addrs,
                                unsigned max, unsigned *count)
{
   struct tm_range *r;
   unsigned n = 0;

   if (!tm || !count || (max && !addrs))
      return -EINVAL;
   nvsvm_mtx_lock(&tm->lock);
   r = tm_range_get(tm, id);
   for (unsigned i = 0; r && i < r->npages; i++) {
      if (!tm_page_thrashing(tm, &r->pages[i], now_ns))
         continue;
      if (n < max)
         addrs[n] = r->first_page + (uint64_t)i * PAGE;
      n++;
   }
   nvsvm_mtx_unlock(&tm->lock);
   if (!r)
      return -ENOENT;
   *count = n;
   return 0;
}

NVSVM_EXPORT int
nvsvm_telemetry_page_thrashing(struct nvsvm_telemetry *tm, const void *addr,
                               uint64_t now_ns)
{
   struct tm_range *r;
   unsigned pg;
   int ret;

   if (!tm)
      return -EINVAL;
   nvsvm_mtx_lock(&tm->lock);
   r = tm_find(tm, (uint64_t)(uintptr_t)addr, &pg);
   ret = r ? tm_page_thrashing(tm, &r->pages[pg], now_ns) : -ENOENT;
   nvsvm_mtx_unlock(&tm->lock);
   return ret;
}

NVSVM_EXPORT int
nvsvm_telemetry_ranges(struct nvsvm_telemetry *tm, unsigned *ids,
                       unsigned max, unsigned *count)
{
   unsigned n = 0;

   if (!tm || !count || (max && !ids))
      return -EINVAL;
   nvsvm_mtx_lock(&tm->lock);
   for (unsigned i = 0; i < tm->nranges; i++) {
      if (!tm->ranges[i])
         continue;
      if (n < max)
         ids[n] = i;
      n++;
   }
   nvsvm_mtx_unlock(&tm->lock);
   *count = n;
   return 0;
}

/* Names are caller text: keep JSON valid whatever they hold. */
static void
tm_json_string(FILE *f, const char *s)
{
   fputc('"', f);
   for (; *s; s++) {
      unsigned char c = (unsigned char)*s;

      if (c == '"' || c == '\\')
         fprintf(f, "\\%c", c);
      else if (c < 0x20)
         fprintf(f, "\\u%04x", c);
      else
         fputc(c, f);
   }
   fputc('"', f);
}

static void
tm_print_text(const struct nvsvm_range_stats *s, FILE *f)
{
   fprintf(f, "range %u \"%s\" 0x%llx+%llu: %u pages, %llu objects\n",
           s->id, s->name, (unsigned long long)s->start,
           (unsigned long long)s->len, s->pages,
           (unsigned long long)s->objects);
   fprintf(f, "  events:");
   for (unsigned e = 0; e < NVSVM_EVENT_COUNT; e++)
      fprintf(f, " %s %llu", event_names[e],
              (unsigned long long)s->events[e]);
   fprintf(f, "\n  samples %llu, cpu minor faults %llu, device "
           "conversions %llu, invalidations %llu\n",
           (unsigned long long)s->samples,
           (unsigned long long)s->cpu_minor_faults,
           (unsigned long long)s->device_conversions,
           (unsigned long long)s->device_invalidations);
   if (!s->pages_ever_thrashed) {
      fprintf(f, "  no thrashing (%llu close alternations)\n",
              (unsigned long long)s->close_events);
      return;
   }
   fprintf(f, "  THRASHING: %u pages now, %u ever, first 0x%llx, up to %u "
           "objects on a thrashed page\n", s->pages_thrashing,
           s->pages_ever_thrashed,
           (unsigned long long)s->first_thrashing_page,
           s->max_objects_on_thrashed_page);
   for (unsigned b = 1; b <= NVSVM_ADVICE_MIGRATE; b <<= 1) {
      if (s->advice & b)
         fprintf(f, "  advice %s: %s\n", nvsvm_advice_name(b),
                 nvsvm_advice_str(b));
   }
}

static void
tm_print_json(const struct nvsvm_range_stats *s, FILE *f)
{
   bool first = true;

   fprintf(f, "{\"id\": %u, \"name\": ", s->id);
   tm_json_string(f, s->name);
   fprintf(f, ", \"start\": %llu, \"len\": %llu, \"pages\": %u, "
           "\"objects\": %llu, \"events\": {",
           (unsigned long long)s->start, (unsigned long long)s->len,
           s->pages, (unsigned long long)s->objects);
   for (unsigned e = 0; e < NVSVM_EVENT_COUNT; e++)
      fprintf(f, "%s\"%s\": %llu", e ? ", " : "", event_names[e],
              (unsigned long long)s->events[e]);
   fprintf(f, "}, \"samples\": %llu, \"cpu_minor_faults\": %llu, "
           "\"cpu_major_faults\": %llu, \"device_conversions\": %llu, "
           "\"device_invalidations\": %llu, \"close_events\": %llu, "
           "\"pages_thrashing\": %u, \"pages_ever_thrashed\": %u, "
           "\"first_thrashing_page\": %llu, "
           "\"max_objects_on_thrashed_page\": %u, \"advice\": [",
           (unsigned long long)s->samples,
           (unsigned long long)s->cpu_minor_faults,
           (unsigned long long)s->cpu_major_faults,
           (unsigned long long)s->device_conversions,
           (unsigned long long)s->device_invalidations,
           (unsigned long long)s->close_events, s->pages_thrashing,
           s->pages_ever_thrashed,
           (unsigned long long)s->first_thrashing_page,
           s->max_objects_on_thrashed_page);
   for (unsigned b = 1; b <= NVSVM_ADVICE_MIGRATE; b <<= 1) {
      if (s->advice & b) {
         fprintf(f, "%s\"%s\"", first ? "" : ", ", nvsvm_advice_name(b));
         first = false;
      }
   }
   fprintf(f, "]}");
}

NVSVM_EXPORT int
nvsvm_telemetry_print(struct nvsvm_telemetry *tm, uint64_t now_ns,
                      enum nvsvm_telemetry_format format, FILE *f)
{
   unsigned printed = 0;

   if (!tm || !f || (format != NVSVM_TELEMETRY_TEXT &&
                     format != NVSVM_TELEMETRY_JSON))
      return -EINVAL;
   nvsvm_mtx_lock(&tm->lock);
   if (format == NVSVM_TELEMETRY_JSON)
      fprintf(f, "{\"lapse_ns\": %llu, \"threshold\": %u, "
              "\"reset_ns\": %llu, \"ranges\": [",
              (unsigned long long)tm->params.lapse_ns, tm->params.threshold,
              (unsigned long long)tm->params.reset_ns);
   for (unsigned i = 0; i < tm->nranges; i++) {
      struct nvsvm_range_stats s;

      if (!tm->ranges[i])
         continue;
      tm_stats(tm, tm->ranges[i], now_ns, &s);
      if (format == NVSVM_TELEMETRY_JSON) {
         if (printed)
            fprintf(f, ", ");
         tm_print_json(&s, f);
      } else {
         tm_print_text(&s, f);
      }
      printed++;
   }
   if (format == NVSVM_TELEMETRY_JSON)
      fprintf(f, "]}\n");
   nvsvm_mtx_unlock(&tm->lock);
   return ferror(f) ? -EIO : 0;
}
