#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Vulkan host-memory atomics (tests/vk) on lavapipe unless the caller names
# another driver: build build-vk/, a real `piglit run` of the nvsvm_vk
# profile, a check of its results (every scenario present, nothing failed,
# skips named, outcomes as tests/piglit/expect/ lists them for lavapipe),
# then named checks of the harness's own refusals and bounds.
#
# Driver: NVSVM_VK_DRIVER=lavapipe (default: Debian's lvp_icd JSON),
# NVSVM_VK_DRIVER=system (the loader's own choice, VK_ICD_FILENAMES or
# VK_DRIVER_FILES as set; no expectations file), NVSVM_VK_DRIVER=none (no
# driver: every scenario skips by name, tests/piglit/expect/vk-none.txt),
# or a path to an ICD JSON.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

b=${BUILD_VK:-build-vk}
log=$(mktemp "${TMPDIR:-/tmp}/nvsvm-vk-XXXXXX")
trap 'rm -f "$log" "$log.check"' EXIT

broken()
{
   echo "# 42-vk: $*"
   echo "0 passed, 1 failed, 0 skipped"
   exit 1
}

driver=${NVSVM_VK_DRIVER:-lavapipe}
expect=()
case "$driver" in
lavapipe)
   icd=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
   [ -f "$icd" ] || broken "no $icd (mesa-vulkan-drivers; make deps)"
   export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd
   expect=(--expect tests/piglit/expect/lavapipe.txt) ;;
system) ;;
none)
   # No driver at all: every scenario must skip, naming the device.
   export VK_ICD_FILENAMES=/nonexistent/nvsvm-no-icd.json
   export VK_DRIVER_FILES=$VK_ICD_FILENAMES
   expect=(--expect tests/piglit/expect/vk-none.txt) ;;
*)
   [ -f "$driver" ] || broken "NVSVM_VK_DRIVER=$driver: no such ICD JSON"
   export VK_ICD_FILENAMES=$driver VK_DRIVER_FILES=$driver ;;
esac
echo "# driver: $driver${VK_ICD_FILENAMES:+ ($VK_ICD_FILENAMES)}"

command -v piglit >/dev/null || broken "no piglit on PATH (make deps)"
if [ ! -f "$b/build.ninja" ]; then
   meson setup "$b" -Dvulkan=enabled >"$log" 2>&1 ||
      { tail -n 20 "$log"; broken "meson setup $b -Dvulkan=enabled failed"; }
fi
ninja -C "$b" -j"${NVSVM_JOBS:-2}" tests/vk/vk-host-atomics \
   tests/vk/vk-host-import-rules >"$log" 2>&1 ||
   { tail -n 30 "$log"; broken "building the Vulkan tests in $b failed"; }

export NVSVM_BUILD_VK
NVSVM_BUILD_VK=$(cd "$b" && pwd)
results=$NVSVM_BUILD_VK/piglit-results
rm -rf "$results"
# piglit bounds each test (300 s, tests/piglit/nvsvm.py); this bounds all.
timeout -k 10 1200 tests/piglit/nvsvm-piglit run nvsvm_vk "$results" \
   >"$log" 2>&1
rc=$?
grep -v '^\[' "$log" | sed '/^ *$/d'
[ $rc -eq 0 ] || broken "piglit run exited $rc"
# The scenarios' own detail lines, for the record.
python3 - "$results" <<'PY'
import bz2, gzip, json, lzma, os, sys
d = sys.argv[1]
for name, op in (('results.json', open), ('results.json.bz2', bz2.open),
                 ('results.json.gz', gzip.open),
                 ('results.json.xz', lzma.open)):
    p = os.path.join(d, name)
    if os.path.exists(p):
        with op(p, 'rt') as f:
            tests = json.load(f)['tests']
        break
else:
    sys.exit(0)
for t in sorted(tests):
    print('=== %s: %s' % (t, tests[t].get('result')))
    for line in tests[t].get('out', '').splitlines():
        if line.startswith('# '):
            print(line)
PY

echo "# results: $results (tests/piglit/nvsvm-piglit summary console $results)"
python3 tests/piglit/check_results.py "$results" --profile vk \
   "${expect[@]}" | tee "$log.check"
