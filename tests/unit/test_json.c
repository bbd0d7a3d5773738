/* SPDX-License-Identifier: MIT */
/*
 * The CLI's JSON writer: any byte string comes out as valid, escaped
 * JSON, and nesting produces the exact text `nvsvm probe --json` prints.
 */

#include <stdio.h>
#include <stdlib.h>

#include "nvsvm_json.h"
#include "harness.h"

/* Run fn over a memstream and compare the text it wrote. */
#define EXPECT_JSON(want, ...)                                       \
   do {                                                              \
      char *_buf = NULL;                                             \
      size_t _len = 0;                                               \
      FILE *_f = open_memstream(&_buf, &_len);                       \
      struct nvsvm_json j;                                           \
      ASSERT_TRUE(_f != NULL);                                       \
      nvsvm_json_init(&j, _f);                                       \
      __VA_ARGS__;                                                   \
      fclose(_f);                                                    \
      bool _same = strcmp(_buf, (want)) == 0;                        \
      if (!_same)                                                    \
         printf("#   got:  %s\n#   want: %s\n", _buf, (want));       \
      free(_buf);                                                    \
      ASSERT_TRUE(_same);                                            \
   } while (0)

TEST(quotes_and_backslashes_are_escaped)
{
   EXPECT_JSON("\"a\\\"b\\\\c\"",
               nvsvm_json_string(&j, NULL, "a\"b\\c"));
}

TEST(control_and_non_ascii_bytes_become_unicode_escapes)
{
   EXPECT_JSON("\"x\\n\\t\\u0001\\u00ff\\u007f\"",
               nvsvm_json_string(&j, NULL, "x\n\t\x01\xff\x7f"));
}

TEST(null_string_is_json_null)
{
   EXPECT_JSON("null", nvsvm_json_string(&j, NULL, NULL));
}

TEST(empty_containers_close_on_the_same_line)
{
   EXPECT_JSON("{\n  \"a\": [],\n  \"o\": {}\n}\n",
               nvsvm_json_object_begin(&j, NULL);
               nvsvm_json_array_begin(&j, "a");
               nvsvm_json_array_end(&j);
               nvsvm_json_object_begin(&j, "o");
               nvsvm_json_object_end(&j);
               nvsvm_json_object_end(&j));
}

TEST(members_are_comma_separated_with_typed_values)
{
   EXPECT_JSON("{\n  \"b\": true,\n  \"i\": -38,\n"
               "  \"u\": 18446744073709551615,\n  \"n\": null,\n"
               "  \"l\": [\n    \"x\",\n    false\n  ]\n}\n",
               nvsvm_json_object_begin(&j, NULL);
               nvsvm_json_bool(&j, "b", true);
               nvsvm_json_int(&j, "i", -38);
               nvsvm_json_uint(&j, "u", UINT64_MAX);
               nvsvm_json_null(&j, "n");
               nvsvm_json_array_begin(&j, "l");
               nvsvm_json_string(&j, NULL, "x");
               nvsvm_json_bool(&j, NULL, false);
               nvsvm_json_array_end(&j);
               nvsvm_json_object_end(&j));
}

TEST(keys_are_escaped_like_values)
{
   EXPECT_JSON("{\n  \"k\\\"\": 1\n}\n",
               nvsvm_json_object_begin(&j, NULL);
               nvsvm_json_uint(&j, "k\"", 1);
               nvsvm_json_object_end(&j));
}

TEST_HARNESS_MAIN
