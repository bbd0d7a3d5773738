#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build check for the nouveau kernel series in patches/linux/: on Debian's
# linux-source-7.2 (from the development suite, fetched without installing
# anything), apply the patches in order with `git am`, run checkpatch on
# each, build the nouveau objects it can affect after each one (with
# CONFIG_DRM_NOUVEAU=y and CONFIG_DRM_NOUVEAU_SVM=y), then compile the
# patched uAPI header standalone. One "ok"/"not ok" line per step, then
# "N passed, N failed, N skipped".
#
# usage: check.sh [--series DIR] [--force]
#   --series DIR  patch directory (default: patches/linux of this checkout)
#   --force       ignore a cached result for this series
#
# Cache: $NVSVM_CACHE, default /var/cache/nvsvm as root, else
# ${XDG_CACHE_HOME:-~/.cache}/nvsvm. The sid apt state and the downloaded
# package live in $cache/apt-sid (tools/sid-source.sh); the git tree and
# the O= build of the nouveau check in
# $cache/kpatch/<version>. A fully passing run records its lines under the
# key version + series + this script + config fragment; the same key later
# prints the record instead of rebuilding. NVSVM_JOBS sets -j (default 2).
set -uo pipefail
{

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
series=$root/patches/linux
force=''
while [ $# -gt 0 ]; do
   case "$1" in
   --series) [ $# -ge 2 ] || { echo "check.sh: --series needs a DIR" >&2; exit 2; }
             series=$(cd "$2" && pwd) || exit 2; shift 2 ;;
   --force) force=1; shift ;;
   -h|--help) sed -n '11,13p' "$0" | sed 's/^# //' >&2; exit 2 ;;
   *) echo "check.sh: unknown argument '$1'" >&2; exit 2 ;;
   esac
done

pass=0 fail=0 skip=0
record=''
ok()      { echo "ok $*"; pass=$((pass + 1)); record+="ok $*"$'\n'; }
notok()   { echo "not ok $*"; fail=$((fail + 1)); }
skipped() { echo "skip $*"; skip=$((skip + 1)); }
say()     { echo "# $*"; }
summary() { echo "$pass passed, $fail failed, $skip skipped"; }
# A failure of the set-up itself: one failed line naming it, then stop.
setup_fail()
{
   notok "setup: $*"
   summary
   exit 1
}

# shellcheck source=tools/lib/cache.sh
. "$here/../lib/cache.sh"
jobs=${NVSVM_JOBS:-2}
pkg=linux-source-7.2
frag=$here/nouveau.config

mapfile -t patches < <(ls "$series"/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null |
                        grep -v /0000-cover-letter.patch)
