#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The nouveau kernel series (patches/linux/) applies to Debian's
# linux-source-7.2, is checkpatch-clean, builds drivers/gpu/drm/nouveau/
# after every patch with DRM_NOUVEAU and DRM_NOUVEAU_SVM enabled, and its
# uAPI header compiles standalone. All the work is in
# tools/kernel-patches/check.sh, which prints the lines and the summary.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec "$root/tools/kernel-patches/check.sh" "$@"
