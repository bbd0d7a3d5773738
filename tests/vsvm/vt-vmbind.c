/* SPDX-License-Identifier: MIT */
/*
 * vsvm scenarios: SVM for VM_BIND clients. VM_INIT with the SVM window
 * (struct drm_vsvm_vm_init, the design in docs/uapi.md): its rules and
 * errnos, VM_BIND kept inside the window, device accesses inside the
 * window served from the bound object, device atomics outside it on the
 * process's own memory exact against CPU threads, SVM_INIT alone
 * unchanged, and the library's nvsvm_vm_init() on top of it.
 */

#include <stdint.h>

#include <xf86drm.h>

#include "drm-uapi/vsvm_drm.h"
#include "vt_raw.h"
#include "vt_race.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

/*
 * The unmanaged window: 4 GiB at 1 TiB, where no x86-64 process maps
 * anything by itself (the heap starts near 85 TiB, mmap works down from
 * 128 TiB). The kernel-managed region is its first MiB.
 */
#define WIN_ADDR (1ull << 40)
#define WIN_SIZE (4 * GIB)
#define KERN_ADDR WIN_ADDR
#define KERN_SIZE MIB
/* Where a scenario binds its object: past the kernel-managed region. */
#define BIND_ADDR (WIN_ADDR + 2 * MIB)

static int
vm_init(int fd, uint64_t kaddr, uint64_t ksize, uint64_t flags,
        uint64_t waddr, uint64_t wsize)
{
   struct drm_vsvm_vm_init a = {
      .kernel_managed_addr = kaddr,
      .kernel_managed_size = ksize,
      .flags = flags,
      .unmanaged_addr = waddr,
      .unmanaged_size = wsize,
   };

   return drmCommandWriteRead(fd, DRM_VSVM_VM_INIT, &a, sizeof(a));
}

/* The layout every scenario uses unless it is about another one. */
static int
vm_init_svm(int fd)
{
   return vm_init(fd, KERN_ADDR, KERN_SIZE, DRM_VSVM_VM_INIT_SVM,
                  WIN_ADDR, WIN_SIZE);
}

/* GEM_NEW: a zeroed object of size bytes; its handle and mmap offset. */
static int
gem_new(int fd, uint64_t size, uint32_t *handle, uint64_t *map_handle)
{
   struct drm_nouveau_gem_new a;
   int ret;

   memset(&a, 0, sizeof(a));
   a.info.size = size;
   a.info.domain = NOUVEAU_GEM_DOMAIN_GART;
   ret = drmCommandWriteRead(fd, DRM_NOUVEAU_GEM_NEW, &a, sizeof(a));
   if (ret)
      return ret;
   *handle = a.info.handle;
   if (map_handle)
      *map_handle = a.info.map_handle;
   return 0;
}

/* One synchronous VM_BIND op. */
static int
vm_bind(int fd, uint32_t op, uint32_t handle, uint64_t addr,
        uint64_t bo_offset, uint64_t range, uint32_t bind_flags)
{
   struct drm_nouveau_vm_bind_op o = {
      .op = op,
      .handle = handle,
      .addr = addr,
      .bo_offset = bo_offset,
      .range = range,
   };
   struct drm_nouveau_vm_bind b = {
      .op_count = 1,
      .flags = bind_flags,
      .op_ptr = (uintptr_t)&o,
   };

   return drmCommandWriteRead(fd, DRM_NOUVEAU_VM_BIND, &b, sizeof(b));
}

/* One lane, one 64-bit access per iteration, iter_stride apart. */
static int
exec_one(struct nvsvm_device *dev, uint32_t opcode, uint64_t addr,
         uint64_t iter_stride, uint64_t iterations, uint64_t val,
         uint64_t *out, struct nvsvm_exec *e)
{
   struct nvsvm_exec_op op = vt_op(opcode, (const void *)(uintptr_t)addr,
                                   0, val);
   static struct nvsvm_lane_result res;
   int ret;

   op.iter_stride = iter_stride;
   op.out = out;
   memset(e, 0, sizeof(*e));
   e->ops = &op;
   e->nops = 1;
   e->lanes = 1;
   e->iterations = iterations;
   e->timeout_ms = 30000;
   e->results = &res;
   ret = nvsvm_device_exec(dev, e);
   e->ops = NULL;
   return ret;
}

