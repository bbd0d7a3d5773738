#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build vsvm.ko against a built kernel tree: build.sh <kernel-tree> <outdir>
# writes <outdir>/vsvm.ko. Sources are copied to <outdir>/src so the
# checkout stays free of build products; rebuilds only when they changed.
# --mutants (first argument) builds the test variant with the "mutant"
# module parameter (VSVM_MUTANTS, see vsvm_drv.h); use its own outdir.
set -euo pipefail

mutants=
if [ "${1:-}" = --mutants ]; then
  mutants=1
  shift
fi
if [ $# -ne 2 ]; then
  echo "usage: $0 [--mutants] <kernel-tree> <outdir>" >&2
  exit 2
fi
tree=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

for f in Module.symvers .config; do
  if [ ! -f "$tree/$f" ]; then
    echo "vsvm: $tree has no $f: build the kernel and its modules first" >&2
    exit 1
  fi
done
# Kconfig drops unmet symbols silently: say which one is missing.
for sym in CONFIG_MODULES CONFIG_DRM CONFIG_MMU_NOTIFIER CONFIG_HMM_MIRROR \
           CONFIG_DEVICE_PRIVATE CONFIG_MIGRATION; do
  if ! grep -q "^$sym=y" "$tree/.config"; then
    echo "vsvm: $tree/.config lacks $sym=y" >&2
    exit 1
  fi
done

src=$out/src
mkdir -p "$src/include/uapi"
changed=0
for f in Kbuild vsvm_drv.h vsvm_compat.h vsvm_drv.c vsvm_svm.c \
         vsvm_dmem.c vsvm_exec.c vsvm_knobs.c vsvm_prefault.c vsvm_vm.c \
         include/uapi/vsvm_drm.h; do
  if ! cmp -s "$here/$f" "$src/$f"; then
    cp "$here/$f" "$src/$f"
    changed=1
  fi
done
# The variant is part of what was built.
if [ "$(cat "$src/.variant" 2>/dev/null)" != "mutants=$mutants" ]; then
  echo "mutants=$mutants" >"$src/.variant"
  changed=1
fi
if [ $changed -eq 0 ] && [ -f "$out/vsvm.ko" ] &&
   [ "$out/vsvm.ko" -nt "$tree/Module.symvers" ]; then
  echo "vsvm: $out/vsvm.ko is up to date"
  exit 0
fi

make -C "$tree" M="$src" -j2 ${mutants:+VSVM_MUTANTS=1} modules \
  >"$out/make.log" 2>&1 || {
  cat "$out/make.log" >&2
  echo "vsvm: module build failed against $tree" >&2
  exit 1
}
# Warnings are errors here, as -Werror is for the userspace build.
if grep -qi 'warning' "$out/make.log"; then
  grep -i -B2 -A4 'warning' "$out/make.log" >&2
  echo "vsvm: module build has warnings" >&2
  exit 1
fi
cp "$src/vsvm.ko" "$out/vsvm.ko"
echo "vsvm: built $out/vsvm.ko against $tree"
