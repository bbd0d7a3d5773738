#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Mesa series (patches/mesa/*.patch) and the repository's files.
#
# The first patch adds the project's files at Mesa's paths. It is not
# written by hand: it is generated from the files this repository keeps,
# so there is one copy of them.
#
#   tools/mesa/series.sh gen OUT.patch   write the first patch
#   tools/mesa/series.sh check           the committed first patch adds
#                                        exactly the repository's files
#   tools/mesa/series.sh export TREE     write patches/mesa/ from a Mesa
#                                        git tree: commits after the
#                                        branch 'pristine' (the first one
#                                        replaced by a fresh `gen`)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
first_name=0001-nouveau-add-libnvsvm-the-SVM-library-and-the-nvc0-hooks.patch

# "repo-path mesa-path" for every file the first patch adds.
file_map()
{
   local f
   (cd "$root" && git ls-files 'src/nouveau/svm/*.c' 'src/nouveau/svm/*.h' |
      grep -v '^src/nouveau/svm/tool/') | while read -r f; do
      echo "$f $f"
   done
   (cd "$root" && git ls-files 'include/nvsvm/*.h') | while read -r f; do
      echo "$f $f"
   done
   echo "kernel/vsvm/include/uapi/vsvm_drm.h include/drm-uapi/vsvm_drm.h"
   echo "src/gallium/drivers/nouveau/nvc0_svm.c src/gallium/drivers/nouveau/nvc0_svm.c"
   echo "src/gallium/drivers/nouveau/nvc0_svm.h src/gallium/drivers/nouveau/nvc0_svm.h"
   (cd "$root" && git ls-files 'src/gallium/drivers/nouveau/tests/*') |
      while read -r f; do
      echo "$f $f"
   done
}

# The library's sources, as the standalone build lists them.
lib_sources()
{
   sed -n '/^files_libnvsvm = files(/,/^)/p' \
      "$root/src/nouveau/svm/meson.build" | grep -o "'[^']*\.c'" | tr -d "'"
}

# Mesa's src/nouveau/svm/meson.build: the same sources as the standalone
# build, declared the way Mesa declares its components.
mesa_meson()
{
   cat <<'EOF'
# Copyright © 2025 nvsvm authors
# SPDX-License-Identifier: MIT

# libnvsvm: SVM setup, migration and range rules for nouveau.
files_libnvsvm = files(
EOF
   lib_sources | sed "s/.*/  '&',/"
   cat <<'EOF'
)

_libnvsvm = static_library(
  'nvsvm',
  files_libnvsvm,
  include_directories : [inc_include, inc_src, include_directories('../../../include/drm-uapi')],
  c_args : ['-DNVSVM_WITH_MESA_UTIL'],
  gnu_symbol_visibility : 'hidden',
  dependencies : [dep_libdrm, dep_thread, idep_mesautil],
  build_by_default : false,
)

# Users inside Mesa (nvc0's SVM hooks) include nouveau/svm/nvsvm_os.h
# too: the same define gives them Mesa's env and log.
idep_nvsvm = declare_dependency(
  link_with : _libnvsvm,
  include_directories : inc_include,
  compile_args : ['-DNVSVM_WITH_MESA_UTIL'],
  dependencies : [dep_libdrm],
)
EOF
}

gen()
{
   local out=$1 tmp src dst
   out=$(realpath -m "$out")
   tmp=$(mktemp -d)
   trap 'rm -rf "$tmp"' RETURN
   git -C "$tmp" init -q
   export GIT_AUTHOR_NAME="nvsvm" GIT_AUTHOR_EMAIL="nvsvm@localhost"
   export GIT_COMMITTER_NAME="nvsvm" GIT_COMMITTER_EMAIL="nvsvm@localhost"
   export GIT_AUTHOR_DATE="2025-01-01T00:00:00Z"
   export GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"
   git -C "$tmp" commit -q --allow-empty -m base
   file_map | while read -r src dst; do
      mkdir -p "$tmp/$(dirname "$dst")"
      cp "$root/$src" "$tmp/$dst"
   done
   mesa_meson >"$tmp/src/nouveau/svm/meson.build"
   git -C "$tmp" add -A
   git -C "$tmp" commit -q -F - <<'EOF'
nouveau: add libnvsvm, the SVM library, and the nvc0 hooks

libnvsvm sets up nouveau's SVM (DRM_NOUVEAU_SVM_INIT) on a DRM fd with a
verified unmanaged window, migrates ranges with DRM_NOUVEAU_SVM_BIND
reading the kernel's result back, and checks the range rules a GPU
atomic on system memory needs (anonymous, private, writable, not
hugetlb/shmem/file-backed). Every refusal carries a named reason.

nvc0_svm.[ch] are the hooks nouveau's screen and context call: SVM on
only when the kernel accepted SVM_INIT on the screen's fd, the
capabilities that follow from it, svm_migrate, and the range check at
the API edge. They are built by the next patch; tests/nvc0_svm_test.cpp,
their gtests, by the last one.

The files are added as the nvsvm project keeps them; the meson.build is
Mesa's: a static library declared as idep_nvsvm. vsvm_drm.h is the uAPI
of vsvm, a virtual SVM device used to test the library without a GPU.
EOF
   git -C "$tmp" format-patch -q --zero-commit --no-signature -N -1 \
      --stdout HEAD >"$out"
}

check()
{
   local tmp p src dst bad=0 n=0
   p=$root/patches/mesa/$first_name
   [ -f "$p" ] || { echo "series: $first_name missing"; return 1; }
   tmp=$(mktemp -d)
   trap 'rm -rf "$tmp"' RETURN
   git -C "$tmp" init -q
   if ! git -C "$tmp" apply "$p"; then
      echo "series: $first_name does not apply to an empty tree"
      return 1
   fi
   while read -r src dst; do
      n=$((n + 1))
      if ! cmp -s "$root/$src" "$tmp/$dst"; then
         echo "series: $dst in $first_name differs from $src" \
              "(run tools/mesa/series.sh gen)"
         bad=1
      fi
      rm -f "$tmp/$dst"
   done < <(file_map)
   if ! mesa_meson | cmp -s - "$tmp/src/nouveau/svm/meson.build"; then
      echo "series: src/nouveau/svm/meson.build in $first_name is stale"
      bad=1
   fi
   rm -f "$tmp/src/nouveau/svm/meson.build"
   extra=$(cd "$tmp" && find . -type f -not -path './.git/*' | sort)
   if [ -n "$extra" ]; then
      echo "series: $first_name adds files the repository does not have:" \
           $extra
      bad=1
   fi
   [ $bad -eq 0 ] && echo "series: $first_name = the repository's $n files"
   return $bad
}

export_tree()
{
   local tree=$1 tmp
   tmp=$(mktemp -d)
   trap 'rm -rf "$tmp"' RETURN
   git -C "$tree" format-patch -q --zero-commit --no-signature -N \
      -o "$tmp" pristine..HEAD
   rm -f "$root"/patches/mesa/*.patch
   mkdir -p "$root/patches/mesa"
   cp "$tmp"/*.patch "$root/patches/mesa/"
   rm -f "$root"/patches/mesa/0001-*.patch
   gen "$root/patches/mesa/$first_name"
   ls "$root/patches/mesa"
}

case ${1:-} in
gen) gen "${2:?gen OUT.patch}" ;;
check) check ;;
export) export_tree "${2:?export TREE}" ;;
*) echo "usage: $0 gen OUT.patch | check | export TREE" >&2; exit 2 ;;
esac
