#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make demo`: what this machine can do for SVM atomics.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${BUILD:-build}/src/nouveau/svm/nvsvm" probe
