#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Measure CI from nothing: a fresh Debian 12 root (debootstrap minbase,
# with bookworm-updates and -security as a fresh machine has them), a
# clean clone of this repository's HEAD, an empty /var/cache/nvsvm, then
# .ci/run inside it. Prints the wall time of the whole run; the per-suite
# table (wall time per suite, waits for background builds included) and
# build-logs/prebuild.log (per build) are in the clone.
#
# usage: tools/cold-run.sh [DIR]     (default /srv/nvsvm-cold; wiped first)
#
# Needs root and debootstrap, about 20 GB in DIR, and the two cores to
# itself: anything else running makes the figure larger. The root is
# bind-mounted onto itself so that it is a mount point, as / is on a real
# machine (the Mesa chroot needs a private mount namespace).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-/srv/nvsvm-cold}
mirror=${NVSVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${NVSVM_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}

die() { echo "cold-run: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null || die "debootstrap missing (make deps)"
case $dir in /|/usr|/var|/etc|/root|/home) die "refusing to wipe $dir" ;; esac

unmount_all()
{
   local m
   for m in dev/pts dev sys proc; do
      mountpoint -q "$dir/$m" 2>/dev/null && umount -l "$dir/$m"
   done
   if mountpoint -q "$dir" 2>/dev/null; then umount -l "$dir"; fi
   return 0
}
unmount_all
rm -rf "$dir"
mkdir -p "$dir"
trap unmount_all EXIT

t0=$(date +%s)
echo "# cold-run: debootstrap --variant=minbase bookworm $dir"
debootstrap --variant=minbase bookworm "$dir" "$mirror" \
   >"$dir.debootstrap.log" 2>&1 ||
   { tail -n 20 "$dir.debootstrap.log"; die "debootstrap failed"; }
cat >"$dir/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
git clone -q --no-hardlinks "$root" "$dir/root/nvsvm"
echo "# cold-run: root and clone of $(git -C "$root" rev-parse --short HEAD)" \
     "ready in $(( $(date +%s) - t0 )) s"

mount --bind "$dir" "$dir"
mount -t proc proc "$dir/proc"
mount -t sysfs sys "$dir/sys"
mount --bind /dev "$dir/dev"
mount --bind /dev/pts "$dir/dev/pts"

t1=$(date +%s)
echo "# cold-run: .ci/run started $(date -u +%FT%TZ)"
rc=0
chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
   HOME=/root LANG=C.UTF-8 TERM=dumb \
   bash -c 'cd /root/nvsvm && bash .ci/run' || rc=$?
t2=$(date +%s)
echo "# cold-run: .ci/run exit $rc, wall $(( t2 - t1 )) s" \
     "($(( (t2 - t1) / 60 )) min $(( (t2 - t1) % 60 )) s)"
echo "# cold-run: background builds:"
sed 's/^/#   /' "$dir/root/nvsvm/build-logs/prebuild.log" 2>/dev/null || true
exit "$rc"
