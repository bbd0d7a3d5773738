#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# VM suite: the kernel-path tests on the 6.12 DEBUG_VM + lockdep kernel;
# any kernel splat fails it. See docs/vm.md.
exec "$(dirname "$0")/../../tools/vm/suite.sh" 6.12 --debug
