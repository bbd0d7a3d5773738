#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nvc0 without a GPU: rusticl on Mesa's nouveau drm-shim (GP104) compiles
# OpenCL kernels with every memory scope; the IR must show MEMBAR.SYS for
# all-SVM-devices scope, GL/CTA for device/work-group scope, none for
# relaxed atomics. The same kernels on the unpatched compiler (the
# baseline build: Debian's Mesa with only the patch that keeps codegen's
# dumps in release builds) must fail exactly the rules the series fixes,
# and the work-group kernel must compile to the same machine code on both.
# Uses the Mesa builds of tools/mesa/build.sh (cached; the steps tree is
# tests/suites/50-mesa.sh's). See docs/drm-shim.md.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=build-shim
rm -rf "$out"
mkdir -p "$out"
log=$out/piglit.log

skip_all()
{
   { echo "=== nvc0-shim-scope"
     echo "# $1"
     echo 'PIGLIT: {"result": "skip"}'; } | tee "$log"
   python3 tools/piglit_count.py "$log"
   exit $?
}

broken()
{
   { echo "=== nvc0-shim-scope"
     echo "# $1"
     echo 'PIGLIT: {"enumerate subtests": ["nvc0-shim-scope-builds"]}'
     echo 'PIGLIT: {"subtest": {"nvc0-shim-scope-builds": "fail"}}'
     echo 'PIGLIT: {"result": "fail"}'; } | tee "$log"
   python3 tools/piglit_count.py "$log"
   exit 1
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root (the Mesa build chroot)"

# The steps build is 50-mesa's (built here only when this suite runs
# alone); the baseline is this suite's own.
for kind in steps baseline; do
   if [ $kind = steps ]; then
      tools/mesa/build.sh steps >"$out/build-$kind.log" 2>&1
   else
      tools/mesa/build.sh build baseline >"$out/build-$kind.log" 2>&1
   fi || { tail -n 30 "$out/build-$kind.log"
           broken "tools/mesa/build.sh: the $kind Mesa build failed"; }
done

# A kernel that does not build is a result of the check, not of the run:
# the unpatched compiler rejects the all-SVM-devices scope.
for kind in steps baseline; do
   tests/shim/run-scope-ir.sh "$out/$kind" "$kind"
done
for kind in steps baseline; do
   for k in "$out/$kind"/*.log; do
      echo "## $kind $(basename "$k"): $(grep -c '' "$k") lines, membar lines:"
      grep -E '\bmembar\b' "$k" | sort | uniq -c | sed 's/^/##   /'
   done
done
{ echo "=== nvc0-shim-scope"
  python3 tests/shim/check_scope_ir.py "$out/steps" --baseline "$out/baseline"; } |
   tee "$log"
python3 tools/piglit_count.py "$log"
