#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# VM suite: every kernel-path test (tests/kernel/kt-*, tests/vsvm/vt-*) in one VM on the 6.1 kernel;
# any kernel splat fails it. See docs/vm.md.
exec "$(dirname "$0")/../../tools/vm/suite.sh" 6.1
