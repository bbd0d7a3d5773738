/* SPDX-License-Identifier: MIT */
/*
 * The thrashing detector's verdicts on event streams with explicit
 * timestamps, and the counters fed from pagemap, rusage and backends.
 */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "nvsvm/nvsvm_telemetry.h"
#include "harness.h"

#define PG 4096u
#define US 1000ull
#define MS 1000000ull

/*
 * Pages for the detector to key on. The detector only needs addresses;
 * a real mapping keeps them from colliding with anything else.
 */
static uint8_t *
map_pages(unsigned n)
{
   void *p = mmap(NULL, (size_t)n * PG, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   if (p == MAP_FAILED)
      return NULL;
   madvise(p, (size_t)n * PG, MADV_NOHUGEPAGE);
   return p;
}

struct fixture {
   struct nvsvm_telemetry *tm;
   uint8_t *buf;
   unsigned npages;
   unsigned id;
};

static int
fixture_init(struct fixture *fx, const struct nvsvm_thrash_params *params,
             unsigned npages, size_t object_size, size_t object_stride)
{
   struct nvsvm_watch_params wp = { .name = "under test",
                                    .object_size = object_size,
                                    .object_stride = object_stride };
   int ret;

   memset(fx, 0, sizeof(*fx));
   fx->npages = npages;
   fx->buf = map_pages(npages);
   if (!fx->buf)
      return -ENOMEM;
   ret = nvsvm_telemetry_create(params, &fx->tm);
   if (ret)
      return ret;
   return nvsvm_telemetry_watch(fx->tm, fx->buf, (size_t)npages * PG, &wp,
                                &fx->id);
}

static void
fixture_fini(struct fixture *fx)
{
   nvsvm_telemetry_destroy(fx->tm);
   if (fx->buf)
      munmap(fx->buf, (size_t)fx->npages * PG);
}

/* One watched page, default thresholds: what most scenarios need. */
FIXTURE(one_page)
{
   struct fixture fx;
};

FIXTURE_SETUP(one_page)
{
   ASSERT_EQ(fixture_init(&self->fx, NULL, 1, 0, 0), 0);
}

FIXTURE_TEARDOWN(one_page)
{
   fixture_fini(&self->fx);
}

/* Device converts at t, CPU takes it back at t + half. */
static int
ping_pong(struct fixture *fx, unsigned page, unsigned rounds, uint64_t t0,
          uint64_t period)
{
   for (unsigned r = 0; r < rounds; r++) {
      uint64_t t = t0 + r * period;
      int ret;

      ret = nvsvm_telemetry_record(fx->tm, fx->buf + page * PG,
                                   NVSVM_EVENT_CONVERSION, t);
      if (!ret)
         ret = nvsvm_telemetry_record(fx->tm, fx->buf + page * PG + 8,
                                      NVSVM_EVENT_REVOCATION,
                                      t + period / 2);
      if (ret)
         return ret;
   }
   return 0;
}

TEST_F(one_page, alternations_within_the_lapse_thrash_at_the_threshold)
{
   struct fixture *fx = &self->fx;
   struct nvsvm_range_stats s;

   ASSERT_EQ(nvsvm_telemetry_record(fx->tm, fx->buf, NVSVM_EVENT_CONVERSION,
                                    0), 0);
   ASSERT_EQ(nvsvm_telemetry_record(fx->tm, fx->buf, NVSVM_EVENT_REVOCATION,
                                    100 * US), 0);
   ASSERT_EQ(nvsvm_telemetry_record(fx->tm, fx->buf, NVSVM_EVENT_CONVERSION,
                                    200 * US), 0);
   /* Two close alternations: one short of the default threshold of 3. */
   ASSERT_EQ(nvsvm_telemetry_page_thrashing(fx->tm, fx->buf, 200 * US), 0);
   ASSERT_EQ(nvsvm_telemetry_record(fx->tm, fx->buf, NVSVM_EVENT_REVOCATION,
                                    300 * US), 0);
   ASSERT_EQ(nvsvm_telemetry_page_thrashing(fx->tm, fx->buf, 300 * US), 1);
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx->tm, fx->id, 300 * US, &s), 0);
   ASSERT_EQ(s.close_events, 3);
   ASSERT_EQ(s.events[NVSVM_EVENT_CONVERSION], 2);
   ASSERT_EQ(s.events[NVSVM_EVENT_REVOCATION], 2);
   ASSERT_EQ(s.pages_thrashing, 1);
   ASSERT_EQ(s.pages_ever_thrashed, 1);
   ASSERT_U64_EQ(s.first_thrashing_page, (uintptr_t)fx->buf);
}

