#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build (or reuse from the cache) the small test kernel for the nvsvm VM from
# Debian's linux-source-X package: tinyconfig + kernel/config fragments.
#
# usage: kernel-build.sh --kernel 6.12|6.1 [--debug] [--print-tree|--print-bzimage]
#                        [--config-only]
#   --config-only  configure and verify the fragments, do not compile
#
# Cache: $NVSVM_CACHE, default /var/cache/nvsvm as root, else
# ${XDG_CACHE_HOME:-~/.cache}/nvsvm. One source unpack per package version,
# one out-of-tree build (O=) per key = version + flavour + fragment hash.
# A tree is usable only once its .nvsvm-built stamp exists; a lock keeps two
# kernel builds apart (one at a time per machine). Set NVSVM_JOBS to change the -j2 default.
#
# 6.12 and 6.1 come from the installed linux-source-6.12/6.1 (bookworm,
# make deps). 7.2 is in Debian's development suite (sid) only:
# tools/sid-source.sh fetches its linux-source-7.2 without installing
# anything from sid (and says how).
set -euo pipefail
# The whole script is one block: bash reads it completely before running,
# so editing this file cannot derail a build or VM already running.
{

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
confdir=$root/kernel/config

usage()
{
   sed -n '6,8p' "$0" | sed 's/^# //' >&2
   exit 2
}

die()
{
   echo "kernel-build: $*" >&2
   exit 1
}

kver='' flavour=base print='' config_only=''
while [ $# -gt 0 ]; do
   case "$1" in
   --kernel) [ $# -ge 2 ] || usage; kver=$2; shift 2 ;;
   --debug) flavour=debug; shift ;;
   --print-tree) print=tree; shift ;;
   --print-bzimage) print=bzimage; shift ;;
   --config-only) config_only=1; shift ;;
   -h|--help) usage ;;
   *) echo "kernel-build: unknown argument '$1'" >&2; usage ;;
   esac
done
case "$kver" in
7.2|6.12|6.1) ;;
'') usage ;;
*) die "unsupported kernel '$kver' (known: 7.2, 6.12, 6.1)" ;;
esac

# Progress goes to stderr so that --print-* leaves one clean line on stdout.
say()
{
   echo "kernel-build[$kver/$flavour]: $*" >&2
}

# shellcheck source=tools/lib/cache.sh
. "$here/../lib/cache.sh"

pkg=linux-source-$kver

case "$kver" in
7.2)
   # sid only: tools/sid-source.sh fetches it (once per version).
   out=$("$root/tools/sid-source.sh" "$pkg") || die "$pkg: no source"
   read -r pkgver tarball <<<"$out"
   ;;
*)
   tarball=/usr/src/$pkg.tar.xz
   [ -r "$tarball" ] ||
      die "$tarball missing: install Debian's $pkg (make deps)"
   pkgver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) ||
      die "package $pkg is not installed (make deps)"
   ;;
esac

frags=("$confdir/base.config")
[ -f "$confdir/$kver.config" ] && frags+=("$confdir/$kver.config")
[ "$flavour" = debug ] && frags+=("$confdir/debug.config")

# The key changes whenever anything that shapes .config changes.
hash=$( { echo "flavour=$flavour"; cat "${frags[@]}"; } |
        sha256sum | cut -c1-12)
safever=$(echo "$pkgver" | tr -c 'A-Za-z0-9.+\n-' '_')
key=$kver-$safever-$flavour-$hash
srcdir=$cache/src/$kver-$safever/$pkg
tree=$cache/kernel/$key
stamp=$tree/.nvsvm-built

report()
{
   case "$print" in
   tree) echo "$tree" ;;
   bzimage) echo "$tree/arch/x86/boot/bzImage" ;;
   *) say "ready: $tree" ;;
   esac
}

if [ -f "$stamp" ]; then
   report
   exit 0
fi

