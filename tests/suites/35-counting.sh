#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The counting scripts (tools/piglit_count.py, tools/tap_count.py,
# tests/piglit/check_results.py, tests/check.sh) fed the cases that used
# to count wrong: a warn nobody expected, a test skipped whole, a test
# that printed nothing, a suite short of what it declares, an
# NVSVM_SUITES that matches nothing, a scenario run on several kernels.
# Each case is one named check; host only, a few seconds.
# nvsvm-min-results: 15
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvsvm-counting-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
p=0 f=0

# check NAME EXPECTED-LAST-LINE EXPECTED-EXIT -- CMD...: the closing line
# and exit status of CMD must be the expected ones.
check()
{
   local name=$1 want=$2 want_rc=$3 out rc last
   shift 4
   out=$("$@" 2>&1)
   rc=$?
   last=$(echo "$out" | tail -n 1)
   if [ "$last" = "$want" ] && [ "$rc" -eq "$want_rc" ]; then
      echo "ok - $name"
      p=$((p + 1))
   else
      echo "not ok - $name: got '$last' (exit $rc), want '$want' (exit $want_rc)"
      echo "$out" | tail -n 8 | sed 's/^/#   /'
      f=$((f + 1))
   fi
}

# Output lines (grep -q) that a case must also print.
says()
{
   local name=$1 pattern=$2 out
   shift 2
   out=$("$@" 2>&1)
   if grep -q -- "$pattern" <<<"$out"; then
      echo "ok - $name"
      p=$((p + 1))
   else
      echo "not ok - $name: no line matching '$pattern'"
      f=$((f + 1))
   fi
}

pl()
{
   printf 'PIGLIT: %s\n' "$@"
}

# ---------------------------------------------------------- piglit_count
{
   echo "=== nvsvm@cl@svm-negative"
   pl '{"enumerate subtests": ["malloc-pointer-kernel-arg-is-refused", "b"]}'
   pl '{"subtest": {"malloc-pointer-kernel-arg-is-refused": "warn"}}'
   pl '{"subtest": {"b": "pass"}}'
   pl '{"result": "warn"}'
} >"$tmp/warn.log"
check piglit_warn_without_expect_is_a_failure \
   "1 passed, 1 failed, 0 skipped" 1 -- \
   python3 tools/piglit_count.py "$tmp/warn.log"
check piglit_warn_listed_in_expect_is_a_pass \
   "2 passed, 0 failed, 0 skipped" 0 -- \
   python3 tools/piglit_count.py --expect tests/piglit/expect/pocl.txt \
   "$tmp/warn.log"
sed 's/"b": "pass"/"b": "warn"/' "$tmp/warn.log" >"$tmp/warn2.log"
check piglit_warn_of_an_unlisted_subtest_is_a_failure \
   "1 passed, 1 failed, 0 skipped" 1 -- \
   python3 tools/piglit_count.py --expect tests/piglit/expect/pocl.txt \
   "$tmp/warn2.log"
{
   echo "=== t"
   pl '{"enumerate subtests": ["a", "b", "c"]}'
   pl '{"subtest": {"a": "pass"}}'
} >"$tmp/missing.log"
check piglit_unreported_subtests_fail \
   "1 passed, 2 failed, 0 skipped" 1 -- \
   python3 tools/piglit_count.py "$tmp/missing.log"
check piglit_fewer_results_than_declared_fail \
   "2 passed, 1 failed, 0 skipped" 1 -- \
   python3 tools/piglit_count.py --min 3 --expect \
   tests/piglit/expect/pocl.txt "$tmp/warn.log"

# ------------------------------------------------------------- tap_count
tl()
{
   python3 -c 'import json, sys
print(json.dumps({"name": sys.argv[1], "result": sys.argv[2],
                  "returncode": int(sys.argv[3]), "stdout": sys.argv[4]}))' "$@"
}
{
   tl unit-a OK 0 $'1..2\nok 1 first\nok 2 second # SKIP no hmm device'
   tl unit-skipped SKIP 77 $'1..0 # SKIP no /dev/hmm_dmirror0 (CONFIG_TEST_HMM)'
} >"$tmp/skip.json"
check tap_whole_test_skip_counts_as_one_skip \
   "1 passed, 0 failed, 2 skipped" 0 -- \
   python3 tools/tap_count.py "$tmp/skip.json"
