#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the long artefacts that the selected suites of `make check` will
# need, in the background, while the suites before them run.
#
# usage: tools/prebuild.sh [--dry-run] SUITE-SCRIPT...
#
# A suite declares what it needs where it is written, one line each:
#   # nvsvm-prebuild: kernel 6.12          tools/vm/kernel-build.sh --kernel 6.12
#   # nvsvm-prebuild: kernel 7.2 --debug   (the same, with its flags)
#   # nvsvm-prebuild: kernel-patches       tools/kernel-patches/check.sh
#   # nvsvm-prebuild: mesa steps           tools/mesa/build.sh steps
#   # nvsvm-prebuild: mesa baseline        tools/mesa/build.sh build baseline
# The kernel items and the Mesa items form two chains that run side by
# side, each in the order the suites need them, both at nice 19: a suite
# running in the foreground keeps the CPU, and the builds take what the
# suites leave idle (downloads, unpacks, VM waits, single-threaded steps).
# From a cold cache that is most of the builds' hour; from a warm one each
# item finds its cache stamp and returns at once.
#
# Nothing here is a result. Each builder keeps its own lock and cache
# stamp, so a suite that needs an item either finds it built or waits on
# that lock; a prebuild that failed leaves no stamp, and the suite's own
# call builds again and reports the failure itself. --dry-run prints the
# two chains and builds nothing.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

dry=''
[ "${1:-}" = --dry-run ] && { dry=1; shift; }

kernel_items=()
mesa_items=()
add()
{
   local -n list=$1
   local it
   for it in "${list[@]}"; do [ "$it" = "$2" ] && return 0; done
   list+=("$2")
}
for suite in "$@"; do
   [ -f "$suite" ] || { echo "prebuild: no suite $suite" >&2; exit 2; }
   while IFS= read -r item; do
      case "$item" in
      'kernel '*|kernel-patches) add kernel_items "$item" ;;
      'mesa steps'|'mesa baseline') add mesa_items "$item" ;;
      *) echo "prebuild: $suite: unknown item '$item'" >&2; exit 2 ;;
      esac
   done < <(sed -n 's/^# nvsvm-prebuild: *//p' "$suite")
done

command_of()
{
   case "$1" in
   kernel-patches) echo tools/kernel-patches/check.sh ;;
   'kernel '*) echo "tools/vm/kernel-build.sh --kernel ${1#kernel }" ;;
   'mesa steps') echo tools/mesa/build.sh steps ;;
   'mesa baseline') echo tools/mesa/build.sh build baseline ;;
   esac
}

chain()
{
   local name=$1 item t0 rc
   shift
   for item in "$@"; do
      t0=$(date +%s)
      echo "# prebuild $name: $item: started"
      # shellcheck disable=SC2046 # the command's words
      nice -n 19 $(command_of "$item") </dev/null >/dev/null 2>&1
      rc=$?
      echo "# prebuild $name: $item: exit $rc after $(( $(date +%s) - t0 )) s"
   done
}

if [ -n "$dry" ]; then
   for item in "${kernel_items[@]}"; do echo "kernel chain: $(command_of "$item")"; done
   for item in "${mesa_items[@]}"; do echo "mesa chain: $(command_of "$item")"; done
   exit 0
fi
# The Mesa chroot needs root (debootstrap, chroot, mounts).
[ "$(id -u)" -eq 0 ] || mesa_items=()

pids=()
[ ${#kernel_items[@]} -eq 0 ] || { chain kernel "${kernel_items[@]}" & pids+=($!); }
[ ${#mesa_items[@]} -eq 0 ] || { chain mesa "${mesa_items[@]}" & pids+=($!); }
trap 'kill "${pids[@]}" 2>/dev/null' TERM INT
wait
