#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nvsvm-prebuild: mesa steps
# The series inside real Mesa: Debian trixie's mesa source package in a
# trixie chroot (tools/mesa/build.sh), pristine and with patches/mesa.
#  - the first patch carries exactly the repository's files;
#  - every patch applies in order and the tree builds after each one;
#  - Mesa's own `meson test`: no test that passes on the pristine build
#    fails with the series;
#  - the project's OpenCL suite (tests/suites/40-cl.sh) on Debian's
#    rusticl and on the patched one, llvmpipe, side by side: the SVM
#    atomics scenarios skip by name on the first and pass on the second.
# Cold: a chroot, ~1,620 ninja steps (NVK included) and a rebuild after
# each patch (ccache), Mesa's tests
# twice; warm (nothing changed): the cached results, the CL runs only.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvsvm-mesa-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/piglit.log
: >"$log"

# One named result, in the piglit shape tools/piglit_count.py counts.
. tests/common/piglit.sh
result() { piglit_result "$@" | tee -a "$log"; }
finish() { python3 tools/piglit_count.py "$log"; exit $?; }

if [ "$(id -u)" -ne 0 ]; then
   result mesa-chroot skip "needs root (debootstrap, chroot, mounts)"
   finish
fi

# 1. One copy of the files: the first patch against the repository.
if out=$(tools/mesa/series.sh check 2>&1); then
   result series-first-patch-is-the-repository pass "$out"
else
   result series-first-patch-is-the-repository fail "$out"
fi

# 2. Chroot, source, pristine build + Mesa's tests, each patch applied
#    and built, Mesa's tests again, install. All cached by content.
t0=$(date +%s)
# Progress (stderr) streams as it comes; the per-patch table is stdout.
# (pipefail: the group fails when build.sh does)
if ! { tools/mesa/build.sh steps 2>&1 1>&3 | sed -u 's/^/  /'; } 3>"$tmp/steps.out"
then
   cat "$tmp/steps.out"
   result mesa-series-builds fail "tools/mesa/build.sh steps failed"
   finish
fi
echo "# mesa: build + tests step took $(($(date +%s) - t0)) s"
steps=$(tools/mesa/build.sh path steps)
[ -f "$steps/.nvsvm-times" ] && sed 's/^/# cold times (s): /' "$steps/.nvsvm-times"
n=0
while read -r st patch what extra; do
   n=$((n + 1))
   result "patch-$(printf %02d "$n")-applies-and-builds" \
      "$([ "$st" = pass ] && echo pass || echo fail)" "$patch: $what $extra"
done <"$steps/.nvsvm-steps"
want=$(find patches/mesa -name '*.patch' | wc -l)
if [ "$n" -ne "$want" ]; then
   result every-patch-was-built fail "$n of $want patches have a result"
fi

# 3. Mesa's own tests: nothing that passed pristine fails with the series.
for k in pristine series; do
   echo "# meson test, $k: $(grep -E '^(Ok|Fail|Skipped|Timeout|Expected Fail|Unexpected Pass):' \
         "$steps/.nvsvm-test-$k.log" | tr -s ' \n' ' ')"
done
if [ ! -s "$steps/.nvsvm-test-pristine.tsv" ] ||
   [ ! -s "$steps/.nvsvm-test-series.tsv" ]; then
   result mesa-meson-test-no-new-failures fail "no parsed meson test results"
else
   news=$(join -t "$(printf '\t')" -1 2 -2 2 \
             <(sort -t "$(printf '\t')" -k2 "$steps/.nvsvm-test-pristine.tsv") \
             <(sort -t "$(printf '\t')" -k2 "$steps/.nvsvm-test-series.tsv") |
          awk -F'\t' '$2 == "OK" && $3 != "OK" { print $1 " (" $3 ")" }')
   gone=$(comm -23 <(cut -f2 "$steps/.nvsvm-test-pristine.tsv" | sort) \
                   <(cut -f2 "$steps/.nvsvm-test-series.tsv" | sort))
   np=$(grep -c . "$steps/.nvsvm-test-pristine.tsv")
   ns=$(grep -c . "$steps/.nvsvm-test-series.tsv")
   if [ -z "$news" ] && [ -z "$gone" ]; then
      result mesa-meson-test-no-new-failures pass \
         "$np tests pristine, $ns with the series, none newly failing"
   else
      result mesa-meson-test-no-new-failures fail \
         "newly failing: ${news:-none}; missing: ${gone:-none}"
   fi
