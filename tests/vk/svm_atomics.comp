// SPDX-License-Identifier: MIT
//
// Device side of the Vulkan ping-pong scenarios: one shader, the scenario
// chosen by the push constant "op". Each workgroup is one subgroup in
// uniform control flow, one elected invocation doing the stores and
// atomics (nvsvm_vk_shared.h). Every wait is bounded twice: by the host's
// abort word and by an iteration limit the host passes in. Long loops run
// in unrolled blocks (NVSVM_VK_POLLS, NVSVM_VK_ADDS: the loop budget).
//
// Vulkan memory model throughout: all words shared with the host are
// devicecoherent (availability and visibility at device scope), atomics are
// device scope with explicit acquire/release semantics on buffer storage.
#version 460
#pragma use_vulkan_memory_model
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_GOOGLE_include_directive : require

#include "nvsvm_vk_shared.h"

layout(local_size_x_id = NVSVM_VK_SPEC_LOCAL_SIZE) in;

layout(set = 0, binding = 0) devicecoherent buffer Ctl { uint ctl[]; };
layout(set = 0, binding = 1) devicecoherent buffer Words { uint v[]; }
   w[NVSVM_VK_DATA_BUFFERS];

layout(push_constant) uniform Push {
   uint op;
   uint iters;   // per dispatch: blocks of adds, rounds, items, sections
   uint limit;   // bound of every device wait (loop iterations)
   uint slots;   // producer ring size
   uint first;   // first round / item of this dispatch
   uint pad0, pad1, pad2;
   uint idx[NVSVM_VK_DATA_BUFFERS]; // word index inside w[k]
} pc;

#define SCOPE gl_ScopeDevice
#define SB gl_StorageSemanticsBuffer
#define ACQ (gl_SemanticsAcquire | gl_SemanticsMakeVisible)
#define REL (gl_SemanticsRelease | gl_SemanticsMakeAvailable)
#define RLX gl_SemanticsRelaxed

#define X4(s) s s s s
#define X16(s) X4(X4(s))

// The elected invocation does it; the result is everybody's.
#define ONE(type, expr) \
   subgroupBroadcastFirst(subgroupElect() ? (expr) : type(0))

bool elected;

bool
aborted(uint n)
{
   return (n & NVSVM_ABORT_POLL_MASK) == NVSVM_ABORT_POLL_MASK &&
          subgroupBroadcastFirst(atomicLoad(ctl[NVSVM_CTL_ABORT], SCOPE, SB,
                                            RLX)) != 0u;
}

// A bounded wait ran out: count it and end every other wait too.
void
gave_up()
{
   if (elected) {
      atomicAdd(ctl[NVSVM_CTL_DEV_TIMEOUTS], 1u, SCOPE, SB, RLX);
      atomicStore(ctl[NVSVM_CTL_ABORT], 1u, SCOPE, SB, REL);
   }
}

void
error()
{
   if (elected)
      atomicAdd(ctl[NVSVM_CTL_ERRORS], 1u, SCOPE, SB, RLX);
}

// The word to wait on: (buffer, index), buffer 4 being the control block,
// because GLSL passes no references to buffer memory. Uniform result.
uint
load_acq(uint b, uint i)
{
   uint v;

   if (b == 0u)
      v = atomicLoad(w[0].v[i], SCOPE, SB, ACQ);
   else if (b == 1u)
      v = atomicLoad(w[1].v[i], SCOPE, SB, ACQ);
   else
      v = atomicLoad(ctl[i], SCOPE, SB, ACQ);
   return subgroupBroadcastFirst(v);
}

// Poll until the word equals want: NVSVM_VK_POLLS (16) loads per iteration.
bool
wait_eq(uint b, uint i, uint want)
{
   bool seen = false;

   for (uint n = 0u; n < pc.limit; n++) {
      X16(if (!seen) seen = load_acq(b, i) == want;)
      if (seen || aborted(n))
         break;
   }
   if (!seen)
      gave_up();
   return seen;
}

// Announce this workgroup and wait for the host's go.
bool
enter()
{
   if (elected)
      atomicAdd(ctl[NVSVM_CTL_STARTED], 1u, SCOPE, SB, REL);
   return wait_eq(4u, NVSVM_CTL_GO, 1u);
}

void
leave()
{
   if (elected)
      atomicAdd(ctl[NVSVM_CTL_DONE], 1u, SCOPE, SB, REL);
}

// Concurrent increment: iters blocks of NVSVM_VK_ADDS adds to one counter.
bool
increment()
{
   uint c = pc.idx[0];

   for (uint i = 0u; i < pc.iters; i++) {
      if (elected) {
         X16(atomicAdd(w[0].v[c], 1u, SCOPE, SB, RLX);)
      }
   }
   return true;
}

