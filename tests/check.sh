#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run every suite in tests/suites/ (those needing no background build
# first, each group in name order), each ending with its own
# "N passed, N failed, N skipped" line, then print the total.
# NVSVM_SUITES="unit cl" restricts the run to suites whose names match;
# matching none is a failure, not an empty success.
# A suite script may declare "# nvsvm-min-results: N": fewer results than
# that (a binary that silently did not run) is one more failure.
# Before the total, the number of distinct scenarios: a VM scenario run
# on three kernels is three results but one scenario.
# NVSVM_SUITES_DIR runs the suites of another directory (the counting test).
set -uo pipefail
cd "$(dirname "$0")/.."

logdir=${NVSVM_LOGDIR:-build-logs}
mkdir -p "$logdir"
tp=0 tf=0 ts=0
table=()
status=0
ran=0
names=$(mktemp "${TMPDIR:-/tmp}/nvsvm-names-XXXXXX")
trap 'rm -f "$names"' EXIT
other=0   # results of suites that print no piglit lines: each distinct

suitedir=${NVSVM_SUITES_DIR:-tests/suites}

# The suites of tests/suites/ run as meson tests (suite 'check', see
# tests/suites/meson.build), one at a time, their output streamed; a
# script there that meson does not know is a failure, not a silent gap.
# NVSVM_SUITES_DIR (the counting test's fake suites) runs scripts directly.
registered=''
if [ -z "${NVSVM_SUITES_DIR:-}" ]; then
  b=${BUILD:-build}
  if [ ! -f "$b/build.ninja" ] && ! meson setup "$b" >/dev/null; then
    echo "meson setup $b failed: no suite can run"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
  # A stale build dir learns about new suites before they are listed.
  ninja -C "$b" build.ninja >/dev/null 2>&1
  registered=$(meson test -C "$b" --setup check --suite check --list \
                 2>/dev/null | sed -n 's|^nvsvm:check[^ ]* / ||p')
fi

run_suite()
{
  if [ -n "${NVSVM_SUITES_DIR:-}" ]; then
    bash "$1"
  else
    meson test -C "$b" --setup check --suite check --no-rebuild --verbose \
      "$2"
  fi
}

# Suites that need no background build run first, the rest after them in
# name order: from a cold cache the builds then overlap every suite that
# does not wait for them.
selected=()
ordered=()
for suite in "$suitedir"/*.sh; do
  grep -q '^# nvsvm-prebuild:' "$suite" || ordered+=("$suite")
done
for suite in "$suitedir"/*.sh; do
  grep -q '^# nvsvm-prebuild:' "$suite" && ordered+=("$suite")
done
for suite in "${ordered[@]}"; do
  name=$(basename "$suite" .sh)
  if [ -n "${NVSVM_SUITES:-}" ]; then
    keep=0
    for want in $NVSVM_SUITES; do
      case "$name" in *"$want"*) keep=1 ;; esac
    done
    [ $keep -eq 1 ] || continue
  fi
  selected+=("$suite")
done

# The kernels and Mesa builds the selected suites declare (nvsvm-prebuild
# lines) start building now, in the background at nice 19, while the
# suites before them run; a suite that needs one waits on its lock.
# NVSVM_PREBUILD=0 builds each only when its suite asks.
prebuild=''
if [ -z "${NVSVM_SUITES_DIR:-}" ] && [ "${NVSVM_PREBUILD:-1}" != 0 ] &&
   [ ${#selected[@]} -gt 0 ]; then
  setsid tools/prebuild.sh "${selected[@]}" >"$logdir/prebuild.log" 2>&1 &
  prebuild=$!
  echo "# prebuild: builds the selected suites need run in the background" \
       "($logdir/prebuild.log)"
fi
stop_prebuild()
{
  [ -n "$prebuild" ] || return 0
  kill -TERM -- -"$prebuild" 2>/dev/null
  wait "$prebuild" 2>/dev/null
  prebuild=''
}
trap 'stop_prebuild; rm -f "$names"' EXIT

t_start=$(date +%s)
for suite in "${selected[@]}"; do
  name=$(basename "$suite" .sh)
  ran=$((ran + 1))
  t_suite=$(date +%s)
  echo "=== suite $name"
  if [ -z "${NVSVM_SUITES_DIR:-}" ] &&
     ! grep -qx -- "$name" <<<"$registered"; then
    echo "suite $name: not a meson test (add it to tests/suites/meson.build)"
    echo "0 passed, 1 failed, 0 skipped" | tee "$logdir/$name.log"
    rc=1
  else
    run_suite "$suite" "$name" 2>&1 | tee "$logdir/$name.log"
    rc=${PIPESTATUS[0]}
  fi
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' \
           "$logdir/$name.log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "suite $name: ended without a summary line (exit $rc)"
    p=0 f=1 s=0
  else
    read -r p _ f _ s _ <<<"${line//,/}"
    s=${s:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      echo "suite $name: exit $rc with no failed test counted"
      f=1
    fi
  fi
  min=$(sed -n 's/^# nvsvm-min-results: *\([0-9][0-9]*\).*/\1/p' "$suite" |
        head -n 1)
  if [ -n "$min" ] && [ $((p + f + s)) -lt "$min" ]; then
    echo "suite $name: $((p + f + s)) results, fewer than the $min it declares"
    f=$((f + 1))
  fi
  if grep -q '^PIGLIT: {"subtest"' "$logdir/$name.log"; then
    python3 tools/piglit_count.py --names "$names" "$logdir/$name.log" \
      >/dev/null
  else
    other=$((other + p + f + s))
  fi
  [ "$f" -eq 0 ] || status=1
  tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
  # Wall time, waits for a background build included.
  table+=("$(printf '%-22s %5d passed %5d failed %5d skipped %6d s' \
              "$name" "$p" "$f" "$s" $(( $(date +%s) - t_suite )))")
done

stop_prebuild
if [ $ran -eq 0 ]; then
  echo "NVSVM_SUITES='${NVSVM_SUITES:-}' matches no suite in $suitedir/"
  tf=$((tf + 1))
  status=1
fi

echo
echo "=== summary"
for row in "${table[@]}"; do echo "$row"; done
distinct=$(( $(sort -u "$names" | grep -c .) + other ))
echo "wall time: $(( $(date +%s) - ${t_start:-$(date +%s)} )) s"
echo "distinct scenarios: $distinct ($((tp + tf + ts)) results, counting" \
     "each kernel's run of a VM scenario)"
echo "$tp passed, $tf failed, $ts skipped"
exit $status
