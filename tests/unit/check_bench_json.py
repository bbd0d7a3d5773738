#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# `nvsvm bench --json -` on the host: one valid JSON object, every backend
# that could not run says why, the range check made the mappings it was
# asked for, and bad options are refused by name; `nvsvm bench range`
# prints every cell of a small sweep with its path and goal verdict. TAP.
import glob, json, subprocess, sys

MAPPINGS = 100


def run(*args):
    return subprocess.run([sys.argv[1], 'bench', *args], capture_output=True,
                          text=True, timeout=300)


def main():
    p = run('--quick', '--mappings', str(MAPPINGS), '--json', '-')
    try:
        d = json.loads(p.stdout)
    except ValueError:
        d = None
    have_dev = bool(glob.glob('/dev/hmm_dmirror*'))

    def unavailable_say_why():
        if have_dev:
            return 'SKIP a test device is present: covered by make bench'
        if p.returncode != 1:
            return f'exit {p.returncode} without any device, want 1'
        for be in d['backends']:
            if be['available'] or not be.get('reason'):
                return f'{be} runs or gives no reason'
        if [be['backend'] for be in d['backends']] != ['hmm', 'vsvm']:
            return f"backends {[be['backend'] for be in d['backends']]}"
        return None

    def range_check_made_the_mappings():
        rc = d['range_check']
        if rc['maps_after'] != rc['maps_before'] + MAPPINGS + 1:
            return f"{rc['maps_before']} -> {rc['maps_after']} mappings"
        if rc['many_high']['maps_below'] < \
           rc['many_low']['maps_below'] + MAPPINGS:
            return f"high probe sees {rc['many_high']['maps_below']} below"
        return None

    def bad_option_named():
        b = run('--rounds', '0')
        if b.returncode != 2 or '--rounds' not in b.stderr:
            return f'exit {b.returncode}, stderr {b.stderr!r}'
        b = run('--backend', 'cuda')
        if b.returncode != 2 or 'cuda' not in b.stderr:
            return f'exit {b.returncode}, stderr {b.stderr!r}'
        return None

    def bench_range_sweeps_every_cell():
        r = run('range', '--calls', '3', '--max-mib', '2',
                '--max-mappings', '10')
        if r.returncode != 0:
            return f'exit {r.returncode}, stderr {r.stderr[-300:]!r}'
        rows = [l for l in r.stdout.splitlines()
                if l.startswith('  ') and (' 4k ' in l or ' thp ' in l)]
        # 4 KiB, 64 KiB, 2 MiB x thp/4k x 1, 10 mappings
        if len(rows) != 12:
            return f'{len(rows)} cells, want 12: {r.stdout[-600:]!r}'
        for l in rows:
            if ' fast ' not in l and ' smaps:' not in l:
                return f'no path in {l!r}'
            if 'met' not in l and 'n/a' not in l:
                return f'no goal verdict in {l!r}'
        if 'goal' not in r.stdout.splitlines()[-2]:
            return f'no goal summary: {r.stdout[-300:]!r}'
        b = run('range', '--calls', '0')
        if b.returncode != 2 or '--calls' not in b.stderr:
            return f'--calls 0: exit {b.returncode}, stderr {b.stderr!r}'
        return None

    cases = [
        ('bench_json_is_one_object',
         lambda: None if isinstance(d, dict) and d['nvsvm_bench_version'] == 1
         else f'stdout {p.stdout[:200]!r}, stderr {p.stderr[-300:]!r}'),
        ('backends_that_cannot_run_say_why', unavailable_say_why),
        ('range_check_made_exactly_the_mappings_asked_for',
         range_check_made_the_mappings),
        ('bad_options_exit_two_naming_the_option', bad_option_named),
        ('bench_range_sweeps_every_cell', bench_range_sweeps_every_cell),
    ]
    print('TAP version 13')
    print(f'1..{len(cases)}')
    failed = 0
    for i, (name, fn) in enumerate(cases, 1):
        try:
            why = fn() if d is not None or i == 1 else 'no JSON to check'
        except (KeyError, TypeError) as e:
            why = f'malformed JSON: {e!r}'
        if why and why.startswith('SKIP'):
            print(f'ok {i} {name} # {why}')
        elif why:
            failed += 1
            print(f'not ok {i} {name}\n#   {why}')
        else:
            print(f'ok {i} {name}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
