#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One VM test suite (tests/suites/3x-vm-*.sh): build the kernel (cached), the
# project in build-vm/ and vsvm.ko, boot one VM running every kernel-path
# test, and print the piglit count as "N passed, N failed, N skipped".
#
# usage: suite.sh 7.2|6.12|6.1 [--debug]   our cached kernels
#        suite.sh KERNEL-TREE|BZIMAGE   your own kernel (see docs/vm.md)
# env:   NVSVM_VM_TIMEOUT (whole VM, default 1200 s), NVSVM_TEST_TIMEOUT
#        (per test binary, default 120 s), BUILD_VM (default build-vm),
#        NVSVM_VM_SELFCHECK=0 skips the four runner self-checks (~30 s)
set -uo pipefail
# The whole script is one block: bash reads it completely before running,
# so editing this file cannot derail a build or VM already running.
{

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/common/piglit.sh"
cd "$root" || exit 1

kver=${1:?usage: suite.sh 7.2|6.12|6.1 [--debug]}
debug=${2:-}
bvm=${BUILD_VM:-build-vm}
vm_timeout=${NVSVM_VM_TIMEOUT:-1200}
test_timeout=${NVSVM_TEST_TIMEOUT:-120}

# A step that fails before the VM runs is one failed (named) test.
broken()
{
   echo "# suite $kver${debug:+ $debug}: $*"
   echo "0 passed, 1 failed, 0 skipped"
   exit 1
}

case "$kver" in
7.2|6.12|6.1)
   tree=$("$here/kernel-build.sh" --kernel "$kver" $debug --print-tree) ||
      broken "kernel build failed" ;;
*)
   # Your own kernel: a built tree (vsvm.ko is built against it) or a
   # bzImage (no modules).
   [ -z "$debug" ] || broken "--debug applies to 7.2|6.12|6.1 only"
   [ -e "$kver" ] || broken "no kernel tree or bzImage at $kver"
   tree=$(realpath "$kver") ;;
esac

if [ ! -f "$bvm/build.ninja" ]; then
   # Tolerate a concurrent setup of the same dir by another run.
   if ! out=$(meson setup "$bvm" 2>&1) && [ ! -f "$bvm/build.ninja" ]; then
      echo "$out" | tail -n 20
      broken "meson setup $bvm failed"
   fi
fi
ninja -C "$bvm" -j"${NVSVM_JOBS:-2}" >/dev/null ||
   { ninja -C "$bvm" -j1 | tail -n 30; broken "build in $bvm failed"; }

runargs=(--kernel "$tree" --build "$bvm" --timeout "$vm_timeout"
         --env "NVSVM_TEST_TIMEOUT=$test_timeout")
# Contract with kernel/vsvm: build.sh <kernel-tree> <outdir> -> outdir/vsvm.ko
if [ -f kernel/vsvm/build.sh ] && [ -d "$tree" ]; then
   outdir=$root/$bvm/vsvm-$(basename "$tree")
   mkdir -p "$outdir"
   if bash kernel/vsvm/build.sh "$tree" "$outdir" >"$outdir/build.log" 2>&1 &&
      [ -f "$outdir/vsvm.ko" ]; then
      runargs+=(--add "$outdir/vsvm.ko"
                --env "NVSVM_VSVM_KO=$outdir/vsvm.ko")
   else
      tail -n 30 "$outdir/build.log"
      echo "# vsvm.ko did not build for $tree (log: $outdir/build.log)"
      # The guest reports vsvm_module_loads as failed when vt-* exist.
   fi
fi

log=$(mktemp "${TMPDIR:-/tmp}/nvsvm-suite-XXXXXX")
trap 'rm -f "$log"' EXIT
"$here/run" "${runargs[@]}" -- sh tools/vm/guest-suite.sh "$root/$bvm" \
   2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# The runner's own promises, checked on this kernel: a splat fails the run
