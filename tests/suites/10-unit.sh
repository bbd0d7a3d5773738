#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Host unit tests under ASan/UBSan, counted per TAP scenario.
set -uo pipefail
cd "$(dirname "$0")/../.."
b=${BUILD_SAN:-build-san}
[ -f "$b/build.ninja" ] ||
  meson setup "$b" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null ||
  { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
ninja -C "$b" >/dev/null || { ninja -C "$b"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
meson test -C "$b" --suite unit --print-errorlogs >/dev/null
rc=$?
python3 tools/tap_count.py "$b/meson-logs/testlog.json"
exit $rc
