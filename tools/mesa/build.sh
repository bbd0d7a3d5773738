#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Debian's Mesa with the nvsvm series, built in a Debian trixie chroot.
#
#   tools/mesa/build.sh chroot          make (or reuse) the trixie chroot
#   tools/mesa/build.sh source          fetch Debian's mesa source package
#   tools/mesa/build.sh build [pristine|baseline|series]
#                                       build unpatched, baseline (below)
#                                       or patched Mesa
#   tools/mesa/build.sh steps           apply the series patch by patch,
#                                       building after each one (cached)
#   tools/mesa/build.sh shell CMD...    run CMD in the chroot (as root)
#   tools/mesa/build.sh path chroot|build-pristine|build-baseline|build-series
#                                       print a cache path, build nothing
#
# Caches, all under /var/cache/nvsvm (NVSVM_CACHE):
#   mesa/chroot-trixie-<hash>    the chroot; <hash> is of packages.txt and
#                                this script's CHROOT_REV. mesa/chroot-trixie
#                                links to the current one (for other users).
#   mesa/src/<version>           pristine unpacked source package
#   mesa/build/<version>-pristine      unpatched build (+ meson test log)
#   mesa/build/<version>-baseline-<hash>  Debian's Mesa with only the
#                                patches of BASELINE_PATCHES: the unpatched
#                                compiler, able to show what it emits
#   mesa/build/<version>-<serieshash>  patched build; the hash is of
#                                patches/mesa/*.patch and the meson options
#   ccache/mesa                  ccache for every Mesa build
# Inside the chroot the mesa/ cache is mounted at /nvsvm and the
# repository at /repo (private mount namespace: nothing leaks on exit).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tools/mesa
cache=${NVSVM_CACHE:-/var/cache/nvsvm}
mcache=$cache/mesa
jobs=${NVSVM_JOBS:-2}
mirror=${NVSVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=trixie
# Debian trixie's mesa source package: the series is made for upstream
# 25.0.7; whatever Debian revision trixie carries is used (and keys the
# caches), another upstream version is refused.
MESA_UPSTREAM=25.0.7
CHROOT_REV=1

# NVK is built too: the series teaches it to import host memory through
# SVM, and the shim tests run it.
MESA_OPTIONS=(
   -Dbuildtype=plain
   -Dgallium-drivers=nouveau,llvmpipe
   -Dgallium-rusticl=true
   -Dvulkan-drivers=nouveau
   -Dplatforms=
   -Dglx=disabled
   -Degl=disabled
   -Dgbm=disabled
   -Dgles1=disabled
   -Dgles2=disabled
   -Dopengl=false
   -Dgallium-va=disabled
   -Dgallium-vdpau=disabled
   -Dgallium-xa=disabled
   -Dgallium-nine=false
   -Dvideo-codecs=
   -Dllvm=enabled
   -Dshared-llvm=enabled
   -Dtools=drm-shim
   -Dbuild-tests=true
   -Dvalgrind=disabled
   -Dlibunwind=disabled
   -Dlmsensors=disabled
   -Dzstd=enabled
)

# The baseline: Debian's Mesa with only these patches of the series (by
# name, without the number). They make nvc0's compiler dumps available in
# Debian's release build, so that tests/shim can compare what the
# unpatched compiler emits with what the series' compiler emits.
BASELINE_PATCHES=(
   nouveau-honor-NV50_PROG_DEBUG-in-release-builds
)
# It only shows nvc0's compiler: no Vulkan driver to build.
BASELINE_OPTIONS=("${MESA_OPTIONS[@]/#-Dvulkan-drivers=*/-Dvulkan-drivers=}")

say() { printf '# mesa: %s\n' "$*" >&2; }
die() { printf 'mesa: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mounts)"

pkg_list() { grep -v '^#' "$here/packages.txt" | grep -v '^$'; }
chroot_hash()
{
   { pkg_list; echo "rev $CHROOT_REV $suite"; } | sha256sum | cut -c1-12
}
chroot_dir() { echo "$mcache/chroot-$suite-$(chroot_hash)"; }

# Hash of everything that decides the patched tree and its configuration.
series_hash()
{
   { cat "$root"/patches/mesa/*.patch; printf '%s\n' "${MESA_OPTIONS[@]}"
     echo "$MESA_SRC_VERSION"; } | sha256sum | cut -c1-12
}

baseline_patches()
{
   local n f
   for n in "${BASELINE_PATCHES[@]}"; do
      f=$(ls "$root"/patches/mesa/[0-9][0-9][0-9][0-9]-"$n".patch 2>/dev/null | head -n1)
      [ -n "$f" ] || die "baseline: no patch named $n in patches/mesa"
      echo "$f"
   done
}

baseline_hash()
{
   local f
   { for f in $(baseline_patches); do cat "$f"; done
     printf '%s\n' "${BASELINE_OPTIONS[@]}"; echo "$MESA_SRC_VERSION"; } |
      sha256sum | cut -c1-12
}

# Run a command in the chroot with the caches and the repo mounted.
in_chroot()
{
   local c
   c=$(chroot_dir)
   # unshare --propagation private remounts / private: / must be a mount
   # point, which it is not inside a plain chroot.
   mountpoint -q / ||
      die "/ is not a mount point (inside a chroot?): the Mesa chroot needs" \
          "a private mount namespace; bind-mount the root onto itself first"
   mkdir -p "$mcache" "$cache/ccache/mesa" "$c/nvsvm" "$c/repo" "$c/ccache"
   unshare --mount --propagation private -- bash -euc '
      c=$1
      mount -t proc proc "$c/proc"
      mount --bind /dev "$c/dev"
      mount --bind /dev/pts "$c/dev/pts" 2>/dev/null || true
      mount -t tmpfs tmpfs "$c/tmp"
      mount --bind "$2" "$c/nvsvm"
      mount --bind "$3" "$c/repo"
      mount --bind "$4" "$c/ccache"
      shift 4
      exec chroot "$c" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
         HOME=/root LANG=C.UTF-8 TERM=dumb CCACHE_DIR=/ccache \
         CCACHE_BASEDIR=/nvsvm CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${NVSVM_CCACHE_SIZE:-8G} \
         DEBIAN_FRONTEND=noninteractive "$@"
   ' bash "$c" "$mcache" "$root" "$cache/ccache/mesa" "$@"
}

# A lock per cache item: parallel callers wait instead of racing.
locked()
{
   local name=$1
   shift
   mkdir -p "$mcache"
   exec {lk}>"$mcache/.lock-$name"
   if ! flock -n "$lk"; then
      say "waiting for another user of $name"
      flock "$lk"
   fi
   "$@"
   exec {lk}>&-
}

make_chroot()
{
   local c tmp t0 t1
   c=$(chroot_dir)
   if [ -f "$c/.nvsvm-ready" ]; then
      say "chroot $c (cached)"
      ln -sfn "$(basename "$c")" "$mcache/chroot-$suite"
      return 0
   fi
   command -v debootstrap >/dev/null ||
      die "debootstrap missing (tools/deps.sh installs it)"
   tmp=$c.tmp
   t0=$(now)
   # A finished debootstrap is kept when the package step failed.
   if [ ! -f "$tmp/.nvsvm-debootstrapped" ]; then
      rm -rf "$tmp"
      say "debootstrap --variant=minbase $suite (about half a minute)"
      debootstrap --variant=minbase "$suite" "$tmp" "$mirror" \
         >"$mcache/debootstrap.log" 2>&1 ||
         { tail -n 20 "$mcache/debootstrap.log"; die "debootstrap failed"; }
      touch "$tmp/.nvsvm-debootstrapped"
   fi
   cat >"$tmp/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb-src $mirror $suite main
deb $mirror $suite-updates main
deb-src $mirror $suite-updates main
EOF
   # No daemons in the chroot.
   printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
   chmod +x "$tmp/usr/sbin/policy-rc.d"
   t1=$(now)
   say "debootstrap: $((t1 - t0)) s; installing $(pkg_list | wc -l) build packages"
   mv "$tmp" "$c"
   # shellcheck disable=SC2046 # one package per word
   in_chroot sh -c 'apt-get update -q && apt-get install -y -q \
      --no-install-recommends "$@"' sh $(pkg_list) \
      >"$mcache/chroot-deps.log" 2>&1 ||
      { tail -n 30 "$mcache/chroot-deps.log"; mv "$c" "$tmp";
        die "installing the build packages in the chroot failed"; }
   say "build packages: $(($(now) - t1)) s"
   touch "$c/.nvsvm-ready"
   ln -sfn "$(basename "$c")" "$mcache/chroot-$suite"
   echo "chroot $((t1 - t0)) deps $(($(now) - t1))" >"$c/.nvsvm-times"
}

# The mesa version trixie offers (the chroot's apt lists, no network).
mesa_version()
{
   local v
   v=$(chroot "$(chroot_dir)" apt-cache showsrc mesa 2>/dev/null |
       sed -n 's/^Version: //p' | sort -V | tail -n1)
   [ -n "$v" ] || die "no mesa source package in the chroot's apt lists"
   case $v in
   "$MESA_UPSTREAM"-*) ;;
   *) die "trixie has mesa $v; the series is made for $MESA_UPSTREAM" ;;
   esac
   echo "$v"
}

src_dir() { echo "$mcache/src/mesa-$MESA_SRC_VERSION"; }

fetch_source()
{
   local s t0
   s=$(src_dir)
   if [ -f "$s/.nvsvm-ready" ]; then
      say "source $s (cached)"
      return 0
   fi
   t0=$(now)
   say "apt-get source mesa=$MESA_SRC_VERSION"
   rm -rf "$s" "$s.tmp"
   mkdir -p "$s.tmp"
   in_chroot sh -c "cd /nvsvm/src/mesa-$MESA_SRC_VERSION.tmp &&
      apt-get source -q --only-source mesa=$MESA_SRC_VERSION" \
      >"$mcache/source.log" 2>&1 ||
      { tail -n 20 "$mcache/source.log"; die "apt-get source mesa failed"; }
   # The upstream tree as Debian ships it (its debian/patches applied).
   local d
   d=$(find "$s.tmp" -mindepth 1 -maxdepth 1 -type d -name 'mesa-*' | head -n1)
   [ -n "$d" ] || die "no mesa-* directory after apt-get source"
   mv "$d" "$s"
   rm -rf "$s.tmp"
   touch "$s/.nvsvm-ready"
   say "source: $(($(now) - t0)) s"
}

# A git tree of the pristine source: what `git am` applies to.
# $1: destination (cache-relative path, under $mcache)
git_tree()
{
   local dst=$1
   rm -rf "${mcache:?}/$dst"
   mkdir -p "$mcache/$dst"
   # debian/ is packaging, not Mesa.
   tar -C "$(src_dir)" --exclude=./debian --exclude=./.pc \
      --exclude=./.nvsvm-ready -cf - . | tar -C "$mcache/$dst" -xf -
   # As debian/rules does: rusticl's proc-macro crates come from
   # Debian's cargo registry (librust-*-dev), not from the network.
   local crate namever
   for crate in paste proc-macro2 quote syn unicode-ident; do
      namever=$(basename "$(ls -d "$(chroot_dir)"/usr/share/cargo/registry/"$crate"-* | sort -V | tail -n1)")
      sed -e '/source.*/d' -e "s,$crate-.*,$namever," \
         -i "$mcache/$dst/subprojects/$crate.wrap"
   done
   in_chroot sh -c "cd /nvsvm/$dst && git init -q -b pristine && git config gc.auto 0 &&
      git -c user.name=nvsvm -c user.email=nvsvm@localhost add -A -f . &&
      git -c user.name=nvsvm -c user.email=nvsvm@localhost commit -q \
         -m 'Debian mesa $MESA_SRC_VERSION'" >/dev/null
}

apply_series()
{
   local dst=$1
   in_chroot sh -c "cd /nvsvm/$dst && git -c user.name=nvsvm \
      -c user.email=nvsvm@localhost am -q --keep-cr /repo/patches/mesa/*.patch"
}

# ninja with a progress line every 30 s. $1: build dir (chroot path)
ninja_progress()
{
   local bdir=$1 log=$2 pid ticks=0
   in_chroot sh -c "ninja -C '$bdir' -j$jobs" >"$log" 2>&1 &
   pid=$!
   # Poll each second (a rebuild of a few files takes seconds), report
   # progress every 30.
   while kill -0 "$pid" 2>/dev/null; do
      sleep 1
      ticks=$((ticks + 1))
      [ $((ticks % 30)) -eq 0 ] || continue
      kill -0 "$pid" 2>/dev/null || break
      say "  $(grep -o '^\[[0-9]*/[0-9]*\]' "$log" | tail -n1) $(basename "$bdir")"
   done
   wait "$pid"
}

# $1: tree (cache-relative), $2: baseline for the baseline's options
configure()
{
   local t=$1 opts=("${MESA_OPTIONS[@]}")
   [ "${2:-}" = baseline ] && opts=("${BASELINE_OPTIONS[@]}")
   in_chroot sh -c "cd /nvsvm/$t && MESON_PACKAGE_CACHE_DIR=/usr/share/cargo/registry meson setup build . $(printf "'%s' " "${opts[@]}") \
      -Dprefix=/nvsvm/$t/install" >"$mcache/$t.setup.log" 2>&1 ||
      { tail -n 40 "$mcache/$t.setup.log"; die "meson setup of $t failed"; }
}

# $1: pristine | series
build_one()
{
   local kind=$1 t t0
   case $kind in
   pristine) t=build/$MESA_SRC_VERSION-pristine ;;
   baseline) t=build/$MESA_SRC_VERSION-baseline-$(baseline_hash) ;;
   series) t=build/$MESA_SRC_VERSION-$(series_hash) ;;
   *) die "build: unknown kind '$kind' (pristine, baseline or series)" ;;
   esac
   if [ -f "$mcache/$t/.nvsvm-ready" ]; then
      say "$kind build $mcache/$t (cached)"
      return 0
   fi
   t0=$(now)
   say "$kind: git tree in $mcache/$t"
   git_tree "$t"
   if [ "$kind" = series ]; then
      apply_series "$t" || die "the series does not apply to $MESA_SRC_VERSION"
   elif [ "$kind" = baseline ]; then
      local f
      for f in $(baseline_patches); do
         in_chroot sh -c "cd /nvsvm/$t && git -c user.name=nvsvm \
            -c user.email=nvsvm@localhost am -q /repo/patches/mesa/$(basename "$f")" ||
            die "baseline: $(basename "$f") does not apply to $MESA_SRC_VERSION"
      done
   fi
   configure "$t" "$kind"
   say "$kind: building with ninja -j$jobs (ccache; ~1,050 steps cold, ~1,620 with NVK)"
   ninja_progress "/nvsvm/$t/build" "$mcache/$t.build.log" ||
      { grep -B2 -A20 'FAILED' "$mcache/$t.build.log" | head -n 60;
        die "$kind build failed (log $mcache/$t.build.log)"; }
   in_chroot sh -c "ninja -C /nvsvm/$t/build install" \
      >"$mcache/$t.install.log" 2>&1 ||
      { tail -n 20 "$mcache/$t.install.log"; die "$kind install failed"; }
   echo "$(($(now) - t0))" >"$mcache/$t/.nvsvm-build-seconds"
   touch "$mcache/$t/.nvsvm-ready"
   say "$kind: built in $(($(now) - t0)) s"
}

