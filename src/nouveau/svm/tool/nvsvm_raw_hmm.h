/* SPDX-License-Identifier: MIT */
/* The raw-ioctl ping-pong baseline run beside the library by the CLI. */
#ifndef NVSVM_RAW_HMM_H
#define NVSVM_RAW_HMM_H

#include "nvsvm_pingpong.h"

/*
 * The library's loop (nvsvm_pingpong_run) done with open/ioctl only on
 * the HMM test device at path; result filled the same way. 0 or a
 * negative errno.
 */
int
nvsvm_raw_hmm_pingpong(const char *path,
                       const struct nvsvm_pingpong_params *params,
                       struct nvsvm_pingpong_result *result);

#endif /* NVSVM_RAW_HMM_H */
