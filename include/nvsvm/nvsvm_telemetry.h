/* SPDX-License-Identifier: MIT */
/*
 * Ping-pong telemetry: per-range counters of ownership events and a
 * thrashing detector that names the pages that bounce, with advice.
 */
#ifndef NVSVM_TELEMETRY_H
#define NVSVM_TELEMETRY_H

#include <stdio.h>

#include "nvsvm/nvsvm.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The detector follows NVIDIA UVM's thrashing heuristic: an event on a
 * page counts when it comes from the other side (CPU vs device) less
 * than a lapse after the page's previous event; at threshold such
 * events the page is thrashing; a page quiet for reset_ns starts over.
 * Every call takes the time explicitly, so a test can replay a stream.
 */
#define NVSVM_THRASH_LAPSE_NS_DEFAULT     500000ull       /* 500 us */
#define NVSVM_THRASH_THRESHOLD_DEFAULT    3u
#define NVSVM_THRASH_RESET_NS_DEFAULT     1000000000ull   /* 1 s */
#define NVSVM_TELEMETRY_MAX_RANGE_PAGES   (1u << 20)      /* 4 GiB */

struct nvsvm_thrash_params {
   uint64_t lapse_ns;    /* 0: NVSVM_THRASH_LAPSE_NS_DEFAULT */
   unsigned threshold;   /* 0: NVSVM_THRASH_THRESHOLD_DEFAULT */
   uint64_t reset_ns;    /* 0: NVSVM_THRASH_RESET_NS_DEFAULT */
};

struct nvsvm_telemetry;   /* thread-safe */

enum nvsvm_event {
   NVSVM_EVENT_CONVERSION = 0,  /* device made the page exclusive */
   NVSVM_EVENT_REVOCATION,      /* CPU access took it back */
   NVSVM_EVENT_DEVICE_FAULT,    /* device fault serviced on the page */
   NVSVM_EVENT_CPU_FAULT,       /* CPU fault on the page */
   NVSVM_EVENT_COUNT
};

enum nvsvm_advice {
   NVSVM_ADVICE_NONE = 0,
   /* Several objects share a thrashing page: one page each. */
   NVSVM_ADVICE_SPLIT = 1u << 0,
   /* One-object pages thrash in step: one group, one conversion. */
   NVSVM_ADVICE_GROUP = 1u << 1,
   /* A single object is truly shared: keep it on one side. */
   NVSVM_ADVICE_MIGRATE = 1u << 2,
};

/* Where a page is, as /proc/self/pagemap shows it. */
enum nvsvm_page_residency {
   NVSVM_PAGE_UNPOPULATED = 0,  /* never touched, or dropped */
   NVSVM_PAGE_CPU,              /* present in the CPU page table */
   /*
    * Not present, swap entry: device-exclusive, device-private or
    * migrating. A page swapped out looks the same; see docs/telemetry.md.
    */
   NVSVM_PAGE_DEVICE,
};

int
nvsvm_telemetry_create(const struct nvsvm_thrash_params *params,
                       struct nvsvm_telemetry **out);

void
nvsvm_telemetry_destroy(struct nvsvm_telemetry *tm);

/* CLOCK_MONOTONIC in nanoseconds: the clock to pass when not replaying. */
uint64_t
nvsvm_telemetry_now_ns(void);

/*
 * Objects in a watched range: object_size bytes every object_stride
 * bytes from its start (stride 0: packed). object_size 0: the whole
 * range is one object. The advice depends on objects per page.
 */
struct nvsvm_watch_params {
   const char *name;         /* copied, 31 characters kept */
   size_t object_size;
   size_t object_stride;
};

/*
 * Watch the pages of [ptr, ptr+len). -EINVAL for NULL, 0, wrapping or
 * over NVSVM_TELEMETRY_MAX_RANGE_PAGES; -EEXIST when a page is already
 * watched (register packed objects as one range with object_size).
 */
int
nvsvm_telemetry_watch(struct nvsvm_telemetry *tm, const void *ptr,
                      size_t len, const struct nvsvm_watch_params *params,
                      unsigned *id);

int
nvsvm_telemetry_unwatch(struct nvsvm_telemetry *tm, unsigned id);

/*
 * One event on the page holding addr at now_ns. -ENOENT when no watched
 * range holds addr, -EINVAL for an unknown event. Events may arrive
 * slightly out of order from several threads: an older time counts as
 * the page's latest.
 */
int
nvsvm_telemetry_record(struct nvsvm_telemetry *tm, const void *addr,
                       enum nvsvm_event event, uint64_t now_ns);