TEST_F(one_page, alternations_slower_than_the_lapse_never_thrash)
{
   struct fixture *fx = &self->fx;
   struct nvsvm_range_stats s;

   /* 600 us between events: just over the 500 us lapse. */
   ASSERT_EQ(ping_pong(fx, 0, 200, 0, 1200 * US), 0);
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx->tm, fx->id, 240 * MS, &s), 0);
   ASSERT_EQ(s.events[NVSVM_EVENT_CONVERSION], 200);
   ASSERT_EQ(s.close_events, 0);
   ASSERT_EQ(s.pages_ever_thrashed, 0);
   ASSERT_EQ(s.advice, NVSVM_ADVICE_NONE);
}

TEST_F(one_page, events_from_one_side_only_never_thrash)
{
   struct fixture *fx = &self->fx;
   struct nvsvm_range_stats s;

   for (unsigned i = 0; i < 1000; i++) {
      ASSERT_EQ(nvsvm_telemetry_record(fx->tm, fx->buf,
                                       i % 2 ? NVSVM_EVENT_CPU_FAULT :
                                               NVSVM_EVENT_REVOCATION,
                                       i * 10 * US), 0);
   }
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx->tm, fx->id, 10 * MS, &s), 0);
   ASSERT_EQ(s.close_events, 0);
   ASSERT_EQ(s.pages_ever_thrashed, 0);
}

TEST_F(one_page, a_quiet_second_ends_thrashing_and_restarts_the_count)
{
   struct fixture *fx = &self->fx;
   uint64_t now;

   ASSERT_EQ(ping_pong(fx, 0, 4, 0, 100 * US), 0);   /* last at 350 us */
   now = 350 * US;
   ASSERT_EQ(nvsvm_telemetry_page_thrashing(fx->tm, fx->buf, now), 1);
   ASSERT_EQ(nvsvm_telemetry_page_thrashing(fx->tm, fx->buf, now + 999 * MS),
             1);
   ASSERT_EQ(nvsvm_telemetry_page_thrashing(fx->tm, fx->buf, now + 1000 * MS),
             0);
   /* After the quiet second, two close alternations are not enough. */
   now += 2000 * MS;
   ASSERT_EQ(nvsvm_telemetry_record(fx->tm, fx->buf, NVSVM_EVENT_CONVERSION,
                                    now), 0);
   ASSERT_EQ(nvsvm_telemetry_record(fx->tm, fx->buf, NVSVM_EVENT_REVOCATION,
                                    now + 10 * US), 0);
   ASSERT_EQ(nvsvm_telemetry_record(fx->tm, fx->buf, NVSVM_EVENT_CONVERSION,
                                    now + 20 * US), 0);
   ASSERT_EQ(nvsvm_telemetry_page_thrashing(fx->tm, fx->buf,
                                            now + 20 * US), 0);
   ASSERT_EQ(nvsvm_telemetry_record(fx->tm, fx->buf, NVSVM_EVENT_REVOCATION,
                                    now + 30 * US), 0);
   ASSERT_EQ(nvsvm_telemetry_page_thrashing(fx->tm, fx->buf,
                                            now + 30 * US), 1);
}

