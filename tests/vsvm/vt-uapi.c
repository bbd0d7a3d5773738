/* SPDX-License-Identifier: MIT */
/*
 * vsvm scenarios: nouveau's SVM uAPI as the module answers it. Every
 * SVM_INIT and SVM_BIND rejection rule, raw, with the name the library
 * gives the same mistake; the nouveau backend's own SVM_INIT/SVM_BIND
 * paths end to end; and the test-only ioctls' argument checks.
 */

#include <stdint.h>

#include "drm-uapi/nouveau_drm.h"
#include <xf86drm.h>

#include "drm-uapi/vsvm_drm.h"
#include "vt_common.h"

#define MIB (1ull << 20)

static int
raw_init(int fd, uint64_t addr, uint64_t size)
{
   struct drm_nouveau_svm_init a = {
      .unmanaged_addr = addr,
      .unmanaged_size = size,
   };

   return drmCommandWriteRead(fd, DRM_NOUVEAU_SVM_INIT, &a, sizeof(a));
}

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
static enum piglit_result
svm_init_window_ending_at_va_size_is_accepted(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   uint64_t va;

   (void)ctx;
   VT_OPEN(&dev, false);
   va = va_size(dev);
   piglit_note("device VA size 0x%" PRIx64 " (%d bits)", va,
               __builtin_ctzll(va));
   PG_ASSERT(va >= (1ull << 32));
   PG_OK(raw_init(nvsvm_device_fd(dev), va - MIB, MIB));
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   return res;
}

/* One byte past the VA size: -EINVAL, and the file stays usable. */
static enum piglit_result
svm_init_window_past_va_size_is_einval(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   uint64_t va;
   int fd;

   (void)ctx;
   VT_OPEN(&dev, false);
   va = va_size(dev);
   fd = nvsvm_device_fd(dev);
   PG_ASSERT_RET(raw_init(fd, va - MIB, MIB + 1), -EINVAL);
   piglit_note("library: %s", nvsvm_svm_init_strerror(-EINVAL));
   PG_ASSERT(strstr(nvsvm_svm_init_strerror(-EINVAL), "window"));
   /* A rejected SVM_INIT left nothing behind. */
   PG_OK(raw_init(fd, va - MIB, MIB));
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   return res;
}

/* addr + size wraps around 2^64: -EINVAL, not a tiny window. */
static enum piglit_result
svm_init_window_wrapping_is_einval(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;

   (void)ctx;
   VT_OPEN(&dev, false);
   PG_ASSERT_RET(raw_init(nvsvm_device_fd(dev), UINT64_MAX - 4095, 8192),
                 -EINVAL);
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   return res;
}

/* Once per file: a second SVM_INIT is -EBUSY, even with a bad window. */
static enum piglit_result
svm_init_second_call_is_ebusy(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   struct nvsvm_svm_params params = { 0 };
   uint64_t va;
   int fd;

   (void)ctx;
   VT_OPEN(&dev, true);   /* SVM_INIT through the library */
   va = va_size(dev);
   fd = nvsvm_device_fd(dev);
   PG_ASSERT_RET(raw_init(fd, 0, MIB), -EBUSY);
   PG_ASSERT_RET(raw_init(fd, va, MIB), -EBUSY);
   PG_ASSERT_RET(nvsvm_svm_init(dev, &params), -EBUSY);
   piglit_note("library: %s", nvsvm_svm_init_strerror(-EBUSY));
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   return res;
}

/* ------------------------------------------------------------- SVM_BIND */