/* Counters a backend keeps itself (vsvm STATS); summed per range. */
int
nvsvm_telemetry_add_device_counts(struct nvsvm_telemetry *tm, unsigned id,
                                  uint64_t conversions,
                                  uint64_t invalidations);

/*
 * CPU faults around a region of code, from getrusage(RUSAGE_THREAD):
 * begin and end on the same thread (-EINVAL otherwise). Every minor
 * fault of the thread in between is charged to the range, so keep the
 * region tight around the accesses to it.
 */
struct nvsvm_fault_region {
   unsigned id;
   int tid;
   uint64_t minflt, majflt;
   bool open;
};

int
nvsvm_telemetry_region_begin(struct nvsvm_telemetry *tm, unsigned id,
                             struct nvsvm_fault_region *region);

/* minor_faults (may be NULL) gets the region's own count. */
int
nvsvm_telemetry_region_end(struct nvsvm_telemetry *tm,
                           struct nvsvm_fault_region *region,
                           uint64_t *minor_faults);

/* Classify one /proc/self/pagemap entry. */
enum nvsvm_page_residency
nvsvm_pagemap_residency(uint64_t entry);

/*
 * Feed pagemap entries for the range's pages (n must equal its page
 * count). A page that went CPU -> DEVICE is a conversion, DEVICE -> CPU
 * a revocation, UNPOPULATED -> CPU a CPU fault, all at now_ns. The first
 * feed sets the baseline.
 */
int
nvsvm_telemetry_feed_pagemap(struct nvsvm_telemetry *tm, unsigned id,
                             const uint64_t *entries, size_t n,
                             uint64_t now_ns);

/*
 * Read /proc/self/pagemap for every watched range and feed it. Sampling
 * sees at most one transition per page per sample: a lower bound.
 */
int
nvsvm_telemetry_sample(struct nvsvm_telemetry *tm, uint64_t now_ns);

struct nvsvm_range_stats {
   unsigned id;
   char name[32];
   uint64_t start;                 /* first byte watched */
   uint64_t len;
   unsigned pages;
   uint64_t objects;
   uint64_t events[NVSVM_EVENT_COUNT]; /* recorded and sampled */
   uint64_t samples;               /* pagemap feeds */
   uint64_t cpu_minor_faults;      /* fault regions */
   uint64_t cpu_major_faults;
   uint64_t device_conversions;    /* backend counters */
   uint64_t device_invalidations;
   uint64_t close_events;          /* alternations closer than the lapse */
   unsigned pages_thrashing;       /* at now_ns */
   unsigned pages_ever_thrashed;
   uint64_t first_thrashing_page;  /* lowest thrashing now, 0: none */
   unsigned max_objects_on_thrashed_page;
   unsigned advice;                /* enum nvsvm_advice bits */
};

int
nvsvm_telemetry_range_stats(struct nvsvm_telemetry *tm, unsigned id,
                            uint64_t now_ns, struct nvsvm_range_stats *out);

/* Addresses of the pages thrashing at now_ns; *count may exceed max. */
int
nvsvm_telemetry_thrashing_pages(struct nvsvm_telemetry *tm, unsigned id,
                                uint64_t now_ns, uint64_t *addrs,
                                unsigned max, unsigned *count);

/* 1 when the page holding addr thrashes at now_ns, 0 if not, -ENOENT. */
int
nvsvm_telemetry_page_thrashing(struct nvsvm_telemetry *tm, const void *addr,
                               uint64_t now_ns);

/* Ids of the watched ranges; *count may exceed max. */
int
nvsvm_telemetry_ranges(struct nvsvm_telemetry *tm, unsigned *ids,
                       unsigned max, unsigned *count);

enum nvsvm_telemetry_format {
   NVSVM_TELEMETRY_TEXT = 0,
   NVSVM_TELEMETRY_JSON,
};

/* Every range, its counters, verdict and advice, as text or JSON. */
int
nvsvm_telemetry_print(struct nvsvm_telemetry *tm, uint64_t now_ns,
                      enum nvsvm_telemetry_format format, FILE *f);

/* The event's name; NULL for anything but a known event. */
const char *
nvsvm_event_name(enum nvsvm_event event);

/* "split", "group", "migrate" for one bit; NULL for anything else. */
const char *
nvsvm_advice_name(enum nvsvm_advice advice);

/* The advice in a sentence a developer can act on; NULL as for _name. */
const char *
nvsvm_advice_str(enum nvsvm_advice advice);

#ifdef __cplusplus
}
#endif

#endif /* NVSVM_TELEMETRY_H */
