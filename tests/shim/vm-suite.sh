#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The patched rusticl and NVK on nouveau, under Mesa's nouveau drm-shim,
# in the VM with vsvm loaded: the shim forwards SVM_INIT/SVM_BIND (and,
# for NVK, GETPARAM VM_INIT_SVM and VM_INIT) to vsvm, so nvc0's SVM setup
# and migration and NVK's SVM window and host-pointer imports run against
# a real kernel.
#
# Needs the Mesa build of tests/suites/50-mesa.sh (tools/mesa/build.sh
# steps: cached, built there when missing) and the 6.12 VM kernel. Mesa
# was built for Debian trixie, so the guest gets a trixie tree (the
# libraries the programs load, found with ldd inside the chroot) and runs
# them chrooted in it (tests/shim/vm-guest.sh).
# Prints piglit result lines and "N passed, N failed, N skipped".
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
kver=${NVSVM_SHIM_KERNEL:-6.12}

broken()
{
   echo "# shim-vm: $*"
   echo "PIGLIT: {\"enumerate subtests\": [\"shim-vm-setup\"]}"
   echo "PIGLIT: {\"subtest\": {\"shim-vm-setup\": \"fail\"}}"
   echo "0 passed, 1 failed, 0 skipped"
   exit 1
}

[ "$(id -u)" -eq 0 ] || {
   echo "# shim-vm: skip: needs root (the Mesa chroot)"
   echo "0 passed, 0 failed, 1 skipped"
   exit 0
}

