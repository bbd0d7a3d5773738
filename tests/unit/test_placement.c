/* SPDX-License-Identifier: MIT */
/*
 * The placement allocator's guarantees, checked against the kernel's own
 * view (/proc/self/smaps, mincore): one page per owner, every page
 * eligible for device-exclusive conversion, nothing leaked, thread-safe.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nvsvm/nvsvm_placement.h"
#include "harness.h"

#define PG 4096u

static uintptr_t
page_of(const void *p)
{
   return (uintptr_t)p & ~(uintptr_t)(PG - 1);
}

/* mincore() answers ENOMEM for an address nothing maps: our leak probe. */
static bool
is_mapped(const void *p)
{
   unsigned char v;

   return mincore((void *)page_of(p), PG, &v) == 0 || errno != ENOMEM;
}

/*
 * The smaps entry holding addr, read independently of the library:
 * permissions, pathname and whether VmFlags carries "nh".
 */
struct smaps_view {
   char perms[5];
   char path[128];
   bool nh;
   bool found;
};

static int
smaps_lookup(const void *addr, struct smaps_view *v)
{
   FILE *f = fopen("/proc/self/smaps", "re");
   char line[512];
   uintptr_t a = (uintptr_t)addr;
   bool in = false;

   memset(v, 0, sizeof(*v));
   if (!f)
      return -errno;
   while (fgets(line, sizeof(line), f)) {
      unsigned long s, e;
      char perms[5];
      int n = 0;

      if (sscanf(line, "%lx-%lx %4s %*s %*s %*s%n", &s, &e, perms, &n) == 3
          && strchr(line, '-') < strchr(line, ' ')) {
         if (in)
            break;
         if (a >= s && a < e) {
            char *p = line + n;

            in = v->found = true;
            memcpy(v->perms, perms, sizeof(perms));
            while (*p == ' ')
               p++;
            p[strcspn(p, "\n")] = 0;
            snprintf(v->path, sizeof(v->path), "%s", p);
         }
      } else if (in && strncmp(line, "VmFlags:", 8) == 0) {
         v->nh = strstr(line, " nh") != NULL;
      }
   }
   fclose(f);
   return 0;
}

static struct nvsvm_pool *
make_pool(unsigned flags, unsigned chunk_pages)
{
   struct nvsvm_pool_params p = { .flags = flags,
                                  .chunk_pages = chunk_pages };
   struct nvsvm_pool *pool = NULL;

   return nvsvm_pool_create(&p, &pool) == 0 ? pool : NULL;
}

static int
cmp_uptr(const void *a, const void *b)
{
   uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

   return x < y ? -1 : x > y;
}

TEST(independent_objects_never_share_a_page)
{
   enum { N = 200 };
   struct nvsvm_pool *pool = make_pool(NVSVM_POOL_CHECK_CHUNKS_ONLY, 0);
   uintptr_t pages[N];
   void *p[N];

   ASSERT_TRUE(pool != NULL);
   for (unsigned i = 0; i < N; i++) {
      ASSERT_EQ(nvsvm_pool_alloc(pool, 1 + (i * 37) % PG, &p[i]), 0);
      ASSERT_EQ((uintptr_t)p[i] % PG, 0);
      pages[i] = page_of(p[i]);
   }
   qsort(pages, N, sizeof(pages[0]), cmp_uptr);
   for (unsigned i = 1; i < N; i++)
      ASSERT_NE(pages[i], pages[i - 1]);
   nvsvm_pool_destroy(pool);
}