/* ------------------------------------------------------------ VM_INIT */

/* The design's layout: kernel region inside the window, SVM flag set. */
TEST_F(vsvm_dev, vm_init_with_svm_window_is_accepted)
{
   ASSERT_OK(vm_init_svm(nvsvm_device_fd(self->dev)));
}

/*
 * The window must contain the kernel-managed region (the kernel's own
 * objects are not mirrored either): one sticking out of it, or lying
 * beside it, is -EINVAL, and a refused VM_INIT leaves nothing behind.
 */
TEST_F(vsvm_dev, vm_init_window_not_holding_kernel_region_is_einval)
{
   int fd = nvsvm_device_fd(self->dev);

   ASSERT_RET(vm_init(fd, WIN_ADDR - MIB, 2 * MIB, DRM_VSVM_VM_INIT_SVM,
                      WIN_ADDR, WIN_SIZE), -EINVAL);
   ASSERT_RET(vm_init(fd, WIN_ADDR + WIN_SIZE - MIB, 2 * MIB,
                      DRM_VSVM_VM_INIT_SVM, WIN_ADDR, WIN_SIZE), -EINVAL);
   ASSERT_RET(vm_init(fd, 2 * WIN_ADDR, MIB, DRM_VSVM_VM_INIT_SVM,
                      WIN_ADDR, WIN_SIZE), -EINVAL);
   ASSERT_OK(vm_init_svm(fd));
}

/* Unknown flags, and window fields without the flag: -EINVAL. */
TEST_F(vsvm_dev, vm_init_unknown_flag_or_stray_window_is_einval)
{
   int fd = nvsvm_device_fd(self->dev);

   ASSERT_RET(vm_init(fd, KERN_ADDR, KERN_SIZE, 2, 0, 0), -EINVAL);
   ASSERT_RET(vm_init(fd, KERN_ADDR, KERN_SIZE, 0, WIN_ADDR, WIN_SIZE),
              -EINVAL);
   /* Without the flag it is nouveau's plain VM_INIT. */
   ASSERT_OK(vm_init(fd, KERN_ADDR, KERN_SIZE, 0, 0, 0));
}

/* A window past the device VA space: -EINVAL, as SVM_INIT's. */
TEST_F(vsvm_dev, vm_init_window_past_va_size_is_einval)
{
   int fd = nvsvm_device_fd(self->dev);
   struct nvsvm_device_info info;

   ASSERT_OK(nvsvm_device_get_info(self->dev, &info));
   ASSERT_RET(vm_init(fd, 0, 0, DRM_VSVM_VM_INIT_SVM, info.va_size - MIB,
                      MIB + 4096), -EINVAL);
}

/* One model per file: SVM_INIT after VM_INIT is -EBUSY, and so back. */
TEST_F(vsvm_dev, svm_init_after_vm_init_is_ebusy)
{
   int fd = nvsvm_device_fd(self->dev);

   ASSERT_OK(vm_init(fd, KERN_ADDR, KERN_SIZE, 0, 0, 0));
   ASSERT_RET(vt_raw_svm_init(fd, WIN_ADDR, WIN_SIZE), -EBUSY);
}

TEST_F(vsvm_dev, vm_init_after_svm_init_is_ebusy)
{
   int fd = nvsvm_device_fd(self->dev);

   ASSERT_OK(vt_raw_svm_init(fd, WIN_ADDR, WIN_SIZE));
   ASSERT_RET(vm_init_svm(fd), -EBUSY);
}

/* Twice: -EBUSY (nouveau does not check; vsvm does, as SVM_INIT). */
TEST_F(vsvm_dev, vm_init_second_call_is_ebusy)
{
   int fd = nvsvm_device_fd(self->dev);

   ASSERT_OK(vm_init_svm(fd));
   ASSERT_RET(vm_init_svm(fd), -EBUSY);
}

/* nouveau's rule: a buffer object before VM_INIT rules it out. */
TEST_F(vsvm_dev, vm_init_after_gem_new_is_enosys)
{
   int fd = nvsvm_device_fd(self->dev);
   uint32_t handle;

   ASSERT_OK(gem_new(fd, 4096, &handle, NULL));
   ASSERT_RET(vm_init_svm(fd), -ENOSYS);
}

