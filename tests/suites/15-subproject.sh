#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Mesa consumes nvsvm as a meson subproject: build a stand-in consumer
# against this tree with wrap_mode=forcefallback and run it.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$root/tests/subproject/meson.build" "$root/tests/subproject/consumer.c" "$tmp/"
mkdir -p "$tmp/subprojects"
# The tracked files as they stand in the working tree: what a wrap
# would fetch, without build directories.
git -C "$root" ls-files -z | (cd "$root" && tar --null -T - -cf -) |
  (mkdir -p "$tmp/subprojects/nvsvm" && tar -C "$tmp/subprojects/nvsvm" -xf -)
if meson setup "$tmp/b" "$tmp" --wrap-mode=forcefallback >"$tmp/setup.log" 2>&1 &&
   ninja -C "$tmp/b" >"$tmp/build.log" 2>&1 &&
   "$tmp/b/consumer"; then
  echo "PIGLIT: {\"result\": \"pass\"}"
  echo "1 passed, 0 failed, 0 skipped"
  exit 0
fi
tail -n 30 "$tmp/setup.log" "$tmp/build.log" 2>/dev/null
echo "PIGLIT: {\"result\": \"fail\"}"
echo "0 passed, 1 failed, 0 skipped"
exit 1
