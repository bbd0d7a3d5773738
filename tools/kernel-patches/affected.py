#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The nouveau objects a kernel patch series can change.

usage: affected.py SRC PATCH...

Prints, one per line, the drivers/gpu/drm/nouveau/**/*.o whose source the
series touches or whose source includes, directly or through other
headers, a header the series touches. Includes are resolved the way
nouveau's Makefile sets the search path (the file's own directory for
"..." includes, then nouveau's -I list: include, include/nvkm, nvkm,
nvkm/subdev/gsp and nouveau itself; then the kernel's include,
include/uapi and arch/x86/include), so headers of the same name in
different directories (nvkm has many priv.h) stay apart. An include that
resolves nowhere is ignored: it cannot name a file the series touches.
"""
import os
import re
import sys

NOUVEAU = 'drivers/gpu/drm/nouveau'
SEARCH = [NOUVEAU + '/include', NOUVEAU + '/include/nvkm', NOUVEAU + '/nvkm',
          NOUVEAU + '/nvkm/subdev/gsp', NOUVEAU,
          'include', 'include/uapi', 'arch/x86/include',
          'arch/x86/include/uapi']
SCAN = [NOUVEAU, 'include/drm', 'include/uapi/drm']
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def touched_paths(patches):
    paths = set()
    for p in patches:
        with open(p, encoding='utf-8', errors='replace') as f:
            for line in f:
                m = re.match(r'^diff --git a/(\S+) b/', line)
                if m:
                    paths.add(m.group(1))
    return paths


def resolve(src, here, kind, name):
    dirs = ([here] if kind == '"' else []) + SEARCH
    for d in dirs:
        cand = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(os.path.join(src, cand)):
            return cand
    return None


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().splitlines()[2])
    src, patches = sys.argv[1], sys.argv[2:]
    touched = touched_paths(patches)
    users = {}   # header -> files that include it
    sources = []
    for top in SCAN:
        for dirpath, _, files in os.walk(os.path.join(src, top)):
            rel = os.path.relpath(dirpath, src)
            for fn in files:
                if not fn.endswith(('.c', '.h')):
                    continue
                path = os.path.join(rel, fn)
                if fn.endswith('.c') and rel.startswith(NOUVEAU):
                    sources.append(path)
                with open(os.path.join(src, path), encoding='utf-8',
                          errors='replace') as f:
                    text = f.read()
                for kind, name in INCLUDE.findall(text):
                    hdr = resolve(src, rel, kind, name)
                    if hdr:
                        users.setdefault(hdr, set()).add(path)
    # Everything reachable backwards from what the series touches.
    seen = set(touched)
    todo = [t for t in touched if t.endswith('.h')]
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in seen:
                seen.add(user)
                if user.endswith('.h'):
                    todo.append(user)
    for path in sorted(s for s in sources if s in seen):
        print(path[:-2] + '.o')


if __name__ == '__main__':
    main()