/* ------------------------------------------------------------ VM_BIND */

TEST_F(vsvm_dev, vm_bind_before_vm_init_is_enosys)
{
   int fd = nvsvm_device_fd(self->dev);
   uint32_t handle;

   ASSERT_OK(gem_new(fd, 4096, &handle, NULL));
   ASSERT_RET(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle, BIND_ADDR,
                      0, 4096, 0), -ENOSYS);
}

/*
 * Outside the window is the process's mirrored memory: a MAP there, or
 * one straddling the window's end, is -EINVAL, as is one over the
 * kernel-managed region. Inside, the same object maps.
 */
TEST_F(vsvm_dev, vm_bind_map_outside_window_is_einval)
{
   int fd = nvsvm_device_fd(self->dev);
   uint32_t handle;

   ASSERT_OK(vm_init_svm(fd));
   ASSERT_OK(gem_new(fd, 2 * 4096, &handle, NULL));
   ASSERT_RET(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle,
                      WIN_ADDR + WIN_SIZE, 0, 4096, 0), -EINVAL);
   ASSERT_RET(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle,
                      WIN_ADDR + WIN_SIZE - 4096, 0, 2 * 4096, 0),
              -EINVAL);
   ASSERT_RET(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle, KERN_ADDR,
                      0, 4096, 0), -EINVAL);
   ASSERT_OK(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle, BIND_ADDR, 0,
                     2 * 4096, 0));
}

/* No job queue on vsvm: an asynchronous bind is a named -EOPNOTSUPP. */
TEST_F(vsvm_dev, vm_bind_async_is_eopnotsupp)
{
   int fd = nvsvm_device_fd(self->dev);
   uint32_t handle;

   ASSERT_OK(vm_init_svm(fd));
   ASSERT_OK(gem_new(fd, 4096, &handle, NULL));
   ASSERT_RET(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle, BIND_ADDR,
                      0, 4096, DRM_NOUVEAU_VM_BIND_RUN_ASYNC),
              -EOPNOTSUPP);
}

/* ------------------------------------------------------ device access */

/*
 * The object bound in the window is what the device reads there, not
 * the process's memory at the same address: the CPU fills the object
 * (through its mmap) with one pattern and its own page at BIND_ADDR
 * with another; device loads return the object's. A device store lands
 * in the object. After UNMAP the same load is cancelled (-EFAULT kills
 * the channel), not served from the process's page.
 */
TEST_F(vsvm_dev, device_reads_bo_through_vm_bind_mapping)
{
   struct nvsvm_device *dev = self->dev;
   int fd = nvsvm_device_fd(dev);
   uint64_t out[16], map_handle;
   uint64_t *bo, *cpu;
   struct nvsvm_exec e;
   uint32_t handle;
   int ret;

   ASSERT_OK(vm_init_svm(fd));
   ASSERT_OK(gem_new(fd, 16 * 4096, &handle, &map_handle));
   bo = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
             map_handle);
   ASSERT_TRUE(bo != MAP_FAILED);
   DEFER_MUNMAP(bo, 16 * 4096);
   cpu = mmap((void *)(uintptr_t)BIND_ADDR, 16 * 4096,
              PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
   ASSERT_TRUE(cpu == (void *)(uintptr_t)BIND_ADDR);
   DEFER_MUNMAP(cpu, 16 * 4096);
   for (unsigned i = 0; i < 16; i++) {
      bo[i * 512] = 0xb0b0000000000000ull | i;
      cpu[i * 512] = 0xc0c0000000000000ull | i;
   }
   ASSERT_OK(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle, BIND_ADDR, 0,
                     16 * 4096, 0));

   memset(out, 0, sizeof(out));
   ret = exec_one(dev, NVSVM_EXEC_LOAD, BIND_ADDR, 4096, 16, 0, out, &e);
   vt_report_exec("load through the mapping", &e, ret);
   ASSERT_OK(ret);
   for (unsigned i = 0; i < 16; i++)
      ASSERT_EQ(out[i], 0xb0b0000000000000ull | i);
   /* Served from the object: no HMM fault, nothing converted. */
   ASSERT_EQ(e.delta.faults_read, 0);

   ret = exec_one(dev, NVSVM_EXEC_STORE, BIND_ADDR + 8, 4096, 16, 7, NULL,
                  &e);
   ASSERT_OK(ret);
   for (unsigned i = 0; i < 16; i++) {
      ASSERT_EQ(bo[i * 512 + 1], 7);
      ASSERT_EQ(cpu[i * 512 + 1], 0);
   }

   ASSERT_OK(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_UNMAP, 0, BIND_ADDR, 0,
                     16 * 4096, 0));
   ret = exec_one(dev, NVSVM_EXEC_LOAD, BIND_ADDR, 4096, 1, 0, out, &e);
   vt_report_exec("load after unmap", &e, ret);
   ASSERT_RET(ret, -EIO);
   ASSERT_RET(e.fault_status, -EFAULT);
   ASSERT_EQ(e.fault_addr, BIND_ADDR);
}