// Flag ping-pong, rounds [first, first + iters): odd flag values are the
// host's turns, even ones the device's. Each side logs its turn with a
// plain store before handing the flag over (release), and checks the
// other side's entry after taking it (acquire). The device hands over with
// an exchange and checks that the flag still held the host's turn.
bool
ping_pong()
{
   uint f = pc.idx[0];

   for (uint r = pc.first; r < pc.first + pc.iters; r++) {
      if (!wait_eq(0u, f, 2u * r + 1u))
         return false;
      if (elected) {
         if (w[1].v[2u * r] != (NVSVM_HOST_TAG | r))
            error();
         w[1].v[2u * r + 1u] = NVSVM_DEV_TAG | r;
         if (atomicExchange(w[0].v[f], 2u * r + 2u, SCOPE, SB, REL) !=
             2u * r + 1u)
            error();
      }
   }
   return true;
}

// Producer, items [first, first + iters): item i goes to slot i % slots
// once the host emptied it (0); payload first (plain store), then the
// ready word (release).
bool
produce()
{
   for (uint i = pc.first; i < pc.first + pc.iters; i++) {
      uint s = i % pc.slots;

      if (!wait_eq(1u, s, 0u))
         return false;
      if (elected) {
         w[0].v[s] = NVSVM_ITEM_VALUE(i);
         atomicStore(w[1].v[s], i + 1u, SCOPE, SB, REL);
      }
   }
   return true;
}

// Each workgroup adds to its own counter (false-sharing layouts).
bool
count_own()
{
   uint g = gl_WorkGroupID.x;
   uint c = pc.idx[g];

   for (uint i = 0u; i < pc.iters; i++) {
      if (elected) {
         X16(atomicAdd(w[g].v[c], 1u, SCOPE, SB, RLX);)
      }
   }
   return true;
}

// CAS spinlock shared with host threads: the object after the lock is
// updated with plain accesses inside the critical section only: its
// NVSVM_OBJ_VALS values are checked equal, then bumped one by one.
#define X8(s) X4(s) X4(s)
#define CHECK_VAL if (w[0].v[o + k] != v) bad = true; k++;
#define BUMP_VAL w[0].v[o + j] = w[0].v[o + j] + 1u; j++;

bool
lock_and_update()
{
   uint l = pc.idx[0], o = l + NVSVM_LOCK_OBJ_WORDS;
   uint me = NVSVM_DEV_ID_BASE + gl_WorkGroupID.x;
   uint k, j;

   for (uint i = 0u; i < pc.iters; i++) {
      bool got = false;

      for (uint n = 0u; n < pc.limit; n++) {
         X16(if (!got) got = ONE(uint,
             atomicLoad(w[0].v[l], SCOPE, SB, RLX) == 0u &&
             atomicCompSwap(w[0].v[l], 0u, me, SCOPE, SB, ACQ, SB, RLX) ==
             0u ? 1u : 0u) != 0u;)
         if (got || aborted(n))
            break;
      }
      if (!got) {
         gave_up();
         return false;
      }
      if (elected) {
         uint v = w[0].v[o];
         bool bad = false;

         k = 0u;
         j = 0u;
         X8(CHECK_VAL)
         X4(BUMP_VAL)
         if (atomicLoad(w[0].v[l], SCOPE, SB, RLX) != me)
            bad = true;
         X4(BUMP_VAL)
         if (bad)
            w[0].v[o + NVSVM_OBJ_BROKEN]++;
         w[0].v[o + NVSVM_OBJ_DEV]++;
         if (w[0].v[o + NVSVM_OBJ_OWNER] != me)
            w[0].v[o + NVSVM_OBJ_CHANGES]++;
         w[0].v[o + NVSVM_OBJ_OWNER] = me;
         atomicStore(w[0].v[l], 0u, SCOPE, SB, REL);
      }
   }
   return true;
}

void
main()
{
   bool ok;

   // One subgroup per workgroup works (all of it, uniformly).
   if (gl_SubgroupID != 0u)
      return;
   elected = subgroupElect();
   if (!enter())
      return;
   if (pc.op == NVSVM_OP_INCREMENT) {
      ok = increment();
   } else if (pc.op == NVSVM_OP_PING_PONG) {
      ok = ping_pong();
   } else if (pc.op == NVSVM_OP_PRODUCE) {
      ok = produce();
   } else if (pc.op == NVSVM_OP_COUNT_OWN) {
      ok = count_own();
   } else if (pc.op == NVSVM_OP_LOCK) {
      ok = lock_and_update();
   } else {
      error();
      ok = false;
   }
   // A wait that gave up has counted itself; done counts finished work.
   if (ok)
      leave();
}
