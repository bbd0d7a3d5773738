#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tools/kernel-patches/affected.py on a small made-up kernel tree: the
objects it names are exactly those whose source a patch touches or that
include a touched header, directly or through other headers, with
same-named headers in different directories kept apart. TAP on stdout."""
import os
import subprocess
import sys
import tempfile

FILES = {
    'include/uapi/drm/nouveau_drm.h': '',
    'include/drm/drm_file.h': '',
    'drivers/gpu/drm/nouveau/nouveau_drv.h': '#include <drm/nouveau_drm.h>\n',
    'drivers/gpu/drm/nouveau/nouveau_svm.c': '#include "nouveau_drv.h"\n',
    'drivers/gpu/drm/nouveau/nouveau_bo.c': '#include "nouveau_drv.h"\n',
    'drivers/gpu/drm/nouveau/nouveau_vga.c': '#include <drm/drm_file.h>\n',
    'drivers/gpu/drm/nouveau/dispnv50/priv.h': '#include "nouveau_drv.h"\n',
    'drivers/gpu/drm/nouveau/dispnv50/disp.c': '#include "priv.h"\n',
    'drivers/gpu/drm/nouveau/nvkm/engine/priv.h': '#include <core/os.h>\n',
    'drivers/gpu/drm/nouveau/nvkm/engine/fifo.c': '#include "priv.h"\n',
    'drivers/gpu/drm/nouveau/include/nvkm/core/os.h': '',
    'drivers/gpu/drm/nouveau/nvkm/core/client.c': '#include <core/os.h>\n',
}


def patch(*paths):
    return ''.join('diff --git a/%s b/%s\n' % (p, p) for p in paths)


CASES = [
    ('a uAPI header reaches every includer through nouveau_drv.h',
     patch('include/uapi/drm/nouveau_drm.h'),
     ['dispnv50/disp.o', 'nouveau_bo.o', 'nouveau_svm.o']),
    ('a touched source is its own object and nothing more',
     patch('drivers/gpu/drm/nouveau/nouveau_svm.c'), ['nouveau_svm.o']),
    ('a header named like another one elsewhere reaches only its includers',
     patch('drivers/gpu/drm/nouveau/dispnv50/priv.h'), ['dispnv50/disp.o']),
    ('an nvkm header found through nouveau\'s -I list reaches nvkm',
     patch('drivers/gpu/drm/nouveau/include/nvkm/core/os.h'),
     ['nvkm/core/client.o', 'nvkm/engine/fifo.o']),
    ('a file outside nouveau that nothing includes affects nothing',
     patch('Documentation/gpu/nouveau.rst'), []),
]


def main():
    tool = sys.argv[1]
    print('1..%d' % len(CASES))
    bad = 0
    with tempfile.TemporaryDirectory() as src:
        for path, text in FILES.items():
            os.makedirs(os.path.join(src, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(src, path), 'w') as f:
                f.write(text)
        for n, (name, diff, want) in enumerate(CASES, 1):
            p = os.path.join(src, 'series.patch')
            with open(p, 'w') as f:
                f.write(diff)
            out = subprocess.run([sys.executable, tool, src, p], check=True,
                                 capture_output=True, text=True).stdout
            got = [o[len('drivers/gpu/drm/nouveau/'):] for o in out.split()]
            want = sorted('%s' % w for w in want)
            ok = got == want
            bad += not ok
            print('%s %d - %s' % ('ok' if ok else 'not ok', n, name))
            if not ok:
                print('# want %s\n# got  %s' % (want, got))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