/* Before SVM_INIT the kernel says -EINVAL; the library says why. */
static enum piglit_result
svm_bind_before_svm_init_is_einval(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   struct drm_nouveau_svm_bind b;
   void *buf = NULL;

   (void)ctx;
   VT_OPEN(&dev, false);
   buf = vt_map(1);
   PG_ASSERT(buf);
   b = good_bind(buf, VT_PAGE);
   PG_ASSERT_RET(raw_bind(nvsvm_device_fd(dev), &b), -EINVAL);
   PG_ASSERT_RET(nvsvm_migrate_to_device(dev, buf, VT_PAGE, NULL),
                 -NVSVM_E_NO_SVM);
   piglit_note("kernel: EINVAL; library: %s",
               nvsvm_strerror(-NVSVM_E_NO_SVM));
   res = PIGLIT_PASS;
out:
   if (buf)
      munmap(buf, VT_PAGE);
   nvsvm_device_close(dev);
   return res;
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

static enum piglit_result
bind_rule_check(const struct bind_rule *rule)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   struct drm_nouveau_svm_bind b, enc;
   struct nvsvm_counters c;
   void *buf = NULL;
   int lib;

   VT_OPEN(&dev, true);
   buf = vt_map(2);
   PG_ASSERT(buf);
   b = good_bind(buf, 2 * VT_PAGE);
   rule->mutate(&b);
   PG_ASSERT_RET(raw_bind(nvsvm_device_fd(dev), &b), -EINVAL);
   /* Rejected before any migration. */
   PG_OK(nvsvm_device_counters(dev, false, &c, NULL));
   PG_ASSERT_EQ(c.migrate_to_dev, 0);

   lib = nvsvm_bind_encode(&rule->lib_req, &enc);
   if (rule->lib_error) {
      PG_ASSERT_RET(lib, rule->lib_error);
      piglit_note("%s: kernel EINVAL; library %s: %s", rule->what,
                  nvsvm_error_name(lib), nvsvm_strerror(lib));
   } else {
      /* The encoder never produces the broken field. */
      PG_OK(lib);
      PG_ASSERT_EQ(enc.reserved0, 0);
      PG_ASSERT_EQ(enc.reserved1, 0);
      PG_ASSERT_EQ(enc.header & ~NOUVEAU_SVM_BIND_VALID_MASK, 0);
      piglit_note("%s: kernel EINVAL; the library's encoder always "
                  "writes it right", rule->what);
   }
   res = PIGLIT_PASS;
out:
   if (buf)
      munmap(buf, 2 * VT_PAGE);
   nvsvm_device_close(dev);
   return res;
}