read -r p _ f _ s _ <<<"$(tail -n 1 "$log.check" | tr -d ,)"

# Named checks of the harness: bad input, no device, bounded waits.
hp=0 hf=0 hs=0
check()
{
   local name=$1 ok=$2
   shift 2
   if [ "$ok" = skip ]; then
      echo "harness: $name: skip ($*)"
      hs=$((hs + 1))
   elif [ "$ok" = yes ]; then
      echo "harness: $name: pass ($*)"
      hp=$((hp + 1))
   else
      echo "harness: $name: fail ($*)"
      hf=$((hf + 1))
   fi
}
exe=$b/tests/vk/vk-host-atomics

out=$(timeout 30 "$exe" --memory sideways 2>&1)
rc=$?
[ $rc -eq 2 ] && grep -q "neither 'malloc' nor 'mmap'" <<<"$out" &&
   ok=yes || ok=no
check rejects-unknown-memory-kind "$ok" "exit $rc"

out=$(timeout 30 "$exe" 2>&1)
rc=$?
[ $rc -eq 2 ] && grep -q "\-\-memory malloc|mmap is required" <<<"$out" &&
   ok=yes || ok=no
check requires-memory-kind "$ok" "exit $rc"

out=$(VK_ICD_FILENAMES=/nonexistent/icd.json \
      VK_DRIVER_FILES=/nonexistent/icd.json \
      timeout 60 "$exe" --memory mmap 2>&1)
rc=$?
[ $rc -eq 0 ] && grep -q "^# skip: missing a Vulkan device" <<<"$out" &&
   ! grep -qE '"(pass|fail)"' <<<"$out" && ok=yes || ok=no
check no-driver-skips-by-name "$ok" "exit $rc"

if [ "$driver" = none ]; then
   for c in unmatched-device-fails-by-name device-wait-bound-fails-fast \
            host-timeout-aborts-the-shader; do
      check "$c" skip "missing a Vulkan device: NVSVM_VK_DRIVER=none"
   done
else
   out=$(timeout 60 "$exe" --memory mmap \
         --device no-such-device-anywhere 2>&1)
   rc=$?
   [ $rc -eq 1 ] && grep -q "no Vulkan device matches" <<<"$out" &&
      ! grep -q '"pass"' <<<"$out" && ok=yes || ok=no
   check unmatched-device-fails-by-name "$ok" "exit $rc"

   # A device wait that runs out must fail the run quickly, not hang it: with
   # a one-iteration spin limit (16 loads) the shader gives up while the host
   # is still starting its threads, before it says go.
   t0=$(date +%s)
   out=$(timeout 120 "$exe" --memory mmap --spin-limit 1 \
         -subtest host-and-device-increments-sum-exactly 2>&1)
   rc=$?
   dt=$(( $(date +%s) - t0 ))
   [ $rc -eq 1 ] && grep -q "waits hit their bound" <<<"$out" &&
      [ "$dt" -lt 60 ] && ok=yes || ok=no
   check device-wait-bound-fails-fast "$ok" "exit $rc after ${dt}s"

   # A host wait that runs out ends the dispatch through the abort word: with
   # 1 ms per host wait some wait of 2000 ping-pong rounds runs out, the host
   # raises abort, the shader leaves its wait and the fence signals; the
   # device must not be left wedged. (Should every round answer within 1 ms,
   # the run passes, also in bounded time.)
   t0=$(date +%s)
   out=$(timeout 120 "$exe" --memory mmap --timeout-ms 1 \
         -subtest flag-ping-pong-alternates-exactly 2>&1)
   rc=$?
   dt=$(( $(date +%s) - t0 ))
   if [ $rc -le 1 ] && [ "$dt" -lt 60 ] &&
      ! grep -q "giving up on this device" <<<"$out"; then
      check host-timeout-aborts-the-shader yes "exit $rc after ${dt}s$(
         grep -q 'waits hit their bound\|no answer\|no invocation' <<<"$out" &&
         echo ', abort path taken')"
   else
      check host-timeout-aborts-the-shader no "exit $rc after ${dt}s"
   fi
fi

p=$((p + hp)) f=$((f + hf)) s=$((s + hs))
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
