/* SPDX-License-Identifier: MIT */
/*
 * /proc/<pid>/maps and smaps parsing: pure functions over a buffer (the
 * fuzz target calls them) plus a reader that stops past a given address.
 */
#ifndef NVSVM_MAPS_H
#define NVSVM_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One mapping as /proc/<pid>/maps prints it. name is not NUL-terminated. */
struct nvsvm_vma {
   uint64_t start, end;
   uint64_t offset;
   uint64_t inode;
   uint32_t dev_major, dev_minor;
   bool read, write, exec, shared;
   const char *name;   /* points into the parsed buffer */
   size_t name_len;
};

/* VmFlags two-letter codes we act on (smaps is authoritative for them). */
enum nvsvm_vmflag {
   NVSVM_VMF_SH = 1u << 0,  /* shared */
   NVSVM_VMF_HT = 1u << 1,  /* hugetlb */
   NVSVM_VMF_IO = 1u << 2,  /* memory-mapped I/O */
   NVSVM_VMF_PF = 1u << 3,  /* pure PFN range */
   NVSVM_VMF_HG = 1u << 4,  /* MADV_HUGEPAGE */
   NVSVM_VMF_NH = 1u << 5,  /* MADV_NOHUGEPAGE */
   NVSVM_VMF_LO = 1u << 6,  /* mlocked */
   NVSVM_VMF_WR = 1u << 7,  /* writable */
   NVSVM_VMF_MR = 1u << 8,  /* may read */
   NVSVM_VMF_MW = 1u << 9,  /* may write */
   NVSVM_VMF_DD = 1u << 10, /* not in core dumps */
   NVSVM_VMF_MM = 1u << 11, /* mixed map */
};

/* The smaps fields of one mapping that range rules need. */
struct nvsvm_smaps_fields {
   uint64_t anon_huge_kb;   /* AnonHugePages */
   int thp_eligible;        /* THPeligible: 0/1, -1 when absent */
   uint32_t vmflags;        /* enum nvsvm_vmflag bits */
   bool has_vmflags;
};

/* Parse one maps line (no newline): 0, or -NVSVM_E_PARSE. */
int
nvsvm_maps_parse_line(const char *line, size_t len, struct nvsvm_vma *vma);

/*
 * The next mapping of a maps buffer from *pos: 1 with *vma filled, 0 at
 * the end, -NVSVM_E_PARSE on a malformed line (*pos is then past it).
 */
int
nvsvm_maps_next(const char *buf, size_t len, size_t *pos,
                struct nvsvm_vma *vma);

/* Parse a VmFlags value ("rd wr mr mw me ac") into enum nvsvm_vmflag. */
uint32_t
nvsvm_vmflags_parse(const char *s, size_t len);

/*
 * The next mapping of an smaps buffer with its fields: 1, 0 at the end,
 * or -NVSVM_E_PARSE. Unknown field lines are skipped.
 */
int
nvsvm_smaps_next(const char *buf, size_t len, size_t *pos,
                 struct nvsvm_vma *vma, struct nvsvm_smaps_fields *fields);

/*
 * Read a /proc maps-style file into a malloc'd, NUL-terminated buffer,
 * stopping at the first mapping that starts at or above stop (0: read
 * all): the kernel then never computes the mappings we do not need.
 * The caller frees *buf.
 */
int
nvsvm_proc_read_maps(const char *path, uint64_t stop, char **buf,
                     size_t *len);

/*
 * Read a small file (sysfs, /proc/self/status) whole into buf, NUL
 * terminated: 0 with *len set, -EFBIG when it does not fit, or -errno.
 */
int
nvsvm_read_small(const char *path, char *buf, size_t size, size_t *len);

/* A THP mode as sysfs writes it, the selected one in brackets. */
enum nvsvm_thp_mode {
   NVSVM_THP_NEVER,
   NVSVM_THP_MADVISE,
   NVSVM_THP_ALWAYS,
   NVSVM_THP_INHERIT,  /* per-size files: follow the global setting */
};

/*
 * "always [madvise] never": the bracketed mode as enum nvsvm_thp_mode,
 * or -NVSVM_E_PARSE (none, two, or one we do not know).
 */
int
nvsvm_thp_mode_parse(const char *s, size_t len);

/*
 * The "Key:   N kB" line of a /proc/<pid>/status buffer: 0 with *kb,
 * -ENOENT when the key is absent, -NVSVM_E_PARSE when malformed.
 */
int
nvsvm_status_kb(const char *buf, size_t len, const char *key, uint64_t *kb);

#endif /* NVSVM_MAPS_H */
