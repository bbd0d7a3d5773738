/* SPDX-License-Identifier: MIT */
/*
 * vsvm scenarios: nouveau's SVM uAPI as the module answers it. Every
 * SVM_INIT and SVM_BIND rejection rule, raw, with the name the library
 * gives the same mistake; the nouveau backend's own SVM_INIT/SVM_BIND
 * paths end to end; and the test-only ioctls' argument checks.
 */

#include <stdint.h>

#include <xf86drm.h>

#include "drm-uapi/vsvm_drm.h"
#include "vt_raw.h"
#include "vt_common.h"

#define MIB (1ull << 20)

static int
raw_bind(int fd, struct drm_nouveau_svm_bind *b)
{
   return drmCommandWriteRead(fd, DRM_NOUVEAU_SVM_BIND, b, sizeof(*b));
}

/* A bind the kernel accepts: migrate [start, end) to VRAM. */
static struct drm_nouveau_svm_bind
good_bind(const void *start, size_t len)
{
   struct drm_nouveau_svm_bind b;

   memset(&b, 0, sizeof(b));
   b.header = (uint64_t)NOUVEAU_SVM_BIND_TARGET__GPU_VRAM
              << NOUVEAU_SVM_BIND_TARGET_SHIFT;
   b.va_start = (uintptr_t)start;
   b.va_end = (uintptr_t)start + len;
   b.npages = len / VT_PAGE;
   return b;
}

static uint64_t
va_size(struct nvsvm_device *dev)
{
   struct nvsvm_device_info info;

   if (nvsvm_device_get_info(dev, &info) != 0)
      return 0;
   return info.va_size;
}

/* ------------------------------------------------------------- SVM_INIT */

/* A window that ends exactly at the advertised VA size fits. */
TEST_F(vsvm_dev, svm_init_window_ending_at_va_size_is_accepted)
{
   struct nvsvm_device *dev = self->dev;
   uint64_t va;

   va = va_size(dev);
   TH_LOG("device VA size 0x%" PRIx64 " (%d bits)", va,
          __builtin_ctzll(va));
   ASSERT_TRUE(va >= (1ull << 32));
   ASSERT_OK(vt_raw_svm_init(nvsvm_device_fd(dev), va - MIB, MIB));
}

/* One byte past the VA size: -EINVAL, and the file stays usable. */
TEST_F(vsvm_dev, svm_init_window_past_va_size_is_einval)
{
   struct nvsvm_device *dev = self->dev;
   uint64_t va;
   int fd;

   va = va_size(dev);
   fd = nvsvm_device_fd(dev);
   ASSERT_RET(vt_raw_svm_init(fd, va - MIB, MIB + 1), -EINVAL);
   TH_LOG("library: %s", nvsvm_svm_init_strerror(-EINVAL));
   ASSERT_TRUE(strstr(nvsvm_svm_init_strerror(-EINVAL), "window"));
   /* A rejected SVM_INIT left nothing behind. */
   ASSERT_OK(vt_raw_svm_init(fd, va - MIB, MIB));
}

/* addr + size wraps around 2^64: -EINVAL, not a tiny window. */
TEST_F(vsvm_dev, svm_init_window_wrapping_is_einval)
{
   struct nvsvm_device *dev = self->dev;

   ASSERT_RET(vt_raw_svm_init(nvsvm_device_fd(dev), UINT64_MAX - 4095,
                              8192), -EINVAL);
}

/* Once per file: a second SVM_INIT is -EBUSY, even with a bad window. */
TEST_F(vsvm, svm_init_second_call_is_ebusy)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_svm_params params = { 0 };
   uint64_t va;
   int fd;

   va = va_size(dev);
   fd = nvsvm_device_fd(dev);
   ASSERT_RET(vt_raw_svm_init(fd, 0, MIB), -EBUSY);
   ASSERT_RET(vt_raw_svm_init(fd, va, MIB), -EBUSY);
   ASSERT_RET(nvsvm_svm_init(dev, &params), -EBUSY);
   TH_LOG("library: %s", nvsvm_svm_init_strerror(-EBUSY));
}

/* ------------------------------------------------------------- SVM_BIND */

