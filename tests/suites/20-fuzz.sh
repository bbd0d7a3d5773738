#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A short libFuzzer run (clang, ASan/UBSan) over the maps/smaps parser,
# seeded from tests/fuzz/corpus. Skips, saying why, without clang.
set -uo pipefail
cd "$(dirname "$0")/../.."
b=${BUILD_FUZZ:-build-fuzz}
secs=${NVSVM_FUZZ_SECONDS:-20}

skip() { echo "fuzz: skipped: $*"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
fail() { echo "fuzz: $*"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

command -v clang >/dev/null || skip "clang is not installed"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }' \
  >"$probe/t.c"
clang -fsanitize=fuzzer "$probe/t.c" -o "$probe/t" 2>/dev/null ||
  skip "clang has no libFuzzer runtime (Debian: libclang-rt-14-dev)"

if [ ! -f "$b/build.ninja" ]; then
  CC=clang meson setup "$b" -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false >"$probe/setup.log" 2>&1 ||
    { cat "$probe/setup.log"; fail "meson setup of $b failed"; }
fi
ninja -C "$b" tests/fuzz/fuzz_maps >"$probe/build.log" 2>&1 ||
  { cat "$probe/build.log"; fail "fuzz target does not build"; }

mkdir -p "$probe/corpus"
"$b/tests/fuzz/fuzz_maps" -max_total_time="$secs" -timeout=5 \
  -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$b/" \
  "$probe/corpus" tests/fuzz/corpus >"$probe/fuzz.log" 2>&1
rc=$?
grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' \
  "$probe/fuzz.log" | sed 's/^/fuzz: /'
grep -E 'cov: [0-9]+' "$probe/fuzz.log" | tail -n 1 | sed 's/^/fuzz: /'
if [ $rc -ne 0 ]; then
  tail -n 40 "$probe/fuzz.log"
  fail "fuzz_maps found a crash (exit $rc); reproducer in $b/"
fi
echo "fuzz: fuzz_maps ran ${secs}s without a crash"
echo "1 passed, 0 failed, 0 skipped"