/* Owner 0..G-1: a group; owner G: independent objects. */
TEST(groups_never_share_a_page_with_each_other_or_objects)
{
   enum { G = 8, M = 700, OBJ = 40 };
   struct nvsvm_pool *pool = make_pool(NVSVM_POOL_CHECK_CHUNKS_ONLY, 16);
   struct nvsvm_group *g[G];
   struct { uintptr_t page; unsigned owner; } *seen;
   unsigned n = 0;

   ASSERT_TRUE(pool != NULL);
   seen = calloc(G * M + OBJ, sizeof(*seen));
   ASSERT_TRUE(seen != NULL);
   for (unsigned k = 0; k < G; k++)
      ASSERT_EQ(nvsvm_group_create(pool, &g[k]), 0);
   /* Interleaved, so pages of different owners come from one chunk. */
   for (unsigned m = 0; m < M; m++) {
      for (unsigned k = 0; k < G; k++) {
         void *q;

         ASSERT_EQ(nvsvm_group_alloc(g[k], 8 + 8 * (m % 3), 8, &q), 0);
         seen[n].page = page_of(q);
         seen[n++].owner = k;
      }
      if (m < OBJ) {
         void *q;

         ASSERT_EQ(nvsvm_pool_alloc(pool, 8, &q), 0);
         seen[n].page = page_of(q);
         seen[n++].owner = G;
      }
   }
   for (unsigned i = 0; i < n; i++) {
      for (unsigned j = i + 1; j < n; j++) {
         if (seen[i].page == seen[j].page && seen[i].owner != seen[j].owner) {
            MARK_FAIL("page 0x%lx held by owners %u and %u",
                      (unsigned long)seen[i].page, seen[i].owner,
                      seen[j].owner);
            free(seen);
            return;
         }
      }
   }
   /* 700 members of 8/16/24 bytes = 11200 bytes: 3 pages, packed. */
   for (unsigned k = 0; k < G; k++)
      ASSERT_EQ(nvsvm_group_pages(g[k]), 3);
   free(seen);
   nvsvm_pool_destroy(pool);
}

TEST(group_members_are_packed_and_aligned)
{
   struct nvsvm_pool *pool = make_pool(0, 0);
   struct nvsvm_group *g;
   uint8_t *first = NULL, *q;

   ASSERT_TRUE(pool != NULL);
   ASSERT_EQ(nvsvm_group_create(pool, &g), 0);
   ASSERT_EQ(nvsvm_group_pages(g), 0);
   for (unsigned i = 0; i < PG / 8; i++) {
      ASSERT_EQ(nvsvm_group_alloc(g, 8, 8, (void **)&q), 0);
      if (!first)
         first = q;
      ASSERT_TRUE(q == first + 8 * i);
   }
   ASSERT_EQ((uintptr_t)first % PG, 0);
   ASSERT_EQ(nvsvm_group_pages(g), 1);
   /* The page is full: the next member opens a second page. */
   ASSERT_EQ(nvsvm_group_alloc(g, 8, 8, (void **)&q), 0);
   ASSERT_EQ(nvsvm_group_pages(g), 2);
   ASSERT_EQ((uintptr_t)q % PG, 0);
   ASSERT_NE(page_of(q), page_of(first));
   /* Alignment rounds up inside the page. */
   ASSERT_EQ(nvsvm_group_alloc(g, 4, 64, (void **)&q), 0);
   ASSERT_EQ((uintptr_t)q % PG, 64);
   ASSERT_EQ(nvsvm_group_alloc(g, 1, 0, (void **)&q), 0);
   ASSERT_EQ((uintptr_t)q % PG, 80);   /* default alignment 16 */
   nvsvm_group_destroy(g);
   nvsvm_pool_destroy(pool);
}

TEST(every_allocation_passes_the_range_check)
{
   enum { N = 24 };
   struct nvsvm_pool *pool = make_pool(0, 8);
   struct nvsvm_pool_stats st;
   struct nvsvm_group *g;
   void *p[N + 1];

   ASSERT_TRUE(pool != NULL);
   ASSERT_EQ(nvsvm_group_create(pool, &g), 0);
   for (unsigned i = 0; i < N; i++)
      ASSERT_EQ(nvsvm_pool_alloc(pool, 8, &p[i]), 0);
   ASSERT_EQ(nvsvm_group_alloc(g, 32, 0, &p[N]), 0);
   for (unsigned i = 0; i <= N; i++) {
      struct nvsvm_range_report rep;

      memset(&rep, 0xff, sizeof(rep));
      ASSERT_EQ(nvsvm_range_check((void *)page_of(p[i]), PG,
                                  NVSVM_RANGE_REQUIRE_ALIGNED, &rep), 0);
      ASSERT_EQ(rep.reason, NVSVM_RANGE_OK);
      ASSERT_EQ(rep.warnings & (NVSVM_RANGE_WARN_THP |
                                NVSVM_RANGE_WARN_THP_ELIGIBLE), 0);
   }
   /* The pool checked each page itself as it handed it out. */
   ASSERT_EQ(nvsvm_pool_get_stats(pool, &st), 0);
   ASSERT_EQ(st.range_checks, N + 1);
   nvsvm_group_destroy(g);
   nvsvm_pool_destroy(pool);
}