/* Before SVM_INIT the kernel says -EINVAL; the library says why. */
TEST_F(vsvm_dev, svm_bind_before_svm_init_is_einval)
{
   struct nvsvm_device *dev = self->dev;
   struct drm_nouveau_svm_bind b;
   void *buf = NULL;

   buf = vt_map(1);
   ASSERT_TRUE(buf);
   b = good_bind(buf, VT_PAGE);
   ASSERT_RET(raw_bind(nvsvm_device_fd(dev), &b), -EINVAL);
   ASSERT_RET(nvsvm_migrate_to_device(dev, buf, VT_PAGE, NULL),
              -NVSVM_E_NO_SVM);
   TH_LOG("kernel: EINVAL; library: %s",
          nvsvm_strerror(-NVSVM_E_NO_SVM));
}

/*
 * One broken field of an otherwise good bind. lib_error is what
 * nvsvm_bind_encode() answers for the same mistake (0: the library
 * cannot even express it, its encoder always writes that field right).
 */
struct bind_rule {
   const char *what;
   void (*mutate)(struct drm_nouveau_svm_bind *b);
   struct nvsvm_bind_req lib_req;   /* relative to va 0x10000 */
   int lib_error;
};

static void
mut_reserved0(struct drm_nouveau_svm_bind *b)
{
   b->reserved0 = 1;
}

static void
mut_reserved1(struct drm_nouveau_svm_bind *b)
{
   b->reserved1 = 1ull << 63;
}

static void
mut_header_bit48(struct drm_nouveau_svm_bind *b)
{
   b->header |= 1ull << 48;
}

static void
mut_va_reversed(struct drm_nouveau_svm_bind *b)
{
   uint64_t t = b->va_start;

   b->va_start = b->va_end;
   b->va_end = t;
}

/* Equal once start is rounded down and end up: still empty. */
static void
mut_va_empty_after_alignment(struct drm_nouveau_svm_bind *b)
{
   b->va_start += 0x10;
   b->va_end = b->va_start - 0x10;
}

static void
mut_command_1(struct drm_nouveau_svm_bind *b)
{
   b->header |= 1;
}

static void
mut_target_cpu(struct drm_nouveau_svm_bind *b)
{
   b->header &= ~((uint64_t)NOUVEAU_SVM_BIND_TARGET_MASK
                  << NOUVEAU_SVM_BIND_TARGET_SHIFT);
}

static void
mut_target_other(struct drm_nouveau_svm_bind *b)
{
   b->header |= 1ull << (NOUVEAU_SVM_BIND_TARGET_SHIFT + 30);
}

static void
mut_stride(struct drm_nouveau_svm_bind *b)
{
   b->stride = VT_PAGE;
}

#define REQ(s, e, c, t, st)                                            \
   { .va_start = (s), .va_end = (e), .command = (c), .target = (t),    \
     .stride = (st) }
#define VRAM NOUVEAU_SVM_BIND_TARGET__GPU_VRAM

static const struct bind_rule rules[] = {
   { "reserved0 != 0", mut_reserved0, REQ(0x10000, 0x11000, 0, VRAM, 0),
     0 },
   { "reserved1 != 0", mut_reserved1, REQ(0x10000, 0x11000, 0, VRAM, 0),
     0 },
   { "header bit 48 set", mut_header_bit48,
     REQ(0x10000, 0x11000, 0, VRAM, 0), 0 },
   { "va_start > va_end", mut_va_reversed,
     REQ(0x11000, 0x10000, 0, VRAM, 0), -NVSVM_E_BIND_EMPTY },
   { "range empty once aligned", mut_va_empty_after_alignment,
     REQ(0x10000, 0x10000, 0, VRAM, 0), -NVSVM_E_BIND_EMPTY },
   { "command 1 with a target (ATOMIC_FAULT takes none)", mut_command_1,
     REQ(0x10000, 0x11000, 1, VRAM, 0), -NVSVM_E_BIND_COMMAND },
   { "target 0 (to host)", mut_target_cpu, REQ(0x10000, 0x11000, 0, 0, 0),
     -NVSVM_E_BIND_TARGET },
   { "target other than GPU_VRAM", mut_target_other,
     REQ(0x10000, 0x11000, 0, VRAM | (1u << 30), 0),
     -NVSVM_E_BIND_TARGET },
   { "stride != 0", mut_stride, REQ(0x10000, 0x11000, 0, VRAM, VT_PAGE),
     -NVSVM_E_BIND_STRIDE },
};

