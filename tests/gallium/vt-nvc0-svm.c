/* SPDX-License-Identifier: MIT */
/*
 * nvc0 SVM hooks against the virtual SVM GPU (vsvm) in the VM: caps come
 * from a real SVM_INIT, svm_migrate moves data both ways intact, and
 * every refusal is surfaced. Runs with vsvm.ko loaded (guest-suite.sh).
 */

#include "pagemap.h"
#include "vt_nvc0_common.h"

#define NPAGES 16
#define BUF_SIZE (NPAGES * 4096)

/* A screen as nvc0 creates one: SVM opted in. */
static int
screen_up(FIXTURE_DATA(nvc0) *self, struct nvc0_vt_screen *s)
{
   struct nvc0_svm_screen_params p = {
      .chipset = 0, .vram_size = 64ull << 20,
   };

   return nvc0_vt_screen_up(self, s, p);
}

static uint8_t *
pattern_buf(void)
{
   uint8_t *p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   if (p == MAP_FAILED)
      return NULL;
   DEFER_MUNMAP(p, BUF_SIZE);
   madvise(p, BUF_SIZE, MADV_NOHUGEPAGE);
   for (size_t i = 0; i < BUF_SIZE; i++)
      p[i] = (uint8_t)(i * 7 + i / 4096);
   return p;
}

static bool
pattern_ok(const uint8_t *p)
{
   for (size_t i = 0; i < BUF_SIZE; i++) {
      if (p[i] != (uint8_t)(i * 7 + i / 4096)) {
         TH_LOG("byte %zu: 0x%02x, want 0x%02x", i, p[i],
                (uint8_t)(i * 7 + i / 4096));
         return false;
      }
   }
   return true;
}

/* 1 when /proc/self/pagemap says the page is present in system RAM. */
static int
page_present(const void *addr)
{
   uint64_t e;
   int ret = nvsvm_pm_entry(addr, &e);

   return ret ? ret : (int)((e >> 63) & 1);
}

TEST_F(nvc0, caps_follow_a_real_svm_init)
{
   struct nvc0_vt_screen *s = &self->screen[0];
   struct nvc0_svm *svm = &s->svm;
   int ret = screen_up(self, s);

   if (ret)
      FAIL("screen init: %d (%s): %s", ret, nvsvm_error_name(ret),
           svm->reason);
   if (!svm->enabled || !svm->caps.system_svm ||
       !svm->caps.fine_grain_system || !svm->caps.atomics)
      FAIL("SVM_INIT succeeded but caps are not all on");
   TH_LOG("%s", svm->reason);
   ASSERT_TRUE(strstr(svm->reason, "SVM on"));
}

TEST_F(nvc0, second_screen_on_one_fd_is_refused_by_the_kernel)
{
   struct nvc0_vt_screen *a = &self->screen[0], *b = &self->screen[1];
   struct nvc0_svm_screen_params p = { 0 };
   int ret;

   ASSERT_OK(screen_up(self, a));
   /* The second screen on the first one's fd: only its fini is ours. */
   p.log = nvc0_vt_log;
   p.log_data = self;
   memset(&b->svm, 0, sizeof(b->svm));
   b->fd = -1;
   b->up = true;
   setenv("NOUVEAU_SVM", "1", 1);
   ret = nvc0_svm_screen_init(&b->svm, a->fd, &p);
   TH_LOG("second SVM_INIT: %d (%s): %s", ret, nvsvm_error_name(ret),
          b->svm.reason);
   ASSERT_TRUE(ret == -EBUSY && !b->svm.caps.atomics &&
               !b->svm.caps.system_svm &&
               strstr(b->svm.reason, "already initialised"));
}

/* A screen with SVM on and a patterned buffer: the migrate scenarios. */
struct mig {
   struct nvc0_svm *svm;
   uint8_t *buf;
   const void *ptrs[1];
   size_t sizes[1];
};

static bool
mig_up(FIXTURE_DATA(nvc0) *self, struct mig *m)
{
   memset(m, 0, sizeof(*m));
   m->svm = &self->screen[0].svm;
   if (screen_up(self, &self->screen[0]))
      return false;
   m->buf = pattern_buf();
   m->ptrs[0] = m->buf;
   m->sizes[0] = BUF_SIZE;
   return m->buf != NULL;
}

/* nvc0_svm_migrate on the buffer; sizes NULL means "whole allocation". */
static unsigned
mig_move(struct mig *m, const size_t *sizes, bool to_device, bool undefined)
{
   return nvc0_svm_migrate(m->svm, 1, m->ptrs, sizes, to_device, undefined);
}

/* Every page of the buffer present (1) or not present (0) in RAM. */
static bool
mig_all_present(const struct mig *m, int want)
{
   for (size_t off = 0; off < BUF_SIZE; off += 4096) {
      if (page_present(m->buf + off) != want)
         return false;
   }
   return true;
}