# Mesa's own tests in a build dir; the summary and per-test results.
# $1: tree (cache-relative), $2: name of the result file
run_meson_test()
{
   local t=$1 name=$2
   say "meson test ($name): Mesa's own tests, -j$jobs"
   in_chroot sh -c "cd /nvsvm/$t/build && meson test --no-rebuild \
      --num-processes $jobs --timeout-multiplier 4 --print-errorlogs" \
      >"$mcache/$t/.nvsvm-test-$name.log" 2>&1 || true
   # One line per test: "OK name" / "FAIL name" / ...
   sed -n 's/^ *[0-9]*\/[0-9]* \(.*\)$/\1/p' \
      "$mcache/$t/.nvsvm-test-$name.log" |
      awk '{ st = ""; for (i = 1; i <= NF; i++)
                if ($i ~ /^(OK|FAIL|SKIP|TIMEOUT|EXPECTEDFAIL|UNEXPECTEDPASS|ERROR)$/)
                   { st = $i; break }
             if (st == "") next
             name = ""; for (j = 1; j < i; j++) name = name " " $j
             sub(/^ /, "", name); print st "\t" name }' |
      sort -t "$(printf '\t')" -k2 >"$mcache/$t/.nvsvm-test-$name.tsv"
   grep -E '^(Ok|Fail|Skipped|Timeout|Expected Fail|Unexpected Pass):' \
      "$mcache/$t/.nvsvm-test-$name.log" | tr '\n' ' ' >&2
   echo >&2
}