static void
bind_rule_check(struct nvsvm_device *dev, const struct bind_rule *rule)
{
   struct drm_nouveau_svm_bind b, enc;
   struct nvsvm_counters c;
   void *buf = NULL;
   int lib;

   buf = vt_map(2);
   ASSERT_TRUE(buf);
   b = good_bind(buf, 2 * VT_PAGE);
   rule->mutate(&b);
   ASSERT_RET(raw_bind(nvsvm_device_fd(dev), &b), -EINVAL);
   /* Rejected before any migration. */
   ASSERT_OK(nvsvm_device_counters(dev, false, &c, NULL));
   ASSERT_EQ(c.migrate_to_dev, 0);

   lib = nvsvm_bind_encode(&rule->lib_req, &enc);
   if (rule->lib_error) {
      ASSERT_RET(lib, rule->lib_error);
      TH_LOG("%s: kernel EINVAL; library %s: %s", rule->what,
             nvsvm_error_name(lib), nvsvm_strerror(lib));
   } else {
      /* The encoder never produces the broken field. */
      ASSERT_OK(lib);
      ASSERT_EQ(enc.reserved0, 0);
      ASSERT_EQ(enc.reserved1, 0);
      ASSERT_EQ(enc.header & ~NOUVEAU_SVM_BIND_VALID_MASK, 0);
      TH_LOG("%s: kernel EINVAL; the library's encoder always "
             "writes it right", rule->what);
   }
}

#define BIND_RULE(fn, i)                                               \
   TEST_F(vsvm, fn)                                                    \
   {                                                                   \
      bind_rule_check(self->dev, &rules[i]);                           \
   }
BIND_RULE(svm_bind_reserved0_is_einval, 0)
BIND_RULE(svm_bind_reserved1_is_einval, 1)
BIND_RULE(svm_bind_header_bits_above_47_are_einval, 2)
BIND_RULE(svm_bind_va_start_above_va_end_is_einval, 3)
BIND_RULE(svm_bind_range_empty_after_alignment_is_einval, 4)
BIND_RULE(svm_bind_unknown_command_is_einval, 5)
BIND_RULE(svm_bind_target_host_is_einval, 6)
BIND_RULE(svm_bind_unknown_target_is_einval, 7)
BIND_RULE(svm_bind_stride_is_einval, 8)

/*
 * A good bind with unaligned ends: the kernel widens the range to pages
 * (and says so in the copied-back args), migrates it, result 0.
 */
TEST_F(vsvm, svm_bind_aligns_range_migrates_and_sets_result_0)
{
   struct nvsvm_device *dev = self->dev;
   struct drm_nouveau_svm_bind b;
   struct nvsvm_counters c;
   char *buf = NULL;

   buf = vt_map(4);
   ASSERT_TRUE(buf);
   b = good_bind(buf + 5, 3 * VT_PAGE - 12);
   b.result = 12345;
   ASSERT_OK(raw_bind(nvsvm_device_fd(dev), &b));
   ASSERT_EQ(b.va_start, (uintptr_t)buf);
   ASSERT_EQ(b.va_end, (uintptr_t)buf + 3 * VT_PAGE);
   ASSERT_EQ(b.result, 0);
   ASSERT_OK(nvsvm_device_counters(dev, false, &c, NULL));
   ASSERT_EQ(c.migrate_to_dev, 3);
   TH_LOG("widened to [%p, %p), %" PRIu64 " pages migrated, result "
          "%" PRIu64, (void *)(uintptr_t)b.va_start,
          (void *)(uintptr_t)b.va_end, c.migrate_to_dev,
          (uint64_t)b.result);
}