says tap_whole_test_skip_prints_its_reason "unit-skipped: SKIP (whole test): no /dev/hmm_dmirror0" \
   python3 tools/tap_count.py "$tmp/skip.json"
{
   tl unit-silent OK 0 ''
   tl unit-timeout TIMEOUT -15 $'1..3\nok 1 a\nok 2 b'
} >"$tmp/bad.json"
check tap_silent_test_and_timeout_after_oks_fail \
   "2 passed, 2 failed, 0 skipped" 1 -- \
   python3 tools/tap_count.py "$tmp/bad.json"

# -------------------------------------------------------- check_results
cl_names=$(python3 tests/piglit/nvsvm.py --list cl | cut -f1)
python3 - "$tmp/results" $cl_names <<'PY'
import json, os, sys
out, names = sys.argv[1], sys.argv[2:]
tests = {}
for n in names:
    subs = {'s': 'pass'}
    if n == 'nvsvm@cl@svm-negative':
        subs = {'malloc-pointer-kernel-arg-is-refused': 'warn', 'x': 'warn'}
    tests[n] = {'result': 'pass', 'subtests': subs, 'out': ''}
os.makedirs(out)
json.dump({'tests': tests}, open(os.path.join(out, 'results.json'), 'w'))
PY
n_cl=$(echo "$cl_names" | grep -c .)
check check_results_warn_without_expect_is_a_failure \
   "$((n_cl - 1)) passed, 2 failed, 0 skipped" 1 -- \
   python3 tests/piglit/check_results.py "$tmp/results" --profile cl
grep -v '^nvsvm@cl@svm-negative  \*' tests/piglit/expect/pocl.txt |
   sed 's/^nvsvm@cl@svm-atomics@fine-grain-system  \*  skip/nvsvm@cl@svm-atomics@fine-grain-system  *  pass/' \
   >"$tmp/expect.txt"
echo 'nvsvm@cl@svm-negative  x  pass' >>"$tmp/expect.txt"
says check_results_counts_a_listed_warn_as_pass_and_an_unlisted_one_not \
   "nvsvm@cl@svm-negative@x: warn, and no expect file lists it as warn" \
   python3 tests/piglit/check_results.py "$tmp/results" --profile cl \
   --expect "$tmp/expect.txt"

# ------------------------------------------------------------- check.sh
mkdir -p "$tmp/suites"
cat >"$tmp/suites/50-short.sh" <<'SH'
# nvsvm-min-results: 3
echo "1 passed, 0 failed, 0 skipped"
SH
cat >"$tmp/suites/60-kernel-a.sh" <<'SH'
printf '%s\n' '=== vt-x' 'PIGLIT: {"enumerate subtests": ["one", "two"]}' \
   'PIGLIT: {"subtest": {"one": "pass"}}' 'PIGLIT: {"subtest": {"two": "pass"}}' \
   'PIGLIT: {"result": "pass"}' '2 passed, 0 failed, 0 skipped'
SH
cp "$tmp/suites/60-kernel-a.sh" "$tmp/suites/61-kernel-b.sh"
cat >"$tmp/suites/70-silent.sh" <<'SH'
echo "no summary here"
SH
export NVSVM_LOGDIR=$tmp/logs NVSVM_SUITES_DIR=$tmp/suites
check check_sh_nothing_matching_fails \
   "0 passed, 1 failed, 0 skipped" 1 -- \
   env NVSVM_SUITES=no-such-suite tests/check.sh
check check_sh_suite_short_of_its_declared_minimum_fails \
   "1 passed, 1 failed, 0 skipped" 1 -- \
   env NVSVM_SUITES=short tests/check.sh
says check_sh_counts_one_scenario_run_on_two_kernels_once \
   "distinct scenarios: 2 (4 results" \
   env NVSVM_SUITES=kernel tests/check.sh
check check_sh_keeps_the_plain_closing_line \
   "4 passed, 0 failed, 0 skipped" 0 -- \
   env NVSVM_SUITES=kernel tests/check.sh
check check_sh_suite_without_summary_fails \
   "0 passed, 1 failed, 0 skipped" 1 -- \
   env NVSVM_SUITES=silent tests/check.sh
unset NVSVM_LOGDIR NVSVM_SUITES_DIR

echo "$p passed, $f failed, 0 skipped"
[ "$f" -eq 0 ]