TEST(lapse_threshold_and_reset_are_configurable)
{
   struct nvsvm_thrash_params p = { .lapse_ns = 1 * MS, .threshold = 5,
                                    .reset_ns = 10 * MS };
   struct fixture fx;

   ASSERT_EQ(fixture_init(&fx, &p, 1, 0, 0), 0);
   /* 800 us apart: close for a 1 ms lapse (not for the default one). */
   for (unsigned i = 0; i < 5; i++) {
      ASSERT_EQ(nvsvm_telemetry_record(fx.tm, fx.buf,
                                       i % 2 ? NVSVM_EVENT_REVOCATION :
                                               NVSVM_EVENT_CONVERSION,
                                       i * 800 * US), 0);
   }
   ASSERT_EQ(nvsvm_telemetry_page_thrashing(fx.tm, fx.buf, 3200 * US), 0);
   ASSERT_EQ(nvsvm_telemetry_record(fx.tm, fx.buf, NVSVM_EVENT_REVOCATION,
                                    4000 * US), 0);
   ASSERT_EQ(nvsvm_telemetry_page_thrashing(fx.tm, fx.buf, 4000 * US), 1);
   ASSERT_EQ(nvsvm_telemetry_page_thrashing(fx.tm, fx.buf, 14000 * US), 0);
   fixture_fini(&fx);
}

TEST(packed_objects_on_a_thrashing_page_get_split_advice)
{
   struct fixture fx;
   struct nvsvm_range_stats s;

   /* 512 counters of 8 bytes, packed in one page. */
   ASSERT_EQ(fixture_init(&fx, NULL, 1, 8, 0), 0);
   ASSERT_EQ(ping_pong(&fx, 0, 50, 0, 20 * US), 0);
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx.tm, fx.id, 1 * MS, &s), 0);
   ASSERT_EQ(s.objects, 512);
   ASSERT_EQ(s.max_objects_on_thrashed_page, 512);
   ASSERT_EQ(s.advice, NVSVM_ADVICE_SPLIT);
   fixture_fini(&fx);
}

TEST(a_single_shared_object_gets_migrate_advice)
{
   struct fixture fx;
   struct nvsvm_range_stats s;

   ASSERT_EQ(fixture_init(&fx, NULL, 1, 8, 0), 0);
   ASSERT_EQ(nvsvm_telemetry_unwatch(fx.tm, fx.id), 0);
   ASSERT_EQ(nvsvm_telemetry_watch(fx.tm, fx.buf, 8, NULL, &fx.id), 0);
   ASSERT_EQ(ping_pong(&fx, 0, 50, 0, 20 * US), 0);
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx.tm, fx.id, 1 * MS, &s), 0);
   ASSERT_EQ(s.objects, 1);
   ASSERT_EQ(s.max_objects_on_thrashed_page, 1);
   ASSERT_EQ(s.advice, NVSVM_ADVICE_MIGRATE);
   fixture_fini(&fx);
}

TEST(one_object_pages_thrashing_in_step_get_group_advice)
{
   struct fixture fx;
   struct nvsvm_range_stats s;

   /* Four counters placed a page apart, all used by both sides. */
   ASSERT_EQ(fixture_init(&fx, NULL, 4, 8, PG), 0);
   for (unsigned r = 0; r < 20; r++) {
      uint64_t t0 = r * 100 * US;

      for (unsigned pg = 0; pg < 4; pg++)
         ASSERT_EQ(nvsvm_telemetry_record(fx.tm, fx.buf + pg * PG,
                                          NVSVM_EVENT_CONVERSION,
                                          t0 + pg * US), 0);
      for (unsigned pg = 0; pg < 4; pg++)
         ASSERT_EQ(nvsvm_telemetry_record(fx.tm, fx.buf + pg * PG,
                                          NVSVM_EVENT_REVOCATION,
                                          t0 + 50 * US + pg * US), 0);
   }
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx.tm, fx.id, 2 * MS, &s), 0);
   ASSERT_EQ(s.objects, 4);
   ASSERT_EQ(s.pages_thrashing, 4);
   ASSERT_EQ(s.max_objects_on_thrashed_page, 1);
   ASSERT_EQ(s.advice, NVSVM_ADVICE_GROUP | NVSVM_ADVICE_MIGRATE);
   fixture_fini(&fx);
}

