/* SPDX-License-Identifier: MIT */
/*
 * Constants shared by the host programs and the OpenCL C kernels (this file
 * is valid in both languages and is pasted into the kernel source at build).
 */
#ifndef NVSVM_CL_SHARED_H
#define NVSVM_CL_SHARED_H

/* Words of the control block every scenario shares with its kernel. */
#define NVSVM_CTL_ABORT        0 /* host gave up: every device wait ends */
#define NVSVM_CTL_STARTED      1 /* work-items that entered the kernel */
#define NVSVM_CTL_GO           2 /* host is ready: all sides start together */
#define NVSVM_CTL_DONE         3 /* work-items that finished their work */
#define NVSVM_CTL_DEV_TIMEOUTS 4 /* device waits that hit their bound */
#define NVSVM_CTL_ERRORS       5 /* device-side checks that failed */
#define NVSVM_CTL_PROGRESS     6 /* device passes completed (bytes test) */
#define NVSVM_CTL_HOST_PROGRESS 7 /* host passes completed (bytes test) */
#define NVSVM_CTL_WORDS        16

/* How often a device spin loop looks at the abort word, minus one. */
#define NVSVM_ABORT_POLL_MASK  1023u

/* Ping-pong log entries: who wrote them, and in which round. */
#define NVSVM_HOST_TAG 0x80000000u
#define NVSVM_DEV_TAG  0x40000000u

/* Producer/consumer payload of item i: not derivable from the slot. */
#define NVSVM_ITEM_VALUE(i) ((((unsigned int)(i)) * 2654435761u) ^ 0xa5a5a5a5u)

/* Byte-granularity test: what each side writes to byte i in pass p. */
#define NVSVM_DEV_BYTE(i, p) \
   ((unsigned char)(((unsigned int)(i) * 7u + (unsigned int)(p) * 13u) | 1u))
#define NVSVM_HOST_BYTE(i, p) \
   ((unsigned char)(((unsigned int)(i) * 11u + (unsigned int)(p) * 5u) | 2u))

#endif /* NVSVM_CL_SHARED_H */
