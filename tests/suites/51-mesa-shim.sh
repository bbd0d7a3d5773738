#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nvsvm-prebuild: mesa steps
# nvsvm-prebuild: mesa baseline
# nvc0's memory barriers per OpenCL scope, compiled by the patched Mesa
# under the nouveau drm-shim (no GPU) and by the unpatched compiler, side
# by side: tests/shim/suite.sh, docs/drm-shim.md.
set -uo pipefail
cd "$(dirname "$0")/../.."
exec bash tests/shim/suite.sh