TEST(every_pool_page_is_anonymous_private_writable_nohugepage)
{
   enum { N = 70 };   /* more than one 64-page chunk */
   struct nvsvm_pool *pool = make_pool(NVSVM_POOL_CHECK_CHUNKS_ONLY, 0);
   void *p[N];

   ASSERT_TRUE(pool != NULL);
   for (unsigned i = 0; i < N; i++)
      ASSERT_EQ(nvsvm_pool_alloc(pool, 16, &p[i]), 0);
   for (unsigned i = 0; i < N; i++) {
      struct smaps_view v;

      ASSERT_EQ(smaps_lookup(p[i], &v), 0);
      ASSERT_TRUE(v.found);
      ASSERT_STREQ(v.perms, "rw-p");
      ASSERT_STREQ(v.path, "");
      ASSERT_TRUE(v.nh);
   }
   nvsvm_pool_destroy(pool);
}

TEST(kernel_release_decides_whether_thp_blocks_conversion)
{
   ASSERT_EQ(nvsvm_kernel_thp_blocks_exclusive("6.1.0-28-amd64"), 1);
   ASSERT_EQ(nvsvm_kernel_thp_blocks_exclusive("6.12.44"), 1);
   ASSERT_EQ(nvsvm_kernel_thp_blocks_exclusive("6.14.11"), 1);
   ASSERT_EQ(nvsvm_kernel_thp_blocks_exclusive("6.15.0-rc1"), 0);
   ASSERT_EQ(nvsvm_kernel_thp_blocks_exclusive("6.18.44-fc"), 0);
   ASSERT_EQ(nvsvm_kernel_thp_blocks_exclusive("5.10.0"), 1);
   ASSERT_EQ(nvsvm_kernel_thp_blocks_exclusive("7.0"), 0);
   ASSERT_EQ(nvsvm_kernel_thp_blocks_exclusive("linux"), -NVSVM_E_PARSE);
   ASSERT_EQ(nvsvm_kernel_thp_blocks_exclusive(""), -NVSVM_E_PARSE);
}

TEST(allow_thp_is_ignored_where_thp_breaks_conversion)
{
   struct nvsvm_pool *pool = make_pool(NVSVM_POOL_ALLOW_THP |
                                       NVSVM_POOL_CHECK_CHUNKS_ONLY, 0);
   int old = nvsvm_kernel_thp_blocks_exclusive(NULL);
   struct smaps_view v;
   void *p;

   ASSERT_TRUE(pool != NULL);
   ASSERT_GE(old, 0);
   ASSERT_EQ(nvsvm_pool_alloc(pool, 8, &p), 0);
   ASSERT_EQ(smaps_lookup(p, &v), 0);
   ASSERT_TRUE(v.found);
   ASSERT_EQ(v.nh, old == 1);
   nvsvm_pool_destroy(pool);
}

