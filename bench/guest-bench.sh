#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs inside the VM (busybox sh) for bench/run-vm.sh: loads vsvm.ko when
# given, runs `nvsvm bench`, and prints its text and JSON on the console
# with a marker on every line, as the console is the only way back.
#
# usage: guest-bench.sh BUILD_DIR VSVM_KO[.gz]|- [nvsvm bench options...]

build=${1:?usage: guest-bench.sh BUILD_DIR VSVM_KO|- [options]}
ko=${2:?usage: guest-bench.sh BUILD_DIR VSVM_KO|- [options]}
shift 2

case "$ko" in
*.gz)
   gunzip -c "$ko" >/tmp/vsvm.ko || ko=-
   [ "$ko" = - ] || ko=/tmp/vsvm.ko ;;
esac
if [ "$ko" != - ]; then
   if ! timeout 30 insmod "$ko"; then
      echo "# guest-bench: insmod $ko failed: vsvm will be reported as not run"
      ko=-
   fi
fi

"$build/src/nouveau/svm/nvsvm" bench --json /tmp/bench.json "$@" \
   >/tmp/bench.txt
rc=$?

# Kernel messages must not land inside the lines carried back.
dmesg -n 1 2>/dev/null
sed 's/^/NVSVM-BENCH-TXT /' /tmp/bench.txt
[ -f /tmp/bench.json ] && sed 's/^/NVSVM-BENCH-JSON /' /tmp/bench.json
echo "NVSVM-BENCH-DONE $rc"
dmesg -n 5 2>/dev/null

# Unloading proves the module let go of everything the bench used.
if [ "$ko" != - ]; then
   timeout 30 rmmod vsvm || echo "# guest-bench: rmmod vsvm failed"
fi
exit $rc