mcache=${NVSVM_CACHE:-/var/cache/nvsvm}/mesa
# NVSVM_SHIM_MESA_BUILD: another built and installed Mesa tree under the
# Mesa cache (one being worked on), instead of the series' own build.
if [ -n "${NVSVM_SHIM_MESA_BUILD:-}" ]; then
   steps=$(realpath "$NVSVM_SHIM_MESA_BUILD")
   case $steps in "$mcache"/*) ;; *) broken "NVSVM_SHIM_MESA_BUILD must be under $mcache" ;; esac
   [ -d "$steps/install" ] || broken "no install/ in $steps"
else
   tools/mesa/build.sh steps >/dev/null 2>&1 || broken "the Mesa build failed"
   steps=$(tools/mesa/build.sh path steps)
   [ -f "$steps/.nvsvm-ready" ] || broken "no Mesa build at $steps"
fi
inst=/nvsvm/${steps#"$mcache/"}/install
shimlib=$(cd "$steps/install" && find . -name libnouveau_noop_drm_shim.so |
          head -n 1)
[ -n "$shimlib" ] || broken "the Mesa build has no nouveau drm-shim"
lib=$inst/$(dirname "${shimlib#./}")

work=$(mktemp -d "$mcache/shim-vm-XXXXXX")
trap 'rm -rf "$work"' EXIT
wrel=/nvsvm/${work#"$mcache/"}

# The test program, built in the chroot against trixie's OpenCL loader.
tools/mesa/build.sh shell sh -c "gcc -std=c11 -D_GNU_SOURCE -O2 -Wall \
   -Wextra -Werror -I/repo/tests/common -I/repo/include/drm-uapi \
   -I/usr/include/drm -o $wrel/cl-shim-svm /repo/tests/shim/cl_shim_svm.c \
   -lOpenCL" >"$work/cc.log" 2>&1 ||
   { cat "$work/cc.log"; broken "cl_shim_svm.c does not build in the chroot"; }

# NVK's program, against the Vulkan headers of the same Mesa tree (its
# include/), dlopening the ICD itself (no loader). Without NVK in the
# build, or when it does not build, the NVK results fail by name in the
# guest (NVSVM_SHIM_NVK_MISSING) and the OpenCL ones still run.
nvk_missing='' vkbin='' vkbins=''
if [ ! -f "$steps/install/$(dirname "${shimlib#./}")/libvulkan_nouveau.so" ]
then
   nvk_missing="the Mesa build has no NVK (no libvulkan_nouveau.so in $lib)"
elif ! tools/mesa/build.sh shell sh -c "gcc -std=c11 -D_GNU_SOURCE -O2 \
   -Wall -Wextra -Werror -I/nvsvm/${steps#"$mcache/"}/include \
   -I/repo/tests/common -I/repo/include/drm-uapi -I/usr/include/drm \
   -o $wrel/vk-shim-nvk /repo/tests/shim/vk_shim_nvk.c -ldl" \
   >"$work/cc-vk.log" 2>&1; then
   cat "$work/cc-vk.log"
   nvk_missing="vk_shim_nvk.c does not build in the chroot"
else
   vkbin=$wrel/vk-shim-nvk
   vkbins="$vkbin $lib/libvulkan_nouveau.so"
fi
[ -z "$nvk_missing" ] || echo "# shim-vm: NVK results will fail: $nvk_missing"

# The trixie tree: the program, Mesa's install, every library they load
# (rusticl's pipe driver, NVK and the shim are dlopened or preloaded:
# listed by hand), libclc's SPIR-V, clang's OpenCL headers, the loader
# cache. tar -h stores symlinked paths as files, so each name the loader
# asks for exists.
tools/mesa/build.sh shell sh -c "
   set -e
   bins='$wrel/cl-shim-svm $lib/libRusticlOpenCL.so.1
         $lib/gallium-pipe/pipe_nouveau.so $lib/libnouveau_noop_drm_shim.so
         /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 $vkbins'
   for b in \$bins; do ldd \$b; done |
      awk '/=> \\// { print \$3 } /^\\t\\// { print \$1 }' | sort -u >$wrel/list
   ls /usr/lib/clc/spirv*mesa3d* >>$wrel/list 2>/dev/null || true
   # clang's OpenCL headers, from its resource dir (kernels compile in
   # the guest: clCreateProgramWithSource).
   ls /usr/lib/llvm-*/lib/clang/*/include/opencl-c*.h >>$wrel/list
   echo /etc/ld.so.cache >>$wrel/list
   echo $wrel/cl-shim-svm >>$wrel/list
   [ -z '$vkbin' ] || echo $vkbin >>$wrel/list
   echo $inst >>$wrel/list
   mkdir $wrel/root
   tar -chf - -T $wrel/list 2>/dev/null | tar -C $wrel/root -xf -
" >"$work/tree.log" 2>&1 ||
   { cat "$work/tree.log"; broken "collecting the trixie tree failed"; }
echo "# shim-vm: trixie tree $(du -sh "$work/root" | cut -f1)," \
   "$(wc -l <"$work/list") paths"

tree=$(tools/vm/kernel-build.sh --kernel "$kver" --print-tree) ||
   broken "the $kver kernel build failed"
# vsvm.ko where the VM suites build it for this kernel (tools/vm/suite.sh):
# built once, reused.
kodir=$root/${BUILD_VM:-build-vm}/vsvm-$(basename "$tree")
mkdir -p "$kodir"
bash kernel/vsvm/build.sh "$tree" "$kodir" >"$kodir/build.log" 2>&1 &&
   [ -f "$kodir/vsvm.ko" ] ||
   { tail -n 20 "$kodir/build.log"; broken "vsvm.ko did not build"; }

# The tree is large (LLVM): more guest memory than the default.
tools/vm/run --kernel "$tree" --mem 2G --timeout 900 \
   --module "$kodir/vsvm.ko" --add "$kodir/vsvm.ko" \
   --tree "$work/root=/trixie" \
   --env NVSVM_SHIM_ROOT=/trixie --env "NVSVM_SHIM_LIB=$lib" \
   --env "NVSVM_SHIM_BIN=$wrel/cl-shim-svm" \
   --env "NVSVM_SHIM_VK_BIN=$vkbin" \
   --env "NVSVM_SHIM_NVK_MISSING=$nvk_missing" \
   --env "NVSVM_SHIM_VSVM_KO=$kodir/vsvm.ko" \
   -- sh tests/shim/vm-guest.sh 2>&1 | tee "$work/vm.log"
rc=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' \
          "$work/vm.log" | tail -n 1)
[ -n "$line" ] || broken "the VM ended without a result line (vm/run exit $rc)"
read -r p _ f _ s _ <<<"${line//,/}"
case $rc in
124|125|126) echo "# shim-vm: the VM run failed (vm/run exit $rc)"
             f=$((f + 1)) ;;
esac
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
