/* SPDX-License-Identifier: MIT */
/*
 * The /proc maps and smaps parsers: the kernel's line formats, names
 * with spaces, VmFlags, and malformed input refused by name, never read
 * past.
 */

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "nvsvm_maps.h"
#include "nvsvm_priv.h"
#include "harness.h"

static int
parse(const char *line, struct nvsvm_vma *v)
{
   return nvsvm_maps_parse_line(line, strlen(line), v);
}

TEST(anonymous_line_has_addresses_perms_and_no_name)
{
   struct nvsvm_vma v;

   ASSERT_EQ(parse("7f12a0000000-7f12a0021000 rw-p 00000000 00:00 0 ", &v),
             0);
   ASSERT_U64_EQ(v.start, 0x7f12a0000000ull);
   ASSERT_U64_EQ(v.end, 0x7f12a0021000ull);
   ASSERT_TRUE(v.read && v.write && !v.exec && !v.shared);
   ASSERT_U64_EQ(v.inode, 0);
   ASSERT_EQ(v.name_len, 0);
}

TEST(file_line_has_offset_device_inode_and_padded_name)
{
   struct nvsvm_vma v;

   ASSERT_EQ(parse("55d0c8a00000-55d0c8a02000 r-xs 0001a000 fe:01 "
                   "123456789                  /usr/lib/x.so", &v), 0);
   ASSERT_TRUE(v.read && !v.write && v.exec && v.shared);
   ASSERT_U64_EQ(v.offset, 0x1a000);
   ASSERT_EQ(v.dev_major, 0xfe);
   ASSERT_EQ(v.dev_minor, 1);
   ASSERT_U64_EQ(v.inode, 123456789);
   ASSERT_EQ(v.name_len, strlen("/usr/lib/x.so"));
   ASSERT_TRUE(memcmp(v.name, "/usr/lib/x.so", v.name_len) == 0);
}

TEST(name_keeps_its_spaces_and_deleted_suffix)
{
   struct nvsvm_vma v;
   const char *want = "/tmp/a b (deleted)";

   ASSERT_EQ(parse("1000-2000 rw-s 00000000 00:05 42 /tmp/a b (deleted)",
                   &v), 0);
   ASSERT_EQ(v.name_len, strlen(want));
   ASSERT_TRUE(memcmp(v.name, want, v.name_len) == 0);
}

TEST(line_without_name_field_parses)
{
   struct nvsvm_vma v;

   ASSERT_EQ(parse("1000-2000 ---p 00000000 00:00 0", &v), 0);
   ASSERT_TRUE(!v.read && !v.write && !v.exec);
   ASSERT_EQ(v.name_len, 0);
}

TEST(every_truncation_of_a_line_before_its_inode_is_refused)
{
   const char *line = "7f00-7f10 rw-p 00000000 00:00 0";
   struct nvsvm_vma v;

   /* Each prefix ends mid-field: none may parse, none may over-read. */
   for (size_t n = 0; n < strlen(line); n++) {
      char *copy = malloc(n ? n : 1);

      ASSERT_TRUE(copy != NULL);
      memcpy(copy, line, n);
      int ret = nvsvm_maps_parse_line(copy, n, &v);
      free(copy);
      ASSERT_EQ(ret, -NVSVM_E_PARSE);
   }
}

TEST(start_not_below_end_is_refused)
{
   struct nvsvm_vma v;

   ASSERT_EQ(parse("2000-2000 rw-p 00000000 00:00 0", &v), -NVSVM_E_PARSE);
   ASSERT_EQ(parse("3000-2000 rw-p 00000000 00:00 0", &v), -NVSVM_E_PARSE);
}

TEST(address_wider_than_64_bits_is_refused)
{
   struct nvsvm_vma v;

   ASSERT_EQ(parse("10000000000000000-20000000000000000 rw-p 0 00:00 0", &v),
             -NVSVM_E_PARSE);
}

TEST(unknown_permission_letter_is_refused)
{
   struct nvsvm_vma v;

   ASSERT_EQ(parse("1000-2000 rwzp 00000000 00:00 0", &v), -NVSVM_E_PARSE);
   ASSERT_EQ(parse("1000-2000 rw-q 00000000 00:00 0", &v), -NVSVM_E_PARSE);
}

TEST(inode_overflow_is_refused)
{
   struct nvsvm_vma v;

   ASSERT_EQ(parse("1000-2000 rw-p 0 00:00 99999999999999999999 x", &v),
             -NVSVM_E_PARSE);
}

