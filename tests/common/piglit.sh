# SPDX-License-Identifier: MIT
# Sourced by shell suites (POSIX sh, busybox in the VM): one named result
# in the piglit shape tools/piglit_count.py counts, as tests/common/piglit.h
# prints them for C tests. The caller keeps its own tally.
#
# piglit_result NAME pass|fail|skip|warn DETAIL...
piglit_result()
{
   _piglit_name=$1 _piglit_res=$2
   shift 2
   echo "# $_piglit_name: $*"
   echo "PIGLIT: {\"enumerate subtests\": [\"$_piglit_name\"]}"
   echo "PIGLIT: {\"subtest\": {\"$_piglit_name\": \"$_piglit_res\"}}"
   echo "PIGLIT: {\"result\": \"$_piglit_res\"}"
}