/*
 * A second mapping of the same object at another window address, at an
 * offset into it: both reach the same pages.
 */
TEST_F(vsvm_dev, two_mappings_of_one_bo_share_its_pages)
{
   struct nvsvm_device *dev = self->dev;
   int fd = nvsvm_device_fd(dev);
   uint64_t out[4];
   struct nvsvm_exec e;
   uint32_t handle;

   ASSERT_OK(vm_init_svm(fd));
   ASSERT_OK(gem_new(fd, 8 * 4096, &handle, NULL));
   ASSERT_OK(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle, BIND_ADDR, 0,
                     8 * 4096, 0));
   ASSERT_OK(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle,
                     BIND_ADDR + MIB, 4 * 4096, 4 * 4096, 0));
   ASSERT_OK(exec_one(dev, NVSVM_EXEC_STORE, BIND_ADDR + 4 * 4096, 4096,
                      4, 0x5eed, NULL, &e));
   memset(out, 0, sizeof(out));
   ASSERT_OK(exec_one(dev, NVSVM_EXEC_LOAD, BIND_ADDR + MIB, 4096, 4, 0,
                      out, &e));
   for (unsigned i = 0; i < 4; i++)
      ASSERT_EQ(out[i], 0x5eed);
   /* Mapping over a mapping is not this subset's: -EEXIST. */
   ASSERT_RET(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle, BIND_ADDR, 0,
                      4096, 0), -EEXIST);
}

/* A load on window VA with nothing bound is cancelled, not mirrored. */
TEST_F(vsvm_dev, unbound_window_access_is_cancelled)
{
   struct nvsvm_device *dev = self->dev;
   uint64_t out[1];
   struct nvsvm_exec e;
   int ret;

   ASSERT_OK(vm_init_svm(nvsvm_device_fd(dev)));
   ret = exec_one(dev, NVSVM_EXEC_LOAD, BIND_ADDR, 0, 1, 0, out, &e);
   vt_report_exec("unbound window VA", &e, ret);
   ASSERT_RET(ret, -EIO);
   ASSERT_RET(e.fault_status, -EFAULT);
   ASSERT_EQ(e.delta.faults_read, 0);
}

/* ---------------------------------------- atomics outside the window */

#define ITERATIONS 20000ull
#define CPU_ADDS_MIN 100000ull

/*
 * A VM_INIT client's mirrored part is SVM as after SVM_INIT: device
 * atomics on the process's own page (outside the window) against CPU
 * threads adding to the same counters lose nothing, and the page moved
 * between CPU and device more than once (device-exclusive, taken back).
 */
