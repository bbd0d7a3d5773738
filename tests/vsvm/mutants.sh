#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs inside the VM (busybox sh), started by tests/suites/35-mutants.sh:
# loads the test build of vsvm (VSVM_MUTANTS) once per mutant and runs the
# vt-* scenarios that guard the promise that mutant breaks. The control
# (mutant=none) must pass every scenario; each mutant must make at least
# one fail. Prints the kill table and one piglit pseudo-test per row; the
# scenarios' own piglit lines are shown with "#" so that only the table
# is counted.
#
# usage: mutants.sh BUILD_DIR VSVM_KO
# env:   NVSVM_TEST_TIMEOUT  seconds per scenario (default 120)
#        NVSVM_MUTANTS_WINDOW_NS  rmw_window_ns for every run, control
#                                 included (default 20000): a window that
#                                 a CPU thread woken from the folio lock
#                                 can still reach under TCG

build=${1:?usage: mutants.sh BUILD_DIR VSVM_KO}
ko=${2:?usage: mutants.sh BUILD_DIR VSVM_KO}
per=${NVSVM_TEST_TIMEOUT:-120}
window=${NVSVM_MUTANTS_WINDOW_NS:-20000}
vt=$build/tests/vsvm
status=0
# The scenarios' harness prints piglit's lines, read below.
export NVSVM_HARNESS_FORMAT=piglit
export NVSVM_HARNESS_TIMEOUT_SCALE=${NVSVM_HARNESS_TIMEOUT_SCALE:-2}
table=/tmp/mutants.table
: >"$table"

A=vt-atomics:concurrent_atomics_on_one_page_are_exact
S=vt-sync:cas_spinlock_excludes_cpu_and_device
U=vt-lifecycle:munmap_kills_channel_cleanly
P=vt-lifecycle:mprotect_during_atomic_fault_is_seen
F=vt-prefault:prefaulted_range_takes_no_device_faults
R=vt-prefault:shared_page_stops_with_eopnotsupp
B=vt-prefault:whole_call_is_bounded
C=vt-prefault:cpu_touch_revokes_prefault

# mutant, then the scenarios that guard its promise.
plan="none $A $S $U $P $F $R $B $C
no_exclusive $A $S
ignore_invalidate $A $U $C
no_seq_retry $P $A
unlock_before_access $A $S
no_unmap_invalidate $U $A
prefault_no_map $F
prefault_no_stop $R
prefault_no_deadline $B"

. "$(dirname "$0")/../common/piglit.sh"

pseudo()
{
   res=$2
   piglit_result "$@"
   [ "$res" = pass ] || status=1
}

# One scenario, its output shown as comments; its result (pass, fail,
# skip, timeout or crash) in /tmp/mutant-res.
scenario()
{
   bin=${1%%:*} sub=${1#*:}
   out=/tmp/mutant-scenario.out
   timeout -k 5 "$per" "$vt/$bin" -subtest "$sub" >"$out" 2>&1
   rc=$?
   sed 's/^/#   /' "$out"
   res=$(sed -n "s/^PIGLIT: {\"subtest\": {\"$sub\": \"\\([a-z]*\\)\"}}.*/\\1/p" \
         "$out" | tail -n 1)
   if [ -z "$res" ]; then
      if [ "$rc" -ge 124 ]; then res=timeout; else res=crash; fi
   fi
   echo "$res" >/tmp/mutant-res
}

load()
{
   grep -q '^vsvm ' /proc/modules && ! timeout 30 rmmod vsvm && return 1
   timeout 30 insmod "$ko" "mutant=$1" "rmw_window_ns=$window"
}

echo "$plan" | while read -r mutant scenarios; do
   echo "=== mutant $mutant"
   if ! load "$mutant"; then
      echo "$mutant load-failed" >>"$table"
      continue
   fi
   row="$mutant"
   for s in $scenarios; do
      # A mutant's harm can hinge on timing (munmap racing the device's
      # next conversion): up to three runs, the first that does not pass
      # counts. The control runs once and must pass.
      tries=1
      [ "$mutant" = none ] || tries=3
      while :; do
         scenario "$s"
         r=$(cat /tmp/mutant-res)
         tries=$((tries - 1))
         [ "$r" = pass ] && [ $tries -gt 0 ] || break
      done
      echo "# $mutant: ${s#*:} -> $r"
      row="$row ${s#*:}=$r"
   done
   if grep -q '^vsvm ' /proc/modules && ! timeout 30 rmmod vsvm; then
      row="$row unload=fail"
   fi
   echo "$row" >>"$table"
done

echo
echo "# kill table (scenario=result; a mutant is killed when one fails;" \
   "rmw_window_ns=$window)"
while read -r mutant rest; do
   printf '#   %-22s %s\n' "$mutant" "$rest"
done <"$table"

while read -r mutant rest; do
   case "$rest" in
   *load-failed*)
      pseudo "mutant_${mutant}_loads" fail "insmod $ko mutant=$mutant failed"
      continue ;;
   esac
   case "$rest" in
   *unload=fail*)
      pseudo "mutant_${mutant}_unloads" fail "rmmod vsvm failed" ;;
   esac
   killers=""
   for kv in $rest; do
      case "$kv" in
      unload=*) ;;
      *=pass|*=skip) ;;
      *) killers="$killers ${kv%%=*}($(echo "${kv#*=}"))" ;;
      esac
   done
   if [ "$mutant" = none ]; then
      if [ -z "$killers" ] && ! echo "$rest" | grep -q '=skip'; then
         pseudo mutants_control_passes_every_scenario pass "$rest"
      else
         pseudo mutants_control_passes_every_scenario fail \
            "the unmutated test build fails or skips:$killers $rest"
      fi
   elif [ -n "$killers" ]; then
      pseudo "mutant_${mutant}_is_killed" pass "killed by$killers"
   else
      pseudo "mutant_${mutant}_is_killed" fail "survived: $rest"
   fi
done <"$table"

echo "NVSVM-SUITE-DONE: $status"
exit $status
