#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check the results of a `piglit run` of an nvsvm profile: every test of
the profile is there with every subtest it enumerated, nothing failed,
crashed or timed out, every skip names the missing capability in the test's
output, and (with --expect FILE) every subtest has the listed outcome. A
warn is a pass only where the expect file lists it as warn; elsewhere it
is a failure.
Prints "N passed, N failed, N skipped" over subtests (a broken rule counts
as one more failure); exit 1 on any failure.

usage: check_results.py RESULTS_DIR [--profile cl|vm|vk] [--expect FILE]"""
import argparse
import bz2
import fnmatch
import gzip
import json
import lzma
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import nvsvm  # noqa: E402  (the profile's test list, without piglit)

OPENERS = {'results.json': open, 'results.json.bz2': bz2.open,
           'results.json.gz': gzip.open, 'results.json.xz': lzma.open}
# A skip must say what is missing: an OpenCL capability or the platform.
SKIP_REASON = re.compile(r'^# skip: .*(CL_DEVICE_[A-Z_]+|OpenCL platform)',
                         re.M)
# Vulkan: an extension, a feature or property name, the API version or
# the absence of any device.
VK_SKIP_REASON = re.compile(
    r'^# skip: missing .*(VK_[A-Z0-9_]+|Vulkan 1\.2|a Vulkan device|'
    r'\b[a-z]+[A-Z][A-Za-z0-9]+\b)', re.M)


def load(results_dir):
    for name, opener in OPENERS.items():
        path = os.path.join(results_dir, name)
        if os.path.exists(path):
            with opener(path, 'rt') as f:
                return json.load(f)
    sys.exit('check_results: no results.json[.bz2|.gz|.xz] in %s'
             % results_dir)


def load_expect(path):
    """Lines "TEST SUBTEST OUTCOME"; SUBTEST may be a glob; first match
    wins."""
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('results_dir')
    ap.add_argument('--profile', choices=('cl', 'vm', 'vk'), default='cl')
    ap.add_argument('--expect')
    args = ap.parse_args()

    results = load(args.results_dir)['tests']
    rules = load_expect(args.expect) if args.expect else None
    cmds = {'cl': nvsvm.cl_commands, 'vm': nvsvm.vm_commands,
            'vk': nvsvm.vk_commands}[args.profile]()
    passed = failed = skipped = 0
    problems = []

    for name, _ in cmds:
        res = results.get(name)
        if res is None:
            problems.append('%s: missing from the results' % name)
            continue
        subs = {k: v for k, v in res.get('subtests', {}).items()
                if k != '__type__'}
        if not subs:
            problems.append('%s: no subtests (result %s)'
                            % (name, res.get('result')))
            continue
        for sub, outcome in subs.items():
            want = expected(rules, name, sub) if rules is not None else None
            if outcome == 'pass':
                passed += 1
            elif outcome == 'warn' and want == 'warn':
                # A pass only where the platform's expect file says so.
                passed += 1
            elif outcome == 'warn':
                failed += 1
                print('%s@%s: warn, and no expect file lists it as warn'
                      % (name, sub))
            elif outcome == 'skip':
                skipped += 1
            else:
                failed += 1
                print('%s@%s: %s' % (name, sub, outcome))
            if rules is not None:
                if want is None:
                    problems.append('%s@%s: not in %s' % (name, sub,
                                                           args.expect))
                elif want != outcome:
                    problems.append('%s@%s: %s, expected %s'
                                    % (name, sub, outcome, want))
        nskip = sum(1 for v in subs.values() if v == 'skip')
        reasons = len(SKIP_REASON.findall(res.get('out', '')))
        # Kernel-path tests give their own reasons (kernel features).
        if args.profile == 'vk':
            reasons = len(VK_SKIP_REASON.findall(res.get('out', '')))
        if args.profile in ('cl', 'vk') and reasons < nskip:
            problems.append('%s: %d skips but only %d name a capability'
                            % (name, nskip, reasons))

    for p in problems:
        print('check: ' + p)
    failed += len(problems)
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
