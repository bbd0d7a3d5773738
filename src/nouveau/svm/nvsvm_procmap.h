/* SPDX-License-Identifier: MIT */
/*
 * The procfs ioctls that answer for one address instead of the whole
 * maps file: PROCMAP_QUERY (6.11+) and PAGEMAP_SCAN (6.7+).
 */
#ifndef NVSVM_PROCMAP_H
#define NVSVM_PROCMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvsvm_maps.h"

/* Both files open on this process; opened per check, never kept. */
struct nvsvm_procmap {
   int maps_fd;     /* /proc/self/maps: PROCMAP_QUERY */
   int pagemap_fd;  /* /proc/self/pagemap: PAGEMAP_SCAN, -1 until needed */
};

/* One mapping as PROCMAP_QUERY gives it. */
struct nvsvm_procmap_vma {
   struct nvsvm_vma vma;     /* name points into name_buf below */
   uint64_t page_size;       /* vma_kernel_pagesize(): > 4 KiB for hugetlb */
   char name_buf[4096 + 8];  /* PATH_MAX, the kernel's own bound */
};

int
nvsvm_procmap_open(struct nvsvm_procmap *pm);

void
nvsvm_procmap_close(struct nvsvm_procmap *pm);

/*
 * The mapping that covers addr, or else the next one above it: 1 with
 * *out filled, 0 when there is none, -ENOTTY/-EINVAL when the kernel has
 * no PROCMAP_QUERY, -ENAMETOOLONG for a name over PATH_MAX, or another
 * negative errno.
 */
int
nvsvm_procmap_query(struct nvsvm_procmap *pm, uint64_t addr,
                    struct nvsvm_procmap_vma *out);

/*
 * PMD-mapped transparent huge pages in [start, end) (the huge zero page
 * left out, as smaps' AnonHugePages leaves it out): fills up to max
 * [start, end) pairs into huge[], sets *n, and *next to where the scan
 * stopped (end when complete). 0, -ENOTTY/-EINVAL when the kernel has no
 * PAGEMAP_SCAN, or a negative errno.
 */
int
nvsvm_pagemap_huge(struct nvsvm_procmap *pm, uint64_t start, uint64_t end,
                   uint64_t (*huge)[2], unsigned max, unsigned *n,
                   uint64_t *next);

#endif /* NVSVM_PROCMAP_H */