TEST(freed_pages_are_reused_zeroed)
{
   struct nvsvm_pool *pool = make_pool(0, 0);
   struct nvsvm_pool_stats st;
   uint8_t *p, *q;

   ASSERT_TRUE(pool != NULL);
   ASSERT_EQ(nvsvm_pool_alloc(pool, PG, (void **)&p), 0);
   memset(p, 0xab, PG);
   ASSERT_EQ(nvsvm_pool_free(pool, p), 0);
   ASSERT_EQ(nvsvm_pool_alloc(pool, 64, (void **)&q), 0);
   ASSERT_TRUE(q == p);   /* lowest free page first */
   for (unsigned i = 0; i < PG; i++)
      ASSERT_EQ(q[i], 0);
   ASSERT_EQ(nvsvm_pool_get_stats(pool, &st), 0);
   ASSERT_EQ(st.pages_reused, 1);
   ASSERT_EQ(st.allocations, 1);
   ASSERT_EQ(st.bytes_requested, 64);
   nvsvm_pool_destroy(pool);
}

TEST(free_rejects_foreign_double_interior_and_member_pointers)
{
   struct nvsvm_pool *pool = make_pool(0, 0);
   struct nvsvm_group *g;
   uint64_t on_stack = 0;
   uint8_t *p, *m;

   ASSERT_TRUE(pool != NULL);
   ASSERT_EQ(nvsvm_pool_alloc(pool, 8, (void **)&p), 0);
   ASSERT_EQ(nvsvm_group_create(pool, &g), 0);
   ASSERT_EQ(nvsvm_group_alloc(g, 8, 8, (void **)&m), 0);

   ASSERT_EQ(nvsvm_pool_free(pool, NULL), -EINVAL);
   ASSERT_EQ(nvsvm_pool_free(NULL, p), -EINVAL);
   ASSERT_EQ(nvsvm_pool_free(pool, &on_stack), -ENOENT);
   ASSERT_EQ(nvsvm_pool_free(pool, p + 8), -ENOENT);
   ASSERT_EQ(nvsvm_pool_free(pool, m), -EINVAL);
   ASSERT_EQ(nvsvm_pool_free(pool, p), 0);
   ASSERT_EQ(nvsvm_pool_free(pool, p), -ENOENT);
   nvsvm_group_destroy(g);
   nvsvm_pool_destroy(pool);
}

TEST(bad_sizes_alignments_and_params_are_refused)
{
   struct nvsvm_pool_params bad_chunk = { .chunk_pages = 65 };
   struct nvsvm_pool_params bad_flag = { .flags = 1u << 30 };
   struct nvsvm_pool *pool = make_pool(0, 0), *none = (void *)1;
   struct nvsvm_group *g;
   void *p = (void *)1;

   ASSERT_TRUE(pool != NULL);
   ASSERT_EQ(nvsvm_pool_create(&bad_chunk, &none), -EINVAL);
   ASSERT_TRUE(none == NULL);
   ASSERT_EQ(nvsvm_pool_create(&bad_flag, &none), -EINVAL);
   ASSERT_EQ(nvsvm_pool_create(NULL, NULL), -EINVAL);
   ASSERT_EQ(nvsvm_pool_alloc(pool, 0, &p), -EINVAL);
   ASSERT_TRUE(p == NULL);
   ASSERT_EQ(nvsvm_pool_alloc(pool, PG + 1, &p), -EINVAL);
   ASSERT_EQ(nvsvm_pool_alloc(pool, 8, NULL), -EINVAL);
   ASSERT_EQ(nvsvm_group_create(pool, &g), 0);
   ASSERT_EQ(nvsvm_group_alloc(g, 8, 3, &p), -EINVAL);
   ASSERT_EQ(nvsvm_group_alloc(g, 8, 2 * PG, &p), -EINVAL);
   ASSERT_EQ(nvsvm_group_alloc(g, PG + 1, 8, &p), -EINVAL);
   ASSERT_EQ(nvsvm_group_alloc(g, 0, 8, &p), -EINVAL);
   ASSERT_EQ(nvsvm_group_pages(g), 0);
   ASSERT_EQ(nvsvm_pool_get_stats(pool, NULL), -EINVAL);
   nvsvm_group_destroy(g);
   nvsvm_pool_destroy(pool);
}