TEST(placed_objects_each_used_by_one_side_never_thrash)
{
   struct fixture fx;
   struct nvsvm_range_stats s;

   /* Pages 0-1: device only; pages 2-3: CPU only; interleaved in time. */
   ASSERT_EQ(fixture_init(&fx, NULL, 4, 8, PG), 0);
   for (unsigned r = 0; r < 1000; r++) {
      unsigned pg = r % 4;

      ASSERT_EQ(nvsvm_telemetry_record(fx.tm, fx.buf + pg * PG,
                                       pg < 2 ? NVSVM_EVENT_DEVICE_FAULT :
                                                NVSVM_EVENT_CPU_FAULT,
                                       r * US), 0);
   }
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx.tm, fx.id, 1 * MS, &s), 0);
   ASSERT_EQ(s.close_events, 0);
   ASSERT_EQ(s.pages_ever_thrashed, 0);
   ASSERT_EQ(s.advice, NVSVM_ADVICE_NONE);
   fixture_fini(&fx);
}

TEST(only_the_thrashing_page_is_named)
{
   struct fixture fx;
   uint64_t addrs[8];
   unsigned count = 99;

   ASSERT_EQ(fixture_init(&fx, NULL, 8, 0, 0), 0);
   for (unsigned pg = 0; pg < 8; pg++)
      ASSERT_EQ(ping_pong(&fx, pg, 5, 0, pg == 5 ? 40 * US : 2 * MS), 0);
   ASSERT_EQ(nvsvm_telemetry_thrashing_pages(fx.tm, fx.id, 10 * MS, addrs,
                                             8, &count), 0);
   ASSERT_EQ(count, 1);
   ASSERT_U64_EQ(addrs[0], (uintptr_t)(fx.buf + 5 * PG));
   /* Asking for none still counts them. */
   ASSERT_EQ(nvsvm_telemetry_thrashing_pages(fx.tm, fx.id, 10 * MS, NULL,
                                             0, &count), 0);
   ASSERT_EQ(count, 1);
   fixture_fini(&fx);
}

TEST_F(one_page, out_of_order_timestamps_count_as_simultaneous)
{
   struct fixture *fx = &self->fx;
   struct nvsvm_range_stats s;

   ASSERT_EQ(nvsvm_telemetry_record(fx->tm, fx->buf, NVSVM_EVENT_CONVERSION,
                                    10 * MS), 0);
   ASSERT_EQ(nvsvm_telemetry_record(fx->tm, fx->buf, NVSVM_EVENT_REVOCATION,
                                    9 * MS), 0);
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx->tm, fx->id, 10 * MS, &s), 0);
   ASSERT_EQ(s.close_events, 1);
}

