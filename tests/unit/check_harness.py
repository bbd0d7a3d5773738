#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The harness's own test: run harness_cases and compare every KTAP result
line, and the order of setup/body/teardown logs, with what
tests/common/harness.h promises. TAP on stdout."""
import json
import os
import re
import subprocess
import sys

EXPECT = {
    'passes': 'ok',
    'assert_fails_and_prints_both_sides': 'not ok',
    'expect_fails_and_goes_on': 'not ok',
    'skips_naming_the_capability':
        'ok # SKIP no /dev/hmm_dmirror0: the HMM test device is not loaded',
    'skip_without_a_reason_fails': 'not ok',
    'crash_fails_alone': 'not ok',
    'hang_is_killed_at_its_timeout': 'not ok # TIMEOUT 1 s',
    'assert_in_a_helper_ends_the_test': 'not ok',
    'warns_naming_what_it_could_not_show':
        'not ok # WARN no value recorded for kernel 9.9',
    'warn_then_fail_is_a_failure': 'not ok',
    'deferred_releases_run_last_first_after_an_assert': 'not ok',
    'guards_run_on_assert_while_the_stack_lives': 'not ok',
    'fx.one.sees_its_variant': 'ok',
    'fx.two.sees_its_variant': 'ok',
    'fx.setup_skips.sees_its_variant': 'ok # SKIP variant 3 has no device',
    'fx.setup_fails.sees_its_variant': 'not ok',
    'fx.one.assert_fails_then_teardown_runs': 'not ok',
    'fx.two.assert_fails_then_teardown_runs': 'not ok',
    'fx.setup_skips.assert_fails_then_teardown_runs':
        'ok # SKIP variant 3 has no device',
    'fx.setup_fails.assert_fails_then_teardown_runs': 'not ok',
    'keeps_its_own_name': 'ok',
    'deferred_releases_run_before_teardown': 'ok',
}

# The same cases in piglit's format (NVSVM_HARNESS_FORMAT=piglit): the
# KTAP verdict of each decides its piglit outcome.
PIGLIT_OUTCOME = {
    'hang_is_killed_at_its_timeout': 'timeout',
    'warns_naming_what_it_could_not_show': 'warn',
    'warn_then_fail_is_a_failure': 'fail',
}


def piglit_outcome(name, ktap):
    if name in PIGLIT_OUTCOME:
        return PIGLIT_OUTCOME[name]
    if ktap.startswith('ok # SKIP'):
        return 'skip'
    if ktap == 'ok':
        return 'pass'
    return ('fail', 'crash')

# Per test, the diagnostic lines it must print (in this order) and the
# ones it must not.
LOGS = {
    'assert_fails_and_prints_both_sides':
        (['two == 3: 2 vs 3'], ['not reached']),
    'expect_fails_and_goes_on': (['1 == 2: 1 vs 2', 'reached after'], []),
    'skip_without_a_reason_fails': (['skipped without naming'], []),
    # Killed by SIGSEGV, or under ASan its report and a non-zero exit.
    'crash_fails_alone': ([('killed by signal', 'exit status')], []),
    'assert_in_a_helper_ends_the_test': (['0 is false'], ['not reached']),
    'fx.one.sees_its_variant':
        (['setup 1', 'body 1', 'teardown 1 set_up 1'], []),
    'fx.setup_skips.sees_its_variant':
        (['setup 3', 'teardown 3 set_up 0'], ['body']),
    'fx.setup_fails.sees_its_variant':
        (['setup 4', 'teardown 4 set_up 0'], ['body']),
    'fx.two.assert_fails_then_teardown_runs':
        (['setup 2', 'body 2', 'self->value == 0: 2 vs 0',
          'teardown 2 set_up 1'], []),
    'keeps_its_own_name':
        (['plain setup', 'plain body', 'plain teardown 7'], []),
    'warns_naming_what_it_could_not_show':
        (['warn: no value recorded for kernel 9.9',
          'reached after a warn'], []),
    'deferred_releases_run_last_first_after_an_assert':
        (['0 is false', 'released second 2', 'released first 1'],
         ['not reached']),
    'guards_run_on_assert_while_the_stack_lives':
        (['0 is false', 'released on the stack 4'], ['dropped']),
    'deferred_releases_run_before_teardown':
        (['plain setup', 'plain body', "released body's 3",
          'plain teardown 7'], []),
}


def piglit_checks(exe, ktap):
    env = dict(os.environ, NVSVM_HARNESS_FORMAT='piglit')
    out = subprocess.run([exe], capture_output=True, text=True, timeout=60,
                         env=env)
    lines = out.stdout.splitlines()
    pl = [json.loads(x[len('PIGLIT: '):]) for x in lines
          if x.startswith('PIGLIT: ')]
    checks = []
    names = list(EXPECT)
    checks.append(('piglit: enumerates every test first, in order',
                   pl and pl[0] == {'enumerate subtests': names},
                   f'got {pl[:1]}'))
    got = {k: v for o in pl if 'subtest' in o for k, v in o['subtest'].items()}
    for name in names:
        want = piglit_outcome(name, ktap.get(name) or '')
        ok = (got.get(name) in want if isinstance(want, tuple)
              else got.get(name) == want)
        checks.append((f'piglit: {name} reports {want}', ok,
                       f'got {got.get(name)!r}'))
    checks.append(('piglit: names the reasons of a skip and a warn',
                   '# SKIP: no /dev/hmm_dmirror0: the HMM test device is '
                   'not loaded' in lines and
                   '# WARN: no value recorded for kernel 9.9' in lines,
                   'no "# SKIP: ..." or "# WARN: ..." line'))
    checks.append(('piglit: overall fail, closing line, exit 1',
                   pl[-1:] == [{'result': 'fail'}] and
                   lines[-1] == '6 passed, 13 failed, 3 skipped' and
                   out.returncode == 1,
                   f'got {pl[-1:]} {lines[-1:]} exit {out.returncode}'))
    one = subprocess.run([exe, '-subtest', 'warns_naming_what_it_could_not_show'],
                         capture_output=True, text=True, timeout=60, env=env)
    ol = one.stdout.splitlines()
    checks.append(('piglit: -subtest NAME runs that one alone, a warn exits 0',
                   'PIGLIT: {"subtest": {"warns_naming_what_it_could_not_'
                   'show": "warn"}}' in ol and
                   sum(x.startswith('PIGLIT: {"subtest"') for x in ol) == 1
                   and 'PIGLIT: {"result": "warn"}' in ol and
                   ol[-1] == '1 passed, 0 failed, 0 skipped' and
                   one.returncode == 0,
                   f'got {ol[-4:]} exit {one.returncode}'))
    return checks


def main():
    exe = sys.argv[1]
    out = subprocess.run([exe], capture_output=True, text=True,
                         timeout=60).stdout
    lines = out.splitlines()
    results, logs, current = {}, {}, []
    for line in lines:
        m = re.match(r'^(not ok|ok) (\d+) (\S+)(?: (# .*))?$', line)
        if m:
            verdict = m.group(1) + (' ' + m.group(4) if m.group(4) else '')
            results[m.group(3)] = verdict
            logs[m.group(3)] = current
            current = []
        elif line.startswith('#'):
            current.append(line)
    checks = []
    checks.append(('starts with the KTAP header and plan',
                   lines[:2] == ['TAP version 13', f'1..{len(EXPECT)}'],
                   f'got {lines[:2]}'))
    for name, want in EXPECT.items():
        got = results.get(name)
        # No '#' in a description: TAP would read "# SKIP" as a directive.
        what = want.replace('# ', '')
        checks.append((f'{name}: {what}', got == want, f'got {got!r}'))
    for name, (must, mustnot) in LOGS.items():
        log = logs.get(name, [])
        pos, ok, why = 0, True, ''
        for m in must:
            alts = m if isinstance(m, tuple) else (m,)
            idx = next((i for i in range(pos, len(log))
                        if any(a in log[i] for a in alts)), None)
            if idx is None:
                ok, why = False, f'no {m!r} (in order) in {log}'
                break
            pos = idx + 1
        for m in mustnot:
            if any(m in x for x in log):
                ok, why = False, f'{m!r} printed: {log}'
        checks.append((f'{name}: logs in order', ok, why))
    checks.append(('summary line counts every result',
                   '# 5 passed, 14 failed, 3 skipped' in lines,
                   f'got {lines[-1:]}'))
    checks.extend(piglit_checks(exe, results))
    print('TAP version 13')
    print(f'1..{len(checks)}')
    failed = 0
    for i, (what, ok, why) in enumerate(checks, 1):
        if ok:
            print(f'ok {i} {what}')
        else:
            failed += 1
            print(f'# {why}')
            print(f'not ok {i} {what}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
