#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nvsvm-prebuild: kernel-patches
# The nouveau kernel series (patches/linux/) applies to Debian's
# linux-source-7.2, is checkpatch-clean, builds the nouveau objects it
# can affect after every patch (DRM_NOUVEAU, DRM_NOUVEAU_SVM), and its
# uAPI header compiles standalone. All the work is in
# tools/kernel-patches/check.sh, which prints the lines and the summary.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec "$root/tools/kernel-patches/check.sh" "$@"