TEST(bad_input_gets_named_errors)
{
   struct nvsvm_watch_params too_big = { .object_size = 2 * PG };
   struct nvsvm_watch_params bad_stride = { .object_size = 16,
                                            .object_stride = 8 };
   struct nvsvm_range_stats s;
   struct fixture fx;
   uint64_t entry = 0;
   unsigned id, n;

   ASSERT_EQ(fixture_init(&fx, NULL, 2, 0, 0), 0);
   ASSERT_EQ(nvsvm_telemetry_create(NULL, NULL), -EINVAL);
   ASSERT_EQ(nvsvm_telemetry_record(fx.tm, &entry, NVSVM_EVENT_CONVERSION,
                                    0), -ENOENT);
   ASSERT_EQ(nvsvm_telemetry_record(fx.tm, fx.buf, NVSVM_EVENT_COUNT, 0),
             -EINVAL);
   ASSERT_EQ(nvsvm_telemetry_watch(fx.tm, NULL, PG, NULL, &id), -EINVAL);
   ASSERT_EQ(nvsvm_telemetry_watch(fx.tm, &entry, 0, NULL, &id), -EINVAL);
   ASSERT_EQ(nvsvm_telemetry_watch(fx.tm, (void *)(UINTPTR_MAX - PG + 1),
                                   2 * PG, NULL, &id), -EINVAL);
   ASSERT_EQ(nvsvm_telemetry_watch(fx.tm, &entry,
                                   (size_t)NVSVM_TELEMETRY_MAX_RANGE_PAGES *
                                   PG + PG, NULL, &id), -EINVAL);
   ASSERT_EQ(nvsvm_telemetry_watch(fx.tm, fx.buf + PG + 100, 8, NULL, &id),
             -EEXIST);
   ASSERT_EQ(nvsvm_telemetry_watch(fx.tm, &entry, 8, &too_big, &id),
             -EINVAL);
   ASSERT_EQ(nvsvm_telemetry_watch(fx.tm, &entry, 64, &bad_stride, &id),
             -EINVAL);
   ASSERT_EQ(nvsvm_telemetry_unwatch(fx.tm, 1234), -ENOENT);
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx.tm, 1234, 0, &s), -ENOENT);
   ASSERT_EQ(nvsvm_telemetry_feed_pagemap(fx.tm, fx.id, &entry, 1, 0),
             -EINVAL);
   ASSERT_EQ(nvsvm_telemetry_add_device_counts(fx.tm, 77, 1, 1), -ENOENT);
   ASSERT_EQ(nvsvm_telemetry_print(fx.tm, 0, 7, stdout), -EINVAL);
   ASSERT_EQ(nvsvm_telemetry_ranges(fx.tm, NULL, 0, &n), 0);
   ASSERT_EQ(n, 1);
   ASSERT_TRUE(nvsvm_event_name(NVSVM_EVENT_COUNT) == NULL);
   ASSERT_TRUE(nvsvm_advice_name(NVSVM_ADVICE_SPLIT | NVSVM_ADVICE_GROUP)
               == NULL);
   fixture_fini(&fx);
}

TEST(pagemap_entries_classify_by_present_and_swap_bits)
{
   ASSERT_EQ(nvsvm_pagemap_residency(0), NVSVM_PAGE_UNPOPULATED);
   ASSERT_EQ(nvsvm_pagemap_residency(1ull << 63 | 0x1234),
             NVSVM_PAGE_CPU);
   ASSERT_EQ(nvsvm_pagemap_residency(1ull << 62 | 0x1f), NVSVM_PAGE_DEVICE);
   /* Soft-dirty and exclusive-map bits alone say nothing. */
   ASSERT_EQ(nvsvm_pagemap_residency(1ull << 55 | 1ull << 56),
             NVSVM_PAGE_UNPOPULATED);
}

TEST(pagemap_transitions_become_conversions_and_revocations)
{
   const uint64_t cpu = 1ull << 63, dev = 1ull << 62;
   uint64_t e[2] = { cpu, cpu };
   struct nvsvm_range_stats s;
   struct fixture fx;

   ASSERT_EQ(fixture_init(&fx, NULL, 2, 0, 0), 0);
   ASSERT_EQ(nvsvm_telemetry_feed_pagemap(fx.tm, fx.id, e, 2, 0), 0);
   /* Page 0 bounces every 100 us; page 1 stays with the CPU. */
   for (unsigned i = 1; i <= 6; i++) {
      e[0] = i % 2 ? dev : cpu;
      ASSERT_EQ(nvsvm_telemetry_feed_pagemap(fx.tm, fx.id, e, 2,
                                             i * 100 * US), 0);
   }
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx.tm, fx.id, 600 * US, &s), 0);
   ASSERT_EQ(s.samples, 7);
   ASSERT_EQ(s.events[NVSVM_EVENT_CONVERSION], 3);
   ASSERT_EQ(s.events[NVSVM_EVENT_REVOCATION], 3);
   ASSERT_EQ(s.close_events, 5);
   ASSERT_EQ(nvsvm_telemetry_page_thrashing(fx.tm, fx.buf, 600 * US), 1);
   ASSERT_EQ(nvsvm_telemetry_page_thrashing(fx.tm, fx.buf + PG, 600 * US),
             0);
   fixture_fini(&fx);
}

