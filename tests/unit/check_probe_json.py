#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# `nvsvm probe --json` exits 0 and prints one JSON object whose facts
# match this machine (kernel, THP mode, DRM nodes, test devices). TAP.
import glob, json, os, subprocess, sys

def thp_mode():
    try:
        with open('/sys/kernel/mm/transparent_hugepage/enabled') as f:
            return f.read().split('[')[1].split(']')[0]
    except (OSError, IndexError):
        return 'unknown'

def main():
    p = subprocess.run([sys.argv[1], 'probe', '--json'], capture_output=True,
                       text=True, timeout=60)
    try:
        d = json.loads(p.stdout)
    except ValueError as e:
        d = None
        err = str(e)
    nodes = sorted(glob.glob('/dev/dri/renderD*'))
    hmm = sorted(glob.glob('/dev/hmm_dmirror*'))

    def nouveau_says_why():
        nv = d['nouveau']
        if not isinstance(nv['available'], bool):
            return 'nouveau.available is not a boolean'
        if not any(n['driver'] == 'nouveau' for n in d['drm']['nodes']):
            if nv['available'] or nv.get('reason') != 'no nouveau DRM device':
                return f'no nouveau node, yet nouveau = {nv}'
        elif not nv['svm'] and not nv.get('reason'):
            return 'SVM unavailable without a reason'
        return None

    def svm_init_named():
        for n in d['drm']['nodes']:
            s = n.get('svm_init')
            if s and (s['result'] == 'OK') != (s['errno'] == 0):
                return f"{n['path']}: result {s['result']} errno {s['errno']}"
            if s and not s['reason']:
                return f"{n['path']}: SVM_INIT outcome without a reason"
        return None

    cases = [
        ('probe_json_exits_zero_with_one_json_object',
         lambda: None if p.returncode == 0 and isinstance(d, dict) else
         f'exit {p.returncode}, stderr {p.stderr!r}, json {d is not None}'),
        ('kernel_release_is_uname_release',
         lambda: None if d['kernel_release'] == os.uname().release else
         f"{d['kernel_release']!r} != {os.uname().release!r}"),
        ('thp_mode_is_the_bracketed_sysfs_word',
         lambda: None if d['thp_mode'] == thp_mode() else
         f"{d['thp_mode']!r} != {thp_mode()!r}"),
        ('drm_nodes_are_the_render_nodes_of_dev_dri',
         lambda: None if d['drm']['count'] == len(nodes) and
         [n['path'] for n in d['drm']['nodes']] == nodes[:16] else
         f"{d['drm']} vs {nodes}"),
        ('nouveau_unavailability_says_why', nouveau_says_why),
        ('svm_init_outcomes_carry_name_and_reason', svm_init_named),
        ('hmm_test_device_presence_matches_dev',
         lambda: None if d['hmm_test_device']['present'] == bool(hmm) and
         d['hmm_test_device']['paths'] == hmm[:4] else
         f"{d['hmm_test_device']} vs {hmm}"),
    ]
    print('TAP version 13')
    print(f'1..{len(cases)}')
    failed = 0
    for i, (name, fn) in enumerate(cases, 1):
        if d is None and i > 1:
            why = 'no JSON to check'
        else:
            try:
                why = fn()
            except (KeyError, TypeError) as e:
                why = f'missing or mistyped field: {e!r}'
        if why:
            failed += 1
            print(f'#   {why}')
            print(f'not ok {i} {name}')
        else:
            print(f'ok {i} {name}')
    return 1 if failed else 0

sys.exit(main())