TEST(iteration_skips_blank_lines_and_steps_over_bad_ones)
{
   const char *buf = "1000-2000 rw-p 0 00:00 0\n"
                     "\n"
                     "garbage\n"
                     "3000-4000 r--p 0 00:00 0 [stack]\n";
   size_t pos = 0, len = strlen(buf);
   struct nvsvm_vma v;

   ASSERT_EQ(nvsvm_maps_next(buf, len, &pos, &v), 1);
   ASSERT_U64_EQ(v.start, 0x1000);
   ASSERT_EQ(nvsvm_maps_next(buf, len, &pos, &v), -NVSVM_E_PARSE);
   ASSERT_EQ(nvsvm_maps_next(buf, len, &pos, &v), 1);
   ASSERT_U64_EQ(v.start, 0x3000);
   ASSERT_EQ(v.name_len, 7);
   ASSERT_EQ(nvsvm_maps_next(buf, len, &pos, &v), 0);
}

TEST(vmflags_codes_map_to_their_bits)
{
   const char *s = "rd wr mr mw me sh ht io pf hg nh lo dd mm ac";
   uint32_t f = nvsvm_vmflags_parse(s, strlen(s));

   ASSERT_EQ(f, NVSVM_VMF_SH | NVSVM_VMF_HT | NVSVM_VMF_IO | NVSVM_VMF_PF |
                NVSVM_VMF_HG | NVSVM_VMF_NH | NVSVM_VMF_LO | NVSVM_VMF_WR |
                NVSVM_VMF_MR | NVSVM_VMF_MW | NVSVM_VMF_DD | NVSVM_VMF_MM);
}

TEST(vmflags_ignore_unknown_and_malformed_tokens)
{
   const char *s = "zz shx s h  ht ";

   ASSERT_EQ(nvsvm_vmflags_parse(s, strlen(s)), NVSVM_VMF_HT);
}

static const char smaps_two[] =
   "1000-3000 rw-p 00000000 00:00 0 \n"
   "Size:                  8 kB\n"
   "AnonHugePages:      2048 kB\n"
   "THPeligible:    1\n"
   "VmFlags: rd wr mr mw me ac hg \n"
   "5000-6000 rw-s 00000000 00:01 77     /dev/zero (deleted)\n"
   "Size:                  4 kB\n"
   "VmFlags: rd wr sh mr mw me ms \n";

TEST(smaps_block_yields_anon_huge_pages_thp_eligible_and_vmflags)
{
   struct nvsvm_smaps_fields f;
   struct nvsvm_vma v;
   size_t pos = 0;

   ASSERT_EQ(nvsvm_smaps_next(smaps_two, strlen(smaps_two), &pos, &v, &f),
             1);
   ASSERT_U64_EQ(v.start, 0x1000);
   ASSERT_U64_EQ(f.anon_huge_kb, 2048);
   ASSERT_EQ(f.thp_eligible, 1);
   ASSERT_TRUE(f.has_vmflags);
   ASSERT_EQ(f.vmflags, NVSVM_VMF_WR | NVSVM_VMF_MR | NVSVM_VMF_MW |
                        NVSVM_VMF_HG);
}

TEST(smaps_second_block_starts_fresh)
{
   struct nvsvm_smaps_fields f;
   struct nvsvm_vma v;
   size_t pos = 0, len = strlen(smaps_two);

   ASSERT_EQ(nvsvm_smaps_next(smaps_two, len, &pos, &v, &f), 1);
   ASSERT_EQ(nvsvm_smaps_next(smaps_two, len, &pos, &v, &f), 1);
   ASSERT_U64_EQ(v.start, 0x5000);
   ASSERT_U64_EQ(f.anon_huge_kb, 0);
   ASSERT_EQ(f.thp_eligible, -1);
   ASSERT_TRUE(f.vmflags & NVSVM_VMF_SH);
   ASSERT_EQ(nvsvm_smaps_next(smaps_two, len, &pos, &v, &f), 0);
}

TEST(smaps_thp_eligible_other_than_0_or_1_is_refused)
{
   const char *buf = "1000-2000 rw-p 0 00:00 0\nTHPeligible: 7\n";
   struct nvsvm_smaps_fields f;
   struct nvsvm_vma v;
   size_t pos = 0;

   ASSERT_EQ(nvsvm_smaps_next(buf, strlen(buf), &pos, &v, &f),
             -NVSVM_E_PARSE);
}

TEST(null_buffers_are_einval)
{
   struct nvsvm_smaps_fields f;
   struct nvsvm_vma v;
   size_t pos = 0;

   ASSERT_EQ(nvsvm_maps_parse_line(NULL, 0, &v), -EINVAL);
   ASSERT_EQ(nvsvm_maps_next(NULL, 0, &pos, &v), -EINVAL);
   ASSERT_EQ(nvsvm_smaps_next(NULL, 0, &pos, &v, &f), -EINVAL);
   pos = 10;
   ASSERT_EQ(nvsvm_maps_next("x", 1, &pos, &v), -EINVAL);
}

