#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nvsvm-prebuild: kernel 6.12
# Mutants: the test build of vsvm (kernel/vsvm/build.sh --mutants) carries
# five deliberate bugs, each breaking one promise of the device-exclusive
# path (see kernel/vsvm/vsvm_drv.h). One VM on 6.12 loads it once per
# mutant and runs the vt-* scenarios that guard that promise
# (tests/vsvm/mutants.sh); every mutant must make one of them fail, and
# the unmutated control must pass them all. Prints the kill table.
# One library mutant too, on the host: the range check accepting MAP_SHARED
# (a patched copy of the tree) must make test_range fail.
# nvsvm-min-results: 7
# env: NVSVM_MUTANTS_KERNEL (default 6.12), NVSVM_VM_TIMEOUT (default 1500 s)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd)

kver=${NVSVM_MUTANTS_KERNEL:-6.12}
bvm=${BUILD_VM:-build-vm}
# The control, five vsvm mutants and one library mutant: one named
# pseudo-test each.
declared=10

broken()
{
   echo "# 35-mutants: $*"
   echo "0 passed, 1 failed, 0 skipped"
   exit 1
}

tree=$(tools/vm/kernel-build.sh --kernel "$kver" --print-tree) ||
   broken "kernel $kver build failed"
if [ ! -f "$bvm/build.ninja" ]; then
   if ! out=$(meson setup "$bvm" 2>&1) && [ ! -f "$bvm/build.ninja" ]; then
      echo "$out" | tail -n 20
      broken "meson setup $bvm failed"
   fi
fi
ninja -C "$bvm" -j"${NVSVM_JOBS:-2}" >/dev/null ||
   { ninja -C "$bvm" -j1 | tail -n 30; broken "build in $bvm failed"; }

outdir=$root/$bvm/vsvm-mutants-$(basename "$tree")
mkdir -p "$outdir"
bash kernel/vsvm/build.sh --mutants "$tree" "$outdir" >"$outdir/build.log" 2>&1 ||
   { tail -n 30 "$outdir/build.log"; broken "vsvm.ko --mutants did not build"; }
ko=$outdir/vsvm.ko

log=$(mktemp "${TMPDIR:-/tmp}/nvsvm-mutants-XXXXXX")
lib=$(mktemp -d "${TMPDIR:-/tmp}/nvsvm-libmutant-XXXXXX")
trap 'rm -rf "$log" "$lib"' EXIT

pseudo()
{
   local name=$1 res=$2
   shift 2
   { echo "# $name: $*"
     echo "PIGLIT: {\"enumerate subtests\": [\"$name\"]}"
     echo "PIGLIT: {\"subtest\": {\"$name\": \"$res\"}}"
     echo "PIGLIT: {\"result\": \"$res\"}"; } | tee -a "$log"
}

# Library mutant: the range rules let MAP_SHARED through. A patched copy
# of the tracked tree, test_range built and run there (fast and smaps
# paths); it must report a failure.
echo "=== library mutant range_accepts_shared"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$lib"
sed -i 's/if (vma->shared || (vmflags & NVSVM_VMF_SH))/if (0 \&\& (vma->shared || (vmflags \& NVSVM_VMF_SH)))/' \
   "$lib/src/nouveau/svm/nvsvm_range.c"
if ! grep -q 'if (0 && (vma->shared' "$lib/src/nouveau/svm/nvsvm_range.c"; then
   pseudo library_mutant_range_accepts_shared_is_killed fail \
      "the mutation no longer applies to src/nouveau/svm/nvsvm_range.c"
elif ! (cd "$lib" && meson setup build >/dev/null 2>&1 &&
        ninja -C build -j"${NVSVM_JOBS:-2}" tests/unit/test_range \
           >/dev/null 2>&1); then
   pseudo library_mutant_range_accepts_shared_is_killed fail \
      "the mutated tree did not build"
else
   out=$(timeout 120 "$lib/build/tests/unit/test_range" 2>&1;
         NVSVM_RANGE_SLOW=1 timeout 120 "$lib/build/tests/unit/test_range" 2>&1)
   killers=$(grep '^not ok' <<<"$out" | sed 's/^not ok [0-9]* *-* *//' |
             sort -u | head -n 5 | tr '\n' ';')
   echo "$out" | grep '^not ok' | sed 's/^/#   /'
   if [ -n "$killers" ]; then
      pseudo library_mutant_range_accepts_shared_is_killed pass \
         "test_range fails: $killers"
   else
      pseudo library_mutant_range_accepts_shared_is_killed fail \
         "test_range passed with MAP_SHARED accepted"
   fi
fi
t0=$(date +%s)
tools/vm/run --kernel "$tree" --build "$bvm" \
   --timeout "${NVSVM_VM_TIMEOUT:-1500}" --add "$ko" \
   --env "NVSVM_TEST_TIMEOUT=${NVSVM_TEST_TIMEOUT:-120}" \
   --env "NVSVM_MUTANTS_WINDOW_NS=${NVSVM_MUTANTS_WINDOW_NS:-20000}" -- \
   sh tests/vsvm/mutants.sh "$root/$bvm" "$ko" 2>&1 | tee -a "$log"
rc=${PIPESTATUS[0]}
echo "# 35-mutants: VM run took $(( $(date +%s) - t0 )) s (vm/run exit $rc)"

counted=$(python3 tools/piglit_count.py "$log")
echo "$counted" | sed '$d'
read -r p _ f _ s _ <<<"$(echo "$counted" | tail -n 1 | tr -d ,)"
case "$rc" in
124|125|126)
   echo "# 35-mutants: the VM run failed (vm/run exit $rc)"
   f=$((f + 1)) ;;
esac
if ! grep -q '^NVSVM-SUITE-DONE' "$log"; then
   echo "# 35-mutants: the guest script did not finish"
   f=$((f + 1))
fi
if [ $((p + f + s)) -lt $declared ]; then
   echo "# 35-mutants: $((p + f + s)) results, $declared declared"
   f=$((f + declared - p - f - s))
fi
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
