/* SPDX-License-Identifier: MIT */
/*
 * /proc/<pid>/maps and smaps parsing. The parsers are pure functions of
 * their buffer, never read past it and never allocate: the fuzz target
 * drives them with arbitrary bytes.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvsvm_maps.h"
#include "nvsvm_priv.h"

/* A maps file bigger than this is not a maps file. */
#define NVSVM_PROC_MAX (256u << 20)
#define NVSVM_PROC_CHUNK (64u << 10)

static int
hex_digit(char c)
{
   if (c >= '0' && c <= '9')
      return c - '0';
   if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
   if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
   return -1;
}

static bool
parse_hex(const char **p, const char *end, uint64_t *out)
{
   const char *s = *p;
   uint64_t v = 0;
   int d, n = 0;

   while (s < end && (d = hex_digit(*s)) >= 0) {
      if (v >> 60)
         return false;
      v = (v << 4) | (uint64_t)d;
      s++;
      n++;
   }
   if (n == 0)
      return false;
   *p = s;
   *out = v;
   return true;
}

static bool
parse_dec(const char **p, const char *end, uint64_t *out)
{
   const char *s = *p;
   uint64_t v = 0;
   int n = 0;

   while (s < end && *s >= '0' && *s <= '9') {
      uint64_t d = (uint64_t)(*s - '0');

      if (v > (UINT64_MAX - d) / 10)
         return false;
      v = v * 10 + d;
      s++;
      n++;
   }
   if (n == 0)
      return false;
   *p = s;
   *out = v;
   return true;
}

static bool
expect(const char **p, const char *end, char c)
{
   if (*p >= end || **p != c)
      return false;
   (*p)++;
   return true;
}

static bool
perm(const char **p, const char *end, char yes, char no, bool *out)
{
   if (*p >= end || (**p != yes && **p != no))
      return false;
   *out = **p == yes;
   (*p)++;
   return true;
}

int
nvsvm_maps_parse_line(const char *line, size_t len, struct nvsvm_vma *vma)
{
   const char *p = line, *end = line + len;
   uint64_t major, minor;

   if (!line || !vma)
      return -EINVAL;
   memset(vma, 0, sizeof(*vma));
   if (!parse_hex(&p, end, &vma->start) || !expect(&p, end, '-') ||
       !parse_hex(&p, end, &vma->end) || !expect(&p, end, ' '))
      return -NVSVM_E_PARSE;
   if (vma->start >= vma->end)
      return -NVSVM_E_PARSE;
   if (!perm(&p, end, 'r', '-', &vma->read) ||
       !perm(&p, end, 'w', '-', &vma->write) ||
       !perm(&p, end, 'x', '-', &vma->exec) ||
       !perm(&p, end, 's', 'p', &vma->shared) || !expect(&p, end, ' '))
      return -NVSVM_E_PARSE;
   if (!parse_hex(&p, end, &vma->offset) || !expect(&p, end, ' ') ||
       !parse_hex(&p, end, &major) || !expect(&p, end, ':') ||
       !parse_hex(&p, end, &minor) || !expect(&p, end, ' ') ||
       !parse_dec(&p, end, &vma->inode))
      return -NVSVM_E_PARSE;
   if (major > UINT32_MAX || minor > UINT32_MAX)
      return -NVSVM_E_PARSE;
   vma->dev_major = (uint32_t)major;
   vma->dev_minor = (uint32_t)minor;
   /* The name is padded with spaces and may itself contain spaces. */
   if (p < end && *p != ' ')
      return -NVSVM_E_PARSE;
   while (p < end && *p == ' ')
      p++;
   vma->name = p;
   vma->name_len = (size_t)(end - p);
   return 0;
}

/* [*pos, line end) and the position after its newline. */
static size_t
next_line(const char *buf, size_t len, size_t pos, size_t *next)
{
   const char *nl = memchr(buf + pos, '\n', len - pos);
   size_t eol = nl ? (size_t)(nl - buf) : len;

   *next = nl ? eol + 1 : len;
   return eol - pos;
}

int
nvsvm_maps_next(const char *buf, size_t len, size_t *pos,
                struct nvsvm_vma *vma)
{
   size_t llen, next;

   if (!buf || !pos || !vma || *pos > len)
      return -EINVAL;
   /* Blank lines carry nothing; a trailing one ends every file. */
   while (*pos < len) {
      llen = next_line(buf, len, *pos, &next);
      if (llen == 0) {
         *pos = next;
         continue;
      }
      {
         int ret = nvsvm_maps_parse_line(buf + *pos, llen, vma);

         *pos = next;
         return ret ? ret : 1;
      }
   }
   return 0;
}

