#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real `piglit run` of the nvsvm_cl profile (Debian's piglit, through
# tests/piglit/nvsvm-piglit) into build-cl/piglit-results, then a check of
# the results JSON: every scenario present, nothing failed, skips named,
# and each outcome as tests/piglit/expect/ lists it for PoCL (the default)
# or for rusticl's llvmpipe (NVSVM_CL_PLATFORM=rusticl RUSTICL_ENABLE=llvmpipe).
set -uo pipefail
cd "$(dirname "$0")/../.."

b=${BUILD_CL:-build-cl}
export NVSVM_CL_PLATFORM=${NVSVM_CL_PLATFORM-Portable Computing Language}
log=$(mktemp "${TMPDIR:-/tmp}/nvsvm-piglit-XXXXXX")
trap 'rm -f "$log"' EXIT

broken()
{
   echo "# 41-piglit: $*"
   echo "0 passed, 1 failed, 0 skipped"
   exit 1
}

command -v piglit >/dev/null || broken "no piglit on PATH (make deps)"
if [ ! -f "$b/build.ninja" ]; then
   meson setup "$b" -Dopencl=enabled >"$log" 2>&1 ||
      { tail -n 20 "$log"; broken "meson setup $b -Dopencl=enabled failed"; }
fi
ninja -C "$b" -j"${NVSVM_JOBS:-2}" tests/cl/cl-svm-atomics \
   tests/cl/cl-svm-negative >"$log" 2>&1 ||
   { tail -n 30 "$log"; broken "building the CL tests in $b failed"; }

export NVSVM_BUILD_CL
NVSVM_BUILD_CL=$(cd "$b" && pwd)
results=$NVSVM_BUILD_CL/piglit-results
rm -rf "$results"
# piglit bounds each test (300 s, tests/piglit/nvsvm.py); this bounds all.
timeout -k 10 1200 tests/piglit/nvsvm-piglit run nvsvm_cl "$results" \
   >"$log" 2>&1
rc=$?
grep -v '^\[' "$log" | sed '/^ *$/d'
[ $rc -eq 0 ] || broken "piglit run exited $rc"

expect=()
case "$NVSVM_CL_PLATFORM:${RUSTICL_ENABLE:-}" in
"Portable Computing Language:"*)
   expect=(--expect tests/piglit/expect/pocl.txt) ;;
rusticl:llvmpipe)
   expect=(--expect tests/piglit/expect/rusticl-llvmpipe.txt) ;;
esac
echo "# results: $results (tests/piglit/nvsvm-piglit summary console $results)"
python3 tests/piglit/check_results.py "$results" --profile cl "${expect[@]}"
