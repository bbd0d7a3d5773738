#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A linux-source package from Debian's development suite (sid), fetched
# without installing anything from sid: its own sources file, lists,
# status and archive cache under $cache/apt-sid, used for `apt-cache` and
# `apt-get download` only; the package is unpacked with `dpkg-deb -x`,
# once per version.
#
# usage: tools/sid-source.sh PACKAGE
# Prints "VERSION TARBALL" (the /usr/src/PACKAGE.tar.xz inside the
# unpacked package) on stdout; progress and errors go to stderr.
#
# The lists are refreshed when older than a day (NVSVM_SID_REFRESH=0:
# never, 1: always); offline, the newest version already cached is used.
# Cache: $NVSVM_CACHE, default /var/cache/nvsvm as root, else
# ${XDG_CACHE_HOME:-~/.cache}/nvsvm. One caller at a time (a lock).
set -euo pipefail

pkg=${1:?usage: sid-source.sh PACKAGE}
say() { echo "sid-source[$pkg]: $*" >&2; }
die() { echo "sid-source[$pkg]: error: $*" >&2; exit 1; }

# shellcheck source=tools/lib/cache.sh
. "$(dirname "$0")/lib/cache.sh"
sid=$cache/apt-sid
# Valid-Until is not checked: sid's Release file expires within days, and
# a mirror or snapshot older than that would otherwise refuse the lists
# outright (seen here: "Release file ... is expired"). Authenticity still
# is checked (Signed-By), and the package by its hash in those lists.
sidapt=(-o Dir::Etc::SourceList="$sid/sid.sources"
        -o Dir::Etc::SourceParts="$sid/sources.list.d"
        -o Dir::Etc::Preferences="$sid/preferences"
        -o Dir::Etc::PreferencesParts="$sid/preferences.d"
        -o Dir::State="$sid/state"
        -o Dir::State::Lists="$sid/lists"
        -o Dir::State::status="$sid/state/status"
        -o Dir::Cache="$sid/cache"
        -o APT::Sandbox::User=root
        -o Acquire::Check-Valid-Until=false)

for tool in apt-get apt-cache dpkg-deb flock; do
   command -v "$tool" >/dev/null || die "$tool missing (make deps)"
done
mkdir -p "$sid/sources.list.d" "$sid/preferences.d" "$sid/state" \
   "$sid/lists/partial" "$sid/cache/archives/partial" "$sid/deb" \
   "$sid/pkg" || die "cannot create $sid"
exec 8>"$sid/.lock"
flock 8
: >>"$sid/state/status"
cat >"$sid/sid.sources" <<'SRC'
# nvsvm: Debian's development suite, for apt-get download only
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

age=999999
[ -f "$sid/lists/.nvsvm-updated" ] &&
   age=$(( $(date +%s) - $(stat -c %Y "$sid/lists/.nvsvm-updated") ))
case "${NVSVM_SID_REFRESH:-auto}" in
0) age=0 ;;
1) age=999999 ;;
esac
if [ "$age" -ge 86400 ]; then
   say "refreshing the sid package lists ($sid)"
   if apt-get "${sidapt[@]}" -q update >"$sid/update.log" 2>&1; then
      touch "$sid/lists/.nvsvm-updated"
   else
      say "apt-get update for sid failed ($(grep -m1 '^E:' \
          "$sid/update.log" || echo "see $sid/update.log")); using the cache"
   fi
fi

ver=$( { apt-cache "${sidapt[@]}" show --no-all-versions "$pkg" \
           2>/dev/null || true; } | sed -n 's/^Version: //p' | head -n 1)
if [ -z "$ver" ]; then
   # No lists (offline) or sid dropped the package: the newest cached one.
   x=$( { ls -d "$sid/pkg/$pkg"_*/.nvsvm-extracted 2>/dev/null || true; } |
       sort -V | tail -n 1)
   [ -n "$x" ] || die "not in the sid package lists ($sid/update.log) and" \
      "none cached; needs Debian's archive (apt-get download)"
   x=$(dirname "$x")
   ver=${x##*/"$pkg"_}
   say "not in the sid lists; using the cached $ver"
fi
dir=$sid/pkg/${pkg}_$ver
if [ ! -f "$dir/.nvsvm-extracted" ]; then
   say "downloading $pkg $ver from sid (apt-get download)"
   tmp=$(mktemp -d "$sid/deb/.dl-XXXXXX")
   (cd "$tmp" && apt-get "${sidapt[@]}" -q download "$pkg=$ver") \
      >"$sid/download.log" 2>&1 ||
      { rm -rf "$tmp"; die "apt-get download $pkg=$ver failed; see" \
        "$sid/download.log"; }
   deb=$(ls "$tmp"/*.deb)
   say "extracting $(basename "$deb") (dpkg-deb -x, nothing installed)"
   rm -rf "$dir" "$dir.tmp"
   mkdir -p "$dir.tmp"
   dpkg-deb -x "$deb" "$dir.tmp" || die "dpkg-deb -x $deb failed"
   rm -rf "$tmp"
   [ -r "$dir.tmp/usr/src/$pkg.tar.xz" ] ||
      die "$pkg $ver holds no /usr/src/$pkg.tar.xz"
   touch "$dir.tmp/.nvsvm-extracted"
   mv "$dir.tmp" "$dir"
fi
echo "$ver $dir/usr/src/$pkg.tar.xz"