static const struct {
   char code[2];
   uint32_t bit;
} nvsvm_vmflag_codes[] = {
   { { 's', 'h' }, NVSVM_VMF_SH }, { { 'h', 't' }, NVSVM_VMF_HT },
   { { 'i', 'o' }, NVSVM_VMF_IO }, { { 'p', 'f' }, NVSVM_VMF_PF },
   { { 'h', 'g' }, NVSVM_VMF_HG }, { { 'n', 'h' }, NVSVM_VMF_NH },
   { { 'l', 'o' }, NVSVM_VMF_LO }, { { 'w', 'r' }, NVSVM_VMF_WR },
   { { 'm', 'r' }, NVSVM_VMF_MR }, { { 'm', 'w' }, NVSVM_VMF_MW },
   { { 'd', 'd' }, NVSVM_VMF_DD }, { { 'm', 'm' }, NVSVM_VMF_MM },
};

uint32_t
nvsvm_vmflags_parse(const char *s, size_t len)
{
   const char *p = s, *end = s + len;
   uint32_t flags = 0;

   if (!s)
      return 0;
   while (p < end) {
      const char *tok;

      while (p < end && *p == ' ')
         p++;
      tok = p;
      while (p < end && *p != ' ')
         p++;
      /* Every code is two letters; anything else is a newer kernel's. */
      if (p - tok != 2)
         continue;
      for (unsigned i = 0; i < sizeof(nvsvm_vmflag_codes) /
                               sizeof(nvsvm_vmflag_codes[0]); i++) {
         if (tok[0] == nvsvm_vmflag_codes[i].code[0] &&
             tok[1] == nvsvm_vmflag_codes[i].code[1])
            flags |= nvsvm_vmflag_codes[i].bit;
      }
   }
   return flags;
}

/* "Key:   value": the value with leading spaces skipped, or NULL. */
static const char *
field_value(const char *line, size_t len, const char *key, size_t *vlen)
{
   size_t klen = strlen(key);
   const char *p, *end = line + len;

   if (len <= klen || memcmp(line, key, klen) != 0 || line[klen] != ':')
      return NULL;
   p = line + klen + 1;
   while (p < end && *p == ' ')
      p++;
   *vlen = (size_t)(end - p);
   return p;
}

/* smaps field lines start with a capital; mapping lines with hex. */
static bool
is_header(const char *line, size_t len)
{
   return len > 0 && ((line[0] >= '0' && line[0] <= '9') ||
                      (line[0] >= 'a' && line[0] <= 'f'));
}

int
nvsvm_smaps_next(const char *buf, size_t len, size_t *pos,
                 struct nvsvm_vma *vma, struct nvsvm_smaps_fields *fields)
{
   size_t llen, next;
   int ret;

   if (!buf || !pos || !vma || !fields || *pos > len)
      return -EINVAL;
   ret = nvsvm_maps_next(buf, len, pos, vma);
   if (ret <= 0)
      return ret;
   memset(fields, 0, sizeof(*fields));
   fields->thp_eligible = -1;

   while (*pos < len) {
      const char *line = buf + *pos, *v;
      size_t vlen;

      llen = next_line(buf, len, *pos, &next);
      if (is_header(line, llen))
         break;
      *pos = next;
      if ((v = field_value(line, llen, "AnonHugePages", &vlen))) {
         uint64_t kb;

         if (!parse_dec(&v, v + vlen, &kb))
            return -NVSVM_E_PARSE;
         fields->anon_huge_kb = kb;
      } else if ((v = field_value(line, llen, "THPeligible", &vlen))) {
         uint64_t e;

         if (!parse_dec(&v, v + vlen, &e) || e > 1)
            return -NVSVM_E_PARSE;
         fields->thp_eligible = (int)e;
      } else if ((v = field_value(line, llen, "VmFlags", &vlen))) {
         fields->vmflags = nvsvm_vmflags_parse(v, vlen);
         fields->has_vmflags = true;
      }
   }
   return 1;
}

/*
 * Check the complete lines in [*scan, len) for a mapping starting at or
 * above stop; returns its offset, or len when there is none yet.
 */
static size_t
find_stop(const char *buf, size_t len, size_t *scan, uint64_t stop)
{
   while (*scan < len) {
      const char *nl = memchr(buf + *scan, '\n', len - *scan);
      const char *p = buf + *scan;
      uint64_t start;

      if (!nl)
         break;
      if (is_header(p, (size_t)(nl - p)) &&
          parse_hex(&p, nl, &start) && start >= stop)
         return *scan;
      *scan = (size_t)(nl - buf) + 1;
   }
   return len;
}

