/* SPDX-License-Identifier: MIT */
/*
 * A tiny streaming JSON writer. Strings are escaped so that any byte
 * sequence (paths, kernel strings) yields valid JSON: control and
 * non-ASCII bytes become \u00XX.
 */

#include <inttypes.h>

#include "nvsvm_json.h"

void
nvsvm_json_init(struct nvsvm_json *j, FILE *f)
{
   j->f = f;
   j->depth = 0;
   j->first[0] = true;
}

static void
put_string(FILE *f, const char *s)
{
   fputc('"', f);
   for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
      switch (*p) {
      case '"':
         fputs("\\\"", f);
         break;
      case '\\':
         fputs("\\\\", f);
         break;
      case '\n':
         fputs("\\n", f);
         break;
      case '\t':
         fputs("\\t", f);
         break;
      default:
         if (*p < 0x20 || *p >= 0x7f)
            fprintf(f, "\\u%04x", *p);
         else
            fputc(*p, f);
      }
   }
   fputc('"', f);
}

/* Separator, indentation and key before any value. */
static void
member(struct nvsvm_json *j, const char *key)
{
   if (j->depth > 0) {
      if (!j->first[j->depth])
         fputc(',', j->f);
      fputc('\n', j->f);
      for (unsigned i = 0; i < j->depth; i++)
         fputs("  ", j->f);
   }
   j->first[j->depth] = false;
   if (key) {
      put_string(j->f, key);
      fputs(": ", j->f);
   }
}

static void
open_(struct nvsvm_json *j, const char *key, char c)
{
   member(j, key);
   fputc(c, j->f);
   if (j->depth + 1 < NVSVM_JSON_MAX_DEPTH)
      j->depth++;
   j->first[j->depth] = true;
}

static void
close_(struct nvsvm_json *j, char c)
{
   bool empty = j->first[j->depth];

   if (j->depth > 0)
      j->depth--;
   if (!empty) {
      fputc('\n', j->f);
      for (unsigned i = 0; i < j->depth; i++)
         fputs("  ", j->f);
   }
   fputc(c, j->f);
   if (j->depth == 0)
      fputc('\n', j->f);
}

void
nvsvm_json_object_begin(struct nvsvm_json *j, const char *key)
{
   open_(j, key, '{');
}

void
nvsvm_json_object_end(struct nvsvm_json *j)
{
   close_(j, '}');
}

void
nvsvm_json_array_begin(struct nvsvm_json *j, const char *key)
{
   open_(j, key, '[');
}

void
nvsvm_json_array_end(struct nvsvm_json *j)
{
   close_(j, ']');
}

void
nvsvm_json_string(struct nvsvm_json *j, const char *key, const char *value)
{
   member(j, key);
   if (value)
      put_string(j->f, value);
   else
      fputs("null", j->f);
}

void
nvsvm_json_int(struct nvsvm_json *j, const char *key, int64_t value)
{
   member(j, key);
   fprintf(j->f, "%" PRId64, value);
}

void
nvsvm_json_uint(struct nvsvm_json *j, const char *key, uint64_t value)
{
   member(j, key);
   fprintf(j->f, "%" PRIu64, value);
}

/* JSON has no NaN or infinity: those become null. */
void
nvsvm_json_double(struct nvsvm_json *j, const char *key, double value)
{
   member(j, key);
   if (value != value || value > 1e308 || value < -1e308)
      fputs("null", j->f);
   else
      fprintf(j->f, "%.6g", value);
}

void
nvsvm_json_bool(struct nvsvm_json *j, const char *key, bool value)
{
   member(j, key);
   fputs(value ? "true" : "false", j->f);
}

void
nvsvm_json_null(struct nvsvm_json *j, const char *key)
{
   member(j, key);
   fputs("null", j->f);
}
