#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run every suite in tests/suites/ in order, each ending with its own
# "N passed, N failed, N skipped" line, then print the total.
# NVSVM_SUITES="unit cl" restricts the run to suites whose names match.
set -uo pipefail
cd "$(dirname "$0")/.."

logdir=${NVSVM_LOGDIR:-build-logs}
mkdir -p "$logdir"
tp=0 tf=0 ts=0
table=()
status=0

for suite in tests/suites/*.sh; do
  name=$(basename "$suite" .sh)
  if [ -n "${NVSVM_SUITES:-}" ]; then
    keep=0
    for want in $NVSVM_SUITES; do
      case "$name" in *"$want"*) keep=1 ;; esac
    done
    [ $keep -eq 1 ] || continue
  fi
  echo "=== suite $name"
  bash "$suite" 2>&1 | tee "$logdir/$name.log"
  rc=${PIPESTATUS[0]}
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
  [ "$f" -eq 0 ] || status=1
  tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
  table+=("$(printf '%-22s %5d passed %5d failed %5d skipped' \
              "$name" "$p" "$f" "$s")")
done

echo
echo "=== summary"
for row in "${table[@]}"; do echo "$row"; done
echo "$tp passed, $tf failed, $ts skipped"
exit $status