TEST(sampling_the_real_pagemap_sees_first_touches)
{
   struct nvsvm_range_stats s;
   struct fixture fx;

   ASSERT_EQ(fixture_init(&fx, NULL, 4, 0, 0), 0);
   ASSERT_EQ(nvsvm_telemetry_sample(fx.tm, 0), 0);   /* baseline */
   fx.buf[0] = 1;
   fx.buf[2 * PG] = 1;
   ASSERT_EQ(nvsvm_telemetry_sample(fx.tm, 1 * MS), 0);
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx.tm, fx.id, 1 * MS, &s), 0);
   ASSERT_EQ(s.events[NVSVM_EVENT_CPU_FAULT], 2);
   /* Dropped, sampled empty, touched again: one more first touch. */
   ASSERT_EQ(madvise(fx.buf, PG, MADV_DONTNEED), 0);
   ASSERT_EQ(nvsvm_telemetry_sample(fx.tm, 2 * MS), 0);
   fx.buf[0] = 2;
   ASSERT_EQ(nvsvm_telemetry_sample(fx.tm, 3 * MS), 0);
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx.tm, fx.id, 3 * MS, &s), 0);
   ASSERT_EQ(s.samples, 4);
   ASSERT_EQ(s.events[NVSVM_EVENT_CPU_FAULT], 3);
   ASSERT_EQ(s.events[NVSVM_EVENT_CONVERSION], 0);
   fixture_fini(&fx);
}

TEST(a_fault_region_charges_first_touches_to_its_range)
{
   enum { N = 64 };
   struct nvsvm_fault_region reg;
   struct nvsvm_range_stats s;
   struct fixture fx;
   uint64_t minor = 0;

   ASSERT_EQ(fixture_init(&fx, NULL, N, 0, 0), 0);
   ASSERT_EQ(nvsvm_telemetry_region_begin(fx.tm, fx.id, &reg), 0);
   for (unsigned i = 0; i < N; i++)
      ((volatile uint8_t *)fx.buf)[i * PG] = 1;
   ASSERT_EQ(nvsvm_telemetry_region_end(fx.tm, &reg, &minor), 0);
   /* One fault per fresh page; sanitizer shadow may add a few. */
   ASSERT_GE(minor, N);
   ASSERT_LE(minor, N + N / 2);
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx.tm, fx.id, 0, &s), 0);
   ASSERT_EQ(s.cpu_minor_faults, minor);
   /* A second end of the same region is refused. */
   ASSERT_EQ(nvsvm_telemetry_region_end(fx.tm, &reg, NULL), -EINVAL);
   fixture_fini(&fx);
}

struct end_elsewhere {
   struct nvsvm_telemetry *tm;
   struct nvsvm_fault_region *reg;
   int ret;
};

static void *
end_on_other_thread(void *arg)
{
   struct end_elsewhere *e = arg;

   e->ret = nvsvm_telemetry_region_end(e->tm, e->reg, NULL);
   return NULL;
}

TEST_F(one_page, a_fault_region_ends_on_the_thread_that_began_it)
{
   struct nvsvm_fault_region reg;
   struct fixture *fx = &self->fx;
   struct end_elsewhere e;
   pthread_t th;

   ASSERT_EQ(nvsvm_telemetry_region_begin(fx->tm, fx->id, &reg), 0);
   e = (struct end_elsewhere){ .tm = fx->tm, .reg = &reg, .ret = 1 };
   ASSERT_EQ(pthread_create(&th, NULL, end_on_other_thread, &e), 0);
   pthread_join(th, NULL);
   ASSERT_EQ(e.ret, -EINVAL);
   ASSERT_EQ(nvsvm_telemetry_region_end(fx->tm, &reg, NULL), 0);
   ASSERT_EQ(nvsvm_telemetry_region_begin(fx->tm, 99, &reg), -ENOENT);
}

