#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compare the dynamic symbols libnvsvm.so defines with nvsvm.symbols.

Output is TAP: one test per direction (nothing extra exported, nothing
listed missing), each naming the offending symbols. Exit status 1 when
either fails, 2 when nm itself cannot be run.
"""
import argparse
import subprocess
import sys

# What the toolchain puts in every shared object's dynamic table.
TOOLCHAIN = {'_init', '_fini', '_edata', '_end', '__bss_start'}


def exported(nm, lib):
    out = subprocess.run([nm, '-D', '--defined-only', '--format=posix', lib],
                         check=True, capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        name = fields[0].split('@')[0]
        if name not in TOOLCHAIN:
            syms.add(name)
    return syms


def listed(path):
    syms = set()
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                syms.add(line)
    return syms


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--nm', required=True)
    ap.add_argument('--lib', required=True)
    ap.add_argument('--symbols', required=True)
    a = ap.parse_args()
    try:
        have = exported(a.nm, a.lib)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f'Bail out! {a.nm} -D {a.lib}: {e}')
        return 2
    want = listed(a.symbols)
    extra = sorted(have - want)
    missing = sorted(want - have)
    print('TAP version 13')
    print('1..2')
    ok = 0
    if extra:
        for s in extra:
            print(f'# exported but not in {a.symbols}: {s}')
        print('not ok 1 - nothing exported beyond the list')
        ok = 1
    else:
        print(f'ok 1 - nothing exported beyond the list ({len(have)} symbols)')
    if missing:
        for s in missing:
            print(f'# listed but not exported: {s}')
        print('not ok 2 - every listed symbol exported')
        ok = 1
    else:
        print(f'ok 2 - every listed symbol exported ({len(want)} symbols)')
    return ok


if __name__ == '__main__':
    sys.exit(main())
