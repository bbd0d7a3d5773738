#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs inside the VM (busybox sh): every kernel-path test binary of a build
# dir, each under a time limit, with vsvm.ko loaded around the vt-* ones.
#
# usage: guest-suite.sh BUILD_DIR
# env:   NVSVM_TEST_TIMEOUT  seconds per binary (default 120)
#        NVSVM_VSVM_KO       vsvm.ko to load before tests/vsvm/vt-*
#        NVSVM_KERNEL        passed on to the tests (set by /init)
#        NVSVM_HARNESS_TIMEOUT_SCALE  per-scenario timeouts times this
#                            (default 2: a VM on a shared host is slow)
# The tests are on the shared harness (tests/common/harness.h), told to
# print piglit's lines (NVSVM_HARNESS_FORMAT=piglit).
# Output: the tests' own piglit lines, plus a named pseudo-test (piglit
# subtest) for each check made here; "NVSVM-SUITE-DONE" at the end.

build=${1:?usage: guest-suite.sh BUILD_DIR}
per=${NVSVM_TEST_TIMEOUT:-120}
status=0
export NVSVM_HARNESS_FORMAT=piglit
export NVSVM_HARNESS_TIMEOUT_SCALE=${NVSVM_HARNESS_TIMEOUT_SCALE:-2}

. "$(dirname "$0")/../../tests/common/piglit.sh"

# One named check of our own, in the piglit shape the counter reads.
pseudo()
{
   res=$2
   piglit_result "$@"
   [ "$res" = pass ] || [ "$res" = skip ] || status=1
}

run_one()
{
   bin=$1
   name=$(basename "$bin")
   out=/tmp/suite-$name.out
   echo "=== $name"
   t0=$(date +%s)
   { timeout -k 5 "$per" "$bin"; echo $? >/tmp/suite-rc; } 2>&1 | tee "$out"
   rc=$(cat /tmp/suite-rc)
   dt=$(( $(date +%s) - t0 ))
   # A test that ended early leaves its enumerated subtests unreported; the
   # host counter fails those. A result line makes that count happen now.
   if [ "$rc" -ge 128 ] && [ "$dt" -ge "$per" ]; then
      echo "# $name: timed out after ${per}s (NVSVM_TEST_TIMEOUT)"
      echo 'PIGLIT: {"result": "fail"}'
      status=1
   elif [ "$rc" -ge 128 ]; then
      echo "# $name: killed by signal $((rc - 128))"
      echo 'PIGLIT: {"result": "crash"}'
      status=1
   elif ! grep -q '^PIGLIT: {"result"' "$out"; then
      echo "# $name: exited $rc without a piglit result line"
      echo 'PIGLIT: {"result": "fail"}'
      status=1
   elif [ "$rc" -ne 0 ]; then
      status=1
   fi
   rm -f "$out"
}

echo "nvsvm guest suite: kernel $NVSVM_KERNEL, build $build, ${per}s per test"

# The device every kernel-path test needs; its absence is the first thing
# a kernel developer with their own config must learn about.
if [ -c /dev/hmm_dmirror0 ] && [ -c /dev/hmm_dmirror1 ]; then
   pseudo vm_hmm_devices_present pass "/dev/hmm_dmirror0 and 1 exist"
else
   pseudo vm_hmm_devices_present fail \
      "/dev/hmm_dmirror0/1 missing: kernel lacks CONFIG_TEST_HMM=y" \
      "(see docs/vm.md)"
fi

kts=$(ls "$build"/tests/kernel/kt-* 2>/dev/null | sort)
vts=$(ls "$build"/tests/vsvm/vt-* "$build"/tests/gallium/vt-* 2>/dev/null | sort)

for t in $kts; do
   [ -f "$t" ] && [ -x "$t" ] && run_one "$t"
done

if [ -n "$vts" ]; then
   ko=$NVSVM_VSVM_KO
   mod=$(basename "${ko:-vsvm.ko}" .ko)
   if [ -z "$ko" ] || [ ! -f "$ko" ]; then
      pseudo vsvm_module_loads fail "no vsvm.ko given (NVSVM_VSVM_KO='$ko')"
   elif timeout 30 insmod "$ko"; then
      pseudo vsvm_module_loads pass "insmod $ko"
   else
      pseudo vsvm_module_loads fail "insmod $ko failed"
   fi
   for t in $vts; do
      [ -f "$t" ] && [ -x "$t" ] && run_one "$t"
   done
   if grep -q "^$mod " /proc/modules; then
      if timeout 30 rmmod "$mod" && ! grep -q "^$mod " /proc/modules; then
         pseudo vsvm_module_unloads pass "rmmod $mod"
      else
         pseudo vsvm_module_unloads fail \
            "rmmod $mod failed: $(grep "^$mod " /proc/modules)"
      fi
   fi
fi

echo "NVSVM-SUITE-DONE: $status"
exit $status
