#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nvsvm-prebuild: mesa steps
# nvsvm-prebuild: kernel 6.12
# nvsvm-min-results: 7
# The patched rusticl on nouveau under Mesa's nouveau drm-shim, in the VM
# (6.12) with vsvm: SVM caps from a real SVM_INIT, refusals named, and
# clEnqueueSVMMigrateMem on malloc memory checked from the kernel's side.
# Uses the Mesa build of 50-mesa. See docs/drm-shim.md.
exec "$(dirname "$0")/../shim/vm-suite.sh"
