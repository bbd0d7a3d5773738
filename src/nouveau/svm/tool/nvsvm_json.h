/* SPDX-License-Identifier: MIT */
/*
 * A tiny streaming JSON writer for the CLI's --json output: objects,
 * arrays, escaped strings, numbers, booleans. No dependency.
 */
#ifndef NVSVM_JSON_H
#define NVSVM_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define NVSVM_JSON_MAX_DEPTH 16

struct nvsvm_json {
   FILE *f;
   unsigned depth;
   bool first[NVSVM_JSON_MAX_DEPTH];
};

void
nvsvm_json_init(struct nvsvm_json *j, FILE *f);
/* key is NULL for array elements and the top-level value. */
void
nvsvm_json_object_begin(struct nvsvm_json *j, const char *key);
void
nvsvm_json_object_end(struct nvsvm_json *j);
void
nvsvm_json_array_begin(struct nvsvm_json *j, const char *key);
void
nvsvm_json_array_end(struct nvsvm_json *j);
void
nvsvm_json_string(struct nvsvm_json *j, const char *key,
                  const char *value);
void
nvsvm_json_int(struct nvsvm_json *j, const char *key, int64_t value);
void
nvsvm_json_uint(struct nvsvm_json *j, const char *key, uint64_t value);
void
nvsvm_json_double(struct nvsvm_json *j, const char *key,
                  double value);
void
nvsvm_json_bool(struct nvsvm_json *j, const char *key, bool value);
void
nvsvm_json_null(struct nvsvm_json *j, const char *key);

#endif /* NVSVM_JSON_H */
