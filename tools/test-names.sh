#!/bin/sh
# SPDX-License-Identifier: MIT
# The scenario names of test binaries, as piglit enumerates them: one
# "binary<TAB>name" line per scenario, in order. Nothing runs (the
# subtest asked for does not exist), so it works without the devices.
# Used to check that a port onto the shared harness kept every name:
#
#    tools/test-names.sh old/kt-* > before; tools/test-names.sh new/kt-* > after
#    diff before after
#
# usage: test-names.sh BINARY...
status=0
for bin in "$@"; do
   # Build directories hold a BIN.p object folder next to each binary.
   [ -f "$bin" ] && [ -x "$bin" ] || continue
   line=$(NVSVM_HARNESS_FORMAT=piglit "$bin" -subtest __nvsvm_no_such_test__ \
          2>/dev/null | grep '^PIGLIT: {"enumerate subtests"')
   if [ -z "$line" ]; then
      echo "$bin: no piglit enumerate line" >&2
      status=1
      continue
   fi
   echo "$line" | sed -e 's/^PIGLIT: {"enumerate subtests": \[//' \
                      -e 's/\]}$//' | tr ',' '\n' |
      sed -e 's/^ *"//' -e 's/"$//' -e '/^$/d' -e "s|^|$(basename "$bin")	|"
done
exit $status
