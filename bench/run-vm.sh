#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: one VM boot on the test kernel, `nvsvm bench` on hmm and
# vsvm in it, the results carried back over the console and plotted:
# OUT/bench.txt, bench.json, latency.png, conversions.png (OUT: build-bench).
#
# usage: bench/run-vm.sh [--quick] [--kernel 6.12|6.1] [--out DIR]
#                        [-- more nvsvm bench options]
# env:   BUILD (meson build dir with the nvsvm CLI, default build),
#        NVSVM_BENCH_TIMEOUT (whole VM run, seconds, default 900)
set -uo pipefail
# One block: bash reads it whole, so editing the file mid-run is safe.
{

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root" || exit 1

kernel=6.12 out=build-bench quick=()
while [ $# -gt 0 ]; do
   case "$1" in
   --quick) quick=(--quick); shift ;;
   --kernel) kernel=${2:?--kernel needs 6.12 or 6.1}; shift 2 ;;
   --out) out=${2:?--out needs a directory}; shift 2 ;;
   --) shift; break ;;
   -h|--help) sed -n '3,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
   *) echo "bench: unknown option $1 (--help)" >&2; exit 2 ;;
   esac
done
build=${BUILD:-build}
timeout=${NVSVM_BENCH_TIMEOUT:-900}

die()
{
   echo "bench: $*" >&2
   exit 1
}

[ -x "$build/src/nouveau/svm/nvsvm" ] ||
   die "no $build/src/nouveau/svm/nvsvm: run 'make build' first"
mkdir -p "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)
build=$(cd "$build" && pwd)

tree=$(tools/vm/kernel-build.sh --kernel "$kernel" --print-tree) ||
   die "the $kernel test kernel could not be built (tools/vm/kernel-build.sh)"

# vsvm.ko against that tree; without it the bench reports vsvm as not run.
ko=-
adds=(--add "$here/guest-bench.sh")
kodir=$out/vsvm-$(basename "$tree")
mkdir -p "$kodir"
if bash kernel/vsvm/build.sh "$tree" "$kodir" >"$kodir/build.log" 2>&1 &&
   [ -f "$kodir/vsvm.ko" ]; then
   # Compressed: the initramfs builder runs ldd on every ELF it is given
   # and stops at a .ko; the guest unpacks it.
   gzip -c "$kodir/vsvm.ko" >"$kodir/vsvm.ko.gz"
   ko=$kodir/vsvm.ko.gz
   adds+=(--add "$ko")
else
   echo "bench: vsvm.ko did not build (log: $kodir/build.log):" \
        "the bench runs on hmm only" >&2
fi

log=$out/console.log
echo "bench: booting $kernel, results in $out" >&2
tools/vm/run --kernel "$kernel" --build "$build" --timeout "$timeout" \
   "${adds[@]}" -- sh "$here/guest-bench.sh" "$build" "$ko" \
   "${quick[@]}" "$@" 2>&1 | tee "$log" |
   sed -u -e '/^NVSVM-BENCH-JSON /d' -e 's/^NVSVM-BENCH-TXT \{0,1\}//'
vmrc=${PIPESTATUS[0]}

rc=$(python3 "$here/extract.py" --console "$log" "$out") ||
   die "no results came back from the VM (vm/run exit $vmrc; see $log)"
rc=${rc#rc }

if command -v gnuplot >/dev/null; then
   # shellcheck disable=SC1091
   . "$out/plot.env"
   for gp in latency conversions; do
      gnuplot -e "dir='$out'; nlat=$nlat; nconv=$nconv" "$here/$gp.gp" ||
         die "gnuplot failed on $here/$gp.gp"
   done
   pngs="$out/latency.png $out/conversions.png"
else
   pngs="(no plots: gnuplot is missing; tools/deps.sh installs gnuplot-nox)"
fi

echo
echo "bench: results: $out/bench.txt $out/bench.json"
echo "bench: plots:   $pngs"
# A splat or a dead VM fails the bench even if the figures came back.
if [ "$vmrc" -ne 0 ] && [ "$vmrc" -ne "$rc" ]; then
   echo "bench: the VM run failed (vm/run exit $vmrc)" >&2
   exit 1
fi
exit "$rc"
}