TEST(overhead_is_reported_as_bytes_requested_against_pages_held)
{
   struct nvsvm_pool *pool = make_pool(0, 16);
   struct nvsvm_pool_stats st;
   struct nvsvm_group *g;
   void *p;

   ASSERT_TRUE(pool != NULL);
   for (unsigned i = 0; i < 10; i++)
      ASSERT_EQ(nvsvm_pool_alloc(pool, 8, &p), 0);
   ASSERT_EQ(nvsvm_group_create(pool, &g), 0);
   for (unsigned i = 0; i < 100; i++)
      ASSERT_EQ(nvsvm_group_alloc(g, 8, 8, &p), 0);
   ASSERT_EQ(nvsvm_pool_get_stats(pool, &st), 0);
   ASSERT_EQ(st.allocations, 10);
   ASSERT_EQ(st.groups, 1);
   ASSERT_EQ(st.group_members, 100);
   ASSERT_EQ(st.bytes_requested, 10 * 8 + 100 * 8);
   ASSERT_EQ(st.pages_in_use, 11);
   ASSERT_EQ(st.pages_free, 5);
   ASSERT_EQ(st.bytes_held, 16 * PG);
   ASSERT_EQ(st.bytes_mapped, 16 * PG);
   ASSERT_EQ(st.chunks, 1);
   nvsvm_group_destroy(g);
   ASSERT_EQ(nvsvm_pool_get_stats(pool, &st), 0);
   ASSERT_EQ(st.groups, 0);
   ASSERT_EQ(st.group_members, 0);
   ASSERT_EQ(st.bytes_requested, 80);
   ASSERT_EQ(st.pages_in_use, 10);
   nvsvm_pool_destroy(pool);
}

TEST(freeing_everything_keeps_at_most_one_chunk_mapped)
{
   enum { N = 12 };
   struct nvsvm_pool *pool = make_pool(NVSVM_POOL_CHECK_CHUNKS_ONLY, 4);
   struct nvsvm_pool_stats st;
   void *p[N];
   unsigned mapped = 0;

   ASSERT_TRUE(pool != NULL);
   for (unsigned i = 0; i < N; i++)
      ASSERT_EQ(nvsvm_pool_alloc(pool, 8, &p[i]), 0);
   ASSERT_EQ(nvsvm_pool_get_stats(pool, &st), 0);
   ASSERT_EQ(st.chunks, 3);
   for (unsigned i = 0; i < N; i++)
      ASSERT_EQ(nvsvm_pool_free(pool, p[i]), 0);
   ASSERT_EQ(nvsvm_pool_get_stats(pool, &st), 0);
   ASSERT_EQ(st.chunks, 1);
   ASSERT_EQ(st.pages_in_use, 0);
   ASSERT_EQ(st.pages_free, 4);
   ASSERT_EQ(st.bytes_requested, 0);
   for (unsigned i = 0; i < N; i++)
      mapped += is_mapped(p[i]);
   ASSERT_EQ(mapped, 4);
   nvsvm_pool_destroy(pool);
   for (unsigned i = 0; i < N; i++)
      ASSERT_TRUE(!is_mapped(p[i]));
}

TEST(destroy_unmaps_every_chunk_and_frees_live_groups)
{
   enum { N = 100 };
   struct nvsvm_pool *pool = make_pool(NVSVM_POOL_CHECK_CHUNKS_ONLY, 8);
   struct nvsvm_group *g;
   void *p[N], *m;

   ASSERT_TRUE(pool != NULL);
   ASSERT_EQ(nvsvm_group_create(pool, &g), 0);
   for (unsigned i = 0; i < N; i++)
      ASSERT_EQ(nvsvm_pool_alloc(pool, 8, &p[i]), 0);
   ASSERT_EQ(nvsvm_group_alloc(g, 8, 8, &m), 0);
   for (unsigned i = 0; i < N; i++)
      ASSERT_TRUE(is_mapped(p[i]));
   /* Live objects and a live group: ASan's leak check covers the rest. */
   nvsvm_pool_destroy(pool);
   for (unsigned i = 0; i < N; i++)
      ASSERT_TRUE(!is_mapped(p[i]));
   ASSERT_TRUE(!is_mapped(m));
}

