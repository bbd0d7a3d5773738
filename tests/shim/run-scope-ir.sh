#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Compile each kernel of scope_kernels.cl with rusticl on nvc0 under Mesa's
# nouveau drm-shim (a GP104, NOUVEAU_CHIPSET=134: no GPU, nothing executes)
# and keep nv50_ir's dumps (NV50_PROG_DEBUG=1), one log per kernel.
#
# usage: run-scope-ir.sh OUTDIR [steps|baseline]
#   steps     the Mesa built with patches/mesa, patch by patch (default;
#             what tests/suites/50-mesa.sh builds and tests)
#   baseline  Debian's Mesa with only the patch that keeps codegen's dumps
#             in a release build: the unpatched compiler, made visible
# Both are built (or taken from the cache) by tools/mesa/build.sh.
# nvc0 translates a kernel when rusticl creates its compute state (at
# clCreateKernel, or at the first launch); the dumps need that translation
# to run, so the shader cache is off.
# Exit: 0 every kernel built and launched; 1 one did not (its log says why).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: run-scope-ir.sh OUTDIR [steps|baseline]}
kind=${2:-steps}
kernels=(atomic_acq_rel_all_svm fence_release_all_svm atomic_acq_rel_device
         fence_release_work_group atomic_relaxed_all_svm)

mesa=$root/tools/mesa/build.sh
cache=${NVSVM_CACHE:-/var/cache/nvsvm}/mesa
case $kind in
steps) "$mesa" steps >/dev/null ;;
baseline) "$mesa" build baseline >/dev/null ;;
*) echo "run-scope-ir: unknown kind '$kind' (steps or baseline)" >&2; exit 2 ;;
esac || { echo "run-scope-ir: the $kind Mesa build failed" >&2; exit 1; }
case $kind in
steps) bdir=$("$mesa" path steps) ;;
baseline) bdir=$("$mesa" path build-baseline) ;;
esac
# The chroot sees the Mesa cache at /nvsvm and the repository at /repo.
inst=/nvsvm/${bdir#"$cache"/}/install
mkdir -p "$out"
out=$(cd "$out" && pwd)
case $out in
"$root"/*) gout=/repo/${out#"$root"/} ;;
*) echo "run-scope-ir: OUTDIR must be inside the repository" >&2; exit 2 ;;
esac

# The unpatched compiler has no all-SVM-devices scope: those kernels fail
# to build there, which the log records.
"$mesa" shell bash -euc '
   inst=$1 gout=$2
   shift 2
   lib=$inst/lib/x86_64-linux-gnu
   gcc -std=c11 -O1 -Wall -Werror -o /tmp/cl-compile-one \
      /repo/tests/shim/cl_compile_one.c -lOpenCL
   rc=0
   for k in "$@"; do
      env LD_LIBRARY_PATH="$lib" OCL_ICD_VENDORS="$inst/etc/OpenCL/vendors" \
         LD_PRELOAD="$lib/libnouveau_noop_drm_shim.so" \
         NOUVEAU_CHIPSET=134 RUSTICL_ENABLE=nouveau \
         NV50_PROG_DEBUG=1 NV50_PROG_DEBUG_NO_COLORS=1 \
         MESA_SHADER_CACHE_DISABLE=true \
         NVSVM_CL_PLATFORM=rusticl \
         timeout 120 /tmp/cl-compile-one /repo/tests/shim/scope_kernels.cl \
            "$k" "-cl-std=CL2.0 -DKERNEL_$k" >"$gout/$k.log" 2>&1 || {
         echo "run-scope-ir: $k: exit $? (see $gout/$k.log)"; rc=1; }
   done
   exit $rc
' bash "$inst" "$gout" "${kernels[@]}"
