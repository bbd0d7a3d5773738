#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# `nvsvm probe --json` exits 0 and prints one JSON object whose facts
# match this machine (kernel, THP mode, DRM nodes, test devices).
import glob, json, os, subprocess, sys

def main():
    exe = sys.argv[1]
    p = subprocess.run([exe, 'probe', '--json'], capture_output=True,
                       text=True, timeout=60)
    if p.returncode != 0:
        print(f'nvsvm probe --json exited {p.returncode}: {p.stderr}')
        return 1
    d = json.loads(p.stdout)
    fails = []
    def check(cond, what):
        if not cond:
            fails.append(what)
    check(d['kernel_release'] == os.uname().release,
          f"kernel_release {d['kernel_release']!r} != {os.uname().release!r}")
    try:
        with open('/sys/kernel/mm/transparent_hugepage/enabled') as f:
            mode = f.read().split('[')[1].split(']')[0]
    except (OSError, IndexError):
        mode = 'unknown'
    check(d['thp_mode'] == mode, f"thp_mode {d['thp_mode']!r} != {mode!r}")
    nodes = sorted(glob.glob('/dev/dri/renderD*'))
    check(d['drm']['count'] == len(nodes),
          f"drm.count {d['drm']['count']} != {len(nodes)} render nodes")
    check([n['path'] for n in d['drm']['nodes']] == nodes[:16],
          'drm.nodes paths differ from /dev/dri/renderD*')
    nv = d['nouveau']
    check(isinstance(nv['available'], bool), 'nouveau.available not bool')
    has_nouveau = any(n['driver'] == 'nouveau' for n in d['drm']['nodes'])
    if not has_nouveau:
        check(nv['available'] is False, 'nouveau available without a node')
        check(nv.get('reason') == 'no nouveau DRM device',
              f"nouveau.reason {nv.get('reason')!r}")
    elif not nv['svm']:
        check(bool(nv.get('reason')), 'SVM unavailable without a reason')
    for n in d['drm']['nodes']:
        if 'svm_init' in n:
            check(n['svm_init']['result'] in ('OK',) or
                  n['svm_init']['errno'] < 0, f"bad svm_init in {n['path']}")
    hmm = sorted(glob.glob('/dev/hmm_dmirror*'))
    check(d['hmm_test_device']['present'] == bool(hmm),
          'hmm_test_device.present wrong')
    for f in fails:
        print('FAIL:', f)
    print(json.dumps(d, indent=1))
    return 1 if fails else 0

sys.exit(main())