# The whole check in one tree and one build dir, cached by series hash:
# the pristine source is built and Mesa's tests run (the baseline), then
# each patch is applied and the tree rebuilt (every patch builds on its
# own, in order), then Mesa's tests run again and the result installed.
build_steps()
{
   local t n=0 p log t0 t1
   t=build/$MESA_SRC_VERSION-steps-$(series_hash)
   if [ -f "$mcache/$t/.nvsvm-ready" ]; then
      say "pristine + per-patch builds $mcache/$t (cached)"
      cat "$mcache/$t/.nvsvm-steps"
      return 0
   fi
   t0=$(now)
   say "steps: git tree in $mcache/$t"
   git_tree "$t"
   configure "$t"
   say "steps: pristine build, ninja -j$jobs (ccache; ~1,620 steps cold)"
   ninja_progress "/nvsvm/$t/build" "$mcache/$t.step0.log" ||
      { grep -A20 FAILED "$mcache/$t.step0.log" | head -n 40 >&2;
        die "the pristine source does not build"; }
   t1=$(now)
   echo "pristine-build $((t1 - t0))" >"$mcache/$t.times"
   run_meson_test "$t" pristine
   echo "pristine-test $(($(now) - t1))" >>"$mcache/$t.times"
   : >"$mcache/$t.steps"
   for p in "$root"/patches/mesa/*.patch; do
      n=$((n + 1))
      log=$mcache/$t.step$n.log
      t1=$(now)
      if ! in_chroot sh -c "cd /nvsvm/$t && git -c user.name=nvsvm \
            -c user.email=nvsvm@localhost am -q /repo/patches/mesa/$(basename "$p")" \
            >"$log" 2>&1; then
         cat "$log" >&2
         echo "fail $(basename "$p") does-not-apply" >>"$mcache/$t.steps"
         cp "$mcache/$t.steps" "$mcache/$t/.nvsvm-steps"
         cat "$mcache/$t.steps"
         return 1
      fi
      say "step $n: $(basename "$p")"
      if ninja_progress "/nvsvm/$t/build" "$log"; then
         echo "pass $(basename "$p") builds $(($(now) - t1))s" >>"$mcache/$t.steps"
      else
         grep -A20 FAILED "$log" | head -n 40 >&2
         echo "fail $(basename "$p") does-not-build" >>"$mcache/$t.steps"
         cp "$mcache/$t.steps" "$mcache/$t/.nvsvm-steps"
         cat "$mcache/$t.steps"
         return 1
      fi
   done
   t1=$(now)
   run_meson_test "$t" series
   echo "series-test $(($(now) - t1))" >>"$mcache/$t.times"
   in_chroot sh -c "ninja -C /nvsvm/$t/build install" \
      >"$mcache/$t.install.log" 2>&1 ||
      { tail -n 20 "$mcache/$t.install.log"; die "install failed"; }
   echo "total $(($(now) - t0))" >>"$mcache/$t.times"
   mv "$mcache/$t.times" "$mcache/$t/.nvsvm-times"
   mv "$mcache/$t.steps" "$mcache/$t/.nvsvm-steps"
   touch "$mcache/$t/.nvsvm-ready"
   ln -sfn "$(basename "$t")" "$mcache/build/current"
   say "pristine + per-patch builds + tests: $(($(now) - t0)) s"
   cat "$mcache/$t/.nvsvm-steps"
}

cmd=${1:-build}
shift || true
if [ "$cmd" != chroot ] && [ -f "$(chroot_dir)/.nvsvm-ready" ]; then
   MESA_SRC_VERSION=$(mesa_version)
else
   MESA_SRC_VERSION=$MESA_UPSTREAM-unknown
fi
case $cmd in
chroot) locked chroot make_chroot ;;
source)
   locked chroot make_chroot
   MESA_SRC_VERSION=$(mesa_version)
   locked source fetch_source
   ;;
build)
   locked chroot make_chroot
   MESA_SRC_VERSION=$(mesa_version)
   locked source fetch_source
   locked "build-${1:-series}" build_one "${1:-series}"
   ;;
steps)
   locked chroot make_chroot
   MESA_SRC_VERSION=$(mesa_version)
   locked source fetch_source
   locked steps build_steps
   ;;
shell) in_chroot "$@" ;;
path)
   case ${1:-} in
   chroot) chroot_dir ;;
   src) src_dir ;;
   build-pristine) echo "$mcache/build/$MESA_SRC_VERSION-pristine" ;;
   build-baseline) echo "$mcache/build/$MESA_SRC_VERSION-baseline-$(baseline_hash)" ;;
   build-series) echo "$mcache/build/$MESA_SRC_VERSION-$(series_hash)" ;;
   steps) echo "$mcache/build/$MESA_SRC_VERSION-steps-$(series_hash)" ;;
   *) die "path: chroot, src, build-pristine, build-baseline, build-series or steps" ;;
   esac
   ;;
*) die "unknown command '$cmd' (chroot, source, build, steps, shell, path)" ;;
esac
