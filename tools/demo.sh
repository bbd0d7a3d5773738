#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make demo`, the main job: CPU/GPU ownership ping-pong in the VM on our
# 6.12 kernel, first on vsvm (true device atomics, nouveau's fault
# algorithm), then on the kernel's HMM test device with the library/raw
# ratio. NVSVM_DEMO_KERNEL=6.1 picks the other kernel.
set -euo pipefail
cd "$(dirname "$0")/.."

kver=${NVSVM_DEMO_KERNEL:-6.12}
bvm=${BUILD_VM:-build-vm}
rounds=${NVSVM_DEMO_ROUNDS:-5000}

echo "== what this machine has"
"$bvm/src/nouveau/svm/nvsvm" probe 2>/dev/null ||
   { ninja -C "$bvm" >/dev/null && "$bvm/src/nouveau/svm/nvsvm" probe; }

echo "== preparing kernel $kver, build, vsvm.ko (cached after the first run)"
read -r tree ko < <(BUILD_VM=$bvm tools/vm/prepare.sh "$kver")
[ -n "${tree:-}" ] || { echo "demo: preparation failed" >&2; exit 1; }

args=(--kernel "$tree" --build "$bvm" --timeout 600)
if [ "$ko" != - ]; then
   args+=(--module "$ko")
   vsvm_cmd="echo '-- vsvm: device atomics through nouveau-style faults'; \
$bvm/src/nouveau/svm/nvsvm pingpong --backend vsvm --rounds $rounds;"
else
   echo "demo: vsvm.ko unavailable, running the hmm backend only" >&2
   vsvm_cmd=""
fi
hmm_cmd="$bvm/src/nouveau/svm/nvsvm pingpong --backend hmm --rounds $rounds"

echo "== ping-pong in the VM (kernel $kver)"
exec tools/vm/run "${args[@]}" -- sh -c "set -e; $vsvm_cmd \
   echo '-- hmm: the kernel test device, library vs raw ioctls'; $hmm_cmd"
