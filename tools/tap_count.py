#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Count TAP scenarios in a meson testlog.json; print each test's result
lines and the closing "N passed, N failed, N skipped" line.

- A test skipped whole ("1..0 # SKIP reason", meson result SKIP) is one
  skip, printed with its reason.
- A test that reported no TAP line and was not skipped is a failure, and
  so is one whose status is bad (crash, timeout, wrong plan) although
  every line it printed was ok.
- --names FILE appends every scenario name (TEST@SCENARIO) to FILE.
- --min N: fewer than N results in all is one more failure.
Exit 1 on any failure."""
import argparse
import json
import re
import sys

TAP_LINE = re.compile(r'^(not ok|ok)\s+\d+\s*-?\s*(.*)$')
SKIP_ALL = re.compile(r'^1\.\.0\b\s*(?:#\s*(?:SKIP|skip)\S*\s*(.*))?$')


def count(entries, names=None):
    passed = failed = skipped = 0
    out = []
    for entry in entries:
        test = entry.get('name', '?')
        result = entry.get('result')
        lines = (entry.get('stdout') or '').splitlines()
        seen = bad = 0
        skip_reason = None
        for line in lines:
            m = SKIP_ALL.match(line)
            if m:
                skip_reason = (m.group(1) or '').strip() or 'no reason given'
                continue
            m = TAP_LINE.match(line)
            if not m:
                continue
            seen += 1
            desc = m.group(2)
            if names is not None:
                names.append('%s@%s' % (test, desc.split('#', 1)[0].strip()))
            if m.group(1) == 'not ok':
                failed += 1
                bad += 1
            elif re.search(r'#\s*SKIP', desc, re.I):
                skipped += 1
            else:
                passed += 1
            out.append('%s: %s' % (test, line))
        if seen == 0:
            if result == 'SKIP' or skip_reason is not None:
                skipped += 1
                if names is not None:
                    names.append(test)
                out.append('%s: SKIP (whole test): %s'
                           % (test, skip_reason or 'no reason given'))
            else:
                failed += 1
                out.append('%s: %s (exit %s) with no TAP result line'
                           % (test, result, entry.get('returncode')))
        elif result not in ('OK', 'SKIP', 'EXPECTEDFAIL') and bad == 0:
            failed += 1
            out.append('%s: %s (exit %s) although every TAP line was ok'
                       % (test, result, entry.get('returncode')))
    return passed, failed, skipped, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('testlog')
    ap.add_argument('--names')
    ap.add_argument('--min', type=int, default=0)
    args = ap.parse_args()

    entries = []
    with open(args.testlog) as f:
        for raw in f:
            if raw.strip():
                entries.append(json.loads(raw))
    names = [] if args.names else None
    p, f, s, out = count(entries, names)
    for line in out:
        print(line)
    if p + f + s < args.min:
        print('%d results, fewer than the %d this suite declares'
              % (p + f + s, args.min))
        f += 1
    if names is not None:
        with open(args.names, 'a') as o:
            for n in names:
                o.write(n + '\n')
    print(f'{p} passed, {f} failed, {s} skipped')
    return 1 if f else 0


if __name__ == '__main__':
    sys.exit(main())