TEST(guard_pages_fault_and_fail_the_range_check)
{
   struct nvsvm_pool *pool = make_pool(NVSVM_POOL_GUARD_PAGES, 4);
   struct nvsvm_range_report rep;
   struct nvsvm_pool_stats st;
   struct timespec nap = { 0, 1000000 };
   uint8_t *p, *q;
   pid_t pid;
   int status = 0;

   ASSERT_TRUE(pool != NULL);
   ASSERT_EQ(nvsvm_pool_alloc(pool, 8, (void **)&p), 0);
   ASSERT_EQ(nvsvm_pool_alloc(pool, 8, (void **)&q), 0);
   ASSERT_TRUE(q == p + 2 * PG);
   ASSERT_EQ(nvsvm_range_check(p + PG, PG, 0, &rep), -NVSVM_E_RANGE);
   ASSERT_EQ(rep.reason, NVSVM_RANGE_NO_ACCESS);
   ASSERT_EQ(nvsvm_pool_get_stats(pool, &st), 0);
   ASSERT_EQ(st.bytes_mapped, 8 * PG);
   ASSERT_EQ(st.bytes_held, 4 * PG);

   pid = fork();
   ASSERT_GE(pid, 0);
   if (pid == 0) {
      signal(SIGSEGV, SIG_DFL);   /* not the sanitizer's report */
      p[PG] = 1;   /* one byte past the object's page */
      _exit(0);
   }
   for (unsigned i = 0; i < 5000; i++) {   /* at most ~5 s */
      if (waitpid(pid, &status, WNOHANG) == pid)
         break;
      nanosleep(&nap, NULL);
      if (i == 4999) {
         kill(pid, SIGKILL);
         waitpid(pid, &status, 0);
         MARK_FAIL("child did not fault on the guard page");
         nvsvm_pool_destroy(pool);
         return;
      }
   }
   ASSERT_TRUE(WIFSIGNALED(status));
   ASSERT_EQ(WTERMSIG(status), SIGSEGV);
   nvsvm_pool_destroy(pool);
}

TEST(chunk_mode_checks_once_per_chunk)
{
   struct nvsvm_pool *pool = make_pool(NVSVM_POOL_CHECK_CHUNKS_ONLY, 8);
   struct nvsvm_pool_stats st;
   void *p;

   ASSERT_TRUE(pool != NULL);
   for (unsigned i = 0; i < 16; i++)
      ASSERT_EQ(nvsvm_pool_alloc(pool, 8, &p), 0);
   ASSERT_EQ(nvsvm_pool_get_stats(pool, &st), 0);
   ASSERT_EQ(st.chunks, 2);
   ASSERT_EQ(st.range_checks, 2);
   nvsvm_pool_destroy(pool);
}

TEST(a_page_made_ineligible_is_refused_with_its_reason)
{
   struct nvsvm_pool *pool = make_pool(0, 4);
   struct nvsvm_range_report rep;
   struct nvsvm_pool_stats st;
   void *p, *q = NULL;

   ASSERT_TRUE(pool != NULL);
   ASSERT_EQ(nvsvm_pool_last_report(pool, &rep), -ENOENT);
   ASSERT_EQ(nvsvm_pool_alloc(pool, 8, &p), 0);
   ASSERT_EQ(nvsvm_pool_free(pool, p), 0);
   /* The caller broke the free page behind the pool's back. */
   ASSERT_EQ(mprotect(p, PG, PROT_READ), 0);
   ASSERT_EQ(nvsvm_pool_alloc(pool, 8, &q), -NVSVM_E_RANGE);
   ASSERT_TRUE(q == NULL);
   ASSERT_EQ(nvsvm_pool_last_report(pool, &rep), 0);
   ASSERT_EQ(rep.reason, NVSVM_RANGE_NOT_WRITABLE);
   ASSERT_U64_EQ(rep.bad_addr, (uintptr_t)p);
   ASSERT_EQ(nvsvm_pool_get_stats(pool, &st), 0);
   ASSERT_EQ(st.pages_in_use, 0);
   ASSERT_EQ(mprotect(p, PG, PROT_READ | PROT_WRITE), 0);
   ASSERT_EQ(nvsvm_pool_alloc(pool, 8, &q), 0);
   ASSERT_TRUE(q == p);
   nvsvm_pool_destroy(pool);
}

