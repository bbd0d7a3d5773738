#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Count piglit results in test output (files or stdin): each subtest
counts once; a test without subtests counts by its overall result.

Rules:
- `warn` is a pass only where an expect file (--expect FILE, lines
  "TEST SUBTEST OUTCOME", globs, first match wins; TEST is the name of the
  last "=== TEST" line before it) lists that subtest as warn. Anywhere
  else a warn is a failure: a scenario that could not show what it claims
  has not passed.
- A test that enumerated subtests and did not report them all fails the
  missing ones.
- --names FILE appends every scenario name (TEST@SUBTEST) to FILE, so a
  caller can count distinct scenarios over several runs.
- --min N: fewer than N results in all is one more failure.

Prints the closing "N passed, N failed, N skipped" line; exit 1 on any
failure."""
import argparse
import fnmatch
import json
import re
import sys

TEST_LINE = re.compile(r'^=== (\S+)')


def load_expect(path):
    rules = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 3:
                sys.exit('%s:%d: want "TEST SUBTEST OUTCOME"' % (path, n))
            rules.append(parts)
    return rules


def expected(rules, test, sub):
    for t, s, outcome in rules:
        if fnmatch.fnmatchcase(test, t) and fnmatch.fnmatchcase(sub, s):
            return outcome
    return None


def count(lines, rules=None, names=None):
    """Returns (passed, failed, skipped, notes)."""
    passed = failed = skipped = 0
    notes = []
    enumerated = []
    reported = set()
    test = '?'

    def one(sub, res):
        nonlocal passed, failed, skipped
        if names is not None:
            names.append('%s@%s' % (test, sub) if sub else test)
        if res == 'pass':
            passed += 1
        elif res == 'skip':
            skipped += 1
        elif res == 'warn':
            if rules is not None and expected(rules, test, sub or '') == 'warn':
                passed += 1
                notes.append('warn, as expected: %s@%s' % (test, sub))
            else:
                failed += 1
                notes.append('warn counted as a failure (no expect file '
                             'lists it): %s@%s' % (test, sub))
        else:
            failed += 1

    def close_test(overall):
        nonlocal enumerated, reported, failed
        if enumerated:
            for name in enumerated:
                if name not in reported:
                    notes.append('missing subtest result: %s' % name)
                    failed += 1
        elif overall is not None:
            one('', overall)
        enumerated, reported = [], set()

    for line in lines:
        m = TEST_LINE.match(line)
        if m:
            if enumerated:
                close_test(None)
            test = m.group(1)
            continue
        if not line.startswith('PIGLIT: '):
            continue
        try:
            obj = json.loads(line[len('PIGLIT: '):])
        except json.JSONDecodeError:
            notes.append('malformed piglit line: %s' % line.rstrip())
            failed += 1
            continue
        if 'enumerate subtests' in obj:
            if enumerated:
                close_test(None)
            enumerated = list(obj['enumerate subtests'])
        elif 'subtest' in obj:
            for name, res in obj['subtest'].items():
                reported.add(name)
                one(name, res)
        elif 'result' in obj:
            close_test(obj['result'])
    if enumerated:
        close_test(None)
    return passed, failed, skipped, notes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('files', nargs='*')
    ap.add_argument('--expect')
    ap.add_argument('--names')
    ap.add_argument('--min', type=int, default=0)
    args = ap.parse_args()

    lines = []
    if args.files:
        for path in args.files:
            with open(path, errors='replace') as f:
                lines.extend(f)
    else:
        lines = sys.stdin.readlines()
    rules = load_expect(args.expect) if args.expect else None
    names = [] if args.names else None
    p, f, s, notes = count(lines, rules, names)
    for n in notes:
        print(n)
    if p + f + s < args.min:
        print('%d results, fewer than the %d this suite declares'
              % (p + f + s, args.min))
        f += 1
    if names is not None:
        with open(args.names, 'a') as out:
            for n in names:
                out.write(n + '\n')
    print(f'{p} passed, {f} failed, {s} skipped')
    return 1 if f else 0


if __name__ == '__main__':
    sys.exit(main())
