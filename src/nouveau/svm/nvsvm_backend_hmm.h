/* SPDX-License-Identifier: MIT */
/*
 * The hmm backend's pinned ioctl numbers per kernel, exposed so tests can
 * check the pinning and refusal rules without the device.
 */
#ifndef NVSVM_BACKEND_HMM_H
#define NVSVM_BACKEND_HMM_H

/* Request numbers (the nr of _IOWR('H', nr, ...)) for one kernel. */
struct nvsvm_hmm_uapi {
   const char *name;          /* "6.12" */
   unsigned major, minor;
   unsigned read, write, migrate_to_dev, migrate_to_sys, snapshot;
   unsigned exclusive, check_exclusive;
};

/*
 * Pick the numbers for a kernel release ("6.12.38-amd64"); override
 * (NVSVM_HMM_UAPI, e.g. "6.12") wins when non-empty. Only major.minor
 * counts. -NVSVM_E_KERNEL_UNKNOWN when that version is not pinned.
 */
int
nvsvm_hmm_uapi_select(const char *release, const char *override,
                      const struct nvsvm_hmm_uapi **out);

/* The pinned versions, space separated, for messages. */
const char *
nvsvm_hmm_uapi_pinned_list(void);

#endif /* NVSVM_BACKEND_HMM_H */