TEST_F(nvc0, migrate_to_vram_and_back_keeps_every_byte)
{
   struct mig m;
   unsigned failed;

   ASSERT_TRUE(mig_up(self, &m));
   failed = mig_move(&m, m.sizes, true, false);
   TH_LOG("to VRAM: failed %u, pages requested %llu, result %llu",
          failed, (unsigned long long)m.svm->stats.pages_to_device,
          (unsigned long long)m.svm->stats.bind_result);
   ASSERT_FALSE(failed || m.svm->stats.pages_to_device != NPAGES);
   /* In VRAM the CPU PTEs are device-private entries, not present. */
   if (!mig_all_present(&m, 0))
      FAIL("pages still present in system RAM after migration");
   failed = mig_move(&m, m.sizes, false, false);
   if (failed || !mig_all_present(&m, 1))
      FAIL("to host: failed %u, not every page back", failed);
   ASSERT_TRUE(pattern_ok(m.buf));
}

TEST_F(nvc0, migrate_to_host_with_undefined_content_discards)
{
   struct mig m;

   ASSERT_FALSE(!mig_up(self, &m) || mig_move(&m, m.sizes, true, false) ||
                mig_move(&m, m.sizes, false, true));
   for (size_t i = 0; i < BUF_SIZE; i++) {
      if (m.buf[i])
         FAIL("byte %zu kept 0x%02x after a discard", i, m.buf[i]);
   }
}

static size_t
whole_allocation(void *data, const void *ptr)
{
   (void)ptr;
   return *(size_t *)data;
}

TEST_F(nvc0, null_size_means_the_whole_allocation_or_a_loud_refusal)
{
   struct mig m;
   static size_t whole = BUF_SIZE;
   unsigned errors_before;

   ASSERT_TRUE(mig_up(self, &m));
   /* Without a way to know the allocation, refuse and say so. */
   errors_before = self->errors;
   ASSERT_FALSE(mig_move(&m, NULL, true, false) != 1 ||
                self->errors == errors_before ||
                !strstr(self->last, "no size given"));
   nvc0_svm_set_alloc_size_cb(m.svm, whole_allocation, &whole);
   ASSERT_FALSE(mig_move(&m, NULL, true, false));
   TH_LOG("whole allocation: %llu pages requested",
          (unsigned long long)m.svm->stats.pages_to_device);
   /* The whole allocation moved: no page of it is in system RAM. */
   ASSERT_FALSE(m.svm->stats.pages_to_device != NPAGES ||
                !mig_all_present(&m, 0));
   ASSERT_TRUE(pattern_ok(m.buf));
}

TEST_F(nvc0, malformed_window_override_keeps_svm_off_with_a_named_error)
{
   struct nvc0_vt_screen *s = &self->screen[0];
   struct nvc0_svm *svm = &s->svm;
   int ret;

   setenv("NVSVM_WINDOW_SIZE", "12parsecs", 1);
   ret = screen_up(self, s);
   unsetenv("NVSVM_WINDOW_SIZE");
   TH_LOG("init with NVSVM_WINDOW_SIZE=12parsecs: %d (%s): %s", ret,
          nvsvm_error_name(ret), svm->reason);
   ASSERT_TRUE(ret < 0 && !svm->caps.atomics && !svm->enabled &&
               strstr(svm->reason, "NVSVM_WINDOW_SIZE"));
}

/* Is any mapping of this process inside [addr, addr + size)? */
static bool
range_is_mapped(uint64_t addr, uint64_t size)
{
   FILE *f = fopen("/proc/self/maps", "r");
   unsigned long long lo, hi;
   char line[512];
   bool mapped = false;

   if (!f)
      return true;   /* cannot tell: do not claim it is gone */
   while (fgets(line, sizeof(line), f)) {
      if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 &&
          lo < addr + size && hi > addr)
         mapped = true;
   }
   fclose(f);
   return mapped;
}

/* The screen's teardown gives the window back, as Mesa's munmap did. */
TEST_F(nvc0, screen_fini_releases_the_window)
{
   struct nvc0_vt_screen *s = &self->screen[0];
   struct nvc0_svm *svm = &s->svm;
   struct nvsvm_window win = { 0 };
   bool before, after;

   if (screen_up(self, s) || nvsvm_svm_window(svm->dev, &win))
      FAIL("SVM did not come up: %s", svm->reason);
   before = range_is_mapped(win.addr, win.size);
   nvc0_svm_screen_fini(svm);
   after = range_is_mapped(win.addr, win.size);
   nvc0_svm_screen_fini(svm);   /* a second teardown unmaps nothing */
   TH_LOG("window 0x%llx+%llu MiB: mapped %d before fini, %d after",
          (unsigned long long)win.addr,
          (unsigned long long)(win.size >> 20), before, after);
   ASSERT_TRUE(before && !after);
}

TEST_HARNESS_MAIN