/* Best effort: a range with nothing mapped is accepted, moves nothing. */
TEST_F(vsvm, svm_bind_unmapped_range_succeeds_and_moves_nothing)
{
   struct nvsvm_device *dev = self->dev;
   struct drm_nouveau_svm_bind b;
   struct nvsvm_counters c;
   void *hole = NULL;

   /* Not vt_map(): nothing may unmap this address again afterwards. */
   hole = mmap(NULL, 4 * VT_PAGE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   ASSERT_TRUE(hole != MAP_FAILED);
   munmap(hole, 4 * VT_PAGE);
   b = good_bind(hole, 4 * VT_PAGE);
   hole = NULL;
   ASSERT_OK(raw_bind(nvsvm_device_fd(dev), &b));
   ASSERT_EQ(b.result, 0);
   ASSERT_OK(nvsvm_device_counters(dev, false, &c, NULL));
   ASSERT_EQ(c.migrate_to_dev, 0);
}

/*
 * The nouveau backend's SVM_INIT and SVM_BIND, unchanged, against the
 * module: window reserved and initialised, a second init -EBUSY, migrate
 * to device memory and back with the data intact.
 */
TEST_F(vsvm_dev, nouveau_backend_svm_paths_run_against_vsvm)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_svm_params params = { 0 };
   struct nvsvm_device_info info;
   struct nvsvm_window win;
   struct nvsvm_counters f0, d0, f1, d1;
   const unsigned npages = 8;
   uint64_t *buf = NULL, migrated = 99;

   ASSERT_OK(nvsvm_device_get_info(dev, &info));
   ASSERT_EQ(info.backend, NVSVM_BACKEND_VSVM);
   ASSERT_EQ(strcmp(info.driver, "vsvm"), 0);
   ASSERT_OK(nvsvm_svm_init(dev, &params));
   ASSERT_TRUE(nvsvm_svm_enabled(dev));
   ASSERT_OK(nvsvm_svm_window(dev, &win));
   ASSERT_TRUE(win.reserved);
   ASSERT_LE(win.addr + win.size, info.va_size);
   TH_LOG("%s: backend %s, window [0x%" PRIx64 ", 0x%" PRIx64 ")",
          info.path, nvsvm_backend_name(info.backend), win.addr,
          win.addr + win.size);
   ASSERT_RET(nvsvm_svm_init(dev, &params), -EBUSY);

   buf = vt_map(npages);
   ASSERT_TRUE(buf);
   for (unsigned i = 0; i < npages * VT_PAGE / 8; i++)
      buf[i] = 0x5eed0000ull + i;
   ASSERT_OK(nvsvm_device_counters(dev, false, &f0, &d0));
   ASSERT_OK(nvsvm_migrate_to_device(dev, buf, npages * VT_PAGE, &migrated));
   ASSERT_EQ(migrated, 0);   /* nouveau's result is always 0 */
   ASSERT_OK(nvsvm_migrate_to_host(dev, buf, npages * VT_PAGE, 0));
   ASSERT_OK(nvsvm_device_counters(dev, false, &f1, &d1));
   for (unsigned i = 0; i < npages * VT_PAGE / 8; i++) {
      if (buf[i] != 0x5eed0000ull + i)
         FAIL("word %u: 0x%" PRIx64 " after the round trip", i,
              buf[i]);
   }
   TH_LOG("to device %" PRIu64 " pages, back %" PRIu64 " pages, data "
          "intact", f1.migrate_to_dev - f0.migrate_to_dev,
          d1.migrate_to_ram - d0.migrate_to_ram);
   ASSERT_EQ(f1.migrate_to_dev - f0.migrate_to_dev, npages);
   ASSERT_EQ(d1.migrate_to_ram - d0.migrate_to_ram, npages);
}

/* ------------------------------------------------------ test-only uAPI */

