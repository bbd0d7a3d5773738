# SPDX-License-Identifier: MIT
"""nvsvm OpenCL profile: the SVM-atomics tests only, no VM boots (what
`make check` runs through tests/suites/41-piglit.sh). See nvsvm.py."""
from tests.nvsvm import make_profile

profile = make_profile(cl=True, vm=False)