int
nvsvm_proc_read_maps(const char *path, uint64_t stop, char **out,
                     size_t *out_len)
{
   size_t cap = NVSVM_PROC_CHUNK, len = 0, scan = 0;
   char *buf;
   int fd, ret = 0;

   if (!path || !out || !out_len)
      return -EINVAL;
   fd = open(path, O_RDONLY | O_CLOEXEC);
   if (fd < 0)
      return -errno;
   buf = malloc(cap);
   if (!buf) {
      ret = -ENOMEM;
      goto fail_fd;
   }
   for (;;) {
      ssize_t n;

      if (cap - len < NVSVM_PROC_CHUNK / 4) {
         char *nbuf;

         if (cap >= NVSVM_PROC_MAX) {
            ret = -EFBIG;
            goto fail_buf;
         }
         nbuf = realloc(buf, cap * 2);
         if (!nbuf) {
            ret = -ENOMEM;
            goto fail_buf;
         }
         buf = nbuf;
         cap *= 2;
      }
      n = read(fd, buf + len, cap - len - 1);
      if (n < 0) {
         if (errno == EINTR)
            continue;
         ret = -errno;
         goto fail_buf;
      }
      if (n == 0)
         break;
      len += (size_t)n;
      if (stop) {
         size_t at = find_stop(buf, len, &scan, stop);

         if (at < len) {
            len = at;
            break;
         }
      }
   }
   close(fd);
   buf[len] = '\0';
   *out = buf;
   *out_len = len;
   return 0;

fail_buf:
   free(buf);
fail_fd:
   close(fd);
   return ret;
}

int
nvsvm_read_small(const char *path, char *buf, size_t size, size_t *out_len)
{
   size_t len = 0;
   int fd, ret = 0;

   if (!path || !buf || size < 2 || !out_len)
      return -EINVAL;
   fd = open(path, O_RDONLY | O_CLOEXEC);
   if (fd < 0)
      return -errno;
   for (;;) {
      ssize_t n = read(fd, buf + len, size - 1 - len);

      if (n < 0) {
         if (errno == EINTR)
            continue;
         ret = -errno;
         break;
      }
      if (n == 0)
         break;
      len += (size_t)n;
      if (len == size - 1) {
         char c;

         /* Full: anything more means it did not fit. */
         n = read(fd, &c, 1);
         if (n != 0)
            ret = n > 0 ? -EFBIG : -errno;
         break;
      }
   }
   close(fd);
   if (ret)
      return ret;
   buf[len] = '\0';
   *out_len = len;
   return 0;
}

static const struct {
   const char *name;
   enum nvsvm_thp_mode mode;
} nvsvm_thp_modes[] = {
   { "never", NVSVM_THP_NEVER }, { "madvise", NVSVM_THP_MADVISE },
   { "always", NVSVM_THP_ALWAYS }, { "inherit", NVSVM_THP_INHERIT },
};

int
nvsvm_thp_mode_parse(const char *s, size_t len)
{
   const char *p = s, *end = s + len, *sel = NULL;
   size_t sel_len = 0;

   if (!s)
      return -EINVAL;
   while (p < end) {
      const char *tok;

      while (p < end && (*p == ' ' || *p == '\n'))
         p++;
      tok = p;
      while (p < end && *p != ' ' && *p != '\n')
         p++;
      if (p - tok >= 2 && tok[0] == '[' && p[-1] == ']') {
         if (sel)
            return -NVSVM_E_PARSE;
         sel = tok + 1;
         sel_len = (size_t)(p - tok) - 2;
      }
   }
   if (!sel)
      return -NVSVM_E_PARSE;
   for (unsigned i = 0; i < sizeof(nvsvm_thp_modes) /
                            sizeof(nvsvm_thp_modes[0]); i++) {
      if (strlen(nvsvm_thp_modes[i].name) == sel_len &&
          memcmp(nvsvm_thp_modes[i].name, sel, sel_len) == 0)
         return (int)nvsvm_thp_modes[i].mode;
   }
   return -NVSVM_E_PARSE;
}

int
nvsvm_status_kb(const char *buf, size_t len, const char *key, uint64_t *kb)
{
   size_t pos = 0, next;

   if (!buf || !key || !kb)
      return -EINVAL;
   while (pos < len) {
      size_t llen = next_line(buf, len, pos, &next), vlen;
      const char *v = field_value(buf + pos, llen, key, &vlen);

      if (v) {
         const char *p = v, *end = v + vlen;
         uint64_t n;

         /* status pads with tabs where smaps pads with spaces. */
         while (p < end && (*p == ' ' || *p == '\t'))
            p++;
         if (!parse_dec(&p, end, &n) || end - p != 3 ||
             memcmp(p, " kB", 3) != 0)
            return -NVSVM_E_PARSE;
         *kb = n;
         return 0;
      }
      pos = next;
   }
   return -ENOENT;
}
