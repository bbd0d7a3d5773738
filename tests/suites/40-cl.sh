#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# OpenCL SVM-atomics tests through the ICD loader (PoCL unless
# NVSVM_CL_PLATFORM says otherwise; empty = any): build build-cl/, run every
# CL test binary, check the harness's own refusals, count piglit results.
set -uo pipefail
cd "$(dirname "$0")/../.."

b=${BUILD_CL:-build-cl}
export NVSVM_CL_PLATFORM=${NVSVM_CL_PLATFORM-Portable Computing Language}
per=${NVSVM_CL_TEST_TIMEOUT:-300}
log=$(mktemp "${TMPDIR:-/tmp}/nvsvm-cl-XXXXXX")
trap 'rm -f "$log" "$log.one"' EXIT

broken()
{
   echo "# 40-cl: $*"
   echo "0 passed, 1 failed, 0 skipped"
   exit 1
}

if [ ! -f "$b/build.ninja" ]; then
   meson setup "$b" -Dopencl=enabled >"$log" 2>&1 ||
      { tail -n 20 "$log"; broken "meson setup $b -Dopencl=enabled failed"; }
fi
ninja -C "$b" -j"${NVSVM_JOBS:-2}" tests/cl/cl-svm-atomics \
   tests/cl/cl-svm-negative >"$log" 2>&1 ||
   { tail -n 30 "$log"; broken "building the CL tests in $b failed"; }
: >"$log"

# One named check of the harness itself, in the piglit shape we count.
pseudo()
{
   local name=$1 res=$2
   shift 2
   { echo "# $name: $*"
     echo "PIGLIT: {\"enumerate subtests\": [\"$name\"]}"
     echo "PIGLIT: {\"subtest\": {\"$name\": \"$res\"}}"
     echo "PIGLIT: {\"result\": \"$res\"}"; } | tee -a "$log"
}

echo "# platform filter: '${NVSVM_CL_PLATFORM}'"
while IFS=$'\t' read -r name exe args; do
   # The counter names each result by this line (the expect file's TEST).
   echo "=== $name" | tee -a "$log"
   # shellcheck disable=SC2086 # args are single words by construction
   timeout -k 5 "$per" "$exe" $args >"$log.one" 2>&1
   rc=$?
   cat "$log.one"
   cat "$log.one" >>"$log"
   if [ $rc -ge 124 ]; then
      pseudo "$name-ends-in-time" fail "exit $rc (timeout ${per}s or signal)"
   elif ! grep -q '^PIGLIT: {"result"' "$log.one"; then
      pseudo "$name-reports-a-result" fail "exit $rc without a result line"
   fi
done < <(NVSVM_BUILD_CL=$(cd "$b" && pwd) \
         python3 tests/piglit/nvsvm.py --list cl)

# Bad input: a clear named error, no crash, no hang.
out=$(timeout 30 "$b/tests/cl/cl-svm-atomics" --memory sideways 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -q "neither 'buffer' nor 'system'" <<<"$out"; then
   pseudo harness-rejects-unknown-memory-kind pass "exit 2, named"
else
   pseudo harness-rejects-unknown-memory-kind fail "exit $rc: $out"
fi

out=$(timeout 60 "$b/tests/cl/cl-svm-atomics" --memory buffer \
      --platform no-such-platform-anywhere 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -q "no OpenCL device matches platform" <<<"$out" &&
   ! grep -q '"pass"' <<<"$out"; then
   pseudo unmatched-platform-fails-by-name pass "exit 1, every subtest fail"
else
   pseudo unmatched-platform-fails-by-name fail "exit $rc: $out"
fi

# A device wait that runs out must fail the run quickly, not hang it: with
# a 1000-load spin limit the kernel gives up before the host says go.
t0=$(date +%s)
out=$(timeout 120 "$b/tests/cl/cl-svm-atomics" --memory buffer \
      --spin-limit 1000 2>&1)
rc=$?
dt=$(( $(date +%s) - t0 ))
if [ $rc -eq 1 ] && grep -q "waits hit their bound" <<<"$out" &&
   [ "$dt" -lt 60 ]; then
   pseudo device-wait-bound-fails-fast pass "exit 1 after ${dt}s"
elif grep -q "missing CL_DEVICE" <<<"$out"; then
   pseudo device-wait-bound-fails-fast skip "device lacks the capabilities"
else
   pseudo device-wait-bound-fails-fast fail "exit $rc after ${dt}s"
fi

# warn is a pass only where the platform's expect file lists it.
expect=()
case "$NVSVM_CL_PLATFORM" in
"Portable Computing Language")
   expect=(--expect tests/piglit/expect/pocl.txt) ;;
esac
python3 tools/piglit_count.py "${expect[@]}" "$log"