/* nouveau's GETPARAM FB_SIZE is the device memory INFO advertises. */
TEST_F(vsvm_dev, getparam_fb_size_is_the_device_memory)
{
   struct nvsvm_device *dev = self->dev;
   struct drm_vsvm_info info;
   uint64_t gp[2] = { NOUVEAU_GETPARAM_FB_SIZE, 0 };
   uint64_t bad[2] = { NOUVEAU_GETPARAM_PCI_VENDOR, 0 };
   int fd;

   fd = nvsvm_device_fd(dev);
   memset(&info, 0, sizeof(info));
   ASSERT_OK(drmIoctl(fd, DRM_IOCTL_VSVM_INFO, &info) ? -errno : 0);
   ASSERT_OK(drmCommandWriteRead(fd, DRM_NOUVEAU_GETPARAM, gp, sizeof(gp)));
   ASSERT_EQ(gp[1], info.vram_size);
   ASSERT_RET(drmCommandWriteRead(fd, DRM_NOUVEAU_GETPARAM, bad,
                                  sizeof(bad)), -EINVAL);
   TH_LOG("INFO: uAPI %u, %u VA bits, %" PRIu64 " MiB device memory, "
          "%u lanes, %u ops, fault timeout %u ms", info.version,
          info.va_bits, (uint64_t)info.vram_size >> 20, info.max_lanes,
          info.max_ops, info.fault_timeout_ms);
   ASSERT_EQ(info.page_size, 4096);
   ASSERT_EQ(info.va_size, 1ull << info.va_bits);
}

static int
raw_exec(int fd, struct drm_vsvm_op *op, unsigned lanes, unsigned flags)
{
   struct drm_vsvm_lane_result r[2];
   struct drm_vsvm_exec e;

   memset(&e, 0, sizeof(e));
   e.ops_ptr = (uintptr_t)op;
   e.results_ptr = (uintptr_t)r;
   e.nops = 1;
   e.lanes = lanes;
   e.iterations = 1;
   e.flags = flags;
   return drmIoctl(fd, DRM_IOCTL_VSVM_EXEC, &e) ? -errno : 0;
}

/* EXEC checks its program before any lane runs. */
TEST_F(vsvm, exec_rejects_malformed_programs)
{
   struct nvsvm_device *dev = self->dev, *plain;
   uint64_t *buf = NULL;
   struct drm_vsvm_op op;
   int fd;

   plain = vt_open_more(&self->held, false);
   buf = vt_map(1);
   ASSERT_TRUE(buf);
   fd = nvsvm_device_fd(dev);

   memset(&op, 0, sizeof(op));
   op.opcode = DRM_VSVM_OP_ADD;
   op.flags = DRM_VSVM_OP_F_64;
   op.addr = (uintptr_t)buf;
   op.val = 1;
   ASSERT_OK(raw_exec(fd, &op, 1, 0));
   ASSERT_EQ(buf[0], 1);
   /* Without SVM_INIT there is no address space to run in. */
   ASSERT_RET(raw_exec(nvsvm_device_fd(plain), &op, 1, 0), -EINVAL);
   ASSERT_RET(raw_exec(fd, &op, 0, 0), -EINVAL);
   ASSERT_RET(raw_exec(fd, &op, DRM_VSVM_MAX_LANES + 1, 0), -EINVAL);
   ASSERT_RET(raw_exec(fd, &op, 2, DRM_VSVM_EXEC_F_INLINE), -EINVAL);
   ASSERT_RET(raw_exec(fd, &op, 1, 1u << 7), -EINVAL);
   op.addr += 4;   /* an 8-byte access must be 8-byte aligned */
   ASSERT_RET(raw_exec(fd, &op, 1, 0), -EINVAL);
   op.addr -= 4;
   op.iter_stride = 12;   /* ...in every iteration */
   ASSERT_RET(raw_exec(fd, &op, 1, 0), -EINVAL);
   op.iter_stride = 0;
   op.opcode = 99;
   ASSERT_RET(raw_exec(fd, &op, 1, 0), -EINVAL);
   op.opcode = DRM_VSVM_OP_ADD;
   op.flags |= DRM_VSVM_OP_F_SPIN;   /* spinning is for CAS only */
   ASSERT_RET(raw_exec(fd, &op, 1, 0), -EINVAL);
   op.flags = 1u << 9;
   ASSERT_RET(raw_exec(fd, &op, 1, 0), -EINVAL);
   ASSERT_EQ(buf[0], 1);   /* nothing else ran */
}

TEST_HARNESS_MAIN