TEST_F(vsvm_dev, atomics_outside_window_stay_exact_against_cpu)
{
   struct nvsvm_device *dev = self->dev;
   struct vt_race r;
   uint64_t *page;

   ASSERT_OK(vm_init_svm(nvsvm_device_fd(dev)));
   page = vt_map(1);
   ASSERT_TRUE(page);
   ASSERT_TRUE((uintptr_t)page >= WIN_ADDR + WIN_SIZE ||
               (uintptr_t)page + 4096 <= WIN_ADDR);

   /* Four counters on the page; every CPU thread adds to all four. */
   memset(&r, 0, sizeof(r));
   r.dev = dev;
   r.lane_words = page;
   r.lane_stride = 64;
   r.iterations = ITERATIONS;
   for (unsigned t = 0; t < VT_RACE_CPU_THREADS; t++) {
      r.cpu[t].nwords = VT_RACE_LANES;
      for (unsigned i = 0; i < VT_RACE_LANES; i++)
         r.cpu[t].words[i] = &page[i * 8];
      r.cpu[t].min_ops = CPU_ADDS_MIN / VT_RACE_CPU_THREADS;
   }
   ASSERT_OK(vt_race_run(&r));
   vt_report_exec("atomics outside the window", &r.exec, r.ret);
   ASSERT_OK(r.ret);

   for (unsigned i = 0; i < VT_RACE_LANES; i++) {
      uint64_t want = ITERATIONS;

      ASSERT_EQ(r.results[i].ops, ITERATIONS);
      for (unsigned t = 0; t < VT_RACE_CPU_THREADS; t++) {
         ASSERT_TRUE(!r.cpu[t].timed_out);
         want += r.cpu[t].adds[i];
      }
      if (page[i * 8] != want)
         FAIL("counter %u = %" PRIu64 ", adds made %" PRIu64
              ": %" PRId64 " lost", i, page[i * 8], want,
              (int64_t)(want - page[i * 8]));
   }
   TH_LOG("counters exact; conversions %" PRIu64, r.exec.delta.conversions);
   ASSERT_EQ(r.exec.delta.kills, 0);
   ASSERT_GT(r.exec.delta.conversions, 1);
}

/* ------------------------------------------- SVM_INIT alone unchanged */

/*
 * Without VM_INIT nothing changes: SVM_INIT's window is unreachable to
 * the device (cancelled), VM_BIND has no address space (-ENOSYS), and
 * memory outside the window is mirrored.
 */
TEST_F(vsvm_dev, svm_init_without_vm_init_keeps_todays_rules)
{
   struct nvsvm_device *dev = self->dev;
   int fd = nvsvm_device_fd(dev);
   uint64_t out[1];
   struct nvsvm_exec e;
   uint64_t *page;
   uint32_t handle;
   int ret;

   ASSERT_OK(vt_raw_svm_init(fd, WIN_ADDR, WIN_SIZE));
   ASSERT_OK(gem_new(fd, 4096, &handle, NULL));
   ASSERT_RET(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle, BIND_ADDR,
                      0, 4096, 0), -ENOSYS);
   ret = exec_one(dev, NVSVM_EXEC_LOAD, BIND_ADDR, 0, 1, 0, out, &e);
   ASSERT_RET(ret, -EIO);
   ASSERT_RET(e.fault_status, -EFAULT);

   page = vt_map(1);
   ASSERT_TRUE(page);
   page[0] = 42;
   ASSERT_OK(exec_one(dev, NVSVM_EXEC_LOAD, (uintptr_t)page, 0, 1, 0, out,
                      &e));
   ASSERT_EQ(out[0], 42);
   ASSERT_EQ(e.delta.faults_read, 1);
}

/* --------------------------------------- the library: nvsvm_vm_init() */

/* The layout the library scenarios ask for: the test window, 1 MiB kernel. */
static const struct nvsvm_vm_params lib_params = {
   .kernel_managed_size = MIB,
   .window_size = WIN_SIZE,
   .window_hint = WIN_ADDR,
};

