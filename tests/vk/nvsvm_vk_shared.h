/* SPDX-License-Identifier: MIT */
/*
 * Constants shared by the host programs and the GLSL compute shaders (this
 * file is valid C and valid GLSL: #defines of unsigned literals only).
 */
#ifndef NVSVM_VK_SHARED_H
#define NVSVM_VK_SHARED_H

/* Words of the control block every scenario shares with its shader;
 * STARTED and DONE count invocations over all dispatches of a run. */
#define NVSVM_CTL_ABORT         0u /* host gave up: every device wait ends */
#define NVSVM_CTL_STARTED       1u /* invocations that entered the shader */
#define NVSVM_CTL_GO            2u /* host is ready: all sides start */
#define NVSVM_CTL_DONE          3u /* invocations that finished their work */
#define NVSVM_CTL_DEV_TIMEOUTS  4u /* device waits that hit their bound */
#define NVSVM_CTL_ERRORS        5u /* device-side checks that failed */
#define NVSVM_CTL_WORDS         16u

/* What the shader does: push constant "op". */
#define NVSVM_OP_INCREMENT      1u /* atomicAdd iters times on w[0][idx0] */
#define NVSVM_OP_PING_PONG      2u /* flag w[0][idx0], log w[1] */
#define NVSVM_OP_PRODUCE        3u /* payload w[0], ready w[1] */
#define NVSVM_OP_COUNT_OWN      4u /* workgroup g adds to w[g][idx[g]] */
#define NVSVM_OP_LOCK           5u /* lock w[0][idx0], object after it */

/* Storage-buffer bindings of binding 1 (the data words). */
#define NVSVM_VK_DATA_BUFFERS   4u

/*
 * A workgroup is one subgroup (local size = subgroupSize, a
 * specialization constant) that runs every scenario in uniform control
 * flow: all its invocations take the same branches, loads of shared words
 * are broadcast from the first invocation, and one elected invocation
 * does every store and atomic. No wait depends on a neighbour in the same
 * SIMD group, and nothing depends on how a driver masks off idle lanes:
 * on lavapipe (Mesa 22.3) a lone active invocation in a SIMD vector loses
 * control flow after a loop it left early.
 */
#define NVSVM_VK_SPEC_LOCAL_SIZE 0u

/*
 * Loop budget. llvmpipe (lavapipe) ends every loop of a shader invocation
 * after its first iteration once 65535 loop iterations have run in it, in
 * all loops together (a guard against runaway shaders). So the shaders do
 * their work in unrolled blocks (one loop iteration polls a word
 * NVSVM_VK_POLLS times, or adds NVSVM_VK_ADDS times) and the host splits
 * long scenarios into several dispatches recorded back to back: each
 * dispatch starts with a fresh budget. On other drivers this changes
 * nothing but the granularity. (Larger blocks make lavapipe's LLVM
 * compile of the shaders take seconds.)
 */
#define NVSVM_VK_POLLS          16u
#define NVSVM_VK_ADDS           16u

/* How often (in loop iterations) a device spin loop looks at the abort
 * word, minus one. */
#define NVSVM_ABORT_POLL_MASK   15u

/* Ping-pong log entries: who wrote them, and in which round. */
#define NVSVM_HOST_TAG 0x80000000u
#define NVSVM_DEV_TAG  0x40000000u

/* Producer/consumer payload of item i: not derivable from the slot. */
#define NVSVM_ITEM_VALUE(i) (((i) * 2654435761u) ^ 0xa5a5a5a5u)

/* CAS lock: the protected object starts this many words after the lock,
 * on the same page (64 bytes, as in a real program's struct). */
#define NVSVM_LOCK_OBJ_WORDS 16u
/* Object words: NVSVM_OBJ_VALS values that must stay equal (each section
 * checks them, then adds 1 to each in turn, so an overlapping section sees
 * them unequal or loses an add), broken invariants, device sections, host
 * sections, last owner, owner changes. */
#define NVSVM_OBJ_VALS     8u
#define NVSVM_OBJ_BROKEN   8u
#define NVSVM_OBJ_DEV      9u
#define NVSVM_OBJ_HOST     10u
#define NVSVM_OBJ_OWNER    11u
#define NVSVM_OBJ_CHANGES  12u
/* Lock owner ids: device workgroup g is 1 + g, host thread t 1000 + t. */
#define NVSVM_DEV_ID_BASE  1u
#define NVSVM_HOST_ID_BASE 1000u

#endif /* NVSVM_VK_SHARED_H */
