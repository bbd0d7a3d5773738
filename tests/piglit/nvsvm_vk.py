# SPDX-License-Identifier: MIT
"""nvsvm Vulkan profile: the host-memory atomics tests only, no VM boots
(what `make check` runs through tests/suites/42-vk.sh). See nvsvm.py."""
from tests.nvsvm import make_profile

profile = make_profile(cl=False, vm=False, vk=True)