/* Whether [addr, addr + 4 KiB) is free in our mm (then left free). */
static bool
cpu_va_free(uint64_t addr)
{
   void *p = mmap((void *)(uintptr_t)addr, 4096, PROT_NONE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

   if (p == MAP_FAILED)
      return false;
   munmap(p, 4096);
   return p == (void *)(uintptr_t)addr;
}

/*
 * nvsvm_vm_init() reserves the window in our mm, puts the kernel-managed
 * region at its top, and the kernel gets that window: VM_BIND works in
 * it and not outside, the device reads the process's memory elsewhere,
 * and SVM_INIT on top is -EBUSY.
 */
TEST_F(vsvm_dev, library_vm_init_reserves_the_window_and_mirrors_the_rest)
{
   struct nvsvm_device *dev = self->dev;
   int fd = nvsvm_device_fd(dev);
   struct nvsvm_svm_params sp = { 0 };
   struct nvsvm_vm_layout lay;
   struct nvsvm_window w;
   uint64_t out[1] = { 0 };
   struct nvsvm_exec e;
   uint32_t handle;
   uint64_t *page;
   int ret;

   ASSERT_OK(nvsvm_vm_init(dev, &lib_params, &lay));
   ASSERT_U64_EQ(lay.window.addr, WIN_ADDR);
   ASSERT_U64_EQ(lay.window.size, WIN_SIZE);
   ASSERT_U64_EQ(lay.kernel_managed_addr, WIN_ADDR + WIN_SIZE - MIB);
   ASSERT_U64_EQ(lay.kernel_managed_size, MIB);
   ASSERT_TRUE(nvsvm_svm_enabled(dev));
   ASSERT_OK(nvsvm_svm_window(dev, &w));
   ASSERT_U64_EQ(w.addr, WIN_ADDR);
   /* The CPU cannot land a pointer in the window. */
   ASSERT_FALSE(cpu_va_free(WIN_ADDR + 2 * MIB));

   ASSERT_OK(gem_new(fd, 4096, &handle, NULL));
   ASSERT_OK(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle, BIND_ADDR, 0,
                     4096, 0));
   ASSERT_RET(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle,
                      WIN_ADDR + WIN_SIZE, 0, 4096, 0), -EINVAL);
   /* The kernel's region is the window's top MiB, not the client's. */
   ASSERT_RET(vm_bind(fd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle,
                      lay.kernel_managed_addr, 0, 4096, 0), -EINVAL);

   page = vt_map(1);
   ASSERT_TRUE(page);
   page[0] = 0x5eed;
   ret = exec_one(dev, NVSVM_EXEC_LOAD, (uintptr_t)page, 0, 1, 0, out, &e);
   vt_report_exec("load of process memory", &e, ret);
   ASSERT_OK(ret);
   ASSERT_U64_EQ(out[0], 0x5eed);
   ASSERT_GE(e.delta.faults_read, 1);

   ASSERT_RET(nvsvm_svm_init(dev, &sp), -EBUSY);
   ASSERT_RET(nvsvm_vm_init(dev, &lib_params, &lay), -EBUSY);
}

/*
 * A kernel from before the extension ignores the flag: VM_INIT succeeds
 * and nothing is mirrored (shown on a second file, where VM_BIND then
 * maps far outside the "window"). The library asks first, refuses by
 * name, issues no VM_INIT (a plain one still succeeds on that file) and
 * keeps no window.
 */
TEST_F(vsvm_dev, library_vm_init_refuses_a_kernel_that_cannot_confirm_it)
{
   struct nvsvm_device *dev = self->dev, *old;
   struct nvsvm_vm_layout lay;
   uint32_t handle;
   int ofd;

   if (vt_knob_override(&self->held, "vm_init_svm", 0))
      SKIP("cannot set vsvm's vm_init_svm parameter (needs root and a "
           "vsvm.ko with it)");
   old = vt_open_more(&self->held, false);
   ofd = nvsvm_device_fd(old);
   ASSERT_OK(vm_init_svm(ofd));
   ASSERT_OK(gem_new(ofd, 4096, &handle, NULL));
   ASSERT_OK(vm_bind(ofd, DRM_NOUVEAU_VM_BIND_OP_MAP, handle,
                     WIN_ADDR + WIN_SIZE, 0, 4096, 0));

   ASSERT_RET(nvsvm_vm_init(dev, &lib_params, &lay),
              -NVSVM_E_VM_INIT_UNCONFIRMED);
   ASSERT_FALSE(nvsvm_svm_enabled(dev));
   ASSERT_U64_EQ(lay.window.size, 0);
   ASSERT_TRUE(cpu_va_free(WIN_ADDR));
   ASSERT_OK(vm_init(nvsvm_device_fd(dev), KERN_ADDR, KERN_SIZE, 0, 0, 0));
}

/* A VM_INIT the kernel refuses (here: the second one) keeps no window. */
TEST_F(vsvm_dev, library_vm_init_refused_by_the_kernel_keeps_no_window)
{
   struct nvsvm_device *dev = self->dev;
   struct nvsvm_vm_layout lay;

   ASSERT_OK(vm_init(nvsvm_device_fd(dev), KERN_ADDR, KERN_SIZE, 0, 0, 0));
   ASSERT_RET(nvsvm_vm_init(dev, &lib_params, &lay), -EBUSY);
   ASSERT_FALSE(nvsvm_svm_enabled(dev));
   ASSERT_TRUE(cpu_va_free(WIN_ADDR));
}

TEST_HARNESS_MAIN
