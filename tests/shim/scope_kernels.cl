/* SPDX-License-Identifier: MIT */
/*
 * Kernels whose nvc0 IR shows which memory barrier each OpenCL scope gets.
 * all_svm_devices must order memory with the host (MEMBAR.SYS); device and
 * work-group scopes must keep their GL and CTA barriers; relaxed atomics
 * need no barrier at all. Built with -cl-std=CL2.0, where every scope is
 * part of the language, and -DKERNEL_<name>: one kernel per program, so
 * that each log holds one kernel and a kernel the compiler rejects does
 * not take the others with it.
 */

#ifdef KERNEL_atomic_acq_rel_all_svm
kernel void
atomic_acq_rel_all_svm(global atomic_uint *p)
{
   atomic_fetch_add_explicit(p, 1u, memory_order_acq_rel,
                             memory_scope_all_svm_devices);
}
#endif

#ifdef KERNEL_fence_release_all_svm
kernel void
fence_release_all_svm(global uint *p)
{
   p[0] = 1u;
   atomic_work_item_fence(CLK_GLOBAL_MEM_FENCE, memory_order_release,
                          memory_scope_all_svm_devices);
   p[1] = 1u;
}
#endif

#ifdef KERNEL_atomic_acq_rel_device
kernel void
atomic_acq_rel_device(global atomic_uint *p)
{
   atomic_fetch_add_explicit(p, 1u, memory_order_acq_rel,
                             memory_scope_device);
}
#endif

#ifdef KERNEL_fence_release_work_group
kernel void
fence_release_work_group(global uint *p)
{
   p[0] = 1u;
   atomic_work_item_fence(CLK_GLOBAL_MEM_FENCE, memory_order_release,
                          memory_scope_work_group);
   p[1] = 1u;
}
#endif

#ifdef KERNEL_atomic_relaxed_all_svm
kernel void
atomic_relaxed_all_svm(global atomic_uint *p)
{
   atomic_fetch_add_explicit(p, 1u, memory_order_relaxed,
                             memory_scope_all_svm_devices);
}
#endif
