#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check which memory barriers nvc0 chose for each OpenCL memory scope.

Input: one log per kernel of tests/shim/scope_kernels.cl, the stderr of
cl-compile-one with NV50_PROG_DEBUG=1 (nv50_ir's IR dumps and the
uploaded code). Each rule names the barriers that must and must not
appear.

With --baseline DIR (the same kernels on the unpatched compiler, see
run-scope-ir.sh), the rules are applied to those logs too and both
outcomes are printed side by side; the unpatched compiler must fail
exactly the rules the series fixes, and the kernels it already handled
must compile to the same machine code on both.

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
# nv50_ir's program print: "MAIN:-1 ()" then the basic blocks.
IR_DUMP = re.compile(r'^MAIN:', re.M)
# The kernel's NIR as codegen prints it, then its IR and code. What comes
# before is nvc0's own internal shaders (the context's empty TCP).
KERNEL_NIR = re.compile(r'^shader: MESA_SHADER_KERNEL$', re.M)
PANIC = re.compile(r"^thread '.*' panicked at .*\n(.*)$", re.M)
# nvc0_program_dump: "shader binary code (0x.. bytes):" then lines of
# 32-bit hex words.
CODE = re.compile(r'^(?:[0-9a-f]{8} ?)+$', re.M)
BUILD_ERROR = re.compile(r'(?i)^.*\b(?:error|invalid|unsupported)\b.*$', re.M)

# kernel -> (barriers that must appear, barriers that must not, needs atom)
RULES = {
    'atomic_acq_rel_all_svm': ({'sys'}, {'gl', 'cta'}, True),
    'fence_release_all_svm': ({'sys'}, {'gl', 'cta'}, False),
    'atomic_acq_rel_device': ({'gl'}, {'sys'}, True),
    'fence_release_work_group': ({'cta'}, {'sys', 'gl'}, False),
    'atomic_relaxed_all_svm': (set(), {'sys', 'gl', 'cta'}, True),
}
# What the unpatched compiler does with each rule (True: passes it).
# It rejects the all-SVM-devices scope (CrossDevice) where it translates
# it, in a fence: that kernel does not build. An ordered atomic through a
# generic pointer (all of OpenCL C's atomic_*_explicit) gets no barrier
# at all, so its scope is never translated: the atomics build, without
# their barriers; the relaxed one is right by accident.
UNPATCHED_PASSES = {
    'atomic_acq_rel_all_svm': False,
    'fence_release_all_svm': False,
    'atomic_acq_rel_device': False,
    'fence_release_work_group': True,
    'atomic_relaxed_all_svm': True,
}
# Kernels the series must leave as they were: same machine code.
UNCHANGED = ('fence_release_work_group',)


def barriers(text):
    found = set()
    for named, raw in MEMBAR.findall(text):
        found.add(named or RAW_SUBOP.get(raw, 'subop' + raw))
    return found


def code_of(log):
    text = kernel_part(log) or ''
    return '\n'.join(m.group(0).strip() for m in CODE.finditer(text))


def read_log(logdir, kernel):
    try:
        with open(os.path.join(logdir, kernel + '.log'), encoding='utf-8',
                  errors='replace') as f:
            return f.read(), None
    except OSError as e:
        return None, f'no log ({e.strerror})'


def kernel_part(text):
    """The log from the kernel's NIR on, or None."""
    m = KERNEL_NIR.search(text)
    return text[m.start():] if m else None


def apply_rule(kernel, log):
    """(ok, why) of one kernel's rule on one log."""
    must, must_not, atom = RULES[kernel]
    if 'clBuildProgram failed' in log:
        m = BUILD_ERROR.search(log.split('build log:', 1)[-1])
        return False, 'does not build' + (f' ({m.group(0).strip()[:90]})'
                                          if m else '')
    m = PANIC.search(log)
    if m:
        return False, f'does not build: rusticl panicked ({m.group(1)[:60]})'
    text = kernel_part(log)
    if text is None or not IR_DUMP.search(text):
        return False, ('no IR dump of the kernel (NV50_PROG_DEBUG unread, '
                       'or the kernel never reached nvc0)')
    seen = barriers(text)
    problems = []
    if atom and not ATOM.search(text):
        problems.append('no atom instruction in the IR')
    missing = sorted(must - seen)
    extra = sorted(must_not & seen)
    if missing:
        problems.append('no membar ' + ','.join(missing))
    if extra:
        problems.append('unexpected membar ' + ','.join(extra))
    return not problems, '; '.join(problems) or \
        'membar ' + (','.join(sorted(seen)) or 'none')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('logdir')
    ap.add_argument('--baseline')
    args = ap.parse_args()
    names = [f'scope-ir-{k}' for k in RULES] + \
        [f'scope-ir-unpatched-{k}' for k in RULES] + \
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

    table = []
    for kernel in RULES:
        text, err = read_log(args.logdir, kernel)
        ok, why = (False, err) if err else apply_rule(kernel, text)
        result(f'scope-ir-{kernel}', ok, why)
        patched = ('pass: ' if ok else 'FAIL: ') + why
        unpatched = '-'
        name = f'scope-ir-unpatched-{kernel}'
        if not args.baseline:
            report(name, 'skip', 'no baseline logs given')
        else:
            btext, berr = read_log(args.baseline, kernel)
            if berr:
                result(name, False, 'unpatched: ' + berr)
            else:
                bok, bwhy = apply_rule(kernel, btext)
                unpatched = ('pass: ' if bok else 'fail: ') + bwhy
                want = UNPATCHED_PASSES[kernel]
                result(name, bok == want,
                       f'unpatched: {bwhy} (expected: '
                       f'{"passes" if want else "fails"} unpatched)')
        table.append((kernel, patched, unpatched))

    for kernel in UNCHANGED:
        name = f'scope-code-unchanged-{kernel}'
        if not args.baseline:
            report(name, 'skip', 'no baseline logs given')
            continue
        new, err = read_log(args.logdir, kernel)
        old, berr = read_log(args.baseline, kernel)
        if err or berr:
            result(name, False, err or 'unpatched: ' + berr)
            continue
        new, old = code_of(new), code_of(old)
        if not new or not old:
            result(name, False, 'no machine code dump in a log')
        else:
            result(name, new == old,
                   'same machine code as the unpatched compiler'
                   if new == old else
                   'machine code differs from the unpatched compiler')

    w = max(len(k) for k in RULES)
    print(f'# {"kernel":<{w}}  {"patched":<40}  unpatched')
    for kernel, patched, unpatched in table:
        print(f'# {kernel:<{w}}  {patched[:40]:<40}  {unpatched[:70]}')
    print('PIGLIT: {"result": "%s"}' % ('fail' if failed else 'pass'))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
