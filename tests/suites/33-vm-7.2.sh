#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nvsvm-prebuild: kernel 7.2 --debug
# nvsvm-min-results: 97 (every kt-*/vt-* subtest and the module checks;
# the four runner self-checks come on top unless NVSVM_VM_SELFCHECK=0)
# VM suite: every kernel-path test (tests/kernel/kt-*, tests/vsvm/vt-*) in
# one VM on Linux 7.2 (Debian sid's linux-source-7.2), built in the
# DEBUG_VM + lockdep flavour: the device-exclusive code reworked in 6.15 is
# where the mm's own assertions matter, and one 7.2 build keeps cold CI
# short. Any kernel splat fails it. See docs/vm.md.
exec "$(dirname "$0")/../../tools/vm/suite.sh" 7.2 --debug