[ ${#patches[@]} -gt 0 ] || setup_fail "no NNNN-*.patch files in $series"

for tool in git perl make gcc flex bison bc xz python3; do
   command -v "$tool" >/dev/null ||
      setup_fail "$tool missing (make deps installs it)"
done

# --- linux-source-7.2 from sid, fetched by tools/sid-source.sh (nothing
# installed from sid). Without Debian's archive and with nothing cached
# the whole check skips, naming what is missing.
err=$(mktemp "${TMPDIR:-/tmp}/nvsvm-kpatch-XXXXXX")
trap 'rm -f "$err"' EXIT
if ! out=$("$root/tools/sid-source.sh" "$pkg" 2>"$err"); then
   sed 's/^/# /' "$err"
   if grep -q 'none cached' "$err"; then
      skipped "all: $pkg is neither in the sid lists nor cached" \
              "(needs Debian's archive for apt-get download)"
      summary
      exit 0
   fi
   setup_fail "tools/sid-source.sh $pkg failed"
fi
read -r pkgver tarball <<<"$out"
say "source: $pkg $pkgver"

# --- the result cache key: everything that decides the outcome.
safever=$(echo "$pkgver" | tr -c 'A-Za-z0-9.+\n-' '_')
key=$( { echo "$pkgver"; cat "$0" "$frag" "$here/uapi-test.c" "$here/affected.py";
         for p in "${patches[@]}"; do basename "$p"; cat "$p"; done; } |
       sha256sum | cut -c1-16)
work=$cache/kpatch/$safever
results=$cache/kpatch/results
mkdir -p "$work" "$results" || setup_fail "cannot create $work"
if [ -z "$force" ] && [ -f "$results/$key" ]; then
   say "series $key already checked on $pkg $pkgver; recorded result" \
       "(--force to rebuild):"
   cat "$results/$key"
   exit 0
fi

# One run at a time per source version: the tree and build are shared.
exec 9>"$work/.lock"
if ! flock -n 9; then
   say "another check.sh run holds $work; waiting"
   flock 9
fi

# --- a git tree of the pristine source, unpacked once per version. Only
# the paths the series may touch are tracked (Debian's .gitignore ignores
# the top level, hence add -f).
src=$work/$pkg
if [ ! -f "$src/.nvsvm-git" ]; then
   say "unpacking $tarball"
   rm -rf "$src" "$work/.unpack"
   mkdir -p "$work/.unpack"
   tar -xJf "$tarball" -C "$work/.unpack" || setup_fail "tar -xJf $tarball"
   mv "$work/.unpack/$pkg" "$src" && rmdir "$work/.unpack"
   (cd "$src" && git init -q &&
    git add -f drivers/gpu/drm/nouveau include/uapi/drm &&
    git -c user.name=nvsvm -c user.email=nvsvm@invalid \
       commit -q -m "$pkg $pkgver (pristine)" &&
    git tag pristine) >/dev/null || setup_fail "git init of $src failed"
   touch "$src/.nvsvm-git"
fi
g()
{
   git -C "$src" -c user.name=nvsvm -c user.email=nvsvm@invalid "$@"
}
g am --abort >/dev/null 2>&1
# Back to pristine: only files that differ are rewritten, so make rebuilds
# only what the series touches.
g reset -q --hard pristine || setup_fail "git reset to pristine failed"
g clean -q -f -d -- drivers/gpu/drm/nouveau include/uapi/drm

# --- configure: x86_64 tinyconfig + nouveau.config, verified.
fraghash=$(sha256sum "$frag" | cut -c1-12)
out=$work/out-$fraghash
kmake=(make -C "$src" O="$out" ARCH=x86_64)
log=$work/build.log
: >"$log"
if [ ! -f "$out/.nvsvm-configured" ]; then
   say "configuring $out"
   rm -rf "$out"
   mkdir -p "$out"
   {
      "${kmake[@]}" tinyconfig &&
      "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
         "$out/.config" "$frag" &&
      "${kmake[@]}" olddefconfig
   } >>"$log" 2>&1 || setup_fail "configuration failed (see $log)"
fi
missing=0
while IFS= read -r line; do
   case "$line" in
   CONFIG_*=*)
      grep -qxF "$line" "$out/.config" || {
         sym=${line%%=*}
         say "wanted $line, got: $(grep -E "^($sym=|# $sym is not set)" \
              "$out/.config" || echo absent)"
         missing=$((missing + 1))
      } ;;
   esac
done <"$frag"
if [ "$missing" -eq 0 ]; then
   touch "$out/.nvsvm-configured"
   ok "config: nouveau.config settings all in .config" \
      "(DRM_NOUVEAU=y, DRM_NOUVEAU_SVM=y)"
else
   rm -f "$out/.nvsvm-configured"
   setup_fail "config: $missing nouveau.config setting(s) dropped by olddefconfig"
fi

# --- what the series can affect: the nouveau objects whose sources it
# touches or that include, directly or through other headers, a header it
# touches (affected.py resolves includes with nouveau's search path).
# nvkm, about 650 of nouveau's 774 files, includes none of them; building
# only this set, not all of drivers/gpu/drm/nouveau/, keeps a cold check
# to minutes.
# Only objects this configuration builds: kbuild's own list, nouveau-y,
# from nouveau's Kbuild files read with the .config (dispnv50/crc.c, say,
# is built only with DEBUG_FS and does not compile without it).
printf 'include %s/.config\nsrc := drivers/gpu/drm/nouveau\ninclude $(src)/Kbuild\nall: ; @echo $(nouveau-y)\n' \
   "$out" >"$work/nouveau-y.mk"
built=$(make -s -C "$src" -f "$work/nouveau-y.mk" 2>>"$log" | tr ' ' '\n' |
        sed -n 's|^\(.*\.o\)$|drivers/gpu/drm/nouveau/\1|p') ||
   setup_fail "cannot list nouveau-y from nouveau's Kbuild (see $log)"
[ -n "$built" ] || setup_fail "nouveau's Kbuild lists no object (nouveau-y)"
mapfile -t objs < <(python3 "$here/affected.py" "$src" "${patches[@]}" |
                    grep -Fx -f <(echo "$built"))
[ ${#objs[@]} -gt 0 ] ||
   setup_fail "the series touches no nouveau source or header it could build"
say "objects the series can affect: ${#objs[@]} of the" \
    "$(echo "$built" | wc -l) nouveau objects of this configuration"

build()
{
   local what=$1 t0 rc
   t0=$(date +%s)
   echo "=== build: $what" >>"$log"
   "${kmake[@]}" -j"$jobs" "${objs[@]}" >>"$log" 2>&1
   rc=$?
   last_build_s=$(( $(date +%s) - t0 ))
   return $rc
}

# The pristine tree first: a failure there is the environment, not a patch.
if build pristine; then
   ok "build: pristine, ${#objs[@]} nouveau objects (${last_build_s}s)"
else
   grep -E 'error|Error' "$log" | tail -n 20 | sed 's/^/#   /'
   setup_fail "build: pristine nouveau objects do not build (see $log)"
fi

cp="$src/scripts/checkpatch.pl"
broken=''
for p in "${patches[@]}"; do
   name=$(basename "$p")
   # checkpatch: the Signed-off-by is left for a human to add.
   if cpout=$(cd "$src" && perl "$cp" --strict --no-signoff --quiet \
                 --no-summary "$p" 2>&1) && [ -z "$cpout" ]; then
      ok "checkpatch: $name"
   else
      notok "checkpatch: $name"
      echo "$cpout" | sed 's/^/#   /'
   fi
   if [ -n "$broken" ]; then
      skipped "build: $name (an earlier patch, $broken, did not apply/build)"
      continue
   fi
   if ! amout=$(g am -q --whitespace=error-all "$p" 2>&1); then
      notok "apply: $name (git am)"
      echo "$amout" | sed 's/^/#   /'
      g am --abort >/dev/null 2>&1
      broken=$name
      continue
   fi
   if build "$name"; then
      ok "build: after $name (${last_build_s}s)"
   else
      notok "build: after $name"
      awk '/^=== build: /{keep=0} $0=="=== build: '"$name"'"{keep=1} keep' \
         "$log" | grep -v '^=== build: ' | grep -E 'error|warning' |
         head -n 20 | sed 's/^/#   /'
      broken=$name
   fi
done

# --- the patched uAPI header on its own, as userspace sees it.
hdrs=$out/usr/include
if [ -n "$broken" ]; then
   skipped "uapi: header compile test (series does not apply/build)"
else
   # `make headers` leaves the sanitised uAPI tree in $out/usr/include
   # (headers_install would only copy it elsewhere, with rsync).
   if ! "${kmake[@]}" headers >>"$log" 2>&1; then
      notok "uapi: make headers (see $log)"
   else
      for std in "c99 -Wall -Wextra -Werror" \
                 "c11 -Wall -Wextra -Werror"; do
         set -- $std
         if ccout=$(gcc -std="$@" -I"$hdrs" \
                       -o "$work/uapi-test" "$here/uapi-test.c" 2>&1) &&
            runout=$("$work/uapi-test" 2>&1); then
            ok "uapi: nouveau_drm.h standalone, gcc -std=$* ($runout)"
         else
            notok "uapi: nouveau_drm.h standalone, gcc -std=$*"
            echo "$ccout$runout" | sed 's/^/#   /'
         fi
      done
   fi
fi

summary
if [ "$fail" -eq 0 ] && [ "$skip" -eq 0 ]; then
   # Record this passing run's lines under its key.
   tmp=$(mktemp "$results/.rec-XXXXXX")
   printf '# recorded %s\n%s%s\n' "$(date -u +%FT%TZ)" "$record" \
      "$(summary)" >"$tmp"
   mv "$tmp" "$results/$key"
fi
[ "$fail" -eq 0 ]
exit
}
