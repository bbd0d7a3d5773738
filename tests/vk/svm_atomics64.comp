// SPDX-License-Identifier: MIT
//
// 64-bit device-scope atomics (shaderBufferInt64Atomics): every
// workgroup (one subgroup, uniform control flow, one elected invocation
// doing the atomics) adds iters blocks of NVSVM_VK_ADDS x 1 to one 64-bit counter
// the host threads add to at the same time. Control block, push constants
// and the loop budget as in svm_atomics.comp.
#version 460
#pragma use_vulkan_memory_model
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_shader_atomic_int64 : require

#include "nvsvm_vk_shared.h"

layout(local_size_x_id = NVSVM_VK_SPEC_LOCAL_SIZE) in;

layout(set = 0, binding = 0) devicecoherent buffer Ctl { uint ctl[]; };
layout(set = 0, binding = 1) devicecoherent buffer Words { uint64_t v[]; }
   w[NVSVM_VK_DATA_BUFFERS];

layout(push_constant) uniform Push {
   uint op;
   uint iters;
   uint limit;
   uint slots;
   uint first;
   uint pad0, pad1, pad2;
   uint idx[NVSVM_VK_DATA_BUFFERS]; // 64-bit word index inside w[k]
} pc;

#define SCOPE gl_ScopeDevice
#define SB gl_StorageSemanticsBuffer
#define ACQ (gl_SemanticsAcquire | gl_SemanticsMakeVisible)
#define REL (gl_SemanticsRelease | gl_SemanticsMakeAvailable)
#define RLX gl_SemanticsRelaxed

#define X4(s) s s s s
#define X16(s) X4(X4(s))

void
main()
{
   bool go = false, elected;
   uint c = pc.idx[0];

   // One subgroup per workgroup works (all of it, uniformly).
   if (gl_SubgroupID != 0u)
      return;
   elected = subgroupElect();
   if (elected)
      atomicAdd(ctl[NVSVM_CTL_STARTED], 1u, SCOPE, SB, REL);
   for (uint n = 0u; n < pc.limit; n++) {
      X16(if (!go) go = subgroupBroadcastFirst(atomicLoad(ctl[NVSVM_CTL_GO],
                                               SCOPE, SB, ACQ)) == 1u;)
      if (go || ((n & NVSVM_ABORT_POLL_MASK) == NVSVM_ABORT_POLL_MASK &&
                 subgroupBroadcastFirst(atomicLoad(ctl[NVSVM_CTL_ABORT],
                                                   SCOPE, SB, RLX)) != 0u))
         break;
   }
   if (!go) {
      if (elected) {
         atomicAdd(ctl[NVSVM_CTL_DEV_TIMEOUTS], 1u, SCOPE, SB, RLX);
         atomicStore(ctl[NVSVM_CTL_ABORT], 1u, SCOPE, SB, REL);
      }
      return;
   }
   if (pc.op != NVSVM_OP_INCREMENT) {
      if (elected)
         atomicAdd(ctl[NVSVM_CTL_ERRORS], 1u, SCOPE, SB, RLX);
      return;
   }
   for (uint i = 0u; i < pc.iters; i++) {
      if (elected) {
         X16(atomicAdd(w[0].v[c], uint64_t(1), SCOPE, SB, RLX);)
      }
   }
   if (elected)
      atomicAdd(ctl[NVSVM_CTL_DONE], 1u, SCOPE, SB, REL);
}