#define BIND_RULE(fn, i)                                               \
   static enum piglit_result fn(void *ctx)                             \
   {                                                                   \
      (void)ctx;                                                       \
      return bind_rule_check(&rules[i]);                               \
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
static enum piglit_result
svm_bind_aligns_range_migrates_and_sets_result_0(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   struct drm_nouveau_svm_bind b;
   struct nvsvm_counters c;
   char *buf = NULL;

   (void)ctx;
   VT_OPEN(&dev, true);
   buf = vt_map(4);
   PG_ASSERT(buf);
   b = good_bind(buf + 5, 3 * VT_PAGE - 12);
   b.result = 12345;
   PG_OK(raw_bind(nvsvm_device_fd(dev), &b));
   PG_ASSERT_EQ(b.va_start, (uintptr_t)buf);
   PG_ASSERT_EQ(b.va_end, (uintptr_t)buf + 3 * VT_PAGE);
   PG_ASSERT_EQ(b.result, 0);
   PG_OK(nvsvm_device_counters(dev, false, &c, NULL));
   PG_ASSERT_EQ(c.migrate_to_dev, 3);
   piglit_note("widened to [%p, %p), %" PRIu64 " pages migrated, result "
               "%" PRIu64, (void *)(uintptr_t)b.va_start,
               (void *)(uintptr_t)b.va_end, c.migrate_to_dev,
               (uint64_t)b.result);
   res = PIGLIT_PASS;
out:
   if (buf)
      munmap(buf, 4 * VT_PAGE);
   nvsvm_device_close(dev);
   return res;
}

/* Best effort: a range with nothing mapped is accepted, moves nothing. */
static enum piglit_result
svm_bind_unmapped_range_succeeds_and_moves_nothing(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   struct drm_nouveau_svm_bind b;
   struct nvsvm_counters c;
   void *hole = NULL;

   (void)ctx;
   VT_OPEN(&dev, true);
   hole = vt_map(4);
   PG_ASSERT(hole);
   munmap(hole, 4 * VT_PAGE);
   b = good_bind(hole, 4 * VT_PAGE);
   hole = NULL;
   PG_OK(raw_bind(nvsvm_device_fd(dev), &b));
   PG_ASSERT_EQ(b.result, 0);
   PG_OK(nvsvm_device_counters(dev, false, &c, NULL));
   PG_ASSERT_EQ(c.migrate_to_dev, 0);
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   return res;
}

/*
 * The nouveau backend's SVM_INIT and SVM_BIND, unchanged, against the
 * module: window reserved and initialised, a second init -EBUSY, migrate
 * to device memory and back with the data intact.
 */
static enum piglit_result
nouveau_backend_svm_paths_run_against_vsvm(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   struct nvsvm_svm_params params = { 0 };
   struct nvsvm_device_info info;
   struct nvsvm_window win;
   struct nvsvm_counters f0, d0, f1, d1;
   const unsigned npages = 8;
   uint64_t *buf = NULL, migrated = 99;

   (void)ctx;
   VT_OPEN(&dev, false);
   PG_OK(nvsvm_device_get_info(dev, &info));
   PG_ASSERT_EQ(info.backend, NVSVM_BACKEND_VSVM);
   PG_ASSERT_EQ(strcmp(info.driver, "vsvm"), 0);
   PG_OK(nvsvm_svm_init(dev, &params));
   PG_ASSERT(nvsvm_svm_enabled(dev));
   PG_OK(nvsvm_svm_window(dev, &win));
   PG_ASSERT(win.reserved);
   PG_ASSERT_LE(win.addr + win.size, info.va_size);
   piglit_note("%s: backend %s, window [0x%" PRIx64 ", 0x%" PRIx64 ")",
               info.path, nvsvm_backend_name(info.backend), win.addr,
               win.addr + win.size);
   PG_ASSERT_RET(nvsvm_svm_init(dev, &params), -EBUSY);

   buf = vt_map(npages);
   PG_ASSERT(buf);
   for (unsigned i = 0; i < npages * VT_PAGE / 8; i++)
      buf[i] = 0x5eed0000ull + i;
   PG_OK(nvsvm_device_counters(dev, false, &f0, &d0));
   PG_OK(nvsvm_migrate_to_device(dev, buf, npages * VT_PAGE, &migrated));
   PG_ASSERT_EQ(migrated, 0);   /* nouveau's result is always 0 */
   PG_OK(nvsvm_migrate_to_host(dev, buf, npages * VT_PAGE, 0));
   PG_OK(nvsvm_device_counters(dev, false, &f1, &d1));
   for (unsigned i = 0; i < npages * VT_PAGE / 8; i++) {
      if (buf[i] != 0x5eed0000ull + i)
         PG_FAIL("word %u: 0x%" PRIx64 " after the round trip", i,
                 buf[i]);
   }
   piglit_note("to device %" PRIu64 " pages, back %" PRIu64 " pages, data "
               "intact", f1.migrate_to_dev - f0.migrate_to_dev,
               d1.migrate_to_ram - d0.migrate_to_ram);
   PG_ASSERT_EQ(f1.migrate_to_dev - f0.migrate_to_dev, npages);
   PG_ASSERT_EQ(d1.migrate_to_ram - d0.migrate_to_ram, npages);
   res = PIGLIT_PASS;
out:
   if (buf)
      munmap(buf, npages * VT_PAGE);
   nvsvm_device_close(dev);
   return res;
}

/* ------------------------------------------------------ test-only uAPI */

/* nouveau's GETPARAM FB_SIZE is the device memory INFO advertises. */
static enum piglit_result
getparam_fb_size_is_the_device_memory(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL;
   struct drm_vsvm_info info;
   uint64_t gp[2] = { NOUVEAU_GETPARAM_FB_SIZE, 0 };
   uint64_t bad[2] = { NOUVEAU_GETPARAM_PCI_VENDOR, 0 };
   int fd;

   (void)ctx;
   VT_OPEN(&dev, false);
   fd = nvsvm_device_fd(dev);
   memset(&info, 0, sizeof(info));
   PG_OK(drmIoctl(fd, DRM_IOCTL_VSVM_INFO, &info) ? -errno : 0);
   PG_OK(drmCommandWriteRead(fd, DRM_NOUVEAU_GETPARAM, gp, sizeof(gp)));
   PG_ASSERT_EQ(gp[1], info.vram_size);
   PG_ASSERT_RET(drmCommandWriteRead(fd, DRM_NOUVEAU_GETPARAM, bad,
                                     sizeof(bad)), -EINVAL);
   piglit_note("INFO: uAPI %u, %u VA bits, %" PRIu64 " MiB device memory, "
               "%u lanes, %u ops, fault timeout %u ms", info.version,
               info.va_bits, info.vram_size >> 20, info.max_lanes,
               info.max_ops, info.fault_timeout_ms);
   PG_ASSERT_EQ(info.page_size, 4096);
   PG_ASSERT_EQ(info.va_size, 1ull << info.va_bits);
   res = PIGLIT_PASS;
out:
   nvsvm_device_close(dev);
   return res;
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
static enum piglit_result
exec_rejects_malformed_programs(void *ctx)
{
   enum piglit_result res = PIGLIT_FAIL;
   struct nvsvm_device *dev = NULL, *plain = NULL;
   uint64_t *buf = NULL;
   struct drm_vsvm_op op;
   int fd;

   (void)ctx;
   VT_OPEN(&dev, true);
   VT_OPEN(&plain, false);
   buf = vt_map(1);
   PG_ASSERT(buf);
   fd = nvsvm_device_fd(dev);

   memset(&op, 0, sizeof(op));
   op.opcode = DRM_VSVM_OP_ADD;
   op.flags = DRM_VSVM_OP_F_64;
   op.addr = (uintptr_t)buf;
   op.val = 1;
   PG_OK(raw_exec(fd, &op, 1, 0));
   PG_ASSERT_EQ(buf[0], 1);
   /* Without SVM_INIT there is no address space to run in. */
   PG_ASSERT_RET(raw_exec(nvsvm_device_fd(plain), &op, 1, 0), -EINVAL);
   PG_ASSERT_RET(raw_exec(fd, &op, 0, 0), -EINVAL);
   PG_ASSERT_RET(raw_exec(fd, &op, DRM_VSVM_MAX_LANES + 1, 0), -EINVAL);
   PG_ASSERT_RET(raw_exec(fd, &op, 2, DRM_VSVM_EXEC_F_INLINE), -EINVAL);
   PG_ASSERT_RET(raw_exec(fd, &op, 1, 1u << 7), -EINVAL);
   op.addr += 4;   /* an 8-byte access must be 8-byte aligned */
   PG_ASSERT_RET(raw_exec(fd, &op, 1, 0), -EINVAL);
   op.addr -= 4;
   op.iter_stride = 12;   /* ...in every iteration */
   PG_ASSERT_RET(raw_exec(fd, &op, 1, 0), -EINVAL);
   op.iter_stride = 0;
   op.opcode = 99;
   PG_ASSERT_RET(raw_exec(fd, &op, 1, 0), -EINVAL);
   op.opcode = DRM_VSVM_OP_ADD;
   op.flags |= DRM_VSVM_OP_F_SPIN;   /* spinning is for CAS only */
   PG_ASSERT_RET(raw_exec(fd, &op, 1, 0), -EINVAL);
   op.flags = 1u << 9;
   PG_ASSERT_RET(raw_exec(fd, &op, 1, 0), -EINVAL);
   PG_ASSERT_EQ(buf[0], 1);   /* nothing else ran */
   res = PIGLIT_PASS;
out:
   if (buf)
      munmap(buf, VT_PAGE);
   nvsvm_device_close(plain);
   nvsvm_device_close(dev);
   return res;
}

int
main(int argc, char **argv)
{
#define T(fn) { #fn, fn }
   static const struct piglit_subtest tests[] = {
      T(svm_init_window_ending_at_va_size_is_accepted),
      T(svm_init_window_past_va_size_is_einval),
      T(svm_init_window_wrapping_is_einval),
      T(svm_init_second_call_is_ebusy),
      T(svm_bind_before_svm_init_is_einval),
      T(svm_bind_reserved0_is_einval),
      T(svm_bind_reserved1_is_einval),
      T(svm_bind_header_bits_above_47_are_einval),
      T(svm_bind_va_start_above_va_end_is_einval),
      T(svm_bind_range_empty_after_alignment_is_einval),
      T(svm_bind_unknown_command_is_einval),
      T(svm_bind_target_host_is_einval),
      T(svm_bind_unknown_target_is_einval),
      T(svm_bind_stride_is_einval),
      T(svm_bind_aligns_range_migrates_and_sets_result_0),
      T(svm_bind_unmapped_range_succeeds_and_moves_nothing),
      T(nouveau_backend_svm_paths_run_against_vsvm),
      T(getparam_fb_size_is_the_device_memory),
      T(exec_rejects_malformed_programs),
   };
#undef T

   return piglit_run_subtests(tests, sizeof(tests) / sizeof(tests[0]),
                              NULL, argc, argv);
}
