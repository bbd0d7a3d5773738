#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nvsvm-prebuild: mesa steps
# nvsvm-prebuild: kernel 6.12
# nvsvm-min-results: 24
# The patched rusticl and NVK on nouveau under Mesa's nouveau drm-shim, in
# the VM (6.12) with vsvm: SVM caps from a real SVM_INIT, refusals named,
# and clEnqueueSVMMigrateMem on malloc memory checked from the kernel's
# side; NVK's VK_EXT_external_memory_host from a real VM_INIT with an SVM
# window, malloc memory imported at its own address (migrated into the
# device-local type), refused ranges named, and no extension without the
# window. Uses the Mesa build of 50-mesa. See docs/drm-shim.md.
exec "$(dirname "$0")/../shim/vm-suite.sh"
