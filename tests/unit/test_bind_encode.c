/* SPDX-License-Identifier: MIT */
/*
 * SVM_BIND encoding: every field as the kernel reads it, and every rule
 * the kernel rejects with -EINVAL refused here first, by name.
 */

#include <errno.h>

#include <xf86drm.h>
#include "drm-uapi/nouveau_drm.h"

#include "nvsvm/nvsvm.h"
#include "harness.h"
#include "nvsvm_test_dev.h"

#define VA 0x7f0000000000ull

_Static_assert(sizeof(struct drm_nouveau_svm_bind) == 64,
               "SVM_BIND argument is 64 bytes");

static struct nvsvm_bind_req
migrate_req(uint64_t start, uint64_t end)
{
   struct nvsvm_bind_req r = {
      .va_start = start,
      .va_end = end,
      .command = NOUVEAU_SVM_BIND_COMMAND__MIGRATE,
      .target = NOUVEAU_SVM_BIND_TARGET__GPU_VRAM,
   };
   return r;
}

TEST(migrate_to_vram_sets_target_bit_47_and_nothing_else)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA + 0x10000);
   struct drm_nouveau_svm_bind b;

   ASSERT_EQ(nvsvm_bind_encode(&req, &b), 0);
   ASSERT_U64_EQ(b.header, 1ull << 47);
}

TEST(range_fields_are_copied_and_npages_counts_pages)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA + 0x10000);
   struct drm_nouveau_svm_bind b;

   ASSERT_EQ(nvsvm_bind_encode(&req, &b), 0);
   ASSERT_U64_EQ(b.va_start, VA);
   ASSERT_U64_EQ(b.va_end, VA + 0x10000);
   ASSERT_U64_EQ(b.npages, 16);
}

TEST(stride_result_and_reserved_fields_are_zeroed)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA + 4096);
   struct drm_nouveau_svm_bind b;

   memset(&b, 0xff, sizeof(b));
   ASSERT_EQ(nvsvm_bind_encode(&req, &b), 0);
   ASSERT_U64_EQ(b.stride, 0);
   ASSERT_U64_EQ(b.result, 0);
   ASSERT_U64_EQ(b.reserved0, 0);
   ASSERT_U64_EQ(b.reserved1, 0);
   ASSERT_U64_EQ(b.npages, 1);
}

TEST(priority_lands_in_bits_8_to_15)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA + 4096);
   struct drm_nouveau_svm_bind b;

   req.priority = 0xa5;
   ASSERT_EQ(nvsvm_bind_encode(&req, &b), 0);
   ASSERT_U64_EQ(b.header, (1ull << 47) | (0xa5ull << 8));
}

TEST(highest_priority_keeps_header_within_valid_mask)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA + 4096);
   struct drm_nouveau_svm_bind b;

   req.priority = 255;
   ASSERT_EQ(nvsvm_bind_encode(&req, &b), 0);
   ASSERT_U64_EQ(b.header & ~NOUVEAU_SVM_BIND_VALID_MASK, 0);
}

TEST(empty_range_is_refused)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA);
   struct drm_nouveau_svm_bind b;

   ASSERT_EQ(nvsvm_bind_encode(&req, &b), -NVSVM_E_BIND_EMPTY);
}

TEST(reversed_range_is_refused)
{
   struct nvsvm_bind_req req = migrate_req(VA + 8192, VA);
   struct drm_nouveau_svm_bind b;

   ASSERT_EQ(nvsvm_bind_encode(&req, &b), -NVSVM_E_BIND_EMPTY);
}

TEST(unaligned_start_is_refused)
{
   struct nvsvm_bind_req req = migrate_req(VA + 8, VA + 8192);
   struct drm_nouveau_svm_bind b;

   ASSERT_EQ(nvsvm_bind_encode(&req, &b), -NVSVM_E_BIND_UNALIGNED);
}

TEST(unaligned_end_is_refused)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA + 100);
   struct drm_nouveau_svm_bind b;

   ASSERT_EQ(nvsvm_bind_encode(&req, &b), -NVSVM_E_BIND_UNALIGNED);
}

TEST(unknown_command_is_refused)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA + 4096);
   struct drm_nouveau_svm_bind b;

   req.command = 1;
   ASSERT_EQ(nvsvm_bind_encode(&req, &b), -NVSVM_E_BIND_COMMAND);
}

/* What Mesa sends for to-host today; the kernel rejects it. */
TEST(target_zero_for_host_is_refused)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA + 4096);
   struct drm_nouveau_svm_bind b;

   req.target = 0;
   ASSERT_EQ(nvsvm_bind_encode(&req, &b), -NVSVM_E_BIND_TARGET);
}

TEST(unknown_target_is_refused)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA + 4096);
   struct drm_nouveau_svm_bind b;

   req.target = 1u << 30;
   ASSERT_EQ(nvsvm_bind_encode(&req, &b), -NVSVM_E_BIND_TARGET);
}

TEST(priority_over_8_bits_is_refused)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA + 4096);
   struct drm_nouveau_svm_bind b;

   req.priority = 256;
   ASSERT_EQ(nvsvm_bind_encode(&req, &b), -NVSVM_E_BIND_PRIORITY);
}

TEST(nonzero_stride_is_refused)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA + 4096);
   struct drm_nouveau_svm_bind b;

   req.stride = 4096;
   ASSERT_EQ(nvsvm_bind_encode(&req, &b), -NVSVM_E_BIND_STRIDE);
}

TEST(null_arguments_are_einval)
{
   struct nvsvm_bind_req req = migrate_req(VA, VA + 4096);
   struct drm_nouveau_svm_bind b;

   ASSERT_EQ(nvsvm_bind_encode(NULL, &b), -EINVAL);
   ASSERT_EQ(nvsvm_bind_encode(&req, NULL), -EINVAL);
}

TEST(migrate_to_device_before_svm_init_is_refused)
{
   struct nvsvm_device *dev = nvsvm_test_devnull_nouveau();
   static char buf[8192];
   int ret;

   ASSERT_TRUE(dev != NULL);
   ret = nvsvm_migrate_to_device(dev, buf, sizeof(buf), NULL);
   nvsvm_device_close(dev);
   ASSERT_EQ(ret, -NVSVM_E_NO_SVM);
}

/* The ioctl reaches the kernel and its error comes back, not dropped. */
TEST(migrate_to_device_returns_the_kernel_error)
{
   struct nvsvm_device *dev = nvsvm_test_devnull_nouveau();
   static char buf[8192];
   uint64_t migrated = 12345;
   int ret;

   ASSERT_TRUE(dev != NULL);
   dev->svm_enabled = true;
   ret = nvsvm_migrate_to_device(dev, buf, sizeof(buf), &migrated);
   nvsvm_device_close(dev);
   ASSERT_EQ(ret, -ENOTTY);
   ASSERT_U64_EQ(migrated, 12345);
}

TEST(migrate_to_device_of_zero_bytes_is_empty)
{
   struct nvsvm_device *dev = nvsvm_test_devnull_nouveau();
   static char buf[16];
   int ret;

   ASSERT_TRUE(dev != NULL);
   ret = nvsvm_migrate_to_device(dev, buf, 0, NULL);
   nvsvm_device_close(dev);
   ASSERT_EQ(ret, -NVSVM_E_BIND_EMPTY);
}

TEST_HARNESS_MAIN
