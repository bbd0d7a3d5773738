#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the VM's initramfs (uncompressed cpio): busybox, our /init, the
# project's built executables and libraries at their host paths, every shared
# library they need (found with ldd), extra files, and kernel modules.
#
# usage: mkinitramfs.sh OUT.cpio [--root DIR] [--build DIR]... [--add FILE]...
#        [--module FILE.ko]... [--file SRC=DEST]... [--tree DIR=DEST]...
#   --root    project root: its tests/ and tools/ scripts are copied
#   --build   a meson build dir: its executables and .so files are copied
#   --add     a file (or an executable) copied to the same absolute path
#   --module  a .ko that /init loads, in the order given
#   --file    a file copied to DEST inside the guest (DEST absolute)
#   --tree    a directory copied as DEST inside the guest (DEST absolute),
#             as it is: its programs' libraries are its own business
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

die()
{
   echo "mkinitramfs: $*" >&2
   exit 1
}

[ $# -ge 1 ] || die "usage: mkinitramfs.sh OUT.cpio [options]"
out=$1
shift
projroot='' builds=() adds=() modules=() files=() trees=()
while [ $# -gt 0 ]; do
   [ $# -ge 2 ] || die "option $1 needs a value"
   case "$1" in
   --root) projroot=$(realpath "$2") ;;
   --build) builds+=("$(realpath "$2")") ;;
   --add) adds+=("$(realpath -s "$2")") ;;
   --module) modules+=("$(realpath "$2")") ;;
   --file) files+=("$2") ;;
   --tree) trees+=("$2") ;;
   *) die "unknown option $1" ;;
   esac
   shift 2
done

busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox not found (Debian: busybox-static)"
# ldd fails on a static program: that is the one we want.
if ldd "$busybox" >/dev/null 2>&1; then
   die "$busybox is not static (Debian: busybox-static)"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/nvsvm-initramfs-XXXXXX")
trap 'rm -rf "$stage"' EXIT

# Mirror the host's merged-/usr links so ldd's paths resolve in the guest.
mkdir -p "$stage"/{usr/bin,usr/sbin,usr/lib,usr/lib64,proc,sys,dev,tmp,run}
mkdir -p "$stage"/{etc,root,nvsvm/modules}
for d in bin sbin lib lib64; do
   if [ -L "/$d" ]; then
      ln -s "$(readlink "/$d")" "$stage/$d"
   else
      mkdir -p "$stage/$d"
   fi
done
cp "$busybox" "$stage/bin/busybox"
install -m 0755 "$here/guest-init.sh" "$stage/init"

elves=()

# Copy PATH (resolving symlinks in its directory, keeping the file's own
# link if it is one) to the same path inside the guest.
put()
{
   local src=$1 dst dir
   dir=$(realpath "$(dirname "$src")")
   dst=$stage$dir/$(basename "$src")
   [ -e "$dst" ] && return 0
   mkdir -p "$stage$dir"
   if [ -L "$src" ]; then
      cp -P "$src" "$dst"
      local target
      target=$(readlink "$src")
      case "$target" in
      /*) put "$target" ;;
      *) put "$dir/$target" ;;
      esac
   else
      cp "$src" "$dst"
      if head -c 4 "$src" | grep -q 'ELF'; then
         elves+=("$dir/$(basename "$src")")
      fi
   fi
}

if [ -n "$projroot" ]; then
   while IFS= read -r f; do
      put "$f"
   done < <(find "$projroot/tests" "$projroot/tools" -type f \
               \( -name '*.sh' -o -name '*.txt' -o -name '*.json' \) \
               -not -path '*/.git/*' 2>/dev/null)
fi

for b in "${builds[@]}"; do
   [ -d "$b" ] || die "build dir $b does not exist"
   # Executables and shared libraries; skip object dirs and meson's own.
   while IFS= read -r f; do
      put "$f"
   done < <(find "$b" \( -name '*.p' -o -name 'meson-*' \) -prune -o \
               \( -type f -perm -u+x -o -name '*.so*' \) -print)
done

for f in "${adds[@]}"; do
   [ -e "$f" ] || die "--add: $f does not exist"
   put "$f"
done

n=0
for m in "${modules[@]}"; do
   [ -f "$m" ] || die "--module: $m does not exist"
   n=$((n + 1))
   cp "$m" "$stage/nvsvm/modules/$(printf '%02d' $n)-$(basename "$m")"
done

for spec in "${files[@]}"; do
   src=${spec%%=*} dst=${spec#*=}
   case "$dst" in /*) ;; *) die "--file $spec: DEST must be absolute" ;; esac
   mkdir -p "$stage$(dirname "$dst")"
   cp "$src" "$stage$dst"
done

for spec in "${trees[@]}"; do
   src=${spec%%=*} dst=${spec#*=}
   case "$dst" in /*) ;; *) die "--tree $spec: DEST must be absolute" ;; esac
   [ -d "$src" ] || die "--tree $spec: $src is not a directory"
   [ ! -e "$stage$dst" ] || die "--tree $spec: $dst already exists in the guest"
   mkdir -p "$stage$(dirname "$dst")"
   cp -a "$src" "$stage$dst"
done

# Shared libraries of every dynamic ELF, transitively (ldd already is).
for e in "${elves[@]}"; do
   # Static programs and modules (.ko) have none: ldd fails on them.
   { ldd "$e" 2>/dev/null || true; } | while read -r a b c _; do
      case "$a:$b" in
      /*) echo "$a" ;;
      *:'=>') case "$c" in /*) echo "$c" ;; esac ;;
      esac
   done
done | sort -u >"$stage/.libs"
while IFS= read -r lib; do
   put "$lib"
done <"$stage/.libs"
rm -f "$stage/.libs"

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
   cpio --quiet -o -H newc --owner 0:0) >"$out"
