#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Everything a VM run needs, built or taken from the cache: the kernel
# tree, the project in BUILD_VM, and vsvm.ko for that tree. Prints
# "TREE KO" (KO is "-" when vsvm.ko did not build; its log is named).
#
# usage: prepare.sh 7.2|6.12|6.1 [--debug]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1

kver=${1:?usage: prepare.sh 7.2|6.12|6.1 [--debug]}
debug=${2:-}
bvm=${BUILD_VM:-build-vm}

tree=$("$here/kernel-build.sh" --kernel "$kver" $debug --print-tree) || {
   echo "prepare: kernel $kver${debug:+ $debug} failed to build" >&2
   exit 1
}
if [ ! -f "$bvm/build.ninja" ]; then
   meson setup "$bvm" >/dev/null || exit 1
fi
ninja -C "$bvm" -j"${NVSVM_JOBS:-2}" >/dev/null ||
   { ninja -C "$bvm" -j1 2>&1 | tail -n 30 >&2; exit 1; }

ko=-
outdir=$root/$bvm/vsvm-$(basename "$tree")
mkdir -p "$outdir"
if bash kernel/vsvm/build.sh "$tree" "$outdir" >"$outdir/build.log" 2>&1 &&
   [ -f "$outdir/vsvm.ko" ]; then
   ko=$outdir/vsvm.ko
else
   tail -n 20 "$outdir/build.log" >&2
   echo "prepare: vsvm.ko did not build (log: $outdir/build.log)" >&2
fi
echo "$tree $ko"
