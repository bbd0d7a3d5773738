/* SPDX-License-Identifier: MIT */
/*
 * Cases for the harness's own test (check_harness.py): each one does what
 * its name says, and the checker compares the KTAP line the harness
 * printed for it with what the harness promises. Most of them are meant
 * to fail; this binary is never a test by itself.
 */

#include <signal.h>

#include "harness.h"

TEST(passes)
{
   ASSERT_EQ(1 + 1, 2);
}

TEST(assert_fails_and_prints_both_sides)
{
   int two = 2;

   ASSERT_EQ(two, 3);
   TH_LOG("not reached after a failed ASSERT");
}

TEST(expect_fails_and_goes_on)
{
   EXPECT_EQ(1, 2);
   TH_LOG("reached after a failed EXPECT");
}

TEST(skips_naming_the_capability)
{
   SKIP("no /dev/hmm_dmirror0: the HMM test device is not loaded");
}

TEST(skip_without_a_reason_fails)
{
   SKIP("%s", "");
}

TEST(crash_fails_alone)
{
   raise(SIGSEGV);
}

TEST_TIMEOUT(hang_is_killed_at_its_timeout, 1)
{
   for (;;)
      pause();
}

static void
helper_asserts(void)
{
   ASSERT_TRUE(0);
}

TEST(assert_in_a_helper_ends_the_test)
{
   helper_asserts();
   TH_LOG("not reached after a helper's ASSERT");
}

TEST(warns_naming_what_it_could_not_show)
{
   MARK_WARN("no value recorded for kernel %s", "9.9");
   TH_LOG("reached after a warn");
}

TEST(warn_then_fail_is_a_failure)
{
   MARK_WARN("no value recorded");
   ASSERT_TRUE(0);
}

static void
log_release(void *p, uintptr_t n)
{
   TH_LOG("released %s %u", (const char *)p, (unsigned)n);
}

TEST(deferred_releases_run_last_first_after_an_assert)
{
   HARNESS_DEFER(log_release, "first", 1);
   HARNESS_DEFER(log_release, "second", 2);
   ASSERT_TRUE(0);
   TH_LOG("not reached after a failed ASSERT");
}

TEST(guards_run_on_assert_while_the_stack_lives)
{
   char mine[] = "on the stack";

   harness_guard(log_release, mine, 4);
   harness_guard(log_release, "dropped", 5);
   harness_unguard("dropped");
   ASSERT_TRUE(0);
}

FIXTURE(fx)
{
   int value;
   bool set_up;
};

FIXTURE_VARIANT(fx)
{
   int value;
   bool skip_in_setup;
   bool fail_in_setup;
};

FIXTURE_VARIANT_ADD(fx, one) { .value = 1 };
FIXTURE_VARIANT_ADD(fx, two) { .value = 2 };
FIXTURE_VARIANT_ADD(fx, setup_skips) { .value = 3, .skip_in_setup = true };
FIXTURE_VARIANT_ADD(fx, setup_fails) { .value = 4, .fail_in_setup = true };

FIXTURE_SETUP(fx)
{
   TH_LOG("setup %d", variant->value);
   self->value = variant->value;
   if (variant->skip_in_setup)
      SKIP("variant %d has no device", variant->value);
   ASSERT_FALSE(variant->fail_in_setup);
   self->set_up = true;
}

FIXTURE_TEARDOWN(fx)
{
   TH_LOG("teardown %d set_up %d", self->value, self->set_up);
}

TEST_F(fx, sees_its_variant)
{
   ASSERT_EQ(self->value, variant->value);
   TH_LOG("body %d", self->value);
}

TEST_F(fx, assert_fails_then_teardown_runs)
{
   TH_LOG("body %d", self->value);
   ASSERT_EQ(self->value, 0);
}

/* No variants: the test keeps its own name. */
FIXTURE(plain)
{
   int value;
};

FIXTURE_SETUP(plain)
{
   self->value = 7;
   TH_LOG("plain setup");
}

FIXTURE_TEARDOWN(plain)
{
   TH_LOG("plain teardown %d", self->value);
}

TEST_F(plain, keeps_its_own_name)
{
   ASSERT_EQ(self->value, 7);
   TH_LOG("plain body");
}

TEST_F(plain, deferred_releases_run_before_teardown)
{
   HARNESS_DEFER(log_release, "body's", 3);
   TH_LOG("plain body");
}

TEST_HARNESS_MAIN