TEST_F(one_page, device_counts_are_summed_per_range)
{
   struct nvsvm_range_stats s;
   struct fixture *fx = &self->fx;

   ASSERT_EQ(nvsvm_telemetry_add_device_counts(fx->tm, fx->id, 1000, 999), 0);
   ASSERT_EQ(nvsvm_telemetry_add_device_counts(fx->tm, fx->id, 24, 25), 0);
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx->tm, fx->id, 0, &s), 0);
   ASSERT_EQ(s.device_conversions, 1024);
   ASSERT_EQ(s.device_invalidations, 1024);
}

TEST_F(one_page, report_names_the_range_its_verdict_and_advice)
{
   struct nvsvm_watch_params wp = { .name = "say \"hi\"\n",
                                    .object_size = 8 };
   struct fixture *fx = &self->fx;
   char *text = NULL, *json = NULL;
   size_t len;
   FILE *f;

   ASSERT_EQ(nvsvm_telemetry_unwatch(fx->tm, fx->id), 0);
   ASSERT_EQ(nvsvm_telemetry_watch(fx->tm, fx->buf, PG, &wp, &fx->id), 0);
   ASSERT_EQ(ping_pong(fx, 0, 10, 0, 20 * US), 0);

   f = open_memstream(&text, &len);
   ASSERT_TRUE(f != NULL);
   ASSERT_EQ(nvsvm_telemetry_print(fx->tm, 200 * US, NVSVM_TELEMETRY_TEXT,
                                   f), 0);
   fclose(f);
   f = open_memstream(&json, &len);
   ASSERT_TRUE(f != NULL);
   ASSERT_EQ(nvsvm_telemetry_print(fx->tm, 200 * US, NVSVM_TELEMETRY_JSON,
                                   f), 0);
   fclose(f);

   ASSERT_TRUE(strstr(text, "THRASHING: 1 pages now") != NULL);
   ASSERT_TRUE(strstr(text, "advice split") != NULL);
   ASSERT_TRUE(strstr(json, "\"name\": \"say \\\"hi\\\"\\u000a\"") != NULL);
   ASSERT_TRUE(strstr(json, "\"advice\": [\"split\"]") != NULL);
   ASSERT_TRUE(strstr(json, "\"conversion\": 10") != NULL);
   ASSERT_TRUE(strstr(json, "\"pages_thrashing\": 1,") != NULL);
   free(text);
   free(json);
}

enum { REC_THREADS = 4, REC_EVENTS = 20000 };

struct recorder {
   struct nvsvm_telemetry *tm;
   uint8_t *page;
   int errors;
};

static void *
recorder_main(void *arg)
{
   struct recorder *r = arg;

   for (unsigned i = 0; i < REC_EVENTS; i++)
      r->errors += nvsvm_telemetry_record(r->tm, r->page,
                                          NVSVM_EVENT_CPU_FAULT, i) != 0;
   return NULL;
}

TEST(concurrent_recorders_lose_no_event)
{
   struct recorder rec[REC_THREADS];
   pthread_t th[REC_THREADS];
   struct nvsvm_range_stats s;
   struct fixture fx;

   ASSERT_EQ(fixture_init(&fx, NULL, REC_THREADS, 0, 0), 0);
   for (unsigned i = 0; i < REC_THREADS; i++) {
      rec[i] = (struct recorder){ .tm = fx.tm, .page = fx.buf + i * PG };
      ASSERT_EQ(pthread_create(&th[i], NULL, recorder_main, &rec[i]), 0);
   }
   for (unsigned i = 0; i < REC_THREADS; i++)
      pthread_join(th[i], NULL);
   for (unsigned i = 0; i < REC_THREADS; i++)
      ASSERT_EQ(rec[i].errors, 0);
   ASSERT_EQ(nvsvm_telemetry_range_stats(fx.tm, fx.id, REC_EVENTS, &s), 0);
   ASSERT_EQ(s.events[NVSVM_EVENT_CPU_FAULT],
             (uint64_t)REC_THREADS * REC_EVENTS);
   fixture_fini(&fx);
}

TEST_HARNESS_MAIN
