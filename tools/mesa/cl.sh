#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The project's OpenCL suite (tests/suites/40-cl.sh) in the trixie chroot
# on Debian's rusticl and on a built one, llvmpipe, side by side.
#
#   tools/mesa/cl.sh INSTALL OUTDIR
#
# INSTALL: the built Mesa's install prefix under /var/cache/nvsvm/mesa
# (as the chroot sees it, /nvsvm/...). Writes OUTDIR/cl-debian.log and
# OUTDIR/cl-patched.log and prints tools/mesa/cl_compare.py's verdict.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
inst=${1:?usage: cl.sh INSTALL OUTDIR}
out=${2:?usage: cl.sh INSTALL OUTDIR}
mcache=${NVSVM_CACHE:-/var/cache/nvsvm}/mesa
case $inst in
/nvsvm/*) host_inst=$mcache/${inst#/nvsvm/} ;;
*) echo "cl.sh: INSTALL must be a /nvsvm/... path"; exit 2 ;;
esac
if [ ! -f "$host_inst/etc/OpenCL/vendors/rusticl.icd" ]; then
   echo "cl.sh: no rusticl.icd under $host_inst/etc/OpenCL/vendors"
   exit 1
fi
lib=$(cd "$host_inst" && find . -name 'libRusticlOpenCL.so.1' | head -n1)
libdir=$inst/$(dirname "${lib#./}")

run()
{
   local name=$1
   shift
   tools/mesa/build.sh shell env "$@" RUSTICL_ENABLE=llvmpipe \
      NVSVM_CL_PLATFORM=rusticl BUILD_CL=/tmp/build-cl \
      NVSVM_CL_TEST_TIMEOUT="${NVSVM_CL_TEST_TIMEOUT:-300}" \
      bash -c 'cd /repo && tests/suites/40-cl.sh' >"$out/cl-$name.log" 2>&1
   echo "# 40-cl on $name rusticl: $(tail -n1 "$out/cl-$name.log")"
}
run debian OCL_ICD_VENDORS=/etc/OpenCL/vendors
run patched OCL_ICD_VENDORS="$inst/etc/OpenCL/vendors" LD_LIBRARY_PATH="$libdir"
grep -m1 '^# svm:' "$out/cl-debian.log" | sed 's/^/# Debian  /'
grep -m1 '^# svm:' "$out/cl-patched.log" | sed 's/^/# patched /'
python3 tools/mesa/cl_compare.py "$out/cl-debian.log" "$out/cl-patched.log"
