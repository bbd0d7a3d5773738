/* SPDX-License-Identifier: MIT */
/* The raw-ioctl vsvm ping-pong `nvsvm bench` runs beside the library's. */
#ifndef NVSVM_BENCH_RAW_H
#define NVSVM_BENCH_RAW_H

#include "nvsvm_pingpong.h"

/*
 * nvsvm_pingpong_run()'s loop on the vsvm node at path, written with
 * open/mmap/ioctl only: its own fd, SVM_INIT on a window it reserves,
 * then per round the CPU stores and one inline EXEC atomic add of 0 per
 * page. Result (and params->samples_us) filled like the library's.
 * 0 or a negative errno.
 */
int
nvsvm_bench_raw_vsvm_pingpong(const char *path,
                              const struct nvsvm_pingpong_params *params,
                              struct nvsvm_pingpong_result *result);

#endif /* NVSVM_BENCH_RAW_H */