# (a WARNING written to /dev/kmsg looks exactly like the kernel's own), the
# timeout stops a stuck guest, and the command's status comes back.
selfcheck()
{
   local name=$1 want=$2 got out
   shift 2
   out=$("$here/run" --kernel "$tree" --build "$bvm" "$@" 2>&1)
   got=$?
   local res=pass
   [ "$got" -eq "$want" ] || res=fail
   {
      [ "$res" = pass ] || echo "$out" | tail -n 15 | sed 's/^/#   /'
      piglit_result "$name" "$res" "vm/run exited $got, expected $want"
   } | tee -a "$log"
}
# The guest's clock: the TSC (not jiffies, 4 ms steps) at the host's rate
# (tsc_early_khz= from tools/vm/run). The guest sleeps 4 s by its clock
# between two marks; the host stamps the marks as they reach the console.
# The clocksource is read last: for its first two seconds a kernel runs on
# "tsc-early", until the TSC clocksource proper is registered.
clockcheck()
{
   local name=vm_guest_clock_is_the_tsc_at_host_rate out res=fail why
   out=$("$here/run" --kernel "$tree" --build "$bvm" --timeout 60 -- sh -c \
      'echo "mark0 $(cut -d" " -f1 /proc/uptime)"; sleep 4
       echo "mark1 $(cut -d" " -f1 /proc/uptime)"
       echo "clock: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"' 2>&1 |
      while IFS= read -r l; do echo "$(date +%s.%N) $l"; done)
   why=$(echo "$out" | awk '
      $2 == "clock:" { src = $3 }
      $2 == "mark0" { h0 = $1; g0 = $3 }
      $2 == "mark1" { h1 = $1; g1 = $3 }
      END {
         if (src != "tsc") { print "clocksource \"" src "\", not tsc"; exit 1 }
         if (h1 == "" || h0 == "") { print "no marks on the console"; exit 1 }
         r = (g1 - g0) / (h1 - h0)
         printf "guest %.2f s over host %.2f s (ratio %.3f)", g1 - g0, h1 - h0, r
         exit (r < 0.9 || r > 1.1)
      }') && res=pass
   {
      [ "$res" = pass ] || echo "$out" | tail -n 15 | sed 's/^/#   /'
      piglit_result "$name" "$res" "$why"
   } | tee -a "$log"
}
if [ "${NVSVM_VM_SELFCHECK:-1}" != 0 ]; then
   selfcheck vm_run_fails_on_kernel_warning 126 --timeout 60 -- \
      sh -c 'echo "WARNING: CPU: 0 PID: 1 at nvsvm/selfcheck.c:1 x" >/dev/kmsg'
   selfcheck vm_run_kills_a_stuck_guest_at_its_timeout 124 --timeout 10 -- \
      sleep 600
   selfcheck vm_run_returns_the_command_status 7 --timeout 60 -- \
      sh -c 'exit 7'
   clockcheck
fi

# The behaviours the scenarios recorded, as JSON for the table of
# docs/kernel-path.md, which must agree with this run (our kernels only).
case "$kver" in
7.2|6.12|6.1)
   release=$(sed -n 's/^nvsvm-vm: kernel \([^ ,]*\),.*/\1/p' "$log" | head -n 1)
   flavour=base
   [ -z "$debug" ] || flavour=debug
   mkdir -p "$bvm/kernel-results"
   results=$bvm/kernel-results/$kver-$flavour.json
   name=kernel_path_table_matches_this_run
   out="# collecting the recorded behaviours failed"
   res=fail
   if python3 "$here/kernel-table.py" collect "$log" "$kver" \
         "${release:-unknown}" "$flavour" "$results" >/dev/null; then
      out=$(python3 "$here/kernel-table.py" check "$results")
      case $? in
      0) res=pass ;;
      2) res=warn ;; # first run of this kernel: the values are printed
      esac
   fi
   {
      echo "$out" | tail -n 40
      piglit_result "$name" "$res" "results: $results"
   } | tee -a "$log"
   ;;
esac

counted=$(python3 "$root/tools/piglit_count.py" "$log")
# Its notes (missing subtests...), then our own total below.
echo "$counted" | sed '$d'
counts=$(echo "$counted" | tail -n 1)
read -r p _ f _ s _ <<<"${counts//,/}"
extra=0
case "$rc" in
124|125|126)
   echo "# suite $kver${debug:+ $debug}: the VM run failed (vm/run exit $rc)"
   extra=1 ;;
esac
if ! grep -q '^NVSVM-SUITE-DONE' "$log"; then
   echo "# suite $kver${debug:+ $debug}: guest suite did not finish"
   extra=1
fi
f=$((f + extra))
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
exit
}
