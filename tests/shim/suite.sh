#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nvc0 without a GPU: rusticl on Mesa's nouveau drm-shim (GP104) compiles
# OpenCL kernels with every memory scope; the IR must show MEMBAR.SYS for
# all-SVM-devices scope, GL/CTA for device/work-group scope (with the same
# machine code as Debian's unpatched Mesa), none for relaxed atomics.
# Uses the patched and pristine Mesa builds of tests/suites/50-mesa.sh
# (tools/mesa/build.sh, cached). See docs/drm-shim.md.
# Not yet part of make check: see docs/drm-shim.md, "Status".
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

[ "$(id -u)" -eq 0 ] || skip_all "needs root (the Mesa build chroot)"

# The builds are 50-mesa's; build them here only when this suite runs alone.
tools/mesa/build.sh steps >"$out/build.log" 2>&1 ||
   { tail -n 30 "$out/build.log"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

status=0
for kind in steps pristine; do
   tests/shim/run-scope-ir.sh "$out/$kind" "$kind" || status=1
done
for k in "$out"/steps/*.log; do
   echo "## $(basename "$k"): $(grep -c '' "$k") lines, membar lines:"
   grep -E '\bmembar\b' "$k" | sort | uniq -c | sed 's/^/##   /'
done
{ echo "=== nvc0-shim-scope"
  python3 tests/shim/check_scope_ir.py "$out/steps" --pristine "$out/pristine"; } |
   tee "$log"
python3 tools/piglit_count.py "$log"