/* The reader stops at the first mapping at or above stop. */
TEST(reader_stops_before_the_first_mapping_past_stop)
{
   char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   uint64_t stop, last = 0;
   struct nvsvm_vma v;
   size_t len, pos = 0;
   char *buf;
   int ret;

   ASSERT_TRUE(p != MAP_FAILED);
   /* A PROT_NONE middle page makes three mappings; stop at the third. */
   mprotect(p + 4096, 4096, PROT_NONE);
   stop = (uintptr_t)p + 2 * 4096;
   ret = nvsvm_proc_read_maps("/proc/self/maps", stop, &buf, &len);
   ASSERT_EQ(ret, 0);
   while (nvsvm_maps_next(buf, len, &pos, &v) == 1)
      last = v.start;
   free(buf);
   munmap(p, 3 * 4096);
   ASSERT_U64_EQ(last, (uintptr_t)p + 4096);
}

TEST(reader_without_stop_reads_every_mapping)
{
   struct nvsvm_vma v;
   size_t len, pos = 0;
   unsigned n = 0, bad = 0;
   char *buf;
   int ret;

   ASSERT_EQ(nvsvm_proc_read_maps("/proc/self/maps", 0, &buf, &len), 0);
   while ((ret = nvsvm_maps_next(buf, len, &pos, &v)) != 0) {
      if (ret < 0)
         bad++;
      else
         n++;
   }
   free(buf);
   ASSERT_EQ(bad, 0);
   ASSERT_GT(n, 3);
}

TEST(reader_of_a_missing_file_returns_enoent)
{
   char *buf;
   size_t len;

   ASSERT_EQ(nvsvm_proc_read_maps("/proc/self/no-such", 0, &buf, &len),
             -ENOENT);
}

static int
mode(const char *s)
{
   return nvsvm_thp_mode_parse(s, strlen(s));
}

TEST(thp_mode_is_the_bracketed_word)
{
   ASSERT_EQ(mode("always [madvise] never\n"), NVSVM_THP_MADVISE);
   ASSERT_EQ(mode("[always] madvise never"), NVSVM_THP_ALWAYS);
   ASSERT_EQ(mode("always madvise [never]\n"), NVSVM_THP_NEVER);
   ASSERT_EQ(mode("always [inherit] madvise never\n"), NVSVM_THP_INHERIT);
}

TEST(thp_mode_without_one_known_bracketed_word_is_refused)
{
   ASSERT_EQ(mode("always madvise never\n"), -NVSVM_E_PARSE);
   ASSERT_EQ(mode("[always] [never]"), -NVSVM_E_PARSE);
   ASSERT_EQ(mode("always within_size advise [deny] force"),
             -NVSVM_E_PARSE);
   ASSERT_EQ(mode("[]"), -NVSVM_E_PARSE);
   ASSERT_EQ(mode(""), -NVSVM_E_PARSE);
   ASSERT_EQ(nvsvm_thp_mode_parse(NULL, 3), -EINVAL);
}

static const char status_text[] =
   "Name:\ttest_maps_parse\n"
   "VmPeak:\t   10000 kB\n"
   "VmLck:\t      12 kB\n"
   "VmPin:\t       0 kB\n";

TEST(status_field_reads_its_kilobytes)
{
   uint64_t kb = 99;

   ASSERT_EQ(nvsvm_status_kb(status_text, strlen(status_text), "VmLck",
                             &kb), 0);
   ASSERT_U64_EQ(kb, 12);
   ASSERT_EQ(nvsvm_status_kb(status_text, strlen(status_text), "VmPin",
                             &kb), 0);
   ASSERT_U64_EQ(kb, 0);
}

TEST(status_field_absent_or_malformed_is_named)
{
   static const char bad[] = "VmLck:\t  12 MB\nVmPin:\t kB\n";
   uint64_t kb;

   ASSERT_EQ(nvsvm_status_kb(status_text, strlen(status_text), "VmSwap",
                             &kb), -ENOENT);
   /* A key is matched whole: "Vm" is no key of these lines. */
   ASSERT_EQ(nvsvm_status_kb(status_text, strlen(status_text), "Vm", &kb),
             -ENOENT);
   ASSERT_EQ(nvsvm_status_kb(bad, strlen(bad), "VmLck", &kb),
             -NVSVM_E_PARSE);
   ASSERT_EQ(nvsvm_status_kb(bad, strlen(bad), "VmPin", &kb),
             -NVSVM_E_PARSE);
}

TEST(this_process_status_has_vmlck)
{
   char buf[8192];
   uint64_t kb = UINT64_MAX;
   size_t len;

   ASSERT_EQ(nvsvm_read_small("/proc/self/status", buf, sizeof(buf), &len),
             0);
   ASSERT_EQ(strlen(buf), len);
   ASSERT_EQ(nvsvm_status_kb(buf, len, "VmLck", &kb), 0);
   ASSERT_TRUE(kb != UINT64_MAX);
}

TEST(small_reader_refuses_a_file_that_does_not_fit)
{
   char buf[16];
   size_t len;

   ASSERT_EQ(nvsvm_read_small("/proc/self/status", buf, sizeof(buf), &len),
             -EFBIG);
   ASSERT_EQ(nvsvm_read_small("/proc/self/no-such", buf, sizeof(buf), &len),
             -ENOENT);
}

TEST_HARNESS_MAIN