fi

# The series' own gtests ran inside Mesa's meson test (suite 'nouveau').
g=$(awk -F'\t' '$2 ~ /nvc0_svm/ { print $1 }' "$steps/.nvsvm-test-series.tsv" 2>/dev/null)
if [ "$g" = OK ]; then
   result mesa-gtest-nvc0-svm pass "nouveau:nvc0_svm OK in Mesa's meson test"
else
   result mesa-gtest-nvc0-svm fail "nouveau:nvc0_svm: ${g:-not run}"
fi

# Every test the series adds (in the series' run, not the pristine one)
# passes: "no new failures" above only compares tests both runs have.
own=$(join -t "$(printf '\t')" -1 1 -2 2 -v 2 \
         <(cut -f2 "$steps/.nvsvm-test-pristine.tsv" 2>/dev/null | sort) \
         <(sort -t "$(printf '\t')" -k2 "$steps/.nvsvm-test-series.tsv" 2>/dev/null))
nown=$(grep -c . <<<"$own")
bad=$(awk -F'\t' '$2 != "OK" { print $1 " (" $2 ")" }' <<<"$own" | tr '\n' ' ')
if [ "$nown" -gt 0 ] && [ -z "$bad" ]; then
   result mesa-series-own-tests-pass pass \
      "$nown tests added by the series, all OK: $(cut -f1 <<<"$own" | tr '\n' ' ')"
else
   result mesa-series-own-tests-pass fail \
      "${bad:-no test added by the series ran}"
fi

rel=${steps#"${NVSVM_CACHE:-/var/cache/nvsvm}/mesa/"}

# The patched nouveau screen at run time, under Mesa's nouveau drm-shim
# (no GPU; without NOUVEAU_SHIM_SVM_DEVICE the shim answers SVM_INIT with
# ENOSYS, as a kernel without SVM does): with NOUVEAU_SVM=1, SVM stays off
# with the reason logged by name (an ENOSYS refusal is info-level, shown
# with NOUVEAU_SVM_DEBUG=1) and rusticl reports no SVM atomics; without
# the opt-in nothing is said.
lib=$(cd "$steps/install" && dirname "$(find . -name libnouveau_noop_drm_shim.so | head -n1)")
shim()
{
   local L=/nvsvm/$rel/install/${lib#./}
   timeout 120 tools/mesa/build.sh shell env \
      OCL_ICD_VENDORS="/nvsvm/$rel/install/etc/OpenCL/vendors" \
      LD_LIBRARY_PATH="$L" LD_PRELOAD="$L/libnouveau_noop_drm_shim.so" \
      NOUVEAU_CHIPSET=134 RUSTICL_ENABLE=nouveau "$@" clinfo 2>&1
}
on=$(shim NOUVEAU_SVM=1 NOUVEAU_SVM_DEBUG=1)
off=$(shim)
why=$(grep -m1 'nouveau: svm: SVM off:' <<<"$on")
if [ -n "$why" ] && grep -q 'Device Name *NV134' <<<"$on" &&
   grep -A6 'Shared Virtual Memory (SVM) capabilities' <<<"$on" |
      grep -q 'Atomics *No' && ! grep -q 'nouveau: svm:' <<<"$off"; then
   result nouveau-shim-svm-refusal-is-named pass "$why"
else
   result nouveau-shim-svm-refusal-is-named fail \
      "NOUVEAU_SVM=1: ${why:-no named reason}; $(grep -c 'nouveau: svm:' <<<"$off") lines without it"
fi

# 4. The OpenCL suite on both rusticls, llvmpipe, inside the chroot.
tools/mesa/cl.sh "/nvsvm/$rel/install" "$tmp" | tee -a "$log"
if [ -n "${NVSVM_MESA_CL_LOGS:-}" ]; then
   cp "$tmp/cl-debian.log" "$tmp/cl-patched.log" "$NVSVM_MESA_CL_LOGS/"
fi
finish
