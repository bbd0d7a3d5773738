/* SPDX-License-Identifier: MIT */
/*
 * nvc0's atomic prefault hook against vsvm in the VM: SVM-atomic kernel
 * arguments are converted ahead of the launch, a refused page is named
 * and counted, and on a kernel without the command (vsvm's
 * atomic_fault_cmd=N) the hook falls back to first-touch faults with the
 * reason logged once. Runs with vsvm.ko loaded (guest-suite.sh).
 */

#include "pagemap.h"
#include "vt_nvc0_common.h"

#define NPAGES 8
#define PAGE 4096u
#define KNOB "/sys/module/vsvm/parameters/atomic_fault_cmd"

/* A screen with a fresh log: the errors and last line are this one's. */
static int
screen_up(FIXTURE_DATA(nvc0) *self, struct nvc0_vt_screen *s)
{
   struct nvc0_svm_screen_params p = {
      .vram_size = 64ull << 20,
   };

   self->errors = 0;
   self->last[0] = '\0';
   return nvc0_vt_screen_up(self, s, p);
}

static char *
buf_map(void)
{
   char *p = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

   if (p == MAP_FAILED)
      return NULL;
   DEFER_MUNMAP(p, NPAGES * PAGE);
   madvise(p, NPAGES * PAGE, MADV_NOHUGEPAGE);
   memset(p, 1, NPAGES * PAGE);
   return p;
}

static int
knob_set(const char *v)
{
   FILE *f = fopen(KNOB, "w");
   int ret = 0;

   if (!f)
      return -errno;
   if (fputs(v, f) < 0)
      ret = -EIO;
   if (fclose(f) && !ret)
      ret = -errno;
   return ret;
}

TEST_F(nvc0, svm_atomic_argument_is_converted_before_launch)
{
   struct nvc0_vt_screen *s = &self->screen[0];
   struct nvc0_svm *svm = &s->svm;
   char *buf;
   int ret;

   ASSERT_FALSE(screen_up(self, s) || !svm->enabled);
   buf = buf_map();
   ASSERT_TRUE(buf);
   ret = nvc0_svm_prefault_atomic(svm, buf + 100, NPAGES * PAGE - 200);
   TH_LOG("prefault: %s, %llu pages", nvsvm_error_name(ret),
          (unsigned long long)svm->stats.prefault_pages);
   ASSERT_FALSE(ret || svm->stats.prefault_pages != NPAGES ||
                self->errors);
   for (unsigned i = 0; i < NPAGES; i++) {
      if (!nvsvm_pm_swapped(buf + i * PAGE))
         FAIL("page %u not device-exclusive", i);
   }
}

TEST_F(nvc0, refused_page_is_named_and_counted)
{
   struct nvc0_vt_screen *s = &self->screen[0];
   struct nvc0_svm *svm = &s->svm;
   char *buf;
   int ret;

   ASSERT_FALSE(screen_up(self, s) || !svm->enabled);
   buf = buf_map();
   ASSERT_FALSE(!buf || mmap(buf + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1,
                             0) == MAP_FAILED);
   ret = nvc0_svm_prefault_atomic(svm, buf, NPAGES * PAGE);
   TH_LOG("prefault over a shared page: %s", nvsvm_error_name(ret));
   ASSERT_TRUE(ret == -EOPNOTSUPP && svm->stats.prefault_errors == 1 &&
               svm->stats.prefault_pages == 2 && self->errors == 1 &&
               strstr(self->last, "EOPNOTSUPP"));
}

TEST_F(nvc0, kernel_without_command_falls_back_with_a_named_reason)
{
   struct nvc0_vt_screen *s = &self->screen[0];
   struct nvc0_svm *svm = &s->svm;
   char *buf;
   int ret, ret2;

   ASSERT_FALSE(screen_up(self, s) || !svm->enabled);
   buf = buf_map();
   ASSERT_TRUE(buf);
   ret = knob_set("0");
   if (ret)
      SKIP("cannot set %s: %s", KNOB, nvsvm_error_name(ret));
   ret = nvc0_svm_prefault_atomic(svm, buf, NPAGES * PAGE);
   ret2 = nvc0_svm_prefault_atomic(svm, buf, NPAGES * PAGE);
   knob_set("1");
   TH_LOG("without the command: %s, then %s; log: %s",
          nvsvm_error_name(ret), nvsvm_error_name(ret2), self->last);
   /* Falls back (0), says why once, and does not ask again. */
   ASSERT_TRUE(ret == 0 && ret2 == 0 && svm->prefault_unsupported &&
               svm->stats.prefault_calls == 1 &&
               svm->stats.prefault_pages == 0 && self->errors == 0 &&
               strstr(self->last, "NVSVM_E_ATOMIC_FAULT_UNSUPPORTED") &&
               !nvsvm_pm_swapped(buf));
}

TEST_F(nvc0, launch_converts_atomic_ranges_and_checks_the_others)
{
   struct nvc0_vt_screen *s = &self->screen[0];
   struct nvc0_svm *svm = &s->svm;
   char *atom, *plain;
   unsigned bad;

   ASSERT_FALSE(screen_up(self, s) || !svm->enabled);
   svm->check_ranges = true;
   atom = buf_map();
   plain = buf_map();
   ASSERT_TRUE(atom && plain);
   {
      const void *ptrs[3] = { atom, plain, NULL };
      const size_t sizes[3] = { NPAGES * PAGE, 0, PAGE };
      const bool atomics[3] = { true, true, true };

      bad = nvc0_svm_prepare_launch(svm, 3, ptrs, sizes, atomics);
   }
   TH_LOG("launch: %u bad, %llu pages prefaulted, %llu range warnings",
          bad, (unsigned long long)svm->stats.prefault_pages,
          (unsigned long long)svm->stats.range_warnings);
   /* The sized atomic range converts; the unsized one is checked only;
    * the NULL one is skipped. */
   ASSERT_FALSE(bad || svm->stats.prefault_pages != NPAGES ||
                svm->stats.range_warnings || self->errors);
   for (unsigned i = 0; i < NPAGES; i++) {
      if (!nvsvm_pm_swapped(atom + i * PAGE))
         FAIL("atomic page %u not device-exclusive", i);
   }
   ASSERT_FALSE(nvsvm_pm_swapped(plain));
}

TEST_F(nvc0, launch_on_shared_memory_is_reported_before_it_runs)
{
   struct nvc0_vt_screen *s = &self->screen[0];
   struct nvc0_svm *svm = &s->svm;
   const void *ptrs[1];
   const bool atomics[1] = { false };
   unsigned bad;
   char *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

   ASSERT_FALSE(shared == MAP_FAILED);
   DEFER_MUNMAP(shared, PAGE);
   ASSERT_FALSE(screen_up(self, s) || !svm->enabled);
   svm->check_ranges = true;
   ptrs[0] = shared;
   bad = nvc0_svm_prepare_launch(svm, 1, ptrs, NULL, atomics);
   TH_LOG("launch on MAP_SHARED: %u bad; log: %s", bad, self->last);
   ASSERT_TRUE(bad == 1 && svm->stats.range_warnings == 1 &&
               self->errors == 1 && strstr(self->last, "MAP_SHARED"));
}

TEST_HARNESS_MAIN