mkdir -p "$cache/src" "$cache/kernel"
# One kernel build at a time per machine: two -j2 builds on two cores only
# make both slower (and a second build of the same key would be wasted).
exec 9>"$cache/kernel/.build.lock"
if ! flock -n 9; then
   say "another kernel build is running; waiting for it to finish"
   flock 9
fi
if [ -f "$stamp" ]; then
   report
   exit 0
fi

# Unpack once per package version, atomically: a half-unpacked tree is never
# seen under the final name.
if [ ! -f "$srcdir/.nvsvm-unpacked" ]; then
   say "unpacking $tarball ($pkgver)"
   tmp=$(mktemp -d "$cache/src/.unpack-XXXXXX")
   tar -xJf "$tarball" -C "$tmp"
   touch "$tmp/$pkg/.nvsvm-unpacked"
   mkdir -p "$(dirname "$srcdir")"
   rm -rf "$srcdir"
   mv "$tmp/$pkg" "$srcdir"
   rmdir "$tmp"
fi

mkdir -p "$tree"
log=$tree/build.log
: >"$log"
say "configuring $tree (log: $log)"
kmake=(make -C "$srcdir" O="$tree" ARCH=x86_64)
{
   "${kmake[@]}" tinyconfig
   "$srcdir/scripts/kconfig/merge_config.sh" -m -O "$tree" \
      "$tree/.config" "${frags[@]}"
   "${kmake[@]}" olddefconfig
} >>"$log" 2>&1 || die "configuration failed; see $log"

# Kconfig drops a symbol silently when a dependency is unmet: insist that
# every setting the fragments ask for is what .config ended up with.
missing=0
while IFS= read -r line; do
   case "$line" in
   CONFIG_*=*)
      sym=${line%%=*}
      grep -qxF "$line" "$tree/.config" || {
         got=$(grep -E "^($sym=|# $sym is not set)" "$tree/.config" ||
               echo "absent")
         echo "  wanted $line, got: $got" >&2
         missing=$((missing + 1))
      } ;;
   "# CONFIG_"*" is not set")
      sym=${line#\# }
      sym=${sym%% *}
      if grep -qE "^$sym=" "$tree/.config"; then
         echo "  wanted $line, got: $(grep -E "^$sym=" "$tree/.config")" >&2
         missing=$((missing + 1))
      fi ;;
   esac
done < <(cat "${frags[@]}")
[ "$missing" -eq 0 ] ||
   die "$missing fragment setting(s) did not survive olddefconfig (unmet dependencies?)"
say "config verified: every fragment setting is in .config"
if [ -n "$config_only" ]; then
   say "configured only (--config-only): $tree/.config"
   exit 0
fi

jobs=${NVSVM_JOBS:-2}
say "building bzImage and modules with -j$jobs (log: $log)"
start=$(date +%s)
"${kmake[@]}" -j"$jobs" bzImage modules >>"$log" 2>&1 &
mpid=$!
# A line every ~30 s so that a 5-10 minute step is visibly alive.
while kill -0 "$mpid" 2>/dev/null; do
   for _ in $(seq 30); do
      kill -0 "$mpid" 2>/dev/null || break
      sleep 1
   done
   kill -0 "$mpid" 2>/dev/null || break
   objs=$(find "$tree" -name '*.o' 2>/dev/null | wc -l)
   say "$(( $(date +%s) - start ))s elapsed, $objs objects built"
done
if ! wait "$mpid"; then
   tail -n 30 "$log" >&2
   die "build failed after $(( $(date +%s) - start ))s; see $log"
fi
elapsed=$(( $(date +%s) - start ))
[ -f "$tree/arch/x86/boot/bzImage" ] || die "no bzImage after build; see $log"
[ -f "$tree/Module.symvers" ] || die "no Module.symvers after build; see $log"

{
   echo "package=$pkg $pkgver"
   echo "flavour=$flavour"
   echo "fragments=${frags[*]}"
   echo "build_seconds=$elapsed"
   echo "kernelrelease=$("${kmake[@]}" -s kernelrelease 2>/dev/null)"
} >"$stamp"
say "built in ${elapsed}s"
report
exit
}
