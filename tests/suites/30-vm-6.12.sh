#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nvsvm-prebuild: kernel 6.12
# nvsvm-min-results: 97 (every kt-*/vt-* subtest and the module checks;
# the four runner self-checks come on top unless NVSVM_VM_SELFCHECK=0)
# VM suite: every kernel-path test (tests/kernel/kt-*, tests/vsvm/vt-*) in one VM on the 6.12 kernel;
# any kernel splat fails it. See docs/vm.md.
exec "$(dirname "$0")/../../tools/vm/suite.sh" 6.12