/* ------------------------------------------------------------- threads */

enum { THREADS = 4, ROUNDS = 20000, LIVE = 6 };

struct worker {
   struct nvsvm_pool *pool;
   pthread_barrier_t *start;
   unsigned id;
   unsigned errors;
   unsigned clobbered;
};

/* Each live object carries its owner's tag on its whole first line. */
static void *
worker_main(void *arg)
{
   struct worker *w = arg;
   uint64_t *live[LIVE] = { 0 };
   uint64_t tags[LIVE] = { 0 };

   pthread_barrier_wait(w->start);
   for (unsigned r = 0; r < ROUNDS; r++) {
      unsigned slot = r % LIVE;
      struct nvsvm_group *g;
      uint64_t *m;

      if (live[slot]) {
         for (unsigned k = 0; k < 8; k++)
            w->clobbered += live[slot][k] != tags[slot];
         w->errors += nvsvm_pool_free(w->pool, live[slot]) != 0;
      }
      if (nvsvm_pool_alloc(w->pool, 64, (void **)&live[slot]) != 0) {
         w->errors++;
         live[slot] = NULL;
         continue;
      }
      tags[slot] = ((uint64_t)w->id << 32) | r;
      for (unsigned k = 0; k < 8; k++) {
         w->clobbered += live[slot][k] != 0;   /* must arrive zeroed */
         live[slot][k] = tags[slot];
      }
      if (r % 50 == 0) {
         if (nvsvm_group_create(w->pool, &g) != 0 ||
             nvsvm_group_alloc(g, 8, 8, (void **)&m) != 0) {
            w->errors++;
            continue;
         }
         *m = tags[slot];
         w->clobbered += *m != tags[slot];
         nvsvm_group_destroy(g);
      }
   }
   for (unsigned s = 0; s < LIVE; s++) {
      if (!live[s])
         continue;
      for (unsigned k = 0; k < 8; k++)
         w->clobbered += live[s][k] != tags[s];
      w->errors += nvsvm_pool_free(w->pool, live[s]) != 0;
   }
   return NULL;
}

TEST(threads_never_receive_the_same_page)
{
   /* Two-page chunks: threads also race on mapping and unmapping. */
   struct nvsvm_pool *pool = make_pool(NVSVM_POOL_CHECK_CHUNKS_ONLY, 2);
   struct worker w[THREADS];
   pthread_t th[THREADS];
   pthread_barrier_t start;
   struct nvsvm_pool_stats st;

   ASSERT_TRUE(pool != NULL);
   ASSERT_EQ(pthread_barrier_init(&start, NULL, THREADS), 0);
   for (unsigned i = 0; i < THREADS; i++) {
      w[i] = (struct worker){ .pool = pool, .start = &start, .id = i + 1 };
      ASSERT_EQ(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
   }
   for (unsigned i = 0; i < THREADS; i++)
      pthread_join(th[i], NULL);
   pthread_barrier_destroy(&start);
   for (unsigned i = 0; i < THREADS; i++) {
      ASSERT_EQ(w[i].errors, 0);
      ASSERT_EQ(w[i].clobbered, 0);
   }
   ASSERT_EQ(nvsvm_pool_get_stats(pool, &st), 0);
   ASSERT_EQ(st.allocations, 0);
   ASSERT_EQ(st.groups, 0);
   ASSERT_EQ(st.bytes_requested, 0);
   ASSERT_EQ(st.pages_in_use, 0);
   ASSERT_LE(st.chunks, 1);
   ASSERT_GT(st.pages_reused, 0);
   nvsvm_pool_destroy(pool);
}

TEST_HARNESS_MAIN
