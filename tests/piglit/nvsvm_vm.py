# SPDX-License-Identifier: MIT
"""nvsvm kernel-path profile: every tests/kernel kt-* and tests/vsvm vt-*
binary of build-vm/, each in its own VM boot (tools/vm/run) on each kernel
in NVSVM_VM_KERNELS. Slow under TCG: not part of `make check`, whose VM
suites run all of them in one boot per kernel. See nvsvm.py."""
from tests.nvsvm import make_profile

profile = make_profile(cl=False, vm=True)
