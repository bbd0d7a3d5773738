/* SPDX-License-Identifier: MIT */
/*
 * Migrating to host: nouveau has no to-host target, so the library faults
 * pages in (content kept) or, when told the content is undefined,
 * discards whole pages. Checked on real mappings with mincore().
 */

#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>

#include "nvsvm/nvsvm.h"
#include "harness.h"
#include "nvsvm_test_dev.h"

#define PG 4096u

/*
 * A device on the real nouveau backend over /dev/null: its ioctls fail
 * for real, and migrating to host never needs one.
 */
FIXTURE(devnull)
{
   struct nvsvm_device *dev;
};

FIXTURE_SETUP(devnull)
{
   self->dev = nvsvm_test_devnull_nouveau();
   ASSERT_TRUE(self->dev != NULL);
}

FIXTURE_TEARDOWN(devnull)
{
   nvsvm_device_close(self->dev);
}

static unsigned
resident_pages(void *p, size_t len)
{
   unsigned char vec[64];
   unsigned n = 0;

   if (len / PG > sizeof(vec) || mincore(p, len, vec) != 0)
      return ~0u;
   for (size_t i = 0; i < len / PG; i++)
      n += vec[i] & 1;
   return n;
}

static char *
fresh(size_t len)
{
   char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   return p == MAP_FAILED ? NULL : p;
}

TEST_F(devnull, untouched_pages_are_faulted_in)
{
   struct nvsvm_device *dev = self->dev;
   char *p = fresh(8 * PG);
   unsigned before, after;
   int ret;

   ASSERT_TRUE(dev && p);
   before = resident_pages(p, 8 * PG);
   ret = nvsvm_migrate_to_host(dev, p, 8 * PG, 0);
   after = resident_pages(p, 8 * PG);
   munmap(p, 8 * PG);
   ASSERT_EQ(ret, 0);
   ASSERT_EQ(before, 0);
   ASSERT_EQ(after, 8);
}

TEST_F(devnull, fault_in_keeps_every_byte)
{
   struct nvsvm_device *dev = self->dev;
   char *p = fresh(4 * PG);
   int ret;

   ASSERT_TRUE(dev && p);
   for (unsigned i = 0; i < 4 * PG; i++)
      p[i] = (char)(i * 7 + 3);
   ret = nvsvm_migrate_to_host(dev, p, 4 * PG, 0);
   ASSERT_EQ(ret, 0);
   for (unsigned i = 0; i < 4 * PG; i++) {
      if (p[i] != (char)(i * 7 + 3)) {
         munmap(p, 4 * PG);
         ASSERT_EQ(i, 4 * PG); /* reports the first changed byte */
      }
   }
   munmap(p, 4 * PG);
}

struct writer {
   volatile unsigned char *byte;
   volatile bool stop;
   unsigned long writes;
};

static void *
writer_main(void *arg)
{
   struct writer *w = arg;

   while (!w->stop) {
      __atomic_fetch_add(w->byte, 1, __ATOMIC_RELAXED);
      w->writes++;
   }
   return NULL;
}

/* The CAS touch never stores a stale value over a concurrent writer. */
TEST_F(devnull, fault_in_loses_no_concurrent_increment)
{
   struct nvsvm_device *dev = self->dev;
   char *p = fresh(PG);
   struct writer w = { 0 };
   pthread_t th;
   unsigned char final;
   int ret = 0;

   ASSERT_TRUE(dev && p);
   w.byte = (volatile unsigned char *)p;
   ASSERT_EQ(pthread_create(&th, NULL, writer_main, &w), 0);
   for (int i = 0; i < 2000 && ret == 0; i++)
      ret = nvsvm_migrate_to_host(dev, p, PG, 0);
   w.stop = true;
   pthread_join(th, NULL);
   final = *w.byte;
   munmap(p, PG);
   ASSERT_EQ(ret, 0);
   ASSERT_EQ(final, (unsigned char)w.writes);
}

TEST_F(devnull, content_undefined_discards_whole_pages_to_zero)
{
   struct nvsvm_device *dev = self->dev;
   char *p = fresh(4 * PG);
   int ret;

   ASSERT_TRUE(dev && p);
   memset(p, 0x5a, 4 * PG);
   ret = nvsvm_migrate_to_host(dev, p, 4 * PG,
                               NVSVM_MIGRATE_CONTENT_UNDEFINED);
   ASSERT_EQ(ret, 0);
   ASSERT_EQ(resident_pages(p, 4 * PG), 0);
   ASSERT_EQ(p[0], 0);
   ASSERT_EQ(p[4 * PG - 1], 0);
   munmap(p, 4 * PG);
}

/* Bytes outside the caller's range share its edge pages: they stay. */
TEST_F(devnull, content_undefined_keeps_partial_edge_pages)
{
   struct nvsvm_device *dev = self->dev;
   char *p = fresh(4 * PG);
   int ret;

   ASSERT_TRUE(dev && p);
   memset(p, 0x5a, 4 * PG);
   ret = nvsvm_migrate_to_host(dev, p + 100, 3 * PG,
                               NVSVM_MIGRATE_CONTENT_UNDEFINED);
   ASSERT_EQ(ret, 0);
   ASSERT_EQ(p[0], 0x5a);            /* first page: partial, kept */
   ASSERT_EQ(p[PG + 5], 0);          /* pages 1-2: whole, discarded */
   ASSERT_EQ(p[3 * PG - 1], 0);
   ASSERT_EQ(p[3 * PG + 200], 0x5a); /* last page: partial, kept */
   munmap(p, 4 * PG);
}

TEST_F(devnull, read_only_pages_are_faulted_in_by_reading)
{
   struct nvsvm_device *dev = self->dev;
   char *p = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
                  -1, 0);
   int ret;

   ASSERT_TRUE(dev && p != MAP_FAILED);
   ret = nvsvm_migrate_to_host(dev, p, 2 * PG, 0);
   munmap(p, 2 * PG);
   ASSERT_EQ(ret, 0);
}

TEST_F(devnull, unmapped_range_is_an_error_not_a_crash)
{
   struct nvsvm_device *dev = self->dev;
   char *p = fresh(3 * PG);
   int ret;

   ASSERT_TRUE(dev && p);
   munmap(p + PG, PG);
   ret = nvsvm_migrate_to_host(dev, p, 3 * PG, 0);
   munmap(p, 3 * PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
}

TEST_F(devnull, prot_none_range_is_an_error_not_a_crash)
{
   struct nvsvm_device *dev = self->dev;
   char *p = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   int ret;

   ASSERT_TRUE(dev && p != MAP_FAILED);
   ret = nvsvm_migrate_to_host(dev, p, PG, 0);
   munmap(p, PG);
   ASSERT_EQ(ret, -NVSVM_E_RANGE);
}

TEST_F(devnull, unknown_flags_are_einval)
{
   struct nvsvm_device *dev = self->dev;
   static char buf[PG];
   int ret;

   ASSERT_TRUE(dev != NULL);
   ret = nvsvm_migrate_to_host(dev, buf, PG, 1u << 7);
   ASSERT_EQ(ret, -EINVAL);
}

TEST_HARNESS_MAIN
