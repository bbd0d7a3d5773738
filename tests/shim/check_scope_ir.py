#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check which memory barriers nvc0 chose for each OpenCL memory scope.

Input: one log per kernel of tests/shim/scope_kernels.cl, the stderr of
cl-compile-one with NV50_PROG_DEBUG=1 (nv50_ir's IR dumps and the
uploaded code). Each rule names the barriers that must and must not
appear. With --pristine DIR, kernels without an all-SVM-devices scope
must also compile to the same machine code as on the unpatched Mesa.

Output: piglit lines (tools/piglit_count.py counts them), one subtest
per rule, with a "#" line saying what was seen.
"""
import argparse
import json
import os
import re
import sys

# membar scope as the patched IR printer names it; the unpatched one
# prints the raw subop: M (3) | CTA (0 << 2), GL (1 << 2), SYS (2 << 2).
RAW_SUBOP = {'3': 'cta', '7': 'gl', '11': 'sys'}
MEMBAR = re.compile(r'\bmembar (?:(cta|gl|sys)\b|\(SUBOP:(\d+)\))')
ATOM = re.compile(r'\batom\b')
# nvc0_program_dump: "NVC0 program #..." then lines of 32-bit hex words.
CODE = re.compile(r'^(?:[0-9a-f]{8}\s*)+$', re.M)

# kernel -> (barriers that must appear, barriers that must not, needs atom)
RULES = {
    'atomic_acq_rel_all_svm': ({'sys'}, {'gl', 'cta'}, True),
    'fence_release_all_svm': ({'sys'}, {'gl', 'cta'}, False),
    'atomic_acq_rel_device': ({'gl'}, {'sys'}, True),
    'fence_release_work_group': ({'cta'}, {'sys', 'gl'}, False),
    'atomic_relaxed_all_svm': (set(), {'sys', 'gl', 'cta'}, True),
}
# Kernels the unpatched compiler must already handle identically.
UNCHANGED = ('atomic_acq_rel_device', 'fence_release_work_group')


def barriers(text):
    found = set()
    for named, raw in MEMBAR.findall(text):
        found.add(named or RAW_SUBOP.get(raw, 'subop' + raw))
    return found


def code_of(text):
    return '\n'.join(m.group(0).strip() for m in CODE.finditer(text))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('logdir')
    ap.add_argument('--pristine')
    args = ap.parse_args()
    names = [f'scope-ir-{k}' for k in RULES] + \
        [f'scope-code-unchanged-{k}' for k in UNCHANGED]
    print('PIGLIT: {"enumerate subtests": %s}' % json.dumps(names))
    failed = 0

    def report(name, res, why):
        print(f'# {name}: {why}')
        print('PIGLIT: {"subtest": {"%s": "%s"}}' % (name, res))

    def result(name, ok, why):
        nonlocal failed
        report(name, 'pass' if ok else 'fail', why)
        failed += 0 if ok else 1

    for kernel, (must, must_not, atom) in RULES.items():
        path = os.path.join(args.logdir, kernel + '.log')
        try:
            text = open(path, encoding='utf-8', errors='replace').read()
        except OSError as e:
            result(f'scope-ir-{kernel}', False, f'no log ({e.strerror})')
            continue
        seen = barriers(text)
        problems = []
        if not ATOM.search(text) and atom:
            problems.append('no atom instruction in the IR')
        if 'membar' not in text and must:
            problems.append('no IR dump (NV50_PROG_DEBUG unset, or the '
                            'kernel never reached nvc0)')
        missing = sorted(must - seen)
        extra = sorted(must_not & seen)
        if missing:
            problems.append('missing membar ' + ','.join(missing))
        if extra:
            problems.append('unexpected membar ' + ','.join(extra))
        result(f'scope-ir-{kernel}', not problems,
               '; '.join(problems) or
               'membar ' + (','.join(sorted(seen)) or 'none'))

    for kernel in UNCHANGED:
        name = f'scope-code-unchanged-{kernel}'
        if not args.pristine:
            report(name, 'skip', 'no pristine logs given')
            continue
        try:
            new = code_of(open(os.path.join(args.logdir, kernel + '.log')).read())
            old = code_of(open(os.path.join(args.pristine, kernel + '.log')).read())
        except OSError as e:
            result(name, False, f'no log ({e.strerror})')
            continue
        if not new or not old:
            result(name, False, 'no machine code dump in a log')
        else:
            result(name, new == old,
                   'same machine code as unpatched Mesa' if new == old
                   else 'machine code differs from unpatched Mesa')

    print('PIGLIT: {"result": "%s"}' % ('fail' if failed else 'pass'))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
